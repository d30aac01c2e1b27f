/* Controllers: the reconcilers that turn what users declared into what
 * runs. For now: the allocators of cluster IPs and node ports, which the
 * API server consults at admission so that a create answers with its
 * addresses, as kube-apiserver's does.
 *
 * Threading: control loop only. */
#ifndef CTRL_H
#define CTRL_H

#include <stdbool.h>
#include <stdint.h>

struct ctrl_ipalloc;
struct ctrl_portalloc;

/* An allocator over an IPv4 CIDR such as "10.96.0.0/12"; the network and
 * broadcast addresses are never handed out. NULL on a malformed CIDR. */
struct ctrl_ipalloc *ctrl_ipalloc_new(const char *cidr);
void ctrl_ipalloc_free(struct ctrl_ipalloc *a);
/* True if `ip` (dotted quad) is inside the range. */
bool ctrl_ipalloc_contains(const struct ctrl_ipalloc *a, const char *ip);
bool ctrl_ipalloc_taken(const struct ctrl_ipalloc *a, const char *ip);
/* Marks an address taken (0), or -EINVAL outside the range, -EEXIST taken. */
int ctrl_ipalloc_take(struct ctrl_ipalloc *a, const char *ip);
void ctrl_ipalloc_release(struct ctrl_ipalloc *a, const char *ip);
/* Picks a free address into buf (at least 16 bytes) without taking it;
 * successive calls without a take may return the same address.
 * 0 or -ENOSPC. */
int ctrl_ipalloc_pick(const struct ctrl_ipalloc *a, char *buf, size_t len);
/* The CIDR as given. */
const char *ctrl_ipalloc_cidr(const struct ctrl_ipalloc *a);

/* The same over a port range [min, max]. */
struct ctrl_portalloc *ctrl_portalloc_new(unsigned min, unsigned max);
void ctrl_portalloc_free(struct ctrl_portalloc *a);
bool ctrl_portalloc_contains(const struct ctrl_portalloc *a, unsigned port);
bool ctrl_portalloc_taken(const struct ctrl_portalloc *a, unsigned port);
int ctrl_portalloc_take(struct ctrl_portalloc *a, unsigned port);
void ctrl_portalloc_release(struct ctrl_portalloc *a, unsigned port);
/* Picks a free port without taking it, skipping those in `avoid`
 * (n of them). 0 and *port, or -ENOSPC. */
int ctrl_portalloc_pick(const struct ctrl_portalloc *a, const unsigned *avoid, size_t n,
			unsigned *port);


/* ---- the controllers ---- */

struct st;
struct k1s_loop;
struct k1s_writer;
struct ctrl;

struct ctrl_config {
	const char *node_name;	/* pods are bound to this node */
};

/* Starts the reconcilers on the control loop: the scheduler (binds pods to
 * the node), Deployment -> ReplicaSet -> Pod, Service -> Endpoints and
 * EndpointSlices, and the events they record. They read the store's event
 * log from a before-sleep hook and write through `w`. NULL on failure. */
struct ctrl *ctrl_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
		      const struct ctrl_config *cfg);
void ctrl_free(struct ctrl *c);
/* True once the first reconcile is done: every controller has made one
 * pass over a full list of the store (as informers sync before their
 * controllers start), so what the store held at start is reconciled. */
bool ctrl_ready(const struct ctrl *c);

#endif
