#!/bin/bash
# Secrets in Ingresses' tls sections in the real k1s, as a user makes them
# with the real kubectl, openssl and curl: their own certificate (kubectl
# create secret tls) verifies with curl --cacert and is picked by SNI;
# plain HTTP answers 308 to https with path and query kept; a Secret of
# the wrong type, one whose key is not its certificate's, or none at all
# is a Warning event on the Ingress and the host gets the fake
# certificate; a new certificate in the Secret reaches new connections.
. "$(dirname "$0")/lib.sh"
need kubectl openssl curl python3

IPORT=$(free_port)
TPORT=$(free_port)
start_k1s --ingress-listen 127.0.0.1 --ingress-http-port "$IPORT" --ingress-https-port "$TPORT"

cd "$TMP"
mk() { # NAME CN [KEY]: a self-signed certificate NAME.crt for CN, with KEY or a new NAME.key
	if [ -n "${3:-}" ]; then
		openssl req -x509 -key "$3" -days 2 -subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
			-out "$1.crt" 2>/dev/null
	else
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/CN=$2" -addext "subjectAltName=DNS:$2" -keyout "$1.key" -out "$1.crt" 2>/dev/null
	fi
}
mk own own.test
mk own2 own.test own.key
mk other other.test

ingress() { # NAME HOST SECRET
	k apply -f - >/dev/null <<YAML
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: $1
spec:
  ingressClassName: nginx
  tls:
  - hosts: [$2]
    secretName: $3
  rules:
  - host: $2
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
YAML
}
serial() { # SNI: the serial of the certificate served for it
	timeout 10 openssl s_client -connect "127.0.0.1:$TPORT" -servername "$1" </dev/null 2>/dev/null |
		openssl x509 -noout -serial -subject 2>&1
}
events() { # INGRESS: its events
	k get events --field-selector "involvedObject.name=$1" \
		-o jsonpath='{range .items[*]}{.type} {.reason} {.message}{"\n"}{end}'
}
https_code() { # HOST CA-FILE
	curl -s --max-time 5 -o /dev/null -w '%{http_code}' --cacert "$2" \
		--resolve "$1:$TPORT:127.0.0.1" "https://$1:$TPORT/"
}
# eventually "description" PATTERN command...: the command's output matches
# within 10 s.
export -f k serial events https_code
export SERVER TMP TPORT
eventually() {
	local what=$1 pat=$2
	shift 2
	wait_for "$what" 10 bash -c '"${@:1}" | grep -Eq -- "$0"' "$pat" "$@"
}

k create secret tls own-tls --cert own.crt --key own.key --save-config >/dev/null
ingress own own.test own-tls
eventually "curl --cacert verifies the user's own certificate (no Service: 503)" '^503$' \
	https_code own.test own.crt
expect_out "plain HTTP answers 308 to https, path and query kept" \
	'^308 https://own\.test/a/b\?x=1&y=2$' \
	curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --resolve "own.test:$IPORT:127.0.0.1" \
	"http://own.test:$IPORT/a/b?x=1&y=2"
expect_out "an unknown name still gets the fake certificate" \
	'Kubernetes Ingress Controller Fake Certificate' serial nobody.test

# A new certificate for the same key: new connections get it.
want=$(openssl x509 -in own2.crt -noout -serial)
k create secret tls own-tls --cert own2.crt --key own.key --dry-run=client -o yaml |
	k apply -f - >/dev/null
eventually "a new certificate in the Secret reaches new connections" "$want" serial own.test

# A Secret of the wrong type.
k create secret generic wrong-type --from-literal=username=u >/dev/null
ingress wrong wrong.test wrong-type
eventually "a Secret without a pair is a Warning event" \
	'Warning InvalidSecret Error obtaining X.509 certificate: secret "default/wrong-type" contains no keypair or CA certificate' \
	events wrong
expect_out "and its host gets the fake certificate" \
	'Kubernetes Ingress Controller Fake Certificate' serial wrong.test

# A certificate and a key that are not a pair (kubectl create secret tls
# refuses them, so as a manifest).
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: mismatch
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 own.crt)
  tls.key: $(base64 -w0 other.key)
YAML
ingress mism own2.test mismatch
eventually "a certificate that is not its key's is a Warning event" \
	'Warning InvalidSecret Error obtaining X.509 certificate: unexpected error creating SSL Cert' \
	events mism

# No Secret at all.
ingress missing missing.test nope
eventually "a Secret that is not there is a Warning event" \
	'Warning SecretNotFound Error getting SSL certificate "default/nope": local SSL certificate default/nope was not found\. Using default certificate' \
	events missing
expect_out "kubectl describe ingress shows it" 'Warning +SecretNotFound' k describe ingress missing
expect_out "the good one is served all along" '^503$' https_code own.test own2.crt
kill -0 "$K1S_PID" || fail "k1s is gone"
