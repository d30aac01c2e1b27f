#!/bin/sh
# The kernel side of NetworkPolicy on its own (nft_apply.c): apply times
# of the whole table and of one change beside 100 and 1,000 pods' chains,
# and TCP connections per second between two pods on routed veths with
# and without the table.
#
#   bench/policy/nft.sh [BUILD_DIR]     (root; run under /tmp/k1s-net.lock)
#
# Everything happens in a network namespace of its own (unshare -n): the
# host's tables, routes and addresses are not touched. The client runs on
# CPU 1, the kernel's forwarding follows it. REPEAT (default 9) applies
# per figure, CONNS (default 20000) connections per run, PODS (default
# "100 1000").
set -eu
B=${1:-build}
REPEAT=${REPEAT:-9}
CONNS=${CONNS:-20000}
PODS=${PODS:-100 1000}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/pol-bench.XXXXXX)
trap 'ip netns del k1s-bpol-c 2>/dev/null; ip netns del k1s-bpol-s 2>/dev/null; rm -rf "$T"' EXIT

cc -O2 -D_GNU_SOURCE -I"$SRC/policy" -I"$SRC/policy/include" -I"$SRC/lib/include" \
	-o "$T/nft_apply" "$SRC/bench/policy/nft_apply.c" "$B/policy/libpolicy.a" \
	"$B/apimachinery/libapimachinery.a" "$B/lib/libk1s.a" \
	-lnftables -lmnl -ljansson -lpthread

# Two pods, made as the runtime makes them, inside the private namespace.
unshare -n sh -e -c '
	echo 1 > /proc/sys/net/ipv4/ip_forward
	ip link set lo up
	for p in c:2 s:3; do
		n=${p%%:*} ip=10.244.255.${p##*:}
		ip netns add k1s-bpol-$n
		ip link add k1s-bpol$n type veth peer name eth0 netns k1s-bpol-$n
		echo 1 > /proc/sys/net/ipv4/conf/k1s-bpol$n/proxy_arp
		echo 1 > /proc/sys/net/ipv4/conf/k1s-bpol$n/forwarding
		ip link set k1s-bpol$n up
		ip -n k1s-bpol-$n link set lo up
		ip -n k1s-bpol-$n addr add $ip/32 dev eth0
		ip -n k1s-bpol-$n link set eth0 up
		ip -n k1s-bpol-$n route add 169.254.1.1 dev eth0 scope link
		ip -n k1s-bpol-$n neigh replace 169.254.1.1 dev eth0 nud permanent \
			lladdr $(ip link show dev k1s-bpol$n | awk "/link.ether/ {print \$2}")
		ip -n k1s-bpol-$n route add default via 169.254.1.1 dev eth0 onlink
		ip route replace $ip/32 dev k1s-bpol$n scope link
	done
	for n in '"$PODS"'; do
		taskset -c 1 '"$T"'/nft_apply $n '"$REPEAT"' '"$CONNS"'
	done
'
