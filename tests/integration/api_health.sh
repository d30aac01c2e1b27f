#!/bin/bash
# /livez, /readyz and /healthz as kube-apiserver answers them, with the
# real kubectl and curl: the verbose list names every module's check,
# exclude, a check's own path, 404 for a check that is not there, a
# failing check (logging to a full device) as a 500 with its reason
# withheld, and /readyz failing first during --shutdown-delay-duration.
# And the start order: after a restart nothing answers until every module
# has reconciled, so by the first answer a Service created before the
# restart already forwards and resolves. Needs root (pods, port 53).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl dig

# 10.96.0.10, unless another k1s on this machine (a benchmark) holds it.
DNS_IP=10.96.0.10
if ss -Hlun "src $DNS_IP:53" 2>/dev/null | grep -q .; then
	DNS_IP=10.111.254.252
	echo "# 10.96.0.10:53 is taken on this machine: using $DNS_IP"
fi
ARGS="--dns-ip $DNS_IP --shutdown-delay-duration 4"

start_k1s $ARGS
k create namespace health-it >/dev/null
k() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n health-it "$@"; }

CHECKS='[+]ping ok
[+]log ok
[+]etcd ok
[+]controllers ok
[+]pods ok
[+]dataplane ok
[+]dns ok
[+]ingress ok
[+]policy ok'

# ---- the endpoints, with kubectl ----
expect_out "kubectl get --raw /livez" '^ok$' k get --raw /livez
out=$(k get --raw '/readyz?verbose')
[ "$out" = "$CHECKS"$'\n[+]shutdown ok\nreadyz check passed' ] ||
	fail "/readyz?verbose lists every module's check, got:"$'\n'"$out"
echo "ok - kubectl get --raw '/readyz?verbose' names every module's check"
out=$(k get --raw '/livez?verbose')
[ "$out" = "$CHECKS"$'\nlivez check passed' ] || fail "/livez?verbose, got:"$'\n'"$out"
echo "ok - /livez?verbose: the same checks, shutdown being a readiness check"
expect_out "/healthz?verbose" 'healthz check passed' k get --raw '/healthz?verbose'
expect_out "a check's own path" '^ok$' k get --raw /readyz/dataplane
expect_err "an unknown check is not found" 'NotFound' k get --raw /readyz/nope
expect_err "shutdown is not a liveness check" 'NotFound' k get --raw /livez/shutdown

# ---- the same with curl: status codes, headers, exclude ----
[ "$(http_code GET /readyz)" = 200 ] && [ "$(cat "$TMP/body")" = ok ] ||
	fail "/readyz: 200 ok"
curl -s -D "$TMP/head" -o /dev/null "$SERVER/readyz"
grep -qi '^Content-Type: text/plain; charset=utf-8' "$TMP/head" &&
	grep -qi '^X-Content-Type-Options: nosniff' "$TMP/head" ||
	fail "/readyz headers:"$'\n'"$(cat "$TMP/head")"
echo "ok - /readyz: 200, plain text, nosniff"
[ "$(http_code GET '/readyz?verbose&exclude=etcd&exclude=dns')" = 200 ] || fail "exclude: 200"
grep -qx '\[+\]etcd excluded: ok' "$TMP/body" && grep -qx '\[+\]dns excluded: ok' "$TMP/body" ||
	fail "exclude:"$'\n'"$(cat "$TMP/body")"
echo "ok - exclude"
http_code GET '/readyz?verbose&exclude=nope' >/dev/null
grep -qx 'warn: some health checks cannot be excluded: no matches for "nope"' "$TMP/body" ||
	fail "exclude of no check:"$'\n'"$(cat "$TMP/body")"
echo "ok - excluding no check warns"
[ "$(http_code GET /readyz/nope)" = 404 ] || fail "/readyz/nope: 404"
[ "$(http_code GET /livez/ping)" = 200 ] || fail "/livez/ping: 200"
echo "ok - 404 for an unknown check, 200 for a known one"

# ---- the start order ----
k create deployment api --image=my-api:1.0 --replicas=2 --port=3000 >/dev/null
k expose deployment api --name api-service --port 80 --target-port 3000 >/dev/null
ep_count() {
	k get endpoints api-service -o jsonpath='{range .subsets[*].addresses[*]}{.ip}{"\n"}{end}' |
		grep -c . || true
}
wait_until "2 endpoints" 60 'test "$(ep_count)" = 2'
CIP=$(k get svc api-service -o jsonpath='{.spec.clusterIP}')
NAME=api-service.health-it.svc.cluster.local

# During --shutdown-delay-duration /readyz fails first; the rest serves.
kill -TERM "$K1S_PID"
wait_until "after SIGTERM /readyz fails" 3 'test "$(http_code GET /readyz)" = 500'
grep -qx '\[-\]shutdown failed: reason withheld' "$TMP/body" &&
	grep -qx 'readyz check failed' "$TMP/body" || fail "/readyz:"$'\n'"$(cat "$TMP/body")"
expect_out "/readyz/shutdown says why" 'internal server error: process is shutting down' \
	curl -s "$SERVER/readyz/shutdown"
[ "$(http_code GET /livez)" = 200 ] || fail "/livez during the delay: 200"
expect_out "the service still forwards meanwhile" '"pod":"api-' curl -s --max-time 3 "http://$CIP/"
wait "$K1S_PID" 2>/dev/null || true
K1S_PID=
echo "ok - k1s ends after the delay"

# Restart, and ask from the first instant: every attempt is refused until
# the first answer, which is a ready one, and the service is served by then.
"$TMP/bin/k1s" serve --data-dir "$TMP/data" --port "$PORT" --node-ip 192.0.2.10 $ARGS \
	--pods-cgroup "$PODS_CGROUP" \
	>>"$TMP/k1s.log" 2>&1 &
K1S_PID=$!
code=000
for _ in $(seq 300); do
	# The service is asked in the same curl, right after the first answer.
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$SERVER/readyz" \
		--next -s -o "$TMP/svc" --max-time 2 "http://$CIP/") || true
	[ "$code" = 000 ] || break
	kill -0 "$K1S_PID" 2>/dev/null || fail "k1s did not start again"
	sleep 0.02
done
[ "$code" = 200 ] && [ "$(cat "$TMP/body")" = ok ] ||
	fail "the first answer after a restart is $code: $(cat "$TMP/body")"
echo "ok - nothing answers until /readyz is ok"
grep -q '"pod":"api-' "$TMP/svc" ||
	fail "the service does not forward at the first answer: $(cat "$TMP/svc")"
echo "ok - by then the service forwards"
expect_out "and resolves" "^$CIP\$" dig +short +time=1 +tries=1 @"$DNS_IP" "$NAME"

# A failing check: k1s whose log goes to a full device fails `log`.
stop_k1s
"$TMP/bin/k1s" serve --data-dir "$TMP/data" --port "$PORT" --node-ip 192.0.2.10 $ARGS \
	--pods-cgroup "$PODS_CGROUP" \
	>/dev/full 2>&1 &
K1S_PID=$!
wait_for "k1s answers with its log on /dev/full" 15 curl -s -o /dev/null "$SERVER/livez"
[ "$(http_code GET /livez)" = 500 ] || fail "/livez with logging failing: 500"
grep -qx '\[-\]log failed: reason withheld' "$TMP/body" &&
	grep -qx 'livez check failed' "$TMP/body" || fail "/livez:"$'\n'"$(cat "$TMP/body")"
echo "ok - a failing check: 500, its reason withheld"
[ "$(http_code GET /readyz/log)" = 500 ] && grep -q 'internal server error: logging failed' "$TMP/body" ||
	fail "/readyz/log:"$'\n'"$(cat "$TMP/body")"
echo "ok - its own path gives the reason"
[ "$(http_code GET '/livez?exclude=log')" = 200 ] || fail "/livez?exclude=log: 200"
echo "ok - excluded, it no longer fails"
