#!/bin/bash
# A damaged store file: k1s refuses to start, exits non-zero, and says
# which file, what SQLite found and what to do; it never answers on its
# port. A truncated store, one with garbage pages, and a file that is not
# SQLite at all.
. "$(dirname "$0")/lib.sh"
need kubectl curl python3

start_k1s
k create configmap one --from-literal=k=v >/dev/null
for i in $(seq 1 40); do echo "apiVersion: v1
kind: ConfigMap
metadata: {name: c$i}
data: {k: '$(head -c 2000 /dev/zero | tr '\0' x)'}
---"; done | k apply -f - >/dev/null
stop_k1s
cp "$TMP/data/k1s.db" "$TMP/good.db"
[ ! -s "$TMP/data/k1s.db-wal" ] || fail "a clean stop left a WAL"

refused() { # what: k1s must exit non-zero at once with the message
	local what=$1 rc=0
	PORT=$(free_port)
	timeout 20 "$TMP/bin/k1s" serve --data-dir "$TMP/data" --port "$PORT" --node-ip 192.0.2.10 \
		--pods-cgroup "$PODS_CGROUP" \
		--lb-pool 127.1.0.1-127.1.0.254 >"$TMP/refused.log" 2>&1 || rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] || { cat "$TMP/refused.log"; fail "$what: k1s exited $rc"; }
	grep -q "$TMP/data/k1s.db is damaged" "$TMP/refused.log" ||
		{ cat "$TMP/refused.log"; fail "$what: no line names the damaged file"; }
	grep -q "move $TMP/data/k1s.db and its -wal and -shm files aside" "$TMP/refused.log" ||
		fail "$what: no line says what to do"
	grep -q "serving the API" "$TMP/refused.log" && fail "$what: the API was served"
	echo "ok - $what: refused, exit $rc: $(grep -o 'is damaged ([^)]*)' "$TMP/refused.log" | head -1)"
}

size=$(stat -c %s "$TMP/good.db")
truncate -s $((size / 2)) "$TMP/data/k1s.db"
refused "a store cut in half"

cp "$TMP/good.db" "$TMP/data/k1s.db"
python3 - "$TMP/data/k1s.db" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(8 * 4096)
    f.write(bytes((i * 7919 + 13) & 0xff for i in range(3 * 4096)))
PY
refused "garbage in pages 9 to 11"

head -c 100000 /dev/urandom >"$TMP/data/k1s.db"
refused "a file that is not SQLite"

cp "$TMP/good.db" "$TMP/data/k1s.db"
start_k1s
expect_out "the intact store still starts and serves its objects" "c40" k get configmap c40
echo "1..1 passed"
