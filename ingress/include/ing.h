/* The ingress: an HTTP/1.1 reverse proxy for Ingress objects of the classes
 * nginx and k1s, on io_uring event loops (one per core by default). The
 * control side (on the control loop) follows Ingresses, IngressClasses,
 * Services and Endpoints in the store, builds an immutable routing table
 * and swaps it in; the loops only read tables. It writes each Ingress's
 * status.loadBalancer, and Warning events for what it does not do.
 *
 * Threading: ing_new()/ing_free() on the control loop; the loops are the
 * module's own. */
#ifndef ING_H
#define ING_H

#include <stdbool.h>

struct st;
struct k1s_loop;
struct k1s_writer;
struct ing;
struct k1s_flow_ring;
struct pol;

struct ing_config {
	int loops;			/* 0 = one per core */
	const char *const *listen;	/* addresses to serve HTTP and HTTPS on,
					 * NULL-terminated */
	int http_port;			/* 0 = 80 */
	int https_port;			/* 0 = 443, on the same addresses */
	const char *address;		/* written to each Ingress's status.loadBalancer */
	const char *data_dir;		/* the access log goes to its faces/ingress.log,
					 * the face pods' log; NULL = none */
	/* NetworkPolicy: a request goes only to an endpoint that pol_check()
	 * lets the ingress's face pod reach; none -> 504. NULL = no policy. */
	struct pol *pol;
};

struct ing *ing_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
		    const struct ing_config *cfg, int *err);
void ing_free(struct ing *ing);
/* True once the first table is built and every loop listens with it. */
bool ing_ready(const struct ing *ing);
/* The requests answered (k1s_flow.h), owned by ing: one record each, with
 * the client, host, method, path, status, bytes (request read, response
 * body sent), the Service and endpoint chosen; denied when NetworkPolicy
 * let the ingress reach no endpoint (answered 504), with the policies. */
struct k1s_flow_ring *ing_flows(struct ing *ing);

#endif
