/* The ingress's TLS server side on what a client may send: the input's
 * first byte says what it is.
 *   1: a Secret's tls.crt and tls.key (split at the first NUL), built
 *      into a certificate table and looked up by the names it names.
 *   2: a session past its handshake, with an mbedTLS client in memory
 *      (the next byte picks the suite): the client sends the text up to
 *      the first NUL as records, the bytes after it XORed onto them (and
 *      past them as more), and the server's records read them. Unchanged
 *      records come back echoed, and then a close_notify.
 *   else: client records, fed into a server session over the in-memory
 *      buffers in slices of that many bytes (0: all that fits), the
 *      handshake then reads, as the loop drives them.
 * Whatever the bytes: an error or progress, never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ing_certs.h"
#include "ing_tls.h"
#include "ing_tls_rec.h"
#include "k1s_log.h"

static struct ing_tls_shared shared;
static struct ing_tls_cfg cfg;
static struct ing_certs *certs;

static void init_once(void)
{
	struct ing_cert_src src;

	if (cfg.server_ready)
		return;
	k1s_log_set_level(K1S_LOG_ERROR);	/* tables that do not parse say so */
	if (ing_tls_shared_init(&shared) != 0 || ing_tls_cfg_server(&cfg, &shared, 0) != 0)
		abort();
	/* myapp.com served with the fake certificate's pair, so that SNI
	 * finds something. */
	src = (struct ing_cert_src){"myapp.com", "default/myapp-tls", shared.fake_crt,
				    strlen(shared.fake_crt), shared.fake_key,
				    strlen(shared.fake_key)};
	certs = ing_certs_build(&src, 1, 1);
	if (!certs || ing_certs_count(certs) != 1)
		abort();
}

static void records(const uint8_t *data, size_t size, size_t slice)
{
	struct ing_tls *t = ing_tls_server(&cfg, certs);
	unsigned char plain[4096];
	bool done = false;
	size_t off = 0;

	if (!t)
		abort();
	for (int rounds = 0; rounds < 10000; rounds++) {
		size_t cap, n = size - off;
		unsigned char *room = ing_tls_in_room(t, &cap);
		int r;

		if (!room)
			abort();
		if (slice && n > slice)
			n = slice;
		if (n > cap)
			n = cap;
		memcpy(room, data + off, n);
		ing_tls_in_got(t, n);
		off += n;
		if (!done) {
			r = ing_tls_handshake(t);
			if (r < 0)
				break;
			done = r == ING_TLS_DONE;
		}
		if (done) {
			ssize_t k;

			while ((k = ing_tls_read(t, plain, sizeof(plain))) > 0)
				;
			if (k != -ING_TLS_WANT_READ)
				break;
		}
		/* what the session wrote "goes out" */
		if (ing_tls_out_pending(t) > ING_TLS_OUT)
			abort();
		ing_tls_out_sent(t, ing_tls_out_pending(t));
		if (off == size && n == 0)
			break;
	}
	ing_tls_free(t);
}

/* Ciphertext from one side's output to the other's input, what fits. */
static void move(struct ing_tls *from, struct ing_tls *to)
{
	size_t cap, n = ing_tls_out_pending(from);
	unsigned char *room = ing_tls_in_room(to, &cap);

	if (!room)
		abort();
	if (n > cap)
		n = cap;
	memcpy(room, ing_tls_out_data(from), n);
	ing_tls_in_got(to, n);
	ing_tls_out_sent(from, n);
}

static struct ing_tls_cfg clients[3];

static void session(const uint8_t *data, size_t size)
{
	static const int suites[3][2] = {
		{MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		{MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
		{MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
	};
	static unsigned char wire[1 << 17], got[1 << 16], back[1 << 16];
	const uint8_t *nul;
	size_t plain_n, raw_n, wire_n = 0, got_n = 0, back_n = 0;
	struct ing_tls *cl, *sv;
	int which, rc = 1, rs = 1;
	ssize_t k;

	if (size < 1)
		return;
	which = data[0] % 3;
	data++, size--;
	nul = memchr(data, 0, size);
	plain_n = nul ? (size_t)(nul - data) : size;
	raw_n = nul ? size - plain_n - 1 : 0;
	if (!clients[which].ready) {
		if (ing_tls_cfg_init(&clients[which]) != 0)
			abort();
		mbedtls_ssl_conf_ciphersuites(&clients[which].client, suites[which]);
	}
	cl = ing_tls_client(&clients[which], "myapp.com");
	sv = ing_tls_server(&cfg, certs);
	if (!cl || !sv)
		abort();
	for (int round = 0; round < 50 && (rc || rs); round++) {
		if (rc > 0)
			rc = ing_tls_handshake(cl);
		move(cl, sv);
		if (rs > 0)
			rs = ing_tls_handshake(sv);
		move(sv, cl);
	}
	if (rc != ING_TLS_DONE || rs != ING_TLS_DONE)
		abort();	/* both ends are ours: it always completes */
	/* The client's records, changed by the raw bytes. */
	for (size_t off = 0; off < plain_n;) {
		k = ing_tls_write(cl, data + off, plain_n - off);
		if (k <= 0)
			abort();
		off += (size_t)k;
		memcpy(wire + wire_n, ing_tls_out_data(cl), ing_tls_out_pending(cl));
		wire_n += ing_tls_out_pending(cl);
		ing_tls_out_sent(cl, ing_tls_out_pending(cl));
	}
	for (size_t i = 0; i < raw_n && i < sizeof(wire); i++)
		wire[i] = i < wire_n ? wire[i] ^ nul[1 + i] : nul[1 + i];
	if (raw_n > wire_n)
		wire_n = raw_n < sizeof(wire) ? raw_n : sizeof(wire);
	/* The server reads them as they arrive, echoing what it reads. */
	for (size_t off = 0;;) {
		size_t cap, n = wire_n - off;
		unsigned char *room = ing_tls_in_room(sv, &cap);

		if (!room)
			abort();
		if (n > cap)
			n = cap;
		memcpy(room, wire + off, n);
		ing_tls_in_got(sv, n);
		off += n;
		while ((k = ing_tls_read(sv, got + got_n, sizeof(got) - got_n)) > 0) {
			if (ing_tls_write(sv, got + got_n, (size_t)k) != k)
				abort();	/* 16 KiB fits its buffer */
			got_n += (size_t)k;
			while (ing_tls_out_pending(sv)) {
				move(sv, cl);
				while ((k = ing_tls_read(cl, back + back_n, sizeof(back) - back_n)) > 0)
					back_n += (size_t)k;
			}
		}
		if (k != -ING_TLS_WANT_READ || off == wire_n)
			break;
	}
	if (raw_n == 0) {
		/* Unchanged: the libcrypto records carried it both ways. */
		if (plain_n && !ing_tls_rec_take(sv))
			abort();
		if (got_n != plain_n || back_n != plain_n || memcmp(got, data, plain_n) ||
		    memcmp(back, data, plain_n))
			abort();
		if (ing_tls_close_notify(sv) != 0)
			abort();
		move(sv, cl);
		if (ing_tls_read(cl, back, sizeof(back)) != 0)
			abort();
	}
	ing_tls_free(cl);
	ing_tls_free(sv);
}

static void secret(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	struct ing_cert_src src = {"*.myapp.com", "default/fuzz", (const char *)data,
				   nul ? (size_t)(nul - data) : size, "", 0};
	struct ing_certs *c;
	mbedtls_x509_crt *chain;
	mbedtls_pk_context *key;

	if (nul) {
		src.key = (const char *)nul + 1;
		src.key_len = size - (size_t)(nul - data) - 1;
	}
	c = ing_certs_build(&src, 1, 2);
	if (!c)
		abort();
	if (ing_certs_count(c) == 1) {
		if (ing_certs_find(c, 1, "a.MYAPP.com", 11, &chain, &key) != 0 || !chain || !key)
			abort();
		if (!ing_certs_has(c, "b.myapp.com", 11) || ing_certs_has(c, "myapp.com", 9) ||
		    ing_certs_has(c, "a.b.myapp.com", 13))
			abort();
	}
	ing_certs_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	if (size < 1)
		return 0;
	if (data[0] == 1)
		secret(data + 1, size - 1);
	else if (data[0] == 2)
		session(data + 1, size - 1);
	else
		records(data + 1, size - 1, data[0]);
	return 0;
}
