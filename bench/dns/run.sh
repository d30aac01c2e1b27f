#!/bin/bash
# k1s's cluster DNS beside Knot DNS, NSD and unbound serving the same names,
# each with one thread: dnsperf queries per second, latency, and the busy %
# of the server core (0) and of dnsperf's (1).
#
#   bench/dns/run.sh [BUILD_DIR]     (root: k1s binds its DNS address)
#
# k1s starts on a temporary data directory with --dns-loops 1; SVCS
# services (default 1000: ClusterIP with named ports, every tenth headless
# with three endpoints) are created through the API, then read back and
# written as the zones cluster.local and 10.in-addr.arpa, which Knot DNS
# and NSD load as zone files and unbound as local-data. Every server
# answers on port 53 of its own loopback address. One query file for all:
# A for services (70 %, a seventh of them headless), SRV, PTR of cluster
# IPs and NXDOMAIN names (10 % each). The answers of the servers are
# compared name by name first, so the comparison is of the same work.
#
# Each server runs pinned to CPU 0, dnsperf to CPU 1; each run lasts DUR
# seconds (default 10), REPEAT times (default 3), the table shows medians.
# qps/core is queries per second per busy server core (bench-notes.md):
# with dnsperf's core at ~100 % the raw figure is dnsperf's limit. The
# latency columns: the average under full load (dnsperf's own figure),
# and p50/p99 at a fixed LAT_QPS (default 20000) queries per second for
# LAT_DUR s (default 5), where also the server's CPU time per query (us/q)
# is taken: the steadiest figure of efficiency on a shared machine.
# Then the reconcile latency: service created -> resolves, deleted ->
# NXDOMAIN, in milliseconds, with an empty and with the full zone, and
# the time one zone build takes (zone_build.c), at SVCS and 10 x SVCS.
set -eu
B=${1:-build}
DUR=${DUR:-10}
REPEAT=${REPEAT:-3}
SVCS=${SVCS:-1000}
LAT_QPS=${LAT_QPS:-20000}
LAT_DUR=${LAT_DUR:-5}
ROUNDS=${ROUNDS:-50}
HERE=$(cd "$(dirname "$0")" && pwd)
K1S_ADDR=127.0.0.20
KNOT_ADDR=127.0.0.21
NSD_ADDR=127.0.0.22
UNBOUND_ADDR=127.0.0.23
T=$(mktemp -d /tmp/dns-bench.XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do kill -INT "$p" 2>/dev/null || true; done	# k1s: SIGINT stops its pods too
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap "exit 130" INT TERM
[ "$(id -u)" = 0 ] || { echo "bench/dns: needs root" >&2; exit 1; }
[ -x "$B/k1s" ] || { echo "bench/dns: no $B/k1s; build first" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || true

# The anchors and the load generator, from Debian's packages. They do not
# start on install here; each is started below on its own address.
if ! command -v dnsperf >/dev/null || ! command -v knotd >/dev/null ||
	! command -v nsd >/dev/null || ! command -v unbound >/dev/null || ! command -v dig >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsperf knot nsd unbound dnsutils \
		>/dev/null
fi

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# Until SERVER answers for the apex of cluster.local.
wait_dns() {
	for _ in $(seq 100); do
		dig +norec +time=1 +tries=1 @"$1" cluster.local SOA 2>/dev/null | grep -q 'status: NOERROR' &&
			return 0
		sleep 0.1
	done
	echo "bench/dns: $2 does not answer on $1" >&2
	exit 1
}

# k1s, on CPU 0 like the others; its API on a free port.
PORT=$(free_port)
API=http://127.0.0.1:$PORT
taskset -c 0 "$B/k1s" serve --data-dir "$T/data" --port "$PORT" --store-sync normal \
	--log-level warn --lb-pool none --ingress-listen none --dns-loops 1 --dns-ip "$K1S_ADDR" --dns-resolv-conf /dev/null \
	>"$T/k1s.log" 2>&1 &
K1S_PID=$!
PIDS="$PIDS $K1S_PID"
for _ in $(seq 100); do
	curl -sf "$API/version" >/dev/null 2>&1 && break
	kill -0 "$K1S_PID" 2>/dev/null || { cat "$T/k1s.log"; exit 1; }
	sleep 0.1
done
wait_dns $K1S_ADDR k1s
# Reconcile with an almost empty zone, for comparison with the full one below.
python3 "$HERE/reconcile.py" --server "$API" --dns "$K1S_ADDR:53" --rounds "$ROUNDS" \
	--label "with $(curl -s "$API/api/v1/services" | grep -o '"clusterIP"' | wc -l) services" \
	>"$T/reconcile-empty"
python3 "$HERE/populate.py" --server "$API" --services "$SVCS" --out "$T/z" >"$T/populate.out"

# The conventions the specification leaves open, as k1s answers them.
a_name=$(awk '$2 == "A" { print $1; exit }' "$T/z/samples.txt")
srv_name=$(awk '$2 == "SRV" { print $1; exit }' "$T/z/samples.txt")
nx_name=$(awk '/^missing-/ { print $1; exit }' "$T/z/samples.txt")
ttl=$(dig +norec +noall +answer @$K1S_ADDR "$a_name" A | awk '{ print $2; exit }')
srv=$(dig +norec +noall +answer @$K1S_ADDR "$srv_name" SRV | awk '{ print $5, $6; exit }')
soa=$(dig +norec +noall +authority @$K1S_ADDR "$nx_name" A | awk '$4 == "SOA" { print $5, $6; exit }')
if [ -z "$ttl" ] || [ -z "$srv" ] || [ -z "$soa" ]; then
	echo "bench/dns: k1s does not answer $a_name, $srv_name, $nx_name" >&2
	tail "$T/k1s.log"
	exit 1
fi
# shellcheck disable=SC2086	# two words each
set -- $srv $soa
python3 "$HERE/populate.py" --server "$API" --out "$T/z" --export-only --ttl "$ttl" \
	--srv-prio "$1" --srv-weight "$2" --soa-mname "$3" --soa-rname "$4" >"$T/populate.out"

mkdir -p "$T/knot" "$T/nsd"
cat >"$T/knot.conf" <<EOF
server:
    listen: $KNOT_ADDR@53
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
    rundir: $T/knot
database:
    storage: $T/knot
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: $T/z
    semantic-checks: off
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: cluster.local
    file: cluster.local.zone
  - domain: 10.in-addr.arpa
    file: 10.in-addr.arpa.zone
EOF
cat >"$T/nsd.conf" <<EOF
server:
    ip-address: $NSD_ADDR@53
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$T/z"
    database: ""
    zonelistfile: "$T/nsd/zone.list"
    xfrdfile: "$T/nsd/xfrd.state"
    xfrdir: "$T/nsd"
    pidfile: "$T/nsd/nsd.pid"
    logfile: "$T/nsd/nsd.log"
    rrl-ratelimit: 0
    verbosity: 0
    refuse-any: no
remote-control:
    control-enable: no
zone:
    name: cluster.local
    zonefile: cluster.local.zone
zone:
    name: 10.in-addr.arpa
    zonefile: 10.in-addr.arpa.zone
EOF
{
	cat <<EOF
server:
    interface: $UNBOUND_ADDR
    port: 53
    num-threads: 1
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "$T"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    access-control: 127.0.0.0/8 allow
    so-reuseport: no
    do-ip6: no
    ratelimit: 0
    ip-ratelimit: 0
    module-config: "iterator"
EOF
	cat "$T/z/unbound.conf"
	printf 'remote-control:\n    control-enable: no\n'
} >"$T/unbound.conf"

taskset -c 0 knotd -c "$T/knot.conf" >"$T/knot.log" 2>&1 &
KNOT_PID=$!
taskset -c 0 nsd -d -c "$T/nsd.conf" >"$T/nsd.log" 2>&1 &
NSD_PID=$!
taskset -c 0 unbound -d -c "$T/unbound.conf" >"$T/unbound.log" 2>&1 &
UNBOUND_PID=$!
PIDS="$PIDS $KNOT_PID $NSD_PID $UNBOUND_PID"
wait_dns $KNOT_ADDR knot
wait_dns $NSD_ADDR nsd
wait_dns $UNBOUND_ADDR unbound

SERVERS="k1s knot nsd unbound"
addr_of() {
	case $1 in k1s) echo $K1S_ADDR ;; knot) echo $KNOT_ADDR ;; nsd) echo $NSD_ADDR ;;
	unbound) echo $UNBOUND_ADDR ;; esac
}
pid_of() {
	case $1 in k1s) echo "$K1S_PID" ;; knot) echo "$KNOT_PID" ;; nsd) echo "$NSD_PID" ;;
	unbound) echo "$UNBOUND_PID" ;; esac
}

# The same answers: rcode and answer section (names lower-cased, sorted).
answer() { # server name type
	dig +norec +time=2 +tries=1 @"$1" "$2" "$3" >"$T/dig.out" 2>&1 || true
	grep -o 'status: [A-Z]*' "$T/dig.out" | head -1
	sed -n '/^;; ANSWER SECTION:/,/^$/p' "$T/dig.out" | grep -v '^;;' | grep . |
		awk '{ $1 = tolower($1); print }' | sort
}
same=0 differ=0
while read -r name type; do
	ref=$(answer $K1S_ADDR "$name" "$type")
	for s in knot nsd unbound; do
		got=$(answer "$(addr_of $s)" "$name" "$type")
		if [ "$got" = "$ref" ]; then
			same=$((same + 1))
		else
			differ=$((differ + 1))
			{
				echo "DIFFERENT: $s vs k1s for $name $type"
				echo "--- k1s"; echo "$ref"; echo "--- $s"; echo "$got"
			} >>"$T/differences"
		fi
	done
done <"$T/z/samples.txt"

# Busy jiffies of CPU 0 and CPU 1 and the totals, from /proc/stat.
cpustat() {
	awk '/^cpu[01] / { b = $2 + $3 + $4 + $7 + $8; t = b + $5 + $6; printf "%d %d ", b, t }' /proc/stat
}
busy() {
	echo "$1 $2" | awk '{ t0 = $6 - $2; t1 = $8 - $4
		printf "%.0f %.0f", ($5 - $1) * 100 / (t0 > 0 ? t0 : 1), ($7 - $3) * 100 / (t1 > 0 ? t1 : 1) }'
}
# CPU jiffies used by a process and its children (NSD serves from a child).
proc_cpu() {
	local p all=$1 sum=0 j
	for p in $(pgrep -P "$1"); do all="$all $(pgrep -P "$p") $p"; done
	for p in $all; do
		# utime + stime, counted after the command name (it has spaces).
		j=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')
		sum=$((sum + ${j:-0}))
	done
	echo $sum
}
HZ=$(getconf CLK_TCK)

# One run: "qps avg_ms cpu0% cpu1% server%" at full load.
measure() { # server
	local a c0 c1 p0 p1
	a=$(addr_of "$1")
	c0=$(cpustat); p0=$(proc_cpu "$(pid_of "$1")")
	taskset -c 1 dnsperf -s "$a" -d "$T/z/queries.txt" -l "$DUR" -c 4 -q 200 \
		>"$T/perf.out" 2>&1 || true
	c1=$(cpustat); p1=$(proc_cpu "$(pid_of "$1")")
	awk -v busy="$(busy "$c0" "$c1")" -v srv="$(( (p1 - p0) * 100 / HZ / DUR ))" '
	/Queries per second:/ { qps = $4 }
	/Average Latency \(s\):/ { avg = $4 * 1000 }
	/Queries lost:/ { lost = $3 }
	END { printf "%.0f %.3f %s %s\n", qps, avg, busy, srv
	      if (lost > 0) printf "%s lost %d queries\n", name, lost >> lostf }' \
		name="$1" lostf="$T/lost" "$T/perf.out"
}
# At a fixed rate, where dnsperf keeps up: "p50_ms p99_ms cpu_us_per_query"
# from dnsperf's per-query report and the server's CPU time.
latency() { # server
	local p0 p1 n
	p0=$(proc_cpu "$(pid_of "$1")")
	taskset -c 1 dnsperf -s "$(addr_of "$1")" -d "$T/z/queries.txt" -l "$LAT_DUR" -Q "$LAT_QPS" \
		-v 2>/dev/null | awk '/^> / { print $NF * 1000 }' | sort -n >"$T/lat"
	p1=$(proc_cpu "$(pid_of "$1")")
	n=$(wc -l <"$T/lat")
	awk -v n="$n" -v us="$(( (p1 - p0) * 1000000 / HZ ))" '{ v[NR] = $1 }
		END { if (NR == 0) { print "0 0 0"; exit }
		      printf "%.3f %.3f %.2f\n", v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1], us / n }' "$T/lat"
}

: >"$T/rows"
for r in $(seq "$REPEAT"); do
	for s in $SERVERS; do
		echo "$s $r $(measure "$s") $(latency "$s")" >>"$T/rows"
	done
done

# Medians per server, each column on its own.
median() { # server column
	awk -v s="$1" -v c="$2" '$1 == s { print $c }' "$T/rows" | sort -g |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
: >"$T/table"
for s in $SERVERS; do
	qps=$(median "$s" 3)
	srv=$(median "$s" 7)
	echo "$s $qps $(median "$s" 4) $(median "$s" 8) $(median "$s" 9) $(median "$s" 5) $(median "$s" 6) $srv $(median "$s" 10)" >>"$T/table"
done
echo "bench/dns: $(cat "$T/populate.out"); dnsperf -c 4 -q 200, ${DUR}s x $REPEAT, medians."
echo "Servers on CPU 0, dnsperf on CPU 1. qps/core: per busy core of the server process."
echo "avg: under full load; p50/p99 and the server's CPU us per query: at $LAT_QPS queries/s."
echo "k1s/x: k1s's qps over x's; x/k1s us: x's CPU per query over k1s's (> 1: k1s does less)."
printf '%-8s %9s %9s %8s %8s %8s %6s %6s %6s %7s %7s %9s\n' server qps qps/core avg-ms p50-ms p99-ms \
	cpu0% cpu1% srv% us/q k1s/x 'x/k1s us' 
awk '
{ s[NR] = $1; q[NR] = $2; a[NR] = $3; p5[NR] = $4; p9[NR] = $5; c0[NR] = $6; c1[NR] = $7
  sv[NR] = $8; pc[NR] = $8 > 0 ? $2 * 100 / $8 : 0; us[NR] = $9
  if ($1 == "k1s") { kq = $2; ku = $9 } }
END {
	for (i = 1; i <= NR; i++)
		printf "%-8s %9d %9d %8.3f %8.3f %8.3f %6d %6d %6d %7.2f %7.2f %9.2f\n", s[i], q[i], pc[i],
			a[i], p5[i], p9[i], c0[i], c1[i], sv[i], us[i], q[i] ? kq / q[i] : 0,
			(ku > 0 ? us[i] / ku : 0)
}' "$T/table"
echo "answers compared on $(wc -l <"$T/z/samples.txt") names x 3 servers: $same the same as k1s, $differ different"
[ -s "$T/differences" ] && cat "$T/differences"
[ -s "$T/lost" ] && cat "$T/lost"

echo
cat "$T/reconcile-empty"
for pause in 200 0; do
	python3 "$HERE/reconcile.py" --server "$API" --dns "$K1S_ADDR:53" --rounds "$ROUNDS" \
		--pause $pause --label "with $(grep -o '^[0-9]*' "$T/populate.out") services"
done
# The zone on its own: a build from scratch (at start), and one change
# beside the whole (what each store change costs).
SRC=$HERE/../..
if cc -O2 -I"$SRC/dns" -I"$SRC/dns/include" -I"$SRC/store/include" -I"$SRC/apimachinery/include" \
	-I"$SRC/lib/include" \
	-o "$T/zone_build" "$HERE/zone_build.c" "$B/dns/libdns.a" "$B/apimachinery/libapimachinery.a" \
	"$B/lib/libk1s.a" -ljansson -luring -lpthread 2>"$T/cc.err"; then
	taskset -c 0 "$T/zone_build" "$SVCS" 21
	taskset -c 0 "$T/zone_build" $((SVCS * 10)) 5
else
	echo "zone build: not measured: $(head -3 "$T/cc.err")"
fi
