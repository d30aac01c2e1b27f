/* GET /ca.crt over real HTTP: the cluster CA's certificate, never its
 * key; HEAD alike without the body; other methods refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "api_int.h"
#include "k1s_pki.h"
#include "st.h"
#include "../fakes/api_ask.h"


struct env {
	char dir[64];
	struct st *st;
	struct api *api;
	unsigned short port;
};


static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
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

	strcpy(e->dir, "/tmp/k1s-ca-http-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	e->st = st_open(e->dir, &so, &err);
	assert_non_null(e->st);
	e->api = api_new(e->st, &cfg, &err);
	assert_non_null(e->api);
	assert_int_equal(getsockname(e->api->listen_fd, (struct sockaddr *)&sa, &sl), 0);
	e->port = ntohs(sa.sin_port);
	assert_int_equal(api_listen(e->api), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	api_free(e->api);
	st_close(e->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

/* method path over HTTP/1.0. */
static void call(struct env *e, const char *method, const char *path, struct api_reply *r)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(e->port)};
	char req[512];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		 method, path);
	api_ask(e->api, fd, req, r);
}

static void serves_the_ca_certificate(void **state)
{
	struct env *e = *state;
	time_t now = time(NULL);
	struct k1s_cert_req req = {
	    .common_name = "k1s-ca", .not_before = now, .not_after = now + 86400, .is_ca = true};
	char *key, *crt, want[64];
	struct api_reply r;

	/* Before there is a CA. */
	call(e, "GET", "/ca.crt", &r);
	assert_int_equal(r.code, 503);

	assert_int_equal(k1s_pki_key_new(&key), 0);
	assert_int_equal(k1s_pki_self_signed(&req, key, &crt), 0);
	assert_int_equal(st_private_put(e->st, "cluster-ca.key", key), 0);
	assert_int_equal(st_private_put(e->st, "cluster-ca.crt", crt), 0);

	call(e, "GET", "/ca.crt", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, crt);
	assert_null(strstr(r.body, "PRIVATE KEY"));
	assert_non_null(strstr(r.head, "Content-Type: application/x-pem-file"));
	snprintf(want, sizeof(want), "Content-Length: %zu", strlen(crt));
	assert_non_null(strstr(r.head, want));

	call(e, "HEAD", "/ca.crt", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "");
	assert_non_null(strstr(r.head, "Content-Type: application/x-pem-file"));
	assert_non_null(strstr(r.head, want));

	/* A query changes nothing; other methods and paths are not it. */
	call(e, "GET", "/ca.crt?x=1", &r);
	assert_int_equal(r.code, 200);
	call(e, "POST", "/ca.crt", &r);
	assert_int_equal(r.code, 405);
	assert_non_null(strstr(r.head, "Allow: GET, HEAD"));
	call(e, "DELETE", "/ca.crt", &r);
	assert_int_equal(r.code, 405);
	call(e, "GET", "/ca.crt/key", &r);
	assert_int_equal(r.code, 404);
	call(e, "GET", "/ca.key", &r);
	assert_int_equal(r.code, 404);
	k1s_pki_free(key);
	k1s_pki_free(crt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(serves_the_ca_certificate, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
