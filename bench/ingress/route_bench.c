/* bench/ingress: the routing table alone, the cost behind every request
 * and every reconcile. For 1, 100 and 10,000 rules, shaped three ways
 * (one host per rule; one host with every rule as a Prefix path; the same
 * with rewrite-target, which makes every path a regex, here plain strings;
 * one host whose paths are true regexes, with use-regex), it
 * prints the time to build the table and the median time of one lookup
 * of a request that matches a rule picked at random.
 *
 *   ing_route_bench [LOOKUPS]
 *
 * A lookup should cost the same at 10,000 rules as at 1, except where
 * nginx itself tries regexes one by one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "ing_route.h"

enum shape { HOSTS, PATHS, REWRITE, REGEX };
static const char *const shape_name[] = {"hosts", "paths", "rewrite", "regex paths"};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static json_t *world_ingresses(enum shape s, int n)
{
	json_t *ings = json_object();
	json_t *paths = json_array();
	char key[64], host[64], path[64];

	for (int i = 0; i < n; i++) {
		snprintf(host, sizeof(host), s == HOSTS ? "h%d.bench.test" : "bench.test", i);
		snprintf(path, sizeof(path), s == REGEX ? "/p%d/[a-z]+" : "/p%d", i);
		json_t *p = json_pack("{s:s,s:s,s:{s:{s:s,s:{s:i}}}}", "path", path, "pathType",
				      s == REGEX ? "ImplementationSpecific" : "Prefix", "backend",
				      "service", "name", "app", "port", "number", 80);

		if (s == HOSTS) {
			snprintf(key, sizeof(key), "default/i%d", i);
			json_object_set_new(
				ings, key,
				json_pack("{s:{s:s,s:s,s:s},s:{s:s,s:[{s:s,s:{s:[o]}}]}}", "metadata",
					  "namespace", "default", "name", key + 8, "creationTimestamp",
					  "2026-01-01T00:00:00Z", "spec", "ingressClassName", "nginx",
					  "rules", "host", host, "http", "paths", p));
		} else {
			json_array_append_new(paths, p);
		}
	}
	if (s != HOSTS)
		json_object_set_new(
			ings, "default/one",
			json_pack("{s:{s:s,s:s,s:s,s:{s:s}},s:{s:s,s:[{s:s,s:{s:O}}]}}", "metadata",
				  "namespace", "default", "name", "one", "creationTimestamp",
				  "2026-01-01T00:00:00Z", "annotations",
				  s == REWRITE ? "nginx.ingress.kubernetes.io/rewrite-target"
					       : "nginx.ingress.kubernetes.io/use-regex",
				  s == PATHS ? "false" : s == REWRITE ? "/" : "true",
				  "spec", "ingressClassName", "nginx", "rules", "host", "bench.test",
				  "http", "paths", paths));
	json_decref(paths);
	return ings;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int lookups = argc > 1 ? atoi(argv[1]) : 200000;
	static const int sizes[] = {1, 100, 10000};
	json_t *svcs = json_loads("{\"default/app\":{\"metadata\":{\"namespace\":\"default\","
				  "\"name\":\"app\"},\"spec\":{\"ports\":[{\"port\":80}]}}}", 0, NULL);
	json_t *eps = json_loads("{\"default/app\":{\"subsets\":[{\"addresses\":[{\"ip\":"
				 "\"10.244.0.1\"}],\"ports\":[{\"port\":8080}]}]}}", 0, NULL);
	json_t *classes = json_object();

	printf("%-12s %7s %10s %12s\n", "shape", "rules", "build ms", "lookup ns");
	for (int s = HOSTS; s <= REGEX; s++) {
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			int n = sizes[k], rounds = 7;
			json_t *ings = world_ingresses(s, n);
			struct ing_world w = {ings, classes, svcs, eps, NULL};
			double t0, build[3], per[7];
			struct ing_table *t = NULL;
			int m = s == REGEX && n > 100 ? lookups / 100 : lookups;
			unsigned seed = 1;

			/* the median of three builds */
			for (int r = 0; r < 3; r++) {
				ing_table_free(t);
				t0 = now();
				t = ing_table_build(&w, NULL, NULL);
				build[r] = now() - t0;
				if (!t)
					return 1;
			}
			qsort(build, 3, sizeof(build[0]), cmp_double);
			for (int r = 0; r < rounds; r++) {
				char host[64], path[64], buf[256];
				struct ing_route rt;
				unsigned ok = 0;

				t0 = now();
				for (int i = 0; i < m; i++) {
					int pick = (int)(rand_r(&seed) % (unsigned)n);
					int hn = snprintf(host, sizeof(host),
							  s == HOSTS ? "h%d.bench.test" : "bench.test",
							  pick);
					int pn = snprintf(path, sizeof(path), "/p%d/x", pick);

					ing_table_route(t, (struct ing_str){host, (size_t)hn},
							(struct ing_str){path, (size_t)pn},
							(struct ing_str){"", 0}, 0, false, &rt, buf,
							sizeof(buf));
					ok += rt.status == 0;
				}
				per[r] = (now() - t0) / m * 1e9;
				if (ok != (unsigned)m) {
					fprintf(stderr, "%s %d: %u of %d routed\n", shape_name[s], n, ok, m);
					return 1;
				}
			}
			qsort(per, rounds, sizeof(per[0]), cmp_double);
			printf("%-12s %7d %10.2f %12.0f\n", shape_name[s], n, build[1] * 1e3,
			       per[rounds / 2]);
			ing_table_free(t);
			json_decref(ings);
		}
	}
	json_decref(svcs);
	json_decref(eps);
	json_decref(classes);
	return 0;
}
