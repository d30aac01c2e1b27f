/* Inside the dataplane: the snapshot the control side builds and the
 * data-path loops read, and the loops' entry points.
 *
 * A snapshot is immutable once published (dp->pub, lib/k1s_pub.h): each
 * loop acknowledges the generation it has switched to, and a retired
 * snapshot is reused only when every loop has moved past it. */
#ifndef DP_INT_H
#define DP_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dp.h"
#include "k1s_addr.h"
#include "k1s_pub.h"
#include "st.h"

enum dp_proto { DP_TCP, DP_UDP };

/* One service port: where its traffic goes. */
struct dp_svc {
	uint32_t nep;
	struct sockaddr_in *eps;	/* ready endpoints ip:targetPort */
	uint32_t affinity_s;		/* ClientIP affinity timeout; 0 = none */
	bool local_policy;		/* externalTrafficPolicy: Local */
	uint64_t id;			/* the same across snapshots */
};

/* ClientIP affinity: the endpoint a client last reached, per service
 * port. Shared by the loops (the kernel spreads a client's connections
 * across them), so behind a lock taken only for services that ask for
 * affinity. */
#define DP_AFF_BUCKETS 4096

struct dp_aff {
	struct dp_aff *next;
	uint64_t svc;
	uint32_t client;
	struct sockaddr_in ep;
	int64_t until;
};

/* The endpoint `client` is bound to, if still in `sv`: 0, or -ENOENT. */
int dp_aff_get(struct dp *dp, const struct dp_svc *sv, uint32_t client, int64_t now,
	       struct sockaddr_in *ep);
void dp_aff_put(struct dp *dp, const struct dp_svc *sv, uint32_t client, int64_t now,
		const struct sockaddr_in *ep);
void dp_aff_free(struct dp *dp);

/* An address the dataplane listens on, and the service port behind it. */
struct dp_lsn {
	enum dp_proto proto;
	struct sockaddr_in addr;
	uint32_t svc;
	bool external;		/* a node port or load balancer address */
};

struct dp_snap {
	struct k1s_snap base;		/* first: dp_snap_of() */
	uint32_t nsvc, nlsn, nep;
	uint32_t cap_svc, cap_lsn, cap_ep;
	int lsn_loops;			/* loops that listen (the first ones) */
	struct dp_svc *svc;
	struct dp_lsn *lsn;
	struct sockaddr_in *eps;	/* svc[].eps point into it */
};

static inline struct dp_snap *dp_snap_of(struct k1s_snap *s)
{
	return (struct dp_snap *)s;
}

/* Compilation (dp_snap.c): a service whose object or Endpoints changed is
 * marked, and compiled again at the next build. */
void dp_snap_mark(struct dp *dp, const char *key);
void dp_snap_mark_all(struct dp *dp);
struct dp_snap *dp_snap_build(struct dp *dp);
void dp_snap_free(struct dp_snap *s);
/* A snapshot no loop reads any more: kept to build the next one in, since
 * touching fresh memory (page faults) costs more than the build itself. */
void dp_snap_recycle(struct dp *dp, struct dp_snap *s);
void dp_comp_clear(struct dp *dp);

/* Source addresses (dp_src.c): whether a backend sees the client's own
 * address, decided as kube-proxy decides to masquerade. `pods` is the pod
 * network (NULL: none known); addresses in network order. */
bool dp_src_client(const struct k1s_cidr *pods, bool external, bool local_policy,
		   uint32_t client, uint32_t ep);
/* Sets a connected-to-be socket's source to `client` (IP_TRANSPARENT);
 * 0 or -errno, after which the socket may still connect from the node. */
int dp_src_bind(int fd, uint32_t client, bool stream);

/* The host state that returns replies to transparent sockets (dp_host.c,
 * described in dp.h): 0, or -errno with one line logged. */
int dp_host_setup(void);
void dp_host_teardown(void);

struct dp_loop;
struct dp_comp;

#define DP_COMP_BUCKETS 4096

struct dp {
	struct st *st;
	struct k1s_loop *loop;
	const struct k1s_writer *w;
	char node_ip[INET_ADDRSTRLEN];
	int64_t tcp_idle_ms, udp_idle_ms;
	uint64_t fd_limit;		/* RLIMIT_NOFILE at start */
	int lsn_loops_was;		/* for one log line when it changes */
	uint32_t pool_lo, pool_hi;	/* host order; 0 = no pool */
	bool src_client;		/* DP_SOURCE_CLIENT, and the host is set up */
	bool host_touched;		/* dp_host_setup() ran: undo at the end */
	struct k1s_cidr pod_net;
	bool pod_net_known;
	int (*host_shared)(void);

	/* Control side. */
	struct st_follower follow;
	bool dirty;
	void *svcs, *eps;		/* json_t: "ns/name" -> object */
	void *todo;			/* json_t: keys to compile again */
	struct dp_comp *comp[DP_COMP_BUCKETS];
	size_t ncomp;
	struct dp_snap *spare;
	uint64_t *lsn_set;		/* the build's listener set, kept */
	size_t lsn_set_cap;

	/* Shared with the loops. */
	struct k1s_pub pub;		/* of struct dp_snap, one reader per loop */
	atomic_int stop;
	int nloops;
	struct dp_loop **loops;
	pthread_mutex_t aff_mu;
	struct dp_aff *aff[DP_AFF_BUCKETS];
};

/* The loops. */
struct dp_loop *dp_loop_start(struct dp *dp, int idx, int *err);
/* Wakes a loop to look at the current snapshot (or dp->stop). */
void dp_loop_wake(struct dp_loop *lp);
/* Joins the thread (after dp->stop is set and the loop woken) and frees. */
void dp_loop_join(struct dp_loop *lp);

/* Control side: the before-sleep hook's work; returns the longest wait. */
int dp_ctl_pass(struct dp *dp);

#endif
