#!/bin/bash
# The verbs a user meets with the real kubectl: get, describe, edit through
# patch, label, scale, selectors, watch, delete; and every error with its
# code, through curl.
. "$(dirname "$0")/lib.sh"
need kubectl curl python3
start_k1s

k apply -f "$MANIFESTS/07-full-stack.yaml" >/dev/null
k apply -f "$MANIFESTS/01-clusterip-service.yaml" >/dev/null
k apply -f "$MANIFESTS/06-network-policy.yaml" >/dev/null

expect_out "get -o yaml shows the allocated IP" "clusterIP: 10\." k get svc api-service -o yaml
expect_out "describe service" "Name: +api-service" k describe svc api-service
expect_out "describe deployment" "Replicas: +3 desired" k describe deploy api
expect_out "describe namespace" "Status: +Active" k describe ns default
expect_out "describe node" "Ready +True" k describe node

expect_out "explain teaches the fields" "port.*<integer> -required-" k explain service.spec.ports
expect_out "explain deployment strategy" "maxSurge.*<IntOrString>" k explain deployment.spec.strategy.rollingUpdate
for kind in svc deploy ep ingress ingressclass netpol ns node secret configmap pod rs endpointslice; do
	k describe "$kind" >/dev/null 2>"$TMP/describe.err" || fail "describe $kind: $(cat "$TMP/describe.err")"
done
echo "ok - describe works for every kind"
expect_out "edit" "edited" env EDITOR="sed -i s/targetPort:\ 3000/targetPort:\ 3001/" kubectl -s "$SERVER" --cache-dir "$TMP/kcache" edit svc api-service
expect_out "edit took" "3001" k get svc api-service -o jsonpath='{.spec.ports[0].targetPort}'

# Edit as `kubectl patch` and `kubectl edit` send it: strategic merge.
expect_out "strategic patch" "patched" k patch svc api-service -p '{"spec":{"ports":[{"port":80,"targetPort":8080}]}}'
expect_out "patch merged the port by key" "8080" k get svc api-service -o jsonpath='{.spec.ports[0].targetPort}'
expect_out "json patch" "patched" k patch svc api-service --type=json -p '[{"op":"add","path":"/metadata/labels","value":{"tier":"backend"}}]'
expect_out "merge patch" "patched" k patch svc api-service --type=merge -p '{"metadata":{"annotations":{"a":"b"}}}'
expect_out "label" "labeled" k label svc api-service env=dev
expect_out "label selector =" "api-service" k get svc -l env=dev
expect_out "label selector notin" "frontend-service" k get svc -l 'env notin (dev)'
expect_out "label selector exists" "api-service" k get svc -l 'tier'
expect_out "label selector !key" "frontend-service" k get svc -l '!tier'
if k get svc -l env=dev 2>&1 | grep -q frontend-service; then fail "selector did not filter"; fi
expect_out "field selector" "frontend-service" k get svc --field-selector metadata.name=frontend-service
if k get svc --field-selector metadata.name=frontend-service 2>&1 | grep -q api-service; then
	fail "field selector did not filter"
fi
expect_err "unsupported field selector" "field label not supported" k get svc --field-selector spec.type=ClusterIP
expect_out "scale" "scaled" k scale deploy api --replicas=5
expect_out "scale took" "^5$" k get deploy api -o jsonpath='{.spec.replicas}'
expect_out "the scale subresource names the selector" '"selector": *"app=api"' \
	curl -s "$SERVER/apis/apps/v1/namespaces/default/deployments/api/scale"
expect_out "server-side apply" "serverside-applied" k apply --server-side -f "$MANIFESTS/02-nodeport-service.yaml"
expect_out "replace keeps the cluster IP" "replaced" bash -c "kubectl -s $SERVER --cache-dir $TMP/kcache get svc web-service -o yaml | kubectl -s $SERVER --cache-dir $TMP/kcache replace -f -"
expect_out "create namespace (protobuf body)" "namespace/demo created" k create namespace demo
expect_out "create configmap (protobuf body)" "configmap/cfg created" k create configmap cfg -n demo --from-literal=a=b
expect_out "create secret (protobuf body)" "secret/s created" k create secret generic s -n demo --from-literal=k=v
expect_out "secret table" "s +Opaque +1 " k get secret s -n demo
expect_out "create deployment (protobuf body)" "deployment.apps/web created" k create deployment web -n demo --image=nginx --replicas=2
expect_out "create service (protobuf body)" "service/web created" k create service clusterip web -n demo --tcp=80:8080
expect_out "expose (JSON body)" "service/api exposed" k expose deploy api --port 8080 --name api
expect_out "limit and continue" "api" k get svc --chunk-size=1
# A page says how many objects the pages after it hold, as kube-apiserver
# does when the list has no selector; with one it cannot know, and says
# nothing.
nsvc=$(k get svc -o name | wc -l)
remaining='import json, sys; print(json.load(sys.stdin)["metadata"].get("remainingItemCount"))'
expect_out "remainingItemCount counts the later pages" "^$((nsvc - 1))\$" \
	bash -c "curl -s '$SERVER/api/v1/namespaces/default/services?limit=1' | python3 -c '$remaining'"
expect_out "remainingItemCount in a table's page" "^$((nsvc - 1))\$" \
	bash -c "curl -s -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io' '$SERVER/api/v1/namespaces/default/services?limit=1' | python3 -c '$remaining'"
expect_out "no remainingItemCount with a selector" "^None\$" \
	bash -c "curl -s '$SERVER/api/v1/namespaces/default/services?limit=1&labelSelector=x!%3Dy' | python3 -c '$remaining'"

# Watch: a change made by another client reaches `kubectl get pods -w`.
k get pods -w >"$TMP/watch.out" 2>&1 &
wpid=$!
sleep 1
k run watched --image=nginx >/dev/null
k label pod watched seen=yes >/dev/null
for _ in $(seq 50); do [ "$(grep -c "^watched " "$TMP/watch.out")" -ge 2 ] && break; sleep 0.1; done
kill $wpid 2>/dev/null || true
[ "$(grep -c "^watched " "$TMP/watch.out")" -ge 2 ] || fail "watch: another client's changes not seen"$'\n'"$(cat "$TMP/watch.out")"
echo "ok - get pods -w sees another client's changes"

# Watchers that go away while nothing changes are let go: their sockets
# close without any write to the store.
fds() { ls "/proc/$K1S_PID/fd" | wc -l; }
before=$(fds)
wpids=""
for _ in $(seq 20); do
	curl -sN "$SERVER/api/v1/namespaces/kube-public/configmaps?watch=1" >/dev/null 2>&1 &
	wpids="$wpids $!"
done
for _ in $(seq 50); do [ "$(fds)" -ge $((before + 20)) ] && break; sleep 0.1; done
[ "$(fds)" -ge $((before + 20)) ] || fail "20 watches did not connect ($(fds) fds, $before before)"
kill $wpids 2>/dev/null; wait $wpids 2>/dev/null || true
for _ in $(seq 250); do [ "$(fds)" -le $((before + 2)) ] && break; sleep 0.1; done
[ "$(fds)" -le $((before + 2)) ] || fail "closed watches still hold $(($(fds) - before)) fds"
echo "ok - watches whose client went away are freed"
k delete svc api >/dev/null

# Delete, and the namespace takes its contents with it.
expect_out "delete" "deleted" k delete -f "$MANIFESTS/06-network-policy.yaml"
expect_err "deleted is gone" "NotFound" k get networkpolicy api-network-policy
expect_out "delete namespace" "deleted" k delete ns demo
expect_err "its contents are gone" "NotFound" k get configmap cfg -n demo
expect_err "default may not be deleted" "forbidden" k delete ns default

# Errors, with kube-apiserver's codes and reasons.
code=$(http_code GET /api/v1/namespaces/default/services/nope)
[ "$code" = 404 ] && grep -q '"reason": *"NotFound"' "$TMP/body" && grep -q 'services \\"nope\\" not found' "$TMP/body" || fail "404: $code $(cat "$TMP/body")"
echo "ok - 404 NotFound"
code=$(http_code POST /api/v1/namespaces/default/services -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"Service","metadata":{"name":'); [ "$code" = 400 ] || fail "malformed body: $code"
echo "ok - 400 malformed body"
code=$(http_code PUT /api/v1/namespaces/default/services -H 'Content-Type: application/json' -d '{}'); [ "$code" = 405 ] || fail "405: $code"
echo "ok - 405 on a collection PUT"
code=$(http_code POST /api/v1/namespaces/default/services -H 'Content-Type: application/json' -d @<(k get svc frontend-service -o json)); [ "$code" = 409 ] && grep -q AlreadyExists "$TMP/body" || fail "409 AlreadyExists: $code $(cat "$TMP/body")"
echo "ok - 409 AlreadyExists"
k get svc frontend-service -o json | python3 -c 'import json,sys; o=json.load(sys.stdin); o["metadata"]["resourceVersion"]="1"; print(json.dumps(o))' >"$TMP/stale.json"
code=$(http_code PUT /api/v1/namespaces/default/services/frontend-service -H 'Content-Type: application/json' -d @"$TMP/stale.json"); [ "$code" = 409 ] && grep -q '"reason": *"Conflict"' "$TMP/body" || fail "409 Conflict: $code $(cat "$TMP/body")"
echo "ok - 409 Conflict"
python3 -c 'print("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"big\"},\"data\":{\"a\":\"" + "x"*(3*1024*1024) + "\"}}")' >"$TMP/big.json"
code=$(http_code POST /api/v1/namespaces/default/configmaps -H 'Content-Type: application/json' --data-binary @"$TMP/big.json"); [ "$code" = 413 ] || fail "413: $code"
echo "ok - 413 for a body over 3 MiB"
code=$(http_code POST /api/v1/namespaces/default/configmaps -H 'Content-Type: text/csv' -d 'a,b'); [ "$code" = 415 ] || fail "415: $code"
echo "ok - 415 unknown content type"
expect_err "422 with the field path" "spec.ports\[0\].port: Invalid value: 0: must be between 1 and 65535, inclusive" \
	k create -f - <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"bad"},"spec":{"ports":[{"port":0}]}}'
expect_err "strict decoding rejects unknown fields" 'unknown field "spec.foo"' \
	k apply -f - <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"strict"},"spec":{"foo":1,"ports":[{"port":80}]}}'
expect_err "a taken node port is 422" "provided port is already allocated" \
	k create -f - <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"dup"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}}'
echo "1..1 passed"
