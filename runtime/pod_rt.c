/* The pod runtime: reconciles the pods bound to this node from the store's
 * event log (a before-sleep hook), runs their containers (pod_rt_proc.c),
 * restarts them by restartPolicy with back-off, stops them gracefully,
 * adopts them after a restart of k1s, and writes their status and events
 * through the writer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "k1s_event.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_work.h"
#include "k1s_loop.h"
#include "k1s_types.h"
#include "k1s_writer.h"
#include "pod_rt_int.h"
#include "st.h"

#define BACKOFF_START_MS 10000
#define BACKOFF_MAX_MS 300000
/* A run this long forgives earlier crashes (kubelet: twice the maximum). */
#define BACKOFF_RESET_MS (2 * BACKOFF_MAX_MS)
/* Grace given to pods when k1s itself stops. */
#define SHUTDOWN_GRACE_MS 3000
#define CONFIG_RETRY_MS 5000
/* The wait before writing again a status the store refused. */
#define STATUS_RETRY_MS 1000
/* A closed gate is asked again this soon: it waits on the kernel, not on
 * the user. */
#define GATE_RETRY_MS 20
/* The longest the runtime holds the control loop in one pass before it
 * lets the loop serve what waits (the API shares it): a hundred pods
 * starting at once are synced over several passes. */
#define SYNC_PASS_MS 5

static void ctr_start(struct pod_ctr *c);
static void launch_queue(struct pod_ctr *c, const struct pod_launch *l, char **argv,
			 char **envp, int stdin_r, int go_r, int tty, int run, const json_t *cspec);
static void pod_free(struct pod_run *p);
static void state_save(struct pod_run *p);

/* ---- helpers ---- */

static void mkdir_p(const char *dir, mode_t mode)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(path, mode);
		*s = '/';
	}
	mkdir(path, mode);
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	char tmp[1100];
	int fd;
	size_t len = strlen(text);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(tmp);
		return -EIO;
	}
	fchmod(fd, mode);
	close(fd);
	return rename(tmp, path) < 0 ? -errno : 0;
}

static void fmt_time(char *buf, size_t len, time_t t)
{
	k1s_time_fmt(buf, len, t);
}

struct pod_run *pod_rt_find(struct pod_rt *rt, const char *ns, const char *name)
{
	for (struct pod_run *p = rt->pods; p; p = p->next)
		if (!p->removed && strcmp(p->ns, ns) == 0 && strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

struct pod_ctr *pod_rt_ctr(struct pod_run *p, const char *container)
{
	if (!container || !*container)
		return p->nctrs ? &p->ctrs[0] : NULL;
	for (size_t i = 0; i < p->nctrs; i++)
		if (strcmp(p->ctrs[i].name, container) == 0)
			return &p->ctrs[i];
	return NULL;
}

const json_t *pod_rt_cspec(const struct pod_ctr *c)
{
	return json_array_get(k1s_json_path(c->p->obj, "spec.containers"), (size_t)c->index);
}

void pod_rt_dirty(struct pod_run *p)
{
	p->dirty = true;
}

static unsigned event_hash(const char *a, const char *b, const char *c)
{
	unsigned h = 2166136261u;
	const char *parts[3] = {a, b, c};

	for (int i = 0; i < 3; i++) {
		for (const char *s = parts[i] ?: ""; *s; s++)
			h = (h ^ (unsigned char)*s) * 16777619u;
		h = (h ^ 0xff) * 16777619u;
	}
	return h;
}

/* Bumps the count of a recent identical event. 0, or -ENOENT. */
static int event_repeat(struct pod_run *p, const struct k1s_resource *r, unsigned h, const char *ts)
{
	struct pod_rt *rt = p->rt;
	json_t *ev = NULL;
	int err = -ENOENT;

	for (unsigned i = 0; i < POD_RECENT && i < p->nrecent; i++) {
		if (p->recent[i].hash != h)
			continue;
		if (st_get(rt->st, "events", p->ns, p->recent[i].name, &ev) < 0)
			return -ENOENT;
		json_object_set_new(
		    ev, "count",
		    json_integer(json_integer_value(json_object_get(ev, "count")) + 1));
		json_object_set_new(ev, "lastTimestamp", json_string(ts));
		json_object_del(json_object_get(ev, "metadata"), "resourceVersion");
		err = rt->w->update(rt->w->arg, r, ev, false);
		json_decref(ev);
		return err;
	}
	return err;
}

void pod_rt_event(struct pod_run *p, const char *type, const char *reason, const struct pod_ctr *c,
                  const char *fmt, ...)
{
	struct pod_rt *rt = p->rt;
	const struct k1s_resource *r = k1s_resource_find("", "events");
	struct k1s_event_src src = {"kubelet", rt->cfg.node_name};
	char msg[1024], ts[32], fp[300] = "";
	struct timespec now;
	json_t *ev, *obj;
	unsigned h;
	va_list ap;
	int err;

	if (!r)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	fmt_time(ts, sizeof(ts), now.tv_sec);
	if (c)
		snprintf(fp, sizeof(fp), "spec.containers{%s}", c->name);
	h = event_hash(reason, fp, msg);
	if (event_repeat(p, r, h, ts) == 0)
		return;
	obj = json_pack("{s:{s:s, s:s, s:s}}", "metadata", "namespace", p->ns, "name", p->name, "uid",
	                p->uid);
	ev = obj ? k1s_event_new(obj, "Pod", "v1", type, reason, msg, &src, now.tv_sec,
	                         rt->event_seq++)
	         : NULL;
	json_decref(obj);
	if (ev && c)
		json_object_set_new(json_object_get(ev, "involvedObject"), "fieldPath", json_string(fp));
	if (!ev)
		return;
	err = rt->w->create(rt->w->arg, r, ev);
	if (err < 0) {
		k1s_warn("pod", "recording event %s for Pod %s/%s: %s", reason, p->ns, p->name,
		         k1s_strerror(err));
	} else {
		struct pod_recent *rc = &p->recent[p->nrecent++ % POD_RECENT];

		rc->hash = h;
		snprintf(rc->name, sizeof(rc->name), "%s", k1s_json_str(ev, "metadata.name") ?: "");
	}
	json_decref(ev);
}

static const char *restart_policy(const struct pod_run *p)
{
	return k1s_json_str(p->obj, "spec.restartPolicy") ?: "Always";
}

/* ---- killing ---- */

/* Signals the container's process group, if its leader is still the
 * process we started. */
static void ctr_signal(struct pod_ctr *c, int sig)
{
	if (c->pid > 0 && (!c->pid_start || pod_proc_starttime(c->pid) == c->pid_start)) {
		kill(-c->pid, sig);
		kill(c->pid, sig);
	}
}

static void on_kill_timer(void *arg)
{
	struct pod_ctr *c = arg;

	c->kill_timer = NULL;
	if (c->state == POD_C_RUNNING) {
		ctr_signal(c, SIGKILL);
		c->stop_signal_sent = SIGKILL;
	}
}

void pod_rt_kill(struct pod_ctr *c, int grace)
{
	struct pod_rt *rt = c->p->rt;

	if (c->state != POD_C_RUNNING)
		return;
	c->killing = true;
	if (grace <= 0) {
		ctr_signal(c, SIGKILL);
		c->stop_signal_sent = SIGKILL;
		return;
	}
	if (c->stop_signal_sent)
		return;
	ctr_signal(c, SIGTERM);
	c->stop_signal_sent = SIGTERM;
	if (c->kill_timer)
		k1s_loop_cancel(rt->loop, c->kill_timer);
	c->kill_timer = k1s_loop_timer(rt->loop, (int64_t)grace * 1000, on_kill_timer, c);
}

static int grace_seconds(const struct pod_run *p)
{
	const json_t *g = k1s_json_path(p->obj, "metadata.deletionGracePeriodSeconds");

	if (!json_is_integer(g))
		g = k1s_json_path(p->obj, "spec.terminationGracePeriodSeconds");
	return json_is_integer(g) ? (int)json_integer_value(g) : 30;
}

void pod_rt_liveness_failed(struct pod_ctr *c)
{
	const json_t *g = k1s_json_path(c->p->obj, "spec.terminationGracePeriodSeconds");

	if (c->state != POD_C_RUNNING || c->killing)
		return;
	pod_rt_event(c->p, "Normal", "Killing", c,
	             "Container %s failed liveness probe, will be restarted", c->name);
	c->liveness_kill = true;
	pod_rt_kill(c, json_is_integer(g) ? (int)json_integer_value(g) : 30);
}

/* ---- container runs ---- */

static void ctr_paths(const struct pod_ctr *c, int run, const char *ext, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%d.%s", c->p->dir, c->name, run, ext);
}

static void ctr_close_stdio(struct pod_ctr *c)
{
	struct pod_rt *rt = c->p->rt;

	pod_pty_release(c);
	if (c->stdin_w >= 0)
		close(c->stdin_w);
	if (c->pty >= 0)
		close(c->pty);
	if (c->go_w >= 0)
		close(c->go_w);
	if (c->go_timer)
		k1s_loop_cancel(rt->loop, c->go_timer);
	c->stdin_w = c->pty = c->go_w = -1;
	c->go_timer = NULL;
}

static void ctr_unwatch(struct pod_ctr *c)
{
	if (c->shim_fd >= 0) {
		k1s_loop_del_fd(c->p->rt->loop, c->shim_fd);
		close(c->shim_fd);
		c->shim_fd = -1;
	}
}

static json_t *terminated_json(const struct pod_ctr *c)
{
	char s[32], f[32], cid[64];
	json_t *t;

	fmt_time(s, sizeof(s), c->started_at);
	fmt_time(f, sizeof(f), c->finished_at);
	snprintf(cid, sizeof(cid), "k1s://%d", (int)c->pid_last);
	/* containerd's reasons: OOMKilled whenever the run's cgroup saw the
	 * OOM killer, whatever the exit code. */
	t = json_pack("{s:i, s:s, s:s, s:s, s:s}", "exitCode", c->exit_code, "reason",
	              c->oom_killed ? "OOMKilled" : c->exit_code == 0 ? "Completed" : "Error",
	              "startedAt", s, "finishedAt", f, "containerID", cid);
	if (c->signal)
		json_object_set_new(t, "signal", json_integer(c->signal));
	return t;
}

static void on_restart_timer(void *arg)
{
	struct pod_ctr *c = arg;

	c->restart_timer = NULL;
	ctr_start(c);
	pod_rt_dirty(c->p);
}

/* A run has ended with wait status `ws` at `when`. */
static void ctr_ended(struct pod_ctr *c, int ws, time_t when)
{
	struct pod_run *p = c->p;
	struct pod_rt *rt = p->rt;
	const char *policy = restart_policy(p);
	bool restart;

	pod_probe_stop(c);
	ctr_unwatch(c);
	if (c->kill_timer) {
		k1s_loop_cancel(rt->loop, c->kill_timer);
		c->kill_timer = NULL;
	}
	c->pid_last = c->pid;
	c->pid = c->shim = 0;
	c->pid_start = c->shim_start = 0;
	c->finished_at = when;
	if (WIFEXITED(ws)) {
		c->exit_code = WEXITSTATUS(ws);
		c->signal = 0;
	} else {
		c->signal = WTERMSIG(ws);
		c->exit_code = 128 + c->signal;
	}
	c->state = POD_C_TERMINATED;
	c->ready = c->started = false;
	c->oom_killed = pod_cg_run_ended(rt->cgroups, p->uid, c->name, c->restarts);
	json_decref(c->prev_state);
	c->prev_state = c->last_state;
	c->last_state = terminated_json(c);
	k1s_info("pod", "Pod %s/%s: container %s exited with %d%s", p->ns, p->name, c->name,
	         c->exit_code, c->oom_killed ? " (OOMKilled)" : "");
	restart = !p->deleting && !p->removed && !p->evicted && !rt->stopping &&
	          (strcmp(policy, "Always") == 0 ||
	           (strcmp(policy, "OnFailure") == 0 && c->exit_code != 0));
	c->killing = false;
	c->stop_signal_sent = 0;
	c->liveness_kill = false;
	pod_pty_release(c);
	if (c->attach_exit) {
		pod_exit_fn fn = c->attach_exit;

		c->attach_exit = NULL;
		fn(c->attach_arg, ws);
	}
	if (restart) {
		if ((int64_t)(c->finished_at - c->started_at) * 1000 >= BACKOFF_RESET_MS)
			c->backoff_ms = 0;
		if (c->backoff_ms == 0) {
			c->backoff_ms = BACKOFF_START_MS;
			ctr_start(c);
		} else {
			c->state = POD_C_WAITING;
			snprintf(c->reason, sizeof(c->reason), "CrashLoopBackOff");
			snprintf(c->message, sizeof(c->message),
			         "back-off %llds restarting failed container=%s pod=%s_%s(%s)",
			         (long long)(c->backoff_ms / 1000), c->name, p->name, p->ns,
			         p->uid);
			pod_rt_event(p, "Warning", "BackOff", c,
			             "Back-off restarting failed container %s in pod %s_%s(%s)",
			             c->name, p->name, p->ns, p->uid);
			c->restart_timer =
			    k1s_loop_timer(rt->loop, c->backoff_ms, on_restart_timer, c);
			c->backoff_ms *= 2;
			if (c->backoff_ms > BACKOFF_MAX_MS)
				c->backoff_ms = BACKOFF_MAX_MS;
		}
	}
	state_save(p);
	pod_rt_dirty(p);
}

/* Reads the exit file of run `run`: the wait status, or -1. */
static int read_exit(const struct pod_ctr *c, int run, time_t *when)
{
	char path[1100], buf[64];
	int fd, ws = -1;
	long long t = 0;
	ssize_t n;

	ctr_paths(c, run, "exit", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%d %lld", &ws, &t) != 2)
		return -1;
	*when = (time_t)t;
	return ws;
}

static void on_shim(void *arg, int fd, uint32_t events)
{
	struct pod_ctr *c = arg;
	time_t when = time(NULL);
	int ws;

	(void)fd;
	(void)events;
	if (c->shim_child)
		pod_pidfd_wait(c->shim_fd);
	ws = read_exit(c, c->restarts, &when);
	if (ws < 0) {
		/* The shim died without a word (killed): so did its container,
		 * whose group we take down to be sure. */
		ctr_signal(c, SIGKILL);
		ws = SIGKILL;
		when = time(NULL);
	}
	ctr_ended(c, ws, when);
}

static int ctr_watch(struct pod_ctr *c)
{
	c->shim_fd = pod_pidfd_open(c->shim);
	if (c->shim_fd < 0)
		return c->shim_fd;
	return k1s_loop_add_fd(c->p->rt->loop, c->shim_fd, EPOLLIN, on_shim, c);
}

static int uid_cmp(const void *a, const void *b)
{
	uid_t x = *(const uid_t *)a, y = *(const uid_t *)b;

	return x < y ? -1 : x > y;
}

/* A uid of cfg's range that no pod has: the next after the last given,
 * so that a freed one is not given again at once. 0 when all are taken.
 * Linear in the pods, whatever the range's size. */
static uid_t uid_alloc(struct pod_rt *rt)
{
	uint32_t span = rt->cfg.uid_max - rt->cfg.uid_min + 1;
	size_t n = 0, cap = 0;
	uid_t *used = NULL, got = 0;

	for (struct pod_run *p = rt->pods; p; p = p->next) {
		if (p->run_uid < rt->cfg.uid_min || p->run_uid > rt->cfg.uid_max)
			continue;
		if (n == cap) {
			uid_t *u = realloc(used, (cap = cap ? 2 * cap : 64) * sizeof(*u));

			if (!u) {
				free(used);
				return 0;
			}
			used = u;
		}
		used[n++] = p->run_uid;
	}
	if (n)
		qsort(used, n, sizeof(*used), uid_cmp);
	/* Of n + 1 candidates in a row, one is free. */
	for (uint32_t k = 0; k < span && k <= n; k++) {
		uint32_t i = (uint32_t)((rt->uid_next + (uint64_t)k) % span);
		uid_t u = rt->cfg.uid_min + i;

		if (!n || !bsearch(&u, used, n, sizeof(*used), uid_cmp)) {
			got = u;
			rt->uid_next = (uint32_t)((i + 1ULL) % span);
			break;
		}
	}
	free(used);
	return got;
}

/* The container's field of securityContext, else the pod's. */
static const json_t *sc_field(const struct pod_run *p, const json_t *cspec, const char *key)
{
	const json_t *v = json_object_get(json_object_get(cspec, "securityContext"), key);

	if (!v || json_is_null(v))
		v = json_object_get(k1s_json_path(p->obj, "spec.securityContext"), key);
	return v;
}

/* The pod's fsGroup and supplementalGroups, the groups its processes
 * have besides their own (the volumes' files are fsGroup's). */
static void ctr_groups(const struct pod_run *p, struct pod_creds *cr)
{
	const json_t *psc = k1s_json_path(p->obj, "spec.securityContext"), *g;
	size_t i;

	g = json_object_get(psc, "fsGroup");
	if (json_is_integer(g) && json_integer_value(g) >= 0)
		cr->groups[cr->ngroups++] = (gid_t)json_integer_value(g);
	json_array_foreach(json_object_get(psc, "supplementalGroups"), i, g)
		if (json_is_integer(g) && json_integer_value(g) >= 0 &&
		    cr->ngroups < POD_MAX_GROUPS)
			cr->groups[cr->ngroups++] = (gid_t)json_integer_value(g);
}

/* Who the container runs as and what it may do. 0, or -EINVAL with the
 * reason in msg (kubelet's CreateContainerConfigError). */
static int ctr_creds(struct pod_run *p, const json_t *cspec, struct pod_creds *cr, char *msg,
                     size_t len)
{
	const json_t *csc = json_object_get(cspec, "securityContext");
	const json_t *u = sc_field(p, cspec, "runAsUser"), *g = sc_field(p, cspec, "runAsGroup");
	const char *cname = k1s_json_str(cspec, "name") ?: "";

	memset(cr, 0, sizeof(*cr));
	if (json_is_true(json_object_get(csc, "privileged"))) {
		cr->privileged = true;
	} else if (json_is_integer(u)) {
		cr->uid = (uid_t)json_integer_value(u);
		cr->gid = json_is_integer(g) ? (gid_t)json_integer_value(g) : 0;
	} else {
		if (!p->run_uid)
			p->run_uid = uid_alloc(p->rt);
		if (!p->run_uid) {
			snprintf(msg, len, "no free uid in --pod-uid-range %u-%u",
			         (unsigned)p->rt->cfg.uid_min, (unsigned)p->rt->cfg.uid_max);
			return -EINVAL;
		}
		cr->uid = p->run_uid;
		cr->gid = json_is_integer(g) ? (gid_t)json_integer_value(g) : p->run_uid;
	}
	if (json_is_true(sc_field(p, cspec, "runAsNonRoot"))) {
		/* kubelet's verifyRunAsNonRoot (kuberuntime/security_context_others.go);
		 * the image's user is the pod's uid here, or root when privileged. */
		if (json_is_integer(u) && json_integer_value(u) == 0) {
			snprintf(msg, len,
			         "container's runAsUser breaks non-root policy (pod: \"%s_%s(%s)\", "
			         "container: %s)",
			         p->name, p->ns, p->uid, cname);
			return -EINVAL;
		}
		if (!json_is_integer(u) && cr->uid == 0) {
			snprintf(msg, len,
			         "container has runAsNonRoot and image will run as root (pod: "
			         "\"%s_%s(%s)\", container: %s)",
			         p->name, p->ns, p->uid, cname);
			return -EINVAL;
		}
	}
	ctr_groups(p, cr);
	if (cr->privileged)
		return 0;
	if (pod_caps_parse(csc, &cr->caps, msg, len) < 0)
		return -EINVAL;
	cr->no_new_privs = !json_is_true(json_object_get(csc, "allowPrivilegeEscalation"));
	return 0;
}

/* The argv of a container: its command/args by the catalog's rules, or the
 * echo app on its containerPorts. 0 (echo = false/true), or -errno. */
static int ctr_argv(struct pod_ctr *c, const json_t *cspec, char ***argv, bool *echo)
{
	struct pod_rt *rt = c->p->rt;
	const json_t *ports = json_object_get(cspec, "ports"), *port;
	size_t i, n = 0, total = 0;
	char **v, *s;
	int err;

	*echo = false;
	err = pod_catalog_argv(rt->catalog, k1s_json_str(cspec, "image") ?: "",
	                       json_object_get(cspec, "command"), json_object_get(cspec, "args"),
	                       argv);
	if (err != 1)
		return err;
	*echo = true;
	n = 2 + 2 * json_array_size(ports);
	total = strlen(rt->cfg.self_exe) + 16 + json_array_size(ports) * 24;
	v = malloc((n + 1) * sizeof(char *) + total);
	if (!v)
		return -ENOMEM;
	s = (char *)(v + n + 1);
	n = 0;
	v[n++] = s;
	s += sprintf(s, "%s", rt->cfg.self_exe) + 1;
	v[n++] = s;
	s += sprintf(s, "echo-server") + 1;
	json_array_foreach(ports, i, port)
	{
		const char *proto = k1s_json_str(port, "protocol") ?: "TCP";

		v[n++] = s;
		s += sprintf(s, "--port") + 1;
		v[n++] = s;
		s += sprintf(s, "%d/%s",
		             (int)json_integer_value(json_object_get(port, "containerPort")),
		             strcmp(proto, "UDP") == 0 ? "udp" : "tcp") +
		     1;
	}
	v[n] = NULL;
	*argv = v;
	return 0;
}

void pod_go(struct pod_ctr *c)
{
	if (c->go_timer)
		k1s_loop_cancel(c->p->rt->loop, c->go_timer);
	c->go_timer = NULL;
	if (c->go_w < 0)
		return;
	if (c->pty >= 0)
		pod_tty_echo(c->pty, true);
	close(c->go_w);
	c->go_w = -1;
}

static void on_go_timer(void *arg)
{
	struct pod_ctr *c = arg;

	c->go_timer = NULL;
	pod_go(c);
}

void pod_go_after(struct pod_ctr *c, int64_t ms)
{
	if (c->go_w < 0)
		return;
	if (c->go_timer)
		k1s_loop_cancel(c->p->rt->loop, c->go_timer);
	c->go_timer = k1s_loop_timer(c->p->rt->loop, ms, on_go_timer, c);
	if (!c->go_timer)
		pod_go(c);
}

static void ctr_waiting(struct pod_ctr *c, const char *reason, const char *msg)
{
	c->state = POD_C_WAITING;
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	snprintf(c->message, sizeof(c->message), "%s", msg ?: "");
}

static void on_retry(void *arg)
{
	struct pod_run *p = arg;

	p->retry_timer = NULL;
	pod_rt_dirty(p);
}

/* The environment pod_env_take builds off the loop is there. */
static void ctr_env_ready(struct pod_ctr *c)
{
	ctr_start(c);
	pod_rt_dirty(c->p);
}

/* Starts a run of the container. */
/* A container that cannot start yet waits as `reason` with msg (an event
 * the first time msg is said) and is tried again in CONFIG_RETRY_MS. */
static void ctr_retry_later(struct pod_ctr *c, const char *reason, const char *msg)
{
	struct pod_run *p = c->p;

	if (strcmp(c->message, msg) != 0)
		pod_rt_event(p, "Warning", "Failed", c, "Error: %s", msg);
	ctr_waiting(c, reason, msg);
	if (!p->retry_timer)
		p->retry_timer = k1s_loop_timer(p->rt->loop, CONFIG_RETRY_MS, on_retry, p);
	pod_rt_dirty(p);
}

static void ctr_start(struct pod_ctr *c)
{
	struct pod_run *p = c->p;
	struct pod_rt *rt = p->rt;
	const json_t *cspec = pod_rt_cspec(c);
	struct pod_launch l = {.stdin_r = -1, .tty = -1, .go_r = -1};
	char logp[1100], exitp[1100], resolv[1100], hosts[1100], dir[1100], msg[512] = "";
	char **argv = NULL, **envp = NULL;
	bool echo, want_stdin, tty;
	struct pod_mount *mounts = NULL;
	size_t nmounts = 0;
	int in_p[2] = {-1, -1}, go_p[2] = {-1, -1}, slave = -1, err, run;
	struct pod_cg *cg = NULL;

	if (!cspec || p->deleting || p->removed || p->evicted || rt->stopping || c->launch_job)
		return;
	err = ctr_argv(c, cspec, &argv, &echo);
	if (err < 0) {
		ctr_waiting(c, "CreateContainerConfigError", "invalid command or args");
		return;
	}
	err = pod_env_take(c, cspec, echo, ctr_env_ready, &envp, msg, sizeof(msg));
	if (err == -EINPROGRESS) {
		free(argv);
		return;
	}
	if (err < 0) {
		free(argv);
		if (strcmp(c->reason, "CreateContainerConfigError") != 0)
			pod_rt_event(p, "Warning", "Failed", c, "Error: %s", msg);
		ctr_waiting(c, "CreateContainerConfigError", msg);
		if (!p->retry_timer)
			p->retry_timer = k1s_loop_timer(rt->loop, CONFIG_RETRY_MS, on_retry, p);
		return;
	}
	if (ctr_creds(p, cspec, &c->creds, msg, sizeof(msg)) < 0) {
		free(argv);
		pod_env_free(envp);
		ctr_retry_later(c, "CreateContainerConfigError", msg);
		return;
	}
	c->uid = c->creds.uid;
	c->gid = c->creds.gid;
	snprintf(c->workdir, sizeof(c->workdir), "%s", k1s_json_str(cspec, "workingDir") ?: "/");
	l.exe_fd = echo ? rt->self_fd : -1;
	if (l.exe_fd < 0) {
		/* What the container's user cannot execute is said once, with
		 * its path, and retried: not a crash loop of exit code 126. */
		char path[1024];

		err = pod_proc_exe_check(argv[0], envp, c->uid, c->gid, c->workdir, path,
		                         sizeof(path));
		if (err == -EACCES || err == -ENOENT) {
			/* runc's words, e.g. exec: "x": permission denied */
			snprintf(msg, sizeof(msg), "exec: \"%s\": %s (as uid %u)", path,
			         err == -ENOENT ? (strchr(argv[0], '/')
			                               ? "no such file or directory"
			                               : "executable file not found in $PATH")
			                        : "permission denied",
			         (unsigned)c->uid);
			free(argv);
			pod_env_free(envp);
			ctr_retry_later(c, "RunContainerError", msg);
			return;
		}
	}
	err = pod_vol_mounts(p->obj, cspec, p->dir, &mounts, &nmounts, msg, sizeof(msg));
	if (err < 0) {
		free(argv);
		pod_env_free(envp);
		ctr_retry_later(c, "CreateContainerConfigError", msg);
		return;
	}
	run = c->ever_started ? c->restarts + 1 : c->restarts;
	snprintf(dir, sizeof(dir), "%s/%s", p->dir, c->name);
	mkdir_p(dir, 0700);
	ctr_paths(c, run, "log", logp, sizeof(logp));
	ctr_paths(c, run, "exit", exitp, sizeof(exitp));
	unlink(exitp);
	pod_log_remove(logp);
	/* Keep the previous run's log for --previous; older ones go. */
	if (run >= 2) {
		char old[1100];

		ctr_paths(c, run - 2, "log", old, sizeof(old));
		pod_log_remove(old);
		ctr_paths(c, run - 2, "exit", old, sizeof(old));
		unlink(old);
	}
	ctr_close_stdio(c);
	want_stdin = json_is_true(json_object_get(cspec, "stdin"));
	tty = json_is_true(json_object_get(cspec, "tty"));
	c->stdin_open = want_stdin;
	if (tty) {
		c->pty = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (c->pty >= 0 && grantpt(c->pty) == 0 && unlockpt(c->pty) == 0)
			slave = open(ptsname(c->pty), O_RDWR | O_NOCTTY | O_CLOEXEC);
		l.tty = slave;
	} else if (want_stdin && pipe2(in_p, O_CLOEXEC) == 0) {
		l.stdin_r = in_p[0];
		c->stdin_w = in_p[1];
	}
	if (want_stdin && json_is_true(json_object_get(cspec, "stdinOnce")) &&
	    pipe2(go_p, O_CLOEXEC) == 0) {
		l.go_r = go_p[0];
		c->go_w = go_p[1];
		c->go_timer = k1s_loop_timer(rt->loop, 10000, on_go_timer, c);
		/* Until the program runs, its terminal does not echo: see
		 * pod_attach(). */
		if (slave >= 0)
			pod_tty_echo(slave, false);
	}
	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", p->dir);
	snprintf(hosts, sizeof(hosts), "%s/hosts", p->dir);
	char netns[128];

	pod_net_ns_path(p->id, netns, sizeof(netns));
	l.argv = argv;
	l.envp = envp;
	l.uid = c->uid;
	l.gid = c->gid;
	l.creds = c->creds;
	l.hide = rt->data_abs;
	l.shim_exe = rt->self_fd;
	l.netns = netns;
	l.hostname = p->name;
	l.resolv = resolv;
	l.hosts = hosts;
	l.workdir = c->workdir;
	l.log_path = logp;
	l.log_max_size = rt->cfg.container_log_max_size ?: POD_LOG_MAX_SIZE_DEFAULT;
	l.log_max_files = rt->cfg.container_log_max_files ?: POD_LOG_MAX_FILES_DEFAULT;
	l.exit_path = exitp;
	l.keep[0] = c->stdin_w;
	l.keep[1] = c->pty;
	l.keep[2] = c->go_w;
	err = pod_cg_new(rt->cgroups, p->obj, cspec, p->uid, c->name, run, &cg, msg, sizeof(msg));
	if (err < 0) {
		k1s_err("pod", "Pod %s/%s: container %s: %s", p->ns, p->name, c->name, msg);
		free(argv);
		pod_env_free(envp);
		pod_vol_mounts_free(mounts, nmounts);
		ctr_close_stdio(c);
		if (in_p[0] >= 0)
			close(in_p[0]);
		if (go_p[0] >= 0)
			close(go_p[0]);
		if (slave >= 0)
			close(slave);
		ctr_waiting(c, err == -EINVAL ? "CreateContainerConfigError" : "RunContainerError",
		            msg);
		if (!p->retry_timer)
			p->retry_timer = k1s_loop_timer(rt->loop, CONFIG_RETRY_MS, on_retry, p);
		pod_rt_dirty(p);
		return;
	}
	l.cg = cg;
	l.mounts = mounts;
	l.nmounts = nmounts;
	launch_queue(c, &l, argv, envp, in_p[0], go_p[0], slave, run, cspec);
}

/* ---- a run started on the worker ----
 *
 * Starting the shim waits for it to load and to fork the container: ms
 * the API would wait for if the loop did it. The worker starts it; the
 * loop then takes the run up where ctr_start left it. */

struct pod_launch_job {
	struct pod_ctr *c;	/* NULL once the container is gone */
	struct pod_launch l;	/* its strings are the job's own: */
	char netns[128], hostname[256], resolv[1100], hosts[1100], workdir[512];
	char logp[1100], exitp[1100], image[512];
	char **argv, **envp;
	struct pod_mount *mounts;
	size_t nmounts;
	struct pod_cg *cg;
	int fds[3];		/* stdin_r, go_r, tty: the container's ends */
	int run, err;
	pid_t shim, pid;
};

static void launch_run(void *arg)
{
	struct pod_launch_job *j = arg;

	j->err = pod_proc_launch(&j->l, &j->shim, &j->pid);
}

static void launch_free(struct pod_launch_job *j)
{
	pod_cg_free(j->cg);
	pod_vol_mounts_free(j->mounts, j->nmounts);
	for (int i = 0; i < 3; i++)
		if (j->fds[i] >= 0)
			close(j->fds[i]);
	free(j->argv);
	pod_env_free(j->envp);
	free(j);
}

static void launch_done(void *arg);

static void launch_queue(struct pod_ctr *c, const struct pod_launch *l, char **argv,
			 char **envp, int stdin_r, int go_r, int tty, int run, const json_t *cspec)
{
	struct pod_run *p = c->p;
	struct pod_rt *rt = p->rt;
	struct pod_launch_job *j = calloc(1, sizeof(*j));
	int err = -ENOMEM;

	if (j && !rt->work && !(rt->work = k1s_work_new(rt->loop))) {
		free(j);
		j = NULL;
	}
	if (j) {
		j->c = c;
		j->l = *l;
		snprintf(j->netns, sizeof(j->netns), "%s", l->netns);
		snprintf(j->hostname, sizeof(j->hostname), "%s", l->hostname);
		snprintf(j->resolv, sizeof(j->resolv), "%s", l->resolv);
		snprintf(j->hosts, sizeof(j->hosts), "%s", l->hosts);
		snprintf(j->workdir, sizeof(j->workdir), "%s", l->workdir);
		snprintf(j->logp, sizeof(j->logp), "%s", l->log_path);
		snprintf(j->exitp, sizeof(j->exitp), "%s", l->exit_path);
		snprintf(j->image, sizeof(j->image), "%s", k1s_json_str(cspec, "image") ?: "");
		j->l.netns = j->netns;
		j->l.hostname = j->hostname;
		j->l.resolv = j->resolv;
		j->l.hosts = j->hosts;
		j->l.workdir = j->workdir;
		j->l.log_path = j->logp;
		j->l.exit_path = j->exitp;
		j->argv = argv;
		j->envp = envp;
		j->mounts = (struct pod_mount *)l->mounts;
		j->nmounts = l->nmounts;
		j->cg = (struct pod_cg *)l->cg;
		j->fds[0] = stdin_r;
		j->fds[1] = go_r;
		j->fds[2] = tty;
		j->run = run;
		err = k1s_work_queue(rt->work, launch_run, launch_done, j);
		if (err == 0) {
			c->launch_job = j;
			return;
		}
		free(j);
	}
	pod_cg_free((struct pod_cg *)l->cg);
	pod_vol_mounts_free((struct pod_mount *)l->mounts, l->nmounts);
	if (stdin_r >= 0)
		close(stdin_r);
	if (go_r >= 0)
		close(go_r);
	if (tty >= 0)
		close(tty);
	free(argv);
	pod_env_free(envp);
	pod_cg_run_ended(rt->cgroups, p->uid, c->name, run);
	k1s_err("pod", "Pod %s/%s: starting container %s: %s", p->ns, p->name, c->name,
		strerror(-err));
	ctr_close_stdio(c);
	ctr_waiting(c, "RunContainerError", strerror(-err));
	if (!p->retry_timer)
		p->retry_timer = k1s_loop_timer(rt->loop, CONFIG_RETRY_MS, on_retry, p);
}

/* A container gone while its run was forked: that run ends at once. */
void pod_launch_cancel(struct pod_ctr *c)
{
	if (c->launch_job) {
		c->launch_job->c = NULL;
		c->launch_job = NULL;
	}
}

static void launch_done(void *arg)
{
	struct pod_launch_job *j = arg;
	struct pod_ctr *c = j->c;
	struct pod_run *p = c ? c->p : NULL;
	struct pod_rt *rt = p ? p->rt : NULL;
	int err = j->err;
	pid_t shim = j->shim, pid = j->pid;

	if (c)
		c->launch_job = NULL;
	if (!c || k1s_work_cancelled(rt->work) || p->deleting || p->removed || p->evicted ||
	    rt->stopping) {
		if (err == 0) {
			kill(pid, SIGKILL);
			kill(shim, SIGKILL);
			waitpid(shim, NULL, 0);
		}
		if (c)
			pod_rt_dirty(p);
		launch_free(j);
		return;
	}
	if (err < 0) {
		pod_cg_run_ended(rt->cgroups, p->uid, c->name, j->run);
		k1s_err("pod", "Pod %s/%s: starting container %s: %s", p->ns, p->name, c->name,
		        strerror(-err));
		ctr_close_stdio(c);
		ctr_waiting(c, "RunContainerError", strerror(-err));
		if (!p->retry_timer)
			p->retry_timer = k1s_loop_timer(rt->loop, CONFIG_RETRY_MS, on_retry, p);
		pod_rt_dirty(p);
		launch_free(j);
		return;
	}
	pod_env_free(c->envp);
	c->envp = j->envp;
	j->envp = NULL;
	if (c->ever_started)
		c->restarts++;
	if (!c->ever_started || strcmp(c->reason, "CrashLoopBackOff") != 0)
		pod_rt_event(p, "Normal", "Pulled", c,
		             "Container image \"%s\" already present on machine", j->image);
	c->ever_started = true;
	c->shim = shim;
	c->pid = pid;
	c->shim_child = true;
	c->shim_start = pod_proc_starttime(shim);
	c->pid_start = pod_proc_starttime(pid);
	c->started_at = time(NULL);
	c->state = POD_C_RUNNING;
	c->reason[0] = c->message[0] = '\0';
	c->ready = c->started = false;
	c->killing = false;
	c->stop_signal_sent = 0;
	if (ctr_watch(c) < 0)
		k1s_err("pod", "Pod %s/%s: cannot watch container %s", p->ns, p->name, c->name);
	pod_pty_watch(c, j->logp);
	pod_rt_event(p, "Normal", "Created", c, "Created container %s", c->name);
	pod_rt_event(p, "Normal", "Started", c, "Started container %s", c->name);
	k1s_info("pod", "Pod %s/%s: started container %s (pid %d)", p->ns, p->name, c->name,
	         (int)pid);
	pod_probe_start(c);
	state_save(p);
	pod_rt_dirty(p);
	launch_free(j);
}

/* ---- pod state on disk ---- */

static void state_save(struct pod_run *p)
{
	char path[1100], *text;
	json_t *s = json_pack("{s:s, s:s, s:s, s:{}}", "uid", p->uid, "id", p->id, "ip", p->ip,
	                      "containers");
	json_t *cs = json_object_get(s, "containers");

	json_object_set_new(s, "startTime", json_integer((json_int_t)p->start_time));
	if (p->run_uid)
		json_object_set_new(s, "runUid", json_integer((json_int_t)p->run_uid));
	for (size_t i = 0; i < p->nctrs; i++) {
		struct pod_ctr *c = &p->ctrs[i];
		json_t *o =
		    json_pack("{s:I, s:I, s:I, s:I, s:i, s:I, s:b, s:I}", "shim",
		              (json_int_t)c->shim, "shimStart", (json_int_t)c->shim_start, "pid",
		              (json_int_t)c->pid, "pidStart", (json_int_t)c->pid_start,
		              "restartCount", c->restarts, "startedAt", (json_int_t)c->started_at,
		              "everStarted", c->ever_started, "backoff", (json_int_t)c->backoff_ms);

		if (c->last_state)
			json_object_set(o, "lastState", c->last_state);
		json_object_set_new(cs, c->name, o);
	}
	text = json_dumps(s, JSON_COMPACT);
	json_decref(s);
	if (!text)
		return;
	snprintf(path, sizeof(path), "%s/state.json", p->dir);
	write_file(path, text, 0600);
	free(text);
}

static json_t *state_load(const char *dir)
{
	char path[1100];

	snprintf(path, sizeof(path), "%s/state.json", dir);
	return json_load_file(path, 0, NULL);
}

/* Kills what a state file records, where the pids still name the same
 * processes. */
static void state_kill(const json_t *s)
{
	const char *k;
	json_t *o;

	json_object_foreach(json_object_get(s, "containers"), k, o)
	{
		pid_t pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
		pid_t shim = (pid_t)json_integer_value(json_object_get(o, "shim"));
		unsigned long long ps = json_integer_value(json_object_get(o, "pidStart"));
		unsigned long long ss = json_integer_value(json_object_get(o, "shimStart"));

		if (pid > 0 && ps && pod_proc_starttime(pid) == ps)
			kill(-pid, SIGKILL);
		if (shim > 0 && ss && pod_proc_starttime(shim) == ss)
			kill(shim, SIGKILL);
	}
}

/* ---- pods ---- */

static int write_pod_files(struct pod_run *p)
{
	struct pod_rt *rt = p->rt;
	const char *dom = rt->cfg.cluster_domain;
	char path[1100], text[2048];
	const json_t *dc = k1s_json_path(p->obj, "spec.dnsConfig");
	const char *policy = k1s_json_str(p->obj, "spec.dnsPolicy") ?: "ClusterFirst";
	int err;

	snprintf(path, sizeof(path), "%s/resolv.conf", p->dir);
	if (strcmp(policy, "Default") == 0 && !dc) {
		/* The node's own resolver settings. */
		int fd = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : 0;

		if (fd >= 0)
			close(fd);
		text[n > 0 ? n : 0] = '\0';
	} else {
		snprintf(text, sizeof(text),
		         "search %s.svc.%s svc.%s %s\nnameserver %s\noptions ndots:5\n", p->ns, dom,
		         dom, dom, rt->cfg.cluster_dns);
	}
	err = write_file(path, text, 0644);
	if (err < 0)
		return err;
	snprintf(path, sizeof(path), "%s/hosts", p->dir);
	snprintf(text, sizeof(text),
	         "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost "
	         "ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\n"
	         "fe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n%s\t%s\n",
	         p->ip, p->name);
	return write_file(path, text, 0644);
}

static void pod_id(const char *uid, char *id, size_t len)
{
	size_t n = 0;

	for (const char *s = uid; *s && n < 12 && n + 1 < len; s++)
		if (*s != '-')
			id[n++] = *s;
	id[n] = '\0';
}

/* The module a pod stands for: its face annotation, else the face of its
 * first container image that has one in the catalog. */
static void pod_face_of(const struct pod_rt *rt, const json_t *obj, char *face, size_t len)
{
	const json_t *anns = k1s_json_path(obj, "metadata.annotations"), *cs;
	const char *a = json_string_value(json_object_get(anns, POD_FACE_ANNOTATION));
	size_t i;

	face[0] = '\0';
	if (a && (strcmp(a, "dns") == 0 || strcmp(a, "ingress") == 0)) {
		snprintf(face, len, "%s", a);
		return;
	}
	json_array_foreach(k1s_json_path(obj, "spec.containers"), i, cs)
	{
		const char *f = pod_catalog_face(rt->catalog, k1s_json_str(cs, "image") ?: "");

		if (f) {
			snprintf(face, len, "%s", f);
			return;
		}
	}
}

static struct pod_run *pod_new(struct pod_rt *rt, const json_t *obj)
{
	struct pod_run *p = calloc(1, sizeof(*p));
	const json_t *ctrs = k1s_json_path(obj, "spec.containers"), *cs;
	size_t i;

	if (!p)
		return NULL;
	p->rt = rt;
	snprintf(p->ns, sizeof(p->ns), "%s", k1s_json_str(obj, "metadata.namespace") ?: "");
	snprintf(p->name, sizeof(p->name), "%s", k1s_json_str(obj, "metadata.name") ?: "");
	snprintf(p->uid, sizeof(p->uid), "%s", k1s_json_str(obj, "metadata.uid") ?: "");
	pod_id(p->uid, p->id, sizeof(p->id));
	snprintf(p->dir, sizeof(p->dir), "%s/%s_%s_%s", rt->pods_dir, p->ns, p->name, p->uid);
	p->obj = json_deep_copy(obj);
	p->nctrs = json_array_size(ctrs);
	p->ctrs = calloc(p->nctrs ? p->nctrs : 1, sizeof(*p->ctrs));
	if (!p->obj || !p->ctrs) {
		json_decref(p->obj);
		free(p->ctrs);
		free(p);
		return NULL;
	}
	json_array_foreach(ctrs, i, cs)
	{
		struct pod_ctr *c = &p->ctrs[i];

		c->p = p;
		c->index = (int)i;
		snprintf(c->name, sizeof(c->name), "%s", k1s_json_str(cs, "name") ?: "");
		snprintf(c->image, sizeof(c->image), "%s", k1s_json_str(cs, "image") ?: "");
		c->shim_fd = c->stdin_w = c->pty = c->go_w = -1;
		ctr_waiting(c, "ContainerCreating", NULL);
		for (int k = 0; k < POD_NPROBES; k++) {
			c->probes[k].c = c;
			c->probes[k].kind = (enum pod_probe_kind)k;
			c->probes[k].fd = -1;
			c->probes[k].pidfd = -1;
		}
	}
	pod_face_of(rt, obj, p->face, sizeof(p->face));
	/* Evicted before k1s restarted: it stays so. */
	if (strcmp(k1s_json_str(obj, "status.phase") ?: "", "Failed") == 0 &&
	    strcmp(k1s_json_str(obj, "status.reason") ?: "", "Evicted") == 0) {
		p->evicted = true;
		snprintf(p->evict_msg, sizeof(p->evict_msg), "%s",
		         k1s_json_str(obj, "status.message") ?: "");
	}
	p->next = rt->pods;
	rt->pods = p;
	p->dirty = true;
	return p;
}

/* Cancels everything on the loop that points at the pod. */
static void pod_quiesce(struct pod_run *p)
{
	struct pod_rt *rt = p->rt;

	for (size_t i = 0; i < p->nctrs; i++) {
		struct pod_ctr *c = &p->ctrs[i];

		pod_probe_stop(c);
		ctr_unwatch(c);
		ctr_close_stdio(c);
		if (c->restart_timer)
			k1s_loop_cancel(rt->loop, c->restart_timer);
		if (c->kill_timer)
			k1s_loop_cancel(rt->loop, c->kill_timer);
		c->restart_timer = c->kill_timer = NULL;
		if (c->attach_exit) {
			pod_exit_fn fn = c->attach_exit;

			c->attach_exit = NULL;
			fn(c->attach_arg, c->exit_code << 8);
		}
	}
	if (p->retry_timer)
		k1s_loop_cancel(rt->loop, p->retry_timer);
	if (p->kill_timer)
		k1s_loop_cancel(rt->loop, p->kill_timer);
	p->retry_timer = p->kill_timer = NULL;
}

static void pod_free(struct pod_run *p)
{
	struct pod_run **pp;

	pod_quiesce(p);
	for (pp = &p->rt->pods; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	for (size_t i = 0; i < p->nctrs; i++) {
		json_decref(p->ctrs[i].last_state);
		json_decref(p->ctrs[i].prev_state);
		json_decref(p->ctrs[i].probe_obj);
		pod_env_free(p->ctrs[i].envp);
		pod_env_cancel(&p->ctrs[i]);
		pod_launch_cancel(&p->ctrs[i]);
	}
	free(p->ctrs);
	json_decref(p->obj);
	free(p);
}

/* Removes what the pod has on the host: its processes (SIGKILL), network
 * and directory. */
static void pod_teardown(struct pod_run *p)
{
	for (size_t i = 0; i < p->nctrs; i++) {
		struct pod_ctr *c = &p->ctrs[i];

		ctr_signal(c, SIGKILL);
		if (c->shim > 0 && (!c->shim_start || pod_proc_starttime(c->shim) == c->shim_start))
			kill(c->shim, SIGKILL);
		if (c->shim_child && c->shim_fd >= 0) {
			/* Reap it: the signal is delivered, the exit is quick. */
			waitpid(c->shim, NULL, 0);
		}
	}
	pod_quiesce(p);
	pod_cg_pod_remove(p->rt->cgroups, p->uid);
	pod_net_destroy(p->rt->net, p->id);
	pod_vol_teardown(p->dir);
	pod_rmtree(p->dir);
	p->net_ready = false;
}

static bool pod_all_stopped(const struct pod_run *p)
{
	for (size_t i = 0; i < p->nctrs; i++)
		if (p->ctrs[i].state == POD_C_RUNNING)
			return false;
	return true;
}

static void on_pod_kill(void *arg)
{
	struct pod_run *p = arg;

	p->kill_timer = NULL;
	for (size_t i = 0; i < p->nctrs; i++)
		pod_rt_kill(&p->ctrs[i], 0);
}

/* Stops every container of p within grace seconds, restarting none. */
static void stop_containers(struct pod_run *p, int grace)
{
	struct pod_rt *rt = p->rt;

	for (size_t i = 0; i < p->nctrs; i++) {
		struct pod_ctr *c = &p->ctrs[i];

		pod_probe_stop(c);
		if (c->restart_timer) {
			k1s_loop_cancel(rt->loop, c->restart_timer);
			c->restart_timer = NULL;
		}
		if (c->state == POD_C_RUNNING) {
			pod_rt_event(p, "Normal", "Killing", c, "Stopping container %s", c->name);
			pod_rt_kill(c, grace);
		}
	}
}

/* deletionTimestamp: stop the containers within the grace period. */
static void pod_terminate(struct pod_run *p)
{
	struct pod_rt *rt = p->rt;
	int grace = grace_seconds(p);

	p->deleting = true;
	stop_containers(p, grace);
	if (grace > 0 && !p->kill_timer)
		p->kill_timer = k1s_loop_timer(rt->loop, (int64_t)grace * 1000, on_pod_kill, p);
	k1s_info("pod", "Pod %s/%s: stopping (grace %ds)", p->ns, p->name, grace);
}

void pod_rt_evict(struct pod_run *p, const char *msg, int grace)
{
	if (p->evicted || p->deleting || p->removed)
		return;
	p->evicted = true;
	snprintf(p->evict_msg, sizeof(p->evict_msg), "%s", msg);
	/* evictPod: a Warning event of reason Reason, then killPod. */
	pod_rt_event(p, "Warning", "Evicted", NULL, "%s", msg);
	stop_containers(p, grace);
	pod_rt_dirty(p);
}

/* ---- status ---- */

static json_t *cond(const json_t *old, const char *type, bool ok, const char *reason,
                    const char *msg)
{
	const json_t *c;
	char ts[32];
	size_t i;
	json_t *n;

	fmt_time(ts, sizeof(ts), time(NULL));
	json_array_foreach(old, i, c)
	{
		if (strcmp(k1s_json_str(c, "type") ?: "", type) == 0 &&
		    strcmp(k1s_json_str(c, "status") ?: "", ok ? "True" : "False") == 0 &&
		    k1s_json_str(c, "lastTransitionTime")) {
			snprintf(ts, sizeof(ts), "%s", k1s_json_str(c, "lastTransitionTime"));
			break;
		}
	}
	n = json_pack("{s:s, s:s, s:n, s:s}", "type", type, "status", ok ? "True" : "False",
	              "lastProbeTime", "lastTransitionTime", ts);
	if (reason)
		json_object_set_new(n, "reason", json_string(reason));
	if (msg)
		json_object_set_new(n, "message", json_string(msg));
	return n;
}

static json_t *ctr_status(const struct pod_ctr *c)
{
	char ts[32], cid[64];
	json_t *st, *state;

	switch (c->state) {
	case POD_C_RUNNING:
		fmt_time(ts, sizeof(ts), c->started_at);
		state = json_pack("{s:{s:s}}", "running", "startedAt", ts);
		break;
	case POD_C_TERMINATED:
		state = json_pack("{s:O}", "terminated", c->last_state);
		break;
	default:
		state = json_pack("{s:{s:s}}", "waiting", "reason", c->reason);
		if (*c->message)
			json_object_set_new(json_object_get(state, "waiting"), "message",
			                    json_string(c->message));
		break;
	}
	st = json_pack("{s:s, s:o, s:b, s:i, s:s, s:s, s:b}", "name", c->name, "state", state,
	               "ready", c->ready, "restartCount", c->restarts, "image", c->image, "imageID",
	               "", "started", c->state == POD_C_RUNNING && c->started);
	/* lastState is the run before the current one. */
	if (c->state != POD_C_TERMINATED && c->last_state)
		json_object_set_new(st, "lastState",
		                    json_pack("{s:O}", "terminated", c->last_state));
	else if (c->state == POD_C_TERMINATED && c->prev_state)
		json_object_set_new(st, "lastState",
		                    json_pack("{s:O}", "terminated", c->prev_state));
	else
		json_object_set_new(st, "lastState", json_object());
	if (*c->p->face) {
		/* The container is the module inside k1s. */
		snprintf(cid, sizeof(cid), "k1s://face/%s", c->p->face);
		json_object_set_new(st, "containerID", json_string(cid));
	} else if (c->state == POD_C_RUNNING || c->pid_last) {
		snprintf(cid, sizeof(cid), "k1s://%d",
		         (int)(c->state == POD_C_RUNNING ? c->pid : c->pid_last));
		json_object_set_new(st, "containerID", json_string(cid));
	}
	return st;
}

/* Whether the container will not run again. */
static bool ctr_final(const struct pod_run *p, const struct pod_ctr *c)
{
	const char *policy = restart_policy(p);

	if (c->state != POD_C_TERMINATED)
		return false;
	if (strcmp(policy, "Never") == 0)
		return true;
	return strcmp(policy, "OnFailure") == 0 && c->exit_code == 0;
}

static json_t *pod_status(struct pod_run *p, const json_t *old)
{
	struct pod_rt *rt = p->rt;
	json_t *st = json_is_object(old) ? json_deep_copy(old) : json_object();
	const json_t *oconds = json_object_get(old, "conditions");
	json_t *conds = json_array(), *cstats = json_array();
	bool all_ready = p->nctrs > 0, all_final = p->nctrs > 0, any_started = false,
	     all_zero = true;
	char unready[1024] = "", ts[32], msg[1100];
	const json_t *c;
	const char *phase;
	size_t i;

	for (i = 0; i < p->nctrs; i++) {
		struct pod_ctr *ct = &p->ctrs[i];

		json_array_append_new(cstats, ctr_status(ct));
		if (!ct->ready) {
			all_ready = false;
			snprintf(unready + strlen(unready), sizeof(unready) - strlen(unready),
			         "%s%s", *unready ? " " : "", ct->name);
		}
		if (!ctr_final(p, ct))
			all_final = false;
		else if (ct->exit_code != 0)
			all_zero = false;
		if (ct->ever_started)
			any_started = true;
	}
	/* An evicted pod is Failed once its containers have stopped: kubelet's
	 * evictPod sets the status when killPod returns. */
	if (p->evicted && pod_all_stopped(p))
		all_final = true, all_zero = false;
	if (all_final)
		phase = all_zero ? "Succeeded" : "Failed";
	else if (any_started)
		phase = "Running";
	else
		phase = "Pending";
	p->finished = all_final;
	json_object_set_new(st, "phase", json_string(phase));
	if (p->evicted && all_final) {
		/* evictPod (pkg/kubelet/eviction/eviction_manager.go): reason
		 * Reason ("Evicted", helpers.go), message the event's. */
		json_object_set_new(st, "reason", json_string("Evicted"));
		json_object_set_new(st, "message", json_string(p->evict_msg));
	}
	snprintf(msg, sizeof(msg), "containers with unready status: [%s]", unready);
	json_array_append_new(conds, cond(oconds, "PodReadyToStartContainers",
	                                  p->net_ready && !all_final, NULL, NULL));
	json_array_append_new(conds, cond(oconds, "Initialized", true, NULL, NULL));
	if (all_final) {
		json_array_append_new(conds, cond(oconds, "Ready", false, "PodCompleted", NULL));
		json_array_append_new(conds,
		                      cond(oconds, "ContainersReady", false, "PodCompleted", NULL));
	} else {
		json_array_append_new(conds, cond(oconds, "Ready", all_ready,
		                                  all_ready ? NULL : "ContainersNotReady",
		                                  all_ready ? NULL : msg));
		json_array_append_new(conds, cond(oconds, "ContainersReady", all_ready,
		                                  all_ready ? NULL : "ContainersNotReady",
		                                  all_ready ? NULL : msg));
	}
	json_array_foreach(oconds, i, c)
	{
		const char *t = k1s_json_str(c, "type") ?: "";

		if (strcmp(t, "PodScheduled") == 0) {
			json_array_append(conds, (json_t *)c);
			break;
		}
	}
	if (json_array_size(conds) == 4)
		json_array_append_new(conds, cond(oconds, "PodScheduled", true, NULL, NULL));
	json_object_set_new(st, "conditions", conds);
	json_object_set_new(st, "hostIP", json_string(rt->cfg.node_ip));
	json_object_set_new(st, "hostIPs", json_pack("[{s:s}]", "ip", rt->cfg.node_ip));
	if (*p->ip) {
		json_object_set_new(st, "podIP", json_string(p->ip));
		json_object_set_new(st, "podIPs", json_pack("[{s:s}]", "ip", p->ip));
	}
	if (p->start_time) {
		fmt_time(ts, sizeof(ts), p->start_time);
		json_object_set_new(st, "startTime", json_string(ts));
	}
	json_object_set_new(st, "containerStatuses", cstats);
	return st;
}

static void status_write(struct pod_run *p)
{
	struct pod_rt *rt = p->rt;
	const struct k1s_resource *r = k1s_resource_find("", "pods");
	json_t *cur = NULL, *st;
	int err;

	if (st_get(rt->st, "pods", p->ns, p->name, &cur) < 0)
		return;
	if (strcmp(k1s_json_str(cur, "metadata.uid") ?: "", p->uid) != 0) {
		json_decref(cur);
		return;
	}
	st = pod_status(p, json_object_get(cur, "status"));
	if (json_equal(st, json_object_get(cur, "status"))) {
		json_decref(st);
		json_decref(cur);
		return;
	}
	json_object_set_new(cur, "status", st);
	err = rt->w->update(rt->w->arg, r, cur, true);
	if (err == K1S_ECONFLICT)
		p->dirty = true;
	else if (err < 0 && err != -ENOENT) {
		/* A full disk was logged once by the store; the status is written
		 * again until it goes through. */
		k1s_log(err == K1S_EDISKFULL ? K1S_LOG_DEBUG : K1S_LOG_WARN, "pod",
		        "Pod %s/%s: writing status: %s", p->ns, p->name, k1s_strerror(err));
		if (!p->retry_timer)
			p->retry_timer = k1s_loop_timer(rt->loop, STATUS_RETRY_MS, on_retry, p);
	}
	json_decref(cur);
}

/* ---- reconciling a pod ---- */

static int pod_setup(struct pod_run *p, const char *want_ip)
{
	struct pod_rt *rt = p->rt;
	int err;

	mkdir_p(p->dir, 0700);
	if (*p->face)
		err = pod_net_create_local(rt->net, p->id, want_ip, p->ip, sizeof(p->ip));
	else
		err = pod_net_create(rt->net, p->id, want_ip, p->ip, sizeof(p->ip));
	if (err < 0) {
		k1s_err("pod", "Pod %s/%s: network: %s", p->ns, p->name, strerror(-err));
		return err;
	}
	err = write_pod_files(p);
	if (err < 0) {
		k1s_err("pod", "Pod %s/%s: writing resolv.conf and hosts: %s", p->ns, p->name,
		        strerror(-err));
		return err;
	}
	p->net_ready = true;
	if (!p->start_time)
		p->start_time = time(NULL);
	return 0;
}

/* A face's containers run inside k1s: they are running and ready from
 * the moment its address is local, for as long as k1s runs. No process,
 * so no probes either: the module's own readiness holds the API until
 * its first reconcile (api_health). */
static void face_start(struct pod_run *p)
{
	bool started = false;

	for (size_t i = 0; i < p->nctrs; i++) {
		struct pod_ctr *c = &p->ctrs[i];

		if (c->state == POD_C_RUNNING)
			continue;
		started = true;
		if (c->ever_started)
			c->restarts++;
		pod_rt_event(p, "Normal", "Pulled", c,
		             "Container image \"%s\" already present on machine", c->image);
		pod_rt_event(p, "Normal", "Created", c, "Created container %s", c->name);
		pod_rt_event(p, "Normal", "Started", c, "Started container %s", c->name);
		c->ever_started = true;
		c->state = POD_C_RUNNING;
		c->started_at = time(NULL);
		c->reason[0] = c->message[0] = '\0';
		c->ready = c->started = true;
	}
	if (!started)
		return;
	k1s_info("pod", "Pod %s/%s: face of %s on %s", p->ns, p->name, p->face, p->ip);
	state_save(p);
}

/* A face stops at once: there is no process to wait for. */
static void face_stop(struct pod_run *p)
{
	for (size_t i = 0; i < p->nctrs; i++) {
		struct pod_ctr *c = &p->ctrs[i];

		if (c->state != POD_C_RUNNING)
			continue;
		c->finished_at = time(NULL);
		c->ready = false;
		json_decref(c->prev_state);
		c->prev_state = c->last_state;
		c->last_state = terminated_json(c);
		c->state = POD_C_TERMINATED;
	}
}

/* Finishes a graceful deletion once nothing runs: the pod goes. */
static void pod_finish_delete(struct pod_run *p)
{
	struct pod_rt *rt = p->rt;
	int err;

	pod_teardown(p);
	err = rt->w->remove(rt->w->arg, k1s_resource_find("", "pods"), p->ns, p->name, p->uid, 0);
	if (err < 0 && err != -ENOENT && err != K1S_ECONFLICT)
		k1s_warn("pod", "Pod %s/%s: deleting: %s", p->ns, p->name, k1s_strerror(err));
	k1s_info("pod", "Pod %s/%s: stopped and removed", p->ns, p->name);
	p->removed = true;
}

static bool pod_any_started(const struct pod_run *p)
{
	for (size_t i = 0; i < p->nctrs; i++)
		if (p->ctrs[i].ever_started)
			return true;
	return false;
}

/* Makes the pod's volumes, or brings them up to their objects after a
 * change. What fails is said as the kubelet says it (FailedMount) and
 * tried again; containers wait for their first start meanwhile. */
static int vol_sync(struct pod_run *p)
{
	struct pod_rt *rt = p->rt;
	char msg[512] = "";
	int err;

	if (p->vol_ready)
		return 0;
	rt->vol_objs.st = rt->st;
	err = pod_vol_setup(&rt->vol_objs, p->obj, p->dir, msg, sizeof(msg));
	if (err == 0) {
		p->vol_ready = true;
		return 0;
	}
	pod_rt_event(p, "Warning", "FailedMount", NULL, "%s", msg);
	if (!p->retry_timer)
		p->retry_timer = k1s_loop_timer(rt->loop, CONFIG_RETRY_MS, on_retry, p);
	return err;
}

static void pod_sync(struct pod_run *p)
{
	struct pod_rt *rt = p->rt;

	p->dirty = false;
	if (p->removed)
		return;
	if (k1s_json_path(p->obj, "metadata.deletionTimestamp")) {
		if (*p->face) {
			p->deleting = true;
			face_stop(p);
		}
		if (!p->deleting)
			pod_terminate(p);
		if (pod_all_stopped(p))
			pod_finish_delete(p);
		else
			status_write(p);
		return;
	}
	if (p->evicted) {
		/* Nothing starts again; Failed once all have stopped. Then
		 * its volumes go, as kubelet tears down a terminated pod's:
		 * the disk the emptyDir took is the node's again. */
		if (pod_all_stopped(p) && !p->vol_freed) {
			char vols[sizeof(p->dir) + 16];

			pod_vol_teardown(p->dir);
			snprintf(vols, sizeof(vols), "%s/volumes", p->dir);
			pod_rmtree(vols);
			p->vol_freed = true;
			p->vol_ready = false;
		}
		status_write(p);
		return;
	}
	if (!p->net_ready) {
		if (pod_setup(p, NULL) < 0) {
			if (!p->retry_timer)
				p->retry_timer =
				    k1s_loop_timer(rt->loop, CONFIG_RETRY_MS, on_retry, p);
			return;
		}
		state_save(p);
	}
	if (!p->gate_open) {
		int err = rt->cfg.net_gate ? rt->cfg.net_gate(rt->cfg.net_gate_arg, p->obj, p->ip) : 0;

		if (err != 0) {
			/* Asked again soon, then less often while it stays shut. */
			if (p->gate_tries++ == 50)
				k1s_warn("pod", "Pod %s/%s: its network policy is not in place yet (%s): "
				         "its containers wait", p->ns, p->name, strerror(err < 0 ? -err : err));
			if (!p->retry_timer)
				p->retry_timer = k1s_loop_timer(
				    rt->loop, GATE_RETRY_MS * (p->gate_tries < 50 ? 1 : 25), on_retry, p);
			status_write(p);
			return;
		}
		p->gate_open = true;
	}
	if (*p->face) {
		face_start(p);
		status_write(p);
		return;
	}
	if (vol_sync(p) < 0 && !pod_any_started(p)) {
		status_write(p);
		return;
	}
	for (size_t i = 0; i < p->nctrs; i++) {
		struct pod_ctr *c = &p->ctrs[i];

		if (c->state == POD_C_WAITING && !c->restart_timer && !c->ever_started)
			ctr_start(c);
		else if (c->state == POD_C_WAITING && !c->restart_timer &&
		         (strcmp(c->reason, "CreateContainerConfigError") == 0 ||
		          strcmp(c->reason, "RunContainerError") == 0))
			ctr_start(c);
	}
	status_write(p);
}

/* ---- adoption after a restart of k1s ---- */

/* Takes the pod's containers back from the state a previous k1s left.
 * 0, or -ENOENT when there is nothing to adopt. */
static int pod_adopt(struct pod_run *p)
{
	json_t *s = state_load(p->dir), *cs;
	const char *ip;
	int err;

	if (!s)
		return -ENOENT;
	if (strcmp(k1s_json_str(s, "uid") ?: "", p->uid) != 0) {
		state_kill(s);
		json_decref(s);
		return -ENOENT;
	}
	ip = k1s_json_str(s, "ip");
	err = pod_setup(p, ip && *ip ? ip : NULL);
	if (err < 0) {
		state_kill(s);
		json_decref(s);
		return err;
	}
	/* It ran before k1s stopped: the policy the kernel still holds
	 * covers it, and the gate is for programs yet to start. */
	p->gate_open = true;
	p->start_time =
	    (time_t)json_integer_value(json_object_get(s, "startTime")) ?: p->start_time;
	/* Its uid is kept, in the range or not (the range may have changed):
	 * its processes run with it. */
	p->run_uid = (uid_t)json_integer_value(json_object_get(s, "runUid"));
	cs = json_object_get(s, "containers");
	if (*p->face) {
		/* Its containers ran in the k1s that stopped: a restart each. */
		for (size_t i = 0; i < p->nctrs; i++) {
			const json_t *o = json_object_get(cs, p->ctrs[i].name);

			p->ctrs[i].restarts = (int)json_integer_value(json_object_get(o, "restartCount"));
			p->ctrs[i].ever_started = json_is_true(json_object_get(o, "everStarted"));
		}
		json_decref(s);
		face_start(p);
		return 0;
	}
	for (size_t i = 0; i < p->nctrs; i++) {
		struct pod_ctr *c = &p->ctrs[i];
		const json_t *o = json_object_get(cs, c->name);
		pid_t shim = (pid_t)json_integer_value(json_object_get(o, "shim"));
		pid_t pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
		unsigned long long ss = json_integer_value(json_object_get(o, "shimStart"));
		unsigned long long ps = json_integer_value(json_object_get(o, "pidStart"));
		const json_t *cspec = pod_rt_cspec(c);
		time_t when;
		int ws;
		bool echo;
		char **argv = NULL, msg[256];

		if (!o)
			continue;
		c->restarts = (int)json_integer_value(json_object_get(o, "restartCount"));
		c->ever_started = json_is_true(json_object_get(o, "everStarted"));
		c->started_at = (time_t)json_integer_value(json_object_get(o, "startedAt"));
		c->backoff_ms = json_integer_value(json_object_get(o, "backoff"));
		if (json_object_get(o, "lastState"))
			c->last_state = json_deep_copy(json_object_get(o, "lastState"));
		if (shim > 0 && ss && pod_proc_starttime(shim) == ss) {
			c->shim = shim;
			c->shim_start = ss;
			c->pid = pid;
			c->pid_start = ps;
			c->shim_child = false;
			c->state = POD_C_RUNNING;
			ctr_creds(p, cspec, &c->creds, msg, sizeof(msg));
			c->uid = c->creds.uid;
			c->gid = c->creds.gid;
			snprintf(c->workdir, sizeof(c->workdir), "%s",
			         k1s_json_str(cspec, "workingDir") ?: "/");
			if (cspec && ctr_argv(c, cspec, &argv, &echo) == 0)
				pod_env_build(p->rt, p->obj, cspec, p->ip, echo, &c->envp, msg,
				              sizeof(msg));
			free(argv);
			if (ctr_watch(c) < 0) {
				ctr_signal(c, SIGKILL);
				c->state = POD_C_WAITING;
				continue;
			}
			pod_probe_start(c);
			k1s_info("pod", "Pod %s/%s: adopted container %s (pid %d)", p->ns, p->name,
			         c->name, (int)pid);
			continue;
		}
		if (pid > 0 && ps && pod_proc_starttime(pid) == ps)
			kill(-pid, SIGKILL);
		if (!c->ever_started)
			continue;
		/* The run ended while k1s was away: count it as ended. */
		c->pid = pid;
		ws = read_exit(c, c->restarts, &when);
		c->state = POD_C_RUNNING;
		ctr_ended(c, ws < 0 ? SIGKILL : ws, ws < 0 ? time(NULL) : when);
	}
	json_decref(s);
	state_save(p);
	return 0;
}

/* ---- the store ---- */

static bool ours(const struct pod_rt *rt, const json_t *obj)
{
	const char *node = k1s_json_str(obj, "spec.nodeName");

	return node && strcmp(node, rt->cfg.node_name) == 0;
}

struct pod_run *pod_rt_find_uid(struct pod_rt *rt, const char *uid)
{
	for (struct pod_run *p = rt->pods; p; p = p->next)
		if (strcmp(p->uid, uid) == 0)
			return p;
	return NULL;
}

/* A pod gone from the store: its processes go at once. */
static void pod_gone(struct pod_run *p)
{
	if (p->removed)
		return;
	k1s_info("pod", "Pod %s/%s: deleted; killing its containers", p->ns, p->name);
	pod_teardown(p);
	p->removed = true;
}

static void saw_pod(struct pod_rt *rt, const json_t *obj, bool deleted)
{
	const char *uid = k1s_json_str(obj, "metadata.uid") ?: "";
	struct pod_run *p = pod_rt_find_uid(rt, uid);

	if (deleted) {
		if (p)
			pod_gone(p);
		return;
	}
	if (!ours(rt, obj))
		return;
	if (!p) {
		const char *ns = k1s_json_str(obj, "metadata.namespace") ?: "";
		const char *name = k1s_json_str(obj, "metadata.name") ?: "";
		struct pod_run *old = pod_rt_find(rt, ns, name);

		if (old)
			pod_gone(old);
		p = pod_new(rt, obj);
		if (p && !rt->synced)
			p->adopt = true;
		return;
	}
	if (p->removed)
		return;
	/* A downwardAPI volume shows the labels and annotations. */
	if (!json_equal(k1s_json_path(p->obj, "metadata.labels"),
	                k1s_json_path(obj, "metadata.labels")) ||
	    !json_equal(k1s_json_path(p->obj, "metadata.annotations"),
	                k1s_json_path(obj, "metadata.annotations")))
		p->vol_ready = false;
	json_decref(p->obj);
	p->obj = json_deep_copy(obj);
	p->dirty = true;
}

/* A Secret or ConfigMap changed: the pods with a volume of it rewrite
 * their files (the kubelet does on its sync period; here at once). */
static void saw_volume_object(struct pod_rt *rt, const char *res, const json_t *obj)
{
	const char *ns = k1s_json_str(obj, "metadata.namespace") ?: "";
	const char *name = k1s_json_str(obj, "metadata.name") ?: "";

	for (struct pod_run *p = rt->pods; p; p = p->next) {
		if (p->removed || strcmp(p->ns, ns) != 0 || !pod_vol_uses(p->obj, res, name))
			continue;
		p->vol_ready = false;
		p->dirty = true;
	}
}

static void on_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	struct pod_rt *rt = arg;
	struct pod_run *p;

	if (strcmp(res, "pods") != 0) {
		/* A full list ends in on_relisted, which has every pod look. */
		if (!deleted && !rt->listing)
			saw_volume_object(rt, res, obj);
		return;
	}
	saw_pod(rt, obj, deleted);
	if (rt->listing && (p = pod_rt_find_uid(rt, k1s_json_str(obj, "metadata.uid") ?: "")))
		p->listed = true;
}

/* A full list: at start, and when the event log no longer reaches back to
 * our revision. The pods it does not name were deleted meanwhile. */
static void on_reset(void *arg)
{
	struct pod_rt *rt = arg;

	rt->listing = true;
	for (struct pod_run *p = rt->pods; p; p = p->next)
		p->listed = false;
}

static void on_relisted(void *arg)
{
	struct pod_rt *rt = arg;

	rt->listing = false;
	for (struct pod_run *p = rt->pods; p; p = p->next) {
		if (!p->listed)
			pod_gone(p);
		p->dirty = true;
		p->vol_ready = false; /* a Secret or ConfigMap may have changed meanwhile */
	}
}

static const char *const followed[] = {"pods", "secrets", "configmaps", NULL};
static const struct st_follow_ops follow_ops = {on_reset, on_object, on_relisted};

/* Removes what belongs to no pod: directories of earlier pods (with their
 * recorded processes) and pod networks. */
static void sweep_dir(struct pod_rt *rt)
{
	DIR *d = opendir(rt->pods_dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[1100];
		bool known = false;
		json_t *s;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", rt->pods_dir, de->d_name);
		for (struct pod_run *p = rt->pods; p; p = p->next)
			if (strcmp(p->dir, path) == 0)
				known = true;
		if (known)
			continue;
		s = state_load(path);
		if (s) {
			state_kill(s);
			if (k1s_json_str(s, "id"))
				pod_net_destroy(rt->net, k1s_json_str(s, "id"));
			json_decref(s);
		}
		k1s_info("pod", "removing %s: no such pod", path);
		pod_vol_teardown(path);
		pod_rmtree(path);
	}
	closedir(d);
}

static bool hex12(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++)
		if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
			return false;
	return n == 12;
}

struct sweep {
	struct pod_rt *rt;
	ino_t *inos; /* network namespaces some process lives in */
	size_t n;
};

/* Collects the network namespaces of every live process: a pod network
 * that holds one is not stale (the pods we knew were killed first; a
 * process still in there belongs to someone else). */
static void netns_in_use(struct sweep *s)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300];
		struct stat sb;
		ino_t *n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (stat(path, &sb) < 0)
			continue;
		n = realloc(s->inos, (s->n + 1) * sizeof(*n));
		if (!n)
			break;
		s->inos = n;
		s->inos[s->n++] = sb.st_ino;
	}
	closedir(d);
}

static void sweep_net_one(void *arg, const char *id)
{
	struct sweep *s = arg;
	char path[128];
	struct stat sb;

	if (!hex12(id))
		return;
	for (struct pod_run *p = s->rt->pods; p; p = p->next)
		if (strcmp(p->id, id) == 0)
			return;
	pod_net_ns_path(id, path, sizeof(path));
	if (stat(path, &sb) == 0)
		for (size_t i = 0; i < s->n; i++)
			if (s->inos[i] == sb.st_ino) {
				k1s_warn("pod",
				         "pod network %s belongs to no pod but processes "
				         "live in it; leaving it",
				         id);
				return;
			}
	k1s_info("pod", "removing the network of pod id %s: no such pod", id);
	pod_net_destroy(s->rt->net, id);
}

static void sweep_net(struct pod_rt *rt)
{
	struct sweep s = {rt, NULL, 0};
	int other = pod_other_server();

	/* Its pods' networks are named as ours are: leave them all to it
	 * (ours of earlier runs went with their directories above). */
	if (other) {
		k1s_info("pod", "another k1s serves on this host (pid %d): "
				"leaving pod networks that are not ours", other);
		return;
	}

	/* Processes killed by sweep_dir() may take a moment to go. */
	usleep(100000);
	netns_in_use(&s);
	pod_net_each(rt->net, sweep_net_one, &s);
	free(s.inos);
}

static bool uid_known(void *arg, const char *uid)
{
	return pod_rt_find_uid(arg, uid) != NULL;
}

/* Cgroups of pods that are gone (their processes were killed above). */
static void sweep_cgroups(struct pod_rt *rt)
{
	if (!pod_cg_other_server(rt->cgroups))
		pod_cg_sweep(rt->cgroups, uid_known, rt);
}

static int rt_hook(void *arg)
{
	struct pod_rt *rt = arg;
	struct pod_run *p, *next;

	if (rt->stopping)
		return -1;
	pod_vol_objs_clear(&rt->vol_objs);
	st_follow(&rt->follow);
	int64_t until = k1s_now_ms() + SYNC_PASS_MS;
	bool more = false;

	for (p = rt->pods; p; p = p->next) {
		if (!p->dirty)
			continue;
		if (k1s_now_ms() >= until) {
			more = true;
			break;
		}
		pod_sync(p);
	}
	pod_vol_objs_clear(&rt->vol_objs);
	for (p = rt->pods; p; p = next) {
		next = p->next;
		if (p->removed)
			pod_free(p);
	}
	if (more)
		return 0;
	rt->reconciled = true;
	return -1;
}

/* ---- public ---- */

struct pod_rt *pod_rt_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
                          const struct pod_config *cfg, int *err)
{
	struct pod_rt *rt;
	size_t need = 0;
	char *s;
	const char **fields[7];
	const char *defaults[7] = {"/var/lib/k1s", "localhost", "127.0.0.1", "10.96.0.10",
	                           "cluster.local", NULL, "k1s"};

	if (geteuid() != 0) {
		*err = -EPERM;
		return NULL;
	}
	rt = calloc(1, sizeof(*rt));
	if (!rt) {
		*err = -ENOMEM;
		return NULL;
	}
	rt->self_fd = -1;
	rt->st = st;
	rt->loop = loop;
	rt->w = w;
	rt->cfg = *cfg;
	fields[0] = &rt->cfg.data_dir;
	fields[1] = &rt->cfg.node_name;
	fields[2] = &rt->cfg.node_ip;
	fields[3] = &rt->cfg.cluster_dns;
	fields[4] = &rt->cfg.cluster_domain;
	fields[5] = &rt->cfg.catalog_path;
	fields[6] = &rt->cfg.self_exe;
	if (!rt->cfg.pod_net.bits)
		rt->cfg.pod_net = (struct k1s_cidr){0x0af40000, 16};	/* 10.244.0.0/16 */
	if (!rt->cfg.service_net.bits)
		rt->cfg.service_net = (struct k1s_cidr){0x0a600000, 12};	/* 10.96.0.0/12 */
	if (!rt->cfg.uid_min || rt->cfg.uid_max < rt->cfg.uid_min) {
		rt->cfg.uid_min = POD_UID_MIN;
		rt->cfg.uid_max = POD_UID_MAX;
	}
	for (int i = 0; i < 7; i++) {
		if (!*fields[i] || !**fields[i])
			*fields[i] = defaults[i];
		if (*fields[i])
			need += strlen(*fields[i]) + 1;
	}
	rt->strs = s = malloc(need ? need : 1);
	if (!s) {
		free(rt);
		*err = -ENOMEM;
		return NULL;
	}
	for (int i = 0; i < 7; i++) {
		if (!*fields[i])
			continue;
		strcpy(s, *fields[i]);
		*fields[i] = s;
		s += strlen(s) + 1;
	}
	rt->catalog = pod_catalog_load(rt->cfg.catalog_path, err);
	if (!rt->catalog) {
		free(rt->strs);
		free(rt);
		return NULL;
	}
	rt->net = pod_net_new(&rt->cfg.pod_net, &rt->cfg.service_net, err);
	if (!rt->net) {
		pod_catalog_free(rt->catalog);
		free(rt->strs);
		free(rt);
		return NULL;
	}
	if (rt->cfg.pod_image) {
		rt->self_fd = pod_proc_exe_mem(rt->cfg.pod_image, rt->cfg.pod_image_len);
		if (rt->self_fd < 0)
			k1s_warn("pod", "the pods' program cannot be copied to memory (%s): k1s "
				 "is the shim and the echo app", strerror(-rt->self_fd));
	}
	if (rt->self_fd < 0 && rt->cfg.self_exe && *rt->cfg.self_exe) {
		rt->self_fd = pod_proc_exe_open(rt->cfg.self_exe);
		if (rt->self_fd < 0)
			k1s_warn("pod", "the echo app %s cannot be opened (%s): pods run it by its path",
			         rt->cfg.self_exe, strerror(-rt->self_fd));
	}
	rt->cgroups = pod_cgroups_new(
	    rt->cfg.pods_cgroup, rt->cfg.pod_max_pids == 0 ? POD_MAX_PIDS_DEFAULT : rt->cfg.pod_max_pids,
	    rt->cfg.pod_mem_reserved);
	if (!rt->cgroups) {
		pod_rt_free(rt);
		*err = -ENOMEM;
		return NULL;
	}
	snprintf(rt->pods_dir, sizeof(rt->pods_dir), "%s/pods", rt->cfg.data_dir);
	mkdir_p(rt->pods_dir, 0700);
	/* What pods must not see, by a path their view resolves. */
	if (!realpath(rt->cfg.data_dir, rt->data_abs))
		snprintf(rt->data_abs, sizeof(rt->data_abs), "%s", rt->cfg.data_dir);
	/* Adopt or recreate what the store binds to us, then sweep the rest. */
	st_follow_init(&rt->follow, st, "pod", followed, &follow_ops, rt);
	*err = st_follow(&rt->follow);
	if (*err < 0) {
		pod_rt_free(rt);
		return NULL;
	}
	rt->synced = true;
	for (struct pod_run *p = rt->pods; p; p = p->next) {
		if (p->adopt)
			pod_adopt(p);
		p->adopt = false;
	}
	sweep_dir(rt);
	sweep_net(rt);
	sweep_cgroups(rt);
	*err = k1s_loop_hook(loop, rt_hook, rt);
	if (*err < 0) {
		pod_rt_free(rt);
		return NULL;
	}
	pod_evict_start(rt);
	return rt;
}

bool pod_rt_ready(const struct pod_rt *rt)
{
	return rt->reconciled;
}

/* Clean shutdown: every pod stops (SIGTERM, a short grace, SIGKILL) and its
 * network and directory go; the store keeps the pods, so the next start
 * runs them again. */
void pod_rt_free(struct pod_rt *rt)
{
	int64_t deadline;
	struct pod_run *p;

	if (!rt)
		return;
	rt->stopping = true;
	pod_evict_stop(rt);
	for (p = rt->pods; p && !rt->leaving; p = p->next)
		for (size_t i = 0; i < p->nctrs; i++) {
			pod_probe_stop(&p->ctrs[i]);
			if (p->ctrs[i].state == POD_C_RUNNING)
				ctr_signal(&p->ctrs[i], SIGTERM);
		}
	deadline = k1s_now_ms() + SHUTDOWN_GRACE_MS;
	for (; !rt->leaving;) {
		bool alive = false;

		for (p = rt->pods; p; p = p->next)
			for (size_t i = 0; i < p->nctrs; i++) {
				struct pod_ctr *c = &p->ctrs[i];

				if (c->pid > 0 && pod_proc_starttime(c->pid) == c->pid_start)
					alive = true;
			}
		if (!alive || k1s_now_ms() >= deadline)
			break;
		usleep(20000);
	}
	while (rt->pods) {
		p = rt->pods;
		if (rt->leaving)
			state_save(p);
		else
			pod_teardown(p);
		pod_free(p);
	}
	pod_env_fini(rt);
	pod_jobs_free(rt);
	pod_follows_free(rt);
	pod_vol_objs_clear(&rt->vol_objs);
	if (rt->net)
		pod_net_free(rt->net);
	pod_catalog_free(rt->catalog);
	pod_cgroups_free(rt->cgroups);
	if (rt->self_fd >= 0)
		close(rt->self_fd);
	free(rt->strs);
	free(rt);
}

void pod_rt_leave(struct pod_rt *rt)
{
	if (!rt)
		return;
	k1s_info("pod", "leaving the pods running, for the next start to adopt");
	rt->leaving = true;
	pod_rt_free(rt);
}
