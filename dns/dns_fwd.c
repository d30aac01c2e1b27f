/* Forwarding: names that are not the cluster's go to the host's upstream
 * resolvers (from resolv.conf), each over its own connected UDP socket so
 * that a closed port comes back at once as ECONNREFUSED. A query waits
 * DNS_FWD_TRY_MS for an upstream, then moves to the next; with none left
 * the client gets SERVFAIL, never silence. Answers are cached as long as
 * their TTLs say (at most an hour), with the TTLs counted down. An answer
 * truncated over UDP is asked again over TCP, by a helper thread of the
 * forwarder's own (blocking I/O, rare), which hands the answer back
 * through an eventfd the loop reads.
 *
 * One forwarder per server loop: sockets and pending queries are the
 * loop's own. The cache is shared by the loops, behind a lock: a client's
 * next query may land on any loop, and this path waits on the network
 * anyway; the cluster's own names never come here. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns_int.h"
#include "k1s_list.h"
#include "k1s_log.h"
#include "k1s_loop.h"

#define DNS_FWD_TRY_MS	2000
#define DNS_FWD_MAX	4096		/* pending queries per loop */
#define DNS_CACHE_MAX	8192		/* cached answers per loop */
#define DNS_CACHE_TTL	3600		/* seconds, at most */
#define DNS_CACHE_RRS	48

struct pend {
	struct k1s_list link;			/* by deadline */
	uint16_t id, cid, cflags;
	int up, tries;
	bool gone;			/* the client left: answer no one */
	bool tcp;			/* asked again over TCP */
	uint32_t tcp_seq;
	int64_t deadline;
	struct dns_client c;
	uint16_t qtype, qclass;
	bool edns, do_bit;
	uint16_t nlen, qlen;		/* asked name; client's question bytes */
	uint8_t name[DNS_MAXNAME + 1];	/* asked upstream, lower case */
	uint8_t cq[DNS_MAXNAME + 5];	/* the client's question, as sent */
	uint8_t *cname;			/* ExternalName chase: our part */
	size_t clen;
	uint16_t qpkt_len;
	uint8_t qpkt[DNS_HDR + DNS_MAXNAME + 5 + 11];
};

struct centry {
	struct centry *hnext;
	struct k1s_list link;			/* oldest first */
	uint32_t hash;
	uint16_t qtype, qclass, nlen, len, nttl;
	uint8_t flags;
	int64_t born, expire;
	uint16_t ttl_off[DNS_CACHE_RRS];
	uint8_t name[DNS_MAXNAME + 1];
	uint8_t *pkt;
};

#define CACHE_BUCKETS 8192

struct dns_cache {
	pthread_mutex_t mu;
	struct centry *tab[CACHE_BUCKETS];
	struct k1s_list fifo;
	int n;
};

/* A question for the TCP helper, and then its answer. */
struct tcpjob {
	struct tcpjob *next;
	uint32_t seq;
	uint16_t id, qlen;
	struct sockaddr_in addr;
	uint8_t *ans;
	size_t alen;
	uint8_t q[DNS_HDR + DNS_MAXNAME + 5 + 11];
};

struct dns_fwd {
	struct dns_upstreams up;
	/* The TCP helper: started on the first truncated answer. */
	pthread_t th;
	bool th_started, th_stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct tcpjob *todo, *done;
	uint32_t seq;
	int efd;
	int fds[DNS_MAX_UPSTREAMS];
	dns_reply_fn reply;
	void *arg;
	struct pend *byid[65536];
	struct k1s_list pending;
	int npend;
	uint64_t rnd;
	struct dns_cache *cache;
	uint8_t buf[65536];	/* an upstream answer, or a cached one */
	uint8_t obuf[65536];	/* a chased answer composed from buf */
};

static uint16_t rnd16(struct dns_fwd *f)
{
	/* xorshift64*, seeded from getrandom: IDs a spoofer cannot guess
	 * from earlier ones without seeing our traffic. */
	f->rnd ^= f->rnd >> 12;
	f->rnd ^= f->rnd << 25;
	f->rnd ^= f->rnd >> 27;
	return (uint16_t)((f->rnd * 0x2545F4914F6CDD1Dull) >> 48);
}

/* Whether `a` is one of this host's addresses (for a listener on 0.0.0.0). */
static bool host_addr(struct in_addr a)
{
	struct ifaddrs *ifs, *i;
	bool found = (ntohl(a.s_addr) >> 24) == 127;

	if (found || getifaddrs(&ifs) < 0)
		return found;
	for (i = ifs; i && !found; i = i->ifa_next)
		found = i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
			((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == a.s_addr;
	freeifaddrs(ifs);
	return found;
}

int dns_read_resolv(const char *path, const struct sockaddr_in *self, int nself,
		    struct dns_upstreams *up)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;

	up->n = 0;
	if (!fp)
		return -errno;
	/* Whole lines of any length, read as glibc's resolv/res_init.c reads
	 * them: "nameserver" at the start of a line, then a blank, and the
	 * address up to the next blank (trailing words are ignored). */
	while (getline(&line, &cap, fp) >= 0 && up->n < DNS_MAX_UPSTREAMS) {
		char *addr = line + 10;
		struct in_addr a;
		bool mine = false;

		if (strncmp(line, "nameserver", 10) != 0 || (*addr != ' ' && *addr != '\t'))
			continue;
		addr += strspn(addr, " \t");
		addr[strcspn(addr, " \t\n")] = '\0';
		if (inet_pton(AF_INET, addr, &a) != 1)
			continue;	/* IPv6 upstreams: not served here yet */
		for (int i = 0; i < nself; i++)
			mine |= self[i].sin_port == htons(53) &&
				(self[i].sin_addr.s_addr == a.s_addr ||
				 (self[i].sin_addr.s_addr == htonl(INADDR_ANY) && host_addr(a)));
		if (mine) {
			k1s_info("dns", "upstream %s is this server: skipped", addr);
			continue;
		}
		memset(&up->addr[up->n], 0, sizeof(up->addr[0]));
		up->addr[up->n].sin_family = AF_INET;
		up->addr[up->n].sin_addr = a;
		up->addr[up->n].sin_port = htons(53);
		up->n++;
	}
	free(line);
	fclose(fp);
	return 0;
}

struct dns_cache *dns_cache_new(void)
{
	struct dns_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	k1s_list_init(&c->fifo);
	return c;
}

void dns_cache_free(struct dns_cache *c)
{
	if (!c)
		return;
	while (c->fifo.next != &c->fifo) {
		struct centry *e = k1s_list_entry(c->fifo.next, struct centry, link);

		k1s_list_del(&e->link);
		free(e->pkt);
		free(e);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

struct dns_fwd *dns_fwd_new(const struct dns_upstreams *up, struct dns_cache *cache,
			    dns_reply_fn reply, void *arg)
{
	struct dns_fwd *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->cache = cache;
	f->up = *up;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->reply = reply;
	f->arg = arg;
	k1s_list_init(&f->pending);
	if (getrandom(&f->rnd, sizeof(f->rnd), 0) != sizeof(f->rnd) || !f->rnd)
		f->rnd = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)f;
	/* A socket for every upstream there may be: a new resolv.conf
	 * connects them elsewhere, under the receives already armed. One not
	 * connected is not bound either, and hears nothing. */
	for (int i = 0; i < DNS_MAX_UPSTREAMS; i++)
		f->fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	f->up.n = 0;
	dns_fwd_set_upstreams(f, up, 0);
	return f;
}

static void pend_free(struct dns_fwd *f, struct pend *p)
{
	f->byid[p->id] = NULL;
	k1s_list_del(&p->link);
	f->npend--;
	free(p->cname);
	free(p);
}

void dns_fwd_free(struct dns_fwd *f)
{
	if (!f)
		return;
	if (f->th_started) {
		pthread_mutex_lock(&f->mu);
		f->th_stop = true;
		pthread_cond_signal(&f->cv);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->th, NULL);
	}
	for (struct tcpjob *j = f->todo, *n; j; j = n) {
		n = j->next;
		free(j);
	}
	for (struct tcpjob *j = f->done, *n; j; j = n) {
		n = j->next;
		free(j->ans);
		free(j);
	}
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	if (f->efd >= 0)
		close(f->efd);
	while (f->pending.next != &f->pending)
		pend_free(f, k1s_list_entry(f->pending.next, struct pend, link));
	for (int i = 0; i < DNS_MAX_UPSTREAMS; i++)
		if (f->fds[i] >= 0)
			close(f->fds[i]);
	free(f);
}

int dns_fwd_nfds(const struct dns_fwd *f)
{
	return DNS_MAX_UPSTREAMS;
}

int dns_fwd_fd(const struct dns_fwd *f, int i)
{
	return f->fds[i];
}

static void fail_over(struct dns_fwd *f, struct pend *p, int64_t now);

void dns_fwd_set_upstreams(struct dns_fwd *f, const struct dns_upstreams *up, int64_t now)
{
	struct sockaddr_in none = {.sin_family = AF_UNSPEC};
	struct k1s_list *l, *n;

	for (int i = 0; i < DNS_MAX_UPSTREAMS; i++) {
		if (f->fds[i] < 0)
			continue;
		if (i >= up->n) {
			if (i < f->up.n)	/* dissolve the association */
				connect(f->fds[i], (struct sockaddr *)&none, sizeof(none));
			continue;
		}
		if (connect(f->fds[i], (const struct sockaddr *)&up->addr[i],
			    sizeof(up->addr[i])) < 0)
			/* No route now; sends will fail fast and the query moves on. */
			k1s_debug("dns", "upstream %s: %s", inet_ntoa(up->addr[i].sin_addr),
				  strerror(errno));
	}
	f->up = *up;
	/* Queries out to an upstream that is no more move on. */
	for (l = f->pending.next; l != &f->pending; l = n) {
		struct pend *p = k1s_list_entry(l, struct pend, link);

		n = l->next;
		if (p->up >= up->n) {
			p->tries = up->n;	/* nothing left to try: SERVFAIL */
			fail_over(f, p, now);
			n = f->pending.next;
		}
	}
}

/* ---- answers to the client ---- */

/* An answer with no records: SERVFAIL, or TC when it does not fit. */
static void reply_empty(struct dns_fwd *f, const struct pend *p, int rcode, uint16_t flags)
{
	uint8_t out[DNS_HDR + DNS_MAXNAME + 5 + 11];
	size_t n = DNS_HDR + p->qlen;

	if (p->gone)
		return;
	dns_hdr(out, p->cid, p->cflags, (uint16_t)(DNS_F_RA | flags), rcode, 1, 0, 0, p->edns);
	memcpy(out + DNS_HDR, p->cq, p->qlen);
	if (p->edns)
		n += dns_opt(out + n, 0);
	f->reply(f->arg, &p->c, out, n);
}

/* An ExternalName whose target no upstream answered: our CNAME alone
 * still says where the name points. */
static void reply_cname(struct dns_fwd *f, const struct pend *p)
{
	size_t n = p->clen;

	if (p->gone || n + 11 > sizeof(f->buf))
		return;
	memcpy(f->buf, p->cname, n);
	if (p->edns) {
		dns_put16(f->buf + 10, (uint16_t)(dns_get16(f->buf + 10) + 1));
		n += dns_opt(f->buf + n, 0);
	}
	f->reply(f->arg, &p->c, f->buf, n);
}

/* Appends the upstream's answer records to our CNAME, names written out
 * in full (theirs point into their packet). */
static size_t chase_compose(struct dns_fwd *f, const struct pend *p, const uint8_t *r,
			    size_t rn, uint8_t *out, size_t cap)
{
	struct dns_wb wb;
	size_t off = DNS_HDR;
	uint16_t an = dns_get16(r + 6), added = 0;
	int rcode = dns_get16(r + 2) & 0xf;

	dns_wb_init(&wb, out, cap);
	dns_wb_bytes(&wb, p->cname, p->clen);
	if (dns_name_skip(r, rn, &off) < 0)
		return 0;
	off += 4;
	for (uint16_t i = 0; i < an && off < rn; i++) {
		uint8_t name[DNS_MAXNAME + 1];
		int nl = dns_name_read(r, rn, &off, name, sizeof(name));
		uint16_t type, rdlen;
		size_t at, rd;

		if (nl < 0 || off + 10 > rn)
			return 0;
		type = dns_get16(r + off);
		rdlen = dns_get16(r + off + 8);
		rd = off + 10;
		if (rd + rdlen > rn)
			return 0;
		dns_wb_bytes(&wb, name, (size_t)nl);
		dns_wb_bytes(&wb, r + off, 8);
		at = wb.len;
		dns_wb_u16(&wb, 0);
		if (type == DNS_T_CNAME || type == DNS_T_PTR || type == DNS_T_NS ||
		    type == DNS_T_MX || type == DNS_T_SRV) {
			size_t fixed = type == DNS_T_MX ? 2 : type == DNS_T_SRV ? 6 : 0;
			size_t o = rd + fixed;
			uint8_t t[DNS_MAXNAME + 1];
			int tl;

			if (fixed > rdlen)
				return 0;
			dns_wb_bytes(&wb, r + rd, fixed);
			tl = dns_name_read(r, rd + rdlen, &o, t, sizeof(t));
			if (tl < 0)
				return 0;
			dns_wb_bytes(&wb, t, (size_t)tl);
		} else {
			dns_wb_bytes(&wb, r + rd, rdlen);
		}
		dns_wb_rr_end(&wb, at);
		added++;
		off = rd + rdlen;
	}
	if (wb.err || wb.len < DNS_HDR)
		return 0;
	dns_put16(out + 6, (uint16_t)(dns_get16(out + 6) + added));
	/* RFC 6604: the rcode is the last name's in the chain. */
	dns_put16(out + 2, (uint16_t)((dns_get16(out + 2) & ~0x040f) | DNS_F_RA | rcode));
	if (p->edns) {
		dns_put16(out + 10, (uint16_t)(dns_get16(out + 10) + 1));
		if (wb.len + 11 > cap)
			return 0;
		wb.len += dns_opt(out + wb.len, 0);
	}
	return wb.len;
}

/* Sends an upstream answer (already ours: ID, question, TTLs) to p's client. */
static void deliver(struct dns_fwd *f, const struct pend *p, uint8_t *r, size_t rn)
{
	if (p->gone)
		return;
	if (p->cname) {
		size_t n = chase_compose(f, p, r, rn, f->obuf, sizeof(f->obuf));

		if (n == 0) {
			reply_cname(f, p);
			return;
		}
		r = f->obuf;
		rn = n;
	} else {
		dns_put16(r, p->cid);
		memcpy(r + DNS_HDR, p->cq, p->qlen);
	}
	if (rn > p->c.limit) {
		reply_empty(f, p, dns_get16(r + 2) & 0xf, DNS_F_TC);
		return;
	}
	f->reply(f->arg, &p->c, r, rn);
}

/* ---- the cache ---- */

static uint8_t ckey_flags(bool edns, bool do_bit)
{
	return (uint8_t)(edns | do_bit << 1);
}

static struct centry **cache_slot(struct dns_cache *c, const uint8_t *name, size_t nlen,
				  uint16_t type, uint16_t cls, uint8_t flags)
{
	uint32_t h = dns_name_hash(name, nlen) ^ type * 0x9e3779b1u ^ flags;
	struct centry **pp = &c->tab[h % CACHE_BUCKETS];

	while (*pp && !((*pp)->hash == h && (*pp)->qtype == type && (*pp)->qclass == cls &&
			(*pp)->flags == flags && (*pp)->nlen == nlen &&
			memcmp((*pp)->name, name, nlen) == 0))
		pp = &(*pp)->hnext;
	return pp;
}

static void cache_drop(struct dns_cache *c, struct centry *e)
{
	struct centry **pp = cache_slot(c, e->name, e->nlen, e->qtype, e->qclass, e->flags);

	if (*pp == e)
		*pp = e->hnext;
	k1s_list_del(&e->link);
	c->n--;
	free(e->pkt);
	free(e);
}

/* The TTLs of an answer and where they are; the TTL to cache it for (0:
 * not at all: errors, truncation, negative answers without an SOA). */
static uint32_t scan_ttls(const uint8_t *r, size_t rn, struct centry *e)
{
	uint16_t an = dns_get16(r + 6), ns = dns_get16(r + 8), ar = dns_get16(r + 10);
	int rcode = dns_get16(r + 2) & 0xf;
	uint32_t min = DNS_CACHE_TTL, neg = 0;
	size_t off = DNS_HDR;
	unsigned total = (unsigned)an + ns + ar;

	if ((rcode != DNS_RC_NOERROR && rcode != DNS_RC_NXDOMAIN) ||
	    (dns_get16(r + 2) & DNS_F_TC))
		return 0;
	if (dns_name_skip(r, rn, &off) < 0)
		return 0;
	off += 4;
	e->nttl = 0;
	for (unsigned i = 0; i < total; i++) {
		uint16_t type, rdlen;
		uint32_t ttl;

		if (dns_name_skip(r, rn, &off) < 0 || off + 10 > rn)
			return 0;
		type = dns_get16(r + off);
		ttl = dns_get32(r + off + 4);
		rdlen = dns_get16(r + off + 8);
		if (off + 10 + rdlen > rn)
			return 0;
		if (type != DNS_T_OPT) {
			if (e->nttl == DNS_CACHE_RRS)
				return 0;
			e->ttl_off[e->nttl++] = (uint16_t)(off + 4);
			if (i < an && ttl < min)
				min = ttl;
			/* RFC 2308 5: a negative answer lives min(SOA TTL, MINIMUM). */
			if (i >= an && i < (unsigned)an + ns && type == DNS_T_SOA && rdlen >= 20) {
				uint32_t m = dns_get32(r + off + 10 + rdlen - 4);

				neg = ttl < m ? ttl : m;
			}
		}
		off += 10 + (size_t)rdlen;
	}
	if (an == 0 || rcode == DNS_RC_NXDOMAIN)
		min = neg < DNS_CACHE_TTL ? neg : DNS_CACHE_TTL;
	return min;
}

static void cache_put(struct dns_fwd *f, const struct pend *p, const uint8_t *r, size_t rn,
		      int64_t now)
{
	struct dns_cache *c = f->cache;
	struct centry *e, **pp;
	uint32_t ttl;

	if (!c || !(e = calloc(1, sizeof(*e))))
		return;
	ttl = scan_ttls(r, rn, e);
	if (ttl == 0 || rn > 65535 || !(e->pkt = malloc(rn))) {
		free(e);
		return;
	}
	memcpy(e->pkt, r, rn);
	e->len = (uint16_t)rn;
	e->qtype = p->qtype;
	e->qclass = p->qclass;
	e->flags = ckey_flags(p->edns, p->do_bit);
	e->nlen = p->nlen;
	memcpy(e->name, p->name, p->nlen);
	e->hash = dns_name_hash(e->name, e->nlen) ^ e->qtype * 0x9e3779b1u ^ e->flags;
	e->born = now;
	e->expire = now + (int64_t)ttl * 1000;
	pthread_mutex_lock(&c->mu);
	pp = cache_slot(c, e->name, e->nlen, e->qtype, e->qclass, e->flags);
	if (*pp)
		cache_drop(c, *pp);
	while (c->n >= DNS_CACHE_MAX)
		cache_drop(c, k1s_list_entry(c->fifo.next, struct centry, link));
	pp = cache_slot(c, e->name, e->nlen, e->qtype, e->qclass, e->flags);
	e->hnext = *pp;
	*pp = e;
	k1s_list_add_tail(&c->fifo, &e->link);
	c->n++;
	pthread_mutex_unlock(&c->mu);
}

/* A cached answer for p, copied to f->buf with its TTLs counted down. */
static size_t cache_get(struct dns_fwd *f, const struct pend *p, int64_t now)
{
	struct dns_cache *c = f->cache;
	struct centry *e;
	uint32_t age;
	size_t n = 0;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->mu);
	e = *cache_slot(c, p->name, p->nlen, p->qtype, p->qclass, ckey_flags(p->edns, p->do_bit));
	if (e && now >= e->expire) {
		cache_drop(c, e);
		e = NULL;
	}
	if (e) {
		age = (uint32_t)((now - e->born) / 1000);
		memcpy(f->buf, e->pkt, e->len);
		for (uint16_t i = 0; i < e->nttl; i++) {
			uint32_t t = dns_get32(e->pkt + e->ttl_off[i]);

			dns_put32(f->buf + e->ttl_off[i], t > age ? t - age : 0);
		}
		n = e->len;
	}
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* ---- upstream ---- */

static void send_up(struct dns_fwd *f, struct pend *p, int64_t now)
{
	k1s_list_del(&p->link);
	k1s_list_add_tail(&f->pending, &p->link);
	p->deadline = now + DNS_FWD_TRY_MS;
	if (f->fds[p->up] < 0 || send(f->fds[p->up], p->qpkt, p->qpkt_len, MSG_DONTWAIT) < 0)
		fail_over(f, p, now);	/* unreachable, refused: the next one now */
}

/* The next upstream, or SERVFAIL when every one has had its chance. */
static void fail_over(struct dns_fwd *f, struct pend *p, int64_t now)
{
	if (++p->tries >= f->up.n) {
		if (p->cname)
			reply_cname(f, p);
		else
			reply_empty(f, p, DNS_RC_SERVFAIL, 0);
		pend_free(f, p);
		return;
	}
	p->up = (p->up + 1) % f->up.n;
	p->tcp = false;
	send_up(f, p, now);
}

void dns_fwd_query(struct dns_fwd *f, const uint8_t *pkt, size_t len, const struct dns_q *q,
		   const struct dns_node *ext, const uint8_t *cname, size_t clen,
		   const struct dns_client *c, int64_t now)
{
	struct pend *p = calloc(1, sizeof(*p));
	size_t n, hit;
	uint16_t id;

	if (!p)
		return;
	k1s_list_init(&p->link);
	p->c = *c;
	p->cid = q->id;
	p->cflags = q->flags;
	p->qtype = q->qtype;
	p->qclass = q->qclass;
	p->edns = q->edns;
	p->do_bit = q->do_bit;
	p->qlen = (uint16_t)(q->qend - DNS_HDR);
	memcpy(p->cq, pkt + DNS_HDR, p->qlen);
	if (ext) {
		p->nlen = ext->extlen;
		memcpy(p->name, ext->ext, ext->extlen);
		/* Our CNAME answer, without its OPT: the OPT goes last. */
		p->clen = clen - (q->edns ? 11 : 0);
		p->cname = malloc(p->clen);
		if (!p->cname) {
			free(p);
			return;
		}
		memcpy(p->cname, cname, p->clen);
		if (q->edns)
			dns_put16(p->cname + 10, (uint16_t)(dns_get16(p->cname + 10) - 1));
	} else {
		p->nlen = q->nlen;
		memcpy(p->name, q->name, q->nlen);
	}
	hit = cache_get(f, p, now);
	if (hit) {
		deliver(f, p, f->buf, hit);
		free(p->cname);
		free(p);
		return;
	}
	if (f->up.n == 0 || f->npend >= DNS_FWD_MAX) {
		if (p->cname)
			reply_cname(f, p);
		else
			reply_empty(f, p, DNS_RC_SERVFAIL, 0);
		free(p->cname);
		free(p);
		return;
	}
	do
		id = rnd16(f);
	while (f->byid[id]);
	p->id = id;
	/* Our own query: RD, the client's CD, EDNS0 at our size if the
	 * client spoke it; the answer then suits any client of that kind. */
	dns_hdr(p->qpkt, id, 0, 0, 0, 1, 0, 0, p->edns);
	dns_put16(p->qpkt + 2, (uint16_t)(DNS_F_RD | (q->flags & DNS_F_CD)));
	n = DNS_HDR;
	if (ext) {
		memcpy(p->qpkt + n, p->name, p->nlen);
		n += p->nlen;
		dns_put16(p->qpkt + n, q->qtype);
		dns_put16(p->qpkt + n + 2, q->qclass);
		n += 4;
	} else {
		memcpy(p->qpkt + n, p->cq, p->qlen);
		n += p->qlen;
	}
	if (p->edns) {
		n += dns_opt(p->qpkt + n, 0);
		if (p->do_bit)
			p->qpkt[n - 4] = 0x80;
	}
	p->qpkt_len = (uint16_t)n;
	p->up = 0;
	f->byid[id] = p;
	f->npend++;
	send_up(f, p, now);
}

/* How much of an upstream answer is a well-formed message: every name
 * readable, every record within bounds; 0 if none of it. Only that much
 * goes on to a client. */
static size_t well_formed(const uint8_t *r, size_t rn)
{
	uint8_t name[DNS_MAXNAME + 1];
	unsigned rrs = (unsigned)dns_get16(r + 6) + dns_get16(r + 8) + dns_get16(r + 10);
	size_t off = DNS_HDR;

	if (dns_name_read(r, rn, &off, name, sizeof(name)) < 0 || off + 4 > rn)
		return 0;
	off += 4;
	for (unsigned k = 0; k < rrs; k++) {
		if (dns_name_read(r, rn, &off, name, sizeof(name)) < 0 || off + 10 > rn)
			return 0;
		off += 10 + (size_t)dns_get16(r + off + 8);
		if (off > rn)
			return 0;
	}
	return off;
}

/* ---- TCP, for answers that did not fit in UDP ---- */

static bool io_wait(int fd, short ev, int ms)
{
	struct pollfd pfd = {fd, ev, 0};

	return poll(&pfd, 1, ms) == 1 && !(pfd.revents & (POLLERR | POLLNVAL));
}

static bool io_all(int fd, uint8_t *p, size_t n, bool out, int64_t until)
{
	while (n > 0) {
		ssize_t k;
		int64_t left = until - k1s_now_ms();

		if (left <= 0 || !io_wait(fd, out ? POLLOUT : POLLIN, (int)left))
			return false;
		k = out ? send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT)
			: recv(fd, p, n, MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* One exchange over TCP, within DNS_FWD_TRY_MS all told. */
static void tcp_ask(struct tcpjob *j)
{
	int64_t until = k1s_now_ms() + DNS_FWD_TRY_MS;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	uint8_t len[2];
	int err = 0;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return;
	if ((connect(fd, (struct sockaddr *)&j->addr, sizeof(j->addr)) < 0 &&
	     errno != EINPROGRESS) ||
	    !io_wait(fd, POLLOUT, DNS_FWD_TRY_MS) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
		goto out;
	dns_put16(len, j->qlen);
	if (!io_all(fd, len, 2, true, until) || !io_all(fd, j->q, j->qlen, true, until) ||
	    !io_all(fd, len, 2, false, until))
		goto out;
	j->alen = dns_get16(len);
	j->ans = malloc(j->alen ? j->alen : 1);
	if (j->ans && !io_all(fd, j->ans, j->alen, false, until)) {
		free(j->ans);
		j->ans = NULL;
	}
out:
	close(fd);
}

static void *tcp_main(void *arg)
{
	struct dns_fwd *f = arg;

	pthread_mutex_lock(&f->mu);
	while (!f->th_stop) {
		struct tcpjob *j = f->todo;
		uint64_t one = 1;

		if (!j) {
			pthread_cond_wait(&f->cv, &f->mu);
			continue;
		}
		f->todo = j->next;
		pthread_mutex_unlock(&f->mu);
		tcp_ask(j);
		pthread_mutex_lock(&f->mu);
		j->next = f->done;
		f->done = j;
		if (write(f->efd, &one, sizeof(one)) < 0)
			k1s_warn("dns", "waking the loop: %s", strerror(errno));
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* Asks p again over TCP; false if that cannot start. */
static bool tcp_start(struct dns_fwd *f, struct pend *p)
{
	struct tcpjob *j;

	if (f->efd < 0 || !(j = calloc(1, sizeof(*j))))
		return false;
	pthread_mutex_lock(&f->mu);
	if (!f->th_started && pthread_create(&f->th, NULL, tcp_main, f) == 0)
		f->th_started = true;
	if (!f->th_started) {
		pthread_mutex_unlock(&f->mu);
		free(j);
		return false;
	}
	j->seq = ++f->seq;
	j->id = p->id;
	j->addr = f->up.addr[p->up];
	j->qlen = p->qpkt_len;
	memcpy(j->q, p->qpkt, p->qpkt_len);
	j->next = f->todo;
	f->todo = j;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	p->tcp = true;
	p->tcp_seq = j->seq;
	return true;
}

int dns_fwd_event_fd(const struct dns_fwd *f)
{
	return f->efd;
}

/* An answer that has passed the ID and question checks. */
static void accept_answer(struct dns_fwd *f, struct pend *p, const uint8_t *r, size_t rn,
			  int64_t now)
{
	if (rn > sizeof(f->buf))
		return;
	rn = well_formed(r, rn);
	if (rn == 0) {
		fail_over(f, p, now);	/* garbage: maybe the next one does better */
		return;
	}
	/* Truncated over UDP: the whole of it over TCP, in the time a try
	 * has; the answer comes back through dns_fwd_tcp_done(). */
	if ((dns_get16(r + 2) & DNS_F_TC) && !p->tcp && tcp_start(f, p)) {
		k1s_list_del(&p->link);
		k1s_list_add_tail(&f->pending, &p->link);
		p->deadline = now + DNS_FWD_TRY_MS;
		return;
	}
	memcpy(f->buf, r, rn);
	cache_put(f, p, f->buf, rn, now);
	deliver(f, p, f->buf, rn);
	pend_free(f, p);
}

/* The pending query an answer is for: its ID, and its question too (an
 * ID alone is 16 bits of trust). */
static struct pend *match(struct dns_fwd *f, const uint8_t *r, size_t rn)
{
	struct pend *p;
	uint8_t name[DNS_MAXNAME + 1];
	size_t off = DNS_HDR;
	int nl;

	if (rn < DNS_HDR || !(dns_get16(r + 2) & DNS_F_QR) || dns_get16(r + 4) != 1)
		return NULL;
	p = f->byid[dns_get16(r)];
	if (!p)
		return NULL;
	nl = dns_name_read(r, rn, &off, name, sizeof(name));
	if (nl != p->nlen || memcmp(name, p->name, (size_t)nl) != 0 || off + 4 > rn ||
	    dns_get16(r + off) != p->qtype || dns_get16(r + off + 2) != p->qclass ||
	    (!p->cname && off + 4 != (size_t)DNS_HDR + p->qlen))
		return NULL;
	return p;
}

void dns_fwd_tcp_done(struct dns_fwd *f, int64_t now)
{
	struct tcpjob *done;
	uint64_t v;

	if (read(f->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		k1s_debug("dns", "reading the helper's eventfd: %s", strerror(errno));
	pthread_mutex_lock(&f->mu);
	done = f->done;
	f->done = NULL;
	pthread_mutex_unlock(&f->mu);
	while (done) {
		struct tcpjob *j = done;
		struct pend *p = f->byid[j->id];

		done = j->next;
		/* Still the query that asked (it may have timed out since). */
		if (p && p->tcp && p->tcp_seq == j->seq) {
			if (j->ans && match(f, j->ans, j->alen) == p)
				accept_answer(f, p, j->ans, j->alen, now);
			else
				fail_over(f, p, now);
		}
		free(j->ans);
		free(j);
	}
}

void dns_fwd_input(struct dns_fwd *f, int i, const uint8_t *r, size_t rn, int64_t now)
{
	struct pend *p = match(f, r, rn);

	/* From the upstream it was sent to, and not gone to TCP since. */
	if (!p || p->up != i || p->tcp)
		return;
	accept_answer(f, p, r, rn, now);
}

void dns_fwd_error(struct dns_fwd *f, int i, int err, int64_t now)
{
	struct pend **todo;
	struct k1s_list *l;
	int n = 0;

	/* A refusal says nothing of which query it was for: every query
	 * waiting on that upstream moves on. Collected first, as moving on
	 * reorders the list. */
	if (f->npend == 0 || !(todo = malloc((size_t)f->npend * sizeof(*todo))))
		return;
	for (l = f->pending.next; l != &f->pending && n < f->npend; l = l->next) {
		struct pend *p = k1s_list_entry(l, struct pend, link);

		if (p->up == i)
			todo[n++] = p;
	}
	for (int k = 0; k < n; k++)
		fail_over(f, todo[k], now);
	free(todo);
}

bool dns_fwd_tick(struct dns_fwd *f, int64_t now)
{
	while (f->pending.next != &f->pending) {
		struct pend *p = k1s_list_entry(f->pending.next, struct pend, link);

		if (p->deadline > now)
			break;
		fail_over(f, p, now);
	}
	return f->pending.next != &f->pending;
}

void dns_fwd_forget(struct dns_fwd *f, void *conn)
{
	struct k1s_list *l, *n;

	for (l = f->pending.next; l != &f->pending; l = n) {
		struct pend *p = k1s_list_entry(l, struct pend, link);

		n = l->next;
		/* Marked, not freed: this may run from within a delivery. */
		if (p->c.conn == conn)
			p->gone = true;
	}
}
