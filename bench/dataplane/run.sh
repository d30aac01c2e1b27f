#!/bin/sh
# The dataplane beside HAProxy (mode tcp) and nginx (stream), the same
# nginx backend behind each, in one run: wrk with keep-alive small
# responses and with a new connection per request; requests/s, p50/p99
# and the ratio to HAProxy and to a direct connection.
#
#   bench/dataplane/run.sh [BUILD_DIR]     (root: adds a local route)
#
# Servers are pinned to CPU 0, wrk to CPU 1 (see bench-notes.md).
# DUR (s, default 10), CONNS (default 50), LOOPS (dataplane threads, 1),
# SVCS (services beside the measured one, 1). Then the reconcile latency.
set -eu
B=${1:-build}
DUR=${DUR:-10}
CONNS=${CONNS:-50}
LOOPS=${LOOPS:-1}
SVCS=${SVCS:-1}
T=$(mktemp -d /tmp/dp-bench.XXXXXX)
PIDS=""
VIP=10.254.77.10
BULK_VIP=10.254.100.1

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip route del local 10.254.64.0/18 dev lo 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
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
taskset -c 0 "$B/dataplane/dp_bench" $VIP 80 "$LOOPS" "$SVCS" 127.0.0.1:18080 & PIDS="$PIDS $!"
if command -v iperf3 >/dev/null; then
	taskset -c 0 iperf3 -s -B 127.0.0.1 -p 15201 >/dev/null 2>&1 & PIDS="$PIDS $!"
	taskset -c 0 "$B/dataplane/dp_bench" $BULK_VIP 5201 "$LOOPS" 1 127.0.0.1:15201 \
		>/dev/null 2>&1 & PIDS="$PIDS $!"
fi
sleep 1

# wrk's Requests/sec, p50 and p99 (ms), for URL and extra arguments.
measure() {
	url=$1; shift
	taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "$@" "$url" > "$T/wrk.out" 2>&1 || true
	awk '
	function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
			 if (v ~ /s$/) return v * 1000; return v }
	/Requests\/sec/ { rps = $2 }
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/Non-2xx|Socket errors/ { err = err " " $0 }
	END { printf "%.0f %.2f %.2f\n", rps, p50, p99; if (err != "") print err > "/dev/stderr" }
	' "$T/wrk.out"
}

printf '%-10s %-10s %12s %8s %8s %10s %10s\n' pattern target req/s p50ms p99ms vs-haproxy vs-direct
for pat in keepalive newconn; do
	extra=""
	[ $pat = newconn ] && extra="-H Connection:close"
	res=""
	for tgt in direct haproxy nginx k1s; do
		case $tgt in
		direct) url=http://127.0.0.1:18080/ ;;
		haproxy) url=http://127.0.0.1:18081/ ;;
		nginx) url=http://127.0.0.1:18082/ ;;
		k1s) url=http://$VIP:80/ ;;
		esac
		# shellcheck disable=SC2086
		set -- $(measure "$url" $extra)
		eval "rps_$tgt=$1 p50_$tgt=$2 p99_$tgt=$3"
	done
	for tgt in direct haproxy nginx k1s; do
		eval "r=\$rps_$tgt p50=\$p50_$tgt p99=\$p99_$tgt"
		printf '%-10s %-10s %12s %8s %8s %10s %10s\n' $pat $tgt "$r" "$p50" "$p99" \
			"$(awk -v a="$r" -v b="$rps_haproxy" 'BEGIN { printf "%.2f", b ? a / b : 0 }')" \
			"$(awk -v a="$r" -v b="$rps_direct" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
	done
done

if command -v iperf3 >/dev/null; then
echo
printf '%-10s %-10s %12s %10s %10s\n' pattern target Gbit/s vs-haproxy vs-direct
for tgt in direct haproxy nginx k1s; do
	case $tgt in
	direct) h=127.0.0.1 p=15201 ;;
	haproxy) h=127.0.0.1 p=15202 ;;
	nginx) h=127.0.0.1 p=15203 ;;
	k1s) h=$BULK_VIP p=5201 ;;
	esac
	g=$(taskset -c 1 iperf3 -c $h -p $p -t "$DUR" -f g 2>/dev/null | awk '/receiver/ { print $(NF-2) }')
	eval "g_$tgt=\${g:-0}"
done
for tgt in direct haproxy nginx k1s; do
	eval "g=\$g_$tgt"
	printf '%-10s %-10s %12s %10s %10s\n' bulk $tgt "$g" \
		"$(awk -v a="$g" -v b="$g_haproxy" 'BEGIN { printf "%.2f", b ? a / b : 0 }')" \
		"$(awk -v a="$g" -v b="$g_direct" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
done
else
	echo "(no iperf3: bulk throughput not measured)"
fi

echo
# Reconcile latency, beside 1, 100 and 10,000 services.
for n in 1 100 10000; do
	taskset -c 0 "$B/dataplane/dp_latency" $n 2>/dev/null | grep services
done
