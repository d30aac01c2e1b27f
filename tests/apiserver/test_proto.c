/* The protobuf reader: the wire format against small type tables of our
 * own, then the bodies kubectl 1.32 really sends against the served
 * tables. Includes api_proto.c to reach the generic decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "api_proto.c"
#include "k1s_json.h"

/* ---- test tables ---- */

static const struct k1s_type t_sub;
static const struct k1s_type t_all;

static const struct k1s_field f_sub[] = {
	{"name", K1S_T_STRING, K1S_C_NONE, NULL, 1},
	{"port", K1S_T_INT32, K1S_C_NONE, NULL, 2},
};
static const struct k1s_type t_sub = {"test.Sub", "", f_sub, PB_NELEM(f_sub)};

static const struct k1s_field f_all[] = {
	{"s", K1S_T_STRING, K1S_C_NONE, NULL, 1},
	{"i32", K1S_T_INT32, K1S_C_NONE, NULL, 2},
	{"i64", K1S_T_INT64, K1S_C_NONE, NULL, 3},
	{"b", K1S_T_BOOL, K1S_C_NONE, NULL, 4},
	{"num", K1S_T_NUMBER, K1S_C_NONE, NULL, 5},
	{"obj", K1S_T_OBJECT, K1S_C_NONE, &t_sub, 6},
	{"ios", K1S_T_INT_OR_STRING, K1S_C_NONE, NULL, 7},
	{"q", K1S_T_QUANTITY, K1S_C_NONE, NULL, 8},
	{"ts", K1S_T_TIME, K1S_C_NONE, NULL, 9},
	{"mt", K1S_T_MICROTIME, K1S_C_NONE, NULL, 10},
	{"by", K1S_T_BYTES, K1S_C_NONE, NULL, 11},
	{"strs", K1S_T_STRING, K1S_C_LIST, NULL, 12},
	{"ints", K1S_T_INT32, K1S_C_LIST, NULL, 13},
	{"labels", K1S_T_STRING, K1S_C_MAP, NULL, 14},
	{"objs", K1S_T_OBJECT, K1S_C_LIST, &t_sub, 15},
	{"data", K1S_T_BYTES, K1S_C_MAP, NULL, 16},
	{"req", K1S_T_STRING, K1S_C_NONE, NULL, 17, NULL, NULL, K1S_FF_REQUIRED},
	{"rec", K1S_T_OBJECT, K1S_C_NONE, &t_all, 18},
	{"nums", K1S_T_NUMBER, K1S_C_LIST, NULL, 19},
	{"any", K1S_T_ANY, K1S_C_NONE, NULL, 20},
	{"limits", K1S_T_QUANTITY, K1S_C_MAP, NULL, 21},
	{"subs", K1S_T_OBJECT, K1S_C_MAP, &t_sub, 22},
	{"notOnWire", K1S_T_STRING, K1S_C_NONE, NULL, 0},
};
static const struct k1s_type t_all = {"test.All", "", f_all, PB_NELEM(f_all)};

/* Named as the real type, so that the pointer list applies. */
static const struct k1s_field f_dspec[] = {
	{"replicas", K1S_T_INT32, K1S_C_NONE, NULL, 1},
	{"minReadySeconds", K1S_T_INT32, K1S_C_NONE, NULL, 5},
};
static const struct k1s_type t_dspec = {"io.k8s.api.apps.v1.DeploymentSpec", "", f_dspec,
					PB_NELEM(f_dspec)};

/* IngressRule embeds IngressRuleValue inline: JSON shows `http` in the
 * rule, the wire has it as field 1 of the message in field 2. */
static const struct k1s_field f_http[] = {
	{"paths", K1S_T_STRING, K1S_C_LIST, NULL, 1},
};
static const struct k1s_type t_http = {"io.k8s.api.networking.v1.HTTPIngressRuleValue", "",
				       f_http, PB_NELEM(f_http)};
static const struct k1s_field f_rule[] = {
	{"host", K1S_T_STRING, K1S_C_NONE, NULL, 1},
	{"http", K1S_T_OBJECT, K1S_C_NONE, &t_http, K1S_PROTO_EMBED(2, 1)},
};
static const struct k1s_type t_rule = {"test.Rule", "", f_rule, PB_NELEM(f_rule)};

/* The same left at proto 0 in the table, as core/v1 does for Probe's
 * ProbeHandler: the reader knows the numbers by name. */
static const struct k1s_field f_exec[] = {
	{"command", K1S_T_STRING, K1S_C_LIST, NULL, 1},
};
static const struct k1s_type t_exec = {"io.k8s.api.core.v1.ExecAction", "", f_exec,
				       PB_NELEM(f_exec)};
static const struct k1s_field f_probe[] = {
	{"exec", K1S_T_OBJECT, K1S_C_NONE, &t_exec, 0},
	{"initialDelaySeconds", K1S_T_INT32, K1S_C_NONE, NULL, 2},
};
static const struct k1s_type t_probe = {"io.k8s.api.core.v1.Probe", "", f_probe,
					PB_NELEM(f_probe)};

/* managedFields[].fieldsV1 is JSON text inside a message. */
static const struct k1s_field f_mfe[] = {
	{"manager", K1S_T_STRING, K1S_C_NONE, NULL, 1},
	{"fieldsV1", K1S_T_ANY, K1S_C_NONE, NULL, 7},
};
static const struct k1s_type t_mfe = {"io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
				      "", f_mfe, PB_NELEM(f_mfe)};

/* ---- a mirror of the served types, as far as the captured bodies go ----
 *
 * Field numbers from k8s.io/api's generated.proto. Fields that the bodies
 * carry only as zero values are listed too, so that their omission is
 * checked. */

#define F(n, t, num) {n, t, K1S_C_NONE, NULL, num}
#define FR(n, t, num) {n, t, K1S_C_NONE, NULL, num, NULL, NULL, K1S_FF_REQUIRED}
#define FO(n, ref, num) {n, K1S_T_OBJECT, K1S_C_NONE, &ref, num}
#define FL(n, t, num) {n, t, K1S_C_LIST, NULL, num}
#define FLO(n, ref, num) {n, K1S_T_OBJECT, K1S_C_LIST, &ref, num}
#define FM(n, t, num) {n, t, K1S_C_MAP, NULL, num}
#define T(var, name, fields) \
	static const struct k1s_type var = {name, "", fields, PB_NELEM(fields)}

static const struct k1s_field m_meta_f[] = {
	F("name", K1S_T_STRING, 1), F("generateName", K1S_T_STRING, 2),
	F("namespace", K1S_T_STRING, 3), F("selfLink", K1S_T_STRING, 4),
	F("uid", K1S_T_STRING, 5), F("resourceVersion", K1S_T_STRING, 6),
	F("generation", K1S_T_INT64, 7), F("creationTimestamp", K1S_T_TIME, 8),
	F("deletionTimestamp", K1S_T_TIME, 9), FM("labels", K1S_T_STRING, 11),
	FM("annotations", K1S_T_STRING, 12), FL("finalizers", K1S_T_STRING, 14),
};
T(m_meta, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", m_meta_f);

static const struct k1s_field m_nsspec_f[] = {FL("finalizers", K1S_T_STRING, 1)};
T(m_nsspec, "io.k8s.api.core.v1.NamespaceSpec", m_nsspec_f);
static const struct k1s_field m_nsstatus_f[] = {F("phase", K1S_T_STRING, 1)};
T(m_nsstatus, "io.k8s.api.core.v1.NamespaceStatus", m_nsstatus_f);
static const struct k1s_field m_ns_f[] = {
	FO("metadata", m_meta, 1), FO("spec", m_nsspec, 2), FO("status", m_nsstatus, 3),
};
T(m_ns, "io.k8s.api.core.v1.Namespace", m_ns_f);

static const struct k1s_field m_cm_f[] = {
	FO("metadata", m_meta, 1), FM("data", K1S_T_STRING, 2),
	FM("binaryData", K1S_T_BYTES, 3), F("immutable", K1S_T_BOOL, 4),
};
T(m_cm, "io.k8s.api.core.v1.ConfigMap", m_cm_f);

static const struct k1s_field m_secret_f[] = {
	FO("metadata", m_meta, 1), FM("data", K1S_T_BYTES, 2), F("type", K1S_T_STRING, 3),
	FM("stringData", K1S_T_STRING, 4), F("immutable", K1S_T_BOOL, 5),
};
T(m_secret, "io.k8s.api.core.v1.Secret", m_secret_f);

static const struct k1s_field m_sport_f[] = {
	F("name", K1S_T_STRING, 1), F("protocol", K1S_T_STRING, 2), FR("port", K1S_T_INT32, 3),
	F("targetPort", K1S_T_INT_OR_STRING, 4), F("nodePort", K1S_T_INT32, 5),
	F("appProtocol", K1S_T_STRING, 6),
};
T(m_sport, "io.k8s.api.core.v1.ServicePort", m_sport_f);
static const struct k1s_field m_sspec_f[] = {
	FLO("ports", m_sport, 1), FM("selector", K1S_T_STRING, 2),
	F("clusterIP", K1S_T_STRING, 3), F("type", K1S_T_STRING, 4),
	FL("externalIPs", K1S_T_STRING, 5), F("sessionAffinity", K1S_T_STRING, 7),
	F("loadBalancerIP", K1S_T_STRING, 8), F("externalName", K1S_T_STRING, 10),
	F("externalTrafficPolicy", K1S_T_STRING, 11), F("healthCheckNodePort", K1S_T_INT32, 12),
	F("publishNotReadyAddresses", K1S_T_BOOL, 13), F("allocateLoadBalancerNodePorts",
							K1S_T_BOOL, 20),
};
T(m_sspec, "io.k8s.api.core.v1.ServiceSpec", m_sspec_f);
static const struct k1s_field m_lbing_f[] = {F("ip", K1S_T_STRING, 1)};
T(m_lbing, "io.k8s.api.core.v1.LoadBalancerIngress", m_lbing_f);
static const struct k1s_field m_lb_f[] = {FLO("ingress", m_lbing, 1)};
T(m_lb, "io.k8s.api.core.v1.LoadBalancerStatus", m_lb_f);
static const struct k1s_field m_sstatus_f[] = {FO("loadBalancer", m_lb, 1)};
T(m_sstatus, "io.k8s.api.core.v1.ServiceStatus", m_sstatus_f);
static const struct k1s_field m_svc_f[] = {
	FO("metadata", m_meta, 1), FO("spec", m_sspec, 2), FO("status", m_sstatus, 3),
};
T(m_svc, "io.k8s.api.core.v1.Service", m_svc_f);

static const struct k1s_field m_cport_f[] = {
	F("name", K1S_T_STRING, 1), F("hostPort", K1S_T_INT32, 2),
	FR("containerPort", K1S_T_INT32, 3), F("protocol", K1S_T_STRING, 4),
	F("hostIP", K1S_T_STRING, 5),
};
T(m_cport, "io.k8s.api.core.v1.ContainerPort", m_cport_f);
static const struct k1s_field m_res_f[] = {
	FM("limits", K1S_T_QUANTITY, 1), FM("requests", K1S_T_QUANTITY, 2),
};
T(m_res, "io.k8s.api.core.v1.ResourceRequirements", m_res_f);
static const struct k1s_field m_ctr_f[] = {
	FR("name", K1S_T_STRING, 1), F("image", K1S_T_STRING, 2),
	FL("command", K1S_T_STRING, 3), FL("args", K1S_T_STRING, 4),
	F("workingDir", K1S_T_STRING, 5), FLO("ports", m_cport, 6), FO("resources", m_res, 8),
	F("terminationMessagePath", K1S_T_STRING, 13), F("imagePullPolicy", K1S_T_STRING, 14),
	F("stdin", K1S_T_BOOL, 16), F("stdinOnce", K1S_T_BOOL, 17), F("tty", K1S_T_BOOL, 18),
	F("terminationMessagePolicy", K1S_T_STRING, 20),
};
T(m_ctr, "io.k8s.api.core.v1.Container", m_ctr_f);
static const struct k1s_field m_pspec_f[] = {
	{"containers", K1S_T_OBJECT, K1S_C_LIST, &m_ctr, 2, NULL, NULL, K1S_FF_REQUIRED},
	F("restartPolicy", K1S_T_STRING, 3), F("terminationGracePeriodSeconds", K1S_T_INT64, 4),
	F("dnsPolicy", K1S_T_STRING, 6), FM("nodeSelector", K1S_T_STRING, 7),
	F("serviceAccountName", K1S_T_STRING, 8), F("serviceAccount", K1S_T_STRING, 9),
	F("nodeName", K1S_T_STRING, 10), F("hostNetwork", K1S_T_BOOL, 11),
	F("hostPID", K1S_T_BOOL, 12), F("hostIPC", K1S_T_BOOL, 13),
	F("hostname", K1S_T_STRING, 16), F("subdomain", K1S_T_STRING, 17),
	F("schedulerName", K1S_T_STRING, 19), F("priorityClassName", K1S_T_STRING, 24),
};
T(m_pspec, "io.k8s.api.core.v1.PodSpec", m_pspec_f);
static const struct k1s_field m_ptpl_f[] = {FO("metadata", m_meta, 1), FO("spec", m_pspec, 2)};
T(m_ptpl, "io.k8s.api.core.v1.PodTemplateSpec", m_ptpl_f);
static const struct k1s_field m_sel_f[] = {FM("matchLabels", K1S_T_STRING, 1)};
T(m_sel, "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector", m_sel_f);
static const struct k1s_field m_strat_f[] = {F("type", K1S_T_STRING, 1)};
T(m_strat, "io.k8s.api.apps.v1.DeploymentStrategy", m_strat_f);
static const struct k1s_field m_dspec2_f[] = {
	F("replicas", K1S_T_INT32, 1), FO("selector", m_sel, 2), FO("template", m_ptpl, 3),
	FO("strategy", m_strat, 4), F("minReadySeconds", K1S_T_INT32, 5),
	F("revisionHistoryLimit", K1S_T_INT32, 6), F("paused", K1S_T_BOOL, 7),
	F("progressDeadlineSeconds", K1S_T_INT32, 9),
};
T(m_dspec2, "io.k8s.api.apps.v1.DeploymentSpec", m_dspec2_f);
static const struct k1s_field m_dstatus_f[] = {
	F("observedGeneration", K1S_T_INT64, 1), F("replicas", K1S_T_INT32, 2),
	F("updatedReplicas", K1S_T_INT32, 3), F("availableReplicas", K1S_T_INT32, 4),
	F("unavailableReplicas", K1S_T_INT32, 5), F("readyReplicas", K1S_T_INT32, 7),
};
T(m_dstatus, "io.k8s.api.apps.v1.DeploymentStatus", m_dstatus_f);
static const struct k1s_field m_deploy_f[] = {
	FO("metadata", m_meta, 1), FO("spec", m_dspec2, 2), FO("status", m_dstatus, 3),
};
T(m_deploy, "io.k8s.api.apps.v1.Deployment", m_deploy_f);

static const struct k1s_field m_sbport_f[] = {
	F("name", K1S_T_STRING, 1), F("number", K1S_T_INT32, 2),
};
T(m_sbport, "io.k8s.api.networking.v1.ServiceBackendPort", m_sbport_f);
static const struct k1s_field m_isb_f[] = {FR("name", K1S_T_STRING, 1), FO("port", m_sbport, 2)};
T(m_isb, "io.k8s.api.networking.v1.IngressServiceBackend", m_isb_f);
static const struct k1s_field m_ib_f[] = {FO("service", m_isb, 4)};
T(m_ib, "io.k8s.api.networking.v1.IngressBackend", m_ib_f);
static const struct k1s_field m_hpath_f[] = {
	F("path", K1S_T_STRING, 1), FO("backend", m_ib, 2), F("pathType", K1S_T_STRING, 3),
};
T(m_hpath, "io.k8s.api.networking.v1.HTTPIngressPath", m_hpath_f);
static const struct k1s_field m_hrule_f[] = {FLO("paths", m_hpath, 1)};
T(m_hrule, "io.k8s.api.networking.v1.HTTPIngressRuleValue", m_hrule_f);
/* `http` has no number of its own: it lives in the inline IngressRuleValue. */
static const struct k1s_field m_irule_f[] = {F("host", K1S_T_STRING, 1), FO("http", m_hrule, 0)};
T(m_irule, "io.k8s.api.networking.v1.IngressRule", m_irule_f);
static const struct k1s_field m_itls_f[] = {
	FL("hosts", K1S_T_STRING, 1), F("secretName", K1S_T_STRING, 2),
};
T(m_itls, "io.k8s.api.networking.v1.IngressTLS", m_itls_f);
static const struct k1s_field m_ispec_f[] = {
	FO("defaultBackend", m_ib, 1), FLO("tls", m_itls, 2), FLO("rules", m_irule, 3),
	F("ingressClassName", K1S_T_STRING, 4),
};
T(m_ispec, "io.k8s.api.networking.v1.IngressSpec", m_ispec_f);
static const struct k1s_field m_ilb_f[] = {FL("ingress", K1S_T_STRING, 1)};
T(m_ilb, "io.k8s.api.networking.v1.IngressLoadBalancerStatus", m_ilb_f);
static const struct k1s_field m_istatus_f[] = {FO("loadBalancer", m_ilb, 1)};
T(m_istatus, "io.k8s.api.networking.v1.IngressStatus", m_istatus_f);
static const struct k1s_field m_ing_f[] = {
	FO("metadata", m_meta, 1), FO("spec", m_ispec, 2), FO("status", m_istatus, 3),
};
T(m_ing, "io.k8s.api.networking.v1.Ingress", m_ing_f);

static const struct {
	const char *kind;
	const struct k1s_type *type;
} mirrors[] = {
	{"Namespace", &m_ns}, {"ConfigMap", &m_cm}, {"Secret", &m_secret},
	{"Service", &m_svc}, {"Deployment", &m_deploy}, {"Ingress", &m_ing},
};

/* ---- a protobuf writer ---- */

struct wb {
	uint8_t b[8192];
	size_t n;
};

static void w_raw(struct wb *w, const void *p, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void w_varint(struct wb *w, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;

		v >>= 7;
		if (v)
			c |= 0x80;
		w_raw(w, &c, 1);
	} while (v);
}

static void w_tag(struct wb *w, unsigned field, unsigned wt)
{
	w_varint(w, (uint64_t)field << 3 | wt);
}

static void w_uint(struct wb *w, unsigned field, uint64_t v)
{
	w_tag(w, field, PB_VARINT);
	w_varint(w, v);
}

static void w_bytes(struct wb *w, unsigned field, const void *p, size_t n)
{
	w_tag(w, field, PB_LEN);
	w_varint(w, n);
	w_raw(w, p, n);
}

static void w_str(struct wb *w, unsigned field, const char *s)
{
	w_bytes(w, field, s, strlen(s));
}

static void w_msg(struct wb *w, unsigned field, const struct wb *sub)
{
	w_bytes(w, field, sub->b, sub->n);
}

static void w_double(struct wb *w, unsigned field, double x)
{
	uint8_t le[8];
	uint64_t v;

	memcpy(&v, &x, sizeof(v));
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	w_tag(w, field, PB_I64);
	w_raw(w, le, 8);
}

static void w_entry(struct wb *w, unsigned field, const char *k, const char *v)
{
	struct wb e = {.n = 0};

	w_str(&e, 1, k);
	if (v)
		w_str(&e, 2, v);
	w_msg(w, field, &e);
}

/* ---- helpers ---- */

static char errbuf[256];

static int decode(const struct k1s_type *t, const struct wb *w, json_t **out)
{
	struct pb_dec d = {w->b, errbuf, sizeof(errbuf)};
	int rc;

	errbuf[0] = '\0';
	*out = json_object();
	rc = pb_decode_type(&d, t, w->b, w->n, *out);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static void assert_json(const json_t *got, const char *want)
{
	json_error_t jerr;
	json_t *w = json_loads(want, 0, &jerr);

	if (!w)
		fail_msg("bad expectation: %s", jerr.text);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);

		print_error("got  %s\nwant %s\n", g, want);
		free(g);
		json_decref(w);
		fail();
	}
	json_decref(w);
}

static void assert_decodes(const struct k1s_type *t, const struct wb *w, const char *want)
{
	json_t *o;

	if (decode(t, w, &o) < 0)
		fail_msg("decode failed: %s", errbuf);
	assert_json(o, want);
	json_decref(o);
}

static void assert_rejects(const struct k1s_type *t, const struct wb *w, const char *msgpart)
{
	json_t *o = (json_t *)1;

	assert_int_equal(decode(t, w, &o), -EINVAL);
	assert_null(o);
	if (!strstr(errbuf, msgpart))
		fail_msg("error \"%s\" does not mention \"%s\"", errbuf, msgpart);
}

/* ---- the generic decoder ---- */

static void scalars_decode(void **state)
{
	struct wb w = {.n = 0}, sub = {.n = 0};

	w_str(&w, 1, "hello");
	w_uint(&w, 2, 42);
	w_uint(&w, 3, 1ULL << 40);
	w_uint(&w, 4, 1);
	w_double(&w, 5, 0.5);
	w_str(&sub, 1, "web");
	w_uint(&sub, 2, 80);
	w_msg(&w, 6, &sub);
	w_bytes(&w, 11, "\x01\x02\xff", 3);
	assert_decodes(&t_all, &w,
		       "{\"s\":\"hello\",\"i32\":42,\"i64\":1099511627776,\"b\":true,"
		       "\"num\":0.5,\"obj\":{\"name\":\"web\",\"port\":80},\"by\":\"AQL/\"}");
}

static void negative_int32_is_sign_extended(void **state)
{
	struct wb w = {.n = 0};

	/* int32 -1 goes on the wire as ten bytes. */
	w_uint(&w, 2, (uint64_t)(int64_t)-1);
	w_uint(&w, 3, (uint64_t)(int64_t)-5);
	assert_int_equal(w.n, 22);
	assert_decodes(&t_all, &w, "{\"i32\":-1,\"i64\":-5}");
}

static void zero_values_follow_omitempty(void **state)
{
	struct wb w = {.n = 0}, empty = {.n = 0};

	/* gogo-protobuf writes every non-pointer field, zero or not. */
	w_str(&w, 1, "");
	w_uint(&w, 2, 0);
	w_uint(&w, 3, 0);
	w_uint(&w, 4, 0);
	w_double(&w, 5, 0);
	w_msg(&w, 6, &empty);
	w_msg(&w, 9, &empty);
	w_bytes(&w, 11, "", 0);
	w_str(&w, 17, "");
	assert_decodes(&t_all, &w, "{\"obj\":{},\"ts\":null,\"req\":\"\"}");
}

static void pointer_zero_is_kept(void **state)
{
	struct wb w = {.n = 0};

	w_uint(&w, 1, 0);
	w_uint(&w, 5, 0);
	assert_decodes(&t_dspec, &w, "{\"replicas\":0}");
}

static void last_scalar_wins(void **state)
{
	struct wb w = {.n = 0};

	w_str(&w, 1, "a");
	w_str(&w, 1, "b");
	w_uint(&w, 2, 7);
	w_uint(&w, 2, 0);
	assert_decodes(&t_all, &w, "{\"s\":\"b\"}");
}

static void repeated_message_is_merged(void **state)
{
	struct wb w = {.n = 0}, a = {.n = 0}, b = {.n = 0};

	w_str(&a, 1, "web");
	w_uint(&b, 2, 8080);
	w_msg(&w, 6, &a);
	w_msg(&w, 6, &b);
	assert_decodes(&t_all, &w, "{\"obj\":{\"name\":\"web\",\"port\":8080}}");
}

static void lists_packed_or_not(void **state)
{
	struct wb w = {.n = 0}, packed = {.n = 0}, o1 = {.n = 0}, dpk = {.n = 0};
	uint8_t le[8];
	uint64_t v;
	double x = 1.5;

	w_str(&w, 12, "a");
	w_str(&w, 12, "");
	w_str(&w, 12, "c");
	w_uint(&w, 13, 1);
	w_varint(&packed, 2);
	w_varint(&packed, 300);
	w_varint(&packed, (uint64_t)(int64_t)-3);
	w_bytes(&w, 13, packed.b, packed.n);
	w_uint(&w, 13, 0);
	w_str(&o1, 1, "x");
	w_msg(&w, 15, &o1);
	w_msg(&w, 15, &(struct wb){.n = 0});
	memcpy(&v, &x, sizeof(v));
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	w_raw(&dpk, le, 8);
	w_raw(&dpk, le, 8);
	w_bytes(&w, 19, dpk.b, dpk.n);
	/* An empty packed list is no list at all, as Go's nil slice. */
	w_bytes(&w, 13, "", 0);
	assert_decodes(&t_all, &w,
		       "{\"strs\":[\"a\",\"\",\"c\"],\"ints\":[1,2,300,-3,0],"
		       "\"objs\":[{\"name\":\"x\"},{}],\"nums\":[1.5,1.5]}");

	/* A packed double list whose length is not a multiple of 8. */
	w.n = 0;
	w_bytes(&w, 19, dpk.b, 5);
	assert_rejects(&t_all, &w, "truncated");
}

static void maps_decode(void **state)
{
	struct wb w = {.n = 0}, e = {.n = 0}, sub = {.n = 0}, q = {.n = 0};

	w_entry(&w, 14, "app", "web");
	w_entry(&w, 14, "empty", "");
	w_entry(&w, 14, "novalue", NULL);
	w_entry(&w, 14, "app", "api");
	w_entry(&w, 16, "k", "v");
	w_entry(&w, 16, "two", "ab");
	w_entry(&w, 16, "three", "abc");
	w_entry(&w, 16, "none", "");
	/* value before key, and an unknown member in the entry */
	w_str(&sub, 1, "x");
	w_msg(&e, 2, &sub);
	w_uint(&e, 7, 1);
	w_str(&e, 1, "first");
	w_msg(&w, 22, &e);
	e.n = 0;
	w_str(&e, 1, "bare");
	w_msg(&w, 22, &e);
	e.n = 0;
	w_str(&q, 1, "500m");
	w_str(&e, 1, "cpu");
	w_msg(&e, 2, &q);
	w_msg(&w, 21, &e);
	assert_decodes(&t_all, &w,
		       "{\"labels\":{\"app\":\"api\",\"empty\":\"\",\"novalue\":\"\"},"
		       "\"data\":{\"k\":\"dg==\",\"two\":\"YWI=\",\"three\":\"YWJj\",\"none\":\"\"},"
		       "\"subs\":{\"first\":{\"name\":\"x\"},\"bare\":{}},"
		       "\"limits\":{\"cpu\":\"500m\"}}");

	/* A key must be a string. */
	w.n = 0;
	e.n = 0;
	w_uint(&e, 1, 5);
	w_msg(&w, 14, &e);
	assert_rejects(&t_all, &w, "map key");
}

static void int_or_string(void **state)
{
	struct wb w = {.n = 0}, v = {.n = 0};

	w_uint(&v, 1, 0);
	w_uint(&v, 2, 8080);
	w_str(&v, 3, "");
	w_msg(&w, 7, &v);
	assert_decodes(&t_all, &w, "{\"ios\":8080}");

	w.n = v.n = 0;
	w_uint(&v, 1, 1);
	w_uint(&v, 2, 0);
	w_str(&v, 3, "http");
	w_msg(&w, 7, &v);
	assert_decodes(&t_all, &w, "{\"ios\":\"http\"}");

	/* Zero, as in an unset targetPort, is omitted. */
	w.n = v.n = 0;
	w_uint(&v, 1, 0);
	w_uint(&v, 2, 0);
	w_msg(&w, 7, &v);
	assert_decodes(&t_all, &w, "{}");

	w.n = v.n = 0;
	w_uint(&v, 1, 2);
	w_msg(&w, 7, &v);
	assert_rejects(&t_all, &w, "IntOrString");
}

static void times(void **state)
{
	struct wb w = {.n = 0}, t = {.n = 0}, m = {.n = 0};

	/* Time keeps whole seconds; MicroTime keeps microseconds. */
	w_uint(&t, 1, 1735732800);
	w_uint(&t, 2, 999999999);
	w_msg(&w, 9, &t);
	w_uint(&m, 1, 1735732800);
	w_uint(&m, 2, 123456789);
	w_msg(&w, 10, &m);
	assert_decodes(&t_all, &w,
		       "{\"ts\":\"2025-01-01T12:00:00Z\",\"mt\":\"2025-01-01T12:00:00.123456Z\"}");

	/* Present but zero seconds is the epoch, not Go's zero time. */
	w.n = t.n = 0;
	w_uint(&t, 2, 0);
	w_msg(&w, 9, &t);
	assert_decodes(&t_all, &w, "{\"ts\":\"1970-01-01T00:00:00Z\"}");

	w.n = t.n = 0;
	w_uint(&t, 1, 253402300800ULL);
	w_msg(&w, 9, &t);
	assert_rejects(&t_all, &w, "out of range");
}

static void free_form_json(void **state)
{
	struct wb w = {.n = 0}, a = {.n = 0}, inner = {.n = 0};

	w_str(&w, 1, "kubectl");
	w_str(&a, 1, "{\"f:metadata\":{\"f:name\":{}}}");
	w_msg(&w, 7, &a);
	assert_decodes(&t_mfe, &w,
		       "{\"manager\":\"kubectl\",\"fieldsV1\":{\"f:metadata\":{\"f:name\":{}}}}");

	w.n = a.n = 0;
	w_str(&a, 1, "{nope");
	w_msg(&w, 7, &a);
	assert_rejects(&t_mfe, &w, "raw JSON");

	/* Other free-form subtrees have no schema to read them by. */
	w.n = a.n = 0;
	w_str(&inner, 1, "x");
	w_msg(&a, 1, &inner);
	w_msg(&w, 20, &a);
	w_str(&w, 1, "kept");
	assert_decodes(&t_all, &w, "{\"s\":\"kept\"}");
}

static void unknown_fields_are_skipped(void **state)
{
	struct wb w = {.n = 0}, deep = {.n = 0};

	w_uint(&w, 99, 12345);
	w_str(&w, 100, "ignored");
	w_tag(&w, 101, PB_I32);
	w_raw(&w, "\x01\x02\x03\x04", 4);
	w_tag(&w, 102, PB_I64);
	w_raw(&w, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	/* Not looked into: garbage inside an unknown message is fine. */
	w_raw(&deep, "\xff\xff", 2);
	w_msg(&w, 103, &deep);
	w_str(&w, 1, "kept");
	assert_decodes(&t_all, &w, "{\"s\":\"kept\"}");
}

static void inline_struct(void **state)
{
	struct wb w = {.n = 0}, val = {.n = 0}, http = {.n = 0}, exec = {.n = 0};

	w_str(&w, 1, "myapp.com");
	w_str(&http, 1, "/api");
	w_msg(&val, 1, &http);
	w_uint(&val, 9, 1);
	w_msg(&w, 2, &val);
	assert_decodes(&t_rule, &w, "{\"host\":\"myapp.com\",\"http\":{\"paths\":[\"/api\"]}}");

	/* The embedded number never matches a field directly. */
	w.n = 0;
	w_msg(&w, K1S_PROTO_EMBED(2, 1), &http);
	assert_decodes(&t_rule, &w, "{}");

	w.n = val.n = 0;
	w_str(&exec, 1, "true");
	w_msg(&val, 1, &exec);
	w_msg(&w, 1, &val);
	w_uint(&w, 2, 5);
	assert_decodes(&t_probe, &w,
		       "{\"exec\":{\"command\":[\"true\"]},\"initialDelaySeconds\":5}");
}

static void malformed_wire(void **state)
{
	struct wb w = {.n = 0};

	/* an eleven-byte varint */
	w_tag(&w, 2, PB_VARINT);
	w_raw(&w, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
	assert_rejects(&t_all, &w, "truncated or malformed");

	/* a ten-byte varint with more than 64 bits */
	w.n = 0;
	w_tag(&w, 2, PB_VARINT);
	w_raw(&w, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
	assert_rejects(&t_all, &w, "truncated or malformed");

	/* a varint cut short */
	w.n = 0;
	w_tag(&w, 2, PB_VARINT);
	w_raw(&w, "\xff", 1);
	assert_rejects(&t_all, &w, "truncated");

	/* a length past the end */
	w.n = 0;
	w_tag(&w, 1, PB_LEN);
	w_varint(&w, 10);
	w_raw(&w, "abc", 3);
	assert_rejects(&t_all, &w, "truncated");

	/* a huge length */
	w.n = 0;
	w_tag(&w, 1, PB_LEN);
	w_varint(&w, UINT64_MAX);
	assert_rejects(&t_all, &w, "truncated");

	/* a fixed64 cut short */
	w.n = 0;
	w_tag(&w, 5, PB_I64);
	w_raw(&w, "\x01\x02\x03", 3);
	assert_rejects(&t_all, &w, "truncated");

	/* a fixed32 cut short, in an unknown field */
	w.n = 0;
	w_tag(&w, 77, PB_I32);
	w_raw(&w, "\x01", 1);
	assert_rejects(&t_all, &w, "truncated");

	/* groups and undefined wire types */
	w.n = 0;
	w_tag(&w, 1, PB_SGROUP);
	assert_rejects(&t_all, &w, "groups");
	w.n = 0;
	w_tag(&w, 1, PB_EGROUP);
	assert_rejects(&t_all, &w, "groups");
	w.n = 0;
	w_tag(&w, 1, 6);
	assert_rejects(&t_all, &w, "wire type");
	w.n = 0;
	w_tag(&w, 1, 7);
	assert_rejects(&t_all, &w, "wire type");

	/* field number 0, and one past 32 bits */
	w.n = 0;
	w_tag(&w, 0, PB_VARINT);
	w_varint(&w, 1);
	assert_rejects(&t_all, &w, "field number");
	w.n = 0;
	w_varint(&w, 1ULL << 35);
	w_varint(&w, 1);
	assert_rejects(&t_all, &w, "field number");

	/* a known field with the wrong wire type */
	w.n = 0;
	w_uint(&w, 1, 5);
	assert_rejects(&t_all, &w, "wire type");
	w.n = 0;
	w_str(&w, 2, "5");
	assert_rejects(&t_all, &w, "wire type");
	w.n = 0;
	w_uint(&w, 6, 1);
	assert_rejects(&t_all, &w, "wire type");

	/* strings JSON cannot carry */
	w.n = 0;
	w_bytes(&w, 1, "a\xff", 2);
	assert_rejects(&t_all, &w, "UTF-8");
	w.n = 0;
	w_bytes(&w, 1, "a\0b", 3);
	assert_rejects(&t_all, &w, "NUL");

	/* a NaN */
	w.n = 0;
	w_tag(&w, 5, PB_I64);
	w_raw(&w, "\x00\x00\x00\x00\x00\x00\xf8\x7f", 8);
	assert_rejects(&t_all, &w, "finite");

	/* errors say where */
	w.n = 0;
	w_str(&w, 1, "ok");
	w_tag(&w, 1, PB_SGROUP);
	assert_rejects(&t_all, &w, "at offset 4");
}

/* `levels` messages nested through the `rec` field. */
static void nest(struct wb *w, int levels)
{
	struct wb *in = calloc(1, sizeof(*in));

	assert_non_null(in);
	if (levels > 1)
		nest(in, levels - 1);
	else
		w_str(in, 1, "leaf");
	w->n = 0;
	w_msg(w, 18, in);
	free(in);
}

static void nesting_is_bounded(void **state)
{
	struct wb w;
	json_t *o, *p;

	nest(&w, 32);
	assert_int_equal(decode(&t_all, &w, &o), 0);
	p = o;
	for (int i = 0; i < 32; i++)
		p = json_object_get(p, "rec");
	assert_string_equal(json_string_value(json_object_get(p, "s")), "leaf");
	json_decref(o);

	nest(&w, 33);
	assert_rejects(&t_all, &w, "nested deeper than 32");
}

static void assert_table_complete(const struct k1s_resource *r);

/* ---- the envelope ---- */

static void envelope(struct wb *w, const char *apiv, const char *kind, const struct wb *raw,
		     const char *encoding)
{
	struct wb tm = {.n = 0};

	w->n = 0;
	w_raw(w, "k8s", 4);
	w_str(&tm, 1, apiv);
	w_str(&tm, 2, kind);
	w_msg(w, 1, &tm);
	if (raw)
		w_msg(w, 2, raw);
	w_str(w, 3, encoding);
	w_str(w, 4, "");
}

static int decode_body(const struct wb *w, json_t **out)
{
	errbuf[0] = '\0';
	return api_proto_decode(w->b, w->n, out, errbuf, sizeof(errbuf));
}

static void envelope_errors(void **state)
{
	struct wb w, raw = {.n = 0};
	json_t *o = (json_t *)1;

	envelope(&w, "v1", "Namespace", &raw, "");
	w.b[2] = 'X';
	assert_int_equal(decode_body(&w, &o), -EINVAL);
	assert_null(o);
	assert_non_null(strstr(errbuf, "magic"));

	assert_int_equal(api_proto_decode("k8", 2, &o, errbuf, sizeof(errbuf)), -EINVAL);
	assert_non_null(strstr(errbuf, "magic"));

	assert_int_equal(api_proto_decode("k8s", 4, &o, errbuf, sizeof(errbuf)), -EINVAL);
	assert_non_null(strstr(errbuf, "apiVersion and kind"));

	envelope(&w, "v1", "Widget", &raw, "");
	assert_int_equal(decode_body(&w, &o), -ENOTSUP);
	assert_null(o);
	assert_non_null(strstr(errbuf, "Widget"));

	envelope(&w, "apps/v1beta1", "Deployment", &raw, "");
	assert_int_equal(decode_body(&w, &o), -ENOTSUP);
	assert_non_null(strstr(errbuf, "apps/v1beta1"));

	envelope(&w, "v1", "Deployment", &raw, "");
	assert_int_equal(decode_body(&w, &o), -ENOTSUP);

	envelope(&w, "v1", "Namespace", &raw, "gzip");
	assert_int_equal(decode_body(&w, &o), -ENOTSUP);
	assert_non_null(strstr(errbuf, "gzip"));

	/* no raw at all: an empty object of the kind */
	assert_table_complete(k1s_resource_find("", "namespaces"));
	envelope(&w, "v1", "Namespace", NULL, "");
	assert_int_equal(decode_body(&w, &o), 0);
	assert_json(o, "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\"}");
	json_decref(o);

	/* a TypeMeta that is not a message */
	w.n = 0;
	w_raw(&w, "k8s", 4);
	w_uint(&w, 1, 3);
	assert_int_equal(decode_body(&w, &o), -EINVAL);
	assert_null(o);
}

/* ---- the bodies kubectl 1.32 sends ---- */

static const char *vectors[] = {
	"namespace", "configmap", "configmap-empty", "secret", "secret-docker",
	"deployment", "deployment-zero", "service-nodeport", "service-clusterip",
	"service-headless", "service-externalname", "ingress", "ingress-tls",
};

static uint8_t *slurp(const char *name, const char *ext, size_t *len)
{
	char path[8192], dir[4096];
	const char *src = getenv("K1S_SRCDIR");
	uint8_t *buf;
	FILE *f;
	long n;

	if (src) {
		snprintf(dir, sizeof(dir), "%s/tests/apiserver", src);
	} else if (__FILE__[0] == '/') {
		snprintf(dir, sizeof(dir), "%s", __FILE__);
		*strrchr(dir, '/') = '\0';
	} else {
		/* __FILE__ is relative to the build directory, which holds
		 * this program in tests/. */
		char exe[2048];
		ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		assert_true(k > 0);
		exe[k] = '\0';
		*strrchr(exe, '/') = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(dir, sizeof(dir), "%s/%s", exe, __FILE__);
		*strrchr(dir, '/') = '\0';
	}
	snprintf(path, sizeof(path), "%s/proto/%s.%s", dir, name, ext);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The envelope of a captured body, to find its raw field. */
static void raw_bounds(const uint8_t *b, size_t len, size_t *start, size_t *end)
{
	struct pb_dec d = {b, NULL, 0};
	struct pb_unknown u;

	assert_int_equal(pb_envelope(&d, (struct pb){b + 4, b + len}, &u), 0);
	assert_true(u.has_raw);
	*start = (size_t)(u.raw.p - b);
	*end = (size_t)(u.raw.end - b);
}

static void captured_bodies_truncated(void **state)
{
	for (size_t i = 0; i < PB_NELEM(vectors); i++) {
		size_t len, rs, re;
		uint8_t *b = slurp(vectors[i], "pb", &len);

		raw_bounds(b, len, &rs, &re);
		assert_true(b[5] < 0x80);
		/* Cut anywhere from the magic to the end of raw: every cut
		 * leaves a field short, but for the one right after TypeMeta. */
		for (size_t n = 5; n < re; n++) {
			json_t *o = (json_t *)1;
			uint8_t *cut;

			if (n == 6 + (size_t)b[5])
				continue;
			/* a copy of exactly n bytes, so that ASan sees overreads */
			cut = malloc(n);
			assert_non_null(cut);
			memcpy(cut, b, n);
			assert_int_equal(api_proto_decode(cut, n, &o, errbuf, sizeof(errbuf)),
					 -EINVAL);
			assert_null(o);
			assert_non_null(strstr(errbuf, "protobuf: "));
			free(cut);
		}
		free(b);
	}
}

/* The raw message of each body through the mirror tables. */
static void captured_bodies_with_mirror_tables(void **state)
{
	for (size_t i = 0; i < PB_NELEM(vectors); i++) {
		size_t len, jlen;
		uint8_t *b = slurp(vectors[i], "pb", &len);
		char *js = (char *)slurp(vectors[i], "json", &jlen);
		json_t *want = json_loads(js, 0, NULL), *got = json_object();
		const struct k1s_type *t = NULL;
		struct pb_dec d = {b, errbuf, sizeof(errbuf)};
		struct pb_unknown u;

		assert_non_null(want);
		for (size_t k = 0; k < PB_NELEM(mirrors); k++)
			if (strcmp(mirrors[k].kind, k1s_json_str(want, "kind")) == 0)
				t = mirrors[k].type;
		assert_non_null(t);
		assert_int_equal(pb_envelope(&d, (struct pb){b + 4, b + len}, &u), 0);
		assert_int_equal(u.kind.end - u.kind.p, strlen(k1s_json_str(want, "kind")));
		assert_memory_equal(u.kind.p, k1s_json_str(want, "kind"), u.kind.end - u.kind.p);
		json_object_set(got, "kind", json_object_get(want, "kind"));
		json_object_set(got, "apiVersion", json_object_get(want, "apiVersion"));
		if (pb_decode_type(&d, t, u.raw.p, (size_t)(u.raw.end - u.raw.p), got) < 0)
			fail_msg("%s: %s", vectors[i], errbuf);
		if (!json_equal(got, want)) {
			char *g = json_dumps(got, JSON_SORT_KEYS);
			char *w = json_dumps(want, JSON_SORT_KEYS);

			print_error("%s:\ngot  %s\nwant %s\n", vectors[i], g, w);
			free(g);
			free(w);
			fail();
		}
		json_decref(got);
		json_decref(want);
		free(js);
		free(b);
	}
}

/* Every served kind's table has ObjectMeta with its fields: a table
 * without them is broken, and the comparisons below would say nothing. */
static void assert_table_complete(const struct k1s_resource *r)
{
	const struct k1s_field *meta = k1s_type_field(r->type, "metadata");

	if (!meta || !meta->ref || !k1s_type_field(meta->ref, "name"))
		fail_msg("the type table of %s has no metadata.name", r->kind);
}

static void captured_bodies_decode_as_json(void **state)
{
	for (size_t i = 0; i < PB_NELEM(vectors); i++) {
		size_t len, jlen;
		uint8_t *b = slurp(vectors[i], "pb", &len);
		char *js = (char *)slurp(vectors[i], "json", &jlen);
		json_t *want = json_loads(js, 0, NULL), *got = NULL;
		const char *apiv = k1s_json_str(want, "apiVersion");
		const char *slash = strchr(apiv, '/');
		char group[64] = "";
		const struct k1s_resource *r;
		uint8_t *copy = malloc(len);

		if (slash)
			snprintf(group, sizeof(group), "%.*s", (int)(slash - apiv), apiv);
		r = k1s_resource_by_kind(group, k1s_json_str(want, "kind"));
		assert_non_null(r);
		memcpy(copy, b, len);
		assert_table_complete(r);
		if (api_proto_decode(copy, len, &got, errbuf, sizeof(errbuf)) < 0)
			fail_msg("%s: %s", vectors[i], errbuf);
		if (!json_equal(got, want)) {
			char *g = json_dumps(got, JSON_SORT_KEYS);
			char *w = json_dumps(want, JSON_SORT_KEYS);

			print_error("%s:\ngot  %s\nwant %s\n", vectors[i], g, w);
			free(g);
			free(w);
			fail();
		}
		json_decref(got);
		free(copy);
		json_decref(want);
		free(js);
		free(b);
	}
}

/* A Pod through the served tables, with the core/v1 structs that Go
 * embeds inline: VolumeSource, LocalObjectReference, ProbeHandler. */
static void pod_with_inline_structs(void **state)
{
	const struct k1s_resource *r = k1s_resource_find("", "pods");
	struct wb pod = {.n = 0}, meta = {.n = 0}, spec = {.n = 0}, vol = {.n = 0},
		  vsrc = {.n = 0}, cmv = {.n = 0}, ref = {.n = 0}, ctr = {.n = 0},
		  env = {.n = 0}, from = {.n = 0}, sel = {.n = 0}, probe = {.n = 0},
		  handler = {.n = 0}, get = {.n = 0}, port = {.n = 0}, body;
	json_t *o;

	assert_table_complete(r);
	w_str(&meta, 1, "p");
	w_msg(&pod, 1, &meta);

	w_str(&ref, 1, "app-config");
	w_msg(&cmv, 1, &ref);
	w_uint(&cmv, 3, 420);
	w_msg(&vsrc, 19, &cmv);
	w_str(&vol, 1, "cfg");
	w_msg(&vol, 2, &vsrc);
	w_msg(&spec, 1, &vol);

	w_str(&ctr, 1, "c");
	w_str(&ctr, 2, "nginx");
	w_msg(&sel, 1, &ref);
	w_str(&sel, 2, "k");
	w_msg(&from, 3, &sel);
	w_str(&env, 1, "X");
	w_msg(&env, 3, &from);
	w_msg(&ctr, 7, &env);
	w_uint(&port, 1, 0);
	w_uint(&port, 2, 80);
	w_str(&get, 1, "/");
	w_msg(&get, 2, &port);
	w_msg(&handler, 2, &get);
	w_msg(&probe, 1, &handler);
	w_uint(&probe, 4, 5);
	w_msg(&ctr, 11, &probe);
	w_msg(&spec, 2, &ctr);
	w_msg(&pod, 2, &spec);

	envelope(&body, "v1", "Pod", &pod, "");
	if (decode_body(&body, &o) < 0)
		fail_msg("%s", errbuf);
	assert_json(o, "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\"},"
		       "\"spec\":{\"volumes\":[{\"name\":\"cfg\",\"configMap\":"
		       "{\"name\":\"app-config\",\"defaultMode\":420}}],"
		       "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\","
		       "\"env\":[{\"name\":\"X\",\"valueFrom\":{\"configMapKeyRef\":"
		       "{\"name\":\"app-config\",\"key\":\"k\"}}}],"
		       "\"readinessProbe\":{\"httpGet\":{\"path\":\"/\",\"port\":80},"
		       "\"periodSeconds\":5}}]}}");
	json_decref(o);
}

/* Every type reachable from the served resources, to check the reader's
 * own lists against the tables: a misspelt name would silently do nothing. */
static const struct k1s_type *reach[1024];
static size_t nreach;

static void reach_walk(const struct k1s_type *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < nreach; i++)
		if (reach[i] == t)
			return;
	assert_true(nreach < PB_NELEM(reach));
	reach[nreach++] = t;
	for (size_t i = 0; i < t->nfields; i++)
		reach_walk(t->fields[i].ref);
}

static const struct k1s_type *reach_find(const char *name)
{
	for (size_t i = 0; i < nreach; i++)
		if (reach[i]->name && strcmp(reach[i]->name, name) == 0)
			return reach[i];
	return NULL;
}

static void lists_match_the_tables(void **state)
{
	int found = 0;

	assert_table_complete(k1s_resource_find("", "pods"));
	nreach = 0;
	for (const struct k1s_resource *r = k1s_resources; r->resource; r++)
		reach_walk(r->type);
	for (size_t i = 0; i < PB_NELEM(pb_pointers); i++) {
		const struct k1s_type *t = reach_find(pb_pointers[i].type);
		const struct k1s_field *f;

		if (!t)
			continue;
		found++;
		f = k1s_type_field(t, pb_pointers[i].field);
		if (!f)
			fail_msg("%s has no field %s", pb_pointers[i].type, pb_pointers[i].field);
		if (f->type == K1S_T_OBJECT || f->container != K1S_C_NONE)
			fail_msg("%s.%s is not a scalar", pb_pointers[i].type, pb_pointers[i].field);
	}
	for (size_t i = 0; i < PB_NELEM(pb_inlines); i++) {
		const struct k1s_type *t = reach_find(pb_inlines[i].type);

		if (!t)
			continue;
		found++;
		for (int j = 0; j < PB_MAX_INNER; j++) {
			const char *name = pb_inlines[i].inner[j];
			const struct k1s_field *f = name ? k1s_type_field(t, name) : NULL;

			if (!name)
				continue;
			if (!f)
				fail_msg("%s has no field %s", pb_inlines[i].type, name);
			/* Either left at 0 for this list, or placed by the table. */
			if (f->proto != 0 &&
			    f->proto != K1S_PROTO_EMBED(pb_inlines[i].field, j))
				fail_msg("%s.%s has proto %#x", pb_inlines[i].type, name, f->proto);
		}
	}
	assert_true(found > 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scalars_decode),
		cmocka_unit_test(negative_int32_is_sign_extended),
		cmocka_unit_test(zero_values_follow_omitempty),
		cmocka_unit_test(pointer_zero_is_kept),
		cmocka_unit_test(last_scalar_wins),
		cmocka_unit_test(repeated_message_is_merged),
		cmocka_unit_test(lists_packed_or_not),
		cmocka_unit_test(maps_decode),
		cmocka_unit_test(int_or_string),
		cmocka_unit_test(times),
		cmocka_unit_test(free_form_json),
		cmocka_unit_test(unknown_fields_are_skipped),
		cmocka_unit_test(inline_struct),
		cmocka_unit_test(malformed_wire),
		cmocka_unit_test(nesting_is_bounded),
		cmocka_unit_test(envelope_errors),
		cmocka_unit_test(captured_bodies_truncated),
		cmocka_unit_test(captured_bodies_with_mirror_tables),
		cmocka_unit_test(captured_bodies_decode_as_json),
		cmocka_unit_test(pod_with_inline_structs),
		cmocka_unit_test(lists_match_the_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
