/* Inside the DNS module: the wire codec, the zone snapshot the control
 * side builds and the server loops read, the forwarder, and the loops'
 * entry points.
 *
 * A snapshot is immutable once published (dns->pub, lib/k1s_pub.h): each
 * loop acknowledges the generation it has switched to, and a retired
 * snapshot is freed only when every loop has moved past it. */
#ifndef DNS_INT_H
#define DNS_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>

#include "dns.h"
#include "k1s_pub.h"
#include "st.h"

/* Cluster records live 5 s, CoreDNS's default: short enough that a
 * client re-asks soon after a change, long enough to spare a burst. The
 * SOA's minimum (the negative TTL, RFC 2308) is the same. */
#define DNS_TTL		5
#define DNS_MAXNAME	255
#define DNS_HDR		12
/* The largest UDP answer we send, whatever a client's EDNS0 size says;
 * 1232 is the size the DNS flag day 2020 settled on. */
#define DNS_UDP_MAX	1232
#define DNS_EDNS_SIZE	1232

enum {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12,
	DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_SRV = 33, DNS_T_OPT = 41,
	DNS_T_ANY = 255,
};
enum { DNS_C_IN = 1, DNS_C_ANY = 255 };
enum {
	DNS_RC_NOERROR = 0, DNS_RC_FORMERR = 1, DNS_RC_SERVFAIL = 2, DNS_RC_NXDOMAIN = 3,
	DNS_RC_NOTIMP = 4, DNS_RC_REFUSED = 5, DNS_RC_BADVERS = 16,
};
/* Header flag bits (host order of the 16-bit flags word). */
#define DNS_F_QR	0x8000
#define DNS_F_OPCODE	0x7800
#define DNS_F_AA	0x0400
#define DNS_F_TC	0x0200
#define DNS_F_RD	0x0100
#define DNS_F_RA	0x0080
#define DNS_F_AD	0x0020
#define DNS_F_CD	0x0010

static inline uint16_t dns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t dns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void dns_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- dns_msg.c: the wire format ---- */

/* A parsed query. The name is the question's, lower-cased, in wire form
 * (labels, then the root's 0); the question itself must be uncompressed,
 * so its bytes in the packet are exactly nlen long. */
struct dns_q {
	uint16_t id, flags;
	uint16_t qtype, qclass;
	uint16_t nlen;		/* wire length of name, root included */
	uint16_t qend;		/* offset just past the question */
	uint32_t hash;
	bool edns, do_bit;
	uint8_t edns_ver;
	uint16_t udp_size;	/* the client's EDNS0 size, or 512 */
	uint8_t name[DNS_MAXNAME + 1];
};

/* Parses a query: 0; an rcode > 0 to answer with (FORMERR, NOTIMP,
 * BADVERS); or -1 to drop it silently (too short to echo, or a response). */
int dns_parse_query(const uint8_t *p, size_t len, struct dns_q *q);

/* The first message of a DNS-over-TCP stream (RFC 1035 4.2.2: each one
 * after its two-byte length): 1 and *mlen when it is all in buf (it starts
 * at buf + 2), 0 when more bytes are needed, -EPROTO for a message of
 * length 0, which no client sends. */
int dns_tcp_frame(const uint8_t *buf, size_t len, size_t *mlen);

uint32_t dns_name_hash(const uint8_t *name, size_t len);
/* Text ("a.b.c", a final dot optional) to lower-case wire form. The
 * length, or -EINVAL. */
int dns_name_from_str(const char *s, uint8_t *out, size_t cap);
/* Wire form to text with a final dot; for logs and tests. */
void dns_name_to_str(const uint8_t *name, char *out, size_t cap);
/* Reads a name at *off, following compression pointers (bounded), into
 * lower-case wire form; *off moves past the name as it is in the packet.
 * The length, or -EINVAL. */
int dns_name_read(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out, size_t cap);
/* The offset in `name` where `apex` starts as a whole-label suffix, or -1. */
int dns_name_suffix(const uint8_t *name, size_t nlen, const uint8_t *apex, size_t alen);
/* Skips one name in a packet without reading it. */
int dns_name_skip(const uint8_t *pkt, size_t len, size_t *off);

/* A growing message with name compression against what it already holds. */
#define DNS_WB_NAMES 128
struct dns_wb {
	uint8_t *p;
	size_t len, cap;
	bool err;		/* out of room: len is no longer meaningful */
	int nnames;
	uint16_t names[DNS_WB_NAMES];	/* offsets of labels that can be pointed at */
};

void dns_wb_init(struct dns_wb *wb, uint8_t *buf, size_t cap);
void dns_wb_bytes(struct dns_wb *wb, const void *b, size_t n);
void dns_wb_u16(struct dns_wb *wb, uint16_t v);
void dns_wb_u32(struct dns_wb *wb, uint32_t v);
/* Remembers the labels of a name written at `off` as compression targets. */
void dns_wb_mark(struct dns_wb *wb, size_t off);
/* Writes a name (lower-case wire form), compressed against earlier ones. */
void dns_wb_name(struct dns_wb *wb, const uint8_t *name, size_t len);
/* Starts an RR; returns the offset of its RDLENGTH for dns_wb_rr_end(). */
size_t dns_wb_rr(struct dns_wb *wb, const uint8_t *name, size_t nlen, uint16_t type,
		 uint32_t ttl);
void dns_wb_rr_end(struct dns_wb *wb, size_t rdlen_at);

/* The header of a response to q: id, opcode, RD and CD echoed. */
void dns_hdr(uint8_t *out, uint16_t id, uint16_t qflags, uint16_t flags, int rcode,
	     uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar);
/* Our OPT RR (11 bytes), for a response to an EDNS0 query. */
size_t dns_opt(uint8_t *out, int ext_rcode);
/* An answer with no records: header, the question if q has one, OPT if
 * the query had it. For FORMERR, NOTIMP, SERVFAIL, REFUSED, and TC. */
size_t dns_resp_empty(const uint8_t *pkt, size_t plen, const struct dns_q *q, bool have_q,
		      int rcode, uint16_t extra_flags, uint8_t *out, size_t cap);

/* ---- dns_zone.c: the snapshot ---- */

/* A ready answer for one query type at one name: the sections after the
 * question, compressed against the question at offset 12 as the client
 * sent it (same length: only case may differ). */
struct dns_set {
	uint16_t type;		/* DNS_T_*, or 0 for "any other type" */
	uint8_t rcode;
	uint16_t an, ns, ar;
	uint32_t len;
	uint8_t *tail;
};

struct dns_node {
	struct dns_node *next;	/* a retired node's, on its snapshot's garbage */
	uint32_t hash;
	uint16_t nlen, nsets;
	uint8_t *name;
	struct dns_set *sets;	/* the last one has type 0 */
	uint8_t *ext;		/* an ExternalName's target outside the zone */
	uint16_t extlen;
};

/* An apex we answer negatively for: the cluster domain, and the reverse
 * zones of the service and pod ranges. */
struct dns_apex {
	uint8_t name[DNS_MAXNAME + 1];
	uint16_t len;
	uint16_t soa_len;
	uint8_t soa[2 * (DNS_MAXNAME + 1) + 20];	/* SOA RDATA, uncompressed */
};

struct dns_range {
	uint32_t net, mask;	/* host order */
	int apex;		/* index in apex[] */
};

struct dns_snap {
	struct k1s_snap base;		/* first: dns_snap_of() */
	uint32_t mask;
	struct dns_node **tab;		/* open addressing, linear probing */
	uint32_t nnodes;
	struct dns_apex apex[3];	/* 0: the domain; 1, 2: reverse zones */
	int napex;
	struct dns_range ranges[2];
	int nranges;
	/* Nodes this snapshot and older ones show but newer ones do not:
	 * freed with it. */
	struct dns_node *garbage;
};

static inline struct dns_snap *dns_snap_of(struct k1s_snap *s)
{
	return (struct dns_snap *)s;
}

struct dns_zone_cfg {
	const char *domain;
	const char *ip;
	struct k1s_cidr service_net, pod_net;	/* prefix 0: the defaults */
	uint32_t serial;
};

/* Builds a snapshot from scratch from "ns/name" -> object maps of
 * Services, Endpoints and Pods (any may be NULL). NULL on allocation
 * failure or a bad domain. */
struct dns_snap *dns_zone_build(const struct dns_zone_cfg *cfg, const json_t *svcs,
				const json_t *eps, const json_t *pods);
void dns_snap_free(struct dns_snap *s);

/* The zone kept across changes, for snapshots that cost what changed.
 * The cfg's strings must outlive the zone. */
struct dns_zone;
struct dns_zone *dns_zone_new(const struct dns_zone_cfg *cfg);
/* Sets (svc NULL: deletes) the Service at "ns/name", with its Endpoints
 * (may be NULL); and a Pod. 0, or -ENOMEM: the zone is then to be
 * dropped for a new one. */
int dns_zone_set_service(struct dns_zone *z, const char *key, const json_t *svc,
			 const json_t *ep);
int dns_zone_set_pod(struct dns_zone *z, const char *key, const json_t *pod);
/* A snapshot of the zone as it is, sharing the nodes that did not change
 * with the previous one; NULL on allocation failure (then as above).
 * Nodes the previous snapshot shows and this one does not go on the
 * previous one's garbage: it must be freed after this one is taken. */
struct dns_snap *dns_zone_snap(struct dns_zone *z);
/* Its nodes go to the last snapshot's garbage: free it after the zone. */
void dns_zone_free(struct dns_zone *z);
const struct dns_node *dns_zone_find(const struct dns_snap *s, const uint8_t *name,
				     size_t nlen, uint32_t hash);

#define DNS_FORWARD (-2)
/* The answer to a packet: its length in out; 0 to drop; DNS_FORWARD when
 * the name is not ours (q then holds the parsed query and *ext, if set,
 * the ExternalName target whose records the client wants after our
 * CNAME). `limit` is the most the transport takes: 65535 for TCP, 0 for
 * UDP (then 512 or the EDNS0 size). cap >= 512. */
int dns_answer(const struct dns_snap *s, const uint8_t *pkt, size_t plen, uint8_t *out,
	       size_t cap, size_t limit, struct dns_q *q, const struct dns_node **ext);

/* ---- dns_fwd.c: upstreams, cache ---- */

#define DNS_MAX_UPSTREAMS 3

struct dns_upstreams {
	int n;
	struct sockaddr_in addr[DNS_MAX_UPSTREAMS];
};

/* Reads nameserver lines from a resolv.conf, skipping the addresses in
 * `self` (ours: a resolver that points at us must not loop). */
int dns_read_resolv(const char *path, const struct sockaddr_in *self, int nself,
		    struct dns_upstreams *up);

/* Where a forwarded answer goes back to. */
struct dns_client {
	int fd;			/* UDP: the listener's socket; TCP: -1 */
	struct sockaddr_in addr;
	void *conn;		/* TCP: the connection */
	uint16_t limit;		/* the most the client takes */
};

/* Delivers an answer to a client (the server loop's side). */
typedef void (*dns_reply_fn)(void *arg, const struct dns_client *c, const uint8_t *p,
			     size_t n);

struct dns_fwd;
struct dns_cache;

/* The answers of the upstreams, shared by the loops' forwarders. */
struct dns_cache *dns_cache_new(void);
void dns_cache_free(struct dns_cache *c);

/* A forwarder for one loop: its own upstream sockets and pending
 * queries; `cache` (may be NULL) is shared. */
struct dns_fwd *dns_fwd_new(const struct dns_upstreams *up, struct dns_cache *cache,
			    dns_reply_fn reply, void *arg);
void dns_fwd_free(struct dns_fwd *f);
/* A new set of upstreams (resolv.conf changed); queries out to one
 * that is gone get SERVFAIL. */
void dns_fwd_set_upstreams(struct dns_fwd *f, const struct dns_upstreams *up, int64_t now);
/* The upstream sockets (connected UDP), for the loop to receive on. */
int dns_fwd_nfds(const struct dns_fwd *f);
int dns_fwd_fd(const struct dns_fwd *f, int i);
/* Answers from the cache, or sends upstream. `ext`: an ExternalName
 * whose out-of-zone target is to be asked, its answer following `cname`
 * (our answer so far, clen bytes) instead of the client's own question. */
void dns_fwd_query(struct dns_fwd *f, const uint8_t *pkt, size_t len, const struct dns_q *q,
		   const struct dns_node *ext, const uint8_t *cname, size_t clen,
		   const struct dns_client *c, int64_t now);
/* A datagram, or an error (ECONNREFUSED: nobody there), from upstream i. */
void dns_fwd_input(struct dns_fwd *f, int i, const uint8_t *p, size_t n, int64_t now);
void dns_fwd_error(struct dns_fwd *f, int i, int err, int64_t now);
/* The TCP helper's eventfd: readable when answers over TCP are in, for
 * dns_fwd_tcp_done() to hand on. */
int dns_fwd_event_fd(const struct dns_fwd *f);
void dns_fwd_tcp_done(struct dns_fwd *f, int64_t now);
/* Timeouts; returns whether anything is pending. */
bool dns_fwd_tick(struct dns_fwd *f, int64_t now);
/* A TCP connection ends: its pending queries will answer no one. */
void dns_fwd_forget(struct dns_fwd *f, void *conn);

/* ---- the module ---- */

struct dns_loop;

/* Listening addresses: the cluster IP, --dns-listen, and DNS's faces. */
#define DNS_LISTEN_FACES 6
#define DNS_LISTEN_MAX (2 + DNS_LISTEN_FACES)

struct k1s_facelog;

struct dns {
	struct st *st;
	struct k1s_flow_ring *flows;	/* dns_flows() */
	struct k1s_loop *loop;
	struct dns_zone_cfg zcfg;
	char domain[DNS_MAXNAME + 1], ip[INET_ADDRSTRLEN];
	/* One socket per address, shared by the loops: the kernel hands each
	 * datagram and connection to one waiting loop, and nothing else can
	 * join a SO_REUSEPORT group on our port and take a share. The first
	 * nfixed are the cluster IP and --dns-listen; then the addresses of
	 * DNS's face pods, added as the runtime reports them running
	 * (nlisten_live tells the loops, which arm the new ones). A face's
	 * socket stays open until k1s stops: closing it under the loops'
	 * armed receives would need each loop to cancel first, and an
	 * address no longer local receives nothing. */
	int nlisten, nfixed;
	atomic_int nlisten_live;
	struct sockaddr_in listen[DNS_LISTEN_MAX];
	int ufd[DNS_LISTEN_MAX], tfd[DNS_LISTEN_MAX];
	/* The face's log (k1s_facelog.h): start lines, and each query at
	 * --log-level debug. NULL without a data directory. */
	struct k1s_facelog *facelog;
	bool qlog;
	struct dns_upstreams up;	/* under up_mu once the loops run */
	pthread_mutex_t up_mu;
	atomic_int up_gen;		/* bumped when up changes */
	struct dns_cache *cache;
	char resolv_conf[256];
	int64_t rc_checked;
	struct timespec rc_mtime;
	ino_t rc_ino;
	off_t rc_size;

	/* Control side. */
	struct st_follower follow;
	bool dirty;
	json_t *pods;			/* "ns/name" -> digest */
	json_t *headless;		/* "ns/name" of Services whose Endpoints the zone reads */
	json_t *dsvcs, *dpods;		/* keys changed since the last snapshot */
	struct dns_zone *zone;		/* NULL: to be built from the store */

	/* Shared with the loops. */
	struct k1s_pub pub;		/* of struct dns_snap, one reader per loop */
	atomic_int stop;
	int nloops;
	struct dns_loop **loops;
};

/* ---- dns_qlog.c ---- */
/* The query log line of CoreDNS's log plugin for a query and the answer
 * sent, into out (no newline); its length. */
/* A flow record of an answer (k1s_flow.h) put into ring: from `from` to
 * `to`, its question, rcode and answers read back from the response. */
void dns_flow_put(struct k1s_flow_ring *ring, const struct sockaddr_in *from,
		  const struct sockaddr_in *to, bool tcp, const uint8_t *resp, size_t rlen);
/* Flow records kept. */
#define DNS_FLOWS 1024
size_t dns_qlog_line(char *out, size_t cap, const struct sockaddr_in *from, bool tcp,
		     const uint8_t *query, size_t qlen, const uint8_t *resp, size_t rlen,
		     int64_t dur_ns);

/* The loops (dns_srv.c). */
struct dns_loop *dns_loop_start(struct dns *dns, int idx, int *err);
void dns_loop_wake(struct dns_loop *lp);
void dns_loop_join(struct dns_loop *lp);

/* Control side (dns_ctl.c). */
int dns_ctl_pass(struct dns *dns);

#endif
