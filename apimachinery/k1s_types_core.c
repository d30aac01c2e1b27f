/* Type tables of meta/v1 and of the core/v1 kinds other than Pod: Service,
 * Endpoints, Namespace, Node, Secret, ConfigMap and Event. Pod and its
 * subtree are in k1s_types_core_pod.c.
 *
 * Field numbers are those of k8s.io/api core/v1 and k8s.io/apimachinery
 * meta/v1 generated.proto; merge keys, list-map keys and required fields
 * follow the struct tags and markers of the Go types; descriptions are
 * kube-apiserver's, shortened where the type matters little. */
#include <stddef.h>

#include "k1s_types_int.h"

/* One field, and shorthands for the common shapes. */
#define FLD(n, t, c, r, p, mk, lmk, fl, d)                                             \
	{ .name = (n), .type = (t), .container = (c), .ref = (r), .proto = (p),        \
	  .merge_key = (mk), .list_map_keys = (lmk), .flags = (fl), .doc = (d) }
#define S(n, p, fl, d) FLD(n, K1S_T_STRING, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define I32(n, p, fl, d) FLD(n, K1S_T_INT32, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define I64(n, p, fl, d) FLD(n, K1S_T_INT64, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define B(n, p, fl, d) FLD(n, K1S_T_BOOL, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define T(n, p, fl, d) FLD(n, K1S_T_TIME, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define MT(n, p, fl, d) FLD(n, K1S_T_MICROTIME, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define O(n, r, p, fl, d) FLD(n, K1S_T_OBJECT, K1S_C_NONE, r, p, NULL, NULL, fl, d)
#define L(n, r, p, mk, lmk, fl, d) FLD(n, K1S_T_OBJECT, K1S_C_LIST, r, p, mk, lmk, fl, d)
#define SL(n, p, fl, d) FLD(n, K1S_T_STRING, K1S_C_LIST, NULL, p, NULL, NULL, fl, d)
#define SM(n, p, d) FLD(n, K1S_T_STRING, K1S_C_MAP, NULL, p, NULL, NULL, 0, d)
#define BM(n, p, d) FLD(n, K1S_T_BYTES, K1S_C_MAP, NULL, p, NULL, NULL, 0, d)
#define QM(n, p, d) FLD(n, K1S_T_QUANTITY, K1S_C_MAP, NULL, p, NULL, NULL, 0, d)
#define ANY(n, p, d) FLD(n, K1S_T_ANY, K1S_C_NONE, NULL, p, NULL, NULL, 0, d)
#define ANYL(n, p, mk, lmk, d) FLD(n, K1S_T_ANY, K1S_C_LIST, NULL, p, mk, lmk, 0, d)
#define R K1S_FF_REQUIRED

#define TYPE(var, oname, d) const struct k1s_type var = { oname, d, var##_f, K1S_NFIELDS(var##_f) }
#define META "io.k8s.apimachinery.pkg.apis.meta.v1."
#define CORE "io.k8s.api.core.v1."

/* The members every top-level kind starts with. */
#define DOC_APIVERSION                                                                   \
	"APIVersion defines the versioned schema of this representation of an object. "  \
	"Servers should convert recognized schemas to the latest internal value, and may " \
	"reject unrecognized values. More info: "                                          \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
#define DOC_KIND                                                                         \
	"Kind is a string value representing the REST resource this object represents. " \
	"Servers may infer this from the endpoint the client submits requests to. Cannot " \
	"be updated. In CamelCase. More info: "                                            \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
#define DOC_METADATA                                                                     \
	"Standard object's metadata. More info: "                                         \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
#define DOC_SPEC_STATUS                                                                  \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status"
#define KIND_HEAD                                                                        \
	S("apiVersion", 0, 0, DOC_APIVERSION), S("kind", 0, 0, DOC_KIND),                \
	O("metadata", &k1s_t_ObjectMeta, 1, 0, DOC_METADATA)

/* ---- meta/v1 ---- */

static const struct k1s_field t_ManagedFieldsEntry_f[] = {
	S("manager", 1, 0, "Manager is an identifier of the workflow managing these fields."),
	S("operation", 2, 0,
	  "Operation is the type of operation which lead to this ManagedFieldsEntry being "
	  "created. The only valid values for this field are 'Apply' and 'Update'."),
	S("apiVersion", 3, 0,
	  "APIVersion defines the version of this resource that this field set applies to. "
	  "The format is \"group/version\" just like the top-level APIVersion field. It is "
	  "necessary to track the version of a field set because it cannot be automatically "
	  "converted."),
	T("time", 4, 0,
	  "Time is the timestamp of when the ManagedFields entry was added. The timestamp will "
	  "also be updated if a field is added, the manager changes any of the owned fields "
	  "value or removes a field. The timestamp does not update when a field is removed "
	  "from the entry because another manager took it over."),
	S("fieldsType", 6, 0,
	  "FieldsType is the discriminator for the different fields format and version. "
	  "There is currently only one possible value: \"FieldsV1\""),
	ANY("fieldsV1", 7,
	    "FieldsV1 holds the first JSON version format as described in the \"FieldsV1\" "
	    "type."),
	S("subresource", 8, 0,
	  "Subresource is the name of the subresource used to update that object, or empty "
	  "string if the object was updated through the main resource. The value of this "
	  "field is used to distinguish between managers, even if they share the same name. "
	  "For example, a status update will be distinct from a regular update using the same "
	  "manager name. Note that the APIVersion field is not related to the Subresource "
	  "field and it always corresponds to the version of the main resource."),
};
static TYPE(t_ManagedFieldsEntry, META "ManagedFieldsEntry",
	    "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the "
	    "resource that the fieldset applies to.");

static const struct k1s_field t_OwnerReference_f[] = {
	S("apiVersion", 5, R, "API version of the referent."),
	S("kind", 1, R,
	  "Kind of the referent. More info: "
	  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"),
	S("name", 3, R,
	  "Name of the referent. More info: "
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"),
	S("uid", 4, R,
	  "UID of the referent. More info: "
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids"),
	B("controller", 6, 0, "If true, this reference points to the managing controller."),
	B("blockOwnerDeletion", 7, 0,
	  "If true, AND if the owner has the \"foregroundDeletion\" finalizer, then the owner "
	  "cannot be deleted from the key-value store until this reference is removed. See "
	  "https://kubernetes.io/docs/concepts/architecture/garbage-collection/#foreground-deletion "
	  "for how the garbage collector interacts with this field and enforces the foreground "
	  "deletion. Defaults to false. To set this field, a user needs \"delete\" permission "
	  "of the owner, otherwise 422 (Unprocessable Entity) will be returned."),
};
static TYPE(t_OwnerReference, META "OwnerReference",
	    "OwnerReference contains enough information to let you identify an owning object. "
	    "An owning object must be in the same namespace as the dependent, or be "
	    "cluster-scoped, so there is no namespace field.");

static const struct k1s_field k1s_t_ObjectMeta_f[] = {
	S("name", 1, 0,
	  "Name must be unique within a namespace. Is required when creating resources, "
	  "although some resources may allow a client to request the generation of an "
	  "appropriate name automatically. Name is primarily intended for creation "
	  "idempotence and configuration definition. Cannot be updated. More info: "
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"),
	S("generateName", 2, 0,
	  "GenerateName is an optional prefix, used by the server, to generate a unique name "
	  "ONLY IF the Name field has not been provided. If this field is used, the name "
	  "returned to the client will be different than the name passed. This value will "
	  "also be combined with a unique suffix. The provided value has the same validation "
	  "rules as the Name field, and may be truncated by the length of the suffix required "
	  "to make the value unique on the server.\n\nIf this field is specified and the "
	  "generated name exists, the server will return a 409.\n\nApplied only if Name is "
	  "not specified. More info: "
	  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#idempotency"),
	S("namespace", 3, 0,
	  "Namespace defines the space within which each name must be unique. An empty "
	  "namespace is equivalent to the \"default\" namespace, but \"default\" is the "
	  "canonical representation. Not all objects are required to be scoped to a namespace "
	  "- the value of this field for those objects will be empty.\n\nMust be a DNS_LABEL. "
	  "Cannot be updated. More info: "
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces"),
	S("selfLink", 4, 0,
	  "Deprecated: selfLink is a legacy read-only field that is no longer populated by the "
	  "system."),
	S("uid", 5, 0,
	  "UID is the unique in time and space value for this object. It is typically "
	  "generated by the server on successful creation of a resource and is not allowed to "
	  "change on PUT operations.\n\nPopulated by the system. Read-only. More info: "
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids"),
	S("resourceVersion", 6, 0,
	  "An opaque value that represents the internal version of this object that can be "
	  "used by clients to determine when objects have changed. May be used for optimistic "
	  "concurrency, change detection, and the watch operation on a resource or set of "
	  "resources. Clients must treat these values as opaque and passed unmodified back to "
	  "the server. They may only be valid for a particular resource or set of "
	  "resources.\n\nPopulated by the system. Read-only. Value must be treated as opaque "
	  "by clients and . More info: "
	  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency"),
	I64("generation", 7, 0,
	    "A sequence number representing a specific generation of the desired state. "
	    "Populated by the system. Read-only."),
	T("creationTimestamp", 8, 0,
	  "CreationTimestamp is a timestamp representing the server time when this object was "
	  "created. It is not guaranteed to be set in happens-before order across separate "
	  "operations. Clients may not set this value. It is represented in RFC3339 form and "
	  "is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
	  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"),
	T("deletionTimestamp", 9, 0,
	  "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. "
	  "This field is set by the server when a graceful deletion is requested by the user, "
	  "and is not directly settable by a client. The resource is expected to be deleted "
	  "(no longer visible from resource lists, and not reachable by name) after the time "
	  "in this field, once the finalizers list is empty. As long as the finalizers list "
	  "contains items, deletion is blocked. Once the deletionTimestamp is set, this value "
	  "may not be unset or be set further into the future, although it may be shortened "
	  "or the resource may be deleted prior to this time. For example, a user may request "
	  "that a pod is deleted in 30 seconds. The Kubelet will react by sending a graceful "
	  "termination signal to the containers in the pod. After that 30 seconds, the Kubelet "
	  "will send a hard termination signal (SIGKILL) to the container and after cleanup, "
	  "remove the pod from the API. In the presence of network partitions, this object may "
	  "still exist after this timestamp, until an administrator or automated process can "
	  "determine the resource is fully terminated. If not set, graceful deletion of the "
	  "object has not been requested.\n\nPopulated by the system when a graceful deletion "
	  "is requested. Read-only. More info: "
	  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"),
	I64("deletionGracePeriodSeconds", 10, 0,
	    "Number of seconds allowed for this object to gracefully terminate before it will "
	    "be removed from the system. Only set when deletionTimestamp is also set. May only "
	    "be shortened. Read-only."),
	SM("labels", 11,
	   "Map of string keys and values that can be used to organize and categorize (scope "
	   "and select) objects. May match selectors of replication controllers and services. "
	   "More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels"),
	SM("annotations", 12,
	   "Annotations is an unstructured key value map stored with a resource that may be "
	   "set by external tools to store and retrieve arbitrary metadata. They are not "
	   "queryable and should be preserved when modifying objects. More info: "
	   "https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations"),
	L("ownerReferences", &t_OwnerReference, 13, "uid", "uid", 0,
	  "List of objects depended by this object. If ALL objects in the list have been "
	  "deleted, this object will be garbage collected. If this object is managed by a "
	  "controller, then an entry in this list will point to this controller, with the "
	  "controller field set to true. There cannot be more than one managing controller."),
	FLD("finalizers", K1S_T_STRING, K1S_C_LIST, NULL, 14, NULL, NULL,
	    K1S_FF_MERGE_PRIMITIVES,
	    "Must be empty before the object is deleted from the registry. Each entry is an "
	    "identifier for the responsible component that will remove the entry from the "
	    "list. If the deletionTimestamp of the object is non-nil, entries in this list can "
	    "only be removed. Finalizers may be processed and removed in any order.  Order is "
	    "NOT enforced because it introduces significant risk of stuck finalizers. "
	    "finalizers is a shared field, any actor with permission can reorder it. If the "
	    "finalizer list is processed in order, then this can lead to a situation in which "
	    "the component responsible for the first finalizer in the list is waiting for a "
	    "signal (field value, external system, or other) produced by a component "
	    "responsible for a finalizer later in the list, resulting in a deadlock. Without "
	    "enforced ordering finalizers are free to order amongst themselves and are not "
	    "vulnerable to ordering changes in the list."),
	L("managedFields", &t_ManagedFieldsEntry, 17, NULL, NULL, 0,
	  "ManagedFields maps workflow-id and version to the set of fields that are managed by "
	  "that workflow. This is mostly for internal housekeeping, and users typically "
	  "shouldn't need to set or understand this field. A workflow can be the user's name, "
	  "a controller's name, or the name of a specific apply path like \"ci-cd\". The set "
	  "of fields is always in the version that the workflow used when modifying the "
	  "object."),
};
TYPE(k1s_t_ObjectMeta, META "ObjectMeta",
     "ObjectMeta is metadata that all persisted resources must have, which includes all "
     "objects users must create.");

static const struct k1s_field t_LabelSelectorRequirement_f[] = {
	S("key", 1, R, "key is the label key that the selector applies to."),
	S("operator", 2, R,
	  "operator represents a key's relationship to a set of values. Valid operators are "
	  "In, NotIn, Exists and DoesNotExist."),
	SL("values", 3, 0,
	   "values is an array of string values. If the operator is In or NotIn, the values "
	   "array must be non-empty. If the operator is Exists or DoesNotExist, the values "
	   "array must be empty. This array is replaced during a strategic merge patch."),
};
static TYPE(t_LabelSelectorRequirement, META "LabelSelectorRequirement",
	    "A label selector requirement is a selector that contains values, a key, and an "
	    "operator that relates the key and values.");

static const struct k1s_field k1s_t_LabelSelector_f[] = {
	SM("matchLabels", 1,
	   "matchLabels is a map of {key,value} pairs. A single {key,value} in the matchLabels "
	   "map is equivalent to an element of matchExpressions, whose key field is \"key\", "
	   "the operator is \"In\", and the values array contains only \"value\". The "
	   "requirements are ANDed."),
	L("matchExpressions", &t_LabelSelectorRequirement, 2, NULL, NULL, 0,
	  "matchExpressions is a list of label selector requirements. The requirements are "
	  "ANDed."),
};
TYPE(k1s_t_LabelSelector, META "LabelSelector",
     "A label selector is a label query over a set of resources. The result of matchLabels "
     "and matchExpressions are ANDed. An empty label selector matches all objects. A null "
     "label selector matches no objects.");

static const struct k1s_field t_Condition_f[] = {
	S("type", 1, R, "type of condition in CamelCase or in foo.example.com/CamelCase."),
	S("status", 2, R, "status of the condition, one of True, False, Unknown."),
	I64("observedGeneration", 3, 0,
	    "observedGeneration represents the .metadata.generation that the condition was set "
	    "based upon. For instance, if .metadata.generation is currently 12, but the "
	    ".status.conditions[x].observedGeneration is 9, the condition is out of date with "
	    "respect to the current state of the instance."),
	T("lastTransitionTime", 4, R,
	  "lastTransitionTime is the last time the condition transitioned from one status to "
	  "another. This should be when the underlying condition changed.  If that is not "
	  "known, then using the time when the API field changed is acceptable."),
	S("reason", 5, R,
	  "reason contains a programmatic identifier indicating the reason for the "
	  "condition's last transition. Producers of specific condition types may define "
	  "expected values and meanings for this field, and whether the values are considered "
	  "a guaranteed API. The value should be a CamelCase string. This field may not be "
	  "empty."),
	S("message", 6, R,
	  "message is a human readable message indicating details about the transition. This "
	  "may be an empty string."),
};
static TYPE(t_Condition, META "Condition",
	    "Condition contains details for one aspect of the current state of this API "
	    "Resource.");

/* ---- references ---- */

static const struct k1s_field k1s_t_ObjectReference_f[] = {
	S("kind", 1, 0,
	  "Kind of the referent. More info: "
	  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"),
	S("namespace", 2, 0,
	  "Namespace of the referent. More info: "
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/"),
	S("name", 3, 0,
	  "Name of the referent. More info: "
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names"),
	S("uid", 4, 0,
	  "UID of the referent. More info: "
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#uids"),
	S("apiVersion", 5, 0, "API version of the referent."),
	S("resourceVersion", 6, 0,
	  "Specific resourceVersion to which this reference is made, if any. More info: "
	  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency"),
	S("fieldPath", 7, 0,
	  "If referring to a piece of an object instead of an entire object, this string "
	  "should contain a valid JSON/Go field access statement, such as "
	  "desiredState.manifest.containers[2]. For example, if the object reference is to a "
	  "container within a pod, this would take on a value like: \"spec.containers{name}\" "
	  "(where \"name\" refers to the name of the container that triggered the event) or if "
	  "no container name is specified \"spec.containers[2]\" (container with index 2 in "
	  "this pod). This syntax is chosen only to have some well-defined way of referencing "
	  "a part of an object."),
};
TYPE(k1s_t_ObjectReference, CORE "ObjectReference",
     "ObjectReference contains enough information to let you inspect or modify the "
     "referred object.");

static const struct k1s_field k1s_t_TypedLocalObjectReference_f[] = {
	S("apiGroup", 1, 0,
	  "APIGroup is the group for the resource being referenced. If APIGroup is not "
	  "specified, the specified Kind must be in the core API group. For any other "
	  "third-party types, APIGroup is required."),
	S("kind", 2, R, "Kind is the type of resource being referenced"),
	S("name", 3, R, "Name is the name of resource being referenced"),
};
TYPE(k1s_t_TypedLocalObjectReference, CORE "TypedLocalObjectReference",
     "TypedLocalObjectReference contains enough information to let you locate the typed "
     "referenced object inside the same namespace.");

/* ---- Service ---- */

static const struct k1s_field t_ServicePort_f[] = {
	S("name", 1, 0,
	  "The name of this port within the service. This must be a DNS_LABEL. All ports "
	  "within a ServiceSpec must have unique names. When considering the endpoints for a "
	  "Service, this must match the 'name' field in the EndpointPort. Optional if only one "
	  "ServicePort is defined on this service."),
	S("protocol", 2, 0,
	  "The IP protocol for this port. Supports \"TCP\", \"UDP\", and \"SCTP\". Default is "
	  "TCP."),
	S("appProtocol", 6, 0,
	  "The application protocol for this port. This is used as a hint for implementations "
	  "to offer richer behavior for protocols that they understand. This field follows "
	  "standard Kubernetes label syntax. Valid values are either:\n\n* Un-prefixed "
	  "protocol names - reserved for IANA standard service names (as per RFC-6335 and "
	  "https://www.iana.org/assignments/service-names).\n\n* Kubernetes-defined prefixed "
	  "names:\n  * 'kubernetes.io/h2c' - HTTP/2 prior knowledge over cleartext as "
	  "described in "
	  "https://www.rfc-editor.org/rfc/rfc9113.html#name-starting-http-2-with-prior-\n  * "
	  "'kubernetes.io/ws'  - WebSocket over cleartext as described in "
	  "https://www.rfc-editor.org/rfc/rfc6455\n  * 'kubernetes.io/wss' - WebSocket over "
	  "TLS as described in https://www.rfc-editor.org/rfc/rfc6455\n\n* Other protocols "
	  "should use implementation-defined prefixed names such as "
	  "mycompany.com/my-custom-protocol."),
	I32("port", 3, R, "The port that will be exposed by this service."),
	FLD("targetPort", K1S_T_INT_OR_STRING, K1S_C_NONE, NULL, 4, NULL, NULL, 0,
	    "Number or name of the port to access on the pods targeted by the service. Number "
	    "must be in the range 1 to 65535. Name must be an IANA_SVC_NAME. If this is a "
	    "string, it will be looked up as a named port in the target Pod's container ports. "
	    "If this is not specified, the value of the 'port' field is used (an identity "
	    "map). This field is ignored for services with clusterIP=None, and should be "
	    "omitted or set equal to the 'port' field. More info: "
	    "https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service"),
	I32("nodePort", 5, 0,
	    "The port on each node on which this service is exposed when type is NodePort or "
	    "LoadBalancer.  Usually assigned by the system. If a value is specified, in-range, "
	    "and not in use it will be used, otherwise the operation will fail.  If not "
	    "specified, a port will be allocated if this Service requires one.  If this field "
	    "is specified when creating a Service which does not need it, creation will fail. "
	    "This field will be wiped when updating a Service to no longer need it (e.g. "
	    "changing type from NodePort to ClusterIP). More info: "
	    "https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport"),
};
static TYPE(t_ServicePort, CORE "ServicePort", "ServicePort contains information on service's port.");

static const struct k1s_field t_ClientIPConfig_f[] = {
	I32("timeoutSeconds", 1, 0,
	    "timeoutSeconds specifies the seconds of ClientIP type session sticky time. The "
	    "value must be >0 && <=86400(for 1 day) if ServiceAffinity == \"ClientIP\". "
	    "Default value is 10800(for 3 hours)."),
};
static TYPE(t_ClientIPConfig, CORE "ClientIPConfig",
	    "ClientIPConfig represents the configurations of Client IP based session affinity.");

static const struct k1s_field t_SessionAffinityConfig_f[] = {
	O("clientIP", &t_ClientIPConfig, 1, 0,
	  "clientIP contains the configurations of Client IP based session affinity."),
};
static TYPE(t_SessionAffinityConfig, CORE "SessionAffinityConfig",
	    "SessionAffinityConfig represents the configurations of session affinity.");

static const struct k1s_field t_ServiceSpec_f[] = {
	L("ports", &t_ServicePort, 1, "port", "port,protocol", 0,
	  "The list of ports that are exposed by this service. More info: "
	  "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
	SM("selector", 2,
	   "Route service traffic to pods with label keys and values matching this selector. "
	   "If empty or not present, the service is assumed to have an external process "
	   "managing its endpoints, which Kubernetes will not modify. Only applies to types "
	   "ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: "
	   "https://kubernetes.io/docs/concepts/services-networking/service/"),
	S("clusterIP", 3, 0,
	  "clusterIP is the IP address of the service and is usually assigned randomly. If an "
	  "address is specified manually, is in-range (as per system configuration), and is "
	  "not in use, it will be allocated to the service; otherwise creation of the service "
	  "will fail. This field may not be changed through updates unless the type field is "
	  "also being changed to ExternalName (which requires this field to be blank) or the "
	  "type field is being changed from ExternalName (in which case this field may "
	  "optionally be specified, as describe above).  Valid values are \"None\", empty "
	  "string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless "
	  "service\" (no virtual IP), which is useful when direct endpoint connections are "
	  "preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, "
	  "and LoadBalancer. If this field is specified when creating a Service of type "
	  "ExternalName, creation will fail. This field will be wiped when updating a Service "
	  "to type ExternalName. More info: "
	  "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
	SL("clusterIPs", 18, 0,
	   "ClusterIPs is a list of IP addresses assigned to this service, and are usually "
	   "assigned randomly.  If an address is specified manually, is in-range (as per "
	   "system configuration), and is not in use, it will be allocated to the service; "
	   "otherwise creation of the service will fail. This field may not be changed "
	   "through updates unless the type field is also being changed to ExternalName "
	   "(which requires this field to be empty) or the type field is being changed from "
	   "ExternalName (in which case this field may optionally be specified, as describe "
	   "above).  Valid values are \"None\", empty string (\"\"), or a valid IP address.  "
	   "Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is "
	   "useful when direct endpoint connections are preferred and proxying is not "
	   "required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this "
	   "field is specified when creating a Service of type ExternalName, creation will "
	   "fail. This field will be wiped when updating a Service to type ExternalName.  If "
	   "this field is not specified, it will be initialized from the clusterIP field.  If "
	   "this field is specified, clients must ensure that clusterIPs[0] and clusterIP have "
	   "the same value.\n\nThis field may hold a maximum of two entries (dual-stack IPs, "
	   "in either order). These IPs must correspond to the values of the ipFamilies "
	   "field. Both clusterIPs and ipFamilies are governed by the ipFamilyPolicy field. "
	   "More info: "
	   "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
	S("type", 4, 0,
	  "type determines how the Service is exposed. Defaults to ClusterIP. Valid options "
	  "are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a "
	  "cluster-internal IP address for load-balancing to endpoints. Endpoints are "
	  "determined by the selector or if that is not specified, by manual construction of "
	  "an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual "
	  "IP is allocated and the endpoints are published as a set of endpoints rather than "
	  "a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node "
	  "which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on "
	  "NodePort and creates an external load-balancer (if supported in the current cloud) "
	  "which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this "
	  "service to the specified externalName. Several other fields do not apply to "
	  "ExternalName services. More info: "
	  "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"),
	SL("externalIPs", 5, 0,
	   "externalIPs is a list of IP addresses for which nodes in the cluster will also "
	   "accept traffic for this service.  These IPs are not managed by Kubernetes.  The "
	   "user is responsible for ensuring that traffic arrives at a node with this IP.  A "
	   "common example is external load-balancers that are not part of the Kubernetes "
	   "system."),
	S("sessionAffinity", 7, 0,
	  "Supports \"ClientIP\" and \"None\". Used to maintain session affinity. Enable "
	  "client IP based session affinity. Must be ClientIP or None. Defaults to None. More "
	  "info: "
	  "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
	S("loadBalancerIP", 8, 0,
	  "Only applies to Service Type: LoadBalancer. This feature depends on whether the "
	  "underlying cloud-provider supports specifying the loadBalancerIP when a load "
	  "balancer is created. This field will be ignored if the cloud-provider does not "
	  "support the feature. Deprecated: This field was under-specified and its meaning "
	  "varies across implementations. Using it is non-portable and it may not support "
	  "dual-stack. Users are encouraged to use implementation-specific annotations when "
	  "available."),
	SL("loadBalancerSourceRanges", 9, 0,
	   "If specified and supported by the platform, this will restrict traffic through "
	   "the cloud-provider load-balancer will be restricted to the specified client IPs. "
	   "This field will be ignored if the cloud-provider does not support the feature.\" "
	   "More info: "
	   "https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/"),
	S("externalName", 10, 0,
	  "externalName is the external reference that discovery mechanisms will return as an "
	  "alias for this service (e.g. a DNS CNAME record). No proxying will be involved.  "
	  "Must be a lowercase RFC-1123 hostname (https://tools.ietf.org/html/rfc1123) and "
	  "requires `type` to be \"ExternalName\"."),
	S("externalTrafficPolicy", 11, 0,
	  "externalTrafficPolicy describes how nodes distribute service traffic they receive "
	  "on one of the Service's \"externally-facing\" addresses (NodePorts, ExternalIPs, "
	  "and LoadBalancer IPs). If set to \"Local\", the proxy will configure the service in "
	  "a way that assumes that external load balancers will take care of balancing the "
	  "service traffic between nodes, and so each node will deliver traffic only to the "
	  "node-local endpoints of the service, without masquerading the client source IP. "
	  "(Traffic mistakenly sent to a node with no endpoints will be dropped.) The default "
	  "value, \"Cluster\", uses the standard behavior of routing to all endpoints evenly "
	  "(possibly modified by topology and other features). Note that traffic sent to an "
	  "External IP or LoadBalancer IP from within the cluster will always get \"Cluster\" "
	  "semantics, but clients sending to a NodePort from within the cluster may need to "
	  "take traffic policy into account when picking a node."),
	I32("healthCheckNodePort", 12, 0,
	    "healthCheckNodePort specifies the healthcheck nodePort for the service. This only "
	    "applies when type is set to LoadBalancer and externalTrafficPolicy is set to "
	    "Local. If a value is specified, is in-range, and is not in use, it will be used.  "
	    "If not specified, a value will be automatically allocated.  External systems "
	    "(e.g. load-balancers) can use this port to determine if a given node holds "
	    "endpoints for this service or not.  If this field is specified when creating a "
	    "Service which does not need it, creation will fail. This field will be wiped "
	    "when updating a Service to no longer need it (e.g. changing type). This field "
	    "cannot be updated once set."),
	B("publishNotReadyAddresses", 13, 0,
	  "publishNotReadyAddresses indicates that any agent which deals with endpoints for "
	  "this Service should disregard any indications of ready/not-ready. The primary use "
	  "case for setting this field is for a StatefulSet's Headless Service to propagate "
	  "SRV DNS records for its Pods for the purpose of peer discovery. The Kubernetes "
	  "controllers that generate Endpoints and EndpointSlice resources for Services "
	  "interpret this to mean that all endpoints are considered \"ready\" even if the "
	  "Pods themselves are not. Agents which consume only Kubernetes generated endpoints "
	  "through the Endpoints or EndpointSlice resources can safely assume this behavior."),
	O("sessionAffinityConfig", &t_SessionAffinityConfig, 14, 0,
	  "sessionAffinityConfig contains the configurations of session affinity."),
	SL("ipFamilies", 19, 0,
	   "IPFamilies is a list of IP families (e.g. IPv4, IPv6) assigned to this service. "
	   "This field is usually assigned automatically based on cluster configuration and "
	   "the ipFamilyPolicy field. If this field is specified manually, the requested "
	   "family is available in the cluster, and ipFamilyPolicy allows it, it will be "
	   "used; otherwise creation of the service will fail. This field is conditionally "
	   "mutable: it allows for adding or removing a secondary IP family, but it does not "
	   "allow changing the primary IP family of the Service. Valid values are \"IPv4\" and "
	   "\"IPv6\".  This field only applies to Services of types ClusterIP, NodePort, and "
	   "LoadBalancer, and does apply to \"headless\" services. This field will be wiped "
	   "when updating a Service to type ExternalName.\n\nThis field may hold a maximum of "
	   "two entries (dual-stack families, in either order).  These families must "
	   "correspond to the values of the clusterIPs field, if specified. Both clusterIPs "
	   "and ipFamilies are governed by the ipFamilyPolicy field."),
	S("ipFamilyPolicy", 17, 0,
	  "IPFamilyPolicy represents the dual-stack-ness requested or required by this "
	  "Service. If there is no value provided, then this field will be set to SingleStack. "
	  "Services can be \"SingleStack\" (a single IP family), \"PreferDualStack\" (two IP "
	  "families on dual-stack configured clusters or a single IP family on single-stack "
	  "clusters), or \"RequireDualStack\" (two IP families on dual-stack configured "
	  "clusters, otherwise fail). The ipFamilies and clusterIPs fields depend on the value "
	  "of this field. This field will be wiped when updating a service to type "
	  "ExternalName."),
	B("allocateLoadBalancerNodePorts", 20, 0,
	  "allocateLoadBalancerNodePorts defines if NodePorts will be automatically allocated "
	  "for services with type LoadBalancer.  Default is \"true\". It may be set to "
	  "\"false\" if the cluster load-balancer does not rely on NodePorts.  If the caller "
	  "requests specific NodePorts (by specifying a value), those requests will be "
	  "respected, regardless of this field. This field may only be set for services with "
	  "type LoadBalancer and will be cleared if the type is changed to any other type."),
	S("loadBalancerClass", 21, 0,
	  "loadBalancerClass is the class of the load balancer implementation this Service "
	  "belongs to. If specified, the value of this field must be a label-style "
	  "identifier, with an optional prefix, e.g. \"internal-vip\" or "
	  "\"example.com/internal-vip\". Unprefixed names are reserved for end-users. This "
	  "field can only be set when the Service type is 'LoadBalancer'. If not set, the "
	  "default load balancer implementation is used, today this is typically done through "
	  "the cloud provider integration, but should apply for any default implementation. "
	  "If set, it is assumed that a load balancer implementation is watching for Services "
	  "with a matching class. Any default load balancer implementation (e.g. cloud "
	  "providers) should ignore Services that set this field. This field can only be set "
	  "when creating or updating a Service to type 'LoadBalancer'. Once set, it can not be "
	  "changed. This field will be wiped when a service is updated to a non 'LoadBalancer' "
	  "type."),
	S("internalTrafficPolicy", 22, 0,
	  "InternalTrafficPolicy describes how nodes distribute service traffic they receive "
	  "on the ClusterIP. If set to \"Local\", the proxy will assume that pods only want to "
	  "talk to endpoints of the service on the same node as the pod, dropping the traffic "
	  "if there are no local endpoints. The default value, \"Cluster\", uses the standard "
	  "behavior of routing to all endpoints evenly (possibly modified by topology and "
	  "other features)."),
	S("trafficDistribution", 23, 0,
	  "TrafficDistribution offers a way to express preferences for how traffic is "
	  "distributed to Service endpoints. Implementations can use this field as a hint, but "
	  "are not required to guarantee strict adherence. If the field is not set, the "
	  "implementation will apply its default routing strategy. If set to \"PreferClose\", "
	  "implementations should prioritize endpoints that are in the same zone."),
};
static TYPE(t_ServiceSpec, CORE "ServiceSpec",
	    "ServiceSpec describes the attributes that a user creates on a service.");

static const struct k1s_field t_PortStatus_f[] = {
	I32("port", 1, R,
	    "Port is the port number of the service port of which status is recorded here"),
	S("protocol", 2, R,
	  "Protocol is the protocol of the service port of which status is recorded here The "
	  "supported values are: \"TCP\", \"UDP\", \"SCTP\""),
	S("error", 3, 0,
	  "Error is to record the problem with the service port The format of the error shall "
	  "comply with the following rules: - built-in error values shall be specified in this "
	  "file and those shall use\n  CamelCase names\n- cloud provider specific error values "
	  "must have names that comply with the\n  format foo.example.com/CamelCase."),
};
static TYPE(t_PortStatus, CORE "PortStatus",
	    "PortStatus represents the error condition of a service port");

static const struct k1s_field t_LoadBalancerIngress_f[] = {
	S("ip", 1, 0,
	  "IP is set for load-balancer ingress points that are IP based (typically GCE or "
	  "OpenStack load-balancers)"),
	S("hostname", 2, 0,
	  "Hostname is set for load-balancer ingress points that are DNS based (typically AWS "
	  "load-balancers)"),
	S("ipMode", 3, 0,
	  "IPMode specifies how the load-balancer IP behaves, and may only be specified when "
	  "the ip field is specified. Setting this to \"VIP\" indicates that traffic is "
	  "delivered to the node with the destination set to the load-balancer's IP and port. "
	  "Setting this to \"Proxy\" indicates that traffic is delivered to the node or pod "
	  "with the destination set to the node's IP and node port or the pod's IP and port. "
	  "Service implementations may use this information to adjust traffic routing."),
	L("ports", &t_PortStatus, 4, NULL, NULL, 0,
	  "Ports is a list of records of service ports If used, every port defined in the "
	  "service should have an entry in it"),
};
static TYPE(t_LoadBalancerIngress, CORE "LoadBalancerIngress",
	    "LoadBalancerIngress represents the status of a load-balancer ingress point: "
	    "traffic intended for the service should be sent to an ingress point.");

static const struct k1s_field t_LoadBalancerStatus_f[] = {
	L("ingress", &t_LoadBalancerIngress, 1, NULL, NULL, 0,
	  "Ingress is a list containing ingress points for the load-balancer. Traffic intended "
	  "for the service should be sent to these ingress points."),
};
static TYPE(t_LoadBalancerStatus, CORE "LoadBalancerStatus",
	    "LoadBalancerStatus represents the status of a load-balancer.");

static const struct k1s_field t_ServiceStatus_f[] = {
	O("loadBalancer", &t_LoadBalancerStatus, 1, 0,
	  "LoadBalancer contains the current status of the load-balancer, if one is present."),
	L("conditions", &t_Condition, 2, "type", "type", 0, "Current service state"),
};
static TYPE(t_ServiceStatus, CORE "ServiceStatus",
	    "ServiceStatus represents the current status of a service.");

static const struct k1s_field k1s_t_Service_f[] = {
	KIND_HEAD,
	O("spec", &t_ServiceSpec, 2, 0,
	  "Spec defines the behavior of a service. " DOC_SPEC_STATUS),
	O("status", &t_ServiceStatus, 3, 0,
	  "Most recently observed status of the service. Populated by the system. Read-only. "
	  "More info: " DOC_SPEC_STATUS),
};
TYPE(k1s_t_Service, CORE "Service",
     "Service is a named abstraction of software service (for example, mysql) consisting of "
     "local port (for example 3306) that the proxy listens on, and the selector that "
     "determines which pods will answer requests sent through the proxy.");

/* ---- Endpoints ---- */

static const struct k1s_field t_EndpointAddress_f[] = {
	S("ip", 1, R,
	  "The IP of this endpoint. May not be loopback (127.0.0.0/8 or ::1), link-local "
	  "(169.254.0.0/16 or fe80::/10), or link-local multicast (224.0.0.0/24 or ff02::/16)."),
	S("hostname", 3, 0, "The Hostname of this endpoint"),
	S("nodeName", 4, 0,
	  "Optional: Node hosting this endpoint. This can be used to determine endpoints local "
	  "to a node."),
	O("targetRef", &k1s_t_ObjectReference, 2, 0, "Reference to object providing the endpoint."),
};
static TYPE(t_EndpointAddress, CORE "EndpointAddress",
	    "EndpointAddress is a tuple that describes single IP address. Deprecated: This API "
	    "is deprecated in v1.33+.");

static const struct k1s_field t_EndpointPort_f[] = {
	S("name", 1, 0,
	  "The name of this port.  This must match the 'name' field in the corresponding "
	  "ServicePort. Must be a DNS_LABEL. Optional only if one port is defined."),
	I32("port", 2, R, "The port number of the endpoint."),
	S("protocol", 3, 0,
	  "The IP protocol for this port. Must be UDP, TCP, or SCTP. Default is TCP."),
	S("appProtocol", 4, 0,
	  "The application protocol for this port. This is used as a hint for implementations "
	  "to offer richer behavior for protocols that they understand. This field follows "
	  "standard Kubernetes label syntax."),
};
static TYPE(t_EndpointPort, CORE "EndpointPort",
	    "EndpointPort is a tuple that describes a single port. Deprecated: This API is "
	    "deprecated in v1.33+.");

static const struct k1s_field t_EndpointSubset_f[] = {
	L("addresses", &t_EndpointAddress, 1, NULL, NULL, 0,
	  "IP addresses which offer the related ports that are marked as ready. These "
	  "endpoints should be considered safe for load balancers and clients to utilize."),
	L("notReadyAddresses", &t_EndpointAddress, 2, NULL, NULL, 0,
	  "IP addresses which offer the related ports but are not currently marked as ready "
	  "because they have not yet finished starting, have recently failed a readiness "
	  "check, or have recently failed a liveness check."),
	L("ports", &t_EndpointPort, 3, NULL, NULL, 0,
	  "Port numbers available on the related IP addresses."),
};
static TYPE(t_EndpointSubset, CORE "EndpointSubset",
	    "EndpointSubset is a group of addresses with a common set of ports. The expanded "
	    "set of endpoints is the Cartesian product of Addresses x Ports.");

static const struct k1s_field k1s_t_Endpoints_f[] = {
	KIND_HEAD,
	L("subsets", &t_EndpointSubset, 2, NULL, NULL, 0,
	  "The set of all endpoints is the union of all subsets. Addresses are placed into "
	  "subsets according to the IPs they share. A single address with multiple ports, "
	  "some of which are ready and some of which are not (because they come from "
	  "different containers) will result in the address being displayed in different "
	  "subsets for the different ports. No address will appear in both Addresses and "
	  "NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a "
	  "service."),
};
TYPE(k1s_t_Endpoints, CORE "Endpoints",
     "Endpoints is a collection of endpoints that implement the actual service. Endpoints "
     "is a legacy API and does not contain information about all Service features. Use "
     "discoveryv1.EndpointSlice for complete information about Service endpoints.");

/* ---- Namespace ---- */

static const struct k1s_field t_NamespaceSpec_f[] = {
	SL("finalizers", 1, 0,
	   "Finalizers is an opaque list of values that must be empty to permanently remove "
	   "object from storage. More info: "
	   "https://kubernetes.io/docs/tasks/administer-cluster/namespaces/"),
};
static TYPE(t_NamespaceSpec, CORE "NamespaceSpec",
	    "NamespaceSpec describes the attributes on a Namespace.");

static const struct k1s_field t_NamespaceCondition_f[] = {
	S("type", 1, R, "Type of namespace controller condition."),
	S("status", 2, R, "Status of the condition, one of True, False, Unknown."),
	T("lastTransitionTime", 4, 0,
	  "Last time the condition transitioned from one status to another."),
	S("reason", 5, 0, "Unique, one-word, CamelCase reason for the condition's last transition."),
	S("message", 6, 0, "Human-readable message indicating details about last transition."),
};
static TYPE(t_NamespaceCondition, CORE "NamespaceCondition",
	    "NamespaceCondition contains details about state of namespace.");

static const struct k1s_field t_NamespaceStatus_f[] = {
	S("phase", 1, 0,
	  "Phase is the current lifecycle phase of the namespace. More info: "
	  "https://kubernetes.io/docs/tasks/administer-cluster/namespaces/"),
	L("conditions", &t_NamespaceCondition, 2, "type", "type", 0,
	  "Represents the latest available observations of a namespace's current state."),
};
static TYPE(t_NamespaceStatus, CORE "NamespaceStatus",
	    "NamespaceStatus is information about the current status of a Namespace.");

static const struct k1s_field k1s_t_Namespace_f[] = {
	KIND_HEAD,
	O("spec", &t_NamespaceSpec, 2, 0,
	  "Spec defines the behavior of the Namespace. More info: " DOC_SPEC_STATUS),
	O("status", &t_NamespaceStatus, 3, 0,
	  "Status describes the current status of a Namespace. More info: " DOC_SPEC_STATUS),
};
TYPE(k1s_t_Namespace, CORE "Namespace",
     "Namespace provides a scope for Names. Use of multiple namespaces is optional.");

/* ---- Node ---- */

static const struct k1s_field t_Taint_f[] = {
	S("key", 1, R, "Required. The taint key to be applied to a node."),
	S("value", 2, 0, "The taint value corresponding to the taint key."),
	S("effect", 3, R,
	  "Required. The effect of the taint on pods that do not tolerate the taint. Valid "
	  "effects are NoSchedule, PreferNoSchedule and NoExecute."),
	T("timeAdded", 4, 0, "TimeAdded represents the time at which the taint was added."),
};
static TYPE(t_Taint, CORE "Taint",
	    "The node this Taint is attached to has the \"effect\" on any pod that does not "
	    "tolerate the Taint.");

static const struct k1s_field t_NodeSpec_f[] = {
	S("podCIDR", 1, 0, "PodCIDR represents the pod IP range assigned to the node."),
	FLD("podCIDRs", K1S_T_STRING, K1S_C_LIST, NULL, 7, NULL, NULL, K1S_FF_MERGE_PRIMITIVES,
	    "podCIDRs represents the IP ranges assigned to the node for usage by Pods on that "
	    "node. If this field is specified, the 0th entry must match the podCIDR field. It "
	    "may contain at most 1 value for each of IPv4 and IPv6."),
	S("providerID", 3, 0,
	  "ID of the node assigned by the cloud provider in the format: "
	  "<ProviderName>://<ProviderSpecificNodeID>"),
	B("unschedulable", 4, 0,
	  "Unschedulable controls node schedulability of new pods. By default, node is "
	  "schedulable. More info: "
	  "https://kubernetes.io/docs/concepts/nodes/node/#manual-node-administration"),
	L("taints", &t_Taint, 5, NULL, NULL, 0, "If specified, the node's taints."),
	ANY("configSource", 6,
	    "Deprecated: Previously used to specify the source of the node's configuration for "
	    "the DynamicKubeletConfig feature. This feature is removed."),
	S("externalID", 2, 0,
	  "Deprecated. Not all kubelets will set this field. Remove field after 1.13. see: "
	  "https://issues.k8s.io/61966"),
};
static TYPE(t_NodeSpec, CORE "NodeSpec",
	    "NodeSpec describes the attributes that a node is created with.");

static const struct k1s_field t_NodeCondition_f[] = {
	S("type", 1, R, "Type of node condition."),
	S("status", 2, R, "Status of the condition, one of True, False, Unknown."),
	T("lastHeartbeatTime", 3, 0, "Last time we got an update on a given condition."),
	T("lastTransitionTime", 4, 0,
	  "Last time the condition transit from one status to another."),
	S("reason", 5, 0, "(brief) reason for the condition's last transition."),
	S("message", 6, 0, "Human readable message indicating details about last transition."),
};
static TYPE(t_NodeCondition, CORE "NodeCondition",
	    "NodeCondition contains condition information for a node.");

static const struct k1s_field t_NodeAddress_f[] = {
	S("type", 1, R, "Node address type, one of Hostname, ExternalIP or InternalIP."),
	S("address", 2, R, "The node address."),
};
static TYPE(t_NodeAddress, CORE "NodeAddress",
	    "NodeAddress contains information for the node's address.");

static const struct k1s_field t_DaemonEndpoint_f[] = {
	/* The JSON name really is capitalised. */
	I32("Port", 1, R, "Port number of the given endpoint."),
};
static TYPE(t_DaemonEndpoint, CORE "DaemonEndpoint",
	    "DaemonEndpoint contains information about a single Daemon endpoint.");

static const struct k1s_field t_NodeDaemonEndpoints_f[] = {
	O("kubeletEndpoint", &t_DaemonEndpoint, 1, 0, "Endpoint on which Kubelet is listening."),
};
static TYPE(t_NodeDaemonEndpoints, CORE "NodeDaemonEndpoints",
	    "NodeDaemonEndpoints lists ports opened by daemons running on the Node.");

static const struct k1s_field t_NodeSwapStatus_f[] = {
	I64("capacity", 1, 0, "Total amount of swap memory in bytes."),
};
static TYPE(t_NodeSwapStatus, CORE "NodeSwapStatus",
	    "NodeSwapStatus represents swap memory information.");

static const struct k1s_field t_NodeSystemInfo_f[] = {
	S("machineID", 1, R,
	  "MachineID reported by the node. For unique machine identification in the cluster "
	  "this field is preferred. Learn more from man(5) machine-id: "
	  "http://man7.org/linux/man-pages/man5/machine-id.5.html"),
	S("systemUUID", 2, R,
	  "SystemUUID reported by the node. For unique machine identification MachineID is "
	  "preferred. This field is specific to Red Hat hosts "
	  "https://access.redhat.com/documentation/en-us/red_hat_subscription_management/1/html/rhsm/uuid"),
	S("bootID", 3, R, "Boot ID reported by the node."),
	S("kernelVersion", 4, R,
	  "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
	S("osImage", 5, R,
	  "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 "
	  "(wheezy))."),
	S("containerRuntimeVersion", 6, R,
	  "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
	  "containerd://1.4.2)."),
	S("kubeletVersion", 7, R, "Kubelet Version reported by the node."),
	S("kubeProxyVersion", 8, R, "Deprecated: KubeProxy Version reported by the node."),
	S("operatingSystem", 9, R, "The Operating System reported by the node"),
	S("architecture", 10, R, "The Architecture reported by the node"),
	O("swap", &t_NodeSwapStatus, 11, 0, "Swap Info reported by the node."),
};
static TYPE(t_NodeSystemInfo, CORE "NodeSystemInfo",
	    "NodeSystemInfo is a set of ids/uuids to uniquely identify the node.");

static const struct k1s_field t_ContainerImage_f[] = {
	SL("names", 1, 0,
	   "Names by which this image is known. e.g. "
	   "[\"kubernetes.example/hyperkube:v1.0.7\", "
	   "\"cloud-vendor.registry.example/cloud-vendor/hyperkube:v1.0.7\"]"),
	I64("sizeBytes", 2, 0, "The size of the image in bytes."),
};
static TYPE(t_ContainerImage, CORE "ContainerImage", "Describe a container image");

static const struct k1s_field t_AttachedVolume_f[] = {
	S("name", 1, R, "Name of the attached volume"),
	S("devicePath", 2, R,
	  "DevicePath represents the device path where the volume should be available"),
};
static TYPE(t_AttachedVolume, CORE "AttachedVolume",
	    "AttachedVolume describes a volume attached to a node");

static const struct k1s_field t_NodeStatus_f[] = {
	QM("capacity", 1,
	   "Capacity represents the total resources of a node. More info: "
	   "https://kubernetes.io/docs/reference/node/node-status/#capacity"),
	QM("allocatable", 2,
	   "Allocatable represents the resources of a node that are available for scheduling. "
	   "Defaults to Capacity."),
	S("phase", 3, 0,
	  "NodePhase is the recently observed lifecycle phase of the node. More info: "
	  "https://kubernetes.io/docs/concepts/nodes/node/#phase The field is never populated, "
	  "and now is deprecated."),
	L("conditions", &t_NodeCondition, 4, "type", "type", 0,
	  "Conditions is an array of current observed node conditions. More info: "
	  "https://kubernetes.io/docs/reference/node/node-status/#condition"),
	L("addresses", &t_NodeAddress, 5, "type", "type", 0,
	  "List of addresses reachable to the node. Queried from cloud provider, if available. "
	  "More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: "
	  "This field is declared as mergeable, but the merge key is not sufficiently unique, "
	  "which can cause data corruption when it is merged. Callers should instead use a "
	  "full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers "
	  "should assume that addresses can change during the lifetime of a Node. However, "
	  "there are some exceptions where this may not be possible, such as Pods that "
	  "inherit a Node's address in its own status or consumers of the downward API "
	  "(status.hostIP)."),
	O("daemonEndpoints", &t_NodeDaemonEndpoints, 6, 0, "Endpoints of daemons running on the Node."),
	O("nodeInfo", &t_NodeSystemInfo, 7, 0,
	  "Set of ids/uuids to uniquely identify the node. More info: "
	  "https://kubernetes.io/docs/reference/node/node-status/#info"),
	L("images", &t_ContainerImage, 8, NULL, NULL, 0, "List of container images on this node"),
	SL("volumesInUse", 9, 0, "List of attachable volumes in use (mounted) by the node."),
	L("volumesAttached", &t_AttachedVolume, 10, NULL, NULL, 0,
	  "List of volumes that are attached to the node."),
	ANY("config", 11,
	    "Status of the config assigned to the node via the dynamic Kubelet config feature."),
	ANYL("runtimeHandlers", 12, NULL, NULL, "The available runtime handlers."),
	ANY("features", 13,
	    "Features describes the set of features implemented by the CRI implementation."),
	SL("declaredFeatures", 14, 0,
	   "DeclaredFeatures represents the features related to feature gates that are "
	   "declared by the node."),
};
static TYPE(t_NodeStatus, CORE "NodeStatus",
	    "NodeStatus is information about the current status of a node.");

static const struct k1s_field k1s_t_Node_f[] = {
	KIND_HEAD,
	O("spec", &t_NodeSpec, 2, 0, "Spec defines the behavior of a node. " DOC_SPEC_STATUS),
	O("status", &t_NodeStatus, 3, 0,
	  "Most recently observed status of the node. Populated by the system. Read-only. More "
	  "info: " DOC_SPEC_STATUS),
};
TYPE(k1s_t_Node, CORE "Node",
     "Node is a worker node in Kubernetes. Each node will have a unique identifier in the "
     "cache (i.e. in etcd).");

/* ---- Secret, ConfigMap ---- */

static const struct k1s_field k1s_t_Secret_f[] = {
	KIND_HEAD,
	B("immutable", 5, 0,
	  "Immutable, if set to true, ensures that data stored in the Secret cannot be updated "
	  "(only object metadata can be modified). If not set to true, the field can be "
	  "modified at any time. Defaulted to nil."),
	BM("data", 2,
	   "Data contains the secret data. Each key must consist of alphanumeric characters, "
	   "'-', '_' or '.'. The serialized form of the secret data is a base64 encoded "
	   "string, representing the arbitrary (possibly non-string) data value here. "
	   "Described in https://tools.ietf.org/html/rfc4648#section-4"),
	SM("stringData", 4,
	   "stringData allows specifying non-binary secret data in string form. It is provided "
	   "as a write-only input field for convenience. All keys and values are merged into "
	   "the data field on write, overwriting any existing values. The stringData field is "
	   "never output when reading from the API."),
	S("type", 3, 0,
	  "Used to facilitate programmatic handling of secret data. More info: "
	  "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"),
};
TYPE(k1s_t_Secret, CORE "Secret",
     "Secret holds secret data of a certain type. The total bytes of the values in the Data "
     "field must be less than MaxSecretSize bytes.");

static const struct k1s_field k1s_t_ConfigMap_f[] = {
	KIND_HEAD,
	B("immutable", 4, 0,
	  "Immutable, if set to true, ensures that data stored in the ConfigMap cannot be "
	  "updated (only object metadata can be modified). If not set to true, the field can "
	  "be modified at any time. Defaulted to nil."),
	SM("data", 2,
	   "Data contains the configuration data. Each key must consist of alphanumeric "
	   "characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the "
	   "BinaryData field. The keys stored in Data must not overlap with the keys in the "
	   "BinaryData field, this is enforced during validation process."),
	BM("binaryData", 3,
	   "BinaryData contains the binary data. Each key must consist of alphanumeric "
	   "characters, '-', '_' or '.'. BinaryData can contain byte sequences that are not in "
	   "the UTF-8 range. The keys stored in BinaryData must not overlap with the ones in "
	   "the Data field, this is enforced during validation process. Using this field will "
	   "require 1.10+ apiserver and kubelet."),
};
TYPE(k1s_t_ConfigMap, CORE "ConfigMap",
     "ConfigMap holds configuration data for pods to consume.");

/* ---- Event (core/v1) ---- */

static const struct k1s_field t_EventSource_f[] = {
	S("component", 1, 0, "Component from which the event is generated."),
	S("host", 2, 0, "Node name on which the event is generated."),
};
static TYPE(t_EventSource, CORE "EventSource", "EventSource contains information for an event.");

static const struct k1s_field t_EventSeries_f[] = {
	I32("count", 1, 0, "Number of occurrences in this series up to the last heartbeat time"),
	MT("lastObservedTime", 2, 0, "Time of the last occurrence observed"),
};
static TYPE(t_EventSeries, CORE "EventSeries",
	    "EventSeries contain information on series of events, i.e. thing that was/is "
	    "happening continuously for some time.");

static const struct k1s_field k1s_t_Event_f[] = {
	S("apiVersion", 0, 0, DOC_APIVERSION),
	S("kind", 0, 0, DOC_KIND),
	O("metadata", &k1s_t_ObjectMeta, 1, R, DOC_METADATA),
	O("involvedObject", &k1s_t_ObjectReference, 2, R, "The object that this event is about."),
	S("reason", 3, 0,
	  "This should be a short, machine understandable string that gives the reason for "
	  "the transition into the object's current status."),
	S("message", 4, 0, "A human-readable description of the status of this operation."),
	O("source", &t_EventSource, 5, 0,
	  "The component reporting this event. Should be a short machine understandable "
	  "string."),
	T("firstTimestamp", 6, 0,
	  "The time at which the event was first recorded. (Time of server receipt is in "
	  "TypeMeta.)"),
	T("lastTimestamp", 7, 0,
	  "The time at which the most recent occurrence of this event was recorded."),
	I32("count", 8, 0, "The number of times this event has occurred."),
	S("type", 9, 0,
	  "Type of this event (Normal, Warning), new types could be added in the future"),
	MT("eventTime", 10, 0, "Time when this Event was first observed."),
	O("series", &t_EventSeries, 11, 0,
	  "Data about the Event series this event represents or nil if it's a singleton "
	  "Event."),
	S("action", 12, 0, "What action was taken/failed regarding to the Regarding object."),
	O("related", &k1s_t_ObjectReference, 13, 0,
	  "Optional secondary object for more complex actions."),
	S("reportingComponent", 14, 0,
	  "Name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`."),
	S("reportingInstance", 15, 0, "ID of the controller instance, e.g. `kubelet-xyzf`."),
};
TYPE(k1s_t_Event, CORE "Event",
     "Event is a report of an event somewhere in the cluster.  Events have a limited "
     "retention time and triggers and messages may evolve with time.  Event consumers "
     "should not rely on the timing of an event with a given Reason reflecting a "
     "consistent underlying trigger, or the continued existence of events with that "
     "Reason.  Events should be treated as informative, best-effort, supplemental data.");
