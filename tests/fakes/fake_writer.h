/* A k1s_writer for tests: writes straight into a real store, filling in
 * what the API server would (namespace, name from generateName, uid,
 * creationTimestamp, generation and its bumps, kept status on spec writes,
 * graceful pod deletion and garbage collection of dependents), without
 * admission: tests give objects the defaults they need.
 *
 * Header-only so that any test program can include it. */
#ifndef FAKE_WRITER_H
#define FAKE_WRITER_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "k1s_err.h"
#include "k1s_json.h"
#include "k1s_types.h"
#include "k1s_writer.h"
#include "st.h"

struct fake_writer {
	struct k1s_writer w;
	struct st *st;
	int creates, updates, removes;
	int conflict_next;	/* > 0: fail that many updates with K1S_ECONFLICT */
	const char *refuse;	/* creates of this resource fail with K1S_EINVALID */
};

static inline void fw_key(char *buf, size_t len, const struct k1s_resource *r)
{
	if (*r->group)
		snprintf(buf, len, "%s.%s", r->resource, r->group);
	else
		snprintf(buf, len, "%s", r->resource);
}

static inline int fw_create(void *arg, const struct k1s_resource *r, json_t *obj)
{
	struct fake_writer *fw = arg;
	json_t *meta = k1s_json_obj(obj, "metadata");
	const char *ns = "", *gen;
	char key[128], name[300], uid[40], ts[32], av[128];
	int err = -EEXIST;

	if (!meta)
		return -EINVAL;
	fw_key(key, sizeof(key), r);
	if (fw->refuse && strcmp(fw->refuse, key) == 0)
		return K1S_EINVALID;
	if (r->flags & K1S_RF_NAMESPACED) {
		if (!k1s_json_str(obj, "metadata.namespace"))
			k1s_json_set_str(obj, "metadata.namespace", "default");
		ns = k1s_json_str(obj, "metadata.namespace");
	}
	if (*r->group)
		snprintf(av, sizeof(av), "%s/%s", r->group, r->version);
	else
		snprintf(av, sizeof(av), "%s", r->version);
	json_object_set_new(obj, "apiVersion", json_string(av));
	json_object_set_new(obj, "kind", json_string(r->kind));
	k1s_uuid(uid, sizeof(uid));
	json_object_set_new(meta, "uid", json_string(uid));
	k1s_time_fmt(ts, sizeof(ts), time(NULL));
	json_object_set_new(meta, "creationTimestamp", json_string(ts));
	json_object_del(meta, "resourceVersion");
	if (r->flags & K1S_RF_GENERATION)
		json_object_set_new(meta, "generation", json_integer(1));
	gen = k1s_json_str(obj, "metadata.generateName");
	for (int tries = 0; tries < 8 && err == -EEXIST; tries++) {
		if (!k1s_json_str(obj, "metadata.name") || tries > 0) {
			char sfx[8];

			if (!gen)
				return -EINVAL;
			k1s_rand_suffix(sfx, 5);
			snprintf(name, sizeof(name), "%s%s", gen, sfx);
			json_object_set_new(meta, "name", json_string(name));
		}
		err = st_create(fw->st, key, ns, k1s_json_str(obj, "metadata.name"), obj);
		if (!gen)
			break;
	}
	if (err == 0)
		fw->creates++;
	return err;
}

static inline int fw_update(void *arg, const struct k1s_resource *r, json_t *obj, bool status)
{
	struct fake_writer *fw = arg;
	const char *ns = k1s_json_str(obj, "metadata.namespace") ?: "";
	const char *name = k1s_json_str(obj, "metadata.name");
	const char *rv = k1s_json_str(obj, "metadata.resourceVersion");
	json_t *old = NULL, *nw, *meta, *ometa;
	char key[128];
	int err;

	if (!name)
		return -EINVAL;
	if (fw->conflict_next > 0) {
		fw->conflict_next--;
		return K1S_ECONFLICT;
	}
	fw_key(key, sizeof(key), r);
	err = st_get(fw->st, key, ns, name, &old);
	if (err < 0)
		return err;
	ometa = json_object_get(old, "metadata");
	if (status) {
		nw = json_deep_copy(old);
		if (json_object_get(obj, "status"))
			json_object_set(nw, "status", json_object_get(obj, "status"));
		else
			json_object_del(nw, "status");
	} else {
		nw = json_deep_copy(obj);
		if (json_object_get(old, "status"))
			json_object_set(nw, "status", json_object_get(old, "status"));
		else
			json_object_del(nw, "status");
		meta = k1s_json_obj(nw, "metadata");
		json_object_set(meta, "uid", json_object_get(ometa, "uid"));
		json_object_set(meta, "creationTimestamp",
				json_object_get(ometa, "creationTimestamp"));
		if (json_object_get(ometa, "deletionTimestamp")) {
			json_object_set(meta, "deletionTimestamp",
					json_object_get(ometa, "deletionTimestamp"));
			json_object_set(meta, "deletionGracePeriodSeconds",
					json_object_get(ometa, "deletionGracePeriodSeconds"));
		}
		if (r->flags & K1S_RF_GENERATION) {
			json_int_t g = json_integer_value(json_object_get(ometa, "generation"));

			if (!json_equal(json_object_get(nw, "spec"), json_object_get(old, "spec")))
				g++;
			json_object_set_new(meta, "generation", json_integer(g));
		}
	}
	json_decref(old);
	err = st_update(fw->st, key, ns, name, nw, rv && *rv ? atoll(rv) : 0);
	if (err == 0) {
		json_object_clear(obj);
		json_object_update(obj, nw);
		fw->updates++;
	}
	json_decref(nw);
	return err;
}

static inline int fw_remove(void *arg, const struct k1s_resource *r, const char *ns,
			    const char *name, const char *uid, int grace);

struct fw_gc {
	const char *uid;
	json_t *names;
};

static inline int fw_gc_fn(void *arg, const json_t *obj)
{
	struct fw_gc *g = arg;
	json_t *refs = k1s_json_path(obj, "metadata.ownerReferences"), *ref;
	size_t i;

	json_array_foreach(refs, i, ref)
		if (strcmp(k1s_json_str(ref, "uid") ?: "", g->uid) == 0)
			json_array_append_new(g->names,
					      json_string(k1s_json_str(obj, "metadata.name")));
	return 0;
}

/* Background garbage collection of what `uid` owns. */
static inline void fw_collect(struct fake_writer *fw, const char *ns, const char *uid)
{
	static const char *const kinds[][2] = {
		{"", "pods"}, {"apps", "replicasets"}, {"discovery.k8s.io", "endpointslices"}};

	for (size_t k = 0; k < 3; k++) {
		const struct k1s_resource *r = k1s_resource_find(kinds[k][0], kinds[k][1]);
		struct fw_gc g = {uid, json_array()};
		char key[128];
		json_t *n;
		size_t i;

		fw_key(key, sizeof(key), r);
		st_list(fw->st, key, ns, NULL, NULL, 0, fw_gc_fn, &g, NULL);
		json_array_foreach(g.names, i, n)
			fw_remove(fw, r, ns, json_string_value(n), NULL, -1);
		json_decref(g.names);
	}
}

static inline int fw_remove(void *arg, const struct k1s_resource *r, const char *ns,
			    const char *name, const char *uid, int grace)
{
	struct fake_writer *fw = arg;
	json_t *old = NULL;
	char key[128], ouid[64];
	const char *phase;
	int err;

	fw_key(key, sizeof(key), r);
	err = st_get(fw->st, key, ns, name, &old);
	if (err < 0)
		return err;
	if (uid && strcmp(uid, k1s_json_str(old, "metadata.uid") ?: "") != 0) {
		json_decref(old);
		return K1S_ECONFLICT;
	}
	snprintf(ouid, sizeof(ouid), "%s", k1s_json_str(old, "metadata.uid") ?: "");
	phase = k1s_json_str(old, "status.phase");
	/* Pods bound to the node stop first: the runtime finishes them. */
	if (strcmp(key, "pods") == 0 && grace != 0 && k1s_json_str(old, "spec.nodeName") &&
	    !(phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))) {
		if (!k1s_json_path(old, "metadata.deletionTimestamp")) {
			char ts[32];

			k1s_time_fmt(ts, sizeof(ts), time(NULL));
			k1s_json_set_str(old, "metadata.deletionTimestamp", ts);
			json_object_set_new(json_object_get(old, "metadata"),
					    "deletionGracePeriodSeconds", json_integer(30));
			err = st_update(fw->st, key, ns, name, old, 0);
		}
		json_decref(old);
		if (err == 0)
			fw->removes++;
		return err;
	}
	json_decref(old);
	err = st_delete(fw->st, key, ns, name, 0, NULL);
	if (err == 0) {
		fw->removes++;
		fw_collect(fw, ns, ouid);
	}
	return err;
}

static inline void fake_writer_init(struct fake_writer *fw, struct st *st)
{
	memset(fw, 0, sizeof(*fw));
	fw->st = st;
	fw->w.arg = fw;
	fw->w.create = fw_create;
	fw->w.update = fw_update;
	fw->w.remove = fw_remove;
}

#endif
