#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "st.h"
#include "st_int.h"
#include "st_test.h"

struct fx {
	char *dir;
	struct st *st;
};

static struct st *reopen(struct fx *fx, int64_t window)
{
	struct st_opts o = {.sync = ST_SYNC_NORMAL, .event_window = window};
	int err = 1;

	st_close(fx->st);
	fx->st = st_open(fx->dir, &o, &err);
	assert_non_null(fx->st);
	assert_int_equal(err, 0);
	return fx->st;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->dir = st_test_dir();
	assert_non_null(fx->dir);
	reopen(fx, 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	st_close(fx->st);
	st_test_rmdir(fx->dir);
	free(fx);
	return 0;
}

static void create(struct st *st, const char *res, const char *ns, const char *name)
{
	json_t *o = st_test_obj(ns, name, name);

	assert_int_equal(st_create(st, res, ns, name, o), 0);
	assert_int_equal(st_test_rv(o), st_rev(st));
	json_decref(o);
}

/* Runs an SQL statement on the store's file behind its back. */
static void raw_sql(const char *dir, const char *sql)
{
	char path[512];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/k1s.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static int raw_int(const char *dir, const char *sql)
{
	char path[512];
	sqlite3_stmt *s;
	sqlite3 *db;
	int v;

	snprintf(path, sizeof(path), "%s/k1s.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void crud_round_trip(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	json_t *o, *got, *last;

	assert_int_equal(st_rev(st), 0);
	o = st_test_obj("default", "web", "one");
	assert_int_equal(st_create(st, "configmaps", "default", "web", o), 0);
	/* The caller's object carries the new revision as a string. */
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "metadata"), "resourceVersion")),
	    "1");
	assert_int_equal(st_rev(st), 1);

	assert_int_equal(st_get(st, "configmaps", "default", "web", &got), 0);
	assert_true(json_equal(got, o));
	json_decref(got);

	json_object_set_new(json_object_get(o, "data"), "v", json_string("two"));
	assert_int_equal(st_update(st, "configmaps", "default", "web", o, 1), 0);
	assert_int_equal(st_test_rv(o), 2);
	assert_int_equal(st_get(st, "configmaps", "default", "web", &got), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(got, "data"), "v")),
	                    "two");
	assert_int_equal(st_test_rv(got), 2);
	json_decref(got);

	assert_int_equal(st_delete(st, "configmaps", "default", "web", 2, &last), 0);
	assert_non_null(last);
	assert_int_equal(st_test_rv(last), 3);
	assert_string_equal(json_string_value(json_object_get(json_object_get(last, "data"), "v")),
	                    "two");
	json_decref(last);
	assert_int_equal(st_get(st, "configmaps", "default", "web", &got), -ENOENT);
	assert_null(got);
	assert_int_equal(st_rev(st), 3);
	json_decref(o);
}

static void object_without_metadata_gets_one(void **state)
{
	struct fx *fx = *state;
	json_t *o = json_pack("{s:i}", "x", 1), *got;

	assert_int_equal(st_create(fx->st, "things", "", "a", o), 0);
	assert_int_equal(st_test_rv(o), 1);
	assert_int_equal(st_get(fx->st, "things", "", "a", &got), 0);
	assert_int_equal(st_test_rv(got), 1);
	json_decref(got);
	json_decref(o);
}

static void errors_leave_store_and_object_unchanged(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	json_t *o, *dup, *got, *last = (json_t *)1;

	create(st, "configmaps", "default", "web");
	/* The same name in another namespace or resource is another object. */
	create(st, "configmaps", "other", "web");
	create(st, "secrets", "default", "web");
	assert_int_equal(st_rev(st), 3);

	dup = st_test_obj("default", "web", "dup");
	assert_int_equal(st_create(st, "configmaps", "default", "web", dup), -EEXIST);
	assert_int_equal(st_test_rv(dup), -1);
	assert_int_equal(st_rev(st), 3);

	assert_int_equal(st_update(st, "configmaps", "default", "nope", dup, 0), -ENOENT);
	assert_int_equal(st_test_rv(dup), -1);
	assert_int_equal(st_delete(st, "configmaps", "default", "nope", 0, &last), -ENOENT);
	assert_null(last);

	/* A stale resourceVersion conflicts and keeps the caller's own. */
	json_object_set_new(json_object_get(dup, "metadata"), "resourceVersion", json_string("7"));
	assert_int_equal(st_update(st, "configmaps", "default", "web", dup, 7), K1S_ECONFLICT);
	assert_int_equal(st_test_rv(dup), 7);
	assert_int_equal(st_delete(st, "configmaps", "default", "web", 2, NULL), K1S_ECONFLICT);
	assert_int_equal(st_rev(st), 3);
	assert_int_equal(st_get(st, "configmaps", "default", "web", &got), 0);
	assert_int_equal(st_test_rv(got), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(got, "data"), "v")),
	                    "web");
	json_decref(got);

	/* expect_rev 0 is unconditional. */
	assert_int_equal(st_update(st, "configmaps", "default", "web", dup, 0), 0);
	assert_int_equal(st_test_rv(dup), 4);
	assert_int_equal(st_delete(st, "configmaps", "default", "web", 0, NULL), 0);
	assert_int_equal(st_rev(st), 5);

	o = json_string("not an object");
	assert_int_equal(st_create(st, "configmaps", "default", "x", o), -EINVAL);
	assert_int_equal(st_rev(st), 5);
	json_decref(o);
	json_decref(dup);
}

struct names {
	char key[64][64];
	int n;
	int stop_at;
};

static int collect(void *arg, const json_t *obj)
{
	struct names *nm = arg;
	const json_t *md = json_object_get(obj, "metadata");

	assert_true(nm->n < 64);
	snprintf(nm->key[nm->n], sizeof(nm->key[0]), "%s/%s",
	         json_string_value(json_object_get(md, "namespace")),
	         json_string_value(json_object_get(md, "name")));
	nm->n++;
	if (nm->stop_at && nm->n == nm->stop_at)
		return 42;
	return 0;
}

static void list_orders_filters_and_pages(void **state)
{
	static const char *const want[] = {"a/x", "a/y", "b/a", "b/b", "b/c", "c/m"};
	struct fx *fx = *state;
	struct st *st = fx->st;
	struct names nm = {0};
	int64_t rev = -1;

	create(st, "pods", "b", "c");
	create(st, "pods", "c", "m");
	create(st, "pods", "a", "y");
	create(st, "services", "a", "z");
	create(st, "pods", "b", "a");
	create(st, "pods", "a", "x");
	create(st, "pods", "b", "b");

	assert_int_equal(st_list(st, "pods", NULL, NULL, NULL, 0, collect, &nm, &rev), 0);
	assert_int_equal(rev, st_rev(st));
	assert_int_equal(nm.n, 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(nm.key[i], want[i]);

	memset(&nm, 0, sizeof(nm));
	assert_int_equal(st_list(st, "pods", "b", NULL, NULL, 0, collect, &nm, &rev), 0);
	assert_int_equal(nm.n, 3);
	assert_string_equal(nm.key[0], "b/a");
	assert_string_equal(nm.key[2], "b/c");

	/* Pages of two, each starting after the previous page's last key,
	 * add up to the whole list. */
	for (int64_t limit = 1; limit <= 4; limit++) {
		struct names all = {0};
		char ns[64] = "", name[64] = "";
		bool first = true;

		for (;;) {
			struct names page = {0};
			char *slash;

			assert_int_equal(st_list(st, "pods", NULL, ns, first ? NULL : name, limit,
			                         collect, &page, NULL),
			                 0);
			assert_true(page.n <= limit);
			for (int i = 0; i < page.n; i++)
				strcpy(all.key[all.n++], page.key[i]);
			if (page.n < limit)
				break;
			strcpy(ns, page.key[page.n - 1]);
			slash = strchr(ns, '/');
			*slash = '\0';
			strcpy(name, slash + 1);
			first = false;
			/* What the pages after this one hold. */
			int64_t rest = -1;

			assert_int_equal(st_count_after(st, "pods", NULL, ns, name, &rest), 0);
			assert_int_equal(rest, 6 - all.n);
		}
		assert_int_equal(all.n, 6);
		for (int i = 0; i < 6; i++)
			assert_string_equal(all.key[i], want[i]);
	}

	/* Within one namespace: after a key of it, of an earlier one, of a
	 * later one. */
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(st_list(st, "pods", "b", "b", "a", 1, collect, &nm, NULL), 0);
	assert_int_equal(nm.n, 1);
	assert_string_equal(nm.key[0], "b/b");
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(st_list(st, "pods", "b", "a", "zzz", 0, collect, &nm, NULL), 0);
	assert_int_equal(nm.n, 3);
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(st_list(st, "pods", "b", "c", "a", 0, collect, &nm, NULL), 0);
	assert_int_equal(nm.n, 0);
	int64_t rest = -1;

	assert_int_equal(st_count_after(st, "pods", "b", "b", "a", &rest), 0);
	assert_int_equal(rest, 2);
	assert_int_equal(st_count_after(st, "pods", "b", "a", "zzz", &rest), 0);
	assert_int_equal(rest, 3);
	assert_int_equal(st_count_after(st, "pods", "b", "c", "a", &rest), 0);
	assert_int_equal(rest, 0);
	assert_int_equal(st_count_after(st, "services", NULL, "a", "y", &rest), 0);
	assert_int_equal(rest, 1);

	/* The callback's non-zero return stops the list and is returned. */
	memset(&nm, 0, sizeof(nm));
	nm.stop_at = 2;
	assert_int_equal(st_list(st, "pods", NULL, NULL, NULL, 0, collect, &nm, NULL), 42);
	assert_int_equal(nm.n, 2);

	memset(&nm, 0, sizeof(nm));
	assert_int_equal(st_list(st, "nothing", NULL, NULL, NULL, 0, collect, &nm, &rev), 0);
	assert_int_equal(nm.n, 0);
	assert_int_equal(rev, 7);
}

struct nested {
	struct st *st;
	int outer, inner;
};

static int count_inner(void *arg, const json_t *obj)
{
	(*(int *)arg)++;
	return 0;
}

static int list_inside_list(void *arg, const json_t *obj)
{
	struct nested *n = arg;
	json_t *got;

	n->outer++;
	assert_int_equal(st_list(n->st, "pods", NULL, NULL, NULL, 0, count_inner, &n->inner, NULL),
	                 0);
	assert_int_equal(st_get(n->st, "pods", "a", "x", &got), 0);
	json_decref(got);
	return 0;
}

static void list_callback_may_reenter_the_store(void **state)
{
	struct fx *fx = *state;
	struct nested n = {.st = fx->st};

	create(fx->st, "pods", "a", "x");
	create(fx->st, "pods", "a", "y");
	create(fx->st, "pods", "b", "z");
	assert_int_equal(st_list(fx->st, "pods", NULL, NULL, NULL, 0, list_inside_list, &n, NULL),
	                 0);
	assert_int_equal(n.outer, 3);
	assert_int_equal(n.inner, 9);
}

static void revision_survives_reopen_and_deletes(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	json_t *o;

	create(st, "pods", "a", "one");
	create(st, "pods", "a", "two");
	assert_int_equal(st_delete(st, "pods", "a", "two", 0, NULL), 0);
	assert_int_equal(st_rev(st), 3);
	st = reopen(fx, 0);
	assert_int_equal(st_rev(st), 3);
	create(st, "pods", "a", "three");
	assert_int_equal(st_rev(st), 4);

	/* With every event compacted away and every object deleted. */
	assert_int_equal(st_delete(st, "pods", "a", "one", 0, NULL), 0);
	assert_int_equal(st_delete(st, "pods", "a", "three", 0, NULL), 0);
	assert_int_equal(st_compact(st, 0), 0);
	assert_int_equal(raw_int(fx->dir, "SELECT count(*) FROM events"), 0);
	st = reopen(fx, 0);
	assert_int_equal(st_rev(st), 6);
	assert_int_equal(st_oldest(st), 7);
	o = st_test_obj("a", "four", "x");
	assert_int_equal(st_create(st, "pods", "a", "four", o), 0);
	assert_int_equal(st_test_rv(o), 7);
	json_decref(o);
}

static void reopen_keeps_objects(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	struct names nm = {0};
	json_t *o, *got;

	create(st, "services", "default", "kubernetes");
	o = st_test_obj("default", "web", "v1");
	assert_int_equal(st_create(st, "configmaps", "default", "web", o), 0);
	assert_int_equal(st_update(st, "configmaps", "default", "web", o, 2), 0);
	st = reopen(fx, 0);
	assert_int_equal(st_get(st, "configmaps", "default", "web", &got), 0);
	assert_true(json_equal(got, o));
	assert_int_equal(st_test_rv(got), 3);
	json_decref(got);
	assert_int_equal(st_list(st, "services", NULL, NULL, NULL, 0, collect, &nm, NULL), 0);
	assert_int_equal(nm.n, 1);
	assert_string_equal(nm.key[0], "default/kubernetes");
	json_decref(o);
}

struct evlog {
	int n;
	int64_t rev[64];
	enum st_event_type type[64];
	char key[64][64];
	long long objrv[64];
};

static int collect_ev(void *arg, const struct st_event *ev)
{
	struct evlog *l = arg;

	assert_true(l->n < 64);
	l->rev[l->n] = ev->rev;
	l->type[l->n] = ev->type;
	snprintf(l->key[l->n], sizeof(l->key[0]), "%s %s/%s", ev->resource, ev->ns, ev->name);
	l->objrv[l->n] = st_test_rv(ev->obj);
	l->n++;
	return 0;
}

static void events_replay_by_resource_and_namespace(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	struct evlog l = {0};
	json_t *o;

	create(st, "pods", "a", "p1");     /* 1 */
	create(st, "services", "a", "s1"); /* 2 */
	create(st, "pods", "b", "p2");     /* 3 */
	o = st_test_obj("a", "p1", "new");
	assert_int_equal(st_update(st, "pods", "a", "p1", o, 0), 0);    /* 4 */
	assert_int_equal(st_delete(st, "pods", "b", "p2", 0, NULL), 0); /* 5 */
	create(st, "namespaces", "", "a");                              /* 6 */
	json_decref(o);

	assert_int_equal(st_events(st, 0, NULL, NULL, 0, collect_ev, &l), 0);
	assert_int_equal(l.n, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(l.rev[i], i + 1);
		assert_int_equal(l.objrv[i], i + 1);
	}
	assert_int_equal(l.type[0], ST_ADDED);
	assert_int_equal(l.type[3], ST_MODIFIED);
	assert_int_equal(l.type[4], ST_DELETED);
	assert_string_equal(l.key[4], "pods b/p2");
	assert_string_equal(l.key[5], "namespaces /a");

	memset(&l, 0, sizeof(l));
	assert_int_equal(st_events(st, 0, "pods", NULL, 0, collect_ev, &l), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.rev[0], 1);
	assert_int_equal(l.rev[1], 3);
	assert_int_equal(l.rev[2], 4);
	assert_int_equal(l.rev[3], 5);

	memset(&l, 0, sizeof(l));
	assert_int_equal(st_events(st, 0, "pods", "a", 0, collect_ev, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.rev[1], 4);

	memset(&l, 0, sizeof(l));
	assert_int_equal(st_events(st, 0, NULL, "a", 0, collect_ev, &l), 0);
	assert_int_equal(l.n, 3);

	memset(&l, 0, sizeof(l));
	assert_int_equal(st_events(st, 3, NULL, NULL, 2, collect_ev, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.rev[0], 4);
	assert_int_equal(l.rev[1], 5);

	memset(&l, 0, sizeof(l));
	assert_int_equal(st_events(st, 6, NULL, NULL, 0, collect_ev, &l), 0);
	assert_int_equal(l.n, 0);
}

static void compaction_makes_old_watches_gone(void **state)
{
	struct fx *fx = *state;
	struct st *st = reopen(fx, 10);
	struct evlog l = {0};
	int64_t oldest;

	assert_int_equal(st_events(st, 0, NULL, NULL, 0, collect_ev, &l), 0);
	for (int i = 0; i < 50; i++) {
		char name[16];

		snprintf(name, sizeof(name), "p%d", i);
		create(st, "pods", "a", name);
	}
	/* At least the window is kept, and not much more. */
	oldest = st_oldest(st);
	assert_true(oldest > 1);
	assert_true(st_rev(st) - oldest + 1 >= 10);
	assert_true(st_rev(st) - oldest + 1 <= 20);
	assert_int_equal(raw_int(fx->dir, "SELECT count(*) FROM events"), st_rev(st) - oldest + 1);

	assert_int_equal(st_events(st, 0, NULL, NULL, 0, collect_ev, &l), K1S_EGONE);
	assert_int_equal(st_events(st, oldest - 2, "pods", NULL, 0, collect_ev, &l), K1S_EGONE);
	assert_int_equal(l.n, 0);
	assert_int_equal(st_events(st, oldest - 1, "pods", NULL, 0, collect_ev, &l), 0);
	assert_int_equal(l.rev[0], oldest);
	assert_int_equal(l.n, st_rev(st) - oldest + 1);

	assert_int_equal(st_compact(st, 3), 0);
	assert_int_equal(st_oldest(st), 48);
	assert_int_equal(st_events(st, 46, NULL, NULL, 0, collect_ev, &l), K1S_EGONE);

	/* The window survives a restart. */
	st = reopen(fx, 10);
	assert_int_equal(st_oldest(st), 48);
	assert_int_equal(st_events(st, 46, NULL, NULL, 0, collect_ev, &l), K1S_EGONE);
	memset(&l, 0, sizeof(l));
	assert_int_equal(st_events(st, 47, NULL, NULL, 0, collect_ev, &l), 0);
	assert_int_equal(l.n, 3);
}

/* A follower's copy: "res/ns/name" -> value, and what happened to it. */
struct copy {
	json_t *objs;
	int resets, relists;
};

static void copy_reset(void *arg)
{
	struct copy *c = arg;

	json_object_clear(c->objs);
	c->resets++;
}

static void copy_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	struct copy *c = arg;
	char key[256];

	snprintf(key, sizeof(key), "%s/%s/%s", res, json_string_value(json_object_get(
							 json_object_get(obj, "metadata"), "namespace")),
		 json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")));
	if (deleted)
		json_object_del(c->objs, key);
	else
		json_object_set(c->objs, key, json_object_get(json_object_get(obj, "data"), "v"));
}

static void copy_relisted(void *arg)
{
	((struct copy *)arg)->relists++;
}

/* The copy equals the store's objects of the followed resources. */
static void assert_copy_is(struct st *st, struct copy *c, const char *const *res)
{
	json_t *want = json_object();
	struct copy w = {want, 0, 0};

	static const struct st_follow_ops ops = {NULL, copy_object, NULL};
	struct st_follower fresh;

	/* A new follower's first list is the truth. */
	st_follow_init(&fresh, st, "test", res, &ops, &w);
	assert_int_equal(st_follow(&fresh), 0);
	if (!json_equal(want, c->objs)) {
		char *a = json_dumps(want, JSON_SORT_KEYS), *b = json_dumps(c->objs, JSON_SORT_KEYS);

		fail_msg("copy %s, store %s", b, a);
	}
	json_decref(want);
}

/* A follower that keeps what it is given: "res/ns/name" -> the object. */
static void keep_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	char key[256];

	snprintf(key, sizeof(key), "%s/%s/%s", res, json_string_value(json_object_get(
							 json_object_get(obj, "metadata"), "namespace")),
		 json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")));
	if (deleted)
		json_object_del(arg, key);
	else
		json_object_set(arg, key, (json_t *)obj);
}

static void ignore_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	(void)arg, (void)res, (void)obj, (void)deleted;
}

static void followers_share_one_object_per_revision(void **state)
{
	static const char *const res[] = {"services", NULL};
	static const struct st_follow_ops ops = {NULL, keep_object, NULL};
	struct fx *fx = *state;
	struct st *st = fx->st;
	json_t *a = json_object(), *b = json_object(), *o;
	struct st_follower fa, fb;

	/* Objects no follower keeps do not pile up in the store. */
	for (int i = 0; i < 1000; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%d", i);
		create(st, "services", "y", name);
	}
	{
		static const struct st_follow_ops none = {NULL, ignore_object, NULL};
		struct st_follower fc;

		st_follow_init(&fc, st, "c", res, &none, NULL);
		assert_int_equal(st_follow(&fc), 0);
		assert_true(json_object_size(st->shared) < 200);
	}
	create(st, "services", "x", "s1");
	st_follow_init(&fa, st, "a", res, &ops, a);
	st_follow_init(&fb, st, "b", res, &ops, b);
	/* Listed by both: one object. */
	assert_int_equal(st_follow(&fa), 0);
	assert_int_equal(st_follow(&fb), 0);
	assert_non_null(json_object_get(a, "services/x/s1"));
	assert_ptr_equal(json_object_get(a, "services/x/s1"), json_object_get(b, "services/x/s1"));
	/* A new revision: read by both from the events, one object again,
	 * and not the old one. */
	o = st_test_obj("x", "s1", "changed");
	assert_int_equal(st_update(st, "services", "x", "s1", o, 0), 0);
	json_decref(o);
	create(st, "services", "x", "s2");
	assert_int_equal(st_follow(&fa), 0);
	assert_int_equal(st_follow(&fb), 0);
	assert_ptr_equal(json_object_get(a, "services/x/s1"), json_object_get(b, "services/x/s1"));
	assert_ptr_equal(json_object_get(a, "services/x/s2"), json_object_get(b, "services/x/s2"));
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_object_get(a, "services/x/s1"), "data"), "v")),
			    "changed");
	json_decref(a);
	json_decref(b);
}

/* What one follower alone reads is handed to it and not kept for others:
 * no table entry outlives the follower's own copy. */
static void objects_of_one_follower_are_not_shared(void **state)
{
	static const char *const only[] = {"pods", NULL};
	static const char *const both[] = {"services", NULL};
	static const struct st_follow_ops ops = {NULL, keep_object, NULL};
	struct fx *fx = *state;
	struct st *st = fx->st;
	json_t *a = json_object(), *b = json_object(), *c = json_object();
	struct st_follower fa, fb, fc;

	create(st, "pods", "x", "p1");
	create(st, "services", "x", "s1");
	st_follow_init(&fa, st, "a", only, &ops, a);
	st_follow_init(&fb, st, "b", both, &ops, b);
	st_follow_init(&fc, st, "c", both, &ops, c);
	assert_int_equal(st_follow(&fa), 0);
	assert_int_equal(st_follow(&fb), 0);
	assert_int_equal(st_follow(&fc), 0);
	assert_non_null(json_object_get(a, "pods/x/p1"));
	assert_null(json_object_get(st->shared, "pods/x/p1"));
	assert_ptr_equal(json_object_get(b, "services/x/s1"), json_object_get(c, "services/x/s1"));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void follower_lists_follows_and_relists(void **state)
{
	static const char *const res[] = {"pods", "services", NULL};
	static const struct st_follow_ops ops = {copy_reset, copy_object, copy_relisted};
	struct fx *fx = *state;
	struct st *st = reopen(fx, 10);
	struct copy c = {json_object(), 0, 0};
	struct st_follower f;
	json_t *o;

	create(st, "pods", "a", "p1");
	create(st, "services", "a", "s1");
	create(st, "configmaps", "a", "ignored");
	st_follow_init(&f, st, "test", res, &ops, &c);
	assert_true(st_follow_behind(&f));
	/* The first call lists. */
	assert_int_equal(st_follow(&f), 0);
	assert_int_equal(c.resets, 1);
	assert_int_equal(c.relists, 1);
	assert_int_equal(json_object_size(c.objs), 2);
	assert_false(st_follow_behind(&f));

	/* Then events: a change, a delete, another resource's writes. */
	o = st_test_obj("a", "p1", "changed");
	assert_int_equal(st_update(st, "pods", "a", "p1", o, 0), 0);
	json_decref(o);
	assert_int_equal(st_delete(st, "services", "a", "s1", 0, NULL), 0);
	create(st, "configmaps", "a", "also-ignored");
	assert_true(st_follow_behind(&f));
	assert_int_equal(st_follow(&f), 0);
	assert_false(st_follow_behind(&f));
	assert_int_equal(c.resets, 1);
	assert_copy_is(st, &c, res);

	/* Past the event window: listed again, and what went meanwhile goes. */
	assert_int_equal(st_delete(st, "pods", "a", "p1", 0, NULL), 0);
	for (int i = 0; i < 30; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", i);
		create(st, "services", "b", name);
	}
	assert_int_equal(st_follow(&f), 0);
	assert_int_equal(c.resets, 2);
	assert_int_equal(c.relists, 2);
	assert_copy_is(st, &c, res);
	assert_int_equal(f.rev, st_rev(st));
	json_decref(c.objs);
}

struct commits {
	int calls;
	int64_t rev;
};

static void on_commit(void *arg, int64_t rev)
{
	struct commits *c = arg;

	c->calls++;
	c->rev = rev;
}

static void batch_commits_once_and_rolls_back(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	struct commits c = {0};
	struct evlog l = {0};
	json_t *o, *got;

	st_on_commit(st, on_commit, &c);
	create(st, "pods", "a", "solo");
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.rev, 1);

	assert_int_equal(st_begin(st), 0);
	assert_int_equal(st_begin(st), -EBUSY);
	create(st, "pods", "a", "b1");
	create(st, "pods", "a", "b2");
	/* A failed write inside a batch fails alone. */
	o = st_test_obj("a", "b1", "x");
	assert_int_equal(st_create(st, "pods", "a", "b1", o), -EEXIST);
	json_decref(o);
	create(st, "pods", "a", "b3");
	assert_int_equal(c.calls, 1);
	assert_int_equal(st_commit(st), 0);
	assert_int_equal(c.calls, 2);
	assert_int_equal(c.rev, 4);
	assert_int_equal(st_get(st, "pods", "a", "b3", &got), 0);
	assert_int_equal(st_test_rv(got), 4);
	json_decref(got);

	assert_int_equal(st_begin(st), 0);
	create(st, "pods", "a", "gone1");
	assert_int_equal(st_delete(st, "pods", "a", "solo", 0, NULL), 0);
	assert_int_equal(st_rev(st), 6);
	st_rollback(st);
	assert_int_equal(c.calls, 2);
	assert_int_equal(st_rev(st), 4);
	assert_int_equal(st_get(st, "pods", "a", "gone1", &got), -ENOENT);
	assert_int_equal(st_get(st, "pods", "a", "solo", &got), 0);
	json_decref(got);
	assert_int_equal(st_events(st, 4, NULL, NULL, 0, collect_ev, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(st_commit(st), -EINVAL);

	/* Revisions go on without a gap, and nothing of the batch comes back. */
	create(st, "pods", "a", "after");
	assert_int_equal(st_rev(st), 5);
	assert_int_equal(c.calls, 3);
	st = reopen(fx, 0);
	assert_int_equal(st_rev(st), 5);
	assert_int_equal(st_get(st, "pods", "a", "gone1", &got), -ENOENT);
}

/* A group: nothing to commit until its first write; then one commit and
 * one on_commit for all its writes, a failed write undone alone, a batch
 * inside it a savepoint (its rollback undoes only itself); until the
 * group ends, nothing of it is committed: a second connection to the
 * file does not see it. */
static void group_commits_once_with_batches_inside(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	struct commits c = {0};
	uint64_t commits;
	sqlite3 *peek;
	sqlite3_stmt *q;
	char path[PATH_MAX];
	json_t *o, *got;

	st_on_commit(st, on_commit, &c);
	commits = st_stats(st)->commits;
	assert_int_equal(st_group_begin(st), 0);
	assert_int_equal(st_group_begin(st), -EBUSY);
	assert_int_equal(st_group_writes(st), 0);
	assert_int_equal(st_group_end(st), 0);
	assert_int_equal(st_stats(st)->commits, commits);
	assert_int_equal(st_group_writes(st), 0);

	assert_int_equal(st_group_begin(st), 0);
	create(st, "pods", "a", "g1");
	o = st_test_obj("a", "g1", "x");
	assert_int_equal(st_create(st, "pods", "a", "g1", o), -EEXIST);
	json_decref(o);
	assert_int_equal(st_begin(st), 0);
	assert_int_equal(st_begin(st), -EBUSY);
	create(st, "pods", "a", "b1");
	assert_int_equal(st_commit(st), 0);
	assert_int_equal(st_begin(st), 0);
	create(st, "pods", "a", "undone");
	st_rollback(st);
	create(st, "pods", "a", "g2");
	assert_int_equal(st_group_writes(st), 5);
	assert_int_equal(st_rev(st), 3);
	assert_int_equal(c.calls, 0);

	snprintf(path, sizeof(path), "%s/k1s.db", fx->dir);
	assert_int_equal(sqlite3_open_v2(path, &peek, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(peek, "SELECT count(*) FROM objects", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 0);
	sqlite3_reset(q);

	assert_int_equal(st_group_end(st), 0);
	assert_int_equal(st_stats(st)->commits, commits + 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.rev, 3);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 3);
	sqlite3_finalize(q);
	sqlite3_close(peek);
	assert_int_equal(st_get(st, "pods", "a", "undone", &got), -ENOENT);

	/* Outside a group, writes commit on their own again. */
	create(st, "pods", "a", "alone");
	assert_int_equal(st_stats(st)->commits, commits + 2);
	/* A group is not begun inside a batch. */
	assert_int_equal(st_begin(st), 0);
	assert_int_equal(st_group_begin(st), -EBUSY);
	assert_int_equal(st_commit(st), 0);

	st = reopen(fx, 0);
	assert_int_equal(st_rev(st), 4);
	assert_int_equal(st_get(st, "pods", "a", "b1", &got), 0);
	assert_int_equal(st_test_rv(got), 2);
	json_decref(got);
}

static void new_store_is_private_and_exclusive(void **state)
{
	struct fx *fx = *state;
	struct st_opts o = {0};
	char path[512];
	struct stat sb;
	int err = 0;

	assert_true(st_schema_version(fx->st) >= 1);
	snprintf(path, sizeof(path), "%s/k1s.db", fx->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* A second open of a store in use would fork the revision. */
	assert_null(st_open(fx->dir, &o, &err));
	assert_int_equal(err, -EBUSY);
}

static void journal_is_wal(void **state)
{
	struct fx *fx = *state;
	char path[512];
	sqlite3_stmt *s;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/k1s.db", fx->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void old_schema_is_migrated(void **state)
{
	struct fx *fx = *state;
	struct st_opts o = {0};
	struct st *st;
	int err = 1, version;

	st_close(fx->st);
	fx->st = NULL;
	st_test_rmdir(fx->dir);
	fx->dir = st_test_dir();
	/* A version 0 database: an SQLite file with something in it that no
	 * migration knows about. */
	raw_sql(fx->dir, "CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('keep');"
	                 "PRAGMA user_version = 0");
	st = st_open(fx->dir, &o, &err);
	assert_non_null(st);
	assert_int_equal(err, 0);
	version = st_schema_version(st);
	assert_true(version >= 1);
	create(st, "pods", "a", "x");
	st_close(st);
	assert_int_equal(raw_int(fx->dir, "PRAGMA user_version"), version);
	assert_int_equal(raw_int(fx->dir, "SELECT count(*) FROM notes"), 1);
	assert_int_equal(raw_int(fx->dir, "SELECT count(*) FROM objects"), 1);
	fx->st = st_open(fx->dir, &o, &err);
	assert_non_null(fx->st);
	assert_int_equal(st_rev(fx->st), 1);
}

static void failed_migration_changes_nothing(void **state)
{
	struct fx *fx = *state;
	struct st_opts o = {0};
	int err = 0;

	st_close(fx->st);
	fx->st = NULL;
	st_test_rmdir(fx->dir);
	fx->dir = st_test_dir();
	/* Step 1 creates "objects"; a table of that name makes it fail. */
	raw_sql(fx->dir, "CREATE TABLE objects (x INTEGER)");
	assert_null(st_open(fx->dir, &o, &err));
	assert_true(err < 0);
	assert_int_equal(raw_int(fx->dir, "PRAGMA user_version"), 0);
	assert_int_equal(raw_int(fx->dir, "SELECT count(*) FROM sqlite_schema"
	                                  " WHERE name IN ('meta', 'events')"),
	                 0);
}

static void newer_schema_is_refused(void **state)
{
	struct fx *fx = *state;
	struct st_opts o = {0};
	int err = 0;

	create(fx->st, "pods", "a", "x");
	st_close(fx->st);
	fx->st = NULL;
	raw_sql(fx->dir, "PRAGMA user_version = 1000");
	assert_null(st_open(fx->dir, &o, &err));
	assert_int_equal(err, -EPROTO);
	assert_int_equal(raw_int(fx->dir, "PRAGMA user_version"), 1000);
	assert_int_equal(raw_int(fx->dir, "SELECT count(*) FROM objects"), 1);

	/* Another program's SQLite file is not ours to migrate. */
	raw_sql(fx->dir, "PRAGMA user_version = 0; PRAGMA application_id = 42");
	assert_null(st_open(fx->dir, &o, &err));
	assert_int_equal(err, -EPROTO);
}

static int never(void *arg, const json_t *obj)
{
	return 0;
}

static int never_ev(void *arg, const struct st_event *ev)
{
	return 0;
}

/* A pod owned by the given uids (NULL-terminated). */
static void create_owned(struct st *st, const char *ns, const char *name, ...)
{
	json_t *o = st_test_obj(ns, name, name), *refs = json_array();
	const char *uid;
	va_list ap;

	va_start(ap, name);
	while ((uid = va_arg(ap, const char *)))
		json_array_append_new(refs, json_pack("{s:s,s:s,s:s}", "kind", "ReplicaSet",
						      "name", "rs", "uid", uid));
	va_end(ap);
	json_object_set_new(json_object_get(o, "metadata"), "ownerReferences", refs);
	assert_int_equal(st_create(st, "pods", ns, name, o), 0);
	json_decref(o);
}

static int count_owned_fn(void *arg, const char *res, const json_t *obj)
{
	assert_string_equal(res, "pods");
	(*(int *)arg)++;
	return 0;
}

static int owned(struct st *st, const char *uid, const char *ns)
{
	int n = 0;

	assert_int_equal(st_list_owned(st, uid, ns, count_owned_fn, &n), 0);
	return n;
}

/* The owner index follows creates, updates and deletes, and an older
 * store gets it built from the objects it holds. */
static void owner_index(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	json_t *o = NULL;

	create(st, "pods", "a", "free");
	create_owned(st, "a", "one", "rs-1", NULL);
	create_owned(st, "a", "two", "rs-1", "rs-2", NULL);
	create_owned(st, "b", "three", "rs-1", NULL);
	assert_int_equal(owned(st, "rs-1", "a"), 2);
	assert_int_equal(owned(st, "rs-1", NULL), 3);
	assert_int_equal(owned(st, "rs-2", NULL), 1);
	assert_int_equal(owned(st, "rs-3", NULL), 0);

	/* "two" drops rs-1; "one" goes. */
	assert_int_equal(st_get(st, "pods", "a", "two", &o), 0);
	json_array_remove(json_object_get(json_object_get(o, "metadata"), "ownerReferences"), 0);
	assert_int_equal(st_update(st, "pods", "a", "two", o, 0), 0);
	json_decref(o);
	assert_int_equal(owned(st, "rs-1", "a"), 1);
	assert_int_equal(st_delete(st, "pods", "a", "one", 0, NULL), 0);
	assert_int_equal(owned(st, "rs-1", "a"), 0);
	assert_int_equal(owned(st, "rs-2", "a"), 1);

	/* A schema 1 store (no index) is migrated and indexed. */
	st_close(st);
	fx->st = NULL;
	raw_sql(fx->dir, "DROP TABLE private;"
	                 "DROP TRIGGER owners_insert; DROP TRIGGER owners_update;"
	                 "DROP TRIGGER owners_delete; DROP TABLE owners; PRAGMA user_version = 1");
	st = reopen(fx, 0);
	assert_true(st_schema_version(st) >= 2);
	assert_int_equal(owned(st, "rs-1", NULL), 1);
	assert_int_equal(owned(st, "rs-2", "a"), 1);
}

static void malformed_rows_are_eio(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	json_t *got = NULL;

	create(st, "pods", "a", "good");
	create(st, "pods", "a", "bad");
	create(st, "pods", "a", "array");
	st_close(st);
	fx->st = NULL;
	raw_sql(fx->dir, "UPDATE objects SET data = '{\"metadata\": {' WHERE name = 'bad';"
	                 "UPDATE objects SET data = '[1]' WHERE name = 'array';"
	                 "UPDATE events SET data = 'nope' WHERE rev = 2;"
	                 "UPDATE events SET type = 9 WHERE rev = 3;");
	st = reopen(fx, 0);
	assert_int_equal(st_get(st, "pods", "a", "bad", &got), -EIO);
	assert_null(got);
	assert_int_equal(st_get(st, "pods", "a", "array", &got), -EIO);
	assert_int_equal(st_get(st, "pods", "a", "good", &got), 0);
	json_decref(got);
	assert_int_equal(st_list(st, "pods", NULL, NULL, NULL, 0, never, NULL, NULL), -EIO);
	assert_int_equal(st_delete(st, "pods", "a", "bad", 0, NULL), -EIO);
	assert_int_equal(st_events(st, 0, NULL, NULL, 0, never_ev, NULL), -EIO);
	assert_int_equal(st_events(st, 2, NULL, NULL, 0, never_ev, NULL), -EIO);
	assert_int_equal(st_events(st, 3, NULL, NULL, 0, never_ev, NULL), 0);
	/* The store still takes writes. */
	create(st, "pods", "a", "later");
}

static int count_obj(void *arg, const json_t *obj)
{
	(*(int *)arg)++;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 10,000 objects: every one comes back in a full list and in pages. The
 * throughput is printed, not asserted. */
static void ten_thousand_objects(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	char ns[16], name[32];
	double t0, t1, t2;
	int n = 0, pages = 0;

	t0 = now();
	for (int i = 0; i < 10000; i++) {
		json_t *o;

		snprintf(ns, sizeof(ns), "ns%d", i % 10);
		snprintf(name, sizeof(name), "pod-%05d", i);
		o = st_test_obj(ns, name, "some value that makes the object a little larger");
		assert_int_equal(st_create(st, "pods", ns, name, o), 0);
		json_decref(o);
	}
	t1 = now();
	assert_int_equal(st_list(st, "pods", NULL, NULL, NULL, 0, count_obj, &n, NULL), 0);
	t2 = now();
	assert_int_equal(n, 10000);
	print_message("store: st_create %.0f/s (synchronous=NORMAL), st_list %.0f objects/s\n",
	              10000 / (t1 - t0), 10000 / (t2 - t1));

	n = 0;
	for (int i = 0; i < 10; i++) {
		int before = n;

		snprintf(ns, sizeof(ns), "ns%d", i);
		assert_int_equal(st_list(st, "pods", ns, NULL, NULL, 0, count_obj, &n, NULL), 0);
		assert_int_equal(n - before, 1000);
		pages++;
	}
	assert_int_equal(pages, 10);
	assert_int_equal(st_oldest(st), 1);
	st = reopen(fx, 0);
	assert_int_equal(st_rev(st), 10000);
}

/* Private values round-trip and outlive the store, but are no objects:
 * no revision, no event, nothing a list returns. */
static void private_values(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	const char *pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n";
	char *val = (char *)"unset";
	int64_t rev;

	create(st, "pods", "a", "x");
	rev = st_rev(st);
	assert_int_equal(st_private_get(st, "cluster-ca.key", &val), -ENOENT);
	assert_null(val);
	assert_int_equal(st_private_put(st, "cluster-ca.key", pem), 0);
	assert_int_equal(st_private_put(st, "cluster-ca.crt", "crt 1"), 0);
	assert_int_equal(st_private_put(st, "cluster-ca.crt", "crt 2"), 0);
	assert_int_equal(st_rev(st), rev);
	assert_int_equal(st_private_get(st, "cluster-ca.key", &val), 0);
	assert_string_equal(val, pem);
	free(val);
	assert_int_equal(st_private_get(st, "cluster-ca.crt", &val), 0);
	assert_string_equal(val, "crt 2");
	free(val);
	assert_int_equal(st_private_put(st, "", "x"), -EINVAL);
	assert_int_equal(st_private_put(st, "k", NULL), -EINVAL);
	assert_int_equal(st_private_get(st, NULL, &val), -EINVAL);

	/* A rolled-back batch leaves nothing behind; a committed one does. */
	assert_int_equal(st_begin(st), 0);
	assert_int_equal(st_private_put(st, "gone", "1"), 0);
	st_rollback(st);
	assert_int_equal(st_private_get(st, "gone", &val), -ENOENT);
	assert_int_equal(st_begin(st), 0);
	assert_int_equal(st_private_put(st, "kept", "1"), 0);
	assert_int_equal(st_commit(st), 0);

	st = reopen(fx, 0);
	assert_int_equal(st_rev(st), rev);
	assert_int_equal(st_private_get(st, "cluster-ca.key", &val), 0);
	assert_string_equal(val, pem);
	free(val);
	assert_int_equal(st_private_get(st, "kept", &val), 0);
	free(val);
	assert_int_equal(raw_int(fx->dir, "SELECT count(*) FROM events"), 1);
	assert_int_equal(raw_int(fx->dir, "SELECT count(*) FROM objects"), 1);
}

/* A schema 2 store gains the private table and keeps its objects. */
static void schema_2_gains_private_values(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	json_t *o = NULL;
	char *val = NULL;

	create(st, "pods", "a", "x");
	create(st, "configmaps", "b", "y");
	st_close(st);
	fx->st = NULL;
	raw_sql(fx->dir, "DROP TABLE private; PRAGMA user_version = 2");
	assert_int_equal(raw_int(fx->dir, "SELECT count(*) FROM sqlite_schema"
	                                  " WHERE name = 'private'"), 0);
	st = reopen(fx, 0);
	assert_int_equal(st_schema_version(st), 3);
	assert_int_equal(st_rev(st), 2);
	assert_int_equal(st_get(st, "pods", "a", "x", &o), 0);
	json_decref(o);
	assert_int_equal(st_get(st, "configmaps", "b", "y", &o), 0);
	json_decref(o);
	assert_int_equal(st_private_get(st, "cluster-ca.crt", &val), -ENOENT);
	assert_int_equal(st_private_put(st, "cluster-ca.crt", "pem"), 0);
	assert_int_equal(st_private_get(st, "cluster-ca.crt", &val), 0);
	assert_string_equal(val, "pem");
	free(val);
	st_close(st);
	fx->st = NULL;
	assert_int_equal(raw_int(fx->dir, "PRAGMA user_version"), 3);
}

struct write_count {
	const char *res;
	uint64_t n[3];
	int seen;
};

static void count_writes(void *arg, const char *res, enum st_event_type type, uint64_t n)
{
	struct write_count *w = arg;

	if (strcmp(res, w->res) == 0) {
		w->n[type] = n;
		w->seen++;
	}
}

static uint64_t hist_count(const struct k1s_hist *h)
{
	uint64_t n = 0;

	for (int i = 0; i <= K1S_HIST_BUCKETS; i++)
		n += h->h_count[i];
	return n;
}

/* /metrics reads these: each write that succeeds is counted once under
 * its resource and kind; each transaction's COMMIT once, with its time,
 * a batch as one; a failed write counts nothing. */
static void writes_and_commits_counted(void **state)
{
	struct fx *fx = *state;
	struct st *st = fx->st;
	struct write_count cm = {.res = "configmaps"}, sec = {.res = "secrets"};
	const struct st_stats *s = st_stats(st);
	uint64_t commits = s->commits;
	json_t *o = st_test_obj("default", "a", "x");

	assert_int_equal(st_create(st, "configmaps", "default", "a", o), 0);
	assert_int_equal(st_create(st, "configmaps", "default", "a", o), -EEXIST);
	assert_int_equal(st_update(st, "configmaps", "default", "a", o, 0), 0);
	assert_int_equal(st_update(st, "configmaps", "default", "a", o, 99), K1S_ECONFLICT);
	assert_int_equal(s->commits, commits + 2);
	assert_int_equal(st_begin(st), 0);
	create(st, "secrets", "default", "s1");
	create(st, "secrets", "default", "s2");
	assert_int_equal(st_commit(st), 0);
	assert_int_equal(st_delete(st, "configmaps", "default", "a", 0, NULL), 0);
	assert_int_equal(s->commits, commits + 4);
	assert_int_equal(hist_count(&s->commit_time), s->commits);
	assert_true(s->commit_time.h_sum_ns > 0);

	st_writes_each(st, count_writes, &cm);
	st_writes_each(st, count_writes, &sec);
	assert_int_equal(cm.seen, 3);
	assert_int_equal(cm.n[ST_ADDED], 1);
	assert_int_equal(cm.n[ST_MODIFIED], 1);
	assert_int_equal(cm.n[ST_DELETED], 1);
	assert_int_equal(sec.n[ST_ADDED], 2);
	assert_int_equal(sec.n[ST_DELETED], 0);
	json_decref(o);
}

/* Past 64 resources, the rest are counted together as "other". */
static void many_resources_counted_as_other(void **state)
{
	struct fx *fx = *state;
	struct write_count other = {.res = "other"}, last = {.res = "r70.example.com"};
	char res[32];

	assert_int_equal(st_begin(fx->st), 0);
	for (int i = 0; i < 80; i++) {
		snprintf(res, sizeof(res), "r%d.example.com", i);
		create(fx->st, res, "default", "x");
	}
	assert_int_equal(st_commit(fx->st), 0);
	st_writes_each(fx->st, count_writes, &other);
	st_writes_each(fx->st, count_writes, &last);
	assert_int_equal(last.seen, 0);
	assert_int_equal(other.n[ST_ADDED], 80 - 63);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(crud_round_trip),
	    T(object_without_metadata_gets_one),
	    T(errors_leave_store_and_object_unchanged),
	    T(list_orders_filters_and_pages),
	    T(list_callback_may_reenter_the_store),
	    T(revision_survives_reopen_and_deletes),
	    T(reopen_keeps_objects),
	    T(events_replay_by_resource_and_namespace),
	    T(compaction_makes_old_watches_gone),
	    T(follower_lists_follows_and_relists),
	    T(followers_share_one_object_per_revision),
	    T(objects_of_one_follower_are_not_shared),
	    T(batch_commits_once_and_rolls_back),
	    T(group_commits_once_with_batches_inside),
	    T(new_store_is_private_and_exclusive),
	    T(journal_is_wal),
	    T(old_schema_is_migrated),
	    T(failed_migration_changes_nothing),
	    T(newer_schema_is_refused),
	    T(owner_index),
	    T(malformed_rows_are_eio),
	    T(ten_thousand_objects),
	    T(private_values),
	    T(schema_2_gains_private_values),
	    T(writes_and_commits_counted),
	    T(many_resources_counted_as_other),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
