/* The follower of st.h: one list, then events, relisting when the event
 * log has been compacted past the copy's revision. */
#include <stdio.h>
#include <string.h>

#include "k1s_log.h"
#include "st.h"
#include "st_int.h"

/* Events per st_events() call, so that a long backlog is not one chain of
 * callbacks holding the whole log. */
#define ST_FOLLOW_BATCH 4096

void st_follow_init(struct st_follower *f, struct st *st, const char *who,
		    const char *const *res, const struct st_follow_ops *ops, void *arg)
{
	*f = (struct st_follower){.st = st, .who = who, .res = res, .ops = ops, .arg = arg};
	if (!st->followers && !(st->followers = json_object()))
		return;
	for (const char *const *r = res; *r; r++)
		json_object_set_new(st->followers, *r,
				    json_integer(json_integer_value(json_object_get(st->followers, *r)) + 1));
}

static bool followed(const struct st_follower *f, const char *res)
{
	for (const char *const *r = f->res; *r; r++)
		if (strcmp(*r, res) == 0)
			return true;
	return false;
}

struct list_arg {
	struct st_follower *f;
	const char *res;
};

/* The table's object for this revision of obj's, which the table keeps
 * from now on (the first follower to read a revision puts it there), or
 * obj itself when it cannot. A deleted object leaves the table. */
static const char *meta(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

/* No module reads metadata.managedFields; in a Service made by kubectl they
 * are a third of the object's nodes, and every follower keeps every
 * Service. `obj` is the store's fresh parse, seen by no one yet. */
static void unmanaged(const json_t *obj)
{
	json_object_del(json_object_get(obj, "metadata"), "managedFields");
}

static const json_t *shared(struct st *st, const char *res, const json_t *obj, bool deleted)
{
	const char *rv = meta(obj, "resourceVersion");
	char key[600];
	json_t *have;

	if (!st->shared && !(st->shared = json_object()))
		return obj;
	snprintf(key, sizeof(key), "%s/%s/%s", res, meta(obj, "namespace") ?: "",
		 meta(obj, "name") ?: "");
	if (deleted) {
		json_object_del(st->shared, key);
		return obj;
	}
	have = json_object_get(st->shared, key);
	if (have && rv && strcmp(meta(have, "resourceVersion") ?: "", rv) == 0)
		return have;
	unmanaged(obj);
	/* What one follower alone reads is not shared: kept in the table, an
	 * object that follower let go would stay until the next sweep. */
	if (!rv || json_integer_value(json_object_get(st->followers, res)) < 2)
		return obj;
	json_object_set(st->shared, key, (json_t *)obj);
	/* What no follower kept any more (the table's is its only reference)
	 * goes, once the table has doubled since the last look: amortized
	 * O(1) per object. */
	if (json_object_size(st->shared) > 2 * st->shared_live + 64) {
		const char *k;
		json_t *v;
		void *tmp;

		json_object_foreach_safe(st->shared, tmp, k, v)
			if (__atomic_load_n(&v->refcount, __ATOMIC_ACQUIRE) == 1)
				json_object_del(st->shared, k);
		st->shared_live = json_object_size(st->shared);
	}
	return obj;
}

static int on_list(void *arg, const json_t *obj)
{
	struct list_arg *la = arg;

	la->f->ops->object(la->f->arg, la->res, shared(la->f->st, la->res, obj, false), false);
	return 0;
}

static int relist(struct st_follower *f)
{
	int64_t rev = st_rev(f->st);

	if (f->ops->reset)
		f->ops->reset(f->arg);
	for (const char *const *r = f->res; *r; r++) {
		struct list_arg la = {f, *r};
		int err = st_list(f->st, *r, NULL, NULL, NULL, 0, on_list, &la, NULL);

		if (err < 0) {
			k1s_err(f->who, "listing %s: %s", *r, k1s_strerror(err));
			return err;
		}
	}
	f->rev = rev;
	f->listed = true;
	if (f->ops->relisted)
		f->ops->relisted(f->arg);
	return 0;
}

static int on_event(void *arg, const struct st_event *ev)
{
	struct st_follower *f = arg;

	f->rev = ev->rev;
	if (ev->obj && followed(f, ev->resource))
		f->ops->object(f->arg, ev->resource,
			       shared(f->st, ev->resource, ev->obj, ev->type == ST_DELETED),
			       ev->type == ST_DELETED);
	return 0;
}

int st_follow(struct st_follower *f)
{
	/* One resource is filtered by the store, several here. */
	const char *only = f->res[0] && !f->res[1] ? f->res[0] : NULL;

	if (!f->listed)
		return relist(f);
	while (f->rev < st_rev(f->st)) {
		int64_t before = f->rev;
		int err = st_events(f->st, f->rev, only, NULL, ST_FOLLOW_BATCH, on_event, f);

		if (err == K1S_EGONE) {
			k1s_warn(f->who, "event log compacted past revision %lld; listing again",
				 (long long)f->rev);
			return relist(f);
		}
		if (err < 0) {
			k1s_err(f->who, "reading events: %s", k1s_strerror(err));
			return err;
		}
		/* No more events of ours: the rest of the log is others'. */
		if (f->rev == before)
			f->rev = st_rev(f->st);
	}
	return 0;
}

bool st_follow_behind(const struct st_follower *f)
{
	return !f->listed || f->rev < st_rev(f->st);
}
