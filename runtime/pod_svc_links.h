/* The runtime's copy of the Services, as far as a container's service
 * links (the docker-link style variables the kubelet sets) need them:
 * name, cluster IP and ports, per namespace, brought up to date from the
 * store's events when asked. A snapshot of the Services one pod gets can
 * be read on any thread. */
#ifndef POD_SVC_LINKS_H
#define POD_SVC_LINKS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct st;
struct pod_links;

struct svc_link_port {
	int32_t port;
	const char *name;     /* "" when unnamed */
	const char *protocol; /* "TCP", "UDP", "SCTP" */
};

/* One Service with a cluster IP; immutable once made. */
struct svc_link {
	atomic_int refs;
	const char *name, *ip;
	size_t nports;
	struct svc_link_port ports[];
};

/* The Services whose variables one pod gets, in the order to apply them
 * (a later one's variable of the same name wins). */
struct svc_links_snap {
	size_t n;
	struct svc_link *v[];
};

struct pod_links *pod_links_new(struct st *st);
void pod_links_free(struct pod_links *l);
/* The Services of a pod of namespace ns, as kubelet's getServiceEnvVarMap
 * picks them: those of ns with a cluster IP when service_links is set,
 * and always default/kubernetes unless ns has its own `kubernetes`. On
 * the control loop's thread; NULL on allocation failure. */
struct svc_links_snap *pod_links_snap(struct pod_links *l, const char *ns, bool service_links);
/* Any thread. */
void pod_links_snap_free(struct svc_links_snap *s);

#endif
