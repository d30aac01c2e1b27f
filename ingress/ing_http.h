/* HTTP/1.1 as the ingress speaks it: request and response heads, chunked
 * bodies, the head sent upstream, the ingress's own answers and the access
 * log line. Pure functions over byte buffers: the io_uring loops hand them
 * whatever their buffers hold and act on the result.
 *
 * Written for this module rather than taken from a package: Debian's HTTP
 * parsers either own the socket (libmicrohttpd, libevent) or call back per
 * header into state of their own (llhttp is not packaged for C users;
 * http-parser is deprecated and accepts what request smuggling needs), while
 * the loops need a parser that reads a head in place, in one buffer, and
 * says exactly where it ends. */
#ifndef ING_HTTP_H
#define ING_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ING_HDR_MAX 100		/* headers in one head */

/* A slice of a buffer, not NUL-terminated. */
struct ing_str {
	const char *p;
	size_t n;
};

struct ing_hdr {
	struct ing_str name, value;	/* value without surrounding blanks */
};

struct ing_limits {
	size_t head_max;	/* bytes of a head, CRLFCRLF included; held
				 * below INT_MAX */
	unsigned hdr_max;	/* headers; at most ING_HDR_MAX */
};

/* How a body is delimited. */
enum ing_framing {
	ING_BODY_NONE,
	ING_BODY_LENGTH,	/* Content-Length */
	ING_BODY_CHUNKED,	/* Transfer-Encoding: chunked */
	ING_BODY_EOF,		/* a response that ends when the upstream closes */
};

struct ing_req {
	struct ing_str method, target;	/* as sent */
	struct ing_str path, query;	/* target split at '?', query without it;
					 * an absolute target's path ("/" when it
					 * has none) */
	struct ing_str host;		/* Host (or an absolute target's), port and
					 * a trailing dot stripped, case as sent;
					 * empty when absent */
	int version;			/* 10 or 11 */
	enum ing_framing body;
	uint64_t length;		/* for ING_BODY_LENGTH */
	bool keep_alive;		/* per version and Connection */
	bool upgrade;			/* Connection: upgrade with an Upgrade header */
	bool expect_continue;		/* Expect: 100-continue */
	unsigned nhdr;
	struct ing_hdr hdr[ING_HDR_MAX];
	size_t head_len;
};

struct ing_resp {
	int status;
	int version;
	struct ing_str reason;
	enum ing_framing body;
	uint64_t length;
	bool keep_alive;		/* the upstream keeps the connection */
	unsigned nhdr;
	struct ing_hdr hdr[ING_HDR_MAX];
	size_t head_len;
};

/* Parses a request head at the start of buf. Returns the head's length
 * (> 0) when it is complete, 0 when more bytes are needed (and the limits
 * still allow them), or a negative HTTP status for the client: -400 for
 * what the grammar or the anti-smuggling rules refuse (Content-Length with
 * Transfer-Encoding, two differing Content-Lengths, obs-fold, bare LF, a
 * NUL or control character, a missing Host in HTTP/1.1), -414 for a
 * request line over the head limit, -431 for too many or too large
 * headers, -501 for a Transfer-Encoding other than chunked, -505 for a
 * version other than HTTP/1.0 and 1.1, and -405 for CONNECT (as nginx). */
int ing_http_req_parse(const char *buf, size_t len, const struct ing_limits *lim,
		       struct ing_req *rq);

/* Parses a response head to request rq (a HEAD, a 1xx, 204 or 304 has no
 * body). Same returns as ing_http_req_parse(), with -502 for anything the
 * upstream got wrong. */
int ing_http_resp_parse(const char *buf, size_t len, const struct ing_limits *lim,
			const struct ing_req *rq, struct ing_resp *rs);

/* Follows a chunked body as it streams through unchanged. */
struct ing_chunked {
	int state;
	uint64_t left;		/* of the current chunk's data */
	unsigned digits;
	unsigned extra;		/* bytes of extensions and trailers so far */
	uint64_t data;		/* bytes of chunk data so far (the body's decoded size) */
	bool done;		/* the last chunk and its trailers have passed */
};
void ing_chunked_init(struct ing_chunked *c);
/* Feeds the next len bytes of the body: returns how many belong to it (len,
 * or fewer when the body ends within buf; c->done is then set), or -1 when
 * the chunk syntax is invalid (a size that is not hex or overflows, a
 * missing CRLF, a bare LF, more than ING_CHUNK_EXTRA_MAX bytes of chunk
 * extensions or trailers). Extensions and trailers pass through unread. */
#define ING_CHUNK_EXTRA_MAX 4096
ssize_t ing_chunked_feed(struct ing_chunked *c, const char *buf, size_t len);

/* What the ingress adds to a request it forwards, as ingress-nginx does. */
struct ing_fwd {
	struct ing_str target;	/* the path and query to send (rewritten) */
	struct ing_str host;	/* the Host to send (upstream-vhost, else the client's) */
	const char *client_ip;	/* the connection's peer */
	const char *proto;	/* "http" or "https" */
	unsigned port;		/* the port the client reached (443 is sent for https) */
	const char *request_id;	/* 32 hex digits, used when the client sent
				 * no X-Request-ID of its own */
	bool keep_alive;	/* ask the upstream to keep the connection */
	bool forwarded_for_peer;/* X-Forwarded-For is client_ip alone, as with
				 * ingress-nginx's use-forwarded-headers off */
};
/* Writes the head to send upstream, in the order nginx.tmpl of
 * ingress-nginx sets it: the request line with fwd->target in HTTP/1.1,
 * Host, Upgrade and Connection: upgrade for a WebSocket upgrade (else
 * Connection: close when !keep_alive, nothing when kept), X-Request-ID,
 * X-Real-IP, X-Forwarded-For (the client's list with client_ip appended),
 * X-Forwarded-Host (the client's Host), X-Forwarded-Port,
 * X-Forwarded-Proto, X-Forwarded-Scheme, X-Scheme and
 * X-Original-Forwarded-For (the client's X-Forwarded-For, when sent); then
 * the client's headers without the hop-by-hop ones, without those set
 * above, without Expect (the ingress answers 100-continue itself), Proxy
 * (httpoxy) and names with an underscore (nginx's underscores_in_headers
 * off). The length, or -1 when it does not fit in cap. */
ssize_t ing_http_upstream_head(const struct ing_req *rq, const struct ing_fwd *fwd, char *out,
			       size_t cap);

/* Writes the head to send the client for upstream response rs: its status
 * line and headers without the hop-by-hop ones, and Connection per
 * keep_alive (the 101 of an upgrade keeps Connection and Upgrade). The
 * length, or -1 when it does not fit. */
ssize_t ing_http_client_head(const struct ing_resp *rs, bool keep_alive, char *out, size_t cap);

/* Writes a whole answer of the ingress itself: the status page that
 * ingress-nginx's nginx serves for it (404 from the default backend, 413,
 * 400, 403, 502, 503, 504...), with Location for a redirect, without a
 * body for a HEAD. 431 is answered as nginx answers a head too large: 400
 * with its "Request Header Or Cookie Too Large" page. The answers to a bad
 * request (400, 413, 414, 431, 500, 501, 505) close the connection
 * whatever keep_alive says, as nginx does. The length, or -1 when it does
 * not fit. */
ssize_t ing_http_answer(int status, const char *location, bool keep_alive, bool head,
			char *out, size_t cap);

/* The access log line, in ingress-nginx's default log-format-upstream:
 * $remote_addr - $remote_user [$time_local] "$request" $status
 * $body_bytes_sent "$http_referer" "$http_user_agent" $request_length
 * $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name]
 * $upstream_addr $upstream_response_length $upstream_response_time
 * $upstream_status $req_id */
struct ing_log {
	const struct ing_req *rq;	/* NULL when no head was read */
	const char *client_ip;
	int64_t start_ms;		/* wall clock (ms since the epoch) at the request */
	int status;
	uint64_t body_bytes;		/* response body sent to the client */
	uint64_t request_length;	/* request head and body read */
	int64_t request_ms;
	const char *upstream_name;	/* "" when none */
	const char *upstream_addr;	/* "" when none: logged as - */
	uint64_t upstream_length;
	int64_t upstream_ms;		/* -1 when no upstream answered */
	int upstream_status;		/* 0 when none */
	const char *request_id;
};
/* The line with its newline; the length (truncated to cap - 1). */
size_t ing_http_log_line(const struct ing_log *l, char *out, size_t cap);

/* Whether s is lit, ignoring ASCII case. */
bool ing_str_ieq(struct ing_str s, const char *lit);
/* The value of rq's first header called name (any case); {NULL, 0} when
 * absent. */
struct ing_str ing_http_req_header(const struct ing_req *rq, const char *name);

#endif
