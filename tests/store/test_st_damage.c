/* A damaged store file is refused at open, whole: st_open() fails with
 * K1S_EDAMAGED (or -EPROTO for another program's database) and never hands
 * out a store that serves part of what was there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "st.h"
#include "st_test.h"

/* Enough objects for a few hundred pages, so that damage lands inside the
 * objects' b-tree and not only in free space. */
#define OBJECTS 600

static char *dir_a, *dir_b;

static void fill(const char *dir, const char *prefix)
{
	char name[32], val[256];
	struct st *st;
	int err;

	st = st_open(dir, NULL, &err);
	assert_non_null(st);
	memset(val, 'v', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	assert_int_equal(st_begin(st), 0);
	for (int i = 0; i < OBJECTS; i++) {
		json_t *o;

		snprintf(name, sizeof(name), "%s-%d", prefix, i);
		o = st_test_obj("default", name, val);
		assert_int_equal(st_create(st, "configmaps", "default", name, o), 0);
		json_decref(o);
	}
	assert_int_equal(st_commit(st), 0);
	st_close(st);
}

static char *file(const char *dir, const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static int setup(void **state)
{
	(void)state;
	dir_a = st_test_dir();
	assert_non_null(dir_a);
	fill(dir_a, "a");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	st_test_rmdir(dir_a);
	if (dir_b)
		st_test_rmdir(dir_b);
	dir_a = dir_b = NULL;
	return 0;
}

static void expect_refused(int want)
{
	struct st *st;
	int err = 0;

	st = st_open(dir_a, NULL, &err);
	if (st)
		st_close(st);
	assert_null(st);
	assert_int_equal(err, want);
}

static void write_at(const char *path, off_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static void intact_store_opens(void **state)
{
	struct st *st;
	json_t *o;
	int err;

	(void)state;
	st = st_open(dir_a, NULL, &err);
	assert_non_null(st);
	assert_int_equal(st_get(st, "configmaps", "default", "a-599", &o), 0);
	json_decref(o);
	st_close(st);
}

static void truncated_file_is_refused(void **state)
{
	struct stat sb;

	(void)state;
	assert_int_equal(stat(file(dir_a, "k1s.db"), &sb), 0);
	assert_true(sb.st_size > 64 * 4096);
	assert_int_equal(truncate(file(dir_a, "k1s.db"), sb.st_size / 2), 0);
	expect_refused(K1S_EDAMAGED);
}

static void garbage_pages_are_refused(void **state)
{
	char junk[3 * 4096];

	(void)state;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7919 + 13);
	/* Pages 20 to 22: inside the tables, past the header and schema. */
	write_at(file(dir_a, "k1s.db"), 19 * 4096, junk, sizeof(junk));
	expect_refused(K1S_EDAMAGED);
}

/* A leaf page in the middle of the event log (SQLite's dbstat table): no
 * query at open reads it, only the check does. */
static void garbage_in_the_event_log_is_refused(void **state)
{
	char junk[4096];
	sqlite3_stmt *s;
	sqlite3 *db;
	int page, n = 0;

	(void)state;
	assert_int_equal(sqlite3_open(file(dir_a, "k1s.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT pageno FROM dbstat WHERE name = 'events'"
	                                    " AND pagetype = 'leaf' ORDER BY pageno",
	                                    -1, &s, NULL),
	                 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		n++;
	assert_true(n > 4);
	sqlite3_reset(s);
	for (int i = 0; i <= n / 2; i++)
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	page = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 31 + 7);
	write_at(file(dir_a, "k1s.db"), (off_t)(page - 1) * 4096, junk, sizeof(junk));
	expect_refused(K1S_EDAMAGED);
}

static void a_file_that_is_not_sqlite_is_refused(void **state)
{
	static const char text[] = "apiVersion: v1\nkind: ConfigMap\n";
	int fd;

	(void)state;
	fd = open(file(dir_a, "k1s.db"), O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	expect_refused(K1S_EDAMAGED);
}

static void a_damaged_header_is_refused(void **state)
{
	(void)state;
	/* The page size field (offset 16) made 3, no power of two. */
	write_at(file(dir_a, "k1s.db"), 16, "\0\3", 2);
	expect_refused(K1S_EDAMAGED);
}

/* Another store's WAL beside this store's file: SQLite would apply its
 * frames, since a WAL names no database; the pages it brings do not fit. */
static void a_wal_from_another_store_is_refused(void **state)
{
	char buf[1 << 16];
	struct st *b;
	ssize_t n;
	int err, in, out;

	(void)state;
	dir_b = st_test_dir();
	assert_non_null(dir_b);
	fill(dir_b, "b");
	/* Keep b open with writes in its WAL, and copy that WAL. */
	b = st_open(dir_b, NULL, &err);
	assert_non_null(b);
	for (int i = 0; i < 50; i++) {
		char name[32];
		json_t *o;

		snprintf(name, sizeof(name), "b-%d", i);
		o = st_test_obj("default", name, "changed");
		assert_int_equal(st_update(b, "configmaps", "default", name, o, 0), 0);
		json_decref(o);
	}
	in = open(file(dir_b, "k1s.db-wal"), O_RDONLY);
	assert_true(in >= 0);
	out = open(file(dir_a, "k1s.db-wal"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, n), n);
	close(in);
	close(out);
	st_close(b);
	expect_refused(K1S_EDAMAGED);
}

static void another_programs_database_is_refused(void **state)
{
	struct st *st;
	int err;

	(void)state;
	/* A valid SQLite file that is not k1s's: its application id says so. */
	st = st_open(dir_a, NULL, &err);
	assert_non_null(st);
	st_close(st);
	write_at(file(dir_a, "k1s.db"), 68, "\x12\x34\x56\x78", 4);
	expect_refused(-EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(intact_store_opens),
	    T(truncated_file_is_refused),
	    T(garbage_pages_are_refused),
	    T(garbage_in_the_event_log_is_refused),
	    T(a_file_that_is_not_sqlite_is_refused),
	    T(a_damaged_header_is_refused),
	    T(a_wal_from_another_store_is_refused),
	    T(another_programs_database_is_refused),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
