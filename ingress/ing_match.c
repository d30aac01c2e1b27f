/* Matching a request against a table as nginx matches its nginx.conf:
 * the server by Host (exact, then a one-label wildcard, then "_"), then
 * the exact location, else the longest prefix, or the first regex in
 * order; then what ingress-nginx's location does, in nginx's phase order:
 * its return (permanent- or temporal-redirect), the https redirect of
 * lua_ingress.lua, allow and deny (whitelist-source-range), and the
 * rewrite before proxy_pass. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <arpa/inet.h>

#include "ing_route_int.h"

#define URI_MAX 8192	/* nginx's large_client_header_buffers: 8k */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* nginx's $uri from the path as sent (ngx_http_parse_complex_uri()): %XX
 * decoded, slashes merged, "." and ".." resolved. The length, or -1 for
 * what nginx refuses with 400 (no leading slash, a bad escape, %00, ".."
 * above the root). */
static ssize_t normalize(const char *p, size_t n, char *out)
{
	size_t o = 0;

	if (!n || p[0] != '/' || n >= URI_MAX)
		return -1;
	for (size_t i = 0; i <= n; i++) {
		char c;

		if (i == n || p[i] == '/' || (p[i] == '%' && i + 2 < n && p[i + 1] == '2' &&
					       (p[i + 2] == 'f' || p[i + 2] == 'F'))) {
			/* a segment ends: resolve it */
			if (o >= 2 && out[o - 1] == '.' && out[o - 2] == '/') {
				o--;
			} else if (o >= 3 && out[o - 1] == '.' && out[o - 2] == '.' &&
				   out[o - 3] == '/') {
				if (o == 3)
					return -1;
				o -= 3;
				while (out[o - 1] != '/')
					o--;
			}
			if (i == n)
				break;
			if (p[i] == '%')
				i += 2;
			if (!o || out[o - 1] != '/')
				out[o++] = '/';
			continue;
		}
		c = p[i];
		if (c == '%') {
			int hi = i + 2 < n ? hexval(p[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(p[i + 2]) : -1;

			if (lo < 0 || (hi == 0 && lo == 0))
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		out[o++] = c;
	}
	return (ssize_t)o;
}

/* The bytes nginx 1.22 escapes in a rewritten URI it proxies, and in a
 * capture copied into the arguments (NGX_ESCAPE_URI, NGX_ESCAPE_ARGS), as
 * it was seen to send them. */
static bool escaped(unsigned char c, bool args)
{
	return c <= 0x20 || c >= 0x7f || strchr("\"#%<>?\\^`{|}", c) ||
	       (args && strchr("&+;", c));
}

struct out {
	char *p;
	size_t n, cap;
	bool over;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (!n)
		return;
	if (o->n + n >= o->cap) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = 0;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_escaped(struct out *o, const char *s, size_t n, bool args)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (escaped(c, args)) {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};

			put(o, e, 3);
		} else {
			put(o, s + i, 1);
		}
	}
}

struct req {
	struct ing_str host, path, query;
	const char *uri;
	size_t ulen;
	bool tls;
};

static void put_request_uri(struct out *o, const struct req *q)
{
	put(o, q->path.p, q->path.n);
	if (q->query.n) {
		put(o, "?", 1);
		put(o, q->query.p, q->query.n);
	}
}

/* Expands nginx variables ($request_uri, $uri, $args, $host, $scheme)
 * and, with a match, captures $1..$9, as a rewrite or return does; in
 * the arguments, captures are escaped. */
static void expand(struct out *o, const char *tpl, const struct req *q, const PCRE2_SIZE *ov,
		   int ncap, bool args)
{
	static const struct {
		const char *name;
		int id;
	} vars[] = {{"request_uri", 1}, {"uri", 2}, {"args", 3}, {"host", 4}, {"scheme", 5}};

	for (const char *s = tpl; *s; s++) {
		size_t k;

		if (*s != '$') {
			put(o, s, 1);
			continue;
		}
		if (s[1] >= '0' && s[1] <= '9') {
			int i = s[1] - '0';

			if (ov && i < ncap && ov[2 * i] != PCRE2_UNSET && args)
				put_escaped(o, q->uri + ov[2 * i], ov[2 * i + 1] - ov[2 * i], true);
			else if (ov && i < ncap && ov[2 * i] != PCRE2_UNSET)
				put(o, q->uri + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
			s++;
			continue;
		}
		for (k = 0; k < sizeof(vars) / sizeof(vars[0]); k++) {
			size_t len = strlen(vars[k].name);

			if (strncmp(s + 1, vars[k].name, len) == 0 &&
			    !(isalnum((unsigned char)s[1 + len]) || s[1 + len] == '_'))
				break;
		}
		if (k == sizeof(vars) / sizeof(vars[0])) {
			put(o, s, 1);
			continue;
		}
		switch (vars[k].id) {
		case 1: put_request_uri(o, q); break;
		case 2: put(o, q->uri, q->ulen); break;
		case 3: put(o, q->query.p, q->query.n); break;
		case 4: put(o, q->host.p, q->host.n); break;
		case 5: puts_(o, q->tls ? "https" : "http"); break;
		}
		s += strlen(vars[k].name);
	}
}

static const struct ing_host *host_find(const struct ing_table *t, const char *name, size_t n)
{
	uint64_t hv = fnv(name, n);

	for (unsigned k = (unsigned)hv & t->hmask; t->hosts[k].host; k = (k + 1) & t->hmask) {
		const struct ing_host *h = t->hosts[k].host;

		if (t->hosts[k].h == hv && strncmp(h->name, name, n) == 0 && !h->name[n])
			return h;
	}
	return NULL;
}

/* The server of a host: its name, else "*." and the name without its first
 * label (a wildcard covers one label, as the Ingress specification says),
 * else the catch-all. */
static const struct ing_host *server_of(const struct ing_table *t, struct ing_str host)
{
	char name[256];
	size_t n = host.n;
	const struct ing_host *h;
	const char *dot;

	if (n && host.p[n - 1] == '.')
		n--;
	if (!n || n >= sizeof(name) - 1)
		return t->catchall;
	for (size_t i = 0; i < n; i++)
		name[i] = (char)tolower((unsigned char)host.p[i]);
	if ((h = host_find(t, name, n)))
		return h;
	dot = memchr(name, '.', n);
	if (!dot || dot == name)
		return t->catchall;
	{
		size_t rest = n - (size_t)(dot - name);
		char wild[258];

		wild[0] = '*';
		memcpy(wild + 1, dot, rest);
		if ((h = host_find(t, wild, rest + 1)))
			return h;
	}
	return t->catchall;
}

/* nginx's static locations: the exact one, else the longest prefix; a
 * prefix "/p/" asked as "/p" redirects there (its auto_redirect). */
static const struct ing_loc *static_find(const struct ing_host *h, const char *uri, size_t n,
					 bool *redirect)
{
	const struct ing_slot *s = slot_find(h->slot, h->mask, fnv(uri, n), uri, n);
	const struct ing_loc *best = NULL;
	uint64_t hv = FNV_INIT;
	size_t done = 0;

	if (s->exact)
		return s->exact;
	for (unsigned i = 0; i < h->nlens && h->lens[i] <= n + 1; i++) {
		size_t len = h->lens[i];

		if (len == n + 1) {
			if (uri[n - 1] == '/')
				break;
			hv = fnv_step(fnv(uri, n), '/');
			for (unsigned k = (unsigned)hv & h->mask; h->slot[k].key; k = (k + 1) & h->mask) {
				const struct ing_slot *x = &h->slot[k];

				if (x->h == hv && x->len == len && x->prefix &&
				    memcmp(x->key, uri, n) == 0 && x->key[n] == '/') {
					*redirect = true;
					return x->prefix;
				}
			}
			break;
		}
		for (; done < len; done++)
			hv = fnv_step(hv, (unsigned char)uri[done]);
		s = slot_find(h->slot, h->mask, hv, uri, len);
		if (s->prefix)
			best = s->prefix;
	}
	return best;
}

/* Of a regex host's locations that are plain strings, the first in order
 * that the URI starts with, in any ASCII case: the strings it starts with
 * are looked up by length, as in static_find(). */
static const struct ing_loc *string_find(const struct ing_host *h, const char *uri, size_t n)
{
	const struct ing_loc *best = NULL;
	uint64_t hv = FNV_INIT;
	size_t done = 0;
	char low[URI_MAX];

	for (unsigned i = 0; i < h->nlens && h->lens[i] <= n; i++) {
		size_t len = h->lens[i];
		const struct ing_slot *s;

		for (; done < len; done++) {
			low[done] = (char)tolower((unsigned char)uri[done]);
			hv = fnv_step(hv, (unsigned char)low[done]);
		}
		s = slot_find(h->slot, h->mask, hv, low, len);
		if (s->prefix && (!best || s->prefix->order < best->order))
			best = s->prefix;
	}
	return best;
}

/* A regex of an Ingress that backtracks without end (say "(a+)+$") gives
 * up rather than hold a loop: the location does not match. */
#define MATCH_LIMIT 100000

/* pcre2's memory for one match, on the caller's stack: a match needs no
 * allocation of the loops' heap. */
struct match_mem {
	size_t used;
	_Alignas(16) char buf[24576];
};

static void *mm_alloc(PCRE2_SIZE n, void *data)
{
	struct match_mem *m = data;
	void *p;

	n = (n + 15) & ~(PCRE2_SIZE)15;
	if (n > sizeof(m->buf) - m->used)
		return NULL;
	p = m->buf + m->used;
	m->used += n;
	return p;
}

static void mm_free(void *p, void *data)
{
	(void)p;
	(void)data;
}

static void answer(struct ing_route *r, int status, struct out *o)
{
	r->status = o->over ? 414 : status;
	r->target.p = o->p;
	r->target.n = o->over ? 0 : o->n;
}

void ing_table_route(const struct ing_table *t, struct ing_str host, struct ing_str path,
		     struct ing_str query, uint32_t client_ip, bool tls, struct ing_route *r,
		     char *buf, size_t cap)
{
	char uri[URI_MAX];
	ssize_t ulen = normalize(path.p, path.n, uri);
	struct req q = {host, path, query, uri, 0, tls};
	struct out o = {buf, 0, cap, cap == 0};
	const struct ing_host *h = server_of(t, host);
	const struct ing_loc *l = NULL;
	const struct ing_annot *an;
	struct match_mem mem;
	pcre2_general_context *gc = NULL;
	pcre2_match_data *md = NULL;
	pcre2_match_context *mc = NULL;
	PCRE2_SIZE plain_ov[2] = {0, 0};
	const PCRE2_SIZE *ov;
	bool redirect = false;
	int ncap = 0;

	*r = (struct ing_route){.target = {buf, 0}};
	if (cap)
		buf[0] = 0;
	if (ulen < 0) {
		r->status = 400;
		return;
	}
	uri[ulen] = 0;
	q.ulen = (size_t)ulen;

	/* app-root: `if ($uri = /) { return 302 ... }` in the server */
	if (h->app_root && q.ulen == 1) {
		expand(&o, "$scheme://$host", &q, NULL, 0, false);
		puts_(&o, h->app_root);
		return answer(r, 302, &o);
	}
	if (h->regex) {
		mem.used = 0;
		gc = pcre2_general_context_create(mm_alloc, mm_free, &mem);
		md = gc ? pcre2_match_data_create(10, gc) : NULL;
		mc = gc ? pcre2_match_context_create(gc) : NULL;
		if (mc)
			pcre2_set_match_limit(mc, MATCH_LIMIT);
		l = string_find(h, uri, q.ulen);
		for (unsigned i = 0; md && mc && i < h->nrx; i++) {
			if (l && h->rx[i]->order > l->order)
				break;
			if (pcre2_match(h->rx[i]->re, (PCRE2_SPTR)uri, q.ulen, 0, 0, md, mc) > 0) {
				l = h->rx[i];
				break;
			}
		}
	} else {
		l = static_find(h, uri, q.ulen, &redirect);
	}
	if (!l) {
		r->be = &t->def_be;
		r->status = 404;
		return;
	}
	an = l->an;
	r->conf = &an->conf;
	r->ingress = l->ingress;
	r->be = l->be;
	if (an->denied) {
		r->status = 503;
		return;
	}
	if (redirect) {
		/* nginx answers "/p" with a 301 to "/p/" */
		expand(&o, "$scheme://$host", &q, NULL, 0, false);
		put(&o, uri, q.ulen);
		put(&o, "/", 1);
		if (query.n) {
			put(&o, "?", 1);
			put(&o, query.p, query.n);
		}
		return answer(r, 301, &o);
	}
	if (an->redirect_url) {
		expand(&o, an->redirect_url, &q, NULL, 0, false);
		return answer(r, an->redirect_code, &o);
	}
	if ((an->force_ssl_redirect && !tls) || (an->ssl_redirect && h->tls && !tls)) {
		/* lua_ingress.lua redirect_to_https(): $request_uri without a
		 * trailing slash unless preserve-trailing-slash */
		size_t n0;

		puts_(&o, "https://");
		put(&o, host.p, host.n);
		n0 = o.n;
		put_request_uri(&o, &q);
		if (!an->preserve_trailing_slash && o.n > n0 && o.p[o.n - 1] == '/')
			o.p[--o.n] = 0;
		return answer(r, t->redirect_code, &o);
	}
	if (an->allow) {
		uint32_t ip = ntohl(client_ip);
		unsigned i;

		for (i = 0; i < an->nallow; i++)
			if (k1s_cidr_contains(&an->allow[i], ip))
				break;
		if (i == an->nallow) {
			r->status = 403;
			return;
		}
	}
	/* a plain string's rewrite matches where its location did, at 0 */
	ov = plain_ov;
	plain_ov[1] = l->len;
	ncap = l->rw_plain;
	if (l->rw && md && (ncap = pcre2_match(l->rw, (PCRE2_SPTR)uri, q.ulen, 0, 0, md, mc)) > 0)
		ov = pcre2_get_ovector_pointer(md);
	if (ncap > 0) {
		/* rewrite "(?i)path" target break: the whole URI becomes the
		 * target; its own arguments come first, the request's are
		 * appended unless it ends in '?' */
		char tmp[URI_MAX];
		struct out x = {tmp, 0, sizeof(tmp), false};

		tmp[0] = 0;
		expand(&x, an->rewrite_path, &q, ov, ncap, false);
		if (x.over) {
			r->status = 414;
			return;
		}
		if (strncmp(tmp, "http://", 7) == 0 || strncmp(tmp, "https://", 8) == 0) {
			put(&o, tmp, x.n);
			redirect = true;
		} else {
			put_escaped(&o, tmp, x.n, false);
		}
		if (an->rewrite_args && *an->rewrite_args) {
			put(&o, "?", 1);
			expand(&o, an->rewrite_args, &q, ov, ncap, true);
			if (query.n) {
				put(&o, "&", 1);
				put(&o, query.p, query.n);
			}
		} else if (!an->rewrite_args && query.n) {
			put(&o, "?", 1);
			put(&o, query.p, query.n);
		}
		if (redirect)
			return answer(r, 302, &o);
	} else {
		put_request_uri(&o, &q);
	}
	if (l->def && l->be == &t->def_be)
		return answer(r, 404, &o);
	return answer(r, l->be->nep ? 0 : 503, &o);
}
