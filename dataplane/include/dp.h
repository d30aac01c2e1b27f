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

#include <stdbool.h>

struct st;
struct k1s_loop;
struct k1s_writer;
struct dp;
struct k1s_cidr;
struct k1s_ip4_range;
struct pol;
struct k1s_flow_ring;

/* Which address a backend sees a forwarded connection come from. */
enum dp_source {
	DP_SOURCE_NODE,		/* always the node's (the kernel's choice of source) */
	DP_SOURCE_CLIENT,	/* the client's, where kube-proxy keeps it: pods through
				 * a cluster IP, anyone through a node port or load
				 * balancer with externalTrafficPolicy Local; only
				 * towards endpoints in pod_net */
};

/* DP_SOURCE_CLIENT connects to backends from the client's address
 * (IP_TRANSPARENT) and steers their replies back to k1s, the TPROXY
 * pattern. On the host it installs, reconciles on start and removes on a
 * clean shutdown (unless another k1s serve is running):
 *   - nftables `table ip k1s`, chain `dp-reply`: a forwarded TCP or UDP
 *     packet that belongs to a transparent socket of this host gets mark
 *     DP_REPLY_MARK;
 *   - ip rule `fwmark DP_REPLY_MARK/DP_REPLY_MARK lookup DP_REPLY_TABLE`
 *     at priority DP_REPLY_TABLE;
 *   - route table DP_REPLY_TABLE: `local 0.0.0.0/0 dev lo`.
 * Where that cannot be done (not root, no nft socket), one line says so
 * and backends see the node's address. */
#define DP_REPLY_MARK	0x00400000u
#define DP_REPLY_TABLE	1115

struct dp_config {
	int loops;		/* data-path threads; 0 = one per core */
	const char *node_ip;	/* node ports listen here (and on 127.0.0.1) */
	/* LoadBalancer addresses. A service gets the node's address while
	 * every port it asks for is free there (not in reserved_ports, not
	 * another load balancer's or a node port), otherwise the first free
	 * address of the pool, or the one spec.loadBalancerIP or the
	 * annotation metallb.universe.tf/loadBalancerIPs asks for if the pool
	 * has it. One on the subnet of a host interface is probed (RFC 5227),
	 * added there as a /32 labelled "<ifname>:k1s" and announced with a
	 * gratuitous ARP, as MetalLB's layer-2 mode; removed when released, at
	 * a clean shutdown, and at start if an earlier run left it. */
	const struct k1s_ip4_range *lb_pool; /* NULL = none (or lb_pool_auto) */
	int tcp_idle_s;		/* an idle TCP connection ends; 0 = 3600 */
	int udp_idle_s;		/* an idle UDP flow ends; 0 = 30 */
	enum dp_source source;
	const struct k1s_cidr *pod_net;	/* clients a cluster IP keeps (kube-proxy's
					 * clusterCIDR); NULL = none */
	/* Nonzero when another k1s shares the host: its replies need the
	 * host state still, so shutdown leaves it. NULL = never. */
	int (*host_shared)(void);
	bool lb_pool_auto;	/* no lb_pool: ten addresses at the top of the node
				 * interface's subnet (dp_l2_auto_pool()) */
	const int *reserved_ports; /* TCP ports of the node's address that the
				 * ingress holds, 0-ended; NULL = none */
	/* NetworkPolicy: a connection or UDP flow goes only to an endpoint
	 * that pol_check() lets the client reach; none -> the client's
	 * connection is reset (its SYN was normally dropped before it got
	 * here) or its datagram dropped. NULL = no policy. */
	struct pol *pol;
};

/* Starts the dataplane. NULL and *err on failure. */
struct dp *dp_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
		  const struct dp_config *cfg, int *err);
void dp_free(struct dp *dp);
/* True once the first reconcile is done: a snapshot of every Service and
 * Endpoints in the store is built and every data-path loop has switched
 * to it, so its listeners are open. */
bool dp_ready(const struct dp *dp);
/* The flows the dataplane handled (k1s_flow.h), owned by dp: one record
 * per TCP connection and per UDP flow when it ends (client, the service
 * address it dialled, the Service, the endpoint, bytes each way), and
 * per one NetworkPolicy let reach no endpoint (denied, with the policies). */
struct k1s_flow_ring *dp_flows(struct dp *dp);

#endif
