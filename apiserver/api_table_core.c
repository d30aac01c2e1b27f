/* Table printers for core/v1: pods, services, endpoints, namespaces,
 * nodes, secrets, configmaps and events, with kube-apiserver's columns
 * (pkg/printers/internalversion) and cell rules. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "api_table_int.h"
#include "k1s_json.h"

/* ---- small readers ---- */

/* A timestamp at `path`; false when absent, null or unreadable (Go's zero
 * time, which every printer treats as "not set"). */
static bool ts_get(const json_t *obj, const char *path, time_t *t)
{
	const char *s = k1s_json_str(obj, path);

	return s && *s && k1s_time_parse(s, t) == 0;
}

static const char *str_or(const json_t *obj, const char *path, const char *def)
{
	const char *s = k1s_json_str(obj, path);

	return s && *s ? s : def;
}

static void sb_set(struct api_sb *sb, const char *s)
{
	sb->len = 0;
	api_sb_add(sb, "");
	api_sb_add(sb, s);
}

/* ---- Pod ---- */

static const struct api_tcol pod_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0},
    {"Status", "string", "", "The aggregate status of the containers in this pod.", 0},
    {"Restarts", "string", "",
     "The number of times the containers in this pod have been restarted and when the last "
     "container in this pod has restarted.",
     0},
    {"Age", "string", "", api_tdoc_created, 0},
    {"IP", "string", "",
     "podIP address allocated to the pod. Routable at least within the cluster. Empty if not "
     "yet allocated.",
     1},
    {"Node", "string", "",
     "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
     "candidate for scheduling by the scheduler defined in schedulerName. Once this field is "
     "set, the kubelet for this node becomes responsible for the lifecycle of this pod. This "
     "field should not be used to express a desire for the pod to be scheduled on a specific "
     "node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
     1},
    {"Nominated Node", "string", "",
     "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
     "cannot be scheduled right away as preemption victims receive their graceful termination "
     "periods. This field does not guarantee that the pod will be scheduled on this node. "
     "Scheduler may decide to place the pod elsewhere if other nodes become available sooner. "
     "Scheduler may also decide to give the resources on this node to a higher priority pod "
     "that is created after preemption. As a result, this field may be different than "
     "PodSpec.nodeName when the pod is scheduled.",
     1},
    {"Readiness Gates", "string", "",
     "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready "
     "when all its containers are ready AND all conditions specified in the readiness gates "
     "have status equal to \"True\" More info: "
     "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
     1},
};

/* A sidecar: an init container with restartPolicy Always runs beside the
 * main containers and counts towards Ready. */
static bool init_restartable(const json_t *pod, const char *name)
{
	const json_t *ics = k1s_json_path(pod, "spec.initContainers");
	size_t i;
	json_t *c;

	if (!name)
		return false;
	json_array_foreach(ics, i, c)
	{
		const char *n = k1s_json_str(c, "name");

		if (n && strcmp(n, name) == 0) {
			const char *rp = k1s_json_str(c, "restartPolicy");

			return rp && strcmp(rp, "Always") == 0;
		}
	}
	return false;
}

static bool pod_condition_true(const json_t *pod, const char *type, bool first_only)
{
	const json_t *conds = k1s_json_path(pod, "status.conditions");
	size_t i;
	json_t *c;

	json_array_foreach(conds, i, c)
	{
		const char *t = k1s_json_str(c, "type");
		const char *s = k1s_json_str(c, "status");

		if (!t || strcmp(t, type) != 0)
			continue;
		if (s && strcmp(s, "True") == 0)
			return true;
		if (first_only)
			return false;
	}
	return false;
}

/* Keeps the latest lastState.terminated.finishedAt in *last. */
static void note_restart(const json_t *cs, time_t *last, bool *have)
{
	time_t t;

	if (!json_is_object(k1s_json_path(cs, "lastState.terminated")))
		return;
	if (!ts_get(cs, "lastState.terminated.finishedAt", &t))
		return;
	if (!*have || t > *last) {
		*last = t;
		*have = true;
	}
}

static const json_t *state_of(const json_t *cs, const char *which)
{
	const json_t *s = json_object_get(json_object_get(cs, "state"), which);

	return json_is_object(s) ? s : NULL;
}

static void pod_row(const json_t *pod, time_t now, json_t *cells, json_t *row)
{
	const json_t *ics = k1s_json_path(pod, "status.initContainerStatuses");
	const json_t *css = k1s_json_path(pod, "status.containerStatuses");
	const char *phase = str_or(pod, "status.phase", "");
	const char *st_reason = str_or(pod, "status.reason", "");
	size_t total = json_array_size(k1s_json_path(pod, "spec.containers"));
	size_t ninit = json_array_size(k1s_json_path(pod, "spec.initContainers"));
	long long restarts = 0, side_restarts = 0;
	time_t last = 0, side_last = 0;
	bool have_last = false, have_side_last = false, initializing = false;
	size_t ready = 0, i;
	struct api_sb reason = {0}, sb = {0};
	const json_t *conds = k1s_json_path(pod, "status.conditions");
	json_t *c;
	char age[32];

	sb_set(&reason, *st_reason ? st_reason : phase);
	json_array_foreach(conds, i, c)
	{
		const char *t = k1s_json_str(c, "type"), *r = k1s_json_str(c, "reason");

		if (t && r && strcmp(t, "PodScheduled") == 0 && strcmp(r, "SchedulingGated") == 0)
			sb_set(&reason, "SchedulingGated");
	}
	if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0) {
		bool ok = phase[0] == 'S';

		json_object_set_new(
		    row, "conditions",
		    json_pack("[{s:s,s:s,s:s,s:s}]", "type", "Completed", "status", "True",
		              "reason", phase, "message",
		              ok ? "The pod has completed successfully." : "The pod failed."));
	}
	json_array_foreach(k1s_json_path(pod, "spec.initContainers"), i, c)
	{
		const char *rp = k1s_json_str(c, "restartPolicy");

		if (rp && strcmp(rp, "Always") == 0)
			total++;
	}

	json_array_foreach(ics, i, c)
	{
		const json_t *term = state_of(c, "terminated"), *wait = state_of(c, "waiting");
		bool sidecar = init_restartable(pod, k1s_json_str(c, "name"));
		const char *wr = wait ? str_or(wait, "reason", "") : "";

		restarts += api_json_int(c, "restartCount", 0);
		note_restart(c, &last, &have_last);
		if (sidecar) {
			side_restarts += api_json_int(c, "restartCount", 0);
			note_restart(c, &side_last, &have_side_last);
		}
		if (term && api_json_int(term, "exitCode", 0) == 0)
			continue;
		if (sidecar && json_is_true(json_object_get(c, "started"))) {
			if (json_is_true(json_object_get(c, "ready")))
				ready++;
			continue;
		}
		reason.len = 0;
		if (term) {
			const char *tr = str_or(term, "reason", "");

			if (*tr)
				api_sb_printf(&reason, "Init:%s", tr);
			else if (api_json_int(term, "signal", 0) != 0)
				api_sb_printf(&reason, "Init:Signal:%lld",
				              (long long)api_json_int(term, "signal", 0));
			else
				api_sb_printf(&reason, "Init:ExitCode:%lld",
				              (long long)api_json_int(term, "exitCode", 0));
		} else if (*wr && strcmp(wr, "PodInitializing") != 0) {
			api_sb_printf(&reason, "Init:%s", wr);
		} else {
			api_sb_printf(&reason, "Init:%zu/%zu", i, ninit);
		}
		initializing = true;
		break;
	}

	if (!initializing || pod_condition_true(pod, "Initialized", true)) {
		bool running = false;

		restarts = side_restarts;
		last = side_last;
		have_last = have_side_last;
		for (i = json_array_size(css); i-- > 0;) {
			const json_t *cs = json_array_get(css, i);
			const json_t *term = state_of(cs, "terminated"),
			             *wait = state_of(cs, "waiting");
			const char *wr = wait ? str_or(wait, "reason", "") : "";
			const char *tr = term ? str_or(term, "reason", "") : "";

			restarts += api_json_int(cs, "restartCount", 0);
			note_restart(cs, &last, &have_last);
			if (*wr) {
				sb_set(&reason, wr);
			} else if (*tr) {
				sb_set(&reason, tr);
			} else if (term) {
				reason.len = 0;
				if (api_json_int(term, "signal", 0) != 0)
					api_sb_printf(&reason, "Signal:%lld",
					              (long long)api_json_int(term, "signal", 0));
				else
					api_sb_printf(&reason, "ExitCode:%lld",
					              (long long)api_json_int(term, "exitCode", 0));
			} else if (json_is_true(json_object_get(cs, "ready")) &&
			           state_of(cs, "running")) {
				running = true;
				ready++;
			}
		}
		/* A finished container next to a running one is not a
		 * completed pod. */
		if (strcmp(api_sb_str(&reason), "Completed") == 0 && running)
			sb_set(&reason,
			       pod_condition_true(pod, "Ready", false) ? "Running" : "NotReady");
	}

	if (k1s_json_path(pod, "metadata.deletionTimestamp") &&
	    !json_is_null(k1s_json_path(pod, "metadata.deletionTimestamp"))) {
		if (strcmp(st_reason, "NodeLost") == 0)
			sb_set(&reason, "Unknown");
		else if (strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0)
			sb_set(&reason, "Terminating");
	}

	api_cell_str(cells, k1s_json_str(pod, "metadata.name"));
	api_sb_printf(&sb, "%zu/%zu", ready, total);
	api_sb_append_to(&sb, cells);
	api_cell_str(cells, api_sb_str(&reason));
	api_sb_free(&reason);
	api_sb_printf(&sb, "%lld", restarts);
	if (restarts != 0 && have_last) {
		api_age(age, sizeof(age), last, now);
		api_sb_printf(&sb, " (%s ago)", age);
	}
	api_sb_append_to(&sb, cells);
	api_cell_age(cells, pod, "metadata.creationTimestamp", now);

	/* Wide columns. */
	api_cell_str(
	    cells, str_or(json_array_get(k1s_json_path(pod, "status.podIPs"), 0), "ip", "<none>"));
	api_cell_str(cells, str_or(pod, "spec.nodeName", "<none>"));
	api_cell_str(cells, str_or(pod, "status.nominatedNodeName", "<none>"));
	const json_t *gates = k1s_json_path(pod, "spec.readinessGates");

	if (json_array_size(gates) == 0) {
		api_cell_str(cells, "<none>");
	} else {
		size_t ntrue = 0;

		json_array_foreach(gates, i, c)
		{
			const char *ct = k1s_json_str(c, "conditionType");

			if (ct && pod_condition_true(pod, ct, true))
				ntrue++;
		}
		api_sb_printf(&sb, "%zu/%zu", ntrue, json_array_size(gates));
		api_sb_append_to(&sb, cells);
	}
}

/* ---- Service ---- */

static const struct api_tcol svc_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Type", "string", "",
     "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are "
     "ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a "
     "cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by "
     "the selector or if that is not specified, by manual construction of an Endpoints object "
     "or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the "
     "endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" "
     "builds on ClusterIP and allocates a port on every node which routes to the same "
     "endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external "
     "load-balancer (if supported in the current cloud) which routes to the same endpoints as "
     "the clusterIP. \"ExternalName\" aliases this service to the specified externalName. "
     "Several other fields do not apply to ExternalName services. More info: "
     "https://kubernetes.io/docs/concepts/services-networking/service/"
     "#publishing-services-service-types",
     0},
    {"Cluster-IP", "string", "",
     "clusterIP is the IP address of the service and is usually assigned randomly. If an "
     "address is specified manually, is in-range (as per system configuration), and is not in "
     "use, it will be allocated to the service; otherwise creation of the service will fail. "
     "This field may not be changed through updates unless the type field is also being "
     "changed to ExternalName (which requires this field to be blank) or the type field is "
     "being changed from ExternalName (in which case this field may optionally be specified, "
     "as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP "
     "address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which "
     "is useful when direct endpoint connections are preferred and proxying is not required.  "
     "Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified "
     "when creating a Service of type ExternalName, creation will fail. This field will be "
     "wiped when updating a Service to type ExternalName. More info: "
     "https://kubernetes.io/docs/concepts/services-networking/service/"
     "#virtual-ips-and-service-proxies",
     0},
    {"External-IP", "string", "",
     "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
     "traffic for this service.  These IPs are not managed by Kubernetes.  The user is "
     "responsible for ensuring that traffic arrives at a node with this IP.  A common example "
     "is external load-balancers that are not part of the Kubernetes system.",
     0},
    {"Port(s)", "string", "",
     "The list of ports that are exposed by this service. More info: "
     "https://kubernetes.io/docs/concepts/services-networking/service/"
     "#virtual-ips-and-service-proxies",
     0},
    {"Age", "string", "", api_tdoc_created, 0},
    {"Selector", "string", "",
     "Route service traffic to pods with label keys and values matching this selector. If "
     "empty or not present, the service is assumed to have an external process managing its "
     "endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, "
     "and LoadBalancer. Ignored if type is ExternalName. More info: "
     "https://kubernetes.io/docs/concepts/services-networking/service/",
     1},
};

static void svc_external_ip(struct api_sb *sb, const json_t *svc)
{
	const char *type = str_or(svc, "spec.type", "");
	const json_t *ext = k1s_json_path(svc, "spec.externalIPs");

	if (strcmp(type, "ClusterIP") == 0 || strcmp(type, "NodePort") == 0) {
		if (json_array_size(ext) > 0)
			api_str_join(sb, ext, ",");
		else
			api_sb_add(sb, "<none>");
	} else if (strcmp(type, "LoadBalancer") == 0) {
		json_t *lb = api_lb_addresses(k1s_json_path(svc, "status.loadBalancer.ingress"));

		if (json_array_size(lb) == 0 && json_array_size(ext) == 0) {
			api_sb_add(sb, "<pending>");
		} else {
			json_array_extend(lb, (json_t *)ext);
			api_str_join(sb, lb, ",");
		}
		json_decref(lb);
	} else if (strcmp(type, "ExternalName") == 0) {
		api_sb_add(sb, str_or(svc, "spec.externalName", ""));
	} else {
		api_sb_add(sb, "<unknown>");
	}
}

static void svc_row(const json_t *svc, time_t now, json_t *cells, json_t *row)
{
	const json_t *ports = k1s_json_path(svc, "spec.ports");
	struct api_sb sb = {0};
	size_t i;
	json_t *p;

	api_cell_str(cells, k1s_json_str(svc, "metadata.name"));
	api_cell_str(cells, str_or(svc, "spec.type", ""));
	if (json_array_size(k1s_json_path(svc, "spec.clusterIPs")) > 0)
		api_cell_str(cells, json_string_value(
		                        json_array_get(k1s_json_path(svc, "spec.clusterIPs"), 0)));
	else
		api_cell_str(cells, "<none>");
	svc_external_ip(&sb, svc);
	api_sb_append_to(&sb, cells);
	api_sb_add(&sb, "");
	json_array_foreach(ports, i, p)
	{
		json_int_t np = api_json_int(p, "nodePort", 0);

		if (i > 0)
			api_sb_add(&sb, ",");
		if (np > 0)
			api_sb_printf(&sb, "%lld:%lld/%s", (long long)api_json_int(p, "port", 0),
			              (long long)np, str_or(p, "protocol", ""));
		else
			api_sb_printf(&sb, "%lld/%s", (long long)api_json_int(p, "port", 0),
			              str_or(p, "protocol", ""));
	}
	if (sb.len == 0)
		api_sb_add(&sb, "<none>");
	api_sb_append_to(&sb, cells);
	api_cell_age(cells, svc, "metadata.creationTimestamp", now);
	api_fmt_labels(&sb, k1s_json_path(svc, "spec.selector"));
	api_sb_append_to(&sb, cells);
}

/* ---- Endpoints ---- */

static const struct api_tcol ep_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Endpoints", "string", "",
     "The set of all endpoints is the union of all subsets. Addresses are placed into subsets "
     "according to the IPs they share. A single address with multiple ports, some of which are "
     "ready and some of which are not (because they come from different containers) will "
     "result in the address being displayed in different subsets for the different ports. No "
     "address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of "
     "addresses and ports that comprise a service.",
     0},
    {"Age", "string", "", api_tdoc_created, 0},
};

#define API_TMAX_LISTED 3

static void ep_row(const json_t *ep, time_t now, json_t *cells, json_t *row)
{
	const json_t *subsets = k1s_json_path(ep, "subsets");
	struct api_sb sb = {0};
	size_t listed = 0, count = 0, i, j, k;
	json_t *ss, *port, *addr;

	api_cell_str(cells, k1s_json_str(ep, "metadata.name"));
	api_sb_add(&sb, "");
	json_array_foreach(subsets, i, ss)
	{
		const json_t *ports = json_object_get(ss, "ports");
		const json_t *addrs = json_object_get(ss, "addresses");

		if (json_array_size(ports) == 0) {
			/* A headless service without ports lists bare IPs. */
			json_array_foreach(addrs, j, addr)
			{
				if (listed < API_TMAX_LISTED) {
					if (listed++)
						api_sb_add(&sb, ",");
					api_sb_add(&sb, str_or(addr, "ip", ""));
				}
				count++;
			}
			continue;
		}
		json_array_foreach(ports, k, port)
		{
			json_array_foreach(addrs, j, addr)
			{
				const char *ip = str_or(addr, "ip", "");

				if (listed < API_TMAX_LISTED) {
					if (listed++)
						api_sb_add(&sb, ",");
					/* net.JoinHostPort brackets IPv6. */
					api_sb_printf(&sb,
					              strchr(ip, ':') ? "[%s]:%lld" : "%s:%lld", ip,
					              (long long)api_json_int(port, "port", 0));
				}
				count++;
			}
		}
	}
	if (json_array_size(subsets) == 0)
		api_sb_add(&sb, "<none>");
	else if (count > API_TMAX_LISTED)
		api_sb_printf(&sb, " + %zu more...", count - API_TMAX_LISTED);
	api_sb_append_to(&sb, cells);
	api_cell_age(cells, ep, "metadata.creationTimestamp", now);
}

/* ---- Namespace ---- */

static const struct api_tcol ns_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Status", "string", "", "The status of the namespace", 0},
    {"Age", "string", "", api_tdoc_created, 0},
};

static void ns_row(const json_t *ns, time_t now, json_t *cells, json_t *row)
{
	api_cell_str(cells, k1s_json_str(ns, "metadata.name"));
	api_cell_str(cells, k1s_json_str(ns, "status.phase"));
	api_cell_age(cells, ns, "metadata.creationTimestamp", now);
}

/* ---- Node ---- */

#define NODE_ADDRS_DOC                                                                             \
	"List of addresses reachable to the node. Queried from cloud provider, if available. "     \
	"More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This "  \
	"field is declared as mergeable, but the merge key is not sufficiently unique, which "     \
	"can cause data corruption when it is merged. Callers should instead use a "               \
	"full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should "    \
	"assume that addresses can change during the lifetime of a Node. However, there are "      \
	"some exceptions where this may not be possible, such as Pods that inherit a Node's "      \
	"address in its own status or consumers of the downward API (status.hostIP)."

static const struct api_tcol node_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Status", "string", "", "The status of the node", 0},
    {"Roles", "string", "", "The roles of the node", 0},
    {"Age", "string", "", api_tdoc_created, 0},
    {"Version", "string", "", "Kubelet Version reported by the node.", 0},
    {"Internal-IP", "string", "", NODE_ADDRS_DOC, 1},
    {"External-IP", "string", "", NODE_ADDRS_DOC, 1},
    {"OS-Image", "string", "",
     "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1},
    {"Kernel-Version", "string", "",
     "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1},
    {"Container-Runtime", "string", "",
     "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
     "containerd://1.4.2).",
     1},
};

static const char *node_address(const json_t *node, const char *type)
{
	size_t i;
	json_t *a;

	json_array_foreach(k1s_json_path(node, "status.addresses"), i, a)
	{
		const char *t = k1s_json_str(a, "type");

		if (t && strcmp(t, type) == 0)
			return k1s_json_str(a, "address") ?: "";
	}
	return "<none>";
}

static void node_row(const json_t *node, time_t now, json_t *cells, json_t *row)
{
	static const char role_prefix[] = "node-role.kubernetes.io/";
	struct api_sb sb = {0};
	const char *ready = NULL, *k;
	json_t *roles = json_array(), *v, *c;
	size_t i;

	api_cell_str(cells, k1s_json_str(node, "metadata.name"));
	/* Only the Ready condition counts; the last one of that type wins. */
	json_array_foreach(k1s_json_path(node, "status.conditions"), i, c)
	{
		const char *t = k1s_json_str(c, "type");

		if (t && strcmp(t, "Ready") == 0)
			ready = str_or(c, "status", "");
	}
	api_sb_add(&sb, !ready ? "Unknown" : strcmp(ready, "True") == 0 ? "Ready" : "NotReady");
	if (json_is_true(k1s_json_path(node, "spec.unschedulable")))
		api_sb_add(&sb, ",SchedulingDisabled");
	api_sb_append_to(&sb, cells);

	json_object_foreach(k1s_json_path(node, "metadata.labels"), k, v)
	{
		if (strncmp(k, role_prefix, sizeof(role_prefix) - 1) == 0 &&
		    k[sizeof(role_prefix) - 1])
			json_array_append_new(roles, json_string(k + sizeof(role_prefix) - 1));
		else if (strcmp(k, "kubernetes.io/role") == 0 && json_string_length(v) > 0)
			json_array_append_new(roles, json_string(json_string_value(v)));
	}
	api_str_set_sort(roles);
	if (json_array_size(roles) == 0)
		api_sb_add(&sb, "<none>");
	else
		api_str_join(&sb, roles, ",");
	json_decref(roles);
	api_sb_append_to(&sb, cells);
	api_cell_age(cells, node, "metadata.creationTimestamp", now);
	api_cell_str(cells, k1s_json_str(node, "status.nodeInfo.kubeletVersion"));
	api_cell_str(cells, node_address(node, "InternalIP"));
	api_cell_str(cells, node_address(node, "ExternalIP"));
	api_cell_str(cells, str_or(node, "status.nodeInfo.osImage", "<unknown>"));
	api_cell_str(cells, str_or(node, "status.nodeInfo.kernelVersion", "<unknown>"));
	api_cell_str(cells, str_or(node, "status.nodeInfo.containerRuntimeVersion", "<unknown>"));
}

/* ---- Secret, ConfigMap ---- */

static const struct api_tcol secret_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Type", "string", "",
     "Used to facilitate programmatic handling of secret data. More info: "
     "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types",
     0},
    {"Data", "string", "",
     "Data contains the secret data. Each key must consist of alphanumeric characters, '-', "
     "'_' or '.'. The serialized form of the secret data is a base64 encoded string, "
     "representing the arbitrary (possibly non-string) data value here. Described in "
     "https://tools.ietf.org/html/rfc4648#section-4",
     0},
    {"Age", "string", "", api_tdoc_created, 0},
};

static void secret_row(const json_t *s, time_t now, json_t *cells, json_t *row)
{
	api_cell_str(cells, k1s_json_str(s, "metadata.name"));
	api_cell_str(cells, k1s_json_str(s, "type"));
	api_cell_int(cells, (json_int_t)api_json_size(s, "data"));
	api_cell_age(cells, s, "metadata.creationTimestamp", now);
}

static const struct api_tcol cm_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Data", "string", "",
     "Data contains the configuration data. Each key must consist of alphanumeric characters, "
     "'-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The "
     "keys stored in Data must not overlap with the keys in the BinaryData field, this is "
     "enforced during validation process.",
     0},
    {"Age", "string", "", api_tdoc_created, 0},
};

static void cm_row(const json_t *cm, time_t now, json_t *cells, json_t *row)
{
	api_cell_str(cells, k1s_json_str(cm, "metadata.name"));
	api_cell_int(cells,
	             (json_int_t)(api_json_size(cm, "data") + api_json_size(cm, "binaryData")));
	api_cell_age(cells, cm, "metadata.creationTimestamp", now);
}

/* ---- Event ---- */

static const struct api_tcol event_cols[] = {
    {"Last Seen", "string", "",
     "The time at which the most recent occurrence of this event was recorded.", 0},
    {"Type", "string", "",
     "Type of this event (Normal, Warning), new types could be added in "
     "the future",
     0},
    {"Reason", "string", "",
     "This should be a short, machine understandable string that gives the reason for the "
     "transition into the object's current status.",
     0},
    {"Object", "string", "", "The object that this event is about.", 0},
    {"Subobject", "string", "",
     "If referring to a piece of an object instead of an entire object, this string should "
     "contain a valid JSON/Go field access statement, such as "
     "desiredState.manifest.containers[2]. For example, if the object reference is to a "
     "container within a pod, this would take on a value like: \"spec.containers{name}\" "
     "(where \"name\" refers to the name of the container that triggered the event) or if no "
     "container name is specified \"spec.containers[2]\" (container with index 2 in this "
     "pod). This syntax is chosen only to have some well-defined way of referencing a part of "
     "an object.",
     1},
    {"Source", "string", "",
     "The component reporting this event. Should be a short machine understandable string.", 1},
    {"Message", "string", "", "A human-readable description of the status of this operation.", 0},
    {"First Seen", "string", "",
     "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1},
    {"Count", "string", "", "The number of times this event has occurred.", 1},
    {"Name", "string", "name", api_tdoc_name, 1},
};

static void event_row(const json_t *ev, time_t now, json_t *cells, json_t *row)
{
	char first[32], lastb[32];
	const char *comp, *inst, *msg, *end;
	const json_t *series = json_object_get(ev, "series");
	json_int_t count = api_json_int(ev, "count", 0);
	struct api_sb sb = {0};
	time_t t;

	if (ts_get(ev, "firstTimestamp", &t))
		api_age(first, sizeof(first), t, now);
	else
		api_age_of(first, sizeof(first), ev, "eventTime", now);
	if (ts_get(ev, "lastTimestamp", &t))
		api_age(lastb, sizeof(lastb), t, now);
	else
		snprintf(lastb, sizeof(lastb), "%s", first);
	if (json_is_object(series)) {
		api_age_of(lastb, sizeof(lastb), series, "lastObservedTime", now);
		count = api_json_int(series, "count", 0);
	} else if (count == 0) {
		/* Events of the events.k8s.io API set no count. */
		count = 1;
	}

	api_cell_str(cells, lastb);
	api_cell_str(cells, k1s_json_str(ev, "type"));
	api_cell_str(cells, k1s_json_str(ev, "reason"));
	for (const char *p = str_or(ev, "involvedObject.kind", ""); *p; p++) {
		char ch = (char)tolower((unsigned char)*p);

		api_sb_addn(&sb, &ch, 1);
	}
	api_sb_add(&sb, "");
	if (*str_or(ev, "involvedObject.name", ""))
		api_sb_printf(&sb, "/%s", k1s_json_str(ev, "involvedObject.name"));
	api_sb_append_to(&sb, cells);
	api_cell_str(cells, k1s_json_str(ev, "involvedObject.fieldPath"));

	/* Source: component and host, each falling back to the reporting
	 * controller and instance of newer events. */
	comp = str_or(ev, "source.component", str_or(ev, "reportingComponent", ""));
	inst = str_or(ev, "source.host", str_or(ev, "reportingInstance", ""));
	api_sb_add(&sb, comp);
	if (*inst)
		api_sb_printf(&sb, ", %s", inst);
	api_sb_append_to(&sb, cells);

	/* strings.TrimSpace */
	msg = str_or(ev, "message", "");
	while (isspace((unsigned char)*msg))
		msg++;
	end = msg + strlen(msg);
	while (end > msg && isspace((unsigned char)end[-1]))
		end--;
	api_sb_add(&sb, "");
	api_sb_addn(&sb, msg, (size_t)(end - msg));
	api_sb_append_to(&sb, cells);

	api_cell_str(cells, first);
	api_cell_int(cells, count);
	api_cell_str(cells, k1s_json_str(ev, "metadata.name"));
}

const struct api_tprinter api_tprinters_core[] = {
    API_TPRINTER("", "pods", pod_cols, pod_row),
    API_TPRINTER("", "services", svc_cols, svc_row),
    API_TPRINTER("", "endpoints", ep_cols, ep_row),
    API_TPRINTER("", "namespaces", ns_cols, ns_row),
    API_TPRINTER("", "nodes", node_cols, node_row),
    API_TPRINTER("", "secrets", secret_cols, secret_row),
    API_TPRINTER("", "configmaps", cm_cols, cm_row),
    API_TPRINTER("", "events", event_cols, event_row),
    {0},
};
