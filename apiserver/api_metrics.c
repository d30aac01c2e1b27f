/* GET /metrics: the Prometheus text format, version 0.0.4
 * (prometheus.io/docs/instrumenting/exposition_formats), as
 * kube-apiserver serves its own at /metrics, behind the same
 * authentication as the rest of the API on the HTTPS port.
 *
 * The API writes the process's, the build's and the store's families;
 * the modules' come from the sources main gives (api_add_metrics), in the
 * order given. Every family is one group, so a source writes whole
 * families. The query is not read: kube-apiserver's /metrics takes none
 * either. */
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_int.h"
#include "k1s_log.h"
#include "k1s_metrics.h"
#include "st.h"

#ifndef K1S_VERSION
#define K1S_VERSION "unknown"
#endif

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

int api_add_metrics(struct api *api, api_metrics_fn fn, void *arg)
{
	if (!fn)
		return -EINVAL;
	if (api->nmetrics == API_MAX_METRICS)
		return -ENOSPC;
	api->metrics[api->nmetrics].fn = fn;
	api->metrics[api->nmetrics].arg = arg;
	api->nmetrics++;
	return 0;
}

/* When the process started, in seconds since the epoch: field 22 of
 * /proc/self/stat (clock ticks after boot) plus btime of /proc/stat, as
 * client_golang's process collector reads it. 0 when unreadable. */
static double start_time(void)
{
	char buf[1024], *p;
	unsigned long long ticks = 0, btime = 0;
	FILE *f;
	size_t n;
	int field;

	f = fopen("/proc/self/stat", "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name (field 2) may hold spaces; count after its ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return 0;
	f = fopen("/proc/stat", "r");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	return (double)btime + (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

/* Resident memory in bytes: the second field of /proc/self/statm, in
 * pages. */
static double resident_bytes(void)
{
	unsigned long long size, rss;
	FILE *f = fopen("/proc/self/statm", "r");
	int ok;

	if (!f)
		return 0;
	ok = fscanf(f, "%llu %llu", &size, &rss) == 2;
	fclose(f);
	return ok ? (double)rss * (double)sysconf(_SC_PAGESIZE) : 0;
}

static void process_metrics(struct api *api, struct k1s_metrics *m)
{
	if (!api->start_time)
		api->start_time = start_time();
	k1s_metrics_family(m, "k1s_build_info", K1S_GAUGE,
	                   "Always 1; the labels say which k1s and which Kubernetes API it "
	                   "serves.");
	k1s_metrics_sample(m, "k1s_build_info", 1, "version", K1S_VERSION, "git_version",
	                   "v1.32.0-k1s", NULL);
	k1s_metrics_family(m, "process_start_time_seconds", K1S_GAUGE,
	                   "Start time of the process since unix epoch in seconds.");
	k1s_metrics_sample(m, "process_start_time_seconds", api->start_time, NULL);
	k1s_metrics_family(m, "process_resident_memory_bytes", K1S_GAUGE,
	                   "Resident memory size in bytes.");
	k1s_metrics_sample(m, "process_resident_memory_bytes", resident_bytes(), NULL);
}

static void one_write(void *arg, const char *res, enum st_event_type type, uint64_t n)
{
	static const char *const ops[] = {
	    [ST_ADDED] = "create", [ST_MODIFIED] = "update", [ST_DELETED] = "delete"};

	k1s_metrics_sample(arg, "k1s_store_writes_total", (double)n, "resource", res, "operation",
	                   ops[type], NULL);
}

static void store_metrics(struct api *api, struct k1s_metrics *m)
{
	const struct st_stats *s = st_stats(api->st);

	k1s_metrics_family(m, "k1s_store_writes_total", K1S_COUNTER,
	                   "Objects written to the store since start, by resource and "
	                   "operation.");
	st_writes_each(api->st, one_write, m);
	k1s_metrics_family(m, "k1s_store_commits_total", K1S_COUNTER,
	                   "Transactions committed to the store since start: one per write, "
	                   "or one per batch or group of writes.");
	k1s_metrics_sample(m, "k1s_store_commits_total", (double)s->commits, NULL);
	k1s_metrics_family(m, "k1s_store_commit_seconds", K1S_HISTOGRAM,
	                   "Time of a commit, including the fsync that makes it durable.");
	k1s_metrics_hist(m, "k1s_store_commit_seconds", &s->commit_time, NULL);
}

int api_metrics_text(struct api *api, struct k1s_metrics *m)
{
	process_metrics(api, m);
	store_metrics(api, m);
	for (int i = 0; i < api->nmetrics; i++)
		api->metrics[i].fn(api->metrics[i].arg, m);
	return m->m_err;
}

int api_metrics_handle(struct api_req *req, const char *url)
{
	struct k1s_metrics m;
	struct MHD_Response *resp;
	int err;

	if (strcmp(url, "/metrics") != 0)
		return 0;
	if (!api_read_only(req))
		return 1;
	k1s_metrics_init(&m);
	err = api_metrics_text(req->api, &m);
	if (err) {
		k1s_err("api", "/metrics: %s", strerror(-err));
		k1s_metrics_fini(&m);
		api_reply_status(req, api_status(500, "InternalError",
		                                 "an error on the server prevented the metrics "
		                                 "from being written",
		                                 NULL));
		return 1;
	}
	resp = MHD_create_response_from_buffer(m.m_len, m.m_buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		k1s_metrics_fini(&m);
		return 1;
	}
	MHD_add_response_header(resp, "Content-Type", METRICS_TYPE);
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	api_queue(req, 200, resp);
	return 1;
}
