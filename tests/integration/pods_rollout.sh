#!/bin/bash
# A rolling update from my-api:1.0 to my-api:2.0: a client that reads the
# endpoints and tries them in turn always finds a ready pod while the pods
# are replaced; rollout status, history and undo work. Needs root.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3
start_k1s
k create namespace rollout-it >/dev/null
k() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n rollout-it "$@"; }
cleanup_ns() { k delete namespace rollout-it --wait=false >/dev/null 2>&1 || true; sleep 1; cleanup; }
trap cleanup_ns EXIT

k apply -f "$MANIFESTS/07-full-stack.yaml" >/dev/null
pods_made app=api
expect_out "api pods Ready" "condition met" k wait --for=condition=Ready pod -l app=api --timeout=60s
k rollout status deploy/api --timeout=60s >/dev/null

# The client: each round reads the endpoints and tries each address until
# one answers; a round in which none answers is a failure.
client() {
	local rounds=0 failed=0
	while [ ! -e "$TMP/stop" ]; do
		rounds=$((rounds + 1))
		ok=0
		for ep in $(k get endpoints api-service -o jsonpath='{range .subsets[*]}{range .addresses[*]}{.ip}{"\n"}{end}{end}'); do
			if curl -s --max-time 2 "http://$ep:3000/" | grep -q '"pod"'; then ok=1; break; fi
		done
		[ $ok = 1 ] || failed=$((failed + 1))
	done
	echo "$rounds $failed" >"$TMP/client"
}
client &
cpid=$!
sleep 1
expect_out "set image" "image updated" k set image deploy/api api=my-api:2.0
expect_out "rollout status" "successfully rolled out" k rollout status deploy/api --timeout=120s
sleep 1
touch "$TMP/stop"
wait $cpid
read -r rounds failed <"$TMP/client"
[ "$rounds" -gt 3 ] || fail "the client made only $rounds rounds"
[ "$failed" = 0 ] || fail "$failed of $rounds client rounds found no ready pod during the rollout"
echo "ok - $rounds client rounds during the rollout, each found a ready pod"

for _ in $(seq 100); do
	imgs=$(k get pods -l app=api -o jsonpath='{.items[*].spec.containers[0].image}')
	[ "$imgs" = "my-api:2.0 my-api:2.0 my-api:2.0" ] && break
	sleep 0.2
done
[ "$imgs" = "my-api:2.0 my-api:2.0 my-api:2.0" ] || fail "api pods after the rollout: $imgs"
echo "ok - the old pods are gone, three run 2.0"
expect_out "the old replica set is scaled to 0" " 0 +0 +0 " k get rs
expect_out "rollout history" "^2 " k rollout history deploy/api
expect_out "rollout undo" "rolled back" k rollout undo deploy/api
expect_out "undo completes" "successfully rolled out" k rollout status deploy/api --timeout=120s
expect_out "back on 1.0" "my-api:1.0" k get deploy api -o jsonpath='{.spec.template.spec.containers[0].image}'

# Propagation: foreground removes the dependents before the owner; orphan keeps them.
expect_out "delete frontend, orphaning" "deleted" k delete deploy frontend --cascade=orphan
expect_out "its replica set stays, without an owner" "frontend-" k get rs -l app=frontend -o name
[ -z "$(k get rs -l app=frontend -o jsonpath='{.items[*].metadata.ownerReferences}')" ] ||
	fail "the orphaned replica set still names its owner"
expect_out "delete api in the foreground" "deleted" k delete deploy api --cascade=foreground
[ -z "$(k get rs,pods -l app=api -o name)" ] || fail "foreground deletion left: $(k get rs,pods -l app=api -o name)"
echo "ok - foreground deletion removed the replica set and pods first"
echo "1..1 passed"
