#!/bin/bash
# The API on HTTPS for other machines, as a learner reaches it from a
# laptop: the kubeconfig k1s writes works with kubectl (get, exec, watch),
# the certificate is the cluster CA's for the box's names and addresses,
# and follows them when one appears; a request without the token, or with
# another, gets kube-apiserver's 401 and changes nothing; the health and
# version paths stay public; the token, the kubeconfig and the CA survive
# a restart, with the modes of what is secret. Needs root (pods, an address
# on lo).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl openssl python3

# An address of TEST-NET-3 that this test adds to lo, to see the
# certificate follow the box's addresses.
NEWIP=203.0.113.77
finish() {
	ip addr del "$NEWIP/32" dev lo 2>/dev/null || true
	cleanup
}
trap finish EXIT

start_k1s
D=$TMP/data
HTTPS=https://127.0.0.1:$SPORT
wait_for "k1s.conf is written" 10 test -s "$D/k1s.conf"

[ "$(stat -c %a "$D/admin.token")" = 600 ] || fail "admin.token is not 0600"
[ "$(stat -c %a "$D/k1s.conf")" = 600 ] || fail "k1s.conf is not 0600"
[ "$(stat -c %a "$D/ca.crt")" = 644 ] || fail "ca.crt is not 0644"
TOKEN=$(cat "$D/admin.token")
[[ $TOKEN =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || fail "the token's shape: $TOKEN"
curl -s "$SERVER/ca.crt" | cmp -s - "$D/ca.crt" || fail "ca.crt is not the cluster CA"
echo "ok - admin.token and k1s.conf are 0600, ca.crt is the cluster CA"

# The learner's kubeconfig, pointed at the port this test was given (the
# file names the node's address, which is not this machine's here).
kc() {
	kubectl --kubeconfig "$TMP/laptop.conf" --cache-dir "$TMP/kcache-tls" "$@"
}
grep -q "server: https://192.0.2.10:$SPORT\$" "$D/k1s.conf" ||
	fail "k1s.conf's server is not the node's address: $(grep server: "$D/k1s.conf")"
sed "s|server: https://.*|server: $HTTPS|" "$D/k1s.conf" >"$TMP/laptop.conf"
expect_out "kubectl --kubeconfig k1s.conf get nodes" '^vm +Ready' kc get nodes --no-headers

# kube-apiserver's endpoint reconciler: the kubernetes Service leads here.
expect_out "kubectl get endpoints kubernetes shows the HTTPS port" "^kubernetes +192.0.2.10:$SPORT " \
	k get endpoints kubernetes --no-headers
expect_out "and its EndpointSlice" "^kubernetes +IPv4 +$SPORT +192.0.2.10 " \
	k get endpointslices kubernetes --no-headers

# The certificate: the cluster CA's, for the names kubeadm's has.
openssl s_client -connect "127.0.0.1:$SPORT" -CAfile "$D/ca.crt" -verify_return_error \
	</dev/null 2>/dev/null | openssl x509 -noout -text >"$TMP/cert.txt" ||
	fail "the certificate does not verify against ca.crt"
for san in "DNS:vm" "DNS:localhost" "DNS:kubernetes.default.svc.cluster.local" \
	"IP Address:127.0.0.1" "IP Address:10.96.0.1" "IP Address:192.0.2.10"; do
	grep -q "$san" "$TMP/cert.txt" || fail "the certificate lacks $san: $(grep -A1 'Alternative' "$TMP/cert.txt")"
done
echo "ok - the certificate verifies against ca.crt and names the node, localhost, kubernetes.default.svc and the addresses"

# Without the token, or with another: kube-apiserver's 401, and no write.
out=$(curl -s --cacert "$D/ca.crt" -w '\n%{http_code}' "$HTTPS/api/v1/namespaces")
[ "$(tail -n 1 <<<"$out")" = 401 ] || fail "no token: $out"
python3 -c 'import json,sys
d=json.loads(sys.argv[1])
want={"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}
sys.exit(0 if d==want else "401 body: %r" % d)' "$(sed '$d' <<<"$out")" || fail "the 401's body"
echo "ok - no token: 401 with kube-apiserver's Status"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.crt" -H "Authorization: Bearer x${TOKEN:1}" \
	-H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"sneaky"}}' \
	"$HTTPS/api/v1/namespaces")
[ "$code" = 401 ] || fail "another token's POST: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.crt" \
	-H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"sneaky"}}' \
	"$HTTPS/api/v1/namespaces")
[ "$code" = 401 ] || fail "no token's POST: $code"
k get namespace sneaky >/dev/null 2>&1 && fail "a POST without the token created a namespace"
echo "ok - a POST with another token or none: 401, and nothing is created"
sed "s|token: .*|token: aaaaaa.bbbbbbbbbbbbbbbb|" "$TMP/laptop.conf" >"$TMP/wrong.conf"
out=$(kubectl --kubeconfig "$TMP/wrong.conf" get pods 2>&1) && fail "kubectl with another token: $out"
grep -q "You must be logged in to the server" <<<"$out" || fail "kubectl with another token said: $out"
echo "ok - kubectl with another token: You must be logged in to the server"
for p in /healthz /livez /readyz /version /ca.crt; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.crt" "$HTTPS$p")
	[ "$code" = 200 ] || fail "$p without a token: $code"
done
echo "ok - /healthz, /livez, /readyz, /version and /ca.crt need no token"
curl -s --cacert "$D/ca.crt" -H "Authorization: Bearer $TOKEN" "$HTTPS/k1s/kubeconfig" |
	cmp -s - "$D/k1s.conf" || fail "GET /k1s/kubeconfig is not k1s.conf"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.crt" "$HTTPS/k1s/kubeconfig")
[ "$code" = 401 ] || fail "/k1s/kubeconfig without the token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.crt" -H "Authorization: Bearer $TOKEN" \
	-X DELETE "$HTTPS/k1s/kubeconfig")
[ "$code" = 405 ] || fail "DELETE /k1s/kubeconfig: $code"
echo "ok - GET /k1s/kubeconfig with the token is k1s.conf; without it, 401; DELETE, 405"

# Streams over TLS: exec (an upgraded connection) and a watch.
kc run bb --image=busybox --restart=Never --command -- sleep 3600 >/dev/null
kc wait --for=condition=Ready pod/bb --timeout=30s >/dev/null || fail "pod bb is not Ready"
expect_out "kubectl exec over HTTPS" '^hello$' kc exec bb -- echo hello
out=$(echo typed | kc exec -i bb -- cat)
[ "$out" = typed ] || fail "kubectl exec -i over HTTPS: $out"
echo "ok - kubectl exec -i over HTTPS"
timeout 10 kubectl --kubeconfig "$TMP/laptop.conf" get pods -w --output-watch-events \
	>"$TMP/watch.out" 2>&1 &
W=$!
sleep 1
kc label pod bb seen=yes >/dev/null
wait_until "the watch over HTTPS sees the label" 8 'grep -c MODIFIED "$TMP/watch.out"'
kill $W 2>/dev/null || true
kc delete pod bb --wait=false >/dev/null

# A new address: within a check (10 s), a certificate that names it.
ip addr add "$NEWIP/32" dev lo
sans() {
	openssl s_client -connect "127.0.0.1:$SPORT" -CAfile "$D/ca.crt" </dev/null 2>/dev/null |
		openssl x509 -noout -ext subjectAltName 2>/dev/null
}
wait_until "the certificate names an address the box gained" 25 'sans | grep -q "IP Address:$NEWIP"'
curl -sf --cacert "$D/ca.crt" --resolve "box:$SPORT:$NEWIP" -H "Authorization: Bearer $TOKEN" \
	"https://$NEWIP:$SPORT/api" >/dev/null || fail "https://$NEWIP does not verify"
echo "ok - curl to the new address verifies"
expect_out "kubectl with the old kubeconfig still works after the new certificate" \
	'^vm ' kc get nodes --no-headers
ip addr del "$NEWIP/32" dev lo

# A restart keeps the token, the CA and so the learner's kubeconfig.
stop_k1s
start_k1s
wait_until "k1s serves HTTPS again" 10 'curl -sf --cacert "$D/ca.crt" "$HTTPS/readyz"'
[ "$(cat "$D/admin.token")" = "$TOKEN" ] || fail "the token changed with a restart"
expect_out "the kubeconfig from before the restart works" '^vm +Ready' kc get nodes --no-headers
