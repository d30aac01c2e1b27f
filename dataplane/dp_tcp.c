/* TCP through the dataplane: a connect to the chosen endpoint with a
 * linked timeout, the next endpoint on failure, a reset when none
 * answers; then a relay per direction with half-close and reset passed
 * through.
 *
 * A direction starts by copying: an io_uring recv into the connection's
 * buffer and a send straight after it (most complete at once). Small
 * exchanges cost least that way. A direction that fills the whole buffer
 * in one recv is carrying bulk data, and moves to splice(2) through a
 * pipe: the kernel hands the socket's pages to the other socket without
 * copying them through user space, and io_uring only says when a side is
 * ready (a one-shot poll). io_uring's own IORING_OP_SPLICE is not used
 * because the kernel always runs it on a worker thread, which blocks
 * there on an idle socket. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_loop_int.h"
#include "k1s_flow.h"

#define DP_BUF		(32 * 1024)
#define DP_PIPE		(256 * 1024)	/* bytes a pipe holds in splice mode */
#define DP_SPLICE_ROUNDS 8		/* per readiness, before others get a turn */
#define DP_CONNECT_MS	1000
#define DP_TRIES	16

struct half {
	int len, off;
	bool eof;
	bool splice;		/* moved to splice mode */
	int pipe[2];		/* splice mode: [0] read end, [1] write end */
	int piped;		/* bytes in the pipe */
	char buf[DP_BUF];
};

struct conn {
	struct k1s_list link;
	struct dp_loop *lp;
	int cfd, bfd;
	int inflight;
	bool up, dead;
	int64_t last;
	struct dp_op o_conn, o_cto, o_recv[2], o_send[2], o_poll[2];
	int ntry, try;
	struct sockaddr_in cand[DP_TRIES];
	uint64_t aff_svc;	/* affinity to record once connected */
	uint32_t aff_s, client;	/* client: its address, if known */
	bool keep_src;		/* the client's address may be kept (dp_src_client) */
	bool external, local_policy;
	struct __kernel_timespec cto;
	/* For its flow record (dp_flow.c): */
	struct sockaddr_in peer, addr;	/* the client, the service address it dialled */
	uint64_t bytes[2];		/* per direction, as h[] */
	char svc[K1S_FLOW_SERVICE_LEN];	/* "ns/name" */
	struct half h[2];	/* 0: client -> endpoint, 1: endpoint -> client */
};

static int src_fd(const struct conn *c, int d)
{
	return d == 0 ? c->cfd : c->bfd;
}

static int dst_fd(const struct conn *c, int d)
{
	return d == 0 ? c->bfd : c->cfd;
}

static void conn_try(struct conn *c);
static void conn_recv(struct conn *c, int d);
static void conn_splice(struct conn *c, int d);

static void conn_put(struct conn *c)
{
	if (c->inflight > 0 || !c->dead)
		return;
	k1s_list_del(&c->link);
	free(c);
}

/* Ends a connection; `rst` resets both sides instead of closing them. */
static void conn_kill(struct conn *c, bool rst)
{
	if (c->dead)
		return;
	c->dead = true;
	dp_flow_done(c->lp->dp, IPPROTO_TCP, &c->peer, &c->addr, c->svc,
		     c->up ? &c->cand[c->try - 1] : NULL, c->bytes[0], c->bytes[1]);
	if (c->inflight) {
		dp_cancel(c->lp, &c->o_conn);
		for (int d = 0; d < 2; d++) {
			dp_cancel(c->lp, &c->o_recv[d]);
			dp_cancel(c->lp, &c->o_send[d]);
			dp_cancel(c->lp, &c->o_poll[d]);
		}
	}
	dp_flush(c->lp);
	if (rst) {
		dp_rst_close(c->cfd);
		dp_rst_close(c->bfd);
	} else {
		if (c->cfd >= 0)
			close(c->cfd);
		if (c->bfd >= 0)
			close(c->bfd);
	}
	c->cfd = c->bfd = -1;
	for (int d = 0; d < 2; d++)
		if (c->h[d].splice) {
			close(c->h[d].pipe[0]);
			close(c->h[d].pipe[1]);
			c->h[d].splice = false;
		}
}

/* The endpoints to try, in turn from `start`: those NetworkPolicy lets
 * the client reach. None: the drop is counted, and false. */
static bool pick(struct conn *c, const struct dp_svc *sv, uint32_t start)
{
	struct dp *dp = c->lp->dp;
	struct pol_flow f, denied;
	enum pol_verdict v, why = POL_ALLOWED;

	c->ntry = 0;
	if (!dp->pol || !c->client) {
		c->ntry = sv->nep < DP_TRIES ? (int)sv->nep : DP_TRIES;
		for (int i = 0; i < c->ntry; i++)
			c->cand[i] = sv->eps[(start + (uint32_t)i) % sv->nep];
		return true;
	}
	for (uint32_t i = 0; i < sv->nep && c->ntry < DP_TRIES; i++) {
		const struct sockaddr_in *ep = &sv->eps[(start + i) % sv->nep];

		v = dp_pol_check(dp, c->client, ep, POL_TCP, &f);
		if (v == POL_ALLOWED)
			c->cand[c->ntry++] = *ep;
		else if (why == POL_ALLOWED) {
			why = v;
			denied = f;
		}
	}
	if (c->ntry == 0)
		dp_flow_denied(dp, IPPROTO_TCP, &c->peer, &c->addr, c->svc, &denied, why);
	return c->ntry > 0;
}

void dp_tcp_accepted(struct lsn *l, int fd)
{
	struct dp_loop *lp = l->lp;
	struct dp_svc *sv;
	struct conn *c;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	uint32_t start;

	if (!lp->cur || l->svc >= lp->cur->nsvc) {
		dp_rst_close(fd);
		return;
	}
	sv = &lp->cur->svc[l->svc];
	if (sv->nep == 0) {
		/* No ready endpoint: refuse at once, as kube-proxy's reject. */
		dp_rst_close(fd);
		return;
	}
	c = malloc(sizeof(*c));
	if (!c) {
		dp_rst_close(fd);
		return;
	}
	/* The buffers need no clearing: only what a recv wrote is sent. */
	memset(c, 0, offsetof(struct conn, h));
	for (int d = 0; d < 2; d++)
		memset(&c->h[d], 0, offsetof(struct half, buf));
	c->lp = lp;
	c->cfd = fd;
	c->bfd = -1;
	c->last = lp->now;
	c->o_conn = (struct dp_op){OP_CONNECT, 0, c};
	c->o_cto = (struct dp_op){OP_CTIMEO, 0, c};
	for (int d = 0; d < 2; d++) {
		c->o_recv[d] = (struct dp_op){OP_RECV, (uint8_t)d, c};
		c->o_send[d] = (struct dp_op){OP_SEND, (uint8_t)d, c};
		c->o_poll[d] = (struct dp_op){OP_POLL, (uint8_t)d, c};
	}
	c->addr = l->addr;
	K1S_FLOW_SET(c->svc, dp_svc_key(lp->cur, sv));
	/* The flow record wants the client always: one system call beside
	 * the connection's dozen. */
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0)
		c->peer = peer;
	if ((sv->affinity_s || lp->dp->src_client || lp->dp->pol) && c->peer.sin_addr.s_addr) {
		c->client = peer.sin_addr.s_addr;
		c->keep_src = lp->dp->src_client;
		c->external = l->external;
		c->local_policy = sv->local_policy;
	}
	start = l->rr++;
	if (!pick(c, sv, start)) {
		free(c);
		dp_rst_close(fd);
		return;
	}
	if (sv->affinity_s && c->client) {
		struct sockaddr_in ep;
		struct pol_flow f;

		c->aff_svc = sv->id;
		c->aff_s = sv->affinity_s;
		/* The client's endpoint first, while it may still reach it; the
		 * others stay as fallbacks. */
		if (dp_aff_get(lp->dp, sv, c->client, lp->now, &ep) == 0 &&
		    (!lp->dp->pol || dp_pol_check(lp->dp, c->client, &ep, POL_TCP, &f) == POL_ALLOWED))
			c->cand[0] = ep;
	}
	k1s_list_add(&lp->conns, &c->link);
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
	/* A failed bind leaves the socket unbound: it connects from the node. */
	if (c->keep_src && dp_src_client(lp->dp->pod_net_known ? &lp->dp->pod_net : NULL, c->external, c->local_policy, c->client,
					 c->cand[c->try].sin_addr.s_addr))
		dp_src_bind(c->bfd, c->client, true);
	sqe = dp_sqe(lp);
	io_uring_prep_connect(sqe, c->bfd, (struct sockaddr *)&c->cand[c->try],
			      sizeof(c->cand[0]));
	io_uring_sqe_set_data(sqe, &c->o_conn);
	sqe->flags |= IOSQE_IO_LINK;
	c->cto.tv_sec = DP_CONNECT_MS / 1000;
	c->cto.tv_nsec = (DP_CONNECT_MS % 1000) * 1000000L;
	sqe = dp_sqe(lp);
	io_uring_prep_link_timeout(sqe, &c->cto, 0);
	io_uring_sqe_set_data(sqe, &c->o_cto);
	c->inflight += 2;
	c->try++;
}

static void conn_recv(struct conn *c, int d)
{
	struct io_uring_sqe *sqe = dp_sqe(c->lp);

	io_uring_prep_recv(sqe, src_fd(c, d), c->h[d].buf, DP_BUF, 0);
	io_uring_sqe_set_data(sqe, &c->o_recv[d]);
	c->inflight++;
}

static void conn_send(struct conn *c, int d)
{
	struct io_uring_sqe *sqe = dp_sqe(c->lp);
	struct half *h = &c->h[d];

	io_uring_prep_send(sqe, dst_fd(c, d), h->buf + h->off, (size_t)(h->len - h->off),
			   MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, &c->o_send[d]);
	c->inflight++;
}

static void conn_poll(struct conn *c, int d, int fd, unsigned events)
{
	struct io_uring_sqe *sqe = dp_sqe(c->lp);

	io_uring_prep_poll_add(sqe, fd, events);
	io_uring_sqe_set_data(sqe, &c->o_poll[d]);
	c->inflight++;
}

/* The source reached end of file: half-close towards the destination. */
static void conn_eof(struct conn *c, int d)
{
	c->h[d].eof = true;
	shutdown(dst_fd(c, d), SHUT_WR);
	if (c->h[!d].eof)
		conn_kill(c, false);
}

/* Moves direction d to splice mode; false if it cannot (no pipe). */
static bool splice_start(struct conn *c, int d)
{
	struct half *h = &c->h[d];

	if (pipe2(h->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return false;
	fcntl(h->pipe[1], F_SETPIPE_SZ, DP_PIPE);
	/* splice(2) on a socket waits unless the socket is non-blocking. */
	fcntl(c->cfd, F_SETFL, fcntl(c->cfd, F_GETFL) | O_NONBLOCK);
	h->splice = true;
	h->piped = 0;
	return true;
}

/* Moves what is ready from source to pipe to destination, until one side
 * would block (then a poll waits for it) or a round limit lets other
 * connections run. */
static void conn_splice(struct conn *c, int d)
{
	struct half *h = &c->h[d];
	const unsigned fl = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

	for (int round = 0; round < DP_SPLICE_ROUNDS; round++) {
		ssize_t n;

		if (h->piped > 0) {
			n = splice(h->pipe[0], NULL, dst_fd(c, d), NULL, (size_t)h->piped, fl);
			if (n < 0 && errno == EAGAIN) {
				conn_poll(c, d, dst_fd(c, d), POLLOUT);
				return;
			}
			if (n <= 0) {
				conn_kill(c, true);
				return;
			}
			h->piped -= (int)n;
			continue;
		}
		n = splice(src_fd(c, d), NULL, h->pipe[1], NULL, DP_PIPE, fl);
		if (n == 0) {
			conn_eof(c, d);
			return;
		}
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			conn_kill(c, true);	/* a reset passes */
			return;
		}
		h->piped = (int)n;
		c->bytes[d] += (uint64_t)n;
	}
	conn_poll(c, d, h->piped > 0 ? dst_fd(c, d) : src_fd(c, d),
		  h->piped > 0 ? POLLOUT : POLLIN);
}

/* After a recv of `res` bytes into direction d's buffer. */
static void conn_received(struct conn *c, int d, int res)
{
	struct half *h = &c->h[d];
	ssize_t n;

	h->len = res;
	h->off = 0;
	c->bytes[d] += (uint64_t)res;
	/* Most sends complete at once: try it here and save a round
	 * through the ring; what does not fit goes through it. */
	n = send(dst_fd(c, d), h->buf, (size_t)res, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == res) {
		if (res == DP_BUF && splice_start(c, d))
			conn_splice(c, d);
		else
			conn_recv(c, d);
	} else if (n >= 0 || errno == EAGAIN) {
		h->off = n > 0 ? (int)n : 0;
		conn_send(c, d);
	} else {
		conn_kill(c, true);
	}
}

void dp_tcp_cqe(struct dp_op *op, int res)
{
	struct conn *c = op->owner;
	int d = op->dir;

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
		if (res < 0)
			conn_kill(c, true);	/* a reset passes */
		else if (res == 0)
			conn_eof(c, d);
		else
			conn_received(c, d, res);
		break;
	case OP_SEND:
		if (res < 0) {
			conn_kill(c, true);
			break;
		}
		c->h[d].off += res;
		if (c->h[d].off < c->h[d].len)
			conn_send(c, d);
		else if (c->h[d].len == DP_BUF && splice_start(c, d))
			conn_splice(c, d);
		else
			conn_recv(c, d);
		break;
	case OP_POLL:
		if (res < 0 || (res & POLLNVAL))
			conn_kill(c, true);
		else
			conn_splice(c, d);	/* POLLERR/POLLHUP: splice tells which */
		break;
	}
	conn_put(c);
}

void dp_tcp_tick(struct dp_loop *lp)
{
	struct k1s_list *p, *n;

	for (p = lp->conns.next; p != &lp->conns; p = n) {
		struct conn *c = k1s_list_entry(p, struct conn, link);

		n = p->next;
		if (!c->dead && lp->now - c->last > lp->dp->tcp_idle_ms) {
			conn_kill(c, true);
			conn_put(c);
		}
	}
}

void dp_tcp_free_all(struct dp_loop *lp)
{
	struct k1s_list *p, *n;

	for (p = lp->conns.next; p != &lp->conns; p = n) {
		struct conn *c = k1s_list_entry(p, struct conn, link);

		n = p->next;
		conn_kill(c, false);
		free(c);
	}
}
