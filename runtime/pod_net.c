/* The pod network on the host: a named network namespace and a routed
 * veth per pod, proxy ARP on the host end, and the pod address pool. See
 * pod_int.h for the layout. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "k1s_addr.h"
#include "k1s_log.h"
#include "pod_int.h"
#include "pod_net_nl.h"

#define POD_NET_DIR "/run/netns"
#define POD_NET_NSPREFIX "k1s-"
#define POD_NET_LINKPREFIX "k1s"
/* "k1s" + id fits an interface name (IFNAMSIZ - 1 = 15). */
#define POD_NET_IDMAX 12
/* The pod's gateway: link-local, answered by proxy ARP on the host end. */
#define POD_NET_GW "169.254.1.1"

struct pod_net_ip {
	char id[POD_NET_IDMAX + 1];
	uint32_t off;
	bool local; /* a face's: a local route on lo, no namespace */
};

struct pod_net {
	uint32_t pod_base;	/* host order */
	uint32_t pod_size;	/* addresses in the pod CIDR */
	uint8_t *used;		/* one bit per address of the pod CIDR */
	uint32_t next;		/* where the next search starts */
	struct pod_net_ip *ips;	/* who holds each address in use */
	size_t nips, capips;
	uint32_t svc_base;	/* host order */
	int svc_plen;
	bool dir_ready;
};

static bool pod_net_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > POD_NET_IDMAX || id[0] == '.' || id[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static int pod_net_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

static void pod_net_ntoa(uint32_t be, char *buf, size_t len)
{
	struct in_addr a = { be };

	if (!inet_ntop(AF_INET, &a, buf, (socklen_t)len) && len)
		buf[0] = '\0';
}

/* ---- the address pool ----
 *
 * Offsets into the pod CIDR; the network address, .1 (kept for a gateway,
 * as other CNIs do) and the broadcast address are never handed out. */

static bool pod_net_off_ok(const struct pod_net *net, uint32_t off)
{
	return off >= 2 && off < net->pod_size - 1;
}

static bool pod_net_used(const struct pod_net *net, uint32_t off)
{
	return net->used[off / 8] & (1u << (off % 8));
}

static struct pod_net_ip *pod_net_ip_find(struct pod_net *net, const char *id)
{
	for (size_t i = 0; i < net->nips; i++)
		if (strcmp(net->ips[i].id, id) == 0)
			return &net->ips[i];
	return NULL;
}

static struct pod_net_ip *pod_net_ip_owner(struct pod_net *net, uint32_t off)
{
	for (size_t i = 0; i < net->nips; i++)
		if (net->ips[i].off == off)
			return &net->ips[i];
	return NULL;
}

/* Records that id holds off, which must be free or already id's. */
static int pod_net_ip_take(struct pod_net *net, const char *id, uint32_t off)
{
	struct pod_net_ip *ip = pod_net_ip_find(net, id);

	if (ip) {
		net->used[ip->off / 8] &= (uint8_t)~(1u << (ip->off % 8));
	} else {
		if (net->nips == net->capips) {
			size_t cap = net->capips ? net->capips * 2 : 16;
			struct pod_net_ip *n = realloc(net->ips, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			net->ips = n;
			net->capips = cap;
		}
		ip = &net->ips[net->nips++];
		snprintf(ip->id, sizeof(ip->id), "%s", id);
		ip->local = false;
	}
	ip->off = off;
	net->used[off / 8] |= (uint8_t)(1u << (off % 8));
	return 0;
}

static bool pod_net_ip_release(struct pod_net *net, const char *id)
{
	struct pod_net_ip *ip = pod_net_ip_find(net, id);

	if (!ip)
		return false;
	net->used[ip->off / 8] &= (uint8_t)~(1u << (ip->off % 8));
	*ip = net->ips[--net->nips];
	return true;
}

/* The offset of a network-order address in the pod CIDR, or 0 (never a
 * valid one) if it is outside. */
static uint32_t pod_net_off(const struct pod_net *net, uint32_t be)
{
	uint32_t h = ntohl(be);

	if (h - net->pod_base >= net->pod_size)
		return 0;
	return h - net->pod_base;
}

/* An address for id: the one it holds, else want if free, else the next
 * free one after the last handed out, so that an address just released
 * goes back into use as late as possible. */
static int pod_net_ip_alloc(struct pod_net *net, const char *id, const char *want, uint32_t *off)
{
	struct pod_net_ip *ip = pod_net_ip_find(net, id);
	struct in_addr a;
	uint32_t o;

	if (ip) {
		*off = ip->off;
		return 0;
	}
	if (want && *want && inet_pton(AF_INET, want, &a) == 1) {
		o = pod_net_off(net, a.s_addr);
		if (pod_net_off_ok(net, o) && !pod_net_used(net, o)) {
			*off = o;
			return pod_net_ip_take(net, id, o);
		}
	}
	for (uint32_t i = 0; i < net->pod_size; i++) {
		o = (net->next + i) % net->pod_size;
		if (pod_net_off_ok(net, o) && !pod_net_used(net, o)) {
			net->next = o + 1;
			*off = o;
			return pod_net_ip_take(net, id, o);
		}
	}
	return -ENOSPC;
}

/* ---- the host side ---- */

static void pod_net_svc_route(const struct pod_net *net, int lo, struct pod_nl_route *r)
{
	memset(r, 0, sizeof(*r));
	r->dst = htonl(net->svc_base);
	r->plen = net->svc_plen;
	r->oif = lo;
	r->table = RT_TABLE_LOCAL;
	r->type = RTN_LOCAL;
	r->scope = RT_SCOPE_HOST;
}

/* A face's address, local to the host: the route has k1s's protocol
 * number, so a restart finds its own and nothing else on lo. */
static void pod_net_local_route(uint32_t ip, int lo, struct pod_nl_route *r)
{
	memset(r, 0, sizeof(*r));
	r->dst = ip;
	r->plen = 32;
	r->oif = lo;
	r->table = RT_TABLE_LOCAL;
	r->type = RTN_LOCAL;
	r->scope = RT_SCOPE_HOST;
}

struct pod_net_stale {
	struct pod_net *net;
	uint32_t ips[64];
	size_t n;
};

/* A face address of a previous run: removed on start, and made local
 * again as its pod is adopted. */
static void pod_net_scan_local(void *arg, uint32_t dst, int oif)
{
	struct pod_net_stale *s = arg;

	(void)oif;
	if (pod_net_off_ok(s->net, pod_net_off(s->net, dst)) &&
	    s->n < sizeof(s->ips) / sizeof(s->ips[0]))
		s->ips[s->n++] = dst;
}

struct pod_net_scan {
	struct pod_net *net;
	int err;
};

/* A /32 route of ours to a pod link: the pod holds that address. Run on
 * start so that addresses of pods from a previous run are not handed out
 * again before those pods are adopted or removed. */
static void pod_net_scan_route(void *arg, uint32_t dst, int oif)
{
	struct pod_net_scan *s = arg;
	char name[IF_NAMESIZE];
	const char *id;
	uint32_t off = pod_net_off(s->net, dst);

	if (!pod_net_off_ok(s->net, off) || !if_indextoname((unsigned int)oif, name))
		return;
	if (strncmp(name, POD_NET_LINKPREFIX, strlen(POD_NET_LINKPREFIX)) != 0)
		return;
	id = name + strlen(POD_NET_LINKPREFIX);
	if (!pod_net_id_ok(id) || pod_net_used(s->net, off) || pod_net_ip_find(s->net, id))
		return;
	if (pod_net_ip_take(s->net, id, off) < 0)
		s->err = -ENOMEM;
	else if (off >= s->net->next)
		s->net->next = off + 1;
}

struct pod_net *pod_net_new(const struct k1s_cidr *pods, const struct k1s_cidr *services,
                            int *err)
{
	struct pod_net *net;
	struct pod_net_scan scan;
	struct pod_nl nl;
	struct pod_nl_route r;
	struct k1s_cidr pc, sc;
	char ipbuf[K1S_IP4_STRLEN];
	bool svc_added = false;
	int plen, lo, ret;

	if (geteuid() != 0) {
		*err = -EPERM;
		return NULL;
	}
	net = calloc(1, sizeof(*net));
	if (!net) {
		*err = -ENOMEM;
		return NULL;
	}
	pc = *pods;
	sc = *services;
	if (pc.bits < 8 || pc.bits > 30 || sc.bits < 8) {
		k1s_err("pod", "a pod network of /%d or a service network of /%d: expected /8 to /30 "
		        "and /8 or longer", pc.bits, sc.bits);
		free(net);
		*err = -EINVAL;
		return NULL;
	}
	net->pod_base = pc.net;
	plen = pc.bits;
	net->svc_base = sc.net;
	net->svc_plen = sc.bits;
	net->pod_size = 1u << (32 - plen);
	net->next = 2;
	net->used = calloc(net->pod_size / 8, 1);
	if (!net->used) {
		free(net);
		*err = -ENOMEM;
		return NULL;
	}
	ret = pod_net_write("/proc/sys/net/ipv4/ip_forward", "1");
	if (ret < 0) {
		k1s_err("pod", "enabling IPv4 forwarding: %s", strerror(-ret));
		goto fail;
	}
	ret = pod_nl_open(&nl, -1);
	if (ret < 0)
		goto fail;
	ret = pod_nl_link_get(&nl, "lo", &lo, NULL);
	if (ret == 0) {
		pod_net_svc_route(net, lo, &r);
		ret = pod_nl_route_set(&nl, &r);
		svc_added = ret == 0;
		if (ret < 0)
			k1s_err("pod", "local route for the service network %s/%d: %s",
			        k1s_ip4_str(sc.net, ipbuf), sc.bits, strerror(-ret));
	}
	if (ret == 0) {
		scan.net = net;
		scan.err = 0;
		ret = pod_nl_route_each(&nl, RT_TABLE_MAIN, pod_net_scan_route, &scan);
		if (ret == 0)
			ret = scan.err;
		if (ret < 0)
			k1s_err("pod", "reading pod routes: %s", strerror(-ret));
	}
	if (ret == 0 && !pod_other_server()) {
		struct pod_net_stale stale = { .net = net };

		if (pod_nl_route_each(&nl, RT_TABLE_LOCAL, pod_net_scan_local, &stale) == 0)
			for (size_t i = 0; i < stale.n; i++) {
				pod_net_local_route(stale.ips[i], lo, &r);
				pod_nl_route_del(&nl, &r);
			}
	}
	pod_nl_close(&nl);
	if (ret < 0)
		goto fail;
	return net;
fail:
	if (svc_added && pod_nl_open(&nl, -1) == 0) {
		if (pod_nl_link_get(&nl, "lo", &lo, NULL) == 0) {
			pod_net_svc_route(net, lo, &r);
			pod_nl_route_del(&nl, &r);
		}
		pod_nl_close(&nl);
	}
	free(net->ips);
	free(net->used);
	free(net);
	*err = ret;
	return NULL;
}

void pod_net_free(struct pod_net *net)
{
	struct pod_nl nl;
	struct pod_nl_route r;
	int lo, ret;

	if (!net)
		return;
	/* Another server's services need the route still. */
	ret = pod_other_server() ? -ESRCH : pod_nl_open(&nl, -1);
	if (ret == 0) {
		ret = pod_nl_link_get(&nl, "lo", &lo, NULL);
		if (ret == 0) {
			pod_net_svc_route(net, lo, &r);
			ret = pod_nl_route_del(&nl, &r);
		}
		pod_nl_close(&nl);
	}
	if (ret < 0 && ret != -ESRCH)
		k1s_warn("pod", "removing the service route: %s", strerror(-ret));
	free(net->ips);
	free(net->used);
	free(net);
}

int pod_other_serve(bool (*same)(const char *pid, const char *args, size_t len, const void *arg),
                    const void *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char path[300], cmd[4096] = "";
		const char *base;
		size_t skip;
		ssize_t n;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || atoi(de->d_name) == getpid())
			continue;
		/* k1s serve itself: a pod's shim is k1s exec'd with argv[0]
		 * k1s-shim (pod_shim.c), the echo app is "k1s echo-server". */
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		if (n != 4 || memcmp(cmd, "k1s\n", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		if (n <= 0)
			continue;
		cmd[n] = '\0';
		base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
		skip = strlen(cmd) + 1;
		if (strcmp(base, "k1s") != 0 || (size_t)n <= skip || strcmp(cmd + skip, "serve") != 0)
			continue;
		skip += strlen("serve") + 1;
		if (same(de->d_name, cmd + skip, (size_t)n > skip ? (size_t)n - skip : 0, arg))
			found = atoi(de->d_name);
	}
	closedir(d);
	return found;
}

/* Pod networks and veths are named alike by every k1s, in its network
 * namespace. */
static bool same_netns(const char *pid, const char *args, size_t len, const void *arg)
{
	struct stat own, other;
	char path[64];

	(void)args, (void)len, (void)arg;
	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	if (stat("/proc/self/ns/net", &own) < 0 || stat(path, &other) < 0)
		return true; /* cannot tell: assume shared, and leave it alone */
	return own.st_ino == other.st_ino && own.st_dev == other.st_dev;
}

int pod_other_server(void)
{
	return pod_other_serve(same_netns, NULL);
}

void pod_net_ns_path(const char *id, char *path, size_t len)
{
	snprintf(path, len, POD_NET_DIR "/" POD_NET_NSPREFIX "%s", id);
}

/* ---- one pod ---- */

struct pod_net_pod {
	const char *id;
	char path[64];
	char link[IF_NAMESIZE];
	uint32_t ip;		/* network order */
};

static void pod_net_pod_init(struct pod_net_pod *p, const char *id)
{
	p->id = id;
	pod_net_ns_path(id, p->path, sizeof(p->path));
	snprintf(p->link, sizeof(p->link), POD_NET_LINKPREFIX "%s", id);
	p->ip = 0;
}

/* Brings both ends to the wanted state; every step may already be done,
 * so that adopting a pod repairs what a crash left half done. */
static int pod_net_configure(struct pod_nl *host, struct pod_nl *ns, const struct pod_net_pod *p)
{
	char path[128];
	unsigned char mac[6];
	struct pod_nl_route r;
	struct in_addr gw;
	int hidx, eth0, lo, ret;

	inet_pton(AF_INET, POD_NET_GW, &gw);
	ret = pod_nl_link_get(host, p->link, &hidx, mac);
	if (ret < 0)
		return ret;
	/* The host end answers ARP for the gateway (any address it routes
	 * elsewhere), and forwards the pod's packets. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/proxy_arp", p->link);
	ret = pod_net_write(path, "1");
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", p->link);
	ret = pod_net_write(path, "1");
	if (ret < 0)
		return ret;
	/* Strict reverse-path filtering: a packet from the pod whose source
	 * the host would not route back through this veth is dropped, so a
	 * pod (NET_RAW, NET_ADMIN) cannot pass for another pod or for an
	 * outside address and get around policy judged by source. The
	 * kernel takes max(all, this link): "all" at 0 leaves it strict. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", p->link);
	ret = pod_net_write(path, "1");
	if (ret < 0)
		return ret;
	ret = pod_nl_link_up(host, hidx);
	if (ret < 0)
		return ret;

	if ((ret = pod_nl_link_get(ns, "lo", &lo, NULL)) < 0 ||
	    (ret = pod_nl_link_up(ns, lo)) < 0 ||
	    (ret = pod_nl_link_get(ns, "eth0", &eth0, NULL)) < 0 ||
	    (ret = pod_nl_addr_add(ns, eth0, p->ip, 32)) < 0 ||
	    (ret = pod_nl_link_up(ns, eth0)) < 0)
		return ret;
	/* The gateway's MAC is known: a permanent entry spares the first
	 * packet an ARP round trip, and keeps working without proxy ARP. */
	ret = pod_nl_neigh_set(ns, eth0, gw.s_addr, mac);
	if (ret < 0)
		return ret;
	memset(&r, 0, sizeof(r));
	r.dst = gw.s_addr;
	r.plen = 32;
	r.oif = eth0;
	r.table = RT_TABLE_MAIN;
	r.type = RTN_UNICAST;
	r.scope = RT_SCOPE_LINK;
	ret = pod_nl_route_set(ns, &r);
	if (ret < 0)
		return ret;
	memset(&r, 0, sizeof(r));
	r.gw = gw.s_addr;
	r.oif = eth0;
	r.table = RT_TABLE_MAIN;
	r.type = RTN_UNICAST;
	r.scope = RT_SCOPE_UNIVERSE;
	r.flags = RTNH_F_ONLINK;
	ret = pod_nl_route_set(ns, &r);
	if (ret < 0)
		return ret;

	memset(&r, 0, sizeof(r));
	r.dst = p->ip;
	r.plen = 32;
	r.oif = hidx;
	r.table = RT_TABLE_MAIN;
	r.type = RTN_UNICAST;
	r.scope = RT_SCOPE_LINK;
	return pod_nl_route_set(host, &r);
}

/* Removes the pod's link and namespace mount; true if either existed.
 * Deleting the host end deletes the peer and the /32 route with it. */
static bool pod_net_teardown(struct pod_nl *host, const struct pod_net_pod *p)
{
	bool found = false;

	if (pod_nl_link_del(host, p->link) == 0)
		found = true;
	/* Detached: the namespace lives on while a process is still in
	 * it, but the name is free at once. */
	umount2(p->path, MNT_DETACH);
	if (unlink(p->path) == 0)
		found = true;
	return found;
}

/* Adopts a pod whose namespace, veth and address exist: 0 with p->ip
 * held in the pool, or a negative errno if something is missing. */
static int pod_net_adopt(struct pod_net *net, struct pod_nl *host, struct pod_net_pod *p)
{
	struct pod_nl ns;
	struct pod_net_ip *owner;
	uint32_t ip, off;
	int fd, eth0, hidx, ret;

	if (access(p->path, F_OK) < 0 || pod_nl_link_get(host, p->link, &hidx, NULL) < 0)
		return -ENOENT;
	fd = pod_ns_socket(p->path, false, NULL, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	ret = pod_nl_open(&ns, fd);
	if (ret < 0)
		return ret;
	ret = pod_nl_link_get(&ns, "eth0", &eth0, NULL);
	if (ret == 0)
		ret = pod_nl_addr_get(&ns, eth0, &ip);
	if (ret == 0) {
		off = pod_net_off(net, ip);
		owner = pod_net_ip_owner(net, off);
		if (!pod_net_off_ok(net, off) || (owner && strcmp(owner->id, p->id) != 0))
			ret = -EADDRINUSE;
	}
	if (ret == 0)
		ret = pod_net_ip_take(net, p->id, off);
	if (ret == 0) {
		p->ip = ip;
		ret = pod_net_configure(host, &ns, p);
	}
	pod_nl_close(&ns);
	return ret;
}

/* Set in each new pod namespace, as container runtimes do: pods run as
 * an unprivileged user and still listen on their containerPorts below
 * 1024, and ping without raw sockets. */
static const char *const pod_net_sysctls[] = {
	"net/ipv4/ip_unprivileged_port_start", "0",
	"net/ipv4/ping_group_range", "0 2147483647",
	NULL,
};

static int pod_net_build(struct pod_net *net, struct pod_nl *host, struct pod_net_pod *p)
{
	struct pod_nl ns;
	int fd, nsfd, ret;

	if (!net->dir_ready) {
		ret = pod_ns_prepare_dir(POD_NET_DIR);
		if (ret < 0)
			return ret;
		net->dir_ready = true;
	}
	fd = open(p->path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	fd = pod_ns_socket(p->path, true, pod_net_sysctls, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	ret = pod_nl_open(&ns, fd);
	if (ret < 0)
		return ret;
	nsfd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		ret = -errno;
	} else {
		ret = pod_nl_veth_add(host, p->link, "eth0", nsfd);
		close(nsfd);
	}
	if (ret == 0)
		ret = pod_net_configure(host, &ns, p);
	pod_nl_close(&ns);
	return ret;
}

int pod_net_create(struct pod_net *net, const char *id, const char *want_ip, char *ip,
		   size_t iplen)
{
	struct pod_net_pod p;
	struct pod_nl host;
	uint32_t off;
	int ret;

	if (!pod_net_id_ok(id))
		return -EINVAL;
	pod_net_pod_init(&p, id);
	ret = pod_nl_open(&host, -1);
	if (ret < 0)
		return ret;
	if (pod_net_adopt(net, &host, &p) == 0)
		goto done;
	/* Whatever is left of it is not worth repairing: start over. The
	 * pod keeps its address if the pool knew it. */
	pod_net_teardown(&host, &p);
	ret = pod_net_ip_alloc(net, id, want_ip, &off);
	if (ret < 0)
		goto out;
	p.ip = htonl(net->pod_base + off);
	ret = pod_net_build(net, &host, &p);
	if (ret < 0) {
		pod_net_teardown(&host, &p);
		pod_net_ip_release(net, id);
		goto out;
	}
done:
	pod_net_ntoa(p.ip, ip, iplen);
	ret = 0;
out:
	pod_nl_close(&host);
	return ret;
}

int pod_net_create_local(struct pod_net *net, const char *id, const char *want_ip, char *ip,
			 size_t iplen)
{
	struct pod_nl host;
	struct pod_nl_route r;
	struct pod_net_ip *held;
	uint32_t off;
	int lo, ret;

	if (!pod_net_id_ok(id))
		return -EINVAL;
	ret = pod_net_ip_alloc(net, id, want_ip, &off);
	if (ret < 0)
		return ret;
	held = pod_net_ip_find(net, id);
	held->local = true;
	ret = pod_nl_open(&host, -1);
	if (ret == 0) {
		ret = pod_nl_link_get(&host, "lo", &lo, NULL);
		if (ret == 0) {
			pod_net_local_route(htonl(net->pod_base + off), lo, &r);
			ret = pod_nl_route_set(&host, &r);
		}
		pod_nl_close(&host);
	}
	if (ret < 0) {
		pod_net_ip_release(net, id);
		return ret;
	}
	pod_net_ntoa(htonl(net->pod_base + off), ip, iplen);
	return 0;
}

int pod_net_destroy(struct pod_net *net, const char *id)
{
	struct pod_net_pod p;
	struct pod_net_ip *held;
	struct pod_nl host;
	struct pod_nl_route r;
	bool found;
	int lo, ret;

	if (!pod_net_id_ok(id))
		return -ENOENT;
	pod_net_pod_init(&p, id);
	ret = pod_nl_open(&host, -1);
	if (ret < 0)
		return ret;
	held = pod_net_ip_find(net, id);
	if (held && held->local) {
		if (pod_nl_link_get(&host, "lo", &lo, NULL) == 0) {
			pod_net_local_route(htonl(net->pod_base + held->off), lo, &r);
			pod_nl_route_del(&host, &r);
		}
		pod_nl_close(&host);
		pod_net_ip_release(net, id);
		return 0;
	}
	found = pod_net_teardown(&host, &p);
	pod_nl_close(&host);
	if (pod_net_ip_release(net, id))
		found = true;
	return found ? 0 : -ENOENT;
}

struct pod_net_ids {
	char (*ids)[POD_NET_IDMAX + 1];
	size_t n, cap;
	int err;
};

static void pod_net_ids_add(struct pod_net_ids *s, const char *id)
{
	if (!pod_net_id_ok(id))
		return;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ids[i], id) == 0)
			return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char (*n)[POD_NET_IDMAX + 1] = realloc(s->ids, cap * sizeof(*n));

		if (!n) {
			s->err = -ENOMEM;
			return;
		}
		s->ids = n;
		s->cap = cap;
	}
	snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", id);
}

static void pod_net_ids_link(void *arg, const char *name)
{
	pod_net_ids_add(arg, name + strlen(POD_NET_LINKPREFIX));
}

int pod_net_each(struct pod_net *net, void (*fn)(void *arg, const char *id), void *arg)
{
	struct pod_net_ids s = { 0 };
	struct pod_nl host;
	struct dirent *de;
	DIR *d;
	int ret;

	d = opendir(POD_NET_DIR);
	if (d) {
		while ((de = readdir(d)))
			if (strncmp(de->d_name, POD_NET_NSPREFIX, strlen(POD_NET_NSPREFIX)) == 0)
				pod_net_ids_add(&s, de->d_name + strlen(POD_NET_NSPREFIX));
		closedir(d);
	} else if (errno != ENOENT) {
		return -errno;
	}
	ret = pod_nl_open(&host, -1);
	if (ret == 0) {
		ret = pod_nl_veth_each(&host, POD_NET_LINKPREFIX, pod_net_ids_link, &s);
		pod_nl_close(&host);
	}
	if (ret == 0)
		ret = s.err;
	/* Called after the listing, so that fn may destroy. */
	for (size_t i = 0; ret == 0 && i < s.n; i++)
		fn(arg, s.ids[i]);
	free(s.ids);
	return ret;
}

int pod_net_connect(const char *id, const char *ip, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char path[64];
	int fd;

	if (!pod_net_id_ok(id) || port <= 0 || port > 65535 ||
	    inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		return -EINVAL;
	sin.sin_port = htons((uint16_t)port);
	pod_net_ns_path(id, path, sizeof(path));
	fd = pod_ns_socket(path, false, NULL, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fd == -EINVAL ? -ENOENT : fd;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}
