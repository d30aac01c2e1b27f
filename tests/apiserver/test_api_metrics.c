/* GET /metrics over real HTTP: the Prometheus text format's content type,
 * the API's own families (build, process, store) with the store's writes
 * as they rise, the modules' sources after them in the order added; only
 * GET and HEAD; a source that writes a bad family makes a 500, never a
 * page a scraper would half read. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "api_int.h"
#include "k1s_metrics.h"
#include "st.h"
#include "../fakes/api_ask.h"

struct env {
	struct api_env a;
	bool bad; /* the module's source writes a counter without _total */
};

static void mod_metrics(void *arg, struct k1s_metrics *m)
{
	struct env *e = arg;

	k1s_metrics_family(m, e->bad ? "k1s_mod_things" : "k1s_mod_things_total", K1S_COUNTER,
	                   "Things a module did.");
	k1s_metrics_sample(m, "k1s_mod_things_total", 7, "kind", "a \"b\"", NULL);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	api_env_open(&e->a, "/tmp/k1s-metrics-XXXXXX");
	assert_int_equal(api_add_metrics(e->a.api, mod_metrics, e), 0);
	assert_int_equal(api_listen(e->a.api), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	api_env_close(&e->a);
	free(e);
	return 0;
}

static void ask(struct env *e, const char *method, const char *path, struct api_reply *r)
{
	char req[512];

	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: x\r\n\r\n", method, path);
	api_ask(e->a.api, api_env_dial(&e->a), req, r);
}

/* The value of the sample line that starts with `prefix` in text, or -1. */
static double value_of(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, prefix, n) == 0 && l[n] == ' ')
			return strtod(l + n + 1, NULL);
	return -1;
}

static void whole_text(struct env *e, struct k1s_metrics *m)
{
	k1s_metrics_init(m);
	assert_int_equal(api_metrics_text(e->a.api, m), 0);
}

static void served_as_prometheus_text(void **state)
{
	struct env *e = *state;
	struct api_reply r;

	ask(e, "GET", "/metrics", &r);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.head, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
	assert_true(strncmp(r.body, "# HELP k1s_build_info ", 22) == 0);
	assert_non_null(strstr(r.body, "\n# TYPE k1s_build_info gauge\nk1s_build_info{version=\""));
	assert_true(value_of(r.body, "process_start_time_seconds") > 1.7e9);
	assert_true(value_of(r.body, "process_resident_memory_bytes") > 1e6);
	/* A query is not read: kube-apiserver's /metrics takes none either. */
	ask(e, "GET", "/metrics?x=%zz", &r);
	assert_int_equal(r.code, 200);
	ask(e, "HEAD", "/metrics", &r);
	assert_int_equal(r.code, 200);
	ask(e, "POST", "/metrics", &r);
	assert_int_equal(r.code, 405);
	ask(e, "GET", "/metrics/x", &r);
	assert_int_equal(r.code, 404);
}

static void store_writes_rise(void **state)
{
	struct env *e = *state;
	struct k1s_metrics m;
	double ns_before, cm_before, commits;
	json_t *o = json_pack("{s:{s:s,s:s}}", "metadata", "name", "c", "namespace", "default");

	whole_text(e, &m);
	/* api_new made the system namespaces. */
	ns_before = value_of(
	    m.m_buf, "k1s_store_writes_total{resource=\"namespaces\",operation=\"create\"}");
	assert_true(ns_before >= 1);
	cm_before = value_of(
	    m.m_buf, "k1s_store_writes_total{resource=\"configmaps\",operation=\"create\"}");
	commits = value_of(m.m_buf, "k1s_store_commits_total");
	assert_true(commits >= 1); /* perhaps one batch for all of them */
	assert_true(value_of(m.m_buf, "k1s_store_commit_seconds_count") == commits);
	k1s_metrics_fini(&m);

	assert_int_equal(st_create(e->a.st, "configmaps", "default", "c", o), 0);
	assert_int_equal(st_delete(e->a.st, "configmaps", "default", "c", 0, NULL), 0);
	whole_text(e, &m);
	assert_true(value_of(m.m_buf,
	                     "k1s_store_writes_total{resource=\"configmaps\","
	                     "operation=\"create\"}") == (cm_before < 0 ? 0 : cm_before) + 1);
	assert_true(value_of(m.m_buf, "k1s_store_writes_total{resource=\"configmaps\","
	                              "operation=\"delete\"}") >= 1);
	assert_true(value_of(m.m_buf, "k1s_store_commits_total") == commits + 2);
	assert_true(value_of(m.m_buf, "k1s_store_commit_seconds_bucket{le=\"+Inf\"}") ==
	            commits + 2);
	k1s_metrics_fini(&m);
	json_decref(o);
}

static void sources_follow_in_order(void **state)
{
	struct env *e = *state;
	struct k1s_metrics m;
	const char *store, *mod;

	whole_text(e, &m);
	store = strstr(m.m_buf, "# HELP k1s_store_commit_seconds");
	mod = strstr(m.m_buf, "# HELP k1s_mod_things_total Things a module did.\n"
	                      "# TYPE k1s_mod_things_total counter\n"
	                      "k1s_mod_things_total{kind=\"a \\\"b\\\"\"} 7\n");
	assert_non_null(store);
	assert_non_null(mod);
	assert_true(store < mod);
	k1s_metrics_fini(&m);
}

static void bad_source_is_500(void **state)
{
	struct env *e = *state;
	struct api_reply r;

	e->bad = true;
	ask(e, "GET", "/metrics", &r);
	assert_int_equal(r.code, 500);
	assert_non_null(strstr(r.body, "\"reason\":\"InternalError\""));
	assert_null(strstr(r.body, "# HELP"));
}

static void sources_are_bounded(void **state)
{
	struct env *e = *state;
	int i, err = 0;

	assert_int_equal(api_add_metrics(e->a.api, NULL, NULL), -EINVAL);
	for (i = 0; i < 32 && err == 0; i++)
		err = api_add_metrics(e->a.api, mod_metrics, e);
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(i, API_MAX_METRICS); /* one was added by setup */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(served_as_prometheus_text), T(store_writes_rise),   T(sources_follow_in_order),
	    T(bad_source_is_500),         T(sources_are_bounded),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
