/* Routing as ingress-nginx routes: from the Ingresses of the classes this
 * ingress handles, with the Services and Endpoints they name, an immutable
 * table that the loops read; for a request's host and path, the backend and
 * what to do on the way (rewrite, redirect, refuse).
 *
 * Built on the control thread, read by every loop at once; nothing in a
 * table changes after ing_table_build(). */
#ifndef ING_ROUTE_H
#define ING_ROUTE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ing_http.h"

/* What the table is built from, each a JSON object keyed "namespace/name"
 * (IngressClasses: "name") as the module's copy of the store holds them. */
struct ing_world {
	const json_t *ingresses;
	const json_t *classes;
	const json_t *services;
	const json_t *endpoints;
	/* data of ConfigMap ingress-nginx/ingress-nginx-controller, NULL when
	 * absent: the global settings ingress-nginx reads from it. */
	const json_t *config;
	/* When not NULL, how a build finds the Service or the Endpoints
	 * (res "services" or "endpoints") at "namespace/name" a backend
	 * names, in place of the two maps above, which it does not read
	 * then: the module keeps only those some Ingress names. The object
	 * is to last until the build ends. */
	const json_t *(*backend_get)(void *arg, const char *res, const char *key);
	void *backend_arg;
};

/* A Service port behind some paths, with its ready endpoints. */
struct ing_backend {
	const char *name;		/* ingress-nginx's upstream name: ns-svc-port */
	const char *service;		/* its Service, "ns/name"; NULL: none */
	uint32_t nep;
	const struct sockaddr_in *ep;	/* nep ready endpoints */
	bool https;			/* backend-protocol: HTTPS */
};

/* Per-location settings, from annotations over the ConfigMap over
 * ingress-nginx's defaults. */
struct ing_conf {
	int connect_timeout_ms;		/* proxy-connect-timeout (5 s) */
	int read_timeout_ms;		/* proxy-read-timeout (60 s) */
	int send_timeout_ms;		/* proxy-send-timeout (60 s) */
	uint64_t body_max;		/* proxy-body-size (1m); 0 = no limit */
	const char *vhost;		/* upstream-vhost, NULL = the client's Host */
};

/* What to do with a request. */
struct ing_route {
	/* 0: proxy to be (be->nep > 0) sending `target`; otherwise the
	 * ingress answers this status itself: 301/302/307/308 with Location
	 * `target`, 403 (whitelist-source-range), 404 (no rule: the default
	 * backend), 503 (a backend with no Service or no ready endpoint, a
	 * resource backend, an invalid whitelist-source-range), 400 (a path
	 * nginx refuses: no leading '/', a bad %-escape, %00, ".." above the
	 * root), 414 (the target does not fit in the caller's buffer). */
	int status;
	/* The upstream, also when the ingress answers: be->name is what the
	 * access log's [$proxy_upstream_name] shows ("upstream-default-backend"
	 * for a 404). NULL for 400, 414 and redirects before a location. */
	const struct ing_backend *be;
	const struct ing_conf *conf;	/* NULL when no location was reached */
	const char *ingress;		/* "namespace/name" of the Ingress that matched, or NULL */
	struct ing_str target;		/* in the caller's buffer */
};

/* Reports what an Ingress asks and the table does not do (an annotation
 * k1s does not implement, a resource backend, a bad regex): the
 * module makes it a Warning event on the Ingress. */
typedef void (*ing_warn_fn)(void *arg, const char *ns, const char *name, const char *reason,
			    const char *message);

struct ing_table;

/* NULL only when out of memory. */
struct ing_table *ing_table_build(const struct ing_world *w, ing_warn_fn warn, void *arg);
void ing_table_free(struct ing_table *t);

/* Routes a request: its host (any case, no port), path and query as sent,
 * the client's address (network order) and whether it came over TLS.
 * The rewritten target or a redirect's Location goes to buf. Allocates
 * nothing and is safe from any number of threads at once; it uses some
 * 40 KiB of stack. */
void ing_table_route(const struct ing_table *t, struct ing_str host, struct ing_str path,
		     struct ing_str query, uint32_t client_ip, bool tls, struct ing_route *r,
		     char *buf, size_t cap);

/* How many rules (host and path pairs) the table holds, for log lines. */
unsigned ing_table_rules(const struct ing_table *t);

#endif
