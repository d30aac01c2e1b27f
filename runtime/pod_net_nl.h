/* rtnetlink and network namespace helpers for pod_net.c. Addresses are
 * IPv4 in network byte order. Every call returns 0 or a negative errno.
 * Threading: called from the control loop; a namespace operation runs on
 * a short-lived thread so that the calling thread never changes
 * namespace. */
#ifndef POD_NET_NL_H
#define POD_NET_NL_H

#include <stdbool.h>
#include <stdint.h>

/* The protocol number on every route k1s installs, so it can find them
 * again ("k" in ASCII; not one of the numbers iproute2 reserves). */
#define POD_NET_RTPROT 107

struct pod_nl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
};

struct pod_nl_route {
	uint32_t dst;
	int plen;
	uint32_t gw;		/* 0: none */
	int oif;
	unsigned char table;	/* RT_TABLE_* */
	unsigned char type;	/* RTN_* */
	unsigned char scope;	/* RT_SCOPE_*; RT_SCOPE_NOWHERE matches any on delete */
	unsigned int flags;	/* RTNH_F_* */
};

/* A route socket in the caller's namespace (fd < 0), or around fd, an
 * AF_NETLINK/NETLINK_ROUTE socket made elsewhere; the socket owns fd from
 * then on, even on failure. */
int pod_nl_open(struct pod_nl *nl, int fd);
void pod_nl_close(struct pod_nl *nl);

/* The index of a link by name (and its MAC if mac != NULL): -ENODEV if
 * there is none. */
int pod_nl_link_get(struct pod_nl *nl, const char *name, int *index, unsigned char mac[6]);
int pod_nl_link_up(struct pod_nl *nl, int index);
/* Deletes a link by name: -ENODEV if there is none. */
int pod_nl_link_del(struct pod_nl *nl, const char *name);
/* A veth pair: `name` here and `peer` in the namespace nsfd. */
int pod_nl_veth_add(struct pod_nl *nl, const char *name, const char *peer, int nsfd);
/* Calls fn with the name of every veth whose name starts with prefix. */
int pod_nl_veth_each(struct pod_nl *nl, const char *prefix,
		     void (*fn)(void *arg, const char *name), void *arg);

/* Adds or keeps addr/plen on the link. */
int pod_nl_addr_add(struct pod_nl *nl, int index, uint32_t addr, int plen);
/* The first IPv4 address on the link: -ENOENT if none. */
int pod_nl_addr_get(struct pod_nl *nl, int index, uint32_t *addr);
/* A permanent neighbour entry. */
int pod_nl_neigh_set(struct pod_nl *nl, int index, uint32_t addr, const unsigned char mac[6]);

/* Adds or replaces a route, with protocol POD_NET_RTPROT. */
int pod_nl_route_set(struct pod_nl *nl, const struct pod_nl_route *r);
/* Deletes a route of protocol POD_NET_RTPROT: -ESRCH if there is none. */
int pod_nl_route_del(struct pod_nl *nl, const struct pod_nl_route *r);
/* Calls fn for every /32 route of protocol POD_NET_RTPROT in `table`
 * (RT_TABLE_MAIN, RT_TABLE_LOCAL), with its destination and output link. */
int pod_nl_route_each(struct pod_nl *nl, unsigned char table,
		      void (*fn)(void *arg, uint32_t dst, int oif), void *arg);

/* Makes /run/netns a shared mount point, as iproute2 does, so that the
 * namespace mounts in it propagate to mount namespaces made later, and
 * their removal too. */
int pod_ns_prepare_dir(const char *dir);
/* A socket inside the network namespace mounted at path; with create, a
 * new namespace, bind-mounted on path (an existing empty file) first.
 * sysctls: NULL, or name/value pairs under /proc/sys ending with NULL, to
 * set in the namespace first. The fd or a negative errno. */
int pod_ns_socket(const char *path, bool create, const char *const *sysctls, int domain,
		  int type, int proto);

#endif
