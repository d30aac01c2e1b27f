/* A fork while another thread allocates: the child allocates too and
 * exits, as the runtime's shims do, and never waits on a lock the other
 * thread held at the fork (k1s_fork_guard). Under AddressSanitizer this
 * hung one shim in a few hundred before the guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "k1s_fork.h"

static atomic_bool stop;

/* Many blocks of many sizes, so that the thread goes to the shared
 * allocator (past its own cache) all the time. */
static void *allocator(void *arg)
{
	static _Thread_local void *p[2048];

	(void)arg;
	while (!atomic_load(&stop)) {
		for (int i = 0; i < 2048; i++)
			p[i] = malloc(16 + (size_t)(i % 97) * 40);
		for (int i = 0; i < 2048; i++)
			free(p[i]);
	}
	return NULL;
}

/* Waits up to 5 s for the child; kills it and fails if it hangs. */
static void reap(pid_t c)
{
	int st = 0;

	for (int i = 0; i < 500; i++) {
		pid_t r = waitpid(c, &st, WNOHANG);

		if (r == c) {
			assert_true(WIFEXITED(st));
			assert_int_equal(WEXITSTATUS(st), 0);
			return;
		}
		usleep(10000);
	}
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	fail_msg("a forked child hung in the allocator");
}

static void forks_while_another_thread_allocates(void **state)
{
	pthread_t th[2];

	(void)state;
	k1s_fork_guard();
	atomic_store(&stop, false);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, allocator, NULL), 0);
	for (int n = 0; n < 300; n++) {
		pid_t c = fork();

		assert_true(c >= 0);
		if (c == 0) {
			/* Every size class, as a shim's first steps touch many. */
			for (int i = 0; i < 97; i++) {
				char *p = malloc(16 + (size_t)i * 40);

				memset(p, 1, 16);
				free(p);
			}
			_exit(0);
		}
		reap(c);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forks_while_another_thread_allocates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
