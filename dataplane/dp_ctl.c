/* The dataplane's control side: follows Services and Endpoints in the
 * store from a before-sleep hook on the control loop, builds a snapshot
 * of listeners and endpoints, publishes it to the data-path loops and
 * writes the LoadBalancer status. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "dp_int.h"
#include "k1s_err.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "k1s_types.h"
#include "k1s_writer.h"
#include "st.h"

#define DP_EVENT_BATCH 1000

void dp_snap_free(struct dp_snap *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->nsvc; i++)
		free(s->svc[i].eps);
	free(s->svc);
	free(s->lsn);
	free(s);
}

static void cache_put(struct dp *dp, const char *res, const json_t *obj, bool del)
{
	json_t *cache = strcmp(res, "services") == 0 ? dp->svcs : dp->eps;
	char key[512];

	snprintf(key, sizeof(key), "%s/%s", k1s_json_str(obj, "metadata.namespace") ?: "",
		 k1s_json_str(obj, "metadata.name") ?: "");
	if (del)
		json_object_del(cache, key);
	else
		json_object_set_new(cache, key, json_deep_copy(obj));
	dp->dirty = true;
}

static int on_list_svc(void *arg, const json_t *obj)
{
	cache_put(arg, "services", obj, false);
	return 0;
}

static int on_list_ep(void *arg, const json_t *obj)
{
	cache_put(arg, "endpoints", obj, false);
	return 0;
}

static int on_event(void *arg, const struct st_event *ev)
{
	struct dp *dp = arg;

	dp->rev = ev->rev;
	if (strcmp(ev->resource, "services") == 0 || strcmp(ev->resource, "endpoints") == 0)
		cache_put(dp, ev->resource, ev->obj, ev->type == ST_DELETED);
	return 0;
}

static int resync(struct dp *dp)
{
	int64_t rev = st_rev(dp->st);
	int err;

	json_object_clear(dp->svcs);
	json_object_clear(dp->eps);
	err = st_list(dp->st, "services", NULL, NULL, NULL, 0, on_list_svc, dp, NULL);
	if (err == 0)
		err = st_list(dp->st, "endpoints", NULL, NULL, NULL, 0, on_list_ep, dp, NULL);
	if (err < 0) {
		k1s_err("dp", "listing services: %s", k1s_strerror(err));
		return err;
	}
	dp->rev = rev;
	dp->synced = true;
	dp->dirty = true;
	return 0;
}

static int take_events(struct dp *dp)
{
	if (!dp->synced)
		return resync(dp);
	while (dp->rev < st_rev(dp->st)) {
		int64_t before = dp->rev;
		int err = st_events(dp->st, dp->rev, NULL, NULL, DP_EVENT_BATCH, on_event, dp);

		if (err == K1S_EGONE)
			return resync(dp);
		if (err < 0) {
			k1s_err("dp", "reading events: %s", k1s_strerror(err));
			return err;
		}
		if (dp->rev == before) {
			dp->rev = st_rev(dp->st);
			break;
		}
	}
	return 0;
}

/* ---- the snapshot ---- */

struct build {
	struct dp_snap *s;
	uint32_t cap_svc, cap_lsn;
	json_t *seen;	/* "proto/ip:port" of listeners so far */
};

static int parse_ip(const char *s, struct in_addr *a)
{
	return s && inet_pton(AF_INET, s, a) == 1 ? 0 : -EINVAL;
}

static void add_lsn(struct build *b, enum dp_proto proto, const char *ip, json_int_t port)
{
	struct dp_lsn *l;
	struct in_addr a;
	char key[64];

	if (port <= 0 || port > 65535 || parse_ip(ip, &a) < 0)
		return;
	snprintf(key, sizeof(key), "%d/%s:%d", proto, ip, (int)port);
	if (json_object_get(b->seen, key))
		return;
	json_object_set_new(b->seen, key, json_true());
	if (b->s->nlsn == b->cap_lsn) {
		uint32_t cap = b->cap_lsn ? b->cap_lsn * 2 : 16;
		void *p = realloc(b->s->lsn, cap * sizeof(*l));

		if (!p)
			return;
		b->s->lsn = p;
		b->cap_lsn = cap;
	}
	l = &b->s->lsn[b->s->nlsn++];
	memset(l, 0, sizeof(*l));
	l->proto = proto;
	l->addr.sin_family = AF_INET;
	l->addr.sin_addr = a;
	l->addr.sin_port = htons((uint16_t)port);
	l->svc = b->s->nsvc - 1;
}

/* The endpoints of one service port: Endpoints' ports match by name. */
static void fill_eps(struct dp_svc *sv, const json_t *ep, const char *pname, const char *proto)
{
	const json_t *subsets = k1s_json_path(ep, "subsets"), *ss;
	size_t i;

	json_array_foreach(subsets, i, ss) {
		const json_t *ports = json_object_get(ss, "ports"), *p, *addrs, *a;
		json_int_t port = 0;
		size_t j;

		json_array_foreach(ports, j, p) {
			const char *n = k1s_json_str(p, "name") ?: "";
			const char *pr = k1s_json_str(p, "protocol") ?: "TCP";

			if (strcmp(n, pname) == 0 && strcmp(pr, proto) == 0)
				port = json_integer_value(json_object_get(p, "port"));
		}
		if (port <= 0 || port > 65535)
			continue;
		addrs = json_object_get(ss, "addresses");
		json_array_foreach(addrs, j, a) {
			struct in_addr in;
			void *np;

			if (parse_ip(k1s_json_str(a, "ip"), &in) < 0)
				continue;
			np = realloc(sv->eps, (sv->nep + 1) * sizeof(*sv->eps));
			if (!np)
				return;
			sv->eps = np;
			memset(&sv->eps[sv->nep], 0, sizeof(*sv->eps));
			sv->eps[sv->nep].sin_family = AF_INET;
			sv->eps[sv->nep].sin_addr = in;
			sv->eps[sv->nep].sin_port = htons((uint16_t)port);
			sv->nep++;
		}
	}
}

/* FNV-1a over the service, port name and protocol. */
static uint64_t svc_id(const char *key, const char *port, const char *proto)
{
	const char *parts[] = {key, "/", port, "/", proto};
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < 5; i++)
		for (const char *c = parts[i]; *c; c++)
			h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
	return h;
}

static void build_svc(struct dp *dp, struct build *b, const char *key, const json_t *svc)
{
	const char *type = k1s_json_str(svc, "spec.type") ?: "ClusterIP";
	const char *cip = k1s_json_str(svc, "spec.clusterIP");
	bool nodeport = strcmp(type, "NodePort") == 0 || strcmp(type, "LoadBalancer") == 0;
	bool lb = strcmp(type, "LoadBalancer") == 0;
	const json_t *ports = k1s_json_path(svc, "spec.ports"), *p;
	const json_t *ep = json_object_get(dp->eps, key);
	const json_t *ingress = k1s_json_path(svc, "status.loadBalancer.ingress");
	uint32_t aff = 0;
	size_t i;

	if (strcmp(type, "ExternalName") == 0)
		return;
	if (strcmp(k1s_json_str(svc, "spec.sessionAffinity") ?: "None", "ClientIP") == 0) {
		json_t *t = k1s_json_path(svc, "spec.sessionAffinityConfig.clientIP.timeoutSeconds");

		aff = t ? (uint32_t)json_integer_value(t) : 10800;
	}
	json_array_foreach(ports, i, p) {
		const char *proto = k1s_json_str(p, "protocol") ?: "TCP";
		enum dp_proto pr;
		json_int_t port = json_integer_value(json_object_get(p, "port"));
		json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
		struct dp_svc *sv;
		const json_t *ing;
		size_t k;

		if (strcmp(proto, "TCP") == 0)
			pr = DP_TCP;
		else if (strcmp(proto, "UDP") == 0)
			pr = DP_UDP;
		else
			continue;
		if (b->s->nsvc == b->cap_svc) {
			uint32_t cap = b->cap_svc ? b->cap_svc * 2 : 16;
			void *q = realloc(b->s->svc, cap * sizeof(*sv));

			if (!q)
				return;
			b->s->svc = q;
			b->cap_svc = cap;
		}
		sv = &b->s->svc[b->s->nsvc++];
		memset(sv, 0, sizeof(*sv));
		sv->affinity_s = aff;
		sv->id = svc_id(key, k1s_json_str(p, "name") ?: "", proto);
		if (ep)
			fill_eps(sv, ep, k1s_json_str(p, "name") ?: "", proto);
		if (cip && *cip && strcmp(cip, "None") != 0)
			add_lsn(b, pr, cip, port);
		if (nodeport && np > 0) {
			add_lsn(b, pr, "127.0.0.1", np);
			if (dp->node_ip[0])
				add_lsn(b, pr, dp->node_ip, np);
		}
		if (lb)
			json_array_foreach(ingress, k, ing)
				add_lsn(b, pr, k1s_json_str(ing, "ip"), port);
	}
}

static struct dp_snap *build(struct dp *dp)
{
	struct build b = {calloc(1, sizeof(struct dp_snap)), 0, 0, json_object()};
	const char *key;
	json_t *svc;

	if (!b.s || !b.seen) {
		free(b.s);
		json_decref(b.seen);
		return NULL;
	}
	json_object_foreach(dp->svcs, key, svc)
		build_svc(dp, &b, key, svc);
	json_decref(b.seen);
	b.s->gen = ++dp->gen;
	return b.s;
}

/* ---- LoadBalancer status ---- */

static bool addr_taken(struct dp *dp, const json_t *self, const char *ip)
{
	const char *key;
	json_t *svc, *ing;
	size_t i;

	json_object_foreach(dp->svcs, key, svc) {
		if (svc == self)
			continue;
		json_array_foreach(k1s_json_path(svc, "status.loadBalancer.ingress"), i, ing)
			if (strcmp(k1s_json_str(ing, "ip") ?: "", ip) == 0)
				return true;
	}
	return false;
}

static int lb_pick(struct dp *dp, const json_t *svc, char *ip, size_t len)
{
	if (!dp->pool_lo) {
		if (!dp->node_ip[0])
			return -EADDRNOTAVAIL;
		snprintf(ip, len, "%s", dp->node_ip);
		return 0;
	}
	for (uint32_t a = dp->pool_lo; a <= dp->pool_hi && a != 0; a++) {
		struct in_addr in = {htonl(a)};

		inet_ntop(AF_INET, &in, ip, (socklen_t)len);
		if (!addr_taken(dp, svc, ip))
			return 0;
	}
	return -EADDRNOTAVAIL;
}

static void lb_status(struct dp *dp)
{
	const struct k1s_resource *r = k1s_resource_find("", "services");
	json_t *todo = json_array(), *svc;
	const char *key;
	size_t i;

	json_object_foreach(dp->svcs, key, svc) {
		bool lb = strcmp(k1s_json_str(svc, "spec.type") ?: "", "LoadBalancer") == 0;
		json_t *ing = k1s_json_path(svc, "status.loadBalancer.ingress");
		bool has = json_array_size(ing) > 0;

		if (lb != has && !k1s_json_path(svc, "metadata.deletionTimestamp"))
			json_array_append(todo, svc);
	}
	json_array_foreach(todo, i, svc) {
		json_t *obj = json_deep_copy(svc);
		bool lb = strcmp(k1s_json_str(svc, "spec.type") ?: "", "LoadBalancer") == 0;
		json_t *status = k1s_json_obj(obj, "status");
		char ip[INET_ADDRSTRLEN];
		int err = 0;

		if (lb) {
			err = lb_pick(dp, svc, ip, sizeof(ip));
			if (err == 0)
				json_object_set_new(status, "loadBalancer",
						    json_pack("{s:[{s:s,s:s}]}", "ingress", "ip", ip,
							      "ipMode", "VIP"));
		} else {
			json_object_set_new(status, "loadBalancer", json_object());
		}
		if (err == 0)
			err = dp->w->update(dp->w->arg, r, obj, true);
		if (err == 0)
			cache_put(dp, "services", obj, false);
		else
			k1s_warn("dp", "service %s/%s: load balancer status: %s",
				 k1s_json_str(svc, "metadata.namespace") ?: "",
				 k1s_json_str(svc, "metadata.name") ?: "", k1s_strerror(err));
		json_decref(obj);
	}
	json_decref(todo);
}

/* ---- publishing ---- */

static void reclaim(struct dp *dp)
{
	uint64_t min = UINT64_MAX;
	struct dp_snap **pp = &dp->retired;

	for (int i = 0; i < dp->nloops; i++) {
		uint64_t s = dp_loop_seen(dp->loops[i]);

		if (s < min)
			min = s;
	}
	while (*pp) {
		struct dp_snap *s = *pp;

		if (s->gen < min) {
			*pp = s->next;
			dp_snap_free(s);
		} else {
			pp = &s->next;
		}
	}
}

int dp_ctl_pass(struct dp *dp)
{
	if (take_events(dp) == 0 && dp->dirty) {
		struct dp_snap *s, *old;

		dp->dirty = false;
		lb_status(dp);
		s = build(dp);
		if (s) {
			old = atomic_exchange(&dp->snap, s);
			if (old) {
				old->next = dp->retired;
				dp->retired = old;
			}
			for (int i = 0; i < dp->nloops; i++)
				dp_loop_wake(dp->loops[i]);
		} else {
			dp->dirty = true;
		}
	}
	reclaim(dp);
	return dp->retired || dp->dirty ? 10 : -1;
}

static int dp_hook(void *arg)
{
	return dp_ctl_pass(arg);
}

static int parse_pool(struct dp *dp, const char *pool)
{
	char buf[64], *sep;
	struct in_addr a, b;

	snprintf(buf, sizeof(buf), "%s", pool);
	if ((sep = strchr(buf, '-'))) {
		*sep = 0;
		if (parse_ip(buf, &a) < 0 || parse_ip(sep + 1, &b) < 0)
			return -EINVAL;
		dp->pool_lo = ntohl(a.s_addr);
		dp->pool_hi = ntohl(b.s_addr);
	} else if ((sep = strchr(buf, '/'))) {
		int bits = atoi(sep + 1);
		uint32_t mask;

		*sep = 0;
		if (parse_ip(buf, &a) < 0 || bits < 1 || bits > 32)
			return -EINVAL;
		mask = bits == 32 ? ~0u : ~(~0u >> bits);
		dp->pool_lo = ntohl(a.s_addr) & mask;
		dp->pool_hi = dp->pool_lo | ~mask;
		if (bits < 31) {	/* skip network and broadcast */
			dp->pool_lo++;
			dp->pool_hi--;
		}
	} else {
		if (parse_ip(buf, &a) < 0)
			return -EINVAL;
		dp->pool_lo = dp->pool_hi = ntohl(a.s_addr);
	}
	return dp->pool_lo <= dp->pool_hi ? 0 : -EINVAL;
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
	if (cfg && cfg->node_ip)
		snprintf(dp->node_ip, sizeof(dp->node_ip), "%s", cfg->node_ip);
	if (cfg && cfg->lb_pool && (e = parse_pool(dp, cfg->lb_pool)) < 0) {
		k1s_err("dp", "load balancer pool %s: bad range", cfg->lb_pool);
		goto fail;
	}
	dp->svcs = json_object();
	dp->eps = json_object();
	if (n < 1)
		n = 1;
	dp->loops = calloc((size_t)n, sizeof(*dp->loops));
	if (!dp->svcs || !dp->eps || !dp->loops) {
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
	dp_snap_free(atomic_load(&dp->snap));
	while (dp->retired) {
		struct dp_snap *s = dp->retired;

		dp->retired = s->next;
		dp_snap_free(s);
	}
	json_decref(dp->svcs);
	json_decref(dp->eps);
	dp_aff_free(dp);
	pthread_mutex_destroy(&dp->aff_mu);
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
