/* bench/dns: the cost of building the cluster zone, the work the DNS
 * control side does for every change in the store (reconcile latency).
 *
 * Builds the zone of N services shaped as populate.py makes them (ClusterIP
 * with one or two named ports, every tenth headless with three endpoints)
 * REPEAT times and prints the median time per build and per service.
 *
 *   zone_build N [REPEAT]
 *
 * Compiled by run.sh against the build's libdns.a and libk1s.a. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <jansson.h>

#include "dns_int.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static json_t *port(const char *name, int port, const char *proto)
{
	return json_pack("{s:s,s:i,s:s}", "name", name, "port", port, "protocol", proto);
}

int main(int argc, char **argv)
{
	static const char *const nss[] = {"default", "bench-a", "bench-b", "bench-c"};
	int n = argc > 1 ? atoi(argv[1]) : 1000, rep = argc > 2 ? atoi(argv[2]) : 21, k = 0;
	json_t *svcs = json_object(), *eps = json_object();
	struct dns_zone_cfg cfg = {
		.domain = "cluster.local", .ip = "10.96.0.10",
		.service_cidr = "10.96.0.0/12", .pod_cidr = "10.244.0.0/16", .serial = 1,
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
		double t0 = now_ms();
		struct dns_snap *s = dns_zone_build(&cfg, svcs, eps, NULL);

		t[r] = now_ms() - t0;
		if (!s) {
			fprintf(stderr, "zone_build: build failed\n");
			return 1;
		}
		names = s->nnodes;
		dns_snap_free(s);
	}
	qsort(t, (size_t)rep, sizeof(*t), cmp_double);
	printf("zone build: %d services, %u names: %.2f ms (median of %d), %.2f us per service\n",
	       n, names, t[rep / 2], rep, n ? t[rep / 2] * 1e3 / n : 0.0);
	json_decref(svcs);
	json_decref(eps);
	free(t);
	return 0;
}
