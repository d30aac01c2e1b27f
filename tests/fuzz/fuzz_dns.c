/* The DNS query path over a fixed zone: the input is one query packet,
 * answered as over UDP (512 bytes or its EDNS0 size) and over TCP; every
 * answer must parse back cleanly within its length. Names at each offset
 * of the input go through the compression-following reader too.
 *
 * Then the same bytes as an upstream's answer: a forwarder asks a fake
 * upstream on 127.0.0.1 (a plain forward, and an ExternalName's chase, in
 * turn), and gets the input's header and records after the question it
 * asked; whatever it sends on must parse back cleanly too. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <jansson.h>

#include "dns_int.h"
#include "fuzz_dns_zone.h"

static const struct dns_snap *snap;

static void on_reply(void *arg, const struct dns_client *c, const uint8_t *p, size_t n)
{
	check(p, n);
	if (n > c->limit)
		abort();
}

static int up_fd = -1;
static struct dns_fwd *fwd;
static struct dns_cache *cache;

static void drop_fwd(void)
{
	dns_fwd_free(fwd);
	dns_cache_free(cache);
	if (up_fd >= 0)
		close(up_fd);
}

static void fwd_init(void)
{
	struct dns_upstreams up = {.n = 1};
	socklen_t len = sizeof(up.addr[0]);

	up_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	up.addr[0].sin_family = AF_INET;
	up.addr[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (up_fd < 0 || bind(up_fd, (struct sockaddr *)&up.addr[0], sizeof(up.addr[0])) < 0 ||
	    getsockname(up_fd, (struct sockaddr *)&up.addr[0], &len) < 0)
		abort();
	cache = dns_cache_new();
	fwd = dns_fwd_new(&up, cache, on_reply, NULL);
	if (!fwd)
		abort();
	atexit(drop_fwd);
}

/* One forward, answered with the input after the question. */
static void upstream(const uint8_t *data, size_t size, bool chase)
{
	static const uint8_t q_ext[] = "\003ext\007default\003svc\007cluster\005local";
	static const uint8_t q_out[] = "\003www\007example\003org";
	static int64_t now;
	uint8_t pkt[512], ask[512], *r, out[65536];
	const uint8_t *name = chase ? q_ext : q_out;
	size_t nl = chase ? sizeof(q_ext) : sizeof(q_out), n, an;
	const struct dns_node *ext;
	struct dns_q q;
	struct dns_client c = {.fd = -1, .limit = 1232};
	ssize_t got;
	int ans;

	now += 3600 * 1000;	/* nothing from the cache: each input is asked */
	dns_hdr(pkt, 0x7777, 0, 0, 0, 1, 0, 0, 1);
	dns_put16(pkt + 2, DNS_F_RD);	/* a query, not the answer dns_hdr writes */
	memcpy(pkt + DNS_HDR, name, nl);
	dns_put16(pkt + DNS_HDR + nl, DNS_T_A);
	dns_put16(pkt + DNS_HDR + nl + 2, DNS_C_IN);
	n = DNS_HDR + nl + 4;
	n += dns_opt(pkt + n, 0);
	ans = dns_answer(snap, pkt, n, out, sizeof(out), 0, &q, &ext);
	if (ans == DNS_FORWARD)
		dns_fwd_query(fwd, pkt, n, &q, NULL, NULL, 0, &c, now);
	else if (ans > 0 && ext)
		dns_fwd_query(fwd, pkt, n, &q, ext, out, (size_t)ans, &c, now);
	else
		abort();
	got = recv(up_fd, ask, sizeof(ask), 0);
	if (got < (ssize_t)DNS_HDR) {
		dns_fwd_tick(fwd, now + 10000);
		return;
	}
	/* The asked question, then the input's records. */
	r = malloc((size_t)got + size + DNS_HDR);
	if (!r)
		return;
	memcpy(r, ask, DNS_HDR);
	if (size >= DNS_HDR)
		memcpy(r + 2, data + 2, DNS_HDR - 2);
	r[2] |= 0x80;
	dns_put16(r + 4, 1);
	an = (size_t)got - DNS_HDR - 11;	/* question without our OPT */
	memcpy(r + DNS_HDR, ask + DNS_HDR, an);
	n = DNS_HDR + an;
	if (size > DNS_HDR) {
		memcpy(r + n, data + DNS_HDR, size - DNS_HDR);
		n += size - DNS_HDR;
	}
	dns_fwd_input(fwd, 0, r, n, now);
	dns_fwd_tick(fwd, now + 10000);
	dns_fwd_tcp_done(fwd, now + 10000);	/* a truncated one went to TCP */
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	const struct dns_node *ext;
	struct dns_q q;
	uint8_t name[DNS_MAXNAME + 1];
	uint8_t *copy;
	int n;

	if (!snap)
		snap = zone_snap();
	/* An exact-size copy, so that a read past the end is caught. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	n = dns_answer(snap, copy, size, out, sizeof(out), 0, &q, &ext);
	if (n > 0) {
		check(out, (size_t)n);
		/* UDP: 512 bytes, or the EDNS0 size up to our cap. */
		if ((size_t)n > (q.edns ? DNS_UDP_MAX : 512))
			abort();
	}
	n = dns_answer(snap, copy, size, out, sizeof(out), 65535, &q, &ext);
	if (n > 0) {
		/* The query log line of whatever came in: one line, bounded. */
		struct sockaddr_in from = {.sin_family = AF_INET};
		char line[1400];
		size_t len;

		check(out, (size_t)n);
		len = dns_qlog_line(line, sizeof(line), &from, true, copy, size, out, (size_t)n, 1);
		if (len >= sizeof(line) || strlen(line) != len || memchr(line, '\n', len))
			abort();
	}
	for (size_t off = 0; off < size && off < 64; off++) {
		size_t o = off;

		dns_name_read(copy, size, &o, name, sizeof(name));
	}
	if (!fwd)
		fwd_init();
	upstream(copy, size, false);
	upstream(copy, size, true);
	free(copy);
	return 0;
}
