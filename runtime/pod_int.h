/* Declarations shared inside runtime/. */
#ifndef POD_INT_H
#define POD_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "pod.h"

/* ---- pod_net.c: the pod network on the host ----
 *
 * Each pod: a named network namespace "k1s-<id>" (id = the first 12 hex
 * digits of the pod's uid), eth0 inside holding the pod IP as /32 with a
 * default route via 169.254.1.1 (link scope), answered by proxy ARP on the
 * host end "k1s<id>" (at most 15 chars), which carries a /32 route to the
 * pod. The host enables IPv4 forwarding, and a `local` route for the
 * service CIDR on lo lets host sockets bind any cluster IP. Everything is
 * named k1s so that a restart can find it. Done with netlink (libmnl). */

struct pod_net;

/* Sets up the host side; NULL and *err on failure (-EPERM if not root). */
struct pod_net *pod_net_new(const char *pod_cidr, const char *service_cidr, int *err);
/* Removes the host-wide setup (not the pods'). */
void pod_net_free(struct pod_net *net);

/* Creates the pod's namespace and veth, with `want_ip` if given and free
 * (adoption after a restart), else a free address. Idempotent: a pod
 * whose namespace and veth exist and are complete keeps them. 0 and the IP
 * (dotted quad) in ip, or a negative errno. */
int pod_net_create(struct pod_net *net, const char *id, const char *want_ip, char *ip,
		   size_t iplen);
/* Removes the pod's namespace, veth and route and frees its IP. 0 or
 * -ENOENT. */
int pod_net_destroy(struct pod_net *net, const char *id);
/* The path of the pod's network namespace (/run/netns/k1s-<id>). */
void pod_net_ns_path(const char *id, char *path, size_t len);
/* Calls fn for each pod id that has a namespace or veth on the host (to
 * reconcile on start: the caller destroys those of no pod). */
int pod_net_each(struct pod_net *net, void (*fn)(void *arg, const char *id), void *arg);
/* A TCP socket connected to ip:port from inside the namespace. */
int pod_net_connect(const char *id, const char *ip, int port);

/* ---- pod_catalog.c: image names to entrypoints ---- */

struct pod_catalog;

/* Loads the catalog (YAML: a list of {image, command, args}); NULL path =
 * the built-in entries (busybox, curlimages/curl...). */
struct pod_catalog *pod_catalog_load(const char *path, int *err);
void pod_catalog_free(struct pod_catalog *c);
/* The argv for an image with no command/args of its own (tags and
 * registries ignored: "docker.io/library/busybox:1.36" is "busybox");
 * NULL if the image is unknown, meaning the built-in echo app. The array
 * and strings belong to the catalog. */
const char *const *pod_catalog_entrypoint(const struct pod_catalog *c, const char *image);

#endif
