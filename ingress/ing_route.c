/* The routing table, built as ingress-nginx controller-v1.9.0 builds its
 * nginx.conf, and matched as nginx then matches it:
 * - internal/ingress/controller/controller.go createServers() and
 *   getBackendServers(): one server per host ("_" for the rest) whose root
 *   location is the default backend (or the Ingress's defaultBackend) until
 *   a path "/" takes it; the oldest Ingress wins a path; locations sorted
 *   longest first;
 * - location.go updateServerLocations(): a Prefix path becomes "= /p" and
 *   "/p/";
 * - template.go buildLocation() and buildProxyPass(): when any location of
 *   a host rewrites or uses regexes, every location of that host is
 *   `~* "^path"`, tried in order, and a rewrite is
 *   `rewrite "(?i)path" target break;`.
 * Paths are matched as nginx's $uri: decoded, slashes merged, dot segments
 * resolved (ing_match.c). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ing_route_int.h"

/* The build: ing_table_build() below, the indexes in ing_index.c; the
 * matching is ing_match.c's. */

void *ing_build_alloc(struct ing_build *b, size_t n)
{
	void *p = ing_arena_alloc(&b->t->arena, n);

	if (!p)
		b->nomem = true;
	return p;
}

static char *bstrdup(struct ing_build *b, const char *s)
{
	char *p = ing_arena_strndup(&b->t->arena, s, strlen(s));

	if (!p)
		b->nomem = true;
	return p;
}

static uint64_t bhash(const void *owner, int kind, const char *key, size_t len)
{
	uint64_t h = fnv(key, len) ^ (uint64_t)(uintptr_t)owner ^ ((uint64_t)kind << 56);

	/* murmur3's finalizer: the low bits pick the slot */
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	return h ^ (h >> 33);
}

static struct ing_bent *bidx_find(struct ing_bidx *x, uint64_t h, const void *owner, int kind,
			      const char *key, size_t len)
{
	for (size_t i = h & x->mask;; i = (i + 1) & x->mask) {
		struct ing_bent *e = &x->e[i];

		if (!e->key || (e->h == h && e->owner == owner && e->kind == kind &&
				e->len == len && memcmp(e->key, key, len) == 0))
			return e;
	}
}

static void *bidx_get(struct ing_build *b, const void *owner, int kind, const char *key)
{
	size_t len = strlen(key);

	return b->idx.e ? bidx_find(&b->idx, bhash(owner, kind, key, len), owner, kind, key, len)->val
			: NULL;
}

/* Records val under the name; key must live as long as the build. */
static void bidx_put(struct ing_build *b, const void *owner, int kind, const char *key, void *val)
{
	struct ing_bidx *x = &b->idx;
	size_t len = strlen(key);
	uint64_t h = bhash(owner, kind, key, len);
	struct ing_bent *e;

	if (!x->e || (x->n + 1) * 2 > x->mask + 1) {
		size_t size = x->e ? (x->mask + 1) * 2 : b->idx_size;
		struct ing_bidx n = {calloc(size, sizeof(*n.e)), size - 1, x->n};

		if (!n.e) {
			b->nomem = true;
			return;
		}
		for (size_t i = 0; x->e && i <= x->mask; i++)
			if (x->e[i].key)
				*bidx_find(&n, x->e[i].h, NULL, -1, "", 0) = x->e[i];
		free(x->e);
		*x = n;
	}
	e = bidx_find(x, h, owner, kind, key, len);
	if (!e->key)
		x->n++;
	*e = (struct ing_bent){h, owner, kind, key, len, val};
}

static const char *str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The members of obj with those names, in one walk over it: a build reads
 * some 20 members of each Ingress, and hashing each name for
 * json_object_get() costs more than comparing it with the few keys there
 * are. Absent ones are NULL. */
static void members(const json_t *obj, const char *const *names, size_t n, const json_t **out)
{
	const char *key;
	json_t *v;

	memset(out, 0, n * sizeof(*out));
	json_object_foreach((json_t *)obj, key, v)
		for (size_t i = 0; i < n; i++)
			if (!out[i] && key[0] == names[i][0] && strcmp(key, names[i]) == 0) {
				out[i] = v;
				break;
			}
}

void ing_build_warn(struct ing_build *b, const json_t *ing, const char *reason,
		    const char *fmt, ...)
{
	const json_t *meta = json_object_get(ing, "metadata");
	const char *ns = str_of(meta, "namespace"), *name = str_of(meta, "name");
	char msg[512];
	va_list ap;

	if (!b->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->warn(b->arg, ns ? ns : "default", name ? name : "", reason, msg);
}

/* An Ingress as the build reads it, each part read once, in one pass
 * over the store's copy: the later passes, in order of age, then find
 * it in a few small arrays and not across the JSON of every Ingress. */
struct svc_ref {
	const char *name;
	json_int_t port;		/* port.number */
	const char *port_name;
};

struct path_ref {
	const char *path;		/* NULL when absent or no string */
	const char *type;
	bool svc;			/* backend.service is there */
	struct svc_ref ref;
	const json_t *resource;
};

struct rule_ref {
	const char *host;
	struct ing_host *h;		/* once servers_of() found it */
	struct path_ref *paths;
	size_t npaths;
};

struct ingress_ref {
	const json_t *ing;
	const char *key;
	const char *created;
	const char *ns;
	bool defb;			/* spec.defaultBackend.service is there */
	struct svc_ref defb_ref;
	struct rule_ref *rules;
	size_t nrules;
	const json_t *tls;
	struct ing_annot *an;
};

/* store.go sortIngressSlice(): oldest first; of two as old, the greater
 * "namespace/name" first. */
static int by_age(const void *pa, const void *pb)
{
	const struct ingress_ref *a = pa, *b = pb;
	int c = strcmp(a->created, b->created);

	return c ? c : -strcmp(a->key, b->key);
}

/* Appends s to buf of size cap holding *n bytes, cutting it short as
 * snprintf would; the names are built per path, so without printf. */
static void put(char *buf, size_t cap, size_t *n, const char *s, size_t len)
{
	if (*n + len >= cap)
		len = cap - 1 - *n;
	memcpy(buf + *n, s, len);
	*n += len;
	buf[*n] = 0;
}

static const json_t *world_get(const struct ing_world *w, const char *res, const char *key)
{
	if (w->backend_get)
		return w->backend_get(w->backend_arg, res, key);
	return json_object_get(strcmp(res, "services") == 0 ? w->services : w->endpoints, key);
}

/* A backend: the Service's port named or numbered as the Ingress says,
 * and the ready addresses of the Endpoints subsets that carry the port of
 * that name. No Service, no such port or no ready address: none (503). */
static const struct ing_backend *backend_of(struct ing_build *b, const json_t *ing, const char *ns,
					    const struct svc_ref *svcref, bool https)
{
	const char *sname = svcref->name, *pname = svcref->port_name;
	json_int_t pnum = svcref->port;
	char name[512], skey[400], num[24];
	const json_t *svc, *eps, *sports, *sp = NULL, *subsets, *sub;
	struct ing_backend *be;
	const char *epname;
	size_t i, j, n = 0, nl = 0;
	struct sockaddr_in *ep;

	/* controller.go upstreamName(): ns-svc-port, ns-svc-portname or
	 * ns-INVALID */
	name[0] = 0;
	put(name, sizeof(name), &nl, ns, strlen(ns));
	if (sname && (pnum > 0 || (pname && *pname))) {
		char *d = num + sizeof(num);
		const char *last = pname;

		if (pnum > 0) {
			*--d = 0;
			for (json_int_t v = pnum; v; v /= 10)
				*--d = (char)('0' + v % 10);
			last = d;
		}
		put(name, sizeof(name), &nl, "-", 1);
		put(name, sizeof(name), &nl, sname, strlen(sname));
		put(name, sizeof(name), &nl, "-", 1);
		put(name, sizeof(name), &nl, last, strlen(last));
	} else {
		put(name, sizeof(name), &nl, "-INVALID", 8);
	}
	be = bidx_get(b, NULL, https ? ING_BK_BACKEND_HTTPS : ING_BK_BACKEND, name);
	if (be)
		return be;
	be = ing_build_alloc(b, sizeof(*be));
	if (!be || !(be->name = bstrdup(b, name)))
		return NULL;
	be->https = https;
	bidx_put(b, NULL, https ? ING_BK_BACKEND_HTTPS : ING_BK_BACKEND, be->name, be);
	if (!sname)
		return be;

	snprintf(skey, sizeof(skey), "%s/%s", ns, sname);
	be->service = bstrdup(b, skey);
	svc = world_get(b->w, "services", skey);
	if (!svc)
		return be;
	if (strcmp(str_of(json_object_get(svc, "spec"), "type") ?: "", "ExternalName") == 0) {
		ing_build_warn(b, ing, "ExternalNameService",
		      "Service %s is of type ExternalName, which k1s's ingress does not proxy to; "
		      "its paths answer 503", skey);
		return be;
	}
	sports = json_object_get(json_object_get(svc, "spec"), "ports");
	json_array_foreach(sports, i, sub) {
		const char *spn = str_of(sub, "name");

		if ((pnum > 0 && json_integer_value(json_object_get(sub, "port")) == pnum) ||
		    (pnum <= 0 && pname && spn && strcmp(spn, pname) == 0)) {
			sp = sub;
			break;
		}
	}
	if (!sp)
		return be;
	epname = str_of(sp, "name") ?: "";

	eps = world_get(b->w, "endpoints", skey);
	subsets = json_object_get(eps, "subsets");
	json_array_foreach(subsets, i, sub)
		n += json_array_size(json_object_get(sub, "addresses"));
	if (!n)
		return be;
	ep = ing_build_alloc(b, n * sizeof(*ep));
	if (!ep)
		return be;
	json_array_foreach(subsets, i, sub) {
		const json_t *p, *addr;
		json_int_t num = 0;
		size_t k;

		json_array_foreach(json_object_get(sub, "ports"), j, p)
			if (strcmp(str_of(p, "name") ?: "", epname) == 0)
				num = json_integer_value(json_object_get(p, "port"));
		if (num <= 0 || num > 65535)
			continue;
		json_array_foreach(json_object_get(sub, "addresses"), k, addr) {
			struct in_addr in;
			const char *ip = str_of(addr, "ip");

			if (!ip || inet_pton(AF_INET, ip, &in) != 1)
				continue;
			ep[be->nep].sin_family = AF_INET;
			ep[be->nep].sin_addr = in;
			ep[be->nep].sin_port = htons((uint16_t)num);
			be->nep++;
		}
	}
	be->ep = ep;
	return be;
}

struct ing_loc *ing_build_loc_new(struct ing_build *b, const char *path, enum loc_type type)
{
	struct ing_loc *l = ing_build_alloc(b, sizeof(*l));

	if (!l)
		return NULL;
	l->path = bstrdup(b, path);
	l->len = strlen(path);
	l->type = type;
	l->seq = b->seq++;
	return l;
}

/* The location of a host with that path and type, as getBackendServers()
 * looks them up; with l, records l as that location. */
struct ing_loc *ing_build_loc(struct ing_build *b, const struct ing_host *h, const char *path,
				 enum loc_type type, struct ing_loc *l)
{
	if (l)
		bidx_put(b, h, ING_BK_LOC + (int)type, l->path, l);
	return bidx_get(b, h, ING_BK_LOC + (int)type, path);
}

int ing_build_loc_add(struct ing_build *b, struct ing_host *h, struct ing_loc *l)
{
	if (h->nloc == h->cap) {
		unsigned cap = h->cap ? h->cap * 2 : 4;
		struct ing_loc **n = ing_build_alloc(b, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		if (h->nloc)
			memcpy(n, h->loc, h->nloc * sizeof(*n));
		h->loc = n;
		h->cap = cap;
	}
	h->loc[h->nloc++] = l;
	return 0;
}

static struct ing_host *host_get(struct ing_build *b, const char *name)
{
	return bidx_get(b, NULL, ING_BK_HOST, name);
}

/* createServers(): a new server's root location goes to the Ingress's
 * defaultBackend, else to the default backend. */
static struct ing_host *host_new(struct ing_build *b, const char *name, const struct ingress_ref *r,
				 const struct ing_backend *root)
{
	struct ing_host *h = ing_build_alloc(b, sizeof(*h));
	struct ing_loc *l;

	if (!h)
		return NULL;
	if (b->nhosts == b->caphosts) {
		size_t cap = b->caphosts ? b->caphosts * 2 : 16;
		struct ing_host **n = realloc(b->hosts, cap * sizeof(*n));

		if (!n) {
			b->nomem = true;
			return NULL;
		}
		b->hosts = n;
		b->caphosts = cap;
	}
	h->name = bstrdup(b, name);
	l = ing_build_loc_new(b, "/", LOC_PREFIX);
	if (!h->name || !l || ing_build_loc_add(b, h, l))
		return NULL;
	ing_build_loc(b, h, "/", LOC_PREFIX, l);
	l->def = true;
	l->be = root;
	l->an = r ? r->an : b->def_annot;
	l->ingress = r ? r->key : NULL;
	bidx_put(b, NULL, ING_BK_HOST, h->name, h);
	b->hosts[b->nhosts++] = h;
	return h;
}

/* A host as nginx compares them: lower case; "_" for none. */
static const char *host_key(const char *h, char *buf, size_t cap)
{
	size_t n;

	if (!h || !*h)
		return DEF_SERVER;
	n = strlen(h);
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)h[i]);
	buf[n] = 0;
	return buf;
}

/* A Service backend's name and port, as backend_of() reads them. */
static void svc_read(const json_t *svc, struct svc_ref *ref)
{
	static const char *const ref_names[] = {"name", "port"};
	static const char *const port_names[] = {"number", "name"};
	const json_t *m[2], *port[2];

	members(svc, ref_names, 2, m);
	members(m[1], port_names, 2, port);
	ref->name = json_string_value(m[0]);
	ref->port = json_integer_value(port[0]);
	ref->port_name = json_string_value(port[1]);
}

/* spec.rules and spec.defaultBackend into r, in scratch memory. */
static int ingress_read(struct ing_arena **scratch, struct ingress_ref *r, const json_t *rules,
			const json_t *defb)
{
	static const char *const rule_names[] = {"host", "http"};
	static const char *const path_names[] = {"path", "pathType", "backend"};
	static const char *const backend_names[] = {"service", "resource"};
	const json_t *rule, *path, *svc = json_object_get(defb, "service");
	size_t i, j;

	if (svc) {
		r->defb = true;
		svc_read(svc, &r->defb_ref);
	}
	r->nrules = json_array_size(rules);
	if (!r->nrules)
		return 0;
	r->rules = ing_arena_alloc(scratch, r->nrules * sizeof(*r->rules));
	if (!r->rules)
		return -ENOMEM;
	json_array_foreach(rules, i, rule) {
		struct rule_ref *rr = &r->rules[i];
		const json_t *rm[2], *paths;

		members(rule, rule_names, 2, rm);
		rr->host = json_string_value(rm[0]);
		paths = json_object_get(rm[1], "paths");
		rr->npaths = json_array_size(paths);
		if (!rr->npaths)
			continue;
		rr->paths = ing_arena_alloc(scratch, rr->npaths * sizeof(*rr->paths));
		if (!rr->paths)
			return -ENOMEM;
		json_array_foreach(paths, j, path) {
			struct path_ref *pr = &rr->paths[j];
			const json_t *pm[3], *bm[2];

			members(path, path_names, 3, pm);
			members(pm[2], backend_names, 2, bm);
			pr->path = json_string_value(pm[0]);
			pr->type = json_string_value(pm[1]);
			pr->svc = bm[0] != NULL;
			if (pr->svc)
				svc_read(bm[0], &pr->ref);
			pr->resource = bm[1];
		}
	}
	return 0;
}

static void servers_of(struct ing_build *b, struct ingress_ref *r)
{
	const char *ns = r->ns;
	const struct ing_backend *un = &b->t->def_be;
	char buf[256];

	if (r->defb) {
		un = backend_of(b, r->ing, ns, &r->defb_ref, r->an->https);
		if (!un)
			return;
		/* the catch-all takes the first defaultBackend of an Ingress
		 * without rules, without its redirect and rewrite */
		struct ing_loc *root = host_get(b, DEF_SERVER)->loc[0];

		if (root->def && r->nrules == 0) {
			struct ing_annot *an = ing_build_alloc(b, sizeof(*an));

			if (!an)
				return;
			*an = *r->an;
			an->rewrite_target = NULL;
			an->use_regex = false;
			an->app_root = NULL;
			an->redirect_url = NULL;
			root->def = false;
			root->be = un;
			root->an = an;
			root->ingress = r->key;
		}
	}
	for (size_t i = 0; i < r->nrules; i++) {
		struct rule_ref *rule = &r->rules[i];
		const char *host = host_key(rule->host, buf, sizeof(buf));

		if (!(rule->h = host_get(b, host)) && !(rule->h = host_new(b, host, r, un)))
			return;
	}
}

static enum loc_type type_of(const char *t)
{
	if (t && strcmp(t, "Exact") == 0)
		return LOC_EXACT;
	if (t && strcmp(t, "Prefix") == 0)
		return LOC_PREFIX;
	return LOC_IMPL;
}

/* getBackendServers(): each path of each rule becomes a location of its
 * host, unless the host has one of that path and type already (the older
 * Ingress keeps it); a path "/" of the type Prefix takes the root. */
static void paths_of(struct ing_build *b, struct ingress_ref *r)
{
	static const struct svc_ref none;
	const char *ns = r->ns;
	size_t i, j;

	for (i = 0; i < r->nrules; i++) {
		struct ing_host *h = r->rules[i].h;

		for (j = 0; j < r->rules[i].npaths; j++) {
			const struct path_ref *path = &r->rules[i].paths[j];
			const char *p = path->path;
			enum loc_type type = type_of(path->type);
			const struct ing_backend *be;
			struct ing_loc *l = NULL;
			bool add = true;

			if (!p || !*p)
				p = "/";
			if (path->svc) {
				be = backend_of(b, r->ing, ns, &path->ref, r->an->https);
			} else {
				const json_t *res = path->resource;

				ing_build_warn(b, r->ing, "ResourceBackend",
				      "path %s has a %s backend %s/%s; only Service backends are "
				      "proxied to, so it answers 503",
				      p, res ? "resource" : "missing", str_of(res, "kind") ?: "",
				      str_of(res, "name") ?: "");
				be = backend_of(b, r->ing, ns, &none, false);
			}
			if (!be)
				return;
			b->t->rules++;
			/* the same path of another type is a location of its own */
			l = ing_build_loc(b, h, p, type, NULL);
			/* nginx has one location "/": an ImplementationSpecific
			 * "/" takes the root as a Prefix one does */
			if (!l && type == LOC_IMPL && strcmp(p, "/") == 0) {
				l = ing_build_loc(b, h, p, LOC_PREFIX, NULL);
				if (l && !l->def)
					l = NULL;
			}
			add = !l;
			if (!add && !l->def)
				continue;
			if (add) {
				l = ing_build_loc_new(b, p, type);
				if (!l || ing_build_loc_add(b, h, l))
					return;
				ing_build_loc(b, h, p, type, l);
			}
			l->def = false;
			l->be = be;
			l->an = r->an;
			l->ingress = r->key;
		}
	}
	/* createServers(): every server of an Ingress with a tls section gets
	 * a certificate, the Secret's or the default one, and ssl-redirect
	 * applies where one is configured (lua_ingress.lua redirect_to_https(),
	 * certificate.lua configured_for_current_request()); the catch-all's
	 * name is no request's host. */
	if (json_array_size(r->tls) == 0)
		return;
	for (i = 0; i < r->nrules; i++)
		if (strcmp(r->rules[i].h->name, DEF_SERVER) != 0)
			r->rules[i].h->tls = true;
}

struct ing_table *ing_table_build(const struct ing_world *w, ing_warn_fn warn, void *arg)
{
	struct ing_build b = {.w = w, .warn = warn, .arg = arg};
	struct ingress_ref *refs = NULL;
	struct ing_annot *plain;
	struct ing_arena *scratch = NULL;
	size_t n = 0, cap = json_object_size(w->ingresses);
	const char *key;
	json_t *ing;

	b.t = calloc(1, sizeof(*b.t));
	refs = calloc(cap ? cap : 1, sizeof(*refs));
	if (!b.t || !refs)
		goto nomem;
	b.t->def_be.name = DEF_UPSTREAM;
	if (ing_defaults_parse(w->config, &b.t->arena, &b.defs))
		goto nomem;
	b.t->redirect_code = b.defs.redirect_code;
	b.def_annot = ing_build_alloc(&b, sizeof(*b.def_annot));
	if (!b.def_annot)
		goto nomem;
	ing_annot_defaults(&b.defs, b.def_annot);
	/* the catch-all's root location has the ConfigMap's proxy settings
	 * and nothing else (createServers()) */
	b.def_annot->ssl_redirect = false;
	b.def_annot->force_ssl_redirect = false;
	b.def_annot->allow = NULL;
	b.def_annot->nallow = 0;
	plain = ing_build_alloc(&b, sizeof(*plain));
	if (!plain)
		goto nomem;
	ing_annot_defaults(&b.defs, plain);

	json_object_foreach((json_t *)w->ingresses, key, ing) {
		static const char *const top_names[] = {"metadata", "spec"};
		static const char *const meta_names[] = {"namespace", "creationTimestamp",
							 "annotations"};
		static const char *const spec_names[] = {"ingressClassName", "rules",
							 "defaultBackend", "tls"};
		const json_t *top[2], *meta[3], *spec[4];

		if (!json_is_object(ing))
			continue;
		members(ing, top_names, 2, top);
		members(top[0], meta_names, 3, meta);
		members(top[1], spec_names, 4, spec);
		if (!ing_class_ours_of(w, json_string_value(spec[0]), meta[2]))
			continue;
		refs[n].ing = ing;
		refs[n].key = key;
		refs[n].created = json_string_value(meta[1]) ?: "";
		refs[n].ns = json_string_value(meta[0]) ?: "default";
		if (ingress_read(&scratch, &refs[n], spec[1], spec[2]))
			goto nomem;
		refs[n].tls = spec[3];
		/* an Ingress without annotations has the defaults: one copy
		 * serves them all */
		if (!json_is_object(meta[2])) {
			refs[n++].an = plain;
			continue;
		}
		refs[n].an = ing_build_alloc(&b, sizeof(*refs[n].an));
		if (!refs[n].an ||
		    ing_annot_parse(ing, &b.defs, &b.t->arena, warn, arg, refs[n].an))
			goto nomem;
		n++;
	}
	qsort(refs, n, sizeof(*refs), by_age);
	/* a host and two locations for each Ingress, at most half full:
	 * the index is not grown and copied as it fills */
	b.idx_size = 64;
	while (b.idx_size < n * 6)
		b.idx_size *= 2;
	for (size_t i = 0; i < n; i++)
		if (!(refs[i].key = bstrdup(&b, refs[i].key)))
			goto nomem;

	if (!host_new(&b, DEF_SERVER, NULL, &b.t->def_be))
		goto nomem;
	for (size_t i = 0; i < n && !b.nomem; i++)
		servers_of(&b, &refs[i]);
	for (size_t i = 0; i < n && !b.nomem; i++)
		paths_of(&b, &refs[i]);
	for (size_t i = 0; i < b.nhosts && !b.nomem; i++)
		if (ing_host_finish(&b, b.hosts[i]))
			b.nomem = true;
	if (!b.nomem)
		ing_hosts_index(&b);
	if (b.nomem)
		goto nomem;
	goto out;
nomem:
	ing_table_free(b.t);
	b.t = NULL;
out:
	ing_arena_free(scratch);
	free(refs);
	free(b.hosts);
	free(b.idx.e);
	return b.t;
}

void ing_table_free(struct ing_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncodes; i++)
		pcre2_code_free(t->codes[i]);
	free(t->codes);
	ing_arena_free(t->arena);
	free(t);
}

unsigned ing_table_rules(const struct ing_table *t)
{
	return t->rules;
}

