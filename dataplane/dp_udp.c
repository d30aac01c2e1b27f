/* UDP through the dataplane: a connected socket per client flow towards
 * its endpoint; replies go back from the listener's socket, so the client
 * sees the service's address; flows end when idle, or when their
 * endpoint leaves the service. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_loop_int.h"
#include "k1s_flow.h"

struct flow {
	struct k1s_list link;		/* in lsn->flows */
	struct lsn *l;
	struct sockaddr_in client, ep;
	/* For its flow record, put when it ends: one per flow, however
	 * many datagrams, and bytes known only then (dp_flow.c). */
	struct sockaddr_in addr;	/* the service address */
	uint64_t sent, received;
	char svc[K1S_FLOW_SERVICE_LEN];
	int fd;
	int inflight;
	bool dead;
	int64_t last;
	struct dp_op op;
	char buf[DP_UDP_BUF];
};

static void flow_put(struct flow *f)
{
	if (f->inflight > 0 || !f->dead)
		return;
	k1s_list_del(&f->link);
	free(f);
}

static void flow_kill(struct flow *f)
{
	if (f->dead)
		return;
	f->dead = true;
	dp_flow_done(f->l->lp->dp, IPPROTO_UDP, &f->client, &f->addr, f->svc, &f->ep, f->sent,
		     f->received);
	if (f->inflight)
		dp_cancel(f->l->lp, &f->op);
	dp_flush(f->l->lp);
	close(f->fd);
	f->fd = -1;
}

static void flow_recv(struct flow *f)
{
	struct io_uring_sqe *sqe = dp_sqe(f->l->lp);

	io_uring_prep_recv(sqe, f->fd, f->buf, sizeof(f->buf), 0);
	io_uring_sqe_set_data(sqe, &f->op);
	f->inflight++;
}

void dp_udp_recv(struct lsn *l)
{
	struct io_uring_sqe *sqe = dp_sqe(l->lp);

	l->iov.iov_base = l->buf;
	l->iov.iov_len = DP_UDP_BUF;
	memset(&l->mh, 0, sizeof(l->mh));
	l->mh.msg_name = &l->from;
	l->mh.msg_namelen = sizeof(l->from);
	l->mh.msg_iov = &l->iov;
	l->mh.msg_iovlen = 1;
	io_uring_prep_recvmsg(sqe, l->fd, &l->mh, 0);
	io_uring_sqe_set_data(sqe, &l->op);
	l->inflight++;
}

static struct flow *flow_find(struct lsn *l, const struct sockaddr_in *from)
{
	for (struct k1s_list *p = l->flows.next; p != &l->flows; p = p->next) {
		struct flow *f = k1s_list_entry(p, struct flow, link);

		if (!f->dead && f->client.sin_addr.s_addr == from->sin_addr.s_addr &&
		    f->client.sin_port == from->sin_port)
			return f;
	}
	return NULL;
}

/* A new flow's endpoint: the client's under affinity, else the next in
 * turn from `start`, among those NetworkPolicy lets the client (network
 * order) reach. 0, or -EACCES with the drop counted: the datagram goes
 * nowhere, as the kernel drops one sent to the pod directly. */
static int pick(struct lsn *l, const struct dp_svc *sv, uint32_t start, struct sockaddr_in *ep)
{
	struct dp_loop *lp = l->lp;
	uint32_t client = l->from.sin_addr.s_addr;
	struct dp *dp = lp->dp;
	struct pol_flow f, denied;
	enum pol_verdict v, why = POL_ALLOWED;
	int64_t now = lp->now;

	if (sv->affinity_s && dp_aff_get(dp, sv, client, now, ep) == 0 &&
	    (!dp->pol || dp_pol_check(dp, client, ep, POL_UDP, &f) == POL_ALLOWED))
		return 0;
	for (uint32_t i = 0; i < sv->nep; i++) {
		*ep = sv->eps[(start + i) % sv->nep];
		if (!dp->pol || (v = dp_pol_check(dp, client, ep, POL_UDP, &f)) == POL_ALLOWED) {
			if (sv->affinity_s)
				dp_aff_put(dp, sv, client, now, ep);
			return 0;
		}
		if (why == POL_ALLOWED) {
			why = v;
			denied = f;
		}
	}
	/* Each datagram of a denied client is one record: no flow is kept
	 * to say it was seen, as the kernel keeps none for a dropped one. */
	dp_flow_denied(dp, IPPROTO_UDP, &l->from, &l->addr, dp_svc_key(lp->cur, sv), &denied, why);
	return -EACCES;
}

void dp_udp_datagram(struct lsn *l, int len)
{
	struct dp_loop *lp = l->lp;
	struct flow *f = flow_find(l, &l->from);

	if (!f) {
		struct dp_svc *sv;
		struct sockaddr_in ep;

		if (!lp->cur || l->svc >= lp->cur->nsvc || lp->cur->svc[l->svc].nep == 0)
			return;
		sv = &lp->cur->svc[l->svc];
		if (pick(l, sv, l->rr++, &ep) < 0)
			return;
		f = calloc(1, sizeof(*f));
		if (!f)
			return;
		f->l = l;
		f->client = l->from;
		f->ep = ep;
		f->addr = l->addr;
		K1S_FLOW_SET(f->svc, dp_svc_key(lp->cur, sv));
		f->op = (struct dp_op){OP_FRECV, 0, f};
		f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		/* The reply is the flow socket's either way (dp_host.c). */
		if (f->fd >= 0 && lp->dp->src_client &&
		    dp_src_client(lp->dp->pod_net_known ? &lp->dp->pod_net : NULL, l->external, sv->local_policy,
				  l->from.sin_addr.s_addr, ep.sin_addr.s_addr))
			dp_src_bind(f->fd, l->from.sin_addr.s_addr, false);
		if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&ep,
					 sizeof(struct sockaddr_in)) < 0) {
			if (f->fd >= 0)
				close(f->fd);
			free(f);
			return;
		}
		k1s_list_add(&l->flows, &f->link);
		flow_recv(f);
	}
	f->last = lp->now;
	if (send(f->fd, l->buf, (size_t)len, MSG_DONTWAIT) > 0)
		f->sent += (uint64_t)len;
}

void dp_udp_flow_cqe(struct dp_op *op, int res)
{
	struct flow *f = op->owner;

	f->inflight--;
	if (f->dead) {
		flow_put(f);
		return;
	}
	if (res >= 0) {
		f->last = f->l->lp->now;
		if (!f->l->dead &&
		    sendto(f->l->fd, f->buf, (size_t)res, MSG_DONTWAIT,
			   (struct sockaddr *)&f->client, sizeof(f->client)) > 0)
			f->received += (uint64_t)res;
	}
	/* A refused endpoint's ICMP error comes back here too; keep going. */
	flow_recv(f);
}

/* UDP has no connection to keep: a flow whose endpoint is gone ends, so
 * that the client's next datagram picks a live one. */
void dp_udp_prune(struct lsn *l, const struct dp_svc *sv)
{
	struct k1s_list *p, *n;

	for (p = l->flows.next; p != &l->flows; p = n) {
		struct flow *f = k1s_list_entry(p, struct flow, link);
		bool found = false;

		n = p->next;
		for (uint32_t i = 0; i < sv->nep && !found; i++)
			found = sv->eps[i].sin_addr.s_addr == f->ep.sin_addr.s_addr &&
				sv->eps[i].sin_port == f->ep.sin_port;
		if (!found) {
			flow_kill(f);
			flow_put(f);
		}
	}
}

void dp_udp_tick(struct lsn *l)
{
	struct k1s_list *q, *m;

	for (q = l->flows.next; q != &l->flows; q = m) {
		struct flow *f = k1s_list_entry(q, struct flow, link);

		m = q->next;
		if (!f->dead && l->lp->now - f->last > l->lp->dp->udp_idle_ms) {
			flow_kill(f);
			flow_put(f);
		}
	}
}

void dp_udp_close(struct lsn *l)
{
	while (l->flows.next != &l->flows) {
		struct flow *f = k1s_list_entry(l->flows.next, struct flow, link);

		flow_kill(f);
		k1s_list_del(&f->link);
		if (f->inflight) {
			/* Parked on the loop's list until its last completion. */
			k1s_list_add(&l->lp->parked, &f->link);
			f->l = NULL;
		} else {
			free(f);
		}
	}
}

void dp_udp_free_parked(struct dp_loop *lp)
{
	struct k1s_list *p, *n;

	for (p = lp->parked.next; p != &lp->parked; p = n) {
		n = p->next;
		free(k1s_list_entry(p, struct flow, link));
	}
}
