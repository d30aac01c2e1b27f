/* Declarations shared inside echo/ and with its tests. */
#ifndef ECHO_INT_H
#define ECHO_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "echo.h"

/* ---- the HTTP/1 request parser ----
 *
 * Pure functions over (buf, len): no allocation, no I/O; the parsed
 * request points into buf, like picohttpparser's. */

#define POD_ECHO_HEAD_MAX 16384 /* request line + headers, bytes */
#define POD_ECHO_HEADERS_MAX 64
#define POD_ECHO_BODY_MAX (1024 * 1024)

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
	bool transfer_encoding;   /* any Transfer-Encoding (not supported) */
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
 * with Transfer-Encoding), -EMSGSIZE when longer than POD_ECHO_HEAD_MAX or
 * with more than POD_ECHO_HEADERS_MAX headers. */
int pod_echo_http_parse(const char *buf, size_t len, struct pod_echo_req *req);

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
