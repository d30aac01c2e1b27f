/* cert-manager.io/v1 as kubectl meets it: the kinds are served with their
 * CRDs' names, the documentation's manifests are admitted, what the CRD
 * schema refuses gets kube-apiserver's 422 messages, and `kubectl get`
 * shows the CRDs' printer columns. */
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
#include "k1s_types.h"

#define NOW 1800000000 /* 2027-01-15T08:00:00Z */

static struct api_admit *adm;

static json_t *J(const char *s)
{
	char *buf = strdup(s);
	json_error_t e;
	json_t *o;

	for (char *p = buf; *p; p++)
		if (*p == '\'')
			*p = '"';
	o = json_loads(buf, 0, &e);
	if (!o)
		fail_msg("bad test JSON: %s: %s", e.text, buf);
	free(buf);
	return o;
}

static const struct k1s_resource *R(const char *kind)
{
	const struct k1s_resource *r = k1s_resource_by_kind("cert-manager.io", kind);

	if (!r)
		fail_msg("no kind %s", kind);
	return r;
}

static json_t *admitted(const char *kind, const json_t *old, const char *json)
{
	json_t *o = J(json), *st = NULL;
	int err = old ? api_admit_update(adm, R(kind), old, o, &st)
	              : api_admit_create(adm, R(kind), o, &st);

	if (err)
		fail_msg("refused (%d): %s", err, json_dumps(st, 0));
	return o;
}

static void assert_refused(const char *kind, const char *json, const char *msg)
{
	json_t *o = J(json), *st = NULL;
	const char *m;

	if (api_admit_create(adm, R(kind), o, &st) == 0)
		fail_msg("admitted: %s", json_dumps(o, 0));
	assert_int_equal(json_integer_value(json_object_get(st, "code")), 422);
	m = json_string_value(json_object_get(st, "message"));
	if (!m || strcmp(m, msg) != 0)
		fail_msg("message\n  got  %s\n  want %s", m ? m : "(none)", msg);
	json_decref(st);
	json_decref(o);
}

static void kinds_as_the_crds_name_them(void **state)
{
	const struct k1s_resource *c = k1s_resource_find("cert-manager.io", "certificates");
	const struct k1s_resource *i = k1s_resource_find("cert-manager.io", "issuers");
	const struct k1s_resource *ci = k1s_resource_find("cert-manager.io", "clusterissuers");

	(void)state;
	assert_non_null(c);
	assert_non_null(i);
	assert_non_null(ci);
	assert_string_equal(c->kind, "Certificate");
	assert_string_equal(c->short_names, "cert,certs");
	assert_string_equal(c->categories, "cert-manager");
	assert_true(c->flags & K1S_RF_NAMESPACED);
	assert_true(c->flags & K1S_RF_STATUS);
	assert_true(i->flags & K1S_RF_NAMESPACED);
	assert_false(ci->flags & K1S_RF_NAMESPACED);
	assert_string_equal(ci->short_names, "ciss");
	assert_string_equal(c->version, "v1");
}

/* The examples of cert-manager's documentation (configuration/selfsigned,
 * configuration/ca, configuration/acme, usage/certificate). */
static void documentation_examples_admitted(void **state)
{
	(void)state;
	json_decref(admitted("ClusterIssuer", NULL,
	                     "{'apiVersion':'cert-manager.io/v1','kind':'ClusterIssuer',"
	                     "'metadata':{'name':'selfsigned-issuer'},'spec':{'selfSigned':{}}}"));
	json_decref(admitted("Issuer", NULL,
	                     "{'apiVersion':'cert-manager.io/v1','kind':'Issuer',"
	                     "'metadata':{'name':'ca-issuer','namespace':'sandbox'},"
	                     "'spec':{'ca':{'secretName':'ca-key-pair'}}}"));
	json_decref(
	    admitted("ClusterIssuer", NULL,
	             "{'apiVersion':'cert-manager.io/v1','kind':'ClusterIssuer',"
	             "'metadata':{'name':'letsencrypt-prod'},'spec':{'acme':{"
	             "'server':'https://acme-v02.api.letsencrypt.org/directory',"
	             "'email':'user@example.com','privateKeySecretRef':{'name':'letsencrypt-prod'},"
	             "'solvers':[{'http01':{'ingress':{'ingressClassName':'nginx'}}}]}}}"));
	json_decref(admitted(
	    "Certificate", NULL,
	    "{'apiVersion':'cert-manager.io/v1','kind':'Certificate',"
	    "'metadata':{'name':'example-com','namespace':'sandbox'},'spec':{"
	    "'secretName':'example-com-tls','duration':'2160h','renewBefore':'360h',"
	    "'subject':{'organizations':['jetstack']},'isCA':false,"
	    "'privateKey':{'algorithm':'RSA','encoding':'PKCS1','size':2048},"
	    "'usages':['server auth','client auth'],'dnsNames':['example.com','www.example.com'],"
	    "'ipAddresses':['192.168.0.5'],"
	    "'issuerRef':{'name':'ca-issuer','kind':'Issuer','group':'cert-manager.io'}}}"));
}

static void schema_refusals(void **state)
{
	(void)state;
	/* openAPIV3Schema: spec requires issuerRef and secretName. */
	assert_refused("Certificate",
	               "{'metadata':{'name':'c','namespace':'default'},"
	               "'spec':{'issuerRef':{'name':'x'}}}",
	               "Certificate.cert-manager.io \"c\" is invalid: spec.secretName: "
	               "Required value");
	assert_refused("Certificate",
	               "{'metadata':{'name':'c','namespace':'default'},"
	               "'spec':{'secretName':'s','issuerRef':{}}}",
	               "Certificate.cert-manager.io \"c\" is invalid: spec.issuerRef.name: "
	               "Required value");
	assert_refused("Certificate",
	               "{'metadata':{'name':'c','namespace':'default'},"
	               "'spec':{'secretName':'s','issuerRef':{'name':'x'},'isCA':'yes'}}",
	               "Certificate.cert-manager.io \"c\" is invalid: spec.isCA: Invalid value: "
	               "\"string\": spec.isCA in body must be of type boolean: \"string\"");
	assert_refused("Certificate",
	               "{'metadata':{'name':'c','namespace':'default'},"
	               "'spec':{'secretName':'s','issuerRef':{'name':'x'},"
	               "'privateKey':{'algorithm':'DSA'}}}",
	               "Certificate.cert-manager.io \"c\" is invalid: spec.privateKey.algorithm: "
	               "Unsupported value: \"DSA\": supported values: \"RSA\", \"ECDSA\", "
	               "\"Ed25519\"");
	assert_refused("Issuer", "{'metadata':{'name':'i','namespace':'default'}}",
	               "Issuer.cert-manager.io \"i\" is invalid: spec: Required value");
	assert_refused("ClusterIssuer", "{'metadata':{'name':'ci'},'spec':{'ca':{}}}",
	               "ClusterIssuer.cert-manager.io \"ci\" is invalid: spec.ca.secretName: "
	               "Required value");
}

/* The status subresource: a create drops the status, an update of the
 * main resource keeps the stored one. */
static void status_is_the_subresources(void **state)
{
	json_t *old, *o;

	(void)state;
	o = admitted("ClusterIssuer", NULL,
	             "{'metadata':{'name':'ci'},'spec':{'selfSigned':{}},"
	             "'status':{'conditions':[{'type':'Ready','status':'True'}]}}");
	assert_null(json_object_get(o, "status"));
	json_decref(o);
	old = J("{'metadata':{'name':'ci'},'spec':{'selfSigned':{}},"
	        "'status':{'conditions':[{'type':'Ready','status':'True'}]}}");
	o = admitted("ClusterIssuer", old, "{'metadata':{'name':'ci'},'spec':{'selfSigned':{}}}");
	assert_string_equal(
	    k1s_json_str(json_array_get(k1s_json_path(o, "status.conditions"), 0), "status"),
	    "True");
	json_decref(o);
	json_decref(old);
}

static void certificate_table(void **state)
{
	json_t *objs = json_pack(
	    "[o,o]",
	    J("{'metadata':{'name':'myapp-tls','creationTimestamp':'2027-01-15T07:00:00Z'},"
	      "'spec':{'secretName':'myapp-tls','issuerRef':{'name':'letsencrypt-prod',"
	      "'kind':'ClusterIssuer'}},'status':{'notAfter':'2027-04-15T07:00:00Z',"
	      "'conditions':[{'type':'Issuing','status':'False'},{'type':'Ready',"
	      "'status':'True','message':'Certificate is up to date and has not expired'}]}}"),
	    J("{'metadata':{'name':'new','creationTimestamp':'2027-01-15T07:59:30Z'},"
	      "'spec':{'secretName':'s','issuerRef':{'name':'x'}}}"));
	json_t *t = api_table(R("Certificate"), objs, true, API_INCLUDE_NONE, NOW);
	json_t *cols = json_object_get(t, "columnDefinitions");
	json_t *c0 = json_object_get(json_array_get(json_object_get(t, "rows"), 0), "cells");
	json_t *c1 = json_object_get(json_array_get(json_object_get(t, "rows"), 1), "cells");
	static const char *const names[] = {"Name",   "Ready",      "Secret", "Issuer",
	                                    "Status", "Expiration", "Age"};
	static const int prio[] = {0, 0, 0, 1, 1, 1, 0};

	(void)state;
	assert_int_equal(json_array_size(cols), 7);
	for (size_t i = 0; i < 7; i++) {
		json_t *c = json_array_get(cols, i);

		assert_string_equal(k1s_json_str(c, "name"), names[i]);
		assert_int_equal(json_integer_value(json_object_get(c, "priority")), prio[i]);
	}
	assert_string_equal(k1s_json_str(json_array_get(cols, 6), "type"), "date");
	assert_string_equal(k1s_json_str(json_array_get(cols, 2), "description"),
	                    "Custom resource definition column (in JSONPath format): "
	                    ".spec.secretName");
	assert_string_equal(json_string_value(json_array_get(c0, 0)), "myapp-tls");
	assert_string_equal(json_string_value(json_array_get(c0, 1)), "True");
	assert_string_equal(json_string_value(json_array_get(c0, 2)), "myapp-tls");
	assert_string_equal(json_string_value(json_array_get(c0, 3)), "letsencrypt-prod");
	assert_string_equal(json_string_value(json_array_get(c0, 4)),
	                    "Certificate is up to date and has not expired");
	assert_string_equal(json_string_value(json_array_get(c0, 5)), "2027-04-15T07:00:00Z");
	assert_string_equal(json_string_value(json_array_get(c0, 6)), "60m");
	/* Not issued yet: no Ready condition, no expiry. */
	assert_true(json_is_null(json_array_get(c1, 1)));
	assert_true(json_is_null(json_array_get(c1, 5)));
	assert_string_equal(json_string_value(json_array_get(c1, 6)), "30s");
	json_decref(t);
	json_decref(objs);
}

static void issuer_table(void **state)
{
	json_t *objs = json_pack(
	    "[o]",
	    J("{'metadata':{'name':'letsencrypt-prod','creationTimestamp':'2027-01-15T05:00:00Z'},"
	      "'spec':{'acme':{}},'status':{'conditions':[{'type':'Ready','status':'True',"
	      "'message':'offline'}]}}"));
	json_t *t = api_table(R("ClusterIssuer"), objs, true, API_INCLUDE_NONE, NOW);
	json_t *cells = json_object_get(json_array_get(json_object_get(t, "rows"), 0), "cells");

	(void)state;
	assert_int_equal(json_array_size(json_object_get(t, "columnDefinitions")), 4);
	assert_string_equal(json_string_value(json_array_get(cells, 1)), "True");
	assert_string_equal(json_string_value(json_array_get(cells, 2)), "offline");
	assert_string_equal(json_string_value(json_array_get(cells, 3)), "3h");
	json_decref(t);
	json_decref(objs);
}

/* kubectl explain reads the group's OpenAPI document. */
static void openapi_document(void **state)
{
	json_t *doc = api_openapi_doc("apis/cert-manager.io/v1");
	json_t *schemas = k1s_json_path(doc, "components.schemas");

	(void)state;
	assert_non_null(doc);
	assert_non_null(json_object_get(schemas, "io.cert-manager.v1.Certificate"));
	assert_non_null(json_object_get(schemas, "io.cert-manager.v1.ClusterIssuer"));
	json_decref(doc);
}

static int setup(void **state)
{
	struct api_config cfg = {
	    .service_cidr = "10.96.0.0/12", .node_port_min = 30000, .node_port_max = 32767};

	(void)state;
	adm = api_admit_new(NULL, &cfg);
	return adm ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	api_admit_free(adm);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kinds_as_the_crds_name_them),
	    cmocka_unit_test(documentation_examples_admitted),
	    cmocka_unit_test(schema_refusals),
	    cmocka_unit_test(status_is_the_subresources),
	    cmocka_unit_test(certificate_table),
	    cmocka_unit_test(issuer_table),
	    cmocka_unit_test(openapi_document),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
