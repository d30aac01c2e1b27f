#!/bin/sh
# The dataplane beside HAProxy (mode tcp), nginx (stream) and in-kernel
# nftables DNAT (the limit), the same backends behind each, in one run:
# wrk with keep-alive small responses and with a new connection per
# request, iperf3 bulk throughput; requests/s (or Gbit/s), p50/p99, the
# busy % of the server core (0) and of the load generator's core (1), and
# the ratio to HAProxy and to a direct connection. k1s is measured with
# each count of loop threads in LOOPS and each count of services in SVCS.
#
#   bench/dataplane/run.sh [BUILD_DIR]     (root: adds a local route and
#                                           an nft table k1sbench)
#
# Servers are pinned to CPU 0, wrk and iperf3 to CPU 1 (bench-notes.md);
# with LOOPS=2 both loops share CPU 0 too. DUR (s, default 10), REPEAT
# (runs of everything, default 3; each figure is the median of the runs),
# CONNS (default 50), LOOPS (default "1 2"), SVCS (default "1 100 10000").
# Then the reconcile latency.
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build}
DUR=${DUR:-10}
REPEAT=${REPEAT:-3}
CONNS=${CONNS:-50}
LOOPS=${LOOPS:-1 2}
SVCS=${SVCS:-1 100 10000}
T=$(mktemp -d /tmp/dp-bench.XXXXXX)
PIDS=""
VIP=10.254.77.10	# and the next SVCS-1 addresses
BULK_VIP=10.254.120.1
NFT_VIP=10.254.121.1

cleanup() {
	for p in $PIDS; do kill -INT "$p" 2>/dev/null || true; done	# k1s: SIGINT stops its pods too
	wait 2>/dev/null || true
	nft delete table ip k1sbench 2>/dev/null || true
	ip route del local 10.254.64.0/18 dev lo 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
# shellcheck disable=SC3045
ulimit -n 65536 2>/dev/null || true
# shellcheck disable=SC3045
FDS=$(ulimit -n)
ip route replace local 10.254.64.0/18 dev lo

# The anchors and load generators, from Debian's packages.
if ! command -v wrk >/dev/null || ! command -v haproxy >/dev/null || ! command -v nginx >/dev/null ||
	! command -v iperf3 >/dev/null || [ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk haproxy nginx-light \
		libnginx-mod-stream iperf3 >/dev/null
fi

cat > "$T/backend.conf" <<CONF
worker_processes 1;
pid $T/backend.pid;
error_log $T/backend.err;
events { worker_connections 20000; }
http {
	access_log off;
	server {
		listen 127.0.0.1:18080 backlog=4096 reuseport;
		keepalive_requests 1000000;
		location / { return 200 "ok\n"; }
	}
}
CONF
cat > "$T/stream.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
pid $T/stream.pid;
error_log $T/stream.err;
events { worker_connections 20000; }
stream {
	server {
		listen 127.0.0.1:18082 backlog=4096;
		proxy_pass 127.0.0.1:18080;
	}
	server {
		listen 127.0.0.1:15203;
		proxy_pass 127.0.0.1:15201;
	}
}
CONF
haproxy_cfg 127.0.0.1 127.0.0.1

taskset -c 0 nginx -c "$T/backend.conf" -g 'daemon off;' & PIDS="$PIDS $!"
taskset -c 0 nginx -c "$T/stream.conf" -g 'daemon off;' & PIDS="$PIDS $!"
taskset -c 0 haproxy -f "$T/haproxy.cfg" -q & PIDS="$PIDS $!"
taskset -c 0 iperf3 -s -B 127.0.0.1 -p 15201 >/dev/null 2>&1 & PIDS="$PIDS $!"

# The limit: the kernel rewrites the destination, no process in the path.
nft delete table ip k1sbench 2>/dev/null || true
nft -f - <<NFT
table ip k1sbench {
	chain output {
		type nat hook output priority -100; policy accept;
		ip daddr $NFT_VIP tcp dport 80 dnat to 127.0.0.1:18080
		ip daddr $NFT_VIP tcp dport 5201 dnat to 127.0.0.1:15201
	}
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		ip daddr $NFT_VIP tcp dport 80 dnat to 127.0.0.1:18080
		ip daddr $NFT_VIP tcp dport 5201 dnat to 127.0.0.1:15201
	}
}
NFT
sleep 1

# One target through the three patterns: lines "pattern target figures".
run_target() {
	tgt=$1 url=$2 bh=$3 bp=$4
	{
		echo "keepalive $tgt $(measure "$url")"
		echo "newconn $tgt $(measure "$url" -H "Connection: close")"
		echo "bulk $tgt $(bulk "$bh" "$bp")"
	} >> "$T/rows"
}

# Until HOST:PORT accepts (10,000 services take a while to listen).
wait_port() {
	i=0
	while ! curl -s -o /dev/null --max-time 1 "http://$1:$2/" && [ $i -lt 600 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

: > "$T/rows"
: > "$T/notes"
rep=1
while [ $rep -le "$REPEAT" ]; do
	run_target direct http://127.0.0.1:18080/ 127.0.0.1 15201
	run_target haproxy http://127.0.0.1:18081/ 127.0.0.1 15202
	run_target nginx http://127.0.0.1:18082/ 127.0.0.1 15203
	run_target nft http://$NFT_VIP:80/ $NFT_VIP 5201
	for l in $LOOPS; do
		for n in $SVCS; do
			# A listener per service per loop (reuseport), and room for the
			# connections: beyond the fd limit the row would measure EMFILE.
			need=$((l * n + 4 * CONNS + 100))
			if [ "$need" -gt "$FDS" ]; then
				echo "k1s-L$l-S$n skipped: needs ~$need fds, limit $FDS" >> "$T/notes"
				continue
			fi
			taskset -c 0 "$B/dataplane/dp_bench" $VIP 80 "$l" "$n" 127.0.0.1:18080 \
				2>> "$T/dp.log" &
			p1=$!
			taskset -c 0 "$B/dataplane/dp_bench" $BULK_VIP 5201 "$l" 1 127.0.0.1:15201 \
				>/dev/null 2>&1 &
			p2=$!
			PIDS="$PIDS $p1 $p2"
			wait_port $VIP 80
			# The last service too: all listeners are up.
			last=$(echo $VIP "$n" | awk '{ split($1, a, "."); v = a[4] + 256 * a[3] + $2 - 1;
				printf "%s.%s.%d.%d", a[1], a[2], int(v / 256), v % 256 }')
			wait_port "$last" 80
			run_target "k1s-L$l-S$n" http://$VIP:80/ $BULK_VIP 5201
			kill $p1 $p2; wait $p1 $p2 2>/dev/null || true
		done
	done
	rep=$((rep + 1))
done
# Ratios are to rivals measured in this run.
report "k1s-Ln-Sm: n loop threads, m services. busy%: CPU 0 (servers), CPU 1 (client)."

echo
# Reconcile latency, beside 1, 100 and 10,000 services.
for n in 1 100 10000; do
	taskset -c 0 "$B/dataplane/dp_latency" $n 2>/dev/null | grep services
done
