/* /livez, /readyz and /healthz as kube-apiserver serves them
 * (k8s.io/apiserver/pkg/server/healthz/healthz.go): plain text, `ok`, or
 * with ?verbose one `[+]name ok` line per check and `NAME check passed`;
 * a failing check makes a 500 that lists every check, its reason
 * withheld, and ends `NAME check failed`. ?exclude=name skips a check;
 * /readyz/NAME runs one check and does show its reason.
 *
 * The checks: ping, log and etcd (the store) as kube-apiserver names
 * them, then one per module that api_add_check() gave (controllers,
 * pods, dataplane, dns), then, on /readyz only, shutdown. The module
 * checks are on all three, as kube-apiserver's post-start hooks are. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "k1s_err.h"
#include "k1s_log.h"
#include "st.h"

/* Enough for any query a client means; more exclude values are ignored. */
#define API_MAX_EXCLUDE 32

struct health_check {
	const char *name;
	api_check_fn fn;
	void *arg;
};

static const char *check_ping(void *arg)
{
	return NULL;
}

/* kube-apiserver's fails when klog cannot flush; ours when a line could
 * not be written. */
static const char *check_log(void *arg)
{
	struct api *api = arg;
	int err = k1s_log_write_error();

	if (!err)
		return NULL;
	snprintf(api->check_why, sizeof(api->check_why), "logging failed: %s", strerror(err));
	return api->check_why;
}

/* The store answers a read (kube-apiserver's etcd check does the same of
 * etcd). */
static const char *check_etcd(void *arg)
{
	struct api *api = arg;
	json_t *obj = NULL;
	int err = st_get(api->st, "namespaces", "", "default", &obj);

	json_decref(obj);
	if (err == 0 || err == -ENOENT)
		return NULL;
	snprintf(api->check_why, sizeof(api->check_why), "the store cannot be read: %s",
		 k1s_strerror(err));
	return api->check_why;
}

/* kube-apiserver's readyz check once it is told to terminate. */
static const char *check_shutdown(void *arg)
{
	struct api *api = arg;

	return api->shutting_down ? "process is shutting down" : NULL;
}

/* The checks of one endpoint, in the order they are listed. */
static size_t checks_of(struct api *api, bool readyz, struct health_check *out)
{
	size_t n = 0;

	out[n++] = (struct health_check){"ping", check_ping, api};
	out[n++] = (struct health_check){"log", check_log, api};
	out[n++] = (struct health_check){"etcd", check_etcd, api};
	for (int i = 0; i < api->nchecks; i++)
		out[n++] = (struct health_check){api->checks[i].name, api->checks[i].fn,
						 api->checks[i].arg};
	if (readyz)
		out[n++] = (struct health_check){"shutdown", check_shutdown, api};
	return n;
}

struct health_query {
	bool verbose;
	const char *exclude[API_MAX_EXCLUDE];
	bool matched[API_MAX_EXCLUDE];
	size_t nexclude;
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct health_query *q = cls;

	/* Present at all counts, as Go's r.URL.Query()["verbose"]. */
	if (strcmp(key, "verbose") == 0)
		q->verbose = true;
	if (strcmp(key, "exclude") == 0 && q->nexclude < API_MAX_EXCLUDE) {
		value = value ? value : "";
		for (size_t i = 0; i < q->nexclude; i++)
			if (strcmp(q->exclude[i], value) == 0)
				return MHD_YES;	/* a set, as sets.NewString */
		q->exclude[q->nexclude++] = value;
	}
	return MHD_YES;
}

static bool excluded(struct health_query *q, const char *name)
{
	for (size_t i = 0; i < q->nexclude; i++)
		if (!q->matched[i] && strcmp(q->exclude[i], name) == 0) {
			q->matched[i] = true;
			return true;
		}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int reply_text(struct api_req *req, unsigned code, const char *text, size_t len,
		      bool nosniff)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	int ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
	if (nosniff)
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	ret = api_queue(req, code, resp);
	return ret;
}

/* handleRootHealth. */
static void answer_all(struct api_req *req, const char *endpoint, struct health_check *checks,
		       size_t n)
{
	struct health_query q = {.verbose = false};
	const char *names[API_MAX_EXCLUDE];
	char *out = NULL;
	size_t len = 0, nleft = 0;
	FILE *f = open_memstream(&out, &len);
	bool failed = false;

	if (!f) {
		reply_text(req, 500, "internal server error\n", 22, true);
		return;
	}
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_query, &q);
	for (size_t i = 0; i < n; i++) {
		const char *why;

		if (excluded(&q, checks[i].name)) {
			fprintf(f, "[+]%s excluded: ok\n", checks[i].name);
			continue;
		}
		why = checks[i].fn(checks[i].arg);
		if (why) {
			/* The endpoint is public: the reason goes to the log only. */
			fprintf(f, "[-]%s failed: reason withheld\n", checks[i].name);
			k1s_debug("api", "%s check failed: %s: %s", endpoint, checks[i].name, why);
			failed = true;
		} else {
			fprintf(f, "[+]%s ok\n", checks[i].name);
		}
	}
	for (size_t i = 0; i < q.nexclude; i++)
		if (!q.matched[i])
			names[nleft++] = q.exclude[i];
	if (nleft) {
		/* sets.String.List() is sorted; formatQuoted uses %q. */
		qsort(names, nleft, sizeof(names[0]), cmp_str);
		fputs("warn: some health checks cannot be excluded: no matches for ", f);
		for (size_t i = 0; i < nleft; i++) {
			char quoted[600];

			api_go_quote(quoted, sizeof(quoted), names[i]);
			fprintf(f, "%s%s", i ? "," : "", quoted);
		}
		fputc('\n', f);
	}
	/* Verbose on failure always; http.Error ends the text with a newline. */
	if (failed)
		fprintf(f, "%s check failed\n", endpoint);
	else if (q.verbose)
		fprintf(f, "%s check passed\n", endpoint);
	if (fclose(f) != 0) {
		free(out);
		reply_text(req, 500, "internal server error\n", 22, true);
		return;
	}
	if (failed || q.verbose)
		reply_text(req, failed ? 500 : 200, out, len, true);
	else
		reply_text(req, 200, "ok", 2, true);
	free(out);
}

/* adaptCheckToHandler: the one check, its reason shown. */
static void answer_one(struct api_req *req, const struct health_check *c)
{
	const char *why = c->fn(c->arg);
	char text[512];
	int n;

	if (!why) {
		reply_text(req, 200, "ok", 2, false);
		return;
	}
	n = snprintf(text, sizeof(text), "internal server error: %s\n", why);
	reply_text(req, 500, text, n < (int)sizeof(text) ? (size_t)n : sizeof(text) - 1, true);
}

int api_health_handle(struct api_req *req, const char *path)
{
	static const char *const endpoints[] = {"livez", "readyz", "healthz"};
	struct health_check checks[API_MAX_CHECKS + 4];

	if (*path++ != '/')
		return 0;
	for (size_t e = 0; e < sizeof(endpoints) / sizeof(endpoints[0]); e++) {
		size_t len = strlen(endpoints[e]), n;

		if (strncmp(path, endpoints[e], len) != 0 || (path[len] && path[len] != '/'))
			continue;
		n = checks_of(req->api, e == 1, checks);
		if (!path[len]) {
			answer_all(req, endpoints[e], checks, n);
			return 1;
		}
		/* /readyz/NAME; anything else under it is not found. */
		for (size_t i = 0; i < n; i++)
			if (strcmp(path + len + 1, checks[i].name) == 0) {
				answer_one(req, &checks[i]);
				return 1;
			}
		return 0;
	}
	return 0;
}

int api_add_check(struct api *api, const char *name, api_check_fn fn, void *arg)
{
	struct api_check *c;

	if (api->nchecks == API_MAX_CHECKS)
		return -ENOSPC;
	c = &api->checks[api->nchecks++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->fn = fn;
	c->arg = arg;
	return 0;
}

void api_shutdown_begin(struct api *api)
{
	api->shutting_down = true;
}
