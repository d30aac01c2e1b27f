/* The Endpoints and EndpointSlice controllers: for each Service with a
 * selector, the addresses of the pods it selects, with ports resolved per
 * pod (a named targetPort is looked up in each pod's container ports).
 * Endpoints carry ready pods in addresses and the others in
 * notReadyAddresses; slices carry every pod with an IP, terminating ones
 * included, with conditions. Services without a selector keep whatever
 * Endpoints their users wrote. Nothing is written unless it changed. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl_int.h"
#include "k1s_hash.h"
#include "k1s_json.h"
#include "k1s_log.h"

#define EPS_MANAGED_BY "endpointslice-controller.k8s.io"
#define LBL_SVC_NAME "kubernetes.io/service-name"
#define LBL_MANAGED_BY "endpointslice.kubernetes.io/managed-by"
#define LBL_HEADLESS "service.kubernetes.io/headless"
#define EPS_MAX_ENDPOINTS 100	/* kube's --max-endpoints-per-slice default */

/* ---- port resolution ---- */

static const char *proto_of(const json_t *p)
{
	return k1s_json_str(p, "protocol") ?: "TCP";
}

/* kube's FindPort: a number, or a container port of that name and
 * protocol. 0 if the pod has no such port. */
static int64_t find_port(const json_t *pod, const json_t *sp)
{
	json_t *tp = json_object_get(sp, "targetPort");
	const char *pname, *proto = proto_of(sp);
	json_t *ctrs, *ctr, *ports, *p;
	size_t i, j;

	if (json_is_integer(tp) && json_integer_value(tp) > 0)
		return json_integer_value(tp);
	if (!json_is_string(tp) || !*json_string_value(tp))
		return ctrl_int(sp, "port", 0);
	pname = json_string_value(tp);
	if (pname[strspn(pname, "0123456789")] == '\0')
		return strtoll(pname, NULL, 10);
	ctrs = k1s_json_path(pod, "spec.containers");
	json_array_foreach(ctrs, i, ctr) {
		ports = json_object_get(ctr, "ports");
		json_array_foreach(ports, j, p) {
			const char *n = k1s_json_str(p, "name");

			if (n && strcmp(n, pname) == 0 && strcmp(proto_of(p), proto) == 0)
				return ctrl_int(p, "containerPort", 0);
		}
	}
	return 0;
}

static int port_cmp(const void *a, const void *b)
{
	const json_t *pa = *(const json_t *const *)a, *pb = *(const json_t *const *)b;
	int c = strcmp(k1s_json_str(pa, "name") ?: "", k1s_json_str(pb, "name") ?: "");

	if (c)
		return c;
	c = strcmp(proto_of(pa), proto_of(pb));
	if (c)
		return c;
	return (int)(ctrl_int(pa, "port", 0) - ctrl_int(pb, "port", 0));
}

/* Sorts an array of objects in place with cmp over elements. */
static void sort_array(json_t *arr, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(arr);
	json_t **v;

	if (n < 2)
		return;
	v = malloc(n * sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

/* The service's ports as this pod serves them, in slice form (name always
 * present). */
static json_t *pod_ports(const json_t *svc, const json_t *pod)
{
	json_t *sports = k1s_json_path(svc, "spec.ports"), *out = json_array(), *sp;
	size_t i;

	json_array_foreach(sports, i, sp) {
		int64_t port = find_port(pod, sp);
		json_t *e;

		if (port <= 0)
			continue;
		e = json_pack("{s:s, s:I, s:s}", "name", k1s_json_str(sp, "name") ?: "", "port",
			      (json_int_t)port, "protocol", proto_of(sp));
		if (k1s_json_str(sp, "appProtocol"))
			json_object_set_new(e, "appProtocol",
					    json_string(k1s_json_str(sp, "appProtocol")));
		json_array_append_new(out, e);
	}
	sort_array(out, port_cmp);
	return out;
}

/* ---- building what should be ---- */

static int addr_cmp(const void *a, const void *b)
{
	const json_t *pa = *(const json_t *const *)a, *pb = *(const json_t *const *)b;
	const char *ia = k1s_json_str(pa, "ip"), *ib = k1s_json_str(pb, "ip");
	int c;

	if (!ia)	/* slice endpoints */
		ia = json_string_value(json_array_get(json_object_get(pa, "addresses"), 0));
	if (!ib)
		ib = json_string_value(json_array_get(json_object_get(pb, "addresses"), 0));
	c = strcmp(ia ?: "", ib ?: "");
	return c ? c : strcmp(k1s_json_str(pa, "targetRef.uid") ?: "",
			      k1s_json_str(pb, "targetRef.uid") ?: "");
}

static json_t *target_ref(const json_t *pod)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "kind", "Pod", "namespace",
			 k1s_json_str(pod, "metadata.namespace") ?: "", "name",
			 k1s_json_str(pod, "metadata.name") ?: "", "uid",
			 k1s_json_str(pod, "metadata.uid") ?: "");
}

/* A pod's DNS hostname under a service: spec.hostname when its subdomain
 * is the service. */
static const char *pod_hostname(const json_t *svc, const json_t *pod)
{
	const char *sub = k1s_json_str(pod, "spec.subdomain");
	const char *host = k1s_json_str(pod, "spec.hostname");

	if (host && *host && sub && strcmp(sub, k1s_json_str(svc, "metadata.name") ?: "") == 0)
		return host;
	return NULL;
}

/* Groups the selected pods by the ports they serve:
 * key -> {ports, addresses, notReady, endpoints}. New reference. */
static json_t *collect(const struct ctrl *c, const json_t *svc)
{
	const char *ns = k1s_json_str(svc, "metadata.namespace") ?: "";
	const json_t *sel = k1s_json_path(svc, "spec.selector");
	const json_t *pods = ctrl_ns(c, CTRL_POD, ns);
	bool publish = json_is_true(k1s_json_path(svc, "spec.publishNotReadyAddresses"));
	bool portless = json_array_size(k1s_json_path(svc, "spec.ports")) == 0;
	json_t *groups = json_object(), *pod;
	const char *pname;

	json_object_foreach((json_t *)pods, pname, pod) {
		const char *ip = k1s_json_str(pod, "status.podIP");
		const char *phase = k1s_json_str(pod, "status.phase");
		const char *node = k1s_json_str(pod, "spec.nodeName");
		const char *host = pod_hostname(svc, pod);
		bool terminating, serving;
		json_t *ports, *g, *e;
		char *key;

		if (!ip || !*ip || !ctrl_map_match(sel, k1s_json_path(pod, "metadata.labels")))
			continue;
		if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
			continue;
		terminating = k1s_json_path(pod, "metadata.deletionTimestamp") != NULL;
		serving = ctrl_pod_ready(pod, NULL);
		ports = pod_ports(svc, pod);
		if (!portless && json_array_size(ports) == 0) {
			json_decref(ports);
			continue;
		}
		key = json_dumps(ports, JSON_COMPACT | JSON_SORT_KEYS);
		g = json_object_get(groups, key ? key : "");
		if (!g) {
			g = json_pack("{s:O, s:[], s:[], s:[]}", "ports", ports, "addresses",
				      "notReady", "endpoints");
			json_object_set_new(groups, key ? key : "", g);
		}
		free(key);
		json_decref(ports);

		/* Endpoints leave terminating pods out unless told to publish
		 * every address. */
		if (!terminating || publish) {
			e = json_pack("{s:s}", "ip", ip);
			if (host)
				json_object_set_new(e, "hostname", json_string(host));
			if (node)
				json_object_set_new(e, "nodeName", json_string(node));
			json_object_set_new(e, "targetRef", target_ref(pod));
			json_array_append_new(json_object_get(g, publish || serving ? "addresses"
										 : "notReady"),
					      e);
		}
		e = json_pack("{s:[s], s:{s:b, s:b, s:b}}", "addresses", ip, "conditions", "ready",
			      publish || (serving && !terminating), "serving", serving,
			      "terminating", terminating);
		if (host)
			json_object_set_new(e, "hostname", json_string(host));
		if (node)
			json_object_set_new(e, "nodeName", json_string(node));
		json_object_set_new(e, "targetRef", target_ref(pod));
		json_array_append_new(json_object_get(g, "endpoints"), e);
	}
	return groups;
}

/* Sorted group keys, so that output does not depend on hash order. */
static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char **group_keys(const json_t *groups, size_t *n)
{
	const char **keys = calloc(json_object_size(groups) + 1, sizeof(*keys));
	const char *k;
	json_t *v;

	*n = 0;
	if (!keys)
		return NULL;
	json_object_foreach((json_t *)groups, k, v)
		keys[(*n)++] = k;
	qsort(keys, *n, sizeof(*keys), str_cmp);
	return keys;
}

/* ---- the memo: what we wrote, against admission's rewriting ---- */

/* The memo keeps, per object, "<resourceVersion> <hash>": the hash is of
 * what was wanted, as compact text with sorted keys. A tree per object
 * would cost a tenth of the Service's memory again, at 10,000 Services. */
static bool memo_text(const json_t *want, const char *rv, char *out, size_t len)
{
	char *text = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!text)
		return false;
	snprintf(out, len, "%s %016" PRIx64, rv, k1s_fnv(text, strlen(text)));
	free(text);
	return true;
}

/* True if `cur` is exactly what we stored when we last wanted `want`:
 * then nothing needs writing even if admission normalised the object so
 * that it no longer compares equal. */
static bool memo_same(struct ctrl *c, const char *key, const json_t *cur, const json_t *want)
{
	const char *m = json_string_value(json_object_get(c->memo, key));
	const char *rv = k1s_json_str(cur, "metadata.resourceVersion");
	char text[128];

	return m && rv && memo_text(want, rv, text, sizeof(text)) && strcmp(m, text) == 0;
}

static void memo_put(struct ctrl *c, const char *key, const json_t *stored, const json_t *want)
{
	char text[128];

	if (memo_text(want, k1s_json_str(stored, "metadata.resourceVersion") ?: "", text,
		      sizeof(text)))
		json_object_set_new(c->memo, key, json_string(text));
	else
		json_object_del(c->memo, key);
}

/* ---- Endpoints ---- */

static json_t *wanted_labels(const json_t *svc)
{
	json_t *l = json_deep_copy(k1s_json_path(svc, "metadata.labels"));
	const char *cip = k1s_json_str(svc, "spec.clusterIP");

	if (!json_is_object(l)) {
		json_decref(l);
		l = json_object();
	}
	if (cip && strcmp(cip, "None") == 0)
		json_object_set_new(l, LBL_HEADLESS, json_string(""));
	else
		json_object_del(l, LBL_HEADLESS);
	return l;
}

/* Endpoints ports have no name when the service port has none. */
static json_t *ep_ports(const json_t *ports)
{
	json_t *out = json_deep_copy(ports), *p;
	size_t i;

	json_array_foreach(out, i, p)
		if (!*(k1s_json_str(p, "name") ?: ""))
			json_object_del(p, "name");
	return out;
}

static void sync_endpoints(struct ctrl *c, const json_t *svc, const json_t *groups)
{
	const char *ns = k1s_json_str(svc, "metadata.namespace") ?: "";
	const char *name = k1s_json_str(svc, "metadata.name");
	const json_t *cur = ctrl_get(c, CTRL_EP, ns, name);
	json_t *subsets, *labels, *want, *obj;
	const char **keys;
	char mkey[600];
	size_t n;

	/* Known but not read: the store failed, or they went meanwhile and
	 * their event marks the Service again. Creating them would clash. */
	if (!cur && ctrl_known(c, CTRL_EP, ns, name)) {
		ctrl_mark_at(c, CTRL_Q_SVC, ns, name, c->now_ms + CTRL_RETRY_MS);
		return;
	}
	subsets = json_array();
	labels = wanted_labels(svc);
	keys = group_keys(groups, &n);
	for (size_t i = 0; keys && i < n; i++) {
		json_t *g = json_object_get(groups, keys[i]);
		json_t *ready = json_object_get(g, "addresses");
		json_t *nready = json_object_get(g, "notReady");
		json_t *ss;

		if (!json_array_size(ready) && !json_array_size(nready))
			continue;
		sort_array(ready, addr_cmp);
		sort_array(nready, addr_cmp);
		ss = json_object();
		if (json_array_size(ready))
			json_object_set(ss, "addresses", ready);
		if (json_array_size(nready))
			json_object_set(ss, "notReadyAddresses", nready);
		if (json_array_size(json_object_get(g, "ports")))
			json_object_set_new(ss, "ports", ep_ports(json_object_get(g, "ports")));
		json_array_append_new(subsets, ss);
	}
	free(keys);

	want = json_pack("{s:o, s:o}", "subsets", subsets, "labels", labels);
	snprintf(mkey, sizeof(mkey), "ep/%s/%s", ns, name);
	if (cur) {
		json_t *have_sub = json_object_get(cur, "subsets");
		json_t *have_lab = k1s_json_path(cur, "metadata.labels");

		if ((json_equal(have_sub, subsets) ||
		     (!json_array_size(have_sub) && !json_array_size(subsets))) &&
		    (json_equal(have_lab, labels) ||
		     (!json_object_size(have_lab) && !json_object_size(labels))))
			goto out;
		if (memo_same(c, mkey, cur, want))
			goto out;
		obj = json_deep_copy(cur);
	} else {
		obj = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind", "Endpoints",
				"metadata", "name", name, "namespace", ns);
	}
	if (json_array_size(subsets))
		json_object_set(obj, "subsets", subsets);
	else
		json_object_del(obj, "subsets");
	if (json_object_size(labels))
		json_object_set(json_object_get(obj, "metadata"), "labels", labels);
	else
		json_object_del(json_object_get(obj, "metadata"), "labels");
	/* cur is this sync's read, which the write replaces (ctrl.c):
	 * nothing reads it from here on. */
	if ((cur ? ctrl_update(c, CTRL_EP, obj, false) : ctrl_create(c, CTRL_EP, obj)) == 0)
		memo_put(c, mkey, obj, want);
	else
		ctrl_retry(c, CTRL_Q_SVC, ns, name);
	json_decref(obj);
out:
	json_decref(want);
}

/* ---- EndpointSlices ---- */

static bool ours(const json_t *slice, const char *svc)
{
	json_t *l = k1s_json_path(slice, "metadata.labels");
	const char *s = json_string_value(json_object_get(l, LBL_SVC_NAME));
	const char *m = json_string_value(json_object_get(l, LBL_MANAGED_BY));

	return s && m && strcmp(s, svc) == 0 && strcmp(m, EPS_MANAGED_BY) == 0;
}

/* The desired slices: [{endpoints, ports?}], at most 100 endpoints each,
 * and one empty slice when there is nothing, as kube keeps. */
static json_t *wanted_slices(const json_t *groups)
{
	json_t *out = json_array();
	const char **keys;
	size_t n;

	keys = group_keys(groups, &n);
	for (size_t i = 0; keys && i < n; i++) {
		json_t *g = json_object_get(groups, keys[i]);
		json_t *eps = json_object_get(g, "endpoints");
		json_t *ports = json_object_get(g, "ports");

		sort_array(eps, addr_cmp);
		for (size_t at = 0; at < json_array_size(eps); at += EPS_MAX_ENDPOINTS) {
			json_t *chunk = json_array(), *s;

			for (size_t j = at; j < at + EPS_MAX_ENDPOINTS && j < json_array_size(eps);
			     j++)
				json_array_append(chunk, json_array_get(eps, j));
			s = json_pack("{s:o}", "endpoints", chunk);
			if (json_array_size(ports))
				json_object_set(s, "ports", ports);
			json_array_append_new(out, s);
		}
	}
	free(keys);
	if (!json_array_size(out))
		json_array_append_new(out, json_pack("{s:[]}", "endpoints"));
	return out;
}

static bool slice_is(const json_t *slice, const json_t *want, const json_t *labels, bool full)
{
	json_t *eps = json_object_get(slice, "endpoints");
	json_t *ports = json_object_get(slice, "ports");
	json_t *wports = json_object_get(want, "ports");

	if (!(json_equal(ports, wports) || (!json_array_size(ports) && !json_array_size(wports))))
		return false;
	if (!full)
		return true;
	return (json_equal(eps, json_object_get(want, "endpoints")) ||
		(!json_array_size(eps) && !json_array_size(json_object_get(want, "endpoints")))) &&
	       json_equal(k1s_json_path(slice, "metadata.labels"), labels) &&
	       strcmp(k1s_json_str(slice, "addressType") ?: "", "IPv4") == 0;
}

static void write_slice(struct ctrl *c, const json_t *svc, const json_t *cur, const json_t *want,
			const json_t *labels)
{
	const char *ns = k1s_json_str(svc, "metadata.namespace") ?: "";
	const char *sname = k1s_json_str(svc, "metadata.name");
	json_t *obj, *meta, *full;
	char mkey[600], gen[300];
	int err;

	full = json_pack("{s:O, s:O}", "slice", want, "labels", labels);
	if (cur) {
		snprintf(mkey, sizeof(mkey), "eps/%s/%s", ns, k1s_json_str(cur, "metadata.name"));
		if (memo_same(c, mkey, cur, full)) {
			json_decref(full);
			return;
		}
		obj = json_deep_copy(cur);
	} else {
		snprintf(gen, sizeof(gen), "%s-", sname);
		obj = json_pack("{s:s, s:s, s:{s:s, s:s, s:[o]}}", "apiVersion",
				"discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata",
				"generateName", gen, "namespace", ns, "ownerReferences",
				ctrl_owner_ref(svc, "v1", "Service"));
	}
	meta = json_object_get(obj, "metadata");
	json_object_set(meta, "labels", (json_t *)labels);
	json_object_set_new(obj, "addressType", json_string("IPv4"));
	json_object_set(obj, "endpoints", json_object_get(want, "endpoints"));
	if (json_object_get(want, "ports"))
		json_object_set(obj, "ports", json_object_get(want, "ports"));
	else
		json_object_del(obj, "ports");
	err = cur ? ctrl_update(c, CTRL_EPS, obj, false) : ctrl_create(c, CTRL_EPS, obj);
	if (err == 0) {
		snprintf(mkey, sizeof(mkey), "eps/%s/%s", ns, k1s_json_str(obj, "metadata.name"));
		memo_put(c, mkey, obj, full);
	} else {
		ctrl_retry(c, CTRL_Q_SVC, ns, sname);
	}
	json_decref(obj);
	json_decref(full);
}

/* Deletes our slices of a service (all when keep is NULL). */
static void drop_slices(struct ctrl *c, const char *ns, const char *svc, const bool *keep,
			json_t *have)
{
	size_t i;
	json_t *s;

	json_array_foreach(have, i, s) {
		char mkey[600];

		if (keep && keep[i])
			continue;
		snprintf(mkey, sizeof(mkey), "eps/%s/%s", ns, k1s_json_str(s, "metadata.name"));
		json_object_del(c->memo, mkey);
		ctrl_remove(c, CTRL_EPS, ns, k1s_json_str(s, "metadata.name"),
			    k1s_json_str(s, "metadata.uid"), 0);
	}
}

static json_t *our_slices(const struct ctrl *c, const char *ns, const char *svc)
{
	const json_t *names = ctrl_slices_of(c, ns, svc), *v;
	json_t *have = json_array();
	const char *n;

	json_object_foreach((json_t *)names, n, v) {
		const json_t *s = ctrl_get(c, CTRL_EPS, ns, n);

		if (s && ours(s, svc) && !k1s_json_path(s, "metadata.deletionTimestamp"))
			json_array_append(have, (json_t *)s);
	}
	return have;
}

static void sync_slices(struct ctrl *c, const json_t *svc, const json_t *groups)
{
	const char *ns = k1s_json_str(svc, "metadata.namespace") ?: "";
	const char *name = k1s_json_str(svc, "metadata.name");
	json_t *want = wanted_slices(groups), *have = our_slices(c, ns, name);
	json_t *labels = wanted_labels(svc);
	size_t nw = json_array_size(want), nh = json_array_size(have);
	bool *used = calloc(nh + 1, sizeof(bool)), *done = calloc(nw + 1, sizeof(bool));
	ssize_t *match = calloc(nw + 1, sizeof(ssize_t));

	if (!used || !done || !match)
		goto out;
	json_object_set_new(labels, LBL_SVC_NAME, json_string(name));
	json_object_set_new(labels, LBL_MANAGED_BY, json_string(EPS_MANAGED_BY));
	for (size_t i = 0; i < nw; i++)
		match[i] = -1;
	/* Three rounds: unchanged slices stay as they are; then slices of the
	 * same ports are rewritten; then any slice left is reused. */
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < nw; i++) {
			if (match[i] >= 0)
				continue;
			for (size_t j = 0; j < nh; j++) {
				if (used[j])
					continue;
				if (round == 0 && !slice_is(json_array_get(have, j),
							    json_array_get(want, i), labels, true))
					continue;
				if (round == 1 && !slice_is(json_array_get(have, j),
							    json_array_get(want, i), labels, false))
					continue;
				used[j] = true;
				match[i] = (ssize_t)j;
				done[i] = round == 0;
				break;
			}
		}
	for (size_t i = 0; i < nw; i++) {
		if (done[i])
			continue;
		write_slice(c, svc, match[i] >= 0 ? json_array_get(have, (size_t)match[i]) : NULL,
			    json_array_get(want, i), labels);
	}
	drop_slices(c, ns, name, used, have);
out:
	free(used);
	free(done);
	free(match);
	json_decref(want);
	json_decref(have);
	json_decref(labels);
}

void ctrl_ep_sync(struct ctrl *c, const char *ns, const char *name)
{
	const json_t *svc = ctrl_get(c, CTRL_SVC, ns, name);
	const char *type;
	json_t *groups, *have;

	if (!svc && ctrl_known(c, CTRL_SVC, ns, name)) {
		/* Not read: as for its Endpoints (sync_endpoints). */
		ctrl_mark_at(c, CTRL_Q_SVC, ns, name, c->now_ms + CTRL_RETRY_MS);
		return;
	}
	if (!svc) {
		char mkey[600];

		/* The service is gone: so are its endpoints. The slices would
		 * go with their owner; do not leave it to chance. */
		if (ctrl_known(c, CTRL_EP, ns, name))
			ctrl_remove(c, CTRL_EP, ns, name, NULL, 0);
		snprintf(mkey, sizeof(mkey), "ep/%s/%s", ns, name);
		json_object_del(c->memo, mkey);
		have = our_slices(c, ns, name);
		drop_slices(c, ns, name, NULL, have);
		json_decref(have);
		return;
	}
	if (k1s_json_path(svc, "metadata.deletionTimestamp"))
		return;
	type = k1s_json_str(svc, "spec.type");
	if (json_object_size(k1s_json_path(svc, "spec.selector")) == 0 ||
	    (type && strcmp(type, "ExternalName") == 0)) {
		/* Not ours to fill: user Endpoints stay; slices we made when
		 * it had a selector go. */
		have = our_slices(c, ns, name);
		drop_slices(c, ns, name, NULL, have);
		json_decref(have);
		return;
	}
	groups = collect(c, svc);
	sync_endpoints(c, svc, groups);
	svc = ctrl_get(c, CTRL_SVC, ns, name);	/* unchanged: only endpoints were written */
	if (svc)
		sync_slices(c, svc, groups);
	json_decref(groups);
}
