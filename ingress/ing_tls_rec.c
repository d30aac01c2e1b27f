/* Application records on libcrypto after mbedTLS's handshake (see
 * ing_tls_rec.h). Errors, alerts and limits are mbedTLS 2.28's
 * (ssl_msg.c): a bad tag is a fatal bad_record_mac, a record too long a
 * fatal record_overflow, a ClientHello a warning no_renegotiation (it
 * renegotiates never), any other handshake or unknown record a fatal
 * unexpected_message; close_notify ends the stream, a fatal alert the
 * session. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <openssl/evp.h>

#include "ing_tls.h"
#include "ing_tls_rec.h"

#define HDR 5
#define TAG 16
#define MAX_PLAIN 16384			/* mbedTLS's max fragment, and TLS's */
#define KB_MAX (2 * 32 + 2 * 12)	/* two keys and two IVs, the largest */

enum { T_ALERT = 21, T_HANDSHAKE = 22, T_APP = 23 };
enum {
	A_CLOSE_NOTIFY = 0, A_UNEXPECTED = 10, A_BAD_MAC = 20, A_OVERFLOW = 22,
	A_PROTOCOL_VERSION = 70, A_NO_RENEGOTIATION = 100,
};
enum { WARNING = 1, FATAL = 2 };

struct ing_tls_rec {
	unsigned char kb[KB_MAX];	/* client key, server key, client IV, server IV */
	size_t keylen, ivlen;
	bool have_kb, on, closed, failed;
	bool chacha;			/* else AES-GCM, with an explicit nonce */
	EVP_CIPHER_CTX *enc, *dec;
	unsigned char enc_iv[12], dec_iv[12];
	uint64_t in_seq, out_seq;
	/* The record decrypted in place in t->in, handed out from here. */
	size_t plain_off, plain_len, rec_end;
};

_Thread_local struct ing_tls *ing_tls_rec_keying;

int ing_tls_rec_export(void *arg, const unsigned char *ms, const unsigned char *kb,
		       size_t maclen, size_t keylen, size_t ivlen,
		       const unsigned char client_random[32], const unsigned char server_random[32],
		       mbedtls_tls_prf_types prf)
{
	struct ing_tls *t = ing_tls_rec_keying;

	(void)arg, (void)ms, (void)client_random, (void)server_random, (void)prf;
	/* AEAD suites only: no MAC keys; the rest stays on mbedTLS. */
	if (!t || maclen != 0 || 2 * keylen + 2 * ivlen > KB_MAX)
		return 0;
	if (!t->rec && !(t->rec = calloc(1, sizeof(*t->rec))))
		return 0;	/* mbedTLS's records then, all the same */
	memcpy(t->rec->kb, kb, 2 * keylen + 2 * ivlen);
	t->rec->keylen = keylen;
	t->rec->ivlen = ivlen;
	t->rec->have_kb = true;
	return 0;
}

/* The server offers these; what the key block must be for each. */
static const EVP_CIPHER *suite_cipher(int suite, size_t keylen, size_t ivlen, bool *chacha)
{
	*chacha = false;
	switch (suite) {
	case MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
	case MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:
		return keylen == 16 && ivlen == 4 ? EVP_aes_128_gcm() : NULL;
	case MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
	case MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:
		return keylen == 32 && ivlen == 4 ? EVP_aes_256_gcm() : NULL;
	case MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
	case MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
		*chacha = true;
		return keylen == 32 && ivlen == 12 ? EVP_chacha20_poly1305() : NULL;
	default:
		return NULL;
	}
}

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

bool ing_tls_rec_take(struct ing_tls *t)
{
	struct ing_tls_rec *r = t->rec;
	mbedtls_ssl_context *ssl = &t->ssl;
	const unsigned char *ckey, *skey, *civ, *siv;
	const EVP_CIPHER *cipher;

	if (!r || r->on)
		return r && r->on;
	if (!r->have_kb || ssl->state != MBEDTLS_SSL_HANDSHAKE_OVER || !ssl->session ||
	    !ssl->in_ctr)
		return false;
	/* Anything mbedTLS has read and not handed out is its to finish. */
	if (mbedtls_ssl_check_pending(ssl) || ssl->out_left)
		return false;
	cipher = suite_cipher(ssl->session->ciphersuite, r->keylen, r->ivlen, &r->chacha);
	if (!cipher) {
		ing_tls_rec_free(t);
		return false;
	}
	ckey = r->kb;
	skey = ckey + r->keylen;
	civ = skey + r->keylen;
	siv = civ + r->ivlen;
	memset(r->enc_iv, 0, sizeof(r->enc_iv));
	memset(r->dec_iv, 0, sizeof(r->dec_iv));
	memcpy(r->enc_iv, siv, r->ivlen);
	memcpy(r->dec_iv, civ, r->ivlen);
	r->enc = EVP_CIPHER_CTX_new();
	r->dec = EVP_CIPHER_CTX_new();
	if (!r->enc || !r->dec || EVP_EncryptInit_ex(r->enc, cipher, NULL, skey, NULL) != 1 ||
	    EVP_DecryptInit_ex(r->dec, cipher, NULL, ckey, NULL) != 1) {
		ing_tls_rec_free(t);
		return false;
	}
	mbedtls_platform_zeroize(r->kb, sizeof(r->kb));
	r->have_kb = false;
	/* Where mbedTLS's counters are: past the Finished messages, and
	 * past any records it read or wrote after them. */
	r->in_seq = be64(ssl->in_ctr);
	r->out_seq = be64(ssl->cur_out_ctr);
	r->on = true;
	return true;
}

static void nonce(const struct ing_tls_rec *r, const unsigned char *iv, uint64_t seq,
		  const unsigned char *explicit, unsigned char out[12])
{
	if (r->chacha) {
		unsigned char s[8];

		put64(s, seq);
		memcpy(out, iv, 12);
		for (int i = 0; i < 8; i++)
			out[4 + i] ^= s[i];
	} else {
		memcpy(out, iv, 4);
		memcpy(out + 4, explicit, 8);
	}
}

static void aad(unsigned char a[13], uint64_t seq, int type, size_t len)
{
	put64(a, seq);
	a[8] = (unsigned char)type;
	a[9] = 3;
	a[10] = 3;
	a[11] = (unsigned char)(len >> 8);
	a[12] = (unsigned char)len;
}

static size_t overhead(const struct ing_tls_rec *r)
{
	return HDR + (r->chacha ? 0 : 8) + TAG;
}

/* One record of n bytes of plaintext into the output, which has room. */
static int seal(struct ing_tls *t, int type, const unsigned char *p, size_t n)
{
	struct ing_tls_rec *r = t->rec;
	size_t ex = r->chacha ? 0 : 8, len = ex + n + TAG;
	unsigned char *o = t->out + t->out_len, iv[12], a[13];
	int k;

	if (r->out_seq == UINT64_MAX)
		return MBEDTLS_ERR_SSL_COUNTER_WRAPPING;
	o[0] = (unsigned char)type;
	o[1] = 3;
	o[2] = 3;
	o[3] = (unsigned char)(len >> 8);
	o[4] = (unsigned char)len;
	put64(o + HDR, r->out_seq);	/* GCM's explicit nonce: the sequence number, as mbedTLS's */
	nonce(r, r->enc_iv, r->out_seq, o + HDR, iv);
	aad(a, r->out_seq, type, n);
	if (EVP_EncryptInit_ex(r->enc, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(r->enc, NULL, &k, a, sizeof(a)) != 1 ||
	    (n && EVP_EncryptUpdate(r->enc, o + HDR + ex, &k, p, (int)n) != 1) ||
	    EVP_EncryptFinal_ex(r->enc, o + HDR + ex + n, &k) != 1 ||
	    EVP_CIPHER_CTX_ctrl(r->enc, EVP_CTRL_AEAD_GET_TAG, TAG, o + HDR + ex + n) != 1)
		return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	r->out_seq++;
	t->out_len += HDR + len;
	return 0;
}

static int room_for(struct ing_tls *t, size_t n)
{
	if (!t->out && !(t->out = malloc(ING_TLS_OUT)))
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	if (t->out_off == t->out_len)
		t->out_off = t->out_len = 0;
	return ING_TLS_OUT - t->out_len >= n + overhead(t->rec) ? 0 : MBEDTLS_ERR_SSL_WANT_WRITE;
}

/* An alert, when there is room for it (a fatal one then ends the session
 * whether or not it went out, as mbedTLS's). */
static void alert(struct ing_tls *t, int level, int desc)
{
	unsigned char a[2] = {(unsigned char)level, (unsigned char)desc};

	if (room_for(t, 2) == 0)
		seal(t, T_ALERT, a, 2);
}

static ssize_t fail(struct ing_tls *t, int desc, int err)
{
	alert(t, FATAL, desc);
	t->rec->failed = true;
	return err;
}

ssize_t ing_tls_rec_write(struct ing_tls *t, const void *p, size_t n)
{
	size_t took = 0;

	if (t->rec->failed || t->rec->closed)
		return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
	while (took < n) {
		size_t k = n - took > MAX_PLAIN ? MAX_PLAIN : n - took;
		int r = room_for(t, k);

		if (r == 0)
			r = seal(t, T_APP, (const unsigned char *)p + took, k);
		if (r == MBEDTLS_ERR_SSL_WANT_WRITE)
			break;
		if (r < 0)
			return took ? (ssize_t)took : r;
		took += k;
	}
	return (ssize_t)took;
}

/* Decrypts the record at t->in + t->in_off (its header checked, all of
 * it received) in place: 0, or a negative mbedTLS error. */
static int open_rec(struct ing_tls *t, int type, size_t len)
{
	struct ing_tls_rec *r = t->rec;
	unsigned char *rec = t->in + t->in_off + HDR, iv[12], a[13];
	size_t ex = r->chacha ? 0 : 8, n = len - ex - TAG;
	int k;

	if (r->in_seq == UINT64_MAX)
		return MBEDTLS_ERR_SSL_COUNTER_WRAPPING;
	nonce(r, r->dec_iv, r->in_seq, rec, iv);
	aad(a, r->in_seq, type, n);
	if (EVP_DecryptInit_ex(r->dec, NULL, NULL, NULL, iv) != 1 ||
	    EVP_DecryptUpdate(r->dec, NULL, &k, a, sizeof(a)) != 1 ||
	    (n && EVP_DecryptUpdate(r->dec, rec + ex, &k, rec + ex, (int)n) != 1) ||
	    EVP_CIPHER_CTX_ctrl(r->dec, EVP_CTRL_AEAD_SET_TAG, TAG, rec + ex + n) != 1 ||
	    EVP_DecryptFinal_ex(r->dec, rec + ex + n, &k) != 1)
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	r->in_seq++;
	r->plain_off = t->in_off + HDR + ex;
	r->plain_len = n;
	r->rec_end = t->in_off + HDR + len;
	return 0;
}

/* The next record's plaintext made ready: 1, 0 when more ciphertext is
 * needed, or a negative error. Records handled here (alerts, a
 * ClientHello) are consumed and the next one looked at. */
static int next_record(struct ing_tls *t)
{
	struct ing_tls_rec *r = t->rec;

	for (;;) {
		const unsigned char *h = t->in + t->in_off;
		size_t have = t->in_len - t->in_off, len;
		int type, e;

		if (have < HDR)
			return 0;
		type = h[0];
		len = (size_t)h[3] << 8 | h[4];
		if (h[1] != 3 || h[2] != 3)
			return (int)fail(t, A_PROTOCOL_VERSION, MBEDTLS_ERR_SSL_INVALID_RECORD);
		if (len > MAX_PLAIN + 2048 || len > MAX_PLAIN + overhead(r) - HDR)
			return (int)fail(t, A_OVERFLOW, MBEDTLS_ERR_SSL_INVALID_RECORD);
		if (len < overhead(r) - HDR)
			return (int)fail(t, A_BAD_MAC, MBEDTLS_ERR_SSL_INVALID_MAC);
		if (type != T_APP && type != T_ALERT && type != T_HANDSHAKE)
			return (int)fail(t, A_UNEXPECTED, MBEDTLS_ERR_SSL_INVALID_RECORD);
		if (have < HDR + len)
			return 0;
		if ((e = open_rec(t, type, len)) < 0)
			return (int)fail(t, e == MBEDTLS_ERR_SSL_INVALID_MAC ? A_BAD_MAC : A_UNEXPECTED,
					 e);
		if (type == T_APP) {
			if (r->plain_len > 0)
				return 1;
			t->in_off = r->rec_end;	/* empty: allowed, skipped */
			continue;
		}
		h = t->in + r->plain_off;
		if (type == T_ALERT) {
			if (r->plain_len != 2)
				return (int)fail(t, A_UNEXPECTED, MBEDTLS_ERR_SSL_INVALID_RECORD);
			if (h[1] == A_CLOSE_NOTIFY) {
				r->closed = true;
				t->in_off = t->in_len = 0;
				return MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY;
			}
			if (h[0] == FATAL) {
				r->failed = true;
				return MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE;
			}
			t->in_off = r->rec_end;	/* a warning: ignored */
			r->plain_len = 0;
			continue;
		}
		/* A ClientHello asking to renegotiate: refused, as a warning. */
		if (r->plain_len < 1 || h[0] != MBEDTLS_SSL_HS_CLIENT_HELLO)
			return (int)fail(t, A_UNEXPECTED, MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE);
		alert(t, WARNING, A_NO_RENEGOTIATION);
		t->in_off = r->rec_end;
		r->plain_len = 0;
	}
}

ssize_t ing_tls_rec_read(struct ing_tls *t, void *p, size_t cap)
{
	struct ing_tls_rec *r = t->rec;
	size_t n;

	if (r->closed)
		return MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY;
	if (r->failed)
		return MBEDTLS_ERR_SSL_INVALID_RECORD;
	if (r->plain_len == 0) {
		int e;

		if (!t->in)
			return MBEDTLS_ERR_SSL_WANT_READ;
		e = next_record(t);
		if (e <= 0)
			return e == 0 ? MBEDTLS_ERR_SSL_WANT_READ : e;
	}
	n = r->plain_len < cap ? r->plain_len : cap;
	memcpy(p, t->in + r->plain_off, n);
	r->plain_off += n;
	r->plain_len -= n;
	if (r->plain_len == 0) {
		mbedtls_platform_zeroize(t->in + t->in_off, r->rec_end - t->in_off);
		t->in_off = r->rec_end;
	}
	return (ssize_t)n;
}

int ing_tls_rec_close(struct ing_tls *t)
{
	int r;

	if (t->rec->failed)
		return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
	r = room_for(t, 2);
	if (r == 0) {
		static const unsigned char a[2] = {WARNING, A_CLOSE_NOTIFY};

		r = seal(t, T_ALERT, a, 2);
	}
	return r;
}

void ing_tls_rec_free(struct ing_tls *t)
{
	struct ing_tls_rec *r = t->rec;

	if (!r)
		return;
	EVP_CIPHER_CTX_free(r->enc);	/* which cleanses the key schedule */
	EVP_CIPHER_CTX_free(r->dec);
	mbedtls_platform_zeroize(r, sizeof(*r));
	free(r);
	t->rec = NULL;
}
