/* io_uring rings for the data-path threads (dataplane, DNS). */
#ifndef K1S_URING_H
#define K1S_URING_H

#include <pthread.h>
#include <stdint.h>
#include <liburing.h>

/* A ring for the calling thread alone: SINGLE_ISSUER with DEFER_TASKRUN
 * where the kernel has them (completions run only when the thread asks),
 * else COOP_TASKRUN, else a plain ring. 0 or a negative errno. */
int k1s_uring_init(struct io_uring *ring, unsigned entries);

/* A data-path thread with a ring of its own, started and joined by the
 * control thread and woken through an eventfd that it reads on its ring. */
struct k1s_ring_thread {
	struct io_uring ring;		/* the thread's, while it runs */
	int efd;			/* the wake eventfd */
	uint64_t ebuf;			/* what the wake read reads */
	struct __kernel_timespec tick;	/* the tick's timeout */
	const char *who;		/* for log lines */
	int idx;
	/* Private. */
	pthread_t th;
	unsigned entries;
	int (*setup)(void *arg);
	void (*run)(void *arg);
	void *arg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int init;			/* 0 starting, 1 running, or -errno */
};

/* Starts the thread: it sets its ring up, calls setup (may be NULL; a
 * negative errno fails the start) and, once start has returned 0, run,
 * whose return ends the thread and its ring. 0 or a negative errno. */
int k1s_ring_thread_start(struct k1s_ring_thread *t, const char *who, int idx, unsigned entries,
			  int (*setup)(void *arg), void (*run)(void *arg), void *arg);
/* A free submission entry of `ring`, submitting the queue first when it
 * is full. */
struct io_uring_sqe *k1s_ring_sqe(struct io_uring *ring);
/* On the thread: arms the read of the wake eventfd, and a timeout of `ms`
 * (the loop's tick); each completes once with user data `data` and is
 * armed again by the loop. */
void k1s_ring_thread_arm_wake(struct k1s_ring_thread *t, void *data);
void k1s_ring_thread_arm_tick(struct k1s_ring_thread *t, int ms, void *data);
/* One turn of a data-path loop: submits what is prepared, waits for a
 * completion, sets *now (k1s_now_ms()) and hands every completion that
 * is ready to fn. */
void k1s_ring_turn(struct io_uring *ring, int64_t *now,
		   void (*fn)(void *arg, struct io_uring_cqe *cqe), void *arg);
/* Wakes the thread (from any thread). */
void k1s_ring_thread_wake(struct k1s_ring_thread *t);
/* Waits for run to return, then closes the eventfd. */
void k1s_ring_thread_join(struct k1s_ring_thread *t);

#endif
