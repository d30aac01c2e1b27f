/* The pod runtime, the node's kubelet: every pod bound to this node runs as
 * host programs in its own network, UTS and mount namespaces, with an IP
 * from the pod network on a routed veth. It reads pods from the store and
 * writes their status back through the writer.
 *
 * Threading: pod_* run on the control loop, whose loop the runtime uses for
 * its fds (SIGCHLD, pipes) and timers (probes, back-off, grace periods). */
#ifndef POD_H
#define POD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "k1s_addr.h"

struct st;
struct k1s_loop;
struct k1s_writer;
struct pod_rt;

struct pod_config {
	const char *data_dir;	    /* pod state and logs live in DATA_DIR/pods */
	const char *node_name;
	const char *node_ip;
	struct k1s_cidr pod_net;    /* prefix 0: 10.244.0.0/16 */
	struct k1s_cidr service_net; /* prefix 0: 10.96.0.0/12 */
	const char *cluster_dns;    /* default 10.96.0.10 */
	const char *cluster_domain; /* default cluster.local */
	const char *catalog_path;   /* image catalog YAML; NULL = the built-in one */
	const char *self_exe;	    /* the k1s binary, for `k1s echo-server` */
	/* The pods' program (k1s-pod: the shim and the echo app), whose
	 * bytes k1s carries: run from a sealed copy in memory. NULL: self_exe
	 * is the shim and the echo app. */
	const void *pod_image;
	size_t pod_image_len;
	/* kubelet's containerLogMaxSize and containerLogMaxFiles: a run's log
	 * is rotated before it passes max_size bytes, into at most max_files
	 * files. 0 = the defaults, 10 MiB and 5. */
	int64_t container_log_max_size;
	int container_log_max_files;
	/* Processes (and threads) a pod may have, as kubelet's
	 * --pod-max-pids: 0 = the default, 1024; -1 = no limit. */
	int pod_max_pids;
	/* Memory kept for k1s and the host: the pods, all together, may use
	 * the rest (kubelet's --kube-reserved memory= with
	 * --enforce-node-allocatable=pods). 0 = the default, 256 MiB or a
	 * tenth of the node's, whichever is more; -1 = none. */
	int64_t pod_mem_reserved;
	/* --pods-cgroup: the name of the cgroup the pods' cgroups go under (at the
	 * top of each hierarchy, else under k1s's own); NULL = "k1s-pods".
	 * Each k1s on one machine needs its own: a start removes the
	 * cgroups of pods it does not know. */
	const char *pods_cgroup;
	/* Asked on the control loop once a pod's network is set up (its IP
	 * known) and before any of its programs start or a face's address
	 * answers: 0 lets the pod start, nonzero holds it and asks again
	 * soon. NetworkPolicy puts the pod's rules in place here, so a pod is
	 * isolated from its first instant. NULL: no gate. Pods adopted from a
	 * previous run already run and are not asked. */
	int (*net_gate)(void *arg, const json_t *pod, const char *ip);
	void *net_gate_arg;
	/* The uids (and gids) k1s gives pods that name no runAsUser, one per
	 * pod, kept while it exists: 0 = POD_UID_MIN-POD_UID_MAX. */
	uid_t uid_min, uid_max;
	/* How often disk emptyDirs with a sizeLimit are measured (kubelet's
	 * eviction manager runs every housekeeping interval, 10 s): 0 = 10 s. */
	int housekeeping_ms;
};

#define POD_LOG_MAX_SIZE_DEFAULT (10LL << 20)
#define POD_LOG_MAX_FILES_DEFAULT 5

/* A size as kubelet's --container-log-max-size takes it, a
 * resource.Quantity ("10Mi", "500k", "1048576"): 0 and *bytes (> 0), or
 * -EINVAL / -ERANGE. */
int pod_log_parse_size(const char *s, int64_t *bytes);
#define POD_UID_MIN 200000
#define POD_UID_MAX 265535

/* A pod's shim is k1s's own program exec'd with this argv[0] (not a
 * command of k1s's): main() hands such a process to pod_shim_main()
 * before anything else, which never returns. */
#define POD_SHIM_ARGV0 "k1s-shim"
int pod_shim_main(void) __attribute__((noreturn));

/* Starts the runtime: sets up the host side of the pod network, adopts the
 * pods it finds alive from a previous run, removes what belongs to no pod,
 * and starts reconciling. NULL and *err on failure (-EPERM when not root:
 * the caller may go on without pods). */
struct pod_rt *pod_rt_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
			  const struct pod_config *cfg, int *err);
/* Stops every pod and removes what the runtime installed on the host. */
void pod_rt_free(struct pod_rt *rt);
/* Frees the runtime as kubelet stops: every pod goes on running in its
 * network, its state file written, for the next pod_rt_new() to adopt. */
void pod_rt_leave(struct pod_rt *rt);
/* True once the first reconcile is done: the pods alive from a previous
 * run are adopted, and every pod bound to the node has been synced once
 * (started, or stopped when deleted meanwhile). */
bool pod_rt_ready(const struct pod_rt *rt);

/* ---- for the API server's streams (logs, exec, attach, port-forward) ---- */

/* The log file of a container: the current run, or the one before the last
 * restart; for a face of a module inside k1s, the module's face log
 * (k1s_facelog.h), made empty if it has no line yet. 0 and the path, -ENOENT (no such pod or container), or -EAGAIN
 * (not started yet; *reason gets e.g. "ContainerCreating"). container NULL
 * or "" = the first container.
 * Files are DATA_DIR/pods/<ns>_<name>_<uid>/<container>/<restartCount>.log,
 * in the CRI log format, one record per line:
 *   <RFC3339Nano timestamp> <stdout|stderr> <F|P> <text>\n
 * with the timestamp in UTC and nine digits of fraction, F for a whole line
 * and P for a piece of a line longer than 16 KiB (the pieces and the F line
 * that ends them make one line). The API strips the prefixes (or keeps the
 * time for timestamps=true) and filters by time for sinceSeconds/sinceTime.
 * A run's records are all in its file once pod_running() turns false; a
 * restart starts a new file, the previous run's is kept for --previous and
 * older ones are removed.
 * Rotation, as kubelet's: before the file would pass
 * container_log_max_size it is renamed <file>.YYYYMMDD-hhmmss (UTC; a
 * second past the newest rotated file's name when two rotations fall in
 * one second, so names sort by age) and a new file is started in its
 * place, between two records. The newest rotated file stays as it is;
 * older ones become <name>.gz (not for a tty's log); at most
 * container_log_max_files files of a run exist. The path named here is
 * always the live file, which is what `kubectl logs` reads, as kubelet's
 * ReadLogs; a follower reads it with pod_log_reader_*, which goes on
 * across the rotations. Written by a per-run shim process that outlives
 * k1s, so a log keeps growing across a restart of k1s. The output of a tty
 * container goes to its log only while nobody attaches. */
int pod_log_path(struct pod_rt *rt, const char *ns, const char *name, const char *container,
		 bool previous, char *path, size_t len, const char **reason);
/* True while the container's current run is alive (for logs -f). */
bool pod_running(struct pod_rt *rt, const char *ns, const char *name, const char *container);

/* A reader of a run's log (pod_log_path's file) that goes on across its
 * rotations, for logs -f and attach. */
struct pod_log_reader;
/* Opens the live file at path, from its start. NULL and *err (a negative
 * errno). */
struct pod_log_reader *pod_log_reader_open(const char *path, int *err);
/* The file opened, for a seek (tailLines) before the first read. */
int pod_log_reader_fd(const struct pod_log_reader *r);
/* Reads up to len bytes of the file being read: their number, 0 at its
 * end, or a negative errno. */
ssize_t pod_log_reader_read(struct pod_log_reader *r, void *buf, size_t len);
/* At the end of the file being read: whether the log goes on (the writer
 * rotated it); then read again. */
bool pod_log_reader_next(struct pod_log_reader *r);
/* NULL is a no-op. */
void pod_log_reader_close(struct pod_log_reader *r);

struct pod_stdio {
	pid_t pid;	/* -1 for an attach */
	int in_fd;	/* -1 unless stdin was asked for */
	int out_fd;	/* stdout, or the terminal with tty */
	int err_fd;	/* -1 with tty */
};

/* Called once when an exec'd process ends, with its wait status. */
typedef void (*pod_exit_fn)(void *arg, int wstatus);

/* Runs argv in a container's namespaces, as the container's user, with
 * its environment. The caller owns the fds; on_exit fires on the loop. 0,
 * -ENOENT, -EAGAIN (not running), -EOPNOTSUPP (a face of a module inside
 * k1s: no process) or another negative errno. The same for an attach. */
int pod_exec(struct pod_rt *rt, const char *ns, const char *name, const char *container,
	     char *const argv[], bool tty, bool want_stdin, pod_exit_fn on_exit, void *arg,
	     struct pod_stdio *out);
/* Attaches to a running container. With tty, out_fd is the terminal (in_fd
 * too with stdin). Without, in_fd is the container's stdin (with stdin) and
 * out_fd/err_fd are pipes the runtime fills from the run's log, from now
 * on, or from the start for a held program; they reach EOF when the run
 * ends. A container with stdin and stdinOnce holds its program until the
 * first attach (10 s at most), so that `kubectl run -i[t]` sees all its
 * output. on_exit fires when the container's run ends. */
int pod_attach(struct pod_rt *rt, const char *ns, const char *name, const char *container,
	       pod_exit_fn on_exit, void *arg, struct pod_stdio *out);
/* A TCP connection to `port` inside the pod's network namespace (a face's:
 * to its address from the host), for port-forward. A connected, non-blocking socket fd, or a negative errno
 * (-ENOENT: no such pod, -ECONNREFUSED...). */
int pod_connect(struct pod_rt *rt, const char *ns, const char *name, int port);
/* Resizes the terminal of an exec or attach. */
int pod_resize(int tty_fd, unsigned short cols, unsigned short rows);

/* A resource.Quantity ("128Mi", "0.5", "500m") in s[0..len): its value
 * rounded up, in units (bytes) or, with milli, thousandths (millicores),
 * as apimachinery's Value() and MilliValue(). 0, -EINVAL (not a quantity,
 * or negative) or -ERANGE (beyond int64). */
int pod_quantity_parse(const char *s, size_t len, bool milli, int64_t *out);

/* Another `k1s serve` in this network namespace (its pid, or 0): pod
 * networks, the service route and the dataplane's reply route look alike
 * across servers, so what may be another's is left alone. */
int pod_other_server(void);
#endif
