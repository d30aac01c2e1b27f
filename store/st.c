/* Placeholder store. */
#include <stdlib.h>
#include "st.h"

struct st *st_open(const char *dir, const struct st_opts *opts, int *err)
{
	*err = -ENOSYS;
	return NULL;
}
void st_close(struct st *st) {}
int64_t st_rev(const struct st *st) { return 0; }
int64_t st_oldest(const struct st *st) { return 0; }
int st_schema_version(const struct st *st) { return 0; }
int st_get(struct st *st, const char *res, const char *ns, const char *name, json_t **out) { return -ENOSYS; }
int st_create(struct st *st, const char *res, const char *ns, const char *name, json_t *obj) { return -ENOSYS; }
int st_update(struct st *st, const char *res, const char *ns, const char *name, json_t *obj, int64_t expect_rev) { return -ENOSYS; }
int st_delete(struct st *st, const char *res, const char *ns, const char *name, int64_t expect_rev, json_t **last) { return -ENOSYS; }
int st_list(struct st *st, const char *res, const char *ns, const char *after_ns, const char *after_name, int64_t limit, st_list_fn fn, void *arg, int64_t *rev) { return -ENOSYS; }
int st_events(struct st *st, int64_t after, const char *res, const char *ns, int64_t limit, st_event_fn fn, void *arg) { return -ENOSYS; }
int st_begin(struct st *st) { return -ENOSYS; }
int st_commit(struct st *st) { return -ENOSYS; }
void st_rollback(struct st *st) {}
void st_on_commit(struct st *st, void (*fn)(void *arg, int64_t rev), void *arg) {}
int st_compact(struct st *st, int64_t keep) { return -ENOSYS; }
