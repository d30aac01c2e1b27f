/* Objects: get, create, update, delete and list. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_log.h"
#include "st_int.h"

json_t *st_parse(const char *res, const char *ns, const char *name, const void *text, int len)
{
	json_error_t jerr;
	json_t *obj;

	if (!text) {
		k1s_err(ST_MOD, "%s %s/%s: stored object is NULL", res, ns, name);
		return NULL;
	}
	obj = json_loadb(text, (size_t)len, 0, &jerr);
	if (!obj) {
		k1s_err(ST_MOD, "%s %s/%s: stored object is not valid JSON: %s", res, ns, name,
		        jerr.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		k1s_err(ST_MOD, "%s %s/%s: stored object is not a JSON object", res, ns, name);
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* What st_stamp() changed in the caller's object, so that a failed write
 * can leave it as it was. */
struct st_stamp {
	json_t *obj;
	json_t *md;  /* metadata, if st_stamp() created it */
	json_t *old; /* the previous resourceVersion, a reference */
};

/* Sets metadata.resourceVersion to the decimal `rev`, as Kubernetes
 * clients expect a string there. */
static int st_stamp(json_t *obj, int64_t rev, struct st_stamp *sp)
{
	char buf[24];
	json_t *md;

	memset(sp, 0, sizeof(*sp));
	if (!json_is_object(obj))
		return -EINVAL;
	md = json_object_get(obj, "metadata");
	if (!md) {
		md = json_object();
		if (!md || json_object_set_new(obj, "metadata", md) < 0)
			return -ENOMEM;
		sp->md = md;
	} else if (!json_is_object(md)) {
		return -EINVAL;
	}
	sp->obj = obj;
	sp->old = json_incref(json_object_get(md, "resourceVersion"));
	snprintf(buf, sizeof(buf), "%" PRId64, rev);
	if (json_object_set_new(md, "resourceVersion", json_string(buf)) < 0)
		return -ENOMEM;
	return 0;
}

static void st_unstamp(struct st_stamp *sp)
{
	json_t *md;

	if (!sp->obj)
		return;
	if (sp->md) {
		json_object_del(sp->obj, "metadata");
	} else if ((md = json_object_get(sp->obj, "metadata")) != NULL) {
		if (sp->old)
			json_object_set(md, "resourceVersion", sp->old);
		else
			json_object_del(md, "resourceVersion");
	}
	json_decref(sp->old);
	sp->old = NULL;
	sp->obj = NULL;
}

static void st_stamp_done(struct st_stamp *sp)
{
	json_decref(sp->old);
	sp->old = NULL;
	sp->obj = NULL;
}

static int st_bind_key(sqlite3_stmt *s, const char *res, const char *ns, const char *name)
{
	if (sqlite3_bind_text(s, 1, res, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, ns, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC) != SQLITE_OK)
		return -ENOMEM;
	return 0;
}

static bool st_key_ok(const char *res, const char *ns, const char *name)
{
	return res && ns && name && *res && *name;
}

int st_get(struct st *st, const char *res, const char *ns, const char *name, json_t **out)
{
	sqlite3_stmt *s;
	int rc, err;

	*out = NULL;
	if (!st_key_ok(res, ns, name))
		return -EINVAL;
	s = st_stmt(st, ST_Q_GET);
	if (!s)
		return -EIO;
	err = st_bind_key(s, res, ns, name);
	if (!err) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = st_parse(res, ns, name, sqlite3_column_blob(s, 1),
			                sqlite3_column_bytes(s, 1));
			if (!*out)
				err = -EIO;
		} else if (rc == SQLITE_DONE) {
			err = -ENOENT;
		} else {
			err = st_fail(st, rc, "get");
		}
	}
	st_stmt_done(st, ST_Q_GET, s);
	return err;
}

/* Writes the object row with statement `id` (insert or update). */
static int st_put(struct st *st, enum st_stmt_id id, const char *res, const char *ns,
                  const char *name, int64_t rev, const char *text, int len)
{
	sqlite3_stmt *s = st_stmt(st, id);
	int rc, err;

	if (!s)
		return -EIO;
	err = st_bind_key(s, res, ns, name);
	if (!err && (sqlite3_bind_int64(s, 4, rev) != SQLITE_OK ||
	             sqlite3_bind_text(s, 5, text, len, SQLITE_STATIC) != SQLITE_OK))
		err = -ENOMEM;
	if (!err) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			err = -EEXIST;
		else if (rc != SQLITE_DONE)
			err = st_fail(st, rc, id == ST_Q_INSERT ? "insert" : "update");
	}
	st_stmt_done(st, id, s);
	return err;
}

/* The stored revision of an object, or -ENOENT; with `data` also its
 * parsed object. */
static int st_current(struct st *st, const char *res, const char *ns, const char *name,
                      int64_t *rev, json_t **data)
{
	enum st_stmt_id id = data ? ST_Q_GET : ST_Q_GET_REV;
	sqlite3_stmt *s = st_stmt(st, id);
	int rc, err;

	if (!s)
		return -EIO;
	err = st_bind_key(s, res, ns, name);
	if (!err) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*rev = sqlite3_column_int64(s, 0);
			if (data) {
				*data = st_parse(res, ns, name, sqlite3_column_blob(s, 1),
				                 sqlite3_column_bytes(s, 1));
				if (!*data)
					err = -EIO;
			}
		} else if (rc == SQLITE_DONE) {
			err = -ENOENT;
		} else {
			err = st_fail(st, rc, "get");
		}
	}
	st_stmt_done(st, id, s);
	return err;
}

/* Serializes obj for a row; *len gets its length. */
static char *st_dump(json_t *obj, int *len)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	size_t n;

	if (!text)
		return NULL;
	n = strlen(text);
	if (n > INT32_MAX) {
		free(text);
		return NULL;
	}
	*len = (int)n;
	return text;
}

int st_create(struct st *st, const char *res, const char *ns, const char *name, json_t *obj)
{
	int64_t rev = st->rev + 1, compacted = st->compacted;
	struct st_stamp sp;
	char *text;
	int err, len = 0;

	if (!st_key_ok(res, ns, name))
		return -EINVAL;
	err = st_stamp(obj, rev, &sp);
	if (err) {
		st_unstamp(&sp);
		return err;
	}
	text = st_dump(obj, &len);
	if (!text) {
		st_unstamp(&sp);
		return -ENOMEM;
	}
	err = st_wbegin(st);
	if (!err) {
		err = st_put(st, ST_Q_INSERT, res, ns, name, rev, text, len);
		if (!err)
			err = st_ev_append(st, rev, ST_ADDED, res, ns, name, text, len, &compacted);
		err = st_wend(st, err, rev, compacted);
	}
	free(text);
	if (err)
		st_unstamp(&sp);
	else
		st_stamp_done(&sp);
	if (!err)
		st_count_write(st, res, ST_ADDED);
	return err;
}

int st_update(struct st *st, const char *res, const char *ns, const char *name, json_t *obj,
              int64_t expect_rev)
{
	int64_t rev = st->rev + 1, compacted = st->compacted, cur;
	struct st_stamp sp = {0};
	char *text = NULL;
	int err, len = 0;

	if (!st_key_ok(res, ns, name) || !json_is_object(obj))
		return -EINVAL;
	err = st_wbegin(st);
	if (err)
		return err;
	err = st_current(st, res, ns, name, &cur, NULL);
	if (!err && expect_rev != 0 && expect_rev != cur)
		err = K1S_ECONFLICT;
	if (!err)
		err = st_stamp(obj, rev, &sp);
	if (!err && !(text = st_dump(obj, &len)))
		err = -ENOMEM;
	if (!err)
		err = st_put(st, ST_Q_UPDATE, res, ns, name, rev, text, len);
	if (!err)
		err = st_ev_append(st, rev, ST_MODIFIED, res, ns, name, text, len, &compacted);
	err = st_wend(st, err, rev, compacted);
	free(text);
	if (err)
		st_unstamp(&sp);
	else
		st_stamp_done(&sp);
	if (!err)
		st_count_write(st, res, ST_MODIFIED);
	return err;
}

int st_delete(struct st *st, const char *res, const char *ns, const char *name, int64_t expect_rev,
              json_t **last)
{
	int64_t rev = st->rev + 1, compacted = st->compacted, cur;
	struct st_stamp sp = {0};
	json_t *obj = NULL;
	char *text = NULL;
	sqlite3_stmt *s;
	int err, rc, len = 0;

	if (last)
		*last = NULL;
	if (!st_key_ok(res, ns, name))
		return -EINVAL;
	err = st_wbegin(st);
	if (err)
		return err;
	err = st_current(st, res, ns, name, &cur, &obj);
	if (!err && expect_rev != 0 && expect_rev != cur)
		err = K1S_ECONFLICT;
	/* The DELETED event carries the last state at the deletion's revision,
	 * as a watch in Kubernetes sees it. */
	if (!err)
		err = st_stamp(obj, rev, &sp);
	if (!err && !(text = st_dump(obj, &len)))
		err = -ENOMEM;
	if (!err) {
		s = st_stmt(st, ST_Q_DELETE);
		if (!s) {
			err = -EIO;
		} else {
			err = st_bind_key(s, res, ns, name);
			if (!err && (rc = sqlite3_step(s)) != SQLITE_DONE)
				err = st_fail(st, rc, "delete");
			st_stmt_done(st, ST_Q_DELETE, s);
		}
	}
	if (!err)
		err = st_ev_append(st, rev, ST_DELETED, res, ns, name, text, len, &compacted);
	err = st_wend(st, err, rev, compacted);
	free(text);
	st_stamp_done(&sp);
	if (!err)
		st_count_write(st, res, ST_DELETED);
	if (!err && last)
		*last = obj;
	else
		json_decref(obj);
	return err;
}

int st_list(struct st *st, const char *res, const char *ns, const char *after_ns,
            const char *after_name, int64_t limit, st_list_fn fn, void *arg, int64_t *rev)
{
	enum st_stmt_id id;
	const char *bns = ns;
	sqlite3_stmt *s;
	int rc, err = 0;

	if (rev)
		*rev = st->rev;
	if (!res || !fn)
		return -EINVAL;
	if (after_name && !after_ns)
		after_ns = ns ? ns : "";
	if (ns) {
		id = ST_Q_LIST_NS;
		if (after_name) {
			int c = strcmp(after_ns, ns);

			/* A key in an earlier namespace starts this one from
			 * the top; one in a later namespace leaves nothing. */
			if (c > 0)
				return 0;
			if (c == 0)
				id = ST_Q_LIST_NS_AFTER;
			else
				after_name = NULL;
		}
	} else {
		id = after_name ? ST_Q_LIST_AFTER : ST_Q_LIST;
		bns = after_name ? after_ns : NULL;
	}
	s = st_stmt(st, id);
	if (!s)
		return -EIO;
	if (sqlite3_bind_text(s, 1, res, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, bns, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, after_name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, limit > 0 ? limit : -1) != SQLITE_OK) {
		st_stmt_done(st, id, s);
		return -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *obj = st_parse(res, (const char *)sqlite3_column_text(s, 0),
		                       (const char *)sqlite3_column_text(s, 1),
		                       sqlite3_column_blob(s, 2), sqlite3_column_bytes(s, 2));

		if (!obj) {
			err = -EIO;
			break;
		}
		err = fn(arg, obj);
		json_decref(obj);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = st_fail(st, rc, "list");
	st_stmt_done(st, id, s);
	return err;
}

int st_count_after(struct st *st, const char *res, const char *ns, const char *after_ns,
		   const char *after_name, int64_t *n)
{
	enum st_stmt_id id = ns ? ST_Q_COUNT_NS_AFTER : ST_Q_COUNT_AFTER;
	sqlite3_stmt *s;
	int rc, err = 0;

	*n = 0;
	if (!res || !after_ns || !after_name)
		return -EINVAL;
	/* A key outside the namespace: before it, all of it follows; after
	 * it, nothing. */
	if (ns && strcmp(after_ns, ns) > 0)
		return 0;
	if (ns && strcmp(after_ns, ns) < 0)
		after_name = "";
	s = st_stmt(st, id);
	if (!s)
		return -EIO;
	if (sqlite3_bind_text(s, 1, res, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, ns ? ns : after_ns, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, after_name, -1, SQLITE_STATIC) != SQLITE_OK) {
		st_stmt_done(st, id, s);
		return -ENOMEM;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	else
		err = st_fail(st, rc, "count");
	st_stmt_done(st, id, s);
	return err;
}

int st_list_owned(struct st *st, const char *uid, const char *ns, st_owned_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc, err = 0;

	if (!uid || !fn)
		return -EINVAL;
	s = st_stmt(st, ST_Q_OWNED);
	if (!s)
		return -EIO;
	if (sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, ns, -1, SQLITE_STATIC) != SQLITE_OK) {
		st_stmt_done(st, ST_Q_OWNED, s);
		return -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(s, 0);
		json_t *obj = st_parse(res, (const char *)sqlite3_column_text(s, 1),
		                       (const char *)sqlite3_column_text(s, 2),
		                       sqlite3_column_blob(s, 3), sqlite3_column_bytes(s, 3));

		if (!obj) {
			err = -EIO;
			break;
		}
		err = fn(arg, res, obj);
		json_decref(obj);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = st_fail(st, rc, "list owned");
	st_stmt_done(st, ST_Q_OWNED, s);
	return err;
}
