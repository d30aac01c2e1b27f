/* New connections per second through a cluster IP, from a client pod's
 * address, with NetworkPolicy's evaluator asked for each (the
 * dataplane's pol_check per endpoint) and without the policy module:
 * the cost per connection of asking. The store holds 64 pods; policies
 * select other pods (one of them the backend's, admitting the client),
 * so each connection's check finds the backend isolated and its rules to
 * read.
 *
 *   dp_conns [SECONDS [POLICIES...]]     (root: a local route on lo)
 *
 * Default: 3 s each, policies 0 100 1000; each figure the median of
 * three runs, taken in turns. One client thread, one backend thread, the dataplane with
 * one loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dp.h"
#include "k1s_json.h"
#include "k1s_loop.h"
#include "pol.h"
#include "../../tests/fakes/fake_writer.h"

#define RANGE "10.252.128.0/18"
#define POD_NET "10.252.128.0/20"
#define CLIENT "10.252.130.1"
#define BACKEND "10.252.130.2"
#define CIP "10.252.160.10"
#define PORT 18090

static volatile int stop_flag;

static int bound(const char *ip, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	inet_pton(AF_INET, ip, &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror(ip);
		exit(1);
	}
	return fd;
}

static void *backend_main(void *arg)
{
	int lfd = *(int *)arg, fd;

	/* The client ends each connection with a reset (below), so no side
	 * keeps TIME_WAIT: a run would otherwise slow the next as ephemeral
	 * ports run short. */
	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		char c;

		send(fd, "x", 1, MSG_NOSIGNAL);
		while (recv(fd, &c, 1, 0) > 0)
			;
		close(fd);
	}
	return NULL;
}

/* Wakes the loop now and then, so that it sees stop_flag. */
static int tick(void *arg)
{
	(void)arg;
	return 50;
}

static void *loop_main(void *arg)
{
	k1s_loop_run(arg, &stop_flag);
	return NULL;
}

static void create(struct fake_writer *fw, const char *group, const char *r, json_t *o)
{
	if (fw->w.create(fw->w.arg, k1s_resource_find(group, r), o) < 0)
		fprintf(stderr, "creating %s failed\n", r);
	json_decref(o);
}

/* Connections a second for `secs` from CLIENT to the cluster IP. */
static double conns_per_s(int secs)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
	int64_t t0 = k1s_now_ms(), n = 0, failed = 0;

	inet_pton(AF_INET, CIP, &a.sin_addr);
	while (k1s_now_ms() - t0 < secs * 1000LL) {
		int fd = bound(CLIENT, 0);
		char c;

		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && recv(fd, &c, 1, 0) == 1)
			n++;
		else
			failed++;
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0}, sizeof(struct linger));
		close(fd);
	}
	if (failed)
		fprintf(stderr, "%lld connections failed\n", (long long)failed);
	return (double)n * 1000.0 / (double)(k1s_now_ms() - t0);
}

/* The last run's nanoseconds per pol_check() of the client's flow. */
static double check_ns[2];

static double check_cost(struct pol *pol)
{
	struct pol_flow f = {0x0afc8201, 0x0afc8202, PORT, POL_TCP};	/* CLIENT -> BACKEND */
	struct timespec a, b;
	int n = 2000000, allowed = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++)
		allowed += pol_check(pol, &f) == POL_ALLOWED;
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (allowed != n)
		fprintf(stderr, "the client's flow was denied\n");
	return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n;
}

/* One run: a fresh store, the module with npol policies (or none at all
 * when npol < 0), the dataplane. */
static double run(int secs, int npol)
{
	char dir[] = "/tmp/dp_conns.XXXXXX", cmd[64];
	struct pol_config pcfg = {.node_ip = "127.0.0.3"};
	struct dp_config cfg = {.loops = 1, .node_ip = "127.0.0.3"};
	struct fake_writer fw;
	struct k1s_loop *loop;
	struct pol *pol = NULL;
	struct st *st;
	struct dp *dp;
	pthread_t th;
	double r;
	int err = 0;

	k1s_cidr_parse(POD_NET, &pcfg.pod_net);
	if (!mkdtemp(dir))
		exit(1);
	st = st_open(dir, &(struct st_opts){ST_SYNC_NORMAL, 0}, &err);
	loop = k1s_loop_new();
	fake_writer_init(&fw, st);
	st_begin(st);
	create(&fw, "", "namespaces", json_pack("{s:{s:s,s:{s:s}}}", "metadata", "name", "default",
					        "labels", "kubernetes.io/metadata.name", "default"));
	for (int i = 0; i < 64; i++) {
		char name[16], ip[16], app[16];

		snprintf(name, sizeof(name), "pod%d", i);
		snprintf(ip, sizeof(ip), "10.252.130.%d", i + 1);
		snprintf(app, sizeof(app), i == 0 ? "client" : i == 1 ? "api" : "app%d", i);
		create(&fw, "", "pods",
		       json_pack("{s:{s:s,s:s,s:{s:s}}, s:{s:[{s:s,s:s}]}, s:{s:s,s:s}}",
				 "metadata", "name", name, "namespace", "default", "labels", "app",
				 app, "spec", "containers", "name", "c", "image", "x", "status",
				 "phase", "Running", "podIP", ip));
	}
	/* Policy 0 isolates the backend and admits the client; the others
	 * select pods that take no part. */
	for (int i = 0; i < npol; i++) {
		char name[16], app[16];

		snprintf(name, sizeof(name), "np%d", i);
		snprintf(app, sizeof(app), i == 0 ? "api" : "app%d", 2 + i % 62);
		create(&fw, "networking.k8s.io", "networkpolicies",
		       json_pack("{s:{s:s,s:s}, s:{s:{s:{s:s}}, s:[{s:[{s:{s:{s:s}}}], s:[{s:i}]}]}}",
				 "metadata", "name", name, "namespace", "default", "spec",
				 "podSelector", "matchLabels", "app", app, "ingress", "from",
				 "podSelector", "matchLabels", "app", "client", "ports", "port", PORT));
	}
	create(&fw, "", "services",
	       json_pack("{s:{s:s,s:s}, s:{s:s,s:[{s:s,s:i}]}}", "metadata", "name", "web",
			 "namespace", "default", "spec", "clusterIP", CIP, "ports", "protocol", "TCP",
			 "port", 80));
	create(&fw, "", "endpoints",
	       json_pack("{s:{s:s,s:s}, s:[{s:[{s:s}], s:[{s:s,s:i}]}]}", "metadata", "name", "web",
			 "namespace", "default", "subsets", "addresses", "ip", BACKEND, "ports",
			 "protocol", "TCP", "port", PORT));
	st_commit(st);
	if (npol >= 0 && !(pol = pol_new(st, loop, &pcfg, &err)))
		exit(1);
	cfg.pol = pol;
	dp = dp_new(st, loop, &fw.w, &cfg, &err);
	if (!dp)
		exit(1);
	k1s_loop_hook(loop, tick, NULL);
	stop_flag = 0;
	pthread_create(&th, NULL, loop_main, loop);
	usleep(300000);
	if (pol)
		check_ns[npol >= 0 ? 1 : 0] = check_cost(pol);
	r = conns_per_s(secs);
	stop_flag = 1;
	k1s_loop_stop(loop);
	pthread_join(th, NULL);
	dp_free(dp);
	pol_free(pol);
	k1s_loop_free(loop);
	st_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return r;
}

static double median3(double *r)
{
	double a = r[0], b = r[1], c = r[2], t;

	if (a > b)
		t = a, a = b, b = t;
	if (b > c)
		t = b, b = c, c = t;
	if (a > b)
		t = a, a = b, b = t;
	return b;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 3, lfd;
	int def[] = {0, 100, 1000}, *pols = def, npols = 3;
	pthread_t bt;
	double base, *res, *ns;

	if (argc > 2) {
		npols = argc - 2;
		pols = calloc((size_t)npols, sizeof(int));
		for (int i = 0; i < npols; i++)
			pols[i] = atoi(argv[i + 2]);
	}
	if (system("ip route replace local " RANGE " dev lo") != 0)
		return 1;
	lfd = bound(BACKEND, PORT);
	listen(lfd, 4096);
	pthread_create(&bt, NULL, backend_main, &lfd);
	/* Three rounds of every configuration in turn, so that a drift of
	 * the machine falls on all alike; the median of each. */
	res = calloc((size_t)(npols + 1) * 3, sizeof(double));
	ns = calloc((size_t)(npols + 1) * 3, sizeof(double));
	for (int round = 0; round < 3; round++)
		for (int i = -1; i < npols; i++) {
			res[(i + 1) * 3 + round] = run(secs, i < 0 ? -1 : pols[i]);
			ns[(i + 1) * 3 + round] = check_ns[1];
		}
	base = median3(res);
	printf("%-16s %10s %8s %14s %14s\n", "policy module", "conns/s", "vs none", "us/conn more",
	       "ns/pol_check");
	printf("%-16s %10.0f %8s %14s %14s\n", "none", base, "1.000", "-", "-");
	for (int i = 0; i < npols; i++) {
		char what[32];
		double r = median3(res + (i + 1) * 3);

		snprintf(what, sizeof(what), "%d policies", pols[i]);
		printf("%-16s %10.0f %8.3f %14.2f %14.1f\n", what, r, r / base,
		       1e6 / r - 1e6 / base, median3(ns + (i + 1) * 3));
	}
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	if (system("ip route del local " RANGE " dev lo") != 0)
		fprintf(stderr, "could not remove the route\n");
	return 0;
}
