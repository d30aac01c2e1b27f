/* The core/v1 and meta/v1 type tables: what users and kubectl send decodes
 * without unknown fields, real unknown fields are found with their paths,
 * and the protobuf numbers, merge keys and flags are those of Kubernetes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "k1s_types.h"
#include "k1s_types_int.h"

/* Parses JSON written with single quotes, which keeps the fixtures
 * readable; none of them needs a literal apostrophe. */
static json_t *load(const char *text)
{
	char *s = strdup(text);
	json_error_t err;
	json_t *v;

	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(s, 0, &err);
	if (!v)
		fail_msg("fixture does not parse: %s at %d: %s", err.text, err.position, s);
	free(s);
	return v;
}

/* The unknown-field errors for `text` decoded as `t`, as one string. */
static void unknowns(const struct k1s_type *t, const char *text, char *out, size_t len)
{
	json_t *obj = load(text), *errs = json_array(), *e;
	size_t i, off = 0;
	int n;

	n = k1s_types_unknown(t, obj, errs);
	assert_int_equal((size_t)n, json_array_size(errs));
	out[0] = '\0';
	json_array_foreach(errs, i, e) {
		off += (size_t)snprintf(out + off, len - off, "%s%s", i ? ";" : "",
					json_string_value(e));
		assert_true(off < len);
	}
	json_decref(errs);
	json_decref(obj);
}

static void assert_clean(const struct k1s_type *t, const char *text)
{
	char got[2048];

	unknowns(t, text, got, sizeof(got));
	if (got[0])
		fail_msg("unexpected: %s", got);
}

/* A field by dotted path through the refs: "spec.ports.port". */
static const struct k1s_field *fpath(const struct k1s_type *t, const char *path)
{
	char buf[256], *save = NULL, *tok;
	const struct k1s_field *f = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		if (!t)
			fail_msg("%s: %s has no type", path, tok);
		f = k1s_type_field(t, tok);
		if (!f)
			fail_msg("%s: no field %s in %s", path, tok, t->name);
		t = f->ref;
	}
	return f;
}

static void assert_proto(const struct k1s_type *t, const char *path, int proto)
{
	const struct k1s_field *f = fpath(t, path);

	if (f->proto != proto)
		fail_msg("%s %s: proto %d, want %d", t->name, path, f->proto, proto);
}

static void assert_keys(const struct k1s_type *t, const char *path, const char *mk,
			const char *lmk)
{
	const struct k1s_field *f = fpath(t, path);

	assert_int_equal(f->container, K1S_C_LIST);
	if (mk)
		assert_string_equal(f->merge_key, mk);
	else if (f->merge_key)
		fail_msg("%s: merge key %s, want none (atomic)", path, f->merge_key);
	if (lmk)
		assert_string_equal(f->list_map_keys, lmk);
	else if (f->list_map_keys)
		fail_msg("%s: list-map keys %s, want none", path, f->list_map_keys);
}

/* ---- what users and kubectl send ---- */

static void tutorial_services_have_no_unknown_fields(void **state)
{
	static const char *svcs[] = {
		/* 01-clusterip-service.yaml */
		("{'apiVersion':'v1','kind':'Service','metadata':{'name':'api-service'},"
		"'spec':{'type':'ClusterIP','selector':{'app':'api'},"
		"'ports':[{'port':80,'targetPort':3000,'protocol':'TCP'}]}}"),
		/* 02-nodeport-service.yaml */
		("{'apiVersion':'v1','kind':'Service','metadata':{'name':'web-service'},"
		"'spec':{'type':'NodePort','selector':{'app':'web'},"
		"'ports':[{'port':80,'targetPort':3000,'nodePort':30080}]}}"),
		/* 03-loadbalancer-service.yaml */
		("{'apiVersion':'v1','kind':'Service','metadata':{'name':'web-service'},"
		"'spec':{'type':'LoadBalancer','selector':{'app':'web'},"
		"'ports':[{'port':80,'targetPort':3000}]}}"),
		/* 07-full-stack.yaml, as kubectl apply posts it */
		("{'apiVersion':'v1','kind':'Service','metadata':{'annotations':{"
		"'kubectl.kubernetes.io/last-applied-configuration':'x'},"
		"'name':'frontend-service','namespace':'default'},"
		"'spec':{'selector':{'app':'frontend'},'ports':[{'port':80,'targetPort':80}]}}"),
		("{'apiVersion':'v1','kind':'Service','metadata':{'name':'api-service'},"
		"'spec':{'selector':{'app':'api'},'ports':[{'port':80,'targetPort':3000}]}}"),
	};

	for (size_t i = 0; i < sizeof(svcs) / sizeof(svcs[0]); i++)
		assert_clean(&k1s_t_Service, svcs[i]);
}

static void tutorial_pod_templates_have_no_unknown_fields(void **state)
{
	/* The two templates of 07-full-stack.yaml. */
	assert_clean(&k1s_t_PodTemplateSpec,
		     "{'metadata':{'labels':{'app':'frontend'}},'spec':{'containers':[{"
		     "'name':'frontend','image':'my-frontend:1.0','ports':[{'containerPort':80}]}]}}");
	assert_clean(&k1s_t_PodTemplateSpec,
		     "{'metadata':{'labels':{'app':'api'}},'spec':{'containers':[{"
		     "'name':'api','image':'my-api:1.0','ports':[{'containerPort':3000}],"
		     "'env':[{'name':'DATABASE_URL','value':'postgres://db-service:5432/myapp'}]}]}}");
}

static void kubectl_run_pod_has_no_unknown_fields(void **state)
{
	/* Verbatim what `kubectl run t --image=busybox -it --rm -- nslookup x` posts. */
	assert_clean(&k1s_t_Pod,
		     "{'kind':'Pod','apiVersion':'v1','metadata':{'name':'t','creationTimestamp':null,"
		     "'labels':{'run':'t'}},'spec':{'containers':[{'name':'t','image':'busybox',"
		     "'args':['nslookup','x'],'resources':{},'stdin':true,'stdinOnce':true,"
		     "'tty':true}],'restartPolicy':'Always','dnsPolicy':'ClusterFirst'},"
		     "'status':{}}");
}

static void served_pod_round_trips(void **state)
{
	/* A pod as kube-apiserver returns it: what `kubectl edit` and `replace`
	 * send back. */
	assert_clean(&k1s_t_Pod,
		"{'apiVersion':'v1','kind':'Pod','metadata':{'creationTimestamp':'2025-01-01T12:00:00Z',"
		"'generateName':'api-7d9f8b6c4-','labels':{'app':'api','pod-template-hash':'7d9f8b6c4'},"
		"'name':'api-7d9f8b6c4-x2x9z','namespace':'default','ownerReferences':[{"
		"'apiVersion':'apps/v1','blockOwnerDeletion':true,'controller':true,'kind':'ReplicaSet',"
		"'name':'api-7d9f8b6c4','uid':'6b1c'}],'resourceVersion':'812','uid':'a1b2',"
		"'managedFields':[{'apiVersion':'v1','fieldsType':'FieldsV1','fieldsV1':{"
		"'f:metadata':{'f:labels':{}}},'manager':'kube-controller-manager','operation':'Update',"
		"'time':'2025-01-01T12:00:00Z'},{'apiVersion':'v1','fieldsType':'FieldsV1',"
		"'fieldsV1':{},'manager':'kubelet','operation':'Update','subresource':'status',"
		"'time':'2025-01-01T12:00:01Z'}]},"
		"'spec':{'containers':[{'env':[{'name':'DATABASE_URL','value':'postgres://db'},"
		"{'name':'POD_IP','valueFrom':{'fieldRef':{'apiVersion':'v1','fieldPath':'status.podIP'}}},"
		"{'name':'PASS','valueFrom':{'secretKeyRef':{'name':'db','key':'pass','optional':true}}},"
		"{'name':'MODE','valueFrom':{'configMapKeyRef':{'name':'cfg','key':'mode'}}},"
		"{'name':'MEM','valueFrom':{'resourceFieldRef':{'containerName':'api',"
		"'resource':'limits.memory','divisor':'1Mi'}}}],"
		"'envFrom':[{'configMapRef':{'name':'cfg'}},{'prefix':'S_','secretRef':{'name':'s'}}],"
		"'image':'my-api:1.0','imagePullPolicy':'IfNotPresent','name':'api',"
		"'ports':[{'containerPort':3000,'name':'http','protocol':'TCP'}],"
		"'livenessProbe':{'httpGet':{'path':'/healthz','port':'http','scheme':'HTTP',"
		"'httpHeaders':[{'name':'X','value':'y'}]},'initialDelaySeconds':3,"
		"'failureThreshold':3,'periodSeconds':10,'successThreshold':1,'timeoutSeconds':1},"
		"'readinessProbe':{'tcpSocket':{'port':3000},'periodSeconds':5},"
		"'startupProbe':{'exec':{'command':['true']}},"
		"'lifecycle':{'preStop':{'sleep':{'seconds':5}},'postStart':{'exec':{'command':['a']}}},"
		"'resources':{'limits':{'cpu':'500m','memory':'128Mi'},'requests':{'cpu':'250m'}},"
		"'securityContext':{'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']},"
		"'runAsNonRoot':true,'runAsUser':1000,'readOnlyRootFilesystem':true,"
		"'seccompProfile':{'type':'RuntimeDefault'}},"
		"'terminationMessagePath':'/dev/termination-log','terminationMessagePolicy':'File',"
		"'volumeMounts':[{'mountPath':'/var/run/secrets/kubernetes.io/serviceaccount',"
		"'name':'kube-api-access-abcde','readOnly':true},{'mountPath':'/cache','name':'cache'},"
		"{'mountPath':'/etc/cfg','name':'cfg','subPath':'app.conf'}]}],"
		"'initContainers':[{'name':'init','image':'busybox','command':['sh','-c','true']}],"
		"'dnsPolicy':'ClusterFirst','enableServiceLinks':true,'nodeName':'k1s',"
		"'preemptionPolicy':'PreemptLowerPriority','priority':0,'restartPolicy':'Always',"
		"'schedulerName':'default-scheduler','securityContext':{'fsGroup':2000,"
		"'supplementalGroups':[3000],'sysctls':[{'name':'net.core.somaxconn','value':'1024'}]},"
		"'serviceAccount':'default','serviceAccountName':'default',"
		"'terminationGracePeriodSeconds':30,"
		"'tolerations':[{'effect':'NoExecute','key':'node.kubernetes.io/not-ready',"
		"'operator':'Exists','tolerationSeconds':300}],"
		"'hostAliases':[{'ip':'10.0.0.9','hostnames':['db.local']}],"
		"'imagePullSecrets':[{'name':'regcred'}],'nodeSelector':{'disk':'ssd'},"
		"'dnsConfig':{'nameservers':['1.1.1.1'],'searches':['x.local'],"
		"'options':[{'name':'ndots','value':'2'}]},"
		"'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{}}},"
		"'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone',"
		"'whenUnsatisfiable':'DoNotSchedule','labelSelector':{'matchLabels':{'app':'api'}}}],"
		"'volumes':[{'name':'kube-api-access-abcde','projected':{'defaultMode':420,'sources':["
		"{'serviceAccountToken':{'expirationSeconds':3607,'path':'token'}},"
		"{'configMap':{'items':[{'key':'ca.crt','path':'ca.crt'}],'name':'kube-root-ca.crt'}},"
		"{'downwardAPI':{'items':[{'fieldRef':{'apiVersion':'v1','fieldPath':'metadata.namespace'},"
		"'path':'namespace'}]}}]}},{'name':'cache','emptyDir':{'medium':'Memory','sizeLimit':'64Mi'}},"
		"{'name':'cfg','configMap':{'name':'cfg','defaultMode':420,'optional':true}},"
		"{'name':'s','secret':{'secretName':'s','items':[{'key':'a','path':'a','mode':256}]}},"
		"{'name':'h','hostPath':{'path':'/var/log','type':'Directory'}},"
		"{'name':'d','persistentVolumeClaim':{'claimName':'data'}},"
		"{'name':'n','nfs':{'server':'nfs','path':'/x'}},"
		"{'name':'p','downwardAPI':{'items':[{'path':'labels','fieldRef':{"
		"'fieldPath':'metadata.labels'}}]}}]},"
		"'status':{'conditions':[{'lastProbeTime':null,'lastTransitionTime':'2025-01-01T12:00:01Z',"
		"'status':'True','type':'Ready'}],'containerStatuses':[{'containerID':'k1s://1',"
		"'image':'my-api:1.0','imageID':'sha256:1','lastState':{},'name':'api','ready':true,"
		"'restartCount':0,'started':true,'state':{'running':{'startedAt':'2025-01-01T12:00:01Z'}},"
		"'volumeMounts':[{'mountPath':'/cache','name':'cache','readOnly':false,"
		"'recursiveReadOnly':'Disabled'}]}],"
		"'initContainerStatuses':[{'name':'init','image':'busybox','imageID':'','ready':true,"
		"'restartCount':0,'state':{'terminated':{'exitCode':0,'reason':'Completed',"
		"'startedAt':null,'finishedAt':null,'containerID':'k1s://2'}}}],"
		"'hostIP':'192.168.1.2','hostIPs':[{'ip':'192.168.1.2'}],'phase':'Running',"
		"'podIP':'10.244.0.5','podIPs':[{'ip':'10.244.0.5'}],'qosClass':'Burstable',"
		"'startTime':'2025-01-01T12:00:00Z'}}");
}

static void served_service_round_trips(void **state)
{
	assert_clean(&k1s_t_Service,
		"{'apiVersion':'v1','kind':'Service','metadata':{'creationTimestamp':'2025-01-01T12:00:00Z',"
		"'name':'web','namespace':'default','resourceVersion':'5','uid':'u'},"
		"'spec':{'allocateLoadBalancerNodePorts':true,'clusterIP':'10.96.0.10',"
		"'clusterIPs':['10.96.0.10'],'externalTrafficPolicy':'Cluster',"
		"'internalTrafficPolicy':'Cluster','ipFamilies':['IPv4'],'ipFamilyPolicy':'SingleStack',"
		"'ports':[{'name':'http','nodePort':31234,'port':80,'protocol':'TCP','targetPort':'http',"
		"'appProtocol':'http'}],'selector':{'app':'web'},'sessionAffinity':'ClientIP',"
		"'sessionAffinityConfig':{'clientIP':{'timeoutSeconds':10800}},'type':'LoadBalancer',"
		"'externalIPs':['1.2.3.4'],'loadBalancerSourceRanges':['0.0.0.0/0'],"
		"'publishNotReadyAddresses':false,'healthCheckNodePort':32000},"
		"'status':{'loadBalancer':{'ingress':[{'ip':'192.168.1.240','ipMode':'VIP',"
		"'ports':[{'port':80,'protocol':'TCP'}]}]},'conditions':[{'type':'X','status':'True',"
		"'lastTransitionTime':'2025-01-01T12:00:00Z','reason':'R','message':''}]}}");
}

static void other_core_kinds_round_trip(void **state)
{
	assert_clean(&k1s_t_Namespace,
		"{'apiVersion':'v1','kind':'Namespace','metadata':{'labels':{"
		"'kubernetes.io/metadata.name':'dev'},'name':'dev','deletionTimestamp':null},"
		"'spec':{'finalizers':['kubernetes']},'status':{'phase':'Terminating','conditions':[{"
		"'type':'NamespaceDeletionContentFailure','status':'False','reason':'R',"
		"'message':'m','lastTransitionTime':'2025-01-01T12:00:00Z'}]}}");
	assert_clean(&k1s_t_Node,
		"{'apiVersion':'v1','kind':'Node','metadata':{'name':'k1s'},"
		"'spec':{'podCIDR':'10.244.0.0/24','podCIDRs':['10.244.0.0/24'],'unschedulable':false,"
		"'taints':[{'key':'k','value':'v','effect':'NoSchedule','timeAdded':null}]},"
		"'status':{'addresses':[{'address':'192.168.1.2','type':'InternalIP'},"
		"{'address':'k1s','type':'Hostname'}],'allocatable':{'cpu':'2','memory':'24Gi','pods':'110'},"
		"'capacity':{'cpu':'2','ephemeral-storage':'100Gi','memory':'24Gi','pods':'110'},"
		"'conditions':[{'lastHeartbeatTime':'2025-01-01T12:00:00Z',"
		"'lastTransitionTime':'2025-01-01T12:00:00Z','message':'ok','reason':'KubeletReady',"
		"'status':'True','type':'Ready'}],'daemonEndpoints':{'kubeletEndpoint':{'Port':10250}},"
		"'images':[{'names':['busybox:latest'],'sizeBytes':4261574}],"
		"'nodeInfo':{'architecture':'amd64','bootID':'b','containerRuntimeVersion':'k1s://0.1.0',"
		"'kernelVersion':'6.1.0','kubeProxyVersion':'','kubeletVersion':'v1.32.0',"
		"'machineID':'m','operatingSystem':'linux','osImage':'Debian GNU/Linux 12 (bookworm)',"
		"'systemUUID':'s'},'phase':'Running','volumesInUse':[],'volumesAttached':[]}}");
	assert_clean(&k1s_t_Secret,
		"{'apiVersion':'v1','kind':'Secret','metadata':{'name':'myapp-tls'},"
		"'data':{'tls.crt':'Y3J0','tls.key':'a2V5'},'stringData':{'x':'y'},"
		"'type':'kubernetes.io/tls','immutable':false}");
	assert_clean(&k1s_t_ConfigMap,
		"{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'cfg'},"
		"'data':{'mode':'fast'},'binaryData':{'b':'AAE='},'immutable':true}");
	assert_clean(&k1s_t_Endpoints,
		"{'apiVersion':'v1','kind':'Endpoints','metadata':{'name':'api-service'},"
		"'subsets':[{'addresses':[{'ip':'10.244.0.5','nodeName':'k1s','hostname':'h',"
		"'targetRef':{'kind':'Pod','name':'api-1','namespace':'default','uid':'u'}}],"
		"'notReadyAddresses':[{'ip':'10.244.0.6'}],"
		"'ports':[{'name':'http','port':3000,'protocol':'TCP','appProtocol':'http'}]}]}");
	assert_clean(&k1s_t_Event,
		"{'apiVersion':'v1','kind':'Event','metadata':{'name':'api.1'},'action':'Binding',"
		"'count':1,'eventTime':'2025-01-01T12:00:00.000000Z','firstTimestamp':null,"
		"'involvedObject':{'apiVersion':'v1','kind':'Pod','name':'api','namespace':'default',"
		"'uid':'u','resourceVersion':'3','fieldPath':'spec.containers{api}'},"
		"'lastTimestamp':null,'message':'Pulled','reason':'Pulled',"
		"'related':{'kind':'Node','name':'k1s'},'reportingComponent':'kubelet',"
		"'reportingInstance':'k1s','series':{'count':2,'lastObservedTime':'2025-01-01T12:00:00.000000Z'},"
		"'source':{'component':'kubelet','host':'k1s'},'type':'Normal'}");
}

static void unknown_fields_are_reported_with_paths(void **state)
{
	char got[2048];

	unknowns(&k1s_t_Service,
		 "{'apiVersion':'v1','kind':'Service','metadata':{'name':'web'},"
		 "'spec':{'foo':1,'selector':{'app':'web'},"
		 "'ports':[{'port':80,'bogus':true}]}}",
		 got, sizeof(got));
	/* jansson keeps insertion order, so foo comes before the ports. */
	assert_string_equal(got, "unknown field \"spec.foo\";unknown field \"spec.ports[0].bogus\"");

	unknowns(&k1s_t_Pod,
		 "{'kind':'Pod','metadata':{'name':'p','lables':{}},'spec':{'containers':[{"
		 "'name':'a','image':'b','livenessProbe':{'httpGet':{'port':80,'paht':'/'}},"
		 "'env':[{'name':'A','valueFrom':{'secretKeyRef':{'name':'s','key':'k','x':1}}}]}],"
		 "'volumes':[{'name':'v','configMap':{'name':'c','itemz':[]}}],"
		 "'affinity':{'anything':{'goes':true}}},"
		 "'status':{'conditions':[{'type':'Ready','status':'True','bogus':1}]}}",
		 got, sizeof(got));
	assert_string_equal(got,
			    "unknown field \"metadata.lables\";"
			    "unknown field \"spec.containers[0].livenessProbe.httpGet.paht\";"
			    "unknown field \"spec.containers[0].env[0].valueFrom.secretKeyRef.x\";"
			    "unknown field \"spec.volumes[0].configMap.itemz\";"
			    "unknown field \"status.conditions[0].bogus\"");

	/* Strict decoding stops at the top level too. */
	unknowns(&k1s_t_ConfigMap, "{'kind':'ConfigMap','spec':{}}", got, sizeof(got));
	assert_string_equal(got, "unknown field \"spec\"");
}

/* ---- what the protobuf reader, the patchers and the OpenAPI need ---- */

static void proto_numbers_match_generated_proto(void **state)
{
	const struct k1s_type *svc = &k1s_t_Service, *pod = &k1s_t_Pod;

	assert_proto(svc, "apiVersion", 0);
	assert_proto(svc, "kind", 0);
	assert_proto(svc, "metadata", 1);
	assert_proto(svc, "spec", 2);
	assert_proto(svc, "status", 3);
	assert_proto(svc, "spec.ports", 1);
	assert_proto(svc, "spec.selector", 2);
	assert_proto(svc, "spec.clusterIP", 3);
	assert_proto(svc, "spec.type", 4);
	assert_proto(svc, "spec.sessionAffinity", 7);
	assert_proto(svc, "spec.clusterIPs", 18);
	assert_proto(svc, "spec.ipFamilies", 19);
	assert_proto(svc, "spec.ipFamilyPolicy", 17);
	assert_proto(svc, "spec.internalTrafficPolicy", 22);
	assert_proto(svc, "spec.ports.name", 1);
	assert_proto(svc, "spec.ports.protocol", 2);
	assert_proto(svc, "spec.ports.port", 3);
	assert_proto(svc, "spec.ports.targetPort", 4);
	assert_proto(svc, "spec.ports.nodePort", 5);
	assert_proto(svc, "spec.ports.appProtocol", 6);
	assert_proto(svc, "status.loadBalancer.ingress.ipMode", 3);

	assert_proto(svc, "metadata.name", 1);
	assert_proto(svc, "metadata.generateName", 2);
	assert_proto(svc, "metadata.namespace", 3);
	assert_proto(svc, "metadata.uid", 5);
	assert_proto(svc, "metadata.resourceVersion", 6);
	assert_proto(svc, "metadata.generation", 7);
	assert_proto(svc, "metadata.creationTimestamp", 8);
	assert_proto(svc, "metadata.deletionTimestamp", 9);
	assert_proto(svc, "metadata.labels", 11);
	assert_proto(svc, "metadata.annotations", 12);
	assert_proto(svc, "metadata.ownerReferences", 13);
	assert_proto(svc, "metadata.ownerReferences.apiVersion", 5);
	assert_proto(svc, "metadata.ownerReferences.kind", 1);
	assert_proto(svc, "metadata.ownerReferences.uid", 4);
	assert_proto(svc, "metadata.finalizers", 14);
	assert_proto(svc, "metadata.managedFields", 17);
	assert_proto(svc, "metadata.managedFields.fieldsV1", 7);

	assert_proto(pod, "spec.volumes", 1);
	assert_proto(pod, "spec.containers", 2);
	assert_proto(pod, "spec.restartPolicy", 3);
	assert_proto(pod, "spec.dnsPolicy", 6);
	assert_proto(pod, "spec.nodeName", 10);
	assert_proto(pod, "spec.initContainers", 20);
	assert_proto(pod, "spec.tolerations", 22);
	assert_proto(pod, "spec.containers.name", 1);
	assert_proto(pod, "spec.containers.image", 2);
	assert_proto(pod, "spec.containers.command", 3);
	assert_proto(pod, "spec.containers.args", 4);
	assert_proto(pod, "spec.containers.ports", 6);
	assert_proto(pod, "spec.containers.env", 7);
	assert_proto(pod, "spec.containers.resources", 8);
	assert_proto(pod, "spec.containers.volumeMounts", 9);
	assert_proto(pod, "spec.containers.imagePullPolicy", 14);
	assert_proto(pod, "spec.containers.stdin", 16);
	assert_proto(pod, "spec.containers.tty", 18);
	assert_proto(pod, "spec.containers.envFrom", 19);
	assert_proto(pod, "spec.containers.ports.containerPort", 3);
	assert_proto(pod, "spec.containers.ports.protocol", 4);
	assert_proto(pod, "spec.containers.env.valueFrom.secretKeyRef.key", 2);
	assert_proto(pod, "spec.containers.livenessProbe.periodSeconds", 4);
	assert_proto(pod, "status.phase", 1);
	assert_proto(pod, "status.podIP", 6);
	assert_proto(pod, "status.podIPs", 12);
	assert_proto(pod, "status.hostIPs", 16);
	assert_proto(pod, "status.containerStatuses", 8);
	assert_proto(pod, "status.containerStatuses.restartCount", 5);
	assert_proto(pod, "status.containerStatuses.state.terminated.exitCode", 1);

	assert_proto(&k1s_t_Secret, "data", 2);
	assert_proto(&k1s_t_Secret, "type", 3);
	assert_proto(&k1s_t_Secret, "stringData", 4);
	assert_proto(&k1s_t_Secret, "immutable", 5);
	assert_proto(&k1s_t_ConfigMap, "data", 2);
	assert_proto(&k1s_t_ConfigMap, "binaryData", 3);
	assert_proto(&k1s_t_ConfigMap, "immutable", 4);
	assert_proto(&k1s_t_Event, "involvedObject", 2);
	assert_proto(&k1s_t_Event, "eventTime", 10);
	assert_proto(&k1s_t_Event, "reportingComponent", 14);
	assert_proto(&k1s_t_Event, "involvedObject.apiVersion", 5);
	assert_proto(&k1s_t_Endpoints, "subsets.addresses.targetRef", 2);
	assert_proto(&k1s_t_Endpoints, "subsets.addresses.hostname", 3);
	assert_proto(&k1s_t_Node, "spec.podCIDRs", 7);
	assert_proto(&k1s_t_Node, "status.nodeInfo.architecture", 10);
	assert_proto(&k1s_t_Namespace, "status.conditions.lastTransitionTime", 4);
	assert_proto(&k1s_t_LabelSelector, "matchExpressions.values", 3);
	assert_proto(&k1s_t_TypedLocalObjectReference, "apiGroup", 1);
}

static void merge_keys_match_struct_tags(void **state)
{
	const struct k1s_type *pod = &k1s_t_Pod;
	const struct k1s_field *f;

	assert_keys(&k1s_t_Service, "spec.ports", "port", "port,protocol");
	assert_keys(&k1s_t_Service, "spec.clusterIPs", NULL, NULL);
	assert_keys(&k1s_t_Service, "status.conditions", "type", "type");
	assert_keys(pod, "spec.containers", "name", "name");
	assert_keys(pod, "spec.initContainers", "name", "name");
	assert_keys(pod, "spec.ephemeralContainers", "name", "name");
	assert_keys(pod, "spec.containers.ports", "containerPort", "containerPort,protocol");
	assert_keys(pod, "spec.containers.env", "name", "name");
	assert_keys(pod, "spec.containers.volumeMounts", "mountPath", "mountPath");
	assert_keys(pod, "spec.containers.args", NULL, NULL);
	assert_keys(pod, "spec.containers.envFrom", NULL, NULL);
	assert_keys(pod, "spec.volumes", "name", "name");
	assert_keys(pod, "spec.imagePullSecrets", "name", "name");
	assert_keys(pod, "spec.hostAliases", "ip", "ip");
	assert_keys(pod, "spec.tolerations", NULL, NULL);
	assert_keys(pod, "spec.topologySpreadConstraints", "topologyKey",
		    "topologyKey,whenUnsatisfiable");
	assert_keys(pod, "status.conditions", "type", "type");
	assert_keys(pod, "status.podIPs", "ip", "ip");
	assert_keys(pod, "status.hostIPs", "ip", NULL);
	assert_keys(pod, "status.containerStatuses", NULL, NULL);
	assert_keys(pod, "metadata.ownerReferences", "uid", "uid");
	assert_keys(pod, "metadata.managedFields", NULL, NULL);
	assert_keys(&k1s_t_Node, "status.conditions", "type", "type");
	assert_keys(&k1s_t_Node, "status.addresses", "type", "type");
	assert_keys(&k1s_t_Node, "spec.taints", NULL, NULL);
	assert_keys(&k1s_t_Namespace, "status.conditions", "type", "type");
	assert_keys(&k1s_t_Endpoints, "subsets", NULL, NULL);
	assert_keys(&k1s_t_LabelSelector, "matchExpressions", NULL, NULL);

	assert_true(fpath(pod, "spec.volumes")->flags & K1S_FF_RETAIN_KEYS);
	assert_false(fpath(pod, "spec.containers")->flags & K1S_FF_RETAIN_KEYS);
	f = fpath(pod, "metadata.finalizers");
	assert_int_equal(f->container, K1S_C_LIST);
	assert_int_equal(f->type, K1S_T_STRING);
	assert_true(f->flags & K1S_FF_MERGE_PRIMITIVES);
	assert_true(fpath(&k1s_t_Node, "spec.podCIDRs")->flags & K1S_FF_MERGE_PRIMITIVES);
	assert_false(fpath(&k1s_t_Namespace, "spec.finalizers")->flags & K1S_FF_MERGE_PRIMITIVES);
}

static void required_fields_and_value_types(void **state)
{
	const struct k1s_type *svc = &k1s_t_Service, *pod = &k1s_t_Pod;

	assert_true(fpath(svc, "spec.ports.port")->flags & K1S_FF_REQUIRED);
	assert_false(fpath(svc, "spec.ports.name")->flags & K1S_FF_REQUIRED);
	assert_false(fpath(svc, "spec.ports.targetPort")->flags & K1S_FF_REQUIRED);
	assert_true(fpath(pod, "spec.containers")->flags & K1S_FF_REQUIRED);
	assert_true(fpath(pod, "spec.containers.name")->flags & K1S_FF_REQUIRED);
	assert_false(fpath(pod, "spec.containers.image")->flags & K1S_FF_REQUIRED);
	assert_true(fpath(pod, "spec.containers.ports.containerPort")->flags & K1S_FF_REQUIRED);
	assert_true(fpath(pod, "spec.containers.env.name")->flags & K1S_FF_REQUIRED);
	assert_true(fpath(pod, "spec.volumes.name")->flags & K1S_FF_REQUIRED);
	assert_true(fpath(pod, "metadata.ownerReferences.uid")->flags & K1S_FF_REQUIRED);
	assert_false(fpath(pod, "metadata.name")->flags & K1S_FF_REQUIRED);
	assert_true(fpath(&k1s_t_Event, "involvedObject")->flags & K1S_FF_REQUIRED);

	assert_int_equal(fpath(svc, "spec.ports.targetPort")->type, K1S_T_INT_OR_STRING);
	assert_int_equal(fpath(svc, "spec.ports.port")->type, K1S_T_INT32);
	assert_int_equal(fpath(svc, "metadata.creationTimestamp")->type, K1S_T_TIME);
	assert_int_equal(fpath(svc, "metadata.generation")->type, K1S_T_INT64);
	assert_int_equal(fpath(svc, "metadata.labels")->container, K1S_C_MAP);
	assert_int_equal(fpath(svc, "metadata.managedFields.fieldsV1")->type, K1S_T_ANY);
	assert_int_equal(fpath(pod, "spec.containers.resources.limits")->type, K1S_T_QUANTITY);
	assert_int_equal(fpath(pod, "spec.containers.resources.limits")->container, K1S_C_MAP);
	assert_int_equal(fpath(pod, "spec.containers.livenessProbe.httpGet.port")->type,
			 K1S_T_INT_OR_STRING);
	assert_int_equal(fpath(pod, "spec.affinity")->type, K1S_T_ANY);
	assert_int_equal(fpath(&k1s_t_Secret, "data")->type, K1S_T_BYTES);
	assert_int_equal(fpath(&k1s_t_Secret, "data")->container, K1S_C_MAP);
	assert_int_equal(fpath(&k1s_t_Secret, "stringData")->type, K1S_T_STRING);
	assert_int_equal(fpath(&k1s_t_ConfigMap, "binaryData")->type, K1S_T_BYTES);
	assert_int_equal(fpath(&k1s_t_Node, "status.capacity")->type, K1S_T_QUANTITY);
	assert_int_equal(fpath(&k1s_t_Node, "status.allocatable")->container, K1S_C_MAP);
	assert_int_equal(fpath(&k1s_t_Event, "eventTime")->type, K1S_T_MICROTIME);
	assert_int_equal(fpath(&k1s_t_Event, "series.lastObservedTime")->type, K1S_T_MICROTIME);
	assert_int_equal(fpath(&k1s_t_Event, "count")->type, K1S_T_INT32);
	assert_non_null(fpath(&k1s_t_Node, "status.daemonEndpoints.kubeletEndpoint.Port"));

	assert_string_equal(svc->name, "io.k8s.api.core.v1.Service");
	assert_string_equal(fpath(svc, "spec")->ref->name, "io.k8s.api.core.v1.ServiceSpec");
	assert_string_equal(k1s_t_ObjectMeta.name,
			    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
	assert_string_equal(fpath(svc, "status.conditions")->ref->name,
			    "io.k8s.apimachinery.pkg.apis.meta.v1.Condition");
	assert_true(strstr(fpath(svc, "spec.ports")->doc, "The list of ports") != NULL);
	assert_true(strstr(fpath(pod, "spec.containers.image")->doc, "Container image name") != NULL);
}

/* ---- every type, checked whole ---- */

#define MAXTYPES 256

static int split_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

static void check_type(const struct k1s_type *t, const struct k1s_type **seen, size_t *nseen)
{
	for (size_t i = 0; i < *nseen; i++)
		if (seen[i] == t)
			return;
	assert_true(*nseen < MAXTYPES);
	seen[(*nseen)++] = t;

	if (!t->fields || t->nfields == 0)
		fail_msg("%s has no field table", t->name);
	assert_true(strncmp(t->name, "io.k8s.", 7) == 0);
	if (!t->doc || !*t->doc)
		fail_msg("%s has no description", t->name);

	for (size_t i = 0; i < t->nfields; i++) {
		const struct k1s_field *f = &t->fields[i];

		if (!f->name || !*f->name || !f->doc || !*f->doc)
			fail_msg("%s field %zu lacks a name or a description", t->name, i);
		for (size_t j = i + 1; j < t->nfields; j++) {
			if (strcmp(f->name, t->fields[j].name) == 0)
				fail_msg("%s: JSON name %s twice", t->name, f->name);
			if (f->proto && f->proto == t->fields[j].proto)
				fail_msg("%s: proto %d on %s and %s", t->name, f->proto, f->name,
					 t->fields[j].name);
		}
		assert_true(f->proto >= 0);
		if (f->type == K1S_T_OBJECT && !f->ref)
			fail_msg("%s.%s is an object without a ref", t->name, f->name);
		if (f->type != K1S_T_OBJECT && f->ref)
			fail_msg("%s.%s has a ref but is no object", t->name, f->name);
		if ((f->merge_key || f->list_map_keys) && f->container != K1S_C_LIST)
			fail_msg("%s.%s has list keys but is no list", t->name, f->name);
		if ((f->flags & K1S_FF_MERGE_PRIMITIVES) &&
		    (f->container != K1S_C_LIST || f->type == K1S_T_OBJECT))
			fail_msg("%s.%s merges primitives but is not a scalar list", t->name, f->name);
		if ((f->flags & K1S_FF_RETAIN_KEYS) &&
		    f->type != K1S_T_OBJECT && f->type != K1S_T_ANY)
			fail_msg("%s.%s retains keys but is no object", t->name, f->name);
		/* A key must name a member of the element, or patches cannot match. */
		if (f->ref && f->merge_key && !k1s_type_field(f->ref, f->merge_key))
			fail_msg("%s.%s: merge key %s is no field of %s", t->name, f->name,
				 f->merge_key, f->ref->name);
		if (f->ref && f->list_map_keys) {
			char keys[128], *save = NULL;

			snprintf(keys, sizeof(keys), "%s", f->list_map_keys);
			for (char *k = strtok_r(keys, ",", &save); k; k = strtok_r(NULL, ",", &save))
				if (!k1s_type_field(f->ref, k))
					fail_msg("%s.%s: list-map key %s is no field of %s", t->name,
						 f->name, k, f->ref->name);
			if (f->merge_key && !split_has(f->list_map_keys, f->merge_key))
				fail_msg("%s.%s: merge key %s not among list-map keys %s", t->name,
					 f->name, f->merge_key, f->list_map_keys);
		}
		if (f->ref)
			check_type(f->ref, seen, nseen);
	}
}

static void every_core_type_is_well_formed(void **state)
{
	const struct k1s_type *seen[MAXTYPES];
	size_t nseen = 0, nkinds = 0;

	for (const struct k1s_resource *r = k1s_resources; r->resource; r++) {
		const struct k1s_field *f;

		if (strcmp(r->group, "") != 0)
			continue;
		nkinds++;
		check_type(r->type, seen, &nseen);
		/* Every kind opens with apiVersion and kind (not on the wire,
		 * TypeMeta travels in the envelope) and metadata = 1. */
		f = k1s_type_field(r->type, "apiVersion");
		assert_non_null(f);
		assert_int_equal(f->type, K1S_T_STRING);
		assert_int_equal(f->proto, 0);
		f = k1s_type_field(r->type, "kind");
		assert_non_null(f);
		assert_int_equal(f->proto, 0);
		f = k1s_type_field(r->type, "metadata");
		assert_non_null(f);
		assert_ptr_equal(f->ref, &k1s_t_ObjectMeta);
		assert_int_equal(f->proto, 1);
		if (strcmp(r->type->name + strlen("io.k8s.api.core.v1."), r->kind) != 0)
			fail_msg("resource %s has type %s", r->kind, r->type->name);
	}
	assert_int_equal(nkinds, 9);
	/* The shared types the other groups refer to. */
	check_type(&k1s_t_PodTemplateSpec, seen, &nseen);
	check_type(&k1s_t_LabelSelector, seen, &nseen);
	check_type(&k1s_t_ObjectReference, seen, &nseen);
	check_type(&k1s_t_TypedLocalObjectReference, seen, &nseen);
	/* The tables are the real ones, not stubs: over 80 types reachable. */
	assert_true(nseen > 80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tutorial_services_have_no_unknown_fields),
		cmocka_unit_test(tutorial_pod_templates_have_no_unknown_fields),
		cmocka_unit_test(kubectl_run_pod_has_no_unknown_fields),
		cmocka_unit_test(served_pod_round_trips),
		cmocka_unit_test(served_service_round_trips),
		cmocka_unit_test(other_core_kinds_round_trip),
		cmocka_unit_test(unknown_fields_are_reported_with_paths),
		cmocka_unit_test(proto_numbers_match_generated_proto),
		cmocka_unit_test(merge_keys_match_struct_tags),
		cmocka_unit_test(required_fields_and_value_types),
		cmocka_unit_test(every_core_type_is_well_formed),
	};

	return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
