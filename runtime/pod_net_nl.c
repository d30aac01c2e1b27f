/* rtnetlink requests over libmnl, and network namespaces entered on
 * short-lived threads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/random.h>

#include "pod_net_nl.h"

/* Big enough for a dump batch, which the kernel sizes to the reader's
 * buffer up to 32 KiB. */
#define POD_NL_BUFSZ 32768

struct pod_nl_attrs {
	const struct nlattr *tb[128];
	int max;
};

static int pod_nl_attr_cb(const struct nlattr *a, void *data)
{
	struct pod_nl_attrs *at = data;
	int type = mnl_attr_get_type(a);

	if (type <= at->max && type < (int)(sizeof(at->tb) / sizeof(at->tb[0])))
		at->tb[type] = a;
	return MNL_CB_OK;
}

/* The attribute's payload if it holds at least len bytes, else NULL. */
static const void *pod_nl_attr(const struct pod_nl_attrs *at, int type, size_t len)
{
	if (type > at->max || !at->tb[type] || mnl_attr_get_payload_len(at->tb[type]) < len)
		return NULL;
	return mnl_attr_get_payload(at->tb[type]);
}

static const char *pod_nl_attr_str(const struct pod_nl_attrs *at, int type)
{
	if (type > at->max || !at->tb[type] || mnl_attr_validate(at->tb[type], MNL_TYPE_NUL_STRING) < 0)
		return NULL;
	return mnl_attr_get_str(at->tb[type]);
}

int pod_nl_open(struct pod_nl *nl, int fd)
{
	int err;

	memset(nl, 0, sizeof(*nl));
	if (fd < 0)
		nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	else
		nl->sk = mnl_socket_fdopen(fd);
	if (!nl->sk) {
		err = errno ? -errno : -ENOMEM;
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl->sk);
		nl->sk = NULL;
		return err;
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void pod_nl_close(struct pod_nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	nl->sk = NULL;
}

static bool pod_nl_last(const char *buf, ssize_t n)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int len = (int)n;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
			return true;
	return false;
}

static void pod_nl_drain(struct pod_nl *nl, char *buf, ssize_t n)
{
	while (!pod_nl_last(buf, n)) {
		n = mnl_socket_recvfrom(nl->sk, buf, POD_NL_BUFSZ);
		if (n <= 0 && errno != EINTR)
			return;
	}
}

/* Sends one request and reads until its acknowledgement or the end of
 * its dump. A request that is not a dump asks for an acknowledgement, so
 * that kernel errors come back as the return value. */
static int pod_nl_talk(struct pod_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char *buf;
	unsigned int seq = ++nl->seq;
	int ret;

	nlh->nlmsg_seq = seq;
	/* The dump flags share bits with NLM_F_REPLACE and friends: they
	 * mean a dump only on a get (RTM_GET* are 2 mod 4). */
	if ((nlh->nlmsg_type & 3) != 2 || (nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	buf = malloc(POD_NL_BUFSZ);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, buf, POD_NL_BUFSZ);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		errno = 0;
		ret = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, data);
		if (ret == MNL_CB_ERROR) {
			ret = errno ? -errno : -EIO;
			/* A dump that the table changed under: read what
			 * is left of it, so that the socket stays usable
			 * and the caller can ask again. */
			if (ret == -EINTR)
				pod_nl_drain(nl, buf, n);
			break;
		}
		if (ret == MNL_CB_STOP) {
			ret = 0;
			break;
		}
	}
	free(buf);
	return ret;
}

/* A dump, asked again (up to three times) if it was interrupted; the
 * callbacks may see some entries twice. */
static int pod_nl_dump(struct pod_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int ret;

	for (int i = 0; i < 3; i++) {
		ret = pod_nl_talk(nl, nlh, cb, data);
		if (ret != -EINTR)
			break;
	}
	return ret;
}

static struct nlmsghdr *pod_nl_msg(char *buf, int type, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/* ---- links ---- */

struct pod_nl_link {
	int index;
	unsigned char mac[6];
	bool has_mac;
};

static int pod_nl_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pod_nl_link *l = data;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct pod_nl_attrs at = { .max = IFLA_MAX };
	const unsigned char *mac;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifm), pod_nl_attr_cb, &at) < 0)
		return MNL_CB_OK;
	l->index = ifm->ifi_index;
	mac = pod_nl_attr(&at, IFLA_ADDRESS, 6);
	if (mac) {
		memcpy(l->mac, mac, 6);
		l->has_mac = true;
	}
	return MNL_CB_OK;
}

int pod_nl_link_get(struct pod_nl *nl, const char *name, int *index, unsigned char mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = pod_nl_msg(buf, RTM_GETLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	struct pod_nl_link l = { 0 };
	int ret;

	if (strlen(name) >= IFNAMSIZ)
		return -ENODEV;
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	ret = pod_nl_talk(nl, nlh, pod_nl_link_cb, &l);
	if (ret < 0)
		return ret;
	if (l.index <= 0)
		return -ENODEV;
	if (mac) {
		if (!l.has_mac)
			return -EINVAL;
		memcpy(mac, l.mac, 6);
	}
	*index = l.index;
	return 0;
}

int pod_nl_link_up(struct pod_nl *nl, int index)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = pod_nl_msg(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return pod_nl_talk(nl, nlh, NULL, NULL);
}

int pod_nl_link_del(struct pod_nl *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = pod_nl_msg(buf, RTM_DELLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	if (strlen(name) >= IFNAMSIZ)
		return -ENODEV;
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return pod_nl_talk(nl, nlh, NULL, NULL);
}

int pod_nl_veth_add(struct pod_nl *nl, const char *name, const char *peer, int nsfd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = pod_nl_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	struct nlattr *info, *data, *pn;
	struct ifinfomsg *pifm;
	unsigned char mac[2][6];

	if (strlen(name) >= IFNAMSIZ || strlen(peer) >= IFNAMSIZ)
		return -EINVAL;
	/* Addresses of our own, locally administered: a random one from
	 * the kernel is replaced by systemd-udevd's MACAddressPolicy=
	 * persistent a moment later, after the pod has pinned the host
	 * end's address as its gateway's; udevd leaves a set one alone. */
	if (getrandom(mac, sizeof(mac), 0) != (ssize_t)sizeof(mac))
		return -EIO;
	for (int i = 0; i < 2; i++)
		mac[i][0] = (unsigned char)((mac[i][0] & 0xfe) | 0x02);
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac[0]);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* The peer is a whole link message: an ifinfomsg, then its
	 * attributes. Created straight in the namespace, so its name
	 * cannot clash with the host's eth0. */
	pn = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm));
	pifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac[1]);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	mnl_attr_nest_end(nlh, pn);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return pod_nl_talk(nl, nlh, NULL, NULL);
}

struct pod_nl_each {
	const char *prefix;
	void (*fn)(void *arg, const char *name);
	void *arg;
};

static int pod_nl_veth_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pod_nl_each *e = data;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct pod_nl_attrs at = { .max = IFLA_MAX };
	struct pod_nl_attrs li = { .max = IFLA_INFO_MAX };
	const char *name, *kind;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifm), pod_nl_attr_cb, &at) < 0)
		return MNL_CB_OK;
	name = pod_nl_attr_str(&at, IFLA_IFNAME);
	if (!name || strncmp(name, e->prefix, strlen(e->prefix)) != 0 || !at.tb[IFLA_LINKINFO])
		return MNL_CB_OK;
	if (mnl_attr_parse_nested(at.tb[IFLA_LINKINFO], pod_nl_attr_cb, &li) < 0)
		return MNL_CB_OK;
	kind = pod_nl_attr_str(&li, IFLA_INFO_KIND);
	if (kind && strcmp(kind, "veth") == 0)
		e->fn(e->arg, name);
	return MNL_CB_OK;
}

int pod_nl_veth_each(struct pod_nl *nl, const char *prefix,
		     void (*fn)(void *arg, const char *name), void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = pod_nl_msg(buf, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	struct pod_nl_each e = { prefix, fn, arg };

	ifm->ifi_family = AF_UNSPEC;
	return pod_nl_dump(nl, nlh, pod_nl_veth_cb, &e);
}

/* ---- addresses and neighbours ---- */

int pod_nl_addr_add(struct pod_nl *nl, int index, uint32_t addr, int plen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = pod_nl_msg(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)index;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	return pod_nl_talk(nl, nlh, NULL, NULL);
}

struct pod_nl_addr {
	int index;
	uint32_t addr;
	bool found;
};

static int pod_nl_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pod_nl_addr *a = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct pod_nl_attrs at = { .max = IFA_MAX };
	const uint32_t *p;

	if (a->found || nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET || (int)ifa->ifa_index != a->index)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), pod_nl_attr_cb, &at) < 0)
		return MNL_CB_OK;
	p = pod_nl_attr(&at, IFA_LOCAL, 4);
	if (!p)
		p = pod_nl_attr(&at, IFA_ADDRESS, 4);
	if (p) {
		memcpy(&a->addr, p, 4);
		a->found = true;
	}
	return MNL_CB_OK;
}

int pod_nl_addr_get(struct pod_nl *nl, int index, uint32_t *addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = pod_nl_msg(buf, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct pod_nl_addr a = { .index = index };
	int ret;

	ifa->ifa_family = AF_INET;
	ret = pod_nl_dump(nl, nlh, pod_nl_addr_cb, &a);
	if (ret < 0)
		return ret;
	if (!a.found)
		return -ENOENT;
	*addr = a.addr;
	return 0;
}

int pod_nl_neigh_set(struct pod_nl *nl, int index, uint32_t addr, const unsigned char mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = pod_nl_msg(buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));

	nd->ndm_family = AF_INET;
	nd->ndm_ifindex = index;
	nd->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_DST, sizeof(addr), &addr);
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	return pod_nl_talk(nl, nlh, NULL, NULL);
}

/* ---- routes ---- */

static void pod_nl_route_put(struct nlmsghdr *nlh, const struct pod_nl_route *r)
{
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (unsigned char)r->plen;
	rtm->rtm_table = r->table;
	rtm->rtm_protocol = POD_NET_RTPROT;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = r->type;
	rtm->rtm_flags = r->flags;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->plen > 0)
		mnl_attr_put(nlh, RTA_DST, sizeof(r->dst), &r->dst);
	if (r->gw)
		mnl_attr_put(nlh, RTA_GATEWAY, sizeof(r->gw), &r->gw);
	if (r->oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
}

int pod_nl_route_set(struct pod_nl *nl, const struct pod_nl_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = pod_nl_msg(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);

	pod_nl_route_put(nlh, r);
	return pod_nl_talk(nl, nlh, NULL, NULL);
}

int pod_nl_route_del(struct pod_nl *nl, const struct pod_nl_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = pod_nl_msg(buf, RTM_DELROUTE, 0);

	/* The protocol in the request makes the kernel delete only a
	 * route that k1s installed. */
	pod_nl_route_put(nlh, r);
	return pod_nl_talk(nl, nlh, NULL, NULL);
}

struct pod_nl_route_each {
	void (*fn)(void *arg, uint32_t dst, int oif);
	void *arg;
	unsigned char table;
};

static int pod_nl_route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pod_nl_route_each *e = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct pod_nl_attrs at = { .max = RTA_MAX };
	const uint32_t *table, *dst, *oif;
	uint32_t d;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	if (rtm->rtm_family != AF_INET || rtm->rtm_protocol != POD_NET_RTPROT ||
	    rtm->rtm_dst_len != 32)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*rtm), pod_nl_attr_cb, &at) < 0)
		return MNL_CB_OK;
	table = pod_nl_attr(&at, RTA_TABLE, 4);
	if ((table ? *table : rtm->rtm_table) != e->table)
		return MNL_CB_OK;
	dst = pod_nl_attr(&at, RTA_DST, 4);
	oif = pod_nl_attr(&at, RTA_OIF, 4);
	if (!dst || !oif)
		return MNL_CB_OK;
	memcpy(&d, dst, 4);
	e->fn(e->arg, d, (int)*oif);
	return MNL_CB_OK;
}

int pod_nl_route_each(struct pod_nl *nl, unsigned char table,
		      void (*fn)(void *arg, uint32_t dst, int oif), void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = pod_nl_msg(buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct pod_nl_route_each e = { fn, arg, table };

	rtm->rtm_family = AF_INET;
	return pod_nl_dump(nl, nlh, pod_nl_route_cb, &e);
}

/* ---- namespaces ---- */

int pod_ns_prepare_dir(const char *dir)
{
	bool bound = false;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	/* EINVAL: dir is not a mount point yet; bind it onto itself once
	 * so that it becomes one. */
	while (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL || bound)
			return -errno;
		if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0)
			return -errno;
		bound = true;
	}
	return 0;
}

struct pod_ns_job {
	const char *path;
	bool create;
	const char *const *sysctls;
	int domain, type, proto;
	int fd;
};

static int pod_ns_sysctls(const char *const *kv)
{
	char path[128];

	for (; kv && kv[0]; kv += 2) {
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "/proc/sys/%s", kv[0]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = write(fd, kv[1], strlen(kv[1]));
		close(fd);
		if (n < 0)
			return -errno;
	}
	return 0;
}

static void *pod_ns_main(void *arg)
{
	struct pod_ns_job *j = arg;
	struct statfs sfs;
	int nsfd;

	/* setns() and unshare() of CLONE_NEWNET change only this thread,
	 * and a socket stays in the namespace it was made in after the
	 * thread ends. */
	if (j->create) {
		if (unshare(CLONE_NEWNET) < 0 ||
		    mount("/proc/thread-self/ns/net", j->path, "none", MS_BIND, NULL) < 0) {
			j->fd = -errno;
			return NULL;
		}
	} else {
		nsfd = open(j->path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			j->fd = -errno;
			return NULL;
		}
		/* A file left without its mount is not a namespace. */
		if (fstatfs(nsfd, &sfs) < 0)
			j->fd = -errno;
		else if (sfs.f_type != NSFS_MAGIC)
			j->fd = -EINVAL;
		else if (setns(nsfd, CLONE_NEWNET) < 0)
			j->fd = -errno;
		else
			j->fd = 0;
		close(nsfd);
		if (j->fd < 0)
			return NULL;
	}
	/* /proc/sys/net shows the namespace of the thread that looks. */
	j->fd = pod_ns_sysctls(j->sysctls);
	if (j->fd < 0)
		return NULL;
	j->fd = socket(j->domain, j->type | SOCK_CLOEXEC, j->proto);
	if (j->fd < 0)
		j->fd = -errno;
	return NULL;
}

int pod_ns_socket(const char *path, bool create, const char *const *sysctls, int domain,
		  int type, int proto)
{
	struct pod_ns_job j = { path, create, sysctls, domain, type, proto, -EIO };
	pthread_t t;
	int ret;

	ret = pthread_create(&t, NULL, pod_ns_main, &j);
	if (ret != 0)
		return -ret;
	pthread_join(t, NULL);
	return j.fd;
}
