/* /version, API discovery (aggregated v2 and v2beta1, and the legacy
 * form), OpenAPI v3 and the health checks. */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "api_int.h"

#define DISC_V2 "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
#define DISC_V2BETA1 "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

static const char *const all_verbs[] = {"create", "delete", "deletecollection", "get", "list",
					"patch", "update", "watch", NULL};

static json_t *verbs(void)
{
	json_t *a = json_array();

	for (int i = 0; all_verbs[i]; i++)
		json_array_append_new(a, json_string(all_verbs[i]));
	return a;
}

static json_t *short_names(const struct k1s_resource *r)
{
	json_t *a = json_array();
	char buf[64], *save = NULL;

	if (!r->short_names)
		return a;
	snprintf(buf, sizeof(buf), "%s", r->short_names);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(a, json_string(t));
	return a;
}

/* "all" for the kinds `kubectl get all` shows, then the resource's own
 * categories (cert-manager's kinds are in "cert-manager"); NULL if none. */
static json_t *categories(const struct k1s_resource *r)
{
	json_t *a = json_array();
	char buf[64], *save = NULL;

	if (r->in_all)
		json_array_append_new(a, json_string("all"));
	if (r->categories) {
		snprintf(buf, sizeof(buf), "%s", r->categories);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(a, json_string(t));
	}
	if (json_array_size(a) == 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* The group-version list of served groups, core excluded, in order. */
static int groups(const char **out, int max)
{
	int n = 0;

	for (const struct k1s_resource *r = k1s_resources; r->resource; r++) {
		bool seen = !*r->group;

		for (int i = 0; i < n && !seen; i++)
			seen = strcmp(out[i], r->group) == 0;
		if (!seen && n < max)
			out[n++] = r->group;
	}
	return n;
}

static json_t *agg_resource(const struct k1s_resource *r)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s},s:o,s:o}", "resource", r->resource,
			      "singularResource", r->singular, "scope",
			      r->flags & K1S_RF_NAMESPACED ? "Namespaced" : "Cluster",
			      "responseKind", "group", r->group, "version", r->version, "kind",
			      r->kind, "verbs", verbs(), "shortNames", short_names(r));
	json_t *subs = json_array();

	json_t *cats = categories(r);

	if (cats)
		json_object_set_new(o, "categories", cats);
	if (r->flags & K1S_RF_SCALE)
		json_array_append_new(subs, json_pack("{s:s,s:{s:s,s:s,s:s},s:[s,s,s]}",
						      "subresource", "scale", "responseKind",
						      "group", "autoscaling", "version", "v1",
						      "kind", "Scale", "verbs", "get", "patch",
						      "update"));
	if (r->flags & K1S_RF_STATUS)
		json_array_append_new(subs, json_pack("{s:s,s:{s:s,s:s,s:s},s:[s,s,s]}",
						      "subresource", "status", "responseKind",
						      "group", r->group, "version", r->version,
						      "kind", r->kind, "verbs", "get", "patch",
						      "update"));
	json_object_set_new(o, "subresources", subs);
	if (!r->short_names)
		json_object_del(o, "shortNames");
	return o;
}

/* Aggregated discovery: the core group for /api, the others for /apis. */
static json_t *aggregated(bool core, const char *api_version)
{
	json_t *items = json_array();
	const char *gs[16];
	int n = core ? 1 : groups(gs, 16);

	for (int i = 0; i < n; i++) {
		const char *g = core ? "" : gs[i];
		json_t *res = json_array();

		for (const struct k1s_resource *r = k1s_resources; r->resource; r++)
			if (strcmp(r->group, g) == 0)
				json_array_append_new(res, agg_resource(r));
		json_array_append_new(items,
				      json_pack("{s:{s:s},s:[{s:s,s:s,s:o}]}", "metadata", "name",
						g, "versions", "version", "v1", "freshness",
						"Current", "resources", res));
	}
	return json_pack("{s:s,s:s,s:{},s:o}", "kind", "APIGroupDiscoveryList", "apiVersion",
			 api_version, "metadata", "items", items);
}

static json_t *resource_list(const char *group, const char *version)
{
	json_t *res = json_array();
	char gv[96];

	for (const struct k1s_resource *r = k1s_resources; r->resource; r++) {
		if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
			continue;
		json_t *o = json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", r->resource,
				      "singularName", r->singular, "namespaced",
				      (r->flags & K1S_RF_NAMESPACED) != 0, "kind", r->kind,
				      "verbs", verbs());

		json_t *cats = categories(r);

		if (r->short_names)
			json_object_set_new(o, "shortNames", short_names(r));
		if (cats)
			json_object_set_new(o, "categories", cats);
		json_array_append_new(res, o);
		if (r->flags & K1S_RF_STATUS) {
			char n[96];

			snprintf(n, sizeof(n), "%s/status", r->resource);
			json_array_append_new(
			    res, json_pack("{s:s,s:s,s:b,s:s,s:[s,s,s]}", "name", n,
					   "singularName", "", "namespaced",
					   (r->flags & K1S_RF_NAMESPACED) != 0, "kind", r->kind,
					   "verbs", "get", "patch", "update"));
		}
		if (r->flags & K1S_RF_SCALE) {
			char n[96];

			snprintf(n, sizeof(n), "%s/scale", r->resource);
			json_array_append_new(
			    res, json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:[s,s,s]}", "name", n,
					   "singularName", "", "namespaced", true, "group",
					   "autoscaling", "version", "v1", "kind", "Scale", "verbs",
					   "get", "patch", "update"));
		}
	}
	if (*group)
		snprintf(gv, sizeof(gv), "%s/%s", group, version);
	else
		snprintf(gv, sizeof(gv), "%s", version);
	return json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1",
			 "groupVersion", gv, "resources", res);
}

static json_t *api_group(const char *g)
{
	char gv[96];

	snprintf(gv, sizeof(gv), "%s/v1", g);
	return json_pack("{s:s,s:s,s:s,s:[{s:s,s:s}],s:{s:s,s:s}}", "kind", "APIGroup",
			 "apiVersion", "v1", "name", g, "versions", "groupVersion", gv, "version",
			 "v1", "preferredVersion", "groupVersion", gv, "version", "v1");
}

static int reply_typed(struct api_req *req, json_t *body, const char *content_type)
{
	char *s = json_dumps(body, JSON_COMPACT);
	struct MHD_Response *resp;
	int ret;

	json_decref(body);
	resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", content_type);
	MHD_add_response_header(resp, "Vary", "Accept");
	ret = api_queue(req, 200, resp);
	return ret;
}

static int discovery(struct api_req *req, bool core)
{
	const char *accept = api_header(req, "Accept");

	/* kubectl reads the format from the response Content-Type, so answer
	 * the newest form the client listed, and plain JSON otherwise. */
	if (accept && strstr(accept, "v=v2;as=APIGroupDiscoveryList"))
		return reply_typed(req, aggregated(core, "apidiscovery.k8s.io/v2"), DISC_V2);
	if (accept && strstr(accept, "v=v2beta1;as=APIGroupDiscoveryList"))
		return reply_typed(req, aggregated(core, "apidiscovery.k8s.io/v2beta1"),
				   DISC_V2BETA1);
	if (core) {
		char addr[96];

		snprintf(addr, sizeof(addr), "%s:%u", req->api->listen_addr, req->api->cfg.port);
		return api_reply_json(
		    req, 200,
		    json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions", "versions", "v1",
			      "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0",
			      "serverAddress", addr));
	}
	json_t *list = json_array();
	const char *gs[16];
	int n = groups(gs, 16);

	for (int i = 0; i < n; i++) {
		json_t *g = api_group(gs[i]);

		json_object_del(g, "kind");
		json_object_del(g, "apiVersion");
		json_array_append_new(list, g);
	}
	return api_reply_json(req, 200,
			      json_pack("{s:s,s:s,s:o}", "kind", "APIGroupList", "apiVersion",
					"v1", "groups", list));
}

int api_disc_handle(struct api_req *req, const char *path)
{
	char g[64];

	if (strcmp(path, "/version") == 0 || strcmp(path, "/version/") == 0) {
		api_reply_json(req, 200,
			       json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "major", "1",
					 "minor", "32", "gitVersion", "v1.32.0-k1s", "gitCommit",
					 "0000000000000000000000000000000000000000", "gitTreeState",
					 "clean", "buildDate", "2026-01-01T00:00:00Z", "goVersion",
					 "go1.23", "compiler", "gc", "platform", "linux/amd64"));
		return 1;
	}
	if (strcmp(path, "/api") == 0 || strcmp(path, "/api/") == 0) {
		discovery(req, true);
		return 1;
	}
	if (strcmp(path, "/apis") == 0 || strcmp(path, "/apis/") == 0) {
		discovery(req, false);
		return 1;
	}
	if (strcmp(path, "/api/v1") == 0) {
		api_reply_json(req, 200, resource_list("", "v1"));
		return 1;
	}
	if (sscanf(path, "/apis/%63[^/]", g) == 1) {
		const char *rest = path + 6 + strlen(g);

		if (!k1s_resource_find(g, "") && !*rest) {
			for (const struct k1s_resource *r = k1s_resources; r->resource; r++)
				if (strcmp(r->group, g) == 0) {
					api_reply_json(req, 200, api_group(g));
					return 1;
				}
		}
		if (strcmp(rest, "/v1") == 0 || strcmp(rest, "/v1/") == 0) {
			json_t *l = resource_list(g, "v1");

			if (json_array_size(json_object_get(l, "resources")) == 0) {
				json_decref(l);
				return 0;
			}
			api_reply_json(req, 200, l);
			return 1;
		}
		return 0;
	}
	if (strcmp(path, "/openapi/v3") == 0 || strcmp(path, "/openapi/v3/") == 0) {
		api_reply_json(req, 200, api_openapi_index());
		return 1;
	}
	if (strncmp(path, "/openapi/v3/", 12) == 0) {
		json_t *doc = api_openapi_doc(path + 12);

		if (!doc)
			return 0;
		api_reply_json(req, 200, doc);
		return 1;
	}
	return 0;
}
