/* Keys and X.509 certificates, on mbedTLS: the cluster CA, the
 * certificates it issues for Ingress hosts, the ingress's fake default
 * certificate, and the checks a kubernetes.io/tls Secret gets before it
 * is served. Everything goes in and out as PEM text.
 *
 * Keys are ECDSA P-256. Serial numbers are 128 random bits, as
 * cert-manager's. Every buffer that held a private key is wiped before it
 * is freed: free PEM from here with k1s_pki_free().
 *
 * Thread-safe: each call keeps its own entropy and DRBG. */
#ifndef K1S_PKI_H
#define K1S_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct k1s_cert_req {
	const char *common_name;	    /* subject CN, or NULL */
	const char *organization;	    /* subject O, or NULL */
	const char *const *dns_names;	    /* SANs, NULL-terminated, or NULL */
	const char *const *ip_addresses;    /* IP SANs (v4 or v6 text), or NULL */
	time_t not_before, not_after;
	bool is_ca;			    /* basicConstraints CA:TRUE, keyCertSign */
};

/* A new ECDSA P-256 private key in PEM ("EC PRIVATE KEY").
 * 0, or a negative errno (-ENOMEM, -EIO for a library failure). */
int k1s_pki_key_new(char **key_pem);

/* A certificate for key_pem's key, signed by that key. For a server
 * certificate (not is_ca) the extended key usage is serverAuth and the
 * key usage digitalSignature and keyEncipherment, as cert-manager's.
 * 0 or a negative errno; -EINVAL for a key or request that does not
 * parse. */
int k1s_pki_self_signed(const struct k1s_cert_req *req, const char *key_pem,
			char **cert_pem);

/* A certificate for key_pem's public key, signed by the CA. The issuer
 * name is the CA certificate's subject; the authority key identifier is
 * its subject key identifier, so that chains verify with openssl verify.
 * 0 or a negative errno; -EINVAL for input that does not parse. */
int k1s_pki_issue(const struct k1s_cert_req *req, const char *key_pem, const char *ca_cert_pem,
		  const char *ca_key_pem, char **cert_pem);

struct k1s_cert_info {
	time_t not_before, not_after;
	char common_name[256];		/* "" when the subject has none */
	char issuer[256];		/* the issuer's DN, one line */
	bool is_ca;
};

/* Reads the first certificate of a PEM bundle (len bytes, no NUL needed).
 * 0, or -EINVAL with a one-line reason in err. */
int k1s_pki_cert_info(const char *pem, size_t len, struct k1s_cert_info *info, char *err,
		      size_t errlen);

/* Whether name (a host) is one the first certificate of pem covers, by
 * its DNS SANs (one leading "*." label matches one label), or its CN when
 * it has no SANs. */
bool k1s_pki_cert_covers(const char *pem, size_t len, const char *name);

/* Checks what a Secret of type kubernetes.io/tls carries, as decoded
 * bytes: tls.crt is one or more PEM certificates, tls.key a PEM private
 * key (PKCS#1, SEC1 or PKCS#8; RSA or EC), and the key is the first
 * certificate's. 0, or -EINVAL with a one-line reason in err. */
int k1s_pki_check_pair(const char *crt, size_t crt_len, const char *key, size_t key_len,
		       char *err, size_t errlen);

/* Base64 as a Secret's data carries bytes, on mbedTLS's codec: the
 * decoded bytes of s (slen bytes), NUL-terminated, in *out and their
 * count in *len. 0, -EINVAL for text that is not base64, -ENOMEM. Free
 * with k1s_pki_free(), which wipes up to the first NUL: wipe all *len
 * bytes first where they may be a DER key. */
int k1s_pki_b64_decode(const char *s, size_t slen, char **out, size_t *len);
/* n bytes as base64 text, NUL-terminated (free with k1s_pki_free()), or
 * NULL when out of memory. */
char *k1s_pki_b64_encode(const void *p, size_t n);

/* Wipes a PEM (or any NUL-terminated secret) and frees it. NULL is fine. */
void k1s_pki_free(char *pem);

#endif
