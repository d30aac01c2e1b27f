/* The policy module's inside: the view (pol_view.c builds it from store
 * objects, pol_eval.c judges flows on it and lists what the kernel must
 * hold), the kernel side (pol_nft.c), and the module (pol.c). */
#ifndef POL_INT_H
#define POL_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "pol.h"

/* ---- the view: immutable once built ---- */

struct pol_view;

/* A view is built from the objects it is given, and keeps references to
 * them: an object given must not be changed afterwards (replace it
 * instead, as the module's copy of the store does). A builder is used
 * once. Objects are the store's JSON (metadata, spec, status). */
struct pol_view_builder *pol_builder_new(const struct k1s_cidr *pod_net, uint32_t node_ip);
void pol_builder_namespace(struct pol_view_builder *b, const json_t *ns);
/* A pod with status.podIP (or `ip`, when not NULL: the runtime's gate
 * knows it first); pods without an address, or finished (Succeeded,
 * Failed), are left out. */
void pol_builder_pod(struct pol_view_builder *b, const json_t *pod, const char *ip);
/* A policy the API accepted; a rule the view cannot read (a bad CIDR that
 * an older store kept) allows nothing, so the pods it selects stay
 * isolated. */
void pol_builder_policy(struct pol_view_builder *b, const json_t *np);
void pol_builder_service(struct pol_view_builder *b, const json_t *svc);
void pol_builder_endpoints(struct pol_view_builder *b, const json_t *eps);
/* The Services' fronts (Services and Endpoints, JSON arrays, read only
 * while building: the fronts copy what they name and keep no object), to
 * be shared by the views of builders given them: what a view built with
 * pol_builder_service() and pol_builder_endpoints() would hold. NULL on
 * no memory. */
struct pol_fronts *pol_fronts_new(const json_t *svcs, const json_t *eps, uint32_t node_ip);
/* The fronts of n parts, in order, as one (a reference to each part is
 * taken; their endpoints are shared, not copied): so that one Service
 * changed costs its own fronts and a copy of the others' records. NULL
 * on no memory. */
struct pol_fronts *pol_fronts_join(struct pol_fronts *const *parts, size_t n);
/* One more reference; pol_fronts_free() drops one. NULL is a no-op. */
struct pol_fronts *pol_fronts_ref(struct pol_fronts *f);
void pol_fronts_free(struct pol_fronts *f);
/* The view's Services' fronts are f (a reference is taken), in place of
 * those of the Services and Endpoints given to b, if any. */
void pol_builder_fronts(struct pol_view_builder *b, struct pol_fronts *f);
/* The policies (JSON array, kept by reference) compiled apart from the
 * pods, to be shared by the views of builders given them: what a view
 * built with pol_builder_policy() would hold. NULL on no memory. */
struct pol_policies *pol_policies_new(const json_t *nps);
/* pol_policies_new(), sharing prev's compiled policies (prev NULL: none)
 * where nps holds them unchanged (the same object, or an equal spec):
 * one policy changed beside many costs its own compile. prev is not
 * changed. NULL on no memory. */
struct pol_policies *pol_policies_update(const struct pol_policies *prev, const json_t *nps);
/* One more reference; pol_policies_free() drops one. NULL is a no-op. */
struct pol_policies *pol_policies_ref(struct pol_policies *p);
void pol_policies_free(struct pol_policies *p);
/* The view's policies are p (a reference is taken), in place of those
 * given to b with pol_builder_policy(), if any. */
void pol_builder_policies(struct pol_view_builder *b, struct pol_policies *p);
/* The view, and the builder freed; NULL on no memory. */
struct pol_view *pol_builder_finish(struct pol_view_builder *b);
void pol_view_free(struct pol_view *v);

/* A pod as the view knows it. */
struct pol_pod {
	uint32_t ip;		/* host order */
	const char *ns, *name;
	bool face;		/* a face of a module inside k1s: its address is
				 * local to the host (status containerID k1s://face/...) */
};
size_t pol_view_npods(const struct pol_view *v);
const struct pol_pod *pol_view_pod(const struct pol_view *v, size_t i);
/* The pod at ip, or NULL. */
const struct pol_pod *pol_view_pod_at(const struct pol_view *v, uint32_t ip);

enum pol_dir { POL_INGRESS, POL_EGRESS };

/* The policies, in key ("namespace/name") order, and the drop counter
 * pol.c keeps for each across views (set before the view is published;
 * the counter outlives the view). */
size_t pol_view_npolicies(const struct pol_view *v);
const char *pol_view_policy_key(const struct pol_view *v, size_t i);
void pol_view_set_drops(struct pol_view *v, size_t i, _Atomic uint64_t *counter);

/* ---- pol_eval.c: judging ---- */

enum pol_verdict pol_view_check(const struct pol_view *v, const struct pol_flow *f);
/* Adds one to the drop counter of each policy that isolates the pod a
 * denied flow was denied at. Any thread. */
void pol_view_count_drop(const struct pol_view *v, const struct pol_flow *f,
			 enum pol_verdict verdict);
/* pol_explain()'s answer, on this view. */
json_t *pol_view_explain(const struct pol_view *v, const struct pol_flow *f);
/* The policies ("namespace/name") that select pod i for dir, in name
 * order; 0 = not isolated that way. */
size_t pol_view_isolating(const struct pol_view *v, size_t pod, enum pol_dir dir,
			  const char *const **names);

/* What pod i's chain allows in one direction: peers (sources for
 * ingress, destinations for egress) lo..hi, protocol (0: every protocol,
 * ports not looked at), ports plo..phi, every range inclusive. Named
 * ports are resolved already: on the pod itself for ingress, on each
 * destination pod for egress (an address that is no pod has no named
 * port). Sorted and without duplicates, so two lists compare with memcmp. */
struct pol_elem {
	uint32_t lo, hi;
	uint16_t plo, phi;
	uint8_t proto;
};
struct pol_elems {
	struct pol_elem *v;
	size_t n, cap;
};
/* Fills *out (emptied first) for pod i: false when the pod is not
 * isolated for dir (every flow passes; *out stays empty). */
bool pol_view_rules(const struct pol_view *v, size_t pod, enum pol_dir dir,
		    struct pol_elems *out);
/* pol_view_rules() for every pod at once (out and isolated: an entry
 * per pod, out's emptied first): the pods that the same policies isolate
 * (and, for ingress, with the same named containerPorts) have the same
 * list, made once and copied, as a Deployment's replicas do. 0 or
 * -ENOMEM. */
int pol_view_rules_all(const struct pol_view *v, enum pol_dir dir, struct pol_elems *out,
		       bool *isolated);
void pol_elems_free(struct pol_elems *e);
/* qsort's comparison for pol_elem: the order pol_view_rules() sorts in. */
int pol_elem_cmp(const void *a, const void *b);

/* The input hook's drops: a flow from pod `client` to an address where k1s
 * answers (a Service's cluster IP, node port or load-balancer address and
 * port; a face pod's address and containerPorts) that no endpoint behind
 * it allows, for every such (client, front, proto, port), sorted. A front
 * with no endpoint is left to its listener. */
struct pol_gate {
	uint32_t client, front;
	uint16_t port;
	uint8_t proto;
};
struct pol_gates {
	struct pol_gate *v;
	size_t n, cap;
};
int pol_view_gates(const struct pol_view *v, struct pol_gates *out);
/* The policies a drop at gate g is counted against, as the proxies count
 * a flow none of a front's endpoints allows: those isolating the pod at
 * which the flow to the front's first denying endpoint is denied (the
 * client's egress or that endpoint's ingress). 0 when the view no longer
 * has such a front or denial. */
size_t pol_view_gate_blame(const struct pol_view *v, const struct pol_gate *g,
			   const char *const **names);
void pol_gates_free(struct pol_gates *g);

/* ---- publishing the view to any thread (pol.c) ----
 * A hazard slot per reader thread: pol_check() marks the view it reads,
 * the control side frees a retired view once no slot marks it. */
#define POL_MAX_READERS 64

/* One pass of the control side, the loop's before-sleep hook (tests call
 * it to drive the module without running the loop): catches up with the
 * store and, when anything changed, builds, publishes and enforces a new
 * view. Returns the longest wait it allows, in ms (-1 = no limit). */
int pol_pass(struct pol *pol);

/* ---- pol_nft.c: the kernel side ---- */

struct pol_nft;
struct pol_nft_config {
	const char *table;	/* NULL: "k1s-policy" (table inet) */
	uint16_t log_group;	/* the drop log's NFLOG group; 0: POL_NFT_LOG_GROUP */
	int drop_logs_per_s;	/* drop log lines a second at most; 0: 10 */
};
#define POL_NFT_LOG_GROUP 1313
/* Opens libnftables and binds the drop log's NFLOG group (cfg NULL: the
 * defaults); the kernel is not touched until the first apply. NULL and
 * *err (-EPERM: not allowed). A group another process holds leaves the
 * log off (pol_nft_log_fd() -1), with a warning. */
struct pol_nft *pol_nft_new(const struct pol_nft_config *cfg, int *err);
/* Makes the kernel enforce v: the first call takes over whatever table an
 * earlier run left in one transaction (adopted when it has this shape:
 * rules and sets written again, verdict map keys kept; else replaced
 * whole), so the old rules enforce until the new ones do; later calls
 * change only the sets, elements, chains and map entries that differ from
 * the last view applied. 0 or a negative errno (nothing changed then; the
 * next call starts from the kernel's state again). */
int pol_nft_apply(struct pol_nft *n, const struct pol_view *v);
/* What the kernel holds for one pod: its ingress and egress chains, when
 * isolated that way (index enum pol_dir), and what each allows.
 * pol_nft_apply() gathers it from a view, faces left out (their address is
 * local: the input hook's gates judge flows to them). */
struct pol_nft_pod {
	uint32_t ip;
	bool isolated[2];
	struct pol_elems rules[2];
};
/* The rules of one chain as the kernel holds them: disjoint (an interval
 * set refuses overlaps), sorted, protocol 0 for every protocol and port,
 * covering exactly what in covers. 0 or -ENOMEM. */
int pol_nft_norm(const struct pol_elems *in, struct pol_elems *out);
/* pol_nft_apply() on pods given by hand (sorted by ip, unique), with the
 * gates (NULL: none): what pol_nft_apply() does once it has read the view. */
int pol_nft_apply_pods(struct pol_nft *n, const struct pol_nft_pod *pods, size_t npods,
		       const struct pol_gates *gates);
/* Drops the kernel counted, per pod chain and direction and per gate,
 * added to counts ({"namespace/name": n} by the policies that isolated
 * each), as totals since pol_nft_new(): each call reads the counters and
 * credits what is new since the last call to the policies that isolate
 * the pod now (a gate's: pol_view_gate_blame()). Drops of a chain or gate
 * removed between two calls are not credited to any policy. */
int pol_nft_drops(struct pol_nft *n, const struct pol_view *v, json_t *counts);
/* The drop log: an NFLOG socket the control loop polls; each read logs
 * the drops it holds, one line each (source, destination, port, the pod
 * and the policies that isolate it), at most drop_logs_per_s a second. */
int pol_nft_log_fd(const struct pol_nft *n);
void pol_nft_log_read(struct pol_nft *n, const struct pol_view *v);
/* Where the drop log puts a record of each dropped flow (NULL: none). */
void pol_nft_log_flows(struct pol_nft *n, struct k1s_flow_ring *ring);
/* Removes the table an earlier run left, if one is there, with no
 * pol_nft: 1 removed, 0 none, or a negative errno. */
int pol_nft_remove_left(void);
/* Removes the table (remove true) or leaves it enforcing, and frees. */
void pol_nft_free(struct pol_nft *n, bool remove);

/* pol_nft_log.c: the drop log's NFLOG socket (libmnl). One line per
 * dropped flow (a flow's retransmissions are one), at most per_s a second;
 * the rest are counted and said in one line. -EPERM without the right,
 * -EBUSY when another process holds the group. */
struct pol_nflog;
struct pol_nflog *pol_nflog_new(uint16_t group, int per_s, int *err);
/* The socket, or -1 for a log made with group 0 (no socket: it only
 * parses what it is given). */
int pol_nflog_fd(const struct pol_nflog *l);
void pol_nflog_read(struct pol_nflog *l, const struct pol_view *v);
/* Logs the drops in one read's worth of nfnetlink_log messages (v: who the
 * addresses are; NULL: addresses alone). */
void pol_nflog_parse(struct pol_nflog *l, const void *buf, size_t len,
		     const struct pol_view *v);
/* Drop log lines written and left out (over the rate) since start. */
void pol_nflog_stats(const struct pol_nflog *l, uint64_t *logged, uint64_t *missed);
/* Puts a record of each dropped flow (once per flow, as it logs, but not
 * held back by the rate of lines) into ring; NULL: none. */
void pol_nflog_set_flows(struct pol_nflog *l, struct k1s_flow_ring *ring);
void pol_nflog_free(struct pol_nflog *l);

#endif
