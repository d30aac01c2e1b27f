/* The ingress over a real store and real sockets: Ingresses, Services and
 * Endpoints written as a client would, upstream HTTP servers on
 * 127.0.0.1 run by the test, and clients speaking raw HTTP/1.1 to the
 * ingress's listener on 127.0.0.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../fakes/fake_writer.h"
#include "../fakes/loopback.h"
#include "../fakes/pub_sync.h"
#include "ing.h"
#include "ing_int.h"
#include "k1s_loop.h"

/* ---- upstreams: each request is answered by what its path asks ---- */

struct upstream {
	int fd, port;
	pthread_t th;
	int accepted;
	char id;
};

static int read_head(int fd, char *buf, size_t cap, size_t *have)
{
	for (;;) {
		char *end;
		ssize_t n;

		buf[*have] = 0;
		if ((end = strstr(buf, "\r\n\r\n")))
			return (int)(end - buf) + 4;
		if (*have >= cap - 1)
			return -1;
		n = recv(fd, buf + *have, cap - 1 - *have, 0);
		if (n <= 0)
			return -1;
		*have += (size_t)n;
	}
}

/* Reads and drops the request body; its length in bytes of data. */
static long read_body(int fd, char *buf, size_t head, size_t *have)
{
	const char *cl = strcasestr(buf, "\r\ncontent-length:");
	long want, got;

	if (strcasestr(buf, "\r\ntransfer-encoding: chunked")) {
		/* Enough for these tests: the body ends with the last chunk. */
		size_t start = head;

		for (;;) {
			buf[*have] = 0;
			if (strstr(buf + start, "0\r\n\r\n"))
				break;
			ssize_t n = recv(fd, buf + *have, 65535 - *have, 0);

			if (n <= 0)
				return -1;
			*have += (size_t)n;
		}
		return (long)(*have - head);
	}
	if (!cl || (want = atol(cl + 17)) <= 0)
		return 0;
	got = (long)(*have - head);
	while (got < want) {
		char tmp[65536];
		ssize_t n = recv(fd, tmp, sizeof(tmp), 0);

		if (n <= 0)
			return -1;
		got += n;
	}
	return want;
}

static void send_str(int fd, const char *s)
{
	send(fd, s, strlen(s), MSG_NOSIGNAL);
}

static void *upstream_conn(void *arg)
{
	struct upstream *u = ((void **)arg)[0];
	int fd = (int)(intptr_t)((void **)arg)[1];
	char buf[65536], body[70000], out[72000];

	free(arg);
	for (;;) {
		size_t have = 0;
		int head = read_head(fd, buf, sizeof(buf), &have);
		long blen;

		if (head < 0)
			break;
		buf[head - 2] = 0;	/* the head, one CRLF kept */
		blen = read_body(fd, buf, (size_t)head, &have);
		if (blen < 0)
			break;
		if (strncmp(buf, "GET /slow", 9) == 0) {
			sleep(3);
			break;
		}
		if (strncmp(buf, "GET /chunked", 12) == 0) {
			send_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
			usleep(20000);
			send_str(fd, "6\r\n world\r\n0\r\n\r\n");
			continue;
		}
		if (strncmp(buf, "GET /eof", 8) == 0) {
			send_str(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
			break;
		}
		if (strncmp(buf, "GET /ws", 7) == 0) {
			char b[256];
			ssize_t n;

			send_str(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				     "Connection: Upgrade\r\n\r\n");
			while ((n = recv(fd, b, sizeof(b), 0)) > 0)
				send(fd, b, (size_t)n, MSG_NOSIGNAL);
			break;
		}
		/* Anything else: who answered, the body's length, and the head
		 * as it arrived. */
		snprintf(body, sizeof(body), "%c %ld\n%s", u->id, blen, buf);
		snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
			 strlen(body), body);
		send_str(fd, out);
	}
	close(fd);
	return NULL;
}

static void *upstream_main(void *arg)
{
	struct upstream *u = arg;

	for (;;) {
		int fd = accept(u->fd, NULL, NULL);
		void **a;
		pthread_t t;

		if (fd < 0)
			return NULL;
		__atomic_add_fetch(&u->accepted, 1, __ATOMIC_SEQ_CST);
		a = malloc(2 * sizeof(void *));
		a[0] = u;
		a[1] = (void *)(intptr_t)fd;
		pthread_create(&t, NULL, upstream_conn, a);
		pthread_detach(t);
	}
}

static void upstream_start(struct upstream *u, char id)
{
	memset(u, 0, sizeof(*u));
	u->id = id;
	u->fd = lo_bind(SOCK_STREAM, &u->port);
	assert_true(u->fd >= 0);
	pthread_create(&u->th, NULL, upstream_main, u);
}

static void upstream_stop(struct upstream *u)
{
	shutdown(u->fd, SHUT_RDWR);
	close(u->fd);
	pthread_join(u->th, NULL);
}

/* ---- fixture ---- */

struct fx {
	char dir[64];
	struct st *st;
	struct k1s_loop *loop;
	struct fake_writer fw;
	struct ing *ing;
	int port;
	struct upstream up[2];
};

/* Lets the control loop take the store's changes and waits until every
 * loop runs the new snapshot. */
static void sync_ing(struct fx *fx)
{
	if (pub_sync(fx->loop, &fx->ing->pub) < 0)
		fail_msg("loops did not take the table");
}

static const struct k1s_resource *res(const char *group, const char *name)
{
	return k1s_resource_find(group, name);
}

static void put(struct fx *fx, const struct k1s_resource *r, json_t *obj)
{
	const char *ns = k1s_json_str(obj, "metadata.namespace") ?: "default";
	json_t *old = NULL;
	char key[128];

	fw_key(key, sizeof(key), r);
	if (st_get(fx->st, key, ns, k1s_json_str(obj, "metadata.name"), &old) == 0) {
		json_decref(old);
		assert_int_equal(fx->fw.w.update(fx->fw.w.arg, r, obj, false), 0);
	} else {
		assert_int_equal(fx->fw.w.create(fx->fw.w.arg, r, obj), 0);
	}
	json_decref(obj);
}

/* Service `name` port 80 "http", and its Endpoints at 127.0.0.1:port each. */
static void put_svc(struct fx *fx, const char *name, int n, ...)
{
	json_t *addrs = json_array(), *ports = json_array();
	va_list ap;

	put(fx, res("", "services"),
	    json_pack("{s:{s:s,s:s}, s:{s:s,s:[{s:s,s:i,s:i}]}}", "metadata", "name", name,
		      "namespace", "default", "spec", "clusterIP", "10.96.1.1", "ports", "name",
		      "http", "port", 80, "targetPort", 8080));
	va_start(ap, n);
	json_t *subsets = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(
			subsets, json_pack("{s:[{s:s}], s:[{s:s,s:i,s:s}]}", "addresses", "ip",
					   "127.0.0.1", "ports", "name", "http", "port",
					   va_arg(ap, int), "protocol", "TCP"));
	va_end(ap);
	json_decref(addrs);
	json_decref(ports);
	put(fx, res("", "endpoints"),
	    json_pack("{s:{s:s,s:s}, s:o}", "metadata", "name", name, "namespace", "default",
		      "subsets", subsets));
}

/* Ingress `name`: host -> path (Prefix) -> service port 80, with
 * annotations given as a JSON object (or NULL). */
static void put_ing(struct fx *fx, const char *name, const char *host, const char *path,
		    const char *svc, json_t *annotations)
{
	json_t *ing = json_pack(
		"{s:{s:s,s:s}, s:{s:s, s:[{s:s, s:{s:[{s:s,s:s,s:{s:{s:s,s:{s:i}}}}]}}]}}",
		"metadata", "name", name, "namespace", "default", "spec", "ingressClassName",
		"nginx", "rules", "host", host, "http", "paths", "path", path, "pathType", "Prefix",
		"backend", "service", "name", svc, "port", "number", 80);

	if (annotations)
		json_object_set_new(json_object_get(ing, "metadata"), "annotations", annotations);
	put(fx, res("networking.k8s.io", "ingresses"), ing);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	static const char *const listen_on[] = {"127.0.0.1", NULL};
	struct ing_config cfg = {.loops = 2, .listen = listen_on, .address = "192.0.2.80"};
	int err = 0;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_ing.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->port = cfg.http_port = lo_free_port();
	cfg.https_port = lo_free_port();	/* not the host's 443, shared by every run */
	fx->st = st_open(fx->dir, &(struct st_opts){ST_SYNC_NORMAL, 0}, &err);
	fx->loop = k1s_loop_new();
	fake_writer_init(&fx->fw, fx->st);
	fx->ing = ing_new(fx->st, fx->loop, &fx->fw.w, &cfg, &err);
	if (!fx->st || !fx->loop || !fx->ing)
		return -1;
	upstream_start(&fx->up[0], 'A');
	upstream_start(&fx->up[1], 'B');
	put_svc(fx, "web", 1, fx->up[0].port);
	put_ing(fx, "web", "a.test", "/", "web", NULL);
	sync_ing(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	ing_free(fx->ing);
	upstream_stop(&fx->up[0]);
	upstream_stop(&fx->up[1]);
	k1s_loop_free(fx->loop);
	st_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* ---- clients ---- */

static int dial(struct fx *fx)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fx->port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Reads one response: its head and body (Content-Length, chunked or to
 * the end), into buf; the status, or -1 when the connection ends first. */
static int response(int fd, char *buf, size_t cap)
{
	size_t have = 0;
	int head = read_head(fd, buf, cap, &have), status;
	const char *cl;

	if (head < 0)
		return -1;
	status = atoi(buf + 9);
	if (status == 100 || status == 101) {
		memmove(buf, buf + head, have - (size_t)head);
		buf[have - (size_t)head] = 0;
		return status;
	}
	cl = strcasestr(buf, "\r\ncontent-length:");
	if (cl && (size_t)head < cap) {
		size_t want = (size_t)head + (size_t)atol(cl + 17);

		while (have < want && have < cap - 1) {
			ssize_t n = recv(fd, buf + have, cap - 1 - have, 0);

			if (n <= 0)
				break;
			have += (size_t)n;
		}
	} else if (strcasestr(buf, "\r\ntransfer-encoding: chunked")) {
		for (buf[have] = 0; !strstr(buf + head, "0\r\n\r\n") && have < cap - 1;) {
			ssize_t n = recv(fd, buf + have, cap - 1 - have, 0);

			if (n <= 0)
				break;
			have += (size_t)n;
			buf[have] = 0;
		}
	} else {
		ssize_t n;

		while (have < cap - 1 && (n = recv(fd, buf + have, cap - 1 - have, 0)) > 0)
			have += (size_t)n;
	}
	buf[have] = 0;
	return status;
}

static int request(struct fx *fx, const char *req, char *buf, size_t cap)
{
	int fd = dial(fx), st;

	send_str(fd, req);
	st = response(fd, buf, cap);
	close(fd);
	return st;
}

/* ---- tests ---- */

static void test_routes_and_forwards(void **state)
{
	struct fx *fx = *state;
	char buf[70000];

	assert_int_equal(request(fx, "GET /x?y=1 HTTP/1.1\r\nHost: a.test\r\n"
				     "X-Forwarded-For: 203.0.113.9\r\n\r\n",
				 buf, sizeof(buf)),
			 200);
	assert_non_null(strstr(buf, "\r\n\r\nA 0\nGET /x?y=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(buf, "X-Real-IP: 127.0.0.1\r\n"));
	assert_non_null(strstr(buf, "X-Forwarded-For: 203.0.113.9, 127.0.0.1\r\n"));
	assert_non_null(strstr(buf, "X-Forwarded-Proto: http\r\n"));
	/* An unknown host: the default backend's 404. */
	assert_int_equal(request(fx, "GET / HTTP/1.1\r\nHost: b.test\r\n\r\n", buf, sizeof(buf)),
			 404);
	assert_non_null(strstr(buf, "<center>nginx</center>"));
}

static void test_keeps_upstream_connections(void **state)
{
	struct fx *fx = *state;
	char buf[70000];
	int fd = dial(fx);

	for (int i = 0; i < 5; i++) {
		send_str(fd, "GET /k HTTP/1.1\r\nHost: a.test\r\n\r\n");
		assert_int_equal(response(fd, buf, sizeof(buf)), 200);
	}
	close(fd);
	for (int i = 0; i < 5; i++)
		assert_int_equal(
			request(fx, "GET /k HTTP/1.1\r\nHost: a.test\r\n\r\n", buf, sizeof(buf)),
			200);
	/* Ten requests on two loops: at most one upstream connection each. */
	assert_in_range(__atomic_load_n(&fx->up[0].accepted, __ATOMIC_SEQ_CST), 1, 2);
}

/* A connection idle between requests gives its buffers back and waits
 * with a poll; the next request on it is served all the same. */
static void test_idle_connection_parks(void **state)
{
	struct fx *fx = *state;
	char buf[70000];
	int fd = dial(fx);

	send_str(fd, "GET /p1 HTTP/1.1\r\nHost: a.test\r\n\r\n");
	assert_int_equal(response(fd, buf, sizeof(buf)), 200);
	usleep(2700 * 1000);
	send_str(fd, "GET /p2 HTTP/1.1\r\nHost: a.test\r\n\r\n");
	assert_int_equal(response(fd, buf, sizeof(buf)), 200);
	assert_non_null(strstr(buf, "GET /p2 "));
	close(fd);
}

static void test_pipelined(void **state)
{
	struct fx *fx = *state;
	char buf[70000];
	size_t have = 0;
	ssize_t n;
	const char *one, *two;
	int fd = dial(fx);

	send_str(fd, "GET /one HTTP/1.1\r\nHost: a.test\r\n\r\n"
		     "GET /two HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
	/* Both answers, in order, then the connection ends. */
	while (have < sizeof(buf) - 1 && (n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0)) > 0)
		have += (size_t)n;
	buf[have] = 0;
	close(fd);
	one = strstr(buf, "GET /one ");
	two = strstr(buf, "GET /two ");
	assert_non_null(one);
	assert_non_null(two);
	assert_true(one < two);
	assert_int_equal(strncmp(buf, "HTTP/1.1 200 ", 13), 0);
	assert_non_null(strstr(one, "HTTP/1.1 200 "));
}

static void test_streams_bodies(void **state)
{
	struct fx *fx = *state;
	char buf[70000];
	char *req = malloc(300000);
	int fd, n;

	/* A request body with Content-Length, larger than any buffer. */
	n = snprintf(req, 300000, "POST /up HTTP/1.1\r\nHost: a.test\r\nContent-Length: 200000\r\n\r\n");
	memset(req + n, 'x', 200000);
	fd = dial(fx);
	assert_int_equal(send(fd, req, (size_t)n + 200000, MSG_NOSIGNAL), n + 200000);
	assert_int_equal(response(fd, buf, sizeof(buf)), 200);
	assert_non_null(strstr(buf, "A 200000\n"));
	/* A chunked response streams back as it comes, on the same connection. */
	send_str(fd, "GET /chunked HTTP/1.1\r\nHost: a.test\r\n\r\n");
	assert_int_equal(response(fd, buf, sizeof(buf)), 200);
	assert_non_null(strstr(buf, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
	/* A response that ends with its connection ends the client's too. */
	send_str(fd, "GET /eof HTTP/1.1\r\nHost: a.test\r\n\r\n");
	assert_int_equal(response(fd, buf, sizeof(buf)), 200);
	assert_non_null(strstr(buf, "until the end"));
	close(fd);
	free(req);
}

static void test_expect_continue(void **state)
{
	struct fx *fx = *state;
	char buf[70000];
	int fd = dial(fx);

	send_str(fd, "POST /c HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\n"
		     "Expect: 100-continue\r\n\r\n");
	assert_int_equal(response(fd, buf, sizeof(buf)), 100);
	send_str(fd, "hello");
	assert_int_equal(response(fd, buf, sizeof(buf)), 200);
	assert_non_null(strstr(buf, "A 5\n"));
	close(fd);
}

static void test_websocket_tunnel(void **state)
{
	struct fx *fx = *state;
	char buf[70000];
	int fd = dial(fx);

	send_str(fd, "GET /ws HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\n"
		     "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
		     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
	assert_int_equal(response(fd, buf, sizeof(buf)), 101);
	for (int i = 0; i < 3; i++) {
		send_str(fd, "ping");
		assert_int_equal(recv(fd, buf, 4, MSG_WAITALL), 4);
		assert_memory_equal(buf, "ping", 4);
	}
	close(fd);
}

static void test_upstream_errors(void **state)
{
	struct fx *fx = *state;
	char buf[70000];

	/* No ready endpoint: 503. */
	put_svc(fx, "empty", 0);
	put_ing(fx, "empty", "empty.test", "/", "empty", NULL);
	/* Nobody listens: 502. */
	put_svc(fx, "dead", 1, lo_free_port());
	put_ing(fx, "dead", "dead.test", "/", "dead", NULL);
	/* The upstream takes longer than proxy-read-timeout: 504. */
	put_ing(fx, "slow", "slow.test", "/", "web",
		json_pack("{s:s}", "nginx.ingress.kubernetes.io/proxy-read-timeout", "1"));
	sync_ing(fx);
	assert_int_equal(request(fx, "GET / HTTP/1.1\r\nHost: empty.test\r\n\r\n", buf, sizeof(buf)),
			 503);
	assert_int_equal(request(fx, "GET / HTTP/1.1\r\nHost: dead.test\r\n\r\n", buf, sizeof(buf)),
			 502);
	assert_non_null(strstr(buf, "<title>502 Bad Gateway</title>"));
	assert_int_equal(
		request(fx, "GET /slow HTTP/1.1\r\nHost: slow.test\r\n\r\n", buf, sizeof(buf)), 504);
	/* A second endpoint takes over from one that refuses. */
	put_svc(fx, "dead", 2, lo_free_port(), fx->up[1].port);
	sync_ing(fx);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(
			request(fx, "GET / HTTP/1.1\r\nHost: dead.test\r\n\r\n", buf, sizeof(buf)),
			200);
		assert_non_null(strstr(buf, "\r\n\r\nB 0\n"));
	}
}

static void test_refuses_smuggling(void **state)
{
	struct fx *fx = *state;
	static const char *const bad[] = {
		"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\n"
		"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a.test\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.test\r\nX-A: b\r\n c\r\n\r\n",
		"GET / HTTP/1.1\nHost: a.test\n\n",
		"POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	};
	char buf[70000];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = dial(fx);
		int st;

		send_str(fd, bad[i]);
		st = response(fd, buf, sizeof(buf));
		assert_int_equal(st, 400);
		/* One answer, then the connection ends: nothing smuggled through. */
		assert_null(strstr(buf + 12, "HTTP/1.1 "));
		close(fd);
		/* A bad head reaches no upstream (a bad chunk size is found only
		 * as the body streams, after the head went on). */
		if (i < 4)
			assert_int_equal(__atomic_load_n(&fx->up[0].accepted, __ATOMIC_SEQ_CST), 0);
	}
}

static void test_body_limit(void **state)
{
	struct fx *fx = *state;
	char buf[70000];

	put_ing(fx, "web", "a.test", "/", "web",
		json_pack("{s:s}", "nginx.ingress.kubernetes.io/proxy-body-size", "1k"));
	sync_ing(fx);
	assert_int_equal(request(fx, "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2000\r\n\r\n",
				 buf, sizeof(buf)),
			 413);
	assert_int_equal(request(fx, "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\nabc",
				 buf, sizeof(buf)),
			 200);
	/* A chunked body counts its data, not its framing: 1000 bytes in 100
	 * chunks pass 1k, 1100 do not. */
	for (int total = 1000; total <= 1100; total += 100) {
		char req[8192];
		int n = snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nHost: a.test\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n");

		for (int i = 0; i < total / 10; i++)
			n += snprintf(req + n, sizeof(req) - (size_t)n, "a\r\n0123456789\r\n");
		snprintf(req + n, sizeof(req) - (size_t)n, "0\r\n\r\n");
		assert_int_equal(request(fx, req, buf, sizeof(buf)), total == 1000 ? 200 : 413);
	}
}

/* A face pod of the ingress (as the runtime reports one: containerID
 * k1s://face/ingress, Running) is listened on, port 80 of its address,
 * through updates, until it goes. */
static void put_face(struct fx *fx, const char *ip, const char *label)
{
	put(fx, res("", "pods"),
	    json_pack("{s:{s:s,s:s,s:{s:s}}, s:{s:[{s:s,s:s}]}, s:{s:s,s:s,s:[{s:s,s:s}]}}",
		      "metadata", "name", "face", "namespace", "ingress-nginx", "labels", "v", label,
		      "spec", "containers", "name", "controller", "image",
		      "registry.k8s.io/ingress-nginx/controller:v1.9.0", "status", "phase", "Running",
		      "podIP", ip, "containerStatuses", "name", "controller", "containerID",
		      "k1s://face/ingress"));
}

static int dial_face(const char *ip)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;

	inet_pton(AF_INET, ip, &a.sin_addr);
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	if (r < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_face_addresses(void **state)
{
	struct fx *fx = *state;
	char buf[70000];
	int fd;

	if (geteuid() != 0)
		skip();	/* port 80 */
	assert_int_equal(dial_face("127.0.0.77"), -1);
	put_face(fx, "127.0.0.77", "a");
	sync_ing(fx);
	put_face(fx, "127.0.0.77", "b");	/* an update that changes nothing served */
	sync_ing(fx);
	fd = dial_face("127.0.0.77");
	assert_true(fd >= 0);
	send_str(fd, "GET /f HTTP/1.1\r\nHost: a.test\r\n\r\n");
	assert_int_equal(response(fd, buf, sizeof(buf)), 200);
	close(fd);
	assert_int_equal(fx->fw.w.remove(fx->fw.w.arg, res("", "pods"), "ingress-nginx", "face", NULL, 0), 0);
	sync_ing(fx);
	assert_int_equal(dial_face("127.0.0.77"), -1);
}

/* backend-protocol: HTTPS: the request goes over TLS (openssl s_server
 * with a throwaway certificate stands for the backend). */
static void test_https_backend(void **state)
{
	struct fx *fx = *state;
	char cmd[512], port[16], cert[96], key[96], buf[70000];
	int p = lo_free_port(), st = -1;
	pid_t pid;

	if (system("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	snprintf(cert, sizeof(cert), "%s/up.crt", fx->dir);
	snprintf(key, sizeof(key), "%s/up.key", fx->dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
		 "-subj /CN=tls.test -keyout %s -out %s >/dev/null 2>&1", key, cert);
	assert_int_equal(system(cmd), 0);
	snprintf(port, sizeof(port), "%d", p);
	pid = fork();
	if (pid == 0) {
		execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", port, "-cert",
		       cert, "-key", key, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(fd);
		if (ok)
			break;
		usleep(50000);
	}
	put_svc(fx, "tls", 1, p);
	put_ing(fx, "tls", "tls.test", "/", "tls",
		json_pack("{s:s}", "nginx.ingress.kubernetes.io/backend-protocol", "HTTPS"));
	sync_ing(fx);
	st = request(fx, "GET / HTTP/1.1\r\nHost: tls.test\r\n\r\n", buf, sizeof(buf));
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	assert_int_equal(st, 200);
	assert_non_null(strstr(buf, "s_server"));
}

static const char *status_ip(struct fx *fx, json_t **obj)
{
	json_decref(*obj);
	*obj = NULL;
	assert_int_equal(st_get(fx->st, "ingresses.networking.k8s.io", "default", "web", obj), 0);
	return k1s_json_str(json_array_get(k1s_json_path(*obj, "status.loadBalancer.ingress"), 0),
			    "ip");
}

static void test_status_address(void **state)
{
	struct fx *fx = *state;
	json_t *obj = NULL;
	uint64_t gen;

	assert_string_equal(status_ip(fx, &obj) ?: "", "192.0.2.80");
	/* A status write or a label routes nothing new: no table is built;
	 * a status someone clears is written again. */
	gen = fx->ing->pub.gen;
	json_object_set_new(k1s_json_obj(obj, "metadata"), "labels", json_pack("{s:s}", "a", "b"));
	json_object_set_new(obj, "status", json_pack("{s:{}}", "loadBalancer"));
	assert_int_equal(fx->fw.w.update(fx->fw.w.arg, res("networking.k8s.io", "ingresses"), obj,
					 true),
			 0);
	assert_int_equal(fx->fw.w.update(fx->fw.w.arg, res("networking.k8s.io", "ingresses"), obj,
					 false),
			 0);
	sync_ing(fx);
	sync_ing(fx);
	assert_int_equal(fx->ing->pub.gen, gen);
	assert_string_equal(status_ip(fx, &obj) ?: "", "192.0.2.80");
	/* A new path does build one. */
	put_ing(fx, "web", "a.test", "/b", "web", NULL);
	sync_ing(fx);
	assert_true(fx->ing->pub.gen > gen);
	json_decref(obj);
}

/* Services and Endpoints no backend names: kept nowhere, and their
 * changes build no table; an Ingress that comes to name one reads it from
 * the store and routes to it at once; one no longer named is let go. */
static void test_unnamed_services(void **state)
{
	struct fx *fx = *state;
	char buf[70000];
	uint64_t gen = fx->ing->pub.gen;

	put_svc(fx, "other", 1, fx->up[1].port);
	sync_ing(fx);
	sync_ing(fx);
	assert_int_equal(fx->ing->pub.gen, gen);
	assert_null(json_object_get(fx->ing->svcs, "default/other"));
	assert_null(json_object_get(fx->ing->eps, "default/other"));
	assert_non_null(json_object_get(fx->ing->svcs, "default/web"));
	assert_non_null(json_object_get(fx->ing->eps, "default/web"));

	put_ing(fx, "other", "b.test", "/", "other", NULL);
	sync_ing(fx);
	assert_int_equal(request(fx, "GET /o HTTP/1.1\r\nHost: b.test\r\n\r\n", buf, sizeof(buf)),
			 200);
	assert_non_null(strstr(buf, "\r\n\r\nB "));
	assert_non_null(json_object_get(fx->ing->eps, "default/other"));

	/* Named now: its Endpoints' change builds, and routes. */
	gen = fx->ing->pub.gen;
	put_svc(fx, "other", 1, fx->up[0].port);
	sync_ing(fx);
	assert_true(fx->ing->pub.gen > gen);
	assert_int_equal(request(fx, "GET /o HTTP/1.1\r\nHost: b.test\r\n\r\n", buf, sizeof(buf)),
			 200);
	assert_non_null(strstr(buf, "\r\n\r\nA "));

	/* Its Ingress gone: let go, and unnamed again. */
	assert_int_equal(fx->fw.w.remove(fx->fw.w.arg, res("networking.k8s.io", "ingresses"),
					 "default", "other", NULL, 0),
			 0);
	sync_ing(fx);
	assert_null(json_object_get(fx->ing->svcs, "default/other"));
	assert_null(json_object_get(fx->ing->eps, "default/other"));
	gen = fx->ing->pub.gen;
	put_svc(fx, "other", 1, fx->up[1].port);
	sync_ing(fx);
	sync_ing(fx);
	assert_int_equal(fx->ing->pub.gen, gen);
	assert_int_equal(request(fx, "GET /o HTTP/1.1\r\nHost: b.test\r\n\r\n", buf, sizeof(buf)),
			 404);

	/* Named before it exists: its coming builds. */
	put_ing(fx, "late", "c.test", "/", "late", NULL);
	sync_ing(fx);
	assert_int_equal(request(fx, "GET / HTTP/1.1\r\nHost: c.test\r\n\r\n", buf, sizeof(buf)),
			 503);
	put_svc(fx, "late", 1, fx->up[1].port);
	sync_ing(fx);
	assert_int_equal(request(fx, "GET / HTTP/1.1\r\nHost: c.test\r\n\r\n", buf, sizeof(buf)),
			 200);
	assert_non_null(strstr(buf, "\r\n\r\nB "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes_and_forwards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unnamed_services, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keeps_upstream_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_connection_parks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streams_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expect_continue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_websocket_tunnel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upstream_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_smuggling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_face_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_https_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_address, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
