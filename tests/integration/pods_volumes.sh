#!/bin/bash
# Secret, ConfigMap, emptyDir and downwardAPI volumes as a kubectl user meets
# them: kubectl create secret, a pod mounting it, kubectl exec cat the file;
# the file follows an update of the Secret (..data swapped); read-only; a
# missing Secret holds the pod in ContainerCreating with the kubelet's
# FailedMount event until it is created; an emptyDir shared by two
# containers; env from the same Secret; defaultMode and fsGroup; mount
# points made in the container's view only; the volumes' tree is root's
# alone and goes with the pod. Needs root (pod namespaces).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3

start_k1s
pod_dir() { # name: the pod's directory on the host
	echo "$TMP/data/pods/default_$1_$(k get pod "$1" -o jsonpath='{.metadata.uid}')"
}
running() { [ "$(k get pod "$1" -o jsonpath='{.status.phase}')" = Running ]; }
file_is() { # pod path text [container]
	[ "$(k exec "$1" ${4:+-c "$4"} -- cat "$2" 2>/dev/null)" = "$3" ]
}

k create secret generic creds --from-literal=user=alice --from-literal=pass=s3cret >/dev/null
k create configmap app --from-literal=greeting=hello --from-literal=other=x >/dev/null
k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: reader
  labels: {app: reader}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    env:
    - name: USER_FROM_SECRET
      valueFrom: {secretKeyRef: {name: creds, key: user}}
    volumeMounts:
    - {name: creds, mountPath: /etc/creds}
    - {name: conf, mountPath: /etc/app}
    - {name: scratch, mountPath: /data}
  - name: side
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - {name: scratch, mountPath: /data}
    - {name: info, mountPath: /etc/podinfo}
  securityContext: {fsGroup: 3000}
  volumes:
  - name: creds
    secret: {secretName: creds, defaultMode: 0400}
  - name: conf
    configMap:
      name: app
      items: [{key: greeting, path: greet.txt}]
  - name: scratch
    emptyDir: {}
  - name: info
    downwardAPI:
      items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]
EOF
wait_for "the pod with volumes runs" 60 running reader
expect_out "kubectl exec cat a Secret's file" "^alice$" k exec reader -- cat /etc/creds/user
expect_out "mode 0400 and fsGroup: the group reads it" "^440 3000$" \
	k exec reader -- stat -L -c '%a %g' /etc/creds/user
expect_out "the pod's processes have fsGroup" "3000" k exec reader -- id -G
expect_out "its files are links through ..data" "user -> \.\.data/user" k exec reader -- ls -la /etc/creds
expect_out "a ConfigMap's item at its path" "^hello$" k exec reader -- cat /etc/app/greet.txt
expect_err "a key not in items is not there" "No such file" k exec reader -- cat /etc/app/other
expect_out "env from the same Secret" "^alice$" k exec reader -- sh -c 'echo $USER_FROM_SECRET'
expect_err "a Secret volume is read-only" "Read-only file system" \
	k exec reader -- sh -c 'echo x >/etc/creds/new'
expect_out "the downwardAPI volume has the labels" '^app="reader"$' \
	k exec reader -c side -- cat /etc/podinfo/labels
k exec reader -- sh -c 'echo shared >/data/note'
expect_out "an emptyDir is shared by the pod's containers" "^shared$" \
	k exec reader -c side -- cat /data/note

# An update of the Secret reaches the file, as with the kubelet's sync.
k create secret generic creds --from-literal=user=bob --from-literal=pass=s3cret \
	--dry-run=client -o yaml | k apply -f - >/dev/null
wait_for "the file follows the Secret's update" 10 file_is reader /etc/creds/user bob
expect_out "the other key is still there" "^s3cret$" k exec reader -- cat /etc/creds/pass
k create configmap app --from-literal=greeting=bonjour --from-literal=other=x \
	--dry-run=client -o yaml | k apply -f - >/dev/null
wait_for "the item follows the ConfigMap's update" 10 file_is reader /etc/app/greet.txt bonjour
k label pod reader tier=web >/dev/null
wait_for "the downwardAPI file follows the labels" 10 \
	file_is reader /etc/podinfo/labels $'app="reader"\ntier="web"' side

# The volumes are root's alone on the host: another pod cannot reach them.
dir=$(pod_dir reader)
[ "$(stat -c %a "$dir")" = 700 ] || fail "the pod's directory is $(stat -c %a "$dir"), not 700"
[ "$(stat -c %a "$dir/volumes")" = 700 ] || fail "the volumes' directory is not 700"
echo "ok - the pod's volumes are under 0700 root directories"
k run other --image=busybox --restart=Never -- sleep 3600 >/dev/null
wait_for "another pod runs" 60 running other
expect_err "another pod cannot read the Secret's file" "ermission denied|No such file" \
	k exec other -- cat "$dir/volumes/kubernetes.io~secret/creds/user"
expect_err "nor does it see it at the mount path" "No such file" k exec other -- cat /etc/creds/user

# A missing Secret: ContainerCreating and FailedMount, until it is there.
k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: waiter}
spec:
  containers:
  - {name: main, image: busybox, command: ["sleep", "3600"],
     volumeMounts: [{name: later, mountPath: /srv}]}
  volumes:
  - {name: later, secret: {secretName: later, defaultMode: 0444}}
EOF
failed_mount() {
	k get events --field-selector involvedObject.name=waiter,reason=FailedMount \
		-o jsonpath='{.items[*].message}' | grep -q 'MountVolume.SetUp failed for volume "later" : secret "later" not found'
}
wait_for "a missing Secret gives the kubelet's FailedMount event" 15 failed_mount
expect_out "the pod waits in ContainerCreating" "ContainerCreating" \
	k get pod waiter -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}'
k create secret generic later --from-literal=token=t0k >/dev/null
wait_for "the pod starts once the Secret is created" 15 running waiter
expect_out "with the Secret's file" "^t0k$" k exec waiter -- cat /srv/token

# k1s stopped with the pods running and started again: they are adopted,
# and their volumes still follow the Secret.
expect_out "a Secret's volume is in memory" "^tmpfs$" \
	stat -f -c %T "$dir/volumes/kubernetes.io~secret/creds"
stop_k1s
start_k1s
k create secret generic creds --from-literal=user=carol --from-literal=pass=s3cret \
	--dry-run=client -o yaml | k apply -f - >/dev/null
wait_for "after a restart, the file follows the Secret" 20 file_is reader /etc/creds/user carol

# Deleting the pod takes its volumes with it.
k delete pod reader other waiter --grace-period=1 >/dev/null
[ ! -e "$dir" ] || fail "$dir is left after the pod is deleted"
grep -q "$TMP/data" /proc/mounts && fail "mounts left: $(grep "$TMP/data" /proc/mounts)"
echo "ok - the volumes go with the pod"
for d in /etc/creds /etc/app /etc/podinfo /data; do
	[ ! -e "$d" ] || fail "$d was made on the host"
done
echo "ok - mount points were made in the pods' views only"
echo "all volume checks passed"
