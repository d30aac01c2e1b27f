/* A client connection's life: accepted, its requests read and routed,
 * answered by the ingress or sent upstream over a connection of the pool
 * or a new one, logged; the completions of its operations dispatched; its
 * timeouts. Bodies, responses and tunnels are ing_relay.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ing_conn_int.h"
#include "k1s_facelog.h"


static void request(struct conn *c);
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
	ing_tls_free(c->tls);
	if (c->ctls_hs)
		conn_tls_hs_end(c);
	ing_tls_free(c->ctls);
	k1s_list_del(&c->link);
	c->lp->nconns--;
	free(c->cbuf);
	free(c);
}

/* Ends the connection: its operations are cancelled, and it is freed
 * with their last completion. */
void conn_close(struct conn *c)
{
	struct ing_loop *lp = c->lp;

	if (c->dead)
		return;
	if (c->ctls)
		conn_tls_goodbye(c);
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

void conn_submit(struct conn *c, int slot, struct io_uring_sqe *sqe, int fd, int64_t ms)
{
	io_uring_sqe_set_data(sqe, &c->op[slot]);
	c->busy[slot] = true;
	c->inflight++;
	if (ms > 0) {
		c->deadline = c->lp->now + ms;
		c->deadline_fd = fd;
	}
}

void conn_send_client(struct conn *c, const char *p, size_t n)
{
	struct io_uring_sqe *sqe;

	c->tx_p[0] = p;
	c->tx_n[0] = n;
	if (c->ctls) {
		conn_tls_send(c, p, n);
		return;
	}
	sqe = ing_sqe(c->lp);
	io_uring_prep_send(sqe, c->cfd, p, n, MSG_NOSIGNAL);
	conn_submit(c, S_CTX, sqe, c->cfd, ING_SEND_MS);
}

/* ---- TLS towards the upstream: the slots S_UTX and S_URX then move
 * ciphertext (tls_raw), or a NOP hands over what a read or write of the
 * session gave, so that the relay sees its completions as over plain
 * TCP. ---- */

static void tls_send_raw(struct conn *c)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);

	io_uring_prep_send(sqe, c->ufd, ing_tls_out_data(c->tls), ing_tls_out_pending(c->tls),
			   MSG_NOSIGNAL);
	c->tls_raw[S_UTX] = true;
	conn_submit(c, S_UTX, sqe, c->ufd, c->send_ms);
}

static void tls_recv_raw(struct conn *c)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);
	size_t cap;
	unsigned char *p = ing_tls_in_room(c->tls, &cap);

	io_uring_prep_recv(sqe, c->ufd, p, cap, 0);
	c->tls_raw[S_URX] = true;
	conn_submit(c, S_URX, sqe, c->ufd, c->read_ms);
}

static void tls_deliver(struct conn *c, int slot, ssize_t res)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);

	io_uring_prep_nop(sqe);
	c->tls_raw[slot] = false;
	c->tls_plain = res;
	conn_submit(c, slot, sqe, -1, 0);
}

static void tls_step(struct conn *c)
{
	int r = ing_tls_handshake(c->tls);

	if (ing_tls_out_pending(c->tls)) {
		tls_send_raw(c);
	} else if (r == ING_TLS_WANT_READ) {
		tls_recv_raw(c);
	} else if (r == ING_TLS_DONE) {
		c->tls_hs = false;
		conn_up_send_head(c);
	} else {
		conn_up_failed(c, 502);
	}
}

void conn_up_connected(struct conn *c)
{
	if (!c->https) {
		conn_up_send_head(c);
		return;
	}
	if (!c->lp->tls.ready && ing_tls_cfg_init(&c->lp->tls) != 0) {
		conn_answer(c, 502, NULL, true);
		return;
	}
	ing_tls_free(c->tls);
	/* No SNI: ingress-nginx's proxy-ssl-server-name is off by default. */
	c->tls = ing_tls_client(&c->lp->tls, NULL);
	if (!c->tls) {
		conn_answer(c, 502, NULL, true);
		return;
	}
	c->tls_hs = true;
	tls_step(c);
}

/* A completion of a slot that moves ciphertext: true when it was one. */
static bool tls_cqe(struct conn *c, int slot, int res)
{
	if (!c->tls || (slot != S_UTX && slot != S_URX) || !c->tls_raw[slot])
		return false;
	c->tls_raw[slot] = false;
	if (slot == S_UTX) {
		if (res < 0) {
			if (c->tls_hs)
				conn_up_failed(c, 502);
			else
				conn_on_utx(c, res);
			return true;
		}
		ing_tls_out_sent(c->tls, (size_t)res);
		if (ing_tls_out_pending(c->tls))
			tls_send_raw(c);
		else if (c->tls_hs)
			tls_step(c);
		else
			conn_on_utx(c, (int)c->tls_plain);
		return true;
	}
	if (res <= 0) {
		if (c->tls_hs)
			conn_up_failed(c, 502);
		else
			conn_on_urx(c, res);
		return true;
	}
	ing_tls_in_got(c->tls, (size_t)res);
	if (c->tls_hs)
		tls_step(c);
	else
		conn_recv_up(c);
	return true;
}

void conn_send_up(struct conn *c, const char *p, size_t n)
{
	struct io_uring_sqe *sqe;

	c->tx_p[1] = p;
	c->tx_n[1] = n;
	if (c->tls) {
		ssize_t k = ing_tls_write(c->tls, p, n);

		c->tls_plain = k;
		if (k > 0 && ing_tls_out_pending(c->tls))
			tls_send_raw(c);
		else
			tls_deliver(c, S_UTX, k > 0 ? k : -EPROTO);
		return;
	}
	sqe = ing_sqe(c->lp);
	io_uring_prep_send(sqe, c->ufd, p, n, MSG_NOSIGNAL);
	conn_submit(c, S_UTX, sqe, c->ufd, c->send_ms);
}

void conn_recv_client(struct conn *c)
{
	struct io_uring_sqe *sqe;
	int64_t ms = c->ph == P_HEAD ? (c->nreq && c->clen == 0 ? ING_KEEPALIVE_MS : ING_HEAD_MS)
				     : c->ph == P_TUNNEL ? c->read_ms : ING_HEAD_MS;

	if (c->ctls) {
		conn_tls_recv(c, ms);
		return;
	}
	sqe = ing_sqe(c->lp);
	io_uring_prep_recv(sqe, c->cfd, c->cbuf + c->clen, ING_CBUF - c->clen, 0);
	conn_submit(c, S_CRX, sqe, c->cfd, ms);
}

void conn_recv_up(struct conn *c)
{
	struct io_uring_sqe *sqe;

	if (c->tls) {
		ssize_t r = ing_tls_read(c->tls, c->ubuf + c->ulen, ING_UBUF - c->ulen);

		if (r == -ING_TLS_WANT_READ)
			tls_recv_raw(c);
		else
			tls_deliver(c, S_URX, r >= 0 ? r : -EPROTO);
		return;
	}
	sqe = ing_sqe(c->lp);
	io_uring_prep_recv(sqe, c->ufd, c->ubuf + c->ulen, ING_UBUF - c->ulen, 0);
	conn_submit(c, S_URX, sqe, c->ufd, c->read_ms);
}

int conn_buffers(struct conn *c)
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
	/* A TLS connection gets its buffers once its handshake is done: a
	 * crowd of handshakes costs their sessions alone. */
	if (!c || (!l->tls && conn_buffers(c) < 0)) {
		free(c);
		close(fd);
		return;
	}
	lp->nconns++;
	c->lp = lp;
	c->cfd = fd;
	c->ufd = -1;
	c->port = ntohs(l->addr.sin_port);
	c->local = l->addr;
	for (int s = 0; s < 4; s++)
		c->op[s] = (struct ing_op){(uint8_t)(OP_CRX + s), c};
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0) {
		c->client = peer.sin_addr.s_addr;
		inet_ntop(AF_INET, &peer.sin_addr, c->client_ip, sizeof(c->client_ip));
	}
	k1s_list_add(&lp->conns, &c->link);
	if (l->tls)
		conn_tls_accepted(c);
	else
		conn_start_head(c);
}

/* ---- the flow record and the access log ---- */

static void flow_str(char *dst, size_t cap, struct ing_str s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;

	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* One request's record, on the stack, put without a lock (k1s_flow.h). */
static void conn_flow(struct conn *c, bool parsed, uint64_t request_length)
{
	struct k1s_flow f;
	size_t at;

	memset(&f, 0, offsetof(struct k1s_flow, service));
	f.policies[0] = '\0';
	f.proto = IPPROTO_TCP;
	f.src = ntohl(c->client);
	f.dst = ntohl(c->local.sin_addr.s_addr);
	f.dport = c->port;
	f.code = (uint16_t)c->status;
	f.sent = request_length;
	f.received = c->sent_body;
	memcpy(f.service, c->svc, sizeof(f.service));
	if (parsed) {
		flow_str(f.name, sizeof(f.name), c->rq.host);
		flow_str(f.detail, sizeof(f.detail), c->rq.method);
		at = strlen(f.detail);
		if (at + 1 < sizeof(f.detail)) {
			f.detail[at++] = ' ';
			flow_str(f.detail + at, sizeof(f.detail) - at, c->rq.path);
		}
	} else {
		f.name[0] = f.detail[0] = '\0';
	}
	if (c->denied) {
		f.denied = true;
		f.ep = c->denied_flow.dst;
		f.ep_port = c->denied_flow.dport;
		memcpy(f.policies, c->policies, sizeof(f.policies));
	} else if (c->up_ep.sin_port) {
		f.ep = ntohl(c->up_ep.sin_addr.s_addr);
		f.ep_port = ntohs(c->up_ep.sin_port);
	}
	k1s_flow_put(c->lp->ing->flows, &f);
}

void conn_log(struct conn *c, bool parsed)
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

	conn_flow(c, parsed, l.request_length);
	if (!ing->log)
		return;
	n = ing_http_log_line(&l, line, sizeof(line));
	while (n && line[n - 1] == '\n')
		n--;
	k1s_facelog_write(ing->log, line, n);
}

/* ---- answers of the ingress's own ---- */

void conn_answer(struct conn *c, int status, const char *location, bool parsed)
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
	conn_send_client(c, c->hbuf, (size_t)n);
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

/* The endpoints to try, in turn: those NetworkPolicy lets the face pod
 * (where the ingress connects from, up_connect()) reach, as it judges
 * ingress-nginx's pod. None: the drop is counted, and false. */
static bool pick(struct conn *c, const struct ing_backend *be)
{
	struct ing_loop *lp = c->lp;
	struct pol *pol = lp->ing->pol;
	uint32_t from = lp->cur && lp->cur->nfaces ? ntohl(lp->cur->faces[0].sin_addr.s_addr) : 0;
	struct pol_flow f, denied;
	enum pol_verdict v, why = POL_ALLOWED;
	uint32_t start = lp->rr++;

	c->ncand = 0;
	for (uint32_t i = 0; i < be->nep && c->ncand < ING_TRIES; i++) {
		const struct sockaddr_in *ep = &be->ep[(start + i) % be->nep];

		/* Without a face the ingress connects from the node, which
		 * every policy lets through; so does an endpoint on 127/8. */
		if (pol && from && (ntohl(ep->sin_addr.s_addr) >> 24) != 127) {
			f = (struct pol_flow){from, ntohl(ep->sin_addr.s_addr), ntohs(ep->sin_port),
					      POL_TCP};
			v = pol_check(pol, &f);
			if (v != POL_ALLOWED) {
				if (why == POL_ALLOWED) {
					why = v;
					denied = f;
				}
				continue;
			}
		}
		c->cand[c->ncand++] = *ep;
	}
	if (c->ncand == 0) {
		c->denied = true;
		c->denied_flow = denied;
		pol_count_drop_names(pol, &denied, why, c->policies, sizeof(c->policies));
	}
	return c->ncand > 0;
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
	c->upname[0] = c->up_addr[0] = c->svc[0] = 0;
	c->up_ep.sin_port = 0;
	c->denied = false;
	c->up_status = 0;
	c->up_len = c->sent_body = c->body_seen = 0;
	c->reused = c->expect_sent = c->upgrade = c->up_broken = false;
	c->retries = c->try = 0;
	c->timed_out = false;
	new_request_id(c);
	if (t)
		ing_table_route(t, c->rq.host, c->rq.path, c->rq.query, c->client, c->ctls != NULL,
				&r, target, sizeof(target));
	if (r.status == 0 && (!r.be || r.be->nep == 0))
		r.status = 503;
	if (r.be) {
		snprintf(c->upname, sizeof(c->upname), "%s", r.be->name);
		K1S_FLOW_SET(c->svc, r.be->service);
	}
	if (r.status) {
		char loc[8192];

		snprintf(loc, sizeof(loc), "%.*s", (int)r.target.n, r.target.p);
		conn_answer(c, r.status, r.status >= 300 && r.status < 400 ? loc : NULL, true);
		return;
	}
	c->https = r.be->https;
	c->connect_ms = r.conf->connect_timeout_ms;
	c->read_ms = r.conf->read_timeout_ms;
	c->send_ms = r.conf->send_timeout_ms;
	c->body_max = r.conf->body_max;
	/* nginx refuses a declared length over client_max_body_size at once. */
	if (c->body_max && c->rq.body == ING_BODY_LENGTH && c->rq.length > c->body_max) {
		conn_answer(c, 413, NULL, true);
		return;
	}
	if (!pick(c, r.be)) {
		/* What ingress-nginx answers when its connect to the upstream
		 * times out, as a connect the pod's policy drops does there;
		 * here at once, since the verdict is known. */
		conn_answer(c, 504, NULL, true);
		return;
	}
	fwd = (struct ing_fwd){
		.target = r.target,
		.host = r.conf->vhost ? (struct ing_str){r.conf->vhost, strlen(r.conf->vhost)}
				      : header(&c->rq, "host"),
		.client_ip = c->client_ip,
		.proto = c->ctls ? "https" : "http",
		.port = c->port,
		.request_id = c->reqid,
		.keep_alive = true,
	};
	if (fwd.host.n == 0)
		fwd.host = c->rq.host;
	n = ing_http_upstream_head(&c->rq, &fwd, c->hbuf, ING_HBUF);
	if (n < 0) {
		conn_answer(c, 400, NULL, true);	/* nginx: a head too large to pass on */
		return;
	}
	c->uphead = (size_t)n;
	up_connect(c);
}

void conn_start_head(struct conn *c)
{
	int r;

	c->ph = P_HEAD;
	c->deadline = 0;
	if (c->clen == 0) {
		c->idle_since = c->lp->now;
		conn_recv_client(c);
		return;
	}
	r = ing_http_req_parse(c->cbuf, c->clen, &c->lp->ing->lim, &c->rq);
	if (r == 0) {
		conn_recv_client(c);
	} else if (r < 0) {
		c->t0 = c->lp->now;
		c->t0_wall = wall_ms();
		c->upname[0] = c->up_addr[0] = c->reqid[0] = c->svc[0] = 0;
		c->up_ep.sin_port = 0;
		c->denied = false;
		c->up_status = 0;
		c->sent_body = c->body_seen = 0;
		conn_answer(c, -r, NULL, false);
	} else {
		c->coff = (size_t)r;
		request(c);
	}
}

/* ---- upstream ---- */

void conn_up_send_head(struct conn *c)
{
	c->ph = P_UP_HEAD;
	conn_send_up(c, c->hbuf, c->uphead);
}

static void up_connect(struct conn *c)
{
	struct ing_loop *lp = c->lp;
	const struct sockaddr_in *to = &c->cand[c->try];
	struct io_uring_sqe *sqe;
	int one = 1;

	c->up_ep = *to;
	inet_ntop(AF_INET, &to->sin_addr, c->up_addr, INET_ADDRSTRLEN);
	snprintf(c->up_addr + strlen(c->up_addr), 8, ":%u", ntohs(to->sin_port));
	if (c->ufd >= 0)
		close(c->ufd);
	ing_tls_free(c->tls);
	c->tls = NULL;
	c->tls_hs = false;
	/* TLS sessions are not kept: a pooled connection is plain. */
	c->ufd = c->retries == 0 && !c->https ? ing_pool_take(lp, to) : -1;
	if (c->ufd >= 0) {
		c->reused = true;
		conn_up_send_head(c);
		return;
	}
	c->reused = false;
	c->ufd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->ufd < 0) {
		conn_answer(c, 502, NULL, true);
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
	conn_submit(c, S_UTX, sqe, -1, 0);
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
void conn_up_failed(struct conn *c, int status)
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
	conn_answer(c, status, NULL, true);
}

/* Between requests, with the buffers given back: a poll waits for the
 * next one. */
void conn_park(struct conn *c)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);
	int64_t left = c->idle_since + ING_KEEPALIVE_MS - c->lp->now;

	free(c->cbuf);
	c->cbuf = c->ubuf = c->hbuf = NULL;
	if (c->ctls)
		ing_tls_idle(c->ctls);
	c->parking = false;
	c->polling = true;
	io_uring_prep_poll_add(sqe, c->cfd, POLLIN);
	conn_submit(c, S_CRX, sqe, c->cfd, left > 0 ? left : 1);
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
	if (tls_cqe(c, slot, res) || (c->ctls && conn_tls_cqe(c, slot, res)))
		return;
	if (c->tls && (slot == S_URX || slot == S_UTX))
		res = (int)c->tls_plain;	/* a NOP handing over the session's result */
	switch (slot) {
	case S_CRX:
		conn_on_crx(c, res);
		break;
	case S_CTX:
		conn_on_ctx(c, res);
		break;
	case S_URX:
		conn_on_urx(c, res);
		break;
	default:
		conn_on_utx(c, res);
		break;
	}
}

/* A side that has waited too long is shut down: its pending operation
 * completes, and the phase's handler says what the client gets. */
void ing_conn_tick(struct ing_loop *lp)
{
	for (struct k1s_list *p = lp->conns.next; p != &lp->conns; p = p->next) {
		struct conn *c = k1s_list_entry(p, struct conn, link);

		if (!c->dead && c->ctls_hs && lp->now >= c->hs_deadline) {
			c->hs_deadline = INT64_MAX;	/* its read ends, and then it */
			c->timed_out = true;
			shutdown(c->cfd, SHUT_RDWR);
		}
		if (!c->dead && c->ph == P_HEAD && c->clen == 0 && c->cbuf && !c->parking &&
		    !c->ctls_hs && c->busy[S_CRX] && lp->now - c->idle_since >= ING_PARK_MS) {
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

uint64_t ing_conn_oldest_gen(struct ing_loop *lp, uint64_t gen)
{
	for (struct k1s_list *p = lp->conns.next; p != &lp->conns; p = p->next) {
		struct conn *c = k1s_list_entry(p, struct conn, link);

		if (c->ctls_hs && c->hs_snap && c->hs_snap->base.gen < gen)
			gen = c->hs_snap->base.gen;
	}
	return gen;
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

