/* The ingress's HTTP/1.1: what it takes from clients and upstreams, what
 * it refuses (request smuggling above all) and what it writes, byte for
 * byte where nginx and ingress-nginx fix the bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ing_http.h"

static const struct ing_limits lim = {.head_max = 8192, .hdr_max = 100};
static struct ing_req rq;
static struct ing_resp rs;

static int req(const char *s)
{
	return ing_http_req_parse(s, strlen(s), &lim, &rq);
}

static bool eq(struct ing_str s, const char *lit)
{
	return s.n == strlen(lit) && (!s.n || !memcmp(s.p, lit, s.n));
}

#define assert_str(s, lit)                                                                         \
	do {                                                                                       \
		if (!eq((s), (lit)))                                                               \
			fail_msg("got \"%.*s\", want \"%s\"", (int)(s).n, (s).p ? (s).p : "", (lit));  \
	} while (0)

struct verdict {
	const char *in;
	int want;
};

/* Each input gets its verdict, and every prefix of it either waits for
 * more or already gets the same verdict. */
static void check_requests(const struct verdict *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i].in);
		int r = ing_http_req_parse(v[i].in, len, &lim, &rq);

		if (r != v[i].want)
			fail_msg("case %zu: %d, want %d for \"%s\"", i, r, v[i].want, v[i].in);
		for (size_t k = 0; k < len; k++) {
			r = ing_http_req_parse(v[i].in, k, &lim, &rq);
			if (r != 0 && r != v[i].want)
				fail_msg("case %zu cut at %zu: %d, want 0 or %d", i, k, r, v[i].want);
		}
	}
}

static void request_line_and_fields(void **state)
{
	const char *s = "GET /a/b?x=1&y HTTP/1.1\r\nHost: Example.COM:8080\r\n"
			"User-Agent:\tcurl/7.88.1 \t\r\nAccept: */*\r\nX-Empty:\r\n\r\nBODY";

	assert_int_equal(req(s), (int)(strlen(s) - 4));
	assert_int_equal(rq.head_len, strlen(s) - 4);
	assert_str(rq.method, "GET");
	assert_str(rq.target, "/a/b?x=1&y");
	assert_str(rq.path, "/a/b");
	assert_str(rq.query, "x=1&y");
	assert_str(rq.host, "Example.COM");
	assert_int_equal(rq.version, 11);
	assert_int_equal(rq.nhdr, 4);
	assert_str(rq.hdr[1].name, "User-Agent");
	assert_str(rq.hdr[1].value, "curl/7.88.1");
	assert_str(rq.hdr[3].value, "");
	assert_int_equal(rq.body, ING_BODY_NONE);
	assert_str(ing_http_req_header(&rq, "user-agent"), "curl/7.88.1");
	assert_null(ing_http_req_header(&rq, "Cookie").p);
	/* Empty lines before the request line are skipped (RFC 9112 2.2). */
	assert_int_equal(req("\r\n\r\nGET / HTTP/1.0\r\n\r\n"), 22);
	assert_str(rq.method, "GET");
	assert_int_equal(rq.version, 10);
	assert_int_equal(rq.host.n, 0);
	/* obs-text in a value and in the target pass, as nginx lets them. */
	assert_true(req("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\nX: \xc3\xa9\r\n\r\n") > 0);
	/* Methods are tokens. */
	assert_true(req("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n") < 0);
	assert_true(req("PROPFIND /x HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
}

static void request_grammar_refused(void **state)
{
	static const struct verdict v[] = {
	    {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", -400},	/* two SPs */
	    {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", -400},
	    {"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    {" GET / HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    {"GET /\r\n\r\n", -400},				/* HTTP/0.9 */
	    {"GET / HTTPS/1.1\r\nHost: a\r\n\r\n", -400},
	    {"GET / http/1.1\r\nHost: a\r\n\r\n", -400},
	    {"GET / HTTP/1.10\r\nHost: a\r\n\r\n", -400},
	    {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", -505},
	    {"GET / HTTP/0.9\r\nHost: a\r\n\r\n", -505},
	    {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", -505},
	    {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    {"GET a HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    {"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    {"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    {"GET * HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    {"OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    {"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", -405},
	    {"GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", -400},	/* blank before ':' */
	    {"GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a\r\nX-A\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nX[]: a\r\nHost: a\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\n Host: a\r\n\r\n", -400},	/* blank before a field */
	};

	check_requests(v, sizeof(v) / sizeof(v[0]));
}

static void control_bytes_refused(void **state)
{
	static const struct verdict v[] = {
	    /* obs-fold (RFC 9112 5.2) */
	    {"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\t2\r\n\r\n", -400},
	    /* bare LF, in each place a line ends (RFC 9112 2.2) */
	    {"GET / HTTP/1.1\nHost: a\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a\r\n\n", -400},
	    {"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    /* bare CR */
	    {"GET / HTTP/1.1\rHost: a\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n", -400},
	    {"\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    /* controls and DEL in a value or a name */
	    {"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fz\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n", -400},
	};

	check_requests(v, sizeof(v) / sizeof(v[0]));
	/* NUL, which strlen() would hide */
	{
		static const char nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
		static const char nul_name[] = "GET / HTTP/1.1\r\nHost: a\r\nX\0: ab\r\n\r\n";
		static const char nul_line[] = "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n";

		assert_int_equal(ing_http_req_parse(nul, sizeof(nul) - 1, &lim, &rq), -400);
		assert_int_equal(ing_http_req_parse(nul_name, sizeof(nul_name) - 1, &lim, &rq),
				 -400);
		assert_int_equal(ing_http_req_parse(nul_line, sizeof(nul_line) - 1, &lim, &rq),
				 -400);
	}
}

static void host(void **state)
{
	static const struct verdict v[] = {
	    {"GET / HTTP/1.1\r\n\r\n", -400},			/* required in 1.1 */
	    {"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost:\r\n\r\n", -400},		/* empty, as nginx */
	    {"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a..b\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", -400},
	    {"GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	    {"GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", -400},
	};

	check_requests(v, sizeof(v) / sizeof(v[0]));
	assert_true(req("GET / HTTP/1.1\r\nHost: myapp.com:80\r\n\r\n") > 0);
	assert_str(rq.host, "myapp.com");
	assert_true(req("GET / HTTP/1.1\r\nHost: myapp.com.\r\n\r\n") > 0);
	assert_str(rq.host, "myapp.com");
	assert_true(req("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n") > 0);
	assert_str(rq.host, "[::1]");
	assert_true(req("GET / HTTP/1.1\r\nHost: a:\r\n\r\n") > 0);
	assert_str(rq.host, "a");
	/* The absolute-form's host wins over Host (RFC 9112 3.2.2). */
	assert_true(req("GET http://admin.myapp.com:8080/x/y?q HTTP/1.1\r\nHost: myapp.com\r\n\r\n") >
		    0);
	assert_str(rq.host, "admin.myapp.com");
	assert_str(rq.path, "/x/y");
	assert_str(rq.query, "q");
	assert_true(req("GET HTTPS://b.example?q=1 HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	assert_str(rq.host, "b.example");
	assert_str(rq.path, "/");
	assert_str(rq.query, "q=1");
	assert_true(req("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	assert_str(rq.path, "*");
}

static void keep_alive_and_upgrade(void **state)
{
	static const struct {
		const char *in;
		bool keep_alive, upgrade, expect;
	} v[] = {
	    {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true, false, false},
	    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false, false, false},
	    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", false, false,
	     false},
	    {"GET / HTTP/1.0\r\n\r\n", false, false, false},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, false, false},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false, false,
	     false},
	    {"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
	     "Upgrade: websocket\r\n\r\n",
	     true, true, false},
	    {"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", true, false, false},
	    {"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", true, false, false},
	    {"GET /ws HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", false,
	     false, false},
	    {"PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n",
	     true, false, true},
	    {"PUT /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", false, false,
	     false},
	    {"PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 3\r\n\r\n", true,
	     false, false},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (req(v[i].in) <= 0)
			fail_msg("case %zu refused", i);
		if (rq.keep_alive != v[i].keep_alive || rq.upgrade != v[i].upgrade ||
		    rq.expect_continue != v[i].expect)
			fail_msg("case %zu: keep_alive %d upgrade %d expect %d", i, rq.keep_alive,
				 rq.upgrade, rq.expect_continue);
	}
}

static void body_framing(void **state)
{
	assert_true(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n") > 0);
	assert_int_equal(rq.body, ING_BODY_LENGTH);
	assert_int_equal(rq.length, 12);
	assert_true(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n") > 0);
	assert_int_equal(rq.body, ING_BODY_NONE);
	assert_true(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n") >
		    0);
	assert_int_equal(rq.length, UINT64_MAX);
	assert_true(req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n") > 0);
	assert_int_equal(rq.body, ING_BODY_CHUNKED);
	/* The same length twice is one length (RFC 9112 6.3). */
	assert_true(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
			"Content-Length: 5\r\n\r\n") > 0);
	assert_int_equal(rq.body, ING_BODY_LENGTH);
	assert_int_equal(rq.length, 5);
}

static void smuggling_refused(void **state)
{
	static const struct verdict v[] = {
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	     -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
	     -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5a\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", -400},
	    /* Transfer-Encoding: only chunked, once, in HTTP/1.1 (nginx) */
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", -501},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", -501},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -501},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunkedx\r\n\r\n", -501},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n",
	     -400},
	    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400},
	    /* Content_Length is a token and a different field: it frames nothing */
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\x0b" "chunked\r\n\r\n", -400},
	};

	check_requests(v, sizeof(v) / sizeof(v[0]));
	assert_true(req("POST / HTTP/1.1\r\nHost: a\r\nContent_Length: 5\r\n\r\n") > 0);
	assert_int_equal(rq.body, ING_BODY_NONE);
}

static void limits(void **state)
{
	const struct ing_limits small = {.head_max = 64, .hdr_max = 3};
	char big[256];

	/* A request line that outgrows the head: 414, complete or not. */
	snprintf(big, sizeof(big), "GET /%070d HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	assert_int_equal(ing_http_req_parse(big, strlen(big), &small, &rq), -414);
	assert_int_equal(ing_http_req_parse(big, 64, &small, &rq), -414);
	assert_int_equal(ing_http_req_parse(big, 63, &small, &rq), 0);
	/* Fields that outgrow it: 431 (nginx's 494). */
	snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX: %060d\r\n\r\n", 0);
	assert_int_equal(ing_http_req_parse(big, strlen(big), &small, &rq), -431);
	assert_int_equal(ing_http_req_parse(big, 64, &small, &rq), -431);
	assert_int_equal(ing_http_req_parse(big, 63, &small, &rq), 0);
	/* A head of exactly head_max bytes is taken. */
	snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX: %032d\r\n\r\n", 0);
	assert_int_equal(strlen(big), 64);
	assert_int_equal(ing_http_req_parse(big, strlen(big), &small, &rq), 64);
	/* hdr_max fields are taken, one more is 431. */
	strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n");
	assert_int_equal(ing_http_req_parse(big, strlen(big), &small, &rq), (int)strlen(big));
	strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
	assert_int_equal(ing_http_req_parse(big, strlen(big), &small, &rq), -431);
	/* hdr_max above ING_HDR_MAX is held to it. */
	{
		const struct ing_limits wide = {.head_max = 65536, .hdr_max = 1000};
		char *many = malloc(65536);
		size_t n = (size_t)sprintf(many, "GET / HTTP/1.1\r\nHost: a\r\n");

		for (int i = 0; i < ING_HDR_MAX - 1; i++)
			n += (size_t)sprintf(many + n, "X-%d: %d\r\n", i, i);
		strcpy(many + n, "\r\n");
		assert_int_equal(ing_http_req_parse(many, n + 2, &wide, &rq), (int)n + 2);
		assert_int_equal(rq.nhdr, ING_HDR_MAX);
		strcpy(many + n, "X-last: 1\r\n\r\n");
		assert_int_equal(ing_http_req_parse(many, n + 13, &wide, &rq), -431);
		free(many);
	}
}

static void pipelined(void **state)
{
	const char *s = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
			"POST /2 HTTP/1.1\r\nHost: b\r\nContent-Length: 2\r\n\r\nhi"
			"GET /3 HTTP/1.1\r\nHost: c\r\n\r\n";
	size_t off = 0, len = strlen(s);
	int r;

	r = ing_http_req_parse(s, len, &lim, &rq);
	assert_int_equal(r, 28);
	assert_str(rq.path, "/1");
	off += (size_t)r;
	r = ing_http_req_parse(s + off, len - off, &lim, &rq);
	assert_int_equal(r, 48);
	assert_str(rq.path, "/2");
	assert_int_equal(rq.length, 2);
	off += (size_t)r + rq.length;
	r = ing_http_req_parse(s + off, len - off, &lim, &rq);
	assert_int_equal(r, 28);
	assert_str(rq.host, "c");
	assert_int_equal(off + 28, len);
}

static void split_at_every_byte(void **state)
{
	static const char *const good[] = {
	    "GET /a?b HTTP/1.1\r\nHost: a.example:80\r\nUser-Agent: x\r\nX-E:\r\n\r\n",
	    "\r\nPOST http://h/p HTTP/1.1\r\nHost: z\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "GET / HTTP/1.0\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t len = strlen(good[i]);
		struct ing_req whole;

		assert_int_equal(ing_http_req_parse(good[i], len, &lim, &whole), (int)len);
		for (size_t k = 0; k < len; k++)
			if (ing_http_req_parse(good[i], k, &lim, &rq) != 0)
				fail_msg("case %zu cut at %zu is not incomplete", i, k);
		assert_int_equal(ing_http_req_parse(good[i], len, &lim, &rq), (int)len);
		assert_int_equal(rq.nhdr, whole.nhdr);
		assert_true(eq(rq.host, "") == eq(whole.host, ""));
	}
}

static int resp(const char *s, const char *method)
{
	char r[64];

	snprintf(r, sizeof(r), "%s / HTTP/1.1\r\nHost: a\r\n\r\n", method);
	assert_true(req(r) > 0);
	return ing_http_resp_parse(s, strlen(s), &lim, &rq, &rs);
}

static void response_parse(void **state)
{
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b \r\n\r\nhello";

	assert_int_equal(resp(s, "GET"), (int)strlen(s) - 5);
	assert_int_equal(rs.status, 200);
	assert_int_equal(rs.version, 11);
	assert_str(rs.reason, "OK");
	assert_int_equal(rs.body, ING_BODY_LENGTH);
	assert_int_equal(rs.length, 5);
	assert_true(rs.keep_alive);
	assert_int_equal(rs.nhdr, 2);
	assert_str(rs.hdr[1].value, "b");
	for (size_t k = 0; k < strlen(s) - 5; k++)
		if (ing_http_resp_parse(s, k, &lim, &rq, &rs) != 0)
			fail_msg("cut at %zu is not incomplete", k);

	assert_true(resp("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", "GET") > 0);
	assert_str(rs.reason, "");
	assert_int_equal(rs.body, ING_BODY_NONE);
	assert_true(resp("HTTP/1.1 204\r\n\r\n", "GET") > 0);
	assert_int_equal(rs.status, 204);
	assert_true(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET") > 0);
	assert_int_equal(rs.body, ING_BODY_CHUNKED);
	assert_true(rs.keep_alive);
	/* Neither: the body ends when the upstream closes (RFC 9112 6.3). */
	assert_true(resp("HTTP/1.1 200 OK\r\n\r\n", "GET") > 0);
	assert_int_equal(rs.body, ING_BODY_EOF);
	assert_false(rs.keep_alive);
	/* No body after HEAD, 1xx, 204, 304, whatever the length says. */
	assert_true(resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD") > 0);
	assert_int_equal(rs.body, ING_BODY_NONE);
	assert_true(rs.keep_alive);
	assert_true(resp("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", "GET") > 0);
	assert_int_equal(rs.body, ING_BODY_NONE);
	assert_true(resp("HTTP/1.1 100 Continue\r\n\r\n", "GET") > 0);
	assert_int_equal(rs.body, ING_BODY_NONE);
	assert_true(resp("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			 "Upgrade: websocket\r\n\r\n",
			 "GET") > 0);
	assert_int_equal(rs.body, ING_BODY_NONE);
	assert_false(rs.keep_alive);
	/* Keep-alive per version and Connection. */
	assert_true(resp("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
			 "GET") > 0);
	assert_false(rs.keep_alive);
	assert_true(resp("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", "GET") > 0);
	assert_false(rs.keep_alive);
	assert_true(resp("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
			 "GET") > 0);
	assert_true(rs.keep_alive);
	/* Without a request to go by, a response is a GET's. */
	s = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n";
	assert_int_equal(ing_http_resp_parse(s, strlen(s), &lim, NULL, &rs), (int)strlen(s));
	assert_int_equal(rs.body, ING_BODY_LENGTH);
}

static void response_refused(void **state)
{
	static const char *const bad[] = {
	    "HTTP/1.1 20 OK\r\n\r\n",
	    "HTTP/1.1 2000 OK\r\n\r\n",
	    "HTTP/1.1 099 Low\r\n\r\n",
	    "HTTP/1.1 200OK\r\n\r\n",
	    "HTTP/2.0 200 OK\r\n\r\n",
	    "HTTP/1.1  200 OK\r\n\r\n",
	    "ICY 200 OK\r\n\r\n",
	    "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nX: 1\r\n folded\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nX: \x01\r\n\r\n",
	};
	const struct ing_limits small = {.head_max = 32, .hdr_max = 1};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (resp(bad[i], "GET") != -502)
			fail_msg("case %zu not refused: %s", i, bad[i]);
	assert_int_equal(ing_http_resp_parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", 31, &small,
					     &rq, &rs),
			 -502);
	assert_int_equal(ing_http_resp_parse("HTTP/1.1 200 OK\r\nA: 123456789012345\r\n\r\n", 39,
					     &small, &rq, &rs),
			 -502);
}

/* Feeds s in pieces of step bytes: the bytes that belong to the body. */
static ssize_t feed(const char *s, size_t len, size_t step, struct ing_chunked *c)
{
	size_t off = 0;

	ing_chunked_init(c);
	while (off < len && !c->done) {
		size_t n = len - off < step ? len - off : step;
		ssize_t r = ing_chunked_feed(c, s + off, n);

		if (r < 0)
			return r;
		off += (size_t)r;
		if ((size_t)r < n && !c->done)
			fail_msg("short feed without the end");
	}
	return (ssize_t)off;
}

static void chunked(void **state)
{
	static const char *const good[] = {
	    "5\r\nhello\r\n0\r\n\r\n",
	    "A\r\n0123456789\r\n1;name=val;x\r\n!\r\n0\r\n\r\n",
	    "5 \t;ext\r\nhello\r\n0 \r\n\r\n",
	    "00005\r\nhello\r\n000\r\n\r\n",
	    "3\r\nabc\r\n0\r\nX-Trailer: 1\r\nY: two words\r\n\r\n",
	    "fFfFf\r\n",	/* an incomplete body of 1048575 bytes */
	};
	static const char *const bad[] = {
	    "g\r\n",
	    "\r\n",
	    ";x\r\n",
	    "5\nhello\r\n0\r\n\r\n",
	    "5\r\nhelloX\r\n0\r\n\r\n",
	    "5\r\nhello\n0\r\n\r\n",
	    "5\r\nhello\r\n0\r\n\n",
	    "5 6\r\nhello\r\n",
	    "0x5\r\nhello\r\n",
	    "-5\r\n",
	    "1000000000000000\r\n",	/* 16 digits */
	    "5\rhello",
	    "0\r\nX: 1\r\n folded\r\n\r\n",
	    "0\r\nX: \x01\r\n\r\n",
	    "5;a\x01\r\nhello\r\n",
	};
	struct ing_chunked c;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t len = strlen(good[i]);

		for (size_t step = 1; step <= len; step++)
			if (feed(good[i], len, step, &c) != (ssize_t)len)
				fail_msg("good %zu in steps of %zu refused", i, step);
		assert_int_equal(c.done, i != 5);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);

		for (size_t step = 1; step <= len; step++)
			if (feed(bad[i], len, step, &c) != -1)
				fail_msg("bad %zu in steps of %zu taken", i, step);
	}
	/* The body ends inside the buffer: the rest is the next request's. */
	ing_chunked_init(&c);
	assert_int_equal(ing_chunked_feed(&c, "1\r\nx\r\n0\r\n\r\nGET /", 16), 11);
	assert_true(c.done);
	/* Fifteen hex digits are a size; extensions and trailers are held to
	 * ING_CHUNK_EXTRA_MAX bytes. */
	ing_chunked_init(&c);
	assert_int_equal(ing_chunked_feed(&c, "fffffffffffffff\r\n", 17), 17);
	assert_int_equal(c.left, 0xfffffffffffffffULL);
	{
		char *ext = malloc(ING_CHUNK_EXTRA_MAX + 16);

		memset(ext, 'e', ING_CHUNK_EXTRA_MAX + 16);
		memcpy(ext, "1;", 2);
		ing_chunked_init(&c);
		assert_int_equal(ing_chunked_feed(&c, ext, ING_CHUNK_EXTRA_MAX + 16), -1);
		memcpy(ext, "0\r\n", 3);
		ing_chunked_init(&c);
		assert_int_equal(ing_chunked_feed(&c, ext, ING_CHUNK_EXTRA_MAX + 16), -1);
		free(ext);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(request_line_and_fields),
	    cmocka_unit_test(request_grammar_refused),
	    cmocka_unit_test(control_bytes_refused),
	    cmocka_unit_test(host),
	    cmocka_unit_test(keep_alive_and_upgrade),
	    cmocka_unit_test(body_framing),
	    cmocka_unit_test(smuggling_refused),
	    cmocka_unit_test(limits),
	    cmocka_unit_test(pipelined),
	    cmocka_unit_test(split_at_every_byte),
	    cmocka_unit_test(response_parse),
	    cmocka_unit_test(response_refused),
	    cmocka_unit_test(chunked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
