/* cert-manager.io/v1 (Certificate, Issuer, ClusterIssuer): served as
 * built-in kinds, checked as kube-apiserver checks a custom resource
 * against its CRD's openAPIV3Schema (apiextensions-apiserver
 * pkg/apiserver/validation, on kube-openapi's validate): required
 * members, value types and enums, with the same messages. The schema is
 * the type table generated from cert-manager's CRDs (k1s_types_cm.c). */
#include <stdio.h>
#include <string.h>

#include "api_admit_int.h"
#include "k1s_types.h"

/* Enums of the CRDs (deploy/crds/cert-manager.io_certificates.yaml). */
static const struct {
	const char *type; /* the field's type, by OpenAPI name */
	const char *field;
	const char *const values[8];
} cm_enums[] = {
    {"io.cert-manager.v1.CertificateSpecPrivateKey", "algorithm", {"RSA", "ECDSA", "Ed25519"}},
    {"io.cert-manager.v1.CertificateSpecPrivateKey", "encoding", {"PKCS1", "PKCS8"}},
    {"io.cert-manager.v1.CertificateSpecPrivateKey", "rotationPolicy", {"Never", "Always"}},
    {"io.cert-manager.v1.CertificateSpecAdditionalOutputFormats", "type", {"DER", "CombinedPEM"}},
    {"io.cert-manager.v1.CertificateSpecRenewal", "policy", {"RenewBefore", "Disabled"}},
    {"io.cert-manager.v1.CertificateSpec",
     "signatureAlgorithm",
     {"SHA256WithRSA", "SHA384WithRSA", "SHA512WithRSA", "ECDSAWithSHA256", "ECDSAWithSHA384",
      "ECDSAWithSHA512", "PureEd25519"}},
};

/* The JSON type name kube-openapi reports for a value. */
static const char *value_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "null";
}

/* The OpenAPI type a field's value (one element of a list or map) has. */
static const char *schema_type(enum k1s_ftype t)
{
	switch (t) {
	case K1S_T_STRING:
	case K1S_T_TIME:
	case K1S_T_MICROTIME:
	case K1S_T_BYTES:
	case K1S_T_QUANTITY:
		return "string";
	case K1S_T_INT32:
	case K1S_T_INT64:
		return "integer";
	case K1S_T_BOOL:
		return "boolean";
	case K1S_T_NUMBER:
		return "number";
	case K1S_T_OBJECT:
		return "object";
	case K1S_T_INT_OR_STRING:
	case K1S_T_ANY:
		break;
	}
	return NULL;
}

static bool type_ok(const char *want, const json_t *v)
{
	const char *have = value_type(v);

	if (!want || strcmp(want, have) == 0)
		return true;
	/* A number schema takes integers too. */
	return strcmp(want, "number") == 0 && json_is_integer(v);
}

/* errors.InvalidType: `PATH: Invalid value: "HAVE": PATH in body must be
 * of type WANT: "HAVE"`. */
static void invalid_type(struct adm_req *q, const char *path, const char *want, const json_t *v)
{
	char raw[32], detail[700];

	adm_fmt(raw, sizeof(raw), "\"%s\"", value_type(v));
	adm_fmt(detail, sizeof(detail), "%s in body must be of type %s: \"%s\"", path, want,
	        value_type(v));
	adm_invalid_raw(q, path, raw, detail);
}

static void check_object(struct adm_req *q, const struct k1s_type *t, const json_t *obj,
                         const char *path);

static void check_enum(struct adm_req *q, const struct k1s_type *t, const struct k1s_field *f,
                       const json_t *v, const char *path)
{
	const char *s = json_string_value(v);

	if (!s)
		return;
	for (size_t i = 0; i < sizeof(cm_enums) / sizeof(cm_enums[0]); i++) {
		if (strcmp(cm_enums[i].type, t->name) != 0 ||
		    strcmp(cm_enums[i].field, f->name) != 0)
			continue;
		for (size_t j = 0; cm_enums[i].values[j]; j++)
			if (strcmp(cm_enums[i].values[j], s) == 0)
				return;
		adm_unsupported(q, path, s, cm_enums[i].values);
	}
}

static void check_value(struct adm_req *q, const struct k1s_type *t, const struct k1s_field *f,
                        const json_t *v, const char *path)
{
	const char *want = schema_type(f->type);

	if (f->type == K1S_T_INT_OR_STRING && !json_is_integer(v) && !json_is_string(v)) {
		invalid_type(q, path, "integer,string", v);
		return;
	}
	if (!type_ok(want, v)) {
		invalid_type(q, path, want, v);
		return;
	}
	if (f->type == K1S_T_OBJECT && f->ref && f->ref->fields)
		check_object(q, f->ref, v, path);
	else
		check_enum(q, t, f, v, path);
}

static void check_member(struct adm_req *q, const struct k1s_type *t, const struct k1s_field *f,
                         const json_t *v, const char *path)
{
	char sub[512];
	size_t i;
	const char *k;
	json_t *e;

	switch (f->container) {
	case K1S_C_LIST:
		if (!json_is_array(v)) {
			invalid_type(q, path, "array", v);
			return;
		}
		json_array_foreach(v, i, e)
		{
			adm_fmt(sub, sizeof(sub), "%s[%zu]", path, i);
			check_value(q, t, f, e, sub);
		}
		return;
	case K1S_C_MAP:
		if (!json_is_object(v)) {
			invalid_type(q, path, "object", v);
			return;
		}
		json_object_foreach((json_t *)v, k, e)
		{
			adm_fmt(sub, sizeof(sub), "%s[%s]", path, k);
			check_value(q, t, f, e, sub);
		}
		return;
	case K1S_C_NONE:
		check_value(q, t, f, v, path);
		return;
	}
}

static void check_object(struct adm_req *q, const struct k1s_type *t, const json_t *obj,
                         const char *path)
{
	char sub[512];

	for (size_t i = 0; i < t->nfields; i++) {
		const struct k1s_field *f = &t->fields[i];
		const json_t *v = json_object_get(obj, f->name);

		/* metadata is ObjectMeta's, checked by adm_validate_meta. */
		if (!*path && strcmp(f->name, "metadata") == 0)
			continue;
		adm_fmt(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", f->name);
		/* A null member is dropped when the object is pruned. */
		if (!v || json_is_null(v)) {
			if (f->flags & K1S_FF_REQUIRED)
				adm_required(q, sub, NULL);
			continue;
		}
		check_member(q, t, f, v, sub);
	}
}

int adm_cm(struct adm_req *q, json_t *obj)
{
	adm_validate_meta(q, obj, ADM_NAME_SUBDOMAIN);
	check_object(q, q->r->type, obj, "");
	/* With the status subresource, a create drops the status and a write
	 * to the main resource keeps the stored one (apiextensions-apiserver
	 * pkg/registry/customresource/strategy.go). */
	if (q->old)
		adm_keep_status(q->old, obj);
	else
		json_object_del(obj, "status");
	return 0;
}
