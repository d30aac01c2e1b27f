/* The follower of st.h: one list, then events, relisting when the event
 * log has been compacted past the copy's revision. */
#include <string.h>

#include "k1s_log.h"
#include "st.h"

/* Events per st_events() call, so that a long backlog is not one chain of
 * callbacks holding the whole log. */
#define ST_FOLLOW_BATCH 4096

void st_follow_init(struct st_follower *f, struct st *st, const char *who,
		    const char *const *res, const struct st_follow_ops *ops, void *arg)
{
	*f = (struct st_follower){.st = st, .who = who, .res = res, .ops = ops, .arg = arg};
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

static int on_list(void *arg, const json_t *obj)
{
	struct list_arg *la = arg;

	la->f->ops->object(la->f->arg, la->res, obj, false);
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
		f->ops->object(f->arg, ev->resource, ev->obj, ev->type == ST_DELETED);
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
