/* The evaluator's inputs: a JSON object {"namespaces": [...], "pods":
 * [...], "policies": [...], "services": [...], "endpoints": [...],
 * "flows": [{"src", "dst", "port", "proto"}]} builds a view; each flow is
 * checked and explained, every pod's kernel lists and the gates are
 * listed, and the lists must agree with the evaluator on each flow and on
 * flows between the first pods (abort otherwise); the lists made for every
 * pod at once must be each pod's own, and a view over the Services' fronts
 * and the policies compiled apart must gate and list as the first does.
 * Those policies are compiled as a change from an earlier set: "earlier"
 * (policies), or else the first half of "policies". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "k1s_addr.h"
#include "pol_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool covers(const struct pol_elems *e, uint32_t peer, const struct pol_flow *f)
{
	for (size_t i = 0; i < e->n; i++)
		if (peer >= e->v[i].lo && peer <= e->v[i].hi &&
		    (!e->v[i].proto || (e->v[i].proto == f->proto && f->dport >= e->v[i].plo &&
					f->dport <= e->v[i].phi)))
			return true;
	return false;
}

/* The flow as the forward hook's two chains judge it. */
static bool lists_allow(const struct pol_view *v, const struct pol_flow *f, struct pol_elems *e)
{
	const struct pol_pod *s = pol_view_pod_at(v, f->src), *d = pol_view_pod_at(v, f->dst);
	uint32_t node = 0xc0000202;

	if (f->src == f->dst || f->src == node || f->dst == node || f->src >> 24 == 127 ||
	    f->dst >> 24 == 127)
		return true;
	if (s && pol_view_rules(v, (size_t)(s - pol_view_pod(v, 0)), POL_EGRESS, e) &&
	    !covers(e, f->dst, f))
		return false;
	if (d && pol_view_rules(v, (size_t)(d - pol_view_pod(v, 0)), POL_INGRESS, e) &&
	    !covers(e, f->src, f))
		return false;
	return true;
}

static void judge(const struct pol_view *v, const struct pol_flow *f, struct pol_elems *e)
{
	enum pol_verdict verdict = pol_view_check(v, f);
	json_t *x = pol_view_explain(v, f);

	if ((verdict == POL_ALLOWED) != lists_allow(v, f, e))
		abort();
	json_decref(x);
}

static const uint8_t protos[] = {POL_TCP, POL_UDP, POL_SCTP};

/* The objects of in[name] a builder keeps: the objects. */
static json_t *objects(const json_t *in, const char *name)
{
	json_t *all = json_array(), *o;
	size_t i;

	json_array_foreach(json_object_get(in, name), i, o)
		if (json_is_object(o))
			json_array_append(all, o);
	return all;
}

/* The view again, from the fronts and policies made apart. */
static struct pol_view *apart(const json_t *in)
{
	struct k1s_cidr net = {0x0af40000, 16};
	struct pol_view_builder *b = pol_builder_new(&net, 0xc0000202);
	json_t *svcs = objects(in, "services"), *eps = objects(in, "endpoints");
	json_t *pols = objects(in, "policies"), *o;
	json_t *earlier = json_object_get(in, "earlier") ? objects(in, "earlier") : json_array();
	struct pol_fronts *f = pol_fronts_new(svcs, eps, 0xc0000202);
	struct pol_policies *prev, *p;
	struct pol_view *v;
	size_t i;

	if (!json_object_get(in, "earlier"))
		for (i = 0; i < json_array_size(pols) / 2; i++)
			json_array_append(earlier, json_array_get(pols, i));
	prev = pol_policies_new(earlier);
	p = pol_policies_update(prev, pols);
	pol_policies_free(prev);
	json_decref(earlier);

	json_array_foreach(json_object_get(in, "namespaces"), i, o)
		pol_builder_namespace(b, o);
	json_array_foreach(json_object_get(in, "pods"), i, o)
		pol_builder_pod(b, o, json_string_value(json_object_get(o, "gateIP")));
	pol_builder_fronts(b, f);
	pol_builder_policies(b, p);
	v = pol_builder_finish(b);
	pol_fronts_free(f);
	pol_policies_free(p);
	json_decref(svcs);
	json_decref(eps);
	json_decref(pols);
	return v;
}

static void same_apart(const struct pol_view *v, const struct pol_gates *g, const json_t *in,
		       struct pol_elems *e)
{
	struct pol_view *w = apart(in);
	struct pol_gates h = {0};
	struct pol_elems x = {0};

	if (!w)
		return;
	if (pol_view_gates(w, &h) == 0 &&
	    (h.n != g->n || (h.n && memcmp(h.v, g->v, h.n * sizeof(*h.v)))))
		abort();
	if (pol_view_npods(w) != pol_view_npods(v))
		abort();
	for (size_t k = 0; k < pol_view_npods(v); k++)
		for (int d = POL_INGRESS; d <= POL_EGRESS; d++)
			if (pol_view_rules(v, k, (enum pol_dir)d, e) !=
				pol_view_rules(w, k, (enum pol_dir)d, &x) ||
			    e->n != x.n || (e->n && memcmp(e->v, x.v, e->n * sizeof(*e->v))))
				abort();
	pol_elems_free(&x);
	pol_gates_free(&h);
	pol_view_free(w);
}

static void same_lists(const struct pol_view *v, struct pol_elems *e)
{
	size_t np = pol_view_npods(v);
	struct pol_elems *all = calloc(np + 1, sizeof(*all));
	bool *iso = calloc(np + 1, sizeof(*iso));

	for (int d = POL_INGRESS; d <= POL_EGRESS; d++) {
		if (!all || !iso || pol_view_rules_all(v, (enum pol_dir)d, all, iso) < 0)
			break;
		for (size_t k = 0; k < np; k++) {
			if (pol_view_rules(v, k, (enum pol_dir)d, e) != iso[k] || e->n != all[k].n ||
			    (e->n && memcmp(e->v, all[k].v, e->n * sizeof(*e->v))))
				abort();
			pol_elems_free(&all[k]);
		}
	}
	free(all);
	free(iso);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = json_loadb((const char *)data, size, 0, NULL), *o;
	struct k1s_cidr net = {0x0af40000, 16};
	struct pol_view_builder *b;
	struct pol_elems e = {0};
	struct pol_gates g = {0};
	struct pol_view *v;
	size_t i, n;

	if (!json_is_object(in)) {
		json_decref(in);
		return 0;
	}
	b = pol_builder_new(&net, 0xc0000202);
	json_array_foreach(json_object_get(in, "namespaces"), i, o)
		pol_builder_namespace(b, o);
	json_array_foreach(json_object_get(in, "pods"), i, o)
		pol_builder_pod(b, o, json_string_value(json_object_get(o, "gateIP")));
	json_array_foreach(json_object_get(in, "policies"), i, o)
		pol_builder_policy(b, o);
	json_array_foreach(json_object_get(in, "services"), i, o)
		pol_builder_service(b, o);
	json_array_foreach(json_object_get(in, "endpoints"), i, o)
		pol_builder_endpoints(b, o);
	v = pol_builder_finish(b);
	if (!v) {
		json_decref(in);
		return 0;
	}
	json_array_foreach(json_object_get(in, "flows"), i, o) {
		struct pol_flow f = {0};

		k1s_ip4_parse(json_string_value(json_object_get(o, "src")) ?: "", &f.src);
		k1s_ip4_parse(json_string_value(json_object_get(o, "dst")) ?: "", &f.dst);
		f.dport = (uint16_t)json_integer_value(json_object_get(o, "port"));
		f.proto = (uint8_t)json_integer_value(json_object_get(o, "proto"));
		judge(v, &f, &e);
	}
	n = pol_view_npods(v) < 8 ? pol_view_npods(v) : 8;
	for (size_t s = 0; s < n; s++)
		for (size_t d = 0; d < n; d++)
			for (size_t p = 0; p < sizeof(protos); p++) {
				struct pol_flow f = {pol_view_pod(v, s)->ip, pol_view_pod(v, d)->ip, 80,
						     protos[p]};

				judge(v, &f, &e);
			}
	for (size_t k = 0; k < pol_view_npods(v); k++) {
		const char *const *names;

		pol_view_isolating(v, k, POL_INGRESS, &names);
		pol_view_rules(v, k, POL_INGRESS, &e);
		pol_view_rules(v, k, POL_EGRESS, &e);
	}
	same_lists(v, &e);
	if (pol_view_gates(v, &g) == 0)
		same_apart(v, &g, in, &e);
	pol_gates_free(&g);
	pol_elems_free(&e);
	pol_view_free(v);
	json_decref(in);
	return 0;
}
