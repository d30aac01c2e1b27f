/* What the DNS fuzz targets share: a zone of every kind of name, and the
 * check that an answer is one well-formed message. */
#ifndef FUZZ_DNS_ZONE_H
#define FUZZ_DNS_ZONE_H

#include <stdlib.h>
#include <jansson.h>

#include "dns_int.h"

static const char zone_json[] =
    "{\"svcs\":{"
    "\"default/web\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\"},"
    " \"spec\":{\"clusterIP\":\"10.96.0.20\",\"ports\":[{\"name\":\"http\",\"port\":80}]}},"
    "\"default/db\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"db\"},"
    " \"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"pg\",\"port\":5432}]}},"
    "\"default/ext\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"ext\"},"
    " \"spec\":{\"type\":\"ExternalName\",\"externalName\":\"www.example.com\"}},"
    "\"other/alias\":{\"metadata\":{\"namespace\":\"other\",\"name\":\"alias\"},"
    " \"spec\":{\"type\":\"ExternalName\",\"externalName\":\"web.default.svc.cluster.local\"}}"
    "},\"eps\":{"
    "\"default/db\":{\"subsets\":[{\"addresses\":["
    "  {\"ip\":\"10.244.0.7\",\"hostname\":\"db-0\"},{\"ip\":\"10.244.0.8\"}],"
    "  \"ports\":[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"TCP\"}]}]}"
    "},\"pods\":{"
    "\"default/p\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"p\"},"
    " \"status\":{\"podIP\":\"10.244.0.5\",\"phase\":\"Running\"}}}}";

static struct dns_snap *zone;

static void zone_free(void)
{
	dns_snap_free(zone);
}

/* The zone's snapshot, built on first use and freed at exit. */
static const struct dns_snap *zone_snap(void)
{
	if (!zone) {
		json_t *z = json_loads(zone_json, 0, NULL);
		struct dns_zone_cfg cfg = {"cluster.local", "10.96.0.10", {0}, {0}, 1};

		zone = dns_zone_build(&cfg, json_object_get(z, "svcs"), json_object_get(z, "eps"),
		                      json_object_get(z, "pods"));
		json_decref(z);
		if (!zone)
			abort();
		atexit(zone_free);
	}
	return zone;
}

/* The answer must be a well-formed message of exactly n bytes. */
static void check(const uint8_t *p, size_t n)
{
	uint8_t name[DNS_MAXNAME + 1];
	size_t off = DNS_HDR;
	unsigned qd, rrs;

	if (n < DNS_HDR)
		abort();
	qd = dns_get16(p + 4);
	rrs = (unsigned)dns_get16(p + 6) + dns_get16(p + 8) + dns_get16(p + 10);
	for (unsigned i = 0; i < qd; i++) {
		if (dns_name_read(p, n, &off, name, sizeof(name)) < 0 || off + 4 > n)
			abort();
		off += 4;
	}
	for (unsigned i = 0; i < rrs; i++) {
		if (dns_name_read(p, n, &off, name, sizeof(name)) < 0 || off + 10 > n)
			abort();
		off += 10 + (size_t)dns_get16(p + off + 8);
		if (off > n)
			abort();
	}
	if (off != n)
		abort();
}

#endif
