#!/bin/sh
# NetworkPolicy's cost: requests between two pods with keep-alive and with
# a new connection per request, directly to the server pod's address
# (judged by the kernel's forward hook) and through its Service's cluster
# IP (the input hook's gate and the dataplane's evaluator), with the
# policy module off (the baseline: what k1s is without it) and on with 0,
# 100 and 1,000 policies selecting the server; then the latency from the
# API's 201 to the kernel dropping the flow, and from the delete's 200 to
# it passing again (np_latency.c).
#
#   bench/policy/run.sh [BUILD_DIR]       (root; runs its own k1s serve)
#
# The server is nginx in a pod, wrk runs in the client pod's network
# namespace on CPU 1 (bench-notes.md). DUR (s, default 10), REPEAT
# (default 3, medians), CONNS (default 50), NPOL (default "0 100 1000"),
# TRIALS (latency trials, default 50), LOG (k1s's --log-level, default warn).
set -eu
. "$(dirname "$0")/../lib.sh"
B=${1:-build}
DUR=${DUR:-10}
REPEAT=${REPEAT:-3}
CONNS=${CONNS:-50}
NPOL=${NPOL:-0 100 1000}
TRIALS=${TRIALS:-50}
LOG=${LOG:-warn}
PORT=18093
API=http://127.0.0.1:$PORT
# Not under /tmp: a pod has a /tmp (and /var/tmp, /run) of its own, and
# sees the rest of the host read-only, where its nginx reads its config.
T=$(mktemp -d /var/lib/np-bench.XXXXXX)
chmod 755 "$T"
K1S=""

stop_k1s() {
	[ -n "$K1S" ] || return 0
	kill -INT "$K1S" 2>/dev/null || true	# SIGINT: the pods stop too
	wait "$K1S" 2>/dev/null || true
	K1S=""
}
cleanup() {
	stop_k1s
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT INT TERM
# shellcheck disable=SC3045
ulimit -n 65536 2>/dev/null || true

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
fi
cc -O2 -o "$T/np_latency" "$(dirname "$0")/np_latency.c" -lpthread

cat > "$T/nginx.conf" <<CONF
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr;
events { worker_connections 20000; }
http {
	access_log off;
	client_body_temp_path /tmp/body;
	proxy_temp_path /tmp/proxy;
	fastcgi_temp_path /tmp/fastcgi;
	uwsgi_temp_path /tmp/uwsgi;
	scgi_temp_path /tmp/scgi;
	keepalive_requests 1000000;
	server { listen 8080 reuseport; location / { return 200 "ok\n"; } }
}
CONF

post() { # path json
	curl -sf -o /dev/null -X POST -H Content-Type:application/json "$API$1" -d "$2"
}
pod_ip() {
	curl -sf "$API/api/v1/namespaces/default/pods/$1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["status"].get("podIP",""))'
}
wait_ready() { # pod
	for _ in $(seq 200); do
		curl -sf "$API/api/v1/namespaces/default/pods/$1" | python3 -c 'import json,sys
c = json.load(sys.stdin)["status"].get("conditions", [])
sys.exit(0 if any(x["type"] == "Ready" and x["status"] == "True" for x in c) else 1)' && return 0
		sleep 0.1
	done
	echo "pod $1 is not ready" >&2
	exit 1
}

start_k1s() { # on|off
	rm -rf "$T/data"
	"$B/k1s" serve --data-dir "$T/data" --port "$PORT" --ingress-listen none \
		--network-policy "$1" --log-level "$LOG" 2>"$T/k1s.log" &
	K1S=$!
	for _ in $(seq 300); do
		curl -sf "$API/readyz" >/dev/null 2>&1 && break
		sleep 0.1
	done
	post /api/v1/namespaces/default/pods '{"apiVersion":"v1","kind":"Pod",
	  "metadata":{"name":"srv","labels":{"app":"srv"}},
	  "spec":{"containers":[{"name":"nginx","image":"nginx","command":["nginx","-c","'"$T"'/nginx.conf",
	  "-g","daemon off;"],"ports":[{"containerPort":8080}]}]}}'
	post /api/v1/namespaces/default/pods '{"apiVersion":"v1","kind":"Pod",
	  "metadata":{"name":"lat","labels":{"app":"lat"}},
	  "spec":{"containers":[{"name":"echo","image":"echo","ports":[{"containerPort":80}]}]}}'
	post /api/v1/namespaces/default/pods '{"apiVersion":"v1","kind":"Pod",
	  "metadata":{"name":"client","labels":{"app":"client"}},
	  "spec":{"containers":[{"name":"sleep","image":"busybox","command":["sleep","86413"]}]}}'
	post /api/v1/namespaces/default/services '{"apiVersion":"v1","kind":"Service",
	  "metadata":{"name":"srv"},"spec":{"selector":{"app":"srv"},
	  "ports":[{"port":80,"targetPort":8080}]}}'
	for p in srv lat client; do wait_ready $p; done
	SRV=$(pod_ip srv)
	LAT=$(pod_ip lat)
	VIP=$(curl -sf "$API/api/v1/namespaces/default/services/srv" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["clusterIP"])')
	CPID=$(pgrep -f 'sleep 86413' | head -1)
	RUN="nsenter --net=/proc/$CPID/ns/net"
	for _ in $(seq 100); do
		$RUN curl -sf -o /dev/null "http://$VIP/" && break
		sleep 0.1
	done
}

# N policies that select the server: one lets the client in, the others
# other pods and address blocks, so the server's sets hold N elements.
policies() { # n
	[ "$1" -gt 0 ] || return 0
	post /apis/networking.k8s.io/v1/namespaces/default/networkpolicies '{"apiVersion":
	  "networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"allow-client"},
	  "spec":{"podSelector":{"matchLabels":{"app":"srv"}},"ingress":[{"from":[{"podSelector":
	  {"matchLabels":{"app":"client"}}}],"ports":[{"port":8080}]}]}}'
	i=1
	while [ "$i" -lt "$1" ]; do
		post /apis/networking.k8s.io/v1/namespaces/default/networkpolicies '{"apiVersion":
		  "networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"np-'$i'"},
		  "spec":{"podSelector":{"matchLabels":{"app":"srv"}},"ingress":[{"from":[
		  {"podSelector":{"matchLabels":{"peer":"p'$i'"}}},
		  {"ipBlock":{"cidr":"172.16.'$((i / 256)).$((i % 256))'/32"}}],
		  "ports":[{"port":'$((9000 + i))'}]}]}}'
		i=$((i + 1))
	done
	sleep 1
}

rows() { # label
	for r in $(seq "$REPEAT"); do
		echo "keepalive-pod $1 $(measure "http://$SRV:8080/")"
		echo "newconn-pod $1 $(measure "http://$SRV:8080/" -H "Connection: close")"
		echo "keepalive-svc $1 $(measure "http://$VIP/")"
		echo "newconn-svc $1 $(measure "http://$VIP/" -H "Connection: close")"
	done
}

: > "$T/rows"
start_k1s off
rows off >> "$T/rows"
stop_k1s
for n in $NPOL; do
	start_k1s on
	policies "$n"
	rows "$n" >> "$T/rows"
	[ "$n" = "$(echo "$NPOL" | awk '{print $NF}')" ] &&
		"$T/np_latency" "$PORT" "$CPID" "$LAT" 80 default app=lat "$TRIALS" > "$T/lat"
	stop_k1s
done

echo "policy bench: $(nproc) cores, ${DUR}s x $REPEAT runs (medians), $CONNS connections"
echo "pattern          policies   req/s  p50ms  p99ms  cpu0% cpu1%  ratio to module off"
medians "$T/rows" | awk '
	$2 == "off" { base[$1] = $3 }
	{ r = ($1 in base) && base[$1] > 0 ? sprintf("%.3f", $3 / base[$1]) : "-"
	  printf "%-16s %-8s %8s %6s %6s %5s %5s  %s\n", $1, $2, $3, $4, $5, $6, $7, r }'
medians "$T/rows" | awk '
	$1 ~ /^newconn/ { rps[$1, $2] = $3; if (!($1 in seen)) { seen[$1]; order[++n] = $1 } ; ks[$2] }
	END { for (i = 1; i <= n; i++) for (k in ks) if (k != "off" && rps[order[i], k] > 0 &&
		rps[order[i], "off"] > 0)
		printf "cost per connection, %s with %s policies: %.1f us\n", order[i], k,
			(1e6 / rps[order[i], k] - 1e6 / rps[order[i], "off"]) }'
echo "apply-to-enforced, $(echo "$NPOL" | awk '{print $NF}') policies present:"
tail -n 1 "$T/lat"
