/* Flows: what the dataplane, the ingress, DNS and the policy filter each
 * handled, kept in a bounded ring per module (DESIGN.md "Flows") for the
 * live page, the flow API and /metrics.
 *
 * A module fills a struct k1s_flow on its stack and puts it; the ring
 * copies it into the oldest slot. Putting allocates nothing, takes no
 * lock (it waits only if the ring has wrapped onto a slot another
 * thread is still filling) and is safe from any thread: the data paths
 * put one per connection, request or query. Readers copy records out and check that
 * no writer changed them meanwhile (a sequence lock per slot).
 *
 * Every ring draws its records' sequence numbers from one counter, so the
 * records of all rings have one order: a flow's resourceVersion. */
#ifndef K1S_FLOW_H
#define K1S_FLOW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room in a record's strings (with the NUL); longer ones are cut. */
#define K1S_FLOW_SERVICE_LEN 128	/* "namespace/name": 63 + 1 + 63 */
#define K1S_FLOW_NAME_LEN 256		/* a DNS name (253) or an HTTP host */
#define K1S_FLOW_DETAIL_LEN 256
#define K1S_FLOW_POLICIES_LEN 192

/* What a record's code means, per module. */
#define K1S_FLOW_CODES 16

struct k1s_flow {
	uint64_t seq;			/* set by k1s_flow_put() */
	int64_t time_us;		/* wall clock, us; 0: k1s_flow_put() sets it */
	uint8_t proto;			/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	bool denied;			/* by NetworkPolicy */
	uint32_t src, dst;		/* IPv4, host order: the client, and the
					 * address it reached (a Service's, a pod's) */
	uint16_t sport, dport;
	uint32_t ep;			/* the endpoint chosen, 0: none */
	uint16_t ep_port;
	uint16_t code;			/* ingress: the HTTP status; dns: the rcode */
	uint16_t qtype;			/* dns: the query type */
	uint64_t sent, received;	/* bytes from the client, and to it */
	char service[K1S_FLOW_SERVICE_LEN];	/* the Service: "namespace/name" */
	char name[K1S_FLOW_NAME_LEN];	/* dns: the query name; ingress: the host */
	char detail[K1S_FLOW_DETAIL_LEN];	/* ingress: "METHOD /path"; dns: the
						 * answers, space-separated */
	char policies[K1S_FLOW_POLICIES_LEN];	/* denied: the policies isolating
						 * the pod where it was denied,
						 * space-separated */
};

/* Counts since start, of every flow put (the ring keeps only the last). */
struct k1s_flow_totals {
	uint64_t flows, denied, sent, received;
	uint64_t by_code[K1S_FLOW_CODES];	/* dns: per rcode; ingress: per
						 * status / 100; others unused */
};

struct k1s_flow_ring;

/* A ring of `slots` records (rounded up to a power of two) for `module`
 * ("dataplane", "ingress", "dns", "policy"; kept by pointer). NULL on no
 * memory. */
struct k1s_flow_ring *k1s_flow_ring_new(const char *module, unsigned slots);
void k1s_flow_ring_free(struct k1s_flow_ring *r);
const char *k1s_flow_ring_module(const struct k1s_flow_ring *r);

/* Copies f in (its strings cut to fit and terminated), with the next
 * sequence number, and counts it. Any thread; NULL r is a no-op, so a
 * module without a ring puts nothing. */
void k1s_flow_put(struct k1s_flow_ring *r, const struct k1s_flow *f);

/* How many records the ring holds at most. */
size_t k1s_flow_ring_slots(const struct k1s_flow_ring *r);
/* Copies into out, which has room for k1s_flow_ring_slots(r) records, the
 * records with a sequence number above `after`, oldest first; returns how
 * many. A record being written as it is read is left out. */
size_t k1s_flow_read(const struct k1s_flow_ring *r, uint64_t after, struct k1s_flow *out);
/* The highest sequence number of a record the ring dropped to make room
 * (0: none yet): a reader who last saw a number below it has missed
 * records of this ring. */
uint64_t k1s_flow_evicted(const struct k1s_flow_ring *r);
/* The last sequence number given to any record of any ring. */
uint64_t k1s_flow_last_seq(void);
void k1s_flow_totals(const struct k1s_flow_ring *r, struct k1s_flow_totals *out);

/* Sets a record's string field to s, cut to fit. */
#define K1S_FLOW_SET(field, s) k1s_flow_strset((field), sizeof(field), (s))
void k1s_flow_strset(char *dst, size_t cap, const char *s);

#endif
