/* The verbs on resources: get, list, create, update, patch, delete and
 * deletecollection, with the status and scale subresources, as
 * kube-apiserver answers them. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_crud_int.h"
#include "api_int.h"
#include "api_stream_int.h"
#include "api_table_int.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_patch.h"
#include "k1s_sel.h"
#include "st.h"

void api_res_key(char *buf, size_t len, const struct k1s_resource *r)
{
	if (*r->group)
		snprintf(buf, len, "%s.%s", r->resource, r->group);
	else
		snprintf(buf, len, "%s", r->resource);
}

void api_gv_string(char *buf, size_t len, const struct k1s_resource *r)
{
	if (*r->group)
		snprintf(buf, len, "%s/%s", r->group, r->version);
	else
		snprintf(buf, len, "%s", r->version);
}

/* The field manager of a plain write: the fieldManager parameter, else
 * the client's name from its User-Agent, as kube-apiserver does. */
static void field_manager(struct api_req *req, char *buf, size_t len)
{
	const char *m = api_arg(req, "fieldManager");
	const char *ua = api_header(req, "User-Agent");

	if (m && *m)
		snprintf(buf, len, "%s", m);
	else if (ua && *ua)
		snprintf(buf, len, "%.*s", (int)strcspn(ua, "/ "), ua);
	else
		snprintf(buf, len, "unknown");
}

static void track(struct api_req *req, const struct k1s_resource *r, json_t *obj,
		  const json_t *old)
{
	char mgr[128], gv[96];

	field_manager(req, mgr, sizeof(mgr));
	api_gv_string(gv, sizeof(gv), r);
	k1s_patch_track_update(obj, old, r->type, mgr, gv);
}

static int64_t obj_rev(const json_t *obj)
{
	const char *rv = k1s_json_str(obj, "metadata.resourceVersion");

	return rv ? strtoll(rv, NULL, 10) : 0;
}

/* Field selectors kube-apiserver supports per kind, beyond metadata.name
 * and metadata.namespace. */
const char *const *api_field_labels(const struct k1s_resource *r)
{
	static const char *const common[] = {"metadata.name", "metadata.namespace", NULL};
	static const char *const pods[] = {"metadata.name", "metadata.namespace", "spec.nodeName",
					   "spec.restartPolicy", "spec.schedulerName",
					   "spec.serviceAccountName", "spec.hostNetwork",
					   "status.phase", "status.podIP", "status.nominatedNodeName",
					   NULL};
	static const char *const events[] = {
	    "metadata.name", "metadata.namespace", "involvedObject.kind",
	    "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
	    "involvedObject.apiVersion", "involvedObject.resourceVersion",
	    "involvedObject.fieldPath", "reason", "reportingComponent", "type",
	    "source=source.component", NULL};
	static const char *const secrets[] = {"metadata.name", "metadata.namespace", "type", NULL};
	static const char *const namespaces[] = {"metadata.name", "metadata.namespace",
						 "status.phase", NULL};
	static const char *const nodes[] = {"metadata.name", "metadata.namespace",
					    "spec.unschedulable", NULL};
	static const char *const replicasets[] = {"metadata.name", "metadata.namespace",
						  "status.replicas", NULL};

	if (strcmp(r->resource, "pods") == 0)
		return pods;
	if (strcmp(r->resource, "events") == 0)
		return events;
	if (strcmp(r->resource, "secrets") == 0)
		return secrets;
	if (strcmp(r->resource, "namespaces") == 0)
		return namespaces;
	if (strcmp(r->resource, "nodes") == 0)
		return nodes;
	if (strcmp(r->resource, "replicasets") == 0)
		return replicasets;
	return common;
}

static bool wants_table(struct api_req *req)
{
	const char *accept = api_header(req, "Accept");

	return accept && strstr(accept, "as=Table");
}

static enum api_include include_mode(struct api_req *req)
{
	const char *inc = api_arg(req, "includeObject");

	if (inc && strcmp(inc, "Object") == 0)
		return API_INCLUDE_OBJECT;
	if (inc && strcmp(inc, "None") == 0)
		return API_INCLUDE_NONE;
	return API_INCLUDE_METADATA;
}

bool api_dry_run(struct api_req *req)
{
	const char *d = api_arg(req, "dryRun");

	return d && strcmp(d, "All") == 0;
}

int api_reply_object(struct api_req *req, const struct k1s_resource *r, unsigned code,
			json_t *obj)
{
	if (wants_table(req)) {
		json_t *a = json_pack("[O]", obj);
		json_t *t = api_table(r, a, true, include_mode(req), time(NULL));

		json_object_set_new(json_object_get(t, "metadata"), "resourceVersion",
				    json_string(k1s_json_str(obj, "metadata.resourceVersion")
						    ?: ""));
		json_decref(a);
		json_decref(obj);
		return api_reply_json(req, code, t);
	}
	return api_reply_json(req, code, obj);
}

/* As apimachinery's errors.NewInternalError: the error again as the one
 * cause in details. */
json_t *api_internal_error(int err)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "Internal error occurred: %s", k1s_strerror(err));
	return api_status(500, "InternalError", msg,
			  json_pack("{s:[{s:s}]}", "causes", "message", k1s_strerror(err)));
}

/* ---- selectors and lists ---- */

void api_filter_free(struct api_filter *f)
{
	k1s_lsel_free(f->lsel);
	k1s_fsel_free(f->fsel);
}

int api_filter_parse(struct api_req *req, const struct k1s_resource *r, struct api_filter *f,
			json_t **status)
{
	const char *ls = api_arg(req, "labelSelector");
	const char *fs = api_arg(req, "fieldSelector");
	char err[512];

	memset(f, 0, sizeof(*f));
	if (ls && *ls && k1s_lsel_parse(ls, &f->lsel, err, sizeof(err)) < 0) {
		*status = api_status(400, "BadRequest", err, NULL);
		return -EINVAL;
	}
	if (fs && *fs && k1s_fsel_parse(fs, api_field_labels(r), &f->fsel, err, sizeof(err)) < 0) {
		*status = api_status(400, "BadRequest", err, NULL);
		api_filter_free(f);
		return -EINVAL;
	}
	return 0;
}

bool api_filter_match(const struct api_filter *f, const json_t *obj)
{
	if (f->lsel && !k1s_lsel_match(f->lsel, k1s_json_path(obj, "metadata.labels")))
		return false;
	if (f->fsel && !k1s_fsel_match(f->fsel, obj))
		return false;
	return true;
}

struct list_ctx {
	struct api_filter *f;
	json_t *items;
	int64_t limit;
	bool more;
	char last_ns[256], last_name[256];
};

static int list_one(void *arg, const json_t *obj)
{
	struct list_ctx *c = arg;

	if (!api_filter_match(c->f, obj))
		return 0;
	if (c->limit > 0 && (int64_t)json_array_size(c->items) >= c->limit) {
		c->more = true;
		return 1;
	}
	json_array_append(c->items, (json_t *)obj);
	snprintf(c->last_ns, sizeof(c->last_ns), "%s", k1s_json_str(obj, "metadata.namespace") ?: "");
	snprintf(c->last_name, sizeof(c->last_name), "%s", k1s_json_str(obj, "metadata.name") ?: "");
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void api_continue_encode(char *buf, size_t len, const char *ns, const char *name)
{
	char raw[600];
	size_t n = (size_t)snprintf(raw, sizeof(raw), "%s\n%s", ns, name), o = 0;

	for (size_t i = 0; i < n && o + 3 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%02x", (unsigned char)raw[i]);
}

int api_continue_decode(const char *tok, char *ns, size_t nslen, char *name, size_t namelen)
{
	char raw[600];
	size_t n = strlen(tok), o = 0;
	char *nl;

	if (n % 2 || n / 2 >= sizeof(raw))
		return -EINVAL;
	/* Only the digits api_continue_encode() writes: sscanf's %x would
	 * also take blanks, signs and upper case, so that many spellings
	 * named one key. */
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_digit(tok[i]), lo = hex_digit(tok[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		raw[o++] = (char)(hi << 4 | lo);
	}
	raw[o] = '\0';
	nl = strchr(raw, '\n');
	if (!nl || strlen(raw) != o)
		return -EINVAL;
	*nl = '\0';
	if (strlen(raw) >= nslen || strlen(nl + 1) >= namelen)
		return -EINVAL;
	snprintf(ns, nslen, "%s", raw);
	snprintf(name, namelen, "%s", nl + 1);
	return 0;
}

int api_list_options(struct api_req *req, int64_t *limit, int64_t *timeout, json_t **status)
{
	*limit = 0;
	*timeout = 0;
	/* ListOptions, decoded whole before any list, watch or deletecollection:
	 * a bad number in either field is a 400 even where it is not used. */
	if (api_arg_int64(req, "limit", limit, status) < 0 ||
	    api_arg_int64(req, "timeoutSeconds", timeout, status) < 0)
		return -EINVAL;
	return 0;
}

/* A page's continue token and, for a list without selectors, how many
 * objects the pages after it hold: kube-apiserver's etcd3 store sets
 * remainingItemCount only when the predicate is empty, since with a
 * selector it cannot know without reading them all. */
static void page_meta(json_t *md, const struct list_ctx *c, struct api_req *req,
		      const char *key, const char *ns, bool unfiltered)
{
	char tok[1300];
	int64_t rest;

	if (!c->more)
		return;
	api_continue_encode(tok, sizeof(tok), c->last_ns, c->last_name);
	json_object_set_new(md, "continue", json_string(tok));
	if (unfiltered && st_count_after(req->api->st, key, *ns ? ns : NULL, c->last_ns,
					 c->last_name, &rest) == 0)
		json_object_set_new(md, "remainingItemCount", json_integer(rest));
}

static int handle_list(struct api_req *req, const struct api_path *p)
{
	const struct k1s_resource *r = p->res;
	struct api_filter f;
	struct list_ctx c = {.f = &f};
	json_t *status = NULL;
	const char *cont = api_arg(req, "continue");
	char key[96], after_ns[256] = "", after_name[256] = "", gv[96], kind[96];
	int64_t rev = 0, timeout;
	bool unfiltered;
	int err;

	if (api_list_options(req, &c.limit, &timeout, &status) < 0 ||
	    api_filter_parse(req, r, &f, &status) < 0)
		return api_reply_status(req, status);
	if (cont && *cont &&
	    api_continue_decode(cont, after_ns, sizeof(after_ns), after_name,
				sizeof(after_name)) < 0) {
		api_filter_free(&f);
		return api_reply_status(
		    req, api_status(400, "BadRequest", "continue key is not valid", NULL));
	}
	c.items = json_array();
	api_res_key(key, sizeof(key), r);
	err = st_list(req->api->st, key, *p->ns ? p->ns : NULL, *after_name ? after_ns : NULL,
		      *after_name ? after_name : NULL, 0, list_one, &c, &rev);
	unfiltered = !f.lsel && !f.fsel;
	api_filter_free(&f);
	if (err < 0) {
		json_decref(c.items);
		return api_reply_status(req, api_internal_error(err));
	}
	char revs[32];

	snprintf(revs, sizeof(revs), "%lld", (long long)rev);
	if (wants_table(req)) {
		json_t *t = api_table(r, c.items, true, include_mode(req), time(NULL));
		json_t *md = json_object_get(t, "metadata");

		json_object_set_new(md, "resourceVersion", json_string(revs));
		page_meta(md, &c, req, key, p->ns, unfiltered);
		json_decref(c.items);
		return api_reply_json(req, 200, t);
	}
	api_gv_string(gv, sizeof(gv), r);
	snprintf(kind, sizeof(kind), "%sList", r->kind);
	json_t *list = json_pack("{s:s,s:s,s:{s:s},s:o}", "kind", kind, "apiVersion", gv,
				 "metadata", "resourceVersion", revs, "items", c.items);

	page_meta(json_object_get(list, "metadata"), &c, req, key, p->ns, unfiltered);
	return api_reply_json(req, 200, list);
}

/* ---- scale ---- */

static json_t *scale_of(const json_t *obj)
{
	json_t *replicas = k1s_json_path(obj, "spec.replicas");
	struct api_sb sb = {0};
	json_t *scale;

	/* status.selector is the selector's string form, as the table prints it. */
	api_fmt_selector(&sb, k1s_json_path(obj, "spec.selector"));
	json_t *md = json_object();

	for (const char *const *f = (const char *const[]){"name", "namespace", "uid",
							   "resourceVersion",
							   "creationTimestamp", NULL};
	     *f; f++) {
		json_t *x = k1s_json_path(obj, "metadata");

		if (json_object_get(x, *f))
			json_object_set(md, *f, json_object_get(x, *f));
	}
	scale = json_pack("{s:s,s:s,s:o,s:{s:I},s:{s:I,s:s}}", "kind", "Scale", "apiVersion",
			  "autoscaling/v1", "metadata", md, "spec", "replicas",
			  (json_int_t)(replicas ? json_integer_value(replicas) : 1), "status",
			  "replicas",
			  (json_int_t)json_integer_value(k1s_json_path(obj, "status.replicas")),
			  "selector", api_sb_str(&sb));
	api_sb_free(&sb);
	return scale;
}

/* ---- writes ---- */

/* Checks apiVersion and kind of a body against the resource, filling them
 * in when absent. */
static json_t *check_type(const struct k1s_resource *r, json_t *obj, bool sub_scale)
{
	char gv[96], msg[512];
	const char *want_gv = gv, *want_kind = r->kind;
	const char *av, *kind;

	api_gv_string(gv, sizeof(gv), r);
	if (sub_scale) {
		want_gv = "autoscaling/v1";
		want_kind = "Scale";
	}
	if (!json_is_object(obj))
		return api_status(400, "BadRequest", "the body of the request is not an object",
				  NULL);
	av = json_string_value(json_object_get(obj, "apiVersion"));
	kind = json_string_value(json_object_get(obj, "kind"));
	if (av && *av && strcmp(av, want_gv) != 0) {
		snprintf(msg, sizeof(msg),
			 "the API version in the data (%s) does not match the expected API "
			 "version (%s)",
			 av, want_gv);
		return api_status(400, "BadRequest", msg, NULL);
	}
	if (kind && *kind && strcmp(kind, want_kind) != 0) {
		snprintf(msg, sizeof(msg),
			 "%s in version \"%s\" cannot be handled as a %s: no kind \"%s\" is "
			 "registered for version \"%s\"",
			 want_kind, r->version, want_kind, kind, want_gv);
		return api_status(400, "BadRequest", msg, NULL);
	}
	json_object_set_new(obj, "apiVersion", json_string(want_gv));
	json_object_set_new(obj, "kind", json_string(want_kind));
	return NULL;
}

/* Applies fieldValidation to a decoded body: Strict rejects unknown
 * fields, Warn (and the default) warns, Ignore says nothing. */
static json_t *check_fields(struct api_req *req, const struct k1s_resource *r, const json_t *obj)
{
	const char *fv = api_arg(req, "fieldValidation");
	json_t *errs;
	char msg[2048];
	size_t n = 0, i;
	json_t *e;

	if (fv && strcmp(fv, "Ignore") == 0) {
		k1s_types_prune(r->type, (json_t *)obj);
		return NULL;
	}
	errs = json_array();
	if (k1s_types_unknown(r->type, obj, errs) == 0) {
		json_decref(errs);
		return NULL;
	}
	if (fv && strcmp(fv, "Strict") == 0) {
		n = (size_t)snprintf(msg, sizeof(msg),
				     "%s in version \"%s\" cannot be handled as a %s: strict "
				     "decoding error: ",
				     r->kind, r->version, r->kind);
		json_array_foreach(errs, i, e) if (n < sizeof(msg)) n += (size_t)snprintf(
		    msg + n, sizeof(msg) - n, "%s%s", i ? ", " : "", json_string_value(e));
		json_decref(errs);
		return api_status(400, "BadRequest", msg, NULL);
	}
	json_array_foreach(errs, i, e) if (n < sizeof(msg)) n += (size_t)snprintf(
	    msg + n, sizeof(msg) - n, "%s%s", i ? ", " : "", json_string_value(e));
	api_warn(req, msg);
	json_decref(errs);
	k1s_types_prune(r->type, (json_t *)obj);
	return NULL;
}

static void set_generation(const struct k1s_resource *r, json_t *obj, const json_t *old)
{
	json_t *md = json_object_get(obj, "metadata");

	if (!(r->flags & K1S_RF_GENERATION)) {
		json_object_del(md, "generation");
		return;
	}
	if (!old) {
		json_object_set_new(md, "generation", json_integer(1));
		return;
	}
	json_int_t g = json_integer_value(k1s_json_path(old, "metadata.generation"));

	/* Like kube-apiserver: the generation moves on spec changes only. */
	if (!json_equal(json_object_get(obj, "spec"), json_object_get(old, "spec")))
		g++;
	json_object_set_new(md, "generation", json_integer(g ? g : 1));
}

static json_t *check_namespace(struct api *api, const struct k1s_resource *r, const char *ns,
			       json_t *obj)
{
	json_t *md = k1s_json_obj(obj, "metadata");
	const char *body_ns = json_string_value(json_object_get(md, "namespace"));

	if (!(r->flags & K1S_RF_NAMESPACED)) {
		json_object_del(md, "namespace");
		return NULL;
	}
	if (body_ns && *body_ns && strcmp(body_ns, ns) != 0)
		return api_status(400, "BadRequest",
				  "the namespace of the provided object does not match the "
				  "namespace sent on the request",
				  NULL);
	json_object_set_new(md, "namespace", json_string(ns));
	return NULL;
}

static json_t *namespace_exists(struct api *api, const char *ns)
{
	json_t *o = NULL;

	if (st_get(api->st, "namespaces", "", ns, &o) == 0) {
		const char *phase = k1s_json_str(o, "status.phase");
		bool terminating = phase && strcmp(phase, "Terminating") == 0;

		json_decref(o);
		if (terminating) {
			char msg[512];

			snprintf(msg, sizeof(msg),
				 "unable to create new content in namespace %s because it is "
				 "being terminated",
				 ns);
			return api_status(403, "Forbidden", msg, NULL);
		}
		return NULL;
	}
	return api_status_notfound(k1s_resource_find("", "namespaces"), ns);
}

/* Creates obj (a decoded, type-checked body); answers with *code and the
 * stored object, or a Status. */
json_t *api_do_create(struct api *api, const struct k1s_resource *r, const char *ns,
			 json_t *obj, bool dry, unsigned *code)
{
	json_t *md, *status;
	const char *name, *gen;
	char buf[300], uid[40], ts[32], key[96];
	int err;

	if ((status = check_namespace(api, r, ns, obj)))
		return status;
	if ((r->flags & K1S_RF_NAMESPACED) && (status = namespace_exists(api, ns)))
		return status;
	md = json_object_get(obj, "metadata");
	name = json_string_value(json_object_get(md, "name"));
	gen = json_string_value(json_object_get(md, "generateName"));
	if ((!name || !*name) && gen && *gen) {
		char suffix[6];

		k1s_rand_suffix(suffix, 5);
		snprintf(buf, sizeof(buf), "%.*s%s", 58, gen, suffix);
		json_object_set_new(md, "name", json_string(buf));
		name = json_string_value(json_object_get(md, "name"));
	}
	if (!name || !*name) {
		json_t *causes = json_array();

		api_cause(causes, "FieldValueRequired", "metadata.name", NULL,
			  "name or generateName is required");
		return api_status_invalid(r, "", causes);
	}
	/* An existing name is AlreadyExists whatever else is wrong with the
	 * body: that is what a user re-running `kubectl create` needs to see. */
	api_res_key(key, sizeof(key), r);
	if (!gen || !*gen || json_object_get(md, "name")) {
		json_t *existing = NULL;

		if (st_get(api->st, key, (r->flags & K1S_RF_NAMESPACED) ? ns : "", name,
			   &existing) == 0) {
			json_decref(existing);
			return api_status_exists(r, name);
		}
	}
	k1s_uuid(uid, sizeof(uid));
	k1s_time_fmt(ts, sizeof(ts), time(NULL));
	json_object_set_new(md, "uid", json_string(uid));
	json_object_set_new(md, "creationTimestamp", json_string(ts));
	json_object_del(md, "resourceVersion");
	json_object_del(md, "deletionTimestamp");
	json_object_del(md, "deletionGracePeriodSeconds");
	json_object_del(md, "selfLink");
	set_generation(r, obj, NULL);
	if (api_admit_create(api->adm, r, obj, &status) < 0)
		return status ? status : api_internal_error(-EINVAL);
	*code = 201;
	if (dry)
		return json_incref(obj);
	err = st_create(api->st, key, (r->flags & K1S_RF_NAMESPACED) ? ns : "",
			json_string_value(json_object_get(md, "name")), obj);
	if (err == -EEXIST)
		return api_status_exists(r, json_string_value(json_object_get(md, "name")));
	if (err < 0)
		return api_internal_error(err);
	api_admit_commit(api->adm, r, NULL, obj);
	k1s_log(strcmp(r->kind, "Event") == 0 ? K1S_LOG_DEBUG : K1S_LOG_INFO, "api",
		"created %s %s%s%s", r->kind, ns, *ns ? "/" : "",
		json_string_value(json_object_get(md, "name")));
	return json_incref(obj);
}

int api_crud_create_internal(struct api *api, const struct k1s_resource *r, json_t *obj)
{
	char ns[256];
	unsigned code = 0;
	json_t *res;

	/* Copied: api_do_create() replaces the member the string lives in. */
	snprintf(ns, sizeof(ns), "%s", k1s_json_str(obj, "metadata.namespace") ?: "");
	res = api_do_create(api, r, ns, obj, false, &code);
	int err = code == 201 ? 0 : -EINVAL;

	if (err < 0)
		k1s_err("api", "creating %s %s: %s", r->kind, k1s_json_str(obj, "metadata.name"),
			json_string_value(json_object_get(res, "message")));
	json_decref(res);
	return err;
}

/* Replaces `old` by `obj` (a full object) after the checks every update
 * shares; answers with the stored object or a Status. */
json_t *api_do_update(struct api *api, const struct k1s_resource *r, const json_t *old,
			 json_t *obj, int64_t expect_rev, bool dry)
{
	json_t *md = k1s_json_obj(obj, "metadata"), *omd = json_object_get(old, "metadata");
	json_t *status = NULL;
	const char *name = json_string_value(json_object_get(omd, "name"));
	const char *ns = json_string_value(json_object_get(omd, "namespace"));
	char key[96];
	int err;

	/* What the server owns stays as it was. */
	for (const char *const *f = (const char *const[]){"uid", "creationTimestamp",
							   "deletionTimestamp", "namespace",
							   "name", NULL};
	     *f; f++) {
		json_t *v = json_object_get(omd, *f);

		if (v)
			json_object_set(md, *f, v);
		else
			json_object_del(md, *f);
	}
	set_generation(r, obj, old);
	if (api_admit_update(api->adm, r, old, obj, &status) < 0)
		return status ? status : api_internal_error(-EINVAL);
	if (dry) {
		json_object_set(md, "resourceVersion", json_object_get(omd, "resourceVersion"));
		return json_incref(obj);
	}
	api_res_key(key, sizeof(key), r);
	err = st_update(api->st, key, ns ? ns : "", name, obj, expect_rev);
	if (err == K1S_ECONFLICT)
		return api_status_conflict(r, name);
	if (err == -ENOENT)
		return api_status_notfound(r, name);
	if (err < 0)
		return api_internal_error(err);
	api_admit_commit(api->adm, r, old, obj);
	k1s_debug("api", "updated %s %s%s%s", r->kind, ns ? ns : "", ns ? "/" : "", name);
	return json_incref(obj);
}

bool api_is_status(const json_t *o)
{
	const char *k = json_string_value(json_object_get(o, "kind"));

	return k && strcmp(k, "Status") == 0 && json_object_get(o, "code");
}

static int reply_result(struct api_req *req, const struct k1s_resource *r, unsigned code,
			json_t *res)
{
	if (api_is_status(res))
		return api_reply_status(req, res);
	return api_reply_object(req, r, code, res);
}

static int handle_create(struct api_req *req, const struct api_path *p)
{
	const struct k1s_resource *r = p->res;
	const char *fv = api_arg(req, "fieldValidation");
	json_t *obj, *status, *res;
	unsigned code = 0;

	if (*p->name)
		return api_reply_status(req, api_status(405, "MethodNotAllowed",
							"the server does not allow this method on "
							"the requested resource",
							NULL));
	if ((status = api_arg_check_options(req, "CreateOptions", NULL, false)))
		return api_reply_status(req, status);
	if (api_body_decode(req, r->kind, r->version, fv && strcmp(fv, "Strict") == 0, &obj,
			    &status) < 0)
		return api_reply_status(req, status);
	if ((status = check_type(r, obj, false)) || (status = check_fields(req, r, obj))) {
		json_decref(obj);
		return api_reply_status(req, status);
	}
	track(req, r, obj, NULL);
	res = api_do_create(req->api, r, p->ns, obj, api_dry_run(req), &code);
	json_decref(obj);
	if (api_is_status(res))
		return api_reply_status(req, res);
	return api_reply_object(req, r, code, res);
}

int api_load(struct api_req *req, const struct api_path *p, json_t **old)
{
	char key[96];
	int err;

	api_res_key(key, sizeof(key), p->res);
	err = st_get(req->api->st, key, p->ns, p->name, old);
	if (err == -ENOENT)
		return api_reply_status(req, api_status_notfound(p->res, p->name)), -ENOENT;
	if (err < 0)
		return api_reply_status(req, api_internal_error(err)), err;
	return 0;
}

/* Builds the object a write to a subresource leaves: the old object with
 * only status, or only spec.replicas, taken from `in`. Main-resource
 * writes keep the old status where a status subresource exists. */
static json_t *merge_sub(const struct api_path *p, const json_t *old, json_t *in)
{
	json_t *out;

	if (strcmp(p->sub, "scale") == 0) {
		out = json_deep_copy(old);
		json_object_set(k1s_json_obj(out, "spec"), "replicas",
				json_object_get(json_object_get(in, "spec"), "replicas")
				    ?: json_integer(0));
		json_object_set(k1s_json_obj(out, "metadata"), "resourceVersion",
				k1s_json_path(in, "metadata.resourceVersion")
				    ?: k1s_json_path(old, "metadata.resourceVersion"));
		return out;
	}
	if (strcmp(p->sub, "status") == 0) {
		out = json_deep_copy(old);
		if (json_object_get(in, "status"))
			json_object_set(out, "status", json_object_get(in, "status"));
		json_object_set(k1s_json_obj(out, "metadata"), "resourceVersion",
				k1s_json_path(in, "metadata.resourceVersion")
				    ?: k1s_json_path(old, "metadata.resourceVersion"));
		return out;
	}
	out = json_incref(in);
	if (p->res->flags & K1S_RF_STATUS) {
		if (json_object_get(old, "status"))
			json_object_set(out, "status", json_object_get(old, "status"));
		else
			json_object_del(out, "status");
	}
	return out;
}

static int finish_update(struct api_req *req, const struct api_path *p, json_t *old,
			 json_t *in, int64_t expect_rev, bool tracked)
{
	json_t *obj = merge_sub(p, old, in), *res;

	if (tracked)
		track(req, p->res, obj, old);
	else if (json_object_get(k1s_json_path(old, "metadata"), "managedFields") &&
		 !json_object_get(k1s_json_path(obj, "metadata"), "managedFields"))
		json_object_set(k1s_json_obj(obj, "metadata"), "managedFields",
				k1s_json_path(old, "metadata.managedFields"));
	res = api_do_update(req->api, p->res, old, obj, expect_rev, api_dry_run(req));
	json_decref(obj);
	if (!api_is_status(res) && strcmp(p->sub, "scale") == 0) {
		json_t *s = scale_of(res);

		json_decref(res);
		return api_reply_json(req, 200, s);
	}
	return reply_result(req, p->res, 200, res);
}

static int handle_update(struct api_req *req, const struct api_path *p)
{
	const struct k1s_resource *r = p->res;
	const char *fv = api_arg(req, "fieldValidation");
	bool scale = strcmp(p->sub, "scale") == 0;
	json_t *obj, *old, *status;
	const char *name;
	int64_t rev;
	int ret;

	if ((status = api_arg_check_options(req, "UpdateOptions", NULL, false)))
		return api_reply_status(req, status);
	if (api_body_decode(req, scale ? "Scale" : r->kind, scale ? "v1" : r->version,
			    fv && strcmp(fv, "Strict") == 0, &obj, &status) < 0)
		return api_reply_status(req, status);
	if ((status = check_type(r, obj, scale)) || (!scale && (status = check_fields(req, r, obj)))) {
		json_decref(obj);
		return api_reply_status(req, status);
	}
	name = k1s_json_str(obj, "metadata.name");
	if (name && strcmp(name, p->name) != 0) {
		char msg[700];

		snprintf(msg, sizeof(msg),
			 "the name of the object (%s) does not match the name on the URL (%s)", name,
			 p->name);
		json_decref(obj);
		return api_reply_status(req, api_status(400, "BadRequest", msg, NULL));
	}
	if (!scale && (status = check_namespace(req->api, r, p->ns, obj))) {
		json_decref(obj);
		return api_reply_status(req, status);
	}
	if (api_load(req, p, &old) < 0) {
		json_decref(obj);
		return MHD_YES;
	}
	rev = obj_rev(obj);
	if (rev && rev != obj_rev(old)) {
		json_decref(obj);
		json_decref(old);
		return api_reply_status(req, api_status_conflict(r, p->name));
	}
	ret = finish_update(req, p, old, obj, obj_rev(old), true);
	json_decref(obj);
	json_decref(old);
	return ret;
}

static int handle_patch(struct api_req *req, const struct api_path *p)
{
	const struct k1s_resource *r = p->res;
	const char *ct = api_header(req, "Content-Type");
	bool scale = strcmp(p->sub, "scale") == 0;
	json_t *patch, *old = NULL, *doc, *status;
	char err[512], key[96];
	int ret, rc;

	if (!ct || !(strstr(ct, "application/merge-patch+json") ||
		     strstr(ct, "application/strategic-merge-patch+json") ||
		     strstr(ct, "application/json-patch+json") ||
		     strstr(ct, "application/apply-patch+yaml")))
		return api_reply_status(
		    req, api_status(415, "UnsupportedMediaType",
				    "the body of the request was in an unknown format - accepted "
				    "media types include: application/json-patch+json, "
				    "application/merge-patch+json, "
				    "application/apply-patch+yaml, "
				    "application/strategic-merge-patch+json",
				    NULL));
	if ((status = api_arg_check_options(req, "PatchOptions", NULL,
					    !strstr(ct, "application/apply-patch+yaml"))))
		return api_reply_status(req, status);
	if (api_body_decode(req, r->kind, r->version, false, &patch, &status) < 0)
		return api_reply_status(req, status);
	api_res_key(key, sizeof(key), r);
	rc = st_get(req->api->st, key, p->ns, p->name, &old);
	if (rc < 0 && rc != -ENOENT) {
		json_decref(patch);
		return api_reply_status(req, api_internal_error(rc));
	}
	if (strstr(ct, "application/apply-patch+yaml")) {
		const char *mgr = api_arg(req, "fieldManager");
		bool force = api_arg_bool(req, "force");
		json_t *conflicts = json_array();

		if (!mgr || !*mgr) {
			json_decref(patch);
			json_decref(old);
			json_decref(conflicts);
			return api_reply_status(
			    req, api_status(422, "Invalid",
					    "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
					    "Required value: is required for apply patch",
					    NULL));
		}
		if ((status = check_type(r, patch, false)) ||
		    (status = check_fields(req, r, patch))) {
			json_decref(patch);
			json_decref(old);
			json_decref(conflicts);
			return api_reply_status(req, status);
		}
		doc = old ? json_deep_copy(old) : NULL;
		rc = k1s_patch_apply(&doc, patch, r->type, mgr, force, conflicts, err, sizeof(err));
		json_decref(patch);
		if (rc == -EBUSY) {
			char msg[2048];
			size_t n = 0, i;
			json_t *c, *causes = json_array();

			n = (size_t)snprintf(msg, sizeof(msg), "Apply failed with %zu conflict%s: ",
					     json_array_size(conflicts),
					     json_array_size(conflicts) == 1 ? "" : "s");
			json_array_foreach(conflicts, i, c) {
				const char *f = json_string_value(json_object_get(c, "field"));
				const char *m = json_string_value(json_object_get(c, "manager"));
				char one[512];

				snprintf(one, sizeof(one), "conflict with \"%s\": %s", m ? m : "",
					 f ? f : "");
				if (n < sizeof(msg))
					n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s",
							      i ? "\n" : "", one);
				json_array_append_new(causes,
						      json_pack("{s:s,s:s,s:s}", "reason",
								"FieldManagerConflict", "message",
								one, "field", f ? f : ""));
			}
			json_decref(conflicts);
			json_decref(doc);
			json_decref(old);
			return api_reply_status(
			    req, api_status(409, "Conflict", msg,
					    json_pack("{s:o}", "causes", causes)));
		}
		json_decref(conflicts);
		if (rc < 0) {
			json_decref(doc);
			json_decref(old);
			return api_reply_status(req, api_status(400, "BadRequest", err, NULL));
		}
		if (!old) {
			unsigned code = 0;
			json_t *res = api_do_create(req->api, r, p->ns, doc, api_dry_run(req), &code);

			json_decref(doc);
			if (api_is_status(res))
				return api_reply_status(req, res);
			return api_reply_object(req, r, code, res);
		}
		ret = finish_update(req, p, old, doc, obj_rev(old), false);
		json_decref(doc);
		json_decref(old);
		return ret;
	}
	if (!old) {
		json_decref(patch);
		return api_reply_status(req, api_status_notfound(r, p->name));
	}
	doc = scale ? scale_of(old) : json_deep_copy(old);
	if (strstr(ct, "application/json-patch+json"))
		rc = k1s_patch_json(&doc, patch, err, sizeof(err));
	else if (strstr(ct, "application/merge-patch+json"))
		rc = k1s_patch_merge(&doc, patch, err, sizeof(err));
	else
		rc = k1s_patch_strategic(&doc, patch, scale ? NULL : r->type, err, sizeof(err));
	json_decref(patch);
	if (rc < 0) {
		json_decref(doc);
		json_decref(old);
		if (rc == -EINVAL)
			return api_reply_status(req, api_status(400, "BadRequest", err, NULL));
		return api_reply_status(req, api_status(422, "Invalid", err, NULL));
	}
	/* A patch that names a resourceVersion asks for optimistic concurrency. */
	if (obj_rev(doc) && obj_rev(doc) != obj_rev(old)) {
		json_decref(doc);
		json_decref(old);
		return api_reply_status(req, api_status_conflict(r, p->name));
	}
	if ((status = check_type(r, doc, scale))) {
		json_decref(doc);
		json_decref(old);
		return api_reply_status(req, status);
	}
	ret = finish_update(req, p, old, doc, obj_rev(old), true);
	json_decref(doc);
	json_decref(old);
	return ret;
}

static int handle_get(struct api_req *req, const struct api_path *p)
{
	json_t *old;

	if (api_load(req, p, &old) < 0)
		return MHD_YES;
	if (strcmp(p->sub, "scale") == 0) {
		json_t *s = scale_of(old);

		json_decref(old);
		return api_reply_json(req, 200, s);
	}
	return api_reply_object(req, p->res, 200, old);
}

static int not_allowed(struct api_req *req)
{
	return api_reply_status(req, api_status(405, "MethodNotAllowed",
						"the server does not allow this method on the "
						"requested resource",
						NULL));
}

int api_crud_handle(struct api_req *req, const struct api_path *p)
{
	const char *m = req->method;
	bool is_watch = api_arg_bool(req, "watch");

	if (*p->sub && strcmp(p->res->resource, "pods") == 0 && !*p->res->group &&
	    (!strcmp(p->sub, "log") || !strcmp(p->sub, "exec") || !strcmp(p->sub, "attach") ||
	     !strcmp(p->sub, "portforward")))
		return api_stream_handle(req, p, req->api->rt);

	if (*p->sub) {
		bool ok = (strcmp(p->sub, "status") == 0 && (p->res->flags & K1S_RF_STATUS)) ||
			  (strcmp(p->sub, "scale") == 0 && (p->res->flags & K1S_RF_SCALE));

		if (!ok)
			return api_reply_status(req, api_status(404, "NotFound",
								"the server could not find the "
								"requested resource",
								NULL));
		if (strcmp(m, "GET") == 0)
			return handle_get(req, p);
		if (strcmp(m, "PUT") == 0)
			return handle_update(req, p);
		if (strcmp(m, "PATCH") == 0)
			return handle_patch(req, p);
		return not_allowed(req);
	}
	if (!*p->name) {
		if (strcmp(m, "GET") == 0)
			return is_watch ? api_watch_start(req, p) : handle_list(req, p);
		if (strcmp(m, "POST") == 0)
			return handle_create(req, p);
		if (strcmp(m, "DELETE") == 0)
			return api_deletecollection_handle(req, p);
		return not_allowed(req);
	}
	if (strcmp(m, "GET") == 0)
		return is_watch ? api_watch_start(req, p) : handle_get(req, p);
	if (strcmp(m, "PUT") == 0)
		return handle_update(req, p);
	if (strcmp(m, "PATCH") == 0)
		return handle_patch(req, p);
	if (strcmp(m, "DELETE") == 0)
		return api_delete_handle(req, p);
	if (strcmp(m, "POST") == 0)
		return not_allowed(req);
	return not_allowed(req);
}
