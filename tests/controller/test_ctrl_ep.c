/* The Endpoints and EndpointSlice controllers over a real store. */
#include "ctrl_test.h"

static json_t *subset(const json_t *ep, size_t i)
{
	return json_array_get(json_object_get(ep, "subsets"), i);
}

/* True if the array of addresses holds ip. */
static bool has_ip(const json_t *addrs, const char *ip)
{
	size_t i;
	json_t *a;

	json_array_foreach(addrs, i, a)
		if (strcmp(k1s_json_str(a, "ip") ?: "", ip) == 0)
			return true;
	return false;
}

/* The controller's slices of a service. Caller owns. */
static json_t *slices_of(struct fx *fx, const char *svc)
{
	json_t *all = list(fx, "endpointslices.discovery.k8s.io"), *out = json_array(), *s;
	size_t i;

	json_array_foreach(all, i, s)
		if (strcmp(label(s, "kubernetes.io/service-name") ?: "", svc) == 0)
			json_array_append(out, s);
	json_decref(all);
	return out;
}

static json_t *pod(const char *name, const char *app, const char *port_name, int port)
{
	json_t *p = json_pack("{s:{s:s, s:{s:s}}, s:{s:s, s:[{s:s, s:s}]}}", "metadata", "name",
			      name, "labels", "app", app, "spec", "nodeName", NODE, "containers",
			      "name", "c", "image", "img");

	if (port_name)
		json_object_set_new(json_array_get(k1s_json_path(p, "spec.containers"), 0), "ports",
				    json_pack("[{s:s, s:i, s:s}]", "name", port_name,
					      "containerPort", port, "protocol", "TCP"));
	return p;
}

static const char *ip_of(struct fx *fx, const char *name, char *buf, size_t len)
{
	json_t *p = get(fx, "pods", name);

	snprintf(buf, len, "%s", k1s_json_str(p, "status.podIP") ?: "");
	json_decref(p);
	return buf;
}

static void ready_and_not_ready_addresses(void **state)
{
	struct fx *fx = *state;
	char ip1[32], ip2[32], ip3[32];
	json_t *ep, *ss, *a, *slices, *s, *e, *ref;
	size_t i;

	create(fx, "services", service("api-service", "api", json_integer(3000)));
	create(fx, "pods", pod("api-1", "api", NULL, 0));
	create(fx, "pods", pod("api-2", "api", NULL, 0));
	create(fx, "pods", pod("api-3", "api", NULL, 0));
	create(fx, "pods", pod("other", "web", NULL, 0));
	settle(fx);
	/* No IP yet: no addresses, but the objects exist. */
	ep = get(fx, "endpoints", "api-service");
	assert_non_null(ep);
	assert_null(json_object_get(ep, "subsets"));
	json_decref(ep);

	run_pod(fx, "api-1", true);
	run_pod(fx, "api-2", true);
	run_pod(fx, "api-3", false);
	run_pod(fx, "other", true);
	settle(fx);
	ip_of(fx, "api-1", ip1, sizeof(ip1));
	ip_of(fx, "api-2", ip2, sizeof(ip2));
	ip_of(fx, "api-3", ip3, sizeof(ip3));

	ep = get(fx, "endpoints", "api-service");
	assert_int_equal(json_array_size(json_object_get(ep, "subsets")), 1);
	ss = subset(ep, 0);
	assert_int_equal(json_array_size(json_object_get(ss, "addresses")), 2);
	assert_true(has_ip(json_object_get(ss, "addresses"), ip1));
	assert_true(has_ip(json_object_get(ss, "addresses"), ip2));
	assert_int_equal(json_array_size(json_object_get(ss, "notReadyAddresses")), 1);
	assert_true(has_ip(json_object_get(ss, "notReadyAddresses"), ip3));
	assert_int_equal(json_array_size(json_object_get(ss, "ports")), 1);
	assert_int_equal(ctrl_int(json_array_get(json_object_get(ss, "ports"), 0), "port", 0),
			 3000);
	assert_string_equal(
		k1s_json_str(json_array_get(json_object_get(ss, "ports"), 0), "protocol"), "TCP");
	json_array_foreach(json_object_get(ss, "addresses"), i, a) {
		json_t *p;

		assert_string_equal(k1s_json_str(a, "nodeName"), NODE);
		assert_string_equal(k1s_json_str(a, "targetRef.kind"), "Pod");
		assert_string_equal(k1s_json_str(a, "targetRef.namespace"), NS);
		p = get(fx, "pods", k1s_json_str(a, "targetRef.name"));
		assert_non_null(p);
		assert_string_equal(k1s_json_str(a, "targetRef.uid"), k1s_json_str(p, "metadata.uid"));
		json_decref(p);
	}
	json_decref(ep);

	slices = slices_of(fx, "api-service");
	assert_int_equal(json_array_size(slices), 1);
	s = json_array_get(slices, 0);
	assert_int_equal(strncmp(k1s_json_str(s, "metadata.name"), "api-service-", 12), 0);
	assert_int_equal(strlen(k1s_json_str(s, "metadata.name")), 12 + 5);
	assert_string_equal(label(s, "endpointslice.kubernetes.io/managed-by"),
			    "endpointslice-controller.k8s.io");
	assert_string_equal(k1s_json_str(s, "addressType"), "IPv4");
	ref = json_array_get(k1s_json_path(s, "metadata.ownerReferences"), 0);
	assert_string_equal(k1s_json_str(ref, "kind"), "Service");
	assert_string_equal(k1s_json_str(ref, "name"), "api-service");
	assert_true(json_is_true(json_object_get(ref, "controller")));
	assert_int_equal(json_array_size(json_object_get(s, "endpoints")), 3);
	assert_int_equal(ctrl_int(json_array_get(json_object_get(s, "ports"), 0), "port", 0), 3000);
	assert_string_equal(k1s_json_str(json_array_get(json_object_get(s, "ports"), 0), "name"),
			    "");
	json_array_foreach(json_object_get(s, "endpoints"), i, e) {
		const char *ip = json_string_value(json_array_get(json_object_get(e, "addresses"), 0));
		bool ready = strcmp(ip, ip3) != 0;

		assert_true(json_is_boolean(k1s_json_path(e, "conditions.ready")));
		assert_int_equal(json_is_true(k1s_json_path(e, "conditions.ready")), ready);
		assert_int_equal(json_is_true(k1s_json_path(e, "conditions.serving")), ready);
		assert_true(json_is_false(k1s_json_path(e, "conditions.terminating")));
		assert_string_equal(k1s_json_str(e, "nodeName"), NODE);
		assert_string_equal(k1s_json_str(e, "targetRef.kind"), "Pod");
	}
	json_decref(slices);
}

static void named_target_port_per_pod(void **state)
{
	struct fx *fx = *state;
	char ip1[32], ip2[32], ip3[32];
	json_t *ep, *ss, *slices;
	size_t i;
	int seen = 0;

	create(fx, "services", service("web", "web", json_string("http")));
	create(fx, "pods", pod("web-1", "web", "http", 8080));
	create(fx, "pods", pod("web-2", "web", "http", 9090));
	create(fx, "pods", pod("web-3", "web", "metrics", 9100));
	settle(fx);
	run_pod(fx, "web-1", true);
	run_pod(fx, "web-2", true);
	run_pod(fx, "web-3", true);
	settle(fx);
	ip_of(fx, "web-1", ip1, sizeof(ip1));
	ip_of(fx, "web-2", ip2, sizeof(ip2));
	ip_of(fx, "web-3", ip3, sizeof(ip3));

	ep = get(fx, "endpoints", "web");
	assert_int_equal(json_array_size(json_object_get(ep, "subsets")), 2);
	json_array_foreach(json_object_get(ep, "subsets"), i, ss) {
		int64_t port = ctrl_int(json_array_get(json_object_get(ss, "ports"), 0), "port", 0);
		json_t *addrs = json_object_get(ss, "addresses");

		assert_int_equal(json_array_size(addrs), 1);
		assert_false(has_ip(addrs, ip3));
		if (port == 8080) {
			seen |= 1;
			assert_true(has_ip(addrs, ip1));
		} else if (port == 9090) {
			seen |= 2;
			assert_true(has_ip(addrs, ip2));
		} else {
			fail_msg("unexpected port %lld", (long long)port);
		}
	}
	assert_int_equal(seen, 3);
	json_decref(ep);
	slices = slices_of(fx, "web");
	assert_int_equal(json_array_size(slices), 2);
	json_decref(slices);
}

static void publish_not_ready_addresses(void **state)
{
	struct fx *fx = *state;
	json_t *svc = service("db", "db", json_integer(5432)), *ep, *slices, *e;

	json_object_set_new(json_object_get(svc, "spec"), "publishNotReadyAddresses", json_true());
	json_object_set_new(json_object_get(svc, "spec"), "clusterIP", json_string("None"));
	create(fx, "services", svc);
	create(fx, "pods", pod("db-0", "db", NULL, 0));
	settle(fx);
	run_pod(fx, "db-0", false);
	settle(fx);
	ep = get(fx, "endpoints", "db");
	assert_int_equal(json_array_size(json_object_get(subset(ep, 0), "addresses")), 1);
	assert_null(json_object_get(subset(ep, 0), "notReadyAddresses"));
	/* Headless services are labelled so. */
	assert_non_null(label(ep, "service.kubernetes.io/headless"));
	json_decref(ep);
	slices = slices_of(fx, "db");
	e = json_array_get(json_object_get(json_array_get(slices, 0), "endpoints"), 0);
	assert_true(json_is_true(k1s_json_path(e, "conditions.ready")));
	assert_true(json_is_false(k1s_json_path(e, "conditions.serving")));
	json_decref(slices);
}

static void selectorless_service_is_left_alone(void **state)
{
	struct fx *fx = *state;
	json_t *svc = service("ext", "x", json_integer(5432)), *ep, *slices;
	const char *rv;
	char rvb[32];

	json_object_del(json_object_get(svc, "spec"), "selector");
	create(fx, "services", svc);
	create(fx, "endpoints",
	       json_pack("{s:{s:s}, s:[{s:[{s:s}], s:[{s:i, s:s}]}]}", "metadata", "name", "ext",
			 "subsets", "addresses", "ip", "192.168.1.50", "ports", "port", 5432,
			 "protocol", "TCP"));
	ep = get(fx, "endpoints", "ext");
	snprintf(rvb, sizeof(rvb), "%s", k1s_json_str(ep, "metadata.resourceVersion"));
	json_decref(ep);
	create(fx, "pods", pod("x-1", "x", NULL, 0));
	settle(fx);
	run_pod(fx, "x-1", true);
	settle(fx);
	ep = get(fx, "endpoints", "ext");
	rv = k1s_json_str(ep, "metadata.resourceVersion");
	assert_string_equal(rv, rvb);
	assert_true(has_ip(json_object_get(subset(ep, 0), "addresses"), "192.168.1.50"));
	json_decref(ep);
	slices = slices_of(fx, "ext");
	assert_int_equal(json_array_size(slices), 0);
	json_decref(slices);
}

static void deleted_pod_leaves_endpoints(void **state)
{
	struct fx *fx = *state;
	json_t *pods, *ep, *slices, *e;
	char gone[256], gone_ip[32];
	size_t i;
	int terminating = 0;

	create(fx, "deployments.apps", deployment("api", 3, "my-api:1.0"));
	create(fx, "services", service("api-service", "api", json_integer(3000)));
	settle(fx);
	run_new_pods(fx, "api", true, 100);
	settle(fx);
	ep = get(fx, "endpoints", "api-service");
	assert_int_equal(json_array_size(json_object_get(subset(ep, 0), "addresses")), 3);
	json_decref(ep);

	pods = live_pods(fx, "api");
	snprintf(gone, sizeof(gone), "%s", k1s_json_str(json_array_get(pods, 0), "metadata.name"));
	ip_of(fx, gone, gone_ip, sizeof(gone_ip));
	json_decref(pods);
	/* kubectl delete pod: graceful, the pod is terminating. */
	assert_int_equal(fx->fw.w.remove(&fx->fw, res_of("pods"), NS, gone, NULL, -1), 0);
	settle(fx);
	ep = get(fx, "endpoints", "api-service");
	assert_false(has_ip(json_object_get(subset(ep, 0), "addresses"), gone_ip));
	assert_false(has_ip(json_object_get(subset(ep, 0), "notReadyAddresses"), gone_ip));
	json_decref(ep);
	slices = slices_of(fx, "api-service");
	json_array_foreach(json_object_get(json_array_get(slices, 0), "endpoints"), i, e)
		if (json_is_true(k1s_json_path(e, "conditions.terminating"))) {
			terminating++;
			assert_true(json_is_false(k1s_json_path(e, "conditions.ready")));
		}
	assert_int_equal(terminating, 1);
	json_decref(slices);

	/* The replacement runs with a new IP; the old pod is gone. */
	finish_terminating(fx);
	run_new_pods(fx, "api", true, 100);
	settle(fx);
	ep = get(fx, "endpoints", "api-service");
	assert_int_equal(json_array_size(json_object_get(subset(ep, 0), "addresses")), 3);
	assert_false(has_ip(json_object_get(subset(ep, 0), "addresses"), gone_ip));
	json_decref(ep);
	slices = slices_of(fx, "api-service");
	assert_int_equal(json_array_size(json_object_get(json_array_get(slices, 0), "endpoints")),
			 3);
	json_decref(slices);
}

static void service_deletion_removes_endpoints(void **state)
{
	struct fx *fx = *state;
	json_t *slices, *ep;
	int64_t rev;

	create(fx, "services", service("api-service", "api", json_integer(3000)));
	create(fx, "pods", pod("api-1", "api", NULL, 0));
	settle(fx);
	run_pod(fx, "api-1", true);
	settle(fx);
	/* Settled: another pass writes nothing. */
	rev = st_rev(fx->st);
	ctrl_mark(fx->c, CTRL_Q_SVC, NS, "api-service");
	settle(fx);
	assert_int_equal(st_rev(fx->st), rev);

	assert_int_equal(st_delete(fx->st, "services", NS, "api-service", 0, NULL), 0);
	settle(fx);
	ep = get(fx, "endpoints", "api-service");
	assert_null(ep);
	slices = slices_of(fx, "api-service");
	assert_int_equal(json_array_size(slices), 0);
	json_decref(slices);
}

static void many_endpoints_split_slices(void **state)
{
	struct fx *fx = *state;
	json_t *slices, *s;
	size_t i, total = 0;

	create(fx, "services", service("api-service", "api", json_integer(3000)));
	create(fx, "deployments.apps", deployment("api", 150, "my-api:1.0"));
	settle(fx);
	run_new_pods(fx, "api", true, 1000);
	settle(fx);
	slices = slices_of(fx, "api-service");
	assert_int_equal(json_array_size(slices), 2);
	json_array_foreach(slices, i, s) {
		assert_true(json_array_size(json_object_get(s, "endpoints")) <= 100);
		total += json_array_size(json_object_get(s, "endpoints"));
	}
	assert_int_equal(total, 150);
	json_decref(slices);
}

/* Another module's follower: keeps every Service and Endpoints it is
 * given, as the store hands it out, by "resource/name". */
static void keep_given(void *arg, const char *res, const json_t *obj, bool deleted)
{
	char key[600];

	snprintf(key, sizeof(key), "%s/%s", res, k1s_json_str(obj, "metadata.name") ?: "");
	if (deleted)
		json_object_del(arg, key);
	else
		json_object_set(arg, key, (json_t *)obj);
}

static const struct st_follow_ops keep_ops = {NULL, keep_given, NULL};

/* Fails unless every tree `given` holds has `held` references, those of
 * the store's table and of the test: nobody else, the controllers
 * included, keeps one. */
static void held_by_none(const json_t *given, size_t held)
{
	const char *k;
	json_t *o;

	json_object_foreach((json_t *)given, k, o)
		if (o->refcount != held)
			fail_msg("%s: %zu references, %zu expected", k, (size_t)o->refcount, held);
}

/* The store hands every module the same tree of a Service; a module that
 * kept it would keep all 10,000 alive. The controllers read a Service and
 * its Endpoints from the store when the Service syncs and keep only its
 * selector, through writes, a relist after compaction, and a deletion. */
static void service_trees_are_not_kept(void **state)
{
	static const char *const res[] = {"services", "endpoints", NULL};
	struct fx *fx = *state;
	struct st_follower other;
	json_t *given = json_object(), *ep;
	char name[32], rvb[32];
	size_t held;

	st_follow_init(&other, fx->st, "other", res, &keep_ops, given);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "svc-%d", i);
		create(fx, "services", service(name, name, json_integer(3000)));
	}
	create(fx, "pods", pod("svc-0-a", "svc-0", NULL, 0));
	/* A Service without a selector, with its user's Endpoints. */
	ep = service("ext", "x", json_integer(5432));
	json_object_del(json_object_get(ep, "spec"), "selector");
	create(fx, "services", ep);
	create(fx, "endpoints",
	       json_pack("{s:{s:s}, s:[{s:[{s:s}], s:[{s:i, s:s}]}]}", "metadata", "name", "ext",
			 "subsets", "addresses", "ip", "192.168.1.50", "ports", "port", 5432,
			 "protocol", "TCP"));
	assert_int_equal(st_follow(&other), 0);
	/* Before the controllers see them: the table's reference and ours. */
	held = json_object_get(given, "services/svc-0")->refcount;

	settle(fx);
	run_pod(fx, "svc-0-a", true);
	settle(fx);
	assert_int_equal(st_follow(&other), 0);
	assert_int_equal(json_object_size(given), 2 * 21);
	held_by_none(given, held);
	ep = get(fx, "endpoints", "svc-0");
	assert_int_equal(json_array_size(json_object_get(subset(ep, 0), "addresses")), 1);
	snprintf(rvb, sizeof(rvb), "%s", k1s_json_str(ep, "metadata.resourceVersion"));
	json_decref(ep);

	/* Compaction: the controllers list everything again, rewrite
	 * nothing, and keep nothing they were given. */
	create(fx, "configmaps", json_pack("{s:{s:s}}", "metadata", "name", "tick"));
	assert_int_equal(st_compact(fx->st, 0), 0);
	settle(fx);
	held_by_none(given, held);
	ep = get(fx, "endpoints", "svc-0");
	assert_string_equal(k1s_json_str(ep, "metadata.resourceVersion"), rvb);
	json_decref(ep);

	/* The selector they kept still finds the Service of a new pod. */
	create(fx, "pods", pod("svc-0-b", "svc-0", NULL, 0));
	settle(fx);
	run_pod(fx, "svc-0-b", true);
	settle(fx);
	ep = get(fx, "endpoints", "svc-0");
	assert_int_equal(json_array_size(json_object_get(subset(ep, 0), "addresses")), 2);
	json_decref(ep);
	assert_int_equal(st_follow(&other), 0);
	held_by_none(given, held);
	json_decref(given);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ready_and_not_ready_addresses, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(named_target_port_per_pod, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(publish_not_ready_addresses, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(selectorless_service_is_left_alone, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(deleted_pod_leaves_endpoints, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(service_deletion_removes_endpoints, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(many_endpoints_split_slices, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(service_trees_are_not_kept, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("controller", tests, NULL, NULL);
}
