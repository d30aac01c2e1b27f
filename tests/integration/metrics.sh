#!/bin/bash
# /metrics as Prometheus scrapes it, against a real k1s: the text format
# 0.0.4's content type; the page parses with Prometheus's own Python
# parser (and promtool's linter, when installed), each family one group
# with its type; creating objects raises the store's write counters and
# commits, the controllers' reconcile histograms count their syncs, a
# flow a NetworkPolicy denies counts against that policy; on the HTTPS
# port the same page with the API's token and kube-apiserver's 401
# without it. Needs root (pods, nftables).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl timeout
# Debian's package installs for Debian's python3, whatever else is on PATH.
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
	{ echo "SKIP: python3-prometheus-client is not installed"; exit 77; }
PARSE=$(dirname "$0")/metrics_parse.py

start_k1s
finish() {
	[ -n "$K1S_PID" ] && { k delete deployments,services,networkpolicies --all \
		--wait=false >/dev/null 2>&1 || true; }
	cleanup
}
trap finish EXIT

# scrape NAME [curl args]: the page into $TMP/NAME.txt, its headers into
# $TMP/NAME.head, what the parser read of it into $TMP/NAME.parsed.
scrape() {
	local name=$1 url=${URL:-$SERVER/metrics}
	shift
	curl -s --max-time 10 -D "$TMP/$name.head" -o "$TMP/$name.txt" "$@" "$url" ||
		fail "curl $url"
	"$PY" "$PARSE" "$TMP/$name.txt" >"$TMP/$name.parsed" ||
		fail "/metrics does not parse:"$'\n'"$(head -40 "$TMP/$name.txt")"
}
# value NAME SAMPLE: a sample's value as the parser read it ("" if none);
# SAMPLE as metrics_parse.py prints it, labels sorted.
value() {
	awk -v s="$2" 'index($0, s " ") == 1 { print $NF }' "$TMP/$1.parsed"
}
# family_is NAME FAMILY TYPE
family_is() {
	grep -qx "# FAMILY $2 $3" "$TMP/$1.parsed" ||
		fail "no $3 family $2 in:"$'\n'"$(grep '^# FAMILY' "$TMP/$1.parsed")"
}
int() { printf '%.0f' "${1:-0}"; }

# ---- the page, before ----
scrape before
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$TMP/before.head" ||
	fail "content type: $(grep -i content-type "$TMP/before.head")"
echo "ok - GET /metrics is text/plain; version=0.0.4"
echo "ok - the page parses with prometheus_client, each family one group"
family_is before k1s_build_info gauge
family_is before process_start_time_seconds gauge
family_is before process_resident_memory_bytes gauge
family_is before k1s_store_writes counter
family_is before k1s_store_commits counter
family_is before k1s_store_commit_seconds histogram
family_is before k1s_reconcile_seconds histogram
family_is before k1s_networkpolicy_drops counter
family_is before k1s_flows counter
family_is before k1s_flow_bytes counter
family_is before k1s_flows_denied counter
echo "ok - build, process, store, reconcile, policy and flow families, with their types"
[ "$(value before 'k1s_build_info{git_version="v1.32.0-k1s",version="0.1.0"}')" = 1.0 ] ||
	fail "k1s_build_info: $(grep '^k1s_build_info' "$TMP/before.parsed")"
start=$(value before 'process_start_time_seconds{}')
now=$(date +%s)
[ "$(int "$start")" -le "$now" ] && [ "$(int "$start")" -gt $((now - 600)) ] ||
	fail "process_start_time_seconds $start, now $now"
[ "$(int "$(value before 'process_resident_memory_bytes{}')")" -gt 1000000 ] ||
	fail "process_resident_memory_bytes: $(value before 'process_resident_memory_bytes{}')"
echo "ok - k1s_build_info is 1, the start time is this run's, resident memory is counted"
if command -v promtool >/dev/null 2>&1; then
	expect_out "promtool check metrics" '' promtool check metrics <"$TMP/before.txt"
fi

# ---- objects and a denied flow ----
k create configmap m1 --from-literal=a=1 >/dev/null
k create configmap m2 --from-literal=a=2 >/dev/null
k delete configmap m1 >/dev/null
k create deployment web --image=my-other:1.0 --port=8080 >/dev/null
k create deployment client --image=my-other:1.0 >/dev/null
k expose deployment web --port 80 --target-port 8080 >/dev/null
k apply -f - >/dev/null <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: "deny-web"
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress]
YAML
pods_run=1
if grep -q 'pods cannot run' "$TMP/k1s.log"; then
	echo "# $(grep -o 'pods cannot run.*' "$TMP/k1s.log"): no denied flow"
	pods_run=
else
	wait_until "web and client ready" 90 \
		'test "$(ready_count app=web)$(ready_count app=client)" = 11'
	CLIENT=$(k get pods -l app=client -o jsonpath='{.items[0].metadata.name}')
	CIP=$(k get svc web -o jsonpath='{.spec.clusterIP}')
	rc=0
	timeout 30 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" exec "$CLIENT" -- \
		curl -s -o /dev/null --max-time 2 "http://$CIP/" || rc=$?
	[ "$rc" = 28 ] || fail "client -> web under deny-web: want curl's timeout, got $rc"
	echo "ok - client -> web times out under deny-web"
fi

# ---- the page, after ----
scrape after
writes() { int "$(value "$1" "k1s_store_writes_total{operation=\"$2\",resource=\"$3\"}")"; }
[ "$(writes after create configmaps)" -ge $(($(writes before create configmaps) + 2)) ] ||
	fail "configmap creates: $(writes before create configmaps) then $(writes after create configmaps)"
[ "$(writes after delete configmaps)" -ge $(($(writes before delete configmaps) + 1)) ] ||
	fail "configmap deletes: $(writes before delete configmaps) then $(writes after delete configmaps)"
[ "$(writes after create deployments.apps)" -ge 2 ] ||
	fail "deployment creates: $(writes after create deployments.apps)"
[ "$(writes after create networkpolicies.networking.k8s.io)" = 1 ] ||
	fail "networkpolicy creates: $(grep networkpolicies "$TMP/after.parsed")"
c0=$(int "$(value before 'k1s_store_commits_total{}')")
c1=$(int "$(value after 'k1s_store_commits_total{}')")
[ "$c1" -gt "$c0" ] || fail "commits: $c0 then $c1"
[ "$(int "$(value after 'k1s_store_commit_seconds_count{}')")" = "$c1" ] ||
	fail "commit_seconds_count is not the commits: $(value after 'k1s_store_commit_seconds_count{}') vs $c1"
[ "$(int "$(value after 'k1s_store_commit_seconds_bucket{le="+Inf"}')")" = "$c1" ] ||
	fail "the +Inf bucket is not the count"
echo "ok - store writes rose by resource and operation ($c0 -> $c1 commits, each timed)"
for ctl in deployment replicaset; do
	n=$(int "$(value after "k1s_reconcile_seconds_count{controller=\"$ctl\"}")")
	[ "$n" -ge 1 ] || fail "k1s_reconcile_seconds_count{controller=$ctl}: $n"
done
echo "ok - the deployment and replicaset controllers' reconciles are timed"
# Each histogram's buckets never decrease and end at _count.
"$PY" - "$TMP/after.parsed" <<'PY' || fail "a histogram's buckets are not cumulative"
import re, sys
series = {}
for line in open(sys.argv[1]):
    m = re.match(r'(\w+)_bucket\{(.*)\} (\S+)$', line)
    if m:
        labels = re.sub(r',?le="[^"]*"', '', m.group(2)).lstrip(',')
        series.setdefault((m.group(1), labels), []).append(float(m.group(3)))
assert series, 'no histogram'
for key, counts in series.items():
    assert counts == sorted(counts), key
PY
echo "ok - every histogram's buckets are cumulative"
if [ -n "$pods_run" ]; then
	d=$(int "$(value after 'k1s_networkpolicy_drops_total{name="deny-web",namespace="default"}')")
	[ "$d" -ge 1 ] || fail "drops of default/deny-web: $(grep networkpolicy_drops "$TMP/after.parsed")"
	echo "ok - k1s_networkpolicy_drops_total{namespace=default,name=deny-web} is $d"
fi

# ---- the HTTPS port ----
HTTPS=https://127.0.0.1:$SPORT
wait_for "k1s.conf is written" 10 test -s "$TMP/data/k1s.conf"
TOKEN=$(cat "$TMP/data/admin.token")
code=$(curl -s -o "$TMP/401.json" -w '%{http_code}' --cacert "$TMP/data/ca.crt" "$HTTPS/metrics")
[ "$code" = 401 ] || fail "HTTPS /metrics without a token: $code"
grep -Eq '"reason": *"Unauthorized"' "$TMP/401.json" || fail "401 body: $(cat "$TMP/401.json")"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/data/ca.crt" \
	-H "Authorization: Bearer x$TOKEN" "$HTTPS/metrics")
[ "$code" = 401 ] || fail "HTTPS /metrics with a wrong token: $code"
echo "ok - HTTPS /metrics without the token, or with another, is 401"
URL=$HTTPS/metrics scrape https --cacert "$TMP/data/ca.crt" -H "Authorization: Bearer $TOKEN"
grep -q '^HTTP/[0-9.]* 200' "$TMP/https.head" || fail "HTTPS /metrics: $(head -1 "$TMP/https.head")"
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$TMP/https.head" ||
	fail "HTTPS content type: $(grep -i content-type "$TMP/https.head")"
family_is https k1s_store_commit_seconds histogram
echo "ok - HTTPS /metrics with the token is the same page"

code=$(http_code POST /metrics)
[ "$code" = 405 ] || fail "POST /metrics: $code"
echo "ok - POST /metrics is 405"
