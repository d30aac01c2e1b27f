/* The certificates the ingress serves on its TLS port: for each host in
 * the tls sections of the Ingresses it handles, the chain and key of the
 * Secret named there. Built on the control thread from Secrets that have
 * passed k1s_pki_check_pair(); immutable afterwards, and read by the loops
 * through the snapshot.
 *
 * Each Secret is parsed once per loop: mbedTLS fills an EC group's
 * precomputed tables lazily, on first use of a key, so one parsed key
 * signed with from two threads at once would race.
 *
 * Hosts match as ingress-nginx's servers do: the exact name (any case),
 * else a "*.rest" entry for a name with one more label in front. */
#ifndef ING_CERTS_H
#define ING_CERTS_H

#include <stddef.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

/* One host's Secret, as decoded bytes (tls.crt and tls.key). */
struct ing_cert_src {
	const char *host;		/* from spec.tls[].hosts */
	const char *secret;		/* "namespace/name", for log lines */
	const char *crt;
	size_t crt_len;
	const char *key;
	size_t key_len;
};

struct ing_certs;

/* Parses n sources into nloops copies. Sources that do not parse (they
 * should not reach here) are left out with a log line. Hosts named twice
 * keep the first. NULL only when out of memory. */
struct ing_certs *ing_certs_build(const struct ing_cert_src *src, size_t n, int nloops);
/* Wipes the keys and frees. NULL is fine. */
void ing_certs_free(struct ing_certs *c);

/* The chain and key for a TLS server name (SNI, any case, len bytes) on
 * loop `loop`: 0, or -1 when no host matches (the default certificate is
 * then the caller's). Allocates nothing; safe from every loop at once. */
int ing_certs_find(const struct ing_certs *c, int loop, const char *name, size_t len,
		   mbedtls_x509_crt **chain, mbedtls_pk_context **key);

/* Whether a host has a certificate: ssl-redirect applies to it. */
int ing_certs_has(const struct ing_certs *c, const char *host, size_t len);

/* How many hosts the table holds, for log lines. */
size_t ing_certs_count(const struct ing_certs *c);

#endif
