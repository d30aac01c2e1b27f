/* Query parameter values as kube-apiserver decodes them into its options
 * structs (ListOptions, DeleteOptions, PodLogOptions, ...): booleans,
 * integers with strconv's errors, and the checks of ValidateCreateOptions
 * and its siblings. No I/O: the fuzz target calls these directly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

/* k8s.io/apimachinery/pkg/runtime/conversion.go Convert_Slice_string_To_bool
 * (and meta/v1 Convert_Slice_string_To_Pointer_bool): absent, "0" or any
 * case of "false" is false; every other value, "" and "f" included, is
 * true. So no boolean parameter is ever invalid. */
bool api_query_bool(const char *v)
{
	return v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0;
}

/* Go's strconv.ParseBool, which responsewriters' isPrettyPrint uses. */
int api_query_go_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* The length of the UTF-8 sequence at s, or 0 if it is not a valid one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void api_go_quote(char *buf, size_t len, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0;

	if (!len)
		return;
#define PUT(...)                                                                                   \
	do {                                                                                       \
		int w_ = snprintf(buf + o, len - o, __VA_ARGS__);                                  \
		o = w_ < 0 || (size_t)w_ >= len - o ? len - 1 : o + (size_t)w_;                    \
	} while (0)
	PUT("\"");
	while (*s && o < len - 1) {
		size_t n = utf8_len(s);

		if (*s == '"' || *s == '\\')
			PUT("\\%c", *s);
		else if (*s == '\n')
			PUT("\\n");
		else if (*s == '\t')
			PUT("\\t");
		else if (*s == '\r')
			PUT("\\r");
		else if (*s == '\a')
			PUT("\\a");
		else if (*s == '\b')
			PUT("\\b");
		else if (*s == '\f')
			PUT("\\f");
		else if (*s == '\v')
			PUT("\\v");
		else if (n == 0 || *s < 0x20 || *s == 0x7f)
			PUT("\\x%02x", *s);
		else if (n > 1)
			PUT("%.*s", (int)n, (const char *)s);
		else
			PUT("%c", *s);
		s += n ? n : 1;
	}
	PUT("\"");
#undef PUT
}

int api_query_int64(const char *v, int64_t *out, char *err, size_t errlen)
{
	const char *p = v, *why = "invalid syntax";
	bool neg = false;
	uint64_t n = 0;
	char q[300];

	/* strconv.ParseInt(v, 10, 64): an optional sign, then decimal digits
	 * only; no spaces, no underscores (those need base 0). An overflow
	 * is reported as soon as it happens, before any later bad byte. */
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
			why = "value out of range";
			goto bad;
		}
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if ((!neg && n > (uint64_t)INT64_MAX) || (neg && n > (uint64_t)INT64_MAX + 1)) {
		why = "value out of range";
		goto bad;
	}
	*out = neg ? (int64_t)(0 - n) : (int64_t)n;
	return 0;
bad:
	api_go_quote(q, sizeof(q), v);
	snprintf(err, errlen, "strconv.ParseInt: parsing %s: %s", q, why);
	return -EINVAL;
}

/* One NotSupported cause, in field.ErrorBody's words. */
static void not_supported(json_t *causes, const char *field, const char *value,
                          const char *supported)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "Unsupported value: %s: supported values: %s", value, supported);
	json_array_append_new(causes, json_pack("{s:s,s:s,s:s}", "reason", "FieldValueNotSupported",
	                                        "message", msg, "field", field));
}

json_t *api_query_check_options(const struct api_options *o)
{
	json_t *causes = json_array(), *details;
	char msg[4096], val[1024];
	size_t n, i, len;

	/* meta/v1/validation: ValidatePatchOptions and ValidateDeleteOptions
	 * come first with their own fields, then ValidateDryRun and
	 * ValidateFieldValidation, as ValidateCreateOptions has them. */
	if (o->force_set)
		json_array_append_new(causes, json_pack("{s:s,s:s,s:s}", "reason",
		                                        "FieldValueForbidden", "message",
		                                        "Forbidden: may not be specified for "
		                                        "non-apply patch",
		                                        "field", "force"));
	if (o->policy && strcmp(o->policy, "Foreground") != 0 &&
	    strcmp(o->policy, "Background") != 0 && strcmp(o->policy, "Orphan") != 0) {
		api_go_quote(val, sizeof(val), o->policy);
		not_supported(causes, "propagationPolicy", val,
		              "\"Foreground\", \"Background\", \"Orphan\", \"nil\"");
	}
	for (i = 0; i < o->ndry && strcmp(o->dry[i], "All") == 0; i++)
		;
	if (i < o->ndry) {
		/* The value is a []string, which the error prints with %#v. */
		len = (size_t)snprintf(val, sizeof(val), "[]string{");
		for (i = 0; i < o->ndry && len < sizeof(val); i++) {
			char q[256];

			api_go_quote(q, sizeof(q), o->dry[i]);
			len += (size_t)snprintf(val + len, sizeof(val) - len, "%s%s", i ? ", " : "",
			                        q);
		}
		if (len < sizeof(val))
			snprintf(val + len, sizeof(val) - len, "}");
		not_supported(causes, "dryRun", val, "\"All\"");
	}
	if (o->field_validation && *o->field_validation &&
	    strcmp(o->field_validation, "Ignore") != 0 &&
	    strcmp(o->field_validation, "Warn") != 0 &&
	    strcmp(o->field_validation, "Strict") != 0) {
		api_go_quote(val, sizeof(val), o->field_validation);
		not_supported(causes, "fieldValidation", val,
		              "\"\", \"Ignore\", \"Strict\", \"Warn\"");
	}
	n = json_array_size(causes);
	if (!n) {
		json_decref(causes);
		return NULL;
	}
	/* errors.NewInvalid(schema.GroupKind{Group: "meta.k8s.io", Kind: ...}, "",
	 * errs): the aggregate prints one error bare, several in brackets. */
	len = (size_t)snprintf(msg, sizeof(msg), "%s.meta.k8s.io \"\" is invalid: %s", o->kind,
	                       n > 1 ? "[" : "");
	for (i = 0; i < n && len < sizeof(msg); i++) {
		json_t *c = json_array_get(causes, i);

		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s: %s", i ? ", " : "",
		                        json_string_value(json_object_get(c, "field")),
		                        json_string_value(json_object_get(c, "message")));
	}
	if (n > 1 && len < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - len, "]");
	/* StatusDetails.name is omitempty: an options kind has none. */
	details =
	    json_pack("{s:s,s:s,s:o}", "group", "meta.k8s.io", "kind", o->kind, "causes", causes);
	return api_status(422, "Invalid", msg, details);
}
