#!/bin/bash
# kill -9 during a stream of writes: after a restart every write that was
# acknowledged (201) is there, with the default durable store setting.
. "$(dirname "$0")/lib.sh"
need kubectl curl python3
start_k1s

# Two writers, each recording the names the server acknowledged.
writer() {
	local id=$1 i=0
	while :; do
		i=$((i + 1))
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SERVER/api/v1/namespaces/default/configmaps" \
			-H 'Content-Type: application/json' \
			-d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"w$id-$i\"},\"data\":{\"i\":\"$i\"}}") || break
		[ "$code" = 201 ] && echo "w$id-$i" >>"$TMP/acked.$id"
		[ "$code" = 000 ] && break
	done
}
for round in 1 2 3; do
	writer a & wa=$!
	writer b & wb=$!
	sleep "0.$((RANDOM % 7 + 3))"
	kill -9 "$K1S_PID"; wait "$K1S_PID" 2>/dev/null || true; K1S_PID=
	wait $wa $wb 2>/dev/null || true
	start_k1s
	k get configmaps -o name >"$TMP/present"
	acked=$(cat "$TMP"/acked.* 2>/dev/null | wc -l)
	missing=$(cat "$TMP"/acked.* 2>/dev/null | sed 's|^|configmap/|' | grep -vxFf "$TMP/present" | wc -l)
	[ "$acked" -gt 0 ] || fail "round $round: no write was acknowledged"
	[ "$missing" = 0 ] || fail "round $round: $missing of $acked acknowledged writes lost"
	echo "ok - round $round: $acked acknowledged writes survived kill -9"
done
expect_out "the system objects survive too" "kubernetes" k get svc
echo "1..1 passed"
