#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "k1s_sel.h"

#define QNAME_MSG                                                                                  \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and "            \
	"end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "                   \
	"'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VALUE_MSG                                                                                  \
	"a valid label must be an empty string or consist of alphanumeric characters, "            \
	"'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "            \
	"'MyValue',  or 'my_value',  or '12345', regex used for validation is "                    \
	"'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define SUBDOMAIN_MSG                                                                              \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "                  \
	"characters, '-' or '.', and must start and end with an alphanumeric character "           \
	"(e.g. 'example.com', regex used for validation is "                                       \
	"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

/* Parses `sel` (which must be valid) and matches it against `labels`, a
 * JSON object text or NULL for an object without labels. */
static bool lmatch(const char *sel, const char *labels)
{
	struct k1s_lsel *s = NULL;
	json_t *l = labels ? json_loads(labels, 0, NULL) : NULL;
	char err[512] = "";
	bool m;

	if (labels)
		assert_non_null(l);
	if (k1s_lsel_parse(sel, &s, err, sizeof(err)) != 0)
		fail_msg("parse of '%s' failed: %s", sel, err);
	assert_non_null(s);
	m = k1s_lsel_match(s, l);
	k1s_lsel_free(s);
	json_decref(l);
	return m;
}

static void lerr(const char *sel, const char *want)
{
	struct k1s_lsel *s = (struct k1s_lsel *)1;
	char err[2048] = "";

	assert_int_equal(k1s_lsel_parse(sel, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_string_equal(err, want);
}

static void empty_selector_matches_everything(void **state)
{
	assert_true(lmatch("", NULL));
	assert_true(lmatch("", "{}"));
	assert_true(lmatch("", "{\"app\":\"web\"}"));
	assert_true(lmatch("  \t ", "{\"app\":\"web\"}"));
	assert_true(lmatch(NULL, "{}"));
}

static void equality_operators(void **state)
{
	const char *web = "{\"app\":\"web\",\"tier\":\"front\"}";
	const char *db = "{\"app\":\"db\"}";

	assert_true(lmatch("app=web", web));
	assert_false(lmatch("app=web", db));
	assert_false(lmatch("app=web", "{}"));
	assert_false(lmatch("app=web", NULL));
	assert_true(lmatch("app==web", web));
	assert_false(lmatch("app==web", db));
	assert_false(lmatch("app!=web", web));
	assert_true(lmatch("app!=web", db));
	/* As in Kubernetes, != also selects objects without the label. */
	assert_true(lmatch("app!=web", "{}"));
	assert_true(lmatch("app!=web", NULL));
	/* An empty value matches an empty label, not a missing one. */
	assert_true(lmatch("app=", "{\"app\":\"\"}"));
	assert_false(lmatch("app=", "{}"));
	assert_true(lmatch("app==,tier=front", "{\"app\":\"\",\"tier\":\"front\"}"));
	/* A label that is not a string counts as absent. */
	assert_false(lmatch("app=1", "{\"app\":1}"));
	assert_false(lmatch("app", "{\"app\":1}"));
}

static void set_operators(void **state)
{
	assert_true(lmatch("env in (prod,staging)", "{\"env\":\"prod\"}"));
	assert_true(lmatch("env in (prod,staging)", "{\"env\":\"staging\"}"));
	assert_false(lmatch("env in (prod,staging)", "{\"env\":\"dev\"}"));
	assert_false(lmatch("env in (prod,staging)", "{}"));
	assert_false(lmatch("env notin (prod,staging)", "{\"env\":\"prod\"}"));
	assert_true(lmatch("env notin (prod,staging)", "{\"env\":\"dev\"}"));
	/* notin selects objects without the label, as in Kubernetes. */
	assert_true(lmatch("env notin (prod,staging)", "{}"));
	/* Empty elements stand for the empty value. */
	assert_true(lmatch("x in (a,,b)", "{\"x\":\"\"}"));
	assert_true(lmatch("x in ()", "{\"x\":\"\"}"));
	assert_false(lmatch("x in ()", "{\"x\":\"a\"}"));
	assert_true(lmatch("x in (,a)", "{\"x\":\"\"}"));
	assert_true(lmatch("x in (a,)", "{\"x\":\"\"}"));
	assert_false(lmatch("x in (a,b)", "{\"x\":\"\"}"));
	/* Keywords are values where a value is expected. */
	assert_true(lmatch("in in (in,notin)", "{\"in\":\"notin\"}"));
	assert_true(lmatch("notin notin (in)", "{\"notin\":\"x\"}"));
	assert_true(lmatch("a=in", "{\"a\":\"in\"}"));
}

static void existence_operators(void **state)
{
	assert_true(lmatch("app", "{\"app\":\"\"}"));
	assert_false(lmatch("app", "{\"tier\":\"x\"}"));
	assert_false(lmatch("!app", "{\"app\":\"web\"}"));
	assert_true(lmatch("!app", "{\"tier\":\"x\"}"));
	assert_true(lmatch("!app", NULL));
	assert_true(lmatch("! app", "{}"));
}

static void numeric_operators(void **state)
{
	assert_true(lmatch("replicas>2", "{\"replicas\":\"3\"}"));
	assert_false(lmatch("replicas>2", "{\"replicas\":\"2\"}"));
	assert_false(lmatch("replicas>2", "{\"replicas\":\"many\"}"));
	assert_false(lmatch("replicas>2", "{}"));
	assert_true(lmatch("replicas<10", "{\"replicas\":\"-4\"}"));
	assert_false(lmatch("replicas<10", "{\"replicas\":\"10\"}"));
}

static void requirements_are_anded(void **state)
{
	const char *sel = "app=web,tier!=db, env in (prod), !legacy,track";

	assert_true(lmatch(sel, "{\"app\":\"web\",\"env\":\"prod\",\"track\":\"stable\"}"));
	assert_false(lmatch(sel, "{\"app\":\"web\",\"env\":\"prod\"}"));
	assert_false(
	    lmatch(sel, "{\"app\":\"web\",\"env\":\"prod\",\"track\":\"s\",\"legacy\":\"y\"}"));
	assert_false(lmatch(sel, "{\"app\":\"web\",\"env\":\"dev\",\"track\":\"s\"}"));
	assert_false(
	    lmatch(sel, "{\"app\":\"web\",\"env\":\"prod\",\"track\":\"s\",\"tier\":\"db\"}"));
}

static void prefixed_keys_and_whitespace(void **state)
{
	assert_true(
	    lmatch("kubernetes.io/service-name=web", "{\"kubernetes.io/service-name\":\"web\"}"));
	assert_false(lmatch("kubernetes.io/service-name=web", "{\"service-name\":\"web\"}"));
	assert_true(lmatch("app.kubernetes.io/name in (nginx, web)",
	                   "{\"app.kubernetes.io/name\":\"web\"}"));
	assert_true(lmatch("kubernetes.io/cluster-service=true",
	                   "{\"kubernetes.io/cluster-service\":\"true\"}"));
	assert_true(lmatch(" \tapp = web ,\n env   in(prod , dev)  ,  !x ",
	                   "{\"app\":\"web\",\"env\":\"dev\"}"));
	assert_true(lmatch("a.B_c-9=My_value.1", "{\"a.B_c-9\":\"My_value.1\"}"));
}

static void syntax_errors(void **state)
{
	lerr("a b",
	     "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
	lerr("a !b",
	     "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt");
	lerr("a=b c", "found 'c', expected: ',' or 'end of string'");
	lerr("a=b,", "found '', expected: identifier after ','");
	lerr("a=b,,c", "found ',', expected: identifier after ','");
	lerr(",a", "found ',', expected: !, identifier, or 'end of string'");
	lerr("=a", "found '=', expected: !, identifier, or 'end of string'");
	lerr("x in (a", "unable to parse requirement: found '', expected: ',' or ')'");
	lerr("x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'");
	lerr("x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier");
	lerr("x in a", "unable to parse requirement: found 'a' expected: '('");
	lerr("x in", "unable to parse requirement: found '' expected: '('");
	lerr("x in (=)",
	     "unable to parse requirement: found '=', expected: ',', ')' or identifier");
	lerr("!", "unable to parse requirement: found '', expected: identifier");
	lerr("!=a", "found '!=', expected: !, identifier, or 'end of string'");
	lerr("!a=b", "found '=', expected: ',' or 'end of string'");
	lerr("a=(b)", "unable to parse requirement: found '(', expected: identifier");
	lerr("a=b)", "found ')', expected: ',' or 'end of string'");
}

static void invalid_keys(void **state)
{
	char key[80], sel[100], want[400];

	lerr("-a=b",
	     "unable to parse requirement: <nil>: Invalid value: \"-a\": name part " QNAME_MSG);
	lerr("a_",
	     "unable to parse requirement: <nil>: Invalid value: \"a_\": name part " QNAME_MSG);
	lerr("Example.com/a=b", "unable to parse requirement: <nil>: Invalid value: "
	                        "\"Example.com/a\": prefix part " SUBDOMAIN_MSG);
	lerr("/a", "unable to parse requirement: <nil>: Invalid value: \"/a\": "
	           "prefix part must be non-empty");
	lerr("a/ in (x)", "unable to parse requirement: <nil>: Invalid value: \"a/\": "
	                  "name part must be non-empty; name part " QNAME_MSG);
	lerr("a/b/c", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": "
	              "a qualified name " QNAME_MSG " with an optional DNS subdomain prefix and "
	              "'/' (e.g. 'example.com/MyName')");
	lerr("a\"b", "unable to parse requirement: <nil>: Invalid value: \"a\\\"b\": "
	             "name part " QNAME_MSG);

	memset(key, 'k', 64);
	key[64] = '\0';
	snprintf(sel, sizeof(sel), "%s=v", key);
	snprintf(want, sizeof(want),
	         "unable to parse requirement: <nil>: Invalid value: \"%s\": "
	         "name part must be no more than 63 characters",
	         key);
	lerr(sel, want);
	key[63] = '\0';
	snprintf(sel, sizeof(sel), "x.io/%s=v", key);
	assert_true(lmatch(sel, NULL) == false);
}

static void invalid_values(void **state)
{
	char val[80], sel[100], want[400];

	lerr("a=b/c",
	     "unable to parse requirement: values[0][a]: Invalid value: \"b/c\": " VALUE_MSG);
	lerr("a!=-b",
	     "unable to parse requirement: values[0][a]: Invalid value: \"-b\": " VALUE_MSG);
	/* Values are sorted first, so the index counts in sorted order. */
	lerr("a in (x,-y)",
	     "unable to parse requirement: values[0][a]: Invalid value: \"-y\": " VALUE_MSG);
	lerr("a in (x,y.)",
	     "unable to parse requirement: values[1][a]: Invalid value: \"y.\": " VALUE_MSG);
	/* Several errors are listed in brackets, as an aggregate prints them. */
	lerr("a in (-x,-y)",
	     "unable to parse requirement: [values[0][a]: Invalid value: \"-x\": " VALUE_MSG
	     ", values[1][a]: Invalid value: \"-y\": " VALUE_MSG "]");
	lerr("a>b", "unable to parse requirement: values[0]: Invalid value: \"b\": "
	            "for 'Gt', 'Lt' operators, the value must be an integer");
	lerr("a<-x",
	     "unable to parse requirement: [values[0]: Invalid value: \"-x\": for 'Gt', 'Lt' "
	     "operators, the value must be an integer, values[0][a]: Invalid value: "
	     "\"-x\": " VALUE_MSG "]");

	memset(val, 'v', 64);
	val[64] = '\0';
	snprintf(sel, sizeof(sel), "a=%s", val);
	snprintf(want, sizeof(want),
	         "unable to parse requirement: values[0][a]: Invalid value: "
	         "\"%s\": must be no more than 63 characters",
	         val);
	lerr(sel, want);
	val[63] = '\0';
	snprintf(sel, sizeof(sel), "a=%s", val);
	assert_false(lmatch(sel, "{}"));
}

/* Thousands of bad values give one bounded message, quickly. */
static void many_bad_values(void **state)
{
	size_t cap = 65536, len;
	char *sel = malloc(cap + 1);
	char err[256];
	struct k1s_lsel *ls;
	int i;

	assert_non_null(sel);
	len = (size_t)snprintf(sel, cap, "a in (");
	for (i = 0; len + 16 < cap; i++)
		len += (size_t)snprintf(sel + len, cap - len, "-%d,", i);
	snprintf(sel + len, cap - len, "x)");
	assert_int_equal(k1s_lsel_parse(sel, &ls, err, sizeof(err)), -EINVAL);
	assert_null(ls);
	assert_memory_equal(
	    err, "unable to parse requirement: [values[0][a]: Invalid value: \"-0\"",
	    strlen("unable to parse requirement: [values[0][a]: Invalid value: \"-0\""));
	/* The same number of good values parse and match. */
	len = (size_t)snprintf(sel, cap, "a in (");
	for (i = 0; len + 16 < cap; i++)
		len += (size_t)snprintf(sel + len, cap - len, "v%d,", i);
	snprintf(sel + len, cap - len, "x)");
	assert_true(lmatch(sel, "{\"a\":\"v77\"}"));
	assert_false(lmatch(sel, "{\"a\":\"v\"}"));
	free(sel);
}

static void caps_and_odd_input(void **state)
{
	size_t n = 70000;
	char *big = malloc(n + 1);
	struct k1s_lsel *ls;
	struct k1s_fsel *fs;
	const char *fields[] = {"metadata.name", NULL};
	char err[8];

	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	assert_int_equal(k1s_lsel_parse(big, &ls, err, sizeof(err)), -EINVAL);
	assert_null(ls);
	assert_int_equal(k1s_fsel_parse(big, fields, &fs, err, sizeof(err)), -EINVAL);
	assert_null(fs);
	free(big);
	/* A short error buffer gets a truncated message; none at all is fine. */
	assert_int_equal(k1s_lsel_parse("a b", &ls, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unable ");
	assert_int_equal(k1s_lsel_parse("a b", &ls, NULL, 0), -EINVAL);
	assert_int_equal(k1s_fsel_parse("x=y", fields, &fs, NULL, 0), -EINVAL);
	/* Control and non-UTF-8 bytes are quoted the way Go quotes them. */
	lerr("a\x01\xff", "unable to parse requirement: <nil>: Invalid value: \"a\\x01\\xff\": "
	                  "name part " QNAME_MSG);
	lerr("a=\xc3\xa9", "unable to parse requirement: values[0][a]: Invalid value: "
	                   "\"\xc3\xa9\": " VALUE_MSG);
	k1s_lsel_free(NULL);
	k1s_fsel_free(NULL);
	assert_true(k1s_lsel_match(NULL, NULL));
	assert_true(k1s_fsel_match(NULL, NULL));
}

/* --- metav1.LabelSelector */

static int from_json(const char *text, struct k1s_lsel **s, char *err, size_t len)
{
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	int rc;

	if (text)
		assert_non_null(j);
	rc = k1s_lsel_from_json(j, s, err, len);
	json_decref(j);
	return rc;
}

static bool jmatch(const char *sel, const char *labels)
{
	struct k1s_lsel *s = NULL;
	json_t *l = json_loads(labels, 0, NULL);
	char err[512] = "";
	bool m;

	assert_non_null(l);
	if (from_json(sel, &s, err, sizeof(err)) != 0)
		fail_msg("LabelSelector %s rejected: %s", sel ? sel : "NULL", err);
	m = k1s_lsel_match(s, l);
	k1s_lsel_free(s);
	json_decref(l);
	return m;
}

static void jerr(const char *sel, const char *want)
{
	struct k1s_lsel *s = (struct k1s_lsel *)1;
	char err[2048] = "";

	assert_int_equal(from_json(sel, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_string_equal(err, want);
}

static void label_selector_json(void **state)
{
	const char *web = "{\"app\":\"web\",\"env\":\"prod\"}";

	assert_true(jmatch(NULL, web));
	assert_true(jmatch("{}", web));
	assert_true(jmatch("{}", "{}"));
	assert_true(jmatch("null", web));
	assert_true(jmatch("{\"matchLabels\":{},\"matchExpressions\":[]}", web));
	assert_true(jmatch("{\"matchLabels\":{\"app\":\"web\"}}", web));
	assert_false(jmatch("{\"matchLabels\":{\"app\":\"web\",\"env\":\"dev\"}}", web));
	assert_true(jmatch("{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\","
	                   "\"values\":[\"dev\",\"prod\"]}]}",
	                   web));
	assert_false(jmatch("{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"NotIn\","
	                    "\"values\":[\"prod\"]}]}",
	                    web));
	assert_true(jmatch("{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"NotIn\","
	                   "\"values\":[\"db\"]}]}",
	                   web));
	assert_true(
	    jmatch("{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Exists\"}]}", web));
	assert_false(jmatch("{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"DoesNotExist\","
	                    "\"values\":[]}]}",
	                    web));
	assert_true(jmatch("{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":"
	                   "\"app.kubernetes.io/part-of\",\"operator\":\"DoesNotExist\"}]}",
	                   web));
	assert_false(jmatch("{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":"
	                    "\"env\",\"operator\":\"Exists\"},{\"key\":\"x\",\"operator\":\"In\","
	                    "\"values\":[\"y\"]}]}",
	                    web));
}

static void label_selector_json_errors(void **state)
{
	struct k1s_lsel *s = (struct k1s_lsel *)1;
	char err[256] = "";

	jerr("{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\"}]}",
	     "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't "
	     "be empty");
	jerr("{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[]}]}",
	     "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't "
	     "be empty");
	jerr("{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"Exists\",\"values\":[\"a\","
	     "\"b\"]}]}",
	     "values: Invalid value: []string{\"a\", \"b\"}: values set must be empty for exists "
	     "and "
	     "does not exist");
	jerr("{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"DoesNotExist\",\"values\":["
	     "\"a\"]}]}",
	     "values: Invalid value: []string{\"a\"}: values set must be empty for exists and "
	     "does not exist");
	jerr(
	    "{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"Equals\",\"values\":[\"a\"]}]}",
	    "\"Equals\" is not a valid label selector operator");
	jerr("{\"matchExpressions\":[{\"key\":\"env\"}]}",
	     "\"\" is not a valid label selector operator");
	jerr("{\"matchLabels\":{\"-x\":\"y\"}}",
	     "key: Invalid value: \"-x\": name part " QNAME_MSG);
	jerr("{\"matchLabels\":{\"app\":\"a b\"}}",
	     "values[0][app]: Invalid value: \"a b\": " VALUE_MSG);
	jerr("{\"matchExpressions\":[{\"key\":\"\",\"operator\":\"Exists\"}]}",
	     "key: Invalid value: \"\": name part must be non-empty; name part " QNAME_MSG);
	jerr("{\"matchExpressions\":[{\"key\":\"-k\",\"operator\":\"In\",\"values\":[\"b\",\"-a\"]}"
	     "]}",
	     "[key: Invalid value: \"-k\": name part " QNAME_MSG ", values[1][-k]: Invalid value: "
	     "\"-a\": " VALUE_MSG "]");

	assert_int_equal(from_json("{\"matchLabels\":{\"app\":1}}", &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_true(strlen(err) > 0);
	s = (struct k1s_lsel *)1;
	assert_int_equal(from_json("{\"matchLabels\":{\"a\":\"b\",\"c\":1}}", &s, err, sizeof(err)),
	                 -EINVAL);
	assert_null(s);
	s = (struct k1s_lsel *)1;
	assert_int_equal(from_json("{\"matchLabels\":{\"a\":\"b\"},\"matchExpressions\":[{\"key\":"
	                           "\"a\",\"operator\":\"In\",\"values\":[\"x\"]},7]}",
	                           &s, err, sizeof(err)),
	                 -EINVAL);
	assert_null(s);
	assert_int_equal(from_json("{\"matchLabels\":[]}", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(from_json("{\"matchExpressions\":{}}", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(from_json("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\","
	                           "\"values\":[1]}]}",
	                           &s, err, sizeof(err)),
	                 -EINVAL);
	assert_int_equal(from_json("[]", &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
}

/* --- Service selectors */

static bool mmatch(const char *map, const char *labels)
{
	struct k1s_lsel *s = NULL;
	json_t *m = map ? json_loads(map, JSON_DECODE_ANY, NULL) : NULL;
	json_t *l = json_loads(labels, 0, NULL);
	bool r;

	assert_int_equal(k1s_lsel_from_map(m, &s), 0);
	assert_non_null(s);
	r = k1s_lsel_match(s, l);
	k1s_lsel_free(s);
	json_decref(m);
	json_decref(l);
	return r;
}

static void map_selectors(void **state)
{
	struct k1s_lsel *s = (struct k1s_lsel *)1;
	json_t *j;

	assert_true(mmatch("{\"app\":\"web\"}", "{\"app\":\"web\",\"pod-template-hash\":\"abc\"}"));
	assert_false(mmatch("{\"app\":\"web\"}", "{\"app\":\"db\"}"));
	assert_false(mmatch("{\"app\":\"web\"}", "{}"));
	assert_false(mmatch("{\"app\":\"web\",\"tier\":\"fe\"}", "{\"app\":\"web\"}"));
	assert_true(
	    mmatch("{\"app\":\"web\",\"tier\":\"fe\"}", "{\"tier\":\"fe\",\"app\":\"web\"}"));
	/* A service without selector selects no pods at all. */
	assert_false(mmatch(NULL, "{}"));
	assert_false(mmatch(NULL, "{\"app\":\"web\"}"));
	assert_false(mmatch("{}", "{\"app\":\"web\"}"));
	assert_false(mmatch("null", "{}"));

	j = json_loads("{\"app\":3}", 0, NULL);
	assert_int_equal(k1s_lsel_from_map(j, &s), -EINVAL);
	assert_null(s);
	json_decref(j);
	j = json_loads("[\"app\"]", 0, NULL);
	assert_int_equal(k1s_lsel_from_map(j, &s), -EINVAL);
	assert_null(s);
	json_decref(j);
}

/* --- Field selectors */

static const char *const event_fields[] = {
    "metadata.name",
    "metadata.namespace",
    "involvedObject.kind",
    "involvedObject.name",
    "involvedObject.namespace",
    "involvedObject.uid",
    "reason",
    "type",
    "count",
    "source=source.component",
    NULL,
};

static const char event_json[] =
    "{\"metadata\":{\"name\":\"web.17a\",\"namespace\":\"default\"},"
    "\"involvedObject\":{\"kind\":\"Service\",\"name\":\"web\",\"namespace\":\"default\","
    "\"uid\":\"1-2\"},\"reason\":\"a,b=c\\\\d\",\"count\":3,"
    "\"source\":{\"component\":\"kubelet\",\"host\":\"k1s\"}}";

static bool fmatch(const char *sel, const char *obj)
{
	struct k1s_fsel *s = NULL;
	json_t *o = json_loads(obj, 0, NULL);
	char err[512] = "";
	bool m;

	assert_non_null(o);
	if (k1s_fsel_parse(sel, event_fields, &s, err, sizeof(err)) != 0)
		fail_msg("field selector '%s' rejected: %s", sel, err);
	assert_non_null(s);
	m = k1s_fsel_match(s, o);
	k1s_fsel_free(s);
	json_decref(o);
	return m;
}

static void ferr(const char *sel, const char *want)
{
	struct k1s_fsel *s = (struct k1s_fsel *)1;
	char err[512] = "";

	assert_int_equal(k1s_fsel_parse(sel, event_fields, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_string_equal(err, want);
}

static void field_selectors_match(void **state)
{
	assert_true(fmatch("", event_json));
	assert_true(fmatch(",,", event_json));
	assert_true(fmatch("metadata.name=web.17a", event_json));
	assert_true(fmatch("metadata.name==web.17a", event_json));
	assert_false(fmatch("metadata.name=web", event_json));
	assert_true(fmatch("metadata.name!=web", event_json));
	assert_false(fmatch("metadata.name!=web.17a", event_json));
	assert_true(fmatch("involvedObject.name=web,involvedObject.namespace=default,"
	                   "involvedObject.kind=Service,involvedObject.uid=1-2",
	                   event_json));
	assert_false(fmatch("involvedObject.name=web,involvedObject.kind=Pod", event_json));
	/* A missing value compares as "". */
	assert_true(fmatch("type=", event_json));
	assert_false(fmatch("type!=", event_json));
	assert_false(fmatch("type=Normal", event_json));
	assert_true(fmatch("type!=Warning", event_json));
	/* A label can be served from another path. */
	assert_true(fmatch("source=kubelet", event_json));
	assert_false(fmatch("source=k1s", event_json));
	/* Numbers compare in their decimal form. */
	assert_true(fmatch("count=3", event_json));
	assert_false(fmatch("count=03", event_json));
	/* Escaped values. */
	assert_true(fmatch("reason=a\\,b\\=c\\\\d", event_json));
	assert_false(fmatch("reason=a\\,b", event_json));
	assert_true(fmatch("reason!=a\\,b,metadata.namespace=default", event_json));
}

static void field_selector_errors(void **state)
{
	struct k1s_fsel *s = (struct k1s_fsel *)1;
	char err[128] = "";

	ferr("spec.foo=bar", "field label not supported: spec.foo");
	ferr("metadata.name=x,spec.nodeName=n", "field label not supported: spec.nodeName");
	/* Terms are taken in sorted order, so the first in that order is blamed. */
	ferr("zz=1,aa=2", "field label not supported: aa");
	ferr("metadata.name = x", "field label not supported: metadata.name ");
	ferr("source.component=kubelet", "field label not supported: source.component");
	ferr("metadata.name",
	     "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
	ferr("metadata.name=a,b", "invalid selector: 'metadata.name=a,b'; can't understand 'b'");
	/* Every term parses before any label is checked. */
	ferr("aa=1,zz", "invalid selector: 'aa=1,zz'; can't understand 'zz'");
	ferr("metadata.name=a=b", "invalid field selector: unescaped character in value: 61");
	ferr("metadata.name=a\\x", "invalid field selector: invalid escape sequence: \\x");
	ferr("metadata.name=a\\", "invalid field selector: invalid escape sequence: \\");
	ferr("metadata.name==a=", "invalid field selector: unescaped character in value: 61");
	ferr("metadata.name!==a", "invalid field selector: unescaped character in value: 61");

	assert_int_equal(k1s_fsel_parse("metadata.name=x", NULL, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_string_equal(err, "field label not supported: metadata.name");
}

static void field_selector_pod_fields(void **state)
{
	const char *const pod_fields[] = {"metadata.name", "spec.nodeName", "status.phase", NULL};
	json_t *pod =
	    json_loads("{\"metadata\":{\"name\":\"api-1\"},\"spec\":{\"nodeName\":\"k1s\"},"
	               "\"status\":{\"phase\":\"Running\"}}",
	               0, NULL);
	json_t *pending = json_loads("{\"metadata\":{\"name\":\"api-2\"},\"status\":{\"phase\":"
	                             "\"Pending\"}}",
	                             0, NULL);
	struct k1s_fsel *s;
	char err[128];

	assert_int_equal(k1s_fsel_parse("spec.nodeName=k1s,status.phase!=Failed", pod_fields, &s,
	                                err, sizeof(err)),
	                 0);
	assert_true(k1s_fsel_match(s, pod));
	assert_false(k1s_fsel_match(s, pending));
	k1s_fsel_free(s);
	assert_int_equal(k1s_fsel_parse("spec.nodeName=", pod_fields, &s, err, sizeof(err)), 0);
	assert_false(k1s_fsel_match(s, pod));
	assert_true(k1s_fsel_match(s, pending));
	assert_true(k1s_fsel_match(s, NULL));
	k1s_fsel_free(s);
	json_decref(pod);
	json_decref(pending);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(empty_selector_matches_everything),
	    cmocka_unit_test(equality_operators),
	    cmocka_unit_test(set_operators),
	    cmocka_unit_test(existence_operators),
	    cmocka_unit_test(numeric_operators),
	    cmocka_unit_test(requirements_are_anded),
	    cmocka_unit_test(prefixed_keys_and_whitespace),
	    cmocka_unit_test(syntax_errors),
	    cmocka_unit_test(invalid_keys),
	    cmocka_unit_test(invalid_values),
	    cmocka_unit_test(many_bad_values),
	    cmocka_unit_test(caps_and_odd_input),
	    cmocka_unit_test(label_selector_json),
	    cmocka_unit_test(label_selector_json_errors),
	    cmocka_unit_test(map_selectors),
	    cmocka_unit_test(field_selectors_match),
	    cmocka_unit_test(field_selector_errors),
	    cmocka_unit_test(field_selector_pod_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
