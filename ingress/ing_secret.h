/* The Secrets that the tls sections of Ingresses name: read and checked
 * as ingress-nginx controller-v1.9.0 reads them
 * (internal/ingress/controller/store/backend_ssl.go getPemCertificate():
 * any type of Secret with tls.crt and tls.key, the key the certificate's),
 * and given to hosts as its createServers() gives them (controller.go:
 * the oldest Ingress with a tls section first, the Secret of the tls entry
 * that lists the host, else one whose certificate covers it; a Secret
 * missing or bad, or a certificate that does not cover the host: the
 * default certificate). */
#ifndef ING_SECRET_H
#define ING_SECRET_H

#include <stddef.h>

#include <jansson.h>

#include "ing_route.h"

/* tls.crt and tls.key, decoded: NUL-terminated PEM. */
struct ing_keypair {
	char *crt, *key;
	size_t crt_len, key_len;
};

/* Decodes a Secret's tls.crt and tls.key (base64, as the API keeps data)
 * and checks them with k1s_pki_check_pair(). 0; -EINVAL with
 * ingress-nginx's words for what is wrong in err (name is the Secret's
 * "namespace/name", for them); -ENOMEM. On failure kp holds nothing. */
int ing_secret_keypair(const json_t *secret, const char *name, struct ing_keypair *kp,
		       char *err, size_t errlen);
/* Wipes the key and frees both. */
void ing_keypair_wipe(struct ing_keypair *kp);

/* Finds a Secret by "namespace/name": the object, or NULL when absent. */
typedef const json_t *(*ing_secret_get_fn)(void *arg, const char *key);

struct ing_certs;

/* What the checks of Secrets found, kept from one build to the next: a
 * Secret whose type and data are unchanged is not decoded and checked
 * again. Holds the decoded keys: free wipes them. */
struct ing_secret_cache;
struct ing_secret_cache *ing_secret_cache_new(void);	/* NULL: out of memory */
void ing_secret_cache_free(struct ing_secret_cache *c);	/* NULL is fine */

/* The certificates to serve, from the Ingresses of our classes in w and
 * the Secrets get finds, each parsed once per loop (ing_certs.h), with
 * the checks of the last build kept in cache (NULL: none; it forgets the
 * Secrets this build did not ask for). Names
 * each Secret it asks for in `named` ("namespace/name" -> true), so that
 * the caller knows which Secrets matter. Warns for each host given the
 * default certificate for a reason ingress-nginx logs. NULL only when out
 * of memory. */
struct ing_certs *ing_secret_certs(const struct ing_world *w, ing_secret_get_fn get,
				   void *get_arg, struct ing_secret_cache *cache, json_t *named,
				   ing_warn_fn warn, void *warn_arg, int nloops);

#endif
