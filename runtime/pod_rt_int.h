/* Declarations shared by the runtime's files (pod_rt*.c).
 *
 * Layout on disk: DATA_DIR/pods/<ns>_<name>_<uid>/ holds state.json (what
 * a restarted k1s needs to adopt the pod), resolv.conf and hosts (bind
 * mounted into each container), and one directory per container with
 * <restartCount>.log (CRI format) and <restartCount>.exit (the run's wait
 * status, written by its shim).
 *
 * Process model: each run of a container is a shim (a fork of k1s, in its
 * own session) and the container process under it. The shim holds the
 * container's stdout and stderr pipes and writes the log; it waits for the
 * container and writes the exit file. Both outlive k1s, so a restarted k1s
 * finds the shim alive (adopt: watch it with a pidfd) or its exit file
 * (the run ended meanwhile, exit code known). The container process leads
 * its own process group, which is what the runtime signals. */
#ifndef POD_RT_INT_H
#define POD_RT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>

#include "pod_int.h"
#include "st.h"

struct k1s_timer;
struct pod_follow;
struct pod_rt;
struct pod_run;

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
	bool liveness_kill;
	/* What the process runs with, kept for exec into it. */
	char **envp; /* malloc'd, NULL-terminated */
	uid_t uid;
	gid_t gid;
	char workdir[512];
	/* stdin and tty (attach): the runtime's ends. */
	int stdin_w; /* pipe to the container's stdin, or -1 */
	int pty;     /* terminal master, or -1 */
	int go_w;    /* held program: write to release, or -1 */
	bool stdin_open;
	int pty_log; /* the log, while the runtime drains the terminal */
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
	struct k1s_timer *retry_timer;
	struct pod_recent recent[POD_RECENT];
	unsigned nrecent;
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

/* ---- pod_rt_proc.c: processes ---- */

/* A directory or file the container sees at `dst` (an absolute path in
 * its mount namespace): a volume's, from `src` on the host. */
struct pod_mount {
	const char *src, *dst;
	bool readonly;
};

/* The cgroup(s) a container runs in (pod_cgroup.c); opaque here. */
struct pod_cg;

struct pod_launch {
	char **argv, **envp;
	uid_t uid;
	gid_t gid;
	const char *netns, *hostname, *resolv, *hosts, *workdir;
	const char *log_path, *exit_path;
	int stdin_r; /* the container's stdin, or -1 for /dev/null */
	int tty;     /* terminal slave (stdin/out/err), or -1 */
	int go_r;    /* read before exec (held program), or -1 */
	int keep[3]; /* the runtime's ends of those: closed in the children */
	int exe_fd;  /* the program, opened by the runtime; -1: argv[0] on PATH */
	const struct pod_mount *mounts; /* the volumes, in the order to mount */
	size_t nmounts;
	const struct pod_cg *cg; /* NULL: the runtime's own cgroup */
};

/* A copy of the program at `path` that any user can execute, whatever the
 * directories above it allow: a sealed memfd, else the file itself
 * opened O_PATH. A descriptor, or a negative errno. */
int pod_proc_exe_open(const char *path);
/* Where the container's exec would find `prog` (on the PATH of envp, as
 * execvp) when run as uid/gid in workdir: 0 with the path in `found`, or
 * -EACCES / -ENOENT with the path tried (or prog) in `found`. */
int pod_proc_exe_check(const char *prog, char *const envp[], uid_t uid, gid_t gid,
                       const char *workdir, char *found, size_t len);
/* Forks the shim and, under it, the container. 0 and the pids, or a
 * negative errno. */
int pod_proc_launch(const struct pod_launch *l, pid_t *shim, pid_t *pid);
/* Forks argv into the namespaces of running process `target` as uid/gid
 * with envp; the child's stdio from in/out/err (-1 = /dev/null). */
int pod_proc_enter(pid_t target, char *const argv[], char *const envp[], uid_t uid, gid_t gid,
                   const char *workdir, int in, int out, int err, bool setsid_tty, pid_t *pid);
/* The starttime of /proc/<pid>/stat, or 0 if no such process. */
unsigned long long pod_proc_starttime(pid_t pid);
int pod_pidfd_open(pid_t pid);
/* Reaps a child through its pidfd: its wait status, or -1. */
int pod_pidfd_wait(int pidfd);
/* Writes a log line in CRI format to fd: "<RFC3339Nano> <stream> <F|P> text\n". */
void pod_log_line(int fd, const char *stream, bool partial, const char *text, size_t len);
/* Removes a directory tree. */
int pod_rmtree(const char *path);
/* In the container's process, in its own mount namespace: makes each of
 * mounts appear at its dst. Exits the process (status 128, the reason on
 * stderr, which is the container's log) when one cannot. */
void pod_mounts_apply(const struct pod_mount *mounts, size_t n);

/* ---- pod_rt_env.c: the container's environment ---- */
/* Builds the environment of container `cspec` of `pod` (with status.podIP
 * = ip): NULL-terminated "K=V" strings in one malloc'd block... 0, or
 * -ENOENT with *msg set (a configMap/secret missing: the container cannot
 * be created yet). */
int pod_env_build(struct pod_rt *rt, const json_t *pod, const json_t *cspec, const char *ip,
                  bool echo_app, char ***envp, char *msg, size_t msglen);
void pod_env_free(char **envp);

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
