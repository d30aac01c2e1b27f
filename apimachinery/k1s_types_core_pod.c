/* Type tables of core/v1 Pod, PodTemplateSpec and their subtree.
 *
 * Field numbers are those of k8s.io/api core/v1 generated.proto. A Go
 * struct that is embedded inline (Probe's ProbeHandler, Volume's
 * VolumeSource, the LocalObjectReference inside key selectors and volume
 * sources) is a nested message on the wire but flat in JSON; its members
 * carry proto 0 here, so a protobuf reader skips that nested message rather
 * than misread it. Deep subtrees that k1s does not act on (affinity,
 * ephemeral containers, volume sources other than those a single node can
 * serve) are K1S_T_ANY. */
#include <stddef.h>

#include "k1s_types_int.h"

#define FLD(n, t, c, r, p, mk, lmk, fl, d)                                             \
	{ .name = (n), .type = (t), .container = (c), .ref = (r), .proto = (p),        \
	  .merge_key = (mk), .list_map_keys = (lmk), .flags = (fl), .doc = (d) }
#define S(n, p, fl, d) FLD(n, K1S_T_STRING, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define I32(n, p, fl, d) FLD(n, K1S_T_INT32, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define I64(n, p, fl, d) FLD(n, K1S_T_INT64, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define B(n, p, fl, d) FLD(n, K1S_T_BOOL, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define T(n, p, fl, d) FLD(n, K1S_T_TIME, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define Q(n, p, fl, d) FLD(n, K1S_T_QUANTITY, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define IOS(n, p, fl, d) FLD(n, K1S_T_INT_OR_STRING, K1S_C_NONE, NULL, p, NULL, NULL, fl, d)
#define O(n, r, p, fl, d) FLD(n, K1S_T_OBJECT, K1S_C_NONE, r, p, NULL, NULL, fl, d)
#define L(n, r, p, mk, lmk, fl, d) FLD(n, K1S_T_OBJECT, K1S_C_LIST, r, p, mk, lmk, fl, d)
#define SL(n, p, fl, d) FLD(n, K1S_T_STRING, K1S_C_LIST, NULL, p, NULL, NULL, fl, d)
#define SM(n, p, d) FLD(n, K1S_T_STRING, K1S_C_MAP, NULL, p, NULL, NULL, 0, d)
#define QM(n, p, d) FLD(n, K1S_T_QUANTITY, K1S_C_MAP, NULL, p, NULL, NULL, 0, d)
#define ANY(n, p, d) FLD(n, K1S_T_ANY, K1S_C_NONE, NULL, p, NULL, NULL, 0, d)
#define ANYL(n, p, mk, lmk, fl, d) FLD(n, K1S_T_ANY, K1S_C_LIST, NULL, p, mk, lmk, fl, d)
#define R K1S_FF_REQUIRED

#define TYPE(var, oname, d) const struct k1s_type var = { oname, d, var##_f, K1S_NFIELDS(var##_f) }
#define CORE "io.k8s.api.core.v1."

#define DOC_METADATA                                                                     \
	"Standard object's metadata. More info: "                                         \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
#define DOC_SPEC_STATUS                                                                  \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status"
#define DOC_PROBES "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes"
#define DOC_MODE                                                                         \
	"Must be an octal value between 0000 and 0777 or a decimal value between 0 and "  \
	"511. YAML accepts both octal and decimal values, JSON requires decimal values for " \
	"mode bits."
/* The name of an inline LocalObjectReference: nested message 1 on the wire. */
#define INLINE_NAME(what)                                                                \
	S("name", 0, 0,                                                                    \
	  "Name of the referent" what ". This field is effectively required, but due to "   \
	  "backwards compatibility is allowed to be empty. Instances of this type with an " \
	  "empty value here are almost certainly wrong. More info: "                       \
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names")

/* ---- selectors and references ---- */

static const struct k1s_field t_LocalObjectReference_f[] = {
	S("name", 1, 0,
	  "Name of the referent. This field is effectively required, but due to backwards "
	  "compatibility is allowed to be empty. Instances of this type with an empty value "
	  "here are almost certainly wrong. More info: "
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names"),
};
static TYPE(t_LocalObjectReference, CORE "LocalObjectReference",
	    "LocalObjectReference contains enough information to let you locate the referenced "
	    "object inside the same namespace.");
/* The same type for the tables of other files (ServiceAccount.imagePullSecrets). */
const struct k1s_type k1s_t_LocalObjectReference = {
	CORE "LocalObjectReference",
	"LocalObjectReference contains enough information to let you locate the referenced "
	"object inside the same namespace.",
	t_LocalObjectReference_f, K1S_NFIELDS(t_LocalObjectReference_f)};

static const struct k1s_field t_ObjectFieldSelector_f[] = {
	S("apiVersion", 1, 0,
	  "Version of the schema the FieldPath is written in terms of, defaults to \"v1\"."),
	S("fieldPath", 2, R, "Path of the field to select in the specified API version."),
};
static TYPE(t_ObjectFieldSelector, CORE "ObjectFieldSelector",
	    "ObjectFieldSelector selects an APIVersioned field of an object.");

static const struct k1s_field t_ResourceFieldSelector_f[] = {
	S("containerName", 1, 0, "Container name: required for volumes, optional for env vars"),
	S("resource", 2, R, "Required: resource to select"),
	Q("divisor", 3, 0,
	  "Specifies the output format of the exposed resources, defaults to \"1\""),
};
static TYPE(t_ResourceFieldSelector, CORE "ResourceFieldSelector",
	    "ResourceFieldSelector represents container resources (cpu, memory) and their "
	    "output format");

static const struct k1s_field t_ConfigMapKeySelector_f[] = {
	INLINE_NAME(" (the ConfigMap to select from)"),
	S("key", 2, R, "The key to select."),
	B("optional", 3, 0, "Specify whether the ConfigMap or its key must be defined"),
};
static TYPE(t_ConfigMapKeySelector, CORE "ConfigMapKeySelector",
	    "Selects a key from a ConfigMap.");

static const struct k1s_field t_SecretKeySelector_f[] = {
	INLINE_NAME(" (the Secret to select from)"),
	S("key", 2, R,
	  "The key of the secret to select from.  Must be a valid secret key."),
	B("optional", 3, 0, "Specify whether the Secret or its key must be defined"),
};
static TYPE(t_SecretKeySelector, CORE "SecretKeySelector",
	    "SecretKeySelector selects a key of a Secret.");

/* ---- environment ---- */

static const struct k1s_field t_EnvVarSource_f[] = {
	O("fieldRef", &t_ObjectFieldSelector, 1, 0,
	  "Selects a field of the pod: supports metadata.name, metadata.namespace, "
	  "`metadata.labels['<KEY>']`, `metadata.annotations['<KEY>']`, spec.nodeName, "
	  "spec.serviceAccountName, status.hostIP, status.podIP, status.podIPs."),
	O("resourceFieldRef", &t_ResourceFieldSelector, 2, 0,
	  "Selects a resource of the container: only resources limits and requests "
	  "(limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, "
	  "requests.memory and requests.ephemeral-storage) are currently supported."),
	O("configMapKeyRef", &t_ConfigMapKeySelector, 3, 0, "Selects a key of a ConfigMap."),
	O("secretKeyRef", &t_SecretKeySelector, 4, 0,
	  "Selects a key of a secret in the pod's namespace"),
	ANY("fileKeyRef", 5,
	    "FileKeyRef selects a key of the env file. Requires the EnvFiles feature gate to be "
	    "enabled."),
};
static TYPE(t_EnvVarSource, CORE "EnvVarSource",
	    "EnvVarSource represents a source for the value of an EnvVar.");

static const struct k1s_field t_EnvVar_f[] = {
	S("name", 1, R,
	  "Name of the environment variable. May consist of any printable ASCII characters "
	  "except '='."),
	S("value", 2, 0,
	  "Variable references $(VAR_NAME) are expanded using the previously defined "
	  "environment variables in the container and any service environment variables. If "
	  "a variable cannot be resolved, the reference in the input string will be unchanged. "
	  "Double $$ are reduced to a single $, which allows for escaping the $(VAR_NAME) "
	  "syntax: i.e. \"$$(VAR_NAME)\" will produce the string literal \"$(VAR_NAME)\". "
	  "Escaped references will never be expanded, regardless of whether the variable "
	  "exists or not. Defaults to \"\"."),
	O("valueFrom", &t_EnvVarSource, 3, 0,
	  "Source for the environment variable's value. Cannot be used if value is not empty."),
};
static TYPE(t_EnvVar, CORE "EnvVar",
	    "EnvVar represents an environment variable present in a Container.");

static const struct k1s_field t_ConfigMapEnvSource_f[] = {
	INLINE_NAME(" (the ConfigMap to select from)"),
	B("optional", 2, 0, "Specify whether the ConfigMap must be defined"),
};
static TYPE(t_ConfigMapEnvSource, CORE "ConfigMapEnvSource",
	    "ConfigMapEnvSource selects a ConfigMap to populate the environment variables "
	    "with.");

static const struct k1s_field t_SecretEnvSource_f[] = {
	INLINE_NAME(" (the Secret to select from)"),
	B("optional", 2, 0, "Specify whether the Secret must be defined"),
};
static TYPE(t_SecretEnvSource, CORE "SecretEnvSource",
	    "SecretEnvSource selects a Secret to populate the environment variables with.");

static const struct k1s_field t_EnvFromSource_f[] = {
	S("prefix", 1, 0,
	  "Optional text to prepend to the name of each environment variable. May consist of "
	  "any printable ASCII characters except '='."),
	O("configMapRef", &t_ConfigMapEnvSource, 2, 0, "The ConfigMap to select from"),
	O("secretRef", &t_SecretEnvSource, 3, 0, "The Secret to select from"),
};
static TYPE(t_EnvFromSource, CORE "EnvFromSource",
	    "EnvFromSource represents the source of a set of ConfigMaps or Secrets");

/* ---- ports, resources, mounts ---- */

static const struct k1s_field t_ContainerPort_f[] = {
	S("name", 1, 0,
	  "If specified, this must be an IANA_SVC_NAME and unique within the pod. Each named "
	  "port in a pod must have a unique name. Name for the port that can be referred to by "
	  "services."),
	I32("hostPort", 2, 0,
	    "Number of port to expose on the host. If specified, this must be a valid port "
	    "number, 0 < x < 65536. If HostNetwork is specified, this must match "
	    "ContainerPort. Most containers do not need this."),
	I32("containerPort", 3, R,
	    "Number of port to expose on the pod's IP address. This must be a valid port "
	    "number, 0 < x < 65536."),
	S("protocol", 4, 0, "Protocol for port. Must be UDP, TCP, or SCTP. Defaults to \"TCP\"."),
	S("hostIP", 5, 0, "What host IP to bind the external port to."),
};
static TYPE(t_ContainerPort, CORE "ContainerPort",
	    "ContainerPort represents a network port in a single container.");

static const struct k1s_field t_ResourceClaim_f[] = {
	S("name", 1, R,
	  "Name must match the name of one entry in pod.spec.resourceClaims of the Pod where "
	  "this field is used. It makes that resource available inside a container."),
	S("request", 2, 0,
	  "Request is the name chosen for a request in the referenced claim. If empty, "
	  "everything from the claim is made available, otherwise only the result of this "
	  "request."),
};
static TYPE(t_ResourceClaim, CORE "ResourceClaim",
	    "ResourceClaim references one entry in PodSpec.ResourceClaims.");

static const struct k1s_field t_ResourceRequirements_f[] = {
	QM("limits", 1,
	   "Limits describes the maximum amount of compute resources allowed. More info: "
	   "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"),
	QM("requests", 2,
	   "Requests describes the minimum amount of compute resources required. If Requests "
	   "is omitted for a container, it defaults to Limits if that is explicitly specified, "
	   "otherwise to an implementation-defined value. Requests cannot exceed Limits. More "
	   "info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"),
	L("claims", &t_ResourceClaim, 3, NULL, "name", 0,
	  "Claims lists the names of resources, defined in spec.resourceClaims, that are used "
	  "by this container.\n\nThis field depends on the DynamicResourceAllocation feature "
	  "gate.\n\nThis field is immutable. It can only be set for containers."),
};
static TYPE(t_ResourceRequirements, CORE "ResourceRequirements",
	    "ResourceRequirements describes the compute resource requirements.");

static const struct k1s_field t_ContainerResizePolicy_f[] = {
	S("resourceName", 1, R,
	  "Name of the resource to which this resource resize policy applies. Supported "
	  "values: cpu, memory."),
	S("restartPolicy", 2, R,
	  "Restart policy to apply when specified resource is resized. If not specified, it "
	  "defaults to NotRequired."),
};
static TYPE(t_ContainerResizePolicy, CORE "ContainerResizePolicy",
	    "ContainerResizePolicy represents resource resize policy for the container.");

static const struct k1s_field t_VolumeMount_f[] = {
	S("name", 1, R, "This must match the Name of a Volume."),
	B("readOnly", 2, 0,
	  "Mounted read-only if true, read-write otherwise (false or unspecified). Defaults to "
	  "false."),
	S("recursiveReadOnly", 7, 0,
	  "RecursiveReadOnly specifies whether read-only mounts should be handled "
	  "recursively.\n\nIf ReadOnly is false, this field has no meaning and must be "
	  "unspecified.\n\nIf ReadOnly is true, and this field is set to Disabled, the mount "
	  "is not made recursively read-only.  If this field is set to IfPossible, the mount is "
	  "made recursively read-only, if it is supported by the container runtime.  If this "
	  "field is set to Enabled, the mount is made recursively read-only if it is supported "
	  "by the container runtime, otherwise the pod will not be started and an error will "
	  "be generated to indicate the reason.\n\nIf this field is set to IfPossible or "
	  "Enabled, MountPropagation must be set to None (or be unspecified, which defaults to "
	  "None).\n\nIf this field is not specified, it is treated as an equivalent of "
	  "Disabled."),
	S("mountPath", 3, R,
	  "Path within the container at which the volume should be mounted.  Must not contain "
	  "':'."),
	S("subPath", 4, 0,
	  "Path within the volume from which the container's volume should be mounted. "
	  "Defaults to \"\" (volume's root)."),
	S("mountPropagation", 5, 0,
	  "mountPropagation determines how mounts are propagated from the host to container "
	  "and the other way around. When not set, MountPropagationNone is used. This field is "
	  "beta in 1.10. When RecursiveReadOnly is set to IfPossible or to Enabled, "
	  "MountPropagation must be None or unspecified (which defaults to None)."),
	S("subPathExpr", 6, 0,
	  "Expanded path within the volume from which the container's volume should be "
	  "mounted. Behaves similarly to SubPath but environment variable references "
	  "$(VAR_NAME) are expanded using the container's environment. Defaults to \"\" "
	  "(volume's root). SubPathExpr and SubPath are mutually exclusive."),
};
static TYPE(t_VolumeMount, CORE "VolumeMount",
	    "VolumeMount describes a mounting of a Volume within a container.");

static const struct k1s_field t_VolumeDevice_f[] = {
	S("name", 1, R, "name must match the name of a persistentVolumeClaim in the pod"),
	S("devicePath", 2, R,
	  "devicePath is the path inside of the container that the device will be mapped to."),
};
static TYPE(t_VolumeDevice, CORE "VolumeDevice",
	    "volumeDevice describes a mapping of a raw block device within a container.");

/* ---- probes and lifecycle ---- */

static const struct k1s_field t_ExecAction_f[] = {
	SL("command", 1, 0,
	   "Command is the command line to execute inside the container, the working "
	   "directory for the command  is root ('/') in the container's filesystem. The "
	   "command is simply exec'd, it is not run inside a shell, so traditional shell "
	   "instructions ('|', etc) won't work. To use a shell, you need to explicitly call out "
	   "to that shell. Exit status of 0 is treated as live/healthy and non-zero is "
	   "unhealthy."),
};
static TYPE(t_ExecAction, CORE "ExecAction", "ExecAction describes a \"run in container\" action.");

static const struct k1s_field t_HTTPHeader_f[] = {
	S("name", 1, R,
	  "The header field name. This will be canonicalized upon output, so case-variant "
	  "names will be understood as the same header."),
	S("value", 2, R, "The header field value"),
};
static TYPE(t_HTTPHeader, CORE "HTTPHeader",
	    "HTTPHeader describes a custom header to be used in HTTP probes");

static const struct k1s_field t_HTTPGetAction_f[] = {
	S("path", 1, 0, "Path to access on the HTTP server."),
	IOS("port", 2, R,
	    "Name or number of the port to access on the container. Number must be in the "
	    "range 1 to 65535. Name must be an IANA_SVC_NAME."),
	S("host", 3, 0,
	  "Host name to connect to, defaults to the pod IP. You probably want to set \"Host\" "
	  "in httpHeaders instead."),
	S("scheme", 4, 0, "Scheme to use for connecting to the host. Defaults to HTTP."),
	L("httpHeaders", &t_HTTPHeader, 5, NULL, NULL, 0,
	  "Custom headers to set in the request. HTTP allows repeated headers."),
};
static TYPE(t_HTTPGetAction, CORE "HTTPGetAction",
	    "HTTPGetAction describes an action based on HTTP Get requests.");

static const struct k1s_field t_TCPSocketAction_f[] = {
	IOS("port", 1, R,
	    "Number or name of the port to access on the container. Number must be in the "
	    "range 1 to 65535. Name must be an IANA_SVC_NAME."),
	S("host", 2, 0, "Optional: Host name to connect to, defaults to the pod IP."),
};
static TYPE(t_TCPSocketAction, CORE "TCPSocketAction",
	    "TCPSocketAction describes an action based on opening a socket");

static const struct k1s_field t_GRPCAction_f[] = {
	I32("port", 1, R,
	    "Port number of the gRPC service. Number must be in the range 1 to 65535."),
	S("service", 2, 0,
	  "Service is the name of the service to place in the gRPC HealthCheckRequest (see "
	  "https://github.com/grpc/grpc/blob/master/doc/health-checking.md).\n\nIf this is not "
	  "specified, the default behavior is defined by gRPC."),
};
static TYPE(t_GRPCAction, CORE "GRPCAction",
	    "GRPCAction specifies an action involving a GRPC service.");

static const struct k1s_field t_SleepAction_f[] = {
	I64("seconds", 1, R, "Seconds is the number of seconds to sleep."),
};
static TYPE(t_SleepAction, CORE "SleepAction", "SleepAction describes a \"sleep\" action.");

static const struct k1s_field t_Probe_f[] = {
	/* exec..grpc are the inline ProbeHandler, nested message 1 on the wire. */
	O("exec", &t_ExecAction, 0, 0, "Exec specifies a command to execute in the container."),
	O("httpGet", &t_HTTPGetAction, 0, 0, "HTTPGet specifies an HTTP GET request to perform."),
	O("tcpSocket", &t_TCPSocketAction, 0, 0,
	  "TCPSocket specifies a connection to a TCP port."),
	O("grpc", &t_GRPCAction, 0, 0, "GRPC specifies a GRPC HealthCheckRequest."),
	I32("initialDelaySeconds", 2, 0,
	    "Number of seconds after the container has started before liveness probes are "
	    "initiated. More info: " DOC_PROBES),
	I32("timeoutSeconds", 3, 0,
	    "Number of seconds after which the probe times out. Defaults to 1 second. Minimum "
	    "value is 1. More info: " DOC_PROBES),
	I32("periodSeconds", 4, 0,
	    "How often (in seconds) to perform the probe. Default to 10 seconds. Minimum value "
	    "is 1."),
	I32("successThreshold", 5, 0,
	    "Minimum consecutive successes for the probe to be considered successful after "
	    "having failed. Defaults to 1. Must be 1 for liveness and startup. Minimum value is "
	    "1."),
	I32("failureThreshold", 6, 0,
	    "Minimum consecutive failures for the probe to be considered failed after having "
	    "succeeded. Defaults to 3. Minimum value is 1."),
	I64("terminationGracePeriodSeconds", 7, 0,
	    "Optional duration in seconds the pod needs to terminate gracefully upon probe "
	    "failure. The grace period is the duration in seconds after the processes running "
	    "in the pod are sent a termination signal and the time when the processes are "
	    "forcibly halted with a kill signal. Set this value longer than the expected "
	    "cleanup time for your process. If this value is nil, the pod's "
	    "terminationGracePeriodSeconds will be used. Otherwise, this value overrides the "
	    "value provided by the pod spec. Value must be non-negative integer. The value zero "
	    "indicates stop immediately via the kill signal (no opportunity to shut down). "
	    "This is a beta field and requires enabling ProbeTerminationGracePeriod feature "
	    "gate. Minimum value is 1. spec.terminationGracePeriodSeconds is used if unset."),
};
static TYPE(t_Probe, CORE "Probe",
	    "Probe describes a health check to be performed against a container to determine "
	    "whether it is alive or ready to receive traffic.");

static const struct k1s_field t_LifecycleHandler_f[] = {
	O("exec", &t_ExecAction, 1, 0, "Exec specifies a command to execute in the container."),
	O("httpGet", &t_HTTPGetAction, 2, 0, "HTTPGet specifies an HTTP GET request to perform."),
	O("tcpSocket", &t_TCPSocketAction, 3, 0,
	  "Deprecated. TCPSocket is NOT supported as a LifecycleHandler and kept for backward "
	  "compatibility. There is no validation of this field and lifecycle hooks will fail "
	  "at runtime when it is specified."),
	O("sleep", &t_SleepAction, 4, 0,
	  "Sleep represents a duration that the container should sleep."),
};
static TYPE(t_LifecycleHandler, CORE "LifecycleHandler",
	    "LifecycleHandler defines a specific action that should be taken in a lifecycle "
	    "hook. One and only one of the fields, except TCPSocket must be specified.");

static const struct k1s_field t_Lifecycle_f[] = {
	O("postStart", &t_LifecycleHandler, 1, 0,
	  "PostStart is called immediately after a container is created. If the handler "
	  "fails, the container is terminated and restarted according to its restart policy. "
	  "Other management of the container blocks until the hook completes. More info: "
	  "https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/#container-hooks"),
	O("preStop", &t_LifecycleHandler, 2, 0,
	  "PreStop is called immediately before a container is terminated due to an API "
	  "request or management event such as liveness/startup probe failure, preemption, "
	  "resource contention, etc. The handler is not called if the container crashes or "
	  "exits. The Pod's termination grace period countdown begins before the PreStop hook "
	  "is executed. Regardless of the outcome of the handler, the container will "
	  "eventually terminate within the Pod's termination grace period (unless delayed by "
	  "finalizers). Other management of the container blocks until the hook completes or "
	  "until the termination grace period is reached. More info: "
	  "https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/#container-hooks"),
	S("stopSignal", 3, 0,
	  "StopSignal defines which signal will be sent to a container when it is being "
	  "stopped. If not specified, the default is defined by the container runtime in use. "
	  "StopSignal can only be set for Pods with a non-empty .spec.os.name"),
};
static TYPE(t_Lifecycle, CORE "Lifecycle",
	    "Lifecycle describes actions that the management system should take in response "
	    "to container lifecycle events. For the PostStart and PreStop lifecycle handlers, "
	    "management of the container blocks until the action is complete, unless the "
	    "container process fails, in which case the handler is aborted.");

/* ---- security ---- */

static const struct k1s_field t_Capabilities_f[] = {
	SL("add", 1, 0, "Added capabilities"),
	SL("drop", 2, 0, "Removed capabilities"),
};
static TYPE(t_Capabilities, CORE "Capabilities",
	    "Adds and removes POSIX capabilities from running containers.");

static const struct k1s_field t_SELinuxOptions_f[] = {
	S("user", 1, 0, "User is a SELinux user label that applies to the container."),
	S("role", 2, 0, "Role is a SELinux role label that applies to the container."),
	S("type", 3, 0, "Type is a SELinux type label that applies to the container."),
	S("level", 4, 0, "Level is SELinux level label that applies to the container."),
};
static TYPE(t_SELinuxOptions, CORE "SELinuxOptions",
	    "SELinuxOptions are the labels to be applied to the container");

static const struct k1s_field t_SeccompProfile_f[] = {
	S("type", 1, R,
	  "type indicates which kind of seccomp profile will be applied. Valid options "
	  "are:\n\nLocalhost - a profile defined in a file on the node should be used. "
	  "RuntimeDefault - the container runtime default profile should be used. Unconfined - "
	  "no profile should be applied."),
	S("localhostProfile", 2, 0,
	  "localhostProfile indicates a profile defined in a file on the node should be used. "
	  "The profile must be preconfigured on the node to work. Must be a descending path, "
	  "relative to the kubelet's configured seccomp profile location. Must be set if type "
	  "is \"Localhost\". Must NOT be set for any other type."),
};
static TYPE(t_SeccompProfile, CORE "SeccompProfile",
	    "SeccompProfile defines a pod/container's seccomp profile settings. Only one "
	    "profile source may be set.");

static const struct k1s_field t_AppArmorProfile_f[] = {
	S("type", 1, R,
	  "type indicates which kind of AppArmor profile will be applied. Valid options are:\n"
	  "  Localhost - a profile pre-loaded on the node.\n  RuntimeDefault - the container "
	  "runtime's default profile.\n  Unconfined - no AppArmor enforcement."),
	S("localhostProfile", 2, 0,
	  "localhostProfile indicates a profile loaded on the node that should be used. The "
	  "profile must be preconfigured on the node to work. Must match the loaded name of the "
	  "profile. Must be set if and only if type is \"Localhost\"."),
};
static TYPE(t_AppArmorProfile, CORE "AppArmorProfile",
	    "AppArmorProfile defines a pod or container's AppArmor settings.");

static const struct k1s_field t_SecurityContext_f[] = {
	O("capabilities", &t_Capabilities, 1, 0,
	  "The capabilities to add/drop when running containers. Defaults to the default set "
	  "of capabilities granted by the container runtime. Note that this field cannot be "
	  "set when spec.os.name is windows."),
	B("privileged", 2, 0,
	  "Run container in privileged mode. Processes in privileged containers are "
	  "essentially equivalent to root on the host. Defaults to false. Note that this field "
	  "cannot be set when spec.os.name is windows."),
	O("seLinuxOptions", &t_SELinuxOptions, 3, 0,
	  "The SELinux context to be applied to the container. If unspecified, the container "
	  "runtime will allocate a random SELinux context for each container.  May also be set "
	  "in PodSecurityContext.  If set in both SecurityContext and PodSecurityContext, the "
	  "value specified in SecurityContext takes precedence. Note that this field cannot be "
	  "set when spec.os.name is windows."),
	ANY("windowsOptions", 10,
	    "The Windows specific settings applied to all containers. If unspecified, the "
	    "options from the PodSecurityContext will be used. If set in both SecurityContext "
	    "and PodSecurityContext, the value specified in SecurityContext takes precedence. "
	    "Note that this field cannot be set when spec.os.name is linux."),
	I64("runAsUser", 4, 0,
	    "The UID to run the entrypoint of the container process. Defaults to user "
	    "specified in image metadata if unspecified. May also be set in "
	    "PodSecurityContext.  If set in both SecurityContext and PodSecurityContext, the "
	    "value specified in SecurityContext takes precedence. Note that this field cannot "
	    "be set when spec.os.name is windows."),
	I64("runAsGroup", 8, 0,
	    "The GID to run the entrypoint of the container process. Uses runtime default if "
	    "unset. May also be set in PodSecurityContext.  If set in both SecurityContext and "
	    "PodSecurityContext, the value specified in SecurityContext takes precedence. Note "
	    "that this field cannot be set when spec.os.name is windows."),
	B("runAsNonRoot", 5, 0,
	  "Indicates that the container must run as a non-root user. If true, the Kubelet will "
	  "validate the image at runtime to ensure that it does not run as UID 0 (root) and "
	  "fail to start the container if it does. If unset or false, no such validation will "
	  "be performed. May also be set in PodSecurityContext.  If set in both "
	  "SecurityContext and PodSecurityContext, the value specified in SecurityContext "
	  "takes precedence."),
	B("readOnlyRootFilesystem", 6, 0,
	  "Whether this container has a read-only root filesystem. Default is false. Note that "
	  "this field cannot be set when spec.os.name is windows."),
	B("allowPrivilegeEscalation", 7, 0,
	  "AllowPrivilegeEscalation controls whether a process can gain more privileges than "
	  "its parent process. This bool directly controls if the no_new_privs flag will be "
	  "set on the container process. AllowPrivilegeEscalation is true always when the "
	  "container is: 1) run as Privileged 2) has CAP_SYS_ADMIN Note that this field cannot "
	  "be set when spec.os.name is windows."),
	S("procMount", 9, 0,
	  "procMount denotes the type of proc mount to use for the containers. The default "
	  "value is Default which uses the container runtime defaults for readonly paths and "
	  "masked paths. This requires the ProcMountType feature flag to be enabled. Note that "
	  "this field cannot be set when spec.os.name is windows."),
	O("seccompProfile", &t_SeccompProfile, 11, 0,
	  "The seccomp options to use by this container. If seccomp options are provided at "
	  "both the pod & container level, the container options override the pod options. "
	  "Note that this field cannot be set when spec.os.name is windows."),
	O("appArmorProfile", &t_AppArmorProfile, 12, 0,
	  "appArmorProfile is the AppArmor options to use by this container. If set, this "
	  "profile overrides the pod's appArmorProfile. Note that this field cannot be set "
	  "when spec.os.name is windows."),
	ANYL("ulimits", 13, NULL, "name", 0,
	     "The ulimits to be applied to the container. Each element in this list maps to a "
	     "system ulimit setting. If unspecified, the container runtime default ulimits will "
	     "be used. Note that this field cannot be set when spec.os.name is windows."),
};
static TYPE(t_SecurityContext, CORE "SecurityContext",
	    "SecurityContext holds security configuration that will be applied to a container. "
	    "Some fields are present in both SecurityContext and PodSecurityContext.  When both "
	    "are set, the values in SecurityContext take precedence.");

static const struct k1s_field t_Sysctl_f[] = {
	S("name", 1, R, "Name of a property to set"),
	S("value", 2, R, "Value of a property to set"),
};
static TYPE(t_Sysctl, CORE "Sysctl", "Sysctl defines a kernel parameter to be set");

static const struct k1s_field t_PodSecurityContext_f[] = {
	O("seLinuxOptions", &t_SELinuxOptions, 1, 0,
	  "The SELinux context to be applied to all containers. If unspecified, the container "
	  "runtime will allocate a random SELinux context for each container.  May also be set "
	  "in SecurityContext.  If set in both SecurityContext and PodSecurityContext, the "
	  "value specified in SecurityContext takes precedence for that container. Note that "
	  "this field cannot be set when spec.os.name is windows."),
	ANY("windowsOptions", 8,
	    "The Windows specific settings applied to all containers. If unspecified, the "
	    "options within a container's SecurityContext will be used. If set in both "
	    "SecurityContext and PodSecurityContext, the value specified in SecurityContext "
	    "takes precedence. Note that this field cannot be set when spec.os.name is linux."),
	I64("runAsUser", 2, 0,
	    "The UID to run the entrypoint of the container process. Defaults to user "
	    "specified in image metadata if unspecified. May also be set in SecurityContext.  "
	    "If set in both SecurityContext and PodSecurityContext, the value specified in "
	    "SecurityContext takes precedence for that container. Note that this field cannot "
	    "be set when spec.os.name is windows."),
	I64("runAsGroup", 6, 0,
	    "The GID to run the entrypoint of the container process. Uses runtime default if "
	    "unset. May also be set in SecurityContext.  If set in both SecurityContext and "
	    "PodSecurityContext, the value specified in SecurityContext takes precedence for "
	    "that container. Note that this field cannot be set when spec.os.name is windows."),
	B("runAsNonRoot", 3, 0,
	  "Indicates that the container must run as a non-root user. If true, the Kubelet will "
	  "validate the image at runtime to ensure that it does not run as UID 0 (root) and "
	  "fail to start the container if it does. If unset or false, no such validation will "
	  "be performed. May also be set in SecurityContext.  If set in both SecurityContext "
	  "and PodSecurityContext, the value specified in SecurityContext takes precedence."),
	FLD("supplementalGroups", K1S_T_INT64, K1S_C_LIST, NULL, 4, NULL, NULL, 0,
	    "A list of groups applied to the first process run in each container, in addition "
	    "to the container's primary GID and fsGroup (if specified).  If the "
	    "SupplementalGroupsPolicy feature is enabled, the supplementalGroupsPolicy field "
	    "determines whether these are in addition to or instead of any group memberships "
	    "defined in the container image. If unspecified, no additional groups are added, "
	    "though group memberships defined in the container image may still be used, "
	    "depending on the supplementalGroupsPolicy field. Note that this field cannot be "
	    "set when spec.os.name is windows."),
	S("supplementalGroupsPolicy", 12, 0,
	  "Defines how supplemental groups of the first container processes are calculated. "
	  "Valid values are \"Merge\" and \"Strict\". If not specified, \"Merge\" is used. "
	  "(Alpha) Using the field requires the SupplementalGroupsPolicy feature gate to be "
	  "enabled and the container runtime must implement support for this feature. Note "
	  "that this field cannot be set when spec.os.name is windows."),
	I64("fsGroup", 5, 0,
	    "A special supplemental group that applies to all containers in a pod. Some volume "
	    "types allow the Kubelet to change the ownership of that volume to be owned by the "
	    "pod:\n\n1. The owning GID will be the FSGroup 2. The setgid bit is set (new files "
	    "created in the volume will be owned by FSGroup) 3. The permission bits are OR'd "
	    "with rw-rw----\n\nIf unset, the Kubelet will not modify the ownership and "
	    "permissions of any volume. Note that this field cannot be set when spec.os.name "
	    "is windows."),
	L("sysctls", &t_Sysctl, 7, NULL, NULL, 0,
	  "Sysctls hold a list of namespaced sysctls used for the pod. Pods with unsupported "
	  "sysctls (by the container runtime) might fail to launch. Note that this field "
	  "cannot be set when spec.os.name is windows."),
	S("fsGroupChangePolicy", 9, 0,
	  "fsGroupChangePolicy defines behavior of changing ownership and permission of the "
	  "volume before being exposed inside Pod. This field will only apply to volume types "
	  "which support fsGroup based ownership(and permissions). It will have no effect on "
	  "ephemeral volume types such as: secret, configmaps and emptydir. Valid values are "
	  "\"OnRootMismatch\" and \"Always\". If not specified, \"Always\" is used. Note that "
	  "this field cannot be set when spec.os.name is windows."),
	O("seccompProfile", &t_SeccompProfile, 10, 0,
	  "The seccomp options to use by the containers in this pod. Note that this field "
	  "cannot be set when spec.os.name is windows."),
	O("appArmorProfile", &t_AppArmorProfile, 11, 0,
	  "appArmorProfile is the AppArmor options to use by the containers in this pod. Note "
	  "that this field cannot be set when spec.os.name is windows."),
	S("seLinuxChangePolicy", 13, 0,
	  "seLinuxChangePolicy defines how the container's SELinux label is applied to all "
	  "volumes used by the Pod. It has no effect on nodes that do not support SELinux or "
	  "to volumes does not support SELinux. Valid values are \"MountOption\" and "
	  "\"Recursive\"."),
};
static TYPE(t_PodSecurityContext, CORE "PodSecurityContext",
	    "PodSecurityContext holds pod-level security attributes and common container "
	    "settings. Some fields are also present in container.securityContext.  Field "
	    "values of container.securityContext take precedence over field values of "
	    "PodSecurityContext.");

/* ---- Container ---- */

static const struct k1s_field t_Container_f[] = {
	S("name", 1, R,
	  "Name of the container specified as a DNS_LABEL. Each container in a pod must have a "
	  "unique name (DNS_LABEL). Cannot be updated."),
	S("image", 2, 0,
	  "Container image name. More info: "
	  "https://kubernetes.io/docs/concepts/containers/images This field is optional to "
	  "allow higher level config management to default or override container images in "
	  "workload controllers like Deployments and StatefulSets."),
	SL("command", 3, 0,
	   "Entrypoint array. Not executed within a shell. The container image's ENTRYPOINT is "
	   "used if this is not provided. Variable references $(VAR_NAME) are expanded using "
	   "the container's environment. If a variable cannot be resolved, the reference in "
	   "the input string will be unchanged. Double $$ are reduced to a single $, which "
	   "allows for escaping the $(VAR_NAME) syntax: i.e. \"$$(VAR_NAME)\" will produce the "
	   "string literal \"$(VAR_NAME)\". Escaped references will never be expanded, "
	   "regardless of whether the variable exists or not. Cannot be updated. More info: "
	   "https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#running-a-command-in-a-shell"),
	SL("args", 4, 0,
	   "Arguments to the entrypoint. The container image's CMD is used if this is not "
	   "provided. Variable references $(VAR_NAME) are expanded using the container's "
	   "environment. If a variable cannot be resolved, the reference in the input string "
	   "will be unchanged. Double $$ are reduced to a single $, which allows for escaping "
	   "the $(VAR_NAME) syntax: i.e. \"$$(VAR_NAME)\" will produce the string literal "
	   "\"$(VAR_NAME)\". Escaped references will never be expanded, regardless of whether "
	   "the variable exists or not. Cannot be updated. More info: "
	   "https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#running-a-command-in-a-shell"),
	S("workingDir", 5, 0,
	  "Container's working directory. If not specified, the container runtime's default "
	  "will be used, which might be configured in the container image. Cannot be updated."),
	L("ports", &t_ContainerPort, 6, "containerPort", "containerPort,protocol", 0,
	  "List of ports to expose from the container. Not specifying a port here DOES NOT "
	  "prevent that port from being exposed. Any port which is listening on the default "
	  "\"0.0.0.0\" address inside a container will be accessible from the network. "
	  "Modifying this array with strategic merge patch may corrupt the data. For more "
	  "information See https://github.com/kubernetes/kubernetes/issues/108255. Cannot be "
	  "updated."),
	L("envFrom", &t_EnvFromSource, 19, NULL, NULL, 0,
	  "List of sources to populate environment variables in the container. The keys "
	  "defined within a source may consist of any printable ASCII characters except '='. "
	  "When a key exists in multiple sources, the value associated with the last source "
	  "will take precedence. Values defined by an Env with a duplicate key will take "
	  "precedence. Cannot be updated."),
	L("env", &t_EnvVar, 7, "name", "name", 0,
	  "List of environment variables to set in the container. Cannot be updated."),
	O("resources", &t_ResourceRequirements, 8, 0,
	  "Compute Resources required by this container. Cannot be updated. More info: "
	  "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"),
	L("resizePolicy", &t_ContainerResizePolicy, 23, NULL, NULL, 0,
	  "Resources resize policy for the container. This field cannot be set on ephemeral "
	  "containers."),
	S("restartPolicy", 24, 0,
	  "RestartPolicy defines the restart behavior of individual containers in a pod. This "
	  "overrides the pod-level restart policy. When this field is not specified, the "
	  "restart behavior is defined by the Pod's restart policy and the container type. "
	  "Additionally, setting the RestartPolicy as \"Always\" for the init container will "
	  "have the following effect: this init container will be continually restarted on "
	  "exit until all regular containers have terminated. Once all regular containers "
	  "have completed, all init containers with restartPolicy \"Always\" will be shut "
	  "down. This lifecycle differs from normal init containers and is often referred to "
	  "as a \"sidecar\" container. Although this init container still starts in the init "
	  "container sequence, it does not wait for the container to complete before "
	  "proceeding to the next init container. Instead, the next init container starts "
	  "immediately after this init container is started, or after any startupProbe has "
	  "successfully completed."),
	ANYL("restartPolicyRules", 25, NULL, NULL, 0,
	     "Represents a list of rules to be checked to determine if the container should be "
	     "restarted on exit. The rules are evaluated in order. Once a rule matches a "
	     "container exit condition, the remaining rules are ignored. If no rule matches the "
	     "container exit condition, the Container-level restart policy determines the "
	     "whether the container is restarted or not."),
	L("volumeMounts", &t_VolumeMount, 9, "mountPath", "mountPath", 0,
	  "Pod volumes to mount into the container's filesystem. Cannot be updated."),
	L("volumeDevices", &t_VolumeDevice, 21, "devicePath", "devicePath", 0,
	  "volumeDevices is the list of block devices to be used by the container."),
	O("livenessProbe", &t_Probe, 10, 0,
	  "Periodic probe of container liveness. Container will be restarted if the probe "
	  "fails. Cannot be updated. More info: " DOC_PROBES),
	O("readinessProbe", &t_Probe, 11, 0,
	  "Periodic probe of container service readiness. Container will be removed from "
	  "service endpoints if the probe fails. Cannot be updated. More info: " DOC_PROBES),
	O("startupProbe", &t_Probe, 22, 0,
	  "StartupProbe indicates that the Pod has successfully initialized. If specified, no "
	  "other probes are executed until this completes successfully. If this probe fails, "
	  "the Pod will be restarted, just as if the livenessProbe failed. This can be used to "
	  "provide different probe parameters at the beginning of a Pod's lifecycle, when it "
	  "might take a long time to load data or warm a cache, than during steady-state "
	  "operation. This cannot be updated. More info: " DOC_PROBES),
	O("lifecycle", &t_Lifecycle, 12, 0,
	  "Actions that the management system should take in response to container lifecycle "
	  "events. Cannot be updated."),
	S("terminationMessagePath", 13, 0,
	  "Optional: Path at which the file to which the container's termination message will "
	  "be written is mounted into the container's filesystem. Message written is intended "
	  "to be brief final status, such as an assertion failure message. Will be truncated "
	  "by the node if greater than 4096 bytes. The total message length across all "
	  "containers will be limited to 12kb. Defaults to /dev/termination-log. Cannot be "
	  "updated."),
	S("terminationMessagePolicy", 20, 0,
	  "Indicate how the termination message should be populated. File will use the "
	  "contents of terminationMessagePath to populate the container status message on both "
	  "success and failure. FallbackToLogsOnError will use the last chunk of container log "
	  "output if the termination message file is empty and the container exited with an "
	  "error. The log output is limited to 2048 bytes or 80 lines, whichever is smaller. "
	  "Defaults to File. Cannot be updated."),
	S("imagePullPolicy", 14, 0,
	  "Image pull policy. One of Always, Never, IfNotPresent. Defaults to Always if "
	  ":latest tag is specified, or IfNotPresent otherwise. Cannot be updated. More info: "
	  "https://kubernetes.io/docs/concepts/containers/images#updating-images"),
	O("securityContext", &t_SecurityContext, 15, 0,
	  "SecurityContext defines the security options the container should be run with. If "
	  "set, the fields of SecurityContext override the equivalent fields of "
	  "PodSecurityContext. More info: "
	  "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"),
	B("stdin", 16, 0,
	  "Whether this container should allocate a buffer for stdin in the container runtime. "
	  "If this is not set, reads from stdin in the container will always result in EOF. "
	  "Default is false."),
	B("stdinOnce", 17, 0,
	  "Whether the container runtime should close the stdin channel after it has been "
	  "opened by a single attach. When stdin is true the stdin stream will remain open "
	  "across multiple attach sessions. If stdinOnce is set to true, stdin is opened on "
	  "container start, is empty until the first client attaches to stdin, and then "
	  "remains open and accepts data until the client disconnects, at which time stdin is "
	  "closed and remains closed until the container is restarted. If this flag is false, "
	  "a container processes that reads from stdin will never receive an EOF. Default is "
	  "false"),
	B("tty", 18, 0,
	  "Whether this container should allocate a TTY for itself, also requires 'stdin' to "
	  "be true. Default is false."),
};
static TYPE(t_Container, CORE "Container",
	    "A single application container that you want to run within a pod.");

/* ---- volumes ---- */

static const struct k1s_field t_KeyToPath_f[] = {
	S("key", 1, R, "key is the key to project."),
	S("path", 2, R,
	  "path is the relative path of the file to map the key to. May not be an absolute "
	  "path. May not contain the path element '..'. May not start with the string '..'."),
	I32("mode", 3, 0,
	    "mode is Optional: mode bits used to set permissions on this file. " DOC_MODE
	    " If not specified, the volume defaultMode will be used. This might be in conflict "
	    "with other options that affect the file mode, like fsGroup, and the result can be "
	    "other mode bits set."),
};
static TYPE(t_KeyToPath, CORE "KeyToPath", "Maps a string key to a path within a volume.");

static const struct k1s_field t_HostPathVolumeSource_f[] = {
	S("path", 1, R,
	  "path of the directory on the host. If the path is a symlink, it will follow the "
	  "link to the real path. More info: "
	  "https://kubernetes.io/docs/concepts/storage/volumes#hostpath"),
	S("type", 2, 0,
	  "type for HostPath Volume Defaults to \"\" More info: "
	  "https://kubernetes.io/docs/concepts/storage/volumes#hostpath"),
};
static TYPE(t_HostPathVolumeSource, CORE "HostPathVolumeSource",
	    "Represents a host path mapped into a pod. Host path volumes do not support "
	    "ownership management or SELinux relabeling.");

static const struct k1s_field t_EmptyDirVolumeSource_f[] = {
	S("medium", 1, 0,
	  "medium represents what type of storage medium should back this directory. The "
	  "default is \"\" which means to use the node's default medium. Must be an empty "
	  "string (default) or Memory. More info: "
	  "https://kubernetes.io/docs/concepts/storage/volumes#emptydir"),
	Q("sizeLimit", 2, 0,
	  "sizeLimit is the total amount of local storage required for this EmptyDir volume. "
	  "The size limit is also applicable for memory medium. The maximum usage on memory "
	  "medium EmptyDir would be the minimum value between the SizeLimit specified here and "
	  "the sum of memory limits of all containers in a pod. The default is nil which means "
	  "that the limit is undefined. More info: "
	  "https://kubernetes.io/docs/concepts/storage/volumes#emptydir"),
};
static TYPE(t_EmptyDirVolumeSource, CORE "EmptyDirVolumeSource",
	    "Represents an empty directory for a pod. Empty directory volumes support "
	    "ownership management and SELinux relabeling.");

static const struct k1s_field t_SecretVolumeSource_f[] = {
	S("secretName", 1, 0,
	  "secretName is the name of the secret in the pod's namespace to use. More info: "
	  "https://kubernetes.io/docs/concepts/storage/volumes#secret"),
	L("items", &t_KeyToPath, 2, NULL, NULL, 0,
	  "items If unspecified, each key-value pair in the Data field of the referenced Secret "
	  "will be projected into the volume as a file whose name is the key and content is "
	  "the value. If specified, the listed keys will be projected into the specified "
	  "paths, and unlisted keys will not be present. If a key is specified which is not "
	  "present in the Secret, the volume setup will error unless it is marked optional. "
	  "Paths must be relative and may not contain the '..' path or start with '..'."),
	I32("defaultMode", 3, 0,
	    "defaultMode is Optional: mode bits used to set permissions on created files by "
	    "default. " DOC_MODE " Defaults to 0644. Directories within the path are not "
	    "affected by this setting."),
	B("optional", 4, 0, "optional field specify whether the Secret or its keys must be defined"),
};
static TYPE(t_SecretVolumeSource, CORE "SecretVolumeSource",
	    "Adapts a Secret into a volume.\n\nThe contents of the target Secret's Data field "
	    "will be presented in a volume as files using the keys in the Data field as the "
	    "file names. Secret volumes support ownership management and SELinux relabeling.");

static const struct k1s_field t_ConfigMapVolumeSource_f[] = {
	INLINE_NAME(""),
	L("items", &t_KeyToPath, 2, NULL, NULL, 0,
	  "items if unspecified, each key-value pair in the Data field of the referenced "
	  "ConfigMap will be projected into the volume as a file whose name is the key and "
	  "content is the value. If specified, the listed keys will be projected into the "
	  "specified paths, and unlisted keys will not be present. If a key is specified which "
	  "is not present in the ConfigMap, the volume setup will error unless it is marked "
	  "optional. Paths must be relative and may not contain the '..' path or start with "
	  "'..'."),
	I32("defaultMode", 3, 0,
	    "defaultMode is optional: mode bits used to set permissions on created files by "
	    "default. " DOC_MODE " Defaults to 0644. Directories within the path are not "
	    "affected by this setting."),
	B("optional", 4, 0, "optional specify whether the ConfigMap or its keys must be defined"),
};
static TYPE(t_ConfigMapVolumeSource, CORE "ConfigMapVolumeSource",
	    "Adapts a ConfigMap into a volume.\n\nThe contents of the target ConfigMap's Data "
	    "field will be presented in a volume as files using the keys in the Data field as "
	    "the file names, unless the items element is populated with specific mappings of "
	    "keys to paths. ConfigMap volumes support ownership management and SELinux "
	    "relabeling.");

static const struct k1s_field t_PersistentVolumeClaimVolumeSource_f[] = {
	S("claimName", 1, R,
	  "claimName is the name of a PersistentVolumeClaim in the same namespace as the pod "
	  "using this volume. More info: "
	  "https://kubernetes.io/docs/concepts/storage/persistent-volumes#persistentvolumeclaims"),
	B("readOnly", 2, 0, "readOnly Will force the ReadOnly setting in VolumeMounts. Default false."),
};
static TYPE(t_PersistentVolumeClaimVolumeSource, CORE "PersistentVolumeClaimVolumeSource",
	    "PersistentVolumeClaimVolumeSource references the user's PVC in the same "
	    "namespace.");

static const struct k1s_field t_DownwardAPIVolumeFile_f[] = {
	S("path", 1, R,
	  "Required: Path is  the relative path name of the file to be created. Must not be "
	  "absolute or contain the '..' path. Must be utf-8 encoded. The first item of the "
	  "relative path must not start with '..'"),
	O("fieldRef", &t_ObjectFieldSelector, 2, 0,
	  "Required: Selects a field of the pod: only annotations, labels, name, namespace and "
	  "uid are supported."),
	O("resourceFieldRef", &t_ResourceFieldSelector, 3, 0,
	  "Selects a resource of the container: only resources limits and requests "
	  "(limits.cpu, limits.memory, requests.cpu and requests.memory) are currently "
	  "supported."),
	I32("mode", 4, 0,
	    "Optional: mode bits used to set permissions on this file. " DOC_MODE
	    " If not specified, the volume defaultMode will be used."),
};
static TYPE(t_DownwardAPIVolumeFile, CORE "DownwardAPIVolumeFile",
	    "DownwardAPIVolumeFile represents information to create the file containing the "
	    "pod field");

static const struct k1s_field t_DownwardAPIVolumeSource_f[] = {
	L("items", &t_DownwardAPIVolumeFile, 1, NULL, NULL, 0,
	  "Items is a list of downward API volume file"),
	I32("defaultMode", 2, 0,
	    "Optional: mode bits used to set permissions on created files by default. " DOC_MODE
	    " Defaults to 0644."),
};
static TYPE(t_DownwardAPIVolumeSource, CORE "DownwardAPIVolumeSource",
	    "DownwardAPIVolumeSource represents a volume containing downward API info. "
	    "Downward API volumes support ownership management and SELinux relabeling.");

static const struct k1s_field t_SecretProjection_f[] = {
	INLINE_NAME(""),
	L("items", &t_KeyToPath, 2, NULL, NULL, 0,
	  "items if unspecified, each key-value pair in the Data field of the referenced "
	  "Secret will be projected into the volume as a file whose name is the key and "
	  "content is the value. If specified, the listed keys will be projected into the "
	  "specified paths, and unlisted keys will not be present."),
	B("optional", 4, 0, "optional field specify whether the Secret or its key must be defined"),
};
static TYPE(t_SecretProjection, CORE "SecretProjection",
	    "Adapts a secret into a projected volume.");

static const struct k1s_field t_ConfigMapProjection_f[] = {
	INLINE_NAME(""),
	L("items", &t_KeyToPath, 2, NULL, NULL, 0,
	  "items if unspecified, each key-value pair in the Data field of the referenced "
	  "ConfigMap will be projected into the volume as a file whose name is the key and "
	  "content is the value. If specified, the listed keys will be projected into the "
	  "specified paths, and unlisted keys will not be present."),
	B("optional", 4, 0, "optional specify whether the ConfigMap or its keys must be defined"),
};
static TYPE(t_ConfigMapProjection, CORE "ConfigMapProjection",
	    "Adapts a ConfigMap into a projected volume.");

static const struct k1s_field t_DownwardAPIProjection_f[] = {
	L("items", &t_DownwardAPIVolumeFile, 1, NULL, NULL, 0,
	  "Items is a list of DownwardAPIVolume file"),
};
static TYPE(t_DownwardAPIProjection, CORE "DownwardAPIProjection",
	    "Represents downward API info for projecting into a projected volume.");

static const struct k1s_field t_ServiceAccountTokenProjection_f[] = {
	S("audience", 1, 0,
	  "audience is the intended audience of the token. A recipient of a token must "
	  "identify itself with an identifier specified in the audience of the token, and "
	  "otherwise should reject the token. The audience defaults to the identifier of the "
	  "apiserver."),
	I64("expirationSeconds", 2, 0,
	    "expirationSeconds is the requested duration of validity of the service account "
	    "token. Defaults to 1 hour and must be at least 10 minutes."),
	S("path", 3, R,
	  "path is the path relative to the mount point of the file to project the token "
	  "into."),
};
static TYPE(t_ServiceAccountTokenProjection, CORE "ServiceAccountTokenProjection",
	    "ServiceAccountTokenProjection represents a projected service account token "
	    "volume.");

static const struct k1s_field t_VolumeProjection_f[] = {
	O("secret", &t_SecretProjection, 1, 0,
	  "secret information about the secret data to project"),
	O("downwardAPI", &t_DownwardAPIProjection, 2, 0,
	  "downwardAPI information about the downwardAPI data to project"),
	O("configMap", &t_ConfigMapProjection, 3, 0,
	  "configMap information about the configMap data to project"),
	O("serviceAccountToken", &t_ServiceAccountTokenProjection, 4, 0,
	  "serviceAccountToken is information about the serviceAccountToken data to project"),
	ANY("clusterTrustBundle", 5,
	    "ClusterTrustBundle allows a pod to access the `.spec.trustBundle` field of "
	    "ClusterTrustBundle objects in an auto-updating file."),
	ANY("podCertificate", 6,
	    "Projects an auto-rotating credential bundle (private key and certificate chain) "
	    "that the pod can use either as a TLS client or server."),
};
static TYPE(t_VolumeProjection, CORE "VolumeProjection",
	    "Projection that may be projected along with other supported volume types. "
	    "Exactly one of these fields must be set.");

static const struct k1s_field t_ProjectedVolumeSource_f[] = {
	L("sources", &t_VolumeProjection, 1, NULL, NULL, 0,
	  "sources is the list of volume projections. Each entry in this list handles one "
	  "source."),
	I32("defaultMode", 2, 0,
	    "defaultMode are the mode bits used to set permissions on created files by "
	    "default. " DOC_MODE " Directories within the path are not affected by this "
	    "setting."),
};
static TYPE(t_ProjectedVolumeSource, CORE "ProjectedVolumeSource",
	    "Represents a projected volume source");

static const struct k1s_field t_Volume_f[] = {
	S("name", 1, R,
	  "name of the volume. Must be a DNS_LABEL and unique within the pod. More info: "
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names"),
	/* The sources below are the inline VolumeSource, nested message 2 on the wire. */
	O("hostPath", &t_HostPathVolumeSource, 0, 0,
	  "hostPath represents a pre-existing file or directory on the host machine that is "
	  "directly exposed to the container. This is generally used for system agents or "
	  "other privileged things that are allowed to see the host machine. Most containers "
	  "will NOT need this. More info: "
	  "https://kubernetes.io/docs/concepts/storage/volumes#hostpath"),
	O("emptyDir", &t_EmptyDirVolumeSource, 0, 0,
	  "emptyDir represents a temporary directory that shares a pod's lifetime. More info: "
	  "https://kubernetes.io/docs/concepts/storage/volumes#emptydir"),
	ANY("gcePersistentDisk", 0,
	    "gcePersistentDisk represents a GCE Disk resource that is attached to a kubelet's "
	    "host machine and then exposed to the pod. Deprecated."),
	ANY("awsElasticBlockStore", 0,
	    "awsElasticBlockStore represents an AWS Disk resource that is attached to a "
	    "kubelet's host machine and then exposed to the pod. Deprecated."),
	ANY("gitRepo", 0,
	    "gitRepo represents a git repository at a particular revision. Deprecated."),
	O("secret", &t_SecretVolumeSource, 0, 0,
	  "secret represents a secret that should populate this volume. More info: "
	  "https://kubernetes.io/docs/concepts/storage/volumes#secret"),
	ANY("nfs", 0,
	    "nfs represents an NFS mount on the host that shares a pod's lifetime More info: "
	    "https://kubernetes.io/docs/concepts/storage/volumes#nfs"),
	ANY("iscsi", 0,
	    "iscsi represents an ISCSI Disk resource that is attached to a kubelet's host "
	    "machine and then exposed to the pod."),
	ANY("glusterfs", 0,
	    "glusterfs represents a Glusterfs mount on the host that shares a pod's lifetime. "
	    "Deprecated."),
	O("persistentVolumeClaim", &t_PersistentVolumeClaimVolumeSource, 0, 0,
	  "persistentVolumeClaimVolumeSource represents a reference to a PersistentVolumeClaim "
	  "in the same namespace. More info: "
	  "https://kubernetes.io/docs/concepts/storage/persistent-volumes#persistentvolumeclaims"),
	ANY("rbd", 0,
	    "rbd represents a Rados Block Device mount on the host that shares a pod's "
	    "lifetime. Deprecated."),
	ANY("flexVolume", 0,
	    "flexVolume represents a generic volume resource that is provisioned/attached "
	    "using an exec based plugin. Deprecated."),
	ANY("cinder", 0,
	    "cinder represents a cinder volume attached and mounted on kubelets host machine. "
	    "Deprecated."),
	ANY("cephfs", 0,
	    "cephFS represents a Ceph FS mount on the host that shares a pod's lifetime. "
	    "Deprecated."),
	ANY("flocker", 0,
	    "flocker represents a Flocker volume attached to a kubelet's host machine. "
	    "Deprecated."),
	O("downwardAPI", &t_DownwardAPIVolumeSource, 0, 0,
	  "downwardAPI represents downward API about the pod that should populate this volume"),
	ANY("fc", 0,
	    "fc represents a Fibre Channel resource that is attached to a kubelet's host "
	    "machine and then exposed to the pod."),
	ANY("azureFile", 0,
	    "azureFile represents an Azure File Service mount on the host and bind mount to the "
	    "pod. Deprecated."),
	O("configMap", &t_ConfigMapVolumeSource, 0, 0,
	  "configMap represents a configMap that should populate this volume"),
	ANY("vsphereVolume", 0,
	    "vsphereVolume represents a vSphere volume attached and mounted on kubelets host "
	    "machine. Deprecated."),
	ANY("quobyte", 0,
	    "quobyte represents a Quobyte mount on the host that shares a pod's lifetime. "
	    "Deprecated."),
	ANY("azureDisk", 0,
	    "azureDisk represents an Azure Data Disk mount on the host and bind mount to the "
	    "pod. Deprecated."),
	ANY("photonPersistentDisk", 0,
	    "photonPersistentDisk represents a PhotonController persistent disk attached and "
	    "mounted on kubelets host machine. Deprecated."),
	O("projected", &t_ProjectedVolumeSource, 0, 0,
	  "projected items for all in one resources secrets, configmaps, and downward API"),
	ANY("portworxVolume", 0,
	    "portworxVolume represents a portworx volume attached and mounted on kubelets host "
	    "machine. Deprecated."),
	ANY("scaleIO", 0,
	    "scaleIO represents a ScaleIO persistent volume attached and mounted on Kubernetes "
	    "nodes. Deprecated."),
	ANY("storageos", 0,
	    "storageOS represents a StorageOS volume attached and mounted on Kubernetes nodes. "
	    "Deprecated."),
	ANY("csi", 0,
	    "csi (Container Storage Interface) represents ephemeral storage that is handled by "
	    "certain external CSI drivers."),
	ANY("ephemeral", 0,
	    "ephemeral represents a volume that is handled by a cluster storage driver. The "
	    "volume's lifecycle is tied to the pod that defines it - it will be created before "
	    "the pod starts, and deleted when the pod is removed."),
	ANY("image", 0,
	    "image represents an OCI object (a container image or artifact) pulled and mounted "
	    "on the kubelet's host machine."),
};
static TYPE(t_Volume, CORE "Volume",
	    "Volume represents a named volume in a pod that may be accessed by any container "
	    "in the pod.");

/* ---- PodSpec ---- */

static const struct k1s_field t_Toleration_f[] = {
	S("key", 1, 0,
	  "Key is the taint key that the toleration applies to. Empty means match all taint "
	  "keys. If the key is empty, operator must be Exists; this combination means to match "
	  "all values and all keys."),
	S("operator", 2, 0,
	  "Operator represents a key's relationship to the value. Valid operators are Exists, "
	  "Equal, Lt, and Gt. Defaults to Equal. Exists is equivalent to wildcard for value, so "
	  "that a pod can tolerate all taints of a particular category. Lt and Gt perform "
	  "numeric comparisons (requires feature gate TaintTolerationComparisonOperators)."),
	S("value", 3, 0,
	  "Value is the taint value the toleration matches to. If the operator is Exists, the "
	  "value should be empty, otherwise just a regular string."),
	S("effect", 4, 0,
	  "Effect indicates the taint effect to match. Empty means match all taint effects. "
	  "When specified, allowed values are NoSchedule, PreferNoSchedule and NoExecute."),
	I64("tolerationSeconds", 5, 0,
	    "TolerationSeconds represents the period of time the toleration (which must be of "
	    "effect NoExecute, otherwise this field is ignored) tolerates the taint. By "
	    "default, it is not set, which means tolerate the taint forever (do not evict). "
	    "Zero and negative values will be treated as 0 (evict immediately) by the system."),
};
static TYPE(t_Toleration, CORE "Toleration",
	    "The pod this Toleration is attached to tolerates any taint that matches the triple "
	    "<key,value,effect> using the matching operator <operator>.");

static const struct k1s_field t_HostAlias_f[] = {
	S("ip", 1, R, "IP address of the host file entry."),
	SL("hostnames", 2, 0, "Hostnames for the above IP address."),
};
static TYPE(t_HostAlias, CORE "HostAlias",
	    "HostAlias holds the mapping between IP and hostnames that will be injected as an "
	    "entry in the pod's hosts file.");

static const struct k1s_field t_PodDNSConfigOption_f[] = {
	S("name", 1, 0, "Name is this DNS resolver option's name. Required."),
	S("value", 2, 0, "Value is this DNS resolver option's value."),
};
static TYPE(t_PodDNSConfigOption, CORE "PodDNSConfigOption",
	    "PodDNSConfigOption defines DNS resolver options of a pod.");

static const struct k1s_field t_PodDNSConfig_f[] = {
	SL("nameservers", 1, 0,
	   "A list of DNS name server IP addresses. This will be appended to the base "
	   "nameservers generated from DNSPolicy. Duplicated nameservers will be removed."),
	SL("searches", 2, 0,
	   "A list of DNS search domains for host-name lookup. This will be appended to the "
	   "base search paths generated from DNSPolicy. Duplicated search paths will be "
	   "removed."),
	L("options", &t_PodDNSConfigOption, 3, NULL, NULL, 0,
	  "A list of DNS resolver options. This will be merged with the base options generated "
	  "from DNSPolicy. Duplicated entries will be removed. Resolution options given in "
	  "Options will override those that appear in the base DNSPolicy."),
};
static TYPE(t_PodDNSConfig, CORE "PodDNSConfig",
	    "PodDNSConfig defines the DNS parameters of a pod in addition to those generated "
	    "from DNSPolicy.");

static const struct k1s_field t_PodReadinessGate_f[] = {
	S("conditionType", 1, R,
	  "ConditionType refers to a condition in the pod's condition list with matching type."),
};
static TYPE(t_PodReadinessGate, CORE "PodReadinessGate",
	    "PodReadinessGate contains the reference to a pod condition");

static const struct k1s_field t_PodOS_f[] = {
	S("name", 1, R,
	  "Name is the name of the operating system. The currently supported values are linux "
	  "and windows. Additional value may be defined in future and can be one of: "
	  "https://github.com/opencontainers/runtime-spec/blob/master/config.md#platform-specific-configuration "
	  "Clients should expect to handle additional values and treat unrecognized values in "
	  "this field as os: null"),
};
static TYPE(t_PodOS, CORE "PodOS", "PodOS defines the OS parameters of a pod.");

static const struct k1s_field t_PodSchedulingGate_f[] = {
	S("name", 1, R,
	  "Name of the scheduling gate. Each scheduling gate must have a unique name field."),
};
static TYPE(t_PodSchedulingGate, CORE "PodSchedulingGate",
	    "PodSchedulingGate is associated to a Pod to guard its scheduling.");

static const struct k1s_field t_PodResourceClaim_f[] = {
	S("name", 1, R,
	  "Name uniquely identifies this resource claim inside the pod. This must be a "
	  "DNS_LABEL."),
	S("resourceClaimName", 3, 0,
	  "ResourceClaimName is the name of a ResourceClaim object in the same namespace as "
	  "this pod.\n\nExactly one of ResourceClaimName and ResourceClaimTemplateName must be "
	  "set."),
	S("resourceClaimTemplateName", 4, 0,
	  "ResourceClaimTemplateName is the name of a ResourceClaimTemplate object in the same "
	  "namespace as this pod.\n\nExactly one of ResourceClaimName and "
	  "ResourceClaimTemplateName must be set."),
};
static TYPE(t_PodResourceClaim, CORE "PodResourceClaim",
	    "PodResourceClaim references exactly one ResourceClaim, either directly or by "
	    "naming a ResourceClaimTemplate which is then turned into a ResourceClaim for the "
	    "pod.");

static const struct k1s_field t_TopologySpreadConstraint_f[] = {
	I32("maxSkew", 1, R,
	    "MaxSkew describes the degree to which pods may be unevenly distributed. It's a "
	    "required field. Default value is 1 and 0 is not allowed."),
	S("topologyKey", 2, R,
	  "TopologyKey is the key of node labels. Nodes that have a label with this key and "
	  "identical values are considered to be in the same topology. It's a required field."),
	S("whenUnsatisfiable", 3, R,
	  "WhenUnsatisfiable indicates how to deal with a pod if it doesn't satisfy the spread "
	  "constraint. - DoNotSchedule (default) tells the scheduler not to schedule it. - "
	  "ScheduleAnyway tells the scheduler to schedule the pod in any location,\n  but "
	  "giving higher precedence to topologies that would help reduce the\n  skew.\nIt's a "
	  "required field."),
	O("labelSelector", &k1s_t_LabelSelector, 4, 0,
	  "LabelSelector is used to find matching pods. Pods that match this label selector "
	  "are counted to determine the number of pods in their corresponding topology "
	  "domain."),
	I32("minDomains", 5, 0,
	    "MinDomains indicates a minimum number of eligible domains. When the number of "
	    "eligible domains with matching topology keys is less than minDomains, Pod "
	    "Topology Spread treats \"global minimum\" as 0, and then the calculation of Skew "
	    "is performed."),
	S("nodeAffinityPolicy", 6, 0,
	  "NodeAffinityPolicy indicates how we will treat Pod's nodeAffinity/nodeSelector when "
	  "calculating pod topology spread skew. Options are: Honor, Ignore. If this value is "
	  "nil, the behavior is equivalent to the Honor policy."),
	S("nodeTaintsPolicy", 7, 0,
	  "NodeTaintsPolicy indicates how we will treat node taints when calculating pod "
	  "topology spread skew. Options are: Honor, Ignore. If this value is nil, the "
	  "behavior is equivalent to the Ignore policy."),
	SL("matchLabelKeys", 8, 0,
	   "MatchLabelKeys is a set of pod label keys to select the pods over which spreading "
	   "will be calculated."),
};
static TYPE(t_TopologySpreadConstraint, CORE "TopologySpreadConstraint",
	    "TopologySpreadConstraint specifies how to spread matching pods among the given "
	    "topology.");

static const struct k1s_field t_PodSpec_f[] = {
	L("volumes", &t_Volume, 1, "name", "name", K1S_FF_RETAIN_KEYS,
	  "List of volumes that can be mounted by containers belonging to the pod. More info: "
	  "https://kubernetes.io/docs/concepts/storage/volumes"),
	L("initContainers", &t_Container, 20, "name", "name", 0,
	  "List of initialization containers belonging to the pod. Init containers are "
	  "executed in order prior to containers being started. If any init container fails, "
	  "the pod is considered to have failed and is handled according to its "
	  "restartPolicy. The name for an init container or normal container must be unique "
	  "among all containers. Init containers may not have Lifecycle actions, Readiness "
	  "probes, Liveness probes, or Startup probes. The resourceRequirements of an init "
	  "container are taken into account during scheduling by finding the highest "
	  "request/limit for each resource type, and then using the max of that value or the "
	  "sum of the normal containers. Limits are applied to init containers in a similar "
	  "fashion. Init containers cannot currently be added or removed. Cannot be updated. "
	  "More info: https://kubernetes.io/docs/concepts/workloads/pods/init-containers/"),
	L("containers", &t_Container, 2, "name", "name", R,
	  "List of containers belonging to the pod. Containers cannot currently be added or "
	  "removed. There must be at least one container in a Pod. Cannot be updated."),
	ANYL("ephemeralContainers", 34, "name", "name", 0,
	     "List of ephemeral containers run in this pod. Ephemeral containers may be run in "
	     "an existing pod to perform user-initiated actions such as debugging. This list "
	     "cannot be specified when creating a pod, and it cannot be modified by updating "
	     "the pod spec. In order to add an ephemeral container to an existing pod, use the "
	     "pod's ephemeralcontainers subresource."),
	S("restartPolicy", 3, 0,
	  "Restart policy for all containers within the pod. One of Always, OnFailure, Never. "
	  "In some contexts, only a subset of those values may be permitted. Default to "
	  "Always. More info: "
	  "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#restart-policy"),
	I64("terminationGracePeriodSeconds", 4, 0,
	    "Optional duration in seconds the pod needs to terminate gracefully. May be "
	    "decreased in delete request. Value must be non-negative integer. The value zero "
	    "indicates stop immediately via the kill signal (no opportunity to shut down). If "
	    "this value is nil, the default grace period will be used instead. The grace "
	    "period is the duration in seconds after the processes running in the pod are sent "
	    "a termination signal and the time when the processes are forcibly halted with a "
	    "kill signal. Set this value longer than the expected cleanup time for your "
	    "process. Defaults to 30 seconds."),
	I64("activeDeadlineSeconds", 5, 0,
	    "Optional duration in seconds the pod may be active on the node relative to "
	    "StartTime before the system will actively try to mark it failed and kill "
	    "associated containers. Value must be a positive integer."),
	S("dnsPolicy", 6, 0,
	  "Set DNS policy for the pod. Defaults to \"ClusterFirst\". Valid values are "
	  "'ClusterFirstWithHostNet', 'ClusterFirst', 'Default' or 'None'. DNS parameters "
	  "given in DNSConfig will be merged with the policy selected with DNSPolicy. To have "
	  "DNS options set along with hostNetwork, you have to specify DNS policy explicitly "
	  "to 'ClusterFirstWithHostNet'."),
	SM("nodeSelector", 7,
	   "NodeSelector is a selector which must be true for the pod to fit on a node. "
	   "Selector which must match a node's labels for the pod to be scheduled on that "
	   "node. More info: "
	   "https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
	S("serviceAccountName", 8, 0,
	  "ServiceAccountName is the name of the ServiceAccount to use to run this pod. More "
	  "info: "
	  "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"),
	S("serviceAccount", 9, 0,
	  "DeprecatedServiceAccount is a deprecated alias for ServiceAccountName. Deprecated: "
	  "Use serviceAccountName instead."),
	B("automountServiceAccountToken", 21, 0,
	  "AutomountServiceAccountToken indicates whether a service account token should be "
	  "automatically mounted."),
	S("nodeName", 10, 0,
	  "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
	  "candidate for scheduling by the scheduler defined in schedulerName. Once this field "
	  "is set, the kubelet for this node becomes responsible for the lifecycle of this "
	  "pod. This field should not be used to express a desire for the pod to be scheduled "
	  "on a specific node. "
	  "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"),
	B("hostNetwork", 11, 0,
	  "Host networking requested for this pod. Use the host's network namespace. When "
	  "using HostNetwork you should specify ports so the scheduler is aware. When "
	  "`hostNetwork` is true, specified `hostPort` fields in port definitions must match "
	  "`containerPort`, and unspecified `hostPort` fields in port definitions are "
	  "defaulted to match `containerPort`. Default to false."),
	B("hostPID", 12, 0, "Use the host's pid namespace. Optional: Default to false."),
	B("hostIPC", 13, 0, "Use the host's ipc namespace. Optional: Default to false."),
	B("shareProcessNamespace", 27, 0,
	  "Share a single process namespace between all of the containers in a pod. When this "
	  "is set containers will be able to view and signal processes from other containers "
	  "in the same pod, and the first process in each container will not be assigned PID "
	  "1. HostPID and ShareProcessNamespace cannot both be set. Optional: Default to "
	  "false."),
	O("securityContext", &t_PodSecurityContext, 14, 0,
	  "SecurityContext holds pod-level security attributes and common container settings. "
	  "Optional: Defaults to empty.  See type description for default values of each "
	  "field."),
	L("imagePullSecrets", &t_LocalObjectReference, 15, "name", "name", 0,
	  "ImagePullSecrets is an optional list of references to secrets in the same namespace "
	  "to use for pulling any of the images used by this PodSpec. If specified, these "
	  "secrets will be passed to individual puller implementations for them to use. More "
	  "info: "
	  "https://kubernetes.io/docs/concepts/containers/images#specifying-imagepullsecrets-on-a-pod"),
	S("hostname", 16, 0,
	  "Specifies the hostname of the Pod If not specified, the pod's hostname will be set "
	  "to a system-defined value."),
	S("subdomain", 17, 0,
	  "If specified, the fully qualified Pod hostname will be "
	  "\"<hostname>.<subdomain>.<pod namespace>.svc.<cluster domain>\". If not specified, "
	  "the pod will not have a domainname at all."),
	ANY("affinity", 18, "If specified, the pod's scheduling constraints"),
	S("schedulerName", 19, 0,
	  "If specified, the pod will be dispatched by specified scheduler. If not specified, "
	  "the pod will be dispatched by default scheduler."),
	L("tolerations", &t_Toleration, 22, NULL, NULL, 0, "If specified, the pod's tolerations."),
	L("hostAliases", &t_HostAlias, 23, "ip", "ip", 0,
	  "HostAliases is an optional list of hosts and IPs that will be injected into the "
	  "pod's hosts file if specified."),
	S("priorityClassName", 24, 0,
	  "If specified, indicates the pod's priority. \"system-node-critical\" and "
	  "\"system-cluster-critical\" are two special keywords which indicate the highest "
	  "priorities with the former being the highest priority. Any other name must be "
	  "defined by creating a PriorityClass object with that name. If not specified, the "
	  "pod priority will be default or zero if there is no default."),
	I32("priority", 25, 0,
	    "The priority value. Various system components use this field to find the priority "
	    "of the pod. When Priority Admission Controller is enabled, it prevents users from "
	    "setting this field. The admission controller populates this field from "
	    "PriorityClassName. The higher the value, the higher the priority."),
	O("dnsConfig", &t_PodDNSConfig, 26, 0,
	  "Specifies the DNS parameters of a pod. Parameters specified here will be merged to "
	  "the generated DNS configuration based on DNSPolicy."),
	L("readinessGates", &t_PodReadinessGate, 28, NULL, NULL, 0,
	  "If specified, all readiness gates will be evaluated for pod readiness. A pod is "
	  "ready when all its containers are ready AND all conditions specified in the "
	  "readiness gates have status equal to \"True\" More info: "
	  "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"),
	S("runtimeClassName", 29, 0,
	  "RuntimeClassName refers to a RuntimeClass object in the node.k8s.io group, which "
	  "should be used to run this pod.  If no RuntimeClass resource matches the named "
	  "class, the pod will not be run. If unset or empty, the \"legacy\" RuntimeClass will "
	  "be used, which is an implicit class with an empty definition that uses the default "
	  "runtime handler. More info: "
	  "https://git.k8s.io/enhancements/keps/sig-node/585-runtime-class"),
	B("enableServiceLinks", 30, 0,
	  "EnableServiceLinks indicates whether information about services should be injected "
	  "into pod's environment variables, matching the syntax of Docker links. Optional: "
	  "Defaults to true."),
	S("preemptionPolicy", 31, 0,
	  "PreemptionPolicy is the Policy for preempting pods with lower priority. One of "
	  "Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."),
	QM("overhead", 32,
	   "Overhead represents the resource overhead associated with running a pod for a "
	   "given RuntimeClass. This field will be autopopulated at admission time by the "
	   "RuntimeClass admission controller. If the RuntimeClass admission controller is "
	   "enabled, overhead must not be set in Pod create requests. The RuntimeClass "
	   "admission controller will reject Pod create requests which have the overhead "
	   "already set. If RuntimeClass is configured and selected in the PodSpec, Overhead "
	   "will be set to the value defined in the corresponding RuntimeClass, otherwise it "
	   "will remain unset and treated as zero. More info: "
	   "https://git.k8s.io/enhancements/keps/sig-node/688-pod-overhead/README.md"),
	L("topologySpreadConstraints", &t_TopologySpreadConstraint, 33, "topologyKey",
	  "topologyKey,whenUnsatisfiable", 0,
	  "TopologySpreadConstraints describes how a group of pods ought to spread across "
	  "topology domains. Scheduler will schedule pods in a way which abides by the "
	  "constraints. All topologySpreadConstraints are ANDed."),
	B("setHostnameAsFQDN", 35, 0,
	  "If true the pod's hostname will be configured as the pod's FQDN, rather than the "
	  "leaf name (the default). In Linux containers, this means setting the FQDN in the "
	  "hostname field of the kernel (the nodename field of struct utsname). In Windows "
	  "containers, this means setting the registry value of hostname for the registry key "
	  "HKEY_LOCAL_MACHINE\\\\SYSTEM\\\\CurrentControlSet\\\\Services\\\\Tcpip\\\\Parameters "
	  "to FQDN. If a pod does not have FQDN, this has no effect. Default to false."),
	O("os", &t_PodOS, 36, 0,
	  "Specifies the OS of the containers in the pod. Some pod and container fields are "
	  "restricted if this is set.\n\nIf the OS field is set to linux, the following fields "
	  "must be unset: -securityContext.windowsOptions\n\nIf the OS field is set to "
	  "windows, following fields must be unset: - spec.hostPID - spec.hostIPC - "
	  "spec.hostUsers - spec.resources - spec.securityContext.appArmorProfile - "
	  "spec.securityContext.seLinuxOptions - spec.securityContext.seccompProfile - "
	  "spec.securityContext.fsGroup - spec.securityContext.fsGroupChangePolicy - "
	  "spec.securityContext.sysctls - spec.shareProcessNamespace - "
	  "spec.securityContext.runAsUser - spec.securityContext.runAsGroup - "
	  "spec.securityContext.supplementalGroups - "
	  "spec.securityContext.supplementalGroupsPolicy - "
	  "spec.containers[*].securityContext.appArmorProfile - "
	  "spec.containers[*].securityContext.seLinuxOptions - "
	  "spec.containers[*].securityContext.seccompProfile - "
	  "spec.containers[*].securityContext.capabilities - "
	  "spec.containers[*].securityContext.readOnlyRootFilesystem - "
	  "spec.containers[*].securityContext.privileged - "
	  "spec.containers[*].securityContext.allowPrivilegeEscalation - "
	  "spec.containers[*].securityContext.procMount - "
	  "spec.containers[*].securityContext.runAsUser - "
	  "spec.containers[*].securityContext.runAsGroup"),
	B("hostUsers", 37, 0,
	  "Use the host's user namespace. Optional: Default to true. If set to true or not "
	  "present, the pod will be run in the host user namespace, useful for when the pod "
	  "needs a feature only available to the host user namespace, such as loading a kernel "
	  "module with CAP_SYS_MODULE. When set to false, a new userns is created for the pod. "
	  "Setting false is useful for mitigating container breakout vulnerabilities even "
	  "allowing users to run their containers as root without actually having root "
	  "privileges on the host. This field is alpha-level and is only honored by servers "
	  "that enable the UserNamespacesSupport feature."),
	L("schedulingGates", &t_PodSchedulingGate, 38, "name", "name", 0,
	  "SchedulingGates is an opaque list of values that if specified will block scheduling "
	  "the pod. If schedulingGates is not empty, the pod will stay in the SchedulingGated "
	  "state and the scheduler will not attempt to schedule the pod.\n\nSchedulingGates "
	  "can only be set at pod creation time, and be removed only afterwards."),
	L("resourceClaims", &t_PodResourceClaim, 39, "name", "name", K1S_FF_RETAIN_KEYS,
	  "ResourceClaims defines which ResourceClaims must be allocated and reserved before "
	  "the Pod is allowed to start. The resources will be made available to those "
	  "containers which consume them by name.\n\nThis is a stable field but requires that "
	  "the DynamicResourceAllocation feature gate is enabled.\n\nThis field is immutable."),
	O("resources", &t_ResourceRequirements, 40, 0,
	  "Resources is the total amount of CPU and Memory resources required by all "
	  "containers in the pod. It supports specifying Requests and Limits for \"cpu\", "
	  "\"memory\" and \"hugepages-\" resource names only. ResourceClaims are not "
	  "supported.\n\nThis field enables fine-grained control over resource allocation for "
	  "the entire pod, allowing resource sharing among containers in a pod.\n\nThis is an "
	  "alpha field and requires enabling the PodLevelResources feature gate."),
	S("hostnameOverride", 41, 0,
	  "HostnameOverride specifies an explicit override for the pod's hostname as perceived "
	  "by the pod. This field only specifies the pod's hostname and does not affect its "
	  "DNS records. Requires the HostnameOverride feature gate to be enabled."),
	ANY("workloadRef", 42,
	    "WorkloadRef provides a reference to the Workload object that this Pod belongs "
	    "to."),
};
static TYPE(t_PodSpec, CORE "PodSpec", "PodSpec is a description of a pod.");

/* ---- PodStatus ---- */

static const struct k1s_field t_PodCondition_f[] = {
	S("type", 1, R,
	  "Type is the type of the condition. More info: "
	  "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-conditions"),
	I64("observedGeneration", 7, 0,
	    "If set, this represents the .metadata.generation that the pod condition was set "
	    "based upon."),
	S("status", 2, R,
	  "Status is the status of the condition. Can be True, False, Unknown. More info: "
	  "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-conditions"),
	T("lastProbeTime", 3, 0, "Last time we probed the condition."),
	T("lastTransitionTime", 4, 0,
	  "Last time the condition transitioned from one status to another."),
	S("reason", 5, 0, "Unique, one-word, CamelCase reason for the condition's last transition."),
	S("message", 6, 0, "Human-readable message indicating details about last transition."),
};
static TYPE(t_PodCondition, CORE "PodCondition",
	    "PodCondition contains details for the current condition of this pod.");

static const struct k1s_field t_PodIP_f[] = {
	S("ip", 1, R, "IP is the IP address assigned to the pod"),
};
static TYPE(t_PodIP, CORE "PodIP", "PodIP represents a single IP address allocated to the pod.");

static const struct k1s_field t_HostIP_f[] = {
	S("ip", 1, R, "IP is the IP address assigned to the host"),
};
static TYPE(t_HostIP, CORE "HostIP",
	    "HostIP represents a single IP address allocated to the host.");

static const struct k1s_field t_ContainerStateWaiting_f[] = {
	S("reason", 1, 0, "(brief) reason the container is not yet running."),
	S("message", 2, 0, "Message regarding why the container is not yet running."),
};
static TYPE(t_ContainerStateWaiting, CORE "ContainerStateWaiting",
	    "ContainerStateWaiting is a waiting state of a container.");

static const struct k1s_field t_ContainerStateRunning_f[] = {
	T("startedAt", 1, 0, "Time at which the container was last (re-)started"),
};
static TYPE(t_ContainerStateRunning, CORE "ContainerStateRunning",
	    "ContainerStateRunning is a running state of a container.");

static const struct k1s_field t_ContainerStateTerminated_f[] = {
	I32("exitCode", 1, R, "Exit status from the last termination of the container"),
	I32("signal", 2, 0, "Signal from the last termination of the container"),
	S("reason", 3, 0, "(brief) reason from the last termination of the container"),
	S("message", 4, 0, "Message regarding the last termination of the container"),
	T("startedAt", 5, 0, "Time at which previous execution of the container started"),
	T("finishedAt", 6, 0, "Time at which the container last terminated"),
	S("containerID", 7, 0, "Container's ID in the format '<type>://<container_id>'"),
};
static TYPE(t_ContainerStateTerminated, CORE "ContainerStateTerminated",
	    "ContainerStateTerminated is a terminated state of a container.");

static const struct k1s_field t_ContainerState_f[] = {
	O("waiting", &t_ContainerStateWaiting, 1, 0, "Details about a waiting container"),
	O("running", &t_ContainerStateRunning, 2, 0, "Details about a running container"),
	O("terminated", &t_ContainerStateTerminated, 3, 0, "Details about a terminated container"),
};
static TYPE(t_ContainerState, CORE "ContainerState",
	    "ContainerState holds a possible state of container. Only one of its members may "
	    "be specified. If none of them is specified, the default one is "
	    "ContainerStateWaiting.");

static const struct k1s_field t_VolumeMountStatus_f[] = {
	S("name", 1, R, "Name corresponds to the name of the original VolumeMount."),
	S("mountPath", 2, R, "MountPath corresponds to the original VolumeMount."),
	B("readOnly", 3, 0, "ReadOnly corresponds to the original VolumeMount."),
	S("recursiveReadOnly", 4, 0,
	  "RecursiveReadOnly must be set to Disabled, Enabled, or unspecified (for "
	  "non-readonly mounts). An IfPossible value in the original VolumeMount must be "
	  "translated to Disabled or Enabled, depending on the mount result."),
	ANY("volumeStatus", 5,
	    "volumeStatus represents volume-type-specific status about the mounted volume."),
};
static TYPE(t_VolumeMountStatus, CORE "VolumeMountStatus",
	    "VolumeMountStatus shows status of volume mounts.");

static const struct k1s_field t_ContainerStatus_f[] = {
	S("name", 1, R,
	  "Name is a DNS_LABEL representing the unique name of the container. Each container "
	  "in a pod must have a unique name across all container types. Cannot be updated."),
	O("state", &t_ContainerState, 2, 0,
	  "State holds details about the container's current condition."),
	O("lastState", &t_ContainerState, 3, 0,
	  "LastTerminationState holds the last termination state of the container to help "
	  "debug container crashes and restarts. This field is not populated if the container "
	  "is still running and RestartCount is 0."),
	B("ready", 4, R,
	  "Ready specifies whether the container is currently passing its readiness check. The "
	  "value will change as readiness probes keep executing. If no readiness probes are "
	  "specified, this field defaults to true once the container is fully started (see "
	  "Started field).\n\nThe value is typically used to determine whether a container is "
	  "ready to accept traffic."),
	I32("restartCount", 5, R,
	    "RestartCount holds the number of times the container has been restarted. Kubelet "
	    "makes an effort to always increment the value, but there are cases when the state "
	    "may be lost due to node restarts and then the value may be reset to 0. The value "
	    "is never negative."),
	S("image", 6, R,
	  "Image is the name of container image that the container is running. The container "
	  "image may not match the image used in the PodSpec, as it may have been resolved by "
	  "the runtime. More info: https://kubernetes.io/docs/concepts/containers/images."),
	S("imageID", 7, R,
	  "ImageID is the image ID of the container's image. The image ID may not match the "
	  "image ID of the image used in the PodSpec, as it may have been resolved by the "
	  "runtime."),
	S("containerID", 8, 0,
	  "ContainerID is the ID of the container in the format '<type>://<container_id>'. "
	  "Where type is a container runtime identifier, returned from Version call of CRI API "
	  "(for example \"containerd\")."),
	B("started", 9, 0,
	  "Started indicates whether the container has finished its postStart lifecycle hook "
	  "and passed its startup probe. Initialized as false, becomes true after startupProbe "
	  "is considered successful. Resets to false when the container is restarted, or if "
	  "kubelet loses state temporarily. In both cases, startup probes will run again. Is "
	  "always true when no startupProbe is defined and container is running and has passed "
	  "the postStart lifecycle hook. The null value must be treated the same as false."),
	QM("allocatedResources", 10,
	   "AllocatedResources represents the compute resources allocated for this container "
	   "by the node. Kubelet sets this value to Container.Resources.Requests upon "
	   "successful pod admission and after successfully admitting desired pod resize."),
	O("resources", &t_ResourceRequirements, 11, 0,
	  "Resources represents the compute resource requests and limits that have been "
	  "successfully enacted on the running container after it has been started or has been "
	  "successfully resized."),
	L("volumeMounts", &t_VolumeMountStatus, 12, "mountPath", "mountPath", 0,
	  "Status of volume mounts."),
	ANY("user", 13,
	    "User represents user identity information initially attached to the first process "
	    "of the container"),
	ANYL("allocatedResourcesStatus", 14, "name", "name", 0,
	     "AllocatedResourcesStatus represents the status of various resources allocated "
	     "for this Pod."),
	S("stopSignal", 15, 0, "StopSignal reports the effective stop signal for this container"),
};
static TYPE(t_ContainerStatus, CORE "ContainerStatus",
	    "ContainerStatus contains details for the current status of this container.");

static const struct k1s_field t_PodStatus_f[] = {
	I64("observedGeneration", 17, 0,
	    "If set, this represents the .metadata.generation that the pod status was set "
	    "based upon. The PodObservedGenerationTracking feature gate must be enabled to use "
	    "this field."),
	S("phase", 1, 0,
	  "The phase of a Pod is a simple, high-level summary of where the Pod is in its "
	  "lifecycle. The conditions array, the reason and message fields, and the individual "
	  "container status arrays contain more detail about the pod's status. There are five "
	  "possible phase values:\n\nPending: The pod has been accepted by the Kubernetes "
	  "system, but one or more of the container images has not been created. This includes "
	  "time before being scheduled as well as time spent downloading images over the "
	  "network, which could take a while. Running: The pod has been bound to a node, and "
	  "all of the containers have been created. At least one container is still running, "
	  "or is in the process of starting or restarting. Succeeded: All containers in the pod "
	  "have terminated in success, and will not be restarted. Failed: All containers in "
	  "the pod have terminated, and at least one container has terminated in failure. The "
	  "container either exited with non-zero status or was terminated by the system. "
	  "Unknown: For some reason the state of the pod could not be obtained, typically due "
	  "to an error in communicating with the host of the pod.\n\nMore info: "
	  "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-phase"),
	L("conditions", &t_PodCondition, 2, "type", "type", 0,
	  "Current service state of pod. More info: "
	  "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-conditions"),
	S("message", 3, 0,
	  "A human readable message indicating details about why the pod is in this "
	  "condition."),
	S("reason", 4, 0,
	  "A brief CamelCase message indicating details about why the pod is in this state. "
	  "e.g. 'Evicted'"),
	S("nominatedNodeName", 11, 0,
	  "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
	  "cannot be scheduled right away as preemption victims receive their graceful "
	  "termination periods. This field does not guarantee that the pod will be scheduled "
	  "on this node. Scheduler may decide to place the pod elsewhere if other nodes become "
	  "available sooner. Scheduler may also decide to give the resources on this node to a "
	  "higher priority pod that is created after preemption. As a result, this field may "
	  "be different than PodSpec.nodeName when the pod is scheduled."),
	S("hostIP", 5, 0,
	  "hostIP holds the IP address of the host to which the pod is assigned. Empty if the "
	  "pod has not started yet. A pod can be assigned to a node that has a problem in "
	  "kubelet which in turns mean that HostIP will not be updated even if there is a node "
	  "is assigned to pod"),
	L("hostIPs", &t_HostIP, 16, "ip", NULL, 0,
	  "hostIPs holds the IP addresses allocated to the host. If this field is specified, "
	  "the first entry must match the hostIP field. This list is empty if the pod has not "
	  "started yet. A pod can be assigned to a node that has a problem in kubelet which in "
	  "turns means that HostIPs will not be updated even if there is a node is assigned to "
	  "this pod."),
	S("podIP", 6, 0,
	  "podIP address allocated to the pod. Routable at least within the cluster. Empty if "
	  "not yet allocated."),
	L("podIPs", &t_PodIP, 12, "ip", "ip", 0,
	  "podIPs holds the IP addresses allocated to the pod. If this field is specified, the "
	  "0th entry must match the podIP field. Pods may be allocated at most 1 value for "
	  "each of IPv4 and IPv6. This list is empty if no IPs have been allocated yet."),
	T("startTime", 7, 0,
	  "RFC 3339 date and time at which the object was acknowledged by the Kubelet. This is "
	  "before the Kubelet pulled the container image(s) for the pod."),
	L("initContainerStatuses", &t_ContainerStatus, 10, NULL, NULL, 0,
	  "Statuses of init containers in this pod. The most recent successful non-restartable "
	  "init container will have ready = true, the most recently started container will "
	  "have startTime set. Each init container in the pod should have at most one status "
	  "in this list, and all statuses should be for containers in the pod. However this is "
	  "not enforced. More info: "
	  "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-and-container-status"),
	L("containerStatuses", &t_ContainerStatus, 8, NULL, NULL, 0,
	  "Statuses of containers in this pod. Each container in the pod should have at most "
	  "one status in this list, and all statuses should be for containers in the pod. "
	  "However this is not enforced. More info: "
	  "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-and-container-status"),
	S("qosClass", 9, 0,
	  "The Quality of Service (QOS) classification assigned to the pod based on resource "
	  "requirements See PodQOSClass type for available QOS classes More info: "
	  "https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/#quality-of-service-classes"),
	L("ephemeralContainerStatuses", &t_ContainerStatus, 13, NULL, NULL, 0,
	  "Statuses for any ephemeral containers that have run in this pod. Each ephemeral "
	  "container in the pod should have at most one status in this list, and all statuses "
	  "should be for containers in the pod. However this is not enforced."),
	S("resize", 14, 0,
	  "Status of resources resize desired for pod's containers. It is empty if no "
	  "resources resize is pending. Any changes to container resources will automatically "
	  "set this to \"Proposed\" Deprecated: Resize status is moved to two pod conditions "
	  "PodResizePending and PodResizeInProgress."),
	ANYL("resourceClaimStatuses", 15, "name", "name", K1S_FF_RETAIN_KEYS,
	     "Status of resource claims."),
	ANY("extendedResourceClaimStatus", 18,
	    "Status of extended resource claim backed by DRA."),
	QM("allocatedResources", 19,
	   "AllocatedResources is the total requests allocated for this pod by the node. If "
	   "pod-level requests are not set, this will be the total requests aggregated across "
	   "containers in the pod."),
	O("resources", &t_ResourceRequirements, 20, 0,
	  "Resources represents the compute resource requests and limits that have been "
	  "applied at the pod level if pod-level requests or limits are set in "
	  "PodSpec.Resources"),
};
static TYPE(t_PodStatus, CORE "PodStatus",
	    "PodStatus represents information about the status of a pod. Status may trail the "
	    "actual state of a system, especially if the node that hosts the pod cannot "
	    "contact the control plane.");

/* ---- the kinds ---- */

static const struct k1s_field k1s_t_Pod_f[] = {
	S("apiVersion", 0, 0,
	  "APIVersion defines the versioned schema of this representation of an object. "
	  "Servers should convert recognized schemas to the latest internal value, and may "
	  "reject unrecognized values. More info: "
	  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"),
	S("kind", 0, 0,
	  "Kind is a string value representing the REST resource this object represents. "
	  "Servers may infer this from the endpoint the client submits requests to. Cannot be "
	  "updated. In CamelCase. More info: "
	  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"),
	O("metadata", &k1s_t_ObjectMeta, 1, 0, DOC_METADATA),
	O("spec", &t_PodSpec, 2, 0,
	  "Specification of the desired behavior of the pod. More info: " DOC_SPEC_STATUS),
	O("status", &t_PodStatus, 3, 0,
	  "Most recently observed status of the pod. This data may not be up to date. "
	  "Populated by the system. Read-only. More info: " DOC_SPEC_STATUS),
};
TYPE(k1s_t_Pod, CORE "Pod",
     "Pod is a collection of containers that can run on a host. This resource is created "
     "by clients and scheduled onto hosts.");

static const struct k1s_field k1s_t_PodTemplateSpec_f[] = {
	O("metadata", &k1s_t_ObjectMeta, 1, 0, DOC_METADATA),
	O("spec", &t_PodSpec, 2, 0,
	  "Specification of the desired behavior of the pod. More info: " DOC_SPEC_STATUS),
};
TYPE(k1s_t_PodTemplateSpec, CORE "PodTemplateSpec",
     "PodTemplateSpec describes the data a pod should have when created from a template");
