/* What the dataplane's control side keeps per Service and Endpoints: the
 * store's object (jansson tree, as followers see it) against the record
 * dp_rec.c makes of it. Bytes are what malloc gave (malloc_usable_size)
 * plus its 8-byte header per allocation (glibc, 64-bit).
 *
 *   build/dataplane/rec_bytes
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "dp_int.h"

static size_t tree_bytes;

static void *counting_malloc(size_t n)
{
	void *p = malloc(n);

	if (p)
		tree_bytes += malloc_usable_size(p) + 8;
	return p;
}

static void counting_free(void *p)
{
	if (p)
		tree_bytes -= malloc_usable_size(p) + 8;
	free(p);
}

/* A Service as bench/api creates it, after admission and allocation. */
static const char svc_json[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"svc-%d\","
	"\"namespace\":\"default\",\"labels\":{\"app\":\"a%d\"},"
	"\"uid\":\"6f1c2a9e-0b7d-4c1e-9a55-3d2b8f00%04d\",\"resourceVersion\":\"%d\","
	"\"creationTimestamp\":\"2026-12-07T14:00:00Z\"},"
	"\"spec\":{\"selector\":{\"app\":\"a%d\"},\"ports\":[{\"port\":80,\"targetPort\":8080,"
	"\"protocol\":\"TCP\"}],\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.%d.%d\","
	"\"clusterIPs\":[\"10.96.%d.%d\"],\"ipFamilies\":[\"IPv4\"],"
	"\"ipFamilyPolicy\":\"SingleStack\",\"sessionAffinity\":\"None\","
	"\"internalTrafficPolicy\":\"Cluster\"},\"status\":{\"loadBalancer\":{}}}";

/* Its Endpoints: none ready (bench/api runs no pods), or three. */
static const char ep_none_json[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"svc-%d\","
	"\"namespace\":\"default\",\"labels\":{\"app\":\"a%d\"},"
	"\"uid\":\"7a2d3b0f-1c8e-4d2f-8b66-4e3c9a11%04d\",\"resourceVersion\":\"%d\","
	"\"creationTimestamp\":\"2026-12-07T14:00:00Z\"}}";

static const char ep_three_json[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"svc-%d\","
	"\"namespace\":\"default\",\"labels\":{\"app\":\"a%d\"},"
	"\"uid\":\"7a2d3b0f-1c8e-4d2f-8b66-4e3c9a11%04d\",\"resourceVersion\":\"%d\","
	"\"creationTimestamp\":\"2026-12-07T14:00:00Z\"},\"subsets\":[{\"addresses\":["
	"{\"ip\":\"10.244.0.11\",\"nodeName\":\"k1s\",\"targetRef\":{\"kind\":\"Pod\","
	"\"name\":\"web-1\",\"namespace\":\"default\",\"uid\":\"u1\"}},"
	"{\"ip\":\"10.244.0.12\",\"nodeName\":\"k1s\",\"targetRef\":{\"kind\":\"Pod\","
	"\"name\":\"web-2\",\"namespace\":\"default\",\"uid\":\"u2\"}},"
	"{\"ip\":\"10.244.0.13\",\"nodeName\":\"k1s\",\"targetRef\":{\"kind\":\"Pod\","
	"\"name\":\"web-3\",\"namespace\":\"default\",\"uid\":\"u3\"}}],"
	"\"ports\":[{\"port\":8080,\"protocol\":\"TCP\"}]}]}";

static void measure(const char *label, const char *ep_fmt, int n)
{
	struct dp *dp = calloc(1, sizeof(*dp));
	size_t trees = 0, allocs_before;
	char buf[2048], key[64];

	for (int i = 0; i < n; i++) {
		json_t *svc, *ep;

		snprintf(key, sizeof(key), "default/svc-%d", i);
		snprintf(buf, sizeof(buf), svc_json, i, i % 10, i % 10000, 2 * i + 1, i % 10,
			 i / 250, 1 + i % 250, i / 250, 1 + i % 250);
		allocs_before = tree_bytes;
		svc = json_loads(buf, 0, NULL);
		snprintf(buf, sizeof(buf), ep_fmt, i, i % 10, i % 10000, 2 * i + 2);
		ep = json_loads(buf, 0, NULL);
		if (!svc || !ep)
			abort();
		trees += tree_bytes - allocs_before;
		dp_rec_put(dp, "services", key, svc);
		dp_rec_put(dp, "endpoints", key, ep);
		json_decref(svc);
		json_decref(ep);
	}
	printf("%-34s %10.0f %10.0f\n", label, (double)trees / n,
	       (double)(dp_rec_bytes(dp) + 8 * (dp->nsvc_rec + dp->nep_rec)) / n);
	dp_rec_clear(dp);
	free(dp);
}

int main(void)
{
	json_set_alloc_funcs(counting_malloc, counting_free);
	printf("%-34s %10s %10s\n", "bytes per Service + its Endpoints", "trees", "records");
	measure("ClusterIP, no endpoint (bench/api)", ep_none_json, 10000);
	measure("ClusterIP, three endpoints", ep_three_json, 10000);
	return 0;
}
