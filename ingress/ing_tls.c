/* TLS over buffers the loop fills and drains (see ing_tls.h). */
#include <stdlib.h>
#include <string.h>

#include "ing_tls.h"

int ing_tls_cfg_init(struct ing_tls_cfg *cfg)
{
	static const unsigned char who[] = "k1s ingress";
	int r;

	mbedtls_entropy_init(&cfg->entropy);
	mbedtls_ctr_drbg_init(&cfg->drbg);
	mbedtls_ssl_config_init(&cfg->client);
	r = mbedtls_ctr_drbg_seed(&cfg->drbg, mbedtls_entropy_func, &cfg->entropy, who,
				  sizeof(who) - 1);
	if (r == 0)
		r = mbedtls_ssl_config_defaults(&cfg->client, MBEDTLS_SSL_IS_CLIENT,
						MBEDTLS_SSL_TRANSPORT_STREAM,
						MBEDTLS_SSL_PRESET_DEFAULT);
	if (r == 0) {
		/* ingress-nginx: proxy_ssl_verify off unless an annotation
		 * names a CA secret. */
		mbedtls_ssl_conf_authmode(&cfg->client, MBEDTLS_SSL_VERIFY_NONE);
		mbedtls_ssl_conf_rng(&cfg->client, mbedtls_ctr_drbg_random, &cfg->drbg);
		cfg->ready = true;
	}
	return r;
}

void ing_tls_cfg_free(struct ing_tls_cfg *cfg)
{
	mbedtls_ssl_config_free(&cfg->client);
	mbedtls_ctr_drbg_free(&cfg->drbg);
	mbedtls_entropy_free(&cfg->entropy);
	cfg->ready = false;
}

/* mbedTLS writes records here; the loop sends them. */
static int bio_send(void *arg, const unsigned char *p, size_t n)
{
	struct ing_tls *t = arg;
	size_t room;

	if (t->out_off == t->out_len)
		t->out_off = t->out_len = 0;
	room = sizeof(t->out) - t->out_len;
	if (room == 0)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	if (n > room)
		n = room;
	memcpy(t->out + t->out_len, p, n);
	t->out_len += n;
	return (int)n;
}

/* mbedTLS reads what the loop received. */
static int bio_recv(void *arg, unsigned char *p, size_t n)
{
	struct ing_tls *t = arg;
	size_t have = t->in_len - t->in_off;

	if (have == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > have)
		n = have;
	memcpy(p, t->in + t->in_off, n);
	t->in_off += n;
	return (int)n;
}

struct ing_tls *ing_tls_client(struct ing_tls_cfg *cfg, const char *sni)
{
	struct ing_tls *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	mbedtls_ssl_init(&t->ssl);
	if (!cfg->ready || mbedtls_ssl_setup(&t->ssl, &cfg->client) != 0 ||
	    (sni && *sni && mbedtls_ssl_set_hostname(&t->ssl, sni) != 0)) {
		ing_tls_free(t);
		return NULL;
	}
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	return t;
}

void ing_tls_free(struct ing_tls *t)
{
	if (!t)
		return;
	mbedtls_ssl_free(&t->ssl);
	free(t);
}

int ing_tls_handshake(struct ing_tls *t)
{
	int r = mbedtls_ssl_handshake(&t->ssl);

	if (r == 0)
		return ING_TLS_DONE;
	if (r == MBEDTLS_ERR_SSL_WANT_READ)
		return ing_tls_out_pending(t) ? ING_TLS_WANT_WRITE : ING_TLS_WANT_READ;
	if (r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return ING_TLS_WANT_WRITE;
	return r;
}

ssize_t ing_tls_write(struct ing_tls *t, const void *p, size_t n)
{
	int r = mbedtls_ssl_write(&t->ssl, p, n);

	return r == MBEDTLS_ERR_SSL_WANT_WRITE ? 0 : r;
}

ssize_t ing_tls_read(struct ing_tls *t, void *p, size_t cap)
{
	int r = mbedtls_ssl_read(&t->ssl, p, cap);

	if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return -ING_TLS_WANT_READ;
	if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		return 0;
	return r;
}

void ing_tls_out_sent(struct ing_tls *t, size_t n)
{
	t->out_off += n;
	if (t->out_off >= t->out_len)
		t->out_off = t->out_len = 0;
}

unsigned char *ing_tls_in_room(struct ing_tls *t, size_t *cap)
{
	if (t->in_off > 0) {
		memmove(t->in, t->in + t->in_off, t->in_len - t->in_off);
		t->in_len -= t->in_off;
		t->in_off = 0;
	}
	*cap = sizeof(t->in) - t->in_len;
	return t->in + t->in_len;
}
