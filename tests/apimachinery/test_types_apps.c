/* The apps/v1, networking.k8s.io/v1 and discovery.k8s.io/v1 type tables:
 * strict decoding of the tutorial's manifests, protobuf field numbers,
 * strategic-merge metadata, and the tables' own consistency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "k1s_types.h"
#include "k1s_types_int.h"

/* The field at a dotted path of field names, following object refs. */
static const struct k1s_field *field_at(const struct k1s_type *t, const char *path)
{
	char buf[256], *save = NULL, *tok;
	const struct k1s_field *f = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		if (!t)
			return NULL;
		f = k1s_type_field(t, tok);
		if (!f)
			return NULL;
		t = f->ref;
	}
	return f;
}

static const struct k1s_field *must(const struct k1s_type *t, const char *path)
{
	const struct k1s_field *f = field_at(t, path);

	if (!f)
		fail_msg("%s has no field %s", t->name, path);
	return f;
}

/* Strict decoding of `json` as `t`: the unknown-field messages, joined. */
static int unknown(const struct k1s_type *t, const char *json, char *out, size_t len)
{
	json_error_t jerr;
	json_t *obj = json_loads(json, 0, &jerr), *errs = json_array(), *e;
	size_t i;
	int n;

	if (!obj)
		fail_msg("bad test JSON at %d: %s", jerr.line, jerr.text);
	n = k1s_types_unknown(t, obj, errs);
	out[0] = '\0';
	json_array_foreach(errs, i, e) {
		size_t used = strlen(out);

		snprintf(out + used, len - used, "%s%s", i ? "; " : "", json_string_value(e));
	}
	assert_int_equal((size_t)n, json_array_size(errs));
	json_decref(errs);
	json_decref(obj);
	return n;
}

/* 04-ingress.yaml */
static const char ingress_04[] =
	"{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\","
	"\"metadata\":{\"name\":\"app-ingress\",\"annotations\":"
	"{\"nginx.ingress.kubernetes.io/rewrite-target\":\"/\"}},"
	"\"spec\":{\"ingressClassName\":\"nginx\",\"rules\":["
	"{\"host\":\"myapp.com\",\"http\":{\"paths\":["
	"{\"path\":\"/\",\"pathType\":\"Prefix\",\"backend\":{\"service\":"
	"{\"name\":\"frontend-service\",\"port\":{\"number\":80}}}},"
	"{\"path\":\"/api\",\"pathType\":\"Prefix\",\"backend\":{\"service\":"
	"{\"name\":\"api-service\",\"port\":{\"number\":80}}}}]}},"
	"{\"host\":\"admin.myapp.com\",\"http\":{\"paths\":["
	"{\"path\":\"/\",\"pathType\":\"Prefix\",\"backend\":{\"service\":"
	"{\"name\":\"admin-service\",\"port\":{\"number\":80}}}}]}}]}}";

/* 05-tls-ingress.yaml */
static const char ingress_05[] =
	"{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\","
	"\"metadata\":{\"name\":\"secure-ingress\",\"annotations\":"
	"{\"cert-manager.io/cluster-issuer\":\"letsencrypt-prod\"}},"
	"\"spec\":{\"ingressClassName\":\"nginx\","
	"\"tls\":[{\"hosts\":[\"myapp.com\"],\"secretName\":\"myapp-tls\"}],"
	"\"rules\":[{\"host\":\"myapp.com\",\"http\":{\"paths\":["
	"{\"path\":\"/\",\"pathType\":\"Prefix\",\"backend\":{\"service\":"
	"{\"name\":\"web-service\",\"port\":{\"number\":80}}}}]}}]}}";

/* 06-network-policy.yaml */
static const char netpol_06[] =
	"{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\","
	"\"metadata\":{\"name\":\"api-network-policy\",\"namespace\":\"default\"},"
	"\"spec\":{\"podSelector\":{\"matchLabels\":{\"app\":\"api\"}},"
	"\"policyTypes\":[\"Ingress\",\"Egress\"],"
	"\"ingress\":[{\"from\":[{\"podSelector\":{\"matchLabels\":{\"app\":\"frontend\"}}}],"
	"\"ports\":[{\"protocol\":\"TCP\",\"port\":3000}]}],"
	"\"egress\":[{\"to\":[{\"podSelector\":{\"matchLabels\":{\"app\":\"database\"}}}],"
	"\"ports\":[{\"protocol\":\"TCP\",\"port\":5432}]},"
	"{\"to\":[{\"namespaceSelector\":{}}],\"ports\":[{\"protocol\":\"UDP\",\"port\":53}]}]}}";

/* 07-full-stack.yaml, the two Deployments */
static const char deploy_07_frontend[] =
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"frontend\"},"
	"\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"frontend\"}},"
	"\"template\":{\"metadata\":{\"labels\":{\"app\":\"frontend\"}},"
	"\"spec\":{\"containers\":[{\"name\":\"frontend\",\"image\":\"my-frontend:1.0\","
	"\"ports\":[{\"containerPort\":80}]}]}}}}";
static const char deploy_07_api[] =
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\"},"
	"\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"api\"}},"
	"\"template\":{\"metadata\":{\"labels\":{\"app\":\"api\"}},"
	"\"spec\":{\"containers\":[{\"name\":\"api\",\"image\":\"my-api:1.0\","
	"\"ports\":[{\"containerPort\":3000}],"
	"\"env\":[{\"name\":\"DATABASE_URL\",\"value\":\"postgres://db-service:5432/myapp\"}]}]}}}}";

static void tutorial_manifests_have_no_unknown_fields(void **state)
{
	char msg[1024];

	assert_int_equal(unknown(&k1s_t_Ingress, ingress_04, msg, sizeof(msg)), 0);
	assert_int_equal(unknown(&k1s_t_Ingress, ingress_05, msg, sizeof(msg)), 0);
	assert_int_equal(unknown(&k1s_t_NetworkPolicy, netpol_06, msg, sizeof(msg)), 0);
	assert_int_equal(unknown(&k1s_t_Deployment, deploy_07_frontend, msg, sizeof(msg)), 0);
	assert_int_equal(unknown(&k1s_t_Deployment, deploy_07_api, msg, sizeof(msg)), 0);
}

static void full_objects_have_no_unknown_fields(void **state)
{
	char msg[1024];

	/* What the controllers write back, and what a user may set. */
	assert_int_equal(
		unknown(&k1s_t_Deployment,
			"{\"spec\":{\"replicas\":1,\"minReadySeconds\":0,\"paused\":false,"
			"\"revisionHistoryLimit\":10,\"progressDeadlineSeconds\":600,"
			"\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
			"{\"maxSurge\":\"25%\",\"maxUnavailable\":1}}},"
			"\"status\":{\"observedGeneration\":2,\"replicas\":1,\"updatedReplicas\":1,"
			"\"readyReplicas\":1,\"availableReplicas\":1,\"unavailableReplicas\":0,"
			"\"collisionCount\":0,\"conditions\":[{\"type\":\"Available\","
			"\"status\":\"True\",\"lastUpdateTime\":\"2025-01-01T00:00:00Z\","
			"\"lastTransitionTime\":\"2025-01-01T00:00:00Z\",\"reason\":\"r\","
			"\"message\":\"m\"}]}}",
			msg, sizeof(msg)),
		0);
	assert_int_equal(
		unknown(&k1s_t_ReplicaSet,
			"{\"spec\":{\"replicas\":1,\"minReadySeconds\":0,\"selector\":{},"
			"\"template\":{}},\"status\":{\"replicas\":1,\"fullyLabeledReplicas\":1,"
			"\"readyReplicas\":1,\"availableReplicas\":1,\"observedGeneration\":1,"
			"\"conditions\":[{\"type\":\"ReplicaFailure\",\"status\":\"True\","
			"\"lastTransitionTime\":\"2025-01-01T00:00:00Z\",\"reason\":\"r\","
			"\"message\":\"m\"}]}}",
			msg, sizeof(msg)),
		0);
	assert_int_equal(
		unknown(&k1s_t_Ingress,
			"{\"spec\":{\"defaultBackend\":{\"resource\":{\"kind\":\"Bucket\","
			"\"name\":\"b\"}},\"rules\":[{\"http\":{\"paths\":[{\"pathType\":\"Exact\","
			"\"backend\":{\"service\":{\"name\":\"s\",\"port\":{\"name\":\"http\"}}}}]}}]},"
			"\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"10.0.0.1\","
			"\"hostname\":\"h\",\"ports\":[{\"port\":80,\"protocol\":\"TCP\","
			"\"error\":\"e\"}]}]}}}",
			msg, sizeof(msg)),
		0);
	assert_int_equal(
		unknown(&k1s_t_IngressClass,
			"{\"spec\":{\"controller\":\"k1s.io/ingress\",\"parameters\":{\"apiGroup\":"
			"\"g\",\"kind\":\"K\",\"name\":\"n\",\"scope\":\"Namespace\","
			"\"namespace\":\"ns\"}}}",
			msg, sizeof(msg)),
		0);
	assert_int_equal(
		unknown(&k1s_t_NetworkPolicy,
			"{\"spec\":{\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\","
			"\"except\":[\"10.1.0.0/16\"]}}],\"ports\":[{\"port\":\"http\","
			"\"endPort\":90}]}]}}",
			msg, sizeof(msg)),
		0);
	assert_int_equal(
		unknown(&k1s_t_EndpointSlice,
			"{\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.244.0.5\"],"
			"\"conditions\":{\"ready\":true,\"serving\":true,\"terminating\":false},"
			"\"hostname\":\"h\",\"nodeName\":\"k1s\",\"zone\":\"z\","
			"\"targetRef\":{\"kind\":\"Pod\",\"name\":\"p\"},\"deprecatedTopology\":{},"
			"\"hints\":{\"forZones\":[{\"name\":\"z\"}]}}],"
			"\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":8080,"
			"\"appProtocol\":\"http\"}]}",
			msg, sizeof(msg)),
		0);
}

static void unknown_fields_are_reported_with_their_path(void **state)
{
	char msg[1024];

	assert_int_equal(unknown(&k1s_t_Ingress,
				 "{\"spec\":{\"rules\":[{\"http\":{\"paths\":[{\"backend\":"
				 "{\"service\":{\"name\":\"s\",\"prot\":{}}}}]}}]}}",
				 msg, sizeof(msg)),
			 1);
	assert_string_equal(msg,
			    "unknown field \"spec.rules[0].http.paths[0].backend.service.prot\"");

	assert_int_equal(unknown(&k1s_t_Deployment,
				 "{\"spec\":{\"replica\":2,\"strategy\":{\"rollingUpdate\":"
				 "{\"maxSurge\":1,\"surge\":1}}}}",
				 msg, sizeof(msg)),
			 2);
	assert_non_null(strstr(msg, "unknown field \"spec.replica\""));
	assert_non_null(strstr(msg, "unknown field \"spec.strategy.rollingUpdate.surge\""));

	assert_int_equal(unknown(&k1s_t_NetworkPolicy,
				 "{\"spec\":{\"ingress\":[{\"form\":[]}],\"egress\":[{},"
				 "{\"to\":[{\"ipBlock\":{\"cidr\":\"0.0.0.0/0\",\"expect\":[]}}]}]}}",
				 msg, sizeof(msg)),
			 2);
	assert_non_null(strstr(msg, "unknown field \"spec.ingress[0].form\""));
	assert_non_null(strstr(msg, "unknown field \"spec.egress[1].to[0].ipBlock.expect\""));

	assert_int_equal(unknown(&k1s_t_EndpointSlice,
				 "{\"endpoints\":[{\"conditions\":{\"readyy\":true}}],"
				 "\"ports\":[{\"targetPort\":1}]}",
				 msg, sizeof(msg)),
			 2);
	assert_non_null(strstr(msg, "unknown field \"endpoints[0].conditions.readyy\""));
	assert_non_null(strstr(msg, "unknown field \"ports[0].targetPort\""));

	/* The embedded IngressRuleValue is inlined: its name is no JSON field. */
	assert_int_equal(unknown(&k1s_t_Ingress, "{\"spec\":{\"rules\":[{\"ingressRuleValue\":{}}]}}",
				 msg, sizeof(msg)),
			 1);
	/* Nor is the Go name of apiGroup's protobuf field. */
	assert_int_equal(unknown(&k1s_t_IngressClass,
				 "{\"spec\":{\"parameters\":{\"aPIGroup\":\"g\"}}}", msg,
				 sizeof(msg)),
			 1);
}

static void proto_numbers_match_generated_proto(void **state)
{
	static const struct {
		const struct k1s_type *t;
		const char *path;
		int proto;
	} cases[] = {
		{&k1s_t_Deployment, "apiVersion", 0},
		{&k1s_t_Deployment, "kind", 0},
		{&k1s_t_Deployment, "metadata", 1},
		{&k1s_t_Deployment, "spec.progressDeadlineSeconds", 9},
		{&k1s_t_Deployment, "spec.paused", 7},
		{&k1s_t_Deployment, "spec.strategy", 4},
		{&k1s_t_Deployment, "spec.strategy.rollingUpdate.maxSurge", 2},
		{&k1s_t_Deployment, "status.readyReplicas", 7},
		{&k1s_t_Deployment, "status.collisionCount", 8},
		{&k1s_t_Deployment, "status.conditions.lastUpdateTime", 6},
		{&k1s_t_Deployment, "status.conditions.lastTransitionTime", 7},
		{&k1s_t_ReplicaSet, "spec.minReadySeconds", 4},
		{&k1s_t_ReplicaSet, "status.observedGeneration", 3},
		{&k1s_t_ReplicaSet, "status.readyReplicas", 4},
		{&k1s_t_Ingress, "spec.ingressClassName", 4},
		{&k1s_t_Ingress, "spec.defaultBackend", 1},
		{&k1s_t_Ingress, "spec.defaultBackend.service", 4},
		{&k1s_t_Ingress, "spec.defaultBackend.resource", 3},
		{&k1s_t_Ingress, "spec.rules.http", K1S_PROTO_EMBED(2, 1)},
		{&k1s_t_Ingress, "spec.rules.http.paths.pathType", 3},
		{&k1s_t_Ingress, "spec.rules.http.paths.backend", 2},
		{&k1s_t_Ingress, "spec.rules.http.paths.backend.service.port.number", 2},
		{&k1s_t_Ingress, "status.loadBalancer.ingress.ports", 4},
		{&k1s_t_IngressClass, "spec.parameters.apiGroup", 1},
		{&k1s_t_IngressClass, "spec.parameters.namespace", 5},
		{&k1s_t_NetworkPolicy, "spec.policyTypes", 4},
		{&k1s_t_NetworkPolicy, "spec.egress.to.ipBlock.except", 2},
		{&k1s_t_NetworkPolicy, "spec.ingress.ports.endPort", 3},
		{&k1s_t_EndpointSlice, "addressType", 4},
		{&k1s_t_EndpointSlice, "endpoints", 2},
		{&k1s_t_EndpointSlice, "endpoints.hints", 8},
		{&k1s_t_EndpointSlice, "endpoints.zone", 7},
		{&k1s_t_EndpointSlice, "ports.appProtocol", 4},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct k1s_field *f = must(cases[i].t, cases[i].path);

		if (f->proto != cases[i].proto)
			fail_msg("%s %s: proto %d, want %d", cases[i].t->name, cases[i].path,
				 f->proto, cases[i].proto);
	}
	assert_int_equal(K1S_PROTO_OUTER(must(&k1s_t_Ingress, "spec.rules.http")->proto), 2);
	assert_int_equal(K1S_PROTO_INNER(must(&k1s_t_Ingress, "spec.rules.http")->proto), 1);
	assert_int_equal(K1S_PROTO_OUTER(must(&k1s_t_Ingress, "spec.rules.host")->proto), 0);
}

static void patch_metadata_matches_struct_tags(void **state)
{
	const struct k1s_field *f;

	f = must(&k1s_t_Deployment, "status.conditions");
	assert_int_equal(f->container, K1S_C_LIST);
	assert_string_equal(f->merge_key, "type");
	assert_string_equal(f->list_map_keys, "type");
	f = must(&k1s_t_ReplicaSet, "status.conditions");
	assert_string_equal(f->merge_key, "type");

	f = must(&k1s_t_Deployment, "spec.strategy");
	assert_true(f->flags & K1S_FF_RETAIN_KEYS);
	assert_false(must(&k1s_t_Deployment, "spec.template")->flags & K1S_FF_RETAIN_KEYS);

	/* Atomic lists: replaced whole by strategic merge. */
	static const struct {
		const struct k1s_type *t;
		const char *path;
	} atomic[] = {
		{&k1s_t_Ingress, "spec.rules"},
		{&k1s_t_Ingress, "spec.tls"},
		{&k1s_t_Ingress, "spec.tls.hosts"},
		{&k1s_t_Ingress, "spec.rules.http.paths"},
		{&k1s_t_NetworkPolicy, "spec.ingress"},
		{&k1s_t_NetworkPolicy, "spec.egress"},
		{&k1s_t_NetworkPolicy, "spec.ingress.ports"},
		{&k1s_t_NetworkPolicy, "spec.ingress.from"},
		{&k1s_t_NetworkPolicy, "spec.egress.ports"},
		{&k1s_t_NetworkPolicy, "spec.egress.to"},
		{&k1s_t_NetworkPolicy, "spec.policyTypes"},
		{&k1s_t_EndpointSlice, "endpoints"},
		{&k1s_t_EndpointSlice, "ports"},
	};
	for (size_t i = 0; i < sizeof(atomic) / sizeof(atomic[0]); i++) {
		f = must(atomic[i].t, atomic[i].path);
		assert_int_equal(f->container, K1S_C_LIST);
		assert_null(f->merge_key);
		assert_null(f->list_map_keys);
		assert_false(f->flags & K1S_FF_MERGE_PRIMITIVES);
	}
}

static void required_fields_follow_openapi(void **state)
{
	static const struct {
		const struct k1s_type *t;
		const char *path;
		bool required;
	} cases[] = {
		{&k1s_t_Deployment, "spec.selector", true},
		{&k1s_t_Deployment, "spec.template", true},
		{&k1s_t_Deployment, "spec.replicas", false},
		{&k1s_t_Deployment, "status.conditions.type", true},
		{&k1s_t_Deployment, "status.conditions.status", true},
		{&k1s_t_ReplicaSet, "spec.selector", true},
		{&k1s_t_ReplicaSet, "spec.template", false},
		{&k1s_t_ReplicaSet, "status.replicas", true},
		{&k1s_t_Ingress, "spec.rules.http.paths", true},
		{&k1s_t_Ingress, "spec.rules.http.paths.pathType", true},
		{&k1s_t_Ingress, "spec.rules.http.paths.backend", true},
		{&k1s_t_Ingress, "spec.rules.http.paths.path", false},
		{&k1s_t_Ingress, "spec.rules.http.paths.backend.service.name", true},
		{&k1s_t_Ingress, "spec.rules.host", false},
		{&k1s_t_IngressClass, "spec.parameters.kind", true},
		{&k1s_t_IngressClass, "spec.parameters.name", true},
		{&k1s_t_IngressClass, "spec.parameters.apiGroup", false},
		{&k1s_t_NetworkPolicy, "spec.ingress.from.ipBlock.cidr", true},
		{&k1s_t_NetworkPolicy, "spec.podSelector", false},
		{&k1s_t_EndpointSlice, "addressType", true},
		{&k1s_t_EndpointSlice, "endpoints", true},
		{&k1s_t_EndpointSlice, "endpoints.addresses", true},
		{&k1s_t_EndpointSlice, "endpoints.hints.forZones.name", true},
		{&k1s_t_EndpointSlice, "ports", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct k1s_field *f = must(cases[i].t, cases[i].path);

		if (!!(f->flags & K1S_FF_REQUIRED) != cases[i].required)
			fail_msg("%s %s: required should be %d", cases[i].t->name, cases[i].path,
				 cases[i].required);
	}
}

static bool ours(const struct k1s_type *t)
{
	return strncmp(t->name, "io.k8s.api.apps.v1.", 19) == 0 ||
	       strncmp(t->name, "io.k8s.api.networking.v1.", 25) == 0 ||
	       strncmp(t->name, "io.k8s.api.discovery.v1.", 24) == 0 ||
	       strncmp(t->name, "io.k8s.api.batch.v1.", 20) == 0 ||
	       strncmp(t->name, "io.k8s.api.rbac.v1.", 19) == 0 ||
	       strncmp(t->name, "io.k8s.api.admissionregistration.v1.", 36) == 0;
}

/* Checks t and, recursively, every type of ours that it reaches. */
static int check_type(const struct k1s_type *t, const struct k1s_type **seen, size_t *nseen)
{
	int checked = 1;

	for (size_t i = 0; i < *nseen; i++)
		if (seen[i] == t)
			return 0;
	assert_true(*nseen < 128);
	seen[(*nseen)++] = t;
	for (size_t i = 0; i < *nseen - 1; i++)
		if (strcmp(seen[i]->name, t->name) == 0)
			fail_msg("two tables named %s", t->name);

	assert_non_null(t->fields);
	assert_true(t->nfields > 0);
	assert_non_null(t->doc);
	assert_true(*t->doc);
	for (size_t i = 0; i < t->nfields; i++) {
		const struct k1s_field *f = &t->fields[i];
		/* The type meta of a top-level kind; IngressClassParametersReference
		 * has a "kind" of its own. */
		bool typemeta = k1s_type_field(t, "metadata") &&
				(strcmp(f->name, "apiVersion") == 0 || strcmp(f->name, "kind") == 0);

		assert_non_null(f->name);
		assert_non_null(f->doc);
		if (f->type == K1S_T_OBJECT && !f->ref)
			fail_msg("%s.%s: object without a type", t->name, f->name);
		if (f->type != K1S_T_OBJECT && f->ref)
			fail_msg("%s.%s: scalar with a type", t->name, f->name);
		if (f->merge_key && f->container != K1S_C_LIST)
			fail_msg("%s.%s: merge key on a non-list", t->name, f->name);
		/* Only the type meta is off the wire. */
		if ((f->proto == 0) != typemeta)
			fail_msg("%s.%s: proto %d", t->name, f->name, f->proto);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(f->name, t->fields[j].name) == 0)
				fail_msg("%s: field %s twice", t->name, f->name);
			if (f->proto && f->proto == t->fields[j].proto)
				fail_msg("%s: proto %d twice (%s, %s)", t->name, f->proto,
					 t->fields[j].name, f->name);
		}
		if (f->ref && ours(f->ref))
			checked += check_type(f->ref, seen, nseen);
	}
	return checked;
}

static void tables_are_consistent(void **state)
{
	const struct k1s_type *kinds[] = {&k1s_t_Deployment, &k1s_t_ReplicaSet,
					  &k1s_t_Ingress,    &k1s_t_IngressClass,
					  &k1s_t_NetworkPolicy, &k1s_t_EndpointSlice};
	const struct k1s_type *seen[128];
	size_t nseen = 0;
	int n = 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		assert_non_null(k1s_type_field(kinds[i], "metadata"));
		assert_ptr_equal(must(kinds[i], "metadata")->ref, &k1s_t_ObjectMeta);
		n += check_type(kinds[i], seen, &nseen);
	}
	/* 10 apps/v1 types, 23 networking/v1, 6 discovery/v1. */
	assert_int_equal(n, 39);
}

/* batch/v1, rbac.authorization.k8s.io/v1 and admissionregistration.k8s.io/v1. */
static void job_rbac_webhook_tables_are_consistent(void **state)
{
	const struct k1s_type *kinds[] = {&k1s_t_Job,
					  &k1s_t_Role,
					  &k1s_t_ClusterRole,
					  &k1s_t_RoleBinding,
					  &k1s_t_ClusterRoleBinding,
					  &k1s_t_ValidatingWebhookConfiguration,
					  &k1s_t_MutatingWebhookConfiguration};
	const struct k1s_type *seen[128];
	size_t nseen = 0;
	int n = 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		assert_ptr_equal(must(kinds[i], "metadata")->ref, &k1s_t_ObjectMeta);
		assert_int_equal(must(kinds[i], "metadata")->proto, 1);
		n += check_type(kinds[i], seen, &nseen);
	}
	/* 11 batch/v1 types, 8 rbac/v1, 8 admissionregistration/v1. */
	assert_int_equal(n, 27);
	/* Numbers and tags of generated.proto and types.go. */
	assert_int_equal(must(&k1s_t_Job, "spec.template")->proto, 6);
	assert_ptr_equal(must(&k1s_t_Job, "spec.template")->ref, &k1s_t_PodTemplateSpec);
	assert_int_equal(must(&k1s_t_Job, "spec.backoffLimit")->proto, 7);
	assert_int_equal(must(&k1s_t_Job, "spec.ttlSecondsAfterFinished")->proto, 8);
	assert_int_equal(must(&k1s_t_Job, "spec.successPolicy")->proto, 16);
	assert_int_equal(must(&k1s_t_Job, "status.conditions")->type, K1S_T_OBJECT);
	assert_int_equal(must(&k1s_t_Job, "status.startTime")->type, K1S_T_TIME);
	assert_int_equal(must(&k1s_t_RoleBinding, "roleRef")->flags & K1S_FF_REQUIRED,
			 K1S_FF_REQUIRED);
	assert_int_equal(must(&k1s_t_RoleBinding, "subjects.name")->proto, 3);
	assert_string_equal(must(&k1s_t_ValidatingWebhookConfiguration, "webhooks")->merge_key,
			    "name");
	assert_int_equal(must(&k1s_t_ValidatingWebhookConfiguration, "webhooks.clientConfig.caBundle")->type,
			 K1S_T_BYTES);
	/* RuleWithOperations inlines Rule, message 2 on the wire. */
	assert_int_equal(must(&k1s_t_MutatingWebhookConfiguration, "webhooks.rules.scope")->proto,
			 K1S_PROTO_EMBED(2, 4));
	assert_int_equal(must(&k1s_t_ServiceAccount, "automountServiceAccountToken")->proto, 4);
	assert_ptr_equal(must(&k1s_t_ServiceAccount, "imagePullSecrets")->ref,
			 &k1s_t_LocalObjectReference);
	assert_ptr_equal(k1s_resource_find("batch", "jobs")->type, &k1s_t_Job);
	assert_true(k1s_resource_find("batch", "jobs")->flags & K1S_RF_STATUS);
	assert_false(k1s_resource_find("rbac.authorization.k8s.io", "clusterroles")->flags &
		     K1S_RF_NAMESPACED);
	assert_string_equal(k1s_resource_find("", "serviceaccounts")->short_names, "sa");
}

static void resources_point_at_the_tables(void **state)
{
	assert_ptr_equal(k1s_resource_find("apps", "deployments")->type, &k1s_t_Deployment);
	assert_ptr_equal(k1s_resource_find("apps", "replicasets")->type, &k1s_t_ReplicaSet);
	assert_ptr_equal(k1s_resource_find("networking.k8s.io", "ingresses")->type,
			 &k1s_t_Ingress);
	assert_ptr_equal(k1s_resource_find("networking.k8s.io", "networkpolicies")->type,
			 &k1s_t_NetworkPolicy);
	assert_ptr_equal(k1s_resource_find("discovery.k8s.io", "endpointslices")->type,
			 &k1s_t_EndpointSlice);
	assert_string_equal(k1s_t_Deployment.name, "io.k8s.api.apps.v1.Deployment");
	assert_string_equal(k1s_t_EndpointSlice.name, "io.k8s.api.discovery.v1.EndpointSlice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tutorial_manifests_have_no_unknown_fields),
		cmocka_unit_test(full_objects_have_no_unknown_fields),
		cmocka_unit_test(unknown_fields_are_reported_with_their_path),
		cmocka_unit_test(proto_numbers_match_generated_proto),
		cmocka_unit_test(patch_metadata_matches_struct_tags),
		cmocka_unit_test(required_fields_follow_openapi),
		cmocka_unit_test(tables_are_consistent),
		cmocka_unit_test(job_rbac_webhook_tables_are_consistent),
		cmocka_unit_test(resources_point_at_the_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
