/* Controllers: the reconcilers that turn what users declared into what
 * runs.
 *
 * Threading: control loop only. */
#ifndef CTRL_H
#define CTRL_H

#include <stdbool.h>
#include <stdint.h>

struct st;
struct k1s_loop;
struct k1s_writer;
struct ctrl;
struct k1s_hist;

struct ctrl_config {
	const char *node_name;	/* pods are bound to this node */
	int64_t cert_validity;	/* seconds a Certificate without spec.duration
				 * lasts; 0: 2160h, cert-manager's default */
	/* A pass gives the loop back (to the API, the runtime) after this
	 * many writes or milliseconds, and the next one goes on where it
	 * stopped. 0: 32 writes, 10 ms; a negative pass_ms: no time limit
	 * (tests, whose passes are then the same on any machine). */
	int pass_writes;
	int pass_ms;
};

/* A Go duration ("2160h", "1h30m", "90s", "1.5h"), as cert-manager's
 * duration fields and --cert-validity take it, into whole seconds.
 * 0, or -EINVAL for text that is not one, or -ERANGE. */
int ctrl_duration_parse(const char *s, int64_t *secs);

/* Starts the reconcilers on the control loop: the scheduler (binds pods to
 * the node), Deployment -> ReplicaSet -> Pod, Service -> Endpoints and
 * EndpointSlices, Ingress -> Certificate -> Secret as cert-manager, and the
 * events they record. They read the store's event
 * log from a before-sleep hook and write through `w`. NULL on failure. */
struct ctrl *ctrl_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
		      const struct ctrl_config *cfg);
void ctrl_free(struct ctrl *c);
/* True once the first reconcile is done: every controller has made one
 * pass over a full list of the store (as informers sync before their
 * controllers start), so what the store held at start is reconciled. */
bool ctrl_ready(const struct ctrl *c);
/* How long one controller's reconcile of one key took: the i-th
 * controller's histogram and its name ("deployment", "endpoints", ...),
 * or NULL past the last. Borrowed for the life of c. */
const struct k1s_hist *ctrl_reconcile_time(const struct ctrl *c, unsigned i, const char **name);

/* The API server's HTTPS certificate: a new P-256 key and a server
 * certificate for these names and addresses (NULL-terminated lists),
 * signed by the cluster CA (created first if the store has none), valid
 * `days` from now. The CA's certificate comes with it, for clients to
 * trust. PEMs to free with k1s_pki_free(). 0 or a negative errno. Any
 * thread. */
int ctrl_serving_cert(struct st *st, const char *common_name, const char *const *dns_names,
		      const char *const *ip_addresses, int days, char **crt_pem, char **key_pem,
		      char **ca_pem);

#endif
