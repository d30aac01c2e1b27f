/* Fixture shared by the controllers' tests: a real store in a scratch
 * directory, the fake writer, the controllers, and a stand-in for the
 * runtime (pods made Running and Ready, terminations finished). */
#ifndef CTRL_TEST_H
#define CTRL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "ctrl_int.h"
#include "k1s_json.h"
#include "st.h"
#include "../fakes/fake_writer.h"
#include "../store/st_test.h"

#define NODE "node1"
#define NS "default"

struct fx {
	char *dir;
	struct st *st;
	struct fake_writer fw;
	struct ctrl *c;
	int next_ip;
	time_t t0;		/* the controllers' clock, pinned at setup */
};

static inline int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct st_opts o = {.sync = ST_SYNC_NORMAL};
	/* No time limit on a pass: the same passes on any machine. */
	struct ctrl_config cfg = {.node_name = NODE, .pass_ms = -1};
	int err = 0;

	fx->dir = st_test_dir();
	assert_non_null(fx->dir);
	fx->st = st_open(fx->dir, &o, &err);
	assert_non_null(fx->st);
	fake_writer_init(&fx->fw, fx->st);
	fx->c = ctrl_new(fx->st, NULL, &fx->fw.w, &cfg);
	assert_non_null(fx->c);
	/* A pinned clock: "59 s after issuance" must not become 60 because the
	 * wall clock ticked between issuing and fast-forwarding. */
	fx->t0 = time(NULL);
	fx->c->fixed_now = fx->t0;
	fx->next_ip = 10;
	*state = fx;
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *fx = *state;

	ctrl_free(fx->c);
	st_close(fx->st);
	st_test_rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Runs passes until the controllers have nothing left to do. */
static inline void settle(struct fx *fx)
{
	int i;

	for (i = 0; i < 200; i++)
		if (ctrl_reconcile(fx->c) != 0)
			break;
	assert_true(i < 200);
}

/* Sets the controllers' clock to `secs` after setup and makes everything
 * they asked to look at later due now. */
static inline void fast_forward(struct fx *fx, int secs)
{
	if (secs)
		fx->c->fixed_now = fx->t0 + secs;
	for (int q = 0; q < CTRL_NQUEUES; q++) {
		const char *k;
		json_t *v;

		json_object_foreach(fx->c->later[q], k, v)
			json_object_set_new(fx->c->later[q], k, json_integer(0));
	}
}

static inline const struct k1s_resource *res_of(const char *key)
{
	if (strcmp(key, "deployments.apps") == 0)
		return k1s_resource_find("apps", "deployments");
	if (strcmp(key, "replicasets.apps") == 0)
		return k1s_resource_find("apps", "replicasets");
	if (strcmp(key, "jobs.batch") == 0)
		return k1s_resource_find("batch", "jobs");
	if (strcmp(key, "endpointslices.discovery.k8s.io") == 0)
		return k1s_resource_find("discovery.k8s.io", "endpointslices");
	return k1s_resource_find("", key);
}

/* The stored object, or NULL. Caller owns. */
static inline json_t *get(struct fx *fx, const char *key, const char *name)
{
	json_t *o = NULL;

	if (st_get(fx->st, key, NS, name, &o) < 0)
		return NULL;
	return o;
}

static inline int list_fn(void *arg, const json_t *obj)
{
	json_array_append_new(arg, json_deep_copy(obj));
	return 0;
}

/* Every object of a kind in the namespace. Caller owns. */
static inline json_t *list(struct fx *fx, const char *key)
{
	json_t *a = json_array();

	assert_int_equal(st_list(fx->st, key, NS, NULL, NULL, 0, list_fn, a, NULL), 0);
	return a;
}

/* Pods with label app=<app> not being deleted. Caller owns. */
static inline json_t *live_pods(struct fx *fx, const char *app)
{
	json_t *all = list(fx, "pods"), *out = json_array(), *p;
	size_t i;

	json_array_foreach(all, i, p) {
		const char *a = k1s_json_str(p, "metadata.labels.app");

		if (a && strcmp(a, app) == 0 && !k1s_json_path(p, "metadata.deletionTimestamp"))
			json_array_append(out, p);
	}
	json_decref(all);
	return out;
}

static inline void create(struct fx *fx, const char *key, json_t *obj)
{
	assert_int_equal(fx->fw.w.create(&fx->fw, res_of(key), obj), 0);
	json_decref(obj);
}

/* Writes obj's spec/metadata as a user's update would. */
static inline void update(struct fx *fx, const char *key, json_t *obj)
{
	assert_int_equal(fx->fw.w.update(&fx->fw, res_of(key), obj, false), 0);
}

/* What the runtime writes once a pod runs: phase, IP, conditions. */
static inline void run_pod(struct fx *fx, const char *name, bool ready)
{
	json_t *pod = get(fx, "pods", name);
	char ip[32], ts[32];
	const char *have = k1s_json_str(pod, "status.podIP");

	assert_non_null(pod);
	if (have)
		snprintf(ip, sizeof(ip), "%s", have);
	else
		snprintf(ip, sizeof(ip), "10.244.0.%d", fx->next_ip++);
	k1s_time_fmt(ts, sizeof(ts), time(NULL));
	json_object_set_new(pod, "status",
			    json_pack("{s:s, s:s, s:[{s:s}], s:s, s:[{s:s,s:s,s:s},{s:s,s:s,s:s}]}",
				      "phase", "Running", "podIP", ip, "podIPs", "ip", ip, "hostIP",
				      "192.168.1.10", "conditions", "type", "PodScheduled", "status",
				      "True", "lastTransitionTime", ts, "type", "Ready", "status",
				      ready ? "True" : "False", "lastTransitionTime", ts));
	assert_int_equal(fx->fw.w.update(&fx->fw, res_of("pods"), pod, true), 0);
	json_decref(pod);
}

/* Brings up to max live pods of app that are not running in the state
 * asked (ready or not) to it; returns how many. */
static inline int run_new_pods(struct fx *fx, const char *app, bool ready, int max)
{
	json_t *pods = live_pods(fx, app), *p;
	int n = 0;
	size_t i;

	json_array_foreach(pods, i, p) {
		if (n == max)
			break;
		if (k1s_json_str(p, "status.podIP") && ctrl_pod_ready(p, NULL) == ready)
			continue;
		run_pod(fx, k1s_json_str(p, "metadata.name"), ready);
		n++;
	}
	json_decref(pods);
	return n;
}

/* The runtime's end of a graceful delete: the pods are gone for good. */
static inline int finish_terminating(struct fx *fx)
{
	json_t *all = list(fx, "pods"), *p;
	int n = 0;
	size_t i;

	json_array_foreach(all, i, p)
		if (k1s_json_path(p, "metadata.deletionTimestamp")) {
			assert_int_equal(fx->fw.w.remove(&fx->fw, res_of("pods"), NS,
							  k1s_json_str(p, "metadata.name"), NULL, 0),
					 0);
			n++;
		}
	json_decref(all);
	return n;
}

/* A Deployment as admission leaves it. */
static inline json_t *deployment(const char *name, int replicas, const char *image)
{
	return json_pack(
		"{s:s, s:s, s:{s:s, s:s}, s:{s:i, s:{s:{s:s}}, s:{s:{s:{s:s}}, s:{s:[{s:s, s:s, "
		"s:[{s:i, s:s}]}]}}, s:{s:s, s:{s:s, s:s}}, s:i, s:i}}",
		"apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", name, "namespace",
		NS, "spec", "replicas", replicas, "selector", "matchLabels", "app", name, "template",
		"metadata", "labels", "app", name, "spec", "containers", "name", name, "image", image,
		"ports", "containerPort", 3000, "protocol", "TCP", "strategy", "type", "RollingUpdate",
		"rollingUpdate", "maxSurge", "25%", "maxUnavailable", "25%", "revisionHistoryLimit",
		10, "progressDeadlineSeconds", 600);
}

static inline json_t *service(const char *name, const char *app, json_t *target_port)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:{s:s}, s:[{s:i, s:o, s:s}]}}",
			 "apiVersion", "v1", "kind", "Service", "metadata", "name", name,
			 "namespace", NS, "spec", "type", "ClusterIP", "clusterIP", "10.96.0.20",
			 "selector", "app", app, "ports", "port", 80, "targetPort", target_port,
			 "protocol", "TCP");
}

/* The deployment's replica sets (by ownerReference). Caller owns. */
static inline json_t *sets_of(struct fx *fx, const char *deploy)
{
	json_t *d = get(fx, "deployments.apps", deploy);
	json_t *all = list(fx, "replicasets.apps"), *out = json_array(), *rs;
	size_t i;

	assert_non_null(d);
	json_array_foreach(all, i, rs)
		if (ctrl_owned_by(rs, k1s_json_str(d, "metadata.uid")))
			json_array_append(out, rs);
	json_decref(all);
	json_decref(d);
	return out;
}

/* Events with this reason. Caller owns. */
static inline json_t *events(struct fx *fx, const char *reason)
{
	json_t *all = list(fx, "events"), *out = json_array(), *e;
	size_t i;

	json_array_foreach(all, i, e)
		if (strcmp(k1s_json_str(e, "reason") ?: "", reason) == 0)
			json_array_append(out, e);
	json_decref(all);
	return out;
}

static inline bool has_event(struct fx *fx, const char *reason, const char *component,
			     const char *message)
{
	json_t *evs = events(fx, reason), *e;
	bool found = false;
	size_t i;

	json_array_foreach(evs, i, e)
		if (strcmp(k1s_json_str(e, "source.component") ?: "", component) == 0 &&
		    strcmp(k1s_json_str(e, "message") ?: "", message) == 0)
			found = true;
	json_decref(evs);
	return found;
}

static inline const char *ann(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(k1s_json_path(obj, "metadata.annotations"), key));
}

static inline const char *label(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(k1s_json_path(obj, "metadata.labels"), key));
}

#endif
