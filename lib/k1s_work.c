#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "k1s_fork.h"
#include "k1s_loop.h"
#include "k1s_work.h"

struct work_item {
	k1s_work_fn run, done;
	void *arg;
	struct work_item *next;
};

/* A FIFO of items. */
struct work_q {
	struct work_item *head, **tail;
};

struct k1s_work {
	struct k1s_loop *loop;
	pthread_t th;
	bool started, stop, cancelling;
	int efd; /* the worker tells the loop that `done` has items */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct work_q todo, done; /* under mu */
};

static void q_init(struct work_q *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

static void q_push(struct work_q *q, struct work_item *it)
{
	it->next = NULL;
	*q->tail = it;
	q->tail = &it->next;
}

static struct work_item *q_take_all(struct work_q *q)
{
	struct work_item *h = q->head;

	q_init(q);
	return h;
}

static void *worker_main(void *arg)
{
	struct k1s_work *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct work_item *it;

		while (!w->stop && !w->todo.head)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		it = w->todo.head;
		w->todo.head = it->next;
		if (!w->todo.head)
			w->todo.tail = &w->todo.head;
		pthread_mutex_unlock(&w->mu);
		it->run(it->arg);
		pthread_mutex_lock(&w->mu);
		q_push(&w->done, it);
		if (write(w->efd, &(uint64_t){1}, 8) < 0) {
			/* The counter cannot overflow at one per item. */
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void hand_back(struct work_item *it)
{
	while (it) {
		struct work_item *next = it->next;

		it->done(it->arg);
		free(it);
		it = next;
	}
}

/* The longest one wake-up of the loop hands work back for: what a done()
 * does (a container started) can take milliseconds, and the loop has
 * others to serve. The rest waits for the next wake-up. */
#define WORK_HAND_BACK_MS 5

static void on_done(void *arg, int fd, uint32_t events)
{
	struct k1s_work *w = arg;
	int64_t until = k1s_now_ms() + WORK_HAND_BACK_MS;
	struct work_item *it;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: a previous call took the items already. */
	}
	pthread_mutex_lock(&w->mu);
	it = q_take_all(&w->done);
	pthread_mutex_unlock(&w->mu);
	while (it && k1s_now_ms() < until) {
		struct work_item *next = it->next;

		it->done(it->arg);
		free(it);
		it = next;
	}
	if (!it)
		return;
	/* Back to the head of the queue, before what the worker added since. */
	pthread_mutex_lock(&w->mu);
	{
		struct work_item *last = it;

		while (last->next)
			last = last->next;
		last->next = w->done.head;
		if (!w->done.head)
			w->done.tail = &last->next;
		w->done.head = it;
	}
	if (write(w->efd, &(uint64_t){1}, 8) < 0) {
		/* Cannot overflow: see worker_main. */
	}
	pthread_mutex_unlock(&w->mu);
}

struct k1s_work *k1s_work_new(struct k1s_loop *loop)
{
	struct k1s_work *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->loop = loop;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	q_init(&w->todo);
	q_init(&w->done);
	return w;
}

int k1s_work_queue(struct k1s_work *w, k1s_work_fn run, k1s_work_fn done, void *arg)
{
	struct work_item *it;
	int err;

	if (!w->started) {
		err = k1s_loop_add_fd(w->loop, w->efd, EPOLLIN, on_done, w);
		if (err < 0)
			return err;
		k1s_fork_guard();
		err = pthread_create(&w->th, NULL, worker_main, w);
		if (err) {
			k1s_loop_del_fd(w->loop, w->efd);
			return -err;
		}
		w->started = true;
	}
	it = malloc(sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->run = run;
	it->done = done;
	it->arg = arg;
	pthread_mutex_lock(&w->mu);
	q_push(&w->todo, it);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int k1s_work_cancelled(const struct k1s_work *w)
{
	return w->cancelling;
}

void k1s_work_free(struct k1s_work *w)
{
	struct work_item *todo, *done;

	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
		k1s_loop_del_fd(w->loop, w->efd);
	}
	w->cancelling = true;
	done = q_take_all(&w->done);
	todo = q_take_all(&w->todo);
	hand_back(done);
	hand_back(todo);
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
