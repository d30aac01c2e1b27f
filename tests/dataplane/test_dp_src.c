/* Which address a backend sees, decided as kube-proxy decides to
 * masquerade: the table of cases, without the network. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dp_int.h"

#define POD_A "10.244.0.5"
#define POD_B "10.244.0.9"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct k1s_cidr pods(void)
{
	struct k1s_cidr n;

	assert_int_equal(k1s_cidr_parse("10.244.0.0/16", &n), 0);
	return n;
}

static void pod_through_cluster_ip_keeps_its_address(void **state)
{
	struct k1s_cidr n = pods();

	assert_true(dp_src_client(&n, false, false, ip(POD_A), ip(POD_B)));
	/* The policy is for external addresses: a cluster IP ignores it. */
	assert_true(dp_src_client(&n, false, true, ip(POD_A), ip(POD_B)));
}

static void host_through_cluster_ip_shows_the_node(void **state)
{
	struct k1s_cidr n = pods();

	assert_false(dp_src_client(&n, false, false, ip("192.0.2.2"), ip(POD_B)));
	assert_false(dp_src_client(&n, false, false, ip("127.0.0.1"), ip(POD_B)));
	assert_false(dp_src_client(&n, false, false, ip("10.245.0.5"), ip(POD_B)));
	/* No pod network known: nothing is a pod. */
	assert_false(dp_src_client(NULL, false, false, ip(POD_A), ip(POD_B)));
}

static void hairpin_shows_the_node(void **state)
{
	struct k1s_cidr n = pods();

	assert_false(dp_src_client(&n, false, false, ip(POD_A), ip(POD_A)));
	assert_false(dp_src_client(&n, true, true, ip(POD_A), ip(POD_A)));
}

static void external_cluster_policy_shows_the_node(void **state)
{
	struct k1s_cidr n = pods();

	assert_false(dp_src_client(&n, true, false, ip("198.51.100.7"), ip(POD_B)));
	assert_false(dp_src_client(&n, true, false, ip(POD_A), ip(POD_B)));
}

static void external_local_policy_keeps_the_client(void **state)
{
	struct k1s_cidr n = pods();

	assert_true(dp_src_client(&n, true, true, ip("198.51.100.7"), ip(POD_B)));
	assert_true(dp_src_client(&n, true, true, ip(POD_A), ip(POD_B)));
	/* A node port on 127.0.0.1: loopback cannot reach a pod. */
	assert_false(dp_src_client(&n, true, true, ip("127.0.0.1"), ip(POD_B)));
}

static void an_endpoint_off_the_pod_network_sees_the_node(void **state)
{
	struct k1s_cidr n = pods();

	/* The kubernetes service: its endpoint is the API on the node, which
	 * would answer the pod's address straight to the pod. */
	assert_false(dp_src_client(&n, false, false, ip(POD_A), ip("192.0.2.2")));
	assert_false(dp_src_client(&n, true, true, ip("198.51.100.7"), ip("192.0.2.2")));
	assert_false(dp_src_client(NULL, true, true, ip("198.51.100.7"), ip(POD_B)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pod_through_cluster_ip_keeps_its_address),
		cmocka_unit_test(host_through_cluster_ip_shows_the_node),
		cmocka_unit_test(hairpin_shows_the_node),
		cmocka_unit_test(external_cluster_policy_shows_the_node),
		cmocka_unit_test(external_local_policy_keeps_the_client),
		cmocka_unit_test(an_endpoint_off_the_pod_network_sees_the_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
