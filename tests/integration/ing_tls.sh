#!/bin/bash
# The ingress's HTTPS port in the real k1s, as openssl s_client and curl
# meet it: TLS 1.2 with ALPN http/1.1; a name no Ingress's tls section
# covers gets ingress-nginx's fake certificate; requests go through the
# same routing as port 80 (an unknown host: the default backend's 404);
# bytes that are not TLS end their connection quietly and the port goes
# on serving.
. "$(dirname "$0")/lib.sh"
need openssl curl python3

IPORT=$(free_port)
TPORT=$(free_port)
start_k1s --ingress-listen 127.0.0.1 --ingress-http-port "$IPORT" --ingress-https-port "$TPORT"

sc() { timeout 10 openssl s_client -connect "127.0.0.1:$TPORT" "$@" </dev/null 2>&1; }

wait_for "the HTTPS port answers" 10 bash -c "timeout 5 openssl s_client -connect 127.0.0.1:$TPORT </dev/null >/dev/null 2>&1"
expect_out "an unknown name gets the fake certificate" \
	'subject=O = Acme Co, CN = Kubernetes Ingress Controller Fake Certificate' \
	sc -servername nobody.test
expect_out "TLS 1.2, ALPN http/1.1 to a client offering h2 too" 'ALPN protocol: http/1.1' \
	sc -servername nobody.test -alpn h2,http/1.1
expect_out "an unknown host over HTTPS gets the default backend's 404" '^404$' \
	curl -sk -o /dev/null -w '%{http_code}' --resolve "nobody.test:$TPORT:127.0.0.1" \
	"https://nobody.test:$TPORT/"

python3 - "$TPORT" <<'PY' || fail "plain HTTP on the HTTPS port was not closed"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
while s.recv(4096):
    pass
PY
echo "ok - plain HTTP on the HTTPS port is closed"
! grep -q "TLS handshake" "$TMP/k1s.log" || fail "a client's bad handshake was logged above debug"
expect_out "and the port goes on serving" 'Cipher is ECDHE-' sc -servername nobody.test
