/* Placeholder pod network. */
#include <errno.h>
#include <stdio.h>
#include "pod_int.h"

struct pod_net *pod_net_new(const char *pod_cidr, const char *service_cidr, int *err) { *err = -ENOSYS; return NULL; }
void pod_net_free(struct pod_net *net) {}
int pod_net_create(struct pod_net *net, const char *id, const char *want_ip, char *ip, size_t iplen) { return -ENOSYS; }
int pod_net_destroy(struct pod_net *net, const char *id) { return -ENOENT; }
void pod_net_ns_path(const char *id, char *path, size_t len) { snprintf(path, len, "/run/netns/k1s-%s", id); }
int pod_net_each(struct pod_net *net, void (*fn)(void *arg, const char *id), void *arg) { return 0; }
int pod_net_connect(const char *id, const char *ip, int port) { return -ENOSYS; }
