/* The forwarder against a fake upstream on 127.0.0.1: resolv.conf
 * parsing (our own addresses skipped), an answer relayed with the
 * client's ID, the cache with its TTLs counted down, negative caching
 * (RFC 2308), answers that do not match the question ignored, SERVFAIL
 * on timeout, on a refused port and with no upstream at all, and TC when
 * the client takes less than the answer. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "dns_test.h"

static struct dns_cache *cache;
static uint8_t got[65536];
static size_t ngot;
static int nreplies;

static void on_reply(void *arg, const struct dns_client *c, const uint8_t *p, size_t n)
{
	memcpy(got, p, n);
	ngot = n;
	nreplies++;
}

struct fake {
	int fd;
	struct sockaddr_in addr;
};

static void fake_open(struct fake *u)
{
	socklen_t len = sizeof(u->addr);

	u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(u->fd >= 0);
	memset(&u->addr, 0, sizeof(u->addr));
	u->addr.sin_family = AF_INET;
	u->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(u->fd, (struct sockaddr *)&u->addr, sizeof(u->addr)), 0);
	assert_int_equal(getsockname(u->fd, (struct sockaddr *)&u->addr, &len), 0);
}

/* Reads the query the forwarder sent; its length, or 0 if none came. */
static size_t fake_recv(struct fake *u, uint8_t *q, struct sockaddr_in *from, int wait_ms)
{
	struct pollfd pfd = {u->fd, POLLIN, 0};
	socklen_t len = sizeof(*from);
	ssize_t n;

	if (poll(&pfd, 1, wait_ms) != 1)
		return 0;
	n = recvfrom(u->fd, q, 4096, 0, (struct sockaddr *)from, &len);
	return n > 0 ? (size_t)n : 0;
}

/* Answers query q: rcode, and one A (ttl) or an SOA in authority. */
static size_t fake_answer(const uint8_t *q, size_t qn, uint8_t *r, int rcode, uint32_t ttl,
			  bool soa, size_t pad)
{
	struct dns_q pq;
	size_t n;

	assert_int_equal(dns_parse_query(q, qn, &pq), 0);
	n = pq.qend;
	memcpy(r, q, n);
	dns_hdr(r, pq.id, pq.flags, DNS_F_RA, rcode, 1, rcode == 0 && !soa ? 1 : 0,
		soa ? 1 : 0, 0);
	if (rcode == 0 && !soa) {
		static const uint8_t a[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 1};

		memcpy(r + n, a, sizeof(a));
		dns_put32(r + n + 6, ttl);
		n += sizeof(a);
	}
	if (soa) {
		/* owner ., rdata: two root names + 20 bytes, MINIMUM 30 */
		uint8_t s[11 + 22] = {0, 0, 6, 0, 1, 0, 0, 0, 0, 0, 22};

		dns_put32(s + 5, ttl);
		dns_put32(s + 11 + 2 + 16, 30);
		memcpy(r + n, s, sizeof(s));
		n += sizeof(s);
	}
	/* Padding as an extra TXT in additional, to make it big. */
	if (pad) {
		uint8_t t[12] = {0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60};

		dns_put16(t + 10, (uint16_t)pad);
		memcpy(r + n, t, 12);
		memset(r + n + 12, 0, pad);
		r[n + 12] = (uint8_t)(pad - 1);
		n += 12 + pad;
		dns_put16(r + 10, 1);
	}
	return n;
}

/* Delivers what the forwarder's socket got to dns_fwd_input/_error. */
static void pump(struct dns_fwd *f, int64_t now, int wait_ms)
{
	struct pollfd pfd = {dns_fwd_fd(f, 0), POLLIN, 0};
	uint8_t buf[65536];
	ssize_t n;

	if (poll(&pfd, 1, wait_ms) != 1)
		return;
	n = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n >= 0)
		dns_fwd_input(f, 0, buf, (size_t)n, now);
	else
		dns_fwd_error(f, 0, -errno, now);
}

static struct dns_fwd *fwd_to(struct fake *u)
{
	struct dns_upstreams up = {.n = 1};

	up.addr[0] = u->addr;
	dns_cache_free(cache);
	cache = dns_cache_new();
	return dns_fwd_new(&up, cache, on_reply, NULL);
}

static void ask(struct dns_fwd *f, uint16_t id, const char *name, uint16_t edns,
		uint16_t limit, int64_t now)
{
	uint8_t q[512];
	size_t n = t_query(q, id, name, DNS_T_A, edns);
	struct dns_q pq;
	struct dns_client c = {.fd = -1, .limit = limit};

	assert_int_equal(dns_parse_query(q, n, &pq), 0);
	dns_fwd_query(f, q, n, &pq, NULL, NULL, 0, &c, now);
}

static void test_resolv(void **state)
{
	char path[] = "/tmp/test_dns_resolv.XXXXXX";
	int fd = mkstemp(path);
	const char *txt = "# comment\nsearch a.b\nnameserver 10.96.0.10\n"
			  "nameserver 127.0.0.1\nnameserver ::1\noptions ndots:5\n"
			  "nameserver 1.1.1.1\nnameserver 8.8.8.8\nnameserver 9.9.9.9\n";
	struct sockaddr_in self = {.sin_family = AF_INET, .sin_port = htons(53)};
	struct dns_upstreams up;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, txt, strlen(txt)), (ssize_t)strlen(txt));
	close(fd);
	inet_pton(AF_INET, "10.96.0.10", &self.sin_addr);
	assert_int_equal(dns_read_resolv(path, &self, 1, &up), 0);
	assert_int_equal(up.n, 3);
	assert_string_equal(inet_ntoa(up.addr[0].sin_addr), "127.0.0.1");
	assert_string_equal(inet_ntoa(up.addr[1].sin_addr), "1.1.1.1");
	assert_string_equal(inet_ntoa(up.addr[2].sin_addr), "8.8.8.8");
	assert_int_equal(ntohs(up.addr[0].sin_port), 53);
	assert_true(dns_read_resolv("/nonexistent/resolv.conf", NULL, 0, &up) < 0);

	/* Listening on 0.0.0.0:53: every address of the host is ours. */
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	txt = "nameserver 127.0.0.1\nnameserver 127.0.0.53\nnameserver 192.0.2.77\n";
	assert_int_equal(write(fd, txt, strlen(txt)), (ssize_t)strlen(txt));
	close(fd);
	self.sin_addr.s_addr = htonl(INADDR_ANY);
	assert_int_equal(dns_read_resolv(path, &self, 1, &up), 0);
	unlink(path);
	assert_int_equal(up.n, 1);
	assert_string_equal(inet_ntoa(up.addr[0].sin_addr), "192.0.2.77");
}

/* Only whole lines that start with the keyword and a blank name an
 * upstream, as glibc reads them: not the tail of a long comment, not an
 * indented line, not "nameserver" glued to its address. */
static void test_resolv_lines(void **state)
{
	char path[] = "/tmp/test_dns_resolv.XXXXXX";
	int fd = mkstemp(path);
	char txt[1024];
	struct sockaddr_in self = {.sin_family = AF_INET, .sin_port = htons(53)};
	struct dns_upstreams up;
	int n;

	assert_true(fd >= 0);
	/* A comment whose tail starts where a 512-byte line buffer ends. */
	txt[0] = '#';
	memset(txt + 1, 'x', 510);
	n = 511 + snprintf(txt + 511, sizeof(txt) - 511,
			   "nameserver 7.7.7.7\n  nameserver 1.2.3.4\nnameserver1.2.3.5\n"
			   "nameserver\t1.2.3.6 trailing words\n");
	assert_int_equal(write(fd, txt, (size_t)n), n);
	close(fd);
	assert_int_equal(dns_read_resolv(path, &self, 1, &up), 0);
	unlink(path);
	assert_int_equal(up.n, 1);
	assert_string_equal(inet_ntoa(up.addr[0].sin_addr), "1.2.3.6");
}

static void test_forward_and_cache(void **state)
{
	struct fake u;
	struct dns_fwd *f;
	uint8_t q[4096], r[4096];
	struct sockaddr_in from;
	struct t_msg m;
	size_t n;

	fake_open(&u);
	f = fwd_to(&u);
	assert_non_null(f);
	nreplies = 0;
	ask(f, 0x1234, "Example.ORG", 0, 512, 1000);
	n = fake_recv(&u, q, &from, 1000);
	assert_true(n > 0);
	assert_int_equal(t_parse(q, n, &m), 0);
	/* The client's question as it asked it (case and all). */
	assert_memory_equal(q + DNS_HDR, "\007Example\003ORG", 12);
	assert_true(m.flags & DNS_F_RD);
	assert_false(m.opt);	/* the client spoke no EDNS0 */
	/* A reply for another question, with the right ID: ignored. */
	n = fake_answer(q, n, r, 0, 100, false, 0);
	r[DNS_HDR + 1] ^= 0x01;
	sendto(u.fd, r, n, 0, (struct sockaddr *)&from, sizeof(from));
	pump(f, 1000, 1000);
	assert_int_equal(nreplies, 0);
	r[DNS_HDR + 1] ^= 0x01;
	sendto(u.fd, r, n, 0, (struct sockaddr *)&from, sizeof(from));
	pump(f, 1000, 1000);
	assert_int_equal(nreplies, 1);
	assert_int_equal(t_parse(got, ngot, &m), 0);
	assert_int_equal(m.id, 0x1234);
	assert_int_equal(m.an, 1);
	assert_string_equal(m.rr[0].data, "192.0.2.1");
	assert_int_equal(m.rr[0].ttl, 100);

	/* 10 s later, in other case: from the cache, 90 s left. */
	ask(f, 0x5678, "example.org", 0, 512, 11000);
	assert_int_equal(nreplies, 2);
	assert_int_equal(t_parse(got, ngot, &m), 0);
	assert_int_equal(m.id, 0x5678);
	assert_memory_equal(got + DNS_HDR, "\007example\003org", 12);
	assert_int_equal(m.rr[0].ttl, 90);
	assert_int_equal(fake_recv(&u, q, &from, 50), 0);
	/* Another loop's forwarder shares the cache. */
	{
		struct dns_upstreams up = {.n = 1};
		struct dns_fwd *f2;

		up.addr[0] = u.addr;
		f2 = dns_fwd_new(&up, cache, on_reply, NULL);
		ask(f2, 0x1111, "example.org", 0, 512, 12000);
		assert_int_equal(nreplies, 3);
		assert_int_equal(fake_recv(&u, q, &from, 50), 0);
		dns_fwd_free(f2);
		nreplies = 2;
	}

	/* After the TTL: upstream again. */
	ask(f, 0x9abc, "example.org", 0, 512, 101000);
	assert_int_equal(nreplies, 2);
	assert_true(fake_recv(&u, q, &from, 1000) > 0);
	dns_fwd_free(f);
	close(u.fd);
}

static void test_negative_cache(void **state)
{
	struct fake u;
	struct dns_fwd *f;
	uint8_t q[4096], r[4096];
	struct sockaddr_in from;
	size_t n;

	fake_open(&u);
	f = fwd_to(&u);
	nreplies = 0;
	/* NXDOMAIN with an SOA (TTL 600, MINIMUM 30): cached for 30 s. */
	ask(f, 1, "nope.example", 0, 512, 0);
	n = fake_recv(&u, q, &from, 1000);
	n = fake_answer(q, n, r, DNS_RC_NXDOMAIN, 600, true, 0);
	sendto(u.fd, r, n, 0, (struct sockaddr *)&from, sizeof(from));
	pump(f, 0, 1000);
	assert_int_equal(nreplies, 1);
	assert_int_equal(got[3] & 0xf, DNS_RC_NXDOMAIN);
	ask(f, 2, "nope.example", 0, 512, 29000);
	assert_int_equal(nreplies, 2);
	assert_int_equal(got[3] & 0xf, DNS_RC_NXDOMAIN);
	ask(f, 3, "nope.example", 0, 512, 31000);
	assert_int_equal(nreplies, 2);
	assert_true(fake_recv(&u, q, &from, 1000) > 0);

	/* NXDOMAIN without an SOA: not cached. */
	ask(f, 4, "bare.example", 0, 512, 0);
	n = fake_recv(&u, q, &from, 1000);
	n = fake_answer(q, n, r, DNS_RC_NXDOMAIN, 0, false, 0);
	sendto(u.fd, r, n, 0, (struct sockaddr *)&from, sizeof(from));
	pump(f, 0, 1000);
	ask(f, 5, "bare.example", 0, 512, 10);
	assert_true(fake_recv(&u, q, &from, 1000) > 0);
	dns_fwd_free(f);
	close(u.fd);
}

static void test_servfail(void **state)
{
	struct fake u;
	struct dns_fwd *f;
	struct dns_upstreams none = {0};
	uint8_t q[4096];
	struct sockaddr_in from;
	struct t_msg m;

	/* Silence: SERVFAIL once the try times out. */
	fake_open(&u);
	f = fwd_to(&u);
	nreplies = 0;
	ask(f, 7, "slow.example", 1232, 1232, 0);
	assert_true(fake_recv(&u, q, &from, 1000) > 0);
	assert_true(dns_fwd_tick(f, 1999));
	assert_int_equal(nreplies, 0);
	assert_false(dns_fwd_tick(f, 2000));
	assert_int_equal(nreplies, 1);
	assert_int_equal(t_parse(got, ngot, &m), 0);
	assert_int_equal(m.id, 7);
	assert_int_equal(m.rcode, DNS_RC_SERVFAIL);
	assert_true(m.opt);

	/* A closed port: SERVFAIL as soon as the refusal comes back. */
	close(u.fd);
	ask(f, 8, "closed.example", 0, 512, 0);
	pump(f, 0, 1000);
	assert_int_equal(nreplies, 2);
	assert_int_equal(t_parse(got, ngot, &m), 0);
	assert_int_equal(m.id, 8);
	assert_int_equal(m.rcode, DNS_RC_SERVFAIL);
	dns_fwd_free(f);

	/* No upstream at all: at once. */
	f = dns_fwd_new(&none, NULL, on_reply, NULL);
	ask(f, 9, "any.example", 0, 512, 0);
	assert_int_equal(nreplies, 3);
	assert_int_equal(t_parse(got, ngot, &m), 0);
	assert_int_equal(m.rcode, DNS_RC_SERVFAIL);
	dns_fwd_free(f);
}

static void test_truncated_for_client(void **state)
{
	struct fake u;
	struct dns_fwd *f;
	uint8_t q[4096], r[4096];
	struct sockaddr_in from;
	struct t_msg m;
	size_t n;

	fake_open(&u);
	f = fwd_to(&u);
	nreplies = 0;
	ask(f, 11, "big.example", 1232, 1232, 0);
	n = fake_recv(&u, q, &from, 1000);
	n = fake_answer(q, n, r, 0, 60, false, 800);
	sendto(u.fd, r, n, 0, (struct sockaddr *)&from, sizeof(from));
	pump(f, 0, 1000);
	assert_int_equal(nreplies, 1);
	assert_int_equal(ngot, n);
	/* The same from the cache to a client that takes 512: TC. */
	ask(f, 12, "big.example", 1232, 512, 0);
	assert_int_equal(nreplies, 2);
	assert_int_equal(t_parse(got, ngot, &m), 0);
	assert_true(m.flags & DNS_F_TC);
	assert_int_equal(m.an, 0);
	assert_int_equal(m.id, 12);
	dns_fwd_free(f);
	close(u.fd);
}

/* resolv.conf changed: new queries go to the new upstream; one out to
 * an upstream that is no more gets SERVFAIL at once. */
static void test_new_upstreams(void **state)
{
	struct fake u1, u2;
	struct dns_fwd *f;
	struct dns_upstreams up = {.n = 1}, none = {0};
	uint8_t q[4096];
	struct sockaddr_in from;
	struct t_msg m;

	fake_open(&u1);
	fake_open(&u2);
	f = fwd_to(&u1);
	nreplies = 0;
	ask(f, 31, "one.example", 0, 512, 0);
	assert_true(fake_recv(&u1, q, &from, 1000) > 0);
	up.addr[0] = u2.addr;
	dns_fwd_set_upstreams(f, &up, 0);
	ask(f, 32, "two.example", 0, 512, 0);
	assert_true(fake_recv(&u2, q, &from, 1000) > 0);
	assert_int_equal(t_parse(q, 29, &m), 0);
	assert_string_equal(m.qname, "two.example.");
	assert_int_equal(fake_recv(&u1, q, &from, 50), 0);
	assert_int_equal(nreplies, 0);
	dns_fwd_set_upstreams(f, &none, 0);
	assert_int_equal(nreplies, 2);
	assert_int_equal(t_parse(got, ngot, &m), 0);
	assert_int_equal(m.rcode, DNS_RC_SERVFAIL);
	dns_fwd_free(f);
	close(u1.fd);
	close(u2.fd);
}

/* A truncated answer over UDP: the forwarder asks again over TCP, on the
 * same upstream port, and relays the whole answer. */
static void test_tcp_fallback(void **state)
{
	struct fake u;
	struct dns_fwd *f;
	uint8_t q[4096], r[4096], len[2];
	struct sockaddr_in from;
	struct t_msg m;
	struct pollfd pfd;
	size_t n, qn;
	int lfd, cfd;

	/* UDP and TCP on one port number: a free TCP port first, then the
	 * same for UDP, again until both are had. */
	for (int tries = 0;; tries++) {
		socklen_t al = sizeof(u.addr);

		assert_true(tries < 100);
		lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		memset(&u.addr, 0, sizeof(u.addr));
		u.addr.sin_family = AF_INET;
		u.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(lfd, (struct sockaddr *)&u.addr, sizeof(u.addr)), 0);
		assert_int_equal(getsockname(lfd, (struct sockaddr *)&u.addr, &al), 0);
		u.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (bind(u.fd, (struct sockaddr *)&u.addr, sizeof(u.addr)) == 0)
			break;
		close(u.fd);
		close(lfd);
	}
	assert_int_equal(listen(lfd, 4), 0);
	f = fwd_to(&u);
	nreplies = 0;
	ask(f, 21, "large.example", 1232, 65535, 0);
	qn = fake_recv(&u, q, &from, 1000);
	assert_true(qn > 0);
	n = fake_answer(q, qn, r, 0, 60, false, 0);
	r[2] |= DNS_F_TC >> 8;
	dns_put16(r + 6, 0);	/* TC, and nothing in it */
	n = (size_t)DNS_HDR + (qn - DNS_HDR - 11);
	sendto(u.fd, r, n, 0, (struct sockaddr *)&from, sizeof(from));
	pump(f, 0, 1000);
	assert_int_equal(nreplies, 0);

	/* The same question over TCP. */
	pfd = (struct pollfd){lfd, POLLIN, 0};
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	assert_int_equal(recv(cfd, len, 2, MSG_WAITALL), 2);
	qn = dns_get16(len);
	assert_int_equal(recv(cfd, q, qn, MSG_WAITALL), (ssize_t)qn);
	assert_int_equal(t_parse(q, qn, &m), 0);
	assert_string_equal(m.qname, "large.example.");
	n = fake_answer(q, qn, r, 0, 60, false, 1500);
	dns_put16(len, (uint16_t)n);
	assert_int_equal(send(cfd, len, 2, 0), 2);
	assert_int_equal(send(cfd, r, n, 0), (ssize_t)n);
	close(cfd);

	pfd = (struct pollfd){dns_fwd_event_fd(f), POLLIN, 0};
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	dns_fwd_tcp_done(f, 10);
	assert_int_equal(nreplies, 1);
	assert_int_equal(t_parse(got, ngot, &m), 0);
	assert_int_equal(m.id, 21);
	assert_false(m.flags & DNS_F_TC);
	assert_int_equal(m.an, 1);
	assert_true(ngot > 1500);
	dns_fwd_free(f);
	close(lfd);
	close(u.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolv),
		cmocka_unit_test(test_resolv_lines),
		cmocka_unit_test(test_forward_and_cache),
		cmocka_unit_test(test_negative_cache),
		cmocka_unit_test(test_servfail),
		cmocka_unit_test(test_truncated_for_client),
		cmocka_unit_test(test_tcp_fallback),
		cmocka_unit_test(test_new_upstreams),
	};

	int r = cmocka_run_group_tests(tests, NULL, NULL);

	dns_cache_free(cache);
	return r;
}
