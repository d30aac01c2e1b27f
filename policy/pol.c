/* The module: follows Namespaces, Pods, NetworkPolicies, Services and
 * Endpoints on the control loop, builds a new view on the pass after any
 * of them changed (a before-sleep hook: a burst of writes costs one view,
 * and a change is enforced milliseconds after its write), publishes it to
 * the proxies' threads and hands it to the kernel side.
 *
 * Publishing: pol_check() runs on any thread (the dataplane's loops, the
 * ingress's, the API's for /k1s/policy/verdict), once per new flow and not
 * once per loop iteration, so lib/'s k1s_pub, whose readers acknowledge a
 * generation when their loop comes round, does not fit: a reader here
 * marks the one view it reads in its own hazard slot for the length of a
 * check, and the control side frees a retired view once no slot marks it.
 * Slots are taken on a thread's first check and given back when it ends. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <jansson.h>

#include "k1s_addr.h"
#include "k1s_flow.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "pol.h"
#include "pol_int.h"
#include "st.h"

enum { POL_NS, POL_PODS, POL_NPS, POL_SVCS, POL_EPS, POL_NRES };

static const char *const followed[] = {"namespaces", "pods", "networkpolicies.networking.k8s.io",
				       "services", "endpoints", NULL};

/* The fronts of one Service ("namespace/name") and its Endpoints. */
struct pol_svc_part {
	char *sp_key;
	struct pol_fronts *sp_fronts;
};

/* A policy's drop count, kept across views for as long as k1s runs. */
struct pol_counter {
	char *pc_key;
	_Atomic uint64_t pc_drops;
};

struct pol {
	struct st *st;
	struct k1s_loop *loop;
	struct pol_config cfg;
	uint32_t node_ip;
	struct st_follower follow;
	/* "namespace/name" -> object; Services and Endpoints are not kept
	 * (their trees are the bulk of the store's memory): a part reads
	 * its two back from the store when it is built. */
	json_t *cache[POL_NRES];
	json_t *admitted;		/* pods the runtime's gate made known:
					 * "namespace/name" -> {"pod", "ip"} */
	/* The Services' fronts: one part per Service with Endpoints, by key,
	 * built again, from the store, when its Service or Endpoints changed,
	 * and the parts joined for the views. */
	struct pol_svc_part *parts;	/* sorted by key */
	size_t nparts;
	json_t *parts_changed;		/* keys changed since the join */
	struct pol_fronts *fronts;	/* the parts joined */
	bool fronts_dirty;		/* a Service or Endpoints changed since */
	struct pol_policies *policies;	/* cache[POL_NPS] compiled */
	bool policies_dirty;		/* a policy changed since */
	bool dirty;
	bool ready;
	bool apply_failed;

	struct k1s_flow_ring *flows;	/* pol_flows(): the kernel's drops */
	_Atomic(struct pol_view *) cur;
	_Atomic(struct pol_view *) hazard[POL_MAX_READERS];
	atomic_bool slot_used[POL_MAX_READERS];
	pthread_key_t slot_key;
	bool key_made;
	/* Readers beyond POL_MAX_READERS threads read under this lock, and the
	 * control side takes it to free a view. */
	pthread_mutex_t overflow;
	struct pol_view **retired;
	size_t nretired;

	struct pol_counter **counters;
	size_t ncounters;
	json_t *counter_at;		/* key -> index in counters */

	struct pol_nft *nft;
	int log_fd;

	_Atomic int64_t log_second;	/* proxy drop log: the second counted */
	_Atomic int log_lines;		/* lines written in it */
};

/* ---- hazard slots ---- */

static void slot_release(void *p)
{
	atomic_store((atomic_bool *)p, false);
}

static int slot_of(struct pol *pol)
{
	atomic_bool *s = pthread_getspecific(pol->slot_key);

	if (s)
		return (int)(s - pol->slot_used);
	for (int i = 0; i < POL_MAX_READERS; i++) {
		bool free_ = false;

		if (atomic_compare_exchange_strong(&pol->slot_used[i], &free_, true)) {
			pthread_setspecific(pol->slot_key, &pol->slot_used[i]);
			return i;
		}
	}
	return -1;
}

/* The current view, marked in the calling thread's slot; NULL before the
 * first. Released with view_put(). */
static struct pol_view *view_get(struct pol *pol, int *slot)
{
	struct pol_view *v;

	*slot = slot_of(pol);
	if (*slot < 0) {
		pthread_mutex_lock(&pol->overflow);
		return atomic_load(&pol->cur);
	}
	do {
		v = atomic_load(&pol->cur);
		atomic_store(&pol->hazard[*slot], v);
	} while (v != atomic_load(&pol->cur));
	return v;
}

static void view_put(struct pol *pol, int slot)
{
	if (slot < 0)
		pthread_mutex_unlock(&pol->overflow);
	else
		atomic_store(&pol->hazard[slot], NULL);
}

/* Frees the retired views no slot marks; true while some remain. */
static bool reclaim(struct pol *pol)
{
	size_t k = 0;

	pthread_mutex_lock(&pol->overflow);
	for (size_t i = 0; i < pol->nretired; i++) {
		struct pol_view *v = pol->retired[i];
		bool used = false;

		for (int s = 0; s < POL_MAX_READERS && !used; s++)
			used = atomic_load(&pol->hazard[s]) == v;
		if (used)
			pol->retired[k++] = v;
		else
			pol_view_free(v);
	}
	pol->nretired = k;
	pthread_mutex_unlock(&pol->overflow);
	return k > 0;
}

static void publish(struct pol *pol, struct pol_view *v)
{
	struct pol_view *old = atomic_exchange(&pol->cur, v);
	struct pol_view **grown;

	if (old) {
		grown = realloc(pol->retired, (pol->nretired + 1) * sizeof(*grown));
		if (grown) {
			pol->retired = grown;
			pol->retired[pol->nretired++] = old;
		} else {
			/* XXX no memory to remember it: leaked rather than freed
			 * under a reader. */
			k1s_warn("policy", "a retired view is leaked: out of memory");
		}
	}
	reclaim(pol);
}

/* ---- the copy of the store ---- */

static int res_of(const char *res)
{
	for (int i = 0; i < POL_NRES; i++)
		if (!strcmp(followed[i], res))
			return i;
	return -1;
}

/* A pod as the view reads it: most pod updates (conditions, restarts,
 * probe results) change none of this and cost no view. */
static json_t *pod_digest(const json_t *pod)
{
	json_t *d = json_pack("{s:{s:O?,s:O?,s:O?},s:{s:[]},s:{s:O?,s:O?,s:[]}}", "metadata",
			      "namespace", k1s_json_path(pod, "metadata.namespace"), "name",
			      k1s_json_path(pod, "metadata.name"), "labels",
			      k1s_json_path(pod, "metadata.labels"), "spec", "containers", "status",
			      "podIP", k1s_json_path(pod, "status.podIP"), "phase",
			      k1s_json_path(pod, "status.phase"), "containerStatuses");
	json_t *cs = k1s_json_path(d, "spec.containers"), *ss = k1s_json_path(d, "status.containerStatuses");
	const json_t *x;
	size_t i;

	if (!d)
		return NULL;
	json_array_foreach(k1s_json_path(pod, "spec.containers"), i, x)
		json_array_append_new(cs, json_pack("{s:O?}", "ports", json_object_get(x, "ports")));
	json_array_foreach(k1s_json_path(pod, "status.containerStatuses"), i, x)
		json_array_append_new(ss, json_pack("{s:O?}", "containerID",
						    json_object_get(x, "containerID")));
	/* Copied whole: the store's object is the follower's to free. */
	x = json_deep_copy(d);
	json_decref(d);
	return (json_t *)x;
}

static void on_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	struct pol *pol = arg;
	int r = res_of(res);
	char key[512];

	if (r < 0)
		return;
	snprintf(key, sizeof(key), "%s/%s", k1s_json_str(obj, "metadata.namespace") ?: "",
		 k1s_json_str(obj, "metadata.name") ?: "");
	if (r == POL_SVCS || r == POL_EPS) {
		json_object_set_new(pol->parts_changed, key, json_true());
		pol->fronts_dirty = true;
		pol->dirty = true;
		return;
	}
	if (deleted) {
		json_object_del(pol->cache[r], key);
		if (r == POL_PODS)
			json_object_del(pol->admitted, key);
	} else {
		const json_t *old = json_object_get(pol->cache[r], key);
		/* Not a pod: the store's shared object, kept and never changed
		 * (a Namespace, a NetworkPolicy: few, and read by every view). */
		json_t *copy = r == POL_PODS ? pod_digest(obj) : json_incref((json_t *)obj);

		if (!copy || (old && json_equal(old, copy))) {
			json_decref(copy);
			return;
		}
		json_object_set_new(pol->cache[r], key, copy);
		/* Once the store has the address, the gate's copy is done. */
		if (r == POL_PODS && k1s_json_str(obj, "status.podIP"))
			json_object_del(pol->admitted, key);
	}
	if (r == POL_NPS)
		pol->policies_dirty = true;
	pol->dirty = true;
}

static void on_reset(void *arg)
{
	struct pol *pol = arg;

	for (int i = 0; i < POL_NRES; i++)
		json_object_clear(pol->cache[i]);
	for (size_t i = 0; i < pol->nparts; i++)
		json_object_set_new(pol->parts_changed, pol->parts[i].sp_key, json_true());
	pol->fronts_dirty = true;
	pol->policies_dirty = true;
	pol->dirty = true;
}

static const struct st_follow_ops follow_ops = {on_reset, on_object, NULL};

/* ---- views ---- */

static _Atomic uint64_t *counter_for(struct pol *pol, const char *key)
{
	json_t *at = json_object_get(pol->counter_at, key);
	struct pol_counter *c, **grown;

	if (at)
		return &pol->counters[json_integer_value(at)]->pc_drops;
	grown = realloc(pol->counters, (pol->ncounters + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	pol->counters = grown;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->pc_key = strdup(key))) {
		free(c);
		return NULL;
	}
	pol->counters[pol->ncounters] = c;
	json_object_set_new(pol->counter_at, key, json_integer((json_int_t)pol->ncounters));
	pol->ncounters++;
	return &c->pc_drops;
}

/* The part of the Service at key: its index, or where it would go. */
static size_t part_at(const struct pol *pol, const char *key, bool *found)
{
	size_t lo = 0, hi = pol->nparts;

	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(pol->parts[mid].sp_key, key);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The Service at key's fronts, read from the store: *out NULL when the
 * Service or its Endpoints is gone. The trees are let go once the fronts
 * are built (they copy what they keep). 0 or a negative errno. */
static int part_read(struct pol *pol, const char *key, struct pol_fronts **out)
{
	const char *slash = strchr(key, '/');
	json_t *svc = NULL, *eps = NULL, *sa = NULL, *ea = NULL;
	char ns[256];
	int e;

	*out = NULL;
	if (!slash || (size_t)(slash - key) >= sizeof(ns))
		return 0;
	memcpy(ns, key, (size_t)(slash - key));
	ns[slash - key] = '\0';
	if ((e = st_get(pol->st, "services", ns, slash + 1, &svc)) < 0 ||
	    (e = st_get(pol->st, "endpoints", ns, slash + 1, &eps)) < 0)
		goto out;
	e = -ENOMEM;
	if ((sa = json_pack("[O]", svc)) && (ea = json_pack("[O]", eps)) &&
	    (*out = pol_fronts_new(sa, ea, pol->node_ip)))
		e = 0;
out:
	json_decref(svc);
	json_decref(eps);
	json_decref(sa);
	json_decref(ea);
	return e == -ENOENT ? 0 : e;
}

/* The Service at key's part built again (removed when the Service or its
 * Endpoints is gone). 0 or a negative errno. */
static int part_update(struct pol *pol, const char *key)
{
	struct pol_fronts *f;
	struct pol_svc_part *grown;
	bool found;
	size_t at = part_at(pol, key, &found);
	int e = part_read(pol, key, &f);

	if (e < 0)
		return e;
	if (found) {
		pol_fronts_free(pol->parts[at].sp_fronts);
		if (f) {
			pol->parts[at].sp_fronts = f;
			return 0;
		}
		free(pol->parts[at].sp_key);
		memmove(&pol->parts[at], &pol->parts[at + 1],
			(pol->nparts - at - 1) * sizeof(*pol->parts));
		pol->nparts--;
		return 0;
	}
	if (!f)
		return 0;
	grown = realloc(pol->parts, (pol->nparts + 1) * sizeof(*grown));
	if (!grown) {
		pol_fronts_free(f);
		return -ENOMEM;
	}
	pol->parts = grown;
	memmove(&pol->parts[at + 1], &pol->parts[at], (pol->nparts - at) * sizeof(*pol->parts));
	pol->parts[at] = (struct pol_svc_part){strdup(key), f};
	if (!pol->parts[at].sp_key) {
		pol_fronts_free(f);
		memmove(&pol->parts[at], &pol->parts[at + 1],
			(pol->nparts - at) * sizeof(*pol->parts));
		return -ENOMEM;
	}
	pol->nparts++;
	return 0;
}

/* Parts read from the store per pass at most, in ms: a relist marks every
 * Service, whose two reads each (about 50 us for both) would hold the
 * control loop for half a second at 10,000 Services. */
/* Records of the kernel's drops kept for the flow API. */
#define POL_FLOWS 512
#define POL_PARTS_MS 5

/* Builds again the parts of the Services whose Service or Endpoints
 * changed, for at most POL_PARTS_MS when `bounded`: 0 once none is left,
 * -EAGAIN while some are, or a negative errno (the changes stay
 * recorded). */
static int parts_catch_up(struct pol *pol, bool bounded)
{
	int64_t until = k1s_now_ms() + POL_PARTS_MS;
	size_t n = 0;
	const char *k;
	json_t *o, *tmp;
	int e;

	json_object_foreach_safe(pol->parts_changed, tmp, k, o) {
		if (bounded && ++n % 32 == 0 && k1s_now_ms() >= until)
			return -EAGAIN;
		if ((e = part_update(pol, k)) < 0)
			return e;
		json_object_del(pol->parts_changed, k);
	}
	return 0;
}

/* The Services' fronts of the copy, its parts caught up with: the parts
 * joined; a pod's admission, or a policy's change, reuses the last join.
 * NULL on no memory. */
static struct pol_fronts *fronts(struct pol *pol)
{
	struct pol_fronts **each, *f;

	if (pol->fronts && !pol->fronts_dirty)
		return pol->fronts;
	each = calloc(pol->nparts + 1, sizeof(*each));
	if (!each)
		return NULL;
	for (size_t i = 0; i < pol->nparts; i++)
		each[i] = pol->parts[i].sp_fronts;
	f = pol_fronts_join(each, pol->nparts);
	free(each);
	if (!f)
		return NULL;
	pol_fronts_free(pol->fronts);
	pol->fronts = f;
	pol->fronts_dirty = false;
	return f;
}

/* The policies of the copy, compiled again only when one changed (and
 * then only those that did): a pod's admission, or any other change,
 * reuses them. NULL on no memory. */
static struct pol_policies *policies(struct pol *pol)
{
	struct pol_policies *p;
	const char *k;
	json_t *nps, *o;

	if (pol->policies && !pol->policies_dirty)
		return pol->policies;
	if (!(nps = json_array()))
		return NULL;
	json_object_foreach(pol->cache[POL_NPS], k, o)
		if (json_array_append(nps, o) < 0) {
			json_decref(nps);
			return NULL;
		}
	p = pol_policies_update(pol->policies, nps);
	json_decref(nps);
	if (!p)
		return NULL;
	pol_policies_free(pol->policies);
	pol->policies = p;
	pol->policies_dirty = false;
	return p;
}

static struct pol_view *build(struct pol *pol)
{
	struct pol_policies *p = policies(pol);
	struct pol_fronts *f = fronts(pol);
	struct pol_view_builder *b;
	static void (*const add[])(struct pol_view_builder *, const json_t *) = {
		[POL_NS] = pol_builder_namespace};
	struct pol_view *v;
	const char *k;
	json_t *o;

	if (!f || !p || !(b = pol_builder_new(&pol->cfg.pod_net, pol->node_ip)))
		return NULL;
	pol_builder_fronts(b, f);
	pol_builder_policies(b, p);
	for (int r = 0; r < POL_NRES; r++) {
		if (r == POL_SVCS || r == POL_EPS || r == POL_NPS)
			continue;
		json_object_foreach(pol->cache[r], k, o) {
			if (r != POL_PODS)
				add[r](b, o);
			else if (!json_object_get(pol->admitted, k))
				pol_builder_pod(b, o, NULL);
		}
	}
	json_object_foreach(pol->admitted, k, o)
		pol_builder_pod(b, json_object_get(o, "pod"), k1s_json_str(o, "ip"));
	v = pol_builder_finish(b);
	if (!v)
		return NULL;
	for (size_t i = 0; i < pol_view_npolicies(v); i++)
		pol_view_set_drops(v, i, counter_for(pol, pol_view_policy_key(v, i)));
	return v;
}

/* Builds, publishes and enforces a view of the copy, once its parts are
 * caught up (`bounded`: for a pass's share of time; until then the last
 * view stays, as it would behind a long pass). 0, or a negative errno
 * (the copy stays dirty and the next pass goes on: -EAGAIN). */
static int refresh(struct pol *pol, bool bounded)
{
	struct timespec t0, t1;
	struct pol_view *v;
	int e = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((e = parts_catch_up(pol, bounded)) < 0)
		return e;
	v = build(pol);
	if (!v)
		return -ENOMEM;
	publish(pol, v);
	pol->dirty = false;
	if (pol->nft && (e = pol_nft_apply(pol->nft, v)) < 0) {
		if (!pol->apply_failed)
			k1s_warn("policy", "cannot bring nftables up to date: %s", strerror(-e));
		pol->apply_failed = true;
		pol->dirty = true;
		return e;
	}
	pol->apply_failed = false;
	if (!pol->ready && pol->follow.listed) {
		pol->ready = true;
		k1s_info("policy", "enforcing: %zu policies over %zu pods", pol_view_npolicies(v),
			 pol_view_npods(v));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	k1s_debug("policy", "view of %zu pods, %zu policies enforced in %.3f ms", pol_view_npods(v),
		  pol_view_npolicies(v),
		  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	return 0;
}

int pol_pass(struct pol *pol)
{
	bool in_use, catching_up = false;

	if (st_follow(&pol->follow) == 0 && pol->dirty && refresh(pol, true) == -EAGAIN)
		catching_up = true;
	in_use = reclaim(pol);
	if (catching_up)
		return 0;
	if (pol->apply_failed)
		return 100;
	return in_use || pol->dirty ? 10 : -1;
}

static int pol_hook(void *arg)
{
	return pol_pass(arg);
}

static void on_log(void *arg, int fd, uint32_t events)
{
	struct pol *pol = arg;
	struct pol_view *v = atomic_load(&pol->cur);

	if (v)
		pol_nft_log_read(pol->nft, v);
}

static void pol_destroy(struct pol *pol, bool remove)
{
	if (!pol)
		return;
	/* The loop has no way to remove a hook: main frees the module after
	 * its loop has stopped, once the pods are stopped. */
	if (pol->nft) {
		if (pol->log_fd >= 0 && pol->loop)
			k1s_loop_del_fd(pol->loop, pol->log_fd);
		pol_nft_free(pol->nft, remove);
	}
	/* No destructor may write into a freed pol once its key is gone. */
	if (pol->key_made) {
		pthread_key_delete(pol->slot_key);
		pthread_mutex_destroy(&pol->overflow);
	}
	pol_view_free(atomic_load(&pol->cur));
	for (size_t i = 0; i < pol->nretired; i++)
		pol_view_free(pol->retired[i]);
	free(pol->retired);
	pol_fronts_free(pol->fronts);
	pol_policies_free(pol->policies);
	for (size_t i = 0; i < pol->nparts; i++) {
		free(pol->parts[i].sp_key);
		pol_fronts_free(pol->parts[i].sp_fronts);
	}
	free(pol->parts);
	json_decref(pol->parts_changed);
	for (size_t i = 0; i < pol->ncounters; i++) {
		free(pol->counters[i]->pc_key);
		free(pol->counters[i]);
	}
	free(pol->counters);
	json_decref(pol->counter_at);
	for (int i = 0; i < POL_NRES; i++)
		json_decref(pol->cache[i]);
	json_decref(pol->admitted);
	k1s_flow_ring_free(pol->flows);
	free(pol);
}

struct k1s_flow_ring *pol_flows(struct pol *pol)
{
	return pol->nft ? pol->flows : NULL;
}

void pol_free(struct pol *pol)
{
	pol_destroy(pol, true);
}

void pol_leave(struct pol *pol)
{
	pol_destroy(pol, false);
}

struct pol *pol_new(struct st *st, struct k1s_loop *loop, const struct pol_config *cfg, int *err)
{
	struct pol *pol = calloc(1, sizeof(*pol));
	int e = -ENOMEM;

	if (!pol)
		goto fail;
	pol->st = st;
	pol->loop = loop;
	pol->cfg = *cfg;
	pol->cfg.node_ip = NULL;	/* not ours to keep: parsed below */
	pol->log_fd = -1;
	if (!pol->cfg.drop_logs_per_s)
		pol->cfg.drop_logs_per_s = 10;
	for (int i = 0; i < POL_NRES; i++)
		if (!(pol->cache[i] = json_object()))
			goto fail;
	pol->admitted = json_object();
	pol->counter_at = json_object();
	pol->parts_changed = json_object();
	pol->flows = k1s_flow_ring_new("policy", POL_FLOWS);
	if (!pol->admitted || !pol->counter_at || !pol->parts_changed || !pol->flows)
		goto fail;
	if (cfg->node_ip && k1s_ip4_parse(cfg->node_ip, &pol->node_ip) < 0) {
		e = -EINVAL;
		goto fail;
	}
	if ((e = -pthread_key_create(&pol->slot_key, slot_release)) < 0)
		goto fail;
	pthread_mutex_init(&pol->overflow, NULL);
	pol->key_made = true;
	st_follow_init(&pol->follow, st, "policy", followed, &follow_ops, pol);
	pol->dirty = true;
	if (cfg->enforce) {
		/* A table an earlier run left keeps enforcing until the first
		 * view replaces it (pol_nft_apply). */
		pol->nft = pol_nft_new(&(struct pol_nft_config){
					   .drop_logs_per_s = pol->cfg.drop_logs_per_s},
				       &e);
		if (!pol->nft)
			goto fail;
		pol_nft_log_flows(pol->nft, pol->flows);
		if ((pol->log_fd = pol_nft_log_fd(pol->nft)) >= 0 && loop &&
		    (e = k1s_loop_add_fd(loop, pol->log_fd, EPOLLIN, on_log, pol)) < 0) {
			pol->log_fd = -1;
			goto fail;
		}
	}
	if (loop && (e = k1s_loop_hook(loop, pol_hook, pol)) < 0)
		goto fail;
	return pol;
fail:
	/* Nothing applied yet: a table left by an earlier run stays. */
	if (pol && pol->nft) {
		if (pol->log_fd >= 0 && loop)
			k1s_loop_del_fd(loop, pol->log_fd);
		pol_nft_free(pol->nft, false);
		pol->nft = NULL;
	}
	pol_free(pol);
	*err = e;
	return NULL;
}

int pol_remove_left(void)
{
	return pol_nft_remove_left();
}

bool pol_ready(const struct pol *pol)
{
	return pol->ready;
}

int pol_admit_pod(struct pol *pol, const json_t *pod, const char *ip)
{
	char key[512];
	uint32_t addr;
	json_t *entry;
	int e;

	if (!ip || k1s_ip4_parse(ip, &addr) < 0 || !k1s_json_str(pod, "metadata.namespace") ||
	    !k1s_json_str(pod, "metadata.name"))
		return -EINVAL;
	/* What the store has now, the pod's labels and policies included. */
	if ((e = st_follow(&pol->follow)) < 0)
		return e;
	snprintf(key, sizeof(key), "%s/%s", k1s_json_str(pod, "metadata.namespace"),
		 k1s_json_str(pod, "metadata.name"));
	/* A copy: the runtime goes on changing its own. */
	entry = json_pack("{s:o,s:s}", "pod", json_deep_copy(pod), "ip", ip);
	if (!entry || json_object_set_new(pol->admitted, key, entry) < 0)
		return -ENOMEM;
	pol->dirty = true;
	/* No policy at all: nothing isolates the pod or names it, every flow
	 * passes on the view there is, and the next pass takes the pod in.
	 * (A view for each pod admitted was a tenth of the control loop
	 * while a Deployment of 100 started.) */
	if (pol->ready && !pol->apply_failed && !json_object_size(pol->cache[POL_NPS]))
		return 0;
	/* Enforced now: whatever parts a relist left to build are built. */
	return refresh(pol, false);
}

/* ---- any thread ---- */

enum pol_verdict pol_check(struct pol *pol, const struct pol_flow *f)
{
	enum pol_verdict verdict = POL_ALLOWED;
	int slot;
	struct pol_view *v = view_get(pol, &slot);

	/* No view yet: no proxy serves before the module is ready. */
	if (v)
		verdict = pol_view_check(v, f);
	view_put(pol, slot);
	return verdict;
}

static const char *proto_name(uint8_t p)
{
	return p == POL_TCP ? "TCP" : p == POL_UDP ? "UDP" : p == POL_SCTP ? "SCTP" : "?";
}

/* At most drop_logs_per_s lines a second, counted across threads. */
static bool log_allowed(struct pol *pol)
{
	int64_t now = (int64_t)time(NULL), was = atomic_load(&pol->log_second);

	if (was != now && atomic_compare_exchange_strong(&pol->log_second, &was, now))
		atomic_store(&pol->log_lines, 0);
	return atomic_fetch_add(&pol->log_lines, 1) < pol->cfg.drop_logs_per_s;
}

void pol_count_drop(struct pol *pol, const struct pol_flow *f, enum pol_verdict verdict)
{
	pol_count_drop_names(pol, f, verdict, NULL, 0);
}

void pol_count_drop_names(struct pol *pol, const struct pol_flow *f, enum pol_verdict verdict,
			  char *out, size_t cap)
{
	int slot;
	struct pol_view *v = view_get(pol, &slot);

	if (out && cap)
		out[0] = '\0';
	if (v && verdict != POL_ALLOWED) {
		bool egress = verdict == POL_DENIED_EGRESS;
		const struct pol_pod *p = pol_view_pod_at(v, egress ? f->src : f->dst);
		char src[K1S_IP4_STRLEN], dst[K1S_IP4_STRLEN], names[512] = "";
		const char *const *iso;
		size_t n = 0;
		bool log;

		pol_view_count_drop(v, f, verdict);
		log = p && log_allowed(pol);
		if (p && (log || out))
			n = pol_view_isolating(v, (size_t)(p - pol_view_pod(v, 0)),
					       egress ? POL_EGRESS : POL_INGRESS, &iso);
		for (size_t i = 0; out && i < n; i++) {
			size_t at = strlen(out);

			if (at < cap)
				snprintf(out + at, cap - at, "%s%s", i ? " " : "", iso[i]);
		}
		if (log) {
			for (size_t i = 0; i < n; i++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 i ? ", " : "", iso[i]);
			k1s_info("policy", "drop %s %s -> %s:%u: %s of pod %s/%s, isolated by %s",
				 proto_name(f->proto), k1s_ip4_str(f->src, src),
				 k1s_ip4_str(f->dst, dst), f->dport, egress ? "egress" : "ingress",
				 p->ns, p->name, names);
		}
	}
	view_put(pol, slot);
}

json_t *pol_explain(struct pol *pol, const struct pol_flow *f)
{
	struct pol_view *v = atomic_load(&pol->cur);

	/* The control loop owns the view it published: no slot needed. */
	if (!v)
		return json_pack("{s:s,s:s}", "verdict", "Allowed", "reason",
				 "no policy is enforced yet");
	return pol_view_explain(v, f);
}

json_t *pol_drop_counts(struct pol *pol)
{
	json_t *counts = json_object();
	struct pol_view *v = atomic_load(&pol->cur);

	if (!counts)
		return NULL;
	for (size_t i = 0; i < pol->ncounters; i++) {
		uint64_t n = atomic_load(&pol->counters[i]->pc_drops);

		if (n)
			json_object_set_new(counts, pol->counters[i]->pc_key,
					    json_integer((json_int_t)n));
	}
	if (pol->nft && v)
		pol_nft_drops(pol->nft, v, counts);
	return counts;
}
