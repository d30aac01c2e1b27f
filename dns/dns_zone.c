/* The zone snapshot: every name the cluster domain holds, from Services,
 * Endpoints and Pods (Kubernetes DNS-based service discovery, schema
 * 1.1.0), in a hash of lower-cased wire names, each with its answers
 * encoded ahead of time. Answering a query is then a parse, one lookup
 * and a copy; only NXDOMAIN is written per query, as its SOA's owner
 * points into the question.
 *
 * Built on the control side, read by the server loops; immutable once
 * built. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_int.h"
#include "k1s_json.h"

#define SRV_PRIO	0
#define SRV_WEIGHT	100	/* split across a set, as CoreDNS does */
#define CNAME_HOPS	8
/* Under malloc's mmap threshold: memory reused, not faulted in anew. */
#define CHUNK		(64 * 1024 - 64)

/* ---- arenas: a build's scratch and a snapshot's whole memory are freed
 * at once; one malloc per 64 KiB instead of several per name ---- */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

/* Chunks of retired zones, kept for the next build on this thread: a
 * zone's memory, once touched, need not be faulted in again (the C
 * library would hand it back to the kernel). Bounded by POOL_MAX. */
#define POOL_MAX 1024
static __thread struct chunk *pool;
static __thread int npool;

static void *ar_alloc(struct chunk **head, size_t n)
{
	struct chunk *c = *head;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->used + n > c->cap) {
		size_t cap = n > CHUNK ? n : CHUNK;

		if (cap == CHUNK && pool) {
			c = pool;
			pool = c->next;
			npool--;
		} else {
			c = malloc(sizeof(*c) + cap);
		}
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

static void ar_free(struct chunk *c)
{
	while (c) {
		struct chunk *n = c->next;

		if (c->cap == CHUNK && npool < POOL_MAX) {
			c->next = pool;
			pool = c;
			npool++;
		} else {
			free(c);
		}
		c = n;
	}
}

/* ---- building ---- */

struct zrr {
	uint16_t type, rdlen;
	int16_t name_at;	/* where a (last) name starts in rd, or -1 */
	uint8_t *rd;
};

struct znode {
	struct znode *hnext, *lnext;
	uint32_t hash;
	uint16_t nlen;
	int apex;
	int nrr, cap;
	struct zrr *rrs;
	uint8_t name[];
};

struct zb {
	const struct dns_zone_cfg *cfg;
	struct dns_snap *s;
	uint32_t zmask, n;
	struct znode **ztab;
	struct znode *list;
	bool oom;
	struct chunk *ar;	/* znodes and their records */
	uint8_t *buf;		/* 64 KiB scratch for encoding sets */
};

static struct znode **zslot(struct zb *b, const uint8_t *name, size_t nlen, uint32_t h)
{
	struct znode **pp = &b->ztab[h & b->zmask];

	while (*pp && !((*pp)->hash == h && (*pp)->nlen == nlen &&
			memcmp((*pp)->name, name, nlen) == 0))
		pp = &(*pp)->hnext;
	return pp;
}

static struct znode *zfind(struct zb *b, const uint8_t *name, size_t nlen)
{
	return *zslot(b, name, nlen, dns_name_hash(name, nlen));
}

static void zgrow(struct zb *b)
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

/* The node for a name, created with every missing ancestor up to its
 * apex: those are empty non-terminals, NODATA rather than NXDOMAIN. */
static struct znode *znode_get(struct zb *b, const uint8_t *name, size_t nlen)
{
	uint32_t h = dns_name_hash(name, nlen);
	struct znode **pp = zslot(b, name, nlen, h), *z;
	int apex;

	if (*pp)
		return *pp;
	apex = apex_of(b->s, name, nlen);
	if (apex < 0 || nlen > DNS_MAXNAME)
		return NULL;
	z = ar_alloc(&b->ar, sizeof(*z) + nlen);
	if (!z) {
		b->oom = true;
		return NULL;
	}
	memset(z, 0, sizeof(*z));
	memcpy(z->name, name, nlen);
	z->nlen = (uint16_t)nlen;
	z->hash = h;
	z->apex = apex;
	*pp = z;
	z->lnext = b->list;
	b->list = z;
	if (++b->n > b->zmask)
		zgrow(b);
	if (nlen > b->s->apex[apex].len)
		znode_get(b, name + name[0] + 1, nlen - name[0] - 1u);
	return z;
}

static void zadd(struct zb *b, const uint8_t *name, size_t nlen, uint16_t type,
		 const void *rd, size_t rdlen, int name_at)
{
	struct znode *z = znode_get(b, name, nlen);
	struct zrr *r;

	if (!z)
		return;
	for (int i = 0; i < z->nrr; i++)
		if (z->rrs[i].type == type && z->rrs[i].rdlen == rdlen &&
		    memcmp(z->rrs[i].rd, rd, rdlen) == 0)
			return;
	if (z->nrr == z->cap) {
		int cap = z->cap ? z->cap * 2 : 2;
		struct zrr *p = ar_alloc(&b->ar, (size_t)cap * sizeof(*z->rrs));

		if (!p) {
			b->oom = true;
			return;
		}
		if (z->nrr)
			memcpy(p, z->rrs, (size_t)z->nrr * sizeof(*p));
		z->rrs = p;
		z->cap = cap;
	}
	r = &z->rrs[z->nrr];
	r->rd = ar_alloc(&b->ar, rdlen ? rdlen : 1);
	if (!r->rd) {
		b->oom = true;
		return;
	}
	memcpy(r->rd, rd, rdlen);
	r->type = type;
	r->rdlen = (uint16_t)rdlen;
	r->name_at = (int16_t)name_at;
	z->nrr++;
}

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

static void add_a(struct zb *b, const uint8_t *name, int nlen, struct in_addr ip)
{
	if (nlen > 0)
		zadd(b, name, (size_t)nlen, DNS_T_A, &ip, 4, -1);
}

static void add_name_rr(struct zb *b, const uint8_t *name, int nlen, uint16_t type,
			const uint8_t *target, int tlen)
{
	if (nlen > 0 && tlen > 0)
		zadd(b, name, (size_t)nlen, type, target, (size_t)tlen, 0);
}

static void add_srv(struct zb *b, const uint8_t *name, int nlen, int port,
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
 * belongs to the world. `only_if_none` leaves a name already given alone. */
static void add_ptr(struct zb *b, struct in_addr ip, const uint8_t *target, int tlen,
		    bool only_if_none)
{
	const uint8_t *o = (const uint8_t *)&ip.s_addr;
	uint8_t rev[DNS_MAXNAME + 1];
	int n;
	struct znode *z;

	if (!in_range(b->s, ip))
		return;
	n = wire(rev, "%u.%u.%u.%u.in-addr.arpa", o[3], o[2], o[1], o[0]);
	if (n < 0)
		return;
	if (only_if_none && (z = zfind(b, rev, (size_t)n)))
		for (int i = 0; i < z->nrr; i++)
			if (z->rrs[i].type == DNS_T_PTR)
				return;
	add_name_rr(b, rev, n, DNS_T_PTR, target, tlen);
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

static void add_endpoint(struct zb *b, const uint8_t *svc, int slen, const char *svcname,
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

static void add_service(struct zb *b, const json_t *svc, const json_t *ep)
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
static void add_pod(struct zb *b, const json_t *pod)
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
		if (type == DNS_T_ANY || z->rrs[i].type == type) {
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
		if (z->rrs[i].type == type)
			return &z->rrs[i];
	return NULL;
}

static void put_soa(struct zb *b, struct dns_wb *wb, int apex)
{
	const struct dns_apex *a = &b->s->apex[apex];
	struct zrr r = {DNS_T_SOA, a->soa_len, 0, (uint8_t *)a->soa};

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

/* One set: the answer to `type` at z (0: to any type z has nothing of). */
static int encode_set(struct zb *b, const struct znode *z, uint16_t type, struct dns_set *set,
		      struct chunk **arena)
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

			if (z->rrs[i].type != type || !(tn = rr_target(&z->rrs[i], &tl)))
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
	set->tail = ar_alloc(arena, set->len ? set->len : 1);
	if (!set->tail)
		return -ENOMEM;
	memcpy(set->tail, b->buf + qend, set->len);
	return 0;
}

/* SRV weights split 100 across a set's records. */
static void srv_weights(struct znode *z)
{
	int n = 0;

	for (int i = 0; i < z->nrr; i++)
		n += z->rrs[i].type == DNS_T_SRV;
	for (int i = 0; i < z->nrr && n > 0; i++)
		if (z->rrs[i].type == DNS_T_SRV)
			dns_put16(z->rrs[i].rd + 2, (uint16_t)(SRV_WEIGHT / n ?: 1));
}

static struct dns_node *encode_node(struct zb *b, struct znode *z, struct chunk **ar)
{
	struct dns_node *n = ar_alloc(ar, sizeof(*n));
	uint16_t types[16];
	int nt = 0;
	const struct zrr *c;
	size_t tl;
	const uint8_t *tn;

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	srv_weights(z);
	for (int i = 0; i < z->nrr; i++) {
		bool seen = false;

		for (int k = 0; k < nt; k++)
			seen |= types[k] == z->rrs[i].type;
		if (!seen && nt < 14)
			types[nt++] = z->rrs[i].type;
	}
	c = find_rr(z, DNS_T_CNAME);
	/* A CNAME to one of ours: the chased answer for each type the
	 * target has; anything else gets the CNAME alone. */
	if (c && (tn = rr_target(c, &tl))) {
		const struct znode *t = zfind(b, tn, tl);

		if (t) {
			for (int i = 0; i < t->nrr && nt < 14; i++) {
				bool seen = false;

				for (int k = 0; k < nt; k++)
					seen |= types[k] == t->rrs[i].type;
				if (!seen)
					types[nt++] = t->rrs[i].type;
			}
		} else if (apex_of(b->s, tn, tl) < 0) {
			n->ext = ar_alloc(ar, tl);
			if (!n->ext)
				return NULL;
			memcpy(n->ext, tn, tl);
			n->extlen = (uint16_t)tl;
		}
	}
	if (nt > 1)
		types[nt++] = DNS_T_ANY;
	types[nt++] = 0;
	n->name = ar_alloc(ar, z->nlen);
	n->sets = ar_alloc(ar, (size_t)nt * sizeof(*n->sets));
	if (!n->name || !n->sets)
		return NULL;
	memcpy(n->name, z->name, z->nlen);
	n->nlen = z->nlen;
	n->hash = z->hash;
	for (int i = 0; i < nt; i++) {
		if (encode_set(b, z, types[i], &n->sets[i], ar) < 0)
			return NULL;
		n->nsets++;
	}
	return n;
}

void dns_snap_free(struct dns_snap *s)
{
	if (!s)
		return;
	ar_free(s->arena);
	free(s->tab);
	free(s);
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
static void add_range(struct dns_snap *s, const char *cidr, const char *domain, uint32_t serial)
{
	char buf[64], zone[64], *slash;
	struct in_addr a;
	int bits, apex;
	const uint8_t *o;

	if (!cidr || s->nranges >= 2)
		return;
	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (!slash)
		return;
	*slash = 0;
	bits = atoi(slash + 1);
	if (!parse_ip(buf, &a) || bits < 8 || bits > 32)
		return;
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

static void zb_free(struct zb *b)
{
	ar_free(b->ar);
	free(b->ztab);
	free(b->buf);
}

struct dns_snap *dns_zone_build(const struct dns_zone_cfg *cfg, const json_t *svcs,
				const json_t *eps, const json_t *pods)
{
	struct zb b = {.cfg = cfg, .zmask = 255};
	struct dns_snap *s = calloc(1, sizeof(*s));
	uint8_t n[DNS_MAXNAME + 1], t[DNS_MAXNAME + 1], txt[6] = "\0051.1.0";
	const char *key;
	json_t *v;
	struct in_addr ip;
	int nl, tl;
	uint32_t size = 64;

	b.s = s;
	b.ztab = calloc(256, sizeof(*b.ztab));
	b.buf = malloc(65536);
	if (!s || !b.ztab || !b.buf || set_apex(s, cfg->domain, cfg->domain, cfg->serial) < 0)
		goto fail;
	add_range(s, cfg->service_cidr ?: "10.96.0.0/12", cfg->domain, cfg->serial);
	add_range(s, cfg->pod_cidr ?: "10.244.0.0/16", cfg->domain, cfg->serial);

	/* Each apex (the domain, the reverse zones): SOA and NS; and the
	 * name server's address. */
	tl = wire(t, "ns.dns.%s", cfg->domain);
	for (int i = 0; i < s->napex; i++) {
		zadd(&b, s->apex[i].name, s->apex[i].len, DNS_T_SOA, s->apex[i].soa,
		     s->apex[i].soa_len, 0);
		add_name_rr(&b, s->apex[i].name, s->apex[i].len, DNS_T_NS, t, tl);
	}
	if (parse_ip(cfg->ip, &ip))
		add_a(&b, t, tl, ip);
	nl = wire(n, "dns-version.%s", cfg->domain);
	if (nl > 0)
		zadd(&b, n, (size_t)nl, DNS_T_TXT, txt, sizeof(txt), -1);

	json_object_foreach((json_t *)svcs, key, v)
		add_service(&b, v, eps ? json_object_get(eps, key) : NULL);
	json_object_foreach((json_t *)pods, key, v)
		add_pod(&b, v);
	if (b.oom)
		goto fail;

	while (size < b.n * 2)
		size *= 2;
	s->mask = size - 1;
	s->tab = calloc(size, sizeof(*s->tab));
	if (!s->tab)
		goto fail;
	for (struct znode *z = b.list; z; z = z->lnext) {
		struct dns_node *dn = encode_node(&b, z, (struct chunk **)&s->arena);

		if (!dn)
			goto fail;
		dn->next = s->tab[dn->hash & s->mask];
		s->tab[dn->hash & s->mask] = dn;
		s->nnodes++;
	}
	zb_free(&b);
	return s;
fail:
	zb_free(&b);
	dns_snap_free(s);
	return NULL;
}

/* ---- answering ---- */

const struct dns_node *dns_zone_find(const struct dns_snap *s, const uint8_t *name,
				     size_t nlen, uint32_t hash)
{
	const struct dns_node *n = s->tab[hash & s->mask];

	while (n && !(n->hash == hash && n->nlen == nlen && memcmp(n->name, name, nlen) == 0))
		n = n->next;
	return n;
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
