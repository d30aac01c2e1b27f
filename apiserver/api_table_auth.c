/* Table printers for jobs (batch/v1), serviceaccounts (core/v1), the RBAC
 * kinds (rbac.authorization.k8s.io/v1) and the webhook configurations
 * (admissionregistration.k8s.io/v1), as kubernetes
 * pkg/printers/internalversion/printers.go has them in 1.32. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "api_table_int.h"
#include "k1s_json.h"

/* ---- Job ---- */

static const struct api_tcol job_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Status", "string", "", "Status of the job.", 0},
    {"Completions", "string", "",
     "The number of pods which reached phase Succeeded. The value increases monotonically for "
     "a given spec. However, it may decrease in reaction to scale down of elastic indexed "
     "jobs.",
     0},
    {"Duration", "string", "", "Time required to complete the job.", 0},
    {"Age", "string", "", api_tdoc_created, 0},
    {"Containers", "string", "", api_tdoc_containers, 1},
    {"Images", "string", "", api_tdoc_images, 1},
    {"Selector", "string", "",
     "A label query over pods that should match the pod count. Normally, the system sets this "
     "field for you. More info: "
     "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"
     "#label-selectors",
     1},
};

/* hasJobCondition: a condition of the type whose status is True. */
static bool job_has(const json_t *job, const char *type)
{
	size_t i;
	json_t *c;

	json_array_foreach(k1s_json_path(job, "status.conditions"), i, c)
	{
		const char *t = json_string_value(json_object_get(c, "type"));
		const char *s = json_string_value(json_object_get(c, "status"));

		if (t && s && strcmp(t, type) == 0 && strcmp(s, "True") == 0)
			return true;
	}
	return false;
}

static const char *job_status(const json_t *job)
{
	/* printJob's order: a finished Job says so even while it is deleted. */
	static const char *const before_deletion[] = {"Complete", "Failed"};
	static const char *const after_deletion[] = {"Suspended", "FailureTarget",
	                                             "SuccessCriteriaMet"};

	for (size_t i = 0; i < 2; i++)
		if (job_has(job, before_deletion[i]))
			return before_deletion[i];
	if (k1s_json_str(job, "metadata.deletionTimestamp"))
		return "Terminating";
	for (size_t i = 0; i < 3; i++)
		if (job_has(job, after_deletion[i]))
			return after_deletion[i];
	return "Running";
}

static void job_row(const json_t *job, time_t now, json_t *cells, json_t *row)
{
	struct api_sb sb = {0};
	json_int_t succeeded = api_json_int(job, "status.succeeded", 0);
	json_int_t parallelism = api_json_int(job, "spec.parallelism", 0);
	const char *start = k1s_json_str(job, "status.startTime");
	const char *done = k1s_json_str(job, "status.completionTime");
	time_t t0, t1;
	char took[32] = "";

	api_cell_str(cells, k1s_json_str(job, "metadata.name"));
	api_cell_str(cells, job_status(job));
	if (json_is_integer(k1s_json_path(job, "spec.completions")))
		api_sb_printf(&sb, "%lld/%lld", (long long)succeeded,
		              (long long)api_json_int(job, "spec.completions", 0));
	else if (parallelism > 1)
		api_sb_printf(&sb, "%lld/1 of %lld", (long long)succeeded, (long long)parallelism);
	else
		api_sb_printf(&sb, "%lld/1", (long long)succeeded);
	api_sb_append_to(&sb, cells);
	/* How long it took, or has taken so far; nothing before it starts. */
	if (start && k1s_time_parse(start, &t0) == 0) {
		if (!done || k1s_time_parse(done, &t1) < 0)
			t1 = now;
		api_age(took, sizeof(took), t0, t1);
	}
	api_cell_str(cells, took);
	api_cell_age(cells, job, "metadata.creationTimestamp", now);
	api_cell_containers(cells, k1s_json_path(job, "spec.template.spec.containers"));
	/* metav1.FormatLabelSelector; "<none>" for no selector as well. */
	if (api_fmt_selector(&sb, k1s_json_path(job, "spec.selector")) < 0) {
		api_sb_free(&sb);
		api_sb_add(&sb, "<error>");
	} else if (sb.len == 0) {
		api_sb_add(&sb, "<none>");
	}
	api_sb_append_to(&sb, cells);
}

/* ---- ServiceAccount ---- */

static const struct api_tcol sa_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Secrets", "string", "",
     "Secrets is a list of the secrets in the same namespace that pods running using this "
     "ServiceAccount are allowed to use. Pods are only limited to this list if this service "
     "account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". "
     "The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. "
     "Prefer separate namespaces to isolate access to mounted secrets. This field should not "
     "be used to find auto-generated service account token secrets for use outside of pods. "
     "Instead, tokens can be requested directly using the TokenRequest API, or service "
     "account token secrets can be manually created. More info: "
     "https://kubernetes.io/docs/concepts/configuration/secret",
     0},
    {"Age", "string", "", api_tdoc_created, 0},
};

static void sa_row(const json_t *sa, time_t now, json_t *cells, json_t *row)
{
	api_cell_str(cells, k1s_json_str(sa, "metadata.name"));
	/* The column says string; the cell is int64(len(obj.Secrets)). */
	api_cell_int(cells, (json_int_t)api_json_size(sa, "secrets"));
	api_cell_age(cells, sa, "metadata.creationTimestamp", now);
}

/* ---- Role, ClusterRole ---- */

static const struct api_tcol role_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Created At", "date", "", api_tdoc_created, 0},
};

static void role_row(const json_t *role, time_t now, json_t *cells, json_t *row)
{
	const char *ts = k1s_json_str(role, "metadata.creationTimestamp");
	time_t t = 0;
	char buf[32];

	(void)now;
	api_cell_str(cells, k1s_json_str(role, "metadata.name"));
	/* CreationTimestamp.UTC().Format(time.RFC3339); Go's zero time when unset. */
	if (ts && k1s_time_parse(ts, &t) == 0)
		k1s_time_fmt(buf, sizeof(buf), t);
	else
		snprintf(buf, sizeof(buf), "0001-01-01T00:00:00Z");
	api_cell_str(cells, buf);
}

/* ---- RoleBinding, ClusterRoleBinding ---- */

#define BINDING_COLS(what)                                                                         \
	{"Name", "string", "name", api_tdoc_name, 0},                                              \
	    {"Role", "string", "", ROLEREF_DOC_##what, 0},                                         \
	    {"Age", "string", "", api_tdoc_created, 0},                                            \
	    {"Users", "string", "", "Users in the " #what, 1},                                     \
	    {"Groups", "string", "", "Groups in the " #what, 1},                                   \
	{                                                                                          \
		"ServiceAccounts", "string", "", "ServiceAccounts in the " #what, 1                \
	}

/* The roleRef docs of rbac/v1beta1, which the printers quote. */
#define ROLEREF_DOC_roleBinding                                                                    \
	"RoleRef can reference a Role in the current namespace or a ClusterRole in the global "    \
	"namespace. If the RoleRef cannot be resolved, the Authorizer must return an error."
#define ROLEREF_DOC_clusterRoleBinding                                                             \
	"RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot " \
	"be resolved, the Authorizer must return an error."

static const struct api_tcol rb_cols[] = {BINDING_COLS(roleBinding)};
static const struct api_tcol crb_cols[] = {BINDING_COLS(clusterRoleBinding)};

/* rbac.SubjectsStrings: users, groups and namespace/name of service
 * accounts, each list joined with ", ". */
static void binding_row(const json_t *b, time_t now, json_t *cells, json_t *row)
{
	static const char *const kinds[] = {"User", "Group", "ServiceAccount"};
	struct api_sb sb = {0}, lists[3] = {{0}};
	size_t i;
	json_t *s;

	api_cell_str(cells, k1s_json_str(b, "metadata.name"));
	api_sb_printf(&sb, "%s/%s", k1s_json_str(b, "roleRef.kind") ?: "",
	              k1s_json_str(b, "roleRef.name") ?: "");
	api_sb_append_to(&sb, cells);
	api_cell_age(cells, b, "metadata.creationTimestamp", now);
	json_array_foreach(json_object_get(b, "subjects"), i, s)
	{
		const char *kind = json_string_value(json_object_get(s, "kind"));
		const char *name = json_string_value(json_object_get(s, "name"));
		const char *ns = json_string_value(json_object_get(s, "namespace"));

		for (size_t k = 0; kind && k < 3; k++) {
			if (strcmp(kind, kinds[k]) != 0)
				continue;
			if (lists[k].len)
				api_sb_add(&lists[k], ", ");
			if (k == 2)
				api_sb_printf(&lists[k], "%s/", ns ? ns : "");
			api_sb_add(&lists[k], name ? name : "");
		}
	}
	for (size_t k = 0; k < 3; k++) {
		api_sb_add(&lists[k], "");
		api_sb_append_to(&lists[k], cells);
	}
}

/* ---- ValidatingWebhookConfiguration, MutatingWebhookConfiguration ---- */

static const struct api_tcol webhook_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Webhooks", "integer", "",
     "Webhooks indicates the number of webhooks registered in this configuration", 0},
    {"Age", "string", "", api_tdoc_created, 0},
};

static void webhook_row(const json_t *w, time_t now, json_t *cells, json_t *row)
{
	api_cell_str(cells, k1s_json_str(w, "metadata.name"));
	api_cell_int(cells, (json_int_t)api_json_size(w, "webhooks"));
	api_cell_age(cells, w, "metadata.creationTimestamp", now);
}

#define RBAC "rbac.authorization.k8s.io"
#define ADMISSION "admissionregistration.k8s.io"

const struct api_tprinter api_tprinters_auth[] = {
    API_TPRINTER("batch", "jobs", job_cols, job_row),
    API_TPRINTER("", "serviceaccounts", sa_cols, sa_row),
    API_TPRINTER(RBAC, "roles", role_cols, role_row),
    API_TPRINTER(RBAC, "clusterroles", role_cols, role_row),
    API_TPRINTER(RBAC, "rolebindings", rb_cols, binding_row),
    API_TPRINTER(RBAC, "clusterrolebindings", crb_cols, binding_row),
    API_TPRINTER(ADMISSION, "validatingwebhookconfigurations", webhook_cols, webhook_row),
    API_TPRINTER(ADMISSION, "mutatingwebhookconfigurations", webhook_cols, webhook_row),
    {0},
};
