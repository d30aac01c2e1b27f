/* Requests and limits as kubelet maps them: quantities, QoS classes,
 * oom_score_adj, cpu shares, quota and weight. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pod_rt_int.h"

static int64_t qty(const char *s, bool milli)
{
	int64_t v = -12345;
	int err = pod_quantity_parse(s, strlen(s), milli, &v);

	if (err < 0)
		fail_msg("\"%s\": %d", s, err);
	return v;
}

static int qty_err(const char *s)
{
	int64_t v = -12345;
	int err = pod_quantity_parse(s, strlen(s), false, &v);

	assert_int_equal(v, -12345);
	return err;
}

static void quantities(void **state)
{
	(void)state;
	assert_int_equal(qty("128Mi", false), 134217728);
	assert_int_equal(qty("64Mi", false), 64 << 20);
	assert_int_equal(qty("1Gi", false), 1073741824);
	assert_int_equal(qty("0.5Gi", false), 536870912);
	assert_int_equal(qty("1.5Ki", false), 1536);
	assert_int_equal(qty("100M", false), 100000000);
	assert_int_equal(qty("129e6", false), 129000000);
	assert_int_equal(qty("1E3", false), 1000);
	assert_int_equal(qty("1E", false), 1000000000000000000LL);
	assert_int_equal(qty("123", false), 123);
	assert_int_equal(qty("+5k", false), 5000);
	/* Value() rounds up: a byte and a half is two. */
	assert_int_equal(qty("1.5", false), 2);
	assert_int_equal(qty("1m", false), 1);
	assert_int_equal(qty("0", false), 0);
	/* CPU in millicores. */
	assert_int_equal(qty("0.5", true), 500);
	assert_int_equal(qty("500m", true), 500);
	assert_int_equal(qty("1", true), 1000);
	assert_int_equal(qty("2.25", true), 2250);
	assert_int_equal(qty("100u", true), 1);
	assert_int_equal(qty("1e-3", true), 1);
	assert_int_equal(qty("250000000n", true), 250);
	assert_int_equal(qty(".1", true), 100);
}

static void quantity_errors(void **state)
{
	(void)state;
	assert_int_equal(qty_err(""), -EINVAL);
	assert_int_equal(qty_err("Mi"), -EINVAL);
	assert_int_equal(qty_err("12Q"), -EINVAL);
	assert_int_equal(qty_err("1.2.3"), -EINVAL);
	assert_int_equal(qty_err("-1"), -EINVAL);
	assert_int_equal(qty_err("1 Mi"), -EINVAL);
	assert_int_equal(qty_err("1mi"), -EINVAL);
	assert_int_equal(qty_err("1e"), -EINVAL);
	assert_int_equal(qty_err("1e3x"), -EINVAL);
	assert_int_equal(qty_err("."), -EINVAL);
	assert_int_equal(qty_err("9999999999999999999"), -ERANGE);
	assert_int_equal(qty_err("16Ei"), -ERANGE);
	assert_int_equal(qty_err("1e999"), -ERANGE);
	assert_int_equal(qty_err("1234567890123456789012345678901234567"), -ERANGE);
	/* A length that stops mid-string is the quantity's end. */
	{
		int64_t v = 0;

		assert_int_equal(pod_quantity_parse("64Mi", 3, false, &v), 0);
		assert_int_equal(v, 64000000);
		assert_int_equal(pod_quantity_parse("1e3", 2, false, &v), -EINVAL);
	}
}

static json_t *pod_spec(const char *containers)
{
	json_error_t e;
	json_t *spec = json_loads(containers, 0, &e);

	if (!spec)
		fail_msg("%s: %s", containers, e.text);
	return spec;
}

static void resources(void **state)
{
	json_t *c = pod_spec("{\"resources\": {\"limits\": {\"memory\": \"64Mi\", \"cpu\": \"0.5\"},"
	                     " \"requests\": {\"cpu\": \"100m\"}}}");
	struct pod_res r;

	(void)state;
	assert_int_equal(pod_res_of(c, &r), 0);
	assert_int_equal(r.mem_limit, 64 << 20);
	assert_int_equal(r.mem_request, 64 << 20); /* defaulted from the limit */
	assert_int_equal(r.cpu_limit_m, 500);
	assert_int_equal(r.cpu_request_m, 100);
	json_decref(c);
	c = pod_spec("{\"resources\": {\"requests\": {\"memory\": 1000000, \"cpu\": 0.25}}}");
	assert_int_equal(pod_res_of(c, &r), 0);
	assert_int_equal(r.mem_request, 1000000);
	assert_int_equal(r.cpu_request_m, 250);
	assert_int_equal(r.mem_limit, 0);
	json_decref(c);
	c = pod_spec("{\"resources\": {\"limits\": {\"memory\": \"lots\"}}}");
	assert_int_equal(pod_res_of(c, &r), -EINVAL);
	json_decref(c);
	c = pod_spec("{}");
	assert_int_equal(pod_res_of(c, &r), 0);
	assert_int_equal(r.mem_limit + r.mem_request + r.cpu_limit_m + r.cpu_request_m, 0);
	json_decref(c);
}

static void qos_classes(void **state)
{
	static const struct {
		const char *spec;
		enum pod_qos want;
	} cases[] = {
	    {"{\"containers\": [{\"name\": \"a\"}]}", POD_QOS_BESTEFFORT},
	    {"{\"containers\": [{\"resources\": {\"limits\": {\"memory\": \"64Mi\", \"cpu\": "
	     "\"1\"}}}]}",
	     POD_QOS_GUARANTEED},
	    /* Requests equal to limits, written another way. */
	    {"{\"containers\": [{\"resources\": {\"limits\": {\"memory\": \"64Mi\", \"cpu\": "
	     "\"1\"}, \"requests\": {\"memory\": \"67108864\", \"cpu\": \"1000m\"}}}]}",
	     POD_QOS_GUARANTEED},
	    {"{\"containers\": [{\"resources\": {\"limits\": {\"memory\": \"64Mi\"}}}]}",
	     POD_QOS_BURSTABLE},
	    {"{\"containers\": [{\"resources\": {\"limits\": {\"memory\": \"64Mi\", \"cpu\": "
	     "\"1\"}, \"requests\": {\"cpu\": \"500m\"}}}]}",
	     POD_QOS_BURSTABLE},
	    {"{\"containers\": [{\"resources\": {\"requests\": {\"cpu\": \"1m\"}}}]}",
	     POD_QOS_BURSTABLE},
	    /* One container without limits makes the pod Burstable. */
	    {"{\"containers\": [{\"resources\": {\"limits\": {\"memory\": \"64Mi\", \"cpu\": "
	     "\"1\"}}}, {\"name\": \"b\"}]}",
	     POD_QOS_BURSTABLE},
	    {"{\"containers\": [{\"name\": \"a\"}], \"initContainers\": [{\"resources\": "
	     "{\"requests\": {\"memory\": \"1Mi\"}}}]}",
	     POD_QOS_BURSTABLE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *spec = pod_spec(cases[i].spec);

		if (pod_qos_of(spec) != cases[i].want)
			fail_msg("%s: %s, want %s", cases[i].spec, pod_qos_name(pod_qos_of(spec)),
			         pod_qos_name(cases[i].want));
		json_decref(spec);
	}
}

static void oom_scores(void **state)
{
	const int64_t gib = 1LL << 30;

	(void)state;
	assert_int_equal(pod_oom_score_adj(POD_QOS_GUARANTEED, gib, 4 * gib), -997);
	assert_int_equal(pod_oom_score_adj(POD_QOS_BESTEFFORT, 0, 4 * gib), 1000);
	/* Burstable: 1000 - 1000 * request / capacity, within [3, 999]. */
	assert_int_equal(pod_oom_score_adj(POD_QOS_BURSTABLE, gib, 4 * gib), 750);
	assert_int_equal(pod_oom_score_adj(POD_QOS_BURSTABLE, 0, 4 * gib), 999);
	assert_int_equal(pod_oom_score_adj(POD_QOS_BURSTABLE, 4 * gib, 4 * gib), 3);
	assert_int_equal(pod_oom_score_adj(POD_QOS_BURSTABLE, 8 * gib, 4 * gib), 3);
	assert_int_equal(pod_oom_score_adj(POD_QOS_BURSTABLE, 64 << 20, 24 * gib), 998);
}

static void cpu_values(void **state)
{
	(void)state;
	/* MilliCPUToShares */
	assert_int_equal(pod_cpu_shares(0), 2);
	assert_int_equal(pod_cpu_shares(1), 2);
	assert_int_equal(pod_cpu_shares(100), 102);
	assert_int_equal(pod_cpu_shares(500), 512);
	assert_int_equal(pod_cpu_shares(1000), 1024);
	assert_int_equal(pod_cpu_shares(300000), 262144);
	assert_int_equal(pod_cpu_shares(INT64_MAX), 262144);
	/* MilliCPUToQuota, 100 ms period */
	assert_int_equal(pod_cpu_quota(0, POD_CPU_PERIOD), 0);
	assert_int_equal(pod_cpu_quota(250, POD_CPU_PERIOD), 25000);
	assert_int_equal(pod_cpu_quota(500, POD_CPU_PERIOD), 50000);
	assert_int_equal(pod_cpu_quota(2000, POD_CPU_PERIOD), 200000);
	assert_int_equal(pod_cpu_quota(1, POD_CPU_PERIOD), 1000);
	/* runc's shares to cpu.weight */
	assert_int_equal(pod_cpu_weight(2), 1);
	assert_int_equal(pod_cpu_weight(1024), 39);
	assert_int_equal(pod_cpu_weight(262144), 10000);
	assert_int_equal(pod_cpu_weight(512), 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(quantities), cmocka_unit_test(quantity_errors),
	    cmocka_unit_test(resources),  cmocka_unit_test(qos_classes),
	    cmocka_unit_test(oom_scores), cmocka_unit_test(cpu_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
