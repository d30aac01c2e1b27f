/* The module over a real store (enforce false: the evaluator alone):
 * pol_check answers change once a pass follows a new policy, a pod's
 * labels, a namespace's labels, a pod's named port, a deleted policy; pol_admit_pod makes a
 * pod known before the store has its address; explain names the policy
 * and rule that allowed; proxy drops are counted per policy; readers on
 * other threads keep checking while views are replaced; a Service's
 * fronts and the compiled policies, kept across views, follow their
 * objects; the module keeps no Service or Endpoints tree. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "k1s_loop.h"
#include "pol.h"
#include "pol_int.h"
#include "st.h"

struct fx {
	char dir[64];
	struct st *st;
	struct k1s_loop *loop;
	struct pol *pol;
};

#define X_A 0x0af4010au	/* 10.244.1.10 */
#define Y_B 0x0af4020bu	/* 10.244.2.11 */
#define Y_C 0x0af4020cu	/* 10.244.2.12 */

static void put(struct fx *fx, const char *res, const char *json)
{
	json_t *o = json_loads(json, 0, NULL), *old = NULL;
	const char *ns, *name;

	assert_non_null(o);
	ns = json_string_value(json_object_get(json_object_get(o, "metadata"), "namespace")) ?: "";
	name = json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
	if (st_get(fx->st, res, ns, name, &old) == 0)
		assert_int_equal(st_update(fx->st, res, ns, name, o, 0), 0);
	else
		assert_int_equal(st_create(fx->st, res, ns, name, o), 0);
	json_decref(old);
	json_decref(o);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct pol_config cfg = {.node_ip = "192.0.2.2", .enforce = false};
	int err;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_pol.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->st = st_open(fx->dir, &(struct st_opts){ST_SYNC_NORMAL, 0}, &err);
	fx->loop = k1s_loop_new();
	if (!fx->st || !fx->loop)
		return -1;
	put(fx, "namespaces", "{\"metadata\":{\"name\":\"x\"}}");
	put(fx, "namespaces", "{\"metadata\":{\"name\":\"y\"}}");
	put(fx, "pods", "{\"metadata\":{\"namespace\":\"x\",\"name\":\"a\",\"labels\":{\"pod\":\"a\"}},"
			"\"status\":{\"podIP\":\"10.244.1.10\",\"phase\":\"Running\"}}");
	put(fx, "pods", "{\"metadata\":{\"namespace\":\"y\",\"name\":\"b\",\"labels\":{\"pod\":\"b\"}},"
			"\"status\":{\"podIP\":\"10.244.2.11\",\"phase\":\"Running\"}}");
	fx->pol = pol_new(fx->st, fx->loop, &cfg, &err);
	if (!fx->pol)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	pol_free(fx->pol);
	k1s_loop_free(fx->loop);
	st_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static enum pol_verdict check(struct fx *fx, uint32_t src, uint32_t dst, uint16_t port)
{
	return pol_check(fx->pol, &(struct pol_flow){src, dst, port, POL_TCP});
}

static const char policy[] =
	"{\"metadata\":{\"namespace\":\"x\",\"name\":\"p\"},\"spec\":{"
	"\"podSelector\":{\"matchLabels\":{\"pod\":\"a\"}},"
	"\"ingress\":[{\"from\":[{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"blue\"}},"
	"\"podSelector\":{\"matchLabels\":{\"role\":\"client\"}}}]}]}}";

static void follows_the_store(void **state)
{
	struct fx *fx = *state;
	json_t *j, *counts;

	assert_false(pol_ready(fx->pol));
	pol_pass(fx->pol);
	assert_true(pol_ready(fx->pol));
	assert_int_equal(check(fx, Y_B, X_A, 80), POL_ALLOWED);

	put(fx, "networkpolicies.networking.k8s.io", policy);
	assert_int_equal(check(fx, Y_B, X_A, 80), POL_ALLOWED);
	pol_pass(fx->pol);
	assert_int_equal(check(fx, Y_B, X_A, 80), POL_DENIED_INGRESS);

	/* The namespace's labels alone are not enough (AND in one peer). */
	put(fx, "namespaces", "{\"metadata\":{\"name\":\"y\",\"labels\":{\"team\":\"blue\"}}}");
	pol_pass(fx->pol);
	assert_int_equal(check(fx, Y_B, X_A, 80), POL_DENIED_INGRESS);
	/* A denied flow a proxy dropped is counted against the policy. */
	pol_count_drop(fx->pol, &(struct pol_flow){Y_B, X_A, 80, POL_TCP}, POL_DENIED_INGRESS);
	pol_count_drop(fx->pol, &(struct pol_flow){Y_B, X_A, 81, POL_TCP}, POL_DENIED_INGRESS);

	put(fx, "pods", "{\"metadata\":{\"namespace\":\"y\",\"name\":\"b\",\"labels\":{\"pod\":\"b\","
			"\"role\":\"client\"}},\"status\":{\"podIP\":\"10.244.2.11\",\"phase\":\"Running\"}}");
	pol_pass(fx->pol);
	assert_int_equal(check(fx, Y_B, X_A, 80), POL_ALLOWED);
	j = pol_explain(fx->pol, &(struct pol_flow){Y_B, X_A, 80, POL_TCP});
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "Allowed");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
				json_object_get(j, "ingress"), "allowedBy"), "policy")), "x/p");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
			     json_object_get(j, "ingress"), "allowedBy"), "rule")), 0);
	json_decref(j);

	/* Counts survive the views built since. */
	counts = pol_drop_counts(fx->pol);
	assert_int_equal(json_integer_value(json_object_get(counts, "x/p")), 2);
	assert_int_equal(json_object_size(counts), 1);
	json_decref(counts);

	/* The namespace relabelled away again. */
	put(fx, "namespaces", "{\"metadata\":{\"name\":\"y\",\"labels\":{\"team\":\"red\"}}}");
	pol_pass(fx->pol);
	assert_int_equal(check(fx, Y_B, X_A, 80), POL_DENIED_INGRESS);

	assert_int_equal(st_delete(fx->st, "networkpolicies.networking.k8s.io", "x", "p", 0, NULL), 0);
	pol_pass(fx->pol);
	assert_int_equal(check(fx, Y_B, X_A, 80), POL_ALLOWED);
}

/* The runtime's gate: the pod is in the store, its address is not yet. */
static void admit_before_the_store(void **state)
{
	struct fx *fx = *state;
	json_t *pod = json_loads("{\"metadata\":{\"namespace\":\"y\",\"name\":\"c\",\"labels\":"
				 "{\"role\":\"client\"}},\"status\":{\"phase\":\"Pending\"}}", 0, NULL);
	char *s = json_dumps(pod, 0);

	put(fx, "namespaces", "{\"metadata\":{\"name\":\"y\",\"labels\":{\"team\":\"blue\"}}}");
	put(fx, "networkpolicies.networking.k8s.io", policy);
	put(fx, "pods", s);
	free(s);
	pol_pass(fx->pol);
	/* Not a pod yet: an address outside every peer. */
	assert_int_equal(check(fx, Y_C, X_A, 80), POL_DENIED_INGRESS);

	assert_int_equal(pol_admit_pod(fx->pol, pod, "10.244.2.12"), 0);
	assert_int_equal(check(fx, Y_C, X_A, 80), POL_ALLOWED);
	assert_int_equal(pol_admit_pod(fx->pol, pod, "not-an-ip"), -EINVAL);
	/* The store catches up with the same address: nothing changes. */
	json_object_set_new(pod, "status", json_pack("{s:s,s:s}", "podIP", "10.244.2.12", "phase",
						     "Running"));
	s = json_dumps(pod, 0);
	put(fx, "pods", s);
	free(s);
	pol_pass(fx->pol);
	assert_int_equal(check(fx, Y_C, X_A, 80), POL_ALLOWED);
	json_decref(pod);
}

/* A named port follows the pod's containerPorts as they change. */
static void named_port_change(void **state)
{
	struct fx *fx = *state;
	static const char pod_at[] =
		"{\"metadata\":{\"namespace\":\"x\",\"name\":\"a\",\"labels\":{\"pod\":\"a\"}},"
		"\"spec\":{\"containers\":[{\"name\":\"s\",\"ports\":[{\"name\":\"http\","
		"\"containerPort\":%d}]}]},\"status\":{\"podIP\":\"10.244.1.10\",\"phase\":\"Running\"}}";
	char buf[512];

	snprintf(buf, sizeof(buf), pod_at, 8080);
	put(fx, "pods", buf);
	put(fx, "networkpolicies.networking.k8s.io",
	    "{\"metadata\":{\"namespace\":\"x\",\"name\":\"http\"},\"spec\":{\"podSelector\":{},"
	    "\"ingress\":[{\"ports\":[{\"port\":\"http\"}]}]}}");
	pol_pass(fx->pol);
	assert_int_equal(check(fx, Y_B, X_A, 8080), POL_ALLOWED);
	assert_int_equal(check(fx, Y_B, X_A, 9090), POL_DENIED_INGRESS);
	snprintf(buf, sizeof(buf), pod_at, 9090);
	put(fx, "pods", buf);
	pol_pass(fx->pol);
	assert_int_equal(check(fx, Y_B, X_A, 8080), POL_DENIED_INGRESS);
	assert_int_equal(check(fx, Y_B, X_A, 9090), POL_ALLOWED);
}

/* What pol_explain says of a flow from pod b to a Service's address: the
 * Service's name and the first endpoint's pod name, NULL when the address
 * is no Service's. */
static bool via_service(struct fx *fx, uint32_t dst, const char **svc, const char **ep)
{
	json_t *j = pol_explain(fx->pol, &(struct pol_flow){Y_B, dst, 80, POL_TCP});
	json_t *s = json_object_get(json_object_get(j, "to"), "service");
	json_t *e = json_array_get(json_object_get(j, "endpoints"), 0);
	bool allowed = !strcmp(json_string_value(json_object_get(j, "verdict")) ?: "", "Allowed");
	static char sbuf[64], ebuf[64];

	*svc = *ep = NULL;
	if (s) {
		snprintf(sbuf, sizeof(sbuf), "%s", json_string_value(json_object_get(s, "name")) ?: "");
		*svc = sbuf;
	}
	if (e) {
		snprintf(ebuf, sizeof(ebuf), "%s",
			 json_string_value(json_object_get(json_object_get(e, "to"), "name")) ?: "");
		*ep = ebuf;
	}
	json_decref(j);
	return allowed;
}

/* Service x/name at cip, port 80, and its Endpoints: ip, port 8080. */
static void put_service(struct fx *fx, const char *name, const char *cip)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"metadata\":{\"namespace\":\"x\",\"name\":\"%s\"},"
		 "\"spec\":{\"clusterIP\":\"%s\",\"ports\":[{\"port\":80}]}}", name, cip);
	put(fx, "services", buf);
}

static void put_endpoints(struct fx *fx, const char *name, const char *ip)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"metadata\":{\"namespace\":\"x\",\"name\":\"%s\"},"
		 "\"subsets\":[{\"addresses\":[{\"ip\":\"%s\"}],\"ports\":[{\"port\":8080}]}]}",
		 name, ip);
	put(fx, "endpoints", buf);
}

static json_t *pod_in_y(const char *name)
{
	return json_pack("{s:{s:s,s:s},s:{s:s}}", "metadata", "namespace", "y", "name", name,
			 "status", "phase", "Pending");
}

/* A Service's fronts are kept between views: a Service or Endpoints
 * changed after a pod's admission, or just before one, is still seen, by
 * the next pass or by the admission itself. */
static void fronts_follow_services_across_admissions(void **state)
{
	struct fx *fx = *state;
	const char *svc, *ep;
	json_t *pod;

	put(fx, "networkpolicies.networking.k8s.io", policy);
	put_service(fx, "web", "10.96.0.50");
	put_endpoints(fx, "web", "10.244.1.10");
	pol_pass(fx->pol);
	/* b may not reach a, the only endpoint. */
	assert_false(via_service(fx, 0x0a600032u, &svc, &ep));
	assert_string_equal(svc, "web");
	assert_string_equal(ep, "a");

	pod = pod_in_y("c");
	assert_int_equal(pol_admit_pod(fx->pol, pod, "10.244.2.12"), 0);
	json_decref(pod);
	assert_false(via_service(fx, 0x0a600032u, &svc, &ep));

	/* After the admission: the endpoint is now c, which no policy isolates. */
	put_endpoints(fx, "web", "10.244.2.12");
	pol_pass(fx->pol);
	assert_true(via_service(fx, 0x0a600032u, &svc, &ep));
	assert_string_equal(svc, "web");
	assert_string_equal(ep, "c");

	/* Before an admission, with no pass between: the Service moves. */
	put_service(fx, "web", "10.96.0.51");
	pod = pod_in_y("d");
	assert_int_equal(pol_admit_pod(fx->pol, pod, "10.244.2.13"), 0);
	json_decref(pod);
	assert_true(via_service(fx, 0x0a600033u, &svc, &ep));
	assert_string_equal(svc, "web");
	assert_string_equal(ep, "c");
	via_service(fx, 0x0a600032u, &svc, &ep);
	assert_null(svc);

	/* The Endpoints deleted: the address answers for no endpoint. */
	assert_int_equal(st_delete(fx->st, "endpoints", "x", "web", 0, NULL), 0);
	pol_pass(fx->pol);
	via_service(fx, 0x0a600033u, &svc, &ep);
	assert_null(svc);
}

/* A follower that keeps the Services and Endpoints it is given, as
 * another module might: through it, the trees the store hands every
 * follower ("res/namespace/name" -> the object). */
static void keeper_reset(void *arg)
{
	json_object_clear(arg);
}

static void keeper_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	const json_t *m = json_object_get(obj, "metadata");
	char key[256];

	snprintf(key, sizeof(key), "%s/%s/%s", res,
		 json_string_value(json_object_get(m, "namespace")) ?: "",
		 json_string_value(json_object_get(m, "name")) ?: "");
	if (deleted)
		json_object_del(arg, key);
	else
		json_object_set(arg, key, (json_t *)obj);
}

/* The module builds a Service's fronts and lets its trees go: freeing it
 * changes the reference count of no Service or Endpoints tree the store
 * shares with other followers, after a pass, a change and a relist; and
 * what it explains still names the Service, whose names it copied. */
static void keeps_no_service_trees(void **state)
{
	static const char *const res[] = {"services", "endpoints", NULL};
	static const struct st_follow_ops ops = {keeper_reset, keeper_object, NULL};
	struct fx *fx = *state;
	json_t *kept = json_object(), *o;
	struct st_follower f;
	size_t refs[16], n = 0;
	const char *svc, *ep, *k;

	st_follow_init(&f, fx->st, "test", res, &ops, kept);
	put(fx, "networkpolicies.networking.k8s.io", policy);
	for (int i = 1; i <= 4; i++) {
		char name[8], cip[16];

		snprintf(name, sizeof(name), "web-%d", i);
		snprintf(cip, sizeof(cip), "10.96.1.%d", i);
		put_service(fx, name, cip);
		put_endpoints(fx, name, "10.244.1.10");
	}
	assert_int_equal(st_follow(&f), 0);
	pol_pass(fx->pol);
	assert_int_equal(json_object_size(kept), 8);
	assert_false(via_service(fx, 0x0a600101u, &svc, &ep));
	assert_string_equal(svc, "web-1");

	/* A change: web-2's endpoint is now b. */
	put_endpoints(fx, "web-2", "10.244.2.11");
	assert_int_equal(st_follow(&f), 0);
	pol_pass(fx->pol);
	assert_true(via_service(fx, 0x0a600102u, &svc, &ep));
	assert_string_equal(ep, "b");

	/* A relist: web-3 deleted, then the log compacted past it. */
	assert_int_equal(st_delete(fx->st, "services", "x", "web-3", 0, NULL), 0);
	put_endpoints(fx, "web-4", "10.244.2.11");
	assert_int_equal(st_compact(fx->st, 0), 0);
	assert_int_equal(st_follow(&f), 0);
	pol_pass(fx->pol);
	assert_int_equal(json_object_size(kept), 7);
	via_service(fx, 0x0a600103u, &svc, &ep);
	assert_null(svc);
	assert_true(via_service(fx, 0x0a600104u, &svc, &ep));
	assert_string_equal(svc, "web-4");
	assert_string_equal(ep, "b");

	json_object_foreach(kept, k, o)
		refs[n++] = o->refcount;
	pol_free(fx->pol);
	fx->pol = NULL;
	n = 0;
	json_object_foreach(kept, k, o)
		assert_int_equal(o->refcount, refs[n++]);
	json_decref(kept);
}

/* The policies are compiled apart from the pods and kept between views:
 * one written just before an admission, with no pass between, is
 * enforced by the admission itself; one deleted after it, by the pass. */
static void policies_follow_across_admissions(void **state)
{
	struct fx *fx = *state;
	json_t *pod = pod_in_y("c");

	pol_pass(fx->pol);
	assert_int_equal(pol_admit_pod(fx->pol, pod, "10.244.2.12"), 0);
	json_decref(pod);
	assert_int_equal(check(fx, Y_B, X_A, 80), POL_ALLOWED);

	put(fx, "networkpolicies.networking.k8s.io", policy);
	pod = pod_in_y("d");
	assert_int_equal(pol_admit_pod(fx->pol, pod, "10.244.2.13"), 0);
	json_decref(pod);
	assert_int_equal(check(fx, Y_B, X_A, 80), POL_DENIED_INGRESS);
	assert_int_equal(check(fx, Y_C, X_A, 80), POL_DENIED_INGRESS);

	assert_int_equal(st_delete(fx->st, "networkpolicies.networking.k8s.io", "x", "p", 0, NULL), 0);
	pol_pass(fx->pol);
	assert_int_equal(check(fx, Y_B, X_A, 80), POL_ALLOWED);
}

struct reader {
	struct fx *fx;
	atomic_bool *stop;
	_Atomic unsigned long checks;
	bool bad;
};

static void *read_on(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(r->stop)) {
		enum pol_verdict v = check(r->fx, Y_B, X_A, 80);

		/* Either answer may be current; nothing else may come back. */
		if (v != POL_ALLOWED && v != POL_DENIED_INGRESS)
			r->bad = true;
		pol_count_drop(r->fx->pol, &(struct pol_flow){Y_B, X_A, 80, POL_TCP}, v);
		r->checks++;
	}
	return NULL;
}

/* Readers on four threads while the control side replaces the view a
 * hundred times: under ASan a view freed while read is an error. */
static void readers_while_views_change(void **state)
{
	struct fx *fx = *state;
	atomic_bool stop = false;
	struct reader r[4];
	pthread_t t[4];
	json_t *counts;

	put(fx, "networkpolicies.networking.k8s.io", policy);
	pol_pass(fx->pol);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct reader){fx, &stop, 0, false};
		assert_int_equal(pthread_create(&t[i], NULL, read_on, &r[i]), 0);
	}
	/* Every reader checking before the views change: building one takes
	 * less time than a thread takes to start. */
	for (int i = 0; i < 4; i++)
		while (!atomic_load(&r[i].checks))
			sched_yield();
	for (int i = 0; i < 100; i++) {
		put(fx, "namespaces", i % 2 ? "{\"metadata\":{\"name\":\"y\",\"labels\":{\"team\":\"blue\"}}}"
					    : "{\"metadata\":{\"name\":\"y\"}}");
		put(fx, "pods", "{\"metadata\":{\"namespace\":\"y\",\"name\":\"b\",\"labels\":"
				"{\"role\":\"client\"}},\"status\":{\"podIP\":\"10.244.2.11\"}}");
		pol_pass(fx->pol);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_false(r[i].bad);
		assert_true(r[i].checks > 0);
	}
	counts = pol_drop_counts(fx->pol);
	assert_true(json_integer_value(json_object_get(counts, "x/p")) > 0);
	json_decref(counts);
	/* Once no reader holds them, every retired view is freed. */
	assert_int_equal(pol_pass(fx->pol), -1);
}

static void bad_config(void **state)
{
	struct fx *fx = *state;
	struct pol_config cfg = {.node_ip = "192.0.2.300"};
	int err = 0;

	assert_null(pol_new(fx->st, NULL, &cfg, &err));
	assert_int_equal(err, -EINVAL);
	pol_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(follows_the_store, setup, teardown),
		cmocka_unit_test_setup_teardown(admit_before_the_store, setup, teardown),
		cmocka_unit_test_setup_teardown(named_port_change, setup, teardown),
		cmocka_unit_test_setup_teardown(fronts_follow_services_across_admissions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(keeps_no_service_trees, setup, teardown),
		cmocka_unit_test_setup_teardown(policies_follow_across_admissions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(readers_while_views_change, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_config, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
