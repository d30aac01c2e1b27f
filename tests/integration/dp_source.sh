#!/bin/bash
# The address a backend sees, as with kube-proxy: a pod through a cluster
# IP shows its own (TCP, and UDP in the echo app's log); the host and a
# pod reaching itself show the node's; an outside client (a network
# namespace with a veth to the host) through a NodePort shows the node's
# with externalTrafficPolicy Cluster and its own with Local. What k1s
# installs on the host for it goes at shutdown. Needs root.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3 ip nft

OUT_NS=dpsrc-out	# neither name looks like a pod's (k1s-*)
OUT_LINK=dpsrc-h
HOST_IP=198.51.100.1	# the host end: the node's address for this test
OUT_IP=198.51.100.2

# The address the echo app saw for a request from network namespace NS
# ("host": the host's own), without the port.
seen() { # NS URL
	local run=
	[ "$1" = host ] || run="ip netns exec $1"
	$run curl -s --max-time 3 "$2" | sed -n 's/.*"remoteAddr":"\([0-9.]*\):[0-9]*".*/\1/p'
}
expect_seen() { # "description" want NS URL
	local got
	got=$(seen "$3" "$4")
	[ "$got" = "$2" ] || fail "$1: the backend saw '$got', not $2"
	echo "ok - $1 ($got)"
}
pod_ns() { # pod name -> its network namespace
	echo "k1s-$(k get pod "$1" -o jsonpath='{.metadata.uid}' | tr -d - | cut -c1-12)"
}
# The node's address towards a pod: what the kernel picks as the source,
# as masquerade would.
node_addr() { # pod IP
	ip -4 route get "$1" | sed -n 's/.* src \([0-9.]*\).*/\1/p'
}
# Another k1s serve in this network namespace (not ours): it may keep the
# host state.
other_serve() {
	own=$(readlink /proc/self/ns/net)
	for p in $(pgrep -f '(^|/)k1s serve( |$)' || true); do
		[ "$p" = "${K1S_PID:-none}" ] || [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" != "$own" ] ||
			echo "$p"
	done | grep .
}
host_state() {
	nft list table ip k1s >/dev/null 2>&1 && echo "nft table ip k1s"
	ip rule | grep -q 'lookup 1115' && echo "ip rule lookup 1115"
	[ -n "$(ip route show table 1115 2>/dev/null)" ] && echo "route table 1115"
	true
}

out_down() {
	ip netns del $OUT_NS 2>/dev/null || true
	ip link del $OUT_LINK 2>/dev/null || true
}
out_down
ip netns add $OUT_NS
ip link add $OUT_LINK type veth peer name eth0 netns $OUT_NS
ip addr add $HOST_IP/30 dev $OUT_LINK
ip link set $OUT_LINK up
ip -n $OUT_NS addr add $OUT_IP/30 dev eth0
ip -n $OUT_NS link set eth0 up
ip -n $OUT_NS route add default via $HOST_IP

start_k1s --node-ip $HOST_IP
k create namespace dp-src >/dev/null
k() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n dp-src "$@"; }
finish() {
	[ -n "$K1S_PID" ] && { k delete namespace dp-src --wait=false >/dev/null 2>&1 || true; }
	cleanup
	out_down
}
trap finish EXIT

k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 2
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers:
      - name: echo
        image: source-echo:1.0
        ports: [{containerPort: 3000}, {containerPort: 3001, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports:
  - {name: http, port: 80, targetPort: 3000}
  - {name: udp, port: 53, targetPort: 3001, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata: {name: echo-np}
spec:
  type: NodePort
  selector: {app: echo}
  ports: [{port: 80, targetPort: 3000}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, labels: {app: client}}
spec:
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"]}
YAML
wait_until "echo endpoints" 60 'test "$(ep_count echo)" = 2'
wait_until "the client pod runs" 60 'test "$(k get pod client -o jsonpath='\''{.status.podIP}'\'')" != ""'

CIP=$(k get svc echo -o jsonpath='{.spec.clusterIP}')
CLIENT_IP=$(k get pod client -o jsonpath='{.status.podIP}')
CLIENT_NS=$(pod_ns client)
EP_IP=$(k get endpoints echo -o jsonpath='{.subsets[0].addresses[0].ip}')
NODE=$(node_addr "$EP_IP")

expect_seen "a pod through a cluster IP: the backend sees the pod" "$CLIENT_IP" \
	"$CLIENT_NS" "http://$CIP/"
expect_seen "the host through a cluster IP: the backend sees the node" "$NODE" host "http://$CIP/"

# UDP: the echo app logs whom it echoed to.
ip netns exec "$CLIENT_NS" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"source?", (sys.argv[1], 53))
assert s.recv(100) == b"source?"' "$CIP" || fail "a UDP datagram through the cluster IP got no echo"
wait_for "a pod through a cluster IP over UDP: the backend logs the pod" 10 \
	bash -c "kubectl -s $SERVER --cache-dir $TMP/kcache -n dp-src logs -l app=echo --tail=-1 |
		grep -q 'UDP 7 bytes echoed to $CLIENT_IP:'"

NP=$(k get svc echo-np -o jsonpath='{.spec.ports[0].nodePort}')
wait_until "the node port answers the outside namespace" 10 \
	'test -n "$(seen $OUT_NS "http://$HOST_IP:$NP/")"'
expect_seen "outside through a NodePort, policy Cluster: the backend sees the node" "$NODE" \
	$OUT_NS "http://$HOST_IP:$NP/"
k patch svc echo-np -p '{"spec":{"externalTrafficPolicy":"Local"}}' >/dev/null
wait_until "outside through a NodePort, policy Local: the backend sees the client" 10 \
	'test "$(seen $OUT_NS "http://$HOST_IP:$NP/")" = $OUT_IP'
expect_seen "and the host through it, the node" "$(node_addr "$EP_IP")" host "http://127.0.0.1:$NP/"

# Hairpin: a pod through its own service, the only endpoint.
k scale deployment echo --replicas 1 >/dev/null
wait_until "one echo endpoint" 30 'test "$(ep_count echo)" = 1'
SELF=$(k get endpoints echo -o jsonpath='{.subsets[0].addresses[0].targetRef.name}')
SELF_IP=$(k get endpoints echo -o jsonpath='{.subsets[0].addresses[0].ip}')
expect_seen "a pod through its own service (hairpin): it sees the node" "$(node_addr "$SELF_IP")" \
	"$(pod_ns "$SELF")" "http://$CIP/"

[ -n "$(host_state)" ] || fail "no host state for the replies while k1s runs"
stop_k1s
if other_serve >/dev/null; then
	echo "ok - # SKIP another k1s runs: the host state stays for it"
else
	left=$(host_state)
	[ -z "$left" ] || fail "left on the host after shutdown: $left"
	echo "ok - nothing left on the host after shutdown"
fi

# --proxy-source node: the node's address even for a pod.
start_k1s --node-ip $HOST_IP --proxy-source node
wait_until "the pods run again" 60 'test "$(seen "$CLIENT_NS" "http://$CIP/")" != ""'
# ^C stopped them: they started again, perhaps at other addresses.
wait_until "the echo pod's address is routed" 30 \
	'test -n "$(node_addr "$(k get pod "$SELF" -o jsonpath="{.status.podIP}")")"'
SELF_IP=$(k get pod "$SELF" -o jsonpath='{.status.podIP}')
expect_seen "with --proxy-source node, a pod through a cluster IP shows the node" \
	"$(node_addr "$SELF_IP")" "$CLIENT_NS" "http://$CIP/"
[ -z "$(host_state)" ] || other_serve >/dev/null ||
	fail "--proxy-source node installed: $(host_state)"
echo "ok - and installs nothing on the host"
