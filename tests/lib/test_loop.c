#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <cmocka.h>

#include "k1s_loop.h"

struct state {
	struct k1s_loop *loop;
	int fired[4];
	int order[4], norder;
	int hook_calls;
	int fds[2];
	char got;
};

static void timer_fn(void *arg)
{
	int *slot = arg;

	(*slot)++;
}

static struct state *g;

static void ordered(void *arg)
{
	g->order[g->norder++] = (int)(intptr_t)arg;
	if (g->norder == 3)
		k1s_loop_stop(g->loop);
}

static void timers_fire_in_order(void **unused)
{
	struct state s = {0};

	g = &s;
	int64_t t0 = k1s_now_ms();

	s.loop = k1s_loop_new();
	assert_non_null(k1s_loop_timer(s.loop, 30, ordered, (void *)(intptr_t)3));
	assert_non_null(k1s_loop_timer(s.loop, 10, ordered, (void *)(intptr_t)1));
	assert_non_null(k1s_loop_timer(s.loop, 20, ordered, (void *)(intptr_t)2));
	struct k1s_timer *c = k1s_loop_timer(s.loop, 15, timer_fn, &s.fired[0]);
	k1s_loop_cancel(s.loop, c);
	k1s_loop_run(s.loop, NULL);
	assert_true(k1s_now_ms() - t0 >= 30);
	assert_int_equal(s.order[0], 1);
	assert_int_equal(s.order[1], 2);
	assert_int_equal(s.order[2], 3);
	assert_int_equal(s.fired[0], 0);
	k1s_loop_free(s.loop);
}

static void on_read(void *arg, int fd, uint32_t events)
{
	struct state *s = arg;

	assert_int_equal(read(fd, &s->got, 1), 1);
	k1s_loop_del_fd(s->loop, fd);
	k1s_loop_stop(s->loop);
}

static int hook(void *arg)
{
	struct state *s = arg;

	if (s->hook_calls++ == 0)
		assert_int_equal(write(s->fds[1], "x", 1), 1);
	return -1;
}

static void fds_and_hooks_run(void **unused)
{
	struct state s = {0};

	s.loop = k1s_loop_new();
	assert_int_equal(pipe(s.fds), 0);
	assert_int_equal(k1s_loop_add_fd(s.loop, s.fds[0], EPOLLIN, on_read, &s), 0);
	assert_int_equal(k1s_loop_hook(s.loop, hook, &s), 0);
	k1s_loop_run(s.loop, NULL);
	assert_int_equal(s.got, 'x');
	assert_true(s.hook_calls >= 1);
	assert_int_equal(k1s_loop_del_fd(s.loop, s.fds[0]), -ENOENT);
	close(s.fds[0]);
	close(s.fds[1]);
	k1s_loop_free(s.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timers_fire_in_order),
		cmocka_unit_test(fds_and_hooks_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
