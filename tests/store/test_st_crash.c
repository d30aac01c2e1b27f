/* Durability: a process that is killed with SIGKILL at a random moment
 * loses no write that st_create() had acknowledged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>

#include "st.h"
#include "st_test.h"

#define ROUNDS 5

struct ack {
	char name[32];
	long long rev;
};

struct acks {
	struct ack *a;
	size_t n, cap;
};

/* The child: writes objects until it is killed, and reports each one on
 * the pipe only once st_create() has returned. */
static void writer(const char *dir, int fd, int round)
{
	struct st_opts o = {.sync = ST_SYNC_NORMAL};
	char name[32], line[64];
	struct st *st;
	int err;

	st = st_open(dir, &o, &err);
	if (!st)
		_exit(2);
	for (int i = 0;; i++) {
		json_t *obj;
		int len;

		snprintf(name, sizeof(name), "r%d-%d", round, i);
		obj = st_test_obj("crash", name,
		                  "a value long enough that the WAL fills and checkpoints");
		if (st_create(st, "configmaps", "crash", name, obj) != 0)
			_exit(3);
		/* Lines are shorter than PIPE_BUF, so each write is whole. */
		len = snprintf(line, sizeof(line), "%s %lld\n", name, st_test_rv(obj));
		if (write(fd, line, (size_t)len) != len)
			_exit(4);
		json_decref(obj);
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void parse_lines(struct acks *acks, char *buf, size_t *len)
{
	char *start = buf, *nl;

	while ((nl = memchr(start, '\n', *len - (size_t)(start - buf))) != NULL) {
		struct ack *a;

		*nl = '\0';
		if (acks->n == acks->cap) {
			acks->cap = acks->cap ? acks->cap * 2 : 1024;
			acks->a = realloc(acks->a, acks->cap * sizeof(*acks->a));
			assert_non_null(acks->a);
		}
		a = &acks->a[acks->n++];
		assert_int_equal(sscanf(start, "%31s %lld", a->name, &a->rev), 2);
		start = nl + 1;
	}
	/* Keep a partial line for the next read. */
	*len -= (size_t)(start - buf);
	memmove(buf, start, *len);
}

static void kill9_loses_nothing_acknowledged(void **state)
{
	struct acks acks = {0};
	char *dir = st_test_dir();
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	long long last_rev = 0;

	assert_non_null(dir);
	srand(seed);
	print_message("seed %u\n", seed);
	for (int round = 0; round < ROUNDS; round++) {
		struct st_opts o = {.sync = ST_SYNC_NORMAL};
		double deadline = now_ms() + 100 + rand() % 201;
		size_t before = acks.n, len = 0;
		char buf[8192];
		struct st *st;
		int p[2], status, err;
		pid_t pid;
		ssize_t r;

		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			writer(dir, p[1], round);
		}
		close(p[1]);
		for (double left; (left = deadline - now_ms()) > 0;) {
			struct pollfd pfd = {.fd = p[0], .events = POLLIN};

			if (poll(&pfd, 1, (int)left + 1) <= 0)
				continue;
			r = read(p[0], buf + len, sizeof(buf) - len);
			if (r <= 0)
				break;
			len += (size_t)r;
			parse_lines(&acks, buf, &len);
		}
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		/* Killed, not failed on its own. */
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
		/* Whatever it wrote before it died was acknowledged too. */
		while ((r = read(p[0], buf + len, sizeof(buf) - len)) > 0) {
			len += (size_t)r;
			parse_lines(&acks, buf, &len);
		}
		close(p[0]);
		assert_true(acks.n > before);

		st = st_open(dir, &o, &err);
		assert_non_null(st);
		for (size_t i = 0; i < acks.n; i++) {
			json_t *got = NULL;

			assert_int_equal(st_get(st, "configmaps", "crash", acks.a[i].name, &got),
			                 0);
			assert_int_equal(st_test_rv(got), acks.a[i].rev);
			json_decref(got);
		}
		/* Revisions only grew, across the crashes too. */
		assert_true(acks.a[before].rev > last_rev);
		last_rev = acks.a[acks.n - 1].rev;
		assert_true(st_rev(st) >= last_rev);
		print_message("round %d: %zu writes acknowledged, revision %lld\n", round,
		              acks.n - before, (long long)st_rev(st));
		st_close(st);
	}
	free(acks.a);
	st_test_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kill9_loses_nothing_acknowledged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
