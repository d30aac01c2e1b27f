/* lib/k1s_facelog: a face's log, in the CRI format, from many threads,
 * rotated past its size. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "k1s_facelog.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/k1s-facelog-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Every line is "<RFC3339Nano> stdout F <text>". */
static void cri_format(void **state)
{
	char path[256], *text;
	struct k1s_facelog *fl;
	size_t len;
	int err = 0;

	(void)state;
	fl = k1s_facelog_open(dir, "dns", 0, &err);
	assert_non_null(fl);
	k1s_facelog_printf(fl, "[INFO] plugin/reload: Running configuration %s", "SHA512");
	k1s_facelog_write(fl, "two\nlines", 9);
	k1s_facelog_close(fl);
	assert_int_equal(k1s_facelog_path(dir, "dns", path, sizeof(path)), 0);
	text = slurp(path, &len);
	assert_non_null(text);
	/* 2026-01-02T03:04:05.123456789Z stdout F ... */
	assert_int_equal(text[4], '-');
	assert_int_equal(text[10], 'T');
	assert_int_equal(text[19], '.');
	assert_int_equal(text[29], 'Z');
	assert_memory_equal(text + 30, " stdout F [INFO] plugin/reload: Running configuration SHA512\n",
			    61);
	/* A newline inside a line does not start a record of its own. */
	assert_non_null(strstr(text, " stdout F two lines\n"));
	assert_int_equal(text[len - 1], '\n');
	free(text);
	assert_int_equal(k1s_facelog_path(dir, "../etc", path, sizeof(path)), -EINVAL);
	assert_null(k1s_facelog_open(dir, "a/b", 0, &err));
	assert_int_equal(err, -EINVAL);
}

#define WRITERS 4
#define LINES 5000

static struct k1s_facelog *shared;

static void *writer(void *arg)
{
	for (int i = 0; i < LINES; i++)
		k1s_facelog_printf(shared, "writer %d line %d %s", (int)(intptr_t)arg, i,
				   "padding-padding-padding-padding");
	return NULL;
}

/* Counts whole lines per writer in a file; fails on a torn line. */
static void count(const char *path, int seen[WRITERS][LINES])
{
	size_t len;
	char *text = slurp(path, &len), *line, *save = NULL;

	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int w, i;

		if (sscanf(line + 30, " stdout F writer %d line %d padding-padding-padding-padding",
			   &w, &i) != 2 || w < 0 || w >= WRITERS || i < 0 || i >= LINES)
			fail_msg("torn or foreign line: %s", line);
		seen[w][i]++;
	}
	free(text);
}

/* Several threads write at once past the size limit: the file rotates to
 * .1, no line is torn, none is in both files, and the current file stays
 * near the limit. */
static void concurrent_rotation(void **state)
{
	static int seen[WRITERS][LINES];
	pthread_t t[WRITERS];
	char path[256], old[300];
	struct stat st;
	int err = 0, total = 0;

	(void)state;
	shared = k1s_facelog_open(dir, "ingress", 64 << 10, &err);
	assert_non_null(shared);
	for (int i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i), 0);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	k1s_facelog_close(shared);
	assert_int_equal(k1s_facelog_path(dir, "ingress", path, sizeof(path)), 0);
	snprintf(old, sizeof(old), "%s.1", path);
	assert_int_equal(stat(path, &st), 0);
	/* The limit, and at most a line from each writer that raced past it. */
	assert_true(st.st_size < (64 << 10) + WRITERS * 128);
	assert_int_equal(stat(old, &st), 0);
	assert_true(st.st_size >= (64 << 10));
	count(path, seen);
	count(old, seen);
	for (int w = 0; w < WRITERS; w++)
		for (int i = 0; i < LINES; i++) {
			assert_true(seen[w][i] <= 1);
			total += seen[w][i];
		}
	/* Older files are gone: only the last lines written are kept. */
	assert_true(total > 0 && total < WRITERS * LINES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(cri_format, setup, teardown),
	    cmocka_unit_test_setup_teardown(concurrent_rotation, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
