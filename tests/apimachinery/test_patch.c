/* The four patch kinds: RFC 7386, RFC 6902, strategic merge patch and
 * server-side apply, against small type tables that mirror the parts of
 * Service, Deployment and ObjectMeta that matter for patching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "k1s_json.h"
#include "k1s_patch.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- type tables ---- */

static const struct k1s_field ownerref_f[] = {
	{.name = "apiVersion", .type = K1S_T_STRING},
	{.name = "kind", .type = K1S_T_STRING},
	{.name = "name", .type = K1S_T_STRING},
	{.name = "uid", .type = K1S_T_STRING},
	{.name = "controller", .type = K1S_T_BOOL},
};
static const struct k1s_type t_ownerref = {"OwnerReference", "", ownerref_f, N(ownerref_f)};

static const struct k1s_field meta_f[] = {
	{.name = "name", .type = K1S_T_STRING},
	{.name = "namespace", .type = K1S_T_STRING},
	{.name = "uid", .type = K1S_T_STRING},
	{.name = "resourceVersion", .type = K1S_T_STRING},
	{.name = "labels", .type = K1S_T_STRING, .container = K1S_C_MAP},
	{.name = "annotations", .type = K1S_T_STRING, .container = K1S_C_MAP},
	{.name = "finalizers", .type = K1S_T_STRING, .container = K1S_C_LIST,
	 .flags = K1S_FF_MERGE_PRIMITIVES},
	{.name = "ownerReferences", .type = K1S_T_OBJECT, .container = K1S_C_LIST,
	 .ref = &t_ownerref, .merge_key = "uid", .list_map_keys = "uid"},
	{.name = "managedFields", .type = K1S_T_ANY, .container = K1S_C_LIST},
};
static const struct k1s_type t_meta = {"ObjectMeta", "", meta_f, N(meta_f)};

static const struct k1s_field svcport_f[] = {
	{.name = "name", .type = K1S_T_STRING},
	{.name = "protocol", .type = K1S_T_STRING},
	{.name = "port", .type = K1S_T_INT32},
	{.name = "targetPort", .type = K1S_T_INT_OR_STRING},
	{.name = "nodePort", .type = K1S_T_INT32},
};
static const struct k1s_type t_svcport = {"ServicePort", "", svcport_f, N(svcport_f)};

static const struct k1s_field svcspec_f[] = {
	{.name = "ports", .type = K1S_T_OBJECT, .container = K1S_C_LIST, .ref = &t_svcport,
	 .merge_key = "port", .list_map_keys = "port,protocol"},
	{.name = "selector", .type = K1S_T_STRING, .container = K1S_C_MAP},
	{.name = "type", .type = K1S_T_STRING},
	{.name = "clusterIP", .type = K1S_T_STRING},
	{.name = "clusterIPs", .type = K1S_T_STRING, .container = K1S_C_LIST},
};
static const struct k1s_type t_svcspec = {"ServiceSpec", "", svcspec_f, N(svcspec_f)};

static const struct k1s_field svc_f[] = {
	{.name = "apiVersion", .type = K1S_T_STRING},
	{.name = "kind", .type = K1S_T_STRING},
	{.name = "metadata", .type = K1S_T_OBJECT, .ref = &t_meta},
	{.name = "spec", .type = K1S_T_OBJECT, .ref = &t_svcspec},
	{.name = "status", .type = K1S_T_ANY},
};
static const struct k1s_type t_service = {"Service", "", svc_f, N(svc_f)};

static const struct k1s_field env_f[] = {
	{.name = "name", .type = K1S_T_STRING},
	{.name = "value", .type = K1S_T_STRING},
	{.name = "valueFrom", .type = K1S_T_ANY},
};
static const struct k1s_type t_env = {"EnvVar", "", env_f, N(env_f)};

static const struct k1s_field cport_f[] = {
	{.name = "name", .type = K1S_T_STRING},
	{.name = "containerPort", .type = K1S_T_INT32},
	{.name = "protocol", .type = K1S_T_STRING},
};
static const struct k1s_type t_cport = {"ContainerPort", "", cport_f, N(cport_f)};

static const struct k1s_field container_f[] = {
	{.name = "name", .type = K1S_T_STRING},
	{.name = "image", .type = K1S_T_STRING},
	{.name = "args", .type = K1S_T_STRING, .container = K1S_C_LIST},
	{.name = "env", .type = K1S_T_OBJECT, .container = K1S_C_LIST, .ref = &t_env,
	 .merge_key = "name", .list_map_keys = "name"},
	{.name = "ports", .type = K1S_T_OBJECT, .container = K1S_C_LIST, .ref = &t_cport,
	 .merge_key = "containerPort", .list_map_keys = "containerPort,protocol"},
};
static const struct k1s_type t_container = {"Container", "", container_f, N(container_f)};

static const struct k1s_field podspec_f[] = {
	{.name = "containers", .type = K1S_T_OBJECT, .container = K1S_C_LIST,
	 .ref = &t_container, .merge_key = "name", .list_map_keys = "name"},
	{.name = "restartPolicy", .type = K1S_T_STRING},
};
static const struct k1s_type t_podspec = {"PodSpec", "", podspec_f, N(podspec_f)};

static const struct k1s_field template_f[] = {
	{.name = "metadata", .type = K1S_T_OBJECT, .ref = &t_meta},
	{.name = "spec", .type = K1S_T_OBJECT, .ref = &t_podspec},
};
static const struct k1s_type t_template = {"PodTemplateSpec", "", template_f, N(template_f)};

static const struct k1s_field rolling_f[] = {
	{.name = "maxSurge", .type = K1S_T_INT_OR_STRING},
	{.name = "maxUnavailable", .type = K1S_T_INT_OR_STRING},
};
static const struct k1s_type t_rolling = {"RollingUpdateDeployment", "", rolling_f, N(rolling_f)};

static const struct k1s_field strategy_f[] = {
	{.name = "type", .type = K1S_T_STRING},
	{.name = "rollingUpdate", .type = K1S_T_OBJECT, .ref = &t_rolling},
};
static const struct k1s_type t_strategy = {"DeploymentStrategy", "", strategy_f, N(strategy_f)};

static const struct k1s_field selector_f[] = {
	{.name = "matchLabels", .type = K1S_T_STRING, .container = K1S_C_MAP},
};
static const struct k1s_type t_selector = {"LabelSelector", "", selector_f, N(selector_f)};

static const struct k1s_field deployspec_f[] = {
	{.name = "replicas", .type = K1S_T_INT32},
	{.name = "selector", .type = K1S_T_OBJECT, .ref = &t_selector, .flags = K1S_FF_REPLACE},
	{.name = "template", .type = K1S_T_OBJECT, .ref = &t_template},
	{.name = "strategy", .type = K1S_T_OBJECT, .ref = &t_strategy,
	 .flags = K1S_FF_RETAIN_KEYS},
};
static const struct k1s_type t_deployspec = {"DeploymentSpec", "", deployspec_f,
					     N(deployspec_f)};

static const struct k1s_field deploy_f[] = {
	{.name = "apiVersion", .type = K1S_T_STRING},
	{.name = "kind", .type = K1S_T_STRING},
	{.name = "metadata", .type = K1S_T_OBJECT, .ref = &t_meta},
	{.name = "spec", .type = K1S_T_OBJECT, .ref = &t_deployspec},
	{.name = "status", .type = K1S_T_ANY},
};
static const struct k1s_type t_deploy = {"Deployment", "", deploy_f, N(deploy_f)};

/* ---- helpers ---- */

enum kind { MERGE, JSONP, SMP };

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &e);

	if (!v)
		fail_msg("bad test JSON at %d: %s\n%s", e.position, e.text, s);
	return v;
}

/* Compares with numbers by value and objects regardless of member order. */
static bool same(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal(a, b);
}

static void assert_json(const json_t *got, const char *want)
{
	json_t *w = parse(want);
	bool eq = same(got, w);

	if (!eq) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *x = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

		print_error("got  %s\nwant %s\n", g, x);
		free(g);
		free(x);
	}
	json_decref(w);
	assert_true(eq);
}

/* Order matters for lists: compare the compact dumps as well. */
static void assert_json_exact(const json_t *got, const char *want)
{
	json_t *w = parse(want);
	char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	char *x = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	bool eq = g && x && strcmp(g, x) == 0;

	if (!eq)
		print_error("got  %s\nwant %s\n", g, x);
	free(g);
	free(x);
	json_decref(w);
	assert_true(eq);
}

static int run(enum kind k, json_t **doc, const char *patch, const struct k1s_type *t, char *err,
	       size_t errlen)
{
	json_t *p = parse(patch);
	int rc;

	switch (k) {
	case MERGE:
		rc = k1s_patch_merge(doc, p, err, errlen);
		break;
	case JSONP:
		rc = k1s_patch_json(doc, p, err, errlen);
		break;
	default:
		rc = k1s_patch_strategic(doc, p, t, err, errlen);
		break;
	}
	json_decref(p);
	return rc;
}

/* Patches doc with patch and expects `want`. */
static void ok(enum kind k, const struct k1s_type *t, const char *doc, const char *patch,
	       const char *want)
{
	json_t *d = parse(doc);
	char err[256] = "";
	int rc = run(k, &d, patch, t, err, sizeof(err));

	if (rc != 0)
		fail_msg("patch %s failed: %d %s", patch, rc, err);
	assert_json_exact(d, want);
	json_decref(d);
}

/* Patches doc with patch and expects error rc, with doc untouched and a
 * message. */
static void bad(enum kind k, const struct k1s_type *t, const char *doc, const char *patch, int want)
{
	json_t *d = parse(doc), *orig = json_deep_copy(d), *before = d;
	char err[256] = "";
	int rc = run(k, &d, patch, t, err, sizeof(err));

	if (rc != want)
		fail_msg("patch %s: got %d (%s), want %d", patch, rc, err, want);
	assert_ptr_equal(d, before);
	assert_true(json_equal(d, orig));
	assert_true(err[0] != '\0');
	json_decref(d);
	json_decref(orig);
}

/* True if no object in v has a key starting with '$'. */
static bool no_directives(const json_t *v)
{
	const char *k;
	json_t *e;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
			if (k[0] == '$' || !no_directives(e))
				return false;
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			if (!no_directives(json_array_get(v, i)))
				return false;
	}
	return true;
}

/* ---- RFC 7386 ---- */

static void merge_rfc7386_examples(void **state)
{
	/* RFC 7386 appendix A */
	ok(MERGE, NULL, "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	ok(MERGE, NULL, "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
	ok(MERGE, NULL, "{\"a\":\"b\"}", "{\"a\":null}", "{}");
	ok(MERGE, NULL, "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
	ok(MERGE, NULL, "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	ok(MERGE, NULL, "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
	ok(MERGE, NULL, "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
	   "{\"a\":{\"b\":\"d\"}}");
	ok(MERGE, NULL, "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
	ok(MERGE, NULL, "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
	ok(MERGE, NULL, "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
	ok(MERGE, NULL, "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
	/* arrays are replaced whole, nulls inside them kept */
	ok(MERGE, NULL, "{\"a\":[1,2,3]}", "{\"a\":[null,4]}", "{\"a\":[null,4]}");
}

static void merge_kubectl_patches(void **state)
{
	/* kubectl scale, label and annotate */
	ok(MERGE, NULL, "{\"spec\":{\"replicas\":1,\"selector\":{\"app\":\"api\"}}}",
	   "{\"spec\":{\"replicas\":5}}",
	   "{\"spec\":{\"replicas\":5,\"selector\":{\"app\":\"api\"}}}");
	ok(MERGE, NULL, "{\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"}}}",
	   "{\"metadata\":{\"labels\":{\"tier\":\"fe\"}}}",
	   "{\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\",\"tier\":\"fe\"}}}");
	ok(MERGE, NULL, "{\"metadata\":{\"labels\":{\"app\":\"web\",\"tier\":\"fe\"}}}",
	   "{\"metadata\":{\"labels\":{\"tier\":null}}}",
	   "{\"metadata\":{\"labels\":{\"app\":\"web\"}}}");
}

static void merge_rejects_non_object_and_keeps_doc(void **state)
{
	bad(MERGE, NULL, "{\"a\":1}", "[1]", -EINVAL);
	bad(MERGE, NULL, "{\"a\":1}", "\"x\"", -EINVAL);
	bad(MERGE, NULL, "{\"a\":1}", "null", -EINVAL);
}

static void merge_does_not_share_patch_values(void **state)
{
	json_t *d = parse("{}"), *p = parse("{\"a\":{\"b\":[1]},\"c\":\"x\"}");
	char err[64];

	assert_int_equal(k1s_patch_merge(&d, p, err, sizeof(err)), 0);
	json_array_append_new(json_object_get(json_object_get(d, "a"), "b"), json_integer(2));
	assert_json(p, "{\"a\":{\"b\":[1]},\"c\":\"x\"}");
	json_decref(d);
	json_decref(p);

	/* a NULL document is patched as {} */
	d = NULL;
	p = parse("{\"a\":1}");
	assert_int_equal(k1s_patch_merge(&d, p, err, sizeof(err)), 0);
	assert_json(d, "{\"a\":1}");
	json_decref(d);
	json_decref(p);
}

/* ---- RFC 6902 ---- */

static void json_rfc6902_examples(void **state)
{
	/* RFC 6902 appendix A */
	ok(JSONP, NULL, "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
	   "{\"baz\":\"qux\",\"foo\":\"bar\"}");
	ok(JSONP, NULL, "{\"foo\":[\"bar\",\"baz\"]}",
	   "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
	   "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
	ok(JSONP, NULL, "{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]",
	   "{\"foo\":\"bar\"}");
	ok(JSONP, NULL, "{\"foo\":[\"bar\",\"qux\",\"baz\"]}",
	   "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]", "{\"foo\":[\"bar\",\"baz\"]}");
	ok(JSONP, NULL, "{\"baz\":\"qux\",\"foo\":\"bar\"}",
	   "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
	   "{\"baz\":\"boo\",\"foo\":\"bar\"}");
	ok(JSONP, NULL, "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
	   "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
	   "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
	ok(JSONP, NULL, "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
	   "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
	   "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}");
	ok(JSONP, NULL, "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
	   "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
	   "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
	   "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}");
	ok(JSONP, NULL, "{\"foo\":\"bar\"}",
	   "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
	   "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}");
	ok(JSONP, NULL, "{\"foo\":[\"bar\"]}",
	   "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
	   "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}");
	/* A.14: ~ escapes */
	ok(JSONP, NULL, "{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
	   "{\"/\":9,\"~1\":10}");
	ok(JSONP, NULL, "{\"a/b\":1,\"m~n\":2}",
	   "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":3},"
	   "{\"op\":\"remove\",\"path\":\"/m~0n\"}]",
	   "{\"a/b\":3}");
	/* numbers compare by value */
	ok(JSONP, NULL, "{\"n\":1}", "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.0}]",
	   "{\"n\":1}");
}

static void json_more_ops(void **state)
{
	/* copy, add at the end by index, replace the whole document */
	ok(JSONP, NULL, "{\"a\":{\"b\":[1]}}",
	   "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},"
	   "{\"op\":\"add\",\"path\":\"/c/b/1\",\"value\":2}]",
	   "{\"a\":{\"b\":[1]},\"c\":{\"b\":[1,2]}}");
	ok(JSONP, NULL, "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"b\":2}}]",
	   "{\"b\":2}");
	ok(JSONP, NULL, "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":5}]", "{\"a\":5}");
	ok(JSONP, NULL, "{\"a\":[1,2]}", "[{\"op\":\"replace\",\"path\":\"/a/0\",\"value\":9}]",
	   "{\"a\":[9,2]}");
	ok(JSONP, NULL, "{\"a\":{}}", "[{\"op\":\"test\",\"path\":\"/a/missing\",\"value\":null}]",
	   "{\"a\":{}}");
	/* kubectl patch --type=json on a Deployment */
	ok(JSONP, NULL,
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"api\",\"image\":"
	   "\"nginx:1.25\"}]}}}}",
	   "[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\","
	   "\"value\":\"nginx:1.26\"}]",
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"api\",\"image\":"
	   "\"nginx:1.26\"}]}}}}");
}

static void json_errors(void **state)
{
	const char *doc = "{\"a\":{\"b\":[1,2]},\"s\":\"x\"}";

	bad(JSONP, NULL, doc, "{\"op\":\"add\"}", -EINVAL);
	bad(JSONP, NULL, doc, "[1]", -EINVAL);
	bad(JSONP, NULL, doc, "[{\"op\":\"frob\",\"path\":\"/a\"}]", -EINVAL);
	bad(JSONP, NULL, doc, "[{\"path\":\"/a\"}]", -EINVAL);
	bad(JSONP, NULL, doc, "[{\"op\":\"remove\"}]", -EINVAL);
	bad(JSONP, NULL, doc, "[{\"op\":\"add\",\"path\":\"/x\"}]", -EINVAL);
	bad(JSONP, NULL, doc, "[{\"op\":\"move\",\"path\":\"/x\"}]", -EINVAL);
	bad(JSONP, NULL, doc, "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", -EINVAL);
	bad(JSONP, NULL, doc, "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]", -EINVAL);
	bad(JSONP, NULL, doc, "[{\"op\":\"remove\",\"path\":\"\"}]", -EINVAL);
	bad(JSONP, NULL, doc, "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/0\"}]", -EINVAL);
	/* paths that do not exist */
	bad(JSONP, NULL, doc, "[{\"op\":\"remove\",\"path\":\"/nope\"}]", -ENOENT);
	bad(JSONP, NULL, doc, "[{\"op\":\"replace\",\"path\":\"/nope\",\"value\":1}]", -ENOENT);
	bad(JSONP, NULL, doc, "[{\"op\":\"add\",\"path\":\"/x/y\",\"value\":1}]", -ENOENT);
	bad(JSONP, NULL, doc, "[{\"op\":\"add\",\"path\":\"/a/b/3\",\"value\":1}]", -ENOENT);
	bad(JSONP, NULL, doc, "[{\"op\":\"add\",\"path\":\"/a/b/01\",\"value\":1}]", -ENOENT);
	bad(JSONP, NULL, doc, "[{\"op\":\"replace\",\"path\":\"/a/b/-\",\"value\":1}]", -ENOENT);
	bad(JSONP, NULL, doc, "[{\"op\":\"add\",\"path\":\"/s/x\",\"value\":1}]", -ENOENT);
	bad(JSONP, NULL, doc, "[{\"op\":\"copy\",\"from\":\"/q\",\"path\":\"/x\"}]", -ENOENT);
	bad(JSONP, NULL, doc, "[{\"op\":\"test\",\"path\":\"/q/r\",\"value\":1}]", -ENOENT);
	/* failed tests */
	bad(JSONP, NULL, doc, "[{\"op\":\"test\",\"path\":\"/s\",\"value\":\"y\"}]", -ECANCELED);
	bad(JSONP, NULL, doc, "[{\"op\":\"test\",\"path\":\"/a/b\",\"value\":[2,1]}]", -ECANCELED);
	bad(JSONP, NULL, doc, "[{\"op\":\"test\",\"path\":\"/a/c\",\"value\":1}]", -ECANCELED);
}

static void json_is_atomic(void **state)
{
	/* the first operations succeed, the last fails: nothing is applied */
	bad(JSONP, NULL, "{\"a\":1,\"l\":[1]}",
	    "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},"
	    "{\"op\":\"remove\",\"path\":\"/l/0\"},"
	    "{\"op\":\"replace\",\"path\":\"/a\",\"value\":9},"
	    "{\"op\":\"test\",\"path\":\"/a\",\"value\":1}]",
	    -ECANCELED);
}

static void json_copy_bomb_is_refused(void **state)
{
	char ops[8192];
	size_t len = 0;

	/* each copy doubles the document: 40 of them would need 2^40 nodes */
	len += (size_t)snprintf(ops + len, sizeof(ops) - len,
				"[{\"op\":\"add\",\"path\":\"/a\",\"value\":[1,2,3,4]}");
	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(ops + len, sizeof(ops) - len,
					",{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/0\"}");
	snprintf(ops + len, sizeof(ops) - len, "]");
	bad(JSONP, NULL, "{}", ops, -EINVAL);
}

/* ---- strategic merge patch: the patches kubectl sends (wire §4.3) ---- */

#define LAC "kubectl.kubernetes.io/last-applied-configuration"

static const char *svc_live =
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
	"\"namespace\":\"default\",\"annotations\":{\"" LAC "\":\"old\"},\"labels\":{\"app\":\"web\"}},"
	"\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"name\":\"http\",\"port\":80,"
	"\"protocol\":\"TCP\",\"targetPort\":8080}],\"selector\":{\"app\":\"web\"},"
	"\"type\":\"ClusterIP\"}}";

static void smp_kubectl_change_target_port(void **state)
{
	json_t *d = parse(svc_live);
	char err[256] = "";

	assert_int_equal(run(SMP, &d,
			     "{\"metadata\":{\"annotations\":{\"" LAC "\":\"new\"}},"
			     "\"spec\":{\"$setElementOrder/ports\":[{\"port\":80}],"
			     "\"ports\":[{\"port\":80,\"targetPort\":9090}]}}",
			     &t_service, err, sizeof(err)),
			 0);
	assert_json_exact(json_object_get(d, "spec"),
			  "{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"name\":\"http\",\"port\":80,"
			  "\"protocol\":\"TCP\",\"targetPort\":9090}],\"selector\":{\"app\":\"web\"},"
			  "\"type\":\"ClusterIP\"}");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(d, "metadata"), "annotations"), LAC)),
			    "new");
	assert_string_equal(k1s_json_str(d, "metadata.name"), "web");
	assert_true(no_directives(d));
	json_decref(d);
}

static void smp_kubectl_remove_port(void **state)
{
	ok(SMP, &t_service,
	   "{\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\","
	   "\"targetPort\":8080},{\"name\":\"alt\",\"port\":81,\"protocol\":\"TCP\","
	   "\"targetPort\":8081}],\"selector\":{\"app\":\"web\"}}}",
	   "{\"spec\":{\"$setElementOrder/ports\":[{\"port\":80}],"
	   "\"ports\":[{\"$patch\":\"delete\",\"port\":81}],\"selector\":{\"app\":\"web2\"}}}",
	   "{\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\","
	   "\"targetPort\":8080}],\"selector\":{\"app\":\"web2\"}}}");
}

static const char *deploy_live =
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\"},"
	"\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"api\"}},"
	"\"template\":{\"metadata\":{\"labels\":{\"app\":\"api\"}},\"spec\":{\"containers\":["
	"{\"name\":\"api\",\"image\":\"nginx:1.25\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}]}}}}";

static void smp_kubectl_drop_replicas_and_env(void **state)
{
	ok(SMP, &t_deploy, deploy_live,
	   "{\"spec\":{\"replicas\":null,\"template\":{\"spec\":{\"$setElementOrder/containers\":"
	   "[{\"name\":\"api\"}],\"containers\":[{\"env\":null,\"name\":\"api\"}]}}}}",
	   "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\"},"
	   "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"api\"}},"
	   "\"template\":{\"metadata\":{\"labels\":{\"app\":\"api\"}},\"spec\":{\"containers\":["
	   "{\"name\":\"api\",\"image\":\"nginx:1.25\"}]}}}}");
}

static void smp_kubectl_image_and_env(void **state)
{
	ok(SMP, &t_deploy, deploy_live,
	   "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"api\"}],"
	   "\"containers\":[{\"$setElementOrder/env\":[{\"name\":\"A\"}],\"env\":[{\"name\":\"A\","
	   "\"value\":\"2\"}],\"image\":\"nginx:1.26\",\"name\":\"api\"}]}}}}",
	   "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\"},"
	   "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"api\"}},"
	   "\"template\":{\"metadata\":{\"labels\":{\"app\":\"api\"}},\"spec\":{\"containers\":["
	   "{\"name\":\"api\",\"image\":\"nginx:1.26\",\"env\":[{\"name\":\"A\",\"value\":\"2\"}]}]}}}}");
}

static void smp_kubectl_rollout_restart(void **state)
{
	ok(SMP, &t_deploy,
	   "{\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"api\"}}}}}",
	   "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/"
	   "restartedAt\":\"2025-01-01T12:00:00Z\"}}}}}",
	   "{\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"api\"},\"annotations\":"
	   "{\"kubectl.kubernetes.io/restartedAt\":\"2025-01-01T12:00:00Z\"}}}}}");
}

/* ---- strategic merge patch: rules and directives ---- */

static const char *two_containers =
	"{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"ia\","
	"\"args\":[\"x\",\"y\"]},{\"name\":\"b\",\"image\":\"ib\"}]}}}}";

static void smp_merge_list_by_key(void **state)
{
	/* the named item merges, the others stay; without $setElementOrder
	 * the patch's items keep the patch's order and go before server items
	 * that followed them, as strategicpatch interleaves the two */
	ok(SMP, &t_deploy, two_containers,
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"ic\"},"
	   "{\"name\":\"a\",\"image\":\"ia2\"}]}}}}",
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"ic\"},"
	   "{\"name\":\"a\",\"image\":\"ia2\",\"args\":[\"x\",\"y\"]},{\"name\":\"b\","
	   "\"image\":\"ib\"}]}}}}");
	ok(SMP, &t_deploy, two_containers,
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"ib2\"},"
	   "{\"name\":\"c\",\"image\":\"ic\"}]}}}}",
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"ia\","
	   "\"args\":[\"x\",\"y\"]},{\"name\":\"b\",\"image\":\"ib2\"},{\"name\":\"c\","
	   "\"image\":\"ic\"}]}}}}");
	/* lists without a merge key are replaced */
	ok(SMP, &t_deploy, two_containers,
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"z\"]}]}}}}",
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"ia\","
	   "\"args\":[\"z\"]},{\"name\":\"b\",\"image\":\"ib\"}]}}}}");
	/* nested merge lists: container ports by containerPort */
	ok(SMP, &t_deploy,
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":["
	   "{\"containerPort\":80,\"name\":\"http\"}]}]}}}}",
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":["
	   "{\"containerPort\":443,\"name\":\"https\"}]}]}}}}",
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":["
	   "{\"containerPort\":443,\"name\":\"https\"},{\"containerPort\":80,\"name\":\"http\"}]}]}}}}");
}

static void smp_set_element_order(void **state)
{
	ok(SMP, &t_deploy, two_containers,
	   "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},"
	   "{\"name\":\"a\"}],\"containers\":[{\"name\":\"b\",\"image\":\"ib2\"}]}}}}",
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"ib2\"},"
	   "{\"name\":\"a\",\"image\":\"ia\",\"args\":[\"x\",\"y\"]}]}}}}");
	/* the order alone, without the list, reorders too */
	ok(SMP, &t_deploy, two_containers,
	   "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},"
	   "{\"name\":\"a\"}]}}}}",
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"ib\"},"
	   "{\"name\":\"a\",\"image\":\"ia\",\"args\":[\"x\",\"y\"]}]}}}}");
	/* an item the order does not name keeps its place relative to the
	 * server's items, as strategicpatch interleaves them */
	ok(SMP, &t_service,
	   "{\"spec\":{\"ports\":[{\"port\":1},{\"port\":2},{\"port\":3}]}}",
	   "{\"spec\":{\"$setElementOrder/ports\":[{\"port\":1},{\"port\":3},{\"port\":4}],"
	   "\"ports\":[{\"port\":4}]}}",
	   "{\"spec\":{\"ports\":[{\"port\":1},{\"port\":2},{\"port\":3},{\"port\":4}]}}");
	/* a server-only item goes after the patch's new item, as the live
	 * list's order, not the merged one's, decides */
	ok(SMP, &t_service, "{\"spec\":{\"ports\":[{\"port\":1},{\"port\":9}]}}",
	   "{\"spec\":{\"$setElementOrder/ports\":[{\"port\":1},{\"port\":2}],"
	   "\"ports\":[{\"port\":2}]}}",
	   "{\"spec\":{\"ports\":[{\"port\":1},{\"port\":2},{\"port\":9}]}}");
	/* a patch list out of step with its order list is malformed */
	bad(SMP, &t_service, "{\"spec\":{\"ports\":[{\"port\":1}]}}",
	    "{\"spec\":{\"$setElementOrder/ports\":[{\"port\":1},{\"port\":2}],"
	    "\"ports\":[{\"port\":2},{\"port\":1}]}}",
	    -EINVAL);
	bad(SMP, &t_service, "{\"spec\":{\"ports\":[{\"port\":1}]}}",
	    "{\"spec\":{\"$setElementOrder/ports\":{\"port\":1}}}", -EINVAL);
}

static void smp_patch_directives(void **state)
{
	/* $patch: replace in a map */
	ok(SMP, &t_deploy,
	   "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1}}}}",
	   "{\"spec\":{\"strategy\":{\"$patch\":\"replace\",\"type\":\"Recreate\"}}}",
	   "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}");
	/* $patch: delete in a map */
	ok(SMP, &t_deploy, "{\"spec\":{\"replicas\":2,\"strategy\":{\"type\":\"Recreate\"}}}",
	   "{\"spec\":{\"strategy\":{\"$patch\":\"delete\"}}}",
	   "{\"spec\":{\"replicas\":2,\"strategy\":{}}}");
	/* $patch: merge is a plain merge */
	ok(SMP, &t_deploy, "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}",
	   "{\"spec\":{\"strategy\":{\"$patch\":\"merge\",\"rollingUpdate\":{\"maxSurge\":1}}}}",
	   "{\"spec\":{\"strategy\":{\"type\":\"Recreate\",\"rollingUpdate\":{\"maxSurge\":1}}}}");
	/* $patch: replace in a list */
	ok(SMP, &t_deploy, two_containers,
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"$patch\":\"replace\"},"
	   "{\"name\":\"c\",\"image\":\"ic\"}]}}}}",
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"ic\"}]}}}}");
	/* $patch: delete in a list, of every item with that key */
	ok(SMP, &t_deploy, two_containers,
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"$patch\":\"delete\","
	   "\"name\":\"a\"}]}}}}",
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"ib\"}]}}}}");
	/* $patch: merge in a list item */
	ok(SMP, &t_deploy, two_containers,
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"$patch\":\"merge\","
	   "\"name\":\"b\",\"image\":\"ib3\"}]}}}}",
	   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"ia\","
	   "\"args\":[\"x\",\"y\"]},{\"name\":\"b\",\"image\":\"ib3\"}]}}}}");
}

static void smp_retain_keys(void **state)
{
	ok(SMP, &t_deploy,
	   "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1}}}}",
	   "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"}}}",
	   "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}");
	ok(SMP, &t_deploy, "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}",
	   "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\",\"rollingUpdate\"],"
	   "\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":\"25%\"}}}}",
	   "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":"
	   "\"25%\"}}}}");
	/* the patch may not set a key it does not retain */
	bad(SMP, &t_deploy, "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}",
	    "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"rollingUpdate\":{}}}}", -EINVAL);
	bad(SMP, &t_deploy, "{\"spec\":{\"strategy\":{}}}",
	    "{\"spec\":{\"strategy\":{\"$retainKeys\":\"type\"}}}", -EINVAL);
}

static void smp_primitive_lists(void **state)
{
	/* finalizers merge as a set */
	ok(SMP, &t_service, "{\"metadata\":{\"finalizers\":[\"a\",\"x\"]}}",
	   "{\"metadata\":{\"finalizers\":[\"b\",\"a\"]}}",
	   "{\"metadata\":{\"finalizers\":[\"b\",\"a\",\"x\"]}}");
	ok(SMP, &t_service, "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}",
	   "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\",\"z\"]}}",
	   "{\"metadata\":{\"finalizers\":[\"a\",\"c\"]}}");
	/* what kubectl sends when a manifest swaps b for d */
	ok(SMP, &t_service, "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	   "{\"metadata\":{\"$setElementOrder/finalizers\":[\"a\",\"d\"],"
	   "\"$deleteFromPrimitiveList/finalizers\":[\"b\"],\"finalizers\":[\"d\"]}}",
	   "{\"metadata\":{\"finalizers\":[\"a\",\"d\"]}}");
	/* other primitive lists are replaced */
	ok(SMP, &t_service, "{\"spec\":{\"clusterIPs\":[\"10.0.0.1\"]}}",
	   "{\"spec\":{\"clusterIPs\":[\"10.0.0.2\"]}}", "{\"spec\":{\"clusterIPs\":[\"10.0.0.2\"]}}");
	bad(SMP, &t_service, "{\"metadata\":{\"finalizers\":[\"a\"]}}",
	    "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":\"a\"}}", -EINVAL);
}

static void smp_owner_references_by_uid(void **state)
{
	ok(SMP, &t_service,
	   "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"1\",\"name\":\"a\"},{\"uid\":\"2\","
	   "\"name\":\"b\"}]}}",
	   "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"2\",\"controller\":true},"
	   "{\"$patch\":\"delete\",\"uid\":\"1\"}]}}",
	   "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"2\",\"name\":\"b\",\"controller\":true}]}}");
}

static void smp_maps_and_nulls(void **state)
{
	ok(SMP, &t_service,
	   "{\"metadata\":{\"labels\":{\"app\":\"web\",\"tier\":\"fe\"}},\"spec\":{\"type\":\"NodePort\"}}",
	   "{\"metadata\":{\"labels\":{\"tier\":null,\"env\":\"prod\"}},\"spec\":{\"type\":null}}",
	   "{\"metadata\":{\"labels\":{\"app\":\"web\",\"env\":\"prod\"}},\"spec\":{}}");
	/* nulls inside new values are dropped, not stored */
	ok(SMP, &t_service, "{}", "{\"metadata\":{\"labels\":{\"a\":null,\"b\":\"1\"}}}",
	   "{\"metadata\":{\"labels\":{\"b\":\"1\"}}}");
	/* a value of another type is replaced */
	ok(SMP, &t_service, "{\"spec\":{\"ports\":\"junk\"}}",
	   "{\"spec\":{\"ports\":[{\"port\":80}]}}", "{\"spec\":{\"ports\":[{\"port\":80}]}}");
	/* a replace-strategy struct is replaced */
	ok(SMP, &t_deploy, "{\"spec\":{\"selector\":{\"matchLabels\":{\"a\":\"1\"}}}}",
	   "{\"spec\":{\"selector\":{\"matchLabels\":{\"b\":\"2\"}}}}",
	   "{\"spec\":{\"selector\":{\"matchLabels\":{\"b\":\"2\"}}}}");
}

static void smp_unknown_type_is_merge_patch(void **state)
{
	/* no type at all */
	ok(SMP, NULL, "{\"a\":{\"b\":1,\"c\":2},\"l\":[{\"name\":\"x\",\"v\":1}]}",
	   "{\"a\":{\"b\":null,\"d\":3},\"l\":[{\"name\":\"x\",\"w\":2}]}",
	   "{\"a\":{\"c\":2,\"d\":3},\"l\":[{\"name\":\"x\",\"w\":2}]}");
	/* a field missing from the table: status of a Service is free-form */
	ok(SMP, &t_service, "{\"status\":{\"conditions\":[{\"type\":\"A\"}],\"x\":1}}",
	   "{\"status\":{\"conditions\":[{\"type\":\"B\"}]}}",
	   "{\"status\":{\"conditions\":[{\"type\":\"B\"}],\"x\":1}}");
	ok(SMP, &t_service, "{\"spec\":{}}", "{\"spec\":{\"newField\":{\"k\":\"v\"}}}",
	   "{\"spec\":{\"newField\":{\"k\":\"v\"}}}");
}

static void smp_directives_never_remain(void **state)
{
	json_t *d = parse(two_containers);
	char err[256] = "";

	/* directives inside values that have no counterpart in the live object */
	int rc = run(SMP, &d,
		    "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":"
		    "\"a\"},{\"name\":\"b\"},{\"name\":\"n\"}],\"containers\":[{\"name\":\"n\","
		    "\"$setElementOrder/env\":[{\"name\":\"E\"}],\"env\":[{\"name\":\"E\",\"value\":"
		    "\"1\"},{\"$patch\":\"delete\",\"name\":\"F\"}],\"ports\":[{\"$patch\":\"replace\"},"
		    "{\"containerPort\":80}]}]},\"metadata\":{\"$patch\":\"replace\",\"labels\":{"
		    "\"a\":\"b\"}}},\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"},"
		    "\"newThing\":{\"$patch\":\"merge\",\"x\":[{\"$patch\":\"delete\"}]}}}",
		    &t_deploy, err, sizeof(err));

	assert_string_equal(err, "");
	assert_int_equal(rc, 0);
	assert_true(no_directives(d));
	assert_json_exact(d,
			  "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\","
			  "\"image\":\"ia\",\"args\":[\"x\",\"y\"]},{\"name\":\"b\",\"image\":"
			  "\"ib\"},{\"name\":\"n\",\"env\":[{\"name\":\"E\",\"value\":\"1\"}],"
			  "\"ports\":[{\"containerPort\":80}]}]},\"metadata\":{\"labels\":{\"a\":"
			  "\"b\"}}},\"strategy\":{\"type\":\"Recreate\"},\"newThing\":{\"x\":[{}]}}}");
	json_decref(d);
}

static void smp_errors(void **state)
{
	bad(SMP, &t_service, svc_live, "[]", -EINVAL);
	bad(SMP, &t_service, svc_live, "\"spec\"", -EINVAL);
	bad(SMP, &t_service, svc_live, "{\"spec\":{\"$patch\":\"frob\"}}", -EINVAL);
	bad(SMP, &t_service, svc_live, "{\"spec\":{\"$patch\":1}}", -EINVAL);
	bad(SMP, &t_service, svc_live, "{\"spec\":{\"ports\":[{\"$patch\":\"frob\",\"port\":80}]}}",
	    -EINVAL);
	/* merge key missing from a patch item, or from a delete */
	bad(SMP, &t_service, svc_live, "{\"spec\":{\"ports\":[{\"targetPort\":1}]}}", -EINVAL);
	bad(SMP, &t_service, svc_live, "{\"spec\":{\"ports\":[{\"$patch\":\"delete\"}]}}", -EINVAL);
	/* a merge list of mixed items */
	bad(SMP, &t_service, svc_live, "{\"spec\":{\"ports\":[{\"port\":80},5]}}", -EINVAL);
	/* the error deep in a list leaves the document untouched */
	bad(SMP, &t_deploy, deploy_live,
	    "{\"spec\":{\"replicas\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":\"api\","
	    "\"env\":[{\"value\":\"x\"}]}]}}}}",
	    -EINVAL);
}

/* ---- server-side apply ---- */

static json_t *mf_entry(const json_t *obj, const char *manager)
{
	json_t *mf = json_object_get(json_object_get(obj, "metadata"), "managedFields");

	for (size_t i = 0; i < json_array_size(mf); i++) {
		json_t *e = json_array_get(mf, i);

		if (strcmp(json_string_value(json_object_get(e, "manager")), manager) == 0)
			return e;
	}
	return NULL;
}

static int apply(json_t **doc, const char *cfg, const struct k1s_type *t, const char *manager,
		 bool force, json_t *conflicts)
{
	json_t *a = parse(cfg);
	char err[512] = "";
	int rc = k1s_patch_apply(doc, a, t, manager, force, conflicts, err, sizeof(err));

	if (rc != 0)
		assert_true(err[0] != '\0');
	json_decref(a);
	return rc;
}

static const char *svc_cfg =
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
	"\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"ports\":[{\"port\":80,"
	"\"targetPort\":8080}],\"selector\":{\"app\":\"web\"}}}";

static void apply_creates_with_managed_fields(void **state)
{
	json_t *d = NULL, *e;
	time_t t;

	assert_int_equal(apply(&d, svc_cfg, &t_service, "kubectl", false, NULL), 0);
	assert_string_equal(k1s_json_str(d, "metadata.name"), "web");
	assert_json(json_object_get(d, "spec"),
		    "{\"ports\":[{\"port\":80,\"targetPort\":8080}],\"selector\":{\"app\":\"web\"}}");
	e = mf_entry(d, "kubectl");
	assert_non_null(e);
	assert_string_equal(k1s_json_str(e, "operation"), "Apply");
	assert_string_equal(k1s_json_str(e, "apiVersion"), "v1");
	assert_string_equal(k1s_json_str(e, "fieldsType"), "FieldsV1");
	assert_int_equal(k1s_time_parse(k1s_json_str(e, "time"), &t), 0);
	assert_true(t > 1700000000);
	assert_int_equal(strlen(k1s_json_str(e, "time")), 20);
	assert_json_exact(json_object_get(e, "fieldsV1"),
			  "{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:ports\":{"
			  "\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},"
			  "\"f:port\":{},\"f:targetPort\":{}}},\"f:selector\":{\"f:app\":{}}}}");
	json_decref(d);
}

static void apply_fields_v1_encoding(void **state)
{
	json_t *d = NULL, *e;

	assert_int_equal(
		apply(&d,
		      "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
		      "\"api\",\"finalizers\":[\"f1\"]},\"spec\":{\"replicas\":2,\"selector\":{"
		      "\"matchLabels\":{\"app\":\"api\"}},\"strategy\":{},\"template\":{\"metadata\":{"
		      "\"labels\":{\"app\":\"api\"}},\"spec\":{\"containers\":[{\"name\":\"api\","
		      "\"image\":\"nginx\",\"args\":[\"-v\"],\"ports\":[{\"containerPort\":80}],"
		      "\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}]}}}}",
		      &t_deploy, "kubectl", false, NULL),
		0);
	e = mf_entry(d, "kubectl");
	assert_json_exact(
		json_object_get(e, "fieldsV1"),
		"{\"f:metadata\":{\"f:finalizers\":{\"v:\\\"f1\\\"\":{}}},\"f:spec\":{"
		"\"f:replicas\":{},\"f:selector\":{},\"f:strategy\":{},\"f:template\":{"
		"\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:containers\":{"
		"\"k:{\\\"name\\\":\\\"api\\\"}\":{\".\":{},\"f:args\":{},\"f:env\":{"
		"\"k:{\\\"name\\\":\\\"A\\\"}\":{\".\":{},\"f:name\":{},\"f:value\":{}}},"
		"\"f:image\":{},\"f:name\":{},\"f:ports\":{"
		"\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},"
		"\"f:containerPort\":{}}}}}}}}}");
	json_decref(d);
}

static void apply_merges_by_list_map_keys(void **state)
{
	json_t *d = parse("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"dns\"},"
			  "\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":53,"
			  "\"protocol\":\"UDP\",\"name\":\"dns\"},{\"port\":53,\"protocol\":\"TCP\","
			  "\"name\":\"dns-tcp\"}]}}");

	/* port 53 without protocol is the TCP one; UDP and clusterIP stay */
	assert_int_equal(apply(&d,
			       "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":"
			       "\"dns\"},\"spec\":{\"ports\":[{\"port\":53,\"targetPort\":5353},"
			       "{\"port\":9153,\"name\":\"metrics\"}]}}",
			       &t_service, "kubectl", false, NULL),
			 0);
	assert_json_exact(json_object_get(d, "spec"),
			  "{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":53,\"protocol\":\"UDP\","
			  "\"name\":\"dns\"},{\"port\":53,\"protocol\":\"TCP\",\"name\":\"dns-tcp\","
			  "\"targetPort\":5353},{\"port\":9153,\"name\":\"metrics\"}]}");
	json_decref(d);
}

static void apply_atomic_and_set_lists(void **state)
{
	json_t *d = parse("{\"metadata\":{\"name\":\"x\",\"finalizers\":[\"a\"]},\"spec\":{"
			  "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"args\":[\"1\","
			  "\"2\"]}]}}}}");

	assert_int_equal(apply(&d,
			       "{\"metadata\":{\"name\":\"x\",\"finalizers\":[\"b\"]},\"spec\":{"
			       "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"args\":"
			       "[\"3\"]}]}}}}",
			       &t_deploy, "m", false, NULL),
			 0);
	assert_json(json_object_get(d, "spec"),
		    "{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"args\":[\"3\"]}]}}}");
	assert_json_exact(json_object_get(json_object_get(d, "metadata"), "finalizers"),
			  "[\"a\",\"b\"]");
	json_decref(d);
}

static void apply_removes_fields_no_longer_applied(void **state)
{
	json_t *d = NULL;

	assert_int_equal(apply(&d,
			       "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":"
			       "\"web\",\"labels\":{\"a\":\"1\",\"b\":\"2\"}},\"spec\":{\"ports\":["
			       "{\"port\":80},{\"port\":81}],\"type\":\"NodePort\"}}",
			       &t_service, "kubectl", false, NULL),
			 0);
	/* another manager takes label b */
	assert_int_equal(apply(&d,
			       "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":"
			       "\"web\",\"labels\":{\"b\":\"2\"}}}",
			       &t_service, "other", false, NULL),
			 0);
	assert_int_equal(apply(&d,
			       "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":"
			       "\"web\"},\"spec\":{\"ports\":[{\"port\":80}]}}",
			       &t_service, "kubectl", false, NULL),
			 0);
	/* a and type and port 81 went; b stays, since "other" owns it */
	assert_json(json_object_get(json_object_get(d, "metadata"), "labels"), "{\"b\":\"2\"}");
	assert_json(json_object_get(d, "spec"), "{\"ports\":[{\"port\":80}]}");
	assert_json_exact(json_object_get(mf_entry(d, "kubectl"), "fieldsV1"),
			  "{\"f:spec\":{\"f:ports\":{\"k:{\\\"port\\\":80,\\\"protocol\\\":"
			  "\\\"TCP\\\"}\":{\".\":{},\"f:port\":{}}}}}");
	assert_json_exact(json_object_get(mf_entry(d, "other"), "fieldsV1"),
			  "{\"f:metadata\":{\"f:labels\":{\"f:b\":{}}}}");
	json_decref(d);
}

static const char *deploy_owned =
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\","
	"\"managedFields\":[{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\","
	"\"apiVersion\":\"apps/v1\",\"time\":\"2025-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\","
	"\"fieldsV1\":{\"f:spec\":{\"f:replicas\":{},\"f:template\":{\"f:spec\":{\"f:containers\":{"
	"\"k:{\\\"name\\\":\\\"api\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{}}}}}}}}]},"
	"\"spec\":{\"replicas\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":\"api\","
	"\"image\":\"nginx:1.25\"}]}}}}";

static void apply_conflicts_with_update_manager(void **state)
{
	json_t *d = parse(deploy_owned), *orig = json_deep_copy(d), *conf = json_array();
	const char *cfg = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
			  "\"name\":\"api\"},\"spec\":{\"replicas\":3,\"template\":{\"spec\":{"
			  "\"containers\":[{\"name\":\"api\",\"image\":\"nginx:1.26\"}]}}}}";

	assert_int_equal(apply(&d, cfg, &t_deploy, "kubectl", false, conf), -EBUSY);
	assert_true(json_equal(d, orig));
	assert_json(conf, "[{\"field\":\".spec.replicas\",\"manager\":\"kubectl-client-side-apply\"},"
			  "{\"field\":\".spec.template.spec.containers[name=\\\"api\\\"].image\","
			  "\"manager\":\"kubectl-client-side-apply\"}]");

	/* with force the fields change hands */
	assert_int_equal(apply(&d, cfg, &t_deploy, "kubectl", true, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "spec"), "replicas")),
			 3);
	assert_json_exact(json_object_get(mf_entry(d, "kubectl-client-side-apply"), "fieldsV1"),
			  "{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{"
			  "\"k:{\\\"name\\\":\\\"api\\\"}\":{\".\":{},\"f:name\":{}}}}}}}");
	assert_string_equal(k1s_json_str(mf_entry(d, "kubectl-client-side-apply"), "operation"),
			    "Update");
	assert_non_null(mf_entry(d, "kubectl"));
	/* and the next apply by the other side conflicts the other way */
	json_array_clear(conf);
	assert_int_equal(apply(&d,
			       "{\"metadata\":{\"name\":\"api\"},\"spec\":{\"replicas\":5}}",
			       &t_deploy, "hpa", false, conf),
			 -EBUSY);
	assert_json(conf, "[{\"field\":\".spec.replicas\",\"manager\":\"kubectl\"}]");
	json_decref(conf);
	json_decref(orig);
	json_decref(d);
}

static void apply_kubectl_takes_over_client_side_apply(void **state)
{
	json_t *d = parse(deploy_owned), *conf = json_array();
	json_t *ann = json_object();
	const char *cfg = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
			  "\"name\":\"api\"},\"spec\":{\"replicas\":3,\"template\":{\"spec\":{"
			  "\"containers\":[{\"name\":\"api\",\"image\":\"nginx:1.26\"}]}}}}";

	/* what `kubectl apply` left: the annotation names replicas and image */
	json_object_set_new(ann, LAC,
			    json_string("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
					"\"metadata\":{\"annotations\":{},\"name\":\"api\"},\"spec\":{"
					"\"replicas\":1,\"template\":{\"spec\":{\"containers\":[{"
					"\"image\":\"nginx:1.25\",\"name\":\"api\"}]}}}}\n"));
	json_object_set_new(json_object_get(d, "metadata"), "annotations", ann);

	/* another manager than kubectl does not get that pass */
	assert_int_equal(apply(&d, cfg, &t_deploy, "ci", false, conf), -EBUSY);
	assert_int_equal(json_array_size(conf), 2);
	/* kubectl does: the conflicting fields are all in the annotation */
	json_array_clear(conf);
	assert_int_equal(apply(&d, cfg, &t_deploy, "kubectl", false, conf), 0);
	assert_int_equal(json_array_size(conf), 0);
	assert_string_equal(
		k1s_json_str(json_array_get(json_object_get(json_object_get(json_object_get(
			json_object_get(d, "spec"), "template"), "spec"), "containers"), 0), "image"),
		"nginx:1.26");
	assert_null(json_object_get(json_object_get(json_object_get(mf_entry(
		d, "kubectl-client-side-apply"), "fieldsV1"), "f:spec"), "f:replicas"));
	json_decref(conf);
	json_decref(d);

	/* a conflict on a field the annotation lacks still stops kubectl */
	d = parse(deploy_owned);
	ann = json_object();
	json_object_set_new(ann, LAC, json_string("{\"spec\":{\"replicas\":1}}"));
	json_object_set_new(json_object_get(d, "metadata"), "annotations", ann);
	conf = json_array();
	assert_int_equal(apply(&d, cfg, &t_deploy, "kubectl", false, conf), -EBUSY);
	assert_json(conf, "[{\"field\":\".spec.replicas\",\"manager\":\"kubectl-client-side-apply\"},"
			  "{\"field\":\".spec.template.spec.containers[name=\\\"api\\\"].image\","
			  "\"manager\":\"kubectl-client-side-apply\"}]");
	json_decref(conf);
	json_decref(d);
}

static void apply_same_value_is_shared(void **state)
{
	json_t *d = parse(deploy_owned), *conf = json_array();

	/* the values the other manager set, applied unchanged: no conflict */
	assert_int_equal(apply(&d,
			       "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
			       "\"name\":\"api\"},\"spec\":{\"replicas\":1}}",
			       &t_deploy, "kubectl", false, conf),
			 0);
	assert_int_equal(json_array_size(conf), 0);
	assert_json(json_object_get(mf_entry(d, "kubectl"), "fieldsV1"),
		    "{\"f:spec\":{\"f:replicas\":{}}}");
	assert_non_null(json_object_get(json_object_get(json_object_get(mf_entry(
		d, "kubectl-client-side-apply"), "fieldsV1"), "f:spec"), "f:replicas"));
	/* a second apply that drops replicas keeps them: they are shared */
	assert_int_equal(apply(&d,
			       "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
			       "\"name\":\"api\",\"labels\":{\"x\":\"y\"}}}",
			       &t_deploy, "kubectl", false, conf),
			 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "spec"), "replicas")),
			 1);
	json_decref(conf);
	json_decref(d);
}

static void apply_ignores_given_managed_fields(void **state)
{
	json_t *d = NULL;
	json_t *mf;

	assert_int_equal(apply(&d,
			       "{\"metadata\":{\"name\":\"x\",\"managedFields\":[{\"manager\":"
			       "\"evil\",\"operation\":\"Apply\",\"fieldsV1\":{}}]},\"spec\":{"
			       "\"type\":\"ClusterIP\"}}",
			       &t_service, "kubectl", false, NULL),
			 0);
	mf = json_object_get(json_object_get(d, "metadata"), "managedFields");
	assert_int_equal(json_array_size(mf), 1);
	assert_string_equal(k1s_json_str(json_array_get(mf, 0), "manager"), "kubectl");
	json_decref(d);
}

static void apply_unknown_type_is_deduced(void **state)
{
	json_t *d = NULL;

	assert_int_equal(apply(&d, "{\"kind\":\"Thing\",\"spec\":{\"a\":{\"b\":1},\"l\":[1,2]}}",
			       NULL, "m", false, NULL),
			 0);
	assert_json_exact(json_object_get(mf_entry(d, "m"), "fieldsV1"),
			  "{\"f:spec\":{\".\":{},\"f:a\":{\".\":{},\"f:b\":{}},\"f:l\":{}}}");
	assert_int_equal(apply(&d, "{\"kind\":\"Thing\",\"spec\":{\"l\":[3]}}", NULL, "m", false,
			       NULL),
			 0);
	assert_json(json_object_get(d, "spec"), "{\"l\":[3]}");
	json_decref(d);
}

static void apply_errors(void **state)
{
	json_t *d = parse(svc_live), *orig = json_deep_copy(d);

	assert_int_equal(apply(&d, "[]", &t_service, "kubectl", false, NULL), -EINVAL);
	assert_int_equal(apply(&d, svc_cfg, &t_service, "", false, NULL), -EINVAL);
	/* a keyed list item without its key, and duplicate keys */
	assert_int_equal(apply(&d, "{\"spec\":{\"ports\":[{\"targetPort\":1}]}}", &t_service,
			       "kubectl", false, NULL),
			 -EINVAL);
	assert_int_equal(apply(&d,
			       "{\"spec\":{\"ports\":[{\"port\":1},{\"port\":1,\"protocol\":"
			       "\"TCP\"}]}}",
			       &t_service, "kubectl", false, NULL),
			 -EINVAL);
	assert_true(json_equal(d, orig));
	json_decref(orig);
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(merge_rfc7386_examples),
		cmocka_unit_test(merge_kubectl_patches),
		cmocka_unit_test(merge_rejects_non_object_and_keeps_doc),
		cmocka_unit_test(merge_does_not_share_patch_values),
		cmocka_unit_test(json_rfc6902_examples),
		cmocka_unit_test(json_more_ops),
		cmocka_unit_test(json_errors),
		cmocka_unit_test(json_is_atomic),
		cmocka_unit_test(json_copy_bomb_is_refused),
		cmocka_unit_test(smp_kubectl_change_target_port),
		cmocka_unit_test(smp_kubectl_remove_port),
		cmocka_unit_test(smp_kubectl_drop_replicas_and_env),
		cmocka_unit_test(smp_kubectl_image_and_env),
		cmocka_unit_test(smp_kubectl_rollout_restart),
		cmocka_unit_test(smp_merge_list_by_key),
		cmocka_unit_test(smp_set_element_order),
		cmocka_unit_test(smp_patch_directives),
		cmocka_unit_test(smp_retain_keys),
		cmocka_unit_test(smp_primitive_lists),
		cmocka_unit_test(smp_owner_references_by_uid),
		cmocka_unit_test(smp_maps_and_nulls),
		cmocka_unit_test(smp_unknown_type_is_merge_patch),
		cmocka_unit_test(smp_directives_never_remain),
		cmocka_unit_test(smp_errors),
		cmocka_unit_test(apply_creates_with_managed_fields),
		cmocka_unit_test(apply_fields_v1_encoding),
		cmocka_unit_test(apply_merges_by_list_map_keys),
		cmocka_unit_test(apply_atomic_and_set_lists),
		cmocka_unit_test(apply_removes_fields_no_longer_applied),
		cmocka_unit_test(apply_conflicts_with_update_manager),
		cmocka_unit_test(apply_kubectl_takes_over_client_side_apply),
		cmocka_unit_test(apply_same_value_is_shared),
		cmocka_unit_test(apply_ignores_given_managed_fields),
		cmocka_unit_test(apply_unknown_type_is_deduced),
		cmocka_unit_test(apply_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
