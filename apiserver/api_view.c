/* The modules' read-only views under /k1s/ (api_add_view): a module
 * answers one GET with JSON, the API does the HTTP, the limits and the
 * Status of a refusal, in kube-apiserver's Status shape so that curl and
 * kubectl get --raw show the same errors as elsewhere. */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "api_int.h"
#include "k1s_err.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "st.h"

#define VIEW_PREFIX "/k1s/"
/* The longest namespace or pod name (a DNS subdomain). */
#define NAME_MAX_LEN 253

int api_add_view(struct api *api, const char *path, api_view_fn fn, void *arg)
{
	size_t len = path ? strlen(path) : 0;
	int i;

	if (!fn || len <= strlen(VIEW_PREFIX) || len >= sizeof(api->views[0].path) ||
	    strncmp(path, VIEW_PREFIX, strlen(VIEW_PREFIX)) != 0 || strchr(path, '?'))
		return -EINVAL;
	for (i = 0; i < api->nviews; i++)
		if (strcmp(api->views[i].path, path) == 0)
			return -EEXIST;
	if (api->nviews == API_MAX_VIEWS)
		return -ENOSPC;
	snprintf(api->views[api->nviews].path, sizeof(api->views[0].path), "%s", path);
	api->views[api->nviews].fn = fn;
	api->views[api->nviews].arg = arg;
	api->nviews++;
	return 0;
}

/* ---- the query, as the view sees it ---- */

struct query_buf {
	char s[API_VIEW_QUERY_MAX + 1];
	size_t len;
	bool too_long;
};

static void put_encoded(struct query_buf *q, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || strchr("-._~/:", c);

		if (q->len + (plain ? 1 : 3) > API_VIEW_QUERY_MAX) {
			q->too_long = true;
			return;
		}
		if (plain) {
			q->s[q->len++] = (char)c;
		} else {
			q->s[q->len++] = '%';
			q->s[q->len++] = hex[c >> 4];
			q->s[q->len++] = hex[c & 15];
		}
	}
}

static void put_char(struct query_buf *q, char c)
{
	if (q->len + 1 > API_VIEW_QUERY_MAX)
		q->too_long = true;
	else
		q->s[q->len++] = c;
}

/* libmicrohttpd hands the arguments over decoded, in order; they are
 * encoded again so that a value holding '&' or '=' stays one value. */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	struct query_buf *q = cls;

	(void)kind;
	if (q->len)
		put_char(q, '&');
	put_encoded(q, key);
	if (value) {
		put_char(q, '=');
		put_encoded(q, value);
	}
	q->s[q->len] = '\0';
	return q->too_long ? MHD_NO : MHD_YES;
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

/* Percent-decodes s[0..n) into out (cap bytes, NUL-terminated), '+' as a
 * space as Go's url.ParseQuery reads it: the length, -EINVAL or -ENOSPC. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -EINVAL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = hi * 16 + lo;
			if (c == 0)
				return -EINVAL;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (out) {
			if (o + 1 >= cap)
				return -ENOSPC;
			out[o] = (char)c;
		}
		o++;
	}
	if (out)
		out[o] = '\0';
	return (int)o;
}

int api_query_param(const char *query, const char *key, char *buf, size_t len)
{
	char k[256];
	const char *p = query ? query : "";

	if (!key || !buf || !len)
		return -EINVAL;
	while (*p) {
		const char *end = strchr(p, '&'), *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p);

		eq = memchr(p, '=', n);
		if (decode(p, eq ? (size_t)(eq - p) : n, k, sizeof(k)) >= 0 &&
		    strcmp(k, key) == 0) {
			if (!eq) {
				buf[0] = '\0';
				return 0;
			}
			return decode(eq + 1, n - (size_t)(eq + 1 - p), buf, len);
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return -ENOENT;
}

/* ---- peers by address or by pod ---- */

int api_lookup_addr(struct api *api, const char *peer, char *ip, size_t len, char *msg,
		    size_t msglen)
{
	const char *slash = strchr(peer, '/');
	char ns[NAME_MAX_LEN + 1], name[NAME_MAX_LEN + 1];
	struct in_addr a;
	json_t *pod = NULL;
	const char *pip;
	size_t n;
	int err;

	if (!slash) {
		if (inet_pton(AF_INET, peer, &a) == 1 && len >= INET_ADDRSTRLEN) {
			inet_ntop(AF_INET, &a, ip, (socklen_t)len);
			return 0;
		}
		goto bad;
	}
	n = (size_t)(slash - peer);
	if (n == 0 || n > NAME_MAX_LEN || !slash[1] || strlen(slash + 1) > NAME_MAX_LEN ||
	    strchr(slash + 1, '/'))
		goto bad;
	memcpy(ns, peer, n);
	ns[n] = '\0';
	snprintf(name, sizeof(name), "%s", slash + 1);
	err = st_get(api->st, "pods", ns, name, &pod);
	if (err == -ENOENT) {
		snprintf(msg, msglen, "pods \"%s\" not found in namespace \"%s\"", name, ns);
		return -ENOENT;
	}
	if (err < 0) {
		snprintf(msg, msglen, "reading pod %s/%s: %s", ns, name, k1s_strerror(err));
		return err;
	}
	pip = k1s_json_str(pod, "status.podIP");
	if (!pip || inet_pton(AF_INET, pip, &a) != 1 || len < INET_ADDRSTRLEN) {
		snprintf(msg, msglen, "pod %s/%s has no IP address yet", ns, name);
		json_decref(pod);
		return -ENOENT;
	}
	inet_ntop(AF_INET, &a, ip, (socklen_t)len);
	json_decref(pod);
	return 0;
bad:
	snprintf(msg, msglen, "\"%.*s\" is neither an IPv4 address nor NAMESPACE/POD", 300, peer);
	return -EINVAL;
}

int api_req_query(struct api_req *req, char *out)
{
	struct query_buf *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_arg, q);
	if (q->too_long) {
		free(q);
		return -E2BIG;
	}
	memcpy(out, q->s, q->len + 1);
	free(q);
	return 0;
}

/* ---- answering ---- */

int api_view_handle(struct api_req *req, const char *url)
{
	struct api *api = req->api;
	struct api_view *v = NULL;
	struct query_buf *q;
	json_t *out = NULL;
	char msg[512] = "";
	int i, err;

	if (strncmp(url, VIEW_PREFIX, strlen(VIEW_PREFIX)) != 0)
		return 0;
	for (i = 0; i < api->nviews; i++)
		if (strcmp(api->views[i].path, url) == 0)
			v = &api->views[i];
	if (!v) {
		api_reply_status(req, api_status(404, "NotFound",
						 "the server could not find the requested resource",
						 NULL));
		return 1;
	}
	if (!api_read_only(req))
		return 1;
	q = calloc(1, sizeof(*q));
	if (!q) {
		api_reply_status(req, api_status(500, "InternalError", "out of memory", NULL));
		return 1;
	}
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_arg, q);
	if (q->too_long) {
		snprintf(msg, sizeof(msg), "the query is too long: the limit is %d bytes",
			 API_VIEW_QUERY_MAX);
		api_reply_status(req, api_status(400, "BadRequest", msg, NULL));
		free(q);
		return 1;
	}
	err = v->fn(v->arg, q->s, &out, msg, sizeof(msg));
	free(q);
	if (err == 0 && out) {
		api_reply_json(req, 200, out);
		return 1;
	}
	json_decref(out);
	if (err == -EINVAL) {
		api_reply_status(req, api_status(400, "BadRequest", msg, NULL));
	} else if (err == -ENOENT) {
		api_reply_status(req, api_status(404, "NotFound", msg, NULL));
	} else {
		k1s_err("api", "%s: %s (%s)", v->path, msg, k1s_strerror(err ? err : -EIO));
		api_reply_status(req, api_status(500, "InternalError",
						 "an error on the server prevented the view "
						 "from being answered",
						 NULL));
	}
	return 1;
}
