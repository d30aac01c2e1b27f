#!/bin/sh
# What keeping the client's address costs: the dataplane with
# --proxy-source node and client (dp_bench's DP_BENCH_SOURCE) beside
# HAProxy (mode tcp) and a direct connection, in one run. Unlike run.sh,
# the client and the backend are network namespaces with veths to the
# host, as pods are, so that the client's address can be kept: wrk and
# iperf3 run in k1sb-cli (10.252.1.2), nginx and iperf3 -s in k1sb-be
# (10.252.2.2), the pod network being 10.252.0.0/16.
#
#   bench/dataplane/source.sh [BUILD_DIR]   (root: namespaces, a local
#                                            route, k1s's reply rule)
#
# Pinning as run.sh: servers on CPU 0, load generators on CPU 1. DUR (s,
# default 10), REPEAT (default 3), CONNS (default 50), LOOPS (default 1).
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build}
DUR=${DUR:-10}
REPEAT=${REPEAT:-3}
CONNS=${CONNS:-50}
LOOPS=${LOOPS:-1}
T=$(mktemp -d /tmp/dp-source.XXXXXX)
PIDS=""
VIP=10.254.77.10
BULK_VIP=10.254.120.1
CLI=k1sb-cli
BE=k1sb-be
BE_IP=10.252.2.2
HOST_CLI=10.252.1.1

cleanup() {
	for p in $PIDS; do kill -INT "$p" 2>/dev/null || true; done	# k1s: SIGINT stops its pods too
	wait 2>/dev/null || true
	ip netns del $CLI 2>/dev/null || true
	ip netns del $BE 2>/dev/null || true
	ip route del local 10.254.64.0/18 dev lo 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
# shellcheck disable=SC3045
ulimit -n 65536 2>/dev/null || true

if ! command -v wrk >/dev/null || ! command -v haproxy >/dev/null || ! command -v nginx >/dev/null ||
	! command -v iperf3 >/dev/null || [ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk haproxy nginx-light \
		libnginx-mod-stream iperf3 >/dev/null
fi

# NS host-end ns-address: a namespace on a /30 veth, routed as a pod is.
netns() {
	ip netns del "$1" 2>/dev/null || true
	ip netns add "$1"
	ip link add "$1" type veth peer name eth0 netns "$1"
	ip addr add "$2/30" dev "$1"
	ip link set "$1" up
	ip -n "$1" addr add "$3/30" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$1" link set lo up
	ip -n "$1" route add default via "$2"
}
netns $CLI $HOST_CLI 10.252.1.2
netns $BE 10.252.2.1 $BE_IP
sysctl -qw net.ipv4.ip_forward=1
ip route replace local 10.254.64.0/18 dev lo

cat > "$T/backend.conf" <<CONF
worker_processes 1;
pid $T/backend.pid;
error_log $T/backend.err;
events { worker_connections 20000; }
http {
	access_log off;
	server {
		listen $BE_IP:18080 backlog=4096 reuseport;
		keepalive_requests 1000000;
		location / { return 200 "\$remote_addr\n"; }	# whom the backend saw
	}
}
CONF
haproxy_cfg "$HOST_CLI" "$BE_IP"
ip netns exec $BE taskset -c 0 nginx -c "$T/backend.conf" -g 'daemon off;' & PIDS="$PIDS $!"
ip netns exec $BE taskset -c 0 iperf3 -s -B $BE_IP -p 15201 >/dev/null 2>&1 & PIDS="$PIDS $!"
taskset -c 0 haproxy -f "$T/haproxy.cfg" -q & PIDS="$PIDS $!"
sleep 1

RUN="ip netns exec $CLI"
run_target() { # target url bulk-host bulk-port
	{
		echo "keepalive $1 $(measure "$2")"
		echo "newconn $1 $(measure "$2" -H "Connection: close")"
		echo "bulk $1 $(bulk "$3" "$4")"
	} >> "$T/rows"
}
wait_port() {
	i=0
	while ! $RUN curl -s -o /dev/null --max-time 1 "http://$1:$2/" && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
: > "$T/rows"
: > "$T/notes"
rep=1
while [ "$rep" -le "$REPEAT" ]; do
	run_target direct http://$BE_IP:18080/ $BE_IP 15201
	run_target haproxy http://$HOST_CLI:18081/ $HOST_CLI 15202
	for l in $LOOPS; do
		for mode in node client; do
			DP_BENCH_SOURCE=$mode DP_BENCH_POD_CIDR=10.252.0.0/16 taskset -c 0 \
				"$B/dataplane/dp_bench" $VIP 80 "$l" 1 $BE_IP:18080 2>> "$T/dp.log" &
			p1=$!
			DP_BENCH_SOURCE=$mode DP_BENCH_POD_CIDR=10.252.0.0/16 taskset -c 0 \
				"$B/dataplane/dp_bench" $BULK_VIP 5201 "$l" 1 $BE_IP:15201 2>> "$T/dp.log" &
			p2=$!
			PIDS="$PIDS $p1 $p2"
			wait_port $VIP 80
			echo "k1s-L$l-$mode: the backend saw $($RUN curl -s http://$VIP:80/)" >> "$T/notes"
			run_target "k1s-L$l-$mode" http://$VIP:80/ $BULK_VIP 5201
			kill $p1 $p2; wait $p1 $p2 2>/dev/null || true
		done
	done
	rep=$((rep + 1))
done
report "k1s-Ln-MODE: n loop threads, --proxy-source MODE. Client and backend in network
namespaces. busy%: CPU 0 (servers), CPU 1 (client)."
grep -v '^$' "$T/dp.log" | sort -u | head -5
