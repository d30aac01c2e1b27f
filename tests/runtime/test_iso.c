/* The container's isolation, unit by unit: capabilities from a
 * securityContext, and the file system view with its mount points (those
 * that do not exist are made without touching the host's file system).
 * The view needs root; without it those tests skip. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "pod_rt_int.h"

static uint64_t caps_of(const char *json, int want_err)
{
	json_t *sc = json_loads(json, 0, NULL);
	char msg[128] = "";
	uint64_t caps = 99;

	assert_non_null(sc);
	assert_int_equal(pod_caps_parse(sc, &caps, msg, sizeof(msg)), want_err);
	if (want_err)
		assert_string_equal(msg, "unknown capability \"FLY\"");
	json_decref(sc);
	return caps;
}

static void capabilities(void **state)
{
	(void)state;
	assert_true(caps_of("{}", 0) == 0);
	assert_true(caps_of("{\"capabilities\":{\"add\":[\"NET_BIND_SERVICE\"]}}", 0) == 1ULL
	                                                                                     << 10);
	/* containerd takes CAP_ too, in any case. */
	assert_true(caps_of("{\"capabilities\":{\"add\":[\"CAP_NET_RAW\",\"chown\"]}}", 0) ==
	            ((1ULL << 13) | 1ULL));
	assert_true(caps_of("{\"capabilities\":{\"add\":[\"NET_RAW\",\"KILL\"],"
	                    "\"drop\":[\"KILL\"]}}",
	                    0) == 1ULL << 13);
	/* drop ALL is the default set's: what add names stays. */
	assert_true(caps_of("{\"capabilities\":{\"add\":[\"NET_ADMIN\"],\"drop\":[\"ALL\"]}}", 0) ==
	            1ULL << 12);
	assert_true(caps_of("{\"capabilities\":{\"add\":[\"ALL\"]}}", 0) == (1ULL << 41) - 1);
	caps_of("{\"capabilities\":{\"add\":[\"NET_RAW\",\"FLY\"]}}", -EINVAL);
}

static char dir[64];

static int check(bool ok, const char *what)
{
	if (!ok)
		fprintf(stderr, "view: %s (%s)\n", what, strerror(errno));
	return ok ? 0 : 1;
}

static int write_to(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* In a child in its own mount namespace: the view, a writable volume at
 * a new directory under /, a read-only one at a new file under /etc. */
static int view_child(const char *vol, const char *conf, const char *data, const char *top,
                      const char *etc)
{
	struct pod_launch l = {0};
	char vdst[256], cdst[256], ldst[256], path[300], buf[16] = "";
	int bad = 0, fd;

	snprintf(vdst, sizeof(vdst), "%s/a/b", top);
	snprintf(cdst, sizeof(cdst), "%s/x.conf", etc);
	snprintf(ldst, sizeof(ldst), "%s/dangling", dir);
	/* The third: over a symlink to nowhere, as /etc/resolv.conf into
	 * systemd-resolved's /run. */
	struct pod_mount m[] = {{vol, vdst, false}, {conf, cdst, true}, {conf, ldst, true}};

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return 100;
	l.creds.uid = 12345;
	pod_iso_view(&l);
	pod_mounts_apply(m, 3);
	pod_iso_hide(data);
	snprintf(path, sizeof(path), "%s/hello", vdst);
	fd = open(path, O_RDONLY);
	bad += check(fd >= 0 && read(fd, buf, sizeof(buf)) == 3 && !memcmp(buf, "hi\n", 3),
	             "volume content");
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/new", vdst);
	bad += check(write_to(path) == 0, "writable volume");
	bad += check(write_to(cdst) == -EROFS, "read-only volume");
	bad += check(access(cdst, R_OK) == 0, "read-only volume readable");
	bad += check(access(ldst, R_OK) == 0, "volume over a dangling symlink");
	bad += check(access("/run/dbus", F_OK) < 0, "the host's /run hidden");
	/* What the scaffolds covered is still there, read-only. */
	bad += check(access("/etc/passwd", R_OK) == 0, "/etc/passwd");
	bad += check(access("/bin/sh", X_OK) == 0, "/bin/sh");
	bad += check(write_to("/etc/k1s-view-test") == -EROFS, "/etc read-only");
	bad += check(write_to("/k1s-view-test") == -EROFS, "/ read-only");
	bad += check(write_to("/tmp/mine") == 0, "private /tmp");
	snprintf(path, sizeof(path), "%s/store", data);
	bad += check(access(path, F_OK) < 0, "data directory hidden");
	bad += check(access("/dev/null", W_OK) == 0 && access("/dev/sda", F_OK) < 0 &&
	                 access("/dev/mem", F_OK) < 0,
	             "minimal /dev");
	return bad;
}

static void view_and_mount_points(void **state)
{
	char vol[100], conf[100], data[100], top[100], etc[100], path[200];
	struct stat st;
	int ws, fd;
	pid_t c;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(vol, sizeof(vol), "%s/vol", dir);
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(top, sizeof(top), "/k1s-view-%d", (int)getpid());
	snprintf(etc, sizeof(etc), "/etc/k1s-view-%d", (int)getpid());
	assert_int_equal(mkdir(vol, 0755), 0);
	assert_int_equal(mkdir(data, 0700), 0);
	snprintf(path, sizeof(path), "%s/hello", vol);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0 && write(fd, "hi\n", 3) == 3);
	close(fd);
	assert_int_equal(write_to(conf), 0);
	snprintf(path, sizeof(path), "%s/store", data);
	assert_int_equal(write_to(path), 0);
	snprintf(path, sizeof(path), "%s/dangling", dir);
	assert_int_equal(symlink("/run/k1s-test-nowhere/x", path), 0);
	c = fork();
	if (c == 0)
		_exit(view_child(vol, conf, data, top, etc));
	assert_true(c > 0);
	assert_int_equal(waitpid(c, &ws, 0), c);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	/* The writable volume wrote through; the host gained no mount point. */
	snprintf(path, sizeof(path), "%s/new", vol);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(stat(top, &st), -1);
	assert_int_equal(stat(etc, &st), -1);
}

static int setup(void **state)
{
	(void)state;
	/* Not under /tmp: the view has its own. */
	snprintf(dir, sizeof(dir), "/var/lib/test_iso.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[100];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(capabilities),
	    cmocka_unit_test(view_and_mount_points),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
