/* LoadBalancer addresses: which one a Service gets, written to its
 * status.loadBalancer, and which pool addresses are announced on the
 * node's network (dp_l2.c).
 *
 * The node's own address is given only while every port the Service asks
 * for is free there, so that a LoadBalancer never fights the ingress (or
 * another LoadBalancer, or a node port) for a port, where k3s's ServiceLB
 * leaves the second one Pending. Otherwise the pool's next free address,
 * or the one asked for, as MetalLB's controller allocates
 * (controller/service.go: spec.loadBalancerIP or the loadBalancerIPs
 * annotation, honoured only in the pool; events AllocationFailed and
 * IPAllocated). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "dp_int.h"
#include "k1s_err.h"
#include "k1s_event.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_types.h"
#include "k1s_writer.h"

static bool is_lb(const struct dp_svc_rec *svc)
{
	return svc->type == DP_SVC_LOAD_BALANCER;
}

/* The first status.loadBalancer.ingress[] address, 0 with none. */
static uint32_t status_ip(const struct dp_svc_rec *svc)
{
	return svc->nlb && svc->lb[0].ok ? svc->lb[0].ip : 0;
}

static bool in_pool(const struct dp *dp, uint32_t ip)
{
	return dp->pool_lo && ip >= dp->pool_lo && ip <= dp->pool_hi;
}

static bool taken(struct dp *dp, const struct dp_svc_rec *self, uint32_t ip)
{
	struct dp_svc_rec *svc;
	size_t i;

	dp_svc_rec_foreach(dp, i, svc)
		if (svc != self && status_ip(svc) == ip)
			return true;
	return false;
}

/* Whether svc asks for port/proto. */
static bool asks(const struct dp_svc_rec *svc, int64_t port, const char *proto, bool node_port)
{
	for (uint32_t i = 0; i < svc->nports; i++)
		if ((node_port ? svc->ports[i].node_port : svc->ports[i].port) == port &&
		    strcmp(svc->ports[i].proto, proto) == 0)
			return true;
	return false;
}

/* Every port of svc is free on the node's address: not reserved for the
 * ingress, not another load balancer's there, nobody's node port. */
static bool node_ports_free(struct dp *dp, const struct dp_svc_rec *svc)
{
	for (uint32_t i = 0; i < svc->nports; i++) {
		int64_t port = svc->ports[i].port;
		const char *proto = svc->ports[i].proto;
		struct dp_svc_rec *other;
		size_t b;

		for (int *r = dp->reserved; r && *r; r++)
			if (*r == port && strcmp(proto, "TCP") == 0)
				return false;
		dp_svc_rec_foreach(dp, b, other) {
			if (other != svc && is_lb(other) && status_ip(other) == dp->node_ip_h &&
			    asks(other, port, proto, false))
				return false;
			if (asks(other, port, proto, true))
				return false;
		}
	}
	return true;
}

static bool announced(const struct dp *dp, uint32_t ip)
{
	for (size_t i = 0; i < dp->nl2; i++)
		if (dp->l2[i].ip == ip)
			return true;
	return false;
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 8;
	return realloc(p, *cap * size);
}

static int remember(uint32_t **set, size_t *n, size_t *cap, uint32_t ip)
{
	void *p = grow(*set, cap, *n, sizeof(**set));

	if (!p)
		return -ENOMEM;
	*set = p;
	(*set)[(*n)++] = ip;
	return 0;
}

static bool in_set(const uint32_t *set, size_t n, uint32_t ip)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == ip)
			return true;
	return false;
}

/* A probe is over: the address is free to claim or left out of the
 * pool, and the services waiting are looked at again. */
static void probed(void *arg, uint32_t ip, int result)
{
	struct dp *dp = arg;
	char s[K1S_IP4_STRLEN];

	if (result == -EADDRINUSE) {
		k1s_warn("dp", "%s answers on %s already: left out of the pool",
			 k1s_ip4_str(ip, s), dp->probe.ifc.name);
		remember(&dp->l2_busy, &dp->nbusy, &dp->cap_busy, ip);
	} else {
		/* Without a probe (no raw socket, say), as MetalLB: taken. */
		if (result < 0)
			k1s_warn("dp", "probing for %s on %s: %s; taken unprobed",
				 k1s_ip4_str(ip, s), dp->probe.ifc.name, strerror(-result));
		remember(&dp->l2_free, &dp->nfree, &dp->cap_free, ip);
	}
	dp->lb_freed = true;
	dp->dirty = true;
}

/* Makes a pool address answer on the node's network. A new claim is
 * probed first (not one the store records as ours already), which takes
 * 400 ms: -EINPROGRESS until then, and the services waiting are looked
 * at again when it is over. 0, -EINPROGRESS, -EADDRINUSE (someone has it:
 * never tried again by this run) or -errno. */
static int claim(struct dp *dp, uint32_t ip, bool probe)
{
	struct dp_l2_if ifc;
	char s[K1S_IP4_STRLEN];
	void *p;
	int err;

	if (announced(dp, ip) || dp_l2_is_local(ip))
		return 0;
	/* Off every subnet: routed to the node by someone else, only bound. */
	if (dp_l2_iface_for(ip, &ifc) < 0)
		return 0;
	if (in_set(dp->l2_busy, dp->nbusy, ip))
		return -EADDRINUSE;
	if (probe && dp->loop && !in_set(dp->l2_free, dp->nfree, ip)) {
		if (dp->probe.active)
			return -EINPROGRESS;	/* one at a time */
		err = dp_l2_probe_start(&dp->probe, dp->loop, &ifc, ip, probed, dp);
		if (err < 0) {
			k1s_warn("dp", "probing for %s on %s: %s; taken unprobed",
				 k1s_ip4_str(ip, s), ifc.name, strerror(-err));
		} else {
			return -EINPROGRESS;
		}
	}
	if (!(p = grow(dp->l2, &dp->cap_l2, dp->nl2, sizeof(*dp->l2))))
		return -ENOMEM;
	dp->l2 = p;
	if ((err = dp_l2_announce(&ifc, ip)) < 0) {
		k1s_warn("dp", "adding %s to %s: %s", k1s_ip4_str(ip, s), ifc.name, strerror(-err));
		return err;
	}
	dp->l2[dp->nl2++] = (struct dp_l2_addr){ip, ifc.index};
	k1s_info("dp", "%s announced on %s", k1s_ip4_str(ip, s), ifc.name);
	return 0;
}

/* 0 with *ip chosen, or an error with the event's message in why. */
static int pick(struct dp *dp, const struct dp_svc_rec *svc, uint32_t *ip, char *why,
		size_t len)
{
	uint32_t want = svc->asked;
	char s[K1S_IP4_STRLEN];
	int err;

	if (svc->asked_why) {
		snprintf(why, len, "%s", svc->asked_why);
		return -EINVAL;
	}
	if (want) {
		if (!in_pool(dp, want)) {
			snprintf(why, len, "\"%s\" is not allowed in config", k1s_ip4_str(want, s));
			return -EADDRNOTAVAIL;
		}
		if (taken(dp, svc, want)) {
			snprintf(why, len, "\"%s\" is already in use", k1s_ip4_str(want, s));
			return -EADDRINUSE;
		}
		if ((err = claim(dp, want, true)) == -EINPROGRESS)
			return err;
		if (err < 0) {
			snprintf(why, len, "\"%s\" answers on the network already",
				 k1s_ip4_str(want, s));
			return -EADDRINUSE;
		}
		*ip = want;
		return 0;
	}
	if (dp->node_ip_h && node_ports_free(dp, svc)) {
		*ip = dp->node_ip_h;
		return 0;
	}
	if (!dp->pool_lo) {
		snprintf(why, len, "its ports are taken on the node's address and there is no "
				   "pool: set k1s serve --lb-pool");
		return -EADDRNOTAVAIL;
	}
	for (uint32_t a = dp->pool_lo; a <= dp->pool_hi && a != 0; a++) {
		if (a == dp->node_ip_h || taken(dp, svc, a))
			continue;
		/* Probing: the address is decided when it is over, in order. */
		if ((err = claim(dp, a, true)) == -EINPROGRESS)
			return err;
		if (err == 0) {
			*ip = a;
			return 0;
		}
	}
	snprintf(why, len, "no available IPs");
	return -EADDRNOTAVAIL;
}

static void event(struct dp *dp, const json_t *svc, const char *type, const char *reason,
		  const char *msg)
{
	int err = k1s_event_record(dp->w, svc, "Service", "v1", type, reason, "dp",
				   &dp->event_seq, msg);

	if (err < 0)
		k1s_warn("dp", "recording event %s for service %s/%s: %s", reason,
			 k1s_json_str(svc, "metadata.namespace") ?: "",
			 k1s_json_str(svc, "metadata.name") ?: "", k1s_strerror(err));
}

/* Does svc need its status written: a load balancer without an address,
 * one whose address is not the one asked for, one on the node's address
 * whose ports are no longer free there (changed, or now the ingress's),
 * one whose address the pool no longer has (MetalLB's ClearAssignment),
 * or one no longer a load balancer that still has an address. */
static bool needs_status(struct dp *dp, const struct dp_svc_rec *svc)
{
	uint32_t have = status_ip(svc);

	if (svc->deleting)
		return false;
	if (!is_lb(svc))
		return svc->nlb > 0;
	if (!svc->nlb)
		return true;
	if (have == dp->node_ip_h ? !node_ports_free(dp, svc) : !in_pool(dp, have))
		return true;
	return !svc->asked_why && svc->asked && svc->asked != have;
}

/* The Service as stored, to write its status and name it in events: the
 * record has only what the allocator reads. Its resourceVersion is the
 * record's, so that the write is conditional on what was decided on. */
static json_t *stored_service(struct dp *dp, const struct dp_svc_rec *svc)
{
	char ns[256], rv[32];
	const char *name = strchr(svc->key, '/');
	json_t *obj = NULL;
	int err;

	if (!name || (size_t)(name - svc->key) >= sizeof(ns))
		return NULL;
	snprintf(ns, sizeof(ns), "%.*s", (int)(name - svc->key), svc->key);
	if ((err = st_get(dp->st, "services", ns, name + 1, &obj)) < 0) {
		/* Gone: its deletion is the next event. */
		if (err != -ENOENT)
			k1s_warn("dp", "service %s: reading it: %s", svc->key, k1s_strerror(err));
		return NULL;
	}
	/* As followers see it (st.h). */
	json_object_del(json_object_get(obj, "metadata"), "managedFields");
	snprintf(rv, sizeof(rv), "%lld", (long long)svc->rev);
	if (svc->rev)
		json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion",
				    json_string(rv));
	return obj;
}

static void write_status(struct dp *dp, struct dp_svc_rec *svc)
{
	const struct k1s_resource *r = k1s_resource_find("", "services");
	json_t *cur = stored_service(dp, svc), *obj, *status;
	char why[256] = "", s[K1S_IP4_STRLEN], msg[320], key[512];
	uint32_t had = status_ip(svc), nlb = svc->nlb, ip = 0;
	int err = 0, unpicked = 0;
	bool write;

	if (!cur)
		return;
	if (!(obj = json_deep_copy(cur))) {
		json_decref(cur);
		return;
	}
	/* svc goes once the write is seen (dp_cache_put() replaces it). */
	snprintf(key, sizeof(key), "%s", svc->key);
	status = k1s_json_obj(obj, "status");
	json_object_set_new(status, "loadBalancer", json_object());
	if (is_lb(svc)) {
		/* The address held now is let go first: a changed request may
		 * want it, and pick() must not count it as taken. */
		svc->nlb = 0;
		unpicked = pick(dp, svc, &ip, why, sizeof(why));
		if (!unpicked)
			json_object_set_new(status, "loadBalancer",
					    json_pack("{s:[{s:s,s:s}]}", "ingress", "ip",
						      k1s_ip4_str(ip, s), "ipMode", "VIP"));
	}
	/* Without a new address the old one is cleared all the same, as
	 * MetalLB's clearServiceState(): it is not the service's any more.
	 * While a probe decides, the status stays as it is. */
	write = !unpicked || (had && unpicked != -EINPROGRESS);
	if (write)
		err = dp->w->update(dp->w->arg, r, obj, true);
	if (err == 0 && write) {
		/* Moved to another address: the old one is free (dp_cache_put()
		 * sees only the record it replaces, which holds none now). */
		if (had && had != ip)
			dp->lb_freed = true;
		dp_cache_put(dp, "services", obj, false);
		svc = NULL;
		if (ip) {
			snprintf(msg, sizeof(msg), "Assigned IP [\"%s\"]", s);
			event(dp, obj, "Normal", "IPAllocated", msg);
		}
	} else {
		svc->nlb = nlb;
		if (err && err != K1S_ECONFLICT)	/* a newer version comes next */
			k1s_warn("dp", "service %s: load balancer status: %s", key,
				 k1s_strerror(err));
	}
	if (unpicked == -EINPROGRESS) {
		json_object_set_new(dp->lb_pending, key, json_true());
	} else if (unpicked) {
		json_object_set_new(dp->lb_pending, key, json_true());
		k1s_warn("dp", "service %s: no load balancer address: %s", key, why);
		snprintf(msg, sizeof(msg), "Failed to allocate IP for \"%s\": %s", key, why);
		event(dp, cur, "Warning", "AllocationFailed", msg);
	} else if (err == 0) {
		json_object_del(dp->lb_pending, key);
	}
	json_decref(obj);
	json_decref(cur);
}

/* Withdraws announced addresses no service holds; after a restart,
 * announces again those the store says are ours. */
static void l2_sync(struct dp *dp)
{
	struct dp_svc_rec *svc;
	size_t b;

	for (size_t i = 0; i < dp->nl2;) {
		char s[K1S_IP4_STRLEN];

		if (taken(dp, NULL, dp->l2[i].ip)) {
			i++;
			continue;
		}
		dp_l2_withdraw(dp->l2[i].ifindex, dp->l2[i].ip);
		k1s_info("dp", "%s released", k1s_ip4_str(dp->l2[i].ip, s));
		dp->l2[i] = dp->l2[--dp->nl2];
	}
	if (dp->l2_synced)
		return;
	dp->l2_synced = true;
	dp_svc_rec_foreach(dp, b, svc) {
		uint32_t ip = status_ip(svc);

		if (is_lb(svc) && in_pool(dp, ip))
			claim(dp, ip, false);
	}
}

void dp_lb_status(struct dp *dp)
{
	json_t *todo = json_object(), *v;
	struct dp_svc_rec *svc;
	bool freed = dp->lb_freed;
	const char *key;

	/* Only services that changed since the last snapshot can need it,
	 * and, once an address is free again, those left waiting for one. */
	json_object_foreach(dp->todo, key, v)
		if ((svc = dp_svc_rec_get(dp, key)) && needs_status(dp, svc))
			json_object_set_new(todo, key, json_true());
	dp->lb_freed = false;
	if (freed) {
		void *tmp;

		json_object_foreach_safe(dp->lb_pending, tmp, key, v) {
			if (!(svc = dp_svc_rec_get(dp, key)) || !is_lb(svc))
				json_object_del(dp->lb_pending, key);
			else if (needs_status(dp, svc))
				json_object_set_new(todo, key, json_true());
		}
	}
	/* Looked up again: a write before replaced its own record only. */
	json_object_foreach(todo, key, v)
		if ((svc = dp_svc_rec_get(dp, key)))
			write_status(dp, svc);
	json_decref(todo);
	/* A release in this pass (dp->lb_freed again) retries the Pending at
	 * the next: the write that released marked the loop dirty. */
	if (freed || dp->lb_freed || !dp->l2_synced)
		l2_sync(dp);
}

void dp_lb_withdraw_all(struct dp *dp)
{
	dp_l2_probe_cancel(&dp->probe);
	for (size_t i = 0; i < dp->nl2; i++)
		dp_l2_withdraw(dp->l2[i].ifindex, dp->l2[i].ip);
	dp->nl2 = 0;
}
