/* What an Ingress asks: its class, and its nginx.ingress.kubernetes.io/
 * annotations over the ingress-nginx-controller ConfigMap over
 * ingress-nginx's defaults (internal/ingress/controller/config/config.go,
 * controller-v1.9.0); and the arena a table lives in. */
#ifndef ING_ANNOT_H
#define ING_ANNOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "k1s_addr.h"
#include "ing_route.h"

/* Memory that lives as long as one table: freed all at once. */
struct ing_arena;
void *ing_arena_alloc(struct ing_arena **a, size_t n);		/* zeroed; NULL when out of memory */
char *ing_arena_strndup(struct ing_arena **a, const char *s, size_t n);
void ing_arena_free(struct ing_arena *a);

/* Settings of every location, from the ConfigMap or the defaults. */
struct ing_defaults {
	struct ing_conf conf;
	bool ssl_redirect, force_ssl_redirect, preserve_trailing_slash;
	int redirect_code;		/* http-redirect-code: of ssl-redirect (308) */
	const struct k1s_cidr *allow;	/* whitelist-source-range; NULL: anyone */
	unsigned nallow;
};

/* One Ingress's annotations, resolved over the defaults. */
struct ing_annot {
	struct ing_conf conf;
	const char *rewrite_target;	/* NULL when absent */
	/* the target split at its first '?', as nginx's rewrite reads it:
	 * the new URI, and the new arguments (NULL: none; "": the
	 * request's dropped) */
	const char *rewrite_path, *rewrite_args;
	bool use_regex;
	const char *app_root;		/* NULL when absent */
	bool ssl_redirect, force_ssl_redirect, preserve_trailing_slash;
	const char *redirect_url;	/* permanent- or temporal-redirect */
	int redirect_code;
	bool https;			/* backend-protocol: HTTPS */
	bool denied;			/* whitelist-source-range has no valid network: 503 */
	const struct k1s_cidr *allow;	/* NULL: anyone; else only these (none: 403 to all) */
	unsigned nallow;
};

/* The ConfigMap's data (NULL: none). Invalid values keep the defaults. */
int ing_defaults_parse(const json_t *data, struct ing_arena **a, struct ing_defaults *d);

/* An Ingress's annotations; warns once for each annotation it does not
 * implement or cannot read. -ENOMEM or 0. */
int ing_annot_parse(const json_t *ingress, const struct ing_defaults *d, struct ing_arena **a,
		    ing_warn_fn warn, void *arg, struct ing_annot *an);

/* Whether an Ingress is ours: by spec.ingressClassName (an IngressClass of
 * our controller, or nginx or k1s when no such object exists), else the
 * kubernetes.io/ingress.class annotation (nginx or k1s, as ingress-nginx's
 * --ingress-class), else the default IngressClass decides, as
 * kube-apiserver's DefaultIngressClass admission would have set it. With no
 * default class at all, an Ingress without a class is ours, as for
 * ingress-nginx with --watch-ingress-without-class: k1s's ingress is the
 * only one on its node. */
bool ing_class_ours(const struct ing_world *w, const json_t *ing);
/* The same from the Ingress's spec.ingressClassName and annotations. */
bool ing_class_ours_of(const struct ing_world *w, const char *class_name, const json_t *anns);

/* The annotations of a location that has none: the defaults alone. */
void ing_annot_defaults(const struct ing_defaults *d, struct ing_annot *an);

#endif
