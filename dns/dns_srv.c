/* The server loops: one thread per loop, each with its own io_uring, all
 * receiving on the same sockets (dns->ufd, dns->tfd).
 *
 * UDP: each loop keeps DNS_UDP_SLOTS receives in flight per socket; a
 * slot's query is answered from the snapshot into the slot's own buffer
 * and sent from there, then the slot receives again. Completions are
 * taken in batches and the sends they cause go to the kernel in one
 * submit. Queries for other names go to the loop's forwarder and the slot
 * is free at once.
 * TCP (RFC 7766): multishot accept; two-byte length framing, several
 * queries per connection, answered in order or as forwards complete;
 * idle connections close after DNS_TCP_IDLE_MS. */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns_int.h"
#include "k1s_log.h"

#define DNS_RING	4096
#define DNS_UDP_SLOTS	256
#define DNS_UDP_IN	4096
#define DNS_TCP_IDLE_MS	10000
#define DNS_TCP_WMAX	(1 << 20)
#define DNS_TICK_MS	100

enum op_kind { OP_WAKE, OP_TICK, OP_URECV, OP_USEND, OP_ACCEPT, OP_TRECV, OP_TSEND, OP_FRECV };

struct op {
	uint8_t kind;
	uint8_t idx;
	void *owner;
};

struct uslot {
	struct op op;
	struct dns_loop *lp;
	int fd;
	struct msghdr mh;
	struct iovec iov;
	struct sockaddr_in from;
	uint8_t in[DNS_UDP_IN];
	uint8_t out[DNS_UDP_MAX];
};

struct tconn {
	struct tconn *prev, *next;
	struct dns_loop *lp;
	struct op o_recv, o_send;
	int fd, inflight;
	bool dead, eof, sending;
	int64_t last;
	size_t rlen;
	uint8_t *wbuf;
	size_t wlen, woff, wcap, wsent;
	uint8_t rbuf[2 + 65535];
};

struct dns_loop {
	struct dns *dns;
	int idx;
	pthread_t th;
	struct io_uring ring;
	int efd;
	uint64_t ebuf;
	struct op o_wake, o_tick, o_accept[2], o_frecv[DNS_MAX_UPSTREAMS];
	struct __kernel_timespec tick;
	struct dns_snap *cur;
	_Atomic uint64_t seen;
	struct uslot *slots;
	int nslots;
	bool accept_rearm[2];
	struct tconn conns;	/* list head */
	struct dns_fwd *fwd;
	uint8_t *fbuf[DNS_MAX_UPSTREAMS];
	int64_t now;
	bool stopping;
	pthread_mutex_t mu;	/* start-up only */
	pthread_cond_t cv;
	int init;
	uint8_t tout[2 + 65535];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct io_uring_sqe *get_sqe(struct dns_loop *lp)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&lp->ring);

	while (!sqe) {
		io_uring_submit(&lp->ring);
		sqe = io_uring_get_sqe(&lp->ring);
	}
	return sqe;
}

/* ---- UDP ---- */

static void urecv(struct uslot *s)
{
	struct io_uring_sqe *sqe = get_sqe(s->lp);

	s->iov.iov_base = s->in;
	s->iov.iov_len = sizeof(s->in);
	s->mh.msg_name = &s->from;
	s->mh.msg_namelen = sizeof(s->from);
	s->mh.msg_iov = &s->iov;
	s->mh.msg_iovlen = 1;
	s->mh.msg_control = NULL;
	s->mh.msg_controllen = 0;
	s->mh.msg_flags = 0;
	s->op.kind = OP_URECV;
	io_uring_prep_recvmsg(sqe, s->fd, &s->mh, 0);
	io_uring_sqe_set_data(sqe, &s->op);
}

static void on_urecv(struct uslot *s, int res)
{
	struct dns_loop *lp = s->lp;
	const struct dns_node *ext;
	struct dns_q q;
	int n;

	if (res < 0 || (s->mh.msg_flags & MSG_TRUNC)) {
		/* An oversized datagram is no query of ours; errors such as a
		 * queued ICMP report concern nobody here. */
		if (res == -EBADF || res == -ENOTSOCK || res == -EINVAL)
			return;
		urecv(s);
		return;
	}
	n = dns_answer(lp->cur, s->in, (size_t)res, s->out, sizeof(s->out), 0, &q, &ext);
	if (n == DNS_FORWARD || (n > 0 && ext && lp->fwd)) {
		struct dns_client c = {
			.fd = s->fd, .addr = s->from,
			.limit = q.edns ? q.udp_size : 512,
		};

		if (lp->fwd)
			dns_fwd_query(lp->fwd, s->in, (size_t)res, &q, ext, s->out,
				      n > 0 ? (size_t)n : 0, &c, lp->now);
		urecv(s);
		return;
	}
	if (n <= 0) {
		urecv(s);
		return;
	}
	s->iov.iov_base = s->out;
	s->iov.iov_len = (size_t)n;
	s->op.kind = OP_USEND;
	{
		struct io_uring_sqe *sqe = get_sqe(lp);

		io_uring_prep_sendmsg(sqe, s->fd, &s->mh, MSG_DONTWAIT);
		io_uring_sqe_set_data(sqe, &s->op);
	}
}

/* ---- TCP ---- */

static void tconn_recv(struct tconn *c)
{
	struct io_uring_sqe *sqe = get_sqe(c->lp);

	io_uring_prep_recv(sqe, c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, 0);
	io_uring_sqe_set_data(sqe, &c->o_recv);
	c->inflight++;
}

static void tconn_send(struct tconn *c)
{
	struct io_uring_sqe *sqe = get_sqe(c->lp);

	io_uring_prep_send(sqe, c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, &c->o_send);
	c->inflight++;
	c->sending = true;
}

static void tconn_put(struct tconn *c)
{
	if (!c->dead || c->inflight > 0)
		return;
	c->prev->next = c->next;
	c->next->prev = c->prev;
	free(c->wbuf);
	free(c);
}

static void tconn_kill(struct tconn *c)
{
	struct dns_loop *lp = c->lp;

	if (c->dead)
		return;
	c->dead = true;
	if (lp->fwd)
		dns_fwd_forget(lp->fwd, c);
	if (c->inflight && !lp->stopping) {
		struct io_uring_sqe *sqe = get_sqe(lp);

		io_uring_prep_cancel(sqe, &c->o_recv, 0);
		io_uring_sqe_set_data(sqe, NULL);
		sqe = get_sqe(lp);
		io_uring_prep_cancel(sqe, &c->o_send, 0);
		io_uring_sqe_set_data(sqe, NULL);
		/* Before the close, so that nothing meets a reused fd. */
		io_uring_submit(&lp->ring);
	}
	close(c->fd);
	c->fd = -1;
}

static void tconn_append(struct tconn *c, const uint8_t *p, size_t n)
{
	if (c->dead)
		return;
	if (c->wlen + 2 + n > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 4096;
		void *q;

		while (cap < c->wlen + 2 + n)
			cap *= 2;
		if (cap > DNS_TCP_WMAX || !(q = realloc(c->wbuf, cap))) {
			/* A client that asks and never reads. */
			tconn_kill(c);
			return;
		}
		c->wbuf = q;
		c->wcap = cap;
	}
	dns_put16(c->wbuf + c->wlen, (uint16_t)n);
	memcpy(c->wbuf + c->wlen + 2, p, n);
	c->wlen += 2 + n;
	if (!c->sending)
		tconn_send(c);
}

static void tconn_frames(struct tconn *c)
{
	struct dns_loop *lp = c->lp;
	size_t off = 0;

	while (!c->dead && c->rlen - off >= 2) {
		size_t flen = dns_get16(c->rbuf + off);
		const struct dns_node *ext;
		struct dns_q q;
		int n;

		if (flen == 0) {
			tconn_kill(c);
			return;
		}
		if (c->rlen - off < 2 + flen)
			break;
		n = dns_answer(lp->cur, c->rbuf + off + 2, flen, lp->tout, 65535, 65535, &q, &ext);
		if (n == DNS_FORWARD || (n > 0 && ext && lp->fwd)) {
			struct dns_client cl = {.fd = -1, .conn = c, .limit = 65535};

			if (lp->fwd)
				dns_fwd_query(lp->fwd, c->rbuf + off + 2, flen, &q, ext, lp->tout,
					      n > 0 ? (size_t)n : 0, &cl, lp->now);
		} else if (n > 0) {
			tconn_append(c, lp->tout, (size_t)n);
		}
		off += 2 + flen;
	}
	if (off && !c->dead) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
}

static void tconn_cqe(struct op *op, int res)
{
	struct tconn *c = op->owner;

	c->inflight--;
	if (c->dead) {
		tconn_put(c);
		return;
	}
	c->last = c->lp->now;
	if (op->kind == OP_TRECV) {
		if (res <= 0) {
			c->eof = true;
			if (res < 0 || !c->sending)
				tconn_kill(c);
		} else {
			c->rlen += (size_t)res;
			/* Held: an answer from the cache may end c on the way. */
			c->inflight++;
			tconn_frames(c);
			c->inflight--;
			if (!c->dead)
				tconn_recv(c);
		}
	} else {
		c->sending = false;
		if (res < 0) {
			tconn_kill(c);
		} else {
			c->woff += (size_t)res;
			if (c->woff < c->wlen) {
				tconn_send(c);
			} else {
				c->woff = c->wlen = 0;
				if (c->eof)
					tconn_kill(c);
			}
		}
	}
	tconn_put(c);
}

static void accept_arm(struct dns_loop *lp, int i)
{
	struct io_uring_sqe *sqe = get_sqe(lp);

	io_uring_prep_multishot_accept(sqe, lp->dns->tfd[i], NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data(sqe, &lp->o_accept[i]);
}

static void on_accept(struct dns_loop *lp, int i, struct io_uring_cqe *cqe)
{
	struct tconn *c;

	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		if (cqe->res >= 0)
			accept_arm(lp, i);
		else
			lp->accept_rearm[i] = true;	/* out of fds: on the next tick */
	}
	if (cqe->res < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cqe->res);
		return;
	}
	c->lp = lp;
	c->fd = cqe->res;
	c->last = lp->now;
	c->o_recv = (struct op){OP_TRECV, 0, c};
	c->o_send = (struct op){OP_TSEND, 0, c};
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	c->next = lp->conns.next;
	c->prev = &lp->conns;
	lp->conns.next->prev = c;
	lp->conns.next = c;
	tconn_recv(c);
}

/* ---- forwarded answers ---- */

static void fwd_reply(void *arg, const struct dns_client *c, const uint8_t *p, size_t n)
{
	if (c->conn) {
		struct tconn *tc = c->conn;

		tconn_append(tc, p, n);
		tconn_put(tc);
	} else
		sendto(c->fd, p, n, MSG_DONTWAIT, (const struct sockaddr *)&c->addr,
		       sizeof(c->addr));
	(void)arg;
}

static void frecv(struct dns_loop *lp, int i)
{
	struct io_uring_sqe *sqe = get_sqe(lp);

	io_uring_prep_recv(sqe, dns_fwd_fd(lp->fwd, i), lp->fbuf[i], 65536, 0);
	io_uring_sqe_set_data(sqe, &lp->o_frecv[i]);
}

static void on_frecv(struct dns_loop *lp, int i, int res)
{
	if (res >= 0)
		dns_fwd_input(lp->fwd, i, lp->fbuf[i], (size_t)res, lp->now);
	else
		dns_fwd_error(lp->fwd, i, res, lp->now);
	if (res != -EBADF)
		frecv(lp, i);
}

/* ---- the loop ---- */

static void arm_wake(struct dns_loop *lp)
{
	struct io_uring_sqe *sqe = get_sqe(lp);

	io_uring_prep_read(sqe, lp->efd, &lp->ebuf, sizeof(lp->ebuf), 0);
	io_uring_sqe_set_data(sqe, &lp->o_wake);
}

static void arm_tick(struct dns_loop *lp)
{
	struct io_uring_sqe *sqe = get_sqe(lp);

	lp->tick.tv_sec = 0;
	lp->tick.tv_nsec = DNS_TICK_MS * 1000000L;
	io_uring_prep_timeout(sqe, &lp->tick, 0, 0);
	io_uring_sqe_set_data(sqe, &lp->o_tick);
}

static void take_snap(struct dns_loop *lp)
{
	struct dns_snap *s = atomic_load(&lp->dns->snap);

	if (s && s != lp->cur) {
		lp->cur = s;
		atomic_store(&lp->seen, s->gen);
	}
}

static void on_tick(struct dns_loop *lp)
{
	struct tconn *c, *n;

	if (lp->fwd)
		dns_fwd_tick(lp->fwd, lp->now);
	for (c = lp->conns.next; c != &lp->conns; c = n) {
		n = c->next;
		if (!c->dead && lp->now - c->last > DNS_TCP_IDLE_MS) {
			tconn_kill(c);
			tconn_put(c);
		}
	}
	for (int i = 0; i < lp->dns->nlisten; i++)
		if (lp->accept_rearm[i]) {
			lp->accept_rearm[i] = false;
			accept_arm(lp, i);
		}
}

static void handle(struct dns_loop *lp, struct io_uring_cqe *cqe)
{
	struct op *op = io_uring_cqe_get_data(cqe);

	if (!op)
		return;
	switch (op->kind) {
	case OP_URECV:
		on_urecv(op->owner, cqe->res);
		break;
	case OP_USEND:
		urecv(op->owner);
		break;
	case OP_WAKE:
		if (atomic_load(&lp->dns->stop)) {
			lp->stopping = true;
		} else {
			take_snap(lp);
			arm_wake(lp);
		}
		break;
	case OP_TICK:
		on_tick(lp);
		arm_tick(lp);
		break;
	case OP_ACCEPT:
		on_accept(lp, op->idx, cqe);
		break;
	case OP_FRECV:
		on_frecv(lp, op->idx, cqe->res);
		break;
	default:
		tconn_cqe(op, cqe->res);
		break;
	}
}

/* As the dataplane's: a ring for this thread alone where the kernel has it. */
static int ring_init(struct dns_loop *lp)
{
	static const unsigned flags[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		0,
	};
	int err = -EINVAL;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct io_uring_params p = {.flags = flags[i]};

		err = io_uring_queue_init_params(DNS_RING, &lp->ring, &p);
		if (err == 0)
			return 0;
	}
	return err;
}

static void *loop_main(void *arg)
{
	struct dns_loop *lp = arg;
	struct dns *dns = lp->dns;
	int err = ring_init(lp);

	pthread_mutex_lock(&lp->mu);
	lp->init = err ? err : 1;
	pthread_cond_signal(&lp->cv);
	pthread_mutex_unlock(&lp->mu);
	if (err)
		return NULL;
	lp->now = now_ms();
	take_snap(lp);
	arm_wake(lp);
	arm_tick(lp);
	for (int i = 0; i < lp->nslots; i++)
		urecv(&lp->slots[i]);
	for (int i = 0; i < dns->nlisten; i++)
		accept_arm(lp, i);
	for (int i = 0; lp->fwd && i < dns_fwd_nfds(lp->fwd); i++)
		if (dns_fwd_fd(lp->fwd, i) >= 0)
			frecv(lp, i);
	while (!lp->stopping) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;

		io_uring_submit_and_wait(&lp->ring, 1);
		lp->now = now_ms();
		io_uring_for_each_cqe(&lp->ring, head, cqe) {
			handle(lp, cqe);
			n++;
		}
		io_uring_cq_advance(&lp->ring, n);
	}
	io_uring_queue_exit(&lp->ring);
	return NULL;
}

struct dns_loop *dns_loop_start(struct dns *dns, int idx, int *err)
{
	struct dns_loop *lp = calloc(1, sizeof(*lp));
	int e = -ENOMEM;

	if (!lp) {
		*err = -ENOMEM;
		return NULL;
	}
	lp->dns = dns;
	lp->idx = idx;
	lp->conns.next = lp->conns.prev = &lp->conns;
	lp->o_wake = (struct op){OP_WAKE, 0, lp};
	lp->o_tick = (struct op){OP_TICK, 0, lp};
	for (int i = 0; i < 2; i++)
		lp->o_accept[i] = (struct op){OP_ACCEPT, (uint8_t)i, lp};
	for (int i = 0; i < DNS_MAX_UPSTREAMS; i++)
		lp->o_frecv[i] = (struct op){OP_FRECV, (uint8_t)i, lp};
	lp->efd = -1;
	lp->nslots = dns->nlisten * DNS_UDP_SLOTS;
	lp->slots = calloc((size_t)lp->nslots, sizeof(*lp->slots));
	if (!lp->slots)
		goto fail;
	for (int i = 0; i < lp->nslots; i++) {
		lp->slots[i].lp = lp;
		lp->slots[i].fd = dns->ufd[i / DNS_UDP_SLOTS];
		lp->slots[i].op = (struct op){OP_URECV, 0, &lp->slots[i]};
	}
	lp->fwd = dns_fwd_new(&dns->up, fwd_reply, lp);
	if (!lp->fwd)
		goto fail;
	for (int i = 0; i < dns_fwd_nfds(lp->fwd); i++)
		if (!(lp->fbuf[i] = malloc(65536)))
			goto fail;
	lp->efd = eventfd(0, EFD_CLOEXEC);
	if (lp->efd < 0) {
		e = -errno;
		goto fail;
	}
	pthread_mutex_init(&lp->mu, NULL);
	pthread_cond_init(&lp->cv, NULL);
	e = pthread_create(&lp->th, NULL, loop_main, lp);
	if (e) {
		e = -e;
		goto fail_sync;
	}
	pthread_mutex_lock(&lp->mu);
	while (!lp->init)
		pthread_cond_wait(&lp->cv, &lp->mu);
	pthread_mutex_unlock(&lp->mu);
	if (lp->init < 0) {
		e = lp->init;
		k1s_err("dns", "io_uring: %s", strerror(-e));
		pthread_join(lp->th, NULL);
		goto fail_sync;
	}
	return lp;
fail_sync:
	pthread_mutex_destroy(&lp->mu);
	pthread_cond_destroy(&lp->cv);
fail:
	if (lp->efd >= 0)
		close(lp->efd);
	for (int i = 0; i < DNS_MAX_UPSTREAMS; i++)
		free(lp->fbuf[i]);
	dns_fwd_free(lp->fwd);
	free(lp->slots);
	free(lp);
	*err = e;
	return NULL;
}

void dns_loop_wake(struct dns_loop *lp)
{
	uint64_t one = 1;

	if (write(lp->efd, &one, sizeof(one)) < 0)
		k1s_warn("dns", "waking loop %d: %s", lp->idx, strerror(errno));
}

uint64_t dns_loop_seen(struct dns_loop *lp)
{
	return atomic_load(&lp->seen);
}

void dns_loop_join(struct dns_loop *lp)
{
	struct tconn *c, *n;

	pthread_join(lp->th, NULL);
	/* The ring is gone: nothing the kernel holds points at our memory. */
	for (c = lp->conns.next; c != &lp->conns; c = n) {
		n = c->next;
		if (c->fd >= 0)
			close(c->fd);
		free(c->wbuf);
		free(c);
	}
	dns_fwd_free(lp->fwd);
	for (int i = 0; i < DNS_MAX_UPSTREAMS; i++)
		free(lp->fbuf[i]);
	free(lp->slots);
	close(lp->efd);
	pthread_mutex_destroy(&lp->mu);
	pthread_cond_destroy(&lp->cv);
	free(lp);
}
