/* HTTP/1.1 heads and chunked bodies as the ingress reads them: requests
 * from clients, responses from upstreams. The grammar is RFC 9112's, read
 * strictly where a lenient reading lets two parsers disagree on where a
 * message ends (request smuggling); the answers follow nginx's
 * ngx_http_parse.c and ngx_http_request.c where it and the RFC differ. */
#include <limits.h>
#include <string.h>

#include "ing_http.h"

/* tchar of RFC 9110 section 5.6.2. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* field-vchar, SP, HTAB and obs-text (RFC 9110 section 5.5). */
static bool is_value_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool ing_str_ieq(struct ing_str s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lower(lit[i]))
			return false;
	return true;
}

static struct ing_str hdr_get(const struct ing_hdr *hdr, unsigned nhdr, const char *name)
{
	for (unsigned i = 0; i < nhdr; i++)
		if (ing_str_ieq(hdr[i].name, name))
			return hdr[i].value;
	return (struct ing_str){NULL, 0};
}

struct ing_str ing_http_req_header(const struct ing_req *rq, const char *name)
{
	return hdr_get(rq->hdr, rq->nhdr, name);
}

/* Calls fn on each element of a comma-separated list (RFC 9110 section
 * 5.6.1), blanks trimmed, empty elements skipped. */
static void list_each(struct ing_str v, void (*fn)(struct ing_str el, void *arg), void *arg)
{
	size_t i = 0;

	while (i < v.n) {
		size_t b = i, e;

		while (i < v.n && v.p[i] != ',')
			i++;
		e = i++;
		while (b < e && (v.p[b] == ' ' || v.p[b] == '\t'))
			b++;
		while (e > b && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
			e--;
		if (e > b)
			fn((struct ing_str){v.p + b, e - b}, arg);
	}
}

struct conn_opts {
	bool close, keep_alive, upgrade;
};

static void conn_opt(struct ing_str el, void *arg)
{
	struct conn_opts *o = arg;

	if (ing_str_ieq(el, "close"))
		o->close = true;
	else if (ing_str_ieq(el, "keep-alive"))
		o->keep_alive = true;
	else if (ing_str_ieq(el, "upgrade"))
		o->upgrade = true;
}

struct te_list {
	unsigned n;
	bool chunked_last, chunked_before_last;
};

static void te_el(struct ing_str el, void *arg)
{
	struct te_list *t = arg;

	if (t->chunked_last)
		t->chunked_before_last = true;
	t->chunked_last = ing_str_ieq(el, "chunked");
	t->n++;
}

/* Content-Length = 1*DIGIT (RFC 9110 section 8.6): no sign, no blank
 * inside, no list, nothing that overflows. */
static bool parse_length(struct ing_str v, uint64_t *out)
{
	uint64_t n = 0;

	if (!v.n)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		unsigned d = (unsigned char)v.p[i] - '0';

		if (d > 9 || n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*out = n;
	return true;
}

/* The bytes a head may take: head_max, held below INT_MAX so that every
 * length fits the parsers' int. */
static size_t head_max(const struct ing_limits *lim)
{
	return lim->head_max < INT_MAX ? lim->head_max : INT_MAX;
}

/* Where more bytes would go past the limit, the head is too large;
 * otherwise the parser waits for them. */
static int need_more(size_t len, const struct ing_limits *lim, int too_large)
{
	return len >= head_max(lim) ? too_large : 0;
}

/* Reads the header fields that start at off, up to and with the empty
 * line (RFC 9112 section 5). A field name is a token followed at once by
 * ':' (no blank before it: section 5.1), the value any field-vchar, blank
 * or obs-text; a line that starts with a blank is obs-fold, refused as
 * section 5.2 allows; every line ends in CRLF, a bare CR or LF is refused
 * (section 2.2). Returns the head's length, 0 for more, or bad / big. */
static int parse_fields(const char *buf, size_t len, size_t off, const struct ing_limits *lim,
			struct ing_hdr *hdr, unsigned *nhdr, int bad, int big)
{
	size_t n = len < head_max(lim) ? len : head_max(lim), pos = off;
	unsigned max = lim->hdr_max < ING_HDR_MAX ? lim->hdr_max : ING_HDR_MAX;

	*nhdr = 0;
	for (;;) {
		size_t name, colon, vb, ve;

		if (pos >= n)
			return need_more(len, lim, big);
		if (buf[pos] == '\r') {
			if (pos + 1 >= n)
				return need_more(len, lim, big);
			return buf[pos + 1] == '\n' ? (int)(pos + 2) : bad;
		}
		if (!is_tchar((unsigned char)buf[pos]))
			return bad;	/* obs-fold, bare LF, a control */
		if (*nhdr >= max)
			return big;
		name = pos;
		while (pos < n && is_tchar((unsigned char)buf[pos]))
			pos++;
		if (pos >= n)
			return need_more(len, lim, big);
		if (buf[pos] != ':')
			return bad;
		colon = pos++;
		while (pos < n && (buf[pos] == ' ' || buf[pos] == '\t'))
			pos++;
		vb = pos;
		while (pos < n && is_value_char((unsigned char)buf[pos]))
			pos++;
		if (pos >= n)
			return need_more(len, lim, big);
		if (buf[pos] != '\r')
			return bad;	/* NUL, a control, a bare LF */
		if (pos + 1 >= n)
			return need_more(len, lim, big);
		if (buf[pos + 1] != '\n')
			return bad;
		ve = pos;
		while (ve > vb && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
			ve--;
		hdr[*nhdr].name = (struct ing_str){buf + name, colon - name};
		hdr[*nhdr].value = (struct ing_str){buf + vb, ve - vb};
		(*nhdr)++;
		pos += 2;
	}
}

#define VERSION_MORE (-2)

/* Matches "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3) at buf[pos]:
 * the version as 10 * major + minor, VERSION_MORE when more bytes are
 * needed, -1 when it is no version at all. */
static int parse_version(const char *buf, size_t n, size_t pos)
{
	static const char pat[] = "HTTP/0.0";

	for (size_t i = 0; i < 8; i++) {
		char c;

		if (pos + i >= n)
			return VERSION_MORE;
		c = buf[pos + i];
		if (pat[i] == '0' ? c < '0' || c > '9' : c != pat[i])
			return -1;
	}
	return (buf[pos + 5] - '0') * 10 + (buf[pos + 7] - '0');
}

static const char slash[] = "/";

/* Takes a host and optional port (RFC 3986's authority without
 * userinfo) as nginx's ngx_http_validate_host() does: the port goes, and
 * a trailing dot; empty, "..", '/', '\\' and blanks are refused. */
static bool clean_host(struct ing_str in, struct ing_str *out)
{
	size_t end = in.n, i;
	int dot = -2;

	if (in.n && in.p[0] == '[') {
		for (end = 1; end < in.n && in.p[end] != ']'; end++)
			if (!((in.p[end] >= '0' && in.p[end] <= '9') ||
			      (lower(in.p[end]) >= 'a' && lower(in.p[end]) <= 'f') ||
			      in.p[end] == ':' || in.p[end] == '.'))
				return false;
		if (end == in.n)
			return false;
		end++;
	} else {
		for (end = 0; end < in.n && in.p[end] != ':'; end++) {
			char c = lower(in.p[end]);

			if (c == '.') {
				if (dot == (int)end - 1)
					return false;
				dot = (int)end;
			} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
				     c == '_')) {
				return false;
			}
		}
	}
	if (end < in.n) {
		if (in.p[end] != ':')
			return false;
		for (i = end + 1; i < in.n; i++)
			if (in.p[i] < '0' || in.p[i] > '9')
				return false;
	}
	if (in.n && in.p[0] != '[' && end && in.p[end - 1] == '.')
		end--;
	if (!end)
		return false;
	*out = (struct ing_str){in.p, end};
	return true;
}

/* The request-target's forms (RFC 9112 section 3.2): origin-form,
 * absolute-form (whose host wins over Host: section 3.2.2) and, for
 * OPTIONS, asterisk-form. CONNECT's authority-form is not proxied. */
static int parse_target(struct ing_req *rq)
{
	struct ing_str t = rq->target;
	size_t i = 0, q;

	if (t.p[0] == '*') {
		if (t.n != 1 || !ing_str_ieq(rq->method, "OPTIONS"))
			return -400;
		rq->path = t;
		return 0;
	}
	if (t.p[0] != '/') {
		size_t a;

		if (t.n >= 7 && ing_str_ieq((struct ing_str){t.p, 7}, "http://"))
			i = 7;
		else if (t.n >= 8 && ing_str_ieq((struct ing_str){t.p, 8}, "https://"))
			i = 8;
		else
			return -400;
		for (a = i; i < t.n && t.p[i] != '/' && t.p[i] != '?'; i++)
			if (t.p[i] == '@')
				return -400;	/* no userinfo */
		if (!clean_host((struct ing_str){t.p + a, i - a}, &rq->host))
			return -400;
		t = (struct ing_str){t.p + i, t.n - i};
	}
	for (q = 0; q < t.n && t.p[q] != '?'; q++)
		;
	rq->path = (struct ing_str){t.p, q};
	if (q < t.n)
		rq->query = (struct ing_str){t.p + q + 1, t.n - q - 1};
	if (!rq->path.n || rq->path.p[0] != '/') {
		if (rq->path.n)
			return -400;
		rq->path = (struct ing_str){slash, 1};
	}
	return 0;
}

/* The request line: method SP request-target SP HTTP-version CRLF, one SP
 * each (RFC 9112 section 3), after any empty lines (section 2.2). The
 * offset past it, 0 for more, or a negative status. */
static int parse_request_line(const char *buf, size_t len, const struct ing_limits *lim,
			      struct ing_req *rq)
{
	size_t n = len < head_max(lim) ? len : head_max(lim), pos = 0, b;
	int v;

	while (pos < n && buf[pos] == '\r') {
		if (pos + 1 >= n)
			return need_more(len, lim, -414);
		if (buf[pos + 1] != '\n')
			return -400;
		pos += 2;
	}
	for (b = pos; pos < n && is_tchar((unsigned char)buf[pos]); pos++)
		;
	if (pos >= n)
		return need_more(len, lim, -414);
	if (buf[pos] != ' ' || pos == b)
		return -400;
	rq->method = (struct ing_str){buf + b, pos - b};
	/* Any visible byte, obs-text too, as nginx takes it. */
	for (b = ++pos; pos < n && (unsigned char)buf[pos] > 0x20 && buf[pos] != 0x7f; pos++)
		;
	if (pos >= n)
		return need_more(len, lim, -414);
	if (buf[pos] != ' ' || pos == b)
		return -400;
	rq->target = (struct ing_str){buf + b, pos - b};
	v = parse_version(buf, n, ++pos);
	if (v == -1)
		return -400;
	if (v == VERSION_MORE || pos + 10 > n)
		return need_more(len, lim, -414);
	if (buf[pos + 8] != '\r' || buf[pos + 9] != '\n')
		return -400;
	if (v != 10 && v != 11)
		return -505;
	rq->version = v;
	return (int)(pos + 10);
}

int ing_http_req_parse(const char *buf, size_t len, const struct ing_limits *lim,
		       struct ing_req *rq)
{
	struct conn_opts co = {0};
	struct te_list te = {0};
	unsigned hosts = 0, tes = 0;
	bool have_length = false;
	int line, head, r;

	memset(rq, 0, offsetof(struct ing_req, hdr));
	rq->head_len = 0;
	line = parse_request_line(buf, len, lim, rq);
	if (line <= 0)
		return line;
	head = parse_fields(buf, len, (size_t)line, lim, rq->hdr, &rq->nhdr, -400, -431);
	if (head <= 0)
		return head;

	for (unsigned i = 0; i < rq->nhdr; i++) {
		struct ing_hdr *h = &rq->hdr[i];
		uint64_t n;

		if (ing_str_ieq(h->name, "Host")) {
			/* One Host only (RFC 9112 section 3.2). */
			if (hosts++ || !clean_host(h->value, &rq->host))
				return -400;
		} else if (ing_str_ieq(h->name, "Content-Length")) {
			/* Repeats of one value are one length (RFC 9112
			 * section 6.3); differing ones are refused. */
			if (!parse_length(h->value, &n) || (have_length && n != rq->length))
				return -400;
			have_length = true;
			rq->length = n;
		} else if (ing_str_ieq(h->name, "Transfer-Encoding")) {
			tes++;
			list_each(h->value, te_el, &te);
		} else if (ing_str_ieq(h->name, "Connection")) {
			list_each(h->value, conn_opt, &co);
		} else if (ing_str_ieq(h->name, "Expect")) {
			/* Ignored in HTTP/1.0 (RFC 9110 section 10.1.1). */
			rq->expect_continue =
			    rq->version == 11 && ing_str_ieq(h->value, "100-continue");
		}
	}
	if (rq->version == 11 && !hosts)
		return -400;	/* RFC 9112 section 3.2 */
	if (ing_str_ieq(rq->method, "CONNECT"))
		return -405;	/* nginx refuses CONNECT with 405 */
	r = parse_target(rq);
	if (r < 0)
		return r;

	if (tes) {
		/* nginx (ngx_http_process_request_header): Transfer-Encoding
		 * in HTTP/1.0 or with Content-Length is 400, one that is not
		 * chunked 501; RFC 9112 section 6.3 makes chunked before
		 * another coding a 400. */
		if (rq->version == 10 || have_length || tes > 1 || te.chunked_before_last)
			return -400;
		if (te.n != 1 || !te.chunked_last)
			return -501;
		rq->body = ING_BODY_CHUNKED;
	} else if (have_length && rq->length) {
		rq->body = ING_BODY_LENGTH;
	}
	if (!have_length)
		rq->length = 0;
	rq->keep_alive = rq->version == 11 ? !co.close : co.keep_alive && !co.close;
	/* Upgrade is HTTP/1.1's (RFC 9110 section 7.8). */
	rq->upgrade = rq->version == 11 && co.upgrade && hdr_get(rq->hdr, rq->nhdr, "Upgrade").n;
	rq->head_len = (size_t)head;
	return head;
}

static bool no_body(int status, const struct ing_req *rq)
{
	return (rq && ing_str_ieq(rq->method, "HEAD")) || status / 100 == 1 || status == 204 ||
	       status == 304;
}

int ing_http_resp_parse(const char *buf, size_t len, const struct ing_limits *lim,
			const struct ing_req *rq, struct ing_resp *rs)
{
	size_t n = len < head_max(lim) ? len : head_max(lim), pos;
	struct conn_opts co = {0};
	struct te_list te = {0};
	unsigned tes = 0;
	bool have_length = false;
	int head;

	memset(rs, 0, offsetof(struct ing_resp, hdr));
	rs->head_len = 0;
	/* status-line = HTTP-version SP status-code SP [ reason-phrase ]
	 * (RFC 9112 section 4); a missing SP before an empty reason is
	 * taken, as nginx's ngx_http_parse_status_line() does. */
	rs->version = parse_version(buf, n, 0);
	if (rs->version == -1)
		return -502;
	if (rs->version == VERSION_MORE || n < 13)
		return need_more(len, lim, -502);
	if (rs->version != 10 && rs->version != 11)
		return -502;
	if (buf[8] != ' ')
		return -502;
	for (pos = 9; pos < 12; pos++) {
		if (buf[pos] < '0' || buf[pos] > '9')
			return -502;
		rs->status = rs->status * 10 + buf[pos] - '0';
	}
	if (rs->status < 100 || (buf[pos] != ' ' && buf[pos] != '\r'))
		return -502;
	if (buf[pos] == ' ')
		pos++;
	rs->reason.p = buf + pos;
	while (pos < n && is_value_char((unsigned char)buf[pos]))
		pos++;
	if (pos + 1 >= n)
		return need_more(len, lim, -502);
	if (buf[pos] != '\r' || buf[pos + 1] != '\n')
		return -502;
	rs->reason.n = (size_t)(buf + pos - rs->reason.p);

	head = parse_fields(buf, len, pos + 2, lim, rs->hdr, &rs->nhdr, -502, -502);
	if (head <= 0)
		return head;
	for (unsigned i = 0; i < rs->nhdr; i++) {
		struct ing_hdr *h = &rs->hdr[i];
		uint64_t v;

		if (ing_str_ieq(h->name, "Content-Length")) {
			if (!parse_length(h->value, &v) || (have_length && v != rs->length))
				return -502;
			have_length = true;
			rs->length = v;
		} else if (ing_str_ieq(h->name, "Transfer-Encoding")) {
			tes++;
			list_each(h->value, te_el, &te);
		} else if (ing_str_ieq(h->name, "Connection")) {
			list_each(h->value, conn_opt, &co);
		}
	}
	/* nginx's upstream module refuses both framings at once, and any
	 * coding but chunked alone (ngx_http_proxy_process_header). */
	if (tes && (have_length || tes > 1 || te.n != 1 || !te.chunked_last))
		return -502;

	if (no_body(rs->status, rq))
		rs->body = ING_BODY_NONE;
	else if (tes)
		rs->body = ING_BODY_CHUNKED;
	else if (have_length)
		rs->body = rs->length ? ING_BODY_LENGTH : ING_BODY_NONE;
	else
		rs->body = ING_BODY_EOF;	/* RFC 9112 section 6.3, rule 8 */
	rs->keep_alive = rs->version == 11 ? !co.close : co.keep_alive && !co.close;
	if (rs->body == ING_BODY_EOF || rs->status == 101)
		rs->keep_alive = false;
	rs->head_len = (size_t)head;
	return head;
}

/* The states of a chunked body (RFC 9112 section 7.1). */
enum {
	CH_SIZE,	/* hex digits of chunk-size */
	CH_SIZE_BWS,	/* blanks before chunk-ext's ';' */
	CH_EXT,		/* chunk-ext, up to CR */
	CH_SIZE_LF,	/* the LF after the size line's CR */
	CH_DATA,
	CH_DATA_CR,	/* the CRLF after chunk-data */
	CH_DATA_LF,
	CH_TRAILER,	/* the start of a trailer line, or of the last CRLF */
	CH_TRAILER_LINE,
	CH_TRAILER_LF,
	CH_END_LF,	/* the LF of the body's last CRLF */
};

void ing_chunked_init(struct ing_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = CH_SIZE;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

ssize_t ing_chunked_feed(struct ing_chunked *c, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && !c->done) {
		char ch = buf[i];

		switch (c->state) {
		case CH_SIZE:
			if (hex(ch) >= 0) {
				/* 15 digits at most: a size below 2^60,
				 * as nginx caps it below off_t's range. */
				if (++c->digits > 15)
					return -1;
				c->left = c->left * 16 + (uint64_t)hex(ch);
				i++;
				break;
			}
			if (!c->digits)
				return -1;
			c->state = CH_SIZE_BWS;
			break;
		case CH_SIZE_BWS:
			/* Only blanks, then ';' or CR: "5 6" is no size. */
			if (ch == ';')
				c->state = CH_EXT;
			else if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if ((ch != ' ' && ch != '\t') || ++c->extra > ING_CHUNK_EXTRA_MAX)
				return -1;
			i++;
			break;
		case CH_EXT:
			if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if (!is_value_char((unsigned char)ch) ||
				 ++c->extra > ING_CHUNK_EXTRA_MAX)
				return -1;
			i++;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				return -1;
			i++;
			c->digits = 0;
			c->state = c->left ? CH_DATA : CH_TRAILER;
			break;
		case CH_DATA: {
			size_t take = len - i;

			if (take > c->left)
				take = (size_t)c->left;
			c->left -= take;
			c->data += take;
			i += take;
			if (!c->left)
				c->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (ch != '\r')
				return -1;
			c->state = CH_DATA_LF;
			i++;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				return -1;
			c->state = CH_SIZE;
			i++;
			break;
		case CH_TRAILER:
			c->state = ch == '\r' ? CH_END_LF : CH_TRAILER_LINE;
			if (ch != '\r' && !is_tchar((unsigned char)ch))
				return -1;	/* obs-fold, a bare LF */
			if (ch != '\r' && ++c->extra > ING_CHUNK_EXTRA_MAX)
				return -1;
			i++;
			break;
		case CH_TRAILER_LINE:
			if (ch == '\r')
				c->state = CH_TRAILER_LF;
			else if (!is_value_char((unsigned char)ch))
				return -1;
			else if (++c->extra > ING_CHUNK_EXTRA_MAX)
				return -1;
			i++;
			break;
		case CH_TRAILER_LF:
			if (ch != '\n')
				return -1;
			c->state = CH_TRAILER;
			i++;
			break;
		case CH_END_LF:
			if (ch != '\n')
				return -1;
			c->done = true;
			i++;
			break;
		default:
			return -1;
		}
	}
	return (ssize_t)i;
}
