/* The Secrets of tls sections: decoded and checked, and given to hosts
 * (ing_secret.h), with ingress-nginx controller-v1.9.0's words for what
 * goes wrong: backend_ssl.go getPemCertificate(), controller.go
 * createServers() and extractTLSSecretName(). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "ing_annot.h"
#include "ing_certs.h"
#include "ing_secret.h"
#include "k1s_json.h"
#include "k1s_pki.h"

static const char *str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* One key of data, decoded: 0, -ENOENT when absent, -EINVAL when not a
 * base64 string, -ENOMEM. */
static int decode(const json_t *data, const char *name, char **out, size_t *len)
{
	const json_t *v = json_object_get(data, name);

	if (!v)
		return -ENOENT;
	if (!json_is_string(v))
		return -EINVAL;
	return k1s_pki_b64_decode(json_string_value(v), json_string_length(v), out, len);
}

void ing_keypair_wipe(struct ing_keypair *kp)
{
	if (kp->key)
		mbedtls_platform_zeroize(kp->key, kp->key_len);
	free(kp->key);
	free(kp->crt);
	memset(kp, 0, sizeof(*kp));
}

int ing_secret_keypair(const json_t *secret, const char *name, struct ing_keypair *kp,
		       char *err, size_t errlen)
{
	const json_t *data = json_object_get(secret, "data");
	char why[200];
	int ec, ek;

	memset(kp, 0, sizeof(*kp));
	ec = decode(data, "tls.crt", &kp->crt, &kp->crt_len);
	ek = decode(data, "tls.key", &kp->key, &kp->key_len);
	if (ec == -ENOMEM || ek == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
		ing_keypair_wipe(kp);
		return -ENOMEM;
	}
	if (ec == -ENOENT && ek == -ENOENT)
		snprintf(err, errlen, "secret \"%s\" contains no keypair or CA certificate", name);
	else if (ec == -ENOENT || ek == -ENOENT)
		snprintf(err, errlen, "key '%s' missing from Secret \"%s\"",
			 ec == -ENOENT ? "tls.crt" : "tls.key", name);
	else if (ec < 0 || ek < 0)
		/* Go's json decoding of a []byte field, as client-go reads it */
		snprintf(err, errlen, "key '%s' of Secret \"%s\": illegal base64 data",
			 ec < 0 ? "tls.crt" : "tls.key", name);
	else if (k1s_pki_check_pair(kp->crt, kp->crt_len, kp->key, kp->key_len, why,
				    sizeof(why)) < 0)
		snprintf(err, errlen, "unexpected error creating SSL Cert: %s", why);
	else
		return 0;
	ing_keypair_wipe(kp);
	return -EINVAL;
}

/* ---- hosts and their Secrets ---- */

/* A Secret as last read: kept from build to build while a tls section
 * names it. */
struct loaded {
	char key[320];
	json_t *type, *data;		/* what it was read from; NULL: absent */
	int rc;				/* 0, -ENOENT (absent), -EINVAL (bad), 1 (not read) */
	char err[320];
	struct ing_keypair kp;
	bool used;			/* asked for in this build */
};

struct ing_secret_cache {
	struct loaded **e;		/* each apart: sources point into them */
	size_t n, cap;
	json_t *index;			/* "ns/name" -> its place in e */
};

struct ing_secret_cache *ing_secret_cache_new(void)
{
	struct ing_secret_cache *c = calloc(1, sizeof(*c));

	if (c && !(c->index = json_object())) {
		free(c);
		return NULL;
	}
	return c;
}

static void loaded_clear(struct loaded *l)
{
	ing_keypair_wipe(&l->kp);
	json_decref(l->type);
	json_decref(l->data);
	l->type = l->data = NULL;
}

void ing_secret_cache_free(struct ing_secret_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		loaded_clear(c->e[i]);
		free(c->e[i]);
	}
	free(c->e);
	json_decref(c->index);
	free(c);
}

/* Forgets the Secrets this build did not ask for. */
static int cache_prune(struct ing_secret_cache *c)
{
	size_t k = 0;
	int err = 0;

	json_object_clear(c->index);
	for (size_t i = 0; i < c->n; i++) {
		struct loaded *l = c->e[i];

		if (!l->used) {
			loaded_clear(l);
			free(l);
			continue;
		}
		l->used = false;
		c->e[k] = l;
		if (json_object_set_new(c->index, l->key, json_integer((json_int_t)k)) < 0)
			err = -ENOMEM;
		k++;
	}
	c->n = k;
	return err;
}

struct build {
	ing_secret_get_fn get;
	void *get_arg;
	json_t *named;
	struct ing_secret_cache *cache;
	struct ing_cert_src *src;
	size_t nsrc, capsrc;
	char **hosts;			/* lower case, for the sources */
	json_t *done;			/* servers with a certificate already */
	bool nomem;
};

static bool same(const json_t *a, const json_t *b)
{
	return a == b || json_equal(a, b);
}

static struct loaded *entry(struct build *b, const char *key)
{
	struct ing_secret_cache *c = b->cache;
	const json_t *at = json_object_get(c->index, key);
	struct loaded *l;

	if (at)
		return c->e[json_integer_value(at)];
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct loaded **n = realloc(c->e, cap * sizeof(*n));

		if (!n)
			return NULL;
		c->e = n;
		c->cap = cap;
	}
	if (!(l = calloc(1, sizeof(*l))))
		return NULL;
	if (json_object_set_new(c->index, key, json_integer((json_int_t)c->n)) < 0) {
		free(l);
		return NULL;
	}
	snprintf(l->key, sizeof(l->key), "%s", key);
	l->rc = 1;
	c->e[c->n++] = l;
	return l;
}

/* A Secret's pair, decoded and checked again only when what it holds
 * changed: a P-256 pair check is a scalar multiplication, about a
 * millisecond, and a build runs at each change of an Ingress, a Service
 * or an endpoint. */
static struct loaded *load(struct build *b, const char *ns, const char *name)
{
	char key[320];
	const json_t *obj, *type, *data;
	struct loaded *l;

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	if (!(l = entry(b, key))) {
		b->nomem = true;
		return NULL;
	}
	if (l->used)
		return l;
	l->used = true;
	if (b->named && json_object_set_new(b->named, key, json_true()) < 0)
		b->nomem = true;
	obj = b->get(b->get_arg, key);
	type = json_object_get(obj, "type");
	data = json_object_get(obj, "data");
	if (obj ? (l->rc == 0 || l->rc == -EINVAL) && same(l->type, type) && same(l->data, data)
		: l->rc == -ENOENT)
		return l;
	loaded_clear(l);
	if (!obj) {
		/* local_secret.go: the store holds no certificate of it */
		l->rc = -ENOENT;
		snprintf(l->err, sizeof(l->err), "local SSL certificate %s was not found", key);
		return l;
	}
	l->type = json_incref((json_t *)type);
	l->data = json_incref((json_t *)data);
	l->rc = ing_secret_keypair(obj, key, &l->kp, l->err, sizeof(l->err));
	if (l->rc == -ENOMEM) {
		b->nomem = true;
		loaded_clear(l);
		l->rc = 1;		/* read again next time */
	}
	return l;
}

static void add(struct build *b, const char *host, const struct loaded *l)
{
	if (b->nsrc == b->capsrc) {
		size_t cap = b->capsrc ? b->capsrc * 2 : 8;
		struct ing_cert_src *n = realloc(b->src, cap * sizeof(*n));
		char **h = realloc(b->hosts, cap * sizeof(*h));

		if (h)
			b->hosts = h;
		if (n)
			b->src = n;
		if (!n || !h) {
			b->nomem = true;
			return;
		}
		b->capsrc = cap;
	}
	if (!(b->hosts[b->nsrc] = strdup(host))) {
		b->nomem = true;
		return;
	}
	b->src[b->nsrc] = (struct ing_cert_src){b->hosts[b->nsrc], l->key, l->kp.crt,
						l->kp.crt_len, l->kp.key, l->kp.key_len};
	b->nsrc++;
}

static bool ieq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* extractTLSSecretName(): the tls entry that lists the host, else one
 * whose certificate covers it; NULL for none ("" is a listed entry
 * without a secretName). */
static const char *secret_name(struct build *b, const char *ns, const char *host,
			       const json_t *tls)
{
	const json_t *t, *h;
	size_t i, j;

	json_array_foreach(tls, i, t)
		json_array_foreach(json_object_get(t, "hosts"), j, h)
			if (ieq(json_string_value(h), host))
				return str_of(t, "secretName") ?: "";
	json_array_foreach(tls, i, t) {
		const char *name = str_of(t, "secretName");
		const struct loaded *l;

		if (!name || !*name || !(l = load(b, ns, name)) || l->rc)
			continue;
		if (k1s_pki_cert_covers(l->kp.crt, l->kp.crt_len, host))
			return name;
	}
	return NULL;
}

static void warn_of(ing_warn_fn warn, void *arg, const json_t *ing, const char *reason,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void warn_of(ing_warn_fn warn, void *arg, const json_t *ing, const char *reason,
		    const char *fmt, ...)
{
	const json_t *meta = json_object_get(ing, "metadata");
	char msg[768];
	va_list ap;

	if (!warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn(arg, str_of(meta, "namespace") ?: "default", str_of(meta, "name") ?: "", reason,
	     msg);
}

/* One Ingress's servers, as createServers() gives them certificates. */
static void servers_of(struct build *b, const json_t *ing, ing_warn_fn warn, void *warn_arg)
{
	const json_t *spec = json_object_get(ing, "spec"), *rule;
	const json_t *tls = json_object_get(spec, "tls");
	const char *ns = k1s_json_str(ing, "metadata.namespace") ?: "default";
	size_t i;

	if (json_array_size(tls) == 0)
		return;
	json_array_foreach(json_object_get(spec, "rules"), i, rule) {
		const char *rh = str_of(rule, "host"), *name;
		const struct loaded *l;
		char host[256];
		size_t n;

		/* the catch-all has the default certificate from the start */
		if (!rh || !*rh || (n = strlen(rh)) >= sizeof(host))
			continue;
		for (size_t k = 0; k <= n; k++)
			host[k] = (char)tolower((unsigned char)rh[k]);
		/* only a server without a certificate gets one */
		if (json_object_get(b->done, host))
			continue;
		if (json_object_set_new(b->done, host, json_true()) < 0) {
			b->nomem = true;
			return;
		}
		name = secret_name(b, ns, host, tls);
		if (!name || !*name)
			continue;	/* the default certificate, said at V(3) only */
		if (!(l = load(b, ns, name)))
			return;
		if (l->rc == -ENOENT)
			warn_of(warn, warn_arg, ing, "SecretNotFound",
				"Error getting SSL certificate \"%s\": %s. Using default certificate",
				l->key, l->err);
		else if (l->rc)
			warn_of(warn, warn_arg, ing, "InvalidSecret",
				"Error obtaining X.509 certificate: %s. Using default certificate "
				"for server \"%s\"", l->err, host);
		else if (!k1s_pki_cert_covers(l->kp.crt, l->kp.crt_len, host))
			warn_of(warn, warn_arg, ing, "CertificateHostMismatch",
				"SSL certificate \"%s\" does not contain a Common Name or Subject "
				"Alternative Name for server \"%s\". Using default certificate",
				l->key, host);
		else
			add(b, host, l);
	}
}

struct aged {
	const json_t *ing;
	const char *key, *created;
};

/* store.go sortIngressSlice(), as the routing table orders them. */
static int by_age(const void *pa, const void *pb)
{
	const struct aged *a = pa, *b = pb;
	int c = strcmp(a->created, b->created);

	return c ? c : -strcmp(a->key, b->key);
}

struct ing_certs *ing_secret_certs(const struct ing_world *w, ing_secret_get_fn get,
				   void *get_arg, struct ing_secret_cache *cache, json_t *named,
				   ing_warn_fn warn, void *warn_arg, int nloops)
{
	struct build b = {.get = get, .get_arg = get_arg, .named = named, .done = json_object(),
			  .cache = cache ? cache : ing_secret_cache_new()};
	size_t n = 0, cap = json_object_size(w->ingresses);
	struct aged *ings = calloc(cap ? cap : 1, sizeof(*ings));
	struct ing_certs *certs = NULL;
	const char *key;
	json_t *ing;

	if (!ings || !b.done || !b.cache)
		goto out;
	json_object_foreach((json_t *)w->ingresses, key, ing) {
		if (json_array_size(k1s_json_path(ing, "spec.tls")) == 0 ||
		    !ing_class_ours(w, ing))
			continue;
		ings[n].ing = ing;
		ings[n].key = key;
		ings[n++].created = k1s_json_str(ing, "metadata.creationTimestamp") ?: "";
	}
	qsort(ings, n, sizeof(*ings), by_age);
	for (size_t i = 0; i < n && !b.nomem; i++)
		servers_of(&b, ings[i].ing, warn, warn_arg);
	if (!b.nomem)
		certs = ing_certs_build(b.src, b.nsrc, nloops);
out:
	if (cache && cache_prune(cache) < 0) {
		ing_certs_free(certs);
		certs = NULL;
	}
	if (!cache)
		ing_secret_cache_free(b.cache);
	for (size_t i = 0; i < b.nsrc; i++)
		free(b.hosts[i]);
	free(b.hosts);
	free(b.src);
	free(ings);
	json_decref(b.done);
	return certs;
}
