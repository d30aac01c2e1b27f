/* Kubernetes protobuf request bodies, decoded into the JSON object that
 * kube-apiserver would have built from them.
 *
 * kubectl 1.32 POSTs the objects of `kubectl create <generator>` as
 * application/vnd.kubernetes.protobuf and never falls back to JSON. The body
 * is the magic "k8s\0" followed by a runtime.Unknown message:
 *
 *	typeMeta = 1 { apiVersion = 1, kind = 2 }, raw = 2,
 *	contentEncoding = 3, contentType = 4
 *
 * and raw is the kind's message as in k8s.io/api's generated.proto. The
 * message is decoded by walking the type tables (k1s_field.proto), so no
 * per-kind code is needed.
 *
 * Go's encoders make the JSON side subtle. gogo-protobuf writes every
 * non-pointer field, zero or not, while encoding/json drops zero values of
 * fields tagged omitempty. So a zero scalar on the wire is dropped, except
 * for fields that Go never omits: required ones (no omitempty, which is what
 * makes them required in OpenAPI) and pointers, where zero is a real value
 * (`replicas: 0`); the pointers are listed below. Nested messages are kept
 * even when empty, as encoding/json always writes structs ("status": {}). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"

#define PB_MAX_DEPTH 32

enum pb_wt {
	PB_VARINT = 0,
	PB_I64 = 1,
	PB_LEN = 2,
	PB_SGROUP = 3,
	PB_EGROUP = 4,
	PB_I32 = 5,
};

/* A bounded view of wire bytes. */
struct pb {
	const uint8_t *p;
	const uint8_t *end;
};

/* One decoding: where errors go, and the start of the body for offsets. */
struct pb_dec {
	const uint8_t *base;
	char *err;
	size_t errlen;
};

static int pb_fail(struct pb_dec *d, const uint8_t *at, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int pb_fail(struct pb_dec *d, const uint8_t *at, int rc, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->err && d->errlen) {
		if (at)
			snprintf(d->err, d->errlen, "protobuf: %s at offset %zu", msg,
				 (size_t)(at - d->base));
		else
			snprintf(d->err, d->errlen, "protobuf: %s", msg);
	}
	return rc;
}

/* ---- the wire reader ---- */

/* A varint of at most ten bytes whose value fits 64 bits; 0 or -EINVAL. */
static int pb_varint(struct pb *b, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10; i++) {
		uint8_t c;

		if (b->p >= b->end)
			return -EINVAL;
		c = *b->p++;
		/* The tenth byte holds bit 63 only. */
		if (i == 9 && c > 1)
			return -EINVAL;
		v |= (uint64_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -EINVAL;
}

static int pb_fixed(struct pb *b, unsigned n, uint64_t *out)
{
	uint64_t v = 0;

	if ((size_t)(b->end - b->p) < n)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b->p[i] << (8 * i);
	b->p += n;
	*out = v;
	return 0;
}

/* A length-delimited payload, as a view of its own. */
static int pb_len(struct pb *b, struct pb *sub)
{
	uint64_t n;

	if (pb_varint(b, &n) < 0)
		return -EINVAL;
	if (n > (uint64_t)(b->end - b->p))
		return -EINVAL;
	sub->p = b->p;
	sub->end = b->p + n;
	b->p += n;
	return 0;
}

/* The next tag. Field numbers are 1 .. 2^29 - 1; groups (wire types 3 and
 * 4, long deprecated and never used by Kubernetes) and the undefined wire
 * types 6 and 7 are refused. */
static int pb_tag(struct pb_dec *d, struct pb *b, uint32_t *field, enum pb_wt *wt)
{
	const uint8_t *at = b->p;
	uint64_t v;

	if (pb_varint(b, &v) < 0)
		return pb_fail(d, at, -EINVAL, "malformed or truncated tag");
	if (v >> 32 || (v >> 3) == 0)
		return pb_fail(d, at, -EINVAL, "invalid field number");
	switch (v & 7) {
	case PB_VARINT:
	case PB_I64:
	case PB_LEN:
	case PB_I32:
		break;
	case PB_SGROUP:
	case PB_EGROUP:
		return pb_fail(d, at, -EINVAL, "groups are not supported");
	default:
		return pb_fail(d, at, -EINVAL, "invalid wire type %u", (unsigned)(v & 7));
	}
	*field = (uint32_t)(v >> 3);
	*wt = (enum pb_wt)(v & 7);
	return 0;
}

/* The value of one field, whatever it is; used to skip unknown fields and
 * to read scalars. For PB_LEN, *sub is the payload. */
static int pb_value(struct pb_dec *d, struct pb *b, enum pb_wt wt, uint64_t *v, struct pb *sub)
{
	const uint8_t *at = b->p;
	int rc = -EINVAL;

	switch (wt) {
	case PB_VARINT:
		rc = pb_varint(b, v);
		break;
	case PB_I64:
		rc = pb_fixed(b, 8, v);
		break;
	case PB_I32:
		rc = pb_fixed(b, 4, v);
		break;
	case PB_LEN:
		rc = pb_len(b, sub);
		break;
	default:
		break;
	}
	if (rc < 0)
		return pb_fail(d, at, -EINVAL, "truncated or malformed field value");
	return 0;
}

/* ---- what Go's structs look like beyond the tables ---- */

/* Pointer scalars of the served types: Go writes them only when set, and
 * encoding/json keeps a set zero, so zero means zero here rather than
 * "not given". Defaulting would otherwise turn `replicas: 0` into 1. */
static const struct {
	const char *type;
	const char *field;
} pb_pointers[] = {
	{"io.k8s.api.apps.v1.DeploymentSpec", "replicas"},
	{"io.k8s.api.apps.v1.DeploymentSpec", "revisionHistoryLimit"},
	{"io.k8s.api.apps.v1.DeploymentSpec", "progressDeadlineSeconds"},
	{"io.k8s.api.apps.v1.ReplicaSetSpec", "replicas"},
	{"io.k8s.api.core.v1.PodSpec", "terminationGracePeriodSeconds"},
	{"io.k8s.api.core.v1.PodSpec", "activeDeadlineSeconds"},
	{"io.k8s.api.core.v1.PodSpec", "automountServiceAccountToken"},
	{"io.k8s.api.core.v1.PodSpec", "enableServiceLinks"},
	{"io.k8s.api.core.v1.PodSpec", "shareProcessNamespace"},
	{"io.k8s.api.core.v1.PodSpec", "setHostnameAsFQDN"},
	{"io.k8s.api.core.v1.PodSpec", "hostUsers"},
	{"io.k8s.api.core.v1.PodSpec", "priority"},
	{"io.k8s.api.core.v1.Probe", "terminationGracePeriodSeconds"},
	{"io.k8s.api.core.v1.SecurityContext", "runAsUser"},
	{"io.k8s.api.core.v1.SecurityContext", "runAsGroup"},
	{"io.k8s.api.core.v1.SecurityContext", "runAsNonRoot"},
	{"io.k8s.api.core.v1.SecurityContext", "privileged"},
	{"io.k8s.api.core.v1.SecurityContext", "allowPrivilegeEscalation"},
	{"io.k8s.api.core.v1.SecurityContext", "readOnlyRootFilesystem"},
	{"io.k8s.api.core.v1.PodSecurityContext", "runAsUser"},
	{"io.k8s.api.core.v1.PodSecurityContext", "runAsGroup"},
	{"io.k8s.api.core.v1.PodSecurityContext", "runAsNonRoot"},
	{"io.k8s.api.core.v1.PodSecurityContext", "fsGroup"},
	{"io.k8s.api.core.v1.SecretVolumeSource", "defaultMode"},
	{"io.k8s.api.core.v1.SecretVolumeSource", "optional"},
	{"io.k8s.api.core.v1.ConfigMapVolumeSource", "defaultMode"},
	{"io.k8s.api.core.v1.ConfigMapVolumeSource", "optional"},
	{"io.k8s.api.core.v1.ProjectedVolumeSource", "defaultMode"},
	{"io.k8s.api.core.v1.DownwardAPIVolumeSource", "defaultMode"},
	{"io.k8s.api.core.v1.DownwardAPIVolumeFile", "mode"},
	{"io.k8s.api.core.v1.KeyToPath", "mode"},
	{"io.k8s.api.core.v1.ConfigMapKeySelector", "optional"},
	{"io.k8s.api.core.v1.SecretKeySelector", "optional"},
	{"io.k8s.api.core.v1.ConfigMapEnvSource", "optional"},
	{"io.k8s.api.core.v1.SecretEnvSource", "optional"},
	{"io.k8s.api.core.v1.Secret", "immutable"},
	{"io.k8s.api.core.v1.ConfigMap", "immutable"},
	{"io.k8s.api.core.v1.ServiceSpec", "allocateLoadBalancerNodePorts"},
	{"io.k8s.api.core.v1.ClientIPConfig", "timeoutSeconds"},
	{"io.k8s.api.networking.v1.NetworkPolicyPort", "endPort"},
	{"io.k8s.api.discovery.v1.EndpointConditions", "ready"},
	{"io.k8s.api.discovery.v1.EndpointConditions", "serving"},
	{"io.k8s.api.discovery.v1.EndpointConditions", "terminating"},
	{"io.k8s.api.discovery.v1.EndpointPort", "port"},
	{"io.k8s.api.discovery.v1.EndpointPort", "name"},
	{"io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement", "containerName"},
	{"io.k8s.api.batch.v1.SuccessPolicyRule", "succeededIndexes"},
	{"io.k8s.api.batch.v1.SuccessPolicyRule", "succeededCount"},
	{"io.k8s.api.batch.v1.JobSpec", "parallelism"},
	{"io.k8s.api.batch.v1.JobSpec", "completions"},
	{"io.k8s.api.batch.v1.JobSpec", "activeDeadlineSeconds"},
	{"io.k8s.api.batch.v1.JobSpec", "backoffLimit"},
	{"io.k8s.api.batch.v1.JobSpec", "backoffLimitPerIndex"},
	{"io.k8s.api.batch.v1.JobSpec", "maxFailedIndexes"},
	{"io.k8s.api.batch.v1.JobSpec", "manualSelector"},
	{"io.k8s.api.batch.v1.JobSpec", "ttlSecondsAfterFinished"},
	{"io.k8s.api.batch.v1.JobSpec", "completionMode"},
	{"io.k8s.api.batch.v1.JobSpec", "suspend"},
	{"io.k8s.api.batch.v1.JobSpec", "podReplacementPolicy"},
	{"io.k8s.api.batch.v1.JobSpec", "managedBy"},
	{"io.k8s.api.batch.v1.JobStatus", "failedIndexes"},
	{"io.k8s.api.batch.v1.JobStatus", "terminating"},
	{"io.k8s.api.batch.v1.JobStatus", "ready"},
	{"io.k8s.api.core.v1.ServiceAccount", "automountServiceAccountToken"},
	{"io.k8s.api.admissionregistration.v1.RuleWithOperations", "scope"},
	{"io.k8s.api.admissionregistration.v1.ValidatingWebhook", "failurePolicy"},
	{"io.k8s.api.admissionregistration.v1.ValidatingWebhook", "matchPolicy"},
	{"io.k8s.api.admissionregistration.v1.ValidatingWebhook", "sideEffects"},
	{"io.k8s.api.admissionregistration.v1.ValidatingWebhook", "timeoutSeconds"},
	{"io.k8s.api.admissionregistration.v1.MutatingWebhook", "failurePolicy"},
	{"io.k8s.api.admissionregistration.v1.MutatingWebhook", "matchPolicy"},
	{"io.k8s.api.admissionregistration.v1.MutatingWebhook", "sideEffects"},
	{"io.k8s.api.admissionregistration.v1.MutatingWebhook", "timeoutSeconds"},
	{"io.k8s.api.admissionregistration.v1.MutatingWebhook", "reinvocationPolicy"},
	{"io.k8s.api.admissionregistration.v1.WebhookClientConfig", "url"},
	{"io.k8s.api.admissionregistration.v1.ServiceReference", "path"},
	{"io.k8s.api.admissionregistration.v1.ServiceReference", "port"},
};

/* Go structs embedded with `json:",inline"`: one protobuf field holding a
 * message whose fields JSON shows in the outer object, so the tables (which
 * follow JSON) list them flat. A table says where such a member travels with
 * K1S_PROTO_EMBED(outer, inner); the core/v1 tables leave these members at
 * proto 0 instead, and this list supplies their numbers by JSON name:
 * `inner` is indexed by the embedded message's field number. */
#define PB_MAX_INNER 31

static const struct pb_inline {
	const char *type;	/* the outer type */
	int field;		/* the embedded struct's field number in it */
	const char *inner[PB_MAX_INNER];
} pb_inlines[] = {
	/* Probe.ProbeHandler */
	{"io.k8s.api.core.v1.Probe", 1,
	 {[1] = "exec", [2] = "httpGet", [3] = "tcpSocket", [4] = "grpc"}},
	/* Volume.VolumeSource */
	{"io.k8s.api.core.v1.Volume", 2,
	 {[1] = "hostPath", [2] = "emptyDir", [3] = "gcePersistentDisk",
	  [4] = "awsElasticBlockStore", [5] = "gitRepo", [6] = "secret", [7] = "nfs",
	  [8] = "iscsi", [9] = "glusterfs", [10] = "persistentVolumeClaim", [11] = "rbd",
	  [12] = "flexVolume", [13] = "cinder", [14] = "cephfs", [15] = "flocker",
	  [16] = "downwardAPI", [17] = "fc", [18] = "azureFile", [19] = "configMap",
	  [20] = "vsphereVolume", [21] = "quobyte", [22] = "azureDisk",
	  [23] = "photonPersistentDisk", [24] = "portworxVolume", [25] = "scaleIO",
	  [26] = "projected", [27] = "storageos", [28] = "csi", [29] = "ephemeral",
	  [30] = "image"}},
	/* The LocalObjectReference that names a ConfigMap or Secret. */
	{"io.k8s.api.core.v1.ConfigMapKeySelector", 1, {[1] = "name"}},
	{"io.k8s.api.core.v1.SecretKeySelector", 1, {[1] = "name"}},
	{"io.k8s.api.core.v1.ConfigMapEnvSource", 1, {[1] = "name"}},
	{"io.k8s.api.core.v1.SecretEnvSource", 1, {[1] = "name"}},
	{"io.k8s.api.core.v1.ConfigMapVolumeSource", 1, {[1] = "name"}},
	{"io.k8s.api.core.v1.ConfigMapProjection", 1, {[1] = "name"}},
	{"io.k8s.api.core.v1.SecretProjection", 1, {[1] = "name"}},
	/* IngressRule.IngressRuleValue, should a table not say it. */
	{"io.k8s.api.networking.v1.IngressRule", 2, {[1] = "http"}},
};

/* Free-form fields whose message is JSON text in its field 1 (FieldsV1). */
static const struct {
	const char *type;
	const char *field;
} pb_raw_json[] = {
	{"io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry", "fieldsV1"},
};

#define PB_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool pb_listed(const struct k1s_type *t, const struct k1s_field *f, bool raw)
{
	size_t n = raw ? PB_NELEM(pb_raw_json) : PB_NELEM(pb_pointers);

	if (!t->name)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *type = raw ? pb_raw_json[i].type : pb_pointers[i].type;
		const char *field = raw ? pb_raw_json[i].field : pb_pointers[i].field;

		if (strcmp(type, t->name) == 0 && strcmp(field, f->name) == 0)
			return true;
	}
	return false;
}

static const struct pb_inline *pb_inline_find(const struct k1s_type *t, uint32_t field)
{
	if (!t->name)
		return NULL;
	for (size_t i = 0; i < PB_NELEM(pb_inlines); i++)
		if ((uint32_t)pb_inlines[i].field == field &&
		    strcmp(pb_inlines[i].type, t->name) == 0)
			return &pb_inlines[i];
	return NULL;
}

/* Whether field `outer` of t is an embedded struct's message. */
static bool pb_is_embed(const struct k1s_type *t, uint32_t outer)
{
	for (size_t i = 0; i < t->nfields; i++)
		if ((uint32_t)K1S_PROTO_OUTER(t->fields[i].proto) == outer)
			return true;
	return pb_inline_find(t, outer) != NULL;
}

/* The member of t that field `inner` of the embedded message `outer` is. */
static const struct k1s_field *pb_embedded(const struct k1s_type *t, uint32_t outer,
					   uint32_t inner)
{
	const struct pb_inline *in;
	const struct k1s_field *f;

	for (size_t i = 0; i < t->nfields; i++) {
		f = &t->fields[i];
		if ((uint32_t)K1S_PROTO_OUTER(f->proto) == outer &&
		    (uint32_t)K1S_PROTO_INNER(f->proto) == inner)
			return f;
	}
	in = pb_inline_find(t, outer);
	if (!in || inner >= PB_MAX_INNER || !in->inner[inner])
		return NULL;
	f = k1s_type_field(t, in->inner[inner]);
	return f && f->proto == 0 ? f : NULL;
}

/* A direct member of t by field number. */
static const struct k1s_field *pb_field(const struct k1s_type *t, uint32_t num)
{
	for (size_t i = 0; i < t->nfields; i++) {
		const struct k1s_field *f = &t->fields[i];

		if (f->proto > 0 && K1S_PROTO_OUTER(f->proto) == 0 && (uint32_t)f->proto == num)
			return f;
	}
	return NULL;
}

/* ---- values ---- */

static const char pb_b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* []byte is a padded standard base64 string in JSON. */
static json_t *pb_base64(const uint8_t *p, size_t n)
{
	size_t olen = (n + 2) / 3 * 4;
	char *s = malloc(olen + 1), *o = s;
	json_t *v;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		*o++ = pb_b64[(w >> 18) & 63];
		*o++ = pb_b64[(w >> 12) & 63];
		*o++ = i + 1 < n ? pb_b64[(w >> 6) & 63] : '=';
		*o++ = i + 2 < n ? pb_b64[w & 63] : '=';
	}
	*o = '\0';
	v = json_stringn(s, olen);
	free(s);
	return v;
}

/* Strings must be UTF-8 (JSON needs it) without NUL bytes, which the C
 * code downstream could not see past. */
static int pb_string(struct pb_dec *d, const struct pb *s, json_t **out)
{
	size_t n = (size_t)(s->end - s->p);

	if (n == 0) {
		*out = json_string("");
		return *out ? 0 : -ENOMEM;
	}
	if (memchr(s->p, '\0', n))
		return pb_fail(d, s->p, -EINVAL, "string with a NUL byte");
	*out = json_stringn((const char *)s->p, n);
	if (!*out)
		return pb_fail(d, s->p, -EINVAL, "string is not valid UTF-8");
	return 0;
}

/* metav1.Time and MicroTime: Timestamp {seconds = 1, nanos = 2}. An empty
 * message is Go's zero time, which JSON writes as null. Time keeps whole
 * seconds only, as apimachinery's Time.Unmarshal does. */
static int pb_time(struct pb_dec *d, struct pb s, bool micro, json_t **out)
{
	/* Go's JSON encoding refuses years outside 0000..9999; so do we,
	 * from 0001 so that the year always prints with four digits. */
	const int64_t tmin = -62135596800LL, tmax = 253402300799LL;
	const uint8_t *at = s.p;
	int64_t sec = 0, nsec = 0;
	char buf[48], frac[16] = "";
	struct tm tm;
	time_t t;

	if (s.p == s.end) {
		*out = json_null();
		return 0;
	}
	while (s.p < s.end) {
		uint32_t num;
		enum pb_wt wt;
		uint64_t v = 0;
		struct pb sub;

		if (pb_tag(d, &s, &num, &wt) < 0 || pb_value(d, &s, wt, &v, &sub) < 0)
			return -EINVAL;
		if (num == 1 && wt == PB_VARINT)
			sec = (int64_t)v;
		else if (num == 2 && wt == PB_VARINT)
			nsec = (int32_t)(uint32_t)v;
		else if (num <= 2)
			return pb_fail(d, at, -EINVAL, "malformed timestamp");
	}
	if (micro) {
		/* As time.Unix, which normalises nanoseconds out of range. */
		sec += nsec / 1000000000;
		nsec %= 1000000000;
		if (nsec < 0) {
			nsec += 1000000000;
			sec--;
		}
	}
	if (sec < tmin || sec > tmax)
		return pb_fail(d, at, -EINVAL, "timestamp out of range");
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm))
		return pb_fail(d, at, -EINVAL, "timestamp out of range");
	if (micro)
		snprintf(frac, sizeof(frac), ".%06d", (int)(nsec / 1000));
	/* The layout of k1s_time_fmt(), with a fixed four-digit year. */
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	*out = json_string(buf);
	return *out ? 0 : -ENOMEM;
}

/* intstr.IntOrString: {type = 1 (0 int, 1 string), intVal = 2, strVal = 3}. */
static int pb_intstr(struct pb_dec *d, struct pb s, json_t **out, bool *zero)
{
	const uint8_t *at = s.p;
	uint64_t type = 0;
	int32_t ival = 0;
	struct pb str = {s.p, s.p};

	while (s.p < s.end) {
		uint32_t num;
		enum pb_wt wt;
		uint64_t v = 0;
		struct pb sub;

		if (pb_tag(d, &s, &num, &wt) < 0 || pb_value(d, &s, wt, &v, &sub) < 0)
			return -EINVAL;
		if (num == 1 && wt == PB_VARINT)
			type = v;
		else if (num == 2 && wt == PB_VARINT)
			ival = (int32_t)(uint32_t)v;
		else if (num == 3 && wt == PB_LEN)
			str = sub;
		else if (num <= 3)
			return pb_fail(d, at, -EINVAL, "malformed IntOrString");
	}
	if (type == 1) {
		*zero = str.p == str.end;
		return pb_string(d, &str, out);
	}
	if (type != 0)
		return pb_fail(d, at, -EINVAL, "IntOrString of unknown type %llu",
			       (unsigned long long)type);
	*zero = ival == 0;
	*out = json_integer(ival);
	return *out ? 0 : -ENOMEM;
}

/* resource.Quantity: {string = 1}. */
static int pb_quantity(struct pb_dec *d, struct pb s, json_t **out, bool *zero)
{
	const uint8_t *at = s.p;
	struct pb str = {s.p, s.p};

	while (s.p < s.end) {
		uint32_t num;
		enum pb_wt wt;
		uint64_t v = 0;
		struct pb sub;

		if (pb_tag(d, &s, &num, &wt) < 0 || pb_value(d, &s, wt, &v, &sub) < 0)
			return -EINVAL;
		if (num == 1 && wt == PB_LEN)
			str = sub;
		else if (num == 1)
			return pb_fail(d, at, -EINVAL, "malformed Quantity");
	}
	*zero = str.p == str.end;
	return pb_string(d, &str, out);
}

/* FieldsV1 carries its JSON text as the bytes of field 1. */
static int pb_any(struct pb_dec *d, struct pb s, json_t **out)
{
	const uint8_t *at = s.p;
	struct pb raw = {s.p, s.p};
	json_error_t jerr;

	while (s.p < s.end) {
		uint32_t num;
		enum pb_wt wt;
		uint64_t v = 0;
		struct pb sub;

		if (pb_tag(d, &s, &num, &wt) < 0 || pb_value(d, &s, wt, &v, &sub) < 0)
			return -EINVAL;
		if (num == 1 && wt == PB_LEN)
			raw = sub;
		else if (num == 1)
			return pb_fail(d, at, -EINVAL, "malformed raw JSON field");
	}
	if (raw.p == raw.end) {
		*out = json_null();
		return 0;
	}
	*out = json_loadb((const char *)raw.p, (size_t)(raw.end - raw.p),
			  JSON_DECODE_ANY, &jerr);
	if (!*out)
		return pb_fail(d, at, -EINVAL, "raw JSON field: %s", jerr.text);
	return 0;
}

static int pb_message(struct pb_dec *d, const struct k1s_type *t, struct pb s, json_t *obj,
		      int depth);

static bool pb_scalar_wt(enum k1s_ftype type, enum pb_wt wt)
{
	switch (type) {
	case K1S_T_INT32:
	case K1S_T_INT64:
	case K1S_T_BOOL:
		return wt == PB_VARINT;
	case K1S_T_NUMBER:
		return wt == PB_I64;
	default:
		return wt == PB_LEN;
	}
}

/* A scalar from its raw wire value. */
static int pb_number(struct pb_dec *d, const uint8_t *at, enum k1s_ftype type, uint64_t v,
		     json_t **out, bool *zero)
{
	double x;

	switch (type) {
	case K1S_T_INT32:
		/* int32 goes on the wire sign-extended to 64 bits. */
		*zero = (int32_t)(uint32_t)v == 0;
		*out = json_integer((int32_t)(uint32_t)v);
		break;
	case K1S_T_INT64:
		*zero = v == 0;
		*out = json_integer((json_int_t)(int64_t)v);
		break;
	case K1S_T_BOOL:
		*zero = v == 0;
		*out = json_boolean(v != 0);
		break;
	case K1S_T_NUMBER:
		memcpy(&x, &v, sizeof(x));
		*zero = x == 0;
		*out = json_real(x);
		if (!*out)
			return pb_fail(d, at, -EINVAL, "number is not finite");
		break;
	default:
		return pb_fail(d, at, -EINVAL, "internal: not a scalar");
	}
	return *out ? 0 : -ENOMEM;
}

/* One value of field f, read with wire type wt; *zero says whether Go
 * would see its zero value. */
static int pb_field_value(struct pb_dec *d, const struct k1s_field *f, enum pb_wt wt,
			  struct pb *b, int depth, json_t **out, bool *zero)
{
	const uint8_t *at = b->p;
	uint64_t v = 0;
	struct pb sub;
	int rc;

	*out = NULL;
	*zero = false;
	if (!pb_scalar_wt(f->type, wt))
		return pb_fail(d, at, -EINVAL, "field \"%s\" has wire type %d", f->name, wt);
	if (pb_value(d, b, wt, &v, &sub) < 0)
		return -EINVAL;
	switch (f->type) {
	case K1S_T_STRING:
		*zero = sub.p == sub.end;
		return pb_string(d, &sub, out);
	case K1S_T_BYTES:
		*zero = sub.p == sub.end;
		*out = pb_base64(sub.p, (size_t)(sub.end - sub.p));
		return *out ? 0 : -ENOMEM;
	case K1S_T_INT32:
	case K1S_T_INT64:
	case K1S_T_BOOL:
	case K1S_T_NUMBER:
		return pb_number(d, at, f->type, v, out, zero);
	case K1S_T_OBJECT:
		if (depth >= PB_MAX_DEPTH)
			return pb_fail(d, at, -EINVAL, "messages nested deeper than %d",
				       PB_MAX_DEPTH);
		*out = json_object();
		if (!*out)
			return -ENOMEM;
		rc = pb_message(d, f->ref, sub, *out, depth + 1);
		if (rc < 0) {
			json_decref(*out);
			*out = NULL;
		}
		return rc;
	case K1S_T_INT_OR_STRING:
		return pb_intstr(d, sub, out, zero);
	case K1S_T_QUANTITY:
		return pb_quantity(d, sub, out, zero);
	case K1S_T_TIME:
	case K1S_T_MICROTIME:
		/* Always written: encoding/json does not omit structs. */
		return pb_time(d, sub, f->type == K1S_T_MICROTIME, out);
	case K1S_T_ANY:
		return pb_any(d, sub, out);
	}
	return pb_fail(d, at, -EINVAL, "field \"%s\" has an unknown type", f->name);
}

/* The JSON container of a list or map field, created on first use. */
static json_t *pb_container(json_t *obj, const struct k1s_field *f)
{
	json_t *c = json_object_get(obj, f->name);
	bool list = f->container == K1S_C_LIST;

	if (c && (list ? json_is_array(c) : json_is_object(c)))
		return c;
	c = list ? json_array() : json_object();
	if (!c || json_object_set_new(obj, f->name, c) < 0)
		return NULL;
	return c;
}

/* A map entry: {key = 1, value = 2}. A missing value is the zero value of
 * its type, as Go leaves it. */
static int pb_map_entry(struct pb_dec *d, const struct k1s_field *f, struct pb s, int depth,
			json_t *map)
{
	const uint8_t *at = s.p;
	json_t *key = NULL, *val = NULL;
	bool zero;
	int rc = 0;

	while (s.p < s.end) {
		uint32_t num;
		enum pb_wt wt;
		uint64_t v;
		struct pb sub;

		if ((rc = pb_tag(d, &s, &num, &wt)) < 0)
			goto out;
		if (num == 1) {
			if (wt != PB_LEN) {
				rc = pb_fail(d, at, -EINVAL, "map key of \"%s\" is not a string",
					     f->name);
				goto out;
			}
			if ((rc = pb_value(d, &s, wt, &v, &sub)) < 0)
				goto out;
			json_decref(key);
			key = NULL;
			if ((rc = pb_string(d, &sub, &key)) < 0)
				goto out;
		} else if (num == 2) {
			json_decref(val);
			val = NULL;
			if ((rc = pb_field_value(d, f, wt, &s, depth, &val, &zero)) < 0)
				goto out;
		} else if ((rc = pb_value(d, &s, wt, &v, &sub)) < 0) {
			goto out;
		}
	}
	if (!val) {
		/* Decode an empty payload of the value's type. */
		uint8_t zbuf[8] = {0};
		struct pb empty;

		switch (f->type) {
		case K1S_T_INT32:
		case K1S_T_INT64:
		case K1S_T_BOOL:
			empty.p = zbuf;
			empty.end = zbuf + 1;
			rc = pb_field_value(d, f, PB_VARINT, &empty, depth, &val, &zero);
			break;
		case K1S_T_NUMBER:
			empty.p = zbuf;
			empty.end = zbuf + 8;
			rc = pb_field_value(d, f, PB_I64, &empty, depth, &val, &zero);
			break;
		default:
			/* A zero-length payload: one length byte of 0. */
			empty.p = zbuf;
			empty.end = zbuf + 1;
			rc = pb_field_value(d, f, PB_LEN, &empty, depth, &val, &zero);
			break;
		}
		if (rc < 0)
			goto out;
	}
	rc = json_object_set_new(map, key ? json_string_value(key) : "", val) < 0 ? -ENOMEM : 0;
	val = NULL;
out:
	json_decref(key);
	json_decref(val);
	return rc;
}

/* One occurrence of field f of type t on the wire, into obj. */
static int pb_field_in(struct pb_dec *d, const struct k1s_type *t, const struct k1s_field *f,
		       enum pb_wt wt, struct pb *b, json_t *obj, int depth)
{
	const uint8_t *at = b->p;
	json_t *c = NULL, *val;
	bool zero;
	int rc;

	if (f->type == K1S_T_ANY && !pb_listed(t, f, true)) {
		struct pb sub;
		uint64_t v;

		/* XXX: the tables leave deep subtrees that k1s does not act on
		 * (affinity, ephemeral containers, ...) free-form, so there is
		 * no schema to read their messages by: they are dropped. */
		return pb_value(d, b, wt, &v, &sub);
	}
	if (f->container == K1S_C_MAP) {
		struct pb sub;
		uint64_t v;

		if (wt != PB_LEN)
			return pb_fail(d, at, -EINVAL, "map \"%s\" has wire type %d", f->name, wt);
		if ((rc = pb_value(d, b, wt, &v, &sub)) < 0)
			return rc;
		if (depth >= PB_MAX_DEPTH)
			return pb_fail(d, at, -EINVAL, "messages nested deeper than %d",
				       PB_MAX_DEPTH);
		if (!(c = pb_container(obj, f)))
			return -ENOMEM;
		return pb_map_entry(d, f, sub, depth + 1, c);
	}
	if (f->container == K1S_C_LIST) {
		if (wt == PB_LEN && (f->type == K1S_T_INT32 || f->type == K1S_T_INT64 ||
				     f->type == K1S_T_BOOL || f->type == K1S_T_NUMBER)) {
			/* Packed scalars: the values back to back. */
			enum pb_wt ewt = f->type == K1S_T_NUMBER ? PB_I64 : PB_VARINT;
			struct pb sub;
			uint64_t v;

			if ((rc = pb_value(d, b, wt, &v, &sub)) < 0)
				return rc;
			if (sub.p < sub.end && !(c = pb_container(obj, f)))
				return -ENOMEM;
			while (sub.p < sub.end) {
				if ((rc = pb_field_value(d, f, ewt, &sub, depth, &val, &zero)) < 0)
					return rc;
				if (json_array_append_new(c, val) < 0)
					return -ENOMEM;
			}
			return 0;
		}
		if ((rc = pb_field_value(d, f, wt, b, depth, &val, &zero)) < 0)
			return rc;
		if (!(c = pb_container(obj, f))) {
			json_decref(val);
			return -ENOMEM;
		}
		return json_array_append_new(c, val) < 0 ? -ENOMEM : 0;
	}
	if (f->type == K1S_T_OBJECT && wt == PB_LEN) {
		/* A message given twice is merged, as Go's Unmarshal does. */
		json_t *old = json_object_get(obj, f->name);
		struct pb sub;
		uint64_t v;

		if (json_is_object(old)) {
			if ((rc = pb_value(d, b, wt, &v, &sub)) < 0)
				return rc;
			if (depth >= PB_MAX_DEPTH)
				return pb_fail(d, at, -EINVAL, "messages nested deeper than %d",
					       PB_MAX_DEPTH);
			return pb_message(d, f->ref, sub, old, depth + 1);
		}
	}
	if ((rc = pb_field_value(d, f, wt, b, depth, &val, &zero)) < 0)
		return rc;
	if (zero && !(f->flags & K1S_FF_REQUIRED) && !pb_listed(t, f, false)) {
		/* What omitempty drops; the last occurrence wins. */
		json_decref(val);
		json_object_del(obj, f->name);
		return 0;
	}
	return json_object_set_new(obj, f->name, val) < 0 ? -ENOMEM : 0;
}

/* The message of an embedded struct: its members land in obj. */
static int pb_inline_message(struct pb_dec *d, const struct k1s_type *t, uint32_t outer,
			     struct pb s, json_t *obj, int depth)
{
	while (s.p < s.end) {
		const struct k1s_field *f;
		uint32_t num;
		enum pb_wt wt;
		uint64_t v;
		struct pb sub;
		int rc;

		if ((rc = pb_tag(d, &s, &num, &wt)) < 0)
			return rc;
		f = pb_embedded(t, outer, num);
		rc = f ? pb_field_in(d, t, f, wt, &s, obj, depth) : pb_value(d, &s, wt, &v, &sub);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The fields of a message of type t, into obj. Field numbers the table
 * does not know are skipped, as a newer client may send them. */
static int pb_message(struct pb_dec *d, const struct k1s_type *t, struct pb s, json_t *obj,
		      int depth)
{
	while (s.p < s.end) {
		const struct k1s_field *f = NULL;
		const uint8_t *at;
		uint32_t num;
		enum pb_wt wt;
		uint64_t v;
		struct pb sub;
		int rc;

		if ((rc = pb_tag(d, &s, &num, &wt)) < 0)
			return rc;
		at = s.p;
		if (t && wt == PB_LEN && pb_is_embed(t, num)) {
			if ((rc = pb_value(d, &s, wt, &v, &sub)) < 0)
				return rc;
			if (depth >= PB_MAX_DEPTH)
				return pb_fail(d, at, -EINVAL, "messages nested deeper than %d",
					       PB_MAX_DEPTH);
			rc = pb_inline_message(d, t, num, sub, obj, depth + 1);
		} else if (t && (f = pb_field(t, num))) {
			rc = pb_field_in(d, t, f, wt, &s, obj, depth);
		} else {
			rc = pb_value(d, &s, wt, &v, &sub);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Decodes a message of type t (the raw bytes of an Unknown) into obj. */
static int pb_decode_type(struct pb_dec *d, const struct k1s_type *t, const uint8_t *p,
			  size_t n, json_t *obj)
{
	struct pb s = {p, p + n};

	return pb_message(d, t, s, obj, 0);
}

/* ---- the envelope ---- */

static const uint8_t pb_magic[4] = {'k', '8', 's', 0};

struct pb_unknown {
	struct pb api_version, kind, raw, encoding;
	bool has_type, has_raw;
};

static int pb_envelope(struct pb_dec *d, struct pb s, struct pb_unknown *u)
{
	memset(u, 0, sizeof(*u));
	/* Absent members are empty, never NULL: raw may be omitted. */
	u->api_version = u->kind = u->raw = u->encoding = (struct pb){s.p, s.p};
	while (s.p < s.end) {
		uint32_t num;
		enum pb_wt wt;
		uint64_t v;
		struct pb sub;
		const uint8_t *at;

		if (pb_tag(d, &s, &num, &wt) < 0)
			return -EINVAL;
		at = s.p;
		if (pb_value(d, &s, wt, &v, &sub) < 0)
			return -EINVAL;
		if (num >= 1 && num <= 3 && wt != PB_LEN)
			return pb_fail(d, at, -EINVAL, "malformed runtime.Unknown envelope");
		if (num == 1) {
			u->has_type = true;
			while (sub.p < sub.end) {
				struct pb str;

				if (pb_tag(d, &sub, &num, &wt) < 0 ||
				    pb_value(d, &sub, wt, &v, &str) < 0)
					return -EINVAL;
				if ((num == 1 || num == 2) && wt != PB_LEN)
					return pb_fail(d, at, -EINVAL, "malformed TypeMeta");
				if (num == 1)
					u->api_version = str;
				else if (num == 2)
					u->kind = str;
			}
		} else if (num == 2) {
			u->raw = sub;
			u->has_raw = true;
		} else if (num == 3) {
			u->encoding = sub;
		}
	}
	return 0;
}

/* A string of the envelope into buf; names longer than buf are refused. */
static int pb_cstr(struct pb_dec *d, const struct pb *s, char *buf, size_t len, const char *what)
{
	size_t n = (size_t)(s->end - s->p);

	if (n >= len || memchr(s->p, '\0', n))
		return pb_fail(d, NULL, -EINVAL, "invalid %s in runtime.Unknown", what);
	memcpy(buf, s->p, n);
	buf[n] = '\0';
	return 0;
}

int api_proto_decode(const void *buf, size_t len, json_t **out, char *err, size_t errlen)
{
	struct pb_dec d = {buf, err, errlen};
	const struct k1s_resource *r;
	struct pb_unknown u;
	char apiv[128], kind[128], *slash;
	const char *group = "", *version;
	json_t *obj;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (len < sizeof(pb_magic) || memcmp(buf, pb_magic, sizeof(pb_magic)) != 0)
		return pb_fail(&d, NULL, -EINVAL, "body does not start with the \"k8s\\0\" magic");
	if (pb_envelope(&d, (struct pb){d.base + 4, d.base + len}, &u) < 0)
		return -EINVAL;
	if (!u.has_type || u.kind.p == u.kind.end || u.api_version.p == u.api_version.end)
		return pb_fail(&d, NULL, -EINVAL, "runtime.Unknown without apiVersion and kind");
	if (u.encoding.p != u.encoding.end)
		return pb_fail(&d, NULL, -ENOTSUP, "content encoding \"%.*s\" is not supported",
			       (int)(u.encoding.end - u.encoding.p) > 64
				       ? 64 : (int)(u.encoding.end - u.encoding.p),
			       (const char *)u.encoding.p);
	if (pb_cstr(&d, &u.api_version, apiv, sizeof(apiv), "apiVersion") < 0 ||
	    pb_cstr(&d, &u.kind, kind, sizeof(kind), "kind") < 0)
		return -EINVAL;
	version = apiv;
	if ((slash = strchr(apiv, '/'))) {
		*slash = '\0';
		group = apiv;
		version = slash + 1;
	}
	r = k1s_resource_by_kind(group, kind);
	if (!r || strcmp(r->version, version) != 0) {
		if (slash)
			*slash = '/';
		return pb_fail(&d, NULL, -ENOTSUP, "kind %s of %s is not served", kind, apiv);
	}
	if (!r->type || !r->type->nfields)
		return pb_fail(&d, NULL, -ENOTSUP, "no protobuf field table for %s", kind);
	if (slash)
		*slash = '/';

	obj = json_object();
	if (!obj || json_object_set_new(obj, "kind", json_string(kind)) < 0 ||
	    json_object_set_new(obj, "apiVersion", json_string(apiv)) < 0) {
		json_decref(obj);
		return -ENOMEM;
	}
	rc = pb_decode_type(&d, r->type, u.raw.p, (size_t)(u.raw.end - u.raw.p), obj);
	if (rc < 0) {
		json_decref(obj);
		if (rc == -ENOMEM)
			pb_fail(&d, NULL, -ENOMEM, "out of memory");
		return rc;
	}
	*out = obj;
	return 0;
}
