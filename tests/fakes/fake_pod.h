/* A fake pod runtime for the API's stream tests: the stream functions of
 * runtime/include/pod.h (pod_log_path, pod_running, pod_exec, pod_attach,
 * pod_connect, pod_resize) over real host processes, without namespaces.
 * A "container" is a process whose stdout and stderr the fake writes to a
 * log file in the runtime's record format; exec forks the command with
 * pipes or a pty. Everything runs on the given loop. */
#ifndef FAKE_POD_H
#define FAKE_POD_H

#include <stdbool.h>

struct k1s_loop;
struct pod_rt;

struct pod_rt *fake_pod_new(struct k1s_loop *loop, const char *dir);
/* Kills what still runs and frees everything. */
void fake_pod_free(struct pod_rt *rt);

/* Starts (or restarts: the log of the run before becomes the previous
 * one) a container running argv. With tty the process gets a terminal and
 * no log; with want_stdin a stdin to attach to. 0 or a negative errno. */
int fake_pod_start(struct pod_rt *rt, const char *ns, const char *pod, const char *c,
		   char *const argv[], bool tty, bool want_stdin);
/* Declares a container that has not started, for `reason`. */
int fake_pod_waiting(struct pod_rt *rt, const char *ns, const char *pod, const char *c,
		     const char *reason);
/* Appends one record to a container's current log (declaring the
 * container, stopped, if unknown): `time` in RFC 3339, stream "stdout" or
 * "stderr", text without its newline. */
int fake_pod_log(struct pod_rt *rt, const char *ns, const char *pod, const char *c,
		 const char *time, const char *stream, const char *text);
/* Whether a container's process has ended and its output is in the log. */
bool fake_pod_done(struct pod_rt *rt, const char *ns, const char *pod, const char *c);

#endif
