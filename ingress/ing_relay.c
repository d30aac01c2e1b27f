/* What moves through a connection once a request is on its way: the
 * request body to the upstream, the response head and body back, the
 * tunnel after an upgrade; and the completions that drive each step. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ing_conn_int.h"

static void relay_body(struct conn *c);
static void relay_resp(struct conn *c);

void conn_start_body(struct conn *c)
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
	conn_recv_up(c);
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
		conn_recv_client(c);
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
			conn_answer(c, 400, NULL, true);
			return;
		}
		n = (size_t)k;
		c->body_done = c->ch.done;
	}
	c->body_seen += n;
	/* nginx's client_max_body_size counts a chunked body's data, not its
	 * framing. */
	if (c->body_max && (c->rq.body == ING_BODY_CHUNKED ? c->ch.data : c->body_seen) > c->body_max) {
		conn_answer(c, 413, NULL, true);
		return;
	}
	c->tx_last = n;
	conn_send_up(c, c->cbuf + c->coff, n);
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
				conn_up_failed(c, 502);
				return;
			}
			conn_recv_up(c);
			return;
		}
		if (r < 0) {
			conn_answer(c, 502, NULL, true);
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
		conn_answer(c, 502, NULL, true);
		return;
	}
	c->uoff = (size_t)r;
	c->ph = P_RESP_SEND;
	conn_send_client(c, c->hbuf, (size_t)n);
}

/* Hands the next slice of the response body to the client. */
static void relay_resp(struct conn *c)
{
	size_t avail = c->ulen - c->uoff, n = avail;

	if (c->resp_done) {
		conn_finish(c);
		return;
	}
	if (avail == 0) {
		c->ulen = c->uoff = 0;
		conn_recv_up(c);
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
	conn_send_client(c, c->ubuf + c->uoff, n);
}

void conn_finish(struct conn *c)
{
	struct ing_loop *lp = c->lp;
	size_t rest;

	conn_log(c, true);
	c->deadline = 0;
	if (c->tls) {
		ing_tls_free(c->tls);
		c->tls = NULL;
		close(c->ufd);
		c->ufd = -1;
	}
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
	conn_start_head(c);
}

/* ---- the tunnel after an upgrade ---- */

static void tunnel_start(struct conn *c)
{
	c->ph = P_TUNNEL;
	conn_log(c, true);
	/* What followed the heads on either side goes first. */
	if (c->uoff < c->ulen) {
		conn_send_client(c, c->ubuf + c->uoff, c->ulen - c->uoff);
	} else {
		c->ulen = c->uoff = 0;
		conn_recv_up(c);
	}
	if (c->coff < c->clen) {
		conn_send_up(c, c->cbuf + c->coff, c->clen - c->coff);
	} else {
		c->clen = c->coff = 0;
		conn_recv_client(c);
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
		conn_send_client(c, c->tx_p[0], c->tx_n[0]);
	} else {
		conn_send_up(c, c->tx_p[1], c->tx_n[1]);
	}
	return false;
}

void conn_on_crx(struct conn *c, int res)
{
	if (c->polling) {
		c->polling = false;
		if (res < 0 || c->timed_out || conn_buffers(c) < 0) {
			conn_close(c);
			return;
		}
		conn_recv_client(c);
		return;
	}
	if (c->parking) {
		if (res == -ECANCELED) {
			conn_park(c);
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
		conn_start_head(c);
		break;
	case P_REQ_BODY:
		relay_body(c);
		break;
	case P_TUNNEL:
		conn_send_up(c, c->cbuf, c->clen);
		break;
	default:
		conn_close(c);
		break;
	}
}

void conn_on_ctx(struct conn *c, int res)
{
	if (res < 0) {
		conn_close(c);
		return;
	}
	if (!sent_all(c, 0, res))
		return;
	switch (c->ph) {
	case P_ANSWER:
		conn_log(c, c->rq.head_len > 0 && c->reqid[0]);
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
		conn_start_head(c);
		break;
	case P_UP_HEAD:		/* the 100 Continue went out */
		conn_start_body(c);
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
		conn_recv_up(c);
		break;
	default:
		conn_close(c);
		break;
	}
}

void conn_on_urx(struct conn *c, int res)
{
	if (c->ph == P_TUNNEL) {
		if (res <= 0)
			tunnel_eof(c, 1);
		else
			conn_send_client(c, c->ubuf, (size_t)res);
		return;
	}
	if (res <= 0) {
		if (c->ph == P_RESP_HEAD && c->ulen == 0 && !c->timed_out) {
			conn_up_failed(c, 502);
		} else if (c->ph == P_RESP_HEAD) {
			conn_answer(c, c->timed_out ? 504 : 502, NULL, true);
		} else if (res == 0 && c->rs.body == ING_BODY_EOF) {
			c->resp_done = true;
			c->keep = false;
			conn_finish(c);
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

void conn_on_utx(struct conn *c, int res)
{
	if (c->ph == P_CONNECT) {
		if (res < 0) {
			conn_up_failed(c, res == -ECANCELED || res == -ETIMEDOUT ? 504 : 502);
			return;
		}
		conn_up_connected(c);
		return;
	}
	if (c->ph == P_TUNNEL) {
		if (res < 0) {
			conn_close(c);
			return;
		}
		if (sent_all(c, 1, res)) {
			c->clen = c->coff = 0;
			conn_recv_client(c);
		}
		return;
	}
	if (res < 0) {
		if (c->ph == P_UP_HEAD) {
			conn_up_failed(c, 502);
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
			conn_send_client(c, cont, sizeof(cont) - 1);
			return;
		}
		conn_start_body(c);
		return;
	}
	/* P_REQ_BODY: the slice went out. */
	c->coff += c->tx_last;
	if (c->rq.body == ING_BODY_LENGTH)
		c->left -= c->tx_last;
	relay_body(c);
}

