#!/bin/bash
# Cluster DNS with the real dig against a running k1s, on 10.96.0.10:
# ClusterIP A, SRV (named ports, TCP and UDP) and PTR; a headless service
# whose pods have hostname/subdomain (A, hostname A, per-pod SRV, PTR);
# ExternalName (CNAME, chased through the upstream); pod A records; the
# dns-version TXT; SOA and NS at the apex; NXDOMAIN versus NODATA with
# the SOA in authority; case; TCP; truncation and the TCP retry; a
# created service resolves and a deleted one stops, within a second;
# forwarding through a fake upstream with a cache, and a prompt SERVFAIL
# once the upstream is gone; a changed resolv.conf is followed. Needs root
# (pods, port 53). Also on a host address given with --dns-listen.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl dig python3 curl

NS=dns-it
UP=127.0.0.3
# Not the default 10.96.0.10: --dns-ip moves the kube-dns Service too.
DNS_IP=10.111.254.253

# A fake upstream: every A is 192.0.2.99 (TTL 300), every other type is
# NODATA; it counts the queries it sees in $TMP/upcount.
python3 "$(dirname "$0")/fake_upstream.py" "$UP" "$TMP/upcount" a >>"$TMP/upstream.log" 2>&1 &
UP_PID=$!
echo "nameserver $UP" >"$TMP/resolv.conf"

finish() {
	# Whatever failed, k1s is stopped: no command here may end the trap.
	[ -z "$UP_PID" ] || kill "$UP_PID" 2>/dev/null || true
	[ -n "$K1S_PID" ] && { k delete namespace $NS --wait=false >/dev/null 2>&1 || true; }
	cleanup
}
trap finish EXIT
# The trap is set first: if k1s does not start, the upstream still goes.
start_k1s --dns-resolv-conf "$TMP/resolv.conf" --dns-ip "$DNS_IP" --dns-listen 127.0.0.5:5354

d() { dig @"$DNS_IP" +tries=1 +time=2 "$@"; }
# has "description" pattern dig-args...: dig's output matches.
has() { expect_out "$1" "$2" d "${@:3}"; }
# The status and section counts dig prints.
status() { d "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }

wait_for "kube-dns answers" 10 bash -c "dig @$DNS_IP +short +time=1 +tries=1 kubernetes.default.svc.cluster.local | grep -qx 10.96.0.1"
expect_out "and so does --dns-listen's host address, over UDP and TCP" '^10\.96\.0\.1$' \
	bash -c "dig @127.0.0.5 -p 5354 +short +time=2 +tries=1 kubernetes.default.svc.cluster.local &&
		dig @127.0.0.5 -p 5354 +tcp +short +time=2 +tries=1 kubernetes.default.svc.cluster.local | grep -qx 10.96.0.1"

expect_out "the kube-dns Service is at --dns-ip" "^$DNS_IP\$" \
	k get svc -n kube-system kube-dns -o jsonpath='{.spec.clusterIP}'

k create namespace $NS >/dev/null
k() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n $NS "$@"; }
cat <<EOF | k apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: my-api:1.0, ports: [{containerPort: 3000}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 3000}
  - {name: metrics, port: 9090, protocol: UDP, targetPort: 3000}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, labels: {app: db}}
spec:
  hostname: db-0
  subdomain: db
  containers: [{name: db, image: my-db:1.0, ports: [{containerPort: 5432}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, labels: {app: db}}
spec:
  hostname: db-1
  subdomain: db
  containers: [{name: db, image: my-db:1.0, ports: [{containerPort: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: www.example.com
---
apiVersion: v1
kind: Service
metadata: {name: many}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
EOF
# 60 endpoints written by hand (no selector): an answer beyond 512 bytes.
{
	printf '{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"many"},"subsets":[{"ports":[{"name":"http","port":80}],"addresses":['
	for i in $(seq 60); do printf '%s{"ip":"10.244.200.%d"}' "$([ "$i" = 1 ] || echo ,)" "$i"; done
	printf ']}]}\n'
} | k apply -f - >/dev/null

CIP=$(k get svc web -o jsonpath='{.spec.clusterIP}')
SVC=web.$NS.svc.cluster.local
ready_ips() { k get endpoints "$1" -o jsonpath='{range .subsets[*].addresses[*]}{.ip}{"\n"}{end}' | grep -c . || true; }
wait_until "2 web endpoints" 60 'test "$(ready_ips web)" = 2'
wait_until "2 db endpoints" 60 'test "$(ready_ips db)" = 2'
DB0=$(k get pod db-0 -o jsonpath='{.status.podIP}')
DB1=$(k get pod db-1 -o jsonpath='{.status.podIP}')

# ClusterIP
has "A of a ClusterIP service" "^$SVC\.[[:space:]]+5[[:space:]]+IN[[:space:]]+A[[:space:]]+$CIP\$" +noall +answer $SVC
has "the answer is authoritative" "flags: qr aa rd ra;" $SVC
has "SRV of a named TCP port" "IN[[:space:]]+SRV[[:space:]]+0 100 80 $SVC\.\$" +noall +answer _http._tcp.$SVC SRV
has "its target's A in additional" "^$SVC\..*IN[[:space:]]+A[[:space:]]+$CIP\$" +noall +additional _http._tcp.$SVC SRV
has "SRV of a named UDP port" "SRV[[:space:]]+0 100 9090 $SVC\.\$" +noall +answer _metrics._udp.$SVC SRV
test "$(status _metrics._tcp.$SVC SRV)" = NXDOMAIN || fail "a port under the wrong protocol exists"
echo "ok - no SRV under the wrong protocol"
has "PTR of the cluster IP" "PTR[[:space:]]+$SVC\.\$" +noall +answer -x "$CIP"

# Headless
HL=db.$NS.svc.cluster.local
out=$(d +short $HL | sort)
[ "$out" = "$(printf '%s\n' "$DB0" "$DB1" | sort)" ] || fail "headless A: got '$out', want $DB0 $DB1"
echo "ok - A of a headless service: its pods"
has "A of a pod's hostname.subdomain" "^$DB0\$" +short db-0.$HL
has "per-pod SRV targets" "SRV[[:space:]]+0 50 5432 db-0\.$HL\." +noall +answer _pg._tcp.$HL SRV
has "and the other" "SRV[[:space:]]+0 50 5432 db-1\.$HL\." +noall +answer _pg._tcp.$HL SRV
has "PTR of a headless pod" "PTR[[:space:]]+db-1\.$HL\.\$" +noall +answer -x "$DB1"

# ExternalName
has "CNAME of an ExternalName" "CNAME[[:space:]]+www\.example\.com\.\$" +noall +answer ext.$NS.svc.cluster.local CNAME
has "A of an ExternalName: CNAME then the target's A from upstream" \
	"www\.example\.com\..*IN[[:space:]]+A[[:space:]]+192\.0\.2\.99" +noall +answer ext.$NS.svc.cluster.local

# Pods
PODA=$(echo "$DB0" | tr . -).$NS.pod.cluster.local
has "A of a pod's dashed address" "^$DB0\$" +short "$PODA"
test "$(status "$(echo "$DB0" | tr . -).default.pod.cluster.local")" = NXDOMAIN ||
	fail "a pod answers in a namespace it is not in"
echo "ok - no pod record in another namespace"

# Apex, version
has "dns-version TXT" 'TXT[[:space:]]+"1\.1\.0"' +noall +answer dns-version.cluster.local TXT
has "SOA at the apex" "^cluster\.local\..*SOA[[:space:]]+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\." +noall +answer cluster.local SOA
has "NS at the apex" "NS[[:space:]]+ns\.dns\.cluster\.local\.\$" +noall +answer cluster.local NS

# Negative answers
has "NXDOMAIN for a missing service" "status: NXDOMAIN" nope.$NS.svc.cluster.local
has "with the SOA in authority" "^cluster\.local\..*SOA" +noall +authority nope.$NS.svc.cluster.local
has "NODATA (AAAA, no IPv6)" "status: NOERROR.*" $SVC AAAA
has "NODATA has no answer" "ANSWER: 0, AUTHORITY: 1" $SVC AAAA
has "and the SOA in authority" "^cluster\.local\..*SOA" +noall +authority $SVC AAAA
has "NXDOMAIN for an unknown cluster address" "status: NXDOMAIN" -x 10.96.255.254

# Case, TCP, truncation
has "names match case-insensitively" "IN[[:space:]]+A[[:space:]]+$CIP\$" +noall +answer WEB.Dns-It.SVC.Cluster.LOCAL
has "over TCP" "IN[[:space:]]+A[[:space:]]+$CIP\$" +tcp +noall +answer $SVC
out=$(d +tcp +keepopen +short $SVC "$PODA" _http._tcp.$SVC SRV)
[ "$(echo "$out" | grep -c .)" = 3 ] || fail "three queries on one TCP connection: got '$out'"
echo "ok - several queries on one TCP connection"
has "EDNS0 echoed, at our size" "udp: 1232" +bufsize=4096 $SVC
has "a large answer over UDP is truncated" "flags: qr aa (rd )?tc|flags: qr tc aa" +ignore +noedns many.$NS.svc.cluster.local
n=$(d +short many.$NS.svc.cluster.local | grep -c .)
[ "$n" = 60 ] || fail "after the TCP retry: $n addresses, want 60"
echo "ok - dig retries over TCP and gets all 60"

# Forwarding and its cache
has "other names go upstream" "^192\.0\.2\.99\$" +short example.org
before=$(cat "$TMP/upcount")
has "the second ask comes from the cache" "^192\.0\.2\.99\$" +short example.org
[ "$(cat "$TMP/upcount")" = "$before" ] || fail "the upstream was asked again"
echo "ok - the upstream was not asked again"

# Reconcile
k create service clusterip quick --tcp=80:80 >/dev/null
wait_for "a new service resolves within a second" 1 bash -c "dig @$DNS_IP +short +time=1 +tries=1 quick.$NS.svc.cluster.local | grep -q ."
k delete service quick >/dev/null
wait_for "a deleted one stops within a second" 1 bash -c "dig @$DNS_IP +time=1 +tries=1 quick.$NS.svc.cluster.local | grep -q NXDOMAIN"

# Offline: the upstream is gone (its port closed): SERVFAIL, promptly.
kill "$UP_PID"; wait "$UP_PID" 2>/dev/null || true; UP_PID=
start=$(date +%s%N)
has "with the upstream gone, SERVFAIL" "status: SERVFAIL" not-cached.example.net
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "SERVFAIL took ${ms}ms"
echo "ok - and promptly (${ms}ms)"
has "the ExternalName still answers its CNAME" "CNAME[[:space:]]+www\.example\.com\." +noall +answer ext.$NS.svc.cluster.local AAAA

# A new upstream in resolv.conf is taken up while k1s runs.
python3 "$(dirname "$0")/fake_upstream.py" 127.0.0.4 "$TMP/upcount2" a >>"$TMP/upstream.log" 2>&1 &
UP_PID=$!
echo "nameserver 127.0.0.4" >"$TMP/resolv.conf"
wait_for "a changed resolv.conf is followed" 5 bash -c "dig @$DNS_IP +short +time=1 +tries=1 after-change.example | grep -qx 192.0.2.99"
