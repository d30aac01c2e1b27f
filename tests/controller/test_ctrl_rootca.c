/* kube-root-ca.crt in every namespace, as kube-controller-manager's
 * root-ca-cert-publisher keeps it. */
#include "ctrl_test.h"

#include "ctrl_ca.h"
#include "k1s_pki.h"

#define DESCRIPTION                                                                             \
	"Contains a CA bundle that can be used to verify the kube-apiserver when using internal " \
	"endpoints such as the internal service IP or kubernetes.default.svc. No other usage is " \
	"guaranteed across distributions of Kubernetes clusters."

static void namespace(struct fx *fx, const char *name)
{
	create(fx, "namespaces",
	       json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
			 "metadata", "name", name, "status", "phase", "Active"));
}

/* The ConfigMap in ns, or NULL. Caller owns. */
static json_t *root_cm(struct fx *fx, const char *ns)
{
	json_t *o = NULL;

	if (st_get(fx->st, "configmaps", ns, "kube-root-ca.crt", &o) < 0)
		return NULL;
	return o;
}

static char *ca_crt(struct fx *fx)
{
	char *crt, *key;

	assert_int_equal(ctrl_ca_get(fx->st, &crt, &key), 0);
	k1s_pki_free(key);
	return crt;
}

/* The ConfigMap carries the CA and the description, and only the CA. */
static void assert_published(struct fx *fx, const char *ns, const char *crt)
{
	json_t *cm = root_cm(fx, ns);

	if (!cm)
		fail_msg("no kube-root-ca.crt in %s", ns);
	assert_int_equal(json_object_size(json_object_get(cm, "data")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(cm, "data"), "ca.crt")),
			    crt);
	assert_string_equal(json_string_value(json_object_get(
				    k1s_json_path(cm, "metadata.annotations"),
				    "kubernetes.io/description")),
			    DESCRIPTION);
	json_decref(cm);
}

static void every_namespace_gets_the_ca(void **state)
{
	struct fx *fx = *state;
	char *crt = ca_crt(fx);
	json_t *cm;

	namespace(fx, "default");
	namespace(fx, "kube-system");
	settle(fx);
	assert_published(fx, "default", crt);
	assert_published(fx, "kube-system", crt);
	/* It is the CA that issues: a PEM certificate, CA:TRUE. */
	{
		struct k1s_cert_info info;
		char err[128];

		assert_int_equal(k1s_pki_cert_info(crt, strlen(crt), &info, err, sizeof(err)), 0);
		assert_true(info.is_ca);
	}

	/* A new namespace gets one. */
	namespace(fx, "team-a");
	settle(fx);
	assert_published(fx, "team-a", crt);

	/* A terminating namespace does not get one back. */
	namespace(fx, "leaving");
	settle(fx);
	assert_published(fx, "leaving", crt);
	assert_int_equal(st_get(fx->st, "namespaces", "", "leaving", &cm), 0);
	json_object_set_new(json_object_get(cm, "status"), "phase", json_string("Terminating"));
	assert_int_equal(fx->fw.w.update(&fx->fw, res_of("namespaces"), cm, true), 0);
	json_decref(cm);
	settle(fx);
	assert_int_equal(fx->fw.w.remove(&fx->fw, res_of("configmaps"), "leaving",
					  "kube-root-ca.crt", NULL, 0), 0);
	settle(fx);
	assert_null(root_cm(fx, "leaving"));
	k1s_pki_free(crt);
}

static void deleted_is_made_again(void **state)
{
	struct fx *fx = *state;
	char *crt = ca_crt(fx);

	namespace(fx, "default");
	settle(fx);
	assert_int_equal(fx->fw.w.remove(&fx->fw, res_of("configmaps"), "default",
					  "kube-root-ca.crt", NULL, 0), 0);
	assert_null(root_cm(fx, "default"));
	settle(fx);
	assert_published(fx, "default", crt);
	k1s_pki_free(crt);
}

/* Edits to the data or the description are undone; a user's own labels
 * and annotations stay, as the publisher keeps them. */
static void edited_is_set_back(void **state)
{
	struct fx *fx = *state;
	char *crt = ca_crt(fx);
	json_t *cm, *ann;

	namespace(fx, "default");
	settle(fx);
	cm = root_cm(fx, "default");
	json_object_set_new(cm, "data", json_pack("{s:s, s:s}", "ca.crt", "not a CA", "extra", "x"));
	ann = k1s_json_path(cm, "metadata.annotations");
	json_object_del(ann, "kubernetes.io/description");
	json_object_set_new(ann, "mine", json_string("kept"));
	json_object_set_new(json_object_get(cm, "metadata"), "labels",
			    json_pack("{s:s}", "team", "a"));
	update(fx, "configmaps", cm);
	json_decref(cm);
	settle(fx);
	assert_published(fx, "default", crt);
	cm = root_cm(fx, "default");
	assert_string_equal(json_string_value(json_object_get(
				    k1s_json_path(cm, "metadata.annotations"), "mine")),
			    "kept");
	assert_string_equal(k1s_json_str(cm, "metadata.labels.team"), "a");
	json_decref(cm);

	/* An extra key alone is set back too. */
	cm = root_cm(fx, "default");
	json_object_set_new(json_object_get(cm, "data"), "extra", json_string("x"));
	update(fx, "configmaps", cm);
	json_decref(cm);
	settle(fx);
	assert_published(fx, "default", crt);
	k1s_pki_free(crt);
}

/* Other ConfigMaps are not the publisher's business. */
static void other_configmaps_are_left_alone(void **state)
{
	struct fx *fx = *state;
	json_t *cm;

	namespace(fx, "default");
	create(fx, "configmaps",
	       json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "v1", "kind",
			 "ConfigMap", "metadata", "name", "app-config", "namespace", "default",
			 "data", "ca.crt", "mine"));
	settle(fx);
	cm = get(fx, "configmaps", "app-config");
	assert_string_equal(json_string_value(json_object_get(json_object_get(cm, "data"),
							      "ca.crt")),
			    "mine");
	assert_null(k1s_json_path(cm, "metadata.annotations"));
	json_decref(cm);
	assert_null(ctrl_get(fx->c, CTRL_CM, "default", "app-config"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(every_namespace_gets_the_ca, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(deleted_is_made_again, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(edited_is_set_back, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(other_configmaps_are_left_alone, fx_setup,
					    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
