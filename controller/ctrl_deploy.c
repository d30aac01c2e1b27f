/* The Deployment controller, after kube's: one ReplicaSet per pod template
 * (named by the template's hash), rolled over by the RollingUpdate or
 * Recreate strategy, old sets kept up to revisionHistoryLimit, and the
 * status and conditions that `kubectl rollout status` reads.
 *
 * A decision to scale down rests on the replica sets' availability, so it
 * waits until every set's status reflects its current spec
 * (status.observedGeneration == metadata.generation). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl_int.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_sel.h"
#include "st.h"

#define DC_COMPONENT "deployment-controller"
#define ANN_REV "deployment.kubernetes.io/revision"
#define ANN_REV_HIST "deployment.kubernetes.io/revision-history"
#define ANN_DESIRED "deployment.kubernetes.io/desired-replicas"
#define ANN_MAX "deployment.kubernetes.io/max-replicas"
#define LBL_HASH "pod-template-hash"
#define REV_HIST_MAX 2000	/* kube's cap on the revision-history annotation */

/* One reconciliation of one deployment. */
struct dctx {
	struct ctrl *c;
	const char *ns, *name;
	json_t *d;		/* the deployment as last stored */
	json_t *status;		/* its status as this pass has changed it */
	json_t *rss;		/* the replica sets it controls, as last stored */
	ssize_t inew;		/* index of the new set in rss, or -1 */
	int64_t replicas, surge, unavail;
	bool rolling;
};

/* ---- pod-template-hash ---- */

void ctrl_template_hash(const json_t *tmpl, int64_t collisions, char *buf, size_t len)
{
	/* kube's SafeEncodeString alphabet: no vowels, no confusable digits. */
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	char *s = json_dumps(tmpl, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	uint32_t h = 2166136261u;
	char dec[16];
	size_t i;

	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	free(s);
	if (collisions >= 0) {
		uint32_t cc = (uint32_t)collisions;

		for (i = 0; i < 4; i++) {
			h ^= (cc >> (8 * i)) & 0xff;
			h *= 16777619u;
		}
	}
	snprintf(dec, sizeof(dec), "%" PRIu32, h);
	for (i = 0; dec[i] && i + 1 < len; i++)
		buf[i] = alnum[(unsigned char)dec[i] % (sizeof(alnum) - 1)];
	if (len)
		buf[i < len ? i : len - 1] = '\0';
}

/* ---- small helpers ---- */

static json_t *rs_at(const struct dctx *x, size_t i)
{
	return json_array_get(x->rss, i);
}

static json_t *new_rs(const struct dctx *x)
{
	return x->inew >= 0 ? rs_at(x, (size_t)x->inew) : NULL;
}

static int64_t spec_replicas(const json_t *rs)
{
	return ctrl_int(rs, "spec.replicas", 1);
}

static int64_t rs_revision(const json_t *rs)
{
	const char *s = json_string_value(
		json_object_get(k1s_json_path(rs, "metadata.annotations"), ANN_REV));

	return s ? strtoll(s, NULL, 10) : 0;
}

static const char *annotation(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(k1s_json_path(obj, "metadata.annotations"), key));
}

static bool set_annotation(json_t *obj, const char *key, const char *value)
{
	json_t *ann = k1s_json_obj(obj, "metadata.annotations");
	const char *cur = json_string_value(json_object_get(ann, key));

	if (cur && strcmp(cur, value) == 0)
		return false;
	json_object_set_new(ann, key, json_string(value));
	return true;
}

/* An IntOrString of maxSurge/maxUnavailable against `total`; percentages
 * round up or down as kube's GetScaledValueFromIntOrPercent. */
static int64_t scaled_value(const json_t *v, int64_t def_pct, int64_t total, bool round_up)
{
	int64_t pct = def_pct;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		pct = strtoll(s, &end, 10);
		if (*end != '%')
			return pct;
	}
	return round_up ? (pct * total + 99) / 100 : pct * total / 100;
}

static void fenceposts(struct dctx *x)
{
	const json_t *ru = k1s_json_path(x->d, "spec.strategy.rollingUpdate");

	x->surge = x->unavail = 0;
	if (!x->rolling)
		return;
	x->surge = scaled_value(json_object_get(ru, "maxSurge"), 25, x->replicas, true);
	x->unavail = scaled_value(json_object_get(ru, "maxUnavailable"), 25, x->replicas, false);
	if (x->surge == 0 && x->unavail == 0)
		x->unavail = 1;	/* kube: a rollout must be able to move */
}

/* kube's MaxUnavailable(): 0 unless rolling, at most spec.replicas. */
static int64_t max_unavailable(const struct dctx *x)
{
	if (!x->rolling || x->replicas == 0)
		return 0;
	return x->unavail > x->replicas ? x->replicas : x->unavail;
}

static bool has_deadline(const struct dctx *x)
{
	json_t *v = k1s_json_path(x->d, "spec.progressDeadlineSeconds");

	return json_is_integer(v) && json_integer_value(v) != INT32_MAX;
}

/* A deployment condition as kube's NewDeploymentCondition makes it. */
static json_t *condition(struct dctx *x, const char *type, const char *status,
			 const char *reason, const char *msg)
{
	char ts[32];

	k1s_time_fmt(ts, sizeof(ts), ctrl_now(x->c));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type, "status", status,
			 "lastUpdateTime", ts, "lastTransitionTime", ts, "reason", reason, "message",
			 msg);
}

static void drop_condition(json_t *status, const char *type)
{
	json_t *conds = json_object_get(status, "conditions");

	for (size_t i = 0; i < json_array_size(conds); i++) {
		const char *t = k1s_json_str(json_array_get(conds, i), "type");

		if (t && strcmp(t, type) == 0)
			json_array_remove(conds, i--);
	}
}

/* kube's SetDeploymentCondition: no change for the same status and reason;
 * the transition time stays while the status does. Steals cnd. */
static void set_condition(json_t *status, json_t *cnd)
{
	const char *type = k1s_json_str(cnd, "type");
	json_t *cur = ctrl_cond(status, type);
	json_t *conds;

	if (cur && strcmp(k1s_json_str(cur, "status") ?: "", k1s_json_str(cnd, "status")) == 0) {
		if (strcmp(k1s_json_str(cur, "reason") ?: "", k1s_json_str(cnd, "reason")) == 0) {
			json_decref(cnd);
			return;
		}
		json_object_set(cnd, "lastTransitionTime", json_object_get(cur, "lastTransitionTime"));
	}
	drop_condition(status, type);
	conds = json_object_get(status, "conditions");
	if (!json_is_array(conds)) {
		conds = json_array();
		json_object_set_new(status, "conditions", conds);
	}
	json_array_append_new(conds, cnd);
}

/* The template of a replica set without its pod-template-hash label. */
static bool same_template(const json_t *rs, const json_t *d)
{
	json_t *t = json_deep_copy(k1s_json_path(rs, "spec.template"));
	json_t *labels = k1s_json_path(t, "metadata.labels");
	bool eq;

	json_object_del(labels, LBL_HASH);
	eq = json_equal(t, k1s_json_path(d, "spec.template"));
	json_decref(t);
	return eq;
}

static int cmp_created(const json_t *a, const json_t *b)
{
	time_t ta = ctrl_time(a, "metadata.creationTimestamp");
	time_t tb = ctrl_time(b, "metadata.creationTimestamp");

	if (ta != tb)
		return ta < tb ? -1 : 1;
	return strcmp(k1s_json_str(a, "metadata.name") ?: "", k1s_json_str(b, "metadata.name") ?: "");
}

/* Indexes of the old sets, oldest first (by_rev: lowest revision first). */
static size_t old_sets(const struct dctx *x, size_t *idx, bool by_rev)
{
	size_t n = 0;

	for (size_t i = 0; i < json_array_size(x->rss); i++)
		if ((ssize_t)i != x->inew)
			idx[n++] = i;
	/* Insertion sort: a deployment has a handful of sets. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			json_t *a = rs_at(x, idx[j - 1]), *b = rs_at(x, idx[j]);
			int cmp = by_rev ? (rs_revision(a) > rs_revision(b) ? 1 :
					    rs_revision(a) < rs_revision(b) ? -1 : cmp_created(a, b))
					 : cmp_created(a, b);
			size_t t;

			if (cmp <= 0)
				break;
			t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	return n;
}

static int64_t sum(const struct dctx *x, const char *path, bool olds_only)
{
	int64_t n = 0;

	for (size_t i = 0; i < json_array_size(x->rss); i++)
		if (!olds_only || (ssize_t)i != x->inew)
			n += ctrl_int(rs_at(x, i), path, strcmp(path, "spec.replicas") == 0 ? 1 : 0);
	return n;
}

/* Replaces set i by its stored state after a write. */
static void put_rs(struct dctx *x, size_t i, json_t *rs)
{
	json_array_set(x->rss, i, rs);
}

/* Sets a replica set's size and its desired/max annotations; records the
 * ScalingReplicaSet event. 1 if it scaled, 0 if nothing changed, or a
 * negative errno. */
static int scale_rs(struct dctx *x, size_t i, int64_t n)
{
	json_t *rs = json_deep_copy(rs_at(x, i));
	int64_t from = spec_replicas(rs);
	bool changed = from != n;
	char buf[32];
	int err;

	json_object_set_new(k1s_json_obj(rs, "spec"), "replicas", json_integer(n));
	snprintf(buf, sizeof(buf), "%" PRId64, x->replicas);
	changed |= set_annotation(rs, ANN_DESIRED, buf);
	snprintf(buf, sizeof(buf), "%" PRId64, x->replicas + x->surge);
	changed |= set_annotation(rs, ANN_MAX, buf);
	if (!changed) {
		json_decref(rs);
		return 0;
	}
	err = ctrl_update(x->c, CTRL_RS, rs, false);
	if (err < 0) {
		json_decref(rs);
		ctrl_retry(x->c, CTRL_Q_DEPLOY, x->ns, x->name);
		return err;
	}
	put_rs(x, i, rs);
	if (from != n)
		ctrl_event(x->c, x->d, "Deployment", "apps/v1", "Normal", "ScalingReplicaSet",
			   DC_COMPONENT, "Scaled %s replica set %s from %" PRId64 " to %" PRId64,
			   n > from ? "up" : "down", k1s_json_str(rs, "metadata.name"), from, n);
	json_decref(rs);
	return from != n;
}

/* kube's copyDeploymentAnnotationsToReplicaSet and revision bookkeeping
 * of SetNewReplicaSetAnnotations. True if rs changed. */
static bool new_rs_annotations(const struct dctx *x, json_t *rs, int64_t new_rev, bool exists)
{
	static const char *const skip[] = {
		"kubectl.kubernetes.io/last-applied-configuration", ANN_REV, ANN_REV_HIST,
		ANN_DESIRED, ANN_MAX, "deprecated.deployment.rollback.to",
	};
	json_t *dann = k1s_json_path(x->d, "metadata.annotations");
	const char *k, *old;
	bool changed = false;
	int64_t old_rev;
	char buf[32];
	json_t *v;

	json_object_foreach(dann, k, v) {
		bool skipped = false;

		for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			skipped |= strcmp(k, skip[i]) == 0;
		if (!skipped && json_is_string(v))
			changed |= set_annotation(rs, k, json_string_value(v));
	}
	old = annotation(rs, ANN_REV);
	old_rev = old ? strtoll(old, NULL, 10) : 0;
	if (old_rev < new_rev) {
		char prev[32];

		snprintf(prev, sizeof(prev), "%s", old ? old : "");
		snprintf(buf, sizeof(buf), "%" PRId64, new_rev);
		set_annotation(rs, ANN_REV, buf);
		changed = true;
		/* Rolled back to: keep the revisions it had. */
		if (*prev) {
			const char *hist = annotation(rs, ANN_REV_HIST);
			char h[REV_HIST_MAX + 32];

			if (hist && *hist)
				snprintf(h, sizeof(h), "%s,%s", hist, prev);
			else
				snprintf(h, sizeof(h), "%s", prev);
			h[REV_HIST_MAX] = '\0';
			set_annotation(rs, ANN_REV_HIST, h);
		}
	}
	if (!exists) {
		snprintf(buf, sizeof(buf), "%" PRId64, x->replicas);
		changed |= set_annotation(rs, ANN_DESIRED, buf);
		snprintf(buf, sizeof(buf), "%" PRId64, x->replicas + x->surge);
		changed |= set_annotation(rs, ANN_MAX, buf);
	}
	return changed;
}

/* kube's NewRSNewReplicas: how big the new set may be now. */
static int64_t new_rs_replicas(const struct dctx *x, int64_t cur_new)
{
	int64_t current, max_total, up;

	if (!x->rolling)
		return x->replicas;
	current = sum(x, "spec.replicas", false);
	max_total = x->replicas + x->surge;
	if (current >= max_total)
		return cur_new;
	up = max_total - current;
	if (up > x->replicas - cur_new)
		up = x->replicas - cur_new;
	return cur_new + up;
}

static void set_deploy_revision(struct dctx *x, int64_t rev)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, rev);
	if (!set_annotation(x->d, ANN_REV, buf))
		return;
	if (ctrl_update(x->c, CTRL_DEPLOY, x->d, false) < 0) {
		/* Keep the copy as stored (or as re-read). */
		const json_t *cur = ctrl_get(x->c, CTRL_DEPLOY, x->ns, x->name);

		ctrl_retry(x->c, CTRL_Q_DEPLOY, x->ns, x->name);
		if (cur) {
			json_decref(x->d);
			x->d = json_deep_copy(cur);
		}
	}
}

/* kube's getNewReplicaSet: brings the new set's revision up to date, or
 * creates it. 0, or a negative errno when the pass should stop. */
static int get_new_rs(struct dctx *x, bool create)
{
	size_t idx[json_array_size(x->rss) + 1];
	size_t nold = old_sets(x, idx, false);
	int64_t max_old = 0, new_rev, collisions;
	char hash[16], name[300], msg[400];
	json_t *rs, *tmpl, *sel;
	int err;

	for (size_t i = 0; i < nold; i++)
		if (rs_revision(rs_at(x, idx[i])) > max_old)
			max_old = rs_revision(rs_at(x, idx[i]));
	new_rev = max_old + 1;

	if (x->inew >= 0) {
		rs = json_deep_copy(new_rs(x));
		if (new_rs_annotations(x, rs, new_rev, true) ||
		    ctrl_int(rs, "spec.minReadySeconds", 0) !=
			    ctrl_int(x->d, "spec.minReadySeconds", 0)) {
			json_object_set_new(k1s_json_obj(rs, "spec"), "minReadySeconds",
					    json_integer(ctrl_int(x->d, "spec.minReadySeconds", 0)));
			err = ctrl_update(x->c, CTRL_RS, rs, false);
			if (err < 0) {
				json_decref(rs);
				ctrl_retry(x->c, CTRL_Q_DEPLOY, x->ns, x->name);
				return err;
			}
			put_rs(x, (size_t)x->inew, rs);
		}
		set_deploy_revision(x, rs_revision(rs));
		if (has_deadline(x) && !ctrl_cond(x->status, "Progressing")) {
			snprintf(msg, sizeof(msg), "Found new replica set \"%s\"",
				 k1s_json_str(rs, "metadata.name"));
			set_condition(x->status, condition(x, "Progressing", "True",
							   "FoundNewReplicaSet", msg));
		}
		json_decref(rs);
		return 0;
	}
	if (!create)
		return 0;

	collisions = ctrl_int(x->d, "status.collisionCount", -1);
	ctrl_template_hash(k1s_json_path(x->d, "spec.template"), collisions, hash, sizeof(hash));
	snprintf(name, sizeof(name), "%s-%s", x->name, hash);
	tmpl = json_deep_copy(k1s_json_path(x->d, "spec.template"));
	json_object_set_new(k1s_json_obj(tmpl, "metadata.labels"), LBL_HASH, json_string(hash));
	sel = json_deep_copy(k1s_json_path(x->d, "spec.selector"));
	if (!sel)
		sel = json_object();
	json_object_set_new(k1s_json_obj(sel, "matchLabels"), LBL_HASH, json_string(hash));
	rs = json_pack("{s:s, s:s, s:{s:s, s:s, s:O, s:[o]}, s:{s:I, s:I, s:o, s:o}}",
		       "apiVersion", "apps/v1", "kind", "ReplicaSet", "metadata", "name", name,
		       "namespace", x->ns, "labels", k1s_json_path(tmpl, "metadata.labels"),
		       "ownerReferences", ctrl_owner_ref(x->d, "apps/v1", "Deployment"), "spec",
		       "replicas", (json_int_t)0, "minReadySeconds",
		       (json_int_t)ctrl_int(x->d, "spec.minReadySeconds", 0), "selector", sel,
		       "template", tmpl);
	if (!rs)
		return -ENOMEM;
	new_rs_annotations(x, rs, new_rev, false);
	json_object_set_new(json_object_get(rs, "spec"), "replicas",
			    json_integer(new_rs_replicas(x, 0)));
	err = ctrl_create(x->c, CTRL_RS, rs);
	if (err == -EEXIST) {
		json_t *cur = NULL;

		json_decref(rs);
		/* A set of that name exists. Ours with this template: a copy
		 * that lagged, take it. Otherwise a hash collision: count it,
		 * which changes the hash. */
		if (st_get(x->c->st, "replicasets.apps", x->ns, name, &cur) == 0 &&
		    ctrl_owned_by(cur, k1s_json_str(x->d, "metadata.uid")) &&
		    same_template(cur, x->d)) {
			json_array_append(x->rss, cur);
			x->inew = (ssize_t)json_array_size(x->rss) - 1;
			json_decref(cur);
			ctrl_retry(x->c, CTRL_Q_DEPLOY, x->ns, x->name);
			return -EAGAIN;
		}
		json_decref(cur);
		json_object_set_new(x->status, "collisionCount",
				    json_integer(collisions < 0 ? 1 : collisions + 1));
		ctrl_retry(x->c, CTRL_Q_DEPLOY, x->ns, x->name);
		return -EEXIST;
	}
	if (err < 0) {
		json_decref(rs);
		ctrl_retry(x->c, CTRL_Q_DEPLOY, x->ns, x->name);
		return err;
	}
	json_array_append(x->rss, rs);
	x->inew = (ssize_t)json_array_size(x->rss) - 1;
	if (spec_replicas(rs) > 0)
		ctrl_event(x->c, x->d, "Deployment", "apps/v1", "Normal", "ScalingReplicaSet",
			   DC_COMPONENT, "Scaled up replica set %s from 0 to %" PRId64, name,
			   spec_replicas(rs));
	if (has_deadline(x)) {
		snprintf(msg, sizeof(msg), "Created new replica set \"%s\"", name);
		set_condition(x->status,
			      condition(x, "Progressing", "True", "NewReplicaSetCreated", msg));
	}
	set_deploy_revision(x, new_rev);
	json_decref(rs);
	return 0;
}

/* ---- RollingUpdate ---- */

static int reconcile_new(struct dctx *x)
{
	int64_t cur;

	if (x->inew < 0)
		return 0;
	cur = spec_replicas(new_rs(x));
	if (cur == x->replicas)
		return 0;
	if (cur > x->replicas)
		return scale_rs(x, (size_t)x->inew, x->replicas);
	return scale_rs(x, (size_t)x->inew, new_rs_replicas(x, cur));
}

static int reconcile_old(struct dctx *x)
{
	size_t idx[json_array_size(x->rss) + 1];
	size_t nold = old_sets(x, idx, false);
	int64_t all, min_avail, new_unavail = 0, max_down, total = 0, avail, down_total;
	bool scaled = false;

	if (sum(x, "spec.replicas", true) == 0)
		return 0;
	all = sum(x, "spec.replicas", false);
	min_avail = x->replicas - max_unavailable(x);
	if (x->inew >= 0)
		new_unavail = spec_replicas(new_rs(x)) -
			      ctrl_int(new_rs(x), "status.availableReplicas", 0);
	max_down = all - min_avail - new_unavail;
	if (max_down <= 0)
		return 0;

	/* Unhealthy old pods go first: they serve nobody. */
	for (size_t i = 0; i < nold && total < max_down; i++) {
		json_t *rs = rs_at(x, idx[i]);
		int64_t r = spec_replicas(rs), a = ctrl_int(rs, "status.availableReplicas", 0), d;

		if (r == 0 || r == a)
			continue;
		d = r - a;
		if (d > max_down - total)
			d = max_down - total;
		if (scale_rs(x, idx[i], r - d) < 0)
			return 1;
		total += d;
		scaled = true;
	}

	/* Then as many available ones as minAvailable allows. */
	avail = sum(x, "status.availableReplicas", false);
	if (avail <= min_avail)
		return scaled;
	down_total = avail - min_avail;
	total = 0;
	for (size_t i = 0; i < nold && total < down_total; i++) {
		json_t *rs = rs_at(x, idx[i]);
		int64_t r = spec_replicas(rs), d;

		if (r == 0)
			continue;
		d = r < down_total - total ? r : down_total - total;
		if (scale_rs(x, idx[i], r - d) < 0)
			return 1;
		total += d;
		scaled = true;
	}
	return scaled;
}

/* ---- status ---- */

static int64_t sum_status(const struct dctx *x, const char *field)
{
	char path[64];

	snprintf(path, sizeof(path), "status.%s", field);
	return sum(x, path, false);
}

static void put_count(json_t *status, const char *field, int64_t n)
{
	if (n)
		json_object_set_new(status, field, json_integer(n));
	else
		json_object_del(status, field);
}

static bool complete(const struct dctx *x, const json_t *st)
{
	return ctrl_int(st, "updatedReplicas", 0) == x->replicas &&
	       ctrl_int(st, "replicas", 0) == x->replicas &&
	       ctrl_int(st, "availableReplicas", 0) == x->replicas &&
	       ctrl_int(st, "observedGeneration", 0) >= ctrl_int(x->d, "metadata.generation", 0);
}

/* kube's calculateStatus and syncRolloutStatus. New reference. */
static json_t *rollout_status(struct dctx *x)
{
	json_t *old = x->status, *st = json_deep_copy(x->status), *cur;
	const json_t *nrs = new_rs(x);
	const char *nname = k1s_json_str(nrs, "metadata.name");
	int64_t avail = sum_status(x, "availableReplicas");
	int64_t unavail = sum(x, "spec.replicas", false) - avail;
	char msg[400];

	put_count(st, "observedGeneration", ctrl_int(x->d, "metadata.generation", 0));
	put_count(st, "replicas", sum_status(x, "replicas"));
	put_count(st, "updatedReplicas", ctrl_int(nrs, "status.replicas", 0));
	put_count(st, "readyReplicas", sum_status(x, "readyReplicas"));
	put_count(st, "availableReplicas", avail);
	put_count(st, "unavailableReplicas", unavail > 0 ? unavail : 0);
	if (avail >= x->replicas - max_unavailable(x))
		set_condition(st, condition(x, "Available", "True", "MinimumReplicasAvailable",
					    "Deployment has minimum availability."));
	else
		set_condition(st, condition(x, "Available", "False", "MinimumReplicasUnavailable",
					    "Deployment does not have minimum availability."));

	if (!has_deadline(x)) {
		drop_condition(st, "Progressing");
		return st;
	}
	cur = ctrl_cond(old, "Progressing");
	if (json_is_true(k1s_json_path(x->d, "spec.paused")))
		return st;	/* no progress to judge while paused */
	if (ctrl_int(st, "replicas", 0) == ctrl_int(st, "updatedReplicas", 0) && cur &&
	    strcmp(k1s_json_str(cur, "reason") ?: "", "NewReplicaSetAvailable") == 0)
		return st;
	if (complete(x, st)) {
		if (nname)
			snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" has successfully progressed.",
				 nname);
		else
			snprintf(msg, sizeof(msg), "Deployment \"%s\" has successfully progressed.",
				 x->name);
		set_condition(st, condition(x, "Progressing", "True", "NewReplicaSetAvailable", msg));
	} else if (ctrl_int(st, "updatedReplicas", 0) > ctrl_int(old, "updatedReplicas", 0) ||
		   ctrl_int(st, "readyReplicas", 0) > ctrl_int(old, "readyReplicas", 0) ||
		   ctrl_int(st, "availableReplicas", 0) > ctrl_int(old, "availableReplicas", 0) ||
		   ctrl_int(old, "replicas", 0) - ctrl_int(old, "updatedReplicas", 0) >
			   ctrl_int(st, "replicas", 0) - ctrl_int(st, "updatedReplicas", 0)) {
		json_t *cnd;

		if (nname)
			snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" is progressing.", nname);
		else
			snprintf(msg, sizeof(msg), "Deployment \"%s\" is progressing.", x->name);
		cnd = condition(x, "Progressing", "True", "ReplicaSetUpdated", msg);
		/* Progress moves lastUpdateTime even with the same reason. */
		if (cur) {
			if (strcmp(k1s_json_str(cur, "status") ?: "", "True") == 0)
				json_object_set(cnd, "lastTransitionTime",
						json_object_get(cur, "lastTransitionTime"));
			drop_condition(st, "Progressing");
		}
		set_condition(st, cnd);
	} else {
		json_t *p = ctrl_cond(st, "Progressing");
		const char *reason = k1s_json_str(p, "reason");
		time_t from = ctrl_time(p, "lastUpdateTime");
		int64_t deadline = ctrl_int(x->d, "spec.progressDeadlineSeconds", 600);

		if (p && reason && strcmp(reason, "NewReplicaSetAvailable") != 0 &&
		    strcmp(reason, "ProgressDeadlineExceeded") != 0 && from) {
			if (from + deadline < ctrl_now(x->c)) {
				snprintf(msg, sizeof(msg),
					 "ReplicaSet \"%s\" has timed out progressing.",
					 nname ? nname : x->name);
				set_condition(st, condition(x, "Progressing", "False",
							    "ProgressDeadlineExceeded", msg));
			} else {
				ctrl_mark_at(x->c, CTRL_Q_DEPLOY, x->ns, x->name,
					     x->c->now_ms +
						     (from + deadline + 1 - ctrl_now(x->c)) * 1000);
			}
		}
	}
	return st;
}

static void write_status(struct dctx *x, json_t *st)
{
	if (json_equal(st, json_object_get(x->d, "status")))
		return;
	json_object_set(x->d, "status", st);
	if (ctrl_update(x->c, CTRL_DEPLOY, x->d, true) == K1S_ECONFLICT)
		ctrl_retry(x->c, CTRL_Q_DEPLOY, x->ns, x->name);
}

/* Old sets beyond revisionHistoryLimit that run nothing are deleted. */
static void cleanup(struct dctx *x)
{
	size_t idx[json_array_size(x->rss) + 1];
	size_t nold = old_sets(x, idx, true), alive = 0;
	int64_t limit = ctrl_int(x->d, "spec.revisionHistoryLimit", 10), diff;

	for (size_t i = 0; i < nold; i++)
		if (!k1s_json_path(rs_at(x, idx[i]), "metadata.deletionTimestamp"))
			idx[alive++] = idx[i];
	diff = (int64_t)alive - limit;
	for (size_t i = 0; diff > 0 && i < (size_t)diff; i++) {
		json_t *rs = rs_at(x, idx[i]);

		if (ctrl_int(rs, "status.replicas", 0) != 0 || spec_replicas(rs) != 0 ||
		    ctrl_int(rs, "metadata.generation", 0) >
			    ctrl_int(rs, "status.observedGeneration", 0))
			continue;
		ctrl_remove(x->c, CTRL_RS, x->ns, k1s_json_str(rs, "metadata.name"),
			    k1s_json_str(rs, "metadata.uid"), -1);
	}
}

/* ---- Recreate ---- */

/* True while any pod of an old set has not terminated, being deleted or
 * not: Recreate starts the new pods only once the old are gone. */
static bool old_pods_running(const struct dctx *x)
{
	const json_t *pods = ctrl_ns(x->c, CTRL_POD, x->ns);
	const char *pname;
	json_t *pod;

	json_object_foreach((json_t *)pods, pname, pod) {
		const char *phase = k1s_json_str(pod, "status.phase");

		if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
			continue;
		for (size_t i = 0; i < json_array_size(x->rss); i++)
			if ((ssize_t)i != x->inew &&
			    ctrl_owned_by(pod, k1s_json_str(rs_at(x, i), "metadata.uid")))
				return true;
	}
	return false;
}

static void rollout_recreate(struct dctx *x)
{
	size_t idx[json_array_size(x->rss) + 1];
	size_t nold = old_sets(x, idx, false);
	bool scaled = false;
	json_t *st;

	for (size_t i = 0; i < nold; i++)
		if (spec_replicas(rs_at(x, idx[i])) > 0)
			scaled |= scale_rs(x, idx[i], 0) != 0;
	if (!scaled && !old_pods_running(x)) {
		if (x->inew < 0 && get_new_rs(x, true) < 0)
			goto status;
		if (x->inew >= 0)
			scale_rs(x, (size_t)x->inew, x->replicas);
	}
status:
	st = rollout_status(x);
	if (complete(x, st))
		cleanup(x);
	write_status(x, st);
	json_decref(st);
}

static void rollout_rolling(struct dctx *x)
{
	json_t *st;

	if (get_new_rs(x, true) < 0)
		goto status;
	if (reconcile_new(x) != 0)
		goto status;
	if (reconcile_old(x) != 0)
		goto status;
	st = rollout_status(x);
	if (complete(x, st))
		cleanup(x);
	write_status(x, st);
	json_decref(st);
	return;
status:
	st = rollout_status(x);
	write_status(x, st);
	json_decref(st);
}

/* ---- the sync ---- */

/* kube's checkPausedConditions: Progressing is Unknown while paused and
 * says so when resumed. */
static void paused_condition(struct dctx *x)
{
	bool paused = json_is_true(k1s_json_path(x->d, "spec.paused"));
	json_t *cur = ctrl_cond(x->status, "Progressing");
	const char *reason = k1s_json_str(cur, "reason") ?: "";

	if (!has_deadline(x))
		return;
	if (paused && strcmp(reason, "DeploymentPaused") != 0)
		set_condition(x->status, condition(x, "Progressing", "Unknown", "DeploymentPaused",
						   "Deployment is paused"));
	else if (!paused && strcmp(reason, "DeploymentPaused") == 0)
		set_condition(x->status, condition(x, "Progressing", "Unknown",
						   "DeploymentResumed", "Deployment is resumed"));
}

/* Adds our controller reference to an orphan set the selector matches. */
static const json_t *adopt(struct dctx *x, const json_t *cur)
{
	json_t *rs = json_deep_copy(cur);
	json_t *meta = json_object_get(rs, "metadata");
	json_t *refs = json_object_get(meta, "ownerReferences");
	const json_t *res = NULL;

	if (!json_is_array(refs)) {
		refs = json_array();
		json_object_set_new(meta, "ownerReferences", refs);
	}
	json_array_append_new(refs, ctrl_owner_ref(x->d, "apps/v1", "Deployment"));
	if (ctrl_update(x->c, CTRL_RS, rs, false) == 0)
		res = ctrl_get(x->c, CTRL_RS, x->ns, k1s_json_str(rs, "metadata.name"));
	json_decref(rs);
	return res;
}

void ctrl_deploy_sync(struct ctrl *c, const char *ns, const char *name)
{
	const json_t *d0 = ctrl_get(c, CTRL_DEPLOY, ns, name);
	const json_t *sets = ctrl_ns(c, CTRL_RS, ns);
	struct dctx x = {.c = c, .ns = ns, .name = name, .inew = -1};
	struct k1s_lsel *sel = NULL;
	json_t *orphans, *rs, *st;
	const char *rname, *uid, *strategy;
	char err[256], hash[16];
	ssize_t by_hash = -1;
	size_t i;

	if (!d0 || k1s_json_path(d0, "metadata.deletionTimestamp"))
		return;
	uid = k1s_json_str(d0, "metadata.uid");
	if (!uid)
		return;
	if (json_object_size(k1s_json_path(d0, "spec.selector")) == 0 ||
	    k1s_lsel_from_json(k1s_json_path(d0, "spec.selector"), &sel, err, sizeof(err)) < 0) {
		k1s_warn("ctrl", "Deployment %s/%s: invalid selector", ns, name);
		return;
	}
	x.d = json_deep_copy(d0);
	x.status = json_deep_copy(json_object_get(d0, "status"));
	if (!json_is_object(x.status)) {
		json_decref(x.status);
		x.status = json_object();
	}
	x.rss = json_array();
	orphans = json_array();
	x.replicas = ctrl_int(x.d, "spec.replicas", 1);
	strategy = k1s_json_str(x.d, "spec.strategy.type");
	x.rolling = !strategy || strcmp(strategy, "Recreate") != 0;
	fenceposts(&x);

	json_object_foreach((json_t *)sets, rname, rs) {
		if (ctrl_owned_by(rs, uid))
			json_array_append(x.rss, rs);
		else if (!ctrl_controller_ref(rs) &&
			 !k1s_json_path(rs, "metadata.deletionTimestamp") &&
			 k1s_lsel_match(sel, k1s_json_path(rs, "metadata.labels")))
			json_array_append(orphans, rs);
	}
	json_array_foreach(orphans, i, rs) {
		const json_t *got = adopt(&x, rs);

		if (got)
			json_array_append(x.rss, (json_t *)got);
	}
	/* Scaling on stale availability could take too many pods down. */
	json_array_foreach(x.rss, i, rs)
		if (ctrl_int(rs, "metadata.generation", 0) >
		    ctrl_int(rs, "status.observedGeneration", 0))
			goto out;

	ctrl_template_hash(k1s_json_path(x.d, "spec.template"),
			   ctrl_int(x.d, "status.collisionCount", -1), hash, sizeof(hash));
	json_array_foreach(x.rss, i, rs) {
		const char *h = json_string_value(
			json_object_get(k1s_json_path(rs, "metadata.labels"), LBL_HASH));

		if (x.inew < 0 && same_template(rs, x.d))
			x.inew = (ssize_t)i;
		if (h && strcmp(h, hash) == 0)
			by_hash = (ssize_t)i;
	}
	if (x.inew < 0)
		x.inew = by_hash;

	paused_condition(&x);
	if (json_is_true(k1s_json_path(x.d, "spec.paused"))) {
		/* No rollout while paused, but scaling still applies. */
		size_t idx[json_array_size(x.rss) + 1];
		size_t nold = old_sets(&x, idx, false);
		bool olds = false;

		for (i = 0; i < nold; i++)
			olds |= spec_replicas(rs_at(&x, idx[i])) > 0;
		if (x.inew >= 0 && !olds)
			scale_rs(&x, (size_t)x.inew, x.replicas);
		st = rollout_status(&x);
		write_status(&x, st);
		json_decref(st);
	} else if (x.rolling) {
		rollout_rolling(&x);
	} else {
		if (x.inew >= 0)
			get_new_rs(&x, false);
		rollout_recreate(&x);
	}
out:
	json_decref(orphans);
	json_decref(x.rss);
	json_decref(x.status);
	json_decref(x.d);
	k1s_lsel_free(sel);
}
