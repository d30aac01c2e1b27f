/* Inside a data-path loop: what the loop (dp_loop.c), its TCP relay
 * (dp_tcp.c) and its UDP flows (dp_udp.c) share. All of it belongs to one
 * loop thread.
 *
 * Every submitted operation carries a struct dp_op; an owner (connection,
 * listener, flow) is freed only when none of its operations is left. */
#ifndef DP_LOOP_INT_H
#define DP_LOOP_INT_H

#include <liburing.h>
#include <stddef.h>

#include "dp_int.h"
#include "k1s_list.h"
#include "k1s_uring.h"

enum op_kind {
	OP_WAKE, OP_TICK, OP_ACCEPT, OP_URECV, OP_FRECV,
	OP_CONNECT, OP_CTIMEO, OP_RECV, OP_SEND, OP_POLL,
};

struct dp_op {
	uint8_t kind;
	uint8_t dir;
	void *owner;
};

#define DP_LSN_BUCKETS 16384
#define DP_UDP_BUF 65536

struct lsn {
	struct k1s_list link;
	struct lsn *hnext;	/* in the loop's table while open */
	struct k1s_list flows;
	struct dp_loop *lp;
	enum dp_proto proto;
	struct sockaddr_in addr;
	int fd;
	uint32_t svc, rr;
	bool external;		/* a node port or load balancer address */
	bool mark, dead, rearm;
	int inflight;
	struct dp_op op;
	/* UDP */
	struct msghdr mh;
	struct iovec iov;
	struct sockaddr_in from;
	char *buf;
};

struct dp_loop {
	struct dp *dp;
	int idx;
	struct k1s_ring_thread t;
	struct dp_op o_wake, o_tick;
	struct dp_snap *cur;
	struct k1s_list lsns, conns;
	struct lsn *ltab[DP_LSN_BUCKETS];
	struct k1s_list parked;	/* flows of closed listeners, until their last completion */
	int64_t now;
	int64_t accept_warned;	/* when "out of file descriptors" was last logged */
	unsigned accept_failed;	/* since then */
	bool stopping;
};

/* The loop (dp_loop.c). */
static inline struct io_uring_sqe *dp_sqe(struct dp_loop *lp)
{
	return k1s_ring_sqe(&lp->t.ring);
}
void dp_cancel(struct dp_loop *lp, struct dp_op *op);
void dp_flush(struct dp_loop *lp);
void dp_rst_close(int fd);

/* TCP (dp_tcp.c). */
void dp_tcp_accepted(struct lsn *l, int fd);
void dp_tcp_cqe(struct dp_op *op, int res);
void dp_tcp_tick(struct dp_loop *lp);	/* idle connections end */
void dp_tcp_free_all(struct dp_loop *lp);

/* UDP (dp_udp.c). */
void dp_udp_recv(struct lsn *l);
void dp_udp_datagram(struct lsn *l, int len);
void dp_udp_flow_cqe(struct dp_op *op, int res);
void dp_udp_prune(struct lsn *l, const struct dp_svc *sv);
void dp_udp_tick(struct lsn *l);
void dp_udp_close(struct lsn *l);	/* the listener closes: its flows end */
void dp_udp_free_parked(struct dp_loop *lp);

#endif
