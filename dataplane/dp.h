/* The service dataplane: L4 forwarding for ClusterIP, NodePort and
 * LoadBalancer services, TCP and UDP, on io_uring event loops (one per
 * core by default). The control side (a reconciler on the control loop)
 * reads Services and Endpoints from the store, builds an immutable
 * snapshot and swaps it in; the data-path loops only read snapshots.
 *
 * Threading: dp_new()/dp_free() on the control loop; the data-path
 * threads are the module's own. */
#ifndef DP_H
#define DP_H

struct st;
struct k1s_loop;
struct k1s_writer;
struct dp;

struct dp_config {
	int loops;		/* data-path threads; 0 = one per core */
	const char *node_ip;	/* node ports listen here (and on 127.0.0.1) */
	const char *lb_pool;	/* LoadBalancer addresses, "a.b.c.d-e.f.g.h" or CIDR;
				 * NULL = the node's address, as k3s's ServiceLB */
	int tcp_idle_s;		/* an idle TCP connection ends; 0 = 3600 */
	int udp_idle_s;		/* an idle UDP flow ends; 0 = 30 */
};

/* Starts the dataplane. NULL and *err on failure. */
struct dp *dp_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
		  const struct dp_config *cfg, int *err);
void dp_free(struct dp *dp);

#endif
