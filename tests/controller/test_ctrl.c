/* The scheduler, ReplicaSet and Deployment controllers over a real store. */
#include "ctrl_test.h"

#include "k1s_loop.h"

static void stop_loop(void *arg)
{
	k1s_loop_stop(arg);
}

static void scheduler_binds_pods_from_the_loop(void **state)
{
	struct fx *fx = *state;
	struct ctrl_config cfg = {.node_name = NODE};
	struct k1s_loop *l = k1s_loop_new();
	struct ctrl *c;
	json_t *pod, *cnd;

	create(fx, "pods",
	       json_pack("{s:{s:s}, s:{s:[{s:s, s:s}]}}", "metadata", "name", "web", "spec",
			 "containers", "name", "web", "image", "nginx"));
	/* Another scheduler's pod is not ours. */
	create(fx, "pods",
	       json_pack("{s:{s:s}, s:{s:s, s:[{s:s, s:s}]}}", "metadata", "name", "other", "spec",
			 "schedulerName", "my-scheduler", "containers", "name", "web", "image",
			 "nginx"));
	assert_non_null(l);
	c = ctrl_new(fx->st, l, &fx->fw.w, &cfg);
	assert_non_null(c);
	assert_non_null(k1s_loop_timer(l, 100, stop_loop, l));
	k1s_loop_run(l, NULL);

	pod = get(fx, "pods", "web");
	assert_string_equal(k1s_json_str(pod, "spec.nodeName"), NODE);
	cnd = ctrl_cond(json_object_get(pod, "status"), "PodScheduled");
	assert_non_null(cnd);
	assert_string_equal(k1s_json_str(cnd, "status"), "True");
	json_decref(pod);
	assert_true(has_event(fx, "Scheduled", "default-scheduler",
			      "Successfully assigned default/web to " NODE));
	pod = get(fx, "pods", "other");
	assert_null(k1s_json_str(pod, "spec.nodeName"));
	json_decref(pod);

	ctrl_free(c);
	k1s_loop_free(l);
}

static void scheduler_retries_after_a_conflict(void **state)
{
	struct fx *fx = *state;
	json_t *pod;

	create(fx, "pods",
	       json_pack("{s:{s:s}, s:{s:[{s:s, s:s}]}}", "metadata", "name", "web", "spec",
			 "containers", "name", "web", "image", "nginx"));
	fx->fw.conflict_next = 1;
	settle(fx);
	pod = get(fx, "pods", "web");
	assert_string_equal(k1s_json_str(pod, "spec.nodeName"), NODE);
	json_decref(pod);
}

/* The one replica set of a deployment, checked and returned. */
static json_t *only_set(struct fx *fx, const char *deploy)
{
	json_t *sets = sets_of(fx, deploy), *rs;

	assert_int_equal(json_array_size(sets), 1);
	rs = json_incref(json_array_get(sets, 0));
	json_decref(sets);
	return rs;
}

static void deployment_makes_set_and_pods(void **state)
{
	struct fx *fx = *state;
	json_t *d, *rs, *pods, *pod, *ref;
	char hash[16], want[64], prefix[64], msg[128];
	const char *h;
	size_t i;

	create(fx, "deployments.apps", deployment("api", 3, "my-api:1.0"));
	settle(fx);

	d = get(fx, "deployments.apps", "api");
	rs = only_set(fx, "api");
	h = label(rs, "pod-template-hash");
	assert_non_null(h);
	ctrl_template_hash(k1s_json_path(d, "spec.template"), -1, hash, sizeof(hash));
	assert_string_equal(h, hash);
	assert_true(strspn(h, "bcdfghjklmnpqrstvwxz2456789") == strlen(h));
	snprintf(want, sizeof(want), "api-%s", hash);
	assert_string_equal(k1s_json_str(rs, "metadata.name"), want);
	assert_string_equal(label(rs, "app"), "api");
	assert_string_equal(json_string_value(json_object_get(
				    k1s_json_path(rs, "spec.selector.matchLabels"),
				    "pod-template-hash")),
			    hash);
	assert_string_equal(ann(rs, "deployment.kubernetes.io/revision"), "1");
	assert_string_equal(ann(rs, "deployment.kubernetes.io/desired-replicas"), "3");
	assert_string_equal(ann(rs, "deployment.kubernetes.io/max-replicas"), "4");
	assert_string_equal(ann(d, "deployment.kubernetes.io/revision"), "1");
	assert_true(ctrl_owned_by(rs, k1s_json_str(d, "metadata.uid")));
	assert_int_equal(ctrl_int(rs, "spec.replicas", -1), 3);

	pods = live_pods(fx, "api");
	assert_int_equal(json_array_size(pods), 3);
	snprintf(prefix, sizeof(prefix), "%s-", want);
	json_array_foreach(pods, i, pod) {
		const char *name = k1s_json_str(pod, "metadata.name");

		assert_int_equal(strncmp(name, prefix, strlen(prefix)), 0);
		assert_int_equal(strlen(name), strlen(prefix) + 5);
		assert_string_equal(label(pod, "pod-template-hash"), hash);
		assert_string_equal(k1s_json_str(pod, "spec.nodeName"), NODE);
		assert_string_equal(k1s_json_str(json_array_get(k1s_json_path(pod, "spec.containers"),
								 0),
						  "image"),
				    "my-api:1.0");
		assert_int_equal(json_array_size(k1s_json_path(pod, "metadata.ownerReferences")), 1);
		ref = json_array_get(k1s_json_path(pod, "metadata.ownerReferences"), 0);
		assert_string_equal(k1s_json_str(ref, "apiVersion"), "apps/v1");
		assert_string_equal(k1s_json_str(ref, "kind"), "ReplicaSet");
		assert_string_equal(k1s_json_str(ref, "name"), want);
		assert_string_equal(k1s_json_str(ref, "uid"), k1s_json_str(rs, "metadata.uid"));
		assert_true(json_is_true(json_object_get(ref, "controller")));
		assert_true(json_is_true(json_object_get(ref, "blockOwnerDeletion")));
		snprintf(msg, sizeof(msg), "Created pod: %s", name);
		assert_true(has_event(fx, "SuccessfulCreate", "replicaset-controller", msg));
	}
	snprintf(msg, sizeof(msg), "Scaled up replica set %s from 0 to 3", want);
	assert_true(has_event(fx, "ScalingReplicaSet", "deployment-controller", msg));

	/* Not ready yet: the rollout is not done and says so. */
	d = (json_decref(d), get(fx, "deployments.apps", "api"));
	assert_int_equal(ctrl_int(d, "status.observedGeneration", 0), 1);
	assert_int_equal(ctrl_int(d, "status.replicas", 0), 3);
	assert_int_equal(ctrl_int(d, "status.updatedReplicas", 0), 3);
	assert_int_equal(ctrl_int(d, "status.availableReplicas", 0), 0);
	assert_int_equal(ctrl_int(d, "status.unavailableReplicas", 0), 3);
	assert_string_equal(k1s_json_str(ctrl_cond(json_object_get(d, "status"), "Available"),
					 "reason"),
			    "MinimumReplicasUnavailable");
	assert_string_equal(k1s_json_str(ctrl_cond(json_object_get(d, "status"), "Progressing"),
					 "reason"),
			    "ReplicaSetUpdated");
	snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" is progressing.", want);
	assert_string_equal(k1s_json_str(ctrl_cond(json_object_get(d, "status"), "Progressing"),
					 "message"),
			    msg);
	json_decref(pods);
	json_decref(rs);
	json_decref(d);
}

static void rollout_status_fields_when_ready(void **state)
{
	struct fx *fx = *state;
	json_t *d, *rs, *st, *cnd;
	char msg[128];

	create(fx, "deployments.apps", deployment("api", 3, "my-api:1.0"));
	settle(fx);
	assert_int_equal(run_new_pods(fx, "api", true, 100), 3);
	settle(fx);

	d = get(fx, "deployments.apps", "api");
	rs = only_set(fx, "api");
	st = json_object_get(d, "status");
	assert_int_equal(ctrl_int(st, "observedGeneration", 0), ctrl_int(d, "metadata.generation", -1));
	assert_int_equal(ctrl_int(st, "replicas", 0), 3);
	assert_int_equal(ctrl_int(st, "updatedReplicas", 0), 3);
	assert_int_equal(ctrl_int(st, "readyReplicas", 0), 3);
	assert_int_equal(ctrl_int(st, "availableReplicas", 0), 3);
	assert_null(json_object_get(st, "unavailableReplicas"));
	cnd = ctrl_cond(st, "Available");
	assert_string_equal(k1s_json_str(cnd, "status"), "True");
	assert_string_equal(k1s_json_str(cnd, "reason"), "MinimumReplicasAvailable");
	assert_string_equal(k1s_json_str(cnd, "message"), "Deployment has minimum availability.");
	cnd = ctrl_cond(st, "Progressing");
	assert_string_equal(k1s_json_str(cnd, "status"), "True");
	assert_string_equal(k1s_json_str(cnd, "reason"), "NewReplicaSetAvailable");
	snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" has successfully progressed.",
		 k1s_json_str(rs, "metadata.name"));
	assert_string_equal(k1s_json_str(cnd, "message"), msg);

	st = json_object_get(rs, "status");
	assert_int_equal(ctrl_int(st, "replicas", -1), 3);
	assert_int_equal(ctrl_int(st, "readyReplicas", -1), 3);
	assert_int_equal(ctrl_int(st, "availableReplicas", -1), 3);
	assert_int_equal(ctrl_int(st, "fullyLabeledReplicas", -1), 3);
	assert_int_equal(ctrl_int(st, "observedGeneration", -1), 1);
	json_decref(rs);
	json_decref(d);
}

/* A restarted controller (a fresh one over the same store) finds the same
 * hash, the same set, and writes nothing. */
static void restart_changes_nothing(void **state)
{
	struct fx *fx = *state;
	struct ctrl_config cfg = {.node_name = NODE};
	int64_t rev;

	create(fx, "deployments.apps", deployment("api", 3, "my-api:1.0"));
	create(fx, "services", service("api-service", "api", json_integer(3000)));
	settle(fx);
	run_new_pods(fx, "api", true, 100);
	settle(fx);
	rev = st_rev(fx->st);
	settle(fx);
	assert_int_equal(st_rev(fx->st), rev);

	ctrl_free(fx->c);
	fx->c = ctrl_new(fx->st, NULL, &fx->fw.w, &cfg);
	assert_non_null(fx->c);
	settle(fx);
	assert_int_equal(st_rev(fx->st), rev);
}

static void scale_up_and_down(void **state)
{
	struct fx *fx = *state;
	json_t *d, *pods, *pod;
	size_t i;
	int ready = 0;

	create(fx, "deployments.apps", deployment("api", 3, "my-api:1.0"));
	settle(fx);
	d = get(fx, "deployments.apps", "api");
	json_object_set_new(json_object_get(d, "spec"), "replicas", json_integer(5));
	update(fx, "deployments.apps", d);
	json_decref(d);
	settle(fx);
	pods = live_pods(fx, "api");
	assert_int_equal(json_array_size(pods), 5);
	json_decref(pods);

	/* Two of five ready: scaling to one keeps a ready one. */
	assert_int_equal(run_new_pods(fx, "api", true, 2), 2);
	settle(fx);
	d = get(fx, "deployments.apps", "api");
	json_object_set_new(json_object_get(d, "spec"), "replicas", json_integer(1));
	update(fx, "deployments.apps", d);
	json_decref(d);
	settle(fx);
	pods = live_pods(fx, "api");
	assert_int_equal(json_array_size(pods), 1);
	json_array_foreach(pods, i, pod)
		ready += ctrl_pod_ready(pod, NULL);
	assert_int_equal(ready, 1);
	json_decref(pods);
	pods = events(fx, "SuccessfulDelete");
	assert_int_equal(json_array_size(pods), 4);
	json_decref(pods);

	/* Terminating pods do not count: the set does not replace them. */
	finish_terminating(fx);
	settle(fx);
	pods = live_pods(fx, "api");
	assert_int_equal(json_array_size(pods), 1);
	json_decref(pods);

	/* And to zero. */
	d = get(fx, "deployments.apps", "api");
	json_object_set_new(json_object_get(d, "spec"), "replicas", json_integer(0));
	update(fx, "deployments.apps", d);
	json_decref(d);
	settle(fx);
	pods = live_pods(fx, "api");
	assert_int_equal(json_array_size(pods), 0);
	json_decref(pods);
	finish_terminating(fx);
	settle(fx);
	d = get(fx, "deployments.apps", "api");
	assert_null(k1s_json_path(d, "status.replicas"));
	assert_string_equal(k1s_json_str(ctrl_cond(json_object_get(d, "status"), "Available"),
					 "status"),
			    "True");
	json_decref(d);
}

static void deleted_pod_is_replaced(void **state)
{
	struct fx *fx = *state;
	json_t *pods, *after;
	char gone[256];
	size_t i;

	create(fx, "deployments.apps", deployment("api", 3, "my-api:1.0"));
	settle(fx);
	run_new_pods(fx, "api", true, 100);
	settle(fx);
	pods = live_pods(fx, "api");
	snprintf(gone, sizeof(gone), "%s", k1s_json_str(json_array_get(pods, 0), "metadata.name"));
	json_decref(pods);
	assert_int_equal(fx->fw.w.remove(&fx->fw, res_of("pods"), NS, gone, NULL, -1), 0);
	settle(fx);
	after = live_pods(fx, "api");
	assert_int_equal(json_array_size(after), 3);
	json_array_foreach(after, i, pods)
		assert_string_not_equal(k1s_json_str(pods, "metadata.name"), gone);
	json_decref(after);
}

static void orphan_pods_are_adopted(void **state)
{
	struct fx *fx = *state;
	json_t *rs, *pod, *pods;

	create(fx, "pods",
	       json_pack("{s:{s:s, s:{s:s}}, s:{s:[{s:s, s:s}]}}", "metadata", "name", "stray",
			 "labels", "app", "web", "spec", "containers", "name", "web", "image",
			 "nginx"));
	rs = json_pack("{s:{s:s}, s:{s:i, s:{s:{s:s}}, s:{s:{s:{s:s}}, s:{s:[{s:s, s:s}]}}}}",
		       "metadata", "name", "web", "spec", "replicas", 2, "selector", "matchLabels",
		       "app", "web", "template", "metadata", "labels", "app", "web", "spec",
		       "containers", "name", "web", "image", "nginx");
	create(fx, "replicasets.apps", rs);
	settle(fx);
	rs = get(fx, "replicasets.apps", "web");
	pod = get(fx, "pods", "stray");
	assert_true(ctrl_owned_by(pod, k1s_json_str(rs, "metadata.uid")));
	pods = live_pods(fx, "web");
	assert_int_equal(json_array_size(pods), 2);
	json_decref(pods);
	json_decref(pod);
	json_decref(rs);
}

static void set_image(struct fx *fx, const char *deploy, const char *image)
{
	json_t *d = get(fx, "deployments.apps", deploy);
	json_t *ctr = json_array_get(k1s_json_path(d, "spec.template.spec.containers"), 0);

	json_object_set_new(ctr, "image", json_string(image));
	update(fx, "deployments.apps", d);
	json_decref(d);
}

static int count_ready(struct fx *fx, const char *app)
{
	json_t *pods = live_pods(fx, app), *p;
	int n = 0;
	size_t i;

	json_array_foreach(pods, i, p)
		n += ctrl_pod_ready(p, NULL);
	json_decref(pods);
	return n;
}

static bool rollout_done(struct fx *fx, const char *deploy)
{
	json_t *d = get(fx, "deployments.apps", deploy);
	json_t *st = json_object_get(d, "status");
	int64_t want = ctrl_int(d, "spec.replicas", 1);
	bool done;

	/* kubectl rollout status's test. */
	done = ctrl_int(d, "metadata.generation", 0) <= ctrl_int(st, "observedGeneration", 0) &&
	       ctrl_int(st, "updatedReplicas", 0) >= want &&
	       ctrl_int(st, "replicas", 0) <= ctrl_int(st, "updatedReplicas", 0) &&
	       ctrl_int(st, "availableReplicas", 0) >= ctrl_int(st, "updatedReplicas", 0);
	json_decref(d);
	return done;
}

/* Rolls to `image` one ready pod at a time, checking that ready pods never
 * drop below `floor`. Returns the steps taken. */
static int roll(struct fx *fx, const char *deploy, const char *image, int floor)
{
	int steps = 0;

	set_image(fx, deploy, image);
	settle(fx);
	while (!rollout_done(fx, deploy)) {
		assert_true(count_ready(fx, deploy) >= floor);
		finish_terminating(fx);
		settle(fx);
		assert_true(count_ready(fx, deploy) >= floor);
		run_new_pods(fx, deploy, true, 1);
		settle(fx);
		assert_true(count_ready(fx, deploy) >= floor);
		assert_true(++steps < 50);
	}
	finish_terminating(fx);
	settle(fx);
	return steps;
}

static json_t *set_with_image(struct fx *fx, const char *deploy, const char *image)
{
	json_t *sets = sets_of(fx, deploy), *rs, *out = NULL;
	size_t i;

	json_array_foreach(sets, i, rs) {
		json_t *ctr = json_array_get(k1s_json_path(rs, "spec.template.spec.containers"), 0);

		if (strcmp(k1s_json_str(ctr, "image") ?: "", image) == 0)
			out = json_incref(rs);
	}
	json_decref(sets);
	return out;
}

static void rolling_update_keeps_ready_pods(void **state)
{
	struct fx *fx = *state;
	json_t *d, *old, *cur, *pods, *p, *ru;
	size_t i;

	d = deployment("api", 3, "my-api:1.0");
	ru = k1s_json_path(d, "spec.strategy.rollingUpdate");
	json_object_set_new(ru, "maxUnavailable", json_integer(0));
	json_object_set_new(ru, "maxSurge", json_integer(1));
	create(fx, "deployments.apps", d);
	settle(fx);
	run_new_pods(fx, "api", true, 100);
	settle(fx);
	assert_true(rollout_done(fx, "api"));

	assert_true(roll(fx, "api", "my-api:2.0", 3) >= 3);
	old = set_with_image(fx, "api", "my-api:1.0");
	cur = set_with_image(fx, "api", "my-api:2.0");
	assert_non_null(old);
	assert_non_null(cur);
	assert_int_equal(ctrl_int(old, "spec.replicas", -1), 0);
	assert_int_equal(ctrl_int(old, "status.replicas", -1), 0);
	assert_int_equal(ctrl_int(cur, "spec.replicas", -1), 3);
	assert_string_equal(ann(cur, "deployment.kubernetes.io/revision"), "2");
	d = get(fx, "deployments.apps", "api");
	assert_string_equal(ann(d, "deployment.kubernetes.io/revision"), "2");
	assert_string_equal(k1s_json_str(ctrl_cond(json_object_get(d, "status"), "Progressing"),
					 "reason"),
			    "NewReplicaSetAvailable");
	json_decref(d);
	pods = live_pods(fx, "api");
	assert_int_equal(json_array_size(pods), 3);
	json_array_foreach(pods, i, p)
		assert_string_equal(label(p, "pod-template-hash"), label(cur, "pod-template-hash"));
	json_decref(pods);

	/* kubectl rollout undo: the old template comes back and with it the
	 * old set, now revision 3. */
	d = get(fx, "deployments.apps", "api");
	{
		json_t *t = json_deep_copy(k1s_json_path(old, "spec.template"));

		json_object_del(k1s_json_path(t, "metadata.labels"), "pod-template-hash");
		json_object_set_new(json_object_get(d, "spec"), "template", t);
	}
	update(fx, "deployments.apps", d);
	json_decref(d);
	settle(fx);
	while (!rollout_done(fx, "api")) {
		finish_terminating(fx);
		run_new_pods(fx, "api", true, 1);
		settle(fx);
	}
	{
		json_t *sets = sets_of(fx, "api"), *back = set_with_image(fx, "api", "my-api:1.0");

		assert_int_equal(json_array_size(sets), 2);
		assert_string_equal(k1s_json_str(back, "metadata.name"),
				    k1s_json_str(old, "metadata.name"));
		assert_string_equal(ann(back, "deployment.kubernetes.io/revision"), "3");
		assert_string_equal(ann(back, "deployment.kubernetes.io/revision-history"), "1");
		assert_int_equal(ctrl_int(back, "spec.replicas", -1), 3);
		json_decref(back);
		json_decref(sets);
	}
	d = get(fx, "deployments.apps", "api");
	assert_string_equal(ann(d, "deployment.kubernetes.io/revision"), "3");
	json_decref(d);
	json_decref(old);
	json_decref(cur);
}

static void revision_history_limit(void **state)
{
	struct fx *fx = *state;
	json_t *d = deployment("api", 2, "my-api:1.0"), *sets;

	json_object_set_new(json_object_get(d, "spec"), "revisionHistoryLimit", json_integer(1));
	create(fx, "deployments.apps", d);
	settle(fx);
	run_new_pods(fx, "api", true, 100);
	settle(fx);
	roll(fx, "api", "my-api:2.0", 1);
	roll(fx, "api", "my-api:3.0", 1);
	roll(fx, "api", "my-api:4.0", 1);
	sets = sets_of(fx, "api");
	assert_int_equal(json_array_size(sets), 2);
	json_decref(sets);
	d = set_with_image(fx, "api", "my-api:3.0");
	assert_non_null(d);
	json_decref(d);
	d = set_with_image(fx, "api", "my-api:1.0");
	assert_null(d);
}

static void recreate_stops_old_pods_first(void **state)
{
	struct fx *fx = *state;
	json_t *d = deployment("api", 2, "my-api:1.0"), *sets, *pods;

	json_object_set_new(json_object_get(d, "spec"), "strategy",
			    json_pack("{s:s}", "type", "Recreate"));
	create(fx, "deployments.apps", d);
	settle(fx);
	run_new_pods(fx, "api", true, 100);
	settle(fx);
	set_image(fx, "api", "my-api:2.0");
	settle(fx);
	/* The old pods are terminating; nothing new yet. */
	sets = sets_of(fx, "api");
	assert_int_equal(json_array_size(sets), 1);
	json_decref(sets);
	pods = live_pods(fx, "api");
	assert_int_equal(json_array_size(pods), 0);
	json_decref(pods);
	finish_terminating(fx);
	settle(fx);
	d = set_with_image(fx, "api", "my-api:2.0");
	assert_non_null(d);
	assert_int_equal(ctrl_int(d, "spec.replicas", -1), 2);
	json_decref(d);
	pods = live_pods(fx, "api");
	assert_int_equal(json_array_size(pods), 2);
	json_decref(pods);
}

static void min_ready_seconds_delays_availability(void **state)
{
	struct fx *fx = *state;
	json_t *d = deployment("api", 2, "my-api:1.0"), *rs;

	json_object_set_new(json_object_get(d, "spec"), "minReadySeconds", json_integer(30));
	create(fx, "deployments.apps", d);
	settle(fx);
	run_new_pods(fx, "api", true, 100);
	settle(fx);
	rs = only_set(fx, "api");
	assert_int_equal(ctrl_int(rs, "status.readyReplicas", 0), 2);
	assert_int_equal(ctrl_int(rs, "status.availableReplicas", 0), 0);
	json_decref(rs);
	fast_forward(fx, 31);
	settle(fx);
	rs = only_set(fx, "api");
	assert_int_equal(ctrl_int(rs, "status.availableReplicas", 0), 2);
	json_decref(rs);
	d = get(fx, "deployments.apps", "api");
	assert_int_equal(ctrl_int(d, "status.availableReplicas", 0), 2);
	json_decref(d);
}

static void progress_deadline_exceeded(void **state)
{
	struct fx *fx = *state;
	json_t *d, *cnd;

	create(fx, "deployments.apps", deployment("api", 2, "my-api:1.0"));
	settle(fx);
	/* Nothing ever gets ready; ten minutes pass. */
	fast_forward(fx, 700);
	settle(fx);
	d = get(fx, "deployments.apps", "api");
	cnd = ctrl_cond(json_object_get(d, "status"), "Progressing");
	assert_string_equal(k1s_json_str(cnd, "status"), "False");
	assert_string_equal(k1s_json_str(cnd, "reason"), "ProgressDeadlineExceeded");
	json_decref(d);
}

/* Ready only once a whole pass has run over the store as it was: here
 * the pod the store held is bound by then. */
static void ready_after_the_first_pass(void **state)
{
	struct fx *fx = *state;
	json_t *pod;

	create(fx, "pods",
	       json_pack("{s:{s:s}, s:{s:[{s:s, s:s}]}}", "metadata", "name", "web", "spec",
			 "containers", "name", "web", "image", "nginx"));
	assert_false(ctrl_ready(fx->c));
	ctrl_reconcile(fx->c);
	assert_true(ctrl_ready(fx->c));
	pod = get(fx, "pods", "web");
	assert_string_equal(k1s_json_str(pod, "spec.nodeName"), NODE);
	json_decref(pod);
}

/* A pass gives the loop back after its writes (32), so that the API
 * answers while a Deployment of 100 starts; the next passes go on where
 * it stopped, and the API has its turn in between. */
static void a_pass_yields_after_its_writes(void **state)
{
	struct fx *fx = *state;
	json_t *pods;
	size_t first;

	create(fx, "deployments.apps", deployment("api", 100, "my-api:1.0"));
	assert_int_equal(ctrl_reconcile(fx->c), 0);	/* more to do at once */
	assert_int_equal(ctrl_reconcile(fx->c), 0);
	pods = live_pods(fx, "api");
	first = json_array_size(pods);
	json_decref(pods);
	assert_true(first > 0);
	assert_true(first < 100);
	settle(fx);
	pods = live_pods(fx, "api");
	assert_int_equal(json_array_size(pods), 100);
	json_decref(pods);
}

/* A write the API refuses is retried later, not in a tight loop. */
static void refused_writes_do_not_spin(void **state)
{
	struct fx *fx = *state;
	json_t *pods;
	int w;

	fx->fw.refuse = "pods";
	create(fx, "deployments.apps", deployment("api", 2, "my-api:1.0"));
	for (int i = 0; i < 10 && (w = ctrl_reconcile(fx->c)) == 0; i++)
		;
	assert_true(w > 0);
	fx->fw.refuse = NULL;
	fast_forward(fx, 0);
	settle(fx);
	pods = live_pods(fx, "api");
	assert_int_equal(json_array_size(pods), 2);
	json_decref(pods);
}

static void paused_deployment_scales_but_does_not_roll(void **state)
{
	struct fx *fx = *state;
	json_t *d, *sets, *pods;

	create(fx, "deployments.apps", deployment("api", 2, "my-api:1.0"));
	settle(fx);
	run_new_pods(fx, "api", true, 100);
	settle(fx);
	d = get(fx, "deployments.apps", "api");
	json_object_set_new(json_object_get(d, "spec"), "paused", json_true());
	update(fx, "deployments.apps", d);
	json_decref(d);
	set_image(fx, "api", "my-api:2.0");
	settle(fx);
	sets = sets_of(fx, "api");
	assert_int_equal(json_array_size(sets), 1);
	json_decref(sets);
	d = get(fx, "deployments.apps", "api");
	assert_string_equal(k1s_json_str(ctrl_cond(json_object_get(d, "status"), "Progressing"),
					 "reason"),
			    "DeploymentPaused");
	/* kubectl rollout resume */
	json_object_del(json_object_get(d, "spec"), "paused");
	update(fx, "deployments.apps", d);
	json_decref(d);
	settle(fx);
	pods = set_with_image(fx, "api", "my-api:2.0");
	assert_non_null(pods);
	json_decref(pods);
}

static void hundred_replicas(void **state)
{
	struct fx *fx = *state;
	struct timespec a, b, e;
	json_t *pods, *ep;
	uint64_t writes;

	clock_gettime(CLOCK_MONOTONIC, &a);
	create(fx, "deployments.apps", deployment("api", 100, "my-api:1.0"));
	create(fx, "services", service("api-service", "api", json_integer(3000)));
	settle(fx);
	clock_gettime(CLOCK_MONOTONIC, &b);
	pods = live_pods(fx, "api");
	assert_int_equal(json_array_size(pods), 100);
	json_decref(pods);
	writes = fx->c->stats.writes;
	run_new_pods(fx, "api", true, 1000);
	settle(fx);
	clock_gettime(CLOCK_MONOTONIC, &e);
	ep = get(fx, "endpoints", "api-service");
	assert_int_equal(json_array_size(json_object_get(
				 json_array_get(json_object_get(ep, "subsets"), 0), "addresses")),
			 100);
	json_decref(ep);
	print_message("100 replicas: deployment to 100 bound pods in %.0f ms (%llu writes); "
		      "100 pods ready to endpoints, slices and status in %.0f ms\n",
		      (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6,
		      (unsigned long long)writes,
		      (e.tv_sec - b.tv_sec) * 1e3 + (e.tv_nsec - b.tv_nsec) / 1e6);
	assert_true(rollout_done(fx, "api"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(scheduler_binds_pods_from_the_loop, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(scheduler_retries_after_a_conflict, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(deployment_makes_set_and_pods, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(rollout_status_fields_when_ready, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(restart_changes_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(scale_up_and_down, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(deleted_pod_is_replaced, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(orphan_pods_are_adopted, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(rolling_update_keeps_ready_pods, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(revision_history_limit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(recreate_stops_old_pods_first, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(min_ready_seconds_delays_availability, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(progress_deadline_exceeded, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(a_pass_yields_after_its_writes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(refused_writes_do_not_spin, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ready_after_the_first_pass, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(paused_deployment_scales_but_does_not_roll, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(hundred_replicas, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("controller", tests, NULL, NULL);
}
