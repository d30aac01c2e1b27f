/* The zone kept across changes answers exactly as a zone built from
 * scratch: random sequences of creates, updates and deletes of Services
 * (ClusterIP, headless, ExternalName into and out of the zone), their
 * Endpoints and Pods, over small pools of names and addresses so that
 * owners share names (cluster IPs, pod addresses, PTR names, namespace
 * nodes), applied one at a time; after each step every name either zone
 * holds is asked every type, with and without EDNS0, and the answers
 * must be the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "dns_test.h"

static const struct dns_zone_cfg cfg = {"cluster.local", "10.96.0.10", {0x0a600000, 12},
					{0x0af40000, 16}, 7};
static const char *const nss[] = {"default", "ns1"};
static const uint16_t types[] = {DNS_T_A, DNS_T_AAAA, DNS_T_SRV, DNS_T_PTR, DNS_T_CNAME,
				 DNS_T_TXT, DNS_T_NS, DNS_T_SOA, DNS_T_ANY, DNS_T_MX};
static unsigned seed;

static int rnd(int n)
{
	return (int)(rand_r(&seed) % (unsigned)n);
}

static void key_of(char *key, size_t cap, int ns, int i, const char *what)
{
	snprintf(key, cap, "%s/%s%d", nss[ns], what, i);
}

static json_t *ports(void)
{
	json_t *a = json_array();

	if (rnd(3))
		json_array_append_new(a, json_pack("{s:s,s:i,s:s}", "name", "http", "port", 80,
						   "protocol", "TCP"));
	if (rnd(2))
		json_array_append_new(a, json_pack("{s:s,s:i,s:s}", "name", "dns", "port", 53,
						   "protocol", "UDP"));
	if (rnd(3) == 0)
		json_array_append_new(a, json_pack("{s:i}", "port", 81));
	return a;
}

static json_t *service(int ns, int i)
{
	char name[32], ip[32], target[128];
	int kind = rnd(5);
	json_t *spec;

	snprintf(name, sizeof(name), "svc%d", i);
	if (kind <= 1) {
		snprintf(ip, sizeof(ip), "10.96.0.%d", 1 + rnd(5));
		spec = json_pack("{s:s,s:s,s:o}", "type", "ClusterIP", "clusterIP", ip, "ports",
				 ports());
	} else if (kind <= 3) {
		spec = json_pack("{s:s,s:o,s:b}", "clusterIP", "None", "ports", ports(),
				 "publishNotReadyAddresses", rnd(2));
	} else {
		/* Into the zone (maybe a chain, maybe to nothing) or out of it. */
		if (rnd(4) == 0)
			snprintf(target, sizeof(target), "www.example.com");
		else
			snprintf(target, sizeof(target), "svc%d.%s.svc.cluster.local", rnd(6),
				 nss[rnd(2)]);
		spec = json_pack("{s:s,s:s}", "type", "ExternalName", "externalName", target);
	}
	return json_pack("{s:{s:s,s:s},s:o}", "metadata", "namespace", nss[ns], "name", name,
			 "spec", spec);
}

static json_t *address(void)
{
	char ip[32], hn[8];

	snprintf(ip, sizeof(ip), "10.244.0.%d", 1 + rnd(6));
	if (rnd(3) == 0) {
		snprintf(hn, sizeof(hn), "h%d", rnd(2));
		return json_pack("{s:s,s:s}", "ip", ip, "hostname", hn);
	}
	return json_pack("{s:s}", "ip", ip);
}

static json_t *endpoints(int ns, int i)
{
	json_t *subsets = json_array();
	char name[32];

	snprintf(name, sizeof(name), "svc%d", i);
	for (int s = rnd(3); s > 0; s--) {
		json_t *addrs = json_array(), *nr = json_array();

		for (int k = rnd(4); k > 0; k--)
			json_array_append_new(addrs, address());
		for (int k = rnd(2); k > 0; k--)
			json_array_append_new(nr, address());
		json_array_append_new(subsets, json_pack("{s:o,s:o,s:o}", "addresses", addrs,
							 "notReadyAddresses", nr, "ports",
							 ports()));
	}
	return json_pack("{s:{s:s,s:s},s:o}", "metadata", "namespace", nss[ns], "name", name,
			 "subsets", subsets);
}

static json_t *pod(int ns, int i)
{
	char name[32], ip[32];
	static const char *const phases[] = {"Running", "Pending", "Succeeded"};

	snprintf(name, sizeof(name), "pod%d", i);
	snprintf(ip, sizeof(ip), "10.244.0.%d", 1 + rnd(6));
	if (rnd(5) == 0)
		return json_pack("{s:{s:s,s:s},s:{s:s}}", "metadata", "namespace", nss[ns],
				 "name", name, "status", "phase", "Pending");
	return json_pack("{s:{s:s,s:s},s:{s:s,s:s}}", "metadata", "namespace", nss[ns],
			 "name", name, "status", "podIP", ip, "phase", phases[rnd(3)]);
}

static uint8_t q[1024], a1[65536], a2[65536];

/* Every type at one name: the same answer from both. */
static void same_answers(const struct dns_snap *inc, const struct dns_snap *ref,
			 const uint8_t *wname)
{
	char name[DNS_MAXNAME * 4 + 2];

	dns_name_to_str(wname, name, sizeof(name));
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		for (int edns = 0; edns < 2; edns++) {
			size_t n = t_query(q, 0x1234, name, types[t], edns ? 4096 : 0);
			struct dns_q dq;
			const struct dns_node *x1, *x2;
			int r1 = dns_answer(inc, q, n, a1, sizeof(a1), 65535, &dq, &x1);
			int r2 = dns_answer(ref, q, n, a2, sizeof(a2), 65535, &dq, &x2);

			if (r1 != r2 || (r1 > 0 && memcmp(a1, a2, (size_t)r1) != 0))
				fail_msg("%s type %u edns %d: %d bytes, from scratch %d", name,
					 types[t], edns, r1, r2);
			assert_int_equal(x1 != NULL, x2 != NULL);
			if (x1)
				assert_memory_equal(x1->ext, x2->ext, x1->extlen);
		}
}

static void same_zone(const struct dns_snap *inc, const struct dns_snap *ref)
{
	assert_int_equal(inc->nnodes, ref->nnodes);
	for (uint32_t i = 0; i <= ref->mask; i++)
		if (ref->tab[i])
			same_answers(inc, ref, ref->tab[i]->name);
	for (uint32_t i = 0; i <= inc->mask; i++)
		if (inc->tab[i])
			same_answers(inc, ref, inc->tab[i]->name);
}

static void run(unsigned s, int steps)
{
	json_t *svcs = json_object(), *eps = json_object(), *pods = json_object();
	struct dns_zone *z = dns_zone_new(&cfg);
	struct dns_snap *last = NULL;

	seed = s;
	assert_non_null(z);
	for (int step = 0; step < steps; step++) {
		struct dns_snap *inc, *ref;

		for (int k = 1 + rnd(3); k > 0; k--) {
			int op = rnd(6), ns = rnd(2), i = rnd(op < 4 ? 6 : 8);
			char key[64];

			key_of(key, sizeof(key), ns, i, op < 4 ? "svc" : "pod");
			switch (op) {
			case 0:
				json_object_set_new(svcs, key, service(ns, i));
				break;
			case 1:
				json_object_del(svcs, key);
				break;
			case 2:
				json_object_set_new(eps, key, endpoints(ns, i));
				break;
			case 3:
				json_object_del(eps, key);
				break;
			case 4:
				json_object_set_new(pods, key, pod(ns, i));
				break;
			default:
				json_object_del(pods, key);
				break;
			}
			if (op < 4)
				assert_int_equal(dns_zone_set_service(z, key,
								      json_object_get(svcs, key),
								      json_object_get(eps, key)), 0);
			else
				assert_int_equal(dns_zone_set_pod(z, key,
								  json_object_get(pods, key)), 0);
		}
		inc = dns_zone_snap(z);
		ref = dns_zone_build(&cfg, svcs, eps, pods);
		assert_non_null(inc);
		assert_non_null(ref);
		same_zone(inc, ref);
		dns_snap_free(ref);
		/* The previous snapshot's garbage is complete only now. */
		dns_snap_free(last);
		last = inc;
	}
	dns_zone_free(z);
	dns_snap_free(last);
	json_decref(svcs);
	json_decref(eps);
	json_decref(pods);
}

static void test_random_changes(void **state)
{
	for (unsigned s = 1; s <= 8; s++)
		run(s, 150);
}

/* Everything deleted: back to the apexes and the zone's own names. */
static void test_all_gone(void **state)
{
	json_t *svc = json_pack("{s:{s:s,s:s},s:{s:s}}", "metadata", "namespace", "ns9",
				"name", "a", "spec", "clusterIP", "10.96.1.1");
	json_t *p = json_pack("{s:{s:s,s:s},s:{s:s}}", "metadata", "namespace", "ns8",
			      "name", "p", "status", "podIP", "10.244.3.4");
	struct dns_zone *z = dns_zone_new(&cfg);
	struct dns_snap *empty = dns_zone_build(&cfg, NULL, NULL, NULL), *s1, *s2;

	assert_non_null(z);
	assert_non_null(empty);
	assert_int_equal(dns_zone_set_service(z, "ns9/a", svc, NULL), 0);
	assert_int_equal(dns_zone_set_pod(z, "ns8/p", p), 0);
	s1 = dns_zone_snap(z);
	assert_non_null(s1);
	assert_true(s1->nnodes > empty->nnodes);
	assert_int_equal(dns_zone_set_service(z, "ns9/a", NULL, NULL), 0);
	assert_int_equal(dns_zone_set_pod(z, "ns8/p", NULL), 0);
	s2 = dns_zone_snap(z);
	assert_non_null(s2);
	same_zone(s2, empty);
	dns_snap_free(s1);
	dns_zone_free(z);
	dns_snap_free(s2);
	dns_snap_free(empty);
	json_decref(svc);
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_changes),
		cmocka_unit_test(test_all_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
