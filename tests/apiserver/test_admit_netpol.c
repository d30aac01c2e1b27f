/* NetworkPolicy admission as kubectl sees it: kube-apiserver 1.32's
 * defaults and its 422 messages, field paths included
 * (pkg/apis/networking/validation/validation.go). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_int.h"
#include "k1s_err.h"
#include "k1s_json.h"

static struct api_admit *adm;

/* JSON written with single quotes, for readability. */
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

static const struct k1s_resource *np(void)
{
	return k1s_resource_by_kind("networking.k8s.io", "NetworkPolicy");
}

#define NP(spec) "{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{" \
		 "'name':'n','namespace':'default'},'spec':" spec "}"
#define INVALID "NetworkPolicy.networking.k8s.io \"n\" is invalid: "

static json_t *create(const char *json)
{
	json_t *o = J(json), *st = NULL;
	int err = api_admit_create(adm, np(), o, &st);

	if (err) {
		char *s = json_dumps(st, 0);

		fail_msg("create refused (%d): %s", err, s);
	}
	return o;
}

/* A create must be refused with 422, this message and these causes'
 * fields (NULL-terminated; all of them, in order). */
static void refused(const char *json, const char *msg, ...)
{
	json_t *o = J(json), *st = NULL, *c;
	int err = api_admit_create(adm, np(), o, &st);
	const char *m, *field;
	va_list ap;
	size_t i = 0;

	if (err == 0) {
		char *s = json_dumps(o, 0);

		fail_msg("admitted: %s", s);
	}
	assert_int_equal(err, K1S_EINVALID);
	assert_int_equal(json_integer_value(json_object_get(st, "code")), 422);
	assert_string_equal(json_string_value(json_object_get(st, "reason")), "Invalid");
	m = json_string_value(json_object_get(st, "message"));
	if (!m || strcmp(m, msg) != 0)
		fail_msg("message\n  got:  %s\n  want: %s", m, msg);
	va_start(ap, msg);
	while ((field = va_arg(ap, const char *))) {
		c = json_array_get(k1s_json_path(st, "details.causes"), i++);
		assert_non_null(c);
		assert_string_equal(json_string_value(json_object_get(c, "field")), field);
	}
	va_end(ap);
	assert_int_equal(json_array_size(k1s_json_path(st, "details.causes")), i);
	json_decref(st);
	json_decref(o);
}

static void assert_json(const json_t *v, const char *want)
{
	json_t *w = J(want);

	if (!json_equal((json_t *)v, w)) {
		char *g = json_dumps(v, JSON_SORT_KEYS | JSON_ENCODE_ANY);

		fail_msg("got %s\nwant %s", g, want);
	}
	json_decref(w);
}

static int setup(void **state)
{
	struct api_config cfg = {0};

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

/* SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort. */
static void defaults(void **state)
{
	json_t *n;

	(void)state;
	n = create(NP("{'podSelector':{'matchLabels':{'app':'api'}},'ingress':[{'ports':[{'port':"
		      "3000},{'port':'dns','protocol':'UDP'}]}],'egress':[{'ports':[{'port':53,"
		      "'endPort':60}]}]}"));
	assert_json(k1s_json_path(n, "spec.policyTypes"), "['Ingress','Egress']");
	assert_json(k1s_json_path(n, "spec.ingress"),
		    "[{'ports':[{'port':3000,'protocol':'TCP'},{'port':'dns','protocol':'UDP'}]}]");
	assert_json(k1s_json_path(n, "spec.egress"),
		    "[{'ports':[{'port':53,'endPort':60,'protocol':'TCP'}]}]");
	json_decref(n);

	/* An empty egress list is no egress rule: Ingress alone. */
	n = create(NP("{'podSelector':{},'egress':[]}"));
	assert_json(k1s_json_path(n, "spec.policyTypes"), "['Ingress']");
	json_decref(n);
	/* Given policyTypes are kept as written. */
	n = create(NP("{'podSelector':{},'policyTypes':['Egress']}"));
	assert_json(k1s_json_path(n, "spec.policyTypes"), "['Egress']");
	json_decref(n);
	/* The spec and its podSelector are structs in Go: never absent. */
	n = create("{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy',"
		   "'metadata':{'name':'n'}}");
	assert_json(json_object_get(n, "spec"), "{'podSelector':{},'policyTypes':['Ingress']}");
	json_decref(n);
	/* A protocol given as "" is not defaulted, and not valid. */
	refused(NP("{'podSelector':{},'ingress':[{'ports':[{'protocol':'','port':80}]}]}"),
		INVALID "spec.ingress[0].ports[0].protocol: Unsupported value: \"\": supported "
		    "values: \"TCP\", \"UDP\", \"SCTP\"",
		"spec.ingress[0].ports[0].protocol", NULL);
}

static void ipblock(void **state)
{
	json_t *n;

	(void)state;
	refused(NP("{'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/33'}}]}]}"),
		INVALID "spec.ingress[0].from[0].ipBlock.cidr: Invalid value: \"10.0.0.0/33\": "
		    "not a valid CIDR",
		"spec.ingress[0].from[0].ipBlock.cidr", NULL);
	refused(NP("{'egress':[{'to':[{'ipBlock':{'cidr':'banana'}}]}]}"),
		INVALID "spec.egress[0].to[0].ipBlock.cidr: Invalid value: \"banana\": not a valid "
		    "CIDR",
		"spec.egress[0].to[0].ipBlock.cidr", NULL);
	refused(NP("{'egress':[{'to':[{'ipBlock':{'cidr':'10.0.0.1'}}]}]}"),
		INVALID "spec.egress[0].to[0].ipBlock.cidr: Invalid value: \"10.0.0.1\": not a "
		    "valid CIDR",
		"spec.egress[0].to[0].ipBlock.cidr", NULL);
	refused(NP("{'ingress':[{'from':[{'ipBlock':{'except':['10.0.0.0/8']}}]}]}"),
		INVALID "spec.ingress[0].from[0].ipBlock.cidr: Required value",
		"spec.ingress[0].from[0].ipBlock.cidr", NULL);
	/* except outside the cidr, equal to it, wider than it. */
	refused(NP("{'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/16','except':["
		   "'192.168.0.0/24','10.0.0.0/16','10.0.0.0/8','10.0.5.0/24']}}]}]}"),
		INVALID "[spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "
		    "\"192.168.0.0/24\": must be a strict subset of `cidr`, "
		    "spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: \"10.0.0.0/16\": "
		    "must be a strict subset of `cidr`, spec.ingress[0].from[0].ipBlock.except[2]: "
		    "Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`]",
		"spec.ingress[0].from[0].ipBlock.except[0]",
		"spec.ingress[0].from[0].ipBlock.except[1]",
		"spec.ingress[0].from[0].ipBlock.except[2]", NULL);
	/* The first except that does not parse ends the checks of the block. */
	refused(NP("{'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/16','except':["
		   "'10.0.300.0/24','192.168.0.0/24']}}]}]}"),
		INVALID "spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "
		    "\"10.0.300.0/24\": not a valid CIDR",
		"spec.ingress[0].from[0].ipBlock.except[0]", NULL);
	/* An IPv4 except never lies in an IPv6 block. */
	refused(NP("{'ingress':[{'from':[{'ipBlock':{'cidr':'2001:db8::/32','except':["
		   "'10.0.0.0/24']}}]}]}"),
		INVALID "spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "
		    "\"10.0.0.0/24\": must be a strict subset of `cidr`",
		"spec.ingress[0].from[0].ipBlock.except[0]", NULL);
	/* What 1.32 accepts: host bits set, leading zeros, IPv6, /0. */
	n = create(NP("{'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.1/24','except':["
		      "'10.0.0.128/25']}},{'ipBlock':{'cidr':'010.1.0.0/16'}},{'ipBlock':{"
		      "'cidr':'2001:db8::/32','except':['2001:db8:1::/48']}},{'ipBlock':{'cidr':"
		      "'0.0.0.0/0','except':['10.244.0.0/16']}}]}]}"));
	json_decref(n);
}

static void ports(void **state)
{
	(void)state;
	refused(NP("{'ingress':[{'ports':[{'port':'abcdefghijklmnopq'}]}]}"),
		INVALID "spec.ingress[0].ports[0].port: Invalid value: \"abcdefghijklmnopq\": must "
		    "be no more than 15 characters",
		"spec.ingress[0].ports[0].port", NULL);
	refused(NP("{'ingress':[{'ports':[{'port':'http_alt'}]}]}"),
		INVALID "spec.ingress[0].ports[0].port: Invalid value: \"http_alt\": must contain "
		    "only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
		"spec.ingress[0].ports[0].port", NULL);
	refused(NP("{'ingress':[{'ports':[{'port':70000},{'port':0}]}]}"),
		INVALID "[spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 "
		    "and 65535, inclusive, spec.ingress[0].ports[1].port: Invalid value: 0: must "
		    "be between 1 and 65535, inclusive]",
		"spec.ingress[0].ports[0].port", "spec.ingress[0].ports[1].port", NULL);
	refused(NP("{'egress':[{'ports':[{'protocol':'UDP','endPort':90}]}]}"),
		INVALID "spec.egress[0].ports[0].endPort: Invalid value: 90: may not be specified "
		    "when `port` is not specified",
		"spec.egress[0].ports[0].endPort", NULL);
	refused(NP("{'egress':[{'ports':[{'port':'dns','endPort':90}]}]}"),
		INVALID "spec.egress[0].ports[0].endPort: Invalid value: 90: may not be specified "
		    "when `port` is non-numeric",
		"spec.egress[0].ports[0].endPort", NULL);
	/* kube-apiserver 1.32 shows port's value at endPort's path here. */
	refused(NP("{'egress':[{'ports':[{'port':100,'endPort':90}]}]}"),
		INVALID "spec.egress[0].ports[0].endPort: Invalid value: 100: must be greater than "
		    "or equal to `port`",
		"spec.egress[0].ports[0].endPort", NULL);
	/* Both of IsValidPortNum's and the order's messages, as upstream. */
	refused(NP("{'egress':[{'ports':[{'port':100,'endPort':0}]}]}"),
		INVALID "[spec.egress[0].ports[0].endPort: Invalid value: 100: must be greater than "
		    "or equal to `port`, spec.egress[0].ports[0].endPort: Invalid value: 0: must "
		    "be between 1 and 65535, inclusive]",
		"spec.egress[0].ports[0].endPort", "spec.egress[0].ports[0].endPort", NULL);
	refused(NP("{'ingress':[{'ports':[{'protocol':'ICMP','port':80}]}]}"),
		INVALID "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported "
		    "values: \"TCP\", \"UDP\", \"SCTP\"",
		"spec.ingress[0].ports[0].protocol", NULL);
	refused(NP("{'ingress':[{'ports':[{'port':true,'endPort':'x'}]}]}"),
		INVALID "[spec.ingress[0].ports[0].endPort: Invalid value: \"x\": must be an "
		    "integer, spec.ingress[0].ports[0].port: Invalid value: true: must be an "
		    "integer or a port name]",
		"spec.ingress[0].ports[0].endPort", "spec.ingress[0].ports[0].port", NULL);
	json_decref(create(NP("{'ingress':[{'ports':[{'protocol':'SCTP','port':1,'endPort':"
			      "65535},{'port':'serve-80-tcp'}]}]}")));
}

static void peers(void **state)
{
	(void)state;
	refused(NP("{'ingress':[{'from':[{}]}]}"),
		INVALID "spec.ingress[0].from[0]: Required value: must specify a peer",
		"spec.ingress[0].from[0]", NULL);
	/* null is Go's nil pointer: no peer. */
	refused(NP("{'egress':[{'to':[{'podSelector':null}]}]}"),
		INVALID "spec.egress[0].to[0]: Required value: must specify a peer",
		"spec.egress[0].to[0]", NULL);
	refused(NP("{'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/8'},"
		   "'namespaceSelector':{}}]}]}"),
		INVALID "spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and "
		    "another peer",
		"spec.ingress[0].from[0]", NULL);
	/* podSelector and namespaceSelector in one peer: their AND, valid. */
	json_decref(create(NP("{'ingress':[{'from':[{'podSelector':{},'namespaceSelector':{"
			      "'matchLabels':{'ns':'y'}}}]}]}")));
}

static void selectors(void **state)
{
	(void)state;
	refused(NP("{'podSelector':{'matchLabels':{'bad key':'v'}}}"),
		INVALID "spec.podSelector.matchLabels: Invalid value: \"bad key\": name part must "
		    "consist of alphanumeric characters, '-', '_' or '.', and must start and end "
		    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
		    "'123-abc', regex used for validation is "
		    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
		"spec.podSelector.matchLabels", NULL);
	refused(NP("{'ingress':[{'from':[{'namespaceSelector':{'matchExpressions':[{'key':'ns',"
		   "'operator':'Equals','values':['x']}]}}]}]}"),
		INVALID "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].operator: "
		    "Invalid value: \"Equals\": not a valid selector operator",
		"spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].operator", NULL);
	refused(NP("{'egress':[{'to':[{'podSelector':{'matchExpressions':[{'key':'pod',"
		   "'operator':'In'}]}}]}]}"),
		INVALID "spec.egress[0].to[0].podSelector.matchExpressions[0].values: Required "
		    "value: must be specified when `operator` is 'In' or 'NotIn'",
		"spec.egress[0].to[0].podSelector.matchExpressions[0].values", NULL);
}

static void policy_types(void **state)
{
	(void)state;
	refused(NP("{'policyTypes':['Inbound']}"),
		INVALID "spec.policyTypes[0]: Unsupported value: \"Inbound\": supported values: "
		    "\"Ingress\", \"Egress\"",
		"spec.policyTypes[0]", NULL);
	/* More than two: that one message, the entries are not looked at. */
	refused(NP("{'policyTypes':['Ingress','Egress','Outbound']}"),
		INVALID "spec.policyTypes: Invalid value: []networking.PolicyType{\"Ingress\", "
		    "\"Egress\", \"Outbound\"}: may not specify more than two policyTypes",
		"spec.policyTypes", NULL);
}

/* Errors come in kube-apiserver's order: podSelector, then each ingress
 * rule's ports and peers, then egress, then policyTypes. */
static void order(void **state)
{
	(void)state;
	refused(NP("{'podSelector':{'matchExpressions':[{'key':'a','operator':'X'}]},"
		   "'policyTypes':['X'],'egress':[{'to':[{}],'ports':[{'port':0}]}],"
		   "'ingress':[{'from':[{}],'ports':[{'port':0}]}]}"),
		INVALID "[spec.podSelector.matchExpressions[0].operator: Invalid value: \"X\": not "
		    "a valid selector operator, spec.ingress[0].ports[0].port: Invalid value: 0: "
		    "must be between 1 and 65535, inclusive, spec.ingress[0].from[0]: Required "
		    "value: must specify a peer, spec.egress[0].ports[0].port: Invalid value: 0: "
		    "must be between 1 and 65535, inclusive, spec.egress[0].to[0]: Required "
		    "value: must specify a peer, spec.policyTypes[0]: Unsupported value: \"X\": "
		    "supported values: \"Ingress\", \"Egress\"]",
		"spec.podSelector.matchExpressions[0].operator", "spec.ingress[0].ports[0].port",
		"spec.ingress[0].from[0]", "spec.egress[0].ports[0].port", "spec.egress[0].to[0]",
		"spec.policyTypes[0]", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(ipblock, setup, teardown),
		cmocka_unit_test_setup_teardown(ports, setup, teardown),
		cmocka_unit_test_setup_teardown(peers, setup, teardown),
		cmocka_unit_test_setup_teardown(selectors, setup, teardown),
		cmocka_unit_test_setup_teardown(policy_types, setup, teardown),
		cmocka_unit_test_setup_teardown(order, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
