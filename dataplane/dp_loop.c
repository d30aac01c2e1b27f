/* The data path: one thread per loop, each with its own io_uring. Each
 * loop opens its own SO_REUSEPORT listeners for the current snapshot, so
 * the kernel spreads connections and UDP flows across the loops, and
 * nothing on the path is shared or locked. This file holds the loop and
 * its listeners; the TCP relay is dp_tcp.c, UDP flows dp_udp.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dp_loop_int.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "k1s_uring.h"

#define DP_RING		1024
#define DP_EMFILE_LOG_MS 10000	/* one "out of descriptors" line per this long */

void dp_cancel(struct dp_loop *lp, struct dp_op *op)
{
	struct io_uring_sqe *sqe;

	if (lp->stopping)
		return;
	sqe = dp_sqe(lp);
	if (!sqe)
		return;
	io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)op, 0);
	io_uring_sqe_set_data64(sqe, 0);
}

/* Operations prepared on an fd go to the kernel before the fd closes, so
 * that none of them can meet a new socket that reuses the number. */
void dp_flush(struct dp_loop *lp)
{
	if (!lp->stopping)
		io_uring_submit(&lp->t.ring);
}

void dp_rst_close(int fd)
{
	struct linger lg = {1, 0};

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* ---- listeners ---- */

static struct lsn **lsn_slot(struct dp_loop *lp, enum dp_proto proto,
			     const struct sockaddr_in *a)
{
	uint32_t h = (a->sin_addr.s_addr * 0x9e3779b1u) ^ ((uint32_t)a->sin_port << 1) ^ proto;
	struct lsn **pp = &lp->ltab[(h ^ (h >> 16)) % DP_LSN_BUCKETS];

	while (*pp && !((*pp)->proto == proto &&
			(*pp)->addr.sin_addr.s_addr == a->sin_addr.s_addr &&
			(*pp)->addr.sin_port == a->sin_port))
		pp = &(*pp)->hnext;
	return pp;
}

static void lsn_put(struct lsn *l)
{
	if (l->inflight > 0 || !l->dead || l->flows.next != &l->flows)
		return;
	k1s_list_del(&l->link);
	free(l->buf);
	free(l);
}

static void lsn_kill(struct lsn *l)
{
	if (l->dead)
		return;
	l->dead = true;
	*lsn_slot(l->lp, l->proto, &l->addr) = l->hnext;
	if (l->inflight)
		dp_cancel(l->lp, &l->op);
	dp_flush(l->lp);
	close(l->fd);
	l->fd = -1;
	dp_udp_close(l);
	lsn_put(l);
}

static void lsn_accept(struct lsn *l)
{
	struct io_uring_sqe *sqe = dp_sqe(l->lp);

	io_uring_prep_multishot_accept(sqe, l->fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data(sqe, &l->op);
	l->inflight++;
}

static struct lsn *lsn_open(struct dp_loop *lp, const struct dp_lsn *s)
{
	struct lsn *l = calloc(1, sizeof(*l));
	int one = 1;
	char ip[INET_ADDRSTRLEN];

	if (!l)
		return NULL;
	k1s_list_init(&l->flows);
	l->lp = lp;
	l->proto = s->proto;
	l->addr = s->addr;
	l->svc = s->svc;
	l->external = s->external;
	l->op = (struct dp_op){s->proto == DP_TCP ? OP_ACCEPT : OP_URECV, 0, l};
	l->fd = socket(AF_INET, (s->proto == DP_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC,
		       0);
	if (l->fd < 0)
		goto fail;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* Cluster and pool addresses need not be configured on any device. */
	setsockopt(l->fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(l->fd, (struct sockaddr *)&s->addr, sizeof(s->addr)) < 0)
		goto fail;
	if (s->proto == DP_TCP) {
		if (listen(l->fd, 4096) < 0)
			goto fail;
		lsn_accept(l);
	} else {
		l->buf = malloc(DP_UDP_BUF);
		if (!l->buf)
			goto fail;
		dp_udp_recv(l);
	}
	k1s_list_add(&lp->lsns, &l->link);
	*lsn_slot(lp, l->proto, &l->addr) = l;
	return l;
fail:
	inet_ntop(AF_INET, &s->addr.sin_addr, ip, sizeof(ip));
	k1s_warn("dp", "listening on %s %s:%u: %s", s->proto == DP_TCP ? "tcp" : "udp", ip,
		 ntohs(s->addr.sin_port), strerror(errno));
	if (l->fd >= 0)
		close(l->fd);
	free(l);
	return NULL;
}

/* Out of descriptors (or memory), every listener fails each second until
 * some close: one line says so now and then, not one per failure. */
static void accept_failed(struct lsn *l, int err)
{
	struct dp_loop *lp = l->lp;
	char ip[INET_ADDRSTRLEN];

	lp->accept_failed++;
	if (lp->now - lp->accept_warned < DP_EMFILE_LOG_MS)
		return;
	inet_ntop(AF_INET, &l->addr.sin_addr, ip, sizeof(ip));
	k1s_warn("dp", "loop %d: accept on %s:%u: %s (%u failures since the last report); "
		 "retrying each second", lp->idx, ip, ntohs(l->addr.sin_port), strerror(err),
		 lp->accept_failed);
	lp->accept_warned = lp->now;
	lp->accept_failed = 0;
}

static void lsn_cqe(struct lsn *l, struct io_uring_cqe *cqe)
{
	l->inflight--;
	if (l->dead) {
		if (cqe->res >= 0 && l->proto == DP_TCP)
			dp_rst_close(cqe->res);
		if (l->proto == DP_TCP && (cqe->flags & IORING_CQE_F_MORE))
			l->inflight++;
		lsn_put(l);
		return;
	}
	if (l->proto == DP_TCP) {
		if (cqe->flags & IORING_CQE_F_MORE)
			l->inflight++;
		else if (cqe->res >= 0)
			lsn_accept(l);	/* the kernel ended the multishot: again */
		else
			l->rearm = true;	/* out of fds or memory: on the next tick */
		if (cqe->res >= 0)
			dp_tcp_accepted(l, cqe->res);
		else if (cqe->res != -EAGAIN)
			accept_failed(l, -cqe->res);
		return;
	}
	if (cqe->res >= 0)
		dp_udp_datagram(l, cqe->res);
	if (cqe->res >= 0 || cqe->res == -EAGAIN || cqe->res == -ECONNREFUSED)
		dp_udp_recv(l);
	else
		l->rearm = true;
}

/* Brings the listeners in line with the snapshot: new ones open, removed
 * ones close (their connections stay). */
static void reconcile(struct dp_loop *lp)
{
	struct dp_snap *s = dp_snap_of(k1s_pub_current(&lp->dp->pub));
	struct k1s_list *p, *n;

	if (!s || s == lp->cur)
		return;
	for (p = lp->lsns.next; p != &lp->lsns; p = p->next)
		k1s_list_entry(p, struct lsn, link)->mark = false;
	/* Beyond the snapshot's count of listening loops this one only
	 * finishes the connections it has. */
	for (uint32_t i = 0; lp->idx < s->lsn_loops && i < s->nlsn; i++) {
		struct lsn *found = *lsn_slot(lp, s->lsn[i].proto, &s->lsn[i].addr);

		if (!found)
			found = lsn_open(lp, &s->lsn[i]);
		if (found) {
			found->svc = s->lsn[i].svc;
			found->external = s->lsn[i].external;
			found->mark = true;
		}
	}
	for (p = lp->lsns.next; p != &lp->lsns; p = n) {
		struct lsn *l = k1s_list_entry(p, struct lsn, link);

		n = p->next;
		if (!l->mark && !l->dead)
			lsn_kill(l);
		else if (l->proto == DP_UDP)
			dp_udp_prune(l, &s->svc[l->svc]);
	}
	lp->cur = s;
	k1s_pub_ack(&lp->dp->pub, lp->idx, s->base.gen);
}

/* ---- the loop ---- */

static void arm_wake(struct dp_loop *lp)
{
	k1s_ring_thread_arm_wake(&lp->t, &lp->o_wake);
}

static void arm_tick(struct dp_loop *lp)
{
	k1s_ring_thread_arm_tick(&lp->t, 1000, &lp->o_tick);
}

/* Once a second: idle connections and flows end; listeners the kernel
 * stopped (out of descriptors or memory) accept again. */
static void on_tick(struct dp_loop *lp)
{
	dp_tcp_tick(lp);
	for (struct k1s_list *p = lp->lsns.next; p != &lp->lsns; p = p->next) {
		struct lsn *l = k1s_list_entry(p, struct lsn, link);

		if (l->rearm && !l->dead) {
			l->rearm = false;
			if (l->proto == DP_TCP)
				lsn_accept(l);
			else
				dp_udp_recv(l);
		}
		dp_udp_tick(l);
	}
}

static void handle(void *arg, struct io_uring_cqe *cqe)
{
	struct dp_loop *lp = arg;
	struct dp_op *op = io_uring_cqe_get_data(cqe);

	if (!op)
		return;
	switch (op->kind) {
	case OP_WAKE:
		if (!atomic_load(&lp->dp->stop)) {
			reconcile(lp);
			arm_wake(lp);
		} else {
			lp->stopping = true;
		}
		break;
	case OP_TICK:
		on_tick(lp);
		arm_tick(lp);
		break;
	case OP_ACCEPT:
	case OP_URECV:
		lsn_cqe(op->owner, cqe);
		break;
	case OP_FRECV:
		dp_udp_flow_cqe(op, cqe->res);
		break;
	default:
		dp_tcp_cqe(op, cqe->res);
		break;
	}
}

static void loop_run(void *arg)
{
	struct dp_loop *lp = arg;

	lp->now = k1s_now_ms();
	lp->accept_warned = lp->now - DP_EMFILE_LOG_MS;
	reconcile(lp);
	arm_wake(lp);
	arm_tick(lp);
	while (!lp->stopping)
		k1s_ring_turn(&lp->t.ring, &lp->now, handle, lp);
}

struct dp_loop *dp_loop_start(struct dp *dp, int idx, int *err)
{
	struct dp_loop *lp = calloc(1, sizeof(*lp));

	if (!lp) {
		*err = -ENOMEM;
		return NULL;
	}
	lp->dp = dp;
	lp->idx = idx;
	k1s_list_init(&lp->lsns);
	k1s_list_init(&lp->conns);
	k1s_list_init(&lp->parked);
	lp->o_wake = (struct dp_op){OP_WAKE, 0, lp};
	lp->o_tick = (struct dp_op){OP_TICK, 0, lp};
	*err = k1s_ring_thread_start(&lp->t, "dp", idx, DP_RING, NULL, loop_run, lp);
	if (*err < 0) {
		free(lp);
		return NULL;
	}
	return lp;
}

void dp_loop_wake(struct dp_loop *lp)
{
	k1s_ring_thread_wake(&lp->t);
}

void dp_loop_join(struct dp_loop *lp)
{
	struct k1s_list *p, *n;

	k1s_ring_thread_join(&lp->t);
	for (p = lp->lsns.next; p != &lp->lsns; p = n) {
		struct lsn *l = k1s_list_entry(p, struct lsn, link);

		n = p->next;
		lsn_kill(l);
		l->inflight = 0;
		lsn_put(l);
	}
	dp_tcp_free_all(lp);
	dp_udp_free_parked(lp);
	free(lp);
}
