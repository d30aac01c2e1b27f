/* Services by namespace: a vector per namespace (a snapshot copies it) and
 * a hash of names into it (an event finds its Service in O(1)). A record
 * is shared by reference with the snapshots that hold it, so one replaced
 * or deleted while a build runs on the worker lives until that ends. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_json.h"
#include "pod_svc_links.h"
#include "st.h"

struct links_ns {
	struct links_ns *next;
	char *ns;
	struct svc_link **v;
	size_t n, cap;
	uint32_t *slot; /* index+1 into v; 0 = empty; open addressing */
	size_t nslots;  /* a power of two, at least twice n */
};

struct pod_links {
	struct st_follower follow;
	struct links_ns *nss;
};

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void link_put(struct svc_link *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		free(s);
}

/* The record of a Service, or NULL when it has no cluster IP (headless,
 * or not allocated yet): IsServiceIPSet. */
static struct svc_link *link_make(const json_t *svc)
{
	const char *name = k1s_json_str(svc, "metadata.name");
	const char *ip = k1s_json_str(svc, "spec.clusterIP");
	const json_t *ports = k1s_json_path(svc, "spec.ports"), *p;
	size_t np = json_array_size(ports), strs, i;
	struct svc_link *s;
	char *at;

	if (!name || !ip || !*ip || strcmp(ip, "None") == 0)
		return NULL;
	strs = strlen(name) + strlen(ip) + 2;
	json_array_foreach(ports, i, p) strs +=
	    strlen(k1s_json_str(p, "name") ?: "") + strlen(k1s_json_str(p, "protocol") ?: "TCP") + 2;
	s = malloc(sizeof(*s) + np * sizeof(s->ports[0]) + strs);
	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	s->nports = np;
	at = (char *)&s->ports[np];
#define COPY(dst, src)                                                                             \
	do {                                                                                       \
		size_t n_ = strlen(src) + 1;                                                       \
		memcpy(at, (src), n_);                                                             \
		(dst) = at;                                                                        \
		at += n_;                                                                          \
	} while (0)
	COPY(s->name, name);
	COPY(s->ip, ip);
	json_array_foreach(ports, i, p)
	{
		s->ports[i].port = (int32_t)json_integer_value(json_object_get(p, "port"));
		COPY(s->ports[i].name, k1s_json_str(p, "name") ?: "");
		COPY(s->ports[i].protocol, k1s_json_str(p, "protocol") ?: "TCP");
	}
#undef COPY
	return s;
}

static struct links_ns *ns_find(struct pod_links *l, const char *ns, bool make)
{
	struct links_ns *n;

	for (n = l->nss; n; n = n->next)
		if (strcmp(n->ns, ns) == 0)
			return n;
	if (!make || !(n = calloc(1, sizeof(*n))))
		return NULL;
	n->ns = strdup(ns);
	if (!n->ns) {
		free(n);
		return NULL;
	}
	n->next = l->nss;
	l->nss = n;
	return n;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t slot_of(const struct links_ns *n, const char *name)
{
	size_t mask = n->nslots - 1, i = name_hash(name) & mask;

	while (n->slot[i] && strcmp(n->v[n->slot[i] - 1]->name, name) != 0)
		i = (i + 1) & mask;
	return i;
}

static int rehash(struct links_ns *n, size_t nslots)
{
	uint32_t *slot = calloc(nslots, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	free(n->slot);
	n->slot = slot;
	n->nslots = nslots;
	for (size_t k = 0; k < n->n; k++)
		n->slot[slot_of(n, n->v[k]->name)] = (uint32_t)k + 1;
	return 0;
}

/* Linear probing's deletion: the entries after the hole that would no
 * longer be found move back into it. */
static void slot_clear(struct links_ns *n, size_t hole)
{
	size_t mask = n->nslots - 1, i = hole;

	n->slot[hole] = 0;
	for (;;) {
		size_t home;

		i = (i + 1) & mask;
		if (!n->slot[i])
			return;
		home = name_hash(n->v[n->slot[i] - 1]->name) & mask;
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			n->slot[hole] = n->slot[i];
			n->slot[i] = 0;
			hole = i;
		}
	}
}

static void ns_remove(struct links_ns *n, const char *name)
{
	size_t i, k, last;

	if (!n->n)
		return;
	i = slot_of(n, name);
	if (!n->slot[i])
		return;
	k = n->slot[i] - 1;
	slot_clear(n, i);
	link_put(n->v[k]);
	last = --n->n;
	if (k != last) {
		n->v[k] = n->v[last];
		n->slot[slot_of(n, n->v[k]->name)] = (uint32_t)k + 1;
	}
}

static int ns_put(struct links_ns *n, struct svc_link *s)
{
	size_t i;

	if ((n->n + 1) * 2 > n->nslots && rehash(n, n->nslots ? n->nslots * 2 : 16) < 0)
		return -ENOMEM;
	i = slot_of(n, s->name);
	if (n->slot[i]) {
		link_put(n->v[n->slot[i] - 1]);
		n->v[n->slot[i] - 1] = s;
		return 0;
	}
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 16;
		struct svc_link **v = realloc(n->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		n->v = v;
		n->cap = cap;
	}
	n->v[n->n] = s;
	n->slot[i] = (uint32_t)++n->n;
	return 0;
}

static void ns_free(struct links_ns *n)
{
	for (size_t k = 0; k < n->n; k++)
		link_put(n->v[k]);
	free(n->v);
	free(n->slot);
	free(n->ns);
	free(n);
}

static void on_reset(void *arg)
{
	struct pod_links *l = arg;

	while (l->nss) {
		struct links_ns *n = l->nss;

		l->nss = n->next;
		ns_free(n);
	}
}

static void on_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	struct pod_links *l = arg;
	const char *ns = k1s_json_str(obj, "metadata.namespace") ?: "";
	const char *name = k1s_json_str(obj, "metadata.name") ?: "";
	struct svc_link *s = deleted ? NULL : link_make(obj);
	struct links_ns *n = ns_find(l, ns, s != NULL);

	(void)res;
	if (!n) {
		link_put(s);
		return;
	}
	if (!s)
		ns_remove(n, name);
	else if (ns_put(n, s) < 0)
		link_put(s);
}

static const char *const followed[] = {"services", NULL};
static const struct st_follow_ops follow_ops = {on_reset, on_object, NULL};

struct pod_links *pod_links_new(struct st *st)
{
	struct pod_links *l = calloc(1, sizeof(*l));

	if (l)
		st_follow_init(&l->follow, st, "pod", followed, &follow_ops, l);
	return l;
}

void pod_links_free(struct pod_links *l)
{
	if (!l)
		return;
	on_reset(l);
	free(l);
}

static struct svc_link *ns_get(struct links_ns *n, const char *name)
{
	size_t i;

	if (!n || !n->n)
		return NULL;
	i = slot_of(n, name);
	return n->slot[i] ? n->v[n->slot[i] - 1] : NULL;
}

struct svc_links_snap *pod_links_snap(struct pod_links *l, const char *ns, bool service_links)
{
	struct links_ns *own, *def;
	struct svc_link *master;
	struct svc_links_snap *s;
	size_t k = 0;

	/* A failure leaves the copy as it was; the next start asks again. */
	st_follow(&l->follow);
	own = service_links ? ns_find(l, ns, false) : NULL;
	def = ns_find(l, "default", false);
	/* A Service named kubernetes of the pod's own namespace replaces the
	 * master's (kubelet_pods.go: the namespace's overwrites the map entry,
	 * the master's is only added when absent). */
	master = ns_get(def, "kubernetes");
	if (own && (own == def || ns_get(own, "kubernetes")))
		master = NULL;
	s = malloc(sizeof(*s) + ((own ? own->n : 0) + 1) * sizeof(s->v[0]));
	if (!s)
		return NULL;
	if (master) {
		atomic_fetch_add(&master->refs, 1);
		s->v[k++] = master;
	}
	for (size_t i = 0; own && i < own->n; i++) {
		atomic_fetch_add(&own->v[i]->refs, 1);
		s->v[k++] = own->v[i];
	}
	s->n = k;
	return s;
}

void pod_links_snap_free(struct svc_links_snap *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		link_put(s->v[i]);
	free(s);
}
