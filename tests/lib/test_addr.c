/* lib/k1s_addr: addresses, networks and ranges as Kubernetes writes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "k1s_addr.h"

static void addresses(void **state)
{
	static const char *const bad[] = {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4",
					  "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1..2.3", "a.b.c.d",
					  "1.2.3.4/32", "::1"};
	char buf[K1S_IP4_STRLEN];
	uint32_t ip;

	(void)state;
	assert_int_equal(k1s_ip4_parse("10.96.0.10", &ip), 0);
	assert_int_equal(ip, 0x0a60000a);
	assert_string_equal(k1s_ip4_str(ip, buf), "10.96.0.10");
	assert_int_equal(k1s_ip4_parse("0.0.0.0", &ip), 0);
	assert_int_equal(k1s_ip4_parse("255.255.255.255", &ip), 0);
	assert_int_equal(ip, 0xffffffff);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (k1s_ip4_parse(bad[i], &ip) == 0)
			fail_msg("\"%s\" parsed", bad[i]);
	assert_int_not_equal(k1s_ip4_parse(NULL, &ip), 0);
}

static void networks(void **state)
{
	static const char *const bad[] = {"10.96.0.0", "10.96.0.0/", "10.96.0.0/33",
					  "10.96.0.0/012", "10.96.0.0/-1", "10.96.0.0/1 2",
					  "10.96.0.0/12/3", "/12", "10.96.0/12"};
	struct k1s_cidr c;

	(void)state;
	assert_int_equal(k1s_cidr_parse("10.96.0.0/12", &c), 0);
	assert_int_equal(c.net, 0x0a600000);
	assert_int_equal(c.bits, 12);
	assert_int_equal(k1s_cidr_size(&c), 1 << 20);
	assert_true(k1s_cidr_contains(&c, 0x0a6f0001));
	assert_false(k1s_cidr_contains(&c, 0x0a700000));
	/* Host bits are cleared, as net.ParseCIDR does. */
	assert_int_equal(k1s_cidr_parse("10.244.7.9/16", &c), 0);
	assert_int_equal(c.net, 0x0af40000);
	assert_int_equal(k1s_cidr_parse("0.0.0.0/0", &c), 0);
	assert_true(k1s_cidr_contains(&c, 0x01020304));
	assert_int_equal(k1s_cidr_size(&c), UINT64_C(1) << 32);
	assert_int_equal(k1s_cidr_parse("1.2.3.4/32", &c), 0);
	assert_int_equal(k1s_cidr_size(&c), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (k1s_cidr_parse(bad[i], &c) == 0)
			fail_msg("\"%s\" parsed", bad[i]);
}

static void ranges(void **state)
{
	static const char *const bad[] = {"1.2.3.9-1.2.3.1", "1.2.3.1-", "-1.2.3.1",
					  "1.2.3.1-1.2.3.2-1.2.3.3", "1.2.3.0/40", "x"};
	struct k1s_ip4_range r;

	(void)state;
	assert_int_equal(k1s_ip4_range_parse("192.0.2.100-192.0.2.120", &r), 0);
	assert_int_equal(r.lo, 0xc0000264);
	assert_int_equal(r.hi, 0xc0000278);
	/* A network's usable addresses. */
	assert_int_equal(k1s_ip4_range_parse("192.0.2.0/24", &r), 0);
	assert_int_equal(r.lo, 0xc0000201);
	assert_int_equal(r.hi, 0xc00002fe);
	assert_int_equal(k1s_ip4_range_parse("192.0.2.8/31", &r), 0);
	assert_int_equal(r.lo, 0xc0000208);
	assert_int_equal(r.hi, 0xc0000209);
	assert_int_equal(k1s_ip4_range_parse("192.0.2.7", &r), 0);
	assert_int_equal(r.lo, r.hi);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (k1s_ip4_range_parse(bad[i], &r) == 0)
			fail_msg("\"%s\" parsed", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(addresses),
	    cmocka_unit_test(networks),
	    cmocka_unit_test(ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
