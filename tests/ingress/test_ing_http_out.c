/* What the ingress writes: the head it sends upstream and the one it
 * sends back, with the headers ingress-nginx's nginx.tmpl sets; nginx's
 * own status pages; the access log line in ingress-nginx's format. */
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
static char out[8192];

static void parse_req(const char *s)
{
	assert_int_equal(ing_http_req_parse(s, strlen(s), &lim, &rq), (int)strlen(s));
}

static void parse_resp(const char *s)
{
	assert_int_equal(ing_http_resp_parse(s, strlen(s), &lim, &rq, &rs), (int)strlen(s));
}

static struct ing_str S(const char *s)
{
	return (struct ing_str){s, strlen(s)};
}

/* out holds exactly want, and every smaller buffer is refused. */
static void assert_written(ssize_t n, const char *want, ssize_t (*again)(size_t cap))
{
	if (n < 0 || (size_t)n != strlen(want) || memcmp(out, want, (size_t)n))
		fail_msg("wrote %zd bytes:\n%.*s\nwant %zu:\n%s", n, n < 0 ? 0 : (int)n, out,
			 strlen(want), want);
	for (size_t cap = 0; cap < (size_t)n; cap++)
		if (again(cap) != -1)
			fail_msg("fits in %zu of %zd bytes", cap, n);
}

static struct ing_fwd fwd;

static ssize_t upstream(size_t cap)
{
	return ing_http_upstream_head(&rq, &fwd, out, cap);
}

static const char *const client_req =
    "POST /api/x?y=1 HTTP/1.1\r\nHost: myapp.com\r\nUser-Agent: curl/7.88.1\r\n"
    "X-Forwarded-For: 203.0.113.7\r\nConnection: keep-alive, X-Drop\r\nKeep-Alive: 5\r\n"
    "Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\n"
    "X-Real-IP: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nX-Scheme: https\r\nX_Smuggle: 1\r\n"
    "Proxy: http://evil\r\nExpect: 100-continue\r\nContent-Length: 3\r\nAccept: */*\r\n\r\n";

static void setup_fwd(void)
{
	fwd = (struct ing_fwd){.target = S("/x?y=1"),
			       .host = S("myapp.com"),
			       .client_ip = "10.0.0.9",
			       .proto = "http",
			       .port = 80,
			       .request_id = "0123456789abcdef0123456789abcdef",
			       .keep_alive = true};
}

static void upstream_head(void **state)
{
	parse_req(client_req);
	setup_fwd();
	assert_written(upstream(sizeof(out)),
		       "POST /x?y=1 HTTP/1.1\r\n"
		       "Host: myapp.com\r\n"
		       "X-Request-ID: 0123456789abcdef0123456789abcdef\r\n"
		       "X-Real-IP: 10.0.0.9\r\n"
		       "X-Forwarded-For: 203.0.113.7, 10.0.0.9\r\n"
		       "X-Forwarded-Host: myapp.com\r\n"
		       "X-Forwarded-Port: 80\r\n"
		       "X-Forwarded-Proto: http\r\n"
		       "X-Forwarded-Scheme: http\r\n"
		       "X-Scheme: http\r\n"
		       "X-Original-Forwarded-For: 203.0.113.7\r\n"
		       "User-Agent: curl/7.88.1\r\n"
		       "Content-Length: 3\r\n"
		       "Accept: */*\r\n"
		       "\r\n",
		       upstream);
	/* Without upstream keep-alive; with use-forwarded-headers off. */
	fwd.keep_alive = false;
	fwd.forwarded_for_peer = true;
	assert_written(upstream(sizeof(out)),
		       "POST /x?y=1 HTTP/1.1\r\n"
		       "Host: myapp.com\r\n"
		       "Connection: close\r\n"
		       "X-Request-ID: 0123456789abcdef0123456789abcdef\r\n"
		       "X-Real-IP: 10.0.0.9\r\n"
		       "X-Forwarded-For: 10.0.0.9\r\n"
		       "X-Forwarded-Host: myapp.com\r\n"
		       "X-Forwarded-Port: 80\r\n"
		       "X-Forwarded-Proto: http\r\n"
		       "X-Forwarded-Scheme: http\r\n"
		       "X-Scheme: http\r\n"
		       "X-Original-Forwarded-For: 203.0.113.7\r\n"
		       "User-Agent: curl/7.88.1\r\n"
		       "Content-Length: 3\r\n"
		       "Accept: */*\r\n"
		       "\r\n",
		       upstream);
}

static void upstream_head_upgrade_and_chunked(void **state)
{
	/* A WebSocket upgrade: Upgrade and Connection: upgrade go along; the
	 * client's X-Request-ID is $req_id; upstream-vhost sets Host while
	 * X-Forwarded-Host stays the client's. */
	parse_req("GET /ws HTTP/1.1\r\nHost: myapp.com:8080\r\nConnection: Upgrade\r\n"
		  "Upgrade: websocket\r\nSec-WebSocket-Key: k\r\nX-Request-ID: mine\r\n\r\n");
	setup_fwd();
	fwd.target = S("/ws");
	fwd.host = S("internal.svc");
	fwd.port = 8080;
	assert_written(upstream(sizeof(out)),
		       "GET /ws HTTP/1.1\r\n"
		       "Host: internal.svc\r\n"
		       "Upgrade: websocket\r\n"
		       "Connection: upgrade\r\n"
		       "X-Request-ID: mine\r\n"
		       "X-Real-IP: 10.0.0.9\r\n"
		       "X-Forwarded-For: 10.0.0.9\r\n"
		       "X-Forwarded-Host: myapp.com:8080\r\n"
		       "X-Forwarded-Port: 8080\r\n"
		       "X-Forwarded-Proto: http\r\n"
		       "X-Forwarded-Scheme: http\r\n"
		       "X-Scheme: http\r\n"
		       "Sec-WebSocket-Key: k\r\n"
		       "\r\n",
		       upstream);
	/* Over TLS: https, and port 443 whatever port the HTTPS listener has,
	 * as ingress-nginx's $pass_port */
	parse_req("GET /s?q=1 HTTP/1.1\r\nHost: myapp.com\r\nX-Forwarded-Proto: http\r\n\r\n");
	setup_fwd();
	fwd.target = S("/s?q=1");
	fwd.host = S("myapp.com");
	fwd.proto = "https";
	fwd.port = 8443;
	assert_written(upstream(sizeof(out)),
		       "GET /s?q=1 HTTP/1.1\r\n"
		       "Host: myapp.com\r\n"
		       "X-Request-ID: 0123456789abcdef0123456789abcdef\r\n"
		       "X-Real-IP: 10.0.0.9\r\n"
		       "X-Forwarded-For: 10.0.0.9\r\n"
		       "X-Forwarded-Host: myapp.com\r\n"
		       "X-Forwarded-Port: 443\r\n"
		       "X-Forwarded-Proto: https\r\n"
		       "X-Forwarded-Scheme: https\r\n"
		       "X-Scheme: https\r\n"
		       "\r\n",
		       upstream);
	/* A chunked body streams unchanged: its Transfer-Encoding goes too. */
	parse_req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
	setup_fwd();
	fwd.target = S("/");
	fwd.host = S("a");
	assert_written(upstream(sizeof(out)),
		       "POST / HTTP/1.1\r\n"
		       "Host: a\r\n"
		       "X-Request-ID: 0123456789abcdef0123456789abcdef\r\n"
		       "X-Real-IP: 10.0.0.9\r\n"
		       "X-Forwarded-For: 10.0.0.9\r\n"
		       "X-Forwarded-Host: a\r\n"
		       "X-Forwarded-Port: 80\r\n"
		       "X-Forwarded-Proto: http\r\n"
		       "X-Forwarded-Scheme: http\r\n"
		       "X-Scheme: http\r\n"
		       "Transfer-Encoding: chunked\r\n"
		       "\r\n",
		       upstream);
}

static bool keep;

static ssize_t client(size_t cap)
{
	return ing_http_client_head(&rs, keep, out, cap);
}

static void client_head(void **state)
{
	parse_req("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	parse_resp("HTTP/1.0 200 OK\r\nServer: echo\r\nConnection: keep-alive\r\nKeep-Alive: t=5\r\n"
		   "Content-Length: 5\r\nTrailer: X\r\nUpgrade: h2c\r\nProxy-Connection: x\r\n\r\n");
	keep = true;
	assert_written(client(sizeof(out)),
		       "HTTP/1.1 200 OK\r\nServer: echo\r\nContent-Length: 5\r\n"
		       "Connection: keep-alive\r\n\r\n",
		       client);
	keep = false;
	assert_written(client(sizeof(out)),
		       "HTTP/1.1 200 OK\r\nServer: echo\r\nContent-Length: 5\r\n"
		       "Connection: close\r\n\r\n",
		       client);
	/* Chunked streams unchanged; a body to EOF closes the client's
	 * connection too. */
	parse_resp("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n");
	keep = true;
	assert_written(client(sizeof(out)),
		       "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n"
		       "Connection: keep-alive\r\n\r\n",
		       client);
	parse_resp("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
	assert_written(client(sizeof(out)),
		       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
		       client);
	/* The 101 of an upgrade keeps Upgrade and says Connection: upgrade. */
	parse_req("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
	parse_resp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		   "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n");
	assert_written(client(sizeof(out)),
		       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		       "Sec-WebSocket-Accept: x\r\nConnection: upgrade\r\n\r\n",
		       client);
}

static int a_status;
static const char *a_location;
static bool a_keep, a_head;

static ssize_t answer(size_t cap)
{
	return ing_http_answer(a_status, a_location, a_keep, a_head, out, cap);
}

static void answer_is(int status, const char *location, bool keep_alive, bool head,
		      const char *want)
{
	a_status = status;
	a_location = location;
	a_keep = keep_alive;
	a_head = head;
	assert_written(answer(sizeof(out)), want, answer);
}

#define TAIL "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

static void answers(void **state)
{
	answer_is(404, NULL, true, false,
		  "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 146\r\n"
		  "Connection: keep-alive\r\n\r\n"
		  "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
		  "<center><h1>404 Not Found</h1></center>\r\n" TAIL);
	answer_is(503, NULL, false, false,
		  "HTTP/1.1 503 Service Temporarily Unavailable\r\nContent-Type: text/html\r\n"
		  "Content-Length: 190\r\nConnection: close\r\n\r\n"
		  "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
		  "<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n" TAIL);
	/* What curl shows from ingress-nginx's ssl-redirect: 164 bytes. */
	answer_is(308, "https://myapp.com/", true, false,
		  "HTTP/1.1 308 Permanent Redirect\r\nContent-Type: text/html\r\n"
		  "Content-Length: 164\r\nConnection: keep-alive\r\nLocation: https://myapp.com/\r\n\r\n"
		  "<html>\r\n<head><title>308 Permanent Redirect</title></head>\r\n<body>\r\n"
		  "<center><h1>308 Permanent Redirect</h1></center>\r\n" TAIL);
	/* nginx's 302 line says "Moved Temporarily", its page "Found". */
	answer_is(302, "http://x/", true, false,
		  "HTTP/1.1 302 Moved Temporarily\r\nContent-Type: text/html\r\n"
		  "Content-Length: 138\r\nConnection: keep-alive\r\nLocation: http://x/\r\n\r\n"
		  "<html>\r\n<head><title>302 Found</title></head>\r\n<body>\r\n"
		  "<center><h1>302 Found</h1></center>\r\n" TAIL);
	/* A head too large is nginx's 494, sent as 400; bad requests close. */
	answer_is(431, NULL, true, false,
		  "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 226\r\n"
		  "Connection: close\r\n\r\n"
		  "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n"
		  "<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n"
		  "<center>Request Header Or Cookie Too Large</center>\r\n" TAIL);
	/* HEAD: the length of the page that is not sent. */
	answer_is(413, NULL, true, true,
		  "HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: text/html\r\n"
		  "Content-Length: 176\r\nConnection: close\r\n\r\n");

	static const struct {
		int status;
		const char *line;
		bool closes;
	} all[] = {
	    {301, "301 Moved Permanently", false},	{307, "307 Temporary Redirect", false},
	    {400, "400 Bad Request", true},		{403, "403 Forbidden", false},
	    {405, "405 Not Allowed", false},		{413, "413 Request Entity Too Large", true},
	    {414, "414 Request-URI Too Large", true},	{500, "500 Internal Server Error", true},
	    {501, "501 Not Implemented", true},		{502, "502 Bad Gateway", false},
	    {504, "504 Gateway Time-out", false},	{505, "505 HTTP Version Not Supported", true},
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char title[128];
		ssize_t n = ing_http_answer(all[i].status, NULL, true, false, out, sizeof(out));
		const char *body;
		unsigned long clen;

		assert_true(n > 0);
		out[n] = '\0';
		snprintf(title, sizeof(title), "HTTP/1.1 %s\r\n", all[i].line);
		assert_true(strncmp(out, title, strlen(title)) == 0);
		snprintf(title, sizeof(title), "<title>%s</title>", all[i].line);
		assert_non_null(strstr(out, title));
		assert_non_null(strstr(out, all[i].closes ? "\r\nConnection: close\r\n"
							  : "\r\nConnection: keep-alive\r\n"));
		body = strstr(out, "\r\n\r\n") + 4;
		assert_int_equal(sscanf(strstr(out, "Content-Length: "), "Content-Length: %lu", &clen),
				 1);
		assert_int_equal(clen, strlen(body));
		assert_string_equal(body + strlen(body) - strlen(TAIL), TAIL);
	}
	/* No page for a status nginx has none for; no header splitting. */
	assert_int_equal(ing_http_answer(299, NULL, true, false, out, sizeof(out)), -1);
	assert_int_equal(ing_http_answer(302, "http://x/\r\nSet-Cookie: a=b", true, false, out,
					 sizeof(out)),
			 -1);
}

static void log_line(void **state)
{
	struct ing_log l = {
	    .rq = &rq,
	    .client_ip = "10.0.0.9",
	    .start_ms = 1796598269123,	/* 06/Dec/2026:23:04:29.123 UTC */
	    .status = 200,
	    .body_bytes = 612,
	    .request_length = 78,
	    .request_ms = 3,
	    .upstream_name = "default-api-service-80",
	    .upstream_addr = "10.244.0.7:8080",
	    .upstream_length = 612,
	    .upstream_ms = 2,
	    .upstream_status = 200,
	    .request_id = "7f3c9f8e0d1b4a2c9e6f5d4c3b2a1908",
	};
	char line[512];
	size_t n;

	parse_req("GET /api/x?y=1 HTTP/1.1\r\nHost: myapp.com\r\nUser-Agent: curl/7.88.1\r\n"
		  "Referer: http://myapp.com/\r\n\r\n");
	n = ing_http_log_line(&l, line, sizeof(line));
	assert_string_equal(line, "10.0.0.9 - - [06/Dec/2026:23:04:29 +0000] \"GET /api/x?y=1 "
				  "HTTP/1.1\" 200 612 \"http://myapp.com/\" \"curl/7.88.1\" 78 0.003 "
				  "[default-api-service-80] [] 10.244.0.7:8080 612 0.002 200 "
				  "7f3c9f8e0d1b4a2c9e6f5d4c3b2a1908\n");
	assert_int_equal(n, strlen(line));

	/* No head read, no upstream: nginx's "-" for what has no value. */
	l = (struct ing_log){.client_ip = "10.0.0.9", .start_ms = 1796598269000, .status = 400,
			     .body_bytes = 150, .upstream_name = "", .upstream_addr = "",
			     .upstream_ms = -1, .request_id = "abc"};
	ing_http_log_line(&l, line, sizeof(line));
	assert_string_equal(line, "10.0.0.9 - - [06/Dec/2026:23:04:29 +0000] \"-\" 400 150 \"-\" "
				  "\"-\" 0 0.000 [] [] - - - - abc\n");

	/* An upstream that never answered (502 after a failed connect). */
	l.status = 502;
	l.upstream_name = "default-web-service-80";
	l.upstream_addr = "10.244.0.8:80";
	l.request_ms = 1500;
	ing_http_log_line(&l, line, sizeof(line));
	assert_string_equal(line, "10.0.0.9 - - [06/Dec/2026:23:04:29 +0000] \"-\" 502 150 \"-\" "
				  "\"-\" 0 1.500 [default-web-service-80] [] 10.244.0.8:80 0 - - "
				  "abc\n");

	/* nginx's escaping: '"', '\\' and bytes past 0x7e as \xHH. */
	parse_req("GET /\"q\\ HTTP/1.1\r\nHost: a\r\nUser-Agent: a\"b\\c\xc3\xa9\r\n\r\n");
	l.rq = &rq;
	ing_http_log_line(&l, line, sizeof(line));
	assert_non_null(strstr(line, "\"GET /\\x22q\\x5C HTTP/1.1\""));
	assert_non_null(strstr(line, "\"a\\x22b\\x5Cc\\xC3\\xA9\""));

	/* Truncated, it still ends the line. */
	n = ing_http_log_line(&l, line, 20);
	assert_int_equal(n, 19);
	assert_int_equal(line[18], '\n');
	assert_int_equal(line[19], '\0');
	assert_int_equal(ing_http_log_line(&l, line, 1), 0);
	assert_int_equal(line[0], '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(upstream_head),
	    cmocka_unit_test(upstream_head_upgrade_and_chunked),
	    cmocka_unit_test(client_head),
	    cmocka_unit_test(answers),
	    cmocka_unit_test(log_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
