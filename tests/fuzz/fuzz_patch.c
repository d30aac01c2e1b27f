/* Fuzzes the four patch kinds. Input: one selector byte, then a JSON
 * document, a NUL, and a JSON patch. Selector bits 0-1 pick the kind
 * (merge, json, strategic, apply), bits 2-3 the type table (none, a
 * Service-like and a Deployment-like table defined here, the served
 * Deployment), bit 4 apply's force. Checks that a failed patch leaves the
 * document as it was and that strategic merge leaves no directive behind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "k1s_patch.h"
#include "k1s_types.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct k1s_field port_f[] = {
	{.name = "port", .type = K1S_T_INT32},
	{.name = "protocol", .type = K1S_T_STRING},
	{.name = "targetPort", .type = K1S_T_INT_OR_STRING},
};
static const struct k1s_type t_port = {"ServicePort", "", port_f, N(port_f)};
static const struct k1s_field env_f[] = {
	{.name = "name", .type = K1S_T_STRING},
	{.name = "value", .type = K1S_T_STRING},
};
static const struct k1s_type t_env = {"EnvVar", "", env_f, N(env_f)};
static const struct k1s_field ctr_f[] = {
	{.name = "name", .type = K1S_T_STRING},
	{.name = "image", .type = K1S_T_STRING},
	{.name = "args", .type = K1S_T_STRING, .container = K1S_C_LIST},
	{.name = "env", .type = K1S_T_OBJECT, .container = K1S_C_LIST, .ref = &t_env,
	 .merge_key = "name", .list_map_keys = "name"},
};
static const struct k1s_type t_ctr = {"Container", "", ctr_f, N(ctr_f)};
static const struct k1s_field meta_f[] = {
	{.name = "name", .type = K1S_T_STRING},
	{.name = "labels", .type = K1S_T_STRING, .container = K1S_C_MAP},
	{.name = "finalizers", .type = K1S_T_STRING, .container = K1S_C_LIST,
	 .flags = K1S_FF_MERGE_PRIMITIVES},
};
static const struct k1s_type t_meta = {"ObjectMeta", "", meta_f, N(meta_f)};
static const struct k1s_field strat_f[] = {
	{.name = "type", .type = K1S_T_STRING},
	{.name = "rollingUpdate", .type = K1S_T_ANY},
};
static const struct k1s_type t_strat = {"DeploymentStrategy", "", strat_f, N(strat_f)};
static const struct k1s_field spec_f[] = {
	{.name = "ports", .type = K1S_T_OBJECT, .container = K1S_C_LIST, .ref = &t_port,
	 .merge_key = "port", .list_map_keys = "port,protocol"},
	{.name = "selector", .type = K1S_T_STRING, .container = K1S_C_MAP},
	{.name = "containers", .type = K1S_T_OBJECT, .container = K1S_C_LIST, .ref = &t_ctr,
	 .merge_key = "name"},
	{.name = "strategy", .type = K1S_T_OBJECT, .ref = &t_strat, .flags = K1S_FF_RETAIN_KEYS},
	{.name = "replicas", .type = K1S_T_INT32},
	{.name = "template", .type = K1S_T_OBJECT, .flags = K1S_FF_REPLACE},
};
static const struct k1s_type t_spec = {"Spec", "", spec_f, N(spec_f)};
static const struct k1s_field svc_f[] = {
	{.name = "metadata", .type = K1S_T_OBJECT, .ref = &t_meta},
	{.name = "spec", .type = K1S_T_OBJECT, .ref = &t_spec},
};
static const struct k1s_type t_svc = {"Service", "", svc_f, N(svc_f)};
static const struct k1s_field dep_f[] = {
	{.name = "metadata", .type = K1S_T_OBJECT, .ref = &t_meta},
	{.name = "spec", .type = K1S_T_OBJECT, .ref = &t_spec},
	{.name = "status", .type = K1S_T_ANY},
};
static const struct k1s_type t_dep = {"Deployment", "", dep_f, N(dep_f)};

static int directives(const json_t *v)
{
	const char *k;
	json_t *e;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
			if (strcmp(k, "$patch") == 0 || strcmp(k, "$retainKeys") == 0 ||
			    strncmp(k, "$setElementOrder/", 17) == 0 ||
			    strncmp(k, "$deleteFromPrimitiveList/", 25) == 0 || directives(e))
				return 1;
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			if (directives(json_array_get(v, i)))
				return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct k1s_resource *r = k1s_resource_find("apps", "deployments");
	const struct k1s_type *types[4] = {NULL, &t_svc, &t_dep, r ? r->type : NULL};
	const uint8_t *nul;
	json_t *doc, *patch, *before, *conflicts;
	char err[256];
	unsigned sel;
	int rc;

	if (size < 2)
		return 0;
	sel = data[0];
	nul = memchr(data + 1, 0, size - 1);
	if (!nul)
		return 0;
	doc = json_loadb((const char *)data + 1, (size_t)(nul - data - 1), JSON_DECODE_ANY, NULL);
	patch = json_loadb((const char *)nul + 1, size - (size_t)(nul - data) - 1, JSON_DECODE_ANY,
			   NULL);
	if (!patch) {
		json_decref(doc);
		return 0;
	}
	before = doc ? json_deep_copy(doc) : NULL;
	conflicts = json_array();
	switch (sel & 3) {
	case 0:
		rc = k1s_patch_merge(&doc, patch, err, sizeof(err));
		break;
	case 1:
		rc = k1s_patch_json(&doc, patch, err, sizeof(err));
		break;
	case 2:
		rc = k1s_patch_strategic(&doc, patch, types[(sel >> 2) & 3], err, sizeof(err));
		if (rc == 0 && !directives(before) && directives(doc))
			abort();
		break;
	default:
		rc = k1s_patch_apply(&doc, patch, types[(sel >> 2) & 3], "fuzz", (sel & 0x10) != 0,
				     conflicts, err, sizeof(err));
		if (rc == 0)
			rc = k1s_patch_apply(&doc, patch, types[(sel >> 2) & 3], "fuzz2", false,
					     conflicts, err, sizeof(err));
		break;
	}
	/* A failed patch leaves the document exactly as it was. */
	if (rc < 0 && !(doc == NULL ? before == NULL : json_equal(doc, before)))
		abort();
	json_decref(conflicts);
	json_decref(before);
	json_decref(doc);
	json_decref(patch);
	return 0;
}
