/* Declarations shared by the runtime's files (pod_rt*.c).
 *
 * Layout on disk: DATA_DIR/pods/<ns>_<name>_<uid>/ holds state.json (what
 * a restarted k1s needs to adopt the pod), resolv.conf and hosts (bind
 * mounted into each container), and one directory per container with
 * <restartCount>.log (CRI format; rotated to <restartCount>.log.<time>
 * and .gz files, pod_log.c) and <restartCount>.exit (the run's wait
 * status, written by its shim).
 *
 * Process model: each run of a container is a shim (k1s's own program
 * exec'd afresh, in its own session: pod_shim.c) and the container
 * process under it, a fork of the shim. The shim holds the
 * container's stdout and stderr pipes and writes the log; it waits for the
 * container and writes the exit file. Both outlive k1s, so a restarted k1s
 * finds the shim alive (adopt: watch it with a pidfd) or its exit file
 * (the run ended meanwhile, exit code known). The container process leads
 * its own process group, which is what the runtime signals. */
#ifndef POD_RT_INT_H
#define POD_RT_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>

#include "pod_int.h"
#include "st.h"

struct k1s_timer;
struct k1s_work;
struct pod_env_job;
struct pod_evict_job;
struct pod_launch_job;
struct pod_follow;
struct pod_log;
struct pod_links;
struct pod_rt;
struct pod_run;

#define POD_MAX_GROUPS 32

/* Who a container's processes are, and what they may do: its program and
 * every exec into it run so. */
struct pod_creds {
	uid_t uid;
	gid_t gid;
	uint64_t caps;     /* bit n = capability n: effective, permitted, ambient */
	bool no_new_privs; /* set unless allowPrivilegeEscalation is true */
	bool privileged;   /* every capability, and the host's file system writable */
	/* Supplementary groups: fsGroup and supplementalGroups, as the
	 * kubelet hands them to the runtime (the volumes' group). */
	gid_t groups[POD_MAX_GROUPS];
	unsigned ngroups;
};

enum pod_cstate { POD_C_WAITING, POD_C_RUNNING, POD_C_TERMINATED };

enum pod_probe_kind { POD_PROBE_STARTUP, POD_PROBE_LIVENESS, POD_PROBE_READINESS, POD_NPROBES };

struct pod_probe {
	struct pod_ctr *c;
	enum pod_probe_kind kind;
	const json_t *spec; /* borrowed from the container's spec */
	struct k1s_timer *timer;
	int fd;    /* httpGet/tcpSocket in flight, or -1 */
	pid_t pid; /* exec in flight, or 0 */
	int pidfd;
	struct k1s_timer *deadline;
	char buf[512];
	size_t blen;
	bool sent;
	int port;
	int successes, failures;
	bool result; /* the last verdict reached (after thresholds) */
	bool ever;   /* a verdict was reached at least once */
};

struct pod_ctr {
	struct pod_run *p;
	char name[256];
	int index; /* in spec.containers */
	char image[512];
	enum pod_cstate state;
	char reason[64];
	char message[512];
	/* The current (or last) run. */
	pid_t shim, pid;                          /* 0 when none */
	unsigned long long shim_start, pid_start; /* /proc starttime, against pid reuse */
	int shim_fd;                              /* pidfd on the shim, on the loop; -1 */
	bool shim_child;                          /* ours to reap */
	time_t started_at, finished_at;
	int exit_code, signal;
	bool ever_started;
	bool ready, started; /* readiness, and startup probe passed */
	int restarts;
	json_t *last_state; /* the last run's terminated state, or NULL */
	json_t *prev_state; /* the run before that, or NULL */
	pid_t pid_last;     /* the last run's pid, for its containerID */
	int64_t backoff_ms; /* next back-off; 0 = restart at once */
	struct k1s_timer *restart_timer;
	struct k1s_timer *kill_timer;
	int stop_signal_sent; /* 0, SIGTERM or SIGKILL */
	bool killing;         /* we signalled it; do not count as a crash */
	bool oom_killed;      /* the last run's cgroup saw the OOM killer */
	bool liveness_kill;
	/* What the process runs with, kept for exec into it. */
	char **envp; /* malloc'd, NULL-terminated */
	struct pod_env_job *env_job; /* the next run's, being built; or NULL */
	struct pod_launch_job *launch_job; /* the run being started; or NULL */
	uid_t uid;
	gid_t gid;
	struct pod_creds creds;
	char workdir[512];
	/* stdin and tty (attach): the runtime's ends. */
	int stdin_w; /* pipe to the container's stdin, or -1 */
	int pty;     /* terminal master, or -1 */
	int go_w;    /* held program: write to release, or -1 */
	bool stdin_open;
	struct pod_log *pty_log; /* the log, while the runtime drains the terminal */
	bool pty_watched;
	struct k1s_timer *go_timer;
	pod_exit_fn attach_exit;
	void *attach_arg;
	struct pod_probe probes[POD_NPROBES];
	json_t *probe_obj; /* keeps the probes' specs alive */
};

/* A recent event of a pod, so that a repeat bumps its count (as the
 * kubelet's recorder aggregates) rather than adding one more. */
struct pod_recent {
	unsigned hash;
	char name[320];
};

#define POD_RECENT 8
/* How long a held terminal program waits, once attached, before it
 * starts: the attacher's first input arrives in the meantime. */
#define POD_TTY_SETTLE_MS 200

struct pod_run {
	struct pod_rt *rt;
	struct pod_run *next;
	char ns[64], name[256], uid[64];
	char id[16]; /* network id: 12 hex digits of the uid */
	char dir[1024];
	char ip[16];
	char face[16]; /* "dns", "ingress": the module that answers for it; "" */
	json_t *obj; /* the latest stored object */
	struct pod_ctr *ctrs;
	size_t nctrs;
	bool net_ready;
	bool gate_open; /* cfg.net_gate let its programs start */
	unsigned gate_tries;
	bool deleting; /* deletionTimestamp seen: stopping */
	bool removed;  /* gone from the store */
	bool finished; /* Succeeded/Failed: nothing restarts */
	struct k1s_timer *kill_timer;
	time_t start_time;
	bool dirty;
	bool adopt; /* found at start: adopt before running */
	bool listed; /* named by the full list being read */
	bool config_error;
	bool vol_ready; /* its volumes are written and up to date */
	struct k1s_timer *retry_timer;
	struct pod_recent recent[POD_RECENT];
	unsigned nrecent;
	uid_t run_uid; /* from cfg's uid range, for its containers; 0 until allocated */
	/* Evicted (pod_rt_evict.c): its containers are killed and none
	 * starts again; once all have stopped it is Failed, reason
	 * Evicted, with evict_msg. */
	bool evicted;
	bool vol_freed; /* its volumes removed, once evicted and stopped */
	char evict_msg[400];
};

struct pod_exec_job {
	struct pod_rt *rt;
	struct pod_exec_job *next;
	pid_t pid;
	int pidfd;
	pod_exit_fn fn;
	void *arg;
	struct pod_probe *probe; /* set for an exec probe */
};

/* The Secrets and ConfigMaps read for the pods' volumes in one pass of
 * the runtime (pod_rt_vol.c): each is read from the store once, however
 * many pods mount it. Zeroed but for st to start; cleared between
 * passes. */
struct pod_vol_objs {
	struct st *st;
	json_t *seen; /* "res/ns/name": the object, or null when there is none */
};

struct pod_rt {
	struct st *st;
	struct k1s_loop *loop;
	const struct k1s_writer *w;
	struct pod_config cfg;
	char *strs; /* copies of cfg's strings */
	struct pod_net *net;
	struct pod_catalog *catalog;
	char pods_dir[1024];
	struct st_follower follow;
	bool listing; /* in a full list of the pods */
	bool synced;
	bool reconciled;	/* rt_hook has synced every pod once */
	struct pod_run *pods;
	struct pod_exec_job *jobs;
	struct pod_follow *follows; /* attaches following a log */
	unsigned event_seq;
	bool stopping;
	bool leaving; /* pod_rt_leave(): the pods go on without k1s */
	int self_fd; /* the echo app: a sealed copy of cfg.self_exe, or -1 */
	struct pod_vol_objs vol_objs;
	uint32_t uid_next; /* where uid_alloc looks first, from cfg.uid_min */
	char data_abs[4096]; /* cfg.data_dir, absolute: hidden from pods */
	struct pod_cgroups *cgroups;
	struct pod_links *links; /* Services for env (pod_rt_env.c); made on first use */
	struct k1s_work *work;	 /* builds environments off the loop; made on first use */
	struct k1s_timer *evict_timer; /* the next measure of the emptyDirs */
	struct pod_evict_job *evict_job; /* a measure on the worker, or NULL */
	char evict_next[64]; /* the pod the next measure starts at: uid, or "" */
};

/* The annotation that makes a pod a face of an in-process module, as
 * its image's catalog entry does (pod_catalog_face). */
#define POD_FACE_ANNOTATION "k1s.io/face"

/* ---- pod_rt.c ---- */
void pod_rt_dirty(struct pod_run *p);
void pod_rt_event(struct pod_run *p, const char *type, const char *reason, const struct pod_ctr *c,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
struct pod_run *pod_rt_find(struct pod_rt *rt, const char *ns, const char *name);
struct pod_ctr *pod_rt_ctr(struct pod_run *p, const char *container);
/* The container's spec in the pod's current object. */
const json_t *pod_rt_cspec(const struct pod_ctr *c);
/* Kills a container's run: SIGTERM to its process group now, SIGKILL
 * after grace seconds (0 = SIGKILL at once). */
void pod_rt_kill(struct pod_ctr *c, int grace);
/* A container's liveness failed: restart it. */
void pod_rt_liveness_failed(struct pod_ctr *c);
/* Evicts the pod as kubelet's eviction manager does: an Evicted event
 * with msg, its containers killed (grace `grace` s), none restarted; its
 * phase is Failed, reason Evicted, message msg, once they have stopped. */
void pod_rt_evict(struct pod_run *p, const char *msg, int grace);
struct pod_run *pod_rt_find_uid(struct pod_rt *rt, const char *uid);

/* ---- pod_rt_evict.c: emptyDir sizeLimit ---- */
/* Starts measuring, every cfg.housekeeping_ms, the disk emptyDirs that
 * have a sizeLimit, and evicts a pod whose usage is over one. */
void pod_evict_start(struct pod_rt *rt);
/* The runtime goes: no more measures (call before the worker stops). */
void pod_evict_stop(struct pod_rt *rt);
/* The disk usage of the tree at path as kubelet's (du -x): the blocks of
 * each file and directory, hard links once, symlinks not followed, not
 * crossing into other mounts. It stops counting once past `stop` bytes
 * (0 = never). 0 and *bytes, or a negative errno. */
int pod_du(const char *path, unsigned long long stop, unsigned long long *bytes);

/* ---- pod_rt_proc.c: processes ---- */

/* A directory or file the container sees at `dst` (an absolute path in
 * its mount namespace): a volume's, from `src` on the host. */
struct pod_mount {
	const char *src, *dst;
	bool readonly;
	/* src is a resolved path (no symlink in it): one met when mounting
	 * was put there since, by a container in a volume it writes, and
	 * fails the mount rather than take it elsewhere. */
	bool nofollow;
};

/* The cgroup(s) a container runs in (pod_cgroup.c); opaque here. */
struct pod_cg;

struct pod_launch {
	char **argv, **envp;
	uid_t uid;
	gid_t gid;
	const char *netns, *hostname, *resolv, *hosts, *workdir;
	const char *log_path, *exit_path;
	int64_t log_max_size; /* rotate the log past this; 0 = never */
	int log_max_files;    /* at most this many files of the log */
	int stdin_r; /* the container's stdin, or -1 for /dev/null */
	int tty;     /* terminal slave (stdin/out/err), or -1 */
	int go_r;    /* read before exec (held program), or -1 */
	int keep[3]; /* the runtime's ends of those: closed in the children */
	int exe_fd;  /* the program, opened by the runtime; -1: argv[0] on PATH */
	const struct pod_mount *mounts; /* the volumes, in the order to mount */
	size_t nmounts;
	const struct pod_cg *cg; /* NULL: the runtime's own cgroup */
	struct pod_creds creds;  /* uid and gid repeat the two above */
	const char *hide;        /* k1s's data directory: an empty tmpfs over it */
	int shim_exe; /* k1s's own program, exec'd as the shim; -1: /proc/self/exe */
};

/* A copy of the program at `path` that any user can execute, whatever the
 * directories above it allow: a sealed memfd, else the file itself
 * opened O_PATH. A descriptor, or a negative errno. */
int pod_proc_exe_open(const char *path);
/* pod_proc_exe_open() for a program given as its bytes. */
int pod_proc_exe_mem(const void *image, size_t len);
/* Where the container's exec would find `prog` (on the PATH of envp, as
 * execvp) when run as uid/gid in workdir: 0 with the path in `found`, or
 * -EACCES / -ENOENT with the path tried (or prog) in `found`. */
int pod_proc_exe_check(const char *prog, char *const envp[], uid_t uid, gid_t gid,
                       const char *workdir, char *found, size_t len);
/* Starts the shim, a new k1s (l->shim_exe) exec'd without a copy of
 * k1s's memory, and under it the container (pod_shim.c). 0 and the pids,
 * or a negative errno. */
int pod_proc_launch(const struct pod_launch *l, pid_t *shim, pid_t *pid);
/* The shim, in its own process with l's descriptors at hand: forks the
 * container, reports its pid on `note`, logs its output and records its
 * end. Never returns. */
void pod_proc_shim_run(const struct pod_launch *l, int note) __attribute__((noreturn));
/* Forks argv into the namespaces of running container `target` (its
 * init) as creds with envp; the child's stdio from in/out/err (-1 =
 * /dev/null). The pid is the one of a process in k1s's PID namespace that
 * ends as argv does (same exit code or signal); argv runs under it, in
 * the container's PID namespace. */
int pod_proc_enter(pid_t target, char *const argv[], char *const envp[],
                   const struct pod_creds *creds, const char *workdir, int in, int out, int err,
                   bool setsid_tty, pid_t *pid);
/* The starttime of /proc/<pid>/stat, or 0 if no such process. */
unsigned long long pod_proc_starttime(pid_t pid);
int pod_pidfd_open(pid_t pid);
/* Reaps a child through its pidfd: its wait status, or -1. */
int pod_pidfd_wait(int pidfd);
/* Removes a directory tree. */
int pod_rmtree(const char *path);
/* In the container's process, in its own mount namespace: makes each of
 * mounts appear at its dst, src taken from the host's tree as it was
 * before the container's view (pod_iso_host_tree), writable unless
 * readonly. A dst that does not exist is made in a scaffold (an empty
 * tmpfs over its nearest existing directory, that directory's entries
 * bound back into it): nothing is made on the host's file system. Exits
 * the process (status 128, the reason on stderr, which is the container's
 * log) when one cannot. */
void pod_mounts_apply(const struct pod_mount *mounts, size_t n);

/* ---- pod_log.c: a run's log, written by its shim ---- */
struct pod_log;
/* Opens (appends to) the log at path, rotated before it would pass
 * max_size bytes (0 = never) into at most max_files files (at least 2),
 * as kubelet (see pod_log.c); the rotated files before the newest are
 * gzip-compressed when `gzip`. NULL and *err (a negative errno). */
struct pod_log *pod_log_open(const char *path, int64_t max_size, int max_files, bool gzip,
                             int *err);
/* Adds one CRI record; it reaches the file at the next pod_log_flush(),
 * or sooner. A rotation happens between two records, never inside one. */
void pod_log_record(struct pod_log *lg, const char *stream, bool partial, const char *text,
                    size_t len);
/* Writes the records gathered so far: 0 or -EIO. */
int pod_log_flush(struct pod_log *lg);
/* The live file's descriptor (it changes at each rotation). */
int pod_log_fd(const struct pod_log *lg);
/* Flushes and closes; NULL is a no-op. */
void pod_log_close(struct pod_log *lg);
/* The newest rotated file of the log at path (the only one not
 * compressed), open for reading, or -1. */
int pod_log_open_newest_rotated(const char *path);
/* Removes the log at path and its rotated files. */
void pod_log_remove(const char *path);
/* Writes all of buf to fd (retrying short writes and EINTR): 0 or a
 * negative errno. */
int pod_write_all(int fd, const void *buf, size_t len);
/* The shim's loop: logs the container's stdout and stderr pipes (either
 * -1) into lg (NULL: read and dropped) until the container `pid` (pidfd)
 * has ended and its pipes are drained. Its wait status. */
int pod_log_pump(struct pod_log *lg, int out_fd, int err_fd, int pidfd, pid_t pid);
/* ---- pod_rt_vol.c: volumes ---- */
void pod_vol_objs_clear(struct pod_vol_objs *objs);
/* Makes the pod's volumes under pod_dir/volumes, or brings their files
 * up to the objects in the store (unchanged files are left alone). 0, or
 * a negative errno with msg set to the kubelet's FailedMount message
 * (-ENOENT: a Secret, ConfigMap or key it needs is missing; the pod
 * waits). A volume whose object is deleted later keeps its files. */
int pod_vol_setup(struct pod_vol_objs *objs, const json_t *pod, const char *pod_dir, char *msg,
                  size_t msglen);
/* Whether the pod has a volume of Secret or ConfigMap `name` (res is
 * "secrets" or "configmaps"). */
bool pod_vol_uses(const json_t *pod, const char *res, const char *name);
/* The mounts of container cspec (its volumeMounts, subPaths resolved
 * inside their volume), for pod_launch; free with pod_vol_mounts_free.
 * 0, or a negative errno with msg. */
int pod_vol_mounts(const json_t *pod, const json_t *cspec, const char *pod_dir,
                   struct pod_mount **out, size_t *n, char *msg, size_t msglen);
void pod_vol_mounts_free(struct pod_mount *m, size_t n);
/* A disk emptyDir with a sizeLimit: where it is, and the limit. */
struct pod_vol_limit {
	char name[64];
	char limit[64]; /* sizeLimit as the spec says it */
	unsigned long long bytes;
	char path[PATH_MAX];
};
/* The pod's emptyDirs on disk (no medium) with a sizeLimit above 0,
 * into out (at most max). Their number. */
size_t pod_vol_limits(const json_t *pod, const char *pod_dir, struct pod_vol_limit *out,
                      size_t max);
/* Before the pod's directory is removed: unmounts its tmpfs volumes
 * (Secret, downwardAPI, projected, emptyDir of medium Memory). */
void pod_vol_teardown(const char *pod_dir);
/* An item's or key's path as the kubelet accepts it: relative, no `..`
 * element, not starting with `..`. */
bool pod_vol_path_ok(const char *path);

/* ---- pod_rt_iso.c: the container's isolation ---- */
/* The capabilities of securityContext `csc` (capabilities.add less
 * capabilities.drop; "ALL" in add is every one; names with or without
 * CAP_). 0, or -EINVAL with the unknown name in msg. */
int pod_caps_parse(const json_t *csc, uint64_t *caps, char *msg, size_t len);
/* In the container's process, in its new mount namespace and as PID 1 of
 * its new PID namespace: /proc of that namespace, a private /tmp,
 * /var/tmp and /dev/shm, and, unless privileged, the rest of the host's
 * file system read-only with l->hide an empty directory. Exits the process
 * (status 128, the reason on stderr) when it cannot. */
void pod_iso_view(const struct pod_launch *l);
/* After pod_iso_view, in the container's process: a detached copy of the
 * host's mount tree as it was before (an fd for open_tree), or -1. */
int pod_iso_host_tree(void);
/* An empty, read-only directory over `dir` (k1s's data): after the
 * binds whose sources are in it. */
void pod_iso_hide(const char *dir);
/* Becomes creds: groups, gid, uid, capabilities (bounding set, ambient),
 * no_new_privs. Exits the process (128) when it cannot. */
void pod_iso_become(const struct pod_creds *cr);
/* PID 1 of a container, as docker --init (tini): reaps every process
 * that ends in its namespace and, when `child` (the program) ends, writes
 * child's wait status to status_fd and exits. Never returns. */
void pod_iso_init(pid_t child, int status_fd) __attribute__((noreturn));
/* ---- pod_res.c: requests and limits, as kubelet reads them ---- */

/* A container's resources: bytes and millicores, 0 = not given. Requests
 * not given are its limits, as the API server defaults them. */
struct pod_res {
	int64_t mem_limit, mem_request;
	int64_t cpu_limit_m, cpu_request_m;
};

enum pod_qos { POD_QOS_BESTEFFORT, POD_QOS_BURSTABLE, POD_QOS_GUARANTEED };

/* oom_score_adj (kubelet's pkg/kubelet/qos/policy.go): k1s is the node's
 * kubelet; a shim one above it (containerd's shims: their parent's + 1),
 * so that k1s goes after it. */
#define POD_OOM_K1S -999
#define POD_OOM_SHIM -998
#define POD_OOM_GUARANTEED -997
#define POD_OOM_BESTEFFORT 1000
/* kubelet's pkg/kubelet/cm: CFS period 100 ms, quota 1 ms at least, 2
 * shares at least. */
#define POD_CPU_PERIOD 100000
#define POD_CPU_MIN_QUOTA 1000
#define POD_CPU_MIN_SHARES 2
#define POD_CPU_MAX_SHARES 262144
/* The pods' pids limit when --pod-max-pids is not given. */
#define POD_MAX_PIDS_DEFAULT 1024
/* The memory kept from the pods, all together, when --kube-reserved is
 * not given: this much, or a tenth of the node's if that is more. */
#define POD_MEM_RESERVED_MIN (256LL << 20)

/* The container spec's resources. 0, or -EINVAL (a value is not a
 * quantity). */
int pod_res_of(const json_t *cspec, struct pod_res *r);
/* The QoS class of a pod spec, as qos.GetPodQOS (cpu and memory). */
enum pod_qos pod_qos_of(const json_t *spec);
const char *pod_qos_name(enum pod_qos q);
/* A container's oom_score_adj by its pod's class and its memory request,
 * on a node with mem_capacity bytes. */
int pod_oom_score_adj(enum pod_qos q, int64_t mem_request, int64_t mem_capacity);
/* cpu.shares of a cpu request, quota of a limit in a period (0 = none),
 * and cgroup v2's cpu.weight of shares. */
int64_t pod_cpu_shares(int64_t milli);
int64_t pod_cpu_quota(int64_t milli, int64_t period);
int64_t pod_cpu_weight(int64_t shares);

/* ---- pod_cgroup.c: the pods' cgroups ---- */

struct pod_cgroups;

/* The parent of the pods' cgroups, as kubelet's kubepods. */
#define POD_CGROUP_PARENT "k1s-pods"

/* Finds the hierarchies and makes the parent of the pods' cgroups (name;
 * NULL: POD_CGROUP_PARENT), sets k1s's own oom_score_adj. NULL only
 * without memory: without writable cgroups, pods run unlimited (one
 * warning). max_pids: each pod's pids limit, -1 for none. mem_reserved:
 * the node's memory the pods together may not take (the parent's limit is
 * the rest), 0 for none. */
struct pod_cgroups *pod_cgroups_new(const char *name, int64_t max_pids, int64_t mem_reserved);
void pod_cgroups_free(struct pod_cgroups *cgs);
/* Makes the cgroups of run `run` of container `ctr` (spec cspec) of pod
 * `pod` (uid), with the pod's and the container's limits. 0 and *out,
 * for pod_launch.cg, to free with pod_cg_free() once launched; or a
 * negative errno and msg. */
int pod_cg_new(struct pod_cgroups *cgs, const json_t *pod, const json_t *cspec, const char *uid,
               const char *ctr, int run, struct pod_cg **out, char *msg, size_t msglen);
void pod_cg_free(struct pod_cg *cg);
/* A run's cgroups as the shim gets them (pod_shim.c), and back: NULL
 * for a description that is not one. */
json_t *pod_cg_to_json(const struct pod_cg *cg);
struct pod_cg *pod_cg_from_json(const json_t *j);
/* In the container's process, first of all: joins its cgroups and takes
 * its oom_score_adj. Exits the process (status 128) when it cannot. */
void pod_cg_join(const struct pod_cg *cg);
/* In a process about to enter the container of process `target` (exec,
 * probes): joins target's cgroups under the pods' parent and takes its
 * oom_score_adj. Best effort: what fails is said on stderr. */
void pod_cg_enter(pid_t target);
/* Another `k1s serve` (its pid, or 0) whose pods' cgroup is ours (the
 * same --pods-cgroup): its pods' cgroups are not ours to sweep. */
int pod_cg_other_server(const struct pod_cgroups *cgs);
/* A run has ended: whether the OOM killer killed in its cgroup; the
 * cgroup goes, with whatever the run left in it. */
bool pod_cg_run_ended(struct pod_cgroups *cgs, const char *uid, const char *ctr, int run);
/* The pod is gone: its cgroups go (what is left in them is killed). */
void pod_cg_pod_remove(struct pod_cgroups *cgs, const char *uid);
/* Removes the cgroups of pods `known` does not know. */
void pod_cg_sweep(struct pod_cgroups *cgs, bool (*known)(void *arg, const char *uid), void *arg);
/* Sets the calling process's oom_score_adj: 0, or a negative errno (a
 * value below 0 needs CAP_SYS_RESOURCE). */
int pod_oom_adj_write(int adj);

/* ---- pod_rt_env.c: the container's environment ---- */
/* Builds the environment of container `cspec` of `pod` (with status.podIP
 * = ip): NULL-terminated "K=V" strings in one malloc'd block... 0, or
 * -ENOENT with *msg set (a configMap/secret missing: the container cannot
 * be created yet). */
int pod_env_build(struct pod_rt *rt, const json_t *pod, const json_t *cspec, const char *ip,
                  bool echo_app, char ***envp, char *msg, size_t msglen);
void pod_env_free(char **envp);
/* Called on the loop when c's environment is built: start it again. */
typedef void (*pod_env_ready_fn)(struct pod_ctr *c);
/* The environment for c's next run, built off the loop's thread (with a
 * thousand Services it is thousands of variables, and the API server
 * shares the loop). The first call reads what the build needs and
 * returns -EINPROGRESS; ready(c) follows on the loop, and the next call
 * returns the build's result: 0 and *envp, or -ENOENT with *msg (as
 * pod_env_build). -ENOENT with *msg also comes at once for a ConfigMap or
 * Secret that is missing. */
int pod_env_take(struct pod_ctr *c, const json_t *cspec, bool echo_app, pod_env_ready_fn ready,
                 char ***envp, char *msg, size_t msglen);
/* The container goes: forgets its build. */
void pod_env_cancel(struct pod_ctr *c);
/* The run being forked for c (pod_rt.c) ends once forked: c is going. */
void pod_launch_cancel(struct pod_ctr *c);
/* The runtime goes: stops the worker, forgets the Services. */
void pod_env_fini(struct pod_rt *rt);

/* ---- pod_rt_probe.c ---- */
void pod_probe_start(struct pod_ctr *c);
void pod_probe_stop(struct pod_ctr *c);
/* An exec probe's process ended. */
void pod_probe_exec_done(struct pod_probe *pr, int wstatus);

/* ---- pod_rt_exec.c ---- */
/* Watches a child pid on the loop; fn(arg, wstatus) when it ends. */
int pod_job_add(struct pod_rt *rt, pid_t pid, pod_exit_fn fn, void *arg, struct pod_probe *probe);
void pod_job_forget_probe(struct pod_rt *rt, struct pod_probe *probe);
void pod_jobs_free(struct pod_rt *rt);
/* Ends the log followers of attaches (their pipes see EOF). */
void pod_follows_free(struct pod_rt *rt);
/* Drains a tty container's terminal into its log until someone attaches. */
void pod_pty_watch(struct pod_ctr *c, const char *log_path);
/* Turns the echo of terminal `fd` (either end) on or off. */
void pod_tty_echo(int fd, bool on);
/* Starts a held program now (pod_go), or in `ms` (pod_go_after); its
 * terminal echoes from then on. */
void pod_go(struct pod_ctr *c);
void pod_go_after(struct pod_ctr *c, int64_t ms);
void pod_pty_release(struct pod_ctr *c);

#endif
