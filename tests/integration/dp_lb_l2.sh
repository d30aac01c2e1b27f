#!/bin/bash
# LoadBalancer addresses on a layer-2 network, as MetalLB's layer-2 mode
# gives them: a "laptop" network namespace on a veth to the host (the
# node's network, TEST-NET-3) reaches the tutorial's web-service on an
# address of --lb-pool, which k1s probes by ARP, adds to the host's end of
# the veth and announces; two LoadBalancers on port 80 get two addresses
# (80 and 443 of the node's address are the ingress's), a port that is
# free gets the node's own; released addresses leave the interface, and
# nothing of k1s's is left on it after a clean shutdown. Frames go only
# out of the test's veth. Needs root.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl ip

LAPTOP=lbl2-laptop	# neither name looks like a pod's (k1s-*)
LINK=lbl2-h
NODE_IP=203.0.113.1
LAPTOP_IP=203.0.113.100
SQUATTER=203.0.113.240	# the pool's first address, which the laptop holds already

net_down() {
	ip netns del $LAPTOP 2>/dev/null || true
	ip link del $LINK 2>/dev/null || true
}
finish() {
	cleanup
	net_down
}
trap finish EXIT
net_down
# The test's network must be the veth's alone: frames go nowhere else.
if ip -4 -o addr | grep -q ' 203\.0\.113\.'; then
	echo "SKIP: 203.0.113.0/24 is on an interface of this machine already"; exit 77
fi
ip netns add $LAPTOP
ip link add $LINK type veth peer name eth0 netns $LAPTOP
ip addr add $NODE_IP/24 dev $LINK
ip link set $LINK up
ip -n $LAPTOP addr add $LAPTOP_IP/24 dev eth0
ip -n $LAPTOP addr add $SQUATTER/24 dev eth0
ip -n $LAPTOP link set eth0 up
ip -n $LAPTOP link set lo up
MAC=$(cat /sys/class/net/$LINK/address)

# What a killed run left on the interface goes at start.
ip addr add 203.0.113.249/32 dev $LINK label $LINK:k1s

# The addresses k1s added to the veth: "ADDR LABEL" lines.
ours() {
	ip -4 -o addr show dev $LINK |
		awk '{for (i = 5; i <= NF; i++) if ($i ~ /:k1s\\?$/) {sub(/\\$/, "", $i); print $4, $i}}'
}
lb_ip() {
	k get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[0].ip}'
}
# The pod that answered an HTTP request from the laptop.
from_laptop() {
	ip netns exec $LAPTOP curl -s --max-time 3 "$1" | sed -n 's/.*"pod":"\([^"]*\)".*/\1/p'
}
# For wait_for, which runs a command again and again (not its output).
has_lb_ip() { [ -n "$(lb_ip "$1")" ]; }
no_lb_ip() { [ -z "$(lb_ip "$1")" ]; }
lb_ip_is() { [ "$(lb_ip "$1")" = "$2" ]; }
laptop_reaches() { [ -n "$(from_laptop "$1")" ]; }
ep_is() { [ "$(ep_count "$1")" = "$2" ]; }

start_k1s --node-ip $NODE_IP --lb-pool 203.0.113.240-203.0.113.250
wait_for "a stale k1s address is removed at start" 10 \
	bash -c "! ip -4 -o addr show dev $LINK | grep -q 203.0.113.249/"

k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: my-web:1.0, ports: [{containerPort: 3000}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
      - {name: shop, image: my-shop:1.0, ports: [{containerPort: 3000}]}
YAML
k apply -f "$MANIFESTS/03-loadbalancer-service.yaml" >/dev/null
wait_for "web-service gets an EXTERNAL-IP" 20 has_lb_ip web-service
WEB=$(lb_ip web-service)
[ "$WEB" != $NODE_IP ] || fail "web-service has the node's address, whose port 80 is the ingress's"
[ "$WEB" != $SQUATTER ] || fail "web-service has $SQUATTER, which the laptop answers for"
echo "ok - web-service has $WEB: not the node's (port 80 is the ingress's), not the laptop's"
expect_out "kubectl shows it as EXTERNAL-IP" "web-service +LoadBalancer .* $WEB +80:" k get svc web-service

wait_for "web's endpoints" 60 ep_is web-service 1
wait_for "the laptop reaches web-service at $WEB" 10 \
	bash -c "ip netns exec $LAPTOP curl -s --max-time 2 http://$WEB/ | grep -q '\"pod\":\"web-'"
expect_out "the laptop's neighbour table has the host's MAC for $WEB" "lladdr $MAC" \
	ip -n $LAPTOP neigh show "$WEB"
expect_out "the address is on the host's interface as a /32 labelled as k1s's" \
	"^$WEB/32 $LINK:k1s\$" ours

k expose deployment shop --name shop-lb --type LoadBalancer --port 80 --target-port 3000 >/dev/null
wait_for "a second LoadBalancer on port 80 gets an address" 20 has_lb_ip shop-lb
SHOP=$(lb_ip shop-lb)
[ "$SHOP" != "$WEB" ] && [ "$SHOP" != $NODE_IP ] && [ "$SHOP" != $SQUATTER ] ||
	fail "shop-lb has $SHOP (web-service $WEB, node $NODE_IP)"
echo "ok - shop-lb has its own, $SHOP"
wait_for "shop's endpoints" 60 ep_is shop-lb 1
wait_for "the laptop reaches shop-lb at $SHOP" 10 laptop_reaches "http://$SHOP/"
expect_out "and web-service still at $WEB" '^web-' from_laptop "http://$WEB/"

k expose deployment shop --name shop-alt --type LoadBalancer --port 8080 --target-port 3000 >/dev/null
wait_for "a LoadBalancer on a free port gets the node's own address" 20 \
	lb_ip_is shop-alt $NODE_IP
wait_for "which the laptop reaches" 10 laptop_reaches "http://$NODE_IP:8080/"
ours | grep -q "^$NODE_IP/" && fail "the node's own address was added again"

k delete svc shop-lb >/dev/null
wait_for "a deleted LoadBalancer's address leaves the interface" 10 \
	bash -c "! ip -4 -o addr show dev $LINK | grep -q ' $SHOP/32 '"
k patch svc web-service -p '{"spec":{"type":"ClusterIP"}}' >/dev/null
wait_for "so does one no longer a LoadBalancer" 10 \
	bash -c "! ip -4 -o addr show dev $LINK | grep -q ' $WEB/32 '"

k patch svc web-service -p '{"spec":{"type":"LoadBalancer","loadBalancerIP":"203.0.113.245"}}' >/dev/null
wait_for "spec.loadBalancerIP in the pool is honoured" 20 lb_ip_is web-service 203.0.113.245
wait_for "and the laptop reaches it" 10 laptop_reaches "http://203.0.113.245/"
k expose deployment shop --name shop-far --type LoadBalancer --port 80 --target-port 3000 \
	--load-balancer-ip 10.0.0.5 >/dev/null
wait_for "one outside the pool stays Pending with a Warning event" 20 \
	bash -c "kubectl -s $SERVER --cache-dir $TMP/kcache get events |
		grep -q 'Warning .*AllocationFailed .*service/shop-far .*\"10.0.0.5\" is not allowed in config'"
[ -z "$(lb_ip shop-far)" ] || fail "shop-far has $(lb_ip shop-far)"
expect_out "kubectl shows it Pending" 'shop-far +LoadBalancer .*<pending>' k get svc shop-far

[ -n "$(ours)" ] || fail "no k1s address on the interface while k1s runs"
stop_k1s
left=$(ours)
[ -z "$left" ] || fail "left on the interface after shutdown: $left"
echo "ok - nothing of k1s's left on the interface after shutdown"

# --lb-pool auto: .240-.249 of the node's /24, each probed first. The
# addresses the store records are announced again at start.
start_k1s --node-ip $NODE_IP --lb-pool auto
wait_for "after a restart the laptop reaches web-service at 203.0.113.245 again" 20 \
	laptop_reaches "http://203.0.113.245/"
k expose deployment shop --name shop-auto --type LoadBalancer --port 80 --target-port 3000 >/dev/null
wait_for "with --lb-pool auto a port-80 LoadBalancer gets .241 (.240 is the laptop's)" 20 \
	lb_ip_is shop-auto 203.0.113.241
wait_for "which the laptop reaches" 20 laptop_reaches "http://203.0.113.241/"
stop_k1s

# --lb-pool none: a port-80 LoadBalancer cannot have the node's address.
start_k1s --node-ip $NODE_IP --lb-pool none
wait_for "with --lb-pool none a port-80 LoadBalancer is Pending" 20 no_lb_ip shop-auto
wait_for "with a Warning event saying to set --lb-pool" 10 \
	bash -c "kubectl -s $SERVER --cache-dir $TMP/kcache get events |
		grep -q 'Warning .*AllocationFailed .*service/shop-auto .*set k1s serve --lb-pool'"
wait_for "and web-service, whose loadBalancerIP the pool no longer has" 10 \
	no_lb_ip web-service
expect_out "a free port still gets the node's address" "^$NODE_IP\$" lb_ip shop-alt
[ -z "$(ours)" ] || fail "addresses on the interface with no pool: $(ours)"
echo "ok - and nothing is announced"
