/* bench/dns: the cost of the cluster zone on the DNS control side, the
 * work behind the reconcile latency.
 *
 * Builds the zone of N services shaped as populate.py makes them (ClusterIP
 * with one or two named ports, every tenth headless with three endpoints)
 * from scratch REPEAT times (what a start or a resync costs) and prints
 * the median time per build and per service; then, on a zone kept across
 * changes, the heap it and its snapshot hold per service, and the median
 * time of one change, from the setter's call to the
 * new snapshot in hand: a service created, the same deleted, and a
 * headless service's Endpoints updated.
 *
 *   zone_build N [REPEAT]
 *
 * Compiled by run.sh against the build's libdns.a, libapimachinery.a and
 * libk1s.a. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>

#include "../bench_clock.h"
#include "dns_int.h"

static json_t *port(const char *name, int port, const char *proto)
{
	return json_pack("{s:s,s:i,s:s}", "name", name, "port", port, "protocol", proto);
}

/* One change on a zone kept across changes: the setter and the snapshot.
 * The snapshot before is freed after, as the control side does once the
 * loops have moved on (not timed). */
static double change(struct dns_zone *z, struct dns_snap **last, const char *key,
		     const json_t *svc, const json_t *ep)
{
	double t0 = bench_now_ms(), t;
	struct dns_snap *s;

	if (dns_zone_set_service(z, key, svc, ep) < 0 || !(s = dns_zone_snap(z)))
		return -1;
	t = bench_now_ms() - t0;
	dns_snap_free(*last);
	*last = s;
	return t;
}

#define CHANGES 51

static int incremental(const struct dns_zone_cfg *cfg, const json_t *svcs, const json_t *eps,
		       int n)
{
	struct dns_zone *z = dns_zone_new(cfg);
	struct dns_snap *last;
	double tc[CHANGES], td[CHANGES], te[CHANGES];
	const char *key, *hkey = "default/svc-0";
	json_t *v, *hep = json_deep_copy(json_object_get(eps, hkey));
	json_t *addrs = json_object_get(json_array_get(json_object_get(hep, "subsets"), 0),
					"addresses");
	int rc = -1;

	size_t heap0 = mallinfo2().uordblks;

	if (!z)
		return -1;
	json_object_foreach((json_t *)svcs, key, v)
		dns_zone_set_service(z, key, v, json_object_get(eps, key));
	last = dns_zone_snap(z);
	if (!last)
		goto out;
	printf("zone memory: %d services: %.0f bytes of heap per service (zone and snapshot)\n",
	       n, n ? (double)(mallinfo2().uordblks - heap0) / n : 0.0);
	for (int r = 0; r < CHANGES; r++) {
		char name[32], k[64], ip[32];
		json_t *svc;

		snprintf(name, sizeof(name), "new-%d", r);
		snprintf(k, sizeof(k), "default/%s", name);
		snprintf(ip, sizeof(ip), "10.111.%d.%d", r / 250, r % 250 + 1);
		svc = json_pack("{s:{s:s,s:s},s:{s:s,s:s,s:[{s:s,s:i,s:s}]}}", "metadata",
				"namespace", "default", "name", name, "spec", "type", "ClusterIP",
				"clusterIP", ip, "ports", "name", "http", "port", 80, "protocol",
				"TCP");
		tc[r] = change(z, &last, k, svc, NULL);
		td[r] = change(z, &last, k, NULL, NULL);
		json_decref(svc);
		if (addrs) {
			/* An endpoint comes and goes, as a pod of a headless set. */
			snprintf(ip, sizeof(ip), "10.244.250.%d", r % 250 + 1);
			json_array_append_new(addrs, json_pack("{s:s}", "ip", ip));
			if (json_array_size(addrs) > 4)
				json_array_remove(addrs, 3);
			te[r] = change(z, &last, hkey, json_object_get(svcs, hkey), hep);
		} else {
			te[r] = 0;
		}
		if (tc[r] < 0 || td[r] < 0 || te[r] < 0)
			goto out;
	}
	qsort(tc, CHANGES, sizeof(*tc), bench_cmp_double);
	qsort(td, CHANGES, sizeof(*td), bench_cmp_double);
	qsort(te, CHANGES, sizeof(*te), bench_cmp_double);
	printf("zone change: %d services, %u names: service created %.3f ms, deleted %.3f ms, "
	       "headless endpoints updated %.3f ms (medians of %d)\n", n, last->nnodes,
	       tc[CHANGES / 2], td[CHANGES / 2], te[CHANGES / 2], CHANGES);
	rc = 0;
out:
	dns_zone_free(z);
	dns_snap_free(last);
	json_decref(hep);
	return rc;
}

int main(int argc, char **argv)
{
	static const char *const nss[] = {"default", "bench-a", "bench-b", "bench-c"};
	int n = argc > 1 ? atoi(argv[1]) : 1000, rep = argc > 2 ? atoi(argv[2]) : 21, k = 0;
	json_t *svcs = json_object(), *eps = json_object();
	struct dns_zone_cfg cfg = {
		.domain = "cluster.local", .ip = "10.96.0.10",
		.service_net = {0x0a600000, 12}, .pod_net = {0x0af40000, 16}, .serial = 1,
	};
	double *t = calloc((size_t)(rep > 0 ? rep : 1), sizeof(*t));
	unsigned names = 0;

	if (n < 0 || rep < 1 || !t)
		return 2;
	for (int i = 0; i < n; i++) {
		const char *ns = nss[i % 4];
		char name[32], key[64], ip[32];
		json_t *ports = json_array(), *spec;

		snprintf(name, sizeof(name), "svc-%d", i);
		snprintf(key, sizeof(key), "%s/%s", ns, name);
		json_array_append_new(ports, port("http", 80, "TCP"));
		if (i % 3 == 0)
			json_array_append_new(ports, port("dns", 53, "UDP"));
		if (i % 10 == 0) {
			json_t *addrs = json_array();

			for (int j = 0; j < 3; j++, k++) {
				snprintf(ip, sizeof(ip), "10.244.%d.%d", 200 + k / 250, k % 250 + 1);
				json_array_append_new(addrs, j == 0 ?
					json_pack("{s:s,s:s}", "ip", ip, "hostname", "host-0") :
					json_pack("{s:s}", "ip", ip));
			}
			json_object_set_new(eps, key, json_pack("{s:{s:s,s:s},s:[{s:o,s:O}]}",
				"metadata", "namespace", ns, "name", name,
				"subsets", "addresses", addrs, "ports", ports));
			spec = json_pack("{s:s,s:o}", "clusterIP", "None", "ports", ports);
		} else {
			snprintf(ip, sizeof(ip), "10.%d.%d.%d", 96 + i / 65536 % 16, i / 256 % 256,
				 i % 256);
			spec = json_pack("{s:s,s:s,s:o}", "type", "ClusterIP", "clusterIP", ip,
					 "ports", ports);
		}
		json_object_set_new(svcs, key, json_pack("{s:{s:s,s:s},s:o}", "metadata",
			"namespace", ns, "name", name, "spec", spec));
	}
	for (int r = 0; r < rep; r++) {
		double t0 = bench_now_ms();
		struct dns_snap *s = dns_zone_build(&cfg, svcs, eps, NULL);

		t[r] = bench_now_ms() - t0;
		if (!s) {
			fprintf(stderr, "zone_build: build failed\n");
			return 1;
		}
		names = s->nnodes;
		dns_snap_free(s);
	}
	qsort(t, (size_t)rep, sizeof(*t), bench_cmp_double);
	printf("zone build: %d services, %u names: %.2f ms (median of %d), %.2f us per service\n",
	       n, names, t[rep / 2], rep, n ? t[rep / 2] * 1e3 / n : 0.0);
	if (incremental(&cfg, svcs, eps, n) < 0) {
		fprintf(stderr, "zone_build: incremental change failed\n");
		return 1;
	}
	json_decref(svcs);
	json_decref(eps);
	free(t);
	return 0;
}
