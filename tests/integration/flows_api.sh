#!/bin/bash
# The flow API (/k1s/flows) over real traffic, as the live page reads it:
# a request through a ClusterIP Service shows a dataplane flow naming the
# Service, the endpoint pod and bytes each way, and the client pod when a
# pod asked; a request through the Ingress shows an ingress flow with host,
# path and status; dig against the cluster DNS shows a dns flow with its
# rcode and answers; after the tutorial's NetworkPolicy a pod-to-pod flow
# the kernel drops and an Ingress request the policy denies (504) show
# verdict Denied with the policy's name. A watch streams a new flow within
# seconds; filters narrow the list; a resourceVersion older than what the
# rings hold gives a 410 Expired ERROR line; a bad query gives a 400
# Status. Needs root (pods, nftables).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3 ip timeout dig

IPORT=$(free_port)
start_k1s --ingress-listen 127.0.0.1 --ingress-http-port "$IPORT"
if grep -q 'pods cannot run' "$TMP/k1s.log"; then
	echo "SKIP: $(grep -o 'pods cannot run.*' "$TMP/k1s.log")"
	exit 77
fi
WATCH_PID=
finish() {
	[ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null
	[ -n "$K1S_PID" ] && { k delete pods,deployments,services,ingresses,networkpolicies --all \
		--wait=false >/dev/null 2>&1 || true; }
	cleanup
}
trap finish EXIT

FLOWS=$SERVER/k1s/flows
# has_flow "description" QUERY 'python condition on f': some flow of the
# list at QUERY satisfies the condition (f is one flow, a dict).
flow_match() {
	curl -sf "$FLOWS?$1" | python3 -c '
import json, sys
cond = sys.argv[1]
items = json.load(sys.stdin)["items"]
sys.exit(0 if any(eval(cond, {"f": f}) for f in items) else 1)' "$2"
}
has_flow() {
	Q=$2 COND=$3
	wait_until "$1" 10 'flow_match "$Q" "$COND"'
}
# body URL [curl args]: the status code, a space and the body, compact.
body() {
	local url=$1
	shift
	curl -s -w '%{http_code}' -o "$TMP/b" "$@" "$url" >"$TMP/code"
	printf '%s ' "$(cat "$TMP/code")"
	python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), separators=(",", ":")))' <"$TMP/b"
}
first_pod() { k get pods -l "$1" -o jsonpath='{.items[0].metadata.name}'; }
pod_ip() { k get pod "$1" -o jsonpath='{.status.podIP}'; }

k apply -f "$MANIFESTS/07-full-stack.yaml" >/dev/null
k apply -f "$MANIFESTS/04-ingress.yaml" >/dev/null
k create deployment other --image=my-other:1.0 --port=8080 >/dev/null
wait_until "frontend 2, api 3, other 1 ready" 90 \
	'test "$(ready_count app=frontend)$(ready_count app=api)$(ready_count app=other)" = 231'
wait_until "api-service's endpoints" 20 'test "$(ep_count api-service)" = 3'
CIP=$(k get svc api-service -o jsonpath='{.spec.clusterIP}')
API=$(first_pod app=api); API_IP=$(pod_ip "$API")
FE=$(first_pod app=frontend)
OTHER=$(first_pod app=other)

expect_out "an empty query lists flows" '^200 \{"kind":"FlowList","apiVersion":"k1s.io/v1","metadata":\{"resourceVersion":"[0-9]+"\},"items":\[' body "$FLOWS"

# ---- dataplane: through the ClusterIP Service, from the host and a pod
curl -sf --max-time 5 -o /dev/null "http://$CIP/dp-probe" || fail "curl to $CIP"
has_flow "a dataplane flow: Service, endpoint pod, bytes each way" module=dataplane \
	'f["service"]=={"namespace":"default","name":"api-service"} and f["destination"]["ip"]=="'"$CIP"'" and f["destination"]["port"]==80 and f["endpoint"]["port"]==3000 and f["endpoint"]["pod"].startswith("api-") and f["endpoint"]["namespace"]=="default" and f["bytes"]["sent"]>50 and f["bytes"]["received"]>100 and f["verdict"]=="Allowed" and f["protocol"]=="TCP"'
timeout 30 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" exec "$FE" -- \
	curl -s -o /dev/null --max-time 3 "http://$CIP/" || fail "curl from $FE to $CIP"
has_flow "the client pod is named by the API" "module=dataplane&pod=$FE" \
	'f["source"].get("pod")=="'"$FE"'" and f["source"].get("namespace")=="default"'
expect_out "namespace= keeps a namespace's flows" '"items":\[\]' body "$FLOWS?namespace=nobody-here"
expect_out "limit=1 gives the newest one" '^1$' \
	bash -c "curl -sf '$FLOWS?limit=1' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"items\"]))'"

# ---- ingress
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	--resolve "myapp.com:$IPORT:127.0.0.1" "http://myapp.com:$IPORT/api/flow-probe")
[ "$code" = 200 ] || fail "the Ingress answered $code"
has_flow "an ingress flow: host, method, path, status, Service, endpoint" module=ingress \
	'f["http"]=={"method":"GET","host":"myapp.com","path":"/api/flow-probe","status":200} and f["service"]["name"]=="api-service" and f["endpoint"]["pod"].startswith("api-") and f["bytes"]["received"]>0'

# ---- dns
dig @10.96.0.10 +tries=1 +time=2 +short api-service.default.svc.cluster.local | grep -qx "$CIP" ||
	fail "dig did not resolve api-service"
has_flow "a dns flow: name, type, rcode, answers" module=dns \
	'f["dns"]=={"name":"api-service.default.svc.cluster.local.","type":"A","rcode":"NOERROR","answers":["'"$CIP"'"]} and f["protocol"]=="UDP" and f["destination"]["port"]==53'
dig @10.96.0.10 +tries=1 +time=2 no-such.default.svc.cluster.local >/dev/null
has_flow "an NXDOMAIN is a dns flow too" module=dns \
	'f["dns"]["name"]=="no-such.default.svc.cluster.local." and f["dns"]["rcode"]=="NXDOMAIN" and f["dns"]["answers"]==[]'

# ---- the watch: a new flow within seconds
curl -sN "$FLOWS?watch=true&module=ingress" >"$TMP/watch" 2>/dev/null &
WATCH_PID=$!
sleep 0.5
curl -s -o /dev/null --max-time 10 --resolve "myapp.com:$IPORT:127.0.0.1" \
	"http://myapp.com:$IPORT/api/watched"
wait_until "the watch streams the new flow" 3 'grep -q "\"type\":\"ADDED\".*/api/watched" "$TMP/watch"'
kill "$WATCH_PID" 2>/dev/null; WATCH_PID=

# ---- 410: more connections than the dataplane's ring holds
python3 - "$CIP" <<'PY' || fail "connections to $CIP"
import socket, sys
ok = 0
for _ in range(1100):
    try:
        socket.create_connection((sys.argv[1], 80), timeout=3).close()
        ok += 1
    except OSError:
        pass
sys.exit(0 if ok > 1050 else 1)
PY
wait_until "the ring wrapped" 10 \
	"curl -sN --max-time 2 '$FLOWS?watch=true&resourceVersion=1' | grep -q '\"code\":410'"
expect_out "an old resourceVersion: 410 Expired, in one ERROR line" \
	'^\{"type":"ERROR","object":\{"kind":"Status",.*"message":"too old resource version: 1 \([0-9]+\)","reason":"Expired","code":410\}\}$' \
	curl -sN --max-time 5 "$FLOWS?watch=true&resourceVersion=1"

# ---- NetworkPolicy: denied flows name the policy
k apply -f "$MANIFESTS/06-network-policy.yaml" >/dev/null
times_out() {
	local rc=0
	timeout 30 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" exec "$OTHER" -- \
		curl -s -o /dev/null --max-time 2 "http://$API_IP:3000/" >/dev/null 2>&1 || rc=$?
	[ "$rc" = 28 ]
}
wait_for "app=other no longer reaches the api pod" 15 times_out
has_flow "the kernel's drop is a Denied policy flow naming the policy" "verdict=Denied&module=policy" \
	'f["source"].get("pod")=="'"$OTHER"'" and f["destination"]["ip"]=="'"$API_IP"'" and f["destination"]["port"]==3000 and "default/api-network-policy" in f["policies"]'
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	--resolve "myapp.com:$IPORT:127.0.0.1" "http://myapp.com:$IPORT/api/denied")
[ "$code" = 504 ] || fail "the Ingress answered $code, not 504, under the policy"
has_flow "the Ingress's denied request names the policy" "verdict=Denied&module=ingress" \
	'f["http"]["path"]=="/api/denied" and f["http"]["status"]==504 and f["policies"]==["default/api-network-policy"] and f["endpoint"]["pod"].startswith("api-")'
expect_out "verdict=Allowed leaves the denied out" '^0$' \
	bash -c "curl -sf '$FLOWS?verdict=Allowed' | python3 -c 'import json,sys; print(sum(f[\"verdict\"]!=\"Allowed\" for f in json.load(sys.stdin)[\"items\"]))'"

# ---- bad queries: 400 Status
expect_out "verdict=Maybe: 400" '^400 \{"kind":"Status",.*"status":"Failure","message":"invalid value \\"Maybe\\" for verdict: must be Allowed or Denied","reason":"BadRequest","code":400\}' \
	body "$FLOWS?verdict=Maybe"
expect_out "limit=-1: 400" '^400 .*"message":"invalid value \\"-1\\" for limit.*"reason":"BadRequest"' body "$FLOWS?limit=-1"
expect_out "module=kernel: 400" '^400 .*for module: must be dataplane, ingress, dns or policy","reason":"BadRequest"' body "$FLOWS?module=kernel"
expect_out "resourceVersion=x: 400" '^400 .*invalid resource version' \
	body "$FLOWS?watch=true&resourceVersion=x"
expect_out "a POST: 405" '^405' curl -s -o /dev/null -w '%{http_code}' -X POST "$FLOWS"
