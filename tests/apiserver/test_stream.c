/* Logs, exec and attach as kubectl meets them: an HTTP server on the
 * control loop answering the pod subresources with api_stream_handle(),
 * pods in a real store, and the fake runtime's host processes. The client
 * is hand-rolled HTTP and WebSocket on the same thread, which turns the
 * loop while it waits. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <zlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "api_int.h"
#include "api_stream_int.h"
#include "fake_pod.h"
#include "k1s_loop.h"
#include "st.h"

struct env {
	char dir[64];
	struct st *st;
	struct api api;
	struct k1s_loop *loop;
	struct pod_rt *rt;
	unsigned short port;
	volatile int stop;
};

/* ---- the server ---- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct api *api = cls;
	struct api_req *req = *req_cls;
	struct api_path p = {0};

	if (!req) {
		req = calloc(1, sizeof(*req));
		req->api = api;
		req->conn = conn;
		req->method = method;
		req->url = strdup(url);
		*req_cls = req;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (sscanf(url, "/api/v1/namespaces/%255[^/]/pods/%255[^/]/%31s", p.ns, p.name, p.sub) !=
	    3)
		return api_reply_status(req, api_status(404, "NotFound", "no such path", NULL));
	p.res = k1s_resource_find("", "pods");
	strcpy(p.version, "v1");
	return api_stream_handle(req, &p, api->rt) == MHD_NO ? MHD_NO : MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct api_req *req = *req_cls;

	if (!req)
		return;
	free(req->url);
	free(req->body);
	free(req);
	*req_cls = NULL;
}

static void on_mhd(void *arg, int fd, uint32_t events)
{
	MHD_run(arg);
}

/* The daemon's work that no fd announces (a response ready to send in
 * epoll mode) shows as a zero timeout: run it before sleeping. */
static int mhd_hook(void *arg)
{
	MHD_UNSIGNED_LONG_LONG t;

	for (int i = 0; i < 16 && MHD_get_timeout(arg, &t) == MHD_YES && t == 0; i++)
		MHD_run(arg);
	if (MHD_get_timeout(arg, &t) == MHD_YES)
		return t > 1000 ? 1000 : (int)t;
	return -1;
}

static void on_stop(void *arg)
{
	*(volatile int *)arg = 1;
}

/* Turns the loop for about `ms`. */
static void pump(struct env *e, int ms)
{
	e->stop = 0;
	k1s_loop_timer(e->loop, ms, on_stop, (void *)&e->stop);
	k1s_loop_run(e->loop, &e->stop);
}

static void put_pod(struct env *e, const char *name, const char *json)
{
	json_error_t err;
	json_t *o = json_loads(json, 0, &err);

	if (!o)
		fail_msg("bad JSON: %s", err.text);
	assert_int_equal(st_create(e->st, "pods", "default", name, o), 0);
	json_decref(o);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct st_opts so = {.sync = ST_SYNC_NORMAL};
	const union MHD_DaemonInfo *info;
	int err;

	strcpy(e->dir, "/tmp/k1s-stream-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	e->st = st_open(e->dir, &so, &err);
	assert_non_null(e->st);
	e->loop = k1s_loop_new();
	e->rt = fake_pod_new(e->loop, e->dir);
	e->api.st = e->st;
	e->api.loop = e->loop;
	e->api.rt = e->rt;
	e->api.mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE |
					  MHD_USE_ERROR_LOG,
				      0, NULL, NULL, on_request, &e->api,
				      MHD_OPTION_NOTIFY_COMPLETED, on_completed, &e->api,
				      MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_END);
	assert_non_null(e->api.mhd);
	info = MHD_get_daemon_info(e->api.mhd, MHD_DAEMON_INFO_BIND_PORT);
	e->port = info->port;
	info = MHD_get_daemon_info(e->api.mhd, MHD_DAEMON_INFO_EPOLL_FD);
	assert_int_equal(k1s_loop_add_fd(e->loop, info->epoll_fd, EPOLLIN, on_mhd, e->api.mhd), 0);
	assert_int_equal(k1s_loop_hook(e->loop, mhd_hook, e->api.mhd), 0);
	put_pod(e, "web",
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\","
		"\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"name\":\"web\"},"
		"{\"name\":\"side\"}]}}");
	put_pod(e, "multi",
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"multi\","
		"\"namespace\":\"default\",\"annotations\":{\"kubectl.kubernetes.io/"
		"default-container\":\"side\"}},\"spec\":{\"containers\":[{\"name\":\"main\"},"
		"{\"name\":\"side\"}]}}");
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	api_stream_close_all(&e->api);
	MHD_run(e->api.mhd);
	MHD_stop_daemon(e->api.mhd);
	fake_pod_free(e->rt);
	k1s_loop_free(e->loop);
	st_close(e->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

/* ---- an HTTP client ---- */

static int dial(struct env *e)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(e->port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

struct resp {
	int code;
	char head[4096];
	char *body;
	size_t len;
	int64_t ms;	/* how long the answer took */
};

/* Reads until the server closes, turning the loop meanwhile. */
static size_t read_to_end(struct env *e, int fd, char **out, int timeout_ms)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1);
	int64_t end = k1s_now_ms() + timeout_ms;

	for (;;) {
		ssize_t n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);

		if (n > 0) {
			len += (size_t)n;
			if (len == cap) {
				cap *= 2;
				buf = realloc(buf, cap + 1);
			}
			continue;
		}
		if (n == 0)
			break;
		if (k1s_now_ms() > end)
			fail_msg("no end of answer within %d ms: %.*s", timeout_ms, (int)len, buf);
		pump(e, 10);
	}
	buf[len] = '\0';
	*out = buf;
	return len;
}

/* GET path; the body de-chunked. */
static void get(struct env *e, const char *path, struct resp *r)
{
	char req[2048], *raw, *p, *body;
	int fd = dial(e);
	int64_t t0 = k1s_now_ms();

	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: k1s\r\nAccept: application/json, */*\r\n"
		 "Connection: close\r\n\r\n",
		 path);
	send_all(fd, req, strlen(req));
	read_to_end(e, fd, &raw, 10000);
	close(fd);
	r->ms = k1s_now_ms() - t0;
	p = strstr(raw, "\r\n\r\n");
	assert_non_null(p);
	snprintf(r->head, sizeof(r->head), "%.*s", (int)(p - raw), raw);
	assert_int_equal(sscanf(raw, "HTTP/1.1 %d", &r->code), 1);
	p += 4;
	body = malloc(strlen(p) + 1);
	r->len = 0;
	if (strcasestr(r->head, "Transfer-Encoding: chunked")) {
		for (;;) {
			char *end;
			unsigned long n = strtoul(p, &end, 16);

			assert_true(end != p);
			p = strstr(end, "\r\n") + 2;
			if (n == 0)
				break;
			memcpy(body + r->len, p, n);
			r->len += n;
			p += n + 2;
		}
	} else {
		r->len = strlen(p);
		memcpy(body, p, r->len);
	}
	body[r->len] = '\0';
	r->body = body;
	free(raw);
}

static void expect_log(struct env *e, const char *path, const char *want)
{
	struct resp r;

	get(e, path, &r);
	if (r.code != 200)
		fail_msg("%s: %d %s", path, r.code, r.body);
	assert_non_null(strcasestr(r.head, "Content-Type: text/plain"));
	assert_string_equal(r.body, want);
	free(r.body);
}

static void expect_error(struct env *e, const char *path, int code, const char *msg)
{
	struct resp r;
	json_t *j;

	get(e, path, &r);
	assert_int_equal(r.code, code);
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "Status");
	assert_string_equal(json_string_value(json_object_get(j, "message")), msg);
	assert_int_equal(json_integer_value(json_object_get(j, "code")), code);
	json_decref(j);
	free(r.body);
}

/* Turns the loop until a container's process ended and its log is whole. */
static void wait_done(struct env *e, const char *pod, const char *c)
{
	int64_t end = k1s_now_ms() + 5000;

	while (!fake_pod_done(e->rt, "default", pod, c)) {
		if (k1s_now_ms() > end)
			fail_msg("container %s/%s did not end", pod, c);
		pump(e, 10);
	}
}

/* ---- logs ---- */

static void three_records(struct env *e)
{
	fake_pod_log(e->rt, "default", "web", "web", "2020-01-01T00:00:00Z", "stdout", "a");
	fake_pod_log(e->rt, "default", "web", "web", "2020-01-01T00:00:10.5Z", "stderr", "b");
	fake_pod_log(e->rt, "default", "web", "web", "2020-01-01T00:00:20.123456789Z", "stdout",
		     "c");
}

static void test_log_plain(void **state)
{
	struct env *e = *state;

	three_records(e);
	/* Prefixes stripped, stdout and stderr interleaved as written. */
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web", "a\nb\nc\n");
	/* Without a container: the first one. */
	expect_log(e, "/api/v1/namespaces/default/pods/web/log", "a\nb\nc\n");
}

static void test_log_tail_limit(void **state)
{
	struct env *e = *state;

	three_records(e);
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web&tailLines=2",
		   "b\nc\n");
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web&tailLines=1", "c\n");
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web&tailLines=0", "");
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web&tailLines=99",
		   "a\nb\nc\n");
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web&limitBytes=3",
		   "a\nb");
	expect_error(e, "/api/v1/namespaces/default/pods/web/log?tailLines=-1", 400,
		     "tailLines: Invalid value: must be greater than or equal to 0");
	/* A value that does not parse fails in the decoding, with strconv's words. */
	expect_error(e, "/api/v1/namespaces/default/pods/web/log?tailLines=x", 400,
		     "strconv.ParseInt: parsing \"x\": invalid syntax");
	expect_error(e, "/api/v1/namespaces/default/pods/web/log?limitBytes=1k&sinceSeconds=9s", 400,
		     "strconv.ParseInt: parsing \"9s\": invalid syntax");
}

static void test_log_since_timestamps(void **state)
{
	struct env *e = *state;
	char ts[64], want[128];
	time_t now = time(NULL);
	struct tm tm;

	three_records(e);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	fake_pod_log(e->rt, "default", "web", "web", ts, "stdout", "now");
	expect_log(e,
		   "/api/v1/namespaces/default/pods/web/log?container=web&"
		   "sinceTime=2020-01-01T00:00:10Z",
		   "b\nc\nnow\n");
	/* A zone offset: 01:00:15+01:00 is 00:00:15Z. */
	expect_log(e,
		   "/api/v1/namespaces/default/pods/web/log?container=web&"
		   "sinceTime=2020-01-01T01:00:15%2B01:00",
		   "c\nnow\n");
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web&sinceSeconds=3600",
		   "now\n");
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(want, sizeof(want),
		 "2020-01-01T00:00:20.123456789Z c\n%s.000000000Z now\n", ts);
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web&timestamps=true&"
		      "tailLines=2",
		   want);
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web&timestamps=true&"
		      "limitBytes=33",
		   "2020-01-01T00:00:00.000000000Z a\n");
}

static void test_log_containers_and_errors(void **state)
{
	struct env *e = *state;

	fake_pod_log(e->rt, "default", "multi", "side", "2020-01-01T00:00:00Z", "stdout", "s");
	fake_pod_log(e->rt, "default", "multi", "main", "2020-01-01T00:00:00Z", "stdout", "m");
	/* The annotation names the default container. */
	expect_log(e, "/api/v1/namespaces/default/pods/multi/log", "s\n");
	expect_log(e, "/api/v1/namespaces/default/pods/multi/log?container=main", "m\n");
	expect_error(e, "/api/v1/namespaces/default/pods/nope/log", 404, "pods \"nope\" not found");
	expect_error(e, "/api/v1/namespaces/default/pods/web/log?container=x", 400,
		     "container x is not valid for pod web");
	fake_pod_waiting(e->rt, "default", "web", "side", "ContainerCreating");
	expect_error(e, "/api/v1/namespaces/default/pods/web/log?container=side", 400,
		     "container \"side\" in pod \"web\" is waiting to start: ContainerCreating");
	expect_error(e, "/api/v1/namespaces/default/pods/multi/log?container=main&previous=true",
		     400, "previous terminated container \"main\" in pod \"multi\" not found");
}

static void test_log_previous(void **state)
{
	struct env *e = *state;
	char *run1[] = {"sh", "-c", "echo run1; echo oops >&2", NULL};
	char *run2[] = {"sh", "-c", "printf 'run2\\nno newline'", NULL};

	assert_int_equal(fake_pod_start(e->rt, "default", "web", "web", run1, false, false), 0);
	wait_done(e, "web", "web");
	assert_int_equal(fake_pod_start(e->rt, "default", "web", "web", run2, false, false), 0);
	wait_done(e, "web", "web");
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web&previous=true",
		   "run1\noops\n");
	/* A last line without a newline comes out without one. */
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web",
		   "run2\nno newline");
}

static void test_log_follow(void **state)
{
	struct env *e = *state;
	char *argv[] = {"sh", "-c", "echo one; sleep 0.6; echo two; sleep 0.3; echo three", NULL};
	struct resp r;

	assert_int_equal(fake_pod_start(e->rt, "default", "web", "web", argv, false, false), 0);
	get(e, "/api/v1/namespaces/default/pods/web/log?container=web&follow=true", &r);
	assert_int_equal(r.code, 200);
	/* Everything the run wrote, and the stream ended with it. */
	assert_string_equal(r.body, "one\ntwo\nthree\n");
	assert_true(r.ms >= 800);
	assert_true(fake_pod_done(e->rt, "default", "web", "web"));
	free(r.body);
	/* Following a stopped container just gives its log. */
	expect_log(e, "/api/v1/namespaces/default/pods/web/log?container=web&follow=true",
		   "one\ntwo\nthree\n");
}

/* A followed log rotated under the reader, as the runtime's writer
 * rotates (pod.h): renamed to <log>.YYYYMMDD-hhmmss, a new file in its
 * place. Every record comes once, in order: the rest of the old file,
 * then the new one; with two rotations between two looks of the reader,
 * the file between them too; a rotation just before the run ends, too. */
static void test_log_follow_rotations(void **state)
{
	struct env *e = *state;
	char *argv[] = {"sleep", "1.5", NULL};
	char logp[512], rot[600], req[256], *raw;
	const char *t = "2020-01-01T00:00:00Z";

	assert_int_equal(fake_pod_start(e->rt, "default", "web", "web", argv, false, false), 0);
	snprintf(logp, sizeof(logp), "%s/default_web_web.log", e->dir);
	fake_pod_log(e->rt, "default", "web", "web", t, "stdout", "a");
	int fd = dial(e);

	snprintf(req, sizeof(req), "GET /api/v1/namespaces/default/pods/web/log?container=web&"
				   "follow=true HTTP/1.1\r\nHost: k1s\r\nConnection: close\r\n\r\n");
	send_all(fd, req, strlen(req));
	pump(e, 300);
	/* Two rotations before the reader looks again. */
	fake_pod_log(e->rt, "default", "web", "web", t, "stdout", "b");
	snprintf(rot, sizeof(rot), "%s.20200101-000001", logp);
	assert_int_equal(rename(logp, rot), 0);
	fake_pod_log(e->rt, "default", "web", "web", t, "stdout", "c");
	snprintf(rot, sizeof(rot), "%s.20200101-000002", logp);
	assert_int_equal(rename(logp, rot), 0);
	fake_pod_log(e->rt, "default", "web", "web", t, "stdout", "d");
	pump(e, 300);
	/* One, then the end of the run before the reader looks. */
	fake_pod_log(e->rt, "default", "web", "web", t, "stdout", "e");
	snprintf(rot, sizeof(rot), "%s.20200101-000003", logp);
	assert_int_equal(rename(logp, rot), 0);
	fake_pod_log(e->rt, "default", "web", "web", t, "stdout", "f");
	wait_done(e, "web", "web");
	read_to_end(e, fd, &raw, 5000);
	close(fd);
	/* The chunks of the body: "a\n" and so on, each record once. */
	{
		char body[64] = "", *p = strstr(raw, "\r\n\r\n");

		assert_non_null(p);
		for (p += 4;;) {
			char *end;
			unsigned long n = strtoul(p, &end, 16);

			p = strstr(end, "\r\n") + 2;
			if (n == 0)
				break;
			strncat(body, p, n);
			p += n + 2;
		}
		assert_string_equal(body, "a\nb\nc\nd\ne\nf\n");
	}
	free(raw);
}

/* ---- a WebSocket client ---- */

struct ws {
	struct env *e;
	int fd;
	struct api_ws_rx rx;
	uint8_t in[1 << 16];
	size_t in_len;
	char chan[5][8192];
	size_t chan_len[5];
	int msgs[256];		/* messages per channel */
	json_t *status;
	int close_code;		/* -1 until a Close arrives */
	char pong[128];
	int pongs;
	bool answer_close;	/* reply to the server's Close as kubectl does */
	bool spdy;		/* messages carry SPDY bytes, not channels */
	uint8_t sp[1 << 16];	/* SPDY bytes received */
	size_t sp_len;
};

static void ws_send(struct ws *w, uint8_t op, const void *data, size_t len)
{
	static const uint8_t mask[4] = {0xa1, 0x5e, 0x07, 0xc3};
	uint8_t *buf = malloc(len + 14);
	size_t h = api_ws_header(buf, op, len, mask);

	memcpy(buf + h, data, len);
	api_ws_mask(buf + h, len, mask, 0);
	send_all(w->fd, buf, h + len);
	free(buf);
}

static void ws_chan(struct ws *w, int ch, const char *data)
{
	size_t n = strlen(data);
	uint8_t *buf = malloc(n + 1);

	buf[0] = (uint8_t)ch;
	memcpy(buf + 1, data, n);
	ws_send(w, API_WS_BINARY, buf, n + 1);
	free(buf);
}

static int ws_on_msg(void *arg, uint8_t op, const uint8_t *data, size_t len)
{
	struct ws *w = arg;

	if (op == API_WS_PONG) {
		snprintf(w->pong, sizeof(w->pong), "%.*s", (int)len, (const char *)data);
		w->pongs++;
		return 0;
	}
	if (op == API_WS_CLOSE) {
		w->close_code = len >= 2 ? data[0] << 8 | data[1] : 1005;
		if (w->answer_close)
			ws_send(w, API_WS_CLOSE, data, len);
		return 0;
	}
	assert_int_equal(op, API_WS_BINARY);
	if (w->spdy) {
		assert_true(w->sp_len + len <= sizeof(w->sp));
		memcpy(w->sp + w->sp_len, data, len);
		w->sp_len += len;
		return 0;
	}
	assert_true(len >= 1);
	w->msgs[data[0]]++;
	if (data[0] == 3) {
		assert_null(w->status);
		w->status = json_loadb((const char *)data + 1, len - 1, 0, NULL);
		assert_non_null(w->status);
	} else if (data[0] < 5) {
		size_t *l = &w->chan_len[data[0]];

		assert_true(*l + len - 1 < sizeof(w->chan[0]));
		memcpy(w->chan[data[0]] + *l, data + 1, len - 1);
		*l += len - 1;
	}
	return 0;
}

/* Reads what arrived; true once the server closed the connection. */
static bool ws_poll(struct ws *w)
{
	ssize_t n = recv(w->fd, w->in + w->in_len, sizeof(w->in) - w->in_len, MSG_DONTWAIT);
	size_t used;
	uint16_t code;

	if (n == 0)
		return true;
	if (n < 0)
		return false;
	w->in_len += (size_t)n;
	assert_int_equal(api_ws_rx_feed(&w->rx, w->in, w->in_len, &used, ws_on_msg, w, &code), 0);
	memmove(w->in, w->in + used, w->in_len - used);
	w->in_len -= used;
	return false;
}

/* Turns the loop until cond(w) or the server closes the connection. */
static void ws_wait(struct ws *w, bool (*cond)(struct ws *w), int timeout_ms)
{
	int64_t end = k1s_now_ms() + timeout_ms;

	while (!(cond && cond(w))) {
		if (ws_poll(w)) {
			if (cond)
				fail_msg("connection closed while waiting");
			return;
		}
		if (k1s_now_ms() > end)
			fail_msg("timed out");
		pump(w->e, 10);
	}
}

/* Upgrades; returns the HTTP status line's code, and on 101 checks the
 * handshake headers. `early` (masked frames, may be NULL) goes out in the
 * same write as the request, before any answer. */
static int ws_open_early(struct env *e, struct ws *w, const char *path, const char *protocol,
			 const uint8_t *early, size_t early_len)
{
	char req[4096], head[4096];
	size_t len = 0;
	int code = 0;
	int64_t end = k1s_now_ms() + 5000;

	memset(w, 0, sizeof(*w));
	w->e = e;
	w->close_code = -1;
	w->answer_close = true;
	w->fd = dial(e);
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: k1s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
		 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		 "Sec-WebSocket-Protocol: %s\r\n\r\n",
		 path, protocol);
	{
		size_t rl = strlen(req);

		assert_true(rl + early_len < sizeof(req));
		if (early_len)
			memcpy(req + rl, early, early_len);
		send_all(w->fd, req, rl + early_len);
	}
	/* Read the head byte by byte: frames may follow it at once. */
	while (!(len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0)) {
		ssize_t n = recv(w->fd, head + len, 1, MSG_DONTWAIT);

		if (n == 1) {
			assert_true(++len < sizeof(head) - 1);
			continue;
		}
		if (n == 0)
			break;
		if (k1s_now_ms() > end)
			fail_msg("no handshake answer");
		pump(e, 5);
	}
	head[len] = '\0';
	assert_int_equal(sscanf(head, "HTTP/1.1 %d", &code), 1);
	if (code == 101) {
		char want[128];

		assert_non_null(strcasestr(head, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
		assert_non_null(strcasestr(head, "Upgrade: websocket"));
		snprintf(want, sizeof(want), "Sec-WebSocket-Protocol: %s", protocol);
		assert_non_null(strcasestr(head, want));
	}
	return code;
}

static int ws_open(struct env *e, struct ws *w, const char *path, const char *protocol)
{
	return ws_open_early(e, w, path, protocol, NULL, 0);
}

static void ws_close(struct ws *w)
{
	close(w->fd);
	json_decref(w->status);
	api_ws_rx_free(&w->rx);
}

static bool closed(struct ws *w)
{
	return w->close_code >= 0;
}

static void expect_success(struct ws *w)
{
	assert_non_null(w->status);
	assert_string_equal(json_string_value(json_object_get(w->status, "status")), "Success");
}

#define EXEC "/api/v1/namespaces/default/pods/web/exec?container=web"

static void start_web(struct env *e)
{
	char *argv[] = {"sleep", "30", NULL};

	assert_int_equal(fake_pod_start(e->rt, "default", "web", "web", argv, false, false), 0);
}

static void test_exec_exit_code(void **state)
{
	struct env *e = *state;
	struct ws w;
	json_t *cause;

	start_web(e);
	assert_int_equal(ws_open(e, &w,
				 EXEC "&command=sh&command=-c&command=echo%20out%3B%20echo%20err%20"
				      "%3E%262%3B%20exit%203&stdout=true&stderr=true",
				 "v5.channel.k8s.io"),
			 101);
	ws_wait(&w, closed, 5000);
	assert_string_equal(w.chan[1], "out\n");
	assert_string_equal(w.chan[2], "err\n");
	assert_int_equal(w.close_code, 1000);
	/* The Status as kubelet writes it: kubectl exits with the cause. */
	assert_non_null(w.status);
	assert_string_equal(json_string_value(json_object_get(w.status, "status")), "Failure");
	assert_string_equal(json_string_value(json_object_get(w.status, "reason")),
			    "NonZeroExitCode");
	cause = json_array_get(json_object_get(json_object_get(w.status, "details"), "causes"), 0);
	assert_string_equal(json_string_value(json_object_get(cause, "reason")), "ExitCode");
	assert_string_equal(json_string_value(json_object_get(cause, "message")), "3");
	assert_non_null(strstr(json_string_value(json_object_get(w.status, "message")),
			       "command terminated with non-zero exit code"));
	/* The server closes the TCP connection after our Close. */
	ws_wait(&w, NULL, 5000);
	ws_close(&w);
}

static void test_exec_success_v4(void **state)
{
	struct env *e = *state;
	struct ws w;

	start_web(e);
	assert_int_equal(ws_open(e, &w, EXEC "&command=echo&command=hi&stdout=true",
				 "v4.channel.k8s.io"),
			 101);
	ws_wait(&w, closed, 5000);
	assert_string_equal(w.chan[1], "hi\n");
	assert_int_equal(w.msgs[2], 0);
	expect_success(&w);
	assert_int_equal(w.close_code, 1000);
	ws_close(&w);
}

static bool got_hello(struct ws *w)
{
	return w->chan_len[1] >= 6;
}

static bool got_pong(struct ws *w)
{
	return w->pongs > 0;
}

static void test_exec_stdin_and_ping(void **state)
{
	struct env *e = *state;
	struct ws w;

	start_web(e);
	assert_int_equal(ws_open(e, &w, EXEC "&command=cat&stdin=true&stdout=true&stderr=true",
				 "v5.channel.k8s.io"),
			 101);
	ws_chan(&w, 0, "hello\n");
	ws_wait(&w, got_hello, 5000);
	assert_string_equal(w.chan[1], "hello\n");
	/* kubectl's heartbeat. */
	ws_send(&w, API_WS_PING, "beat", 4);
	ws_wait(&w, got_pong, 5000);
	assert_string_equal(w.pong, "beat");
	assert_null(w.status);
	/* More stdin in fragments, then the v5 close of stdin: cat ends. */
	{
		static const uint8_t mask[4] = {1, 2, 3, 4};
		uint8_t f[32];
		size_t h = api_ws_header(f, API_WS_BINARY, 3, mask);

		f[0] &= 0x7f;
		memcpy(f + h, "\x00" "ab", 3);
		api_ws_mask(f + h, 3, mask, 0);
		send_all(w.fd, f, h + 3);
		h = api_ws_header(f, 0, 2, mask);
		memcpy(f + h, "c\n", 2);
		api_ws_mask(f + h, 2, mask, 0);
		send_all(w.fd, f, h + 2);
	}
	ws_send(&w, API_WS_BINARY, "\xff\x00", 2);
	ws_wait(&w, closed, 5000);
	assert_string_equal(w.chan[1], "hello\nabc\n");
	expect_success(&w);
	ws_close(&w);
}

/* A client may send its frames right behind the upgrade request, so that
 * the server reads them with it: they are the session's all the same, with
 * nothing more arriving to wake it. */
static void test_exec_frames_with_the_request(void **state)
{
	static const uint8_t mask[4] = {9, 8, 7, 6};
	struct env *e = *state;
	uint8_t early[64];
	size_t n = 0;
	struct ws w;

	start_web(e);
	n += api_ws_header(early + n, API_WS_BINARY, 7, mask);
	memcpy(early + n, "\x00" "piped\n", 7);
	api_ws_mask(early + n, 7, mask, 0);
	n += 7;
	n += api_ws_header(early + n, API_WS_BINARY, 2, mask);
	memcpy(early + n, "\xff\x00", 2);
	api_ws_mask(early + n, 2, mask, 0);
	n += 2;
	assert_int_equal(ws_open_early(e, &w, EXEC "&command=cat&stdin=true&stdout=true",
				       "v5.channel.k8s.io", early, n),
			 101);
	ws_wait(&w, closed, 5000);
	assert_string_equal(w.chan[1], "piped\n");
	expect_success(&w);
	ws_close(&w);
}

static void test_exec_tty(void **state)
{
	struct env *e = *state;
	struct ws w;

	start_web(e);
	assert_int_equal(ws_open(e, &w,
				 EXEC "&command=sh&command=-c&command=sleep%200.5%3B%20stty%20size"
				      "%3B%20echo%20err%20%3E%262&stdin=true&stdout=true&stderr=true"
				      "&tty=true",
				 "v5.channel.k8s.io"),
			 101);
	ws_chan(&w, 4, "{\"Width\":123,\"Height\":45}");
	ws_wait(&w, closed, 5000);
	/* One terminal: stderr comes on stdout, channel 2 never appears. */
	assert_int_equal(w.msgs[2], 0);
	assert_non_null(strstr(w.chan[1], "45 123"));
	assert_non_null(strstr(w.chan[1], "err"));
	expect_success(&w);
	ws_close(&w);
}

static void test_exec_refusals(void **state)
{
	struct env *e = *state;
	struct resp r;
	char req[1024], *raw;
	int fd;
	struct ws w;

	/* Not running yet: an HTTP error before any upgrade. */
	assert_int_equal(ws_open(e, &w, EXEC "&command=ls&stdout=true", "v5.channel.k8s.io"),
			 400);
	ws_close(&w);
	start_web(e);
	/* kubectl's SPDY fallback gets a Status that says what to use. */
	fd = dial(e);
	snprintf(req, sizeof(req),
		 "POST " EXEC "&command=ls&stdout=true HTTP/1.1\r\nHost: k1s\r\n"
		 "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
		 "X-Stream-Protocol-Version: v5.channel.k8s.io\r\nContent-Length: 0\r\n\r\n");
	send_all(fd, req, strlen(req));
	pump(e, 50);
	shutdown(fd, SHUT_WR);
	read_to_end(e, fd, &raw, 5000);
	close(fd);
	assert_non_null(strstr(raw, "HTTP/1.1 400"));
	assert_non_null(strstr(raw, "Upgrade request required: k1s speaks WebSocket "
				    "(v5.channel.k8s.io)"));
	free(raw);
	/* No command. */
	get(e, EXEC "&stdout=true", &r);
	assert_int_equal(r.code, 400);
	assert_non_null(strstr(r.body, "you must specify at least one command"));
	free(r.body);
	/* An unknown subprotocol. */
	assert_int_equal(ws_open(e, &w, EXEC "&command=ls&stdout=true", "channel.k8s.io"), 400);
	ws_close(&w);
	/* Unknown container. */
	expect_error(e, "/api/v1/namespaces/default/pods/web/exec?container=x&command=ls&stdout=true",
		     400, "container x is not valid for pod web");
}

static void test_exec_oversize_and_garbage(void **state)
{
	struct env *e = *state;
	struct ws w;
	uint8_t hdr[14];
	static const uint8_t mask[4] = {9, 9, 9, 9};
	size_t h;

	start_web(e);
	assert_int_equal(ws_open(e, &w, EXEC "&command=cat&stdin=true&stdout=true",
				 "v5.channel.k8s.io"),
			 101);
	/* 2 MiB announced: refused with 1009 from the header alone. */
	h = api_ws_header(hdr, API_WS_BINARY, 2u << 20, mask);
	send_all(w.fd, hdr, h);
	w.answer_close = false;
	ws_wait(&w, closed, 5000);
	assert_int_equal(w.close_code, 1009);
	ws_wait(&w, NULL, 5000);
	ws_close(&w);

	/* An unmasked client frame is a protocol error: 1002. */
	assert_int_equal(ws_open(e, &w, EXEC "&command=cat&stdin=true&stdout=true",
				 "v5.channel.k8s.io"),
			 101);
	send_all(w.fd, "\x82\x02\x00x", 4);
	w.answer_close = false;
	ws_wait(&w, closed, 5000);
	assert_int_equal(w.close_code, 1002);
	ws_wait(&w, NULL, 5000);
	ws_close(&w);
}

static bool got_cat_echo(struct ws *w)
{
	return strstr(w->chan[1], "ping me") != NULL;
}

static void test_attach_tty(void **state)
{
	struct env *e = *state;
	char *argv[] = {"cat", NULL};
	struct ws w;

	/* What `kubectl run -it` attaches to. */
	assert_int_equal(fake_pod_start(e->rt, "default", "web", "web", argv, true, true), 0);
	assert_int_equal(ws_open(e, &w,
				 "/api/v1/namespaces/default/pods/web/attach?container=web&"
				 "stdin=true&stdout=true&tty=true",
				 "v5.channel.k8s.io"),
			 101);
	ws_chan(&w, 0, "ping me\n");
	ws_wait(&w, got_cat_echo, 5000);
	/* The client leaves first: the server answers its Close and the
	 * container goes on. */
	ws_send(&w, API_WS_CLOSE, "\x03\xe8", 2);
	ws_wait(&w, closed, 5000);
	assert_int_equal(w.close_code, 1000);
	ws_wait(&w, NULL, 5000);
	assert_false(fake_pod_done(e->rt, "default", "web", "web"));
	assert_int_equal(w.msgs[2], 0);
	ws_close(&w);
}

static void test_attach_ends_with_container(void **state)
{
	struct env *e = *state;
	char *argv[] = {"sh", "-c", "read x; echo got $x; echo bye >&2", NULL};
	struct ws w;

	assert_int_equal(fake_pod_start(e->rt, "default", "web", "web", argv, false, true), 0);
	assert_int_equal(ws_open(e, &w,
				 "/api/v1/namespaces/default/pods/web/attach?container=web&"
				 "stdin=true&stdout=true&stderr=true",
				 "v5.channel.k8s.io"),
			 101);
	ws_chan(&w, 0, "it\n");
	ws_wait(&w, closed, 5000);
	assert_string_equal(w.chan[1], "got it\n");
	assert_string_equal(w.chan[2], "bye\n");
	expect_success(&w);
	ws_close(&w);
}

/* ---- port-forward ---- */

/* An echo server on the loop, standing for the pod's port. */
static void on_echo_conn(void *arg, int fd, uint32_t events)
{
	struct env *e = arg;
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n > 0) {
		assert_int_equal(send(fd, buf, (size_t)n, MSG_NOSIGNAL), n);
		return;
	}
	if (n < 0 && errno == EAGAIN)
		return;
	k1s_loop_del_fd(e->loop, fd);
	close(fd);
}

static void on_echo_accept(void *arg, int fd, uint32_t events)
{
	struct env *e = arg;
	int c = accept(fd, NULL, NULL);

	if (c >= 0)
		k1s_loop_add_fd(e->loop, c, EPOLLIN, on_echo_conn, e);
}

static int listen_any(unsigned short *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

struct spdy_client {
	z_stream z;
	struct ws *w;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t put_kv(uint8_t *p, const char *k, const char *v)
{
	size_t kl = strlen(k), vl = strlen(v);

	put32(p, (uint32_t)kl);
	memcpy(p + 4, k, kl);
	put32(p + 4 + kl, (uint32_t)vl);
	memcpy(p + 8 + kl, v, vl);
	return 8 + kl + vl;
}

/* SYN_STREAM as kubectl opens each stream of a forwarded connection. */
static void syn_stream(struct spdy_client *c, uint32_t id, const char *type, unsigned port,
		       const char *reqid, bool fin)
{
	uint8_t blk[512], f[1024];
	char ps[16];
	size_t n = 4;

	snprintf(ps, sizeof(ps), "%u", port);
	put32(blk, 3);
	n += put_kv(blk + n, "streamtype", type);
	n += put_kv(blk + n, "port", ps);
	n += put_kv(blk + n, "requestid", reqid);
	c->z.next_in = blk;
	c->z.avail_in = (unsigned)n;
	c->z.next_out = f + 18;
	c->z.avail_out = sizeof(f) - 18;
	assert_int_equal(deflate(&c->z, Z_SYNC_FLUSH), Z_OK);
	n = sizeof(f) - 18 - c->z.avail_out + 10;
	f[0] = 0x80;
	f[1] = 3;
	f[2] = 0;
	f[3] = 1;
	put32(f + 4, (uint32_t)n);
	f[4] = fin ? 1 : 0;
	put32(f + 8, id);
	put32(f + 12, 0);
	f[16] = f[17] = 0;
	ws_send(c->w, API_WS_BINARY, f, 8 + n);
}

static void spdy_data(struct spdy_client *c, uint32_t id, bool fin, const char *p)
{
	uint8_t f[256];
	size_t n = strlen(p);

	put32(f, id);
	put32(f + 4, (uint32_t)n);
	f[4] = fin ? 1 : 0;
	memcpy(f + 8, p, n);
	ws_send(c->w, API_WS_BINARY, f, 8 + n);
}

/* What the server sent on the SPDY side, summed up. */
struct spdy_seen {
	int replies[8];		/* SYN_REPLY per stream id */
	char data[8][256];	/* data per stream id */
	bool fin[8];
	int pings;
};

static void spdy_scan(struct ws *w, struct spdy_seen *seen)
{
	size_t off = 0;
	struct api_spdy_frame f;
	int n;

	memset(seen, 0, sizeof(*seen));
	while ((n = api_spdy_frame(w->sp + off, w->sp_len - off, &f)) > 0) {
		off += (size_t)n;
		if (f.control && f.type == 2 && f.len >= 4) {
			uint32_t id = (uint32_t)f.data[3];

			assert_true(id < 8);
			seen->replies[id]++;
		} else if (f.control && f.type == 6) {
			seen->pings++;
		} else if (!f.control) {
			assert_true(f.stream < 8);
			strncat(seen->data[f.stream], (const char *)f.data, f.len);
			if (f.flags & 1)
				seen->fin[f.stream] = true;
		}
	}
	assert_true(n >= 0);
}

static bool pf_echoed(struct ws *w)
{
	struct spdy_seen s;

	spdy_scan(w, &s);
	return strcmp(s.data[3], "hello") == 0;
}

static bool pf_both_fin(struct ws *w)
{
	struct spdy_seen s;

	spdy_scan(w, &s);
	return s.fin[1] && s.fin[3];
}

static bool pf_refused(struct ws *w)
{
	struct spdy_seen s;

	spdy_scan(w, &s);
	return s.fin[5] && s.fin[7];
}

static bool pf_ping(struct ws *w)
{
	struct spdy_seen s;

	spdy_scan(w, &s);
	return s.pings > 0;
}

static void test_portforward(void **state)
{
	struct env *e = *state;
	struct spdy_client c = {0};
	struct spdy_seen seen;
	unsigned short port, dead_port;
	int lfd = listen_any(&port), dfd = listen_any(&dead_port);
	size_t dlen;
	const uint8_t *dict = api_spdy_dict(&dlen);
	struct ws w;
	char want[256];
	uint8_t ping[12] = {0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 9};

	close(dfd); /* nothing listens there any more */
	assert_int_equal(k1s_loop_add_fd(e->loop, lfd, EPOLLIN, on_echo_accept, e), 0);
	start_web(e);
	assert_int_equal(ws_open(e, &w, "/api/v1/namespaces/default/pods/web/portforward",
				 "SPDY/3.1+portforward.k8s.io"),
			 101);
	w.spdy = true;
	c.w = &w;
	assert_int_equal(deflateInit(&c.z, Z_DEFAULT_COMPRESSION), Z_OK);
	assert_int_equal(deflateSetDictionary(&c.z, dict, (unsigned)dlen), Z_OK);
	/* kubectl's order: the error stream (closed at once), then data. */
	syn_stream(&c, 1, "error", port, "0", true);
	syn_stream(&c, 3, "data", port, "0", false);
	spdy_data(&c, 3, false, "hello");
	ws_wait(&w, pf_echoed, 5000);
	spdy_scan(&w, &seen);
	assert_int_equal(seen.replies[1], 1);
	assert_int_equal(seen.replies[3], 1);
	/* The local side ends: the pod sees EOF, closes, and both streams
	 * of the pair finish, the error one empty (no error). */
	spdy_data(&c, 3, true, "");
	ws_wait(&w, pf_both_fin, 5000);
	spdy_scan(&w, &seen);
	assert_string_equal(seen.data[1], "");
	/* A port nobody listens on: the error stream says so. */
	syn_stream(&c, 5, "error", dead_port, "1", true);
	syn_stream(&c, 7, "data", dead_port, "1", false);
	ws_wait(&w, pf_refused, 5000);
	spdy_scan(&w, &seen);
	snprintf(want, sizeof(want), "error forwarding port %u to pod web: Connection refused",
		 dead_port);
	assert_string_equal(seen.data[5], want);
	/* SPDY pings are echoed, WebSocket pings answered. */
	ws_send(&w, API_WS_BINARY, ping, sizeof(ping));
	ws_wait(&w, pf_ping, 5000);
	ws_send(&w, API_WS_PING, "p", 1);
	ws_wait(&w, got_pong, 5000);
	ws_send(&w, API_WS_CLOSE, "\x03\xe8", 2);
	ws_wait(&w, closed, 5000);
	ws_wait(&w, NULL, 5000);
	deflateEnd(&c.z);
	ws_close(&w);
	k1s_loop_del_fd(e->loop, lfd);
	close(lfd);
}

static void test_portforward_refusals(void **state)
{
	struct env *e = *state;
	struct ws w;

	/* Plain HTTP, and a WebSocket without the tunnelling subprotocol. */
	expect_error(e, "/api/v1/namespaces/default/pods/web/portforward", 400,
		     "Upgrade request required: port-forward speaks SPDY/3.1 (portforward.k8s.io), "
		     "alone or inside WebSocket (SPDY/3.1+portforward.k8s.io)");
	assert_int_equal(ws_open(e, &w, "/api/v1/namespaces/default/pods/web/portforward",
				 "v5.channel.k8s.io"),
			 400);
	ws_close(&w);
	expect_error(e, "/api/v1/namespaces/default/pods/nope/portforward", 404,
		     "pods \"nope\" not found");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_tail_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_since_timestamps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_containers_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_follow_rotations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_exit_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_success_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_stdin_and_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_frames_with_the_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_tty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_oversize_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_tty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_ends_with_container, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portforward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portforward_refusals, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
