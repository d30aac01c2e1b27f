/* The Job controller, after kube's pkg/controller/job (NonIndexed Jobs):
 * runs up to spec.parallelism pods from the template until
 * spec.completions of them have succeeded, counts failures against
 * spec.backoffLimit, and reports in status with the conditions kube 1.32
 * sets: SuccessCriteriaMet and Complete, or FailureTarget and Failed. A
 * finished Job with ttlSecondsAfterFinished is deleted once that has
 * passed, as the TTL-after-finished controller does; its pods go with it
 * (the writer deletes in the background, dependents included). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctrl_int.h"
#include "k1s_json.h"
#include "k1s_log.h"

#define JOB_COMPONENT "job-controller"
/* The most pods one pass creates for one Job. */
#define JOB_BURST 500

struct job_count {
	int64_t active, ready, succeeded, failed, terminating;
	int64_t restarts; /* of the active pods' containers: failures under OnFailure */
};

static bool cond_true(const json_t *status, const char *type)
{
	return strcmp(k1s_json_str(ctrl_cond(status, type), "status") ?: "", "True") == 0;
}

static json_t *pod_from_template(const json_t *job)
{
	const json_t *tmpl = k1s_json_path(job, "spec.template");
	json_t *labels = k1s_json_path(tmpl, "metadata.labels");
	json_t *ann = k1s_json_path(tmpl, "metadata.annotations");
	json_t *spec = k1s_json_path(tmpl, "spec");
	char gen[300];
	json_t *pod;

	snprintf(gen, sizeof(gen), "%s-", k1s_json_str(job, "metadata.name"));
	pod = json_pack("{s:s, s:s, s:{s:s, s:s, s:[o]}}", "apiVersion", "v1", "kind", "Pod",
	                "metadata", "generateName", gen, "namespace",
	                k1s_json_str(job, "metadata.namespace") ?: "default", "ownerReferences",
	                ctrl_owner_ref(job, "batch/v1", "Job"));
	if (!pod)
		return NULL;
	if (json_is_object(labels))
		json_object_set_new(json_object_get(pod, "metadata"), "labels",
		                    json_deep_copy(labels));
	if (json_is_object(ann))
		json_object_set_new(json_object_get(pod, "metadata"), "annotations",
		                    json_deep_copy(ann));
	json_object_set_new(pod, "spec",
	                    json_is_object(spec) ? json_deep_copy(spec) : json_object());
	return pod;
}

static void count_pods(struct ctrl *c, const char *ns, const char *uid, struct job_count *n,
                       json_t *active)
{
	const json_t *pods = ctrl_ns(c, CTRL_POD, ns);
	const char *pname;
	json_t *pod;

	json_object_foreach((json_t *)pods, pname, pod)
	{
		const char *phase = k1s_json_str(pod, "status.phase") ?: "";
		size_t i;
		json_t *cs;

		if (!ctrl_owned_by(pod, uid))
			continue;
		if (strcmp(phase, "Succeeded") == 0) {
			n->succeeded++;
		} else if (strcmp(phase, "Failed") == 0) {
			n->failed++;
		} else if (k1s_json_path(pod, "metadata.deletionTimestamp")) {
			n->terminating++;
		} else {
			n->active++;
			if (ctrl_pod_ready(pod, NULL))
				n->ready++;
			json_array_foreach(k1s_json_path(pod, "status.containerStatuses"), i, cs)
			    n->restarts += ctrl_int(cs, "restartCount", 0);
			json_array_append(active, pod);
		}
	}
}

static void add_cond(json_t *status, const char *type, const char *reason, const char *msg,
                     const char *now)
{
	json_t *conds = json_object_get(status, "conditions");

	if (!json_is_array(conds)) {
		conds = json_array();
		json_object_set_new(status, "conditions", conds);
	}
	json_array_append_new(conds,
	                      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type, "status",
	                                "True", "lastProbeTime", now, "lastTransitionTime", now,
	                                "reason", reason, "message", msg));
}

/* ttlSecondsAfterFinished: deletes the finished Job once it has passed,
 * or comes back then. */
static void ttl_expire(struct ctrl *c, const json_t *job, const char *ns, const char *name)
{
	const json_t *ttl = k1s_json_path(job, "spec.ttlSecondsAfterFinished");
	const json_t *status = json_object_get(job, "status");
	time_t done = ctrl_time(job, "status.completionTime");
	int64_t due;

	if (!json_is_integer(ttl))
		return;
	if (!done) {
		json_t *failed = ctrl_cond(status, "Failed");

		done = ctrl_time(failed, "lastTransitionTime");
	}
	due = (int64_t)done + json_integer_value(ttl);
	if (due > ctrl_now(c)) {
		ctrl_mark_at(c, CTRL_Q_JOB, ns, name, c->now_ms + (due - ctrl_now(c)) * 1000);
		return;
	}
	k1s_info("ctrl", "Job %s/%s: ttlSecondsAfterFinished passed, deleting it", ns, name);
	if (ctrl_remove(c, CTRL_JOB, ns, name, k1s_json_str(job, "metadata.uid"), -1) < 0)
		ctrl_retry(c, CTRL_Q_JOB, ns, name);
}

void ctrl_job_sync(struct ctrl *c, const char *ns, const char *name)
{
	const json_t *job = ctrl_get(c, CTRL_JOB, ns, name);
	const json_t *spec = json_object_get(job, "spec");
	const json_t *completions = json_object_get(spec, "completions");
	struct job_count n = {0};
	json_t *active = NULL, *status, *obj, *pod;
	const char *uid, *policy;
	int64_t want, failures, limit, parallelism;
	bool finished = false;
	char now[32];
	size_t i;

	if (!job || k1s_json_path(job, "metadata.deletionTimestamp"))
		return;
	uid = k1s_json_str(job, "metadata.uid");
	if (!uid)
		return;
	status = json_object_get(job, "status");
	if (cond_true(status, "Complete") || cond_true(status, "Failed")) {
		ttl_expire(c, job, ns, name);
		return;
	}
	if (json_is_true(json_object_get(spec, "suspend")))
		return;
	k1s_time_fmt(now, sizeof(now), ctrl_now(c));
	active = json_array();
	count_pods(c, ns, uid, &n, active);

	status = json_is_object(status) ? json_deep_copy(status) : json_object();
	if (!json_object_get(status, "startTime"))
		json_object_set_new(status, "startTime", json_string(now));
	policy = k1s_json_str(spec, "template.spec.restartPolicy") ?: "";
	/* Under OnFailure a failing container restarts in its pod: kube
	 * counts its restarts as failures. */
	failures = n.failed + (strcmp(policy, "OnFailure") == 0 ? n.restarts : 0);
	limit = ctrl_int(spec, "backoffLimit", 6);
	parallelism = ctrl_int(spec, "parallelism", 1);

	if (failures > limit) {
		json_array_foreach(
		    active, i,
		    pod) if (ctrl_remove(c, CTRL_POD, ns, k1s_json_str(pod, "metadata.name"),
		                         k1s_json_str(pod, "metadata.uid"), -1) == 0) n.active--;
		add_cond(status, "FailureTarget", "BackoffLimitExceeded",
		         "Job has reached the specified backoff limit", now);
		add_cond(status, "Failed", "BackoffLimitExceeded",
		         "Job has reached the specified backoff limit", now);
		ctrl_event(c, job, "Job", "batch/v1", "Warning", "BackoffLimitExceeded",
		           JOB_COMPONENT, "Job has reached the specified backoff limit");
		finished = true;
	} else if ((json_is_integer(completions) &&
	            n.succeeded >= json_integer_value(completions)) ||
	           (!json_is_integer(completions) && n.succeeded > 0 && n.active == 0)) {
		add_cond(status, "SuccessCriteriaMet", "CompletionsReached",
		         "Reached expected number of succeeded pods", now);
		add_cond(status, "Complete", "CompletionsReached",
		         "Reached expected number of succeeded pods", now);
		json_object_set_new(status, "completionTime", json_string(now));
		ctrl_event(c, job, "Job", "batch/v1", "Normal", "Completed", JOB_COMPONENT,
		           "Job completed");
		finished = true;
	} else {
		want = parallelism;
		if (json_is_integer(completions) &&
		    json_integer_value(completions) - n.succeeded < want)
			want = json_integer_value(completions) - n.succeeded;
		want -= n.active;
		for (int64_t k = 0; k < want && k < JOB_BURST; k++) {
			json_t *np = pod_from_template(job);
			int e = np ? ctrl_create(c, CTRL_POD, np) : -ENOMEM;

			if (e < 0) {
				json_decref(np);
				ctrl_retry(c, CTRL_Q_JOB, ns, name);
				break;
			}
			ctrl_event(c, job, "Job", "batch/v1", "Normal", "SuccessfulCreate",
			           JOB_COMPONENT, "Created pod: %s",
			           k1s_json_str(np, "metadata.name"));
			json_decref(np);
			n.active++;
		}
	}

	/* Counts as kube's status has them: ready and terminating always,
	 * the others omitted when zero. */
	if (n.active)
		json_object_set_new(status, "active", json_integer(n.active));
	else
		json_object_del(status, "active");
	if (n.succeeded)
		json_object_set_new(status, "succeeded", json_integer(n.succeeded));
	if (n.failed)
		json_object_set_new(status, "failed", json_integer(n.failed));
	json_object_set_new(status, "ready", json_integer(finished ? 0 : n.ready));
	json_object_set_new(status, "terminating", json_integer(n.terminating));
	json_object_set_new(status, "uncountedTerminatedPods", json_object());

	job = ctrl_get(c, CTRL_JOB, ns, name);
	if (job && !json_equal(status, json_object_get(job, "status"))) {
		obj = json_deep_copy(job);
		json_object_set(obj, "status", status);
		if (ctrl_update(c, CTRL_JOB, obj, true) == K1S_ECONFLICT)
			ctrl_retry(c, CTRL_Q_JOB, ns, name);
		else if (finished)
			ttl_expire(c, obj, ns, name);
		json_decref(obj);
	}
	json_decref(status);
	json_decref(active);
}
