/* The DNS query path over a fixed zone: the input is one query packet,
 * answered as over UDP (512 bytes or its EDNS0 size) and over TCP; every
 * answer must parse back cleanly within its length. Names at each offset
 * of the input go through the compression-following reader too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

static struct dns_snap *snap;

static void drop_snap(void)
{
	dns_snap_free(snap);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	const struct dns_node *ext;
	struct dns_q q;
	uint8_t name[DNS_MAXNAME + 1];
	uint8_t *copy;
	int n;

	if (!snap) {
		json_t *z = json_loads(zone_json, 0, NULL);
		struct dns_zone_cfg cfg = {"cluster.local", "10.96.0.10", NULL, NULL, 1};

		snap = dns_zone_build(&cfg, json_object_get(z, "svcs"), json_object_get(z, "eps"),
				      json_object_get(z, "pods"));
		json_decref(z);
		if (!snap)
			abort();
		atexit(drop_snap);
	}
	/* An exact-size copy, so that a read past the end is caught. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	n = dns_answer(snap, copy, size, out, sizeof(out), 0, &q, &ext);
	if (n > 0) {
		check(out, (size_t)n);
		/* UDP: 512 bytes, or the EDNS0 size up to our cap. */
		if ((size_t)n > (q.edns ? DNS_UDP_MAX : 512))
			abort();
	}
	n = dns_answer(snap, copy, size, out, sizeof(out), 65535, &q, &ext);
	if (n > 0)
		check(out, (size_t)n);
	for (size_t off = 0; off < size && off < 64; off++) {
		size_t o = off;

		dns_name_read(copy, size, &o, name, sizeof(name));
	}
	free(copy);
	return 0;
}
