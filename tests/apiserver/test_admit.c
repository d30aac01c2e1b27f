/* Admission as kubectl sees it: the defaults kube-apiserver fills in, the
 * allocations it makes, and its validation messages, for the tutorial's
 * manifests and the rules around them. */
#include <errno.h>
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

static const struct k1s_resource *R(const char *kind)
{
	static const char *const groups[] = {"", "apps", "networking.k8s.io", "discovery.k8s.io",
					     "batch"};
	size_t i;

	for (i = 0; i < 5; i++)
		if (k1s_resource_by_kind(groups[i], kind))
			return k1s_resource_by_kind(groups[i], kind);
	fail_msg("no kind %s", kind);
	return NULL;
}

/* Creates and commits; the object must be admitted. */
static json_t *create(const char *kind, const char *json)
{
	json_t *o = J(json), *st = NULL;
	int err = api_admit_create(adm, R(kind), o, &st);

	if (err) {
		char *s = json_dumps(st, 0);

		fail_msg("create refused (%d): %s", err, s);
	}
	api_admit_commit(adm, R(kind), NULL, o);
	return o;
}

static json_t *update(const char *kind, const json_t *old, const char *json)
{
	json_t *o = J(json), *st = NULL;
	int err = api_admit_update(adm, R(kind), old, o, &st);

	if (err) {
		char *s = json_dumps(st, 0);

		fail_msg("update refused (%d): %s", err, s);
	}
	api_admit_commit(adm, R(kind), old, o);
	return o;
}

/* The Status of a refused create or update (old NULL = create). */
static json_t *refuse(const char *kind, const json_t *old, const char *json)
{
	json_t *o = J(json), *st = NULL;
	int err = old ? api_admit_update(adm, R(kind), old, o, &st)
		      : api_admit_create(adm, R(kind), o, &st);

	if (err == 0) {
		char *s = json_dumps(o, 0);

		fail_msg("admitted: %s", s);
	}
	assert_non_null(st);
	json_decref(o);
	return st;
}

static void assert_message(json_t *st, const char *msg)
{
	const char *m = json_string_value(json_object_get(st, "message"));

	if (!m || strcmp(m, msg) != 0)
		fail_msg("message\n  got:  %s\n  want: %s", m, msg);
	json_decref(st);
}

static void assert_str(const json_t *o, const char *path, const char *want)
{
	const char *got = k1s_json_str(o, path);

	if (!got || strcmp(got, want) != 0)
		fail_msg("%s: got %s, want %s", path, got ? got : "(none)", want);
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

static long long port_of(const json_t *svc, size_t i)
{
	return json_integer_value(
		json_object_get(json_array_get(k1s_json_path(svc, "spec.ports"), i), "nodePort"));
}

static int setup(void **state)
{
	struct api_config cfg = {.service_cidr = "10.96.0.0/12",
				 .node_port_min = 30000,
				 .node_port_max = 32767};

	adm = api_admit_new(NULL, &cfg);
	return adm ? 0 : -1;
}

static int teardown(void **state)
{
	api_admit_free(adm);
	adm = NULL;
	return 0;
}

#define SVC_META(name) "'apiVersion':'v1','kind':'Service','metadata':{'name':'" name "','namespace':'default'}"

/* 01-clusterip-service.yaml */
static const char svc01[] = "{" SVC_META("api-service") ",'spec':{'type':'ClusterIP',"
			    "'selector':{'app':'api'},'ports':[{'port':80,'targetPort':3000,"
			    "'protocol':'TCP'}]}}";
/* 02-nodeport-service.yaml */
static const char svc02[] = "{" SVC_META("web-service") ",'spec':{'type':'NodePort',"
			    "'selector':{'app':'web'},'ports':[{'port':80,'targetPort':3000,"
			    "'nodePort':30080}]}}";
/* 03-loadbalancer-service.yaml */
static const char svc03[] = "{" SVC_META("web-service") ",'spec':{'type':'LoadBalancer',"
			    "'selector':{'app':'web'},'ports':[{'port':80,'targetPort':3000}]}}";

static void service_clusterip_defaults(void **state)
{
	json_t *s = create("Service", svc01);
	const json_t *spec = json_object_get(s, "spec");
	const char *ip = k1s_json_str(s, "spec.clusterIP");

	assert_str(s, "spec.type", "ClusterIP");
	assert_str(s, "spec.sessionAffinity", "None");
	assert_str(s, "spec.internalTrafficPolicy", "Cluster");
	assert_str(s, "spec.ipFamilyPolicy", "SingleStack");
	assert_json(json_object_get(spec, "ipFamilies"), "['IPv4']");
	assert_json(json_object_get(spec, "ports"),
		    "[{'port':80,'targetPort':3000,'protocol':'TCP'}]");
	assert_null(json_object_get(spec, "externalTrafficPolicy"));
	assert_null(json_object_get(spec, "allocateLoadBalancerNodePorts"));
	assert_non_null(ip);
	assert_int_equal(strncmp(ip, "10.", 3), 0);
	assert_int_equal(json_array_size(json_object_get(spec, "clusterIPs")), 1);
	json_decref(s);
}

static void service_clusterip_is_in_range_and_taken(void **state)
{
	json_t *s = create("Service", svc01);
	const char *ip = k1s_json_str(s, "spec.clusterIP");
	char body[512];
	unsigned a, b, c, d;

	assert_string_equal(ip, json_string_value(json_array_get(
					k1s_json_path(s, "spec.clusterIPs"), 0)));
	assert_int_equal(sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
	assert_int_equal(a, 10);
	assert_true(b >= 96 && b <= 111);
	/* Committed: a second service asking for it is refused. */
	snprintf(body, sizeof(body),
		 "{" SVC_META("other") ",'spec':{'clusterIP':'%s','ports':[{'port':80}]}}", ip);
	{
		char msg[512];

		snprintf(msg, sizeof(msg),
			 "Service \"other\" is invalid: spec.clusterIPs: Invalid value: "
			 "[]string{\"%s\"}: failed to allocate IP %s: provided IP is already "
			 "allocated",
			 ip, ip);
		assert_message(refuse("Service", NULL, body), msg);
	}
	json_decref(s);
}

static void service_nodeport_requested(void **state)
{
	json_t *s = create("Service", svc02);

	assert_int_equal(port_of(s, 0), 30080);
	assert_str(s, "spec.externalTrafficPolicy", "Cluster");
	assert_str(s, "spec.internalTrafficPolicy", "Cluster");
	assert_json(json_object_get(s, "status"), "{'loadBalancer':{}}");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("other") ",'spec':{'type':'NodePort','ports':[{'port':81,"
						    "'nodePort':30080}]}}"),
		       "Service \"other\" is invalid: spec.ports[0].nodePort: Invalid value: "
		       "30080: provided port is already allocated");
	json_decref(s);
}

static void service_nodeport_out_of_range(void **state)
{
	json_t *st = refuse("Service", NULL,
			    "{" SVC_META("bad-nodeport") ",'spec':{'type':'NodePort','ports':[{"
							 "'port':80,'nodePort':80}]}}");

	assert_int_equal(json_integer_value(json_object_get(st, "code")), 422);
	assert_str(st, "reason", "Invalid");
	assert_str(st, "details.kind", "Service");
	assert_message(st, "Service \"bad-nodeport\" is invalid: spec.ports[0].nodePort: Invalid "
			   "value: 80: provided port is not in the valid range. The range of "
			   "valid ports is 30000-32767");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("far") ",'spec':{'clusterIP':'1.1.1.1','ports':[{'port':80}]}}"),
		       "Service \"far\" is invalid: spec.clusterIPs: Invalid value: "
		       "[]string{\"1.1.1.1\"}: failed to allocate IP 1.1.1.1: the provided IP "
		       "(1.1.1.1) is not in the valid range. The range of valid IPs is "
		       "10.96.0.0/12");
	/* The network and broadcast addresses are never handed out. */
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("net") ",'spec':{'clusterIP':'10.96.0.0','ports':[{'port':80}]}}"),
		       "Service \"net\" is invalid: spec.clusterIPs: Invalid value: "
		       "[]string{\"10.96.0.0\"}: failed to allocate IP 10.96.0.0: the provided IP "
		       "(10.96.0.0) is not in the valid range. The range of valid IPs is "
		       "10.96.0.0/12");
}

/* 02 then 03: the update omits nodePort, so the old one is carried over,
 * and so are the cluster IP and its families. */
static void service_nodeport_to_loadbalancer(void **state)
{
	json_t *s2 = create("Service", svc02);
	json_t *s3 = update("Service", s2, svc03);

	assert_str(s3, "spec.type", "LoadBalancer");
	assert_int_equal(port_of(s3, 0), 30080);
	assert_str(s3, "spec.clusterIP", k1s_json_str(s2, "spec.clusterIP"));
	assert_true(json_equal(k1s_json_path(s3, "spec.clusterIPs"),
			       k1s_json_path(s2, "spec.clusterIPs")));
	assert_true(json_is_true(k1s_json_path(s3, "spec.allocateLoadBalancerNodePorts")));
	assert_str(s3, "spec.externalTrafficPolicy", "Cluster");
	assert_json(json_object_get(s3, "status"), "{'loadBalancer':{}}");
	/* Still taken after the update. */
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("other") ",'spec':{'type':'NodePort','ports':[{'port':81,"
						    "'nodePort':30080}]}}"),
		       "Service \"other\" is invalid: spec.ports[0].nodePort: Invalid value: "
		       "30080: provided port is already allocated");
	json_decref(s2);
	json_decref(s3);
}

/* A LoadBalancer without a nodePort gets one allocated. */
static void service_loadbalancer_allocates(void **state)
{
	json_t *s = create("Service", svc03);
	long long np = port_of(s, 0);

	assert_true(np >= 30000 && np <= 32767);
	assert_true(json_is_true(k1s_json_path(s, "spec.allocateLoadBalancerNodePorts")));
	assert_null(k1s_json_path(s, "spec.healthCheckNodePort"));
	json_decref(s);
}

static void service_nodeport_to_clusterip_frees_port(void **state)
{
	json_t *s2 = create("Service", svc02), *s1, *o;

	/* What a client-side apply sends: the merged object still holds the
	 * nodePort, which the type change wipes. */
	s1 = update("Service", s2,
		    "{" SVC_META("web-service") ",'spec':{'type':'ClusterIP','selector':{'app':'web'},"
						 "'ports':[{'port':80,'targetPort':3000,'nodePort':30080}],"
						 "'externalTrafficPolicy':'Cluster'}}");
	assert_int_equal(port_of(s1, 0), 0);
	assert_null(k1s_json_path(s1, "spec.externalTrafficPolicy"));
	assert_str(s1, "spec.clusterIP", k1s_json_str(s2, "spec.clusterIP"));
	o = create("Service", "{" SVC_META("other") ",'spec':{'type':'NodePort','ports':[{"
						    "'port':81,'nodePort':30080}]}}");
	assert_int_equal(port_of(o, 0), 30080);
	json_decref(s1);
	json_decref(s2);
	json_decref(o);
}

static void service_clusterip_to_externalname_frees_ip(void **state)
{
	json_t *a = create("Service", "{" SVC_META("a") ",'spec':{'clusterIP':'10.96.0.10',"
							"'ports':[{'port':80}]}}");
	json_t *e, *b, *c;

	assert_str(a, "spec.clusterIP", "10.96.0.10");
	e = update("Service", a,
		   "{" SVC_META("a") ",'spec':{'type':'ExternalName','externalName':'example.com',"
				     "'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.10'],'ports':[{'port':80}],"
				     "'ipFamilies':['IPv4'],'ipFamilyPolicy':'SingleStack'}}");
	assert_null(k1s_json_path(e, "spec.clusterIP"));
	assert_null(k1s_json_path(e, "spec.clusterIPs"));
	assert_null(k1s_json_path(e, "spec.ipFamilies"));
	assert_null(k1s_json_path(e, "spec.ipFamilyPolicy"));
	assert_null(k1s_json_path(e, "spec.internalTrafficPolicy"));
	b = create("Service", "{" SVC_META("b") ",'spec':{'clusterIP':'10.96.0.10','ports':[{'port':80}]}}");
	assert_str(b, "spec.clusterIP", "10.96.0.10");
	/* And back: ExternalName to ClusterIP allocates afresh. */
	c = update("Service", e, "{" SVC_META("a") ",'spec':{'type':'ClusterIP','ports':[{'port':80}]}}");
	assert_non_null(k1s_json_str(c, "spec.clusterIP"));
	assert_string_not_equal(k1s_json_str(c, "spec.clusterIP"), "10.96.0.10");
	assert_str(c, "spec.ipFamilyPolicy", "SingleStack");
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(e);
}

static void service_delete_frees(void **state)
{
	json_t *a = create("Service", "{" SVC_META("a") ",'spec':{'type':'NodePort','clusterIP':"
							"'10.96.0.20','ports':[{'port':80,'nodePort':30100}]}}");
	json_t *b;

	api_admit_commit(adm, R("Service"), a, NULL);
	b = create("Service", "{" SVC_META("b") ",'spec':{'type':'NodePort','clusterIP':"
						"'10.96.0.20','ports':[{'port':80,'nodePort':30100}]}}");
	assert_int_equal(port_of(b, 0), 30100);
	json_decref(a);
	json_decref(b);
}

/* kubectl replace sends no clusterIP and no nodePorts: both are kept. */
static void service_replace_carries_allocations(void **state)
{
	json_t *a = create("Service", "{" SVC_META("a") ",'spec':{'type':'NodePort','ports':["
							"{'name':'http','port':80},{'name':'https','port':443}]}}");
	json_t *b = update("Service", a,
			   "{" SVC_META("a") ",'spec':{'type':'NodePort','ports':[{'name':'https',"
					     "'port':443},{'name':'http','port':80}]}}");

	assert_str(b, "spec.clusterIP", k1s_json_str(a, "spec.clusterIP"));
	/* Matched by name, not by position. */
	assert_int_equal(port_of(b, 0), port_of(a, 1));
	assert_int_equal(port_of(b, 1), port_of(a, 0));
	json_decref(a);
	json_decref(b);
}

static void service_clusterip_is_immutable(void **state)
{
	json_t *a = create("Service", "{" SVC_META("a") ",'spec':{'clusterIP':'10.96.0.30',"
							"'ports':[{'port':80}]}}");

	assert_message(refuse("Service", a,
			      "{" SVC_META("a") ",'spec':{'clusterIP':'10.97.0.1','ports':[{'port':80}]}}"),
		       "Service \"a\" is invalid: spec.clusterIPs[0]: Invalid value: "
		       "[]string{\"10.97.0.1\"}: may not change once set");
	json_decref(a);
}

static void service_same_port_shares_nodeport(void **state)
{
	json_t *s = create("Service", "{" SVC_META("dns") ",'spec':{'type':'NodePort','ports':["
							  "{'name':'dns','port':53,'protocol':'UDP'},"
							  "{'name':'dns-tcp','port':53,'protocol':'TCP'},"
							  "{'name':'metrics','port':9153}]}}");

	assert_int_equal(port_of(s, 0), port_of(s, 1));
	assert_int_not_equal(port_of(s, 0), port_of(s, 2));
	json_decref(s);
}

static void service_health_check_port(void **state)
{
	json_t *s = create("Service", "{" SVC_META("lb") ",'spec':{'type':'LoadBalancer',"
							 "'externalTrafficPolicy':'Local','ports':[{'port':80}]}}");
	long long hc = json_integer_value(k1s_json_path(s, "spec.healthCheckNodePort"));

	json_t *u;
	char body[512];

	assert_true(hc >= 30000 && hc <= 32767);
	assert_int_not_equal(hc, port_of(s, 0));
	/* Carried over when omitted; immutable while it is needed. */
	u = update("Service", s, "{" SVC_META("lb") ",'spec':{'type':'LoadBalancer',"
						  "'externalTrafficPolicy':'Local','ports':[{'port':80}]}}");
	assert_int_equal(json_integer_value(k1s_json_path(u, "spec.healthCheckNodePort")), hc);
	assert_int_equal(port_of(u, 0), port_of(s, 0));
	snprintf(body, sizeof(body),
		 "{" SVC_META("lb") ",'spec':{'type':'LoadBalancer','externalTrafficPolicy':"
				    "'Local','healthCheckNodePort':%lld,'ports':[{'port':80}]}}",
		 hc == 32767 ? hc - 1 : hc + 1);
	assert_message(refuse("Service", u, body),
		       "Service \"lb\" is invalid: spec.healthCheckNodePort: Forbidden: field is "
		       "immutable");
	json_decref(u);
	json_decref(s);
}

static void config_is_checked(void **state)
{
	struct api_config bad = {.service_cidr = "10.96.0.0"};
	struct api_config ports = {.node_port_min = 40000, .node_port_max = 30000};

	assert_null(api_admit_new(NULL, &bad));
	assert_null(api_admit_new(NULL, &ports));
	api_admit_free(NULL);
}

static void service_headless(void **state)
{
	json_t *a = create("Service", "{" SVC_META("db") ",'spec':{'clusterIP':'None',"
							 "'ports':[{'port':5432}]}}");
	json_t *b = create("Service", "{" SVC_META("db2") ",'spec':{'clusterIP':'None',"
							  "'selector':{'app':'db'},'ports':[{'port':5432}]}}");

	assert_str(a, "spec.clusterIP", "None");
	assert_json(k1s_json_path(a, "spec.clusterIPs"), "['None']");
	assert_str(a, "spec.ipFamilyPolicy", "RequireDualStack");
	assert_json(k1s_json_path(a, "spec.ipFamilies"), "['IPv4','IPv6']");
	assert_str(b, "spec.ipFamilyPolicy", "SingleStack");
	assert_json(k1s_json_path(b, "spec.ipFamilies"), "['IPv4']");
	json_decref(a);
	json_decref(b);
}

static void service_externalname(void **state)
{
	json_t *s = create("Service", "{" SVC_META("ext") ",'spec':{'type':'ExternalName',"
							  "'externalName':'db.example.com'}}");

	assert_null(k1s_json_path(s, "spec.clusterIP"));
	assert_null(k1s_json_path(s, "spec.ipFamilies"));
	assert_null(k1s_json_path(s, "spec.ipFamilyPolicy"));
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("ext2") ",'spec':{'type':'ExternalName'}}"),
		       "Service \"ext2\" is invalid: spec.externalName: Required value");
	json_decref(s);
}

static void service_session_affinity(void **state)
{
	json_t *s = create("Service", "{" SVC_META("sticky") ",'spec':{'sessionAffinity':'ClientIP',"
							     "'ports':[{'port':80,'targetPort':'http'}]}}");

	assert_json(k1s_json_path(s, "spec.sessionAffinityConfig"),
		    "{'clientIP':{'timeoutSeconds':10800}}");
	assert_json(k1s_json_path(s, "spec.ports"),
		    "[{'port':80,'targetPort':'http','protocol':'TCP'}]");
	json_decref(s);
}

static void service_validation(void **state)
{
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("invalid") ",'spec':{'ports':[{'port':0}]}}"),
		       "Service \"invalid\" is invalid: [spec.ports[0].port: Invalid value: 0: "
		       "must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid "
		       "value: 0: must be between 1 and 65535, inclusive]");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("two") ",'spec':{'ports':[{'port':80},{'name':'b','port':81}]}}"),
		       "Service \"two\" is invalid: spec.ports[0].name: Required value");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("dup") ",'spec':{'ports':[{'name':'a','port':80},"
						  "{'name':'a','port':81}]}}"),
		       "Service \"dup\" is invalid: spec.ports[1].name: Duplicate value: \"a\"");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("up") ",'spec':{'ports':[{'name':'Web','port':80}]}}"),
		       "Service \"up\" is invalid: spec.ports[0].name: Invalid value: \"Web\": a "
		       "lowercase RFC 1123 label must consist of lower case alphanumeric "
		       "characters or '-', and must start and end with an alphanumeric character "
		       "(e.g. 'my-name',  or '123-abc', regex used for validation is "
		       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("proto") ",'spec':{'ports':[{'port':80,'protocol':'ICMP'}]}}"),
		       "Service \"proto\" is invalid: spec.ports[0].protocol: Unsupported value: "
		       "\"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("tp") ",'spec':{'ports':[{'port':80,'targetPort':'my--port'}]}}"),
		       "Service \"tp\" is invalid: spec.ports[0].targetPort: Invalid value: "
		       "\"my--port\": must not contain consecutive hyphens");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("ty") ",'spec':{'type':'Magic','ports':[{'port':80}]}}"),
		       "Service \"ty\" is invalid: spec.type: Unsupported value: \"Magic\": "
		       "supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", "
		       "\"NodePort\"");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("np") ",'spec':{'ports':[{'port':80,'nodePort':30001}]}}"),
		       "Service \"np\" is invalid: spec.ports[0].nodePort: Forbidden: may not be "
		       "used when `type` is 'ClusterIP'");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("sel") ",'spec':{'selector':{'app':'a b'},'ports':[{'port':80}]}}"),
		       "Service \"sel\" is invalid: spec.selector: Invalid value: \"a b\": a valid "
		       "label must be an empty string or consist of alphanumeric characters, '-', "
		       "'_' or '.', and must start and end with an alphanumeric character (e.g. "
		       "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
		       "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("1web") ",'spec':{'ports':[{'port':80}]}}"),
		       "Service \"1web\" is invalid: metadata.name: Invalid value: \"1web\": a "
		       "DNS-1035 label must consist of lower case alphanumeric characters or '-', "
		       "start with an alphabetic character, and end with an alphanumeric character "
		       "(e.g. 'my-name',  or 'abc-123', regex used for validation is "
		       "'[a-z]([-a-z0-9]*[a-z0-9])?')");
	assert_message(refuse("Service", NULL, "{" SVC_META("noports") ",'spec':{}}"),
		       "Service \"noports\" is invalid: spec.ports: Required value");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("dp") ",'spec':{'ports':[{'name':'a','port':80},"
						 "{'name':'b','port':80}]}}"),
		       "Service \"dp\" is invalid: spec.ports[1]: Duplicate value: "
		       "core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), "
		       "Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, "
		       "NodePort:0}");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("ds") ",'spec':{'ipFamilyPolicy':'RequireDualStack',"
						 "'ports':[{'port':80}]}}"),
		       "Service \"ds\" is invalid: spec.ipFamilyPolicy: Invalid value: "
		       "\"RequireDualStack\": this cluster is not configured for dual-stack "
		       "services");
	assert_message(refuse("Service", NULL,
			      "{" SVC_META("badip") ",'spec':{'clusterIP':'10.96.0.300','ports':[{'port':80}]}}"),
		       "Service \"badip\" is invalid: spec.clusterIPs[0]: Invalid value: "
		       "\"10.96.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or "
		       "2001:db8::ffff)");
}

static void service_status_dropped_on_create(void **state)
{
	json_t *s = create("Service", "{" SVC_META("st") ",'spec':{'type':'LoadBalancer','ports':"
							 "[{'port':80}]},'status':{'loadBalancer':{'ingress':"
							 "[{'ip':'1.2.3.4'}]}}}");

	assert_json(json_object_get(s, "status"), "{'loadBalancer':{}}");
	json_decref(s);
}

static void service_node_ports_exhausted(void **state)
{
	struct api_config cfg = {.node_port_min = 30000, .node_port_max = 30001};
	struct api_admit *small = api_admit_new(NULL, &cfg), *saved = adm;
	json_t *s, *st;

	adm = small;
	s = create("Service", "{" SVC_META("a") ",'spec':{'type':'NodePort','ports':["
						"{'name':'a','port':80},{'name':'b','port':81}]}}");
	st = refuse("Service", NULL, "{" SVC_META("b") ",'spec':{'type':'NodePort','ports':[{'port':80}]}}");
	assert_int_equal(json_integer_value(json_object_get(st, "code")), 500);
	assert_message(st, "Internal error occurred: failed to allocate a nodePort: range is full");
	adm = saved;
	api_admit_free(small);
	json_decref(s);
}

/* ---- Pods and workloads ---- */

static void pod_defaults(void **state)
{
	json_t *p = create("Pod",
			   "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'dns-test','namespace':"
			   "'default'},'spec':{'containers':[{'name':'dns-test','image':'busybox',"
			   "'ports':[{'containerPort':53}],'readinessProbe':{'httpGet':{'port':80}}}],"
			   "'status':{'phase':'Running'}}}");
	const json_t *spec = json_object_get(p, "spec");

	assert_str(p, "spec.restartPolicy", "Always");
	assert_str(p, "spec.dnsPolicy", "ClusterFirst");
	assert_int_equal(json_integer_value(json_object_get(spec, "terminationGracePeriodSeconds")), 30);
	assert_str(p, "spec.schedulerName", "default-scheduler");
	assert_json(json_object_get(spec, "securityContext"), "{}");
	assert_true(json_is_true(json_object_get(spec, "enableServiceLinks")));
	assert_str(p, "spec.serviceAccountName", "default");
	assert_str(p, "spec.serviceAccount", "default");
	assert_int_equal(json_integer_value(json_object_get(spec, "priority")), 0);
	assert_str(p, "spec.preemptionPolicy", "PreemptLowerPriority");
	assert_json(json_object_get(spec, "tolerations"),
		    "[{'key':'node.kubernetes.io/not-ready','operator':'Exists','effect':'NoExecute',"
		    "'tolerationSeconds':300},{'key':'node.kubernetes.io/unreachable','operator':"
		    "'Exists','effect':'NoExecute','tolerationSeconds':300}]");
	assert_json(json_array_get(json_object_get(spec, "containers"), 0),
		    "{'name':'dns-test','image':'busybox','imagePullPolicy':'Always',"
		    "'terminationMessagePath':'/dev/termination-log','terminationMessagePolicy':"
		    "'File','resources':{},'ports':[{'containerPort':53,'protocol':'TCP'}],"
		    "'readinessProbe':{'httpGet':{'port':80,'path':'/','scheme':'HTTP'},"
		    "'timeoutSeconds':1,'periodSeconds':10,'successThreshold':1,'failureThreshold':3}}");
	assert_json(json_object_get(p, "status"), "{'phase':'Pending','qosClass':'BestEffort'}");
	json_decref(p);
}

static void pod_pull_policy_and_qos(void **state)
{
	static const struct {
		const char *image, *policy;
	} cases[] = {
		{"nginx", "Always"},
		{"nginx:latest", "Always"},
		{"nginx:1.25", "IfNotPresent"},
		{"localhost:5000/app", "Always"},
		{"localhost:5000/app:v1", "IfNotPresent"},
		{"busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		 "IfNotPresent"},
	};
	char body[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *p;

		snprintf(body, sizeof(body),
			 "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{"
			 "'containers':[{'name':'c','image':'%s'}]}}",
			 cases[i].image);
		p = create("Pod", body);
		assert_str(json_array_get(k1s_json_path(p, "spec.containers"), 0), "imagePullPolicy",
			   cases[i].policy);
		json_decref(p);
	}
	{
		json_t *p = create("Pod", "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'g'},"
					  "'spec':{'containers':[{'name':'c','image':'x:1','resources':"
					  "{'limits':{'cpu':'1','memory':'1Gi'}}}]}}");

		assert_json(k1s_json_path(json_array_get(k1s_json_path(p, "spec.containers"), 0),
					  "resources"),
			    "{'limits':{'cpu':'1','memory':'1Gi'},'requests':{'cpu':'1','memory':'1Gi'}}");
		assert_str(p, "status.qosClass", "Guaranteed");
		json_decref(p);
	}
}

static void pod_validation(void **state)
{
	assert_message(refuse("Pod", NULL, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},"
					   "'spec':{}}"),
		       "Pod \"p\" is invalid: spec.containers: Required value");
	assert_message(refuse("Pod", NULL, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},"
					   "'spec':{'containers':[{'name':'a','image':'x'},"
					   "{'name':'a'}]}}"),
		       "Pod \"p\" is invalid: [spec.containers[1].name: Duplicate value: \"a\", "
		       "spec.containers[1].image: Required value]");
	assert_message(refuse("Pod", NULL, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},"
					   "'spec':{'containers':[{'name':'Web_1','image':'x'}]}}"),
		       "Pod \"p\" is invalid: spec.containers[0].name: Invalid value: \"Web_1\": a "
		       "lowercase RFC 1123 label must consist of lower case alphanumeric "
		       "characters or '-', and must start and end with an alphanumeric character "
		       "(e.g. 'my-name',  or '123-abc', regex used for validation is "
		       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
	assert_message(refuse("Pod", NULL, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},"
					   "'spec':{'restartPolicy':'Sometimes','containers':[{'name':"
					   "'a','image':'x','ports':[{'containerPort':70000}]}]}}"),
		       "Pod \"p\" is invalid: [spec.containers[0].ports[0].containerPort: Invalid "
		       "value: 70000: must be between 1 and 65535, inclusive, spec.restartPolicy: "
		       "Unsupported value: \"Sometimes\": supported values: \"Always\", "
		       "\"OnFailure\", \"Never\"]");
	assert_message(refuse("Pod", NULL, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':"
					   "'Bad_Name'},'spec':{'containers':[{'name':'a','image':'x'}]}}"),
		       "Pod \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a "
		       "lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
		       "characters, '-' or '.', and must start and end with an alphanumeric "
		       "character (e.g. 'example.com', regex used for validation is "
		       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
}

static void pod_spec_is_immutable(void **state)
{
	json_t *p = create("Pod", "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':"
				  "{'containers':[{'name':'a','image':'x:1'}]}}");
	json_t *q = json_deep_copy(p), *st = NULL, *r;

	/* The manifest as first sent replaces the pod unchanged. */
	r = update("Pod", p, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':"
			     "{'containers':[{'name':'a','image':'x:1'}]}}");
	assert_true(json_equal(json_object_get(r, "spec"), json_object_get(p, "spec")));
	assert_str(r, "status.phase", "Pending");
	json_decref(r);

	/* A new image is allowed. */
	json_object_set_new(json_array_get(k1s_json_path(q, "spec.containers"), 0), "image",
			    json_string("x:2"));
	assert_int_equal(api_admit_update(adm, R("Pod"), p, q, &st), 0);
	json_object_set_new(k1s_json_obj(q, "spec"), "restartPolicy", json_string("Never"));
	assert_int_not_equal(api_admit_update(adm, R("Pod"), p, q, &st), 0);
	assert_str(json_array_get(k1s_json_path(st, "details.causes"), 0), "field", "spec");
	json_decref(st);
	json_decref(p);
	json_decref(q);
}

#define DEPLOY(name, extra)                                                                   \
	"{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'" name "','namespace':" \
	"'default'},'spec':{" extra "}}"

/* 07-full-stack.yaml, the frontend. */
static const char frontend[] = DEPLOY(
	"frontend", "'replicas':2,'selector':{'matchLabels':{'app':'frontend'}},'template':{"
		    "'metadata':{'labels':{'app':'frontend'}},'spec':{'containers':[{'name':"
		    "'frontend','image':'my-frontend:1.0','ports':[{'containerPort':80}]}]}}");

static void deployment_defaults(void **state)
{
	json_t *d = create("Deployment", frontend);
	const json_t *spec = json_object_get(d, "spec");
	const json_t *ps = k1s_json_path(spec, "template.spec");

	assert_int_equal(json_integer_value(json_object_get(spec, "replicas")), 2);
	assert_json(json_object_get(spec, "strategy"),
		    "{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':'25%','maxSurge':'25%'}}");
	assert_int_equal(json_integer_value(json_object_get(spec, "revisionHistoryLimit")), 10);
	assert_int_equal(json_integer_value(json_object_get(spec, "progressDeadlineSeconds")), 600);
	assert_json(json_object_get(json_object_get(spec, "template"), "metadata"),
		    "{'labels':{'app':'frontend'},'creationTimestamp':null}");
	assert_json(ps, "{'containers':[{'name':'frontend','image':'my-frontend:1.0','ports':"
			"[{'containerPort':80,'protocol':'TCP'}],'imagePullPolicy':'IfNotPresent',"
			"'terminationMessagePath':'/dev/termination-log','terminationMessagePolicy':"
			"'File','resources':{}}],'restartPolicy':'Always','dnsPolicy':'ClusterFirst',"
			"'terminationGracePeriodSeconds':30,'securityContext':{},'schedulerName':"
			"'default-scheduler'}");
	assert_json(json_object_get(d, "status"), "{}");
	json_decref(d);

	d = create("Deployment", DEPLOY("one", "'selector':{'matchLabels':{'app':'a'}},'template':{"
					       "'metadata':{'labels':{'app':'a'}},'spec':{'containers':"
					       "[{'name':'a','image':'a'}]}},'status':{'replicas':5}"));
	assert_int_equal(json_integer_value(k1s_json_path(d, "spec.replicas")), 1);
	assert_json(json_object_get(d, "status"), "{}");
	json_decref(d);
}

static void deployment_validation(void **state)
{
	assert_message(refuse("Deployment", NULL,
			      DEPLOY("web", "'selector':{'matchLabels':{'app':'web'}},'template':{"
					    "'metadata':{'labels':{'app':'other','tier':'x'}},'spec':{"
					    "'containers':[{'name':'a','image':'a'}]}}")),
		       "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid "
		       "value: map[string]string{\"app\":\"other\", \"tier\":\"x\"}: `selector` does "
		       "not match template `labels`");
	assert_message(refuse("Deployment", NULL,
			      DEPLOY("web", "'replicas':-1,'template':{'metadata':{'labels':{'app':"
					    "'web'}},'spec':{'containers':[{'name':'a','image':'a'}]}}")),
		       "Deployment.apps \"web\" is invalid: [spec.replicas: Invalid value: -1: must "
		       "be greater than or equal to 0, spec.selector: Required value]");
	assert_message(refuse("Deployment", NULL,
			      DEPLOY("web", "'selector':{'matchLabels':{'app':'web'}},'template':{"
					    "'metadata':{'labels':{'app':'web'}},'spec':{'containers':"
					    "[{'name':'a'}]}}")),
		       "Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].image: "
		       "Required value");
	assert_message(refuse("Deployment", NULL,
			      DEPLOY("web", "'selector':{},'template':{'metadata':{'labels':{'app':"
					    "'web'}},'spec':{'containers':[{'name':'a','image':'a'}]}}")),
		       "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: "
		       "v1.LabelSelector{MatchLabels:map[string]string(nil), "
		       "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is "
		       "invalid for deployment");
}

static void deployment_selector_is_immutable(void **state)
{
	json_t *d = create("Deployment", frontend);

	assert_message(refuse("Deployment", d,
			      DEPLOY("frontend", "'selector':{'matchLabels':{'app':'web'}},'template':"
						 "{'metadata':{'labels':{'app':'web'}},'spec':{"
						 "'containers':[{'name':'a','image':'a'}]}}")),
		       "Deployment.apps \"frontend\" is invalid: spec.selector: Invalid value: "
		       "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\"}, "
		       "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
	json_decref(d);
}

static void replicaset_defaults_and_immutable_selector(void **state)
{
	static const char rs[] =
		"{'apiVersion':'apps/v1','kind':'ReplicaSet','metadata':{'name':'web-5d4f'},'spec':{"
		"'selector':{'matchExpressions':[{'key':'app','operator':'In','values':['web']}]},"
		"'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'w',"
		"'image':'nginx'}]}}}}";
	json_t *r = create("ReplicaSet", rs);

	assert_int_equal(json_integer_value(k1s_json_path(r, "spec.replicas")), 1);
	assert_json(json_object_get(r, "status"), "{'replicas':0}");
	assert_str(json_array_get(k1s_json_path(r, "spec.template.spec.containers"), 0),
		   "imagePullPolicy", "Always");
	assert_message(refuse("ReplicaSet", r,
			      "{'apiVersion':'apps/v1','kind':'ReplicaSet','metadata':{'name':"
			      "'web-5d4f'},'spec':{'selector':{'matchLabels':{'app':'web'}},"
			      "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':"
			      "[{'name':'w','image':'nginx'}]}}}}"),
		       "ReplicaSet.apps \"web-5d4f\" is invalid: spec.selector: Invalid value: "
		       "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\"}, "
		       "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
	json_decref(r);
}

/* Job: kube's defaults, the selector it generates from the uid, and the
 * restart policies a Job may have. */
static void job_defaults_and_selector(void **state)
{
	static const char job[] =
		"{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'certgen','uid':'u-1'},"
		"'spec':{'template':{'metadata':{'labels':{'app':'c'}},'spec':{'restartPolicy':"
		"'OnFailure','containers':[{'name':'c','image':'busybox'}]}}}}";
	json_t *j = create("Job", job);

	assert_int_equal(json_integer_value(k1s_json_path(j, "spec.completions")), 1);
	assert_int_equal(json_integer_value(k1s_json_path(j, "spec.parallelism")), 1);
	assert_int_equal(json_integer_value(k1s_json_path(j, "spec.backoffLimit")), 6);
	assert_str(j, "spec.completionMode", "NonIndexed");
	assert_true(json_is_false(k1s_json_path(j, "spec.suspend")));
	assert_json(k1s_json_path(j, "spec.selector"),
		    "{'matchLabels':{'batch.kubernetes.io/controller-uid':'u-1'}}");
	assert_json(k1s_json_path(j, "spec.template.metadata.labels"),
		    "{'app':'c','batch.kubernetes.io/controller-uid':'u-1',"
		    "'batch.kubernetes.io/job-name':'certgen','controller-uid':'u-1',"
		    "'job-name':'certgen'}");
	assert_null(k1s_json_path(j, "spec.manualSelector"));
	assert_json(json_object_get(j, "status"), "{}");
	json_decref(j);

	/* Parallelism alone: completions stay unset (a work queue). */
	j = create("Job", "{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'q','uid':'u-2'},"
			  "'spec':{'parallelism':3,'template':{'spec':{'restartPolicy':'Never',"
			  "'containers':[{'name':'c','image':'busybox'}]}}}}");
	assert_null(k1s_json_path(j, "spec.completions"));
	json_decref(j);

	/* The pod defaults make no restartPolicy Always, which a Job refuses. */
	assert_message(refuse("Job", NULL,
			      "{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'a','uid':"
			      "'u-3'},'spec':{'template':{'spec':{'containers':[{'name':'c',"
			      "'image':'busybox'}]}}}}"),
		       "Job.batch \"a\" is invalid: spec.template.spec.restartPolicy: Unsupported "
		       "value: \"Always\": supported values: \"OnFailure\", \"Never\"");
	/* A selector of one's own needs manualSelector. */
	assert_message(refuse("Job", NULL,
			      "{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'s','uid':"
			      "'u-4'},'spec':{'selector':{'matchLabels':{'app':'c'}},'template':{"
			      "'metadata':{'labels':{'app':'c'}},'spec':{'restartPolicy':'Never',"
			      "'containers':[{'name':'c','image':'busybox'}]}}}}"),
		       "Job.batch \"s\" is invalid: spec.selector: Invalid value: "
		       "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"c\"}, "
		       "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not "
		       "auto-generated");
}

/* ---- the other kinds ---- */

static void namespace_defaults_and_name(void **state)
{
	json_t *n = create("Namespace", "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':"
					"'shop'}}");

	assert_json(k1s_json_path(n, "metadata.labels"), "{'kubernetes.io/metadata.name':'shop'}");
	assert_json(k1s_json_path(n, "spec"), "{'finalizers':['kubernetes']}");
	assert_json(json_object_get(n, "status"), "{'phase':'Active'}");
	json_decref(n);
	assert_message(refuse("Namespace", NULL, "{'apiVersion':'v1','kind':'Namespace','metadata':"
						 "{'name':'my.ns'}}"),
		       "Namespace \"my.ns\" is invalid: metadata.name: Invalid value: \"my.ns\": "
		       "must not contain dots");
}

static void secret_string_data(void **state)
{
	json_t *s = create("Secret", "{'apiVersion':'v1','kind':'Secret','metadata':{'name':'db'},"
				     "'data':{'user':'YWRtaW4='},'stringData':{'password':'s3cr3t!',"
				     "'user':'root'}}");

	assert_str(s, "type", "Opaque");
	assert_null(json_object_get(s, "stringData"));
	assert_json(json_object_get(s, "data"), "{'user':'cm9vdA==','password':'czNjcjN0IQ=='}");
	json_decref(s);
	s = refuse("Secret", NULL, "{'apiVersion':'v1','kind':'Secret','metadata':{'name':'x'},"
				   "'data':{'a':'no*pe'}}");
	assert_int_equal(json_integer_value(json_object_get(s, "code")), 400);
	assert_message(s, "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 "
			  "data at input byte 2");
	assert_message(refuse("Secret", NULL, "{'apiVersion':'v1','kind':'Secret','metadata':{"
					      "'name':'myapp-tls'},'type':'kubernetes.io/tls','data':"
					      "{'tls.crt':'YQ=='}}"),
		       "Secret \"myapp-tls\" is invalid: data[tls.key]: Required value");
	assert_message(refuse("Secret", NULL, "{'apiVersion':'v1','kind':'Secret','metadata':{"
					      "'name':'k'},'stringData':{'a b':'x'}}"),
		       "Secret \"k\" is invalid: data[a b]: Invalid value: \"a b\": a valid config "
		       "key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
		       "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
		       "'[-._a-zA-Z0-9]+')");
}

/* 04-ingress.yaml */
static void ingress_defaults_and_validation(void **state)
{
	json_t *i = create("Ingress",
			   "{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{'name':"
			   "'app-ingress','annotations':{'nginx.ingress.kubernetes.io/rewrite-target':"
			   "'/'}},'spec':{'ingressClassName':'nginx','rules':[{'host':'myapp.com',"
			   "'http':{'paths':[{'path':'/','pathType':'Prefix','backend':{'service':{"
			   "'name':'frontend-service','port':{'number':80}}}},{'path':'/api',"
			   "'pathType':'Prefix','backend':{'service':{'name':'api-service','port':{"
			   "'number':80}}}}]}},{'host':'admin.myapp.com','http':{'paths':[{'path':'/',"
			   "'pathType':'Prefix','backend':{'service':{'name':'admin-service','port':{"
			   "'number':80}}}}]}}]},'status':{'loadBalancer':{'ingress':[{'ip':'9.9.9.9'}]}}}");

	assert_json(json_object_get(i, "status"), "{'loadBalancer':{}}");
	assert_str(i, "spec.ingressClassName", "nginx");
	json_decref(i);
	assert_message(refuse("Ingress", NULL,
			      "{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{"
			      "'name':'i'},'spec':{'rules':[{'http':{'paths':[{'path':'/','backend':"
			      "{'service':{'name':'s','port':{'number':80}}}}]}}]}}"),
		       "Ingress.networking.k8s.io \"i\" is invalid: "
		       "spec.rules[0].http.paths[0].pathType: Required value: pathType must be "
		       "specified");
	assert_message(refuse("Ingress", NULL,
			      "{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{"
			      "'name':'i'},'spec':{'rules':[{'host':'*.example.com','http':{'paths':"
			      "[{'path':'api','pathType':'Exact','backend':{'service':{'name':'s'}}}]}}]}}"),
		       "Ingress.networking.k8s.io \"i\" is invalid: "
		       "[spec.rules[0].http.paths[0].path: Invalid value: \"api\": must be an "
		       "absolute path, spec.rules[0].http.paths[0].backend: Required value: port "
		       "name or number is required]");
	assert_message(refuse("Ingress", NULL,
			      "{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{"
			      "'name':'i'},'spec':{'rules':[{'host':'10.0.0.1','http':{'paths':[{'path':"
			      "'/','pathType':'Prefix','backend':{'service':{'name':'s','port':{"
			      "'number':0,'name':'http'}}}}]}}]}}"),
		       "Ingress.networking.k8s.io \"i\" is invalid: spec.rules[0].host: Invalid "
		       "value: \"10.0.0.1\": must be a DNS name, not an IP address");
}

/* 06-network-policy.yaml and the defaults it leaves out. */
static void networkpolicy_defaults(void **state)
{
	json_t *n = create("NetworkPolicy",
			   "{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{"
			   "'name':'api-network-policy','namespace':'default'},'spec':{'podSelector':"
			   "{'matchLabels':{'app':'api'}},'policyTypes':['Ingress','Egress'],"
			   "'ingress':[{'from':[{'podSelector':{'matchLabels':{'app':'frontend'}}}],"
			   "'ports':[{'protocol':'TCP','port':3000}]}],'egress':[{'to':[{'podSelector':"
			   "{'matchLabels':{'app':'database'}}}],'ports':[{'protocol':'TCP','port':"
			   "5432}]},{'to':[{'namespaceSelector':{}}],'ports':[{'protocol':'UDP','port':"
			   "53}]}]}}");

	assert_json(k1s_json_path(n, "spec.policyTypes"), "['Ingress','Egress']");
	json_decref(n);
	n = create("NetworkPolicy", "{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy',"
				    "'metadata':{'name':'a'},'spec':{'podSelector':{},'ingress':[{"
				    "'ports':[{'port':80}]}]}}");
	assert_json(k1s_json_path(n, "spec.policyTypes"), "['Ingress']");
	assert_json(k1s_json_path(n, "spec.ingress"), "[{'ports':[{'port':80,'protocol':'TCP'}]}]");
	json_decref(n);
	n = create("NetworkPolicy", "{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy',"
				    "'metadata':{'name':'b'},'spec':{'podSelector':{},'egress':[{}]}}");
	assert_json(k1s_json_path(n, "spec.policyTypes"), "['Ingress','Egress']");
	json_decref(n);
	assert_message(refuse("NetworkPolicy", NULL,
			      "{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':"
			      "{'name':'c'},'spec':{'podSelector':{},'policyTypes':['Inbound']}}"),
		       "NetworkPolicy.networking.k8s.io \"c\" is invalid: spec.policyTypes[0]: "
		       "Unsupported value: \"Inbound\": supported values: \"Ingress\", \"Egress\"");
}

static void endpoints_defaults(void **state)
{
	json_t *e = create("Endpoints", "{'apiVersion':'v1','kind':'Endpoints','metadata':{'name':"
					"'api-service'},'subsets':[{'addresses':[{'ip':'10.244.0.5'}],"
					"'ports':[{'port':3000}]}]}");
	json_t *s = create("EndpointSlice",
			   "{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice','metadata':{"
			   "'name':'api-service-abcde'},'addressType':'IPv4','endpoints':[{"
			   "'addresses':['10.244.0.5']}],'ports':[{'port':3000}]}");

	assert_json(k1s_json_path(e, "subsets"),
		    "[{'addresses':[{'ip':'10.244.0.5'}],'ports':[{'port':3000,'protocol':'TCP'}]}]");
	assert_json(json_object_get(s, "ports"), "[{'port':3000,'name':'','protocol':'TCP'}]");
	json_decref(e);
	json_decref(s);
}

static void labels_and_annotations(void **state)
{
	assert_message(refuse("ConfigMap", NULL,
			      "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','labels':"
			      "{'example.com/a/b':'x'}}}"),
		       "ConfigMap \"c\" is invalid: metadata.labels: Invalid value: "
		       "\"example.com/a/b\": a qualified name must consist of alphanumeric "
		       "characters, '-', '_' or '.', and must start and end with an alphanumeric "
		       "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
		       "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional "
		       "DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
	assert_message(refuse("ConfigMap", NULL,
			      "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','labels':"
			      "{'Example.com/ok':'x'}}}"),
		       "ConfigMap \"c\" is invalid: metadata.labels: Invalid value: "
		       "\"Example.com/ok\": prefix part a lowercase RFC 1123 subdomain must "
		       "consist of lower case alphanumeric characters, '-' or '.', and must start "
		       "and end with an alphanumeric character (e.g. 'example.com', regex used for "
		       "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])"
		       "?)*')");
	{
		/* Annotation keys ignore case; their total size is capped. */
		size_t big = 300 * 1024;
		char *body = malloc(big + 1);
		json_t *o, *st = NULL;

		memset(body, 'x', big);
		body[big] = '\0';
		o = json_pack("{s:s,s:s,s:{s:s,s:{s:s}}}", "apiVersion", "v1", "kind", "ConfigMap",
			      "metadata", "name", "c", "annotations", "Kubectl.Example/Note", body);
		assert_int_not_equal(api_admit_create(adm, R("ConfigMap"), o, &st), 0);
		assert_message(st, "ConfigMap \"c\" is invalid: metadata.annotations: Too long: may "
				   "not be more than 262144 bytes");
		json_decref(o);
		free(body);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(service_clusterip_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(service_clusterip_is_in_range_and_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(service_nodeport_requested, setup, teardown),
		cmocka_unit_test_setup_teardown(service_nodeport_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(service_nodeport_to_loadbalancer, setup, teardown),
		cmocka_unit_test_setup_teardown(service_loadbalancer_allocates, setup, teardown),
		cmocka_unit_test_setup_teardown(service_nodeport_to_clusterip_frees_port, setup, teardown),
		cmocka_unit_test_setup_teardown(service_clusterip_to_externalname_frees_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(service_delete_frees, setup, teardown),
		cmocka_unit_test_setup_teardown(service_replace_carries_allocations, setup, teardown),
		cmocka_unit_test_setup_teardown(service_clusterip_is_immutable, setup, teardown),
		cmocka_unit_test_setup_teardown(service_same_port_shares_nodeport, setup, teardown),
		cmocka_unit_test_setup_teardown(service_health_check_port, setup, teardown),
		cmocka_unit_test_setup_teardown(service_headless, setup, teardown),
		cmocka_unit_test(config_is_checked),
		cmocka_unit_test_setup_teardown(service_externalname, setup, teardown),
		cmocka_unit_test_setup_teardown(service_session_affinity, setup, teardown),
		cmocka_unit_test_setup_teardown(service_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(service_status_dropped_on_create, setup, teardown),
		cmocka_unit_test_setup_teardown(service_node_ports_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(pod_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(pod_pull_policy_and_qos, setup, teardown),
		cmocka_unit_test_setup_teardown(pod_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(pod_spec_is_immutable, setup, teardown),
		cmocka_unit_test_setup_teardown(deployment_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(deployment_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(deployment_selector_is_immutable, setup, teardown),
		cmocka_unit_test_setup_teardown(replicaset_defaults_and_immutable_selector, setup,
						teardown),
		cmocka_unit_test_setup_teardown(job_defaults_and_selector, setup, teardown),
		cmocka_unit_test_setup_teardown(namespace_defaults_and_name, setup, teardown),
		cmocka_unit_test_setup_teardown(secret_string_data, setup, teardown),
		cmocka_unit_test_setup_teardown(ingress_defaults_and_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(networkpolicy_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(endpoints_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(labels_and_annotations, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
