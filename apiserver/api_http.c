/* The HTTP side of the API: libmicrohttpd in external-epoll mode, driven by
 * the control loop, so that handlers use the store without locks. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api_crud_int.h"
#include "api_int.h"
#include "api_stream_int.h"
#include "ctrl_alloc.h"
#include "k1s_log.h"
#include "k1s_writer.h"
#include "st.h"

/* kube-apiserver's limit on request bodies. */
#define API_MAX_BODY (3u * 1024 * 1024)

/* A group commits when it holds this many responses or is this old, even
 * in the middle of a pass, so that no answer waits long behind others. */
#define API_GROUP_MAX_HELD 256
#define API_GROUP_MAX_US 10000

const char *api_arg(struct api_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *api_header(struct api_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

bool api_arg_bool(struct api_req *req, const char *name)
{
	return api_query_bool(api_arg(req, name));
}

int api_arg_int64(struct api_req *req, const char *name, int64_t *out, json_t **status)
{
	const char *v = api_arg(req, name);
	char err[512];

	if (!v)
		return 0;
	/* A decode error of the options becomes errors.NewBadRequest(err.Error())
	 * in kube-apiserver's handlers (get.go, delete.go, rest.go). */
	if (api_query_int64(v, out, err, sizeof(err)) < 0) {
		*status = api_status(400, "BadRequest", err, NULL);
		return -EINVAL;
	}
	return 1;
}

#define API_MAX_DRY_RUN 16

struct dry_values {
	const char *v[API_MAX_DRY_RUN];
	size_t n;
};

static enum MHD_Result collect_dry_run(void *cls, enum MHD_ValueKind kind, const char *key,
				       const char *value)
{
	struct dry_values *d = cls;

	if (strcmp(key, "dryRun") == 0 && d->n < API_MAX_DRY_RUN)
		d->v[d->n++] = value ? value : "";
	return MHD_YES;
}

json_t *api_arg_check_options(struct api_req *req, const char *kind, const char *policy,
			      bool force_forbidden)
{
	struct dry_values d = {.n = 0};
	struct api_options o = {.kind = kind, .policy = policy};

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_dry_run, &d);
	o.dry = d.v;
	o.ndry = d.n;
	if (strcmp(kind, "DeleteOptions") != 0)
		o.field_validation = api_arg(req, "fieldValidation");
	o.force_set = force_forbidden && api_arg(req, "force");
	return api_query_check_options(&o);
}

/* responsewriters isPrettyPrint: `pretty` as strconv.ParseBool reads it (an
 * error is false); without it, curl, Wget and browsers get indented JSON. */
static bool pretty_print(struct api_req *req)
{
	const char *pp = api_arg(req, "pretty"), *ua = api_header(req, "User-Agent");
	bool pretty = false;

	if (pp && *pp) {
		api_query_go_bool(pp, &pretty);
		return pretty;
	}
	return ua && (strncmp(ua, "curl", 4) == 0 || strncmp(ua, "Wget", 4) == 0 ||
		      strncmp(ua, "Mozilla/5.0", 11) == 0);
}

void api_warn(struct api_req *req, const char *text)
{
	snprintf(req->warning, sizeof(req->warning), "299 - \"%s\"", text);
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* `body` (stolen) as a JSON response. */
static struct MHD_Response *json_response(struct api_req *req, json_t *body)
{
	char *s = json_dumps(body, JSON_ENCODE_ANY |
					   (pretty_print(req) ? JSON_INDENT(2) : JSON_COMPACT));
	struct MHD_Response *resp;
	size_t len;
	char *grown;

	json_decref(body);
	if (!s)
		return NULL;
	len = strlen(s);
	/* A trailing newline, as kube-apiserver's JSON serializer writes. */
	grown = realloc(s, len + 2);
	if (!grown) {
		free(s);
		return NULL;
	}
	s = grown;
	s[len++] = '\n';
	s[len] = '\0';
	resp = MHD_create_response_from_buffer(len, s, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(s);
		return NULL;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	if (req->warning[0])
		MHD_add_response_header(resp, "Warning", req->warning);
	return resp;
}

int api_queue(struct api_req *req, unsigned code, struct MHD_Response *resp)
{
	struct api *api = req->api;
	int ret;

	if (!resp)
		return MHD_NO;
	/* A 401 is given before anything is read, the store included. */
	if (st_group_writes(api->st) == 0 || req->unauthorized) {
		ret = MHD_queue_response(req->conn, code, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (req->held) {
		/* A second answer to one request, as MHD_queue_response refuses. */
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	req->held = resp;
	req->held_code = code;
	req->held_next = api->held;
	api->held = req;
	api->nheld++;
	MHD_suspend_connection(req->conn);
	return MHD_YES;
}

/* Commits the group and lets its held responses go: as they are if the
 * commit went through, as a 500 if not (nothing of the group is durable,
 * so nothing of it is acknowledged). The writes' followers and watches
 * hear of them from the store's on_commit, after the commit only. */
static void group_end(struct api *api)
{
	unsigned writes = st_group_writes(api->st);
	int err = st_group_end(api->st);
	struct api_req *req, *next;

	if (err < 0)
		k1s_err("api", "committing a group of %u writes: %s; its %u answers are a 500",
			writes, k1s_strerror(err), api->nheld);
	for (req = api->held; req; req = next) {
		next = req->held_next;
		req->held_next = NULL;
		if (err < 0) {
			MHD_destroy_response(req->held);
			req->held = json_response(req, api_internal_error(err));
			req->held_code = 500;
		}
		MHD_resume_connection(req->conn);
	}
	api->held = NULL;
	api->nheld = 0;
}

/* A group is open for the whole of an MHD pass, unless someone else's
 * batch is open (then each write commits as before). */
static bool group_begin(struct api *api)
{
	if (st_group_begin(api->st) < 0)
		return false;
	api->group_t0_us = now_us();
	return true;
}

/* Before a request is handled: a group that has grown or aged past its
 * bound commits now, and a new one begins. */
static void group_bound(struct api *api)
{
	if (!st_group_writes(api->st))
		return;
	if (api->nheld < API_GROUP_MAX_HELD && now_us() - api->group_t0_us < API_GROUP_MAX_US)
		return;
	group_end(api);
	group_begin(api);
}

/* The handler's call after a held response's resume: queue it. */
static enum MHD_Result release(struct api_req *req)
{
	struct MHD_Response *resp = req->held;
	enum MHD_Result ret;

	req->held = NULL;
	if (!resp)
		return MHD_NO;
	ret = MHD_queue_response(req->conn, req->held_code, resp);
	MHD_destroy_response(resp);
	return ret;
}

int api_reply_json(struct api_req *req, unsigned code, json_t *body)
{
	return api_queue(req, code, json_response(req, body));
}

bool api_read_only(struct api_req *req)
{
	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
		return true;
	api_reply_status(req, api_status(405, "MethodNotAllowed",
					 "the server does not allow this method on the requested "
					 "resource",
					 NULL));
	return false;
}

int api_reply_status(struct api_req *req, json_t *status)
{
	json_int_t code = json_integer_value(json_object_get(status, "code"));

	return api_reply_json(req, code ? (unsigned)code : 500, status);
}

int api_path_parse(const char *url, struct api_path *p)
{
	char buf[1024], *seg[12], *save = NULL;
	int n = 0, i;

	memset(p, 0, sizeof(*p));
	if (snprintf(buf, sizeof(buf), "%s", url) >= (int)sizeof(buf))
		return 0;
	for (char *t = strtok_r(buf, "/", &save); t && n < 12; t = strtok_r(NULL, "/", &save))
		seg[n++] = t;
	if (n >= 3 && strcmp(seg[0], "api") == 0 && strcmp(seg[1], "v1") == 0) {
		strcpy(p->version, "v1");
		i = 2;
	} else if (n >= 4 && strcmp(seg[0], "apis") == 0 && strlen(seg[1]) < sizeof(p->group) &&
		   strlen(seg[2]) < sizeof(p->version)) {
		strcpy(p->group, seg[1]);
		strcpy(p->version, seg[2]);
		i = 3;
	} else {
		return 0;
	}
	n -= i;
	char **s = seg + i;
	const char *res, *name = "", *sub = "", *ns = "";

	/* namespaces/NS/RES[/NAME[/SUB]], except namespaces/NAME/{status,finalize}. */
	if (n >= 3 && strcmp(s[0], "namespaces") == 0 && strcmp(s[2], "status") != 0 &&
	    strcmp(s[2], "finalize") != 0) {
		if (n > 5)
			return -1;
		ns = s[1];
		res = s[2];
		name = n > 3 ? s[3] : "";
		sub = n > 4 ? s[4] : "";
	} else {
		if (n > 3)
			return -1;
		res = s[0];
		name = n > 1 ? s[1] : "";
		sub = n > 2 ? s[2] : "";
	}
	if (strlen(ns) >= sizeof(p->ns) || strlen(name) >= sizeof(p->name) ||
	    strlen(sub) >= sizeof(p->sub))
		return -1;
	strcpy(p->ns, ns);
	strcpy(p->name, name);
	strcpy(p->sub, sub);
	p->res = k1s_resource_find(p->group, res);
	if (!p->res || strcmp(p->res->version, p->version) != 0)
		return -1;
	/* A cluster-scoped resource under a namespace names nothing. */
	if (*p->ns && !(p->res->flags & K1S_RF_NAMESPACED))
		return -1;
	return 1;
}

enum MHD_Result api_on_request(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **req_cls)
{
	struct api *api = cls;
	struct api_req *req = *req_cls;
	struct api_path p;
	int r;

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->api = api;
		req->conn = conn;
		req->method = method;
		req->url = strdup(url);
		*req_cls = req;
		/* Answered before the body is read: kube-apiserver's
		 * authentication filter runs first, and its 401 is this
		 * Status (filters/authentication.go, Unauthorized()). */
		if (api_secure_conn(conn) && !api_secure_allowed(api, conn, method, url)) {
			req->unauthorized = true;
			if (api_ui_unauthorized(req, url))
				return MHD_YES;
			return api_reply_status(req, api_status(401, "Unauthorized",
								"Unauthorized", NULL));
		}
		return MHD_YES;
	}
	if (req->held)
		return release(req);	/* resumed after its group's commit */
	if (req->unauthorized) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		/* The login form, open to anyone on the HTTPS port, holds a token. */
		size_t max = strcmp(req->url, "/ui/login") == 0 ? API_UI_LOGIN_MAX_BODY
								 : API_MAX_BODY;

		*upload_data_size = 0;
		if (req->body_too_large || req->body_len + n > max) {
			req->body_too_large = true;
			return MHD_YES;
		}
		if (req->body_len + n + 1 > req->body_cap) {
			size_t cap = (req->body_len + n + 1) * 2;
			char *b = realloc(req->body, cap);

			if (!b)
				return MHD_NO;
			req->body = b;
			req->body_cap = cap;
		}
		memcpy(req->body + req->body_len, upload_data, n);
		req->body_len += n;
		req->body[req->body_len] = '\0';
		return MHD_YES;
	}
	if (req->watch || req->flow_watch)
		return MHD_YES; /* already answered */

	k1s_debug("api", "%s %s", method, url);
	group_bound(api);
	if (req->body_too_large) {
		char msg[128];

		snprintf(msg, sizeof(msg), "the request body is too large: the limit is %u bytes",
			 strcmp(url, "/ui/login") == 0 ? API_UI_LOGIN_MAX_BODY : API_MAX_BODY);
		return api_reply_status(req, api_status(413, "RequestEntityTooLarge", msg, NULL));
	}
	if (api_health_handle(req, url) || api_ui_handle(req, url) || api_ca_handle(req, url) ||
	    api_secure_handle(req, url) || api_flows_handle(req, url) ||
	    api_view_handle(req, url) || api_disc_handle(req, url) || api_metrics_handle(req, url))
		return MHD_YES;
	r = api_path_parse(url, &p);
	if (r == 0 || r < 0)
		return api_reply_status(req, api_status(404, "NotFound",
							"the server could not find the requested "
							"resource",
							NULL));
	return api_crud_handle(req, &p) == MHD_NO ? MHD_NO : MHD_YES;
}

void api_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct api_req *req = *req_cls;

	if (!req)
		return;
	if (req->watch)
		api_watch_end(req->watch);
	if (req->flow_watch)
		api_flows_watch_end(req->flow_watch);
	if (req->held)
		MHD_destroy_response(req->held);
	free(req->url);
	free(req->body);
	free(req);
	*req_cls = NULL;
}

static void on_commit(void *arg, int64_t rev)
{
	api_watch_notify(arg);
}

/* The address of the interface that carries the default route: what a
 * node reports as its InternalIP. */
static void default_ip(char *buf, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(buf, len, "127.0.0.1");
	if (fd < 0)
		return;
	/* connect() on UDP sends nothing; it only picks a route and source. */
	inet_pton(AF_INET, "10.255.255.255", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		inet_ntop(AF_INET, &sa.sin_addr, buf, (socklen_t)len);
	close(fd);
}

struct api *api_new(struct st *st, const struct api_config *cfg, int *err)
{
	struct api *api = calloc(1, sizeof(*api));
	struct sockaddr_in sa = {.sin_family = AF_INET};

	if (!api) {
		*err = -ENOMEM;
		return NULL;
	}
	api->st = st;
	api->cfg = *cfg;
	api->listen_fd = -1;
	api->epfd = -1;
	api->foreground = json_array();
	api->terminating = json_object();
	snprintf(api->listen_addr, sizeof(api->listen_addr), "%s", cfg->listen_addr);
	api->cfg.listen_addr = api->listen_addr;
	if (cfg->node_name)
		snprintf(api->node_name, sizeof(api->node_name), "%s", cfg->node_name);
	else if (gethostname(api->node_name, sizeof(api->node_name)) < 0)
		strcpy(api->node_name, "k1s");
	/* Node names are DNS subdomains: lower case. */
	for (char *c = api->node_name; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (cfg->node_ip)
		snprintf(api->node_ip, sizeof(api->node_ip), "%s", cfg->node_ip);
	else
		default_ip(api->node_ip, sizeof(api->node_ip));
	api->cfg.node_name = api->node_name;
	api->cfg.node_ip = api->node_ip;

	if (inet_pton(AF_INET, cfg->listen_addr, &sa.sin_addr) != 1) {
		k1s_err("api", "listen address %s is not an IPv4 address", cfg->listen_addr);
		*err = -EINVAL;
		goto fail;
	}
	sa.sin_port = htons(cfg->port);
	api->adm = api_admit_new(st, &api->cfg);
	if (!api->adm) {
		*err = -EINVAL;
		goto fail;
	}
	*err = api_boot(api);
	if (*err < 0) {
		k1s_err("api", "creating the system objects: %s", k1s_strerror(*err));
		goto fail;
	}
	/* Bound now, so that a taken address fails the start at once, but
	 * listening only from api_listen(): until then a client is refused. */
	api->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (api->listen_fd < 0 ||
	    setsockopt(api->listen_fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int)) < 0 ||
	    bind(api->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		*err = -errno;
		k1s_err("api", "cannot listen on %s:%u: %s", cfg->listen_addr, cfg->port,
			strerror(errno));
		goto fail;
	}
	*err = api_secure_new(api);
	if (*err < 0)
		goto fail;
	st_on_commit(st, on_commit, api);
	return api;
fail:
	if (api->listen_fd >= 0)
		close(api->listen_fd);
	api_admit_free(api->adm);
	json_decref(api->foreground);
	json_decref(api->terminating);
	api_flows_free(api);
	free(api);
	return NULL;
}

int api_listen(struct api *api)
{
	if (api->mhd)
		return 0;
	if (listen(api->listen_fd, SOMAXCONN) < 0) {
		int err = -errno;

		k1s_err("api", "cannot listen on %s:%u: %s", api->listen_addr, api->cfg.port,
			strerror(-err));
		return err;
	}
	api->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE |
					    MHD_USE_ERROR_LOG,
				    0, NULL, NULL, api_on_request, api, MHD_OPTION_LISTEN_SOCKET,
				    api->listen_fd, MHD_OPTION_NOTIFY_COMPLETED, api_on_completed, api,
				    MHD_OPTION_CONNECTION_LIMIT, 1000u,
				    MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_END);
	if (!api->mhd) {
		k1s_err("api", "cannot serve on %s:%u", api->listen_addr, api->cfg.port);
		return -ENOMEM;
	}
	/* One fd for the loop to watch: the daemons' epoll sets in one. */
	{
		const union MHD_DaemonInfo *info =
		    MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_EPOLL_FD);

		api->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (api->epfd < 0 || !info ||
		    epoll_ctl(api->epfd, EPOLL_CTL_ADD, info->epoll_fd,
			      &(struct epoll_event){.events = EPOLLIN}) < 0)
			return -errno;
	}
	return api_secure_listen(api);
}

void api_free(struct api *api)
{
	if (!api)
		return;
	api_watch_close_all(api);
	api_flows_close_all(api);
	api_stream_close_all(api);
	if (api->mhd) {
		/* Streams were resumed above; one pass lets them finish. */
		MHD_run(api->mhd);
		MHD_stop_daemon(api->mhd);
	} else if (api->listen_fd >= 0) {
		close(api->listen_fd);	/* MHD_stop_daemon() closes it once given */
	}
	api_secure_free(api);
	if (api->epfd >= 0)
		close(api->epfd);
	st_on_commit(api->st, NULL, NULL);
	api_admit_free(api->adm);
	api_flows_free(api);
	free(api->writer);
	json_decref(api->foreground);
	json_decref(api->terminating);
	free(api);
}

int api_fd(const struct api *api)
{
	return api->mhd ? api->epfd : -1;
}

int api_timeout_ms(struct api *api)
{
	MHD_UNSIGNED_LONG_LONG t;

	int w = api_watch_next_deadline_ms(api), m = -1;

	if (api->mhd && MHD_get_timeout(api->mhd, &t) == MHD_YES)
		m = t > 60000 ? 60000 : (int)t;
	if (w >= 0 && (m < 0 || w < m))
		m = w;
	w = api_flows_next_ms(api);
	if (w >= 0 && (m < 0 || w < m))
		m = w;
	w = api_ns_next_ms(api);
	if (w >= 0 && (m < 0 || w < m))
		m = w;
	w = api_secure_timeout_ms(api);
	if (w >= 0 && (m < 0 || w < m))
		m = w;
	return m;
}

/* One pass of both ports' I/O as one group: its writes share a commit
 * and its answers wait for it (api_queue). Returns whether it let held
 * answers go. */
static bool serve_pass(struct api *api)
{
	bool group = group_begin(api), released;

	if (api->mhd)
		MHD_run(api->mhd);
	api_secure_run(api);
	released = api->held != NULL;
	if (group)
		group_end(api);
	return released;
}

void api_serve(struct api *api)
{
	/* The answers a commit let go are sent by a second pass now rather
	 * than a turn of the loop later (that pass's own writes are the next
	 * group). */
	if (serve_pass(api))
		serve_pass(api);
}

void api_run(struct api *api)
{
	if (json_array_size(api->foreground))
		api_gc_sweep(api);
	if (json_object_size(api->terminating))
		api_ns_sweep(api);
	api_watch_tick(api);
	api_flows_tick(api);
	api_serve(api);
}
