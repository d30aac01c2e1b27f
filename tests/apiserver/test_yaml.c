#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "api_int.h"

static json_t *decode(const char *s)
{
	json_t *doc = NULL;
	char err[256];

	if (api_yaml_decode(s, strlen(s), &doc, err, sizeof(err)) < 0)
		return NULL;
	return doc;
}

static void service_manifest_decodes(void **state)
{
	json_t *d = decode("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n"
			   "  ports:\n    - port: 80 # comment\n      targetPort: 3000\n"
			   "      protocol: TCP\n");

	assert_non_null(d);
	json_t *port = json_array_get(json_object_get(json_object_get(d, "spec"), "ports"), 0);
	assert_int_equal(json_integer_value(json_object_get(port, "port")), 80);
	assert_string_equal(json_string_value(json_object_get(port, "protocol")), "TCP");
	json_decref(d);
}

static void scalars_resolve_as_kubernetes_does(void **state)
{
	json_t *d = decode("a: yes\nb: \"yes\"\nc: 0x1f\nd: 1.5\ne: ~\nf: -3\ng: '80'\nh: 1.2.3\n"
			   "i: off\nj: null\n");

	assert_non_null(d);
	assert_true(json_is_true(json_object_get(d, "a")));
	assert_string_equal(json_string_value(json_object_get(d, "b")), "yes");
	assert_int_equal(json_integer_value(json_object_get(d, "c")), 31);
	assert_true(json_is_real(json_object_get(d, "d")));
	assert_true(json_is_null(json_object_get(d, "e")));
	assert_int_equal(json_integer_value(json_object_get(d, "f")), -3);
	assert_string_equal(json_string_value(json_object_get(d, "g")), "80");
	assert_string_equal(json_string_value(json_object_get(d, "h")), "1.2.3");
	assert_true(json_is_false(json_object_get(d, "i")));
	assert_true(json_is_null(json_object_get(d, "j")));
	json_decref(d);
}

static void json_is_yaml(void **state)
{
	json_t *d = decode("{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"a\"}]}}");

	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "kind")), "Pod");
	json_decref(d);
}

static void bad_documents_are_errors(void **state)
{
	json_t *doc = NULL;
	char err[256];
	const char *bad[] = {
	    "a: [1, 2\n",		 /* unterminated */
	    "a: 1\na: 2\n",		 /* duplicate key */
	    "a: &x 1\nb: *x\n",		 /* aliases */
	    "a: 1\n---\nb: 2\n",	 /* two documents */
	    "",				 /* empty */
	    "? {a: 1}\n: x\n",		 /* a collection as a key */
	    "? [1]\n: x\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(api_yaml_decode(bad[i], strlen(bad[i]), &doc, err, sizeof(err)),
				 -EINVAL);
		assert_null(doc);
		assert_true(strlen(err) > 0);
	}
}

static void deep_nesting_is_refused(void **state)
{
	char buf[1000];
	json_t *doc = NULL;
	char err[256];

	memset(buf, '[', 500);
	buf[500] = '\0';
	assert_int_equal(api_yaml_decode(buf, 500, &doc, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(service_manifest_decodes),
		cmocka_unit_test(scalars_resolve_as_kubernetes_does),
		cmocka_unit_test(json_is_yaml),
		cmocka_unit_test(bad_documents_are_errors),
		cmocka_unit_test(deep_nesting_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
