/* What the ingress writes: the head sent upstream, the head sent back to
 * the client, its own answers and the access log line, each as
 * ingress-nginx's nginx writes them. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ing_http.h"

/* An output buffer that remembers when it ran out. */
struct out {
	char *p;
	size_t cap, n;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->n) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_str(struct out *o, struct ing_str s)
{
	put(o, s.p, s.n);
}

static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(o, tmp, n < 0 ? 0 : (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void put_hdr(struct out *o, const char *name, struct ing_str value)
{
	puts_(o, name);
	put(o, ": ", 2);
	put_str(o, value);
	put(o, "\r\n", 2);
}

static struct ing_str cstr(const char *s)
{
	return (struct ing_str){s ? s : "", s ? strlen(s) : 0};
}

static ssize_t result(const struct out *o)
{
	return o->full ? -1 : (ssize_t)o->n;
}

static bool in_list(struct ing_str name, const char *const *list)
{
	for (; *list; list++)
		if (ing_str_ieq(name, *list))
			return true;
	return false;
}

/* Hop-by-hop fields (RFC 9110 section 7.6.1), with Keep-Alive and
 * Proxy-Connection that old clients still send. */
static const char *const hop_by_hop[] = {
    "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade", NULL,
};

/* What ingress-nginx's location block sets with proxy_set_header
 * (nginx.tmpl), so the client's own copies are not passed; Expect as
 * ngx_http_proxy_module clears it. */
static const char *const set_upstream[] = {
    "Host", "X-Request-ID", "X-Real-IP", "X-Forwarded-For", "X-Forwarded-Host",
    "X-Forwarded-Port", "X-Forwarded-Proto", "X-Forwarded-Scheme", "X-Scheme",
    "X-Original-Forwarded-For", "Proxy", "Expect", NULL,
};

ssize_t ing_http_upstream_head(const struct ing_req *rq, const struct ing_fwd *fwd, char *out,
			       size_t cap)
{
	struct out o = {.p = out, .cap = cap};
	struct ing_str xff = ing_http_req_header(rq, "X-Forwarded-For");
	struct ing_str rid = ing_http_req_header(rq, "X-Request-ID");
	struct ing_str host = ing_http_req_header(rq, "Host");
	struct ing_str ip = cstr(fwd->client_ip);
	bool tls = fwd->proto && strcmp(fwd->proto, "https") == 0;

	/* proxy_http_version 1.1 */
	put_str(&o, rq->method);
	put(&o, " ", 1);
	put_str(&o, fwd->target);
	puts_(&o, " HTTP/1.1\r\n");
	put_hdr(&o, "Host", fwd->host);
	/* Connection is $connection_upgrade: "upgrade" for an upgrade, ""
	 * (not sent) with upstream keep-alive. */
	if (rq->upgrade) {
		put_hdr(&o, "Upgrade", ing_http_req_header(rq, "Upgrade"));
		puts_(&o, "Connection: upgrade\r\n");
	} else if (!fwd->keep_alive) {
		puts_(&o, "Connection: close\r\n");
	}
	/* $req_id is the client's X-Request-ID, else $request_id. */
	put_hdr(&o, "X-Request-ID", rid.n ? rid : cstr(fwd->request_id));
	put_hdr(&o, "X-Real-IP", ip);
	puts_(&o, "X-Forwarded-For: ");
	if (xff.n && !fwd->forwarded_for_peer) {
		put_str(&o, xff);
		put(&o, ", ", 2);
	}
	put_str(&o, ip);
	put(&o, "\r\n", 2);
	/* $best_http_host is $http_host; nginx sends no empty header. */
	if (host.n)
		put_hdr(&o, "X-Forwarded-Host", host);
	/* $pass_port: lua_ingress.lua rewrite() makes it 443 on the HTTPS
	 * listener, whatever port that listens on */
	putf(&o, "X-Forwarded-Port: %u\r\n", tls ? 443u : fwd->port);
	put_hdr(&o, "X-Forwarded-Proto", cstr(fwd->proto));
	put_hdr(&o, "X-Forwarded-Scheme", cstr(fwd->proto));
	put_hdr(&o, "X-Scheme", cstr(fwd->proto));
	if (xff.n)
		put_hdr(&o, "X-Original-Forwarded-For", xff);

	for (unsigned i = 0; i < rq->nhdr; i++) {
		const struct ing_hdr *h = &rq->hdr[i];

		if (in_list(h->name, hop_by_hop) || in_list(h->name, set_upstream))
			continue;
		/* ignore_invalid_headers with underscores_in_headers off */
		if (memchr(h->name.p, '_', h->name.n))
			continue;
		/* The body streams unchanged, so its framing goes too. */
		if (ing_str_ieq(h->name, "Transfer-Encoding") && rq->body != ING_BODY_CHUNKED)
			continue;
		put_str(&o, h->name);
		put(&o, ": ", 2);
		put_str(&o, h->value);
		put(&o, "\r\n", 2);
	}
	put(&o, "\r\n", 2);
	return result(&o);
}

ssize_t ing_http_client_head(const struct ing_resp *rs, bool keep_alive, char *out, size_t cap)
{
	struct out o = {.p = out, .cap = cap};
	bool upgraded = rs->status == 101;

	/* A body that ends with the connection ends the client's too. */
	if (rs->body == ING_BODY_EOF)
		keep_alive = false;
	/* nginx answers in HTTP/1.1 whatever the upstream spoke. */
	putf(&o, "HTTP/1.1 %03d ", rs->status);
	put_str(&o, rs->reason);
	put(&o, "\r\n", 2);
	for (unsigned i = 0; i < rs->nhdr; i++) {
		const struct ing_hdr *h = &rs->hdr[i];

		if (in_list(h->name, hop_by_hop) &&
		    !(upgraded && ing_str_ieq(h->name, "Upgrade")))
			continue;
		if (ing_str_ieq(h->name, "Transfer-Encoding") && rs->body != ING_BODY_CHUNKED)
			continue;
		put_str(&o, h->name);
		put(&o, ": ", 2);
		put_str(&o, h->value);
		put(&o, "\r\n", 2);
	}
	if (upgraded)
		puts_(&o, "Connection: upgrade\r\n");
	else
		puts_(&o, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
	put(&o, "\r\n", 2);
	return result(&o);
}

/* nginx's status lines (ngx_http_header_filter_module.c) and pages
 * (ngx_http_special_response.c); a title that differs from the status
 * line is nginx's own page for it. */
struct page {
	int status;
	const char *line;	/* the status line's code and reason */
	const char *title;	/* the page's title, NULL for none */
	const char *extra;	/* a second centred line, NULL for none */
};

static const struct page pages[] = {
    {301, "301 Moved Permanently", "301 Moved Permanently", NULL},
    {302, "302 Moved Temporarily", "302 Found", NULL},
    {303, "303 See Other", "303 See Other", NULL},
    {307, "307 Temporary Redirect", "307 Temporary Redirect", NULL},
    {308, "308 Permanent Redirect", "308 Permanent Redirect", NULL},
    {400, "400 Bad Request", "400 Bad Request", NULL},
    {401, "401 Unauthorized", "401 Authorization Required", NULL},
    {403, "403 Forbidden", "403 Forbidden", NULL},
    {404, "404 Not Found", "404 Not Found", NULL},
    {405, "405 Not Allowed", "405 Not Allowed", NULL},
    {408, "408 Request Time-out", "408 Request Time-out", NULL},
    {411, "411 Length Required", "411 Length Required", NULL},
    {413, "413 Request Entity Too Large", "413 Request Entity Too Large", NULL},
    {414, "414 Request-URI Too Large", "414 Request-URI Too Large", NULL},
    {429, "429 Too Many Requests", "429 Too Many Requests", NULL},
    /* nginx's 494, "request header too large", is sent as a 400 */
    {431, "400 Bad Request", "400 Request Header Or Cookie Too Large",
     "Request Header Or Cookie Too Large"},
    {500, "500 Internal Server Error", "500 Internal Server Error", NULL},
    {501, "501 Not Implemented", "501 Not Implemented", NULL},
    {502, "502 Bad Gateway", "502 Bad Gateway", NULL},
    {503, "503 Service Temporarily Unavailable", "503 Service Temporarily Unavailable", NULL},
    {504, "504 Gateway Time-out", "504 Gateway Time-out", NULL},
    {505, "505 HTTP Version Not Supported", "505 HTTP Version Not Supported", NULL},
};

/* ngx_http_special_response_handler() drops keep-alive after these. */
static bool closes(int status)
{
	switch (status) {
	case 400: case 413: case 414: case 431: case 500: case 501: case 505:
		return true;
	}
	return false;
}

ssize_t ing_http_answer(int status, const char *location, bool keep_alive, bool head,
			char *out, size_t cap)
{
	struct out o = {.p = out, .cap = cap};
	const struct page *pg = NULL;
	char body[512];
	struct out b = {.p = body, .cap = sizeof(body)};

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (pages[i].status == status)
			pg = &pages[i];
	if (!pg || (location && strpbrk(location, "\r\n")))
		return -1;
	if (pg->title) {
		puts_(&b, "<html>\r\n<head><title>");
		puts_(&b, pg->title);
		puts_(&b, "</title></head>\r\n<body>\r\n<center><h1>");
		/* The heading is the title, but for a 494's "400 Bad Request" */
		puts_(&b, pg->extra ? pg->line : pg->title);
		puts_(&b, "</h1></center>\r\n");
		if (pg->extra) {
			puts_(&b, "<center>");
			puts_(&b, pg->extra);
			puts_(&b, "</center>\r\n");
		}
		/* server_tokens off, as ingress-nginx configures it */
		puts_(&b, "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
	}
	if (closes(status))
		keep_alive = false;
	puts_(&o, "HTTP/1.1 ");
	puts_(&o, pg->line);
	puts_(&o, "\r\nContent-Type: text/html\r\n");
	putf(&o, "Content-Length: %zu\r\n", b.n);
	puts_(&o, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
	if (location) {
		puts_(&o, "Location: ");
		puts_(&o, location);
		put(&o, "\r\n", 2);
	}
	put(&o, "\r\n", 2);
	if (!head)
		put(&o, body, b.n);
	return result(&o);
}
