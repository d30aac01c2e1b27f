/* EC private keys that sign with libcrypto (see ing_tls_pk.h). The
 * context starts with the mbedtls_ecp_keypair moved out of mbedTLS's own,
 * so that mbedtls_pk_ec() and mbedTLS's EC key functions (verify, bit
 * length, debug) work on it unchanged; the EVP_PKEY follows. Written
 * against mbedTLS 2.28's installed pk_internal.h, the way its own
 * RSA_ALT keys plug in. */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk_internal.h>
#include <mbedtls/platform_util.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ing_tls_pk.h"

struct ossl_ec {
	mbedtls_ecp_keypair ec;		/* first: what mbedtls_pk_ec() returns */
	EVP_PKEY *pkey;
};

static const mbedtls_pk_info_t *eckey(void)
{
	return mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY);
}

static size_t get_bitlen(const void *ctx)
{
	return eckey()->get_bitlen(ctx);
}

static int can_do(mbedtls_pk_type_t type)
{
	return eckey()->can_do(type);
}

static int verify(void *ctx, mbedtls_md_type_t md, const unsigned char *hash, size_t hash_len,
		  const unsigned char *sig, size_t sig_len)
{
	return eckey()->verify_func(ctx, md, hash, hash_len, sig, sig_len);
}

/* ECDSA over the hash mbedTLS made, DER-encoded as mbedTLS's
 * mbedtls_ecdsa_write_signature() writes it; libcrypto's own RNG. */
static int sign(void *ctx, mbedtls_md_type_t md, const unsigned char *hash, size_t hash_len,
		unsigned char *sig, size_t *sig_len, int (*f_rng)(void *, unsigned char *, size_t),
		void *p_rng)
{
	struct ossl_ec *k = ctx;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k->pkey, NULL);
	size_t n = MBEDTLS_ECDSA_MAX_LEN;
	int ok;

	(void)md, (void)f_rng, (void)p_rng;
	ok = pc && EVP_PKEY_sign_init(pc) == 1 && EVP_PKEY_sign(pc, sig, &n, hash, hash_len) == 1;
	EVP_PKEY_CTX_free(pc);
	if (!ok)
		return MBEDTLS_ERR_ECP_HW_ACCEL_FAILED;
	*sig_len = n;
	return 0;
}

static void *ctx_alloc(void)
{
	return NULL;	/* made only by ing_tls_pk_offload() */
}

static void ctx_free(void *ctx)
{
	struct ossl_ec *k = ctx;

	mbedtls_ecp_keypair_free(&k->ec);
	EVP_PKEY_free(k->pkey);
	mbedtls_platform_zeroize(k, sizeof(*k));
	free(k);
}

static void debug(const void *ctx, mbedtls_pk_debug_item *items)
{
	eckey()->debug_func(ctx, items);
}

static const mbedtls_pk_info_t ossl_ec_info = {
	.type = MBEDTLS_PK_ECKEY,
	.name = "EC (libcrypto signing)",
	.get_bitlen = get_bitlen,
	.can_do = can_do,
	.verify_func = verify,
	.sign_func = sign,
	.ctx_alloc_func = ctx_alloc,
	.ctx_free_func = ctx_free,
	.debug_func = debug,
};

int ing_tls_pk_offload(mbedtls_pk_context *pk)
{
	unsigned char der[512];
	const unsigned char *p;
	struct ossl_ec *k;
	EVP_PKEY *pkey;
	int n;

	if (!pk->pk_info || pk->pk_info != eckey())
		return 0;
	n = mbedtls_pk_write_key_der(pk, der, sizeof(der));
	if (n <= 0)
		return -1;
	p = der + sizeof(der) - n;	/* written at the buffer's end */
	pkey = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, n);
	mbedtls_platform_zeroize(der, sizeof(der));
	if (!pkey)
		return -1;
	if (!(k = calloc(1, sizeof(*k)))) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	/* The keypair's limbs and tables change owner with the struct. */
	k->ec = *(mbedtls_ecp_keypair *)pk->pk_ctx;
	mbedtls_platform_zeroize(pk->pk_ctx, sizeof(mbedtls_ecp_keypair));
	free(pk->pk_ctx);
	k->pkey = pkey;
	pk->pk_info = &ossl_ec_info;
	pk->pk_ctx = k;
	return 0;
}
