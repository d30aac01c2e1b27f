/* /k1s/flows over real HTTP, with rings of the test's own in place of the
 * modules': the FlowList in order with pods named from the store, each
 * module's fields, the filters and limit, a watch after a
 * resourceVersion, 410 Expired past a ring's drops, 429 past the watch
 * limit, and 400 Statuses for bad queries. */
#include <arpa/inet.h>
#include <errno.h>
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
#include "k1s_flow.h"
#include "st.h"
#include "../fakes/api_ask.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

struct env {
	struct api_env a;
	struct k1s_flow_ring *dp, *dns, *small;
	uint64_t first;		/* the sequence number before the test's records */
};

static void put_pod(struct env *e, const char *ns, const char *name, const char *ip)
{
	json_t *pod = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "v1", "kind",
				"Pod", "metadata", "name", name, "namespace", ns, "status",
				"podIP", ip);

	assert_int_equal(st_create(e->a.st, "pods", ns, name, pod), 0);
	json_decref(pod);
}

static void put_dp(struct env *e, uint32_t src, bool denied, const char *policies)
{
	struct k1s_flow f = {.proto = 6, .src = src, .sport = 40000, .dst = IP(10, 96, 0, 20),
			     .dport = 80, .ep = IP(10, 244, 0, 8), .ep_port = 3000,
			     .sent = 120, .received = 4567, .denied = denied};

	K1S_FLOW_SET(f.service, "x/api");
	K1S_FLOW_SET(f.policies, policies);
	k1s_flow_put(e->dp, &f);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct k1s_flow f = {.proto = 17, .src = IP(10, 244, 0, 7), .sport = 5353,
			     .dst = IP(10, 96, 0, 10), .dport = 53, .qtype = 1, .code = 0};

	api_env_open(&e->a, "/tmp/k1s-flows-XXXXXX");
	e->dp = k1s_flow_ring_new("dataplane", 64);
	e->dns = k1s_flow_ring_new("dns", 64);
	e->small = k1s_flow_ring_new("policy", 4);
	assert_int_equal(api_add_flows(e->a.api, e->dp), 0);
	assert_int_equal(api_add_flows(e->a.api, e->dns), 0);
	assert_int_equal(api_add_flows(e->a.api, NULL), 0);
	assert_int_equal(api_listen(e->a.api), 0);
	put_pod(e, "x", "client", "10.244.0.7");
	put_pod(e, "x", "api-1", "10.244.0.8");
	e->first = k1s_flow_last_seq();
	/* dataplane from the pod, dns from the pod, dataplane denied from
	 * outside, in this order. */
	put_dp(e, IP(10, 244, 0, 7), false, "");
	K1S_FLOW_SET(f.name, "api.x.svc.cluster.local.");
	K1S_FLOW_SET(f.detail, "10.96.0.20");
	k1s_flow_put(e->dns, &f);
	put_dp(e, IP(192, 0, 2, 1), true, "x/deny-all x/other");
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	api_env_close(&e->a);
	k1s_flow_ring_free(e->dp);
	k1s_flow_ring_free(e->dns);
	k1s_flow_ring_free(e->small);
	free(e);
	return 0;
}

static void ask(struct env *e, const char *method, const char *path, struct api_reply *r)
{
	static char req[8192];
	int fd = api_env_dial(&e->a);

	assert_true(fd >= 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: x\r\n\r\n", method, path);
	api_ask(e->a.api, fd, req, r);
}

static json_t *items(struct env *e, const char *path)
{
	struct api_reply r;
	json_t *j, *it;

	ask(e, "GET", path, &r);
	assert_int_equal(r.code, 200);
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "FlowList");
	it = json_incref(json_object_get(j, "items"));
	json_decref(j);
	return it;
}

static const char *str(const json_t *o, const char *path)
{
	char buf[128], *p, *save = NULL;
	const json_t *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p && v; p = strtok_r(NULL, ".", &save))
		v = json_object_get(v, p);
	return json_string_value(v);
}

static json_int_t num(const json_t *o, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(o, a), b));
}

static void list_in_order_with_pods_named(void **state)
{
	struct env *e = *state;
	json_t *it = items(e, "/k1s/flows"), *dp, *dns, *den;
	char seq[24];

	assert_int_equal(json_array_size(it), 3);
	dp = json_array_get(it, 0);
	dns = json_array_get(it, 1);
	den = json_array_get(it, 2);
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)e->first + 1);
	assert_string_equal(str(dp, "metadata.resourceVersion"), seq);
	assert_string_equal(str(dp, "kind"), "Flow");
	assert_string_equal(str(dp, "module"), "dataplane");
	assert_string_equal(str(dp, "protocol"), "TCP");
	assert_string_equal(str(dp, "source.ip"), "10.244.0.7");
	assert_string_equal(str(dp, "source.pod"), "client");
	assert_string_equal(str(dp, "source.namespace"), "x");
	assert_int_equal(num(dp, "source", "port"), 40000);
	assert_string_equal(str(dp, "destination.ip"), "10.96.0.20");
	assert_null(json_object_get(json_object_get(dp, "destination"), "pod"));
	assert_string_equal(str(dp, "service.namespace"), "x");
	assert_string_equal(str(dp, "service.name"), "api");
	assert_string_equal(str(dp, "endpoint.pod"), "api-1");
	assert_int_equal(num(dp, "endpoint", "port"), 3000);
	assert_int_equal(num(dp, "bytes", "sent"), 120);
	assert_int_equal(num(dp, "bytes", "received"), 4567);
	assert_string_equal(str(dp, "verdict"), "Allowed");
	assert_null(json_object_get(dp, "policies"));
	assert_non_null(strchr(str(dp, "time"), '.'));

	assert_string_equal(str(dns, "module"), "dns");
	assert_string_equal(str(dns, "protocol"), "UDP");
	assert_string_equal(str(dns, "dns.name"), "api.x.svc.cluster.local.");
	assert_string_equal(str(dns, "dns.type"), "A");
	assert_string_equal(str(dns, "dns.rcode"), "NOERROR");
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(dns, "dns"), "answers"), 0)),
			    "10.96.0.20");
	assert_null(json_object_get(dns, "bytes"));

	assert_string_equal(str(den, "verdict"), "Denied");
	assert_null(json_object_get(json_object_get(den, "source"), "pod"));
	assert_int_equal(json_array_size(json_object_get(den, "policies")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(den, "policies"), 1)),
			    "x/other");
	json_decref(it);
}

static void filters_and_limit(void **state)
{
	struct env *e = *state;
	json_t *it;

	it = items(e, "/k1s/flows?verdict=Denied");
	assert_int_equal(json_array_size(it), 1);
	assert_string_equal(str(json_array_get(it, 0), "verdict"), "Denied");
	json_decref(it);
	it = items(e, "/k1s/flows?module=dns");
	assert_int_equal(json_array_size(it), 1);
	json_decref(it);
	/* The denied one has no pod at its source, but its endpoint is x's. */
	it = items(e, "/k1s/flows?namespace=x");
	assert_int_equal(json_array_size(it), 3);
	json_decref(it);
	it = items(e, "/k1s/flows?namespace=y");
	assert_int_equal(json_array_size(it), 0);
	json_decref(it);
	it = items(e, "/k1s/flows?pod=client");
	assert_int_equal(json_array_size(it), 2);
	json_decref(it);
	it = items(e, "/k1s/flows?limit=2");
	assert_int_equal(json_array_size(it), 2);
	assert_string_equal(str(json_array_get(it, 0), "module"), "dns");
	json_decref(it);
	it = items(e, "/k1s/flows?limit=1&module=dataplane&verdict=Allowed");
	assert_int_equal(json_array_size(it), 1);
	assert_string_equal(str(json_array_get(it, 0), "source.pod"), "client");
	json_decref(it);
}

static void assert_bad(struct env *e, const char *path, int code, const char *reason,
		       const char *message)
{
	struct api_reply r;
	json_t *j;

	ask(e, "GET", path, &r);
	assert_int_equal(r.code, code);
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(str(j, "kind"), "Status");
	assert_string_equal(str(j, "reason"), reason);
	assert_string_equal(str(j, "message"), message);
	assert_int_equal(json_integer_value(json_object_get(j, "code")), code);
	json_decref(j);
}

static void bad_queries_get_400(void **state)
{
	struct env *e = *state;
	struct api_reply r;

	assert_bad(e, "/k1s/flows?verdict=maybe", 400, "BadRequest",
		   "invalid value \"maybe\" for verdict: must be Allowed or Denied");
	assert_bad(e, "/k1s/flows?module=kernel", 400, "BadRequest",
		   "invalid value \"kernel\" for module: must be dataplane, ingress, dns or "
		   "policy");
	assert_bad(e, "/k1s/flows?limit=ten", 400, "BadRequest",
		   "invalid value \"ten\" for limit: must be a non-negative integer");
	assert_bad(e, "/k1s/flows?namespace=Not_A_Name", 400, "BadRequest",
		   "invalid value \"Not_A_Name\" for namespace: not a namespace's name (RFC 1123 "
		   "label)");
	assert_bad(e, "/k1s/flows?watch=maybe", 400, "BadRequest",
		   "invalid value \"maybe\" for watch: must be true or false");
	assert_bad(e, "/k1s/flows?watch=1&resourceVersion=-3", 400, "BadRequest",
		   "invalid resource version \"-3\"");
	assert_bad(e, "/k1s/flows?timeoutSeconds=99999999999999999999999", 400, "BadRequest",
		   "invalid value \"99999999999999999999999\" for timeoutSeconds: must be a "
		   "non-negative integer");
	ask(e, "POST", "/k1s/flows", &r);
	assert_int_equal(r.code, 405);
}

/* The lines of a watch that ends after a second. */
static void watch_lines(struct env *e, const char *query, json_t **lines, size_t *n)
{
	char path[256], *p, *save = NULL;
	struct api_reply r;

	snprintf(path, sizeof(path), "/k1s/flows?watch=true&timeoutSeconds=1%s", query);
	ask(e, "GET", path, &r);
	assert_int_equal(r.code, 200);
	*n = 0;
	for (p = strtok_r(r.body, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
		lines[*n] = json_loads(p, 0, NULL);
		assert_non_null(lines[*n]);
		(*n)++;
	}
}

static void watch_after_a_version(void **state)
{
	struct env *e = *state;
	json_t *l[16];
	char q[64];
	size_t n;

	snprintf(q, sizeof(q), "&resourceVersion=%llu", (unsigned long long)e->first + 1);
	watch_lines(e, q, l, &n);
	assert_int_equal(n, 2);
	assert_string_equal(str(l[0], "type"), "ADDED");
	assert_string_equal(str(l[0], "object.module"), "dns");
	assert_string_equal(str(l[1], "object.verdict"), "Denied");
	for (size_t i = 0; i < n; i++)
		json_decref(l[i]);
	/* No version: what the rings hold; filtered as the list is. */
	watch_lines(e, "&verdict=Allowed", l, &n);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(str(l[i], "object.verdict"), "Allowed");
		json_decref(l[i]);
	}
}

static void watch_past_drops_is_410(void **state)
{
	struct env *e = *state;
	struct k1s_flow f = {.proto = 6, .denied = true};
	json_t *l[16];
	char q[64], msg[128];
	size_t n;
	uint64_t from = k1s_flow_last_seq();

	assert_int_equal(api_add_flows(e->a.api, e->small), 0);
	for (int i = 0; i < 6; i++)
		k1s_flow_put(e->small, &f);
	snprintf(q, sizeof(q), "&resourceVersion=%llu", (unsigned long long)from);
	watch_lines(e, q, l, &n);
	assert_int_equal(n, 1);
	assert_string_equal(str(l[0], "type"), "ERROR");
	assert_string_equal(str(l[0], "object.kind"), "Status");
	assert_string_equal(str(l[0], "object.reason"), "Expired");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(l[0], "object"),
							    "code")),
			 410);
	snprintf(msg, sizeof(msg), "too old resource version: %llu (%llu)",
		 (unsigned long long)from, (unsigned long long)from + 3);
	assert_string_equal(str(l[0], "object.message"), msg);
	json_decref(l[0]);
	/* The records still held are watched from the newest dropped on. */
	snprintf(q, sizeof(q), "&resourceVersion=%llu", (unsigned long long)from + 2);
	watch_lines(e, q, l, &n);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		json_decref(l[i]);
}

/* A client's host and path are written escaped: quotes, backslashes,
 * control bytes and bytes past ASCII (as \u00XX), so every line parses. */
static void client_strings_are_escaped(void **state)
{
	struct env *e = *state;
	struct k1s_flow_ring *ing = k1s_flow_ring_new("ingress", 4);
	struct k1s_flow f = {.proto = 6, .src = IP(192, 0, 2, 9), .dport = 80, .code = 404};
	json_t *it, *h;

	assert_int_equal(api_add_flows(e->a.api, ing), 0);
	K1S_FLOW_SET(f.name, "a\"b\\c\x01\xff.example");
	K1S_FLOW_SET(f.detail, "GET /p?q=\"x\"\t\xc3\xa9");
	k1s_flow_put(ing, &f);
	it = items(e, "/k1s/flows?module=ingress");
	assert_int_equal(json_array_size(it), 1);
	h = json_object_get(json_array_get(it, 0), "http");
	assert_string_equal(str(h, "method"), "GET");
	assert_string_equal(str(h, "host"), "a\"b\\c\x01\xc3\xbf.example");
	assert_string_equal(str(h, "path"), "/p?q=\"x\"\t\xc3\x83\xc2\xa9");
	assert_int_equal(json_integer_value(json_object_get(h, "status")), 404);
	assert_null(json_object_get(json_array_get(it, 0), "service"));
	json_decref(it);
	k1s_flow_ring_free(ing);	/* the API reads rings only when asked */
}

static void too_many_watches_is_429(void **state)
{
	struct env *e = *state;
	const char *req = "GET /k1s/flows?watch=true&timeoutSeconds=30 HTTP/1.0\r\n\r\n";
	int fds[API_FLOWS_WATCHES];

	for (int i = 0; i < API_FLOWS_WATCHES; i++) {
		fds[i] = api_env_dial(&e->a);
		assert_true(fds[i] >= 0);
		assert_int_equal(send(fds[i], req, strlen(req), 0), (ssize_t)strlen(req));
	}
	for (int i = 0; i < 200 && api_flows_watching(e->a.api) < API_FLOWS_WATCHES; i++) {
		api_run(e->a.api);
		usleep(5000);
	}
	assert_int_equal(api_flows_watching(e->a.api), API_FLOWS_WATCHES);
	assert_bad(e, "/k1s/flows?watch=true", 429, "TooManyRequests",
		   "too many flow watches: the limit is 16");
	for (int i = 0; i < API_FLOWS_WATCHES; i++)
		close(fds[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(list_in_order_with_pods_named, setup, teardown),
		cmocka_unit_test_setup_teardown(filters_and_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_queries_get_400, setup, teardown),
		cmocka_unit_test_setup_teardown(watch_after_a_version, setup, teardown),
		cmocka_unit_test_setup_teardown(watch_past_drops_is_410, setup, teardown),
		cmocka_unit_test_setup_teardown(too_many_watches_is_429, setup, teardown),
		cmocka_unit_test_setup_teardown(client_strings_are_escaped, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
