/* Private values: a key-value table beside the objects, with no revision
 * and no events, so nothing that reads the API can reach them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "st_int.h"

int st_private_get(struct st *st, const char *key, char **val)
{
	sqlite3_stmt *s;
	int rc, err = 0;

	*val = NULL;
	if (!key || !*key)
		return -EINVAL;
	s = st_stmt(st, ST_Q_PRIVATE_GET);
	if (!s)
		return -EIO;
	rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		err = st_fail(st, rc, "private get");
	} else if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const void *text = sqlite3_column_text(s, 0);
		int len = sqlite3_column_bytes(s, 0);

		if (!text || !(*val = malloc((size_t)len + 1))) {
			err = text ? -ENOMEM : -EIO;
		} else {
			memcpy(*val, text, (size_t)len);
			(*val)[len] = '\0';
		}
	} else if (rc == SQLITE_DONE) {
		err = -ENOENT;
	} else {
		err = st_fail(st, rc, "private get");
	}
	st_stmt_done(st, ST_Q_PRIVATE_GET, s);
	return err;
}

int st_private_put(struct st *st, const char *key, const char *val)
{
	sqlite3_stmt *s;
	int rc;

	if (!key || !*key || !val)
		return -EINVAL;
	s = st_stmt(st, ST_Q_PRIVATE_PUT);
	if (!s)
		return -EIO;
	rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 2, val, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	st_stmt_done(st, ST_Q_PRIVATE_PUT, s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc, "private put");
}
