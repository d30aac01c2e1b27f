/* A server session's application records after the handshake, on
 * libcrypto's AEAD ciphers: mbedTLS 2.28 does AES-GCM a block at a time
 * and ChaCha20-Poly1305 without vector code, several times slower than
 * OpenSSL 3 on the same core. mbedTLS keeps the handshake; its key block
 * and sequence numbers are taken over once it holds nothing unread.
 *
 * Written here because the TLS 1.2 AEAD framing is small (RFC 5246
 * 6.2.3.3; RFC 5288 for AES-GCM: an 8-byte explicit nonce after the 4
 * fixed bytes of the key block's IV; RFC 7905 for ChaCha20-Poly1305: the
 * 12-byte IV XOR the sequence number, nothing explicit; AAD seq_num ||
 * type || version || length) and no packaged library puts libcrypto's
 * ciphers under mbedTLS's handshake. Suites other than the AEAD ones the
 * server offers stay on mbedTLS. */
#ifndef ING_TLS_REC_H
#define ING_TLS_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <mbedtls/ssl.h>

struct ing_tls;

/* mbedTLS's key export callback (the server config's): keeps a copy of
 * the key block of the session ing_tls_rec_keying names. */
int ing_tls_rec_export(void *arg, const unsigned char *ms, const unsigned char *kb,
		       size_t maclen, size_t keylen, size_t ivlen,
		       const unsigned char client_random[32], const unsigned char server_random[32],
		       mbedtls_tls_prf_types prf);
/* The session whose handshake step runs on this thread, or NULL. */
extern _Thread_local struct ing_tls *ing_tls_rec_keying;

/* Moves the session onto the record layer here when its handshake is
 * over, its suite is one of ours and mbedTLS holds nothing unread: true
 * when the session's records are now ours. */
bool ing_tls_rec_take(struct ing_tls *t);
/* As ing_tls_read() and ing_tls_write(), on a session taken over. */
ssize_t ing_tls_rec_read(struct ing_tls *t, void *p, size_t cap);
ssize_t ing_tls_rec_write(struct ing_tls *t, const void *p, size_t n);
/* A close_notify alert into the output; 0, or a negative mbedTLS error. */
int ing_tls_rec_close(struct ing_tls *t);
/* Frees the contexts and wipes the keys. */
void ing_tls_rec_free(struct ing_tls *t);

#endif
