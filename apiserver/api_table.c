/* Server-side tables for `kubectl get`: the meta.k8s.io/v1 Table that
 * kube-apiserver builds from its internal printers, with the same columns,
 * cell types and formats. The per-resource printers live in
 * api_table_core.c (core/v1), api_table_apps.c (apps, networking,
 * discovery) and api_table_auth.c (jobs, service accounts, RBAC, webhooks); this file holds the Table envelope and the shared formats. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "api_table_int.h"
#include "k1s_json.h"

const char api_tdoc_name[] =
    "Name must be unique within a namespace. Is required when creating resources, although "
    "some resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const char api_tdoc_created[] =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const char api_tdoc_containers[] = "Names of each container in the template.";
const char api_tdoc_images[] = "Images referenced by each container in the template.";

/* ---- HumanDuration ---- */

void api_age(char *buf, size_t len, time_t t, time_t now)
{
	long long d = (long long)now - (long long)t;
	long long m, h;

	/* A clock up to one second ahead of ours still reads as "now". */
	if (d < -1) {
		snprintf(buf, len, "<invalid>");
		return;
	}
	if (d < 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (d < 120) {
		snprintf(buf, len, "%llds", d);
		return;
	}
	m = d / 60;
	if (m < 10) {
		if (d % 60 == 0)
			snprintf(buf, len, "%lldm", m);
		else
			snprintf(buf, len, "%lldm%llds", m, d % 60);
		return;
	}
	if (m < 60 * 3) {
		snprintf(buf, len, "%lldm", m);
		return;
	}
	h = d / 3600;
	if (h < 8) {
		if (m % 60 == 0)
			snprintf(buf, len, "%lldh", h);
		else
			snprintf(buf, len, "%lldh%lldm", h, m % 60);
	} else if (h < 48) {
		snprintf(buf, len, "%lldh", h);
	} else if (h < 24 * 8) {
		if (h % 24 == 0)
			snprintf(buf, len, "%lldd", h / 24);
		else
			snprintf(buf, len, "%lldd%lldh", h / 24, h % 24);
	} else if (h < 24 * 365 * 2) {
		snprintf(buf, len, "%lldd", h / 24);
	} else if (h < 24 * 365 * 8) {
		if ((h / 24) % 365 == 0)
			snprintf(buf, len, "%lldy", h / 24 / 365);
		else
			snprintf(buf, len, "%lldy%lldd", h / 24 / 365, (h / 24) % 365);
	} else {
		snprintf(buf, len, "%lldy", h / 24 / 365);
	}
}

/* ---- string builder ---- */

void api_sb_addn(struct api_sb *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 64;
		char *p;

		while (cap < sb->len + n + 1)
			cap *= 2;
		p = realloc(sb->s, cap);
		if (!p)
			abort();
		sb->s = p;
		sb->cap = cap;
	}
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void api_sb_add(struct api_sb *sb, const char *s)
{
	if (s)
		api_sb_addn(sb, s, strlen(s));
}

void api_sb_printf(struct api_sb *sb, const char *fmt, ...)
{
	char small[128], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		api_sb_addn(sb, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big)
		abort();
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	api_sb_addn(sb, big, (size_t)n);
	free(big);
}

const char *api_sb_str(const struct api_sb *sb)
{
	return sb->s ? sb->s : "";
}

void api_sb_free(struct api_sb *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
}

void api_sb_append_to(struct api_sb *sb, json_t *arr)
{
	json_array_append_new(arr, json_string(api_sb_str(sb)));
	api_sb_free(sb);
}

/* ---- cells ---- */

void api_cell_str(json_t *cells, const char *s)
{
	json_array_append_new(cells, json_string(s ? s : ""));
}

void api_cell_int(json_t *cells, json_int_t v)
{
	json_array_append_new(cells, json_integer(v));
}

void api_age_of(char *buf, size_t len, const json_t *obj, const char *path, time_t now)
{
	const char *ts = k1s_json_str(obj, path);
	time_t t;

	if (!ts || !*ts || k1s_time_parse(ts, &t) < 0) {
		snprintf(buf, len, "<unknown>");
		return;
	}
	api_age(buf, len, t, now);
}

void api_cell_age(json_t *cells, const json_t *obj, const char *path, time_t now)
{
	char age[32];

	api_age_of(age, sizeof(age), obj, path, now);
	api_cell_str(cells, age);
}

json_int_t api_json_int(const json_t *obj, const char *path, json_int_t def)
{
	json_t *v = k1s_json_path(obj, path);

	/* The fields read this way are int32 in the API; a stored object
	 * holding anything else is clamped rather than trusted. */
	if (!json_is_integer(v))
		return def;
	if (json_integer_value(v) > INT32_MAX)
		return INT32_MAX;
	if (json_integer_value(v) < INT32_MIN)
		return INT32_MIN;
	return json_integer_value(v);
}

size_t api_json_size(const json_t *obj, const char *path)
{
	json_t *v = k1s_json_path(obj, path);

	if (json_is_object(v))
		return json_object_size(v);
	if (json_is_array(v))
		return json_array_size(v);
	return 0;
}

void api_cell_containers(json_t *cells, const json_t *containers)
{
	struct api_sb names = {0}, images = {0};
	size_t i;
	json_t *c;

	api_sb_add(&names, "");
	api_sb_add(&images, "");
	json_array_foreach(containers, i, c)
	{
		if (i > 0) {
			api_sb_add(&names, ",");
			api_sb_add(&images, ",");
		}
		api_sb_add(&names, k1s_json_str(c, "name"));
		api_sb_add(&images, k1s_json_str(c, "image"));
	}
	api_sb_append_to(&names, cells);
	api_sb_append_to(&images, cells);
}

/* ---- string sets ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void api_str_set_sort(json_t *arr)
{
	size_t n = json_array_size(arr), i, j;
	const char **v;
	json_t *out;

	if (n == 0)
		return;
	v = calloc(n, sizeof(*v));
	if (!v)
		abort();
	for (i = 0; i < n; i++)
		v[i] = json_string_value(json_array_get(arr, i));
	for (i = 0, j = 0; i < n; i++)
		if (v[i])
			v[j++] = v[i];
	qsort(v, j, sizeof(*v), cmp_str);
	out = json_array();
	for (i = 0; i < j; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			json_array_append_new(out, json_string(v[i]));
	free(v);
	json_array_clear(arr);
	json_array_extend(arr, out);
	json_decref(out);
}

json_t *api_lb_addresses(const json_t *ingress)
{
	json_t *set = json_array();
	size_t i;
	json_t *e;

	json_array_foreach(ingress, i, e)
	{
		const char *ip = k1s_json_str(e, "ip"), *host = k1s_json_str(e, "hostname");

		if (ip && *ip)
			json_array_append_new(set, json_string(ip));
		else if (host && *host)
			json_array_append_new(set, json_string(host));
	}
	api_str_set_sort(set);
	return set;
}

void api_str_join(struct api_sb *sb, const json_t *arr, const char *sep)
{
	size_t i;
	json_t *v;

	api_sb_add(sb, "");
	json_array_foreach(arr, i, v)
	{
		if (i > 0)
			api_sb_add(sb, sep);
		api_sb_add(sb, json_string_value(v));
	}
}

/* ---- labels and selectors ---- */

void api_fmt_labels(struct api_sb *sb, const json_t *map)
{
	json_t *keys = json_array();
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)map, k, v) json_array_append_new(keys, json_string(k));
	api_str_set_sort(keys);
	api_sb_add(sb, "");
	json_array_foreach(keys, i, v)
	{
		const char *key = json_string_value(v);

		if (i > 0)
			api_sb_add(sb, ",");
		api_sb_printf(sb, "%s=%s", key, json_string_value(json_object_get(map, key)) ?: "");
	}
	if (json_array_size(keys) == 0)
		api_sb_add(sb, "<none>");
	json_decref(keys);
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 bytes: a label
 * value (empty allowed) or the name part of a qualified name. */
static bool label_name_ok(const char *s, size_t n, bool empty_ok)
{
	if (n == 0)
		return empty_ok;
	if (n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

/* A DNS-1123 subdomain: lowercase labels joined with dots, <= 253 bytes. */
static bool dns_subdomain_ok(const char *s, size_t n)
{
	size_t i, start = 0;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (i == start || s[start] == '-' || s[i - 1] == '-')
				return false;
			start = i + 1;
			continue;
		}
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

static bool label_key_ok(const char *k)
{
	const char *slash = strchr(k, '/');

	if (!slash)
		return label_name_ok(k, strlen(k), false);
	if (strchr(slash + 1, '/'))
		return false;
	return dns_subdomain_ok(k, (size_t)(slash - k)) &&
	       label_name_ok(slash + 1, strlen(slash + 1), false);
}

enum sel_op { SEL_EQ, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_NOTEXISTS };

struct sel_req {
	const char *key;
	enum sel_op op;
	const json_t *values; /* array, for SEL_IN and SEL_NOTIN */
	const char *value;    /* SEL_EQ */
	size_t idx;           /* input order, to keep equal keys stable */
};

static int cmp_req(const void *a, const void *b)
{
	const struct sel_req *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int api_fmt_selector(struct api_sb *sb, const json_t *sel)
{
	const json_t *ml = json_object_get(sel, "matchLabels");
	const json_t *me = json_object_get(sel, "matchExpressions");
	size_t n = json_object_size(ml) + json_array_size(me), i = 0, j;
	struct sel_req *reqs;
	const char *k;
	json_t *v;
	int rc = 0;

	api_sb_add(sb, "");
	if (!json_is_object(sel) || n == 0)
		return 0;
	reqs = calloc(n, sizeof(*reqs));
	if (!reqs)
		abort();
	json_object_foreach((json_t *)ml, k, v)
	{
		reqs[i] = (struct sel_req){
		    .key = k, .op = SEL_EQ, .value = json_string_value(v), .idx = i};
		if (!label_key_ok(k) || !json_is_string(v) ||
		    !label_name_ok(reqs[i].value, strlen(reqs[i].value), true))
			rc = -EINVAL;
		i++;
	}
	json_array_foreach(me, j, v)
	{
		const char *key = k1s_json_str(v, "key") ?: "";
		const char *op = k1s_json_str(v, "operator") ?: "";
		const json_t *vals = json_object_get(v, "values");
		size_t nv = json_array_size(vals), x;
		json_t *e;

		reqs[i] = (struct sel_req){.key = key, .values = vals, .idx = i};
		if (strcmp(op, "In") == 0)
			reqs[i].op = SEL_IN;
		else if (strcmp(op, "NotIn") == 0)
			reqs[i].op = SEL_NOTIN;
		else if (strcmp(op, "Exists") == 0)
			reqs[i].op = SEL_EXISTS;
		else if (strcmp(op, "DoesNotExist") == 0)
			reqs[i].op = SEL_NOTEXISTS;
		else
			rc = -EINVAL;
		/* labels.NewRequirement: set operators need values, the
		 * existence operators take none. */
		if ((reqs[i].op == SEL_IN || reqs[i].op == SEL_NOTIN) && nv == 0)
			rc = -EINVAL;
		if ((reqs[i].op == SEL_EXISTS || reqs[i].op == SEL_NOTEXISTS) && nv != 0)
			rc = -EINVAL;
		if (!label_key_ok(key))
			rc = -EINVAL;
		json_array_foreach(vals, x, e) if (!json_is_string(e) ||
		                                   !label_name_ok(json_string_value(e),
		                                                  json_string_length(e), true)) rc =
		    -EINVAL;
		i++;
	}
	if (rc < 0) {
		free(reqs);
		return rc;
	}
	qsort(reqs, n, sizeof(*reqs), cmp_req);
	for (i = 0; i < n; i++) {
		struct sel_req *r = &reqs[i];

		if (i > 0)
			api_sb_add(sb, ",");
		switch (r->op) {
		case SEL_EQ:
			api_sb_printf(sb, "%s=%s", r->key, r->value);
			break;
		case SEL_EXISTS:
			api_sb_add(sb, r->key);
			break;
		case SEL_NOTEXISTS:
			api_sb_printf(sb, "!%s", r->key);
			break;
		case SEL_IN:
		case SEL_NOTIN: {
			/* Values print sorted; duplicates are kept. */
			size_t nv = json_array_size(r->values);
			const char **vs = calloc(nv, sizeof(*vs));

			if (!vs)
				abort();
			for (j = 0; j < nv; j++)
				vs[j] = json_string_value(json_array_get(r->values, j));
			qsort(vs, nv, sizeof(*vs), cmp_str);
			api_sb_printf(sb, "%s %s (", r->key, r->op == SEL_IN ? "in" : "notin");
			for (j = 0; j < nv; j++) {
				if (j > 0)
					api_sb_add(sb, ",");
				api_sb_add(sb, vs[j]);
			}
			api_sb_add(sb, ")");
			free(vs);
			break;
		}
		}
	}
	free(reqs);
	return 0;
}

/* ---- the Table ---- */

static const struct api_tcol generic_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Age", "string", "", api_tdoc_created, 0},
};

static void generic_row(const json_t *obj, time_t now, json_t *cells, json_t *row)
{
	api_cell_str(cells, k1s_json_str(obj, "metadata.name"));
	api_cell_age(cells, obj, "metadata.creationTimestamp", now);
}

static const struct api_tprinter generic_printer = API_TPRINTER("", "", generic_cols, generic_row);

static const struct api_tprinter *printer_find(const struct k1s_resource *r)
{
	static const struct api_tprinter *const lists[] = {api_tprinters_core, api_tprinters_apps,
							   api_tprinters_auth, api_tprinters_cm};

	if (!r)
		return &generic_printer;
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
		for (const struct api_tprinter *p = lists[l]; p->resource; p++)
			if (strcmp(p->group, r->group) == 0 &&
			    strcmp(p->resource, r->resource) == 0)
				return p;
	return &generic_printer;
}

static json_t *columns(const struct api_tprinter *p)
{
	json_t *cols = json_array();

	for (size_t i = 0; i < p->ncols; i++) {
		const struct api_tcol *c = &p->cols[i];

		json_array_append_new(cols,
		                      json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", c->name, "type",
		                                c->type, "format", c->format, "description",
		                                c->desc, "priority", c->priority));
	}
	return cols;
}

static json_t *row_object(const json_t *obj, enum api_include include)
{
	json_t *md;

	switch (include) {
	case API_INCLUDE_OBJECT:
		return json_deep_copy(obj);
	case API_INCLUDE_METADATA:
		md = json_object_get(obj, "metadata");
		return json_pack("{s:s,s:s,s:o}", "kind", "PartialObjectMetadata", "apiVersion",
		                 "meta.k8s.io/v1", "metadata",
		                 json_is_object(md) ? json_deep_copy(md) : json_object());
	case API_INCLUDE_NONE:
		break;
	}
	return NULL;
}

json_t *api_table(const struct k1s_resource *r, const json_t *objs, bool with_columns,
                  enum api_include include, time_t now)
{
	const struct api_tprinter *p = printer_find(r);
	json_t *t = json_pack("{s:s,s:s,s:{}}", "kind", "Table", "apiVersion", "meta.k8s.io/v1",
	                      "metadata");
	json_t *rows = json_array();
	json_t *o, *ro;
	size_t i;

	if (with_columns)
		json_object_set_new(t, "columnDefinitions", columns(p));
	json_array_foreach(objs, i, o)
	{
		json_t *row = json_object();
		json_t *cells = json_array();

		json_object_set(row, "cells", cells);
		p->row(o, now, cells, row);
		json_decref(cells);
		ro = row_object(o, include);
		if (ro)
			json_object_set_new(row, "object", ro);
		json_array_append_new(rows, row);
	}
	json_object_set_new(t, "rows", rows);
	return t;
}
