#!/bin/bash
# Cluster DNS as a pod sees it, through its resolv.conf (nameserver
# 10.96.0.10, search NS.svc.cluster.local svc.cluster.local cluster.local,
# ndots:5): nslookup of a short name, NAME.NS and the FQDN; a service in
# another namespace as NAME.OTHERNS; curl by each of those names reaches
# the backend; ExternalName shows its CNAME; a headless service gives every
# ready pod IP, and a pod's hostname.subdomain its own; SRV for named
# ports; NXDOMAIN for a missing name; and the tutorial's two debugging
# commands with 01-clusterip-service.yaml applied as written. Needs root
# (pod namespaces). The busybox image runs the host's programs where they
# exist: nslookup is BIND's (bind9-dnsutils, scripts/deps.sh).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl python3 ip timeout nslookup

pod_ips() { # label
	k get pods -l "$1" -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | sort
}
ko() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n dns-other "$@"; }
# In the long-running client pods: nslookup in busybox, curl in curl.
lookup() { timeout 30 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" exec dns-client -- nslookup "$@"; }
in_curl() { timeout 30 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" exec curl-client -- curl "$@"; }
# The Address lines of an nslookup answer, after the server's own.
answer_ips() {
	sed -n '/^Name:/,$ s/^Address:[[:space:]]*\([0-9.]*\).*/\1/p' | grep . | sort
}
# expect_a NAME FQDN IP...: nslookup NAME in the pod answers FQDN with
# exactly these addresses.
expect_a() {
	local name=$1 fqdn=$2 out want got
	shift 2
	want=$(printf '%s\n' "$@" | sort)
	out=$(lookup "$name" 2>&1) || fail "nslookup $name failed:"$'\n'"$out"
	echo "$out" | grep -Eq "^Name:[[:space:]]+${fqdn//./\\.}\.?$" ||
		fail "nslookup $name: no Name: $fqdn in:"$'\n'"$out"
	got=$(echo "$out" | answer_ips)
	[ "$got" = "$want" ] ||
		fail "nslookup $name: addresses $(echo "$got" | tr '\n' ' '), want $*:"$'\n'"$out"
	echo "ok - nslookup $name: $fqdn $*"
}

UP_PID=
finish() {
	[ -z "$UP_PID" ] || kill "$UP_PID" 2>/dev/null || true
	[ -n "$K1S_PID" ] && {
		k delete namespace dns-other --wait=false >/dev/null 2>&1 || true
		k delete pods,deployments,services --all --wait=false >/dev/null 2>&1 || true
	}
	cleanup
}
# The trap is set first: if k1s does not start, the upstream still goes.
trap finish EXIT
# Names outside the cluster go to a fake upstream, which knows none: no
# query leaves the machine.
UP=127.0.0.3
python3 "$(dirname "$0")/fake_upstream.py" "$UP" "$TMP/upcount" nxdomain >>"$TMP/upstream.log" 2>&1 &
UP_PID=$!
echo "nameserver $UP" >"$TMP/resolv.conf"
start_k1s --dns-resolv-conf "$TMP/resolv.conf"
if grep -q 'pods cannot run' "$TMP/k1s.log"; then
	echo "SKIP: $(grep -o 'pods cannot run.*' "$TMP/k1s.log")"
	exit 77
fi
# Another process on the cluster DNS address would answer instead of ours.
if grep -q 'cluster DNS is not served' "$TMP/k1s.log"; then
	fail "k1s serves no cluster DNS: $(grep 'dns:' "$TMP/k1s.log" | head -3)"
fi

# The tutorial's service as written, and pods behind it: an API on 3000.
expect_out "apply 01-clusterip-service.yaml" "service/api-service created" \
	k apply -f "$MANIFESTS/01-clusterip-service.yaml"
k create deployment api --image=my-api:1.0 --replicas=2 --port=3000 >/dev/null
# A service in another namespace.
k create namespace dns-other >/dev/null
ko create deployment web --image=my-web:1.0 --port=8080 >/dev/null
ko expose deployment web --port 80 --target-port 8080 >/dev/null
# Named ports (SRV), an ExternalName inside and outside the cluster, a
# headless service with a pod that names itself in it.
k apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: named
spec:
  selector:
    app: api
  ports:
    - name: http
      port: 80
      targetPort: 3000
    - name: metrics
      port: 9090
      targetPort: 3000
---
apiVersion: v1
kind: Service
metadata:
  name: api-alias
spec:
  type: ExternalName
  externalName: api-service.default.svc.cluster.local
---
apiVersion: v1
kind: Service
metadata:
  name: db-ext
spec:
  type: ExternalName
  externalName: db.example.com
---
apiVersion: v1
kind: Service
metadata:
  name: hl
spec:
  clusterIP: None
  selector:
    app: hl
  ports:
    - name: http
      port: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hl
spec:
  replicas: 2
  selector:
    matchLabels:
      app: hl
  template:
    metadata:
      labels:
        app: hl
    spec:
      containers:
        - name: hl
          image: my-hl:1.0
          ports:
            - containerPort: 8080
---
apiVersion: v1
kind: Pod
metadata:
  name: hl-named
  labels:
    app: hl
spec:
  hostname: web-0
  subdomain: hl
  containers:
    - name: hl
      image: my-hl:1.0
      ports:
        - containerPort: 8080
YAML
k run dns-client --image=busybox --restart=Never -- sleep 3600 >/dev/null
k run curl-client --image=curlimages/curl --restart=Never --command -- sleep 3600 >/dev/null

wait_until "2 api pods ready" 60 'test "$(ready_count app=api default)" = 2'
wait_until "3 hl pods ready" 60 'test "$(ready_count app=hl default)" = 3'
wait_until "the web pod in dns-other is ready" 60 'test "$(ready_count app=web dns-other)" = 1'
wait_until "the busybox client pod is ready" 60 'test "$(ready_count run=dns-client default)" = 1'
wait_until "the curl client pod is ready" 60 'test "$(ready_count run=curl-client default)" = 1'
wait_until "endpoints of api-service, hl and web" 20 \
	'test "$(ep_count api-service default) $(ep_count hl default) $(ep_count web dns-other)" = "2 3 1"'

CIP=$(k get svc api-service -o jsonpath='{.spec.clusterIP}')
WIP=$(ko get svc web -o jsonpath='{.spec.clusterIP}')
HL_IPS=$(pod_ips app=hl)
W0_IP=$(k get pod hl-named -o jsonpath='{.status.podIP}')

# The pod's resolver is the cluster's.
expect_out "the pod's resolv.conf names 10.96.0.10 and the search path" \
	'search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local' \
	k exec dns-client -- cat /etc/resolv.conf

# A: the short name through the search path, NAME.NS, the FQDN.
for name in api-service api-service.default api-service.default.svc.cluster.local \
	api-service.default.svc.cluster.local.; do
	expect_a "$name" api-service.default.svc.cluster.local "$CIP"
done
out=$(lookup api-service 2>&1)
echo "$out" | grep -Eq "Server:[[:space:]]+10\.96\.0\.10" || fail "nslookup's server: $out"
echo "ok - nslookup asks 10.96.0.10"
expect_out "nslookup is case-insensitive (API-Service.Default)" "Address:[[:space:]]+$CIP" \
	lookup API-Service.Default

# Across namespaces: NAME.OTHERNS; the short name alone is not ours.
expect_a web.dns-other web.dns-other.svc.cluster.local "$WIP"
expect_err "nslookup web (another namespace's short name) is not found" \
	"server can't find web: NXDOMAIN" lookup web

# curl by every name a user would type, from the curl image.
for name in api-service api-service.default api-service.default.svc.cluster.local; do
	expect_out "curl http://$name reaches an api pod" '"pod":"api-' \
		in_curl -s --max-time 10 "http://$name"
done
expect_out "curl http://web.dns-other reaches the web pod there" '"pod":"web-[^"]*","namespace":"dns-other"' \
	in_curl -s --max-time 10 http://web.dns-other
expect_out "curl http://named:9090 (second port)" '"pod":"api-' \
	in_curl -s --max-time 10 http://named:9090

# ExternalName: the CNAME, and the target's address when it is in the cluster.
out=$(lookup api-alias 2>&1) || true
echo "$out" | grep -Eq "api-alias\.default\.svc\.cluster\.local[[:space:]]+canonical name = api-service\.default\.svc\.cluster\.local\.?$" ||
	fail "nslookup api-alias shows no CNAME: $out"
echo "$out" | grep -Eq "Address:[[:space:]]+$CIP" || fail "nslookup api-alias: no $CIP: $out"
echo "ok - ExternalName to a cluster name: CNAME and the target's address"
# An outside target need not resolve here (the answer is then NXDOMAIN
# with the CNAME, RFC 6604, and nslookup goes on down the search path);
# asked for the CNAME itself, nslookup shows it.
expect_out "nslookup -type=cname db-ext: db.example.com" \
	"db-ext\.default\.svc\.cluster\.local[[:space:]]+canonical name = db\.example\.com\.?$" \
	lookup -type=cname db-ext

# Headless: every ready pod's IP, and a pod's own name under the service.
# shellcheck disable=SC2086
expect_a hl hl.default.svc.cluster.local $HL_IPS
expect_a web-0.hl web-0.hl.default.svc.cluster.local "$W0_IP"

# SRV for named ports: the service's name and port; one per pod for headless.
expect_out "nslookup -type=srv _http._tcp.named" \
	"_http\._tcp\.named\.default\.svc\.cluster\.local[[:space:]]+service = [0-9]+ [0-9]+ 80 named\.default\.svc\.cluster\.local" \
	lookup -type=srv _http._tcp.named
expect_out "nslookup -type=srv _metrics._tcp.named.default.svc.cluster.local" \
	"service = [0-9]+ [0-9]+ 9090 named\.default\.svc\.cluster\.local" \
	lookup -type=srv _metrics._tcp.named.default.svc.cluster.local
out=$(lookup -type=srv _http._tcp.hl 2>&1) || fail "nslookup -type=srv _http._tcp.hl: $out"
n=$(echo "$out" | grep -Ec "service = [0-9]+ [0-9]+ 8080 [a-z0-9-]+\.hl\.default\.svc\.cluster\.local")
[ "$n" = 3 ] || fail "headless SRV: $n records for 3 pods: $out"
echo "$out" | grep -Eq "service = [0-9]+ [0-9]+ 8080 web-0\.hl\.default\.svc\.cluster\.local" ||
	fail "headless SRV does not name web-0: $out"
echo "ok - headless SRV: one record per pod, web-0 by its hostname"

# A reverse lookup of the cluster IP names the service.
expect_out "nslookup $CIP (PTR)" "name = api-service\.default\.svc\.cluster\.local" lookup "$CIP"

# NXDOMAIN for a missing name.
expect_err "nslookup of a missing FQDN: NXDOMAIN" \
	"server can't find no-such-svc\.default\.svc\.cluster\.local\.?: NXDOMAIN" \
	lookup no-such-svc.default.svc.cluster.local
expect_err "nslookup of a missing short name: NXDOMAIN" "server can't find no-such-svc: NXDOMAIN" \
	lookup no-such-svc
expect_err "curl to a missing service: could not resolve host" "Could not resolve host: no-such-svc" \
	in_curl -sS --max-time 10 http://no-such-svc

# The tutorial's debugging commands, as written (without -t: no terminal here).
run_rm() { timeout 60 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" run "$@"; }
out=$(run_rm dns-test --image=busybox --rm -i -- nslookup api-service 2>&1) ||
	fail "kubectl run dns-test ... nslookup api-service: $out"
echo "$out" | grep -Eq "Name:[[:space:]]+api-service\.default\.svc\.cluster\.local" ||
	fail "kubectl run dns-test: no Name: $out"
echo "$out" | grep -Eq "Address:[[:space:]]+$CIP" || fail "kubectl run dns-test: no $CIP: $out"
echo "$out" | grep -q 'pod "dns-test" deleted' || fail "dns-test was not removed: $out"
echo "ok - kubectl run dns-test --image=busybox --rm -i -- nslookup api-service"
# And with -t, on a terminal that script(1) gives kubectl. Its input is at
# its end at once, which the terminal passes on as a NUL: the program's
# terminal must not echo it ahead of the answer (a real cluster shows none).
if command -v script >/dev/null; then
	out=$(timeout 60 script -qec "kubectl -s $SERVER --cache-dir $TMP/kcache run dns-test \
		--image=busybox --rm -it -- nslookup api-service" /dev/null </dev/null 2>&1) ||
		fail "kubectl run dns-test --rm -it: $out"
	echo "$out" | grep -Eq "Address:[[:space:]]+$CIP" || fail "kubectl run -it: no $CIP: $out"
	if echo "$out" | tr '\000' '@' | grep -Eq '\^@|@Server'; then
		fail "kubectl run -it: a NUL was echoed: $(echo "$out" | cat -A)"
	fi
	echo "ok - kubectl run dns-test --image=busybox --rm -it -- nslookup api-service, on a terminal"
fi
out=$(run_rm curl-test --image=curlimages/curl --rm -i -- curl http://api-service 2>&1) ||
	fail "kubectl run curl-test ... curl http://api-service: $out"
echo "$out" | grep -q '"pod":"api-' || fail "kubectl run curl-test: $out"
echo "ok - kubectl run curl-test --image=curlimages/curl --rm -i -- curl http://api-service"

# Reconcile: a new service resolves and a deleted one stops, from a pod.
k create service clusterip late --tcp=80:3000 >/dev/null
LIP=$(k get svc late -o jsonpath='{.spec.clusterIP}')
wait_for "a new service resolves from a pod" 5 bash -c \
	"kubectl -s $SERVER --cache-dir $TMP/kcache exec dns-client -- nslookup late | grep -q 'Address:[[:space:]]*$LIP'"
k delete svc late >/dev/null
wait_for "a deleted one is NXDOMAIN" 5 bash -c \
	"kubectl -s $SERVER --cache-dir $TMP/kcache exec dns-client -- nslookup late.default.svc.cluster.local 2>&1 | grep -q NXDOMAIN"
