/* emptyDir sizeLimit on disk, enforced as kubelet's eviction manager
 * does (pkg/kubelet/eviction/eviction_manager.go, localStorageEviction and
 * emptyDirLimitEviction): every housekeeping interval each disk emptyDir
 * with a sizeLimit is measured, and a pod with one whose usage is over the
 * limit is evicted (pod_rt_evict). A medium Memory emptyDir is a tmpfs of
 * that size instead: the kernel says ENOSPC and nothing is evicted.
 *
 * The measure walks directory trees, which may be large: it runs on the
 * runtime's worker, one pass at a time, EVICT_MAX_VOLS volumes at most
 * (the next pass goes on from there). On the loop a pass costs a look at
 * each pod's spec.volumes (about 1.5 us a pod); on the worker, a walk of
 * 10,000 files costs about 37 ms, and stops once past the limit. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "k1s_log.h"
#include "k1s_loop.h"
#include "k1s_work.h"
#include "pod_rt_int.h"

/* kubelet's --housekeeping-interval default. */
#define HOUSEKEEPING_MS 10000
/* The volumes measured in one pass, at most: a pod names few. */
#define EVICT_MAX_VOLS 256
#define EVICT_VOLS_PER_POD 16
/* Directories deep: a deeper tree is counted down to here. */
#define DU_MAX_DEPTH 128

/* kubelet's immediateEvictionGracePeriodSeconds. */
#define EVICT_GRACE_S 1

struct evict_vol {
	char uid[64];
	struct pod_vol_limit v;
	unsigned long long used;
	int err;
};

struct pod_evict_job {
	struct pod_rt *rt;
	struct evict_vol *vols;
	size_t n;
};

/* ---- du ---- */

/* The hard-linked inodes already counted. */
struct seen {
	ino_t *ino;
	size_t n, cap;
};

static bool seen_add(struct seen *s, ino_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ino[i] == ino)
			return false;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		ino_t *n = realloc(s->ino, cap * sizeof(*n));

		if (!n)
			return true; /* counted twice rather than not at all */
		s->ino = n;
		s->cap = cap;
	}
	s->ino[s->n++] = ino;
	return true;
}

struct du {
	dev_t dev;
	unsigned long long total, stop;
	struct seen links;
};

static void du_add(struct du *d, const struct stat *sb)
{
	if (sb->st_nlink > 1 && !S_ISDIR(sb->st_mode) && !seen_add(&d->links, sb->st_ino))
		return;
	d->total += (unsigned long long)sb->st_blocks * 512;
}

/* Counts what directory fd (consumed) holds. */
static int du_dir(struct du *d, int fd, int depth)
{
	DIR *dir = fdopendir(fd);
	struct dirent *de;
	int err = 0;

	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(dir)) && (!d->stop || d->total <= d->stop)) {
		struct stat sb;
		int sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile */
		if (sb.st_dev != d->dev)
			continue; /* a mount: not this volume's */
		du_add(d, &sb);
		if (!S_ISDIR(sb.st_mode) || depth >= DU_MAX_DEPTH)
			continue;
		sub = openat(dirfd(dir), de->d_name,
		             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
		if (sub < 0)
			sub = openat(dirfd(dir), de->d_name,
			             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			err = du_dir(d, sub, depth + 1);
		if (err == -ENOMEM)
			break;
		err = 0;
	}
	closedir(dir);
	return err;
}

int pod_du(const char *path, unsigned long long stop, unsigned long long *bytes)
{
	struct du d = {.stop = stop};
	struct stat sb;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	d.dev = sb.st_dev;
	du_add(&d, &sb);
	err = du_dir(&d, fd, 0);
	free(d.links.ino);
	*bytes = d.total;
	return err;
}

/* ---- the passes ---- */

static void evict_arm(struct pod_rt *rt);

/* On the worker: touches only the job. */
static void evict_measure(void *arg)
{
	struct pod_evict_job *j = arg;

	for (size_t i = 0; i < j->n; i++) {
		struct evict_vol *e = &j->vols[i];

		e->err = pod_du(e->v.path, e->v.bytes, &e->used);
	}
}

static void evict_done(void *arg)
{
	struct pod_evict_job *j = arg;
	struct pod_rt *rt = j->rt;
	bool cancelled = k1s_work_cancelled(rt->work);

	rt->evict_job = NULL;
	for (size_t i = 0; !cancelled && i < j->n; i++) {
		struct evict_vol *e = &j->vols[i];
		struct pod_run *p = pod_rt_find_uid(rt, e->uid);
		char msg[sizeof(p->evict_msg)];

		/* used.Cmp(*size) > 0: over, not at, the limit. */
		if (e->err < 0 || e->used <= e->v.bytes || !p || p->removed || p->deleting ||
		    p->evicted)
			continue;
		/* emptyDirMessageFmt (pkg/kubelet/eviction/helpers.go), its
		 * trailing space included; the limit as the spec wrote it
		 * (kubelet prints the Quantity, canonical: "1Mi" stays "1Mi"). */
		snprintf(msg, sizeof(msg), "Usage of EmptyDir volume \"%s\" exceeds the limit \"%s\". ",
		         e->v.name, e->v.limit);
		k1s_info("pod", "Pod %s/%s: evicted: emptyDir %s uses %llu bytes, limit %s", p->ns,
		         p->name, e->v.name, e->used, e->v.limit);
		pod_rt_evict(p, msg, EVICT_GRACE_S);
	}
	free(j->vols);
	free(j);
	if (!cancelled)
		evict_arm(rt);
}

static void evict_pass(void *arg)
{
	struct pod_rt *rt = arg;
	struct pod_evict_job *j;
	struct pod_vol_limit lim[EVICT_VOLS_PER_POD];
	struct pod_run *start, *p;
	size_t cap = 0;

	rt->evict_timer = NULL;
	if (rt->stopping)
		return;
	j = calloc(1, sizeof(*j));
	if (!j)
		goto later;
	j->rt = rt;
	/* A pass takes EVICT_MAX_VOLS at most; the next goes on from the pod
	 * where this one stopped, so that every pod is measured in turn. */
	start = pod_rt_find_uid(rt, rt->evict_next) ?: rt->pods;
	rt->evict_next[0] = '\0';
	for (p = start; p; p = p->next ?: rt->pods) {
		size_t n = 0;

		if (!p->removed && !p->deleting && !p->evicted && !p->finished && !*p->face &&
		    p->vol_ready)
			n = pod_vol_limits(p->obj, p->dir, lim, EVICT_VOLS_PER_POD);
		if (n && j->n + n > EVICT_MAX_VOLS) {
			snprintf(rt->evict_next, sizeof(rt->evict_next), "%s", p->uid);
			break;
		}
		if (n && cap < j->n + n) {
			struct evict_vol *nv = realloc(j->vols, (cap + 16) * sizeof(*nv));

			if (!nv)
				break;
			j->vols = nv;
			cap += 16;
		}
		for (size_t i = 0; i < n; i++, j->n++) {
			j->vols[j->n] = (struct evict_vol){.v = lim[i]};
			snprintf(j->vols[j->n].uid, sizeof(j->vols[j->n].uid), "%s", p->uid);
		}
		if ((p->next ?: rt->pods) == start)
			break;
	}
	if (j->n == 0) {
		free(j);
		goto later;
	}
	if ((!rt->work && !(rt->work = k1s_work_new(rt->loop))) ||
	    k1s_work_queue(rt->work, evict_measure, evict_done, j) < 0) {
		free(j->vols);
		free(j);
		goto later;
	}
	rt->evict_job = j;
	return;
later:
	evict_arm(rt);
}

static void evict_arm(struct pod_rt *rt)
{
	int ms = rt->cfg.housekeeping_ms > 0 ? rt->cfg.housekeeping_ms : HOUSEKEEPING_MS;

	if (!rt->stopping && !rt->evict_timer)
		rt->evict_timer = k1s_loop_timer(rt->loop, ms, evict_pass, rt);
}

void pod_evict_start(struct pod_rt *rt)
{
	evict_arm(rt);
}

void pod_evict_stop(struct pod_rt *rt)
{
	if (rt->evict_timer)
		k1s_loop_cancel(rt->loop, rt->evict_timer);
	rt->evict_timer = NULL;
}
