/* The ingress's HTTPS port over a real store and real sockets, met by the
 * real clients: openssl s_client (certificates by SNI, the fake default
 * certificate, ALPN, resumption) and curl (requests and bodies through to
 * an upstream on 127.0.0.1 run by the test). The certificates are made by
 * openssl req; the test publishes them in the ingress's snapshot itself,
 * as the control side does from Secrets. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <mbedtls/ecdsa.h>

#include "../fakes/fake_writer.h"
#include "../fakes/loopback.h"
#include "../fakes/pub_sync.h"
#include "ing.h"
#include "ing_conn_int.h"
#include "ing_int.h"
#include "ing_tls_pk.h"
#include "k1s_loop.h"

/* ---- the upstream: answers a POST with its body, anything else with
 * the head it got; GET /big with 1 MiB; GET /ws with a 101, then echoes
 * ---- */

#define BIG (1024 * 1024)

struct upstream {
	int fd, port;
	pthread_t th;
};

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k <= 0)
			return;
		p += k;
		n -= (size_t)k;
	}
}

static void *upstream_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char head[16384], out[20000];

	for (;;) {
		size_t have = 0, hlen;
		char *end = NULL, *cl, *body;
		long len = 0;

		while (!end) {
			ssize_t n;

			if (have >= sizeof(head) - 1)
				goto done;
			n = recv(fd, head + have, sizeof(head) - 1 - have, 0);
			if (n <= 0)
				goto done;
			have += (size_t)n;
			head[have] = 0;
			end = strstr(head, "\r\n\r\n");
		}
		hlen = (size_t)(end - head) + 4;
		if ((cl = strcasestr(head, "\r\ncontent-length:")) && cl < end)
			len = atol(cl + 17);
		body = malloc((size_t)len + 1);
		memcpy(body, head + hlen, have - hlen);
		for (size_t got = have - hlen; got < (size_t)len;) {
			ssize_t n = recv(fd, body + got, (size_t)len - got, 0);

			if (n <= 0) {
				free(body);
				goto done;
			}
			got += (size_t)n;
		}
		if (strncmp(head, "GET /ws ", 8) == 0) {
			static const char up[] = "HTTP/1.1 101 Switching Protocols\r\n"
						 "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
			char b[4096];
			ssize_t n;

			free(body);
			send_all(fd, up, sizeof(up) - 1);
			while ((n = recv(fd, b, sizeof(b), 0)) > 0)
				send_all(fd, b, (size_t)n);
			goto done;
		}
		if (strncmp(head, "POST ", 5) == 0) {
			snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: %ld\r\n\r\n", len);
			send_all(fd, out, strlen(out));
			send_all(fd, body, (size_t)len);
		} else if (strncmp(head, "GET /big ", 9) == 0) {
			char *big = malloc(BIG);

			for (size_t i = 0; i < BIG; i++)
				big[i] = (char)('a' + i % 26);
			snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BIG);
			send_all(fd, out, strlen(out));
			send_all(fd, big, BIG);
			free(big);
		} else {
			head[hlen] = 0;
			snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
				 hlen + 9, "upstream\n");
			send_all(fd, out, strlen(out));
			send_all(fd, head, hlen);
		}
		free(body);
	}
done:
	close(fd);
	return NULL;
}

static void *upstream_main(void *arg)
{
	struct upstream *u = arg;

	for (;;) {
		int fd = accept(u->fd, NULL, NULL);
		pthread_t t;

		if (fd < 0)
			return NULL;
		pthread_create(&t, NULL, upstream_conn, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

/* ---- fixture ---- */

struct fx {
	char dir[64];
	struct st *st;
	struct k1s_loop *loop;
	struct fake_writer fw;
	struct ing *ing;
	int port, tport;
	struct upstream up;
};

static char certs_dir[64];

static int run(const char *cmd, char *out, size_t cap)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;
	int st;

	if (!f)
		return -1;
	while (n + 1 < cap) {
		size_t k = fread(out + n, 1, cap - 1 - n, f);

		if (k == 0)
			break;
		n += k;
	}
	out[n] = 0;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *name, size_t *len)
{
	char path[128], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", certs_dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

static const struct k1s_resource *res(const char *group, const char *name)
{
	return k1s_resource_find(group, name);
}

static void put(struct fx *fx, const struct k1s_resource *r, json_t *obj)
{
	assert_int_equal(fx->fw.w.create(fx->fw.w.arg, r, obj), 0);
	json_decref(obj);
}

static void no_warn(void *arg, const char *ns, const char *name, const char *reason,
		    const char *message)
{
	(void)arg, (void)ns, (void)name, (void)reason, (void)message;
}

/* Publishes the current table with these certificates, as the control
 * side does, and waits for every loop to take it. */
static void publish(struct fx *fx, const char *const *spec)
{
	struct ing *ing = fx->ing;
	struct ing_world w = {ing->ings, ing->classes, ing->svcs, ing->eps, ing->config};
	struct ing_snap *s = calloc(1, sizeof(*s));
	struct ing_cert_src src[8];
	char *bufs[16];
	size_t n = 0;

	/* spec: host, cert file, key file, ..., NULL */
	for (; spec[3 * n]; n++) {
		src[n] = (struct ing_cert_src){.host = spec[3 * n], .secret = "default/test"};
		bufs[2 * n] = slurp(spec[3 * n + 1], &src[n].crt_len);
		bufs[2 * n + 1] = slurp(spec[3 * n + 2], &src[n].key_len);
		assert_non_null(bufs[2 * n]);
		assert_non_null(bufs[2 * n + 1]);
		src[n].crt = bufs[2 * n];
		src[n].key = bufs[2 * n + 1];
	}
	s->table = ing_table_build(&w, no_warn, NULL);
	s->certs = ing_certs_build(src, n, ing->nloops);
	assert_non_null(s->table);
	assert_non_null(s->certs);
	assert_int_equal(ing_certs_count(s->certs), n);
	for (size_t i = 0; i < 2 * n; i++)
		free(bufs[i]);
	k1s_pub_publish(&ing->pub, &s->base);
	for (int i = 0; i < ing->nloops; i++)
		ing_loop_wake(ing->loops[i]);
	if (pub_sync(fx->loop, &ing->pub) < 0)
		fail_msg("loops did not take the certificates");
}

static const char *const served[] = {
	"myapp.com", "ec.crt", "ec.key",
	"rsa.test", "rsa.crt", "rsa.key",
	"*.wild.test", "wild.crt", "wild.key",
	NULL,
};

static int group_setup(void **state)
{
	static const char *const mk[] = {
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		"-keyout ec.key -out ec.crt -days 30 -subj /CN=myapp.com "
		"-addext subjectAltName=DNS:myapp.com",
		"openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.crt -days 30 "
		"-subj /CN=rsa.test -addext subjectAltName=DNS:rsa.test",
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		"-keyout wild.key -out wild.crt -days 30 -subj /CN=*.wild.test "
		"-addext subjectAltName=DNS:*.wild.test",
		/* A second certificate for myapp.com, to swap in. */
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		"-keyout ec2.key -out ec2.crt -days 30 -subj /CN=myapp.com/O=Second "
		"-addext subjectAltName=DNS:myapp.com",
	};
	char cmd[512];

	(void)state;
	snprintf(certs_dir, sizeof(certs_dir), "/tmp/test_ing_tls_certs.XXXXXX");
	if (!mkdtemp(certs_dir))
		return -1;
	for (size_t i = 0; i < sizeof(mk) / sizeof(mk[0]); i++) {
		snprintf(cmd, sizeof(cmd), "cd %s && %s 2>/dev/null", certs_dir, mk[i]);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", certs_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	static const char *const listen_on[] = {"127.0.0.1", NULL};
	struct ing_config cfg = {.loops = 2, .listen = listen_on, .address = "192.0.2.80"};
	int err = 0;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_ing_tls.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->port = cfg.http_port = lo_free_port();
	fx->tport = cfg.https_port = lo_free_port();
	fx->st = st_open(fx->dir, &(struct st_opts){ST_SYNC_NORMAL, 0}, &err);
	fx->loop = k1s_loop_new();
	fake_writer_init(&fx->fw, fx->st);
	fx->ing = ing_new(fx->st, fx->loop, &fx->fw.w, &cfg, &err);
	if (!fx->st || !fx->loop || !fx->ing)
		return -1;
	fx->up.fd = lo_bind(SOCK_STREAM, &fx->up.port);
	pthread_create(&fx->up.th, NULL, upstream_main, &fx->up);
	put(fx, res("", "services"),
	    json_pack("{s:{s:s,s:s}, s:{s:s,s:[{s:s,s:i,s:i}]}}", "metadata", "name", "web",
		      "namespace", "default", "spec", "clusterIP", "10.96.1.1", "ports", "name",
		      "http", "port", 80, "targetPort", 8080));
	put(fx, res("", "endpoints"),
	    json_pack("{s:{s:s,s:s}, s:[{s:[{s:s}], s:[{s:s,s:i,s:s}]}]}", "metadata", "name",
		      "web", "namespace", "default", "subsets", "addresses", "ip", "127.0.0.1",
		      "ports", "name", "http", "port", fx->up.port, "protocol", "TCP"));
	put(fx, res("networking.k8s.io", "ingresses"),
	    json_pack("{s:{s:s,s:s}, s:{s:s, s:[{s:{s:[{s:s,s:s,s:{s:{s:s,s:{s:i}}}}]}}]}}",
		      "metadata", "name", "web", "namespace", "default", "spec",
		      "ingressClassName", "nginx", "rules", "http", "paths", "path", "/",
		      "pathType", "Prefix", "backend", "service", "name", "web", "port", "number",
		      80));
	if (pub_sync(fx->loop, &fx->ing->pub) < 0)
		return -1;
	publish(fx, served);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	ing_free(fx->ing);
	shutdown(fx->up.fd, SHUT_RDWR);
	close(fx->up.fd);
	pthread_join(fx->up.th, NULL);
	k1s_loop_free(fx->loop);
	st_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* ---- clients ---- */

/* openssl s_client's report of one connection; its exit status. */
static int s_client(struct fx *fx, const char *args, char *out, size_t cap)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && timeout 10 openssl s_client -connect 127.0.0.1:%d %s </dev/null 2>&1",
		 certs_dir, fx->tport, args);
	return run(cmd, out, cap);
}

static int curl(struct fx *fx, const char *args, char *out, size_t cap)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && timeout 20 curl -sS --cacert ec.crt --resolve myapp.com:%d:127.0.0.1 %s "
		 "2>&1",
		 certs_dir, fx->tport, args);
	return run(cmd, out, cap);
}

static char out[1 << 16];

/* ---- tests ---- */

static void test_sni_picks_the_hosts_certificate(void **state)
{
	struct fx *fx = *state;

	s_client(fx, "-servername myapp.com", out, sizeof(out));
	assert_non_null(strstr(out, "subject=CN = myapp.com"));
	assert_non_null(strstr(out, "Protocol  : TLSv1.2"));
	assert_non_null(strstr(out, "ECDHE-ECDSA-AES128-GCM-SHA256"));
	/* Any case, as nginx's server names. */
	s_client(fx, "-servername MyApp.COM", out, sizeof(out));
	assert_non_null(strstr(out, "subject=CN = myapp.com"));
	s_client(fx, "-servername rsa.test", out, sizeof(out));
	assert_non_null(strstr(out, "subject=CN = rsa.test"));
	assert_non_null(strstr(out, "ECDHE-RSA-AES128-GCM-SHA256"));
	s_client(fx, "-servername a.wild.test", out, sizeof(out));
	assert_non_null(strstr(out, "subject=CN = *.wild.test"));
	/* The wildcard covers one label, not two. */
	s_client(fx, "-servername b.a.wild.test", out, sizeof(out));
	assert_null(strstr(out, "subject=CN = *.wild.test"));
}

static void test_unknown_name_gets_the_fake_certificate(void **state)
{
	struct fx *fx = *state;
	static const char fake[] =
		"subject=O = Acme Co, CN = Kubernetes Ingress Controller Fake Certificate";

	s_client(fx, "-servername nobody.test", out, sizeof(out));
	assert_non_null(strstr(out, fake));
	s_client(fx, "-noservername", out, sizeof(out));
	assert_non_null(strstr(out, fake));
	/* Its name, as ingress-nginx's. */
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd),
			 "timeout 10 openssl s_client -connect 127.0.0.1:%d -noservername "
			 "</dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName 2>&1",
			 fx->tport);
		run(cmd, out, sizeof(out));
		assert_non_null(strstr(out, "DNS:ingress.local"));
	}
}

static void test_alpn_is_http11(void **state)
{
	struct fx *fx = *state;

	s_client(fx, "-servername myapp.com -alpn h2,http/1.1", out, sizeof(out));
	assert_non_null(strstr(out, "ALPN protocol: http/1.1"));
}

static void test_tls12_only_and_the_ciphers(void **state)
{
	struct fx *fx = *state;

	/* A TLS 1.1 client (its own floor lowered) is refused. */
	s_client(fx, "-servername myapp.com -tls1_1 -cipher DEFAULT@SECLEVEL=0", out, sizeof(out));
	if (strstr(out, "subject=CN = myapp.com") || !strstr(out, "alert"))
		fail_msg("TLS 1.1 served:\n%s", out);
	s_client(fx, "-servername myapp.com -cipher ECDHE-ECDSA-CHACHA20-POLY1305", out,
		 sizeof(out));
	assert_non_null(strstr(out, "Cipher is ECDHE-ECDSA-CHACHA20-POLY1305"));
	s_client(fx, "-servername myapp.com -cipher AES128-SHA256", out, sizeof(out));
	assert_null(strstr(out, "subject=CN = myapp.com"));
}

/* With tickets, and with the session cache alone: whichever loop takes
 * the next connection resumes it. */
static void test_resumption(void **state)
{
	struct fx *fx = *state;
	static const char *const modes[] = {"", "-no_ticket"};

	for (int m = 0; m < 2; m++) {
		char args[256];

		snprintf(args, sizeof(args), "-servername myapp.com %s -sess_out sess", modes[m]);
		s_client(fx, args, out, sizeof(out));
		assert_non_null(strstr(out, "New, TLSv1.2"));
		for (int i = 0; i < 6; i++) {
			snprintf(args, sizeof(args), "-servername myapp.com %s -sess_in sess",
				 modes[m]);
			s_client(fx, args, out, sizeof(out));
			if (!strstr(out, "Reused, TLSv1.2"))
				fail_msg("mode '%s', try %d: not resumed:\n%s", modes[m], i, out);
		}
	}
}

static void test_curl_through_to_the_upstream(void **state)
{
	struct fx *fx = *state;
	char args[256];

	snprintf(args, sizeof(args), "https://myapp.com:%d/hello -v https://myapp.com:%d/again",
		 fx->tport, fx->tport);
	assert_int_equal(curl(fx, args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "GET /hello HTTP/1.1"));
	assert_non_null(strstr(out, "GET /again HTTP/1.1"));
	/* The upstream hears it came over TLS. */
	assert_non_null(strstr(out, "X-Forwarded-Proto: https"));
	/* Both requests on one connection. */
	assert_non_null(strstr(out, "Re-using existing connection"));
	assert_non_null(strstr(out, "ALPN: server accepted http/1.1"));
}

static void test_one_mib_both_ways(void **state)
{
	struct fx *fx = *state;
	char args[512];

	snprintf(args, sizeof(args),
		 "head -c %d /dev/urandom > up.bin && curl -sS --cacert ec.crt --resolve "
		 "myapp.com:%d:127.0.0.1 --data-binary @up.bin -H 'Content-Type: x/y' "
		 "https://myapp.com:%d/echo -o down.bin && cmp up.bin down.bin && echo SAME",
		 BIG, fx->tport, fx->tport);
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd), "cd %s && %s 2>&1", certs_dir, args);
		assert_int_equal(run(cmd, out, sizeof(out)), 0);
		assert_non_null(strstr(out, "SAME"));
	}
	snprintf(args, sizeof(args), "https://myapp.com:%d/big -o big.bin -w '%%{size_download}'",
		 fx->tport);
	assert_int_equal(curl(fx, args, out, sizeof(out)), 0);
	assert_string_equal(out, "1048576");
}

/* Each AEAD suite the server offers carries 1 MiB up and 1 MiB down, and
 * a second request on the same connection. */
static void test_each_cipher_carries_a_mib_both_ways(void **state)
{
	static const char *const ciphers[] = {
		"ECDHE-ECDSA-AES128-GCM-SHA256",
		"ECDHE-ECDSA-AES256-GCM-SHA384",
		"ECDHE-ECDSA-CHACHA20-POLY1305",
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		char cmd[1024], want[128];

		snprintf(cmd, sizeof(cmd),
			 "cd %s && head -c %d /dev/urandom > up.bin && timeout 20 curl -v -sS "
			 "--cacert ec.crt --resolve myapp.com:%d:127.0.0.1 --ciphers %s "
			 "--data-binary @up.bin -H 'Content-Type: x/y' https://myapp.com:%d/echo "
			 "-o down.bin --next --cacert ec.crt --ciphers %s https://myapp.com:%d/big "
			 "-o big.bin 2>&1 && cmp up.bin down.bin && "
			 "stat -c 'big=%%s' big.bin && echo SAME",
			 certs_dir, BIG, fx->tport, ciphers[i], fx->tport, ciphers[i], fx->tport);
		if (run(cmd, out, sizeof(out)) != 0 || !strstr(out, "SAME") ||
		    !strstr(out, "big=1048576"))
			fail_msg("%s:\n%s", ciphers[i], out);
		snprintf(want, sizeof(want), "SSL connection using TLSv1.2 / %s", ciphers[i]);
		if (!strstr(out, want) || !strstr(out, "Re-using existing connection"))
			fail_msg("%s: not one connection under it:\n%s", ciphers[i], out);
	}
}

/* A session the server closed (Connection: close) is resumed by curl on
 * its next connections, which then carry requests and a 1 MiB answer as a
 * new session does: the resumed handshake's keys and record counters. */
static void test_closed_session_resumes(void **state)
{
	struct fx *fx = *state;
	char args[512];

	snprintf(args, sizeof(args),
		 "-v -H 'Connection: close' https://myapp.com:%d/one -o /dev/null --next "
		 "--cacert ec.crt -H 'Connection: close' https://myapp.com:%d/two "
		 "--next --cacert ec.crt https://myapp.com:%d/big -o big.bin -w 'big=%%{size_download}'",
		 fx->tport, fx->tport, fx->tport);
	assert_int_equal(curl(fx, args, out, sizeof(out)), 0);
	if (!strstr(out, "SSL re-using session ID") || !strstr(out, "GET /two HTTP/1.1") ||
	    !strstr(out, "big=1048576"))
		fail_msg("not resumed:\n%s", out);
}

/* The server's close of a session says so: a close_notify, as nginx's
 * SSL_shutdown(), not an EOF, which OpenSSL 3 clients take for an attack
 * on the session and drop it. */
static void test_close_sends_close_notify(void **state)
{
	struct fx *fx = *state;
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && printf 'GET /bye HTTP/1.1\\r\\nHost: myapp.com\\r\\nConnection: "
		 "close\\r\\n\\r\\n' | timeout 10 openssl s_client -connect 127.0.0.1:%d "
		 "-servername myapp.com -ign_eof 2>&1",
		 certs_dir, fx->tport);
	run(cmd, out, sizeof(out));
	assert_non_null(strstr(out, "GET /bye HTTP/1.1"));	/* the upstream's echo */
	if (strstr(out, "unexpected eof"))
		fail_msg("closed without close_notify:\n%s", out);
}

static int dial(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Whether the ingress ends the connection (rather than the 5 s timeout). */
static bool closed_by_peer(int fd)
{
	char b[4096];
	ssize_t n;

	while ((n = recv(fd, b, sizeof(b), 0)) > 0)
		;	/* an alert, maybe */
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* A real ClientHello, as openssl s_client sends it first. */
static size_t client_hello(unsigned char *buf, size_t cap)
{
	int port = 0, lfd = lo_bind(SOCK_STREAM, &port), fd;
	char cmd[256];
	FILE *f;
	ssize_t n;
	size_t have = 0;

	listen(lfd, 1);
	snprintf(cmd, sizeof(cmd),
		 "timeout 3 openssl s_client -connect 127.0.0.1:%d -servername myapp.com "
		 "</dev/null >/dev/null 2>&1",
		 port);
	f = popen(cmd, "r");
	fd = accept(lfd, NULL, NULL);
	/* The record's length says where it ends. */
	while (have < 5 || have < 5 + (size_t)(buf[3] << 8 | buf[4])) {
		n = recv(fd, buf + have, cap - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	close(lfd);
	pclose(f);
	return have;
}

/* A client asking to renegotiate is refused with a warning alert
 * no_renegotiation, as mbedTLS (renegotiation off) and nginx refuse it;
 * OpenSSL's client takes that for the end of its handshake. */
static void test_renegotiation_is_refused(void **state)
{
	struct fx *fx = *state;
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && (printf 'R\\n'; sleep 1) | timeout 10 openssl s_client -connect "
		 "127.0.0.1:%d -servername myapp.com 2>&1",
		 certs_dir, fx->tport);
	run(cmd, out, sizeof(out));
	if (!strstr(out, "RENEGOTIATING") || !strstr(out, "no renegotiation"))
		fail_msg("not refused:\n%s", strlen(out) > 1500 ? out + strlen(out) - 1500 : out);
}

/* An EC key that signs through libcrypto still is the certificate's key:
 * its signatures verify with the certificate's public key, by mbedTLS
 * and by the key itself, and mbedTLS still reads it as an EC key. */
static void test_offloaded_key_signs_for_its_certificate(void **state)
{
	struct ing_tls_shared *sh = malloc(sizeof(*sh));
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	unsigned char hash[32], sig[MBEDTLS_ECDSA_MAX_LEN];
	size_t n = 0;

	(void)state;
	assert_int_equal(ing_tls_shared_init(sh), 0);
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&key);
	assert_int_equal(mbedtls_x509_crt_parse(&crt, (const unsigned char *)sh->fake_crt,
						strlen(sh->fake_crt) + 1), 0);
	assert_int_equal(mbedtls_pk_parse_key(&key, (const unsigned char *)sh->fake_key,
					      strlen(sh->fake_key) + 1, NULL, 0), 0);
	assert_int_equal(ing_tls_pk_offload(&key), 0);
	assert_string_equal(mbedtls_pk_get_name(&key), "EC (libcrypto signing)");
	assert_true(mbedtls_pk_can_do(&key, MBEDTLS_PK_ECDSA));
	assert_int_equal(mbedtls_pk_get_bitlen(&key), 256);
	assert_int_equal(mbedtls_pk_ec(key)->grp.id, MBEDTLS_ECP_DP_SECP256R1);
	for (int i = 0; i < 20; i++) {
		memset(hash, i, sizeof(hash));
		assert_int_equal(mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, &n,
						 NULL, NULL), 0);
		assert_int_equal(mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig,
						   n), 0);
		assert_int_equal(mbedtls_pk_verify(&key, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, n),
				 0);
		hash[0] ^= 1;
		assert_int_not_equal(mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, hash, sizeof(hash),
						       sig, n), 0);
	}
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&crt);
	ing_tls_shared_free(sh);
	free(sh);
}

/* An mbedTLS client of the test's own over a socket, so that the test
 * can touch its records on the wire. */
static void wire_flush(int fd, struct ing_tls *t)
{
	while (ing_tls_out_pending(t)) {
		ssize_t n = send(fd, ing_tls_out_data(t), ing_tls_out_pending(t), MSG_NOSIGNAL);

		assert_true(n > 0);
		ing_tls_out_sent(t, (size_t)n);
	}
}

static bool wire_fill(int fd, struct ing_tls *t)
{
	size_t cap;
	unsigned char *p = ing_tls_in_room(t, &cap);
	ssize_t n = recv(fd, p, cap, 0);

	if (n <= 0)
		return false;
	ing_tls_in_got(t, (size_t)n);
	return true;
}

/* A bit flipped in a record on the wire: the server answers with a fatal
 * bad_record_mac alert and ends the connection, as mbedTLS and OpenSSL
 * do. Tried in a record's ciphertext and in its tag, on each AEAD. */
static void test_flipped_bit_gets_bad_record_mac(void **state)
{
	static const int suites[] = {
		MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	};
	static const char req[] = "GET /flip HTTP/1.1\r\nHost: myapp.com\r\n\r\n";
	struct fx *fx = *state;

	for (int i = 0; i < 4; i++) {
		int one[2] = {suites[i / 2], 0};
		struct ing_tls_cfg ccfg = {0};
		struct ing_tls *t;
		unsigned char buf[4096];
		int fd = dial(fx->tport), r;
		ssize_t k;

		assert_int_equal(ing_tls_cfg_init(&ccfg), 0);
		mbedtls_ssl_conf_ciphersuites(&ccfg.client, one);
		t = ing_tls_client(&ccfg, "myapp.com");
		assert_non_null(t);
		while ((r = ing_tls_handshake(t)) != ING_TLS_DONE) {
			assert_true(r > 0);
			wire_flush(fd, t);
			if (r == ING_TLS_WANT_READ)
				assert_true(wire_fill(fd, t));
		}
		wire_flush(fd, t);
		/* One good request first: the session works. */
		assert_int_equal(ing_tls_write(t, req, sizeof(req) - 1), sizeof(req) - 1);
		wire_flush(fd, t);
		/* Its answer: a head, and the head the upstream got as the body. */
		for (size_t have = 0, ends = 0; ends < 2;) {
			k = ing_tls_read(t, buf + have, sizeof(buf) - 1 - have);
			if (k == -ING_TLS_WANT_READ) {
				assert_true(wire_fill(fd, t));
				continue;
			}
			assert_true(k > 0);
			have += (size_t)k;
			buf[have] = 0;
			ends = 0;
			for (char *e = (char *)buf; (e = strstr(e, "\r\n\r\n")); e += 4)
				ends++;
		}
		assert_non_null(strstr((char *)buf, "HTTP/1.1 200"));
		/* Then the same request with one bit changed: the last byte
		 * is the tag's, the one 20 from the end the text's. */
		assert_int_equal(ing_tls_write(t, req, sizeof(req) - 1), sizeof(req) - 1);
		t->out[t->out_len - (i % 2 ? 1 : 20)] ^= 0x10;
		wire_flush(fd, t);
		while ((k = ing_tls_read(t, buf, sizeof(buf))) == -ING_TLS_WANT_READ)
			if (!wire_fill(fd, t))
				break;
		if (k != MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE ||
		    t->ssl.in_msg[1] != MBEDTLS_SSL_ALERT_MSG_BAD_RECORD_MAC)
			fail_msg("case %d: %zd, no bad_record_mac alert", i, k);
		assert_true(closed_by_peer(fd));
		close(fd);
		ing_tls_free(t);
		ing_tls_cfg_free(&ccfg);
	}
}

static void test_garbage_and_truncated_hellos_are_closed(void **state)
{
	struct fx *fx = *state;
	static const char junk[] = "GET / HTTP/1.1\r\nHost: myapp.com\r\n\r\n";
	unsigned char hello[4096];
	size_t n = client_hello(hello, sizeof(hello));
	int fd;

	assert_true(n > 100);
	assert_int_equal(hello[0], 0x16);	/* a handshake record */

	/* Plain HTTP on the TLS port. */
	fd = dial(fx->tport);
	send(fd, junk, sizeof(junk) - 1, MSG_NOSIGNAL);
	assert_true(closed_by_peer(fd));
	close(fd);

	/* Random bytes. */
	fd = dial(fx->tport);
	{
		unsigned char r[512];

		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(i * 131 + 7);
		send(fd, r, sizeof(r), MSG_NOSIGNAL);
	}
	assert_true(closed_by_peer(fd));
	close(fd);

	/* Half a ClientHello, and then nothing more from the client. */
	fd = dial(fx->tport);
	send(fd, hello, n / 2, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	assert_true(closed_by_peer(fd));
	close(fd);

	/* A ClientHello whose length lies: the record is too short for it. */
	hello[8] ^= 0x40;
	fd = dial(fx->tport);
	send(fd, hello, n, MSG_NOSIGNAL);
	assert_true(closed_by_peer(fd));
	close(fd);

	/* And the port still serves. */
	s_client(fx, "-servername myapp.com", out, sizeof(out));
	assert_non_null(strstr(out, "subject=CN = myapp.com"));
}

/* A handshake that stalls is closed when its time is up (60 s; here
 * less), and the port serves meanwhile. */
static void test_stalled_handshake_is_closed(void **state)
{
	struct fx *fx = *state;
	unsigned char hello[4096];
	size_t n = client_hello(hello, sizeof(hello));
	int quiet, half;

	fx->ing->handshake_ms = 1000;
	quiet = dial(fx->tport);
	half = dial(fx->tport);
	send(half, hello, n / 2, MSG_NOSIGNAL);
	s_client(fx, "-servername myapp.com", out, sizeof(out));
	assert_non_null(strstr(out, "subject=CN = myapp.com"));
	assert_true(closed_by_peer(quiet));
	assert_true(closed_by_peer(half));
	close(quiet);
	close(half);
}

/* A client that stays connected: openssl s_client, fed requests on its
 * stdin, its output on a pipe. */
struct held {
	pid_t pid;
	int in, out;
};

static void held_open(struct fx *fx, struct held *h)
{
	int pin[2], pout[2];
	char port[32];

	assert_int_equal(pipe(pin), 0);
	assert_int_equal(pipe(pout), 0);
	snprintf(port, sizeof(port), "127.0.0.1:%d", fx->tport);
	h->pid = fork();
	if (h->pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(pout[1], 2);
		close(pin[1]);
		close(pout[0]);
		execlp("openssl", "openssl", "s_client", "-connect", port, "-servername",
		       "myapp.com", "-ign_eof", (char *)NULL);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	h->in = pin[1];
	h->out = pout[0];
}

/* Sends bytes and reads until `want` shows. */
static bool held_expect(struct held *h, const char *send, const char *want)
{
	char buf[65536];
	size_t have = 0;

	if (write(h->in, send, strlen(send)) < 0)
		return false;
	for (;;) {
		struct pollfd p = {h->out, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			return false;
		n = read(h->out, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
		buf[have] = 0;
		if (strstr(buf, want))
			return true;
	}
}

static void held_close(struct held *h)
{
	int st;

	close(h->in);
	close(h->out);
	kill(h->pid, SIGTERM);
	waitpid(h->pid, &st, 0);
}

/* Sends a request and reads until the upstream's answer shows. */
static bool held_request(struct held *h, const char *path)
{
	char req[256], buf[65536];
	size_t have = 0;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: myapp.com\r\n\r\n", path);
	if (write(h->in, req, strlen(req)) < 0)
		return false;
	for (;;) {
		struct pollfd p = {h->out, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			return false;
		n = read(h->out, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
		buf[have] = 0;
		if (strstr(buf, "GET ") && strstr(buf, path) && strstr(buf, "upstream\n"))
			return true;
	}
}

static void test_swapped_certificates_serve_new_connections(void **state)
{
	struct fx *fx = *state;
	static const char *const second[] = {"myapp.com", "ec2.crt", "ec2.key", NULL};
	struct held h;

	held_open(fx, &h);
	assert_true(held_request(&h, "/before"));
	publish(fx, second);
	s_client(fx, "-servername myapp.com", out, sizeof(out));
	assert_non_null(strstr(out, "subject=CN = myapp.com, O = Second"));
	/* The open connection goes on. */
	assert_true(held_request(&h, "/after"));
	held_close(&h);
}

/* A handshake under way when the certificates change finishes with the
 * ones it started under: its snapshot stays alive until then, and no
 * longer. Meanwhile the port serves others. */
static void test_handshake_keeps_its_snapshot(void **state)
{
	struct fx *fx = *state;
	static const char *const second[] = {"myapp.com", "ec2.crt", "ec2.key", NULL};
	struct ing *ing = fx->ing;
	struct ing_world w = {ing->ings, ing->classes, ing->svcs, ing->eps, ing->config};
	struct ing_snap *s = calloc(1, sizeof(*s));
	unsigned char hello[4096], resp[16384];
	size_t n = client_hello(hello, sizeof(hello)), have = 0;
	volatile int stop = 0;
	struct ing_cert_src src;
	char *crt, *key;
	int fd;

	fd = dial(fx->tport);
	send(fd, hello, n / 2, MSG_NOSIGNAL);
	usleep(100000);
	crt = slurp(second[1], &src.crt_len);
	key = slurp(second[2], &src.key_len);
	src = (struct ing_cert_src){"myapp.com", "default/second", crt, src.crt_len, key,
				    src.key_len};
	s->table = ing_table_build(&w, no_warn, NULL);
	s->certs = ing_certs_build(&src, 1, ing->nloops);
	free(crt);
	free(key);
	k1s_pub_publish(&ing->pub, &s->base);
	for (int i = 0; i < ing->nloops; i++)
		ing_loop_wake(ing->loops[i]);
	/* The control side tries to give the old snapshot back meanwhile. */
	k1s_loop_timer(fx->loop, 200, pub_sync_stop, (void *)&stop);
	k1s_loop_run(fx->loop, &stop);
	assert_false(k1s_pub_caught_up(&ing->pub));
	s_client(fx, "-servername myapp.com", out, sizeof(out));
	assert_non_null(strstr(out, "subject=CN = myapp.com, O = Second"));

	send(fd, hello + n / 2, n - n / 2, MSG_NOSIGNAL);
	/* ServerHello, Certificate, ServerKeyExchange, ServerHelloDone: the
	 * certificate travels in the clear in TLS 1.2. */
	for (;;) {
		ssize_t k = recv(fd, resp + have, sizeof(resp) - have, 0);

		if (k <= 0)
			break;
		have += (size_t)k;
		if (have > 9 && memmem(resp, have, "\x0e\x00\x00\x00", 4))
			break;	/* ServerHelloDone */
	}
	assert_non_null(memmem(resp, have, "myapp.com", 9));
	assert_null(memmem(resp, have, "Second", 6));
	close(fd);
	if (pub_sync(fx->loop, &ing->pub) < 0)
		fail_msg("the old snapshot is still held");
}

/* A keep-alive connection idle past ING_PARK_MS gives its buffers back
 * and waits with a poll; its session stays, and the next request on it
 * is served. */
static void test_idle_session_parks_and_goes_on(void **state)
{
	struct fx *fx = *state;
	struct held h;

	held_open(fx, &h);
	assert_true(held_request(&h, "/first"));
	sleep(ING_PARK_MS / 1000 + 1);
	assert_true(held_request(&h, "/after-a-rest"));
	held_close(&h);
}

static void test_websocket_over_tls(void **state)
{
	struct fx *fx = *state;
	struct held h;

	held_open(fx, &h);
	assert_true(held_expect(&h,
				"GET /ws HTTP/1.1\r\nHost: myapp.com\r\nUpgrade: websocket\r\n"
				"Connection: Upgrade\r\n\r\n",
				"101 Switching Protocols"));
	assert_true(held_expect(&h, "ping over the tunnel\n", "ping over the tunnel"));
	held_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sni_picks_the_hosts_certificate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_name_gets_the_fake_certificate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_alpn_is_http11, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls12_only_and_the_ciphers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resumption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_curl_through_to_the_upstream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_mib_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_cipher_carries_a_mib_both_ways, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_closed_session_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_sends_close_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renegotiation_is_refused, setup, teardown),
		cmocka_unit_test(test_offloaded_key_signs_for_its_certificate),
		cmocka_unit_test_setup_teardown(test_flipped_bit_gets_bad_record_mac, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_garbage_and_truncated_hellos_are_closed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stalled_handshake_is_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_certificates_serve_new_connections,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_keeps_its_snapshot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_websocket_over_tls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_session_parks_and_goes_on, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
