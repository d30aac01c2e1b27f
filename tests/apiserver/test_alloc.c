#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctrl_alloc.h"

static void cidr_parsing_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"", "10.96.0.0", "10.96.0.0/", "10.96.0.0/33", "10.96.0/12", "10.96.0.0.1/12",
		"256.0.0.0/12", "10.096.0.0/12", "10.96.0.0/012", "10.96.0.0/1x", " 10.96.0.0/12",
		"10.96.0.0/12 ", "a.b.c.d/12", "10.96.0.0/4", "10..0.0/12", "fd00::/108",
	};
	struct ctrl_ipalloc *a;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = ctrl_ipalloc_new(bad[i]);
		if (a)
			fail_msg("accepted %s", bad[i]);
	}
	assert_null(ctrl_ipalloc_new(NULL));
	a = ctrl_ipalloc_new("10.96.0.0/12");
	assert_non_null(a);
	assert_string_equal(ctrl_ipalloc_cidr(a), "10.96.0.0/12");
	ctrl_ipalloc_free(a);
	ctrl_ipalloc_free(NULL);
}

static void ip_range_excludes_network_and_broadcast(void **state)
{
	struct ctrl_ipalloc *a = ctrl_ipalloc_new("10.96.0.0/12");

	assert_false(ctrl_ipalloc_contains(a, "10.96.0.0"));
	assert_true(ctrl_ipalloc_contains(a, "10.96.0.1"));
	assert_true(ctrl_ipalloc_contains(a, "10.100.3.4"));
	assert_true(ctrl_ipalloc_contains(a, "10.111.255.254"));
	assert_false(ctrl_ipalloc_contains(a, "10.111.255.255"));
	assert_false(ctrl_ipalloc_contains(a, "10.112.0.1"));
	assert_false(ctrl_ipalloc_contains(a, "10.95.255.254"));
	assert_false(ctrl_ipalloc_contains(a, "None"));
	assert_false(ctrl_ipalloc_contains(a, ""));
	assert_int_equal(ctrl_ipalloc_take(a, "10.96.0.0"), -EINVAL);
	assert_int_equal(ctrl_ipalloc_take(a, "10.111.255.255"), -EINVAL);
	assert_int_equal(ctrl_ipalloc_take(a, "192.168.0.1"), -EINVAL);
	ctrl_ipalloc_free(a);
}

static void ip_take_release(void **state)
{
	struct ctrl_ipalloc *a = ctrl_ipalloc_new("10.96.0.0/12");

	assert_false(ctrl_ipalloc_taken(a, "10.96.0.10"));
	assert_int_equal(ctrl_ipalloc_take(a, "10.96.0.10"), 0);
	assert_true(ctrl_ipalloc_taken(a, "10.96.0.10"));
	assert_int_equal(ctrl_ipalloc_take(a, "10.96.0.10"), -EEXIST);
	ctrl_ipalloc_release(a, "10.96.0.10");
	assert_false(ctrl_ipalloc_taken(a, "10.96.0.10"));
	assert_int_equal(ctrl_ipalloc_take(a, "10.96.0.10"), 0);
	/* Releasing what is outside or malformed is harmless. */
	ctrl_ipalloc_release(a, "1.2.3.4");
	ctrl_ipalloc_release(a, "garbage");
	ctrl_ipalloc_free(a);
}

/* A /29 has six usable addresses, .1 to .6: every pick is one of them and
 * never one already taken; when all six are taken the range is full. */
static void ip_pick_fills_small_range(void **state)
{
	struct ctrl_ipalloc *a = ctrl_ipalloc_new("192.168.7.0/29");
	char buf[16], seen[7] = {0};
	int i, last;

	for (i = 0; i < 6; i++) {
		assert_int_equal(ctrl_ipalloc_pick(a, buf, sizeof(buf)), 0);
		assert_int_equal(strncmp(buf, "192.168.7.", 10), 0);
		last = atoi(buf + 10);
		assert_true(last >= 1 && last <= 6);
		assert_false(seen[last]);
		seen[last] = 1;
		assert_int_equal(ctrl_ipalloc_take(a, buf), 0);
	}
	assert_int_equal(ctrl_ipalloc_pick(a, buf, sizeof(buf)), -ENOSPC);
	ctrl_ipalloc_release(a, "192.168.7.4");
	assert_int_equal(ctrl_ipalloc_pick(a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "192.168.7.4");
	ctrl_ipalloc_free(a);
}

static void ip_picks_are_in_range(void **state)
{
	struct ctrl_ipalloc *a = ctrl_ipalloc_new("10.96.0.0/12");
	char buf[16];
	int i;

	for (i = 0; i < 100; i++) {
		assert_int_equal(ctrl_ipalloc_pick(a, buf, sizeof(buf)), 0);
		assert_true(ctrl_ipalloc_contains(a, buf));
		assert_int_equal(ctrl_ipalloc_take(a, buf), 0);
	}
	/* A buffer too small for the address is refused, not overrun. */
	assert_int_equal(ctrl_ipalloc_pick(a, buf, 4), -ENOSPC);
	ctrl_ipalloc_free(a);
}

static void ip_tiny_prefixes_have_no_addresses(void **state)
{
	struct ctrl_ipalloc *a = ctrl_ipalloc_new("10.0.0.0/31");
	char buf[16];

	assert_non_null(a);
	assert_false(ctrl_ipalloc_contains(a, "10.0.0.0"));
	assert_false(ctrl_ipalloc_contains(a, "10.0.0.1"));
	assert_int_equal(ctrl_ipalloc_pick(a, buf, sizeof(buf)), -ENOSPC);
	ctrl_ipalloc_free(a);
	a = ctrl_ipalloc_new("10.0.0.4/30");
	assert_int_equal(ctrl_ipalloc_take(a, "10.0.0.5"), 0);
	assert_int_equal(ctrl_ipalloc_pick(a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "10.0.0.6");
	ctrl_ipalloc_free(a);
}

/* Host bits in the CIDR are masked off, as net.ParseCIDR does. */
static void ip_cidr_host_bits_are_masked(void **state)
{
	struct ctrl_ipalloc *a = ctrl_ipalloc_new("10.96.5.7/16");

	assert_true(ctrl_ipalloc_contains(a, "10.96.0.1"));
	assert_false(ctrl_ipalloc_contains(a, "10.96.0.0"));
	assert_false(ctrl_ipalloc_contains(a, "10.96.255.255"));
	ctrl_ipalloc_free(a);
}

static void port_range(void **state)
{
	struct ctrl_portalloc *a = ctrl_portalloc_new(30000, 32767);

	assert_null(ctrl_portalloc_new(0, 10));
	assert_null(ctrl_portalloc_new(10, 9));
	assert_null(ctrl_portalloc_new(30000, 70000));
	assert_false(ctrl_portalloc_contains(a, 29999));
	assert_true(ctrl_portalloc_contains(a, 30000));
	assert_true(ctrl_portalloc_contains(a, 32767));
	assert_false(ctrl_portalloc_contains(a, 32768));
	assert_int_equal(ctrl_portalloc_take(a, 80), -EINVAL);
	assert_int_equal(ctrl_portalloc_take(a, 30080), 0);
	assert_true(ctrl_portalloc_taken(a, 30080));
	assert_int_equal(ctrl_portalloc_take(a, 30080), -EEXIST);
	ctrl_portalloc_release(a, 30080);
	assert_false(ctrl_portalloc_taken(a, 30080));
	ctrl_portalloc_release(a, 5);
	ctrl_portalloc_free(a);
	ctrl_portalloc_free(NULL);
}

static void port_pick_skips_taken_and_avoided(void **state)
{
	struct ctrl_portalloc *a = ctrl_portalloc_new(30000, 30004);
	unsigned avoid[] = {30001, 30003}, port;
	int i;

	assert_int_equal(ctrl_portalloc_take(a, 30000), 0);
	assert_int_equal(ctrl_portalloc_take(a, 30004), 0);
	for (i = 0; i < 50; i++) {
		assert_int_equal(ctrl_portalloc_pick(a, avoid, 2, &port), 0);
		assert_int_equal(port, 30002);
	}
	assert_int_equal(ctrl_portalloc_take(a, 30002), 0);
	assert_int_equal(ctrl_portalloc_pick(a, avoid, 2, &port), -ENOSPC);
	assert_int_equal(ctrl_portalloc_pick(a, NULL, 0, &port), 0);
	assert_true(port == 30001 || port == 30003);
	ctrl_portalloc_free(a);
}

/* Picks over the full default range spread out rather than returning the
 * same port every time. */
static void port_pick_spreads(void **state)
{
	struct ctrl_portalloc *a = ctrl_portalloc_new(30000, 32767);
	unsigned port, first = 0;
	bool differs = false;
	int i;

	for (i = 0; i < 20; i++) {
		assert_int_equal(ctrl_portalloc_pick(a, NULL, 0, &port), 0);
		assert_true(ctrl_portalloc_contains(a, port));
		if (i == 0)
			first = port;
		else if (port != first)
			differs = true;
	}
	assert_true(differs);
	ctrl_portalloc_free(a);
}

/* Every port of a range, filled by picks, then full; full words of the
 * bitmap are skipped correctly at any alignment. */
static void port_pick_exhausts_range(void **state)
{
	struct ctrl_portalloc *a = ctrl_portalloc_new(1000, 1199);
	unsigned port;
	int i;

	for (i = 0; i < 200; i++) {
		assert_int_equal(ctrl_portalloc_pick(a, NULL, 0, &port), 0);
		assert_int_equal(ctrl_portalloc_take(a, port), 0);
	}
	assert_int_equal(ctrl_portalloc_pick(a, NULL, 0, &port), -ENOSPC);
	ctrl_portalloc_release(a, 1130);
	for (i = 0; i < 20; i++) {
		assert_int_equal(ctrl_portalloc_pick(a, NULL, 0, &port), 0);
		assert_int_equal(port, 1130);
	}
	ctrl_portalloc_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cidr_parsing_rejects_malformed),
		cmocka_unit_test(ip_range_excludes_network_and_broadcast),
		cmocka_unit_test(ip_take_release),
		cmocka_unit_test(ip_pick_fills_small_range),
		cmocka_unit_test(ip_picks_are_in_range),
		cmocka_unit_test(ip_tiny_prefixes_have_no_addresses),
		cmocka_unit_test(ip_cidr_host_bits_are_masked),
		cmocka_unit_test(port_range),
		cmocka_unit_test(port_pick_skips_taken_and_avoided),
		cmocka_unit_test(port_pick_spreads),
		cmocka_unit_test(port_pick_exhausts_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
