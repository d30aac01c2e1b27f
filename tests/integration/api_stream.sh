#!/bin/bash
# kubectl logs, exec, attach and port-forward on real pods: the streams a user meets,
# through the real kubectl (WebSocket v5.channel.k8s.io for exec/attach,
# chunked text for logs). Needs root (pods run in namespaces).
. "$(dirname "$0")/lib.sh"
need kubectl curl timeout
[ "$(id -u)" = 0 ] || { echo "SKIP: pods need root"; exit 77; }
start_k1s
if grep -q 'pods cannot run' "$TMP/k1s.log"; then
	echo "SKIP: $(grep -o 'pods cannot run.*' "$TMP/k1s.log")"
	exit 77
fi

# A server without the stream subresources answers 404 for any path.
code=$(http_code GET /api/v1/namespaces/default/pods/nope/log)
grep -q 'pods \\"nope\\" not found' "$TMP/body" ||
	{ echo "SKIP: pods/log is not served ($code)"; exit 77; }

k run ticker --image=busybox --restart=Never -- \
	sh -c 'echo hello; echo oops >&2; i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done' >/dev/null
for _ in $(seq 60); do
	[ "$(k get pod ticker -o 'jsonpath={.status.phase}')" = Running ] && break
	sleep 0.5
done
[ "$(k get pod ticker -o 'jsonpath={.status.phase}')" = Running ] || fail "pod ticker is not Running"
sleep 2

expect_out "logs" "hello" k logs ticker
expect_out "logs has stderr" "oops" k logs ticker
expect_out "logs --tail" "^tick [0-9]+$" k logs ticker --tail=1
[ "$(k logs ticker --tail=2 | wc -l)" = 2 ] || fail "logs --tail=2 gave not 2 lines"
echo "ok - logs --tail=2 is two lines"
expect_out "logs --timestamps" "^20[0-9-]+T[0-9:.]+Z tick [0-9]+$" k logs ticker --timestamps --tail=1
expect_out "logs --since" "tick" k logs ticker --since=1h
expect_out "logs --limit-bytes" "^hel$" k logs ticker --limit-bytes=3
expect_err "logs of an unknown container" "container nope is not valid for pod ticker" \
	k logs ticker -c nope
expect_err "logs of an unknown pod" 'pods "nope" not found' k logs nope

# Follow: new lines arrive while the stream is open.
timeout 3 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" logs -f ticker --tail=1 >"$TMP/follow.out" 2>&1 || true
[ "$(grep -c tick "$TMP/follow.out")" -ge 2 ] || fail "logs -f did not stream: $(cat "$TMP/follow.out")"
echo "ok - logs -f streams"

# Exec: channels 1 and 2, and the exit code through the channel 3 Status.
out=$(k exec ticker -- sh -c 'echo out; echo err >&2; exit 3' 2>&1) && fail "exec exit 3 succeeded"
rc=$?
[ "$rc" = 3 ] || fail "exec exit code $rc, expected 3: $out"
echo "$out" | grep -q '^out$' || fail "exec stdout: $out"
echo "$out" | grep -q '^err$' || fail "exec stderr: $out"
echo "ok - exec passes stdout, stderr and the exit code"
expect_out "exec stdin" "^piped$" bash -c "echo piped | kubectl -s $SERVER --cache-dir $TMP/kcache exec -i ticker -- cat"
expect_out "exec with a terminal" "on-tty" k exec -t ticker -- sh -c 'echo on-tty >&2'
expect_out "exec sees the pod's hostname" "^ticker$" k exec ticker -- hostname
expect_err "exec into an unknown container" "container nope is not valid for pod ticker" \
	k exec ticker -c nope -- true

# Sessions outlive kubectl's 61 s without a Pong only if pings are answered.
expect_out "a 65 s exec survives the heartbeat" "^done$" k exec ticker -- sh -c 'sleep 65; echo done'

# kubectl run -i attaches to the new pod's stdin and output.
expect_out "run -i --rm" "hi-from-run" \
	bash -c "echo hi-from-run | timeout 60 kubectl -s $SERVER --cache-dir $TMP/kcache run cat1 --image=busybox --restart=Never --rm -i -- cat"

# Port-forward (SPDY inside WebSocket, and plain SPDY): any image runs the
# echo server, whose HTTP answer names the pod.
k run web --image=nginx --port=80 >/dev/null
for _ in $(seq 60); do
	[ "$(k get pod web -o 'jsonpath={.status.phase}')" = Running ] && break
	sleep 0.5
done
# Running is not listening yet: kubectl port-forward gives up on a refused
# first connection, so wait until the app answers on the pod's address.
webip=$(k get pod web -o 'jsonpath={.status.podIP}')
for _ in $(seq 100); do curl -s --max-time 1 "http://$webip:80/" >/dev/null 2>&1 && break; sleep 0.1; done
LPORT=$(free_port)
k port-forward pod/web "$LPORT:80" >"$TMP/pf.out" 2>&1 &
PF=$!
for _ in $(seq 50); do curl -s "http://127.0.0.1:$LPORT/" >/dev/null 2>&1 && break; sleep 0.1; done
expect_out "port-forward over WebSocket" '"web"' curl -s "http://127.0.0.1:$LPORT/"
expect_out "port-forward, a second connection" '"web"' curl -s "http://127.0.0.1:$LPORT/again"
kill "$PF"; wait "$PF" 2>/dev/null || true
LPORT=$(free_port)
KUBECTL_PORT_FORWARD_WEBSOCKETS=false kubectl -s "$SERVER" --cache-dir "$TMP/kcache" \
	port-forward pod/web "$LPORT:80" >"$TMP/pf2.out" 2>&1 &
PF=$!
for _ in $(seq 50); do curl -s "http://127.0.0.1:$LPORT/" >/dev/null 2>&1 && break; sleep 0.1; done
expect_out "port-forward over plain SPDY" '"web"' curl -s "http://127.0.0.1:$LPORT/"
kill "$PF"; wait "$PF" 2>/dev/null || true

k delete pod ticker web --wait=false >/dev/null
echo "all stream checks passed"
