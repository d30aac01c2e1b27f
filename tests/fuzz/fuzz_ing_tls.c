/* The ingress's TLS server side on what a client may send: the input's
 * first byte says what it is.
 *   1: a Secret's tls.crt and tls.key (split at the first NUL), built
 *      into a certificate table and looked up by the names it names.
 *   else: client records, fed into a server session over the in-memory
 *      buffers in slices of that many bytes (0: all that fits), the
 *      handshake then reads, as the loop drives them.
 * Whatever the bytes: an error or progress, never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ing_certs.h"
#include "ing_tls.h"
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
		if (ing_tls_out_pending(t) > sizeof(t->out))
			abort();
		ing_tls_out_sent(t, ing_tls_out_pending(t));
		if (off == size && n == 0)
			break;
	}
	ing_tls_free(t);
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
	else
		records(data + 1, size - 1, data[0]);
	return 0;
}
