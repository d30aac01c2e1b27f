# bench/ingress: the HTTPS rows, sourced by run.sh (they read its $T, $B,
# $HERE, $API, $CONNS, $DUR, $TLS_PROCS). One ECDSA P-256 certificate for
# myapp.com, made here with openssl, served by all three: nginx
# (ssl_certificate), HAProxy (crt), k1s (a kubernetes.io/tls Secret named
# in an Ingress's tls section, through the API). The same TLS settings for
# each: TLS 1.2 only, ECDHE-ECDSA-AES128-GCM-SHA256 first, session
# tickets on, 16 KiB records (ingress-nginx's 4k ssl_buffer_size would
# cost nginx on bulk, so every server keeps its 16 KiB default). Unknown
# names get a self-signed default certificate, as ingress-nginx's fake one.
#
# Rows, each with k1s, nginx and HAProxy:
#   tls-keepalive  wrk over https, small requests on kept connections
#   tls-full       a new connection, full handshake and GET / each (tls_conns)
#   tls-resumed    the same, each offering its previous session (tls_conns)
#   tls-get1m      wrk over https, 1 MiB answers (bulk throughput)
# Handshakes use tls_conns.c, not wrk: wrk sends the URL's host as SNI,
# cannot pin the ECDHE group, and never resumes. tls_conns runs TLS_PROCS
# processes on CPU 1, offers only P-256 for ECDHE (so every server does
# the same curve work), and counts the handshakes the server took as
# resumed. On a full handshake the client's OpenSSL does more P-256 work
# than the server (a verify and ECDH), so a fast server can be
# client-bound: compare per core (/core).
NGINX_TLS_PORT=18194
HAPROXY_TLS_PORT=18195
K1S_TLS_PORT=18196
TLS_HOST=myapp.com
TLS_CIPHERS=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305

# Certificates, the handshake client, and a private /etc/hosts for wrk
# (in a mount namespace of its own) so that its URL names myapp.com.
tls_setup() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=$TLS_HOST" -addext "subjectAltName=DNS:$TLS_HOST" \
		-keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/O=Acme Co/CN=Kubernetes Ingress Controller Fake Certificate" \
		-addext "subjectAltName=DNS:ingress.local" \
		-keyout "$T/fake.key" -out "$T/fake.crt" 2>/dev/null
	cat "$T/tls.crt" "$T/tls.key" > "$T/tls.pem"
	cat "$T/fake.crt" "$T/fake.key" > "$T/fake.pem"
	chmod 644 "$T"/*.key "$T"/*.pem
	cc -O2 -o "$T/tls_conns" "$HERE/tls_conns.c" -lssl -lcrypto
	echo "127.0.0.1 $TLS_HOST" > "$T/hosts"
	cat > "$T/inhosts" <<SH
#!/bin/sh
exec unshare -m sh -c 'mount --bind "\$0" /etc/hosts && exec "\$@"' "$T/hosts" "\$@"
SH
	chmod 755 "$T/inhosts"
}

# k1s's flags for its HTTPS port, when this k1s has one.
tls_k1s_flags() {
	"$B/k1s" serve --help 2>&1 | grep -q -- --ingress-https-port &&
		echo "--ingress-https-port $K1S_TLS_PORT"
	return 0
}

# Into nginx's http block: the TLS settings, the default server's fake
# certificate, and myapp.com on both ports (as ingress-nginx writes a
# server with tls: listen 80 and 443 ssl in one block).
nginx_tls_servers() { # location.conf
	cat <<CONF
	ssl_protocols TLSv1.2;
	ssl_ciphers $TLS_CIPHERS;
	ssl_prefer_server_ciphers on;
	ssl_session_cache shared:SSL:10m;
	ssl_session_timeout 10m;
	ssl_session_tickets on;
	server {
		listen 127.0.0.1:$NGINX_TLS_PORT ssl default_server reuseport backlog=4096;
		server_name _;
		ssl_certificate $T/fake.crt;
		ssl_certificate_key $T/fake.key;
		location / { return 404; }
	}
	server {
		server_name $TLS_HOST;
		listen 127.0.0.1:$NGINX_PORT;
		listen 127.0.0.1:$NGINX_TLS_PORT ssl;
		ssl_certificate $T/tls.crt;
		ssl_certificate_key $T/tls.key;
		set \$proxy_upstream_name "ingbench-up-80";
		location / { include $1; }
	}
CONF
}

# HAProxy's global TLS settings, and its HTTPS bind (the first crt is the
# default; the others are picked by SNI).
haproxy_tls_global() {
	printf '\tssl-default-bind-ciphers %s\n' "$TLS_CIPHERS"
	printf '\tssl-default-bind-options ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2\n'
}
haproxy_tls_bind() {
	printf '\tbind 127.0.0.1:%s ssl crt %s crt %s alpn http/1.1\n' "$HAPROXY_TLS_PORT" \
		"$T/fake.pem" "$T/tls.pem"
}

# The Secret and Ingress in k1s; then, for each server, whether its port
# serves myapp.com's certificate, and what a handshake there settles on
# (into $T/notes). Sets K1S_TLS=1 when k1s serves it.
tls_check() {
	python3 "$HERE/ingresses.py" tls --server "$API" --host $TLS_HOST --secret bench-tls \
		--cert "$T/tls.crt" --key "$T/tls.key"
	want=$(openssl x509 -noout -fingerprint -sha256 -in "$T/tls.crt")
	K1S_TLS=0
	for tgt in nginx:$NGINX_TLS_PORT haproxy:$HAPROXY_TLS_PORT k1s:$K1S_TLS_PORT; do
		got=
		for _ in $(seq 50); do
			echo | openssl s_client -connect "127.0.0.1:${tgt#*:}" -servername $TLS_HOST \
				-groups P-256 > "$T/s_client" 2>&1 || true
			got=$(openssl x509 -noout -fingerprint -sha256 < "$T/s_client" 2>/dev/null || true)
			[ "$got" = "$want" ] && break
			sleep 0.2
		done
		if [ "$got" != "$want" ]; then
			[ "${tgt%%:*}" = k1s ] ||
				{ echo "bench/ingress: ${tgt%%:*} does not serve $TLS_HOST's certificate" >&2; exit 1; }
			echo "tls k1s: port ${tgt#*:} does not serve $TLS_HOST's certificate: rows n/a" >> "$T/notes"
			continue
		fi
		[ "${tgt%%:*}" = k1s ] && K1S_TLS=1
		awk -v t="${tgt%%:*}" '/^ *Protocol *:/ { p = $3 } /^ *Cipher *:/ { c = $3 }
			/Server Temp Key/ { sub(/.*Key: /, ""); k = $0 } /TLS session ticket:/ { tk = "ticket" }
			END { printf "tls %s: %s %s, ECDHE %s, %s\n", t, p, c, k, tk ? "a session ticket" : "no ticket" }' \
			"$T/s_client" >> "$T/notes"
	done
}

# As measure (lib.sh), for tls_conns: connections/s, p50, p99, busy %.
measure_conns() { # port new|reuse
	c0=$(cpustat)
	taskset -c 1 "$T/tls_conns" 127.0.0.1 "$1" $TLS_HOST "$DUR" "$TLS_PROCS" "$2" > "$T/conns.out"
	c1=$(cpustat)
	read -r rps p50 p99 resumed failed unclean < "$T/conns.out"
	echo "$rps $p50 $p99 $(busy "$c0" "$c1")"
	total=$(awk -v r="$rps" -v d="$DUR" 'BEGIN { printf "%.0f", r * d }')
	[ "$failed" = 0 ] || echo " $failed of $total connections without a 200" >&2
	# A share, not a count: the notes keep one line for the three runs.
	[ "$unclean" = 0 ] || awk -v u="$unclean" -v t="$total" \
		'BEGIN { printf " %.0f%% closed without a close_notify\n", u * 100 / (t > 0 ? t : 1) }' >&2
	[ "$2" = new ] && [ "$resumed" != 0 ] && echo " $resumed of $total resumed" >&2
	[ "$2" = reuse ] && [ "$resumed" -lt $((total * 99 / 100)) ] &&
		echo " only $resumed of $total resumed" >&2
	return 0
}

# Every HTTPS pattern through one target.
tls_target() { # rules target pid port
	RUN="$T/inhosts"
	row tls-keepalive "$1" "$2" "$3" "https://$TLS_HOST:$4/"
	row tls-get1m "$1" "$2" "$3" "https://$TLS_HOST:$4/1m"
	RUN=
	MEASURE=measure_conns
	row tls-full "$1" "$2" "$3" "$4" new
	row tls-resumed "$1" "$2" "$3" "$4" reuse
	MEASURE=measure
}
tls_targets() { # rules
	tls_target "$1" nginx "$NGINX_WORKER" $NGINX_TLS_PORT
	tls_target "$1" haproxy "$HAPROXY_PID" $HAPROXY_TLS_PORT
	if [ "$K1S_TLS" = 1 ]; then
		tls_target "$1" k1s "$K1S_PID" $K1S_TLS_PORT
	else
		for pat in tls-keepalive tls-get1m tls-full tls-resumed; do
			echo "$pat/$1 k1s - - - - - -" >> "$T/rows"
		done
	fi
}

# What TLS's cryptography costs, mbedTLS (crypto_speed.c) beside OpenSSL
# (`openssl speed`), on CPU 1 with the servers idle.
tls_crypto_speed() {
	cc -O2 -o "$T/crypto_speed" "$HERE/crypto_speed.c" -lmbedcrypto || return 0
	echo "TLS's cryptography on one core (CPU 1):"
	taskset -c 1 "$T/crypto_speed" 2 | sed 's/^/  /'
	taskset -c 1 openssl speed -seconds 2 ecdsap256 ecdhp256 2>/dev/null |
		awk '/ecdsa \(nistp256\)/ { printf "  openssl ecdsa p256 sign %.0f/s, verify %.0f/s\n", $(NF-1), $NF }
		     /ecdh \(nistp256\)/ { printf "  openssl ecdh p256 (shared secret) %.0f/s\n", $NF }'
	for c in aes-128-gcm chacha20-poly1305; do
		taskset -c 1 openssl speed -seconds 2 -bytes 16384 -evp $c 2>/dev/null |
			awk -v c=$c 'toupper($1) == toupper(c) { sub(/k$/, "", $NF); printf "  openssl %s %.0f MB/s\n", c, $NF / 1000 }'
	done
}
