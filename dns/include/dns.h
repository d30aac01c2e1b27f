/* Cluster DNS: authoritative for the cluster domain (Services, their
 * Endpoints, Pods) on the kube-dns cluster IP, port 53, UDP and TCP, on
 * an optional host address, and on the addresses of its face pods (the
 * pods the runtime reports as DNS's, containerID k1s://face/dns: kube-
 * system/coredns-<node>, kube-dns's endpoints); other names go to the host's upstream
 * resolvers, through a cache. The control side (a reconciler on the
 * control loop) follows the store and publishes immutable zone snapshots;
 * the server loops (io_uring, one per core by default) only read them.
 *
 * Threading: dns_new()/dns_free() on the control loop; the server threads
 * are the module's own. */
#ifndef DNS_H
#define DNS_H

#include "k1s_addr.h"

#include <stdbool.h>

struct st;
struct k1s_loop;
struct dns;
struct k1s_flow_ring;

struct dns_config {
	const char *domain;		/* "cluster.local" */
	const char *ip;			/* "10.96.0.10": served on port 53 */
	const char *listen;		/* extra host address "ip[:port]", or NULL */
	const char *resolv_conf;	/* upstreams; NULL = /etc/resolv.conf */
	int loops;			/* server threads; 0 = one per core */
	struct k1s_cidr service_net;	/* reverse names served here; prefix 0: 10.96.0.0/12 */
	struct k1s_cidr pod_net;	/* prefix 0: 10.244.0.0/16 */
	const char *data_dir;		/* the face's log goes in DATA_DIR/faces; NULL: none */
};

/* Starts the server. NULL and *err (negative errno) on failure. */
struct dns *dns_new(struct st *st, struct k1s_loop *loop, const struct dns_config *cfg,
		    int *err);
/* For after the control loop has stopped for good (the loop keeps hooks). */
void dns_free(struct dns *dns);
/* True once the first reconcile is done: the zone holds every Service and
 * Pod in the store and every server loop answers from it. */
bool dns_ready(const struct dns *dns);
/* The queries answered (k1s_flow.h), owned by dns: one record each, the
 * client, the address it asked, the name, type, rcode and answers. */
struct k1s_flow_ring *dns_flows(struct dns *dns);

#endif
