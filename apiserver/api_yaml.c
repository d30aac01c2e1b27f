/* YAML request bodies into jansson values. libyaml parses; the scalar
 * resolution is Kubernetes' (sigs.k8s.io/yaml over go-yaml v2, YAML 1.1):
 * plain scalars may be null, booleans (true/false/yes/no/on/off), integers
 * or floats; quoted ones are strings. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "api_int.h"

/* Deeper documents are not Kubernetes objects; the cap keeps recursion bounded. */
#define YAML_MAX_DEPTH 64

struct yctx {
	yaml_parser_t parser;
	char *err;
	size_t errlen;
};

static json_t *node(struct yctx *y, yaml_event_t *ev, int depth);

static bool is_one_of(const char *s, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static json_t *plain_scalar(const char *s, size_t len)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
					    "on", "On", "ON", "y", "Y", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", "no", "No", "NO",
					     "off", "Off", "OFF", "n", "N", NULL};
	char *end;

	if (strlen(s) != len)
		return json_stringn(s, len); /* an embedded NUL: keep it a string */
	if (is_one_of(s, nulls))
		return json_null();
	if (is_one_of(s, trues))
		return json_true();
	if (is_one_of(s, falses))
		return json_false();
	if ((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+') && s[1])) {
		const char *digits = s;
		int base = 10;
		long long v;

		if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0o", 2) == 0) {
			base = s[1] == 'x' ? 16 : 8;
			digits = s + 2;
		}
		errno = 0;
		v = strtoll(digits, &end, base);
		if (*end == '\0' && errno == 0 && end != digits && *digits != ' ' &&
		    *digits != '+' && (*digits != '-' || base == 10))
			return json_integer(v);
		double d = strtod(s, &end);

		if (*end == '\0' && isfinite(d) && !strchr(s, 'x') && !strchr(s, 'X') &&
		    !strchr(s, 'n') && !strchr(s, 'N') && !strchr(s, 'i') && !strchr(s, 'I'))
			return json_real(d);
	}
	if (strcasecmp(s, ".inf") == 0 || strcasecmp(s, ".nan") == 0)
		return json_string(s);
	return json_stringn(s, len);
}

static int next(struct yctx *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->parser, ev)) {
		snprintf(y->err, y->errlen, "yaml: line %zu: %s",
			 y->parser.problem_mark.line + 1,
			 y->parser.problem ? y->parser.problem : "syntax error");
		return -EINVAL;
	}
	return 0;
}

static json_t *mapping(struct yctx *y, int depth)
{
	json_t *o = json_object();
	yaml_event_t ev;

	for (;;) {
		json_t *k, *v;

		if (next(y, &ev) < 0)
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return o;
		}
		k = node(y, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!k)
			goto fail;
		if (json_is_object(k) || json_is_array(k)) {
			/* As sigs.k8s.io/yaml: a key may be a scalar, not a
			 * collection (stringifying nested ones at every level
			 * is also quadratic in the depth). */
			snprintf(y->err, y->errlen, "yaml: line %zu: mapping key must be a scalar",
				 y->parser.mark.line + 1);
			json_decref(k);
			goto fail;
		}
		if (!json_is_string(k)) {
			/* Kubernetes objects have string keys; scalars are stringified. */
			char *s = json_dumps(k, JSON_ENCODE_ANY);

			json_decref(k);
			k = json_string(s ? s : "");
			free(s);
		}
		if (next(y, &ev) < 0) {
			json_decref(k);
			goto fail;
		}
		v = node(y, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!v) {
			json_decref(k);
			goto fail;
		}
		if (json_object_get(o, json_string_value(k))) {
			snprintf(y->err, y->errlen, "yaml: mapping key \"%s\" already defined",
				 json_string_value(k));
			json_decref(k);
			json_decref(v);
			goto fail;
		}
		json_object_set_new(o, json_string_value(k), v);
		json_decref(k);
	}
fail:
	json_decref(o);
	return NULL;
}

static json_t *sequence(struct yctx *y, int depth)
{
	json_t *a = json_array();
	yaml_event_t ev;

	for (;;) {
		json_t *v;

		if (next(y, &ev) < 0)
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return a;
		}
		v = node(y, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!v)
			goto fail;
		json_array_append_new(a, v);
	}
fail:
	json_decref(a);
	return NULL;
}

static json_t *node(struct yctx *y, yaml_event_t *ev, int depth)
{
	if (depth > YAML_MAX_DEPTH) {
		snprintf(y->err, y->errlen, "yaml: document nested too deeply");
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		const char *s = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;
		const char *tag = (const char *)ev->data.scalar.tag;

		if (tag && strcmp(tag, "tag:yaml.org,2002:str") == 0)
			return json_stringn(s, len);
		if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return json_stringn(s, len);
		return plain_scalar(s, len);
	}
	case YAML_MAPPING_START_EVENT:
		return mapping(y, depth);
	case YAML_SEQUENCE_START_EVENT:
		return sequence(y, depth);
	case YAML_ALIAS_EVENT:
		/* Aliases would let a small body expand without bound. */
		snprintf(y->err, y->errlen, "yaml: anchors and aliases are not supported");
		return NULL;
	default:
		snprintf(y->err, y->errlen, "yaml: unexpected event");
		return NULL;
	}
}

int api_yaml_decode(const char *buf, size_t len, json_t **out, char *err, size_t errlen)
{
	struct yctx y = {.err = err, .errlen = errlen};
	yaml_event_t ev;
	json_t *doc = NULL;
	int ret = -EINVAL;

	*out = NULL;
	snprintf(err, errlen, "yaml: empty document");
	if (!yaml_parser_initialize(&y.parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)buf, len);
	for (;;) {
		if (next(&y, &ev) < 0)
			goto out;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			if (doc) {
				snprintf(err, errlen, "yaml: a request body holds one document");
				goto out;
			}
			if (next(&y, &ev) < 0)
				goto out;
			if (ev.type == YAML_DOCUMENT_END_EVENT) {
				yaml_event_delete(&ev);
				continue;
			}
			doc = node(&y, &ev, 0);
			yaml_event_delete(&ev);
			if (!doc)
				goto out;
			continue;
		}
		yaml_event_delete(&ev);
	}
	if (doc) {
		*out = doc;
		doc = NULL;
		ret = 0;
	}
out:
	json_decref(doc);
	yaml_parser_delete(&y.parser);
	return ret;
}
