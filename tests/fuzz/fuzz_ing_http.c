/* The ingress's HTTP/1.1: a request head, its chunked body, a response
 * head after it, and everything written from what parsed. Whatever the
 * bytes: a verdict the loops know, slices inside the input, the same
 * verdict on a prefix, a page for every refusal, an upstream head that
 * itself parses with the same framing, and a log line of printable bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ing_http.h"

static const struct ing_limits lim = {.head_max = 4096, .hdr_max = 64};
static const struct ing_limits wide = {.head_max = 65536, .hdr_max = ING_HDR_MAX};
static char out[65536];

static void check_span(struct ing_str s, const char *buf, size_t n)
{
	if (s.n && (s.p < buf || s.p + s.n > buf + n))
		abort();
}

static void check_req(const struct ing_req *rq, const char *buf, size_t n)
{
	check_span(rq->method, buf, n);
	check_span(rq->target, buf, n);
	check_span(rq->query, buf, n);
	check_span(rq->host, buf, n);
	if (!(rq->path.n == 1 && rq->path.p[0] == '/'))
		check_span(rq->path, buf, n);
	if (rq->nhdr > lim.hdr_max || (rq->version != 10 && rq->version != 11))
		abort();
	for (unsigned i = 0; i < rq->nhdr; i++) {
		check_span(rq->hdr[i].name, buf, n);
		check_span(rq->hdr[i].value, buf, n);
		if (!rq->hdr[i].name.n)
			abort();
	}
	if (rq->body == ING_BODY_EOF || (rq->body == ING_BODY_LENGTH && !rq->length))
		abort();
}

/* The bytes of a chunked body fed whole and fed in two give one answer. */
static void check_chunked(const char *buf, size_t n)
{
	struct ing_chunked a, b;
	ssize_t whole, first, second = 0;

	ing_chunked_init(&a);
	whole = ing_chunked_feed(&a, buf, n);
	ing_chunked_init(&b);
	first = ing_chunked_feed(&b, buf, n / 2);
	if (first >= 0 && !b.done)
		second = ing_chunked_feed(&b, buf + n / 2, n - n / 2);
	if (whole < 0) {
		if (first >= 0 && second >= 0)
			abort();
		return;
	}
	if (first < 0 || second < 0 || first + second != whole || a.done != b.done ||
	    (size_t)whole > n || (!a.done && (size_t)whole != n))
		abort();
}

static void check_upstream(const struct ing_req *rq)
{
	static struct ing_req again;
	struct ing_fwd fwd = {
	    .target = rq->path.p[0] == '/' ? rq->target : (struct ing_str){"/", 1},
	    .host = rq->host.n ? rq->host : (struct ing_str){"backend", 7},
	    .client_ip = "10.0.0.9",
	    .proto = "http",
	    .port = 80,
	    .request_id = "0123456789abcdef0123456789abcdef",
	    .keep_alive = rq->keep_alive,
	};
	ssize_t n = ing_http_upstream_head(rq, &fwd, out, sizeof(out));

	if (n < 0)
		return;
	/* What goes upstream is a request of its own, framed the same. */
	if (ing_http_req_parse(out, (size_t)n, &wide, &again) != n || again.body != rq->body ||
	    again.length != rq->length || again.upgrade != rq->upgrade)
		abort();
	if (ing_http_upstream_head(rq, &fwd, out, (size_t)n - 1) != -1)
		abort();
}

static void check_log(const struct ing_req *rq, int status)
{
	struct ing_log l = {.rq = rq, .client_ip = "10.0.0.9", .start_ms = 1796598269123,
			    .status = status, .upstream_name = "", .upstream_addr = "",
			    .upstream_ms = -1, .request_id = "r"};
	size_t n = ing_http_log_line(&l, out, 4096);

	if (!n || n >= 4096 || out[n - 1] != '\n' || out[n] != '\0')
		abort();
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			abort();
}

static void check_response(const char *buf, size_t n, const struct ing_req *rq)
{
	static struct ing_resp rs;
	int r = ing_http_resp_parse(buf, n, &lim, rq, &rs);

	if (r != 0 && r != -502 && r <= 0)
		abort();
	if (r == 0 && n >= lim.head_max)
		abort();
	if (r <= 0)
		return;
	if ((size_t)r > n || rs.head_len != (size_t)r || rs.status < 100 || rs.status > 999 ||
	    rs.nhdr > lim.hdr_max)
		abort();
	check_span(rs.reason, buf, (size_t)r);
	for (unsigned i = 0; i < rs.nhdr; i++) {
		check_span(rs.hdr[i].name, buf, (size_t)r);
		check_span(rs.hdr[i].value, buf, (size_t)r);
	}
	if (ing_http_resp_parse(buf, (size_t)r - 1, &lim, rq, &rs) != 0)
		abort();
	ing_http_resp_parse(buf, (size_t)r, &lim, rq, &rs);
	if (ing_http_client_head(&rs, true, out, sizeof(out)) < 0)
		abort();
	if (rs.body == ING_BODY_CHUNKED)
		check_chunked(buf + r, n - (size_t)r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	static struct ing_req rq, again;
	int r = ing_http_req_parse(buf, size, &lim, &rq);

	switch (r) {
	case 0: case -400: case -405: case -414: case -431: case -501: case -505:
		break;
	default:
		if (r < 0)
			abort();
	}
	if (r == 0 && size >= lim.head_max)
		abort();
	if (r < 0) {
		/* Every refusal has its page. */
		if (ing_http_answer(-r, NULL, true, false, out, sizeof(out)) <= 0)
			abort();
		check_log(NULL, -r);
		check_response(buf, size, NULL);
		return 0;
	}
	if (r == 0) {
		check_response(buf, size, NULL);
		return 0;
	}
	if ((size_t)r > size || rq.head_len != (size_t)r || (size_t)r > lim.head_max)
		abort();
	check_req(&rq, buf, (size_t)r);
	/* The head alone parses the same; any shorter prefix waits. */
	if (ing_http_req_parse(buf, (size_t)r, &lim, &again) != r || again.nhdr != rq.nhdr ||
	    again.body != rq.body || again.keep_alive != rq.keep_alive)
		abort();
	if (ing_http_req_parse(buf, (size_t)r - 1, &lim, &again) != 0 ||
	    ing_http_req_parse(buf, (size_t)r / 2, &lim, &again) != 0)
		abort();
	ing_http_req_parse(buf, (size_t)r, &lim, &rq);
	check_upstream(&rq);
	check_log(&rq, 200);
	if (rq.body == ING_BODY_CHUNKED)
		check_chunked(buf + r, size - (size_t)r);
	check_response(buf + r, size - (size_t)r, &rq);
	return 0;
}
