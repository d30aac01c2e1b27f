/* Processes of the runtime: the shim that runs and logs one container run,
 * the container's setup inside the pod's namespaces, and exec into a
 * running container. See pod_rt_int.h for the process model. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pod_rt_int.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

int pod_pidfd_open(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

int pod_pidfd_wait(int pidfd)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return -1;
	if (si.si_code == CLD_EXITED)
		return (si.si_status & 0xff) << 8;
	return (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
}

unsigned long long pod_proc_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command may hold spaces and parentheses: fields count from the
	 * last ')'. starttime is field 22; state (3) follows the ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return 0;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		start = strtoull(p, NULL, 10);
	return start;
}

/* Closes every fd but those in keep (n of them). */
static void close_except(const int *keep, int n)
{
	int lo = 3;

	for (;;) {
		int next = -1;

		for (int i = 0; i < n; i++)
			if (keep[i] >= lo && (next < 0 || keep[i] < next))
				next = keep[i];
		if (next < 0) {
			syscall(SYS_close_range, (unsigned)lo, ~0U, 0);
			return;
		}
		if (next > lo)
			syscall(SYS_close_range, (unsigned)lo, (unsigned)next - 1, 0);
		lo = next + 1;
	}
}

static void reset_signals(bool ignore_pipe)
{
	sigset_t all;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (ignore_pipe)
		signal(SIGPIPE, SIG_IGN);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

static void die(const char *what, int err)
{
	dprintf(2, "k1s: %s: %s\n", what, strerror(err));
	_exit(128);
}

static void exec_argv(char *const argv[], char *const envp[])
{
	/* execvp looks argv[0] up in the PATH of environ: the container's. */
	environ = (char **)envp;
	execvp(argv[0], argv);
	dprintf(2, "k1s: exec %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* execs the program open at `fd`: what the container's user could not
 * reach by its path (k1s under /root, mode 0700) it runs from there. */
static void exec_fd(int fd, char *const argv[], char *const envp[])
{
	if (fd != 3 && dup3(fd, 3, O_CLOEXEC) < 0)
		die("dup3", errno);
	fcntl(3, F_SETFD, FD_CLOEXEC);
	syscall(SYS_close_range, 4U, ~0U, 0);
	execveat(3, "", argv, envp, AT_EMPTY_PATH);
	dprintf(2, "k1s: exec %s: %s\n", argv[0], strerror(errno));
	_exit(126);
}

int pod_proc_exe_open(const char *path)
{
	int src = open(path, O_RDONLY | O_CLOEXEC), fd;
	struct stat st;
	off_t off = 0;

	if (src < 0)
		return -errno;
	/* A copy, not the file: it also keeps running pods and new ones on
	 * the same program while the binary is rebuilt or upgraded. */
	fd = memfd_create("k1s", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd >= 0 && fstat(src, &st) == 0) {
		while (off < st.st_size && sendfile(fd, src, &off, (size_t)(st.st_size - off)) > 0)
			;
		if (off == st.st_size && fchmod(fd, 0555) == 0 &&
		    fcntl(fd, F_ADD_SEALS,
			  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0) {
			close(src);
			return fd;
		}
	}
	if (fd >= 0)
		close(fd);
	close(src);
	fd = open(path, O_PATH | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int pod_proc_exe_mem(const void *image, size_t len)
{
	int fd = memfd_create("k1s-pod", MFD_CLOEXEC | MFD_ALLOW_SEALING), err;

	if (fd < 0)
		return -errno;
	if ((err = pod_write_all(fd, image, len)) < 0 || fchmod(fd, 0555) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		err = err < 0 ? err : -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* In the checking child: as execvp searches. 0, or an errno. */
static int exe_search(const char *prog, char *const envp[], char *found, size_t len)
{
	const char *path = "/bin:/usr/bin";	/* execvp's default */
	struct stat st;
	int err = ENOENT;

	if (!*prog)
		return ENOENT;
	if (strchr(prog, '/')) {
		snprintf(found, len, "%s", prog);
		if (access(prog, X_OK) < 0)
			return errno;
		return stat(prog, &st) == 0 && S_ISREG(st.st_mode) ? 0 : EACCES;
	}
	for (char *const *e = envp; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	snprintf(found, len, "%s", prog);
	while (*path) {
		size_t n = strcspn(path, ":");
		char cand[4096];

		int a;

		snprintf(cand, sizeof(cand), "%.*s%s%s", (int)n, path, n ? "/" : "", prog);
		a = access(cand, X_OK) == 0 ? 0 : errno;
		if (a == 0 && stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
			snprintf(found, len, "%s", cand);
			return 0;
		}
		/* As execvp: a name there but not executable (or not a file)
		 * is EACCES, unless a later directory has it. */
		if ((a == 0 || a == EACCES) && err != EACCES) {
			snprintf(found, len, "%s", cand);
			err = EACCES;
		}
		path += n + (path[n] == ':');
	}
	return err;
}

int pod_proc_exe_check(const char *prog, char *const envp[], uid_t uid, gid_t gid,
                       const char *workdir, char *found, size_t len)
{
	char buf[4096] = "";
	int p[2], ws;
	ssize_t n;
	pid_t c;

	snprintf(found, len, "%s", prog);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	c = fork();
	if (c == 0) {
		int err;

		close(p[0]);
		if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
			_exit(EPERM);
		if (workdir && *workdir && chdir(workdir) < 0 && chdir("/") < 0)
			_exit(EACCES);
		err = exe_search(prog, envp, buf, sizeof(buf));
		pod_write_all(p[1], buf, strlen(buf));
		_exit(err);
	}
	close(p[1]);
	if (c < 0) {
		close(p[0]);
		return -errno;
	}
	do {
		n = read(p[0], buf, sizeof(buf) - 1);
	} while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n > 0) {
		buf[n] = '\0';
		snprintf(found, len, "%s", buf);
	}
	while (waitpid(c, &ws, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(ws))
		return -ECHILD;
	return -WEXITSTATUS(ws);
}

/* The container process, PID 1 of its own PID namespace: enters the pod,
 * makes its file system view, forks the program and stays as its init.
 * Never returns.
 *
 * A PID namespace per container, as Kubernetes without
 * shareProcessNamespace: a container sees its own processes only, and a
 * restart starts from an empty one. */
static void container_main(const struct pod_launch *l, int out_w, int err_w, int status_w)
{
	int in, fd;
	pid_t prog;

	pod_cg_join(l->cg);
	/* Without the runtime's ends, stdin and the hold see EOF when the
	 * runtime closes them. */
	for (int i = 0; i < 3; i++)
		if (l->keep[i] >= 0)
			close(l->keep[i]);
	setsid();
	reset_signals(false);
	{
		/* Until the program exists, a signal for the container (the
		 * runtime stopping it early) waits here, pending: the init
		 * hands it on once it has forked the program. */
		sigset_t all;

		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
	}
	if (l->tty >= 0) {
		dup2(l->tty, 0);
		dup2(l->tty, 1);
		dup2(l->tty, 2);
		ioctl(0, TIOCSCTTY, 0);
	} else {
		in = l->stdin_r >= 0 ? l->stdin_r : open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in >= 0 && in != 0)
			dup2(in, 0);
		dup2(out_w, 1);
		dup2(err_w, 2);
	}
	fd = open(l->netns, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		die("entering the pod network", errno);
	close(fd);
	if (unshare(CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWIPC) < 0)
		die("unshare", errno);
	/* Mounts made here stay here; the host's still reach us. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		die("making / a slave mount", errno);
	if (sethostname(l->hostname, strlen(l->hostname)) < 0)
		die("sethostname", errno);
	pod_iso_view(l);
	{
		/* The pod's files first: a volume may be mounted over them. */
		struct pod_mount files[] = {{l->resolv, "/etc/resolv.conf", true},
		                            {l->hosts, "/etc/hosts", true}};

		pod_mounts_apply(files, 2);
	}
	pod_mounts_apply(l->mounts, l->nmounts);
	pod_iso_hide(l->hide);
	prog = fork();
	if (prog < 0)
		die("fork", errno);
	if (prog > 0) {
		int keep[] = {status_w};

		close(0);
		close(1);
		close(2);
		close_except(keep, 1);
		pod_iso_init(prog, status_w);
	}
	close(status_w);
	reset_signals(false);
	if (l->go_r >= 0) {
		char c;

		while (read(l->go_r, &c, 1) < 0 && errno == EINTR)
			;
	}
	pod_iso_become(&l->creds);
	if (chdir(l->workdir && *l->workdir ? l->workdir : "/") < 0) {
		dprintf(2, "k1s: chdir %s: %s\n", l->workdir, strerror(errno));
		_exit(128);
	}
	if (l->exe_fd >= 0)
		exec_fd(l->exe_fd, l->argv, l->envp);
	syscall(SYS_close_range, 3U, ~0U, 0);
	exec_argv(l->argv, l->envp);
}

void pod_proc_shim_run(const struct pod_launch *l, int note)
{
	int op[2] = {-1, -1}, ep[2] = {-1, -1}, sp[2] = {-1, -1};
	int pidfd, status, lerr, prog_status;
	struct pod_log *log;
	pid_t cpid;

	setsid();
	reset_signals(true);
	{
		/* The shim is exec'd with only these: what else its start
		 * may have opened goes, so that the container holds nothing
		 * but what it needs. */
		int keep[] = {note, l->stdin_r, l->tty, l->go_r, l->exe_fd};

		close_except(keep, 5);
	}
	prctl(PR_SET_NAME, "k1s-shim", 0, 0, 0);
	pod_oom_adj_write(POD_OOM_SHIM);
	log = pod_log_open(l->log_path, l->log_max_size, l->log_max_files, true, &lerr);
	if (l->tty < 0 && (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0))
		_exit(1);
	/* The container's init tells the program's own wait status here: a
	 * PID 1 cannot die of the program's signal. */
	if (pipe2(sp, O_CLOEXEC | O_NONBLOCK) < 0)
		_exit(1);
	/* The next child is PID 1 of a new PID namespace. */
	if (unshare(CLONE_NEWPID) < 0)
		_exit(1);
	cpid = fork();
	if (cpid == 0) {
		close(sp[0]);
		container_main(l, op[1], ep[1], sp[1]);
	}
	if (cpid < 0)
		_exit(1);
	close(sp[1]);
	pod_write_all(note, &cpid, sizeof(cpid));
	close(note);
	pidfd = pod_pidfd_open(cpid);
	{
		int keep[] = {log ? pod_log_fd(log) : -1, op[0], ep[0], pidfd, sp[0]};

		close_except(keep, 5);
	}
	status = pod_log_pump(log, op[0], ep[0], pidfd, cpid);
	pod_log_close(log);
	/* Without the program's (its init was killed, or failed before the
	 * fork), the init's is the run's. */
	if (read(sp[0], &prog_status, sizeof(prog_status)) == sizeof(prog_status))
		status = prog_status;
	if (l->exit_path) {
		char tmp[1100], line[64];
		struct timespec now;
		int fd;
		int n;

		clock_gettime(CLOCK_REALTIME, &now);
		n = snprintf(line, sizeof(line), "%d %lld\n", status, (long long)now.tv_sec);
		snprintf(tmp, sizeof(tmp), "%s.tmp", l->exit_path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			pod_write_all(fd, line, (size_t)n);
			close(fd);
			rename(tmp, l->exit_path);
		}
	}
	_exit(0);
}

/* The process kubectl exec's pid stands for, in k1s's PID namespace: its
 * child runs argv in the container's. Passes on how argv ended. */
static void enter_wait(pid_t c) __attribute__((noreturn));
static void enter_wait(pid_t c)
{
	struct rlimit none = {0, 0};
	int ws;

	while (waitpid(c, &ws, 0) < 0)
		if (errno != EINTR)
			_exit(128);
	if (WIFEXITED(ws))
		_exit(WEXITSTATUS(ws));
	/* The same signal, without a core file of its own. */
	setrlimit(RLIMIT_CORE, &none);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_IGN);
	signal(WTERMSIG(ws), SIG_DFL);
	{
		sigset_t one;

		sigemptyset(&one);
		sigaddset(&one, WTERMSIG(ws));
		sigprocmask(SIG_UNBLOCK, &one, NULL);
	}
	kill(getpid(), WTERMSIG(ws));
	_exit(128 + WTERMSIG(ws));
}

int pod_proc_enter(pid_t target, char *const argv[], char *const envp[],
                   const struct pod_creds *creds, const char *workdir, int in, int out, int err,
                   bool setsid_tty, pid_t *pid)
{
	/* The mount namespace last: entering it changes the root. */
	static const char *const kinds[] = {"net", "uts", "ipc", "pid", "mnt"};
	static const int types[] = {CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID,
	                            CLONE_NEWNS};
	enum { NNS = 5 };
	int nsfd[NNS];
	char path[64];
	pid_t c;
	int ret = 0;

	for (int i = 0; i < NNS; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)target, kinds[i]);
		nsfd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd[i] < 0)
			ret = -errno;
	}
	if (ret < 0)
		goto out;
	c = fork();
	if (c < 0) {
		ret = -errno;
		goto out;
	}
	if (c == 0) {
		int null;
		sigset_t all;
		pid_t g;

		pod_cg_enter(target);
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		setsid();
		reset_signals(false);
		if (setsid_tty && in >= 0)
			ioctl(in, TIOCSCTTY, 0);
		dup2(in >= 0 ? in : null, 0);
		dup2(out >= 0 ? out : null, 1);
		dup2(err >= 0 ? err : null, 2);
		for (int i = 0; i < NNS; i++)
			if (setns(nsfd[i], types[i]) < 0)
				die("entering the container", errno);
		/* This process stays outside, waiting: the terminal's ^C and
		 * the like are for the program, which decides. */
		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		g = fork();
		if (g < 0)
			die("fork", errno);
		if (g > 0) {
			syscall(SYS_close_range, 0U, ~0U, 0);
			enter_wait(g);
		}
		reset_signals(false);
		pod_iso_become(creds);
		/* It goes when the one the runtime watches goes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (chdir(workdir && *workdir ? workdir : "/") < 0 && chdir("/") < 0)
			_exit(128);
		syscall(SYS_close_range, 3U, ~0U, 0);
		exec_argv(argv, envp);
	}
	*pid = c;
out:
	for (int i = 0; i < NNS; i++)
		if (nsfd[i] >= 0)
			close(nsfd[i]);
	return ret;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

int pod_rmtree(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}
