/* bench/ingress: TLS handshakes per second, one request per connection.
 * PROCS processes each loop for SECONDS: connect, a TLS 1.2 handshake
 * with SNI (ECDHE on P-256 only, so that every server does the same
 * P-256 work), GET / with Connection: close, read the answer to the
 * server's close. With "new" every handshake is full (no session is ever
 * offered); with "reuse" each process offers the session of its previous
 * connection (a ticket, or an ID), as a browser does.
 *
 *   tls_conns ADDR PORT SNI SECONDS PROCS new|reuse
 *
 * Prints "conns/s p50ms p99ms resumed failed unclean": resumed counts the
 * handshakes the server took as resumptions, failed the connections that
 * did not end in a 200, unclean those the server closed without a
 * close_notify (OpenSSL clients then drop the session). wrk cannot do this: it has no SNI apart from the
 * URL's host, no way to pin the group, and no resumption at all. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (1 << 20)

struct tally {
	long conns, resumed, failed, unclean, samples;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One connection; 1 when it ended in a 200. With sess, the session
 * kept is offered and the one this handshake settled on kept. *unclean
 * is set when the server closed without a close_notify. */
static int one(SSL_CTX *ctx, const struct sockaddr_in *sa, const char *sni, SSL_SESSION **sess,
	       int *resumed, int *unclean)
{
	char buf[16384], req[512];
	int fd, ok = 0, n, got = 0, one_ = 1;
	SSL *ssl;

	*resumed = *unclean = 0;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof(one_));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		close(fd);
		return 0;
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, sni);
	if (sess && *sess)
		SSL_set_session(ssl, *sess);
	if (SSL_connect(ssl) == 1) {
		*resumed = SSL_session_reused(ssl);
		if (sess) {
			/* A copy: OpenSSL marks the connection's own session
			 * unresumable when the server closes without a
			 * close_notify, which would hide the handshakes
			 * measured here behind that (counted apart). A TLS 1.2
			 * server's ticket, new or renewed, came in the
			 * handshake. */
			SSL_SESSION_free(*sess);
			*sess = SSL_SESSION_dup(SSL_get0_session(ssl));
		}
		n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
			     sni);
		if (SSL_write(ssl, req, n) == n)
			while ((n = SSL_read(ssl, buf, sizeof(buf) - 1)) > 0) {
				if (!got) {
					buf[n] = '\0';
					ok = strncmp(buf, "HTTP/1.1 200", 12) == 0;
				}
				got += n;
			}
		*unclean = got > 0 && !(SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN);
	}
	SSL_free(ssl);
	close(fd);
	return ok;
}

static void worker(const struct sockaddr_in *sa, const char *sni, double secs, int reuse, int out)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_SESSION *sess = NULL;
	struct tally t = {0};
	float *lat = malloc(MAX_SAMPLES * sizeof(*lat));
	double end = now() + secs, t0, t1;
	int resumed, unclean;

	if (!ctx || !lat)
		exit(1);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set1_groups_list(ctx, "P-256");
	SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
	/* The client's own cache stays off: only what one() keeps is offered. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	signal(SIGPIPE, SIG_IGN);
	for (t0 = now(); t0 < end; t0 = t1) {
		int ok = one(ctx, sa, sni, reuse ? &sess : NULL, &resumed, &unclean);

		t1 = now();
		t.conns++;
		t.resumed += resumed;
		t.failed += !ok;
		t.unclean += unclean;
		if (t.samples < MAX_SAMPLES)
			lat[t.samples++] = (float)((t1 - t0) * 1000);
	}
	if (write(out, &t, sizeof(t)) != sizeof(t) ||
	    write(out, lat, t.samples * sizeof(*lat)) != (ssize_t)(t.samples * sizeof(*lat)))
		exit(1);
	exit(0);
}

static int cmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* Read exactly n bytes (a pipe hands large writes over in pieces). */
static int readn(int fd, void *p, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, (char *)p + got, n - got);

		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct tally sum = {0};
	float *all;
	double secs;
	int procs, reuse;
	size_t nall = 0;

	if (argc != 7 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: tls_conns ADDR PORT SNI SECONDS PROCS new|reuse\n");
		return 2;
	}
	sa.sin_port = htons(atoi(argv[2]));
	secs = atof(argv[4]);
	procs = atoi(argv[5]);
	reuse = strcmp(argv[6], "reuse") == 0;
	all = malloc((size_t)procs * MAX_SAMPLES * sizeof(*all));
	if (procs < 1 || !all)
		return 2;

	int fds[procs];
	for (int i = 0; i < procs; i++) {
		int p[2];

		if (pipe(p) < 0)
			return 1;
		if (fork() == 0) {
			close(p[0]);
			worker(&sa, argv[3], secs, reuse, p[1]);
		}
		close(p[1]);
		fds[i] = p[0];
	}
	for (int i = 0; i < procs; i++) {
		struct tally t;

		if (readn(fds[i], &t, sizeof(t)) < 0 ||
		    readn(fds[i], all + nall, t.samples * sizeof(*all)) < 0) {
			fprintf(stderr, "tls_conns: a worker died\n");
			return 1;
		}
		nall += t.samples;
		sum.conns += t.conns;
		sum.resumed += t.resumed;
		sum.failed += t.failed;
		sum.unclean += t.unclean;
	}
	while (wait(NULL) > 0)
		;
	qsort(all, nall, sizeof(*all), cmp);
	printf("%.0f %.2f %.2f %ld %ld %ld\n", sum.conns / secs, nall ? all[nall / 2] : 0.0,
	       nall ? all[(size_t)(nall * 0.99)] : 0.0, sum.resumed, sum.failed, sum.unclean);
	return 0;
}
