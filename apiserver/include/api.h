/* The Kubernetes REST API over plain HTTP (libmicrohttpd), backed by the
 * store. Threading: api_* run on the control loop's thread; the daemon is
 * driven by the caller's loop through api_fd() and api_run(). */
#ifndef API_H
#define API_H

#include <stdint.h>

struct st;
struct api;
struct k1s_loop;
struct pod_rt;
struct k1s_writer;

struct api_config {
	const char *listen_addr;	/* default 127.0.0.1 */
	unsigned short port;		/* default 8080 */
	const char *service_cidr;	/* default 10.96.0.0/12 */
	const char *pod_cidr;		/* default 10.244.0.0/16 */
	unsigned short node_port_min;	/* default 30000 */
	unsigned short node_port_max;	/* default 32767 */
	const char *node_name;		/* default: the host name */
	const char *node_ip;		/* default: the address of the default route */
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

#endif
