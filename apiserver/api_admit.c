/* Admission: kube-apiserver's defaulting, validation and allocation for
 * the kinds k1s serves, with its messages word for word (kubectl prints
 * them). The per-kind rules live in api_admit_svc.c, api_admit_pod.c,
 * api_admit_netpol.c and api_admit_misc.c; this file holds the entry
 * points and the checks that every kind shares (k8s.io/apimachinery/pkg/util/validation and
 * pkg/api/validation/objectmeta.go). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "api_admit_int.h"
#include "ctrl_alloc.h"
#include "k1s_err.h"
#include "k1s_log.h"
#include "k1s_names.h"

#define DEFAULT_SERVICE_CIDR "10.96.0.0/12"
#define DEFAULT_NODE_PORT_MIN 30000
#define DEFAULT_NODE_PORT_MAX 32767
/* apimachinery's TotalAnnotationSizeLimitB. */
#define ANNOTATIONS_MAX_BYTES (256 * 1024)

/* ---- entry points ---- */

struct api_admit *api_admit_new(struct st *st, const struct api_config *cfg)
{
	struct api_admit *adm = calloc(1, sizeof(*adm));
	const char *cidr = cfg && cfg->service_cidr ? cfg->service_cidr : DEFAULT_SERVICE_CIDR;
	unsigned min = cfg && cfg->node_port_min ? cfg->node_port_min : DEFAULT_NODE_PORT_MIN;
	unsigned max = cfg && cfg->node_port_max ? cfg->node_port_max : DEFAULT_NODE_PORT_MAX;

	if (!adm)
		return NULL;
	adm->st = st;
	adm->ips = ctrl_ipalloc_new(cidr);
	adm->ports = ctrl_portalloc_new(min, max);
	if (!adm->ips || !adm->ports) {
		k1s_err("api", "admission: bad service CIDR %s or node-port range %u-%u", cidr,
			min, max);
		api_admit_free(adm);
		return NULL;
	}
	snprintf(adm->port_range, sizeof(adm->port_range), "%u-%u", min, max);
	if (st && adm_service_seed(adm) < 0) {
		api_admit_free(adm);
		return NULL;
	}
	return adm;
}

void api_admit_free(struct api_admit *adm)
{
	if (!adm)
		return;
	ctrl_ipalloc_free(adm->ips);
	ctrl_portalloc_free(adm->ports);
	free(adm);
}

static int admit_kind(struct adm_req *q, json_t *obj)
{
	const char *kind = q->r->kind;

	if (strcmp(kind, "Service") == 0)
		return adm_service(q, obj);
	if (strcmp(kind, "Pod") == 0)
		return adm_pod(q, obj);
	if (strcmp(kind, "Deployment") == 0)
		return adm_deployment(q, obj);
	if (strcmp(kind, "ReplicaSet") == 0)
		return adm_replicaset(q, obj);
	if (strcmp(kind, "Job") == 0)
		return adm_job(q, obj);
	if (strcmp(kind, "Namespace") == 0)
		return adm_namespace(q, obj);
	if (strcmp(kind, "Secret") == 0)
		return adm_secret(q, obj);
	if (strcmp(kind, "ConfigMap") == 0)
		return adm_configmap(q, obj);
	if (strcmp(kind, "Endpoints") == 0)
		return adm_endpoints(q, obj);
	if (strcmp(kind, "EndpointSlice") == 0)
		return adm_endpointslice(q, obj);
	if (strcmp(kind, "NetworkPolicy") == 0)
		return adm_networkpolicy(q, obj);
	if (strcmp(kind, "Ingress") == 0)
		return adm_ingress(q, obj);
	if (strcmp(kind, "IngressClass") == 0)
		return adm_ingressclass(q, obj);
	if (strcmp(q->r->group, "cert-manager.io") == 0)
		return adm_cm(q, obj);
	return adm_generic(q, obj, ADM_NAME_SUBDOMAIN);
}

static int admit(struct api_admit *adm, const struct k1s_resource *r, const json_t *old,
		 json_t *obj, json_t **status)
{
	const char *name = k1s_json_str(obj, "metadata.name");
	struct adm_req q = {adm, r, old, name ? name : "", json_array(), NULL, 0};
	int err;

	*status = NULL;
	if (!json_is_object(obj)) {
		json_decref(q.causes);
		*status = api_status(400, "BadRequest", "the body of the request is not an object",
				     NULL);
		return -EINVAL;
	}
	err = admit_kind(&q, obj);
	if (q.status) {
		json_decref(q.causes);
		*status = q.status;
		return q.err ? q.err : -EINVAL;
	}
	if (json_array_size(q.causes) > 0) {
		*status = api_status_invalid(r, q.name, q.causes);
		return K1S_EINVALID;
	}
	json_decref(q.causes);
	return err;
}

int api_admit_create(struct api_admit *adm, const struct k1s_resource *r, json_t *obj,
		     json_t **status)
{
	return admit(adm, r, NULL, obj, status);
}

int api_admit_update(struct api_admit *adm, const struct k1s_resource *r, const json_t *old,
		     json_t *obj, json_t **status)
{
	return admit(adm, r, old, obj, status);
}

void api_admit_commit(struct api_admit *adm, const struct k1s_resource *r, const json_t *old,
		      const json_t *obj)
{
	if (adm && r && strcmp(r->kind, "Service") == 0 && !*r->group)
		adm_service_commit(adm, old, obj);
}

/* ---- causes ---- */

static void cause(struct adm_req *q, const char *reason, const char *field, const char *msg)
{
	json_array_append_new(q->causes, json_pack("{s:s,s:s,s:s}", "reason", reason, "message",
						   msg, "field", field));
}

static void cause_fmt(struct adm_req *q, const char *reason, const char *field, const char *head,
		      const char *raw, const char *detail)
{
	struct adm_buf b = {0};

	adm_buf_printf(&b, "%s", head);
	if (raw)
		adm_buf_printf(&b, ": %s", raw);
	if (detail && *detail)
		adm_buf_printf(&b, ": %s", detail);
	cause(q, reason, field, b.p);
	adm_buf_free(&b);
}

void adm_invalid_raw(struct adm_req *q, const char *field, const char *raw, const char *detail)
{
	cause_fmt(q, "FieldValueInvalid", field, "Invalid value", raw, detail);
}

void adm_invalid_str(struct adm_req *q, const char *field, const char *value, const char *detail)
{
	struct adm_buf b = {0};

	adm_buf_quote(&b, value);
	adm_invalid_raw(q, field, b.p, detail);
	adm_buf_free(&b);
}

void adm_invalid_int(struct adm_req *q, const char *field, long long value, const char *detail)
{
	char raw[32];

	snprintf(raw, sizeof(raw), "%lld", value);
	adm_invalid_raw(q, field, raw, detail);
}

void adm_required(struct adm_req *q, const char *field, const char *detail)
{
	cause_fmt(q, "FieldValueRequired", field, "Required value", NULL, detail);
}

void adm_forbidden(struct adm_req *q, const char *field, const char *detail)
{
	cause_fmt(q, "FieldValueForbidden", field, "Forbidden", NULL, detail);
}

void adm_duplicate_raw(struct adm_req *q, const char *field, const char *raw)
{
	cause_fmt(q, "FieldValueDuplicate", field, "Duplicate value", raw, NULL);
}

void adm_duplicate_str(struct adm_req *q, const char *field, const char *value)
{
	struct adm_buf b = {0};

	adm_buf_quote(&b, value);
	adm_duplicate_raw(q, field, b.p);
	adm_buf_free(&b);
}

void adm_unsupported(struct adm_req *q, const char *field, const char *value,
		     const char *const *valid)
{
	struct adm_buf v = {0}, d = {0};
	size_t i;

	adm_buf_quote(&v, value);
	adm_buf_printf(&d, "supported values: ");
	for (i = 0; valid[i]; i++) {
		if (i)
			adm_buf_printf(&d, ", ");
		adm_buf_quote(&d, valid[i]);
	}
	cause_fmt(q, "FieldValueNotSupported", field, "Unsupported value", v.p, d.p);
	adm_buf_free(&v);
	adm_buf_free(&d);
}

void adm_fail_causes(struct adm_req *q)
{
	json_t *causes;

	if (q->status || json_array_size(q->causes) == 0)
		return;
	causes = json_copy(q->causes);
	json_array_clear(q->causes);
	q->status = api_status_invalid(q->r, q->name, causes);
	q->err = K1S_EINVALID;
}

void adm_fail_internal(struct adm_req *q, const char *msg)
{
	struct adm_buf b = {0};

	if (q->status)
		return;
	adm_buf_printf(&b, "Internal error occurred: %s", msg);
	q->status = api_status(500, "InternalError", b.p,
			       json_pack("{s:[{s:s}]}", "causes", "message", b.p));
	q->err = -ENOSPC;
	adm_buf_free(&b);
}

/* ---- Go value formatting ---- */

void adm_buf_printf(struct adm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 128) + (size_t)n;
		char *p = realloc(b->p, cap);

		if (!p)
			return;
		b->p = p;
		b->cap = cap;
	}
}

void adm_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void adm_buf_free(struct adm_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* strconv.Quote for the strings an API object holds: printable UTF-8 is
 * kept, the rest escaped. */
void adm_buf_quote(struct adm_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	adm_buf_printf(b, "\"");
	for (; *p; p++) {
		switch (*p) {
		case '"':
			adm_buf_printf(b, "\\\"");
			break;
		case '\\':
			adm_buf_printf(b, "\\\\");
			break;
		case '\n':
			adm_buf_printf(b, "\\n");
			break;
		case '\t':
			adm_buf_printf(b, "\\t");
			break;
		case '\r':
			adm_buf_printf(b, "\\r");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				adm_buf_printf(b, "\\x%02x", *p);
			else
				adm_buf_printf(b, "%c", *p);
		}
	}
	adm_buf_printf(b, "\"");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* fmt's %#v of a map[string]string, keys sorted as fmt sorts them. */
void adm_buf_strmap(struct adm_buf *b, const json_t *map)
{
	const char **keys;
	const char *k;
	json_t *v;
	size_t n = 0, i;

	if (!json_is_object(map)) {
		adm_buf_printf(b, "map[string]string(nil)");
		return;
	}
	keys = calloc(json_object_size(map) + 1, sizeof(*keys));
	if (!keys)
		return;
	json_object_foreach((json_t *)map, k, v)
		keys[n++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	adm_buf_printf(b, "map[string]string{");
	for (i = 0; i < n; i++) {
		if (i)
			adm_buf_printf(b, ", ");
		adm_buf_quote(b, keys[i]);
		adm_buf_printf(b, ":");
		adm_buf_quote(b, json_string_value(json_object_get(map, keys[i])));
	}
	adm_buf_printf(b, "}");
	free(keys);
}

void adm_buf_strslice(struct adm_buf *b, const json_t *arr)
{
	json_t *v;
	size_t i;

	if (!json_is_array(arr)) {
		adm_buf_printf(b, "[]string(nil)");
		return;
	}
	adm_buf_printf(b, "[]string{");
	json_array_foreach(arr, i, v) {
		if (i)
			adm_buf_printf(b, ", ");
		adm_buf_quote(b, json_string_value(v));
	}
	adm_buf_printf(b, "}");
}

/* A *metav1.LabelSelector as field.ErrorBody prints it: dereferenced, then
 * %#v (the String method is on the pointer, so it is not used). */
void adm_buf_selector(struct adm_buf *b, const json_t *ls)
{
	const json_t *exprs = json_object_get(ls, "matchExpressions");
	json_t *e;
	size_t i;

	if (!json_is_object(ls)) {
		adm_buf_printf(b, "null");
		return;
	}
	adm_buf_printf(b, "v1.LabelSelector{MatchLabels:");
	adm_buf_strmap(b, json_object_get(ls, "matchLabels"));
	adm_buf_printf(b, ", MatchExpressions:");
	if (!json_is_array(exprs)) {
		adm_buf_printf(b, "[]v1.LabelSelectorRequirement(nil)}");
		return;
	}
	adm_buf_printf(b, "[]v1.LabelSelectorRequirement{");
	json_array_foreach(exprs, i, e) {
		if (i)
			adm_buf_printf(b, ", ");
		adm_buf_printf(b, "v1.LabelSelectorRequirement{Key:");
		adm_buf_quote(b, adm_str(e, "key"));
		adm_buf_printf(b, ", Operator:");
		adm_buf_quote(b, adm_str(e, "operator"));
		adm_buf_printf(b, ", Values:");
		adm_buf_strslice(b, json_object_get(e, "values"));
		adm_buf_printf(b, "}");
	}
	adm_buf_printf(b, "}}");
}

/* ---- string checks ---- */

static void msg_add(struct adm_msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msg_add(struct adm_msgs *m, const char *fmt, ...)
{
	va_list ap;

	if (m->n >= ADM_MSG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(m->m[m->n++], ADM_MSG_LEN, fmt, ap);
	va_end(ap);
}

/* validation.RegexError: `msg (e.g. 'a',  or 'b', regex used for
 * validation is 'fmt')` (the double space is kube-apiserver's). */
static void msg_regex(struct adm_msgs *m, const char *prefix, const char *msg, const char *re,
		      const char *const *examples)
{
	char buf[ADM_MSG_LEN];
	size_t len = 0, i;

	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s (e.g. ", prefix, msg);
	for (i = 0; examples[i] && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s'%s', ", i ? " or " : "",
					examples[i]);
	if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, "regex used for validation is '%s')", re);
	msg_add(m, "%s", buf);
}

static const char *const label_ex[] = {"my-name", "123-abc", NULL};
static const char *const subdomain_ex[] = {"example.com", NULL};
static const char *const dns1035_ex[] = {"my-name", "abc-123", NULL};
static const char *const qname_ex[] = {"MyName", "my.name", "123-abc", NULL};
static const char *const lvalue_ex[] = {"MyValue", "my_value", "12345", NULL};
static const char *const ckey_ex[] = {"key.name", "KEY_NAME", "key-name", NULL};

#define LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define SUBDOMAIN_FMT LABEL_FMT "(\\." LABEL_FMT ")*"
#define LABEL_MSG                                                                                \
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " \
	"and must start and end with an alphanumeric character"
#define SUBDOMAIN_MSG                                                                            \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
	"or '.', and must start and end with an alphanumeric character"
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_MSG                                                                               \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with " \
	"an alphanumeric character"

int adm_dns1123_label(const char *s, struct adm_msgs *m)
{
	m->n = 0;
	if (strlen(s) > 63)
		msg_add(m, "must be no more than 63 characters");
	if (!k1s_is_dns1123_label(s, strlen(s))) {
		if (k1s_is_dns1123_subdomain(s, strlen(s)))
			msg_add(m, "must not contain dots");
		else
			msg_regex(m, "", LABEL_MSG, LABEL_FMT, label_ex);
	}
	return m->n;
}

static void subdomain_msgs(const char *s, struct adm_msgs *m, const char *prefix)
{
	if (strlen(s) > 253)
		msg_add(m, "%smust be no more than 253 characters", prefix);
	if (!k1s_is_dns1123_subdomain(s, strlen(s)))
		msg_regex(m, prefix, SUBDOMAIN_MSG, SUBDOMAIN_FMT, subdomain_ex);
}

int adm_dns1123_subdomain(const char *s, struct adm_msgs *m)
{
	m->n = 0;
	subdomain_msgs(s, m, "");
	return m->n;
}

int adm_dns1035_label(const char *s, struct adm_msgs *m)
{
	size_t n = strlen(s);

	m->n = 0;
	if (n > 63)
		msg_add(m, "must be no more than 63 characters");
	if (!k1s_is_dns1123_label(s, n) || !(s[0] >= 'a' && s[0] <= 'z'))
		msg_regex(m, "",
			  "a DNS-1035 label must consist of lower case alphanumeric characters or "
			  "'-', start with an alphabetic character, and end with an alphanumeric "
			  "character",
			  "[a-z]([-a-z0-9]*[a-z0-9])?", dns1035_ex);
	return m->n;
}

int adm_qualified_name(const char *s, struct adm_msgs *m)
{
	const char *slash = strchr(s, '/');
	const char *name = s;

	m->n = 0;
	if (slash && strchr(slash + 1, '/')) {
		char buf[ADM_MSG_LEN];
		struct adm_msgs t = {0};

		msg_regex(&t, "a qualified name ", QNAME_MSG, QNAME_FMT, qname_ex);
		adm_fmt(buf, sizeof(buf),
			 "%s with an optional DNS subdomain prefix and '/' (e.g. "
			 "'example.com/MyName')",
			 t.m[0]);
		msg_add(m, "%s", buf);
		return m->n;
	}
	if (slash) {
		char prefix[512];
		size_t n = (size_t)(slash - s);

		name = slash + 1;
		if (n == 0) {
			msg_add(m, "prefix part must be non-empty");
		} else {
			if (n >= sizeof(prefix))
				n = sizeof(prefix) - 1;
			memcpy(prefix, s, n);
			prefix[n] = '\0';
			subdomain_msgs(prefix, m, "prefix part ");
		}
	}
	if (!*name)
		msg_add(m, "name part must be non-empty");
	else if (strlen(name) > 63)
		msg_add(m, "name part must be no more than 63 characters");
	if (!k1s_is_qualified_name(name, strlen(name)))
		msg_regex(m, "name part ", QNAME_MSG, QNAME_FMT, qname_ex);
	return m->n;
}

int adm_label_value(const char *s, struct adm_msgs *m)
{
	m->n = 0;
	if (strlen(s) > 63)
		msg_add(m, "must be no more than 63 characters");
	if (*s && !k1s_is_qualified_name(s, strlen(s)))
		msg_regex(m, "",
			  "a valid label must be an empty string or consist of alphanumeric "
			  "characters, '-', '_' or '.', and must start and end with an alphanumeric "
			  "character",
			  "(" QNAME_FMT ")?", lvalue_ex);
	return m->n;
}

int adm_port_name(const char *s, struct adm_msgs *m)
{
	size_t n = strlen(s), i;
	bool charset = n > 0, letter = false;

	m->n = 0;
	if (n > 15)
		msg_add(m, "must be no more than 15 characters");
	for (i = 0; i < n; i++) {
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			charset = false;
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
	}
	if (!charset)
		msg_add(m, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
	if (!letter)
		msg_add(m, "must contain at least one letter (a-z)");
	if (strstr(s, "--"))
		msg_add(m, "must not contain consecutive hyphens");
	if (n > 0 && (s[0] == '-' || s[n - 1] == '-'))
		msg_add(m, "must not begin or end with a hyphen");
	return m->n;
}

int adm_config_key(const char *s, struct adm_msgs *m)
{
	size_t n = strlen(s);

	m->n = 0;
	if (n > 253)
		msg_add(m, "must be no more than 253 characters");
	if (!k1s_is_config_key(s, n))
		msg_regex(m, "",
			  "a valid config key must consist of alphanumeric characters, '-', '_' or "
			  "'.'",
			  "[-._a-zA-Z0-9]+", ckey_ex);
	if (strcmp(s, ".") == 0)
		msg_add(m, "must not be '.'");
	else if (strcmp(s, "..") == 0)
		msg_add(m, "must not be '..'");
	else if (strncmp(s, "..", 2) == 0)
		msg_add(m, "must not start with '..'");
	return m->n;
}

bool adm_valid_ipv4(const char *s)
{
	struct in_addr a;

	return s && inet_pton(AF_INET, s, &a) == 1;
}

bool adm_valid_ip(const char *s)
{
	struct in6_addr a;

	return adm_valid_ipv4(s) || (s && inet_pton(AF_INET6, s, &a) == 1);
}

void adm_invalid_msgs(struct adm_req *q, const char *field, const char *value,
		      const struct adm_msgs *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		adm_invalid_str(q, field, value, m->m[i]);
}

/* ---- object metadata ---- */

static int name_msgs(enum adm_name rule, const char *s, struct adm_msgs *m)
{
	switch (rule) {
	case ADM_NAME_LABEL:
		return adm_dns1123_label(s, m);
	case ADM_NAME_1035:
		return adm_dns1035_label(s, m);
	default:
		return adm_dns1123_subdomain(s, m);
	}
}

void adm_validate_labels(struct adm_req *q, const json_t *labels, const char *field)
{
	struct adm_msgs m;
	const char *k;
	json_t *v;

	if (!json_is_object(labels))
		return;
	json_object_foreach((json_t *)labels, k, v) {
		adm_qualified_name(k, &m);
		adm_invalid_msgs(q, field, k, &m);
		adm_label_value(json_string_value(v) ? json_string_value(v) : "", &m);
		adm_invalid_msgs(q, field, json_string_value(v) ? json_string_value(v) : "", &m);
	}
}

void adm_validate_annotations(struct adm_req *q, const json_t *ann, const char *field)
{
	struct adm_msgs m;
	size_t total = 0;
	const char *k;
	json_t *v;

	if (!json_is_object(ann))
		return;
	json_object_foreach((json_t *)ann, k, v) {
		char lower[512];
		size_t i;

		/* Annotation keys are qualified names, case aside. */
		for (i = 0; k[i] && i < sizeof(lower) - 1; i++)
			lower[i] = (char)tolower((unsigned char)k[i]);
		lower[i] = '\0';
		adm_qualified_name(lower, &m);
		adm_invalid_msgs(q, field, k, &m);
		total += strlen(k) + (json_string_value(v) ? json_string_length(v) : 0);
	}
	if (total > ANNOTATIONS_MAX_BYTES) {
		char msg[96];

		adm_fmt(msg, sizeof(msg), "Too long: may not be more than %d bytes",
			 ANNOTATIONS_MAX_BYTES);
		cause(q, "FieldValueTooLong", field, msg);
	}
}

void adm_validate_meta(struct adm_req *q, const json_t *obj, enum adm_name rule)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *name = adm_str(meta, "name");
	const char *gen = adm_str(meta, "generateName");
	struct adm_msgs m;

	if (*gen) {
		/* maskTrailingDash: a prefix may end in '-'. */
		char buf[512];
		size_t n = strlen(gen);

		adm_fmt(buf, sizeof(buf), "%s", gen);
		if (n > 1 && n < sizeof(buf) && gen[n - 1] == '-') {
			buf[n - 2] = 'a';
			buf[n - 1] = '\0';
		}
		name_msgs(rule, buf, &m);
		adm_invalid_msgs(q, "metadata.generateName", gen, &m);
	}
	if (!*name) {
		adm_required(q, "metadata.name", "name or generateName is required");
	} else {
		name_msgs(rule, name, &m);
		adm_invalid_msgs(q, "metadata.name", name, &m);
	}
	adm_validate_labels(q, json_object_get(meta, "labels"), "metadata.labels");
	adm_validate_annotations(q, json_object_get(meta, "annotations"), "metadata.annotations");
}

/* ---- label selectors ---- */

void adm_validate_selector(struct adm_req *q, const json_t *ls, const char *field)
{
	const json_t *exprs = json_object_get(ls, "matchExpressions");
	char f[512];
	json_t *e, *v;
	size_t i, j;

	if (!json_is_object(ls))
		return;
	adm_fmt(f, sizeof(f), "%s.matchLabels", field);
	adm_validate_labels(q, json_object_get(ls, "matchLabels"), f);
	json_array_foreach(exprs, i, e) {
		const char *op = adm_str(e, "operator");
		const json_t *vals = json_object_get(e, "values");
		size_t nvals = json_array_size(vals);
		struct adm_msgs m;

		if (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) {
			if (nvals == 0) {
				adm_fmt(f, sizeof(f), "%s.matchExpressions[%zu].values", field, i);
				adm_required(q, f,
					     "must be specified when `operator` is 'In' or 'NotIn'");
			}
		} else if (strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0) {
			if (nvals > 0) {
				adm_fmt(f, sizeof(f), "%s.matchExpressions[%zu].values", field, i);
				adm_forbidden(q, f,
					      "may not be specified when `operator` is 'Exists' or "
					      "'DoesNotExist'");
			}
		} else {
			adm_fmt(f, sizeof(f), "%s.matchExpressions[%zu].operator", field, i);
			adm_invalid_str(q, f, op, "not a valid selector operator");
		}
		adm_fmt(f, sizeof(f), "%s.matchExpressions[%zu].key", field, i);
		adm_qualified_name(adm_str(e, "key"), &m);
		adm_invalid_msgs(q, f, adm_str(e, "key"), &m);
		json_array_foreach(vals, j, v) {
			const char *s = json_string_value(v) ? json_string_value(v) : "";

			adm_fmt(f, sizeof(f), "%s.matchExpressions[%zu].values[%zu]", field, i, j);
			adm_label_value(s, &m);
			adm_invalid_msgs(q, f, s, &m);
		}
	}
}

static bool values_have(const json_t *vals, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(vals, i, v)
		if (json_string_value(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

bool adm_selector_matches(const json_t *ls, const json_t *labels)
{
	const json_t *ml = json_object_get(ls, "matchLabels");
	const char *k;
	json_t *v, *e;
	size_t i;

	json_object_foreach((json_t *)ml, k, v) {
		const char *have = json_string_value(json_object_get(labels, k));

		if (!have || !json_string_value(v) || strcmp(have, json_string_value(v)) != 0)
			return false;
	}
	json_array_foreach(json_object_get(ls, "matchExpressions"), i, e) {
		const char *op = adm_str(e, "operator");
		const char *have = json_string_value(json_object_get(labels, adm_str(e, "key")));
		const json_t *vals = json_object_get(e, "values");

		if (strcmp(op, "In") == 0 && !(have && values_have(vals, have)))
			return false;
		if (strcmp(op, "NotIn") == 0 && have && values_have(vals, have))
			return false;
		if (strcmp(op, "Exists") == 0 && !have)
			return false;
		if (strcmp(op, "DoesNotExist") == 0 && have)
			return false;
	}
	return true;
}

void adm_validate_port_num_or_name(struct adm_req *q, const json_t *v, const char *field)
{
	struct adm_msgs m;

	if (json_is_string(v)) {
		adm_port_name(json_string_value(v), &m);
		adm_invalid_msgs(q, field, json_string_value(v), &m);
	} else {
		long long p = json_integer_value(v);

		if (p < 1 || p > 65535)
			adm_invalid_int(q, field, p, "must be between 1 and 65535, inclusive");
	}
}

/* ---- JSON helpers ---- */

const char *adm_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

void adm_default_str(json_t *o, const char *key, const char *value)
{
	if (json_is_object(o) && !*adm_str(o, key))
		json_object_set_new(o, key, json_string(value));
}

void adm_default_int(json_t *o, const char *key, long long value)
{
	json_t *v = json_object_get(o, key);

	if (json_is_object(o) && (!v || json_is_null(v)))
		json_object_set_new(o, key, json_integer(value));
}

void adm_default_bool(json_t *o, const char *key, bool value)
{
	json_t *v = json_object_get(o, key);

	if (json_is_object(o) && (!v || json_is_null(v)))
		json_object_set_new(o, key, json_boolean(value));
}

long long adm_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

void adm_keep_status(const json_t *old, json_t *obj)
{
	json_t *st = json_object_get(old, "status");

	if (old && st && !json_object_get(obj, "status"))
		json_object_set_new(obj, "status", json_deep_copy(st));
}

int adm_generic(struct adm_req *q, json_t *obj, enum adm_name rule)
{
	adm_validate_meta(q, obj, rule);
	return 0;
}
