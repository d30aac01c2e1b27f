/* The ReplicaSet controller: keeps spec.replicas active pods that the set
 * controls, adopting orphans its selector matches and releasing pods it no
 * longer matches, and reports what it sees in status. As kube's, it picks
 * the pods least worth keeping when it scales down. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl_int.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_sel.h"

#define RS_COMPONENT "replicaset-controller"
/* The most pods one pass creates or deletes for one set; kube's burst.
 * A pass that has spent its writes stops sooner and goes on in the next
 * (ctrl_pass_spent), as kube's slow start goes in batches. */
#define RS_BURST 500

struct rs_pod {
	const json_t *pod;
	bool assigned;
	int phase;		/* Pending 0, Unknown 1, Running 2 */
	bool ready;
	time_t ready_since;
	int64_t restarts;
	time_t created;
	const char *name;
};

static int phase_rank(const char *phase)
{
	if (!phase || strcmp(phase, "Pending") == 0)
		return 0;
	if (strcmp(phase, "Running") == 0)
		return 2;
	return 1;
}

static int64_t restarts(const json_t *pod)
{
	json_t *cs = k1s_json_path(pod, "status.containerStatuses");
	int64_t max = 0;
	size_t i;
	json_t *s;

	json_array_foreach(cs, i, s) {
		int64_t n = ctrl_int(s, "restartCount", 0);

		if (n > max)
			max = n;
	}
	return max;
}

/* kube's ActivePodsWithRanks order: the pods to delete first come first.
 * Unassigned before assigned, Pending before Unknown before Running, not
 * ready before ready, ready for less time before ready for longer, more
 * restarts before fewer, newer before older. */
static int rank_cmp(const void *pa, const void *pb)
{
	const struct rs_pod *a = pa, *b = pb;

	if (a->assigned != b->assigned)
		return a->assigned ? 1 : -1;
	if (a->phase != b->phase)
		return a->phase < b->phase ? -1 : 1;
	if (a->ready != b->ready)
		return a->ready ? 1 : -1;
	if (a->ready && b->ready && a->ready_since != b->ready_since)
		return a->ready_since > b->ready_since ? -1 : 1;
	if (a->restarts != b->restarts)
		return a->restarts > b->restarts ? -1 : 1;
	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	return strcmp(a->name, b->name);
}

static json_t *pod_from_template(const json_t *rs)
{
	const json_t *tmpl = k1s_json_path(rs, "spec.template");
	const char *name = k1s_json_str(rs, "metadata.name");
	json_t *labels = k1s_json_path(tmpl, "metadata.labels");
	json_t *ann = k1s_json_path(tmpl, "metadata.annotations");
	json_t *spec = k1s_json_path(tmpl, "spec");
	char gen[300];
	json_t *pod;

	snprintf(gen, sizeof(gen), "%s-", name);
	pod = json_pack("{s:s, s:s, s:{s:s, s:s, s:[o]}}", "apiVersion", "v1", "kind", "Pod",
			"metadata", "generateName", gen, "namespace",
			k1s_json_str(rs, "metadata.namespace") ?: "default", "ownerReferences",
			ctrl_owner_ref(rs, "apps/v1", "ReplicaSet"));
	if (!pod)
		return NULL;
	if (json_is_object(labels))
		json_object_set_new(json_object_get(pod, "metadata"), "labels",
				    json_deep_copy(labels));
	if (json_is_object(ann))
		json_object_set_new(json_object_get(pod, "metadata"), "annotations",
				    json_deep_copy(ann));
	json_object_set_new(pod, "spec", json_is_object(spec) ? json_deep_copy(spec) : json_object());
	return pod;
}

/* Adds (uid != NULL) or drops our controller reference on a pod. */
static int claim(struct ctrl *c, const json_t *rs, const json_t *cur, bool adopt)
{
	json_t *pod = json_deep_copy(cur);
	json_t *meta = json_object_get(pod, "metadata");
	json_t *refs = json_object_get(meta, "ownerReferences");
	const char *uid = k1s_json_str(rs, "metadata.uid");
	int err;

	if (adopt) {
		if (!json_is_array(refs)) {
			refs = json_array();
			json_object_set_new(meta, "ownerReferences", refs);
		}
		json_array_append_new(refs, ctrl_owner_ref(rs, "apps/v1", "ReplicaSet"));
	} else {
		size_t i;
		json_t *r;

		json_array_foreach(refs, i, r)
			if (strcmp(k1s_json_str(r, "uid") ?: "", uid) == 0) {
				json_array_remove(refs, i);
				break;
			}
		if (json_array_size(refs) == 0)
			json_object_del(meta, "ownerReferences");
	}
	err = ctrl_update(c, CTRL_POD, pod, false);
	json_decref(pod);
	return err;
}

static void set_count(json_t *status, const char *field, int64_t n, bool omitempty)
{
	if (n == 0 && omitempty)
		json_object_del(status, field);
	else
		json_object_set_new(status, field, json_integer(n));
}

void ctrl_rs_sync(struct ctrl *c, const char *ns, const char *name)
{
	const json_t *rs = ctrl_get(c, CTRL_RS, ns, name);
	const json_t *pods = ctrl_ns(c, CTRL_POD, ns);
	const json_t *tlabels;
	const char *uid, *pname;
	struct k1s_lsel *sel = NULL;
	struct rs_pod *act = NULL;
	json_t *hold = NULL, *adopt = NULL, *release = NULL, *pod, *status, *obj;
	size_t nact = 0, i, cap;
	int64_t replicas, min_ready, diff, nready = 0, navail = 0, nlabeled = 0;
	int created = 0, deleted = 0;
	char err[256];

	if (!rs || k1s_json_path(rs, "metadata.deletionTimestamp"))
		return;
	uid = k1s_json_str(rs, "metadata.uid");
	if (!uid)
		return;
	if (k1s_lsel_from_json(k1s_json_path(rs, "spec.selector"), &sel, err, sizeof(err)) < 0) {
		k1s_warn("ctrl", "ReplicaSet %s/%s: invalid selector: %s", ns, name, err);
		return;
	}
	replicas = ctrl_int(rs, "spec.replicas", 1);
	min_ready = ctrl_int(rs, "spec.minReadySeconds", 0);
	tlabels = k1s_json_path(rs, "spec.template.metadata.labels");

	/* Sort the namespace's pods out first: the writes below change the
	 * copy being iterated. */
	hold = json_array();
	adopt = json_array();
	release = json_array();
	json_object_foreach((json_t *)pods, pname, pod) {
		const json_t *ref = ctrl_controller_ref(pod);
		bool match = k1s_lsel_match(sel, k1s_json_path(pod, "metadata.labels"));

		if (!ref) {
			if (match && ctrl_pod_active(pod))
				json_array_append(adopt, pod);
			continue;
		}
		if (!ctrl_owned_by(pod, uid))
			continue;
		if (!match) {
			json_array_append(release, pod);
			continue;
		}
		if (ctrl_pod_active(pod))
			json_array_append(hold, pod);
	}
	json_array_foreach(release, i, pod)
		claim(c, rs, pod, false);
	json_array_foreach(adopt, i, pod) {
		const char *n = k1s_json_str(pod, "metadata.name");

		if (claim(c, rs, pod, true) == 0 && (obj = (json_t *)ctrl_get(c, CTRL_POD, ns, n)))
			json_array_append(hold, obj);
	}

	cap = json_array_size(hold);
	act = calloc(cap ? cap : 1, sizeof(*act));
	if (!act)
		goto out;
	json_array_foreach(hold, i, pod) {
		struct rs_pod *p = &act[nact++];

		p->pod = pod;
		p->name = k1s_json_str(pod, "metadata.name") ?: "";
		p->assigned = k1s_json_str(pod, "spec.nodeName") != NULL;
		p->phase = phase_rank(k1s_json_str(pod, "status.phase"));
		p->ready = ctrl_pod_ready(pod, &p->ready_since);
		p->restarts = restarts(pod);
		p->created = ctrl_time(pod, "metadata.creationTimestamp");
	}

	diff = (int64_t)nact - replicas;
	if (diff > 0) {
		qsort(act, nact, sizeof(*act), rank_cmp);
		for (i = 0; i < (size_t)diff && i < RS_BURST; i++) {
			const json_t *p = act[i].pod;

			if (i > 0 && ctrl_pass_spent(c)) {
				ctrl_mark(c, CTRL_Q_RS, ns, name);
				break;
			}
			if (ctrl_remove(c, CTRL_POD, ns, act[i].name, k1s_json_str(p, "metadata.uid"),
					-1) < 0) {
				ctrl_retry(c, CTRL_Q_RS, ns, name);
				break;
			}
			ctrl_event(c, rs, "ReplicaSet", "apps/v1", "Normal", "SuccessfulDelete",
				   RS_COMPONENT, "Deleted pod: %s", act[i].name);
			act[i].pod = NULL;
			deleted++;
		}
	} else if (diff < 0) {
		for (i = 0; i < (size_t)-diff && i < RS_BURST; i++) {
			json_t *np;
			int e;

			if (i > 0 && ctrl_pass_spent(c)) {
				ctrl_mark(c, CTRL_Q_RS, ns, name);
				break;
			}
			np = pod_from_template(rs);
			e = np ? ctrl_create(c, CTRL_POD, np) : -ENOMEM;
			if (e < 0) {
				json_decref(np);
				ctrl_retry(c, CTRL_Q_RS, ns, name);
				break;
			}
			ctrl_event(c, rs, "ReplicaSet", "apps/v1", "Normal", "SuccessfulCreate",
				   RS_COMPONENT, "Created pod: %s", k1s_json_str(np, "metadata.name"));
			json_decref(np);
			created++;
		}
		/* The creates may have changed the copy of rs (not), but the
		 * pointer stays valid: only pods were written. */
	}

	/* Status as it stands after this pass's writes: deleted pods are
	 * gone, created ones are not ready yet. */
	for (i = 0; i < nact; i++) {
		const json_t *p = act[i].pod;

		if (!p)
			continue;
		if (json_object_size(tlabels) == 0 ||
		    ctrl_map_match(tlabels, k1s_json_path(p, "metadata.labels")))
			nlabeled++;
		if (!act[i].ready)
			continue;
		nready++;
		if (min_ready <= 0 || act[i].ready_since + min_ready <= ctrl_now(c))
			navail++;
		else
			ctrl_mark_at(c, CTRL_Q_RS, ns, name,
				     c->now_ms + (act[i].ready_since + min_ready - ctrl_now(c)) * 1000);
	}
	nlabeled += created;

	rs = ctrl_get(c, CTRL_RS, ns, name);
	if (!rs)
		goto out;
	status = json_object_get(rs, "status");
	status = json_is_object(status) ? json_deep_copy(status) : json_object();
	set_count(status, "replicas", (int64_t)nact - deleted + created, false);
	set_count(status, "fullyLabeledReplicas", nlabeled, true);
	set_count(status, "readyReplicas", nready, true);
	set_count(status, "availableReplicas", navail, true);
	set_count(status, "observedGeneration", ctrl_int(rs, "metadata.generation", 0), true);
	if (!json_equal(status, json_object_get(rs, "status"))) {
		obj = json_deep_copy(rs);
		json_object_set(obj, "status", status);
		if (ctrl_update(c, CTRL_RS, obj, true) == K1S_ECONFLICT)
			ctrl_retry(c, CTRL_Q_RS, ns, name);
		json_decref(obj);
	}
	json_decref(status);
out:
	free(act);
	json_decref(hold);
	json_decref(adopt);
	json_decref(release);
	k1s_lsel_free(sel);
}
