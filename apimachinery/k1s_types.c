/* The resource registry and lookups over the type tables; the tables
 * themselves are in k1s_types_*.c. */
#include <stdio.h>
#include <string.h>

#include "k1s_types.h"
#include "k1s_types_int.h"

#define NS K1S_RF_NAMESPACED

const struct k1s_resource k1s_resources[] = {
	/* core/v1, in kube-apiserver's discovery order where it matters for `get all` */
	{"", "v1", "pods", "pod", "Pod", "po", true, NS | K1S_RF_STATUS, &k1s_t_Pod},
	{"", "v1", "services", "service", "Service", "svc", true, NS | K1S_RF_STATUS, &k1s_t_Service},
	{"", "v1", "endpoints", "endpoints", "Endpoints", "ep", false, NS, &k1s_t_Endpoints},
	{"", "v1", "namespaces", "namespace", "Namespace", "ns", false, K1S_RF_STATUS, &k1s_t_Namespace},
	{"", "v1", "nodes", "node", "Node", "no", false, K1S_RF_STATUS, &k1s_t_Node},
	{"", "v1", "secrets", "secret", "Secret", NULL, false, NS, &k1s_t_Secret},
	{"", "v1", "configmaps", "configmap", "ConfigMap", "cm", false, NS, &k1s_t_ConfigMap},
	{"", "v1", "events", "event", "Event", "ev", false, NS, &k1s_t_Event},
	{"", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", "sa", false, NS,
	 &k1s_t_ServiceAccount},
	{"apps", "v1", "deployments", "deployment", "Deployment", "deploy", true,
	 NS | K1S_RF_STATUS | K1S_RF_SCALE | K1S_RF_GENERATION, &k1s_t_Deployment},
	{"apps", "v1", "replicasets", "replicaset", "ReplicaSet", "rs", true,
	 NS | K1S_RF_STATUS | K1S_RF_SCALE | K1S_RF_GENERATION, &k1s_t_ReplicaSet},
	{"networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", "ing", false,
	 NS | K1S_RF_STATUS | K1S_RF_GENERATION, &k1s_t_Ingress},
	{"networking.k8s.io", "v1", "ingressclasses", "ingressclass", "IngressClass", NULL, false,
	 K1S_RF_GENERATION, &k1s_t_IngressClass},
	{"networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", "netpol",
	 false, NS | K1S_RF_GENERATION, &k1s_t_NetworkPolicy},
	{"discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", NULL, false,
	 NS | K1S_RF_GENERATION, &k1s_t_EndpointSlice},
	{"batch", "v1", "jobs", "job", "Job", NULL, true, NS | K1S_RF_STATUS | K1S_RF_GENERATION,
	 &k1s_t_Job},
	{"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", NULL, false, NS, &k1s_t_Role},
	{"rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", NULL,
	 false, 0, &k1s_t_ClusterRole},
	{"rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", NULL,
	 false, NS, &k1s_t_RoleBinding},
	{"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding",
	 "ClusterRoleBinding", NULL, false, 0, &k1s_t_ClusterRoleBinding},
	{"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
	 "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", NULL, false,
	 K1S_RF_GENERATION, &k1s_t_ValidatingWebhookConfiguration},
	{"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
	 "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", NULL, false,
	 K1S_RF_GENERATION, &k1s_t_MutatingWebhookConfiguration},
	/* cert-manager's kinds, built in, with the names, short names and
	 * categories of its CRDs (deploy/crds/cert-manager.io_*.yaml). As for
	 * any CRD with a status subresource, metadata.generation counts spec
	 * changes. */
	{"cert-manager.io", "v1", "certificates", "certificate", "Certificate", "cert,certs", false,
	 NS | K1S_RF_STATUS | K1S_RF_GENERATION, &k1s_t_cm_Certificate, "cert-manager"},
	{"cert-manager.io", "v1", "issuers", "issuer", "Issuer", "iss", false,
	 NS | K1S_RF_STATUS | K1S_RF_GENERATION, &k1s_t_cm_Issuer, "cert-manager"},
	{"cert-manager.io", "v1", "clusterissuers", "clusterissuer", "ClusterIssuer", "ciss", false,
	 K1S_RF_STATUS | K1S_RF_GENERATION, &k1s_t_cm_ClusterIssuer, "cert-manager"},
	{0},
};

const struct k1s_resource *k1s_resource_find(const char *group, const char *resource)
{
	for (const struct k1s_resource *r = k1s_resources; r->resource; r++)
		if (strcmp(r->group, group) == 0 && strcmp(r->resource, resource) == 0)
			return r;
	return NULL;
}

const struct k1s_resource *k1s_resource_by_kind(const char *group, const char *kind)
{
	for (const struct k1s_resource *r = k1s_resources; r->resource; r++)
		if (strcmp(r->group, group) == 0 && strcmp(r->kind, kind) == 0)
			return r;
	return NULL;
}

const struct k1s_field *k1s_type_field(const struct k1s_type *t, const char *name)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}

static int unknown_in(const struct k1s_type *t, const json_t *obj, const char *path, json_t *errs);

static int unknown_value(const struct k1s_field *f, const json_t *v, const char *path,
			 json_t *errs)
{
	int n = 0;

	if (f->type != K1S_T_OBJECT || !f->ref)
		return 0;
	if (f->container == K1S_C_LIST && json_is_array(v)) {
		size_t i;
		json_t *e;
		char sub[512];

		json_array_foreach(v, i, e) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			n += unknown_in(f->ref, e, sub, errs);
		}
	} else if (f->container == K1S_C_MAP && json_is_object(v)) {
		const char *k;
		json_t *e;
		char sub[512];

		json_object_foreach((json_t *)v, k, e) {
			snprintf(sub, sizeof(sub), "%s[%s]", path, k);
			n += unknown_in(f->ref, e, sub, errs);
		}
	} else if (f->container == K1S_C_NONE) {
		n += unknown_in(f->ref, v, path, errs);
	}
	return n;
}

static int unknown_in(const struct k1s_type *t, const json_t *obj, const char *path, json_t *errs)
{
	/* With errs NULL, unknown members are removed instead of reported. */
	const char *k;
	json_t *v;
	int n = 0;

	/* A type without a field table is open: nothing under it is checked. */
	if (!t || !t->fields || !json_is_object(obj))
		return 0;
	void *tmp;

	json_object_foreach_safe((json_t *)obj, tmp, k, v) {
		const struct k1s_field *f = k1s_type_field(t, k);
		char sub[512];

		if (*path)
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
		else
			snprintf(sub, sizeof(sub), "%s", k);
		if (!f) {
			char msg[600];

			if (errs) {
				snprintf(msg, sizeof(msg), "unknown field \"%s\"", sub);
				json_array_append_new(errs, json_string(msg));
			} else {
				json_object_del((json_t *)obj, k);
			}
			n++;
			continue;
		}
		n += unknown_value(f, v, sub, errs);
	}
	return n;
}

int k1s_types_unknown(const struct k1s_type *t, const json_t *obj, json_t *errs)
{
	return unknown_in(t, obj, "", errs);
}

int k1s_types_prune(const struct k1s_type *t, json_t *obj)
{
	return unknown_in(t, obj, "", NULL);
}
