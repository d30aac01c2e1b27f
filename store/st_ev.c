/* The event log: one row per revision, replayed to watches, trimmed to a
 * window of the newest events. */
#include <errno.h>
#include <stdlib.h>

#include "k1s_log.h"
#include "st_int.h"

int st_ev_drop(struct st *st, int64_t upto)
{
	sqlite3_stmt *s;
	int rc, err = 0;

	s = st_stmt(st, ST_Q_COMPACT);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, upto);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		err = st_fail(st, rc, "compact");
	st_stmt_done(st, ST_Q_COMPACT, s);
	if (err)
		return err;
	/* The compaction point is also the revision's floor once no event is
	 * left (see st.c), so it is written in the same transaction. */
	s = st_stmt(st, ST_Q_SET_COMPACTED);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, upto);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		err = st_fail(st, rc, "compact");
	st_stmt_done(st, ST_Q_SET_COMPACTED, s);
	return err;
}

int st_ev_append(struct st *st, int64_t rev, enum st_event_type type, const char *res,
                 const char *ns, const char *name, const char *data, int len, int64_t *compacted)
{
	sqlite3_stmt *s;
	int rc, err = 0;

	s = st_stmt(st, ST_Q_EVENT_ADD);
	if (!s)
		return -EIO;
	if (sqlite3_bind_int64(s, 1, rev) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, (int)type) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, res, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, ns, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 5, name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 6, data, len, SQLITE_STATIC) != SQLITE_OK) {
		err = -ENOMEM;
	} else if ((rc = sqlite3_step(s)) != SQLITE_DONE) {
		err = st_fail(st, rc, "append event");
	}
	st_stmt_done(st, ST_Q_EVENT_ADD, s);
	if (err)
		return err;
	/* Let the log grow `slack` past the window, then trim it back in one
	 * statement: one delete every `slack` writes, inside a transaction
	 * that is committing anyway. */
	if (rev - *compacted > st->window + st->slack) {
		err = st_ev_drop(st, rev - st->window);
		if (!err)
			*compacted = rev - st->window;
	}
	return err;
}

int st_compact(struct st *st, int64_t keep)
{
	int64_t upto;
	int err;

	if (keep < 0)
		return -EINVAL;
	upto = st->rev - keep;
	if (upto <= st->compacted)
		return 0;
	err = st_wbegin(st);
	if (err)
		return err;
	err = st_ev_drop(st, upto);
	err = st_wend(st, err, st->rev, upto);
	if (!err)
		k1s_debug(ST_MOD, "%s: events up to revision %lld dropped", st->path,
		          (long long)upto);
	return err;
}

int st_events(struct st *st, int64_t after, const char *res, const char *ns, int64_t limit,
              st_event_fn fn, void *arg)
{
	struct st_event ev;
	sqlite3_stmt *s;
	int rc, err = 0;

	if (!fn)
		return -EINVAL;
	if (after < st_oldest(st) - 1)
		return K1S_EGONE;
	s = st_stmt(st, ST_Q_EVENTS);
	if (!s)
		return -EIO;
	if (sqlite3_bind_int64(s, 1, after) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, res, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, ns, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, limit > 0 ? limit : -1) != SQLITE_OK) {
		st_stmt_done(st, ST_Q_EVENTS, s);
		return -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int type = sqlite3_column_int(s, 1);
		json_t *obj;

		ev.rev = sqlite3_column_int64(s, 0);
		ev.resource = (const char *)sqlite3_column_text(s, 2);
		ev.ns = (const char *)sqlite3_column_text(s, 3);
		ev.name = (const char *)sqlite3_column_text(s, 4);
		if (!ev.resource || !ev.ns || !ev.name || type < ST_ADDED || type > ST_DELETED) {
			k1s_err(ST_MOD, "%s: event %lld is malformed", st->path, (long long)ev.rev);
			err = -EIO;
			break;
		}
		ev.type = (enum st_event_type)type;
		obj = st_parse(ev.resource, ev.ns, ev.name, sqlite3_column_blob(s, 5),
		               sqlite3_column_bytes(s, 5));
		if (!obj) {
			err = -EIO;
			break;
		}
		ev.obj = obj;
		err = fn(arg, &ev);
		json_decref(obj);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = st_fail(st, rc, "events");
	st_stmt_done(st, ST_Q_EVENTS, s);
	return err;
}
