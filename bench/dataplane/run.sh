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
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
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
	! command -v iperf3 >/dev/null; then
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
cat > "$T/haproxy.cfg" <<CONF
global
	nbthread 1
	maxconn 8000
defaults
	mode tcp
	timeout connect 1s
	timeout client 1h
	timeout server 1h
listen bench
	bind 127.0.0.1:18081
	server b 127.0.0.1:18080
listen bulk
	bind 127.0.0.1:15202
	server b 127.0.0.1:15201
CONF

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

# Busy jiffies of CPU 0 and CPU 1 and the total per CPU, from /proc/stat.
cpustat() {
	awk '/^cpu[01] / { b = $2 + $3 + $4 + $7 + $8; t = b + $5 + $6; printf "%d %d ", b, t }' /proc/stat
}
# Busy % of each core between two cpustat samples.
busy() {
	echo "$1 $2" | awk '{ t0 = $6 - $2; t1 = $8 - $4
		printf "%.0f %.0f", ($5 - $1) * 100 / (t0 > 0 ? t0 : 1), ($7 - $3) * 100 / (t1 > 0 ? t1 : 1) }'
}

# Requests/s, p50 and p99 (ms), busy % of CPU 0 and 1, for URL and args.
measure() {
	url=$1; shift
	c0=$(cpustat)
	taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "$@" "$url" > "$T/wrk.out" 2>&1 || true
	c1=$(cpustat)
	awk -v busy="$(busy "$c0" "$c1")" '
	function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
			 if (v ~ /s$/) return v * 1000; return v }
	/Requests\/sec/ { rps = $2 }
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/Non-2xx|Socket errors/ { err = err " " $0 }
	END { printf "%.0f %.2f %.2f %s\n", rps, p50, p99, busy
	      if (err != "") print err > "/dev/stderr" }
	' "$T/wrk.out"
}

# Gbit/s (receiver), -, -, busy % of CPU 0 and 1, for HOST PORT.
bulk() {
	c0=$(cpustat)
	g=$(taskset -c 1 iperf3 -c "$1" -p "$2" -t "$DUR" -f g 2>/dev/null |
		awk '/receiver/ { print $(NF-2) }')
	c1=$(cpustat)
	echo "${g:-0} - - $(busy "$c0" "$c1")"
}

# One target through the three patterns: lines "pattern target figures".
run_target() {
	tgt=$1 url=$2 bh=$3 bp=$4
	{
		echo "keepalive $tgt $(measure "$url")"
		echo "newconn $tgt $(measure "$url" -H Connection:close)"
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
sort -u "$T/notes" -o "$T/notes"

# The median of each column over the runs, per pattern and target, in the
# order first seen.
awk '
{ key = $1 " " $2; if (!(key in n)) order[++nk] = key
  n[key]++; for (c = 3; c <= NF; c++) v[key, c, n[key]] = $c; nf[key] = NF }
function median(key, c,    i, j, m, a, t) {
	m = n[key]
	for (i = 1; i <= m; i++) a[i] = v[key, c, i]
	if (a[1] == "-") return "-"
	for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
		t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return a[int((m + 1) / 2)]
}
END { for (k = 1; k <= nk; k++) { key = order[k]; line = key
	for (c = 3; c <= nf[key]; c++) line = line " " median(key, c); print line } }
' "$T/rows" > "$T/median"
for pat in keepalive newconn bulk; do grep "^$pat " "$T/median"; done > "$T/sorted"
# The table: one block per pattern, ratios measured in this run.
echo "k1s-Ln-Sm: n loop threads, m services. busy%: CPU 0 (servers), CPU 1 (client)."
echo "Each figure: the median of $REPEAT runs of ${DUR} s."
printf '%-10s %-14s %10s %8s %8s %6s %6s %8s %8s\n' pattern target 'req/s|Gb/s' \
	p50ms p99ms cpu0% cpu1% /haproxy /direct
awk '
{ k[NR] = $0; if ($2 == "direct") d[$1] = $3; if ($2 == "haproxy") h[$1] = $3 }
END {
	for (i = 1; i <= NR; i++) {
		split(k[i], f, " ")
		if (f[1] != last && last != "") print ""
		last = f[1]
		printf "%-10s %-14s %10s %8s %8s %6s %6s %8.2f %8.2f\n", f[1], f[2], f[3], f[4],
			f[5], f[6], f[7], h[f[1]] ? f[3] / h[f[1]] : 0, d[f[1]] ? f[3] / d[f[1]] : 0
	}
}' "$T/sorted"
cat "$T/notes"

echo
# Reconcile latency, beside 1, 100 and 10,000 services.
for n in 1 100 10000; do
	taskset -c 0 "$B/dataplane/dp_latency" $n 2>/dev/null | grep services
done
