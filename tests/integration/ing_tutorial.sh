#!/bin/bash
# The tutorial's Ingress (04-ingress.yaml) in front of the full stack, as a
# learner tries it with curl and kubectl: myapp.com/ reaches a frontend
# pod, myapp.com/api/x an api pod with the path rewritten, admin.myapp.com
# answers 503 until admin-service exists and then reaches it, an unknown
# host gets the default backend's 404; `kubectl get ingress` shows CLASS,
# HOSTS, ADDRESS and PORTS; the headers ingress-nginx sets reach the pod;
# a smuggling attempt gets 400; an annotation k1s does not implement is a
# Warning event; a deleted Ingress stops routing. Needs root (pods).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3

IPORT=$(free_port)
start_k1s --ingress-listen 192.0.2.10,127.0.0.1 --ingress-http-port "$IPORT"
k create namespace ing-it >/dev/null
k() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n ing-it "$@"; }
finish() {
	[ -n "$K1S_PID" ] && { k delete namespace ing-it --wait=false >/dev/null 2>&1 || true; }
	cleanup
}
trap finish EXIT

# get HOST PATH [curl args]: the body, with the status code on the last line.
get() {
	local host=$1 path=$2
	shift 2
	curl -s --max-time 5 --resolve "$host:$IPORT:127.0.0.1" -w '\n%{http_code}' \
		"http://$host:$IPORT$path" "$@"
}
code() { get "$@" | tail -n 1; }
field() { # JSON-FIELD: from the echo app's answer on stdin
	python3 -c 'import json,sys
d=json.loads(sys.stdin.read().rstrip("\n").rsplit("\n",1)[0])
for k in sys.argv[1].split("."): d=d[k] if isinstance(d,dict) else None
print(d if d is not None else "")' "$1"
}

k apply -f "$MANIFESTS/07-full-stack.yaml" >/dev/null
k apply -f "$MANIFESTS/04-ingress.yaml" >/dev/null
wait_until "2 frontend and 3 api pods ready" 60 \
	'test "$(ready_count app=frontend)$(ready_count app=api)" = 23'
wait_until "their endpoints" 20 'test "$(ep_count frontend-service)$(ep_count api-service)" = 23'

wait_for "kubectl get ingress shows the address" 10 \
	bash -c "kubectl -s $SERVER --cache-dir $TMP/kcache -n ing-it get ingress app-ingress | grep -q 192.0.2.10"
expect_out "CLASS HOSTS ADDRESS PORTS" \
	'^app-ingress +nginx +myapp.com,admin.myapp.com +192.0.2.10 +80 ' k get ingress app-ingress

wait_until "myapp.com/ answers" 10 'test "$(code myapp.com /)" = 200'
out=$(get myapp.com /)
[[ $(field pod <<<"$out") == frontend-* ]] || fail "myapp.com/ reached: $out"
echo "ok - myapp.com/ reaches a frontend pod"
[ "$(field request.path <<<"$out")" = / ] || fail "the frontend saw path: $out"

out=$(get myapp.com '/api/x?q=1')
[[ $(field pod <<<"$out") == api-* ]] || fail "myapp.com/api/x reached: $out"
echo "ok - myapp.com/api/x reaches an api pod"
# ingress-nginx writes `rewrite "(?i)/api" / break;`: nginx replaces the
# whole URI with "/" and keeps the query string.
[ "$(field request.path <<<"$out")" = / ] ||
	fail "rewrite-target: the api pod saw $(field request.path <<<"$out"), not /"
[ "$(field request.query <<<"$out")" = "q=1" ] || fail "the query was not kept: $out"
echo "ok - its path is rewritten as ingress-nginx rewrites it, the query kept"

# The headers ingress-nginx sets (nginx.tmpl's proxy_set_header lines).
out=$(get myapp.com /h -H 'X-Forwarded-For: 203.0.113.7')
[ "$(field request.headers.X-Forwarded-Host <<<"$out")" = "myapp.com:$IPORT" ] || fail "X-Forwarded-Host: $out"
[ "$(field request.headers.X-Forwarded-Proto <<<"$out")" = http ] || fail "X-Forwarded-Proto: $out"
[ "$(field request.headers.X-Forwarded-Port <<<"$out")" = "$IPORT" ] || fail "X-Forwarded-Port: $out"
[ "$(field request.headers.X-Real-IP <<<"$out")" = 127.0.0.1 ] || fail "X-Real-IP: $out"
[ "$(field request.headers.X-Forwarded-For <<<"$out")" = "203.0.113.7, 127.0.0.1" ] ||
	fail "X-Forwarded-For is not appended to: $out"
[[ $(field request.headers.X-Request-ID <<<"$out") =~ ^[0-9a-f]{32}$ ]] || fail "X-Request-ID: $out"
echo "ok - X-Forwarded-*, X-Real-IP and X-Request-ID reach the pod"

expect_out "admin.myapp.com answers 503 without admin-service" '^503$' code admin.myapp.com /
k create deployment admin --image=my-admin:1.0 --port=80 >/dev/null
k expose deployment admin --name admin-service --port 80 >/dev/null
admin_reached() {
	test "$(code admin.myapp.com /)" = 200 && return 0
	# Said when it never comes: what the ingress had to go on.
	echo "# admin.myapp.com: $(code admin.myapp.com /)"
	k get pods -l app=admin -o wide
	k get endpoints admin-service -o yaml
	return 1
}
wait_for "and reaches it once it exists" 30 admin_reached
[[ $(get admin.myapp.com / | field pod) == admin-* ]] || fail "admin.myapp.com reached another pod"

out=$(get unknown.example /)
[ "$(tail -n 1 <<<"$out")" = 404 ] || fail "an unknown host got: $out"
grep -q '<center>nginx</center>' <<<"$out" || fail "the 404 is not the default backend's: $out"
echo "ok - an unknown host gets the default backend's 404"

# Keep-alive: two requests on one connection.
out=$(curl -s --max-time 5 --resolve "myapp.com:$IPORT:127.0.0.1" -o /dev/null -o /dev/null \
	-w '%{num_connects}\n' "http://myapp.com:$IPORT/a" "http://myapp.com:$IPORT/b")
[ "$(awk '{s+=$1} END {print s}' <<<"$out")" = 1 ] || fail "two requests took $out connections"
echo "ok - a client connection is kept alive across requests"

# A body streams through: 4 MiB, chunked, under the Ingress's proxy-body-size;
# one over it gets 413.
k annotate ingress app-ingress nginx.ingress.kubernetes.io/proxy-body-size=8m >/dev/null
head -c 4194304 /dev/zero >"$TMP/mib"
out=$(get myapp.com /upload -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/mib" \
	-H 'Content-Type: application/octet-stream')
[ "$(field request.bodyBytes <<<"$out")" = 4194304 ] || fail "the pod got: $out"
echo "ok - a chunked 4 MiB body reaches the pod whole"
head -c 9000000 /dev/zero >"$TMP/big"
expect_out "a body over proxy-body-size gets 413" '^413$' code myapp.com /upload --data-binary @"$TMP/big"

# Request smuggling: Content-Length with Transfer-Encoding is refused.
smuggle=$(python3 - "$IPORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"POST / HTTP/1.1\r\nHost: myapp.com\r\nContent-Length: 4\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: myapp.com\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(data.count(b"HTTP/1.1 "), data.split(b"\r\n", 1)[0].decode())
EOF
)
[ "$smuggle" = "1 HTTP/1.1 400 Bad Request" ] || fail "a smuggling attempt got: $smuggle"
echo "ok - Content-Length with Transfer-Encoding gets one 400 and the connection ends"

k annotate ingress app-ingress nginx.ingress.kubernetes.io/enable-opentelemetry=true >/dev/null
wait_for "an annotation k1s does not implement is a Warning event" 10 \
	bash -c "kubectl -s $SERVER --cache-dir $TMP/kcache -n ing-it get events \
		--field-selector involvedObject.name=app-ingress | grep -q enable-opentelemetry"

# The tutorial's debugging command: the access log, in ingress-nginx's format.
expect_out "kubectl logs -n ingress-nginx shows the access log" \
	'^127\.0\.0\.1 - - \[[^]]+\] "GET /api/x\?q=1 HTTP/1\.1" 200 [0-9]+ "-" "curl/[^"]+" [0-9]+ [0-9.]+ \[ing-it-api-service-80\] \[\] [0-9.]+:3000 ' \
	kubectl -s "$SERVER" --cache-dir "$TMP/kcache" logs -n ingress-nginx -l app.kubernetes.io/name=ingress-nginx --tail=-1

# The face pod's address is where the ingress answers too, and requests
# reach pods from it, as from ingress-nginx's pod.
FACE=$(kubectl -s "$SERVER" --cache-dir "$TMP/kcache" get pods -n ingress-nginx \
	-l app.kubernetes.io/name=ingress-nginx -o jsonpath='{.items[0].status.podIP}')
[ -n "$FACE" ] || fail "the ingress's face pod has no IP"
out=$(curl -s --max-time 5 -H 'Host: myapp.com' "http://$FACE/")
[[ $(field pod <<<"$out") == frontend-* ]] || fail "the face's address $FACE answered: $out"
[[ $(field request.remoteAddr <<<"$out") == "$FACE":* ]] || fail "the pod saw the request come from: $out"
echo "ok - the face pod's address $FACE answers, and pods see requests come from it"

k delete ingress app-ingress >/dev/null
wait_until "a deleted Ingress stops routing" 10 'test "$(code myapp.com /)" = 404'
