/* Declarations shared inside apiserver/. Nothing outside apiserver/
 * includes this file. */
#ifndef API_INT_H
#define API_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include <microhttpd.h>

#include "api.h"
#include "k1s_types.h"

struct st;
struct k1s_loop;
struct pod_rt;
struct k1s_writer;

/* ---- api_status.c: metav1.Status bodies ---- */

/* A Status with `code`, `reason` and `message`; details may be NULL and
 * is stolen. */
json_t *api_status(int code, const char *reason, const char *message, json_t *details);
/* 404 NotFound / 409 AlreadyExists / 409 Conflict for one object, with
 * kube-apiserver's wording: `services "web" not found`,
 * `deployments.apps "api" already exists`. */
json_t *api_status_notfound(const struct k1s_resource *r, const char *name);
json_t *api_status_exists(const struct k1s_resource *r, const char *name);
json_t *api_status_conflict(const struct k1s_resource *r, const char *name);
/* 422 Invalid: `causes` is an array of {"reason","message","field"}
 * (stolen); the message joins them as kube-apiserver does:
 * `Service "web" is invalid: spec.ports[0].port: Invalid value: 0: must be ...`. */
json_t *api_status_invalid(const struct k1s_resource *r, const char *name, json_t *causes);
/* One cause for api_status_invalid(), in kube-apiserver's words:
 * reason "FieldValueInvalid" gives message `Invalid value: <json value>: <detail>`,
 * "FieldValueRequired" gives `Required value`, "FieldValueNotSupported"
 * gives `Unsupported value: <v>: supported values: ...` (detail), "FieldValueDuplicate"
 * gives `Duplicate value: <v>`, "FieldValueForbidden" gives `Forbidden: <detail>`.
 * `value` may be NULL; it is not stolen. Appends to `causes`. */
void api_cause(json_t *causes, const char *reason, const char *field, const json_t *value,
	       const char *detail);

/* ---- api_table.c: server-side tables (kubectl get) ---- */

enum api_include { API_INCLUDE_METADATA, API_INCLUDE_OBJECT, API_INCLUDE_NONE };

/* A meta.k8s.io/v1 Table of `objs` (an array of objects of resource r),
 * with kube-apiserver's columns for that resource, wide ones included.
 * Ages are computed against `now`. With `with_columns` false the
 * columnDefinitions are omitted (watch events after the first).
 * metadata.resourceVersion is left for the caller. New reference. */
json_t *api_table(const struct k1s_resource *r, const json_t *objs, bool with_columns,
		  enum api_include include, time_t now);
/* kube-apiserver's HumanDuration of now - t, e.g. "5m", "3h2m", "<invalid>". */
void api_age(char *buf, size_t len, time_t t, time_t now);

/* ---- api_openapi.c: OpenAPI v3 from the type tables ---- */

/* The /openapi/v3 index. New reference. */
json_t *api_openapi_index(void);
/* The document for a group-version path, "api/v1" or "apis/apps/v1";
 * NULL when not served. New reference. */
json_t *api_openapi_doc(const char *gv_path);

/* ---- api_proto.c: Kubernetes protobuf request bodies ---- */

/* Decodes a body of Content-Type application/vnd.kubernetes.protobuf
 * ("k8s\0" magic, runtime.Unknown envelope, then the kind's message) into
 * the JSON object kube-apiserver would have decoded, with apiVersion and
 * kind set. 0 and *out (caller owns), or -EINVAL / -ENOTSUP with a message
 * in err. */
int api_proto_decode(const void *buf, size_t len, json_t **out, char *err, size_t errlen);

/* ---- api_admit.c: defaulting, validation and allocation ---- */

struct api_admit;

struct api_admit *api_admit_new(struct st *st, const struct api_config *cfg);
void api_admit_free(struct api_admit *adm);
/* Fills kube-apiserver's defaults into a new object (metadata excepted:
 * the caller sets uid, timestamps, generation), allocates cluster IPs and
 * node ports, and validates. 0, or a negative errno and *status (a Status
 * to return: 422 Invalid with causes, for example). Nothing is reserved
 * until api_admit_commit(). */
int api_admit_create(struct api_admit *adm, const struct k1s_resource *r, json_t *obj,
		     json_t **status);
/* The same for a replacement of `old` by `obj`: carries allocated values
 * over when omitted, frees and allocates on type changes, rejects changes
 * to immutable fields. */
int api_admit_update(struct api_admit *adm, const struct k1s_resource *r, const json_t *old,
		     json_t *obj, json_t **status);
/* Records a committed write: `old` NULL for a create, `obj` NULL for a
 * delete. Allocations follow the store. */
void api_admit_commit(struct api_admit *adm, const struct k1s_resource *r, const json_t *old,
		      const json_t *obj);

#endif

/* ---- the server's state, shared by the api_*.c files ---- */

#define API_MAX_CHECKS 16
#define API_MAX_VIEWS 16
#define API_MAX_METRICS 16

struct MHD_Daemon;
struct MHD_Connection;
struct api_watch;
struct api_log;
struct api_sess;
struct k1s_loop;
struct pod_rt;

struct api {
	struct st *st;
	struct api_config cfg;
	struct MHD_Daemon *mhd;
	struct api_secure *secure;	/* the HTTPS port, api_secure.c; NULL when none */
	int epfd;			/* both daemons' epoll fds: api_fd() */
	struct api_admit *adm;
	struct api_watch *watches;	/* every open watch stream */
	struct k1s_loop *loop;		/* the control loop, for log follow and sessions */
	struct pod_rt *rt;		/* the pod runtime; NULL when pods cannot run */
	struct k1s_writer *writer;	/* api_writer() */
	json_t *foreground;		/* owners waiting for their dependents to go */
	json_t *terminating;		/* namespace name -> when its contents go (ms) */
	struct api_log *logs;		/* open pods/log streams */
	struct api_sess *sessions;	/* open exec, attach and port-forward sessions */
	char node_name[256];
	char node_ip[64];
	char listen_addr[64];
	int listen_fd;			/* bound by api_new(), listening from api_listen() */
	struct api_check {
		char name[64];
		api_check_fn fn;
		void *arg;
	} checks[API_MAX_CHECKS];	/* the modules' checks, api_add_check() */
	int nchecks;
	struct api_view {
		char path[64];
		api_view_fn fn;
		void *arg;
	} views[API_MAX_VIEWS];		/* the modules' views, api_add_view() */
	int nviews;
	struct api_metrics {
		api_metrics_fn fn;
		void *arg;
	} metrics[API_MAX_METRICS];	/* the modules' sources, api_add_metrics() */
	int nmetrics;
	double start_time;		/* of the process, read once for /metrics */
	struct api_flows *flows;	/* /k1s/flows, api_flows.c; NULL: no ring yet */
	bool shutting_down;		/* api_shutdown_begin() */
	/* Group commit (api_http.c): the responses held until the writes
	 * of the pass are durable, and when the group began. */
	struct api_req *held;
	unsigned nheld;
	int64_t group_t0_us;
	char check_why[256];		/* the reason of the last failed built-in check */
};

/* A request as it is being received and answered. */
struct api_req {
	struct api *api;
	struct MHD_Connection *conn;
	const char *method;
	char *url;
	char *body;
	size_t body_len, body_cap;
	bool body_too_large;
	bool unauthorized;		/* answered 401 at once; nothing more is done */
	struct api_watch *watch;	/* set when the answer is a watch stream */
	struct api_flow_watch *flow_watch;	/* or a watch of /k1s/flows */
	char warning[512];		/* a Warning header for the reply */
	/* A response held until the group's commit (api_queue), then queued
	 * when libmicrohttpd calls the handler again after the resume. */
	struct MHD_Response *held;
	unsigned held_code;
	struct api_req *held_next;	/* in api->held, until the commit */
};

/* ---- api_metrics.c: GET /metrics ---- */

/* 1 when url is /metrics (and it is answered), else 0. */
int api_metrics_handle(struct api_req *req, const char *url);

/* ---- api_secure.c: the HTTPS port ---- */

/* Reads (or makes) the token and binds the port, when cfg.secure_port is
 * set: 0 or a negative errno. */
int api_secure_new(struct api *api);
/* Issues the certificate, writes ca.crt and k1s.conf, and serves. */
int api_secure_listen(struct api *api);
/* I/O of the HTTPS daemons, and every 10 s, a new certificate when the
 * box's addresses changed. */
void api_secure_run(struct api *api);
int api_secure_timeout_ms(struct api *api);
void api_secure_free(struct api *api);
/* Whether a connection came over TLS, and may have what url names:
 * a valid bearer token, or a public path (health, version). */
bool api_secure_conn(struct MHD_Connection *conn);
bool api_secure_allowed(struct api *api, struct MHD_Connection *conn, const char *method,
			const char *url);
/* Whether s is the HTTPS port's token, compared in constant time. */
bool api_secure_token_ok(struct api *api, const char *s);
/* The live page's cookie value (a random secret of this run, never the
 * token), NULL when there is no HTTPS port. */
const char *api_secure_ui_cookie(struct api *api);
/* GET /k1s/kubeconfig: 1 when it was that path (and is answered). */
int api_secure_handle(struct api_req *req, const char *url);
/* The kubeconfig for the HTTPS port (k1s_pki_free()), NULL when none. */
char *api_kubeconfig(struct api *api);

/* ---- api_ui.c: the live page, ui/ ---- */

/* One of ui/'s files, as ui/embed.py writes them into api_ui_files.c;
 * the table ends with a NULL name. */
struct api_ui_file {
	const char *uf_name;		/* "app.js"; index.html answers /ui/ */
	const char *uf_type;		/* its Content-Type */
	const char *uf_etag;		/* a quoted hash of its bytes */
	const unsigned char *uf_data;
	size_t uf_len;
};
extern const struct api_ui_file api_ui_files[];

/* The login POST's largest body: a form with one token. */
#define API_UI_LOGIN_MAX_BODY 1024u
/* The name of the cookie the login sets on the HTTPS port. */
#define API_UI_COOKIE "k1s-ui"

/* /ui, /ui/ and the files under it, and POST /ui/login: 1 when url is
 * the page's (and is answered), 0 when not. */
int api_ui_handle(struct api_req *req, const char *url);
/* The 401 of the HTTPS port for the page's paths: the login form rather
 * than a Status, so that a browser shows where the token goes. 1 when
 * url is the page's (and is answered), 0 when not. */
int api_ui_unauthorized(struct api_req *req, const char *url);
/* The value of `key` in an application/x-www-form-urlencoded body of
 * len bytes, percent- and '+'-decoded into out (NUL-terminated): its
 * length, -ENOENT when absent, -EINVAL when malformed (a bad escape, a
 * NUL), -ENOSPC when longer than outlen - 1. */
int api_ui_form_value(const char *body, size_t len, const char *key, char *out,
		      size_t outlen);

/* libmicrohttpd's callbacks, for both daemons. */
enum MHD_Result api_on_request(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **req_cls);
void api_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode toe);

/* A parsed REST path: /api/v1/namespaces/NS/RES/NAME/SUB. */
struct api_path {
	const struct k1s_resource *res;
	char group[64], version[16];
	char ns[256];		/* "" when not in the path */
	char name[256];		/* "" for a collection */
	char sub[32];		/* subresource, "" if none */
};

/* ---- api_http.c: answering ---- */

/* Splits "/api/v1/..." or "/apis/G/V/..." into a resource path: 1 if it
 * is one, 0 if not, -1 for a resource path that names nothing served. */
int api_path_parse(const char *url, struct api_path *p);

/* Every response goes out through here: queued at once, or, once a write
 * of the pass has touched the store (group commit, api_serve), held with
 * its connection suspended until the group's commit, and then sent, or
 * replaced by a 500 if the commit failed, since the answer may rest on
 * writes that are then gone. Takes `resp` (destroys it). */
int api_queue(struct api_req *req, unsigned code, struct MHD_Response *resp);

/* Queues `body` (stolen) as a JSON response with `code`. */
int api_reply_json(struct api_req *req, unsigned code, json_t *body);
/* For a path that is only read: true for GET and HEAD; otherwise a 405
 * MethodNotAllowed Status is queued and false returned. */
bool api_read_only(struct api_req *req);
/* Queues a Status body with its own code. */
int api_reply_status(struct api_req *req, json_t *status);
/* A query parameter, or NULL. */
const char *api_arg(struct api_req *req, const char *name);
/* A request header, or NULL. */
const char *api_header(struct api_req *req, const char *name);
/* Adds a `Warning: 299 - "text"` header to the next reply. */
void api_warn(struct api_req *req, const char *text);
/* A boolean query parameter, read by api_query_bool(). */
bool api_arg_bool(struct api_req *req, const char *name);
/* An integer query parameter: 1 and *out when present, 0 when absent, or
 * -EINVAL and *status, the 400 kube-apiserver sends for it. */
int api_arg_int64(struct api_req *req, const char *name, int64_t *out, json_t **status);
/* Checks the request's dryRun values, fieldValidation and the given
 * fields against the options kind ("CreateOptions", "DeleteOptions", ...):
 * NULL, or the 422 Status to send. */
json_t *api_arg_check_options(struct api_req *req, const char *kind, const char *policy,
			      bool force_forbidden);

/* ---- api_query.c: query values as kube-apiserver decodes them ---- */

/* A boolean query value; NULL (absent) is false. Never invalid. */
bool api_query_bool(const char *v);
/* Go's strconv.ParseBool: 0, or -EINVAL for anything else. */
int api_query_go_bool(const char *v, bool *out);
/* Go's strconv.ParseInt(v, 10, 64): 0, or -EINVAL with strconv's error
 * text in err ("strconv.ParseInt: parsing \"x\": invalid syntax"). */
int api_query_int64(const char *v, int64_t *out, char *err, size_t errlen);
/* Go's strconv.Quote of s, cut to fit buf. */
void api_go_quote(char *buf, size_t len, const char *s);

/* The options of a write, as ValidateCreateOptions and its siblings see
 * them. Borrowed strings; NULL when absent. */
struct api_options {
	const char *kind;		/* "CreateOptions", "PatchOptions", ... */
	const char *const *dry;		/* every dryRun value */
	size_t ndry;
	const char *field_validation;
	const char *policy;		/* DeleteOptions.propagationPolicy */
	bool force_set;			/* force given to a patch that is not apply */
};

/* NULL, or the 422 Invalid Status kube-apiserver sends, new reference. */
json_t *api_query_check_options(const struct api_options *o);

/* ---- api_view.c: the modules' views under /k1s/ ---- */

/* Answers GET or HEAD of a view (or the 404 or 405 under /k1s/): 1 when
 * the path is under /k1s/, else 0. */
int api_view_handle(struct api_req *req, const char *url);

/* ---- api_health.c: /livez, /readyz and /healthz ---- */

/* Answers the health paths; 1 if it answered, 0 if the path is not one. */
int api_health_handle(struct api_req *req, const char *path);

/* ---- api_ca.c: /ca.crt ---- */

/* Answers GET and HEAD /ca.crt with the cluster CA's certificate; 1 if it
 * answered, 0 if the path is another. */
int api_ca_handle(struct api_req *req, const char *path);

/* ---- api_disc.c: /version, discovery and OpenAPI ---- */

/* Answers the non-resource paths; returns 1 if it answered, 0 if the path
 * is not one of them. */
int api_disc_handle(struct api_req *req, const char *path);

/* ---- api_body.c: request bodies ---- */

/* Decodes a request body by Content-Type (JSON, YAML or Kubernetes
 * protobuf). 0 and *out, or *status (400 / 415) on failure. `kind` names
 * the expected kind in messages ("Service"); `strict` rejects duplicate
 * fields. */
int api_body_decode(struct api_req *req, const char *kind, const char *version, bool strict,
		    json_t **out, json_t **status);
/* YAML (one document) to JSON with YAML 1.1 scalar resolution as Kubernetes
 * decodes it. 0 and *out, or -EINVAL with a message in err. */
int api_yaml_decode(const char *buf, size_t len, json_t **out, char *err, size_t errlen);

/* ---- api_crud.c: the verbs ---- */

int api_crud_handle(struct api_req *req, const struct api_path *p);
/* Creates an object as a client's POST would, for system objects at
 * first start. 0 or a negative errno. */
int api_crud_create_internal(struct api *api, const struct k1s_resource *r, json_t *obj);
/* The field selector labels a resource supports, for k1s_fsel_parse(). */
const char *const *api_field_labels(const struct k1s_resource *r);
/* The write paths that client requests and api_writer() share. Each
 * returns the stored object, or a Status (api_is_status()). */
json_t *api_do_create(struct api *api, const struct k1s_resource *r, const char *ns, json_t *obj,
		      bool dry, unsigned *code);
json_t *api_do_update(struct api *api, const struct k1s_resource *r, const json_t *old,
		      json_t *obj, int64_t expect_rev, bool dry);
/* Deletes with dependents (policy Background, Foreground or Orphan);
 * grace -1 = the default (pods on a node: graceful). 0 or -ENOENT. */
int api_do_delete(struct api *api, const struct k1s_resource *r, const char *ns,
		  const char *name, const char *policy, int grace, json_t **last);
bool api_is_status(const json_t *o);
/* Deletes the foreground-deleted owners whose dependents are all gone. */
void api_gc_sweep(struct api *api);

/* api_ns.c: namespaces terminate as kube's namespace controller has them
 * do. api_ns_terminate marks a namespace that has contents Terminating
 * (0, *last the marked object) and queues its removal; 1 when it is empty
 * and may go at once; negative errno. */
int api_ns_terminate(struct api *api, const char *name, json_t **last);
/* Removes the contents and then the namespaces whose time has come. */
void api_ns_sweep(struct api *api);
/* The ms until a namespace's time comes, or -1 when none waits. */
int api_ns_next_ms(const struct api *api);
/* Queues the namespaces found Terminating in the store (after a restart). */
void api_ns_resume(struct api *api);
/* The store key for a resource: "services", "deployments.apps". */
void api_res_key(char *buf, size_t len, const struct k1s_resource *r);

/* The request's query string as a view gets it (api_view_fn), into out
 * (API_VIEW_QUERY_MAX + 1 bytes): 0, or -E2BIG when longer. */
int api_req_query(struct api_req *req, char *out);

/* ---- api_flows.c: /k1s/flows, the modules' flow rings listed and
 * watched (api_add_flows) ---- */

#define API_FLOWS_RINGS 8
#define API_FLOWS_WATCHES 16		/* more at once get 429 */
#define API_FLOWS_TIMEOUT_S 1800	/* a watch's default timeoutSeconds */
#define API_FLOWS_TIMEOUT_MAX_S 3600
#define API_FLOWS_POLL_MS 100		/* how often waiting watches look at the rings */
#define API_FLOWS_BUSY_POLL_MS 10	/* ... when more than API_FLOWS_BUSY records */
#define API_FLOWS_BUSY 500		/* a second come */

struct api_flow_watch;

/* A checked query (api_flows_query.c). */
struct api_flows_q {
	char ns[64];			/* "": any */
	char pod[254];			/* "": any */
	char module[16];		/* "": any */
	int verdict;			/* -1 any, 0 Allowed, 1 Denied */
	int64_t limit;			/* 0: none */
	bool watch, bookmarks;
	uint64_t rv;			/* resourceVersion; 0: none */
	int64_t timeout_s;
};
/* 0, or -EINVAL with a message for a 400 Status. */
int api_flows_parse(const char *query, struct api_flows_q *q, char *msg, size_t len);
/* A flow record as JSON text (api_flows_json.c) into out, cap bytes
 * (API_FLOW_JSON_MAX hold any record), the pods behind its addresses
 * named from by_ip ("ip" -> "ns/name"): the length. */
#define API_FLOW_JSON_MAX 8192
struct k1s_flow;
size_t api_flow_json(const struct k1s_flow *f, const char *module, const json_t *by_ip,
		     char *out, size_t cap);
/* The pod by_ip holds at ip ("ns/name"), or NULL. */
const char *api_flow_pod(const json_t *by_ip, uint32_t ip);
/* GET /k1s/flows: 1 when it was that path (and is answered). */
int api_flows_handle(struct api_req *req, const char *url);
int api_flows_next_ms(struct api *api);
void api_flows_tick(struct api *api);
void api_flows_watch_end(struct api_flow_watch *w);
void api_flows_close_all(struct api *api);
/* Flow watches open now. */
int api_flows_watching(const struct api *api);
void api_flows_free(struct api *api);

/* ---- api_watch.c: watch streams ---- */

/* A stream's bytes on their way to libmicrohttpd's reader: appended at
 * len, read from off (the store's watches and the flows' share it). */
struct api_outbuf {
	char *buf;
	size_t len, off, cap;
};
/* Appends n bytes; with no memory for them they are dropped. */
void api_outbuf_put(struct api_outbuf *o, const char *s, size_t n);
/* Copies up to max bytes waiting into dst: how many. */
size_t api_outbuf_take(struct api_outbuf *o, char *dst, size_t max);
static inline bool api_outbuf_empty(const struct api_outbuf *o)
{
	return o->off == o->len;
}
/* True if the client of a suspended stream closed its end (or its socket
 * failed): libmicrohttpd does not look at a suspended connection. */
bool api_conn_gone(struct MHD_Connection *conn);

int api_watch_start(struct api_req *req, const struct api_path *p);
/* Wakes every stream after a commit. */
void api_watch_notify(struct api *api);
/* The wait until the nearest stream deadline in ms (-1 = none), and the
 * check that ends the streams past theirs. */
int api_watch_next_deadline_ms(struct api *api);
void api_watch_tick(struct api *api);
/* Frees a stream whose connection ended. */
void api_watch_end(struct api_watch *w);
/* Ends every stream (shutdown). */
void api_watch_close_all(struct api *api);

/* ---- api_boot.c: system objects on first start ---- */

int api_boot(struct api *api);
