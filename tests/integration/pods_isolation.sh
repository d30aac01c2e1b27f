#!/bin/bash
# Pods cannot touch each other, k1s or the host: from `kubectl exec` in one
# pod (its own uid, then root), signalling another pod's process, reading
# its environment (a Secret's value), seeing host processes, writing the
# host's files, reading k1s's data directory and holding a capability all
# fail; `ps` lists the pod's own processes. Added capabilities work,
# runAsNonRoot is refused as kubelet refuses it, and a pod keeps its uid
# across kill -9 of k1s. Needs root (pod namespaces).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3

# A directory of the host anybody may write to, outside /tmp.
OPEN=$(mktemp -d /var/tmp/k1s-open.XXXXXX)
chmod 0777 "$OPEN"
trap 'rm -rf "$OPEN"; cleanup' EXIT

start_k1s --pod-uid-range 300000-300099
k create namespace iso-it >/dev/null
k() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n iso-it "$@"; }

k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Secret
metadata: {name: token}
stringData: {password: hunter2}
---
apiVersion: v1
kind: Pod
metadata: {name: victim}
spec:
  containers:
  - name: c
    image: busybox
    command: [sleep, "3600"]
    env:
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: token, key: password}}
---
apiVersion: v1
kind: Pod
metadata: {name: intruder}
spec:
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: root-intruder}
spec:
  securityContext: {runAsUser: 0}
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: low-port}
spec:
  containers:
  - name: app
    image: example/echo:1
    ports: [{containerPort: 80}]
    securityContext:
      capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}
---
apiVersion: v1
kind: Pod
metadata: {name: nonroot}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - name: c
    image: busybox
    command: [sleep, "3600"]
    securityContext: {runAsUser: 0}
EOF
expect_out "pods Ready" "condition met" \
	k wait --for=condition=Ready pod victim intruder root-intruder low-port --timeout=60s

# The victim's program, as the host sees it: the child of its init.
init=$(k get pod victim -o jsonpath='{.status.containerStatuses[0].containerID}')
init=${init#k1s://}
vpid=$(cut -d' ' -f1 "/proc/$init/task/$init/children")
[ -n "$vpid" ] && grep -q hunter2 "/proc/$vpid/environ" ||
	fail "the victim's program ($vpid) does not hold the secret"

escapes='
kill -0 '"$vpid"' 2>/dev/null && echo ESCAPE:signal-other-pod
tr "\0" "\n" </proc/'"$vpid"'/environ 2>/dev/null | grep -q hunter2 && echo ESCAPE:environ-of-other-pod
test -e /proc/'"$K1S_PID"' && echo ESCAPE:k1s-process-visible
n=$(ls /proc | grep -c "^[0-9]"); test $n -gt 20 && echo ESCAPE:host-processes-$n
echo x 2>/dev/null >'"$OPEN"'/file && echo ESCAPE:host-write
echo x 2>/dev/null >/etc/k1s-escape && echo ESCAPE:etc-write
ls -A '"$TMP/data"' 2>/dev/null | grep -q . && echo ESCAPE:data-dir-readable
grep -Eq "^CapEff:\s*0+$" /proc/self/status || echo ESCAPE:capabilities
grep -Eq "^NoNewPrivs:\s*1" /proc/self/status || echo ESCAPE:new-privileges
echo tried'
for pod in intruder root-intruder; do
	out=$(k exec "$pod" -- sh -c "$escapes" 2>&1) || fail "exec in $pod: $out"
	case $out in *ESCAPE*|"") fail "from $pod:"$'\n'"$out" ;; esac
	[ -e "$OPEN/file" ] && fail "$pod wrote to the host"
	echo "ok - no escape from $pod"
done
[ -e /etc/k1s-escape ] && fail "a pod wrote /etc/k1s-escape"

out=$(k exec intruder -- ps -e -o pid=,comm=)
echo "$out" | grep -Eq '^ +1 k1s-init$' && echo "$out" | grep -Eq '^ +2 sleep$' &&
	[ "$(echo "$out" | wc -l)" -le 4 ] || fail "ps in a pod lists:"$'\n'"$out"
echo "ok - kubectl exec ps lists the pod's own processes"

u1=$(k exec intruder -- id -u)
u2=$(k exec victim -- id -u)
[ "$u1" != "$u2" ] && [ "$u1" -ge 300000 ] && [ "$u1" -le 300099 ] &&
	[ "$u2" -ge 300000 ] && [ "$u2" -le 300099 ] || fail "uids $u1 and $u2"
expect_out "its gid is its uid" "^$u1\$" k exec intruder -- id -g
echo "ok - each pod its own uid from --pod-uid-range ($u1, $u2)"

ip=$(k get pod low-port -o jsonpath='{.status.podIP}')
wait_for "NET_BIND_SERVICE: a non-root program serves port 80" 10 \
	curl -sf --max-time 2 "http://$ip:80/"
expect_out "CapEff is NET_BIND_SERVICE alone" "CapEff:\s+0000000000000400" \
	k exec low-port -- grep CapEff /proc/self/status

wait_for "runAsNonRoot with runAsUser 0 is refused" 10 \
	sh -c "kubectl -s $SERVER --cache-dir $TMP/kcache -n iso-it get pod nonroot | grep -q CreateContainerConfigError"
expect_out "with kubelet's message" "container's runAsUser breaks non-root policy \(pod: \"nonroot_iso-it\(" \
	k describe pod nonroot

# kill -9 of k1s, then a restart: the pods are adopted with their uids.
kill -9 "$K1S_PID"; wait "$K1S_PID" 2>/dev/null || true; K1S_PID=
start_k1s --pod-uid-range 300000-300099
wait_for "intruder adopted" 30 sh -c "kubectl -s $SERVER --cache-dir $TMP/kcache -n iso-it exec intruder -- true"
expect_out "the same uid after a restart" "^$u1\$" k exec intruder -- id -u
out=$(k exec root-intruder -- sh -c "$escapes" 2>&1) || fail "exec after restart: $out"
case $out in *ESCAPE*) fail "after restart:"$'\n'"$out" ;; esac
echo "ok - no escape after a restart"
k delete namespace iso-it --wait=false >/dev/null
