/* `k1s echo-server`: the program of every image the catalog does not know.
 *
 * One thread, one epoll loop, non-blocking sockets. Each TCP connection is
 * sniffed: if its first bytes are an HTTP/1.x request line it is served as
 * HTTP (JSON naming the pod and the request, keep-alive, bounded heads and
 * bodies), otherwise every byte is echoed back until EOF. UDP datagrams go
 * back to their sender. One line per request on stdout, for kubectl logs.
 * SIGTERM closes everything and exits 0. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "echo_int.h"

/* ---- the HTTP/1 request parser (pure) ---- */

#define ECHO_METHOD_MAX 32

/* RFC 9110 tchar. */
static bool echo_tchar(unsigned char c)
{
	if (isalnum(c))
		return c < 0x80;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The request line: 1 and *end past its line break, 0 when buf ends
 * inside a line that still matches, -1 when it cannot be one. */
static int echo_request_line(const unsigned char *b, size_t len, struct pod_echo_req *req,
                             size_t *end)
{
	static const char ver[] = "HTTP/1.";
	size_t i = 0, ms, ts, tl;
	int minor;

	while (i < len && echo_tchar(b[i]))
		if (++i > ECHO_METHOD_MAX)
			return -1;
	if (i == len)
		return 0;
	if (i == 0 || b[i] != ' ')
		return -1;
	ms = i++;
	ts = i;
	while (i < len && b[i] > 0x20 && b[i] < 0x7f)
		i++;
	if (i == len)
		return 0;
	if (i == ts || b[i] != ' ')
		return -1;
	tl = i - ts;
	i++;
	for (size_t k = 0; k < sizeof(ver) - 1; k++, i++) {
		if (i == len)
			return 0;
		if (b[i] != (unsigned char)ver[k])
			return -1;
	}
	if (i == len)
		return 0;
	if (b[i] < '0' || b[i] > '9')
		return -1;
	minor = b[i++] - '0';
	if (i == len)
		return 0;
	if (b[i] == '\r') {
		if (++i == len)
			return 0;
	}
	if (b[i] != '\n')
		return -1;
	*end = i + 1;
	if (req) {
		req->method.p = (const char *)b;
		req->method.len = ms;
		req->target.p = (const char *)b + ts;
		req->target.len = tl;
		req->minor = minor;
	}
	return 1;
}

int pod_echo_http_sniff(const char *buf, size_t len)
{
	size_t end;

	if (len > POD_ECHO_HEAD_MAX)
		len = POD_ECHO_HEAD_MAX;
	return echo_request_line((const unsigned char *)buf, len, NULL, &end);
}

static bool span_ieq(const struct pod_echo_span *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->len == n && strncasecmp(s->p, lit, n) == 0;
}

/* Splits the target into path and query. Origin form "/p?q", absolute
 * form "http://host/p?q" (path "/" if it has none), "*", or an authority
 * (CONNECT), which is all path. */
static void echo_split_target(struct pod_echo_req *req)
{
	const char *t = req->target.p, *e = t + req->target.len, *p = t, *q;

	if (req->target.len > 3 && t[0] != '/') {
		const char *s = memchr(t, ':', req->target.len);

		if (s && e - s >= 3 && s[1] == '/' && s[2] == '/') {
			p = memchr(s + 3, '/', (size_t)(e - s - 3));
			if (!p) {
				req->path.p = "/";
				req->path.len = 1;
				q = memchr(s + 3, '?', (size_t)(e - s - 3));
				req->query.p = q ? q + 1 : e;
				req->query.len = q ? (size_t)(e - q - 1) : 0;
				return;
			}
		}
	}
	q = memchr(p, '?', (size_t)(e - p));
	req->path.p = p;
	req->path.len = (size_t)((q ? q : e) - p);
	req->query.p = q ? q + 1 : e;
	req->query.len = q ? (size_t)(e - q - 1) : 0;
}

/* Framing and connection handling from the headers; -EBADMSG for
 * anything ambiguous. */
static int echo_framing(struct pod_echo_req *req)
{
	bool close = false, keep = false;
	const struct pod_echo_span *te = NULL;

	req->content_length = -1;
	for (size_t h = 0; h < req->nhdr; h++) {
		const struct pod_echo_span *n = &req->name[h], *v = &req->value[h];

		if (span_ieq(n, "content-length")) {
			long long cl = 0;

			if (v->len == 0 || v->len > 18)
				return -EBADMSG;
			for (size_t i = 0; i < v->len; i++) {
				if (v->p[i] < '0' || v->p[i] > '9')
					return -EBADMSG;
				cl = cl * 10 + (v->p[i] - '0');
			}
			if (req->content_length >= 0 && req->content_length != cl)
				return -EBADMSG;
			req->content_length = cl;
		} else if (span_ieq(n, "transfer-encoding")) {
			/* One field only, as nginx's unique header lines: two
			 * could be read as a list by a proxy in front. */
			if (te)
				return -EBADMSG;
			te = v;
			req->transfer_encoding = true;
		} else if (span_ieq(n, "expect")) {
			if (span_ieq(v, "100-continue"))
				req->expect_continue = true;
		} else if (span_ieq(n, "connection")) {
			const char *p = v->p, *e = v->p + v->len;

			while (p < e) {
				struct pod_echo_span tok;
				const char *c = memchr(p, ',', (size_t)(e - p));

				if (!c)
					c = e;
				tok.p = p;
				tok.len = (size_t)(c - p);
				while (tok.len && (*tok.p == ' ' || *tok.p == '\t')) {
					tok.p++;
					tok.len--;
				}
				while (tok.len &&
				       (tok.p[tok.len - 1] == ' ' || tok.p[tok.len - 1] == '\t'))
					tok.len--;
				if (span_ieq(&tok, "close"))
					close = true;
				else if (span_ieq(&tok, "keep-alive"))
					keep = true;
				p = c + 1;
			}
		}
	}
	/* As nginx's ngx_http_process_request_header(): HTTP/1.0 has no
	 * Transfer-Encoding (400); "chunked" alone is taken, anything else,
	 * lists included, is left to the caller to refuse (nginx: 501). */
	if (te && req->minor == 0)
		return -EBADMSG;
	req->chunked = te && span_ieq(te, "chunked");
	/* Both would let a proxy in front and this server disagree about
	 * where the body ends (RFC 9112 6.3). */
	if (req->chunked && req->content_length >= 0)
		return -EBADMSG;
	req->keep_alive = !close && (req->minor >= 1 || keep);
	return 0;
}

int pod_echo_http_parse(const char *buf, size_t len, struct pod_echo_req *req)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t lim = len < POD_ECHO_HEAD_MAX ? len : POD_ECHO_HEAD_MAX, i;
	int r;

	req->nhdr = 0;
	req->content_length = -1;
	req->transfer_encoding = req->chunked = req->keep_alive = req->expect_continue = false;
	r = echo_request_line(b, lim, req, &i);
	if (r < 0)
		return -EBADMSG;
	if (r == 0)
		goto partial;
	for (;;) {
		size_t ns, nl, vs, ve;

		if (i == lim)
			goto partial;
		if (b[i] == '\r') {
			if (i + 1 == lim)
				goto partial;
			if (b[i + 1] != '\n')
				return -EBADMSG;
			i += 2;
			break;
		}
		if (b[i] == '\n') {
			i++;
			break;
		}
		/* A line starting with white space (obs-fold) has no name:
		 * rejected, as RFC 9112 5.2 allows. */
		ns = i;
		while (i < lim && echo_tchar(b[i]))
			i++;
		if (i == lim)
			goto partial;
		if (i == ns || b[i] != ':')
			return -EBADMSG;
		nl = i - ns;
		i++;
		while (i < lim && (b[i] == ' ' || b[i] == '\t'))
			i++;
		vs = i;
		while (i < lim && (b[i] == '\t' || (b[i] >= 0x20 && b[i] != 0x7f)))
			i++;
		if (i == lim)
			goto partial;
		ve = i;
		while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t'))
			ve--;
		if (b[i] == '\r') {
			if (i + 1 == lim)
				goto partial;
			if (b[i + 1] != '\n')
				return -EBADMSG;
			i += 2;
		} else if (b[i] == '\n') {
			i++;
		} else {
			return -EBADMSG;
		}
		if (req->nhdr == POD_ECHO_HEADERS_MAX)
			return -EMSGSIZE;
		req->name[req->nhdr].p = buf + ns;
		req->name[req->nhdr].len = nl;
		req->value[req->nhdr].p = buf + vs;
		req->value[req->nhdr].len = ve - vs;
		req->nhdr++;
	}
	r = echo_framing(req);
	if (r < 0)
		return r;
	echo_split_target(req);
	return (int)i;
partial:
	return len >= POD_ECHO_HEAD_MAX ? -EMSGSIZE : -EAGAIN;
}

/* ---- the chunked body (pure) ---- */

enum {
	CK_SIZE_START, /* the first hex digit of a chunk-size */
	CK_SIZE,       /* more digits, or what ends them */
	CK_EXT,        /* chunk extensions: read past, not kept */
	CK_SIZE_LF,    /* the LF of the chunk-size line */
	CK_DATA,
	CK_DATA_CR, /* the CRLF after the data */
	CK_DATA_LF,
	CK_TRAILER_START, /* a trailer field, or the CRLF that ends the body */
	CK_TRAILER,
	CK_TRAILER_LF,
	CK_END_LF,
	CK_DONE,
	CK_FAILED,
};

void pod_echo_chunked_init(struct pod_echo_chunked *ck, unsigned long long max)
{
	memset(ck, 0, sizeof(*ck));
	ck->ck_state = CK_SIZE_START;
	ck->ck_max = max;
}

static int ck_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static ssize_t ck_fail(struct pod_echo_chunked *ck, int err)
{
	ck->ck_state = CK_FAILED;
	ck->ck_err = err;
	return err;
}

/* The chunk-size is complete: a last chunk, or data that must fit. */
static int ck_size_end(struct pod_echo_chunked *ck)
{
	if (ck->ck_size > ck->ck_max - ck->ck_total)
		return -EFBIG;
	ck->ck_left = ck->ck_size;
	ck->ck_total += ck->ck_size;
	return 0;
}

/* The grammar and the checks follow nginx's ngx_http_parse_chunked():
 * hex digits (leading zeros allowed, overflow refused), extensions after
 * ';', SP or HTAB up to CRLF, CRLF after the data, trailer lines ended by
 * CRLF, then CRLF. */
ssize_t pod_echo_chunked_feed(struct pod_echo_chunked *ck, const char *buf, size_t len)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t i = 0;
	int d;

	if (ck->ck_state == CK_FAILED)
		return ck->ck_err;
	while (i < len && ck->ck_state != CK_DONE) {
		unsigned char c = b[i];

		if (ck->ck_state == CK_DATA) {
			size_t n = len - i;

			if (n > ck->ck_left)
				n = (size_t)ck->ck_left;
			i += n;
			ck->ck_left -= n;
			if (!ck->ck_left)
				ck->ck_state = CK_DATA_CR;
			continue;
		}
		if (ck->ck_state <= CK_SIZE_LF && ++ck->ck_line > POD_ECHO_CHUNK_LINE_MAX)
			return ck_fail(ck, -EMSGSIZE);
		if (ck->ck_state >= CK_TRAILER_START && ++ck->ck_trailers > POD_ECHO_HEAD_MAX)
			return ck_fail(ck, -EMSGSIZE);
		i++;
		switch (ck->ck_state) {
		case CK_SIZE_START:
			d = ck_hex(c);
			if (d < 0)
				return ck_fail(ck, -EBADMSG);
			ck->ck_size = (unsigned long long)d;
			ck->ck_state = CK_SIZE;
			break;
		case CK_SIZE:
			d = ck_hex(c);
			if (d >= 0) {
				if (ck->ck_size > (unsigned long long)INT64_MAX / 16)
					return ck_fail(ck, -EBADMSG);
				ck->ck_size = ck->ck_size * 16 + (unsigned)d;
				break;
			}
			if (c != '\r' && c != ';' && c != ' ' && c != '\t')
				return ck_fail(ck, -EBADMSG);
			d = ck_size_end(ck);
			if (d < 0)
				return ck_fail(ck, d);
			ck->ck_state = c == '\r' ? CK_SIZE_LF : CK_EXT;
			break;
		case CK_EXT:
			if (c == '\n')
				return ck_fail(ck, -EBADMSG);
			if (c == '\r')
				ck->ck_state = CK_SIZE_LF;
			break;
		case CK_SIZE_LF:
			if (c != '\n')
				return ck_fail(ck, -EBADMSG);
			ck->ck_line = 0;
			ck->ck_state = ck->ck_size ? CK_DATA : CK_TRAILER_START;
			break;
		case CK_DATA_CR:
			if (c != '\r')
				return ck_fail(ck, -EBADMSG);
			ck->ck_state = CK_DATA_LF;
			break;
		case CK_DATA_LF:
			if (c != '\n')
				return ck_fail(ck, -EBADMSG);
			ck->ck_state = CK_SIZE_START;
			break;
		case CK_TRAILER_START:
			if (c == '\n')
				return ck_fail(ck, -EBADMSG);
			ck->ck_state = c == '\r' ? CK_END_LF : CK_TRAILER;
			break;
		case CK_TRAILER:
			if (c == '\n')
				return ck_fail(ck, -EBADMSG);
			if (c == '\r')
				ck->ck_state = CK_TRAILER_LF;
			break;
		case CK_TRAILER_LF:
			if (c != '\n')
				return ck_fail(ck, -EBADMSG);
			ck->ck_state = CK_TRAILER_START;
			break;
		case CK_END_LF:
			if (c != '\n')
				return ck_fail(ck, -EBADMSG);
			ck->ck_state = CK_DONE;
			ck->ck_done = true;
			break;
		}
	}
	return (ssize_t)i;
}

/* ---- the JSON answer (pure) ---- */

struct echo_buf {
	char *p;
	size_t len, cap;
	bool full;
};

static void eb_raw(struct echo_buf *b, const char *s, size_t n)
{
	if (b->full || b->cap - b->len <= n) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void eb_lit(struct echo_buf *b, const char *s)
{
	eb_raw(b, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t echo_utf8(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void eb_str(struct echo_buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t i = 0, run;

	eb_raw(b, "\"", 1);
	while (i < n && !b->full) {
		unsigned char c = s[i];
		char esc[8];

		if (c >= 0x80) {
			run = echo_utf8(s + i, n - i);
			if (run) {
				eb_raw(b, (const char *)s + i, run);
				i += run;
			} else {
				eb_lit(b, "\\ufffd");
				i++;
			}
			continue;
		}
		run = 0;
		while (i + run < n && s[i + run] >= 0x20 && s[i + run] < 0x80 &&
		       s[i + run] != '"' && s[i + run] != '\\')
			run++;
		if (run) {
			eb_raw(b, (const char *)s + i, run);
			i += run;
			continue;
		}
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			eb_raw(b, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			eb_raw(b, esc, 6);
		}
		i++;
	}
	eb_raw(b, "\"", 1);
}

static void eb_cstr(struct echo_buf *b, const char *s)
{
	eb_str(b, s, s ? strlen(s) : 0);
}

static void eb_field(struct echo_buf *b, const char *key, const char *val, bool first)
{
	if (!first)
		eb_raw(b, ",", 1);
	eb_cstr(b, key);
	eb_raw(b, ":", 1);
	eb_cstr(b, val);
}

int pod_echo_http_json(const struct pod_echo_req *req, const struct pod_echo_info *info, char *out,
                       size_t cap)
{
	struct echo_buf b = {.p = out, .cap = cap};
	char num[32];
	bool first = true;

	if (!cap)
		return -ENOSPC;
	eb_lit(&b, "{");
	eb_field(&b, "pod", info->pod, true);
	eb_field(&b, "namespace", info->ns, false);
	eb_field(&b, "podIP", info->ip, false);
	eb_field(&b, "node", info->node, false);
	eb_field(&b, "image", info->image, false);
	eb_field(&b, "container", info->container, false);
	snprintf(num, sizeof(num), ",\"port\":%d", info->port);
	eb_lit(&b, num);
	eb_lit(&b, ",\"request\":{\"method\":");
	eb_str(&b, req->method.p, req->method.len);
	eb_lit(&b, ",\"path\":");
	eb_str(&b, req->path.p, req->path.len);
	eb_lit(&b, ",\"query\":");
	eb_str(&b, req->query.p, req->query.len);
	eb_lit(&b, ",\"headers\":{");
	/* Repeated fields (any case) become one member, values joined with
	 * ", " as RFC 9110 5.3 allows; the first spelling of the name wins. */
	for (size_t h = 0; h < req->nhdr; h++) {
		size_t j;

		for (j = 0; j < h; j++)
			if (req->name[j].len == req->name[h].len &&
			    strncasecmp(req->name[j].p, req->name[h].p, req->name[h].len) == 0)
				break;
		if (j < h)
			continue;
		if (!first)
			eb_raw(&b, ",", 1);
		first = false;
		eb_str(&b, req->name[h].p, req->name[h].len);
		eb_raw(&b, ":", 1);
		if (b.full)
			break;
		/* Joined values are built in place: open quote, pieces, close. */
		{
			bool more = false;

			eb_raw(&b, "\"", 1);
			for (j = h; j < req->nhdr; j++) {
				size_t start;

				if (req->name[j].len != req->name[h].len ||
				    strncasecmp(req->name[j].p, req->name[h].p, req->name[h].len))
					continue;
				if (more)
					eb_raw(&b, ", ", 2);
				more = true;
				/* Reuse eb_str and drop its quotes. */
				start = b.len;
				eb_str(&b, req->value[j].p, req->value[j].len);
				if (b.full)
					break;
				memmove(b.p + start, b.p + start + 1, b.len - start - 2);
				b.len -= 2;
			}
			eb_raw(&b, "\"", 1);
		}
	}
	eb_lit(&b, "},\"remoteAddr\":");
	eb_cstr(&b, info->remote);
	snprintf(num, sizeof(num), ",\"bodyBytes\":%llu}}\n", info->body_bytes);
	eb_lit(&b, num);
	if (b.full)
		return -ENOSPC;
	out[b.len] = '\0';
	return (int)b.len;
}

/* ---- the server ---- */

#define ECHO_CONNS_MAX 512
#define ECHO_PORTS_MAX 64
#define ECHO_SCRATCH (256 * 1024)
#define ECHO_HEAD_ROOM 512   /* room before the body for the status and headers */
#define ECHO_BODY_ROOM 16384 /* input room past the longest head, for its body */
#define ECHO_DRAIN_MS 2000
#define ECHO_DRAIN_BYTES (1024 * 1024)
#define ECHO_DGRAM_MAX 65536

enum echo_kind { EK_TCP, EK_UDP, EK_SIGNAL, EK_CONN };

struct echo_ev {
	enum echo_kind kind;
};

struct echo_listener {
	struct echo_ev ev;
	int fd;
	int port;
	struct echo_listener *next;
};

enum echo_state {
	CS_SNIFF, /* nothing decided yet */
	CS_HTTP,
	CS_RAW,   /* echo everything */
	CS_DRAIN, /* answered and closing: read and drop until EOF */
};

struct echo_conn {
	struct echo_ev ev;
	struct echo_conn *prev, *next;
	int fd;
	uint32_t events;
	enum echo_state st;
	bool eof;
	bool closing; /* close once the output is out */
	int port;
	char peer[64];
	size_t head_len; /* a head waiting for its body, else 0 */
	bool chunked;    /* that body is chunked: ck follows it */
	struct pod_echo_chunked ck;
	unsigned long long body_left, body_total, bytes;
	char *out; /* what send() did not take yet */
	size_t out_len, out_off;
	uint64_t deadline; /* CS_DRAIN */
	size_t in_len;
	/* The head stays at the start while its body streams behind it. */
	char in[POD_ECHO_HEAD_MAX + ECHO_BODY_ROOM];
};

struct echo_srv {
	int ep, sfd;
	struct echo_ev sig_ev;
	struct echo_listener *listeners;
	struct echo_conn *conns;
	size_t nconns;
	struct pod_echo_info info;
	char pod_fallback[256];
	bool stop;
	struct pod_echo_req req;
	char scratch[ECHO_SCRATCH];
};

static uint64_t echo_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void echo_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void echo_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void echo_addr(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, ntohs(a->sin_port));
	} else {
		snprintf(out, len, "?");
	}
}

static void conn_free(struct echo_srv *s, struct echo_conn *c)
{
	if (c->st == CS_RAW)
		echo_log("TCP %llu bytes echoed to %s (port %d)", c->bytes, c->peer, c->port);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	close(c->fd);
	free(c->out);
	free(c);
}

/* 0, or -1 when the connection is dead. What the socket does not take
 * stays in c->out; the caller reads no more until it is gone. */
static int conn_flush(struct echo_conn *c)
{
	while (c->out && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return 0;
}

static int conn_send(struct echo_conn *c, const char *p, size_t n)
{
	char *out;

	if (!c->out) {
		while (n) {
			ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				return -1;
			}
			p += w;
			n -= (size_t)w;
		}
		if (!n)
			return 0;
	}
	/* Bounded: callers queue only while the connection reads nothing. */
	out = malloc(c->out_len - c->out_off + n);
	if (!out)
		return -1;
	if (c->out)
		memcpy(out, c->out + c->out_off, c->out_len - c->out_off);
	memcpy(out + (c->out_len - c->out_off), p, n);
	c->out_len = c->out_len - c->out_off + n;
	c->out_off = 0;
	free(c->out);
	c->out = out;
	return 0;
}

static const char *echo_reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	default:
		return "Internal Server Error";
	}
}

/* Sends status, headers and body as one write (no Nagle delay between
 * them): the body sits at s->scratch + ECHO_HEAD_ROOM, the head goes right
 * before it. */
static int echo_reply(struct echo_srv *s, struct echo_conn *c, int code, const char *type,
                      size_t body_len, bool send_body, bool keep)
{
	char head[ECHO_HEAD_ROOM];
	int n;

	n = snprintf(head, sizeof(head),
	             "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	             "Connection: %s\r\n\r\n",
	             code, echo_reason(code), type, body_len, keep ? "keep-alive" : "close");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	memcpy(s->scratch + ECHO_HEAD_ROOM - n, head, (size_t)n);
	return conn_send(c, s->scratch + ECHO_HEAD_ROOM - n,
	                 (size_t)n + (send_body ? body_len : 0));
}

static int echo_error(struct echo_srv *s, struct echo_conn *c, int code, const char *text)
{
	size_t n = strlen(text);

	echo_log("- - %d from %s (%s)", code, c->peer, echo_reason(code));
	memcpy(s->scratch + ECHO_HEAD_ROOM, text, n);
	c->closing = true;
	c->in_len = 0;
	return echo_reply(s, c, code, "text/plain; charset=utf-8", n, true, false);
}

static int echo_answer(struct echo_srv *s, struct echo_conn *c, const struct pod_echo_req *req)
{
	char *body = s->scratch + ECHO_HEAD_ROOM;
	size_t cap = sizeof(s->scratch) - ECHO_HEAD_ROOM;
	bool head_only = span_ieq(&req->method, "HEAD");
	const struct pod_echo_span *path = &req->path;
	int n, code = 200;

	if ((head_only || span_ieq(&req->method, "GET")) && path->len == 8 &&
	    memcmp(path->p, "/healthz", 8) == 0) {
		n = snprintf(body, cap, "{\"status\":\"ok\"}\n");
	} else {
		s->info.port = c->port;
		s->info.remote = c->peer;
		s->info.body_bytes = c->body_total;
		n = pod_echo_http_json(req, &s->info, body, cap);
	}
	if (n < 0) {
		code = 500;
		n = snprintf(body, cap, "{\"error\":\"answer too large\"}\n");
	}
	echo_log("%.*s %.*s %d from %s", (int)(req->method.len > 32 ? 32 : req->method.len),
	         req->method.p, (int)(req->target.len > 256 ? 256 : req->target.len), req->target.p,
	         code, c->peer);
	if (!req->keep_alive)
		c->closing = true;
	return echo_reply(s, c, code, "application/json", (size_t)n, !head_only, req->keep_alive);
}

/* One step of HTTP on c: 1 progress, 0 waiting for bytes, -1 dead. */
static int echo_http_step(struct echo_srv *s, struct echo_conn *c)
{
	struct pod_echo_req *req = &s->req;
	size_t head, avail;
	unsigned long long n;
	int r;

	if (!c->in_len)
		return 0;
	r = pod_echo_http_parse(c->in, c->in_len, req);
	if (r == -EAGAIN)
		return 0;
	if (r == -EMSGSIZE)
		return echo_error(s, c, 431, "request head too large\n") < 0 ? -1 : 1;
	if (r < 0)
		return echo_error(s, c, 400, "malformed HTTP request\n") < 0 ? -1 : 1;
	head = (size_t)r;
	if (!c->head_len) {
		bool waiting;

		/* nginx answers 501 to a coding it does not know. */
		if (req->transfer_encoding && !req->chunked)
			return echo_error(s, c, 501,
			                  "unknown Transfer-Encoding; only chunked is taken\n") < 0
			           ? -1
			           : 1;
		if (req->content_length > POD_ECHO_BODY_MAX)
			return echo_error(s, c, 413, "request body too large\n") < 0 ? -1 : 1;
		c->head_len = head;
		c->chunked = req->chunked;
		if (c->chunked)
			pod_echo_chunked_init(&c->ck, POD_ECHO_BODY_MAX);
		c->body_left = c->body_total =
		    req->content_length > 0 ? (unsigned long long)req->content_length : 0;
		/* The interim answer only while none of the body is here. */
		waiting = c->chunked ? c->in_len == head : c->body_left > c->in_len - head;
		if (req->expect_continue && req->minor >= 1 && waiting &&
		    conn_send(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
			return -1;
	}
	/* The body is counted and dropped; bytes after it (a pipelined
	 * request) move up behind the head. */
	avail = c->in_len - head;
	if (c->chunked) {
		ssize_t k = pod_echo_chunked_feed(&c->ck, c->in + head, avail);

		if (k == -EFBIG)
			return echo_error(s, c, 413, "request body too large\n") < 0 ? -1 : 1;
		if (k < 0)
			return echo_error(s, c, 400, "malformed chunked body\n") < 0 ? -1 : 1;
		n = (unsigned long long)k;
		c->body_total = c->ck.ck_total;
	} else {
		n = avail < c->body_left ? avail : c->body_left;
		c->body_left -= n;
	}
	memmove(c->in + head, c->in + head + n, avail - (size_t)n);
	c->in_len -= (size_t)n;
	if (c->chunked ? !c->ck.ck_done : c->body_left > 0)
		return 0;
	if (echo_answer(s, c, req) < 0)
		return -1;
	memmove(c->in, c->in + head, c->in_len - head);
	c->in_len -= head;
	c->head_len = 0;
	c->chunked = false;
	c->body_total = 0;
	return 1;
}

static void conn_events(struct echo_srv *s, struct echo_conn *c)
{
	struct epoll_event ev = {.data.ptr = c};
	uint32_t want = 0;

	if (c->out)
		want = EPOLLOUT;
	else if (c->st == CS_DRAIN || (!c->eof && c->in_len < sizeof(c->in)))
		want = EPOLLIN;
	if (want == c->events)
		return;
	ev.events = want;
	c->events = want;
	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Moves c on as far as its bytes allow; frees it when it is done. */
static void conn_run(struct echo_srv *s, struct echo_conn *c)
{
	int r;

	for (;;) {
		if (c->out) {
			if (conn_flush(c) < 0)
				goto dead;
			if (c->out)
				break;
		}
		if (c->st == CS_DRAIN) {
			if (c->eof)
				goto dead;
			break;
		}
		if (c->closing) {
			/* Half-close and drain, so that a client still sending
			 * gets our answer rather than a reset. */
			shutdown(c->fd, SHUT_WR);
			c->st = CS_DRAIN;
			c->in_len = 0;
			c->bytes = 0;
			c->deadline = echo_now_ms() + ECHO_DRAIN_MS;
			continue;
		}
		switch (c->st) {
		case CS_SNIFF:
			if (!c->in_len) {
				if (c->eof)
					goto dead;
				goto wait;
			}
			r = pod_echo_http_sniff(c->in, c->in_len);
			if (r == 0 && c->in_len < POD_ECHO_HEAD_MAX && !c->eof)
				goto wait;
			c->st =
			    r > 0 || (r == 0 && c->in_len >= POD_ECHO_HEAD_MAX) ? CS_HTTP : CS_RAW;
			break;
		case CS_RAW:
			if (c->in_len) {
				if (conn_send(c, c->in, c->in_len) < 0)
					goto dead;
				c->bytes += c->in_len;
				c->in_len = 0;
				break;
			}
			if (c->eof)
				goto dead;
			goto wait;
		case CS_HTTP:
			r = echo_http_step(s, c);
			if (r < 0)
				goto dead;
			if (r == 0) {
				if (c->eof)
					goto dead;
				goto wait;
			}
			break;
		case CS_DRAIN:
			break;
		}
	}
wait:
	conn_events(s, c);
	return;
dead:
	conn_free(s, c);
}

static void conn_input(struct echo_srv *s, struct echo_conn *c)
{
	ssize_t n;

	if (c->st == CS_DRAIN) {
		n = recv(c->fd, s->scratch, sizeof(s->scratch), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_free(s, c);
			return;
		}
		if (n > 0) {
			c->bytes += (unsigned long long)n;
			if (c->bytes > ECHO_DRAIN_BYTES) {
				conn_free(s, c);
				return;
			}
		}
		return;
	}
	if (!c->out && !c->eof && c->in_len < sizeof(c->in)) {
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
		} else if (n == 0) {
			c->eof = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			conn_free(s, c);
			return;
		}
	}
	conn_run(s, c);
}

static void echo_accept(struct echo_srv *s, struct echo_listener *l)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct epoll_event ev = {.events = EPOLLIN};
		struct echo_conn *c;
		int fd, one = 1;

		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (s->nconns >= ECHO_CONNS_MAX) {
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->ev.kind = EK_CONN;
		c->fd = fd;
		c->port = l->port;
		c->events = EPOLLIN;
		echo_addr(&ss, c->peer, sizeof(c->peer));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.data.ptr = c;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
	}
}

static void echo_udp(struct echo_srv *s, struct echo_listener *l)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char peer[64];
		ssize_t n;

		n = recvfrom(l->fd, s->scratch, ECHO_DGRAM_MAX, 0, (struct sockaddr *)&ss, &sl);
		if (n < 0)
			return;
		sendto(l->fd, s->scratch, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
		echo_addr(&ss, peer, sizeof(peer));
		echo_log("UDP %zd bytes echoed to %s (port %d)", n, peer, l->port);
	}
}

static int echo_listen(struct echo_srv *s, int port, bool udp, int family)
{
	struct sockaddr_storage ss = {0};
	struct epoll_event ev = {.events = EPOLLIN};
	struct echo_listener *l;
	socklen_t sl;
	int fd, one = 1, err;

	fd = socket(family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		/* The IPv4 socket has the v4 side of the port. */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_any;
		a->sin6_port = htons((uint16_t)port);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		a->sin_port = htons((uint16_t)port);
		sl = sizeof(*a);
	}
	if (!udp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || (!udp && listen(fd, 511) < 0))
		goto fail;
	l = calloc(1, sizeof(*l));
	if (!l) {
		errno = ENOMEM;
		goto fail;
	}
	l->ev.kind = udp ? EK_UDP : EK_TCP;
	l->fd = fd;
	l->port = port;
	ev.data.ptr = l;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(l);
		goto fail;
	}
	l->next = s->listeners;
	s->listeners = l;
	return 0;
fail:
	err = -errno;
	close(fd);
	return err;
}

struct echo_port {
	int port;
	bool udp;
};

/* "N", "N/tcp" or "N/udp": 0, 1 to skip (another protocol), -EINVAL. */
static int echo_parse_port(const char *s, struct echo_port *p)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (v < 1 || v > 65535)
		return -EINVAL;
	p->port = (int)v;
	p->udp = false;
	if (!*end || strcasecmp(end, "/tcp") == 0)
		return 0;
	if (strcasecmp(end, "/udp") == 0) {
		p->udp = true;
		return 0;
	}
	if (strcasecmp(end, "/sctp") == 0)
		return 1;
	return -EINVAL;
}

static void echo_usage(FILE *f)
{
	fprintf(f, "usage: k1s echo-server [--port N[/tcp|/udp]]...\n"
	           "Answers HTTP with JSON naming the pod and the request, echoes other TCP\n"
	           "streams and UDP datagrams. Without --port, listens on 8080/tcp.\n");
}

static const char *echo_env(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

static void echo_close_all(struct echo_srv *s)
{
	while (s->conns)
		conn_free(s, s->conns);
	while (s->listeners) {
		struct echo_listener *l = s->listeners;

		s->listeners = l->next;
		close(l->fd);
		free(l);
	}
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->ep >= 0)
		close(s->ep);
}

static void echo_sweep(struct echo_srv *s)
{
	uint64_t now = echo_now_ms();
	struct echo_conn *c, *next;

	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->st == CS_DRAIN && now >= c->deadline)
			conn_free(s, c);
	}
}

static int echo_loop(struct echo_srv *s)
{
	struct epoll_event evs[64];

	while (!s->stop) {
		int n = epoll_wait(s->ep, evs, 64, 1000);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "echo-server: epoll_wait: %s\n", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n && !s->stop; i++) {
			struct echo_ev *e = evs[i].data.ptr;

			switch (e->kind) {
			case EK_TCP:
				echo_accept(s, (struct echo_listener *)e);
				break;
			case EK_UDP:
				echo_udp(s, (struct echo_listener *)e);
				break;
			case EK_SIGNAL: {
				struct signalfd_siginfo si;

				if (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					echo_log("echo-server: %s, shutting down",
					         si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
					s->stop = true;
				}
				break;
			}
			case EK_CONN: {
				struct echo_conn *c = (struct echo_conn *)e;

				if (evs[i].events & EPOLLOUT)
					conn_run(s, c);
				else
					conn_input(s, c);
				break;
			}
			}
		}
		echo_sweep(s);
	}
	return 0;
}

int pod_echo_main(int argc, char **argv)
{
	struct echo_port ports[ECHO_PORTS_MAX];
	size_t nports = 0;
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t mask, old;
	struct echo_srv *s;
	char desc[1024];
	size_t dl = 0;
	int i = 1, rc;

	if (argc > 1 && strcmp(argv[1], "echo-server") == 0)
		i = 2;
	for (; i < argc; i++) {
		const char *v = NULL;
		struct echo_port p;

		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			echo_usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			v = argv[++i];
		else if (strncmp(argv[i], "--port=", 7) == 0)
			v = argv[i] + 7;
		if (!v) {
			fprintf(stderr, "echo-server: unknown argument \"%s\"\n", argv[i]);
			echo_usage(stderr);
			return 2;
		}
		rc = echo_parse_port(v, &p);
		if (rc < 0) {
			fprintf(stderr, "echo-server: bad port \"%s\"\n", v);
			return 2;
		}
		if (rc > 0) {
			fprintf(stderr, "echo-server: port %s: protocol not supported, skipped\n",
			        v);
			continue;
		}
		bool dup = false;

		for (size_t k = 0; k < nports; k++)
			dup |= ports[k].port == p.port && ports[k].udp == p.udp;
		if (dup)
			continue;
		if (nports == ECHO_PORTS_MAX) {
			fprintf(stderr, "echo-server: more than %d ports\n", ECHO_PORTS_MAX);
			return 2;
		}
		ports[nports++] = p;
	}
	if (!nports)
		ports[nports++] = (struct echo_port){.port = 8080};

	s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, "echo-server: out of memory\n");
		return 1;
	}
	s->sfd = -1;
	s->sig_ev.kind = EK_SIGNAL;
	s->info.pod = getenv("POD_NAME");
	if (!s->info.pod || !*s->info.pod) {
		/* The runtime names the pod's UTS namespace after the pod. */
		if (gethostname(s->pod_fallback, sizeof(s->pod_fallback) - 1) < 0)
			s->pod_fallback[0] = '\0';
		s->info.pod = s->pod_fallback;
	}
	s->info.ns = echo_env("POD_NAMESPACE");
	s->info.ip = echo_env("POD_IP");
	s->info.node = echo_env("NODE_NAME");
	s->info.image = echo_env("POD_IMAGE");
	s->info.container = echo_env("CONTAINER_NAME");
	setvbuf(stdout, NULL, _IOLBF, 0);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, &old);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	ev.data.ptr = &s->sig_ev;
	if (s->ep < 0 || s->sfd < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sfd, &ev) < 0) {
		fprintf(stderr, "echo-server: %s\n", strerror(errno));
		rc = 1;
		goto out;
	}
	for (size_t k = 0; k < nports; k++) {
		int err = echo_listen(s, ports[k].port, ports[k].udp, AF_INET);

		if (err < 0) {
			fprintf(stderr, "echo-server: listen on %d/%s: %s\n", ports[k].port,
			        ports[k].udp ? "udp" : "tcp", strerror(-err));
			rc = 1;
			goto out;
		}
		/* IPv6 when the pod has it; without it IPv4 is enough. */
		(void)echo_listen(s, ports[k].port, ports[k].udp, AF_INET6);
		rc = snprintf(desc + dl, sizeof(desc) - dl, "%s%d/%s", k ? ", " : "", ports[k].port,
		              ports[k].udp ? "udp" : "tcp");
		if (rc > 0 && (size_t)rc < sizeof(desc) - dl)
			dl += (size_t)rc;
	}
	desc[dl] = '\0';
	echo_log("echo-server: pod %s%s%s listening on %s", s->info.ns[0] ? s->info.ns : "",
	         s->info.ns[0] ? "/" : "", s->info.pod, desc);
	rc = echo_loop(s);
out:
	echo_close_all(s);
	free(s);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
