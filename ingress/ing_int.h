/* Inside the ingress: the control side's state, the snapshot the loops
 * read, and the loops' entry points.
 *
 * A snapshot holds one routing table; a loop acknowledges a generation
 * only when it holds nothing of the tables before (k1s_pub.h), so a
 * connection copies out of the table what it needs past routing (the
 * endpoint, the upstream's name, the settings). */
#ifndef ING_INT_H
#define ING_INT_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ing.h"
#include "ing_certs.h"
#include "ing_http.h"
#include "ing_route.h"
#include "ing_tls.h"
#include "k1s_pub.h"
#include "pol.h"
#include "st.h"

#define ING_FACES_MAX 16

struct ing_snap {
	struct k1s_snap base;		/* first: ing_snap_of() */
	struct ing_table *table;
	struct ing_certs *certs;	/* served on the HTTPS port; NULL: none */
	/* The addresses of the ingress's face pods: each loop listens on
	 * them too, and connects upstream from the first, so that the
	 * backends (and NetworkPolicy) see requests come from the face. */
	int nfaces;
	struct sockaddr_in faces[ING_FACES_MAX];
};

static inline struct ing_snap *ing_snap_of(struct k1s_snap *s)
{
	return (struct ing_snap *)s;
}

struct ing_loop;
struct ing_secret_cache;
struct k1s_facelog;

/* Flow records kept (k1s_flow.h): the last requests. */
#define ING_FLOWS 1024

struct ing {
	struct st *st;
	struct k1s_flow_ring *flows;	/* ing_flows() */
	struct k1s_loop *loop;
	const struct k1s_writer *w;
	struct st_follower follow;
	/* The module's copy of the store, keyed "namespace/name": of the
	 * Services and Endpoints, only those a backend names. */
	json_t *ings, *classes, *svcs, *eps, *config;
	/* The Services the backends of the last build named ("ns/name" ->
	 * true: their Endpoints go with them), and of the build under way. */
	json_t *svc_named, *svc_naming;
	json_t *faces;			/* "ns/name" -> the face pod's IP */
	/* The Secrets the tls sections of our Ingresses name, as of the last
	 * build ("ns/name" -> true), and copies of those there are. */
	json_t *named, *secrets;
	struct ing_secret_cache *checked;	/* what their checks found */
	json_t *status_todo;		/* Ingresses whose status to look at */
	bool status_all;		/* all of them */
	json_t *warned;			/* Warning events written, by "ns/name" */
	unsigned event_seq;
	bool dirty;
	int64_t built_rev;		/* the store revision of the last table */
	struct k1s_pub pub;
	struct ing_loop **loops;
	int nloops;
	atomic_int stop;
	char address[64];		/* for status.loadBalancer */
	struct sockaddr_in *lsn;	/* where every loop listens (the HTTP port) */
	int nlsn;
	uint16_t https_port;		/* on the same addresses */
	struct ing_tls_shared tls;	/* tickets, session cache, fake certificate */
	int handshake_ms;		/* for a TLS handshake: 60 s, shorter in tests */
	struct k1s_facelog *log;	/* the access log: the face pods' log */
	struct ing_limits lim;
	struct pol *pol;		/* NULL: no NetworkPolicy */
};

/* The loops (ing_loop.c). */
struct ing_loop *ing_loop_start(struct ing *ing, int idx, int *err);
void ing_loop_wake(struct ing_loop *lp);
void ing_loop_join(struct ing_loop *lp);

#endif
