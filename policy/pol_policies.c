/* The policies compiled apart from the pods (struct pol_policies): each
 * policy on its own (a unit), shared by successive sets, so that one
 * policy changed beside 1,000 costs its own compile and not the others'
 * (compiling every policy again was most of a change's apply-to-enforced
 * time). Peers equal in meaning are compiled once and shared, across
 * policies and across sets.
 *
 * A peer's id (its index in ps_peers and in a view's peer_pods) is fixed
 * when it is compiled and unique among the peers of any set holding it: a
 * set made from an earlier one gives new peers ids that none of the units
 * it reuses holds.
 *
 * Semantics are networking.k8s.io/v1's, as kubernetes/api
 * networking/v1/types.go documents them and pkg/apis/networking/v1
 * defaults them; each is noted where it is compiled. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "k1s_addr.h"
#include "k1s_hash.h"
#include "k1s_json.h"
#include "k1s_sel.h"
#include "pol_int.h"
#include "pol_view_int.h"

/* One policy compiled: shared by the sets that hold it. */
struct pol_unit {
	atomic_int pu_refs;
	json_t *pu_obj;			/* its strings are borrowed */
	struct pol_policy pu_po;	/* a reference on each peer its rules name */
};

/* A selector that is absent (or JSON null) is NULL here. */
static const json_t *member(const json_t *o, const char *k)
{
	const json_t *m = json_object_get(o, k);

	return json_is_null(m) ? NULL : m;
}

/* One label (key and value) a label selector requires, from its
 * matchLabels, whose pairs must all match: the pods it may select are
 * those with that label. NULL when it names none. */
static void required_label(const json_t *sel, const char **key, const char **val)
{
	const char *k;
	json_t *x;

	*key = *val = NULL;
	json_object_foreach(json_object_get(sel, "matchLabels"), k, x)
		if (json_is_string(x)) {
			*key = k;
			*val = json_string_value(x);
			return;
		}
}

/* ---- peers ---- */

static void peer_pods(struct pol_peer *pe, const json_t *pod_sel, const json_t *ns_sel,
		      const char *own_ns)
{
	char err[256];

	if (k1s_lsel_from_json(pod_sel, &pe->pe_psel, err, sizeof(err)) < 0 ||
	    (ns_sel && k1s_lsel_from_json(ns_sel, &pe->pe_nsel, err, sizeof(err)) < 0)) {
		/* A selector the API would have refused: the peer is no one. */
		pe->pe_kind = POL_PEER_NONE;
		return;
	}
	pe->pe_kind = POL_PEER_PODS;
	pe->pe_own_ns = own_ns;
	required_label(pod_sel, &pe->pe_lkey, &pe->pe_lval);
}

static void peer_ipblock(struct pol_peer *pe, const json_t *ib)
{
	const json_t *ex = json_object_get(ib, "except"), *e;
	size_t i;

	pe->pe_kind = POL_PEER_NONE;
	/* An IPv6 block, or a CIDR an older store kept, matches no IPv4
	 * address: the peer allows nothing. */
	if (k1s_cidr_parse(k1s_json_str(ib, "cidr") ?: "", &pe->pe_cidr) < 0)
		return;
	pe->pe_except = calloc(json_array_size(ex) + 1, sizeof(*pe->pe_except));
	if (!pe->pe_except)
		return;
	json_array_foreach(ex, i, e) {
		struct k1s_cidr c;

		/* An exception left out would widen the block: the peer is
		 * no one instead. */
		if (k1s_cidr_parse(json_string_value(e) ?: "", &c) < 0)
			return;
		pe->pe_except[pe->pe_nexcept++] = c;
	}
	pe->pe_kind = POL_PEER_IPBLOCK;
}

static struct pol_peer *peer_ref(struct pol_peer *pe)
{
	atomic_fetch_add(&pe->pe_refs, 1);
	return pe;
}

static void peer_unref(struct pol_peer *pe)
{
	if (!pe || atomic_fetch_sub(&pe->pe_refs, 1) != 1)
		return;
	k1s_lsel_free(pe->pe_psel);
	k1s_lsel_free(pe->pe_nsel);
	free(pe->pe_except);
	json_decref(pe->pe_key);
	free(pe);
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return h;
}

/* A hash that values json_equal() calls equal share: an object's members
 * are summed, in whatever order they come. */
static uint64_t json_hash(const json_t *j)
{
	const char *k;
	json_t *x;
	uint64_t h;
	size_t i;
	double d;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		h = 1;
		json_object_foreach((json_t *)j, k, x)
			h += mix(k1s_fnv(k, strlen(k)) ^ (json_hash(x) * 31));
		return mix(h);
	case JSON_ARRAY:
		h = 2;
		json_array_foreach(j, i, x)
			h = mix(h * 31 + json_hash(x));
		return h;
	case JSON_STRING:
		return k1s_fnv(json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
		return mix((uint64_t)json_integer_value(j) ^ 3);
	case JSON_REAL:
		d = json_real_value(j) + 0.0;	/* -0.0 == 0.0 */
		memcpy(&h, &d, sizeof(h));
		return mix(h ^ 4);
	default:
		return (uint64_t)json_typeof(j) + 5;
	}
}

/* What a set's compile knows of peers: those it can share, found by the
 * hash of their meaning (open addressing; a match is confirmed with
 * json_equal()), and which ids are taken. */
struct peer_table {
	struct pol_peer **slot;
	size_t cap, n;
	uint8_t *taken;			/* by id */
	size_t ntaken, next_free;	/* ids 0..ntaken-1 tracked */
};

static int table_put(struct peer_table *t, struct pol_peer *pe)
{
	size_t i;

	if (2 * (t->n + 1) > t->cap) {
		size_t ncap = t->cap ? 2 * t->cap : 64;
		struct pol_peer **grown = calloc(ncap, sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		for (size_t k = 0; k < t->cap; k++)
			if (t->slot[k]) {
				for (i = t->slot[k]->pe_hash & (ncap - 1); grown[i]; i = (i + 1) & (ncap - 1))
					;
				grown[i] = t->slot[k];
			}
		free(t->slot);
		t->slot = grown;
		t->cap = ncap;
	}
	for (i = pe->pe_hash & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1))
		if (t->slot[i] == pe)
			return 0;
	t->slot[i] = pe;
	t->n++;
	return 0;
}

static struct pol_peer *table_get(const struct peer_table *t, uint64_t h, const json_t *key)
{
	for (size_t i = t->cap ? h & (t->cap - 1) : 0; t->cap && t->slot[i]; i = (i + 1) & (t->cap - 1))
		if (t->slot[i]->pe_hash == h && json_equal(t->slot[i]->pe_key, key))
			return t->slot[i];
	return NULL;
}

static int id_take(struct peer_table *t, size_t id)
{
	if (id >= t->ntaken) {
		size_t n = id + 1 > 2 * t->ntaken ? id + 1 : 2 * t->ntaken;
		uint8_t *grown = realloc(t->taken, n);

		if (!grown)
			return -ENOMEM;
		memset(grown + t->ntaken, 0, n - t->ntaken);
		t->taken = grown;
		t->ntaken = n;
	}
	t->taken[id] = 1;
	return 0;
}

/* The lowest id no peer of the set holds. */
static long id_new(struct peer_table *t)
{
	while (t->next_free < t->ntaken && t->taken[t->next_free])
		t->next_free++;
	return id_take(t, t->next_free) < 0 ? -1 : (long)t->next_free;
}

/* One peer, compiled once per meaning (the same selectors in the same
 * namespace) however many rules name it: found in the table, or
 * compiled and put there. A new reference, or NULL on no memory. */
static struct pol_peer *peer_get(struct peer_table *t, const json_t *peer, const char *own_ns)
{
	const json_t *ps = member(peer, "podSelector"), *nss = member(peer, "namespaceSelector"),
		     *ib = member(peer, "ipBlock");
	json_t *key = json_pack("{s:O?,s:O?,s:O?,s:s?}", "p", ps, "n", nss, "i", ib, "ns",
				nss || ib ? NULL : own_ns);
	struct pol_peer *pe;
	uint64_t h;
	long id;

	if (!key)
		return NULL;
	h = json_hash(key);
	if ((pe = table_get(t, h, key))) {
		json_decref(key);
		return peer_ref(pe);
	}
	if ((id = id_new(t)) < 0 || !(pe = calloc(1, sizeof(*pe)))) {
		json_decref(key);
		return NULL;
	}
	atomic_init(&pe->pe_refs, 1);
	pe->pe_hash = h;
	pe->pe_key = key;
	pe->pe_id = (size_t)id;
	/* ipBlock stands alone in a peer (validation refuses it beside a
	 * selector); a peer with neither is no one. The selectors' strings
	 * are the key's, which the peer keeps. */
	if (ib && !ps && !nss)
		peer_ipblock(pe, ib);
	else if ((ps || nss) && !ib)
		peer_pods(pe, ps, nss, json_string_value(json_object_get(key, "ns")));
	else
		pe->pe_kind = POL_PEER_NONE;
	if (table_put(t, pe) < 0) {
		peer_unref(pe);
		return NULL;
	}
	return pe;
}

/* ---- one policy ---- */

static void rport_compile(struct pol_rport *rp, const json_t *p)
{
	const json_t *port = member(p, "port"), *end = member(p, "endPort");

	memset(rp, 0, sizeof(*rp));
	/* protocol defaults to TCP (pkg/apis/networking/v1 defaults); a port
	 * omitted means every port of the protocol; endPort widens a numbered
	 * port to a range (types.go NetworkPolicyPort). */
	rp->pp_proto = pol_proto_of(k1s_json_str(p, "protocol"));
	rp->pp_lo = 0;
	rp->pp_hi = 65535;
	if (json_is_integer(port)) {
		json_int_t lo = json_integer_value(port), hi = lo;

		if (json_is_integer(end))
			hi = json_integer_value(end);
		if (lo < 1 || lo > 65535 || hi < lo || hi > 65535) {
			rp->pp_proto = 0;
			return;
		}
		rp->pp_lo = (uint16_t)lo;
		rp->pp_hi = (uint16_t)hi;
	} else if (json_is_string(port)) {
		rp->pp_name = json_string_value(port);
		if (!*rp->pp_name || end)
			rp->pp_proto = 0;
	} else if (port) {
		rp->pp_proto = 0;
	}
}

static int rule_compile(struct peer_table *t, struct pol_rule *ru, const json_t *r,
			enum pol_dir dir, const char *own_ns)
{
	const json_t *peers = json_object_get(r, dir == POL_INGRESS ? "from" : "to");
	const json_t *ports = json_object_get(r, "ports"), *x;
	size_t i;

	/* from/to or ports empty or missing: every source (destination), every
	 * port (types.go NetworkPolicyIngressRule, NetworkPolicyEgressRule). */
	ru->ru_peers = calloc(json_array_size(peers) + 1, sizeof(*ru->ru_peers));
	ru->ru_ports = calloc(json_array_size(ports) + 1, sizeof(*ru->ru_ports));
	if (!ru->ru_peers || !ru->ru_ports)
		return -ENOMEM;
	json_array_foreach(peers, i, x) {
		struct pol_peer *pe = peer_get(t, x, own_ns);

		if (!pe)
			return -ENOMEM;
		ru->ru_peers[ru->ru_npeers++] = pe;
	}
	json_array_foreach(ports, i, x)
		rport_compile(&ru->ru_ports[ru->ru_nports++], x);
	return 0;
}

static void policy_types(struct pol_policy *po, const json_t *spec)
{
	const json_t *types = member(spec, "policyTypes"), *t;
	size_t i;

	if (types && json_array_size(types)) {
		json_array_foreach(types, i, t) {
			const char *s = json_string_value(t) ?: "";

			if (!strcmp(s, "Ingress"))
				po->po_types[POL_INGRESS] = true;
			else if (!strcmp(s, "Egress"))
				po->po_types[POL_EGRESS] = true;
		}
	} else {
		/* policyTypes unset: Ingress always, Egress when egress rules
		 * are given (pkg/apis/networking/v1 SetDefaults_NetworkPolicy). */
		po->po_types[POL_INGRESS] = true;
		po->po_types[POL_EGRESS] = json_array_size(json_object_get(spec, "egress")) > 0;
	}
}

static void unit_unref(struct pol_unit *u)
{
	struct pol_policy *po;

	if (!u || atomic_fetch_sub(&u->pu_refs, 1) != 1)
		return;
	po = &u->pu_po;
	for (int d = 0; d < 2; d++) {
		for (size_t r = 0; r < po->po_nrules[d]; r++) {
			for (size_t i = 0; i < po->po_rules[d][r].ru_npeers; i++)
				peer_unref(po->po_rules[d][r].ru_peers[i]);
			free(po->po_rules[d][r].ru_peers);
			free(po->po_rules[d][r].ru_ports);
		}
		free(po->po_rules[d]);
	}
	k1s_lsel_free(po->po_sel);
	free((char *)po->po_key);
	json_decref(u->pu_obj);
	free(u);
}

/* Policy np, whose key is key ("namespace/name"). NULL on no memory. */
static struct pol_unit *unit_compile(struct peer_table *t, const json_t *np, const char *key)
{
	struct pol_unit *u = calloc(1, sizeof(*u));
	const json_t *spec = json_object_get(np, "spec"), *sel = member(spec, "podSelector");
	struct pol_policy *po;
	char err[256];

	if (!u)
		return NULL;
	atomic_init(&u->pu_refs, 1);
	u->pu_obj = json_incref((json_t *)np);
	po = &u->pu_po;
	if (!(po->po_key = strdup(key)))
		goto fail;
	po->po_ns = k1s_json_str(np, "metadata.namespace");
	/* Not readable: it selects the whole namespace, allowing only what
	 * its readable rules allow (closed rather than open). */
	po->po_all = k1s_lsel_from_json(sel, &po->po_sel, err, sizeof(err)) < 0;
	if (!po->po_all)
		required_label(sel, &po->po_lkey, &po->po_lval);
	policy_types(po, spec);
	for (int d = POL_INGRESS; d <= POL_EGRESS; d++) {
		const json_t *rules = json_object_get(spec, d == POL_INGRESS ? "ingress" : "egress");
		const json_t *r;
		size_t i;

		/* A type with no rules isolates and allows nothing (types.go:
		 * "If this field is empty then this NetworkPolicy does not allow
		 * any traffic"). Rules of a type not listed are ignored. */
		if (!po->po_types[d])
			continue;
		po->po_rules[d] = calloc(json_array_size(rules) + 1, sizeof(struct pol_rule));
		if (!po->po_rules[d])
			goto fail;
		json_array_foreach(rules, i, r)
			if (rule_compile(t, &po->po_rules[d][po->po_nrules[d]++], r, d, po->po_ns) < 0)
				goto fail;
	}
	return u;
fail:
	unit_unref(u);
	return NULL;
}

/* ---- sets ---- */

struct entry {
	char *key;
	const json_t *np;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

/* prev's unit for np, if np is the policy it was compiled from. */
static struct pol_unit *unit_reusable(const struct pol_policies *prev, const char *key,
				      const json_t *np)
{
	size_t lo = 0, hi = prev ? prev->ps_npols : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(prev->ps_pols[mid].po_key, key);
		struct pol_unit *u = prev->ps_units[mid];

		if (!c)
			return u->pu_obj == np || json_equal(json_object_get(u->pu_obj, "spec"),
							    json_object_get(np, "spec"))
				   ? u
				   : NULL;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void set_fini(struct pol_policies *ps)
{
	for (size_t i = 0; i < ps->ps_npols; i++)
		unit_unref(ps->ps_units[i]);
	free(ps->ps_units);
	free(ps->ps_pols);
	free(ps->ps_peers);
}

/* Every peer of the set's units by id. */
static int set_peers(struct pol_policies *ps, size_t nids)
{
	ps->ps_peers = calloc(nids + 1, sizeof(*ps->ps_peers));
	if (!ps->ps_peers)
		return -ENOMEM;
	ps->ps_npeers = nids;
	for (size_t i = 0; i < ps->ps_npols; i++)
		for (int d = 0; d < 2; d++)
			for (size_t r = 0; r < ps->ps_pols[i].po_nrules[d]; r++) {
				const struct pol_rule *ru = &ps->ps_pols[i].po_rules[d][r];

				for (size_t k = 0; k < ru->ru_npeers; k++)
					ps->ps_peers[ru->ru_peers[k]->pe_id] = ru->ru_peers[k];
			}
	return 0;
}

/* Fills ps from the policies in pols, reusing prev's units (NULL: none). */
static int set_compile(struct pol_policies *ps, const json_t *pols,
		       const struct pol_policies *prev)
{
	size_t n = json_array_size(pols), k = 0;
	struct entry *e = calloc(n + 1, sizeof(*e));
	struct peer_table t = {0};
	int rc = -ENOMEM;

	ps->ps_units = calloc(n + 1, sizeof(*ps->ps_units));
	ps->ps_pols = calloc(n + 1, sizeof(*ps->ps_pols));
	if (!e || !ps->ps_units || !ps->ps_pols)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const json_t *np = json_array_get(pols, i);
		const char *ns = k1s_json_str(np, "metadata.namespace"),
			   *name = k1s_json_str(np, "metadata.name");

		if (!ns || !name)
			continue;
		if (asprintf(&e[k].key, "%s/%s", ns, name) < 0)
			goto out;
		e[k++].np = np;
	}
	/* Stable: of two policies with one key, the first given stays. */
	qsort(e, k, sizeof(*e), entry_cmp);
	/* The units reused first, so that new peers share theirs and take
	 * ids none of them holds. */
	for (size_t i = 0; i < k; i++) {
		struct pol_unit *u;

		if ((i && !strcmp(e[i - 1].key, e[i].key)) ||
		    !(u = unit_reusable(prev, e[i].key, e[i].np)))
			continue;
		ps->ps_units[i] = u;
		for (int d = 0; d < 2; d++)
			for (size_t r = 0; r < u->pu_po.po_nrules[d]; r++) {
				const struct pol_rule *ru = &u->pu_po.po_rules[d][r];

				for (size_t j = 0; j < ru->ru_npeers; j++)
					if (id_take(&t, ru->ru_peers[j]->pe_id) < 0 ||
					    table_put(&t, ru->ru_peers[j]) < 0)
						goto out;
			}
	}
	for (size_t i = 0; i < k; i++) {
		struct pol_unit *u = ps->ps_units[i];

		if (i && !strcmp(e[i - 1].key, e[i].key))
			continue;
		if (u) {
			atomic_fetch_add(&u->pu_refs, 1);
		} else {
			u = unit_compile(&t, e[i].np, e[i].key);
			if (!u)
				goto out;
		}
		ps->ps_units[i] = NULL;
		ps->ps_units[ps->ps_npols] = u;
		ps->ps_pols[ps->ps_npols++] = u->pu_po;
	}
	rc = set_peers(ps, t.ntaken);
out:
	/* Units not taken yet are prev's, not referenced: only forgotten. */
	for (size_t i = ps->ps_npols; ps->ps_units && i < n; i++)
		ps->ps_units[i] = NULL;
	for (size_t i = 0; e && i < k; i++)
		free(e[i].key);
	free(e);
	free(t.slot);
	free(t.taken);
	return rc;
}

struct pol_policies *pol_policies_update(const struct pol_policies *prev, const json_t *nps)
{
	struct pol_policies *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	atomic_init(&ps->ps_refs, 1);
	if (set_compile(ps, nps, prev) < 0) {
		set_fini(ps);
		free(ps);
		return NULL;
	}
	return ps;
}

struct pol_policies *pol_policies_new(const json_t *nps)
{
	return pol_policies_update(NULL, nps);
}

struct pol_policies *pol_policies_ref(struct pol_policies *p)
{
	if (p)
		atomic_fetch_add(&p->ps_refs, 1);
	return p;
}

void pol_policies_free(struct pol_policies *p)
{
	if (!p || atomic_fetch_sub(&p->ps_refs, 1) != 1)
		return;
	set_fini(p);
	free(p);
}
