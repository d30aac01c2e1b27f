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

/* Three slow hooks a turn: the between function runs after each, so what
 * it serves waits for one hook, not for the turn; quick callbacks do not
 * call it more than once per K1S_LOOP_BETWEEN_MS. */
struct between {
	struct k1s_loop *loop;
	int turns, slow_calls, quick_calls, between_calls;
	int hooks_since_between, most_hooks_between;
};

static int slow_hook(void *arg)
{
	struct between *b = arg;

	usleep((K1S_LOOP_BETWEEN_MS + 3) * 1000);
	b->slow_calls++;
	b->hooks_since_between++;
	if (b->hooks_since_between > b->most_hooks_between)
		b->most_hooks_between = b->hooks_since_between;
	return 0;
}

static int counting_hook(void *arg)
{
	struct between *b = arg;

	if (++b->turns == 5)
		k1s_loop_stop(b->loop);
	return 0;
}

static void on_between(void *arg)
{
	struct between *b = arg;

	b->between_calls++;
	b->hooks_since_between = 0;
}

static void between_runs_between_slow_callbacks(void **unused)
{
	struct between b = {0};

	b.loop = k1s_loop_new();
	k1s_loop_between(b.loop, on_between, &b);
	assert_int_equal(k1s_loop_hook(b.loop, counting_hook, &b), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(k1s_loop_hook(b.loop, slow_hook, &b), 0);
	k1s_loop_run(b.loop, NULL);
	assert_int_equal(b.slow_calls, 5 * 3);
	/* Never two slow hooks in a row without it. */
	assert_int_equal(b.most_hooks_between, 1);
	assert_true(b.between_calls >= 5 * 3);
	k1s_loop_free(b.loop);

	/* Quick turns (no slow hook): at most one call per interval. */
	struct between q = {0};
	int64_t t0;

	q.loop = k1s_loop_new();
	k1s_loop_between(q.loop, on_between, &q);
	assert_int_equal(k1s_loop_hook(q.loop, counting_hook, &q), 0);
	t0 = k1s_now_ms();
	k1s_loop_run(q.loop, NULL);
	assert_true(q.between_calls <= 1 + (k1s_now_ms() - t0) / K1S_LOOP_BETWEEN_MS);
	k1s_loop_free(q.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timers_fire_in_order),
		cmocka_unit_test(fds_and_hooks_run),
		cmocka_unit_test(between_runs_between_slow_callbacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
