/* One HTTP/1.0 exchange with an API under test, driven as the control loop
 * would drive it (api_run between polls): for tests that meet the API's
 * listener directly, without the rest of k1s; and the throwaway API they
 * meet (a store in a temporary directory, the API bound to a free port of
 * 127.0.0.1). Include after cmocka.h, api_int.h and st.h. */
#ifndef TEST_API_ASK_H
#define TEST_API_ASK_H

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct api_reply {
	int code;
	char head[2048];
	char body[4096];
};

/* Sends req (a whole request) on fd, a connected socket it closes, and
 * reads the answer until the server closes or some 10 s pass. */
static inline void api_ask(struct api *api, int fd, const char *req, struct api_reply *r)
{
	char buf[8192], *sep;
	size_t len = 0;

	assert_true(fd >= 0);
	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	for (int i = 0; i < 2000; i++) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t got;

		api_run(api);
		if (poll(&pfd, 1, 5) <= 0)
			continue;
		got = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	buf[len] = '\0';
	sep = strstr(buf, "\r\n\r\n");
	assert_non_null(sep);
	*sep = '\0';
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &r->code), 1);
	snprintf(r->head, sizeof(r->head), "%s", buf);
	snprintf(r->body, sizeof(r->body), "%s", sep + 4);
}

/* An API on a fresh store, bound but not listening yet (add checks and
 * views, then api_listen). dir_template: "/tmp/NAME-XXXXXX". */
struct api_env {
	char dir[64];
	struct st *st;
	struct api *api;
	unsigned short port;
};

static inline void api_env_open(struct api_env *e, const char *dir_template)
{
	struct st_opts so = {.sync = ST_SYNC_NORMAL};
	struct api_config cfg = {
		.listen_addr = "127.0.0.1",
		.service_cidr = "10.96.0.0/12",
		.pod_cidr = "10.244.0.0/16",
		.node_port_min = 30000,
		.node_port_max = 32767,
		.node_name = "node-1",
		.node_ip = "127.0.0.1",
	};
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int err;

	snprintf(e->dir, sizeof(e->dir), "%s", dir_template);
	assert_non_null(mkdtemp(e->dir));
	e->st = st_open(e->dir, &so, &err);
	assert_non_null(e->st);
	e->api = api_new(e->st, &cfg, &err);
	assert_non_null(e->api);
	assert_int_equal(getsockname(e->api->listen_fd, (struct sockaddr *)&sa, &sl), 0);
	e->port = ntohs(sa.sin_port);
}

static inline void api_env_close(struct api_env *e)
{
	char cmd[128];

	api_free(e->api);
	st_close(e->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	assert_int_equal(system(cmd), 0);
}

/* A connected socket to the API, or a negative errno (not listening). */
static inline int api_env_dial(const struct api_env *e)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(e->port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

#endif
