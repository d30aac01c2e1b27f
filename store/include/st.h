/* The store: every API object as JSON text in SQLite (WAL mode), a global
 * revision that every write advances, and an event log from which a watch
 * replays what it missed. A write returns only once it is durable.
 *
 * Threading: a struct st belongs to the control loop's thread; st_*
 * functions are not to be called from any other thread.
 *
 * Objects are addressed by (resource, namespace, name): resource is the
 * group-qualified plural ("services", "deployments.apps"), namespace is ""
 * for cluster-scoped objects. Objects are jansson values; the store sets
 * metadata.resourceVersion on every object it writes and returns. */
#ifndef ST_H
#define ST_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_err.h"
#include "k1s_metrics.h"

struct st;

enum st_sync {
	ST_SYNC_FULL,	/* fsync every commit: survives power loss */
	ST_SYNC_NORMAL, /* survives kill -9 of k1s, not power loss */
};

struct st_opts {
	enum st_sync sync;
	int64_t event_window; /* events kept for watches; 0 = default (10000) */
};

enum st_event_type { ST_ADDED, ST_MODIFIED, ST_DELETED };

struct st_event {
	int64_t rev;
	enum st_event_type type;
	const char *resource;
	const char *ns;
	const char *name;
	const json_t *obj;	/* the object after the event; for DELETED its last state */
};

/* Opens (creating or migrating) the store in directory `dir`, file
 * k1s.db. Returns NULL and sets *err to a negative errno on failure. */
struct st *st_open(const char *dir, const struct st_opts *opts, int *err);
void st_close(struct st *st);

/* The revision of the last write (0 for an empty store). */
int64_t st_rev(const struct st *st);
/* The oldest revision a watch may start from; older is K1S_EGONE. */
int64_t st_oldest(const struct st *st);
/* The schema version of the open store. */
int st_schema_version(const struct st *st);

/* Reads one object. 0 and *out (caller owns), or -ENOENT. */
int st_get(struct st *st, const char *res, const char *ns, const char *name, json_t **out);

/* Creates an object; sets its metadata.resourceVersion to the new
 * revision. 0, or -EEXIST. `obj` is not stolen. */
int st_create(struct st *st, const char *res, const char *ns, const char *name, json_t *obj);

/* Replaces an object. If expect_rev is not 0 and differs from the stored
 * object's revision the result is K1S_ECONFLICT. 0, -ENOENT or
 * K1S_ECONFLICT; sets metadata.resourceVersion in obj on success. */
int st_update(struct st *st, const char *res, const char *ns, const char *name, json_t *obj,
	      int64_t expect_rev);

/* Deletes an object, with the same expect_rev rule as st_update. On
 * success *last (if not NULL) receives the object as it was, with the
 * deletion's revision as its resourceVersion. */
int st_delete(struct st *st, const char *res, const char *ns, const char *name,
	      int64_t expect_rev, json_t **last);

/* Calls fn for each object of `res` in namespace `ns` (NULL = all
 * namespaces) in (namespace, name) order, starting after the key
 * (after_ns, after_name) when after_name is not NULL. Stops after `limit`
 * objects when limit > 0; a non-zero return of fn stops and is returned.
 * *rev receives the revision the list reflects. `obj` is borrowed for the
 * call only. */
typedef int (*st_list_fn)(void *arg, const json_t *obj);
int st_list(struct st *st, const char *res, const char *ns, const char *after_ns,
	    const char *after_name, int64_t limit, st_list_fn fn, void *arg, int64_t *rev);

/* How many objects of `res` in `ns` (NULL = all namespaces) come after
 * the key (after_ns, after_name): what a list continued from there would
 * still give. 0 or a negative errno. */
int st_count_after(struct st *st, const char *res, const char *ns, const char *after_ns,
		   const char *after_name, int64_t *n);

/* Calls fn for each object whose metadata.ownerReferences names `uid`,
 * in namespace `ns` (NULL = all), with its resource; ordered by resource,
 * namespace and name. A non-zero return of fn stops and is returned. */
typedef int (*st_owned_fn)(void *arg, const char *res, const json_t *obj);
int st_list_owned(struct st *st, const char *uid, const char *ns, st_owned_fn fn, void *arg);

/* Replays the events after revision `after` of `res` (NULL = every
 * resource) in namespace `ns` (NULL = all), in revision order, at most
 * `limit` of them (0 = all). K1S_EGONE if `after` < st_oldest() - 1. */
typedef int (*st_event_fn)(void *arg, const struct st_event *ev);
int st_events(struct st *st, int64_t after, const char *res, const char *ns, int64_t limit,
	      st_event_fn fn, void *arg);

/* Groups the writes between st_begin() and st_commit() in one SQLite
 * transaction: one fsync, one on_commit call. Each write still gets its own
 * revision. st_rollback() undoes them. Not nestable: -EBUSY. Inside a
 * group (below) a batch is a savepoint, durable when the group commits. */
int st_begin(struct st *st);
int st_commit(struct st *st);
void st_rollback(struct st *st);

/* Group commit: the writes of many requests in one transaction and one
 * fsync. After st_group_begin() the first write opens the transaction
 * (so a group of reads only costs nothing); each write is a savepoint in
 * it, so a failed one undoes only itself, and a batch (st_begin) inside
 * it is a savepoint too, committed with the group. st_group_end()
 * commits: only then is any write of the group durable, and on_commit
 * called. A failed commit undoes the whole group (its revisions are given
 * again) and returns a negative errno: none of its writes may be
 * acknowledged. st_group_begin() is -EBUSY inside a batch or a group. */
int st_group_begin(struct st *st);
/* The writes tried in the open group so far (0: nothing to commit). */
unsigned st_group_writes(const struct st *st);
int st_group_end(struct st *st);

/* Called after every committed write, with the new revision. One hook. */
void st_on_commit(struct st *st, void (*fn)(void *arg, int64_t rev), void *arg);

/* Values that stay in the data directory: the cluster CA's key and the
 * like, never API objects, never in the event log, never served. A table
 * of their own (schema 3). *val is malloc'd and NUL-terminated; wipe it
 * before freeing when it is a key. 0, -ENOENT, or a negative errno. */
int st_private_get(struct st *st, const char *key, char **val);
/* Sets key to val, inserting or replacing. 0 or a negative errno. */
int st_private_put(struct st *st, const char *key, const char *val);

/* ---- what the store has done since it opened, for /metrics ---- */

/* Committed transactions (a write of its own, or a batch) and the time
 * each COMMIT took: the fsync of the WAL with ST_SYNC_FULL. */
struct st_stats {
	uint64_t commits;
	struct k1s_hist commit_time;
};
const struct st_stats *st_stats(const struct st *st);
/* Calls fn for each resource and kind of write (ST_ADDED: creates,
 * ST_MODIFIED: updates, ST_DELETED: deletes) with how many succeeded
 * since open; resources past the 64th are counted under "other". A
 * write inside a batch that is then rolled back stays counted. Plain
 * counters: the store and its readers share the control loop's thread. */
typedef void (*st_writes_fn)(void *arg, const char *res, enum st_event_type type, uint64_t n);
void st_writes_each(const struct st *st, st_writes_fn fn, void *arg);

/* Drops events beyond the window. Called by the store itself as it writes;
 * public so that tests and maintenance can force it. */
int st_compact(struct st *st, int64_t keep);

/* ---- st_follow.c: a module's view of the store ----
 *
 * A module that keeps its own copy of some resources (the controllers,
 * the runtime, the dataplane, DNS) lists them once, then reads the events
 * after the revision it has; when the log no longer reaches back that far
 * (compaction), it lists them again. On the control loop's thread.
 *
 * Every follower is given the same json_t for the same revision of an
 * object, freed when the last holder lets it go. A module that never
 * changes what it keeps may keep that (json_incref) rather than a copy,
 * but a tree is large beside what a module reads of it: the modules keep
 * compact records of Services and Endpoints, or read them back with
 * st_get when a key's turn comes, so that 10,000 Services are not held as
 * trees at all. Followers see objects without metadata.managedFields,
 * which only the API reads (an update that leaves them out keeps them). */

struct st_follow_ops {
	/* Before a full list: forget the copy. May be NULL. */
	void (*reset)(void *arg);
	/* A listed object, or an event's (its last state when `deleted`). */
	void (*object)(void *arg, const char *res, const json_t *obj, bool deleted);
	/* After a full list. May be NULL. */
	void (*relisted)(void *arg);
};

struct st_follower {
	struct st *st;
	const char *who;		/* the module, for its log lines */
	const char *const *res;		/* the resources followed, NULL-terminated */
	const struct st_follow_ops *ops;
	void *arg;
	int64_t rev;			/* the revision the copy reflects */
	bool listed;
};

void st_follow_init(struct st_follower *f, struct st *st, const char *who,
		    const char *const *res, const struct st_follow_ops *ops, void *arg);
/* Brings the copy up to the store's revision: 0, or a negative errno (the
 * next call tries again). */
int st_follow(struct st_follower *f);
/* Whether the copy is behind the store. */
bool st_follow_behind(const struct st_follower *f);

#endif
