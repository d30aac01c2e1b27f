/* Inside the dataplane: the snapshot the control side builds and the
 * data-path loops read, and the loops' entry points.
 *
 * A snapshot is immutable once published (dp->pub, lib/k1s_pub.h): each
 * loop acknowledges the generation it has switched to, and a retired
 * snapshot is reused only when every loop has moved past it. */
#ifndef DP_INT_H
#define DP_INT_H

#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dp.h"
#include <jansson.h>

#include "k1s_addr.h"
#include "k1s_pub.h"
#include "pol.h"
#include "st.h"

enum dp_proto { DP_TCP, DP_UDP };

/* Flow records kept (k1s_flow.h): the last connections and UDP flows. */
#define DP_FLOWS 1024

/* One service port: where its traffic goes. */
struct dp_svc {
	uint32_t nep;
	struct sockaddr_in *eps;	/* ready endpoints ip:targetPort */
	uint32_t affinity_s;		/* ClientIP affinity timeout; 0 = none */
	bool local_policy;		/* externalTrafficPolicy: Local */
	uint64_t id;			/* the same across snapshots */
	uint32_t key;			/* its Service's "ns/name": at the
					 * snapshot's keys + key */
};

/* ClientIP affinity: the endpoint a client last reached, per service
 * port. Shared by the loops (the kernel spreads a client's connections
 * across them), so behind a lock taken only for services that ask for
 * affinity. */
#define DP_AFF_BUCKETS 4096

struct dp_aff {
	struct dp_aff *next;
	uint64_t svc;
	uint32_t client;
	struct sockaddr_in ep;
	int64_t until;
};

/* The endpoint `client` is bound to, if still in `sv`: 0, or -ENOENT. */
int dp_aff_get(struct dp *dp, const struct dp_svc *sv, uint32_t client, int64_t now,
	       struct sockaddr_in *ep);
void dp_aff_put(struct dp *dp, const struct dp_svc *sv, uint32_t client, int64_t now,
		const struct sockaddr_in *ep);
void dp_aff_free(struct dp *dp);

/* An address the dataplane listens on, and the service port behind it. */
struct dp_lsn {
	enum dp_proto proto;
	struct sockaddr_in addr;
	uint32_t svc;
	bool external;		/* a node port or load balancer address */
};

struct dp_snap {
	struct k1s_snap base;		/* first: dp_snap_of() */
	uint32_t nsvc, nlsn, nep;
	uint32_t cap_svc, cap_lsn, cap_ep;
	int lsn_loops;			/* loops that listen (the first ones) */
	struct dp_svc *svc;
	struct dp_lsn *lsn;
	struct sockaddr_in *eps;	/* svc[].eps point into it */
	char *keys;			/* the Services' "ns/name", each ended */
	uint32_t nkeys, cap_keys;	/* bytes */
};

/* The Service "ns/name" of one of s's service ports. */
static inline const char *dp_svc_key(const struct dp_snap *s, const struct dp_svc *sv)
{
	return s->keys + sv->key;
}

static inline struct dp_snap *dp_snap_of(struct k1s_snap *s)
{
	return (struct dp_snap *)s;
}

/* Compilation (dp_snap.c): a service whose object or Endpoints changed is
 * marked, and compiled again at the next build. */
void dp_snap_mark(struct dp *dp, const char *key);
void dp_snap_mark_all(struct dp *dp);
struct dp_snap *dp_snap_build(struct dp *dp);
void dp_snap_free(struct dp_snap *s);
/* A snapshot no loop reads any more: kept to build the next one in, since
 * touching fresh memory (page faults) costs more than the build itself. */
void dp_snap_recycle(struct dp *dp, struct dp_snap *s);
void dp_comp_clear(struct dp *dp);

/* Source addresses (dp_src.c): whether a backend sees the client's own
 * address, decided as kube-proxy decides to masquerade. `pods` is the pod
 * network (NULL: none known); addresses in network order. */
bool dp_src_client(const struct k1s_cidr *pods, bool external, bool local_policy,
		   uint32_t client, uint32_t ep);
/* Sets a connected-to-be socket's source to `client` (IP_TRANSPARENT);
 * 0 or -errno, after which the socket may still connect from the node. */
int dp_src_bind(int fd, uint32_t client, bool stream);

/* The host state that returns replies to transparent sockets (dp_host.c,
 * described in dp.h): 0, or -errno with one line logged. */
int dp_host_setup(void);
void dp_host_teardown(void);

/* LoadBalancer addresses on the node's network (dp_l2.c), MetalLB's
 * layer-2 mode. Addresses in host order. */
struct dp_l2_if {
	int index;
	char name[IF_NAMESIZE];
	uint8_t mac[6];
	struct k1s_cidr net;		/* its subnet */
};

/* The interface (not lo) whose IPv4 subnet holds ip: 0 or -ENOENT. */
int dp_l2_iface_for(uint32_t ip, struct dp_l2_if *ifc);
/* True when the host has ip already (its own, 127/8, a `local` route):
 * such an address is only bound, never announced. */
bool dp_l2_is_local(uint32_t ip);
/* The pool `auto` stands for: ten addresses at the top of the subnet of
 * the node's interface. 0, -ENOENT (no such interface) or -ERANGE (a
 * subnet smaller than /27). */
int dp_l2_auto_pool(uint32_t node_ip, struct k1s_ip4_range *r);
/* An RFC 5227 probe out of ifc, run by the control loop over 400 ms:
 * done() gets 0 when nobody claimed ip, -EADDRINUSE when someone did, or
 * -errno; it is called from the loop, never from dp_l2_probe_start().
 * p is the caller's and must stay until done() or dp_l2_probe_cancel(). */
struct dp_l2_probe {
	struct dp_l2_if ifc;
	uint32_t ip;
	int fd, sent;
	bool active;
	struct k1s_timer *timer;
	struct k1s_loop *loop;
	void (*done)(void *arg, uint32_t ip, int result);
	void *arg;
};

int dp_l2_probe_start(struct dp_l2_probe *p, struct k1s_loop *loop, const struct dp_l2_if *ifc,
		      uint32_t ip, void (*done)(void *arg, uint32_t ip, int result), void *arg);
void dp_l2_probe_cancel(struct dp_l2_probe *p);
/* Whether an ARP packet (from its header on, as an AF_PACKET datagram
 * socket gives it) shows another host than `mac` holding or probing ip. */
bool dp_l2_arp_claims(const uint8_t *buf, size_t len, uint32_t ip, const uint8_t mac[6]);
/* Adds ip/32 to ifc, labelled as k1s's, then sends a gratuitous ARP.
 * 0 or -errno. */
int dp_l2_announce(const struct dp_l2_if *ifc, uint32_t ip);
int dp_l2_withdraw(int ifindex, uint32_t ip);
/* Removes every address labelled as k1s's (what a killed run left). */
int dp_l2_sweep(void);

/* An address this run added to an interface. */
struct dp_l2_addr {
	uint32_t ip;
	int ifindex;
};

/* What the control side keeps of each Service and Endpoints (dp_rec.c):
 * the fields compile() and the LoadBalancer allocator read, copied out of
 * the store's object when it arrives, which is then let go (the store
 * frees an object once no module holds it). One allocation per record:
 * the record, its arrays and its strings. Control loop only. */
enum dp_svc_type {
	DP_SVC_CLUSTER_IP,		/* also an absent or unknown spec.type */
	DP_SVC_NODE_PORT,
	DP_SVC_LOAD_BALANCER,
	DP_SVC_EXTERNAL_NAME,
};

struct dp_port_rec {			/* spec.ports[] */
	const char *name;		/* "" when absent */
	const char *proto;		/* "TCP" when absent */
	int64_t port, node_port;	/* 0 when absent, as json_integer_value() */
};

struct dp_lb_ip {			/* status.loadBalancer.ingress[] */
	uint32_t ip;			/* host order */
	bool ok;			/* ip is an address */
};

struct dp_svc_rec {
	struct dp_svc_rec *next;	/* hash chain */
	uint8_t type;			/* enum dp_svc_type */
	bool deleting;			/* metadata.deletionTimestamp */
	bool cip_ok;			/* spec.clusterIP is an address */
	bool local_policy;		/* externalTrafficPolicy: Local */
	uint32_t cluster_ip;		/* host order */
	uint32_t affinity_s;		/* ClientIP affinity timeout; 0 = none */
	uint32_t asked;			/* spec.loadBalancerIP or MetalLB's annotation,
					 * host order; 0 = none */
	int64_t rev;			/* metadata.resourceVersion */
	const char *asked_why;		/* set: the request is invalid, in the
					 * AllocationFailed event's words */
	uint32_t nports, nlb;
	struct dp_port_rec *ports;
	struct dp_lb_ip *lb;
	char key[];			/* "ns/name" */
};

struct dp_ep_port {			/* subsets[].ports[] */
	const char *name;		/* "" when absent */
	uint16_t port;			/* 0 when absent or out of range */
	int8_t proto;			/* enum dp_proto, -1 for another */
};

struct dp_subset {
	uint32_t nports, nips;
	struct dp_ep_port *ports;
	uint32_t *ips;			/* addresses[].ip, network order */
};

struct dp_ep_rec {
	struct dp_ep_rec *next;
	uint32_t nsubsets;
	struct dp_subset *subsets;
	char key[];
};

#define DP_REC_BUCKETS 4096

/* FNV-1a of "ns/name", for the record and compiled-service tables. */
uint32_t dp_key_hash(const char *key);
struct dp_svc_rec *dp_svc_rec_get(const struct dp *dp, const char *key);
struct dp_ep_rec *dp_ep_rec_get(const struct dp *dp, const char *key);
/* Replaces the record of key (res "services" or "endpoints") with one of
 * obj: 0, or -ENOMEM with the old record gone. */
int dp_rec_put(struct dp *dp, const char *res, const char *key, const json_t *obj);
void dp_rec_del(struct dp *dp, const char *res, const char *key);
void dp_rec_clear(struct dp *dp);
/* The bytes malloc gave the records (malloc_usable_size). */
size_t dp_rec_bytes(const struct dp *dp);

/* Every Service record: i a size_t, r a struct dp_svc_rec *. */
#define dp_svc_rec_foreach(dp, i, r)                        \
	for ((i) = 0; (i) < DP_REC_BUCKETS; (i)++)          \
		for ((r) = (dp)->svc_rec[i]; (r); (r) = (r)->next)

/* LoadBalancer status (dp_lb.c): gives the services that changed an
 * address or leaves them Pending with a Warning event, and keeps the
 * announced addresses those in use. */
void dp_lb_status(struct dp *dp);
/* A Service or Endpoints changed (res "services" or "endpoints"): its
 * record replaced, and the service compiled again. */
void dp_cache_put(struct dp *dp, const char *res, const json_t *obj, bool del);
/* Withdraws every address announced (shutdown). */
void dp_lb_withdraw_all(struct dp *dp);

struct dp_loop;
struct dp_comp;

#define DP_COMP_BUCKETS DP_REC_BUCKETS	/* dp_key_hash() */

struct dp {
	struct st *st;
	struct k1s_loop *loop;
	const struct k1s_writer *w;
	char node_ip[INET_ADDRSTRLEN];
	int64_t tcp_idle_ms, udp_idle_ms;
	uint64_t fd_limit;		/* RLIMIT_NOFILE at start */
	int lsn_loops_was;		/* for one log line when it changes */
	uint32_t pool_lo, pool_hi;	/* host order; 0 = no pool */
	uint32_t node_ip_h;		/* host order; 0 = none */
	int *reserved;			/* TCP ports the node's address keeps, 0-ended */
	struct dp_l2_addr *l2;		/* announced, ours to withdraw */
	size_t nl2, cap_l2;
	uint32_t *l2_busy;		/* pool addresses another host answered for */
	size_t nbusy, cap_busy;
	uint32_t *l2_free;		/* pool addresses nobody answered for */
	size_t nfree, cap_free;
	struct dp_l2_probe probe;	/* one at a time */
	bool lb_freed;			/* an address was released: retry the Pending */
	bool l2_synced;			/* announcements matched to the store once */
	void *lb_pending;		/* json_t: keys of LoadBalancers without one */
	unsigned event_seq;
	bool src_client;		/* DP_SOURCE_CLIENT, and the host is set up */
	bool host_touched;		/* dp_host_setup() ran: undo at the end */
	struct k1s_cidr pod_net;
	bool pod_net_known;
	int (*host_shared)(void);
	struct pol *pol;		/* NULL: no NetworkPolicy */
	struct k1s_flow_ring *flows;	/* dp_flows() */

	/* Control side. */
	struct st_follower follow;
	bool dirty;
	struct dp_svc_rec *svc_rec[DP_REC_BUCKETS];
	struct dp_ep_rec *ep_rec[DP_REC_BUCKETS];
	size_t nsvc_rec, nep_rec;
	size_t rec_bytes;
	void *todo;			/* json_t: keys to compile again */
	struct dp_comp *comp[DP_COMP_BUCKETS];
	size_t ncomp;
	struct dp_snap *spare;
	uint64_t *lsn_set;		/* the build's listener set, kept */
	size_t lsn_set_cap;

	/* Shared with the loops. */
	struct k1s_pub pub;		/* of struct dp_snap, one reader per loop */
	atomic_int stop;
	int nloops;
	struct dp_loop **loops;
	pthread_mutex_t aff_mu;
	struct dp_aff *aff[DP_AFF_BUCKETS];
};

/* Flow records (dp_flow.c), put from the loops. A connection or UDP flow
 * that ended: from `client` to the service address `addr` of Service
 * `svc`, through endpoint `ep`, bytes each way. */
void dp_flow_done(struct dp *dp, uint8_t proto, const struct sockaddr_in *client,
		  const struct sockaddr_in *addr, const char *svc, const struct sockaddr_in *ep,
		  uint64_t sent, uint64_t received);
/* One that NetworkPolicy let reach no endpoint: the drop is counted
 * (pol_count_drop) and recorded with the policies that isolate the pod,
 * `denied` being the first endpoint's flow pol_check() refused. */
void dp_flow_denied(struct dp *dp, uint8_t proto, const struct sockaddr_in *client,
		    const struct sockaddr_in *addr, const char *svc,
		    const struct pol_flow *denied, enum pol_verdict why);

/* The loops. */
struct dp_loop *dp_loop_start(struct dp *dp, int idx, int *err);
/* Wakes a loop to look at the current snapshot (or dp->stop). */
void dp_loop_wake(struct dp_loop *lp);
/* Joins the thread (after dp->stop is set and the loop woken) and frees. */
void dp_loop_join(struct dp_loop *lp);

/* Control side: the before-sleep hook's work; returns the longest wait. */
int dp_ctl_pass(struct dp *dp);

/* NetworkPolicy on a proxied flow: judged as the client (network order)
 * reaching the endpoint itself, as a CNI judges a flow kube-proxy DNATs. */
static inline enum pol_verdict dp_pol_check(const struct dp *dp, uint32_t client,
					    const struct sockaddr_in *ep, enum pol_proto proto,
					    struct pol_flow *f)
{
	*f = (struct pol_flow){ntohl(client), ntohl(ep->sin_addr.s_addr), ntohs(ep->sin_port),
			       (uint8_t)proto};
	return pol_check(dp->pol, f);
}

#endif
