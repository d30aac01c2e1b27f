/* The kinds outside core/v1, as kube-apiserver 1.32 serves them: apps/v1
 * (Deployment, ReplicaSet), networking.k8s.io/v1 (Ingress, IngressClass,
 * NetworkPolicy) and discovery.k8s.io/v1 (EndpointSlice). Field numbers are
 * those of k8s.io/api <group>/v1 generated.proto; docs are the OpenAPI
 * descriptions, sometimes shortened. Types are defined leaves first. */
#include "k1s_types_int.h"

#define FIELD(n, t, c, r, p, mk, lmk, fl, d) {n, t, c, r, p, mk, lmk, fl, d}
#define FSTR(n, p, fl, d) FIELD(n, K1S_T_STRING, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define FI32(n, p, fl, d) FIELD(n, K1S_T_INT32, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define FI64(n, p, fl, d) FIELD(n, K1S_T_INT64, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define FBOOL(n, p, fl, d) FIELD(n, K1S_T_BOOL, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define FTIME(n, p, fl, d) FIELD(n, K1S_T_TIME, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define FIOS(n, p, fl, d) FIELD(n, K1S_T_INT_OR_STRING, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define FOBJ(n, r, p, fl, d) FIELD(n, K1S_T_OBJECT, K1S_C_NONE, &(r), p, NULL, NULL, fl, d)
#define FLIST(n, r, p, mk, lmk, fl, d) FIELD(n, K1S_T_OBJECT, K1S_C_LIST, &(r), p, mk, lmk, fl, d)
/* An atomic list of strings. */
#define FSTRS(n, p, fl, d) FIELD(n, K1S_T_STRING, K1S_C_LIST, NULL, p, NULL, NULL, fl, d)
#define FSTRMAP(n, p, fl, d) FIELD(n, K1S_T_STRING, K1S_C_MAP, NULL, p, NULL, NULL, fl, d)
#define TYPE(var, name, doc) \
	const struct k1s_type var = {name, doc, var##_f, K1S_NFIELDS(var##_f)}

#define DOC_APIVERSION                                                                           \
	"APIVersion defines the versioned schema of this representation of an object. Servers "  \
	"should convert recognized schemas to the latest internal value, and may reject "         \
	"unrecognized values. More info: "                                                       \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
#define DOC_KIND                                                                                 \
	"Kind is a string value representing the REST resource this object represents. Servers " \
	"may infer this from the endpoint the client submits requests to. Cannot be updated. In " \
	"CamelCase. More info: "                                                                 \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
#define DOC_METADATA                                                                             \
	"Standard object's metadata. More info: "                                                \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
#define DOC_SPEC_STATUS \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status"

/* The type meta every top-level kind starts with: not on the protobuf wire,
 * where the runtime.Unknown envelope carries it. */
#define TYPEMETA                                \
	FSTR("apiVersion", 0, 0, DOC_APIVERSION), \
	FSTR("kind", 0, 0, DOC_KIND)

/* ---- Deployment ---- */

static const struct k1s_field k1s_t_RollingUpdateDeployment_f[] = {
	FIOS("maxUnavailable", 1, 0,
	     "The maximum number of pods that can be unavailable during the update. Value can be "
	     "an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Absolute "
	     "number is calculated from percentage by rounding down. This can not be 0 if "
	     "MaxSurge is 0. Defaults to 25%. Example: when this is set to 30%, the old "
	     "ReplicaSet can be scaled down to 70% of desired pods immediately when the rolling "
	     "update starts. Once new pods are ready, old ReplicaSet can be scaled down further, "
	     "followed by scaling up the new ReplicaSet, ensuring that the total number of pods "
	     "available at all times during the update is at least 70% of desired pods."),
	FIOS("maxSurge", 2, 0,
	     "The maximum number of pods that can be scheduled above the desired number of pods. "
	     "Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). "
	     "This can not be 0 if MaxUnavailable is 0. Absolute number is calculated from "
	     "percentage by rounding up. Defaults to 25%. Example: when this is set to 30%, the "
	     "new ReplicaSet can be scaled up immediately when the rolling update starts, such "
	     "that the total number of old and new pods do not exceed 130% of desired pods. Once "
	     "old pods have been killed, new ReplicaSet can be scaled up further, ensuring that "
	     "total number of pods running at any time during the update is at most 130% of "
	     "desired pods."),
};
static TYPE(k1s_t_RollingUpdateDeployment, "io.k8s.api.apps.v1.RollingUpdateDeployment",
	    "Spec to control the desired behavior of rolling update.");

static const struct k1s_field k1s_t_DeploymentStrategy_f[] = {
	FSTR("type", 1, 0,
	     "Type of deployment. Can be \"Recreate\" or \"RollingUpdate\". Default is "
	     "RollingUpdate."),
	FOBJ("rollingUpdate", k1s_t_RollingUpdateDeployment, 2, 0,
	     "Rolling update config params. Present only if DeploymentStrategyType = "
	     "RollingUpdate."),
};
static TYPE(k1s_t_DeploymentStrategy, "io.k8s.api.apps.v1.DeploymentStrategy",
	    "DeploymentStrategy describes how to replace existing pods with new ones.");

static const struct k1s_field k1s_t_DeploymentSpec_f[] = {
	FI32("replicas", 1, 0,
	     "Number of desired pods. This is a pointer to distinguish between explicit zero and "
	     "not specified. Defaults to 1."),
	FOBJ("selector", k1s_t_LabelSelector, 2, K1S_FF_REQUIRED,
	     "Label selector for pods. Existing ReplicaSets whose pods are selected by this will "
	     "be the ones affected by this deployment. It must match the pod template's labels."),
	FOBJ("template", k1s_t_PodTemplateSpec, 3, K1S_FF_REQUIRED,
	     "Template describes the pods that will be created. The only allowed "
	     "template.spec.restartPolicy value is \"Always\"."),
	FOBJ("strategy", k1s_t_DeploymentStrategy, 4, K1S_FF_RETAIN_KEYS,
	     "The deployment strategy to use to replace existing pods with new ones."),
	FI32("minReadySeconds", 5, 0,
	     "Minimum number of seconds for which a newly created pod should be ready without any "
	     "of its container crashing, for it to be considered available. Defaults to 0 (pod "
	     "will be considered available as soon as it is ready)"),
	FI32("revisionHistoryLimit", 6, 0,
	     "The number of old ReplicaSets to retain to allow rollback. This is a pointer to "
	     "distinguish between explicit zero and not specified. Defaults to 10."),
	FBOOL("paused", 7, 0, "Indicates that the deployment is paused."),
	FI32("progressDeadlineSeconds", 9, 0,
	     "The maximum time in seconds for a deployment to make progress before it is "
	     "considered to be failed. The deployment controller will continue to process failed "
	     "deployments and a condition with a ProgressDeadlineExceeded reason will be surfaced "
	     "in the deployment status. Note that progress will not be estimated during the time "
	     "a deployment is paused. Defaults to 600s."),
};
static TYPE(k1s_t_DeploymentSpec, "io.k8s.api.apps.v1.DeploymentSpec",
	    "DeploymentSpec is the specification of the desired behavior of the Deployment.");

static const struct k1s_field k1s_t_DeploymentCondition_f[] = {
	FSTR("type", 1, K1S_FF_REQUIRED, "Type of deployment condition."),
	FSTR("status", 2, K1S_FF_REQUIRED, "Status of the condition, one of True, False, Unknown."),
	FTIME("lastUpdateTime", 6, 0, "The last time this condition was updated."),
	FTIME("lastTransitionTime", 7, 0,
	      "Last time the condition transitioned from one status to another."),
	FSTR("reason", 4, 0, "The reason for the condition's last transition."),
	FSTR("message", 5, 0, "A human readable message indicating details about the transition."),
};
static TYPE(k1s_t_DeploymentCondition, "io.k8s.api.apps.v1.DeploymentCondition",
	    "DeploymentCondition describes the state of a deployment at a certain point.");

static const struct k1s_field k1s_t_DeploymentStatus_f[] = {
	FI64("observedGeneration", 1, 0, "The generation observed by the deployment controller."),
	FI32("replicas", 2, 0,
	     "Total number of non-terminated pods targeted by this deployment (their labels match "
	     "the selector)."),
	FI32("updatedReplicas", 3, 0,
	     "Total number of non-terminated pods targeted by this deployment that have the "
	     "desired template spec."),
	FI32("readyReplicas", 7, 0,
	     "readyReplicas is the number of pods targeted by this Deployment with a Ready "
	     "Condition."),
	FI32("availableReplicas", 4, 0,
	     "Total number of available pods (ready for at least minReadySeconds) targeted by "
	     "this deployment."),
	FI32("unavailableReplicas", 5, 0,
	     "Total number of unavailable pods targeted by this deployment. This is the total "
	     "number of pods that are still required for the deployment to have 100% available "
	     "capacity. They may either be pods that are running but not yet available or pods "
	     "that still have not been created."),
	FLIST("conditions", k1s_t_DeploymentCondition, 6, "type", "type", 0,
	      "Represents the latest available observations of a deployment's current state."),
	FI32("collisionCount", 8, 0,
	     "Count of hash collisions for the Deployment. The Deployment controller uses this "
	     "field as a collision avoidance mechanism when it needs to create the name for the "
	     "newest ReplicaSet."),
};
static TYPE(k1s_t_DeploymentStatus, "io.k8s.api.apps.v1.DeploymentStatus",
	    "DeploymentStatus is the most recently observed status of the Deployment.");

static const struct k1s_field k1s_t_Deployment_f[] = {
	TYPEMETA,
	FOBJ("metadata", k1s_t_ObjectMeta, 1, 0, DOC_METADATA),
	FOBJ("spec", k1s_t_DeploymentSpec, 2, 0,
	     "Specification of the desired behavior of the Deployment."),
	FOBJ("status", k1s_t_DeploymentStatus, 3, 0,
	     "Most recently observed status of the Deployment."),
};
TYPE(k1s_t_Deployment, "io.k8s.api.apps.v1.Deployment",
     "Deployment enables declarative updates for Pods and ReplicaSets.");

/* ---- ReplicaSet ---- */

static const struct k1s_field k1s_t_ReplicaSetSpec_f[] = {
	FI32("replicas", 1, 0,
	     "Replicas is the number of desired pods. This is a pointer to distinguish between "
	     "explicit zero and unspecified. Defaults to 1. More info: "
	     "https://kubernetes.io/docs/concepts/workloads/controllers/replicaset"),
	FI32("minReadySeconds", 4, 0,
	     "Minimum number of seconds for which a newly created pod should be ready without any "
	     "of its container crashing, for it to be considered available. Defaults to 0 (pod "
	     "will be considered available as soon as it is ready)"),
	FOBJ("selector", k1s_t_LabelSelector, 2, K1S_FF_REQUIRED,
	     "Selector is a label query over pods that should match the replica count. Label keys "
	     "and values that must match in order to be controlled by this replica set. It must "
	     "match the pod template's labels. More info: "
	     "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"
	     "#label-selectors"),
	FOBJ("template", k1s_t_PodTemplateSpec, 3, 0,
	     "Template is the object that describes the pod that will be created if insufficient "
	     "replicas are detected. More info: "
	     "https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#pod-template"),
};
static TYPE(k1s_t_ReplicaSetSpec, "io.k8s.api.apps.v1.ReplicaSetSpec",
	    "ReplicaSetSpec is the specification of a ReplicaSet.");

static const struct k1s_field k1s_t_ReplicaSetCondition_f[] = {
	FSTR("type", 1, K1S_FF_REQUIRED, "Type of replica set condition."),
	FSTR("status", 2, K1S_FF_REQUIRED, "Status of the condition, one of True, False, Unknown."),
	FTIME("lastTransitionTime", 3, 0,
	      "The last time the condition transitioned from one status to another."),
	FSTR("reason", 4, 0, "The reason for the condition's last transition."),
	FSTR("message", 5, 0, "A human readable message indicating details about the transition."),
};
static TYPE(k1s_t_ReplicaSetCondition, "io.k8s.api.apps.v1.ReplicaSetCondition",
	    "ReplicaSetCondition describes the state of a replica set at a certain point.");

static const struct k1s_field k1s_t_ReplicaSetStatus_f[] = {
	FI32("replicas", 1, K1S_FF_REQUIRED,
	     "Replicas is the most recently observed number of replicas. More info: "
	     "https://kubernetes.io/docs/concepts/workloads/controllers/replicaset"),
	FI32("fullyLabeledReplicas", 2, 0,
	     "The number of pods that have labels matching the labels of the pod template of the "
	     "replicaset."),
	FI32("readyReplicas", 4, 0,
	     "readyReplicas is the number of pods targeted by this ReplicaSet with a Ready "
	     "Condition."),
	FI32("availableReplicas", 5, 0,
	     "The number of available replicas (ready for at least minReadySeconds) for this "
	     "replica set."),
	FI64("observedGeneration", 3, 0,
	     "ObservedGeneration reflects the generation of the most recently observed "
	     "ReplicaSet."),
	FLIST("conditions", k1s_t_ReplicaSetCondition, 6, "type", "type", 0,
	      "Represents the latest available observations of a replica set's current state."),
};
static TYPE(k1s_t_ReplicaSetStatus, "io.k8s.api.apps.v1.ReplicaSetStatus",
	    "ReplicaSetStatus represents the current status of a ReplicaSet.");

static const struct k1s_field k1s_t_ReplicaSet_f[] = {
	TYPEMETA,
	FOBJ("metadata", k1s_t_ObjectMeta, 1, 0,
	     "If the Labels of a ReplicaSet are empty, they are defaulted to be the same as the "
	     "Pod(s) that the ReplicaSet manages. " DOC_METADATA),
	FOBJ("spec", k1s_t_ReplicaSetSpec, 2, 0,
	     "Spec defines the specification of the desired behavior of the ReplicaSet. "
	     "More info: " DOC_SPEC_STATUS),
	FOBJ("status", k1s_t_ReplicaSetStatus, 3, 0,
	     "Status is the most recently observed status of the ReplicaSet. This data may be out "
	     "of date by some window of time. Populated by the system. Read-only. More info: "
	     DOC_SPEC_STATUS),
};
TYPE(k1s_t_ReplicaSet, "io.k8s.api.apps.v1.ReplicaSet",
     "ReplicaSet ensures that a specified number of pod replicas are running at any given "
     "time.");

/* ---- networking.k8s.io/v1: Ingress ---- */

static const struct k1s_field k1s_t_ServiceBackendPort_f[] = {
	FSTR("name", 1, 0,
	     "name is the name of the port on the Service. This is a mutually exclusive setting "
	     "with \"Number\"."),
	FI32("number", 2, 0,
	     "number is the numerical port number (e.g. 80) on the Service. This is a mutually "
	     "exclusive setting with \"Name\"."),
};
static TYPE(k1s_t_ServiceBackendPort, "io.k8s.api.networking.v1.ServiceBackendPort",
	    "ServiceBackendPort is the service port being referenced.");

static const struct k1s_field k1s_t_IngressServiceBackend_f[] = {
	FSTR("name", 1, K1S_FF_REQUIRED,
	     "name is the referenced service. The service must exist in the same namespace as "
	     "the Ingress object."),
	FOBJ("port", k1s_t_ServiceBackendPort, 2, 0,
	     "port of the referenced service. A port name or port number is required for a "
	     "IngressServiceBackend."),
};
static TYPE(k1s_t_IngressServiceBackend, "io.k8s.api.networking.v1.IngressServiceBackend",
	    "IngressServiceBackend references a Kubernetes Service as a Backend.");

static const struct k1s_field k1s_t_IngressBackend_f[] = {
	FOBJ("service", k1s_t_IngressServiceBackend, 4, 0,
	     "service references a service as a backend. This is a mutually exclusive setting "
	     "with \"Resource\"."),
	FOBJ("resource", k1s_t_TypedLocalObjectReference, 3, 0,
	     "resource is an ObjectRef to another Kubernetes resource in the namespace of the "
	     "Ingress object. If resource is specified, a service.Name and service.Port must not "
	     "be specified. This is a mutually exclusive setting with \"Service\"."),
};
static TYPE(k1s_t_IngressBackend, "io.k8s.api.networking.v1.IngressBackend",
	    "IngressBackend describes all endpoints for a given service and port.");

static const struct k1s_field k1s_t_HTTPIngressPath_f[] = {
	FSTR("path", 1, 0,
	     "path is matched against the path of an incoming request. Currently it can contain "
	     "characters disallowed from the conventional \"path\" part of a URL as defined by "
	     "RFC 3986. Paths must begin with a '/' and must be present when using PathType with "
	     "value \"Exact\" or \"Prefix\"."),
	FSTR("pathType", 3, K1S_FF_REQUIRED,
	     "pathType determines the interpretation of the path matching. PathType can be one "
	     "of the following values:\n"
	     "* Exact: Matches the URL path exactly.\n"
	     "* Prefix: Matches based on a URL path prefix split by '/'. Matching is\n"
	     "  done on a path element by element basis. A path element refers is the\n"
	     "  list of labels in the path split by the '/' separator. A request is a\n"
	     "  match for path p if every p is an element-wise prefix of p of the\n"
	     "  request path. Note that if the last element of the path is a substring\n"
	     "  of the last element in request path, it is not a match (e.g. /foo/bar\n"
	     "  matches /foo/bar/baz, but does not match /foo/barbaz).\n"
	     "* ImplementationSpecific: Interpretation of the Path matching is up to\n"
	     "  the IngressClass. Implementations can treat this as a separate PathType\n"
	     "  or treat it identically to Prefix or Exact path types.\n"
	     "Implementations are required to support all path types."),
	FOBJ("backend", k1s_t_IngressBackend, 2, K1S_FF_REQUIRED,
	     "backend defines the referenced service endpoint to which the traffic will be "
	     "forwarded to."),
};
static TYPE(k1s_t_HTTPIngressPath, "io.k8s.api.networking.v1.HTTPIngressPath",
	    "HTTPIngressPath associates a path with a backend. Incoming urls matching the path "
	    "are forwarded to the backend.");

static const struct k1s_field k1s_t_HTTPIngressRuleValue_f[] = {
	FLIST("paths", k1s_t_HTTPIngressPath, 1, NULL, NULL, K1S_FF_REQUIRED,
	      "paths is a collection of paths that map requests to backends."),
};
static TYPE(k1s_t_HTTPIngressRuleValue, "io.k8s.api.networking.v1.HTTPIngressRuleValue",
	    "HTTPIngressRuleValue is a list of http selectors pointing to backends. In the "
	    "example: http://<host>/<path>?<searchpart> -> backend where where parts of the url "
	    "correspond to RFC 3986, this resource will be used to match against everything "
	    "after the last '/' and before the first '?' or '#'.");

static const struct k1s_field k1s_t_IngressRule_f[] = {
	FSTR("host", 1, 0,
	     "host is the fully qualified domain name of a network host, as defined by RFC 3986. "
	     "Note the following deviations from the \"host\" part of the URI as defined in RFC "
	     "3986: 1. IPs are not allowed. Currently an IngressRuleValue can only apply to\n"
	     "   the IP in the Spec of the parent Ingress.\n"
	     "2. The `:` delimiter is not respected because ports are not allowed.\n"
	     "\t  Currently the port of an Ingress is implicitly :80 for http and\n"
	     "\t  :443 for https.\n"
	     "Both these may change in the future. Incoming requests are matched against the "
	     "host before the IngressRuleValue. If the host is unspecified, the Ingress routes "
	     "all traffic based on the specified IngressRuleValue.\n\n"
	     "host can be \"precise\" which is a domain name without the terminating dot of a "
	     "network host (e.g. \"foo.bar.com\") or \"wildcard\", which is a domain name prefixed "
	     "with a single wildcard label (e.g. \"*.foo.com\"). The wildcard character '*' must "
	     "appear by itself as the first DNS label and matches only a single label. You "
	     "cannot have a wildcard label by itself (e.g. Host == \"*\"). Requests will be "
	     "matched against the Host field in the following way: 1. If host is precise, the "
	     "request matches this rule if the http host header is equal to Host. 2. If host is "
	     "a wildcard, then the request matches this rule if the http host header is to equal "
	     "to the suffix (removing the first label) of the wildcard rule."),
	/* Go inlines IngressRuleValue here; protobuf does not. */
	FOBJ("http", k1s_t_HTTPIngressRuleValue, K1S_PROTO_EMBED(2, 1), 0, ""),
};
static TYPE(k1s_t_IngressRule, "io.k8s.api.networking.v1.IngressRule",
	    "IngressRule represents the rules mapping the paths under a specified host to the "
	    "related backend services. Incoming requests are first evaluated for a host match, "
	    "then routed to the backend associated with the matching IngressRuleValue.");

static const struct k1s_field k1s_t_IngressTLS_f[] = {
	FSTRS("hosts", 1, 0,
	      "hosts is a list of hosts included in the TLS certificate. The values in this list "
	      "must match the name/s used in the tlsSecret. Defaults to the wildcard host setting "
	      "for the loadbalancer controller fulfilling this Ingress, if left unspecified."),
	FSTR("secretName", 2, 0,
	     "secretName is the name of the secret used to terminate TLS traffic on port 443. "
	     "Field is left optional to allow TLS routing based on SNI hostname alone. If the SNI "
	     "host in a listener conflicts with the \"Host\" header field used by an IngressRule, "
	     "the SNI host is used for termination and value of the \"Host\" header is used for "
	     "routing."),
};
static TYPE(k1s_t_IngressTLS, "io.k8s.api.networking.v1.IngressTLS",
	    "IngressTLS describes the transport layer security associated with an ingress.");

static const struct k1s_field k1s_t_IngressSpec_f[] = {
	FSTR("ingressClassName", 4, 0,
	     "ingressClassName is the name of an IngressClass cluster resource. Ingress "
	     "controller implementations use this field to know whether they should be serving "
	     "this Ingress resource, by a transitive connection (controller -> IngressClass -> "
	     "Ingress resource). Although the `kubernetes.io/ingress.class` annotation (simple "
	     "constant name) was never formally defined, it was widely supported by Ingress "
	     "controllers to create a direct binding between Ingress controller and Ingress "
	     "resources. Newly created Ingress resources should prefer using the field. However, "
	     "even though the annotation is officially deprecated, for backwards compatibility "
	     "reasons, ingress controllers should still honor that annotation if present."),
	FOBJ("defaultBackend", k1s_t_IngressBackend, 1, 0,
	     "defaultBackend is the backend that should handle requests that don't match any "
	     "rule. If Rules are not specified, DefaultBackend must be specified. If "
	     "DefaultBackend is not set, the handling of requests that do not match any of the "
	     "rules will be up to the Ingress controller."),
	FLIST("tls", k1s_t_IngressTLS, 2, NULL, NULL, 0,
	      "tls represents the TLS configuration. Currently the Ingress only supports a single "
	      "TLS port, 443. If multiple members of this list specify different hosts, they will "
	      "be multiplexed on the same port according to the hostname specified through the "
	      "SNI TLS extension, if the ingress controller fulfilling the ingress supports SNI."),
	FLIST("rules", k1s_t_IngressRule, 3, NULL, NULL, 0,
	      "rules is a list of host rules used to configure the Ingress. If unspecified, or no "
	      "rule matches, all traffic is sent to the default backend."),
};
static TYPE(k1s_t_IngressSpec, "io.k8s.api.networking.v1.IngressSpec",
	    "IngressSpec describes the Ingress the user wishes to exist.");

static const struct k1s_field k1s_t_IngressPortStatus_f[] = {
	FI32("port", 1, K1S_FF_REQUIRED, "port is the port number of the ingress port."),
	FSTR("protocol", 2, K1S_FF_REQUIRED,
	     "protocol is the protocol of the ingress port. The supported values are: \"TCP\", "
	     "\"UDP\", \"SCTP\""),
	FSTR("error", 3, 0,
	     "error is to record the problem with the service port The format of the error shall "
	     "comply with the following rules: - built-in error values shall be specified in this "
	     "file and those shall use\n  CamelCase names\n"
	     "- cloud provider specific error values must have names that comply with the\n"
	     "  format foo.example.com/CamelCase."),
};
static TYPE(k1s_t_IngressPortStatus, "io.k8s.api.networking.v1.IngressPortStatus",
	    "IngressPortStatus represents the error condition of a service port");

static const struct k1s_field k1s_t_IngressLoadBalancerIngress_f[] = {
	FSTR("ip", 1, 0, "ip is set for load-balancer ingress points that are IP based."),
	FSTR("hostname", 2, 0,
	     "hostname is set for load-balancer ingress points that are DNS based."),
	FLIST("ports", k1s_t_IngressPortStatus, 4, NULL, NULL, 0,
	      "ports provides information about the ports exposed by this LoadBalancer."),
};
static TYPE(k1s_t_IngressLoadBalancerIngress,
	    "io.k8s.api.networking.v1.IngressLoadBalancerIngress",
	    "IngressLoadBalancerIngress represents the status of a load-balancer ingress point.");

static const struct k1s_field k1s_t_IngressLoadBalancerStatus_f[] = {
	FLIST("ingress", k1s_t_IngressLoadBalancerIngress, 1, NULL, NULL, 0,
	      "ingress is a list containing ingress points for the load-balancer."),
};
static TYPE(k1s_t_IngressLoadBalancerStatus,
	    "io.k8s.api.networking.v1.IngressLoadBalancerStatus",
	    "IngressLoadBalancerStatus represents the status of a load-balancer.");

static const struct k1s_field k1s_t_IngressStatus_f[] = {
	FOBJ("loadBalancer", k1s_t_IngressLoadBalancerStatus, 1, 0,
	     "loadBalancer contains the current status of the load-balancer."),
};
static TYPE(k1s_t_IngressStatus, "io.k8s.api.networking.v1.IngressStatus",
	    "IngressStatus describe the current state of the Ingress.");

static const struct k1s_field k1s_t_Ingress_f[] = {
	TYPEMETA,
	FOBJ("metadata", k1s_t_ObjectMeta, 1, 0, DOC_METADATA),
	FOBJ("spec", k1s_t_IngressSpec, 2, 0,
	     "spec is the desired state of the Ingress. More info: " DOC_SPEC_STATUS),
	FOBJ("status", k1s_t_IngressStatus, 3, 0,
	     "status is the current state of the Ingress. More info: " DOC_SPEC_STATUS),
};
TYPE(k1s_t_Ingress, "io.k8s.api.networking.v1.Ingress",
     "Ingress is a collection of rules that allow inbound connections to reach the endpoints "
     "defined by a backend. An Ingress can be configured to give services "
     "externally-reachable urls, load balance traffic, terminate SSL, offer name based "
     "virtual hosting etc.");

/* ---- networking.k8s.io/v1: IngressClass ---- */

static const struct k1s_field k1s_t_IngressClassParametersReference_f[] = {
	FSTR("apiGroup", 1, 0,
	     "apiGroup is the group for the resource being referenced. If APIGroup is not "
	     "specified, the specified Kind must be in the core API group. For any other "
	     "third-party types, APIGroup is required."),
	FSTR("kind", 2, K1S_FF_REQUIRED, "kind is the type of resource being referenced."),
	FSTR("name", 3, K1S_FF_REQUIRED, "name is the name of resource being referenced."),
	FSTR("scope", 4, 0,
	     "scope represents if this refers to a cluster or namespace scoped resource. This "
	     "may be set to \"Cluster\" (default) or \"Namespace\"."),
	FSTR("namespace", 5, 0,
	     "namespace is the namespace of the resource being referenced. This field is "
	     "required when scope is set to \"Namespace\" and must be unset when scope is set to "
	     "\"Cluster\"."),
};
static TYPE(k1s_t_IngressClassParametersReference,
	    "io.k8s.api.networking.v1.IngressClassParametersReference",
	    "IngressClassParametersReference identifies an API object. This can be used to "
	    "specify a cluster or namespace-scoped resource.");

static const struct k1s_field k1s_t_IngressClassSpec_f[] = {
	FSTR("controller", 1, 0,
	     "controller refers to the name of the controller that should handle this class. "
	     "This allows for different \"flavors\" that are controlled by the same controller. "
	     "For example, you may have different parameters for the same implementing "
	     "controller. This should be specified as a domain-prefixed path no more than 250 "
	     "characters in length, e.g. \"acme.io/ingress-controller\". This field is "
	     "immutable."),
	FOBJ("parameters", k1s_t_IngressClassParametersReference, 2, 0,
	     "parameters is a link to a custom resource containing additional configuration for "
	     "the controller. This is optional if the controller does not require extra "
	     "parameters."),
};
static TYPE(k1s_t_IngressClassSpec, "io.k8s.api.networking.v1.IngressClassSpec",
	    "IngressClassSpec provides information about the class of an Ingress.");

static const struct k1s_field k1s_t_IngressClass_f[] = {
	TYPEMETA,
	FOBJ("metadata", k1s_t_ObjectMeta, 1, 0, DOC_METADATA),
	FOBJ("spec", k1s_t_IngressClassSpec, 2, 0,
	     "spec is the desired state of the IngressClass. More info: " DOC_SPEC_STATUS),
};
TYPE(k1s_t_IngressClass, "io.k8s.api.networking.v1.IngressClass",
     "IngressClass represents the class of the Ingress, referenced by the Ingress Spec. The "
     "`ingressclass.kubernetes.io/is-default-class` annotation can be used to indicate that "
     "an IngressClass should be considered default. When a single IngressClass resource has "
     "this annotation set to true, new Ingress resources without a class specified will be "
     "assigned this default class.");

/* ---- networking.k8s.io/v1: NetworkPolicy ---- */

static const struct k1s_field k1s_t_IPBlock_f[] = {
	FSTR("cidr", 1, K1S_FF_REQUIRED,
	     "cidr is a string representing the IPBlock Valid examples are \"192.168.1.0/24\" or "
	     "\"2001:db8::/64\""),
	FSTRS("except", 2, 0,
	      "except is a slice of CIDRs that should not be included within an IPBlock Valid "
	      "examples are \"192.168.1.0/24\" or \"2001:db8::/64\" Except values will be "
	      "rejected if they are outside the cidr range"),
};
static TYPE(k1s_t_IPBlock, "io.k8s.api.networking.v1.IPBlock",
	    "IPBlock describes a particular CIDR (Ex. \"192.168.1.0/24\",\"2001:db8::/64\") that "
	    "is allowed to the pods matched by a NetworkPolicySpec's podSelector. The except "
	    "entry describes CIDRs that should not be included within this rule.");

static const struct k1s_field k1s_t_NetworkPolicyPeer_f[] = {
	FOBJ("podSelector", k1s_t_LabelSelector, 1, 0,
	     "podSelector is a label selector which selects pods. This field follows standard "
	     "label selector semantics; if present but empty, it selects all pods.\n\n"
	     "If namespaceSelector is also set, then the NetworkPolicyPeer as a whole selects the "
	     "pods matching podSelector in the Namespaces selected by NamespaceSelector. "
	     "Otherwise it selects the pods matching podSelector in the policy's own namespace."),
	FOBJ("namespaceSelector", k1s_t_LabelSelector, 2, 0,
	     "namespaceSelector selects namespaces using cluster-scoped labels. This field "
	     "follows standard label selector semantics; if present but empty, it selects all "
	     "namespaces.\n\n"
	     "If podSelector is also set, then the NetworkPolicyPeer as a whole selects the pods "
	     "matching podSelector in the namespaces selected by namespaceSelector. Otherwise it "
	     "selects all pods in the namespaces selected by namespaceSelector."),
	FOBJ("ipBlock", k1s_t_IPBlock, 3, 0,
	     "ipBlock defines policy on a particular IPBlock. If this field is set then neither "
	     "of the other fields can be."),
};
static TYPE(k1s_t_NetworkPolicyPeer, "io.k8s.api.networking.v1.NetworkPolicyPeer",
	    "NetworkPolicyPeer describes a peer to allow traffic to/from. Only certain "
	    "combinations of fields are allowed");

static const struct k1s_field k1s_t_NetworkPolicyPort_f[] = {
	FSTR("protocol", 1, 0,
	     "protocol represents the protocol (TCP, UDP, or SCTP) which traffic must match. If "
	     "not specified, this field defaults to TCP."),
	FIOS("port", 2, 0,
	     "port represents the port on the given protocol. This can either be a numerical or "
	     "named port on a pod. If this field is not provided, this matches all port names and "
	     "numbers. If present, only traffic on the specified protocol AND port will be "
	     "matched."),
	FI32("endPort", 3, 0,
	     "endPort indicates that the range of ports from port to endPort if set, inclusive, "
	     "should be allowed by the policy. This field cannot be defined if the port field is "
	     "not defined or if the port field is defined as a named (string) port. The endPort "
	     "must be equal or greater than port."),
};
static TYPE(k1s_t_NetworkPolicyPort, "io.k8s.api.networking.v1.NetworkPolicyPort",
	    "NetworkPolicyPort describes a port to allow traffic on");

static const struct k1s_field k1s_t_NetworkPolicyIngressRule_f[] = {
	FLIST("ports", k1s_t_NetworkPolicyPort, 1, NULL, NULL, 0,
	      "ports is a list of ports which should be made accessible on the pods selected for "
	      "this rule. Each item in this list is combined using a logical OR. If this field "
	      "is empty or missing, this rule matches all ports (traffic not restricted by "
	      "port). If this field is present and contains at least one item, then this rule "
	      "allows traffic only if the traffic matches at least one port in the list."),
	FLIST("from", k1s_t_NetworkPolicyPeer, 2, NULL, NULL, 0,
	      "from is a list of sources which should be able to access the pods selected for "
	      "this rule. Items in this list are combined using a logical OR operation. If this "
	      "field is empty or missing, this rule matches all sources (traffic not restricted "
	      "by source). If this field is present and contains at least one item, this rule "
	      "allows traffic only if the traffic matches at least one item in the from list."),
};
static TYPE(k1s_t_NetworkPolicyIngressRule, "io.k8s.api.networking.v1.NetworkPolicyIngressRule",
	    "NetworkPolicyIngressRule describes a particular set of traffic that is allowed to "
	    "the pods matched by a NetworkPolicySpec's podSelector. The traffic must match both "
	    "ports and from.");

static const struct k1s_field k1s_t_NetworkPolicyEgressRule_f[] = {
	FLIST("ports", k1s_t_NetworkPolicyPort, 1, NULL, NULL, 0,
	      "ports is a list of destination ports for outgoing traffic. Each item in this list "
	      "is combined using a logical OR. If this field is empty or missing, this rule "
	      "matches all ports (traffic not restricted by port). If this field is present and "
	      "contains at least one item, then this rule allows traffic only if the traffic "
	      "matches at least one port in the list."),
	FLIST("to", k1s_t_NetworkPolicyPeer, 2, NULL, NULL, 0,
	      "to is a list of destinations for outgoing traffic of pods selected for this rule. "
	      "Items in this list are combined using a logical OR operation. If this field is "
	      "empty or missing, this rule matches all destinations (traffic not restricted by "
	      "destination). If this field is present and contains at least one item, this rule "
	      "allows traffic only if the traffic matches at least one item in the to list."),
};
static TYPE(k1s_t_NetworkPolicyEgressRule, "io.k8s.api.networking.v1.NetworkPolicyEgressRule",
	    "NetworkPolicyEgressRule describes a particular set of traffic that is allowed out "
	    "of pods matched by a NetworkPolicySpec's podSelector. The traffic must match both "
	    "ports and to. This type is beta-level in 1.8");

static const struct k1s_field k1s_t_NetworkPolicySpec_f[] = {
	FOBJ("podSelector", k1s_t_LabelSelector, 1, 0,
	     "podSelector selects the pods to which this NetworkPolicy object applies. The array "
	     "of rules is applied to any pods selected by this field. An empty selector matches "
	     "all pods in the policy's namespace. Multiple network policies can select the same "
	     "set of pods. In this case, the ingress rules for each are combined additively. "
	     "This field is optional. If it is not specified, it defaults to an empty selector."),
	FLIST("ingress", k1s_t_NetworkPolicyIngressRule, 2, NULL, NULL, 0,
	      "ingress is a list of ingress rules to be applied to the selected pods. Traffic is "
	      "allowed to a pod if there are no NetworkPolicies selecting the pod (and cluster "
	      "policy otherwise allows the traffic), OR if the traffic source is the pod's local "
	      "node, OR if the traffic matches at least one ingress rule across all of the "
	      "NetworkPolicy objects whose podSelector matches the pod. If this field is empty "
	      "then this NetworkPolicy does not allow any traffic (and serves solely to ensure "
	      "that the pods it selects are isolated by default)"),
	FLIST("egress", k1s_t_NetworkPolicyEgressRule, 3, NULL, NULL, 0,
	      "egress is a list of egress rules to be applied to the selected pods. Outgoing "
	      "traffic is allowed if there are no NetworkPolicies selecting the pod (and cluster "
	      "policy otherwise allows the traffic), OR if the traffic matches at least one "
	      "egress rule across all of the NetworkPolicy objects whose podSelector matches the "
	      "pod. If this field is empty then this NetworkPolicy limits all outgoing traffic "
	      "(and serves solely to ensure that the pods it selects are isolated by default). "
	      "This field is beta-level in 1.8"),
	FSTRS("policyTypes", 4, 0,
	      "policyTypes is a list of rule types that the NetworkPolicy relates to. Valid "
	      "options are [\"Ingress\"], [\"Egress\"], or [\"Ingress\", \"Egress\"]. If this "
	      "field is not specified, it will default based on the existence of ingress or "
	      "egress rules; policies that contain an egress section are assumed to affect "
	      "egress, and all policies (whether or not they contain an ingress section) are "
	      "assumed to affect ingress. If you want to write an egress-only policy, you must "
	      "explicitly specify policyTypes [ \"Egress\" ]. Likewise, if you want to write a "
	      "policy that specifies that no egress is allowed, you must specify a policyTypes "
	      "value that include \"Egress\" (since such a policy would not include an egress "
	      "section and would otherwise default to just [ \"Ingress\" ]). This field is "
	      "beta-level in 1.8"),
};
static TYPE(k1s_t_NetworkPolicySpec, "io.k8s.api.networking.v1.NetworkPolicySpec",
	    "NetworkPolicySpec provides the specification of a NetworkPolicy");

static const struct k1s_field k1s_t_NetworkPolicy_f[] = {
	TYPEMETA,
	FOBJ("metadata", k1s_t_ObjectMeta, 1, 0, DOC_METADATA),
	FOBJ("spec", k1s_t_NetworkPolicySpec, 2, 0,
	     "spec represents the specification of the desired behavior for this NetworkPolicy."),
};
TYPE(k1s_t_NetworkPolicy, "io.k8s.api.networking.v1.NetworkPolicy",
     "NetworkPolicy describes what network traffic is allowed for a set of Pods");

/* ---- discovery.k8s.io/v1: EndpointSlice ---- */

static const struct k1s_field k1s_t_EndpointConditions_f[] = {
	FBOOL("ready", 1, 0,
	      "ready indicates that this endpoint is ready to receive traffic, according to "
	      "whatever system is managing the endpoint. A nil value should be interpreted as "
	      "\"true\". In general, an endpoint should be marked ready if it is serving and not "
	      "terminating, though this can be overridden in some cases, such as when the "
	      "associated Service has set the publishNotReadyAddresses flag."),
	FBOOL("serving", 2, 0,
	      "serving indicates that this endpoint is able to receive traffic, according to "
	      "whatever system is managing the endpoint. For endpoints backed by pods, the "
	      "EndpointSlice controller will mark the endpoint as serving if the pod's Ready "
	      "condition is True. A nil value should be interpreted as \"true\"."),
	FBOOL("terminating", 3, 0,
	      "terminating indicates that this endpoint is terminating. A nil value should be "
	      "interpreted as \"false\"."),
};
static TYPE(k1s_t_EndpointConditions, "io.k8s.api.discovery.v1.EndpointConditions",
	    "EndpointConditions represents the current condition of an endpoint.");

static const struct k1s_field k1s_t_ForZone_f[] = {
	FSTR("name", 1, K1S_FF_REQUIRED, "name represents the name of the zone."),
};
static TYPE(k1s_t_ForZone, "io.k8s.api.discovery.v1.ForZone",
	    "ForZone provides information about which zones should consume this endpoint.");

static const struct k1s_field k1s_t_EndpointHints_f[] = {
	FLIST("forZones", k1s_t_ForZone, 1, NULL, NULL, 0,
	      "forZones indicates the zone(s) this endpoint should be consumed by when using "
	      "topology aware routing. May contain a maximum of 8 entries."),
};
static TYPE(k1s_t_EndpointHints, "io.k8s.api.discovery.v1.EndpointHints",
	    "EndpointHints provides hints describing how an endpoint should be consumed.");

static const struct k1s_field k1s_t_Endpoint_f[] = {
	/* listType=set, but strategic merge replaces it: no patch tags. */
	FSTRS("addresses", 1, K1S_FF_REQUIRED,
	      "addresses of this endpoint. For EndpointSlices of addressType \"IPv4\" or "
	      "\"IPv6\", the values are IP addresses in canonical form. The syntax and semantics "
	      "of other addressType values are not defined. This must contain at least one "
	      "address but no more than 100. EndpointSlices generated by the EndpointSlice "
	      "controller will always have exactly 1 address. No semantics are defined for "
	      "additional addresses beyond the first, and kube-proxy does not look at them."),
	FOBJ("conditions", k1s_t_EndpointConditions, 2, 0,
	     "conditions contains information about the current status of the endpoint."),
	FSTR("hostname", 3, 0,
	     "hostname of this endpoint. This field may be used by consumers of endpoints to "
	     "distinguish endpoints from each other (e.g. in DNS names). Multiple endpoints "
	     "which use the same hostname should be considered fungible (e.g. multiple A values "
	     "in DNS). Must be lowercase and pass DNS Label (RFC 1123) validation."),
	FOBJ("targetRef", k1s_t_ObjectReference, 4, 0,
	     "targetRef is a reference to a Kubernetes object that represents this endpoint."),
	FSTRMAP("deprecatedTopology", 5, 0,
		"deprecatedTopology contains topology information part of the v1beta1 API. This "
		"field is deprecated, and will be removed when the v1beta1 API is removed (no "
		"sooner than kubernetes v1.24).  While this field can hold values, it is not "
		"writable through the v1 API, and any attempts to write to it will be silently "
		"ignored. Topology information can be found in the zone and nodeName fields "
		"instead."),
	FSTR("nodeName", 6, 0,
	     "nodeName represents the name of the Node hosting this endpoint. This can be used "
	     "to determine endpoints local to a Node."),
	FSTR("zone", 7, 0, "zone is the name of the Zone this endpoint exists in."),
	FOBJ("hints", k1s_t_EndpointHints, 8, 0,
	     "hints contains information associated with how an endpoint should be consumed."),
};
static TYPE(k1s_t_Endpoint, "io.k8s.api.discovery.v1.Endpoint",
	    "Endpoint represents a single logical \"backend\" implementing a service.");

static const struct k1s_field k1s_t_EndpointPort_f[] = {
	FSTR("name", 1, 0,
	     "name represents the name of this port. All ports in an EndpointSlice must have a "
	     "unique name. If the EndpointSlice is derived from a Kubernetes service, this "
	     "corresponds to the Service.ports[].name. Name must either be an empty string or "
	     "pass DNS_LABEL validation: * must be no more than 63 characters long. * must "
	     "consist of lower case alphanumeric characters or '-'. * must start and end with an "
	     "alphanumeric character. Default is empty string."),
	FSTR("protocol", 2, 0,
	     "protocol represents the IP protocol for this port. Must be UDP, TCP, or SCTP. "
	     "Default is TCP."),
	FI32("port", 3, 0,
	     "port represents the port number of the endpoint. If the EndpointSlice is derived "
	     "from a Kubernetes service, this must be set to the service's target port. "
	     "EndpointSlices used for other purposes may have a nil port."),
	FSTR("appProtocol", 4, 0,
	     "The application protocol for this port. This is used as a hint for implementations "
	     "to offer richer behavior for protocols that they understand. This field follows "
	     "standard Kubernetes label syntax. Valid values are either:\n\n"
	     "* Un-prefixed protocol names - reserved for IANA standard service names (as per "
	     "RFC-6335 and https://www.iana.org/assignments/service-names).\n\n"
	     "* Kubernetes-defined prefixed names:\n"
	     "  * 'kubernetes.io/h2c' - HTTP/2 prior knowledge over cleartext as described in "
	     "https://www.rfc-editor.org/rfc/rfc9113.html#name-starting-http-2-with-prior-\n"
	     "  * 'kubernetes.io/ws'  - WebSocket over cleartext as described in "
	     "https://www.rfc-editor.org/rfc/rfc6455\n"
	     "  * 'kubernetes.io/wss' - WebSocket over TLS as described in "
	     "https://www.rfc-editor.org/rfc/rfc6455\n\n"
	     "* Other protocols should use implementation-defined prefixed names such as "
	     "mycompany.com/my-custom-protocol."),
};
static TYPE(k1s_t_EndpointPort, "io.k8s.api.discovery.v1.EndpointPort",
	    "EndpointPort represents a Port used by an EndpointSlice");

static const struct k1s_field k1s_t_EndpointSlice_f[] = {
	TYPEMETA,
	FOBJ("metadata", k1s_t_ObjectMeta, 1, 0, "Standard object's metadata."),
	FSTR("addressType", 4, K1S_FF_REQUIRED,
	     "addressType specifies the type of address carried by this EndpointSlice. All "
	     "addresses in this slice must be the same type. This field is immutable after "
	     "creation. The following address types are currently supported: * IPv4: Represents "
	     "an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully "
	     "Qualified Domain Name."),
	FLIST("endpoints", k1s_t_Endpoint, 2, NULL, NULL, K1S_FF_REQUIRED,
	      "endpoints is a list of unique endpoints in this slice. Each slice may include a "
	      "maximum of 1000 endpoints."),
	FLIST("ports", k1s_t_EndpointPort, 3, NULL, NULL, 0,
	      "ports specifies the list of network ports exposed by each endpoint in this slice. "
	      "Each port must have a unique name. When ports is empty, it indicates that there "
	      "are no defined ports. When a port is defined with a nil port value, it indicates "
	      "\"all ports\". Each slice may include a maximum of 100 ports."),
};
TYPE(k1s_t_EndpointSlice, "io.k8s.api.discovery.v1.EndpointSlice",
     "EndpointSlice represents a set of service endpoints. Most EndpointSlices are created by "
     "the EndpointSlice controller to represent the Pods selected by Service objects. For a "
     "given service there may be multiple EndpointSlice objects which must be joined to "
     "produce the full set of endpoints; you can find all of the slices for a given service "
     "by listing EndpointSlices in the service's namespace whose "
     "`kubernetes.io/service-name` label contains the service's name.");
