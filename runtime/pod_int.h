/* Declarations shared inside runtime/. */
#ifndef POD_INT_H
#define POD_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

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
struct pod_net *pod_net_new(const struct k1s_cidr *pods, const struct k1s_cidr *services,
                            int *err);
/* Removes the host-wide setup (not the pods'). */
void pod_net_free(struct pod_net *net);

/* Creates the pod's namespace and veth, with `want_ip` if given and free
 * (adoption after a restart), else a free address. Idempotent: a pod
 * whose namespace and veth exist and are complete keeps them. 0 and the IP
 * (dotted quad) in ip, or a negative errno. */
int pod_net_create(struct pod_net *net, const char *id, const char *want_ip, char *ip,
		   size_t iplen);
/* A face's address (a pod whose module runs inside k1s): an IP from the
 * same pool, made local to the host by a `local` route on lo, with no
 * namespace or veth, so that the module's sockets answer on it and pods
 * reach it through the host as they reach cluster IPs. A route rather
 * than an address on lo: routes carry k1s's protocol number, so a start
 * removes the ones a previous run left (pod_net_new) without touching
 * what an administrator put on lo, as for the service range's route.
 * 0 and the IP, or a negative errno. */
int pod_net_create_local(struct pod_net *net, const char *id, const char *want_ip, char *ip,
			 size_t iplen);
/* Removes the pod's namespace, veth and route (a face's local route) and
 * frees its IP. 0 or -ENOENT. */
int pod_net_destroy(struct pod_net *net, const char *id);
/* The path of the pod's network namespace (/run/netns/k1s-<id>). */
void pod_net_ns_path(const char *id, char *path, size_t len);
/* Calls fn for each pod id that has a namespace or veth on the host (to
 * reconcile on start: the caller destroys those of no pod). */
int pod_net_each(struct pod_net *net, void (*fn)(void *arg, const char *id), void *arg);
/* The pid of another `k1s serve` than this one for which same() holds,
 * given its /proc entry (its pid) and its arguments after "serve",
 * NUL-separated; 0 if none. */
int pod_other_serve(bool (*same)(const char *pid, const char *args, size_t len, const void *arg),
                    const void *arg);
/* A TCP socket connected to ip:port from inside the namespace. */
int pod_net_connect(const char *id, const char *ip, int port);

/* ---- pod_catalog.c: image names to entrypoints ----
 *
 * The catalog models what an image would run, as an OCI image config does:
 * an entrypoint (a prefix put before the args) and a cmd (the default
 * args). The file is a YAML list of
 *   {image: NAME, entrypoint: [...], cmd: [...], busybox: BOOL, passthrough: BOOL,
 *    face: dns|ingress}
 * where busybox says the image's userland is busybox (a program not on the
 * host runs as a busybox applet) and passthrough says the image's
 * entrypoint steps aside when the first arg names a program (as the
 * `exec "$@"` of curlimages/curl's entrypoint script does), and face says
 * that the image is one of k1s's in-process modules (coredns/coredns is
 * cluster DNS, ingress-nginx/controller the ingress): its pods run no
 * program and get an address local to the host, where the module
 * answers (pod_net_create_local). Image names
 * are matched without registry host, "library/", tag or digest:
 * "docker.io/library/busybox:1.36" is "busybox". Programs are looked up in
 * the PATH of the calling process. Not thread-safe; a loaded catalog is
 * read-only. */

struct pod_catalog;

/* Loads the catalog from a YAML file; NULL path = the built-in entries
 * (the same as the shipped config/images.yaml). NULL and *err on failure:
 * -ENOENT and the like from the file, -EINVAL for a malformed one (logged
 * with the file name and line), -ENOMEM. */
struct pod_catalog *pod_catalog_load(const char *path, int *err);
/* Parses a catalog from buf; name is used in errors. 0 and *out, or
 * -EINVAL with "NAME:LINE: what" in errbuf, or -ENOMEM. Logs nothing. */
int pod_catalog_parse(const char *buf, size_t len, const char *name, struct pod_catalog **out,
                      char *errbuf, size_t errlen);
void pod_catalog_free(struct pod_catalog *c);
/* The module an image is the face of ("dns", "ingress"), or NULL. */
const char *pod_catalog_face(const struct pod_catalog *c, const char *image);
/* Normalises an image reference into out (registry host, "library/", tag
 * and digest dropped). 0, or -EINVAL (empty result) or -ENAMETOOLONG. */
int pod_catalog_image_name(const char *image, char *out, size_t len);
/* The argv for an image with no command/args of its own: entrypoint + cmd,
 * NULL-terminated; NULL if the image is unknown, meaning the built-in echo
 * app. The array and strings belong to the catalog. */
const char *const *pod_catalog_entrypoint(const struct pod_catalog *c, const char *image);
/* The argv of a container, by Kubernetes' rules: command (a JSON array,
 * or NULL) replaces the image's entrypoint, args replaces its cmd, and
 * command without args drops the cmd. An empty array counts as absent.
 * An unknown image is one without entrypoint (its args are the command);
 * a passthrough image runs args as the command when args[0] is a program
 * on PATH. Then, for a busybox image, a program not found on PATH runs as
 * `/path/to/busybox PROGRAM ...` (when busybox itself is on PATH).
 * Returns 0 and *argv_out: one malloc'd block (free(*argv_out) frees it
 * all), NULL-terminated. Returns 1 (and *argv_out = NULL) for "run the
 * built-in echo app": an unknown image with neither command nor args, or
 * a known one with neither whose program is not on this host. -EINVAL
 * when command or args is not an array of strings, -ENOMEM. c may be
 * NULL (no entries). */
int pod_catalog_argv(const struct pod_catalog *c, const char *image, const json_t *command,
                     const json_t *args, char ***argv_out);

#endif
