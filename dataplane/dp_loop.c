/* The data path: one thread per loop, each with its own io_uring. Each
 * loop opens its own SO_REUSEPORT listeners for the current snapshot, so
 * the kernel spreads connections and UDP flows across the loops, and
 * nothing on the path is shared or locked.
 *
 * TCP: multishot accept; a connect to the chosen endpoint with a linked
 * timeout, the next endpoint on failure, a reset when none answers; then
 * recv/send per direction with half-close and reset passed through.
 * UDP: a connected socket per client flow towards its endpoint; replies
 * go back from the listener's socket; flows expire when idle.
 *
 * Every submitted operation carries a struct dp_op; an owner (connection,
 * listener, flow) is freed only when none of its operations is left. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <liburing.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dp_int.h"
#include "k1s_log.h"

#define DP_RING		1024
#define DP_BUF		(32 * 1024)
#define DP_UDP_BUF	65536
#define DP_CONNECT_MS	1000
#define DP_IDLE_MS	(3600 * 1000)
#define DP_UDP_IDLE_MS	(30 * 1000)
#define DP_TRIES	16

enum op_kind {
	OP_WAKE, OP_TICK, OP_ACCEPT, OP_CONNECT, OP_CTIMEO,
	OP_RECV, OP_SEND, OP_URECV, OP_FRECV,
};

struct dp_op {
	uint8_t kind;
	uint8_t dir;
	void *owner;
};

struct dl {
	struct dl *prev, *next;
};

static void dl_init(struct dl *h)
{
	h->prev = h->next = h;
}

static void dl_add(struct dl *h, struct dl *n)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

static void dl_del(struct dl *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

#define dl_entry(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

#define DP_LSN_BUCKETS 16384

struct lsn {
	struct dl link;
	struct lsn *hnext;	/* in the loop's table while open */
	struct dl flows;
	struct dp_loop *lp;
	enum dp_proto proto;
	struct sockaddr_in addr;
	int fd;
	uint32_t svc, rr;
	bool mark, dead, rearm;
	int inflight;
	struct dp_op op;
	/* UDP */
	struct msghdr mh;
	struct iovec iov;
	struct sockaddr_in from;
	char *buf;
};

struct half {
	int len, off;
	bool eof;
	char buf[DP_BUF];
};

struct conn {
	struct dl link;
	struct dp_loop *lp;
	int cfd, bfd;
	int inflight;
	bool up, dead;
	int64_t last;
	struct dp_op o_conn, o_cto, o_recv[2], o_send[2];
	int ntry, try;
	struct sockaddr_in cand[DP_TRIES];
	uint64_t aff_svc;	/* affinity to record once connected */
	uint32_t aff_s, client;
	struct __kernel_timespec cto;
	struct half h[2];	/* 0: client -> endpoint, 1: endpoint -> client */
};

struct flow {
	struct dl link;		/* in lsn->flows */
	struct lsn *l;
	struct sockaddr_in client, ep;
	int fd;
	int inflight;
	bool dead;
	int64_t last;
	struct dp_op op;
	char buf[DP_UDP_BUF];
};

struct dp_loop {
	struct dp *dp;
	int idx;
	pthread_t th;
	struct io_uring ring;
	int efd;
	uint64_t ebuf;
	struct dp_op o_wake, o_tick;
	struct __kernel_timespec tick;
	struct dp_snap *cur;
	_Atomic uint64_t seen;
	struct dl lsns, conns;
	struct lsn *ltab[DP_LSN_BUCKETS];
	struct dl parked;	/* flows of closed listeners, until their last completion */
	int64_t now;
	bool stopping;
	pthread_mutex_t mu;	/* start-up only */
	pthread_cond_t cv;
	int init;		/* 1 started, < 0 the ring's error */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct io_uring_sqe *get_sqe(struct dp_loop *lp)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&lp->ring);

	if (!sqe) {
		io_uring_submit(&lp->ring);
		sqe = io_uring_get_sqe(&lp->ring);
	}
	return sqe;
}

static void cancel_op(struct dp_loop *lp, struct dp_op *op)
{
	struct io_uring_sqe *sqe;

	if (lp->stopping)
		return;
	sqe = get_sqe(lp);
	if (!sqe)
		return;
	io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)op, 0);
	io_uring_sqe_set_data64(sqe, 0);
}

/* Operations prepared on an fd go to the kernel before the fd closes, so
 * that none of them can meet a new socket that reuses the number. */
static void flush(struct dp_loop *lp)
{
	if (!lp->stopping)
		io_uring_submit(&lp->ring);
}

static void rst_close(int fd)
{
	struct linger lg = {1, 0};

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* ---- TCP connections ---- */

static void conn_try(struct conn *c);
static void conn_recv(struct conn *c, int d);

static void conn_put(struct conn *c)
{
	if (c->inflight > 0 || !c->dead)
		return;
	dl_del(&c->link);
	free(c);
}

/* Ends a connection; `rst` resets both sides instead of closing them. */
static void conn_kill(struct conn *c, bool rst)
{
	if (c->dead)
		return;
	c->dead = true;
	if (c->inflight) {
		cancel_op(c->lp, &c->o_conn);
		cancel_op(c->lp, &c->o_recv[0]);
		cancel_op(c->lp, &c->o_recv[1]);
		cancel_op(c->lp, &c->o_send[0]);
		cancel_op(c->lp, &c->o_send[1]);
	}
	flush(c->lp);
	if (rst) {
		rst_close(c->cfd);
		rst_close(c->bfd);
	} else {
		if (c->cfd >= 0)
			close(c->cfd);
		if (c->bfd >= 0)
			close(c->bfd);
	}
	c->cfd = c->bfd = -1;
}

static void on_accept(struct lsn *l, int fd)
{
	struct dp_loop *lp = l->lp;
	struct dp_svc *sv;
	struct conn *c;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	uint32_t start;

	if (!lp->cur || l->svc >= lp->cur->nsvc) {
		rst_close(fd);
		return;
	}
	sv = &lp->cur->svc[l->svc];
	if (sv->nep == 0) {
		/* No ready endpoint: refuse at once, as kube-proxy's reject. */
		rst_close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		rst_close(fd);
		return;
	}
	c->lp = lp;
	c->cfd = fd;
	c->bfd = -1;
	c->last = lp->now;
	c->o_conn = (struct dp_op){OP_CONNECT, 0, c};
	c->o_cto = (struct dp_op){OP_CTIMEO, 0, c};
	for (int d = 0; d < 2; d++) {
		c->o_recv[d] = (struct dp_op){OP_RECV, (uint8_t)d, c};
		c->o_send[d] = (struct dp_op){OP_SEND, (uint8_t)d, c};
	}
	start = l->rr++;
	c->ntry = sv->nep < DP_TRIES ? (int)sv->nep : DP_TRIES;
	for (int i = 0; i < c->ntry; i++)
		c->cand[i] = sv->eps[(start + (uint32_t)i) % sv->nep];
	if (sv->affinity_s && getpeername(fd, (struct sockaddr *)&peer, &plen) == 0) {
		c->aff_svc = sv->id;
		c->aff_s = sv->affinity_s;
		c->client = peer.sin_addr.s_addr;
		/* The client's endpoint first; the others stay as fallbacks. */
		dp_aff_get(lp->dp, sv, c->client, lp->now, &c->cand[0]);
	}
	dl_add(&lp->conns, &c->link);
	conn_try(c);
}

static void conn_try(struct conn *c)
{
	struct dp_loop *lp = c->lp;
	struct io_uring_sqe *sqe;

	if (c->bfd >= 0) {
		close(c->bfd);
		c->bfd = -1;
	}
	if (c->try >= c->ntry) {
		conn_kill(c, true);
		conn_put(c);
		return;
	}
	c->bfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->bfd < 0) {
		conn_kill(c, true);
		conn_put(c);
		return;
	}
	sqe = get_sqe(lp);
	io_uring_prep_connect(sqe, c->bfd, (struct sockaddr *)&c->cand[c->try],
			      sizeof(c->cand[0]));
	io_uring_sqe_set_data(sqe, &c->o_conn);
	sqe->flags |= IOSQE_IO_LINK;
	c->cto.tv_sec = DP_CONNECT_MS / 1000;
	c->cto.tv_nsec = (DP_CONNECT_MS % 1000) * 1000000L;
	sqe = get_sqe(lp);
	io_uring_prep_link_timeout(sqe, &c->cto, 0);
	io_uring_sqe_set_data(sqe, &c->o_cto);
	c->inflight += 2;
	c->try++;
}

static void conn_recv(struct conn *c, int d)
{
	struct io_uring_sqe *sqe = get_sqe(c->lp);

	io_uring_prep_recv(sqe, d == 0 ? c->cfd : c->bfd, c->h[d].buf, DP_BUF, 0);
	io_uring_sqe_set_data(sqe, &c->o_recv[d]);
	c->inflight++;
}

static void conn_send(struct conn *c, int d)
{
	struct io_uring_sqe *sqe = get_sqe(c->lp);
	struct half *h = &c->h[d];

	io_uring_prep_send(sqe, d == 0 ? c->bfd : c->cfd, h->buf + h->off,
			   (size_t)(h->len - h->off), MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, &c->o_send[d]);
	c->inflight++;
}

static void conn_cqe(struct dp_op *op, int res)
{
	struct conn *c = op->owner;
	int d = op->dir;
	ssize_t n;

	c->inflight--;
	c->last = c->lp->now;
	if (c->dead) {
		conn_put(c);
		return;
	}
	switch (op->kind) {
	case OP_CTIMEO:
		break;
	case OP_CONNECT:
		if (res < 0) {
			conn_try(c);	/* refused, unreachable, timed out: the next one */
			return;
		}
		c->up = true;
		if (c->aff_s) {
			struct dp_svc key = {.id = c->aff_svc, .affinity_s = c->aff_s};

			dp_aff_put(c->lp->dp, &key, c->client, c->lp->now, &c->cand[c->try - 1]);
		}
		setsockopt(c->bfd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
		setsockopt(c->cfd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
		conn_recv(c, 0);
		conn_recv(c, 1);
		break;
	case OP_RECV:
		if (res < 0) {
			conn_kill(c, true);	/* a reset passes */
			break;
		}
		if (res == 0) {
			c->h[d].eof = true;
			shutdown(d == 0 ? c->bfd : c->cfd, SHUT_WR);
			if (c->h[!d].eof)
				conn_kill(c, false);
			break;
		}
		c->h[d].len = res;
		c->h[d].off = 0;
		/* Most sends complete at once: try it here and save a round
		 * through the ring; what does not fit goes through it. */
		n = send(d == 0 ? c->bfd : c->cfd, c->h[d].buf, (size_t)res,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == res) {
			conn_recv(c, d);
		} else if (n >= 0 || errno == EAGAIN) {
			c->h[d].off = n > 0 ? (int)n : 0;
			conn_send(c, d);
		} else {
			conn_kill(c, true);
		}
		break;
	case OP_SEND:
		if (res < 0) {
			conn_kill(c, true);
			break;
		}
		c->h[d].off += res;
		if (c->h[d].off < c->h[d].len)
			conn_send(c, d);
		else
			conn_recv(c, d);
		break;
	}
	conn_put(c);
}

/* ---- UDP flows ---- */

static void flow_put(struct flow *f)
{
	if (f->inflight > 0 || !f->dead)
		return;
	dl_del(&f->link);
	free(f);
}

static void flow_kill(struct flow *f)
{
	if (f->dead)
		return;
	f->dead = true;
	if (f->inflight)
		cancel_op(f->l->lp, &f->op);
	flush(f->l->lp);
	close(f->fd);
	f->fd = -1;
}

static void flow_recv(struct flow *f)
{
	struct io_uring_sqe *sqe = get_sqe(f->l->lp);

	io_uring_prep_recv(sqe, f->fd, f->buf, sizeof(f->buf), 0);
	io_uring_sqe_set_data(sqe, &f->op);
	f->inflight++;
}

static void lsn_urecv(struct lsn *l)
{
	struct io_uring_sqe *sqe = get_sqe(l->lp);

	l->iov.iov_base = l->buf;
	l->iov.iov_len = DP_UDP_BUF;
	memset(&l->mh, 0, sizeof(l->mh));
	l->mh.msg_name = &l->from;
	l->mh.msg_namelen = sizeof(l->from);
	l->mh.msg_iov = &l->iov;
	l->mh.msg_iovlen = 1;
	io_uring_prep_recvmsg(sqe, l->fd, &l->mh, 0);
	io_uring_sqe_set_data(sqe, &l->op);
	l->inflight++;
}

static struct flow *flow_find(struct lsn *l, const struct sockaddr_in *from)
{
	for (struct dl *p = l->flows.next; p != &l->flows; p = p->next) {
		struct flow *f = dl_entry(p, struct flow, link);

		if (!f->dead && f->client.sin_addr.s_addr == from->sin_addr.s_addr &&
		    f->client.sin_port == from->sin_port)
			return f;
	}
	return NULL;
}

static void on_datagram(struct lsn *l, int len)
{
	struct dp_loop *lp = l->lp;
	struct flow *f = flow_find(l, &l->from);

	if (!f) {
		struct dp_svc *sv;
		struct sockaddr_in ep;

		if (!lp->cur || l->svc >= lp->cur->nsvc || lp->cur->svc[l->svc].nep == 0)
			return;
		sv = &lp->cur->svc[l->svc];
		ep = sv->eps[l->rr++ % sv->nep];
		if (sv->affinity_s &&
		    dp_aff_get(lp->dp, sv, l->from.sin_addr.s_addr, lp->now, &ep) < 0)
			dp_aff_put(lp->dp, sv, l->from.sin_addr.s_addr, lp->now, &ep);
		f = calloc(1, sizeof(*f));
		if (!f)
			return;
		f->l = l;
		f->client = l->from;
		f->ep = ep;
		f->op = (struct dp_op){OP_FRECV, 0, f};
		f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&ep,
					 sizeof(struct sockaddr_in)) < 0) {
			if (f->fd >= 0)
				close(f->fd);
			free(f);
			return;
		}
		dl_add(&l->flows, &f->link);
		flow_recv(f);
	}
	f->last = lp->now;
	send(f->fd, l->buf, (size_t)len, MSG_DONTWAIT);
}

static void flow_cqe(struct flow *f, int res)
{
	f->inflight--;
	if (f->dead) {
		flow_put(f);
		return;
	}
	if (res >= 0) {
		f->last = f->l->lp->now;
		if (!f->l->dead)
			sendto(f->l->fd, f->buf, (size_t)res, MSG_DONTWAIT,
			       (struct sockaddr *)&f->client, sizeof(f->client));
	}
	/* A refused endpoint's ICMP error comes back here too; keep going. */
	flow_recv(f);
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
	dl_del(&l->link);
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
		cancel_op(l->lp, &l->op);
	flush(l->lp);
	close(l->fd);
	l->fd = -1;
	while (l->flows.next != &l->flows) {
		struct flow *f = dl_entry(l->flows.next, struct flow, link);

		flow_kill(f);
		dl_del(&f->link);
		if (f->inflight) {
			/* Parked on the loop's list until its last completion. */
			dl_add(&l->lp->parked, &f->link);
			f->l = NULL;
		} else {
			free(f);
		}
	}
	lsn_put(l);
}

static void lsn_accept(struct lsn *l)
{
	struct io_uring_sqe *sqe = get_sqe(l->lp);

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
	dl_init(&l->flows);
	l->lp = lp;
	l->proto = s->proto;
	l->addr = s->addr;
	l->svc = s->svc;
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
		lsn_urecv(l);
	}
	dl_add(&lp->lsns, &l->link);
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

static void lsn_cqe(struct lsn *l, struct io_uring_cqe *cqe)
{
	l->inflight--;
	if (l->dead) {
		if (cqe->res >= 0 && l->proto == DP_TCP)
			rst_close(cqe->res);
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
			on_accept(l, cqe->res);
		else if (cqe->res != -EAGAIN)
			k1s_warn("dp", "accept: %s", strerror(-cqe->res));
		return;
	}
	if (cqe->res >= 0)
		on_datagram(l, cqe->res);
	if (cqe->res >= 0 || cqe->res == -EAGAIN || cqe->res == -ECONNREFUSED)
		lsn_urecv(l);
	else
		l->rearm = true;
}

/* UDP has no connection to keep: a flow whose endpoint is gone ends, so
 * that the client's next datagram picks a live one. */
static void udp_prune(struct lsn *l, const struct dp_svc *sv)
{
	struct dl *p, *n;

	for (p = l->flows.next; p != &l->flows; p = n) {
		struct flow *f = dl_entry(p, struct flow, link);
		bool found = false;

		n = p->next;
		for (uint32_t i = 0; i < sv->nep && !found; i++)
			found = sv->eps[i].sin_addr.s_addr == f->ep.sin_addr.s_addr &&
				sv->eps[i].sin_port == f->ep.sin_port;
		if (!found) {
			flow_kill(f);
			flow_put(f);
		}
	}
}

/* Brings the listeners in line with the snapshot: new ones open, removed
 * ones close (their connections stay). */
static void reconcile(struct dp_loop *lp)
{
	struct dp_snap *s = atomic_load(&lp->dp->snap);
	struct dl *p, *n;

	if (!s || s == lp->cur)
		return;
	for (p = lp->lsns.next; p != &lp->lsns; p = p->next)
		dl_entry(p, struct lsn, link)->mark = false;
	for (uint32_t i = 0; i < s->nlsn; i++) {
		struct lsn *found = *lsn_slot(lp, s->lsn[i].proto, &s->lsn[i].addr);

		if (!found)
			found = lsn_open(lp, &s->lsn[i]);
		if (found) {
			found->svc = s->lsn[i].svc;
			found->mark = true;
		}
	}
	for (p = lp->lsns.next; p != &lp->lsns; p = n) {
		struct lsn *l = dl_entry(p, struct lsn, link);

		n = p->next;
		if (!l->mark && !l->dead)
			lsn_kill(l);
		else if (l->proto == DP_UDP)
			udp_prune(l, &s->svc[l->svc]);
	}
	lp->cur = s;
	atomic_store(&lp->seen, s->gen);
}

/* ---- the loop ---- */

static void arm_wake(struct dp_loop *lp)
{
	struct io_uring_sqe *sqe = get_sqe(lp);

	io_uring_prep_read(sqe, lp->efd, &lp->ebuf, sizeof(lp->ebuf), 0);
	io_uring_sqe_set_data(sqe, &lp->o_wake);
}

static void arm_tick(struct dp_loop *lp)
{
	struct io_uring_sqe *sqe = get_sqe(lp);

	lp->tick.tv_sec = 1;
	lp->tick.tv_nsec = 0;
	io_uring_prep_timeout(sqe, &lp->tick, 0, 0);
	io_uring_sqe_set_data(sqe, &lp->o_tick);
}

/* Once a second: idle connections and flows end. */
static void on_tick(struct dp_loop *lp)
{
	struct dl *p, *n;

	for (p = lp->conns.next; p != &lp->conns; p = n) {
		struct conn *c = dl_entry(p, struct conn, link);

		n = p->next;
		if (!c->dead && lp->now - c->last > DP_IDLE_MS)
			conn_kill(c, true);
	}
	for (p = lp->lsns.next; p != &lp->lsns; p = p->next) {
		struct lsn *l = dl_entry(p, struct lsn, link);
		struct dl *q, *m;

		if (l->rearm && !l->dead) {
			l->rearm = false;
			if (l->proto == DP_TCP)
				lsn_accept(l);
			else
				lsn_urecv(l);
		}

		for (q = l->flows.next; q != &l->flows; q = m) {
			struct flow *f = dl_entry(q, struct flow, link);

			m = q->next;
			if (!f->dead && lp->now - f->last > DP_UDP_IDLE_MS) {
				flow_kill(f);
				flow_put(f);
			}
		}
	}
}

static void handle(struct dp_loop *lp, struct io_uring_cqe *cqe)
{
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
		flow_cqe(op->owner, cqe->res);
		break;
	default:
		conn_cqe(op, cqe->res);
		break;
	}
}

/* The ring belongs to the loop's thread: with SINGLE_ISSUER and
 * DEFER_TASKRUN completions run only when the loop asks for them, and
 * only that thread may submit. Older kernels get a plain ring. */
static int ring_init(struct dp_loop *lp)
{
	static const unsigned flags[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		0,
	};
	int err = -EINVAL;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct io_uring_params p = {.flags = flags[i]};

		err = io_uring_queue_init_params(DP_RING, &lp->ring, &p);
		if (err == 0)
			return 0;
	}
	return err;
}

static void *loop_main(void *arg)
{
	struct dp_loop *lp = arg;
	int err = ring_init(lp);

	pthread_mutex_lock(&lp->mu);
	lp->init = err ? err : 1;
	pthread_cond_signal(&lp->cv);
	pthread_mutex_unlock(&lp->mu);
	if (err)
		return NULL;
	lp->now = now_ms();
	reconcile(lp);
	arm_wake(lp);
	arm_tick(lp);
	while (!lp->stopping) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;

		if (io_uring_submit_and_wait(&lp->ring, 1) < 0 && errno != EINTR) {
			/* submit_and_wait returns -errno; EINTR retries. */
		}
		lp->now = now_ms();
		io_uring_for_each_cqe(&lp->ring, head, cqe) {
			handle(lp, cqe);
			n++;
		}
		io_uring_cq_advance(&lp->ring, n);
	}
	/* The ring goes first: nothing the kernel holds points at our memory
	 * after it. */
	io_uring_queue_exit(&lp->ring);
	return NULL;
}

struct dp_loop *dp_loop_start(struct dp *dp, int idx, int *err)
{
	struct dp_loop *lp = calloc(1, sizeof(*lp));
	int e;

	if (!lp) {
		*err = -ENOMEM;
		return NULL;
	}
	lp->dp = dp;
	lp->idx = idx;
	dl_init(&lp->lsns);
	dl_init(&lp->conns);
	dl_init(&lp->parked);
	lp->o_wake = (struct dp_op){OP_WAKE, 0, lp};
	lp->o_tick = (struct dp_op){OP_TICK, 0, lp};
	lp->efd = eventfd(0, EFD_CLOEXEC);
	if (lp->efd < 0) {
		*err = -errno;
		free(lp);
		return NULL;
	}
	pthread_mutex_init(&lp->mu, NULL);
	pthread_cond_init(&lp->cv, NULL);
	e = pthread_create(&lp->th, NULL, loop_main, lp);
	if (e) {
		e = -e;
		goto fail;
	}
	pthread_mutex_lock(&lp->mu);
	while (!lp->init)
		pthread_cond_wait(&lp->cv, &lp->mu);
	pthread_mutex_unlock(&lp->mu);
	if (lp->init < 0) {
		e = lp->init;
		k1s_err("dp", "io_uring: %s", strerror(-e));
		pthread_join(lp->th, NULL);
		goto fail;
	}
	return lp;
fail:
	pthread_mutex_destroy(&lp->mu);
	pthread_cond_destroy(&lp->cv);
	close(lp->efd);
	free(lp);
	*err = e;
	return NULL;
}

void dp_loop_wake(struct dp_loop *lp)
{
	uint64_t one = 1;

	if (write(lp->efd, &one, sizeof(one)) < 0)
		k1s_warn("dp", "waking loop %d: %s", lp->idx, strerror(errno));
}

uint64_t dp_loop_seen(struct dp_loop *lp)
{
	return atomic_load(&lp->seen);
}

void dp_loop_join(struct dp_loop *lp)
{
	struct dl *p, *n;

	pthread_join(lp->th, NULL);
	for (p = lp->lsns.next; p != &lp->lsns; p = n) {
		struct lsn *l = dl_entry(p, struct lsn, link);

		n = p->next;
		lsn_kill(l);
		l->inflight = 0;
		lsn_put(l);
	}
	for (p = lp->conns.next; p != &lp->conns; p = n) {
		struct conn *c = dl_entry(p, struct conn, link);

		n = p->next;
		conn_kill(c, false);
		free(c);
	}
	for (p = lp->parked.next; p != &lp->parked; p = n) {
		n = p->next;
		free(dl_entry(p, struct flow, link));
	}
	close(lp->efd);
	pthread_mutex_destroy(&lp->mu);
	pthread_cond_destroy(&lp->cv);
	free(lp);
}
