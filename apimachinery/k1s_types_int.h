/* The type tables, shared between the k1s_types_*.c files. */
#ifndef K1S_TYPES_INT_H
#define K1S_TYPES_INT_H

#include "k1s_types.h"

#define K1S_NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* Top-level kinds: core/v1 in k1s_types_core.c, the others in k1s_types_apps.c. */
extern const struct k1s_type k1s_t_Pod, k1s_t_Service, k1s_t_Endpoints, k1s_t_Namespace,
	k1s_t_Node, k1s_t_Secret, k1s_t_ConfigMap, k1s_t_Event, k1s_t_Deployment,
	k1s_t_ReplicaSet, k1s_t_Ingress, k1s_t_IngressClass, k1s_t_NetworkPolicy,
	k1s_t_EndpointSlice;

/* Types of k1s_types_core.c that the other groups' types refer to. */
extern const struct k1s_type k1s_t_ObjectMeta, k1s_t_PodTemplateSpec, k1s_t_LabelSelector,
	k1s_t_ObjectReference, k1s_t_TypedLocalObjectReference;

#endif
