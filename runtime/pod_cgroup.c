/* The cgroups pods run in, as kubelet's cgroupfs driver lays them out
 * (pkg/kubelet/cm): PARENT/pod<uid> holds the pod's limits (memory and cpu
 * summed over its containers when each has one, the pod pids limit) and
 * PARENT/pod<uid>/<container>.<run> one run of a container, with the
 * container's own limits. A run's cgroup is new for each run, so that its
 * OOM kill count says what happened to that run alone.
 *
 * PARENT is k1s-pods at the root of the hierarchy, or under k1s's own
 * cgroup where the root cannot be written. cgroup v2 where a cgroup2 mount
 * offers the memory controller at its root, else v1: one hierarchy per
 * controller (memory, cpu, pids), wherever each is mounted. Without any,
 * pods run unlimited and one warning says so. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "k1s_json.h"
#include "k1s_log.h"
#include "pod_rt_int.h"

#define CG_PATH 512
/* How long a removal waits for killed processes to leave a cgroup. */
#define CG_RMDIR_TRIES 50
#define CG_RMDIR_WAIT_NS 2000000

enum cg_ctrl { CG_MEMORY, CG_CPU, CG_PIDS, CG_NCTRL };

static const char *const cg_ctrl_names[CG_NCTRL] = {"memory", "cpu", "pids"};
/* The pods' parent's name, for pod_cg_enter in a fork of k1s. */
static char pods_parent[64] = POD_CGROUP_PARENT;

struct pod_cgroups {
	enum { CG_NONE, CG_V1, CG_V2 } mode;
	/* v1: the parent in each controller's hierarchy ("" = not there);
	 * v2: parent[0], and have[] says which controllers it delegates. */
	char parent[CG_NCTRL][CG_PATH];
	bool have[CG_NCTRL];
	int64_t max_pids; /* per pod; -1 = no limit */
	int64_t mem_capacity;
	char why[256]; /* the first thing that could not be made, for the warning */
	char name[64]; /* the parent's name */
};

/* Keeps the first reason a controller cannot be had. */
static void cg_missing(struct pod_cgroups *cgs, const char *what, const char *path, int err)
{
	if (!cgs->why[0])
		snprintf(cgs->why, sizeof(cgs->why), "%s %s: %s", what, path, strerror(err));
}

struct pod_cg {
	char dirs[CG_NCTRL][CG_PATH]; /* the run's cgroups, joined in order */
	int ndirs;
	int oom_score_adj;
};

/* ---- files ---- */

/* Whether `word` is an item of `list`, items separated by `sep`. */
static bool in_list(const char *list, const char *word, char sep)
{
	size_t wl = strlen(word);

	for (const char *t = list; t; t = strchr(t, sep), t = t ? t + 1 : NULL)
		if (strncmp(t, word, wl) == 0 && (t[wl] == sep || t[wl] == '\0' || t[wl] == '\n'))
			return true;
	return false;
}

static int cg_write(const char *dir, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cg_write(const char *dir, const char *file, const char *fmt, ...)
{
	char path[CG_PATH + 64], buf[128];
	va_list ap;
	int fd, n, err = 0;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		err = -errno;
	close(fd);
	return err;
}

static ssize_t cg_read(const char *dir, const char *file, char *buf, size_t len)
{
	char path[CG_PATH + 64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* The value of key `key` in a flat keyed file (memory.events,
 * memory.oom_control): -1 when absent. */
static long long cg_key(const char *dir, const char *file, const char *key)
{
	char buf[1024], *p;
	size_t kl = strlen(key);

	if (cg_read(dir, file, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return atoll(p + kl + 1);
	return -1;
}

int pod_oom_adj_write(int adj)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (dprintf(fd, "%d\n", adj) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* ---- finding the hierarchies ---- */

/* k1s's own cgroup in the hierarchy of `ctrl` (v1) or the unified one
 * (ctrl NULL), from /proc/self/cgroup. */
static void own_cgroup(const char *ctrl, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024];

	snprintf(out, len, "/");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *names = strchr(line, ':'), *path;

		if (!names || !(path = strchr(names + 1, ':')))
			continue;
		*path++ = '\0';
		names++;
		path[strcspn(path, "\n")] = '\0';
		if (!ctrl ? *names == '\0' : in_list(names, ctrl, ',')) {
			snprintf(out, len, "%s", path);
			break;
		}
	}
	fclose(f);
}

/* Makes the parent under mount `mnt` (whose root is the hierarchy's
 * `root`): at the top, else under k1s's own cgroup. 0, or a negative errno. */
static int make_parent(const char *name, const char *mnt, const char *root, const char *own,
                       char *out, size_t len)
{
	size_t rl = strlen(root);

	snprintf(out, len, "%s/%s", mnt, name);
	if (mkdir(out, 0755) == 0 || errno == EEXIST)
		return 0;
	/* Inside a cgroup namespace or a delegated subtree: our own. */
	if (strcmp(root, "/") != 0 && strncmp(own, root, rl) == 0)
		own += rl;
	snprintf(out, len, "%s%s/%s", mnt, strcmp(own, "/") == 0 ? "" : own, name);
	if (mkdir(out, 0755) == 0 || errno == EEXIST)
		return 0;
	out[0] = '\0';
	return -errno;
}

static void setup_v2(struct pod_cgroups *cgs, const char *mnt)
{
	char ctrls[512], sub[64];
	int err;

	if (cg_read(mnt, "cgroup.controllers", ctrls, sizeof(ctrls)) < 0)
		return;
	for (int i = 0; i < CG_NCTRL; i++)
		cgs->have[i] = in_list(ctrls, cg_ctrl_names[i], ' ');
	if (!cgs->have[CG_MEMORY]) {
		/* v1 then (a hybrid host's unified mount has none). */
		memset(cgs->have, 0, sizeof(cgs->have));
		return;
	}
	/* Only the root may hold processes beside delegating controllers:
	 * the parent sits there, or v2 is not used. */
	snprintf(cgs->parent[0], CG_PATH, "%s/%s", mnt, cgs->name);
	if (mkdir(cgs->parent[0], 0755) < 0 && errno != EEXIST) {
		cg_missing(cgs, "cgroup v2: making", cgs->parent[0], errno);
		memset(cgs->have, 0, sizeof(cgs->have));
		cgs->parent[0][0] = '\0';
		return;
	}
	for (int i = 0; i < CG_NCTRL; i++) {
		if (!cgs->have[i])
			continue;
		snprintf(sub, sizeof(sub), "+%s", cg_ctrl_names[i]);
		cg_write(mnt, "cgroup.subtree_control", "%s", sub);
		err = cg_write(cgs->parent[0], "cgroup.subtree_control", "%s", sub);
		if (err < 0) {
			cg_missing(cgs, cg_ctrl_names[i], cgs->parent[0], -err);
			cgs->have[i] = false;
		}
	}
	if (cgs->have[CG_MEMORY])
		cgs->mode = CG_V2;
	else
		/* v1 is tried instead; the parent is left as kubepods is. */
		memset(cgs->have, 0, sizeof(cgs->have));
}

/* Reads /proc/self/mountinfo: a cgroup2 mount with the memory controller
 * wins; else each v1 controller's mount. */
static void find_hierarchies(struct pod_cgroups *cgs)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[2048], v2[CG_PATH] = "";
	char mnt1[CG_NCTRL][CG_PATH] = {{0}}, root1[CG_NCTRL][CG_PATH] = {{0}};

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char root[CG_PATH], mnt[CG_PATH], fstype[64], opts[512];
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %511s %511s", root, mnt) != 2 ||
		    sscanf(dash + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		if (strcmp(fstype, "cgroup2") == 0 && !*v2)
			snprintf(v2, sizeof(v2), "%s", mnt);
		if (strcmp(fstype, "cgroup") != 0)
			continue;
		for (int i = 0; i < CG_NCTRL; i++)
			if (in_list(opts, cg_ctrl_names[i], ',') && !*mnt1[i]) {
				snprintf(mnt1[i], CG_PATH, "%s", mnt);
				snprintf(root1[i], CG_PATH, "%s", root);
			}
	}
	fclose(f);
	if (*v2) {
		setup_v2(cgs, v2);
		if (cgs->mode == CG_V2)
			return;
	}
	for (int i = 0; i < CG_NCTRL; i++) {
		char own[CG_PATH];
		int err;

		if (!*mnt1[i])
			continue;
		own_cgroup(cg_ctrl_names[i], own, sizeof(own));
		err = make_parent(cgs->name, mnt1[i], root1[i], own, cgs->parent[i], CG_PATH);
		if (err < 0) {
			cg_missing(cgs, cg_ctrl_names[i], mnt1[i], -err);
			continue;
		}
		cgs->have[i] = true;
		cgs->mode = CG_V1;
	}
}

/* kubelet's node allocatable enforced on kubepods: the pods together get
 * the node's memory less what is reserved, so that they meet the OOM
 * killer in their own cgroup before k1s meets it in the node's. */
static void reserve_memory(struct pod_cgroups *cgs, int64_t reserved)
{
	const char *parent = cgs->have[CG_MEMORY] ? cgs->parent[0] : NULL;
	int64_t limit;
	int err;

	if (cgs->mode == CG_V1)
		parent = cgs->have[CG_MEMORY] ? cgs->parent[CG_MEMORY] : NULL;
	if (!parent || reserved < 0 || cgs->mem_capacity <= 0)
		return;
	if (reserved == 0) {
		reserved = cgs->mem_capacity / 10;
		if (reserved < POD_MEM_RESERVED_MIN)
			reserved = POD_MEM_RESERVED_MIN;
	}
	limit = cgs->mem_capacity - reserved;
	if (limit < POD_MEM_RESERVED_MIN) {
		k1s_warn("pod", "%lld MiB reserved of the node's %lld MiB leaves the pods too little: "
		         "their memory is not capped together", (long long)(reserved >> 20),
		         (long long)(cgs->mem_capacity >> 20));
		return;
	}
	err = cg_write(parent, cgs->mode == CG_V2 ? "memory.max" : "memory.limit_in_bytes", "%lld",
	               (long long)limit);
	if (err < 0)
		k1s_warn("pod", "cgroup %s: the pods' memory cap of %lld MiB: %s", parent,
		         (long long)(limit >> 20), strerror(-err));
	else
		k1s_info("pod", "pods may use %lld MiB of memory together, %lld MiB kept for k1s and "
		         "the host", (long long)(limit >> 20), (long long)(reserved >> 20));
}

struct pod_cgroups *pod_cgroups_new(const char *name, int64_t max_pids, int64_t mem_reserved)
{
	struct pod_cgroups *cgs = calloc(1, sizeof(*cgs));
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	int err;

	if (!cgs)
		return NULL;
	cgs->max_pids = max_pids;
	snprintf(cgs->name, sizeof(cgs->name), "%s", name ? name : POD_CGROUP_PARENT);
	snprintf(pods_parent, sizeof(pods_parent), "%s", cgs->name);
	cgs->mem_capacity = pages > 0 && psize > 0 ? (int64_t)pages * psize : 0;
	/* The node's kubelet is the last the OOM killer picks; its pods go
	 * by their QoS class. */
	err = pod_oom_adj_write(POD_OOM_K1S);
	if (err < 0)
		k1s_warn("pod", "cannot set k1s's oom_score_adj to %d (%s): Guaranteed pods and k1s "
		         "are not kept from the OOM killer beyond the others", POD_OOM_K1S,
		         strerror(-err));
	find_hierarchies(cgs);
	reserve_memory(cgs, mem_reserved);
	/* Said once, here: the pods go on without what is missing. */
	if (cgs->mode == CG_NONE)
		k1s_warn("pod", "no cgroup can be made here (%s): pods run without their memory, "
		         "cpu and pids limits", cgs->why[0] ? cgs->why : "no cgroup mount");
	else if (!cgs->have[CG_MEMORY] || !cgs->have[CG_CPU] || !cgs->have[CG_PIDS])
		k1s_warn("pod", "pods' cgroups: v%d without %s%s%s (%s): those limits are not "
		         "enforced", cgs->mode == CG_V2 ? 2 : 1, cgs->have[CG_MEMORY] ? "" : "memory ",
		         cgs->have[CG_CPU] ? "" : "cpu ", cgs->have[CG_PIDS] ? "" : "pids",
		         cgs->why[0] ? cgs->why : "not mounted");
	if (cgs->mode != CG_NONE)
		k1s_info("pod", "pods' cgroups: v%d, memory %s, cpu %s, pids %s (pod pids limit %lld)",
		         cgs->mode == CG_V2 ? 2 : 1, cgs->have[CG_MEMORY] ? "yes" : "no",
		         cgs->have[CG_CPU] ? "yes" : "no", cgs->have[CG_PIDS] ? "yes" : "no",
		         (long long)max_pids);
	return cgs;
}

void pod_cgroups_free(struct pod_cgroups *cgs)
{
	free(cgs);
}

/* ---- paths ---- */

/* The parent of controller i, or NULL (v2: one parent for all). */
static const char *cg_parent(const struct pod_cgroups *cgs, int i)
{
	if (!cgs->have[i])
		return NULL;
	return cgs->mode == CG_V2 ? cgs->parent[0] : cgs->parent[i];
}

static void pod_dir(const char *parent, const char *uid, char *out, size_t len)
{
	snprintf(out, len, "%s/pod%s", parent, uid);
}

static void run_dir(const char *parent, const char *uid, const char *ctr, int run, char *out,
                    size_t len)
{
	snprintf(out, len, "%s/pod%s/%s.%d", parent, uid, ctr, run);
}

/* ---- a run's cgroups ---- */

static int64_t sat_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* The pod's own limits: kubelet's ResourceConfigForPod. */
static int pod_limits(const struct pod_cgroups *cgs, const json_t *spec, int i, const char *dir)
{
	int64_t mem = 0, quota = 0, req = 0;
	bool all_mem = true, all_cpu = true;
	const json_t *c;
	size_t k;
	int err = 0;

	json_array_foreach(json_object_get(spec, "containers"), k, c)
	{
		struct pod_res r;

		if (pod_res_of(c, &r) < 0)
			return -EINVAL;
		/* Sums saturate: the kernel refuses what is too large. */
		mem = sat_add(mem, r.mem_limit);
		quota = sat_add(quota, pod_cpu_quota(r.cpu_limit_m, POD_CPU_PERIOD));
		req = sat_add(req, r.cpu_request_m);
		all_mem &= r.mem_limit > 0;
		all_cpu &= r.cpu_limit_m > 0;
	}
	/* v2: the runs below get the controllers (a pod's directory holds
	 * no process, so it may hand them down). */
	for (int j = 0; j < CG_NCTRL && cgs->mode == CG_V2; j++)
		if (cgs->have[j])
			cg_write(dir, "cgroup.subtree_control", "+%s", cg_ctrl_names[j]);
	switch (i) {
	case CG_MEMORY:
		if (all_mem && mem > 0)
			err = cg_write(dir, cgs->mode == CG_V2 ? "memory.max" : "memory.limit_in_bytes",
			               "%lld", (long long)mem);
		break;
	case CG_CPU:
		if (cgs->mode == CG_V2) {
			err = cg_write(dir, "cpu.weight", "%lld",
			               (long long)pod_cpu_weight(pod_cpu_shares(req)));
			if (!err && all_cpu && quota > 0)
				err = cg_write(dir, "cpu.max", "%lld %d", (long long)quota,
				               POD_CPU_PERIOD);
		} else {
			err = cg_write(dir, "cpu.shares", "%lld", (long long)pod_cpu_shares(req));
			if (!err && all_cpu && quota > 0) {
				cg_write(dir, "cpu.cfs_period_us", "%d", POD_CPU_PERIOD);
				err = cg_write(dir, "cpu.cfs_quota_us", "%lld", (long long)quota);
			}
		}
		break;
	case CG_PIDS:
		if (cgs->max_pids > 0)
			err = cg_write(dir, "pids.max", "%lld", (long long)cgs->max_pids);
		break;
	}
	return err;
}

/* The container's limits: what runc writes from the CRI's resources. */
static int run_limits(const struct pod_cgroups *cgs, const struct pod_res *r, int i,
                      const char *dir)
{
	int err = 0;

	switch (i) {
	case CG_MEMORY:
		if (!r->mem_limit)
			break;
		if (cgs->mode == CG_V2) {
			err = cg_write(dir, "memory.max", "%lld", (long long)r->mem_limit);
			/* kubelet's default: no swap for pods (NoSwap). */
			cg_write(dir, "memory.swap.max", "0");
		} else {
			err = cg_write(dir, "memory.limit_in_bytes", "%lld", (long long)r->mem_limit);
			cg_write(dir, "memory.memsw.limit_in_bytes", "%lld", (long long)r->mem_limit);
		}
		break;
	case CG_CPU:
		if (cgs->mode == CG_V2) {
			err = cg_write(dir, "cpu.weight", "%lld",
			               (long long)pod_cpu_weight(pod_cpu_shares(r->cpu_request_m)));
			if (!err && r->cpu_limit_m)
				err = cg_write(dir, "cpu.max", "%lld %d",
				               (long long)pod_cpu_quota(r->cpu_limit_m, POD_CPU_PERIOD),
				               POD_CPU_PERIOD);
		} else {
			err = cg_write(dir, "cpu.shares", "%lld",
			               (long long)pod_cpu_shares(r->cpu_request_m));
			if (!err && r->cpu_limit_m) {
				cg_write(dir, "cpu.cfs_period_us", "%d", POD_CPU_PERIOD);
				err = cg_write(dir, "cpu.cfs_quota_us", "%lld",
				               (long long)pod_cpu_quota(r->cpu_limit_m, POD_CPU_PERIOD));
			}
		}
		break;
	}
	return err;
}

int pod_cg_new(struct pod_cgroups *cgs, const json_t *pod, const json_t *cspec, const char *uid,
               const char *ctr, int run, struct pod_cg **out, char *msg, size_t msglen)
{
	const json_t *spec = json_object_get(pod, "spec");
	struct pod_cg *cg;
	struct pod_res r;
	int err;

	*out = NULL;
	if (pod_res_of(cspec, &r) < 0) {
		snprintf(msg, msglen, "container %s: resources: not a quantity", ctr);
		return -EINVAL;
	}
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	cg->oom_score_adj = pod_oom_score_adj(pod_qos_of(spec), r.mem_request, cgs->mem_capacity);
	for (int i = 0; i < CG_NCTRL; i++) {
		const char *parent = cg_parent(cgs, i);
		char dir[CG_PATH];
		bool dup = false;

		if (!parent)
			continue;
		err = 0;
		pod_dir(parent, uid, dir, sizeof(dir));
		if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
		    (err = pod_limits(cgs, spec, i, dir)) < 0)
			goto fail;
		run_dir(parent, uid, ctr, run, dir, sizeof(dir));
		if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || (err = run_limits(cgs, &r, i, dir)) < 0)
			goto fail;
		/* v2: one directory holds every controller. */
		for (int k = 0; k < cg->ndirs; k++)
			dup |= strcmp(cg->dirs[k], dir) == 0;
		if (!dup)
			snprintf(cg->dirs[cg->ndirs++], CG_PATH, "%s", dir);
		continue;
	fail:
		err = err < 0 ? err : -errno;
		snprintf(msg, msglen, "cgroup %s: %s", dir, strerror(-err));
		free(cg);
		return err;
	}
	*out = cg;
	return 0;
}

void pod_cg_free(struct pod_cg *cg)
{
	free(cg);
}

json_t *pod_cg_to_json(const struct pod_cg *cg)
{
	json_t *dirs = json_array();

	for (int i = 0; i < cg->ndirs; i++)
		json_array_append_new(dirs, json_string(cg->dirs[i]));
	return json_pack("{s:o,s:i}", "dirs", dirs, "oom_score_adj", cg->oom_score_adj);
}

struct pod_cg *pod_cg_from_json(const json_t *j)
{
	const json_t *dirs = json_object_get(j, "dirs"), *adj = json_object_get(j, "oom_score_adj");
	struct pod_cg *cg;

	if (!json_is_array(dirs) || json_array_size(dirs) > CG_NCTRL || !json_is_integer(adj))
		return NULL;
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return NULL;
	for (size_t i = 0; i < json_array_size(dirs); i++) {
		const char *d = json_string_value(json_array_get(dirs, i));

		if (!d || strlen(d) >= CG_PATH) {
			free(cg);
			return NULL;
		}
		snprintf(cg->dirs[cg->ndirs++], CG_PATH, "%s", d);
	}
	cg->oom_score_adj = (int)json_integer_value(adj);
	return cg;
}

void pod_cg_join(const struct pod_cg *cg)
{
	if (!cg)
		return;
	for (int i = 0; i < cg->ndirs; i++) {
		int err = cg_write(cg->dirs[i], "cgroup.procs", "0");

		if (err < 0) {
			dprintf(2, "k1s: joining cgroup %s: %s\n", cg->dirs[i], strerror(-err));
			_exit(128);
		}
	}
	pod_oom_adj_write(cg->oom_score_adj);
}

/* The mount of the hierarchy a /proc/PID/cgroup line names (its
 * controllers, "" for the unified one): its mount point and root. */
static bool hierarchy_mount(const char *ctrls, char *mnt, char *root)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[2048];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char fstype[64], opts[512], *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %511s %511s", root, mnt) != 2 ||
		    sscanf(dash + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		if (!*ctrls) {
			found = strcmp(fstype, "cgroup2") == 0;
			continue;
		}
		if (strcmp(fstype, "cgroup") != 0)
			continue;
		found = true;
		for (const char *t = ctrls; t; t = strchr(t, ','), t = t ? t + 1 : NULL) {
			char one[64];

			snprintf(one, sizeof(one), "%.*s", (int)strcspn(t, ","), t);
			found &= in_list(opts, one, ',');
		}
	}
	fclose(f);
	return found;
}

void pod_cg_enter(pid_t target)
{
	char path[64], line[1024], buf[32], under[sizeof(pods_parent) + 2];
	FILE *f;
	int fd, err;

	snprintf(under, sizeof(under), "/%s/", pods_parent);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)target);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *ctrls = strchr(line, ':'), *cg, mnt[CG_PATH], root[CG_PATH], dir[CG_PATH * 2];
		size_t rl;

		if (!ctrls || !(cg = strchr(ctrls + 1, ':')))
			continue;
		*cg++ = '\0';
		ctrls++;
		cg[strcspn(cg, "\n")] = '\0';
		/* Only the pods' own: the rest is k1s's already. */
		if (!strstr(cg, under) || !hierarchy_mount(ctrls, mnt, root))
			continue;
		rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
		if (rl && strncmp(cg, root, rl) == 0)
			cg += rl;
		snprintf(dir, sizeof(dir), "%s%s", mnt, cg);
		err = cg_write(dir, "cgroup.procs", "0");
		if (err < 0)
			dprintf(2, "k1s: joining cgroup %s: %s\n", dir, strerror(-err));
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)target);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			pod_oom_adj_write(atoi(buf));
		}
	}
}

/* ---- ends and removal ---- */

/* SIGKILLs what is left in `dir`, then removes it, waiting a moment for
 * the killed to go. */
static int cg_remove(const struct pod_cgroups *cgs, const char *dir)
{
	struct timespec ts = {0, CG_RMDIR_WAIT_NS};

	for (int t = 0; t < CG_RMDIR_TRIES; t++) {
		char buf[4096];

		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		if (cgs->mode == CG_V2 && cg_write(dir, "cgroup.kill", "1") == 0) {
			nanosleep(&ts, NULL);
			continue;
		}
		if (cg_read(dir, "cgroup.procs", buf, sizeof(buf)) > 0) {
			char *save = NULL;

			for (char *p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
				if (atoi(p) > 0)
					kill(atoi(p), SIGKILL);
		}
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

bool pod_cg_run_ended(struct pod_cgroups *cgs, const char *uid, const char *ctr, int run)
{
	bool oom = false;

	for (int i = 0; i < CG_NCTRL; i++) {
		const char *parent = cg_parent(cgs, i);
		char dir[CG_PATH];

		if (!parent)
			continue;
		run_dir(parent, uid, ctr, run, dir, sizeof(dir));
		if (i == CG_MEMORY)
			oom = cg_key(dir, cgs->mode == CG_V2 ? "memory.events" : "memory.oom_control",
			             "oom_kill") > 0;
		cg_remove(cgs, dir);
	}
	return oom;
}

/* Removes pod<uid> and every run under it in each hierarchy. */
static void pod_remove(struct pod_cgroups *cgs, const char *parent, const char *name)
{
	char dir[CG_PATH], sub[CG_PATH + 256];
	struct dirent *de;
	int err;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", parent, name);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
			cg_remove(cgs, sub);
		}
	closedir(d);
	err = cg_remove(cgs, dir);
	if (err < 0)
		k1s_warn("pod", "cgroup %s: cannot remove: %s", dir, strerror(-err));
}

void pod_cg_pod_remove(struct pod_cgroups *cgs, const char *uid)
{
	char name[128];

	snprintf(name, sizeof(name), "pod%s", uid);
	for (int i = 0; i < CG_NCTRL; i++) {
		/* v2: the first controller's parent is every one's. */
		if (!cg_parent(cgs, i) || (cgs->mode == CG_V2 && i > 0 && cg_parent(cgs, 0)))
			continue;
		pod_remove(cgs, cg_parent(cgs, i), name);
	}
}

/* The pods' cgroup another k1s names with --pods-cgroup (k1s-pods by
 * default) is ours when the names are equal. */
static bool same_pods_cgroup(const char *pid, const char *args, size_t len, const void *arg)
{
	const char *name = POD_CGROUP_PARENT;

	(void)pid;
	for (size_t i = 0; i < len; i += strlen(args + i) + 1) {
		const char *a = args + i;

		if (strncmp(a, "--pods-cgroup=", 14) == 0)
			name = a + 14;
		else if (strcmp(a, "--pods-cgroup") == 0 && i + strlen(a) + 1 < len)
			name = a + strlen(a) + 1;
	}
	return strcmp(name, arg) == 0;
}

int pod_cg_other_server(const struct pod_cgroups *cgs)
{
	return pod_other_serve(same_pods_cgroup, cgs->name);
}

void pod_cg_sweep(struct pod_cgroups *cgs, bool (*known)(void *arg, const char *uid), void *arg)
{
	for (int i = 0; i < CG_NCTRL; i++) {
		const char *parent = cg_parent(cgs, i);
		struct dirent *de;
		DIR *d;

		if (!parent || (cgs->mode == CG_V2 && i > 0 && cg_parent(cgs, 0)) ||
		    !(d = opendir(parent)))
			continue;
		while ((de = readdir(d))) {
			if (de->d_type != DT_DIR || strncmp(de->d_name, "pod", 3) != 0 ||
			    known(arg, de->d_name + 3))
				continue;
			k1s_info("pod", "removing cgroup %s/%s: no such pod", parent, de->d_name);
			pod_remove(cgs, parent, de->d_name);
		}
		closedir(d);
	}
}
