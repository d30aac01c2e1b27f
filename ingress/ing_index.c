/* A host's locations put in nginx.conf's order and indexed for matching:
 * controller.go's two sorts, location.go updateServerLocations(), the
 * regexes template.go buildLocation() writes, and the hashes the routes
 * look paths and hosts up in. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ing_route_int.h"

/* The order of getBackendServers()'s two stable sorts: longest path
 * first, of two as long the greater first. */
static int by_path(const void *pa, const void *pb)
{
	const struct ing_loc *a = *(struct ing_loc *const *)pa, *b = *(struct ing_loc *const *)pb;
	int c;

	if (a->len != b->len)
		return a->len > b->len ? -1 : 1;
	c = strcmp(a->path, b->path);
	if (c)
		return -c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static bool needs_rewrite(const struct ing_loc *l)
{
	return l->an->rewrite_target && strcmp(l->an->rewrite_target, l->path) != 0;
}

/* updateServerLocations(): a Prefix path "/p" that neither rewrites nor
 * uses regexes becomes the prefix "/p/" and, unless an Exact "/p" exists,
 * the exact "/p" beside it. */
static int split_prefixes(struct ing_build *b, struct ing_host *h)
{
	unsigned n = h->nloc;
	struct ing_loc **old = h->loc;

	h->loc = NULL;
	h->nloc = h->cap = 0;
	for (unsigned i = 0; i < n; i++) {
		struct ing_loc *l = old[i], *e;
		bool exact = false;
		char *p;

		if (strcmp(l->path, "/") == 0 || l->type != LOC_PREFIX || needs_rewrite(l) ||
		    l->an->use_regex) {
			if (ing_build_loc_add(b, h, l))
				return -ENOMEM;
			continue;
		}
		exact = ing_build_loc(b, h, l->path, LOC_EXACT, NULL) != NULL;
		e = exact ? NULL : ing_build_loc_new(b, l->path, LOC_EXACT);
		if (l->path[l->len - 1] != '/') {
			p = ing_build_alloc(b, l->len + 2);
			if (!p)
				return -ENOMEM;
			memcpy(p, l->path, l->len);
			p[l->len++] = '/';
			l->path = p;
		}
		if (ing_build_loc_add(b, h, l))
			return -ENOMEM;
		if (exact)
			continue;
		if (!e)
			return -ENOMEM;
		e->def = l->def;
		e->be = l->be;
		e->an = l->an;
		e->ingress = l->ingress;
		if (ing_build_loc_add(b, h, e))
			return -ENOMEM;
	}
	return 0;
}

static pcre2_code *compile(struct ing_build *b, const struct ing_loc *l, const char *pattern)
{
	struct ing_table *t = b->t;
	PCRE2_SIZE off;
	int err;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS,
				       &err, &off, NULL);

	if (!re) {
		PCRE2_UCHAR msg[128];
		const json_t *ing = l->ingress ? json_object_get(b->w->ingresses, l->ingress) : NULL;

		pcre2_get_error_message(err, msg, sizeof(msg));
		if (ing)
			ing_build_warn(b, ing, "InvalidRegex",
			      "path %s is not a valid regular expression (%s at offset %zu); "
			      "it is left out", l->path, (char *)msg, (size_t)off);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	if (t->ncodes == t->capcodes) {
		size_t cap = t->capcodes ? t->capcodes * 2 : 16;
		pcre2_code **n = realloc(t->codes, cap * sizeof(*n));

		if (!n) {
			pcre2_code_free(re);
			b->nomem = true;
			return NULL;
		}
		t->codes = n;
		t->capcodes = cap;
	}
	t->codes[t->ncodes++] = re;
	return re;
}


/* Whether a regex is a plain string: then "^string", caseless, matches
 * what starts with the string in any ASCII case (pcre2 without UTF folds
 * only ASCII). */
static bool plain_string(const char *re)
{
	return !re[strcspn(re, "\\^$.[]|()?*+{}")];
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The host's locations in nginx.conf's order, and how it finds them:
 * regexes in that order, or a hash of static paths with their lengths. */
int ing_host_finish(struct ing_build *b, struct ing_host *h)
{
	unsigned size = 4;

	if (h->nloc > 1)
		qsort(h->loc, h->nloc, sizeof(*h->loc), by_path);
	if (split_prefixes(b, h))
		return -ENOMEM;
	for (unsigned i = 0; i < h->nloc; i++) {
		const struct ing_annot *an = h->loc[i]->an;

		if (needs_rewrite(h->loc[i]) || an->use_regex)
			h->regex = true;
		if (an->app_root && !h->app_root)
			h->app_root = an->app_root;
	}
	if (h->regex) {
		h->rx = ing_build_alloc(b, h->nloc * sizeof(*h->rx));
		if (!h->rx)
			return -ENOMEM;
		for (unsigned i = 0; i < h->nloc; i++) {
			struct ing_loc *l = h->loc[i];
			bool rewrite = l->an->rewrite_target &&
				       strcmp(l->an->rewrite_target, l->path) != 0;
			char *pat;

			/* a plain string is matched as one, without pcre2 */
			if (plain_string(l->path)) {
				l->rw_plain = rewrite;
				continue;
			}
			pat = malloc(l->len + 2);
			if (!pat)
				return -ENOMEM;
			pat[0] = '^';
			memcpy(pat + 1, l->path, l->len + 1);
			l->re = compile(b, l, pat);
			free(pat);
			if (l->re && rewrite)
				l->rw = compile(b, l, l->path);
			if (l->re)
				h->rx[h->nrx++] = l;
		}
		if (b->nomem)
			return -ENOMEM;
	}
	while (size < h->nloc * 2)
		size *= 2;
	h->slot = ing_build_alloc(b, size * sizeof(*h->slot));
	h->lens = ing_build_alloc(b, (h->nloc + 1) * sizeof(*h->lens));
	if (!h->slot || !h->lens)
		return -ENOMEM;
	h->mask = size - 1;
	for (unsigned i = 0; i < h->nloc; i++) {
		struct ing_loc *l = h->loc[i];
		const char *key = l->path;
		struct ing_slot *s;
		uint64_t hv;

		l->order = i;
		if (h->regex) {
			char *low;

			if (!plain_string(l->path))
				continue;
			if (!(low = ing_build_alloc(b, l->len + 1)))
				return -ENOMEM;
			for (size_t k = 0; k < l->len; k++)
				low[k] = (char)tolower((unsigned char)l->path[k]);
			key = low;
		}
		hv = fnv(key, l->len);
		s = slot_find(h->slot, h->mask, hv, key, l->len);
		s->h = hv;
		s->key = key;
		s->len = l->len;
		if (!h->regex && l->type == LOC_EXACT) {
			if (!s->exact)
				s->exact = l;
		} else if (!s->prefix) {
			s->prefix = l;
			h->lens[h->nlens++] = l->len;
		}
	}
	qsort(h->lens, h->nlens, sizeof(*h->lens), size_cmp);
	if (h->nlens) {
		unsigned u = 1;

		for (unsigned i = 1; i < h->nlens; i++)
			if (h->lens[i] != h->lens[u - 1])
				h->lens[u++] = h->lens[i];
		h->nlens = u;
	}
	return 0;
}

void ing_hosts_index(struct ing_build *b)
{
	struct ing_table *t = b->t;
	unsigned size = 4;

	while (size < b->nhosts * 2)
		size *= 2;
	t->hosts = ing_build_alloc(b, size * sizeof(*t->hosts));
	if (!t->hosts)
		return;
	t->hmask = size - 1;
	for (size_t i = 0; i < b->nhosts; i++) {
		const struct ing_host *h = b->hosts[i];
		uint64_t hv = fnv(h->name, strlen(h->name));
		unsigned k = (unsigned)hv & t->hmask;

		if (strcmp(h->name, DEF_SERVER) == 0) {
			t->catchall = h;
			continue;
		}
		while (t->hosts[k].host)
			k = (k + 1) & t->hmask;
		t->hosts[k].h = hv;
		t->hosts[k].host = h;
	}
}
