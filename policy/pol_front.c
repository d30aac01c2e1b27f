/* Fronts: the addresses where k1s answers for endpoints (a Service's
 * cluster IP, node port and load-balancer addresses; a face pod's own
 * address), each with the endpoints behind it, for the input hook's gates
 * and for explaining a flow to a Service. A Service's fronts depend on
 * Services and Endpoints alone: they are built into a struct pol_fronts
 * that successive views share, so that a pod's admission costs what the
 * pod changes, not a walk over every Service. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "k1s_addr.h"
#include "k1s_json.h"
#include "pol_int.h"
#include "pol_view_int.h"

/* A growing list of fronts. */
struct front_list {
	struct pol_front *v;
	size_t n, cap;
};

static int front_add(struct front_list *l, const char *ns, const char *name, uint32_t ip,
		     uint16_t port, uint8_t proto, const uint32_t *eip, const uint16_t *eport,
		     size_t neps)
{
	struct pol_front *f;

	if (!neps || !proto)
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct pol_front *grown = realloc(l->v, ncap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		l->v = grown;
		l->cap = ncap;
	}
	f = &l->v[l->n];
	memset(f, 0, sizeof(*f));
	f->fr_ep_ip = malloc(neps * sizeof(*eip));
	f->fr_ep_port = malloc(neps * sizeof(*eport));
	if (!f->fr_ep_ip || !f->fr_ep_port) {
		free(f->fr_ep_ip);
		free(f->fr_ep_port);
		return -ENOMEM;
	}
	memcpy(f->fr_ep_ip, eip, neps * sizeof(*eip));
	memcpy(f->fr_ep_port, eport, neps * sizeof(*eport));
	f->fr_ns = ns;
	f->fr_name = name;
	f->fr_ip = ip;
	f->fr_port = port;
	f->fr_proto = proto;
	f->fr_neps = neps;
	l->n++;
	return 0;
}

static void fronts_list_free(struct pol_front *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].fr_ep_ip);
		free(v[i].fr_ep_port);
	}
	free(v);
}

/* Endpoints by "namespace/name": found per Service in O(1), where a search
 * of the list made a view of n Services cost n^2. */
static json_t *eps_index(const json_t *all)
{
	json_t *idx = json_object(), *e;
	size_t i;

	if (!idx)
		return NULL;
	json_array_foreach(all, i, e) {
		char key[320];

		snprintf(key, sizeof(key), "%s/%s", k1s_json_str(e, "metadata.namespace") ?: "",
			 k1s_json_str(e, "metadata.name") ?: "");
		if (json_object_set(idx, key, e) < 0) {
			json_decref(idx);
			return NULL;
		}
	}
	return idx;
}

static const json_t *eps_of(const json_t *idx, const char *ns, const char *name)
{
	char key[320];

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	return json_object_get(idx, key);
}

/* The ready endpoints of one service port: Endpoints subsets' addresses
 * with the port of the same name (an unnamed service port: the only one). */
static size_t svc_port_eps(const json_t *eps, const char *pname, uint8_t proto, uint32_t *eip,
			   uint16_t *eport, size_t max)
{
	const json_t *ss, *a, *p;
	size_t i, j, k, n = 0;

	json_array_foreach(json_object_get(eps, "subsets"), i, ss) {
		json_array_foreach(json_object_get(ss, "ports"), j, p) {
			json_int_t port = json_integer_value(json_object_get(p, "port"));

			if (strcmp(k1s_json_str(p, "name") ?: "", pname) ||
			    pol_proto_of(k1s_json_str(p, "protocol")) != proto || port < 1 || port > 65535)
				continue;
			json_array_foreach(json_object_get(ss, "addresses"), k, a) {
				uint32_t ip;

				if (n == max || k1s_ip4_parse(k1s_json_str(a, "ip") ?: "", &ip) < 0)
					continue;
				eip[n] = ip;
				eport[n++] = (uint16_t)port;
			}
		}
	}
	return n;
}

#define POL_FRONT_EPS 1024

/* The bytes of the names of the Services in svcs, each "namespace\0name\0". */
static size_t names_size(const json_t *svcs)
{
	const json_t *s;
	size_t i, n = 0;

	json_array_foreach(svcs, i, s) {
		const char *ns = k1s_json_str(s, "metadata.namespace"),
			   *name = k1s_json_str(s, "metadata.name");

		if (ns && name)
			n += strlen(ns) + strlen(name) + 2;
	}
	return n;
}

/* The fronts of Services with Endpoints, into l, naming each Service with
 * a copy in *names (the trees need not outlive the fronts: their names are
 * read on any thread, by pol_view_explain()). */
static int fronts_of_services(struct front_list *l, char **names, const json_t *svcs,
			      const json_t *all_eps, uint32_t node_ip)
{
	uint32_t *eip = calloc(POL_FRONT_EPS, sizeof(*eip));
	uint16_t *eport = calloc(POL_FRONT_EPS, sizeof(*eport));
	json_t *idx = eps_index(all_eps);
	size_t size = names_size(svcs);
	char *at = *names = malloc(size ? size : 1);
	const json_t *s, *p, *x;
	size_t i, j, k;
	int rc = -ENOMEM;

	if (!eip || !eport || !idx || !at)
		goto out;
	json_array_foreach(svcs, i, s) {
		const char *sns = k1s_json_str(s, "metadata.namespace"),
			   *sname = k1s_json_str(s, "metadata.name"), *ns, *name;
		const json_t *eps = sns && sname ? eps_of(idx, sns, sname) : NULL;

		if (!eps)
			continue;
		ns = at;
		at = stpcpy(at, sns) + 1;
		name = at;
		at = stpcpy(at, sname) + 1;
		json_array_foreach(k1s_json_path(s, "spec.ports"), j, p) {
			uint8_t proto = pol_proto_of(k1s_json_str(p, "protocol"));
			json_int_t port = json_integer_value(json_object_get(p, "port"));
			json_int_t nport = json_integer_value(json_object_get(p, "nodePort"));
			size_t n = svc_port_eps(eps, k1s_json_str(p, "name") ?: "", proto, eip, eport,
						POL_FRONT_EPS);
			uint32_t ip;

			if (port < 1 || port > 65535)
				continue;
			if (k1s_ip4_parse(k1s_json_str(s, "spec.clusterIP") ?: "", &ip) == 0 &&
			    front_add(l, ns, name, ip, (uint16_t)port, proto, eip, eport, n) < 0)
				goto out;
			if (node_ip && nport > 0 && nport <= 65535 &&
			    front_add(l, ns, name, node_ip, (uint16_t)nport, proto, eip, eport, n) < 0)
				goto out;
			json_array_foreach(k1s_json_path(s, "status.loadBalancer.ingress"), k, x)
				if (k1s_ip4_parse(k1s_json_str(x, "ip") ?: "", &ip) == 0 &&
				    front_add(l, ns, name, ip, (uint16_t)port, proto, eip, eport,
					      n) < 0)
					goto out;
		}
	}
	rc = 0;
out:
	json_decref(idx);
	free(eip);
	free(eport);
	return rc;
}

struct pol_fronts *pol_fronts_new(const json_t *svcs, const json_t *eps, uint32_t node_ip)
{
	struct pol_fronts *f = calloc(1, sizeof(*f));
	struct front_list l = {0};
	struct pol_front *fit;

	if (!f)
		return NULL;
	atomic_init(&f->fs_refs, 1);
	if (fronts_of_services(&l, &f->fs_names, svcs, eps, node_ip) < 0) {
		fronts_list_free(l.v, l.n);
		free(f->fs_names);
		free(f);
		return NULL;
	}
	/* Kept for as long as the Service is: one Service's part holds one
	 * or two fronts, not the list's first growth. */
	if (l.n && l.n < l.cap && (fit = realloc(l.v, l.n * sizeof(*fit))))
		l.v = fit;
	f->fs_v = l.v;
	f->fs_n = l.n;
	return f;
}

struct pol_fronts *pol_fronts_ref(struct pol_fronts *f)
{
	if (f)
		atomic_fetch_add(&f->fs_refs, 1);
	return f;
}

struct pol_fronts *pol_fronts_join(struct pol_fronts *const *parts, size_t n)
{
	struct pol_fronts *f = calloc(1, sizeof(*f));
	size_t total = 0;

	if (!f)
		return NULL;
	atomic_init(&f->fs_refs, 1);
	for (size_t i = 0; i < n; i++)
		total += parts[i]->fs_n;
	f->fs_v = calloc(total + 1, sizeof(*f->fs_v));
	f->fs_parts = calloc(n + 1, sizeof(*f->fs_parts));
	if (!f->fs_v || !f->fs_parts) {
		free(f->fs_v);
		free(f->fs_parts);
		free(f);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (parts[i]->fs_n) /* an empty part's list may be NULL */
			memcpy(&f->fs_v[f->fs_n], parts[i]->fs_v, parts[i]->fs_n * sizeof(*f->fs_v));
		f->fs_n += parts[i]->fs_n;
		f->fs_parts[f->fs_nparts++] = pol_fronts_ref(parts[i]);
	}
	return f;
}

void pol_fronts_free(struct pol_fronts *f)
{
	if (!f || atomic_fetch_sub(&f->fs_refs, 1) != 1)
		return;
	if (f->fs_parts) {
		for (size_t i = 0; i < f->fs_nparts; i++)
			pol_fronts_free(f->fs_parts[i]);
		free(f->fs_parts);
		free(f->fs_v);
	} else {
		fronts_list_free(f->fs_v, f->fs_n);
	}
	free(f->fs_names);
	free(f);
}

int pol_build_fronts(struct pol_view *v, const json_t *svcs, const json_t *all_eps)
{
	struct front_list l = {0};
	size_t i, j;

	if (!v->svc_fronts && !(v->svc_fronts = pol_fronts_new(svcs, all_eps, v->node_ip)))
		return -ENOMEM;
	/* A face answers on its own address for its containerPorts. */
	for (i = 0; i < v->npods; i++) {
		if (!v->pods[i].face)
			continue;
		for (j = 0; j < v->px[i].px_nports; j++) {
			const struct pol_named *pn = &v->px[i].px_ports[j];

			if (front_add(&l, v->pods[i].ns, v->pods[i].name, v->pods[i].ip,
				      pn->pn_port, pn->pn_proto, &v->pods[i].ip, &pn->pn_port, 1) < 0) {
				fronts_list_free(l.v, l.n);
				return -ENOMEM;
			}
			l.v[l.n - 1].fr_face = true;
		}
	}
	v->fronts = l.v;
	v->nfronts = l.n;
	return 0;
}
