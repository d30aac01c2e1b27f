/* The dataplane alone, for benchmarks: a throwaway store with N services
 * (the first on CLUSTER_IP:PORT, the rest beside it) whose endpoints are
 * the given backends, served until SIGINT or SIGTERM.
 *
 *   dp_bench CLUSTER_IP PORT LOOPS SERVICES BACKEND_IP:PORT...
 *
 * The cluster addresses must be routed `local` (run.sh adds the route).
 * DP_BENCH_SOURCE=client|node picks the address backends see (k1s serve's
 * --proxy-source; default node), DP_BENCH_POD_CIDR the clients that
 * keep theirs through a cluster IP. DP_BENCH_API_PORT=N serves the API on
 * 127.0.0.1:N with the dataplane's flows at /k1s/flows, as k1s serve
 * does, for a run with a flow watcher attached. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "api.h"
#include "dp.h"
#include "k1s_addr.h"
#include "k1s_loop.h"
#include "../../tests/fakes/fake_writer.h"

static volatile int stopping;

static void on_api_ready(void *arg, int fd, uint32_t events)
{
	api_run(arg);
}

static void api_between(void *arg)
{
	api_serve(arg);
}

static int api_hook(void *arg)
{
	api_run(arg);
	return api_timeout_ms(arg);
}

/* The API on 127.0.0.1:port over the same store, serving dp's flows. */
static struct api *serve_api(struct st *st, struct k1s_loop *loop, struct dp *dp, int port)
{
	struct api_config cfg = {.listen_addr = "127.0.0.1", .port = (unsigned short)port,
				 .service_cidr = "10.96.0.0/12", .pod_cidr = "10.244.0.0/16",
				 .node_port_min = 30000, .node_port_max = 32767,
				 .node_name = "bench", .node_ip = "127.0.0.1"};
	int err = 0;
	struct api *api = api_new(st, &cfg, &err);

	if (!api || api_add_flows(api, dp_flows(dp)) < 0 || api_listen(api) < 0 ||
	    k1s_loop_add_fd(loop, api_fd(api), EPOLLIN, on_api_ready, api) < 0 ||
	    k1s_loop_hook(loop, api_hook, api) < 0) {
		fprintf(stderr, "dp_bench: the API on port %d: %s\n", port, strerror(-err));
		exit(1);
	}
	k1s_loop_between(loop, api_between, api);
	return api;
}

static void on_signal(int sig)
{
	stopping = 1;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/dp_bench.XXXXXX", cmd[64];
	struct in_addr base;
	struct fake_writer fw;
	struct k1s_loop *loop;
	struct st *st;
	struct dp *dp;
	struct api *api = NULL;
	struct dp_config cfg = {0};
	struct k1s_cidr pods;
	int err = 0, nsvc;

	if (argc < 6 || inet_pton(AF_INET, argv[1], &base) != 1) {
		fprintf(stderr, "usage: dp_bench CLUSTER_IP PORT LOOPS SERVICES BACKEND:PORT...\n");
		return 2;
	}
	nsvc = atoi(argv[4]);
	if (!mkdtemp(dir))
		return 1;
	st = st_open(dir, &(struct st_opts){ST_SYNC_NORMAL, 0}, &err);
	loop = k1s_loop_new();
	if (!st || !loop)
		return 1;
	fake_writer_init(&fw, st);
	st_begin(st);
	for (int i = 0; i < nsvc; i++) {
		struct in_addr a = {htonl(ntohl(base.s_addr) + (uint32_t)i)};
		char name[32], ip[INET_ADDRSTRLEN];
		json_t *s, *e, *addrs = json_array();

		snprintf(name, sizeof(name), "bench%d", i);
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		s = json_pack("{s:{s:s,s:s}, s:{s:s,s:s,s:[{s:s,s:i}]}}", "metadata", "name", name,
			      "namespace", "default", "spec", "type", "ClusterIP", "clusterIP", ip,
			      "ports", "protocol", "TCP", "port", atoi(argv[2]));
		e = json_pack("{s:{s:s,s:s}, s:[]}", "metadata", "name", name, "namespace",
			      "default", "subsets");
		/* Each backend its own subset: ip and port may differ. */
		for (int b = 5; b < argc; b++) {
			char host[64], *colon;

			snprintf(host, sizeof(host), "%s", argv[b]);
			colon = strchr(host, ':');
			if (!colon)
				return 2;
			*colon = 0;
			json_array_append_new(json_object_get(e, "subsets"),
					      json_pack("{s:[{s:s}], s:[{s:s,s:i}]}", "addresses",
							"ip", host, "ports", "protocol", "TCP",
							"port", atoi(colon + 1)));
		}
		json_decref(addrs);
		fw.w.create(fw.w.arg, k1s_resource_find("", "services"), s);
		fw.w.create(fw.w.arg, k1s_resource_find("", "endpoints"), e);
		json_decref(s);
		json_decref(e);
	}
	st_commit(st);
	cfg.loops = atoi(argv[3]);
	if (getenv("DP_BENCH_POD_CIDR")) {
		if (k1s_cidr_parse(getenv("DP_BENCH_POD_CIDR"), &pods) < 0) {
			fprintf(stderr, "dp_bench: DP_BENCH_POD_CIDR: not a CIDR\n");
			return 2;
		}
		cfg.pod_net = &pods;
	}
	if (getenv("DP_BENCH_SOURCE") && strcmp(getenv("DP_BENCH_SOURCE"), "client") == 0)
		cfg.source = DP_SOURCE_CLIENT;
	dp = dp_new(st, loop, &fw.w, &cfg, &err);
	if (!dp) {
		fprintf(stderr, "dp_bench: %s\n", strerror(-err));
		return 1;
	}
	if (getenv("DP_BENCH_API_PORT"))
		api = serve_api(st, loop, dp, atoi(getenv("DP_BENCH_API_PORT")));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	k1s_loop_run(loop, &stopping);
	api_free(api);		/* first: it reads the dataplane's ring */
	dp_free(dp);
	k1s_loop_free(loop);
	st_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
