/* Watch streams: one JSON event per line over chunked HTTP, replayed from
 * the store's event log after the client's resourceVersion, then streamed
 * as writes commit. A stream with nothing to send suspends its connection;
 * every commit resumes them all, and each reads the log from where it is. */
#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_crud_int.h"
#include "api_int.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_sel.h"
#include "st.h"

/* Events read from the log per refill; bounds the memory of one stream. */
#define WATCH_BATCH 256
/* How often suspended streams are checked for a client that went away:
 * libmicrohttpd does not look at a suspended connection's socket. */
#define WATCH_PROBE_S 15

struct api_watch {
	struct api *api;
	struct MHD_Connection *conn;
	const struct k1s_resource *r;
	struct api_watch *next, **pprev;
	char key[96], ns[256], name[256];
	struct k1s_lsel *lsel;
	struct k1s_fsel *fsel;
	int64_t rev;		/* the last revision read from the log */
	time_t deadline;	/* 0 = none */
	time_t probe;		/* when to look at the socket next */
	bool table, columns_sent, suspended, finished, gone;
	enum api_include include;
	struct api_outbuf out;
};

void api_outbuf_put(struct api_outbuf *o, const char *s, size_t n)
{
	if (o->off == o->len)
		o->off = o->len = 0;
	if (o->len + n > o->cap) {
		size_t cap = (o->len + n) * 2;
		char *b = realloc(o->buf, cap);

		if (!b)
			return;
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

size_t api_outbuf_take(struct api_outbuf *o, char *dst, size_t max)
{
	size_t n = o->len - o->off < max ? o->len - o->off : max;

	memcpy(dst, o->buf + o->off, n);
	o->off += n;
	return n;
}

static void emit(struct api_watch *w, const char *type, json_t *obj)
{
	json_t *ev;
	char *s;

	if (w->table && strcmp(type, "ERROR") != 0) {
		json_t *a = json_pack("[O]", obj);
		json_t *t = api_table(w->r, a, !w->columns_sent, w->include, time(NULL));

		json_object_set(json_object_get(t, "metadata"), "resourceVersion",
				k1s_json_path(obj, "metadata.resourceVersion"));
		json_decref(a);
		w->columns_sent = true;
		ev = json_pack("{s:s,s:o}", "type", type, "object", t);
	} else {
		ev = json_pack("{s:s,s:O}", "type", type, "object", obj);
	}
	s = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!s)
		return;
	api_outbuf_put(&w->out, s, strlen(s));
	api_outbuf_put(&w->out, "\n", 1);
	free(s);
}

static bool matches(const struct api_watch *w, const json_t *obj)
{
	if (*w->name && strcmp(k1s_json_str(obj, "metadata.name") ?: "", w->name) != 0)
		return false;
	if (w->lsel && !k1s_lsel_match(w->lsel, k1s_json_path(obj, "metadata.labels")))
		return false;
	if (w->fsel && !k1s_fsel_match(w->fsel, obj))
		return false;
	return true;
}

static int on_event(void *arg, const struct st_event *ev)
{
	static const char *const names[] = {"ADDED", "MODIFIED", "DELETED"};
	struct api_watch *w = arg;

	w->rev = ev->rev;
	if (matches(w, ev->obj))
		emit(w, names[ev->type], (json_t *)ev->obj);
	return 0;
}

static void gone(struct api_watch *w, int64_t from)
{
	char msg[128];
	json_t *s;

	snprintf(msg, sizeof(msg), "too old resource version: %lld (%lld)", (long long)from,
		 (long long)st_oldest(w->api->st));
	s = api_status(410, "Expired", msg, NULL);
	emit(w, "ERROR", s);
	json_decref(s);
	w->finished = true;
}

static void refill(struct api_watch *w)
{
	int64_t before = w->rev;
	int err;

	/* The log past the last commit is not durable yet: the group's
	 * commit resumes the stream (api_watch_notify), and it reads on. */
	if (st_group_writes(w->api->st))
		return;
	err = st_events(w->api->st, w->rev, w->key, *w->ns ? w->ns : NULL, WATCH_BATCH, on_event,
			w);
	if (err == K1S_EGONE) {
		gone(w, before);
		return;
	}
	/* Events of other resources advance nothing here; catch up to the
	 * store's revision once the log holds nothing more for us. */
	if (err == 0 && w->rev == before)
		w->rev = st_rev(w->api->st) > w->rev ? st_rev(w->api->st) : w->rev;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct api_watch *w = cls;

	if (w->gone)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (api_outbuf_empty(&w->out) && !w->finished) {
		if (w->deadline && time(NULL) >= w->deadline)
			w->finished = true;
		else
			refill(w);
	}
	if (!api_outbuf_empty(&w->out))
		return (ssize_t)api_outbuf_take(&w->out, buf, max);
	if (w->finished)
		return MHD_CONTENT_READER_END_OF_STREAM;
	MHD_suspend_connection(w->conn);
	w->suspended = true;
	w->probe = time(NULL) + WATCH_PROBE_S;
	return 0;
}

bool api_conn_gone(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd pfd = {.events = POLLRDHUP};

	if (!ci)
		return false;
	pfd.fd = ci->connect_fd;
	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

struct initial_ctx {
	struct api_watch *w;
};

static int initial_one(void *arg, const json_t *obj)
{
	struct api_watch *w = arg;

	if (matches(w, obj))
		emit(w, "ADDED", (json_t *)obj);
	return 0;
}

int api_watch_start(struct api_req *req, const struct api_path *p)
{
	struct api *api = req->api;
	struct api_watch *w = calloc(1, sizeof(*w));
	const char *ls = api_arg(req, "labelSelector"), *fs = api_arg(req, "fieldSelector");
	const char *rv = api_arg(req, "resourceVersion");
	const char *accept = api_header(req, "Accept"), *inc = api_arg(req, "includeObject");
	struct MHD_Response *resp;
	json_t *status;
	int64_t limit, timeout;
	char err[512];
	int ret;

	if (api_list_options(req, &limit, &timeout, &status) < 0) {
		free(w);
		return api_reply_status(req, status);
	}
	if (!w)
		return MHD_NO;
	w->api = api;
	w->conn = req->conn;
	w->r = p->res;
	api_res_key(w->key, sizeof(w->key), p->res);
	snprintf(w->ns, sizeof(w->ns), "%s", p->ns);
	snprintf(w->name, sizeof(w->name), "%s", p->name);
	if (ls && *ls && k1s_lsel_parse(ls, &w->lsel, err, sizeof(err)) < 0)
		goto bad;
	if (fs && *fs &&
	    k1s_fsel_parse(fs, api_field_labels(p->res), &w->fsel, err, sizeof(err)) < 0)
		goto bad;
	w->table = accept && strstr(accept, "as=Table");
	w->include = inc && strcmp(inc, "Object") == 0	 ? API_INCLUDE_OBJECT
		     : inc && strcmp(inc, "None") == 0 ? API_INCLUDE_NONE
							 : API_INCLUDE_METADATA;
	if (timeout > 0)
		w->deadline = time(NULL) + timeout;

	if (!rv || !*rv || strcmp(rv, "0") == 0) {
		/* No revision: the current state as ADDED events first. */
		st_list(api->st, w->key, *w->ns ? w->ns : NULL, NULL, NULL, 0, initial_one, w,
			&w->rev);
	} else {
		char *end;

		w->rev = strtoll(rv, &end, 10);
		if (*end || w->rev < 0) {
			snprintf(err, sizeof(err), "invalid resource version \"%s\"", rv);
			goto bad;
		}
		if (w->rev < st_oldest(api->st) - 1)
			gone(w, w->rev);
	}

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, reader, w, NULL);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	ret = api_queue(req, 200, resp);
	req->watch = w;
	w->next = api->watches;
	if (w->next)
		w->next->pprev = &w->next;
	w->pprev = &api->watches;
	api->watches = w;
	k1s_debug("api", "watch %s from %lld", w->key, (long long)w->rev);
	return ret;
bad:
	k1s_lsel_free(w->lsel);
	k1s_fsel_free(w->fsel);
	free(w->out.buf);
	free(w);
	return api_reply_status(req, api_status(400, "BadRequest", err, NULL));
}

void api_watch_notify(struct api *api)
{
	for (struct api_watch *w = api->watches; w; w = w->next) {
		if (w->suspended) {
			w->suspended = false;
			MHD_resume_connection(w->conn);
		}
	}
}

int api_watch_next_deadline_ms(struct api *api)
{
	time_t now = time(NULL), best = 0;

	for (struct api_watch *w = api->watches; w; w = w->next) {
		if (w->deadline && (!best || w->deadline < best))
			best = w->deadline;
		if (w->suspended && (!best || w->probe < best))
			best = w->probe;
	}
	if (!best)
		return -1;
	return best <= now ? 0 : (int)(best - now) * 1000;
}

void api_watch_tick(struct api *api)
{
	time_t now = time(NULL);

	for (struct api_watch *w = api->watches; w; w = w->next) {
		if (w->suspended && now >= w->probe) {
			w->probe = now + WATCH_PROBE_S;
			w->gone = api_conn_gone(w->conn);
		}
		/* Resumed, the reader ends the stream: at its deadline, or at
		 * once for a client that went away, which frees it. */
		if (w->suspended && (w->gone || (w->deadline && now >= w->deadline))) {
			w->suspended = false;
			MHD_resume_connection(w->conn);
		}
	}
}

void api_watch_end(struct api_watch *w)
{
	if (!w)
		return;
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	k1s_lsel_free(w->lsel);
	k1s_fsel_free(w->fsel);
	free(w->out.buf);
	free(w);
}

void api_watch_close_all(struct api *api)
{
	for (struct api_watch *w = api->watches; w; w = w->next) {
		w->finished = true;
		if (w->suspended) {
			w->suspended = false;
			MHD_resume_connection(w->conn);
		}
	}
}
