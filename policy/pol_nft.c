/* The kernel side: `table inet k1s-policy`, kept equal to the view.
 *
 *   chain forward (hook forward): replies of allowed flows pass by
 *     conntrack; every other packet goes through the source pod's egress
 *     chain, then the destination pod's ingress chain, each found in a
 *     verdict map keyed by the pod's address (only isolated pods have an
 *     entry). Invalid packets are judged as new ones.
 *   chain in-A / eg-A (A the pod address, dots as dashes): returns when
 *     the peer, protocol and port are in the set of the same name (an
 *     interval concatenation, pipapo; a peer allowed every protocol holds
 *     protocols 0-255 and ports 0-65535); otherwise logs to NFLOG (rate-
 *     limited in the kernel), counts and drops.
 *   chain input (hook input): new flows from pods to addresses where k1s
 *     answers that no endpoint behind them allows (set gates) are dropped
 *     before their handshake, in chain gate-drop, logged and counted.
 *
 * Names derive from the pod's address, so a later apply finds them again;
 * what a chain holds is compared by content, so an address that a new pod
 * reuses gets the new pod's rules. */
#include <errno.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nftables/libnftables.h>

#include "k1s_log.h"
#include "pol_int.h"

#define POL_NFT_TABLE "k1s-policy"
#define POL_NFT_LOG_RATE 10
/* NFLOG prefixes: the log reader tells the chains apart by them. */
#define POL_NFT_PREFIX "k1s-pol "

struct pol_nft {
	struct nft_ctx *ctx;
	char table[64];
	uint16_t group;
	int rate;
	/* The last state applied; applied false: the next apply replaces the
	 * table whole. Pods sorted by ip, rules as pol_nft_norm() makes them. */
	bool applied;
	struct pol_nft_pod *pods;
	size_t npods;
	struct pol_gates gates;
	/* Counter readings per pod and direction, and per gate (sorted), for
	 * pol_nft_drops(). */
	struct pol_nft_seen *seen;
	size_t nseen, capseen;
	struct pol_nft_gate_seen *gate_seen;
	size_t ngate_seen;
	json_t *totals;
	struct pol_nflog *log;
};

struct pol_nft_seen {
	uint32_t ip;
	uint8_t dir;
	uint64_t packets;
};

struct pol_nft_gate_seen {
	struct pol_gate g;	/* first: gate_cmp compares these too */
	uint64_t packets;
};

static const char *const dir_tag[2] = { [POL_INGRESS] = "in", [POL_EGRESS] = "eg" };
/* The pod chain's own address is the destination for ingress, the source
 * for egress; the peer is the other. */
static const char *const peer_field[2] = { [POL_INGRESS] = "saddr", [POL_EGRESS] = "daddr" };
static const char *const map_name[2] = { [POL_INGRESS] = "ingress", [POL_EGRESS] = "egress" };

/* ---- normalized rules ----
 *
 * The kernel refuses overlapping elements in an interval set, and deleting
 * an element needs its exact bounds: a pod's list becomes disjoint
 * elements in one order, which are what the kernel holds and what two
 * applies compare. Along the addresses, each stretch between two bounds
 * gets what covers it: every protocol (one element, protocol 0), or per
 * protocol the merged port ranges; neighbouring stretches that get the
 * same are joined. */

static int elems_push(struct pol_elems *e, const struct pol_elem *x)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct pol_elem *v = realloc(e->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		e->v = v;
		e->cap = cap;
	}
	memset(&e->v[e->n], 0, sizeof(e->v[e->n]));
	e->v[e->n].lo = x->lo;
	e->v[e->n].hi = x->hi;
	e->v[e->n].plo = x->plo;
	e->v[e->n].phi = x->phi;
	e->v[e->n].proto = x->proto;
	e->n++;
	return 0;
}

/* By protocol, then port. */
static int port_cmp(const void *a, const void *b)
{
	const struct pol_elem *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->plo != y->plo ? (x->plo < y->plo ? -1 : 1) : 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* What covers one stretch, from the boxes active on it (sorted by
 * port_cmp): one any-protocol element, or per protocol the port ranges
 * merged. Returns how many of p remain. */
static size_t cover(struct pol_elem *p, size_t n)
{
	size_t k = 0;

	if (n && p[0].proto == 0) {
		p[0].plo = p[0].phi = 0;
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (k && p[i].proto == p[k - 1].proto &&
		    (uint32_t)p[i].plo <= (uint32_t)p[k - 1].phi + 1) {
			if (p[i].phi > p[k - 1].phi)
				p[k - 1].phi = p[i].phi;
		} else {
			p[k++] = p[i];
		}
	}
	return k;
}

static bool same_cover(const struct pol_elem *a, size_t na, const struct pol_elem *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].proto != b[i].proto || a[i].plo != b[i].plo || a[i].phi != b[i].phi)
			return false;
	return true;
}

int pol_nft_norm(const struct pol_elems *in, struct pol_elems *out)
{
	size_t n = in->n, nbd = 0, nact = 0, ncur, npend = 0, next = 0;
	struct pol_elem *b = malloc((n ? n : 1) * sizeof(*b)), *act = malloc((n ? n : 1) * sizeof(*act));
	struct pol_elem *cur = malloc((n ? n : 1) * sizeof(*cur)), *pend = malloc((n ? n : 1) * sizeof(*pend));
	uint64_t *bd = malloc((2 * n + 1) * sizeof(*bd)), pstart = 0, pend_hi = 0;
	int ret = 0;

	out->n = 0;
	if (!b || !act || !cur || !pend || !bd) {
		ret = -ENOMEM;
		goto out;
	}
	if (n) {
		memcpy(b, in->v, n * sizeof(*b));
		qsort(b, n, sizeof(*b), pol_elem_cmp);
	}
	for (size_t i = 0; i < n; i++) {
		bd[nbd++] = b[i].lo;
		bd[nbd++] = (uint64_t)b[i].hi + 1;
	}
	qsort(bd, nbd, sizeof(*bd), u64_cmp);
	for (size_t k = 0; k + 1 < nbd && ret == 0; k++) {
		uint64_t x = bd[k], end = bd[k + 1] - 1;
		size_t a = 0;

		if (bd[k + 1] == x)
			continue;
		while (next < n && b[next].lo <= x)
			act[nact++] = b[next++];
		for (size_t i = 0; i < nact; i++)
			if (act[i].hi >= x)
				act[a++] = act[i];
		nact = a;
		memcpy(cur, act, nact * sizeof(*cur));
		qsort(cur, nact, sizeof(*cur), port_cmp);
		ncur = cover(cur, nact);
		if (npend && pend_hi + 1 == x && same_cover(cur, ncur, pend, npend)) {
			pend_hi = end;
			continue;
		}
		for (size_t i = 0; i < npend && ret == 0; i++) {
			pend[i].lo = (uint32_t)pstart;
			pend[i].hi = (uint32_t)pend_hi;
			ret = elems_push(out, &pend[i]);
		}
		memcpy(pend, cur, ncur * sizeof(*pend));
		npend = ncur;
		pstart = x;
		pend_hi = end;
	}
	for (size_t i = 0; i < npend && ret == 0; i++) {
		pend[i].lo = (uint32_t)pstart;
		pend[i].hi = (uint32_t)pend_hi;
		ret = elems_push(out, &pend[i]);
	}
	if (ret == 0 && out->n)
		qsort(out->v, out->n, sizeof(*out->v), pol_elem_cmp);
out:
	free(b);
	free(act);
	free(cur);
	free(pend);
	free(bd);
	return ret;
}

/* ---- the script ---- */

static void ip_dashes(uint32_t ip, char *buf)
{
	snprintf(buf, 16, "%u-%u-%u-%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void put_ip(FILE *f, uint32_t ip)
{
	fprintf(f, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void put_range(FILE *f, uint32_t lo, uint32_t hi)
{
	put_ip(f, lo);
	if (hi != lo) {
		fputc('-', f);
		put_ip(f, hi);
	}
}

static void put_elem(FILE *f, const struct pol_elem *e)
{
	put_range(f, e->lo, e->hi);
	if (e->proto == 0) {
		fputs(" . 0-255 . 0-65535", f);
		return;
	}
	fprintf(f, " . %u . %u", e->proto, e->plo);
	if (e->phi != e->plo)
		fprintf(f, "-%u", e->phi);
}

/* "add element" or "delete element" of e, in set `set`. */
static void put_elems(FILE *f, const struct pol_nft *n, const char *verb, const char *set,
		      const struct pol_elem *const *e, size_t ne)
{
	for (size_t i = 0; i < ne; i++) {
		fprintf(f, i ? ", " : "%s element inet %s %s { ", verb, n->table, set);
		put_elem(f, e[i]);
	}
	if (ne)
		fputs(" }\n", f);
}

/* A pod chain and its set are both named "in-A" or "eg-A" (their kinds
 * have names of their own). The set holds every peer, protocol and port
 * range allowed: one interval concatenation, since an interval set of
 * addresses alone would make libnftables read every such set's elements
 * back from the kernel on each change. */
static void put_chain_add(FILE *f, const struct pol_nft *n, uint32_t ip, int dir,
			  const struct pol_elems *e, bool map_entry)
{
	const struct pol_elem **p = malloc((e->n ? e->n : 1) * sizeof(*p));
	char a[16], name[32];
	const char *t = n->table;

	if (!p) {
		fputs("#nomem\n", f);
		return;
	}
	ip_dashes(ip, a);
	snprintf(name, sizeof(name), "%s-%s", dir_tag[dir], a);
	fprintf(f, "add set inet %s %s { type ipv4_addr . inet_proto . inet_service; "
		   "flags interval; }\n", t, name);
	fprintf(f, "add chain inet %s %s\n", t, name);
	fprintf(f, "add rule inet %s %s ip %s . meta l4proto . th dport @%s return\n", t, name,
		peer_field[dir], name);
	fprintf(f, "add rule inet %s %s limit rate %d/second burst %d packets log prefix \""
		   POL_NFT_PREFIX "%s %s\" group %u\n", t, name, n->rate, n->rate, dir_tag[dir], a,
		n->group);
	fprintf(f, "add rule inet %s %s counter drop\n", t, name);
	for (size_t i = 0; i < e->n; i++)
		p[i] = &e->v[i];
	put_elems(f, n, "add", name, p, e->n);
	free(p);
	if (!map_entry)
		return;
	fprintf(f, "add element inet %s %s { ", t, map_name[dir]);
	put_ip(f, ip);
	fprintf(f, " : jump %s }\n", name);
}

static void put_chain_del(FILE *f, const struct pol_nft *n, uint32_t ip, int dir)
{
	char a[16], name[32];
	const char *t = n->table;

	ip_dashes(ip, a);
	snprintf(name, sizeof(name), "%s-%s", dir_tag[dir], a);
	fprintf(f, "delete element inet %s %s { ", t, map_name[dir]);
	put_ip(f, ip);
	fputs(" }\n", f);
	fprintf(f, "delete chain inet %s %s\n", t, name);
	fprintf(f, "delete set inet %s %s\n", t, name);
}

/* The elements of a not in b (both sorted by pol_elem_cmp). */
static size_t elems_minus(const struct pol_elems *a, const struct pol_elems *b,
			  const struct pol_elem **out)
{
	size_t i = 0, j = 0, k = 0;

	while (i < a->n) {
		int c = j < b->n ? pol_elem_cmp(&a->v[i], &b->v[j]) : -1;

		if (c < 0)
			out[k++] = &a->v[i++];
		else if (c > 0)
			j++;
		else
			i++, j++;
	}
	return k;
}

static void put_chain_diff(FILE *f, const struct pol_nft *n, uint32_t ip, int dir,
			   const struct pol_elems *old, const struct pol_elems *new)
{
	const struct pol_elem **d = malloc((old->n + new->n + 1) * sizeof(*d));
	char a[16], name[32];

	if (!d) {
		fputs("#nomem\n", f);
		return;
	}
	ip_dashes(ip, a);
	snprintf(name, sizeof(name), "%s-%s", dir_tag[dir], a);
	/* Deletions first: a changed range may overlap the one it replaces. */
	put_elems(f, n, "delete", name, d, elems_minus(old, new, d));
	put_elems(f, n, "add", name, d, elems_minus(new, old, d));
	free(d);
}

static int gate_cmp(const void *a, const void *b)
{
	const struct pol_gate *x = a, *y = b;

	if (x->client != y->client)
		return x->client < y->client ? -1 : 1;
	if (x->front != y->front)
		return x->front < y->front ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->port != y->port ? (x->port < y->port ? -1 : 1) : 0;
}

static void put_gates(FILE *f, const struct pol_nft *n, const char *verb,
		      const struct pol_gates *a, const struct pol_gates *b)
{
	size_t i = 0, j = 0;
	bool open = false;

	while (i < a->n) {
		int c = b && j < b->n ? gate_cmp(&a->v[i], &b->v[j]) : -1;
		const struct pol_gate *g = &a->v[i];

		if (c > 0) {
			j++;
			continue;
		}
		i++;
		if (c == 0) {
			j++;
			continue;
		}
		fprintf(f, open ? ", " : "%s element inet %s gates { ", verb, n->table);
		open = true;
		put_ip(f, g->client);
		fputs(" . ", f);
		put_ip(f, g->front);
		fprintf(f, " . %u . %u", g->proto, g->port);
	}
	if (open)
		fputs(" }\n", f);
}

static void put_base(FILE *f, const struct pol_nft *n);
static int pod_ip_cmp(const void *a, const void *b);
static bool chain_name(const char *s, int *dir, uint32_t *ip);

/* The table whole, replacing any earlier one in the same transaction:
 * until the kernel commits it, the old rules keep enforcing. */
static void put_table(FILE *f, const struct pol_nft *n, const struct pol_nft_pod *pods,
		      size_t npods, const struct pol_gates *gates)
{
	const char *t = n->table;

	fprintf(f, "add table inet %s\ndelete table inet %s\n", t, t);
	put_base(f, n);
	for (size_t i = 0; i < npods; i++)
		for (int d = 0; d < 2; d++)
			if (pods[i].isolated[d])
				put_chain_add(f, n, pods[i].ip, d, &pods[i].rules[d], true);
	if (gates)
		put_gates(f, n, "add", gates, NULL);
}

/* The table's own objects, and the rules of its base chains. */
static void put_base(FILE *f, const struct pol_nft *n)
{
	const char *t = n->table;

	fprintf(f, "table inet %s {\n"
		   "\tmap ingress { type ipv4_addr : verdict; }\n"
		   "\tmap egress { type ipv4_addr : verdict; }\n"
		   /* A counter per element: pol_nft_drops() credits each
		    * gate's drops to the policies behind it. */
		   "\tset gates { type ipv4_addr . ipv4_addr . inet_proto . inet_service; "
		   "counter; }\n"
		   "\tchain gate-drop {\n"
		   "\t\tlimit rate %d/second burst %d packets log prefix \"" POL_NFT_PREFIX
		   "gate\" group %u\n"
		   "\t\tcounter drop\n"
		   "\t}\n"
		   /* Before the filter priority, so that an accept elsewhere
		    * cannot let a denied flow through first. */
		   "\tchain forward {\n"
		   "\t\ttype filter hook forward priority filter - 1; policy accept;\n"
		   "\t\tct state established,related accept\n"
		   "\t\tip saddr vmap @egress\n"
		   "\t\tip daddr vmap @ingress\n"
		   "\t}\n"
		   /* The dataplane's backends answer its transparent sockets
		    * on flows it opened: established, never judged here. */
		   "\tchain input {\n"
		   "\t\ttype filter hook input priority filter - 1; policy accept;\n"
		   "\t\tct state established,related accept\n"
		   "\t\tip saddr . ip daddr . meta l4proto . th dport @gates jump gate-drop\n"
		   "\t}\n"
		   "}\n",
		t, n->rate, n->rate, n->group);
}

static void put_diff(FILE *f, const struct pol_nft *n, const struct pol_nft_pod *pods,
		     size_t npods, const struct pol_gates *gates)
{
	size_t i = 0, j = 0;
	static const struct pol_gates none;

	while (i < n->npods || j < npods) {
		const struct pol_nft_pod *o = i < n->npods ? &n->pods[i] : NULL;
		const struct pol_nft_pod *w = j < npods ? &pods[j] : NULL;

		if (o && w && o->ip != w->ip) {
			if (o->ip < w->ip)
				w = NULL;
			else
				o = NULL;
		}
		for (int d = 0; d < 2; d++) {
			bool oi = o && o->isolated[d], wi = w && w->isolated[d];

			if (oi && !wi)
				put_chain_del(f, n, o->ip, d);
			else if (!oi && wi)
				put_chain_add(f, n, w->ip, d, &w->rules[d], true);
			else if (oi && wi)
				put_chain_diff(f, n, w->ip, d, &o->rules[d], &w->rules[d]);
		}
		i += o != NULL;
		j += w != NULL;
	}
	put_gates(f, n, "delete", &n->gates, gates ? gates : &none);
	put_gates(f, n, "add", gates ? gates : &none, &n->gates);
}

/* ---- adopting a table an earlier run left ----
 *
 * Replacing the table whole in one transaction is atomic for its rules,
 * but a verdict map made again with the same keys lets packets through
 * for an instant while the kernel commits (seen on 6.x: a denied flow
 * tried in a loop across replacements got a few connections through). So
 * a table of the same shape is adopted instead: its base chains' rules and
 * its pod chains' rules and sets are flushed and written again in one
 * transaction (rule replacement, which stays atomic), map keys present
 * before and after are left alone, and only the difference of keys and
 * gates is changed. */

struct pol_nft_old {
	bool exists, shaped;	/* shaped: the maps, gates and base chains */
	bool gates_counted;	/* the gates set has per-element counters */
	uint32_t *keys[2];	/* map keys by direction, sorted */
	size_t nkeys[2];
	json_t *chains, *sets;	/* names of the pod chains and sets */
	struct pol_gates gates;
};

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool ip_parse(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return false;
	*ip = ntohl(a.s_addr);
	return true;
}

static int proto_of(const json_t *j)
{
	const char *s = json_string_value(j);

	if (json_is_integer(j))
		return (int)json_integer_value(j);
	if (!s)
		return -1;
	if (!strcmp(s, "tcp"))
		return POL_TCP;
	if (!strcmp(s, "udp"))
		return POL_UDP;
	if (!strcmp(s, "sctp"))
		return POL_SCTP;
	return -1;
}

/* One element of the gates set as `nft -j` lists it: a bare concatenation,
 * or {"elem": {"val": concatenation, "counter": {...}}} when the set
 * counts; *counter (may be NULL) gets the latter's counter. */
static bool gate_parse(const json_t *x, struct pol_gate *g, const json_t **counter)
{
	const json_t *e = json_object_get(x, "elem"), *c;
	int proto;
	json_int_t port;

	if (counter)
		*counter = json_object_get(e, "counter");
	c = json_object_get(e ? json_object_get(e, "val") : x, "concat");
	proto = proto_of(json_array_get(c, 2));
	port = json_integer_value(json_array_get(c, 3));
	memset(g, 0, sizeof(*g));
	if (!ip_parse(json_string_value(json_array_get(c, 0)), &g->client) ||
	    !ip_parse(json_string_value(json_array_get(c, 1)), &g->front) || proto <= 0 ||
	    proto > 255 || port <= 0 || port > 65535)
		return false;
	g->proto = (uint8_t)proto;
	g->port = (uint16_t)port;
	return true;
}

static void old_free(struct pol_nft_old *o)
{
	free(o->keys[0]);
	free(o->keys[1]);
	json_decref(o->chains);
	json_decref(o->sets);
	pol_gates_free(&o->gates);
}

/* Reads what the kernel holds of the table: 0 (o->exists false when there
 * is none), or a negative errno. */
static int old_read(const struct pol_nft *n, struct pol_nft_old *o)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	json_t *root, *it, *x;
	bool base[3] = { false };
	char cmd[128];
	size_t i, k;

	memset(o, 0, sizeof(*o));
	o->chains = json_array();
	o->sets = json_array();
	if (!ctx || !o->chains || !o->sets) {
		if (ctx)
			nft_ctx_free(ctx);
		return -ENOMEM;
	}
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	snprintf(cmd, sizeof(cmd), "list table inet %s", n->table);
	if (nft_run_cmd_from_buffer(ctx, cmd) != 0) {
		nft_ctx_free(ctx);
		return 0;
	}
	o->exists = true;
	root = json_loads(nft_ctx_get_output_buffer(ctx), 0, NULL);
	nft_ctx_free(ctx);
	json_array_foreach(json_object_get(root, "nftables"), i, it) {
		json_t *m = json_object_get(it, "map"), *st = json_object_get(it, "set"),
		       *ch = json_object_get(it, "chain");
		const char *name = json_string_value(json_object_get(m ? m : st ? st : ch, "name"));

		if (!name)
			continue;
		if (ch) {
			if (!strcmp(name, "forward"))
				base[0] = true;
			else if (!strcmp(name, "input"))
				base[1] = true;
			else if (!strcmp(name, "gate-drop"))
				base[2] = true;
			else
				json_array_append_new(o->chains, json_string(name));
		} else if (m) {
			int d = !strcmp(name, "ingress") ? POL_INGRESS
				: !strcmp(name, "egress") ? POL_EGRESS : -1;
			json_t *el = json_object_get(m, "elem");

			if (d < 0)
				continue;
			o->keys[d] = calloc(json_array_size(el) + 1, sizeof(uint32_t));
			if (!o->keys[d])
				break;
			json_array_foreach(el, k, x)
				if (ip_parse(json_string_value(json_array_get(x, 0)),
					     &o->keys[d][o->nkeys[d]]))
					o->nkeys[d]++;
			qsort(o->keys[d], o->nkeys[d], sizeof(uint32_t), u32_cmp);
		} else if (!strcmp(name, "gates")) {
			json_t *el = json_object_get(st, "elem");

			o->gates.v = calloc(json_array_size(el) + 1, sizeof(*o->gates.v));
			if (!o->gates.v)
				break;
			json_array_foreach(json_object_get(st, "stmt"), k, x)
				o->gates_counted = o->gates_counted || json_object_get(x, "counter");
			json_array_foreach(el, k, x)
				if (gate_parse(x, &o->gates.v[o->gates.n], NULL))
					o->gates.n++;
			o->gates.cap = o->gates.n;
			qsort(o->gates.v, o->gates.n, sizeof(*o->gates.v), gate_cmp);
		} else {
			json_array_append_new(o->sets, json_string(name));
		}
	}
	o->shaped = base[0] && base[1] && base[2] && o->keys[0] && o->keys[1] && o->gates.v;
	json_decref(root);
	return 0;
}

static bool has_key(const struct pol_nft_old *o, int dir, uint32_t ip)
{
	return bsearch(&ip, o->keys[dir], o->nkeys[dir], sizeof(ip), u32_cmp) != NULL;
}

static const struct pol_nft_pod *pod_find(const struct pol_nft_pod *p, size_t n, uint32_t ip)
{
	struct pol_nft_pod key = { .ip = ip };

	return bsearch(&key, p, n, sizeof(*p), pod_ip_cmp);
}

static bool in_names(const json_t *names, const char *name)
{
	size_t i;
	json_t *x;

	json_array_foreach(names, i, x)
		if (!strcmp(json_string_value(x), name))
			return true;
	return false;
}

static void put_adopt(FILE *f, const struct pol_nft *n, const struct pol_nft_old *o,
		      const struct pol_nft_pod *pods, size_t npods, const struct pol_gates *gates)
{
	static const struct pol_gates none;
	const char *t = n->table;
	const struct pol_gates *had = o->gates_counted ? &o->gates : &none;
	size_t i;
	json_t *x;

	/* Keys that go, before the chains they jump to. */
	for (int d = 0; d < 2; d++)
		for (i = 0; i < o->nkeys[d]; i++) {
			const struct pol_nft_pod *p = pod_find(pods, npods, o->keys[d][i]);

			if (p && p->isolated[d])
				continue;
			fprintf(f, "delete element inet %s %s { ", t, map_name[d]);
			put_ip(f, o->keys[d][i]);
			fputs(" }\n", f);
		}
	fprintf(f, "flush chain inet %s forward\nflush chain inet %s input\n"
		   "flush chain inet %s gate-drop\n", t, t, t);
	/* An earlier k1s's gates set without counters: made again, its rule
	 * with it, in this transaction. */
	if (!o->gates_counted)
		fprintf(f, "delete set inet %s gates\n", t);
	put_base(f, n);
	json_array_foreach(o->chains, i, x) {
		const char *name = json_string_value(x);
		const struct pol_nft_pod *p;
		uint32_t ip;
		int d;

		if (chain_name(name, &d, &ip) && (p = pod_find(pods, npods, ip)) && p->isolated[d]) {
			fprintf(f, "flush chain inet %s %s\n", t, name);
			if (in_names(o->sets, name))
				fprintf(f, "flush set inet %s %s\n", t, name);
		} else {
			fprintf(f, "delete chain inet %s %s\n", t, name);
		}
	}
	json_array_foreach(o->sets, i, x) {
		const char *name = json_string_value(x);
		const struct pol_nft_pod *p;
		uint32_t ip;
		int d;

		if (!in_names(o->chains, name) || !chain_name(name, &d, &ip) ||
		    !(p = pod_find(pods, npods, ip)) || !p->isolated[d])
			fprintf(f, "delete set inet %s %s\n", t, name);
	}
	for (i = 0; i < npods; i++)
		for (int d = 0; d < 2; d++)
			if (pods[i].isolated[d])
				put_chain_add(f, n, pods[i].ip, d, &pods[i].rules[d],
					      !has_key(o, d, pods[i].ip));
	put_gates(f, n, "delete", had, gates);
	put_gates(f, n, "add", gates, had);
}

/* ---- applying ---- */

static int run(struct pol_nft *n, const char *script, const char *what)
{
	int ret;

	ret = nft_run_cmd_from_buffer(n->ctx, script) == 0 ? 0 : -EINVAL;
	if (ret < 0) {
		const char *e = nft_ctx_get_error_buffer(n->ctx);
		int len = (int)strcspn(e ? e : "", "\n");

		k1s_warn("policy", "nftables table inet %s, %s: %.*s", n->table, what, len,
			 e ? e : "");
	}
	return ret;
}

static void pods_free(struct pol_nft_pod *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pol_elems_free(&p[i].rules[0]);
		pol_elems_free(&p[i].rules[1]);
	}
	free(p);
}

static void forget(struct pol_nft *n)
{
	pods_free(n->pods, n->npods);
	n->pods = NULL;
	n->npods = 0;
	pol_gates_free(&n->gates);
	n->applied = false;
}

int pol_nft_apply_pods(struct pol_nft *n, const struct pol_nft_pod *pods, size_t npods,
		       const struct pol_gates *gates)
{
	struct pol_nft_pod *w = calloc(npods ? npods : 1, sizeof(*w));
	struct pol_gates g = { 0 };
	char *script = NULL;
	size_t len = 0;
	bool adopted = false;
	FILE *f;
	int ret = 0;

	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < npods && ret == 0; i++) {
		if (i && pods[i].ip <= pods[i - 1].ip)
			ret = -EINVAL;
		w[i].ip = pods[i].ip;
		for (int d = 0; d < 2 && ret == 0; d++) {
			w[i].isolated[d] = pods[i].isolated[d];
			if (pods[i].isolated[d])
				ret = pol_nft_norm(&pods[i].rules[d], &w[i].rules[d]);
		}
	}
	if (ret == 0 && gates && gates->n) {
		g.v = malloc(gates->n * sizeof(*g.v));
		if (!g.v) {
			ret = -ENOMEM;
		} else {
			memcpy(g.v, gates->v, gates->n * sizeof(*g.v));
			g.n = g.cap = gates->n;
			qsort(g.v, g.n, sizeof(*g.v), gate_cmp);
		}
	}
	f = ret == 0 ? open_memstream(&script, &len) : NULL;
	if (ret == 0 && !f)
		ret = -errno;
	if (ret == 0) {
		struct pol_nft_old old;

		if (n->applied) {
			put_diff(f, n, w, npods, &g);
		} else if (old_read(n, &old) == 0 && old.exists && old.shaped) {
			put_adopt(f, n, &old, w, npods, &g);
			adopted = true;
		} else {
			put_table(f, n, w, npods, &g);
		}
		if (!n->applied)
			old_free(&old);
		if (fclose(f) != 0 || strstr(script, "#nomem"))
			ret = -ENOMEM;
	}
	if (ret == 0 && len)
		ret = run(n, script, n->applied ? "changes" : adopted ? "adopting it" : "the table");
	if (ret < 0 && adopted) {
		/* Not of our shape after all: replaced whole. */
		free(script);
		script = NULL;
		f = open_memstream(&script, &len);
		if (!f) {
			ret = -errno;
		} else {
			put_table(f, n, w, npods, &g);
			ret = fclose(f) != 0 || strstr(script, "#nomem") ? -ENOMEM
									 : run(n, script, "the table");
		}
	}
	free(script);
	if (ret < 0) {
		pods_free(w, npods);
		pol_gates_free(&g);
		forget(n);
		return ret;
	}
	pods_free(n->pods, n->npods);
	pol_gates_free(&n->gates);
	n->pods = w;
	n->npods = npods;
	n->gates = g;
	n->applied = true;
	return 0;
}

static int pod_ip_cmp(const void *a, const void *b)
{
	const struct pol_nft_pod *x = a, *y = b;

	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

int pol_nft_apply(struct pol_nft *n, const struct pol_view *v)
{
	size_t np = pol_view_npods(v), k = 0;
	struct pol_nft_pod *p = calloc(np ? np : 1, sizeof(*p));
	struct pol_elems *rules[2] = {calloc(np + 1, sizeof(*rules[0])),
				      calloc(np + 1, sizeof(*rules[1]))};
	bool *iso[2] = {calloc(np + 1, sizeof(bool)), calloc(np + 1, sizeof(bool))};
	struct pol_gates g = { 0 };
	size_t made = np;
	int ret = 0;

	if (!p || !rules[0] || !rules[1] || !iso[0] || !iso[1] ||
	    pol_view_rules_all(v, POL_INGRESS, rules[0], iso[0]) < 0 ||
	    pol_view_rules_all(v, POL_EGRESS, rules[1], iso[1]) < 0) {
		ret = -ENOMEM;
		np = 0;
	}
	for (size_t i = 0; i < np; i++) {
		const struct pol_pod *pod = pol_view_pod(v, i);

		if (pod->face)
			continue;
		p[k].ip = pod->ip;
		for (int d = 0; d < 2; d++) {
			p[k].isolated[d] = iso[d][i];
			p[k].rules[d] = rules[d][i];	/* moved */
			rules[d][i] = (struct pol_elems){0};
		}
		k++;
	}
	for (int d = 0; d < 2; d++) {
		for (size_t i = 0; rules[d] && i < made; i++)
			pol_elems_free(&rules[d][i]);
		free(rules[d]);
		free(iso[d]);
	}
	if (ret < 0) {
		free(p);
		return ret;
	}
	qsort(p, k, sizeof(*p), pod_ip_cmp);
	/* Two pods on one address (one finishing, one starting; the view
	 * should not hold both): one of them is kept, as the address routes
	 * to one pod only. */
	for (size_t i = 1, m = k; i < m; i++) {
		if (p[i].ip == p[i - 1].ip) {
			pol_elems_free(&p[i - 1].rules[0]);
			pol_elems_free(&p[i - 1].rules[1]);
			memmove(&p[i - 1], &p[i], (m - i) * sizeof(*p));
			m--, k--, i--;
		}
	}
	ret = pol_view_gates(v, &g);
	if (ret == 0)
		ret = pol_nft_apply_pods(n, p, k, &g);
	pol_gates_free(&g);
	pods_free(p, k);
	return ret;
}

/* ---- drops ---- */

static struct pol_nft_seen *seen_at(struct pol_nft *n, uint32_t ip, int dir)
{
	for (size_t i = 0; i < n->nseen; i++)
		if (n->seen[i].ip == ip && n->seen[i].dir == dir)
			return &n->seen[i];
	if (n->nseen == n->capseen) {
		size_t cap = n->capseen ? n->capseen * 2 : 64;
		struct pol_nft_seen *s = realloc(n->seen, cap * sizeof(*s));

		if (!s)
			return NULL;
		n->seen = s;
		n->capseen = cap;
	}
	n->seen[n->nseen] = (struct pol_nft_seen){ .ip = ip, .dir = (uint8_t)dir };
	return &n->seen[n->nseen++];
}

static void add_count(json_t *obj, const char *key, uint64_t by)
{
	json_t *c = json_object_get(obj, key);
	json_int_t was = json_is_integer(c) ? json_integer_value(c) : 0;

	json_object_set_new(obj, key, json_integer(was + (json_int_t)by));
}

/* Reads "in-A-B-C-D" / "eg-..." back into a direction and address. */
static bool chain_name(const char *s, int *dir, uint32_t *ip)
{
	unsigned a, b, c, d;
	char tag[3], end;

	if (sscanf(s, "%2[a-z]-%u-%u-%u-%u%c", tag, &a, &b, &c, &d, &end) != 5 || a > 255 ||
	    b > 255 || c > 255 || d > 255)
		return false;
	if (strcmp(tag, "in") == 0)
		*dir = POL_INGRESS;
	else if (strcmp(tag, "eg") == 0)
		*dir = POL_EGRESS;
	else
		return false;
	*ip = a << 24 | b << 16 | c << 8 | d;
	return true;
}

static int gate_seen_cmp(const void *a, const void *b)
{
	return gate_cmp(&((const struct pol_nft_gate_seen *)a)->g,
			&((const struct pol_nft_gate_seen *)b)->g);
}

/* The gates' drops since the last reading, credited as
 * pol_view_gate_blame() says. Readings of elements no longer in the set
 * are forgotten: one added again counts from zero. */
static int gate_drops(struct pol_nft *n, const struct pol_view *v, struct nft_ctx *ctx)
{
	char cmd[128];
	json_t *root, *it, *x;
	struct pol_nft_gate_seen *now = NULL;
	size_t i, k, nnow = 0;

	snprintf(cmd, sizeof(cmd), "list set inet %s gates", n->table);
	if (nft_run_cmd_from_buffer(ctx, cmd) != 0)
		return -ENOENT;
	root = json_loads(nft_ctx_get_output_buffer(ctx), 0, NULL);
	json_array_foreach(json_object_get(root, "nftables"), i, it) {
		json_t *el = json_object_get(json_object_get(it, "set"), "elem");

		if (!el || now)
			continue;
		now = calloc(json_array_size(el) + 1, sizeof(*now));
		if (!now) {
			json_decref(root);
			return -ENOMEM;
		}
		json_array_foreach(el, k, x) {
			struct pol_nft_gate_seen *s = &now[nnow], *was;
			const json_t *c;
			const char *const *pols;
			uint64_t pk, delta;
			size_t np;

			if (!gate_parse(x, &s->g, &c) || !c)
				continue;
			nnow++;
			pk = (uint64_t)json_integer_value(json_object_get(c, "packets"));
			was = n->ngate_seen ? bsearch(s, n->gate_seen, n->ngate_seen,
						      sizeof(*s), gate_seen_cmp)
					    : NULL;
			delta = was && pk >= was->packets ? pk - was->packets : pk;
			s->packets = pk;
			np = delta ? pol_view_gate_blame(v, &s->g, &pols) : 0;
			for (size_t j = 0; j < np; j++)
				add_count(n->totals, pols[j], delta);
		}
	}
	json_decref(root);
	if (nnow)
		qsort(now, nnow, sizeof(*now), gate_seen_cmp);
	free(n->gate_seen);
	n->gate_seen = now;
	n->ngate_seen = nnow;
	return 0;
}

int pol_nft_drops(struct pol_nft *n, const struct pol_view *v, json_t *counts)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	char cmd[128];
	json_t *root, *list, *it, *val;
	const char *key;
	size_t i;
	int ret = 0;

	if (!ctx)
		return -ENOMEM;
	/* Terse: the rules with their counters, not the sets' elements. */
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_TERSE);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	snprintf(cmd, sizeof(cmd), "list table inet %s", n->table);
	if (nft_run_cmd_from_buffer(ctx, cmd) != 0) {
		ret = -ENOENT;
		goto out;
	}
	root = json_loads(nft_ctx_get_output_buffer(ctx), 0, NULL);
	list = json_object_get(root, "nftables");
	json_array_foreach(list, i, it) {
		json_t *r = json_object_get(it, "rule"), *x, *c = NULL;
		const char *name = json_string_value(json_object_get(r, "chain"));
		json_int_t pk;
		struct pol_nft_seen *s;
		const struct pol_pod *pod;
		const char *const *pols;
		size_t np, idx;
		uint64_t delta;
		uint32_t ip;
		int dir;

		size_t k;

		json_array_foreach(json_object_get(r, "expr"), k, x)
			if (json_object_get(x, "counter"))
				c = json_object_get(x, "counter");
		if (!c || !name || !chain_name(name, &dir, &ip) || !(s = seen_at(n, ip, dir)))
			continue;
		pk = json_integer_value(json_object_get(c, "packets"));
		/* A chain made again (it went and came back) counts from
		 * zero. */
		delta = (uint64_t)pk >= s->packets ? (uint64_t)pk - s->packets : (uint64_t)pk;
		s->packets = (uint64_t)pk;
		pod = delta ? pol_view_pod_at(v, ip) : NULL;
		if (!pod)
			continue;
		for (idx = 0; idx < pol_view_npods(v) && pol_view_pod(v, idx) != pod; idx++)
			;
		np = pol_view_isolating(v, idx, (enum pol_dir)dir, &pols);
		for (k = 0; k < np; k++)
			add_count(n->totals, pols[k], delta);
	}
	json_decref(root);
	/* Not terse: the gates' elements, each with its counter. */
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	ret = gate_drops(n, v, ctx);
	json_object_foreach(n->totals, key, val)
		add_count(counts, key, (uint64_t)json_integer_value(val));
out:
	nft_ctx_free(ctx);
	return ret;
}

/* ---- life ---- */

struct pol_nft *pol_nft_new(const struct pol_nft_config *cfg, int *err)
{
	struct pol_nft *n;
	int ret;

	if (geteuid() != 0) {
		*err = -EPERM;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		*err = -ENOMEM;
		return NULL;
	}
	snprintf(n->table, sizeof(n->table), "%s", cfg && cfg->table ? cfg->table : POL_NFT_TABLE);
	n->group = cfg && cfg->log_group ? cfg->log_group : POL_NFT_LOG_GROUP;
	n->rate = cfg && cfg->drop_logs_per_s > 0 ? cfg->drop_logs_per_s : POL_NFT_LOG_RATE;
	n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	n->totals = json_object();
	if (!n->ctx || !n->totals) {
		pol_nft_free(n, false);
		*err = -ENOMEM;
		return NULL;
	}
	nft_ctx_buffer_output(n->ctx);
	nft_ctx_buffer_error(n->ctx);
	/* The kernel says EPERM also when another socket holds the group. */
	n->log = pol_nflog_new(n->group, n->rate, &ret);
	if (!n->log)
		k1s_warn("policy", "NFLOG group %u: %s; drops are counted but not logged", n->group,
			 strerror(-ret));
	return n;
}

int pol_nft_remove_left(void)
{
	struct nft_ctx *ctx;
	char cmd[160];
	int ret = 0;

	if (geteuid() != 0)
		return -EPERM;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	/* Terse: whether it is there, not its sets' elements. */
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_TERSE);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	snprintf(cmd, sizeof(cmd), "list table inet %s", POL_NFT_TABLE);
	if (nft_run_cmd_from_buffer(ctx, cmd) == 0) {
		snprintf(cmd, sizeof(cmd), "delete table inet %s", POL_NFT_TABLE);
		ret = 1;
		if (nft_run_cmd_from_buffer(ctx, cmd) != 0) {
			k1s_warn("policy", "cannot remove table inet %s: %s", POL_NFT_TABLE,
				 nft_ctx_get_error_buffer(ctx));
			ret = -EIO;
		}
	}
	nft_ctx_free(ctx);
	return ret;
}

int pol_nft_log_fd(const struct pol_nft *n)
{
	return n->log ? pol_nflog_fd(n->log) : -1;
}

void pol_nft_log_read(struct pol_nft *n, const struct pol_view *v)
{
	if (n->log)
		pol_nflog_read(n->log, v);
}

void pol_nft_log_flows(struct pol_nft *n, struct k1s_flow_ring *ring)
{
	if (n->log)
		pol_nflog_set_flows(n->log, ring);
}

void pol_nft_free(struct pol_nft *n, bool remove)
{
	char cmd[160];

	if (!n)
		return;
	if (remove && n->ctx) {
		snprintf(cmd, sizeof(cmd), "add table inet %s\ndelete table inet %s\n", n->table,
			 n->table);
		run(n, cmd, "removing it");
	}
	pol_nflog_free(n->log);
	forget(n);
	free(n->seen);
	free(n->gate_seen);
	json_decref(n->totals);
	if (n->ctx)
		nft_ctx_free(n->ctx);
	free(n);
}
