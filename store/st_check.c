/* The check at open: a store whose pages SQLite finds damaged is refused
 * whole, never served in part.
 *
 * PRAGMA quick_check walks every page of every b-tree (without comparing
 * indexes with their tables, which integrity_check adds), so it is O(size):
 * on a 300 MB store about 0.25 s from the page cache, but 3.9 s cold, since
 * it reads pages in tree order. Reading the file once in order first brings
 * it to 0.2 s + 0.25 s; the start reads every object after this anyway. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "k1s_log.h"
#include "st_int.h"

/* Lines of quick_check's answer that are logged. */
#define ST_CHECK_LINES 5

/* Pulls the database file into the page cache in file order. */
static void st_readahead(struct st *st)
{
	static char buf[1 << 20];
	int fd = open(st->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

void st_damaged(struct st *st, const char *what)
{
	k1s_err(ST_MOD,
	        "%s is damaged (%s): k1s will not serve it. Restore it from a backup,"
	        " or move %s and its -wal and -shm files aside to start with an empty store",
	        st->path, what, st->path);
}

/* Every write logs an event with the object's revision, and compaction
 * drops only events up to the compaction point: so an object newer than
 * that whose revision's event names another object comes from pages of
 * two different stores. SQLite cannot see that: a WAL names no database,
 * so another store's WAL beside this file is applied page by page, and its
 * b-trees still pass quick_check. A join over the objects: milliseconds. */
static int st_check_events(struct st *st)
{
	static const char sql[] = "SELECT o.resource, o.namespace, o.name, o.rev FROM objects o"
	                          " LEFT JOIN events e ON e.rev = o.rev"
	                          " WHERE o.rev > (SELECT value FROM meta WHERE key = 'compacted')"
	                          " AND (e.rev IS NULL OR e.resource != o.resource"
	                          " OR e.namespace != o.namespace OR e.name != o.name) LIMIT 1";
	sqlite3_stmt *s;
	int rc;

	/* A new store has no tables yet; its migration makes them. */
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_ERROR && sqlite3_get_autocommit(st->db))
			return 0;
		return st_fail(st, rc, "checking objects against events");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		k1s_err(ST_MOD, "%s: %s %s/%s has revision %lld, whose event names another object",
		        st->path, sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
		        sqlite3_column_text(s, 2), (long long)sqlite3_column_int64(s, 3));
		sqlite3_finalize(s);
		st_damaged(st, "its objects and its event log are from different stores");
		return K1S_EDAMAGED;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc, "checking objects against events");
	return 0;
}

int st_check(struct st *st)
{
	sqlite3_stmt *s;
	const char *line;
	int rc, n = 0;

	st_readahead(st);
	rc = sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st_fail(st, rc, "quick_check");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		line = (const char *)sqlite3_column_text(s, 0);
		if (line && strcmp(line, "ok") == 0)
			break;
		if (n++ < ST_CHECK_LINES)
			k1s_err(ST_MOD, "%s: quick_check: %s", st->path, line ? line : "?");
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_finalize(s);
		return st_fail(st, rc, "quick_check");
	}
	sqlite3_finalize(s);
	if (n > 0) {
		st_damaged(st, "SQLite's quick_check found it inconsistent");
		return K1S_EDAMAGED;
	}
	return st_check_events(st);
}
