/* Snapshot compilation. Each service is compiled on its own into its
 * ports, endpoints and listeners, and recompiled only when the service or
 * its Endpoints change; a snapshot is then the concatenation of the
 * compiled services, so a change costs one service's work plus a copy,
 * not a walk over every object. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "dp_int.h"
#include "k1s_hash.h"
#include "k1s_log.h"

/* One service, compiled: lsn[].svc indexes this service's svc[]. Built
 * in arrays that grow, then packed into one block with its key (packed):
 * growth's spare room was most of the dataplane's memory per Service. */
struct dp_comp {
	struct dp_comp *next;
	char *key;
	uint32_t nsvc, nlsn, nep;
	bool packed;
	struct dp_svc *svc;	/* svc[].eps point into eps */
	struct dp_lsn *lsn;
	struct sockaddr_in *eps;
};

void dp_snap_free(struct dp_snap *s)
{
	if (!s)
		return;
	free(s->svc);
	free(s->lsn);
	free(s->eps);
	free(s->keys);
	free(s);
}

static void comp_free(struct dp_comp *c)
{
	if (!c->packed) {
		free(c->key);
		free(c->svc);
		free(c->lsn);
		free(c->eps);
	}
	free(c);
}

/* c's arrays and key in one block just their size; c is freed. */
static struct dp_comp *comp_pack(struct dp_comp *c)
{
	size_t svc = c->nsvc * sizeof(*c->svc), lsn = c->nlsn * sizeof(*c->lsn),
	       eps = c->nep * sizeof(*c->eps), key = strlen(c->key) + 1;
	struct dp_comp *p = malloc(sizeof(*p) + svc + lsn + eps + key);
	uint8_t *at;

	if (!p) {
		comp_free(c);
		return NULL;
	}
	*p = *c;
	p->packed = true;
	at = (uint8_t *)(p + 1);
	/* Widest alignment first: dp_svc (8), then sockaddr_in and dp_lsn (4). */
	p->svc = c->nsvc ? memcpy(at, c->svc, svc) : NULL;
	at += svc;
	p->eps = c->nep ? memcpy(at, c->eps, eps) : NULL;
	at += eps;
	p->lsn = c->nlsn ? memcpy(at, c->lsn, lsn) : NULL;
	at += lsn;
	p->key = memcpy(at, c->key, key);
	for (uint32_t j = 0, off = 0; j < p->nsvc; off += p->svc[j++].nep)
		p->svc[j].eps = p->eps ? p->eps + off : NULL;
	comp_free(c);
	return p;
}

/* ---- one service ---- */

static void *grow(void *p, uint32_t n, size_t size)
{
	/* Capacity 4, then powers of two: n is the count before adding one. */
	if (n != 0 && (n < 4 || (n & (n - 1))))
		return p;
	return realloc(p, (n ? n * 2 : 4) * size);
}

/* ip in host order. */
static int add_lsn(struct dp_comp *c, enum dp_proto proto, uint32_t ip, int64_t port,
		   bool external)
{
	struct dp_lsn *l;
	void *p;

	if (port <= 0 || port > 65535)
		return 0;
	if (!(p = grow(c->lsn, c->nlsn, sizeof(*l))))
		return -ENOMEM;
	c->lsn = p;
	l = &c->lsn[c->nlsn++];
	memset(l, 0, sizeof(*l));
	l->proto = proto;
	l->addr.sin_family = AF_INET;
	l->addr.sin_addr.s_addr = htonl(ip);
	l->addr.sin_port = htons((uint16_t)port);
	l->svc = c->nsvc - 1;
	l->external = external;
	return 0;
}

static int add_lsn_at(struct dp_comp *c, enum dp_proto proto, const char *ip, int64_t port,
		      bool external)
{
	uint32_t a;

	return k1s_ip4_parse(ip, &a) < 0 ? 0 : add_lsn(c, proto, a, port, external);
}

/* The endpoints of one service port, appended to c->eps: Endpoints'
 * ports match by name (the last match of a subset counts). Returns how
 * many, or -ENOMEM. */
static int add_eps(struct dp_comp *c, const struct dp_ep_rec *ep, const char *pname,
		   enum dp_proto proto)
{
	uint32_t first = c->nep;

	for (uint32_t i = 0; i < ep->nsubsets; i++) {
		const struct dp_subset *ss = &ep->subsets[i];
		uint16_t port = 0;

		for (uint32_t j = 0; j < ss->nports; j++)
			if (strcmp(ss->ports[j].name, pname) == 0 && ss->ports[j].proto == (int)proto)
				port = ss->ports[j].port;
		if (!port)
			continue;
		for (uint32_t j = 0; j < ss->nips; j++) {
			void *np;

			if (!(np = grow(c->eps, c->nep, sizeof(*c->eps))))
				return -ENOMEM;
			c->eps = np;
			memset(&c->eps[c->nep], 0, sizeof(*c->eps));
			c->eps[c->nep].sin_family = AF_INET;
			c->eps[c->nep].sin_addr.s_addr = ss->ips[j];
			c->eps[c->nep].sin_port = htons(port);
			c->nep++;
		}
	}
	return (int)(c->nep - first);
}

/* FNV-1a over the service, port name and protocol. */
static uint64_t svc_id(const char *key, const char *port, const char *proto)
{
	const char *parts[] = {key, "/", port, "/", proto};
	uint64_t h = K1S_FNV_INIT;

	for (size_t i = 0; i < 5; i++)
		h = k1s_fnv_more_str(h, parts[i]);
	return h;
}

static int compile_port(struct dp *dp, struct dp_comp *c, const struct dp_svc_rec *svc,
			const struct dp_port_rec *p, const struct dp_ep_rec *ep)
{
	bool lb = svc->type == DP_SVC_LOAD_BALANCER;
	bool nodeport = lb || svc->type == DP_SVC_NODE_PORT;
	enum dp_proto pr;
	struct dp_svc *sv;
	void *q;
	int n = 0, err = 0;

	if (strcmp(p->proto, "TCP") == 0)
		pr = DP_TCP;
	else if (strcmp(p->proto, "UDP") == 0)
		pr = DP_UDP;
	else
		return 0;
	if (!(q = grow(c->svc, c->nsvc, sizeof(*sv))))
		return -ENOMEM;
	c->svc = q;
	sv = &c->svc[c->nsvc++];
	memset(sv, 0, sizeof(*sv));
	sv->affinity_s = svc->affinity_s;
	sv->local_policy = svc->local_policy;
	sv->id = svc_id(c->key, p->name, p->proto);
	if (ep && (n = add_eps(c, ep, p->name, pr)) < 0)
		return n;
	sv->nep = (uint32_t)n;
	if (svc->cip_ok)
		err = add_lsn(c, pr, svc->cluster_ip, p->port, false);
	if (!err && nodeport && p->node_port > 0) {
		err = add_lsn_at(c, pr, "127.0.0.1", p->node_port, true);
		if (!err && dp->node_ip[0])
			err = add_lsn_at(c, pr, dp->node_ip, p->node_port, true);
	}
	for (uint32_t k = 0; lb && !err && k < svc->nlb; k++)
		if (svc->lb[k].ok)
			err = add_lsn(c, pr, svc->lb[k].ip, p->port, true);
	return err;
}

/* NULL with nothing to serve (gone, ExternalName, no TCP/UDP port). */
static struct dp_comp *compile(struct dp *dp, const char *key, int *err)
{
	const struct dp_svc_rec *svc = dp_svc_rec_get(dp, key);
	const struct dp_ep_rec *ep = dp_ep_rec_get(dp, key);
	struct dp_comp *c;

	*err = 0;
	if (!svc || svc->type == DP_SVC_EXTERNAL_NAME)
		return NULL;
	/* The cluster DNS answers on kube-dns's address in-process (dns/);
	 * forwarding its ports would take them from it. */
	if (strcmp(key, "kube-system/kube-dns") == 0)
		return NULL;
	if (!(c = calloc(1, sizeof(*c))) || !(c->key = strdup(key))) {
		free(c);
		*err = -ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < svc->nports; i++)
		if ((*err = compile_port(dp, c, svc, &svc->ports[i], ep)) < 0)
			break;
	if (*err || c->nsvc == 0) {
		comp_free(c);
		return NULL;
	}
	/* Packing points the ports at their endpoints, where they end up. */
	if (!(c = comp_pack(c)))
		*err = -ENOMEM;
	return c;
}

/* ---- the set of compiled services ---- */

void dp_snap_mark(struct dp *dp, const char *key)
{
	json_object_set_new(dp->todo, key, json_true());
}

void dp_snap_mark_all(struct dp *dp)
{
	struct dp_svc_rec *r;
	size_t i;

	dp_comp_clear(dp);
	dp_svc_rec_foreach(dp, i, r)
		dp_snap_mark(dp, r->key);
}

void dp_comp_clear(struct dp *dp)
{
	for (size_t i = 0; i < DP_COMP_BUCKETS; i++)
		while (dp->comp[i]) {
			struct dp_comp *c = dp->comp[i];

			dp->comp[i] = c->next;
			comp_free(c);
		}
	dp->ncomp = 0;
}

static int recompile(struct dp *dp, const char *key)
{
	struct dp_comp **pp = &dp->comp[dp_key_hash(key)], *c;
	int err;

	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	c = compile(dp, key, &err);
	if (err)
		return err;
	if (*pp) {
		struct dp_comp *old = *pp;

		*pp = old->next;
		comp_free(old);
		dp->ncomp--;
	}
	if (c) {
		c->next = dp->comp[dp_key_hash(key)];
		dp->comp[dp_key_hash(key)] = c;
		dp->ncomp++;
	}
	return 0;
}

/* ---- assembly ---- */

/* Listeners seen so far, by protocol, address and port: two services may
 * not share one (a node port is allocated once; a pool address once). */
struct lsn_set {
	uint64_t *slot;	/* key + 1; 0 = empty */
	size_t mask;
};

static bool lsn_set_add(struct lsn_set *set, const struct dp_lsn *l)
{
	uint64_t k = ((uint64_t)l->addr.sin_addr.s_addr << 17 | (uint64_t)ntohs(l->addr.sin_port) << 1 |
		      l->proto) + 1;
	uint64_t h = k;
	size_t i;

	/* splitmix64's finaliser: every key bit reaches the low bits. */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	i = (size_t)(h ^ (h >> 31)) & set->mask;
	while (set->slot[i]) {
		if (set->slot[i] == k)
			return false;
		i = (i + 1) & set->mask;
	}
	set->slot[i] = k;
	return true;
}

void dp_snap_recycle(struct dp *dp, struct dp_snap *s)
{
	if (dp->spare && dp->spare->cap_svc >= s->cap_svc) {
		dp_snap_free(s);
		return;
	}
	dp_snap_free(dp->spare);
	dp->spare = s;
}

static int reserve(void **p, uint32_t *cap, uint32_t n, size_t size)
{
	void *q;

	if (n <= *cap && *p)
		return 0;
	n = n + n / 4 + 16;
	if (!(q = realloc(*p, (size_t)n * size)))
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* A snapshot with room for the counts: the spare one, or a new one. */
static struct dp_snap *snap_alloc(struct dp *dp, uint32_t nsvc, uint32_t nlsn, uint32_t nep,
				  uint32_t nkeys)
{
	struct dp_snap *s = dp->spare ? dp->spare : calloc(1, sizeof(*s));

	dp->spare = NULL;
	if (!s)
		return NULL;
	s->nsvc = s->nlsn = s->nep = s->nkeys = 0;
	if (reserve((void **)&s->keys, &s->cap_keys, nkeys, 1) < 0 ||
	    reserve((void **)&s->svc, &s->cap_svc, nsvc, sizeof(*s->svc)) < 0 ||
	    reserve((void **)&s->lsn, &s->cap_lsn, nlsn, sizeof(*s->lsn)) < 0 ||
	    reserve((void **)&s->eps, &s->cap_ep, nep, sizeof(*s->eps)) < 0) {
		dp_snap_free(s);
		return NULL;
	}
	return s;
}

static int lsn_set_init(struct dp *dp, struct lsn_set *set, uint32_t nlsn)
{
	size_t n = 16;

	while (n < (size_t)nlsn * 2)
		n <<= 1;
	if (n > dp->lsn_set_cap) {
		free(dp->lsn_set);
		dp->lsn_set_cap = 0;
		if (!(dp->lsn_set = malloc(n * sizeof(*dp->lsn_set))))
			return -ENOMEM;
		dp->lsn_set_cap = n;
	}
	memset(dp->lsn_set, 0, n * sizeof(*dp->lsn_set));
	set->slot = dp->lsn_set;
	set->mask = n - 1;
	return 0;
}

/* Each loop opens its own copy of every listener (SO_REUSEPORT spreads
 * the load); when the copies would take more than half the descriptors
 * (the rest are for connections), fewer loops listen, at least one. */
static int listening_loops(struct dp *dp, uint32_t nlsn)
{
	uint64_t budget = dp->fd_limit / 2;
	int n = dp->nloops;

	while (n > 1 && (uint64_t)nlsn * (uint64_t)n > budget)
		n--;
	if (n != dp->lsn_loops_was) {
		if (n < dp->nloops)
			k1s_warn("dp", "%u listeners on each of %d loops would pass half the "
				 "descriptor limit (%llu): %d loop(s) listen", nlsn, dp->nloops,
				 (unsigned long long)dp->fd_limit, n);
		else if (dp->lsn_loops_was)
			k1s_info("dp", "all %d loops listen again", n);
		dp->lsn_loops_was = n;
	}
	return n;
}

struct dp_snap *dp_snap_build(struct dp *dp)
{
	uint32_t nsvc = 0, nlsn = 0, nep = 0, nkeys = 0;
	struct lsn_set set;
	struct dp_snap *s;
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(dp->todo, tmp, key, v) {
		if (recompile(dp, key) < 0)
			return NULL;
		json_object_del(dp->todo, key);
	}
	for (size_t i = 0; i < DP_COMP_BUCKETS; i++)
		for (struct dp_comp *c = dp->comp[i]; c; c = c->next) {
			nsvc += c->nsvc;
			nlsn += c->nlsn;
			nep += c->nep;
			nkeys += (uint32_t)strlen(c->key) + 1;
		}
	if (!(s = snap_alloc(dp, nsvc, nlsn, nep, nkeys)))
		return NULL;
	if (lsn_set_init(dp, &set, nlsn) < 0) {
		dp_snap_free(s);
		return NULL;
	}
	for (size_t i = 0; i < DP_COMP_BUCKETS; i++)
		for (struct dp_comp *c = dp->comp[i]; c; c = c->next) {
			uint32_t base = s->nsvc, off = 0, key = s->nkeys;
			size_t klen = strlen(c->key) + 1;

			memcpy(s->keys + key, c->key, klen);
			s->nkeys += (uint32_t)klen;
			if (c->nep)
				memcpy(s->eps + s->nep, c->eps, c->nep * sizeof(*c->eps));
			for (uint32_t j = 0; j < c->nsvc; j++) {
				s->svc[base + j] = c->svc[j];
				s->svc[base + j].eps = s->eps + s->nep + off;
				s->svc[base + j].key = key;
				off += c->svc[j].nep;
			}
			for (uint32_t j = 0; j < c->nlsn; j++)
				if (lsn_set_add(&set, &c->lsn[j])) {
					s->lsn[s->nlsn] = c->lsn[j];
					s->lsn[s->nlsn++].svc = base + c->lsn[j].svc;
				}
			s->nsvc += c->nsvc;
			s->nep += c->nep;
		}
	s->lsn_loops = listening_loops(dp, s->nlsn);
	return s;
}
