/* Starting a container's shim: a fresh exec of k1s's own program, not a
 * fork. A fork would copy k1s's address space (its heap grows with the
 * Services) into every shim and write-protect all of k1s's pages on each
 * start; the exec'd shim holds only what it needs, and the container's
 * init is a fork of that small process.
 *
 * posix_spawn (a vfork: nothing of k1s is copied) runs the program with
 * argv[0] POD_SHIM_ARGV0 and the descriptors below at fixed numbers,
 * nothing else open; the launch description (struct pod_launch) comes as
 * JSON on SHIM_FD_DESC, and the shim then goes on as pod_proc_shim_run. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pod.h"
#include "pod_rt_int.h"

extern char **environ;

enum {
	SHIM_FD_DESC = 3,  /* the launch description, read to EOF */
	SHIM_FD_NOTE = 4,  /* the container's pid goes back on it */
	SHIM_FD_STDIN = 5, /* pod_launch.stdin_r */
	SHIM_FD_TTY = 6,   /* pod_launch.tty */
	SHIM_FD_GO = 7,    /* pod_launch.go_r */
	SHIM_FD_EXE = 8,   /* pod_launch.exe_fd */
	SHIM_FD_SELF = 9,  /* the shim's program, while it is exec'd */
	SHIM_NFDS = 10,
};

/* ---- the description ---- */

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();

	for (; a && v && *v; v++)
		if (json_array_append_new(a, json_string(*v)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *launch_json(const struct pod_launch *l)
{
	json_t *mounts = json_array(), *groups = json_array(), *j;

	for (size_t i = 0; mounts && i < l->nmounts; i++)
		json_array_append_new(mounts, json_pack("{s:s,s:s,s:b,s:b}", "src", l->mounts[i].src,
		                                        "dst", l->mounts[i].dst, "readonly",
		                                        l->mounts[i].readonly, "nofollow",
		                                        l->mounts[i].nofollow));
	for (unsigned i = 0; groups && i < l->creds.ngroups; i++)
		json_array_append_new(groups, json_integer(l->creds.groups[i]));
	/* json_pack fails as a whole (and frees what "o" took) on a NULL or a
	 * string that is not UTF-8; "*" leaves out what is NULL. */
	j = json_pack(
	    "{s:o,s:o,s:I,s:I,s:s,s:s,s:s,s:s,s:s*,s:s,s:s*,s:I,s:i,s:b,s:b,s:b,s:b,s:o,s:o*,"
	    "s:{s:I,s:I,s:I,s:b,s:b,s:o},s:s*}",
	    "argv", strv_json(l->argv), "envp", strv_json(l->envp), "uid", (json_int_t)l->uid,
	    "gid", (json_int_t)l->gid, "netns", l->netns, "hostname", l->hostname, "resolv",
	    l->resolv, "hosts", l->hosts, "workdir", l->workdir, "log_path", l->log_path,
	    "exit_path", l->exit_path, "log_max_size", (json_int_t)l->log_max_size,
	    "log_max_files", l->log_max_files, "stdin", l->stdin_r >= 0, "tty", l->tty >= 0, "go",
	    l->go_r >= 0, "exe", l->exe_fd >= 0, "mounts", mounts, "cg",
	    l->cg ? pod_cg_to_json(l->cg) : NULL, "creds", "uid", (json_int_t)l->creds.uid, "gid",
	    (json_int_t)l->creds.gid, "caps", (json_int_t)l->creds.caps, "no_new_privs",
	    l->creds.no_new_privs, "privileged", l->creds.privileged, "groups", groups, "hide",
	    l->hide);
	return j;
}

static char **strv_from(const json_t *a)
{
	size_t n = json_array_size(a);
	char **v;

	if (!json_is_array(a) || !(v = calloc(n + 1, sizeof(*v))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = (char *)json_string_value(json_array_get(a, i)))) {
			free(v);
			return NULL;
		}
	return v;
}

/* l from the description j (whose strings it points into). 0, or -1 for
 * a description that is not one. */
static int launch_from(const json_t *j, struct pod_launch *l)
{
	json_int_t uid, gid, cuid, cgid, caps, max_size;
	int max_files, in, tty, go, exe, nnp, priv;
	json_t *mounts, *cg = NULL, *groups;
	const char *hide = NULL, *workdir = NULL, *exitp = NULL;
	json_error_t err;

	memset(l, 0, sizeof(*l));
	if (json_unpack_ex((json_t *)j, &err, 0,
	                   "{s:I,s:I,s:s,s:s,s:s,s:s,s?s,s:s,s?s,s:I,s:i,s:b,s:b,s:b,s:b,s:o,s?o,"
	                   "s:{s:I,s:I,s:I,s:b,s:b,s:o},s?s}",
	                   "uid", &uid, "gid", &gid, "netns", &l->netns, "hostname", &l->hostname,
	                   "resolv", &l->resolv, "hosts", &l->hosts, "workdir", &workdir,
	                   "log_path", &l->log_path, "exit_path", &exitp, "log_max_size",
	                   &max_size, "log_max_files", &max_files, "stdin", &in, "tty", &tty, "go",
	                   &go, "exe", &exe, "mounts", &mounts, "cg", &cg, "creds", "uid", &cuid,
	                   "gid", &cgid, "caps", &caps, "no_new_privs", &nnp, "privileged", &priv,
	                   "groups", &groups, "hide", &hide) < 0) {
		dprintf(2, "k1s-shim: the launch description: %s\n", err.text);
		return -1;
	}
	l->argv = strv_from(json_object_get(j, "argv"));
	l->envp = strv_from(json_object_get(j, "envp"));
	if (!l->argv || !l->argv[0] || !l->envp || !json_is_array(mounts) ||
	    !json_is_array(groups) || json_array_size(groups) > POD_MAX_GROUPS)
		return -1;
	l->uid = (uid_t)uid;
	l->gid = (gid_t)gid;
	l->workdir = workdir;
	l->exit_path = exitp;
	l->log_max_size = max_size;
	l->log_max_files = max_files;
	l->stdin_r = in ? SHIM_FD_STDIN : -1;
	l->tty = tty ? SHIM_FD_TTY : -1;
	l->go_r = go ? SHIM_FD_GO : -1;
	l->exe_fd = exe ? SHIM_FD_EXE : -1;
	/* The runtime's ends of those were never passed. */
	l->keep[0] = l->keep[1] = l->keep[2] = -1;
	l->shim_exe = -1;
	l->hide = hide;
	l->creds.uid = (uid_t)cuid;
	l->creds.gid = (gid_t)cgid;
	l->creds.caps = (uint64_t)caps;
	l->creds.no_new_privs = nnp;
	l->creds.privileged = priv;
	for (size_t i = 0; i < json_array_size(groups); i++)
		l->creds.groups[l->creds.ngroups++] =
		    (gid_t)json_integer_value(json_array_get(groups, i));
	if (cg && !json_is_null(cg) && !(l->cg = pod_cg_from_json(cg)))
		return -1;
	if (json_array_size(mounts)) {
		struct pod_mount *m = calloc(json_array_size(mounts), sizeof(*m));

		if (!m)
			return -1;
		for (size_t i = 0; i < json_array_size(mounts); i++) {
			int ro, nf;

			if (json_unpack(json_array_get(mounts, i), "{s:s,s:s,s:b,s:b}", "src", &m[i].src,
			                "dst", &m[i].dst, "readonly", &ro, "nofollow", &nf) < 0)
				return -1;
			m[i].readonly = ro;
			m[i].nofollow = nf;
		}
		l->mounts = m;
		l->nmounts = json_array_size(mounts);
	}
	return 0;
}

/* ---- in the shim ---- */

/* The description on fd, to EOF. Not json_loadfd: it reads a byte a
 * call, and 7,000 variables are half a MiB. */
static json_t *desc_read(int fd, json_error_t *err)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	json_t *j = NULL;

	while (buf) {
		ssize_t n;

		if (len == cap) {
			char *more = realloc(buf, cap *= 2);

			if (!more)
				break;
			buf = more;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			j = json_loadb(buf, len, 0, err);
			break;
		}
		len += (size_t)n;
	}
	if (!j && (!buf || len == 0 || err->text[0] == '\0'))
		snprintf(err->text, sizeof(err->text), "nothing on descriptor %d", fd);
	free(buf);
	return j;
}

int pod_shim_main(void)
{
	struct pod_launch l;
	json_error_t err = {.text = ""};
	json_t *desc;

	/* Its name in ps until it forks, and then its own. */
	prctl(PR_SET_NAME, POD_SHIM_ARGV0, 0, 0, 0);
	close(SHIM_FD_SELF);
	desc = desc_read(SHIM_FD_DESC, &err);
	close(SHIM_FD_DESC);
	if (!desc) {
		dprintf(2, "k1s-shim: no launch description (%s): only k1s starts a shim\n",
		        err.text);
		_exit(2);
	}
	if (launch_from(desc, &l) < 0)
		_exit(2);
	/* desc stays: l points into it until the shim exits. */
	pod_proc_shim_run(&l, SHIM_FD_NOTE);
}

/* ---- in k1s ---- */

/* Spawns the shim with src[i] (or nothing, for -1) at descriptor i. */
static int shim_spawn(const int src[SHIM_NFDS], pid_t *shim)
{
	char *const argv[] = {POD_SHIM_ARGV0, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int high[SHIM_NFDS], err = 0;
	sigset_t none, all;

	/* Above every target first, so that no dup2 overwrites a source. */
	for (int i = 0; i < SHIM_NFDS; i++) {
		high[i] = src[i] < 0 ? -1 : fcntl(src[i], F_DUPFD_CLOEXEC, SHIM_NFDS);
		if (src[i] >= 0 && high[i] < 0 && !err)
			err = -errno;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                                  POSIX_SPAWN_SETSID);
	for (int i = 3; i < SHIM_NFDS; i++)
		if (high[i] >= 0)
			posix_spawn_file_actions_adddup2(&fa, high[i], i);
	posix_spawn_file_actions_addclosefrom_np(&fa, SHIM_NFDS);
	/* The sealed copy of k1s when there is one: a binary rebuilt on disk
	 * since k1s started is not the shim. */
	if (!err)
		err = -posix_spawn(shim, high[SHIM_FD_SELF] >= 0 ? "/proc/self/fd/9" : "/proc/self/exe",
		                   &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	for (int i = 0; i < SHIM_NFDS; i++)
		if (high[i] >= 0)
			close(high[i]);
	return err;
}

int pod_proc_launch(const struct pod_launch *l, pid_t *shim, pid_t *pid)
{
	int desc[2], note[2], src[SHIM_NFDS], err;
	json_t *j = launch_json(l);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	pid_t s = 0, c = 0;
	ssize_t n;

	json_decref(j);
	if (!text)
		return -EINVAL;
	if (pipe2(desc, O_CLOEXEC) < 0) {
		free(text);
		return -errno;
	}
	if (pipe2(note, O_CLOEXEC) < 0) {
		err = -errno;
		close(desc[0]);
		close(desc[1]);
		free(text);
		return err;
	}
	for (int i = 0; i < SHIM_NFDS; i++)
		src[i] = -1;
	src[SHIM_FD_DESC] = desc[0];
	src[SHIM_FD_NOTE] = note[1];
	src[SHIM_FD_STDIN] = l->stdin_r;
	src[SHIM_FD_TTY] = l->tty;
	src[SHIM_FD_GO] = l->go_r;
	src[SHIM_FD_EXE] = l->exe_fd;
	src[SHIM_FD_SELF] = l->shim_exe;
	err = shim_spawn(src, &s);
	close(desc[0]);
	close(note[1]);
	/* The shim reads it all before it starts anything: no wait on the
	 * note while it waits for this. */
	if (err == 0)
		err = pod_write_all(desc[1], text, strlen(text));
	close(desc[1]);
	free(text);
	if (err == 0) {
		/* The shim writes the pid as soon as it has forked: a short
		 * wait. */
		do {
			n = read(note[0], &c, sizeof(c));
		} while (n < 0 && errno == EINTR);
		if (n != sizeof(c) || c <= 0)
			err = -ECHILD;
	}
	close(note[0]);
	if (err < 0) {
		if (s > 0) {
			kill(s, SIGKILL);
			waitpid(s, NULL, 0);
		}
		return err;
	}
	*shim = s;
	*pid = c;
	return 0;
}
