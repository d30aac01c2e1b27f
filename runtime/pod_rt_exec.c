/* The runtime's side of the API's streams: logs, exec, attach,
 * port-forward; and the child processes it watches for them. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <termios.h>
#include <unistd.h>

#include "k1s_facelog.h"
#include "k1s_loop.h"
#include "pod_rt_int.h"

/* ---- watched children ---- */

static void on_job(void *arg, int fd, uint32_t events)
{
	struct pod_exec_job *j = arg, **jp;
	struct pod_rt *rt = j->rt;
	int ws;

	(void)events;
	ws = pod_pidfd_wait(fd);
	if (ws < 0)
		return;
	k1s_loop_del_fd(rt->loop, fd);
	close(fd);
	for (jp = &rt->jobs; *jp; jp = &(*jp)->next) {
		if (*jp == j) {
			*jp = j->next;
			break;
		}
	}
	if (j->probe)
		pod_probe_exec_done(j->probe, ws);
	else if (j->fn)
		j->fn(j->arg, ws);
	free(j);
}

int pod_job_add(struct pod_rt *rt, pid_t pid, pod_exit_fn fn, void *arg, struct pod_probe *probe)
{
	struct pod_exec_job *j = calloc(1, sizeof(*j));
	int err;

	if (!j)
		return -ENOMEM;
	j->rt = rt;
	j->pid = pid;
	j->fn = fn;
	j->arg = arg;
	j->probe = probe;
	j->pidfd = pod_pidfd_open(pid);
	if (j->pidfd < 0) {
		err = j->pidfd;
		free(j);
		return err;
	}
	err = k1s_loop_add_fd(rt->loop, j->pidfd, EPOLLIN, on_job, j);
	if (err < 0) {
		close(j->pidfd);
		free(j);
		return err;
	}
	j->next = rt->jobs;
	rt->jobs = j;
	return 0;
}

/* The probe goes away: its process is killed and reaped without it. */
void pod_job_forget_probe(struct pod_rt *rt, struct pod_probe *probe)
{
	for (struct pod_exec_job *j = rt->jobs; j; j = j->next) {
		if (j->probe == probe) {
			kill(-j->pid, SIGKILL);
			kill(j->pid, SIGKILL);
			j->probe = NULL;
			j->fn = NULL;
		}
	}
}

void pod_jobs_free(struct pod_rt *rt)
{
	while (rt->jobs) {
		struct pod_exec_job *j = rt->jobs;

		rt->jobs = j->next;
		k1s_loop_del_fd(rt->loop, j->pidfd);
		kill(j->pid, SIGKILL);
		close(j->pidfd);
		free(j);
	}
}

/* ---- logs ---- */

int pod_log_path(struct pod_rt *rt, const char *ns, const char *name, const char *container,
                 bool previous, char *path, size_t len, const char **reason)
{
	struct pod_run *p;
	struct pod_ctr *c;
	int run;

	if (!rt || !(p = pod_rt_find(rt, ns, name)) || !(c = pod_rt_ctr(p, container)))
		return -ENOENT;
	if (!c->ever_started) {
		if (reason)
			*reason = *c->reason ? c->reason : "ContainerCreating";
		return previous ? -ENOENT : -EAGAIN;
	}
	if (*p->face) {
		/* The module's own log (k1s_facelog.h), made if it has no line
		 * yet, so that logs of a quiet face are empty, not missing. */
		int fd;

		if (previous || k1s_facelog_path(rt->cfg.data_dir, p->face, path, len) < 0)
			return -ENOENT;
		if (access(path, R_OK) == 0)
			return 0;
		snprintf(path, len, "%s/faces", rt->cfg.data_dir);
		mkdir(path, 0700);
		k1s_facelog_path(rt->cfg.data_dir, p->face, path, len);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0)
			return -ENOENT;
		close(fd);
		return 0;
	}
	run = previous ? c->restarts - 1 : c->restarts;
	if (run < 0)
		return -ENOENT;
	snprintf(path, len, "%s/%s/%d.log", p->dir, c->name, run);
	return access(path, R_OK) == 0 ? 0 : -ENOENT;
}

bool pod_running(struct pod_rt *rt, const char *ns, const char *name, const char *container)
{
	struct pod_run *p;
	struct pod_ctr *c;

	if (!rt || !(p = pod_rt_find(rt, ns, name)) || !(c = pod_rt_ctr(p, container)))
		return false;
	return c->state == POD_C_RUNNING;
}

/* ---- exec ---- */

static int open_pty(int *master, int *slave)
{
	*slave = -1;
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return -errno;
	if (grantpt(*master) < 0 || unlockpt(*master) < 0 ||
	    (*slave = open(ptsname(*master), O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		int err = -errno;

		close(*master);
		return err;
	}
	return 0;
}

int pod_exec(struct pod_rt *rt, const char *ns, const char *name, const char *container,
             char *const argv[], bool tty, bool want_stdin, pod_exit_fn on_exit, void *arg,
             struct pod_stdio *out)
{
	int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1}, master = -1, slave = -1, err;
	struct pod_run *p;
	struct pod_ctr *c;
	pid_t pid;

	if (!rt || !(p = pod_rt_find(rt, ns, name)) || !(c = pod_rt_ctr(p, container)))
		return -ENOENT;
	if (*p->face)
		return -EOPNOTSUPP; /* the module runs inside k1s: no process */
	if (c->state != POD_C_RUNNING || c->pid <= 0 || !c->envp)
		return -EAGAIN;
	if (!argv || !argv[0])
		return -EINVAL;
	if (tty) {
		err = open_pty(&master, &slave);
		if (err < 0)
			return err;
		err = pod_proc_enter(c->pid, argv, c->envp, &c->creds, c->workdir, slave,
		                     slave, slave, true, &pid);
		close(slave);
		if (err < 0) {
			close(master);
			return err;
		}
		out->in_fd = want_stdin ? fcntl(master, F_DUPFD_CLOEXEC, 0) : -1;
		out->out_fd = master;
		out->err_fd = -1;
	} else {
		if ((want_stdin && pipe2(in, O_CLOEXEC) < 0) || pipe2(o, O_CLOEXEC) < 0 ||
		    pipe2(e, O_CLOEXEC) < 0) {
			err = -errno;
			goto fail;
		}
		err = pod_proc_enter(c->pid, argv, c->envp, &c->creds, c->workdir, in[0], o[1],
		                     e[1], false, &pid);
		if (err < 0)
			goto fail;
		if (in[0] >= 0)
			close(in[0]);
		close(o[1]);
		close(e[1]);
		out->in_fd = in[1];
		out->out_fd = o[0];
		out->err_fd = e[0];
	}
	out->pid = pid;
	err = pod_job_add(rt, pid, on_exit, arg, NULL);
	if (err < 0) {
		/* Without a watch nobody would reap it or report its end. */
		kill(pid, SIGKILL);
		return err;
	}
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (o[i] >= 0)
			close(o[i]);
		if (e[i] >= 0)
			close(e[i]);
	}
	return err;
}

/* ---- attach without a terminal: following the log ----
 *
 * The shim owns the container's stdout and stderr and writes them to the
 * log, so an attach reads them back from there: every FOLLOW_MS the
 * follower reads what the log gained, turns its records back into the
 * streams' bytes and writes those, non-blocking, to one pipe per stream.
 * It finds its container by name on each pass (no pointer to outlive it)
 * and ends, closing the pipes, once that run is over and its log read. */

#define FOLLOW_MS 50
#define FOLLOW_HIGH (64 * 1024)   /* buffered for a slow reader: stop reading */
#define FOLLOW_LINE (16384 + 128) /* a record: prefix and 16 KiB of text */

struct follow_out {
	int fd; /* write end, or -1 when its reader is gone */
	char *buf;
	size_t len;
};

struct pod_follow {
	struct pod_rt *rt;
	struct pod_follow *next;
	char ns[64], name[256], uid[64], ctr[256];
	int run; /* the run followed (its restart count) */
	/* The run's log, read across its rotations. */
	struct pod_log_reader *log;
	struct k1s_timer *timer;
	struct follow_out out[2]; /* stdout, stderr */
	char line[FOLLOW_LINE];
	size_t llen;
	bool skip; /* started inside a record: drop up to its end */
};

static void follow_free(struct pod_follow *f)
{
	struct pod_follow **fp;

	for (fp = &f->rt->follows; *fp; fp = &(*fp)->next) {
		if (*fp == f) {
			*fp = f->next;
			break;
		}
	}
	if (f->timer)
		k1s_loop_cancel(f->rt->loop, f->timer);
	for (int i = 0; i < 2; i++) {
		if (f->out[i].fd >= 0)
			close(f->out[i].fd);
		free(f->out[i].buf);
	}
	pod_log_reader_close(f->log);
	free(f);
}

void pod_follows_free(struct pod_rt *rt)
{
	while (rt->follows)
		follow_free(rt->follows);
}

static void out_close(struct follow_out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	o->len = 0;
}

static void out_flush(struct follow_out *o)
{
	struct pollfd pf = {.fd = o->fd};

	if (o->fd < 0)
		return;
	/* A pipe whose reader has gone reports an error: the attach ended. */
	if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR)) {
		out_close(o);
		return;
	}
	while (o->len) {
		ssize_t n = write(o->fd, o->buf, o->len);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				out_close(o);
			return;
		}
		memmove(o->buf, o->buf + n, o->len - (size_t)n);
		o->len -= (size_t)n;
	}
}

static void out_add(struct follow_out *o, const char *p, size_t len, bool nl)
{
	char *b;

	if (o->fd < 0)
		return;
	b = realloc(o->buf, o->len + len + 1);
	if (!b)
		return;
	o->buf = b;
	memcpy(b + o->len, p, len);
	o->len += len;
	if (nl)
		b[o->len++] = '\n';
}

/* One record, "<time> <stdout|stderr> <F|P> <text>" without its newline. */
static void follow_record(struct pod_follow *f, const char *r, size_t len)
{
	const char *end = r + len, *stream, *tag;

	stream = memchr(r, ' ', len);
	if (!stream++)
		return;
	tag = memchr(stream, ' ', (size_t)(end - stream));
	if (!tag++ || end - tag < 2 || tag[1] != ' ')
		return;
	if ((size_t)(tag - stream) == 7 && memcmp(stream, "stdout ", 7) == 0)
		out_add(&f->out[0], tag + 2, (size_t)(end - tag - 2), tag[0] == 'F');
	else if ((size_t)(tag - stream) == 7 && memcmp(stream, "stderr ", 7) == 0)
		out_add(&f->out[1], tag + 2, (size_t)(end - tag - 2), tag[0] == 'F');
}

/* Reads the log while the pipes keep up; whether its end was reached. */
static bool follow_read(struct pod_follow *f)
{
	for (;;) {
		size_t start = 0;
		ssize_t n;

		if (f->out[0].len >= FOLLOW_HIGH || f->out[1].len >= FOLLOW_HIGH)
			return false;
		n = pod_log_reader_read(f->log, f->line + f->llen, sizeof(f->line) - f->llen);
		if (n <= 0)
			return true;
		f->llen += (size_t)n;
		for (size_t i = 0; i < f->llen; i++) {
			if (f->line[i] != '\n')
				continue;
			if (!f->skip)
				follow_record(f, f->line + start, i - start);
			f->skip = false;
			start = i + 1;
		}
		if (start == 0 && f->llen == sizeof(f->line)) {
			/* Not a record of ours: drop it. */
			f->skip = true;
			start = f->llen;
		}
		memmove(f->line, f->line + start, f->llen - start);
		f->llen -= start;
	}
}

/* Whether the run followed has ended (or its pod has gone): then its log
 * holds all it will ever hold. */
static bool follow_run_over(struct pod_follow *f)
{
	struct pod_run *p = pod_rt_find(f->rt, f->ns, f->name);
	struct pod_ctr *c;

	if (!p || strcmp(p->uid, f->uid) != 0 || !(c = pod_rt_ctr(p, f->ctr)))
		return true;
	return c->restarts != f->run || c->state != POD_C_RUNNING;
}

/* At the end of the file followed: if the shim has rotated it (pod_log.c),
 * the files after it. Whether the end of the log is reached (false: the
 * pipes are full, read more later). */
static bool follow_rotated(struct pod_follow *f)
{
	while (pod_log_reader_next(f->log))
		if (!follow_read(f))
			return false;
	return true;
}

static void on_follow(void *arg)
{
	struct pod_follow *f = arg;
	bool over, eof;

	f->timer = NULL;
	/* Asked first: what the run wrote before its end is in the file by
	 * then, so reading to the end afterwards misses nothing. */
	over = follow_run_over(f);
	out_flush(&f->out[0]);
	out_flush(&f->out[1]);
	eof = follow_read(f) && follow_rotated(f);
	out_flush(&f->out[0]);
	out_flush(&f->out[1]);
	if ((f->out[0].fd < 0 && f->out[1].fd < 0) ||
	    (over && eof && !f->out[0].len && !f->out[1].len)) {
		follow_free(f);
		return;
	}
	f->timer = k1s_loop_timer(f->rt->loop, FOLLOW_MS, on_follow, f);
}

/* Starts following container c's current log for an attach: out gets the
 * read ends of the two pipes. From the start of the log when nothing of
 * the run can have been missed, else from its end. */
static int follow_start(struct pod_ctr *c, bool from_start, struct pod_stdio *out)
{
	struct pod_run *p = c->p;
	struct pod_follow *f;
	char path[1100];
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, err;
	off_t end;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->rt = p->rt;
	snprintf(f->ns, sizeof(f->ns), "%s", p->ns);
	snprintf(f->name, sizeof(f->name), "%s", p->name);
	snprintf(f->uid, sizeof(f->uid), "%s", p->uid);
	snprintf(f->ctr, sizeof(f->ctr), "%s", c->name);
	f->run = c->restarts;
	snprintf(path, sizeof(path), "%s/%s/%d.log", p->dir, c->name, c->restarts);
	f->log = pod_log_reader_open(path, &err);
	if (!f->log)
		goto fail;
	if (pipe2(po, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(pe, O_CLOEXEC | O_NONBLOCK) < 0) {
		err = -errno;
		goto fail;
	}
	end = from_start ? 0 : lseek(pod_log_reader_fd(f->log), 0, SEEK_END);
	if (end > 0) {
		char last;

		/* The shim writes a record at once; in case it was caught in
		 * the middle of one, start after it. */
		f->skip = pread(pod_log_reader_fd(f->log), &last, 1, end - 1) == 1 && last != '\n';
	}
	f->out[0].fd = po[1];
	f->out[1].fd = pe[1];
	f->timer = k1s_loop_timer(f->rt->loop, from_start ? 0 : FOLLOW_MS, on_follow, f);
	if (!f->timer) {
		err = -ENOMEM;
		goto fail;
	}
	f->next = f->rt->follows;
	f->rt->follows = f;
	out->out_fd = po[0];
	out->err_fd = pe[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	pod_log_reader_close(f->log);
	free(f);
	return err;
}

/* ---- attach ---- */

int pod_attach(struct pod_rt *rt, const char *ns, const char *name, const char *container,
               pod_exit_fn on_exit, void *arg, struct pod_stdio *out)
{
	struct pod_run *p;
	struct pod_ctr *c;
	bool once;
	int err;

	if (!rt || !(p = pod_rt_find(rt, ns, name)) || !(c = pod_rt_ctr(p, container)))
		return -ENOENT;
	if (*p->face)
		return -EOPNOTSUPP;
	if (c->state != POD_C_RUNNING)
		return -EAGAIN;
	out->pid = -1;
	out->in_fd = out->out_fd = out->err_fd = -1;
	if (c->pty >= 0) {
		/* The terminal is the attacher's from now on. */
		pod_pty_release(c);
		out->out_fd = fcntl(c->pty, F_DUPFD_CLOEXEC, 0);
		if (out->out_fd < 0)
			return -errno;
		if (c->stdin_open && (out->in_fd = fcntl(c->pty, F_DUPFD_CLOEXEC, 0)) < 0) {
			err = -errno;
			close(out->out_fd);
			return err;
		}
	} else {
		/* A held program has written nothing yet: all of its log is
		 * for this attach. */
		err = follow_start(c, c->go_w >= 0, out);
		if (err < 0)
			return err;
		once = json_is_true(json_object_get(pod_rt_cspec(c), "stdinOnce"));
		if (c->stdin_w >= 0 && once) {
			/* stdinOnce: the first attach's stdin is the container's;
			 * its close is the container's EOF. */
			out->in_fd = c->stdin_w;
			c->stdin_w = -1;
		} else if (c->stdin_w >= 0 &&
		           (out->in_fd = fcntl(c->stdin_w, F_DUPFD_CLOEXEC, 0)) < 0) {
			err = -errno;
			close(out->out_fd);
			close(out->err_fd);
			return err;
		}
	}
	c->attach_exit = on_exit;
	c->attach_arg = arg;
	/* A held program starts now that someone sees its output. On a
	 * terminal it starts a moment later, and echo starts with it: what the
	 * client sends at once (a terminal at the end of its input gives
	 * kubectl a NUL, which it forwards) reaches the program's input
	 * without being echoed ahead of its output. On a real cluster the
	 * program has run long before kubectl attaches, so nothing shows
	 * there either. */
	if (c->pty >= 0)
		pod_go_after(c, POD_TTY_SETTLE_MS);
	else
		pod_go(c);
	return 0;
}

int pod_connect(struct pod_rt *rt, const char *ns, const char *name, int port)
{
	struct pod_run *p;
	struct pollfd pf;
	socklen_t sl = sizeof(int);
	int fd, soerr = 0;

	if (!rt || !(p = pod_rt_find(rt, ns, name)) || !p->net_ready)
		return -ENOENT;
	if (*p->face) {
		/* The face's address is the host's own: connect from here. */
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

		if (port <= 0 || port > 65535 || inet_pton(AF_INET, p->ip, &sin.sin_addr) != 1)
			return -EINVAL;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS) {
			int err = -errno;

			close(fd);
			return err;
		}
	} else {
		fd = pod_net_connect(p->id, p->ip, port);
	}
	if (fd < 0)
		return fd;
	/* Local to the host: the handshake is done or refused at once. */
	pf.fd = fd;
	pf.events = POLLOUT;
	if (poll(&pf, 1, 2000) != 1) {
		close(fd);
		return -ETIMEDOUT;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		close(fd);
		return soerr ? -soerr : -EIO;
	}
	return fd;
}

int pod_resize(int tty_fd, unsigned short cols, unsigned short rows)
{
	struct winsize ws = {.ws_row = rows, .ws_col = cols};

	return ioctl(tty_fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

/* ---- the terminal of a tty container ----
 *
 * Until someone attaches, the runtime reads the terminal into the log so
 * that the program never blocks on a full terminal. */

static void on_pty(void *arg, int fd, uint32_t events)
{
	struct pod_ctr *c = arg;
	char buf[4096];
	ssize_t n;

	(void)events;
	n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		pod_pty_release(c);
		return;
	}
	if (c->pty_log) {
		size_t start = 0;

		for (size_t i = 0; i < (size_t)n; i++) {
			if (buf[i] != '\n')
				continue;
			pod_log_record(c->pty_log, "stdout", false, buf + start,
			             i > start && buf[i - 1] == '\r' ? i - start - 1 : i - start);
			start = i + 1;
		}
		if (start < (size_t)n)
			pod_log_record(c->pty_log, "stdout", true, buf + start, (size_t)n - start);
		pod_log_flush(c->pty_log);
	}
}

void pod_tty_echo(int fd, bool on)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return;
	if (on)
		t.c_lflag |= ECHO;
	else
		t.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSANOW, &t);
}

void pod_pty_watch(struct pod_ctr *c, const char *log_path)
{
	int fl, err;

	if (c->pty < 0)
		return;
	fl = fcntl(c->pty, F_GETFL);
	fcntl(c->pty, F_SETFL, fl | O_NONBLOCK);
	/* Rotated as the shim rotates, but not compressed: gzip would stall
	 * the control loop. */
	c->pty_log = pod_log_open(log_path,
	                          c->p->rt->cfg.container_log_max_size ?: POD_LOG_MAX_SIZE_DEFAULT,
	                          c->p->rt->cfg.container_log_max_files ?: POD_LOG_MAX_FILES_DEFAULT,
	                          false, &err);
	if (k1s_loop_add_fd(c->p->rt->loop, c->pty, EPOLLIN, on_pty, c) == 0)
		c->pty_watched = true;
}

void pod_pty_release(struct pod_ctr *c)
{
	if (c->pty_watched) {
		k1s_loop_del_fd(c->p->rt->loop, c->pty);
		c->pty_watched = false;
		if (c->pty >= 0) {
			int fl = fcntl(c->pty, F_GETFL);

			fcntl(c->pty, F_SETFL, fl & ~O_NONBLOCK);
		}
	}
	pod_log_close(c->pty_log);
	c->pty_log = NULL;
}
