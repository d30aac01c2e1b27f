#!/bin/bash
# The data directory's file system fills up: writes answer 500 with
# kube-apiserver's InternalError naming the full disk, reads go on, the
# store logs it once, nothing acknowledged is lost; once space is freed,
# writes work again without a restart, a pod status that could not be
# written is written, and SQLite finds the store intact. Needs root (a
# small tmpfs as the data directory, and a pod).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3

mkdir -p "$TMP/data"
mount -t tmpfs -o size=16m,mode=0700 k1s-full "$TMP/data" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
finish() {
	if [ -n "$K1S_PID" ]; then
		k delete pod filler --wait=false >/dev/null 2>&1 || true
		kill -INT "$K1S_PID" 2>/dev/null; wait "$K1S_PID" 2>/dev/null
		K1S_PID=
	fi
	umount "$TMP/data" 2>/dev/null || umount -l "$TMP/data"
	cleanup
}
trap finish EXIT
start_k1s

expect_out "a write before the disk fills" "created" k create configmap before --from-literal=k=v
k run filler --image=example/echo >/dev/null
restarts() { k get pod filler -o jsonpath='{.status.containerStatuses[0].restartCount}'; }
filler_ready() { [ "$(ready_count run=filler)" = 1 ]; }
wait_for "the pod runs" 60 filler_ready

# Fill the file system; dd stops at ENOSPC.
dd if=/dev/zero of="$TMP/data/fill" bs=64k >/dev/null 2>&1 || true
[ "$(df --output=avail "$TMP/data" | tail -1)" -lt 64 ] || fail "the data directory did not fill"

msg='Internal error occurred: the data directory is full \(no space left on device\): nothing was written'
expect_err "kubectl create answers the full disk" "$msg" \
	k create configmap during --from-literal=k="$(head -c 4000 /dev/urandom | base64 -w0)"
code=$(http_code POST /api/v1/namespaces/default/configmaps -H 'Content-Type: application/json' \
	-d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"during2"},"data":{"k":"'"$(head -c 4000 /dev/urandom | base64 -w0)"'"}}')
[ "$code" = 500 ] || fail "POST answered $code, not 500"
python3 - "$TMP/body" <<'PY' || fail "the Status is not kube-apiserver's InternalError: $(cat "$TMP/body")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["kind"] == "Status" and s["code"] == 500 and s["reason"] == "InternalError", s
assert "data directory is full" in s["details"]["causes"][0]["message"], s
PY
echo "ok - the Status is an InternalError with the cause"
expect_err "any other write too" "data directory is full" k create deployment during --image=example/echo
expect_out "reads go on" "before" k get configmaps
expect_err "the failed write left nothing" "NotFound" k get configmap during

# The pod's process dies: the runtime restarts it, and its status (restart
# count 1) cannot be written while the disk is full.
pid=$(python3 -c 'import json,sys,glob; print(json.load(open(glob.glob(sys.argv[1]+"/pods/default_filler_*/state.json")[0]))["containers"]["filler"]["pid"])' "$TMP/data")
kill -9 "$pid"
sleep 3
[ "$(restarts)" = 0 ] ||
	fail "a status was written on a full disk"
kill -0 "$K1S_PID" || fail "k1s exited on a full disk"
lines=$(grep -c 'the disk is full' "$TMP/k1s.log" || true)
[ "$lines" = 1 ] || fail "the full disk was logged $lines times, not once"
echo "ok - the full disk is logged once"

rm -f "$TMP/data/fill"
expect_out "writes work again once space is freed" "created" k create configmap after --from-literal=k=v
kill -0 "$K1S_PID" || fail "k1s restarted"
restarted() { [ "$(restarts)" = 1 ]; }
wait_for "the pod's status is written once space is back" 15 restarted
grep -q 'space is back' "$TMP/k1s.log" || fail "no log line says that space is back"
expect_out "nothing acknowledged is lost" "before" k get configmap before

k delete pod filler --wait=true --timeout=30s >/dev/null
stop_k1s
python3 - "$TMP/data/k1s.db" <<'PY' || fail "integrity_check"
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchall()
assert r == [("ok",)], r
PY
echo "ok - PRAGMA integrity_check: ok"
echo "1..1 passed"
