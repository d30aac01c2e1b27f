#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "k1s_json.h"

static void path_reads_nested_members(void **state)
{
	json_t *o = json_loads("{\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"x\"}}}", 0, NULL);

	assert_string_equal(k1s_json_str(o, "metadata.name"), "web");
	assert_string_equal(k1s_json_str(o, "metadata.labels.app"), "x");
	assert_null(k1s_json_str(o, "metadata.labels.missing"));
	assert_null(k1s_json_str(o, "metadata"));
	json_decref(o);
}

static void set_str_creates_parents(void **state)
{
	json_t *o = json_object();

	assert_int_equal(k1s_json_set_str(o, "metadata.annotations.a", "b"), 0);
	assert_string_equal(k1s_json_str(o, "metadata.annotations.a"), "b");
	json_decref(o);
}

static void time_round_trips(void **state)
{
	char buf[32];
	time_t t;

	k1s_time_fmt(buf, sizeof(buf), 1735732800);
	assert_string_equal(buf, "2025-01-01T12:00:00Z");
	assert_int_equal(k1s_time_parse(buf, &t), 0);
	assert_int_equal(t, 1735732800);
	assert_int_equal(k1s_time_parse("2025-01-01T13:00:00.123+01:00", &t), 0);
	assert_int_equal(t, 1735732800);
	assert_int_equal(k1s_time_parse("yesterday", &t), -EINVAL);
}

static void uuid_is_v4(void **state)
{
	char a[37], b[37];

	k1s_uuid(a, sizeof(a));
	k1s_uuid(b, sizeof(b));
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '4');
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(path_reads_nested_members),
		cmocka_unit_test(set_str_creates_parents),
		cmocka_unit_test(time_round_trips),
		cmocka_unit_test(uuid_is_v4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
