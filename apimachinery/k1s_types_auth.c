/* Who may do what, as kube-apiserver 1.32 serves it: ServiceAccount
 * (core/v1), Role, ClusterRole, RoleBinding, ClusterRoleBinding
 * (rbac.authorization.k8s.io/v1) and the admission webhook configurations
 * (admissionregistration.k8s.io/v1). k1s stores them and enforces none: it
 * has no authorization, and it calls no webhook. Tables as in
 * k1s_types_batch.c, from k8s.io/api v0.32 generated.proto. RuleWithOperations
 * inlines Rule, which protobuf carries as its field 2. */
#include "k1s_types_int.h"

#define FIELD(n, t, c, r, p, mk, lmk, fl, d) {n, t, c, r, p, mk, lmk, fl, d}
#define TYPE(var, name, doc) \
	const struct k1s_type var = {name, doc, var##_f, K1S_NFIELDS(var##_f)}

/* ---- core/v1: ServiceAccount ---- */

static const struct k1s_field k1s_t_ServiceAccount_f[] = {
	K1S_TYPEMETA,
	FIELD("metadata", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_ObjectMeta, 1, NULL, NULL, 0,
	      "Standard object's metadata. More info: "
	      "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"),
	FIELD("secrets", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_ObjectReference, 2, "name", "name", 0,
	      "Secrets is a list of the secrets in the same namespace that pods running using "
	      "this ServiceAccount are allowed to use. Pods are only limited to this list if "
	      "this service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation "
	      "set to \"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is "
	      "deprecated since v1.32. Prefer separate namespaces to isolate access to mounted "
	      "secrets. This field should not be used to find auto-generated service account "
	      "token secrets for use outside of pods. Instead, tokens can be requested directly "
	      "using the TokenRequest API, or service account token secrets can be manually "
	      "created. More info: https://kubernetes.io/docs/concepts/configuration/secret"),
	FIELD("imagePullSecrets", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_LocalObjectReference, 3, NULL, NULL, 0,
	      "ImagePullSecrets is a list of references to secrets in the same namespace to use "
	      "for pulling any images in pods that reference this ServiceAccount. "
	      "ImagePullSecrets are distinct from Secrets because Secrets can be mounted in the "
	      "pod, but ImagePullSecrets are only accessed by the kubelet. More info: "
	      "https://kubernetes.io/docs/concepts/containers/images/#specifying-imagepullsecrets-on-a-pod"),
	FIELD("automountServiceAccountToken", K1S_T_BOOL, K1S_C_NONE, NULL, 4, NULL, NULL, 0,
	      "AutomountServiceAccountToken indicates whether pods running as this service "
	      "account should have an API token automatically mounted. Can be overridden at the "
	      "pod level."),
};
TYPE(k1s_t_ServiceAccount, "io.k8s.api.core.v1.ServiceAccount",
	"ServiceAccount binds together:\n* a name, understood by users, and perhaps by "
	    "peripheral systems, for an identity\n* a principal that can be authenticated and "
	    "authorized\n* a set of secrets");

/* ---- rbac.authorization.k8s.io/v1 ---- */

static const struct k1s_field k1s_t_PolicyRule_f[] = {
	FIELD("verbs", K1S_T_STRING, K1S_C_LIST, NULL, 1, NULL, NULL, K1S_FF_REQUIRED,
	      "Verbs is a list of Verbs that apply to ALL the ResourceKinds contained in this "
	      "rule. '*' represents all verbs."),
	FIELD("apiGroups", K1S_T_STRING, K1S_C_LIST, NULL, 2, NULL, NULL, 0,
	      "APIGroups is the name of the APIGroup that contains the resources.  If multiple "
	      "API groups are specified, any action requested against one of the enumerated "
	      "resources in any API group will be allowed. \"\" represents the core API group "
	      "and \"*\" represents all API groups."),
	FIELD("resources", K1S_T_STRING, K1S_C_LIST, NULL, 3, NULL, NULL, 0,
	      "Resources is a list of resources this rule applies to. '*' represents all "
	      "resources."),
	FIELD("resourceNames", K1S_T_STRING, K1S_C_LIST, NULL, 4, NULL, NULL, 0,
	      "ResourceNames is an optional white list of names that the rule applies to.  An "
	      "empty set means that everything is allowed."),
	FIELD("nonResourceURLs", K1S_T_STRING, K1S_C_LIST, NULL, 5, NULL, NULL, 0,
	      "NonResourceURLs is a set of partial urls that a user should have access to.  *s "
	      "are allowed, but only as the full, final step in the path Since non-resource URLs "
	      "are not namespaced, this field is only applicable for ClusterRoles referenced "
	      "from a ClusterRoleBinding. Rules can either apply to API resources (such as "
	      "\"pods\" or \"secrets\") or non-resource URL paths (such as \"/api\"),  but not "
	      "both."),
};
static TYPE(k1s_t_PolicyRule, "io.k8s.api.rbac.v1.PolicyRule",
	"PolicyRule holds information that describes a policy rule, but does not contain "
	    "information about who the rule applies to or which namespace the rule applies to.");

static const struct k1s_field k1s_t_AggregationRule_f[] = {
	FIELD("clusterRoleSelectors", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_LabelSelector, 1, NULL, NULL, 0,
	      "ClusterRoleSelectors holds a list of selectors which will be used to find "
	      "ClusterRoles and create the rules. If any of the selectors match, then the "
	      "ClusterRole's permissions will be added"),
};
static TYPE(k1s_t_AggregationRule, "io.k8s.api.rbac.v1.AggregationRule",
	"AggregationRule describes how to locate ClusterRoles to aggregate into the "
	    "ClusterRole");

static const struct k1s_field k1s_t_Role_f[] = {
	K1S_TYPEMETA,
	FIELD("metadata", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_ObjectMeta, 1, NULL, NULL, 0,
	      "Standard object's metadata."),
	FIELD("rules", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_PolicyRule, 2, NULL, NULL, 0,
	      "Rules holds all the PolicyRules for this Role"),
};
TYPE(k1s_t_Role, "io.k8s.api.rbac.v1.Role",
	"Role is a namespaced, logical grouping of PolicyRules that can be referenced as a "
	    "unit by a RoleBinding.");

static const struct k1s_field k1s_t_ClusterRole_f[] = {
	K1S_TYPEMETA,
	FIELD("metadata", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_ObjectMeta, 1, NULL, NULL, 0,
	      "Standard object's metadata."),
	FIELD("rules", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_PolicyRule, 2, NULL, NULL, 0,
	      "Rules holds all the PolicyRules for this ClusterRole"),
	FIELD("aggregationRule", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_AggregationRule, 3, NULL, NULL, 0,
	      "AggregationRule is an optional field that describes how to build the Rules for "
	      "this ClusterRole. If AggregationRule is set, then the Rules are controller "
	      "managed and direct changes to Rules will be stomped by the controller."),
};
TYPE(k1s_t_ClusterRole, "io.k8s.api.rbac.v1.ClusterRole",
	"ClusterRole is a cluster level, logical grouping of PolicyRules that can be "
	    "referenced as a unit by a RoleBinding or ClusterRoleBinding.");

static const struct k1s_field k1s_t_Subject_f[] = {
	FIELD("kind", K1S_T_STRING, K1S_C_NONE, NULL, 1, NULL, NULL, K1S_FF_REQUIRED,
	      "Kind of object being referenced. Values defined by this API group are \"User\", "
	      "\"Group\", and \"ServiceAccount\". If the Authorizer does not recognized the kind "
	      "value, the Authorizer should report an error."),
	FIELD("apiGroup", K1S_T_STRING, K1S_C_NONE, NULL, 2, NULL, NULL, 0,
	      "APIGroup holds the API group of the referenced subject. Defaults to \"\" for "
	      "ServiceAccount subjects. Defaults to \"rbac.authorization.k8s.io\" for User and "
	      "Group subjects."),
	FIELD("name", K1S_T_STRING, K1S_C_NONE, NULL, 3, NULL, NULL, K1S_FF_REQUIRED,
	      "Name of the object being referenced."),
	FIELD("namespace", K1S_T_STRING, K1S_C_NONE, NULL, 4, NULL, NULL, 0,
	      "Namespace of the referenced object.  If the object kind is non-namespace, such as "
	      "\"User\" or \"Group\", and this value is not empty the Authorizer should report "
	      "an error."),
};
static TYPE(k1s_t_Subject, "io.k8s.api.rbac.v1.Subject",
	"Subject contains a reference to the object or user identities a role binding "
	    "applies to.  This can either hold a direct API object reference, or a value for "
	    "non-objects such as user and group names.");

static const struct k1s_field k1s_t_RoleRef_f[] = {
	FIELD("apiGroup", K1S_T_STRING, K1S_C_NONE, NULL, 1, NULL, NULL, K1S_FF_REQUIRED,
	      "APIGroup is the group for the resource being referenced"),
	FIELD("kind", K1S_T_STRING, K1S_C_NONE, NULL, 2, NULL, NULL, K1S_FF_REQUIRED,
	      "Kind is the type of resource being referenced"),
	FIELD("name", K1S_T_STRING, K1S_C_NONE, NULL, 3, NULL, NULL, K1S_FF_REQUIRED,
	      "Name is the name of resource being referenced"),
};
static TYPE(k1s_t_RoleRef, "io.k8s.api.rbac.v1.RoleRef",
	"RoleRef contains information that points to the role being used");

static const struct k1s_field k1s_t_RoleBinding_f[] = {
	K1S_TYPEMETA,
	FIELD("metadata", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_ObjectMeta, 1, NULL, NULL, 0,
	      "Standard object's metadata."),
	FIELD("subjects", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_Subject, 2, NULL, NULL, 0,
	      "Subjects holds references to the objects the role applies to."),
	FIELD("roleRef", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_RoleRef, 3, NULL, NULL, K1S_FF_REQUIRED,
	      "RoleRef can reference a Role in the current namespace or a ClusterRole in the "
	      "global namespace. If the RoleRef cannot be resolved, the Authorizer must return "
	      "an error. This field is immutable."),
};
TYPE(k1s_t_RoleBinding, "io.k8s.api.rbac.v1.RoleBinding",
	"RoleBinding references a role, but does not contain it.  It can reference a Role "
	    "in the same namespace or a ClusterRole in the global namespace. It adds who "
	    "information via Subjects and namespace information by which namespace it exists "
	    "in.  RoleBindings in a given namespace only have effect in that namespace.");

static const struct k1s_field k1s_t_ClusterRoleBinding_f[] = {
	K1S_TYPEMETA,
	FIELD("metadata", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_ObjectMeta, 1, NULL, NULL, 0,
	      "Standard object's metadata."),
	FIELD("subjects", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_Subject, 2, NULL, NULL, 0,
	      "Subjects holds references to the objects the role applies to."),
	FIELD("roleRef", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_RoleRef, 3, NULL, NULL, K1S_FF_REQUIRED,
	      "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef "
	      "cannot be resolved, the Authorizer must return an error. This field is immutable."),
};
TYPE(k1s_t_ClusterRoleBinding, "io.k8s.api.rbac.v1.ClusterRoleBinding",
	"ClusterRoleBinding references a ClusterRole, but not contain it.  It can "
	    "reference a ClusterRole in the global namespace, and adds who information via "
	    "Subject.");

/* ---- admissionregistration.k8s.io/v1 ---- */

static const struct k1s_field k1s_t_ServiceReference_f[] = {
	FIELD("namespace", K1S_T_STRING, K1S_C_NONE, NULL, 1, NULL, NULL, K1S_FF_REQUIRED,
	      "`namespace` is the namespace of the service. Required"),
	FIELD("name", K1S_T_STRING, K1S_C_NONE, NULL, 2, NULL, NULL, K1S_FF_REQUIRED,
	      "`name` is the name of the service. Required"),
	FIELD("path", K1S_T_STRING, K1S_C_NONE, NULL, 3, NULL, NULL, 0,
	      "`path` is an optional URL path which will be sent in any request to this service."),
	FIELD("port", K1S_T_INT32, K1S_C_NONE, NULL, 4, NULL, NULL, 0,
	      "If specified, the port on the service that hosting webhook. Default to 443 for "
	      "backward compatibility. `port` should be a valid port number (1-65535, inclusive)."),
};
static TYPE(k1s_t_ServiceReference, "io.k8s.api.admissionregistration.v1.ServiceReference",
	"ServiceReference holds a reference to Service.legacy.k8s.io");

static const struct k1s_field k1s_t_WebhookClientConfig_f[] = {
	FIELD("url", K1S_T_STRING, K1S_C_NONE, NULL, 3, NULL, NULL, 0,
	      "`url` gives the location of the webhook, in standard URL form "
	      "(`scheme://host:port/path`). Exactly one of `url` or `service` must be "
	      "specified.\n\nThe `host` should not refer to a service running in the cluster; "
	      "use the `service` field instead. The host might be resolved via external DNS in "
	      "some apiservers (e.g., `kube-apiserver` cannot resolve in-cluster DNS as that "
	      "would be a layering violation). `host` may also be an IP address.\n\nPlease note "
	      "that using `localhost` or `127.0.0.1` as a `host` is risky unless you take great "
	      "care to run this webhook on all hosts which run an apiserver which might need to "
	      "make calls to this webhook. Such installs are likely to be non-portable, i.e., "
	      "not easy to turn up in a new cluster.\n\nThe scheme must be \"https\"; the URL "
	      "must begin with \"https://\".\n\nA path is optional, and if present may be any "
	      "string permissible in a URL. You may use the path to pass an arbitrary string to "
	      "the webhook, for example, a cluster identifier.\n\nAttempting to use a user or "
	      "basic auth e.g. \"user:password@\" is not allowed. Fragments (\"#...\") and query "
	      "parameters (\"?...\") are not allowed, either."),
	FIELD("service", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_ServiceReference, 1, NULL, NULL, 0,
	      "`service` is a reference to the service for this webhook. Either `service` or "
	      "`url` must be specified.\n\nIf the webhook is running within the cluster, then "
	      "you should use `service`."),
	FIELD("caBundle", K1S_T_BYTES, K1S_C_NONE, NULL, 2, NULL, NULL, 0,
	      "`caBundle` is a PEM encoded CA bundle which will be used to validate the "
	      "webhook's server certificate. If unspecified, system trust roots on the apiserver "
	      "are used."),
};
static TYPE(k1s_t_WebhookClientConfig, "io.k8s.api.admissionregistration.v1.WebhookClientConfig",
	"WebhookClientConfig contains the information to make a TLS connection with the "
	    "webhook");

static const struct k1s_field k1s_t_RuleWithOperations_f[] = {
	FIELD("operations", K1S_T_STRING, K1S_C_LIST, NULL, 1, NULL, NULL, 0,
	      "Operations is the operations the admission hook cares about - CREATE, UPDATE, "
	      "DELETE, CONNECT or * for all of those operations and any future admission "
	      "operations that are added. If '*' is present, the length of the slice must be "
	      "one. Required."),
	FIELD("apiGroups", K1S_T_STRING, K1S_C_LIST, NULL, K1S_PROTO_EMBED(2, 1), NULL, NULL, 0,
	      "APIGroups is the API groups the resources belong to. '*' is all groups. If '*' is "
	      "present, the length of the slice must be one. Required."),
	FIELD("apiVersions", K1S_T_STRING, K1S_C_LIST, NULL, K1S_PROTO_EMBED(2, 2), NULL, NULL, 0,
	      "APIVersions is the API versions the resources belong to. '*' is all versions. If "
	      "'*' is present, the length of the slice must be one. Required."),
	FIELD("resources", K1S_T_STRING, K1S_C_LIST, NULL, K1S_PROTO_EMBED(2, 3), NULL, NULL, 0,
	      "Resources is a list of resources this rule applies to.\n\nFor example: 'pods' "
	      "means pods. 'pods/log' means the log subresource of pods. '*' means all "
	      "resources, but not subresources. 'pods/*' means all subresources of pods. "
	      "'*/scale' means all scale subresources. '*/*' means all resources and their "
	      "subresources.\n\nIf wildcard is present, the validation rule will ensure "
	      "resources do not overlap with each other.\n\nDepending on the enclosing object, "
	      "subresources might not be allowed. Required."),
	FIELD("scope", K1S_T_STRING, K1S_C_NONE, NULL, K1S_PROTO_EMBED(2, 4), NULL, NULL, 0,
	      "scope specifies the scope of this rule. Valid values are \"Cluster\", "
	      "\"Namespaced\", and \"*\" \"Cluster\" means that only cluster-scoped resources "
	      "will match this rule. Namespace API objects are cluster-scoped. \"Namespaced\" "
	      "means that only namespaced resources will match this rule. \"*\" means that there "
	      "are no scope restrictions. Subresources match the scope of their parent resource. "
	      "Default is \"*\"."),
};
static TYPE(k1s_t_RuleWithOperations, "io.k8s.api.admissionregistration.v1.RuleWithOperations",
	"RuleWithOperations is a tuple of Operations and Resources. It is recommended to "
	    "make sure that all the tuple expansions are valid.");

static const struct k1s_field k1s_t_MatchCondition_f[] = {
	FIELD("name", K1S_T_STRING, K1S_C_NONE, NULL, 1, NULL, NULL, K1S_FF_REQUIRED,
	      "Name is an identifier for this match condition, used for strategic merging of "
	      "MatchConditions, as well as providing an identifier for logging purposes. A good "
	      "name should be descriptive of the associated expression. Name must be a qualified "
	      "name consisting of alphanumeric characters, '-', '_' or '.', and must start and "
	      "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
	      "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an "
	      "optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')\n\nRequired."),
	FIELD("expression", K1S_T_STRING, K1S_C_NONE, NULL, 2, NULL, NULL, K1S_FF_REQUIRED,
	      "Expression represents the expression which will be evaluated by CEL. Must "
	      "evaluate to bool. CEL expressions have access to the contents of the "
	      "AdmissionRequest and Authorizer, organized into CEL variables:\n\n'object' - The "
	      "object from the incoming request. The value is null for DELETE requests. "
	      "'oldObject' - The existing object. The value is null for CREATE requests. "
	      "'request' - Attributes of the admission "
	      "request(/pkg/apis/admission/types.go#AdmissionRequest). 'authorizer' - A CEL "
	      "Authorizer. May be used to perform authorization checks for the principal (user "
	      "or service account) of the request.\n  See "
	      "https://pkg.go.dev/k8s.io/apiserver/pkg/cel/library#Authz "
	      "'authorizer.requestResource' - A CEL ResourceCheck constructed from the "
	      "'authorizer' and configured with the\n  request resource. Documentation on CEL: "
	      "https://kubernetes.io/docs/reference/using-api/cel/\n\nRequired."),
};
static TYPE(k1s_t_MatchCondition, "io.k8s.api.admissionregistration.v1.MatchCondition",
	"MatchCondition represents a condition which must by fulfilled for a request to be "
	    "sent to a webhook.");

static const struct k1s_field k1s_t_ValidatingWebhook_f[] = {
	FIELD("name", K1S_T_STRING, K1S_C_NONE, NULL, 1, NULL, NULL, K1S_FF_REQUIRED,
	      "The name of the admission webhook. Name should be fully qualified, e.g., "
	      "imagepolicy.kubernetes.io, where \"imagepolicy\" is the name of the webhook, and "
	      "kubernetes.io is the name of the organization. Required."),
	FIELD("clientConfig", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_WebhookClientConfig, 2, NULL, NULL, K1S_FF_REQUIRED,
	      "ClientConfig defines how to communicate with the hook. Required"),
	FIELD("rules", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_RuleWithOperations, 3, NULL, NULL, 0,
	      "Rules describes what operations on what resources/subresources the webhook cares "
	      "about. The webhook cares about an operation if it matches _any_ Rule. However, in "
	      "order to prevent ValidatingAdmissionWebhooks and MutatingAdmissionWebhooks from "
	      "putting the cluster in a state which cannot be recovered from without completely "
	      "disabling the plugin, ValidatingAdmissionWebhooks and MutatingAdmissionWebhooks "
	      "are never called on admission requests for ValidatingWebhookConfiguration and "
	      "MutatingWebhookConfiguration objects."),
	FIELD("failurePolicy", K1S_T_STRING, K1S_C_NONE, NULL, 4, NULL, NULL, 0,
	      "FailurePolicy defines how unrecognized errors from the admission endpoint are "
	      "handled - allowed values are Ignore or Fail. Defaults to Fail."),
	FIELD("matchPolicy", K1S_T_STRING, K1S_C_NONE, NULL, 9, NULL, NULL, 0,
	      "matchPolicy defines how the \"rules\" list is used to match incoming requests. "
	      "Allowed values are \"Exact\" or \"Equivalent\".\n\n- Exact: match a request only "
	      "if it exactly matches a specified rule. For example, if deployments can be "
	      "modified via apps/v1, apps/v1beta1, and extensions/v1beta1, but \"rules\" only "
	      "included `apiGroups:[\"apps\"], apiVersions:[\"v1\"], resources: "
	      "[\"deployments\"]`, a request to apps/v1beta1 or extensions/v1beta1 would not be "
	      "sent to the webhook.\n\n- Equivalent: match a request if modifies a resource "
	      "listed in rules, even via another API group or version. For example, if "
	      "deployments can be modified via apps/v1, apps/v1beta1, and extensions/v1beta1, "
	      "and \"rules\" only included `apiGroups:[\"apps\"], apiVersions:[\"v1\"], "
	      "resources: [\"deployments\"]`, a request to apps/v1beta1 or extensions/v1beta1 "
	      "would be converted to apps/v1 and sent to the webhook.\n\nDefaults to "
	      "\"Equivalent\""),
	FIELD("namespaceSelector", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_LabelSelector, 5, NULL, NULL, 0,
	      "NamespaceSelector decides whether to run the webhook on an object based on "
	      "whether the namespace for that object matches the selector. If the object itself "
	      "is a namespace, the matching is performed on object.metadata.labels. If the "
	      "object is another cluster scoped resource, it never skips the webhook.\n\nFor "
	      "example, to run the webhook on any objects whose namespace is not associated with "
	      "\"runlevel\" of \"0\" or \"1\";  you will set the selector as follows: "
	      "\"namespaceSelector\": {\n  \"matchExpressions\": [\n    {\n      \"key\": "
	      "\"runlevel\",\n      \"operator\": \"NotIn\",\n      \"values\": [\n        "
	      "\"0\",\n        \"1\"\n      ]\n    }\n  ] }\n\nIf instead you want to only run "
	      "the webhook on any objects whose namespace is associated with the \"environment\" "
	      "of \"prod\" or \"staging\"; you will set the selector as follows: "
	      "\"namespaceSelector\": {\n  \"matchExpressions\": [\n    {\n      \"key\": "
	      "\"environment\",\n      \"operator\": \"In\",\n      \"values\": [\n        "
	      "\"prod\",\n        \"staging\"\n      ]\n    }\n  ] }\n\nSee "
	      "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels for more "
	      "examples of label selectors.\n\nDefault to the empty LabelSelector, which matches "
	      "everything."),
	FIELD("objectSelector", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_LabelSelector, 10, NULL, NULL, 0,
	      "ObjectSelector decides whether to run the webhook based on if the object has "
	      "matching labels. objectSelector is evaluated against both the oldObject and "
	      "newObject that would be sent to the webhook, and is considered to match if either "
	      "object matches the selector. A null object (oldObject in the case of create, or "
	      "newObject in the case of delete) or an object that cannot have labels (like a "
	      "DeploymentRollback or a PodProxyOptions object) is not considered to match. Use "
	      "the object selector only if the webhook is opt-in, because end users may skip the "
	      "admission webhook by setting the labels. Default to the empty LabelSelector, "
	      "which matches everything."),
	FIELD("sideEffects", K1S_T_STRING, K1S_C_NONE, NULL, 6, NULL, NULL, K1S_FF_REQUIRED,
	      "SideEffects states whether this webhook has side effects. Acceptable values are: "
	      "None, NoneOnDryRun (webhooks created via v1beta1 may also specify Some or "
	      "Unknown). Webhooks with side effects MUST implement a reconciliation system, "
	      "since a request may be rejected by a future step in the admission chain and the "
	      "side effects therefore need to be undone. Requests with the dryRun attribute will "
	      "be auto-rejected if they match a webhook with sideEffects == Unknown or Some."),
	FIELD("timeoutSeconds", K1S_T_INT32, K1S_C_NONE, NULL, 7, NULL, NULL, 0,
	      "TimeoutSeconds specifies the timeout for this webhook. After the timeout passes, "
	      "the webhook call will be ignored or the API call will fail based on the failure "
	      "policy. The timeout value must be between 1 and 30 seconds. Default to 10 seconds."),
	FIELD("admissionReviewVersions", K1S_T_STRING, K1S_C_LIST, NULL, 8, NULL, NULL, K1S_FF_REQUIRED,
	      "AdmissionReviewVersions is an ordered list of preferred `AdmissionReview` "
	      "versions the Webhook expects. API server will try to use first version in the "
	      "list which it supports. If none of the versions specified in this list supported "
	      "by API server, validation will fail for this object. If a persisted webhook "
	      "configuration specifies allowed versions and does not include any versions known "
	      "to the API Server, calls to the webhook will fail and be subject to the failure "
	      "policy."),
	FIELD("matchConditions", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_MatchCondition, 11, "name", "name", 0,
	      "MatchConditions is a list of conditions that must be met for a request to be sent "
	      "to this webhook. Match conditions filter requests that have already been matched "
	      "by the rules, namespaceSelector, and objectSelector. An empty list of "
	      "matchConditions matches all requests. There are a maximum of 64 match conditions "
	      "allowed.\n\nThe exact matching logic is (in order):\n  1. If ANY matchCondition "
	      "evaluates to FALSE, the webhook is skipped.\n  2. If ALL matchConditions evaluate "
	      "to TRUE, the webhook is called.\n  3. If any matchCondition evaluates to an error "
	      "(but none are FALSE):\n     - If failurePolicy=Fail, reject the request\n     - "
	      "If failurePolicy=Ignore, the error is ignored and the webhook is skipped"),
};
static TYPE(k1s_t_ValidatingWebhook, "io.k8s.api.admissionregistration.v1.ValidatingWebhook",
	"ValidatingWebhook describes an admission webhook and the resources and operations "
	    "it applies to.");

static const struct k1s_field k1s_t_MutatingWebhook_f[] = {
	FIELD("name", K1S_T_STRING, K1S_C_NONE, NULL, 1, NULL, NULL, K1S_FF_REQUIRED,
	      "The name of the admission webhook. Name should be fully qualified, e.g., "
	      "imagepolicy.kubernetes.io, where \"imagepolicy\" is the name of the webhook, and "
	      "kubernetes.io is the name of the organization. Required."),
	FIELD("clientConfig", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_WebhookClientConfig, 2, NULL, NULL, K1S_FF_REQUIRED,
	      "ClientConfig defines how to communicate with the hook. Required"),
	FIELD("rules", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_RuleWithOperations, 3, NULL, NULL, 0,
	      "Rules describes what operations on what resources/subresources the webhook cares "
	      "about. The webhook cares about an operation if it matches _any_ Rule. However, in "
	      "order to prevent ValidatingAdmissionWebhooks and MutatingAdmissionWebhooks from "
	      "putting the cluster in a state which cannot be recovered from without completely "
	      "disabling the plugin, ValidatingAdmissionWebhooks and MutatingAdmissionWebhooks "
	      "are never called on admission requests for ValidatingWebhookConfiguration and "
	      "MutatingWebhookConfiguration objects."),
	FIELD("failurePolicy", K1S_T_STRING, K1S_C_NONE, NULL, 4, NULL, NULL, 0,
	      "FailurePolicy defines how unrecognized errors from the admission endpoint are "
	      "handled - allowed values are Ignore or Fail. Defaults to Fail."),
	FIELD("matchPolicy", K1S_T_STRING, K1S_C_NONE, NULL, 9, NULL, NULL, 0,
	      "matchPolicy defines how the \"rules\" list is used to match incoming requests. "
	      "Allowed values are \"Exact\" or \"Equivalent\".\n\n- Exact: match a request only "
	      "if it exactly matches a specified rule. For example, if deployments can be "
	      "modified via apps/v1, apps/v1beta1, and extensions/v1beta1, but \"rules\" only "
	      "included `apiGroups:[\"apps\"], apiVersions:[\"v1\"], resources: "
	      "[\"deployments\"]`, a request to apps/v1beta1 or extensions/v1beta1 would not be "
	      "sent to the webhook.\n\n- Equivalent: match a request if modifies a resource "
	      "listed in rules, even via another API group or version. For example, if "
	      "deployments can be modified via apps/v1, apps/v1beta1, and extensions/v1beta1, "
	      "and \"rules\" only included `apiGroups:[\"apps\"], apiVersions:[\"v1\"], "
	      "resources: [\"deployments\"]`, a request to apps/v1beta1 or extensions/v1beta1 "
	      "would be converted to apps/v1 and sent to the webhook.\n\nDefaults to "
	      "\"Equivalent\""),
	FIELD("namespaceSelector", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_LabelSelector, 5, NULL, NULL, 0,
	      "NamespaceSelector decides whether to run the webhook on an object based on "
	      "whether the namespace for that object matches the selector. If the object itself "
	      "is a namespace, the matching is performed on object.metadata.labels. If the "
	      "object is another cluster scoped resource, it never skips the webhook.\n\nFor "
	      "example, to run the webhook on any objects whose namespace is not associated with "
	      "\"runlevel\" of \"0\" or \"1\";  you will set the selector as follows: "
	      "\"namespaceSelector\": {\n  \"matchExpressions\": [\n    {\n      \"key\": "
	      "\"runlevel\",\n      \"operator\": \"NotIn\",\n      \"values\": [\n        "
	      "\"0\",\n        \"1\"\n      ]\n    }\n  ] }\n\nIf instead you want to only run "
	      "the webhook on any objects whose namespace is associated with the \"environment\" "
	      "of \"prod\" or \"staging\"; you will set the selector as follows: "
	      "\"namespaceSelector\": {\n  \"matchExpressions\": [\n    {\n      \"key\": "
	      "\"environment\",\n      \"operator\": \"In\",\n      \"values\": [\n        "
	      "\"prod\",\n        \"staging\"\n      ]\n    }\n  ] }\n\nSee "
	      "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/ for "
	      "more examples of label selectors.\n\nDefault to the empty LabelSelector, which "
	      "matches everything."),
	FIELD("objectSelector", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_LabelSelector, 11, NULL, NULL, 0,
	      "ObjectSelector decides whether to run the webhook based on if the object has "
	      "matching labels. objectSelector is evaluated against both the oldObject and "
	      "newObject that would be sent to the webhook, and is considered to match if either "
	      "object matches the selector. A null object (oldObject in the case of create, or "
	      "newObject in the case of delete) or an object that cannot have labels (like a "
	      "DeploymentRollback or a PodProxyOptions object) is not considered to match. Use "
	      "the object selector only if the webhook is opt-in, because end users may skip the "
	      "admission webhook by setting the labels. Default to the empty LabelSelector, "
	      "which matches everything."),
	FIELD("sideEffects", K1S_T_STRING, K1S_C_NONE, NULL, 6, NULL, NULL, K1S_FF_REQUIRED,
	      "SideEffects states whether this webhook has side effects. Acceptable values are: "
	      "None, NoneOnDryRun (webhooks created via v1beta1 may also specify Some or "
	      "Unknown). Webhooks with side effects MUST implement a reconciliation system, "
	      "since a request may be rejected by a future step in the admission chain and the "
	      "side effects therefore need to be undone. Requests with the dryRun attribute will "
	      "be auto-rejected if they match a webhook with sideEffects == Unknown or Some."),
	FIELD("timeoutSeconds", K1S_T_INT32, K1S_C_NONE, NULL, 7, NULL, NULL, 0,
	      "TimeoutSeconds specifies the timeout for this webhook. After the timeout passes, "
	      "the webhook call will be ignored or the API call will fail based on the failure "
	      "policy. The timeout value must be between 1 and 30 seconds. Default to 10 seconds."),
	FIELD("admissionReviewVersions", K1S_T_STRING, K1S_C_LIST, NULL, 8, NULL, NULL, K1S_FF_REQUIRED,
	      "AdmissionReviewVersions is an ordered list of preferred `AdmissionReview` "
	      "versions the Webhook expects. API server will try to use first version in the "
	      "list which it supports. If none of the versions specified in this list supported "
	      "by API server, validation will fail for this object. If a persisted webhook "
	      "configuration specifies allowed versions and does not include any versions known "
	      "to the API Server, calls to the webhook will fail and be subject to the failure "
	      "policy."),
	FIELD("reinvocationPolicy", K1S_T_STRING, K1S_C_NONE, NULL, 10, NULL, NULL, 0,
	      "reinvocationPolicy indicates whether this webhook should be called multiple times "
	      "as part of a single admission evaluation. Allowed values are \"Never\" and "
	      "\"IfNeeded\".\n\nNever: the webhook will not be called more than once in a single "
	      "admission evaluation.\n\nIfNeeded: the webhook will be called at least one "
	      "additional time as part of the admission evaluation if the object being admitted "
	      "is modified by other admission plugins after the initial webhook call. Webhooks "
	      "that specify this option *must* be idempotent, able to process objects they "
	      "previously admitted. Note:\n* the number of additional invocations is not "
	      "guaranteed to be exactly one.\n* if additional invocations result in further "
	      "modifications to the object, webhooks are not guaranteed to be invoked again.\n* "
	      "webhooks that use this option may be reordered to minimize the number of "
	      "additional invocations.\n* to validate an object after all mutations are "
	      "guaranteed complete, use a validating admission webhook instead.\n\nDefaults to "
	      "\"Never\"."),
	FIELD("matchConditions", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_MatchCondition, 12, "name", "name", 0,
	      "MatchConditions is a list of conditions that must be met for a request to be sent "
	      "to this webhook. Match conditions filter requests that have already been matched "
	      "by the rules, namespaceSelector, and objectSelector. An empty list of "
	      "matchConditions matches all requests. There are a maximum of 64 match conditions "
	      "allowed.\n\nThe exact matching logic is (in order):\n  1. If ANY matchCondition "
	      "evaluates to FALSE, the webhook is skipped.\n  2. If ALL matchConditions evaluate "
	      "to TRUE, the webhook is called.\n  3. If any matchCondition evaluates to an error "
	      "(but none are FALSE):\n     - If failurePolicy=Fail, reject the request\n     - "
	      "If failurePolicy=Ignore, the error is ignored and the webhook is skipped"),
};
static TYPE(k1s_t_MutatingWebhook, "io.k8s.api.admissionregistration.v1.MutatingWebhook",
	"MutatingWebhook describes an admission webhook and the resources and operations "
	    "it applies to.");

static const struct k1s_field k1s_t_ValidatingWebhookConfiguration_f[] = {
	K1S_TYPEMETA,
	FIELD("metadata", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_ObjectMeta, 1, NULL, NULL, 0,
	      "Standard object metadata; More info: "
	      "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata."),
	FIELD("webhooks", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_ValidatingWebhook, 2, "name", "name", 0,
	      "Webhooks is a list of webhooks and the affected resources and operations."),
};
TYPE(k1s_t_ValidatingWebhookConfiguration, "io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration",
	"ValidatingWebhookConfiguration describes the configuration of and admission "
	    "webhook that accept or reject and object without changing it.");

static const struct k1s_field k1s_t_MutatingWebhookConfiguration_f[] = {
	K1S_TYPEMETA,
	FIELD("metadata", K1S_T_OBJECT, K1S_C_NONE, &k1s_t_ObjectMeta, 1, NULL, NULL, 0,
	      "Standard object metadata; More info: "
	      "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata."),
	FIELD("webhooks", K1S_T_OBJECT, K1S_C_LIST, &k1s_t_MutatingWebhook, 2, "name", "name", 0,
	      "Webhooks is a list of webhooks and the affected resources and operations."),
};
TYPE(k1s_t_MutatingWebhookConfiguration, "io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration",
	"MutatingWebhookConfiguration describes the configuration of and admission webhook "
	    "that accept or reject and may change the object.");
