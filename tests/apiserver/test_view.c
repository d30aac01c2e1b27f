/* A module's read-only view under /k1s/ over real HTTP: the JSON it
 * gives, the 400 and 404 Statuses it asks for, 404 and 405 from the API
 * around it, HEAD, the query limit; the query as the view reads it with
 * api_query_param(), and peers named by address or by pod. */
#include <arpa/inet.h>
#include <errno.h>
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
	char seen[API_VIEW_QUERY_MAX + 1];	/* the query the view was given */
	int calls;
};

/* A view that answers {"from": IP, "to": IP, "port": "P"}, as the policy
 * verdict reads its query. */
static int verdict_view(void *arg, const char *query, json_t **out, char *msg, size_t len)
{
	struct env *e = arg;
	char from[300], to[300], fip[16], tip[16], port[16];
	int err;

	e->calls++;
	snprintf(e->seen, sizeof(e->seen), "%s", query);
	if (api_query_param(query, "from", from, sizeof(from)) < 0 ||
	    api_query_param(query, "to", to, sizeof(to)) < 0) {
		snprintf(msg, len, "from and to are required");
		return -EINVAL;
	}
	if ((err = api_lookup_addr(e->a.api, from, fip, sizeof(fip), msg, len)) < 0 ||
	    (err = api_lookup_addr(e->a.api, to, tip, sizeof(tip), msg, len)) < 0)
		return err;
	if (api_query_param(query, "port", port, sizeof(port)) < 0)
		strcpy(port, "");
	*out = json_pack("{s:s, s:s, s:s}", "from", fip, "to", tip, "port", port);
	return 0;
}

static int broken_view(void *arg, const char *query, json_t **out, char *msg, size_t len)
{
	snprintf(msg, len, "the view's state is gone");
	return -EIO;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	json_t *pod;

	api_env_open(&e->a, "/tmp/k1s-view-XXXXXX");
	assert_int_equal(api_add_view(e->a.api, "/k1s/policy/verdict", verdict_view, e), 0);
	assert_int_equal(api_add_view(e->a.api, "/k1s/broken", broken_view, e), 0);
	assert_int_equal(api_listen(e->a.api), 0);
	pod = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "v1", "kind", "Pod",
			"metadata", "name", "a", "namespace", "x", "status", "podIP",
			"10.244.0.7");
	assert_int_equal(st_create(e->a.st, "pods", "x", "a", pod), 0);
	json_decref(pod);
	pod = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{}}", "apiVersion", "v1", "kind", "Pod",
			"metadata", "name", "b", "namespace", "x", "status");
	assert_int_equal(st_create(e->a.st, "pods", "x", "b", pod), 0);
	json_decref(pod);
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
	int fd = api_env_dial(&e->a);

	assert_true(fd >= 0);
	return fd;
}

static void ask(struct env *e, const char *method, const char *path, struct api_reply *r)
{
	static char req[8192];

	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: x\r\n\r\n", method, path);
	api_ask(e->a.api, dial(e), req, r);
}

static json_t *body(const struct api_reply *r)
{
	json_t *j = json_loads(r->body, 0, NULL);

	assert_non_null(j);
	return j;
}

static void assert_status(const struct api_reply *r, int code, const char *reason,
			  const char *message)
{
	json_t *j = body(r);

	assert_int_equal(r->code, code);
	assert_non_null(strstr(r->head, "Content-Type: application/json"));
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "Status");
	assert_string_equal(json_string_value(json_object_get(j, "status")), "Failure");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), reason);
	assert_int_equal(json_integer_value(json_object_get(j, "code")), code);
	assert_string_equal(json_string_value(json_object_get(j, "message")), message);
	json_decref(j);
}

static void view_answers_with_its_json(void **state)
{
	struct env *e = *state;
	struct api_reply r;
	json_t *j;

	ask(e, "GET", "/k1s/policy/verdict?from=x%2Fa&to=10.244.0.9&port=80&protocol=TCP", &r);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.head, "Content-Type: application/json"));
	j = body(&r);
	assert_string_equal(json_string_value(json_object_get(j, "from")), "10.244.0.7");
	assert_string_equal(json_string_value(json_object_get(j, "to")), "10.244.0.9");
	assert_string_equal(json_string_value(json_object_get(j, "port")), "80");
	json_decref(j);
	assert_string_equal(e->seen, "from=x/a&to=10.244.0.9&port=80&protocol=TCP");

	/* A value holding '&' and '=' stays one value. */
	ask(e, "GET", "/k1s/policy/verdict?to=x/a&from=10.244.0.1&port=a%26b%3Dc", &r);
	assert_int_equal(r.code, 200);
	j = body(&r);
	assert_string_equal(json_string_value(json_object_get(j, "port")), "a&b=c");
	json_decref(j);

	/* HEAD: the same head, no body. */
	ask(e, "HEAD", "/k1s/policy/verdict?from=x/a&to=x/a", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "");
}

static void view_refusals_are_statuses(void **state)
{
	struct env *e = *state;
	struct api_reply r;

	ask(e, "GET", "/k1s/policy/verdict?from=x/a", &r);
	assert_status(&r, 400, "BadRequest", "from and to are required");
	ask(e, "GET", "/k1s/policy/verdict?from=x/a&to=banana", &r);
	assert_status(&r, 400, "BadRequest",
		      "\"banana\" is neither an IPv4 address nor NAMESPACE/POD");
	ask(e, "GET", "/k1s/policy/verdict?from=x/a&to=x/a/b", &r);
	assert_status(&r, 400, "BadRequest",
		      "\"x/a/b\" is neither an IPv4 address nor NAMESPACE/POD");
	ask(e, "GET", "/k1s/policy/verdict?from=x/nope&to=x/a", &r);
	assert_status(&r, 404, "NotFound", "pods \"nope\" not found in namespace \"x\"");
	ask(e, "GET", "/k1s/policy/verdict?from=x/b&to=x/a", &r);
	assert_status(&r, 404, "NotFound", "pod x/b has no IP address yet");
	/* A view's own failure is logged; the client sees a 500, no details. */
	ask(e, "GET", "/k1s/broken", &r);
	assert_status(&r, 500, "InternalError",
		      "an error on the server prevented the view from being answered");
}

static void api_guards_the_views(void **state)
{
	struct env *e = *state;
	struct api_reply r;
	char path[4096];
	int calls;

	ask(e, "GET", "/k1s/policy/nothing", &r);
	assert_status(&r, 404, "NotFound", "the server could not find the requested resource");
	ask(e, "GET", "/k1s/policy/verdict/x", &r);
	assert_int_equal(r.code, 404);
	ask(e, "POST", "/k1s/policy/verdict?from=x/a&to=x/a", &r);
	assert_status(&r, 405, "MethodNotAllowed",
		      "the server does not allow this method on the requested resource");
	ask(e, "DELETE", "/k1s/policy/verdict", &r);
	assert_int_equal(r.code, 405);

	/* A query past the limit never reaches the view. */
	calls = e->calls;
	snprintf(path, sizeof(path), "/k1s/policy/verdict?from=x/a&to=x/a&pad=");
	memset(path + strlen(path), 'p', API_VIEW_QUERY_MAX);
	path[sizeof(path) - 1] = '\0';
	path[strlen("/k1s/policy/verdict?from=x/a&to=x/a&pad=") + API_VIEW_QUERY_MAX] = '\0';
	ask(e, "GET", path, &r);
	assert_status(&r, 400, "BadRequest", "the query is too long: the limit is 2048 bytes");
	assert_int_equal(e->calls, calls);

	/* Paths outside /k1s/ are the API's as before. */
	ask(e, "GET", "/livez", &r);
	assert_int_equal(r.code, 200);
}

static int nop_view(void *arg, const char *query, json_t **out, char *msg, size_t len)
{
	*out = json_object();
	return 0;
}

static void add_view_checks_its_path(void **state)
{
	struct env *e = *state;
	char path[80];
	int i;

	assert_int_equal(api_add_view(e->a.api, "/k1s/", nop_view, NULL), -EINVAL);
	assert_int_equal(api_add_view(e->a.api, "/api/v1/x", nop_view, NULL), -EINVAL);
	assert_int_equal(api_add_view(e->a.api, "/k1s/a?b", nop_view, NULL), -EINVAL);
	assert_int_equal(api_add_view(e->a.api, NULL, nop_view, NULL), -EINVAL);
	assert_int_equal(api_add_view(e->a.api, "/k1s/x", NULL, NULL), -EINVAL);
	/* 63 bytes fit, 64 do not. */
	memset(path, 'a', sizeof(path));
	memcpy(path, "/k1s/", 5);
	path[64] = '\0';
	assert_int_equal(api_add_view(e->a.api, path, nop_view, NULL), -EINVAL);
	path[63] = '\0';
	assert_int_equal(api_add_view(e->a.api, path, nop_view, NULL), 0);
	assert_int_equal(api_add_view(e->a.api, "/k1s/policy/verdict", nop_view, NULL), -EEXIST);
	for (i = 3; i < API_MAX_VIEWS; i++) {
		snprintf(path, sizeof(path), "/k1s/v%d", i);
		assert_int_equal(api_add_view(e->a.api, path, nop_view, NULL), 0);
	}
	assert_int_equal(api_add_view(e->a.api, "/k1s/one-more", nop_view, NULL), -ENOSPC);
}

static void query_param_decodes(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(api_query_param("from=x/a&to=10.0.0.1", "to", buf, sizeof(buf)), 8);
	assert_string_equal(buf, "10.0.0.1");
	assert_int_equal(api_query_param("a=1&a=2", "a", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "1");
	assert_int_equal(api_query_param("x%2Fy=a+b%20c", "x/y", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "a b c");
	assert_int_equal(api_query_param("verbose&b=", "verbose", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(api_query_param("verbose&b=", "b", buf, sizeof(buf)), 0);
	assert_int_equal(api_query_param("", "a", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(api_query_param("ab=1", "a", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(api_query_param("a=%4", "a", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(api_query_param("a=%zz", "a", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(api_query_param("a=x%00", "a", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(api_query_param("a=0123456789abcdef", "a", buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(api_query_param("a=0123456789abcde", "a", buf, sizeof(buf)), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(view_answers_with_its_json, setup, teardown),
	    cmocka_unit_test_setup_teardown(view_refusals_are_statuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(api_guards_the_views, setup, teardown),
	    cmocka_unit_test_setup_teardown(add_view_checks_its_path, setup, teardown),
	    cmocka_unit_test(query_param_decodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
