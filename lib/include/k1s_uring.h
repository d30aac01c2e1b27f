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
/* Prepares the read of the wake eventfd into sqe (the caller sets its
 * user data and re-arms it after each completion). */
void k1s_ring_thread_prep_wake(struct k1s_ring_thread *t, struct io_uring_sqe *sqe);
/* Wakes the thread (from any thread). */
void k1s_ring_thread_wake(struct k1s_ring_thread *t);
/* Waits for run to return, then closes the eventfd. */
void k1s_ring_thread_join(struct k1s_ring_thread *t);

#endif
