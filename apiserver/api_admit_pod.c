/* Pods and the workloads that template them: the PodSpec and Container
 * defaults of pkg/apis/core/v1/defaults.go, the Pod-only ones (SetDefaults_Pod
 * and the ServiceAccount, Priority and DefaultTolerationSeconds admission
 * plugins), apps/v1 Deployment and ReplicaSet defaults, and their
 * validation (pkg/apis/core/validation, pkg/apis/apps/validation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_admit_int.h"

/* ---- defaults ---- */

/* Always for ":latest" or no tag, else IfNotPresent; a digest pins. */
static const char *pull_policy(const char *image)
{
	const char *slash = strrchr(image, '/');
	const char *last = slash ? slash + 1 : image;
	const char *colon = strchr(last, ':');

	/* An unparsable image has no tag; validation reports it. */
	if (!*image)
		return "IfNotPresent";
	if (strchr(image, '@'))
		return colon && strncmp(colon + 1, "latest@", 7) == 0 ? "Always" : "IfNotPresent";
	if (!colon || strcmp(colon + 1, "latest") == 0)
		return "Always";
	return "IfNotPresent";
}

static void http_get_defaults(json_t *h)
{
	if (!json_is_object(h))
		return;
	adm_default_str(h, "path", "/");
	adm_default_str(h, "scheme", "HTTP");
}

static void probe_defaults(json_t *p)
{
	if (!json_is_object(p))
		return;
	adm_default_int(p, "timeoutSeconds", 1);
	adm_default_int(p, "periodSeconds", 10);
	adm_default_int(p, "successThreshold", 1);
	adm_default_int(p, "failureThreshold", 3);
	http_get_defaults(json_object_get(p, "httpGet"));
	if (json_is_object(json_object_get(p, "grpc")))
		adm_default_str(json_object_get(p, "grpc"), "service", "");
}

static void container_defaults(json_t *c)
{
	json_t *v, *life;
	size_t i;

	if (!json_is_object(c))
		return;
	if (!*adm_str(c, "imagePullPolicy"))
		json_object_set_new(c, "imagePullPolicy", json_string(pull_policy(adm_str(c, "image"))));
	adm_default_str(c, "terminationMessagePath", "/dev/termination-log");
	adm_default_str(c, "terminationMessagePolicy", "File");
	if (!json_is_object(json_object_get(c, "resources")))
		json_object_set_new(c, "resources", json_object());
	json_array_foreach(json_object_get(c, "ports"), i, v)
		adm_default_str(v, "protocol", "TCP");
	probe_defaults(json_object_get(c, "livenessProbe"));
	probe_defaults(json_object_get(c, "readinessProbe"));
	probe_defaults(json_object_get(c, "startupProbe"));
	life = json_object_get(c, "lifecycle");
	http_get_defaults(k1s_json_path(life, "postStart.httpGet"));
	http_get_defaults(k1s_json_path(life, "preStop.httpGet"));
	json_array_foreach(json_object_get(c, "env"), i, v) {
		json_t *fr = k1s_json_path(v, "valueFrom.fieldRef");

		if (json_is_object(fr))
			adm_default_str(fr, "apiVersion", "v1");
	}
}

static void volume_defaults(json_t *vol)
{
	static const char *const modes[] = {"secret", "configMap", "downwardAPI", "projected"};
	static const char *const sources[] = {
		"hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo",
		"secret", "nfs", "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume",
		"cinder", "cephfs", "flocker", "downwardAPI", "fc", "azureFile", "configMap",
		"vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
		"portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image"};
	size_t i;
	bool any = false;

	if (!json_is_object(vol))
		return;
	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (json_object_get(vol, sources[i]))
			any = true;
	if (!any)
		json_object_set_new(vol, "emptyDir", json_object());
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		adm_default_int(json_object_get(vol, modes[i]), "defaultMode", 0644);
	if (json_is_object(json_object_get(vol, "hostPath")))
		adm_default_str(json_object_get(vol, "hostPath"), "type", "");
}

/* SetDefaults_PodSpec and what it calls. */
static void podspec_defaults(json_t *spec)
{
	json_t *v;
	size_t i;

	adm_default_str(spec, "dnsPolicy", "ClusterFirst");
	adm_default_str(spec, "restartPolicy", "Always");
	adm_default_int(spec, "terminationGracePeriodSeconds", 30);
	if (!json_is_object(json_object_get(spec, "securityContext")))
		json_object_set_new(spec, "securityContext", json_object());
	adm_default_str(spec, "schedulerName", "default-scheduler");
	json_array_foreach(json_object_get(spec, "containers"), i, v)
		container_defaults(v);
	json_array_foreach(json_object_get(spec, "initContainers"), i, v)
		container_defaults(v);
	json_array_foreach(json_object_get(spec, "volumes"), i, v)
		volume_defaults(v);
	/* v1 keeps the deprecated serviceAccount in step with serviceAccountName. */
	if (*adm_str(spec, "serviceAccountName"))
		adm_default_str(spec, "serviceAccount", adm_str(spec, "serviceAccountName"));
	else if (*adm_str(spec, "serviceAccount"))
		adm_default_str(spec, "serviceAccountName", adm_str(spec, "serviceAccount"));
}

static bool tolerates(const json_t *tols, const char *key)
{
	json_t *t;
	size_t i;

	json_array_foreach(tols, i, t) {
		const char *k = adm_str(t, "key"), *e = adm_str(t, "effect");

		if ((strcmp(k, key) == 0 || !*k) && (strcmp(e, "NoExecute") == 0 || !*e))
			return true;
	}
	return false;
}

static void requests_from_limits(json_t *containers)
{
	json_t *c, *v;
	const char *k;
	size_t i;

	json_array_foreach(containers, i, c) {
		json_t *res = json_object_get(c, "resources");
		json_t *lim = json_object_get(res, "limits"), *req;

		if (!json_is_object(lim) || !json_object_size(lim))
			continue;
		req = k1s_json_obj(res, "requests");
		if (!req)
			continue;
		json_object_foreach(lim, k, v)
			if (!json_object_get(req, k))
				json_object_set_new(req, k, json_deep_copy(v));
	}
}

/* qos.GetPodQOS, over cpu and memory. Quantities compare as written. */
static const char *qos_class(const json_t *spec)
{
	static const char *const lists[] = {"containers", "initContainers"};
	static const char *const names[] = {"cpu", "memory"};
	bool any = false, guaranteed = true;
	json_t *c;
	size_t l, i, r;

	for (l = 0; l < 2; l++) {
		json_array_foreach(json_object_get(spec, lists[l]), i, c) {
			const json_t *req = k1s_json_path(c, "resources.requests");
			const json_t *lim = k1s_json_path(c, "resources.limits");

			for (r = 0; r < 2; r++) {
				const json_t *rq = json_object_get(req, names[r]);
				const json_t *lm = json_object_get(lim, names[r]);

				if (rq || lm)
					any = true;
				if (!lm || (rq && !json_equal((json_t *)rq, (json_t *)lm)))
					guaranteed = false;
			}
		}
	}
	if (!any)
		return "BestEffort";
	return guaranteed ? "Guaranteed" : "Burstable";
}

static void pod_only_defaults(json_t *spec)
{
	json_t *tols;

	adm_default_bool(spec, "enableServiceLinks", true);
	requests_from_limits(json_object_get(spec, "containers"));
	requests_from_limits(json_object_get(spec, "initContainers"));
	/* The ServiceAccount, Priority and DefaultTolerationSeconds plugins. */
	adm_default_str(spec, "serviceAccountName", "default");
	adm_default_str(spec, "serviceAccount", adm_str(spec, "serviceAccountName"));
	adm_default_int(spec, "priority", 0);
	adm_default_str(spec, "preemptionPolicy", "PreemptLowerPriority");
	tols = json_object_get(spec, "tolerations");
	if (!json_is_array(tols)) {
		tols = json_array();
		json_object_set_new(spec, "tolerations", tols);
	}
	if (!tolerates(tols, "node.kubernetes.io/not-ready"))
		json_array_append_new(tols, json_pack("{s:s,s:s,s:s,s:i}", "key",
						      "node.kubernetes.io/not-ready", "operator",
						      "Exists", "effect", "NoExecute",
						      "tolerationSeconds", 300));
	if (!tolerates(tols, "node.kubernetes.io/unreachable"))
		json_array_append_new(tols, json_pack("{s:s,s:s,s:s,s:i}", "key",
						      "node.kubernetes.io/unreachable", "operator",
						      "Exists", "effect", "NoExecute",
						      "tolerationSeconds", 300));
}

/* ---- validation ---- */

static void validate_container_ports(struct adm_req *q, const json_t *ports, const char *path)
{
	static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
	struct adm_msgs m;
	char f[512];
	json_t *p;
	size_t i, j;

	json_array_foreach(ports, i, p) {
		const char *name = adm_str(p, "name"), *proto = adm_str(p, "protocol");
		long long cp = adm_int(p, "containerPort"), hp = adm_int(p, "hostPort");

		adm_fmt(f, sizeof(f), "%s[%zu].name", path, i);
		if (*name) {
			if (adm_port_name(name, &m)) {
				adm_invalid_msgs(q, f, name, &m);
			} else {
				for (j = 0; j < i; j++)
					if (!strcmp(adm_str(json_array_get(ports, j), "name"), name)) {
						adm_duplicate_str(q, f, name);
						break;
					}
			}
		}
		adm_fmt(f, sizeof(f), "%s[%zu].containerPort", path, i);
		if (!cp)
			adm_required(q, f, NULL);
		else if (cp < 1 || cp > 65535)
			adm_invalid_int(q, f, cp, "must be between 1 and 65535, inclusive");
		adm_fmt(f, sizeof(f), "%s[%zu].hostPort", path, i);
		if (hp && (hp < 1 || hp > 65535))
			adm_invalid_int(q, f, hp, "must be between 1 and 65535, inclusive");
		adm_fmt(f, sizeof(f), "%s[%zu].protocol", path, i);
		if (!*proto)
			adm_required(q, f, NULL);
		else if (strcmp(proto, "TCP") && strcmp(proto, "UDP") && strcmp(proto, "SCTP"))
			adm_unsupported(q, f, proto, protocols);
	}
}

/* Container names are unique across containers and initContainers. */
static void validate_containers(struct adm_req *q, const json_t *spec, const char *list,
				const char *path, json_t *names)
{
	static const char *const pulls[] = {"Always", "IfNotPresent", "Never", NULL};
	static const char *const tmps[] = {"FallbackToLogsOnError", "File", NULL};
	struct adm_msgs m;
	char f[512];
	json_t *c, *e;
	size_t i, j;

	json_array_foreach(json_object_get(spec, list), i, c) {
		const char *name = adm_str(c, "name");
		const char *pull = adm_str(c, "imagePullPolicy");
		const char *tmp = adm_str(c, "terminationMessagePolicy");

		adm_fmt(f, sizeof(f), "%s.%s[%zu].name", path, list, i);
		if (!*name) {
			adm_required(q, f, NULL);
		} else if (adm_dns1123_label(name, &m)) {
			adm_invalid_msgs(q, f, name, &m);
		} else if (json_object_get(names, name)) {
			adm_duplicate_str(q, f, name);
		} else {
			json_object_set_new(names, name, json_true());
		}
		adm_fmt(f, sizeof(f), "%s.%s[%zu].image", path, list, i);
		if (!*adm_str(c, "image"))
			adm_required(q, f, NULL);
		adm_fmt(f, sizeof(f), "%s.%s[%zu].ports", path, list, i);
		validate_container_ports(q, json_object_get(c, "ports"), f);
		json_array_foreach(json_object_get(c, "env"), j, e) {
			const char *en = adm_str(e, "name");

			adm_fmt(f, sizeof(f), "%s.%s[%zu].env[%zu].name", path, list, i, j);
			if (!*en)
				adm_required(q, f, NULL);
			else if (strchr(en, '='))
				adm_invalid_str(q, f, en,
						"a valid environment variable name must consist only "
						"of printable ASCII characters other than '='");
		}
		adm_fmt(f, sizeof(f), "%s.%s[%zu].imagePullPolicy", path, list, i);
		if (!*pull)
			adm_required(q, f, NULL);
		else if (strcmp(pull, "Always") && strcmp(pull, "IfNotPresent") &&
			 strcmp(pull, "Never"))
			adm_unsupported(q, f, pull, pulls);
		adm_fmt(f, sizeof(f), "%s.%s[%zu].terminationMessagePolicy", path, list, i);
		if (!*tmp)
			adm_required(q, f, NULL);
		else if (strcmp(tmp, "File") && strcmp(tmp, "FallbackToLogsOnError"))
			adm_unsupported(q, f, tmp, tmps);
	}
}

/* ValidatePodSpec, the parts k1s acts on. `path` is "spec" or
 * "spec.template.spec". */
void adm_validate_podspec(struct adm_req *q, const json_t *spec, const char *path)
{
	static const char *const restarts[] = {"Always", "OnFailure", "Never", NULL};
	static const char *const dns[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default",
					  "None", NULL};
	const char *rp = adm_str(spec, "restartPolicy"), *dp = adm_str(spec, "dnsPolicy");
	json_t *names = json_object();
	struct adm_msgs m;
	char f[512];
	json_t *v;
	size_t i, j;

	json_array_foreach(json_object_get(spec, "volumes"), i, v) {
		const char *vn = adm_str(v, "name");

		adm_fmt(f, sizeof(f), "%s.volumes[%zu].name", path, i);
		if (!*vn) {
			adm_required(q, f, NULL);
		} else if (adm_dns1123_label(vn, &m)) {
			adm_invalid_msgs(q, f, vn, &m);
		} else {
			for (j = 0; j < i; j++)
				if (!strcmp(adm_str(json_array_get(json_object_get(spec, "volumes"), j),
						    "name"),
					    vn)) {
					adm_duplicate_str(q, f, vn);
					break;
				}
		}
	}
	adm_fmt(f, sizeof(f), "%s.containers", path);
	if (!json_array_size(json_object_get(spec, "containers")))
		adm_required(q, f, NULL);
	validate_containers(q, spec, "initContainers", path, names);
	validate_containers(q, spec, "containers", path, names);
	json_decref(names);
	adm_fmt(f, sizeof(f), "%s.restartPolicy", path);
	if (!*rp)
		adm_required(q, f, NULL);
	else if (strcmp(rp, "Always") && strcmp(rp, "OnFailure") && strcmp(rp, "Never"))
		adm_unsupported(q, f, rp, restarts);
	adm_fmt(f, sizeof(f), "%s.dnsPolicy", path);
	if (!*dp)
		adm_required(q, f, NULL);
	else if (strcmp(dp, "ClusterFirstWithHostNet") && strcmp(dp, "ClusterFirst") &&
		 strcmp(dp, "Default") && strcmp(dp, "None"))
		adm_unsupported(q, f, dp, dns);
	if (json_integer_value(json_object_get(spec, "terminationGracePeriodSeconds")) < 0) {
		adm_fmt(f, sizeof(f), "%s.terminationGracePeriodSeconds", path);
		adm_invalid_int(q, f, adm_int(spec, "terminationGracePeriodSeconds"),
				"must be greater than or equal to 0");
	}
	if (*adm_str(spec, "serviceAccountName")) {
		adm_fmt(f, sizeof(f), "%s.serviceAccountName", path);
		adm_dns1123_subdomain(adm_str(spec, "serviceAccountName"), &m);
		adm_invalid_msgs(q, f, adm_str(spec, "serviceAccountName"), &m);
	}
}

/* A pod's spec is immutable but for images, activeDeadlineSeconds,
 * tolerations and the binding (nodeName) that k1s itself makes. */
static void validate_pod_update(struct adm_req *q, const json_t *old, const json_t *spec)
{
	static const char *const mutable[] = {"activeDeadlineSeconds", "tolerations", "nodeName",
					      "terminationGracePeriodSeconds"};
	json_t *a = json_deep_copy(old), *b = json_deep_copy(spec);
	static const char *const lists[] = {"containers", "initContainers"};
	json_t *c;
	size_t i, l;

	for (i = 0; i < sizeof(mutable) / sizeof(mutable[0]); i++) {
		json_object_del(a, mutable[i]);
		json_object_del(b, mutable[i]);
	}
	for (l = 0; l < 2; l++) {
		json_array_foreach(json_object_get(a, lists[l]), i, c)
			json_object_del(c, "image");
		json_array_foreach(json_object_get(b, lists[l]), i, c)
			json_object_del(c, "image");
	}
	if (!json_equal(a, b))
		adm_forbidden(q, "spec",
			      "pod updates may not change fields other than "
			      "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec."
			      "activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
			      "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
			      "to 1 if it was previously negative)");
	json_decref(a);
	json_decref(b);
}

int adm_pod(struct adm_req *q, json_t *obj)
{
	json_t *spec = k1s_json_obj(obj, "spec");

	if (!spec) {
		adm_required(q, "spec", NULL);
		return 0;
	}
	podspec_defaults(spec);
	if (!q->old) {
		pod_only_defaults(spec);
		json_object_set_new(obj, "status", json_pack("{s:s,s:s}", "phase", "Pending",
							     "qosClass", qos_class(spec)));
	} else {
		/* What admission filled in at create stays when a replacement
		 * (kubectl replace) leaves it out. */
		static const char *const kept[] = {"serviceAccountName", "serviceAccount",
						   "priority", "priorityClassName",
						   "preemptionPolicy", "tolerations", "nodeName",
						   "enableServiceLinks"};
		const json_t *ospec = json_object_get(q->old, "spec");
		size_t i;

		for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
			if (!json_object_get(spec, kept[i]) && json_object_get(ospec, kept[i]))
				json_object_set_new(spec, kept[i],
						    json_deep_copy(json_object_get(ospec, kept[i])));
		adm_keep_status(q->old, obj);
	}
	adm_validate_meta(q, obj, ADM_NAME_SUBDOMAIN);
	adm_validate_podspec(q, spec, "spec");
	if (q->old)
		validate_pod_update(q, json_object_get(q->old, "spec"), spec);
	return 0;
}

/* ---- Deployment and ReplicaSet ---- */

void adm_template_defaults(json_t *spec)
{
	json_t *tmpl = k1s_json_obj(spec, "template");
	json_t *meta, *ps;

	if (!tmpl)
		return;
	meta = k1s_json_obj(tmpl, "metadata");
	/* metav1.Time without omitempty: kube-apiserver shows it as null. */
	if (meta && !json_object_get(meta, "creationTimestamp"))
		json_object_set_new(meta, "creationTimestamp", json_null());
	ps = k1s_json_obj(tmpl, "spec");
	if (ps)
		podspec_defaults(ps);
}

static void validate_nonneg(struct adm_req *q, const json_t *o, const char *key,
			    const char *field)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v) && json_integer_value(v) < 0)
		adm_invalid_int(q, field, json_integer_value(v), "must be greater than or equal to 0");
}

/* The selector and template checks Deployment and ReplicaSet share. */
static void validate_workload(struct adm_req *q, const json_t *obj, const json_t *spec)
{
	const json_t *sel = json_object_get(spec, "selector");
	const json_t *tmpl = json_object_get(spec, "template");
	const json_t *labels = k1s_json_path(tmpl, "metadata.labels");
	static const char *const always[] = {"Always", NULL};
	const char *rp;

	adm_validate_meta(q, obj, ADM_NAME_SUBDOMAIN);
	validate_nonneg(q, spec, "replicas", "spec.replicas");
	validate_nonneg(q, spec, "minReadySeconds", "spec.minReadySeconds");
	if (!json_is_object(sel)) {
		adm_required(q, "spec.selector", NULL);
	} else {
		adm_validate_selector(q, sel, "spec.selector");
		if (json_object_size(json_object_get(sel, "matchLabels")) +
			    json_array_size(json_object_get(sel, "matchExpressions")) ==
		    0) {
			struct adm_buf b = {0};

			adm_buf_selector(&b, sel);
			adm_invalid_raw(q, "spec.selector", b.p, "empty selector is invalid for deployment");
			adm_buf_free(&b);
		}
	}
	if (!json_is_object(tmpl)) {
		adm_required(q, "spec.template", NULL);
		return;
	}
	if (json_is_object(sel) &&
	    json_object_size(json_object_get(sel, "matchLabels")) +
			    json_array_size(json_object_get(sel, "matchExpressions")) >
		    0 &&
	    !adm_selector_matches(sel, labels)) {
		struct adm_buf b = {0};

		adm_buf_strmap(&b, labels);
		adm_invalid_raw(q, "spec.template.metadata.labels", b.p,
				"`selector` does not match template `labels`");
		adm_buf_free(&b);
	}
	/* ValidatePodTemplateSpec names the labels one level up. */
	adm_validate_labels(q, labels, "spec.template.labels");
	adm_validate_annotations(q, k1s_json_path(tmpl, "metadata.annotations"),
				 "spec.template.annotations");
	adm_validate_podspec(q, json_object_get(tmpl, "spec"), "spec.template.spec");
	rp = adm_str(json_object_get(tmpl, "spec"), "restartPolicy");
	if (*rp && strcmp(rp, "Always") != 0)
		adm_unsupported(q, "spec.template.spec.restartPolicy", rp, always);
	if (json_object_get(json_object_get(tmpl, "spec"), "activeDeadlineSeconds"))
		adm_forbidden(q, "spec.template.spec.activeDeadlineSeconds",
			      "activeDeadlineSeconds in ReplicaSet is not Supported");
}

static void validate_selector_immutable(struct adm_req *q, const json_t *spec)
{
	const json_t *osel = k1s_json_path(q->old, "spec.selector");
	const json_t *sel = json_object_get(spec, "selector");

	if (q->old && !json_equal((json_t *)osel, (json_t *)sel)) {
		struct adm_buf b = {0};

		adm_buf_selector(&b, sel);
		adm_invalid_raw(q, "spec.selector", b.p, "field is immutable");
		adm_buf_free(&b);
	}
}

/* intstr.IntOrString as %#v prints it (String has a pointer receiver). */
static void buf_intstr(struct adm_buf *b, const json_t *v)
{
	if (json_is_string(v)) {
		adm_buf_printf(b, "intstr.IntOrString{Type:1, IntVal:0, StrVal:");
		adm_buf_quote(b, json_string_value(v));
		adm_buf_printf(b, "}");
	} else {
		adm_buf_printf(b, "intstr.IntOrString{Type:0, IntVal:%lld, StrVal:\"\"}",
			       (long long)json_integer_value(v));
	}
}

/* The value of an int-or-percent; *pct tells which. -1 if malformed. */
static long long int_or_percent(const json_t *v, bool *pct)
{
	const char *s = json_string_value(v);
	char *end;
	long long n;

	*pct = false;
	if (!s)
		return json_integer_value(v);
	*pct = true;
	if (!*s || *s < '0' || *s > '9')
		return -1;
	n = strtoll(s, &end, 10);
	return strcmp(end, "%") == 0 ? n : -1;
}

static void validate_int_or_percent(struct adm_req *q, const json_t *v, const char *field)
{
	bool pct;
	long long n = int_or_percent(v, &pct);

	if (!v)
		return;
	if (pct && n < 0) {
		adm_invalid_str(q, field, json_string_value(v),
				"a valid percent string must be a numeric string followed by an "
				"ending '%' (e.g. '1%',  or '93%', regex used for validation is "
				"'[0-9]+%')");
		return;
	}
	if (!pct && n < 0)
		adm_invalid_int(q, field, n, "must be greater than or equal to 0");
	if (pct && n > 100)
		adm_invalid_str(q, field, json_string_value(v), "must not be greater than 100%");
}

static void validate_strategy(struct adm_req *q, const json_t *st)
{
	static const char *const types[] = {"Recreate", "RollingUpdate", NULL};
	const char *type = adm_str(st, "type");
	const json_t *ru = json_object_get(st, "rollingUpdate");

	if (!*type) {
		adm_required(q, "spec.strategy.type", NULL);
	} else if (strcmp(type, "Recreate") == 0) {
		if (ru && !json_is_null(ru))
			adm_forbidden(q, "spec.strategy.rollingUpdate",
				      "may not be specified when strategy `type` is 'Recreate'");
	} else if (strcmp(type, "RollingUpdate") == 0) {
		const json_t *mu = json_object_get(ru, "maxUnavailable");
		const json_t *ms = json_object_get(ru, "maxSurge");
		bool p1, p2;

		if (!json_is_object(ru)) {
			adm_required(q, "spec.strategy.rollingUpdate",
				     "this should be defaulted and never be nil");
			return;
		}
		validate_int_or_percent(q, mu, "spec.strategy.rollingUpdate.maxUnavailable");
		validate_int_or_percent(q, ms, "spec.strategy.rollingUpdate.maxSurge");
		if (mu && ms && int_or_percent(mu, &p1) == 0 && int_or_percent(ms, &p2) == 0) {
			struct adm_buf b = {0};

			buf_intstr(&b, mu);
			adm_invalid_raw(q, "spec.strategy.rollingUpdate.maxUnavailable", b.p,
					"may not be 0 when `maxSurge` is 0");
			adm_buf_free(&b);
		}
	} else {
		adm_unsupported(q, "spec.strategy.type", type, types);
	}
}

int adm_deployment(struct adm_req *q, json_t *obj)
{
	json_t *spec = k1s_json_obj(obj, "spec"), *st;

	if (!spec) {
		adm_required(q, "spec", NULL);
		return 0;
	}
	adm_default_int(spec, "replicas", 1);
	st = k1s_json_obj(spec, "strategy");
	if (st) {
		adm_default_str(st, "type", "RollingUpdate");
		if (strcmp(adm_str(st, "type"), "RollingUpdate") == 0) {
			json_t *ru = k1s_json_obj(st, "rollingUpdate");

			if (ru && !json_object_get(ru, "maxUnavailable"))
				json_object_set_new(ru, "maxUnavailable", json_string("25%"));
			if (ru && !json_object_get(ru, "maxSurge"))
				json_object_set_new(ru, "maxSurge", json_string("25%"));
		}
	}
	adm_default_int(spec, "revisionHistoryLimit", 10);
	adm_default_int(spec, "progressDeadlineSeconds", 600);
	adm_template_defaults(spec);
	if (q->old)
		adm_keep_status(q->old, obj);
	else
		json_object_set_new(obj, "status", json_object());

	if (q->old)
		validate_selector_immutable(q, spec);
	validate_workload(q, obj, spec);
	validate_strategy(q, json_object_get(spec, "strategy"));
	validate_nonneg(q, spec, "revisionHistoryLimit", "spec.revisionHistoryLimit");
	if (json_is_integer(json_object_get(spec, "progressDeadlineSeconds"))) {
		long long pd = adm_int(spec, "progressDeadlineSeconds");

		validate_nonneg(q, spec, "progressDeadlineSeconds", "spec.progressDeadlineSeconds");
		if (pd <= adm_int(spec, "minReadySeconds"))
			adm_invalid_int(q, "spec.progressDeadlineSeconds", pd,
					"must be greater than minReadySeconds");
	}
	return 0;
}

int adm_replicaset(struct adm_req *q, json_t *obj)
{
	json_t *spec = k1s_json_obj(obj, "spec");

	if (!spec) {
		adm_required(q, "spec", NULL);
		return 0;
	}
	adm_default_int(spec, "replicas", 1);
	adm_template_defaults(spec);
	if (q->old)
		adm_keep_status(q->old, obj);
	else
		json_object_set_new(obj, "status", json_pack("{s:i}", "replicas", 0));
	if (q->old)
		validate_selector_immutable(q, spec);
	validate_workload(q, obj, spec);
	return 0;
}
