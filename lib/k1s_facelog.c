/* Face logs: see k1s_facelog.h. Rotation renames the file and puts a new
 * one in place with dup2(), which swaps the descriptor atomically: a
 * write racing it lands whole in the old file or the new, and writers
 * take no lock. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "k1s_facelog.h"

struct k1s_facelog {
	int fd;
	size_t max;
	_Atomic size_t size; /* bytes in the current file */
	pthread_mutex_t rotate_mu;
	char path[1024];
};

int k1s_facelog_path(const char *data_dir, const char *module, char *buf, size_t len)
{
	int n;

	if (!*module || strspn(module, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(module))
		return -EINVAL;
	n = snprintf(buf, len, "%s/faces/%s.log", data_dir, module);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

struct k1s_facelog *k1s_facelog_open(const char *data_dir, const char *module,
				     size_t max_bytes, int *err)
{
	struct k1s_facelog *fl = calloc(1, sizeof(*fl));
	char dir[1024];
	struct stat st;
	int e;

	if (!fl) {
		*err = -ENOMEM;
		return NULL;
	}
	e = k1s_facelog_path(data_dir, module, fl->path, sizeof(fl->path));
	if (e < 0)
		goto fail;
	snprintf(dir, sizeof(dir), "%s/faces", data_dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		e = -errno;
		goto fail;
	}
	fl->fd = open_log(fl->path);
	if (fl->fd < 0) {
		e = -errno;
		goto fail;
	}
	fl->max = max_bytes ? max_bytes : K1S_FACELOG_MAX_BYTES;
	atomic_init(&fl->size, fstat(fl->fd, &st) == 0 ? (size_t)st.st_size : 0);
	pthread_mutex_init(&fl->rotate_mu, NULL);
	return fl;
fail:
	free(fl);
	*err = e;
	return NULL;
}

void k1s_facelog_close(struct k1s_facelog *fl)
{
	if (!fl)
		return;
	close(fl->fd);
	pthread_mutex_destroy(&fl->rotate_mu);
	free(fl);
}

/* One thread rotates; the others go on writing meanwhile. */
static void rotate(struct k1s_facelog *fl)
{
	char old[1100];
	int fd;

	struct stat st;

	if (pthread_mutex_trylock(&fl->rotate_mu) != 0)
		return;
	/* The count is a hint: a write that raced the last rotation may have
	 * added its bytes to the new file's count. The file's own size
	 * decides, so .1 always holds a whole file's worth. */
	if (fstat(fl->fd, &st) == 0 && (size_t)st.st_size < fl->max) {
		atomic_store(&fl->size, (size_t)st.st_size);
	} else if (atomic_load(&fl->size) >= fl->max) {
		snprintf(old, sizeof(old), "%s.1", fl->path);
		if (rename(fl->path, old) == 0 && (fd = open_log(fl->path)) >= 0) {
			dup3(fd, fl->fd, O_CLOEXEC);
			close(fd);
			atomic_store(&fl->size, fstat(fl->fd, &st) == 0 ? (size_t)st.st_size : 0);
		}
	}
	pthread_mutex_unlock(&fl->rotate_mu);
}

void k1s_facelog_write(struct k1s_facelog *fl, const char *text, size_t len)
{
	char line[64 + K1S_FACELOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	int n;

	if (!fl)
		return;
	if (len > K1S_FACELOG_LINE_MAX)
		len = K1S_FACELOG_LINE_MAX;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ stdout F ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec);
	memcpy(line + n, text, len);
	/* A newline inside would start a record without a prefix. */
	for (char *p = line + n; p < line + n + len; p++)
		if (*p == '\n')
			*p = ' ';
	line[(size_t)n + len] = '\n';
	if (write(fl->fd, line, (size_t)n + len + 1) > 0 &&
	    atomic_fetch_add(&fl->size, (size_t)n + len + 1) + (size_t)n + len + 1 >= fl->max)
		rotate(fl);
}

void k1s_facelog_printf(struct k1s_facelog *fl, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int n;

	if (!fl)
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	k1s_facelog_write(fl, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}
