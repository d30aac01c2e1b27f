#!/bin/bash
# Services forwarded by the dataplane to real pods: the full stack's
# api-service answers on its cluster IP from the host and from a pod,
# spread across the api pods; a NodePort answers on 127.0.0.1; a
# LoadBalancer shows its EXTERNAL-IP; scaling down moves new connections
# to the pods left; a deleted service refuses. Needs root (pod namespaces).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3 ip

# The pod that answered a request to URL.
who() {
	curl -s --max-time 3 "$1" | sed -n 's/.*"pod":"\([^"]*\)".*/\1/p'
}
distinct_pods() { # url count
	for _ in $(seq "$2"); do who "$1"; done | sort -u | grep -c . || true
}

start_k1s
k create namespace dp-it >/dev/null
k() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n dp-it "$@"; }
finish() {
	[ -n "$K1S_PID" ] && { k delete namespace dp-it --wait=false >/dev/null 2>&1 || true; }
	cleanup
}
trap finish EXIT

k apply -f "$MANIFESTS/07-full-stack.yaml" >/dev/null
wait_until "3 api pods ready" 60 'test "$(ready_count app=api)" = 3'
wait_until "their endpoints" 20 'test "$(ep_count api-service)" = 3'

CIP=$(k get svc api-service -o jsonpath='{.spec.clusterIP}')
expect_out "the cluster IP answers from the host" '^api-' who "http://$CIP/"
n=$(distinct_pods "http://$CIP/" 24)
[ "$n" -ge 2 ] || fail "24 requests reached $n api pod(s)"
echo "ok - requests spread across $n api pods"

fuid=$(k get pods -l app=frontend -o jsonpath='{.items[0].metadata.uid}' | tr -d - | cut -c1-12)
expect_out "the cluster IP answers from a pod" '"pod":"api-' \
	ip netns exec "k1s-$fuid" curl -s --max-time 3 "http://$CIP/"

k expose deployment api --name api-np --type NodePort --port 80 --target-port 3000 >/dev/null
NP=$(k get svc api-np -o jsonpath='{.spec.ports[0].nodePort}')
wait_until "the node port answers on 127.0.0.1:$NP" 10 'test -n "$(who "http://127.0.0.1:$NP/")"'

k expose deployment api --name api-lb --type LoadBalancer --port 8081 --target-port 3000 >/dev/null
wait_for "the load balancer gets an EXTERNAL-IP" 10 \
	bash -c "kubectl -s $SERVER --cache-dir $TMP/kcache -n dp-it get svc api-lb | grep -q 192.0.2.10"
LNP=$(k get svc api-lb -o jsonpath='{.spec.ports[0].nodePort}')
wait_until "and answers on its node port" 10 'test -n "$(who "http://127.0.0.1:$LNP/")"'

k scale deployment api --replicas 1 >/dev/null
wait_until "endpoints follow the scale down" 30 'test "$(ep_count api-service)" = 1'
left=$(k get endpoints api-service -o jsonpath='{.subsets[0].addresses[0].targetRef.name}')
for _ in $(seq 8); do
	got=$(who "http://$CIP/")
	[ "$got" = "$left" ] || fail "a new connection went to '$got', not to $left"
done
echo "ok - new connections go to the pod left"

k delete svc api-service >/dev/null
# curl's 7: the connection was refused.
wait_for "a deleted service refuses" 10 bash -c "curl -s --max-time 2 http://$CIP/; test \$? = 7"
