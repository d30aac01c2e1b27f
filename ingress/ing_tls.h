/* TLS for the ingress's connections, on mbedTLS, with the bytes on the
 * wire handed to and from the io_uring loop in buffers: mbedTLS reads and
 * writes through callbacks that fill and drain them, never the socket, so
 * a loop never blocks on a handshake or a record.
 *
 * Towards backends (backend-protocol: HTTPS) a connection is a client
 * that verifies nothing and sends no SNI, as ingress-nginx's defaults
 * (proxy-ssl-verify and proxy-ssl-server-name off).
 *
 * Towards clients (the HTTPS port) a connection is a server: TLS 1.2,
 * ingress-nginx's default ciphers that mbedTLS has, ALPN http/1.1, the
 * certificate by SNI from the snapshot's ing_certs, else the fake default
 * one. Session tickets and the session cache are shared by all loops
 * (struct ing_tls_shared, locked inside mbedTLS), so a session resumes on
 * whichever loop SO_REUSEPORT hands the next connection to. Once its
 * handshake is over, a server session's records go through libcrypto
 * (ing_tls_rec.h), and EC keys sign through it (ing_tls_pk.h).
 *
 * Threading: a struct ing_tls_cfg per loop thread; everything on it. */
#ifndef ING_TLS_H
#define ING_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

struct ing_certs;

/* What every loop's server side shares: made once, before the loops. */
struct ing_tls_shared {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;	/* the ticket keys' and IVs' */
	mbedtls_ssl_ticket_context ticket;
	mbedtls_ssl_cache_context cache;
	char *fake_crt, *fake_key;	/* PEM, the default certificate */
	bool ready;
};

struct ing_tls_cfg {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config client;
	bool ready;
	/* The server side, on this loop's own parse of the fake certificate. */
	mbedtls_ssl_config server;
	mbedtls_x509_crt fake_crt;
	mbedtls_pk_context fake_key;
	int loop;			/* for ing_certs_find() */
	bool server_ready;
};

#define ING_TLS_WIRE (17 * 1024)	/* one record and its overhead */
#define ING_TLS_IN  ING_TLS_WIRE
#define ING_TLS_OUT (ING_TLS_WIRE * 2)

struct ing_tls {
	mbedtls_ssl_context ssl;	/* first: the SNI callback finds the rest */
	const struct ing_tls_cfg *cfg;
	const struct ing_certs *certs;	/* a server's, for SNI; NULL: the fake only */
	/* Ciphertext received and not yet taken by mbedTLS (ING_TLS_IN). */
	unsigned char *in;
	size_t in_off, in_len;
	/* Ciphertext mbedTLS wrote, not yet sent (ING_TLS_OUT). Both are
	 * allocated at first use, and given back by ing_tls_idle(). */
	unsigned char *out;
	size_t out_off, out_len;
	/* A server session's records once the handshake is over, on
	 * libcrypto (ing_tls_rec.h); NULL while mbedTLS has them. */
	struct ing_tls_rec *rec;
};

enum {
	ING_TLS_DONE = 0,
	ING_TLS_WANT_READ = 1,	/* receive into ing_tls_in_room(), then call again */
	ING_TLS_WANT_WRITE = 2,	/* send ing_tls_out_pending(), then call again */
};

/* 0, or a negative mbedTLS error. */
int ing_tls_cfg_init(struct ing_tls_cfg *cfg);
void ing_tls_cfg_free(struct ing_tls_cfg *cfg);

/* The shared server state, with a new fake certificate: ingress-nginx's
 * "Kubernetes Ingress Controller Fake Certificate" for ingress.local,
 * self-signed, a year long (its internal/net/ssl GetFakeSSLCert), on an
 * ECDSA P-256 key. 0, or a negative mbedTLS error or errno. */
int ing_tls_shared_init(struct ing_tls_shared *sh);
void ing_tls_shared_free(struct ing_tls_shared *sh);

/* The loop's server config over the shared state (and the client's DRBG,
 * set up here when it is not yet). 0, or a negative mbedTLS error. */
int ing_tls_cfg_server(struct ing_tls_cfg *cfg, struct ing_tls_shared *sh, int loop);

/* A client session; sni NULL or "" sends none. NULL when out of memory. */
struct ing_tls *ing_tls_client(struct ing_tls_cfg *cfg, const char *sni);
/* A server session serving certs by SNI (the caller keeps certs alive
 * until the handshake is done). NULL when out of memory. */
struct ing_tls *ing_tls_server(struct ing_tls_cfg *cfg, const struct ing_certs *certs);
/* Gives the wire buffers back while they are empty, as a connection idle
 * between requests gives its own back. */
void ing_tls_idle(struct ing_tls *t);
/* The protocol ALPN agreed on, or NULL. */
const char *ing_tls_alpn(const struct ing_tls *t);
void ing_tls_free(struct ing_tls *t);

/* Drives the handshake: ING_TLS_DONE, _WANT_READ, _WANT_WRITE, or a
 * negative mbedTLS error. Output to send may be pending with any answer. */
int ing_tls_handshake(struct ing_tls *t);
/* Encrypts up to n bytes, as whole records: how many were taken (> 0),
 * or a negative mbedTLS error. The records are then pending output. */
ssize_t ing_tls_write(struct ing_tls *t, const void *p, size_t n);
/* Decrypts into p: bytes (> 0), 0 when the peer closed the session,
 * -ING_TLS_WANT_READ when more ciphertext is needed, or a negative
 * mbedTLS error. */
ssize_t ing_tls_read(struct ing_tls *t, void *p, size_t cap);
/* A close_notify alert into the pending output, for a clean close: 0, or
 * a negative mbedTLS error (no room, or the session failed). */
int ing_tls_close_notify(struct ing_tls *t);

/* The wire side. */
static inline size_t ing_tls_out_pending(const struct ing_tls *t)
{
	return t->out_len - t->out_off;
}
static inline const unsigned char *ing_tls_out_data(const struct ing_tls *t)
{
	return t->out + t->out_off;
}
void ing_tls_out_sent(struct ing_tls *t, size_t n);
/* Room for the next receive (compacting first); NULL and no room when
 * out of memory. */
unsigned char *ing_tls_in_room(struct ing_tls *t, size_t *cap);
static inline void ing_tls_in_got(struct ing_tls *t, size_t n)
{
	t->in_len += n;
}

#endif
