/* The certificates served by host (see ing_certs.h): one entry per host,
 * each with a parsed chain and key per loop. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/platform_util.h>

#include "ing_certs.h"
#include "ing_tls_pk.h"
#include "k1s_log.h"

struct ing_pair {
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
};

struct ing_cert_ent {
	char *host;
	struct ing_pair *per_loop;	/* nloops of them */
};

struct ing_certs {
	size_t n;
	int nloops;
	struct ing_cert_ent *ent;
};

/* mbedTLS reads PEM only with its NUL counted: a copy, wiped after. */
static unsigned char *nul_copy(const char *p, size_t n)
{
	unsigned char *c = malloc(n + 1);

	if (c) {
		memcpy(c, p, n);
		c[n] = 0;
	}
	return c;
}

static void wipe_free(unsigned char *p, size_t n)
{
	if (!p)
		return;
	mbedtls_platform_zeroize(p, n);
	free(p);
}

static void pair_free(struct ing_pair *p)
{
	mbedtls_x509_crt_free(&p->chain);
	mbedtls_pk_free(&p->key);	/* zeroizes the key */
}

/* 0, -1 when the bytes do not parse, -2 when out of memory. */
static int pair_parse(struct ing_pair *p, const struct ing_cert_src *s)
{
	unsigned char *crt = nul_copy(s->crt, s->crt_len), *key = nul_copy(s->key, s->key_len);
	int r = -2;

	mbedtls_x509_crt_init(&p->chain);
	mbedtls_pk_init(&p->key);
	if (crt && key) {
		r = mbedtls_x509_crt_parse(&p->chain, crt, s->crt_len + 1) == 0 &&
			    mbedtls_pk_parse_key(&p->key, key, s->key_len + 1, NULL, 0) == 0
			? 0
			: -1;
	}
	wipe_free(crt, s->crt_len + 1);
	wipe_free(key, s->key_len + 1);
	if (r == 0)
		(void)ing_tls_pk_offload(&p->key);	/* else mbedTLS signs, slower */
	if (r < 0)
		pair_free(p);
	return r;
}

static const struct ing_cert_ent *lookup(const struct ing_certs *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->ent[i].host) == len && strncasecmp(c->ent[i].host, name, len) == 0)
			return &c->ent[i];
	return NULL;
}

struct ing_certs *ing_certs_build(const struct ing_cert_src *src, size_t n, int nloops)
{
	struct ing_certs *c = calloc(1, sizeof(*c));

	if (nloops < 1)
		nloops = 1;
	if (!c || !(c->ent = calloc(n ? n : 1, sizeof(*c->ent)))) {
		free(c);
		return NULL;
	}
	c->nloops = nloops;
	for (size_t i = 0; i < n; i++) {
		struct ing_cert_ent *e = &c->ent[c->n];
		int r = 0, k;

		if (!src[i].host || !*src[i].host || lookup(c, src[i].host, strlen(src[i].host)))
			continue;
		e->host = strdup(src[i].host);
		e->per_loop = calloc((size_t)nloops, sizeof(*e->per_loop));
		if (!e->host || !e->per_loop) {
			r = -2;
			k = 0;
		} else {
			for (k = 0; k < nloops && (r = pair_parse(&e->per_loop[k], &src[i])) == 0; k++)
				;
		}
		if (r < 0) {
			while (k-- > 0)
				pair_free(&e->per_loop[k]);
			free(e->per_loop);
			free(e->host);
			e->host = NULL;
			if (r == -2) {
				ing_certs_free(c);
				return NULL;
			}
			k1s_warn("ingress", "certificate of %s for %s does not parse: left out",
				 src[i].secret ? src[i].secret : "?", src[i].host);
			continue;
		}
		c->n++;
	}
	return c;
}

void ing_certs_free(struct ing_certs *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		for (int k = 0; k < c->nloops; k++)
			pair_free(&c->ent[i].per_loop[k]);
		free(c->ent[i].per_loop);
		free(c->ent[i].host);
	}
	free(c->ent);
	free(c);
}

/* ingress-nginx's server_name: the exact name, else "*.rest" for a name
 * with one more label in front. */
static const struct ing_cert_ent *match(const struct ing_certs *c, const char *name, size_t len)
{
	const struct ing_cert_ent *e;
	const char *dot;
	char wild[256];

	if (!c || len == 0)
		return NULL;
	if ((e = lookup(c, name, len)))
		return e;
	dot = memchr(name, '.', len);
	if (!dot || dot == name || (size_t)(name + len - dot) + 1 > sizeof(wild))
		return NULL;
	wild[0] = '*';
	memcpy(wild + 1, dot, (size_t)(name + len - dot));
	return lookup(c, wild, (size_t)(name + len - dot) + 1);
}

int ing_certs_find(const struct ing_certs *c, int loop, const char *name, size_t len,
		   mbedtls_x509_crt **chain, mbedtls_pk_context **key)
{
	const struct ing_cert_ent *e = match(c, name, len);

	if (!e || loop < 0)
		return -1;
	*chain = &e->per_loop[loop % c->nloops].chain;
	*key = &e->per_loop[loop % c->nloops].key;
	return 0;
}

int ing_certs_has(const struct ing_certs *c, const char *host, size_t len)
{
	return match(c, host, len) != NULL;
}

size_t ing_certs_count(const struct ing_certs *c)
{
	return c ? c->n : 0;
}
