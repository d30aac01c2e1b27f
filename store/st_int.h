/* Internals shared by the store's files: st.c (open, schema, statements,
 * transactions), st_obj.c (objects) and st_ev.c (event log). */
#ifndef ST_INT_H
#define ST_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#include "st.h"

#define ST_MOD "store"
#define ST_DB_FILE "k1s.db"
#define ST_DEFAULT_WINDOW 10000
#define ST_BUSY_TIMEOUT_MS 5000

/* Prepared statements, cached on the struct for the life of the store. */
enum st_stmt_id {
	ST_Q_BEGIN,
	ST_Q_COMMIT,
	ST_Q_ROLLBACK,
	ST_Q_SAVEPOINT,
	ST_Q_RELEASE,
	ST_Q_ROLLBACK_TO,
	ST_Q_BATCH_SAVEPOINT, /* st_begin() inside a group */
	ST_Q_BATCH_RELEASE,
	ST_Q_BATCH_ROLLBACK_TO,
	ST_Q_GET,
	ST_Q_GET_REV,
	ST_Q_INSERT,
	ST_Q_UPDATE,
	ST_Q_DELETE,
	ST_Q_LIST,          /* all namespaces */
	ST_Q_LIST_AFTER,    /* all namespaces, after a key */
	ST_Q_LIST_NS,       /* one namespace */
	ST_Q_LIST_NS_AFTER, /* one namespace, after a key */
	ST_Q_COUNT_AFTER,    /* how many st_list would go on to, all namespaces */
	ST_Q_COUNT_NS_AFTER, /* the same in one namespace */
	ST_Q_EVENT_ADD,
	ST_Q_EVENTS,
	ST_Q_OWNED,
	ST_Q_COMPACT,
	ST_Q_SET_COMPACTED,
	ST_Q_PRIVATE_GET,
	ST_Q_PRIVATE_PUT,
	ST_Q_COUNT
};

#define ST_WRITES_MAX 64

struct st {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_Q_COUNT];
	int lock_fd; /* flock()ed: one process per store */
	char *path;
	int schema;
	int64_t rev;       /* last revision written (committed or in the open batch) */
	int64_t compacted; /* events up to this revision are gone */
	int64_t window;    /* events kept */
	int64_t slack;     /* events beyond the window before compaction runs */
	bool in_batch;
	bool full;         /* the last write failed for want of space (logged once) */
	int64_t batch_rev; /* rev and compacted when the batch began */
	int64_t batch_compacted;
	/* Group commit (st_group_begin): armed, the first write opens the
	 * group's transaction; a batch inside it is a savepoint. */
	bool group;
	bool group_open;   /* BEGIN done: st_group_end() commits */
	bool batch_nested; /* the open batch is a savepoint in the group */
	unsigned group_writes;
	int64_t group_rev; /* rev and compacted when the group's transaction began */
	int64_t group_compacted;
	void (*on_commit)(void *arg, int64_t rev);
	void *on_commit_arg;
	struct st_stats stats;
	/* Writes per resource (st_writes_each): the resources of the API,
	 * a few dozen, so a scan finds one as fast as a hash would. */
	struct st_writes {
		char w_res[64];
		uint64_t w_n[3];	/* per enum st_event_type */
	} writes[ST_WRITES_MAX];
	unsigned nwrites;
	/* Followers' objects, one json_t per revision of an object for all
	 * (st_follow.c): "resource/namespace/name" -> object. */
	json_t *shared;
	size_t shared_live; /* entries left by the last sweep */
	json_t *followers;  /* resource -> how many followers follow it */
};

/* The cached statement `id`, reset and unbound, or, when that one is still
 * stepping (a callback re-entered the store), a fresh one that
 * st_stmt_done() finalizes. NULL on error (logged). */
sqlite3_stmt *st_stmt(struct st *st, enum st_stmt_id id);
void st_stmt_done(struct st *st, enum st_stmt_id id, sqlite3_stmt *s);
/* Runs a statement that returns no rows. 0 or negative errno. */
int st_exec_id(struct st *st, enum st_stmt_id id);

/* Maps an SQLite result code to a negative errno. */
int st_sqlerr(int rc);
/* Logs an SQLite failure of `what` and returns st_sqlerr(rc), or
 * K1S_EDISKFULL when the file system is full: that is logged once until a
 * write succeeds again, since every writer retries. */
int st_fail(struct st *st, int rc, const char *what);

/* A write's transaction: its own when outside a batch or group, a
 * savepoint inside one. st_wend() commits (err == 0) or rolls back and
 * returns the result; on success it adopts rev/compacted and fires
 * on_commit when it committed. */
int st_wbegin(struct st *st);
int st_wend(struct st *st, int err, int64_t rev, int64_t compacted);
/* Counts a write that succeeded (st_writes_each). */
void st_count_write(struct st *st, const char *res, enum st_event_type type);

/* Within a write's transaction: appends the event for revision `rev` and
 * compacts when the log has outgrown its window; *compacted receives the
 * new compaction point. */
int st_ev_append(struct st *st, int64_t rev, enum st_event_type type, const char *res,
                 const char *ns, const char *name, const char *data, int len, int64_t *compacted);
/* Drops the events up to `upto` inside the current transaction. */
int st_ev_drop(struct st *st, int64_t upto);

/* st_check.c: PRAGMA quick_check at open; 0, or K1S_EDAMAGED (logged,
 * with what to do). */
int st_check(struct st *st);
/* Logs that the store is damaged, why, and what to do about it. */
void st_damaged(struct st *st, const char *what);

/* Parses a stored object; NULL (logged) when the row is not a JSON object. */
json_t *st_parse(const char *res, const char *ns, const char *name, const void *text, int len);

#endif
