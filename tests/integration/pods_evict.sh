#!/bin/bash
# A disk emptyDir's sizeLimit, as a kubectl user meets it: a pod that
# writes past it is evicted as kubelet's eviction manager evicts (status
# reason Evicted, message and event in kubelet's words, shown by kubectl
# describe); a pod within its limit goes on; a Deployment's pod evicted so
# is replaced by its ReplicaSet. kubectl get's STATUS is the killed
# container's terminated reason, Error: printPod (pkg/printers/
# internalversion/printers.go) puts a container's reason over the pod's,
# so a cluster prints the same. Needs root (pod namespaces).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl

start_k1s
msg='Usage of EmptyDir volume "cache" exceeds the limit "1Mi". '

# writer NAME KIB: a pod that writes KIB KiB into its emptyDir of 1Mi.
writer() {
	k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "dd if=/dev/zero of=/cache/f bs=1024 count=$2 2>/dev/null; sync; echo written; sleep 3600"]
    volumeMounts: [{name: cache, mountPath: /cache}]
  volumes:
  - {name: cache, emptyDir: {sizeLimit: 1Mi}}
EOF
}
phase() { k get pod "$1" -o jsonpath='{.status.phase}'; }
is_phase() { [ "$(phase "$1")" = "$2" ]; }

writer hog 2048
writer fits 512
wait_for "the pod within its limit runs" 60 is_phase fits Running
# kubelet measures every 10 s (its housekeeping interval).
wait_for "the pod past its limit is Failed" 40 is_phase hog Failed
expect_out "kubectl get pod shows its killed container's STATUS, Error" "^hog +0/1 +Error +0 " \
	k get pod hog --no-headers
expect_out "its status reason is Evicted" "^Evicted$" \
	k get pod hog -o jsonpath='{.status.reason}'
[ "$(k get pod hog -o jsonpath='{.status.message}')" = "$msg" ] ||
	fail "status.message is '$(k get pod hog -o jsonpath='{.status.message}')'"
echo "ok - its status message is kubelet's"
expect_out "the Evicted event has kubelet's message" "^Warning Evicted $msg$" \
	k get events --field-selector involvedObject.name=hog,reason=Evicted \
	-o jsonpath='{range .items[*]}{.type} {.reason} {.message}{"\n"}{end}'
expect_out "its container was killed, not restarted" "^0 [0-9]+$" \
	k get pod hog -o jsonpath='{.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].state.terminated.exitCode}'
expect_out "kubectl describe says why" "Reason: +Evicted" k describe pod hog
expect_out "in kubelet's words" "Message: +Usage of EmptyDir volume \"cache\" exceeds the limit \"1Mi\"\." \
	k describe pod hog
# Measured past the eviction above: it is still Running, never evicted.
sleep 11
expect_out "the pod within its limit still runs" "^Running$" phase fits
expect_out "and has no Evicted event" "^$" \
	k get events --field-selector involvedObject.name=fits,reason=Evicted -o name

# A Deployment's pod: evicted, then replaced by the ReplicaSet (the
# replacement writes as much, and is evicted in its turn, as on a cluster).
k apply -f - >/dev/null <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache}
spec:
  replicas: 1
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", "dd if=/dev/zero of=/cache/f bs=1024 count=2048 2>/dev/null; sleep 3600"]
        volumeMounts: [{name: cache, mountPath: /cache}]
      volumes:
      - {name: cache, emptyDir: {sizeLimit: 1Mi}}
EOF
first=
wait_until "the Deployment's pod is made" 30 \
	'first=$(k get pods -l app=cache -o jsonpath="{.items[0].metadata.name}"); [ -n "$first" ]'
wait_for "the Deployment's pod is evicted" 60 is_phase "$first" Failed
expect_out "with reason Evicted" "^Evicted$" k get pod "$first" -o jsonpath='{.status.reason}'
others() {
	k get pods -l app=cache -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' |
		grep -vx "$first"
}
wait_for "the ReplicaSet makes a pod in its place" 30 others
expect_out "the evicted pod is not counted as one of the Deployment's" "^1$" \
	k get rs -l app=cache -o jsonpath='{.items[0].status.replicas}'

k delete deploy cache >/dev/null
k delete pod hog fits --grace-period=1 >/dev/null
echo "all eviction checks passed"
