#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "k1s_fork.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "k1s_uring.h"

/* A forked child gets a copy of every mapping, and a mapping of a ring
 * holds the ring's file: a pod's shim, a fork of k1s that never execs,
 * kept every ring of the k1s it came from, and with them the sockets
 * registered there, after that k1s had exited (cluster DNS's port, taken
 * for good, at the next start). The children have no use for the rings. */
static void k1s_uring_dontfork(struct io_uring *ring)
{
	size_t sqes = ring->sq.ring_entries * sizeof(struct io_uring_sqe);

	if (madvise(ring->sq.ring_ptr, ring->sq.ring_sz, MADV_DONTFORK) < 0 ||
	    (ring->cq.ring_ptr != ring->sq.ring_ptr &&
	     madvise(ring->cq.ring_ptr, ring->cq.ring_sz, MADV_DONTFORK) < 0) ||
	    madvise(ring->sq.sqes, sqes, MADV_DONTFORK) < 0)
		k1s_warn("uring", "madvise(MADV_DONTFORK): %s", strerror(errno));
}

int k1s_uring_init(struct io_uring *ring, unsigned entries)
{
	static const unsigned flags[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		0,
	};
	int err = -EINVAL;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct io_uring_params p = {.flags = flags[i]};

		err = io_uring_queue_init_params(entries, ring, &p);
		if (err == 0) {
			k1s_uring_dontfork(ring);
			return 0;
		}
	}
	return err;
}

static void *ring_thread_main(void *arg)
{
	struct k1s_ring_thread *t = arg;
	int err = k1s_uring_init(&t->ring, t->entries);

	if (err == 0 && t->setup && (err = t->setup(t->arg)) < 0)
		io_uring_queue_exit(&t->ring);
	pthread_mutex_lock(&t->mu);
	t->init = err ? err : 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (err)
		return NULL;
	t->run(t->arg);
	/* The ring goes first: nothing the kernel holds points at the
	 * module's memory after it. */
	io_uring_queue_exit(&t->ring);
	return NULL;
}

int k1s_ring_thread_start(struct k1s_ring_thread *t, const char *who, int idx, unsigned entries,
			  int (*setup)(void *arg), void (*run)(void *arg), void *arg)
{
	int e;

	t->who = who;
	t->idx = idx;
	t->entries = entries;
	t->setup = setup;
	t->run = run;
	t->arg = arg;
	t->init = 0;
	t->efd = eventfd(0, EFD_CLOEXEC);
	if (t->efd < 0)
		return -errno;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	k1s_fork_guard();
	e = pthread_create(&t->th, NULL, ring_thread_main, t);
	if (e) {
		e = -e;
		goto fail;
	}
	/* The ring must be up before anyone wakes or stops the thread. */
	pthread_mutex_lock(&t->mu);
	while (!t->init)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
	if (t->init > 0)
		return 0;
	e = t->init;
	k1s_err(who, "loop %d: io_uring: %s", idx, strerror(-e));
	pthread_join(t->th, NULL);
fail:
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	close(t->efd);
	t->efd = -1;
	return e;
}

struct io_uring_sqe *k1s_ring_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	while (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

void k1s_ring_thread_arm_wake(struct k1s_ring_thread *t, void *data)
{
	struct io_uring_sqe *sqe = k1s_ring_sqe(&t->ring);

	io_uring_prep_read(sqe, t->efd, &t->ebuf, sizeof(t->ebuf), 0);
	io_uring_sqe_set_data(sqe, data);
}

void k1s_ring_thread_arm_tick(struct k1s_ring_thread *t, int ms, void *data)
{
	struct io_uring_sqe *sqe = k1s_ring_sqe(&t->ring);

	t->tick.tv_sec = ms / 1000;
	t->tick.tv_nsec = (long long)(ms % 1000) * 1000000;
	io_uring_prep_timeout(sqe, &t->tick, 0, 0);
	io_uring_sqe_set_data(sqe, data);
}

void k1s_ring_turn(struct io_uring *ring, int64_t *now,
		   void (*fn)(void *arg, struct io_uring_cqe *cqe), void *arg)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	/* -EINTR and the like: the next turn submits again. */
	io_uring_submit_and_wait(ring, 1);
	*now = k1s_now_ms();
	io_uring_for_each_cqe(ring, head, cqe) {
		fn(arg, cqe);
		n++;
	}
	io_uring_cq_advance(ring, n);
}

void k1s_ring_thread_wake(struct k1s_ring_thread *t)
{
	uint64_t one = 1;

	if (write(t->efd, &one, sizeof(one)) < 0)
		k1s_warn(t->who, "waking loop %d: %s", t->idx, strerror(errno));
}

void k1s_ring_thread_join(struct k1s_ring_thread *t)
{
	pthread_join(t->th, NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	close(t->efd);
	t->efd = -1;
}
