/* Deletion: delete and deletecollection, graceful pod deletion when a
 * runtime runs the pods, and garbage collection of dependents by their
 * ownerReferences (background, orphan and foreground), as
 * kube-apiserver and kube-controller-manager's collector do. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_crud_int.h"
#include "api_int.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "st.h"

static int add_dep(void *arg, const char *res, const json_t *obj)
{
	json_array_append_new(arg, json_pack("{s:s,s:O}", "res", res, "obj", obj));
	return 0;
}

/* The objects that name `owner` in their ownerReferences, as
 * [{"res": store key, "obj": object}], from the store's owner index. */
static json_t *find_deps(struct api *api, const json_t *owner)
{
	const char *uid = k1s_json_str(owner, "metadata.uid");
	json_t *found = json_array();

	if (uid)
		st_list_owned(api->st, uid, k1s_json_str(owner, "metadata.namespace"), add_dep,
			      found);
	return found;
}

static const struct k1s_resource *resource_of_key(const char *key)
{
	for (const struct k1s_resource *r = k1s_resources; r->resource; r++) {
		char k[96];

		api_res_key(k, sizeof(k), r);
		if (strcmp(k, key) == 0)
			return r;
	}
	return NULL;
}

/* Garbage collection of the dependents of a deleted object, in the same
 * namespace (or cluster-wide for a cluster-scoped owner): with Orphan the
 * ownerReference is removed, otherwise the dependent is deleted too. */
static void collect_garbage(struct api *api, const json_t *owner, const char *policy)
{
	const char *uid = k1s_json_str(owner, "metadata.uid");
	json_t *deps = find_deps(api, owner), *e;
	size_t i;

	json_array_foreach(deps, i, e) {
		const char *key = k1s_json_str(e, "res");
		const struct k1s_resource *r = resource_of_key(key);
		const json_t *d = json_object_get(e, "obj");
		const char *dn = k1s_json_str(d, "metadata.name");
		const char *dns = k1s_json_str(d, "metadata.namespace");

		if (!r)
			continue;
		if (policy && strcmp(policy, "Orphan") == 0) {
			json_t *copy = json_deep_copy(d), *refs, *ref;
			size_t j;

			refs = k1s_json_path(copy, "metadata.ownerReferences");
			json_array_foreach(refs, j, ref) {
				if (strcmp(json_string_value(json_object_get(ref, "uid")) ?: "",
					   uid) == 0) {
					json_array_remove(refs, j);
					break;
				}
			}
			if (json_array_size(refs) == 0)
				json_object_del(json_object_get(copy, "metadata"), "ownerReferences");
			st_update(api->st, key, dns ? dns : "", dn, copy, 0);
			json_decref(copy);
		} else {
			/* Foreground goes all the way down; otherwise the
			 * dependents' own dependents go in the background. */
			api_do_delete(api, r, dns ? dns : "", dn,
				      policy && strcmp(policy, "Foreground") == 0 ? "Foreground"
										 : "Background",
				      -1, NULL);
		}
	}
	json_decref(deps);
}

/* How many objects still name `owner` in their ownerReferences. */
static size_t dependents(struct api *api, const json_t *owner)
{
	json_t *deps = find_deps(api, owner);
	size_t n = json_array_size(deps);

	json_decref(deps);
	return n;
}

static int mark_foreground(struct api *api, const struct k1s_resource *r, const char *key,
			   json_t *owner)
{
	json_t *md = k1s_json_obj(owner, "metadata"), *fin;
	char ts[32];
	int err;

	if (!json_object_get(md, "deletionTimestamp")) {
		k1s_time_fmt(ts, sizeof(ts), time(NULL));
		json_object_set_new(md, "deletionTimestamp", json_string(ts));
		json_object_set_new(md, "deletionGracePeriodSeconds", json_integer(0));
	}
	fin = json_object_get(md, "finalizers");
	if (!json_is_array(fin)) {
		fin = json_array();
		json_object_set_new(md, "finalizers", fin);
	}
	bool has = false;
	size_t i;
	json_t *f;

	json_array_foreach(fin, i, f) has |= strcmp(json_string_value(f) ?: "", "foregroundDeletion") == 0;
	if (!has)
		json_array_append_new(fin, json_string("foregroundDeletion"));
	err = st_update(api->st, key, k1s_json_str(owner, "metadata.namespace") ?: "",
			k1s_json_str(owner, "metadata.name"), owner, 0);
	if (err == 0) {
		json_array_append_new(api->foreground,
				      json_pack("{s:s,s:s,s:s}", "resource", r->resource, "group",
						r->group, "uid", k1s_json_str(owner, "metadata.uid")));
		k1s_info("api", "deleting %s %s in the foreground", r->kind,
			 k1s_json_str(owner, "metadata.name"));
	}
	return err;
}

struct uid_find {
	const char *uid;
	json_t *found;
};

static int find_uid(void *arg, const json_t *obj)
{
	struct uid_find *f = arg;

	if (strcmp(k1s_json_str(obj, "metadata.uid") ?: "", f->uid) == 0) {
		f->found = json_incref((json_t *)obj);
		return 1;
	}
	return 0;
}

void api_gc_sweep(struct api *api)
{
	size_t i = 0;

	while (i < json_array_size(api->foreground)) {
		json_t *e = json_array_get(api->foreground, i);
		const struct k1s_resource *r =
		    k1s_resource_find(k1s_json_str(e, "group"), k1s_json_str(e, "resource"));
		struct uid_find f = {.uid = k1s_json_str(e, "uid")};
		char key[96];
		int64_t rev;

		if (!r) {
			json_array_remove(api->foreground, i);
			continue;
		}
		api_res_key(key, sizeof(key), r);
		st_list(api->st, key, NULL, NULL, NULL, 0, find_uid, &f, &rev);
		if (!f.found) {
			json_array_remove(api->foreground, i);
			continue;
		}
		if (dependents(api, f.found) > 0) {
			json_decref(f.found);
			i++;
			continue;
		}
		json_t *gone = NULL;
		const char *ns = k1s_json_str(f.found, "metadata.namespace");

		if (st_delete(api->st, key, ns ? ns : "", k1s_json_str(f.found, "metadata.name"), 0,
			      &gone) == 0) {
			api_admit_commit(api->adm, r, gone, NULL);
			k1s_info("api", "deleted %s %s%s%s after its dependents", r->kind,
				 ns ? ns : "", ns ? "/" : "", k1s_json_str(f.found, "metadata.name"));
		}
		json_decref(gone);
		json_decref(f.found);
		json_array_remove(api->foreground, i);
	}
}

/* A pod on a node stops before it goes: the API marks it with
 * deletionTimestamp, the runtime stops its containers (SIGTERM, the grace
 * period, SIGKILL) and then deletes it with grace 0. Pods that never ran,
 * or finished, or that no runtime would stop, go at once. */
static bool pod_graceful(struct api *api, const struct k1s_resource *r, const json_t *pod,
			 int grace)
{
	const char *phase = k1s_json_str(pod, "status.phase");
	const char *node = k1s_json_str(pod, "spec.nodeName");

	if (strcmp(r->resource, "pods") != 0 || *r->group || !api->rt || grace == 0)
		return false;
	if (!node || !*node)
		return false;
	return !phase || (strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0);
}

static int mark_deleting(struct api *api, const char *key, json_t *pod, int grace)
{
	json_t *md = k1s_json_obj(pod, "metadata");
	char ts[32];

	if (json_object_get(md, "deletionTimestamp"))
		return 0;
	if (grace < 0) {
		json_t *g = k1s_json_path(pod, "spec.terminationGracePeriodSeconds");

		grace = json_is_integer(g) ? (int)json_integer_value(g) : 30;
	}
	k1s_time_fmt(ts, sizeof(ts), time(NULL) + grace);
	json_object_set_new(md, "deletionTimestamp", json_string(ts));
	json_object_set_new(md, "deletionGracePeriodSeconds", json_integer(grace));
	return st_update(api->st, key, k1s_json_str(pod, "metadata.namespace") ?: "",
			 k1s_json_str(pod, "metadata.name"), pod, 0);
}

int api_do_delete(struct api *api, const struct k1s_resource *r, const char *ns,
		      const char *name, const char *policy, int grace, json_t **last)
{
	char key[96];
	json_t *gone = NULL;
	int err;

	api_res_key(key, sizeof(key), r);
	if (strcmp(r->resource, "pods") == 0 && !*r->group) {
		json_t *pod = NULL;

		err = st_get(api->st, key, ns, name, &pod);
		if (err < 0)
			return err;
		if (pod_graceful(api, r, pod, grace)) {
			err = mark_deleting(api, key, pod, grace);
			if (err == 0)
				k1s_info("api", "deleting Pod %s/%s gracefully", ns, name);
			if (last && err == 0)
				*last = pod;
			else
				json_decref(pod);
			return err;
		}
		json_decref(pod);
	}
	if (policy && strcmp(policy, "Foreground") == 0) {
		json_t *owner = NULL;

		/* Foreground: the dependents go first; while some are still on
		 * their way out (graceful pods), the owner waits, marked with
		 * deletionTimestamp and the foregroundDeletion finalizer, until
		 * api_gc_sweep() finds none left. */
		err = st_get(api->st, key, ns, name, &owner);
		if (err < 0)
			return err;
		collect_garbage(api, owner, "Foreground");
		if (dependents(api, owner) > 0) {
			err = mark_foreground(api, r, key, owner);
			if (last && err == 0)
				*last = owner;
			else
				json_decref(owner);
			return err;
		}
		json_decref(owner);
	}
	if (strcmp(r->resource, "namespaces") == 0 && !*r->group) {
		/* A namespace with contents terminates first (api_ns.c). */
		err = api_ns_terminate(api, name, last);
		if (err <= 0)
			return err;
	}
	err = st_delete(api->st, key, ns, name, 0, &gone);
	if (err < 0)
		return err;
	api_admit_commit(api->adm, r, gone, NULL);
	k1s_info("api", "deleted %s %s%s%s", r->kind, ns, *ns ? "/" : "", name);
	collect_garbage(api, gone, policy);
	if (last)
		*last = gone;
	else
		json_decref(gone);
	return 0;
}

/* DeleteOptions from the body, or else from the query as kube-apiserver's
 * delete.go reads them; the policy is copied into `buf` since opts may be
 * released first. NULL and *status (400, 422) when they are not valid. */
static const char *delete_policy(struct api_req *req, json_t **opts, int *grace, char *buf,
				 size_t len, json_t **status)
{
	const char *policy = api_arg(req, "propagationPolicy");
	char err[128];
	int64_t g = -1;

	*opts = NULL;
	if (!req->body_len && api_arg_int64(req, "gracePeriodSeconds", &g, status) < 0)
		return NULL;
	*grace = g > INT32_MAX ? INT32_MAX : g < INT32_MIN ? INT32_MIN : (int)g;
	if (req->body_len) {
		*opts = json_loadb(req->body, req->body_len, 0, NULL);
		if (!*opts)
			api_yaml_decode(req->body, req->body_len, opts, err, sizeof(err));
		if (json_string_value(json_object_get(*opts, "propagationPolicy")))
			policy = json_string_value(json_object_get(*opts, "propagationPolicy"));
		else if (json_is_true(json_object_get(*opts, "orphanDependents")))
			policy = "Orphan";
		if (json_is_integer(json_object_get(*opts, "gracePeriodSeconds")))
			*grace = (int)json_integer_value(json_object_get(*opts, "gracePeriodSeconds"));
	}
	*status = api_arg_check_options(req, "DeleteOptions", policy, false);
	if (*status) {
		json_decref(*opts);
		*opts = NULL;
		return NULL;
	}
	snprintf(buf, len, "%s", policy ? policy : "Background");
	return buf;
}

int api_delete_handle(struct api_req *req, const struct api_path *p)
{
	const struct k1s_resource *r = p->res;
	json_t *old, *opts, *last = NULL, *status = NULL;
	int grace;
	char pbuf[32];
	const char *policy = delete_policy(req, &opts, &grace, pbuf, sizeof(pbuf), &status);
	const char *puid = k1s_json_str(opts, "preconditions.uid");
	const char *prv = k1s_json_str(opts, "preconditions.resourceVersion");
	int err;

	if (!policy)
		return api_reply_status(req, status);
	if (*p->sub) {
		json_decref(opts);
		return api_reply_status(req, api_status(405, "MethodNotAllowed",
							"the server does not allow this method on "
							"the requested resource",
							NULL));
	}
	if (api_load(req, p, &old) < 0) {
		json_decref(opts);
		return MHD_YES;
	}
	if ((puid && strcmp(puid, k1s_json_str(old, "metadata.uid") ?: "") != 0) ||
	    (prv && strcmp(prv, k1s_json_str(old, "metadata.resourceVersion") ?: "") != 0)) {
		json_decref(opts);
		json_decref(old);
		return api_reply_status(req, api_status_conflict(r, p->name));
	}
	if (strcmp(r->resource, "namespaces") == 0 &&
	    (strcmp(p->name, "default") == 0 || strcmp(p->name, "kube-system") == 0 ||
	     strcmp(p->name, "kube-public") == 0)) {
		char msg[400];

		snprintf(msg, sizeof(msg),
			 "namespaces \"%s\" is forbidden: this namespace may not be deleted",
			 p->name);
		json_decref(opts);
		json_decref(old);
		return api_reply_status(
		    req, api_status(403, "Forbidden", msg,
				    json_pack("{s:s,s:s}", "name", p->name, "kind", "namespaces")));
	}
	json_decref(opts);
	if (api_dry_run(req))
		return api_reply_object(req, r, 200, old);
	json_decref(old);
	st_begin(req->api->st);
	err = api_do_delete(req->api, r, p->ns, p->name, policy, grace, &last);
	if (err < 0) {
		st_rollback(req->api->st);
		return api_reply_status(req, err == -ENOENT ? api_status_notfound(r, p->name)
							    : api_internal_error(err));
	}
	st_commit(req->api->st);
	return api_reply_object(req, r, 200, last);
}

struct matching {
	const struct api_filter *f;
	json_t *items;
};

static int collect_matching(void *arg, const json_t *obj)
{
	struct matching *c = arg;

	if (api_filter_match(c->f, obj))
		json_array_append(c->items, (json_t *)obj);
	return 0;
}

int api_deletecollection_handle(struct api_req *req, const struct api_path *p)
{
	const struct k1s_resource *r = p->res;
	struct api_filter f;
	struct matching c = {.f = &f};
	json_t *status = NULL, *opts, *o;
	int grace;
	char pbuf[32];
	const char *policy = NULL;
	char key[96], gv[96], kind[96];
	int64_t rev, limit, timeout;
	size_t i;

	/* delete.go DeleteCollection: ListOptions first, then DeleteOptions. */
	if (api_list_options(req, &limit, &timeout, &status) < 0 ||
	    !(policy = delete_policy(req, &opts, &grace, pbuf, sizeof(pbuf), &status)))
		return api_reply_status(req, status);
	json_decref(opts);
	if (api_filter_parse(req, r, &f, &status) < 0)
		return api_reply_status(req, status);
	c.items = json_array();
	api_res_key(key, sizeof(key), r);
	st_list(req->api->st, key, *p->ns ? p->ns : NULL, NULL, NULL, 0, collect_matching, &c, &rev);
	api_filter_free(&f);
	json_t *deleted = json_array();

	if (!api_dry_run(req)) {
		st_begin(req->api->st);
		json_array_foreach(c.items, i, o) {
			json_t *last = NULL;
			const char *ns = k1s_json_str(o, "metadata.namespace");

			if (strcmp(r->resource, "namespaces") == 0 &&
			    (strcmp(k1s_json_str(o, "metadata.name"), "default") == 0 ||
			     strncmp(k1s_json_str(o, "metadata.name"), "kube-", 5) == 0))
				continue;
			if (api_do_delete(req->api, r, ns ? ns : "", k1s_json_str(o, "metadata.name"),
				       policy, grace, &last) == 0)
				json_array_append_new(deleted, last);
		}
		st_commit(req->api->st);
	} else {
		json_array_extend(deleted, c.items);
	}
	json_decref(c.items);
	api_gv_string(gv, sizeof(gv), r);
	snprintf(kind, sizeof(kind), "%sList", r->kind);
	char revs[32];

	snprintf(revs, sizeof(revs), "%lld", (long long)st_rev(req->api->st));
	return api_reply_json(req, 200,
			      json_pack("{s:s,s:s,s:{s:s},s:o}", "kind", kind, "apiVersion", gv,
					"metadata", "resourceVersion", revs, "items", deleted));
}

