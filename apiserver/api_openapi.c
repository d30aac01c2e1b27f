/* OpenAPI v3 documents generated from the type tables: the /openapi/v3
 * index and one document per group-version, as kube-apiserver serves them.
 *
 * kubectl reads them for two things. apply/create/replace look for a PATCH
 * operation carrying the kind's x-kubernetes-group-version-kind and a
 * fieldValidation parameter, and when they find one leave validation to the
 * server. `kubectl explain` walks components.schemas. The PATCH operations
 * declare the four patch media types as kube-apiserver's do: kubectl apply
 * then computes strategic merge patches from these schemas (their
 * x-kubernetes-patch-strategy and merge keys) instead of its compiled-in
 * types, which it does not have for kinds outside its own release. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "k1s_hash.h"

#define REF_PREFIX "#/components/schemas/"

#define NAME_TIME "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
#define NAME_MICROTIME "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"
#define NAME_QUANTITY "io.k8s.apimachinery.pkg.api.resource.Quantity"
#define NAME_INTORSTRING "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
#define NAME_PATCH "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"

/* Named schemas of the scalar-like apimachinery types, with kube-apiserver's
 * descriptions (shortened). Quantity and IntOrString have no type but a
 * oneOf, as their OpenAPIV3OneOfTypes() give it; `kubectl explain` then
 * prints them by name (<IntOrString>) where Time prints as <string>. */
static const struct {
	const char *name;
	const char *type;	/* NULL: oneOf[0], oneOf[1] */
	const char *format;
	const char *one_of[2];
	const char *doc;
} special[] = {
	{NAME_TIME, "string", "date-time", {NULL, NULL},
	 "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON. "
	 "Wrappers are provided for many of the factory methods that the time package offers."},
	{NAME_MICROTIME, "string", "date-time", {NULL, NULL},
	 "MicroTime is version of Time with microsecond level precision."},
	{NAME_QUANTITY, NULL, NULL, {"string", "number"},
	 "Quantity is a fixed-point representation of a number. It provides convenient "
	 "marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() "
	 "accessors."},
	{NAME_INTORSTRING, NULL, "int-or-string", {"integer", "string"},
	 "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML "
	 "marshalling and unmarshalling, it produces or consumes the inner type.  This allows you "
	 "to have, for example, a JSON field that can accept a name or number."},
	{NAME_PATCH, "object", NULL, {NULL, NULL},
	 "Patch is provided to give a concrete name and type to the Kubernetes PATCH request "
	 "body."},
};

static json_t *ref_to(const char *name)
{
	char buf[256];

	snprintf(buf, sizeof(buf), REF_PREFIX "%s", name);
	return json_pack("{s:s}", "$ref", buf);
}

static void add_special(json_t *schemas, const char *name)
{
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		json_t *s;

		if (strcmp(special[i].name, name) != 0 || json_object_get(schemas, name))
			continue;
		s = json_pack("{s:s}", "description", special[i].doc);
		if (special[i].type)
			json_object_set_new(s, "type", json_string(special[i].type));
		else
			json_object_set_new(s, "oneOf",
					    json_pack("[{s:s}, {s:s}]", "type",
						      special[i].one_of[0], "type",
						      special[i].one_of[1]));
		if (special[i].format)
			json_object_set_new(s, "format", json_string(special[i].format));
		json_object_set_new(schemas, name, s);
	}
}

static void add_type(json_t *schemas, const struct k1s_type *t);

/* The schema of one value of field f (an element, for lists and maps). */
static json_t *value_schema(json_t *schemas, const struct k1s_field *f)
{
	const char *ref_name = NULL;
	switch (f->type) {
	case K1S_T_STRING:
		return json_pack("{s:s}", "type", "string");
	case K1S_T_INT32:
		return json_pack("{s:s, s:s}", "type", "integer", "format", "int32");
	case K1S_T_INT64:
		return json_pack("{s:s, s:s}", "type", "integer", "format", "int64");
	case K1S_T_BOOL:
		return json_pack("{s:s}", "type", "boolean");
	case K1S_T_NUMBER:
		return json_pack("{s:s, s:s}", "type", "number", "format", "double");
	case K1S_T_BYTES:
		return json_pack("{s:s, s:s}", "type", "string", "format", "byte");
	case K1S_T_ANY:
		return json_pack("{s:s, s:b}", "type", "object",
				 "x-kubernetes-preserve-unknown-fields", 1);
	case K1S_T_TIME:
		ref_name = NAME_TIME;
		break;
	case K1S_T_MICROTIME:
		ref_name = NAME_MICROTIME;
		break;
	case K1S_T_QUANTITY:
		ref_name = NAME_QUANTITY;
		break;
	case K1S_T_INT_OR_STRING:
		ref_name = NAME_INTORSTRING;
		break;
	case K1S_T_OBJECT:
		if (!f->ref)
			return json_pack("{s:s}", "type", "object");
		add_type(schemas, f->ref);
		ref_name = f->ref->name;
		break;
	}
	if (!ref_name)
		return json_object();
	if (f->type != K1S_T_OBJECT)
		add_special(schemas, ref_name);
	/* kube-apiserver wraps every reference in allOf so that siblings such as
	 * description stay valid OpenAPI 3.0. */
	return json_pack("{s:[o]}", "allOf", ref_to(ref_name));
}

static void set_patch_ext(json_t *p, const struct k1s_field *f)
{
	char strategy[32] = "";

	if (f->merge_key || (f->flags & K1S_FF_MERGE_PRIMITIVES))
		strcat(strategy, "merge");
	if (f->flags & K1S_FF_RETAIN_KEYS)
		strcat(strategy, *strategy ? ",retainKeys" : "retainKeys");
	if ((f->flags & K1S_FF_REPLACE) && !*strategy)
		strcat(strategy, "replace");
	if (*strategy)
		json_object_set_new(p, "x-kubernetes-patch-strategy", json_string(strategy));
	if (f->merge_key)
		json_object_set_new(p, "x-kubernetes-patch-merge-key", json_string(f->merge_key));

	if (f->container != K1S_C_LIST)
		return;
	if (f->list_map_keys && *f->list_map_keys) {
		json_t *keys = json_array();
		const char *s = f->list_map_keys;

		while (*s) {
			size_t n = strcspn(s, ",");

			json_array_append_new(keys, json_stringn(s, n));
			s += n;
			if (*s == ',')
				s++;
		}
		json_object_set_new(p, "x-kubernetes-list-type", json_string("map"));
		json_object_set_new(p, "x-kubernetes-list-map-keys", keys);
	} else if (f->flags & K1S_FF_MERGE_PRIMITIVES) {
		json_object_set_new(p, "x-kubernetes-list-type", json_string("set"));
	} else if (!f->merge_key) {
		json_object_set_new(p, "x-kubernetes-list-type", json_string("atomic"));
	}
}

static json_t *field_schema(json_t *schemas, const struct k1s_field *f)
{
	json_t *v = value_schema(schemas, f);
	json_t *p;

	switch (f->container) {
	case K1S_C_LIST:
		p = json_pack("{s:s, s:o}", "type", "array", "items", v);
		break;
	case K1S_C_MAP:
		p = json_pack("{s:s, s:o}", "type", "object", "additionalProperties", v);
		break;
	default:
		p = v;
		break;
	}
	if (f->doc && *f->doc)
		json_object_set_new(p, "description", json_string(f->doc));
	set_patch_ext(p, f);
	return p;
}

static json_t *gvk_list(const struct k1s_type *t)
{
	json_t *a = NULL;

	for (const struct k1s_resource *r = k1s_resources; r->resource; r++) {
		if (r->type != t)
			continue;
		if (!a)
			a = json_array();
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "group", r->group, "version",
						   r->version, "kind", r->kind));
	}
	return a;
}

/* Adds t and every type it reaches to `schemas`, keyed by definition name. */
static void add_type(json_t *schemas, const struct k1s_type *t)
{
	json_t *s, *props, *req, *gvk;

	if (!t || !t->name || json_object_get(schemas, t->name))
		return;
	s = json_pack("{s:s}", "type", "object");
	/* In the map before its fields, so that recursive types terminate. */
	json_object_set_new(schemas, t->name, s);
	if (t->doc && *t->doc)
		json_object_set_new(s, "description", json_string(t->doc));
	gvk = gvk_list(t);
	if (gvk)
		json_object_set_new(s, "x-kubernetes-group-version-kind", gvk);
	if (!t->fields) {
		/* An open type: anything goes, as strict decoding has it. */
		json_object_set_new(s, "x-kubernetes-preserve-unknown-fields", json_true());
		return;
	}
	props = json_object();
	req = json_array();
	for (size_t i = 0; i < t->nfields; i++) {
		const struct k1s_field *f = &t->fields[i];

		json_object_set_new(props, f->name, field_schema(schemas, f));
		if (f->flags & K1S_FF_REQUIRED)
			json_array_append_new(req, json_string(f->name));
	}
	json_object_set_new(s, "properties", props);
	if (json_array_size(req))
		json_object_set_new(s, "required", req);
	else
		json_decref(req);
}

/* ---- paths ---- */

static json_t *param(const char *name, const char *in, bool required, const char *doc)
{
	json_t *p = json_pack("{s:s, s:s, s:{s:s}}", "name", name, "in", in, "schema", "type",
			      "string");

	if (required)
		json_object_set_new(p, "required", json_true());
	if (doc)
		json_object_set_new(p, "description", json_string(doc));
	return p;
}

static void add_write_params(json_t *params)
{
	json_array_append_new(params,
			      param("dryRun", "query", false,
				    "When present, indicates that modifications should not be "
				    "persisted. Valid values are: - All: all dry run stages will be "
				    "processed"));
	json_array_append_new(params,
			      param("fieldManager", "query", false,
				    "fieldManager is a name associated with the actor or entity "
				    "that is making these changes."));
	json_array_append_new(params,
			      param("fieldValidation", "query", false,
				    "fieldValidation instructs the server on how to handle objects "
				    "in the request (POST/PUT/PATCH) containing unknown or duplicate "
				    "fields. Valid values are: - Ignore: drops unknown fields "
				    "silently. - Warn: drops them and sends a warning for each. - "
				    "Strict: fails the request with a BadRequest error. This is the "
				    "default in v1.23+"));
}

static json_t *body_content(const struct k1s_type *t)
{
	return json_pack("{s:{s:o}}", "application/json", "schema", ref_to(t->name));
}

/* A PATCH body: the media types kube-apiserver lists for built-in kinds
 * (CRDs lack strategic merge), each a meta.v1.Patch. kubectl apply looks
 * for application/strategic-merge-patch+json here (patcher.go,
 * gvkSupportsPatchOpenAPIV3). */
static json_t *patch_content(void)
{
	static const char *const types[] = {
	    "application/apply-patch+yaml", "application/json-patch+json",
	    "application/merge-patch+json", "application/strategic-merge-patch+json"};
	json_t *c = json_object();

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		json_object_set_new(c, types[i], json_pack("{s:o}", "schema", ref_to(NAME_PATCH)));
	return c;
}

/* The group-version part of kube-apiserver's operationIds: "CoreV1",
 * "AppsV1", "NetworkingV1", "DiscoveryV1". */
static void gv_ident(const struct k1s_resource *r, char *buf, size_t len)
{
	const char *g = *r->group ? r->group : "core";
	size_t glen = strcspn(g, ".");

	snprintf(buf, len, "%c%.*s%c%s", g[0] & ~0x20, (int)glen - 1, g + 1,
		 r->version[0] & ~0x20, r->version + 1);
}

static const char *op_doc(const char *action)
{
	if (strcmp(action, "get") == 0)
		return "read the specified object";
	if (strcmp(action, "put") == 0)
		return "replace the specified object";
	if (strcmp(action, "delete") == 0)
		return "delete an object";
	if (strcmp(action, "patch") == 0)
		return "partially update the specified object";
	if (strcmp(action, "post") == 0)
		return "create an object";
	return "list or watch objects";
}

/* One operation. x-kubernetes-action is `action`; the HTTP verb is the same
 * except for list (get). */
static json_t *operation(const struct k1s_resource *r, const char *action, bool item)
{
	bool write = strcmp(action, "put") == 0 || strcmp(action, "patch") == 0 ||
		     strcmp(action, "post") == 0;
	json_t *op, *params = json_array();
	char gv[64], id[192];

	/* e.g. patchCoreV1NamespacedService, listAppsV1NamespacedDeployment */
	gv_ident(r, gv, sizeof(gv));
	snprintf(id, sizeof(id), "%s%s%s%s", strcmp(action, "post") == 0 ? "create" : action, gv,
		 (r->flags & K1S_RF_NAMESPACED) ? "Namespaced" : "", r->kind);
	op = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "operationId", id, "description",
		       op_doc(action), "x-kubernetes-action", action,
		       "x-kubernetes-group-version-kind", "group", r->group, "version", r->version,
		       "kind", r->kind);
	if (write)
		add_write_params(params);
	if (strcmp(action, "patch") == 0)
		json_array_append_new(params,
				      param("force", "query", false,
					    "Force is going to \"force\" Apply requests."));
	if (strcmp(action, "delete") == 0) {
		json_array_append_new(params, param("dryRun", "query", false, NULL));
		json_array_append_new(params, param("propagationPolicy", "query", false, NULL));
	}
	if (strcmp(action, "list") == 0) {
		json_array_append_new(params, param("labelSelector", "query", false, NULL));
		json_array_append_new(params, param("fieldSelector", "query", false, NULL));
		json_array_append_new(params, param("watch", "query", false, NULL));
	}
	json_object_set_new(op, "parameters", params);
	if (strcmp(action, "patch") == 0)
		json_object_set_new(op, "requestBody",
				    json_pack("{s:o, s:b}", "content", patch_content(), "required", 1));
	else if (strcmp(action, "put") == 0 || strcmp(action, "post") == 0)
		json_object_set_new(op, "requestBody",
				    json_pack("{s:o, s:b}", "content", body_content(r->type),
					      "required", 1));
	if (item || strcmp(action, "post") == 0)
		json_object_set_new(op, "responses",
				    json_pack("{s:{s:s, s:o}}", "200", "description", "OK",
					      "content", body_content(r->type)));
	else
		json_object_set_new(op, "responses",
				    json_pack("{s:{s:s}}", "200", "description", "OK"));
	return op;
}

static void add_paths(json_t *paths, const struct k1s_resource *r)
{
	char base[256], coll[320], item[400];
	json_t *pi = json_object(), *pc = json_object(), *pp = json_array();

	if (*r->group)
		snprintf(base, sizeof(base), "/apis/%s/%s", r->group, r->version);
	else
		snprintf(base, sizeof(base), "/api/%s", r->version);
	if (r->flags & K1S_RF_NAMESPACED)
		snprintf(coll, sizeof(coll), "%s/namespaces/{namespace}/%s", base, r->resource);
	else
		snprintf(coll, sizeof(coll), "%s/%s", base, r->resource);
	snprintf(item, sizeof(item), "%s/{name}", coll);

	json_array_append_new(pp, param("name", "path", true, "name of the object"));
	if (r->flags & K1S_RF_NAMESPACED)
		json_array_append_new(pp, param("namespace", "path", true,
						"object name and auth scope, such as for teams "
						"and projects"));
	json_array_append_new(pp, param("pretty", "query", false,
					"If 'true', then the output is pretty printed."));
	json_object_set_new(pi, "parameters", pp);
	json_object_set_new(pi, "get", operation(r, "get", true));
	json_object_set_new(pi, "put", operation(r, "put", true));
	json_object_set_new(pi, "delete", operation(r, "delete", true));
	json_object_set_new(pi, "patch", operation(r, "patch", true));

	if (r->flags & K1S_RF_NAMESPACED)
		json_object_set_new(pc, "parameters",
				    json_pack("[o]", param("namespace", "path", true, NULL)));
	json_object_set_new(pc, "get", operation(r, "list", false));
	json_object_set_new(pc, "post", operation(r, "post", false));

	json_object_set_new(paths, item, pi);
	json_object_set_new(paths, coll, pc);
}

/* Splits "api/v1" or "apis/apps/v1" into group and version; -1 if neither. */
static int parse_gv(const char *gv_path, char *group, size_t glen, char *version, size_t vlen)
{
	const char *slash;

	if (*gv_path == '/')
		gv_path++;
	if (strncmp(gv_path, "api/", 4) == 0) {
		if (strchr(gv_path + 4, '/'))
			return -1;
		snprintf(group, glen, "%s", "");
		snprintf(version, vlen, "%s", gv_path + 4);
		return 0;
	}
	if (strncmp(gv_path, "apis/", 5) != 0)
		return -1;
	gv_path += 5;
	slash = strchr(gv_path, '/');
	if (!slash || slash == gv_path || strchr(slash + 1, '/') || !slash[1])
		return -1;
	if ((size_t)(slash - gv_path) >= glen)
		return -1;
	snprintf(group, glen, "%.*s", (int)(slash - gv_path), gv_path);
	snprintf(version, vlen, "%s", slash + 1);
	return 0;
}

static json_t *build_doc(const char *group, const char *version)
{
	json_t *paths = json_object(), *schemas = json_object();
	bool any = false;

	for (const struct k1s_resource *r = k1s_resources; r->resource; r++) {
		if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
			continue;
		any = true;
		add_paths(paths, r);
		add_type(schemas, r->type);
	}
	if (any)
		add_special(schemas, NAME_PATCH);
	if (!any) {
		json_decref(paths);
		json_decref(schemas);
		return NULL;
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:o}}", "openapi", "3.0.0", "info", "title",
			 "Kubernetes", "version", "v1.32.0", "paths", paths, "components",
			 "schemas", schemas);
}

json_t *api_openapi_doc(const char *gv_path)
{
	char group[128], version[32];

	if (!gv_path || parse_gv(gv_path, group, sizeof(group), version, sizeof(version)) < 0)
		return NULL;
	return build_doc(group, version);
}

/* FNV-1a 64 of the document's canonical text: stable for a given build, and
 * changed by any change of the tables, which is all a client cache needs. */
static void doc_hash(const json_t *doc, char *out, size_t len)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	uint64_t h = k1s_fnv_more_str(K1S_FNV_INIT, text ? text : "");

	free(text);
	snprintf(out, len, "%016llX", (unsigned long long)h);
}

json_t *api_openapi_index(void)
{
	json_t *paths = json_object();

	for (const struct k1s_resource *r = k1s_resources; r->resource; r++) {
		char key[192], url[256], hash[17];
		json_t *doc;

		if (*r->group)
			snprintf(key, sizeof(key), "apis/%s/%s", r->group, r->version);
		else
			snprintf(key, sizeof(key), "api/%s", r->version);
		if (json_object_get(paths, key))
			continue;
		doc = build_doc(r->group, r->version);
		if (!doc)
			continue;
		doc_hash(doc, hash, sizeof(hash));
		json_decref(doc);
		snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%s", key, hash);
		json_object_set_new(paths, key, json_pack("{s:s}", "serverRelativeURL", url));
	}
	return json_pack("{s:o}", "paths", paths);
}
