/* Reading a run's log as it is written and rotated (pod_log.c): the live
 * file from where the reader starts, and, each time the writer has renamed
 * the file being read away, the rest of that file (still open, whatever
 * its name or whether it is gone from the directory), then every rotated
 * file after it, oldest first (a .gz one decompressed), then the live one.
 *
 * kubelet's ReadLogs (pkg/kubelet/kuberuntime/logs/logs.go) waits on
 * fsnotify and, at a rename, opens the live path at once: the rest of the
 * old file and any file rotated between two of its looks are skipped.
 * Here a reader looks every 50-100 ms while the writer may rotate many
 * times meanwhile (a small --container-log-max-size), so it reads the
 * files in between instead. Records in files the writer has already
 * removed (past --container-log-max-files) are lost, as with kubelet. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "pod.h"

/* The rotation time in a rotated file's name: "YYYYMMDD-hhmmss". */
#define TS_LEN 15
/* Bytes compared to tell the file read from a compressed copy of it: its
 * first record at least, whose time has nanoseconds. */
#define SAME_PREFIX 512
/* Looks at the directory before giving up a step for this time; the
 * writer renames between two of them only while it rotates. */
#define TRIES 8

struct pod_log_reader {
	int fd;    /* the file read, when plain */
	gzFile gz; /* the file read, when compressed (fd is -1) */
	/* fd was opened as the live file: its rotated name is not known. */
	bool live;
	bool moved; /* ...and it has been seen renamed away */
	/* The rotated files named up to this time are older than the file
	 * read; "" for none. */
	char seen[TS_LEN + 1];
	char dir[4096], base[256];
};

/* A rotated file of the log, by its name. */
struct rotated {
	char ts[TS_LEN + 1];
	bool gz;
};

static bool is_ts(const char *s)
{
	for (int i = 0; i < TS_LEN; i++)
		if (i == 8 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

/* The rotated files of the log named after `after`: how many (or a
 * negative errno), with *first the oldest of them (the plain one when a
 * compression has left both) and *newest the newest of all (may be NULL). */
static int scan(const struct pod_log_reader *r, const char *after, struct rotated *first,
                char *newest)
{
	size_t bl = strlen(r->base);
	struct dirent *e;
	DIR *d = opendir(r->dir);
	int n = 0;

	if (!d)
		return -errno;
	if (newest)
		*newest = '\0';
	while ((e = readdir(d))) {
		const char *ts = e->d_name + bl + 1, *sfx = ts + TS_LEN;
		size_t len = strlen(e->d_name);
		bool gz;

		if (len < bl + 1 + TS_LEN || strncmp(e->d_name, r->base, bl) != 0 ||
		    e->d_name[bl] != '.' || !is_ts(ts) || (*sfx && strcmp(sfx, ".gz") != 0))
			continue;
		gz = *sfx != '\0';
		if (newest && strncmp(ts, newest, TS_LEN) > 0)
			snprintf(newest, TS_LEN + 1, "%.*s", TS_LEN, ts);
		if (strncmp(ts, after, TS_LEN) <= 0 && *after)
			continue;
		if (n > 0 && strncmp(ts, first->ts, TS_LEN) == 0) {
			first->gz = first->gz && gz;
			continue;
		}
		if (n++ == 0 || strncmp(ts, first->ts, TS_LEN) < 0) {
			snprintf(first->ts, sizeof(first->ts), "%.*s", TS_LEN, ts);
			first->gz = gz;
		}
	}
	closedir(d);
	return n;
}

static void rotated_path(const struct pod_log_reader *r, const struct rotated *f, char *out,
                         size_t len)
{
	snprintf(out, len, "%s/%s.%s%s", r->dir, r->base, f->ts, f->gz ? ".gz" : "");
}

static void live_path(const struct pod_log_reader *r, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", r->dir, r->base);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev;
}

static void close_file(struct pod_log_reader *r)
{
	if (r->gz)
		gzclose(r->gz);
	else if (r->fd >= 0)
		close(r->fd);
	r->gz = NULL;
	r->fd = -1;
}

/* Whether the compressed file at gzpath starts as the file read (fd). 0
 * no, 1 yes, or a negative errno (gone meanwhile). */
static int same_content(int fd, const char *gzpath)
{
	char a[SAME_PREFIX], b[SAME_PREFIX];
	ssize_t na = pread(fd, a, sizeof(a), 0);
	int gfd = open(gzpath, O_RDONLY | O_CLOEXEC), nb;
	gzFile gz;

	if (gfd < 0)
		return -errno;
	gz = gzdopen(gfd, "rb");
	if (!gz) {
		close(gfd);
		return -ENOMEM;
	}
	nb = gzread(gz, b, sizeof(b));
	gzclose(gz);
	return na > 0 && nb == na && memcmp(a, b, (size_t)na) == 0;
}

/* The live file read has been renamed away and read to its end: finds its
 * rotated name, the oldest one after `seen`, and makes it `seen`. It may
 * be compressed by now (the content tells), or removed past the files
 * kept: then the files after `seen` are all still to read. */
static void find_own_name(struct pod_log_reader *r)
{
	char p[4400];
	struct rotated f;
	struct stat a, b;
	int same;

	if (fstat(r->fd, &a) < 0)
		return;
	for (int i = 0; i < TRIES; i++) {
		if (scan(r, r->seen, &f, NULL) <= 0)
			return;
		rotated_path(r, &f, p, sizeof(p));
		if (!f.gz)
			same = stat(p, &b) < 0 ? -errno : same_file(&a, &b);
		else
			same = same_content(r->fd, p);
		if (same == -ENOENT)
			continue; /* compressed or removed meanwhile */
		if (same > 0)
			memcpy(r->seen, f.ts, sizeof(r->seen));
		return;
	}
}

/* Opens the file after the one read: the oldest rotated one after `seen`,
 * else the live one. 0 or a negative errno (the file read stays). */
static int open_next(struct pod_log_reader *r)
{
	char p[4400];
	struct rotated f;

	for (int i = 0; i < TRIES; i++) {
		int n = scan(r, r->seen, &f, NULL), fd;

		if (n < 0)
			return n;
		if (n > 0) {
			gzFile gz = NULL;

			rotated_path(r, &f, p, sizeof(p));
			fd = open(p, O_RDONLY | O_CLOEXEC);
			if (fd < 0 && errno == ENOENT)
				continue; /* compressed or removed meanwhile */
			if (fd < 0)
				return -errno;
			if (f.gz && !(gz = gzdopen(fd, "rb"))) {
				close(fd);
				return -ENOMEM;
			}
			close_file(r);
			r->fd = gz ? -1 : fd;
			r->gz = gz;
			r->live = r->moved = false;
			memcpy(r->seen, f.ts, sizeof(r->seen));
			return 0;
		}
		live_path(r, p, sizeof(p));
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno; /* between the writer's rename and its new file */
		/* A rotation between the scan and the open: its file first. */
		n = scan(r, r->seen, &f, NULL);
		if (n != 0) {
			close(fd);
			if (n < 0)
				return n;
			continue;
		}
		close_file(r);
		r->fd = fd;
		r->live = true;
		r->moved = false;
		return 0;
	}
	return -EAGAIN;
}

struct pod_log_reader *pod_log_reader_open(const char *path, int *err)
{
	struct pod_log_reader *r = calloc(1, sizeof(*r));
	const char *slash = strrchr(path, '/');
	struct stat a, b;

	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	if (slash)
		snprintf(r->dir, sizeof(r->dir), "%.*s", (int)(slash - path), path);
	else
		snprintf(r->dir, sizeof(r->dir), ".");
	snprintf(r->base, sizeof(r->base), "%s", slash ? slash + 1 : path);
	r->live = true;
	for (int i = 0;; i++) {
		struct rotated f;

		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			*err = -errno;
			free(r);
			return NULL;
		}
		/* The rotated files are older than the one opened if it is
		 * still the live one after they were listed. */
		scan(r, "", &f, r->seen);
		if (i == TRIES ||
		    (fstat(r->fd, &a) == 0 && stat(path, &b) == 0 && same_file(&a, &b)))
			return r;
		close(r->fd);
	}
}

int pod_log_reader_fd(const struct pod_log_reader *r)
{
	return r->fd;
}

ssize_t pod_log_reader_read(struct pod_log_reader *r, void *buf, size_t len)
{
	ssize_t n;

	if (r->gz) {
		int got = gzread(r->gz, buf, len > INT_MAX ? INT_MAX : (unsigned)len);

		return got < 0 ? -EIO : got;
	}
	do
		n = read(r->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

bool pod_log_reader_next(struct pod_log_reader *r)
{
	if (r->live && !r->moved) {
		char p[4400];
		struct stat a, b;

		live_path(r, p, sizeof(p));
		if (fstat(r->fd, &a) < 0 || (stat(p, &b) == 0 && same_file(&a, &b)))
			return false;
		/* Renamed away (no file at the path is the moment between the
		 * writer's rename and its new file): what the writer put in it
		 * before is read first. */
		r->moved = true;
		return true;
	}
	if (r->live) {
		find_own_name(r);
		r->live = false;
	}
	return open_next(r) == 0;
}

void pod_log_reader_close(struct pod_log_reader *r)
{
	if (!r)
		return;
	close_file(r);
	free(r);
}
