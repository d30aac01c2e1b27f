/* /k1s/flows: the modules' flow rings (k1s_flow.h, handed over with
 * api_add_flows) as a list and as a watch, in Kubernetes' conventions
 * (the contract in the flow API notes): a FlowList whose resourceVersion
 * is the last record's sequence number, and a watch stream of
 * {"type":"ADDED","object":FLOW} lines after a resourceVersion, ended by
 * a 410 Expired ERROR line when a ring dropped records after it, as
 * kube-apiserver's watch cache answers a revision it no longer holds
 * (k8s.io/apiserver/pkg/storage/cacher, "too old resource version";
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
 *
 * The API names the pods behind addresses from its own copy of the
 * pods' IPs, following the store: the modules put bare addresses.
 *
 * Watches share api_watch.c's plumbing: a libmicrohttpd stream from a
 * content reader, suspended when there is nothing to send. The rings have
 * no way to wake the control loop (putting must stay free of system
 * calls), so waiting watches look at the rings every API_FLOWS_POLL_MS. */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "k1s_addr.h"
#include "k1s_flow.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "st.h"

/* How long a gap in the sequence (a record still being put on another
 * thread, or one of a ring the API does not serve) holds back what
 * follows it. */
#define FLOW_GAP_MS 300
/* As api_watch.c: how often a suspended stream's socket is looked at. */
#define FLOW_PROBE_S 15
/* A BOOKMARK at most this often, when asked for and nothing else went. */
#define FLOW_BOOKMARK_S 10

struct api_flows {
	struct k1s_flow_ring *rings[API_FLOWS_RINGS];
	int nrings;
	struct k1s_flow *buf;		/* room for every ring's slots */
	char text[API_FLOW_JSON_MAX];	/* one record as JSON */
	size_t cap;
	/* The pods' addresses: "ip" -> "ns/name", and back. */
	struct st_follower follow;
	json_t *by_ip, *by_key;
	struct api_flow_watch *watches;
	int nwatches;
	uint64_t tick_seq;		/* k1s_flow_last_seq() at tick_ms */
	int64_t tick_ms;
	bool busy;			/* many records a second: look sooner */
};

struct api_flow_watch {
	struct api *api;
	struct MHD_Connection *conn;
	struct api_flow_watch *next, **pprev;
	struct api_flows_q q;
	uint64_t seq;			/* the last record sent or passed over */
	int64_t gap_since;		/* ms; 0: no gap waited on */
	time_t deadline, probe, bookmark;
	bool initial;			/* the records held, sent whatever their gaps */
	bool suspended, finished, gone;
	struct api_outbuf out;
};

/* ---- the pods' addresses ---- */

static void pods_reset(void *arg)
{
	struct api_flows *f = arg;

	json_object_clear(f->by_ip);
	json_object_clear(f->by_key);
}

static void pods_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	struct api_flows *f = arg;
	const char *ns = k1s_json_str(obj, "metadata.namespace"),
		   *name = k1s_json_str(obj, "metadata.name"),
		   *ip = k1s_json_str(obj, "status.podIP");
	const char *was;
	char key[320];

	(void)res;
	if (!ns || !name)
		return;
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	was = json_string_value(json_object_get(f->by_key, key));
	if (was) {
		const char *owner = json_string_value(json_object_get(f->by_ip, was));

		if (owner && strcmp(owner, key) == 0)
			json_object_del(f->by_ip, was);
		json_object_del(f->by_key, key);
	}
	/* A pod on the host's network shares the node's address: it names
	 * no flow. */
	if (deleted || !ip || !*ip || json_is_true(k1s_json_path(obj, "spec.hostNetwork")))
		return;
	json_object_set_new(f->by_key, key, json_string(ip));
	json_object_set_new(f->by_ip, ip, json_string(key));
}

static const char *const pods_res[] = {"pods", NULL};
static const struct st_follow_ops pods_ops = {pods_reset, pods_object, NULL};

static struct api_flows *flows_get(struct api *api)
{
	struct api_flows *f = api->flows;

	if (f)
		return f;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->by_ip = json_object();
	f->by_key = json_object();
	if (!f->by_ip || !f->by_key) {
		json_decref(f->by_ip);
		json_decref(f->by_key);
		free(f);
		return NULL;
	}
	st_follow_init(&f->follow, api->st, "api", pods_res, &pods_ops, f);
	api->flows = f;
	return f;
}

int api_add_flows(struct api *api, struct k1s_flow_ring *ring)
{
	struct api_flows *f;
	struct k1s_flow *b;

	if (!ring)
		return 0;
	if (!(f = flows_get(api)))
		return -ENOMEM;
	if (f->nrings == API_FLOWS_RINGS)
		return -ENOSPC;
	b = realloc(f->buf, (f->cap + k1s_flow_ring_slots(ring)) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	f->buf = b;
	f->cap += k1s_flow_ring_slots(ring);
	f->rings[f->nrings++] = ring;
	return 0;
}

void api_flows_free(struct api *api)
{
	struct api_flows *f = api->flows;

	if (!f)
		return;
	json_decref(f->by_ip);
	json_decref(f->by_key);
	free(f->buf);
	free(f);
	api->flows = NULL;
}

/* The pod at ip ("ns/name"), or NULL. */
static const char *pod_at(struct api_flows *f, uint32_t ip)
{
	return api_flow_pod(f->by_ip, ip);
}

/* ---- reading the rings ---- */

/* Whether "ns/name" is in namespace ns / has name pod. */
static bool key_ns(const char *key, const char *ns)
{
	size_t n = strlen(ns);

	return key && strncmp(key, ns, n) == 0 && key[n] == '/';
}

static bool key_name(const char *key, const char *pod)
{
	const char *slash = key ? strchr(key, '/') : NULL;

	return slash && strcmp(slash + 1, pod) == 0;
}

static bool matches(struct api_flows *fl, const struct api_flows_q *q, const struct k1s_flow *f)
{
	if (q->verdict >= 0 && f->denied != (q->verdict == 1))
		return false;
	if (*q->ns || *q->pod) {
		const char *src = pod_at(fl, f->src), *dst = pod_at(fl, f->dst),
			   *ep = pod_at(fl, f->ep);

		if (*q->ns && !key_ns(src, q->ns) && !key_ns(dst, q->ns) && !key_ns(ep, q->ns) &&
		    !key_ns(f->service, q->ns))
			return false;
		if (*q->pod && !key_name(src, q->pod) && !key_name(dst, q->pod) &&
		    !key_name(ep, q->pod))
			return false;
	}
	return true;
}

/* The module of the record at buf[i], from the ring it was read from. */
struct span {
	size_t from, to;
	const char *module;
};

static const char *module_of(const struct span *sp, int n, size_t i)
{
	for (int k = 0; k < n; k++)
		if (i >= sp[k].from && i < sp[k].to)
			return sp[k].module;
	return "";
}

struct rec_ref {
	uint64_t seq;
	uint32_t i;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct rec_ref *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reads every served ring's records after `after` into fl->buf, ordered
 * by sequence in *refs (the caller frees): how many, or -ENOMEM. */
static ssize_t read_all(struct api_flows *fl, const struct api_flows_q *q, uint64_t after,
			struct span *sp, struct rec_ref **refs)
{
	size_t n = 0;
	struct rec_ref *r;

	if (st_follow_behind(&fl->follow))
		st_follow(&fl->follow);
	for (int k = 0; k < fl->nrings; k++) {
		const char *m = k1s_flow_ring_module(fl->rings[k]);

		sp[k] = (struct span){n, n, m};
		if (*q->module && strcmp(q->module, m) != 0)
			continue;
		n += k1s_flow_read(fl->rings[k], after, fl->buf + n);
		sp[k].to = n;
	}
	r = malloc((n ? n : 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		r[i] = (struct rec_ref){fl->buf[i].seq, (uint32_t)i};
	qsort(r, n, sizeof(*r), ref_cmp);
	*refs = r;
	return (ssize_t)n;
}

/* The newest sequence number a ring the query reads dropped (0: none). */
static uint64_t evicted(struct api_flows *fl, const struct api_flows_q *q)
{
	uint64_t ev = 0;

	for (int k = 0; k < fl->nrings; k++)
		if ((!*q->module || strcmp(q->module, k1s_flow_ring_module(fl->rings[k])) == 0) &&
		    k1s_flow_evicted(fl->rings[k]) > ev)
			ev = k1s_flow_evicted(fl->rings[k]);
	return ev;
}

/* ---- the list ---- */

static int list(struct api_req *req, struct api_flows *fl, const struct api_flows_q *q)
{
	struct span sp[API_FLOWS_RINGS];
	struct rec_ref *refs;
	uint64_t last = k1s_flow_last_seq();
	ssize_t n = read_all(fl, q, 0, sp, &refs);
	json_t *items = json_array(), *out;
	char rv[24];
	size_t first = 0, kept = 0;

	if (n < 0 || !items) {
		json_decref(items);
		return api_reply_status(req, api_status(500, "InternalError", "out of memory",
							NULL));
	}
	/* The newest `limit` that match, oldest first. */
	if (q->limit > 0) {
		for (first = (size_t)n; first > 0 && kept < (uint64_t)q->limit; first--)
			if (matches(fl, q, &fl->buf[refs[first - 1].i]))
				kept++;
	}
	for (size_t i = first; i < (size_t)n; i++) {
		const struct k1s_flow *f = &fl->buf[refs[i].i];
		size_t len;

		if (!matches(fl, q, f))
			continue;
		len = api_flow_json(f, module_of(sp, fl->nrings, refs[i].i), fl->by_ip, fl->text,
				    sizeof(fl->text));
		json_array_append_new(items, json_loadb(fl->text, len, 0, NULL));
	}
	free(refs);
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)last);
	out = json_pack("{s:s,s:s,s:{s:s},s:o}", "kind", "FlowList", "apiVersion", "k1s.io/v1",
			"metadata", "resourceVersion", rv, "items", items);
	return api_reply_json(req, 200, out);
}

/* ---- the watch ---- */

static void emit(struct api_flow_watch *w, const char *type, json_t *obj)
{
	json_t *ev = json_pack("{s:s,s:o}", "type", type, "object", obj);
	char *s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

	json_decref(ev);
	if (!s)
		return;
	api_outbuf_put(&w->out, s, strlen(s));
	api_outbuf_put(&w->out, "\n", 1);
	free(s);
}

static void expired(struct api_flow_watch *w, uint64_t from, uint64_t ev)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "too old resource version: %llu (%llu)",
		 (unsigned long long)from, (unsigned long long)(ev + 1));
	emit(w, "ERROR", api_status(410, "Expired", msg, NULL));
	w->finished = true;
}

static void bookmark(struct api_flow_watch *w)
{
	char rv[24];

	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)w->seq);
	emit(w, "BOOKMARK", json_pack("{s:s,s:s,s:{s:s}}", "kind", "Flow", "apiVersion",
				      "k1s.io/v1", "metadata", "resourceVersion", rv));
}

/* Sends what the rings hold after w->seq. Records come in sequence; a
 * missing number (being put now, on another thread) holds back the
 * records after it for FLOW_GAP_MS, then is passed over. */
static void refill(struct api_flow_watch *w)
{
	struct api_flows *fl = w->api->flows;
	struct span sp[API_FLOWS_RINGS];
	struct rec_ref *refs;
	uint64_t ev = evicted(fl, &w->q), last = k1s_flow_last_seq();
	int64_t now = k1s_now_ms();
	ssize_t n;

	if (ev > w->seq && !w->initial) {
		expired(w, w->seq, ev);
		return;
	}
	n = read_all(fl, &w->q, w->seq, sp, &refs);
	if (n < 0)
		return;
	for (ssize_t i = 0; i < n; i++) {
		const struct k1s_flow *f = &fl->buf[refs[i].i];

		/* A filter by module reads only its ring: its numbers have
		 * gaps of the others' records, which are not waited for. */
		if (!*w->q.module && !w->initial && f->seq != w->seq + 1) {
			if (!w->gap_since)
				w->gap_since = now;
			if (now - w->gap_since < FLOW_GAP_MS)
				break;
		}
		w->gap_since = 0;
		w->seq = f->seq;
		if (matches(fl, &w->q, f)) {
			static const char added[] = "{\"type\":\"ADDED\",\"object\":";
			size_t len = api_flow_json(f, module_of(sp, fl->nrings, refs[i].i),
						   fl->by_ip, fl->text, sizeof(fl->text));

			api_outbuf_put(&w->out, added, sizeof(added) - 1);
			api_outbuf_put(&w->out, fl->text, len);
			api_outbuf_put(&w->out, "}\n", 2);
		}
	}
	/* What the rings held is sent: the next records are after it, even
	 * when the rings held none (their numbers are shared with others). */
	if (w->initial && w->seq < last)
		w->seq = last;
	w->initial = false;
	free(refs);
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct api_flow_watch *w = cls;
	time_t now = time(NULL);

	(void)pos;
	if (w->gone)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (api_outbuf_empty(&w->out) && !w->finished) {
		if (now >= w->deadline)
			w->finished = true;
		else
			refill(w);
		if (api_outbuf_empty(&w->out) && !w->finished && w->q.bookmarks && now >= w->bookmark)
			bookmark(w);
		if (!api_outbuf_empty(&w->out))
			w->bookmark = now + FLOW_BOOKMARK_S;
	}
	if (!api_outbuf_empty(&w->out))
		return (ssize_t)api_outbuf_take(&w->out, buf, max);
	if (w->finished)
		return MHD_CONTENT_READER_END_OF_STREAM;
	MHD_suspend_connection(w->conn);
	w->suspended = true;
	if (!w->probe)
		w->probe = now + FLOW_PROBE_S;
	return 0;
}

static int watch(struct api_req *req, struct api_flows *fl, const struct api_flows_q *q)
{
	struct api_flow_watch *w;
	struct MHD_Response *resp;
	uint64_t ev = evicted(fl, q);
	int ret;

	if (fl->nwatches >= API_FLOWS_WATCHES) {
		char msg[128];

		snprintf(msg, sizeof(msg), "too many flow watches: the limit is %d",
			 API_FLOWS_WATCHES);
		return api_reply_status(req, api_status(429, "TooManyRequests", msg, NULL));
	}
	if (!(w = calloc(1, sizeof(*w))))
		return api_reply_status(req, api_status(500, "InternalError", "out of memory",
							NULL));
	w->api = req->api;
	w->conn = req->conn;
	w->q = *q;
	w->deadline = time(NULL) + q->timeout_s;
	w->bookmark = time(NULL) + FLOW_BOOKMARK_S;
	if (q->rv > 0) {
		w->seq = q->rv;
		if (ev > q->rv)
			expired(w, q->rv, ev);
	} else {
		/* No version: the records held now, then the new ones. */
		w->initial = true;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, reader, w, NULL);
	if (!resp) {
		free(w->out.buf);
		free(w);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	/* Not api_queue(): a flow watch reads the rings, not the store, so a
	 * group's uncommitted writes are nothing it could show. */
	ret = MHD_queue_response(req->conn, 200, resp);
	MHD_destroy_response(resp);
	req->flow_watch = w;
	w->next = fl->watches;
	if (w->next)
		w->next->pprev = &w->next;
	w->pprev = &fl->watches;
	fl->watches = w;
	fl->nwatches++;
	k1s_debug("api", "flow watch from %llu", (unsigned long long)w->seq);
	return ret;
}

int api_flows_handle(struct api_req *req, const char *url)
{
	struct api_flows *fl;
	struct api_flows_q q;
	char *query, msg[512];
	int err;

	if (strcmp(url, "/k1s/flows") != 0)
		return 0;
	if (!api_read_only(req))
		return 1;
	fl = flows_get(req->api);
	query = malloc(API_VIEW_QUERY_MAX + 1);
	if (!fl || !query) {
		free(query);
		api_reply_status(req, api_status(500, "InternalError", "out of memory", NULL));
		return 1;
	}
	if ((err = api_req_query(req, query)) < 0) {
		snprintf(msg, sizeof(msg), "the query is too long: the limit is %d bytes",
			 API_VIEW_QUERY_MAX);
		free(query);
		api_reply_status(req, api_status(err == -E2BIG ? 400 : 500,
						 err == -E2BIG ? "BadRequest" : "InternalError",
						 err == -E2BIG ? msg : "out of memory", NULL));
		return 1;
	}
	err = api_flows_parse(query, &q, msg, sizeof(msg));
	free(query);
	if (err < 0)
		api_reply_status(req, api_status(400, "BadRequest", msg, NULL));
	else if (q.watch)
		watch(req, fl, &q);
	else
		list(req, fl, &q);
	return 1;
}

/* ---- the waiting watches ---- */

int api_flows_next_ms(struct api *api)
{
	struct api_flows *fl = api->flows;

	if (!fl)
		return -1;
	for (struct api_flow_watch *w = fl->watches; w; w = w->next)
		if (w->suspended)
			return fl->busy ? API_FLOWS_BUSY_POLL_MS : API_FLOWS_POLL_MS;
	return -1;
}

void api_flows_tick(struct api *api)
{
	struct api_flows *fl = api->flows;
	uint64_t last = k1s_flow_last_seq();
	time_t now = time(NULL);

	if (!fl)
		return;
	/* A ring holds a second of a busy dataplane's connections or less:
	 * at more than API_FLOWS_BUSY flows a second, watches look ten times
	 * as often, so as not to fall behind the rings (and get a 410). */
	if (k1s_now_ms() - fl->tick_ms >= API_FLOWS_BUSY_POLL_MS) {
		fl->busy = (last - fl->tick_seq) * 1000 >
			   (uint64_t)API_FLOWS_BUSY * (uint64_t)(k1s_now_ms() - fl->tick_ms);
		fl->tick_seq = last;
		fl->tick_ms = k1s_now_ms();
	}
	for (struct api_flow_watch *w = fl->watches; w; w = w->next) {
		if (!w->suspended)
			continue;
		if (now >= w->probe) {
			w->probe = now + FLOW_PROBE_S;
			w->gone = api_conn_gone(w->conn);
		}
		if (w->gone || now >= w->deadline || last > w->seq ||
		    (w->q.bookmarks && now >= w->bookmark)) {
			w->suspended = false;
			MHD_resume_connection(w->conn);
		}
	}
}

void api_flows_watch_end(struct api_flow_watch *w)
{
	if (!w)
		return;
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	w->api->flows->nwatches--;
	free(w->out.buf);
	free(w);
}

int api_flows_watching(const struct api *api)
{
	return api->flows ? api->flows->nwatches : 0;
}

void api_flows_close_all(struct api *api)
{
	if (!api->flows)
		return;
	for (struct api_flow_watch *w = api->flows->watches; w; w = w->next) {
		w->finished = true;
		if (w->suspended) {
			w->suspended = false;
			MHD_resume_connection(w->conn);
		}
	}
}
