/* metav1.Status bodies in kube-apiserver's words
 * (k8s.io/apimachinery/pkg/api/errors). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

json_t *api_status(int code, const char *reason, const char *message, json_t *details)
{
	json_t *s = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion",
			      "v1", "metadata", "status", code < 400 ? "Success" : "Failure",
			      "message", message ? message : "", "reason", reason ? reason : "",
			      "code", code);

	if (!reason || !*reason)
		json_object_del(s, "reason");
	if (details)
		json_object_set_new(s, "details", details);
	return s;
}

/* "services" for core, "deployments.apps" for grouped resources. */
static void qualified(char *buf, size_t len, const struct k1s_resource *r)
{
	if (*r->group)
		snprintf(buf, len, "%s.%s", r->resource, r->group);
	else
		snprintf(buf, len, "%s", r->resource);
}

static json_t *object_status(int code, const char *reason, const char *fmt,
			     const struct k1s_resource *r, const char *name)
{
	char q[128], msg[1024];

	qualified(q, sizeof(q), r);
	snprintf(msg, sizeof(msg), fmt, q, name);
	return api_status(code, reason, msg,
			  json_pack("{s:s,s:s,s:s}", "name", name, "group", r->group, "kind",
				    r->resource));
}

json_t *api_status_notfound(const struct k1s_resource *r, const char *name)
{
	return object_status(404, "NotFound", "%s \"%s\" not found", r, name);
}

json_t *api_status_exists(const struct k1s_resource *r, const char *name)
{
	return object_status(409, "AlreadyExists", "%s \"%s\" already exists", r, name);
}

json_t *api_status_conflict(const struct k1s_resource *r, const char *name)
{
	return object_status(409, "Conflict",
			     "Operation cannot be fulfilled on %s \"%s\": the object has been "
			     "modified; please apply your changes to the latest version and try "
			     "again",
			     r, name);
}

json_t *api_status_invalid(const struct k1s_resource *r, const char *name, json_t *causes)
{
	char msg[4096];
	size_t n, i, len;
	json_t *c;

	n = json_array_size(causes);
	/* errors.NewInvalid names the group kind: "Deployment.apps". */
	len = (size_t)snprintf(msg, sizeof(msg), "%s%s%s \"%s\" is invalid: %s", r->kind,
			       *r->group ? "." : "", r->group, name, n > 1 ? "[" : "");
	json_array_foreach(causes, i, c) {
		const char *field = json_string_value(json_object_get(c, "field"));
		const char *m = json_string_value(json_object_get(c, "message"));

		if (len < sizeof(msg))
			len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s%s%s",
						i ? ", " : "", field ? field : "",
						field && *field ? ": " : "", m ? m : "");
	}
	if (n > 1 && len < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - len, "]");
	return api_status(422, "Invalid", msg,
			  json_pack("{s:s,s:s,s:s,s:o}", "name", name, "group", r->group, "kind",
				    r->kind, "causes", causes));
}

void api_cause(json_t *causes, const char *reason, const char *field, const json_t *value,
	       const char *detail)
{
	char msg[1024];
	char *v = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	if (strcmp(reason, "FieldValueRequired") == 0)
		snprintf(msg, sizeof(msg), "Required value%s%s", detail ? ": " : "",
			 detail ? detail : "");
	else if (strcmp(reason, "FieldValueNotSupported") == 0)
		snprintf(msg, sizeof(msg), "Unsupported value: %s%s%s", v ? v : "null",
			 detail ? ": " : "", detail ? detail : "");
	else if (strcmp(reason, "FieldValueDuplicate") == 0)
		snprintf(msg, sizeof(msg), "Duplicate value: %s", v ? v : "null");
	else if (strcmp(reason, "FieldValueForbidden") == 0)
		snprintf(msg, sizeof(msg), "Forbidden: %s", detail ? detail : "");
	else
		snprintf(msg, sizeof(msg), "Invalid value: %s%s%s", v ? v : "null",
			 detail ? ": " : "", detail ? detail : "");
	free(v);
	json_array_append_new(causes, json_pack("{s:s,s:s,s:s}", "reason", reason, "message", msg,
						"field", field));
}
