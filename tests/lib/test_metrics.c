/* lib/k1s_metrics: the text exposition format 0.0.4 as Prometheus reads
 * it: label values with \, " and newline escaped, HELP text with \ and
 * newline; a counter's name ends in _total; a histogram's buckets are
 * cumulative, +Inf last and equal to _count; values as Go prints them.
 * The flow rings' totals come out as families, one group each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "k1s_flow.h"
#include "k1s_metrics.h"

static void label_values_escaped(void **state)
{
	struct k1s_metrics m;

	(void)state;
	k1s_metrics_init(&m);
	k1s_metrics_family(&m, "k1s_x_total", K1S_COUNTER, "A \\ help\nline with \"quotes\".");
	k1s_metrics_sample(&m, "k1s_x_total", 3, "path", "C:\\dir \"a\"\nnext", "b", "", NULL);
	assert_int_equal(m.m_err, 0);
	assert_string_equal(m.m_buf, "# HELP k1s_x_total A \\\\ help\\nline with \"quotes\".\n"
	                             "# TYPE k1s_x_total counter\n"
	                             "k1s_x_total{path=\"C:\\\\dir \\\"a\\\"\\nnext\",b=\"\"} 3\n");
	k1s_metrics_fini(&m);
}

static void no_labels_no_braces(void **state)
{
	struct k1s_metrics m;

	(void)state;
	k1s_metrics_init(&m);
	k1s_metrics_family(&m, "up", K1S_GAUGE, "");
	k1s_metrics_sample(&m, "up", 1, NULL);
	assert_string_equal(m.m_buf, "# HELP up \n# TYPE up gauge\nup 1\n");
	k1s_metrics_fini(&m);
}

static void values_as_go_prints_them(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
	    {0, "0"},
	    {42, "42"},
	    {-7, "-7"},
	    {0.1, "0.1"},
	    {0.0001, "0.0001"},
	    {1.5e-9, "1.5e-09"},
	    {1e300, "1e+300"},
	    {1234567.25, "1234567.25"},
	    {18446744073709551615.0, "1.8446744073709552e+19"},
	    {INFINITY, "+Inf"},
	    {-INFINITY, "-Inf"},
	    {NAN, "NaN"},
	};
	char want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct k1s_metrics m;

		k1s_metrics_init(&m);
		k1s_metrics_sample(&m, "g", cases[i].v, NULL);
		snprintf(want, sizeof(want), "g %s\n", cases[i].text);
		assert_string_equal(m.m_buf, want);
		if (isfinite(cases[i].v))
			assert_true(strtod(m.m_buf + 2, NULL) == cases[i].v);
		k1s_metrics_fini(&m);
	}
}

static void counters_end_in_total(void **state)
{
	struct k1s_metrics m;

	(void)state;
	k1s_metrics_init(&m);
	k1s_metrics_family(&m, "k1s_requests", K1S_COUNTER, "no suffix");
	assert_int_equal(m.m_err, -EINVAL);
	assert_true(m.m_len == 0);
	/* Once failed, nothing more is written. */
	k1s_metrics_family(&m, "k1s_requests_total", K1S_COUNTER, "");
	assert_true(m.m_len == 0);
	k1s_metrics_fini(&m);

	/* A gauge or histogram may end in anything. */
	k1s_metrics_init(&m);
	k1s_metrics_family(&m, "k1s_requests", K1S_GAUGE, "");
	assert_int_equal(m.m_err, 0);
	k1s_metrics_fini(&m);
}

static void bad_names_refused(void **state)
{
	const char *bad_metric[] = {"", "1abc", "a-b", "a b", "a{", "é"};
	const char *bad_label[] = {"", "1a", "a:b", "__name__", "le-x"};
	struct k1s_metrics m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_metric) / sizeof(bad_metric[0]); i++) {
		assert_false(k1s_metrics_name_ok(bad_metric[i]));
		k1s_metrics_init(&m);
		k1s_metrics_sample(&m, bad_metric[i], 1, NULL);
		assert_int_equal(m.m_err, -EINVAL);
		k1s_metrics_fini(&m);
	}
	for (size_t i = 0; i < sizeof(bad_label) / sizeof(bad_label[0]); i++) {
		assert_false(k1s_metrics_label_ok(bad_label[i]));
		k1s_metrics_init(&m);
		k1s_metrics_sample(&m, "x", 1, bad_label[i], "v", NULL);
		assert_int_equal(m.m_err, -EINVAL);
		k1s_metrics_fini(&m);
	}
	assert_true(k1s_metrics_name_ok("k1s:rate_5m"));
	assert_true(k1s_metrics_label_ok("_x9"));
}

/* The value of the sample line that starts with `prefix`, or -1. */
static double value_of(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, prefix, n) == 0 && l[n] == ' ')
			return strtod(l + n + 1, NULL);
	return -1;
}

static void histogram_cumulative(void **state)
{
	struct k1s_hist h = {0};
	struct k1s_metrics m;
	const char *p;
	double last = 0;
	int buckets = 0;

	(void)state;
	k1s_hist_observe(&h, 50000);   /* 50 us: le 0.0001 */
	k1s_hist_observe(&h, 100000);  /* 100 us: on the bound, le 0.0001 */
	k1s_hist_observe(&h, 3000000); /* 3 ms: le 0.005 */
	k1s_hist_observe(&h, 3000000);
	k1s_hist_observe(&h, 20000000000ull); /* 20 s: only +Inf */
	k1s_metrics_init(&m);
	k1s_metrics_family(&m, "k1s_t_seconds", K1S_HISTOGRAM, "t");
	k1s_metrics_hist(&m, "k1s_t_seconds", &h, "controller", "a\"b", NULL);
	assert_int_equal(m.m_err, 0);
	assert_true(
	    value_of(m.m_buf, "k1s_t_seconds_bucket{controller=\"a\\\"b\",le=\"0.0001\"}") == 2);
	assert_true(value_of(m.m_buf, "k1s_t_seconds_bucket{controller=\"a\\\"b\",le=\"0.001\"}") ==
	            2);
	assert_true(value_of(m.m_buf, "k1s_t_seconds_bucket{controller=\"a\\\"b\",le=\"0.005\"}") ==
	            4);
	assert_true(value_of(m.m_buf, "k1s_t_seconds_bucket{controller=\"a\\\"b\",le=\"10\"}") ==
	            4);
	assert_true(value_of(m.m_buf, "k1s_t_seconds_bucket{controller=\"a\\\"b\",le=\"+Inf\"}") ==
	            5);
	assert_true(value_of(m.m_buf, "k1s_t_seconds_count{controller=\"a\\\"b\"}") == 5);
	assert_true(fabs(value_of(m.m_buf, "k1s_t_seconds_sum{controller=\"a\\\"b\"}") - 20.00615) <
	            1e-9);
	/* Every bucket: never decreasing, +Inf the last of them. */
	for (p = m.m_buf; (p = strstr(p, "_bucket{")); p++) {
		double v = strtod(strchr(p, '}') + 2, NULL);

		assert_true(v >= last);
		last = v;
		buckets++;
	}
	assert_int_equal(buckets, K1S_HIST_BUCKETS + 1);
	assert_true(strstr(m.m_buf, "le=\"+Inf\"} 5\nk1s_t_seconds_sum") != NULL);
	k1s_metrics_fini(&m);
}

static void grows_past_first_buffer(void **state)
{
	struct k1s_metrics m;
	char name[32];

	(void)state;
	k1s_metrics_init(&m);
	k1s_metrics_family(&m, "k1s_many_total", K1S_COUNTER, "many");
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		k1s_metrics_sample(&m, "k1s_many_total", i, "resource", name, NULL);
	}
	assert_int_equal(m.m_err, 0);
	assert_true(value_of(m.m_buf, "k1s_many_total{resource=\"r1999\"}") == 1999);
	assert_int_equal(strlen(m.m_buf), m.m_len);
	k1s_metrics_fini(&m);
}

static void flow_rings_as_families(void **state)
{
	struct k1s_flow_ring *dp = k1s_flow_ring_new("dataplane", 8),
	                     *dns = k1s_flow_ring_new("dns", 8),
	                     *ing = k1s_flow_ring_new("ingress", 8);
	struct k1s_flow_ring *rings[] = {dp, NULL, dns, ing};
	struct k1s_flow f = {.sent = 100, .received = 1000};
	struct k1s_metrics m;
	const char *a, *b;

	(void)state;
	k1s_flow_put(dp, &f);
	f.denied = true;
	k1s_flow_put(dp, &f);
	f = (struct k1s_flow){.code = 3, .sent = 40, .received = 90}; /* NXDOMAIN */
	k1s_flow_put(dns, &f);
	f.code = 0;
	k1s_flow_put(dns, &f);
	f.code = 13; /* unassigned: shown as a number once it occurs */
	k1s_flow_put(dns, &f);
	f = (struct k1s_flow){.code = 503};
	k1s_flow_put(ing, &f);
	f.code = 200;
	k1s_flow_put(ing, &f);
	k1s_flow_put(ing, &f);

	k1s_metrics_init(&m);
	k1s_metrics_flows(&m, rings, 4);
	assert_int_equal(m.m_err, 0);
	assert_true(value_of(m.m_buf, "k1s_flows_total{module=\"dataplane\"}") == 2);
	assert_true(value_of(m.m_buf, "k1s_flows_total{module=\"dns\"}") == 3);
	assert_true(value_of(m.m_buf, "k1s_flows_denied_total{module=\"dataplane\"}") == 1);
	assert_true(value_of(m.m_buf, "k1s_flows_denied_total{module=\"ingress\"}") == 0);
	assert_true(
	    value_of(m.m_buf, "k1s_flow_bytes_total{module=\"dataplane\",direction=\"sent\"}") ==
	    200);
	assert_true(value_of(m.m_buf, "k1s_flow_bytes_total{module=\"dataplane\","
	                              "direction=\"received\"}") == 2000);
	assert_true(value_of(m.m_buf, "k1s_dns_responses_total{rcode=\"NXDOMAIN\"}") == 1);
	assert_true(value_of(m.m_buf, "k1s_dns_responses_total{rcode=\"NOERROR\"}") == 1);
	assert_true(value_of(m.m_buf, "k1s_dns_responses_total{rcode=\"REFUSED\"}") == 0);
	assert_true(value_of(m.m_buf, "k1s_dns_responses_total{rcode=\"RCODE13\"}") == 1);
	assert_null(strstr(m.m_buf, "rcode=\"NOTZONE\""));
	assert_true(value_of(m.m_buf, "k1s_ingress_requests_total{code=\"2xx\"}") == 2);
	assert_true(value_of(m.m_buf, "k1s_ingress_requests_total{code=\"5xx\"}") == 1);
	assert_true(value_of(m.m_buf, "k1s_ingress_requests_total{code=\"4xx\"}") == 0);
	/* One group per family: the dns sample of k1s_flows_total comes
	 * before the first line of the next family. */
	a = strstr(m.m_buf, "k1s_flows_total{module=\"ingress\"}");
	b = strstr(m.m_buf, "# HELP k1s_flows_denied_total");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_null(strstr(b + 1, "k1s_flows_total{"));
	k1s_metrics_fini(&m);
	k1s_flow_ring_free(dp);
	k1s_flow_ring_free(dns);
	k1s_flow_ring_free(ing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(label_values_escaped),     cmocka_unit_test(no_labels_no_braces),
	    cmocka_unit_test(values_as_go_prints_them), cmocka_unit_test(counters_end_in_total),
	    cmocka_unit_test(bad_names_refused),        cmocka_unit_test(histogram_cumulative),
	    cmocka_unit_test(grows_past_first_buffer),  cmocka_unit_test(flow_rings_as_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
