/* Zone answers for every record kind, from a hand-built snapshot:
 * ClusterIP A, SRV and PTR; headless A, hostname records, per-endpoint
 * SRV and PTR; ExternalName CNAME (chased when the target is ours); pod
 * records only for pods that exist; dns-version TXT; SOA and NS at the
 * apex; NXDOMAIN versus NODATA with the SOA in authority; case; EDNS0;
 * truncation; what is left to the forwarder; and each answer as the flow
 * record dns_flow_put() reads back from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "dns_test.h"
#include "k1s_flow.h"

static const char zone_json[] =
	"{\"svcs\":{"
	"\"default/web\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\"},"
	" \"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.20\",\"ports\":["
	"  {\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\"},{\"port\":81,\"protocol\":\"TCP\"},"
	"  {\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}},"
	"\"default/db\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"db\"},"
	" \"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"pg\",\"port\":5432}]}},"
	"\"default/empty\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"empty\"},"
	" \"spec\":{\"clusterIP\":\"None\"}},"
	"\"default/ext\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"ext\"},"
	" \"spec\":{\"type\":\"ExternalName\",\"externalName\":\"www.Example.com\"}},"
	"\"other/alias\":{\"metadata\":{\"namespace\":\"other\",\"name\":\"alias\"},"
	" \"spec\":{\"type\":\"ExternalName\",\"externalName\":\"web.default.svc.cluster.local\"}}"
	"},\"eps\":{"
	"\"default/db\":{\"subsets\":[{\"addresses\":["
	"  {\"ip\":\"10.244.0.7\",\"hostname\":\"db-0\"},{\"ip\":\"10.244.0.8\"}],"
	"  \"notReadyAddresses\":[{\"ip\":\"10.244.0.9\"}],"
	"  \"ports\":[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"TCP\"}]}]}"
	"},\"pods\":{"
	"\"default/p\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"p\"},"
	" \"status\":{\"podIP\":\"10.244.0.5\",\"phase\":\"Running\"}},"
	"\"default/gone\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"gone\"},"
	" \"status\":{\"podIP\":\"10.244.0.6\",\"phase\":\"Succeeded\"}}"
	"}}";

static struct dns_snap *snap;

static int setup(void **state)
{
	json_t *z = json_loads(zone_json, 0, NULL);
	struct dns_zone_cfg cfg = {"cluster.local", "10.96.0.10", {0x0a600000, 12},
				   {0x0af40000, 16}, 42};

	assert_non_null(z);
	snap = dns_zone_build(&cfg, json_object_get(z, "svcs"), json_object_get(z, "eps"),
			      json_object_get(z, "pods"));
	json_decref(z);
	return snap ? 0 : -1;
}

static int teardown(void **state)
{
	dns_snap_free(snap);
	return 0;
}

static uint8_t qbuf[1024], abuf[65536];
static const struct dns_node *ext;

/* Asks the zone; fills m and returns dns_answer's result. */
static int ask_lim(const char *name, uint16_t type, uint16_t edns, size_t limit,
		   struct t_msg *m)
{
	size_t n = t_query(qbuf, 0x4242, name, type, edns);
	struct dns_q q;
	int r = dns_answer(snap, qbuf, n, abuf, sizeof(abuf), limit, &q, &ext);

	if (r > 0) {
		assert_int_equal(t_parse(abuf, (size_t)r, m), 0);
		assert_int_equal(m->id, 0x4242);
		assert_true(m->flags & DNS_F_QR);
		assert_true(m->flags & DNS_F_RD);
		/* The question goes back exactly as asked. */
		assert_memory_equal(abuf + DNS_HDR, qbuf + DNS_HDR, q.qend - DNS_HDR);
		assert_int_equal(m->opt, edns != 0);
	}
	return r;
}

static int ask(const char *name, uint16_t type, struct t_msg *m)
{
	return ask_lim(name, type, 0, 65535, m);
}

static const struct t_rr *find(const struct t_msg *m, int from, int to, uint16_t type,
			       const char *data)
{
	for (int i = from; i < to && i < m->nrr; i++)
		if (m->rr[i].type == type && (!data || strcmp(m->rr[i].data, data) == 0))
			return &m->rr[i];
	return NULL;
}

#define ANSWER(m, type, data) find(m, 0, (m)->an, type, data)
#define ADDL(m, type, data) find(m, (m)->an + (m)->ns, (m)->nrr, type, data)

static void assert_soa_authority(const struct t_msg *m, const char *apex)
{
	assert_int_equal(m->an, 0);
	assert_int_equal(m->ns, 1);
	assert_int_equal(m->rr[0].type, DNS_T_SOA);
	assert_string_equal(m->rr[0].name, apex);
	assert_string_equal(m->rr[0].data,
			    "ns.dns.cluster.local. hostmaster.cluster.local. 5");
	assert_true(m->flags & DNS_F_AA);
}

static void test_clusterip(void **state)
{
	struct t_msg m;
	const struct t_rr *r;

	assert_true(ask("web.default.svc.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, 0);
	assert_true(m.flags & DNS_F_AA);
	assert_int_equal(m.an, 1);
	r = ANSWER(&m, DNS_T_A, "10.96.0.20");
	assert_non_null(r);
	assert_int_equal(r->ttl, DNS_TTL);
	assert_string_equal(r->name, "web.default.svc.cluster.local.");

	assert_true(ask("_http._tcp.web.default.svc.cluster.local", DNS_T_SRV, &m) > 0);
	assert_int_equal(m.an, 1);
	assert_non_null(ANSWER(&m, DNS_T_SRV, "0 100 80 web.default.svc.cluster.local."));
	assert_non_null(ADDL(&m, DNS_T_A, "10.96.0.20"));
	assert_true(ask("_dns._udp.web.default.svc.cluster.local", DNS_T_SRV, &m) > 0);
	assert_non_null(ANSWER(&m, DNS_T_SRV, "0 100 53 web.default.svc.cluster.local."));
	/* Unnamed ports have no SRV; the protocol must match. */
	assert_true(ask("_http._udp.web.default.svc.cluster.local", DNS_T_SRV, &m) > 0);
	assert_int_equal(m.rcode, DNS_RC_NXDOMAIN);

	assert_true(ask("20.0.96.10.in-addr.arpa", DNS_T_PTR, &m) > 0);
	assert_non_null(ANSWER(&m, DNS_T_PTR, "web.default.svc.cluster.local."));
}

static void test_srv_target_uncompressed(void **state)
{
	struct t_msg m;
	const struct t_rr *r;
	int n = ask("_http._tcp.web.default.svc.cluster.local", DNS_T_SRV, &m);

	assert_true(n > 0);
	r = ANSWER(&m, DNS_T_SRV, NULL);
	assert_non_null(r);
	/* RFC 2782: the target is written out: 6 + 31 bytes, no pointer. */
	assert_int_equal(r->rdlen, 6 + 31);
}

static void test_headless(void **state)
{
	struct t_msg m;

	assert_true(ask("db.default.svc.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.an, 2);
	assert_non_null(ANSWER(&m, DNS_T_A, "10.244.0.7"));
	assert_non_null(ANSWER(&m, DNS_T_A, "10.244.0.8"));
	/* Not ready, and no publishNotReadyAddresses: left out. */
	assert_null(ANSWER(&m, DNS_T_A, "10.244.0.9"));

	assert_true(ask("db-0.db.default.svc.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.an, 1);
	assert_non_null(ANSWER(&m, DNS_T_A, "10.244.0.7"));

	assert_true(ask("_pg._tcp.db.default.svc.cluster.local", DNS_T_SRV, &m) > 0);
	assert_int_equal(m.an, 2);
	assert_non_null(ANSWER(&m, DNS_T_SRV, "0 50 5432 db-0.db.default.svc.cluster.local."));
	assert_non_null(ANSWER(&m, DNS_T_SRV,
			       "0 50 5432 10-244-0-8.db.default.svc.cluster.local."));
	assert_non_null(ADDL(&m, DNS_T_A, "10.244.0.7"));
	assert_non_null(ADDL(&m, DNS_T_A, "10.244.0.8"));
	/* The endpoint without a hostname answers under its identifier. */
	assert_true(ask("10-244-0-8.db.default.svc.cluster.local", DNS_T_A, &m) > 0);
	assert_non_null(ANSWER(&m, DNS_T_A, "10.244.0.8"));

	assert_true(ask("7.0.244.10.in-addr.arpa", DNS_T_PTR, &m) > 0);
	assert_int_equal(m.an, 1);
	assert_non_null(ANSWER(&m, DNS_T_PTR, "db-0.db.default.svc.cluster.local."));

	/* Headless without ready endpoints: NXDOMAIN (spec 2.4.1). */
	assert_true(ask("empty.default.svc.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, DNS_RC_NXDOMAIN);
}

static void test_external_name(void **state)
{
	struct t_msg m;

	assert_true(ask("ext.default.svc.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, 0);
	assert_int_equal(m.an, 1);
	assert_non_null(ANSWER(&m, DNS_T_CNAME, "www.example.com."));
	/* The target is not ours: the server may ask upstream for it. */
	assert_non_null(ext);
	assert_true(ask("ext.default.svc.cluster.local", DNS_T_CNAME, &m) > 0);
	assert_non_null(ANSWER(&m, DNS_T_CNAME, "www.example.com."));
	assert_null(ext);

	/* A target of ours is chased in the same answer. */
	assert_true(ask("alias.other.svc.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.an, 2);
	assert_non_null(ANSWER(&m, DNS_T_CNAME, "web.default.svc.cluster.local."));
	assert_non_null(ANSWER(&m, DNS_T_A, "10.96.0.20"));
	assert_null(ext);
}

static void test_pods(void **state)
{
	struct t_msg m;

	assert_true(ask("10-244-0-5.default.pod.cluster.local", DNS_T_A, &m) > 0);
	assert_non_null(ANSWER(&m, DNS_T_A, "10.244.0.5"));
	/* Only pods that exist, in their own namespace, and still running. */
	assert_true(ask("10-244-0-5.other.pod.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, DNS_RC_NXDOMAIN);
	assert_true(ask("10-244-0-99.default.pod.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, DNS_RC_NXDOMAIN);
	assert_true(ask("10-244-0-6.default.pod.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, DNS_RC_NXDOMAIN);
	assert_true(ask("5.0.244.10.in-addr.arpa", DNS_T_PTR, &m) > 0);
	assert_non_null(ANSWER(&m, DNS_T_PTR, "10-244-0-5.default.pod.cluster.local."));
}

static void test_apex(void **state)
{
	struct t_msg m;

	assert_true(ask("dns-version.cluster.local", DNS_T_TXT, &m) > 0);
	assert_non_null(ANSWER(&m, DNS_T_TXT, "\"1.1.0\""));

	assert_true(ask("cluster.local", DNS_T_SOA, &m) > 0);
	assert_int_equal(m.an, 1);
	assert_non_null(ANSWER(&m, DNS_T_SOA, "ns.dns.cluster.local. hostmaster.cluster.local. 5"));

	assert_true(ask("cluster.local", DNS_T_NS, &m) > 0);
	assert_non_null(ANSWER(&m, DNS_T_NS, "ns.dns.cluster.local."));
	assert_non_null(ADDL(&m, DNS_T_A, "10.96.0.10"));
	assert_true(ask("ns.dns.cluster.local", DNS_T_A, &m) > 0);
	assert_non_null(ANSWER(&m, DNS_T_A, "10.96.0.10"));

	assert_true(ask("cluster.local", DNS_T_ANY, &m) > 0);
	assert_int_equal(m.an, 2);
}

static void test_negative(void **state)
{
	struct t_msg m;

	/* NXDOMAIN, the SOA owned by the apex. */
	assert_true(ask("nope.default.svc.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, DNS_RC_NXDOMAIN);
	assert_soa_authority(&m, "cluster.local.");

	/* NODATA: the name exists, the type does not. */
	assert_true(ask("web.default.svc.cluster.local", DNS_T_AAAA, &m) > 0);
	assert_int_equal(m.rcode, 0);
	assert_soa_authority(&m, "cluster.local.");
	assert_true(ask("web.default.svc.cluster.local", DNS_T_TXT, &m) > 0);
	assert_int_equal(m.rcode, 0);
	assert_soa_authority(&m, "cluster.local.");

	/* Empty non-terminals exist. */
	assert_true(ask("default.svc.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, 0);
	assert_soa_authority(&m, "cluster.local.");
	assert_true(ask("svc.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, 0);
	assert_true(ask("_tcp.web.default.svc.cluster.local", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, 0);

	/* A cluster address without a record: NXDOMAIN from its reverse zone. */
	assert_true(ask("99.0.96.10.in-addr.arpa", DNS_T_PTR, &m) > 0);
	assert_int_equal(m.rcode, DNS_RC_NXDOMAIN);
	assert_soa_authority(&m, "10.in-addr.arpa.");
	assert_true(ask("99.0.244.10.in-addr.arpa", DNS_T_PTR, &m) > 0);
	assert_soa_authority(&m, "244.10.in-addr.arpa.");
	/* A pod's PTR name that exists, asked for another type: NODATA from
	 * the pod range's own zone, inside the service range's. */
	assert_true(ask("5.0.244.10.in-addr.arpa", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, 0);
	assert_soa_authority(&m, "244.10.in-addr.arpa.");
	/* The reverse zones' apexes answer for themselves. */
	assert_true(ask("244.10.in-addr.arpa", DNS_T_SOA, &m) > 0);
	assert_non_null(ANSWER(&m, DNS_T_SOA, "ns.dns.cluster.local. hostmaster.cluster.local. 5"));
}

static void test_forward(void **state)
{
	struct t_msg m;

	assert_int_equal(ask("example.com", DNS_T_A, &m), DNS_FORWARD);
	assert_int_equal(ask("8.8.8.8.in-addr.arpa", DNS_T_PTR, &m), DNS_FORWARD);
	/* 10.200/16 is outside both ranges. */
	assert_int_equal(ask("1.0.200.10.in-addr.arpa", DNS_T_PTR, &m), DNS_FORWARD);
	assert_int_equal(ask("local", DNS_T_SOA, &m), DNS_FORWARD);
	assert_int_equal(ask("xcluster.local", DNS_T_A, &m), DNS_FORWARD);
}

static void test_case(void **state)
{
	struct t_msg m;

	assert_true(ask("WeB.DeFault.SVC.Cluster.LOCAL", DNS_T_A, &m) > 0);
	assert_non_null(ANSWER(&m, DNS_T_A, "10.96.0.20"));
	assert_true(ask("NOPE.Cluster.Local", DNS_T_A, &m) > 0);
	assert_int_equal(m.rcode, DNS_RC_NXDOMAIN);
	/* The SOA's owner points into the question: the asker's case. */
	assert_string_equal(m.rr[0].name, "cluster.local.");
}

static void test_edns_and_class(void **state)
{
	struct t_msg m;
	size_t n;
	struct dns_q q;
	int r;

	assert_true(ask_lim("web.default.svc.cluster.local", DNS_T_A, 4096, 0, &m) > 0);
	assert_true(m.opt);
	assert_int_equal(m.ar, 1);
	assert_int_equal(m.opt_size, DNS_EDNS_SIZE);

	n = t_query(qbuf, 9, "web.default.svc.cluster.local", DNS_T_A, 0);
	dns_put16(qbuf + n - 2, 3);	/* CHAOS */
	r = dns_answer(snap, qbuf, n, abuf, sizeof(abuf), 0, &q, &ext);
	assert_true(r > 0);
	assert_int_equal(t_parse(abuf, (size_t)r, &m), 0);
	assert_int_equal(m.rcode, DNS_RC_REFUSED);
}

static void test_truncation(void **state)
{
	json_t *svcs = json_object(), *eps = json_object(), *addrs = json_array();
	struct dns_zone_cfg cfg = {"cluster.local", "10.96.0.10", {0}, {0}, 1};
	struct dns_snap *big, *keep = snap;
	struct t_msg m;
	char ip[32];

	for (int i = 0; i < 200; i++) {
		snprintf(ip, sizeof(ip), "10.244.%d.%d", i / 250, i % 250 + 1);
		json_array_append_new(addrs, json_pack("{s:s}", "ip", ip));
	}
	json_object_set_new(svcs, "default/many",
			    json_pack("{s:{s:s,s:s},s:{s:s}}", "metadata", "namespace", "default",
				      "name", "many", "spec", "clusterIP", "None"));
	json_object_set_new(eps, "default/many",
			    json_pack("{s:[{s:o}]}", "subsets", "addresses", addrs));
	big = dns_zone_build(&cfg, svcs, eps, NULL);
	assert_non_null(big);
	snap = big;

	/* 200 A records: 512 bytes without EDNS0, TC and nothing else. */
	assert_true(ask_lim("many.default.svc.cluster.local", DNS_T_A, 0, 0, &m) > 0);
	assert_true(m.flags & DNS_F_TC);
	assert_int_equal(m.an, 0);
	assert_int_equal(m.qd, 1);
	/* EDNS0 4096 is capped at 1232: still too big. */
	assert_true(ask_lim("many.default.svc.cluster.local", DNS_T_A, 4096, 0, &m) > 0);
	assert_true(m.flags & DNS_F_TC);
	assert_true(m.opt);
	/* TCP takes it all. */
	assert_true(ask_lim("many.default.svc.cluster.local", DNS_T_A, 0, 65535, &m) > 0);
	assert_false(m.flags & DNS_F_TC);
	assert_int_equal(m.an, 200);

	snap = keep;
	dns_snap_free(big);
	json_decref(svcs);
	json_decref(eps);
}

/* More endpoints than a message holds: the zone still builds, and TCP
 * gets as many as fit in 65535 bytes. */
static void test_huge_headless(void **state)
{
	json_t *svcs = json_object(), *eps = json_object(), *addrs = json_array();
	struct dns_zone_cfg cfg = {"cluster.local", "10.96.0.10", {0}, {0}, 1};
	struct dns_snap *big, *keep = snap;
	char ip[32];
	int r;

	for (int i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.244.%d.%d", i / 250, i % 250 + 1);
		json_array_append_new(addrs, json_pack("{s:s}", "ip", ip));
	}
	json_object_set_new(svcs, "default/huge",
			    json_pack("{s:{s:s,s:s},s:{s:s}}", "metadata", "namespace", "default",
				      "name", "huge", "spec", "clusterIP", "None"));
	json_object_set_new(eps, "default/huge",
			    json_pack("{s:[{s:o}]}", "subsets", "addresses", addrs));
	big = dns_zone_build(&cfg, svcs, eps, NULL);
	assert_non_null(big);
	snap = big;
	{
		size_t n = t_query(qbuf, 3, "huge.default.svc.cluster.local", DNS_T_A, 1232);
		struct dns_q q;

		r = dns_answer(snap, qbuf, n, abuf, sizeof(abuf), 65535, &q, &ext);
	}
	assert_true(r > 60000 && r <= 65535);
	/* Header, question (36), each A 16 bytes (owner compressed), OPT. */
	assert_int_equal(dns_get16(abuf + 6) * 16 + 12 + 36 + 11, r);
	assert_int_equal(dns_get16(abuf + 10), 1);
	assert_false(dns_get16(abuf + 2) & DNS_F_TC);
	snap = keep;
	dns_snap_free(big);
	json_decref(svcs);
	json_decref(eps);
}

static void test_errors(void **state)
{
	struct t_msg m;
	struct dns_q q;
	size_t n = t_query(qbuf, 5, "web.default.svc.cluster.local", DNS_T_A, 0);
	int r;

	dns_put16(qbuf + 4, 2);
	r = dns_answer(snap, qbuf, n, abuf, sizeof(abuf), 0, &q, &ext);
	assert_true(r > 0);
	assert_int_equal(t_parse(abuf, (size_t)r, &m), 0);
	assert_int_equal(m.rcode, DNS_RC_FORMERR);
	assert_int_equal(m.id, 5);

	dns_put16(qbuf + 4, 1);
	qbuf[2] = (uint8_t)(qbuf[2] | 4 << 3);	/* NOTIFY */
	r = dns_answer(snap, qbuf, n, abuf, sizeof(abuf), 0, &q, &ext);
	assert_true(r > 0);
	assert_int_equal(t_parse(abuf, (size_t)r, &m), 0);
	assert_int_equal(m.rcode, DNS_RC_NOTIMP);

	/* AXFR: refused. */
	n = t_query(qbuf, 10, "cluster.local", 252, 0);
	r = dns_answer(snap, qbuf, n, abuf, sizeof(abuf), 65535, &q, &ext);
	assert_true(r > 0);
	assert_int_equal(t_parse(abuf, (size_t)r, &m), 0);
	assert_int_equal(m.rcode, DNS_RC_REFUSED);

	/* No zone yet: SERVFAIL, not silence. */
	n = t_query(qbuf, 6, "web.default.svc.cluster.local", DNS_T_A, 0);
	r = dns_answer(NULL, qbuf, n, abuf, sizeof(abuf), 0, &q, &ext);
	assert_true(r > 0);
	assert_int_equal(t_parse(abuf, (size_t)r, &m), 0);
	assert_int_equal(m.rcode, DNS_RC_SERVFAIL);

	/* Responses and runts: dropped. */
	qbuf[2] |= 0x80;
	assert_int_equal(dns_answer(snap, qbuf, n, abuf, sizeof(abuf), 0, &q, &ext), 0);
	assert_int_equal(dns_answer(snap, qbuf, 5, abuf, sizeof(abuf), 0, &q, &ext), 0);
}

/* The record of the answer in abuf (n bytes), put and read back. */
static void flow_of(int n, struct k1s_flow *out)
{
	struct k1s_flow_ring *r = k1s_flow_ring_new("dns", 4);
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(40000),
				   .sin_addr.s_addr = htonl(0x0af40005)};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(53),
				 .sin_addr.s_addr = htonl(0x0a60000a)};

	assert_non_null(r);
	dns_flow_put(r, &from, &to, false, abuf, (size_t)n);
	assert_int_equal(k1s_flow_read(r, 0, out), 1);
	k1s_flow_ring_free(r);
	assert_int_equal(out->src, 0x0af40005);
	assert_int_equal(out->sport, 40000);
	assert_int_equal(out->dst, 0x0a60000a);
	assert_int_equal(out->dport, 53);
	assert_int_equal(out->proto, IPPROTO_UDP);
	assert_false(out->denied);
}

static void test_flow_record(void **state)
{
	struct k1s_flow f;
	struct t_msg m;
	int n;

	n = ask("db.default.svc.cluster.local", DNS_T_A, &m);
	flow_of(n, &f);
	assert_string_equal(f.name, "db.default.svc.cluster.local.");
	assert_int_equal(f.qtype, DNS_T_A);
	assert_int_equal(f.code, 0);
	/* Both endpoints, in the answer's order. */
	assert_true(strcmp(f.detail, "10.244.0.7 10.244.0.8") == 0 ||
		    strcmp(f.detail, "10.244.0.8 10.244.0.7") == 0);

	n = ask("alias.other.svc.cluster.local", DNS_T_A, &m);
	flow_of(n, &f);
	assert_string_equal(f.detail, "web.default.svc.cluster.local. 10.96.0.20");

	n = ask("nope.default.svc.cluster.local", DNS_T_A, &m);
	flow_of(n, &f);
	assert_int_equal(f.code, DNS_RC_NXDOMAIN);
	assert_string_equal(f.detail, "");
	assert_string_equal(f.name, "nope.default.svc.cluster.local.");

	/* A header alone: rcode, no name. */
	n = ask("web.default.svc.cluster.local", DNS_T_A, &m);
	abuf[5] = 0;
	flow_of(DNS_HDR, &f);
	assert_string_equal(f.name, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clusterip),
		cmocka_unit_test(test_flow_record),
		cmocka_unit_test(test_srv_target_uncompressed),
		cmocka_unit_test(test_headless),
		cmocka_unit_test(test_external_name),
		cmocka_unit_test(test_pods),
		cmocka_unit_test(test_apex),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_case),
		cmocka_unit_test(test_edns_and_class),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_huge_headless),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
