/* Reconcile latency: beside N services, how long from the store write to
 * (1) a new service's first answered connection and (2) the last new
 * connection to an endpoint that was removed.
 *
 *   dp_latency SERVICES      (root; the range 10.254.64.0/18 routed local)
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "../../tests/fakes/fake_writer.h"

struct be {
	int fd, port;
	char id;
};

static void *be_main(void *arg)
{
	struct be *b = arg;
	int fd;

	while ((fd = accept(b->fd, NULL, NULL)) >= 0) {
		send(fd, &b->id, 1, MSG_NOSIGNAL);
		close(fd);
	}
	return NULL;
}

static void be_start(struct be *b, char id)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	pthread_t t;

	b->id = id;
	b->fd = socket(AF_INET, SOCK_STREAM, 0);
	bind(b->fd, (struct sockaddr *)&a, sizeof(a));
	listen(b->fd, 1024);
	getsockname(b->fd, (struct sockaddr *)&a, &len);
	b->port = ntohs(a.sin_port);
	pthread_create(&t, NULL, be_main, b);
	pthread_detach(t);
}

static void put(struct fake_writer *fw, const char *name, const char *ip, int port, bool update)
{
	const struct k1s_resource *rs = k1s_resource_find("", "services");
	const struct k1s_resource *re = k1s_resource_find("", "endpoints");
	json_t *s = json_pack("{s:{s:s,s:s}, s:{s:s,s:s,s:[{s:s,s:i}]}}", "metadata", "name",
			      name, "namespace", "default", "spec", "type", "ClusterIP",
			      "clusterIP", ip, "ports", "protocol", "TCP", "port", 80);
	json_t *e = json_pack("{s:{s:s,s:s}, s:[{s:[{s:s}], s:[{s:s,s:i}]}]}", "metadata", "name",
			      name, "namespace", "default", "subsets", "addresses", "ip",
			      "127.0.0.1", "ports", "protocol", "TCP", "port", port);

	if (!update)
		fw->w.create(fw->w.arg, rs, s);
	if (update)
		fw->w.update(fw->w.arg, re, e, false);
	else
		fw->w.create(fw->w.arg, re, e);
	json_decref(s);
	json_decref(e);
}

/* The id of the backend behind ip:80, or 0. */
static char ask(const char *ip)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char id = 0;

	inet_pton(AF_INET, ip, &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && recv(fd, &id, 1, 0) != 1)
		id = 0;
	close(fd);
	return id;
}

static volatile int stop;

static void stop_fn(void *arg)
{
	stop = 1;
}

/* One pass of the control loop: the dataplane's hook takes the change. */
static void pass(struct k1s_loop *loop)
{
	stop = 0;
	k1s_loop_timer(loop, 0, stop_fn, NULL);
	k1s_loop_run(loop, &stop);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/dp_latency.XXXXXX", cmd[64];
	int n = argc > 1 ? atoi(argv[1]) : 1, err = 0;
	struct rlimit rl;
	struct fake_writer fw;
	struct k1s_loop *loop;
	struct be a, b;
	struct st *st;
	struct dp *dp;
	int64_t t0;
	int tries;

	if (getenv("K1S_DEBUG"))
		k1s_log_set_level(K1S_LOG_DEBUG);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (!mkdtemp(dir))
		return 1;
	st = st_open(dir, &(struct st_opts){ST_SYNC_NORMAL, 0}, &err);
	loop = k1s_loop_new();
	fake_writer_init(&fw, st);
	be_start(&a, 'A');
	be_start(&b, 'B');
	st_begin(st);
	for (int i = 0; i < n; i++) {
		char name[32], ip[32];

		snprintf(name, sizeof(name), "bg%d", i);
		snprintf(ip, sizeof(ip), "10.254.%d.%d", 80 + i / 250, 1 + i % 250);
		put(&fw, name, ip, a.port, false);
	}
	st_commit(st);
	dp = dp_new(st, loop, &fw.w, &(struct dp_config){1, NULL, NULL}, &err);
	if (!dp)
		return 1;
	pass(loop);
	usleep(500000);

	t0 = k1s_now_ms();
	put(&fw, "new", "10.254.77.30", a.port, false);
	pass(loop);
	for (tries = 0; ask("10.254.77.30") != 'A' && tries < 100000; tries++)
		;
	printf("services %d: a new service answers after %lld ms\n", n,
	       (long long)(k1s_now_ms() - t0));

	t0 = k1s_now_ms();
	put(&fw, "new", "10.254.77.30", b.port, true);
	pass(loop);
	for (tries = 0; ask("10.254.77.30") != 'B' && tries < 100000; tries++)
		;
	printf("services %d: a removed endpoint gets its last new connection after %lld ms\n", n,
	       (long long)(k1s_now_ms() - t0));
	dp_free(dp);
	k1s_loop_free(loop);
	st_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
