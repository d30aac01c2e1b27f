/* /livez, /readyz and /healthz over real HTTP, as kube-apiserver answers
 * them (healthz.go): the plain `ok`, the verbose list, a failing check's
 * 500 with its reason withheld, exclude, a check's own path and its
 * reason, 404 for a check that is not there, the shutdown check; and no
 * answer at all before api_listen(). */
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
#include "st.h"
#include "../fakes/api_ask.h"


struct env {
	struct api_env a;
	const char *mod_why;	/* what the module's check answers */
};


static const char *mod_check(void *arg)
{
	struct env *e = arg;

	return e->mod_why;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	api_env_open(&e->a, "/tmp/k1s-health-XXXXXX");
	assert_int_equal(api_add_check(e->a.api, "mod", mod_check, e), 0);
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

static int dial(struct env *e)
{
	return api_env_dial(&e->a);
}

/* GET path over HTTP/1.0, the API driven as the control loop would. */
static void get(struct env *e, const char *path, struct api_reply *r)
{
	char req[512];

	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
	api_ask(e->a.api, dial(e), req, r);
}

static void nothing_answers_before_listen(void **state)
{
	struct env *e = *state;

	assert_int_equal(dial(e), -ECONNREFUSED);
	assert_int_equal(api_listen(e->a.api), 0);
	assert_true(api_fd(e->a.api) >= 0);
	{
		struct api_reply r;

		get(e, "/livez", &r);
		assert_int_equal(r.code, 200);
	}
}

static void healthy_says_ok_and_lists_checks_when_verbose(void **state)
{
	struct env *e = *state;
	struct api_reply r;

	assert_int_equal(api_listen(e->a.api), 0);
	get(e, "/readyz", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "ok");
	assert_non_null(strstr(r.head, "Content-Type: text/plain; charset=utf-8"));
	assert_non_null(strstr(r.head, "X-Content-Type-Options: nosniff"));

	get(e, "/readyz?verbose", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]mod ok\n"
				    "[+]shutdown ok\nreadyz check passed\n");
	/* Any value counts, as the key's presence does in Go. */
	get(e, "/livez?verbose=false", &r);
	assert_string_equal(r.body, "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]mod ok\n"
				    "livez check passed\n");
	get(e, "/healthz?verbose=1", &r);
	assert_string_equal(r.body, "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]mod ok\n"
				    "healthz check passed\n");
	get(e, "/healthz", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "ok");
}

static void failing_check_is_a_500_with_the_reason_withheld(void **state)
{
	struct env *e = *state;
	struct api_reply r;

	assert_int_equal(api_listen(e->a.api), 0);
	e->mod_why = "not reconciled yet";
	get(e, "/readyz", &r);
	assert_int_equal(r.code, 500);
	assert_string_equal(r.body, "[+]ping ok\n[+]log ok\n[+]etcd ok\n"
				    "[-]mod failed: reason withheld\n[+]shutdown ok\n"
				    "readyz check failed\n");
	assert_non_null(strstr(r.head, "X-Content-Type-Options: nosniff"));
	get(e, "/livez", &r);
	assert_int_equal(r.code, 500);
	assert_non_null(strstr(r.body, "[-]mod failed: reason withheld\nlivez check failed\n"));

	/* Its own path tells why. */
	get(e, "/readyz/mod", &r);
	assert_int_equal(r.code, 500);
	assert_string_equal(r.body, "internal server error: not reconciled yet\n");
	get(e, "/readyz/ping", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "ok");

	/* Excluded, it no longer fails the whole. */
	get(e, "/readyz?exclude=mod", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "ok");
	get(e, "/readyz?verbose&exclude=mod&exclude=etcd", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "[+]ping ok\n[+]log ok\n[+]etcd excluded: ok\n"
				    "[+]mod excluded: ok\n[+]shutdown ok\nreadyz check passed\n");
}

static void exclude_of_no_check_warns_sorted_and_quoted(void **state)
{
	struct env *e = *state;
	struct api_reply r;

	assert_int_equal(api_listen(e->a.api), 0);
	get(e, "/livez?verbose&exclude=zz&exclude=a%22b&exclude=zz&exclude=ping", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "[+]ping excluded: ok\n[+]log ok\n[+]etcd ok\n[+]mod ok\n"
				    "warn: some health checks cannot be excluded: no matches for "
				    "\"a\\\"b\",\"zz\"\nlivez check passed\n");
	/* Not verbose and healthy: just ok, the warning is not shown. */
	get(e, "/livez?exclude=zz", &r);
	assert_string_equal(r.body, "ok");
}

static void unknown_check_is_not_found(void **state)
{
	struct env *e = *state;
	struct api_reply r;

	assert_int_equal(api_listen(e->a.api), 0);
	get(e, "/readyz/nope", &r);
	assert_int_equal(r.code, 404);
	assert_non_null(strstr(r.body, "NotFound"));
	get(e, "/readyz/", &r);
	assert_int_equal(r.code, 404);
	/* shutdown is a readiness check only. */
	get(e, "/livez/shutdown", &r);
	assert_int_equal(r.code, 404);
	get(e, "/readyzz", &r);
	assert_int_equal(r.code, 404);
}

static void shutdown_fails_readyz_first(void **state)
{
	struct env *e = *state;
	struct api_reply r;

	assert_int_equal(api_listen(e->a.api), 0);
	api_shutdown_begin(e->a.api);
	get(e, "/readyz?verbose", &r);
	assert_int_equal(r.code, 500);
	assert_string_equal(r.body, "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]mod ok\n"
				    "[-]shutdown failed: reason withheld\nreadyz check failed\n");
	get(e, "/readyz/shutdown", &r);
	assert_int_equal(r.code, 500);
	assert_string_equal(r.body, "internal server error: process is shutting down\n");
	get(e, "/livez", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "ok");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(nothing_answers_before_listen, setup, teardown),
	    cmocka_unit_test_setup_teardown(healthy_says_ok_and_lists_checks_when_verbose, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(failing_check_is_a_500_with_the_reason_withheld, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(exclude_of_no_check_warns_sorted_and_quoted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(unknown_check_is_not_found, setup, teardown),
	    cmocka_unit_test_setup_teardown(shutdown_fails_readyz_first, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
