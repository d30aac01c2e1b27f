/* A server's own EC key signing with libcrypto: the one ECDSA signature
 * of each full ECDHE-ECDSA handshake (its ServerKeyExchange) is about 40
 * times faster with OpenSSL 3's P-256 than with mbedTLS 2.28's generic
 * bignum code. mbedTLS keeps the key and everything else it does with
 * it; only its pk_info's sign_func is libcrypto's. */
#ifndef ING_TLS_PK_H
#define ING_TLS_PK_H

#include <mbedtls/pk.h>

/* Makes an EC private key sign through libcrypto, in place: 0, or
 * negative (the key is then as it was, mbedTLS's). Other keys (RSA) are
 * left alone and give 0. mbedtls_pk_free() frees it as before;
 * mbedtls_pk_check_pair() no longer accepts it (pairs are checked on
 * their own parse before). */
int ing_tls_pk_offload(mbedtls_pk_context *pk);

#endif
