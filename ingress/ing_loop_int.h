/* Inside an ingress loop: what the loop (ing_loop.c) and its connections
 * (ing_conn.c) share. All of it belongs to one loop thread.
 *
 * Every submitted operation carries a struct ing_op; a connection is freed
 * only when none of its operations is left. */
#ifndef ING_LOOP_INT_H
#define ING_LOOP_INT_H

#include <liburing.h>

#include "ing_int.h"
#include "ing_tls.h"
#include "k1s_list.h"
#include "k1s_uring.h"

enum ing_op_kind {
	OP_WAKE, OP_TICK, OP_ACCEPT,
	OP_CRX, OP_CTX, OP_URX, OP_UTX,	/* a connection's client and upstream sides */
};

struct ing_op {
	uint8_t kind;
	void *owner;
};

struct ing_lsn {
	struct k1s_list link;
	struct ing_loop *lp;
	struct sockaddr_in addr;
	int fd;
	bool tls;		/* the HTTPS port: connections handshake first */
	bool armed;		/* its accept is in the kernel */
	bool dead;		/* closed: freed with the accept's last completion */
	bool mark;
	struct ing_op op;
};

/* An idle upstream connection, kept for the next request to the same
 * endpoint (ingress-nginx's upstream keepalive). */
struct ing_idle {
	struct k1s_list link;		/* in its bucket, newest first */
	struct k1s_list age;		/* in the loop's list, oldest first */
	struct sockaddr_in to;
	int fd;
	int64_t since;
};

#define ING_POOL_BUCKETS 1024
#define ING_POOL_MAX	1024		/* idle upstream connections per loop */
#define ING_POOL_IDLE_MS 60000		/* upstream-keepalive-timeout */

struct ing_loop {
	struct ing *ing;
	int idx;
	struct k1s_ring_thread t;
	struct ing_op o_wake, o_tick;
	struct ing_snap *cur;
	struct k1s_list lsns;
	struct k1s_list conns;
	unsigned nconns;
	struct k1s_list pool[ING_POOL_BUCKETS];
	struct k1s_list pool_age;
	unsigned npool;
	int64_t now;			/* monotonic ms, at the last completion batch */
	uint64_t rnd;			/* request ids */
	uint32_t rr;			/* round robin over endpoints */
	struct ing_tls_cfg tls;		/* towards HTTPS backends (set up at first use),
					 * and the HTTPS port's server side */
	/* Connections in their TLS handshake: each holds the snapshot it
	 * started under (its certificates), so the loop acknowledges no
	 * generation past the oldest of theirs (ing_loop_ack). */
	unsigned nhs;
	bool stopping;
};

static inline struct io_uring_sqe *ing_sqe(struct ing_loop *lp)
{
	return k1s_ring_sqe(&lp->t.ring);
}

/* The upstream pool (ing_loop.c). An idle connection to `to`, or -1. */
int ing_pool_take(struct ing_loop *lp, const struct sockaddr_in *to);
void ing_pool_put(struct ing_loop *lp, const struct sockaddr_in *to, int fd);

/* Acknowledges the oldest snapshot the loop still holds (ing_loop.c). */
void ing_loop_ack(struct ing_loop *lp);

/* Connections (ing_conn.c). */
void ing_conn_accepted(struct ing_lsn *l, int fd);
void ing_conn_cqe(struct ing_op *op, int res);
void ing_conn_tick(struct ing_loop *lp);	/* timeouts */
void ing_conn_free_all(struct ing_loop *lp);
/* The oldest generation a handshaking connection holds, at most gen. */
uint64_t ing_conn_oldest_gen(struct ing_loop *lp, uint64_t gen);

#endif
