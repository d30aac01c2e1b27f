/* The Kubernetes REST API (libmicrohttpd), backed by the store: plain
 * HTTP on loopback for kubectl without a kubeconfig, and HTTPS with a
 * bearer token for other machines. Threading: api_* run on the control loop's thread; the daemon is
 * driven by the caller's loop through api_fd() and api_run(). */
#ifndef API_H
#define API_H

#include <stddef.h>
#include <stdint.h>

struct st;
struct api;
struct k1s_loop;
struct pod_rt;
struct k1s_writer;
struct json_t;
struct k1s_metrics;
struct k1s_flow_ring;

/* Issues the HTTPS port's certificate for these names and addresses
 * (NULL-terminated): PEMs of the certificate, its key and the CA that
 * signed it, to free with k1s_pki_free(). 0 or a negative errno. */
typedef int (*api_issue_fn)(void *arg, const char *const *dns_names, const char *const *ips,
			    char **crt_pem, char **key_pem, char **ca_pem);

struct api_config {
	const char *listen_addr;	/* default 127.0.0.1 */
	unsigned short port;		/* default 8080 */
	const char *service_cidr;	/* default 10.96.0.0/12 */
	const char *pod_cidr;		/* default 10.244.0.0/16 */
	unsigned short node_port_min;	/* default 30000 */
	unsigned short node_port_max;	/* default 32767 */
	const char *node_name;		/* default: the host name */
	const char *node_ip;		/* default: the address of the default route */
	const char *dns_ip;		/* the kube-dns Service's clusterIP; default 10.96.0.10 */
	const char *cluster_domain;	/* default cluster.local */
	/* HTTPS with a bearer token, as kube-apiserver's --secure-port and
	 * --bind-address: 0 for none. The token, the CA's certificate and a
	 * kubeconfig for this port are files in data_dir (admin.token,
	 * ca.crt, k1s.conf); `issue` makes the certificate. */
	unsigned short secure_port;
	const char *bind_address;	/* default 0.0.0.0 */
	const char *data_dir;
	api_issue_fn issue;
	void *issue_arg;
};

/* Prepares the API on an open store: creates the system objects on first
 * start and binds the listening address, but does not listen yet. NULL
 * and *err on failure (-EADDRINUSE when the address is taken). */
struct api *api_new(struct st *st, const struct api_config *cfg, int *err);
void api_free(struct api *api);
/* Starts answering clients: the control loop calls it once every module
 * has done its first reconcile. 0 or a negative errno. */
int api_listen(struct api *api);

/* A module's health check: NULL when healthy, else why not. The reason is
 * logged and shown on the check's own path (/readyz/NAME), never in the
 * list, as kube-apiserver withholds it there. */
typedef const char *(*api_check_fn)(void *arg);
/* Adds a check named `name` (borrowed, at most 63 bytes) to /livez,
 * /readyz and /healthz, after ping, log and etcd. 0, or -ENOSPC past 16. */
int api_add_check(struct api *api, const char *name, api_check_fn fn, void *arg);
/* A module's read-only view, served at GET (and HEAD) PATH?QUERY under
 * /k1s/, e.g. /k1s/policy/verdict?from=x/a&to=10.244.0.7&port=80.
 * `query` is the request's query string without the '?', each key and
 * value percent-encoded again ("" when none, at most API_VIEW_QUERY_MAX
 * bytes: a longer one is refused before fn is called); read it with
 * api_query_param(). Runs on the control loop's thread.
 * Returns 0 with *out, a JSON value the API takes and sends as 200;
 * -EINVAL with msg: a 400 BadRequest Status of that message (the query is
 * wrong); -ENOENT with msg: 404 NotFound (what the query names is not
 * there); any other negative errno: 500, msg logged. */
typedef int (*api_view_fn)(void *arg, const char *query, struct json_t **out, char *msg,
			   size_t len);
#define API_VIEW_QUERY_MAX 2048
/* Serves fn at `path` (borrowed, "/k1s/" and at least one more byte, at
 * most 63 bytes; matched whole). Other methods there get 405; a path
 * under /k1s/ that no view has gets 404. 0, -EINVAL for a bad path,
 * -EEXIST when taken, or -ENOSPC past 16 views. */
int api_add_view(struct api *api, const char *path, api_view_fn fn, void *arg);
/* The first value of `key` in a query as a view gets it, percent-decoded
 * into buf (NUL-terminated): its length; -ENOENT when the key is absent,
 * -EINVAL when its encoding is bad (or it holds a NUL), -ENOSPC when it
 * does not fit in len. A key given without '=' has the value "". */
int api_query_param(const char *query, const char *key, char *buf, size_t len);
/* A peer as a view's query names it: an IPv4 address, or NAMESPACE/POD,
 * the pod's status.podIP read from the store. 0 with the address in ip
 * (len >= 16); -EINVAL (not either form) or -ENOENT (no such pod, or it
 * has no IP yet) with a message for the client in msg. */
int api_lookup_addr(struct api *api, const char *peer, char *ip, size_t len, char *msg,
		    size_t msglen);
/* A module's metrics source for GET /metrics: appends whole families
 * (k1s_metrics.h) to m; each family's samples in one call, since the
 * format groups them. Runs on the control loop's thread, so it reads
 * counters the data paths write with atomics, without locks. */
typedef void (*api_metrics_fn)(void *arg, struct k1s_metrics *m);
/* Adds a source, after the API's own families (process, build, store)
 * and those added before. 0, -EINVAL, or -ENOSPC past 16. */
int api_add_metrics(struct api *api, api_metrics_fn fn, void *arg);
/* The whole /metrics text into m: 0, or m->m_err. */
int api_metrics_text(struct api *api, struct k1s_metrics *m);
/* Serves the records of `ring` (k1s_flow.h, the module's; borrowed, it
 * must outlive the API) at /k1s/flows, listed and watched, with the other
 * rings given: the dataplane's, the ingress's, DNS's, NetworkPolicy's.
 * NULL is ignored. 0, or -ENOSPC past 8 rings, -ENOMEM. */
int api_add_flows(struct api *api, struct k1s_flow_ring *ring);
/* From now on /readyz fails its `shutdown` check while the others still
 * pass, as kube-apiserver's does once it is told to terminate. */
void api_shutdown_begin(struct api *api);
/* Gives the API the control loop (for exec and log streams) and the pod
 * runtime (NULL when pods cannot run: pods are then deleted at once). */
void api_attach(struct api *api, struct k1s_loop *loop, struct pod_rt *rt);
/* The write path for controllers and the runtime: through admission,
 * as a client's writes go. Owned by the API. */
const struct k1s_writer *api_writer(struct api *api);
/* The node's name and address as the API reports them. */
const char *api_node_name(const struct api *api);
const char *api_node_ip(const struct api *api);
/* The fd to poll for readability (an epoll fd; -1 before api_listen()),
 * and the longest wait before api_run() must be called again, in ms
 * (-1 = none). */
int api_fd(const struct api *api);
int api_timeout_ms(struct api *api);
/* Does all pending work: I/O, timeouts, watch streams. */
void api_run(struct api *api);
/* Only the I/O: answers the requests that are ready. Cheap when none is
 * (one epoll_wait), so the loop calls it between the modules' work. The
 * writes of one call share one commit (group commit), and no answer goes
 * out before the writes it may have seen are durable. */
void api_serve(struct api *api);

#endif
