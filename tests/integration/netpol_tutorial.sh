#!/bin/bash
# The tutorial's NetworkPolicy (06-network-policy.yaml) over the full stack,
# with real pods and real traffic, as a learner checks it with kubectl exec
# and curl: before it a pod labelled app=other reaches the api pods on
# 3000, directly and through api-service; after it neither does, and both
# ways it is the same timeout (curl's exit code 28: the packets are
# dropped, not refused), while a frontend pod still reaches both. An api
# pod resolves api-service (the egress rule to port 53), reaches the
# database pods on 5432 only and no app=other pod, not even in its first
# instant; without the port-53 rule its DNS query times out. The Ingress
# reaches the api pods only once a policy allows namespace ingress-nginx
# (504 before). kubectl get/describe show the policy; the verdict API
# explains an allowed and a denied flow; a kill -9 of k1s and a restart
# keep the drop in force throughout. After SIGTERM (the table left for the
# next start) a start with --network-policy off removes the table, so the
# denied flow passes; a ^C stop removes it too. Needs root (pods, nftables).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3 ip timeout nslookup

IPORT=$(free_port)
ARGS=(--ingress-listen 127.0.0.1 --ingress-http-port "$IPORT")
start_k1s "${ARGS[@]}"
if grep -q 'pods cannot run' "$TMP/k1s.log"; then
	echo "SKIP: $(grep -o 'pods cannot run.*' "$TMP/k1s.log")"
	exit 77
fi
grep -q 'cluster DNS is not served' "$TMP/k1s.log" &&
	fail "k1s serves no cluster DNS: $(grep 'dns:' "$TMP/k1s.log" | head -3)"
PROBE_PID=
finish() {
	[ -n "$PROBE_PID" ] && kill $PROBE_PID 2>/dev/null
	[ -n "$K1S_PID" ] && { k delete pods,deployments,services,networkpolicies --all \
		--wait=false >/dev/null 2>&1 || true; }
	cleanup
}
trap finish EXIT

# curl_from POD URL [curl args]: curl in the pod's network; prints the HTTP
# status and returns curl's exit code (28: timed out).
curl_from() {
	local pod=$1 url=$2
	shift 2
	timeout 30 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" exec "$pod" -- \
		curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url"
}
# expect_reach WHAT POD URL: answered 200.
expect_reach() {
	local out rc=0
	out=$(curl_from "$2" "$3" 2>&1) || rc=$?
	[ "$rc" = 0 ] && [ "$out" = 200 ] || fail "$1: curl exit $rc, $out"
	echo "ok - $1"
}
# expect_timeout WHAT POD URL: no answer at all, curl times out (28).
expect_timeout() {
	local out rc=0
	out=$(curl_from "$2" "$3" 2>&1) || rc=$?
	[ "$rc" = 28 ] || fail "$1: want curl's timeout (28), got exit $rc: $out"
	echo "ok - $1 (timed out)"
}
times_out() { local rc=0; curl_from "$1" "$2" >/dev/null 2>&1 || rc=$?; [ "$rc" = 28 ]; }
first_pod() { k get pods -l "$1" -o jsonpath='{.items[0].metadata.name}'; }
pod_ip() { k get pod "$1" -o jsonpath='{.status.podIP}'; }
netns_of() { echo "k1s-$(k get pod "$1" -o jsonpath='{.metadata.uid}' | tr -d - | cut -c1-12)"; }
ingress_code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		--resolve "myapp.com:$IPORT:127.0.0.1" "http://myapp.com:$IPORT$1"
}

# The full stack, a database with a second port, and a pod of another app.
k apply -f "$MANIFESTS/07-full-stack.yaml" >/dev/null
k apply -f "$MANIFESTS/04-ingress.yaml" >/dev/null
k apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: database
spec:
  selector:
    matchLabels:
      app: database
  template:
    metadata:
      labels:
        app: database
    spec:
      containers:
        - name: db
          image: my-db:1.0
          ports:
            - containerPort: 5432
            - containerPort: 8080
YAML
k create deployment other --image=my-other:1.0 --port=8080 >/dev/null
wait_until "frontend 2, api 3, database 1, other 1 ready" 90 \
	'test "$(ready_count app=frontend)$(ready_count app=api)$(ready_count app=database)$(ready_count app=other)" = 2311'
wait_until "api-service's endpoints" 20 'test "$(ep_count api-service)" = 3'

API=$(first_pod app=api); API_IP=$(pod_ip "$API")
FE=$(first_pod app=frontend)
DB_IP=$(pod_ip "$(first_pod app=database)")
OTHER=$(first_pod app=other); OTHER_IP=$(pod_ip "$OTHER")
CIP=$(k get svc api-service -o jsonpath='{.spec.clusterIP}')

# Before any policy every pod reaches every other.
expect_reach "app=other reaches an api pod on 3000" "$OTHER" "http://$API_IP:3000/"
expect_reach "app=other reaches api-service" "$OTHER" "http://$CIP/"
expect_reach "an api pod reaches app=other" "$API" "http://$OTHER_IP:8080/"
wait_until "the Ingress reaches the api pods" 10 'test "$(ingress_code /api/x)" = 200'

expect_out "apply 06-network-policy.yaml" "networkpolicy.networking.k8s.io/api-network-policy created" \
	k apply -f "$MANIFESTS/06-network-policy.yaml"
expect_out "kubectl get networkpolicy" '^api-network-policy +app=api ' k get networkpolicy
expect_out "kubectl describe networkpolicy" \
	'PodSelector: +app=api' k describe networkpolicy api-network-policy
expect_out "describe shows the egress rule to the database" \
	'To Port: 5432/TCP' k describe networkpolicy api-network-policy

# Who may reach the api pods now: the frontend only.
wait_for "app=other no longer reaches the api pod" 10 times_out "$OTHER" "http://$API_IP:3000/"
expect_timeout "app=other -> api pod:3000" "$OTHER" "http://$API_IP:3000/"
# drops_of POLICY: what /k1s/policy/drops counts against it.
drops_of() {
	curl -s --max-time 5 "$SERVER/k1s/policy/drops" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"].get(sys.argv[1], 0))' "$1"
}
before=$(drops_of default/api-network-policy)
expect_timeout "app=other -> api-service, the same timeout" "$OTHER" "http://$CIP/"
after=$(drops_of default/api-network-policy)
[ "$after" -gt "$before" ] || fail "drops at api-service's address: $before then $after"
echo "ok - drops at api-service's address count against api-network-policy ($before -> $after)"
for ip in $(k get pods -l app=api -o jsonpath='{.items[*].status.podIP}'); do
	expect_timeout "app=other -> $ip:3000" "$OTHER" "http://$ip:3000/"
done
expect_reach "a frontend pod reaches the api pod" "$FE" "http://$API_IP:3000/"
for i in 1 2 3 4; do
	expect_reach "a frontend pod reaches api-service ($i)" "$FE" "http://$CIP/"
done

# Where the api pods may go: DNS and the database on 5432, nothing else.
expect_out "an api pod resolves api-service through cluster DNS" "Address: $CIP" \
	timeout 30 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" exec "$API" -- \
	nslookup -timeout=2 -retry=1 api-service
expect_reach "an api pod reaches the database on 5432" "$API" "http://$DB_IP:5432/"
expect_timeout "an api pod -> the database on 8080" "$API" "http://$DB_IP:8080/"
expect_timeout "an api pod -> app=other" "$API" "http://$OTHER_IP:8080/"
expect_reach "app=other still reaches the database (not selected)" "$OTHER" "http://$DB_IP:8080/"

# A new api pod is held by the policy from its first instant: its very
# first connection, made as it starts, is dropped.
k run api-early --labels=app=api --image=curlimages/curl --restart=Never --command -- \
	curl -s -o /dev/null -w 'code %{http_code}\n' --max-time 3 "http://$OTHER_IP:8080/" >/dev/null
wait_for "the new api pod's program ends" 30 \
	bash -c "kubectl -s $SERVER --cache-dir $TMP/kcache get pod api-early -o jsonpath='{.status.phase}' | grep -Eq 'Succeeded|Failed'"
rc=$(k get pod api-early -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')
[ "$rc" = 28 ] || fail "the new api pod's first curl: exit $rc, $(k logs api-early)"
echo "ok - a new api pod's first connection to app=other timed out"
k delete pod api-early --wait=false >/dev/null

# The Ingress comes from its face pod in namespace ingress-nginx: the api
# pods' policy allows only the frontend, so ingress-nginx answers 504, as
# when its connect to the upstream times out; the frontend is open.
wait_until "the Ingress gets 504 for /api" 10 'test "$(ingress_code /api/x)" = 504'
[ "$(ingress_code /)" = 200 ] || fail "the Ingress no longer reaches the frontend"
echo "ok - the Ingress reaches the frontend"
k apply -f - >/dev/null <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-allow-ingress-nginx
spec:
  podSelector:
    matchLabels:
      app: api
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress-nginx
      ports:
        - port: 3000
YAML
wait_until "allowing namespace ingress-nginx lets the Ingress reach the api pods" 10 \
	'test "$(ingress_code /api/x)" = 200'
expect_timeout "app=other is still dropped" "$OTHER" "http://$API_IP:3000/"

# The verdict API says why.
verdict() {
	curl -s --max-time 5 "$SERVER/k1s/policy/verdict?from=$1&to=$2&port=$3&protocol=TCP"
}
out=$(verdict "default/$FE" "default/$API" 3000)
echo "$out" | grep -q '"verdict": *"Allowed"' || fail "verdict frontend -> api: $out"
echo "$out" | grep -q 'default/api-network-policy' || fail "verdict names no policy: $out"
echo "ok - the verdict API explains an allowed flow"
out=$(verdict "default/$OTHER" "$API_IP" 3000)
echo "$out" | grep -q '"verdict": *"Denied"' || fail "verdict other -> api: $out"
echo "ok - the verdict API explains a denied flow"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$SERVER/k1s/policy/verdict?from=nosuch/pod&to=$API_IP&port=3000")" = 404 ] ||
	fail "an unknown pod in the verdict API is not 404"
echo "ok - the verdict API: an unknown pod is 404"

# Drops are logged, naming the policy.
wait_for "the drop log names the policy" 10 grep -q 'api-network-policy' "$TMP/k1s.log"

# Without the port-53 rule the api pods' DNS queries time out.
k get networkpolicy api-network-policy -o json |
	python3 -c 'import json,sys
p=json.load(sys.stdin)
p["spec"]["egress"]=[r for r in p["spec"]["egress"] if not any(q.get("port")==53 for q in r.get("ports",[]))]
print(json.dumps(p))' | k apply -f - >/dev/null
sleep 0.5
expect_err "without the port-53 rule an api pod's DNS query times out" "timed out" \
	timeout 30 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" exec "$API" -- \
	nslookup -timeout=2 -retry=1 api-service
k apply -f "$MANIFESTS/06-network-policy.yaml" >/dev/null

# kill -9 and a restart: the drop holds throughout, and what is allowed
# stays allowed. Probes from the pods' networks, outside k1s, run across
# it: app=other's must all time out (curl's 28), the frontend's all answer.
probe() { # POD LOG
	local ns
	ns=$(netns_of "$1")
	( while :; do
		rc=0
		code=$(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' --max-time 0.5 \
			"http://$API_IP:3000/" 2>/dev/null) || rc=$?
		echo "probe $code $rc"
	done ) >"$2" 2>&1 &
	PROBE_PID="$PROBE_PID $!"
}
probe "$OTHER" "$TMP/probe-other.log"
probe "$FE" "$TMP/probe-frontend.log"
sleep 1
kill -9 "$K1S_PID"
wait "$K1S_PID" 2>/dev/null || true
K1S_PID=
sleep 1
start_k1s "${ARGS[@]}"
wait_for "k1s is ready again" 60 curl -sf "$SERVER/readyz"
sleep 1
kill $PROBE_PID; wait $PROBE_PID 2>/dev/null || true; PROBE_PID=
probes=$(grep -c '^probe' "$TMP/probe-other.log" || true)
[ "$probes" -ge 5 ] || fail "only $probes probes ran across the restart"
bad=$(grep -vc '^probe 000 28$' "$TMP/probe-other.log" || true)
[ "$bad" = 0 ] || fail "app=other's probes across the restart: $(sort "$TMP/probe-other.log" | uniq -c)"
echo "ok - $probes probes of app=other across kill -9 and the restart, each timed out"
fe=$(grep -c '^probe' "$TMP/probe-frontend.log" || true)
bad=$(grep -vc '^probe 200 0$' "$TMP/probe-frontend.log" || true)
[ "$fe" -ge 5 ] && [ "$bad" = 0 ] ||
	fail "the frontend's probes across the restart: $(sort "$TMP/probe-frontend.log" | uniq -c)"
echo "ok - $fe probes of the frontend across kill -9 and the restart, each answered"
expect_timeout "after the restart app=other is dropped" "$OTHER" "http://$API_IP:3000/"
expect_reach "after the restart the frontend reaches the api pod" "$FE" "http://$API_IP:3000/"
expect_timeout "after the restart app=other -> api-service times out" "$OTHER" "http://$CIP/"

# SIGTERM leaves the table enforcing for the next start to adopt. A next
# start that does not enforce removes it: left, it would go on dropping
# with nobody to keep it up to date.
has_table() { nft list table inet k1s-policy >/dev/null 2>&1; }
term_k1s
has_table || fail "SIGTERM removed table inet k1s-policy"
echo "ok - after SIGTERM table inet k1s-policy stays"
start_k1s "${ARGS[@]}" --network-policy off
wait_for "k1s is ready with --network-policy off" 60 curl -sf "$SERVER/readyz"
has_table && fail "with --network-policy off table inet k1s-policy is still there"
echo "ok - with --network-policy off table inet k1s-policy is gone"
grep -q 'removed the nftables table an earlier run left' "$TMP/k1s.log" ||
	fail "k1s did not say that it removed the table"
expect_reach "with --network-policy off app=other reaches the api pod" "$OTHER" "http://$API_IP:3000/"
stop_k1s

# A ^C stop removes the table once the pods are stopped.
start_k1s "${ARGS[@]}"
wait_for "k1s is ready again" 60 curl -sf "$SERVER/readyz"
wait_for "the policy is enforced again" 20 has_table
stop_k1s
has_table && fail "after a ^C stop table inet k1s-policy is still there"
echo "ok - after a ^C stop table inet k1s-policy is gone"
