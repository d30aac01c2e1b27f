/* bench/ctrl: what the controllers cost per Service, alone over a
 * throwaway store (no other module follows it).
 *
 * Stores N Services shaped as bench/api's memory case leaves them after
 * admission (selector app=a<i%10>, one port, no pods), then:
 *   - settles the controllers (they make each Service's Endpoints and
 *     EndpointSlice), in passes of the default bounds (32 writes, 10 ms);
 *   - compacts the event log, so that the controllers list everything
 *     again, and times that relist to idle: passes, the longest pass, the
 *     whole (the control loop's work that the API waits behind);
 *   - frees the controllers and reports the heap they held (malloc's
 *     in-use bytes before and after ctrl_free), per Service: the trees they
 *     keep alive, their copy, their indexes and their memo.
 *
 *   ctrl_bench [N]     (default 10000)
 *
 * Built with k1s: build/controller/ctrl_bench. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <jansson.h>

#include "ctrl_int.h"
#include "k1s_types.h"
#include "st.h"
#include "../../tests/fakes/fake_writer.h"
#include "../../tests/store/st_test.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A Service of bench/api/scale.py's svc(i), with admission's defaults. */
static json_t *service(int i)
{
	char name[32], app[16], ip[32];

	snprintf(name, sizeof(name), "svc-%d", i);
	snprintf(app, sizeof(app), "a%d", i % 10);
	snprintf(ip, sizeof(ip), "10.96.%d.%d", 1 + i / 250, 1 + i % 250);
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:{s:s}, s:[{s:s, s:i, s:i}],"
			 " s:s, s:[s], s:s, s:s, s:[s], s:s, s:s}, s:{s:{}}}",
			 "apiVersion", "v1", "kind", "Service", "metadata", "name", name,
			 "namespace", "default", "labels", "app", app, "spec", "selector", "app",
			 app, "ports", "protocol", "TCP", "port", 80, "targetPort", 8080,
			 "clusterIP", ip, "clusterIPs", ip, "type", "ClusterIP", "sessionAffinity",
			 "None", "ipFamilies", "IPv4", "ipFamilyPolicy", "SingleStack",
			 "internalTrafficPolicy", "Cluster", "status", "loadBalancer");
}

/* Passes until the controllers have nothing left to do. */
static void settle(struct ctrl *c, const char *what, int n)
{
	double t0 = now_ms(), longest = 0;
	int passes = 0, next;

	do {
		double p0 = now_ms();

		next = ctrl_reconcile(c);
		passes++;
		if (now_ms() - p0 > longest)
			longest = now_ms() - p0;
	} while (next == 0);
	printf("%-34s %7d passes, longest %6.1f ms, all %8.0f ms (%.1f us/Service)\n", what,
	       passes, longest, now_ms() - t0, (now_ms() - t0) * 1e3 / n);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000, err = 0;
	struct st_opts o = {.sync = ST_SYNC_NORMAL};
	char *dir = st_test_dir();
	struct fake_writer fw;
	struct ctrl_config cfg = {.node_name = "k1s"};
	struct st *st;
	struct ctrl *c;
	size_t held;

	if (n <= 0 || !dir || !(st = st_open(dir, &o, &err))) {
		fprintf(stderr, "ctrl_bench: no store: %d\n", err);
		return 1;
	}
	fake_writer_init(&fw, st);
	for (int i = 0; i < n; i++) {
		json_t *svc = service(i);

		if (fw.w.create(&fw, k1s_resource_find("", "services"), svc) < 0) {
			fprintf(stderr, "ctrl_bench: creating Service %d failed\n", i);
			return 1;
		}
		json_decref(svc);
	}
	c = ctrl_new(st, NULL, &fw.w, &cfg);
	if (!c)
		return 1;
	printf("ctrl_bench: %d Services\n", n);
	settle(c, "first sync (writes Endpoints, slices)", n);
	/* A relist: the log no longer reaches back to the controllers. */
	{
		json_t *cm = json_pack("{s:{s:s}}", "metadata", "name", "tick");

		fw.w.create(&fw, k1s_resource_find("", "configmaps"), cm);
		json_decref(cm);
		st_compact(st, 0);
	}
	settle(c, "relist after compaction", n);

	held = mallinfo2().uordblks;
	ctrl_free(c);
	held -= mallinfo2().uordblks;
	printf("%-34s %7zu KiB, %zu bytes/Service\n", "heap the controllers held", held / 1024,
	       held / (size_t)n);
	st_close(st);
	st_test_rmdir(dir);
	return 0;
}
