/* The store: opening, the schema and its migrations, the statement cache
 * and transactions. Objects are in st_obj.c, the event log in st_ev.c.
 *
 * The current revision is not stored on its own: it is the newest event's
 * revision, or the compaction point once compaction has dropped every event
 * (meta row "compacted"). Both only grow, so the revision never goes back,
 * across restarts too, even after the newest object was deleted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "k1s_log.h"
#include "st_int.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* 'k1s' in the database header, so that another program's SQLite file is
 * refused rather than migrated. */
#define ST_APPLICATION_ID 0x6b317300

/* The schema, as the ordered steps that build it: step i takes a database
 * from user_version i to i + 1. A new release appends a step and never
 * edits an old one. All pending steps run in one transaction at open. */
struct st_migration {
	const char *what;
	const char *sql;
};

/* clang-format off */
static const struct st_migration st_migrations[] = {
	{
		"objects, event log and meta",
		"CREATE TABLE meta ("
		"  key TEXT PRIMARY KEY,"
		"  value INTEGER NOT NULL"
		") WITHOUT ROWID;"
		"INSERT INTO meta (key, value) VALUES ('compacted', 0);"
		/* Clustered on the key, so a list reads rows in the order it
		 * returns them. */
		"CREATE TABLE objects ("
		"  resource TEXT NOT NULL,"
		"  namespace TEXT NOT NULL,"
		"  name TEXT NOT NULL,"
		"  rev INTEGER NOT NULL,"
		"  data TEXT NOT NULL,"
		"  PRIMARY KEY (resource, namespace, name)"
		") WITHOUT ROWID;"
		"CREATE TABLE events ("
		"  rev INTEGER PRIMARY KEY,"
		"  type INTEGER NOT NULL,"
		"  resource TEXT NOT NULL,"
		"  namespace TEXT NOT NULL,"
		"  name TEXT NOT NULL,"
		"  data TEXT NOT NULL"
		");"
		"PRAGMA application_id = 1798402816;", /* ST_APPLICATION_ID */
	},
	{
		/* Garbage collection asks "who names this uid as an owner?"
		 * on every delete: an index answers it without reading every
		 * object. Triggers keep it, so no write path can forget; a
		 * damaged row (not JSON) owns nothing rather than failing. */
		"owner index",
		"CREATE TABLE owners ("
		"  uid TEXT NOT NULL,"
		"  resource TEXT NOT NULL,"
		"  namespace TEXT NOT NULL,"
		"  name TEXT NOT NULL,"
		"  PRIMARY KEY (uid, resource, namespace, name)"
		") WITHOUT ROWID;"
		"INSERT OR IGNORE INTO owners"
		"  SELECT json_extract(r.value, '$.uid'), o.resource, o.namespace, o.name"
		"  FROM objects o, json_each(iif(json_valid(o.data), o.data, '{}'), '$.metadata.ownerReferences') r"
		"  WHERE json_extract(r.value, '$.uid') IS NOT NULL;"
		"CREATE TRIGGER owners_insert AFTER INSERT ON objects BEGIN"
		"  INSERT OR IGNORE INTO owners"
		"    SELECT json_extract(value, '$.uid'), NEW.resource, NEW.namespace, NEW.name"
		"    FROM json_each(iif(json_valid(NEW.data), NEW.data, '{}'), '$.metadata.ownerReferences')"
		"    WHERE json_extract(value, '$.uid') IS NOT NULL;"
		"END;"
		"CREATE TRIGGER owners_update AFTER UPDATE OF data ON objects BEGIN"
		"  DELETE FROM owners WHERE resource = OLD.resource"
		"    AND namespace = OLD.namespace AND name = OLD.name AND uid IN"
		"    (SELECT json_extract(value, '$.uid')"
		"     FROM json_each(iif(json_valid(OLD.data), OLD.data, '{}'), '$.metadata.ownerReferences'));"
		"  INSERT OR IGNORE INTO owners"
		"    SELECT json_extract(value, '$.uid'), NEW.resource, NEW.namespace, NEW.name"
		"    FROM json_each(iif(json_valid(NEW.data), NEW.data, '{}'), '$.metadata.ownerReferences')"
		"    WHERE json_extract(value, '$.uid') IS NOT NULL;"
		"END;"
		"CREATE TRIGGER owners_delete AFTER DELETE ON objects BEGIN"
		"  DELETE FROM owners WHERE resource = OLD.resource"
		"    AND namespace = OLD.namespace AND name = OLD.name AND uid IN"
		"    (SELECT json_extract(value, '$.uid')"
		"     FROM json_each(iif(json_valid(OLD.data), OLD.data, '{}'), '$.metadata.ownerReferences'));"
		"END;",
	},
	{
		/* Apart from objects, so that no list, watch or event can
		 * carry a value: the cluster CA's key lives here. */
		"private values",
		"CREATE TABLE private ("
		"  key TEXT PRIMARY KEY,"
		"  value TEXT NOT NULL"
		") WITHOUT ROWID;",
	},
};

#define ST_SCHEMA ((int)ARRAY_SIZE(st_migrations))

static const char *const st_sql[ST_Q_COUNT] = {
	[ST_Q_BEGIN] = "BEGIN IMMEDIATE",
	[ST_Q_COMMIT] = "COMMIT",
	[ST_Q_ROLLBACK] = "ROLLBACK",
	[ST_Q_SAVEPOINT] = "SAVEPOINT st_write",
	[ST_Q_RELEASE] = "RELEASE st_write",
	[ST_Q_ROLLBACK_TO] = "ROLLBACK TO st_write",
	[ST_Q_BATCH_SAVEPOINT] = "SAVEPOINT st_batch",
	[ST_Q_BATCH_RELEASE] = "RELEASE st_batch",
	[ST_Q_BATCH_ROLLBACK_TO] = "ROLLBACK TO st_batch",
	[ST_Q_PRIVATE_GET] = "SELECT value FROM private WHERE key = ?1",
	[ST_Q_PRIVATE_PUT] = "INSERT OR REPLACE INTO private (key, value) VALUES (?1, ?2)",
	[ST_Q_GET] = "SELECT rev, data FROM objects"
		     " WHERE resource = ?1 AND namespace = ?2 AND name = ?3",
	[ST_Q_GET_REV] = "SELECT rev FROM objects"
			 " WHERE resource = ?1 AND namespace = ?2 AND name = ?3",
	[ST_Q_INSERT] = "INSERT INTO objects (resource, namespace, name, rev, data)"
			" VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_Q_UPDATE] = "UPDATE objects SET rev = ?4, data = ?5"
			" WHERE resource = ?1 AND namespace = ?2 AND name = ?3",
	[ST_Q_DELETE] = "DELETE FROM objects"
			" WHERE resource = ?1 AND namespace = ?2 AND name = ?3",
	/* The list statements all take (resource, namespace, after name,
	 * limit) so that one binder serves them. */
	[ST_Q_LIST] = "SELECT namespace, name, data FROM objects WHERE resource = ?1"
		      " AND ?2 IS NULL AND ?3 IS NULL"
		      " ORDER BY namespace, name LIMIT ?4",
	[ST_Q_LIST_AFTER] = "SELECT namespace, name, data FROM objects WHERE resource = ?1"
			    " AND (namespace, name) > (?2, ?3)"
			    " ORDER BY namespace, name LIMIT ?4",
	[ST_Q_LIST_NS] = "SELECT namespace, name, data FROM objects"
			 " WHERE resource = ?1 AND namespace = ?2 AND ?3 IS NULL"
			 " ORDER BY name LIMIT ?4",
	[ST_Q_LIST_NS_AFTER] = "SELECT namespace, name, data FROM objects"
			       " WHERE resource = ?1 AND namespace = ?2 AND name > ?3"
			       " ORDER BY name LIMIT ?4",
	[ST_Q_COUNT_AFTER] = "SELECT count(*) FROM objects WHERE resource = ?1"
			    " AND (namespace, name) > (?2, ?3)",
	[ST_Q_COUNT_NS_AFTER] = "SELECT count(*) FROM objects"
			       " WHERE resource = ?1 AND namespace = ?2 AND name > ?3",
	[ST_Q_EVENT_ADD] = "INSERT INTO events (rev, type, resource, namespace, name, data)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_Q_EVENTS] = "SELECT rev, type, resource, namespace, name, data FROM events"
			" WHERE rev > ?1 AND (?2 IS NULL OR resource = ?2)"
			" AND (?3 IS NULL OR namespace = ?3)"
			" ORDER BY rev LIMIT ?4",
	[ST_Q_OWNED] = "SELECT o.resource, o.namespace, o.name, o.data FROM owners w"
		       " JOIN objects o ON o.resource = w.resource"
		       " AND o.namespace = w.namespace AND o.name = w.name"
		       " WHERE w.uid = ?1 AND (?2 IS NULL OR w.namespace = ?2)"
		       " ORDER BY w.resource, w.namespace, w.name",
	[ST_Q_COMPACT] = "DELETE FROM events WHERE rev <= ?1",
	[ST_Q_SET_COMPACTED] = "UPDATE meta SET value = ?1 WHERE key = 'compacted'",
};
/* clang-format on */

int st_sqlerr(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return K1S_EDAMAGED;
	default:
		return -EIO;
	}
}

/* SQLite says SQLITE_FULL where a write to the database or the WAL found
 * no space, but an I/O error where growing the -shm file did: errno tells. */
static bool st_disk_full(struct st *st, int rc)
{
	int e;

	if ((rc & 0xff) == SQLITE_FULL)
		return true;
	if ((rc & 0xff) != SQLITE_IOERR || !st->db)
		return false;
	e = sqlite3_system_errno(st->db);
	return e == ENOSPC || e == EDQUOT;
}

int st_fail(struct st *st, int rc, const char *what)
{
	if (st_disk_full(st, rc)) {
		if (!st->full)
			k1s_err(ST_MOD,
			        "%s: %s: the disk is full: writes fail until space is freed"
			        " there; reads go on",
			        st->path, what);
		else
			k1s_debug(ST_MOD, "%s: %s: still no space", st->path, what);
		st->full = true;
		return K1S_EDISKFULL;
	}
	k1s_err(ST_MOD, "%s: %s: %s", st->path, what,
	        st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	if (st_sqlerr(rc) == K1S_EDAMAGED)
		st_damaged(st, st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	return st_sqlerr(rc);
}

/* A commit went through: if the disk was full, say once that it is not. */
static void st_space_back(struct st *st)
{
	if (!st->full)
		return;
	st->full = false;
	k1s_info(ST_MOD, "%s: space is back: writes go on", st->path);
}

sqlite3_stmt *st_stmt(struct st *st, enum st_stmt_id id)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc;

	if (s && !sqlite3_stmt_busy(s))
		return s;
	/* Either the first use, or a callback re-entered the store while this
	 * statement is stepping: the latter gets a statement of its own. */
	rc =
	    sqlite3_prepare_v3(st->db, st_sql[id], -1, s ? 0 : SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (rc != SQLITE_OK) {
		st_fail(st, rc, "prepare");
		return NULL;
	}
	if (!st->stmt[id])
		st->stmt[id] = s;
	return s;
}

void st_stmt_done(struct st *st, enum st_stmt_id id, sqlite3_stmt *s)
{
	if (!s)
		return;
	if (s != st->stmt[id]) {
		sqlite3_finalize(s);
		return;
	}
	sqlite3_reset(s);
	/* Text is bound SQLITE_STATIC and freed after the call. */
	sqlite3_clear_bindings(s);
}

int st_exec_id(struct st *st, enum st_stmt_id id)
{
	sqlite3_stmt *s = st_stmt(st, id);
	int rc, err = 0;

	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = st_fail(st, rc, st_sql[id]);
	st_stmt_done(st, id, s);
	return err;
}

/* Ends the open transaction after a failure; SQLite may already have
 * rolled it back itself (I/O errors, a full disk). */
static void st_abort(struct st *st)
{
	if (!sqlite3_get_autocommit(st->db))
		st_exec_id(st, ST_Q_ROLLBACK);
}

/* COMMIT, timed: with synchronous=FULL this is where SQLite fsyncs. */
static int st_commit_timed(struct st *st)
{
	struct timespec t0;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = st_exec_id(st, ST_Q_COMMIT);
	if (!err) {
		st->stats.commits++;
		k1s_hist_observe(&st->stats.commit_time, k1s_hist_since(&t0));
	}
	return err;
}

/* Opens the armed group's transaction, at its first write. */
static int st_group_open(struct st *st)
{
	int err;

	if (!st->group || st->group_open)
		return 0;
	err = st_exec_id(st, ST_Q_BEGIN);
	if (err)
		return err;
	st->group_open = true;
	st->group_rev = st->rev;
	st->group_compacted = st->compacted;
	return 0;
}

int st_wbegin(struct st *st)
{
	int err = st_group_open(st);

	if (err)
		return err;
	if (st->group_open)
		st->group_writes++;
	return st_exec_id(st, st->in_batch || st->group_open ? ST_Q_SAVEPOINT : ST_Q_BEGIN);
}

int st_wend(struct st *st, int err, int64_t rev, int64_t compacted)
{
	bool advanced = rev != st->rev;

	if (st->in_batch || st->group_open) {
		if (!err)
			err = st_exec_id(st, ST_Q_RELEASE);
		if (err) {
			/* Undo this write only; the batch or group goes on. */
			st_exec_id(st, ST_Q_ROLLBACK_TO);
			st_exec_id(st, ST_Q_RELEASE);
			return err;
		}
		st->rev = rev;
		st->compacted = compacted;
		return 0;
	}
	if (!err)
		err = st_commit_timed(st);
	if (err) {
		st_abort(st);
		return err;
	}
	/* Committed: with synchronous=FULL on disk, with NORMAL in the WAL
	 * file, which survives the process. Only now is the write acknowledged. */
	st_space_back(st);
	st->rev = rev;
	st->compacted = compacted;
	if (advanced && st->on_commit)
		st->on_commit(st->on_commit_arg, rev);
	return 0;
}

/* Runs `sql` that returns at most one integer; *out is left alone when it
 * returns no row or NULL. */
static int st_query_int(struct st *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st_fail(st, rc, sql);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(s, 0);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		st_fail(st, rc, sql);
		sqlite3_finalize(s);
		return st_sqlerr(rc);
	}
	sqlite3_finalize(s);
	return 0;
}

/* Runs `sql`; a failure is logged as the failure of `what`. */
static int st_exec(struct st *st, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc, err;

	rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return 0;
	k1s_err(ST_MOD, "%s: %s: %s", st->path, what ? what : sql, msg ? msg : sqlite3_errstr(rc));
	err = st_sqlerr(rc);
	sqlite3_free(msg);
	return err;
}

/* Brings the schema to ST_SCHEMA: every pending step and the new
 * user_version in one transaction, so that a failed step leaves the
 * database as it was. */
static int st_migrate(struct st *st)
{
	int64_t version = 0, app = 0;
	char sql[64];
	int err;

	err = st_query_int(st, "PRAGMA user_version", &version);
	if (!err)
		err = st_query_int(st, "PRAGMA application_id", &app);
	if (err)
		return err;
	if (app != 0 && app != ST_APPLICATION_ID) {
		k1s_err(ST_MOD, "%s: not a k1s store (application id %#llx)", st->path,
		        (unsigned long long)app);
		return -EPROTO;
	}
	if (version > ST_SCHEMA || version < 0) {
		k1s_err(ST_MOD,
		        "%s: schema version %lld is newer than this k1s knows (%d);"
		        " refusing to open it",
		        st->path, (long long)version, ST_SCHEMA);
		return -EPROTO;
	}
	if (version == ST_SCHEMA) {
		st->schema = ST_SCHEMA;
		return 0;
	}
	err = st_exec(st, "BEGIN IMMEDIATE", NULL);
	if (err)
		return err;
	for (int v = (int)version; v < ST_SCHEMA && !err; v++) {
		k1s_info(ST_MOD, "%s: schema %d -> %d: %s", st->path, v, v + 1,
		         st_migrations[v].what);
		err = st_exec(st, st_migrations[v].sql, st_migrations[v].what);
	}
	if (!err) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", ST_SCHEMA);
		err = st_exec(st, sql, NULL);
	}
	if (!err)
		err = st_exec(st, "COMMIT", NULL);
	if (err) {
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		k1s_err(ST_MOD, "%s: migration from schema %lld failed; database unchanged",
		        st->path, (long long)version);
		return err;
	}
	st->schema = ST_SCHEMA;
	return 0;
}

static int st_configure(struct st *st, const struct st_opts *opts)
{
	int64_t dummy = 0;
	sqlite3_stmt *s;
	const char *mode;
	int rc, err;

	sqlite3_busy_timeout(st->db, ST_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st_fail(st, rc, "journal_mode");
	rc = sqlite3_step(s);
	mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
	if (!mode || strcmp(mode, "wal") != 0) {
		if (rc != SQLITE_ROW)
			st_fail(st, rc, "journal_mode");
		else
			k1s_err(ST_MOD, "%s: cannot switch to WAL mode (got %s)", st->path,
			        mode ? mode : "nothing");
		sqlite3_finalize(s);
		return rc != SQLITE_ROW ? st_sqlerr(rc) : -EIO;
	}
	sqlite3_finalize(s);
	err = st_exec(st,
	              opts && opts->sync == ST_SYNC_NORMAL ? "PRAGMA synchronous = NORMAL"
	                                                   : "PRAGMA synchronous = FULL",
	              NULL);
	/* A big batch grows the WAL; cut it back after the checkpoint rather
	 * than keep its high-water mark on disk. The page cache is 1 MiB,
	 * enough for the b-trees' inner pages that every lookup walks; the
	 * rest is in the kernel's page cache, a pread away. A larger one
	 * grew k1s's resident set with the file: 13 MiB of it with 10,000
	 * Services at 16 MiB, and under steady churn it kept growing for as
	 * long as the event log did (bench/soak). */
	if (!err)
		err = st_exec(st,
		              "PRAGMA cache_size = -1024; PRAGMA temp_store = MEMORY;"
		              " PRAGMA journal_size_limit = 67108864",
		              NULL);
	/* Touch the database so that a file that is not one fails here. */
	if (!err)
		err = st_query_int(st, "SELECT count(*) FROM sqlite_schema", &dummy);
	return err;
}

/* Recovers the revision and the compaction point from the tables. */
static int st_load(struct st *st)
{
	int64_t ev = 0, obj = 0;
	int err;

	err = st_query_int(st, "SELECT value FROM meta WHERE key = 'compacted'", &st->compacted);
	if (!err)
		err = st_query_int(st, "SELECT max(rev) FROM events", &ev);
	if (!err)
		err = st_query_int(st, "SELECT max(rev) FROM objects", &obj);
	if (err)
		return err;
	st->rev = st->compacted;
	if (ev > st->rev)
		st->rev = ev;
	if (obj > st->rev) {
		/* Every object write logs an event with the same revision, and
		 * compaction never drops events past the newest; so this is a
		 * damaged database. Go on above it rather than reuse revisions. */
		k1s_warn(ST_MOD, "%s: object revision %lld is past the event log (%lld)", st->path,
		         (long long)obj, (long long)st->rev);
		st->rev = obj;
	}
	return 0;
}

/* Holds an exclusive flock() on the database file for as long as the store
 * is open: the cached revision is only right while one process writes.
 * The descriptor must outlive the SQLite connection, since closing any
 * descriptor of a file drops the process's POSIX locks on it, SQLite's
 * included. */
static int st_lock(struct st *st)
{
	struct stat sb;

	st->lock_fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0) {
		int err = -errno;

		k1s_err(ST_MOD, "%s: %s", st->path, strerror(-err));
		return err;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		k1s_err(ST_MOD, "%s: in use by another k1s: %s", st->path, strerror(-err));
		return err;
	}
	/* Objects include Secrets: keep the file (and with it the WAL and
	 * shared-memory files, which SQLite creates with its mode) private. */
	if (fstat(st->lock_fd, &sb) == 0 && (sb.st_mode & 077) != 0 &&
	    fchmod(st->lock_fd, sb.st_mode & 0700) < 0)
		k1s_warn(ST_MOD, "%s: chmod: %s", st->path, strerror(errno));
	return 0;
}

struct st *st_open(const char *dir, const struct st_opts *opts, int *err)
{
	struct st *st;
	int rc, e;

	st = calloc(1, sizeof(*st));
	if (!st) {
		*err = -ENOMEM;
		return NULL;
	}
	st->lock_fd = -1;
	if (asprintf(&st->path, "%s/%s", dir, ST_DB_FILE) < 0) {
		st->path = NULL;
		e = -ENOMEM;
		goto fail;
	}
	st->window = opts && opts->event_window > 0 ? opts->event_window : ST_DEFAULT_WINDOW;
	st->slack = st->window / 8;
	if (st->slack < 1)
		st->slack = 1;
	if (st->slack > 1024)
		st->slack = 1024;

	e = st_lock(st);
	if (e)
		goto fail;
	rc = sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		e = st_fail(st, rc, "open");
		goto fail;
	}
	e = st_configure(st, opts);
	if (!e)
		e = st_check(st);
	if (!e)
		e = st_migrate(st);
	if (!e)
		e = st_load(st);
	if (e)
		goto fail;
	k1s_info(ST_MOD, "%s: open, schema %d, revision %lld, events from %lld, sync %s", st->path,
	         st->schema, (long long)st->rev, (long long)st_oldest(st),
	         opts && opts->sync == ST_SYNC_NORMAL ? "normal" : "full");
	*err = 0;
	return st;
fail:
	st_close(st);
	*err = e;
	return NULL;
}

void st_close(struct st *st)
{
	if (!st)
		return;
	if (st->in_batch) {
		k1s_warn(ST_MOD, "%s: closed inside a batch; rolling it back", st->path);
		st_rollback(st);
	}
	if (st->group_open) {
		k1s_warn(ST_MOD, "%s: closed inside a group; rolling it back", st->path);
		st_abort(st);
	}
	for (int i = 0; i < ST_Q_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db && sqlite3_close(st->db) != SQLITE_OK)
		k1s_err(ST_MOD, "%s: close: %s", st->path, sqlite3_errmsg(st->db));
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	json_decref(st->shared);
	json_decref(st->followers);
	free(st->path);
	free(st);
}

int64_t st_rev(const struct st *st)
{
	return st->rev;
}

int64_t st_oldest(const struct st *st)
{
	return st->compacted + 1;
}

int st_schema_version(const struct st *st)
{
	return st->schema;
}

int st_begin(struct st *st)
{
	int err;

	if (st->in_batch)
		return -EBUSY;
	err = st_group_open(st);
	if (err)
		return err;
	err = st_exec_id(st, st->group_open ? ST_Q_BATCH_SAVEPOINT : ST_Q_BEGIN);
	if (err)
		return err;
	st->in_batch = true;
	st->batch_nested = st->group_open;
	st->batch_rev = st->rev;
	st->batch_compacted = st->compacted;
	return 0;
}

int st_commit(struct st *st)
{
	int err;

	if (!st->in_batch)
		return -EINVAL;
	if (st->batch_nested) {
		/* Durable with the group, which commits it or nothing. */
		err = st_exec_id(st, ST_Q_BATCH_RELEASE);
		if (err) {
			st_rollback(st);
			return err;
		}
		st->in_batch = false;
		return 0;
	}
	err = st_commit_timed(st);
	if (err) {
		st_rollback(st);
		return err;
	}
	st->in_batch = false;
	st_space_back(st);
	if (st->rev != st->batch_rev && st->on_commit)
		st->on_commit(st->on_commit_arg, st->rev);
	return 0;
}

void st_rollback(struct st *st)
{
	if (!st->in_batch)
		return;
	if (st->batch_nested) {
		st_exec_id(st, ST_Q_BATCH_ROLLBACK_TO);
		st_exec_id(st, ST_Q_BATCH_RELEASE);
	} else {
		st_abort(st);
	}
	st->in_batch = false;
	st->rev = st->batch_rev;
	st->compacted = st->batch_compacted;
}

int st_group_begin(struct st *st)
{
	if (st->in_batch || st->group)
		return -EBUSY;
	st->group = true;
	st->group_writes = 0;
	return 0;
}

unsigned st_group_writes(const struct st *st)
{
	return st->group ? st->group_writes : 0;
}

int st_group_end(struct st *st)
{
	bool open = st->group_open;
	int err;

	if (!st->group)
		return -EINVAL;
	if (st->in_batch) {
		k1s_warn(ST_MOD, "%s: a group ended inside a batch; rolling the batch back",
		         st->path);
		st_rollback(st);
	}
	st->group = false;
	st->group_open = false;
	st->group_writes = 0;
	if (!open)
		return 0;
	err = st_commit_timed(st);
	if (err) {
		/* Nothing of the group is durable: forget all of it. */
		st_abort(st);
		st->rev = st->group_rev;
		st->compacted = st->group_compacted;
		return err;
	}
	st_space_back(st);
	if (st->rev != st->group_rev && st->on_commit)
		st->on_commit(st->on_commit_arg, st->rev);
	return 0;
}

void st_on_commit(struct st *st, void (*fn)(void *arg, int64_t rev), void *arg)
{
	st->on_commit = fn;
	st->on_commit_arg = arg;
}

const struct st_stats *st_stats(const struct st *st)
{
	return &st->stats;
}

void st_count_write(struct st *st, const char *res, enum st_event_type type)
{
	unsigned i;

	if (strlen(res) >= sizeof(st->writes[0].w_res))
		res = "other";
	for (i = 0; i < st->nwrites; i++)
		if (strcmp(st->writes[i].w_res, res) == 0)
			break;
	if (i == st->nwrites) {
		if (st->nwrites >= ST_WRITES_MAX - 1)
			res = "other";
		for (i = 0; i < st->nwrites; i++)
			if (strcmp(st->writes[i].w_res, res) == 0)
				break;
		if (i == st->nwrites) {
			snprintf(st->writes[i].w_res, sizeof(st->writes[i].w_res), "%s", res);
			st->nwrites++;
		}
	}
	st->writes[i].w_n[type]++;
}

void st_writes_each(const struct st *st, st_writes_fn fn, void *arg)
{
	for (unsigned i = 0; i < st->nwrites; i++)
		for (int t = ST_ADDED; t <= ST_DELETED; t++)
			fn(arg, st->writes[i].w_res, (enum st_event_type)t, st->writes[i].w_n[t]);
}
