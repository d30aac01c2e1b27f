/* The controllers' frame: a copy of the watched objects fed from the
 * store's event log, dirty-key queues, and writes through the writer. The
 * reconcilers themselves are in ctrl_sched.c, ctrl_rs.c, ctrl_deploy.c,
 * ctrl_ep.c, ctrl_job.c, ctrl_shim.c and ctrl_cert.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctrl_ca.h"
#include "ctrl_int.h"
#include "k1s_event.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "k1s_pki.h"
#include "k1s_writer.h"
#include "st.h"

/* Store keys of the watched kinds, indexed by enum ctrl_kind. */
static const struct {
	const char *group, *resource, *key;
} ctrl_kinds[CTRL_NKINDS] = {
	[CTRL_POD] = {"", "pods", "pods"},
	[CTRL_RS] = {"apps", "replicasets", "replicasets.apps"},
	[CTRL_DEPLOY] = {"apps", "deployments", "deployments.apps"},
	[CTRL_SVC] = {"", "services", "services"},
	[CTRL_EP] = {"", "endpoints", "endpoints"},
	[CTRL_EPS] = {"discovery.k8s.io", "endpointslices", "endpointslices.discovery.k8s.io"},
	[CTRL_JOB] = {"batch", "jobs", "jobs.batch"},
	[CTRL_ING] = {"networking.k8s.io", "ingresses", "ingresses.networking.k8s.io"},
	[CTRL_SECRET] = {"", "secrets", "secrets"},
	[CTRL_CERT] = {"cert-manager.io", "certificates", "certificates.cert-manager.io"},
	[CTRL_ISSUER] = {"cert-manager.io", "issuers", "issuers.cert-manager.io"},
	[CTRL_CISSUER] = {"cert-manager.io", "clusterissuers", "clusterissuers.cert-manager.io"},
	[CTRL_NS] = {"", "namespaces", "namespaces"},
	[CTRL_CM] = {"", "configmaps", "configmaps"},
};

/* ---- small helpers ---- */

void ctrl_key(char *buf, size_t len, const char *ns, const char *name)
{
	snprintf(buf, len, "%s/%s", ns ? ns : "", name ? name : "");
}

time_t ctrl_now(const struct ctrl *c)
{
	return c->now;
}

int64_t ctrl_int(const json_t *obj, const char *path, int64_t def)
{
	json_t *v = k1s_json_path(obj, path);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

time_t ctrl_time(const json_t *obj, const char *path)
{
	const char *s = k1s_json_str(obj, path);
	time_t t;

	if (!s || k1s_time_parse(s, &t) < 0)
		return 0;
	return t;
}

const json_t *ctrl_controller_ref(const json_t *obj)
{
	json_t *refs = k1s_json_path(obj, "metadata.ownerReferences");
	size_t i;
	json_t *r;

	json_array_foreach(refs, i, r)
		if (json_is_true(json_object_get(r, "controller")))
			return r;
	return NULL;
}

bool ctrl_owned_by(const json_t *obj, const char *uid)
{
	const json_t *r = ctrl_controller_ref(obj);
	const char *u = k1s_json_str(r, "uid");

	return u && uid && strcmp(u, uid) == 0;
}

json_t *ctrl_owner_ref(const json_t *owner, const char *api_version, const char *kind)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion", api_version, "kind", kind,
			 "name", k1s_json_str(owner, "metadata.name") ?: "", "uid",
			 k1s_json_str(owner, "metadata.uid") ?: "", "controller", 1,
			 "blockOwnerDeletion", 1);
}

bool ctrl_map_match(const json_t *sel, const json_t *labels)
{
	const char *k;
	json_t *v;

	if (!json_is_object(sel) || json_object_size(sel) == 0)
		return false;
	json_object_foreach((json_t *)sel, k, v) {
		const char *have = json_string_value(json_object_get(labels, k));

		if (!have || !json_is_string(v) || strcmp(have, json_string_value(v)) != 0)
			return false;
	}
	return true;
}

json_t *ctrl_cond(const json_t *status, const char *type)
{
	json_t *conds = json_object_get(status, "conditions");
	size_t i;
	json_t *cnd;

	json_array_foreach(conds, i, cnd) {
		const char *t = json_string_value(json_object_get(cnd, "type"));

		if (t && strcmp(t, type) == 0)
			return cnd;
	}
	return NULL;
}

bool ctrl_pod_active(const json_t *pod)
{
	const char *phase = k1s_json_str(pod, "status.phase");

	if (k1s_json_path(pod, "metadata.deletionTimestamp"))
		return false;
	return !phase || (strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0);
}

bool ctrl_pod_ready(const json_t *pod, time_t *since)
{
	json_t *cnd = ctrl_cond(json_object_get(pod, "status"), "Ready");
	const char *st = k1s_json_str(cnd, "status");

	if (!st || strcmp(st, "True") != 0)
		return false;
	if (since)
		*since = ctrl_time(cnd, "lastTransitionTime");
	return true;
}

/* ---- the copy ---- */

const json_t *ctrl_ns(const struct ctrl *c, enum ctrl_kind k, const char *ns)
{
	return json_object_get(c->cache[k], ns ? ns : "");
}

/* Services, their Endpoints and their EndpointSlices are as many as
 * Services, and only that Service's sync reads them: the copy keeps of
 * each only what the pass needs without reading it (kept_value), and
 * ctrl_get reads the object from the store when a sync asks for it. The
 * store hands every module the same tree of an object (st.h), so a tree
 * the controllers kept would outlive every other module's use of it. */
static bool kept_by_name(enum ctrl_kind k)
{
	return k == CTRL_SVC || k == CTRL_EP || k == CTRL_EPS;
}

/* A slice's Service, from the slice or from what the copy keeps of it. */
static const char *slice_service(const json_t *slice)
{
	if (json_is_string(slice))
		return json_string_value(slice);
	/* The label's name has dots: no dotted path. */
	return json_string_value(json_object_get(k1s_json_path(slice, "metadata.labels"),
						 "kubernetes.io/service-name"));
}

/* What the copy keeps of an object kept by name: of a slice, the Service
 * it is labelled for (a JSON string, slices_by_svc); of a Service, a copy
 * of its selector or null (svc_by_label, mark_selecting); of Endpoints,
 * that they exist. New reference. */
static json_t *kept_value(enum ctrl_kind k, const json_t *cur)
{
	json_t *sel;

	switch (k) {
	case CTRL_EPS:
		return json_string(slice_service(cur) ?: "");
	case CTRL_SVC:
		sel = k1s_json_path(cur, "spec.selector");
		return json_is_object(sel) && json_object_size(sel) ? json_deep_copy(sel)
								     : json_null();
	default:
		return json_true();
	}
}

const json_t *ctrl_get(const struct ctrl *c, enum ctrl_kind k, const char *ns,
		       const char *name)
{
	const json_t *kept = json_object_get(ctrl_ns(c, k, ns), name);
	char key[600];
	json_t *obj;

	if (!kept || !kept_by_name(k))
		return kept;
	snprintf(key, sizeof(key), "%d/%s/%s", (int)k, ns ? ns : "", name);
	obj = json_object_get(c->fetched, key);
	if (obj)
		return obj;
	if (st_get(c->st, ctrl_kinds[k].key, ns ? ns : "", name, &obj) < 0)
		return NULL;	/* gone meanwhile: its event follows */
	json_object_set_new(c->fetched, key, obj);
	return obj;
}

bool ctrl_known(const struct ctrl *c, enum ctrl_kind k, const char *ns, const char *name)
{
	return json_object_get(ctrl_ns(c, k, ns), name) != NULL;
}

static json_t *cache_ns(struct ctrl *c, enum ctrl_kind k, const char *ns)
{
	json_t *m = json_object_get(c->cache[k], ns);

	if (!m) {
		m = json_object();
		json_object_set_new(c->cache[k], ns, m);
	}
	return m;
}

/* ---- queues ---- */

void ctrl_mark(struct ctrl *c, enum ctrl_queue q, const char *ns, const char *name)
{
	char key[600];

	ctrl_key(key, sizeof(key), ns, name);
	json_object_set_new(c->dirty[q], key, json_true());
}

void ctrl_mark_at(struct ctrl *c, enum ctrl_queue q, const char *ns, const char *name,
		  int64_t due_ms)
{
	char key[600];
	json_t *cur;

	ctrl_key(key, sizeof(key), ns, name);
	cur = json_object_get(c->later[q], key);
	if (cur && json_integer_value(cur) <= due_ms)
		return;
	json_object_set_new(c->later[q], key, json_integer(due_ms));
}

void ctrl_retry(struct ctrl *c, enum ctrl_queue q, const char *ns, const char *name)
{
	if (c->last_err == K1S_ECONFLICT || c->last_err == -EEXIST || c->last_err == -ENOENT)
		ctrl_mark(c, q, ns, name);
	else
		ctrl_mark_at(c, q, ns, name, c->now_ms + CTRL_RETRY_MS);
}

static void mark_all(struct ctrl *c, enum ctrl_queue q, enum ctrl_kind k, const char *ns)
{
	const json_t *m = ctrl_ns(c, k, ns);
	const char *name;
	json_t *o;

	json_object_foreach((json_t *)m, name, o)
		ctrl_mark(c, q, ns, name);
}

/* An index of names under keys ({key: {name: true}}): adds or removes
 * one, and a key with no name left. */
static void index_set(json_t *index, const char *key, const char *name, bool add)
{
	json_t *set = json_object_get(index, key);

	if (add) {
		if (!set) {
			set = json_object();
			json_object_set_new(index, key, set);
		}
		json_object_set_new(set, name, json_true());
	} else if (set) {
		json_object_del(set, name);
		if (json_object_size(set) == 0)
			json_object_del(index, key);
	}
}

/* The index of Services by one pair of their selector (the least key):
 * a pod's Services are among those indexed under one of its labels, so a
 * pod's change looks at a few Services, not at every one in the namespace. */
static void selector_key(char *key, size_t len, const char *ns, const json_t *sel)
{
	const char *k, *least = NULL;
	json_t *v;

	key[0] = '\0';
	json_object_foreach((json_t *)sel, k, v)
		if (json_is_string(v) && (!least || strcmp(k, least) < 0))
			least = k;
	if (least)
		snprintf(key, len, "%s/%s=%s", ns, least,
			 json_string_value(json_object_get(sel, least)));
}

static void index_service(struct ctrl *c, const char *ns, const char *name, const json_t *sel,
			  bool add)
{
	char key[1024];

	selector_key(key, sizeof(key), ns, sel);
	if (!key[0])
		return;	/* no selector: the controller makes no Endpoints */
	index_set(c->svc_by_label, key, name, add);
}

/* Marks the Services whose selector matches the pod's labels. */
static void mark_selecting(struct ctrl *c, const char *ns, const json_t *pod)
{
	const json_t *labels = k1s_json_path(pod, "metadata.labels");
	const char *k, *sname;
	json_t *v, *yes;

	json_object_foreach((json_t *)labels, k, v) {
		char key[1024];
		const json_t *set;

		if (!json_is_string(v))
			continue;
		snprintf(key, sizeof(key), "%s/%s=%s", ns, k, json_string_value(v));
		set = json_object_get(c->svc_by_label, key);
		/* The selectors kept in the copy: a pod's event reads no
		 * Service from the store. */
		json_object_foreach((json_t *)set, sname, yes) {
			const json_t *sel = json_object_get(ctrl_ns(c, CTRL_SVC, ns), sname);

			if (ctrl_map_match(sel, labels))
				ctrl_mark(c, CTRL_Q_SVC, ns, sname);
		}
	}
}

/* Marks the keys whose reconciliation depends on an object that changed
 * from `old` to `cur` (either may be NULL). */
static void touched(struct ctrl *c, enum ctrl_kind k, const char *ns, const char *name,
		    const json_t *old, const json_t *cur)
{
	const json_t *both[2] = {old, cur};

	switch (k) {
	case CTRL_POD:
		if (cur && !k1s_json_str(cur, "spec.nodeName") &&
		    !k1s_json_path(cur, "metadata.deletionTimestamp"))
			ctrl_mark(c, CTRL_Q_SCHED, ns, name);
		for (int i = 0; i < 2; i++) {
			const json_t *o = both[i], *ref;
			const char *kind;

			if (!o)
				continue;
			ref = ctrl_controller_ref(o);
			kind = k1s_json_str(ref, "kind");
			if (kind && strcmp(kind, "ReplicaSet") == 0) {
				const json_t *rs = ctrl_get(c, CTRL_RS, ns, k1s_json_str(ref, "name"));
				const json_t *dref = ctrl_controller_ref(rs);

				ctrl_mark(c, CTRL_Q_RS, ns, k1s_json_str(ref, "name"));
				/* Recreate waits for the old pods to be gone, which
				 * the set's status does not show. */
				if (!cur && dref &&
				    strcmp(k1s_json_str(dref, "kind") ?: "", "Deployment") == 0)
					ctrl_mark(c, CTRL_Q_DEPLOY, ns, k1s_json_str(dref, "name"));
			} else if (kind && strcmp(kind, "Job") == 0) {
				ctrl_mark(c, CTRL_Q_JOB, ns, k1s_json_str(ref, "name"));
			} else if (!ref && o == cur)
				mark_all(c, CTRL_Q_RS, CTRL_RS, ns);	/* may be adopted */
			/* The same labels select the same Services: marked once. */
			if (i == 1 && old && json_equal(k1s_json_path(old, "metadata.labels"),
							k1s_json_path(cur, "metadata.labels")))
				continue;
			mark_selecting(c, ns, o);
		}
		break;
	case CTRL_RS:
		ctrl_mark(c, CTRL_Q_RS, ns, name);
		for (int i = 0; i < 2; i++) {
			const json_t *ref;
			const char *kind;

			if (!both[i])
				continue;
			ref = ctrl_controller_ref(both[i]);
			kind = k1s_json_str(ref, "kind");
			if (kind && strcmp(kind, "Deployment") == 0)
				ctrl_mark(c, CTRL_Q_DEPLOY, ns, k1s_json_str(ref, "name"));
			else if (!ref && both[i] == cur)
				mark_all(c, CTRL_Q_DEPLOY, CTRL_DEPLOY, ns);
		}
		break;
	case CTRL_DEPLOY:
		ctrl_mark(c, CTRL_Q_DEPLOY, ns, name);
		break;
	case CTRL_JOB:
		ctrl_mark(c, CTRL_Q_JOB, ns, name);
		break;
	case CTRL_NS:
		ctrl_mark(c, CTRL_Q_ROOTCA, "", name);
		break;
	case CTRL_CM:
		ctrl_mark(c, CTRL_Q_ROOTCA, "", ns);
		break;
	case CTRL_SVC:
	case CTRL_EP:
		ctrl_mark(c, CTRL_Q_SVC, ns, name);
		break;
	case CTRL_ING:
		ctrl_mark(c, CTRL_Q_SHIM, ns, name);
		break;
	case CTRL_CERT:
		ctrl_mark(c, CTRL_Q_CERT, ns, name);
		/* The shim puts back what a user changed in a Certificate it owns. */
		for (int i = 0; i < 2; i++) {
			const json_t *ref = ctrl_controller_ref(both[i]);

			if (ref && strcmp(k1s_json_str(ref, "kind") ?: "", "Ingress") == 0)
				ctrl_mark(c, CTRL_Q_SHIM, ns, k1s_json_str(ref, "name"));
		}
		break;
	case CTRL_ISSUER:
	case CTRL_CISSUER:
		ctrl_mark(c, CTRL_Q_ISSUER, ns, name);
		ctrl_cert_mark_issuer(c, ns, name);
		break;
	case CTRL_SECRET:
		ctrl_cert_mark_secret(c, ns, name);
		break;
	case CTRL_EPS:
		for (int i = 0; i < 2; i++) {
			const char *svc = slice_service(both[i]);

			if (svc)
				ctrl_mark(c, CTRL_Q_SVC, ns, svc);
		}
		break;
	default:
		break;
	}
}

static void index_slice(struct ctrl *c, const char *ns, const char *name, const json_t *slice,
			bool add)
{
	char key[600];
	const char *svc = slice_service(slice);

	if (!svc)
		return;
	ctrl_key(key, sizeof(key), ns, svc);
	index_set(c->slices_by_svc, key, name, add);
}

const json_t *ctrl_slices_of(const struct ctrl *c, const char *ns, const char *svc)
{
	char key[600];

	ctrl_key(key, sizeof(key), ns, svc);
	return json_object_get(c->slices_by_svc, key);
}

/* Puts the new state of an object in the copy (cur NULL: deleted) and
 * marks what depends on it. */
static void apply(struct ctrl *c, enum ctrl_kind k, const char *ns, const char *name,
		  const json_t *cur)
{
	json_t *m, *old;

	/* Of all ConfigMaps, the controllers only look after one name. */
	if (k == CTRL_CM && strcmp(name, CTRL_ROOT_CA_CM) != 0)
		return;
	m = cache_ns(c, k, ns);
	old = json_incref(json_object_get(m, name));

	if (k == CTRL_SVC && old)
		index_service(c, ns, name, old, false);	/* the kept selector */
	if (k == CTRL_SVC && cur)
		index_service(c, ns, name, k1s_json_path(cur, "spec.selector"), true);
	if (k == CTRL_EPS && old)
		index_slice(c, ns, name, old, false);
	if (k == CTRL_EPS && cur)
		index_slice(c, ns, name, cur, true);
	if (kept_by_name(k)) {
		char key[600];

		snprintf(key, sizeof(key), "%d/%s/%s", (int)k, ns, name);
		/* What this pass read is stale now. Only what it read: a
		 * relist puts every Service, Endpoints and slice through here. */
		if (cur && json_object_get(c->fetched, key))
			json_object_set(c->fetched, key, (json_t *)cur);
		else
			json_object_del(c->fetched, key);
	}
	if (cur && kept_by_name(k))
		json_object_set_new(m, name, kept_value(k, cur));
	else if (cur)
		json_object_set_new(m, name, json_deep_copy(cur));
	else
		json_object_del(m, name);
	touched(c, k, ns, name, old, cur);
	json_decref(old);
}

static int kind_of(const char *res)
{
	for (int k = 0; k < CTRL_NKINDS; k++)
		if (strcmp(res, ctrl_kinds[k].key) == 0)
			return k;
	return -1;
}

static void on_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	struct ctrl *c = arg;
	int k = kind_of(res);
	const char *name = k1s_json_str(obj, "metadata.name");

	if (k >= 0 && name)
		apply(c, k, k1s_json_str(obj, "metadata.namespace") ?: "", name,
		      deleted ? NULL : obj);
}

/* Before a full list: at start, and when the event log no longer reaches
 * back to our revision. */
static void on_reset(void *arg)
{
	struct ctrl *c = arg;

	json_object_clear(c->slices_by_svc);
	json_object_clear(c->svc_by_label);
	json_object_clear(c->fetched);
	for (int k = 0; k < CTRL_NKINDS; k++)
		json_object_clear(c->cache[k]);
}

static const struct st_follow_ops follow_ops = {on_reset, on_object, NULL};

/* ---- writes ---- */

static void note_write(struct ctrl *c, enum ctrl_kind k, const json_t *obj)
{
	const char *ns = k1s_json_str(obj, "metadata.namespace") ?: "";
	const char *name = k1s_json_str(obj, "metadata.name");

	c->pass_writes++;
	c->stats.writes++;
	if (name)
		apply(c, k, ns, name, obj);
}

static void reread(struct ctrl *c, enum ctrl_kind k, const char *ns, const char *name)
{
	json_t *cur = NULL;

	c->stats.conflicts++;
	if (st_get(c->st, ctrl_kinds[k].key, ns, name, &cur) == 0) {
		apply(c, k, ns, name, cur);
		json_decref(cur);
	} else {
		apply(c, k, ns, name, NULL);
	}
}

/* A full disk is logged once by the store, and every write retried each
 * CTRL_RETRY_MS would repeat it: those lines are debug. */
static enum k1s_log_level write_err_level(int err)
{
	return err == K1S_EDISKFULL ? K1S_LOG_DEBUG : K1S_LOG_ERROR;
}

int ctrl_create(struct ctrl *c, enum ctrl_kind k, json_t *obj)
{
	int err = c->w->create(c->w->arg, c->res[k], obj);

	if (err < 0)
		c->last_err = err;
	if (err == 0)
		note_write(c, k, obj);
	else if (err != -EEXIST)
		k1s_log(write_err_level(err), "ctrl", "creating %s %s/%s%s: %s", c->res[k]->kind,
			k1s_json_str(obj, "metadata.namespace") ?: "",
			k1s_json_str(obj, "metadata.name") ?: "",
			k1s_json_str(obj, "metadata.generateName") ?: "", k1s_strerror(err));
	return err;
}

int ctrl_update(struct ctrl *c, enum ctrl_kind k, json_t *obj, bool status)
{
	const char *ns = k1s_json_str(obj, "metadata.namespace") ?: "";
	char name[256];
	int err;

	snprintf(name, sizeof(name), "%s", k1s_json_str(obj, "metadata.name") ?: "");
	err = c->w->update(c->w->arg, c->res[k], obj, status);
	if (err < 0)
		c->last_err = err;
	if (err == 0) {
		note_write(c, k, obj);
	} else if (err == K1S_ECONFLICT || err == -ENOENT) {
		char nsb[256];

		snprintf(nsb, sizeof(nsb), "%s", ns);
		reread(c, k, nsb, name);
	} else {
		k1s_log(write_err_level(err), "ctrl", "updating %s%s %s/%s: %s", c->res[k]->kind, status ? " status" : "",
			ns, name, k1s_strerror(err));
	}
	return err;
}

int ctrl_remove(struct ctrl *c, enum ctrl_kind k, const char *ns, const char *name,
		const char *uid, int grace_seconds)
{
	int err = c->w->remove(c->w->arg, c->res[k], ns, name, uid, grace_seconds);

	if (err == -ENOENT)
		err = 0;
	if (err < 0)
		c->last_err = err;
	if (err == 0) {
		c->pass_writes++;
		c->stats.writes++;
	} else if (err == K1S_ECONFLICT) {
		reread(c, k, ns, name);
	} else {
		k1s_log(write_err_level(err), "ctrl", "deleting %s %s/%s: %s", c->res[k]->kind, ns, name,
			k1s_strerror(err));
	}
	return err;
}

void ctrl_event(struct ctrl *c, const json_t *obj, const char *kind, const char *api_version,
		const char *type, const char *reason, const char *component, const char *fmt,
		...)
{
	struct k1s_event_src src = {component, NULL};
	char msg[1024];
	json_t *ev;
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ev = k1s_event_new(obj, kind, api_version, type, reason, msg, &src, ctrl_now(c),
			   c->event_seq++);
	if (!ev)
		return;
	err = c->w->create(c->w->arg, c->res_event, ev);
	if (err < 0)
		k1s_warn("ctrl", "recording event %s for %s %s/%s: %s", reason, kind,
			 k1s_json_str(obj, "metadata.namespace") ?: "default",
			 k1s_json_str(obj, "metadata.name") ?: "", k1s_strerror(err));
	json_decref(ev);
}

/* ---- the pass ---- */

typedef void (*sync_fn)(struct ctrl *c, const char *ns, const char *name);

static const sync_fn ctrl_syncs[CTRL_NQUEUES] = {
	[CTRL_Q_DEPLOY] = ctrl_deploy_sync,
	[CTRL_Q_RS] = ctrl_rs_sync,
	[CTRL_Q_SCHED] = ctrl_sched_sync,
	[CTRL_Q_SVC] = ctrl_ep_sync,
	[CTRL_Q_JOB] = ctrl_job_sync,
	[CTRL_Q_SHIM] = ctrl_shim_sync,
	[CTRL_Q_ISSUER] = ctrl_issuer_sync,
	[CTRL_Q_CERT] = ctrl_cert_sync,
	[CTRL_Q_ROOTCA] = ctrl_rootca_sync,
};

/* Replica sets first, so that a deployment decides on their status as of
 * this pass; again after the deployments, which scale them. An Ingress's
 * Certificates before the issuers' status, before the Secrets, so that
 * one pass takes an Ingress to its Secret. */
static const enum ctrl_queue ctrl_order[] = {
	CTRL_Q_JOB, CTRL_Q_RS, CTRL_Q_DEPLOY, CTRL_Q_RS, CTRL_Q_SCHED, CTRL_Q_SVC,
	CTRL_Q_SHIM, CTRL_Q_ISSUER, CTRL_Q_CERT,
	CTRL_Q_ROOTCA,
};

bool ctrl_pass_spent(const struct ctrl *c)
{
	return c->pass_writes >= c->pass_max_writes ||
	       (c->pass_ms >= 0 && k1s_now_ms() - c->now_ms >= c->pass_ms);
}

/* Runs a queue's keys until the pass is spent, but one at least, so that
 * it goes on however slow the machine; the rest wait for the next pass. */
static void run_queue(struct ctrl *c, enum ctrl_queue q)
{
	json_t *work = c->dirty[q];
	const char *key;
	json_t *v;
	void *tmp;
	bool ran = false;

	/* Keys marked while this queue runs wait for the next pass. */
	c->dirty[q] = json_object();
	json_object_foreach_safe(work, tmp, key, v) {
		const char *slash = strchr(key, '/');
		char ns[256];
		struct timespec t0;

		if (ran && ctrl_pass_spent(c))
			break;
		ran = true;
		if (slash && (size_t)(slash - key) < sizeof(ns)) {
			memcpy(ns, key, (size_t)(slash - key));
			ns[slash - key] = '\0';
			c->stats.reconciles++;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			ctrl_syncs[q](c, ns, slash + 1);
			k1s_hist_observe(&c->reconcile_time[q], k1s_hist_since(&t0));
			/* A sync's reads are its own: a pass that syncs every
			 * Service (a relist) holds one Service's trees at a
			 * time, not all. */
			json_object_clear(c->fetched);
		}
		json_object_del(work, key);
	}
	/* What is left, then what was marked meanwhile: a pass that stops
	 * early costs what it ran, not the length of the queue. */
	json_object_update(work, c->dirty[q]);
	json_decref(c->dirty[q]);
	c->dirty[q] = work;
}

/* Moves the keys whose time has come into the dirty sets; returns the ms
 * until the next one, or -1. */
static int64_t due(struct ctrl *c)
{
	int64_t next = -1;

	for (int q = 0; q < CTRL_NQUEUES; q++) {
		const char *key;
		json_t *v;
		void *tmp;

		json_object_foreach_safe(c->later[q], tmp, key, v) {
			int64_t at = json_integer_value(v);

			if (at <= c->now_ms) {
				json_object_set_new(c->dirty[q], key, json_true());
				json_object_del(c->later[q], key);
			} else if (next < 0 || at - c->now_ms < next) {
				next = at - c->now_ms;
			}
		}
	}
	return next;
}

int ctrl_reconcile(struct ctrl *c)
{
	int64_t next;

	c->pass_writes = 0;
	c->stats.passes++;
	json_object_clear(c->fetched);
	c->now = c->fixed_now ? c->fixed_now : time(NULL);
	c->now_ms = k1s_now_ms();
	if (st_follow(&c->follow) < 0)
		return 1000;	/* the store failed; try again soon */
	due(c);
	/* A pass that is cut short leaves the rest of its queue and the
	 * queues after it to the next, which starts there: every queue has
	 * its turn, and a turn of the loop stays short. */
	{
		size_t n = sizeof(ctrl_order) / sizeof(ctrl_order[0]), k;

		for (k = 0; k < n; k++) {
			size_t i = (c->resume + k) % n;

			run_queue(c, ctrl_order[i]);
			if (ctrl_pass_spent(c)) {
				c->resume = json_object_size(c->dirty[ctrl_order[i]]) ? i : (i + 1) % n;
				break;
			}
		}
		/* Ready after a whole pass in order that was not cut short. */
		if (k == n) {
			if (c->resume == 0)
				c->reconciled = true;
			c->resume = 0;
		}
	}
	if (c->pass_writes)
		return 0;
	next = due(c);
	for (int q = 0; q < CTRL_NQUEUES; q++)
		if (json_object_size(c->dirty[q]))
			return 0;
	if (next > 60000)
		next = 60000;
	return (int)next;
}

static int ctrl_hook(void *arg)
{
	return ctrl_reconcile(arg);
}

struct ctrl *ctrl_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
		      const struct ctrl_config *cfg)
{
	struct ctrl *c;

	if (!st || !w)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->st = st;
	c->loop = loop;
	c->w = w;
	snprintf(c->node_name, sizeof(c->node_name), "%s",
		 cfg && cfg->node_name ? cfg->node_name : "k1s");
	c->cert_validity = cfg && cfg->cert_validity > 0 ? cfg->cert_validity : 2160 * 3600;
	c->pass_max_writes = cfg && cfg->pass_writes > 0 ? (unsigned)cfg->pass_writes : 32;
	c->pass_ms = !cfg || cfg->pass_ms == 0 ? 10 : cfg->pass_ms < 0 ? -1 : cfg->pass_ms;
	for (int k = 0; k < CTRL_NKINDS; k++) {
		c->follow_res[k] = ctrl_kinds[k].key;
		c->res[k] = k1s_resource_find(ctrl_kinds[k].group, ctrl_kinds[k].resource);
		c->cache[k] = json_object();
		if (!c->res[k] || !c->cache[k])
			goto fail;
	}
	st_follow_init(&c->follow, st, "ctrl", c->follow_res, &follow_ops, c);
	c->res_event = k1s_resource_find("", "events");
	for (int q = 0; q < CTRL_NQUEUES; q++) {
		c->dirty[q] = json_object();
		c->later[q] = json_object();
		if (!c->dirty[q] || !c->later[q])
			goto fail;
	}
	c->memo = json_object();
	c->slices_by_svc = json_object();
	c->fetched = json_object();
	c->svc_by_label = json_object();
	if (!c->res_event || !c->memo || !c->slices_by_svc || !c->fetched || !c->svc_by_label)
		goto fail;
	/* The CA exists from first start: the ConfigMaps that publish it
	 * and the certificates it signs need it from the first pass. */
	{
		char *ca_key;
		int err = ctrl_ca_get(st, &c->root_ca, &ca_key);

		k1s_pki_free(ca_key);
		if (err < 0) {
			k1s_err("ctrl", "cluster CA: %s", strerror(-err));
			goto fail;
		}
	}
	/* The first pass lists everything; every controller starts from a
	 * full view, as informers do. */
	if (loop && k1s_loop_hook(loop, ctrl_hook, c) < 0)
		goto fail;
	return c;
fail:
	ctrl_free(c);
	return NULL;
}

bool ctrl_ready(const struct ctrl *c)
{
	return c->reconciled;
}

/* kube-controller-manager's and cert-manager's names for the same
 * controllers. */
static const char *const queue_names[CTRL_NQUEUES] = {
	[CTRL_Q_DEPLOY] = "deployment",
	[CTRL_Q_RS] = "replicaset",
	[CTRL_Q_SCHED] = "scheduler",
	[CTRL_Q_SVC] = "endpoints",
	[CTRL_Q_JOB] = "job",
	[CTRL_Q_SHIM] = "ingress-shim",
	[CTRL_Q_ISSUER] = "issuers",
	[CTRL_Q_CERT] = "certificates",
	[CTRL_Q_ROOTCA] = "root-ca-cert-publisher",
};

const struct k1s_hist *ctrl_reconcile_time(const struct ctrl *c, unsigned i, const char **name)
{
	if (i >= CTRL_NQUEUES)
		return NULL;
	*name = queue_names[i];
	return &c->reconcile_time[i];
}

/* The loop has no way to drop a hook: ctrl_free() is for after the loop
 * has stopped for good. */
void ctrl_free(struct ctrl *c)
{
	if (!c)
		return;
	for (int k = 0; k < CTRL_NKINDS; k++)
		json_decref(c->cache[k]);
	for (int q = 0; q < CTRL_NQUEUES; q++) {
		json_decref(c->dirty[q]);
		json_decref(c->later[q]);
	}
	json_decref(c->memo);
	json_decref(c->fetched);
	json_decref(c->svc_by_label);
	json_decref(c->slices_by_svc);
	free(c->root_ca);
	free(c);
}
