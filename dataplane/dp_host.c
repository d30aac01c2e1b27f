/* The host state behind DP_SOURCE_CLIENT (see dp.h): a backend answers a
 * transparent socket's address, which is not the host's; the reply is
 * marked by nftables (`socket transparent 1`) and routed to the local
 * stack by a policy rule, where the socket takes it. This is the kernel's
 * TPROXY recipe (Documentation/networking/tproxy.rst). */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <nftables/libnftables.h>

#include "dp_int.h"
#include "k1s_log.h"

#define DP_NFT_TABLE "k1s"
#define DP_NFT_CHAIN "dp-reply"

/* One request, its acknowledgement read: 0 or -errno. */
static int nl_talk(struct nlmsghdr *nlh)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret = -errno;

	if (!nl)
		return ret;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
	} else {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		ret = n < 0 ? -errno : mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq,
						  mnl_socket_get_portid(nl), NULL, NULL);
		if (ret < 0)
			ret = -errno;
	}
	mnl_socket_close(nl);
	return ret;
}

static int rule(uint16_t type, uint16_t flags)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_INET;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, DP_REPLY_TABLE);
	mnl_attr_put_u32(nlh, FRA_FWMARK, DP_REPLY_MARK);
	mnl_attr_put_u32(nlh, FRA_FWMASK, DP_REPLY_MARK);
	mnl_attr_put_u32(nlh, FRA_TABLE, DP_REPLY_TABLE);
	return nl_talk(nlh);
}

static int route(uint16_t type, uint16_t flags)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	unsigned lo = if_nametoindex("lo");

	if (!lo)
		return -ENODEV;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_HOST;
	rtm->rtm_type = RTN_LOCAL;
	mnl_attr_put_u32(nlh, RTA_TABLE, DP_REPLY_TABLE);
	mnl_attr_put_u32(nlh, RTA_OIF, lo);
	return nl_talk(nlh);
}

/* Runs an nft script; on failure logs its first error line. */
static int nft(const char *script, bool quiet)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int ret;

	if (!ctx)
		return -ENOMEM;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	ret = nft_run_cmd_from_buffer(ctx, script) == 0 ? 0 : -EINVAL;
	if (ret < 0 && !quiet) {
		const char *e = nft_ctx_get_error_buffer(ctx);
		int len = (int)strcspn(e ? e : "", "\n");

		k1s_warn("dp", "nftables table ip %s: %.*s", DP_NFT_TABLE, len, e ? e : "");
	}
	nft_ctx_free(ctx);
	return ret;
}

/* The table is replaced whole in one transaction: what a previous run
 * left is reconciled, and another k1s's replies are never unmarked. */
static const char nft_setup[] =
	"add table ip " DP_NFT_TABLE "\n"
	"delete table ip " DP_NFT_TABLE "\n"
	"table ip " DP_NFT_TABLE " {\n"
	"	chain " DP_NFT_CHAIN " {\n"
	"		type filter hook prerouting priority mangle; policy accept;\n"
	"		meta l4proto { tcp, udp } fib daddr type != local socket transparent 1 "
	"meta mark set meta mark or %#x\n"
	"	}\n"
	"}\n";

int dp_host_setup(void)
{
	char script[sizeof(nft_setup) + 16];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, ret;
	const char *what;

	/* IP_TRANSPARENT needs CAP_NET_ADMIN: try it before touching the host. */
	ret = fd < 0 || setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0
		      ? -errno
		      : 0;
	if (fd >= 0)
		close(fd);
	what = "IP_TRANSPARENT";
	if (ret == 0) {
		snprintf(script, sizeof(script), nft_setup, DP_REPLY_MARK);
		what = "nftables socket match";
		ret = nft(script, false);
	}
	if (ret == 0) {
		what = "the reply route";
		ret = route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	}
	if (ret == 0) {
		what = "the reply rule";
		ret = rule(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
		if (ret == -EEXIST)	/* ours, from another k1s or a crash */
			ret = 0;
	}
	if (ret < 0) {
		k1s_warn("dp", "%s: %s; backends see the node's address, not the client's", what,
			 strerror(-ret));
	}
	return ret;
}

void dp_host_teardown(void)
{
	char script[64];

	snprintf(script, sizeof(script), "delete table ip %s\n", DP_NFT_TABLE);
	nft(script, true);
	while (rule(RTM_DELRULE, 0) == 0)
		;
	route(RTM_DELROUTE, 0);
}
