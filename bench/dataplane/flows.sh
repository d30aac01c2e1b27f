#!/bin/sh
# What recording flows costs the dataplane while someone watches them: the
# same traffic through one service, with a flow watcher attached
# (curl -N /k1s/flows?watch=true > /dev/null, as the live page keeps one)
# and without, alternating; requests/s, p50/p99, the busy % of the server
# core (0) and of the load generator's (1), the server core's time per
# request (us), and the ratios with/without of requests/s and of that time.
# Every request of `newconn` is a connection, so a flow record and a line
# of the watch: the worst case; `keepalive` puts one per wrk connection.
#
#   bench/dataplane/flows.sh [BUILD_DIR]   (root: adds a local route)
#
# dp_bench (with its API, DP_BENCH_API_PORT) and the nginx backend on CPU
# 0, wrk on CPU 1. The watcher's curl runs on CPU 0 too: `newconn` keeps
# CPU 1 busy making connections, and what the watcher took there would
# show as load not generated; on CPU 0 its cost counts against the server
# (a live page reads from another machine). DUR (s, default 10), REPEAT
# (default 3; each figure is the median), CONNS (default 50).
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build}
DUR=${DUR:-10}
REPEAT=${REPEAT:-3}
CONNS=${CONNS:-50}
T=$(mktemp -d /tmp/dp-flows.XXXXXX)
PIDS=""
WATCH=""
VIP=10.254.77.10
APORT=18090

cleanup() {
	[ -z "$WATCH" ] || kill "$WATCH" 2>/dev/null || true
	for p in $PIDS; do kill -INT "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip route del local 10.254.64.0/18 dev lo 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
# shellcheck disable=SC3045
ulimit -n 65536 2>/dev/null || true
ip route replace local 10.254.64.0/18 dev lo
command -v wrk >/dev/null && command -v nginx >/dev/null ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null

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
taskset -c 0 nginx -c "$T/backend.conf" -g 'daemon off;' & PIDS="$PIDS $!"
DP_BENCH_API_PORT=$APORT taskset -c 0 "$B/dataplane/dp_bench" $VIP 80 1 1 127.0.0.1:18080 \
	2>> "$T/dp.log" & PIDS="$PIDS $!"
i=0
while ! curl -s -o /dev/null --max-time 1 "http://$VIP/" && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
curl -sf -o /dev/null "http://127.0.0.1:$APORT/k1s/flows?limit=1" ||
	{ echo "dp_bench serves no /k1s/flows"; cat "$T/dp.log"; exit 1; }

: > "$T/rows"
rep=1
while [ $rep -le "$REPEAT" ]; do
	for w in without with; do
		if [ $w = with ]; then
			taskset -c 0 curl -sN "http://127.0.0.1:$APORT/k1s/flows?watch=true" \
				> "$T/watch.out" & WATCH=$!
			sleep 0.5
		fi
		echo "keepalive $w $(measure "http://$VIP/")" >> "$T/rows"
		echo "newconn $w $(measure "http://$VIP/" -H "Connection: close")" >> "$T/rows"
		if [ $w = with ]; then
			kill "$WATCH"; wait "$WATCH" 2>/dev/null || true; WATCH=""
			# The watcher saw the flows: the figure is of a real watch.
			lines=$(wc -l < "$T/watch.out")
			[ "$lines" -gt 1000 ] || { echo "the watcher got $lines lines"; exit 1; }
			echo "$lines" >> "$T/lines"
		fi
	done
	rep=$((rep + 1))
done
medians "$T/rows" > "$T/median"
echo "The dataplane (1 loop, 1 service) with a flow watcher attached and without."
echo "Each figure: the median of $REPEAT runs of ${DUR} s; busy%: CPU 0 (servers), CPU 1 (client)."
printf '%-10s %-8s %10s %8s %8s %6s %6s %8s %9s %9s\n' pattern watcher 'req/s' p50ms p99ms \
	cpu0% cpu1% us0/req 'req/s w/o' 'us0 w/o'
awk '{ k[NR] = $0; us = $3 ? $6 * 10000 / $3 : 0
	if ($2 == "without") { base[$1] = $3; ubase[$1] = us } }
END { for (i = 1; i <= NR; i++) { split(k[i], f, " "); us = f[3] ? f[6] * 10000 / f[3] : 0
	w = f[2] == "with" && base[f[1]] && ubase[f[1]]
	printf "%-10s %-8s %10s %8s %8s %6s %6s %8.1f %9s %9s\n", f[1], f[2], f[3], f[4], f[5], f[6],
		f[7], us, w ? sprintf("%.3f", f[3] / base[f[1]]) : "",
		w ? sprintf("%.3f", us / ubase[f[1]]) : "" } }' "$T/median"
echo "watch lines per run (all flows, as ADDED lines): $(tr '\n' ' ' < "$T/lines")"
