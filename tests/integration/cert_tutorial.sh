#!/bin/bash
# The tutorial's TLS section (05-tls-ingress.yaml) as a learner meets it,
# offline: the Ingress's cert-manager.io/cluster-issuer annotation gets the
# Secret myapp-tls issued by the k1s cluster CA, with cert-manager's type,
# labels and annotations; the CA the API serves at /ca.crt is the one in
# kube-root-ca.crt; curl --cacert ca.crt reaches a web pod over HTTPS, and
# http:// answers 308; kubectl shows the Certificate and ClusterIssuer
# tables; a user's own `kubectl create secret tls` is served by SNI.
# Needs root (pods).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl curl openssl python3

IPORT=$(free_port)
TPORT=$(free_port)
# The node's address is on a veth of this machine (TEST-NET-2),
# so that the test reaches the Ingress's ADDRESS itself and sends nothing
# to the network.
NODE=198.51.100.10
ip link del k1s-cert0 2>/dev/null || true
ip link add k1s-cert0 type veth peer name k1s-cert1 && ip addr add $NODE/32 dev k1s-cert0 &&
	ip link set k1s-cert0 up && ip link set k1s-cert1 up || { echo "SKIP: no veth"; exit 77; }
start_k1s --node-ip $NODE --ingress-listen $NODE,127.0.0.1 \
	--ingress-http-port "$IPORT" --ingress-https-port "$TPORT"
k create namespace cert-it >/dev/null
k() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" -n cert-it "$@"; }
finish() {
	[ -n "$K1S_PID" ] && { k delete namespace cert-it --wait=false >/dev/null 2>&1 || true; }
	cleanup
	ip link del k1s-cert0 2>/dev/null || true
}
trap finish EXIT

# The tutorial's web pods behind 02-nodeport-service.yaml, then its
# LoadBalancer (03), then the TLS Ingress (05).
k create deployment web --image=my-web:1.0 --port=3000 --replicas=2 >/dev/null
k apply -f "$MANIFESTS/02-nodeport-service.yaml" >/dev/null
k apply -f "$MANIFESTS/03-loadbalancer-service.yaml" >/dev/null
wait_until "2 web pods ready" 60 'test "$(ready_count app=web)" = 2'
k apply -f "$MANIFESTS/05-tls-ingress.yaml" >/dev/null

wait_for "the Secret myapp-tls is issued" 10 k get secret myapp-tls
expect_out "of type kubernetes.io/tls" '^kubernetes.io/tls$' \
	k get secret myapp-tls -o jsonpath='{.type}'
expect_out "with tls.crt, tls.key and ca.crt" '^ca.crt tls.crt tls.key $' \
	bash -c "kubectl -s $SERVER --cache-dir $TMP/kcache -n cert-it get secret myapp-tls -o json |
		python3 -c 'import json,sys; print(\" \".join(sorted(json.load(sys.stdin)[\"data\"])), end=\" \")'"
ann() { k get secret myapp-tls -o jsonpath="{.metadata.annotations.cert-manager\.io/$1}"; }
[ "$(ann certificate-name)" = myapp-tls ] || fail "certificate-name: $(ann certificate-name)"
[ "$(ann issuer-name)" = letsencrypt-prod ] || fail "issuer-name: $(ann issuer-name)"
[ "$(ann issuer-kind)" = ClusterIssuer ] || fail "issuer-kind: $(ann issuer-kind)"
[ "$(ann issuer-group)" = cert-manager.io ] || fail "issuer-group: $(ann issuer-group)"
[ "$(ann alt-names)" = myapp.com ] || fail "alt-names: $(ann alt-names)"
expect_out "labelled as cert-manager's issuing controller does" '^true$' \
	k get secret myapp-tls -o jsonpath='{.metadata.labels.controller\.cert-manager\.io/fao}'

# The CA: the same in kube-root-ca.crt and at /ca.crt.
k get configmap kube-root-ca.crt -o jsonpath='{.data.ca\.crt}' >"$TMP/ca.crt"
curl -sf "$SERVER/ca.crt" >"$TMP/ca-api.crt" || fail "GET /ca.crt"
grep -q 'BEGIN CERTIFICATE' "$TMP/ca.crt" || fail "kube-root-ca.crt has no certificate"
cmp -s "$TMP/ca.crt" "$TMP/ca-api.crt" || fail "kube-root-ca.crt and /ca.crt differ"
echo "ok - kube-root-ca.crt's ca.crt is the CA served at /ca.crt"
k get secret myapp-tls -o jsonpath='{.data.ca\.crt}' | openssl base64 -d -A >"$TMP/secret-ca.crt"
cmp -s "$TMP/ca.crt" "$TMP/secret-ca.crt" || fail "the Secret's ca.crt is not the cluster CA"
echo "ok - the Secret's ca.crt is the cluster CA"

# HTTPS with the learner trusting only that CA, at the Ingress's ADDRESS.
wait_until "kubectl get ingress shows an address" 10 \
	'test -n "$(k get ingress secure-ingress -o jsonpath="{.status.loadBalancer.ingress[0].ip}")"'
ADDR=$(k get ingress secure-ingress -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
[ "$ADDR" = $NODE ] || fail "the Ingress's address: $ADDR"
expect_out "kubectl get ingress shows PORTS 80, 443" "^secure-ingress +nginx +myapp.com +$NODE +80, 443 " \
	k get ingress secure-ingress
https() {
	curl -s --max-time 5 --cacert "$TMP/ca.crt" --resolve "myapp.com:$TPORT:$ADDR" \
		"https://myapp.com:$TPORT$1"
}
wait_for "https://myapp.com/ verifies with --cacert ca.crt" 10 https /
out=$(https /)
[[ $out == *'"pod":"web-'* || $out == *'"pod": "web-'* ]] || fail "https://myapp.com/ answered: $out"
echo "ok - it reaches a web pod at the Ingress's address"

out=$(curl -s --max-time 5 -o /dev/null -w '%{http_code} %{redirect_url}' \
	--resolve "myapp.com:$IPORT:127.0.0.1" "http://myapp.com:$IPORT/path?query=1")
[ "$out" = "308 https://myapp.com/path?query=1" ] || fail "http:// answered: $out"
echo "ok - http://myapp.com/ answers 308 to https://, path and query kept"

# cert-manager's kinds in kubectl's tables.
expect_out "kubectl get certificate" '^myapp-tls +True +myapp-tls +[0-9]+s' k get certificate
expect_out "kubectl get certificate -o wide" \
	'^myapp-tls +True +myapp-tls +letsencrypt-prod +Certificate is up to date and has not expired' \
	k get certificate -o wide
expect_out "kubectl get certs (a short name)" '^myapp-tls ' k get certs
k apply -f - >/dev/null <<'YAML'
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt-prod
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    email: user@example.com
    privateKeySecretRef:
      name: letsencrypt-prod
    solvers:
    - http01:
        ingress:
          ingressClassName: nginx
YAML
wait_for "the ACME ClusterIssuer is Ready, stood in for" 10 \
	bash -c "kubectl -s $SERVER --cache-dir $TMP/kcache get clusterissuer -o wide | grep -q 'letsencrypt-prod *True *Offline: certificates are issued by the k1s cluster CA'"
expect_err "a Certificate without secretName gets the CRD's 422" \
	'spec.secretName: Required value' k apply -f - <<'YAML'
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: bad
spec:
  issuerRef:
    name: letsencrypt-prod
    kind: ClusterIssuer
YAML

expect_out "kubectl get cert-manager (the CRDs' category)" '^certificate.cert-manager.io/myapp-tls +True' \
	k get cert-manager
expect_out "kubectl explain reads the CRD's words" 'Name of the Secret resource that will be automatically created' \
	k explain certificate.spec.secretName

# cert-manager's documentation, "Bootstrapping CA Issuers": a selfSigned
# ClusterIssuer makes a CA, a CA ClusterIssuer signs with it.
kk() { kubectl -s "$SERVER" --cache-dir "$TMP/kcache" "$@"; }
kk create namespace cert-manager >/dev/null
kk apply -f - >/dev/null <<'YAML'
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: selfsigned-issuer
spec:
  selfSigned: {}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: my-selfsigned-ca
  namespace: cert-manager
spec:
  isCA: true
  commonName: my-selfsigned-ca
  secretName: root-secret
  privateKey:
    algorithm: ECDSA
    size: 256
  issuerRef:
    name: selfsigned-issuer
    kind: ClusterIssuer
    group: cert-manager.io
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: my-ca-issuer
spec:
  ca:
    secretName: root-secret
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: app-example
  namespace: cert-it
spec:
  secretName: app-example-tls
  dnsNames:
  - app.example
  issuerRef:
    name: my-ca-issuer
    kind: ClusterIssuer
YAML
wait_for "the CA ClusterIssuer verifies its key pair" 10 \
	bash -c "kubectl -s $SERVER --cache-dir $TMP/kcache get clusterissuer my-ca-issuer | grep -q '^my-ca-issuer *True'"
wait_for "and issues app-example-tls" 10 k get secret app-example-tls
kk -n cert-manager get secret root-secret -o jsonpath='{.data.tls\.crt}' | openssl base64 -d -A >"$TMP/root.crt"
k get secret app-example-tls -o jsonpath='{.data.tls\.crt}' | openssl base64 -d -A >"$TMP/app.crt"
expect_out "which openssl verifies against the bootstrapped CA" ': OK$' \
	openssl verify -CAfile "$TMP/root.crt" -verify_hostname app.example "$TMP/app.crt"

# A user's own certificate, served by SNI.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj /CN=own.example -addext subjectAltName=DNS:own.example \
	-keyout "$TMP/own.key" -out "$TMP/own.crt" 2>/dev/null
k create secret tls own-tls --cert "$TMP/own.crt" --key "$TMP/own.key" >/dev/null
k create ingress own --class nginx --rule "own.example/*=web-service:80,tls=own-tls" >/dev/null
wait_for "own.example is served with the user's certificate" 10 \
	bash -c "timeout 5 openssl s_client -connect 127.0.0.1:$TPORT -servername own.example </dev/null 2>/dev/null | grep -q 'subject=CN = own.example'"
expect_out "and verifies with it" 'Verify return code: 0' \
	bash -c "timeout 5 openssl s_client -connect 127.0.0.1:$TPORT -servername own.example -CAfile $TMP/own.crt </dev/null 2>&1"
expect_out "myapp.com is still the cluster CA's" 'issuer=.*k1s-ca' \
	bash -c "timeout 5 openssl s_client -connect 127.0.0.1:$TPORT -servername myapp.com </dev/null 2>&1"

# The Secret goes: it is issued again.
k delete secret myapp-tls >/dev/null
wait_for "a deleted Secret is issued again" 10 k get secret myapp-tls
expect_out "the Certificate's revision is 2" '^2$' \
	k get certificate myapp-tls -o jsonpath='{.status.revision}'
