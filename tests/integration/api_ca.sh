#!/bin/bash
# The cluster CA with the real kubectl, curl and openssl: made at first
# start, served at /ca.crt and in every namespace's ConfigMap
# kube-root-ca.crt (made for new namespaces, made again when deleted, set
# back when edited), the same after a restart, its key in no answer of
# the API and in a data directory only root reads.
. "$(dirname "$0")/lib.sh"
need kubectl curl openssl
start_k1s

curl -sf -o "$TMP/ca.crt" -D "$TMP/head" "$SERVER/ca.crt" || fail "GET /ca.crt"
grep -qi '^content-type: application/x-pem-file' "$TMP/head" || fail "/ca.crt type: $(cat "$TMP/head")"
openssl x509 -in "$TMP/ca.crt" -noout -text >"$TMP/ca.txt" || fail "/ca.crt is no certificate"
grep -q 'CA:TRUE' "$TMP/ca.txt" || fail "/ca.crt is not a CA"
grep -q 'Subject: O = k1s, CN = k1s-ca' "$TMP/ca.txt" || fail "/ca.crt subject: $(grep Subject: "$TMP/ca.txt")"
openssl verify -CAfile "$TMP/ca.crt" "$TMP/ca.crt" >/dev/null || fail "the CA does not verify itself"
echo "ok - GET /ca.crt is the CA certificate, application/x-pem-file"
[ "$(curl -sfI "$SERVER/ca.crt" | tr -d '\r' | grep -i '^content-length:' | cut -d' ' -f2)" = \
	"$(stat -c %s "$TMP/ca.crt")" ] || fail "HEAD /ca.crt length"
echo "ok - HEAD /ca.crt"

# ConfigMap data as kubectl prints it, into a file.
cm_crt() {
	k get configmap kube-root-ca.crt -n "$1" -o jsonpath='{.data.ca\.crt}' >"$TMP/cm.crt" 2>/dev/null &&
		cmp -s "$TMP/cm.crt" "$TMP/ca.crt"
}
for ns in default kube-system kube-public; do
	wait_for "kube-root-ca.crt in $ns carries the CA" 5 cm_crt "$ns"
done
expect_out "its description is kube's" "Contains a CA bundle that can be used to verify the kube-apiserver" \
	k get configmap kube-root-ca.crt -n default -o jsonpath='{.metadata.annotations.kubernetes\.io/description}'

k create namespace ca-it >/dev/null
wait_for "a new namespace gets one" 5 cm_crt ca-it
k delete configmap kube-root-ca.crt -n ca-it >/dev/null
wait_for "deleted, it is made again" 5 cm_crt ca-it
k patch configmap kube-root-ca.crt -n ca-it --type merge -p '{"data":{"ca.crt":"nope","x":"y"}}' >/dev/null
wait_until "edited, it is set back" 5 'sh -c "[ \"\$(kubectl -s $SERVER get cm kube-root-ca.crt -n ca-it -o jsonpath='\''{.data}'\'')\" = \"\$(kubectl -s $SERVER get cm kube-root-ca.crt -n default -o jsonpath='\''{.data}'\'')\" ]"'

# The key is nowhere in the API.
for kind in configmaps secrets; do
	if k get "$kind" -A -o yaml | grep -q 'PRIVATE KEY'; then
		fail "a private key is served in $kind"
	fi
done
code=$(http_code GET /ca.key); [ "$code" = 404 ] || fail "/ca.key: $code"
echo "ok - no private key in any answer"
[ "$(stat -c %a "$TMP/data/k1s.db")" = 600 ] || fail "k1s.db mode $(stat -c %a "$TMP/data/k1s.db")"
echo "ok - the store holding the key is mode 0600"

# A restart keeps the CA.
stop_k1s
start_k1s
curl -sf -o "$TMP/ca2.crt" "$SERVER/ca.crt" || fail "GET /ca.crt after restart"
cmp -s "$TMP/ca.crt" "$TMP/ca2.crt" || fail "the CA changed across a restart"
grep -q 'cluster CA created' "$TMP/k1s.log" || fail "no log line for the CA's creation"
[ "$(grep -c 'cluster CA created' "$TMP/k1s.log")" = 1 ] || fail "the CA was created twice"
echo "ok - the same CA after a restart"
