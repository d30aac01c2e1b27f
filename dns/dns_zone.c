/* The zone: every name the cluster domain holds, from Services, Endpoints
 * and Pods (Kubernetes DNS-based service discovery, schema 1.1.0), in a
 * hash of lower-cased wire names, each with its answers encoded ahead of
 * time. Answering a query is then a parse, one lookup and a copy; only
 * NXDOMAIN is written per query, as its SOA's owner points into the
 * question.
 *
 * The zone is kept across changes (struct dns_zone, on the control
 * side): every record remembers its owner, a Service (with its
 * Endpoints) or a Pod, and a change recompiles that owner alone, marking
 * the names it touched. A snapshot re-encodes only those names (and the
 * CNAMEs that chase into the zone, whose answers hold their targets'
 * records), and copies the previous snapshot's table with the changed
 * entries patched in; unchanged names share their encoded node with the
 * snapshots before. Names shared by several owners (namespace nodes,
 * empty non-terminals, PTR names) come out the same whatever the order
 * of the changes: a name's records are kept sorted, duplicates hidden.
 *
 * A snapshot is read by the server loops; immutable once built. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_int.h"
#include "k1s_addr.h"
#include "k1s_json.h"

#define SRV_PRIO	0
#define SRV_WEIGHT	100	/* split across a set, as CoreDNS does */
#define CNAME_HOPS	8
#define MAX_SETS	16

/* Record data, freed with its owner's records all at once. */
struct zmem {
	struct zmem *next;
	size_t used, cap;
	max_align_t data[];
};

/* An owner of records: a Service (with its Endpoints) or a Pod. */
struct zown {
	struct zown *next;	/* hash chain */
	uint32_t hash, stamp;
	int n, cap;
	struct znode **names;	/* where it has records, each once */
	struct zmem *mem;	/* their data */
	char key[];
};

struct zmap {
	uint32_t mask, n;
	struct zown **tab;
};

struct zrr {
	uint16_t type, rdlen;
	int16_t name_at;	/* where a (last) name starts in rd, or -1 */
	bool hide;		/* a duplicate, or a weak PTR outranked */
	bool weak;
	const struct zown *own;	/* NULL: the zone's own (SOA, NS, ...) */
	uint8_t *rd;
};

struct znode {
	struct znode *hnext;		/* hash chain */
	struct znode *lnext, *lprev;	/* every live node */
	struct znode *dnext;		/* changed since the last snapshot */
	struct znode *cnext;		/* CNAMEs into the zone */
	struct znode *parent;
	uint32_t hash, stamp;
	uint16_t nlen;
	int apex, nrr, cap, nchild;
	bool dirty, dead, chase, in_chase;
	struct zrr *rrs;		/* sorted (type, rdata) once normalized */
	struct dns_node *enc;		/* as the last snapshot has it */
	uint8_t name[];
};

struct dns_zone {
	struct dns_zone_cfg cfgv;
	const struct dns_zone_cfg *cfg;
	struct dns_snap tmpl;		/* apexes and ranges */
	const struct dns_snap *s;	/* &tmpl */
	uint32_t zmask, n;
	struct znode **ztab;
	struct znode *list, *dirty, *chase;
	struct zmap svcs, pods;
	struct zown *cur;		/* the owner being compiled */
	struct zmem *mem;		/* the data of the zone's own records */
	uint32_t stamp;
	bool weak, oom;
	uint8_t *buf;			/* 64 KiB: one answer being encoded */
	uint8_t *scratch;		/* a node's answers before they are laid out */
	size_t scap;
	struct dns_snap *last;		/* the latest snapshot handed out */
};

/* ---- owners ---- */

static void *zmem_alloc(struct zmem **head, size_t n)
{
	struct zmem *c = *head;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (!c || c->used + n > c->cap) {
		/* Most owners are a Service with an A, an SRV and a PTR, about
		 * 100 bytes: start small (a fixed 480 was most of a Service's
		 * DNS memory) and double for the owners with many records. */
		size_t cap = c ? (c->cap < 4096 ? 2 * c->cap : 4096) : 128;

		if (cap < n)
			cap = n;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = *head;
		c->used = 0;
		c->cap = cap;
		*head = c;
	}
	p = (uint8_t *)c->data + c->used;
	c->used += n;
	return p;
}

static void zmem_free(struct zmem **head)
{
	while (*head) {
		struct zmem *c = *head;

		*head = c->next;
		free(c);
	}
}

static uint32_t key_hash(const char *k)
{
	uint32_t h = 2166136261u;

	for (; *k; k++)
		h = (h ^ (uint8_t)*k) * 16777619u;
	return h;
}

static struct zown **zmap_slot(struct zmap *m, const char *key, uint32_t h)
{
	struct zown **pp = &m->tab[h & m->mask];

	while (*pp && !((*pp)->hash == h && strcmp((*pp)->key, key) == 0))
		pp = &(*pp)->next;
	return pp;
}

static void zmap_grow(struct zmap *m)
{
	uint32_t nmask = m->mask * 2 + 1;
	struct zown **nt = calloc((size_t)nmask + 1, sizeof(*nt));

	if (!nt)
		return;	/* longer chains, still correct */
	for (uint32_t i = 0; i <= m->mask; i++)
		while (m->tab[i]) {
			struct zown *o = m->tab[i];

			m->tab[i] = o->next;
			o->next = nt[o->hash & nmask];
			nt[o->hash & nmask] = o;
		}
	free(m->tab);
	m->tab = nt;
	m->mask = nmask;
}

static struct zown *zmap_get(struct zmap *m, const char *key, bool create)
{
	uint32_t h = key_hash(key);
	struct zown **pp = zmap_slot(m, key, h), *o;
	size_t kl = strlen(key);

	if (*pp || !create)
		return *pp;
	o = calloc(1, sizeof(*o) + kl + 1);
	if (!o)
		return NULL;
	memcpy(o->key, key, kl + 1);
	o->hash = h;
	*pp = o;
	if (++m->n > m->mask)
		zmap_grow(m);
	return o;
}

static void zmap_del(struct zmap *m, struct zown *o)
{
	struct zown **pp = zmap_slot(m, o->key, o->hash);

	if (*pp == o) {
		*pp = o->next;
		m->n--;
	}
	zmem_free(&o->mem);
	free(o->names);
	free(o);
}

static void zmap_free(struct zmap *m)
{
	for (uint32_t i = 0; m->tab && i <= m->mask; i++)
		while (m->tab[i]) {
			struct zown *o = m->tab[i];

			m->tab[i] = o->next;
			zmem_free(&o->mem);
			free(o->names);
			free(o);
		}
	free(m->tab);
}

/* ---- names ---- */

static struct znode **zslot(struct dns_zone *b, const uint8_t *name, size_t nlen, uint32_t h)
{
	struct znode **pp = &b->ztab[h & b->zmask];

	while (*pp && !((*pp)->hash == h && (*pp)->nlen == nlen &&
			memcmp((*pp)->name, name, nlen) == 0))
		pp = &(*pp)->hnext;
	return pp;
}

static struct znode *zfind(struct dns_zone *b, const uint8_t *name, size_t nlen)
{
	return *zslot(b, name, nlen, dns_name_hash(name, nlen));
}

static void zgrow(struct dns_zone *b)
{
	uint32_t nmask = b->zmask * 2 + 1;
	struct znode **nt = calloc((size_t)nmask + 1, sizeof(*nt));

	if (!nt)
		return;	/* longer chains, still correct */
	for (struct znode *z = b->list; z; z = z->lnext) {
		z->hnext = nt[z->hash & nmask];
		nt[z->hash & nmask] = z;
	}
	free(b->ztab);
	b->ztab = nt;
	b->zmask = nmask;
}

/* The innermost apex a name is under (the pod range's reverse zone may
 * sit inside the service range's), or -1. */
static int apex_of(const struct dns_snap *s, const uint8_t *name, size_t nlen)
{
	int best = -1;

	for (int i = 0; i < s->napex; i++)
		if (dns_name_suffix(name, nlen, s->apex[i].name, s->apex[i].len) >= 0 &&
		    (best < 0 || s->apex[i].len > s->apex[best].len))
			best = i;
	return best;
}

static void mark_dirty(struct dns_zone *b, struct znode *z)
{
	if (!z->dirty) {
		z->dirty = true;
		z->dnext = b->dirty;
		b->dirty = z;
	}
}

/* The node for a name, created with every missing ancestor up to its
 * apex: those are empty non-terminals, NODATA rather than NXDOMAIN. */
static struct znode *znode_get(struct dns_zone *b, const uint8_t *name, size_t nlen)
{
	uint32_t h = dns_name_hash(name, nlen);
	struct znode *z = *zslot(b, name, nlen, h), *parent = NULL;
	int apex;

	if (z)
		return z;
	apex = apex_of(b->s, name, nlen);
	if (apex < 0 || nlen > DNS_MAXNAME)
		return NULL;
	if (nlen > b->s->apex[apex].len &&
	    !(parent = znode_get(b, name + name[0] + 1, nlen - name[0] - 1u)))
		return NULL;
	z = calloc(1, sizeof(*z) + nlen);
	if (!z) {
		b->oom = true;
		return NULL;
	}
	memcpy(z->name, name, nlen);
	z->nlen = (uint16_t)nlen;
	z->hash = h;
	z->apex = apex;
	z->parent = parent;
	if (parent)
		parent->nchild++;
	*zslot(b, name, nlen, h) = z;
	z->lnext = b->list;
	if (b->list)
		b->list->lprev = z;
	b->list = z;
	mark_dirty(b, z);
	if (++b->n > b->zmask)
		zgrow(b);
	return z;
}

/* A name with no records and no names below goes, and so may its
 * parent. The node stays on the dirty list until the next snapshot
 * takes its entry out. */
static void znode_drop(struct dns_zone *b, struct znode *z)
{
	while (z && !z->dead && z->nrr == 0 && z->nchild == 0) {
		struct znode *p = z->parent;

		*zslot(b, z->name, z->nlen, z->hash) = z->hnext;
		if (z->lprev)
			z->lprev->lnext = z->lnext;
		else
			b->list = z->lnext;
		if (z->lnext)
			z->lnext->lprev = z->lprev;
		b->n--;
		z->dead = true;
		mark_dirty(b, z);
		if (p)
			p->nchild--;
		z = p;
	}
}

static void zadd(struct dns_zone *b, const uint8_t *name, size_t nlen, uint16_t type,
		 const void *rd, size_t rdlen, int name_at)
{
	struct znode *z = znode_get(b, name, nlen);
	struct zrr *r;

	if (!z)
		return;
	for (int i = 0; i < z->nrr; i++)
		if (z->rrs[i].own == b->cur && z->rrs[i].type == type &&
		    z->rrs[i].rdlen == rdlen && memcmp(z->rrs[i].rd, rd, rdlen) == 0)
			return;
	if (b->cur && z->stamp != b->cur->stamp) {
		struct zown *o = b->cur;

		if (o->n == o->cap) {
			int cap = o->cap ? o->cap * 2 : 4;
			struct znode **p = realloc(o->names, (size_t)cap * sizeof(*p));

			if (!p) {
				b->oom = true;
				return;
			}
			o->names = p;
			o->cap = cap;
		}
		o->names[o->n++] = z;
		z->stamp = o->stamp;
	}
	if (z->nrr == z->cap) {
		int cap = z->cap ? z->cap * 2 : 2;
		struct zrr *p = realloc(z->rrs, (size_t)cap * sizeof(*p));

		if (!p) {
			b->oom = true;
			return;
		}
		z->rrs = p;
		z->cap = cap;
	}
	r = &z->rrs[z->nrr];
	r->rd = zmem_alloc(b->cur ? &b->cur->mem : &b->mem, rdlen ? rdlen : 1);
	if (!r->rd) {
		b->oom = true;
		return;
	}
	memcpy(r->rd, rd, rdlen);
	r->type = type;
	r->rdlen = (uint16_t)rdlen;
	r->name_at = (int16_t)name_at;
	r->hide = false;
	r->weak = b->weak;
	r->own = b->cur;
	z->nrr++;
	mark_dirty(b, z);
}

/* Takes an owner's records out, and the names left with nothing. */
static void own_clear(struct dns_zone *b, struct zown *o)
{
	for (int i = 0; i < o->n; i++) {
		struct znode *z = o->names[i];
		int k = 0;

		for (int j = 0; j < z->nrr; j++)
			if (z->rrs[j].own != o)
				z->rrs[k++] = z->rrs[j];
		z->nrr = k;
		mark_dirty(b, z);
	}
	for (int i = 0; i < o->n; i++)
		znode_drop(b, o->names[i]);
	o->n = 0;
	zmem_free(&o->mem);
}

/* ---- compiling Services, Endpoints and Pods into records ---- */

static int wire(uint8_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int wire(uint8_t *out, const char *fmt, ...)
{
	char txt[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(txt, sizeof(txt), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(txt))
		return -EINVAL;
	return dns_name_from_str(txt, out, DNS_MAXNAME + 1);
}

static void add_a(struct dns_zone *b, const uint8_t *name, int nlen, struct in_addr ip)
{
	if (nlen > 0)
		zadd(b, name, (size_t)nlen, DNS_T_A, &ip, 4, -1);
}

static void add_name_rr(struct dns_zone *b, const uint8_t *name, int nlen, uint16_t type,
			const uint8_t *target, int tlen)
{
	if (nlen > 0 && tlen > 0)
		zadd(b, name, (size_t)nlen, type, target, (size_t)tlen, 0);
}

static void add_srv(struct dns_zone *b, const uint8_t *name, int nlen, int port,
		    const uint8_t *target, int tlen)
{
	uint8_t rd[6 + DNS_MAXNAME + 1];

	if (nlen <= 0 || tlen <= 0 || port <= 0 || port > 65535)
		return;
	dns_put16(rd, SRV_PRIO);
	dns_put16(rd + 2, SRV_WEIGHT);
	dns_put16(rd + 4, (uint16_t)port);
	memcpy(rd + 6, target, (size_t)tlen);
	zadd(b, name, (size_t)nlen, DNS_T_SRV, rd, 6 + (size_t)tlen, 6);
}

static bool in_range(const struct dns_snap *s, struct in_addr ip)
{
	uint32_t a = ntohl(ip.s_addr);

	for (int i = 0; i < s->nranges; i++)
		if ((a & s->ranges[i].mask) == s->ranges[i].net)
			return true;
	return false;
}

/* PTR for addresses in the cluster's ranges only: the rest of in-addr.arpa
 * belongs to the world. A `weak` one (a pod's) is hidden where a service
 * or an endpoint gives the address a name. */
static void add_ptr(struct dns_zone *b, struct in_addr ip, const uint8_t *target, int tlen,
		    bool weak)
{
	const uint8_t *o = (const uint8_t *)&ip.s_addr;
	uint8_t rev[DNS_MAXNAME + 1];
	int n;

	if (!in_range(b->s, ip))
		return;
	n = wire(rev, "%u.%u.%u.%u.in-addr.arpa", o[3], o[2], o[1], o[0]);
	if (n < 0)
		return;
	b->weak = weak;
	add_name_rr(b, rev, n, DNS_T_PTR, target, tlen);
	b->weak = false;
}

static bool parse_ip(const char *s, struct in_addr *a)
{
	return s && inet_pton(AF_INET, s, a) == 1;
}

static void lower_str(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s | 0x20);
}

static bool ready_all(const json_t *svc)
{
	json_t *v = k1s_json_path(svc, "spec.publishNotReadyAddresses");

	if (json_is_true(v))
		return true;
	v = json_object_get(k1s_json_path(svc, "metadata.annotations"),
			    "service.alpha.kubernetes.io/tolerate-unready-endpoints");
	return json_is_string(v) && strcmp(json_string_value(v), "true") == 0;
}

static void add_endpoint(struct dns_zone *b, const uint8_t *svc, int slen, const char *svcname,
			 const json_t *addr, const json_t *ports)
{
	struct in_addr ip;
	const char *hn = k1s_json_str(addr, "hostname");
	uint8_t host[DNS_MAXNAME + 1], srvn[DNS_MAXNAME + 1];
	int hlen;
	const json_t *p;
	size_t i;

	if (!parse_ip(k1s_json_str(addr, "ip"), &ip))
		return;
	add_a(b, svc, slen, ip);
	/* The spec's _hostname_: the endpoint's own, else an identifier of
	 * ours, the address with dashes, as CoreDNS has it. */
	if (hn && *hn) {
		hlen = wire(host, "%s.%s", hn, svcname);
	} else {
		const uint8_t *o = (const uint8_t *)&ip.s_addr;

		hlen = wire(host, "%u-%u-%u-%u.%s", o[0], o[1], o[2], o[3], svcname);
	}
	if (hlen < 0)
		return;
	add_a(b, host, hlen, ip);
	add_ptr(b, ip, host, hlen, false);
	json_array_foreach(ports, i, p) {
		const char *pn = k1s_json_str(p, "name");
		char proto[16];
		int n;

		if (!pn || !*pn)
			continue;	/* unnamed ports have no SRV */
		snprintf(proto, sizeof(proto), "%s", k1s_json_str(p, "protocol") ?: "TCP");
		lower_str(proto);
		n = wire(srvn, "_%s._%s.%s", pn, proto, svcname);
		add_srv(b, srvn, n, (int)json_integer_value(json_object_get(p, "port")), host,
			hlen);
	}
}

static void add_service(struct dns_zone *b, const json_t *svc, const json_t *ep)
{
	const char *ns = k1s_json_str(svc, "metadata.namespace");
	const char *name = k1s_json_str(svc, "metadata.name");
	const char *type = k1s_json_str(svc, "spec.type") ?: "ClusterIP";
	const char *cip = k1s_json_str(svc, "spec.clusterIP");
	char svcname[512];
	uint8_t sn[DNS_MAXNAME + 1], t[DNS_MAXNAME + 1];
	int slen, tlen;
	struct in_addr ip;
	const json_t *p, *ss;
	size_t i;

	if (!ns || !name)
		return;
	snprintf(svcname, sizeof(svcname), "%s.%s.svc.%s", name, ns, b->cfg->domain);
	slen = wire(sn, "%s", svcname);
	if (slen < 0)
		return;
	if (strcmp(type, "ExternalName") == 0) {
		tlen = dns_name_from_str(k1s_json_str(svc, "spec.externalName"), t, sizeof(t));
		add_name_rr(b, sn, slen, DNS_T_CNAME, t, tlen);
		return;
	}
	if (cip && *cip && strcmp(cip, "None") != 0) {
		if (!parse_ip(cip, &ip))
			return;
		add_a(b, sn, slen, ip);
		add_ptr(b, ip, sn, slen, false);
		json_array_foreach(k1s_json_path(svc, "spec.ports"), i, p) {
			const char *pn = k1s_json_str(p, "name");
			char proto[16];

			if (!pn || !*pn)
				continue;
			snprintf(proto, sizeof(proto), "%s", k1s_json_str(p, "protocol") ?: "TCP");
			lower_str(proto);
			tlen = wire(t, "_%s._%s.%s", pn, proto, svcname);
			add_srv(b, t, tlen, (int)json_integer_value(json_object_get(p, "port")), sn,
				slen);
		}
		return;
	}
	/* Headless: the ready endpoints; with none, the name does not exist. */
	json_array_foreach(k1s_json_path(ep, "subsets"), i, ss) {
		const json_t *ports = json_object_get(ss, "ports"), *a;
		size_t j;

		json_array_foreach(json_object_get(ss, "addresses"), j, a)
			add_endpoint(b, sn, slen, svcname, a, ports);
		if (ready_all(svc))
			json_array_foreach(json_object_get(ss, "notReadyAddresses"), j, a)
				add_endpoint(b, sn, slen, svcname, a, ports);
	}
}

/* a-b-c-d.ns.pod.<domain>, for pods that exist with that address. */
static void add_pod(struct dns_zone *b, const json_t *pod)
{
	const char *ns = k1s_json_str(pod, "metadata.namespace");
	const char *phase = k1s_json_str(pod, "status.phase") ?: "";
	struct in_addr ip;
	uint8_t n[DNS_MAXNAME + 1];
	const uint8_t *o;
	int len;

	if (!ns || !parse_ip(k1s_json_str(pod, "status.podIP"), &ip) ||
	    strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)
		return;
	o = (const uint8_t *)&ip.s_addr;
	len = wire(n, "%u-%u-%u-%u.%s.pod.%s", o[0], o[1], o[2], o[3], ns, b->cfg->domain);
	add_a(b, n, len, ip);
	add_ptr(b, ip, n, len, true);
}

/* ---- encoding the answers ---- */

/* ---- encoding the answers ---- */

static void put_rr(struct dns_wb *wb, const uint8_t *owner, size_t olen, const struct zrr *r)
{
	size_t at = dns_wb_rr(wb, owner, olen, r->type, DNS_TTL);

	if (r->type == DNS_T_SOA) {
		size_t off = 0;
		uint8_t n1[DNS_MAXNAME + 1], n2[DNS_MAXNAME + 1];
		int l1 = dns_name_read(r->rd, r->rdlen, &off, n1, sizeof(n1));
		int l2 = l1 > 0 ? dns_name_read(r->rd, r->rdlen, &off, n2, sizeof(n2)) : -1;

		if (l2 > 0 && off + 20 == r->rdlen) {
			dns_wb_name(wb, n1, (size_t)l1);
			dns_wb_name(wb, n2, (size_t)l2);
			dns_wb_bytes(wb, r->rd + off, 20);
		}
	} else if (r->name_at < 0) {
		dns_wb_bytes(wb, r->rd, r->rdlen);
	} else if (r->type == DNS_T_SRV) {
		/* RFC 2782: the target is never compressed; later names may
		 * still point at it. */
		size_t start;

		dns_wb_bytes(wb, r->rd, (size_t)r->name_at);
		start = wb->len;
		dns_wb_bytes(wb, r->rd + r->name_at, r->rdlen - (size_t)r->name_at);
		dns_wb_mark(wb, start);
	} else {
		dns_wb_bytes(wb, r->rd, (size_t)r->name_at);
		dns_wb_name(wb, r->rd + r->name_at, r->rdlen - (size_t)r->name_at);
	}
	dns_wb_rr_end(wb, at);
}

/* The records of a type at z, as many as a message holds: a headless
 * service of thousands of endpoints answers with the first ones (over
 * UDP it is truncated anyway) rather than stall every later zone. */
static int put_rrs(struct dns_wb *wb, const struct znode *z, uint16_t type)
{
	int n = 0;

	for (int i = 0; i < z->nrr && !wb->err; i++)
		if (!z->rrs[i].hide && (type == DNS_T_ANY || z->rrs[i].type == type)) {
			size_t len = wb->len;
			int names = wb->nnames;

			put_rr(wb, z->name, z->nlen, &z->rrs[i]);
			if (wb->err) {
				wb->len = len;
				wb->nnames = names;
				wb->err = false;
				break;
			}
			n++;
		}
	return n;
}

static const struct zrr *find_rr(const struct znode *z, uint16_t type)
{
	for (int i = 0; z && i < z->nrr; i++)
		if (!z->rrs[i].hide && z->rrs[i].type == type)
			return &z->rrs[i];
	return NULL;
}

static void put_soa(struct dns_zone *b, struct dns_wb *wb, int apex)
{
	const struct dns_apex *a = &b->s->apex[apex];
	struct zrr r = {.type = DNS_T_SOA, .rdlen = a->soa_len, .rd = (uint8_t *)a->soa};

	put_rr(wb, a->name, a->len, &r);
}

/* The RR's target name, for those that carry one as their last field. */
static const uint8_t *rr_target(const struct zrr *r, size_t *len)
{
	if (r->name_at < 0 || r->type == DNS_T_SOA)
		return NULL;
	*len = r->rdlen - (size_t)r->name_at;
	return r->rd + r->name_at;
}

/* One set: the answer to `type` at z (0: to any type z has nothing of),
 * its tail appended to b->scratch at *used (set->tail holds the offset
 * until the node is laid out). */
static int encode_set(struct dns_zone *b, const struct znode *z, uint16_t type,
		      struct dns_set *set, size_t *used)
{
	struct dns_wb wb;
	const struct zrr *cname = find_rr(z, DNS_T_CNAME);
	size_t qend;
	int an = 0, ns = 0, ar = 0;

	/* A message is at most 65535 bytes, our OPT included. */
	dns_wb_init(&wb, b->buf, 65535 - 11);
	memset(b->buf, 0, DNS_HDR);
	wb.len = DNS_HDR;
	dns_wb_bytes(&wb, z->name, z->nlen);
	dns_wb_mark(&wb, DNS_HDR);
	dns_wb_u32(&wb, 0);
	qend = wb.len;
	memset(set, 0, sizeof(*set));
	set->type = type;
	if (type == DNS_T_ANY) {
		an = put_rrs(&wb, z, DNS_T_ANY);
	} else if (type != 0 && type != DNS_T_CNAME && cname) {
		an = 0;	/* handled below, as for type 0 */
	} else if (type != 0) {
		an = put_rrs(&wb, z, type);
	}
	if (an == 0 && cname && type != DNS_T_CNAME) {
		/* CNAME, then the target's records of the type if it is ours
		 * (RFC 1034 4.3.2): a resolver need not ask again. */
		const struct znode *t = z;
		const struct zrr *c = cname;

		for (int hop = 0; c && hop < CNAME_HOPS; hop++) {
			size_t tl;
			const uint8_t *tn;

			put_rr(&wb, t->name, t->nlen, c);
			an++;
			tn = rr_target(c, &tl);
			t = tn ? zfind(b, tn, tl) : NULL;
			if (!t)
				break;
			c = find_rr(t, DNS_T_CNAME);
			if (!c && type)
				an += put_rrs(&wb, t, type);
		}
	} else if (an == 0) {
		put_soa(b, &wb, z->apex);
		ns = 1;
	}
	/* Additional: the addresses of SRV and NS targets that are ours. */
	if (type == DNS_T_SRV || type == DNS_T_NS) {
		for (int i = 0; i < z->nrr; i++) {
			size_t tl;
			const uint8_t *tn;
			const struct znode *t;

			if (z->rrs[i].hide || z->rrs[i].type != type ||
			    !(tn = rr_target(&z->rrs[i], &tl)))
				continue;
			t = zfind(b, tn, tl);
			if (t && t != z)
				ar += put_rrs(&wb, t, DNS_T_A);
		}
	}
	if (wb.err)
		return -E2BIG;
	set->an = (uint16_t)an;
	set->ns = (uint16_t)ns;
	set->ar = (uint16_t)ar;
	set->len = (uint32_t)(wb.len - qend);
	if (*used + set->len > b->scap) {
		size_t cap = (*used + set->len) * 2;
		uint8_t *p = realloc(b->scratch, cap);

		if (!p)
			return -ENOMEM;
		b->scratch = p;
		b->scap = cap;
	}
	memcpy(b->scratch + *used, b->buf + qend, set->len);
	set->tail = (uint8_t *)(uintptr_t)*used;
	*used += set->len;
	return 0;
}

static int rr_cmp(const void *pa, const void *pb)
{
	const struct zrr *a = pa, *b = pb;

	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->rdlen != b->rdlen)
		return a->rdlen < b->rdlen ? -1 : 1;
	return memcmp(a->rd, b->rd, a->rdlen);
}

/* A name's records in one order whatever order their owners came in:
 * sorted, duplicates hidden (two owners may give the same record), a
 * pod's PTR hidden under a service's or endpoint's; SRV weights split
 * 100 across the set. */
static void normalize(struct dns_zone *b, struct znode *z)
{
	bool strong_ptr = false;
	int nsrv = 0;

	for (int i = 0; i < z->nrr; i++)
		if (z->rrs[i].type == DNS_T_SRV)
			dns_put16(z->rrs[i].rd + 2, SRV_WEIGHT);
	if (z->nrr > 1)
		qsort(z->rrs, (size_t)z->nrr, sizeof(*z->rrs), rr_cmp);
	for (int i = 0; i < z->nrr; i++) {
		struct zrr *r = &z->rrs[i];

		r->hide = i > 0 && rr_cmp(&z->rrs[i - 1], r) == 0;
		if (!r->hide && r->type == DNS_T_PTR && !r->weak)
			strong_ptr = true;
	}
	z->chase = false;
	for (int i = 0; i < z->nrr; i++) {
		struct zrr *r = &z->rrs[i];
		size_t tl;
		const uint8_t *tn;

		if (strong_ptr && r->type == DNS_T_PTR && r->weak)
			r->hide = true;
		if (r->hide)
			continue;
		nsrv += r->type == DNS_T_SRV;
		if (r->type == DNS_T_CNAME && (tn = rr_target(r, &tl)) &&
		    apex_of(b->s, tn, tl) >= 0)
			z->chase = true;
	}
	for (int i = 0; i < z->nrr && nsrv > 0; i++)
		if (z->rrs[i].type == DNS_T_SRV)
			dns_put16(z->rrs[i].rd + 2, (uint16_t)(SRV_WEIGHT / nsrv ?: 1));
}

static void add_type(uint16_t *types, int *nt, uint16_t t)
{
	for (int k = 0; k < *nt; k++)
		if (types[k] == t)
			return;
	if (*nt < MAX_SETS - 2)
		types[(*nt)++] = t;
}

/* A node and all its answers in one block. */
static struct dns_node *encode_node(struct dns_zone *b, const struct znode *z)
{
	struct dns_set sets[MAX_SETS];
	uint16_t types[MAX_SETS];
	int nt = 0;
	const struct zrr *c;
	const uint8_t *tn = NULL, *ext = NULL;
	size_t tl = 0, extlen = 0, used = 0, size;
	struct dns_node *n;
	uint8_t *p;

	for (int i = 0; i < z->nrr; i++)
		if (!z->rrs[i].hide)
			add_type(types, &nt, z->rrs[i].type);
	c = find_rr(z, DNS_T_CNAME);
	/* A CNAME to one of ours: the chased answer for each type the
	 * target has; anything else gets the CNAME alone. */
	if (c && (tn = rr_target(c, &tl))) {
		const struct znode *t = zfind(b, tn, tl);

		if (t) {
			for (int i = 0; i < t->nrr; i++)
				if (!t->rrs[i].hide)
					add_type(types, &nt, t->rrs[i].type);
		} else if (apex_of(b->s, tn, tl) < 0) {
			ext = tn;
			extlen = tl;
		}
	}
	if (nt > 1)
		types[nt++] = DNS_T_ANY;
	types[nt++] = 0;
	for (int i = 0; i < nt; i++)
		if (encode_set(b, z, types[i], &sets[i], &used) < 0)
			return NULL;
	size = sizeof(*n) + (size_t)nt * sizeof(*sets) + z->nlen + extlen + used;
	n = malloc(size);
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->sets = (struct dns_set *)(n + 1);
	p = (uint8_t *)(n->sets + nt);
	n->name = p;
	memcpy(p, z->name, z->nlen);
	p += z->nlen;
	if (ext) {
		n->ext = p;
		memcpy(p, ext, extlen);
		n->extlen = (uint16_t)extlen;
		p += extlen;
	}
	memcpy(p, b->scratch, used);
	for (int i = 0; i < nt; i++) {
		n->sets[i] = sets[i];
		n->sets[i].tail = p + (uintptr_t)sets[i].tail;
	}
	n->nsets = (uint16_t)nt;
	n->nlen = z->nlen;
	n->hash = z->hash;
	return n;
}

static int set_apex(struct dns_snap *s, const char *zone, const char *domain, uint32_t serial)
{
	struct dns_apex *a = &s->apex[s->napex];
	uint8_t mname[DNS_MAXNAME + 1], rname[DNS_MAXNAME + 1];
	int n = dns_name_from_str(zone, a->name, sizeof(a->name));
	int ml = wire(mname, "ns.dns.%s", domain);
	int rl = wire(rname, "hostmaster.%s", domain);

	if (n < 0 || ml < 0 || rl < 0)
		return -EINVAL;
	a->len = (uint16_t)n;
	memcpy(a->soa, mname, (size_t)ml);
	memcpy(a->soa + ml, rname, (size_t)rl);
	a->soa_len = (uint16_t)(ml + rl + 20);
	/* serial, refresh, retry, expire, minimum: CoreDNS's figures. */
	dns_put32(a->soa + ml + rl, serial);
	dns_put32(a->soa + ml + rl + 4, 7200);
	dns_put32(a->soa + ml + rl + 8, 1800);
	dns_put32(a->soa + ml + rl + 12, 86400);
	dns_put32(a->soa + ml + rl + 16, DNS_TTL);
	return s->napex++;
}

/* A cluster range and its reverse zone: the whole octets of its prefix
 * ("10.96.0.0/12" -> 10.in-addr.arpa). */
static void add_range(struct dns_snap *s, struct k1s_cidr c, const char *domain, uint32_t serial)
{
	char zone[64];
	struct in_addr a;
	int bits, apex;
	const uint8_t *o;

	if (s->nranges >= 2 || c.bits < 8)
		return;
	bits = c.bits;
	a.s_addr = htonl(c.net);
	o = (const uint8_t *)&a.s_addr;
	switch (bits / 8) {
	case 1:
		snprintf(zone, sizeof(zone), "%u.in-addr.arpa", o[0]);
		break;
	case 2:
		snprintf(zone, sizeof(zone), "%u.%u.in-addr.arpa", o[1], o[0]);
		break;
	default:
		snprintf(zone, sizeof(zone), "%u.%u.%u.in-addr.arpa", o[2], o[1], o[0]);
		break;
	}
	apex = -1;
	for (int i = 1; i < s->napex; i++) {
		uint8_t w[64];
		int n = dns_name_from_str(zone, w, sizeof(w));

		if (n == s->apex[i].len && memcmp(w, s->apex[i].name, (size_t)n) == 0)
			apex = i;
	}
	if (apex < 0 && (apex = set_apex(s, zone, domain, serial)) < 0)
		return;
	s->ranges[s->nranges].mask = bits == 32 ? ~0u : ~(~0u >> bits);
	s->ranges[s->nranges].net = ntohl(a.s_addr) & s->ranges[s->nranges].mask;
	s->ranges[s->nranges].apex = apex;
	s->nranges++;
}


/* ---- snapshots ---- */

/* The table of the last freed snapshot, kept for the next one on this
 * thread: a megabyte or two that need not be faulted in again. */
static __thread struct dns_node **spare;
static __thread size_t spare_size;

static struct dns_node **tab_alloc(size_t size)
{
	struct dns_node **t;

	if (spare && spare_size == size) {
		t = spare;
		spare = NULL;
		return t;
	}
	return malloc(size * sizeof(*t));
}

void dns_snap_free(struct dns_snap *s)
{
	if (!s)
		return;
	while (s->garbage) {
		struct dns_node *n = s->garbage;

		s->garbage = n->next;
		free(n);
	}
	if (s->tab && (!spare || spare_size <= (size_t)s->mask + 1)) {
		free(spare);
		spare = s->tab;
		spare_size = (size_t)s->mask + 1;
	} else {
		free(s->tab);
	}
	free(s);
}

static bool node_is(const struct dns_node *n, const uint8_t *name, size_t nlen, uint32_t h)
{
	return n->hash == h && n->nlen == nlen && memcmp(n->name, name, nlen) == 0;
}

static struct dns_node **tab_slot(struct dns_node **tab, uint32_t mask, const uint8_t *name,
				  size_t nlen, uint32_t h)
{
	uint32_t i = h & mask;

	while (tab[i] && !node_is(tab[i], name, nlen, h))
		i = (i + 1) & mask;
	return &tab[i];
}

/* Linear probing's deletion: later entries of the run move back into
 * the hole unless their home lies after it. */
static void tab_del(struct dns_node **tab, uint32_t mask, uint32_t i)
{
	uint32_t j = i, k;

	for (;;) {
		tab[i] = NULL;
		for (;;) {
			j = (j + 1) & mask;
			if (!tab[j])
				return;
			k = tab[j]->hash & mask;
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		tab[i] = tab[j];
		i = j;
	}
}

/* A node the last snapshot (and older ones) may still show: freed with
 * the last snapshot, once the loops have all moved past it. */
static void retire(struct dns_zone *b, struct dns_node *n)
{
	if (!n)
		return;
	if (b->last) {
		n->next = b->last->garbage;
		b->last->garbage = n;
	} else {
		free(n);
	}
}

static void free_znode(struct znode *z)
{
	free(z->rrs);
	free(z);
}

struct dns_snap *dns_zone_snap(struct dns_zone *b)
{
	struct dns_snap *s;
	struct znode *z, **pp;
	size_t size = 64;
	bool copy;

	if (b->oom || !(s = calloc(1, sizeof(*s))))
		return NULL;
	memcpy(s->apex, b->tmpl.apex, sizeof(s->apex));
	s->napex = b->tmpl.napex;
	memcpy(s->ranges, b->tmpl.ranges, sizeof(s->ranges));
	s->nranges = b->tmpl.nranges;
	while (size < (size_t)b->n * 2)
		size *= 2;
	s->mask = (uint32_t)size - 1;
	s->tab = tab_alloc(size);
	if (!s->tab)
		goto fail;
	copy = b->last && b->last->mask == s->mask;
	if (copy)
		memcpy(s->tab, b->last->tab, size * sizeof(*s->tab));
	else
		memset(s->tab, 0, size * sizeof(*s->tab));

	for (z = b->dirty; z; z = z->dnext)
		if (!z->dead) {
			normalize(b, z);
			if (z->chase && !z->in_chase) {
				z->in_chase = true;
				z->cnext = b->chase;
				b->chase = z;
			}
		}
	/* A CNAME's answers hold its target's records, maybe another owner's. */
	for (pp = &b->chase; (z = *pp);) {
		if (z->dead || !z->chase) {
			*pp = z->cnext;
			z->in_chase = false;
			continue;
		}
		mark_dirty(b, z);
		pp = &z->cnext;
	}
	/* Names gone first: one may come back in the same batch as a new node. */
	for (z = b->dirty; z; z = z->dnext) {
		if (!z->dead || !z->enc)
			continue;
		if (copy) {
			struct dns_node **slot = tab_slot(s->tab, s->mask, z->name, z->nlen, z->hash);

			if (*slot == z->enc)
				tab_del(s->tab, s->mask, (uint32_t)(slot - s->tab));
		}
		retire(b, z->enc);
		z->enc = NULL;
	}
	for (z = b->dirty; z; z = z->dnext) {
		struct dns_node *n;

		if (z->dead)
			continue;
		n = encode_node(b, z);
		if (!n)
			goto fail;
		if (copy)
			*tab_slot(s->tab, s->mask, z->name, z->nlen, z->hash) = n;
		retire(b, z->enc);
		z->enc = n;
	}
	if (!copy)
		for (z = b->list; z; z = z->lnext)
			*tab_slot(s->tab, s->mask, z->name, z->nlen, z->hash) = z->enc;
	while ((z = b->dirty)) {
		b->dirty = z->dnext;
		z->dirty = false;
		if (z->dead)
			free_znode(z);
	}
	s->nnodes = b->n;
	b->last = s;
	return s;
fail:
	/* The zone is left as it was or half changed: the caller starts a
	 * new one. */
	b->oom = true;
	dns_snap_free(s);
	return NULL;
}

struct dns_zone *dns_zone_new(const struct dns_zone_cfg *cfg)
{
	struct dns_zone *b = calloc(1, sizeof(*b));
	uint8_t n[DNS_MAXNAME + 1], t[DNS_MAXNAME + 1], txt[6] = "\0051.1.0";
	struct dns_snap *s;
	struct in_addr ip;
	int nl, tl;

	if (!b)
		return NULL;
	b->cfgv = *cfg;
	b->cfg = &b->cfgv;
	b->s = s = &b->tmpl;
	b->zmask = 255;
	b->ztab = calloc(256, sizeof(*b->ztab));
	b->svcs.mask = b->pods.mask = 255;
	b->svcs.tab = calloc(256, sizeof(*b->svcs.tab));
	b->pods.tab = calloc(256, sizeof(*b->pods.tab));
	b->buf = malloc(65536);
	if (!b->ztab || !b->svcs.tab || !b->pods.tab || !b->buf ||
	    set_apex(s, cfg->domain, cfg->domain, cfg->serial) < 0)
		goto fail;
	add_range(s, cfg->service_net.bits ? cfg->service_net : (struct k1s_cidr){0x0a600000, 12},
		  cfg->domain, cfg->serial);
	add_range(s, cfg->pod_net.bits ? cfg->pod_net : (struct k1s_cidr){0x0af40000, 16},
		  cfg->domain, cfg->serial);

	/* Each apex (the domain, the reverse zones): SOA and NS; and the
	 * name server's address. */
	tl = wire(t, "ns.dns.%s", cfg->domain);
	for (int i = 0; i < s->napex; i++) {
		zadd(b, s->apex[i].name, s->apex[i].len, DNS_T_SOA, s->apex[i].soa,
		     s->apex[i].soa_len, 0);
		add_name_rr(b, s->apex[i].name, s->apex[i].len, DNS_T_NS, t, tl);
	}
	if (parse_ip(cfg->ip, &ip))
		add_a(b, t, tl, ip);
	nl = wire(n, "dns-version.%s", cfg->domain);
	if (nl > 0)
		zadd(b, n, (size_t)nl, DNS_T_TXT, txt, sizeof(txt), -1);
	if (b->oom)
		goto fail;
	return b;
fail:
	dns_zone_free(b);
	return NULL;
}

void dns_zone_free(struct dns_zone *b)
{
	struct znode *z;

	if (!b)
		return;
	while ((z = b->dirty)) {
		b->dirty = z->dnext;
		if (z->dead) {
			retire(b, z->enc);
			free_znode(z);
		}
	}
	while ((z = b->list)) {
		b->list = z->lnext;
		retire(b, z->enc);
		free_znode(z);
	}
	zmap_free(&b->svcs);
	zmap_free(&b->pods);
	zmem_free(&b->mem);
	free(b->ztab);
	free(b->buf);
	free(b->scratch);
	free(b);
}

/* Recompiles one owner: its old records out, its new ones in. */
static int set_owner(struct dns_zone *b, struct zmap *m, const char *key, const json_t *obj,
		     const json_t *ep, bool pod)
{
	struct zown *o = zmap_get(m, key, obj != NULL);

	if (!o) {
		if (obj)
			b->oom = true;
		return b->oom ? -ENOMEM : 0;
	}
	own_clear(b, o);
	if (!obj) {
		zmap_del(m, o);
		return b->oom ? -ENOMEM : 0;
	}
	o->stamp = ++b->stamp;
	b->cur = o;
	if (pod)
		add_pod(b, obj);
	else
		add_service(b, obj, ep);
	b->cur = NULL;
	if (o->n == 0)
		zmap_del(m, o);	/* nothing to serve: a pod without an address */
	return b->oom ? -ENOMEM : 0;
}

int dns_zone_set_service(struct dns_zone *b, const char *key, const json_t *svc,
			 const json_t *ep)
{
	return set_owner(b, &b->svcs, key, svc, ep, false);
}

int dns_zone_set_pod(struct dns_zone *b, const char *key, const json_t *pod)
{
	return set_owner(b, &b->pods, key, pod, NULL, true);
}

struct dns_snap *dns_zone_build(const struct dns_zone_cfg *cfg, const json_t *svcs,
				const json_t *eps, const json_t *pods)
{
	struct dns_zone *b = dns_zone_new(cfg);
	struct dns_snap *s;
	const char *key;
	json_t *v;

	if (!b)
		return NULL;
	json_object_foreach((json_t *)svcs, key, v)
		dns_zone_set_service(b, key, v, eps ? json_object_get(eps, key) : NULL);
	json_object_foreach((json_t *)pods, key, v)
		dns_zone_set_pod(b, key, v);
	s = dns_zone_snap(b);
	/* Its nodes now belong to the snapshot alone. */
	dns_zone_free(b);
	return s;
}

/* ---- answering ---- */

const struct dns_node *dns_zone_find(const struct dns_snap *s, const uint8_t *name,
				     size_t nlen, uint32_t hash)
{
	uint32_t i = hash & s->mask;
	const struct dns_node *n;

	while ((n = s->tab[i])) {
		if (node_is(n, name, nlen, hash))
			return n;
		i = (i + 1) & s->mask;
	}
	return NULL;
}

/* A full reverse name d.c.b.a.in-addr.arpa in one of the cluster ranges:
 * the index of its apex, or -1 (then it is the world's to answer). */
static int reverse_apex(const struct dns_snap *s, const uint8_t *name, size_t nlen)
{
	static const uint8_t arpa[] = "\007in-addr\004arpa";
	uint32_t ip = 0;
	size_t i = 0;

	for (int k = 0; k < 4; k++) {
		uint32_t v = 0;
		uint8_t l = name[i];

		if (l == 0 || l > 3 || i + 1 + l >= nlen)
			return -1;
		for (uint8_t j = 1; j <= l; j++) {
			if (name[i + j] < '0' || name[i + j] > '9')
				return -1;
			v = v * 10 + (uint32_t)(name[i + j] - '0');
		}
		if (v > 255)
			return -1;
		ip |= v << (8 * k);
		i += 1 + (size_t)l;
	}
	if (nlen - i != sizeof(arpa) || memcmp(name + i, arpa, sizeof(arpa)) != 0)
		return -1;
	for (int k = 0; k < s->nranges; k++)
		if ((ip & s->ranges[k].mask) == s->ranges[k].net)
			return s->ranges[k].apex;
	return -1;
}

static size_t udp_limit(const struct dns_q *q)
{
	if (!q->edns)
		return 512;
	return q->udp_size < DNS_UDP_MAX ? q->udp_size : DNS_UDP_MAX;
}

int dns_answer(const struct dns_snap *s, const uint8_t *pkt, size_t plen, uint8_t *out,
	       size_t cap, size_t limit, struct dns_q *q, const struct dns_node **ext)
{
	int rc = dns_parse_query(pkt, plen, q);
	const struct dns_node *node;
	const struct dns_set *set;
	size_t qlen, n;
	int off = -1, apex = 0;

	*ext = NULL;
	if (rc < 0)
		return 0;
	if (rc > 0)
		return (int)dns_resp_empty(pkt, plen, q, q->qend != 0, rc, 0, out, cap);
	if (!limit)
		limit = udp_limit(q);
	if (limit > cap)
		limit = cap;
	if (q->qclass != DNS_C_IN && q->qclass != DNS_C_ANY)
		return (int)dns_resp_empty(pkt, plen, q, true, DNS_RC_REFUSED, 0, out, cap);
	/* Zone transfers are not offered; OPT is no question (RFC 6891 6.1.1). */
	if (q->qtype == 251 || q->qtype == 252)
		return (int)dns_resp_empty(pkt, plen, q, true, DNS_RC_REFUSED, 0, out, cap);
	if (q->qtype == DNS_T_OPT)
		return (int)dns_resp_empty(pkt, plen, q, true, DNS_RC_FORMERR, 0, out, cap);
	if (!s)
		return (int)dns_resp_empty(pkt, plen, q, true, DNS_RC_SERVFAIL, 0, out, cap);
	qlen = (size_t)q->qend - DNS_HDR;
	node = dns_zone_find(s, q->name, q->nlen, q->hash);
	if (node) {
		set = &node->sets[node->nsets - 1];
		for (int i = 0; i < node->nsets - 1; i++)
			if (node->sets[i].type == q->qtype) {
				set = &node->sets[i];
				break;
			}
		/* ANY at a name of one type: that type's set (no ANY set kept). */
		if (q->qtype == DNS_T_ANY && set->type == 0 && node->nsets == 2)
			set = &node->sets[0];
		n = DNS_HDR + qlen + set->len + (q->edns ? 11 : 0);
		if (n > limit)
			return (int)dns_resp_empty(pkt, plen, q, true, 0, DNS_F_AA | DNS_F_TC, out,
						   cap);
		dns_hdr(out, q->id, q->flags, DNS_F_AA | DNS_F_RA, set->rcode, 1, set->an,
			set->ns, (uint16_t)(set->ar + q->edns));
		memcpy(out + DNS_HDR, pkt + DNS_HDR, qlen);
		memcpy(out + DNS_HDR + qlen, set->tail, set->len);
		if (q->edns)
			dns_opt(out + DNS_HDR + qlen + set->len, 0);
		if (node->ext && q->qtype != DNS_T_CNAME && set->type == 0)
			*ext = node;
		return (int)n;
	}
	off = dns_name_suffix(q->name, q->nlen, s->apex[0].name, s->apex[0].len);
	if (off < 0) {
		apex = reverse_apex(s, q->name, q->nlen);
		if (apex < 0)
			return DNS_FORWARD;
		off = dns_name_suffix(q->name, q->nlen, s->apex[apex].name, s->apex[apex].len);
		if (off < 0)
			return DNS_FORWARD;
	}
	/* NXDOMAIN: the SOA of the apex in authority, owned by the
	 * question's own tail. */
	{
		const struct dns_apex *a = &s->apex[apex];
		uint8_t *p;

		n = DNS_HDR + qlen + 12 + a->soa_len + (q->edns ? 11 : 0);
		if (n > limit)
			return (int)dns_resp_empty(pkt, plen, q, true, DNS_RC_NXDOMAIN,
						   DNS_F_AA | DNS_F_TC, out, cap);
		dns_hdr(out, q->id, q->flags, DNS_F_AA | DNS_F_RA, DNS_RC_NXDOMAIN, 1, 0, 1,
			q->edns);
		memcpy(out + DNS_HDR, pkt + DNS_HDR, qlen);
		p = out + DNS_HDR + qlen;
		dns_put16(p, (uint16_t)(0xc000 | (DNS_HDR + off)));
		dns_put16(p + 2, DNS_T_SOA);
		dns_put16(p + 4, DNS_C_IN);
		dns_put32(p + 6, DNS_TTL);
		dns_put16(p + 10, a->soa_len);
		memcpy(p + 12, a->soa, a->soa_len);
		if (q->edns)
			dns_opt(p + 12 + a->soa_len, 0);
		return (int)n;
	}
}
