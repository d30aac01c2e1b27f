#!/bin/bash
# `kubectl create <generator>` sends protobuf bodies in 1.32, with no JSON
# retry: every generator k1s serves must create what its JSON would have.
. "$(dirname "$0")/lib.sh"
need kubectl curl
start_k1s

expect_out "create namespace" "namespace/demo created" k create namespace demo
expect_out "create configmap" "configmap/cfg created" \
	k create configmap cfg -n demo --from-literal=a=b --from-literal=empty=
expect_out "create secret generic" "secret/s created" k create secret generic s -n demo --from-literal=k=v
expect_out "create secret docker-registry" "secret/reg created" \
	k create secret docker-registry reg -n demo --docker-server=r.io --docker-username=u --docker-password=p
expect_out "create deployment" "deployment.apps/web created" \
	k create deployment web -n demo --image=nginx --replicas=2 --port=80
expect_out "create deployment with no replicas" "deployment.apps/idle created" \
	k create deployment idle -n demo --image=busybox --replicas=0
expect_out "create service nodeport" "service/web created" \
	k create service nodeport web -n demo --tcp=80:8080 --node-port=30080
expect_out "create service clusterip" "service/api created" k create service clusterip api -n demo --tcp=80:3000
expect_out "create service externalname" "service/db created" \
	k create service externalname db -n demo --external-name=db.example.com
expect_out "create ingress" "ingress.networking.k8s.io/app created" \
	k create ingress app -n demo --class=nginx --rule="myapp.com/api*=api-service:80" \
	--rule="foo.com/=svc1:http,tls=my-cert"

expect_out "namespace is there" "^demo$" k get ns demo -o 'jsonpath={.metadata.name}'
expect_out "configmap data, empty value kept" '^\{"a":"b","empty":""\}$' \
	k get cm cfg -n demo -o 'jsonpath={.data}'
expect_out "secret bytes come back as base64" '^\{"k":"dg=="\}$' k get secret s -n demo -o 'jsonpath={.data}'
expect_out "secret type" "^kubernetes.io/dockerconfigjson$" k get secret reg -n demo -o 'jsonpath={.type}'
expect_out "deployment replicas" "^2$" k get deploy web -n demo -o 'jsonpath={.spec.replicas}'
expect_out "replicas 0 stays 0" "^0$" k get deploy idle -n demo -o 'jsonpath={.spec.replicas}'
expect_out "container port" "^80$" \
	k get deploy web -n demo -o 'jsonpath={.spec.template.spec.containers[0].ports[0].containerPort}'
expect_out "pod template labels" "^web$" \
	k get deploy web -n demo -o 'jsonpath={.spec.template.metadata.labels.app}'
expect_out "service ports" "^80 8080 30080 TCP$" \
	k get svc web -n demo -o 'jsonpath={.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.ports[0].nodePort} {.spec.ports[0].protocol}'
expect_out "service type" "^NodePort$" k get svc web -n demo -o 'jsonpath={.spec.type}'
expect_out "externalName" "^db.example.com$" k get svc db -n demo -o 'jsonpath={.spec.externalName}'
expect_out "ingress class" "^nginx$" k get ing app -n demo -o 'jsonpath={.spec.ingressClassName}'
expect_out "ingress rule (inline IngressRuleValue)" "^myapp.com /api Prefix api-service 80$" \
	k get ing app -n demo -o 'jsonpath={.spec.rules[0].host} {.spec.rules[0].http.paths[0].path} {.spec.rules[0].http.paths[0].pathType} {.spec.rules[0].http.paths[0].backend.service.name} {.spec.rules[0].http.paths[0].backend.service.port.number}'
expect_out "ingress named port and tls" "^http my-cert$" \
	k get ing app -n demo -o 'jsonpath={.spec.rules[1].http.paths[0].backend.service.port.name} {.spec.tls[0].secretName}'

# A body kubectl would never send: a clear 400, not a crash.
code=$(http_code POST /api/v1/namespaces/demo/configmaps \
	-H 'Content-Type: application/vnd.kubernetes.protobuf' --data-binary 'k8s-not-protobuf')
[ "$code" = 400 ] || fail "bad magic: expected 400, got $code: $(cat "$TMP/body")"
grep -q 'magic' "$TMP/body" || fail "bad magic: message: $(cat "$TMP/body")"
echo "ok - a malformed protobuf body is a 400"
