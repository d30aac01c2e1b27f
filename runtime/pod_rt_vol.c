/* A pod's volumes, laid out as the kubelet's volume plugins lay them out:
 * DATA_DIR/pods/<pod>/volumes/kubernetes.io~<plugin>/<volume>. Secret,
 * configMap, downwardAPI and projected volumes are written as the
 * kubelet's AtomicWriter writes them (pkg/volume/util/atomic_writer.go):
 * the files in a hidden timestamped directory, `..data` a symlink to it
 * swapped by rename(2), and each visible name a symlink through `..data`,
 * so that a reader sees the whole old payload or the whole new one.
 * Secret, downwardAPI and projected volumes are each a tmpfs, as the
 * kubelet's are; emptyDir is a directory (a tmpfs for medium Memory).
 * All go with the pod.
 *
 * The pod's directory is 0700 root: only the pod's own mounts reach in. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "k1s_json.h"
#include "k1s_pki.h"
#include "pod_rt_int.h"
#include "st.h"

/* The kubelet's default for secret, configMap, downwardAPI, projected. */
#define VOL_DEFAULT_MODE 0644

struct vol_file {
	char *path; /* relative, checked by pod_vol_path_ok() */
	char *data;
	size_t len;
	mode_t mode;
};

struct payload {
	struct vol_file *f;
	size_t n, cap;
};

static void payload_free(struct payload *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		free(pl->f[i].path);
		if (pl->f[i].data)
			explicit_bzero(pl->f[i].data, pl->f[i].len);
		free(pl->f[i].data);
	}
	free(pl->f);
	*pl = (struct payload){0};
}

/* Adds a file; `data` is copied. A later file of the same path replaces
 * an earlier one, as the kubelet's payload map does. */
static int payload_add(struct payload *pl, const char *path, const char *data, size_t len,
                       mode_t mode)
{
	struct vol_file *f = NULL;

	for (size_t i = 0; i < pl->n; i++)
		if (strcmp(pl->f[i].path, path) == 0)
			f = &pl->f[i];
	if (!f) {
		if (pl->n == pl->cap) {
			size_t cap = pl->cap ? pl->cap * 2 : 8;
			struct vol_file *nf = realloc(pl->f, cap * sizeof(*nf));

			if (!nf)
				return -ENOMEM;
			pl->f = nf;
			pl->cap = cap;
		}
		f = &pl->f[pl->n];
		*f = (struct vol_file){.path = strdup(path)};
		if (!f->path)
			return -ENOMEM;
		pl->n++;
	}
	free(f->data);
	f->data = malloc(len + 1);
	if (!f->data)
		return -ENOMEM;
	memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
	f->mode = mode & 0777;
	return 0;
}

/* The kubelet's validatePath: relative, no `..` element, not starting
 * with `..` (the writer's own names), elements of at most 255 bytes. */
bool pod_vol_path_ok(const char *path)
{
	const char *s = path;

	if (!*path || *path == '/' || strncmp(path, "..", 2) == 0 || strlen(path) > 4096)
		return false;
	while (*s) {
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);

		if (n == 0 || n > 255 || (n == 2 && s[0] == '.' && s[1] == '.') ||
		    (n == 1 && s[0] == '.'))
			return false;
		s = *e ? e + 1 : e;
	}
	return path[strlen(path) - 1] != '/';
}

static mode_t mode_of(const json_t *obj, const char *field, mode_t dflt)
{
	const json_t *m = json_object_get(obj, field);

	return json_is_integer(m) ? (mode_t)(json_integer_value(m) & 0777) : dflt;
}

/* The kubelet's FailedMount event (operation_generator.go). */
static void __attribute__((format(printf, 4, 5)))
fail(char *msg, size_t msglen, const char *vol, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(msg, msglen, "MountVolume.SetUp failed for volume \"%s\" : %s", vol, why);
}

/* One value of a Secret or ConfigMap as a file. */
static int add_value(struct payload *pl, const char *path, const json_t *v, bool b64, mode_t mode)
{
	const char *s = json_string_value(v) ?: "";
	char *dec;
	size_t len;
	int err;

	if (!b64)
		return payload_add(pl, path, s, strlen(s), mode);
	if (k1s_pki_b64_decode(s, strlen(s), &dec, &len) < 0)
		return 0; /* the API admits only base64: nothing else is stored */
	err = payload_add(pl, path, dec, len, mode);
	explicit_bzero(dec, len);
	k1s_pki_free(dec);
	return err;
}

/* The keys of a Secret (data, base64) or ConfigMap (data, text, and
 * binaryData, base64) as files: all of them, or those `items` names. A
 * missing key fails unless `optional`, as the kubelet's MakePayload. */
static int keys_payload(struct payload *pl, const json_t *obj, bool secret, const json_t *items,
                        mode_t dmode, bool optional, const char *vol, char *msg, size_t msglen)
{
	json_t *data = json_object_get(obj, "data");
	json_t *bin = secret ? NULL : json_object_get(obj, "binaryData");
	const char *key;
	json_t *v;
	const json_t *it;
	size_t i;
	int err = 0;

	if (json_array_size(items) == 0) {
		json_object_foreach(data, key, v)
			if (pod_vol_path_ok(key) && (err = add_value(pl, key, v, secret, dmode)) < 0)
				return err;
		json_object_foreach(bin, key, v)
			if (pod_vol_path_ok(key) && (err = add_value(pl, key, v, true, dmode)) < 0)
				return err;
		return 0;
	}
	json_array_foreach(items, i, it)
	{
		const char *k = k1s_json_str(it, "key") ?: "";
		const char *path = k1s_json_str(it, "path") ?: "";
		bool b64 = secret;

		v = json_object_get(data, k);
		if (!v && bin) {
			v = json_object_get(bin, k);
			b64 = true;
		}
		if (!v) {
			if (optional)
				continue;
			if (secret)
				fail(msg, msglen, vol, "references non-existent secret key: %s", k);
			else
				fail(msg, msglen, vol, "configmap references non-existent config key: %s",
				     k);
			return -ENOENT;
		}
		if (!pod_vol_path_ok(path)) {
			fail(msg, msglen, vol, "invalid path \"%s\"", path);
			return -EINVAL;
		}
		err = add_value(pl, path, v, b64, mode_of(it, "mode", dmode));
		if (err < 0)
			return err;
	}
	return 0;
}

void pod_vol_objs_clear(struct pod_vol_objs *objs)
{
	json_decref(objs->seen);
	objs->seen = NULL;
}

/* The object res/ns/name (a borrowed reference), or NULL. */
static const json_t *objs_get(struct pod_vol_objs *objs, const char *res, const char *ns,
                              const char *name)
{
	char key[400];
	json_t *o;

	snprintf(key, sizeof(key), "%s/%s/%s", res, ns, name);
	if (!objs->seen && !(objs->seen = json_object()))
		return NULL;
	o = json_object_get(objs->seen, key);
	if (!o) {
		if (st_get(objs->st, res, ns, name, &o) < 0)
			o = json_null();
		json_object_set_new(objs->seen, key, o);
	}
	return json_is_null(o) ? NULL : o;
}

/* A secret or configMap source (of a volume or a projection). 1 when the
 * object is gone but the volume has its files already: they stay, as
 * with the kubelet, whose resync fails and leaves them. */
static int object_payload(struct pod_vol_objs *objs, const char *ns, const json_t *src,
                          bool secret, mode_t dmode, bool written, struct payload *pl,
                          const char *vol, char *msg, size_t msglen)
{
	const char *name = k1s_json_str(src, secret ? "secretName" : "name");
	bool optional = json_is_true(json_object_get(src, "optional"));
	const json_t *obj;

	if (!name)
		name = k1s_json_str(src, "name") ?: "";
	obj = objs_get(objs, secret ? "secrets" : "configmaps", ns, name);
	if (!obj) {
		if (optional)
			return 0;
		if (written)
			return 1;
		fail(msg, msglen, vol, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
		return -ENOENT;
	}
	return keys_payload(pl, obj, secret, json_object_get(src, "items"), dmode, optional, vol, msg,
	                    msglen);
}

/* Go's %q of a label or annotation value, for the kubelet's FormatMap. */
static void quote(char *out, size_t len, const char *s)
{
	size_t o = 0;

	out[o++] = '"';
	for (; *s && o + 6 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (ch == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* metadata.labels or .annotations as the kubelet writes them: k="v"
 * lines sorted by key, no newline after the last. */
static char *format_map(const json_t *map)
{
	size_t n = json_object_size(map), i = 0, cap = 1, len = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *v;
	char *out;

	if (!keys)
		return NULL;
	json_object_foreach((json_t *)map, k, v)
	{
		keys[i++] = k;
		cap += strlen(k) + 4 * strlen(json_string_value(v) ?: "") + 4;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	out = malloc(cap);
	if (out) {
		out[0] = '\0';
		for (i = 0; i < n; i++) {
			const char *val = json_string_value(json_object_get(map, keys[i])) ?: "";
			size_t qlen = 4 * strlen(val) + 3;
			char *q = malloc(qlen);

			if (!q)
				break;
			quote(q, qlen, val);
			len += (size_t)snprintf(out + len, cap - len, "%s%s=%s", i ? "\n" : "", keys[i], q);
			free(q);
		}
	}
	free(keys);
	return out;
}

/* A downwardAPI source's items: the pod's metadata fields the kubelet
 * offers as files (fieldRef). */
static int downward_payload(const json_t *pod, const json_t *items, mode_t dmode,
                            struct payload *pl, const char *vol, char *msg, size_t msglen)
{
	const json_t *it;
	size_t i;

	json_array_foreach(items, i, it)
	{
		const char *path = k1s_json_str(it, "path") ?: "";
		const char *field = k1s_json_str(it, "fieldRef.fieldPath");
		const json_t *meta = json_object_get(pod, "metadata");
		char *text = NULL, sub[300];
		int err;

		if (!pod_vol_path_ok(path)) {
			fail(msg, msglen, vol, "invalid path \"%s\"", path);
			return -EINVAL;
		}
		if (!field) {
			fail(msg, msglen, vol, "%s: only fieldRef is supported in a downwardAPI volume",
			     path);
			return -EINVAL;
		}
		if (strcmp(field, "metadata.name") == 0 || strcmp(field, "metadata.namespace") == 0 ||
		    strcmp(field, "metadata.uid") == 0)
			text = strdup(k1s_json_str(pod, field) ?: "");
		else if (strcmp(field, "metadata.labels") == 0)
			text = format_map(json_object_get(meta, "labels"));
		else if (strcmp(field, "metadata.annotations") == 0)
			text = format_map(json_object_get(meta, "annotations"));
		else if (sscanf(field, "metadata.labels['%299[^']']", sub) == 1)
			text = strdup(json_string_value(json_object_get(
			                  json_object_get(meta, "labels"), sub)) ?: "");
		else if (sscanf(field, "metadata.annotations['%299[^']']", sub) == 1)
			text = strdup(json_string_value(json_object_get(
			                  json_object_get(meta, "annotations"), sub)) ?: "");
		else {
			fail(msg, msglen, vol, "unsupported fieldPath \"%s\"", field);
			return -EINVAL;
		}
		if (!text)
			return -ENOMEM;
		err = payload_add(pl, path, text, strlen(text), mode_of(it, "mode", dmode));
		free(text);
		if (err < 0)
			return err;
	}
	return 0;
}

enum vol_kind { VOL_SECRET, VOL_CONFIGMAP, VOL_DOWNWARD, VOL_PROJECTED, VOL_EMPTYDIR, VOL_NONE };

static const char *const plugin_dir[] = {
    [VOL_SECRET] = "kubernetes.io~secret",
    [VOL_CONFIGMAP] = "kubernetes.io~configmap",
    [VOL_DOWNWARD] = "kubernetes.io~downward-api",
    [VOL_PROJECTED] = "kubernetes.io~projected",
    [VOL_EMPTYDIR] = "kubernetes.io~empty-dir",
};
static const char *const kind_field[] = {
    [VOL_SECRET] = "secret",       [VOL_CONFIGMAP] = "configMap", [VOL_DOWNWARD] = "downwardAPI",
    [VOL_PROJECTED] = "projected", [VOL_EMPTYDIR] = "emptyDir",
};

static enum vol_kind kind_of(const json_t *vol, const json_t **src)
{
	for (int k = 0; k < VOL_NONE; k++) {
		if ((*src = json_object_get(vol, kind_field[k])))
			return (enum vol_kind)k;
	}
	*src = NULL;
	return VOL_NONE;
}

/* A volume's name is a DNS label (RFC 1123) in the API; here it names a
 * directory. */
static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-'))
			return false;
	return true;
}

static void vol_path(const char *pod_dir, enum vol_kind k, const char *name, char *out,
                     size_t len)
{
	snprintf(out, len, "%s/volumes/%s/%s", pod_dir, plugin_dir[k], name);
}

/* The payload of a secret, configMap, downwardAPI or projected volume. */
static int vol_payload(struct pod_vol_objs *objs, const json_t *pod, enum vol_kind k, const json_t *src,
                       bool written, struct payload *pl, const char *vol, char *msg,
                       size_t msglen)
{
	const char *ns = k1s_json_str(pod, "metadata.namespace") ?: "";
	mode_t dmode = mode_of(src, "defaultMode", VOL_DEFAULT_MODE);
	const json_t *s;
	size_t i;
	int err;

	switch (k) {
	case VOL_SECRET:
	case VOL_CONFIGMAP:
		return object_payload(objs, ns, src, k == VOL_SECRET, dmode, written, pl, vol, msg,
		                      msglen);
	case VOL_DOWNWARD:
		return downward_payload(pod, json_object_get(src, "items"), dmode, pl, vol, msg,
		                        msglen);
	case VOL_PROJECTED:
		/* Each source as its own volume would be, into one tree; a
		 * serviceAccountToken source has no file: k1s issues no
		 * tokens. */
		json_array_foreach(json_object_get(src, "sources"), i, s)
		{
			const json_t *o;

			err = 0;
			if ((o = json_object_get(s, "secret")))
				err = object_payload(objs, ns, o, true, dmode, written, pl, vol, msg,
				                     msglen);
			else if ((o = json_object_get(s, "configMap")))
				err = object_payload(objs, ns, o, false, dmode, written, pl, vol, msg,
				                     msglen);
			else if ((o = json_object_get(s, "downwardAPI")))
				err = downward_payload(pod, json_object_get(o, "items"), dmode, pl, vol,
				                       msg, msglen);
			if (err != 0)
				return err;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- the atomic writer ---- */

static int mkdirs(const char *base, const char *rel, mode_t mode, gid_t gid)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", base, rel);
	size_t blen = strlen(base) + 1;

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	for (char *s = path + blen; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST)
			return -errno;
		chmod(path, mode);
		if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)
			return -errno;
		*s = '/';
	}
	return 0;
}

/* Adds the regular files under dir to *n (symlinks not followed). */
static void count_files(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_REG) {
			(*n)++;
		} else if (de->d_type == DT_DIR) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			count_files(path, n);
		}
	}
	closedir(d);
}

/* The mode a file gets: with fsGroup its group can read it, as the
 * kubelet's SetVolumeOwnership (read-only volumes: 0440). */
static mode_t file_mode(mode_t mode, gid_t gid)
{
	return gid == (gid_t)-1 ? mode : mode | 0440;
}

/* Whether `dir` holds exactly the payload (the kubelet's
 * shouldWritePayload, plus the modes). */
static bool payload_same(const char *dir, const struct payload *pl, gid_t gid)
{
	size_t files = 0;
	char path[PATH_MAX];

	for (size_t i = 0; i < pl->n; i++) {
		const struct vol_file *f = &pl->f[i];
		struct stat sb;
		bool same = false;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, f->path);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return false;
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (size_t)sb.st_size == f->len &&
		    (sb.st_mode & 07777) == file_mode(f->mode, gid) &&
		    (gid == (gid_t)-1 || sb.st_gid == gid)) {
			char *buf = malloc(f->len + 1);

			same = buf && read(fd, buf, f->len + 1) == (ssize_t)f->len &&
			       memcmp(buf, f->data, f->len) == 0;
			free(buf);
		}
		close(fd);
		if (!same)
			return false;
	}
	/* And nothing more. */
	count_files(dir, &files);
	return files == pl->n;
}

static int write_file(const char *base, const struct vol_file *f, gid_t gid)
{
	char path[PATH_MAX];
	int fd, err = 0;
	size_t off = 0;

	err = mkdirs(base, f->path, 0755, gid);
	if (err < 0)
		return err;
	snprintf(path, sizeof(path), "%s/%s", base, f->path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (off < f->len && !err) {
		ssize_t w = write(fd, f->data + off, f->len - off);

		if (w < 0 && errno != EINTR)
			err = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (!err && gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0)
		err = -errno;
	if (!err && fchmod(fd, file_mode(f->mode, gid)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Whether `name` (a top-level entry of the volume) is the first element
 * of some file's path. */
static bool payload_top(const struct payload *pl, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < pl->n; i++)
		if (strncmp(pl->f[i].path, name, n) == 0 &&
		    (pl->f[i].path[n] == '\0' || pl->f[i].path[n] == '/'))
			return true;
	return false;
}

/* Writes the payload into dir as AtomicWriter.Write does: a new
 * timestamped directory, `..data` pointed at it by rename, the visible
 * names made or removed, the old directory removed. 0 (also when dir
 * holds the payload already), or a negative errno. */
static int vol_write(const char *dir, const struct payload *pl, gid_t gid)
{
	char data[PATH_MAX], old[NAME_MAX + 1] = "", ts[PATH_MAX], tmp[PATH_MAX], stamp[64];
	struct timespec now;
	struct tm tm;
	DIR *d;
	struct dirent *de;
	ssize_t n;
	int err = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(data, sizeof(data), "%s/..data", dir);
	n = readlink(data, old, sizeof(old) - 1);
	if (n > 0) {
		old[n] = '\0';
		snprintf(ts, sizeof(ts), "%s/%s", dir, old);
		if (payload_same(ts, pl, gid))
			return 0;
	} else {
		old[0] = '\0';
	}
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "..%Y_%m_%d_%H_%M_%S.", &tm);
	snprintf(ts, sizeof(ts), "%s/%sXXXXXX", dir, stamp);
	if (!mkdtemp(ts))
		return -errno;
	chmod(ts, 0755);
	if (gid != (gid_t)-1 && chown(ts, (uid_t)-1, gid) < 0)
		err = -errno;
	for (size_t i = 0; i < pl->n && !err; i++)
		err = write_file(ts, &pl->f[i], gid);
	snprintf(tmp, sizeof(tmp), "%s/..data_tmp", dir);
	unlink(tmp);
	if (!err && symlink(strrchr(ts, '/') + 1, tmp) < 0)
		err = -errno;
	if (!err && rename(tmp, data) < 0)
		err = -errno;
	if (err < 0) {
		pod_rmtree(ts);
		unlink(tmp);
		return err;
	}
	/* The visible names: new ones made, gone ones removed. */
	for (size_t i = 0; i < pl->n; i++) {
		char top[NAME_MAX + 1], link[PATH_MAX], target[PATH_MAX];
		struct stat sb;

		snprintf(top, sizeof(top), "%.*s", (int)strcspn(pl->f[i].path, "/"), pl->f[i].path);
		snprintf(link, sizeof(link), "%s/%s", dir, top);
		snprintf(target, sizeof(target), "..data/%s", top);
		if (lstat(link, &sb) < 0 && symlink(target, link) < 0 && errno != EEXIST)
			return -errno;
	}
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char link[PATH_MAX];

		if (strncmp(de->d_name, "..", 2) == 0 || strcmp(de->d_name, ".") == 0 ||
		    payload_top(pl, de->d_name))
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		unlink(link);
	}
	if (d)
		closedir(d);
	if (*old) {
		snprintf(ts, sizeof(ts), "%s/%s", dir, old);
		pod_rmtree(ts);
	}
	return 0;
}

/* ---- emptyDir ---- */

/* A quantity (sizeLimit, "1.5Gi" too) in bytes, as apimachinery's
 * Value(): 0 when absent, not a quantity, or not above zero. */
static unsigned long long quantity_bytes(const char *q)
{
	int64_t v;

	if (!q || pod_quantity_parse(q, strlen(q), false, &v) < 0 || v <= 0)
		return 0;
	return (unsigned long long)v;
}

static bool is_mountpoint(const char *dir)
{
	char parent[PATH_MAX];
	struct stat a, b;

	snprintf(parent, sizeof(parent), "%s/..", dir);
	return stat(dir, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* The kubelet's emptyDir: 0777 so that any of the pod's users can write
 * (setgid and group fsGroup when given); medium Memory is a tmpfs of
 * sizeLimit (default: the kernel's, half of memory). */
static int empty_dir(const char *dir, const json_t *src, gid_t gid, char *msg, size_t msglen,
                     const char *vol)
{
	const char *medium = k1s_json_str(src, "medium") ?: "";
	mode_t mode = gid == (gid_t)-1 ? 0777 : 02777;

	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		return -errno;
	if (strcmp(medium, "Memory") == 0 && !is_mountpoint(dir)) {
		unsigned long long size = quantity_bytes(k1s_json_str(src, "sizeLimit"));
		char opts[64];

		snprintf(opts, sizeof(opts), "mode=%o", (unsigned)mode);
		if (size)
			snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",size=%llu", size);
		if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
			int err = -errno;

			fail(msg, msglen, vol, "mounting a tmpfs: %s", strerror(errno));
			return err;
		}
	} else if (*medium && strcmp(medium, "Memory") != 0) {
		fail(msg, msglen, vol, "unknown medium \"%s\"", medium);
		return -EINVAL;
	}
	if (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) < 0)
		return -errno;
	return chmod(dir, mode) < 0 ? -errno : 0;
}

/* A Secret's, projected or downwardAPI volume lives in memory, as the
 * kubelet wraps them in an emptyDir of medium Memory: a Secret never
 * reaches the disk (an SD card keeps what it was given). */
static int in_memory(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (is_mountpoint(dir))
		return 0;
	return mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0
	           ? -errno
	           : 0;
}

/* ---- the pod's volumes ---- */

static gid_t fs_group(const json_t *pod)
{
	const json_t *g = k1s_json_path(pod, "spec.securityContext.fsGroup");

	return json_is_integer(g) && json_integer_value(g) >= 0 &&
	               json_integer_value(g) < (json_int_t)UINT32_MAX
	           ? (gid_t)json_integer_value(g)
	           : (gid_t)-1;
}

int pod_vol_setup(struct pod_vol_objs *objs, const json_t *pod, const char *pod_dir, char *msg,
                  size_t msglen)
{
	const json_t *vols = k1s_json_path(pod, "spec.volumes"), *v, *src;
	gid_t gid = fs_group(pod);
	char path[PATH_MAX];
	size_t i;
	int err;

	if (json_array_size(vols) == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/volumes", pod_dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	for (int k = 0; k < VOL_NONE; k++) {
		snprintf(path, sizeof(path), "%s/volumes/%s", pod_dir, plugin_dir[k]);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
	}
	json_array_foreach(vols, i, v)
	{
		const char *name = k1s_json_str(v, "name") ?: "";
		enum vol_kind k = kind_of(v, &src);
		struct payload pl = {0};
		struct stat sb;

		if (!name_ok(name)) {
			fail(msg, msglen, name, "invalid volume name");
			return -EINVAL;
		}
		if (k == VOL_NONE) {
			fail(msg, msglen, name,
			     "k1s has secret, configMap, downwardAPI, projected and emptyDir volumes "
			     "only");
			return -EINVAL;
		}
		vol_path(pod_dir, k, name, path, sizeof(path));
		if (k == VOL_EMPTYDIR) {
			err = empty_dir(path, src, gid, msg, msglen, name);
			if (err < 0) {
				if (!*msg)
					fail(msg, msglen, name, "%s", strerror(-err));
				return err;
			}
			continue;
		}
		char data[PATH_MAX + 8];

		err = k == VOL_CONFIGMAP ? 0 : in_memory(path);
		if (err < 0) {
			fail(msg, msglen, name, "mounting a tmpfs: %s", strerror(-err));
			return err;
		}
		snprintf(data, sizeof(data), "%s/..data", path);
		err = vol_payload(objs, pod, k, src, lstat(data, &sb) == 0, &pl, name, msg, msglen);
		if (err == 0)
			err = vol_write(path, &pl, gid);
		payload_free(&pl);
		if (err < 0) {
			if (!*msg)
				fail(msg, msglen, name, "%s", strerror(-err));
			return err;
		}
	}
	return 0;
}

bool pod_vol_uses(const json_t *pod, const char *res, const char *name)
{
	bool secret = strcmp(res, "secrets") == 0;
	const json_t *v, *src, *s;
	size_t i, j;

	if (!secret && strcmp(res, "configmaps") != 0)
		return false;
	json_array_foreach(k1s_json_path(pod, "spec.volumes"), i, v)
	{
		enum vol_kind k = kind_of(v, &src);

		if (k == VOL_SECRET && secret)
			if (strcmp(k1s_json_str(src, "secretName") ?: "", name) == 0)
				return true;
		if (k == VOL_CONFIGMAP && !secret)
			if (strcmp(k1s_json_str(src, "name") ?: "", name) == 0)
				return true;
		if (k != VOL_PROJECTED)
			continue;
		json_array_foreach(json_object_get(src, "sources"), j, s)
		{
			const json_t *o = json_object_get(s, secret ? "secret" : "configMap");

			if (o && strcmp(k1s_json_str(o, "name") ?: "", name) == 0)
				return true;
		}
	}
	return false;
}

/* A subPath: relative, without a `..` element, as the API validates it. */
static bool subpath_ok(const char *sp)
{
	if (*sp == '/')
		return false;
	for (const char *s = sp; *s;) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return false;
		s += n;
		s += *s == '/';
	}
	return true;
}

/* Where a subPath of the volume at vdir is on the host, resolved, and
 * inside the volume: a symlink a container left in an emptyDir must not
 * take the mount elsewhere. A missing one is made in an emptyDir (as the
 * kubelet does), an error in the others. */
static int subpath_src(const char *vdir, const char *sp, bool make, char *out)
{
	char want[PATH_MAX], root[PATH_MAX];
	size_t rlen;

	if (!realpath(vdir, root))
		return -errno;
	snprintf(want, sizeof(want), "%s/%s", vdir, sp);
	if (make && access(want, F_OK) < 0 && errno == ENOENT) {
		int err = mkdirs(vdir, sp, 0777, (gid_t)-1);

		if (err == 0 && mkdir(want, 0777) < 0 && errno != EEXIST)
			err = -errno;
		if (err < 0)
			return err;
		chmod(want, 0777);
	}
	if (!realpath(want, out))
		return -errno;
	rlen = strlen(root);
	if (strncmp(out, root, rlen) != 0 || (out[rlen] != '/' && out[rlen] != '\0'))
		return -EPERM;
	return 0;
}

void pod_vol_mounts_free(struct pod_mount *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free((char *)m[i].src);
		free((char *)m[i].dst);
	}
	free(m);
}

int pod_vol_mounts(const json_t *pod, const json_t *cspec, const char *pod_dir,
                   struct pod_mount **out, size_t *nout, char *msg, size_t msglen)
{
	const json_t *vms = json_object_get(cspec, "volumeMounts"), *vm, *v, *src;
	size_t n = json_array_size(vms), i, j;
	struct pod_mount *m;

	*out = NULL;
	*nout = 0;
	if (!n)
		return 0;
	m = calloc(n, sizeof(*m));
	if (!m)
		return -ENOMEM;
	json_array_foreach(vms, i, vm)
	{
		const char *name = k1s_json_str(vm, "name") ?: "";
		const char *dst = k1s_json_str(vm, "mountPath") ?: "";
		const char *sp = k1s_json_str(vm, "subPath") ?: "";
		enum vol_kind k = VOL_NONE;
		char vdir[PATH_MAX], real[PATH_MAX];
		int err = 0;

		json_array_foreach(k1s_json_path(pod, "spec.volumes"), j, v)
			if (strcmp(k1s_json_str(v, "name") ?: "", name) == 0)
				k = kind_of(v, &src);
		if (k == VOL_NONE || !name_ok(name)) {
			snprintf(msg, msglen, "cannot find volume \"%s\" to mount into container \"%s\"",
			         name, k1s_json_str(cspec, "name") ?: "");
			err = -EINVAL;
		} else if (*dst != '/') {
			snprintf(msg, msglen, "volumeMount \"%s\": mountPath must be absolute", name);
			err = -EINVAL;
		} else if (json_object_get(vm, "subPathExpr")) {
			snprintf(msg, msglen, "volumeMount \"%s\": subPathExpr is not supported", name);
			err = -EINVAL;
		} else if (!subpath_ok(sp)) {
			snprintf(msg, msglen, "volumeMount \"%s\": invalid subPath \"%s\"", name, sp);
			err = -EINVAL;
		}
		if (!err) {
			vol_path(pod_dir, k, name, vdir, sizeof(vdir));
			if (*sp) {
				err = subpath_src(vdir, sp, k == VOL_EMPTYDIR, real);
				if (err < 0)
					snprintf(msg, msglen, "failed to prepare subPath for volumeMount "
					         "\"%s\" of container \"%s\": %s", name,
					         k1s_json_str(cspec, "name") ?: "", strerror(-err));
			} else if (!realpath(vdir, real)) {
				err = -errno;
				snprintf(msg, msglen, "volume \"%s\": %s", name, strerror(errno));
			}
		}
		if (err < 0) {
			pod_vol_mounts_free(m, i);
			return err;
		}
		m[i].src = strdup(real);
		m[i].dst = strdup(dst);
		/* Secret, configMap, downwardAPI and projected volumes are
		 * always read-only (kubelet's volume plugins say so). */
		m[i].readonly = k != VOL_EMPTYDIR || json_is_true(json_object_get(vm, "readOnly"));
		m[i].nofollow = true;
		if (!m[i].src || !m[i].dst) {
			pod_vol_mounts_free(m, i + 1);
			return -ENOMEM;
		}
	}
	*out = m;
	*nout = n;
	return 0;
}

void pod_vol_teardown(const char *pod_dir)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *de;

	for (int k = 0; k < VOL_NONE; k++) {
		snprintf(path, sizeof(path), "%s/volumes/%s", pod_dir, plugin_dir[k]);
		d = opendir(path);
		while (d && (de = readdir(d))) {
			char vdir[PATH_MAX + 300];

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(vdir, sizeof(vdir), "%s/%s", path, de->d_name);
			if (is_mountpoint(vdir))
				umount2(vdir, MNT_DETACH);
		}
		if (d)
			closedir(d);
	}
}

size_t pod_vol_limits(const json_t *pod, const char *pod_dir, struct pod_vol_limit *out,
                      size_t max)
{
	const json_t *v, *src;
	size_t i, n = 0;

	json_array_foreach(k1s_json_path(pod, "spec.volumes"), i, v)
	{
		const char *name = k1s_json_str(v, "name") ?: "";
		const char *limit;
		unsigned long long bytes;

		if (n == max)
			break;
		/* medium Memory is a tmpfs of that size: the kernel holds it. */
		if (kind_of(v, &src) != VOL_EMPTYDIR || !name_ok(name) ||
		    *(k1s_json_str(src, "medium") ?: ""))
			continue;
		limit = k1s_json_str(src, "sizeLimit");
		bytes = quantity_bytes(limit);
		if (bytes == 0)
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", name);
		snprintf(out[n].limit, sizeof(out[n].limit), "%s", limit);
		out[n].bytes = bytes;
		vol_path(pod_dir, VOL_EMPTYDIR, name, out[n].path, sizeof(out[n].path));
		n++;
	}
	return n;
}
