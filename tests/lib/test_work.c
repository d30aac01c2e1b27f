/* The worker: work runs off the loop's thread and is handed back on it,
 * in order; freeing the worker hands back what is left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(runs_off_the_loop_and_comes_back_in_order),
	    cmocka_unit_test(free_hands_back_what_is_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
