/* Server-side apply, simplified from sigs.k8s.io/structured-merge-diff as
 * kube-apiserver runs it: the applied configuration is merged into the live
 * object (granular maps and structs, associative lists by their list-map
 * keys, sets of primitives, everything else atomic), and each manager's
 * fields are recorded in metadata.managedFields in the FieldsV1 encoding.
 *
 * Field sets are handled as trees in that encoding with one change: inside
 * this file every member of a set carries ".", leaves included, so that
 * "is this path in the set" is one lookup. wire_decode() and wire_encode()
 * convert at the boundary (a leaf is {} on the wire). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k1s_json.h"
#include "k1s_patch.h"
#include "k1s_patch_int.h"

#define SSA_MAX_KEYS 8

enum ssa_kind {
	SK_LEAF,	/* a scalar, or a value its schema does not fit */
	SK_ATOMIC,	/* replaced and owned as a whole */
	SK_STRUCT,	/* an object with a field table */
	SK_MAP,		/* map[string]T: each entry is owned */
	SK_DEDUCED,	/* an object of unknown type: treated as a map */
	SK_ASSOC,	/* a list of objects keyed by list-map keys */
	SK_SET,		/* a list of primitives merged as a set */
};

struct ssa {
	char *err;
	size_t errlen;
	int rc;
};

static int ssa_fail(struct ssa *c, int rc, const char *what, const char *arg)
{
	if (c->rc == 0)
		c->rc = k1s_patch_fail(c->err, c->errlen, rc, "apply: %s%s%s%s", what,
				       arg ? " \"" : "", arg ? arg : "", arg ? "\"" : "");
	return c->rc;
}

static const struct k1s_field *item_field(const struct k1s_field *f, struct k1s_field *tmp)
{
	if (!f)
		return NULL;
	*tmp = *f;
	tmp->container = K1S_C_NONE;
	tmp->merge_key = NULL;
	tmp->list_map_keys = NULL;
	tmp->flags &= ~(unsigned)K1S_FF_MERGE_PRIMITIVES;
	return tmp;
}

/* The key fields of an associative list: its list-map keys, else its
 * strategic merge key (as kube-apiserver deduces them from the OpenAPI
 * patch strategy). Returns their number, 0 if the list is not keyed. */
static size_t list_keys(const struct k1s_field *f, char names[SSA_MAX_KEYS][64])
{
	const char *s = f->list_map_keys ? f->list_map_keys : f->merge_key;
	size_t n = 0;

	while (s && *s && n < SSA_MAX_KEYS) {
		size_t len = strcspn(s, ",");

		if (len > 0 && len < 64) {
			memcpy(names[n], s, len);
			names[n++][len] = '\0';
		}
		s += len;
		if (*s == ',')
			s++;
	}
	/* Sorted, as the key appears in FieldsV1 and in conflict paths. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[64];

			memcpy(t, names[j], 64);
			memcpy(names[j], names[j - 1], 64);
			memcpy(names[j - 1], t, 64);
		}
	return n;
}

static enum ssa_kind ssa_kind(const struct k1s_field *f, const json_t *v)
{
	char names[SSA_MAX_KEYS][64];

	if (!f || f->type == K1S_T_ANY)
		return json_is_object(v) ? SK_DEDUCED : json_is_array(v) ? SK_ATOMIC : SK_LEAF;
	if (f->flags & K1S_FF_REPLACE)
		return SK_ATOMIC;
	if (f->container == K1S_C_LIST) {
		if (!json_is_array(v))
			return SK_LEAF;
		if (f->type == K1S_T_OBJECT && list_keys(f, names) > 0)
			return SK_ASSOC;
		if (f->flags & K1S_FF_MERGE_PRIMITIVES)
			return SK_SET;
		return SK_ATOMIC;
	}
	if (!json_is_object(v))
		return SK_LEAF;
	if (f->container == K1S_C_MAP)
		return SK_MAP;
	if (f->type == K1S_T_OBJECT)
		return f->ref && f->ref->fields ? SK_STRUCT : SK_DEDUCED;
	return SK_LEAF;
}

/* The field of member k of an object of kind `kind` stored in field f;
 * *declared tells whether k is a struct field (else a map entry). */
static const struct k1s_field *child_field(enum ssa_kind kind, const struct k1s_field *f,
					   const char *k, struct k1s_field *tmp, bool *declared)
{
	const struct k1s_field *cf = NULL;

	*declared = false;
	if (kind == SK_MAP)
		return item_field(f, tmp);
	if (kind == SK_STRUCT)
		cf = k1s_type_field(f->ref, k);
	*declared = cf != NULL;
	return cf;
}

/* The key of an associative list item as a JSON object, keys sorted. A
 * missing "protocol" is "TCP", the default kube-apiserver's schemas give
 * every protocol key field. NULL if another key field is missing. */
static json_t *item_key(const json_t *item, const struct k1s_field *f)
{
	char names[SSA_MAX_KEYS][64];
	size_t n = list_keys(f, names);
	json_t *key = json_object();

	for (size_t i = 0; key && i < n; i++) {
		json_t *v = json_object_get(item, names[i]);

		if (!v && strcmp(names[i], "protocol") == 0)
			json_object_set_new(key, names[i], json_string("TCP"));
		else if (v && !json_is_null(v))
			json_object_set_new(key, names[i], json_deep_copy(v));
		else
			return json_decref(key), NULL;
	}
	return key;
}

static bool key_matches(const json_t *item, const json_t *key)
{
	const char *k;
	json_t *kv;

	if (!json_is_object(item))
		return false;
	json_object_foreach((json_t *)key, k, kv) {
		json_t *iv = json_object_get(item, k);

		if (!iv && strcmp(k, "protocol") == 0) {
			if (!json_is_string(kv) || strcmp(json_string_value(kv), "TCP") != 0)
				return false;
		} else if (!k1s_patch_equal(iv, kv)) {
			return false;
		}
	}
	return true;
}

static ssize_t find_keyed(const json_t *list, const json_t *key)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (key_matches(json_array_get(list, i), key))
			return (ssize_t)i;
	return -1;
}

static ssize_t find_value(const json_t *list, const json_t *v)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (k1s_patch_equal(json_array_get(list, i), v))
			return (ssize_t)i;
	return -1;
}

/* ---- merge ---- */

/* Merges applied value av into lv (stolen, may be NULL) as field f.
 * Returns a new reference or NULL with c->rc set. */
static json_t *ssa_merge(struct ssa *c, json_t *lv, const json_t *av, const struct k1s_field *f)
{
	enum ssa_kind kind = ssa_kind(f, av);
	struct k1s_field tmp;
	const char *k;
	json_t *v;

	switch (kind) {
	case SK_STRUCT:
	case SK_MAP:
	case SK_DEDUCED:
		if (!json_is_object(lv)) {
			json_decref(lv);
			lv = json_object();
		}
		json_object_foreach((json_t *)av, k, v) {
			bool declared;
			const struct k1s_field *cf = child_field(kind, f, k, &tmp, &declared);
			json_t *nv;

			if (json_is_null(v)) {
				json_object_del(lv, k);
				continue;
			}
			nv = ssa_merge(c, json_incref(json_object_get(lv, k)), v, cf);
			if (!nv || json_object_set_new(lv, k, nv) < 0)
				goto fail;
		}
		return lv;
	case SK_ASSOC: {
		const struct k1s_field *itf = item_field(f, &tmp);

		if (!json_is_array(lv)) {
			json_decref(lv);
			lv = json_array();
		}
		for (size_t i = 0; i < json_array_size(av); i++) {
			const json_t *item = json_array_get(av, i);
			json_t *key = json_is_object(item) ? item_key(item, f) : NULL, *nv;
			ssize_t at;

			if (!key) {
				ssa_fail(c, -EINVAL, "list item lacks a key field of", f->name);
				goto fail;
			}
			for (size_t j = 0; j < i; j++)
				if (key_matches(json_array_get(av, j), key)) {
					json_decref(key);
					ssa_fail(c, -EINVAL, "duplicate entries in list", f->name);
					goto fail;
				}
			at = find_keyed(lv, key);
			json_decref(key);
			nv = ssa_merge(c, at >= 0 ? json_incref(json_array_get(lv, (size_t)at)) : NULL,
				       item, itf);
			if (!nv)
				goto fail;
			if (at >= 0)
				json_array_set_new(lv, (size_t)at, nv);
			else
				json_array_append_new(lv, nv);
		}
		return lv;
	}
	case SK_SET:
		if (!json_is_array(lv)) {
			json_decref(lv);
			lv = json_array();
		}
		for (size_t i = 0; i < json_array_size(av); i++)
			if (find_value(lv, json_array_get(av, i)) < 0)
				json_array_append_new(lv, json_deep_copy(json_array_get(av, i)));
		return lv;
	default:
		json_decref(lv);
		return json_deep_copy(av);
	}
fail:
	json_decref(lv);
	if (!c->rc)
		ssa_fail(c, -ENOMEM, "out of memory", NULL);
	return NULL;
}

/* ---- field sets ---- */

static void mark(json_t *node)
{
	json_object_set_new(node, ".", json_object());
}

static bool member(const json_t *node)
{
	return node && json_object_get(node, ".") != NULL;
}

static bool has_children(const json_t *node)
{
	return json_object_size(node) > (member(node) ? 1u : 0u);
}

static json_t *child(json_t *node, const char *pe)
{
	json_t *c = json_object_get(node, pe);

	if (!c) {
		c = json_object();
		json_object_set_new(node, pe, c);
	}
	return c;
}

/* Fields kube-apiserver leaves out of every manager's set. */
static bool stripped(int level, const char *k)
{
	static const char *const root[] = {"apiVersion", "kind", NULL};
	static const char *const meta[] = {"name", "namespace", "creationTimestamp", "selfLink",
					   "uid", "clusterName", "generation", "managedFields",
					   "resourceVersion", NULL};
	const char *const *l = level == 0 ? root : level == 1 ? meta : NULL;

	for (; l && *l; l++)
		if (strcmp(*l, k) == 0)
			return true;
	return false;
}

static char *pe_key(const json_t *key)
{
	char *js = json_dumps(key, JSON_COMPACT | JSON_SORT_KEYS), *pe = NULL;

	if (js && asprintf(&pe, "k:%s", js) < 0)
		pe = NULL;
	free(js);
	return pe;
}

static char *pe_value(const json_t *v)
{
	char *js = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY), *pe = NULL;

	if (js && asprintf(&pe, "v:%s", js) < 0)
		pe = NULL;
	free(js);
	return pe;
}

/* Adds to node the fields value v (of field f) sets, as structured-merge-
 * diff's ToFieldSet: leaves, atomics, list items and map entries are
 * members; struct fields only through their leaves. level: 0 at the
 * object's root, 1 in its metadata, 2 below. */
static int ssa_set(struct ssa *c, json_t *node, const json_t *v, const struct k1s_field *f,
		   int level)
{
	enum ssa_kind kind = level == 0 ? SK_STRUCT : ssa_kind(f, v);
	struct k1s_field tmp;
	const char *k;
	json_t *cv;

	if (level == 0 && !(f->ref && f->ref->fields))
		kind = SK_DEDUCED;
	switch (kind) {
	case SK_STRUCT:
	case SK_MAP:
	case SK_DEDUCED:
		json_object_foreach((json_t *)v, k, cv) {
			bool declared;
			const struct k1s_field *cf = child_field(kind, f, k, &tmp, &declared);
			char *pe;
			json_t *cn;

			if (stripped(level, k))
				continue;
			if (asprintf(&pe, "f:%s", k) < 0)
				return ssa_fail(c, -ENOMEM, "out of memory", NULL);
			cn = child(node, pe);
			if (ssa_set(c, cn, cv, cf, level == 0 && strcmp(k, "metadata") == 0 ? 1 : 2) < 0) {
				free(pe);
				return c->rc;
			}
			if (json_is_null(cv) || (json_is_object(cv) && json_object_size(cv) == 0) ||
			    !declared)
				mark(cn);
			if (json_object_size(cn) == 0)
				json_object_del(node, pe);
			free(pe);
		}
		return 0;
	case SK_ASSOC: {
		const struct k1s_field *itf = item_field(f, &tmp);

		for (size_t i = 0; i < json_array_size(v); i++) {
			const json_t *item = json_array_get(v, i);
			json_t *key = item_key(item, f);
			char *pe = key ? pe_key(key) : NULL;

			json_decref(key);
			if (!pe)
				return ssa_fail(c, -EINVAL, "list item lacks a key field of", f->name);
			if (ssa_set(c, child(node, pe), item, itf, 2) < 0) {
				free(pe);
				return c->rc;
			}
			mark(child(node, pe));
			free(pe);
		}
		return 0;
	}
	case SK_SET:
		for (size_t i = 0; i < json_array_size(v); i++) {
			char *pe = pe_value(json_array_get(v, i));

			if (!pe)
				return ssa_fail(c, -ENOMEM, "out of memory", NULL);
			mark(child(node, pe));
			free(pe);
		}
		return 0;
	default:
		mark(node);
		return 0;
	}
}

/* FieldsV1 as stored -> the internal form (members marked with "."). */
static json_t *wire_decode(const json_t *w)
{
	json_t *n = json_object();
	const char *k;
	json_t *v;

	if (!json_is_object(w) || json_object_size(w) == 0) {
		mark(n);
		return n;
	}
	json_object_foreach((json_t *)w, k, v) {
		if (strcmp(k, ".") == 0)
			mark(n);
		else
			json_object_set_new(n, k, wire_decode(v));
	}
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The internal form -> FieldsV1, children sorted; NULL if the node holds
 * no member at all. */
static json_t *wire_encode(const json_t *n)
{
	size_t cnt = json_object_size(n), i = 0;
	const char **keys = calloc(cnt + 1, sizeof(*keys)), *k;
	json_t *w = json_object(), *v;

	if (!keys || !w) {
		free(keys);
		json_decref(w);
		return NULL;
	}
	json_object_foreach((json_t *)n, k, v)
		keys[i++] = k;
	qsort(keys, cnt, sizeof(*keys), cmp_str);
	for (i = 0; i < cnt; i++) {
		json_t *cw;

		if (strcmp(keys[i], ".") == 0)
			continue;
		cw = wire_encode(json_object_get(n, keys[i]));
		if (cw)
			json_object_set_new(w, keys[i], cw);
	}
	free(keys);
	if (json_object_size(w) == 0) {
		if (member(n))
			return w;
		json_decref(w);
		return NULL;
	}
	if (member(n)) {
		/* "." comes first, as kube-apiserver writes it */
		json_t *o = json_object();

		json_object_set_new(o, ".", json_object());
		json_object_update(o, w);
		json_decref(w);
		w = o;
	}
	return w;
}

/* The value a path element selects in v (borrowed), and its index in a
 * list. */
static json_t *resolve(const json_t *v, const char *pe, size_t *idx)
{
	json_t *r = NULL, *pv;
	ssize_t at = -1;

	if (strncmp(pe, "f:", 2) == 0)
		return json_object_get(v, pe + 2);
	if (!json_is_array(v))
		return NULL;
	if (strncmp(pe, "i:", 2) == 0) {
		char *end;
		unsigned long long n = strtoull(pe + 2, &end, 10);

		at = *end || end == pe + 2 ? -1 : (ssize_t)n;
	} else if (strncmp(pe, "k:", 2) == 0 || strncmp(pe, "v:", 2) == 0) {
		pv = json_loads(pe + 2, JSON_DECODE_ANY, NULL);
		if (pv && pe[0] == 'k' && json_is_object(pv))
			at = find_keyed(v, pv);
		else if (pv && pe[0] == 'v')
			at = find_value(v, pv);
		json_decref(pv);
	}
	if (at >= 0 && (size_t)at < json_array_size(v)) {
		r = json_array_get(v, (size_t)at);
		*idx = (size_t)at;
	}
	return r;
}

/* Appends a path element in Kubernetes' notation (".spec",
 * "[port=80,protocol=\"TCP\"]", "[=\"x\"]", "[0]") to buf. */
static void path_append(char *buf, size_t cap, const char *pe)
{
	size_t len = strlen(buf);
	json_t *pv;

	if (strncmp(pe, "f:", 2) == 0) {
		snprintf(buf + len, cap - len, ".%s", pe + 2);
	} else if (strncmp(pe, "k:", 2) == 0 && (pv = json_loads(pe + 2, 0, NULL))) {
		const char *k;
		json_t *v;
		bool first = true;

		snprintf(buf + len, cap - len, "[");
		json_object_foreach(pv, k, v) {
			char *js = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

			len = strlen(buf);
			snprintf(buf + len, cap - len, "%s%s=%s", first ? "" : ",", k, js ? js : "?");
			free(js);
			first = false;
		}
		len = strlen(buf);
		snprintf(buf + len, cap - len, "]");
		json_decref(pv);
	} else if (strncmp(pe, "v:", 2) == 0) {
		snprintf(buf + len, cap - len, "[=%s]", pe + 2);
	} else {
		snprintf(buf + len, cap - len, "[%s]", pe + 2);
	}
}

struct owner {
	json_t *entry;	/* the managedFields entry (borrowed) */
	json_t *set;	/* its field set, internal form (owned) */
	const char *name;
	bool changed;	/* ownership moved away by force */
};

/* Finds the leaves of the new set that `o` owns and whose value the apply
 * changes; appends them to `found` and, with force, takes them from o.
 * Counts in *foreign those that the last-applied set `ln` (may be NULL)
 * does not hold. */
static void conflicts_walk(const json_t *sn, json_t *on, const json_t *ln, const json_t *live,
			   const json_t *merged, char *path, size_t cap, struct owner *o, bool force,
			   json_t *found, size_t *foreign)
{
	const char *pe;
	json_t *sc;
	size_t len = strlen(path);

	json_object_foreach((json_t *)sn, pe, sc) {
		json_t *oc = json_object_get(on, pe), *lc = json_object_get(ln, pe), *lv, *mv;
		size_t i1, i2;

		if (strcmp(pe, ".") == 0 || !oc)
			continue;
		lv = resolve(live, pe, &i1);
		mv = resolve(merged, pe, &i2);
		path_append(path, cap, pe);
		if (!has_children(sc)) {
			if (member(oc) && !k1s_patch_equal(lv, mv)) {
				json_t *cf = json_object();

				json_object_set_new(cf, "field", json_string(path));
				json_object_set_new(cf, "manager", json_string(o->name));
				json_array_append_new(found, cf);
				if (!member(lc))
					(*foreign)++;
				if (force) {
					json_object_del(oc, ".");
					o->changed = true;
				}
			}
		} else {
			conflicts_walk(sc, oc, lc, lv, mv, path, cap, o, force, found, foreign);
		}
		path[len] = '\0';
	}
}

/* Removes from v the fields the manager's old set `tn` has, its new set
 * `sn` lacks and no other owner holds. */
static void remove_walk(const json_t *tn, const json_t *sn, const json_t *const *on, size_t no,
			json_t *v)
{
	const json_t **oc = calloc(no + 1, sizeof(*oc));
	const char *pe;
	json_t *tc;

	if (!oc)
		return;
	json_object_foreach((json_t *)tn, pe, tc) {
		const json_t *sc = json_object_get(sn, pe);
		bool others_any = false;
		json_t *cv;
		size_t idx = 0;

		if (strcmp(pe, ".") == 0)
			continue;
		cv = resolve(v, pe, &idx);
		if (!cv)
			continue;
		for (size_t i = 0; i < no; i++) {
			oc[i] = json_object_get(on[i], pe);
			others_any |= oc[i] != NULL;
		}
		/* Only a path nobody else holds anything under goes away whole;
		 * otherwise descend and drop what this manager alone had. */
		if (member(tc) && !sc && !others_any) {
			if (json_is_object(v))
				json_object_del(v, pe + 2);
			else
				json_array_remove(v, idx);
			continue;
		}
		remove_walk(tc, sc, oc, no, cv);
	}
	free(oc);
}

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

/* The field set of the live object's last-applied-configuration
 * annotation, or NULL if it has none that parses. */
static json_t *last_applied_set(const json_t *live, const struct k1s_field *root)
{
	const json_t *ann = json_object_get(json_object_get(live, "metadata"), "annotations");
	const char *s = json_string_value(json_object_get(ann, LAST_APPLIED));
	json_t *cfg = s ? json_loads(s, 0, NULL) : NULL, *set = NULL;
	struct ssa quiet = {NULL, 0, 0};

	if (json_is_object(cfg)) {
		set = json_object();
		/* a malformed annotation only means no takeover */
		if (set && ssa_set(&quiet, set, cfg, root, 0) < 0) {
			json_decref(set);
			set = NULL;
		}
	}
	json_decref(cfg);
	return set;
}

static json_t *new_entry(const char *manager, const char *api_version, json_t *fields)
{
	json_t *e = json_object();
	char now[32];

	k1s_time_fmt(now, sizeof(now), time(NULL));
	json_object_set_new(e, "manager", json_string(manager));
	json_object_set_new(e, "operation", json_string("Apply"));
	if (api_version)
		json_object_set_new(e, "apiVersion", json_string(api_version));
	json_object_set_new(e, "time", json_string(now));
	json_object_set_new(e, "fieldsType", json_string("FieldsV1"));
	json_object_set_new(e, "fieldsV1", fields);
	return e;
}

static void conflict_message(struct ssa *c, const json_t *found)
{
	size_t n = json_array_size(found), len;

	if (!c->err || !c->errlen)
		return;
	len = (size_t)snprintf(c->err, c->errlen, "Apply failed with %zu conflict%s:", n,
			       n == 1 ? "" : "s");
	for (size_t i = 0; i < n && len < c->errlen; i++) {
		const json_t *e = json_array_get(found, i);

		len += (size_t)snprintf(c->err + len, c->errlen - len, " conflict with \"%s\": %s%s",
					json_string_value(json_object_get(e, "manager")),
					json_string_value(json_object_get(e, "field")),
					i + 1 < n ? "," : "");
	}
}

int k1s_patch_apply(json_t **doc, const json_t *applied, const struct k1s_type *type,
		    const char *manager, bool force, json_t *conflicts, char *err, size_t errlen)
{
	struct ssa c = {err, errlen, 0};
	struct k1s_field root = {.name = "", .type = K1S_T_OBJECT, .ref = type};
	json_t *ac = NULL, *merged = NULL, *live, *newset = NULL, *oldset = NULL, *found = NULL;
	json_t *mf = NULL, *meta, *out = NULL, *wire, *lastset = NULL;
	struct owner *own = NULL;
	const json_t **others = NULL;
	size_t nown = 0, nmf = 0, self = SIZE_MAX, foreign = 0;
	bool own_live = !*doc, done = false;
	const char *api_version;
	char path[1024];
	int rc;

	if (!json_is_object(applied))
		return k1s_patch_fail(err, errlen, -EINVAL, "apply: configuration must be an object");
	if (!manager || !*manager)
		return k1s_patch_fail(err, errlen, -EINVAL, "apply: a field manager is required");
	if (*doc && !json_is_object(*doc))
		return k1s_patch_fail(err, errlen, -EINVAL, "apply: live object is not an object");
	live = *doc ? *doc : json_object();

	/* The caller's managedFields are not part of the configuration. */
	ac = json_deep_copy(applied);
	if (!ac)
		goto nomem;
	json_object_del(json_object_get(ac, "metadata"), "managedFields");
	merged = ssa_merge(&c, json_deep_copy(live), ac, &root);
	if (!merged)
		goto out;
	newset = json_object();
	if (!newset || ssa_set(&c, newset, ac, &root, 0) < 0)
		goto out;

	lastset = last_applied_set(live, &root);

	/* Every other entry (an Update entry of the same name included) is
	 * another owner; this manager's Apply entry is the old set. */
	mf = json_object_get(json_object_get(live, "metadata"), "managedFields");
	nmf = json_array_size(mf);
	own = calloc(nmf + 1, sizeof(*own));
	others = calloc(nmf + 1, sizeof(*others));
	found = json_array();
	if (!own || !others || !found)
		goto nomem;
	for (size_t i = 0; i < json_array_size(mf); i++) {
		json_t *e = json_array_get(mf, i);
		const char *m = json_string_value(json_object_get(e, "manager"));
		const char *op = json_string_value(json_object_get(e, "operation"));
		json_t *fv = json_object_get(e, "fieldsV1");

		own[i].entry = e;
		if (!m || !json_is_object(fv))
			continue;
		if (strcmp(m, manager) == 0 && op && strcmp(op, "Apply") == 0 && self == SIZE_MAX) {
			self = i;
			oldset = wire_decode(fv);
			continue;
		}
		own[i].name = m;
		own[i].set = wire_decode(fv);
		others[nown++] = own[i].set;
		path[0] = '\0';
		conflicts_walk(newset, own[i].set, lastset, live, merged, path, sizeof(path), &own[i],
			       false, found, &foreign);
	}
	/* As kube-apiserver upgrades client-side apply: "kubectl" takes over,
	 * unforced, the fields its last-applied-configuration annotation
	 * holds, so that `kubectl apply --server-side` after `kubectl apply`
	 * succeeds; any other conflict still stops it. */
	if (!force && json_array_size(found) > 0 && lastset && foreign == 0 &&
	    strcmp(manager, "kubectl") == 0)
		force = true;
	if (json_array_size(found) > 0 && force) {
		json_t *scratch = json_array();

		for (size_t i = 0; i < nmf; i++) {
			if (!own[i].set)
				continue;
			path[0] = '\0';
			conflicts_walk(newset, own[i].set, NULL, live, merged, path, sizeof(path),
				       &own[i], true, scratch, &foreign);
		}
		json_decref(scratch);
	}
	if (json_array_size(found) > 0 && !force) {
		if (conflicts)
			json_array_extend(conflicts, found);
		conflict_message(&c, found);
		c.rc = -EBUSY;
		goto out;
	}
	if (oldset)
		remove_walk(oldset, newset, others, nown, merged);

	/* Rewrite managedFields: this manager's entry in place (or last),
	 * others as force left them, empty ones dropped. */
	api_version = json_string_value(json_object_get(ac, "apiVersion"));
	if (!api_version)
		api_version = json_string_value(json_object_get(live, "apiVersion"));
	out = json_array();
	if (!out)
		goto nomem;
	for (size_t i = 0; i < json_array_size(mf); i++) {
		if (i == self) {
			wire = wire_encode(newset);
			if (wire)
				json_array_append_new(out, new_entry(manager, api_version, wire));
		} else if (own[i].changed) {
			wire = wire_encode(own[i].set);
			if (wire) {
				json_t *e = json_copy(own[i].entry);

				json_object_set_new(e, "fieldsV1", wire);
				json_array_append_new(out, e);
			}
		} else {
			json_array_append(out, own[i].entry);
		}
	}
	if (self == SIZE_MAX && (wire = wire_encode(newset)))
		json_array_append_new(out, new_entry(manager, api_version, wire));
	meta = json_object_get(merged, "metadata");
	if (!meta) {
		meta = json_object();
		json_object_set_new(merged, "metadata", meta);
	}
	if (!json_is_object(meta)) {
		ssa_fail(&c, -EINVAL, "metadata must be an object", NULL);
		goto out;
	}
	if (json_array_size(out) > 0)
		json_object_set(meta, "managedFields", out);
	else
		json_object_del(meta, "managedFields");
	done = true;
	goto out;
nomem:
	ssa_fail(&c, -ENOMEM, "out of memory", NULL);
out:
	rc = c.rc;
	for (size_t i = 0; own && i < nmf; i++)
		json_decref(own[i].set);
	free(own);
	free(others);
	json_decref(out);
	json_decref(found);
	json_decref(oldset);
	json_decref(newset);
	json_decref(lastset);
	json_decref(ac);
	if (own_live)
		json_decref(live);
	if (done) {
		json_decref(*doc);
		*doc = merged;
		return 0;
	}
	json_decref(merged);
	return rc;
}

/* ---- ownership of plain writes ---- */

/* Adds to `into` every member of `n` that `old` lacks. */
static void set_added(json_t *into, const json_t *n, const json_t *old)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)n, k, v) {
		if (strcmp(k, ".") == 0) {
			if (!member(old))
				mark(into);
			continue;
		}
		set_added(child(into, k), v, json_object_get(old, k));
		if (json_object_size(json_object_get(into, k)) == 0)
			json_object_del(into, k);
	}
}

int k1s_patch_track_update(json_t *obj, const json_t *old, const struct k1s_type *type,
			   const char *manager, const char *api_version)
{
	struct ssa c = {NULL, 0, 0};
	struct k1s_field root = {.name = "", .type = K1S_T_OBJECT, .ref = type};
	json_t *md = json_object_get(obj, "metadata"), *mf, *newset, *oldset = NULL, *set;
	json_t *entries = json_array(), *e;
	size_t i;
	int rc = -ENOMEM;

	if (!json_is_object(md) || !manager || !*manager || !entries)
		goto out;
	/* Ownership is the server's record: start from the stored one. */
	mf = old ? json_object_get(json_object_get(old, "metadata"), "managedFields") : NULL;
	json_object_del(md, "managedFields");
	newset = json_object();
	if (!newset || ssa_set(&c, newset, obj, &root, 0) < 0) {
		json_decref(newset);
		rc = -EINVAL;
		goto out;
	}
	set = json_object();
	json_array_foreach(mf, i, e) {
		const char *m = json_string_value(json_object_get(e, "manager"));
		const char *op = json_string_value(json_object_get(e, "operation"));

		if (m && op && strcmp(m, manager) == 0 && strcmp(op, "Update") == 0) {
			json_decref(set);
			set = wire_decode(json_object_get(e, "fieldsV1"));
		} else {
			json_array_append(entries, e);
		}
	}
	if (old) {
		oldset = json_object();
		ssa_set(&c, oldset, old, &root, 0);
	}
	set_added(set, newset, oldset);
	json_decref(newset);
	json_decref(oldset);
	json_t *wire = wire_encode(set);

	json_decref(set);
	if (wire) {
		e = new_entry(manager, api_version, wire);
		json_object_set_new(e, "operation", json_string("Update"));
		json_array_append_new(entries, e);
	}
	if (json_array_size(entries))
		json_object_set(md, "managedFields", entries);
	rc = 0;
out:
	json_decref(entries);
	return rc;
}
