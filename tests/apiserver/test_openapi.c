/* The /openapi/v3 index and documents: what kubectl apply needs (a PATCH
 * operation per kind that declares fieldValidation and has no requestBody)
 * and what kubectl explain needs (schemas whose $refs resolve). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_int.h"
#include "k1s_types_int.h"

static const char *const gvs[] = {"api/v1",
				  "apis/apps/v1",
				  "apis/networking.k8s.io/v1",
				  "apis/discovery.k8s.io/v1",
				  "apis/batch/v1",
				  "apis/rbac.authorization.k8s.io/v1",
				  "apis/admissionregistration.k8s.io/v1",
				  "apis/cert-manager.io/v1"};

#define NGVS (sizeof(gvs) / sizeof(gvs[0]))

static json_t *schema(json_t *doc, const char *name)
{
	return json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
			       name);
}

static json_t *prop(json_t *doc, const char *type, const char *field)
{
	return json_object_get(json_object_get(schema(doc, type), "properties"), field);
}

static const char *ref_of(json_t *p)
{
	json_t *all = json_object_get(p, "allOf");

	return json_string_value(json_object_get(json_array_get(all, 0), "$ref"));
}

static bool has_param(json_t *op, const char *name, const char *in)
{
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(op, "parameters"), i, p) {
		if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0 &&
		    strcmp(json_string_value(json_object_get(p, "in")), in) == 0)
			return true;
	}
	return false;
}

static void index_lists_every_group_version(void **state)
{
	json_t *idx = api_openapi_index(), *again = api_openapi_index();
	json_t *paths = json_object_get(idx, "paths");
	char seen[NGVS][32];

	assert_non_null(paths);
	assert_int_equal(json_object_size(paths), NGVS);
	for (size_t i = 0; i < NGVS; i++) {
		const char *url = json_string_value(
			json_object_get(json_object_get(paths, gvs[i]), "serverRelativeURL"));
		char prefix[128];
		const char *h;

		assert_non_null(url);
		snprintf(prefix, sizeof(prefix), "/openapi/v3/%s?hash=", gvs[i]);
		assert_memory_equal(url, prefix, strlen(prefix));
		h = url + strlen(prefix);
		assert_true(strlen(h) >= 16);
		assert_true(strlen(h) < sizeof(seen[0]));
		for (const char *c = h; *c; c++)
			assert_non_null(strchr("0123456789ABCDEF", *c));
		/* One hash per document. */
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(seen[j], h);
		snprintf(seen[i], sizeof(seen[i]), "%s", h);
	}
	/* Stable: kubectl caches documents by their URL. */
	assert_true(json_equal(idx, again));
	json_decref(again);
	json_decref(idx);
}

static void unknown_group_versions_have_no_document(void **state)
{
	static const char *const bad[] = {"api/v2",	     "apis/batch/v2", "apis/apps",
					  "apis/apps/v1/x", "apps/v1",	     "",
					  "api/v1/pods",    "apis//v1"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *d = api_openapi_doc(bad[i]);

		if (d)
			fail_msg("document for \"%s\"", bad[i]);
	}
	assert_null(api_openapi_doc(NULL));
}

/* The PATCH operation's body lists `type`, as a meta.v1.Patch that the
 * document defines. */
static bool patch_accepts(json_t *doc, json_t *patch, const char *type)
{
	json_t *body = json_object_get(patch, "requestBody");
	json_t *t = json_object_get(json_object_get(body, "content"), type);
	const char *ref = json_string_value(json_object_get(json_object_get(t, "schema"), "$ref"));

	if (!t || !json_is_true(json_object_get(body, "required")) || !ref)
		return false;
	assert_string_equal(ref, "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch");
	assert_non_null(schema(doc, "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"));
	return true;
}

static void service_patch_declares_field_validation(void **state)
{
	json_t *doc = api_openapi_doc("api/v1");
	json_t *item = json_object_get(json_object_get(doc, "paths"),
				       "/api/v1/namespaces/{namespace}/services/{name}");
	json_t *patch = json_object_get(item, "patch"), *gvk, *p;
	size_t i;

	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.0");
	assert_non_null(json_object_get(doc, "info"));
	assert_non_null(patch);
	gvk = json_object_get(patch, "x-kubernetes-group-version-kind");
	assert_string_equal(json_string_value(json_object_get(gvk, "group")), "");
	assert_string_equal(json_string_value(json_object_get(gvk, "version")), "v1");
	assert_string_equal(json_string_value(json_object_get(gvk, "kind")), "Service");
	assert_true(has_param(patch, "fieldValidation", "query"));
	json_array_foreach(json_object_get(patch, "parameters"), i, p) {
		if (strcmp(json_string_value(json_object_get(p, "name")), "fieldValidation") == 0)
			assert_string_equal(json_string_value(json_object_get(
						    json_object_get(p, "schema"), "type")),
					    "string");
	}
	/* kubectl apply computes strategic merge patches from the schemas only
	 * when the PATCH body lists that media type. */
	assert_true(patch_accepts(doc, patch, "application/strategic-merge-patch+json"));
	assert_true(patch_accepts(doc, patch, "application/apply-patch+yaml"));
	assert_true(patch_accepts(doc, patch, "application/merge-patch+json"));
	assert_true(patch_accepts(doc, patch, "application/json-patch+json"));
	assert_false(patch_accepts(doc, patch, "application/json"));

	assert_true(has_param(json_object_get(item, "put"), "fieldValidation", "query"));
	assert_non_null(json_object_get(item, "get"));
	assert_non_null(json_object_get(item, "delete"));
	assert_true(has_param(json_object_get(json_object_get(json_object_get(doc, "paths"),
							      "/api/v1/namespaces/{namespace}/services"),
					      "post"),
			      "fieldValidation", "query"));

	/* Cluster-scoped kinds have no namespace in their path. */
	patch = json_object_get(json_object_get(json_object_get(doc, "paths"),
						"/api/v1/namespaces/{name}"),
				"patch");
	assert_non_null(patch);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(patch, "x-kubernetes-group-version-kind"), "kind")),
			    "Namespace");
	assert_null(json_object_get(json_object_get(doc, "paths"),
				    "/api/v1/namespaces/{namespace}/namespaces/{name}"));
	json_decref(doc);
}

/* Every served kind has its PATCH operation in its group-version's document,
 * and its schema carries the kind's group-version-kind. */
static void every_kind_has_a_patch_operation(void **state)
{
	for (const struct k1s_resource *r = k1s_resources; r->resource; r++) {
		char gv[128], path[256];
		json_t *doc, *patch, *gvk, *s;

		if (*r->group)
			snprintf(gv, sizeof(gv), "apis/%s/%s", r->group, r->version);
		else
			snprintf(gv, sizeof(gv), "api/%s", r->version);
		snprintf(path, sizeof(path), "/%s%s/%s/{name}", gv,
			 (r->flags & K1S_RF_NAMESPACED) ? "/namespaces/{namespace}" : "",
			 r->resource);
		doc = api_openapi_doc(gv);
		assert_non_null(doc);
		patch = json_object_get(json_object_get(json_object_get(doc, "paths"), path),
					"patch");
		if (!patch)
			fail_msg("no PATCH %s", path);
		gvk = json_object_get(patch, "x-kubernetes-group-version-kind");
		assert_string_equal(json_string_value(json_object_get(gvk, "group")), r->group);
		assert_string_equal(json_string_value(json_object_get(gvk, "kind")), r->kind);
		assert_true(has_param(patch, "fieldValidation", "query"));
		assert_true(patch_accepts(doc, patch, "application/strategic-merge-patch+json"));

		s = schema(doc, r->type->name);
		assert_non_null(s);
		gvk = json_array_get(json_object_get(s, "x-kubernetes-group-version-kind"), 0);
		assert_string_equal(json_string_value(json_object_get(gvk, "kind")), r->kind);
		assert_string_equal(json_string_value(json_object_get(gvk, "version")), r->version);
		json_decref(doc);
	}
}

/* Counts the $refs under v and fails on any that names no schema. */
static int check_refs(json_t *doc, json_t *v)
{
	const char *key;
	json_t *e;
	size_t i;
	int n = 0;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e) n += check_refs(doc, e);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, e) {
			if (strcmp(key, "$ref") == 0) {
				const char *ref = json_string_value(e);
				const char *pre = "#/components/schemas/";

				assert_non_null(ref);
				assert_memory_equal(ref, pre, strlen(pre));
				if (!schema(doc, ref + strlen(pre)))
					fail_msg("dangling $ref %s", ref);
				n++;
			} else {
				n += check_refs(doc, e);
			}
		}
	}
	return n;
}

static void documents_are_valid_json_with_resolving_refs(void **state)
{
	for (size_t i = 0; i < NGVS; i++) {
		json_t *doc = api_openapi_doc(gvs[i]), *back;
		json_error_t err;
		char *text;

		assert_non_null(doc);
		text = json_dumps(doc, JSON_COMPACT);
		assert_non_null(text);
		back = json_loads(text, JSON_REJECT_DUPLICATES, &err);
		if (!back)
			fail_msg("%s: %s", gvs[i], err.text);
		assert_true(json_equal(doc, back));
		assert_true(check_refs(doc, doc) > 0);
		free(text);
		json_decref(back);
		json_decref(doc);
	}
}

static void deployment_schemas_follow_the_tables(void **state)
{
	json_t *doc = api_openapi_doc("apis/apps/v1"), *s, *p, *req;
	static const char *const spec_fields[] = {
		"replicas", "selector",		"template", "strategy",
		"minReadySeconds", "revisionHistoryLimit", "paused", "progressDeadlineSeconds"};
	const char *DS = "io.k8s.api.apps.v1.DeploymentSpec";

	assert_non_null(doc);
	s = schema(doc, DS);
	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(s, "type")), "object");
	assert_non_null(strstr(json_string_value(json_object_get(s, "description")),
			       "desired behavior of the Deployment"));
	assert_int_equal(json_object_size(json_object_get(s, "properties")), 8);
	for (size_t i = 0; i < 8; i++)
		assert_non_null(prop(doc, DS, spec_fields[i]));
	req = json_object_get(s, "required");
	assert_int_equal(json_array_size(req), 2);
	assert_string_equal(json_string_value(json_array_get(req, 0)), "selector");
	assert_string_equal(json_string_value(json_array_get(req, 1)), "template");

	p = prop(doc, DS, "replicas");
	assert_string_equal(json_string_value(json_object_get(p, "type")), "integer");
	assert_string_equal(json_string_value(json_object_get(p, "format")), "int32");
	assert_non_null(json_object_get(p, "description"));
	assert_string_equal(json_string_value(json_object_get(prop(doc, DS, "paused"), "type")),
			    "boolean");
	p = prop(doc, DS, "strategy");
	assert_string_equal(ref_of(p), "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy");
	assert_string_equal(json_string_value(json_object_get(p, "x-kubernetes-patch-strategy")),
			    "retainKeys");
	assert_string_equal(ref_of(prop(doc, DS, "template")),
			    "#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec");
	assert_non_null(schema(doc, "io.k8s.api.core.v1.PodTemplateSpec"));
	assert_non_null(schema(doc, "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"));

	p = prop(doc, "io.k8s.api.apps.v1.DeploymentStatus", "conditions");
	assert_string_equal(json_string_value(json_object_get(p, "type")), "array");
	assert_string_equal(ref_of(json_object_get(p, "items")),
			    "#/components/schemas/io.k8s.api.apps.v1.DeploymentCondition");
	assert_string_equal(json_string_value(json_object_get(p, "x-kubernetes-patch-merge-key")),
			    "type");
	assert_string_equal(json_string_value(json_object_get(p, "x-kubernetes-patch-strategy")),
			    "merge");
	assert_string_equal(json_string_value(json_object_get(p, "x-kubernetes-list-type")), "map");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(p, "x-kubernetes-list-map-keys"), 0)),
			    "type");

	/* IntOrString and Time: named schemas, as kube-apiserver has them, so that
	 * explain prints <IntOrString> and <string>. */
	p = prop(doc, "io.k8s.api.apps.v1.RollingUpdateDeployment", "maxSurge");
	assert_string_equal(ref_of(p),
			    "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString");
	s = schema(doc, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
	assert_string_equal(json_string_value(json_object_get(s, "format")), "int-or-string");
	assert_int_equal(json_array_size(json_object_get(s, "oneOf")), 2);
	s = schema(doc, "io.k8s.apimachinery.pkg.apis.meta.v1.Time");
	assert_string_equal(json_string_value(json_object_get(s, "type")), "string");
	assert_string_equal(json_string_value(json_object_get(s, "format")), "date-time");

	/* Only what the group's kinds reach. */
	assert_null(schema(doc, "io.k8s.api.networking.v1.IngressSpec"));
	assert_null(schema(doc, "io.k8s.api.core.v1.ServiceSpec"));
	json_decref(doc);
}

static void networking_schemas_follow_the_tables(void **state)
{
	json_t *doc = api_openapi_doc("apis/networking.k8s.io/v1"), *s, *p, *req;
	const char *P = "io.k8s.api.networking.v1.HTTPIngressPath";

	assert_non_null(doc);
	s = schema(doc, P);
	req = json_object_get(s, "required");
	assert_int_equal(json_array_size(req), 2);
	assert_string_equal(json_string_value(json_array_get(req, 0)), "pathType");
	assert_string_equal(json_string_value(json_array_get(req, 1)), "backend");
	assert_string_equal(ref_of(prop(doc, "io.k8s.api.networking.v1.IngressRule", "http")),
			    "#/components/schemas/io.k8s.api.networking.v1.HTTPIngressRuleValue");
	p = prop(doc, "io.k8s.api.networking.v1.IngressSpec", "rules");
	assert_string_equal(json_string_value(json_object_get(p, "x-kubernetes-list-type")),
			    "atomic");
	assert_null(json_object_get(p, "x-kubernetes-patch-merge-key"));
	p = prop(doc, "io.k8s.api.networking.v1.IngressTLS", "hosts");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(p, "items"), "type")),
			    "string");
	assert_non_null(schema(doc, "io.k8s.api.networking.v1.IPBlock"));
	assert_non_null(schema(doc, "io.k8s.api.networking.v1.IngressClassParametersReference"));
	/* Three kinds in one document. */
	assert_non_null(json_object_get(json_object_get(doc, "paths"),
					"/apis/networking.k8s.io/v1/ingressclasses/{name}"));
	assert_non_null(json_object_get(
		json_object_get(doc, "paths"),
		"/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies/{name}"));
	json_decref(doc);

	doc = api_openapi_doc("apis/discovery.k8s.io/v1");
	p = prop(doc, "io.k8s.api.discovery.v1.Endpoint", "deprecatedTopology");
	assert_string_equal(json_string_value(json_object_get(p, "type")), "object");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(p, "additionalProperties"), "type")),
			    "string");
	json_decref(doc);
}

/* The core/v1 schemas come from the core tables; where those are filled,
 * ServicePort must be complete. */
static void core_schemas_come_from_the_core_tables(void **state)
{
	json_t *doc = api_openapi_doc("api/v1"), *s;

	assert_non_null(schema(doc, "io.k8s.api.core.v1.Service"));
	assert_non_null(schema(doc, "io.k8s.api.core.v1.Pod"));
	if (k1s_t_Service.nfields) {
		json_t *req;

		s = schema(doc, "io.k8s.api.core.v1.ServicePort");
		assert_non_null(s);
		assert_non_null(json_object_get(s, "description"));
		req = json_object_get(s, "required");
		assert_int_equal(json_array_size(req), 1);
		assert_string_equal(json_string_value(json_array_get(req, 0)), "port");
		assert_non_null(json_object_get(
			json_object_get(json_object_get(s, "properties"), "port"), "description"));
	} else {
		/* An open table: its schema says so. */
		s = schema(doc, "io.k8s.api.core.v1.Service");
		assert_true(json_is_true(
			json_object_get(s, "x-kubernetes-preserve-unknown-fields")));
	}
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(index_lists_every_group_version),
		cmocka_unit_test(unknown_group_versions_have_no_document),
		cmocka_unit_test(service_patch_declares_field_validation),
		cmocka_unit_test(every_kind_has_a_patch_operation),
		cmocka_unit_test(documents_are_valid_json_with_resolving_refs),
		cmocka_unit_test(deployment_schemas_follow_the_tables),
		cmocka_unit_test(networking_schemas_follow_the_tables),
		cmocka_unit_test(core_schemas_come_from_the_core_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
