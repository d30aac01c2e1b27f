/* LoadBalancer addresses on the node's network, as MetalLB's layer-2 mode
 * gives them: an address of the pool that lies on the subnet of one of
 * the host's interfaces is added to that interface as a /32, so that the
 * kernel answers ARP for it, and announced with a gratuitous ARP so that
 * neighbours that cached another owner learn the new one at once.
 * Before an address is first claimed, an ARP probe (RFC 5227) asks
 * whether someone on the link has it already.
 *
 * Addresses carry the label "<ifname>:k1s" (the ifname cut to fit
 * IFNAMSIZ), which is how a later run recognises and removes what an
 * earlier one left. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "dp_int.h"
#include "k1s_log.h"
#include "k1s_loop.h"

#define DP_L2_SUFFIX ":k1s"

/* The ARP payload for IPv4 over Ethernet (RFC 826), after the header. */
struct arp_eth {
	struct arphdr h;
	uint8_t sha[ETH_ALEN];
	uint8_t spa[4];
	uint8_t tha[ETH_ALEN];
	uint8_t tpa[4];
} __attribute__((packed));

/* ---- interfaces ---- */

static int iface_mac(const char *name, uint8_t mac[ETH_ALEN])
{
	struct ifaddrs *ifa, *i;
	int err = -ENOENT;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_ll *ll = (const void *)i->ifa_addr;

		if (ll && ll->sll_family == AF_PACKET && strcmp(i->ifa_name, name) == 0 &&
		    ll->sll_halen == ETH_ALEN) {
			memcpy(mac, ll->sll_addr, ETH_ALEN);
			err = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return err;
}

int dp_l2_iface_for(uint32_t ip, struct dp_l2_if *ifc)
{
	struct ifaddrs *ifa, *i;
	int err = -ENOENT;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i && err; i = i->ifa_next) {
		const struct sockaddr_in *a = (const void *)i->ifa_addr;
		const struct sockaddr_in *m = (const void *)i->ifa_netmask;
		uint32_t addr, mask;

		if (!a || !m || a->sin_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
		    !(i->ifa_flags & IFF_UP) || strchr(i->ifa_name, ':'))
			continue;
		addr = ntohl(a->sin_addr.s_addr);
		mask = ntohl(m->sin_addr.s_addr);
		/* A /32 (ours among them) says nothing about a subnet. */
		if (mask == ~UINT32_C(0) || (addr & mask) != (ip & mask))
			continue;
		memset(ifc, 0, sizeof(*ifc));
		snprintf(ifc->name, sizeof(ifc->name), "%s", i->ifa_name);
		ifc->index = (int)if_nametoindex(i->ifa_name);
		ifc->net.net = addr & mask;
		ifc->net.bits = __builtin_popcount(mask);
		if (ifc->index > 0 && iface_mac(ifc->name, ifc->mac) == 0)
			err = 0;
	}
	freeifaddrs(ifa);
	return err;
}

bool dp_l2_is_local(uint32_t ip)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(ip)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool local;

	if (fd < 0)
		return false;
	/* Without IP_FREEBIND, bind() takes only an address the host has:
	 * its own, 127/8, or one routed `local` (the service range). */
	local = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EADDRINUSE;
	close(fd);
	return local;
}

int dp_l2_auto_pool(uint32_t node_ip, struct k1s_ip4_range *r)
{
	struct dp_l2_if ifc;
	uint32_t bcast;

	if (dp_l2_iface_for(node_ip, &ifc) < 0)
		return -ENOENT;
	/* Ten addresses, 6 to 15 below the broadcast address (.240-.249 of a
	 * /24): DHCP servers of home routers and of VirtualBox's host-only
	 * network hand out the low and middle part, and the router itself
	 * often sits at .1 or .254. Every one is probed before it is taken. */
	if (ifc.net.bits > 27)
		return -ERANGE;
	bcast = ifc.net.net | ~k1s_cidr_mask(&ifc.net);
	r->lo = bcast - 15;
	r->hi = bcast - 6;
	return 0;
}

/* ---- ARP ---- */

bool dp_l2_arp_claims(const uint8_t *buf, size_t len, uint32_t ip, const uint8_t mac[ETH_ALEN])
{
	const struct arp_eth *p = (const void *)buf;
	uint8_t want[4];

	if (len < sizeof(*p) || ntohs(p->h.ar_hrd) != ARPHRD_ETHER ||
	    ntohs(p->h.ar_pro) != ETHERTYPE_IP || p->h.ar_hln != ETH_ALEN || p->h.ar_pln != 4)
		return false;
	if (ntohs(p->h.ar_op) != ARPOP_REQUEST && ntohs(p->h.ar_op) != ARPOP_REPLY)
		return false;
	if (memcmp(p->sha, mac, ETH_ALEN) == 0)
		return false;	/* our own frame */
	memcpy(want, &(uint32_t){htonl(ip)}, 4);
	/* RFC 5227 2.1.1: a packet from the address is a conflict, and so is
	 * another host's probe for it (sender 0.0.0.0, target the address). */
	if (memcmp(p->spa, want, 4) == 0)
		return true;
	return ntohs(p->h.ar_op) == ARPOP_REQUEST && memcmp(p->spa, "\0\0\0\0", 4) == 0 &&
	       memcmp(p->tpa, want, 4) == 0;
}

static int arp_socket(const struct dp_l2_if *ifc)
{
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
				 .sll_ifindex = ifc->index};
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* An ARP request to the broadcast address, out of ifc only. */
static int arp_send(int fd, const struct dp_l2_if *ifc, uint32_t spa, uint32_t tpa)
{
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
				 .sll_ifindex = ifc->index, .sll_halen = ETH_ALEN};
	struct arp_eth p = {.h = {htons(ARPHRD_ETHER), htons(ETHERTYPE_IP), ETH_ALEN, 4,
				  htons(ARPOP_REQUEST)}};
	uint32_t s = htonl(spa), t = htonl(tpa);

	memset(to.sll_addr, 0xff, ETH_ALEN);
	memcpy(p.sha, ifc->mac, ETH_ALEN);
	memcpy(p.spa, &s, 4);
	memcpy(p.tpa, &t, 4);
	if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* RFC 5227 asks for three probes one to two seconds apart and two more
 * seconds of listening, seven in all. A host on the link answers in well
 * under a millisecond, and a LoadBalancer should answer within a second
 * of its creation, so the probes go 100 ms apart and the last is given
 * 200 ms. */
#define PROBES 3
#define PROBE_GAP_MS 100
#define PROBE_LAST_MS 200

static void probe_end(struct dp_l2_probe *p, int result)
{
	k1s_loop_del_fd(p->loop, p->fd);
	close(p->fd);
	p->fd = -1;
	if (p->timer)
		k1s_loop_cancel(p->loop, p->timer);
	p->timer = NULL;
	p->active = false;
	p->done(p->arg, p->ip, result);
}

static void probe_read(void *arg, int fd, uint32_t events)
{
	struct dp_l2_probe *p = arg;
	uint8_t buf[128];
	ssize_t n;

	(void)events;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		if (dp_l2_arp_claims(buf, (size_t)n, p->ip, p->ifc.mac)) {
			probe_end(p, -EADDRINUSE);
			return;
		}
}

static void probe_tick(void *arg)
{
	struct dp_l2_probe *p = arg;
	int err;

	p->timer = NULL;	/* fired: freed by the loop */
	if (p->sent == PROBES) {
		probe_end(p, 0);
		return;
	}
	if ((err = arp_send(p->fd, &p->ifc, 0, p->ip)) < 0) {
		probe_end(p, err);
		return;
	}
	p->sent++;
	p->timer = k1s_loop_timer(p->loop, p->sent < PROBES ? PROBE_GAP_MS : PROBE_LAST_MS,
				  probe_tick, p);
	if (!p->timer)
		probe_end(p, -ENOMEM);
}

int dp_l2_probe_start(struct dp_l2_probe *p, struct k1s_loop *loop, const struct dp_l2_if *ifc,
		      uint32_t ip, void (*done)(void *arg, uint32_t ip, int result), void *arg)
{
	int fd = arp_socket(ifc), err;

	if (fd < 0)
		return fd;
	*p = (struct dp_l2_probe){.ifc = *ifc, .ip = ip, .fd = fd, .loop = loop, .done = done,
				  .arg = arg, .active = true};
	if ((err = k1s_loop_add_fd(loop, fd, EPOLLIN, probe_read, p)) < 0) {
		close(fd);
		p->active = false;
		return err;
	}
	/* The first probe goes at the next turn of the loop: done() is never
	 * called from inside this function. */
	if (!(p->timer = k1s_loop_timer(loop, 0, probe_tick, p))) {
		k1s_loop_del_fd(loop, fd);
		close(fd);
		p->active = false;
		return -ENOMEM;
	}
	return 0;
}

void dp_l2_probe_cancel(struct dp_l2_probe *p)
{
	if (!p->active)
		return;
	k1s_loop_del_fd(p->loop, p->fd);
	close(p->fd);
	if (p->timer)
		k1s_loop_cancel(p->loop, p->timer);
	p->active = false;
}

/* ---- addresses ---- */

static int nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned portid;
	int ret;

	if (!nl)
		return -errno;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		ret = n < 0 ? -1 : mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, arg);
	} while (ret > 0);
	ret = ret < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

static int addr_msg(uint16_t type, uint16_t flags, int ifindex, const char *label, uint32_t ip)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(ip));
	mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(ip));
	if (label)
		mnl_attr_put_strz(nlh, IFA_LABEL, label);
	return nl_talk(nlh, NULL, NULL);
}

int dp_l2_announce(const struct dp_l2_if *ifc, uint32_t ip)
{
	char label[IFNAMSIZ];
	int fd, err;

	snprintf(label, sizeof(label), "%.*s" DP_L2_SUFFIX,
		 (int)(IFNAMSIZ - sizeof(DP_L2_SUFFIX)), ifc->name);
	err = addr_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ifc->index, label, ip);
	if (err < 0)
		return err;
	/* A gratuitous ARP (RFC 5227's announcement: a request with the
	 * address as sender and target) updates neighbours' caches. */
	if ((fd = arp_socket(ifc)) < 0)
		return 0;
	arp_send(fd, ifc, ip, ip);
	close(fd);
	return 0;
}

int dp_l2_withdraw(int ifindex, uint32_t ip)
{
	return addr_msg(RTM_DELADDR, 0, ifindex, NULL, ip);
}

struct sweep {
	int n;
	struct {
		int ifindex;
		uint32_t ip;
	} found[256];
};

static int attr_cb(const struct nlattr *a, void *arg)
{
	const struct nlattr **tb = arg;

	if (mnl_attr_type_valid(a, IFA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int sweep_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	struct sweep *sw = arg;
	const char *label;
	size_t len;

	if (ifa->ifa_family != AF_INET || ifa->ifa_prefixlen != 32)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb);
	if (!tb[IFA_LABEL] || !tb[IFA_LOCAL] || mnl_attr_validate(tb[IFA_LABEL], MNL_TYPE_NUL_STRING) < 0 ||
	    mnl_attr_get_payload_len(tb[IFA_LOCAL]) != 4)
		return MNL_CB_OK;
	label = mnl_attr_get_str(tb[IFA_LABEL]);
	len = strlen(label);
	if (len < strlen(DP_L2_SUFFIX) ||
	    strcmp(label + len - strlen(DP_L2_SUFFIX), DP_L2_SUFFIX) != 0 ||
	    sw->n == (int)(sizeof(sw->found) / sizeof(sw->found[0])))
		return MNL_CB_OK;
	sw->found[sw->n].ifindex = (int)ifa->ifa_index;
	sw->found[sw->n].ip = ntohl(mnl_attr_get_u32(tb[IFA_LOCAL]));
	sw->n++;
	return MNL_CB_OK;
}

int dp_l2_sweep(void)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct sweep *sw = calloc(1, sizeof(*sw));
	int err;

	if (!sw)
		return -ENOMEM;
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	err = nl_talk(nlh, sweep_cb, sw);
	for (int i = 0; err == 0 && i < sw->n; i++) {
		char s[K1S_IP4_STRLEN];

		k1s_info("dp", "removing %s, left on the host by an earlier run",
			 k1s_ip4_str(sw->found[i].ip, s));
		dp_l2_withdraw(sw->found[i].ifindex, sw->found[i].ip);
	}
	free(sw);
	return err;
}
