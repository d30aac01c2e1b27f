/* The type tables, shared between the k1s_types_*.c files. */
#ifndef K1S_TYPES_INT_H
#define K1S_TYPES_INT_H

#include "k1s_types.h"

#define K1S_NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* Top-level kinds: core/v1 in k1s_types_core.c, ServiceAccount, RBAC and
 * webhook configurations in k1s_types_auth.c, Job in k1s_types_batch.c, the
 * others in k1s_types_apps.c. */
extern const struct k1s_type k1s_t_Pod, k1s_t_Service, k1s_t_Endpoints, k1s_t_Namespace,
	k1s_t_Node, k1s_t_Secret, k1s_t_ConfigMap, k1s_t_Event, k1s_t_Deployment,
	k1s_t_ReplicaSet, k1s_t_Ingress, k1s_t_IngressClass, k1s_t_NetworkPolicy,
	k1s_t_EndpointSlice, k1s_t_ServiceAccount, k1s_t_Role, k1s_t_ClusterRole,
	k1s_t_RoleBinding, k1s_t_ClusterRoleBinding, k1s_t_ValidatingWebhookConfiguration,
	k1s_t_MutatingWebhookConfiguration, k1s_t_Job;

/* cert-manager.io/v1, generated from cert-manager's CRDs into k1s_types_cm.c. */
extern const struct k1s_type k1s_t_cm_Certificate, k1s_t_cm_Issuer, k1s_t_cm_ClusterIssuer;

/* Types of k1s_types_core.c that the other groups' types refer to. */
extern const struct k1s_type k1s_t_ObjectMeta, k1s_t_PodTemplateSpec, k1s_t_LabelSelector,
	k1s_t_ObjectReference, k1s_t_TypedLocalObjectReference, k1s_t_LocalObjectReference;

/* The type meta every top-level kind starts with: not on the protobuf wire,
 * where the runtime.Unknown envelope carries it. */
#define K1S_TYPEMETA                                                                               \
	{"apiVersion", K1S_T_STRING, K1S_C_NONE, NULL, 0, NULL, NULL, 0,                           \
	 "APIVersion defines the versioned schema of this representation of an object. Servers "  \
	 "should convert recognized schemas to the latest internal value, and may reject "         \
	 "unrecognized values. More info: "                                                       \
	 "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"    \
	 "#resources"},                                                                            \
	{"kind", K1S_T_STRING, K1S_C_NONE, NULL, 0, NULL, NULL, 0,                                 \
	 "Kind is a string value representing the REST resource this object represents. Servers " \
	 "may infer this from the endpoint the client submits requests to. Cannot be updated. In " \
	 "CamelCase. More info: "                                                                 \
	 "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"    \
	 "#types-kinds"}

#endif
