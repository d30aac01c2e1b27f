/* One HTTP/1.0 exchange with an API under test, driven as the control loop
 * would drive it (api_run between polls): for tests that meet the API's
 * listener directly, without the rest of k1s. Include after cmocka.h and
 * api_int.h. */
#ifndef TEST_API_ASK_H
#define TEST_API_ASK_H

#include <poll.h>
#include <stdio.h>
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

#endif
