/* Judging flows on a view, and listing what the kernel must hold so that
 * it judges them the same way.
 *
 * A flow passes when the source's egress allows it and the destination's
 * ingress allows it; a pod no policy selects for a direction is not
 * isolated that way, and a selected pod takes the union of the rules of
 * every policy selecting it (types.go NetworkPolicySpec.PolicyTypes and
 * the "isolation" section of the NetworkPolicy concept page). Only pods
 * are isolated: an address that is no pod is subject to the rules of the
 * pod on the other side alone. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "k1s_addr.h"
#include "pol_int.h"
#include "pol_view_int.h"

/* The node's own traffic to and from its pods passes, as kubelet's
 * probes need (the concept page: "traffic to and from the node where a
 * Pod is running is always allowed"). */
static bool is_node(const struct pol_view *v, uint32_t ip)
{
	return (v->node_ip && ip == v->node_ip) || (ip >> 24) == 127;
}

static bool in_block(const struct pol_peer *pe, uint32_t ip)
{
	if (!k1s_cidr_contains(&pe->pe_cidr, ip))
		return false;
	for (size_t i = 0; i < pe->pe_nexcept; i++)
		if (k1s_cidr_contains(&pe->pe_except[i], ip))
			return false;
	return true;
}

/* ipBlock matches the address whoever holds it, pods included, as the
 * upstream e2e cases for ipBlock expect of pod addresses. */
static bool peer_match(const struct pol_view *v, const struct pol_peer *pe, uint32_t ip, long pod)
{
	switch (pe->pe_kind) {
	case POL_PEER_PODS:
		return pod >= 0 && pol_bit(v->peer_pods[pe->pe_id], (size_t)pod);
	case POL_PEER_IPBLOCK:
		return in_block(pe, ip);
	default:
		return false;
	}
}

/* A named port is the destination pod's containerPort of that name and
 * protocol (types.go NetworkPolicyPort.Port); an address that is no pod
 * has none. */
static bool named_match(const struct pol_view *v, long dpod, const struct pol_rport *rp,
			uint16_t port)
{
	if (dpod < 0)
		return false;
	for (size_t i = 0; i < v->px[dpod].px_nports; i++) {
		const struct pol_named *pn = &v->px[dpod].px_ports[i];

		if (pn->pn_port == port && pn->pn_proto == rp->pp_proto &&
		    !strcmp(pn->pn_name, rp->pp_name))
			return true;
	}
	return false;
}

static bool ports_match(const struct pol_view *v, const struct pol_rule *ru, long dpod,
			const struct pol_flow *f)
{
	if (!ru->ru_nports)
		return true;
	for (size_t i = 0; i < ru->ru_nports; i++) {
		const struct pol_rport *rp = &ru->ru_ports[i];

		if (!rp->pp_proto || rp->pp_proto != f->proto)
			continue;
		if (rp->pp_name ? named_match(v, dpod, rp, f->dport)
				: f->dport >= rp->pp_lo && f->dport <= rp->pp_hi)
			return true;
	}
	return false;
}

static bool rule_allows(const struct pol_view *v, const struct pol_rule *ru, uint32_t peer_ip,
			long peer, long dpod, const struct pol_flow *f)
{
	if (!ports_match(v, ru, dpod, f))
		return false;
	if (!ru->ru_npeers)
		return true;
	for (size_t i = 0; i < ru->ru_npeers; i++)
		if (peer_match(v, ru->ru_peers[i], peer_ip, peer))
			return true;
	return false;
}

/* Pod `pod`'s side of a flow for dir: -1 when it is allowed through no
 * isolation, else the index of the first policy (in name order) with a
 * rule allowing it (*rule its index), or -2 when none does. */
static long side(const struct pol_view *v, long pod, long peer, enum pol_dir dir,
		 const struct pol_flow *f, long *rule)
{
	const struct pol_podx *px;
	uint32_t peer_ip = dir == POL_INGRESS ? f->src : f->dst;
	long dpod = dir == POL_INGRESS ? pod : peer;

	if (pod < 0 || !v->px[pod].px_niso[dir])
		return -1;
	px = &v->px[pod];
	for (size_t i = 0; i < px->px_niso[dir]; i++) {
		const struct pol_policy *po = &v->pols[px->px_iso[dir][i]];

		for (size_t r = 0; r < po->po_nrules[dir]; r++)
			if (rule_allows(v, &po->po_rules[dir][r], peer_ip, peer, dpod, f)) {
				*rule = (long)r;
				return (long)px->px_iso[dir][i];
			}
	}
	return -2;
}

/* Flows that no policy judges: a pod to itself (it never leaves its
 * namespace) and the node to or from its pods. */
static bool exempt(const struct pol_view *v, const struct pol_flow *f)
{
	return f->src == f->dst || is_node(v, f->src) || is_node(v, f->dst);
}

enum pol_verdict pol_view_check(const struct pol_view *v, const struct pol_flow *f)
{
	long rule, src, dst;

	if (exempt(v, f) || !v->npols)
		return POL_ALLOWED;
	src = pol_view_find(v, f->src);
	dst = pol_view_find(v, f->dst);
	if (side(v, src, dst, POL_EGRESS, f, &rule) == -2)
		return POL_DENIED_EGRESS;
	if (side(v, dst, src, POL_INGRESS, f, &rule) == -2)
		return POL_DENIED_INGRESS;
	return POL_ALLOWED;
}

void pol_view_count_drop(const struct pol_view *v, const struct pol_flow *f,
			 enum pol_verdict verdict)
{
	long pod = pol_view_find(v, verdict == POL_DENIED_EGRESS ? f->src : f->dst);
	enum pol_dir dir = verdict == POL_DENIED_EGRESS ? POL_EGRESS : POL_INGRESS;

	if (verdict == POL_ALLOWED || pod < 0)
		return;
	for (size_t i = 0; i < v->px[pod].px_niso[dir]; i++) {
		_Atomic uint64_t *c = v->drops[v->px[pod].px_iso[dir][i]];

		if (c)
			atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
	}
}

size_t pol_view_isolating(const struct pol_view *v, size_t pod, enum pol_dir dir,
			  const char *const **names)
{
	if (pod >= v->npods) {
		*names = NULL;
		return 0;
	}
	*names = v->px[pod].px_isonames[dir];
	return v->px[pod].px_niso[dir];
}

/* ---- explain ---- */

static json_t *who(const struct pol_view *v, uint32_t ip)
{
	const struct pol_pod *p = pol_view_pod_at(v, ip);
	char buf[K1S_IP4_STRLEN];

	if (p)
		return json_pack("{s:s,s:s,s:s}", "namespace", p->ns, "name", p->name, "ip",
				 k1s_ip4_str(ip, buf));
	return json_pack("{s:s,s:s}", "kind", is_node(v, ip) ? "node" : "external", "ip",
			 k1s_ip4_str(ip, buf));
}

static json_t *explain_side(const struct pol_view *v, uint32_t ip, enum pol_dir dir,
			    const struct pol_flow *f)
{
	long pod = pol_view_find(v, ip), rule = -1, by;
	long peer = pol_view_find(v, dir == POL_INGRESS ? f->src : f->dst);
	json_t *o, *names = json_array();

	if (pod >= 0)
		for (size_t i = 0; i < v->px[pod].px_niso[dir]; i++)
			json_array_append_new(names, json_string(v->px[pod].px_isonames[dir][i]));
	o = json_pack("{s:b,s:o}", "isolated", pod >= 0 && v->px[pod].px_niso[dir], "policies",
		      names);
	by = side(v, pod, peer, dir, f, &rule);
	if (o && by >= 0)
		json_object_set_new(o, "allowedBy", json_pack("{s:s,s:I}", "policy",
							      v->pols[by].po_key, "rule",
							      (json_int_t)rule));
	return o;
}

/* A Service's front is judged at the endpoints behind it, as the input
 * hook's gates and the proxies judge it: the flow passes when the client
 * may reach one of them. */
#define POL_EXPLAIN_EPS 16

static json_t *explain_front(const struct pol_view *v, const struct pol_front *fr,
			     const struct pol_flow *f)
{
	json_t *eps = json_array(), *o;
	char ip[K1S_IP4_STRLEN];
	/* The node's own traffic passes; a pod's to the node's node port is
	 * the Service's. */
	bool any = is_node(v, f->src);

	for (size_t i = 0; i < fr->fr_neps; i++) {
		struct pol_flow e = {f->src, fr->fr_ep_ip[i], fr->fr_ep_port[i], f->proto};

		any = any || pol_view_check(v, &e) == POL_ALLOWED;
		if (i < POL_EXPLAIN_EPS)
			json_array_append_new(eps, pol_view_explain(v, &e));
	}
	o = json_pack("{s:s,s:o,s:{s:{s:s,s:s},s:s},s:i,s:o,s:s}", "verdict",
		      any ? "Allowed" : "Denied", "from", who(v, f->src), "to", "service",
		      "namespace", fr->fr_ns, "name", fr->fr_name, "ip", k1s_ip4_str(fr->fr_ip, ip),
		      "port", (int)f->dport, "endpoints", eps, "reason",
		      "judged at the Service's endpoints: allowed when the client may reach one");
	return o;
}

json_t *pol_view_explain(const struct pol_view *v, const struct pol_flow *f)
{
	enum pol_verdict verdict = pol_view_check(v, f);
	static const char *const protos[] = {[POL_TCP] = "TCP", [POL_UDP] = "UDP",
					     [POL_SCTP] = "SCTP"};
	const char *proto = f->proto < sizeof(protos) / sizeof(*protos) ? protos[f->proto] : NULL;

	if (pol_view_find(v, f->dst) < 0)
		for (size_t i = 0; i < pol_view_nfronts(v); i++) {
			const struct pol_front *fr = pol_view_front(v, i);

			if (fr->fr_ip == f->dst && fr->fr_port == f->dport &&
			    fr->fr_proto == f->proto && !fr->fr_face) {
				json_t *o = explain_front(v, fr, f);

				if (o && proto)
					json_object_set_new(o, "protocol", json_string(proto));
				return o;
			}
		}
	json_t *o = json_pack("{s:s,s:o,s:o,s:s?,s:i,s:o,s:o}", "verdict",
			      verdict == POL_ALLOWED ? "Allowed" : "Denied", "from", who(v, f->src),
			      "to", who(v, f->dst), "protocol", proto, "port", (int)f->dport,
			      "egress", explain_side(v, f->src, POL_EGRESS, f), "ingress",
			      explain_side(v, f->dst, POL_INGRESS, f));

	if (o && exempt(v, f))
		json_object_set_new(o, "reason", json_string(f->src == f->dst
								 ? "a pod's traffic to itself"
								 : "the node's traffic with its pods"));
	return o;
}

/* ---- what the kernel holds ---- */

static int elem_add(struct pol_elems *e, uint32_t lo, uint32_t hi, uint8_t proto, uint16_t plo,
		    uint16_t phi)
{
	struct pol_elem *x;

	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 32;
		struct pol_elem *grown = realloc(e->v, ncap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		e->v = grown;
		e->cap = ncap;
	}
	x = &e->v[e->n++];
	/* Padding zeroed too: lists compare with memcmp. */
	memset(x, 0, sizeof(*x));
	x->lo = lo;
	x->hi = hi;
	x->proto = proto;
	x->plo = proto ? plo : 0;
	x->phi = proto ? phi : 65535;
	return 0;
}

/* The order of a sorted pol_elems: addresses, protocol, ports. */
int pol_elem_cmp(const void *a, const void *b)
{
	const struct pol_elem *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->plo != y->plo)
		return x->plo < y->plo ? -1 : 1;
	if (x->phi != y->phi)
		return x->phi < y->phi ? -1 : 1;
	return 0;
}

static int cidr_cmp(const void *a, const void *b)
{
	const struct k1s_cidr *x = a, *y = b;

	return x->net < y->net ? -1 : x->net > y->net;
}

/* An ipBlock as ranges: cidr minus every except (types.go IPBlock). */
static int block_ranges(const struct pol_peer *pe, struct k1s_ip4_range *out, size_t *n)
{
	struct k1s_cidr *ex = calloc(pe->pe_nexcept + 1, sizeof(*ex));
	uint64_t cur = pe->pe_cidr.net, hi = cur + k1s_cidr_size(&pe->pe_cidr) - 1;

	if (!ex)
		return -ENOMEM;
	if (pe->pe_nexcept)
		memcpy(ex, pe->pe_except, pe->pe_nexcept * sizeof(*ex));
	qsort(ex, pe->pe_nexcept, sizeof(*ex), cidr_cmp);
	*n = 0;
	for (size_t i = 0; i < pe->pe_nexcept; i++) {
		uint64_t elo = ex[i].net, ehi = elo + k1s_cidr_size(&ex[i]) - 1;

		if (ehi < cur || elo > hi)
			continue;
		if (elo > cur)
			out[(*n)++] = (struct k1s_ip4_range){(uint32_t)cur, (uint32_t)elo - 1};
		if (ehi + 1 > cur)
			cur = ehi + 1;
	}
	if (cur <= hi)
		out[(*n)++] = (struct k1s_ip4_range){(uint32_t)cur, (uint32_t)hi};
	free(ex);
	return 0;
}

/* A peer's addresses as ranges: every address for NULL (a rule naming no
 * peer); each pod a selector picks as its one address. */
static int peer_ranges(const struct pol_view *v, const struct pol_peer *pe,
		       struct k1s_ip4_range **out, size_t *n)
{
	size_t cap = !pe ? 1 : pe->pe_kind == POL_PEER_PODS ? v->npods : pe->pe_nexcept + 1;

	*out = calloc(cap + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	*n = 0;
	if (!pe) {
		(*out)[(*n)++] = (struct k1s_ip4_range){0, UINT32_MAX};
	} else if (pe->pe_kind == POL_PEER_PODS) {
		for (size_t j = 0; j < v->npods; j++)
			if (pol_bit(v->peer_pods[pe->pe_id], j))
				(*out)[(*n)++] = (struct k1s_ip4_range){v->pods[j].ip, v->pods[j].ip};
	} else if (pe->pe_kind == POL_PEER_IPBLOCK) {
		return block_ranges(pe, *out, n);
	}
	return 0;
}

/* The first pod at or above ip. */
static size_t pod_lower(const struct pol_view *v, uint32_t ip)
{
	size_t lo = 0, hi = v->npods;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v->pods[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A named port for a range of peers: ingress resolves it on the pod
 * itself; egress on each destination pod in the range. */
static int named_elems(const struct pol_view *v, size_t pod, enum pol_dir dir,
		       const struct pol_rport *rp, const struct k1s_ip4_range *r,
		       struct pol_elems *out)
{
	if (dir == POL_INGRESS) {
		for (size_t k = 0; k < v->px[pod].px_nports; k++) {
			const struct pol_named *pn = &v->px[pod].px_ports[k];

			if (pn->pn_proto == rp->pp_proto && !strcmp(pn->pn_name, rp->pp_name) &&
			    elem_add(out, r->lo, r->hi, pn->pn_proto, pn->pn_port, pn->pn_port) < 0)
				return -ENOMEM;
		}
		return 0;
	}
	for (size_t j = pod_lower(v, r->lo); j < v->npods && v->pods[j].ip <= r->hi; j++)
		for (size_t k = 0; k < v->px[j].px_nports; k++) {
			const struct pol_named *pn = &v->px[j].px_ports[k];

			if (pn->pn_proto == rp->pp_proto && !strcmp(pn->pn_name, rp->pp_name) &&
			    elem_add(out, v->pods[j].ip, v->pods[j].ip, pn->pn_proto, pn->pn_port,
				     pn->pn_port) < 0)
				return -ENOMEM;
		}
	return 0;
}

/* One (peer, port) pair of some rule: the policies selecting a pod often
 * repeat the same peers and ports, so pairs are made unique before they
 * are expanded into addresses. */
struct pol_pair {
	const struct pol_peer *peer;	/* NULL: every address */
	const struct pol_rport *port;	/* NULL: every port and protocol */
};

static int rport_cmp(const struct pol_rport *x, const struct pol_rport *y)
{
	if (!x || !y)
		return (x != NULL) - (y != NULL);
	if (x->pp_proto != y->pp_proto)
		return x->pp_proto < y->pp_proto ? -1 : 1;
	if (x->pp_lo != y->pp_lo)
		return x->pp_lo < y->pp_lo ? -1 : 1;
	if (x->pp_hi != y->pp_hi)
		return x->pp_hi < y->pp_hi ? -1 : 1;
	if (!x->pp_name || !y->pp_name)
		return (x->pp_name != NULL) - (y->pp_name != NULL);
	return strcmp(x->pp_name, y->pp_name);
}

static int pair_cmp(const void *a, const void *b)
{
	const struct pol_pair *x = a, *y = b;

	if (x->peer != y->peer)
		return (uintptr_t)x->peer < (uintptr_t)y->peer ? -1 : 1;
	return rport_cmp(x->port, y->port);
}

static int pair_elems(const struct pol_view *v, size_t pod, enum pol_dir dir,
		      const struct pol_pair *pr, struct pol_elems *out)
{
	const struct pol_rport *rp = pr->port;
	struct k1s_ip4_range *r;
	size_t n;
	int rc = 0;

	if (rp && !rp->pp_proto)
		return 0;
	if (peer_ranges(v, pr->peer, &r, &n) < 0) {
		free(r);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		if (!rp)
			rc = elem_add(out, r[i].lo, r[i].hi, 0, 0, 65535);
		else if (rp->pp_name)
			rc = named_elems(v, pod, dir, rp, &r[i], out);
		else
			rc = elem_add(out, r[i].lo, r[i].hi, rp->pp_proto, rp->pp_lo, rp->pp_hi);
	}
	free(r);
	return rc;
}

/* The (peer, port) pairs of every rule of the policies isolating pod i for
 * dir, unique. */
static int pod_pairs(const struct pol_view *v, const struct pol_podx *px, enum pol_dir dir,
		     struct pol_pair **out, size_t *n)
{
	size_t cap = 0, k = 0;

	for (size_t i = 0; i < px->px_niso[dir]; i++) {
		const struct pol_policy *po = &v->pols[px->px_iso[dir][i]];

		for (size_t r = 0; r < po->po_nrules[dir]; r++)
			cap += (po->po_rules[dir][r].ru_npeers ?: 1) *
			       (po->po_rules[dir][r].ru_nports ?: 1);
	}
	*out = calloc(cap + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < px->px_niso[dir]; i++) {
		const struct pol_policy *po = &v->pols[px->px_iso[dir][i]];

		for (size_t r = 0; r < po->po_nrules[dir]; r++) {
			const struct pol_rule *ru = &po->po_rules[dir][r];

			for (size_t a = 0; a < (ru->ru_npeers ?: 1); a++)
				for (size_t b = 0; b < (ru->ru_nports ?: 1); b++)
					(*out)[k++] = (struct pol_pair){
					    ru->ru_npeers ? ru->ru_peers[a] : NULL,
					    ru->ru_nports ? &ru->ru_ports[b] : NULL};
		}
	}
	qsort(*out, k, sizeof(**out), pair_cmp);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (!*n || pair_cmp(&(*out)[*n - 1], &(*out)[i]))
			(*out)[(*n)++] = (*out)[i];
	return 0;
}

bool pol_view_rules(const struct pol_view *v, size_t pod, enum pol_dir dir,
		    struct pol_elems *out)
{
	struct pol_pair *pairs = NULL;
	size_t npairs, k = 0;

	out->n = 0;
	if (pod >= v->npods || !v->px[pod].px_niso[dir])
		return false;
	if (pod_pairs(v, &v->px[pod], dir, &pairs, &npairs) < 0)
		goto nomem;
	for (size_t i = 0; i < npairs; i++)
		if (pair_elems(v, pod, dir, &pairs[i], out) < 0)
			goto nomem;
	free(pairs);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), pol_elem_cmp);
	for (size_t i = 0; i < out->n; i++)
		if (!k || pol_elem_cmp(&out->v[k - 1], &out->v[i]))
			out->v[k++] = out->v[i];
	out->n = k;
	return true;
nomem:
	/* Closed rather than open: an isolated pod with nothing allowed. */
	free(pairs);
	out->n = 0;
	return true;
}

/* What pod i's list depends on: the policies isolating it for dir and,
 * for ingress, its own named containerPorts (where a rule's named port
 * resolves); for egress a named port resolves on each destination, the
 * same for every pod. */
static int rules_key_cmp(const struct pol_view *v, enum pol_dir dir, size_t a, size_t b)
{
	const struct pol_podx *x = &v->px[a], *y = &v->px[b];

	if (x->px_niso[dir] != y->px_niso[dir])
		return x->px_niso[dir] < y->px_niso[dir] ? -1 : 1;
	for (size_t i = 0; i < x->px_niso[dir]; i++)
		if (x->px_iso[dir][i] != y->px_iso[dir][i])
			return x->px_iso[dir][i] < y->px_iso[dir][i] ? -1 : 1;
	if (dir != POL_INGRESS)
		return 0;
	if (x->px_nports != y->px_nports)
		return x->px_nports < y->px_nports ? -1 : 1;
	for (size_t i = 0; i < x->px_nports; i++) {
		const struct pol_named *m = &x->px_ports[i], *n = &y->px_ports[i];
		int c = strcmp(m->pn_name, n->pn_name);

		if (c)
			return c;
		if (m->pn_port != n->pn_port)
			return m->pn_port < n->pn_port ? -1 : 1;
		if (m->pn_proto != n->pn_proto)
			return m->pn_proto < n->pn_proto ? -1 : 1;
	}
	return 0;
}

struct rules_sort {
	const struct pol_view *v;
	enum pol_dir dir;
};

static int rules_sort_cmp(const void *a, const void *b, void *arg)
{
	const struct rules_sort *rs = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = rules_key_cmp(rs->v, rs->dir, x, y);

	return c ? c : (x > y) - (x < y);
}

int pol_view_rules_all(const struct pol_view *v, enum pol_dir dir, struct pol_elems *out,
		       bool *isolated)
{
	size_t *at = calloc(v->npods + 1, sizeof(*at)), n = 0, first = 0;
	struct rules_sort rs = {v, dir};

	if (!at)
		return -ENOMEM;
	for (size_t i = 0; i < v->npods; i++) {
		out[i].n = 0;
		isolated[i] = v->px[i].px_niso[dir] > 0;
		if (isolated[i])
			at[n++] = i;
	}
	qsort_r(at, n, sizeof(*at), rules_sort_cmp, &rs);
	for (size_t k = 0; k < n; k++) {
		struct pol_elems *e = &out[at[k]], *same = &out[at[first]];

		if (k == 0 || rules_key_cmp(v, dir, at[first], at[k])) {
			first = k;
			pol_view_rules(v, at[k], dir, e);
			continue;
		}
		/* Closed rather than open on no memory, as pol_view_rules(). */
		if (same->n && e->cap < same->n) {
			struct pol_elem *grown = realloc(e->v, same->n * sizeof(*grown));

			if (!grown)
				continue;
			e->v = grown;
			e->cap = same->n;
		}
		if (same->n)
			memcpy(e->v, same->v, same->n * sizeof(*e->v));
		e->n = same->n;
	}
	free(at);
	return 0;
}

void pol_elems_free(struct pol_elems *e)
{
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}

/* ---- the input hook's gates ---- */

static int gate_cmp(const void *a, const void *b)
{
	const struct pol_gate *x = a, *y = b;

	if (x->client != y->client)
		return x->client < y->client ? -1 : 1;
	if (x->front != y->front)
		return x->front < y->front ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return (x->proto > y->proto) - (x->proto < y->proto);
}

static int gate_add(struct pol_gates *g, uint32_t client, const struct pol_front *fr)
{
	struct pol_gate *x;

	if (g->n == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 32;
		struct pol_gate *grown = realloc(g->v, ncap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		g->v = grown;
		g->cap = ncap;
	}
	x = &g->v[g->n++];
	memset(x, 0, sizeof(*x));
	x->client = client;
	x->front = fr->fr_ip;
	x->port = fr->fr_port;
	x->proto = fr->fr_proto;
	return 0;
}

/* A client may reach the front: through one of its endpoints. */
static bool front_reachable(const struct pol_view *v, uint32_t client, const struct pol_front *fr)
{
	for (size_t e = 0; e < fr->fr_neps; e++) {
		struct pol_flow f = {client, fr->fr_ep_ip[e], fr->fr_ep_port[e], fr->fr_proto};

		if (pol_view_check(v, &f) == POL_ALLOWED)
			return true;
	}
	return false;
}

int pol_view_gates(const struct pol_view *v, struct pol_gates *out)
{
	size_t nfr = pol_view_nfronts(v), nclosed = 0, k = 0, *closed = NULL;
	bool any_iso = false;

	out->n = 0;
	if (!v->npols)
		return 0;
	for (size_t c = 0; c < v->npods && !any_iso; c++)
		any_iso = v->px[c].px_niso[POL_INGRESS] || v->px[c].px_niso[POL_EGRESS];
	/* No pod isolated: every flow passes, no gate. */
	if (!any_iso)
		return 0;
	/* The fronts a client free to go anywhere may not reach through some
	 * endpoint open to anyone (an address that is no pod, or a pod not
	 * isolated for ingress): found once, not once per client. */
	closed = calloc(nfr + 1, sizeof(*closed));
	if (!closed)
		return -ENOMEM;
	for (size_t i = 0; i < nfr; i++) {
		const struct pol_front *fr = pol_view_front(v, i);
		bool open = false;

		for (size_t e = 0; e < fr->fr_neps && !open; e++) {
			long ep = pol_view_find(v, fr->fr_ep_ip[e]);

			open = ep < 0 || !v->px[ep].px_niso[POL_INGRESS];
		}
		if (!open)
			closed[nclosed++] = i;
	}
	for (size_t c = 0; c < v->npods; c++) {
		bool egress = v->px[c].px_niso[POL_EGRESS] > 0;
		size_t n = egress ? nfr : nclosed;

		if (v->pods[c].face)
			continue;
		for (size_t i = 0; i < n; i++) {
			const struct pol_front *fr = pol_view_front(v, egress ? i : closed[i]);

			if (!front_reachable(v, v->pods[c].ip, fr) &&
			    gate_add(out, v->pods[c].ip, fr) < 0) {
				free(closed);
				return -ENOMEM;
			}
		}
	}
	free(closed);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), gate_cmp);
	for (size_t i = 0; i < out->n; i++)
		if (!k || gate_cmp(&out->v[k - 1], &out->v[i]))
			out->v[k++] = out->v[i];
	out->n = k;
	return 0;
}

size_t pol_view_gate_blame(const struct pol_view *v, const struct pol_gate *g,
			   const char *const **names)
{
	*names = NULL;
	for (size_t i = 0; i < pol_view_nfronts(v); i++) {
		const struct pol_front *fr = pol_view_front(v, i);

		if (fr->fr_ip != g->front || fr->fr_port != g->port || fr->fr_proto != g->proto)
			continue;
		for (size_t e = 0; e < fr->fr_neps; e++) {
			struct pol_flow f = {g->client, fr->fr_ep_ip[e], fr->fr_ep_port[e],
					     fr->fr_proto};
			enum pol_verdict why = pol_view_check(v, &f);
			long pod;

			if (why == POL_ALLOWED)
				continue;
			pod = pol_view_find(v, why == POL_DENIED_EGRESS ? f.src : f.dst);
			return pod < 0 ? 0
				       : pol_view_isolating(v, (size_t)pod,
							    why == POL_DENIED_EGRESS ? POL_EGRESS
										     : POL_INGRESS,
							    names);
		}
	}
	return 0;
}

void pol_gates_free(struct pol_gates *g)
{
	free(g->v);
	g->v = NULL;
	g->n = g->cap = 0;
}
