/* Request bodies: JSON, YAML or Kubernetes protobuf, by Content-Type. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"

static json_t *bad_request(const char *kind, const char *version, const char *detail)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s in version \"%s\" cannot be handled as a %s: %s", kind,
		 version, kind, detail);
	return api_status(400, "BadRequest", msg, NULL);
}

static bool has_type(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return ct && strncmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

int api_body_decode(struct api_req *req, const char *kind, const char *version, bool strict,
		    json_t **out, json_t **status)
{
	const char *ct = api_header(req, "Content-Type");
	char err[512];
	json_t *doc = NULL;

	*out = NULL;
	*status = NULL;
	if (!req->body_len) {
		*status = api_status(400, "BadRequest", "the request body is empty", NULL);
		return -EINVAL;
	}
	if (!ct || has_type(ct, "application/json") ||
	    has_type(ct, "application/merge-patch+json") ||
	    has_type(ct, "application/strategic-merge-patch+json") ||
	    has_type(ct, "application/json-patch+json")) {
		json_error_t je;

		doc = json_loadb(req->body, req->body_len, strict ? JSON_REJECT_DUPLICATES : 0, &je);
		if (!doc) {
			snprintf(err, sizeof(err), "json: %s at line %d column %d", je.text, je.line,
				 je.column);
			*status = bad_request(kind, version, err);
			return -EINVAL;
		}
	} else if (has_type(ct, "application/yaml") || has_type(ct, "application/apply-patch+yaml")) {
		if (api_yaml_decode(req->body, req->body_len, &doc, err, sizeof(err)) < 0) {
			*status = bad_request(kind, version, err);
			return -EINVAL;
		}
	} else if (has_type(ct, "application/vnd.kubernetes.protobuf")) {
		if (api_proto_decode(req->body, req->body_len, &doc, err, sizeof(err)) < 0) {
			*status = bad_request(kind, version, err);
			return -EINVAL;
		}
	} else {
		*status = api_status(415, "UnsupportedMediaType",
				     "the body of the request was in an unknown format - accepted "
				     "media types include: application/json, application/yaml, "
				     "application/vnd.kubernetes.protobuf",
				     NULL);
		return -ENOTSUP;
	}
	*out = doc;
	return 0;
}
