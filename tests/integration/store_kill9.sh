#!/bin/bash
# kill -9 under 50 concurrent writers: the writes of many clients share a
# commit (group commit), yet after a restart on the same data directory
# every ConfigMap the server acknowledged (201) is there, with the default
# durable store setting. Three rounds, each killed at a random moment.
. "$(dirname "$0")/lib.sh"
need curl python3
start_k1s

# 50 writers, each on a keep-alive connection of its own, creating
# ConfigMaps with names of their own until the server goes; each records
# a name only once it has read the whole 201. The names go to $1.
cat >"$TMP/writers.py" <<'PY'
import http.client, json, sys, threading
port, out, rnd = int(sys.argv[1]), sys.argv[2], sys.argv[3]
acked = [[] for _ in range(50)]

def writer(w):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    while True:
        i += 1
        name = f"r{rnd}-w{w}-{i}"
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": name}, "data": {"i": str(i)}})
        try:
            c.request("POST", "/api/v1/namespaces/default/configmaps", body,
                      {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
        except Exception:
            return
        if r.status == 201:
            acked[w].append(name)
        elif r.status != 409:
            print(f"writer {w}: {name}: {r.status}", file=sys.stderr)
            return

ts = [threading.Thread(target=writer, args=(w,)) for w in range(50)]
for t in ts:
    t.start()
for t in ts:
    t.join()
with open(out, "w") as f:
    for a in acked:
        f.writelines(n + "\n" for n in a)
PY

# The store's commits and writes since k1s started, from /metrics.
counts() {
	curl -sf "$SERVER/metrics" | awk '$1 == "k1s_store_commits_total" { c = $2 }
		/^k1s_store_writes_total/ { w += $2 } END { print c, w }'
}

for round in 1 2 3; do
	read -r commits0 writes0 < <(counts)
	python3 "$TMP/writers.py" "$PORT" "$TMP/acked.$round" "$round" & writers=$!
	# Once the writers are under way, some moment later.
	for _ in $(seq 100); do
		read -r commits writes < <(counts)
		[ $((writes - writes0)) -lt 200 ] || break
		sleep 0.1
	done
	sleep "0.$((RANDOM % 7 + 3))"
	read -r commits writes < <(counts)
	commits=$((commits - commits0)) writes=$((writes - writes0))
	kill -9 "$K1S_PID"; wait "$K1S_PID" 2>/dev/null || true; K1S_PID=
	wait $writers || fail "round $round: the writers failed"
	# The writes were grouped: far fewer commits than writes.
	[ "$writes" -gt 0 ] && [ "$commits" -lt $((writes / 2)) ] ||
		fail "round $round: $commits commits for $writes writes: not grouped"
	start_k1s
	curl -sf "$SERVER/api/v1/namespaces/default/configmaps" |
		python3 -c 'import json, sys; [print(i["metadata"]["name"]) for i in json.load(sys.stdin)["items"]]' \
		>"$TMP/present"
	acked=$(cat "$TMP"/acked.* | wc -l)
	missing=$(grep -cvxFf "$TMP/present" "$TMP"/acked.* | awk -F: '{ s += $NF } END { print s }')
	[ "$(wc -l <"$TMP/acked.$round")" -gt 50 ] || fail "round $round: too few writes acknowledged"
	[ "$missing" = 0 ] || fail "round $round: $missing of $acked acknowledged writes lost"
	echo "ok - round $round: $acked acknowledged writes survived kill -9 ($commits commits for $writes writes before it)"
done
echo "1..1 passed"
