/* The live page over the plain port, as a browser meets it: /ui leads to
 * /ui/, each file comes with its Content-Type and an ETag that a
 * revalidation answers with 304, an unknown file is a 404 Status, the
 * page is only read (405), and the plain port needs no login. And the
 * login form's parser: the token, decoded, and nothing malformed. */
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

static int setup(void **state)
{
	struct api_env *e = calloc(1, sizeof(*e));

	api_env_open(e, "/tmp/k1s-ui-XXXXXX");
	assert_int_equal(api_listen(e->api), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	api_env_close(*state);
	free(*state);
	return 0;
}

/* METHOD path with extra header lines (each ending in \r\n) and a body. */
static void ask_body(struct api_env *e, const char *method, const char *path, const char *extra,
		     const char *body, struct api_reply *r)
{
	char req[4096];

	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: x\r\n%sContent-Length: %zu\r\n\r\n%s",
		 method, path, extra, strlen(body), body);
	api_ask(e->api, api_env_dial(e), req, r);
}

static void ask(struct api_env *e, const char *method, const char *path, const char *extra,
		struct api_reply *r)
{
	ask_body(e, method, path, extra, "", r);
}

/* The value of a header in a reply's head, into buf. */
static const char *header(const struct api_reply *r, const char *name, char *buf, size_t len)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\r\n%s: ", name);
	p = strcasestr(r->head, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\r\n"), p);
	return buf;
}

static void ui_redirects_to_the_folder(void **state)
{
	struct api_reply r;
	char v[256];

	ask(*state, "GET", "/ui", "", &r);
	assert_int_equal(r.code, 301);
	assert_string_equal(header(&r, "Location", v, sizeof(v)), "/ui/");
}

static void files_have_their_types(void **state)
{
	static const struct {
		const char *path, *type, *has;
	} want[] = {
		{"/ui/", "text/html; charset=utf-8", "<svg id=\"topology\""},
		{"/ui/index.html", "text/html; charset=utf-8", "<table id=\"flows\">"},
		{"/ui/style.css", "text/css; charset=utf-8", "#flows tr.flow"},
	};
	struct api_reply r;
	char v[256];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ask(*state, "GET", want[i].path, "", &r);
		assert_int_equal(r.code, 200);
		assert_string_equal(header(&r, "Content-Type", v, sizeof(v)), want[i].type);
		assert_non_null(strstr(r.body, want[i].has));
		assert_string_equal(header(&r, "Cache-Control", v, sizeof(v)), "no-cache");
		assert_non_null(header(&r, "Content-Security-Policy", v, sizeof(v)));
		assert_string_equal(header(&r, "X-Content-Type-Options", v, sizeof(v)), "nosniff");
	}
	ask(*state, "HEAD", "/ui/app.js", "", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(header(&r, "Content-Type", v, sizeof(v)),
			    "text/javascript; charset=utf-8");
}

static void etag_revalidates(void **state)
{
	struct api_reply r;
	char etag[128], extra[256], v[128];

	ask(*state, "GET", "/ui/app.js", "", &r);
	assert_int_equal(r.code, 200);
	assert_non_null(header(&r, "ETag", etag, sizeof(etag)));
	assert_int_equal(etag[0], '"');
	snprintf(extra, sizeof(extra), "If-None-Match: %s\r\n", etag);
	ask(*state, "GET", "/ui/app.js", extra, &r);
	assert_int_equal(r.code, 304);
	assert_string_equal(header(&r, "ETag", v, sizeof(v)), etag);
	assert_string_equal(r.body, "");
	/* Another file's tag is no match. */
	ask(*state, "GET", "/ui/style.css", extra, &r);
	assert_int_equal(r.code, 200);
}

static void unknown_files_are_404(void **state)
{
	static const char *const paths[] = {"/ui/nosuch.js", "/ui/../k1s.conf", "/ui/app.js/x",
					    "/ui/embed.py", "/uix"};
	struct api_reply r;
	char v[128];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		ask(*state, "GET", paths[i], "", &r);
		assert_int_equal(r.code, 404);
		assert_string_equal(header(&r, "Content-Type", v, sizeof(v)), "application/json");
		assert_non_null(strstr(r.body, "NotFound"));
	}
}

static void page_is_only_read(void **state)
{
	struct api_reply r;

	ask(*state, "DELETE", "/ui/app.js", "", &r);
	assert_int_equal(r.code, 405);
	ask_body(*state, "PUT", "/ui/", "", "{}", &r);
	assert_int_equal(r.code, 405);
}

static void plain_port_needs_no_login(void **state)
{
	struct api_reply r;
	char v[128];

	char big[API_UI_LOGIN_MAX_BODY + 16];

	ask_body(*state, "POST", "/ui/login", "", "token=x", &r);
	assert_int_equal(r.code, 303);
	assert_string_equal(header(&r, "Location", v, sizeof(v)), "/ui/");
	assert_null(header(&r, "Set-Cookie", v, sizeof(v)));
	/* The login's body is bounded, far beneath the API's. */
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "token=", 6);
	big[sizeof(big) - 1] = '\0';
	ask_body(*state, "POST", "/ui/login", "", big, &r);
	assert_int_equal(r.code, 413);
	assert_non_null(strstr(r.body, "the limit is 1024 bytes"));
}

static void form_values(void **state)
{
	char out[32];

	assert_int_equal(api_ui_form_value("token=abcdef.0123", 17, "token", out, sizeof(out)), 11);
	assert_string_equal(out, "abcdef.0123");
	assert_int_equal(api_ui_form_value("a=1&token=x%2Ey+z&b", 19, "token", out, sizeof(out)), 5);
	assert_string_equal(out, "x.y z");
	assert_int_equal(api_ui_form_value("token=", 6, "token", out, sizeof(out)), 0);
	assert_int_equal(api_ui_form_value("tokens=1&xtoken=2", 17, "token", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(api_ui_form_value("token=%4", 8, "token", out, sizeof(out)), -EINVAL);
	assert_int_equal(api_ui_form_value("token=%zz", 9, "token", out, sizeof(out)), -EINVAL);
	assert_int_equal(api_ui_form_value("token=a%00b", 11, "token", out, sizeof(out)), -EINVAL);
	assert_int_equal(api_ui_form_value("token=abcdef", 12, "token", out, 4), -ENOSPC);
	/* len bounds the read: the value ends where len says. */
	assert_int_equal(api_ui_form_value("token=abc&more", 8, "token", out, sizeof(out)), 2);
	assert_string_equal(out, "ab");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ui_redirects_to_the_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(files_have_their_types, setup, teardown),
		cmocka_unit_test_setup_teardown(etag_revalidates, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_files_are_404, setup, teardown),
		cmocka_unit_test_setup_teardown(page_is_only_read, setup, teardown),
		cmocka_unit_test_setup_teardown(plain_port_needs_no_login, setup, teardown),
		cmocka_unit_test(form_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
