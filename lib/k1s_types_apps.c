/* Placeholder tables: open types (no field table), so nothing is checked. */
#include "k1s_types_int.h"

const struct k1s_type k1s_t_Deployment = {"io.k8s.api.apps.v1.Deployment", "", 0, 0};
const struct k1s_type k1s_t_ReplicaSet = {"io.k8s.api.apps.v1.ReplicaSet", "", 0, 0};
const struct k1s_type k1s_t_Ingress = {"io.k8s.api.networking.v1.Ingress", "", 0, 0};
const struct k1s_type k1s_t_IngressClass = {"io.k8s.api.networking.v1.IngressClass", "", 0, 0};
const struct k1s_type k1s_t_NetworkPolicy = {"io.k8s.api.networking.v1.NetworkPolicy", "", 0, 0};
const struct k1s_type k1s_t_EndpointSlice = {"io.k8s.api.discovery.v1.EndpointSlice", "", 0, 0};
