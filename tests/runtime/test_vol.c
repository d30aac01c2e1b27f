/* A pod's volumes over a real store and real files: the AtomicWriter's
 * layout (..data, timestamped directory, visible symlinks), updates that
 * swap the whole payload, items, modes, optional, fsGroup, the kubelet's
 * FailedMount words, emptyDir (and its tmpfs, as root), subPath kept
 * inside its volume, and the mounts a container gets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "pod_rt_int.h"
#include "st.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

struct env {
	char dir[256], store[300], pod[300];
	struct st *st;
};

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	int err;

	snprintf(e->dir, sizeof(e->dir), "/tmp/test_vol.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->store, sizeof(e->store), "%s/store", e->dir);
	snprintf(e->pod, sizeof(e->pod), "%s/pod", e->dir);
	assert_int_equal(mkdir(e->store, 0700), 0);
	assert_int_equal(mkdir(e->pod, 0700), 0);
	e->st = st_open(e->store, &(struct st_opts){.sync = ST_SYNC_NORMAL}, &err);
	assert_non_null(e->st);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	pod_vol_teardown(e->pod);
	st_close(e->st);
	pod_rmtree(e->dir);
	free(e);
	return 0;
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (!j)
		fail_msg("bad JSON in test: %s: %s", jerr.text, text);
	return j;
}

/* Puts an object in the store: created, or updated when there. */
static void put(struct env *e, const char *res, const char *name, const char *json)
{
	json_t *o = parse(json), *cur;

	if (st_get(e->st, res, "default", name, &cur) == 0) {
		json_decref(cur);
		assert_int_equal(st_update(e->st, res, "default", name, o, 0), 0);
	} else {
		assert_int_equal(st_create(e->st, res, "default", name, o), 0);
	}
	json_decref(o);
}

/* One pass of the runtime: objects read afresh. */
static int setup_vol(struct env *e, const json_t *p, const char *dir, char *msg, size_t len)
{
	struct pod_vol_objs objs = {.st = e->st};
	int err = pod_vol_setup(&objs, p, dir, msg, len);

	pod_vol_objs_clear(&objs);
	return err;
}

static json_t *pod(const char *volumes)
{
	char text[4096];

	snprintf(text, sizeof(text),
	         "{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\",\"uid\":\"u1\","
	         "\"labels\":{\"app\":\"web\",\"tier\":\"a\\\"b\"}},"
	         "\"spec\":{\"containers\":[{\"name\":\"c\"}],\"volumes\":%s}}",
	         volumes);
	return parse(text);
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void assert_file(const struct env *e, const char *rel, const char *want)
{
	char path[600];
	char *got;

	snprintf(path, sizeof(path), "%s/volumes/%s", e->pod, rel);
	got = slurp(path);
	if (!got)
		fail_msg("%s: %s", rel, strerror(errno));
	assert_string_equal(got, want);
}

static mode_t mode_of(const struct env *e, const char *rel)
{
	char path[600];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/volumes/%s", e->pod, rel);
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static void linkat_of(const struct env *e, const char *rel, char *out, size_t len)
{
	char path[600];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/volumes/%s", e->pod, rel);
	n = readlink(path, out, len - 1);
	if (n < 0)
		fail_msg("readlink %s: %s", rel, strerror(errno));
	out[n] = '\0';
}

#define SEC "kubernetes.io~secret/"
#define CM "kubernetes.io~configmap/"

/* "aGVsbG8=" is hello, "d29ybGQ=" world. */
static void secret_atomic_layout(void **state)
{
	struct env *e = *state;
	json_t *p = pod("[{\"name\":\"creds\",\"secret\":{\"secretName\":\"s\"}}]");
	char msg[512] = "", link[256];

	put(e, "secrets", "s",
	    "{\"metadata\":{\"name\":\"s\",\"namespace\":\"default\"},"
	    "\"data\":{\"user\":\"aGVsbG8=\",\"pass\":\"d29ybGQ=\"}}");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	assert_file(e, SEC "creds/user", "hello");
	assert_file(e, SEC "creds/pass", "world");
	assert_int_equal(mode_of(e, SEC "creds/user"), 0644);
	linkat_of(e, SEC "creds/user", link, sizeof(link));
	assert_string_equal(link, "..data/user");
	linkat_of(e, SEC "creds/..data", link, sizeof(link));
	assert_memory_equal(link, "..", 2);
	assert_non_null(strchr(link, '_'));
	/* Only root reaches the volumes. */
	assert_int_equal(mode_of(e, ""), 0700);
	/* A Secret never reaches the disk. */
	{
		char path[600];
		struct statfs sf;

		snprintf(path, sizeof(path), "%s/volumes/" SEC "creds", e->pod);
		assert_int_equal(statfs(path, &sf), 0);
		assert_int_equal(sf.f_type, TMPFS_MAGIC);
	}
	json_decref(p);
}

static void update_swaps_payload(void **state)
{
	struct env *e = *state;
	json_t *p = pod("[{\"name\":\"creds\",\"secret\":{\"secretName\":\"s\"}}]");
	char msg[512] = "", before[256], after[256], old[600];
	struct stat sb;

	put(e, "secrets", "s",
	    "{\"metadata\":{\"name\":\"s\",\"namespace\":\"default\"},"
	    "\"data\":{\"user\":\"aGVsbG8=\",\"gone\":\"aGVsbG8=\"}}");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	linkat_of(e, SEC "creds/..data", before, sizeof(before));
	/* The same payload again: nothing is rewritten. */
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	linkat_of(e, SEC "creds/..data", after, sizeof(after));
	assert_string_equal(before, after);

	put(e, "secrets", "s",
	    "{\"metadata\":{\"name\":\"s\",\"namespace\":\"default\"},"
	    "\"data\":{\"user\":\"d29ybGQ=\",\"new\":\"aGVsbG8=\"}}");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	linkat_of(e, SEC "creds/..data", after, sizeof(after));
	assert_string_not_equal(before, after);
	assert_file(e, SEC "creds/user", "world");
	assert_file(e, SEC "creds/new", "hello");
	/* A key no longer there leaves no name, the old directory goes. */
	snprintf(old, sizeof(old), "%s/volumes/" SEC "creds/gone", e->pod);
	assert_int_equal(lstat(old, &sb), -1);
	snprintf(old, sizeof(old), "%s/volumes/" SEC "creds/%s", e->pod, before);
	assert_int_equal(lstat(old, &sb), -1);
	json_decref(p);
}

static void items_modes_fsgroup(void **state)
{
	struct env *e = *state;
	json_t *p = pod("[{\"name\":\"conf\",\"configMap\":{\"name\":\"cm\",\"defaultMode\":384,"
	                "\"items\":[{\"key\":\"a\",\"path\":\"dir/a.txt\"},"
	                "{\"key\":\"b\",\"path\":\"b\",\"mode\":256},"
	                "{\"key\":\"c\",\"path\":\"suid\",\"mode\":2541}]}}]");
	char msg[512] = "", path[600];
	struct stat sb;

	put(e, "configmaps", "cm",
	    "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"default\"},"
	    "\"data\":{\"a\":\"AAA\",\"b\":\"BBB\",\"c\":\"CCC\"},"
	    "\"binaryData\":{\"bin\":\"aGVsbG8=\"}}");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	assert_file(e, CM "conf/dir/a.txt", "AAA");
	assert_file(e, CM "conf/b", "BBB");
	assert_int_equal(mode_of(e, CM "conf/dir/a.txt"), 0600);
	assert_int_equal(mode_of(e, CM "conf/b"), 0400);
	/* 04755 asked: no set-uid file in a volume, the API's 0777 at most. */
	assert_int_equal(mode_of(e, CM "conf/suid"), 0755);
	snprintf(path, sizeof(path), "%s/volumes/" CM "conf/c", e->pod);
	assert_int_equal(lstat(path, &sb), -1);
	json_decref(p);

	/* Without items: every key, binaryData decoded; fsGroup's group
	 * can read each file. */
	p = pod("[{\"name\":\"all\",\"configMap\":{\"name\":\"cm\",\"defaultMode\":384}}]");
	json_object_set_new(json_object_get(p, "spec"), "securityContext",
	                    json_pack("{s:i}", "fsGroup", 2345));
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	assert_file(e, CM "all/c", "CCC");
	assert_file(e, CM "all/bin", "hello");
	assert_int_equal(mode_of(e, CM "all/c"), 0640);
	snprintf(path, sizeof(path), "%s/volumes/" CM "all/c", e->pod);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_gid, 2345);
	json_decref(p);
}

static void missing_objects(void **state)
{
	struct env *e = *state;
	json_t *p = pod("[{\"name\":\"creds\",\"secret\":{\"secretName\":\"nope\"}}]");
	char msg[512] = "";

	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), -ENOENT);
	assert_string_equal(msg,
	                    "MountVolume.SetUp failed for volume \"creds\" : secret \"nope\" not found");
	json_decref(p);

	p = pod("[{\"name\":\"conf\",\"configMap\":{\"name\":\"nocm\"}}]");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), -ENOENT);
	assert_string_equal(
	    msg, "MountVolume.SetUp failed for volume \"conf\" : configmap \"nocm\" not found");
	json_decref(p);

	put(e, "configmaps", "cm",
	    "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"default\"},\"data\":{\"a\":\"A\"}}");
	p = pod("[{\"name\":\"conf\",\"configMap\":{\"name\":\"cm\",\"items\":[{\"key\":\"zz\","
	        "\"path\":\"zz\"}]}}]");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "MountVolume.SetUp failed for volume \"conf\" : configmap "
	                         "references non-existent config key: zz");
	json_decref(p);

	/* optional: an empty volume, a missing key skipped. */
	p = pod("[{\"name\":\"o1\",\"secret\":{\"secretName\":\"nope\",\"optional\":true}},"
	        "{\"name\":\"o2\",\"configMap\":{\"name\":\"cm\",\"optional\":true,"
	        "\"items\":[{\"key\":\"zz\",\"path\":\"zz\"},{\"key\":\"a\",\"path\":\"x\"}]}}]");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	assert_file(e, CM "o2/x", "A");
	json_decref(p);

	/* A volume whose object goes later keeps its files. */
	p = pod("[{\"name\":\"conf\",\"configMap\":{\"name\":\"cm\"}}]");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	assert_int_equal(st_delete(e->st, "configmaps", "default", "cm", 0, NULL), 0);
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	assert_file(e, CM "conf/a", "A");
	json_decref(p);

	/* A kind k1s does not have is said, not ignored. */
	p = pod("[{\"name\":\"h\",\"hostPath\":{\"path\":\"/etc\"}}]");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "MountVolume.SetUp failed for volume \"h\" : "));
	json_decref(p);
}

static void bad_paths_refused(void **state)
{
	struct env *e = *state;
	json_t *p;
	char msg[512] = "", path[600];
	struct stat sb;

	assert_true(pod_vol_path_ok("a"));
	assert_true(pod_vol_path_ok("a/b.c"));
	assert_true(pod_vol_path_ok(".hidden"));
	assert_false(pod_vol_path_ok(""));
	assert_false(pod_vol_path_ok("/etc/passwd"));
	assert_false(pod_vol_path_ok("../x"));
	assert_false(pod_vol_path_ok("a/../../x"));
	assert_false(pod_vol_path_ok("..data"));
	assert_false(pod_vol_path_ok("a//b"));
	assert_false(pod_vol_path_ok("a/"));

	put(e, "configmaps", "cm",
	    "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"default\"},\"data\":{\"a\":\"A\"}}");
	p = pod("[{\"name\":\"conf\",\"configMap\":{\"name\":\"cm\",\"items\":[{\"key\":\"a\","
	        "\"path\":\"../../escape\"}]}}]");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "invalid path"));
	snprintf(path, sizeof(path), "%s/volumes/escape", e->pod);
	assert_int_equal(lstat(path, &sb), -1);
	json_decref(p);

	/* A volume's name is a DNS label: no hidden or dotted directory. */
	p = pod("[{\"name\":\"..big\",\"emptyDir\":{}}]");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "MountVolume.SetUp failed for volume \"..big\" : invalid volume name");
	json_decref(p);
}

static void downward_api_files(void **state)
{
	struct env *e = *state;
	json_t *p = pod("[{\"name\":\"info\",\"downwardAPI\":{\"items\":["
	                "{\"path\":\"name\",\"fieldRef\":{\"fieldPath\":\"metadata.name\"}},"
	                "{\"path\":\"labels\",\"fieldRef\":{\"fieldPath\":\"metadata.labels\"}},"
	                "{\"path\":\"app\",\"fieldRef\":{\"fieldPath\":\"metadata.labels['app']\"}}"
	                "]}}]");
	char msg[512] = "";

	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	assert_file(e, "kubernetes.io~downward-api/info/name", "p");
	assert_file(e, "kubernetes.io~downward-api/info/labels", "app=\"web\"\ntier=\"a\\\"b\"");
	assert_file(e, "kubernetes.io~downward-api/info/app", "web");
	json_decref(p);
}

static void projected_sources(void **state)
{
	struct env *e = *state;
	json_t *p = pod("[{\"name\":\"all\",\"projected\":{\"defaultMode\":288,\"sources\":["
	                "{\"secret\":{\"name\":\"s\",\"items\":[{\"key\":\"user\",\"path\":\"u\"}]}},"
	                "{\"configMap\":{\"name\":\"cm\"}},"
	                "{\"downwardAPI\":{\"items\":[{\"path\":\"ns\",\"fieldRef\":"
	                "{\"fieldPath\":\"metadata.namespace\"}}]}},"
	                "{\"serviceAccountToken\":{\"path\":\"token\"}}]}}]");
	char msg[512] = "";

	put(e, "secrets", "s",
	    "{\"metadata\":{\"name\":\"s\",\"namespace\":\"default\"},\"data\":{\"user\":\"aGVsbG8=\"}}");
	put(e, "configmaps", "cm",
	    "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"default\"},\"data\":{\"a\":\"A\"}}");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	assert_file(e, "kubernetes.io~projected/all/u", "hello");
	assert_file(e, "kubernetes.io~projected/all/a", "A");
	assert_file(e, "kubernetes.io~projected/all/ns", "default");
	assert_int_equal(mode_of(e, "kubernetes.io~projected/all/u"), 0440);
	assert_true(pod_vol_uses(p, "secrets", "s"));
	assert_true(pod_vol_uses(p, "configmaps", "cm"));
	assert_false(pod_vol_uses(p, "secrets", "cm"));
	json_decref(p);
}

static void empty_dir_and_mounts(void **state)
{
	struct env *e = *state;
	json_t *p = pod("[{\"name\":\"scratch\",\"emptyDir\":{}},"
	                "{\"name\":\"ram\",\"emptyDir\":{\"medium\":\"Memory\",\"sizeLimit\":\"1Mi\"}},"
	                "{\"name\":\"conf\",\"configMap\":{\"name\":\"cm\"}}]");
	json_t *cs = parse("{\"name\":\"c\",\"volumeMounts\":["
	                   "{\"name\":\"scratch\",\"mountPath\":\"/data\"},"
	                   "{\"name\":\"scratch\",\"mountPath\":\"/ro\",\"readOnly\":true},"
	                   "{\"name\":\"conf\",\"mountPath\":\"/etc/app\"},"
	                   "{\"name\":\"conf\",\"mountPath\":\"/etc/a\",\"subPath\":\"a\"},"
	                   "{\"name\":\"scratch\",\"mountPath\":\"/sub\",\"subPath\":\"x/y\"}]}");
	char msg[512] = "", path[600], vdir[600];
	struct pod_mount *m;
	struct statfs sf;
	size_t n;

	put(e, "configmaps", "cm",
	    "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"default\"},\"data\":{\"a\":\"A\"}}");
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	assert_int_equal(mode_of(e, "kubernetes.io~empty-dir/scratch"), 0777);
	snprintf(path, sizeof(path), "%s/volumes/kubernetes.io~empty-dir/ram", e->pod);
	assert_int_equal(statfs(path, &sf), 0);
	assert_int_equal(sf.f_type, TMPFS_MAGIC);
	assert_int_equal(sf.f_blocks * sf.f_bsize, 1 << 20);
	/* Set up again (a restart of k1s): one tmpfs, not two. */
	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);

	assert_int_equal(pod_vol_mounts(p, cs, e->pod, &m, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, 5);
	snprintf(vdir, sizeof(vdir), "%s/volumes/kubernetes.io~empty-dir/scratch", e->pod);
	assert_string_equal(m[0].src, vdir);
	assert_string_equal(m[0].dst, "/data");
	assert_false(m[0].readonly);
	assert_true(m[1].readonly);
	assert_true(m[2].readonly); /* configMap: always */
	/* A subPath of a configMap is the file itself, resolved. */
	assert_non_null(strstr(m[3].src, "/conf/..20"));
	assert_string_equal(slurp(m[3].src), "A");
	/* A subPath of an emptyDir is made. */
	snprintf(path, sizeof(path), "%s/x/y", vdir);
	assert_string_equal(m[4].src, path);
	assert_int_equal(access(path, F_OK), 0);
	pod_vol_mounts_free(m, n);

	/* Teardown unmounts the tmpfs; the tree can then go. */
	pod_vol_teardown(e->pod);
	snprintf(path, sizeof(path), "%s/volumes/kubernetes.io~empty-dir/ram", e->pod);
	assert_int_equal(statfs(path, &sf), 0);
	assert_int_not_equal(sf.f_type, TMPFS_MAGIC);
	json_decref(cs);
	json_decref(p);
}

static void write_zeros(const char *path, size_t len)
{
	static char zero[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	for (size_t done = 0; done < len; done += sizeof(zero))
		assert_int_equal(write(fd, zero, sizeof(zero)), (ssize_t)sizeof(zero));
	close(fd);
}

/* The disk emptyDirs with a sizeLimit are those measured, and their usage
 * is kubelet's (du -x): a file's blocks, a hard link once, a symlink's
 * target not, a mount inside not. */
static void empty_dir_usage(void **state)
{
	struct env *e = *state;
	json_t *p = pod("[{\"name\":\"cache\",\"emptyDir\":{\"sizeLimit\":\"1Mi\"}},"
	                "{\"name\":\"ram\",\"emptyDir\":{\"medium\":\"Memory\",\"sizeLimit\":\"1Mi\"}},"
	                "{\"name\":\"free\",\"emptyDir\":{}},"
	                "{\"name\":\"half\",\"emptyDir\":{\"sizeLimit\":\"1.5Gi\"}},"
	                "{\"name\":\"bad\",\"emptyDir\":{\"sizeLimit\":\"lots\"}}]");
	struct pod_vol_limit lim[4];
	unsigned long long base, used, again;
	char msg[512] = "", f[PATH_MAX + 16], g[PATH_MAX + 16], big[400], mnt[PATH_MAX + 16];

	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	assert_int_equal(pod_vol_limits(p, e->pod, lim, 4), 2);
	assert_string_equal(lim[0].name, "cache");
	assert_string_equal(lim[0].limit, "1Mi");
	assert_int_equal(lim[0].bytes, 1 << 20);
	/* A decimal quantity, as apimachinery reads it. */
	assert_string_equal(lim[1].name, "half");
	assert_string_equal(lim[1].limit, "1.5Gi");
	assert_int_equal(lim[1].bytes, 3ULL << 29);
	assert_int_equal(pod_du(lim[0].path, 0, &base), 0);

	snprintf(f, sizeof(f), "%s/f", lim[0].path);
	write_zeros(f, 256 << 10);
	assert_int_equal(pod_du(lim[0].path, 0, &used), 0);
	assert_true(used >= base + (256 << 10) && used < base + (320 << 10));
	/* A hard link is the same blocks. */
	snprintf(g, sizeof(g), "%s/g", lim[0].path);
	assert_int_equal(link(f, g), 0);
	assert_int_equal(pod_du(lim[0].path, 0, &again), 0);
	assert_true(again == used);
	/* A symlink to 2 MiB elsewhere is not followed. */
	snprintf(big, sizeof(big), "%s/big", e->dir);
	write_zeros(big, 2 << 20);
	snprintf(g, sizeof(g), "%s/link", lim[0].path);
	assert_int_equal(symlink(big, g), 0);
	assert_int_equal(pod_du(lim[0].path, 0, &again), 0);
	assert_true(again < used + 4096);
	/* Another file system mounted inside is not the volume's. */
	snprintf(mnt, sizeof(mnt), "%s/mnt", lim[0].path);
	assert_int_equal(mkdir(mnt, 0755), 0);
	assert_int_equal(pod_du(lim[0].path, 0, &used), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=4m") == 0) {
		snprintf(g, sizeof(g), "%s/x", mnt);
		write_zeros(g, 2 << 20);
		assert_int_equal(pod_du(lim[0].path, 0, &again), 0);
		assert_true(again <= used);
		assert_int_equal(umount(mnt), 0);
	}
	assert_int_equal(pod_du("/nonexistent/k1s", 0, &used), -ENOENT);
	json_decref(p);
}

/* A container may leave a symlink in its emptyDir; a subPath through it
 * must not mount what it points at. */
static void subpath_stays_inside(void **state)
{
	struct env *e = *state;
	json_t *p = pod("[{\"name\":\"scratch\",\"emptyDir\":{}}]");
	json_t *cs = parse("{\"name\":\"c\",\"volumeMounts\":["
	                   "{\"name\":\"scratch\",\"mountPath\":\"/x\",\"subPath\":\"evil\"}]}");
	json_t *cs2 = parse("{\"name\":\"c\",\"volumeMounts\":["
	                    "{\"name\":\"scratch\",\"mountPath\":\"/x\",\"subPath\":\"../../etc\"}]}");
	json_t *cs3 = parse("{\"name\":\"c\",\"volumeMounts\":["
	                    "{\"name\":\"other\",\"mountPath\":\"/x\"}]}");
	char msg[512] = "", path[600];
	struct pod_mount *m;
	size_t n;

	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	snprintf(path, sizeof(path), "%s/volumes/kubernetes.io~empty-dir/scratch/evil", e->pod);
	assert_int_equal(symlink("/etc", path), 0);
	assert_int_equal(pod_vol_mounts(p, cs, e->pod, &m, &n, msg, sizeof(msg)), -EPERM);
	assert_non_null(strstr(msg, "subPath"));
	assert_int_equal(pod_vol_mounts(p, cs2, e->pod, &m, &n, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "invalid subPath"));
	assert_int_equal(pod_vol_mounts(p, cs3, e->pod, &m, &n, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "cannot find volume \"other\""));
	json_decref(cs);
	json_decref(cs2);
	json_decref(cs3);
	json_decref(p);
}

/* Mounts m in a child of its own mount namespace, as a container does;
 * then, when `marker` is given, the child looks for it under m's dst.
 * The child's exit status. */
static int mount_in_child(const struct pod_mount *m, const char *marker)
{
	pid_t pid = fork();
	int ws;

	assert_true(pid >= 0);
	if (pid == 0) {
		char path[700];

		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(99);
		pod_mounts_apply(m, 1);
		snprintf(path, sizeof(path), "%s/%s", m->dst, marker ? marker : "");
		_exit(!marker || access(path, F_OK) == 0 ? 0 : 98);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 200;
}

/* The race a subPath check cannot close by itself: the container swaps a
 * symlink in after the runtime resolved the path. The mount then fails;
 * it does not go where the link points. */
static void subpath_swapped_link_fails(void **state)
{
	struct env *e = *state;
	json_t *p = pod("[{\"name\":\"scratch\",\"emptyDir\":{}}]");
	json_t *cs = parse("{\"name\":\"c\",\"volumeMounts\":["
	                   "{\"name\":\"scratch\",\"mountPath\":\"/x\",\"subPath\":\"sub\"}]}");
	char msg[512] = "", dst[400], sub[600], marker[700];
	struct pod_mount *m, mine;
	size_t n;

	assert_int_equal(setup_vol(e, p, e->pod, msg, sizeof(msg)), 0);
	assert_int_equal(pod_vol_mounts(p, cs, e->pod, &m, &n, msg, sizeof(msg)), 0);
	assert_true(m[0].nofollow);
	snprintf(dst, sizeof(dst), "%s/target", e->dir);
	assert_int_equal(mkdir(dst, 0700), 0);
	snprintf(marker, sizeof(marker), "%s/mine", m[0].src);
	assert_int_equal(close(creat(marker, 0600)), 0);
	mine = (struct pod_mount){.src = m[0].src, .dst = dst, .nofollow = true};
	assert_int_equal(mount_in_child(&mine, "mine"), 0);

	/* Now swapped for a link to the host's /etc. */
	snprintf(sub, sizeof(sub), "%s", m[0].src);
	assert_int_equal(pod_rmtree(sub), 0);
	assert_int_equal(symlink("/etc", sub), 0);
	assert_int_equal(mount_in_child(&mine, "hostname"), 128);
	pod_vol_mounts_free(m, n);
	json_decref(cs);
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(secret_atomic_layout, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(update_swaps_payload, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(items_modes_fsgroup, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(missing_objects, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(bad_paths_refused, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(downward_api_files, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(projected_sources, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(empty_dir_and_mounts, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(subpath_stays_inside, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(empty_dir_usage, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(subpath_swapped_link_fails, env_setup, env_teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_vol needs root (fsGroup, tmpfs): skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
