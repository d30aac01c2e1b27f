/* Strategic merge patch, applied as k8s.io/apimachinery's strategicpatch
 * package applies it on the server (parallel delete lists merged, nulls in
 * new values dropped). Merge keys and strategies come from the type tables;
 * where a type is unknown, objects merge as in RFC 7386 and lists are
 * replaced.
 *
 * Two deliberate differences: "$patch: merge" is accepted (as a plain
 * merge) where the Go code rejects it, and directive keys are stripped from
 * every value placed into the result, not only from merged ones, so that no
 * "$..." key ever reaches storage. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_patch.h"
#include "k1s_patch_int.h"

#define DIRECTIVE "$patch"
#define RETAIN_KEYS "$retainKeys"
#define SET_ORDER "$setElementOrder/"
#define DELETE_PRIM "$deleteFromPrimitiveList/"

struct smp {
	char *err;
	size_t errlen;
	int rc;
};

static json_t *smp_map(struct smp *c, json_t *orig, const json_t *patch, struct k1s_pschema s);
static json_t *smp_list(struct smp *c, json_t *orig, const json_t *patch,
			const struct k1s_field *f);

static json_t *smp_fail(struct smp *c, int rc, const char *what, const char *key)
{
	if (c->rc == 0)
		c->rc = k1s_patch_fail(c->err, c->errlen, rc, "strategic merge patch: %s%s%s%s",
				       what, key ? " \"" : "", key ? key : "", key ? "\"" : "");
	return NULL;
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static bool is_directive(const char *k)
{
	return strcmp(k, DIRECTIVE) == 0 || strcmp(k, RETAIN_KEYS) == 0 ||
	       has_prefix(k, SET_ORDER) || has_prefix(k, DELETE_PRIM);
}

/* Describes one item of the list field f, for values nested in lists. */
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

/* Merges patch value pv into ov (stolen, may be NULL) for field f (may be
 * NULL). Returns a new reference, or NULL with c->rc set. */
static json_t *smp_value(struct smp *c, json_t *ov, const json_t *pv, const struct k1s_field *f)
{
	if (json_is_object(pv)) {
		if (!json_is_object(ov) || (f && (f->flags & K1S_FF_REPLACE))) {
			json_decref(ov);
			ov = NULL;
		}
		return smp_map(c, ov, pv, k1s_pschema_of(f));
	}
	if (json_is_array(pv)) {
		if (!json_is_array(ov)) {
			json_decref(ov);
			ov = NULL;
		}
		return smp_list(c, ov, pv, f);
	}
	json_decref(ov);
	return json_deep_copy(pv);
}

/* The identity of a list item for ordering and matching: its merge-key
 * value for lists of objects, the item itself for primitives. */
static const json_t *ident(const json_t *item, const char *key)
{
	return key ? json_object_get(item, key) : item;
}

static ssize_t index_of(const json_t *ids, const json_t *id)
{
	for (size_t i = 0; i < json_array_size(ids); i++)
		if (k1s_patch_equal(json_array_get(ids, i), id))
			return (ssize_t)i;
	return -1;
}

struct ord {
	json_t *v;
	size_t rank;
};

static void ord_sort(struct ord *a, size_t n)
{
	/* insertion sort: stable, and lists are short */
	for (size_t i = 1; i < n; i++) {
		struct ord x = a[i];
		size_t j = i;

		for (; j > 0 && a[j - 1].rank > x.rank; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

/* Orders the merged list as strategicpatch does: items named in patch_ids
 * in that order, the others in their server order, interleaved so that a
 * server-only item that came before a patched item on the server still
 * does. Takes the reference to merged; returns a new array or NULL. */
static json_t *order(struct smp *c, json_t *merged, const json_t *patch_ids,
		     const json_t *server_ids, const char *key)
{
	size_t n = json_array_size(merged), np = 0, ns = 0, i, j;
	struct ord *p, *s;
	json_t *out = NULL;

	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(merged, i);

		if (key && (!json_is_object(e) || !json_object_get(e, key))) {
			json_decref(merged);
			return smp_fail(c, -EINVAL, "list item lacks its merge key", key);
		}
	}
	p = calloc(n + 1, sizeof(*p));
	s = calloc(n + 1, sizeof(*s));
	if (!p || !s)
		goto nomem;
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(merged, i);
		ssize_t pi = index_of(patch_ids, ident(e, key));

		if (pi >= 0) {
			p[np].v = e;
			p[np++].rank = (size_t)pi;
		} else {
			ssize_t si = index_of(server_ids, ident(e, key));

			s[ns].v = e;
			s[ns++].rank = si >= 0 ? (size_t)si : SIZE_MAX;
		}
	}
	ord_sort(p, np);
	ord_sort(s, ns);
	out = json_array();
	if (!out)
		goto nomem;
	for (i = 0, j = 0; i < ns || j < np;) {
		json_t *e;

		if (i < ns && j < np) {
			ssize_t li = index_of(server_ids, ident(s[i].v, key));
			ssize_t ri = index_of(server_ids, ident(p[j].v, key));

			e = (li >= 0 && ri >= 0 && li < ri) ? s[i++].v : p[j++].v;
		} else {
			e = i < ns ? s[i++].v : p[j++].v;
		}
		if (json_array_append(out, e) < 0)
			goto nomem;
	}
	free(p);
	free(s);
	json_decref(merged);
	return out;
nomem:
	free(p);
	free(s);
	json_decref(out);
	json_decref(merged);
	return smp_fail(c, -ENOMEM, "out of memory", NULL);
}

/* The identities of a list's items, as a new array. */
static json_t *idents(const json_t *list, const char *key)
{
	json_t *ids = json_array();

	for (size_t i = 0; ids && i < json_array_size(list); i++) {
		const json_t *id = ident(json_array_get(list, i), key);

		json_array_append_new(ids, id ? json_deep_copy(id) : json_null());
	}
	return ids;
}

static json_t *smp_list(struct smp *c, json_t *orig, const json_t *patch,
			const struct k1s_field *f)
{
	const char *key = f ? f->merge_key : NULL;
	struct k1s_field tmp;
	struct k1s_pschema is = k1s_pschema_item(f);
	json_t *work, *normal = NULL, *server_ids = NULL, *patch_ids = NULL;
	size_t nobj = 0, nlist = 0, nother = 0, i;
	bool replace = false;

	if (!f || (f->flags & K1S_FF_REPLACE) || (!key && !(f->flags & K1S_FF_MERGE_PRIMITIVES))) {
		/* replace strategy: the patch list, cleaned of directives */
		const struct k1s_field *itf = item_field(f, &tmp);

		json_decref(orig);
		work = json_array();
		for (i = 0; work && i < json_array_size(patch); i++) {
			json_t *v = smp_value(c, NULL, json_array_get(patch, i), itf);

			if (!v) {
				json_decref(work);
				return NULL;
			}
			json_array_append_new(work, v);
		}
		return work ? work : smp_fail(c, -ENOMEM, "out of memory", NULL);
	}

	work = orig ? orig : json_array();
	if (!work)
		return smp_fail(c, -ENOMEM, "out of memory", NULL);
	for (int pass = 0; pass < 2; pass++) {
		const json_t *l = pass ? patch : work;

		for (i = 0; i < json_array_size(l); i++) {
			json_t *e = json_array_get(l, i);

			if (json_is_object(e))
				nobj++;
			else if (json_is_array(e))
				nlist++;
			else
				nother++;
		}
	}
	if (nlist || (nobj && nother)) {
		json_decref(work);
		return smp_fail(c, -EINVAL, "list mixes item types", f->name);
	}
	if (nobj + nother == 0)
		return work;

	if (!nobj) {
		/* a set of primitives: union, deduplicated */
		server_ids = json_copy(work);
		for (i = 0; i < json_array_size(patch); i++)
			json_array_append_new(work, json_deep_copy(json_array_get(patch, i)));
		for (i = 0; i < json_array_size(work); i++)
			for (size_t j = json_array_size(work) - 1; j > i; j--)
				if (k1s_patch_equal(json_array_get(work, i), json_array_get(work, j)))
					json_array_remove(work, j);
		work = order(c, work, patch, server_ids, NULL);
		json_decref(server_ids);
		return work;
	}

	if (!key) {
		json_decref(work);
		return smp_fail(c, -EINVAL, "cannot merge a list of objects without a merge key",
				f->name);
	}
	normal = json_array();
	for (i = 0; normal && i < json_array_size(patch); i++) {
		json_t *e = json_array_get(patch, i), *d = json_object_get(e, DIRECTIVE);
		const char *ds = json_string_value(d);

		if (!d || (ds && strcmp(ds, "merge") == 0)) {
			json_array_append(normal, e);
		} else if (ds && strcmp(ds, "delete") == 0) {
			const json_t *kv = json_object_get(e, key);

			if (!kv)
				goto nokey;
			for (size_t j = json_array_size(work); j-- > 0;)
				if (k1s_patch_equal(json_object_get(json_array_get(work, j), key), kv))
					json_array_remove(work, j);
		} else if (ds && strcmp(ds, "replace") == 0) {
			replace = true;
		} else {
			json_decref(normal);
			json_decref(work);
			return smp_fail(c, -EINVAL, "unknown $patch value in list", f->name);
		}
	}
	if (!normal)
		goto nomem;
	if (replace) {
		json_decref(work);
		work = json_array();
	}
	server_ids = idents(work, key);
	for (i = 0; work && i < json_array_size(normal); i++) {
		json_t *e = json_array_get(normal, i), *v;
		const json_t *kv = json_object_get(e, key);
		size_t j;

		if (!kv)
			goto nokey;
		for (j = 0; !replace && j < json_array_size(work); j++)
			if (k1s_patch_equal(json_object_get(json_array_get(work, j), key), kv))
				break;
		if (!replace && j < json_array_size(work)) {
			v = smp_map(c, json_incref(json_array_get(work, j)), e, is);
			if (!v)
				goto fail;
			json_array_set_new(work, j, v);
		} else {
			v = smp_map(c, NULL, e, is);
			if (!v)
				goto fail;
			json_array_append_new(work, v);
		}
	}
	/* After "$patch: replace" the list is the patch's, in the patch's order. */
	patch_ids = replace ? json_array() : idents(normal, key);
	if (!server_ids || !patch_ids)
		goto nomem;
	work = order(c, work, patch_ids, server_ids, key);
	json_decref(normal);
	json_decref(server_ids);
	json_decref(patch_ids);
	return work;
nokey:
	smp_fail(c, -EINVAL, "list item lacks its merge key", key);
	goto fail;
nomem:
	smp_fail(c, -ENOMEM, "out of memory", NULL);
fail:
	json_decref(normal);
	json_decref(server_ids);
	json_decref(patch_ids);
	json_decref(work);
	return NULL;
}

/* Checks that the items of a patch list appear in its $setElementOrder
 * list in the same relative order, as strategicpatch validates it. */
static int check_order(struct smp *c, const json_t *pl, const json_t *so, const char *key)
{
	size_t pi = 0, si = 0, n = json_array_size(pl), m = json_array_size(so);

	if (!n || !m)
		return 0;
	while (pi < n && si < m) {
		const json_t *e = json_array_get(pl, pi), *o = json_array_get(so, si);
		const json_t *d = json_object_get(e, DIRECTIVE);
		bool eq;

		if (d) {
			/* deleted items and other directive items take no place */
			pi++;
			continue;
		}
		if (key) {
			if (!json_is_object(e) || !json_is_object(o) || !json_object_get(e, key) ||
			    !json_object_get(o, key)) {
				smp_fail(c, -EINVAL, "$setElementOrder item lacks the merge key", key);
				return c->rc;
			}
			eq = k1s_patch_equal(json_object_get(e, key), json_object_get(o, key));
		} else {
			eq = k1s_patch_equal(e, o);
		}
		if (eq)
			pi++;
		si++;
	}
	while (pi < n && json_object_get(json_array_get(pl, pi), DIRECTIVE))
		pi++;
	if (pi < n) {
		smp_fail(c, -EINVAL, "the patch list does not follow its $setElementOrder list",
			 NULL);
		return c->rc;
	}
	return 0;
}

/* Handles "$setElementOrder/<name>": merges the list and reorders it.
 * Records name in `done` so that the main loop skips it. */
static int set_order(struct smp *c, json_t *orig, const json_t *patch, const char *dkey,
		     const json_t *so, struct k1s_pschema s, json_t *done)
{
	const char *name = dkey + strlen(SET_ORDER);
	json_t *ol = json_object_get(orig, name), *merged, *so_ids, *server_ids;
	const json_t *pl = json_object_get(patch, name);
	struct k1s_field tmp;
	const struct k1s_field *f = k1s_pschema_field(s, name, &tmp);
	const char *key = f ? f->merge_key : NULL;

	if (!json_is_array(so) || (ol && !json_is_array(ol)) || (pl && !json_is_array(pl))) {
		smp_fail(c, -EINVAL, "$setElementOrder and its list must be lists", name);
		return c->rc;
	}
	if (check_order(c, pl, so, key) < 0)
		return c->rc;
	if (!ol && !pl)
		return 0;
	if (key) {
		for (size_t i = 0; i < json_array_size(so); i++)
			if (!json_is_object(json_array_get(so, i))) {
				smp_fail(c, -EINVAL, "$setElementOrder items must be objects", name);
				return c->rc;
			}
	}
	/* The server order is the live list's before merging changes it. */
	server_ids = idents(ol, key);
	so_ids = idents(so, key);
	if (!pl)
		merged = json_incref(ol);
	else
		merged = smp_list(c, ol ? json_incref(ol) : NULL, pl, f);
	if (merged)
		merged = (so_ids && server_ids)
				 ? order(c, merged, so_ids, server_ids, key)
				 : (json_decref(merged), smp_fail(c, -ENOMEM, "out of memory", NULL));
	json_decref(so_ids);
	json_decref(server_ids);
	if (!merged)
		return c->rc;
	if (json_object_set_new(orig, name, merged) < 0 || json_object_set_new(done, name, json_true()) < 0)
		return smp_fail(c, -ENOMEM, "out of memory", NULL), c->rc;
	return 0;
}

/* "$retainKeys": drops every member of orig the list does not name, after
 * checking that the patch itself sets only listed members. */
static int retain_keys(struct smp *c, json_t *orig, const json_t *patch, const json_t *rk)
{
	const char *k;
	json_t *v, *tmp;

	if (!json_is_array(rk)) {
		smp_fail(c, -EINVAL, "$retainKeys must be a list", NULL);
		return c->rc;
	}
	json_object_foreach((json_t *)patch, k, v) {
		json_t *ks;
		bool found;

		if (json_is_null(v) || is_directive(k))
			continue;
		ks = json_string(k);
		found = ks && index_of(rk, ks) >= 0;
		json_decref(ks);
		if (!found) {
			smp_fail(c, -EINVAL, "patch sets a key missing from $retainKeys", k);
			return c->rc;
		}
	}
	json_object_foreach_safe(orig, tmp, k, v) {
		json_t *ks = json_string(k);

		if (ks && index_of(rk, ks) < 0)
			json_object_del(orig, k);
		json_decref(ks);
	}
	return 0;
}

static json_t *smp_map(struct smp *c, json_t *orig, const json_t *patch, struct k1s_pschema s)
{
	const json_t *d = json_object_get(patch, DIRECTIVE), *rk;
	json_t *done = NULL, *pv;
	const char *k;

	if (d) {
		const char *ds = json_string_value(d);

		if (ds && strcmp(ds, "delete") == 0) {
			json_decref(orig);
			return json_object();
		}
		if (ds && strcmp(ds, "replace") == 0) {
			json_decref(orig);
			orig = NULL;
		} else if (!ds || strcmp(ds, "merge") != 0) {
			json_decref(orig);
			return smp_fail(c, -EINVAL, "unknown $patch value", ds);
		}
	}
	if (!orig)
		orig = json_object();
	done = json_object();
	if (!orig || !done) {
		smp_fail(c, -ENOMEM, "out of memory", NULL);
		goto fail;
	}
	rk = json_object_get(patch, RETAIN_KEYS);
	if (rk && retain_keys(c, orig, patch, rk) < 0)
		goto fail;
	json_object_foreach((json_t *)patch, k, pv)
		if (has_prefix(k, SET_ORDER) && set_order(c, orig, patch, k, pv, s, done) < 0)
			goto fail;
	json_object_foreach((json_t *)patch, k, pv) {
		struct k1s_field tmp;
		json_t *ov, *nv;

		if (is_directive(k) || json_object_get(done, k))
			continue;
		if (json_is_null(pv)) {
			json_object_del(orig, k);
			continue;
		}
		ov = json_object_get(orig, k);
		nv = smp_value(c, json_incref(ov), pv, k1s_pschema_field(s, k, &tmp));
		if (!nv)
			goto fail;
		if (json_object_set_new(orig, k, nv) < 0) {
			smp_fail(c, -ENOMEM, "out of memory", NULL);
			goto fail;
		}
	}
	json_object_foreach((json_t *)patch, k, pv) {
		json_t *ol;

		if (!has_prefix(k, DELETE_PRIM))
			continue;
		if (!json_is_array(pv)) {
			smp_fail(c, -EINVAL, "$deleteFromPrimitiveList must be a list", k);
			goto fail;
		}
		ol = json_object_get(orig, k + strlen(DELETE_PRIM));
		for (size_t i = json_array_size(ol); i-- > 0;)
			if (index_of(pv, json_array_get(ol, i)) >= 0)
				json_array_remove(ol, i);
	}
	json_decref(done);
	return orig;
fail:
	json_decref(done);
	json_decref(orig);
	return NULL;
}

int k1s_patch_strategic(json_t **doc, const json_t *patch, const struct k1s_type *type,
			char *err, size_t errlen)
{
	struct smp c = {err, errlen, 0};
	struct k1s_pschema s = {type, NULL};
	json_t *work;

	if (!json_is_object(patch))
		return k1s_patch_fail(err, errlen, -EINVAL,
				      "strategic merge patch must be a JSON object");
	work = json_is_object(*doc) ? json_deep_copy(*doc) : NULL;
	if (json_is_object(*doc) && !work)
		return k1s_patch_fail(err, errlen, -ENOMEM, "out of memory");
	work = smp_map(&c, work, patch, s);
	if (!work)
		return c.rc ? c.rc : k1s_patch_fail(err, errlen, -ENOMEM, "out of memory");
	json_decref(*doc);
	*doc = work;
	return 0;
}
