#!/bin/bash
# SIGTERM with pods running, as a service manager stops k1s: k1s exits and
# the pods go on (their processes, their addresses, their logs); the next
# start adopts them: the same pod IP, restart count and process, and
# `kubectl logs` goes on from where it was; cluster DNS serves again (its
# port is not held by what the pods kept of the k1s before). Needs root.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3 dig
# A failure while k1s is stopped would leave the pods running: a k1s is
# started again on the same store to stop them (SIGINT) on the way out.
finish() {
	if [ -z "$K1S_PID" ] && [ -n "${left_running:-}" ]; then
		start_k1s >/dev/null 2>&1 || true
	fi
	cleanup
}
trap finish EXIT
start_k1s

k run web --image=example/echo --port=8080 >/dev/null
k run ticker --image=busybox -- sh -c 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done' >/dev/null
both_ready() { [ "$(ready_count run=web)" = 1 ] && [ "$(ready_count run=ticker)" = 1 ]; }
wait_for "both pods run" 60 both_ready

# The container's pid from the runtime's state file, and its start time
# (field 22 of /proc/PID/stat), which tells a new process from the old.
ctr_pid() { # pod
	python3 -c 'import json,sys,glob; print(json.load(open(glob.glob(sys.argv[1]+"/pods/default_"+sys.argv[2]+"_*/state.json")[0]))["containers"][sys.argv[2]]["pid"])' "$TMP/data" "$1"
}
started() { # pid
	awk '{print $22}' "/proc/$1/stat"
}
facts() { # pod: ip, restart count, container id
	k get pod "$1" -o jsonpath='{.status.podIP} {.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].containerID}'
}
last_tick() {
	k logs ticker | tail -1 | awk '{print $2}'
}
web_before=$(facts web); ticker_before=$(facts ticker)
web_pid=$(ctr_pid web); web_start=$(started "$web_pid")
ticker_pid=$(ctr_pid ticker); ticker_start=$(started "$ticker_pid")
web_ip=${web_before%% *}
expect_out "the web pod answers" '"pod":"web"' curl -s --max-time 3 "http://$web_ip:8080/"
tick_before=$(last_tick)

left_running=1
term_k1s
grep -q "leaving the pods running" "$TMP/k1s.log" || fail "k1s did not say that it leaves the pods"
[ "$(started "$web_pid" 2>/dev/null)" = "$web_start" ] || fail "SIGTERM stopped the web pod's process"
[ "$(started "$ticker_pid" 2>/dev/null)" = "$ticker_start" ] || fail "SIGTERM stopped the ticker's process"
echo "ok - after SIGTERM the pods' processes run on"
expect_out "the web pod answers with k1s stopped" '"pod":"web"' curl -s --max-time 3 "http://$web_ip:8080/"
sleep 1

start_k1s
left_running=
[ "$(facts web)" = "$web_before" ] || fail "web: '$web_before' became '$(facts web)'"
[ "$(facts ticker)" = "$ticker_before" ] || fail "ticker: '$ticker_before' became '$(facts ticker)'"
echo "ok - the same pod IPs, restart counts and container ids: $web_before"
[ "$(ctr_pid web)" = "$web_pid" ] && [ "$(started "$web_pid")" = "$web_start" ] ||
	fail "the web pod's process was replaced"
[ "$(ctr_pid ticker)" = "$ticker_pid" ] && [ "$(started "$ticker_pid")" = "$ticker_start" ] ||
	fail "the ticker's process was replaced"
echo "ok - the same processes, adopted"
wait_for "both pods are Ready again" 30 both_ready
kip=$(k get svc kubernetes -o jsonpath='{.spec.clusterIP}')
expect_out "cluster DNS answers after the restart" "^$kip\$" \
	dig +short +time=2 +tries=2 @10.96.0.10 kubernetes.default.svc.cluster.local
expect_out "the web pod answers after the restart" '"pod":"web"' curl -s --max-time 3 "http://$web_ip:8080/"

# The log goes on: ticks written while k1s was down, then new ones, with
# no restart of the count in between.
k logs ticker >"$TMP/ticks"
awk -v from="$tick_before" '$2 > from' "$TMP/ticks" | grep -q . || fail "no tick after the restart"
awk 'BEGIN { n = 0 } { if ($2 != n + 1) { print "gap at " $0; exit 1 } n = $2 }' "$TMP/ticks" ||
	fail "the log has a gap or starts over"
echo "ok - kubectl logs goes on: ticks ${tick_before} -> $(tail -1 "$TMP/ticks" | awk '{print $2}'), none missing"
grep -q "adopt" "$TMP/k1s.log" || fail "no adoption in the log"
echo "1..1 passed"
