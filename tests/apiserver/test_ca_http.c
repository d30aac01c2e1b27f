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
	struct api_env a;
};


static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	api_env_open(&e->a, "/tmp/k1s-ca-http-XXXXXX");
	assert_int_equal(api_listen(e->a.api), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	api_env_close(&e->a);
	free(e);
	return 0;
}

/* method path over HTTP/1.0. */
static void call(struct env *e, const char *method, const char *path, struct api_reply *r)
{
	char req[512];
	int fd = api_env_dial(&e->a);

	assert_true(fd >= 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		 method, path);
	api_ask(e->a.api, fd, req, r);
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
	assert_int_equal(st_private_put(e->a.st, "cluster-ca.key", key), 0);
	assert_int_equal(st_private_put(e->a.st, "cluster-ca.crt", crt), 0);

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
