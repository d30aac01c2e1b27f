/* The control side: follows Services, Endpoints and Pods in the store
 * from a before-sleep hook on the control loop (as the dataplane does),
 * recompiles in the zone the Services and Pods that changed, and swaps a
 * new snapshot in for the server loops; a retired snapshot is freed once
 * every loop has moved past it. A burst of writes costs one snapshot,
 * and a change answers from the next pass, milliseconds after the write.
 *
 * A snapshot costs what changed (a service, tens of microseconds) plus a
 * copy of the name table (a fraction of a millisecond at 10,000
 * services), so changes are served as they come, unpaced. The whole zone
 * is compiled only at start, after a resync, or after running out of
 * memory.
 *
 * Services and Endpoints are not kept: the zone holds what it compiled
 * of them, and a change only marks its key, whose Service (and, when
 * headless, Endpoints) is read back from the store as the zone
 * recompiles it. Their trees then go as soon as the store's follower
 * table lets them go, rather than living in one more cache. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "dns_int.h"
#include "k1s_flow.h"
#include "k1s_err.h"
#include "k1s_facelog.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "st.h"

/* Whether the zone reads a Service's Endpoints: as add_service() in
 * dns_zone.c, every Service but an ExternalName one without a cluster
 * IP ("None" or none at all). */
static bool reads_endpoints(const json_t *svc)
{
	const char *type = k1s_json_str(svc, "spec.type") ?: "ClusterIP";
	const char *cip = k1s_json_str(svc, "spec.clusterIP");

	return strcmp(type, "ExternalName") != 0 && (!cip || !*cip || strcmp(cip, "None") == 0);
}

/* Whether the runtime reports the pod as a face of DNS: its containers
 * are DNS itself (runtime/: containerID k1s://face/dns). */
static bool dns_face(const json_t *pod)
{
	const json_t *cs = json_array_get(k1s_json_path(pod, "status.containerStatuses"), 0);
	const char *cid = k1s_json_str(cs, "containerID");

	return cid && strcmp(cid, "k1s://face/dns") == 0;
}

/* Pods are kept as the little the zone reads of them. */
static json_t *pod_digest(const json_t *pod)
{
	return json_pack("{s:{s:s?,s:s?},s:{s:s?,s:s?},s:b}", "metadata",
			 "namespace", k1s_json_str(pod, "metadata.namespace"),
			 "name", k1s_json_str(pod, "metadata.name"),
			 "status", "podIP", k1s_json_str(pod, "status.podIP"),
			 "phase", k1s_json_str(pod, "status.phase"), "face", dns_face(pod));
}

/* A line at info in k1s's log and in the face's, as CoreDNS starts its
 * own lines with [INFO]. */
static void say(struct dns *dns, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct dns *dns, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	k1s_info("dns", "%s", text);
	k1s_facelog_printf(dns->facelog, "[INFO] %s", text);
}

static int open_listener(struct dns *dns, int i);

/* A face pod's address: served from now on, by every loop. */
static void face_listen(struct dns *dns, const json_t *digest)
{
	const char *ip = k1s_json_str(digest, "status.podIP");
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
	int i = dns->nlisten;

	if (!ip || strcmp(k1s_json_str(digest, "status.phase") ?: "", "Running") != 0 ||
	    inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return;
	for (int k = 0; k < dns->nlisten; k++)
		if (dns->listen[k].sin_addr.s_addr == a.sin_addr.s_addr)
			return;
	if (i == DNS_LISTEN_MAX) {
		k1s_warn("dns", "face %s/%s on %s: already serving %d faces, the most",
			 k1s_json_str(digest, "metadata.namespace"),
			 k1s_json_str(digest, "metadata.name"), ip, DNS_LISTEN_FACES);
		return;
	}
	dns->listen[i] = a;
	if (open_listener(dns, i) < 0) {
		if (dns->ufd[i] >= 0)
			close(dns->ufd[i]);
		if (dns->tfd[i] >= 0)
			close(dns->tfd[i]);
		dns->ufd[i] = dns->tfd[i] = -1;
		return;
	}
	dns->nlisten++;
	atomic_store(&dns->nlisten_live, dns->nlisten);
	for (int k = 0; k < dns->nloops; k++)
		dns_loop_wake(dns->loops[k]);
	say(dns, "serving %s on %s:53, the address of face %s/%s", dns->domain, ip,
	    k1s_json_str(digest, "metadata.namespace"), k1s_json_str(digest, "metadata.name"));
}

static void key_of(char *key, size_t cap, const json_t *obj)
{
	snprintf(key, cap, "%s/%s", k1s_json_str(obj, "metadata.namespace") ?: "",
		 k1s_json_str(obj, "metadata.name") ?: "");
}

/* A Pod is kept as its digest; a Service or Endpoints only marks its key
 * (Endpoints are their Service's: the same key, recompiled together). The
 * Endpoints of a Service with a cluster IP are not in the zone, so their
 * changes, most of the store's, mark nothing. */
static void cache_put(struct dns *dns, const char *res, const json_t *obj, bool del)
{
	char key[512];

	key_of(key, sizeof(key), obj);
	if (strcmp(res, "pods") == 0) {
		json_t *d, *old;

		if (del) {
			json_object_del(dns->pods, key);
		} else {
			d = pod_digest(obj);
			old = json_object_get(dns->pods, key);
			/* Most pod updates (conditions, restarts) change nothing we serve. */
			if (old && json_equal(old, d)) {
				json_decref(d);
				return;
			}
			if (json_is_true(json_object_get(d, "face")))
				face_listen(dns, d);
			json_object_set_new(dns->pods, key, d);
		}
		json_object_set_new(dns->dpods, key, json_true());
	} else if (strcmp(res, "services") == 0) {
		if (!del && reads_endpoints(obj))
			json_object_set_new(dns->headless, key, json_true());
		else
			json_object_del(dns->headless, key);
		json_object_set_new(dns->dsvcs, key, json_true());
	} else if (strcmp(res, "endpoints") == 0) {
		if (!json_object_get(dns->headless, key))
			return;
		json_object_set_new(dns->dsvcs, key, json_true());
	} else {
		return;
	}
	dns->dirty = true;
}

static void on_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	cache_put(arg, res, obj, deleted);
}

static void on_reset(void *arg)
{
	struct dns *dns = arg;

	json_object_clear(dns->headless);
	json_object_clear(dns->pods);
	/* Its nodes go with the snapshot being served. */
	dns_zone_free(dns->zone);
	dns->zone = NULL;
	dns->dirty = true;
}

static const char *const followed[] = {"services", "endpoints", "pods", NULL};
static const struct st_follow_ops follow_ops = {on_reset, on_object, NULL};

static void give_back(void *arg, struct k1s_snap *s)
{
	dns_snap_free(dns_snap_of(s));
}

static void publish(struct dns *dns, struct dns_snap *s)
{
	k1s_pub_publish(&dns->pub, &s->base);
	for (int i = 0; i < dns->nloops; i++)
		dns_loop_wake(dns->loops[i]);
}

/* resolv.conf, looked at every DNS_RC_CHECK_MS: a DHCP lease or an
 * administrator may change the upstreams under a running appliance. */
#define DNS_RC_CHECK_MS 2000

static void log_upstreams(struct dns *dns)
{
	char list[128] = "";

	for (int i = 0; i < dns->up.n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 inet_ntoa(dns->up.addr[i].sin_addr));
	say(dns, "upstreams from %s: %s", dns->resolv_conf,
	    dns->up.n ? list : "none (other names get SERVFAIL)");
}

static bool rc_changed(struct dns *dns)
{
	struct stat st;

	if (stat(dns->resolv_conf, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (st.st_ino == dns->rc_ino && st.st_size == dns->rc_size &&
	    st.st_mtim.tv_sec == dns->rc_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == dns->rc_mtime.tv_nsec)
		return false;
	dns->rc_ino = st.st_ino;
	dns->rc_size = st.st_size;
	dns->rc_mtime = st.st_mtim;
	return true;
}

static void rc_check(struct dns *dns, int64_t now)
{
	struct dns_upstreams up;

	if (now - dns->rc_checked < DNS_RC_CHECK_MS)
		return;
	dns->rc_checked = now;
	if (!rc_changed(dns))
		return;
	dns_read_resolv(dns->resolv_conf, dns->listen, dns->nlisten, &up);
	if (up.n == dns->up.n &&
	    memcmp(up.addr, dns->up.addr, sizeof(up.addr[0]) * (size_t)up.n) == 0)
		return;
	pthread_mutex_lock(&dns->up_mu);
	dns->up = up;
	pthread_mutex_unlock(&dns->up_mu);
	atomic_fetch_add(&dns->up_gen, 1);
	log_upstreams(dns);
	for (int i = 0; i < dns->nloops; i++)
		dns_loop_wake(dns->loops[i]);
}

/* Splits "ns/name" into ns (cap bytes) and the name; NULL if it cannot. */
static const char *split_key(const char *key, char *ns, size_t cap)
{
	const char *slash = strchr(key, '/');

	if (!slash || (size_t)(slash - key) >= cap)
		return NULL;
	memcpy(ns, key, (size_t)(slash - key));
	ns[slash - key] = 0;
	return slash + 1;
}

/* A Service's records, with its Endpoints read from the store only when
 * the zone reads them. 0, -ENOMEM (the zone is to be dropped), or the
 * store's error (the owner is left as it was). */
static int set_service(struct dns *dns, struct dns_zone *z, const char *key,
		       const json_t *svc)
{
	char ns[256];
	const char *name = split_key(key, ns, sizeof(ns));
	json_t *ep = NULL;
	int e;

	if (svc && name && reads_endpoints(svc)) {
		e = st_get(dns->st, "endpoints", ns, name, &ep);
		if (e < 0 && e != -ENOENT)
			return e;
	}
	e = dns_zone_set_service(z, key, svc, ep);
	json_decref(ep);
	return e;
}

struct full_arg {
	struct dns *dns;
	struct dns_zone *z;
};

static int full_service(void *arg, const json_t *svc)
{
	struct full_arg *fa = arg;
	char key[512];

	key_of(key, sizeof(key), svc);
	return set_service(fa->dns, fa->z, key, svc);
}

/* The zone, whole: the Services listed from the store, the Pods from
 * their digests. */
static struct dns_zone *zone_full(struct dns *dns)
{
	struct dns_zone *z;
	const char *key;
	json_t *v;
	int e;

	/* The SOA serial: seconds, so that it grows across restarts too. */
	dns->zcfg.serial = (uint32_t)time(NULL);
	z = dns_zone_new(&dns->zcfg);
	if (!z)
		return NULL;
	e = st_list(dns->st, "services", NULL, NULL, NULL, 0, full_service,
		    &(struct full_arg){dns, z}, NULL);
	if (e < 0) {
		if (e != -ENOMEM)
			k1s_err("dns", "listing services: %s", k1s_strerror(e));
		dns_zone_free(z);
		return NULL;
	}
	json_object_foreach(dns->pods, key, v)
		dns_zone_set_pod(z, key, v);
	return z;
}

/* The owners that changed, recompiled from the store as it is now, which
 * may be ahead of the events seen (the later event marks the key again).
 * A key the store could not be read for stays marked, for the next pass. */
static void zone_update(struct dns *dns)
{
	char ns[256];
	const char *key, *name;
	json_t *v, *svc;
	void *tmp;
	int e;

	json_object_foreach_safe(dns->dsvcs, tmp, key, v) {
		svc = NULL;
		e = (name = split_key(key, ns, sizeof(ns))) ?
			    st_get(dns->st, "services", ns, name, &svc) : -ENOENT;
		if (e == 0 || e == -ENOENT)
			e = set_service(dns, dns->zone, key, svc);
		json_decref(svc);
		if (e == -ENOMEM)
			return;
		if (e < 0)
			k1s_warn("dns", "reading %s: %s; trying again", key, k1s_strerror(e));
		else
			json_object_del(dns->dsvcs, key);
	}
	json_object_foreach(dns->dpods, key, v)
		dns_zone_set_pod(dns->zone, key, json_object_get(dns->pods, key));
}

static void snapshot(struct dns *dns)
{
	struct timespec t0, t1;
	struct dns_snap *s;
	bool full = !dns->zone;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (dns->zone) {
		zone_update(dns);
	} else {
		dns->zone = zone_full(dns);
		json_object_clear(dns->dsvcs);
	}
	json_object_clear(dns->dpods);
	s = dns->zone ? dns_zone_snap(dns->zone) : NULL;
	if (!s) {
		/* Next pass: a whole new zone. */
		k1s_warn("dns", "cannot build the zone: out of memory");
		dns_zone_free(dns->zone);
		dns->zone = NULL;
		return;
	}
	/* What could not be read waits for the next pass. */
	dns->dirty = json_object_size(dns->dsvcs) > 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	k1s_debug("dns", "zone %llu: %u names, %s in %.3f ms", (unsigned long long)dns->pub.gen + 1,
		  s->nnodes, full ? "built" : "changed",
		  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	publish(dns, s);
}

int dns_ctl_pass(struct dns *dns)
{
	int64_t now = k1s_now_ms();
	int wait;

	bool in_use;

	if (st_follow(&dns->follow) == 0 && dns->dirty)
		snapshot(dns);
	in_use = k1s_pub_reclaim(&dns->pub);
	rc_check(dns, now);
	wait = DNS_RC_CHECK_MS;
	if ((in_use || dns->dirty) && wait > 10)
		wait = 10;
	return wait;
}

/* As dp_ready(): generations start at 1. */
bool dns_ready(const struct dns *dns)
{
	return dns->pub.gen >= 1 && k1s_pub_all_seen(&dns->pub, 1);
}

static int dns_hook(void *arg)
{
	return dns_ctl_pass(arg);
}

static int parse_addr(const char *s, uint16_t defport, struct sockaddr_in *a)
{
	char buf[64], *colon;
	unsigned port = defport;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (colon) {
		char *end;

		*colon = 0;
		port = (unsigned)strtoul(colon + 1, &end, 10);
		if (*end || port == 0 || port > 65535)
			return -EINVAL;
	}
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, buf, &a->sin_addr) == 1 ? 0 : -EINVAL;
}

static int open_listener(struct dns *dns, int i)
{
	const struct sockaddr_in *a = &dns->listen[i];
	int one = 1, e;

	dns->ufd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	dns->tfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (dns->ufd[i] < 0 || dns->tfd[i] < 0)
		return -errno;
	setsockopt(dns->tfd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* The cluster IP need not be on any device yet (the runtime routes
	 * the service range to lo when it starts). */
	setsockopt(dns->ufd[i], IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	setsockopt(dns->tfd[i], IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	/* Room for bursts: a load generator sends thousands at once. */
	setsockopt(dns->ufd[i], SOL_SOCKET, SO_RCVBUF, &(int){4 << 20}, sizeof(int));
	setsockopt(dns->ufd[i], SOL_SOCKET, SO_SNDBUF, &(int){4 << 20}, sizeof(int));
	if (bind(dns->ufd[i], (const struct sockaddr *)a, sizeof(*a)) < 0 ||
	    bind(dns->tfd[i], (const struct sockaddr *)a, sizeof(*a)) < 0 ||
	    listen(dns->tfd[i], 1024) < 0) {
		e = -errno;
		k1s_err("dns", "listening on %s:%u: %s", inet_ntoa(a->sin_addr),
			ntohs(a->sin_port), strerror(errno));
		return e;
	}
	return 0;
}

struct dns *dns_new(struct st *st, struct k1s_loop *loop, const struct dns_config *cfg,
		    int *err)
{
	struct dns *dns = calloc(1, sizeof(*dns));
	int n = cfg->loops > 0 ? cfg->loops : (int)sysconf(_SC_NPROCESSORS_ONLN);
	const char *rc = cfg->resolv_conf ?: "/etc/resolv.conf";
	uint8_t w[DNS_MAXNAME + 1];
	int e = -ENOMEM;

	if (!dns)
		goto fail;
	for (int i = 0; i < DNS_LISTEN_MAX; i++)
		dns->ufd[i] = dns->tfd[i] = -1;
	pthread_mutex_init(&dns->up_mu, NULL);
	dns->st = st;
	dns->loop = loop;
	snprintf(dns->domain, sizeof(dns->domain), "%s", cfg->domain ?: "cluster.local");
	snprintf(dns->ip, sizeof(dns->ip), "%s", cfg->ip ?: "10.96.0.10");
	dns->zcfg = (struct dns_zone_cfg){dns->domain, dns->ip, cfg->service_net,
					  cfg->pod_net, 0};
	e = -EINVAL;
	if (dns_name_from_str(dns->domain, w, sizeof(w)) < 0) {
		k1s_err("dns", "cluster domain %s: not a domain name", dns->domain);
		goto fail;
	}
	if (parse_addr(dns->ip, 53, &dns->listen[0]) < 0 || strchr(dns->ip, ':')) {
		k1s_err("dns", "address %s: expected an IPv4 address", dns->ip);
		goto fail;
	}
	dns->nlisten = 1;
	if (cfg->listen) {
		if (parse_addr(cfg->listen, 53, &dns->listen[1]) < 0) {
			k1s_err("dns", "listen address %s: expected ADDR[:PORT]", cfg->listen);
			goto fail;
		}
		dns->nlisten = 2;
	}
	/* Whatever address can be had is served: a host address still
	 * answers when another process holds the cluster IP's port. */
	for (int i = 0, k = 0, n0 = dns->nlisten; i < n0; i++) {
		dns->listen[k] = dns->listen[i];
		if ((e = open_listener(dns, k)) < 0) {
			close(dns->ufd[k]);
			close(dns->tfd[k]);
			dns->ufd[k] = dns->tfd[k] = -1;
			dns->nlisten--;
			continue;
		}
		k++;
	}
	if (dns->nlisten == 0)
		goto fail;
	dns->nfixed = dns->nlisten;
	atomic_store(&dns->nlisten_live, dns->nlisten);
	if (cfg->data_dir) {
		dns->facelog = k1s_facelog_open(cfg->data_dir, "dns", 0, &e);
		if (!dns->facelog)
			k1s_warn("dns", "the face's log in %s/faces: %s", cfg->data_dir,
				 strerror(-e));
		dns->qlog = dns->facelog && k1s_log_enabled(K1S_LOG_DEBUG);
	}
	snprintf(dns->resolv_conf, sizeof(dns->resolv_conf), "%s", rc);
	rc_changed(dns);
	dns->rc_checked = k1s_now_ms();
	if ((e = dns_read_resolv(rc, dns->listen, dns->nlisten, &dns->up)) < 0)
		k1s_warn("dns", "%s: %s; other names get SERVFAIL", rc, strerror(-e));
	else
		log_upstreams(dns);
	e = -ENOMEM;
	dns->cache = dns_cache_new();
	st_follow_init(&dns->follow, st, "dns", followed, &follow_ops, dns);
	dns->headless = json_object();
	dns->pods = json_object();
	dns->dsvcs = json_object();
	dns->dpods = json_object();
	if (n < 1)
		n = 1;
	dns->loops = calloc((size_t)n, sizeof(*dns->loops));
	dns->flows = k1s_flow_ring_new("dns", DNS_FLOWS);
	if (!dns->cache || !dns->flows || !dns->headless || !dns->pods || !dns->dsvcs || !dns->dpods ||
	    !dns->loops || k1s_pub_init(&dns->pub, n, give_back, dns) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		dns->loops[i] = dns_loop_start(dns, i, &e);
		if (!dns->loops[i])
			goto fail;
		dns->nloops++;
	}
	if (loop && (e = k1s_loop_hook(loop, dns_hook, dns)) < 0)
		goto fail;
	for (int i = 0; i < dns->nlisten; i++)
		say(dns, "serving %s on %s:%u, %d loop(s), %d upstream(s)%s", dns->domain,
		    inet_ntoa(dns->listen[i].sin_addr), ntohs(dns->listen[i].sin_port), n,
		    dns->up.n, dns->qlog ? "; queries logged here" : "");
	return dns;
fail:
	dns_free(dns);
	if (err)
		*err = e;
	return NULL;
}

void dns_free(struct dns *dns)
{
	if (!dns)
		return;
	atomic_store(&dns->stop, 1);
	for (int i = 0; i < dns->nloops; i++)
		dns_loop_wake(dns->loops[i]);
	for (int i = 0; i < dns->nloops; i++)
		dns_loop_join(dns->loops[i]);
	free(dns->loops);
	for (int i = 0; i < DNS_LISTEN_MAX; i++) {
		if (dns->ufd[i] >= 0)
			close(dns->ufd[i]);
		if (dns->tfd[i] >= 0)
			close(dns->tfd[i]);
	}
	k1s_facelog_close(dns->facelog);
	dns_cache_free(dns->cache);
	/* The zone first: its nodes go to the snapshot being served. */
	dns_zone_free(dns->zone);
	if (dns->pub.seen)
		k1s_pub_fini(&dns->pub);
	json_decref(dns->headless);
	json_decref(dns->pods);
	json_decref(dns->dsvcs);
	json_decref(dns->dpods);
	pthread_mutex_destroy(&dns->up_mu);
	k1s_flow_ring_free(dns->flows);
	free(dns);
}

struct k1s_flow_ring *dns_flows(struct dns *dns)
{
	return dns->flows;
}
