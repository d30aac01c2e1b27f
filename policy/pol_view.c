/* The view: NetworkPolicies compiled once against the pods and namespaces
 * of one moment, so that judging a flow (pol_eval.c) is lookups only.
 * What depends on the policies alone (their rules, peers and selectors,
 * struct pol_policies) is compiled apart (pol_policies.c) and shared by
 * successive views, as the Services' fronts are (pol_front.c): a view for
 * a pod admitted picks pods with selectors already read.
 *
 * Semantics are networking.k8s.io/v1's, as kubernetes/api
 * networking/v1/types.go documents them and pkg/apis/networking/v1
 * defaults them; each is noted where it is compiled. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "k1s_addr.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_sel.h"
#include "pol_int.h"
#include "pol_view_int.h"

struct pol_view_builder {
	struct k1s_cidr pod_net;
	uint32_t node_ip;
	json_t *nss, *pods, *pols, *svcs, *eps;	/* arrays of copies */
	struct pol_fronts *fronts;		/* own reference, or NULL */
	struct pol_policies *policies;		/* own reference, or NULL */
	bool nomem;
};

struct pol_view_builder *pol_builder_new(const struct k1s_cidr *pod_net, uint32_t node_ip)
{
	struct pol_view_builder *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	if (pod_net && pod_net->bits)
		b->pod_net = *pod_net;
	else
		b->pod_net = (struct k1s_cidr){.net = 0x0af40000, .bits = 16};
	b->node_ip = node_ip;
	b->nss = json_array();
	b->pods = json_array();
	b->pols = json_array();
	b->svcs = json_array();
	b->eps = json_array();
	if (!b->nss || !b->pods || !b->pols || !b->svcs || !b->eps)
		b->nomem = true;
	return b;
}

static void keep(struct pol_view_builder *b, json_t *list, const json_t *obj)
{
	if (!json_is_object(obj) || !list)
		return;
	/* A reference, not a copy: the caller's objects are replaced, never
	 * changed, once given (pol.c's copy of the store is). */
	if (json_array_append(list, (json_t *)obj) < 0)
		b->nomem = true;
}

void pol_builder_namespace(struct pol_view_builder *b, const json_t *ns)
{
	keep(b, b->nss, ns);
}

void pol_builder_pod(struct pol_view_builder *b, const json_t *pod, const char *ip)
{
	const char *phase = k1s_json_str(pod, "status.phase");
	json_t *c;

	if (!json_is_object(pod))
		return;
	if (!ip)
		ip = k1s_json_str(pod, "status.podIP");
	/* A finished pod's address may already be another's. */
	if (!ip || (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))))
		return;
	c = json_pack("{s:O,s:s}", "pod", pod, "ip", ip);
	if (!c || json_array_append_new(b->pods, c) < 0)
		b->nomem = true;
}

void pol_builder_policy(struct pol_view_builder *b, const json_t *np)
{
	keep(b, b->pols, np);
}

void pol_builder_service(struct pol_view_builder *b, const json_t *svc)
{
	keep(b, b->svcs, svc);
}

void pol_builder_endpoints(struct pol_view_builder *b, const json_t *eps)
{
	keep(b, b->eps, eps);
}

void pol_builder_fronts(struct pol_view_builder *b, struct pol_fronts *f)
{
	pol_fronts_free(b->fronts);
	b->fronts = pol_fronts_ref(f);
}

void pol_builder_policies(struct pol_view_builder *b, struct pol_policies *p)
{
	pol_policies_free(b->policies);
	b->policies = pol_policies_ref(p);
}

static void builder_free(struct pol_view_builder *b)
{
	pol_fronts_free(b->fronts);
	pol_policies_free(b->policies);
	json_decref(b->nss);
	json_decref(b->pods);
	json_decref(b->pols);
	json_decref(b->svcs);
	json_decref(b->eps);
	free(b);
}

/* ---- namespaces ---- */

static long ns_find(const struct pol_view *v, const char *name)
{
	size_t lo = 0, hi = v->nns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(v->nss[mid].ns_name, name);

		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int ns_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pol_nsv *)a)->ns_name, ((const struct pol_nsv *)b)->ns_name);
}

/* Namespaces from the store, and those that pods and policies name without
 * one (a view may be built before the Namespace arrives). Every one carries
 * kubernetes.io/metadata.name = its name: kube-apiserver sets that label on
 * every namespace (NamespaceDefaultLabelName, Kubernetes 1.21). */
static int build_namespaces(struct pol_view *v, struct pol_view_builder *b)
{
	json_t *names = json_object(), *o;
	const char *k;
	size_t i;

	if (!names)
		return -ENOMEM;
	json_array_foreach(b->nss, i, o) {
		const char *n = k1s_json_str(o, "metadata.name");
		json_t *l = json_object_get(k1s_json_path(o, "metadata"), "labels");

		if (n)
			json_object_set_new(names, n, json_is_object(l) ? json_deep_copy(l) : json_object());
	}
	json_array_foreach(b->pods, i, o) {
		const char *n = k1s_json_str(o, "pod.metadata.namespace");

		if (n && !json_object_get(names, n))
			json_object_set_new(names, n, json_object());
	}
	for (i = 0; i < v->npols; i++)
		if (!json_object_get(names, v->pols[i].po_ns))
			json_object_set_new(names, v->pols[i].po_ns, json_object());
	v->nss = calloc(json_object_size(names) + 1, sizeof(*v->nss));
	if (!v->nss) {
		json_decref(names);
		return -ENOMEM;
	}
	json_object_foreach(names, k, o) {
		struct pol_nsv *ns = &v->nss[v->nns++];

		json_object_set_new(o, "kubernetes.io/metadata.name", json_string(k));
		ns->ns_labels = json_incref(o);
		ns->ns_name = json_string_value(
		    json_object_get(o, "kubernetes.io/metadata.name"));
	}
	qsort(v->nss, v->nns, sizeof(*v->nss), ns_cmp);
	json_decref(names);
	return 0;
}

/* ---- pods ---- */

uint8_t pol_proto_of(const char *s)
{
	/* Protocol defaults to TCP (pkg/apis/core/v1 and networking/v1 defaults). */
	if (!s || !strcmp(s, "TCP"))
		return POL_TCP;
	if (!strcmp(s, "UDP"))
		return POL_UDP;
	if (!strcmp(s, "SCTP"))
		return POL_SCTP;
	return 0;
}

/* Named containerPorts of every container: a named port in a policy is
 * resolved on the destination pod (types.go NetworkPolicyPort.Port). */
static int pod_ports(struct pol_podx *px, const json_t *pod)
{
	const json_t *cs = k1s_json_path(pod, "spec.containers"), *c, *p;
	size_t i, j, n = 0;

	json_array_foreach(cs, i, c)
		n += json_array_size(json_object_get(c, "ports"));
	px->px_ports = calloc(n + 1, sizeof(*px->px_ports));
	if (!px->px_ports)
		return -ENOMEM;
	json_array_foreach(cs, i, c) {
		json_array_foreach(json_object_get(c, "ports"), j, p) {
			const char *name = k1s_json_str(p, "name");
			json_int_t port = json_integer_value(json_object_get(p, "containerPort"));
			uint8_t proto = pol_proto_of(k1s_json_str(p, "protocol"));

			if (!name || !*name || port < 1 || port > 65535 || !proto)
				continue;
			px->px_ports[px->px_nports++] =
			    (struct pol_named){name, (uint16_t)port, proto};
		}
	}
	return 0;
}

static bool is_face(const json_t *pod)
{
	const json_t *cs, *c;
	size_t i;

	cs = k1s_json_path(pod, "status.containerStatuses");
	json_array_foreach(cs, i, c) {
		const char *id = k1s_json_str(c, "containerID");

		if (id && (!strcmp(id, "k1s://face/dns") || !strcmp(id, "k1s://face/ingress")))
			return true;
	}
	return false;
}

struct pod_sort {
	uint32_t ip;
	size_t at;	/* order given: a later pod at the same address wins */
	const json_t *pod;
};

static int pod_sort_cmp(const void *a, const void *b)
{
	const struct pod_sort *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

static int build_pods(struct pol_view *v, struct pol_view_builder *b)
{
	size_t n = json_array_size(b->pods), i, k = 0;
	struct pod_sort *s = calloc(n + 1, sizeof(*s));
	json_t *o;

	if (!s)
		return -ENOMEM;
	json_array_foreach(b->pods, i, o) {
		uint32_t ip;

		if (k1s_ip4_parse(k1s_json_str(o, "ip") ?: "", &ip) < 0 ||
		    !k1s_json_str(o, "pod.metadata.namespace") ||
		    !k1s_json_str(o, "pod.metadata.name"))
			continue;
		s[k++] = (struct pod_sort){ip, i, json_object_get(o, "pod")};
	}
	qsort(s, k, sizeof(*s), pod_sort_cmp);
	v->pods = calloc(k + 1, sizeof(*v->pods));
	v->px = calloc(k + 1, sizeof(*v->px));
	if (!v->pods || !v->px) {
		free(s);
		return -ENOMEM;
	}
	for (i = 0; i < k; i++) {
		struct pol_pod *p;
		struct pol_podx *px;
		const json_t *pod = s[i].pod;

		if (i + 1 < k && s[i + 1].ip == s[i].ip)
			continue;
		p = &v->pods[v->npods];
		px = &v->px[v->npods];
		p->ip = s[i].ip;
		p->ns = k1s_json_str(pod, "metadata.namespace");
		p->name = k1s_json_str(pod, "metadata.name");
		p->face = is_face(pod);
		px->px_ns = (size_t)ns_find(v, p->ns);
		px->px_labels = json_object_get(k1s_json_path(pod, "metadata"), "labels");
		if (pod_ports(px, pod) < 0) {
			free(s);
			return -ENOMEM;
		}
		v->npods++;
	}
	free(s);
	return 0;
}

long pol_view_find(const struct pol_view *v, uint32_t ip)
{
	size_t lo = 0, hi = v->npods;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v->pods[mid].ip == ip)
			return (long)mid;
		if (v->pods[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* ---- policies ---- */

/* The view's pods by label, so that a selector requiring a label looks
 * only at the pods that have it (each still matched in full): a view is
 * built for each pod admitted, and matching every selector against every
 * pod was most of it beside many policies. "key\x1fvalue" -> [pod index,
 * ascending]; NULL: not indexed (a pod with a label that is no string),
 * every pod is looked at. */
static json_t *label_index(const struct pol_view *v)
{
	json_t *idx = json_object(), *x, *list;
	const char *k;
	char key[1024];

	for (size_t i = 0; idx && i < v->npods; i++) {
		if (v->px[i].px_labels && !json_is_object(v->px[i].px_labels))
			goto off;
		json_object_foreach((json_t *)v->px[i].px_labels, k, x) {
			if (!json_is_string(x))
				goto off;
			snprintf(key, sizeof(key), "%s\x1f%s", k, json_string_value(x));
			if (!(list = json_object_get(idx, key)) &&
			    (json_object_set_new(idx, key, json_array()) < 0 ||
			     !(list = json_object_get(idx, key))))
				goto off;
			if (json_array_append_new(list, json_integer((json_int_t)i)) < 0)
				goto off;
		}
	}
	return idx;
off:
	json_decref(idx);
	return NULL;
}

/* The pods to look at for a selector requiring label key=val: those with
 * it (a JSON array of indices), or every pod (*all). */
static const json_t *candidates(const json_t *idx, const char *key, const char *val, bool *all)
{
	char k[1024];
	int n;

	*all = !idx || !key;
	if (*all)
		return NULL;
	n = snprintf(k, sizeof(k), "%s\x1f%s", key, val);
	/* A label too long for the index's keys: every pod. */
	if (n < 0 || (size_t)n >= sizeof(k)) {
		*all = true;
		return NULL;
	}
	return json_object_get(idx, k);
}

/* Which of the view's pods a peer picks. */
static int peer_pick(struct pol_view *v, const json_t *idx, const struct pol_peer *pe,
		     uint64_t **out)
{
	size_t words = (v->npods + 63) / 64 + 1, n, k;
	const json_t *cand;
	bool *ns_ok, all;

	/* An id no peer of the set holds: nothing reads it. */
	if (!pe) {
		*out = NULL;
		return 0;
	}
	*out = calloc(words, sizeof(uint64_t));
	if (!*out)
		return -ENOMEM;
	if (pe->pe_kind != POL_PEER_PODS)
		return 0;
	ns_ok = calloc(v->nns + 1, sizeof(bool));
	if (!ns_ok)
		return -ENOMEM;
	/* namespaceSelector picks namespaces by their labels; without it,
	 * podSelector picks pods in the policy's own namespace; with both,
	 * pods matching podSelector in the namespaces namespaceSelector
	 * picks (types.go NetworkPolicyPeer). */
	for (size_t i = 0; i < v->nns; i++)
		ns_ok[i] = pe->pe_nsel ? k1s_lsel_match(pe->pe_nsel, v->nss[i].ns_labels)
				       : !strcmp(v->nss[i].ns_name, pe->pe_own_ns);
	cand = candidates(idx, pe->pe_lkey, pe->pe_lval, &all);
	n = all ? v->npods : json_array_size(cand);
	for (k = 0; k < n; k++) {
		size_t i = all ? k : (size_t)json_integer_value(json_array_get(cand, k));

		if (ns_ok[v->px[i].px_ns] && k1s_lsel_match(pe->pe_psel, v->px[i].px_labels))
			(*out)[i / 64] |= UINT64_C(1) << (i % 64);
	}
	free(ns_ok);
	return 0;
}

static int iso_add(struct pol_view *v, struct pol_podx *px, enum pol_dir d, uint32_t pi)
{
	uint32_t *grown = realloc(px->px_iso[d], (px->px_niso[d] + 1) * sizeof(*grown));
	const char **names;

	if (!grown)
		return -ENOMEM;
	px->px_iso[d] = grown;
	names = realloc(px->px_isonames[d], (px->px_niso[d] + 1) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	px->px_isonames[d] = names;
	names[px->px_niso[d]] = v->pols[pi].po_key;
	grown[px->px_niso[d]++] = pi;
	return 0;
}

/* Which pods each policy selects: podSelector over the pods of the
 * policy's namespace, {} selecting all of them (types.go
 * NetworkPolicySpec.PodSelector). Policies are in key order, so each
 * pod's list is in name order. */
static int select_pods(struct pol_view *v, const json_t *idx)
{
	/* The pods of each namespace, so that a policy looks at its own. */
	size_t *first = calloc(v->nns + 1, sizeof(*first)), *at = calloc(v->npods + 1, sizeof(*at));
	size_t *fill = calloc(v->nns + 1, sizeof(*fill));
	int rc = -ENOMEM;

	if (!first || !at || !fill)
		goto out;
	for (size_t i = 0; i < v->npods; i++)
		first[v->px[i].px_ns + 1]++;
	for (size_t n = 0; n < v->nns; n++)
		first[n + 1] += first[n];
	for (size_t i = 0; i < v->npods; i++)
		at[first[v->px[i].px_ns] + fill[v->px[i].px_ns]++] = i;
	for (size_t pi = 0; pi < v->npols; pi++) {
		const struct pol_policy *po = &v->pols[pi];
		long ns = ns_find(v, po->po_ns);
		const json_t *cand;
		bool all;
		size_t n;

		if (ns < 0)
			continue;
		cand = candidates(idx, po->po_all ? NULL : po->po_lkey, po->po_lval, &all);
		n = all ? first[ns + 1] - first[ns] : json_array_size(cand);
		for (size_t k = 0; k < n; k++) {
			size_t i = all ? at[first[ns] + k]
				       : (size_t)json_integer_value(json_array_get(cand, k));

			if (v->px[i].px_ns != (size_t)ns ||
			    !(po->po_all || k1s_lsel_match(po->po_sel, v->px[i].px_labels)))
				continue;
			for (int d = POL_INGRESS; d <= POL_EGRESS; d++)
				if (po->po_types[d] && iso_add(v, &v->px[i], d, (uint32_t)pi) < 0)
					goto out;
		}
	}
	rc = 0;
out:
	free(first);
	free(at);
	free(fill);
	return rc;
}

/* The view's side of the policies: which pods each peer picks, which
 * pods each policy selects, a drop counter slot per policy. */
static int build_policies(struct pol_view *v)
{
	const struct pol_policies *ps = v->policies;
	json_t *idx;
	int rc = 0;

	v->peer_pods = calloc(ps->ps_npeers + 1, sizeof(*v->peer_pods));
	v->drops = calloc(ps->ps_npols + 1, sizeof(*v->drops));
	if (!v->peer_pods || !v->drops)
		return -ENOMEM;
	/* Without it (no memory) every pod is looked at: slower, the same. */
	idx = ps->ps_npols ? label_index(v) : NULL;
	for (size_t i = 0; i < ps->ps_npeers && rc == 0; i++)
		rc = peer_pick(v, idx, ps->ps_peers[i], &v->peer_pods[i]);
	if (rc == 0)
		rc = select_pods(v, idx);
	json_decref(idx);
	return rc;
}

struct pol_view *pol_builder_finish(struct pol_view_builder *b)
{
	struct pol_view *v = calloc(1, sizeof(*v));

	if (!v || b->nomem)
		goto fail;
	v->pod_net = b->pod_net;
	v->node_ip = b->node_ip;
	v->svc_fronts = b->fronts;
	b->fronts = NULL;
	v->policies = b->policies ? b->policies : pol_policies_new(b->pols);
	b->policies = NULL;
	if (!v->policies)
		goto fail;
	v->pols = v->policies->ps_pols;
	v->npols = v->policies->ps_npols;
	v->objs = json_pack("[OOOOO]", b->nss, b->pods, b->pols, b->svcs, b->eps);
	if (!v->objs || build_namespaces(v, b) < 0 || build_pods(v, b) < 0 ||
	    build_policies(v) < 0 || pol_build_fronts(v, b->svcs, b->eps) < 0)
		goto fail;
	builder_free(b);
	return v;
fail:
	k1s_warn("policy", "cannot build a view: out of memory");
	pol_view_free(v);
	builder_free(b);
	return NULL;
}

void pol_view_free(struct pol_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->npods; i++) {
		free(v->px[i].px_ports);
		free(v->px[i].px_iso[0]);
		free(v->px[i].px_iso[1]);
		free(v->px[i].px_isonames[0]);
		free(v->px[i].px_isonames[1]);
	}
	free(v->pods);
	free(v->px);
	for (size_t i = 0; i < v->nns; i++)
		json_decref(v->nss[i].ns_labels);
	free(v->nss);
	for (size_t i = 0; v->peer_pods && i < v->policies->ps_npeers; i++)
		free(v->peer_pods[i]);
	free(v->peer_pods);
	free(v->drops);
	pol_policies_free(v->policies);
	for (size_t i = 0; i < v->nfronts; i++) {
		free(v->fronts[i].fr_ep_ip);
		free(v->fronts[i].fr_ep_port);
	}
	free(v->fronts);
	pol_fronts_free(v->svc_fronts);
	json_decref(v->objs);
	free(v);
}

size_t pol_view_npods(const struct pol_view *v)
{
	return v->npods;
}

const struct pol_pod *pol_view_pod(const struct pol_view *v, size_t i)
{
	return i < v->npods ? &v->pods[i] : NULL;
}

const struct pol_pod *pol_view_pod_at(const struct pol_view *v, uint32_t ip)
{
	long i = pol_view_find(v, ip);

	return i < 0 ? NULL : &v->pods[i];
}

size_t pol_view_npolicies(const struct pol_view *v)
{
	return v->npols;
}

const char *pol_view_policy_key(const struct pol_view *v, size_t i)
{
	return i < v->npols ? v->pols[i].po_key : NULL;
}

void pol_view_set_drops(struct pol_view *v, size_t i, _Atomic uint64_t *counter)
{
	if (i < v->npols)
		v->drops[i] = counter;
}
