/* Declarations shared inside apiserver/. Nothing outside apiserver/
 * includes this file. */
#ifndef API_INT_H
#define API_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "api.h"
#include "k1s_types.h"

struct st;

/* ---- api_status.c: metav1.Status bodies ---- */

/* A Status with `code`, `reason` and `message`; details may be NULL and
 * is stolen. */
json_t *api_status(int code, const char *reason, const char *message, json_t *details);
/* 404 NotFound / 409 AlreadyExists / 409 Conflict for one object, with
 * kube-apiserver's wording: `services "web" not found`,
 * `deployments.apps "api" already exists`. */
json_t *api_status_notfound(const struct k1s_resource *r, const char *name);
json_t *api_status_exists(const struct k1s_resource *r, const char *name);
json_t *api_status_conflict(const struct k1s_resource *r, const char *name);
/* 422 Invalid: `causes` is an array of {"reason","message","field"}
 * (stolen); the message joins them as kube-apiserver does:
 * `Service "web" is invalid: spec.ports[0].port: Invalid value: 0: must be ...`. */
json_t *api_status_invalid(const struct k1s_resource *r, const char *name, json_t *causes);
/* One cause for api_status_invalid(), in kube-apiserver's words:
 * reason "FieldValueInvalid" gives message `Invalid value: <json value>: <detail>`,
 * "FieldValueRequired" gives `Required value`, "FieldValueNotSupported"
 * gives `Unsupported value: <v>: supported values: ...` (detail), "FieldValueDuplicate"
 * gives `Duplicate value: <v>`, "FieldValueForbidden" gives `Forbidden: <detail>`.
 * `value` may be NULL; it is not stolen. Appends to `causes`. */
void api_cause(json_t *causes, const char *reason, const char *field, const json_t *value,
	       const char *detail);

/* ---- api_table.c: server-side tables (kubectl get) ---- */

enum api_include { API_INCLUDE_METADATA, API_INCLUDE_OBJECT, API_INCLUDE_NONE };

/* A meta.k8s.io/v1 Table of `objs` (an array of objects of resource r),
 * with kube-apiserver's columns for that resource, wide ones included.
 * Ages are computed against `now`. With `with_columns` false the
 * columnDefinitions are omitted (watch events after the first).
 * metadata.resourceVersion is left for the caller. New reference. */
json_t *api_table(const struct k1s_resource *r, const json_t *objs, bool with_columns,
		  enum api_include include, time_t now);
/* kube-apiserver's HumanDuration of now - t, e.g. "5m", "3h2m", "<invalid>". */
void api_age(char *buf, size_t len, time_t t, time_t now);

/* ---- api_openapi.c: OpenAPI v3 from the type tables ---- */

/* The /openapi/v3 index. New reference. */
json_t *api_openapi_index(void);
/* The document for a group-version path, "api/v1" or "apis/apps/v1";
 * NULL when not served. New reference. */
json_t *api_openapi_doc(const char *gv_path);

/* ---- api_proto.c: Kubernetes protobuf request bodies ---- */

/* Decodes a body of Content-Type application/vnd.kubernetes.protobuf
 * ("k8s\0" magic, runtime.Unknown envelope, then the kind's message) into
 * the JSON object kube-apiserver would have decoded, with apiVersion and
 * kind set. 0 and *out (caller owns), or -EINVAL / -ENOTSUP with a message
 * in err. */
int api_proto_decode(const void *buf, size_t len, json_t **out, char *err, size_t errlen);

/* ---- api_admit.c: defaulting, validation and allocation ---- */

struct api_admit;

struct api_admit *api_admit_new(struct st *st, const struct api_config *cfg);
void api_admit_free(struct api_admit *adm);
/* Fills kube-apiserver's defaults into a new object (metadata excepted:
 * the caller sets uid, timestamps, generation), allocates cluster IPs and
 * node ports, and validates. 0, or a negative errno and *status (a Status
 * to return: 422 Invalid with causes, for example). Nothing is reserved
 * until api_admit_commit(). */
int api_admit_create(struct api_admit *adm, const struct k1s_resource *r, json_t *obj,
		     json_t **status);
/* The same for a replacement of `old` by `obj`: carries allocated values
 * over when omitted, frees and allocates on type changes, rejects changes
 * to immutable fields. */
int api_admit_update(struct api_admit *adm, const struct k1s_resource *r, const json_t *old,
		     json_t *obj, json_t **status);
/* Records a committed write: `old` NULL for a create, `obj` NULL for a
 * delete. Allocations follow the store. */
void api_admit_commit(struct api_admit *adm, const struct k1s_resource *r, const json_t *old,
		      const json_t *obj);

#endif
