/* The evaluator on its own: how long a view takes to build from the
 * objects (what each change to the store costs before the kernel is
 * told), how long one after a policy changed takes (the set of policies
 * made from the last one, sharing the others' compiled units, as the
 * module makes it), how long pol_view_check takes per flow (what each
 * proxied connection costs), and how long every pod's kernel lists take.
 *
 *   eval PODS POLICIES [REPEAT]
 *
 * PODS pods in 10 namespaces, each labelled with one of 50 apps and 5
 * tiers; POLICIES policies, each selecting one app in its namespace,
 * allowing ingress from a tier in namespaces of a team or from an
 * ipBlock, on a named port and a numbered one, and egress to its own
 * namespace. Figures are medians of REPEAT runs (default 9). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <jansson.h>

#include "../bench_clock.h"
#include "pol_int.h"

static json_t *objects(int npods, int npol)
{
	json_t *all = json_pack("{s:[],s:[],s:[]}", "ns", "pods", "pols");

	for (int n = 0; n < 10; n++)
		json_array_append_new(json_object_get(all, "ns"),
				      json_pack("{s:{s:s+,s:{s:s+}}}", "metadata", "name", "ns",
						(char[]){(char)('0' + n), 0}, "labels", "team", "t",
						(char[]){(char)('0' + n % 3), 0}));
	for (int i = 0; i < npods; i++) {
		char ns[8], name[16], app[8], tier[8], ip[20];

		snprintf(ns, sizeof(ns), "ns%d", i % 10);
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(app, sizeof(app), "a%d", i % 50);
		snprintf(tier, sizeof(tier), "t%d", i % 5);
		snprintf(ip, sizeof(ip), "10.244.%d.%d", 1 + i / 250, 1 + i % 250);
		json_array_append_new(
		    json_object_get(all, "pods"),
		    json_pack("{s:{s:s,s:s,s:{s:s,s:s}},s:{s:[{s:[{s:s,s:i}]}]},s:{s:s,s:s}}",
			      "metadata", "namespace", ns, "name", name, "labels", "app", app, "tier",
			      tier, "spec", "containers", "ports", "name", "http", "containerPort", 8080,
			      "status", "podIP", ip, "phase", "Running"));
	}
	for (int i = 0; i < npol; i++) {
		char buf[1024];

		snprintf(buf, sizeof(buf),
			 "{\"metadata\":{\"namespace\":\"ns%d\",\"name\":\"np%d\"},\"spec\":{"
			 "\"podSelector\":{\"matchLabels\":{\"app\":\"a%d\"}},\"ingress\":[{\"from\":["
			 "{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"t%d\"}},\"podSelector\":"
			 "{\"matchLabels\":{\"tier\":\"t%d\"}}},{\"ipBlock\":{\"cidr\":\"192.168.%d.0/24\"}}],"
			 "\"ports\":[{\"port\":\"http\"},{\"port\":%d}]}],"
			 "\"egress\":[{\"to\":[{\"podSelector\":{}}]}]}}",
			 i % 10, i, i % 50, i % 3, i % 5, i % 256, 1000 + i % 100);
		json_array_append_new(json_object_get(all, "pols"), json_loads(buf, 0, NULL));
	}
	return all;
}

/* A view of all; its policies from ps when given. */
static struct pol_view *build(const json_t *all, struct pol_policies *ps)
{
	struct k1s_cidr net = {0x0af40000, 16};
	struct pol_view_builder *b = pol_builder_new(&net, 0xc0000202);
	const json_t *o;
	size_t i;

	json_array_foreach(json_object_get(all, "ns"), i, o)
		pol_builder_namespace(b, o);
	json_array_foreach(json_object_get(all, "pods"), i, o)
		pol_builder_pod(b, o, NULL);
	if (ps)
		pol_builder_policies(b, ps);
	else
		json_array_foreach(json_object_get(all, "pols"), i, o)
			pol_builder_policy(b, o);
	return pol_builder_finish(b);
}

/* The view after the first policy changed (its port), its policies made
 * from prev: ms. */
static double one_changed(const json_t *all, const struct pol_policies *prev)
{
	json_t *pols = json_copy(json_object_get(all, "pols")), *np, *rule;
	double t0, t;
	struct pol_policies *ps;
	struct pol_view *v;

	if (json_array_size(pols)) {
		np = json_deep_copy(json_array_get(pols, 0));
		rule = json_array_get(json_object_get(json_object_get(np, "spec"), "ingress"), 0);
		json_object_set_new(json_array_get(json_object_get(rule, "ports"), 1), "port",
				    json_integer(7));
		json_array_set_new(pols, 0, np);
	}
	t0 = bench_now_ms();
	ps = pol_policies_update(prev, pols);
	v = build(all, ps);
	t = bench_now_ms() - t0;
	pol_policies_free(ps);
	pol_view_free(v);
	json_decref(pols);
	return t;
}

int main(int argc, char **argv)
{
	int npods = argc > 1 ? atoi(argv[1]) : 100, npol = argc > 2 ? atoi(argv[2]) : 100;
	int repeat = argc > 3 ? atoi(argv[3]) : 9, flows = 200000;
	double *tb = calloc((size_t)repeat, sizeof(double)), *tc = calloc((size_t)repeat, sizeof(double));
	double *tr = calloc((size_t)repeat, sizeof(double)), *tu = calloc((size_t)repeat, sizeof(double));
	json_t *all = objects(npods, npol);
	struct pol_policies *prev = pol_policies_new(json_object_get(all, "pols"));
	size_t elems = 0;
	long allowed = 0;

	if (npods < 1 || repeat < 1)
		return 2;
	for (int r = 0; r < repeat; r++) {
		double t0 = bench_now_ms(), t1, t2;
		struct pol_view *v = build(all, NULL);

		t1 = bench_now_ms();
		allowed = 0;
		for (int i = 0; i < flows; i++) {
			struct pol_flow f = {pol_view_pod(v, (size_t)i % (size_t)npods)->ip,
					     pol_view_pod(v, (size_t)i * 7 % (size_t)npods)->ip,
					     i % 2 ? 8080 : 1000 + i % 100, 6};

			allowed += pol_view_check(v, &f) == POL_ALLOWED;
		}
		t2 = bench_now_ms();
		elems = 0;
		/* As pol_nft_apply() makes them: pods alike share one list. */
		for (int d = POL_INGRESS; d <= POL_EGRESS; d++) {
			size_t np = pol_view_npods(v);
			struct pol_elems *all = calloc(np + 1, sizeof(*all));
			bool *iso = calloc(np + 1, sizeof(*iso));

			pol_view_rules_all(v, (enum pol_dir)d, all, iso);
			for (size_t i = 0; i < np; i++) {
				elems += all[i].n;
				pol_elems_free(&all[i]);
			}
			free(all);
			free(iso);
		}
		tr[r] = bench_now_ms() - t2;
		tb[r] = t1 - t0;
		tc[r] = (t2 - t1) * 1e6 / flows;
		pol_view_free(v);
		tu[r] = one_changed(all, prev);
	}
	qsort(tb, (size_t)repeat, sizeof(double), bench_cmp_double);
	qsort(tc, (size_t)repeat, sizeof(double), bench_cmp_double);
	qsort(tr, (size_t)repeat, sizeof(double), bench_cmp_double);
	qsort(tu, (size_t)repeat, sizeof(double), bench_cmp_double);
	printf("%5d pods %5d policies: view %7.2f ms  after one change %7.2f ms  check %4.0f ns/flow "
	       "(%ld of %d allowed)  kernel lists %7.2f ms (%zu elements)\n",
	       npods, npol, tb[repeat / 2], tu[repeat / 2], tc[repeat / 2], allowed, flows,
	       tr[repeat / 2], elems);
	pol_policies_free(prev);
	free(tu);
	json_decref(all);
	free(tb);
	free(tc);
	free(tr);
	return 0;
}
