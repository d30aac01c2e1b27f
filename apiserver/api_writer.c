/* The write path for controllers and the runtime: the same admission,
 * store writes, garbage collection and graceful pod deletion as a client's
 * request, without HTTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_writer.h"
#include "st.h"

/* Maps a Status to an errno, logging why a write of ours was refused. */
static int status_err(const struct k1s_resource *r, json_t *res, const char *verb)
{
	json_int_t code = json_integer_value(json_object_get(res, "code"));
	int err;

	switch (code) {
	case 404:
		err = -ENOENT;
		break;
	case 409:
		err = strcmp(json_string_value(json_object_get(res, "reason")) ?: "",
			     "AlreadyExists") == 0
			  ? -EEXIST
			  : K1S_ECONFLICT;
		break;
	case 422:
		err = K1S_EINVALID;
		break;
	default:
		err = -EIO;
	}
	if (err != K1S_ECONFLICT && err != -EEXIST)
		k1s_warn("api", "%s %s: %s", verb, r->kind,
			 json_string_value(json_object_get(res, "message")));
	json_decref(res);
	return err;
}

/* Replaces the caller's object by the stored one. */
static void give_back(json_t *obj, json_t *res)
{
	if (res == obj) {
		json_decref(res);
		return;
	}
	json_object_clear(obj);
	json_object_update(obj, res);
	json_decref(res);
}

static int w_create(void *arg, const struct k1s_resource *r, json_t *obj)
{
	struct api *api = arg;
	char ns[256];
	unsigned code = 0;
	json_t *res;

	snprintf(ns, sizeof(ns), "%s", k1s_json_str(obj, "metadata.namespace") ?: "");
	if (!json_object_get(obj, "apiVersion")) {
		char gv[96];

		snprintf(gv, sizeof(gv), "%s%s%s", r->group, *r->group ? "/" : "", r->version);
		json_object_set_new(obj, "apiVersion", json_string(gv));
	}
	if (!json_object_get(obj, "kind"))
		json_object_set_new(obj, "kind", json_string(r->kind));
	res = api_do_create(api, r, ns, obj, false, &code);
	if (api_is_status(res))
		return status_err(r, res, "create");
	give_back(obj, res);
	return 0;
}

static int w_update(void *arg, const struct k1s_resource *r, json_t *obj, bool status)
{
	struct api *api = arg;
	const char *ns = k1s_json_str(obj, "metadata.namespace");
	const char *name = k1s_json_str(obj, "metadata.name");
	const char *rv = k1s_json_str(obj, "metadata.resourceVersion");
	json_t *old = NULL, *next, *res;
	char key[96];
	int err;

	if (!name)
		return -EINVAL;
	api_res_key(key, sizeof(key), r);
	err = st_get(api->st, key, ns ? ns : "", name, &old);
	if (err < 0)
		return err;
	if (rv && *rv && strcmp(rv, k1s_json_str(old, "metadata.resourceVersion") ?: "") != 0) {
		json_decref(old);
		return K1S_ECONFLICT;
	}
	if (status) {
		next = json_deep_copy(old);
		json_object_set(next, "status", json_object_get(obj, "status") ?: json_object());
	} else {
		next = json_deep_copy(obj);
		if (r->flags & K1S_RF_STATUS) {
			if (json_object_get(old, "status"))
				json_object_set(next, "status", json_object_get(old, "status"));
			else
				json_object_del(next, "status");
		}
	}
	res = api_do_update(api, r, old, next,
			    strtoll(k1s_json_str(old, "metadata.resourceVersion") ?: "0", NULL, 10),
			    false);
	json_decref(next);
	json_decref(old);
	if (api_is_status(res))
		return status_err(r, res, "update");
	give_back(obj, res);
	return 0;
}

static int w_remove(void *arg, const struct k1s_resource *r, const char *ns, const char *name,
		    const char *uid, int grace)
{
	struct api *api = arg;
	json_t *old = NULL;
	char key[96];
	int err;

	api_res_key(key, sizeof(key), r);
	err = st_get(api->st, key, ns ? ns : "", name, &old);
	if (err < 0)
		return err;
	if (uid && strcmp(uid, k1s_json_str(old, "metadata.uid") ?: "") != 0) {
		json_decref(old);
		return K1S_ECONFLICT;
	}
	json_decref(old);
	st_begin(api->st);
	err = api_do_delete(api, r, ns ? ns : "", name, "Background", grace, NULL);
	if (err < 0) {
		st_rollback(api->st);
		return err;
	}
	return st_commit(api->st);
}

const struct k1s_writer *api_writer(struct api *api)
{
	if (!api->writer) {
		api->writer = calloc(1, sizeof(*api->writer));
		if (!api->writer)
			return NULL;
		api->writer->arg = api;
		api->writer->create = w_create;
		api->writer->update = w_update;
		api->writer->remove = w_remove;
	}
	return api->writer;
}

void api_attach(struct api *api, struct k1s_loop *loop, struct pod_rt *rt)
{
	api->loop = loop;
	api->rt = rt;
}

const char *api_node_name(const struct api *api)
{
	return api->node_name;
}

const char *api_node_ip(const struct api *api)
{
	return api->node_ip;
}
