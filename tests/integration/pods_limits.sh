#!/bin/bash
# Requests and limits enforced with cgroups, seen as kubectl shows them: a
# pod over its memory limit is OOMKilled and restarted, a fork bomb stops
# at the pods' pids limit while another pod and the API answer, a cpu limit
# is the container cgroup's CFS quota; oom_score_adj by QoS class; the
# cgroups go with their pods, and a restarted k1s adopts the live ones and
# removes the rest. Needs root and a writable memory cgroup.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl python3
# The host's cgroups: v2 with the memory controller, else v1's memory
# hierarchy; neither (a container without them): nothing to test.
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	V2=2
elif [ -w /sys/fs/cgroup/memory/cgroup.procs ]; then
	V2=1
else
	echo "SKIP: no memory cgroup here"; exit 77
fi
start_k1s --pod-max-pids 64 --kube-reserved memory=512Mi
k create namespace limits-it >/dev/null
k() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n limits-it "$@"; }
cleanup_ns() {
	k delete namespace limits-it --wait=false >/dev/null 2>&1 || true
	sleep 1
	cleanup
}
trap cleanup_ns EXIT

# cg_dir CONTROLLER POD: the directory of the pod's cgroup ("" if none).
cg_dir() {
	local uid pid line
	uid=$(k get pod "$2" -o jsonpath='{.metadata.uid}')
	for d in /sys/fs/cgroup/$1 /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[ "$V2" = 2 ] && [ "$d" = /sys/fs/cgroup/$1 ] && continue
		found=$(find "$d" -maxdepth 6 -type d -name "pod$uid" 2>/dev/null | head -1)
		[ -n "$found" ] && { echo "$found"; return; }
	done
}
# ctr POD FIELD: a field of the pod's first container status.
ctr() { k get pod "$1" -o jsonpath="{.status.containerStatuses[0].$2}"; }
pid_of() { ctr "$1" containerID | sed 's|k1s://||'; }
export SERVER TMP
export -f k ctr

k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: hog
    image: python
    command: [python3, -c, "import time\na = []\nwhile True:\n    a.append(b'x' * (1 << 20))\n"]
    resources: {limits: {memory: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: steady}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "sleep 3600"]
    resources: {limits: {cpu: 250m, memory: 32Mi}}
EOF

# The hog: OOMKilled (exit 137), restarted, as kubelet shows it.
wait_for "hog OOMKilled and restarted" 60 bash -c \
	'[ "$(ctr hog lastState.terminated.reason)" = OOMKilled ] &&
	 [ "$(ctr hog lastState.terminated.exitCode)" = 137 ]'
expect_out "restartCount grows" "^[1-9]" ctr hog restartCount
wait_for "kubectl get pod shows OOMKilled or CrashLoopBackOff" 30 bash -c \
	"k get pod hog --no-headers | grep -Eq 'OOMKilled|CrashLoopBackOff'"
expect_out "describe shows the last state" "Reason: +OOMKilled" k describe pod hog
r1=$(ctr hog restartCount)
wait_until "the hog keeps being OOMKilled (back-off)" 40 'bash -c "[ \$(ctr hog restartCount) -gt $r1 ]"'
kill -0 "$K1S_PID" || fail "k1s died"

# The steady pod: Guaranteed (limits only: requests default to them).
expect_out "steady Ready" "condition met" k wait --for=condition=Ready pod/steady --timeout=30s
expect_out "steady is Guaranteed" "^Guaranteed$" k get pod steady -o jsonpath='{.status.qosClass}'
pid=$(pid_of steady)
[ -n "$pid" ] && [ -d "/proc/$pid" ] || fail "steady: no process ($pid)"
cpu=$(cg_dir cpu steady)
[ -n "$cpu" ] || fail "steady: no cpu cgroup"
if [ "$V2" = 2 ]; then
	expect_out "cpu limit 250m is a 25 ms quota" "^25000 100000$" sh -c "cat $cpu/main.*/cpu.max"
	expect_out "memory limit in the cgroup" "^33554432$" sh -c "cat $cpu/main.*/memory.max"
else
	expect_out "cpu limit 250m is a 25 ms quota" "^25000$" sh -c "cat $cpu/main.*/cpu.cfs_quota_us"
	expect_out "cpu period 100 ms" "^100000$" sh -c "cat $cpu/main.*/cpu.cfs_period_us"
	expect_out "cpu shares of 250m" "^256$" sh -c "cat $cpu/main.*/cpu.shares"
	mem=$(cg_dir memory steady)
	expect_out "memory limit in the cgroup" "^33554432$" sh -c "cat $mem/main.*/memory.limit_in_bytes"
fi
# The pods together: the node's memory less the 512Mi kept for k1s.
total=$(( $(getconf _PHYS_PAGES) * $(getconf PAGESIZE) - (512 << 20) ))
if [ "$V2" = 2 ]; then
	expect_out "the pods' memory cap" "^$total$" cat "$(dirname "$cpu")/memory.max"
else
	expect_out "the pods' memory cap" "^$total$" cat "$(dirname "$mem")/memory.limit_in_bytes"
fi
expect_out "the container runs in its cgroup" "$PODS_CGROUP/pod[0-9a-f-]+/main\.0" \
	cat "/proc/$pid/cgroup"
expect_out "kubectl exec runs in the container's cgroup" "$PODS_CGROUP/pod[0-9a-f-]+/main\.0" \
	k exec steady -- cat /proc/self/cgroup
expect_out "and with its oom_score_adj" "^$(cat /proc/$pid/oom_score_adj)$" \
	k exec steady -- cat /proc/self/oom_score_adj
# Where even root may not lower an oom_score_adj (some sandboxes), k1s
# says so and the negative scores stay at 0.
if sh -c 'echo -1 >/proc/self/oom_score_adj' 2>/dev/null; then
	expect_out "Guaranteed oom_score_adj" "^-997$" cat "/proc/$pid/oom_score_adj"
	shim=$(awk '{print $4}' "/proc/$pid/stat")
	expect_out "the shim is protected" "^-998$" cat "/proc/$shim/oom_score_adj"
	expect_out "k1s is protected" "^-999$" cat "/proc/$K1S_PID/oom_score_adj"
else
	expect_out "k1s says it cannot protect itself" "cannot set k1s's oom_score_adj to -999" \
		cat "$TMP/k1s.log"
fi

# A fork bomb, BestEffort: it stops at 64 processes, the rest carries on.
k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: bomb}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: bomb
    image: busybox
    command: [sh, -c, "f() { f | f & }; f; sleep 3600"]
EOF
wait_for "bomb running" 30 sh -c \
	"kubectl -s $SERVER -n limits-it get pod bomb -o jsonpath='{.status.phase}' | grep -q Running"
pids=$(cg_dir pids bomb)
[ -n "$pids" ] || fail "bomb: no pids cgroup"
expect_out "the pod's pids limit" "^64$" cat "$pids/pids.max"
# pids.events counts the forks refused at the limit (in the pod's cgroup,
# or in the run's where the kernel counts them where the fork was).
wait_for "the bomb hits its limit" 20 sh -c \
	"cat $pids/pids.events $pids/*/pids.events | grep -Eq '^max [1-9]'"
if [ -e "$pids/pids.peak" ]; then
	most=$(cat "$pids/pids.peak")
else
	most=0
	for _ in $(seq 20); do
		n=$(cat "$pids/pids.current"); [ "$n" -gt "$most" ] && most=$n; sleep 0.05
	done
fi
[ "$most" -le 64 ] || fail "the bomb had $most processes"
echo "ok - the bomb had $most processes at most"
expect_out "BestEffort oom_score_adj" "^1000$" cat "/proc/$(pid_of bomb)/oom_score_adj"
expect_out "the API answers meanwhile" "steady +1/1 +Running" k get pods
expect_out "another pod answers exec" "^hello$" k exec steady -- echo hello
kill -0 "$K1S_PID" || fail "k1s died"
expect_out "the bomb goes" "deleted" k delete pod bomb --timeout=30s
wait_for "its cgroup goes with it" 10 sh -c "[ ! -d $pids ]"

# kill -9 k1s: at the next start the live pod's cgroups are adopted, a
# stale pod cgroup is removed.
steady_cpu=$(cg_dir cpu steady)
mem_parent=$(dirname "$(cg_dir memory steady)")
kill -9 "$K1S_PID"; wait "$K1S_PID" 2>/dev/null || true; K1S_PID=
stale="$mem_parent/pod00000000-0000-4000-8000-00000000dead"
mkdir -p "$stale/main.0"
start_k1s --pod-max-pids 64 --kube-reserved memory=512Mi
wait_for "steady adopted" 30 sh -c "grep -q 'adopted container main' $TMP/k1s.log"
[ -d "$steady_cpu" ] || fail "the adopted pod's cgroup was removed"
wait_for "the stale cgroup is removed" 10 sh -c "[ ! -d $stale ]"
echo "ok - adopted cgroups kept, stale one removed"
[ "$(pid_of steady)" = "$pid" ] || fail "steady was restarted: $(pid_of steady) != $pid"
expect_out "steady goes" "deleted" k delete pod steady --timeout=30s
wait_for "its cgroups go" 10 sh -c "[ ! -d $steady_cpu ]"
