/* Keys and certificates on mbedTLS 2.28: see k1s_pki.h. Certificates are
 * shaped as cert-manager's (pkg/util/pki): a 128-bit serial, SHA-256
 * signatures, subject and authority key identifiers, basic constraints,
 * and for servers the key usages digitalSignature, keyEncipherment and
 * the extended key usage serverAuth. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>

#include "k1s_pki.h"

#define KEY_PEM_MAX 1024

/* MBEDTLS_ASN1_CHK_ADD that jumps to cleanup: 2.28 has only the return. */
#define ASN1_ADD(g, f)                                                                             \
	do {                                                                                       \
		if ((ret = (f)) < 0)                                                               \
			goto cleanup;                                                              \
		(g) += ret;                                                                        \
	} while (0)

#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_CERT_END "-----END CERTIFICATE-----"

/* A DRBG of its own per call, so that calls need no lock. */
struct rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

static int rng_init(struct rng *r)
{
	static const unsigned char pers[] = "k1s-pki";

	mbedtls_entropy_init(&r->entropy);
	mbedtls_ctr_drbg_init(&r->drbg);
	if (mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy, pers,
	                          sizeof(pers) - 1) != 0)
		return -EIO;
	return 0;
}

static void rng_free(struct rng *r)
{
	mbedtls_ctr_drbg_free(&r->drbg);
	mbedtls_entropy_free(&r->entropy);
}

/* mbedTLS's error codes as errno: allocation failures are -ENOMEM, the
 * rest is the library's own failure. */
static int lib_err(int ret)
{
	switch (ret) {
	case 0:
		return 0;
	case MBEDTLS_ERR_MPI_ALLOC_FAILED:
	case MBEDTLS_ERR_X509_ALLOC_FAILED:
	case MBEDTLS_ERR_PK_ALLOC_FAILED:
	case MBEDTLS_ERR_ASN1_ALLOC_FAILED:
	case MBEDTLS_ERR_ECP_ALLOC_FAILED:
	case MBEDTLS_ERR_PEM_ALLOC_FAILED:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* A copy of len bytes with a NUL after them, as mbedTLS's PEM readers
 * want; wiped on free since it may hold a key. */
static unsigned char *nul_copy(const char *s, size_t len)
{
	unsigned char *p = malloc(len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static void wipe_free(void *p, size_t len)
{
	if (p) {
		mbedtls_platform_zeroize(p, len);
		free(p);
	}
}

void k1s_pki_free(char *pem)
{
	if (pem)
		wipe_free(pem, strlen(pem));
}

int k1s_pki_b64_decode(const char *s, size_t slen, char **out, size_t *len)
{
	const unsigned char *src = (const unsigned char *)s;
	size_t n = 0;
	char *buf;

	if (mbedtls_base64_decode(NULL, 0, &n, src, slen) == MBEDTLS_ERR_BASE64_INVALID_CHARACTER)
		return -EINVAL;
	buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	if (mbedtls_base64_decode((unsigned char *)buf, n, &n, src, slen) != 0) {
		free(buf);
		return -EINVAL;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

char *k1s_pki_b64_encode(const void *p, size_t n)
{
	size_t cap = 4 * ((n + 2) / 3) + 1, got = 0;
	char *out = malloc(cap);

	if (out && mbedtls_base64_encode((unsigned char *)out, cap, &got, p, n) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int parse_key(mbedtls_pk_context *pk, const char *key_pem)
{
	if (!key_pem)
		return -EINVAL;
	if (mbedtls_pk_parse_key(pk, (const unsigned char *)key_pem, strlen(key_pem) + 1, NULL,
	                         0) != 0)
		return -EINVAL;
	return 0;
}

int k1s_pki_key_new(char **key_pem)
{
	unsigned char buf[KEY_PEM_MAX];
	mbedtls_pk_context pk;
	struct rng rng;
	int ret;

	*key_pem = NULL;
	mbedtls_pk_init(&pk);
	if ((ret = rng_init(&rng)) < 0)
		goto out;
	ret = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (ret == 0)
		ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk),
		                          mbedtls_ctr_drbg_random, &rng.drbg);
	if (ret == 0)
		ret = mbedtls_pk_write_key_pem(&pk, buf, sizeof(buf));
	if ((ret = lib_err(ret)) == 0 && !(*key_pem = strdup((char *)buf)))
		ret = -ENOMEM;
out:
	mbedtls_platform_zeroize(buf, sizeof(buf));
	mbedtls_pk_free(&pk);
	rng_free(&rng);
	return ret;
}

/* Prepends one attribute to a name list for the writer, which writes a
 * list last entry first. */
static int name_add(mbedtls_asn1_named_data **list, const char *oid, size_t oid_len, int tag,
                    const unsigned char *val, size_t val_len)
{
	mbedtls_asn1_named_data *n = mbedtls_calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->oid.tag = MBEDTLS_ASN1_OID;
	n->oid.len = oid_len;
	n->oid.p = mbedtls_calloc(1, oid_len ? oid_len : 1);
	n->val.tag = tag;
	n->val.len = val_len;
	n->val.p = mbedtls_calloc(1, val_len ? val_len : 1);
	n->next = *list;
	*list = n;
	if (!n->oid.p || !n->val.p)
		return -ENOMEM;
	memcpy(n->oid.p, oid, oid_len);
	memcpy(n->val.p, val, val_len);
	return 0;
}

/* The subject as Go's pkix.Name writes it, which cert-manager's
 * certificates show: O before CN. Built as a list, not from the text
 * form, so that any character in a name is taken as it is. */
static int subject_of(const struct k1s_cert_req *req, mbedtls_asn1_named_data **list)
{
	int ret = 0;

	if (req->organization)
		ret = name_add(list, MBEDTLS_OID_AT_ORGANIZATION,
		               MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORGANIZATION),
		               MBEDTLS_ASN1_UTF8_STRING, (const unsigned char *)req->organization,
		               strlen(req->organization));
	if (ret == 0 && req->common_name)
		ret = name_add(list, MBEDTLS_OID_AT_CN, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN),
		               MBEDTLS_ASN1_UTF8_STRING, (const unsigned char *)req->common_name,
		               strlen(req->common_name));
	return ret;
}

/* The CA's subject, byte for byte, as the issuer: parsed names come first
 * attribute first, the writer wants them last first. */
static int issuer_of(const mbedtls_x509_crt *ca, mbedtls_asn1_named_data **list)
{
	for (const mbedtls_x509_name *n = &ca->subject; n; n = n->next) {
		int ret;

		if (!n->oid.p)
			continue;
		ret = name_add(list, (const char *)n->oid.p, n->oid.len, n->val.tag, n->val.p,
		               n->val.len);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The certificate's subject key identifier, found by walking its raw
 * extensions: mbedTLS 2.28 parses that extension without keeping it. */
static int find_ski(const mbedtls_x509_crt *crt, const unsigned char **id, size_t *id_len)
{
	unsigned char *p = crt->v3_ext.p, *end;
	size_t len;

	if (!p || mbedtls_asn1_get_tag(&p, p + crt->v3_ext.len, &len,
	                               MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
		return -ENOENT;
	end = p + len;
	while (p < end) {
		unsigned char *ext_end, *oid;
		size_t oid_len;
		int critical;

		if (mbedtls_asn1_get_tag(&p, end, &len,
		                         MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
			return -ENOENT;
		ext_end = p + len;
		if (mbedtls_asn1_get_tag(&p, ext_end, &oid_len, MBEDTLS_ASN1_OID) != 0)
			return -ENOENT;
		oid = p;
		p += oid_len;
		if (oid_len == MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER) &&
		    memcmp(oid, MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER, oid_len) == 0) {
			(void)mbedtls_asn1_get_bool(&p, ext_end, &critical);
			/* extnValue OCTET STRING { KeyIdentifier OCTET STRING } */
			if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) !=
			        0 ||
			    mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0)
				return -ENOENT;
			*id = p;
			*id_len = len;
			return 0;
		}
		p = ext_end;
	}
	return -ENOENT;
}

/* AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] ... }, holding
 * the CA's own subject key identifier: mbedTLS's setter would hash the CA
 * key instead, which differs from the identifier of a CA made elsewhere
 * and then openssl verify fails to link the two. */
static int set_aki(mbedtls_x509write_cert *w, const unsigned char *id, size_t id_len)
{
	unsigned char buf[128], *p = buf + sizeof(buf);
	int len = 0, ret;

	if (id_len > 64)
		return -EINVAL;
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(&p, buf, id, id_len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, id_len));
	MBEDTLS_ASN1_CHK_ADD(len,
	                     mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, (size_t)len));
	MBEDTLS_ASN1_CHK_ADD(
	    len, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return mbedtls_x509write_crt_set_extension(
	    w, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER), 0, p, (size_t)len);
}

/* SubjectAltName ::= SEQUENCE OF GeneralName, dNSName [2] IA5String and
 * iPAddress [7] OCTET STRING, written by hand: mbedTLS 2.28's writer has
 * no setter for it (3.x added one). Critical when the subject is empty,
 * as RFC 5280 4.2.1.6 asks. */
static int set_san(mbedtls_x509write_cert *w, const struct k1s_cert_req *req)
{
	size_t size = 16, nd = 0, na = 0;
	unsigned char *buf, *p;
	int len = 0, ret;

	while (req->dns_names && req->dns_names[nd])
		size += strlen(req->dns_names[nd++]) + 8;
	while (req->ip_addresses && req->ip_addresses[na]) {
		size += 16 + 8;
		na++;
	}
	if (nd + na == 0)
		return 0;
	if (!(buf = malloc(size)))
		return -ENOMEM;
	p = buf + size;
	/* Written back to front, so the names go in last first. */
	for (size_t i = na; i-- > 0;) {
		unsigned char ip[16];
		size_t ip_len;

		if (inet_pton(AF_INET, req->ip_addresses[i], ip) == 1)
			ip_len = 4;
		else if (inet_pton(AF_INET6, req->ip_addresses[i], ip) == 1)
			ip_len = 16;
		else {
			free(buf);
			return -EINVAL;
		}
		ASN1_ADD(len, mbedtls_asn1_write_raw_buffer(&p, buf, ip, ip_len));
		ASN1_ADD(len, mbedtls_asn1_write_len(&p, buf, ip_len));
		ASN1_ADD(len,
		         mbedtls_asn1_write_tag(
		             &p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS));
	}
	for (size_t i = nd; i-- > 0;) {
		const unsigned char *d = (const unsigned char *)req->dns_names[i];
		size_t dlen = strlen(req->dns_names[i]);

		ASN1_ADD(len, mbedtls_asn1_write_raw_buffer(&p, buf, d, dlen));
		ASN1_ADD(len, mbedtls_asn1_write_len(&p, buf, dlen));
		ASN1_ADD(len,
		         mbedtls_asn1_write_tag(
		             &p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME));
	}
	ASN1_ADD(len, mbedtls_asn1_write_len(&p, buf, (size_t)len));
	ASN1_ADD(len,
	         mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	ret = mbedtls_x509write_crt_set_extension(
	    w, MBEDTLS_OID_SUBJECT_ALT_NAME, MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
	    !req->common_name && !req->organization, p, (size_t)len);
cleanup:
	free(buf);
	return lib_err(ret);
}

/* ExtKeyUsageSyntax ::= SEQUENCE { id-kp-serverAuth }. */
static int set_server_auth(mbedtls_x509write_cert *w)
{
	static const unsigned char eku[] = {0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06,
	                                    0x01, 0x05, 0x05, 0x07, 0x03, 0x01};

	return mbedtls_x509write_crt_set_extension(w, MBEDTLS_OID_EXTENDED_KEY_USAGE,
	                                           MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
	                                           0, eku, sizeof(eku));
}

static int set_serial(mbedtls_x509write_cert *w, struct rng *rng)
{
	unsigned char rnd[16];
	mbedtls_mpi serial;
	int ret;

	mbedtls_mpi_init(&serial);
	ret = mbedtls_ctr_drbg_random(&rng->drbg, rnd, sizeof(rnd));
	/* Positive, and never zero: the top bit clear, the next set. */
	rnd[0] = (rnd[0] & 0x7f) | 0x40;
	if (ret == 0)
		ret = mbedtls_mpi_read_binary(&serial, rnd, sizeof(rnd));
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_serial(w, &serial);
	mbedtls_mpi_free(&serial);
	return ret;
}

static int set_validity(mbedtls_x509write_cert *w, time_t from, time_t to)
{
	char nb[32], na[32];
	struct tm tm;

	if (to <= from || !gmtime_r(&from, &tm) || !strftime(nb, sizeof(nb), "%Y%m%d%H%M%S", &tm) ||
	    !gmtime_r(&to, &tm) || !strftime(na, sizeof(na), "%Y%m%d%H%M%S", &tm) ||
	    strlen(nb) != 14 || strlen(na) != 14)
		return -EINVAL;
	return mbedtls_x509write_crt_set_validity(w, nb, na) == 0 ? 0 : -EINVAL;
}

/* Writes and signs a certificate for subject's key with issuer_key; ca is
 * the issuer's certificate, or NULL when self-signed. */
static int write_cert(const struct k1s_cert_req *req, mbedtls_pk_context *subject,
                      mbedtls_pk_context *issuer_key, const mbedtls_x509_crt *ca, char **cert_pem)
{
	mbedtls_x509write_cert w;
	unsigned char *buf = NULL;
	size_t size = 4096;
	struct rng rng;
	int ret;

	*cert_pem = NULL;
	mbedtls_x509write_crt_init(&w);
	if ((ret = rng_init(&rng)) < 0)
		goto out;
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, subject);
	mbedtls_x509write_crt_set_issuer_key(&w, issuer_key);
	if ((ret = subject_of(req, &w.subject)) < 0)
		goto out;
	if (ca)
		ret = issuer_of(ca, &w.issuer);
	else
		ret = subject_of(req, &w.issuer);
	if (ret < 0 || (ret = set_validity(&w, req->not_before, req->not_after)) < 0)
		goto out;
	if ((ret = lib_err(set_serial(&w, &rng))) < 0 || (ret = set_san(&w, req)) < 0)
		goto out;
	ret = mbedtls_x509write_crt_set_basic_constraints(&w, req->is_ca, -1);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_key_usage(
		    &w, req->is_ca
		            ? MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_CERT_SIGN |
		                  MBEDTLS_X509_KU_CRL_SIGN
		            : MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_ENCIPHERMENT);
	if (ret == 0 && !req->is_ca)
		ret = set_server_auth(&w);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_subject_key_identifier(&w);
	if (ret == 0) {
		const unsigned char *id;
		size_t id_len;

		if (ca && find_ski(ca, &id, &id_len) == 0)
			ret = set_aki(&w, id, id_len);
		else
			ret = mbedtls_x509write_crt_set_authority_key_identifier(&w);
	}
	if ((ret = lib_err(ret)) < 0)
		goto out;
	for (size_t i = 0; req->dns_names && req->dns_names[i]; i++)
		size += 2 * strlen(req->dns_names[i]) + 16;
	for (size_t i = 0; req->ip_addresses && req->ip_addresses[i]; i++)
		size += 64;
	/* The estimate is generous; a large CA name or signature gets more. */
	for (;;) {
		if (!(buf = malloc(size))) {
			ret = -ENOMEM;
			goto out;
		}
		ret = mbedtls_x509write_crt_pem(&w, buf, size, mbedtls_ctr_drbg_random, &rng.drbg);
		if ((ret != MBEDTLS_ERR_ASN1_BUF_TOO_SMALL &&
		     ret != MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL) ||
		    size >= 1 << 20)
			break;
		free(buf);
		buf = NULL;
		size *= 4;
	}
	ret = lib_err(ret);
	if (ret == 0 && !(*cert_pem = strdup((char *)buf)))
		ret = -ENOMEM;
out:
	free(buf);
	mbedtls_x509write_crt_free(&w);
	rng_free(&rng);
	return ret;
}

int k1s_pki_self_signed(const struct k1s_cert_req *req, const char *key_pem, char **cert_pem)
{
	mbedtls_pk_context key;
	int ret;

	*cert_pem = NULL;
	mbedtls_pk_init(&key);
	if ((ret = parse_key(&key, key_pem)) == 0)
		ret = write_cert(req, &key, &key, NULL, cert_pem);
	mbedtls_pk_free(&key);
	return ret;
}

int k1s_pki_issue(const struct k1s_cert_req *req, const char *key_pem, const char *ca_cert_pem,
                  const char *ca_key_pem, char **cert_pem)
{
	mbedtls_pk_context key, ca_key;
	mbedtls_x509_crt ca;
	int ret;

	*cert_pem = NULL;
	mbedtls_pk_init(&key);
	mbedtls_pk_init(&ca_key);
	mbedtls_x509_crt_init(&ca);
	if ((ret = parse_key(&key, key_pem)) < 0 || (ret = parse_key(&ca_key, ca_key_pem)) < 0)
		goto out;
	if (!ca_cert_pem ||
	    mbedtls_x509_crt_parse(&ca, (const unsigned char *)ca_cert_pem,
	                           strlen(ca_cert_pem) + 1) != 0 ||
	    mbedtls_pk_check_pair(&ca.pk, &ca_key) != 0) {
		ret = -EINVAL;
		goto out;
	}
	ret = write_cert(req, &key, &ca_key, &ca, cert_pem);
out:
	mbedtls_x509_crt_free(&ca);
	mbedtls_pk_free(&ca_key);
	mbedtls_pk_free(&key);
	return ret;
}

/* Parses the PEM certificates in a NUL-terminated buffer into chain, all
 * of them: a bundle whose later blocks are cut or damaged is refused,
 * where mbedtls_x509_crt_parse() would quietly keep the first. */
static int parse_certs(mbedtls_x509_crt *chain, const unsigned char *buf, char *err, size_t errlen)
{
	const unsigned char *p = buf;
	int n = 0;

	for (;;) {
		mbedtls_pem_context pem;
		size_t used;
		int ret;

		mbedtls_pem_init(&pem);
		ret =
		    mbedtls_pem_read_buffer(&pem, PEM_CERT_BEGIN, PEM_CERT_END, p, NULL, 0, &used);
		if (ret == MBEDTLS_ERR_PEM_NO_HEADER_FOOTER_PRESENT) {
			mbedtls_pem_free(&pem);
			break;
		}
		if (ret == 0)
			ret = mbedtls_x509_crt_parse_der(chain, pem.buf, pem.buflen);
		mbedtls_pem_free(&pem);
		if (ret != 0) {
			char why[128];

			mbedtls_strerror(ret, why, sizeof(why));
			snprintf(err, errlen, "certificate %d does not parse: %s", n + 1, why);
			return -EINVAL;
		}
		n++;
		p += used;
	}
	if (strstr((const char *)p, PEM_CERT_BEGIN)) {
		snprintf(err, errlen, "certificate %d is cut short: no END line", n + 1);
		return -EINVAL;
	}
	if (n == 0) {
		snprintf(err, errlen, "no PEM certificate found");
		return -EINVAL;
	}
	return n;
}

static time_t x509_time(const mbedtls_x509_time *t)
{
	struct tm tm = {.tm_year = t->year - 1900,
	                .tm_mon = t->mon - 1,
	                .tm_mday = t->day,
	                .tm_hour = t->hour,
	                .tm_min = t->min,
	                .tm_sec = t->sec};

	return timegm(&tm);
}

/* The first certificate of a PEM bundle of len bytes. */
static int first_cert(mbedtls_x509_crt *crt, const char *pem, size_t len, char *err, size_t errlen)
{
	unsigned char *buf;
	int ret;

	if (!pem) {
		snprintf(err, errlen, "no PEM certificate found");
		return -EINVAL;
	}
	if (!(buf = nul_copy(pem, len))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = parse_certs(crt, buf, err, errlen);
	free(buf);
	return ret < 0 ? ret : 0;
}

int k1s_pki_cert_info(const char *pem, size_t len, struct k1s_cert_info *info, char *err,
                      size_t errlen)
{
	const mbedtls_x509_name *cn;
	mbedtls_x509_crt crt;
	int ret;

	memset(info, 0, sizeof(*info));
	mbedtls_x509_crt_init(&crt);
	if ((ret = first_cert(&crt, pem, len, err, errlen)) < 0)
		goto out;
	info->not_before = x509_time(&crt.valid_from);
	info->not_after = x509_time(&crt.valid_to);
	info->is_ca = crt.ca_istrue;
	if (mbedtls_x509_dn_gets(info->issuer, sizeof(info->issuer), &crt.issuer) < 0)
		info->issuer[0] = '\0';
	for (cn = &crt.subject; cn; cn = cn->next)
		if (cn->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &cn->oid) == 0) {
			size_t n = cn->val.len < sizeof(info->common_name) - 1
			               ? cn->val.len
			               : sizeof(info->common_name) - 1;

			memcpy(info->common_name, cn->val.p, n);
			info->common_name[n] = '\0';
			break;
		}
out:
	mbedtls_x509_crt_free(&crt);
	return ret;
}

/* One pattern from a certificate against a host, case aside; a leading
 * "*." stands for exactly one label, as RFC 6125 6.4.3 and Go's
 * crypto/x509 matchHostnames. */
static bool name_matches(const unsigned char *pat, size_t plen, const char *name)
{
	size_t nlen = strlen(name);
	const char *dot;

	if (nlen > 0 && name[nlen - 1] == '.')
		nlen--;
	if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
		if (!(dot = memchr(name, '.', nlen)) || dot == name)
			return false;
		return (size_t)(name + nlen - dot) == plen - 1 &&
		       strncasecmp(dot, (const char *)pat + 1, plen - 1) == 0;
	}
	return plen == nlen && nlen > 0 && strncasecmp(name, (const char *)pat, nlen) == 0;
}

bool k1s_pki_cert_covers(const char *pem, size_t len, const char *name)
{
	mbedtls_x509_crt crt;
	bool covers = false;
	char err[128];

	if (!name)
		return false;
	mbedtls_x509_crt_init(&crt);
	if (first_cert(&crt, pem, len, err, sizeof(err)) < 0)
		goto out;
	if (crt.ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) {
		for (const mbedtls_x509_sequence *s = &crt.subject_alt_names; s && !covers;
		     s = s->next)
			if (s->buf.p && s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC |
			                               MBEDTLS_X509_SAN_DNS_NAME))
				covers = name_matches(s->buf.p, s->buf.len, name);
		goto out;
	}
	for (const mbedtls_x509_name *n = &crt.subject; n; n = n->next)
		if (n->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
			covers = name_matches(n->val.p, n->val.len, name);
			break;
		}
out:
	mbedtls_x509_crt_free(&crt);
	return covers;
}

/* The reasons are worded as Go's crypto/tls X509KeyPair words them, which
 * ingress-nginx reports for a Secret it cannot use. */
int k1s_pki_check_pair(const char *crt, size_t crt_len, const char *key, size_t key_len, char *err,
                       size_t errlen)
{
	unsigned char *cbuf = NULL, *kbuf = NULL;
	mbedtls_x509_crt chain;
	mbedtls_pk_context pk;
	char why[128];
	int ret;

	mbedtls_x509_crt_init(&chain);
	mbedtls_pk_init(&pk);
	if (!crt)
		crt_len = 0;
	if (!key)
		key_len = 0;
	if (!(cbuf = nul_copy(crt ? crt : "", crt_len)) ||
	    !(kbuf = nul_copy(key ? key : "", key_len))) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	if (!strstr((char *)cbuf, "-----BEGIN ")) {
		snprintf(err, errlen, "tls: failed to find any PEM data in certificate input");
		ret = -EINVAL;
		goto out;
	}
	if (!strstr((char *)cbuf, PEM_CERT_BEGIN) && strstr((char *)cbuf, "PRIVATE KEY-----")) {
		snprintf(err, errlen,
		         "tls: failed to find certificate PEM data in certificate input, but did "
		         "find a private key; PEM inputs may have been switched");
		ret = -EINVAL;
		goto out;
	}
	if ((ret = parse_certs(&chain, cbuf, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "tls: %s in certificate input", why);
		goto out;
	}
	if (!strstr((char *)kbuf, "-----BEGIN ")) {
		snprintf(err, errlen, "tls: failed to find any PEM data in key input");
		ret = -EINVAL;
		goto out;
	}
	ret = mbedtls_pk_parse_key(&pk, kbuf, key_len + 1, NULL, 0);
	if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
		snprintf(err, errlen, "tls: private key is encrypted; a password is not supported");
		ret = -EINVAL;
		goto out;
	}
	if (ret != 0) {
		mbedtls_strerror(ret, why, sizeof(why));
		snprintf(err, errlen, "tls: failed to parse private key: %s", why);
		ret = -EINVAL;
		goto out;
	}
	if (mbedtls_pk_get_type(&chain.pk) != mbedtls_pk_get_type(&pk) &&
	    !(mbedtls_pk_can_do(&chain.pk, MBEDTLS_PK_ECKEY) &&
	      mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECKEY))) {
		snprintf(err, errlen, "tls: private key type does not match public key type");
		ret = -EINVAL;
		goto out;
	}
	if (mbedtls_pk_check_pair(&chain.pk, &pk) != 0) {
		snprintf(err, errlen, "tls: private key does not match public key");
		ret = -EINVAL;
		goto out;
	}
	ret = 0;
out:
	mbedtls_pk_free(&pk);
	mbedtls_x509_crt_free(&chain);
	wipe_free(kbuf, key_len + 1);
	free(cbuf);
	return ret;
}
