/* batch/v1 Job: the defaults of pkg/apis/batch/v1/defaults.go, the
 * generated selector of pkg/registry/batch/job/strategy.go and the checks
 * of pkg/apis/batch/validation that a user meets. */
#include <stdio.h>
#include <string.h>

#include "api_admit_int.h"
#include "k1s_json.h"

/* The labels by which a Job finds its pods when manualSelector is unset;
 * kube sets the legacy names beside the batch.kubernetes.io/ ones. */
static void generate_selector(struct adm_req *q, json_t *obj, json_t *spec)
{
	const char *uid = k1s_json_str(obj, "metadata.uid") ?: "";
	const char *name = k1s_json_str(obj, "metadata.name") ?: "";
	json_t *tmeta = k1s_json_obj(k1s_json_obj(spec, "template"), "metadata");
	json_t *labels, *sel = json_object_get(spec, "selector");
	json_t *want =
	    json_pack("{s:{s:s}}", "matchLabels", "batch.kubernetes.io/controller-uid", uid);

	/* strategy.go validateGeneratedSelector: a selector given without
	 * manualSelector must be the one kube would have generated. */
	if (json_is_object(sel) && !json_equal(sel, want)) {
		struct adm_buf b = {0};

		adm_buf_selector(&b, sel);
		adm_invalid_raw(q, "spec.selector", b.p, "`selector` not auto-generated");
		adm_buf_free(&b);
		json_decref(want);
		return;
	}
	json_object_set_new(spec, "selector", want);
	if (!tmeta)
		return;
	labels = k1s_json_obj(tmeta, "labels");
	if (!labels) {
		labels = json_object();
		json_object_set_new(tmeta, "labels", labels);
	}
	json_object_set_new(labels, "batch.kubernetes.io/controller-uid", json_string(uid));
	json_object_set_new(labels, "batch.kubernetes.io/job-name", json_string(name));
	json_object_set_new(labels, "controller-uid", json_string(uid));
	json_object_set_new(labels, "job-name", json_string(name));
}

static void validate_nonneg(struct adm_req *q, const json_t *spec, const char *key)
{
	const json_t *v = json_object_get(spec, key);
	char field[64];

	snprintf(field, sizeof(field), "spec.%s", key);
	if (json_is_integer(v) && json_integer_value(v) < 0)
		adm_invalid_int(q, field, json_integer_value(v),
		                "must be greater than or equal to 0");
}

int adm_job(struct adm_req *q, json_t *obj)
{
	static const char *const policies[] = {"OnFailure", "Never", NULL};
	static const char *const modes[] = {"NonIndexed", "Indexed", NULL};
	json_t *spec = k1s_json_obj(obj, "spec");
	const json_t *tmpl;
	const char *rp, *mode;

	adm_validate_meta(q, obj, ADM_NAME_SUBDOMAIN);
	if (!spec) {
		adm_required(q, "spec", NULL);
		return 0;
	}
	/* SetDefaults_Job: completions and parallelism 1 when both are
	 * unset, parallelism 1 alone otherwise. */
	if (!json_object_get(spec, "completions") && !json_object_get(spec, "parallelism"))
		adm_default_int(spec, "completions", 1);
	adm_default_int(spec, "parallelism", 1);
	adm_default_int(spec, "backoffLimit", 6);
	adm_default_str(spec, "completionMode", "NonIndexed");
	adm_default_bool(spec, "suspend", false);
	if (!json_object_get(spec, "podFailurePolicy"))
		adm_default_str(spec, "podReplacementPolicy", "TerminatingOrFailed");
	adm_template_defaults(spec);
	if (q->old) {
		adm_keep_status(q->old, obj);
	} else {
		json_object_set_new(obj, "status", json_object());
		if (!json_is_true(json_object_get(spec, "manualSelector")))
			generate_selector(q, obj, spec);
	}

	validate_nonneg(q, spec, "parallelism");
	validate_nonneg(q, spec, "completions");
	validate_nonneg(q, spec, "backoffLimit");
	validate_nonneg(q, spec, "ttlSecondsAfterFinished");
	mode = adm_str(spec, "completionMode");
	if (strcmp(mode, "NonIndexed") != 0 && strcmp(mode, "Indexed") != 0)
		adm_unsupported(q, "spec.completionMode", mode, modes);
	tmpl = json_object_get(spec, "template");
	if (!json_is_object(tmpl)) {
		adm_required(q, "spec.template", NULL);
		return 0;
	}
	adm_validate_selector(q, json_object_get(spec, "selector"), "spec.selector");
	if (json_is_object(json_object_get(spec, "selector")) &&
	    !adm_selector_matches(json_object_get(spec, "selector"),
	                          k1s_json_path(tmpl, "metadata.labels"))) {
		struct adm_buf b = {0};

		adm_buf_strmap(&b, k1s_json_path(tmpl, "metadata.labels"));
		adm_invalid_raw(q, "spec.template.metadata.labels", b.p,
		                "`selector` does not match template `labels`");
		adm_buf_free(&b);
	}
	adm_validate_labels(q, k1s_json_path(tmpl, "metadata.labels"), "spec.template.labels");
	adm_validate_annotations(q, k1s_json_path(tmpl, "metadata.annotations"),
	                         "spec.template.annotations");
	adm_validate_podspec(q, json_object_get(tmpl, "spec"), "spec.template.spec");
	/* The pod defaults made an unset restartPolicy Always, which a Job
	 * refuses as kube's does. */
	rp = adm_str(json_object_get(tmpl, "spec"), "restartPolicy");
	if (strcmp(rp, "OnFailure") != 0 && strcmp(rp, "Never") != 0)
		adm_unsupported(q, "spec.template.spec.restartPolicy", rp, policies);
	if (q->old &&
	    !json_equal((json_t *)json_object_get(json_object_get(q->old, "spec"), "selector"),
	                json_object_get(spec, "selector")))
		adm_invalid_raw(q, "spec.selector", "", "field is immutable");
	return 0;
}
