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
 * (keepalive_timeout), 60 s to send to a client (send_timeout), 60 s
 * for a TLS handshake (ssl_handshake_timeout), and the proxy-*-timeout
 * settings towards the upstream. */
#ifndef ING_CONN_INT_H
#define ING_CONN_INT_H

#include "ing_loop_int.h"
#include "ing_tls.h"
#include "k1s_flow.h"
#include "pol.h"

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

	/* backend-protocol HTTPS: the session, and how its operations stand. */
	bool https;
	struct ing_tls *tls;
	bool tls_hs;			/* handshaking */
	bool tls_raw[4];		/* the slot's operation moves ciphertext */
	ssize_t tls_plain;		/* plaintext a send took, or a read gave */

	/* The HTTPS port: the client's session. The slots S_CRX and S_CTX
	 * then move its ciphertext (tls_raw), or a NOP (cnop) hands over
	 * what a read or write of the session gave, as for the upstream. */
	struct ing_tls *ctls;
	bool ctls_hs;			/* handshaking, holding hs_snap */
	bool ctls_alert;		/* failed: its alert goes out, then the connection ends */
	struct ing_snap *hs_snap;
	int64_t hs_deadline;
	bool cnop[2];
	ssize_t cplain[2];

	/* For the access log. */
	int64_t t0, t0_wall, t_up;
	int status, up_status;
	uint64_t sent_body, up_len;
	char up_addr[INET_ADDRSTRLEN + 8];
	char reqid[33];
	/* For the flow record (conn_log()). */
	struct sockaddr_in local;	/* the listener's address */
	struct sockaddr_in up_ep;	/* the endpoint last dialled; port 0: none */
	bool denied;			/* NetworkPolicy let it reach no endpoint */
	struct pol_flow denied_flow;
	char svc[K1S_FLOW_SERVICE_LEN];	/* the backend's Service, "ns/name" */
	char policies[K1S_FLOW_POLICIES_LEN];
};


/* ing_conn.c */
void conn_submit(struct conn *c, int slot, struct io_uring_sqe *sqe, int fd, int64_t ms);
/* Allocates the connection's buffers: 0 or -ENOMEM. */
int conn_buffers(struct conn *c);
void conn_close(struct conn *c);
void conn_send_client(struct conn *c, const char *p, size_t n);
void conn_send_up(struct conn *c, const char *p, size_t n);
void conn_recv_client(struct conn *c);
void conn_recv_up(struct conn *c);
void conn_log(struct conn *c, bool parsed);
void conn_answer(struct conn *c, int status, const char *location, bool parsed);
void conn_start_head(struct conn *c);
void conn_up_send_head(struct conn *c);
void conn_up_failed(struct conn *c, int status);
void conn_park(struct conn *c);
/* After the TCP connect: the TLS handshake when the backend wants it,
 * then the request head. */
void conn_up_connected(struct conn *c);

/* ing_conn_tls.c: the client's side over TLS. */
/* Starts the handshake of a connection on the HTTPS port. */
void conn_tls_accepted(struct conn *c);
/* Ends the handshake's hold on its snapshot (closing, or done). */
void conn_tls_hs_end(struct conn *c);
void conn_tls_send(struct conn *c, const char *p, size_t n);
void conn_tls_recv(struct conn *c, int64_t ms);
/* A closing session's close_notify, sent as it is closed. */
void conn_tls_goodbye(struct conn *c);
/* A completion of a client slot under TLS: true when it was taken. */
bool conn_tls_cqe(struct conn *c, int slot, int res);

/* ing_relay.c */
void conn_start_body(struct conn *c);
void conn_finish(struct conn *c);
void conn_on_crx(struct conn *c, int res);
void conn_on_ctx(struct conn *c, int res);
void conn_on_urx(struct conn *c, int res);
void conn_on_utx(struct conn *c, int res);

#endif
