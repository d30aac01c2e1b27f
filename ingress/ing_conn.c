/* A client connection through the ingress, one request at a time: read a
 * request head, route it, then either answer (a redirect, 404, 503...) or
 * forward it to an endpoint over a kept-alive upstream connection,
 * streaming the body as it comes; then stream the response back and
 * start over for the next request on the connection. An upgrade (101)
 * turns the connection into a tunnel both ways.
 *
 * Buffers: cbuf holds the request head from offset 0 for as long as the
 * request lasts (the access log reads it at the end) and the request body
 * after it; ubuf the response; hbuf the heads k1s writes (the one sent
 * upstream, the one sent back, its own answers).
 *
 * A connection idle between requests gives its buffers back after
 * ING_PARK_MS and waits with a poll instead of a read, as nginx frees a
 * keep-alive connection's buffers: ten thousand idle clients cost a few
 * hundred bytes each, not a hundred kilobytes.
 *
 * Timeouts are nginx's as ingress-nginx configures them: 60 s for a
 * request head (client_header_timeout), 75 s idle between requests
 * (keepalive_timeout), 60 s to send to a client (send_timeout), and the
 * proxy-*-timeout settings towards the upstream. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ing_loop_int.h"
#include "k1s_facelog.h"

#define ING_CBUF	(48 * 1024)
#define ING_UBUF	(32 * 1024)
#define ING_HBUF	(24 * 1024)
#define ING_HEAD_MS	60000
#define ING_KEEPALIVE_MS 75000
#define ING_SEND_MS	60000
#define ING_KEEPALIVE_REQS 1000		/* nginx's keepalive_requests */
#define ING_TRIES	3		/* proxy-next-upstream-tries */
#define ING_PARK_MS	2000
#define ING_CONNS_MAX	16384		/* per loop: ingress-nginx's max-worker-connections */

enum phase {
	P_HEAD,		/* reading a request head */
	P_ANSWER,	/* sending an answer of the ingress's own */
	P_CONNECT,	/* connecting upstream */
	P_UP_HEAD,	/* sending the request head upstream (then 100 Continue) */
	P_REQ_BODY,	/* streaming the request body upstream */
	P_RESP_HEAD,	/* reading the response head */
	P_RESP_SEND,	/* sending the response head */
	P_RESP_BODY,	/* streaming the response body back */
	P_TUNNEL,	/* after a 101: bytes both ways */
};

enum { S_CRX, S_CTX, S_URX, S_UTX };

struct conn {
	struct k1s_list link;
	struct ing_loop *lp;
	int cfd, ufd;
	struct ing_op op[4];
	bool busy[4];
	int inflight;
	bool dead;
	enum phase ph;
	uint16_t port;			/* the port the client reached */
	uint32_t client;		/* its address, network order */
	char client_ip[INET_ADDRSTRLEN];
	int64_t deadline;
	int deadline_fd;
	bool timed_out;
	bool parking, polling;		/* giving the buffers back; waiting with them given back */
	int64_t idle_since;
	unsigned nreq;

	char *cbuf, *ubuf, *hbuf;
	size_t clen, coff, ulen, uoff;
	const char *tx_p[2];		/* the send in progress, per side (0 client, 1 upstream) */
	size_t tx_n[2], tx_last;	/* tx_last: the slice relay_* handed over */

	struct ing_req rq;
	struct ing_resp rs;
	struct ing_chunked ch;
	uint64_t left, body_seen;
	bool body_done, resp_done, keep, upgrade, reused, expect_sent;
	bool up_broken;			/* the upstream would take no more of the body */
	bool tunnel_eof[2];		/* 0: the client finished sending, 1: the upstream */

	/* What the route said, copied out of the table. */
	struct sockaddr_in cand[ING_TRIES];
	int ncand, try, retries;
	char upname[160];
	int connect_ms, read_ms, send_ms;
	uint64_t body_max;
	size_t uphead;			/* bytes of hbuf that are the upstream head */
	struct __kernel_timespec cto;

	/* For the access log. */
	int64_t t0, t0_wall, t_up;
	int status, up_status;
	uint64_t sent_body, up_len;
	char up_addr[INET_ADDRSTRLEN + 8];
	char reqid[33];
};

static void c_recv(struct conn *c);
static void start_head(struct conn *c);
static void relay_body(struct conn *c);
static void relay_resp(struct conn *c);
static void finish(struct conn *c);
static void up_connect(struct conn *c);

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- life ---- */

static void conn_put(struct conn *c)
{
	if (!c->dead || c->inflight)
		return;
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->ufd >= 0)
		close(c->ufd);
	k1s_list_del(&c->link);
	c->lp->nconns--;
	free(c->cbuf);
	free(c);
}

/* Ends the connection: its operations are cancelled, and it is freed
 * with their last completion. */
static void conn_close(struct conn *c)
{
	struct ing_loop *lp = c->lp;

	if (c->dead)
		return;
	c->dead = true;
	for (int s = 0; s < 4; s++) {
		struct io_uring_sqe *sqe;

		if (!c->busy[s] || lp->stopping)
			continue;
		sqe = ing_sqe(lp);
		io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)&c->op[s], 0);
		io_uring_sqe_set_data64(sqe, 0);
	}
	if (c->inflight)
		io_uring_submit(&lp->t.ring);
	conn_put(c);
}

static void submit(struct conn *c, int slot, struct io_uring_sqe *sqe, int fd, int64_t ms)
{
	io_uring_sqe_set_data(sqe, &c->op[slot]);
	c->busy[slot] = true;
	c->inflight++;
	if (ms > 0) {
		c->deadline = c->lp->now + ms;
		c->deadline_fd = fd;
	}
}

static void c_send(struct conn *c, const char *p, size_t n)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);

	c->tx_p[0] = p;
	c->tx_n[0] = n;
	io_uring_prep_send(sqe, c->cfd, p, n, MSG_NOSIGNAL);
	submit(c, S_CTX, sqe, c->cfd, ING_SEND_MS);
}

static void u_send(struct conn *c, const char *p, size_t n)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);

	c->tx_p[1] = p;
	c->tx_n[1] = n;
	io_uring_prep_send(sqe, c->ufd, p, n, MSG_NOSIGNAL);
	submit(c, S_UTX, sqe, c->ufd, c->send_ms);
}

static void c_recv(struct conn *c)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);
	int64_t ms = c->ph == P_HEAD ? (c->nreq && c->clen == 0 ? ING_KEEPALIVE_MS : ING_HEAD_MS)
				     : c->ph == P_TUNNEL ? c->read_ms : ING_HEAD_MS;

	io_uring_prep_recv(sqe, c->cfd, c->cbuf + c->clen, ING_CBUF - c->clen, 0);
	submit(c, S_CRX, sqe, c->cfd, ms);
}

static void u_recv(struct conn *c)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);

	io_uring_prep_recv(sqe, c->ufd, c->ubuf + c->ulen, ING_UBUF - c->ulen, 0);
	submit(c, S_URX, sqe, c->ufd, c->read_ms);
}

static int buffers(struct conn *c)
{
	c->cbuf = malloc(ING_CBUF + ING_UBUF + ING_HBUF);
	if (!c->cbuf)
		return -ENOMEM;
	c->ubuf = c->cbuf + ING_CBUF;
	c->hbuf = c->ubuf + ING_UBUF;
	return 0;
}

void ing_conn_accepted(struct ing_lsn *l, int fd)
{
	struct ing_loop *lp = l->lp;
	struct conn *c;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int one = 1;

	/* Past the limit the kernel's backlog waits; past that, this one goes. */
	if (lp->nconns >= ING_CONNS_MAX) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || buffers(c) < 0) {
		free(c);
		close(fd);
		return;
	}
	lp->nconns++;
	c->lp = lp;
	c->cfd = fd;
	c->ufd = -1;
	c->port = ntohs(l->addr.sin_port);
	for (int s = 0; s < 4; s++)
		c->op[s] = (struct ing_op){(uint8_t)(OP_CRX + s), c};
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0) {
		c->client = peer.sin_addr.s_addr;
		inet_ntop(AF_INET, &peer.sin_addr, c->client_ip, sizeof(c->client_ip));
	}
	k1s_list_add(&lp->conns, &c->link);
	start_head(c);
}

/* ---- the access log ---- */

static void log_request(struct conn *c, bool parsed)
{
	struct ing *ing = c->lp->ing;
	char line[4096];
	struct ing_log l = {
		.rq = parsed ? &c->rq : NULL,
		.client_ip = c->client_ip,
		.start_ms = c->t0_wall,
		.status = c->status,
		.body_bytes = c->sent_body,
		.request_length = parsed ? c->rq.head_len + c->body_seen : c->clen,
		.request_ms = c->lp->now - c->t0,
		.upstream_name = c->upname,
		.upstream_addr = c->up_addr,
		.upstream_length = c->up_len,
		.upstream_ms = c->up_status ? c->t_up - c->t0 : -1,
		.upstream_status = c->up_status,
		.request_id = c->reqid,
	};
	size_t n;

	if (!ing->log)
		return;
	n = ing_http_log_line(&l, line, sizeof(line));
	while (n && line[n - 1] == '\n')
		n--;
	k1s_facelog_write(ing->log, line, n);
}

/* ---- answers of the ingress's own ---- */

static void answer(struct conn *c, int status, const char *location, bool parsed)
{
	bool head = parsed && c->rq.method.n == 4 && memcmp(c->rq.method.p, "HEAD", 4) == 0;
	/* A body that is not read is not skipped either: the connection ends. */
	bool keep = parsed && c->rq.keep_alive && c->rq.body == ING_BODY_NONE && status < 500 &&
		    c->nreq < ING_KEEPALIVE_REQS;
	ssize_t n;

	if (c->ufd >= 0) {
		close(c->ufd);
		c->ufd = -1;
	}
	c->status = status;
	c->keep = keep;
	c->ph = P_ANSWER;
	n = ing_http_answer(status, location, keep, head, c->hbuf, ING_HBUF);
	if (n <= 0) {
		conn_close(c);
		return;
	}
	{
		const char *end = memmem(c->hbuf, (size_t)n, "\r\n\r\n", 4);

		c->sent_body = end ? (uint64_t)(c->hbuf + n - (end + 4)) : 0;
	}
	c_send(c, c->hbuf, (size_t)n);
}

/* ---- a request ---- */

static struct ing_str header(const struct ing_req *rq, const char *name)
{
	size_t n = strlen(name);

	for (unsigned i = 0; i < rq->nhdr; i++)
		if (rq->hdr[i].name.n == n && strncasecmp(rq->hdr[i].name.p, name, n) == 0)
			return rq->hdr[i].value;
	return (struct ing_str){"", 0};
}

static void new_request_id(struct conn *c)
{
	struct ing_loop *lp = c->lp;

	for (int i = 0; i < 2; i++) {
		lp->rnd ^= lp->rnd << 13;
		lp->rnd ^= lp->rnd >> 7;
		lp->rnd ^= lp->rnd << 17;
		snprintf(c->reqid + 16 * i, 17, "%016llx", (unsigned long long)lp->rnd);
	}
}

static void request(struct conn *c)
{
	struct ing_loop *lp = c->lp;
	const struct ing_table *t = lp->cur ? lp->cur->table : NULL;
	struct ing_route r = {.status = 503};
	char target[8192];
	struct ing_fwd fwd;
	ssize_t n;

	c->nreq++;
	c->t0 = lp->now;
	c->t0_wall = wall_ms();
	c->upname[0] = c->up_addr[0] = 0;
	c->up_status = 0;
	c->up_len = c->sent_body = c->body_seen = 0;
	c->reused = c->expect_sent = c->upgrade = c->up_broken = false;
	c->retries = c->try = 0;
	c->timed_out = false;
	new_request_id(c);
	if (t)
		ing_table_route(t, c->rq.host, c->rq.path, c->rq.query, c->client, false, &r, target,
				sizeof(target));
	if (r.status == 0 && (!r.be || r.be->nep == 0))
		r.status = 503;
	if (r.be)
		snprintf(c->upname, sizeof(c->upname), "%s", r.be->name);
	if (r.status) {
		char loc[8192];

		snprintf(loc, sizeof(loc), "%.*s", (int)r.target.n, r.target.p);
		answer(c, r.status, r.status >= 300 && r.status < 400 ? loc : NULL, true);
		return;
	}
	c->connect_ms = r.conf->connect_timeout_ms;
	c->read_ms = r.conf->read_timeout_ms;
	c->send_ms = r.conf->send_timeout_ms;
	c->body_max = r.conf->body_max;
	/* nginx refuses a declared length over client_max_body_size at once. */
	if (c->body_max && c->rq.body == ING_BODY_LENGTH && c->rq.length > c->body_max) {
		answer(c, 413, NULL, true);
		return;
	}
	c->ncand = (int)(r.be->nep < ING_TRIES ? r.be->nep : ING_TRIES);
	for (int i = 0; i < c->ncand; i++)
		c->cand[i] = r.be->ep[(lp->rr + (uint32_t)i) % r.be->nep];
	lp->rr++;
	fwd = (struct ing_fwd){
		.target = r.target,
		.host = r.conf->vhost ? (struct ing_str){r.conf->vhost, strlen(r.conf->vhost)}
				      : header(&c->rq, "host"),
		.client_ip = c->client_ip,
		.proto = "http",
		.port = c->port,
		.request_id = c->reqid,
		.keep_alive = true,
	};
	if (fwd.host.n == 0)
		fwd.host = c->rq.host;
	n = ing_http_upstream_head(&c->rq, &fwd, c->hbuf, ING_HBUF);
	if (n < 0) {
		answer(c, 400, NULL, true);	/* nginx: a head too large to pass on */
		return;
	}
	c->uphead = (size_t)n;
	up_connect(c);
}

static void start_head(struct conn *c)
{
	int r;

	c->ph = P_HEAD;
	c->deadline = 0;
	if (c->clen == 0) {
		c->idle_since = c->lp->now;
		c_recv(c);
		return;
	}
	r = ing_http_req_parse(c->cbuf, c->clen, &c->lp->ing->lim, &c->rq);
	if (r == 0) {
		c_recv(c);
	} else if (r < 0) {
		c->t0 = c->lp->now;
		c->t0_wall = wall_ms();
		c->upname[0] = c->up_addr[0] = c->reqid[0] = 0;
		c->up_status = 0;
		c->sent_body = c->body_seen = 0;
		answer(c, -r, NULL, false);
	} else {
		c->coff = (size_t)r;
		request(c);
	}
}

/* ---- upstream ---- */

static void up_send_head(struct conn *c)
{
	c->ph = P_UP_HEAD;
	u_send(c, c->hbuf, c->uphead);
}

static void up_connect(struct conn *c)
{
	struct ing_loop *lp = c->lp;
	const struct sockaddr_in *to = &c->cand[c->try];
	struct io_uring_sqe *sqe;
	int one = 1;

	inet_ntop(AF_INET, &to->sin_addr, c->up_addr, INET_ADDRSTRLEN);
	snprintf(c->up_addr + strlen(c->up_addr), 8, ":%u", ntohs(to->sin_port));
	if (c->ufd >= 0)
		close(c->ufd);
	c->ufd = c->retries == 0 ? ing_pool_take(lp, to) : -1;
	if (c->ufd >= 0) {
		c->reused = true;
		up_send_head(c);
		return;
	}
	c->reused = false;
	c->ufd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->ufd < 0) {
		answer(c, 502, NULL, true);
		return;
	}
	setsockopt(c->ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* From the face pod's address, as ingress-nginx's requests come from
	 * its pod: what a backend and NetworkPolicy see. The port is chosen
	 * at connect, per destination, not at bind. */
	if (lp->cur && lp->cur->nfaces && (ntohl(to->sin_addr.s_addr) >> 24) != 127) {
		struct sockaddr_in from = lp->cur->faces[0];

		from.sin_port = 0;
		setsockopt(c->ufd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(c->ufd, (struct sockaddr *)&from, sizeof(from)) < 0) {
			/* the face's address is gone: from the node's, then */
		}
	}
	c->ph = P_CONNECT;
	sqe = ing_sqe(lp);
	io_uring_prep_connect(sqe, c->ufd, (const struct sockaddr *)to, sizeof(*to));
	sqe->flags |= IOSQE_IO_LINK;
	submit(c, S_UTX, sqe, -1, 0);
	c->cto.tv_sec = c->connect_ms / 1000;
	c->cto.tv_nsec = (long long)(c->connect_ms % 1000) * 1000000;
	sqe = ing_sqe(lp);
	io_uring_prep_link_timeout(sqe, &c->cto, 0);
	io_uring_sqe_set_data64(sqe, 0);
}

/* An upstream connection failed before any answer: the next endpoint
 * (proxy_next_upstream error timeout), and a kept-alive connection that
 * the upstream had closed meanwhile is simply made again. Only a request
 * whose body has not started to stream can be sent twice. */
static void up_failed(struct conn *c, int status)
{
	bool replayable = c->rq.body == ING_BODY_NONE || (!c->expect_sent && c->body_seen == 0);

	if (c->reused && replayable && c->retries < ING_TRIES) {
		c->retries++;
		up_connect(c);
		return;
	}
	if (replayable && c->try + 1 < c->ncand) {
		c->try++;
		c->retries++;
		up_connect(c);
		return;
	}
	answer(c, status, NULL, true);
}

static void start_body(struct conn *c)
{
	c->ph = P_REQ_BODY;
	c->body_done = c->rq.body == ING_BODY_NONE;
	c->left = c->rq.length;
	ing_chunked_init(&c->ch);
	if (c->rq.body == ING_BODY_LENGTH && c->left == 0)
		c->body_done = true;
	relay_body(c);
}

static void start_response(struct conn *c)
{
	c->ph = P_RESP_HEAD;
	c->ulen = c->uoff = 0;
	u_recv(c);
}

/* Hands the next slice of the request body to the upstream. */
static void relay_body(struct conn *c)
{
	size_t avail = c->clen - c->coff, n = avail;

	if (c->body_done) {
		start_response(c);
		return;
	}
	if (avail == 0) {
		/* The head stays at the start of cbuf; the body cycles after it. */
		c->clen = c->coff = c->rq.head_len;
		c_recv(c);
		return;
	}
	if (c->rq.body == ING_BODY_LENGTH) {
		if (n > c->left)
			n = (size_t)c->left;
		if (n == c->left)
			c->body_done = true;
	} else {
		ssize_t k = ing_chunked_feed(&c->ch, c->cbuf + c->coff, avail);

		if (k < 0) {
			answer(c, 400, NULL, true);
			return;
		}
		n = (size_t)k;
		c->body_done = c->ch.done;
	}
	c->body_seen += n;
	/* nginx's client_max_body_size counts a chunked body's data, not its
	 * framing. */
	if (c->body_max && (c->rq.body == ING_BODY_CHUNKED ? c->ch.data : c->body_seen) > c->body_max) {
		answer(c, 413, NULL, true);
		return;
	}
	c->tx_last = n;
	u_send(c, c->cbuf + c->coff, n);
}

static void response_head(struct conn *c)
{
	struct ing_resp *rs = &c->rs;
	int r;
	ssize_t n;

	for (;;) {
		r = ing_http_resp_parse(c->ubuf, c->ulen, &c->lp->ing->lim, &c->rq, rs);
		if (r == 0) {
			if (c->ulen == ING_UBUF) {
				up_failed(c, 502);
				return;
			}
			u_recv(c);
			return;
		}
		if (r < 0) {
			answer(c, 502, NULL, true);
			return;
		}
		if (rs->status >= 200 || rs->status == 101)
			break;
		/* An interim answer (100 Continue): k1s sent its own. */
		memmove(c->ubuf, c->ubuf + r, c->ulen - (size_t)r);
		c->ulen -= (size_t)r;
	}
	c->t_up = c->lp->now;
	c->up_status = rs->status;
	c->status = rs->status;
	c->upgrade = c->rq.upgrade && rs->status == 101;
	c->keep = c->rq.keep_alive && rs->body != ING_BODY_EOF && c->body_done &&
		  c->nreq < ING_KEEPALIVE_REQS;
	c->resp_done = rs->body == ING_BODY_NONE;
	c->left = rs->length;
	if (rs->body == ING_BODY_LENGTH && c->left == 0)
		c->resp_done = true;
	ing_chunked_init(&c->ch);
	n = ing_http_client_head(rs, c->keep, c->hbuf, ING_HBUF);
	if (n < 0) {
		answer(c, 502, NULL, true);
		return;
	}
	c->uoff = (size_t)r;
	c->ph = P_RESP_SEND;
	c_send(c, c->hbuf, (size_t)n);
}

/* Hands the next slice of the response body to the client. */
static void relay_resp(struct conn *c)
{
	size_t avail = c->ulen - c->uoff, n = avail;

	if (c->resp_done) {
		finish(c);
		return;
	}
	if (avail == 0) {
		c->ulen = c->uoff = 0;
		u_recv(c);
		return;
	}
	if (c->rs.body == ING_BODY_LENGTH) {
		if (n > c->left)
			n = (size_t)c->left;
		if (n == c->left)
			c->resp_done = true;
	} else if (c->rs.body == ING_BODY_CHUNKED) {
		ssize_t k = ing_chunked_feed(&c->ch, c->ubuf + c->uoff, avail);

		if (k < 0) {
			conn_close(c);	/* the head is out: nothing left to say */
			return;
		}
		n = (size_t)k;
		c->resp_done = c->ch.done;
	}
	c->tx_last = n;
	c_send(c, c->ubuf + c->uoff, n);
}

static void finish(struct conn *c)
{
	struct ing_loop *lp = c->lp;
	size_t rest;

	log_request(c, true);
	c->deadline = 0;
	if (c->ufd >= 0) {
		if (c->rs.keep_alive && c->rs.body != ING_BODY_EOF && c->body_done &&
		    c->ulen == c->uoff && !lp->stopping)
			ing_pool_put(lp, &c->cand[c->try], c->ufd);
		else
			close(c->ufd);
		c->ufd = -1;
	}
	if (!c->keep) {
		conn_close(c);
		return;
	}
	/* Pipelined bytes after this request are the next one's. */
	rest = c->clen - c->coff;
	memmove(c->cbuf, c->cbuf + c->coff, rest);
	c->clen = rest;
	c->coff = 0;
	start_head(c);
}

/* ---- the tunnel after an upgrade ---- */

static void tunnel_start(struct conn *c)
{
	c->ph = P_TUNNEL;
	log_request(c, true);
	/* What followed the heads on either side goes first. */
	if (c->uoff < c->ulen) {
		c_send(c, c->ubuf + c->uoff, c->ulen - c->uoff);
	} else {
		c->ulen = c->uoff = 0;
		u_recv(c);
	}
	if (c->coff < c->clen) {
		u_send(c, c->cbuf + c->coff, c->clen - c->coff);
	} else {
		c->clen = c->coff = 0;
		c_recv(c);
	}
}

static void tunnel_eof(struct conn *c, int side)
{
	c->tunnel_eof[side] = true;
	shutdown(side == 0 ? c->ufd : c->cfd, SHUT_WR);
	if (c->tunnel_eof[0] && c->tunnel_eof[1])
		conn_close(c);
}

/* ---- completions ---- */

static bool sent_all(struct conn *c, int side, int res)
{
	if ((size_t)res >= c->tx_n[side])
		return true;
	c->tx_p[side] += res;
	c->tx_n[side] -= (size_t)res;
	if (side == 0) {
		c_send(c, c->tx_p[0], c->tx_n[0]);
	} else {
		u_send(c, c->tx_p[1], c->tx_n[1]);
	}
	return false;
}

/* Between requests, with the buffers given back. */
static void park(struct conn *c)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);
	int64_t left = c->idle_since + ING_KEEPALIVE_MS - c->lp->now;

	free(c->cbuf);
	c->cbuf = c->ubuf = c->hbuf = NULL;
	c->parking = false;
	c->polling = true;
	io_uring_prep_poll_add(sqe, c->cfd, POLLIN);
	submit(c, S_CRX, sqe, c->cfd, left > 0 ? left : 1);
}

static void on_crx(struct conn *c, int res)
{
	if (c->polling) {
		c->polling = false;
		if (res < 0 || c->timed_out || buffers(c) < 0) {
			conn_close(c);
			return;
		}
		c_recv(c);
		return;
	}
	if (c->parking) {
		if (res == -ECANCELED) {
			park(c);
			return;
		}
		c->parking = false;	/* the next request came first */
	}
	if (res <= 0) {
		if (c->ph == P_TUNNEL)
			tunnel_eof(c, 0);
		else
			conn_close(c);	/* gone, or timed out: nginx closes quietly */
		return;
	}
	c->clen += (size_t)res;
	switch (c->ph) {
	case P_HEAD:
		start_head(c);
		break;
	case P_REQ_BODY:
		relay_body(c);
		break;
	case P_TUNNEL:
		u_send(c, c->cbuf, c->clen);
		break;
	default:
		conn_close(c);
		break;
	}
}

static void on_ctx(struct conn *c, int res)
{
	if (res < 0) {
		conn_close(c);
		return;
	}
	if (!sent_all(c, 0, res))
		return;
	switch (c->ph) {
	case P_ANSWER:
		log_request(c, c->rq.head_len > 0 && c->reqid[0]);
		if (!c->keep) {
			conn_close(c);
			break;
		}
		{
			size_t rest = c->clen - c->coff;

			memmove(c->cbuf, c->cbuf + c->coff, rest);
			c->clen = rest;
			c->coff = 0;
		}
		start_head(c);
		break;
	case P_UP_HEAD:		/* the 100 Continue went out */
		start_body(c);
		break;
	case P_RESP_SEND:
		if (c->upgrade) {
			tunnel_start(c);
			break;
		}
		c->ph = P_RESP_BODY;
		relay_resp(c);
		break;
	case P_RESP_BODY:
		c->sent_body += c->tx_last;
		c->up_len += c->tx_last;
		c->uoff += c->tx_last;
		if (c->rs.body == ING_BODY_LENGTH)
			c->left -= c->tx_last;
		relay_resp(c);
		break;
	case P_TUNNEL:
		c->ulen = c->uoff = 0;
		u_recv(c);
		break;
	default:
		conn_close(c);
		break;
	}
}

static void on_urx(struct conn *c, int res)
{
	if (c->ph == P_TUNNEL) {
		if (res <= 0)
			tunnel_eof(c, 1);
		else
			c_send(c, c->ubuf, (size_t)res);
		return;
	}
	if (res <= 0) {
		if (c->ph == P_RESP_HEAD && c->ulen == 0 && !c->timed_out) {
			up_failed(c, 502);
		} else if (c->ph == P_RESP_HEAD) {
			answer(c, c->timed_out ? 504 : 502, NULL, true);
		} else if (res == 0 && c->rs.body == ING_BODY_EOF) {
			c->resp_done = true;
			c->keep = false;
			finish(c);
		} else {
			conn_close(c);	/* cut short: the client sees it cut short */
		}
		return;
	}
	c->ulen += (size_t)res;
	if (c->ph == P_RESP_HEAD)
		response_head(c);
	else
		relay_resp(c);
}

static void on_utx(struct conn *c, int res)
{
	if (c->ph == P_CONNECT) {
		if (res < 0) {
			up_failed(c, res == -ECANCELED || res == -ETIMEDOUT ? 504 : 502);
			return;
		}
		up_send_head(c);
		return;
	}
	if (c->ph == P_TUNNEL) {
		if (res < 0) {
			conn_close(c);
			return;
		}
		if (sent_all(c, 1, res)) {
			c->clen = c->coff = 0;
			c_recv(c);
		}
		return;
	}
	if (res < 0) {
		if (c->ph == P_UP_HEAD) {
			up_failed(c, 502);
			return;
		}
		/* The upstream stopped reading the body: it may have answered
		 * already (a 413 of its own), and that answer is what the client
		 * gets; the connection ends after it. */
		c->body_done = false;
		c->up_broken = true;
		start_response(c);
		return;
	}
	if (!sent_all(c, 1, res))
		return;
	if (c->ph == P_UP_HEAD) {
		/* nginx answers 100 Continue itself once it wants the body. */
		if (c->rq.expect_continue && c->rq.body != ING_BODY_NONE && c->coff == c->clen &&
		    !c->expect_sent) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

			c->expect_sent = true;
			c_send(c, cont, sizeof(cont) - 1);
			return;
		}
		start_body(c);
		return;
	}
	/* P_REQ_BODY: the slice went out. */
	c->coff += c->tx_last;
	if (c->rq.body == ING_BODY_LENGTH)
		c->left -= c->tx_last;
	relay_body(c);
}

void ing_conn_cqe(struct ing_op *op, int res)
{
	struct conn *c = op->owner;
	int slot = op->kind - OP_CRX;

	c->busy[slot] = false;
	c->inflight--;
	if (c->dead) {
		conn_put(c);
		return;
	}
	if (!c->busy[S_CRX] && !c->busy[S_CTX] && !c->busy[S_URX] && !c->busy[S_UTX])
		c->deadline = 0;
	switch (slot) {
	case S_CRX:
		on_crx(c, res);
		break;
	case S_CTX:
		on_ctx(c, res);
		break;
	case S_URX:
		on_urx(c, res);
		break;
	default:
		on_utx(c, res);
		break;
	}
}

/* A side that has waited too long is shut down: its pending operation
 * completes, and the phase's handler says what the client gets. */
void ing_conn_tick(struct ing_loop *lp)
{
	for (struct k1s_list *p = lp->conns.next; p != &lp->conns; p = p->next) {
		struct conn *c = k1s_list_entry(p, struct conn, link);

		if (!c->dead && c->ph == P_HEAD && c->clen == 0 && c->cbuf && !c->parking &&
		    c->busy[S_CRX] && lp->now - c->idle_since >= ING_PARK_MS) {
			struct io_uring_sqe *sqe = ing_sqe(lp);

			c->parking = true;
			io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)&c->op[S_CRX], 0);
			io_uring_sqe_set_data64(sqe, 0);
		}
		if (c->dead || !c->deadline || lp->now < c->deadline)
			continue;
		c->deadline = 0;
		c->timed_out = true;
		if (c->deadline_fd >= 0)
			shutdown(c->deadline_fd, SHUT_RDWR);
	}
}

void ing_conn_free_all(struct ing_loop *lp)
{
	while (lp->conns.next != &lp->conns) {
		struct conn *c = k1s_list_entry(lp->conns.next, struct conn, link);

		c->dead = true;
		c->inflight = 0;
		conn_put(c);
	}
}
