#!/bin/sh
# k1s's ingress beside nginx (configured as ingress-nginx generates its
# nginx.conf) and HAProxy (mode http), the same upstream behind each, in
# one run: wrk with keep-alive small requests, a new connection per
# request, 1 MiB response bodies and 1 MiB request bodies, with 1, 100 and
# 10,000 Ingress rules (distinct hosts; the requests name the last one).
# Columns: requests/s, p50/p99, the busy % of the server core (0) and of
# wrk's (1), the proxy process's own CPU, requests/s per core of that CPU,
# and k1s's ratio to nginx and to HAProxy, raw and per core. Then the
# reconcile latency: from the API's answer to a new Ingress, and to a
# changed Endpoints, to the first answer through the ingress that shows it,
# beside each count of rules. With the first count of rules, the HTTPS
# rows (tls.sh): keep-alive, full and resumed handshakes, 1 MiB answers,
# the same certificate in all three.
#
#   bench/ingress/run.sh [BUILD_DIR]     (root: k1s runs as the appliance)
#
# The upstream is one nginx worker on 127.0.0.1:18180 answering "ok" to any
# request (bodies read and dropped) and a 1 MiB file at /1m. k1s reaches it
# through a Service without a selector and Endpoints written by
# ingresses.py, so no pods run; k1s's ingress serves 127.0.0.1:18193 with
# one loop, nginx 127.0.0.1:18191 with one worker, HAProxy 127.0.0.1:18192
# with one thread. All three keep an access log, as ingress-nginx does.
#
# Servers (and the upstream) are pinned to CPU 0, wrk to CPU 1
# (bench-notes.md). DUR (s, default 10), REPEAT (default 3; each figure
# is the median of the runs), CONNS (default 50), RULES (default
# "1 100 10000"), ROUNDS (reconcile tries, default 50), HTTP=0 (no HTTP
# rows nor reconcile), HTTPS=0 (no HTTPS rows), TLS_PROCS (handshake
# clients, default 8). The HTTPS rows alone, in about 9 minutes:
#
#   RULES=1 HTTP=0 bench/ingress/run.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/tls.sh"
B=${1:-build}
DUR=${DUR:-10}
REPEAT=${REPEAT:-3}
CONNS=${CONNS:-50}
RULES=${RULES:-1 100 10000}
ROUNDS=${ROUNDS:-50}
HTTP=${HTTP:-1}
HTTPS=${HTTPS:-1}
TLS_PROCS=${TLS_PROCS:-8}
MEASURE=measure
K1S_TLS=0
UP=127.0.0.1:18180
OTHER=127.0.0.1:18181	# a second upstream, for a changed backend
NGINX_PORT=18191
HAPROXY_PORT=18192
K1S_PORT=18193
T=$(mktemp -d /tmp/ing-bench.XXXXXX)
PIDS=""
PROXIES=""
HZ=$(getconf CLK_TCK)

cleanup() {
	for p in $PROXIES $PIDS; do kill -INT "$p" 2>/dev/null || true; done	# k1s: SIGINT stops its pods too
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap "exit 130" INT TERM
[ "$(id -u)" = 0 ] || { echo "bench/ingress: needs root" >&2; exit 1; }
[ -x "$B/k1s" ] || { echo "bench/ingress: no $B/k1s; build first" >&2; exit 1; }
# shellcheck disable=SC3045
ulimit -n 20000 2>/dev/null || true

# The rivals and the load generator, from Debian's packages (they do not
# start on install here; each is started below on its own port).
if ! command -v wrk >/dev/null || ! command -v haproxy >/dev/null || ! command -v nginx >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk haproxy nginx-light >/dev/null
fi

# nginx's workers run as nobody: they read the file and write bodies here.
chmod 755 "$T"
head -c 1048576 /dev/zero | tr '\0' x > "$T/1m"
cat > "$T/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("x", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA
[ "$HTTPS" = 1 ] && tls_setup
cat > "$T/upstream.conf" <<CONF
worker_processes 1;
pid $T/upstream.pid;
error_log $T/upstream.err;
events { worker_connections 20000; }
http {
	access_log off;
	client_max_body_size 2m;
	keepalive_requests 1000000;
	server {
		listen $UP backlog=4096;
		location / { return 200 "ok\n"; }
		location = /1m { root $T; }
	}
	server {
		listen $OTHER;
		location / { return 200 "other\n"; }
	}
}
CONF
taskset -c 0 nginx -c "$T/upstream.conf" -g 'daemon off;' & PIDS="$PIDS $!"

# k1s, on CPU 0 like the others; its API on a free port.
API_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
API=http://127.0.0.1:$API_PORT
# (tls_k1s_flags: its HTTPS port's flag and value, two words, where it has one)
# shellcheck disable=SC2046
taskset -c 0 "$B/k1s" serve --data-dir "$T/data" --port "$API_PORT" --store-sync normal \
	--log-level warn --lb-pool none --ingress-listen 127.0.0.1 --ingress-http-port $K1S_PORT \
	$(tls_k1s_flags) --ingress-loops 1 --proxy-loops 1 --dns-loops 1 --dns-resolv-conf /dev/null >"$T/k1s.log" 2>&1 &
K1S_PID=$!
PIDS="$PIDS $K1S_PID"
for _ in $(seq 300); do
	curl -sf "$API/readyz" >/dev/null 2>&1 && break
	kill -0 "$K1S_PID" 2>/dev/null || { cat "$T/k1s.log"; exit 1; }
	sleep 0.1
done

# nginx as ingress-nginx v1.9.0's nginx.tmpl writes it for these Ingresses,
# with its defaults (config.go): one server block per host (the names'
# hash sized as nginx.go sizes it: the next power of two over the bytes
# of all names, at least 1024), the upstream
# with keep-alive 320, proxy_buffering off, the same proxy_set_header lines
# and access log format. Plain upstream in place of its Lua balancer.
nginx_conf() { # RULES
	cat > "$T/location.conf" <<'CONF'
set $pass_access_scheme $scheme;
set $pass_server_port $server_port;
set $best_http_host $http_host;
set $pass_port $pass_server_port;
client_max_body_size 1m;
proxy_set_header Host $best_http_host;
proxy_set_header Upgrade $http_upgrade;
proxy_set_header Connection $connection_upgrade;
proxy_set_header X-Request-ID $req_id;
proxy_set_header X-Real-IP $remote_addr;
proxy_set_header X-Forwarded-For $remote_addr;
proxy_set_header X-Forwarded-Host $best_http_host;
proxy_set_header X-Forwarded-Port $pass_port;
proxy_set_header X-Forwarded-Proto $pass_access_scheme;
proxy_set_header X-Forwarded-Scheme $pass_access_scheme;
proxy_set_header X-Scheme $pass_access_scheme;
proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;
proxy_set_header Proxy "";
proxy_connect_timeout 5s;
proxy_send_timeout 60s;
proxy_read_timeout 60s;
proxy_buffering off;
proxy_buffer_size 4k;
proxy_buffers 4 4k;
proxy_request_buffering on;
proxy_http_version 1.1;
proxy_next_upstream error timeout;
proxy_next_upstream_tries 3;
proxy_pass http://upstream_balancer;
CONF
	{
		cat <<CONF
worker_processes 1;
worker_rlimit_nofile 16384;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 8192; multi_accept on; }
http {
	client_body_temp_path $T/nginx-body;
	proxy_temp_path $T/nginx-proxy;
	tcp_nopush on;
	tcp_nodelay on;
	reset_timedout_connection on;
	keepalive_timeout 75s;
	keepalive_requests 1000;
	client_header_buffer_size 1k;
	large_client_header_buffers 4 8k;
	client_body_buffer_size 8k;
	server_names_hash_max_size $(awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) b += length("h" i ".bench.test")
		for (m = 1024; m < b; m *= 2); print m }');
	server_names_hash_bucket_size 64;
	log_format upstreaminfo '\$remote_addr - \$remote_user [\$time_local] "\$request" \$status \$body_bytes_sent "\$http_referer" "\$http_user_agent" \$request_length \$request_time [\$proxy_upstream_name] [] \$upstream_addr \$upstream_response_length \$upstream_response_time \$upstream_status \$req_id';
	access_log $T/nginx-access.log upstreaminfo;
	map \$http_upgrade \$connection_upgrade { default upgrade; '' ''; }
	map \$http_x_request_id \$req_id { default \$http_x_request_id; "" \$request_id; }
	upstream upstream_balancer {
		server $UP;
		keepalive 320;
		keepalive_time 1h;
		keepalive_timeout 60s;
		keepalive_requests 10000;
	}
	server {
		listen 127.0.0.1:$NGINX_PORT default_server reuseport backlog=4096;
		server_name _;
		set \$proxy_upstream_name "-";
		location / { return 404; }
	}
CONF
		awk -v n="$1" -v port=$NGINX_PORT -v loc="$T/location.conf" 'BEGIN {
			for (i = 1; i <= n; i++)
				printf "\tserver {\n\t\tserver_name h%d.bench.test;\n\t\tlisten 127.0.0.1:%d;\n" \
					"\t\tset $proxy_upstream_name \"ingbench-up-80\";\n" \
					"\t\tlocation / { include %s; }\n\t}\n", i, port, loc
		}'
		if [ "$HTTPS" = 1 ]; then nginx_tls_servers "$T/location.conf"; fi
		echo "}"
	} > "$T/nginx.conf"
}

# HAProxy as a user would write it: a map of hosts to backends, the
# headers ingress-nginx sets, connections to the upstream reused.
haproxy_conf() { # RULES
	awk -v n="$1" -v tls="$TLS_HOST" 'BEGIN { for (i = 1; i <= n; i++) printf "h%d.bench.test up\n", i
		print tls " up" }' > "$T/hosts.map"
	cat > "$T/haproxy.cfg" <<CONF
global
	nbthread 1
	maxconn 8000
	log stdout format raw local0
$([ "$HTTPS" = 1 ] && haproxy_tls_global)
defaults
	mode http
	log global
	option httplog
	option forwardfor
	http-reuse always
	timeout connect 5s
	timeout client 60s
	timeout server 60s
	timeout http-keep-alive 75s
frontend ing
	bind 127.0.0.1:$HAPROXY_PORT
$([ "$HTTPS" = 1 ] && haproxy_tls_bind)
	unique-id-format %[rand(4294967295),hex]%[rand(4294967295),hex]%[rand(4294967295),hex]%[rand(4294967295),hex]
	unique-id-header X-Request-ID
	http-request set-header X-Real-IP %[src]
	http-request set-header X-Forwarded-Host %[req.hdr(host)]
	http-request set-header X-Forwarded-Port %[dst_port]
	http-request set-header X-Forwarded-Proto https if { ssl_fc }
	http-request set-header X-Forwarded-Proto http unless { ssl_fc }
	use_backend %[req.hdr(host),field(1,:),lower,map($T/hosts.map)]
	default_backend default
backend up
	server s $UP
backend default
	http-request return status 404
CONF
}

# Until TARGET's URL answers 200 for the last host.
wait_200() { # url host what
	for _ in $(seq 600); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -H "Host: $2" "$1")" = 200 ] &&
			return 0
		sleep 0.1
	done
	echo "bench/ingress: $3 does not answer 200 for $2" >&2
	tail -n 5 "$T/k1s.log" "$T/nginx.err" >&2
	exit 1
}

# One row: "pattern/rules target req/s p50 p99 cpu0% cpu1% proxy%", where
# proxy% is the CPU time of process PID (all its threads) over the run.
row() { # pattern rules target pid url wrk-args...
	key=$1/$2 tgt=$3 pid=$4 url=$5
	shift 5
	p0=$(proccpu "$pid")
	m=$($MEASURE "$url" "$@" 2>"$T/err")
	p1=$(proccpu "$pid")
	[ -s "$T/err" ] && echo "$key $tgt:$(cat "$T/err")" >> "$T/notes"
	echo "$key $tgt $m $(awk -v a="$p0" -v b="$p1" -v d="$DUR" -v hz="$HZ" \
		'BEGIN { printf "%.0f", (b - a) * 100 / hz / d }')" \
		>> "$T/rows"
}
# Every pattern through one target.
run_target() { # rules target pid url host
	row keepalive "$1" "$2" "$3" "$4" -H "Host: $5"
	row newconn "$1" "$2" "$3" "$4" -H "Host: $5" -H "Connection: close"
	row get1m "$1" "$2" "$3" "${4}1m" -H "Host: $5"
	row post1m "$1" "$2" "$3" "$4" -H "Host: $5" -s "$T/post.lua"
}

: > "$T/rows"
: > "$T/notes"
# nginx serves from its worker; the master only waits.
for _ in $(seq 50); do [ -s "$T/upstream.pid" ] && break; sleep 0.1; done
UP_WORKER=$(pgrep -P "$(cat "$T/upstream.pid")" | head -1)
FIRST=$(echo "$RULES" | awk '{ print $1 }')	# the direct rows go with it
for n in $RULES; do
	python3 "$HERE/ingresses.py" populate --server "$API" --rules "$n" --backend $UP
	nginx_conf "$n"
	haproxy_conf "$n"
	for p in $PROXIES; do kill "$p"; wait "$p" 2>/dev/null || true; done
	taskset -c 0 nginx -c "$T/nginx.conf" -g 'daemon off;' & NGINX_PID=$!
	taskset -c 0 haproxy -f "$T/haproxy.cfg" >> "$T/haproxy-access.log" 2>&1 & HAPROXY_PID=$!
	PROXIES="$NGINX_PID $HAPROXY_PID"
	host=h$n.bench.test
	wait_200 http://127.0.0.1:$NGINX_PORT/ "$host" nginx
	wait_200 http://127.0.0.1:$HAPROXY_PORT/ "$host" HAProxy
	wait_200 http://127.0.0.1:$K1S_PORT/ "$host" k1s
	# The same work through each: the whole 1 MiB back, a 1 MiB body taken.
	for port in $NGINX_PORT $HAPROXY_PORT $K1S_PORT; do
		got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H "Host: $host" \
			"http://127.0.0.1:$port/1m")
		posted=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $host" \
			--data-binary "@$T/1m" "http://127.0.0.1:$port/")
		[ "$got $posted" = "200 1048576 200" ] ||
			{ echo "bench/ingress: port $port: GET /1m $got, POST 1 MiB $posted" >&2; exit 1; }
	done
	NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)
	tls=0
	[ "$HTTPS" = 1 ] && [ "$n" = "$FIRST" ] && tls=1 && tls_check
	rep=1
	while [ "$rep" -le "$REPEAT" ]; do
		if [ "$HTTP" = 1 ]; then
			[ "$n" = "$FIRST" ] &&
				run_target - direct "$UP_WORKER" "http://$UP/" "$host"
			run_target "$n" nginx "$NGINX_WORKER" "http://127.0.0.1:$NGINX_PORT/" "$host"
			run_target "$n" haproxy "$HAPROXY_PID" "http://127.0.0.1:$HAPROXY_PORT/" "$host"
			run_target "$n" k1s "$K1S_PID" "http://127.0.0.1:$K1S_PORT/" "$host"
		fi
		[ "$tls" = 1 ] && tls_targets "$n"
		rep=$((rep + 1))
	done
	[ "$HTTP" = 1 ] && python3 "$HERE/ingresses.py" reconcile --server "$API" --ingress 127.0.0.1:$K1S_PORT \
		--backend $UP --other $OTHER --rounds "$ROUNDS" --label "beside $n rules: " \
		>> "$T/reconcile"
	true
done

# The table: per pattern, the rows by rules, and k1s's ratios to the
# rivals measured beside it (req/s, and req/s per core of the proxy's CPU).
medians "$T/rows" > "$T/median"
echo "Each figure: the median of $REPEAT runs of ${DUR} s, $CONNS connections. busy%: CPU 0"
echo "(proxy and upstream), CPU 1 (wrk); proxy%: the proxy process's own CPU; /core: req/s"
echo "per core of it. k1s/nginx, k1s/haproxy: req/s ratio, then the per-core ratio. Where"
echo "cpu1% is near 100, req/s is wrk's limit (or a neighbour's load): compare /core."
printf '%-16s %-8s %9s %8s %8s %5s %5s %6s %9s %11s %11s\n' pattern/rules target req/s \
	p50ms p99ms cpu0% cpu1% proxy% /core k1s/nginx k1s/haproxy
for pat in keepalive newconn get1m post1m tls-keepalive tls-full tls-resumed tls-get1m; do
	grep "^$pat/" "$T/median" || true
done | awk '
{ k[NR] = $0; r[$1, $2] = $3; c[$1, $2] = $8 > 0 ? $3 * 100 / $8 : 0 }
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
END {
	for (i = 1; i <= NR; i++) {
		split(k[i], f, " ")
		split(f[1], pn, "/")
		if (pn[1] != last && last != "") print ""
		last = pn[1]
		if (f[3] == "-") { printf "%-16s %-8s %9s\n", f[1], f[2], "n/a"; continue }
		rn = rh = "-"
		if (f[2] == "k1s") {
			rn = ratio(f[3], r[f[1], "nginx"]) " " ratio(c[f[1], "k1s"], c[f[1], "nginx"])
			rh = ratio(f[3], r[f[1], "haproxy"]) " " ratio(c[f[1], "k1s"], c[f[1], "haproxy"])
		}
		printf "%-16s %-8s %9s %8s %8s %5s %5s %6s %9.0f %11s %11s\n", f[1], f[2], f[3], f[4],
			f[5], f[6], f[7], f[8], c[f[1], f[2]], rn, rh
	}
}'
sort -u "$T/notes"

echo
[ -s "$T/reconcile" ] && cat "$T/reconcile"
if [ "$HTTPS" = 1 ]; then echo; tls_crypto_speed; fi
