#!/bin/bash
# The issue's story with real pods: 07-full-stack.yaml gives 2 frontend and 3
# api pods, each a live process with its own IP, Running and Ready; the
# endpoints list them; each answers curl from the host with its own name; a
# deleted pod is replaced with a new name and IP and the endpoints follow;
# scaling; a crash loop; kill -9 of k1s and a restart converge and leave
# nothing stale. Needs root (pod namespaces).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3 ip

# Pod networks of this k1s's pods (k1s-<first 12 hex digits of the uid>);
# the faces of DNS and the ingress (containerID k1s://face/...) have none.
pod_netns() {
	k get pods -A -o jsonpath='{range .items[*]}{.metadata.uid}{" "}{.status.containerStatuses[0].containerID}{"\n"}{end}' |
		grep -v ' k1s://face/' | cut -d' ' -f1 | tr -d - | cut -c1-12 | sed 's/^/k1s-/' | sort
}
netns_of() { # uid...
	for u in "$@"; do echo "k1s-$(echo "$u" | tr -d - | cut -c1-12)"; done | sort
}
all_uids=
note_uids() {
	all_uids="$all_uids $(k get pods -A -o jsonpath='{.items[*].metadata.uid}')"
}
finish() {
	note_uids 2>/dev/null || true
	[ -n "$K1S_PID" ] && { k delete namespace pods-it --wait=false >/dev/null 2>&1 || true; }
	[ -n "$K1S_PID" ] && kill -INT "$K1S_PID" 2>/dev/null && wait "$K1S_PID" 2>/dev/null
	K1S_PID=
	left=0
	for n in $(netns_of $all_uids); do
		[ -e "/run/netns/$n" ] && { echo "stale: $n"; left=1; }
	done
	rm -rf "$TMP"
	[ "$left" = 0 ] || { echo "FAIL: pod networks left after k1s stopped"; exit 1; }
}
trap finish EXIT

# wait_for "description" seconds command...: retries until it succeeds.

pods_are() { # label count: exactly count pods, all Ready, none terminating
	[ "$(k get pods -l "$1" -o name | wc -l)" = "$2" ] && [ "$(ready_count "$1")" = "$2" ]
}
ep_ips() { # service
	k get endpoints "$1" -o jsonpath='{range .subsets[*].addresses[*]}{.ip}{"\n"}{end}' | sort
}
pod_ips() { # label
	k get pods -l "$1" -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | sort
}
eps_match_pods() { # service label
	[ -n "$(ep_ips "$1")" ] && [ "$(ep_ips "$1")" = "$(pod_ips "$2")" ]
}
each_answers() { # label port: each pod answers on its IP with its own name
	# Pods on their way out (deletionTimestamp) are not asked.
	k get pods -l "$1" -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP} {.metadata.deletionTimestamp}{"\n"}{end}' >"$TMP/pods"
	while read -r name ip gone; do
		[ -n "$gone" ] && continue
		curl -s --max-time 5 "http://$ip:$2/" | grep -q "\"pod\":\"$name\"" || return 1
	done <"$TMP/pods"
}

start_k1s
k create namespace pods-it >/dev/null
k() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n pods-it "$@"; }

expect_out "apply the full stack" "deployment.apps/api created" \
	k apply -f "$MANIFESTS/07-full-stack.yaml"
pods_made app=api
expect_out "api pods Ready" "condition met" \
	k wait --for=condition=Ready pod -l app=api --timeout=60s
pods_made app=frontend
expect_out "frontend pods Ready" "condition met" \
	k wait --for=condition=Ready pod -l app=frontend --timeout=60s
wait_until "5 pods Running" 30 'test "$(k get pods --no-headers | grep -c '\'' Running '\'')" = 5'
note_uids

for ip in $(pod_ips app=api) $(pod_ips app=frontend); do
	case $ip in 10.244.*) ;; *) fail "pod IP $ip not in 10.244.0.0/16" ;; esac
done
[ "$( (pod_ips app=api; pod_ips app=frontend) | sort -u | wc -l)" = 5 ] ||
	fail "pod IPs are not unique"
echo "ok - five distinct pod IPs in 10.244.0.0/16"

wait_for "endpoints list the three api pods" 10 eps_match_pods api-service app=api
out=$(k get endpoints api-service --no-headers)
[ "$(echo "$out" | grep -o ':3000' | wc -l)" = 3 ] || fail "endpoints: $out"
echo "ok - kubectl get endpoints api-service lists 3 x IP:3000"
wait_for "each api pod answers curl from the host with its name" 10 each_answers app=api 3000
wait_for "each frontend pod answers on port 80" 10 each_answers app=frontend 80
expect_out "get pods -o wide shows IP and node" "10\.244\.[0-9.]+ +[a-z0-9.-]+ " \
	k get pods -o wide
# From inside a pod: pod-to-pod through the host, as the tutorial's curl-test does.
first=$(k get pods -l app=api -o jsonpath='{.items[0].metadata.name} {.items[0].status.podIP}')
expect_out "curl from inside a pod reaches another pod" "\"pod\":\"${first% *}\"" \
	timeout 60 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n pods-it run curl-test \
	--image=curlimages/curl --restart=Never --rm -i -- curl -s "http://${first#* }:3000/"

# Delete one: a new name and a new IP, and the endpoints follow.
victim=$(k get pods -l app=api -o jsonpath='{.items[0].metadata.name}')
victim_ip=$(k get pod "$victim" -o jsonpath='{.status.podIP}')
expect_out "delete one api pod" "deleted" k delete pod "$victim"
wait_for "a replacement is Ready" 30 pods_are app=api 3
k get pods -l app=api -o name | grep -q "/$victim\$" && fail "the old pod is still there"
pod_ips app=api | grep -qx "$victim_ip" && fail "the replacement reuses $victim_ip"
echo "ok - the replacement has a new name and a new IP"
wait_for "endpoints follow the replacement" 10 eps_match_pods api-service app=api
ep_ips api-service | grep -qx "$victim_ip" && fail "endpoints still list $victim_ip"
wait_for "the replacement answers with its name" 30 each_answers app=api 3000
note_uids

# Scale up and down.
expect_out "scale api to 5" "scaled" k scale deployment api --replicas=5
wait_for "5 api pods Ready" 30 pods_are app=api 5
wait_for "5 endpoints" 10 eps_match_pods api-service app=api
note_uids
expect_out "scale api to 1" "scaled" k scale deployment api --replicas=1
wait_for "1 api pod left" 60 pods_are app=api 1
wait_for "1 endpoint" 10 eps_match_pods api-service app=api

# A crashing container.
k run crash --image=busybox --restart=Always --command -- sh -c 'echo bye; exit 1' >/dev/null
note_uids
crashlooping() { k get pod crash --no-headers | grep -q CrashLoopBackOff; }
wait_for "a crashing container shows CrashLoopBackOff" 30 crashlooping
restarts=$(k get pod crash -o jsonpath='{.status.containerStatuses[0].restartCount}')
[ "$restarts" -ge 1 ] || fail "restartCount $restarts"
echo "ok - RESTARTS counts ($restarts)"
expect_out "events: BackOff from the kubelet" "BackOff.*Back-off restarting failed container crash" \
	k get events --field-selector involvedObject.name=crash

# kill -9 of k1s, then a restart: the pods converge and nothing is stale.
api_pid_before=$(k get pods -l app=api -o jsonpath='{.items[0].status.containerStatuses[0].containerID}')
kill -9 "$K1S_PID"
wait "$K1S_PID" 2>/dev/null || true
K1S_PID=
start_k1s
wait_for "pods converge after kill -9" 30 pods_are app=api 1
wait_for "frontend converges" 30 pods_are app=frontend 2
wait_for "endpoints converge" 10 eps_match_pods api-service app=api
wait_for "frontend endpoints converge" 10 eps_match_pods frontend-service app=frontend
wait_for "pods answer after the restart" 10 each_answers app=api 3000
api_pid_after=$(k get pods -l app=api -o jsonpath='{.items[0].status.containerStatuses[0].containerID}')
[ "$api_pid_before" = "$api_pid_after" ] || fail "the api container was not adopted ($api_pid_before -> $api_pid_after)"
echo "ok - running containers were adopted, not restarted"
have=$(ip netns list | awk '{print $1}' | grep -E '^k1s-[0-9a-f]{12}$' | sort)
want=$(pod_netns)
for n in $(netns_of $all_uids); do
	if echo "$have" | grep -qx "$n" && ! echo "$want" | grep -qx "$n"; then
		fail "stale pod network $n"
	fi
	if ! echo "$want" | grep -qx "$n"; then
		ip -o link | grep -q " k1s${n#k1s-}[@:]" && fail "stale veth for $n"
	fi
done
for n in $want; do
	echo "$have" | grep -qx "$n" || fail "pod network $n missing"
done
echo "ok - ip netns list and ip link show nothing stale"

expect_out "delete the crashing pod" "deleted" k delete pod crash
echo "1..1 passed"
