/* NetworkPolicy (networking.k8s.io/v1): one evaluator of its semantics,
 * enforced in the kernel and asked by the proxies.
 *
 * The control side follows Namespaces, Pods, NetworkPolicies, Services and
 * Endpoints in the store on the control loop and builds an immutable view
 * of who may reach whom. From each view it brings the kernel up to date
 * (nftables `table inet k1s-policy`, changed element by element, never
 * reloaded whole):
 *   - the forward hook judges flows between pods, and between pods and the
 *     outside, on the routed veths: per-pod verdict chains whose sets hold
 *     the allowed peers, conntrack letting replies of allowed flows pass;
 *   - the input hook judges what pods send to the addresses where k1s
 *     proxies (cluster IPs, node ports, load balancers, face pods such as
 *     cluster DNS): a flow that no endpoint behind the address may take is
 *     dropped before its handshake, as the forward hook drops a direct one.
 * The proxies (dataplane, ingress) ask pol_check() for the flow they make
 * on a client's behalf, judged as the client reaching the chosen endpoint
 * (the ingress's as coming from its face pod), and pick only endpoints it
 * allows.
 *
 * Denied traffic is dropped, never refused, on every path, as most
 * network plugins (Calico, Cilium) drop: the client sees the same timeout
 * whether it dials the pod or its Service.
 *
 * Traffic between a pod and its own node passes (the node's address,
 * 127.0.0.0/8), as kubelet's probes need.
 *
 * Threading: pol_new(), pol_free(), pol_admit_pod() and pol_explain() on
 * the control loop; pol_check() and pol_count_drop() on any thread,
 * without locks. */
#ifndef POL_H
#define POL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_addr.h"

struct st;
struct k1s_loop;
struct pol;

struct pol_config {
	struct k1s_cidr pod_net;	/* prefix 0: 10.244.0.0/16 */
	const char *node_ip;		/* the node's address; NULL = none known */
	bool enforce;			/* install the nftables table (root); false:
					 * the evaluator alone */
	int drop_logs_per_s;		/* drop log lines per second at most; 0 = 10 */
};

/* Starts following the store. With enforce, a table left by a k1s that
 * was killed keeps enforcing until the first view is applied: its rules
 * and sets are written again inside the same chains in one transaction
 * (deleting and making the table anew let flows through while the kernel
 * committed), so a restart opens no window. NULL and *err on failure
 * (-EPERM without the right to change nftables: the caller may go on with
 * enforce false). */
struct pol *pol_new(struct st *st, struct k1s_loop *loop, const struct pol_config *cfg,
		    int *err);
/* Removes the table: for a clean shutdown, once the pods are stopped. */
void pol_free(struct pol *pol);
/* Frees, leaving the table enforcing for the pods that go on running
 * (pod_rt_leave()); the next pol_new() adopts it. */
void pol_leave(struct pol *pol);
/* For a start that will not enforce (--network-policy off, or pol_new()
 * failed): removes the table a run killed or stopped by SIGTERM left, which
 * would go on dropping with nobody to keep it up to date. 1 when it removed
 * one, 0 when there was none, a negative errno (-EPERM: not root). */
int pol_remove_left(void);
/* True once the first view (every object in the store) is enforced. */
bool pol_ready(const struct pol *pol);

/* The runtime's gate, called after a pod's network is set up and before
 * any of its programs start (a face's address answers): makes the view
 * know the pod at `ip` (its labels, namespace and containerPorts, from
 * `pod`) before the store says so, and enforces it. 0 once its rules, and
 * the rules of every pod its labels concern, are in the kernel (with no
 * NetworkPolicy at all there are none: 0 at once, the view takes the pod
 * in on the next pass); a negative errno when they could not be (the
 * runtime tries again). */
int pol_admit_pod(struct pol *pol, const json_t *pod, const char *ip);

/* ---- the evaluator ---- */

enum pol_proto { POL_TCP = 6, POL_UDP = 17, POL_SCTP = 132 };

struct pol_flow {
	uint32_t src, dst;	/* host order */
	uint16_t dport;
	uint8_t proto;		/* enum pol_proto */
};

enum pol_verdict {
	POL_ALLOWED,
	POL_DENIED_EGRESS,	/* the source pod is isolated for egress and no
				 * rule of a policy selecting it allows the flow */
	POL_DENIED_INGRESS,	/* the same for the destination pod's ingress */
};

/* Judges one new flow on the latest view: the source's egress, then the
 * destination's ingress. Any thread. */
enum pol_verdict pol_check(struct pol *pol, const struct pol_flow *f);
/* A proxy dropped a flow pol_check() denied: counted against the policies
 * that isolate the pod, and logged as the kernel's drops are (rate-
 * limited). Any thread. */
void pol_count_drop(struct pol *pol, const struct pol_flow *f, enum pol_verdict v);
/* The same, also writing into `names` (cap bytes, cut to fit) the
 * policies that isolate the pod, space-separated ("" when the view knows
 * no such pod): a proxy's flow record (k1s_flow.h) of the drop. */
void pol_count_drop_names(struct pol *pol, const struct pol_flow *f, enum pol_verdict v,
			  char *names, size_t cap);
/* The flows the kernel dropped, one record each (its retransmissions
 * within seconds are the same flow), with the isolating policies. Owned
 * by pol; NULL when nothing is enforced (no drop log). */
struct k1s_flow_ring *pol_flows(struct pol *pol);

/* Why a flow is allowed or denied, for the API's /k1s/policy/verdict:
 * {"verdict": "Allowed"|"Denied", "from": {...}, "to": {...},
 *  "egress": {"isolated": bool, "policies": [...], "allowedBy": {...}},
 *  "ingress": {...}}; "from" and "to" name the pod ("namespace", "name")
 * or say "node" or "external". A new reference; NULL on no memory. */
json_t *pol_explain(struct pol *pol, const struct pol_flow *f);
/* Drops counted per policy since start, kernel and proxies together:
 * {"namespace/name": count, ...}. A new reference. */
json_t *pol_drop_counts(struct pol *pol);

#endif
