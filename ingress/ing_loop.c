/* The ingress's loops: one thread per loop, each with its own io_uring and
 * its own SO_REUSEPORT listeners, so the kernel spreads connections across
 * the loops and nothing on the path is shared or locked. The loop also
 * keeps the idle upstream connections; the connections themselves are
 * ing_conn.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ing_loop_int.h"
#include "k1s_log.h"
#include "k1s_loop.h"

#define ING_RING 1024

/* ---- the upstream pool ---- */

static struct k1s_list *pool_bucket(struct ing_loop *lp, const struct sockaddr_in *to)
{
	uint32_t h = (to->sin_addr.s_addr * 0x9e3779b1u) ^ to->sin_port;

	return &lp->pool[(h ^ (h >> 15)) % ING_POOL_BUCKETS];
}

static void idle_drop(struct ing_loop *lp, struct ing_idle *d, bool close_fd)
{
	k1s_list_del(&d->link);
	k1s_list_del(&d->age);
	if (close_fd)
		close(d->fd);
	free(d);
	lp->npool--;
}

int ing_pool_take(struct ing_loop *lp, const struct sockaddr_in *to)
{
	struct k1s_list *b = pool_bucket(lp, to);

	for (struct k1s_list *p = b->next; p != b; p = p->next) {
		struct ing_idle *d = k1s_list_entry(p, struct ing_idle, link);
		int fd = d->fd;

		if (d->to.sin_addr.s_addr != to->sin_addr.s_addr || d->to.sin_port != to->sin_port)
			continue;
		idle_drop(lp, d, false);
		return fd;
	}
	return -1;
}

void ing_pool_put(struct ing_loop *lp, const struct sockaddr_in *to, int fd)
{
	struct ing_idle *d;

	if (lp->npool >= ING_POOL_MAX)	/* the oldest makes room */
		idle_drop(lp, k1s_list_entry(lp->pool_age.next, struct ing_idle, age), true);
	d = malloc(sizeof(*d));
	if (!d) {
		close(fd);
		return;
	}
	d->to = *to;
	d->fd = fd;
	d->since = lp->now;
	k1s_list_add(pool_bucket(lp, to), &d->link);
	k1s_list_add(lp->pool_age.prev, &d->age);	/* at the tail */
	lp->npool++;
}

static void pool_expire(struct ing_loop *lp, bool all)
{
	while (lp->pool_age.next != &lp->pool_age) {
		struct ing_idle *d = k1s_list_entry(lp->pool_age.next, struct ing_idle, age);

		if (!all && lp->now - d->since < ING_POOL_IDLE_MS)
			break;
		idle_drop(lp, d, true);
	}
}

/* ---- listeners ---- */

static void lsn_accept(struct ing_lsn *l)
{
	struct io_uring_sqe *sqe = ing_sqe(l->lp);

	io_uring_prep_multishot_accept(sqe, l->fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data(sqe, &l->op);
	l->armed = true;
}

static struct ing_lsn *lsn_find(struct ing_loop *lp, const struct sockaddr_in *a)
{
	for (struct k1s_list *p = lp->lsns.next; p != &lp->lsns; p = p->next) {
		struct ing_lsn *l = k1s_list_entry(p, struct ing_lsn, link);

		if (!l->dead && l->addr.sin_addr.s_addr == a->sin_addr.s_addr &&
		    l->addr.sin_port == a->sin_port)
			return l;
	}
	return NULL;
}

static void lsn_open(struct ing_loop *lp, const struct sockaddr_in *a, bool tls)
{
	struct ing_lsn *l = calloc(1, sizeof(*l));
	char ip[INET_ADDRSTRLEN];
	int one = 1;

	if (!l)
		return;
	l->lp = lp;
	l->addr = *a;
	l->tls = tls;
	l->op = (struct ing_op){OP_ACCEPT, l};
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* An address that comes and goes (a face pod's) need not be there yet. */
	setsockopt(l->fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(l->fd, (const struct sockaddr *)a, sizeof(*a)) < 0 || listen(l->fd, 4096) < 0)
		goto fail;
	k1s_list_add(&lp->lsns, &l->link);
	l->mark = true;
	lsn_accept(l);
	return;
fail:
	/* An address taken by another program is logged, not fatal: the
	 * ingress serves on the others. */
	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	if (lp->idx == 0)
		k1s_warn("ingress", "listening on %s:%u: %s", ip, ntohs(a->sin_port),
			 strerror(errno));
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

static void lsn_put(struct ing_lsn *l)
{
	if (!l->dead || l->armed)
		return;
	k1s_list_del(&l->link);
	free(l);
}

static void lsn_close(struct ing_lsn *l)
{
	struct ing_loop *lp = l->lp;

	l->dead = true;
	if (l->armed && !lp->stopping) {
		struct io_uring_sqe *sqe = ing_sqe(lp);

		io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)&l->op, 0);
		io_uring_sqe_set_data64(sqe, 0);
		io_uring_submit(&lp->t.ring);
	}
	close(l->fd);
	l->fd = -1;
	lsn_put(l);
}

static void lsn_cqe(struct ing_lsn *l, struct io_uring_cqe *cqe)
{
	if (!(cqe->flags & IORING_CQE_F_MORE))
		l->armed = false;
	if (cqe->res >= 0) {
		if (l->lp->stopping || l->dead)
			close(cqe->res);
		else
			ing_conn_accepted(l, cqe->res);
	}
	if (l->dead) {
		lsn_put(l);
		return;
	}
	/* The kernel ended the multishot: again at once, or after a tick when
	 * it ran out of descriptors or memory. */
	if (!l->armed && cqe->res >= 0 && !l->lp->stopping)
		lsn_accept(l);
}

/* Listeners: the configured addresses always, and the face pods' of the
 * current snapshot; on each the HTTP port and the HTTPS one (a face's
 * 80 and 443, as ingress-nginx's pod). */
static void listen_reconcile(struct ing_loop *lp)
{
	struct ing_snap *s = lp->cur;
	struct k1s_list *p, *n;

	for (p = lp->lsns.next; p != &lp->lsns; p = p->next)
		k1s_list_entry(p, struct ing_lsn, link)->mark = false;
	for (int i = 0; i < 2 * (lp->ing->nlsn + (s ? s->nfaces : 0)); i++) {
		int k = i / 2;
		bool tls = i % 2;
		struct sockaddr_in a =
			k < lp->ing->nlsn ? lp->ing->lsn[k] : s->faces[k - lp->ing->nlsn];
		struct ing_lsn *l;

		if (tls)
			a.sin_port = htons(k < lp->ing->nlsn ? lp->ing->https_port : 443);
		if (tls && !lp->tls.server_ready)
			continue;
		if ((l = lsn_find(lp, &a)))
			l->mark = true;
		else
			lsn_open(lp, &a, tls);
	}
	for (p = lp->lsns.next; p != &lp->lsns; p = n) {
		struct ing_lsn *l = k1s_list_entry(p, struct ing_lsn, link);

		n = p->next;
		if (!l->mark && !l->dead)
			lsn_close(l);
	}
}

/* ---- the loop ---- */

void ing_loop_ack(struct ing_loop *lp)
{
	uint64_t gen;

	if (!lp->cur)
		return;
	gen = lp->cur->base.gen;
	if (lp->nhs)
		gen = ing_conn_oldest_gen(lp, gen);
	k1s_pub_ack(&lp->ing->pub, lp->idx, gen);
}

static void take_snapshot(struct ing_loop *lp)
{
	struct ing_snap *s = ing_snap_of(k1s_pub_current(&lp->ing->pub));

	if (!s || s == lp->cur)
		return;
	lp->cur = s;
	listen_reconcile(lp);
	ing_loop_ack(lp);
}

static void on_tick(struct ing_loop *lp)
{
	ing_conn_tick(lp);
	pool_expire(lp, false);
	for (struct k1s_list *p = lp->lsns.next; p != &lp->lsns; p = p->next) {
		struct ing_lsn *l = k1s_list_entry(p, struct ing_lsn, link);

		if (!l->dead && !l->armed)
			lsn_accept(l);
	}
}

static void handle(void *arg, struct io_uring_cqe *cqe)
{
	struct ing_loop *lp = arg;
	struct ing_op *op = io_uring_cqe_get_data(cqe);

	if (!op)
		return;
	switch (op->kind) {
	case OP_WAKE:
		if (atomic_load(&lp->ing->stop)) {
			lp->stopping = true;
			break;
		}
		take_snapshot(lp);
		k1s_ring_thread_arm_wake(&lp->t, &lp->o_wake);
		break;
	case OP_TICK:
		on_tick(lp);
		k1s_ring_thread_arm_tick(&lp->t, 250, &lp->o_tick);
		break;
	case OP_ACCEPT:
		lsn_cqe(op->owner, cqe);
		break;
	default:
		ing_conn_cqe(op, cqe->res);
		break;
	}
}

static void loop_run(void *arg)
{
	struct ing_loop *lp = arg;

	lp->now = k1s_now_ms();
	listen_reconcile(lp);
	take_snapshot(lp);
	k1s_ring_thread_arm_wake(&lp->t, &lp->o_wake);
	k1s_ring_thread_arm_tick(&lp->t, 250, &lp->o_tick);
	while (!lp->stopping)
		k1s_ring_turn(&lp->t.ring, &lp->now, handle, lp);
}

struct ing_loop *ing_loop_start(struct ing *ing, int idx, int *err)
{
	struct ing_loop *lp = calloc(1, sizeof(*lp));

	if (!lp) {
		*err = -ENOMEM;
		return NULL;
	}
	lp->ing = ing;
	lp->idx = idx;
	k1s_list_init(&lp->conns);
	k1s_list_init(&lp->lsns);
	k1s_list_init(&lp->pool_age);
	for (int i = 0; i < ING_POOL_BUCKETS; i++)
		k1s_list_init(&lp->pool[i]);
	if (getrandom(&lp->rnd, sizeof(lp->rnd), 0) != sizeof(lp->rnd))
		lp->rnd = (uint64_t)k1s_now_ms() * 0x9e3779b97f4a7c15ull + (uint64_t)idx;
	lp->rnd |= 1;
	lp->o_wake = (struct ing_op){OP_WAKE, lp};
	lp->o_tick = (struct ing_op){OP_TICK, lp};
	/* Without it the loop serves HTTP alone, and says so once. */
	if (ing_tls_cfg_server(&lp->tls, &ing->tls, idx) != 0 && idx == 0)
		k1s_warn("ingress", "TLS: no server configuration: the HTTPS port is not served");
	*err = k1s_ring_thread_start(&lp->t, "ingress", idx, ING_RING, NULL, loop_run, lp);
	if (*err < 0) {
		if (lp->tls.ready)
			ing_tls_cfg_free(&lp->tls);
		free(lp);
		return NULL;
	}
	return lp;
}

void ing_loop_wake(struct ing_loop *lp)
{
	k1s_ring_thread_wake(&lp->t);
}

void ing_loop_join(struct ing_loop *lp)
{
	k1s_ring_thread_join(&lp->t);
	while (lp->lsns.next != &lp->lsns) {
		struct ing_lsn *l = k1s_list_entry(lp->lsns.next, struct ing_lsn, link);

		if (!l->dead)
			lsn_close(l);
		l->armed = false;
		lsn_put(l);
	}
	ing_conn_free_all(lp);
	pool_expire(lp, true);
	if (lp->tls.ready)
		ing_tls_cfg_free(&lp->tls);
	free(lp);
}
