/* The access log line in ingress-nginx's default log-format-upstream
 * (internal/ingress/controller/config/config.go, logFormatUpstream), each
 * variable written as nginx's ngx_http_log_module writes it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ing_http.h"

struct line {
	char *p;
	size_t cap, n;	/* cap keeps one byte for the NUL */
};

static void put(struct line *l, const char *s, size_t n)
{
	if (n > l->cap - 1 - l->n)
		n = l->cap - 1 - l->n;
	memcpy(l->p + l->n, s, n);
	l->n += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void putf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct line *l, const char *fmt, ...)
{
	char tmp[96];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A variable's value with nginx's default escaping (ngx_http_log_escape):
 * '"', '\\', controls and bytes above 0x7e as \xHH; an empty value as
 * "-", as nginx logs a variable without a value. */
static void put_var(struct line *l, struct ing_str v)
{
	static const char hex[] = "0123456789ABCDEF";

	if (!v.n) {
		put(l, "-", 1);
		return;
	}
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
			char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};

			put(l, e, 4);
		} else {
			put(l, (const char *)&c, 1);
		}
	}
}

static void put_cvar(struct line *l, const char *s)
{
	put_var(l, (struct ing_str){s ? s : "", s ? strlen(s) : 0});
}

/* $request_time and $upstream_response_time: seconds with milliseconds. */
static void put_msec(struct line *l, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	putf(l, "%" PRId64 ".%03" PRId64, ms / 1000, ms % 1000);
}

size_t ing_http_log_line(const struct ing_log *lg, char *out, size_t cap)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct line l = {.p = out, .cap = cap};
	time_t t = (time_t)(lg->start_ms / 1000);
	bool upstream = lg->upstream_addr && *lg->upstream_addr;
	struct tm tm;

	if (!cap)
		return 0;
	gmtime_r(&t, &tm);
	put_cvar(&l, lg->client_ip);
	/* $remote_user: no basic auth here */
	puts_(&l, " - - [");
	/* $time_local, in UTC as the controller's container runs */
	putf(&l, "%02d/%s/%d:%02d:%02d:%02d +0000] \"", tm.tm_mday, months[tm.tm_mon],
	     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (lg->rq) {
		/* $request: the request line */
		char v[16];

		snprintf(v, sizeof(v), " HTTP/%d.%d", lg->rq->version / 10, lg->rq->version % 10);
		put_var(&l, lg->rq->method);
		put(&l, " ", 1);
		put_var(&l, lg->rq->target);
		puts_(&l, v);
	} else {
		put(&l, "-", 1);
	}
	putf(&l, "\" %03d %" PRIu64 " \"", lg->status, lg->body_bytes);
	put_var(&l, lg->rq ? ing_http_req_header(lg->rq, "Referer") : (struct ing_str){0});
	puts_(&l, "\" \"");
	put_var(&l, lg->rq ? ing_http_req_header(lg->rq, "User-Agent") : (struct ing_str){0});
	putf(&l, "\" %" PRIu64 " ", lg->request_length);
	put_msec(&l, lg->request_ms);
	/* [$proxy_upstream_name] [$proxy_alternative_upstream_name]: set
	 * variables, empty rather than "-" when empty */
	puts_(&l, " [");
	if (lg->upstream_name && *lg->upstream_name)
		put_var(&l, (struct ing_str){lg->upstream_name, strlen(lg->upstream_name)});
	puts_(&l, "] [] ");
	if (upstream) {
		put_cvar(&l, lg->upstream_addr);
		putf(&l, " %" PRIu64 " ", lg->upstream_length);
		if (lg->upstream_ms >= 0)
			put_msec(&l, lg->upstream_ms);
		else
			put(&l, "-", 1);
		if (lg->upstream_status)
			putf(&l, " %03d ", lg->upstream_status);
		else
			puts_(&l, " - ");
	} else {
		puts_(&l, "- - - - ");
	}
	put_cvar(&l, lg->request_id);
	/* The newline survives truncation. */
	if (l.n == cap - 1 && cap > 1)
		l.n--;
	put(&l, "\n", 1);
	out[l.n] = '\0';
	return l.n;
}
