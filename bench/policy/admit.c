/* The runtime's gate with many Services: how long pol_admit_pod takes
 * for each of PODS pods (what starting a pod holds the control loop for),
 * and how long a pass takes after one Endpoints changes, with SERVICES
 * Services and their Endpoints in the store and no policy, then
 * POLICIES policies (default 1): one selecting every pod, the others each
 * an app no pod runs, allowing it from its namespace; then the passes
 * that catch up with every Service listed, first and after the event log
 * was compacted (all of them, and the longest, which is what the control
 * loop is held for), and the heap the module holds after the first list,
 * per Service (its copy and its view, glibc's count). In-process over a real store, the
 * evaluator alone (no nftables): it runs beside anything.
 *
 *   admit SERVICES PODS [POLICIES] */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "../bench_clock.h"
#include "k1s_loop.h"
#include "pol.h"
#include "pol_int.h"
#include "st.h"

static void put(struct st *st, const char *res, json_t *o)
{
	const char *ns =
	    json_string_value(json_object_get(json_object_get(o, "metadata"), "namespace")) ?: "";
	const char *name =
	    json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
	json_t *old = NULL;

	if (st_get(st, res, ns, name, &old) == 0)
		st_update(st, res, ns, name, o, 0);
	else
		st_create(st, res, ns, name, o);
	json_decref(old);
	json_decref(o);
}

static void endpoints(struct st *st, int s, int last)
{
	char name[32], ip[32];

	snprintf(name, sizeof(name), "svc-%d", s);
	snprintf(ip, sizeof(ip), "10.244.%d.%d", 1 + last / 200, 10 + last % 200);
	put(st, "endpoints",
	    json_pack("{s:{s:s,s:s},s:[{s:[{s:s}],s:[{s:s,s:i}]}]}", "metadata", "namespace", "d",
	              "name", name, "subsets", "addresses", "ip", ip, "ports", "name", "http",
	              "port", 8080));
}

/* PODS admissions: median and worst, ms. */
static void admit_all(struct st *st, struct pol *pol, int npods, int round, double *p50,
                      double *max)
{
	double *t = calloc((size_t)npods, sizeof(double));

	for (int i = 0; i < npods; i++) {
		char name[32], ip[32];
		json_t *pod;
		double t0;

		snprintf(name, sizeof(name), "pod-%d-%d", round, i);
		snprintf(ip, sizeof(ip), "10.244.%d.%d", 1 + i / 200 + 2 * round, 10 + i % 200);
		pod = json_pack("{s:{s:s,s:s,s:{s:s}},s:{s:[{s:s,s:[{s:s,s:i}]}]}}", "metadata",
		                "namespace", "d", "name", name, "labels", "app", "web", "spec",
		                "containers", "name", "web", "ports", "name", "http",
		                "containerPort", 8080);
		put(st, "pods", json_incref(pod));
		t0 = bench_now_ms();
		if (pol_admit_pod(pol, pod, ip) < 0)
			fprintf(stderr, "admit %s failed\n", name);
		t[i] = bench_now_ms() - t0;
		json_decref(pod);
	}
	qsort(t, (size_t)npods, sizeof(double), bench_cmp_double);
	*p50 = t[npods / 2];
	*max = t[npods - 1];
	free(t);
}

/* Passes until the module has caught up with the store (a pass returns 0
 * while it has more to do): the longest pass, ms, and in *total the sum. */
static double catch_up(struct pol *pol, double *total)
{
	double longest = 0, t0, t;
	int wait;

	*total = 0;
	do {
		t0 = bench_now_ms();
		wait = pol_pass(pol);
		t = bench_now_ms() - t0;
		*total += t;
		longest = t > longest ? t : longest;
	} while (wait == 0);
	return longest;
}

static double endpoints_pass(struct st *st, struct pol *pol, int nsvc)
{
	double t[9];

	for (int r = 0; r < 9; r++) {
		double t0;

		endpoints(st, r % nsvc, r + 1);
		t0 = bench_now_ms();
		pol_pass(pol);
		t[r] = bench_now_ms() - t0;
	}
	qsort(t, 9, sizeof(double), bench_cmp_double);
	return t[4];
}

int main(int argc, char **argv)
{
	int nsvc = argc > 1 ? atoi(argv[1]) : 1000, npods = argc > 2 ? atoi(argv[2]) : 100, err;
	int npol = argc > 3 ? atoi(argv[3]) : 1;
	char dir[] = "/tmp/pol-admit.XXXXXX", cmd[64];
	struct pol_config cfg = {.node_ip = "192.0.2.2"};
	struct st *st;
	struct pol *pol;
	double p50, max, first, relist, first_max, relist_max;
	size_t heap;

	if (nsvc < 1 || npods < 1 || npol < 1 || !mkdtemp(dir))
		return 2;
	st = st_open(dir, &(struct st_opts){ST_SYNC_NORMAL, 0}, &err);
	if (!st)
		return 1;
	put(st, "namespaces", json_pack("{s:{s:s}}", "metadata", "name", "d"));
	for (int s = 0; s < nsvc; s++) {
		char name[32], cip[32];

		snprintf(name, sizeof(name), "svc-%d", s);
		snprintf(cip, sizeof(cip), "10.96.%d.%d", 1 + s / 250, 1 + s % 250);
		put(st, "services",
		    json_pack("{s:{s:s,s:s},s:{s:s,s:[{s:s,s:i,s:i}]}}", "metadata", "namespace",
		              "d", "name", name, "spec", "clusterIP", cip, "ports", "name", "http",
		              "port", 80, "nodePort", 30000 + s % 2000));
		endpoints(st, s, s);
	}
	heap = mallinfo2().uordblks;
	pol = pol_new(st, NULL, &cfg, &err);
	if (!pol)
		return 1;
	first_max = catch_up(pol, &first);
	heap = mallinfo2().uordblks - heap;
	admit_all(st, pol, npods, 0, &p50, &max);
	printf("%5d Services,    0 policies: admit p50 %7.3f ms max %7.3f ms, pass after an "
	       "Endpoints change %7.3f ms\n",
	       nsvc, p50, max, endpoints_pass(st, pol, nsvc));
	put(st, "networkpolicies.networking.k8s.io",
	    json_pack("{s:{s:s,s:s},s:{s:{},s:[{s:[{s:{}}]}]}}", "metadata", "namespace", "d",
	              "name", "same-ns", "spec", "podSelector", "ingress", "from", "podSelector"));
	for (int i = 1; i < npol; i++) {
		char name[32], app[32];

		snprintf(name, sizeof(name), "app-%d", i);
		snprintf(app, sizeof(app), "other-%d", i);
		put(st, "networkpolicies.networking.k8s.io",
		    json_pack("{s:{s:s,s:s},s:{s:{s:{s:s}},s:[{s:[{s:{}}]}]}}", "metadata",
		              "namespace", "d", "name", name, "spec", "podSelector", "matchLabels",
		              "app", app, "ingress", "from", "podSelector"));
	}
	pol_pass(pol);
	admit_all(st, pol, npods, 1, &p50, &max);
	printf("%5d Services, %4d policies: admit p50 %7.3f ms max %7.3f ms, pass after an "
	       "Endpoints change %7.3f ms\n",
	       nsvc, npol, p50, max, endpoints_pass(st, pol, nsvc));
	/* One more write, so that the log compacted is past the module. */
	endpoints(st, 0, 0);
	st_compact(st, 0);
	relist_max = catch_up(pol, &relist);
	printf("%5d Services, %4d policies: first list %7.1f ms (longest pass %6.1f), relist "
	       "%7.1f ms (longest pass %6.1f), module's heap %.0f B per Service\n",
	       nsvc, npol, first, first_max, relist, relist_max, (double)heap / nsvc);
	pol_free(pol);
	st_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) != 0;
}
