/* The objects every cluster has from its first start: the system
 * namespaces, the node, the `kubernetes` and `kube-dns` services, the
 * `nginx` IngressClass, and the faces of the modules that run inside k1s
 * (cluster DNS, the ingress): system pods where users look for them.
 * Missing ones are created at every start; the node's status is
 * refreshed, since addresses and capacity may have changed. */
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "api_int.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "st.h"

static int ensure(struct api *api, const char *resource, const char *group, json_t *obj)
{
	const struct k1s_resource *r = k1s_resource_find(group, resource);
	const char *ns = k1s_json_str(obj, "metadata.namespace");
	char key[96];
	json_t *old = NULL;
	int err = 0;

	api_res_key(key, sizeof(key), r);
	if (st_get(api->st, key, ns ? ns : "", k1s_json_str(obj, "metadata.name"), &old) == 0)
		json_decref(old);
	else
		err = api_crud_create_internal(api, r, obj);
	json_decref(obj);
	return err;
}

static void os_image(char *buf, size_t len)
{
	FILE *f = fopen("/etc/os-release", "r");
	char line[128];

	snprintf(buf, len, "Linux");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
			char *v = line + 12;

			v[strcspn(v, "\n")] = '\0';
			if (*v == '"') {
				v++;
				v[strcspn(v, "\"")] = '\0';
			}
			snprintf(buf, len, "%s", v);
			break;
		}
	}
	fclose(f);
}

static json_t *node_status(struct api *api)
{
	struct utsname u;
	struct sysinfo si;
	char cpu[16], mem[32], now[32], image[160];
	const char *arch;

	uname(&u);
	sysinfo(&si);
	snprintf(cpu, sizeof(cpu), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	snprintf(mem, sizeof(mem), "%lluKi",
		 (unsigned long long)si.totalram * si.mem_unit / 1024);
	k1s_time_fmt(now, sizeof(now), time(NULL));
	os_image(image, sizeof(image));
	arch = strcmp(u.machine, "x86_64") == 0	 ? "amd64"
	       : strcmp(u.machine, "aarch64") == 0 ? "arm64"
						   : u.machine;
	json_t *cond = json_array();
	static const char *const pressure[][3] = {
	    {"MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
	    {"DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
	    {"PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
	};

	for (int i = 0; i < 3; i++)
		json_array_append_new(cond, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type",
						      pressure[i][0], "status", "False",
						      "lastHeartbeatTime", now,
						      "lastTransitionTime", now, "reason",
						      pressure[i][1], "message", pressure[i][2]));
	json_array_append_new(cond, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "Ready",
					      "status", "True", "lastHeartbeatTime", now,
					      "lastTransitionTime", now, "reason", "KubeletReady",
					      "message", "kubelet is posting ready status"));
	return json_pack(
	    "{s:{s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s,s:s},s:o,s:[{s:s,s:s},{s:s,s:s}],"
	    "s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},s:{s:{s:i}}}",
	    "capacity", "cpu", cpu, "memory", mem, "pods", "110", "ephemeral-storage", "0",
	    "allocatable", "cpu", cpu, "memory", mem, "pods", "110", "ephemeral-storage", "0",
	    "conditions", cond, "addresses", "type", "InternalIP", "address", api->node_ip, "type",
	    "Hostname", "address", api->node_name, "nodeInfo", "machineID", "", "systemUUID", "",
	    "bootID", "", "kernelVersion", u.release, "osImage", image, "containerRuntimeVersion",
	    "k1s://0.1.0", "kubeletVersion", "v1.32.0-k1s", "kubeProxyVersion", "v1.32.0-k1s",
	    "operatingSystem", "linux", "architecture", arch, "daemonEndpoints",
	    "kubeletEndpoint", "Port", 10250);
}

static int ensure_node(struct api *api)
{
	const struct k1s_resource *r = k1s_resource_find("", "nodes");
	json_t *node = NULL;

	if (st_get(api->st, "nodes", "", api->node_name, &node) == 0) {
		int err;

		json_object_set_new(node, "status", node_status(api));
		err = st_update(api->st, "nodes", "", api->node_name, node, 0);
		json_decref(node);
		return err;
	}
	node = json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s,s:s}},s:{s:s,s:[s]},s:o}", "apiVersion",
			 "v1", "kind", "Node", "metadata", "name", api->node_name, "labels",
			 "kubernetes.io/hostname", api->node_name, "kubernetes.io/os", "linux",
			 "kubernetes.io/arch", "amd64", "node-role.kubernetes.io/control-plane", "",
			 "spec", "podCIDR", api->cfg.pod_cidr, "podCIDRs", api->cfg.pod_cidr,
			 "status", node_status(api));
	int err = api_crud_create_internal(api, r, node);

	json_decref(node);
	return err;
}

/* A face: a pod named as kubelet names a mirror pod (<name>-<node>),
 * bound to the node, whose image the catalog maps to the module
 * (config/images.yaml) and whose annotation says so too; the runtime
 * makes its IP local to the host, where the module answers. */
static json_t *face_pod(const struct api *api, const char *ns, const char *name,
			const char *face, json_t *labels, const char *container, const char *image,
			json_t *ports)
{
	char full[256];

	snprintf(full, sizeof(full), "%s-%s", name, api->node_name);
	return json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:{s:s}},s:{s:s,s:[{s:s,s:s,s:o}]}}",
			 "apiVersion", "v1", "kind", "Pod", "metadata", "name", full,
			 "namespace", ns, "labels", labels, "annotations", "k1s.io/face", face,
			 "spec", "nodeName", api->node_name, "containers", "name", container,
			 "image", image, "ports", ports);
}

static int ensure_faces(struct api *api)
{
	/* The labels of CoreDNS's Deployment and of ingress-nginx's
	 * controller (deploy.yaml), which their Services select. */
	int err = ensure(
	    api, "pods", "",
	    face_pod(api, "kube-system", "coredns", "dns", json_pack("{s:s}", "k8s-app", "kube-dns"),
		     "coredns", "registry.k8s.io/coredns/coredns:v1.11.3",
		     json_pack("[{s:s,s:i,s:s},{s:s,s:i,s:s}]", "name", "dns", "containerPort", 53,
			       "protocol", "UDP", "name", "dns-tcp", "containerPort", 53,
			       "protocol", "TCP")));

	if (err)
		return err;
	return ensure(api, "pods", "",
		      face_pod(api, "ingress-nginx", "ingress-nginx-controller", "ingress",
			       json_pack("{s:s,s:s,s:s}", "app.kubernetes.io/name", "ingress-nginx",
					 "app.kubernetes.io/instance", "ingress-nginx",
					 "app.kubernetes.io/component", "controller"),
			       "controller", "registry.k8s.io/ingress-nginx/controller:v1.9.0",
			       json_pack("[{s:s,s:i,s:s},{s:s,s:i,s:s}]", "name", "http",
					 "containerPort", 80, "protocol", "TCP", "name", "https",
					 "containerPort", 443, "protocol", "TCP")));
}

int api_boot(struct api *api)
{
	static const char *const namespaces[] = {"default", "kube-system", "kube-public",
						 "kube-node-lease", "ingress-nginx", NULL};
	int err = 0;

	st_begin(api->st);
	for (int i = 0; namespaces[i] && !err; i++)
		err = ensure(api, "namespaces", "",
			     json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
				       "metadata", "name", namespaces[i]));
	if (!err)
		err = ensure_node(api);
	if (!err)
		err = ensure(api, "services", "",
			     json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:s,s:[{s:s,s:i,s:s,s:i}]}}",
				       "apiVersion", "v1", "kind", "Service", "metadata", "name",
				       "kubernetes", "namespace", "default", "labels", "component",
				       "apiserver", "provider", "kubernetes", "spec", "clusterIP",
				       "10.96.0.1", "ports", "name", "https", "port", 443,
				       "protocol", "TCP", "targetPort", 6443));
	/* kube-apiserver's endpoint reconciler: the kubernetes Service leads
	 * to the HTTPS port, so that a pod reaches the API at
	 * https://kubernetes.default. Not to a loopback node address, which
	 * a pod cannot reach. */
	if (!err && api->cfg.secure_port && strncmp(api->node_ip, "127.", 4) != 0)
		err = ensure(api, "endpoints", "",
			     json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:[{s:[{s:s}],s:[{s:s,s:i,s:s}]}]}",
				       "apiVersion", "v1", "kind", "Endpoints", "metadata", "name",
				       "kubernetes", "namespace", "default", "labels",
				       "endpointslice.kubernetes.io/skip-mirror", "true", "subsets",
				       "addresses", "ip", api->node_ip, "ports", "name", "https",
				       "port", (int)api->cfg.secure_port, "protocol", "TCP"));
	if (!err && api->cfg.secure_port && strncmp(api->node_ip, "127.", 4) != 0)
		err = ensure(api, "endpointslices", "discovery.k8s.io",
			     json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:s,s:[{s:[s],s:{s:b}}],"
				       "s:[{s:s,s:i,s:s}]}",
				       "apiVersion", "discovery.k8s.io/v1", "kind", "EndpointSlice",
				       "metadata", "name", "kubernetes", "namespace", "default",
				       "labels", "kubernetes.io/service-name", "kubernetes",
				       "addressType", "IPv4", "endpoints", "addresses", api->node_ip,
				       "conditions", "ready", 1, "ports", "name", "https", "port",
				       (int)api->cfg.secure_port, "protocol", "TCP"));
	if (!err)
		err = ensure(
		    api, "services", "",
		    json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s,s:s}},s:{s:{s:s},s:s,s:[{s:s,s:i,s:s,"
			      "s:i},{s:s,s:i,s:s,s:i}]}}",
			      "apiVersion", "v1", "kind", "Service", "metadata", "name", "kube-dns",
			      "namespace", "kube-system", "labels", "k8s-app", "kube-dns",
			      "kubernetes.io/cluster-service", "true", "kubernetes.io/name",
			      "CoreDNS", "spec", "selector", "k8s-app", "kube-dns", "clusterIP",
			      api->cfg.dns_ip ? api->cfg.dns_ip : "10.96.0.10", "ports", "name",
			      "dns", "port", 53, "protocol", "UDP",
			      "targetPort", 53, "name", "dns-tcp", "port", 53, "protocol", "TCP",
			      "targetPort", 53));
	/* The controller name is ingress-nginx's own (its deploy.yaml creates
	 * this class with it), so that installing ingress-nginx's manifest
	 * over the built-in class changes no immutable field. */
	if (!err)
		err = ensure(api, "ingressclasses", "networking.k8s.io",
			     json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s}}", "apiVersion",
				       "networking.k8s.io/v1", "kind", "IngressClass", "metadata",
				       "name", "nginx", "annotations",
				       "ingressclass.kubernetes.io/is-default-class", "true", "spec",
				       "controller", "k8s.io/ingress-nginx"));
	if (!err)
		err = ensure_faces(api);
	if (err) {
		st_rollback(api->st);
		return err;
	}
	err = st_commit(api->st);
	if (!err)
		api_ns_resume(api);
	return err;
}
