/* The dataplane's records of Services and Endpoints (dp_rec.c), made of
 * whatever JSON a client got past admission: both records are made of the
 * input, then every array and string of them read (the two-pass layout
 * must hold what it was sized for) and checked against the object. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "dp_int.h"
#include "k1s_json.h"

static void check_svc(const struct dp_svc_rec *r, const json_t *obj)
{
	const json_t *ports = k1s_json_path(obj, "spec.ports");

	if (r->nports != json_array_size(ports) ||
	    r->nlb != json_array_size(k1s_json_path(obj, "status.loadBalancer.ingress")))
		abort();
	for (uint32_t i = 0; i < r->nports; i++) {
		const json_t *p = json_array_get(ports, i);

		if (strcmp(r->ports[i].name, k1s_json_str(p, "name") ?: "") != 0 ||
		    strcmp(r->ports[i].proto, k1s_json_str(p, "protocol") ?: "TCP") != 0 ||
		    r->ports[i].port != json_integer_value(json_object_get(p, "port")))
			abort();
	}
	for (uint32_t i = 0; i < r->nlb; i++)
		if (!r->lb[i].ok && r->lb[i].ip)
			abort();
	if (r->asked_why && (!*r->asked_why || r->asked))
		abort();
}

static void check_ep(const struct dp_ep_rec *r, const json_t *obj)
{
	if (r->nsubsets != json_array_size(k1s_json_path(obj, "subsets")))
		abort();
	for (uint32_t i = 0; i < r->nsubsets; i++) {
		const struct dp_subset *s = &r->subsets[i];
		const json_t *ss = json_array_get(k1s_json_path(obj, "subsets"), i);

		if (s->nports != json_array_size(json_object_get(ss, "ports")) ||
		    s->nips > json_array_size(json_object_get(ss, "addresses")))
			abort();
		for (uint32_t j = 0; j < s->nports; j++)
			if (strlen(s->ports[j].name) > 65536 || s->ports[j].proto > DP_UDP)
				abort();
		for (uint32_t j = 0; j < s->nips; j++) {
			char text[INET_ADDRSTRLEN];
			struct in_addr a = {s->ips[j]};

			if (!inet_ntop(AF_INET, &a, text, sizeof(text)))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp dp;
	json_t *obj = json_loadb((const char *)data, size, 0, NULL);

	if (!obj)
		return 0;
	if (dp_rec_put(&dp, "services", "ns/name", obj) == 0)
		check_svc(dp_svc_rec_get(&dp, "ns/name"), obj);
	if (dp_rec_put(&dp, "endpoints", "ns/name", obj) == 0)
		check_ep(dp_ep_rec_get(&dp, "ns/name"), obj);
	dp_rec_clear(&dp);
	if (dp.rec_bytes || dp.nsvc_rec || dp.nep_rec)
		abort();
	json_decref(obj);
	return 0;
}
