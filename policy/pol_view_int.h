/* The view's layout, shared by its builder (pol_view.c) and its readers
 * (pol_eval.c) only. Everything here is immutable once
 * pol_builder_finish() returns, except the drop counters it points to. */
#ifndef POL_VIEW_INT_H
#define POL_VIEW_INT_H

#include <stdatomic.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_addr.h"
#include "k1s_sel.h"
#include "pol_int.h"

/* A containerPort with a name, as a named port in a policy refers to it. */
struct pol_named {
	const char *pn_name;
	uint16_t pn_port;
	uint8_t pn_proto;
};

/* What the view knows of a pod beside struct pol_pod (same index). */
struct pol_podx {
	size_t px_ns;			/* index in v->nss */
	const json_t *px_labels;	/* borrowed from v->objs */
	struct pol_named *px_ports;
	size_t px_nports;
	uint32_t *px_iso[2];		/* policies selecting it, per enum pol_dir */
	size_t px_niso[2];
	const char **px_isonames[2];	/* their keys, for pol_view_isolating() */
};

struct pol_nsv {
	const char *ns_name;
	json_t *ns_labels;		/* own reference */
};

/* A peer of a rule: pods (its selectors; which pods they pick is the
 * view's v->peer_pods[pe_id]), or an ipBlock, or nothing (a peer the view
 * could not read). Peers equal in meaning are compiled once and shared by
 * the rules that name them, in one set of policies and the next. */
enum pol_peer_kind { POL_PEER_NONE, POL_PEER_PODS, POL_PEER_IPBLOCK };
struct pol_peer {
	atomic_int pe_refs;		/* one per rule naming it */
	uint64_t pe_hash;		/* of pe_key */
	json_t *pe_key;			/* its meaning, whose strings the selectors
					 * borrow */
	enum pol_peer_kind pe_kind;
	size_t pe_id;			/* index in ps_peers and v->peer_pods:
					 * unique in any set holding the peer */
	struct k1s_lsel *pe_psel;	/* POL_PEER_PODS */
	struct k1s_lsel *pe_nsel;	/* NULL: the policy's own namespace */
	const char *pe_own_ns;
	const char *pe_lkey, *pe_lval;	/* a label pe_psel requires, or NULL */
	struct k1s_cidr pe_cidr;	/* POL_PEER_IPBLOCK */
	struct k1s_cidr *pe_except;
	size_t pe_nexcept;
};

/* A port of a rule: proto 0 = a port the view could not read (matches
 * nothing); pp_name set = a named port, resolved on the destination pod. */
struct pol_rport {
	uint8_t pp_proto;
	uint16_t pp_lo, pp_hi;
	const char *pp_name;
};

struct pol_rule {
	struct pol_peer **ru_peers;	/* shared, owned by v->peers */
	size_t ru_npeers;		/* 0: every address */
	struct pol_rport *ru_ports;
	size_t ru_nports;		/* 0: every port and protocol */
};

struct pol_policy {
	const char *po_key;		/* "namespace/name", own */
	const char *po_ns;
	bool po_types[2];		/* isolates for POL_INGRESS, POL_EGRESS */
	struct pol_rule *po_rules[2];
	size_t po_nrules[2];
	struct k1s_lsel *po_sel;	/* podSelector; NULL and po_all: unreadable */
	bool po_all;
	const char *po_lkey, *po_lval;	/* a label po_sel requires, or NULL */
};

/* The policies compiled, apart from the pods (pol_policies.c): shared by
 * successive views (a pod's admission does not compile them again); when
 * a policy changes, the next set compiles that one and shares the others'
 * units. Immutable once made; freed with its last reference (the control
 * side takes and drops them all). */
struct pol_unit;
struct pol_policies {
	atomic_int ps_refs;
	struct pol_unit **ps_units;	/* one per policy, own references */
	struct pol_policy *ps_pols;	/* the units' policies, sorted by key,
					 * unique: copies borrowing the units' */
	size_t ps_npols;
	struct pol_peer **ps_peers;	/* by id, the units'; NULL for an id
					 * no peer of the set holds */
	size_t ps_npeers;		/* ids */
};

/* A front where k1s answers for endpoints: a Service's cluster IP, node
 * port or load-balancer address, or a face pod's address. */
struct pol_front {
	const char *fr_ns, *fr_name;	/* the Service's (its fronts' copy), or the
					 * face pod's (the view's) */
	bool fr_face;
	uint32_t fr_ip;
	uint16_t fr_port;
	uint8_t fr_proto;
	uint32_t *fr_ep_ip;
	uint16_t *fr_ep_port;
	size_t fr_neps;
};

/* The Services' fronts, built from Services and Endpoints alone: shared
 * by successive views (a pod's admission or a policy's change does not
 * touch them) and built again only when a Service or Endpoints changed.
 * Immutable once built; freed with its last reference (the control side
 * takes and drops them all). */
struct pol_fronts {
	atomic_int fs_refs;
	char *fs_names;			/* the Services' names, which fs_v's fr_ns
					 * and fr_name point into */
	struct pol_front *fs_v;
	size_t fs_n;
	struct pol_fronts **fs_parts;	/* joined: fs_v borrows their endpoints */
	size_t fs_nparts;
};

struct pol_view {
	struct k1s_cidr pod_net;
	uint32_t node_ip;
	json_t *objs;			/* the objects given, strings are borrowed */
	struct pol_pod *pods;		/* sorted by ip, unique */
	struct pol_podx *px;
	size_t npods;
	struct pol_nsv *nss;
	size_t nns;
	struct pol_policies *policies;	/* own reference */
	const struct pol_policy *pols;	/* the policies', sorted by key */
	size_t npols;
	uint64_t **peer_pods;		/* per peer (pe_id): bit i = pod i; NULL
					 * for an id no peer holds */
	_Atomic uint64_t **drops;	/* per policy: pol.c's counter, or NULL */
	struct pol_fronts *svc_fronts;	/* shared, own reference */
	struct pol_front *fronts;	/* the face pods' own */
	size_t nfronts;
};

/* TCP, UDP or SCTP from a Kubernetes protocol name, NULL being TCP (the
 * API's default); 0 for any other. */
uint8_t pol_proto_of(const char *s);
/* Fills v->fronts from the face pods of v, and v->svc_fronts, when not
 * given, from Services and Endpoints (JSON arrays). 0 or -ENOMEM. */
int pol_build_fronts(struct pol_view *v, const json_t *svcs, const json_t *eps);

/* Every front of v, the Services' first, then the faces'. */
static inline size_t pol_view_nfronts(const struct pol_view *v)
{
	return (v->svc_fronts ? v->svc_fronts->fs_n : 0) + v->nfronts;
}

static inline const struct pol_front *pol_view_front(const struct pol_view *v, size_t i)
{
	size_t ns = v->svc_fronts ? v->svc_fronts->fs_n : 0;

	return i < ns ? &v->svc_fronts->fs_v[i] : &v->fronts[i - ns];
}

/* The index of the pod at ip, or -1. Allocation-free, O(log n). */
long pol_view_find(const struct pol_view *v, uint32_t ip);

static inline bool pol_bit(const uint64_t *map, size_t i)
{
	return map[i / 64] >> (i % 64) & 1;
}

#endif
