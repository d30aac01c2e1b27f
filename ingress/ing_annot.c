/* What an Ingress asks of its controller, as ingress-nginx
 * controller-v1.9.0 reads it: its class (store.go GetIngressClass()), and
 * its annotations over the ConfigMap (internal/ingress/annotations/
 * {rewrite,redirect,backendprotocol,proxy,ipwhitelist,upstreamvhost} and
 * parser/main.go: booleans as Go's strconv.ParseBool, integers as
 * strconv.Atoi). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ing_annot.h"

#define ING_ANNOT_PREFIX "nginx.ingress.kubernetes.io/"

struct ing_arena {
	struct ing_arena *next;
	size_t used, cap;
	_Alignas(16) unsigned char mem[];
};

void *ing_arena_alloc(struct ing_arena **a, size_t n)
{
	struct ing_arena *c = *a;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = *a;
		c->used = 0;
		c->cap = cap;
		*a = c;
	}
	p = c->mem + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *ing_arena_strndup(struct ing_arena **a, const char *s, size_t n)
{
	char *p = ing_arena_alloc(a, n + 1);

	if (p)
		memcpy(p, s, n);
	return p;
}

void ing_arena_free(struct ing_arena *a)
{
	while (a) {
		struct ing_arena *next = a->next;

		free(a);
		a = next;
	}
}

/* strconv.ParseBool: 0 or 1, -1 when it is neither. */
static int parse_bool(const char *s)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return 1;
		if (strcmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* strconv.Atoi for a count of seconds: -1 when invalid or negative. */
static long parse_seconds(const char *s)
{
	char *end;
	long v;

	if (*s == '+')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > 86400 * 365)
		return -1;
	return v;
}

/* A size as nginx's ngx_parse_size() reads client_max_body_size: digits
 * and an optional k, m or g. 0 when valid. */
static int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, unit = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case 'k': case 'K': unit = 1024; p++; break;
	case 'm': case 'M': unit = 1024 * 1024; p++; break;
	case 'g': case 'G': unit = 1024 * 1024 * 1024; p++; break;
	}
	if (*p || v > UINT64_MAX / unit)
		return -1;
	*out = v * unit;
	return 0;
}

/* A comma-separated list of IPv4 addresses and networks, as ipwhitelist's
 * net.ParseIPNets. IPv6 entries are valid but never match an IPv4 client.
 * Returns the number of valid entries, -1 when one is invalid. */
static int parse_ranges(const char *s, struct ing_arena **a, const struct k1s_cidr **out,
			unsigned *n)
{
	size_t cap = 1;
	struct k1s_cidr *c;
	int bad = 0;

	for (const char *p = s; *p; p++)
		cap += *p == ',';
	c = ing_arena_alloc(a, cap * sizeof(*c));
	if (!c)
		return -ENOMEM;
	*n = 0;
	for (const char *p = s; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char item[64];

		while (len && isspace((unsigned char)*p))
			p++, len--;
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (len && len < sizeof(item)) {
			uint32_t ip;

			memcpy(item, p, len);
			item[len] = 0;
			if (strchr(item, ':')) {
				/* IPv6: nothing to match here */
			} else if (strchr(item, '/')) {
				if (k1s_cidr_parse(item, &c[*n]) == 0)
					(*n)++;
				else
					bad = 1;
			} else if (k1s_ip4_parse(item, &ip) == 0) {
				c[*n].net = ip;
				c[(*n)++].bits = 32;
			} else {
				bad = 1;
			}
		} else {
			bad = 1;
		}
		p += e ? (size_t)(e - p) + 1 : strlen(p);
	}
	*out = c;
	return bad ? -1 : (int)*n;
}

static const char *str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int ing_defaults_parse(const json_t *data, struct ing_arena **a, struct ing_defaults *d)
{
	const char *s;
	long v;

	*d = (struct ing_defaults){
		.conf = {.connect_timeout_ms = 5000,
			 .read_timeout_ms = 60000,
			 .send_timeout_ms = 60000,
			 .body_max = 1024 * 1024},
		.ssl_redirect = true,
		.redirect_code = 308,
	};
	if (!json_is_object(data))
		return 0;
	if ((s = str_of(data, "proxy-body-size")))
		parse_size(s, &d->conf.body_max);
	if ((s = str_of(data, "proxy-connect-timeout")) && (v = parse_seconds(s)) >= 0)
		d->conf.connect_timeout_ms = (int)v * 1000;
	if ((s = str_of(data, "proxy-read-timeout")) && (v = parse_seconds(s)) >= 0)
		d->conf.read_timeout_ms = (int)v * 1000;
	if ((s = str_of(data, "proxy-send-timeout")) && (v = parse_seconds(s)) >= 0)
		d->conf.send_timeout_ms = (int)v * 1000;
	if ((s = str_of(data, "ssl-redirect")) && parse_bool(s) >= 0)
		d->ssl_redirect = parse_bool(s);
	if ((s = str_of(data, "force-ssl-redirect")) && parse_bool(s) >= 0)
		d->force_ssl_redirect = parse_bool(s);
	if ((s = str_of(data, "preserve-trailing-slash")) && parse_bool(s) >= 0)
		d->preserve_trailing_slash = parse_bool(s);
	/* config.go accepts 301, 302, 307 and 308 and keeps 308 otherwise */
	if ((s = str_of(data, "http-redirect-code")) && (v = parse_seconds(s)) >= 0 &&
	    (v == 301 || v == 302 || v == 307 || v == 308))
		d->redirect_code = (int)v;
	if ((s = str_of(data, "whitelist-source-range")) && *s) {
		const struct k1s_cidr *c;
		unsigned n;
		int r = parse_ranges(s, a, &c, &n);

		if (r == -ENOMEM)
			return r;
		if (r >= 0 || n > 0) {
			d->allow = c;
			d->nallow = n;
		}
	}
	return 0;
}

void ing_annot_defaults(const struct ing_defaults *d, struct ing_annot *an)
{
	*an = (struct ing_annot){
		.conf = d->conf,
		.ssl_redirect = d->ssl_redirect,
		.force_ssl_redirect = d->force_ssl_redirect,
		.preserve_trailing_slash = d->preserve_trailing_slash,
		.allow = d->allow,
		.nallow = d->nallow,
	};
}

/* The annotations implemented here, without the prefix. */
static const char *const supported[] = {
	"rewrite-target", "use-regex", "app-root", "ssl-redirect", "force-ssl-redirect",
	"preserve-trailing-slash", "permanent-redirect", "permanent-redirect-code",
	"temporal-redirect", "backend-protocol", "proxy-body-size", "whitelist-source-range",
	"proxy-connect-timeout", "proxy-read-timeout", "proxy-send-timeout", "upstream-vhost",
};

static bool is_supported(const char *name)
{
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		if (strcmp(name, supported[i]) == 0)
			return true;
	return false;
}

struct who {
	const char *ns, *name;
	ing_warn_fn warn;
	void *arg;
};

static void warnf(const struct who *w, const char *reason, const char *fmt, const char *a,
		  const char *b)
{
	char msg[512];

	if (!w->warn)
		return;
	snprintf(msg, sizeof(msg), fmt, a, b);
	w->warn(w->arg, w->ns, w->name, reason, msg);
}

/* redirect.go's isValidURL: url.Parse succeeds and the scheme begins with
 * "http". */
static bool valid_redirect_url(const char *s)
{
	const char *colon = strchr(s, ':');

	if (!colon || strncasecmp(s, "http", 4) != 0)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	for (const char *p = s; p < colon; p++)
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
			return false;
	return true;
}

static int get(const json_t *anns, const char *key, const char **out)
{
	char full[128];

	snprintf(full, sizeof(full), ING_ANNOT_PREFIX "%s", key);
	*out = str_of(anns, full);
	return *out != NULL;
}

static void bool_annot(const json_t *anns, const struct who *w, const char *key, bool *v)
{
	const char *s;
	int b;

	if (!get(anns, key, &s))
		return;
	b = parse_bool(s);
	if (b < 0)
		warnf(w, "InvalidAnnotation", ING_ANNOT_PREFIX "%s: \"%s\" is not a boolean", key, s);
	else
		*v = b;
}

static void timeout_annot(const json_t *anns, const struct who *w, const char *key, int *ms)
{
	const char *s;
	long v;

	if (!get(anns, key, &s))
		return;
	v = parse_seconds(s);
	if (v < 0)
		warnf(w, "InvalidAnnotation", ING_ANNOT_PREFIX "%s: \"%s\" is not a number of seconds",
		      key, s);
	else
		*ms = (int)v * 1000;
}

static int copy_str(struct ing_arena **a, const char *s, const char **out)
{
	*out = ing_arena_strndup(a, s, strlen(s));
	return *out ? 0 : -ENOMEM;
}

int ing_annot_parse(const json_t *ingress, const struct ing_defaults *d, struct ing_arena **a,
		    ing_warn_fn warn, void *arg, struct ing_annot *an)
{
	const json_t *meta = json_object_get(ingress, "metadata");
	const json_t *anns = json_object_get(meta, "annotations");
	struct who w = {str_of(meta, "namespace"), str_of(meta, "name"), warn, arg};
	const char *key, *s;
	json_t *val;

	ing_annot_defaults(d, an);
	if (!w.ns)
		w.ns = "default";
	if (!w.name)
		w.name = "";
	if (!json_is_object(anns))
		return 0;
	json_object_foreach((json_t *)anns, key, val) {
		if (strncmp(key, ING_ANNOT_PREFIX, strlen(ING_ANNOT_PREFIX)) == 0 &&
		    !is_supported(key + strlen(ING_ANNOT_PREFIX)))
			warnf(&w, "UnsupportedAnnotation",
			      "annotation %s is not implemented by k1s and has no effect%s", key, "");
	}

	if (get(anns, "rewrite-target", &s) && *s) {
		const char *qm = strchr(s, '?');

		if (copy_str(a, s, &an->rewrite_target))
			return -ENOMEM;
		an->rewrite_path = ing_arena_strndup(a, s, qm ? (size_t)(qm - s) : strlen(s));
		if (!an->rewrite_path || (qm && copy_str(a, qm + 1, &an->rewrite_args)))
			return -ENOMEM;
	}
	bool_annot(anns, &w, "use-regex", &an->use_regex);
	bool_annot(anns, &w, "ssl-redirect", &an->ssl_redirect);
	bool_annot(anns, &w, "force-ssl-redirect", &an->force_ssl_redirect);
	bool_annot(anns, &w, "preserve-trailing-slash", &an->preserve_trailing_slash);
	if (get(anns, "app-root", &s) && *s) {
		/* rewrite/main.go: a request URI, not an absolute URL */
		if (s[0] != '/' || strpbrk(s, " \t\r\n"))
			warnf(&w, "InvalidAnnotation",
			      ING_ANNOT_PREFIX "app-root: \"%s\" is not a path%s", s, "");
		else if (copy_str(a, s, &an->app_root))
			return -ENOMEM;
	}

	/* redirect.go: temporal-redirect first, then permanent-redirect with
	 * permanent-redirect-code (300 to 308, else 301) */
	if (get(anns, "temporal-redirect", &s) && *s) {
		if (!valid_redirect_url(s))
			warnf(&w, "InvalidAnnotation",
			      ING_ANNOT_PREFIX "temporal-redirect: \"%s\" is not an http or https URL%s",
			      s, "");
		else if (copy_str(a, s, &an->redirect_url))
			return -ENOMEM;
		an->redirect_code = 302;
	} else if (get(anns, "permanent-redirect", &s) && *s) {
		const char *code;
		long c = 301;

		/* strconv.Atoi: not a number fails the whole redirect; a
		 * number outside 300..308 is 301 */
		if (get(anns, "permanent-redirect-code", &code)) {
			char *end;

			errno = 0;
			c = strtol(code, &end, 10);
			if (!*code || isspace((unsigned char)*code) || *end || errno) {
				warnf(&w, "InvalidAnnotation",
				      ING_ANNOT_PREFIX "permanent-redirect-code: \"%s\" is not a number; "
				      "the redirect is left out%s", code, "");
				c = 0;
			} else if (c < 300 || c > 308) {
				c = 301;
			}
		}
		if (!c)
			;
		else if (!valid_redirect_url(s))
			warnf(&w, "InvalidAnnotation",
			      ING_ANNOT_PREFIX "permanent-redirect: \"%s\" is not an http or https URL%s",
			      s, "");
		else if (copy_str(a, s, &an->redirect_url))
			return -ENOMEM;
		an->redirect_code = (int)c;
	}

	if (get(anns, "backend-protocol", &s)) {
		char p[16];
		size_t n = 0;

		while (*s == ' ')
			s++;
		for (; *s && *s != ' ' && n < sizeof(p) - 1; s++)
			p[n++] = (char)toupper((unsigned char)*s);
		p[n] = 0;
		if (strcmp(p, "HTTPS") == 0)
			an->https = true;
		else if (strcmp(p, "GRPC") == 0 || strcmp(p, "GRPCS") == 0 ||
			 strcmp(p, "AJP") == 0 || strcmp(p, "FCGI") == 0)
			warnf(&w, "UnsupportedAnnotation",
			      ING_ANNOT_PREFIX "backend-protocol %s is not implemented by k1s; "
			      "the backend is spoken to in HTTP%s", p, "");
		else if (strcmp(p, "HTTP") != 0 && strcmp(p, "AUTO_HTTP") != 0)
			warnf(&w, "InvalidAnnotation",
			      ING_ANNOT_PREFIX "backend-protocol: \"%s\" is not a valid protocol; "
			      "using HTTP%s", p, "");
	}

	if (get(anns, "proxy-body-size", &s) && parse_size(s, &an->conf.body_max))
		warnf(&w, "InvalidAnnotation", ING_ANNOT_PREFIX "proxy-body-size: \"%s\" is not a size%s",
		      s, "");
	timeout_annot(anns, &w, "proxy-connect-timeout", &an->conf.connect_timeout_ms);
	timeout_annot(anns, &w, "proxy-read-timeout", &an->conf.read_timeout_ms);
	timeout_annot(anns, &w, "proxy-send-timeout", &an->conf.send_timeout_ms);
	if (get(anns, "upstream-vhost", &s) && *s && copy_str(a, s, &an->conf.vhost))
		return -ENOMEM;

	if (get(anns, "whitelist-source-range", &s)) {
		int r = parse_ranges(s, a, &an->allow, &an->nallow);

		if (r == -ENOMEM)
			return r;
		if (r < 0 && an->nallow == 0) {
			an->allow = NULL;
			/* ipwhitelist: LocationDenied, which nginx.tmpl answers 503 */
			an->denied = true;
			warnf(&w, "InvalidAnnotation",
			      ING_ANNOT_PREFIX "whitelist-source-range: \"%s\" does not contain a valid "
			      "IP address or network; the Ingress's paths answer 503%s", s, "");
		} else if (r < 0) {
			warnf(&w, "InvalidAnnotation",
			      ING_ANNOT_PREFIX "whitelist-source-range: \"%s\" has invalid entries, "
			      "left out%s", s, "");
		}
	}
	return 0;
}

/* ---- classes ---- */

static bool our_controller(const json_t *cls)
{
	const char *c = str_of(json_object_get(cls, "spec"), "controller");

	return c && (strcmp(c, "k8s.io/ingress-nginx") == 0 || strcmp(c, "k1s.io/ingress") == 0);
}

static bool our_class_name(const struct ing_world *w, const char *name)
{
	const json_t *cls = json_object_get(w->classes, name);

	if (cls)
		return our_controller(cls);
	return strcmp(name, "nginx") == 0 || strcmp(name, "k1s") == 0;
}

bool ing_class_ours(const struct ing_world *w, const json_t *ing)
{
	return ing_class_ours_of(w, str_of(json_object_get(ing, "spec"), "ingressClassName"),
				 json_object_get(json_object_get(ing, "metadata"), "annotations"));
}

bool ing_class_ours_of(const struct ing_world *w, const char *name, const json_t *anns)
{
	const char *ann = str_of(anns, "kubernetes.io/ingress.class");
	const char *key;
	json_t *cls;
	bool any_default = false;

	if (name)
		return our_class_name(w, name);
	if (ann)
		return strcmp(ann, "nginx") == 0 || strcmp(ann, "k1s") == 0;
	json_object_foreach((json_t *)w->classes, key, cls) {
		const json_t *ca = json_object_get(json_object_get(cls, "metadata"), "annotations");
		const char *d = str_of(ca, "ingressclass.kubernetes.io/is-default-class");

		if (d && strcmp(d, "true") == 0) {
			if (our_controller(cls))
				return true;
			any_default = true;
		}
	}
	return !any_default;
}
