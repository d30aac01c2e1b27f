/* The worker: work runs off the loop's thread and is handed back on it,
 * in order; freeing the worker hands back what is left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <cmocka.h>

#include "k1s_loop.h"
#include "k1s_work.h"

struct job {
	struct k1s_loop *loop;
	struct k1s_work *w;
	pthread_t ran_on, done_on;
	int seq, *order, *norder;
	int cancelled;
	int last; /* stop the loop once handed back */
};

static void job_run(void *arg)
{
	struct job *j = arg;

	j->ran_on = pthread_self();
}

static void job_done(void *arg)
{
	struct job *j = arg;

	j->done_on = pthread_self();
	j->cancelled = k1s_work_cancelled(j->w);
	j->order[(*j->norder)++] = j->seq;
	if (j->last)
		k1s_loop_stop(j->loop);
}

static void runs_off_the_loop_and_comes_back_in_order(void **unused)
{
	struct k1s_loop *loop = k1s_loop_new();
	struct k1s_work *w = k1s_work_new(loop);
	struct job jobs[5];
	int order[5], norder = 0;
	volatile int stop = 0;

	(void)unused;
	for (int i = 0; i < 5; i++) {
		jobs[i] = (struct job){loop, w, 0, 0, i, order, &norder, 0, i == 4};
		assert_int_equal(k1s_work_queue(w, job_run, job_done, &jobs[i]), 0);
	}
	k1s_loop_run(loop, &stop);
	assert_int_equal(norder, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(order[i], i);
		assert_false(pthread_equal(jobs[i].ran_on, pthread_self()));
		assert_true(pthread_equal(jobs[i].done_on, pthread_self()));
		assert_int_equal(jobs[i].cancelled, 0);
	}
	k1s_work_free(w);
	k1s_loop_free(loop);
}

static void free_hands_back_what_is_left(void **unused)
{
	struct k1s_loop *loop = k1s_loop_new();
	struct k1s_work *w = k1s_work_new(loop);
	struct job jobs[20];
	int order[20], norder = 0;

	(void)unused;
	for (int i = 0; i < 20; i++) {
		jobs[i] = (struct job){loop, w, 0, 0, i, order, &norder, 0, 0};
		assert_int_equal(k1s_work_queue(w, job_run, job_done, &jobs[i]), 0);
	}
	/* The loop never runs: nothing was handed back yet. */
	assert_int_equal(norder, 0);
	k1s_work_free(w);
	assert_int_equal(norder, 20);
	for (int i = 0; i < 20; i++)
		assert_int_equal(jobs[i].cancelled, 1);
	k1s_loop_free(loop);
}

struct slow {
	struct k1s_loop *loop;
	int ndone, pipe_seen_at; /* ndone when the pipe was served; -1 */
};

static struct slow *g_slow;

static void slow_run(void *arg)
{
	(void)arg;
}

/* Each hand-back takes longer than the loop lends the worker at once. */
static void slow_done(void *arg)
{
	(void)arg;
	usleep(6000);
	if (++g_slow->ndone == 10)
		k1s_loop_stop(g_slow->loop);
}

static void on_pipe(void *arg, int fd, uint32_t events)
{
	char c;

	(void)arg;
	(void)events;
	if (read(fd, &c, 1) == 1 && g_slow->pipe_seen_at < 0)
		g_slow->pipe_seen_at = g_slow->ndone;
}

static void slow_hand_backs_let_the_loop_serve_others(void **unused)
{
	struct slow s = {k1s_loop_new(), 0, -1};
	struct k1s_work *w = k1s_work_new(s.loop);
	volatile int stop = 0;
	int p[2];

	(void)unused;
	g_slow = &s;
	assert_int_equal(pipe(p), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(k1s_work_queue(w, slow_run, slow_done, NULL), 0);
	/* All ten are run before the loop first looks. */
	usleep(50000);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(k1s_loop_add_fd(s.loop, p[0], EPOLLIN, on_pipe, NULL), 0);
	k1s_loop_run(s.loop, &stop);
	assert_int_equal(s.ndone, 10);
	assert_in_range(s.pipe_seen_at, 0, 9);
	k1s_loop_del_fd(s.loop, p[0]);
	close(p[0]);
	close(p[1]);
	k1s_work_free(w);
	k1s_loop_free(s.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(runs_off_the_loop_and_comes_back_in_order),
	    cmocka_unit_test(free_hands_back_what_is_left),
	    cmocka_unit_test(slow_hand_backs_let_the_loop_serve_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
