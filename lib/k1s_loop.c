#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "k1s_log.h"
#include "k1s_loop.h"

#define LOOP_MAX_HOOKS 16

struct fd_reg {
	int fd;
	k1s_fd_fn fn;
	void *arg;
	struct fd_reg *next;
};

struct k1s_timer {
	int64_t due;
	k1s_timer_fn fn;
	void *arg;
	struct k1s_timer *next;
};

struct k1s_loop {
	int epfd;
	bool stopping;
	struct fd_reg *fds;
	struct fd_reg *dead;	/* removed this iteration, freed after it */
	struct k1s_timer *timers; /* sorted by due time */
	struct {
		k1s_hook_fn fn;
		void *arg;
	} hooks[LOOP_MAX_HOOKS];
	int nhooks;
	k1s_timer_fn between;
	void *between_arg;
	int64_t between_at;	/* when it last ran */
};

int64_t k1s_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct k1s_loop *k1s_loop_new(void)
{
	struct k1s_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void k1s_loop_free(struct k1s_loop *l)
{
	if (!l)
		return;
	while (l->fds) {
		struct fd_reg *r = l->fds;

		l->fds = r->next;
		free(r);
	}
	while (l->dead) {
		struct fd_reg *r = l->dead;

		l->dead = r->next;
		free(r);
	}
	while (l->timers) {
		struct k1s_timer *t = l->timers;

		l->timers = t->next;
		free(t);
	}
	close(l->epfd);
	free(l);
}

int k1s_loop_add_fd(struct k1s_loop *l, int fd, uint32_t events, k1s_fd_fn fn, void *arg)
{
	struct fd_reg *r = calloc(1, sizeof(*r));
	struct epoll_event ev = {.events = events};

	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->fn = fn;
	r->arg = arg;
	ev.data.ptr = r;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(r);
		return err;
	}
	r->next = l->fds;
	l->fds = r;
	return 0;
}

int k1s_loop_del_fd(struct k1s_loop *l, int fd)
{
	for (struct fd_reg **p = &l->fds; *p; p = &(*p)->next) {
		if ((*p)->fd == fd) {
			struct fd_reg *r = *p;

			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			*p = r->next;
			/* An event of this iteration may still point at r: disarm it
			 * and free it once the iteration is over. */
			r->fn = NULL;
			r->next = l->dead;
			l->dead = r;
			return 0;
		}
	}
	return -ENOENT;
}

struct k1s_timer *k1s_loop_timer(struct k1s_loop *l, int64_t ms, k1s_timer_fn fn, void *arg)
{
	struct k1s_timer *t = calloc(1, sizeof(*t)), **p;

	if (!t)
		return NULL;
	t->due = k1s_now_ms() + (ms > 0 ? ms : 0);
	t->fn = fn;
	t->arg = arg;
	for (p = &l->timers; *p && (*p)->due <= t->due; p = &(*p)->next)
		;
	t->next = *p;
	*p = t;
	return t;
}

void k1s_loop_cancel(struct k1s_loop *l, struct k1s_timer *t)
{
	for (struct k1s_timer **p = &l->timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			free(t);
			return;
		}
	}
}

int k1s_loop_hook(struct k1s_loop *l, k1s_hook_fn fn, void *arg)
{
	if (l->nhooks == LOOP_MAX_HOOKS)
		return -ENOSPC;
	l->hooks[l->nhooks].fn = fn;
	l->hooks[l->nhooks].arg = arg;
	l->nhooks++;
	return 0;
}

void k1s_loop_between(struct k1s_loop *l, k1s_timer_fn fn, void *arg)
{
	l->between = fn;
	l->between_arg = arg;
}

/* After a callback: the between function, if it is due. */
static void maybe_between(struct k1s_loop *l)
{
	int64_t now;

	if (!l->between)
		return;
	now = k1s_now_ms();
	if (now - l->between_at < K1S_LOOP_BETWEEN_MS)
		return;
	l->between_at = now;
	l->between(l->between_arg);
}

void k1s_loop_stop(struct k1s_loop *l)
{
	l->stopping = true;
}

static void run_timers(struct k1s_loop *l)
{
	int64_t now = k1s_now_ms();

	while (l->timers && l->timers->due <= now) {
		struct k1s_timer *t = l->timers;

		l->timers = t->next;
		t->fn(t->arg);
		free(t);
		maybe_between(l);
	}
}

void k1s_loop_run(struct k1s_loop *l, volatile int *stop)
{
	struct epoll_event evs[64];

	while (!l->stopping && !(stop && *stop)) {
		int wait = -1, n;

		run_timers(l);
		for (int i = 0; i < l->nhooks; i++) {
			int w = l->hooks[i].fn(l->hooks[i].arg);

			if (w >= 0 && (wait < 0 || w < wait))
				wait = w;
			maybe_between(l);
		}
		if (l->stopping || (stop && *stop))
			break;
		if (l->timers) {
			int64_t d = l->timers->due - k1s_now_ms();

			if (d < 0)
				d = 0;
			if (wait < 0 || d < wait)
				wait = (int)d;
		}
		n = epoll_wait(l->epfd, evs, 64, wait);
		if (n < 0 && errno != EINTR) {
			k1s_err("loop", "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct fd_reg *r = evs[i].data.ptr;

			if (r->fn) {
				r->fn(r->arg, r->fd, evs[i].events);
				maybe_between(l);
			}
		}
		while (l->dead) {
			struct fd_reg *r = l->dead;

			l->dead = r->next;
			free(r);
		}
	}
}
