/* The dataplane's control side: follows Services and Endpoints in the
 * store from a before-sleep hook on the control loop, builds a snapshot
 * of listeners and endpoints, publishes it to the data-path loops and
 * writes the LoadBalancer status. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <jansson.h>

#include "dp_int.h"
#include "k1s_err.h"
#include "k1s_flow.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "k1s_types.h"
#include "k1s_writer.h"
#include "st.h"

void dp_cache_put(struct dp *dp, const char *res, const json_t *obj, bool del)
{
	bool svc = strcmp(res, "services") == 0;
	struct dp_svc_rec *old;
	char key[512];

	snprintf(key, sizeof(key), "%s/%s", k1s_json_str(obj, "metadata.namespace") ?: "",
		 k1s_json_str(obj, "metadata.name") ?: "");
	/* A load balancer address let go: those waiting may have it. */
	if (svc && (old = dp_svc_rec_get(dp, key)) && old->nlb &&
	    (del || !json_array_size(k1s_json_path(obj, "status.loadBalancer.ingress"))))
		dp->lb_freed = true;
	/* Only the record is kept: the store's object is let go with the
	 * event, so no copy of it lives on here. */
	if (del)
		dp_rec_del(dp, res, key);
	else if (dp_rec_put(dp, res, key, obj) < 0)
		k1s_warn("dp", "%s %s: out of memory: not served", res, key);
	dp_snap_mark(dp, key);
	dp->dirty = true;
}

static void on_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	dp_cache_put(arg, res, obj, deleted);
}

static void on_reset(void *arg)
{
	struct dp *dp = arg;

	dp_rec_clear(dp);
}

static void on_relisted(void *arg)
{
	struct dp *dp = arg;

	dp->dirty = true;
	dp_snap_mark_all(dp);
}

static const char *const followed[] = {"services", "endpoints", NULL};
static const struct st_follow_ops follow_ops = {on_reset, on_object, on_relisted};

/* ---- publishing ---- */

static void give_back(void *arg, struct k1s_snap *s)
{
	dp_snap_recycle(arg, dp_snap_of(s));
}

int dp_ctl_pass(struct dp *dp)
{
	if (st_follow(&dp->follow) == 0 && dp->dirty) {
		struct dp_snap *s;

		int64_t t0 = k1s_now_ms(), t1;

		dp->dirty = false;
		dp_lb_status(dp);
		t1 = k1s_now_ms();
		s = dp_snap_build(dp);
		if (s) {
			k1s_pub_publish(&dp->pub, &s->base);
			k1s_debug("dp", "snapshot %llu: %u service ports, %u listeners; "
				  "status %lld ms, build %lld ms", (unsigned long long)s->base.gen,
				  s->nsvc, s->nlsn, (long long)(t1 - t0),
				  (long long)(k1s_now_ms() - t1));
			for (int i = 0; i < dp->nloops; i++)
				dp_loop_wake(dp->loops[i]);
		} else {
			dp->dirty = true;
		}
	}
	return k1s_pub_reclaim(&dp->pub) || dp->dirty ? 10 : -1;
}

/* Snapshot generations start at 1 and only grow, so a loop that has seen
 * 1 or more has opened the listeners of a full view of the store. */
bool dp_ready(const struct dp *dp)
{
	return dp->pub.gen >= 1 && k1s_pub_all_seen(&dp->pub, 1);
}

static int dp_hook(void *arg)
{
	return dp_ctl_pass(arg);
}

struct dp *dp_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
		  const struct dp_config *cfg, int *err)
{
	struct dp *dp = calloc(1, sizeof(*dp));
	int n = cfg && cfg->loops > 0 ? cfg->loops : (int)sysconf(_SC_NPROCESSORS_ONLN);
	int e = -ENOMEM;

	if (!dp)
		goto fail;
	pthread_mutex_init(&dp->aff_mu, NULL);
	dp->st = st;
	dp->loop = loop;
	dp->w = w;
	/* kube-proxy's defaults: conntrack's established timeout is an hour
	 * for TCP; UDP flows last 30 s. */
	dp->tcp_idle_ms = (cfg && cfg->tcp_idle_s > 0 ? cfg->tcp_idle_s : 3600) * 1000LL;
	dp->udp_idle_ms = (cfg && cfg->udp_idle_s > 0 ? cfg->udp_idle_s : 30) * 1000LL;
	{
		struct rlimit rl;

		dp->fd_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
				       ? rl.rlim_cur
				       : 1048576;
	}
	if (cfg && cfg->node_ip)
		snprintf(dp->node_ip, sizeof(dp->node_ip), "%s", cfg->node_ip);
	if (dp->node_ip[0] && k1s_ip4_parse(dp->node_ip, &dp->node_ip_h) < 0)
		dp->node_ip_h = 0;
	if (cfg && cfg->lb_pool) {
		dp->pool_lo = cfg->lb_pool->lo;
		dp->pool_hi = cfg->lb_pool->hi;
	} else if (cfg && cfg->lb_pool_auto) {
		struct k1s_ip4_range r;
		char lo[K1S_IP4_STRLEN], hi[K1S_IP4_STRLEN];

		if (dp->node_ip_h && dp_l2_auto_pool(dp->node_ip_h, &r) == 0) {
			dp->pool_lo = r.lo;
			dp->pool_hi = r.hi;
			k1s_info("dp", "LoadBalancer pool %s-%s (auto: each address probed "
				 "before use)", k1s_ip4_str(r.lo, lo), k1s_ip4_str(r.hi, hi));
		} else {
			k1s_info("dp", "no LoadBalancer pool: the node's address %s is on no "
				 "interface's subnet of /27 or wider (--lb-pool)", dp->node_ip);
		}
	}
	if (cfg && cfg->reserved_ports) {
		size_t n = 0;

		while (cfg->reserved_ports[n])
			n++;
		if (!(dp->reserved = calloc(n + 1, sizeof(int))))
			goto fail;
		memcpy(dp->reserved, cfg->reserved_ports, n * sizeof(int));
	}
	dp->host_shared = cfg ? cfg->host_shared : NULL;
	dp->pol = cfg ? cfg->pol : NULL;
	/* What a killed run announced, unless another k1s holds it now. */
	if (!(dp->host_shared && dp->host_shared()))
		dp_l2_sweep();
	if (cfg && cfg->pod_net) {
		dp->pod_net = *cfg->pod_net;
		dp->pod_net_known = true;
	}
	if (cfg && cfg->source == DP_SOURCE_CLIENT) {
		dp->host_touched = true;
		dp->src_client = dp_host_setup() == 0;
	}
	st_follow_init(&dp->follow, st, "dp", followed, &follow_ops, dp);
	dp->todo = json_object();
	dp->lb_pending = json_object();
	if (n < 1)
		n = 1;
	dp->loops = calloc((size_t)n, sizeof(*dp->loops));
	dp->flows = k1s_flow_ring_new("dataplane", DP_FLOWS);
	if (!dp->todo || !dp->lb_pending || !dp->loops || !dp->flows ||
	    k1s_pub_init(&dp->pub, n, give_back, dp) < 0) {
		e = -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		dp->loops[i] = dp_loop_start(dp, i, &e);
		if (!dp->loops[i])
			goto fail;
		dp->nloops++;
	}
	/* The first pass lists everything, before any wait. */
	if (loop && (e = k1s_loop_hook(loop, dp_hook, dp)) < 0)
		goto fail;
	return dp;
fail:
	dp_free(dp);
	if (err)
		*err = e;
	return NULL;
}

struct k1s_flow_ring *dp_flows(struct dp *dp)
{
	return dp->flows;
}

/* As ctrl_free(): the loop cannot drop a hook, so dp_free() is for after
 * the control loop has stopped for good. */
void dp_free(struct dp *dp)
{
	if (!dp)
		return;
	atomic_store(&dp->stop, 1);
	for (int i = 0; i < dp->nloops; i++)
		dp_loop_wake(dp->loops[i]);
	for (int i = 0; i < dp->nloops; i++)
		dp_loop_join(dp->loops[i]);
	free(dp->loops);
	if (dp->pub.seen)
		k1s_pub_fini(&dp->pub);
	dp_snap_free(dp->spare);
	free(dp->lsn_set);
	dp_comp_clear(dp);
	dp_rec_clear(dp);
	json_decref(dp->todo);
	json_decref(dp->lb_pending);
	dp_lb_withdraw_all(dp);
	free(dp->l2);
	free(dp->l2_busy);
	free(dp->l2_free);
	free(dp->reserved);
	dp_aff_free(dp);
	pthread_mutex_destroy(&dp->aff_mu);
	k1s_flow_ring_free(dp->flows);
	/* After the loops: no transparent socket is left to answer. */
	if (dp->host_touched && !(dp->host_shared && dp->host_shared()))
		dp_host_teardown();
	free(dp);
}

/* ---- ClientIP affinity ---- */

static struct dp_aff **aff_slot(struct dp *dp, uint64_t svc, uint32_t client, int64_t now)
{
	uint64_t h = (svc ^ client) * 0x9e3779b97f4a7c15ull;
	struct dp_aff **pp = &dp->aff[(h >> 32) % DP_AFF_BUCKETS];

	while (*pp) {
		struct dp_aff *a = *pp;

		if (a->until <= now) {	/* expired: drop it on the way */
			*pp = a->next;
			free(a);
			continue;
		}
		if (a->svc == svc && a->client == client)
			return pp;
		pp = &a->next;
	}
	return pp;
}

int dp_aff_get(struct dp *dp, const struct dp_svc *sv, uint32_t client, int64_t now,
	       struct sockaddr_in *ep)
{
	struct dp_aff *a;
	int err = -ENOENT;

	pthread_mutex_lock(&dp->aff_mu);
	a = *aff_slot(dp, sv->id, client, now);
	for (uint32_t i = 0; a && i < sv->nep; i++)
		if (sv->eps[i].sin_addr.s_addr == a->ep.sin_addr.s_addr &&
		    sv->eps[i].sin_port == a->ep.sin_port) {
			*ep = a->ep;
			err = 0;
			break;
		}
	pthread_mutex_unlock(&dp->aff_mu);
	return err;
}

void dp_aff_put(struct dp *dp, const struct dp_svc *sv, uint32_t client, int64_t now,
		const struct sockaddr_in *ep)
{
	struct dp_aff **pp, *a;

	pthread_mutex_lock(&dp->aff_mu);
	pp = aff_slot(dp, sv->id, client, now);
	a = *pp;
	if (!a && (a = calloc(1, sizeof(*a)))) {
		a->svc = sv->id;
		a->client = client;
		*pp = a;
	}
	if (a) {
		a->ep = *ep;
		a->until = now + (int64_t)sv->affinity_s * 1000;
	}
	pthread_mutex_unlock(&dp->aff_mu);
}

void dp_aff_free(struct dp *dp)
{
	for (size_t i = 0; i < DP_AFF_BUCKETS; i++)
		while (dp->aff[i]) {
			struct dp_aff *a = dp->aff[i];

			dp->aff[i] = a->next;
			free(a);
		}
}
