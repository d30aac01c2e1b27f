/* The pods' cgroups on this host's real hierarchies: a run's process joins
 * them, a memory limit kills with the OOM killer and the end of the run
 * says so, the pids limit stops forks, removal and the sweep leave nothing
 * behind, and a host without writable cgroups runs pods unlimited. Needs
 * root and a memory cgroup (v1 or v2); otherwise SKIP. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
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

static struct pod_cgroups *cgs;
static char uid[64], uid2[64];
/* A parent of the test's own: the sweep below must not reach the pods of
 * a k1s running beside it. */
static char parent[64];

static json_t *spec_of(const char *resources)
{
	char text[512];
	json_t *pod;

	snprintf(text, sizeof(text),
	         "{\"spec\": {\"containers\": [{\"name\": \"main\", \"resources\": %s}]}}",
	         resources);
	pod = json_loads(text, 0, NULL);
	assert_non_null(pod);
	return pod;
}

static const json_t *cspec_of(const json_t *pod)
{
	return json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
}

/* The directory of pid's cgroup in the hierarchy of `ctrl` (v1) or the
 * unified one, where the host mounts them at the usual places. */
static bool cg_of(pid_t pid, const char *ctrl, char *out, size_t len)
{
	char path[64], line[1024];
	FILE *f;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;

		if (!p)
			continue;
		*p++ = '\0';
		p[strcspn(p, "\n")] = '\0';
		if (!strstr(p, parent))
			continue;
		if (strcmp(c + 1, ctrl) == 0)
			snprintf(out, len, "/sys/fs/cgroup/%s%s", ctrl, p);
		else if (c[1] == '\0')
			snprintf(out, len, "/sys/fs/cgroup%s", p);
		else
			continue;
		found = true;
	}
	fclose(f);
	return found;
}

static long long read_num(const char *dir, const char *file)
{
	char path[1200];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Forks a run that joins cg, then does `what`: 's' sleeps, 'm' eats 64
 * MiB, 'f' forks until it cannot (its exit status: how many it made). */
static pid_t run(const struct pod_cg *cg, char what)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	pod_cg_join(cg);
	if (what == 's')
		pause();
	if (what == 'm') {
		size_t n = 64 << 20;
		volatile char *p = malloc(n);

		for (size_t i = 0; p && i < n; i += 4096)
			p[i] = 1;
		_exit(0);
	}
	if (what == 'f') {
		int made = 0;

		for (; made < 200; made++) {
			pid_t c = fork();

			if (c < 0)
				break;
			if (c == 0) {
				pause();
				_exit(0);
			}
		}
		_exit(made);
	}
	_exit(0);
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		printf("SKIP: needs root\n");
		exit(77);
	}
	if (access("/sys/fs/cgroup/memory/cgroup.procs", W_OK) != 0 &&
	    access("/sys/fs/cgroup/cgroup.subtree_control", W_OK) != 0) {
		printf("SKIP: no writable memory cgroup\n");
		exit(77);
	}
	snprintf(uid, sizeof(uid), "0000test-cg-%d", (int)getpid());
	snprintf(uid2, sizeof(uid2), "0000test-cg2-%d", (int)getpid());
	snprintf(parent, sizeof(parent), "k1s-test-cg-%d", (int)getpid());
	cgs = pod_cgroups_new(parent, 40, -1);
	assert_non_null(cgs);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pod_cg_pod_remove(cgs, uid);
	pod_cg_pod_remove(cgs, uid2);
	pod_cgroups_free(cgs);
	for (int i = 0; i < 4; i++) {
		static const char *const roots[] = {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu",
		                                    "/sys/fs/cgroup/pids", "/sys/fs/cgroup"};
		char path[256];

		snprintf(path, sizeof(path), "%s/%s", roots[i], parent);
		rmdir(path);
	}
	return 0;
}

static void joins_with_limits(void **state)
{
	json_t *pod = spec_of("{\"limits\": {\"memory\": \"32Mi\", \"cpu\": \"500m\"}, "
	                      "\"requests\": {\"cpu\": \"250m\"}}");
	struct pod_cg *cg = NULL;
	char msg[256] = "", dir[1024];
	pid_t pid;
	int ws;

	(void)state;
	assert_int_equal(pod_cg_new(cgs, pod, cspec_of(pod), uid, "main", 0, &cg, msg, sizeof(msg)),
	                 0);
	pid = run(cg, 's');
	pod_cg_free(cg);
	usleep(100000);
	if (cg_of(pid, "memory", dir, sizeof(dir))) {
		assert_non_null(strstr(dir, "/pod0000test-cg-"));
		assert_non_null(strstr(dir, "/main.0"));
		assert_int_equal(read_num(dir, "memory.limit_in_bytes"), 32 << 20);
		assert_true(cg_of(pid, "cpu", dir, sizeof(dir)));
		assert_int_equal(read_num(dir, "cpu.cfs_quota_us"), 50000);
		assert_int_equal(read_num(dir, "cpu.shares"), 256);
		assert_true(cg_of(pid, "pids", dir, sizeof(dir)));
		assert_int_equal(read_num(dir, "../pids.max"), 40);
	} else {
		assert_true(cg_of(pid, "", dir, sizeof(dir)));
		assert_int_equal(read_num(dir, "memory.max"), 32 << 20);
		assert_int_equal(read_num(dir, "cpu.max"), 50000);
		assert_int_equal(read_num(dir, "../pids.max"), 40);
	}
	/* Burstable (cpu request below its limit), 32 MiB asked. */
	{
		char p[64];

		snprintf(p, sizeof(p), "/proc/%d", (int)pid);
		assert_in_range(read_num(p, "oom_score_adj"), 3, 999);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &ws, 0);
	assert_false(pod_cg_run_ended(cgs, uid, "main", 0));
	assert_int_equal(access(dir, F_OK), -1);
	json_decref(pod);
}

static void oom_kill_seen(void **state)
{
	json_t *pod = spec_of("{\"limits\": {\"memory\": \"16Mi\"}}");
	struct pod_cg *cg = NULL;
	char msg[256] = "";
	pid_t pid;
	int ws;

	(void)state;
	assert_int_equal(pod_cg_new(cgs, pod, cspec_of(pod), uid, "main", 1, &cg, msg, sizeof(msg)),
	                 0);
	pid = run(cg, 'm');
	pod_cg_free(cg);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFSIGNALED(ws));
	assert_int_equal(WTERMSIG(ws), SIGKILL);
	assert_true(pod_cg_run_ended(cgs, uid, "main", 1));
	/* The next run has a cgroup of its own: no OOM there. */
	assert_int_equal(pod_cg_new(cgs, pod, cspec_of(pod), uid, "main", 2, &cg, msg, sizeof(msg)),
	                 0);
	pid = run(cg, 'x');
	pod_cg_free(cg);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_false(pod_cg_run_ended(cgs, uid, "main", 2));
	json_decref(pod);
}

static void pids_limit(void **state)
{
	json_t *pod = spec_of("{}");
	struct pod_cg *cg = NULL;
	char msg[256] = "";
	pid_t pid;
	int ws;

	(void)state;
	assert_int_equal(pod_cg_new(cgs, pod, cspec_of(pod), uid2, "bomb", 0, &cg, msg, sizeof(msg)),
	                 0);
	pid = run(cg, 'f');
	pod_cg_free(cg);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	/* 40 in all, the forking process included. */
	assert_int_equal(WEXITSTATUS(ws), 39);
	/* Its children are left behind: the end of the run takes them. */
	assert_false(pod_cg_run_ended(cgs, uid2, "bomb", 0));
	json_decref(pod);
}

static bool known_uid(void *arg, const char *u)
{
	return strcmp(u, arg) == 0;
}

static void removal_and_sweep(void **state)
{
	json_t *pod = spec_of("{}");
	struct pod_cg *cg = NULL;
	char msg[256] = "", d1[1024], d2[1024];
	pid_t p1, p2;
	int ws;

	(void)state;
	assert_int_equal(pod_cg_new(cgs, pod, cspec_of(pod), uid, "a", 3, &cg, msg, sizeof(msg)), 0);
	p1 = run(cg, 's');
	pod_cg_free(cg);
	assert_int_equal(pod_cg_new(cgs, pod, cspec_of(pod), uid2, "b", 0, &cg, msg, sizeof(msg)), 0);
	p2 = run(cg, 's');
	pod_cg_free(cg);
	usleep(100000);
	assert_true(cg_of(p1, "memory", d1, sizeof(d1)) || cg_of(p1, "", d1, sizeof(d1)));
	assert_true(cg_of(p2, "memory", d2, sizeof(d2)) || cg_of(p2, "", d2, sizeof(d2)));
	/* The sweep keeps uid's, removes uid2's with its process. */
	pod_cg_sweep(cgs, known_uid, uid);
	assert_int_equal(waitpid(p2, &ws, 0), p2);
	assert_true(WIFSIGNALED(ws));
	assert_int_equal(access(d2, F_OK), -1);
	assert_int_equal(access(d1, F_OK), 0);
	/* The pod goes: its run and its own cgroup too. */
	pod_cg_pod_remove(cgs, uid);
	assert_int_equal(waitpid(p1, &ws, 0), p1);
	assert_int_equal(access(d1, F_OK), -1);
	strcat(d1, "/..");
	assert_int_equal(access(d1, F_OK), -1);
	json_decref(pod);
}

/* Where no cgroup can be made (here: an empty tmpfs over /sys/fs/cgroup
 * in a mount namespace of our own), runs go on without. */
static void without_cgroups(void **state)
{
	pid_t pid = fork();
	int ws;

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0) {
		json_t *pod = spec_of("{\"limits\": {\"memory\": \"16Mi\"}}");
		struct pod_cgroups *none;
		struct pod_cg *cg = NULL;
		char msg[256];

		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", "/sys/fs/cgroup", "tmpfs", MS_RDONLY, NULL) < 0)
			_exit(77);
		none = pod_cgroups_new(parent, 40, -1);
		if (!none || pod_cg_new(none, pod, cspec_of(pod), uid, "main", 0, &cg, msg,
		                        sizeof(msg)) != 0 || !cg)
			_exit(1);
		pid = run(cg, 'm');
		if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
			_exit(2); /* 64 MiB ate with no limit */
		if (pod_cg_run_ended(none, uid, "main", 0))
			_exit(3);
		pod_cg_free(cg);
		pod_cgroups_free(none);
		json_decref(pod);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	if (WEXITSTATUS(ws) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(ws), 0);
}

/* The pods' parent is capped at the node's memory less the reserve. */
static void memory_reserved(void **state)
{
	int64_t cap = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
	int64_t page = sysconf(_SC_PAGESIZE), want;
	char name[80], dir[200];
	struct pod_cgroups *r;

	(void)state;
	snprintf(name, sizeof(name), "%s-r", parent);
	for (int i = 0; i < 2; i++) {
		int64_t reserved = i == 0 ? 300 << 20 : 0;

		r = pod_cgroups_new(name, 40, reserved);
		assert_non_null(r);
		pod_cgroups_free(r);
		if (!reserved)
			reserved = cap / 10 > POD_MEM_RESERVED_MIN ? cap / 10 : POD_MEM_RESERVED_MIN;
		want = (cap - reserved) / page * page;
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory/%s", name);
		if (access(dir, F_OK) == 0) {
			assert_int_equal(read_num(dir, "memory.limit_in_bytes"), want);
		} else {
			snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s", name);
			assert_int_equal(read_num(dir, "memory.max"), want);
		}
	}
	for (int i = 0; i < 4; i++) {
		static const char *const roots[] = {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu",
		                                    "/sys/fs/cgroup/pids", "/sys/fs/cgroup"};

		snprintf(dir, sizeof(dir), "%s/%s", roots[i], name);
		rmdir(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(joins_with_limits), cmocka_unit_test(oom_kill_seen),
	    cmocka_unit_test(pids_limit),        cmocka_unit_test(removal_and_sweep),
	    cmocka_unit_test(without_cgroups),   cmocka_unit_test(memory_reserved),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
