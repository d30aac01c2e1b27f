/* The live page (ui/): its files, embedded in the binary at build time
 * (ui/embed.py), served at /ui/. On the plain port, which is loopback
 * as kubectl's default, anyone on the box reads it. On the HTTPS port a
 * browser has no bearer token to send, so a login form takes the token
 * once and trades it for a cookie that only reads (api_secure.c). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "k1s_log.h"

/* The page's files change only with the binary: a browser asks again
 * each time, and a 304 answers while the ETag holds. The policy keeps
 * the page to its own files: nothing from elsewhere, no inline script. */
static void page_headers(struct MHD_Response *resp, const char *cache)
{
	MHD_add_response_header(resp, "Cache-Control", cache);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
				"form-action 'self'");
}

static int reply_page(struct api_req *req, unsigned code, char *html, const char *cookie)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(html), html, MHD_RESPMEM_MUST_FREE);
	int ret;

	if (!resp) {
		free(html);
		return MHD_NO;
	}
	/* A login's answers are for this browser, this once. */
	page_headers(resp, "no-store");
	MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
	if (cookie)
		MHD_add_response_header(resp, "Set-Cookie", cookie);
	if (code == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"k1s\"");
	if (code == 303)
		MHD_add_response_header(resp, "Location", "/ui/");
	ret = api_queue(req, code, resp);
	return ret;
}

/* The form, with why the last try failed, if it did. */
static int reply_login(struct api_req *req, const char *why)
{
	char *html;

	if (asprintf(&html,
		     "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<title>k1s: log in</title><link rel=\"stylesheet\" href=\"/ui/style.css\">"
		     "</head>\n<body class=\"login\"><form id=\"login\" method=\"post\" "
		     "action=\"/ui/login\"><h1>k1s</h1>"
		     "<p>The live page needs the API token: the console shows it, and the box "
		     "keeps it in admin.token in its data directory.</p>"
		     "%s%s%s"
		     "<label>Token <input type=\"password\" name=\"token\" autocomplete=\"off\" "
		     "autofocus required maxlength=\"127\"></label>"
		     "<button type=\"submit\">Log in</button></form></body></html>\n",
		     why ? "<p class=\"error\" id=\"login-error\">" : "", why ? why : "",
		     why ? "</p>" : "") < 0)
		return MHD_NO;
	return reply_page(req, 401, html, NULL);
}

int api_ui_unauthorized(struct api_req *req, const char *url)
{
	if (strcmp(url, "/ui") != 0 && strncmp(url, "/ui/", 4) != 0)
		return 0;
	reply_login(req, NULL);
	return 1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int api_ui_form_value(const char *body, size_t len, const char *key, char *out,
		      size_t outlen)
{
	size_t klen = strlen(key), i = 0;

	if (outlen == 0)
		return -ENOSPC;
	while (i < len) {
		size_t end = i, o = 0;

		while (end < len && body[end] != '&')
			end++;
		/* Names here are plain ASCII: compared as they come. */
		if (end - i > klen && memcmp(body + i, key, klen) == 0 && body[i + klen] == '=') {
			for (size_t j = i + klen + 1; j < end; j++) {
				int c = (unsigned char)body[j];

				if (c == '%') {
					int hi = j + 2 < end ? hexval(body[j + 1]) : -1;
					int lo = hi >= 0 ? hexval(body[j + 2]) : -1;

					if (lo < 0)
						return -EINVAL;
					c = hi * 16 + lo;
					j += 2;
				} else if (c == '+') {
					c = ' ';
				}
				if (c == '\0')
					return -EINVAL;
				if (o + 1 >= outlen)
					return -ENOSPC;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return (int)o;
		}
		i = end + 1;
	}
	return -ENOENT;
}

/* POST /ui/login: the token, from the form, for the cookie. */
static int login(struct api_req *req)
{
	char token[128], cookie[160];
	int n;

	if (!api_secure_conn(req->conn) || !api_secure_ui_cookie(req->api))
		return reply_page(req, 303, strdup(""), NULL); /* the plain port needs none */
	n = api_ui_form_value(req->body ? req->body : "", req->body_len, "token", token,
			      sizeof(token));
	if (n <= 0 || !api_secure_token_ok(req->api, token)) {
		explicit_bzero(token, sizeof(token));
		k1s_info("api", "the live page's login: %s", n <= 0 ? "no token" : "a wrong token");
		return reply_login(req, n <= 0 ? "No token was given."
					       : "That is not the box's token.");
	}
	explicit_bzero(token, sizeof(token));
	/* Secure: never over the plain port; SameSite=Strict: not sent with a
	 * request that another site starts. */
	snprintf(cookie, sizeof(cookie), "%s=%s; HttpOnly; Secure; SameSite=Strict; Path=/",
		 API_UI_COOKIE, api_secure_ui_cookie(req->api));
	n = reply_page(req, 303, strdup(""), cookie);
	explicit_bzero(cookie, sizeof(cookie));
	return n;
}

static int reply_file(struct api_req *req, const struct api_ui_file *f)
{
	const char *inm = api_header(req, "If-None-Match");
	struct MHD_Response *resp;
	bool same = inm && strcmp(inm, f->uf_etag) == 0;
	int ret;

	resp = same ? MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT)
		    : MHD_create_response_from_buffer(f->uf_len, (void *)f->uf_data,
						      MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	page_headers(resp, "no-cache");
	MHD_add_response_header(resp, "ETag", f->uf_etag);
	if (!same)
		MHD_add_response_header(resp, "Content-Type", f->uf_type);
	ret = api_queue(req, same ? 304 : 200, resp);
	return ret;
}

int api_ui_handle(struct api_req *req, const char *url)
{
	const char *name;

	if (strcmp(url, "/ui") != 0 && strncmp(url, "/ui/", 4) != 0)
		return 0;
	if (strcmp(url, "/ui/login") == 0 && strcmp(req->method, "POST") == 0) {
		login(req);
		return 1;
	}
	if (!api_read_only(req))
		return 1;
	if (strcmp(url, "/ui") == 0) {
		struct MHD_Response *resp =
		    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);

		if (resp) {
			MHD_add_response_header(resp, "Location", "/ui/");
			api_queue(req, 301, resp);
		}
		return 1;
	}
	if (strcmp(url, "/ui/login") == 0) {
		/* Already in: a cookie or a token came with it. */
		reply_page(req, 303, strdup(""), NULL);
		return 1;
	}
	name = url[4] ? url + 4 : "index.html";
	for (const struct api_ui_file *f = api_ui_files; f->uf_name; f++)
		if (strcmp(f->uf_name, name) == 0) {
			reply_file(req, f);
			return 1;
		}
	api_reply_status(req, api_status(404, "NotFound",
					 "the server could not find the requested resource", NULL));
	return 1;
}
