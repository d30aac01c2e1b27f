/* A client connection on the HTTPS port: the handshake through the loop,
 * then the session under the same HTTP path as port 80. The client's
 * slots move the session's ciphertext; what a read or write of the
 * session gives is handed to ing_relay.c's handlers as if it came over
 * plain TCP, by a NOP when no ciphertext had to move. */
#include <errno.h>
#include <sys/socket.h>

#include <mbedtls/error.h>

#include "ing_conn_int.h"
#include "k1s_log.h"

static void raw_send(struct conn *c)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);

	io_uring_prep_send(sqe, c->cfd, ing_tls_out_data(c->ctls), ing_tls_out_pending(c->ctls),
			   MSG_NOSIGNAL);
	c->tls_raw[S_CTX] = true;
	conn_submit(c, S_CTX, sqe, c->cfd, c->ctls_hs ? 0 : ING_SEND_MS);
}

static void raw_recv(struct conn *c, int64_t ms)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);
	size_t cap;
	unsigned char *p = ing_tls_in_room(c->ctls, &cap);

	io_uring_prep_recv(sqe, c->cfd, p, cap, 0);
	c->tls_raw[S_CRX] = true;
	conn_submit(c, S_CRX, sqe, c->cfd, ms);
}

static void deliver(struct conn *c, int slot, ssize_t res)
{
	struct io_uring_sqe *sqe = ing_sqe(c->lp);

	io_uring_prep_nop(sqe);
	c->cnop[slot] = true;
	c->cplain[slot] = res;
	conn_submit(c, slot, sqe, -1, 0);
}

void conn_tls_hs_end(struct conn *c)
{
	struct ing_loop *lp = c->lp;
	bool held_old = c->hs_snap != lp->cur;

	c->ctls_hs = false;
	c->hs_snap = NULL;
	lp->nhs--;
	if (held_old)
		ing_loop_ack(lp);
}

/* A handshake that fails is the client's business: one line, at debug,
 * as nginx logs SSL_do_handshake() failures at info and below. */
static void hs_failed(struct conn *c, int err)
{
	char why[128];

	if (err < 0) {
		mbedtls_strerror(err, why, sizeof(why));
		k1s_debug("ingress", "TLS handshake from %s: %s", c->client_ip, why);
		/* The alert mbedTLS wrote tells the client why, as nginx's. */
		if (ing_tls_out_pending(c->ctls)) {
			c->ctls_alert = true;
			raw_send(c);
			return;
		}
	} else {
		k1s_debug("ingress", "TLS handshake from %s: %s", c->client_ip,
			  c->timed_out ? "timed out" : "closed by the client");
	}
	conn_close(c);
}

static void hs_step(struct conn *c)
{
	int r = ing_tls_handshake(c->ctls);

	if (r < 0) {
		hs_failed(c, r);
	} else if (ing_tls_out_pending(c->ctls)) {
		raw_send(c);
	} else if (r == ING_TLS_WANT_READ) {
		raw_recv(c, 0);
	} else {
		conn_tls_hs_end(c);
		if (conn_buffers(c) < 0) {
			conn_close(c);
			return;
		}
		conn_start_head(c);
	}
}

void conn_tls_accepted(struct conn *c)
{
	struct ing_loop *lp = c->lp;

	c->ph = P_HEAD;
	c->ctls = ing_tls_server(&lp->tls, lp->cur ? lp->cur->certs : NULL);
	if (!c->ctls) {
		conn_close(c);
		return;
	}
	c->ctls_hs = true;
	c->hs_snap = lp->cur;
	lp->nhs++;
	c->hs_deadline = lp->now + lp->ing->handshake_ms;
	hs_step(c);
}

void conn_tls_send(struct conn *c, const char *p, size_t n)
{
	ssize_t k = ing_tls_write(c->ctls, p, n);

	if (k > 0 && ing_tls_out_pending(c->ctls)) {
		c->cplain[S_CTX] = k;
		raw_send(c);
	} else {
		deliver(c, S_CTX, k > 0 ? k : -EPROTO);
	}
}

void conn_tls_recv(struct conn *c, int64_t ms)
{
	ssize_t r = ing_tls_read(c->ctls, c->cbuf + c->clen, ING_CBUF - c->clen);

	if (r == -ING_TLS_WANT_READ) {
		/* A warning the session wrote while reading (a refused
		 * renegotiation) goes now, where no send is under way; what
		 * does not fit stays first in line for the next one. */
		if (ing_tls_out_pending(c->ctls) && !c->busy[S_CTX]) {
			ssize_t n = send(c->cfd, ing_tls_out_data(c->ctls),
					 ing_tls_out_pending(c->ctls), MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n > 0)
				ing_tls_out_sent(c->ctls, (size_t)n);
		}
		raw_recv(c, ms);
	} else if (r < 0 && ing_tls_out_pending(c->ctls) && !c->busy[S_CTX]) {
		/* The alert the session wrote (bad_record_mac and the
		 * like) goes out before the connection ends. */
		c->ctls_alert = true;
		raw_send(c);
	} else
		deliver(c, S_CRX, r >= 0 ? r : -EPROTO);
}

/* nginx's ngx_ssl_shutdown(): a session closed in good order says so,
 * and one that timed out, failed or is still sending does not. OpenSSL 3
 * clients keep a session for resumption only after a close_notify. One
 * small send, not waited for: the socket is closed next. */
void conn_tls_goodbye(struct conn *c)
{
	if (c->ctls_hs || c->ctls_alert || c->timed_out || c->busy[S_CTX] || c->cfd < 0 ||
	    ing_tls_out_pending(c->ctls) || ing_tls_close_notify(c->ctls) != 0)
		return;
	(void)send(c->cfd, ing_tls_out_data(c->ctls), ing_tls_out_pending(c->ctls),
		   MSG_DONTWAIT | MSG_NOSIGNAL);
	ing_tls_out_sent(c->ctls, ing_tls_out_pending(c->ctls));
}

bool conn_tls_cqe(struct conn *c, int slot, int res)
{
	if (slot != S_CRX && slot != S_CTX)
		return false;
	if (c->cnop[slot]) {
		c->cnop[slot] = false;
		if (slot == S_CRX)
			conn_on_crx(c, (int)c->cplain[S_CRX]);
		else
			conn_on_ctx(c, (int)c->cplain[S_CTX]);
		return true;
	}
	if (!c->tls_raw[slot])
		return false;	/* a poll while parked */
	c->tls_raw[slot] = false;
	if (slot == S_CTX && c->ctls_alert) {
		conn_close(c);
		return true;
	}
	if (slot == S_CTX) {
		if (res < 0) {
			if (c->ctls_hs)
				hs_failed(c, 0);
			else
				conn_on_ctx(c, res);
			return true;
		}
		ing_tls_out_sent(c->ctls, (size_t)res);
		if (ing_tls_out_pending(c->ctls))
			raw_send(c);
		else if (c->ctls_hs)
			hs_step(c);
		else
			conn_on_ctx(c, (int)c->cplain[S_CTX]);
		return true;
	}
	if (res <= 0) {
		if (c->ctls_hs)
			hs_failed(c, 0);
		else
			conn_on_crx(c, res);	/* gone, timed out, or parking */
		return true;
	}
	ing_tls_in_got(c->ctls, (size_t)res);
	if (c->ctls_hs)
		hs_step(c);
	else
		conn_recv_client(c);
	return true;
}
