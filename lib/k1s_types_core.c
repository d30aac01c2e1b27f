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
const struct k1s_type k1s_t_ObjectMeta = {"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "", 0, 0};
const struct k1s_type k1s_t_PodTemplateSpec = {"io.k8s.api.core.v1.PodTemplateSpec", "", 0, 0};
const struct k1s_type k1s_t_LabelSelector = {"io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector", "", 0, 0};
const struct k1s_type k1s_t_ObjectReference = {"io.k8s.api.core.v1.ObjectReference", "", 0, 0};
const struct k1s_type k1s_t_TypedLocalObjectReference = {"io.k8s.api.core.v1.TypedLocalObjectReference", "", 0, 0};
