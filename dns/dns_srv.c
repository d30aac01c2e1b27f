/* The server loops: one thread per loop, each with its own io_uring, all
 * receiving on the same sockets (dns->ufd, dns->tfd).
 *
 * UDP: one multishot recvmsg per socket per loop, into a ring of
 * provided buffers: one armed receive serves every datagram, instead of
 * many receives that each datagram's wake-up would stir. A query is
 * answered from the snapshot into a send slot and sent by the same ring;
 * completions are taken in batches, and the sends they cause go to the
 * kernel in one submit. Queries for other names go to the loop's
 * forwarder. Buffers go back to the ring as soon as their query is
 * answered or copied.
 * TCP (RFC 7766): multishot accept; two-byte length framing, several
 * queries per connection, answered in order or as forwards complete;
 * idle connections close after DNS_TCP_IDLE_MS. */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns_int.h"
#include "k1s_facelog.h"
#include "k1s_list.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "k1s_uring.h"

#define DNS_RING	4096
#define DNS_UDP_BUFS	512	/* provided receive buffers per socket per loop */
#define DNS_UDP_BUFSZ	2048	/* a query, its address and the kernel's header */
#define DNS_UDP_SENDS	512	/* send slots per loop */
#define DNS_TCP_IDLE_MS	10000
#define DNS_TCP_WMAX	(1 << 20)
#define DNS_TCP_RBUF	1024	/* grown to a frame's size when one is longer */
#define DNS_TCP_MAX	1024	/* connections per loop; more are refused */
#define DNS_TICK_MS	100

enum op_kind {
	OP_WAKE, OP_TICK, OP_URECV, OP_USEND, OP_ACCEPT, OP_TRECV, OP_TSEND, OP_FRECV, OP_FTCP,
};

struct op {
	uint8_t kind;
	uint8_t idx;
	void *owner;
};

/* A socket's multishot receive and its buffer ring (group = index). */
struct urx {
	struct op op;
	int fd;
	bool rearm;
	struct msghdr mh;		/* the layout the kernel fills in */
	struct io_uring_buf_ring *br;
	size_t br_size;
	uint8_t *bufs;
};

/* An answer on its way out. */
struct usend {
	struct op op;
	struct usend *next;		/* free list */
	struct msghdr mh;
	struct iovec iov;
	struct sockaddr_in to;
	uint8_t out[DNS_UDP_MAX];
};

struct tconn {
	struct k1s_list link;	/* in the loop's conns */
	struct dns_loop *lp;
	struct sockaddr_in peer;	/* for flow records */
	int li;				/* the listener it came through */
	struct op o_recv, o_send;
	int fd, inflight;
	bool dead, eof, sending;
	int64_t last;
	size_t rlen, rcap;
	uint8_t *rbuf;
	uint8_t *wbuf;
	size_t wlen, woff, wcap;
};

struct dns_loop {
	struct dns *dns;
	int idx;
	struct k1s_ring_thread t;
	struct op o_wake, o_tick, o_accept[DNS_LISTEN_MAX], o_frecv[DNS_MAX_UPSTREAMS], o_ftcp;
	struct dns_snap *cur;
	struct urx rx[DNS_LISTEN_MAX];
	int nlisten;		/* the sockets this loop has armed */
	int nfixed;		/* the first ones, registered as files 0, 1 */
	bool fixed;
	bool qlog;		/* each query goes to the face's log */
	struct usend *sends, *free_sends;
	bool accept_rearm[DNS_LISTEN_MAX];
	struct k1s_list conns;
	int nconns;
	struct dns_fwd *fwd;
	int up_gen;
	uint8_t *fbuf[DNS_MAX_UPSTREAMS];
	int64_t now;
	bool stopping;
	uint8_t tout[2 + 65535];
};

static struct io_uring_sqe *get_sqe(struct dns_loop *lp)
{
	return k1s_ring_sqe(&lp->t.ring);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A query and its answer, in the face's log (debug level only). */
static void qlog(struct dns_loop *lp, const struct sockaddr_in *from, bool tcp,
		 const uint8_t *q, size_t qlen, const uint8_t *r, size_t rlen, int64_t t0)
{
	char line[1400];
	size_t n = dns_qlog_line(line, sizeof(line), from, tcp, q, qlen, r, rlen,
				 mono_ns() - t0);

	k1s_facelog_write(lp->dns->facelog, line, n);
}

/* ---- UDP ---- */

static void urx_arm(struct dns_loop *lp, int i)
{
	struct urx *r = &lp->rx[i];
	struct io_uring_sqe *sqe = get_sqe(lp);

	if (lp->fixed && i < lp->nfixed) {
		io_uring_prep_recvmsg_multishot(sqe, i, &r->mh, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
	} else {
		io_uring_prep_recvmsg_multishot(sqe, r->fd, &r->mh, 0);
	}
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = (uint16_t)i;
	io_uring_sqe_set_data(sqe, &r->op);
	r->rearm = false;
}

static void urx_recycle(struct urx *r, unsigned bid)
{
	io_uring_buf_ring_add(r->br, r->bufs + (size_t)bid * DNS_UDP_BUFSZ, DNS_UDP_BUFSZ,
			      (unsigned short)bid, io_uring_buf_ring_mask(DNS_UDP_BUFS), 0);
	io_uring_buf_ring_advance(r->br, 1);
}

static void usend_done(struct dns_loop *lp, struct usend *u)
{
	u->next = lp->free_sends;
	lp->free_sends = u;
}

static void on_udp(struct dns_loop *lp, int i, const uint8_t *pkt, size_t len,
		   const struct sockaddr_in *from)
{
	struct usend *u = lp->free_sends;
	uint8_t spare[DNS_UDP_MAX];
	uint8_t *out = u ? u->out : spare;
	const struct dns_node *ext;
	struct dns_q q;
	int64_t t0 = lp->qlog ? mono_ns() : 0;
	int n = dns_answer(lp->cur, pkt, len, out, DNS_UDP_MAX, 0, &q, &ext);

	if (n == DNS_FORWARD || (n > 0 && ext && lp->fwd)) {
		struct dns_client c = {
			.fd = lp->rx[i].fd, .addr = *from,
			.limit = q.edns ? q.udp_size : 512,
		};

		if (lp->fwd)
			dns_fwd_query(lp->fwd, pkt, len, &q, ext, out, n > 0 ? (size_t)n : 0, &c,
				      lp->now);
		return;
	}
	if (n <= 0)
		return;
	if (lp->qlog)
		qlog(lp, from, false, pkt, len, out, (size_t)n, t0);
	dns_flow_put(lp->dns->flows, from, &lp->dns->listen[i], false, out, (size_t)n);
	if (!u) {
		/* Every slot is in flight: this one goes straight out. */
		sendto(lp->rx[i].fd, out, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)from,
		       sizeof(*from));
		return;
	}
	lp->free_sends = u->next;
	u->to = *from;
	u->iov.iov_base = u->out;
	u->iov.iov_len = (size_t)n;
	memset(&u->mh, 0, sizeof(u->mh));
	u->mh.msg_name = &u->to;
	u->mh.msg_namelen = sizeof(u->to);
	u->mh.msg_iov = &u->iov;
	u->mh.msg_iovlen = 1;
	{
		struct io_uring_sqe *sqe = get_sqe(lp);

		if (lp->fixed && i < lp->nfixed) {
			io_uring_prep_sendmsg(sqe, i, &u->mh, MSG_DONTWAIT);
			sqe->flags |= IOSQE_FIXED_FILE;
		} else {
			io_uring_prep_sendmsg(sqe, lp->rx[i].fd, &u->mh, MSG_DONTWAIT);
		}
		io_uring_sqe_set_data(sqe, &u->op);
	}
}

static void on_urecv(struct dns_loop *lp, int i, struct io_uring_cqe *cqe)
{
	struct urx *r = &lp->rx[i];
	struct io_uring_recvmsg_out *o;
	unsigned bid;
	uint8_t *buf;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		r->rearm = true;	/* out of buffers, or the kernel ended it */
	if (cqe->res == -EINVAL || cqe->res == -EOPNOTSUPP || cqe->res == -EBADF) {
		/* A kernel without multishot recvmsg (before 6.0): say so
		 * once rather than spin. */
		if (r->rearm)
			k1s_err("dns", "receiving on UDP: %s", strerror(-cqe->res));
		r->rearm = false;
		return;
	}
	if (cqe->res < 0 || !(cqe->flags & IORING_CQE_F_BUFFER))
		return;
	bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	buf = r->bufs + (size_t)bid * DNS_UDP_BUFSZ;
	o = io_uring_recvmsg_validate(buf, cqe->res, &r->mh);
	/* A datagram cut short is no query of ours. */
	if (o && !(o->flags & MSG_TRUNC) && o->namelen >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in from;

		memcpy(&from, io_uring_recvmsg_name(o), sizeof(from));
		on_udp(lp, i, io_uring_recvmsg_payload(o, &r->mh), o->payloadlen, &from);
	}
	urx_recycle(r, bid);
}

static int urx_init(struct dns_loop *lp, int i)
{
	struct urx *r = &lp->rx[i];
	struct io_uring_buf_reg reg = {0};
	int err;

	r->op = (struct op){OP_URECV, (uint8_t)i, lp};
	r->fd = lp->dns->ufd[i];
	r->mh.msg_namelen = sizeof(struct sockaddr_in);
	r->br_size = DNS_UDP_BUFS * sizeof(struct io_uring_buf);
	r->br = mmap(NULL, r->br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (r->br == MAP_FAILED) {
		r->br = NULL;
		return -errno;
	}
	r->bufs = malloc((size_t)DNS_UDP_BUFS * DNS_UDP_BUFSZ);
	if (!r->bufs)
		return -ENOMEM;
	reg.ring_addr = (uint64_t)(uintptr_t)r->br;
	reg.ring_entries = DNS_UDP_BUFS;
	reg.bgid = (uint16_t)i;
	err = io_uring_register_buf_ring(&lp->t.ring, &reg, 0);
	if (err)
		return err;
	io_uring_buf_ring_init(r->br);
	for (unsigned b = 0; b < DNS_UDP_BUFS; b++)
		io_uring_buf_ring_add(r->br, r->bufs + (size_t)b * DNS_UDP_BUFSZ, DNS_UDP_BUFSZ,
				      (unsigned short)b, io_uring_buf_ring_mask(DNS_UDP_BUFS),
				      (int)b);
	io_uring_buf_ring_advance(r->br, DNS_UDP_BUFS);
	return 0;
}

static void urx_free(struct urx *r)
{
	if (r->br)
		munmap(r->br, r->br_size);
	free(r->bufs);
	r->br = NULL;
	r->bufs = NULL;
}

/* ---- TCP ---- */

static void tconn_recv(struct tconn *c)
{
	struct io_uring_sqe *sqe = get_sqe(c->lp);

	/* Room for the frame that has begun, if it is longer than the buffer. */
	if (c->rlen >= 2 && (size_t)dns_get16(c->rbuf) + 2 > c->rcap) {
		size_t cap = (size_t)dns_get16(c->rbuf) + 2;
		uint8_t *p = realloc(c->rbuf, cap);

		if (p) {
			c->rbuf = p;
			c->rcap = cap;
		}
	}
	io_uring_prep_recv(sqe, c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
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
	k1s_list_del(&c->link);
	c->lp->nconns--;
	free(c->rbuf);
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
		io_uring_submit(&lp->t.ring);
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

	while (!c->dead) {
		size_t flen;
		const struct dns_node *ext;
		struct dns_q q;
		int n = dns_tcp_frame(c->rbuf + off, c->rlen - off, &flen);

		if (n < 0) {
			tconn_kill(c);
			return;
		}
		if (n == 0)
			break;
		int64_t t0 = lp->qlog ? mono_ns() : 0;

		n = dns_answer(lp->cur, c->rbuf + off + 2, flen, lp->tout, 65535, 65535, &q, &ext);
		if (lp->qlog && n > 0 && !(ext && lp->fwd)) {
			struct sockaddr_in from = {0};
			socklen_t sl = sizeof(from);

			getpeername(c->fd, (struct sockaddr *)&from, &sl);
			qlog(lp, &from, true, c->rbuf + off + 2, flen, lp->tout, (size_t)n, t0);
		}
		if (n == DNS_FORWARD || (n > 0 && ext && lp->fwd)) {
			struct dns_client cl = {.fd = -1, .conn = c, .limit = 65535};

			if (lp->fwd)
				dns_fwd_query(lp->fwd, c->rbuf + off + 2, flen, &q, ext, lp->tout,
					      n > 0 ? (size_t)n : 0, &cl, lp->now);
		} else if (n > 0) {
			dns_flow_put(lp->dns->flows, &c->peer, &lp->dns->listen[c->li], true,
				     lp->tout, (size_t)n);
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
	c = lp->nconns < DNS_TCP_MAX ? calloc(1, sizeof(*c)) : NULL;
	if (c && !(c->rbuf = malloc(DNS_TCP_RBUF))) {
		free(c);
		c = NULL;
	}
	if (!c) {
		close(cqe->res);
		return;
	}
	c->rcap = DNS_TCP_RBUF;
	lp->nconns++;
	c->lp = lp;
	c->fd = cqe->res;
	c->li = i;
	getpeername(c->fd, (struct sockaddr *)&c->peer, &(socklen_t){sizeof(c->peer)});
	c->last = lp->now;
	c->o_recv = (struct op){OP_TRECV, 0, c};
	c->o_send = (struct op){OP_TSEND, 0, c};
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	k1s_list_add(&lp->conns, &c->link);
	tconn_recv(c);
}

/* ---- forwarded answers ---- */

static void fwd_reply(void *arg, const struct dns_client *c, const uint8_t *p, size_t n)
{
	struct dns_loop *lp = arg;

	if (c->conn) {
		struct tconn *tc = c->conn;

		dns_flow_put(lp->dns->flows, &tc->peer, &lp->dns->listen[tc->li], true, p, n);
		tconn_append(tc, p, n);
		tconn_put(tc);
	} else {
		int li = 0;

		for (int j = 0; j < lp->dns->nlisten; j++)
			if (lp->dns->ufd[j] == c->fd)
				li = j;
		dns_flow_put(lp->dns->flows, &c->addr, &lp->dns->listen[li], false, p, n);
		sendto(c->fd, p, n, MSG_DONTWAIT, (const struct sockaddr *)&c->addr,
		       sizeof(c->addr));
	}
}

static void frecv(struct dns_loop *lp, int i)
{
	struct io_uring_sqe *sqe = get_sqe(lp);

	io_uring_prep_recv(sqe, dns_fwd_fd(lp->fwd, i), lp->fbuf[i], 65536, 0);
	io_uring_sqe_set_data(sqe, &lp->o_frecv[i]);
}

/* The forwarder's TCP helper has answers. */
static void ftcp_arm(struct dns_loop *lp)
{
	struct io_uring_sqe *sqe = get_sqe(lp);

	io_uring_prep_poll_add(sqe, dns_fwd_event_fd(lp->fwd), POLLIN);
	io_uring_sqe_set_data(sqe, &lp->o_ftcp);
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
	k1s_ring_thread_arm_wake(&lp->t, &lp->o_wake);
}

static void arm_tick(struct dns_loop *lp)
{
	k1s_ring_thread_arm_tick(&lp->t, DNS_TICK_MS, &lp->o_tick);
}

/* New upstreams from the control side. */
static void take_upstreams(struct dns_loop *lp)
{
	struct dns *dns = lp->dns;
	int gen = atomic_load(&dns->up_gen);
	struct dns_upstreams up;

	if (gen == lp->up_gen || !lp->fwd)
		return;
	pthread_mutex_lock(&dns->up_mu);
	up = dns->up;
	pthread_mutex_unlock(&dns->up_mu);
	dns_fwd_set_upstreams(lp->fwd, &up, lp->now);
	lp->up_gen = gen;
}

/* Addresses added since (DNS's faces): their sockets are armed here. */
static void take_listeners(struct dns_loop *lp)
{
	int n = atomic_load(&lp->dns->nlisten_live);

	for (; lp->nlisten < n; lp->nlisten++) {
		int i = lp->nlisten;

		if (urx_init(lp, i) < 0) {
			k1s_err("dns", "loop %d: cannot receive on %s", lp->idx,
				inet_ntoa(lp->dns->listen[i].sin_addr));
			continue;
		}
		urx_arm(lp, i);
		accept_arm(lp, i);
	}
}

static void take_snap(struct dns_loop *lp)
{
	struct dns_snap *s = dns_snap_of(k1s_pub_current(&lp->dns->pub));

	if (s && s != lp->cur) {
		lp->cur = s;
		k1s_pub_ack(&lp->dns->pub, lp->idx, s->base.gen);
	}
}

static void on_tick(struct dns_loop *lp)
{
	struct tconn *c;
	struct k1s_list *p, *n;

	if (lp->fwd)
		dns_fwd_tick(lp->fwd, lp->now);
	for (p = lp->conns.next; p != &lp->conns; p = n) {
		c = k1s_list_entry(p, struct tconn, link);
		n = p->next;
		if (!c->dead && lp->now - c->last > DNS_TCP_IDLE_MS) {
			tconn_kill(c);
			tconn_put(c);
		}
	}
	for (int i = 0; i < lp->nlisten; i++)
		if (lp->accept_rearm[i]) {
			lp->accept_rearm[i] = false;
			accept_arm(lp, i);
		}
}

static void handle(void *arg, struct io_uring_cqe *cqe)
{
	struct dns_loop *lp = arg;
	struct op *op = io_uring_cqe_get_data(cqe);

	if (!op)
		return;
	switch (op->kind) {
	case OP_URECV:
		on_urecv(lp, op->idx, cqe);
		break;
	case OP_USEND:
		usend_done(lp, op->owner);
		break;
	case OP_WAKE:
		if (atomic_load(&lp->dns->stop)) {
			lp->stopping = true;
		} else {
			take_snap(lp);
			take_upstreams(lp);
			take_listeners(lp);
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
	case OP_FTCP:
		dns_fwd_tcp_done(lp->fwd, lp->now);
		ftcp_arm(lp);
		break;
	default:
		tconn_cqe(op, cqe->res);
		break;
	}
}

/* On the loop's thread, once its ring is up. */
static int loop_setup(void *arg)
{
	struct dns_loop *lp = arg;
	struct dns *dns = lp->dns;
	int err = 0;

	lp->nlisten = lp->nfixed = dns->nfixed;
	lp->qlog = dns->qlog;
	for (int i = 0; err == 0 && i < lp->nfixed; i++)
		err = urx_init(lp, i);
	/* Registered, the sockets skip a file lookup per operation. */
	if (err == 0)
		lp->fixed = io_uring_register_files(&lp->t.ring, dns->ufd, (unsigned)lp->nfixed) == 0;
	return err;
}

static void loop_run(void *arg)
{
	struct dns_loop *lp = arg;

	lp->now = k1s_now_ms();
	take_snap(lp);
	arm_wake(lp);
	arm_tick(lp);
	for (int i = 0; i < lp->nlisten; i++) {
		urx_arm(lp, i);
		accept_arm(lp, i);
	}
	take_listeners(lp);
	for (int i = 0; lp->fwd && i < dns_fwd_nfds(lp->fwd); i++)
		if (dns_fwd_fd(lp->fwd, i) >= 0)
			frecv(lp, i);
	if (lp->fwd && dns_fwd_event_fd(lp->fwd) >= 0)
		ftcp_arm(lp);
	while (!lp->stopping) {
		k1s_ring_turn(&lp->t.ring, &lp->now, handle, lp);
		for (int i = 0; i < lp->nlisten; i++)
			if (lp->rx[i].rearm && !lp->stopping)
				urx_arm(lp, i);
	}
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
	k1s_list_init(&lp->conns);
	lp->o_wake = (struct op){OP_WAKE, 0, lp};
	lp->o_tick = (struct op){OP_TICK, 0, lp};
	lp->o_ftcp = (struct op){OP_FTCP, 0, lp};
	for (int i = 0; i < DNS_LISTEN_MAX; i++)
		lp->o_accept[i] = (struct op){OP_ACCEPT, (uint8_t)i, lp};
	for (int i = 0; i < DNS_MAX_UPSTREAMS; i++)
		lp->o_frecv[i] = (struct op){OP_FRECV, (uint8_t)i, lp};
	lp->sends = calloc(DNS_UDP_SENDS, sizeof(*lp->sends));
	if (!lp->sends)
		goto fail;
	for (int i = 0; i < DNS_UDP_SENDS; i++) {
		lp->sends[i].op = (struct op){OP_USEND, 0, &lp->sends[i]};
		usend_done(lp, &lp->sends[i]);
	}
	lp->fwd = dns_fwd_new(&dns->up, dns->cache, fwd_reply, lp);
	if (!lp->fwd)
		goto fail;
	for (int i = 0; i < dns_fwd_nfds(lp->fwd); i++)
		if (!(lp->fbuf[i] = malloc(65536)))
			goto fail;
	e = k1s_ring_thread_start(&lp->t, "dns", idx, DNS_RING, loop_setup, loop_run, lp);
	if (e == 0)
		return lp;
fail:
	for (int i = 0; i < DNS_MAX_UPSTREAMS; i++)
		free(lp->fbuf[i]);
	dns_fwd_free(lp->fwd);
	for (int i = 0; i < DNS_LISTEN_MAX; i++)
		urx_free(&lp->rx[i]);
	free(lp->sends);
	free(lp);
	*err = e;
	return NULL;
}

void dns_loop_wake(struct dns_loop *lp)
{
	k1s_ring_thread_wake(&lp->t);
}

void dns_loop_join(struct dns_loop *lp)
{
	struct tconn *c;
	struct k1s_list *p, *n;

	k1s_ring_thread_join(&lp->t);
	/* The ring is gone: nothing the kernel holds points at our memory. */
	for (p = lp->conns.next; p != &lp->conns; p = n) {
		c = k1s_list_entry(p, struct tconn, link);
		n = p->next;
		if (c->fd >= 0)
			close(c->fd);
		free(c->rbuf);
		free(c->wbuf);
		free(c);
	}
	dns_fwd_free(lp->fwd);
	for (int i = 0; i < DNS_MAX_UPSTREAMS; i++)
		free(lp->fbuf[i]);
	for (int i = 0; i < DNS_LISTEN_MAX; i++)
		urx_free(&lp->rx[i]);
	free(lp->sends);
	free(lp);
}
