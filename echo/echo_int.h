/* Declarations shared inside echo/ and with its tests. */
#ifndef ECHO_INT_H
#define ECHO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "echo.h"

/* ---- the HTTP/1 request parser ----
 *
 * Pure functions over (buf, len): no allocation, no I/O; the parsed
 * request points into buf, like picohttpparser's. */

#define POD_ECHO_HEAD_MAX 16384 /* request line + headers, bytes */
#define POD_ECHO_HEADERS_MAX 64
/* Bodies are counted and dropped, never held, so this bounds only how
 * long one request may keep a connection busy; far above what benchmarks
 * and tests send. Content-Length and chunked alike. */
#define POD_ECHO_BODY_MAX (1024LL * 1024 * 1024)
#define POD_ECHO_CHUNK_LINE_MAX 4096 /* a chunk-size line, extensions included */

struct pod_echo_span {
	const char *p;
	size_t len;
};

struct pod_echo_req {
	struct pod_echo_span method, target;
	struct pod_echo_span path, query; /* from target; query without '?' */
	int minor;                        /* HTTP/1.minor */
	size_t nhdr;
	struct pod_echo_span name[POD_ECHO_HEADERS_MAX], value[POD_ECHO_HEADERS_MAX];
	long long content_length; /* -1 when absent */
	bool transfer_encoding;   /* any Transfer-Encoding */
	bool chunked;             /* it is exactly "chunked": the one we take */
	bool keep_alive;          /* by version and Connection */
	bool expect_continue;     /* Expect: 100-continue */
};

/* Whether buf starts like an HTTP/1.x request line (METHOD SP target SP
 * HTTP/1.x CRLF): 1 it does (the line is complete), 0 it might (need more
 * bytes), -1 it does not. */
int pod_echo_http_sniff(const char *buf, size_t len);
/* Parses a request head (at most POD_ECHO_HEAD_MAX bytes of buf are
 * looked at). Returns the head's length (> 0, the blank line included),
 * -EAGAIN when incomplete, -EBADMSG when malformed or ambiguous (bad
 * tokens, bare CR, obs-fold, conflicting Content-Length, Content-Length
 * with chunked, Transfer-Encoding twice or in HTTP/1.0), -EMSGSIZE when
 * longer than POD_ECHO_HEAD_MAX or with more than POD_ECHO_HEADERS_MAX
 * headers. A Transfer-Encoding other than chunked parses (transfer_encoding
 * set, chunked not): the caller refuses it. */
int pod_echo_http_parse(const char *buf, size_t len, struct pod_echo_req *req);

/* A chunked request body (RFC 9112 7.1) followed as it streams: sizes
 * and framing are checked, data bytes counted and dropped. Unlike the head
 * parser, line ends must be CRLF, as in nginx's ngx_http_parse_chunked()
 * and the ingress in front: a bare LF there is how smuggled requests hide. */
struct pod_echo_chunked {
	int ck_state;
	int ck_err;                  /* the error, once one is found */
	unsigned long long ck_left;  /* data of the current chunk still to come */
	unsigned long long ck_size;  /* the chunk-size being read */
	unsigned long long ck_total; /* data bytes so far */
	unsigned long long ck_max;   /* data bytes allowed */
	size_t ck_line;              /* bytes of the current chunk-size line */
	size_t ck_trailers;          /* bytes of the trailer section */
	bool ck_done;                /* the last chunk and trailers have passed */
};

void pod_echo_chunked_init(struct pod_echo_chunked *ck, unsigned long long max);
/* Feeds the next len bytes of the body. Returns how many belong to it: len,
 * or fewer when the body ends inside buf (ck_done is then set; the rest is
 * the next request). -EBADMSG for framing RFC 9112 refuses (a size that is
 * not hex or overflows, a missing CRLF, a bare CR or LF), -EMSGSIZE for a
 * chunk-size line over POD_ECHO_CHUNK_LINE_MAX or trailers over
 * POD_ECHO_HEAD_MAX, -EFBIG when the data would pass max. Once done it
 * takes no more (0); once failed it gives the same error again. */
ssize_t pod_echo_chunked_feed(struct pod_echo_chunked *ck, const char *buf, size_t len);

/* What the echo app's JSON answer names besides the request. NULL strings
 * are written as "". */
struct pod_echo_info {
	const char *pod, *ns, *ip, *node, *image, *container;
	int port;           /* local port */
	const char *remote; /* "ip:port" */
	unsigned long long body_bytes;
};

/* Writes the JSON answer to req (valid UTF-8 JSON whatever the bytes of
 * the request, with a trailing newline) into out, NUL-terminated. Its
 * length, or -ENOSPC. */
int pod_echo_http_json(const struct pod_echo_req *req, const struct pod_echo_info *info, char *out,
                       size_t cap);

#endif
