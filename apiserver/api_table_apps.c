/* Table printers outside core/v1: deployments and replicasets (apps/v1),
 * ingresses, ingressclasses and networkpolicies (networking.k8s.io/v1),
 * endpointslices (discovery.k8s.io/v1). */
#include <stdio.h>
#include <string.h>

#include "api_table_int.h"
#include "k1s_json.h"

#define API_TMAX_LISTED 3

static const char *str_or(const json_t *obj, const char *path, const char *def)
{
	const char *s = k1s_json_str(obj, path);

	return s && *s ? s : def;
}

/* ---- Deployment ---- */

static const struct api_tcol deploy_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Ready", "string", "", "Number of the pod with ready state", 0},
    {"Up-to-date", "string", "",
     "Total number of non-terminated pods targeted by this deployment that have the desired "
     "template spec.",
     0},
    {"Available", "string", "",
     "Total number of available pods (ready for at least minReadySeconds) targeted by this "
     "deployment.",
     0},
    {"Age", "string", "", api_tdoc_created, 0},
    {"Containers", "string", "", api_tdoc_containers, 1},
    {"Images", "string", "", api_tdoc_images, 1},
    {"Selector", "string", "",
     "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the "
     "ones affected by this deployment.",
     1},
};

static void deploy_row(const json_t *d, time_t now, json_t *cells, json_t *row)
{
	struct api_sb sb = {0};

	api_cell_str(cells, k1s_json_str(d, "metadata.name"));
	/* spec.replicas is defaulted to 1 on admission. */
	api_sb_printf(&sb, "%lld/%lld", (long long)api_json_int(d, "status.readyReplicas", 0),
	              (long long)api_json_int(d, "spec.replicas", 1));
	api_sb_append_to(&sb, cells);
	api_cell_int(cells, api_json_int(d, "status.updatedReplicas", 0));
	api_cell_int(cells, api_json_int(d, "status.availableReplicas", 0));
	api_cell_age(cells, d, "metadata.creationTimestamp", now);
	api_cell_containers(cells, k1s_json_path(d, "spec.template.spec.containers"));
	/* The Deployment printer shows an empty selector as "" and a broken
	 * one as "<invalid>", unlike FormatLabelSelector. */
	if (api_fmt_selector(&sb, k1s_json_path(d, "spec.selector")) < 0) {
		api_sb_free(&sb);
		api_sb_add(&sb, "<invalid>");
	}
	api_sb_append_to(&sb, cells);
}

/* ---- ReplicaSet ---- */

static const struct api_tcol rs_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Desired", "integer", "",
     "Replicas is the number of desired replicas. This is a pointer to distinguish between "
     "explicit zero and unspecified. Defaults to 1. More info: "
     "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/"
     "#what-is-a-replicationcontroller",
     0},
    {"Current", "integer", "",
     "Replicas is the most recently observed number of replicas. More info: "
     "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/"
     "#what-is-a-replicationcontroller",
     0},
    {"Ready", "integer", "", "The number of ready replicas for this replica set.", 0},
    {"Age", "string", "", api_tdoc_created, 0},
    {"Containers", "string", "", api_tdoc_containers, 1},
    {"Images", "string", "", api_tdoc_images, 1},
    {"Selector", "string", "",
     "Selector is a label query over pods that should match the replica count. If the "
     "selector is empty, it is defaulted to the labels present on the pod template. Label "
     "keys and values that must match in order to be controlled by this replica set. More "
     "info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"
     "#label-selectors",
     1},
};

/* metav1.FormatLabelSelector: "<error>" when unconvertible, "<none>" when
 * empty. */
static void format_label_selector(json_t *cells, const json_t *sel)
{
	struct api_sb sb = {0};

	if (api_fmt_selector(&sb, sel) < 0) {
		api_sb_free(&sb);
		api_sb_add(&sb, "<error>");
	} else if (sb.len == 0) {
		api_sb_add(&sb, "<none>");
	}
	api_sb_append_to(&sb, cells);
}

static void rs_row(const json_t *rs, time_t now, json_t *cells, json_t *row)
{
	api_cell_str(cells, k1s_json_str(rs, "metadata.name"));
	api_cell_int(cells, api_json_int(rs, "spec.replicas", 1));
	api_cell_int(cells, api_json_int(rs, "status.replicas", 0));
	api_cell_int(cells, api_json_int(rs, "status.readyReplicas", 0));
	api_cell_age(cells, rs, "metadata.creationTimestamp", now);
	api_cell_containers(cells, k1s_json_path(rs, "spec.template.spec.containers"));
	format_label_selector(cells, k1s_json_path(rs, "spec.selector"));
}

/* ---- Ingress ---- */

static const struct api_tcol ing_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Class", "string", "",
     "The name of the IngressClass resource that should be used for additional configuration", 0},
    {"Hosts", "string", "",
     "Hosts that incoming requests are matched against before the ingress rule", 0},
    {"Address", "string", "", "Address is a list containing ingress points for the load-balancer",
     0},
    {"Ports", "string", "", "Ports of TLS configurations that open", 0},
    {"Age", "string", "", api_tdoc_created, 0},
};

static void ing_row(const json_t *ing, time_t now, json_t *cells, json_t *row)
{
	const json_t *rules = k1s_json_path(ing, "spec.rules");
	struct api_sb sb = {0};
	size_t listed = 0, i;
	bool more = false;
	json_t *r, *lb;

	api_cell_str(cells, k1s_json_str(ing, "metadata.name"));
	api_cell_str(cells, str_or(ing, "spec.ingressClassName", "<none>"));
	/* Up to three non-empty hosts; "more" counts every rule, hostless
	 * ones included, as kube-apiserver does. */
	api_sb_add(&sb, "");
	json_array_foreach(rules, i, r)
	{
		const char *h = k1s_json_str(r, "host");

		if (listed == API_TMAX_LISTED)
			more = true;
		if (!more && h && *h) {
			if (listed++)
				api_sb_add(&sb, ",");
			api_sb_add(&sb, h);
		}
	}
	if (listed == 0)
		api_sb_add(&sb, "*");
	else if (more)
		api_sb_printf(&sb, " + %zu more...", json_array_size(rules) - API_TMAX_LISTED);
	api_sb_append_to(&sb, cells);
	lb = api_lb_addresses(k1s_json_path(ing, "status.loadBalancer.ingress"));
	api_str_join(&sb, lb, ",");
	json_decref(lb);
	api_sb_append_to(&sb, cells);
	api_cell_str(cells, json_array_size(k1s_json_path(ing, "spec.tls")) ? "80, 443" : "80");
	api_cell_age(cells, ing, "metadata.creationTimestamp", now);
}

/* ---- IngressClass ---- */

static const struct api_tcol ingclass_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Controller", "string", "", "Controller that is responsible for handling this class", 0},
    {"Parameters", "string", "", "A reference to a resource with additional parameters", 0},
    {"Age", "string", "", api_tdoc_created, 0},
};

static void ingclass_row(const json_t *ic, time_t now, json_t *cells, json_t *row)
{
	const json_t *params = k1s_json_path(ic, "spec.parameters");
	struct api_sb sb = {0};

	api_cell_str(cells, k1s_json_str(ic, "metadata.name"));
	api_cell_str(cells, k1s_json_str(ic, "spec.controller"));
	if (!json_is_object(params)) {
		api_sb_add(&sb, "<none>");
	} else {
		/* Kind[.apiGroup]/name; a present but empty apiGroup still
		 * adds the dot. */
		api_sb_add(&sb, "");
		api_sb_add(&sb, k1s_json_str(params, "kind"));
		if (json_is_string(json_object_get(params, "apiGroup")))
			api_sb_printf(&sb, ".%s", k1s_json_str(params, "apiGroup"));
		api_sb_printf(&sb, "/%s", str_or(params, "name", ""));
	}
	api_sb_append_to(&sb, cells);
	api_cell_age(cells, ic, "metadata.creationTimestamp", now);
}

/* ---- NetworkPolicy ---- */

static const struct api_tcol netpol_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Pod-Selector", "string", "",
     "Selects the pods to which this NetworkPolicy object applies.  The array of ingress rules "
     "is applied to any pods selected by this field. Multiple network policies can select the "
     "same set of pods.  In this case, the ingress rules for each are combined additively. "
     "This field is NOT optional and follows standard label selector semantics. An empty "
     "podSelector matches all pods in this namespace.",
     0},
    {"Age", "string", "", api_tdoc_created, 0},
};

static void netpol_row(const json_t *np, time_t now, json_t *cells, json_t *row)
{
	api_cell_str(cells, k1s_json_str(np, "metadata.name"));
	format_label_selector(cells, k1s_json_path(np, "spec.podSelector"));
	api_cell_age(cells, np, "metadata.creationTimestamp", now);
}

/* ---- EndpointSlice ---- */

static const struct api_tcol eps_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"AddressType", "string", "",
     "addressType specifies the type of address carried by this EndpointSlice. All addresses "
     "in this slice must be the same type. This field is immutable after creation. The "
     "following address types are currently supported: * IPv4: Represents an IPv4 Address. * "
     "IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.",
     0},
    {"Ports", "string", "",
     "ports specifies the list of network ports exposed by each endpoint in this slice. Each "
     "port must have a unique name. When ports is empty, it indicates that there are no "
     "defined ports. When a port is defined with a nil port value, it indicates \"all "
     "ports\". Each slice may include a maximum of 100 ports.",
     0},
    {"Endpoints", "string", "",
     "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum "
     "of 1000 endpoints.",
     0},
    {"Age", "string", "", api_tdoc_created, 0},
};

/* listWithMoreString */
struct listed {
	struct api_sb sb;
	size_t n;
	size_t count;
};

static void listed_add(struct listed *l, const char *s)
{
	if (l->n < API_TMAX_LISTED) {
		if (l->n++)
			api_sb_add(&l->sb, ",");
		api_sb_add(&l->sb, s);
	}
	l->count++;
}

static void listed_cell(struct listed *l, json_t *cells)
{
	api_sb_add(&l->sb, "");
	if (l->count > API_TMAX_LISTED)
		api_sb_printf(&l->sb, " + %zu more...", l->count - API_TMAX_LISTED);
	else if (l->sb.len == 0)
		api_sb_add(&l->sb, "<unset>");
	api_sb_append_to(&l->sb, cells);
}

static void eps_row(const json_t *eps, time_t now, json_t *cells, json_t *row)
{
	struct listed ports = {0}, addrs = {0};
	size_t i, j;
	json_t *p, *e, *a;

	api_cell_str(cells, k1s_json_str(eps, "metadata.name"));
	api_cell_str(cells, k1s_json_str(eps, "addressType"));
	json_array_foreach(k1s_json_path(eps, "ports"), i, p)
	{
		json_t *port = json_object_get(p, "port");
		json_t *name = json_object_get(p, "name");
		char num[24];

		/* A nil port means all ports: show its name, else "*". */
		if (json_is_integer(port)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(port));
			listed_add(&ports, num);
		} else if (json_is_string(name)) {
			listed_add(&ports, json_string_value(name));
		} else {
			listed_add(&ports, "*");
		}
	}
	listed_cell(&ports, cells);
	json_array_foreach(k1s_json_path(eps, "endpoints"), i, e)
	    json_array_foreach(json_object_get(e, "addresses"), j, a)
	        listed_add(&addrs, json_string_value(a));
	listed_cell(&addrs, cells);
	api_cell_age(cells, eps, "metadata.creationTimestamp", now);
}

const struct api_tprinter api_tprinters_apps[] = {
    API_TPRINTER("apps", "deployments", deploy_cols, deploy_row),
    API_TPRINTER("apps", "replicasets", rs_cols, rs_row),
    API_TPRINTER("networking.k8s.io", "ingresses", ing_cols, ing_row),
    API_TPRINTER("networking.k8s.io", "ingressclasses", ingclass_cols, ingclass_row),
    API_TPRINTER("networking.k8s.io", "networkpolicies", netpol_cols, netpol_row),
    API_TPRINTER("discovery.k8s.io", "endpointslices", eps_cols, eps_row),
    {0},
};
