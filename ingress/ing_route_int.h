/* The routing table's insides, shared by its building (ing_route.c,
 * ing_index.c) and its matching (ing_match.c). */
#ifndef ING_ROUTE_INT_H
#define ING_ROUTE_INT_H

#include "k1s_hash.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ing_annot.h"
#include "ing_route.h"

#define DEF_SERVER "_"
#define DEF_UPSTREAM "upstream-default-backend"

enum loc_type { LOC_PREFIX, LOC_EXACT, LOC_IMPL };

struct ing_loc {
	const char *path;		/* the nginx location's path */
	size_t len;
	enum loc_type type;
	bool def;			/* the host's root location, no path has taken it */
	const struct ing_annot *an;
	const struct ing_backend *be;
	const char *ingress;		/* "namespace/name", NULL for the catch-all */
	pcre2_code *re;			/* ~* "^path" on a regex host, unless a plain string */
	pcre2_code *rw;			/* rewrite "(?i)path" an->rewrite_target */
	bool rw_plain;			/* the same, path a plain string */
	unsigned seq;			/* order of creation: sorts are stable */
	unsigned order;			/* place in nginx.conf: the first regex to match wins */
};

/* A location path in a host's index, as nginx's static location tree;
 * on a regex host, a regex that is a plain string, lower case. */
struct ing_slot {
	uint64_t h;
	const char *key;
	size_t len;
	const struct ing_loc *exact, *prefix;
};

struct ing_host {
	const char *name;		/* lower case; "*.a.b" for a wildcard */
	bool regex;			/* every location is a regex */
	bool tls;			/* a rule of an Ingress with a tls section: it has a certificate */
	const char *app_root;
	struct ing_loc **loc;		/* in nginx.conf's order */
	unsigned nloc, cap;
	struct ing_slot *slot;		/* static locations, open addressing */
	unsigned mask;
	size_t *lens;			/* distinct prefix lengths, ascending */
	unsigned nlens;
	/* A regex host's regexes that are more than a string, in order: the
	 * strings go in slot, as "^string" matches what starts with it. */
	struct ing_loc **rx;
	unsigned nrx;
};

struct ing_hslot {
	uint64_t h;
	const struct ing_host *host;
};

struct ing_table {
	struct ing_arena *arena;
	pcre2_code **codes;
	size_t ncodes, capcodes;
	struct ing_hslot *hosts;	/* exact and wildcard names */
	unsigned hmask;
	const struct ing_host *catchall;
	struct ing_backend def_be;
	int redirect_code;		/* of ssl-redirect: http-redirect-code */
	unsigned rules;
};

#define fnv_step k1s_fnv_step
#define FNV_INIT K1S_FNV_INIT

static inline uint64_t fnv(const char *s, size_t n)
{
	return k1s_fnv(s, n);
}

static inline struct ing_slot *slot_find(struct ing_slot *s, unsigned mask, uint64_t h,
					 const char *key, size_t len)
{
	for (unsigned i = (unsigned)h & mask;; i = (i + 1) & mask)
		if (!s[i].key || (s[i].h == h && s[i].len == len && memcmp(s[i].key, key, len) == 0))
			return &s[i];
}

/* ---- building: ing_route.c, ing_index.c ---- */

/* What the build looks up by name: hosts, backends (by upstream name and
 * protocol) and each host's locations (by path and type). */
enum ing_bkind { ING_BK_HOST, ING_BK_BACKEND, ING_BK_BACKEND_HTTPS, ING_BK_LOC };

struct ing_bent {
	uint64_t h;
	const void *owner;		/* the host of a location */
	int kind;
	const char *key;
	size_t len;
	void *val;
};

struct ing_bidx {
	struct ing_bent *e;
	size_t mask, n;
};

struct ing_build {
	struct ing_table *t;
	const struct ing_world *w;
	ing_warn_fn warn;
	void *arg;
	struct ing_defaults defs;
	struct ing_annot *def_annot;	/* of the locations no Ingress sets */
	struct ing_host **hosts;
	size_t nhosts, caphosts;
	struct ing_bidx idx;		/* hosts, backends and locations by name */
	size_t idx_size;		/* its first size */
	unsigned seq;
	bool nomem;
};

void *ing_build_alloc(struct ing_build *b, size_t n);	/* zeroed; sets nomem */
void ing_build_warn(struct ing_build *b, const json_t *ing, const char *reason,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The location of host h with that path and type; with l, records l as it. */
struct ing_loc *ing_build_loc(struct ing_build *b, const struct ing_host *h, const char *path,
			      enum loc_type type, struct ing_loc *l);
struct ing_loc *ing_build_loc_new(struct ing_build *b, const char *path, enum loc_type type);
int ing_build_loc_add(struct ing_build *b, struct ing_host *h, struct ing_loc *l);

/* Orders and indexes a host's locations once every Ingress is in. */
int ing_host_finish(struct ing_build *b, struct ing_host *h);
/* The table's hash of host names. */
void ing_hosts_index(struct ing_build *b);

#endif
