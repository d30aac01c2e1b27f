/* Reading a run's log as it is written and rotated (pod_log.c): the file
 * opened, then, when the writer has renamed it away, the files after it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pod.h"

struct pod_log_reader {
	int fd;
	/* Files to read after fd, in order (a rotation seen): the newest
	 * rotated one, when fd was rotated before it, and the live one. */
	int next_fd[2];
	char path[4096];
};

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* The newest rotated file of the log at path (<log>.YYYYMMDD-hhmmss, the
 * only one not compressed), open, or -1. */
static int open_newest_rotated(const char *path)
{
	char dir[4096], best[300] = "", full[4400];
	const char *slash = strrchr(path, '/'), *base;
	struct dirent *e;
	size_t bl;
	DIR *d;

	if (!slash)
		return -1;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	base = slash + 1;
	bl = strlen(base);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		const char *ts = e->d_name + bl + 1;

		if (strlen(e->d_name) != bl + 16 || strncmp(e->d_name, base, bl) != 0 ||
		    e->d_name[bl] != '.' || !digits(ts, 8) || ts[8] != '-' || !digits(ts + 9, 6))
			continue;
		if (strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (!*best)
		return -1;
	snprintf(full, sizeof(full), "%s/%s", dir, best);
	return open(full, O_RDONLY | O_CLOEXEC);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev;
}

struct pod_log_reader *pod_log_reader_open(const char *path, int *err)
{
	struct pod_log_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	r->next_fd[0] = r->next_fd[1] = -1;
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		*err = -errno;
		free(r);
		return NULL;
	}
	return r;
}

int pod_log_reader_fd(const struct pod_log_reader *r)
{
	return r->fd;
}

ssize_t pod_log_reader_read(struct pod_log_reader *r, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(r->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

bool pod_log_reader_next(struct pod_log_reader *r)
{
	struct stat a, b, m;
	int fd, mid;

	if (r->next_fd[0] >= 0) {
		close(r->fd);
		r->fd = r->next_fd[0];
		r->next_fd[0] = r->next_fd[1];
		r->next_fd[1] = -1;
		return true;
	}
	if (fstat(r->fd, &a) < 0 || stat(r->path, &b) < 0 || same_file(&a, &b))
		return false;
	fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &b) < 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	/* The lines written to the old file just before the rename come
	 * first: the old file stays the one read, the others queue. */
	mid = open_newest_rotated(r->path);
	if (mid >= 0 && fstat(mid, &m) == 0 && !same_file(&m, &a) && !same_file(&m, &b)) {
		r->next_fd[0] = mid;
		r->next_fd[1] = fd;
	} else {
		if (mid >= 0)
			close(mid);
		r->next_fd[0] = fd;
	}
	return true;
}

void pod_log_reader_close(struct pod_log_reader *r)
{
	if (!r)
		return;
	close(r->fd);
	for (int i = 0; i < 2; i++)
		if (r->next_fd[i] >= 0)
			close(r->next_fd[i]);
	free(r);
}
