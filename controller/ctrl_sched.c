/* The scheduler: there is one node, so scheduling is binding every pod
 * that has none to it, with the PodScheduled condition and the "Scheduled"
 * event kube-scheduler records. */
#include <errno.h>
#include <string.h>

#include "ctrl_int.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "st.h"

/* Sets PodScheduled True in a pod's status, keeping its transition time
 * when it already was. */
static void set_scheduled(struct ctrl *c, json_t *pod)
{
	json_t *status = k1s_json_obj(pod, "status");
	json_t *conds = json_object_get(status, "conditions");
	json_t *cnd = ctrl_cond(status, "PodScheduled");
	char ts[32];

	if (!json_is_array(conds)) {
		conds = json_array();
		json_object_set_new(status, "conditions", conds);
	}
	if (!cnd) {
		cnd = json_object();
		json_array_append_new(conds, cnd);
	}
	if (json_is_string(json_object_get(cnd, "status")) &&
	    strcmp(k1s_json_str(cnd, "status"), "True") == 0)
		return;
	k1s_time_fmt(ts, sizeof(ts), ctrl_now(c));
	json_object_set_new(cnd, "type", json_string("PodScheduled"));
	json_object_set_new(cnd, "status", json_string("True"));
	json_object_set_new(cnd, "lastProbeTime", json_null());
	json_object_set_new(cnd, "lastTransitionTime", json_string(ts));
	json_object_del(cnd, "reason");
	json_object_del(cnd, "message");
	if (!json_object_get(status, "phase"))
		json_object_set_new(status, "phase", json_string("Pending"));
}

void ctrl_sched_sync(struct ctrl *c, const char *ns, const char *name)
{
	const json_t *cur = ctrl_get(c, CTRL_POD, ns, name);
	const char *sched;
	json_t *pod;
	int err;

	if (!cur || k1s_json_str(cur, "spec.nodeName") ||
	    k1s_json_path(cur, "metadata.deletionTimestamp"))
		return;
	/* Pods that ask for another scheduler are not ours to bind. */
	sched = k1s_json_str(cur, "spec.schedulerName");
	if (sched && *sched && strcmp(sched, "default-scheduler") != 0)
		return;
	pod = json_deep_copy(cur);
	k1s_json_set_str(pod, "spec.nodeName", c->node_name);
	err = ctrl_update(c, CTRL_POD, pod, false);
	if (err < 0) {
		ctrl_retry(c, CTRL_Q_SCHED, ns, name);
		json_decref(pod);
		return;
	}
	/* The binding is done; the condition is only reporting it. A conflict
	 * means the runtime wrote status meanwhile: try once more from the
	 * stored object. */
	for (int tries = 0; tries < 2; tries++) {
		set_scheduled(c, pod);
		err = ctrl_update(c, CTRL_POD, pod, true);
		if (err != K1S_ECONFLICT)
			break;
		json_decref(pod);
		pod = NULL;
		if (st_get(c->st, "pods", ns, name, &pod) < 0)
			break;
	}
	if (pod)
		ctrl_event(c, pod, "Pod", "v1", "Normal", "Scheduled", "default-scheduler",
			   "Successfully assigned %s/%s to %s", ns, name, c->node_name);
	json_decref(pod);
}
