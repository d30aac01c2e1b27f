/* The Job controller: pods from the template until enough succeed, the
 * backoff limit, the conditions kube 1.32 sets, ttlSecondsAfterFinished. */
#include "ctrl_test.h"

/* A Job as admission leaves it: defaults, generated selector and labels. */
static json_t *job(const char *name, int completions, int parallelism, int backoff,
                   const char *restart)
{
	char uid[64];

	snprintf(uid, sizeof(uid), "uid-of-%s", name);
	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:i, s:i, s:i, s:s, s:b, s:{s:{s:s}}, "
	                 "s:{s:{s:{s:s, s:s}}, s:{s:s, s:[{s:s, s:s}]}}}, s:{}}",
	                 "apiVersion", "batch/v1", "kind", "Job", "metadata", "name", name,
	                 "namespace", NS, "spec", "completions", completions, "parallelism",
	                 parallelism, "backoffLimit", backoff, "completionMode", "NonIndexed",
	                 "suspend", 0, "selector", "matchLabels", "batch.kubernetes.io/job-name",
	                 name, "template", "metadata", "labels", "batch.kubernetes.io/job-name",
	                 name, "app", name, "spec", "restartPolicy", restart, "containers", "name",
	                 "work", "image", "busybox", "status");
}

/* What the runtime writes when a pod's containers have run: the phase,
 * and the restarts of a container that restarts in place. */
static void pod_phase(struct fx *fx, const char *name, const char *phase, int restarts)
{
	json_t *pod = get(fx, "pods", name);

	assert_non_null(pod);
	json_object_set_new(pod, "status",
	                    json_pack("{s:s, s:[{s:s, s:i}]}", "phase", phase, "containerStatuses",
	                              "name", "work", "restartCount", restarts));
	assert_int_equal(fx->fw.w.update(&fx->fw, res_of("pods"), pod, true), 0);
	json_decref(pod);
}

/* The names of the live pods of app (not Succeeded or Failed). */
static json_t *active_pods(struct fx *fx, const char *app)
{
	json_t *pods = live_pods(fx, app), *out = json_array(), *p;
	size_t i;

	json_array_foreach(pods, i, p) if (ctrl_pod_active(p))
	    json_array_append_new(out, json_string(k1s_json_str(p, "metadata.name")));
	json_decref(pods);
	return out;
}

static const char *cond(const json_t *j, size_t i, const char *member)
{
	return k1s_json_str(json_array_get(k1s_json_path(j, "status.conditions"), i), member);
}

static void runs_a_pod_to_completion(void **state)
{
	struct fx *fx = *state;
	json_t *act, *j, *pod, *ref, *ev;

	create(fx, "jobs.batch", job("certgen", 1, 1, 6, "OnFailure"));
	settle(fx);
	act = active_pods(fx, "certgen");
	assert_int_equal(json_array_size(act), 1);
	/* job-name-XXXXX, controlled by the Job, labelled from the template. */
	pod = get(fx, "pods", json_string_value(json_array_get(act, 0)));
	assert_memory_equal(k1s_json_str(pod, "metadata.name"), "certgen-", 8);
	ref = json_array_get(k1s_json_path(pod, "metadata.ownerReferences"), 0);
	assert_string_equal(k1s_json_str(ref, "kind"), "Job");
	assert_string_equal(k1s_json_str(ref, "apiVersion"), "batch/v1");
	assert_true(json_is_true(json_object_get(ref, "controller")));
	assert_string_equal(k1s_json_str(pod, "spec.restartPolicy"), "OnFailure");
	j = get(fx, "jobs.batch", "certgen");
	assert_int_equal(ctrl_int(j, "status.active", 0), 1);
	assert_non_null(k1s_json_str(j, "status.startTime"));
	assert_null(k1s_json_path(j, "status.conditions"));
	json_decref(j);

	pod_phase(fx, k1s_json_str(pod, "metadata.name"), "Succeeded", 0);
	settle(fx);
	j = get(fx, "jobs.batch", "certgen");
	assert_int_equal(ctrl_int(j, "status.succeeded", 0), 1);
	assert_null(k1s_json_path(j, "status.active"));
	assert_int_equal(ctrl_int(j, "status.ready", -1), 0);
	assert_non_null(k1s_json_str(j, "status.completionTime"));
	/* kube 1.32 sets SuccessCriteriaMet, then Complete. */
	assert_string_equal(cond(j, 0, "type"), "SuccessCriteriaMet");
	assert_string_equal(cond(j, 1, "type"), "Complete");
	assert_string_equal(cond(j, 1, "status"), "True");
	assert_string_equal(cond(j, 1, "reason"), "CompletionsReached");
	json_decref(j);
	/* Nothing more to run, and the finished pod stays. */
	json_decref(act);
	act = active_pods(fx, "certgen");
	assert_int_equal(json_array_size(act), 0);
	assert_non_null((ev = get(fx, "pods", k1s_json_str(pod, "metadata.name"))));
	json_decref(ev);
	ev = events(fx, "Completed");
	assert_int_equal(json_array_size(ev), 1);
	json_decref(ev);
	ev = events(fx, "SuccessfulCreate");
	assert_int_equal(json_array_size(ev), 1);
	json_decref(ev);
	json_decref(pod);
	json_decref(act);
}

static void parallelism_and_completions(void **state)
{
	struct fx *fx = *state;
	json_t *act, *j;

	create(fx, "jobs.batch", job("batch", 3, 2, 6, "Never"));
	settle(fx);
	act = active_pods(fx, "batch");
	assert_int_equal(json_array_size(act), 2);
	pod_phase(fx, json_string_value(json_array_get(act, 0)), "Succeeded", 0);
	settle(fx);
	json_decref(act);
	/* One left to run beside the one still running: two active. */
	act = active_pods(fx, "batch");
	assert_int_equal(json_array_size(act), 2);
	pod_phase(fx, json_string_value(json_array_get(act, 0)), "Succeeded", 0);
	settle(fx);
	json_decref(act);
	/* Only one more is needed. */
	act = active_pods(fx, "batch");
	assert_int_equal(json_array_size(act), 1);
	j = get(fx, "jobs.batch", "batch");
	assert_int_equal(ctrl_int(j, "status.succeeded", 0), 2);
	assert_null(k1s_json_path(j, "status.conditions"));
	json_decref(j);
	pod_phase(fx, json_string_value(json_array_get(act, 0)), "Succeeded", 0);
	settle(fx);
	json_decref(act);
	j = get(fx, "jobs.batch", "batch");
	assert_int_equal(ctrl_int(j, "status.succeeded", 0), 3);
	assert_string_equal(cond(j, 1, "type"), "Complete");
	json_decref(j);
}

static void backoff_limit_fails_the_job(void **state)
{
	struct fx *fx = *state;
	json_t *act, *j, *ev;

	create(fx, "jobs.batch", job("flaky", 1, 1, 1, "Never"));
	settle(fx);
	act = active_pods(fx, "flaky");
	pod_phase(fx, json_string_value(json_array_get(act, 0)), "Failed", 0);
	settle(fx);
	json_decref(act);
	/* One failure is within the limit: a new pod. */
	act = active_pods(fx, "flaky");
	assert_int_equal(json_array_size(act), 1);
	pod_phase(fx, json_string_value(json_array_get(act, 0)), "Failed", 0);
	settle(fx);
	json_decref(act);
	act = active_pods(fx, "flaky");
	assert_int_equal(json_array_size(act), 0);
	j = get(fx, "jobs.batch", "flaky");
	assert_int_equal(ctrl_int(j, "status.failed", 0), 2);
	assert_string_equal(cond(j, 0, "type"), "FailureTarget");
	assert_string_equal(cond(j, 1, "type"), "Failed");
	assert_string_equal(cond(j, 1, "reason"), "BackoffLimitExceeded");
	assert_string_equal(cond(j, 1, "message"), "Job has reached the specified backoff limit");
	assert_null(k1s_json_str(j, "status.completionTime"));
	json_decref(j);
	ev = events(fx, "BackoffLimitExceeded");
	assert_int_equal(json_array_size(ev), 1);
	assert_string_equal(k1s_json_str(json_array_get(ev, 0), "type"), "Warning");
	json_decref(ev);
	json_decref(act);
}

/* Under OnFailure the container restarts in its pod; the restarts are
 * the failures, and the pod of a failed Job is stopped. */
static void restarts_count_under_on_failure(void **state)
{
	struct fx *fx = *state;
	json_t *act, *j;

	create(fx, "jobs.batch", job("crashy", 1, 1, 2, "OnFailure"));
	settle(fx);
	act = active_pods(fx, "crashy");
	pod_phase(fx, json_string_value(json_array_get(act, 0)), "Running", 2);
	settle(fx);
	j = get(fx, "jobs.batch", "crashy");
	assert_null(k1s_json_path(j, "status.conditions"));
	json_decref(j);
	pod_phase(fx, json_string_value(json_array_get(act, 0)), "Running", 3);
	settle(fx);
	j = get(fx, "jobs.batch", "crashy");
	assert_string_equal(cond(j, 1, "type"), "Failed");
	json_decref(j);
	json_decref(act);
	act = active_pods(fx, "crashy");
	assert_int_equal(json_array_size(act), 0);
	json_decref(act);
}

static void ttl_deletes_the_finished_job(void **state)
{
	struct fx *fx = *state;
	json_t *act, *j, *pods;

	j = job("once", 1, 1, 6, "Never");
	json_object_set_new(json_object_get(j, "spec"), "ttlSecondsAfterFinished",
	                    json_integer(60));
	create(fx, "jobs.batch", j);
	settle(fx);
	act = active_pods(fx, "once");
	pod_phase(fx, json_string_value(json_array_get(act, 0)), "Succeeded", 0);
	settle(fx);
	json_decref(act);
	j = get(fx, "jobs.batch", "once");
	assert_non_null(j);
	json_decref(j);
	fast_forward(fx, 30);
	settle(fx);
	j = get(fx, "jobs.batch", "once");
	assert_non_null(j);
	json_decref(j);
	fast_forward(fx, 61);
	settle(fx);
	assert_null(get(fx, "jobs.batch", "once"));
	/* Its pods go with it. */
	pods = live_pods(fx, "once");
	assert_int_equal(json_array_size(pods), 0);
	json_decref(pods);
}

static void suspended_job_runs_nothing(void **state)
{
	struct fx *fx = *state;
	json_t *j = job("held", 1, 1, 6, "Never"), *act;

	json_object_set_new(json_object_get(j, "spec"), "suspend", json_true());
	create(fx, "jobs.batch", j);
	settle(fx);
	act = active_pods(fx, "held");
	assert_int_equal(json_array_size(act), 0);
	json_decref(act);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(runs_a_pod_to_completion, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(parallelism_and_completions, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(backoff_limit_fails_the_job, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(restarts_count_under_on_failure, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(ttl_deletes_the_finished_job, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(suspended_job_runs_nothing, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
