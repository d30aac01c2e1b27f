/* TLS over buffers the loop fills and drains (see ing_tls.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ecp.h>
#include <mbedtls/platform_util.h>

#include "ing_certs.h"
#include "ing_tls.h"
#include "ing_tls_pk.h"
#include "ing_tls_rec.h"
#include "k1s_pki.h"

/* ingress-nginx's default ssl-ciphers (controller config.go), those of
 * them mbedTLS has, in its order: the DHE-RSA ones it ends with are left
 * out, as no current client needs them. */
static const int server_suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0,
};

/* nginx's ssl_ecdh_curve auto, as OpenSSL orders it. */
static const mbedtls_ecp_group_id server_curves[] = {
	MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1,
	MBEDTLS_ECP_DP_NONE,
};

/* We speak no h2: a client offering h2 and http/1.1 gets http/1.1. */
static const char *server_alpn[] = {"http/1.1", NULL};

#define SESSION_S 600		/* ingress-nginx's ssl-session-timeout 10m */
#define SESSION_CACHE 4096

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
	if (cfg->server_ready) {
		mbedtls_ssl_config_free(&cfg->server);
		mbedtls_x509_crt_free(&cfg->fake_crt);
		mbedtls_pk_free(&cfg->fake_key);
		cfg->server_ready = false;
	}
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

	if (!t->out && !(t->out = malloc(ING_TLS_OUT)))
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	if (t->out_off == t->out_len)
		t->out_off = t->out_len = 0;
	room = ING_TLS_OUT - t->out_len;
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

/* The certificate for the name the client asked for; the fake one (the
 * config's own) when none matches. */
static int sni_pick(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	struct ing_tls *t = (struct ing_tls *)ssl;
	mbedtls_x509_crt *chain;
	mbedtls_pk_context *key;

	(void)arg;
	if (ing_certs_find(t->certs, t->cfg->loop, (const char *)name, len, &chain, &key) < 0)
		return 0;
	return mbedtls_ssl_set_hs_own_cert(ssl, chain, key);
}

struct ing_tls *ing_tls_server(struct ing_tls_cfg *cfg, const struct ing_certs *certs)
{
	struct ing_tls *t;

	if (!cfg->server_ready || !(t = calloc(1, sizeof(*t))))
		return NULL;
	mbedtls_ssl_init(&t->ssl);
	t->cfg = cfg;
	t->certs = certs;
	if (mbedtls_ssl_setup(&t->ssl, &cfg->server) != 0) {
		ing_tls_free(t);
		return NULL;
	}
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	return t;
}

const char *ing_tls_alpn(const struct ing_tls *t)
{
	return mbedtls_ssl_get_alpn_protocol(&t->ssl);
}

static void wire_free(unsigned char **p, size_t n)
{
	if (*p) {
		mbedtls_platform_zeroize(*p, n);
		free(*p);
		*p = NULL;
	}
}

void ing_tls_idle(struct ing_tls *t)
{
	if (t->in_off == t->in_len) {
		wire_free(&t->in, ING_TLS_IN);
		t->in_off = t->in_len = 0;
	}
	if (t->out_off == t->out_len) {
		wire_free(&t->out, ING_TLS_OUT);
		t->out_off = t->out_len = 0;
	}
}

void ing_tls_free(struct ing_tls *t)
{
	if (!t)
		return;
	wire_free(&t->in, ING_TLS_IN);
	wire_free(&t->out, ING_TLS_OUT);
	ing_tls_rec_free(t);
	mbedtls_ssl_free(&t->ssl);
	/* Records in flight, plaintext among them. */
	mbedtls_platform_zeroize(t, sizeof(*t));
	free(t);
}

/* ---- the server side's shared state ---- */

/* ingress-nginx's fake certificate (internal/net/ssl GetFakeSSLCert), on
 * an ECDSA P-256 key where it has RSA 2048. */
static int fake_cert(struct ing_tls_shared *sh)
{
	static const char *const names[] = {"ingress.local", NULL};
	time_t now = time(NULL);
	struct k1s_cert_req req = {
		.common_name = "Kubernetes Ingress Controller Fake Certificate",
		.organization = "Acme Co",
		.dns_names = names,
		.not_before = now,
		.not_after = now + 365 * 24 * 3600,	/* "valid for 365 days" */
	};
	int r = k1s_pki_key_new(&sh->fake_key);

	return r < 0 ? r : k1s_pki_self_signed(&req, sh->fake_key, &sh->fake_crt);
}

int ing_tls_shared_init(struct ing_tls_shared *sh)
{
	static const unsigned char who[] = "k1s ingress tickets";
	int r;

	memset(sh, 0, sizeof(*sh));
	mbedtls_entropy_init(&sh->entropy);
	mbedtls_ctr_drbg_init(&sh->drbg);
	mbedtls_ssl_ticket_init(&sh->ticket);
	mbedtls_ssl_cache_init(&sh->cache);
	mbedtls_ssl_cache_set_timeout(&sh->cache, SESSION_S);
	mbedtls_ssl_cache_set_max_entries(&sh->cache, SESSION_CACHE);
	r = mbedtls_ctr_drbg_seed(&sh->drbg, mbedtls_entropy_func, &sh->entropy, who,
				  sizeof(who) - 1);
	if (r == 0)
		r = mbedtls_ssl_ticket_setup(&sh->ticket, mbedtls_ctr_drbg_random, &sh->drbg,
					     MBEDTLS_CIPHER_AES_256_GCM, SESSION_S);
	if (r == 0)
		r = fake_cert(sh);
	sh->ready = true;	/* for ing_tls_shared_free() */
	if (r != 0)
		ing_tls_shared_free(sh);
	return r;
}

void ing_tls_shared_free(struct ing_tls_shared *sh)
{
	if (!sh->ready)
		return;
	k1s_pki_free(sh->fake_crt);
	k1s_pki_free(sh->fake_key);
	mbedtls_ssl_cache_free(&sh->cache);
	mbedtls_ssl_ticket_free(&sh->ticket);
	mbedtls_ctr_drbg_free(&sh->drbg);
	mbedtls_entropy_free(&sh->entropy);
	memset(sh, 0, sizeof(*sh));
}

int ing_tls_cfg_server(struct ing_tls_cfg *cfg, struct ing_tls_shared *sh, int loop)
{
	mbedtls_ssl_config *c = &cfg->server;
	int r;

	if (!cfg->ready && (r = ing_tls_cfg_init(cfg)) != 0)
		return r;
	cfg->loop = loop;
	mbedtls_ssl_config_init(c);
	mbedtls_x509_crt_init(&cfg->fake_crt);
	mbedtls_pk_init(&cfg->fake_key);
	cfg->server_ready = true;	/* for ing_tls_cfg_free() */
	r = mbedtls_x509_crt_parse(&cfg->fake_crt, (const unsigned char *)sh->fake_crt,
				   strlen(sh->fake_crt) + 1);
	if (r == 0)
		r = mbedtls_pk_parse_key(&cfg->fake_key, (const unsigned char *)sh->fake_key,
					 strlen(sh->fake_key) + 1, NULL, 0);
	if (r == 0)
		(void)ing_tls_pk_offload(&cfg->fake_key);	/* else mbedTLS signs */
	if (r == 0)
		r = mbedtls_ssl_config_defaults(c, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
						MBEDTLS_SSL_PRESET_DEFAULT);
	if (r == 0) {
		mbedtls_ssl_conf_rng(c, mbedtls_ctr_drbg_random, &cfg->drbg);
		mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
		mbedtls_ssl_conf_max_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
		mbedtls_ssl_conf_ciphersuites(c, server_suites);
		mbedtls_ssl_conf_curves(c, server_curves);
		/* The suites go by this order, not the client's: nginx's
		 * ssl_prefer_server_ciphers on, as ingress-nginx sets it. No
		 * client certificates are asked for. */
		mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_NONE);
		mbedtls_ssl_conf_session_tickets_cb(c, mbedtls_ssl_ticket_write,
						    mbedtls_ssl_ticket_parse, &sh->ticket);
		mbedtls_ssl_conf_session_cache(c, &sh->cache, mbedtls_ssl_cache_get,
					       mbedtls_ssl_cache_set);
		mbedtls_ssl_conf_sni(c, sni_pick, NULL);
		mbedtls_ssl_conf_export_keys_ext_cb(c, ing_tls_rec_export, NULL);
		r = mbedtls_ssl_conf_alpn_protocols(c, server_alpn);
	}
	if (r == 0)
		r = mbedtls_ssl_conf_own_cert(c, &cfg->fake_crt, &cfg->fake_key);
	if (r != 0) {
		mbedtls_ssl_config_free(c);
		mbedtls_x509_crt_free(&cfg->fake_crt);
		mbedtls_pk_free(&cfg->fake_key);
		cfg->server_ready = false;
	}
	return r;
}

int ing_tls_handshake(struct ing_tls *t)
{
	int r;

	ing_tls_rec_keying = t;	/* the key block, if it is derived now */
	r = mbedtls_ssl_handshake(&t->ssl);
	ing_tls_rec_keying = NULL;
	if (r == 0)
		return ING_TLS_DONE;
	if (r == MBEDTLS_ERR_SSL_WANT_READ)
		return ing_tls_out_pending(t) ? ING_TLS_WANT_WRITE : ING_TLS_WANT_READ;
	if (r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return ING_TLS_WANT_WRITE;
	return r;
}

/* As many whole records as the wire buffer holds (two of the largest), so
 * that a bulk body goes out 32 KiB a send, not 16. A record is started
 * only with room for all of it: mbedTLS then never keeps half a record
 * back, which it would want the same call repeated for. */
ssize_t ing_tls_write(struct ing_tls *t, const void *p, size_t n)
{
	size_t took = 0;

	if (t->rec && ing_tls_rec_take(t))
		return ing_tls_rec_write(t, p, n);
	do {
		int r = mbedtls_ssl_write(&t->ssl, (const unsigned char *)p + took, n - took);

		if (r <= 0) {
			if (took)
				break;
			return r == MBEDTLS_ERR_SSL_WANT_WRITE ? 0 : r;
		}
		took += (size_t)r;
	} while (took < n && t->out && ING_TLS_OUT - t->out_len >= ING_TLS_WIRE);
	return (ssize_t)took;
}

ssize_t ing_tls_read(struct ing_tls *t, void *p, size_t cap)
{
	int r;

	if (t->rec && ing_tls_rec_take(t))
		r = (int)ing_tls_rec_read(t, p, cap);
	else
		r = mbedtls_ssl_read(&t->ssl, p, cap);
	if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return -ING_TLS_WANT_READ;
	if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		return 0;
	return r;
}

int ing_tls_close_notify(struct ing_tls *t)
{
	int r;

	if (t->rec && ing_tls_rec_take(t))
		return ing_tls_rec_close(t);
	r = mbedtls_ssl_close_notify(&t->ssl);
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
	if (!t->in && !(t->in = malloc(ING_TLS_IN))) {
		*cap = 0;
		return NULL;
	}
	if (t->in_off > 0) {
		memmove(t->in, t->in + t->in_off, t->in_len - t->in_off);
		t->in_len -= t->in_off;
		t->in_off = 0;
	}
	*cap = ING_TLS_IN - t->in_len;
	return t->in + t->in_len;
}
