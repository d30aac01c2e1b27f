/* The container's isolation, inside its processes: the file system it
 * sees, who it is and what it may do, and the init that is PID 1 of its
 * PID namespace. What a pod must not reach: another pod's processes (own
 * PID namespace, own uid), k1s's data (an empty directory over it), the
 * host's files (read-only), the kernel's knobs (no capabilities). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/openat2.h>

#include "pod_rt_int.h"

/* By number, as linux/capability.h has them; the names containerd takes. */
static const char *const cap_names[] = {
    [CAP_CHOWN] = "CHOWN",
    [CAP_DAC_OVERRIDE] = "DAC_OVERRIDE",
    [CAP_DAC_READ_SEARCH] = "DAC_READ_SEARCH",
    [CAP_FOWNER] = "FOWNER",
    [CAP_FSETID] = "FSETID",
    [CAP_KILL] = "KILL",
    [CAP_SETGID] = "SETGID",
    [CAP_SETUID] = "SETUID",
    [CAP_SETPCAP] = "SETPCAP",
    [CAP_LINUX_IMMUTABLE] = "LINUX_IMMUTABLE",
    [CAP_NET_BIND_SERVICE] = "NET_BIND_SERVICE",
    [CAP_NET_BROADCAST] = "NET_BROADCAST",
    [CAP_NET_ADMIN] = "NET_ADMIN",
    [CAP_NET_RAW] = "NET_RAW",
    [CAP_IPC_LOCK] = "IPC_LOCK",
    [CAP_IPC_OWNER] = "IPC_OWNER",
    [CAP_SYS_MODULE] = "SYS_MODULE",
    [CAP_SYS_RAWIO] = "SYS_RAWIO",
    [CAP_SYS_CHROOT] = "SYS_CHROOT",
    [CAP_SYS_PTRACE] = "SYS_PTRACE",
    [CAP_SYS_PACCT] = "SYS_PACCT",
    [CAP_SYS_ADMIN] = "SYS_ADMIN",
    [CAP_SYS_BOOT] = "SYS_BOOT",
    [CAP_SYS_NICE] = "SYS_NICE",
    [CAP_SYS_RESOURCE] = "SYS_RESOURCE",
    [CAP_SYS_TIME] = "SYS_TIME",
    [CAP_SYS_TTY_CONFIG] = "SYS_TTY_CONFIG",
    [CAP_MKNOD] = "MKNOD",
    [CAP_LEASE] = "LEASE",
    [CAP_AUDIT_WRITE] = "AUDIT_WRITE",
    [CAP_AUDIT_CONTROL] = "AUDIT_CONTROL",
    [CAP_SETFCAP] = "SETFCAP",
    [CAP_MAC_OVERRIDE] = "MAC_OVERRIDE",
    [CAP_MAC_ADMIN] = "MAC_ADMIN",
    [CAP_SYSLOG] = "SYSLOG",
    [CAP_WAKE_ALARM] = "WAKE_ALARM",
    [CAP_BLOCK_SUSPEND] = "BLOCK_SUSPEND",
    [CAP_AUDIT_READ] = "AUDIT_READ",
    [CAP_PERFMON] = "PERFMON",
    [CAP_BPF] = "BPF",
    [CAP_CHECKPOINT_RESTORE] = "CHECKPOINT_RESTORE",
};
#define NCAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

static void die(const char *what, int err)
{
	dprintf(2, "k1s: %s: %s\n", what, strerror(err));
	_exit(128);
}

/* The capabilities named in array `a`: a mask, or -1 with the bad name. */
static int caps_of(const json_t *a, uint64_t *mask, char *msg, size_t len)
{
	const json_t *v;
	size_t i;

	*mask = 0;
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		int n;

		if (!s)
			continue;
		if (strcmp(s, "ALL") == 0) {
			*mask = NCAPS >= 64 ? ~0ULL : (1ULL << NCAPS) - 1;
			continue;
		}
		/* containerd takes either spelling. */
		if (strncasecmp(s, "CAP_", 4) == 0)
			s += 4;
		for (n = 0; n < NCAPS; n++)
			if (strcasecmp(s, cap_names[n]) == 0)
				break;
		if (n == NCAPS) {
			snprintf(msg, len, "unknown capability \"%s\"", json_string_value(v));
			return -1;
		}
		*mask |= 1ULL << n;
	}
	return 0;
}

int pod_caps_parse(const json_t *csc, uint64_t *caps, char *msg, size_t len)
{
	const json_t *c = json_object_get(csc, "capabilities");
	uint64_t add, drop;

	*caps = 0;
	if (caps_of(json_object_get(c, "add"), &add, msg, len) < 0 ||
	    caps_of(json_object_get(c, "drop"), &drop, msg, len) < 0)
		return -EINVAL;
	/* The runtime's default set is empty here: "drop: [ALL]" removes that
	 * default and keeps what add names (containerd's order); a name both
	 * added and dropped is dropped. */
	{
		const json_t *d;
		size_t i;
		bool all = false;

		json_array_foreach(json_object_get(c, "drop"), i, d) all |=
		    json_is_string(d) && strcmp(json_string_value(d), "ALL") == 0;
		*caps = all ? add : add & ~drop;
	}
	return 0;
}

/* ---- the file system ---- */

static void mount_or_die(const char *src, const char *dst, const char *type, unsigned long flags,
                         const char *data)
{
	char what[600];

	if (mount(src, dst, type, flags, data) < 0) {
		snprintf(what, sizeof(what), "mounting %s", dst);
		die(what, errno);
	}
}

static void tmpfs_at(const char *dst, const char *mode)
{
	struct stat st;
	char opts[64];

	if (stat(dst, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	snprintf(opts, sizeof(opts), "mode=%s,size=64m", mode);
	mount_or_die("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, opts);
}

/* A bind of `path` onto itself, read-only. */
static void readonly_at(const char *path)
{
	if (access(path, F_OK) < 0)
		return;
	mount_or_die(path, path, NULL, MS_BIND | MS_REC, NULL);
	mount_or_die(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
}

/* A /dev of the nodes every program expects, as runc makes: no disk, no
 * memory, nothing a root without capabilities could open to escape. */
static void dev_minimal(void)
{
	static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
	int fds[6], pts;
	char path[64];

	for (int i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "/dev/%s", nodes[i]);
		fds[i] = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	}
	/* The terminal of a tty container is a pty of the host's devpts. */
	pts = open_tree(AT_FDCWD, "/dev/pts", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	mount_or_die("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k");
	for (int i = 0; i < 6; i++) {
		int fd;

		if (fds[i] < 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", nodes[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
		if (fd >= 0)
			close(fd);
		if (move_mount(fds[i], "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die(path, errno);
		close(fds[i]);
	}
	mkdir("/dev/pts", 0755);
	if (pts >= 0) {
		if (move_mount(pts, "", AT_FDCWD, "/dev/pts", MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die("/dev/pts", errno);
		close(pts);
	}
	mkdir("/dev/shm", 01777);
	mkdir("/dev/mqueue", 01777);
	if (symlink("pts/ptmx", "/dev/ptmx") < 0 || symlink("/proc/self/fd", "/dev/fd") < 0 ||
	    symlink("/proc/self/fd/0", "/dev/stdin") < 0 ||
	    symlink("/proc/self/fd/1", "/dev/stdout") < 0 ||
	    symlink("/proc/self/fd/2", "/dev/stderr") < 0)
		die("/dev", errno);
}

static int host_tree = -1;

/* Kernels before 6.15 clone (open_tree OPEN_TREE_CLONE) only from mounts
 * of the caller's namespace, not from a detached copy: fs/namespace.c's
 * __do_loopback fails check_mnt() with EINVAL (Debian 12's 6.1 does). There
 * the copy is attached in this namespace, on /tmp, which the container's
 * own tmpfs covers next (pod_iso_view), so no path reaches it. */
static void attach_if_kernel_needs(int tree)
{
	int probe = open_tree(tree, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);

	if (probe >= 0) {
		close(probe);
		return;
	}
	if (errno != EINVAL)
		die("copying the mount tree", errno);
	if (move_mount(tree, "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die("attaching the copy of the mount tree", errno);
}

int pod_iso_host_tree(void)
{
	return host_tree;
}

void pod_iso_view(const struct pod_launch *l)
{
	/* A copy of the host's tree as it is, writable where it is: the
	 * sources of binds (in k1s's data directory, perhaps under /tmp)
	 * are found there once the view covers them. */
	host_tree = open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (host_tree < 0)
		die("copying the mount tree", errno);
	attach_if_kernel_needs(host_tree);
	if (!l->creds.privileged) {
		struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

		/* Every mount the host has, and submounts, read-only here:
		 * what follows is mounted over it, writable where it must. */
		if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
			die("making / read-only", errno);
		dev_minimal();
	}
	/* The PID namespace's own /proc: its processes and no other. */
	mount_or_die("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (!l->creds.privileged) {
		/* runc's read-only paths: a root user still owns these. */
		readonly_at("/proc/sys");
		readonly_at("/proc/sysrq-trigger");
		readonly_at("/proc/irq");
		readonly_at("/proc/bus");
	}
	if (!l->creds.privileged) {
		/* The host's daemons' sockets are there: a socket on a
		 * read-only mount still answers, and root owns most. */
		tmpfs_at("/run", "755");
	}
	tmpfs_at("/tmp", "1777");
	tmpfs_at("/var/tmp", "1777");
	tmpfs_at("/dev/shm", "1777");
}

void pod_iso_hide(const char *dir)
{
	struct stat st;

	if (!dir || !*dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	mount_or_die("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
	             "mode=755,size=4k");
}

/* ---- who it is ---- */

static int last_cap(void)
{
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC), n = NCAPS - 1;
	char buf[16] = "";

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			n = atoi(buf);
		close(fd);
	}
	return n < NCAPS - 1 ? n : NCAPS - 1;
}

void pod_iso_become(const struct pod_creds *cr)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	int last = last_cap();
	uint64_t caps = cr->caps;

	if (cr->privileged) {
		/* Root with every capability, as a privileged container. */
		if (setgroups(cr->ngroups, cr->groups) < 0 || setgid(cr->gid) < 0 ||
		    setuid(cr->uid) < 0)
			die("setuid", errno);
		return;
	}
	if (last < 63)
		caps &= (1ULL << (last + 1)) - 1;
	/* The bounding set first, while we may still change it: what execve
	 * can give back to a root program. */
	for (int c = 0; c <= last; c++)
		if (!(caps & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			die("dropping capabilities", errno);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die("keepcaps", errno);
	if (setgroups(cr->ngroups, cr->groups) < 0)
		die("setgroups", errno);
	if (setgid(cr->gid) < 0)
		die("setgid", errno);
	if (setuid(cr->uid) < 0)
		die("setuid", errno);
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = d[0].inheritable = (uint32_t)caps;
	d[1].effective = d[1].permitted = d[1].inheritable = (uint32_t)(caps >> 32);
	if (syscall(SYS_capset, &h, d) < 0)
		die("capset", errno);
	/* Ambient: a program that is not root keeps what was added (e.g.
	 * NET_BIND_SERVICE) across execve, as containerd sets it. */
	for (int c = 0; c <= last; c++)
		if ((caps & (1ULL << c)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			die("ambient capabilities", errno);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		die("keepcaps", errno);
	if (cr->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("no_new_privs", errno);
}

/* ---- PID 1 ---- */

void pod_iso_init(pid_t child, int status_fd)
{
	int ws = 0;

	prctl(PR_SET_NAME, "k1s-init", 0, 0, 0);
	/* Its program may share its uid (root): not a process to trace. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Signals need no forwarding: the runtime signals the container's
	 * process group, which the program is in, and the init keeps every
	 * signal blocked (SIGKILL from outside ends the namespace). Only
	 * those that came before the program existed, pending here, are
	 * handed on. */
	{
		sigset_t early;

		if (sigpending(&early) == 0)
			for (int s = 1; s < NSIG; s++)
				if (s != SIGCHLD && sigismember(&early, s) == 1)
					kill(child, s);
	}
	for (;;) {
		pid_t p = waitpid(-1, &ws, 0);

		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			break;
		if (p == child)
			break;
		/* An orphan, reparented here: reaped, as tini does. */
	}
	if (status_fd >= 0) {
		ssize_t n;

		do {
			n = write(status_fd, &ws, sizeof(ws));
		} while (n < 0 && errno == EINTR);
	}
	/* Exiting ends every other process of the namespace. */
	_exit(0);
}

/* ---- mount points (pod_mounts_apply, declared with the processes) ---- */

#define SCAFFOLD_MAX 1024

/* Makes `rest` (a relative path of one or more components) exist under
 * directory `dir` of this mount namespace, the last component a directory
 * or a file: over `dir` goes an empty tmpfs, into which its entries are
 * bound back (symlinks copied), with the new path beside them. */
static void scaffold(const char *dir, const char *rest, bool want_dir)
{
	int fds[SCAFFOLD_MAX], n = 0, fs, t, d;
	char names[SCAFFOLD_MAX][256], path[4096], links[SCAFFOLD_MAX / 8][256];
	int nlinks = 0, link_of[SCAFFOLD_MAX];
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	struct dirent *e;
	DIR *dp = opendir(dir);
	size_t first = strcspn(rest, "/");

	if (!dp)
		die(dir, errno);
	while ((e = readdir(dp))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		/* What the new path replaces: a dangling symlink, such as
		 * /etc/resolv.conf into a /run the container has its own of. */
		if (strlen(e->d_name) == first && strncmp(e->d_name, rest, first) == 0)
			continue;
		if (n == SCAFFOLD_MAX || strlen(e->d_name) >= sizeof(names[0]))
			die(dir, E2BIG);
		snprintf(names[n], sizeof(names[n]), "%s", e->d_name);
		link_of[n] = -1;
		fds[n] = -1;
		if (e->d_type == DT_LNK) {
			ssize_t k;

			if (nlinks == SCAFFOLD_MAX / 8)
				die(dir, E2BIG);
			k = readlinkat(dirfd(dp), e->d_name, links[nlinks], sizeof(links[0]) - 1);
			if (k < 0)
				die(e->d_name, errno);
			links[nlinks][k] = '\0';
			link_of[n] = nlinks++;
		} else {
			fds[n] = open_tree(dirfd(dp), e->d_name,
			                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
			if (fds[n] < 0)
				die(e->d_name, errno);
		}
		n++;
	}
	closedir(dp);
	/* A detached tmpfs, filled with the mount points, then put over dir. */
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "mode", "755", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", "1m", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die("scaffold tmpfs", errno);
	t = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (t < 0)
		die("scaffold tmpfs", errno);
	close(fs);
	for (int i = 0; i < n; i++) {
		struct stat st;

		if (link_of[i] >= 0) {
			if (symlinkat(links[link_of[i]], t, names[i]) < 0)
				die(names[i], errno);
			continue;
		}
		if (fstat(fds[i], &st) < 0)
			die(names[i], errno);
		if (S_ISDIR(st.st_mode) ? mkdirat(t, names[i], 0755) < 0
		                        : mknodat(t, names[i], S_IFREG | 0644, 0) < 0)
			die(names[i], errno);
	}
	/* The new path, component by component. */
	d = dup(t);
	for (const char *r = rest; *r;) {
		size_t k = strcspn(r, "/");
		char name[256];
		bool last = r[k] == '\0';
		int next;

		snprintf(name, sizeof(name), "%.*s", (int)k, r);
		if (last && !want_dir) {
			next = openat(d, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		} else {
			if (mkdirat(d, name, 0755) < 0 && errno != EEXIST)
				die(name, errno);
			next = openat(d, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		}
		if (next < 0)
			die(name, errno);
		close(d);
		d = next;
		r += k + !last;
	}
	close(d);
	if (mount_setattr(t, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		die("scaffold", errno);
	if (move_mount(t, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die(dir, errno);
	if (strcmp(dir, "/") == 0) {
		/* A mount over the root is not seen by lookups from the
		 * root: it becomes the root (setns into the namespace finds it
		 * too, on top of the namespace's root). */
		if (fchdir(t) < 0 || chroot(".") < 0 || chdir("/") < 0)
			die("scaffold root", errno);
	}
	close(t);
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, names[i]);
		if (move_mount(fds[i], "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die(path, errno);
		close(fds[i]);
	}
}

/* Makes mount point `dst` (absolute) exist, a directory or a file. */
static void mount_point(const char *dst, bool want_dir)
{
	char prefix[4096], real[4096];
	const char *p = dst;
	struct stat st;

	if (stat(dst, &st) == 0)
		return;
	if (dst[0] != '/' || strstr(dst, "/../") || strlen(dst) >= sizeof(prefix))
		die(dst, EINVAL);
	/* The nearest directory that exists. */
	snprintf(prefix, sizeof(prefix), "/");
	for (;;) {
		size_t k;

		while (*p == '/')
			p++;
		k = strcspn(p, "/");
		if (!k)
			break;
		snprintf(real, sizeof(real), "%s%s%.*s", prefix, strcmp(prefix, "/") ? "/" : "",
		         (int)k, p);
		if (stat(real, &st) < 0)
			break;
		if (!S_ISDIR(st.st_mode))
			die(dst, ENOTDIR);
		snprintf(prefix, sizeof(prefix), "%s", real);
		p += k;
	}
	if (!realpath(prefix, real))
		die(prefix, errno);
	{
		char rest[4096];
		size_t len = strlen(p);

		/* Without trailing slashes. */
		while (len && p[len - 1] == '/')
			len--;
		snprintf(rest, sizeof(rest), "%.*s", (int)len, p);
		if (strcmp(rest, "..") == 0 || strncmp(rest, "../", 3) == 0)
			die(dst, EINVAL);
		scaffold(real, rest, want_dir);
	}
}

/* A copy of the tree at src, met without following any symlink. */
static int open_src_nofollow(int tree, const char *src)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
	                       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	int at = tree >= 0 ? tree : AT_FDCWD;
	int pfd = (int)syscall(SYS_openat2, at, tree >= 0 && src[0] == '/' ? src + 1 : src, &how,
	                       sizeof(how));
	int fd, err;

	if (pfd < 0)
		return -1;
	fd = open_tree(pfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	err = errno;
	close(pfd);
	errno = err;
	return fd;
}

void pod_mounts_apply(const struct pod_mount *mounts, size_t n)
{
	int tree = pod_iso_host_tree();

	for (size_t i = 0; i < n; i++) {
		const struct pod_mount *m = &mounts[i];
		struct mount_attr a = {0};
		struct stat st;
		int fd;

		if (!m->src)
			continue;
		if (m->nofollow)
			fd = open_src_nofollow(tree, m->src);
		else
			fd = tree >= 0 ? open_tree(tree, m->src[0] == '/' ? m->src + 1 : m->src,
			                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)
			               : open_tree(AT_FDCWD, m->src,
			                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (fd < 0 || fstat(fd, &st) < 0)
			die(m->src, errno);
		if (m->readonly)
			a.attr_set = MOUNT_ATTR_RDONLY;
		else
			a.attr_clr = MOUNT_ATTR_RDONLY;
		if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
			die(m->dst, errno);
		mount_point(m->dst, S_ISDIR(st.st_mode));
		if (move_mount(fd, "", AT_FDCWD, m->dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die(m->dst, errno);
		close(fd);
	}
}
