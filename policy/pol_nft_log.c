/* The drop log: the policy chains log a dropped packet's headers to an
 * NFLOG group (nfnetlink_log); this reads them and writes one line per
 * dropped flow, naming the pod and the policies that isolate it. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "k1s_flow.h"
#include "k1s_log.h"
#include "pol_int.h"

/* Enough of a packet for its IPv4 header (options included) and ports. */
#define POL_NFLOG_SNAP 96
/* A flow's retransmissions within this many seconds are the same drop. */
#define POL_NFLOG_SAME_S 10
#define POL_NFLOG_RECENT 128

struct pol_nflog_flow {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	time_t at;
};

struct pol_nflog {
	struct mnl_socket *nl;
	uint16_t group;
	int per_s;
	time_t sec;		/* the second lines are being counted in */
	int lines;		/* lines written in it */
	uint64_t logged, missed, missed_said;
	struct pol_nflog_flow recent[POL_NFLOG_RECENT];
	size_t next;
	const struct pol_view *v;	/* during a read */
	struct k1s_flow_ring *flows;	/* NULL: no records */
};

static int config(struct mnl_socket *nl, uint16_t group, const void *attr_data, uint16_t type,
		  size_t len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	unsigned seq = (unsigned)time(NULL);
	ssize_t n;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(group);
	mnl_attr_put(nlh, type, len, attr_data);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* The socket is non-blocking: wait for the acknowledgement. */
	for (int tries = 0; tries < 100; tries++) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
			continue;
		}
		if (n < 0)
			return -errno;
		return mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL, NULL) < 0
			       ? -errno
			       : 0;
	}
	return -ETIMEDOUT;
}

struct pol_nflog *pol_nflog_new(uint16_t group, int per_s, int *err)
{
	struct pol_nflog *l = calloc(1, sizeof(*l));
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = { .copy_range = htonl(POL_NFLOG_SNAP),
					       .copy_mode = NFULNL_COPY_PACKET };
	uint32_t one = htonl(1), timeout = htonl(1);
	int ret;

	if (!l) {
		*err = -ENOMEM;
		return NULL;
	}
	l->group = group;
	l->per_s = per_s > 0 ? per_s : 10;
	if (group == 0)
		return l;
	l->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ret = l->nl ? 0 : -errno;
	if (ret == 0 && mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		ret = -errno;
	if (ret == 0)
		ret = config(l->nl, group, &cmd, NFULA_CFG_CMD, sizeof(cmd));
	if (ret == 0)
		ret = config(l->nl, group, &mode, NFULA_CFG_MODE, sizeof(mode));
	/* Each packet at once, not batched for a second. */
	if (ret == 0)
		ret = config(l->nl, group, &one, NFULA_CFG_QTHRESH, sizeof(one));
	if (ret == 0)
		ret = config(l->nl, group, &timeout, NFULA_CFG_TIMEOUT, sizeof(timeout));
	if (ret < 0) {
		if (l->nl)
			mnl_socket_close(l->nl);
		free(l);
		*err = ret;
		return NULL;
	}
	return l;
}

int pol_nflog_fd(const struct pol_nflog *l)
{
	return l->nl ? mnl_socket_get_fd(l->nl) : -1;
}

void pol_nflog_stats(const struct pol_nflog *l, uint64_t *logged, uint64_t *missed)
{
	*logged = l->logged;
	*missed = l->missed;
}

static const char *proto_name(uint8_t p, char *buf)
{
	switch (p) {
	case POL_TCP:
		return "TCP";
	case POL_UDP:
		return "UDP";
	case POL_SCTP:
		return "SCTP";
	case 1:
		return "ICMP";
	default:
		snprintf(buf, 16, "protocol %u", p);
		return buf;
	}
}

/* "ns/name", or the address when the view has no such pod. */
static const struct pol_pod *pod_of(const struct pol_view *v, uint32_t ip, size_t *idx)
{
	const struct pol_pod *p = v ? pol_view_pod_at(v, ip) : NULL;

	for (*idx = 0; p && *idx < pol_view_npods(v) && pol_view_pod(v, *idx) != p; (*idx)++)
		;
	return p;
}

static void say(struct pol_nflog *l, const char *prefix, const struct pol_nflog_flow *f,
		bool ports)
{
	char s[K1S_IP4_STRLEN], d[K1S_IP4_STRLEN], pb[16], sp[8] = "", dp[8] = "", who[320];
	char pols[512] = "";
	const char *const *names = NULL;
	const struct pol_pod *pod;
	size_t n = 0, idx;
	int dir;

	k1s_ip4_str(f->src, s);
	k1s_ip4_str(f->dst, d);
	if (ports) {
		snprintf(sp, sizeof(sp), ":%u", f->sport);
		snprintf(dp, sizeof(dp), ":%u", f->dport);
	}
	if (strncmp(prefix, "gate", 4) == 0) {
		pod = pod_of(l->v, f->src, &idx);
		if (pod)
			snprintf(who, sizeof(who), "%s/%s", pod->ns, pod->name);
		else
			snprintf(who, sizeof(who), "%s", s);
		k1s_info("policy", "dropped %s %s%s -> %s%s: no endpoint behind it admits %s",
			 proto_name(f->proto, pb), s, sp, d, dp, who);
		return;
	}
	dir = strncmp(prefix, "in", 2) == 0 ? POL_INGRESS : POL_EGRESS;
	pod = pod_of(l->v, dir == POL_INGRESS ? f->dst : f->src, &idx);
	if (pod) {
		snprintf(who, sizeof(who), "%s/%s", pod->ns, pod->name);
		n = pol_view_isolating(l->v, idx, (enum pol_dir)dir, &names);
	} else {
		snprintf(who, sizeof(who), "%s", dir == POL_INGRESS ? d : s);
	}
	for (size_t i = 0; i < n; i++) {
		size_t at = strlen(pols);

		snprintf(pols + at, sizeof(pols) - at, "%s%s", i ? ", " : "", names[i]);
	}
	/* A pod the view no longer knows (gone since) is named by its address. */
	k1s_info("policy", "dropped %s %s%s -> %s%s: %s of %s%s%s", proto_name(f->proto, pb), s, sp,
		 d, dp, dir == POL_INGRESS ? "ingress" : "egress", who,
		 pod ? " isolated by " : "", !pod ? "" : n ? pols : "a policy since changed");
}

void pol_nflog_set_flows(struct pol_nflog *l, struct k1s_flow_ring *ring)
{
	l->flows = ring;
}

/* The drop as a flow record: the policies isolating the pod that dropped
 * it, as say() names them. */
static void put_flow(struct pol_nflog *l, const char *prefix, const struct pol_nflog_flow *f)
{
	struct k1s_flow r;
	const char *const *names = NULL;
	const struct pol_pod *pod;
	size_t n = 0, idx, at = 0;
	int dir;

	if (!l->flows)
		return;
	memset(&r, 0, offsetof(struct k1s_flow, service));
	r.service[0] = r.name[0] = r.detail[0] = r.policies[0] = '\0';
	r.proto = f->proto;
	r.denied = true;
	r.src = f->src;
	r.dst = f->dst;
	r.sport = f->sport;
	r.dport = f->dport;
	if (strncmp(prefix, "gate", 4) != 0) {
		dir = strncmp(prefix, "in", 2) == 0 ? POL_INGRESS : POL_EGRESS;
		pod = pod_of(l->v, dir == POL_INGRESS ? f->dst : f->src, &idx);
		if (pod)
			n = pol_view_isolating(l->v, idx, (enum pol_dir)dir, &names);
	}
	for (size_t i = 0; i < n && at < sizeof(r.policies); i++)
		at += (size_t)snprintf(r.policies + at, sizeof(r.policies) - at, "%s%s",
				       i ? " " : "", names[i]);
	k1s_flow_put(l->flows, &r);
}

/* Whether the flow was logged lately; records it if not. */
static bool seen(struct pol_nflog *l, const struct pol_nflog_flow *f)
{
	for (size_t i = 0; i < POL_NFLOG_RECENT; i++) {
		const struct pol_nflog_flow *r = &l->recent[i];

		if (r->at && f->at - r->at < POL_NFLOG_SAME_S && r->src == f->src &&
		    r->dst == f->dst && r->sport == f->sport && r->dport == f->dport &&
		    r->proto == f->proto)
			return true;
	}
	l->recent[l->next] = *f;
	l->next = (l->next + 1) % POL_NFLOG_RECENT;
	return false;
}

static void packet(struct pol_nflog *l, const char *prefix, const uint8_t *p, size_t len)
{
	struct pol_nflog_flow f = { 0 };
	struct timespec now;
	size_t ihl;
	bool ports;

	if (len < 20 || (p[0] >> 4) != 4)
		return;
	ihl = (size_t)(p[0] & 15) * 4;
	if (ihl < 20 || ihl > len)
		return;
	f.proto = p[9];
	f.src = (uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 | (uint32_t)p[14] << 8 | p[15];
	f.dst = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 | p[19];
	ports = (f.proto == POL_TCP || f.proto == POL_UDP || f.proto == POL_SCTP) &&
		len >= ihl + 4;
	if (ports) {
		f.sport = (uint16_t)(p[ihl] << 8 | p[ihl + 1]);
		f.dport = (uint16_t)(p[ihl + 2] << 8 | p[ihl + 3]);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	f.at = now.tv_sec ? now.tv_sec : 1;
	if (seen(l, &f))
		return;
	put_flow(l, prefix, &f);
	if (now.tv_sec != l->sec) {
		if (l->missed > l->missed_said) {
			k1s_info("policy", "%llu more dropped flows not logged (at most %d lines a "
					   "second)",
				 (unsigned long long)(l->missed - l->missed_said), l->per_s);
			l->missed_said = l->missed;
		}
		l->sec = now.tv_sec;
		l->lines = 0;
	}
	if (l->lines >= l->per_s) {
		l->missed++;
		return;
	}
	l->lines++;
	l->logged++;
	say(l, prefix, &f, ports);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, NFULA_MAX) > 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pol_nflog *l = data;
	const struct nlattr *tb[NFULA_MAX + 1] = { 0 };
	char prefix[64];
	const char *pre;
	uint16_t plen;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)) ||
	    nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET) ||
	    mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0)
		return MNL_CB_OK;
	if (!tb[NFULA_PREFIX] || !tb[NFULA_PAYLOAD])
		return MNL_CB_OK;
	/* The prefix is NUL-terminated by the kernel; copied with a bound all
	 * the same. */
	plen = mnl_attr_get_payload_len(tb[NFULA_PREFIX]);
	snprintf(prefix, sizeof(prefix), "%.*s", (int)plen, (const char *)mnl_attr_get_payload(tb[NFULA_PREFIX]));
	if (strncmp(prefix, "k1s-pol ", 8) != 0)
		return MNL_CB_OK;
	pre = prefix + 8;
	packet(l, pre, mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
	       mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]));
	return MNL_CB_OK;
}

void pol_nflog_parse(struct pol_nflog *l, const void *buf, size_t len,
		     const struct pol_view *v)
{
	const uint8_t *p = buf;

	/* Walked here rather than by mnl_cb_run(), whose check takes a
	 * length above INT_MAX for a negative one. */
	l->v = v;
	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const void *)p;
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
			break;
		if (nlh->nlmsg_type >= NLMSG_MIN_TYPE)
			msg_cb(nlh, l);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	l->v = NULL;
}

void pol_nflog_read(struct pol_nflog *l, const struct pol_view *v)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	if (!l->nl)
		return;
	for (int rounds = 0; rounds < 64; rounds++) {
		n = mnl_socket_recvfrom(l->nl, buf, sizeof(buf));
		if (n < 0) {
			/* ENOBUFS: the kernel had more than the socket held;
			 * those drops are counted, not logged. */
			if (errno == ENOBUFS)
				l->missed++;
			if (errno != EINTR && errno != ENOBUFS)
				break;
			continue;
		}
		pol_nflog_parse(l, buf, (size_t)n, v);
	}
}

void pol_nflog_free(struct pol_nflog *l)
{
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_UNBIND };

	if (!l)
		return;
	if (l->nl)
		config(l->nl, l->group, &cmd, NFULA_CFG_CMD, sizeof(cmd));
	if (l->missed > l->missed_said)
		k1s_info("policy", "%llu more dropped flows not logged",
			 (unsigned long long)(l->missed - l->missed_said));
	if (l->nl)
		mnl_socket_close(l->nl);
	free(l);
}
