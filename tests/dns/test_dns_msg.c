/* The DNS wire codec: query parsing with its FORMERR, NOTIMP and BADVERS
 * cases, EDNS0, names with compression (reading and writing), and the
 * empty answers that carry an error. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dns_test.h"

static void test_parse_query(void **state)
{
	uint8_t p[512];
	size_t n = t_query(p, 0x1234, "Web.Default.SVC.cluster.local", DNS_T_SRV, 0);
	struct dns_q q;
	char s[300];

	assert_int_equal(dns_parse_query(p, n, &q), 0);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.qtype, DNS_T_SRV);
	assert_int_equal(q.qclass, DNS_C_IN);
	assert_int_equal(q.qend, n);
	assert_false(q.edns);
	assert_int_equal(q.udp_size, 512);
	dns_name_to_str(q.name, s, sizeof(s));
	assert_string_equal(s, "web.default.svc.cluster.local.");
	assert_int_equal(q.hash, dns_name_hash(q.name, q.nlen));
}

static void test_parse_edns(void **state)
{
	uint8_t p[512];
	size_t n = t_query(p, 1, "a.b", DNS_T_A, 4096);
	struct dns_q q;

	p[n - 4] = 0x80;	/* DO */
	assert_int_equal(dns_parse_query(p, n, &q), 0);
	assert_true(q.edns);
	assert_true(q.do_bit);
	assert_int_equal(q.udp_size, 4096);

	/* A size below 512 counts as 512 (RFC 6891 6.2.5). */
	n = t_query(p, 1, "a.b", DNS_T_A, 100);
	assert_int_equal(dns_parse_query(p, n, &q), 0);
	assert_int_equal(q.udp_size, 512);

	/* Version 1: BADVERS. */
	p[n - 5] = 1;
	assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_BADVERS);

	/* Two OPT records: FORMERR. */
	n = t_query(p, 1, "a.b", DNS_T_A, 1232);
	memcpy(p + n, p + n - 11, 11);
	n += 11;
	dns_put16(p + 10, 2);
	assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_FORMERR);

	/* An OPT whose RDATA runs past the end: FORMERR. */
	n = t_query(p, 1, "a.b", DNS_T_A, 1232);
	dns_put16(p + n - 2, 50);
	assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_FORMERR);
}

static void test_parse_bad(void **state)
{
	uint8_t p[600];
	size_t n = t_query(p, 7, "a.b", DNS_T_A, 0);
	struct dns_q q;

	/* Too short to echo, and responses: dropped. */
	assert_int_equal(dns_parse_query(p, 11, &q), -1);
	p[2] |= 0x80;
	assert_int_equal(dns_parse_query(p, n, &q), -1);
	p[2] &= 0x7f;

	/* QDCOUNT 0 and 2. */
	dns_put16(p + 4, 0);
	assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_FORMERR);
	dns_put16(p + 4, 2);
	assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_FORMERR);
	dns_put16(p + 4, 1);

	/* Opcode STATUS (2) and UPDATE (5). */
	p[2] = (uint8_t)(p[2] | 2 << 3);
	assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_NOTIMP);
	p[2] = (uint8_t)((p[2] & ~0x78) | 5 << 3);
	assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_NOTIMP);
	p[2] &= (uint8_t)~0x78;
	assert_int_equal(dns_parse_query(p, n, &q), 0);

	/* Cut anywhere inside the question: FORMERR, never a read past n. */
	for (size_t cut = DNS_HDR; cut < n; cut++)
		assert_int_equal(dns_parse_query(p, cut, &q), DNS_RC_FORMERR);

	/* A compression pointer in the question. */
	p[DNS_HDR] = 0xc0;
	p[DNS_HDR + 1] = 0x0c;
	assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_FORMERR);

	/* A label longer than 63. */
	n = t_query(p, 7, "a.b", DNS_T_A, 0);
	p[DNS_HDR] = 64;
	assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_FORMERR);

	/* A name longer than 255. */
	{
		char big[400];

		memset(big, 'x', sizeof(big));
		for (int i = 63; i < 390; i += 64)
			big[i] = '.';
		big[390] = 0;
		n = t_query(p, 7, big, DNS_T_A, 0);
		assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_FORMERR);
	}
}

static void test_name_read(void **state)
{
	/* "a.example." at 12, then "www" + pointer to "example" at 14. */
	uint8_t p[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 7, 'E', 'x', 'a', 'm', 'p',
		       'l', 'e', 0, 3, 'w', 'w', 'w', 0xc0, 14};
	uint8_t out[256];
	char s[300];
	size_t off = 23;
	int n = dns_name_read(p, sizeof(p), &off, out, sizeof(out));

	assert_int_equal(n, 13);
	assert_int_equal(off, sizeof(p));
	dns_name_to_str(out, s, sizeof(s));
	assert_string_equal(s, "www.example.");

	/* A pointer to itself, and one pointing forward: refused. */
	p[28] = 27;
	off = 23;
	assert_true(dns_name_read(p, sizeof(p), &off, out, sizeof(out)) < 0);
	p[28] = 40;
	off = 23;
	assert_true(dns_name_read(p, sizeof(p), &off, out, sizeof(out)) < 0);
	/* A pointer cut in half. */
	off = 23;
	assert_true(dns_name_read(p, sizeof(p) - 1, &off, out, sizeof(out)) < 0);
}

static void test_name_misc(void **state)
{
	uint8_t a[256], b[256];
	int na = dns_name_from_str("Pod.Cluster.Local.", a, sizeof(a));
	int nb = dns_name_from_str("cluster.local", b, sizeof(b));

	assert_int_equal(na, 19);
	assert_int_equal(nb, 15);
	assert_int_equal(dns_name_suffix(a, (size_t)na, b, (size_t)nb), 4);
	assert_int_equal(dns_name_suffix(b, (size_t)nb, b, (size_t)nb), 0);
	/* "ter.local" is no whole-label suffix of "cluster.local". */
	nb = dns_name_from_str("ter.local", b, sizeof(b));
	assert_int_equal(dns_name_suffix(a, (size_t)na, b, (size_t)nb), -1);
	assert_true(dns_name_from_str("a..b", a, sizeof(a)) < 0);
	assert_int_equal(dns_name_from_str(".", a, sizeof(a)), 1);
}

static void test_compression(void **state)
{
	uint8_t buf[512], n1[256], n2[256], n3[256];
	struct dns_wb wb;
	int l1 = dns_name_from_str("web.default.svc.cluster.local", n1, sizeof(n1));
	int l2 = dns_name_from_str("db.default.svc.cluster.local", n2, sizeof(n2));
	int l3 = dns_name_from_str("cluster.local", n3, sizeof(n3));
	size_t at2, at3, off;
	uint8_t out[256];

	dns_wb_init(&wb, buf, sizeof(buf));
	memset(buf, 0, DNS_HDR);
	wb.len = DNS_HDR;
	dns_wb_name(&wb, n1, (size_t)l1);
	assert_int_equal(wb.len, DNS_HDR + (size_t)l1);
	at2 = wb.len;
	dns_wb_name(&wb, n2, (size_t)l2);
	/* "db" then a pointer to "default..." inside the first name. */
	assert_int_equal(wb.len, at2 + 3 + 2);
	assert_int_equal(buf[at2 + 3], 0xc0);
	assert_int_equal(buf[at2 + 4], DNS_HDR + 4);
	at3 = wb.len;
	dns_wb_name(&wb, n3, (size_t)l3);
	assert_int_equal(wb.len, at3 + 2);
	off = at2;
	assert_int_equal(dns_name_read(buf, wb.len, &off, out, sizeof(out)), l2);
	assert_memory_equal(out, n2, (size_t)l2);
	off = at3;
	assert_int_equal(dns_name_read(buf, wb.len, &off, out, sizeof(out)), l3);

	/* Out of room: an error, not an overrun. */
	dns_wb_init(&wb, buf, 20);
	dns_wb_name(&wb, n1, (size_t)l1);
	assert_true(wb.err);
}

static void test_resp_empty(void **state)
{
	uint8_t p[512], out[512];
	size_t n = t_query(p, 0xbeef, "x.y", DNS_T_A, 1232);
	struct dns_q q;
	struct t_msg m;
	size_t r;

	dns_put16(p + 4, 2);	/* QDCOUNT 2: FORMERR without a question */
	assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_FORMERR);
	r = dns_resp_empty(p, n, &q, q.qend != 0, DNS_RC_FORMERR, 0, out, sizeof(out));
	assert_int_equal(r, DNS_HDR);
	assert_int_equal(t_parse(out, r, &m), 0);
	assert_int_equal(m.id, 0xbeef);
	assert_int_equal(m.rcode, DNS_RC_FORMERR);
	assert_true(m.flags & DNS_F_QR);
	assert_true(m.flags & DNS_F_RD);
	assert_int_equal(m.qd, 0);

	dns_put16(p + 4, 1);
	p[n - 5] = 1;	/* EDNS version 1 */
	assert_int_equal(dns_parse_query(p, n, &q), DNS_RC_BADVERS);
	r = dns_resp_empty(p, n, &q, true, DNS_RC_BADVERS, 0, out, sizeof(out));
	assert_int_equal(t_parse(out, r, &m), 0);
	assert_int_equal(m.rcode, 0);	/* BADVERS is 16: in the OPT's extended rcode */
	assert_true(m.opt);
	assert_int_equal(out[r - 11 + 5], 1);
	assert_string_equal(m.qname, "x.y.");
}

/* The query log line reads as CoreDNS's log plugin writes it. */
static void test_qlog_line(void **state)
{
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(43210)};
	uint8_t p[512], r[512];
	size_t n = t_query(p, 12345, "API-Service.default.svc.cluster.local", DNS_T_A, 0);
	char line[1400];
	size_t len;

	(void)state;
	inet_pton(AF_INET, "10.244.0.5", &from.sin_addr);
	memcpy(r, p, n);
	dns_put16(r + 2, DNS_F_QR | DNS_F_AA | DNS_F_RD | DNS_RC_NOERROR);
	len = dns_qlog_line(line, sizeof(line), &from, false, p, n, r, 106, 123000);
	assert_string_equal(line, "[INFO] 10.244.0.5:43210 - 12345 \"A IN "
				  "api-service.default.svc.cluster.local. udp 55 false 512\" "
				  "NOERROR qr,aa,rd 106 0.000123s");
	assert_int_equal(len, strlen(line));

	/* EDNS0 with DO over TCP, NXDOMAIN; a name with a space and a quote
	 * is escaped, never breaks the line. */
	n = t_query(p, 7, "abc.x", DNS_T_AAAA, 1232);
	p[n - 4] = 0x80;
	p[14] = ' ';
	memcpy(r, p, 12);
	dns_put16(r + 2, DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_RC_NXDOMAIN);
	dns_qlog_line(line, sizeof(line), &from, true, p, n, r, 40, 2500000000);
	assert_non_null(strstr(line, " - 7 \"AAAA IN a\\032c.x. tcp 34 true 1232\" NXDOMAIN "
				     "qr,rd,ra 40 2.5s"));

	/* Garbage is logged, not parsed: its fields are "-". */
	dns_qlog_line(line, sizeof(line), &from, false, (const uint8_t *)"\x01", 1, r, 0, 0);
	assert_string_equal(line, "[INFO] 10.244.0.5:43210 - 0 \"- - - udp 1 false 512\" "
				  "SERVFAIL - 0 0s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_query),
		cmocka_unit_test(test_parse_edns),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_name_read),
		cmocka_unit_test(test_name_misc),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_resp_empty),
		cmocka_unit_test(test_qlog_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
