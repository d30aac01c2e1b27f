/* Placeholder tables: open types (no field table), so nothing is checked. */
#include "k1s_types_int.h"

const struct k1s_type k1s_t_Pod = {"io.k8s.api.core.v1.Pod", "", 0, 0};
const struct k1s_type k1s_t_Service = {"io.k8s.api.core.v1.Service", "", 0, 0};
const struct k1s_type k1s_t_Endpoints = {"io.k8s.api.core.v1.Endpoints", "", 0, 0};
const struct k1s_type k1s_t_Namespace = {"io.k8s.api.core.v1.Namespace", "", 0, 0};
const struct k1s_type k1s_t_Node = {"io.k8s.api.core.v1.Node", "", 0, 0};
const struct k1s_type k1s_t_Secret = {"io.k8s.api.core.v1.Secret", "", 0, 0};
const struct k1s_type k1s_t_ConfigMap = {"io.k8s.api.core.v1.ConfigMap", "", 0, 0};
const struct k1s_type k1s_t_Event = {"io.k8s.api.core.v1.Event", "", 0, 0};
const struct k1s_type k1s_t_Deployment = {"io.k8s.api.apps.v1.Deployment", "", 0, 0};
const struct k1s_type k1s_t_ReplicaSet = {"io.k8s.api.apps.v1.ReplicaSet", "", 0, 0};
const struct k1s_type k1s_t_Ingress = {"io.k8s.api.networking.v1.Ingress", "", 0, 0};
const struct k1s_type k1s_t_IngressClass = {"io.k8s.api.networking.v1.IngressClass", "", 0, 0};
const struct k1s_type k1s_t_NetworkPolicy = {"io.k8s.api.networking.v1.NetworkPolicy", "", 0, 0};
const struct k1s_type k1s_t_EndpointSlice = {"io.k8s.api.discovery.v1.EndpointSlice", "", 0, 0};

const struct k1s_type *const k1s_all_types[] = {
	&k1s_t_Pod, &k1s_t_Service, &k1s_t_Endpoints, &k1s_t_Namespace, &k1s_t_Node,
	&k1s_t_Secret, &k1s_t_ConfigMap, &k1s_t_Event, &k1s_t_Deployment, &k1s_t_ReplicaSet,
	&k1s_t_Ingress, &k1s_t_IngressClass, &k1s_t_NetworkPolicy, &k1s_t_EndpointSlice, NULL,
};
