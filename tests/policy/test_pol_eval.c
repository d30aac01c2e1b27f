/* The evaluator on views built from objects, each semantic point of
 * networking.k8s.io/v1 on upstream's 3x3 model: peers ANDed in one peer
 * and ORed across peers, namespaceSelector {} against omitted,
 * matchExpressions, ipBlock with except, named ports on ingress and
 * egress resolved per destination pod, endPort, UDP, SCTP, the union of
 * policies, an empty rule list, policyTypes defaulting, the node's
 * traffic, kubernetes.io/metadata.name; every view's kernel lists checked
 * against the evaluator flow by flow. Then the case table
 * (tests/policy/netpol_cases.yaml, upstream's e2e cases), every cell of
 * every grid; explain's JSON, the isolating policies and the gates, the
 * same over fronts built per Service and joined; a set of policies made
 * from an earlier one against the set compiled whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "pol_test.h"
#include "pol_view_int.h"

#define X_A pt_ip(0, 0)
#define X_B pt_ip(0, 1)
#define X_C pt_ip(0, 2)
#define Y_A pt_ip(1, 0)
#define Y_B pt_ip(1, 1)
#define Y_C pt_ip(1, 2)
#define Z_A pt_ip(2, 0)
#define Z_B pt_ip(2, 1)
#define Z_C pt_ip(2, 2)
#define OUTSIDE 0x08080808u

static bool reach(const struct pol_view *v, uint32_t src, uint32_t dst, uint8_t proto,
		  uint16_t port)
{
	struct pol_flow f = {src, dst, port, proto};

	return pol_view_check(v, &f) == POL_ALLOWED;
}

/* The model with the policies written in YAML, its lists checked. */
static struct pol_view *with(const char *yaml, const char *extra_yaml)
{
	json_t *p = yaml_to_json(yaml, strlen(yaml));
	json_t *e = extra_yaml ? yaml_to_json(extra_yaml, strlen(extra_yaml)) : NULL;
	struct pol_view *v;

	assert_true(json_is_array(p));
	v = pt_model(p, NULL, NULL, e);
	assert_non_null(v);
	assert_int_equal(pt_agree(v), 0);
	json_decref(p);
	json_decref(e);
	return v;
}

#define POL(ns, name, spec) \
	"- {metadata: {namespace: " ns ", name: " name "}, spec: " spec "}\n"

static void peers_and_or(void **state)
{
	/* Both selectors in one peer: pods b of namespaces ns=y. */
	struct pol_view *v = with(POL("x", "and", "{podSelector: {matchLabels: {pod: a}}, "
					"ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}, "
					"podSelector: {matchLabels: {pod: b}}}]}]}"), NULL);

	assert_true(reach(v, Y_B, X_A, POL_TCP, 80));
	assert_false(reach(v, Y_A, X_A, POL_TCP, 80));
	assert_false(reach(v, X_B, X_A, POL_TCP, 80));
	assert_false(reach(v, Z_B, X_A, POL_TCP, 80));
	assert_true(reach(v, Y_A, X_B, POL_TCP, 80));
	pol_view_free(v);
	/* In two peers: every pod of ns=y, or pods b of x itself. */
	v = with(POL("x", "or", "{podSelector: {matchLabels: {pod: a}}, "
			      "ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}, "
			      "{podSelector: {matchLabels: {pod: b}}}]}]}"), NULL);
	assert_true(reach(v, Y_B, X_A, POL_TCP, 80));
	assert_true(reach(v, Y_A, X_A, POL_UDP, 81));
	assert_true(reach(v, X_B, X_A, POL_TCP, 80));
	assert_false(reach(v, X_C, X_A, POL_TCP, 80));
	assert_false(reach(v, Z_B, X_A, POL_TCP, 80));
	pol_view_free(v);
}

static void namespace_selector_empty_or_omitted(void **state)
{
	struct pol_view *v = with(POL("x", "all-ns", "{podSelector: {matchLabels: {pod: a}}, "
					   "ingress: [{from: [{namespaceSelector: {}, "
					   "podSelector: {matchLabels: {pod: b}}}]}]}"), NULL);

	assert_true(reach(v, X_B, X_A, POL_TCP, 80));
	assert_true(reach(v, Y_B, X_A, POL_TCP, 80));
	assert_true(reach(v, Z_B, X_A, POL_TCP, 80));
	assert_false(reach(v, Z_A, X_A, POL_TCP, 80));
	pol_view_free(v);
	v = with(POL("x", "own-ns", "{podSelector: {matchLabels: {pod: a}}, "
				  "ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}"), NULL);
	assert_true(reach(v, X_B, X_A, POL_TCP, 80));
	assert_false(reach(v, Y_B, X_A, POL_TCP, 80));
	pol_view_free(v);
}

static void match_expressions(void **state)
{
	struct pol_view *v = with(
	    POL("x", "in", "{podSelector: {matchExpressions: [{key: pod, operator: In, values: [a, b]}]}, "
			   "ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: ns, "
			   "operator: NotIn, values: [y]}]}}]}]}")
	    POL("x", "exists", "{podSelector: {matchExpressions: [{key: pod, operator: DoesNotExist}]}, "
			       "ingress: []}"),
	    NULL);

	/* x/a and x/b isolated; x/c not (pod exists, so "exists" selects no one). */
	assert_true(reach(v, Z_A, X_A, POL_TCP, 80));
	assert_true(reach(v, X_C, X_B, POL_TCP, 80));
	assert_false(reach(v, Y_A, X_A, POL_TCP, 80));
	assert_true(reach(v, Y_A, X_C, POL_TCP, 80));
	pol_view_free(v);
	v = with(POL("x", "exists", "{podSelector: {matchExpressions: [{key: pod, operator: Exists}]}, "
				  "ingress: [{from: [{podSelector: {matchExpressions: [{key: pod, "
				  "operator: NotIn, values: [a]}]}, namespaceSelector: {}}]}]}"),
		 NULL);
	assert_true(reach(v, Y_B, X_A, POL_TCP, 80));
	assert_false(reach(v, Y_A, X_C, POL_TCP, 80));
	pol_view_free(v);
}

static void ipblock_except(void **state)
{
	struct pol_view *v = with(POL("x", "cidr", "{podSelector: {matchLabels: {pod: a}}, "
					 "policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.244.0.0/16, "
					 "except: [10.244.2.0/24, 10.244.3.11/32]}}]}]}"), NULL);
	struct pol_elems e = {0};
	long a = pol_view_pod_at(v, X_A) - pol_view_pod(v, 0);

	assert_true(reach(v, X_A, X_B, POL_TCP, 80));
	assert_false(reach(v, X_A, Y_B, POL_TCP, 80));
	assert_true(reach(v, X_A, Z_A, POL_TCP, 80));
	assert_false(reach(v, X_A, Z_B, POL_TCP, 80));
	assert_false(reach(v, X_A, OUTSIDE, POL_TCP, 80));
	/* Only egress is isolated: anyone reaches x/a. */
	assert_true(reach(v, OUTSIDE, X_A, POL_TCP, 80));
	/* The kernel's list is the block minus its exceptions. */
	assert_true(pol_view_rules(v, (size_t)a, POL_EGRESS, &e));
	assert_int_equal(e.n, 3);
	assert_int_equal(e.v[0].lo, 0x0af40000);
	assert_int_equal(e.v[0].hi, 0x0af401ff);
	assert_int_equal(e.v[1].lo, 0x0af40300);
	assert_int_equal(e.v[1].hi, 0x0af4030a);
	assert_int_equal(e.v[2].lo, 0x0af4030c);
	assert_int_equal(e.v[2].hi, 0x0af4ffff);
	assert_int_equal(e.v[0].proto, 0);
	assert_false(pol_view_rules(v, (size_t)a, POL_INGRESS, &e));
	assert_int_equal(e.n, 0);
	pol_elems_free(&e);
	pol_view_free(v);
	/* An exception the view cannot read (an older store's) makes the
	 * block allow nothing, not more. */
	v = with(POL("x", "bad", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], "
				 "egress: [{to: [{ipBlock: {cidr: 10.244.0.0/16, except: [10.244.2.0/33]}}]}, "
				 "{ports: [{port: 81}]}]}"), NULL);
	assert_false(reach(v, X_A, Y_B, POL_TCP, 80));
	assert_false(reach(v, X_A, X_B, POL_TCP, 80));
	assert_true(reach(v, X_A, Y_B, POL_TCP, 81));
	pol_view_free(v);
}

/* z/d serves its "serve-80-tcp" on 8080: a named port means each
 * destination pod's own number. */
static const char pod_d[] =
	"- metadata: {namespace: z, name: d, labels: {pod: d}}\n"
	"  spec: {containers: [{name: s, ports: [{name: serve-80-tcp, containerPort: 8080}]}]}\n"
	"  status: {podIP: 10.244.3.13, phase: Running}\n";
#define Z_D 0x0af4030du

static void named_ports(void **state)
{
	struct pol_view *v = with(POL("x", "eg", "{podSelector: {matchLabels: {pod: a}}, "
				      "egress: [{ports: [{port: serve-80-tcp}]}]}"), pod_d);

	assert_true(reach(v, X_A, Y_B, POL_TCP, 80));
	assert_false(reach(v, X_A, Y_B, POL_TCP, 81));
	assert_false(reach(v, X_A, Y_B, POL_UDP, 80));
	assert_true(reach(v, X_A, Z_D, POL_TCP, 8080));
	assert_false(reach(v, X_A, Z_D, POL_TCP, 80));
	/* An address that is no pod has no named port. */
	assert_false(reach(v, X_A, OUTSIDE, POL_TCP, 80));
	pol_view_free(v);
	v = with(POL("z", "in", "{podSelector: {}, ingress: [{ports: [{port: serve-80-tcp}, "
				"{port: serve-81-udp, protocol: UDP}]}]}"), pod_d);
	assert_true(reach(v, Y_A, Z_D, POL_TCP, 8080));
	assert_false(reach(v, Y_A, Z_D, POL_TCP, 80));
	assert_true(reach(v, Y_A, Z_A, POL_TCP, 80));
	assert_true(reach(v, Y_A, Z_A, POL_UDP, 81));
	assert_false(reach(v, Y_A, Z_A, POL_UDP, 80));
	assert_false(reach(v, Y_A, Z_A, POL_TCP, 81));
	assert_true(reach(v, OUTSIDE, Z_D, POL_TCP, 8080));
	pol_view_free(v);
}

static void end_port_udp_sctp(void **state)
{
	struct pol_view *v = with(POL("x", "range", "{podSelector: {}, ingress: [{ports: "
					"[{port: 80, endPort: 81}, {protocol: UDP, port: 81}, "
					"{protocol: SCTP, port: 80}]}]}"), NULL);

	assert_true(reach(v, Y_A, X_A, POL_TCP, 80));
	assert_true(reach(v, Y_A, X_A, POL_TCP, 81));
	assert_false(reach(v, Y_A, X_A, POL_TCP, 82));
	assert_false(reach(v, Y_A, X_A, POL_UDP, 80));
	assert_true(reach(v, Y_A, X_A, POL_UDP, 81));
	assert_true(reach(v, Y_A, X_A, POL_SCTP, 80));
	assert_false(reach(v, Y_A, X_A, POL_SCTP, 81));
	pol_view_free(v);
	/* A protocol without a port: every port of that protocol. */
	v = with(POL("x", "udp", "{podSelector: {}, ingress: [{ports: [{protocol: UDP}]}]}"), NULL);
	assert_true(reach(v, Y_A, X_A, POL_UDP, 65535));
	assert_false(reach(v, Y_A, X_A, POL_TCP, 80));
	pol_view_free(v);
}

static void union_and_empty_rules(void **state)
{
	struct pol_view *v = with(
	    POL("x", "from-b", "{podSelector: {matchLabels: {pod: a}}, "
			       "ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}")
	    POL("x", "from-y", "{podSelector: {}, ingress: [{from: [{namespaceSelector: "
			       "{matchLabels: {ns: y}}}], ports: [{port: 81}]}]}"),
	    NULL);
	const char *const *names;

	assert_true(reach(v, X_B, X_A, POL_TCP, 80));
	assert_true(reach(v, Y_C, X_A, POL_TCP, 81));
	assert_false(reach(v, Y_C, X_A, POL_TCP, 80));
	assert_false(reach(v, Z_A, X_A, POL_TCP, 81));
	assert_int_equal(pol_view_isolating(v, (size_t)(pol_view_pod_at(v, X_A) - pol_view_pod(v, 0)),
					    POL_INGRESS, &names), 2);
	assert_string_equal(names[0], "x/from-b");
	assert_string_equal(names[1], "x/from-y");
	pol_view_free(v);
	/* No rules: nothing in; one empty rule: everything in. */
	v = with(POL("x", "none", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Ingress], "
				"ingress: []}")
		 POL("x", "any", "{podSelector: {matchLabels: {pod: b}}, ingress: [{}]}"),
		 NULL);
	assert_false(reach(v, X_B, X_A, POL_TCP, 80));
	assert_false(reach(v, OUTSIDE, X_A, POL_UDP, 53));
	assert_true(reach(v, OUTSIDE, X_B, POL_UDP, 53));
	assert_true(reach(v, X_A, X_B, POL_SCTP, 9));
	pol_view_free(v);
}

static void policy_types_defaulting(void **state)
{
	/* No policyTypes, egress rules given: Ingress and Egress. */
	struct pol_view *v = with(POL("x", "eg", "{podSelector: {matchLabels: {pod: a}}, "
				      "egress: [{to: [{podSelector: {}}]}]}"), NULL);

	assert_false(reach(v, Y_A, X_A, POL_TCP, 80));
	assert_true(reach(v, X_A, X_B, POL_TCP, 80));
	assert_false(reach(v, X_A, Y_A, POL_TCP, 80));
	pol_view_free(v);
	/* No policyTypes, no egress rules: Ingress only. */
	v = with(POL("x", "in", "{podSelector: {matchLabels: {pod: a}}, egress: []}"), NULL);
	assert_false(reach(v, Y_A, X_A, POL_TCP, 80));
	assert_true(reach(v, X_A, Y_A, POL_TCP, 80));
	pol_view_free(v);
	/* Egress alone: ingress open, and its ingress rules ignored. */
	v = with(POL("x", "only-eg", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], "
				     "ingress: [{from: [{podSelector: {}}]}]}"), NULL);
	assert_true(reach(v, Y_A, X_A, POL_TCP, 80));
	assert_false(reach(v, X_A, X_B, POL_TCP, 80));
	pol_view_free(v);
}

static void node_and_self(void **state)
{
	struct pol_view *v = with(POL("x", "deny", "{podSelector: {}, policyTypes: [Ingress, Egress]}"),
				  NULL);

	assert_true(reach(v, PT_NODE, X_A, POL_TCP, 80));
	assert_true(reach(v, X_A, PT_NODE, POL_TCP, 6443));
	assert_true(reach(v, 0x7f000001, X_A, POL_TCP, 80));
	assert_true(reach(v, X_A, X_A, POL_UDP, 80));
	assert_false(reach(v, OUTSIDE, X_A, POL_TCP, 80));
	assert_false(reach(v, X_A, OUTSIDE, POL_TCP, 80));
	assert_int_equal(pol_view_check(v, &(struct pol_flow){X_A, Y_A, 80, POL_TCP}),
			 POL_DENIED_EGRESS);
	assert_int_equal(pol_view_check(v, &(struct pol_flow){Y_A, X_A, 80, POL_TCP}),
			 POL_DENIED_INGRESS);
	pol_view_free(v);
}

static void metadata_name_label(void **state)
{
	/* Namespace w has no labels of its own, and no Namespace object at
	 * all for v: both still carry kubernetes.io/metadata.name. */
	struct pol_view *v = with(POL("x", "by-name", "{podSelector: {}, ingress: [{from: "
					  "[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: w}}}, "
					  "{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: v}}}]}]}"),
				  "- metadata: {name: w}\n"
				  "- metadata: {namespace: w, name: p}\n"
				  "  spec: {containers: []}\n"
				  "  status: {podIP: 10.244.9.1}\n"
				  "- metadata: {namespace: v, name: p}\n"
				  "  spec: {containers: []}\n"
				  "  status: {podIP: 10.244.9.2}\n");

	assert_true(reach(v, 0x0af40901, X_A, POL_TCP, 80));
	assert_true(reach(v, 0x0af40902, X_A, POL_TCP, 80));
	assert_false(reach(v, Y_A, X_A, POL_TCP, 80));
	pol_view_free(v);
}

static void explain_json(void **state)
{
	struct pol_view *v = with(POL("x", "deny", "{podSelector: {}, ingress: []}")
				  POL("x", "allow-y", "{podSelector: {matchLabels: {pod: a}}, "
						      "ingress: [{from: [{podSelector: {matchLabels: {pod: c}}}]}, "
						      "{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}"),
				  NULL);
	json_t *j = pol_view_explain(v, &(struct pol_flow){Y_B, X_A, 80, POL_TCP});

	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "Allowed");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "from"), "name")), "b");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "to"), "namespace")), "x");
	assert_true(json_is_true(json_object_get(json_object_get(j, "ingress"), "isolated")));
	assert_false(json_is_true(json_object_get(json_object_get(j, "egress"), "isolated")));
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "ingress"), "policies")), 2);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_object_get(j, "ingress"), "allowedBy"), "policy")),
			    "x/allow-y");
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_object_get(j, "ingress"), "allowedBy"), "rule")),
			 1);
	json_decref(j);
	j = pol_view_explain(v, &(struct pol_flow){OUTSIDE, X_B, 81, POL_UDP});
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "Denied");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "from"), "kind")),
			    "external");
	assert_null(json_object_get(json_object_get(j, "ingress"), "allowedBy"));
	assert_string_equal(json_string_value(json_object_get(j, "protocol")), "UDP");
	json_decref(j);
	pol_view_free(v);
}

/* The model's pods (a, b, c in x, y and z, each labelled pod: <name>),
 * without their namespaces, into b. */
static void add_model_pods(struct pol_view_builder *b)
{
	for (int ns = 0; ns < 3; ns++)
		for (int pd = 0; pd < 3; pd++) {
			json_t *l = json_pack("{s:s}", "pod", pt_pods[pd]);
			json_t *o = pt_pod(pt_ns[ns], pt_pods[pd], pt_ip(ns, pd), l);

			pol_builder_pod(b, o, NULL);
			json_decref(o);
			json_decref(l);
		}
}

/* A Service in front of x/a and a face pod: a client none of whose
 * endpoints it may reach is gated at the front, the others pass. */
static void gates(void **state)
{
	static const char svc[] =
	    "{\"metadata\":{\"namespace\":\"x\",\"name\":\"svc\"},\"spec\":{\"clusterIP\":"
	    "\"10.96.0.20\",\"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30080}]},"
	    "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"10.0.0.5\"}]}}}";
	static const char eps[] =
	    "{\"metadata\":{\"namespace\":\"x\",\"name\":\"svc\"},\"subsets\":[{\"addresses\":"
	    "[{\"ip\":\"10.244.1.10\"}],\"ports\":[{\"name\":\"http\",\"port\":80}]}]}";
	static const char face[] =
	    "{\"metadata\":{\"namespace\":\"kube-system\",\"name\":\"coredns-n\"},\"spec\":"
	    "{\"containers\":[{\"name\":\"dns\",\"ports\":[{\"name\":\"dns\",\"containerPort\":"
	    "53,\"protocol\":\"UDP\"}]}]},\"status\":{\"podIP\":\"10.244.0.53\","
	    "\"containerStatuses\":[{\"containerID\":\"k1s://face/dns\"}]}}";
	static const char pols[] =
	    POL("x", "a-from-b", "{podSelector: {matchLabels: {pod: a}}, "
				 "ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}")
	    POL("kube-system", "dns-deny", "{podSelector: {}, ingress: []}")
	    POL("z", "c-out", "{podSelector: {matchLabels: {pod: c}}, policyTypes: [Egress]}");
	json_t *p = yaml_to_json(pols, strlen(pols)), *o;
	const char *const *blamed;
	struct k1s_cidr net = {0x0af40000, 16};
	struct pol_view_builder *b = pol_builder_new(&net, PT_NODE);
	struct pol_gates g = {0};
	struct pol_view *v;
	size_t i, n = 0;

	pol_builder_pod(b, o = json_loads(face, 0, NULL), NULL);
	json_decref(o);
	pol_builder_service(b, o = json_loads(svc, 0, NULL));
	json_decref(o);
	pol_builder_endpoints(b, o = json_loads(eps, 0, NULL));
	json_decref(o);
	add_model_pods(b);
	json_array_foreach(p, i, o)
		pol_builder_policy(b, o);
	json_decref(p);
	v = pol_builder_finish(b);
	assert_non_null(v);
	assert_int_equal(pt_agree(v), 0);
	assert_true(pol_view_pod_at(v, 0x0af40035)->face);
	assert_int_equal(pol_view_gates(v, &g), 0);
	/* Seven clients (all but x/a itself and x/b) at the service's three
	 * fronts, and all nine at the DNS face. */
	for (size_t i = 0; i < g.n; i++) {
		if (g.v[i].front == 0x0af40035) {
			assert_int_equal(g.v[i].port, 53);
			assert_int_equal(g.v[i].proto, POL_UDP);
		} else {
			assert_true(g.v[i].front == 0x0a600014 || g.v[i].front == PT_NODE ||
				    g.v[i].front == 0x0a000005);
			assert_int_equal(g.v[i].port, g.v[i].front == PT_NODE ? 30080 : 80);
			assert_true(g.v[i].client != X_B && g.v[i].client != X_A);
		}
		n++;
	}
	assert_int_equal(n, 7 * 3 + 9);
	pol_gates_free(&g);
	/* A gate's drops are counted against the policy that denied the flow
	 * to the endpoint: the endpoint's ingress, or the client's egress
	 * (judged first, as the proxies judge). */
	assert_int_equal(pol_view_gate_blame(v, &(struct pol_gate){Y_A, 0x0a600014, 80, POL_TCP},
					     &blamed), 1);
	assert_string_equal(blamed[0], "x/a-from-b");
	assert_int_equal(pol_view_gate_blame(v, &(struct pol_gate){Z_C, PT_NODE, 30080, POL_TCP},
					     &blamed), 1);
	assert_string_equal(blamed[0], "z/c-out");
	assert_int_equal(pol_view_gate_blame(v, &(struct pol_gate){Y_A, 0x0af40035, 53, POL_UDP},
					     &blamed), 1);
	assert_string_equal(blamed[0], "kube-system/dns-deny");
	/* No such front, or a client that passes: nothing to count. */
	assert_int_equal(pol_view_gate_blame(v, &(struct pol_gate){Y_A, 0x0a600014, 81, POL_TCP},
					     &blamed), 0);
	assert_int_equal(pol_view_gate_blame(v, &(struct pol_gate){X_B, 0x0a600014, 80, POL_TCP},
					     &blamed), 0);
	/* Explained at a Service's front: judged at its endpoints. */
	{
		json_t *j = pol_view_explain(v, &(struct pol_flow){Y_A, 0x0a600014, 80, POL_TCP});

		assert_string_equal(json_string_value(json_object_get(j, "verdict")), "Denied");
		assert_string_equal(json_string_value(json_object_get(
					json_object_get(json_object_get(j, "to"), "service"), "name")),
				    "svc");
		assert_int_equal(json_array_size(json_object_get(j, "endpoints")), 1);
		assert_string_equal(json_string_value(json_object_get(json_object_get(
					json_array_get(json_object_get(j, "endpoints"), 0), "to"), "name")),
				    "a");
		json_decref(j);
		j = pol_view_explain(v, &(struct pol_flow){X_B, PT_NODE, 30080, POL_TCP});
		assert_string_equal(json_string_value(json_object_get(j, "verdict")), "Allowed");
		assert_non_null(json_object_get(j, "endpoints"));
		json_decref(j);
		j = pol_view_explain(v, &(struct pol_flow){Y_A, PT_NODE, 30080, POL_TCP});
		assert_string_equal(json_string_value(json_object_get(j, "verdict")), "Denied");
		json_decref(j);
	}
	pol_view_free(v);
}

/* A view over fronts built per Service and joined, and over policies
 * compiled apart (as the module keeps both between views), says what a
 * view built from every object at once says: the same gates, blamed on
 * the same policies, and the same explanations at each front. */
static struct pol_view *fronts_view(const json_t *pols, struct pol_policies *ps,
				    struct pol_fronts *f, const json_t *svcs, const json_t *eps)
{
	struct k1s_cidr net = {0x0af40000, 16};
	struct pol_view_builder *b = pol_builder_new(&net, PT_NODE);
	json_t *o;
	size_t i;

	add_model_pods(b);
	json_array_foreach(pols, i, o)
		pol_builder_policy(b, o);
	if (ps)
		pol_builder_policies(b, ps);
	if (f)
		pol_builder_fronts(b, f);
	json_array_foreach(svcs, i, o)
		pol_builder_service(b, o);
	json_array_foreach(eps, i, o)
		pol_builder_endpoints(b, o);
	return pol_builder_finish(b);
}

static void shared_parts_agree(void **state)
{
	static const char objs[] =
	    "{svcs: [{metadata: {namespace: x, name: s1}, spec: {clusterIP: 10.96.0.20, ports: "
	    "[{name: http, port: 80, nodePort: 30080}, {name: dns, port: 53, protocol: UDP}]}},"
	    " {metadata: {namespace: y, name: s2}, spec: {clusterIP: 10.96.0.21, ports: "
	    "[{port: 8080}]}, status: {loadBalancer: {ingress: [{ip: 10.0.0.5}]}}},"
	    " {metadata: {namespace: z, name: none}, spec: {clusterIP: 10.96.0.22, ports: "
	    "[{port: 80}]}}],"
	    " eps: [{metadata: {namespace: x, name: s1}, subsets: [{addresses: [{ip: 10.244.1.10},"
	    " {ip: 10.244.2.11}], ports: [{name: http, port: 80}, {name: dns, port: 53, protocol:"
	    " UDP}]}]},"
	    " {metadata: {namespace: y, name: s2}, subsets: [{addresses: [{ip: 10.244.3.12},"
	    " {ip: 10.9.9.9}], ports: [{port: 8080}]}]}]}";
	static const char pols[] =
	    POL("x", "a-from-b", "{podSelector: {matchLabels: {pod: a}}, "
				 "ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}")
	    POL("y", "deny-b", "{podSelector: {matchLabels: {pod: b}}, ingress: []}")
	    POL("z", "c-out", "{podSelector: {matchLabels: {pod: c}}, policyTypes: [Egress]}");
	json_t *all = yaml_to_json(objs, strlen(objs)), *p = yaml_to_json(pols, strlen(pols));
	json_t *svcs = json_object_get(all, "svcs"), *eps = json_object_get(all, "eps");
	json_t *none = json_array();
	struct pol_fronts *part[3], *joined, *whole;
	struct pol_policies *ps = pol_policies_new(p);
	struct pol_view *v[4];
	struct pol_gates g[4] = {{0}};

	assert_non_null(all);
	for (size_t i = 0; i < 3; i++) {
		json_t *s1 = json_pack("[O]", json_array_get(svcs, i));
		json_t *e1 = i < json_array_size(eps) ? json_pack("[O]", json_array_get(eps, i))
						      : json_array();

		part[i] = pol_fronts_new(s1, e1, PT_NODE);
		assert_non_null(part[i]);
		json_decref(s1);
		json_decref(e1);
	}
	joined = pol_fronts_join(part, 3);
	whole = pol_fronts_new(svcs, eps, PT_NODE);
	assert_non_null(joined);
	assert_non_null(whole);
	for (size_t i = 0; i < 3; i++)
		pol_fronts_free(part[i]);	/* the join keeps its own */
	assert_non_null(ps);
	v[0] = fronts_view(p, NULL, NULL, svcs, eps);
	v[1] = fronts_view(p, NULL, joined, none, none);
	v[2] = fronts_view(p, NULL, whole, none, none);
	v[3] = fronts_view(none, ps, joined, none, none);
	pol_fronts_free(joined);
	pol_fronts_free(whole);
	pol_policies_free(ps);
	for (int k = 0; k < 4; k++) {
		assert_non_null(v[k]);
		assert_int_equal(pol_view_gates(v[k], &g[k]), 0);
	}
	/* Some clients are gated at some fronts, others not. */
	assert_true(g[0].n > 0);
	assert_true(g[0].n < 9 * 6);
	for (int k = 1; k < 4; k++) {
		assert_int_equal(g[k].n, g[0].n);
		assert_memory_equal(g[k].v, g[0].v, g[0].n * sizeof(*g[0].v));
	}
	for (size_t i = 0; i < g[0].n; i++) {
		const char *const *b0, *const *bk;
		size_t n0 = pol_view_gate_blame(v[0], &g[0].v[i], &b0);

		assert_true(n0 > 0);
		for (int k = 1; k < 4; k++) {
			assert_int_equal(pol_view_gate_blame(v[k], &g[0].v[i], &bk), n0);
			for (size_t j = 0; j < n0; j++)
				assert_string_equal(bk[j], b0[j]);
		}
	}
	for (int ns = 0; ns < 3; ns++)
		for (int pd = 0; pd < 3; pd++) {
			static const struct {
				uint32_t ip;
				uint16_t port;
				uint8_t proto;
			} to[] = {{0x0a600014, 80, POL_TCP}, {0x0a600014, 53, POL_UDP},
				  {PT_NODE, 30080, POL_TCP}, {0x0a600015, 8080, POL_TCP},
				  {0x0a000005, 8080, POL_TCP}, {0x0a600016, 80, POL_TCP}};

			for (size_t t = 0; t < sizeof(to) / sizeof(*to); t++) {
				struct pol_flow f = {pt_ip(ns, pd), to[t].ip, to[t].port, to[t].proto};
				json_t *e0 = pol_view_explain(v[0], &f);

				for (int k = 1; k < 4; k++) {
					json_t *ek = pol_view_explain(v[k], &f);

					assert_true(json_equal(e0, ek));
					json_decref(ek);
				}
				json_decref(e0);
			}
		}
	for (int k = 0; k < 4; k++) {
		assert_int_equal(pt_agree(v[k]), 0);
		pol_gates_free(&g[k]);
		pol_view_free(v[k]);
	}
	json_decref(none);
	json_decref(p);
	json_decref(all);
}

/* A set of policies made from an earlier one (as the module makes it when
 * one policy changes) shares the units of the policies that did not
 * change, and the peers of equal meaning, and judges and lists exactly as
 * a set compiled whole. */
static const struct pol_policy *policy_in(const struct pol_policies *ps, const char *key)
{
	for (size_t i = 0; i < ps->ps_npols; i++)
		if (!strcmp(ps->ps_pols[i].po_key, key))
			return &ps->ps_pols[i];
	return NULL;
}

static void policies_changed_apart(void **state)
{
	static const char before[] =
	    POL("x", "a-from-b", "{podSelector: {matchLabels: {pod: a}}, "
				 "ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}")
	    POL("y", "deny-c", "{podSelector: {matchLabels: {pod: c}}, ingress: []}")
	    POL("z", "egress-z", "{podSelector: {}, egress: [{to: [{namespaceSelector: "
				 "{matchLabels: {kubernetes.io/metadata.name: y}}}], ports: [{port: 80}]}]}")
	    POL("x", "gone", "{podSelector: {matchLabels: {pod: b}}, ingress: [{from: "
			     "[{ipBlock: {cidr: 10.244.0.0/16}}, {podSelector: {matchLabels: "
			     "{pod: c}}}]}]}");
	static const char changed[] =
	    POL("z", "egress-z", "{podSelector: {}, egress: [{to: [{namespaceSelector: "
				 "{matchLabels: {kubernetes.io/metadata.name: y}}}], ports: [{port: 81, "
				 "protocol: UDP}]}]}")
	    POL("x", "added", "{podSelector: {matchLabels: {pod: c}}, ingress: [{from: "
			      "[{podSelector: {matchLabels: {pod: b}}}, {ipBlock: {cidr: "
			      "10.244.3.0/24}}]}]}");
	json_t *p1 = yaml_to_json(before, strlen(before)), *c = yaml_to_json(changed, strlen(changed));
	json_t *p2 = json_array(), *none = json_array();
	struct pol_policies *ps1, *ps2, *whole;
	const struct pol_policy *a1, *a2, *d1, *d2, *add;
	struct pol_view *v, *w;
	struct pol_elems e = {0}, f = {0};

	assert_non_null(p1);
	assert_non_null(c);
	/* a-from-b the same object; deny-c an equal copy; egress-z changed;
	 * gone removed; added new, naming a-from-b's peer. */
	json_array_append(p2, json_array_get(c, 1));
	json_array_append(p2, json_array_get(p1, 0));
	json_array_append_new(p2, json_deep_copy(json_array_get(p1, 1)));
	json_array_append(p2, json_array_get(c, 0));
	ps1 = pol_policies_new(p1);
	ps2 = pol_policies_update(ps1, p2);
	whole = pol_policies_new(p2);
	assert_non_null(ps1);
	assert_non_null(ps2);
	assert_non_null(whole);
	assert_int_equal(ps2->ps_npols, 4);
	a1 = policy_in(ps1, "x/a-from-b");
	a2 = policy_in(ps2, "x/a-from-b");
	d1 = policy_in(ps1, "y/deny-c");
	d2 = policy_in(ps2, "y/deny-c");
	add = policy_in(ps2, "x/added");
	assert_non_null(a2);
	assert_non_null(d2);
	assert_non_null(add);
	assert_null(policy_in(ps2, "x/gone"));
	assert_ptr_equal(a2->po_rules[POL_INGRESS], a1->po_rules[POL_INGRESS]);
	assert_ptr_equal(d2->po_rules[POL_INGRESS], d1->po_rules[POL_INGRESS]);
	assert_ptr_not_equal(policy_in(ps2, "z/egress-z")->po_rules[POL_EGRESS],
			     policy_in(ps1, "z/egress-z")->po_rules[POL_EGRESS]);
	assert_ptr_equal(add->po_rules[POL_INGRESS][0].ru_peers[0],
			 a2->po_rules[POL_INGRESS][0].ru_peers[0]);
	/* Each peer of the set at its own id. */
	for (size_t i = 0; i < ps2->ps_npols; i++)
		for (int d = 0; d < 2; d++)
			for (size_t r = 0; r < ps2->ps_pols[i].po_nrules[d]; r++)
				for (size_t k = 0; k < ps2->ps_pols[i].po_rules[d][r].ru_npeers; k++) {
					const struct pol_peer *pe =
					    ps2->ps_pols[i].po_rules[d][r].ru_peers[k];

					assert_true(pe->pe_id < ps2->ps_npeers);
					assert_ptr_equal(ps2->ps_peers[pe->pe_id], pe);
				}
	pol_policies_free(ps1);		/* the new set stands alone */
	v = fronts_view(none, ps2, NULL, none, none);
	w = fronts_view(none, whole, NULL, none, none);
	pol_policies_free(ps2);
	pol_policies_free(whole);
	assert_non_null(v);
	assert_non_null(w);
	for (int s = 0; s < 9; s++)
		for (int t = 0; t < 9; t++)
			for (uint16_t port = 80; port <= 81; port++) {
				uint32_t src = pt_ip(s / 3, s % 3), dst = pt_ip(t / 3, t % 3);

				assert_int_equal(reach(v, src, dst, POL_TCP, port),
						 reach(w, src, dst, POL_TCP, port));
				assert_int_equal(reach(v, src, dst, POL_UDP, port),
						 reach(w, src, dst, POL_UDP, port));
			}
	/* The changes themselves: added isolates x/c, from x/b (and z, whose
	 * egress goes only to y); gone no longer isolates x/b; egress-z
	 * allows UDP 81, not TCP 80. */
	assert_true(reach(v, X_B, X_C, POL_TCP, 80));
	assert_false(reach(v, X_A, X_C, POL_TCP, 80));
	assert_true(reach(v, Y_A, X_B, POL_TCP, 80));
	assert_true(reach(v, Z_A, Y_A, POL_UDP, 81));
	assert_false(reach(v, Z_A, Y_A, POL_TCP, 80));
	for (size_t k = 0; k < pol_view_npods(v); k++)
		for (int d = POL_INGRESS; d <= POL_EGRESS; d++) {
			assert_int_equal(pol_view_rules(v, k, (enum pol_dir)d, &e),
					 pol_view_rules(w, k, (enum pol_dir)d, &f));
			assert_int_equal(e.n, f.n);
			if (e.n)
				assert_memory_equal(e.v, f.v, e.n * sizeof(*e.v));
		}
	assert_int_equal(pt_agree(v), 0);
	pol_elems_free(&e);
	pol_elems_free(&f);
	pol_view_free(v);
	pol_view_free(w);
	json_decref(none);
	json_decref(p1);
	json_decref(p2);
	json_decref(c);
}

/* ---- the case table ---- */

static void srcdir_path(const char *rel, char *out, size_t len)
{
	const char *src = getenv("K1S_SRCDIR");
	char exe[2048];
	ssize_t k;

	if (src) {
		snprintf(out, len, "%s/%s", src, rel);
		return;
	}
	if (__FILE__[0] == '/') {
		snprintf(out, len, "%s", __FILE__);
		*strrchr(out, '/') = '\0';
		snprintf(out + strlen(out), len - strlen(out), "/../../%s", rel);
		return;
	}
	/* __FILE__ is relative to the build directory, which holds this
	 * program in tests/. */
	k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(k > 0);
	exe[k] = '\0';
	*strrchr(exe, '/') = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(out, len, "%s/%s", exe, __FILE__);
	*strrchr(out, '/') = '\0';
	snprintf(out + strlen(out), len - strlen(out), "/../../%s", rel);
}

static bool parse_pp(const char *s, uint8_t *proto, uint16_t *port)
{
	char p[8];
	unsigned n;

	if (sscanf(s, "%7[A-Z]/%u", p, &n) != 2 || n < 1 || n > 65535)
		return false;
	*proto = !strcmp(p, "TCP") ? POL_TCP : !strcmp(p, "UDP") ? POL_UDP
					  : !strcmp(p, "SCTP") ? POL_SCTP : 0;
	*port = (uint16_t)n;
	return *proto != 0;
}

/* Reads a grid into want[row][col] ('.' or 'X'), in the model's order. */
static bool read_grid(const char *grid, char want[9][9])
{
	char names[9][8], row[8];
	const char *s = grid;
	int n;

	if (sscanf(s, " %7s %7s %7s %7s %7s %7s %7s %7s %7s%n", names[0], names[1], names[2],
		   names[3], names[4], names[5], names[6], names[7], names[8], &n) != 9)
		return false;
	s += n;
	for (int i = 0; i < 9; i++)
		if (pt_ip_of(names[i]) != pt_ip(i / 3, i % 3))
			return false;
	for (int r = 0; r < 9; r++) {
		if (sscanf(s, " %7s%n", row, &n) != 1 || pt_ip_of(row) != pt_ip(r / 3, r % 3))
			return false;
		s += n;
		for (int c = 0; c < 9; c++) {
			char cell[4];

			if (sscanf(s, " %3s%n", cell, &n) != 1 || (strcmp(cell, ".") && strcmp(cell, "X")))
				return false;
			want[r][c] = cell[0];
			s += n;
		}
	}
	return true;
}

static void print_grid(const char *title, char g[9][9])
{
	fprintf(stderr, "%s\n     ", title);
	for (int c = 0; c < 9; c++)
		fprintf(stderr, " %s/%s", pt_ns[c / 3], pt_pods[c % 3]);
	fprintf(stderr, "\n");
	for (int r = 0; r < 9; r++) {
		fprintf(stderr, " %s/%s", pt_ns[r / 3], pt_pods[r % 3]);
		for (int c = 0; c < 9; c++)
			fprintf(stderr, "   %c", g[r][c]);
		fprintf(stderr, "\n");
	}
}

/* One protocol/port of a case: every cell; a diff of the grid when any
 * differs. */
static int check_grid(const struct pol_view *v, const char *name, uint8_t proto, uint16_t port,
		      char want[9][9])
{
	char got[9][9];
	int bad = 0;

	for (int r = 0; r < 9; r++)
		for (int c = 0; c < 9; c++) {
			got[r][c] = reach(v, pt_ip(r / 3, r % 3), pt_ip(c / 3, c % 3), proto, port)
					? '.'
					: 'X';
			bad += got[r][c] != want[r][c];
		}
	if (bad) {
		char title[512];

		snprintf(title, sizeof(title), "case \"%s\", %s/%u: %d cells differ; expected:", name,
			 proto == POL_TCP ? "TCP" : proto == POL_UDP ? "UDP" : "SCTP", port, bad);
		print_grid(title, want);
		print_grid("got:", got);
	}
	return bad;
}

static int run_case(const json_t *c)
{
	static const char *const model_pp[] = {"TCP/80", "TCP/81", "UDP/80", "UDP/81"};
	const char *name = json_string_value(json_object_get(c, "name")) ?: "?";
	const char *dflt = json_string_value(json_object_get(c, "default"));
	json_t *nsl = json_deep_copy(json_object_get(c, "namespaceLabels"));
	const json_t *e, *p;
	struct pol_view *v;
	bool listed[4] = {false};
	size_t i, j;
	int bad = 0;
	const char *k;
	json_t *l;

	/* Labels replaced; kubernetes.io/metadata.name stays. */
	json_object_foreach(nsl, k, l)
		json_object_set_new(l, "kubernetes.io/metadata.name", json_string(k));
	v = pt_model(json_object_get(c, "policies"), nsl, json_object_get(c, "podLabels"), NULL);
	json_decref(nsl);
	if (!v) {
		fprintf(stderr, "case \"%s\": no view\n", name);
		return 1;
	}
	json_array_foreach(json_object_get(c, "expect"), i, e) {
		char want[9][9];

		if (!read_grid(json_string_value(json_object_get(e, "grid")) ?: "", want)) {
			fprintf(stderr, "case \"%s\": unreadable grid\n", name);
			bad++;
			continue;
		}
		json_array_foreach(json_object_get(e, "protocols"), j, p) {
			uint8_t proto;
			uint16_t port;

			if (!parse_pp(json_string_value(p) ?: "", &proto, &port)) {
				fprintf(stderr, "case \"%s\": bad protocol %s\n", name,
					json_string_value(p) ?: "?");
				bad++;
				continue;
			}
			for (int m = 0; m < 4; m++)
				if (!strcmp(model_pp[m], json_string_value(p)))
					listed[m] = true;
			bad += check_grid(v, name, proto, port, want) != 0;
		}
	}
	/* What no grid lists: all reachable, or with default X all denied
	 * but the diagonal. */
	for (int m = 0; m < 4; m++) {
		char want[9][9];
		uint8_t proto;
		uint16_t port;

		if (listed[m])
			continue;
		parse_pp(model_pp[m], &proto, &port);
		for (int r = 0; r < 9; r++)
			for (int cc = 0; cc < 9; cc++)
				want[r][cc] = r == cc || !dflt || strcmp(dflt, "X") ? '.' : 'X';
		bad += check_grid(v, name, proto, port, want) != 0;
	}
	bad += pt_agree(v) != 0;
	pol_view_free(v);
	return bad;
}

static int run_table(const char *rel, bool required)
{
	char path[4096];
	json_t *cases, *c;
	size_t i;
	int bad = 0;

	srcdir_path(rel, path, sizeof(path));
	if (access(path, R_OK) < 0) {
		assert_false(required);
		return 0;
	}
	cases = yaml_file(path);
	assert_true(json_is_array(cases));
	assert_true(json_array_size(cases) > 0);
	json_array_foreach(cases, i, c)
		bad += run_case(c);
	fprintf(stderr, "%s: %zu cases, %d failing\n", rel, json_array_size(cases), bad);
	json_decref(cases);
	return bad;
}

static void case_table(void **state)
{
	int bad = run_table("tests/policy/netpol_cases.yaml", true);

	bad += run_table("tests/policy/netpol_cases_unit.yaml", false);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(peers_and_or),
		cmocka_unit_test(namespace_selector_empty_or_omitted),
		cmocka_unit_test(match_expressions),
		cmocka_unit_test(ipblock_except),
		cmocka_unit_test(named_ports),
		cmocka_unit_test(end_port_udp_sctp),
		cmocka_unit_test(union_and_empty_rules),
		cmocka_unit_test(policy_types_defaulting),
		cmocka_unit_test(node_and_self),
		cmocka_unit_test(metadata_name_label),
		cmocka_unit_test(explain_json),
		cmocka_unit_test(gates),
		cmocka_unit_test(shared_parts_agree),
		cmocka_unit_test(policies_changed_apart),
		cmocka_unit_test(case_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
