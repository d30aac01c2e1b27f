/* Query values as kube-apiserver decodes them: booleans that are never
 * invalid, integers with strconv's errors, and the 422 of an options kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_int.h"
#include "k1s_json.h"

static void booleans_follow_convert_slice_string_to_bool(void **state)
{
	static const char *const yes[] = {"true", "True", "TRUE", "1", "", "f", "t", "yes", "no",
					  "2", "false ", " 0"};
	static const char *const no[] = {"false", "False", "FALSE", "fAlSe", "0"};

	assert_false(api_query_bool(NULL));
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(api_query_bool(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(api_query_bool(no[i]));
}

static void pretty_reads_strconv_parse_bool(void **state)
{
	bool b = false;

	assert_int_equal(api_query_go_bool("T", &b), 0);
	assert_true(b);
	assert_int_equal(api_query_go_bool("False", &b), 0);
	assert_false(b);
	assert_int_equal(api_query_go_bool("fAlse", &b), -EINVAL);
	assert_int_equal(api_query_go_bool("yes", &b), -EINVAL);
}

static void check_int(const char *v, int64_t want)
{
	int64_t n = 0;
	char err[256] = "";

	assert_int_equal(api_query_int64(v, &n, err, sizeof(err)), 0);
	assert_true(n == want);
}

static void check_bad_int(const char *v, const char *want)
{
	int64_t n = 0;
	char err[512];

	assert_int_equal(api_query_int64(v, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
}

static void integers_fail_as_strconv_parse_int(void **state)
{
	check_int("500", 500);
	check_int("-5", -5);
	check_int("+7", 7);
	check_int("007", 7);
	check_int("9223372036854775807", INT64_MAX);
	check_int("-9223372036854775808", INT64_MIN);
	check_bad_int("", "strconv.ParseInt: parsing \"\": invalid syntax");
	check_bad_int("abc", "strconv.ParseInt: parsing \"abc\": invalid syntax");
	check_bad_int("10s", "strconv.ParseInt: parsing \"10s\": invalid syntax");
	check_bad_int(" 1", "strconv.ParseInt: parsing \" 1\": invalid syntax");
	check_bad_int("1_000", "strconv.ParseInt: parsing \"1_000\": invalid syntax");
	check_bad_int("-", "strconv.ParseInt: parsing \"-\": invalid syntax");
	check_bad_int("0x10", "strconv.ParseInt: parsing \"0x10\": invalid syntax");
	check_bad_int("9223372036854775808",
		      "strconv.ParseInt: parsing \"9223372036854775808\": value out of range");
	check_bad_int("-9223372036854775809",
		      "strconv.ParseInt: parsing \"-9223372036854775809\": value out of range");
	/* ParseUint stops at the overflow, before the bad byte after it. */
	check_bad_int("99999999999999999999x",
		      "strconv.ParseInt: parsing \"99999999999999999999x\": value out of range");
	check_bad_int("a\"b\\c\n\x01\xff\xc3\xa9",
		      "strconv.ParseInt: parsing \"a\\\"b\\\\c\\n\\x01\\xff\xc3\xa9\": invalid syntax");
}

static json_t *check(const char *kind, const char *const *dry, size_t ndry, const char *fv,
		     const char *policy, bool force)
{
	struct api_options o = {.kind = kind, .dry = dry, .ndry = ndry,
				.field_validation = fv, .policy = policy, .force_set = force};

	return api_query_check_options(&o);
}

static const char *msg(const json_t *s)
{
	return json_string_value(json_object_get(s, "message"));
}

static void dry_run_takes_only_all(void **state)
{
	const char *const all[] = {"All"}, *const bad[] = {"true"}, *const mixed[] = {"All", ""};
	json_t *s, *cause;

	assert_null(check("CreateOptions", NULL, 0, NULL, NULL, false));
	assert_null(check("CreateOptions", all, 1, "Strict", NULL, false));
	assert_null(check("PatchOptions", all, 1, "", NULL, false));

	s = check("CreateOptions", bad, 1, NULL, NULL, false);
	assert_non_null(s);
	assert_int_equal(json_integer_value(json_object_get(s, "code")), 422);
	assert_string_equal(json_string_value(json_object_get(s, "reason")), "Invalid");
	assert_string_equal(msg(s), "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: "
				    "Unsupported value: []string{\"true\"}: supported values: "
				    "\"All\"");
	assert_string_equal(k1s_json_str(s, "details.group") ?: "", "meta.k8s.io");
	assert_string_equal(k1s_json_str(s, "details.kind") ?: "", "CreateOptions");
	assert_null(k1s_json_path(s, "details.name"));
	cause = json_array_get(k1s_json_path(s, "details.causes"), 0);
	assert_string_equal(json_string_value(json_object_get(cause, "reason")),
			    "FieldValueNotSupported");
	assert_string_equal(json_string_value(json_object_get(cause, "field")), "dryRun");
	assert_string_equal(json_string_value(json_object_get(cause, "message")),
			    "Unsupported value: []string{\"true\"}: supported values: \"All\"");
	json_decref(s);

	s = check("UpdateOptions", mixed, 2, NULL, NULL, false);
	assert_string_equal(msg(s), "UpdateOptions.meta.k8s.io \"\" is invalid: dryRun: "
				    "Unsupported value: []string{\"All\", \"\"}: supported values: "
				    "\"All\"");
	json_decref(s);
}

static void several_errors_come_in_brackets(void **state)
{
	const char *const bad[] = {"x"};
	json_t *s;

	s = check("PatchOptions", bad, 1, "strict", NULL, true);
	assert_string_equal(
	    msg(s), "PatchOptions.meta.k8s.io \"\" is invalid: [force: Forbidden: may not be "
		    "specified for non-apply patch, dryRun: Unsupported value: []string{\"x\"}: "
		    "supported values: \"All\", fieldValidation: Unsupported value: \"strict\": "
		    "supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"]");
	assert_int_equal(json_array_size(k1s_json_path(s, "details.causes")), 3);
	json_decref(s);

	s = check("DeleteOptions", NULL, 0, NULL, "Cascade", false);
	assert_string_equal(msg(s), "DeleteOptions.meta.k8s.io \"\" is invalid: "
				    "propagationPolicy: Unsupported value: \"Cascade\": supported "
				    "values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
	json_decref(s);
	assert_null(check("DeleteOptions", NULL, 0, NULL, "Orphan", false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(booleans_follow_convert_slice_string_to_bool),
	    cmocka_unit_test(pretty_reads_strconv_parse_bool),
	    cmocka_unit_test(integers_fail_as_strconv_parse_int),
	    cmocka_unit_test(dry_run_takes_only_all),
	    cmocka_unit_test(several_errors_come_in_brackets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
