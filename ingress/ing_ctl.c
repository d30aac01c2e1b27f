/* The ingress's control side: follows Ingresses, IngressClasses, the
 * Services and Endpoints backends name, ingress-nginx's ConfigMap, the
 * Secrets of tls sections and the ingress's face pods in the store from a
 * before-sleep hook on the control loop, builds a routing table and the
 * certificates to serve, publishes them to the loops (with the faces'
 * addresses), writes each Ingress's status.loadBalancer and records a
 * Warning event for what an Ingress asks and k1s does not do. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ing_annot.h"
#include "ing_certs.h"
#include "ing_int.h"
#include "k1s_flow.h"
#include "ing_secret.h"
#include "k1s_err.h"
#include "k1s_event.h"
#include "k1s_facelog.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "k1s_types.h"
#include "k1s_writer.h"

/* ingress-nginx reads its global settings from this ConfigMap
 * (--configmap=$(POD_NAMESPACE)/ingress-nginx-controller in deploy.yaml). */
#define ING_CONFIGMAP "ingress-nginx/ingress-nginx-controller"

static const char *const followed[] = {
	"ingresses.networking.k8s.io", "ingressclasses.networking.k8s.io", "services", "endpoints",
	"configmaps", "pods", "secrets", NULL,
};

static json_t *cache_of(struct ing *ing, const char *res)
{
	if (strcmp(res, "services") == 0)
		return ing->svcs;
	if (strcmp(res, "endpoints") == 0)
		return ing->eps;
	if (strncmp(res, "ingresses.", 10) == 0)
		return ing->ings;
	if (strncmp(res, "ingressclasses.", 15) == 0)
		return ing->classes;
	return NULL;
}

/* A face pod of the ingress that runs: the runtime reports its container
 * as the ingress itself (runtime/: containerID k1s://face/ingress). Its
 * address, or NULL. */
static const char *face_ip(const json_t *pod)
{
	const json_t *cs = json_array_get(k1s_json_path(pod, "status.containerStatuses"), 0);
	const char *cid = k1s_json_str(cs, "containerID");

	if (!cid || strcmp(cid, "k1s://face/ingress") != 0 ||
	    k1s_json_path(pod, "metadata.deletionTimestamp") ||
	    strcmp(k1s_json_str(pod, "status.phase") ?: "", "Running") != 0)
		return NULL;
	return k1s_json_str(pod, "status.podIP");
}

static void face_put(struct ing *ing, const char *key, const json_t *pod, bool deleted)
{
	const char *ip = deleted ? NULL : face_ip(pod);
	const char *had = json_string_value(json_object_get(ing->faces, key));

	if (ip && had && strcmp(ip, had) == 0)
		return;
	if (!ip && !had)
		return;
	if (ip)
		json_object_set_new(ing->faces, key, json_string(ip));
	else
		json_object_del(ing->faces, key);
	ing->dirty = true;
}

/* json_equal(), with two absent values equal too. */
static bool same(const json_t *a, const json_t *b)
{
	return a == b || json_equal(a, b);
}

/* A Secret: kept while a tls section names it. A change of what it holds
 * builds anew, so that new connections get the new certificate (those
 * open keep theirs); a Secret nobody names builds nothing. */
static void secret_put(struct ing *ing, const char *key, const json_t *obj, bool deleted)
{
	const json_t *had = json_object_get(ing->secrets, key);

	if (!json_object_get(ing->named, key)) {
		json_object_del(ing->secrets, key);
		return;
	}
	if (deleted) {
		if (!had)
			return;		/* missing already */
		json_object_del(ing->secrets, key);
		ing->dirty = true;
		return;
	}
	if (had && same(json_object_get(had, "type"), json_object_get(obj, "type")) &&
	    same(json_object_get(had, "data"), json_object_get(obj, "data")))
		return;
	json_object_set_new(ing->secrets, key, json_deep_copy(obj));
	ing->dirty = true;
}

static void on_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	struct ing *ing = arg;
	const char *ns = k1s_json_str(obj, "metadata.namespace");
	json_t *cache = cache_of(ing, res);
	char key[512];

	snprintf(key, sizeof(key), "%s%s%s", ns ?: "", ns ? "/" : "",
		 k1s_json_str(obj, "metadata.name") ?: "");
	if (strcmp(res, "pods") == 0) {
		face_put(ing, key, obj, deleted);
		return;
	}
	if (strcmp(res, "secrets") == 0) {
		secret_put(ing, key, obj, deleted);
		return;
	}
	if (!cache) {	/* configmaps: only ingress-nginx's own matters */
		if (strcmp(key, ING_CONFIGMAP) != 0)
			return;
		json_decref(ing->config);
		ing->config = deleted ? NULL : json_deep_copy(json_object_get(obj, "data"));
		ing->dirty = true;
		return;
	}
	if (cache == ing->ings) {
		const json_t *old = json_object_get(cache, key);

		if (!deleted)
			json_object_set(ing->status_todo, key, json_true());
		/* An Ingress's own status write, or a label, routes nothing
		 * new: no table is built for it (at 10,000 Ingresses a build
		 * is tens of milliseconds). */
		if (!deleted && old &&
		    same(json_object_get(old, "spec"), json_object_get(obj, "spec")) &&
		    same(k1s_json_path(old, "metadata.annotations"),
			 k1s_json_path(obj, "metadata.annotations"))) {
			json_object_set(cache, key, (json_t *)obj);
			return;
		}
	} else if (cache == ing->classes) {
		ing->status_all = true;	/* which Ingresses are ours may change */
	} else if (!json_object_get(ing->svc_named, key)) {
		/* A Service no backend names, or its Endpoints: routes nothing,
		 * and is read from the store if a backend comes to name it. */
		json_object_del(cache, key);
		return;
	} else if (cache == ing->svcs && !deleted) {
		const json_t *old = json_object_get(cache, key);

		/* A Service's status (a load balancer's address) routes nothing. */
		if (old && same(json_object_get(old, "spec"), json_object_get(obj, "spec"))) {
			json_object_set(cache, key, (json_t *)obj);
			return;
		}
	}
	if (deleted)
		json_object_del(cache, key);
	else	/* the store's shared object: kept, never changed (st.h) */
		json_object_set(cache, key, (json_t *)obj);
	ing->dirty = true;
}

static void on_reset(void *arg)
{
	struct ing *ing = arg;

	json_object_clear(ing->ings);
	json_object_clear(ing->classes);
	json_object_clear(ing->svcs);
	json_object_clear(ing->eps);
	json_object_clear(ing->faces);
	json_object_clear(ing->secrets);
	json_decref(ing->config);
	ing->config = NULL;
	ing->status_all = true;
}

static void on_relisted(void *arg)
{
	((struct ing *)arg)->dirty = true;
}

static const struct st_follow_ops follow_ops = {on_reset, on_object, on_relisted};

/* ---- Warning events ---- */

/* Once per Ingress generation and message: a table is built at every
 * change, and the same warning must not be written each time. */
static void warn(void *arg, const char *ns, const char *name, const char *reason,
		 const char *message)
{
	struct ing *ing = arg;
	char key[512], seen[1024];
	const json_t *obj;
	json_t *list;
	size_t i;
	json_t *v;
	int err;

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	obj = json_object_get(ing->ings, key);
	if (!obj)
		return;
	snprintf(seen, sizeof(seen), "%s|%lld|%s|%s", k1s_json_str(obj, "metadata.uid") ?: "",
		 (long long)json_integer_value(k1s_json_path(obj, "metadata.generation")), reason,
		 message);
	list = json_object_get(ing->warned, key);
	if (!list) {
		list = json_array();
		json_object_set_new(ing->warned, key, list);
	}
	json_array_foreach(list, i, v)
		if (strcmp(json_string_value(v), seen) == 0)
			return;
	json_array_append_new(list, json_string(seen));
	k1s_warn("ingress", "ingress %s: %s", key, message);
	/* ingress-nginx records its events as nginx-ingress-controller. */
	err = k1s_event_record(ing->w, obj, "Ingress", "networking.k8s.io/v1", "Warning", reason,
			       "nginx-ingress-controller", &ing->event_seq, message);
	if (err < 0)
		k1s_warn("ingress", "recording event %s for ingress %s: %s", reason, key,
			 k1s_strerror(err));
}

/* Drops what is remembered of Ingresses that are gone. */
static void warned_prune(struct ing *ing)
{
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(ing->warned, tmp, key, v)
		if (!json_object_get(ing->ings, key))
			json_object_del(ing->warned, key);
}

/* ---- status.loadBalancer ---- */

static bool ours(struct ing *ing, const json_t *obj)
{
	struct ing_world w = {ing->ings, ing->classes, ing->svcs, ing->eps, ing->config};

	return ing_class_ours(&w, obj);
}

static void write_status(struct ing *ing)
{
	const struct k1s_resource *r = k1s_resource_find("networking.k8s.io", "ingresses");
	json_t *todo = json_array(), *obj;
	const char *key;
	size_t i;

	/* Every Ingress after a relist or a class change; otherwise those that
	 * changed since. */
	json_object_foreach(ing->status_all ? ing->ings : ing->status_todo, key, obj) {
		const json_t *lb;
		const char *have;
		bool want;

		if (!ing->status_all && !(obj = json_object_get(ing->ings, key)))
			continue;
		lb = k1s_json_path(obj, "status.loadBalancer.ingress");
		have = json_array_size(lb) == 1 ? k1s_json_str(json_array_get(lb, 0), "ip") : NULL;
		want = ours(ing, obj) && ing->address[0];

		if (k1s_json_path(obj, "metadata.deletionTimestamp"))
			continue;
		if (want ? !(have && strcmp(have, ing->address) == 0) : json_array_size(lb) > 0)
			json_array_append(todo, obj);
	}
	json_array_foreach(todo, i, obj) {
		json_t *o = json_deep_copy(obj);
		json_t *status = k1s_json_obj(o, "status");
		int err;

		if (ours(ing, obj) && ing->address[0])
			json_object_set_new(status, "loadBalancer",
					    json_pack("{s:[{s:s}]}", "ingress", "ip", ing->address));
		else
			json_object_set_new(status, "loadBalancer", json_object());
		err = ing->w->update(ing->w->arg, r, o, true);
		if (err == 0)
			on_object(ing, "ingresses.networking.k8s.io", o, false);
		else if (err != K1S_ECONFLICT && err != -ENOENT)
			k1s_warn("ingress", "ingress %s/%s: status: %s",
				 k1s_json_str(obj, "metadata.namespace") ?: "",
				 k1s_json_str(obj, "metadata.name") ?: "", k1s_strerror(err));
		json_decref(o);
	}
	json_decref(todo);
	json_object_clear(ing->status_todo);
	ing->status_all = false;
}

/* ---- publishing ---- */

static void give_back(void *arg, struct k1s_snap *s)
{
	struct ing_snap *is = ing_snap_of(s);

	ing_table_free(is->table);
	ing_certs_free(is->certs);
	free(is);
}

/* A Secret a tls section names: the copy, else the store's (it came
 * before the Ingress that names it, or nobody named it then). */
static const json_t *secret_get(void *arg, const char *key)
{
	struct ing *ing = arg;
	const json_t *obj = json_object_get(ing->secrets, key);
	const char *slash = strchr(key, '/');
	char ns[256];
	json_t *got = NULL;
	int err;

	if (obj || !slash || (size_t)(slash - key) >= sizeof(ns))
		return obj;
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - key), key);
	err = st_get(ing->st, "secrets", ns, slash + 1, &got);
	if (err < 0) {
		if (err != -ENOENT) {
			k1s_warn("ingress", "secret %s: %s", key, k1s_strerror(err));
			ing->dirty = true;	/* read it again soon */
		}
		return NULL;
	}
	json_object_set_new(ing->secrets, key, got);
	return got;
}

/* A Service or its Endpoints a backend names: the copy, else the store's
 * (it came before the Ingress that names it, or nobody named it then).
 * The store is at the revision the copy reflects: it is read on the
 * control loop, which alone writes, right after the follower caught up. */
static const json_t *backend_get(void *arg, const char *res, const char *key)
{
	struct ing *ing = arg;
	json_t *cache = strcmp(res, "services") == 0 ? ing->svcs : ing->eps;
	const json_t *obj = json_object_get(cache, key);
	const char *slash = strchr(key, '/');
	char ns[256];
	json_t *got = NULL;
	int err;

	json_object_set_new(ing->svc_naming, key, json_true());
	if (obj || !slash || (size_t)(slash - key) >= sizeof(ns))
		return obj;
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - key), key);
	err = st_get(ing->st, res, ns, slash + 1, &got);
	if (err < 0) {
		if (err != -ENOENT) {
			k1s_warn("ingress", "%s %s: %s", res, key, k1s_strerror(err));
			ing->dirty = true;	/* read it again soon */
		}
		return NULL;
	}
	/* As followers see objects (st.h): nothing here reads them. */
	json_object_del(json_object_get(got, "metadata"), "managedFields");
	json_object_set_new(cache, key, got);
	return got;
}

/* The routing table; the Services (and Endpoints) its backends named
 * are those kept from now on. */
static struct ing_table *table_build(struct ing *ing, struct ing_world *w)
{
	struct ing_table *t;
	const char *key;
	json_t *v;
	void *tmp;

	ing->svc_naming = json_object();
	if (!ing->svc_naming)
		return NULL;
	w->backend_get = backend_get;
	w->backend_arg = ing;
	t = ing_table_build(w, warn, ing);
	if (t) {
		json_decref(ing->svc_named);
		ing->svc_named = ing->svc_naming;
	} else {
		json_decref(ing->svc_naming);
	}
	ing->svc_naming = NULL;
	json_object_foreach_safe(ing->svcs, tmp, key, v)
		if (!json_object_get(ing->svc_named, key))
			json_object_del(ing->svcs, key);
	json_object_foreach_safe(ing->eps, tmp, key, v)
		if (!json_object_get(ing->svc_named, key))
			json_object_del(ing->eps, key);
	return t;
}

/* The certificates to serve, and which Secrets matter from now on. */
static struct ing_certs *certs_build(struct ing *ing, const struct ing_world *w)
{
	json_t *named = json_object();
	struct ing_certs *c;
	const char *key;
	json_t *v;
	void *tmp;

	if (!named)
		return NULL;
	c = ing_secret_certs(w, secret_get, ing, ing->checked, named, warn, ing, ing->nloops);
	json_decref(ing->named);
	ing->named = named;
	json_object_foreach_safe(ing->secrets, tmp, key, v)
		if (!json_object_get(named, key))
			json_object_del(ing->secrets, key);
	return c;
}

static int ing_pass(void *arg)
{
	struct ing *ing = arg;
	int err = st_follow(&ing->follow);

	if (err == 0 && !ing->dirty && json_object_size(ing->status_todo))
		write_status(ing);
	if (err == 0 && ing->dirty) {
		struct ing_world w = {ing->ings, ing->classes, ing->svcs, ing->eps, ing->config};
		struct ing_snap *s = calloc(1, sizeof(*s));
		int64_t t0 = k1s_now_ms();

		ing->dirty = false;
		write_status(ing);
		if (s) {
			const char *key;
			json_t *ip;

			json_object_foreach(ing->faces, key, ip) {
				struct sockaddr_in *a = &s->faces[s->nfaces];

				if (s->nfaces == ING_FACES_MAX)
					break;
				a->sin_family = AF_INET;
				a->sin_port = htons(80);
				if (inet_pton(AF_INET, json_string_value(ip), &a->sin_addr) == 1)
					s->nfaces++;
			}
			s->table = table_build(ing, &w);
			s->certs = certs_build(ing, &w);
		}
		if (s && s->table && s->certs) {
			k1s_pub_publish(&ing->pub, &s->base);
			for (int i = 0; i < ing->nloops; i++)
				ing_loop_wake(ing->loops[i]);
			k1s_debug("ingress", "table %llu: %u rules, %zu certificates, %lld ms",
				  (unsigned long long)s->base.gen, ing_table_rules(s->table),
				  ing_certs_count(s->certs),
				  (long long)(k1s_now_ms() - t0));
		} else {
			if (s)
				give_back(ing, &s->base);
			ing->dirty = true;	/* out of memory: again soon */
		}
		warned_prune(ing);
	}
	return k1s_pub_reclaim(&ing->pub) || ing->dirty ? 10 : -1;
}

bool ing_ready(const struct ing *ing)
{
	return ing->pub.gen >= 1 && k1s_pub_all_seen(&ing->pub, 1);
}

static int listen_addrs(struct ing *ing, const struct ing_config *cfg)
{
	int n = 0, port = cfg->http_port > 0 ? cfg->http_port : 80;

	for (const char *const *a = cfg->listen; a && *a; a++)
		n++;
	ing->lsn = calloc((size_t)n + 1, sizeof(*ing->lsn));
	if (!ing->lsn)
		return -ENOMEM;
	for (const char *const *a = cfg->listen; a && *a; a++) {
		struct sockaddr_in *s = &ing->lsn[ing->nlsn];

		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, *a, &s->sin_addr) != 1) {
			k1s_warn("ingress", "listen address %s: not an IPv4 address", *a);
			continue;
		}
		ing->nlsn++;
	}
	return 0;
}

struct ing *ing_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
		    const struct ing_config *cfg, int *err)
{
	struct ing *ing = calloc(1, sizeof(*ing));
	int n = cfg->loops > 0 ? cfg->loops : (int)sysconf(_SC_NPROCESSORS_ONLN);
	int e = -ENOMEM;

	if (!ing)
		goto fail;
	ing->st = st;
	ing->loop = loop;
	ing->w = w;
	/* nginx's large_client_header_buffers 4 8k bound a head near 32 KiB;
	 * one buffer of 16 KiB and 100 headers serve every client seen. */
	ing->lim = (struct ing_limits){16 * 1024, ING_HDR_MAX};
	if (cfg->address)
		snprintf(ing->address, sizeof(ing->address), "%s", cfg->address);
	if (cfg->data_dir) {
		ing->log = k1s_facelog_open(cfg->data_dir, "ingress", 0, &e);
		if (!ing->log)
			k1s_warn("ingress", "the access log in %s/faces: %s", cfg->data_dir,
				 k1s_strerror(e));
		e = -ENOMEM;
	}
	st_follow_init(&ing->follow, st, "ingress", followed, &follow_ops, ing);
	ing->ings = json_object();
	ing->classes = json_object();
	ing->svcs = json_object();
	ing->eps = json_object();
	ing->warned = json_object();
	ing->faces = json_object();
	ing->named = json_object();
	ing->svc_named = json_object();
	ing->secrets = json_object();
	ing->checked = ing_secret_cache_new();
	ing->status_todo = json_object();
	ing->status_all = true;
	if (n < 1)
		n = 1;
	ing->https_port = (uint16_t)(cfg->https_port > 0 ? cfg->https_port : 443);
	ing->pol = cfg->pol;
	ing->handshake_ms = 60000;	/* nginx's ssl_handshake_timeout default */
	if ((e = ing_tls_shared_init(&ing->tls)) != 0) {
		k1s_warn("ingress", "TLS: the fake default certificate could not be made (%d)", e);
		e = -EIO;
		goto fail;
	}
	e = -ENOMEM;
	ing->loops = calloc((size_t)n, sizeof(*ing->loops));
	ing->flows = k1s_flow_ring_new("ingress", ING_FLOWS);
	if (!ing->flows || !ing->ings || !ing->classes || !ing->svcs || !ing->eps || !ing->warned || !ing->faces ||
	    !ing->named || !ing->svc_named || !ing->secrets || !ing->checked ||
	    !ing->status_todo || !ing->loops ||
	    listen_addrs(ing, cfg) < 0 ||
	    k1s_pub_init(&ing->pub, n, give_back, ing) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		ing->loops[i] = ing_loop_start(ing, i, &e);
		if (!ing->loops[i])
			goto fail;
		ing->nloops++;
	}
	if (loop && (e = k1s_loop_hook(loop, ing_pass, ing)) < 0)
		goto fail;
	return ing;
fail:
	ing_free(ing);
	if (err)
		*err = e;
	return NULL;
}

/* As dp_free(): for after the control loop has stopped for good. */
void ing_free(struct ing *ing)
{
	if (!ing)
		return;
	atomic_store(&ing->stop, 1);
	for (int i = 0; i < ing->nloops; i++)
		ing_loop_wake(ing->loops[i]);
	for (int i = 0; i < ing->nloops; i++)
		ing_loop_join(ing->loops[i]);
	free(ing->loops);
	ing_tls_shared_free(&ing->tls);
	if (ing->pub.seen)
		k1s_pub_fini(&ing->pub);
	json_decref(ing->ings);
	json_decref(ing->classes);
	json_decref(ing->svcs);
	json_decref(ing->eps);
	json_decref(ing->config);
	json_decref(ing->warned);
	free(ing->lsn);
	json_decref(ing->faces);
	json_decref(ing->named);
	json_decref(ing->svc_named);
	json_decref(ing->secrets);
	ing_secret_cache_free(ing->checked);
	json_decref(ing->status_todo);
	k1s_facelog_close(ing->log);
	k1s_flow_ring_free(ing->flows);
	free(ing);
}

struct k1s_flow_ring *ing_flows(struct ing *ing)
{
	return ing->flows;
}
