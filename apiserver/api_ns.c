/* Namespace deletion as kube's: DELETE marks a namespace that still has
 * contents Terminating (deletionTimestamp, status.phase), and the
 * namespace controller removes the contents and then the namespace a
 * little later. Until then its objects can still be read and deleted,
 * so `kubectl delete -f` of a manifest that starts with its Namespace
 * deletes every object in it without NotFound errors; nothing new may be
 * created in it (api_crud.c). `kubectl delete namespace` waits for it to
 * be gone, as against kube-apiserver. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "st.h"

/* How long a namespace stays Terminating: about what kube's namespace
 * controller takes to discover and list what is in it. */
#define API_NS_TERMINATE_MS 2000

static int collect_all(void *arg, const json_t *obj)
{
	return json_array_append(arg, (json_t *)obj);
}

static int stop_at_first(void *arg, const json_t *obj)
{
	(void)obj;
	*(bool *)arg = true;
	return 1;
}

static bool has_contents(struct api *api, const char *ns)
{
	bool found = false;

	for (const struct k1s_resource *r = k1s_resources; r->resource && !found; r++) {
		char key[96];
		int64_t rev;

		if (!(r->flags & K1S_RF_NAMESPACED))
			continue;
		api_res_key(key, sizeof(key), r);
		st_list(api->st, key, ns, NULL, NULL, 1, stop_at_first, &found, &rev);
	}
	return found;
}

static void delete_contents(struct api *api, const char *ns)
{
	for (const struct k1s_resource *r = k1s_resources; r->resource; r++) {
		json_t *found, *d;
		char key[96];
		int64_t rev;
		size_t i;

		if (!(r->flags & K1S_RF_NAMESPACED))
			continue;
		found = json_array();
		api_res_key(key, sizeof(key), r);
		st_list(api->st, key, ns, NULL, NULL, 0, collect_all, found, &rev);
		json_array_foreach(found, i, d)
		{
			json_t *last = NULL;

			if (st_delete(api->st, key, ns, k1s_json_str(d, "metadata.name"), 0,
			              &last) == 0)
				api_admit_commit(api->adm, r, last, NULL);
			json_decref(last);
		}
		json_decref(found);
	}
}

int api_ns_terminate(struct api *api, const char *name, json_t **last)
{
	json_t *ns = NULL, *md;
	char ts[32];
	int err;

	err = st_get(api->st, "namespaces", "", name, &ns);
	if (err < 0)
		return err;
	md = k1s_json_obj(ns, "metadata");
	if (!json_object_get(md, "deletionTimestamp")) {
		if (!has_contents(api, name)) {
			json_decref(ns);
			return 1;
		}
		k1s_time_fmt(ts, sizeof(ts), time(NULL));
		json_object_set_new(md, "deletionTimestamp", json_string(ts));
		if (!json_is_object(json_object_get(ns, "status")))
			json_object_set_new(ns, "status", json_object());
		json_object_set_new(json_object_get(ns, "status"), "phase",
		                    json_string("Terminating"));
		err = st_update(api->st, "namespaces", "", name, ns, 0);
		if (err < 0) {
			json_decref(ns);
			return err;
		}
		k1s_info("api", "Namespace %s: Terminating", name);
	}
	if (!json_object_get(api->terminating, name))
		json_object_set_new(api->terminating, name,
		                    json_integer(k1s_now_ms() + API_NS_TERMINATE_MS));
	if (last)
		*last = ns;
	else
		json_decref(ns);
	return 0;
}

void api_ns_sweep(struct api *api)
{
	int64_t now = k1s_now_ms();
	const char *name;
	json_t *due;
	void *tmp;

	json_object_foreach_safe(api->terminating, tmp, name, due)
	{
		json_t *gone = NULL;

		if (json_integer_value(due) > now)
			continue;
		delete_contents(api, name);
		if (st_delete(api->st, "namespaces", "", name, 0, &gone) == 0) {
			api_admit_commit(api->adm, k1s_resource_find("", "namespaces"), gone, NULL);
			k1s_info("api", "deleted Namespace %s after its contents", name);
		}
		json_decref(gone);
		json_object_del(api->terminating, name);
	}
}

int api_ns_next_ms(const struct api *api)
{
	int64_t now = k1s_now_ms(), next = -1;
	const char *name;
	json_t *due;

	json_object_foreach(api->terminating, name, due)
	{
		int64_t in = json_integer_value(due) - now;

		if (in < 0)
			in = 0;
		if (next < 0 || in < next)
			next = in;
	}
	return (int)next;
}

static int queue_terminating(void *arg, const json_t *ns)
{
	struct api *api = arg;

	if (k1s_json_path(ns, "metadata.deletionTimestamp"))
		json_object_set_new(api->terminating, k1s_json_str(ns, "metadata.name"),
		                    json_integer(k1s_now_ms()));
	return 0;
}

void api_ns_resume(struct api *api)
{
	int64_t rev;

	st_list(api->st, "namespaces", NULL, NULL, NULL, 0, queue_terminating, api, &rev);
}
