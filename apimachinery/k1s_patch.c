/* JSON merge patch (RFC 7386), JSON patch (RFC 6902) and the helpers the
 * other patch kinds share. Every function works on a private deep copy of
 * the document and swaps it in only on success, so a failed patch never
 * leaves a half-patched object behind. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_patch.h"
#include "k1s_patch_int.h"

/* kube-apiserver refuses JSON patches with more operations than this. */
#define JP_MAX_OPS 10000
/* Bound on the values "copy" may duplicate in one patch, counted in JSON
 * nodes: without it a few dozen copies of a growing subtree exhaust memory,
 * as the accumulated-copy limit of kube-apiserver's JSON patch prevents. */
#define JP_MAX_COPIED 1000000

int k1s_patch_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

bool k1s_patch_equal(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;

		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, k, v)
			if (!k1s_patch_equal(v, json_object_get(b, k)))
				return false;
		return true;
	}
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!k1s_patch_equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	default:
		/* true, false and null carry no payload */
		return true;
	}
}

const struct k1s_field *k1s_pschema_field(struct k1s_pschema s, const char *key,
					  struct k1s_field *tmp)
{
	if (s.map) {
		*tmp = *s.map;
		tmp->container = K1S_C_NONE;
		tmp->merge_key = NULL;
		tmp->list_map_keys = NULL;
		return tmp;
	}
	return k1s_type_field(s.t, key);
}

struct k1s_pschema k1s_pschema_of(const struct k1s_field *f)
{
	struct k1s_pschema s = {NULL, NULL};

	if (!f)
		return s;
	if (f->container == K1S_C_MAP)
		s.map = f;
	else if (f->type == K1S_T_OBJECT)
		s.t = f->ref;
	return s;
}

struct k1s_pschema k1s_pschema_item(const struct k1s_field *f)
{
	struct k1s_pschema s = {NULL, NULL};

	if (f && f->type == K1S_T_OBJECT)
		s.t = f->ref;
	return s;
}

/* ---- RFC 7386 ---- */

/* Merges patch (an object) into target (an object this call owns). */
static int merge_into(json_t *target, const json_t *patch)
{
	const char *k;
	json_t *pv;

	json_object_foreach((json_t *)patch, k, pv) {
		json_t *tv;

		if (json_is_null(pv)) {
			json_object_del(target, k);
			continue;
		}
		if (!json_is_object(pv)) {
			if (json_object_set_new(target, k, json_deep_copy(pv)) < 0)
				return -ENOMEM;
			continue;
		}
		tv = json_object_get(target, k);
		if (!json_is_object(tv)) {
			/* RFC 7386: a non-object target becomes {} first. */
			tv = json_object();
			if (json_object_set_new(target, k, tv) < 0)
				return -ENOMEM;
		}
		if (merge_into(tv, pv) < 0)
			return -ENOMEM;
	}
	return 0;
}

int k1s_patch_merge(json_t **doc, const json_t *patch, char *err, size_t errlen)
{
	json_t *work;

	if (!json_is_object(patch))
		return k1s_patch_fail(err, errlen, -EINVAL, "merge patch must be a JSON object");
	work = json_is_object(*doc) ? json_deep_copy(*doc) : json_object();
	if (!work)
		return k1s_patch_fail(err, errlen, -ENOMEM, "out of memory");
	if (merge_into(work, patch) < 0) {
		json_decref(work);
		return k1s_patch_fail(err, errlen, -ENOMEM, "out of memory");
	}
	json_decref(*doc);
	*doc = work;
	return 0;
}

/* ---- RFC 6902 with RFC 6901 pointers ---- */

struct jp_ptr {
	char **tok;
	size_t n;
};

static void jp_ptr_free(struct jp_ptr *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->tok[i]);
	free(p->tok);
	p->tok = NULL;
	p->n = 0;
}

/* Splits a JSON pointer into unescaped reference tokens. */
static int jp_ptr_parse(const json_t *js, struct jp_ptr *p)
{
	const char *s = json_string_value(js), *q;

	p->tok = NULL;
	p->n = 0;
	if (!s || strlen(s) != json_string_length(js))
		return -EINVAL;
	if (*s == '\0')
		return 0;
	if (*s != '/')
		return -EINVAL;
	while (*s == '/') {
		size_t len = strcspn(s + 1, "/");
		char *t = malloc(len + 1), *d = t, **nt;

		if (!t)
			goto nomem;
		for (q = s + 1; q < s + 1 + len; q++) {
			if (*q != '~') {
				*d++ = *q;
				continue;
			}
			if (q[1] != '0' && q[1] != '1') {
				free(t);
				jp_ptr_free(p);
				return -EINVAL;
			}
			*d++ = q[1] == '0' ? '~' : '/';
			q++;
		}
		*d = '\0';
		nt = realloc(p->tok, (p->n + 1) * sizeof(*nt));
		if (!nt) {
			free(t);
			goto nomem;
		}
		p->tok = nt;
		p->tok[p->n++] = t;
		s += 1 + len;
	}
	return 0;
nomem:
	jp_ptr_free(p);
	return -ENOMEM;
}

/* An array index token: decimal without leading zeros. */
static bool jp_index(const char *t, size_t *out)
{
	size_t v = 0;

	if (!*t || (t[0] == '0' && t[1]))
		return false;
	for (; *t; t++) {
		if (*t < '0' || *t > '9' || v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(*t - '0');
	}
	*out = v;
	return true;
}

/* The value the first n tokens of p point to, or NULL. */
static json_t *jp_get(json_t *root, const struct jp_ptr *p, size_t n)
{
	json_t *v = root;

	for (size_t i = 0; i < n && v; i++) {
		size_t idx;

		if (json_is_object(v))
			v = json_object_get(v, p->tok[i]);
		else if (json_is_array(v) && jp_index(p->tok[i], &idx))
			v = json_array_get(v, idx);
		else
			v = NULL;
	}
	return v;
}

struct jp_ctx {
	json_t *root;
	size_t copied;
	char *err;
	size_t errlen;
	size_t op;
	const char *opname;
	const char *path;
};

static int jp_fail(struct jp_ctx *c, int rc, const char *what)
{
	return k1s_patch_fail(c->err, c->errlen, rc, "json patch operation %zu (%s) on \"%s\": %s",
			      c->op, c->opname, c->path, what);
}

/* Inserts v (a reference the call takes) at p. */
static int jp_add(struct jp_ctx *c, const struct jp_ptr *p, json_t *v)
{
	json_t *parent;
	const char *last;
	size_t idx;

	if (p->n == 0) {
		json_decref(c->root);
		c->root = v;
		return 0;
	}
	parent = jp_get(c->root, p, p->n - 1);
	last = p->tok[p->n - 1];
	if (json_is_object(parent)) {
		if (json_object_set_new(parent, last, v) < 0)
			return jp_fail(c, -ENOMEM, "out of memory");
		return 0;
	}
	if (json_is_array(parent)) {
		if (strcmp(last, "-") == 0) {
			if (json_array_append_new(parent, v) < 0)
				return jp_fail(c, -ENOMEM, "out of memory");
			return 0;
		}
		if (jp_index(last, &idx) && idx <= json_array_size(parent)) {
			if (json_array_insert_new(parent, idx, v) < 0)
				return jp_fail(c, -ENOMEM, "out of memory");
			return 0;
		}
	}
	json_decref(v);
	return jp_fail(c, -ENOENT, "path does not exist");
}

static int jp_remove(struct jp_ctx *c, const struct jp_ptr *p)
{
	json_t *parent;
	const char *last;
	size_t idx;

	if (p->n == 0)
		return jp_fail(c, -EINVAL, "cannot remove the whole document");
	parent = jp_get(c->root, p, p->n - 1);
	last = p->tok[p->n - 1];
	if (json_is_object(parent) && json_object_del(parent, last) == 0)
		return 0;
	if (json_is_array(parent) && jp_index(last, &idx) && json_array_remove(parent, idx) == 0)
		return 0;
	return jp_fail(c, -ENOENT, "path does not exist");
}

static size_t jp_count(const json_t *v)
{
	size_t n = 1;

	if (json_is_object(v)) {
		const char *k;
		json_t *e;

		json_object_foreach((json_t *)v, k, e)
			n += jp_count(e);
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			n += jp_count(json_array_get(v, i));
	}
	return n;
}

static int jp_op(struct jp_ctx *c, const json_t *op)
{
	struct jp_ptr path, from = {NULL, 0};
	json_t *value = json_object_get(op, "value"), *v;
	const char *name;
	int rc = 0;

	name = json_string_value(json_object_get(op, "op"));
	c->opname = name ? name : "?";
	c->path = json_string_value(json_object_get(op, "path"));
	if (!c->path)
		c->path = "";
	if (!json_is_object(op))
		return jp_fail(c, -EINVAL, "operation is not an object");
	if (!name)
		return jp_fail(c, -EINVAL, "missing \"op\"");
	if (!json_is_string(json_object_get(op, "path")))
		return jp_fail(c, -EINVAL, "missing \"path\"");
	if (jp_ptr_parse(json_object_get(op, "path"), &path) < 0)
		return jp_fail(c, -EINVAL, "malformed JSON pointer");

	if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0 ||
	    strcmp(name, "test") == 0) {
		if (!value) {
			rc = jp_fail(c, -EINVAL, "missing \"value\"");
			goto out;
		}
	} else if (strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) {
		if (!json_is_string(json_object_get(op, "from"))) {
			rc = jp_fail(c, -EINVAL, "missing \"from\"");
			goto out;
		}
		if (jp_ptr_parse(json_object_get(op, "from"), &from) < 0) {
			rc = jp_fail(c, -EINVAL, "malformed JSON pointer in \"from\"");
			goto out;
		}
	} else if (strcmp(name, "remove") != 0) {
		rc = jp_fail(c, -EINVAL, "unknown operation");
		goto out;
	}

	switch (name[0]) {
	case 'a': /* add */
		rc = jp_add(c, &path, json_deep_copy(value));
		break;
	case 'r':
		if (name[2] == 'm') { /* remove */
			rc = jp_remove(c, &path);
			break;
		}
		/* replace: the target must exist */
		if (!jp_get(c->root, &path, path.n)) {
			rc = jp_fail(c, -ENOENT, "path does not exist");
			break;
		}
		if (path.n > 0 && json_is_array(jp_get(c->root, &path, path.n - 1))) {
			size_t idx;

			jp_index(path.tok[path.n - 1], &idx);
			json_array_set_new(jp_get(c->root, &path, path.n - 1), idx,
					   json_deep_copy(value));
			break;
		}
		rc = jp_add(c, &path, json_deep_copy(value));
		break;
	case 't': /* test */
		if (path.n > 0 && !jp_get(c->root, &path, path.n - 1)) {
			rc = jp_fail(c, -ENOENT, "path does not exist");
			break;
		}
		v = jp_get(c->root, &path, path.n);
		/* A missing member tests equal to null, as kube-apiserver has it. */
		if (!v && json_is_null(value))
			break;
		if (!k1s_patch_equal(v, value))
			rc = jp_fail(c, -ECANCELED, "test failed");
		break;
	case 'm': /* move */
		v = jp_get(c->root, &from, from.n);
		if (!v) {
			rc = jp_fail(c, -ENOENT, "\"from\" does not exist");
			break;
		}
		if (from.n < path.n) {
			size_t i;

			for (i = 0; i < from.n; i++)
				if (strcmp(from.tok[i], path.tok[i]) != 0)
					break;
			if (i == from.n) {
				rc = jp_fail(c, -EINVAL, "cannot move a value into itself");
				break;
			}
		}
		json_incref(v);
		if (from.n == 0) {
			/* moving the root onto itself */
			json_decref(v);
			break;
		}
		rc = jp_remove(c, &from);
		if (rc == 0)
			rc = jp_add(c, &path, v);
		else
			json_decref(v);
		break;
	case 'c': /* copy */
		v = jp_get(c->root, &from, from.n);
		if (!v) {
			rc = jp_fail(c, -ENOENT, "\"from\" does not exist");
			break;
		}
		c->copied += jp_count(v);
		if (c->copied > JP_MAX_COPIED) {
			rc = jp_fail(c, -EINVAL, "copied values exceed the size limit");
			break;
		}
		rc = jp_add(c, &path, json_deep_copy(v));
		break;
	}
out:
	jp_ptr_free(&path);
	jp_ptr_free(&from);
	return rc;
}

int k1s_patch_json(json_t **doc, const json_t *ops, char *err, size_t errlen)
{
	struct jp_ctx c = {.err = err, .errlen = errlen};
	int rc = 0;

	if (!json_is_array(ops))
		return k1s_patch_fail(err, errlen, -EINVAL, "json patch must be a JSON array");
	if (json_array_size(ops) > JP_MAX_OPS)
		return k1s_patch_fail(err, errlen, -EINVAL,
				      "json patch has more than %d operations", JP_MAX_OPS);
	c.root = *doc ? json_deep_copy(*doc) : json_null();
	if (!c.root)
		return k1s_patch_fail(err, errlen, -ENOMEM, "out of memory");
	for (c.op = 0; c.op < json_array_size(ops) && rc == 0; c.op++)
		rc = jp_op(&c, json_array_get(ops, c.op));
	if (rc < 0) {
		json_decref(c.root);
		return rc;
	}
	json_decref(*doc);
	*doc = c.root;
	return 0;
}
