/* A fake pod runtime: see fake_pod.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_pod.h"
#include "k1s_loop.h"
#include "pod.h"

#define FAKE_MAX_ATTACH 8

struct fake_attach {
	pod_exit_fn fn;
	void *arg;
	int out_w, err_w; /* the fake's ends of an attach's pipes; -1 = none */
};

struct fake_ctr {
	struct fake_ctr *next;
	struct pod_rt *rt;
	char ns[64], pod[64], name[64];
	char log[512], prev[512];
	char reason[64];	/* waiting, when not empty */
	bool started, running;
	pid_t pid;
	int pidfd;
	int out_r, err_r;	/* the process's stdout and stderr, read by the fake */
	int in_w;		/* its stdin (a pipe), -1 without */
	int master;		/* its terminal, -1 without */
	char part[2][4096];	/* a line not finished yet, per stream */
	size_t part_len[2];
	struct fake_attach att[FAKE_MAX_ATTACH];
	int natt;
};

struct fake_exec {
	struct pod_rt *rt;
	pid_t pid;
	int pidfd;
	pod_exit_fn fn;
	void *arg;
	struct fake_exec *next;
};

struct pod_rt {
	struct k1s_loop *loop;
	char dir[256];
	struct fake_ctr *ctrs;
	struct fake_exec *execs;
};

static struct fake_ctr *find(struct pod_rt *rt, const char *ns, const char *pod, const char *c)
{
	for (struct fake_ctr *x = rt->ctrs; x; x = x->next)
		if (strcmp(x->ns, ns) == 0 && strcmp(x->pod, pod) == 0 &&
		    (!c || strcmp(x->name, c) == 0))
			return x;
	return NULL;
}

static struct fake_ctr *get(struct pod_rt *rt, const char *ns, const char *pod, const char *c)
{
	struct fake_ctr *x = find(rt, ns, pod, c);

	if (x)
		return x;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->rt = rt;
	snprintf(x->ns, sizeof(x->ns), "%s", ns);
	snprintf(x->pod, sizeof(x->pod), "%s", pod);
	snprintf(x->name, sizeof(x->name), "%s", c);
	snprintf(x->log, sizeof(x->log), "%s/%s_%s_%s.log", rt->dir, ns, pod, c);
	snprintf(x->prev, sizeof(x->prev), "%s/%s_%s_%s.prev.log", rt->dir, ns, pod, c);
	x->pid = -1;
	x->pidfd = x->out_r = x->err_r = x->in_w = x->master = -1;
	x->next = rt->ctrs;
	rt->ctrs = x;
	return x;
}

struct pod_rt *fake_pod_new(struct k1s_loop *loop, const char *dir)
{
	struct pod_rt *rt = calloc(1, sizeof(*rt));

	if (!rt)
		return NULL;
	rt->loop = loop;
	snprintf(rt->dir, sizeof(rt->dir), "%s", dir);
	return rt;
}

static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

static void append(const char *path, const char *time, const char *stream, char tag,
		   const char *text, size_t len)
{
	FILE *f = fopen(path, "a");

	if (!f)
		return;
	fprintf(f, "%s %s %c %.*s\n", time, stream, tag, (int)len, text);
	fclose(f);
}

int fake_pod_log(struct pod_rt *rt, const char *ns, const char *pod, const char *c,
		 const char *time, const char *stream, const char *text)
{
	struct fake_ctr *x = get(rt, ns, pod, c);

	if (!x)
		return -ENOMEM;
	x->started = true;
	x->reason[0] = '\0';
	append(x->log, time, stream, 'F', text, strlen(text));
	return 0;
}

int fake_pod_waiting(struct pod_rt *rt, const char *ns, const char *pod, const char *c,
		     const char *reason)
{
	struct fake_ctr *x = get(rt, ns, pod, c);

	if (!x)
		return -ENOMEM;
	snprintf(x->reason, sizeof(x->reason), "%s", reason);
	return 0;
}

/* Output of a container: to its log as records, and to its attaches. */
static void capture(struct fake_ctr *x, int s, const char *buf, size_t n)
{
	const char *stream = s ? "stderr" : "stdout";
	char ts[64];

	for (int i = 0; i < x->natt; i++) {
		int w = s ? x->att[i].err_w : x->att[i].out_w;

		if (w >= 0)
			(void)!write(w, buf, n);
	}
	now_rfc3339(ts, sizeof(ts));
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || x->part_len[s] == sizeof(x->part[s])) {
			append(x->log, ts, stream, buf[i] == '\n' ? 'F' : 'P', x->part[s],
			       x->part_len[s]);
			x->part_len[s] = 0;
			if (buf[i] == '\n')
				continue;
		}
		x->part[s][x->part_len[s]++] = buf[i];
	}
}

static void drain(struct fake_ctr *x, int *fd, int s)
{
	char buf[4096];
	ssize_t n;

	while (*fd >= 0) {
		n = read(*fd, buf, sizeof(buf));
		if (n > 0) {
			capture(x, s, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		k1s_loop_del_fd(x->rt->loop, *fd);
		close(*fd);
		*fd = -1;
		if (x->part_len[s]) {
			char ts[64];

			now_rfc3339(ts, sizeof(ts));
			append(x->log, ts, s ? "stderr" : "stdout", 'P', x->part[s],
			       x->part_len[s]);
			x->part_len[s] = 0;
		}
	}
}

static void on_ctr_out(void *arg, int fd, uint32_t events)
{
	struct fake_ctr *x = arg;

	if (fd == x->out_r)
		drain(x, &x->out_r, 0);
	else if (fd == x->err_r)
		drain(x, &x->err_r, 1);
}

static void ctr_ended(struct fake_ctr *x, int status)
{
	/* All its output is in the log before it counts as stopped. */
	drain(x, &x->out_r, 0);
	drain(x, &x->err_r, 1);
	if (x->pidfd >= 0) {
		k1s_loop_del_fd(x->rt->loop, x->pidfd);
		close(x->pidfd);
		x->pidfd = -1;
	}
	if (x->in_w >= 0)
		close(x->in_w);
	if (x->master >= 0)
		close(x->master);
	x->in_w = x->master = -1;
	x->running = false;
	x->pid = -1;
	for (int i = 0; i < x->natt; i++) {
		if (x->att[i].out_w >= 0)
			close(x->att[i].out_w);
		if (x->att[i].err_w >= 0)
			close(x->att[i].err_w);
		x->att[i].fn(x->att[i].arg, status);
	}
	x->natt = 0;
}

static void on_ctr_exit(void *arg, int fd, uint32_t events)
{
	struct fake_ctr *x = arg;
	int status = 0;

	if (waitpid(x->pid, &status, WNOHANG) <= 0)
		return;
	ctr_ended(x, status);
}

static int nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Forks argv with pipes, or a terminal. The parent's ends in in/out/err
 * (in = -1 unless want_in; err = -1 with tty). */
static pid_t spawn(char *const argv[], bool tty, bool want_in, int *in, int *out, int *err)
{
	int pi[2] = {-1, -1}, po[2] = {-1, -1}, pe[2] = {-1, -1}, master = -1, slave = -1;
	pid_t pid;

	if (tty) {
		if (openpty(&master, &slave, NULL, NULL, NULL) < 0)
			return -errno;
	} else if ((want_in && pipe2(pi, O_CLOEXEC) < 0) || pipe2(po, O_CLOEXEC) < 0 ||
		   pipe2(pe, O_CLOEXEC) < 0) {
		return -errno;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		setsid();
		if (tty) {
			ioctl(slave, TIOCSCTTY, 0);
			dup2(want_in ? slave : nul, 0);
			dup2(slave, 1);
			dup2(slave, 2);
		} else {
			dup2(want_in ? pi[0] : nul, 0);
			dup2(po[1], 1);
			dup2(pe[1], 2);
		}
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (tty) {
		close(slave);
		fcntl(master, F_SETFD, FD_CLOEXEC);
		nonblock(master);
		*out = master;
		*in = want_in ? fcntl(master, F_DUPFD_CLOEXEC, 0) : -1;
		*err = -1;
		return pid;
	}
	if (want_in) {
		close(pi[0]);
		nonblock(pi[1]);
	}
	close(po[1]);
	close(pe[1]);
	nonblock(po[0]);
	nonblock(pe[0]);
	*in = want_in ? pi[1] : -1;
	*out = po[0];
	*err = pe[0];
	return pid;
}

int fake_pod_start(struct pod_rt *rt, const char *ns, const char *pod, const char *c,
		   char *const argv[], bool tty, bool want_stdin)
{
	struct fake_ctr *x = get(rt, ns, pod, c);
	int in, out, err;
	pid_t pid;

	if (!x)
		return -ENOMEM;
	if (x->running)
		return -EBUSY;
	if (x->started)
		rename(x->log, x->prev);
	pid = spawn(argv, tty, want_stdin, &in, &out, &err);
	if (pid < 0)
		return pid;
	x->pid = pid;
	x->pidfd = pidfd_open(pid, 0);
	x->started = x->running = true;
	x->reason[0] = '\0';
	close(open(x->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
	if (tty) {
		x->master = out;
		if (in >= 0)
			close(in);
		x->in_w = -1;
	} else {
		x->in_w = in;
		x->out_r = out;
		x->err_r = err;
		k1s_loop_add_fd(rt->loop, out, EPOLLIN, on_ctr_out, x);
		k1s_loop_add_fd(rt->loop, err, EPOLLIN, on_ctr_out, x);
	}
	return k1s_loop_add_fd(rt->loop, x->pidfd, EPOLLIN, on_ctr_exit, x);
}

bool fake_pod_done(struct pod_rt *rt, const char *ns, const char *pod, const char *c)
{
	struct fake_ctr *x = find(rt, ns, pod, c);

	return x && x->started && !x->running;
}

void fake_pod_free(struct pod_rt *rt)
{
	if (!rt)
		return;
	while (rt->ctrs) {
		struct fake_ctr *x = rt->ctrs;

		if (x->running) {
			int status = 0;

			kill(x->pid, SIGKILL);
			waitpid(x->pid, &status, 0);
			ctr_ended(x, status);
		}
		rt->ctrs = x->next;
		free(x);
	}
	while (rt->execs) {
		struct fake_exec *e = rt->execs;
		int status = 0;

		rt->execs = e->next;
		kill(e->pid, SIGKILL);
		waitpid(e->pid, &status, 0);
		k1s_loop_del_fd(rt->loop, e->pidfd);
		close(e->pidfd);
		e->fn(e->arg, status);
		free(e);
	}
	free(rt);
}

/* ---- runtime/include/pod.h ---- */

int pod_log_path(struct pod_rt *rt, const char *ns, const char *name, const char *container,
		 bool previous, char *path, size_t len, const char **reason)
{
	struct fake_ctr *x = find(rt, ns, name, container);
	struct stat st;

	if (!x)
		return -ENOENT;
	if (previous) {
		if (stat(x->prev, &st) < 0)
			return -ENOENT;
		snprintf(path, len, "%s", x->prev);
		return 0;
	}
	if (!x->started) {
		*reason = x->reason[0] ? x->reason : "ContainerCreating";
		return -EAGAIN;
	}
	if (snprintf(path, len, "%s", x->log) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

bool pod_running(struct pod_rt *rt, const char *ns, const char *name, const char *container)
{
	struct fake_ctr *x = find(rt, ns, name, container);

	return x && x->running;
}

static void on_exec_exit(void *arg, int fd, uint32_t events)
{
	struct fake_exec *e = arg;
	struct pod_rt *rt = e->rt;
	int status = 0;

	if (waitpid(e->pid, &status, WNOHANG) <= 0)
		return;
	k1s_loop_del_fd(rt->loop, e->pidfd);
	close(e->pidfd);
	for (struct fake_exec **p = &rt->execs; *p; p = &(*p)->next) {
		if (*p == e) {
			*p = e->next;
			break;
		}
	}
	e->fn(e->arg, status);
	free(e);
}

int pod_exec(struct pod_rt *rt, const char *ns, const char *name, const char *container,
	     char *const argv[], bool tty, bool want_stdin, pod_exit_fn on_exit, void *arg,
	     struct pod_stdio *out)
{
	struct fake_ctr *x = find(rt, ns, name, container);
	struct fake_exec *e;
	pid_t pid;

	if (!x)
		return -ENOENT;
	if (!x->running)
		return -EAGAIN;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	pid = spawn(argv, tty, want_stdin, &out->in_fd, &out->out_fd, &out->err_fd);
	if (pid < 0) {
		free(e);
		return pid;
	}
	out->pid = pid;
	e->rt = rt;
	e->pid = pid;
	e->fn = on_exit;
	e->arg = arg;
	e->pidfd = pidfd_open(pid, 0);
	e->next = rt->execs;
	rt->execs = e;
	k1s_loop_add_fd(rt->loop, e->pidfd, EPOLLIN, on_exec_exit, e);
	return 0;
}

int pod_attach(struct pod_rt *rt, const char *ns, const char *name, const char *container,
	       pod_exit_fn on_exit, void *arg, struct pod_stdio *out)
{
	struct fake_ctr *x = find(rt, ns, name, container);
	struct fake_attach *a;
	int po[2], pe[2];

	if (!x)
		return -ENOENT;
	if (!x->running)
		return -EAGAIN;
	if (x->natt == FAKE_MAX_ATTACH)
		return -EBUSY;
	a = &x->att[x->natt];
	out->pid = -1;
	if (x->master >= 0) {
		out->in_fd = fcntl(x->master, F_DUPFD_CLOEXEC, 0);
		out->out_fd = fcntl(x->master, F_DUPFD_CLOEXEC, 0);
		out->err_fd = -1;
		a->out_w = a->err_w = -1;
	} else {
		if (pipe2(po, O_CLOEXEC | O_NONBLOCK) < 0)
			return -errno;
		if (pipe2(pe, O_CLOEXEC | O_NONBLOCK) < 0) {
			close(po[0]);
			close(po[1]);
			return -errno;
		}
		out->in_fd = x->in_w >= 0 ? fcntl(x->in_w, F_DUPFD_CLOEXEC, 0) : -1;
		out->out_fd = po[0];
		out->err_fd = pe[0];
		a->out_w = po[1];
		a->err_w = pe[1];
	}
	a->fn = on_exit;
	a->arg = arg;
	x->natt++;
	return 0;
}

int pod_connect(struct pod_rt *rt, const char *ns, const char *name, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd;

	if (!find(rt, ns, name, NULL))
		return -ENOENT;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	nonblock(fd);
	return fd;
}

int pod_resize(int tty_fd, unsigned short cols, unsigned short rows)
{
	struct winsize ws = {.ws_row = rows, .ws_col = cols};

	if (ioctl(tty_fd, TIOCSWINSZ, &ws) < 0)
		return -errno;
	return 0;
}
