/* Label and field selectors with the grammar, matching rules and error
 * words of k8s.io/apimachinery (labels.Parse, labels.NewRequirement,
 * metav1.LabelSelectorAsSelector, fields.ParseSelector), so that kubectl
 * gets from k1s the answers and messages kube-apiserver would give. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_json.h"
#include "k1s_names.h"
#include "k1s_sel.h"

/* Longest selector accepted. Query strings are far shorter; the cap bounds
 * the work and memory one request can cause. */
#define SEL_MAX_LEN 65536

enum lsel_op {
	LSEL_IN,    /* in, =, == */
	LSEL_NOTIN, /* notin, != */
	LSEL_EXISTS,
	LSEL_NOTEXIST,
	LSEL_GT,
	LSEL_LT,
};

struct lsel_req {
	char *key;
	enum lsel_op op;
	char **vals;
	size_t nvals;
	long long num; /* the operand of gt and lt */
};

struct k1s_lsel {
	bool nothing; /* a service without selector: matches no object */
	struct lsel_req *reqs;
	size_t nreqs;
};

struct fsel_term {
	char *path; /* where the value is read in the object */
	char *val;
	bool neg; /* != */
};

struct k1s_fsel {
	struct fsel_term *terms;
	size_t nterms;
};

/* A string of bytes that is not NUL-terminated: a piece of the input. */
struct slice {
	const char *p;
	size_t n;
};

/*
 * A growing string for error messages. Messages quote the input, which is
 * capped, so their length is bounded too. After an allocation failure the
 * buffer stops growing and `oom` tells the caller.
 */
struct sb {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_putn(struct sb *b, const char *p, size_t n)
{
	if (b->oom || n == 0)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *b, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int n;

	/* Only used for short, formatted numbers; longer text goes through
	 * sb_puts so nothing is cut. */
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_putn(b, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void sb_free(struct sb *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

static const char *sb_str(const struct sb *b)
{
	return b->s ? b->s : "";
}

/* Decodes one UTF-8 sequence; returns its length and sets *rune, or 0 when
 * the bytes are not valid UTF-8. */
static size_t utf8_dec(const unsigned char *p, size_t n, uint32_t *rune)
{
	uint32_t r, min;
	size_t len;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*rune = p[0];
		return 1;
	} else if ((p[0] & 0xe0) == 0xc0) {
		r = p[0] & 0x1f;
		len = 2;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		r = p[0] & 0x0f;
		len = 3;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		r = p[0] & 0x07;
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		r = (r << 6) | (p[i] & 0x3f);
	}
	if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		return 0;
	*rune = r;
	return len;
}

/* Appends a string quoted as Go's %q does, for the characters that occur in
 * practice: escapes for quotes, backslashes and control characters, \x for
 * bytes that are not UTF-8, printable UTF-8 kept as it is. */
static void sb_quote(struct sb *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	sb_putn(b, "\"", 1);
	while (i < n) {
		uint32_t r;
		size_t len = utf8_dec(p + i, n - i, &r);

		if (len == 0) {
			sb_printf(b, "\\x%02x", p[i]);
			i++;
			continue;
		}
		switch (r) {
		case '"':
			sb_puts(b, "\\\"");
			break;
		case '\\':
			sb_puts(b, "\\\\");
			break;
		case '\a':
			sb_puts(b, "\\a");
			break;
		case '\b':
			sb_puts(b, "\\b");
			break;
		case '\f':
			sb_puts(b, "\\f");
			break;
		case '\n':
			sb_puts(b, "\\n");
			break;
		case '\r':
			sb_puts(b, "\\r");
			break;
		case '\t':
			sb_puts(b, "\\t");
			break;
		case '\v':
			sb_puts(b, "\\v");
			break;
		default:
			if (r < 0x20 || r == 0x7f)
				sb_printf(b, "\\x%02x", (unsigned)r);
			else if (r >= 0x80 && r < 0xa0)
				sb_printf(b, "\\u%04x", (unsigned)r);
			else
				sb_putn(b, s + i, len);
		}
		i += len;
	}
	sb_putn(b, "\"", 1);
}

/* Copies a finished message to the caller's buffer, as much as fits. */
static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* As set_err, reporting an allocation failure instead when `b` ran out. */
static int fail(char *err, size_t errlen, struct sb *b, int rc)
{
	if (b->oom || rc == -ENOMEM) {
		set_err(err, errlen, "out of memory");
		rc = -ENOMEM;
	} else {
		set_err(err, errlen, sb_str(b));
	}
	sb_free(b);
	return rc;
}

static char *strndup_s(struct slice v)
{
	char *s = malloc(v.n + 1);

	if (s) {
		if (v.n)
			memcpy(s, v.p, v.n);
		s[v.n] = '\0';
	}
	return s;
}

static int slice_cmp(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = n ? memcmp(x->p, y->p, n) : 0;

	if (c)
		return c;
	return (x->n > y->n) - (x->n < y->n);
}

static bool slice_eq(struct slice v, const char *s)
{
	return strlen(s) == v.n && (v.n == 0 || memcmp(v.p, s, v.n) == 0);
}

/* --- Validation, in the words of k8s.io/apimachinery/pkg/util/validation */

#define MSG_QNAME                                                                                  \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and "            \
	"end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "                   \
	"'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define MSG_LABEL_VALUE                                                                            \
	"a valid label must be an empty string or consist of alphanumeric characters, "            \
	"'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "            \
	"'MyValue',  or 'my_value',  or '12345', regex used for validation is "                    \
	"'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define MSG_SUBDOMAIN                                                                              \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "                  \
	"characters, '-' or '.', and must start and end with an alphanumeric character "           \
	"(e.g. 'example.com', regex used for validation is "                                       \
	"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

static void join(struct sb *d, const char *msg)
{
	if (d->len)
		sb_puts(d, "; ");
	sb_puts(d, msg);
}

/* Appends why `k` is not a qualified name (IsQualifiedName), joined by
 * "; "; appends nothing for a valid key. */
static void key_errs(struct sb *d, const char *k, size_t n)
{
	const char *slash = n ? memchr(k, '/', n) : NULL;
	const char *name = k;
	size_t nn = n;

	if (slash) {
		size_t pn = (size_t)(slash - k);

		name = slash + 1;
		nn = n - pn - 1;
		if (memchr(name, '/', nn)) {
			join(d,
			     "a qualified name " MSG_QNAME " with an optional DNS subdomain prefix "
			                                   "and '/' (e.g. 'example.com/MyName')");
			return;
		}
		if (pn == 0) {
			join(d, "prefix part must be non-empty");
		} else {
			if (pn > K1S_DNS1123_SUBDOMAIN_MAX)
				join(d, "prefix part must be no more than 253 characters");
			if (!k1s_is_dns1123_subdomain(k, pn))
				join(d, "prefix part " MSG_SUBDOMAIN);
		}
	}
	if (nn == 0)
		join(d, "name part must be non-empty");
	else if (nn > K1S_QUALIFIED_NAME_MAX)
		join(d, "name part must be no more than 63 characters");
	if (!k1s_is_qualified_name(name, nn))
		join(d, "name part " MSG_QNAME);
}

/* Appends why `v` is not a label value (IsValidLabelValue). */
static void value_errs(struct sb *d, const char *v, size_t n)
{
	if (n > K1S_QUALIFIED_NAME_MAX)
		join(d, "must be no more than 63 characters");
	if (n > 0 && !k1s_is_qualified_name(v, n))
		join(d, MSG_LABEL_VALUE);
}

/* strconv.ParseInt(s, 10, 64) */
static bool parse_int64(const char *s, size_t n, long long *out)
{
	unsigned long long v = 0, lim;
	bool neg = false;
	size_t i = 0;

	if (n && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return false;
	lim = neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX;
	for (; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(long long)v;
	else
		*out = (long long)v;
	return true;
}

/*
 * A field.ErrorList on its way to an aggregate: printed alone when there is
 * one message and as "[a, b]" otherwise. Each message names a different
 * field (key, values, values[i], values[i][key]), so none repeats and the
 * aggregate's removal of repeats has nothing to do. The list stops growing
 * once it is longer than any caller shows, so a selector with thousands
 * of bad values costs no more than that.
 */
struct errlist {
	char **msgs;
	size_t n, bytes;
	bool oom;
};

static void errlist_add(struct errlist *l, struct sb *m)
{
	char **v;

	if (m->oom || !m->s) {
		l->oom = true;
		sb_free(m);
		return;
	}
	if (l->bytes > SEL_MAX_LEN) {
		sb_free(m);
		return;
	}
	v = realloc(l->msgs, (l->n + 1) * sizeof(*v));
	if (!v) {
		l->oom = true;
		sb_free(m);
		return;
	}
	l->msgs = v;
	l->msgs[l->n++] = m->s;
	l->bytes += m->len;
	m->s = NULL;
	sb_free(m);
}

static void errlist_invalid(struct errlist *l, const char *field, const char *key, size_t keyn,
                            const char *bad, size_t badn, const char *detail)
{
	struct sb m = {0};

	sb_puts(&m, field);
	if (key) {
		sb_putn(&m, "[", 1);
		sb_putn(&m, key, keyn);
		sb_putn(&m, "]", 1);
	}
	sb_puts(&m, ": Invalid value: ");
	sb_quote(&m, bad, badn);
	sb_puts(&m, ": ");
	sb_puts(&m, detail);
	errlist_add(l, &m);
}

/* Writes the aggregate into `out`; frees the list. */
static void errlist_flush(struct errlist *l, struct sb *out)
{
	if (l->n > 1)
		sb_putn(out, "[", 1);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			sb_puts(out, ", ");
		sb_puts(out, l->msgs[i]);
		free(l->msgs[i]);
	}
	if (l->n > 1)
		sb_putn(out, "]", 1);
	if (l->oom)
		out->oom = true;
	free(l->msgs);
	l->msgs = NULL;
	l->n = 0;
}

/* Go's %#v of a []string, which NewRequirement prints for a bad set. */
static void sb_strslice(struct sb *b, const struct slice *v, size_t n)
{
	if (n == 0) {
		sb_puts(b, "[]string(nil)");
		return;
	}
	sb_puts(b, "[]string{");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_puts(b, ", ");
		sb_quote(b, v[i].p, v[i].n);
	}
	sb_puts(b, "}");
}

static void req_fini(struct lsel_req *r)
{
	free(r->key);
	for (size_t i = 0; i < r->nvals; i++)
		free(r->vals[i]);
	free(r->vals);
}

/*
 * labels.NewRequirement: checks the key, the number of values for the
 * operator and each value, and fills `r`. On failure the aggregated
 * message goes to `e` and -EINVAL is returned.
 */
static int new_req(struct slice key, enum lsel_op op, const struct slice *vals, size_t nvals,
                   struct lsel_req *r, struct sb *e)
{
	struct errlist l = {0};
	struct sb d = {0};

	memset(r, 0, sizeof(*r));
	key_errs(&d, key.p, key.n);
	if (d.len)
		errlist_invalid(&l, "key", NULL, 0, key.p, key.n, sb_str(&d));
	if (d.oom)
		l.oom = true;
	sb_free(&d);

	switch (op) {
	case LSEL_IN:
	case LSEL_NOTIN:
		if (nvals == 0) {
			struct sb m = {0};

			sb_puts(&m, "values: Invalid value: ");
			sb_strslice(&m, vals, nvals);
			sb_puts(&m, ": for 'in', 'notin' operators, values set can't be empty");
			errlist_add(&l, &m);
		}
		break;
	case LSEL_EXISTS:
	case LSEL_NOTEXIST:
		if (nvals != 0) {
			struct sb m = {0};

			sb_puts(&m, "values: Invalid value: ");
			sb_strslice(&m, vals, nvals);
			sb_puts(&m, ": values set must be empty for exists and does not exist");
			errlist_add(&l, &m);
		}
		break;
	case LSEL_GT:
	case LSEL_LT:
		/* The parser always gives one value here. */
		for (size_t i = 0; i < nvals; i++) {
			char field[32];

			if (parse_int64(vals[i].p, vals[i].n, &r->num))
				continue;
			snprintf(field, sizeof(field), "values[%zu]", i);
			errlist_invalid(&l, field, NULL, 0, vals[i].p, vals[i].n,
			                "for 'Gt', 'Lt' operators, the value must be an integer");
		}
		break;
	}
	for (size_t i = 0; i < nvals; i++) {
		char field[32];

		value_errs(&d, vals[i].p, vals[i].n);
		if (d.len) {
			snprintf(field, sizeof(field), "values[%zu]", i);
			errlist_invalid(&l, field, key.p, key.n, vals[i].p, vals[i].n, sb_str(&d));
		}
		if (d.oom)
			l.oom = true;
		sb_free(&d);
	}
	if (l.n || l.oom) {
		errlist_flush(&l, e);
		return -EINVAL;
	}

	r->op = op;
	r->key = strndup_s(key);
	if (nvals) {
		r->vals = calloc(nvals, sizeof(*r->vals));
		if (!r->vals)
			goto oom;
	}
	if (!r->key)
		goto oom;
	for (size_t i = 0; i < nvals; i++) {
		r->vals[i] = strndup_s(vals[i]);
		if (!r->vals[i])
			goto oom;
		r->nvals++;
	}
	return 0;
oom:
	req_fini(r);
	memset(r, 0, sizeof(*r));
	e->oom = true;
	return -ENOMEM;
}

static int lsel_push(struct k1s_lsel *sel, size_t *cap, const struct lsel_req *r)
{
	if (sel->nreqs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct lsel_req *v = realloc(sel->reqs, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sel->reqs = v;
		*cap = ncap;
	}
	sel->reqs[sel->nreqs++] = *r;
	return 0;
}

void k1s_lsel_free(struct k1s_lsel *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->nreqs; i++)
		req_fini(&sel->reqs[i]);
	free(sel->reqs);
	free(sel);
}

/* --- The query-string form: the lexer and parser of labels.Parse */

enum tok_kind {
	T_EOS,
	T_CPAR,
	T_COMMA,
	T_NOT,
	T_DEQ,
	T_EQ,
	T_GT,
	T_ID,
	T_IN,
	T_LT,
	T_NE,
	T_NOTIN,
	T_OPAR,
};

struct tok {
	enum tok_kind kind;
	struct slice lit;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
	return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

static enum tok_kind special_kind(char c)
{
	switch (c) {
	case '=':
		return T_EQ;
	case '!':
		return T_NOT;
	case '(':
		return T_OPAR;
	case ')':
		return T_CPAR;
	case ',':
		return T_COMMA;
	case '>':
		return T_GT;
	default:
		return T_LT;
	}
}

/* Splits the whole input into tokens up front, as the Go parser does, so
 * that errors name the same token. The list ends with one T_EOS. */
static int lex(const char *s, size_t len, struct tok **out, size_t *nout)
{
	struct tok *v = NULL;
	size_t pos = 0, n = 0, cap = 0;

	for (;;) {
		struct tok t;

		while (pos < len && is_ws(s[pos]))
			pos++;
		t.lit.p = s + pos;
		if (pos >= len) {
			t.kind = T_EOS;
			t.lit.n = 0;
		} else if (is_special(s[pos])) {
			/* The longest operator wins: "!=" and "==" over "!" and "=". */
			if (pos + 1 < len && s[pos + 1] == '=' &&
			    (s[pos] == '!' || s[pos] == '=')) {
				t.kind = s[pos] == '!' ? T_NE : T_DEQ;
				t.lit.n = 2;
			} else {
				t.kind = special_kind(s[pos]);
				t.lit.n = 1;
			}
			pos += t.lit.n;
		} else {
			size_t start = pos;

			while (pos < len && !is_special(s[pos]) && !is_ws(s[pos]))
				pos++;
			t.lit.n = pos - start;
			if (slice_eq(t.lit, "in"))
				t.kind = T_IN;
			else if (slice_eq(t.lit, "notin"))
				t.kind = T_NOTIN;
			else
				t.kind = T_ID;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct tok *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = t;
		if (t.kind == T_EOS)
			break;
	}
	*out = v;
	*nout = n;
	return 0;
}

struct parser {
	const struct tok *toks;
	size_t ntok, pos;
	struct sb *e;
};

/* "in" and "notin" are values where a value is expected: `x in (in)`. */
enum ctx { CTX_OP, CTX_VALUES };

static const struct tok *peek(const struct parser *p, enum tok_kind *kind, enum ctx ctx)
{
	const struct tok *t = &p->toks[p->pos < p->ntok ? p->pos : p->ntok - 1];

	*kind = t->kind;
	if (ctx == CTX_VALUES && (*kind == T_IN || *kind == T_NOTIN))
		*kind = T_ID;
	return t;
}

static const struct tok *next(struct parser *p, enum tok_kind *kind, enum ctx ctx)
{
	const struct tok *t = peek(p, kind, ctx);

	if (p->pos < p->ntok)
		p->pos++;
	return t;
}

/* "found '<lit>'<rest>" */
static int found(struct parser *p, struct slice lit, const char *rest)
{
	sb_puts(p->e, "found '");
	sb_putn(p->e, lit.p, lit.n);
	sb_puts(p->e, "'");
	sb_puts(p->e, rest);
	return -EINVAL;
}

struct vals {
	struct slice *v;
	size_t n, cap;
};

static int vals_add(struct vals *vs, struct slice s)
{
	if (vs->n == vs->cap) {
		size_t ncap = vs->cap ? vs->cap * 2 : 4;
		struct slice *nv = realloc(vs->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		vs->v = nv;
		vs->cap = ncap;
	}
	vs->v[vs->n++] = s;
	return 0;
}

/* A sets.String turned into a sorted list, which NewRequirement sees. */
static void vals_sort_unique(struct vals *vs)
{
	size_t j = 0;

	if (vs->n < 2)
		return;
	qsort(vs->v, vs->n, sizeof(*vs->v), slice_cmp);
	for (size_t i = 1; i < vs->n; i++)
		if (slice_cmp(&vs->v[j], &vs->v[i]) != 0)
			vs->v[++j] = vs->v[i];
	vs->n = j + 1;
}

static const struct slice empty = {"", 0};

/* (a,b,c), where empty elements stand for the empty value. */
static int parse_list(struct parser *p, struct vals *vs)
{
	enum tok_kind k, k2;
	const struct tok *t, *t2;

	for (;;) {
		t = next(p, &k, CTX_VALUES);
		switch (k) {
		case T_ID:
			if (vals_add(vs, t->lit))
				return -ENOMEM;
			t2 = peek(p, &k2, CTX_VALUES);
			if (k2 == T_COMMA)
				continue;
			if (k2 == T_CPAR)
				return 0;
			return found(p, t2->lit, ", expected: ',' or ')'");
		case T_COMMA:
			if (vs->n == 0 && vals_add(vs, empty))
				return -ENOMEM;
			peek(p, &k2, CTX_VALUES);
			if (k2 == T_CPAR)
				return vals_add(vs, empty) ? -ENOMEM : 0;
			if (k2 == T_COMMA) {
				next(p, &k2, CTX_VALUES);
				if (vals_add(vs, empty))
					return -ENOMEM;
			}
			break;
		default:
			return found(p, t->lit, ", expected: ',', or identifier");
		}
	}
}

static int parse_values(struct parser *p, struct vals *vs)
{
	enum tok_kind k;
	const struct tok *t;
	int rc;

	t = next(p, &k, CTX_VALUES);
	if (k != T_OPAR)
		return found(p, t->lit, " expected: '('");
	t = peek(p, &k, CTX_VALUES);
	switch (k) {
	case T_ID:
	case T_COMMA:
		rc = parse_list(p, vs);
		if (rc)
			return rc;
		/* parse_list stops only in front of ')'. */
		next(p, &k, CTX_VALUES);
		if (k != T_CPAR)
			return found(p, t->lit, ", expected: ')'");
		return 0;
	case T_CPAR:
		next(p, &k, CTX_VALUES);
		return vals_add(vs, empty) ? -ENOMEM : 0;
	default:
		return found(p, t->lit, ", expected: ',', ')' or identifier");
	}
}

static int parse_exact(struct parser *p, struct vals *vs)
{
	enum tok_kind k;
	const struct tok *t = peek(p, &k, CTX_VALUES);

	if (k == T_EOS || k == T_COMMA)
		return vals_add(vs, empty) ? -ENOMEM : 0;
	t = next(p, &k, CTX_VALUES);
	if (k == T_ID)
		return vals_add(vs, t->lit) ? -ENOMEM : 0;
	return found(p, t->lit, ", expected: identifier");
}

static int parse_req(struct parser *p, struct lsel_req *r)
{
	struct vals vs = {0};
	enum tok_kind k;
	const struct tok *t;
	struct slice key;
	enum lsel_op op;
	bool notexist = false;
	struct sb d = {0};
	int rc;

	t = next(p, &k, CTX_VALUES);
	if (k == T_NOT) {
		notexist = true;
		t = next(p, &k, CTX_VALUES);
	}
	if (k != T_ID)
		return found(p, t->lit, ", expected: identifier");
	key = t->lit;
	key_errs(&d, key.p, key.n);
	if (d.len || d.oom) {
		sb_puts(p->e, "<nil>: Invalid value: ");
		sb_quote(p->e, key.p, key.n);
		sb_puts(p->e, ": ");
		sb_puts(p->e, sb_str(&d));
		if (d.oom)
			p->e->oom = true;
		sb_free(&d);
		return -EINVAL;
	}
	peek(p, &k, CTX_VALUES);
	if (notexist || k == T_EOS || k == T_COMMA)
		return new_req(key, notexist ? LSEL_NOTEXIST : LSEL_EXISTS, NULL, 0, r, p->e);

	t = next(p, &k, CTX_OP);
	switch (k) {
	case T_IN:
	case T_EQ:
	case T_DEQ:
		op = LSEL_IN;
		break;
	case T_NOTIN:
	case T_NE:
		op = LSEL_NOTIN;
		break;
	case T_GT:
		op = LSEL_GT;
		break;
	case T_LT:
		op = LSEL_LT;
		break;
	default:
		return found(p, t->lit, ", expected: in, notin, =, ==, !=, gt, lt");
	}
	if (k == T_IN || k == T_NOTIN)
		rc = parse_values(p, &vs);
	else
		rc = parse_exact(p, &vs);
	if (rc == 0) {
		vals_sort_unique(&vs);
		rc = new_req(key, op, vs.v, vs.n, r, p->e);
	}
	free(vs.v);
	return rc;
}

int k1s_lsel_parse(const char *s, struct k1s_lsel **out, char *err, size_t errlen)
{
	struct k1s_lsel *sel;
	struct parser p = {0};
	struct tok *toks = NULL;
	struct sb e = {0};
	size_t len, cap = 0;
	int rc;

	*out = NULL;
	if (!s)
		s = "";
	len = strnlen(s, SEL_MAX_LEN + 1);
	if (len > SEL_MAX_LEN) {
		set_err(err, errlen, "label selector is longer than 65536 bytes");
		return -EINVAL;
	}
	sel = calloc(1, sizeof(*sel));
	if (!sel || lex(s, len, &toks, &p.ntok)) {
		free(sel);
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p.toks = toks;
	p.e = &e;
	for (;;) {
		struct lsel_req r;
		enum tok_kind k;
		const struct tok *t = peek(&p, &k, CTX_VALUES);

		if (k == T_EOS)
			break;
		if (k != T_ID && k != T_NOT) {
			rc = found(&p, t->lit, ", expected: !, identifier, or 'end of string'");
			goto bad;
		}
		rc = parse_req(&p, &r);
		if (rc) {
			struct sb m = {0};

			sb_puts(&m, "unable to parse requirement: ");
			sb_puts(&m, sb_str(&e));
			m.oom |= e.oom;
			sb_free(&e);
			e = m;
			goto bad;
		}
		if (lsel_push(sel, &cap, &r)) {
			req_fini(&r);
			e.oom = true;
			rc = -ENOMEM;
			goto bad;
		}
		t = next(&p, &k, CTX_VALUES);
		if (k == T_EOS)
			break;
		if (k != T_COMMA) {
			rc = found(&p, t->lit, ", expected: ',' or 'end of string'");
			goto bad;
		}
		t = peek(&p, &k, CTX_VALUES);
		if (k != T_ID && k != T_NOT) {
			rc = found(&p, t->lit, ", expected: identifier after ','");
			goto bad;
		}
	}
	free(toks);
	*out = sel;
	return 0;
bad:
	free(toks);
	k1s_lsel_free(sel);
	return fail(err, errlen, &e, rc);
}

/* --- metav1.LabelSelector and plain label maps */

static int json_vals(const json_t *arr, struct vals *vs)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		struct slice s = {json_string_value(v), json_string_length(v)};

		if (vals_add(vs, s))
			return -ENOMEM;
	}
	return 0;
}

int k1s_lsel_from_json(const json_t *ls, struct k1s_lsel **out, char *err, size_t errlen)
{
	struct k1s_lsel *sel;
	const json_t *ml, *me;
	struct sb e = {0};
	size_t cap = 0, i;
	const char *k;
	json_t *v;
	int rc = -EINVAL;

	*out = NULL;
	if (ls && !json_is_null(ls) && !json_is_object(ls)) {
		set_err(err, errlen, "selector: Invalid value: must be an object");
		return -EINVAL;
	}
	sel = calloc(1, sizeof(*sel));
	if (!sel) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ml = json_is_object(ls) ? json_object_get(ls, "matchLabels") : NULL;
	me = json_is_object(ls) ? json_object_get(ls, "matchExpressions") : NULL;
	if (json_is_null(ml))
		ml = NULL;
	if (json_is_null(me))
		me = NULL;
	if ((ml && !json_is_object(ml)) || (me && !json_is_array(me))) {
		sb_puts(&e, ml && !json_is_object(ml) ? "matchLabels" : "matchExpressions");
		sb_puts(&e, ": Invalid value: must be ");
		sb_puts(&e, ml && !json_is_object(ml) ? "an object" : "an array");
		goto bad;
	}

	json_object_foreach((json_t *)ml, k, v)
	{
		struct slice key = {k, strlen(k)};
		struct slice val;
		struct lsel_req r;

		if (!json_is_string(v)) {
			sb_puts(&e, "matchLabels[");
			sb_puts(&e, k);
			sb_puts(&e, "]: Invalid value: must be a string");
			goto bad;
		}
		val.p = json_string_value(v);
		val.n = json_string_length(v);
		rc = new_req(key, LSEL_IN, &val, 1, &r, &e);
		if (rc)
			goto bad;
		if (lsel_push(sel, &cap, &r)) {
			req_fini(&r);
			e.oom = true;
			goto bad;
		}
	}

	json_array_foreach((json_t *)me, i, v)
	{
		const json_t *jk = json_object_get(v, "key");
		const json_t *jop = json_object_get(v, "operator");
		const json_t *jv = json_object_get(v, "values");
		struct vals vs = {0};
		struct slice key = {"", 0}, ops = {"", 0};
		struct lsel_req r;
		enum lsel_op op;

		rc = -EINVAL;
		if (!json_is_object(v) || (jk && !json_is_string(jk)) ||
		    (jop && !json_is_string(jop)) ||
		    (jv && !json_is_null(jv) && !json_is_array(jv))) {
			sb_printf(&e, "matchExpressions[%zu]: Invalid value: ", i);
			sb_puts(&e, "key and operator must be strings, values an array");
			goto bad;
		}
		if (jv && json_is_array(jv)) {
			size_t j;
			json_t *x;

			json_array_foreach(jv, j, x)
			{
				if (!json_is_string(x)) {
					sb_printf(&e, "matchExpressions[%zu].values[%zu]: ", i, j);
					sb_puts(&e, "Invalid value: must be a string");
					goto bad;
				}
			}
		}
		if (jk) {
			key.p = json_string_value(jk);
			key.n = json_string_length(jk);
		}
		if (jop) {
			ops.p = json_string_value(jop);
			ops.n = json_string_length(jop);
		}
		if (slice_eq(ops, "In")) {
			op = LSEL_IN;
		} else if (slice_eq(ops, "NotIn")) {
			op = LSEL_NOTIN;
		} else if (slice_eq(ops, "Exists")) {
			op = LSEL_EXISTS;
		} else if (slice_eq(ops, "DoesNotExist")) {
			op = LSEL_NOTEXIST;
		} else {
			sb_quote(&e, ops.p, ops.n);
			sb_puts(&e, " is not a valid label selector operator");
			goto bad;
		}
		if (jv && json_is_array(jv) && json_vals(jv, &vs)) {
			free(vs.v);
			e.oom = true;
			goto bad;
		}
		rc = new_req(key, op, vs.v, vs.n, &r, &e);
		free(vs.v);
		if (rc)
			goto bad;
		if (lsel_push(sel, &cap, &r)) {
			req_fini(&r);
			e.oom = true;
			goto bad;
		}
	}
	*out = sel;
	return 0;
bad:
	k1s_lsel_free(sel);
	return fail(err, errlen, &e, rc ? rc : -EINVAL);
}

int k1s_lsel_from_map(const json_t *map, struct k1s_lsel **out)
{
	struct k1s_lsel *sel;
	size_t cap = 0;
	const char *k;
	json_t *v;

	*out = NULL;
	if (map && !json_is_null(map) && !json_is_object(map))
		return -EINVAL;
	sel = calloc(1, sizeof(*sel));
	if (!sel)
		return -ENOMEM;
	/* Unlike a LabelSelector, an empty map selects no object at all. */
	if (!json_is_object(map) || json_object_size(map) == 0) {
		sel->nothing = true;
		*out = sel;
		return 0;
	}
	json_object_foreach((json_t *)map, k, v)
	{
		struct lsel_req r = {.op = LSEL_IN, .nvals = 1};
		struct slice val = {json_string_value(v), json_string_length(v)};

		/* A NUL inside would cut the value short. */
		if (!json_is_string(v) || strlen(val.p) != val.n) {
			k1s_lsel_free(sel);
			return -EINVAL;
		}
		r.key = strdup(k);
		r.vals = malloc(sizeof(*r.vals));
		if (r.vals)
			r.vals[0] = strndup_s(val);
		if (!r.key || !r.vals || !r.vals[0] || lsel_push(sel, &cap, &r)) {
			if (!r.vals || !r.vals[0])
				r.nvals = 0;
			req_fini(&r);
			k1s_lsel_free(sel);
			return -ENOMEM;
		}
	}
	*out = sel;
	return 0;
}

static bool req_match(const struct lsel_req *r, const json_t *labels)
{
	const json_t *jv = json_is_object(labels) ? json_object_get(labels, r->key) : NULL;
	const char *v = json_string_value(jv); /* a label that is no string is absent */
	bool in = false;
	long long n;

	switch (r->op) {
	case LSEL_EXISTS:
		return v != NULL;
	case LSEL_NOTEXIST:
		return v == NULL;
	case LSEL_GT:
	case LSEL_LT:
		if (!v || !parse_int64(v, json_string_length(jv), &n))
			return false;
		return r->op == LSEL_GT ? n > r->num : n < r->num;
	case LSEL_IN:
	case LSEL_NOTIN:
		if (v) {
			size_t vn = json_string_length(jv);

			for (size_t i = 0; i < r->nvals && !in; i++)
				in = strlen(r->vals[i]) == vn && memcmp(r->vals[i], v, vn) == 0;
		}
		/* notin and != select objects without the label too. */
		return r->op == LSEL_IN ? in : !in;
	}
	return false;
}

bool k1s_lsel_match(const struct k1s_lsel *sel, const json_t *labels)
{
	if (!sel)
		return true;
	if (sel->nothing)
		return false;
	for (size_t i = 0; i < sel->nreqs; i++)
		if (!req_match(&sel->reqs[i], labels))
			return false;
	return true;
}

/* --- Field selectors: fields.ParseSelector and the per-kind field labels */

void k1s_fsel_free(struct k1s_fsel *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->nterms; i++) {
		free(sel->terms[i].path);
		free(sel->terms[i].val);
	}
	free(sel->terms);
	free(sel);
}

/* Appends the rune at p (or U+FFFD for a byte that is not UTF-8, as Go's
 * range loop yields) and returns how many bytes it took. */
static size_t put_rune(struct sb *b, const char *p, size_t n)
{
	uint32_t r;
	size_t len = utf8_dec((const unsigned char *)p, n, &r);

	if (len == 0) {
		sb_puts(b, "\xef\xbf\xbd");
		return 1;
	}
	sb_putn(b, p, len);
	return len;
}

/* fields.UnescapeValue: `\\`, `\,` and `\=` stand for themselves; a bare
 * ',' or '=' and any other escape are errors. */
static int unescape(struct slice v, struct sb *out, struct sb *e)
{
	bool special = false;

	for (size_t i = 0; i < v.n && !special; i++)
		special = v.p[i] == '\\' || v.p[i] == ',' || v.p[i] == '=';
	if (!special) {
		sb_putn(out, v.p, v.n);
		return 0;
	}
	for (size_t i = 0; i < v.n;) {
		char c = v.p[i];

		if (c == ',' || c == '=') {
			sb_printf(e, "invalid field selector: unescaped character in value: %d", c);
			return -EINVAL;
		}
		if (c != '\\') {
			i += put_rune(out, v.p + i, v.n - i);
			continue;
		}
		if (i + 1 == v.n) {
			sb_puts(e, "invalid field selector: invalid escape sequence: \\");
			return -EINVAL;
		}
		c = v.p[i + 1];
		if (c != '\\' && c != ',' && c != '=') {
			sb_puts(e, "invalid field selector: invalid escape sequence: \\");
			put_rune(e, v.p + i + 1, v.n - i - 1);
			return -EINVAL;
		}
		sb_putn(out, &c, 1);
		i += 2;
	}
	return 0;
}

/* The path to read for field label `name`, from the caller's list; an
 * entry "name=path" serves the label from another place in the object. */
static const char *field_path(const char *const *fields, struct slice name)
{
	for (size_t i = 0; fields && fields[i]; i++) {
		const char *eq = strchr(fields[i], '=');
		size_t n = eq ? (size_t)(eq - fields[i]) : strlen(fields[i]);

		if (n == name.n && (n == 0 || memcmp(fields[i], name.p, n) == 0))
			return eq ? eq + 1 : fields[i];
	}
	return NULL;
}

int k1s_fsel_parse(const char *s, const char *const *fields, struct k1s_fsel **out, char *err,
                   size_t errlen)
{
	struct k1s_fsel *sel;
	struct vals parts = {0};
	struct sb e = {0};
	size_t len, start = 0;
	bool slash = false;
	int rc = -EINVAL;

	*out = NULL;
	if (!s)
		s = "";
	len = strnlen(s, SEL_MAX_LEN + 1);
	if (len > SEL_MAX_LEN) {
		set_err(err, errlen, "field selector is longer than 65536 bytes");
		return -EINVAL;
	}
	sel = calloc(1, sizeof(*sel));
	if (!sel) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Terms split at commas that no backslash escapes. */
	for (size_t i = 0; len && i <= len; i++) {
		if (i < len && slash) {
			slash = false;
		} else if (i < len && s[i] == '\\') {
			slash = true;
		} else if (i == len || s[i] == ',') {
			struct slice part = {s + start, i - start};

			if (vals_add(&parts, part)) {
				e.oom = true;
				goto bad;
			}
			start = i + 1;
		}
	}
	/* Sorted as the Go parser sorts them, so the same term is blamed. */
	if (parts.n > 1)
		qsort(parts.v, parts.n, sizeof(*parts.v), slice_cmp);
	if (parts.n) {
		sel->terms = calloc(parts.n, sizeof(*sel->terms));
		if (!sel->terms) {
			e.oom = true;
			goto bad;
		}
	}
	for (size_t i = 0; i < parts.n; i++) {
		struct slice part = parts.v[i], lhs, rhs;
		struct fsel_term *t = &sel->terms[sel->nterms];
		struct sb val = {0};
		size_t j, oplen = 0;

		if (part.n == 0)
			continue;
		/* The first operator splits: lhs can have no escapes. */
		for (j = 0; j < part.n; j++) {
			if (part.p[j] == '!' && j + 1 < part.n && part.p[j + 1] == '=') {
				oplen = 2;
				t->neg = true;
			} else if (part.p[j] == '=') {
				oplen = j + 1 < part.n && part.p[j + 1] == '=' ? 2 : 1;
			}
			if (oplen)
				break;
		}
		if (!oplen) {
			sb_puts(&e, "invalid selector: '");
			sb_putn(&e, s, len);
			sb_puts(&e, "'; can't understand '");
			sb_putn(&e, part.p, part.n);
			sb_puts(&e, "'");
			goto bad;
		}
		lhs = (struct slice){part.p, j};
		rhs = (struct slice){part.p + j + oplen, part.n - j - oplen};
		if (unescape(rhs, &val, &e)) {
			sb_free(&val);
			goto bad;
		}
		if (val.oom) {
			sb_free(&val);
			e.oom = true;
			goto bad;
		}
		t->val = val.s ? val.s : strdup("");
		t->path = strndup_s(lhs); /* the label until it is checked */
		sel->nterms++;
		if (!t->val || !t->path) {
			e.oom = true;
			goto bad;
		}
	}
	/* Every term parses before any field label is checked, as there. */
	for (size_t i = 0; i < sel->nterms; i++) {
		struct fsel_term *t = &sel->terms[i];
		struct slice name = {t->path, strlen(t->path)};
		const char *path = field_path(fields, name);
		char *copy;

		if (!path) {
			sb_puts(&e, "field label not supported: ");
			sb_puts(&e, t->path);
			goto bad;
		}
		copy = strdup(path);
		if (!copy) {
			e.oom = true;
			goto bad;
		}
		free(t->path);
		t->path = copy;
	}
	free(parts.v);
	*out = sel;
	return 0;
bad:
	free(parts.v);
	k1s_fsel_free(sel);
	return fail(err, errlen, &e, rc);
}

/* The field's value as the field label conversions give it: strings as
 * they are, numbers and booleans printed, anything else "". */
static bool field_is(const json_t *obj, const char *path, const char *want)
{
	const json_t *v = k1s_json_path(obj, path);
	char buf[32];

	if (json_is_string(v))
		return strlen(want) == json_string_length(v) &&
		       memcmp(json_string_value(v), want, json_string_length(v)) == 0;
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strcmp(buf, want) == 0;
	}
	if (json_is_boolean(v))
		return strcmp(json_is_true(v) ? "true" : "false", want) == 0;
	return want[0] == '\0';
}

bool k1s_fsel_match(const struct k1s_fsel *sel, const json_t *obj)
{
	if (!sel)
		return true;
	for (size_t i = 0; i < sel->nterms; i++) {
		const struct fsel_term *t = &sel->terms[i];

		if (field_is(obj, t->path, t->val) == t->neg)
			return false;
	}
	return true;
}
