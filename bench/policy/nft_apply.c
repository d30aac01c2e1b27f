/* bench/policy: the kernel side's cost.
 *
 *   nft_apply N [REPEAT] [CONNS]
 *
 * In the network namespace it runs in (run.sh gives it one of its own, so
 * no table of the host's is touched), with N pods' chains in table inet
 * k1s-policy (every pod isolated for ingress from ten peers on TCP 80 and
 * a /24 on any protocol, every other pod for egress too):
 *   - apply: the whole table made (a first start), adopted from the run
 *     before (a restart), and one change beside the rest, incremental: a
 *     peer added to one pod, a pod's chains added, the same removed,
 *     nothing changed; medians of REPEAT;
 *   - connections: CONNS TCP connections one after another from a pod to
 *     a pod on routed veths (as the runtime makes them), with no table,
 *     then with the N chains and the server isolated (the client allowed):
 *     connections per second and the cost per connection.
 *
 * Compiled by run.sh against the build's libpolicy.a and libk1s.a. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pol_int.h"

#define BASE 0x0af40000u	/* 10.244.0.0 */
#define SRV "10.244.255.3"
#define CLI "10.244.255.2"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), dcmp);
	return v[n / 2];
}

static void push(struct pol_elems *e, uint32_t lo, uint32_t hi, uint16_t p, uint8_t proto)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->v = realloc(e->v, e->cap * sizeof(*e->v));
		if (!e->v)
			abort();
	}
	memset(&e->v[e->n], 0, sizeof(e->v[0]));
	e->v[e->n].lo = lo;
	e->v[e->n].hi = hi;
	e->v[e->n].plo = e->v[e->n].phi = p;
	e->v[e->n].proto = proto;
	e->n++;
}

/* Pod i at 10.244.(i/250).(i%250+2); extra: one more peer in its ingress. */
static void pod(struct pol_nft_pod *p, size_t i, size_t n, int extra)
{
	memset(p, 0, sizeof(*p));
	p->ip = BASE + (uint32_t)(i / 250) * 256 + (uint32_t)(i % 250) + 2;
	p->isolated[POL_INGRESS] = true;
	p->isolated[POL_EGRESS] = i % 2;
	for (size_t k = 1; k <= 10; k++) {
		size_t j = (i + k * 7) % n;
		uint32_t ip = BASE + (uint32_t)(j / 250) * 256 + (uint32_t)(j % 250) + 2;

		push(&p->rules[POL_INGRESS], ip, ip, 80, POL_TCP);
	}
	push(&p->rules[POL_INGRESS], 0x0a000100, 0x0a0001ff, 0, 0);
	if (extra)
		push(&p->rules[POL_INGRESS], 0x0a000200 + (uint32_t)extra,
		     0x0a000200 + (uint32_t)extra, 443, POL_TCP);
	if (p->isolated[POL_EGRESS]) {
		push(&p->rules[POL_EGRESS], BASE, BASE + 0xffff, 53, POL_UDP);
		push(&p->rules[POL_EGRESS], BASE, BASE + 0xffff, 80, POL_TCP);
	}
}

static void pods_free(struct pol_nft_pod *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].rules[0].v);
		free(p[i].rules[1].v);
	}
}

static void apply_bench(size_t n, int repeat)
{
	struct pol_nft_pod *p = calloc(n + 1, sizeof(*p));
	struct pol_nft_config cfg = { .log_group = 1398 };
	double full[64], peer[64], add[64], del[64], same[64];
	struct pol_nft *nft;
	int err;

	for (size_t i = 0; i < n + 1; i++)
		pod(&p[i], i, n, 0);
	for (int r = 0; r < repeat; r++) {
		double t;

		nft = pol_nft_new(&cfg, &err);
		if (!nft) {
			fprintf(stderr, "pol_nft_new: %s\n", strerror(-err));
			exit(1);
		}
		t = now_ms();
		if (pol_nft_apply_pods(nft, p, n, NULL) < 0)
			exit(1);
		full[r] = now_ms() - t;
		/* One peer more for pod 0. */
		free(p[0].rules[0].v);
		free(p[0].rules[1].v);
		pod(&p[0], 0, n, r + 1);
		t = now_ms();
		if (pol_nft_apply_pods(nft, p, n, NULL) < 0)
			exit(1);
		peer[r] = now_ms() - t;
		t = now_ms();
		if (pol_nft_apply_pods(nft, p, n + 1, NULL) < 0)
			exit(1);
		add[r] = now_ms() - t;
		t = now_ms();
		if (pol_nft_apply_pods(nft, p, n, NULL) < 0)
			exit(1);
		del[r] = now_ms() - t;
		t = now_ms();
		if (pol_nft_apply_pods(nft, p, n, NULL) < 0)
			exit(1);
		same[r] = now_ms() - t;
		pol_nft_free(nft, r == repeat - 1);
	}
	/* The first run makes the table; the others adopt the one the run
	 * before left (a restart). */
	printf("%5zu pods' chains: table made %.1f ms, adopted %.1f ms; incremental: a peer %.2f ms, "
	       "a pod's chains added %.2f ms, removed %.2f ms, nothing changed %.2f ms\n",
	       n, full[0], repeat > 1 ? median(full + 1, repeat - 1) : 0.0, median(peer, repeat),
	       median(add, repeat), median(del, repeat), median(same, repeat));
	pods_free(p, n + 1);
	free(p);
}

/* ---- connections between two pods ---- */

static int cli_ns, host_ns;

static void *serve(void *arg)
{
	int l = *(int *)arg;

	for (;;) {
		int c = accept(l, NULL, NULL);

		if (c < 0)
			return NULL;
		close(c);
	}
}

static double conns(int count)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80) };
	double t = now_ms();

	inet_pton(AF_INET, SRV, &sa.sin_addr);
	for (int i = 0; i < count; i++) {
		int fd;
		char b;

		setns(cli_ns, CLONE_NEWNET);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		setns(host_ns, CLONE_NEWNET);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || read(fd, &b, 1) != 0) {
			perror("connect");
			exit(1);
		}
		close(fd);
	}
	return now_ms() - t;
}

static void conn_bench(size_t n, int count)
{
	struct pol_nft_pod *p = calloc(n + 1, sizeof(*p));
	struct pol_nft_config cfg = { .log_group = 1398 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80) };
	struct pol_nft *nft;
	pthread_t t;
	double ms0, ms1;
	int srv_ns, l, one = 1, err;

	host_ns = open("/proc/self/ns/net", O_RDONLY);
	cli_ns = open("/run/netns/k1s-bpol-c", O_RDONLY);
	srv_ns = open("/run/netns/k1s-bpol-s", O_RDONLY);
	if (host_ns < 0 || cli_ns < 0 || srv_ns < 0) {
		fprintf(stderr, "connections: no pods (run.sh makes them)\n");
		return;
	}
	setns(srv_ns, CLONE_NEWNET);
	l = socket(AF_INET, SOCK_STREAM, 0);
	setns(host_ns, CLONE_NEWNET);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, SRV, &sa.sin_addr);
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1024) < 0) {
		perror("server");
		exit(1);
	}
	pthread_create(&t, NULL, serve, &l);
	conns(count / 10);
	ms0 = conns(count);
	/* The chains, and the server's address isolated, the client allowed. */
	for (size_t i = 0; i < n; i++)
		pod(&p[i], i, n, 0);
	p[n].ip = ntohl(sa.sin_addr.s_addr);
	p[n].isolated[POL_INGRESS] = true;
	push(&p[n].rules[POL_INGRESS], 0x0af4ff02, 0x0af4ff02, 80, POL_TCP);
	nft = pol_nft_new(&cfg, &err);
	if (!nft || pol_nft_apply_pods(nft, p, n + 1, NULL) < 0)
		exit(1);
	conns(count / 10);
	ms1 = conns(count);
	printf("%5zu pods' chains: %d connections in turn: %.0f/s without the table, %.0f/s with "
	       "it (%.1f us a connection without, %+.1f us with)\n",
	       n, count, count / ms0 * 1e3, count / ms1 * 1e3, ms0 * 1e3 / count,
	       (ms1 - ms0) * 1e3 / count);
	pol_nft_free(nft, true);
	pods_free(p, n + 1);
	free(p);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	int repeat = argc > 2 ? atoi(argv[2]) : 9;
	int count = argc > 3 ? atoi(argv[3]) : 0;

	if (repeat < 1 || repeat > 64)
		repeat = 9;
	apply_bench(n, repeat);
	if (count > 0)
		conn_bench(n, count);
	return 0;
}
