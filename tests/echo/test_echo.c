/* `k1s echo-server` seen from its clients: a forked server on two TCP
 * ports and one UDP port of 127.0.0.1, driven over real sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "echo_int.h"

struct srv {
	pid_t pid;
	int tcp1, tcp2, udp;
	char log[64];
};

static struct srv srv;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int free_port(int type)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t sl = sizeof(a);
	int fd = socket(AF_INET, type, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int tcp_connect(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		assert_true(w > 0);
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* A client connection with what it has read and not consumed yet. */
struct client {
	int fd;
	size_t len;
	char buf[256 * 1024];
};

struct resp {
	int status;
	char head[4096];
	char *body; /* NUL-terminated, malloc'd */
	size_t body_len;
};

static struct client *client_new(int port)
{
	struct client *c = calloc(1, sizeof(*c));

	c->fd = tcp_connect(port);
	assert_true(c->fd >= 0);
	return c;
}

static void client_free(struct client *c)
{
	close(c->fd);
	free(c);
}

/* Reads until n bytes are buffered; false on EOF or timeout. */
static bool client_fill(struct client *c, size_t n)
{
	while (c->len < n) {
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);

		if (r <= 0)
			return false;
		c->len += (size_t)r;
	}
	return true;
}

static void client_eat(struct client *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Reads one response (head, and a Content-Length body unless head_only). */
static void read_resp(struct client *c, struct resp *r, bool head_only)
{
	char *end, *cl;
	size_t hl, bl = 0;

	for (;;) {
		end = memmem(c->buf, c->len, "\r\n\r\n", 4);
		if (end)
			break;
		if (!client_fill(c, c->len + 1))
			fail_msg("no response head (%zu bytes: %.*s)", c->len, (int)c->len, c->buf);
	}
	hl = (size_t)(end - c->buf) + 4;
	assert_true(hl < sizeof(r->head));
	memcpy(r->head, c->buf, hl);
	r->head[hl] = '\0';
	assert_int_equal(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
	cl = strcasestr(r->head, "\r\nContent-Length: ");
	if (cl)
		bl = strtoul(cl + 18, NULL, 10);
	if (head_only)
		bl = 0;
	if (!client_fill(c, hl + bl))
		fail_msg("short body");
	r->body = malloc(bl + 1);
	memcpy(r->body, c->buf + hl, bl);
	r->body[bl] = '\0';
	r->body_len = bl;
	client_eat(c, hl + bl);
}

/* The server closed: EOF with nothing more. */
static void assert_closed(struct client *c)
{
	char b;

	assert_int_equal(c->len, 0);
	assert_int_equal(recv(c->fd, &b, 1, 0), 0);
}

static json_t *resp_json(const struct resp *r)
{
	json_error_t e;
	json_t *j = json_loadb(r->body, r->body_len, 0, &e);

	if (!j)
		fail_msg("not JSON (%s): %s", e.text, r->body);
	assert_true(r->body_len > 0 && r->body[r->body_len - 1] == '\n');
	assert_non_null(strstr(r->head, "\r\nContent-Type: application/json\r\n"));
	return j;
}

static const char *jstr(json_t *j, const char *path)
{
	char key[128], *dot;
	json_t *v = j;
	const char *p = path;

	while (v && p) {
		dot = strchr(p, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - p) : (int)strlen(p), p);
		v = json_object_get(v, key);
		p = dot ? dot + 1 : NULL;
	}
	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	return json_string_value(v);
}

static long long jint(json_t *j, const char *path)
{
	json_t *v = json_object_get(j, "request");

	if (strcmp(path, "port") == 0)
		v = json_object_get(j, "port");
	else
		v = json_object_get(v, path);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	return json_integer_value(v);
}

static int group_setup(void **state)
{
	char p1[16], p2[16], p3[16];
	int fd = -1;

	srv.tcp1 = free_port(SOCK_STREAM);
	do
		srv.tcp2 = free_port(SOCK_STREAM);
	while (srv.tcp2 == srv.tcp1);
	srv.udp = free_port(SOCK_DGRAM);
	snprintf(p1, sizeof(p1), "%d", srv.tcp1);
	snprintf(p2, sizeof(p2), "%d/tcp", srv.tcp2);
	snprintf(p3, sizeof(p3), "%d/UDP", srv.udp);
	snprintf(srv.log, sizeof(srv.log), "/tmp/k1s-echo-log-XXXXXX");
	fd = mkstemp(srv.log);
	if (fd < 0)
		return -1;
	setenv("POD_NAME", "api-7d9f8-x2x4q", 1);
	setenv("POD_NAMESPACE", "default", 1);
	setenv("POD_IP", "10.244.0.7", 1);
	setenv("NODE_NAME", "node-1", 1);
	setenv("POD_IMAGE", "my-api:1.0", 1);
	setenv("CONTAINER_NAME", "api", 1);
	fflush(stdout);
	srv.pid = fork();
	if (srv.pid < 0)
		return -1;
	if (srv.pid == 0) {
		char *argv[] = {"echo-server", "--port", p1, "--port", p2, "--port", p3, NULL};

		dup2(fd, 1);
		close(fd);
		_exit(pod_echo_main(7, argv));
	}
	close(fd);
	/* Ready when both TCP ports accept. */
	for (int i = 0; i < 500; i++) {
		int a = tcp_connect(srv.tcp1), b = a >= 0 ? tcp_connect(srv.tcp2) : -1;

		if (a >= 0)
			close(a);
		if (b >= 0) {
			close(b);
			return 0;
		}
		usleep(10000);
	}
	return -1;
}

static int group_teardown(void **state)
{
	if (srv.pid > 0) {
		kill(srv.pid, SIGKILL);
		waitpid(srv.pid, NULL, 0);
	}
	unlink(srv.log);
	return 0;
}

static void http_get_names_pod_and_request(void **state)
{
	struct client *c = client_new(srv.tcp1);
	struct resp r;
	json_t *j, *h;

	send_str(c->fd,
	         "GET /hello/world?x=1&y=%20 HTTP/1.1\r\nHost: api-service\r\n"
	         "User-Agent: curl/8.5.0\r\nX-Test: a\r\nx-test:  b \r\nAccept: */*\r\n\r\n");
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_string_equal(jstr(j, "pod"), "api-7d9f8-x2x4q");
	assert_string_equal(jstr(j, "namespace"), "default");
	assert_string_equal(jstr(j, "podIP"), "10.244.0.7");
	assert_string_equal(jstr(j, "node"), "node-1");
	assert_string_equal(jstr(j, "image"), "my-api:1.0");
	assert_string_equal(jstr(j, "container"), "api");
	assert_int_equal(jint(j, "port"), srv.tcp1);
	assert_string_equal(jstr(j, "request.method"), "GET");
	assert_string_equal(jstr(j, "request.path"), "/hello/world");
	assert_string_equal(jstr(j, "request.query"), "x=1&y=%20");
	assert_int_equal(strncmp(jstr(j, "request.remoteAddr"), "127.0.0.1:", 10), 0);
	assert_int_equal(jint(j, "bodyBytes"), 0);
	h = json_object_get(json_object_get(j, "request"), "headers");
	assert_int_equal(json_object_size(h), 4);
	assert_string_equal(json_string_value(json_object_get(h, "Host")), "api-service");
	assert_string_equal(json_string_value(json_object_get(h, "User-Agent")), "curl/8.5.0");
	/* Repeated fields: one member, values joined. */
	assert_string_equal(json_string_value(json_object_get(h, "X-Test")), "a, b");
	json_decref(j);
	free(r.body);
	client_free(c);

	/* The second TCP port answers too, naming its own port. */
	c = client_new(srv.tcp2);
	send_str(c->fd, "DELETE /items/3 HTTP/1.1\r\nHost: x\r\n\r\n");
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_int_equal(jint(j, "port"), srv.tcp2);
	assert_string_equal(jstr(j, "request.method"), "DELETE");
	assert_string_equal(jstr(j, "request.query"), "");
	json_decref(j);
	free(r.body);
	client_free(c);
}

static void http_keep_alive_and_close(void **state)
{
	struct client *c = client_new(srv.tcp1);
	struct resp r;
	json_t *j;

	/* Two requests, one after the other, on one connection. */
	send_str(c->fd, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.head, "Connection: keep-alive"));
	free(r.body);
	send_str(c->fd, "GET /two HTTP/1.1\r\nHost: x\r\n\r\n");
	read_resp(c, &r, false);
	j = resp_json(&r);
	assert_string_equal(jstr(j, "request.path"), "/two");
	json_decref(j);
	free(r.body);
	/* Pipelined, in one write: answered in order. */
	send_str(c->fd,
	         "GET /three HTTP/1.1\r\nHost: x\r\n\r\nGET /four HTTP/1.1\r\nHost: x\r\n\r\n");
	read_resp(c, &r, false);
	j = resp_json(&r);
	assert_string_equal(jstr(j, "request.path"), "/three");
	json_decref(j);
	free(r.body);
	read_resp(c, &r, false);
	j = resp_json(&r);
	assert_string_equal(jstr(j, "request.path"), "/four");
	json_decref(j);
	free(r.body);
	/* Connection: close ends it after the answer. */
	send_str(c->fd, "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.head, "Connection: close"));
	free(r.body);
	assert_closed(c);
	client_free(c);

	/* HTTP/1.0 closes unless asked not to. */
	c = client_new(srv.tcp1);
	send_str(c->fd, "GET / HTTP/1.0\r\n\r\n");
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	free(r.body);
	assert_closed(c);
	client_free(c);
	c = client_new(srv.tcp1);
	send_str(c->fd, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	read_resp(c, &r, false);
	free(r.body);
	send_str(c->fd, "GET /again HTTP/1.0\r\n\r\n");
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	free(r.body);
	assert_closed(c);
	client_free(c);
}

static void http_post_counts_body(void **state)
{
	struct client *c = client_new(srv.tcp1);
	static char body[300000];
	struct resp r;
	json_t *j;

	memset(body, 'z', sizeof(body));
	send_str(c->fd, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
	                "Content-Length: 300000\r\n\r\n");
	/* In pieces, so that the body spans many reads. */
	for (size_t off = 0; off < sizeof(body); off += 70000) {
		size_t n = sizeof(body) - off < 70000 ? sizeof(body) - off : 70000;

		send_all(c->fd, body + off, n);
	}
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_string_equal(jstr(j, "request.method"), "POST");
	assert_int_equal(jint(j, "bodyBytes"), 300000);
	json_decref(j);
	free(r.body);
	/* The framing held: the next request on the connection is its own. */
	send_str(c->fd, "PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET "
	                "/after HTTP/1.1\r\nHost: x\r\n\r\n");
	read_resp(c, &r, false);
	j = resp_json(&r);
	assert_int_equal(jint(j, "bodyBytes"), 5);
	json_decref(j);
	free(r.body);
	read_resp(c, &r, false);
	j = resp_json(&r);
	assert_string_equal(jstr(j, "request.path"), "/after");
	assert_int_equal(jint(j, "bodyBytes"), 0);
	json_decref(j);
	free(r.body);

	/* Expect: 100-continue gets its interim answer before the body. */
	send_str(c->fd, "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n"
	                "Expect: 100-continue\r\n\r\n");
	assert_true(client_fill(c, 25));
	assert_memory_equal(c->buf, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	client_eat(c, 25);
	send_all(c->fd, body, 2000);
	read_resp(c, &r, false);
	j = resp_json(&r);
	assert_int_equal(jint(j, "bodyBytes"), 2000);
	json_decref(j);
	free(r.body);
	client_free(c);
}

static void http_healthz_and_head(void **state)
{
	struct client *c = client_new(srv.tcp2);
	struct resp r;

	send_str(c->fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"status\":\"ok\"}\n");
	free(r.body);
	/* HEAD: the length of the answer, without it. */
	send_str(c->fd, "HEAD /page HTTP/1.1\r\nHost: x\r\n\r\n");
	read_resp(c, &r, true);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.head, "Content-Length: "));
	free(r.body);
	send_str(c->fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	read_resp(c, &r, false);
	assert_string_equal(r.body, "{\"status\":\"ok\"}\n");
	free(r.body);
	client_free(c);
}

static void http_errors(void **state)
{
	static const struct {
		const char *req;
		int status;
	} cases[] = {
	    {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\n  folded\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400},
	    {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nContent-Length: 1073741825\r\n\r\n", 413},
	};
	struct resp r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct client *c = client_new(srv.tcp1);

		send_str(c->fd, cases[i].req);
		read_resp(c, &r, false);
		if (r.status != cases[i].status)
			fail_msg("case %zu: %d, want %d", i, r.status, cases[i].status);
		assert_non_null(strstr(r.head, "Content-Type: text/plain"));
		assert_true(r.body_len > 0);
		free(r.body);
		assert_closed(c);
		client_free(c);
	}
	/* A bad request after a good one on the same connection. */
	{
		struct client *c = client_new(srv.tcp1);

		send_str(c->fd, "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nno colon\r\n\r\n");
		read_resp(c, &r, false);
		assert_int_equal(r.status, 200);
		free(r.body);
		read_resp(c, &r, false);
		assert_int_equal(r.status, 400);
		assert_string_equal(r.body, "malformed HTTP request\n");
		free(r.body);
		assert_closed(c);
		client_free(c);
	}
}

static void http_oversized_head(void **state)
{
	static char big[24000];
	struct client *c = client_new(srv.tcp1);
	struct resp r;
	size_t n;

	/* One header past the 16 KiB limit; the client is still sending
	 * when the answer comes, and still gets it. */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ");
	memset(big + n, 'a', 20000);
	n += 20000;
	memcpy(big + n, "\r\n\r\n", 4);
	send_all(c->fd, big, n + 4);
	read_resp(c, &r, false);
	assert_int_equal(r.status, 431);
	free(r.body);
	assert_closed(c);
	client_free(c);

	/* Too many header fields. */
	c = client_new(srv.tcp1);
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X-H%d: v\r\n", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	send_all(c->fd, big, n);
	read_resp(c, &r, false);
	assert_int_equal(r.status, 431);
	free(r.body);
	client_free(c);

	/* A request line that never ends. */
	c = client_new(srv.tcp1);
	n = (size_t)snprintf(big, sizeof(big), "GET /");
	memset(big + n, 'p', 17000);
	send_all(c->fd, big, n + 17000);
	read_resp(c, &r, false);
	assert_int_equal(r.status, 431);
	free(r.body);
	client_free(c);
}

/* A chunked body with extensions and trailers (11 data bytes), then the
 * start of a pipelined request that is not the body's. */
static const char chunked_body[] = "5;name=value;q=\"a b\"\r\nhello\r\n"
                                   "6 \r\n world\r\n"
                                   "000\r\n"
                                   "X-Checksum: 1234\r\nX-Other: x\r\n"
                                   "\r\n";
static const char after_body[] = "GET /next HTTP/1.1\r\n";

static void chunked_decoder_every_split(void **state)
{
	char in[sizeof(chunked_body) + sizeof(after_body)];
	size_t body = sizeof(chunked_body) - 1, len = body + sizeof(after_body) - 1;

	memcpy(in, chunked_body, body);
	memcpy(in + body, after_body, sizeof(after_body) - 1);
	/* Two pieces, split at every byte: the same verdict each time, and
	 * the pipelined bytes are left alone. */
	for (size_t cut = 0; cut <= len; cut++) {
		struct pod_echo_chunked ck;
		ssize_t a, b = 0;

		pod_echo_chunked_init(&ck, POD_ECHO_BODY_MAX);
		a = pod_echo_chunked_feed(&ck, in, cut);
		if (!ck.ck_done)
			b = pod_echo_chunked_feed(&ck, in + cut, len - cut);
		if (!ck.ck_done || a < 0 || b < 0 || (size_t)(a + b) != body)
			fail_msg("cut at %zu: %zd + %zd, done %d", cut, a, b, ck.ck_done);
		assert_int_equal(ck.ck_total, 11);
		/* Done takes no more. */
		assert_int_equal(pod_echo_chunked_feed(&ck, after_body, 3), 0);
	}
	/* One byte at a time. */
	{
		struct pod_echo_chunked ck;
		size_t used = 0;

		pod_echo_chunked_init(&ck, POD_ECHO_BODY_MAX);
		for (size_t i = 0; i < len && !ck.ck_done; i++)
			used += (size_t)pod_echo_chunked_feed(&ck, in + i, 1);
		assert_true(ck.ck_done);
		assert_int_equal(used, body);
		assert_int_equal(ck.ck_total, 11);
	}
}

static void chunked_decoder_refuses(void **state)
{
	static const struct {
		const char *body;
		int err;
	} cases[] = {
	    {"x\r\n", -EBADMSG},                        /* not hex */
	    {"-5\r\nhello\r\n0\r\n\r\n", -EBADMSG},     /* a sign */
	    {"0x5\r\nhello\r\n0\r\n\r\n", -EBADMSG},    /* a prefix */
	    {"\r\n", -EBADMSG},                         /* no size */
	    {" 5\r\nhello\r\n0\r\n\r\n", -EBADMSG},     /* blank before */
	    {"5\nhello\r\n0\r\n\r\n", -EBADMSG},        /* bare LF */
	    {"5\rhello\r\n0\r\n\r\n", -EBADMSG},        /* bare CR */
	    {"5;a\nb\r\nhello\r\n0\r\n\r\n", -EBADMSG}, /* LF in an extension */
	    {"5\r\nhelloX\r\n0\r\n\r\n", -EBADMSG},     /* data longer than its size */
	    {"5\r\nhello\n0\r\n\r\n", -EBADMSG},        /* bare LF after data */
	    {"0\r\nX: y\n\r\n", -EBADMSG},              /* bare LF in a trailer */
	    {"0\r\n\n", -EBADMSG},                      /* bare LF at the end */
	    {"0\r\n\rx", -EBADMSG},                     /* CR not followed by LF */
	    {"10000000000000000\r\n", -EBADMSG},        /* overflows 64 bits */
	    {"40000001\r\n", -EFBIG},                   /* past 1 GiB */
	    {"3fffffff\r\n", 0},                        /* 1 GiB - 1: fine so far */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pod_echo_chunked ck;
		ssize_t r;

		pod_echo_chunked_init(&ck, POD_ECHO_BODY_MAX);
		r = pod_echo_chunked_feed(&ck, cases[i].body, strlen(cases[i].body));
		if (cases[i].err ? r != cases[i].err : r != (ssize_t)strlen(cases[i].body))
			fail_msg("case %zu (%s): %zd, want %d", i, cases[i].body, r, cases[i].err);
		assert_false(ck.ck_done);
		/* An error sticks. */
		if (cases[i].err)
			assert_int_equal(pod_echo_chunked_feed(&ck, "0\r\n\r\n", 5), cases[i].err);
	}
	/* The sum of the chunks counts against the limit, not each alone. */
	{
		struct pod_echo_chunked ck;

		pod_echo_chunked_init(&ck, 8);
		assert_int_equal(pod_echo_chunked_feed(&ck, "5\r\nhello\r\n", 10), 10);
		assert_int_equal(pod_echo_chunked_feed(&ck, "4\r\n", 3), -EFBIG);
	}
	/* Lines are bounded: an endless extension or trailer section is not
	 * read forever. */
	{
		static char big[POD_ECHO_HEAD_MAX + 64];
		struct pod_echo_chunked ck;

		memset(big, 'e', sizeof(big));
		big[0] = '1';
		big[1] = ';';
		pod_echo_chunked_init(&ck, POD_ECHO_BODY_MAX);
		assert_int_equal(pod_echo_chunked_feed(&ck, big, POD_ECHO_CHUNK_LINE_MAX),
		                 POD_ECHO_CHUNK_LINE_MAX);
		assert_int_equal(pod_echo_chunked_feed(&ck, "e", 1), -EMSGSIZE);
		pod_echo_chunked_init(&ck, POD_ECHO_BODY_MAX);
		assert_int_equal(pod_echo_chunked_feed(&ck, "0\r\n", 3), 3);
		assert_int_equal(pod_echo_chunked_feed(&ck, big, sizeof(big)), -EMSGSIZE);
	}
}

static void http_chunked_body_counted(void **state)
{
	struct client *c = client_new(srv.tcp1);
	char req[512];
	struct resp r;
	json_t *j;
	int n, one = 1;

	/* In one write, with a pipelined request right after the body. */
	n = snprintf(req, sizeof(req),
	             "POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%s"
	             "GET /next HTTP/1.1\r\nHost: x\r\n\r\n",
	             chunked_body);
	send_all(c->fd, req, (size_t)n);
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_string_equal(jstr(j, "request.path"), "/chunks");
	assert_int_equal(jint(j, "bodyBytes"), 11);
	json_decref(j);
	free(r.body);
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_string_equal(jstr(j, "request.path"), "/next");
	assert_int_equal(jint(j, "bodyBytes"), 0);
	json_decref(j);
	free(r.body);

	/* One byte per write, so that the server sees the body cut at every
	 * byte boundary; the request after it still stands alone. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	n = snprintf(req, sizeof(req),
	             "PUT /slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n%s"
	             "DELETE /then HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok",
	             chunked_body);
	for (int i = 0; i < n; i++) {
		send_all(c->fd, req + i, 1);
		usleep(500);
	}
	read_resp(c, &r, false);
	j = resp_json(&r);
	assert_string_equal(jstr(j, "request.path"), "/slow");
	assert_int_equal(jint(j, "bodyBytes"), 11);
	json_decref(j);
	free(r.body);
	read_resp(c, &r, false);
	j = resp_json(&r);
	assert_string_equal(jstr(j, "request.path"), "/then");
	assert_int_equal(jint(j, "bodyBytes"), 2);
	json_decref(j);
	free(r.body);

	/* Expect: 100-continue: the interim answer, then the chunks. */
	send_str(c->fd, "POST /ask HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	                "Expect: 100-continue\r\n\r\n");
	assert_true(client_fill(c, 25));
	assert_memory_equal(c->buf, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	client_eat(c, 25);
	send_str(c->fd, "3\r\nabc\r\n0\r\n\r\n");
	read_resp(c, &r, false);
	j = resp_json(&r);
	assert_int_equal(jint(j, "bodyBytes"), 3);
	json_decref(j);
	free(r.body);
	/* The body already here: no interim answer, only the final one. */
	send_str(c->fd, "POST /told HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	                "Expect: 100-continue\r\n\r\n0\r\n\r\n");
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_int_equal(jint(j, "bodyBytes"), 0);
	json_decref(j);
	free(r.body);
	client_free(c);
}

static void http_chunked_many_mib(void **state)
{
	struct client *c = client_new(srv.tcp2);
	static char chunk[65536 + 16];
	struct resp r;
	json_t *j;
	int hl;

	/* 4 MiB in 64 KiB chunks. */
	send_str(c->fd, "POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	hl = snprintf(chunk, sizeof(chunk), "10000\r\n");
	memset(chunk + hl, 'c', 65536);
	memcpy(chunk + hl + 65536, "\r\n", 2);
	for (int i = 0; i < 64; i++)
		send_all(c->fd, chunk, (size_t)hl + 65536 + 2);
	send_str(c->fd, "0\r\n\r\n");
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_int_equal(jint(j, "bodyBytes"), 4 * 1024 * 1024);
	json_decref(j);
	free(r.body);
	client_free(c);
}

static void http_content_length_4mib(void **state)
{
	struct client *c = client_new(srv.tcp2);
	static char body[4 * 1024 * 1024];
	struct resp r;
	json_t *j;

	memset(body, 'b', sizeof(body));
	send_str(c->fd, "PUT /blob HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n");
	send_all(c->fd, body, sizeof(body));
	send_str(c->fd, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_int_equal(jint(j, "bodyBytes"), 4194304);
	json_decref(j);
	free(r.body);
	read_resp(c, &r, false);
	j = resp_json(&r);
	assert_string_equal(jstr(j, "request.path"), "/after");
	json_decref(j);
	free(r.body);
	client_free(c);
}

static void http_chunked_errors(void **state)
{
	static const struct {
		const char *req;
		int status;
		const char *text;
	} cases[] = {
	    /* Malformed sizes and framing: 400, and the connection closes. */
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
	     "malformed chunked body\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400,
	     "malformed chunked body\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0x10\r\n", 400,
	     "malformed chunked body\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400,
	     "malformed chunked body\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400,
	     "malformed chunked body\n"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400,
	     "malformed chunked body\n"},
	    /* The head itself: two Transfer-Encodings, or one in HTTP/1.0. */
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	     400, "malformed HTTP request\n"},
	    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
	     "malformed HTTP request\n"},
	    /* Codings other than chunked alone: 501, as nginx. */
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, NULL},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, NULL},
	    /* nginx's order: the unknown coding before the Content-Length. */
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nhi", 501,
	     NULL},
	    /* Past 1 GiB: refused at the size, before the data. */
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40000001\r\n", 413,
	     "request body too large\n"},
	};
	struct resp r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct client *c = client_new(srv.tcp1);

		send_str(c->fd, cases[i].req);
		read_resp(c, &r, false);
		if (r.status != cases[i].status)
			fail_msg("case %zu: %d, want %d", i, r.status, cases[i].status);
		if (cases[i].text)
			assert_string_equal(r.body, cases[i].text);
		assert_non_null(strstr(r.head, "Connection: close"));
		free(r.body);
		assert_closed(c);
		client_free(c);
	}
}

static void http_longest_head_with_body(void **state)
{
	static char req[POD_ECHO_HEAD_MAX + 64];
	struct client *c = client_new(srv.tcp1);
	const char *start = "POST /full HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-Pad: ";
	struct resp r;
	json_t *j;
	size_t n = strlen(start);

	/* A head of exactly the limit still leaves room to read its body. */
	memcpy(req, start, n);
	memset(req + n, 'p', POD_ECHO_HEAD_MAX - n - 4);
	memcpy(req + POD_ECHO_HEAD_MAX - 4, "\r\n\r\nhello", 9);
	send_all(c->fd, req, POD_ECHO_HEAD_MAX + 5);
	read_resp(c, &r, false);
	assert_int_equal(r.status, 200);
	j = resp_json(&r);
	assert_int_equal(jint(j, "bodyBytes"), 5);
	json_decref(j);
	free(r.body);
	client_free(c);
}

static void tcp_raw_echo(void **state)
{
	struct client *c = client_new(srv.tcp2);
	static unsigned char bin[100000];
	struct pollfd p;

	/* Nothing sent, nothing answered. */
	p.fd = c->fd;
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, 300), 0);
	send_str(c->fd, "hello world\n");
	assert_true(client_fill(c, 12));
	assert_memory_equal(c->buf, "hello world\n", 12);
	client_eat(c, 12);
	/* Binary, more than the buffers, while reading only at the end:
	 * the echo waits for the reader rather than dropping bytes. */
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + (i >> 8));
	send_all(c->fd, bin, sizeof(bin));
	assert_true(client_fill(c, sizeof(bin)));
	assert_int_equal(c->len, sizeof(bin));
	assert_memory_equal(c->buf, bin, sizeof(bin));
	client_eat(c, sizeof(bin));
	/* Something that starts like HTTP but is not. */
	send_str(c->fd, "GET / HTTP/2.0\r\n");
	assert_true(client_fill(c, 16));
	assert_memory_equal(c->buf, "GET / HTTP/2.0\r\n", 16);
	client_eat(c, 16);
	/* Our EOF: everything echoed, then the server's. */
	send_str(c->fd, "bye");
	shutdown(c->fd, SHUT_WR);
	assert_true(client_fill(c, 3));
	assert_memory_equal(c->buf, "bye", 3);
	client_eat(c, 3);
	assert_closed(c);
	client_free(c);

	/* A prefix of a request line, then EOF: echoed as it is. */
	c = client_new(srv.tcp1);
	send_str(c->fd, "GET /x");
	shutdown(c->fd, SHUT_WR);
	assert_true(client_fill(c, 6));
	assert_memory_equal(c->buf, "GET /x", 6);
	client_eat(c, 6);
	assert_closed(c);
	client_free(c);
}

static void udp_echo(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.udp)};
	struct timeval tv = {.tv_sec = 5};
	char buf[2048], big[1400];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ssize_t n;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(send(fd, "ping", 4, 0), 4);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "ping", 4);
	memset(big, 'u', sizeof(big));
	assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	n = recv(fd, buf, sizeof(buf), 0);
	assert_int_equal(n, (ssize_t)sizeof(big));
	assert_memory_equal(buf, big, sizeof(big));
	/* Even an HTTP request is just a datagram here. */
	assert_int_equal(send(fd, "GET / HTTP/1.1\r\n\r\n", 18, 0), 18);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_int_equal(n, 18);
	close(fd);
}

static void requests_are_logged(void **state)
{
	char log[65536];
	FILE *f;
	size_t n;

	/* The connections above are closed; give the server a moment to
	 * log the last raw one. */
	usleep(100000);
	f = fopen(srv.log, "r");
	assert_non_null(f);
	n = fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[n] = '\0';
	if (!strstr(log, "listening on"))
		fail_msg("no start line in: %s", log);
	if (!strstr(log, "GET /hello/world?x=1&y=%20 200 from 127.0.0.1:"))
		fail_msg("no request line in: %s", log);
	assert_non_null(strstr(log, "POST /upload 200 from 127.0.0.1:"));
	assert_non_null(strstr(log, " 431 from 127.0.0.1:"));
	assert_non_null(strstr(log, " 400 from 127.0.0.1:"));
	assert_non_null(strstr(log, "UDP 4 bytes echoed to 127.0.0.1:"));
	assert_non_null(strstr(log, "TCP 100031 bytes echoed to 127.0.0.1:"));
}

static void sigterm_exits_zero_promptly(void **state)
{
	int idle = tcp_connect(srv.tcp1), busy = tcp_connect(srv.tcp2), status = -1;
	double t0;
	pid_t w = 0;

	/* Open connections, one idle and one mid-request, do not hold it. */
	assert_true(idle >= 0 && busy >= 0);
	send_str(busy, "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc");
	usleep(50000);
	t0 = now_s();
	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	while (now_s() - t0 < 3) {
		w = waitpid(srv.pid, &status, WNOHANG);
		if (w == srv.pid)
			break;
		usleep(5000);
	}
	assert_int_equal(w, srv.pid);
	srv.pid = 0;
	assert_true(now_s() - t0 < 1.0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The listeners are gone. */
	assert_true(tcp_connect(srv.tcp1) < 0);
	close(idle);
	close(busy);
}

static void bad_arguments(void **state)
{
	char *a1[] = {"echo-server", "--port", "0", NULL};
	char *a2[] = {"echo-server", "--port", "80/http", NULL};
	char *a3[] = {"echo-server", "--verbose", NULL};
	char *a4[] = {"echo-server", "--port", "70000", NULL};

	assert_int_equal(pod_echo_main(3, a1), 2);
	assert_int_equal(pod_echo_main(3, a2), 2);
	assert_int_equal(pod_echo_main(2, a3), 2);
	assert_int_equal(pod_echo_main(3, a4), 2);
}

static void port_in_use_fails(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t sl = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char port[16];
	char *argv[] = {"echo-server", "--port", port, NULL};

	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
	snprintf(port, sizeof(port), "%d", ntohs(a.sin_port));
	/* A container that cannot listen exits non-zero: its restarts show. */
	assert_int_equal(pod_echo_main(3, argv), 1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(http_get_names_pod_and_request),
	    cmocka_unit_test(http_keep_alive_and_close),
	    cmocka_unit_test(http_post_counts_body),
	    cmocka_unit_test(chunked_decoder_every_split),
	    cmocka_unit_test(chunked_decoder_refuses),
	    cmocka_unit_test(http_chunked_body_counted),
	    cmocka_unit_test(http_chunked_many_mib),
	    cmocka_unit_test(http_content_length_4mib),
	    cmocka_unit_test(http_chunked_errors),
	    cmocka_unit_test(http_healthz_and_head),
	    cmocka_unit_test(http_errors),
	    cmocka_unit_test(http_oversized_head),
	    cmocka_unit_test(http_longest_head_with_body),
	    cmocka_unit_test(tcp_raw_echo),
	    cmocka_unit_test(udp_echo),
	    cmocka_unit_test(requests_are_logged),
	    cmocka_unit_test(sigterm_exits_zero_promptly),
	    cmocka_unit_test(bad_arguments),
	    cmocka_unit_test(port_in_use_fails),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
