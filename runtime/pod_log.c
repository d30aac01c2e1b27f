/* A container run's log: CRI records written by its shim, rotated as
 * kubelet's container log manager rotates (pkg/kubelet/logs/
 * container_log_manager.go): the file is renamed <log>.<YYYYMMDD-hhmmss>,
 * the rotated files before the newest are gzip-compressed to <name>.gz,
 * and the oldest are removed so that at most max_files files (the live one
 * included) exist. kubelet renames the file under a running writer every
 * 10 s and asks the runtime to reopen it; here the writer rotates itself,
 * between two records, before the file would pass max_size. The shim
 * compresses between two reads of the pipes: meanwhile the container's
 * writes wait on a full pipe, so a pod that logs without pause goes as
 * fast as the disk and gzip allow, and the disk holds what it may. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "pod_rt_int.h"

/* containerd cuts lines at 16 KiB and marks the pieces partial. */
#define POD_LOG_LINE_MAX 16384
/* How long the shim drains the pipes after the container has ended
 * (children that inherited them die with the process group). */
#define POD_SHIM_DRAIN_MS 1000
/* kubelet's timestampFormat "20060102-150405": 15 characters. */
#define POD_LOG_TS_LEN 15
/* Records are gathered and written together: one write per read of the
 * pipes rather than one per line. */
#define POD_LOG_BATCH 65536

struct pod_log {
	int lg_fd;
	int64_t lg_size;     /* bytes in the live file, written or gathered */
	int64_t lg_max_size; /* 0: never rotated */
	int lg_max_files;
	bool lg_gzip;
	time_t lg_last; /* the newest rotated file's name, as a time */
	char *lg_buf;   /* gathered records not yet written */
	size_t lg_len;
	char lg_path[1024];
};

/* The record's prefix: "<RFC3339Nano> <stream> <F|P> ". */
static int record_head(char *head, size_t len, const char *stream, bool partial)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	return snprintf(head, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s %c ", tm.tm_year + 1900,
	                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec,
	                stream, partial ? 'P' : 'F');
}

int pod_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int pod_log_parse_size(const char *s, int64_t *bytes)
{
	/* resource.Quantity's suffixes, as kubelet parses the flag. */
	static const struct {
		const char *sfx;
		int64_t mul;
	} units[] = {
	    {"Ki", 1LL << 10},   {"Mi", 1LL << 20},      {"Gi", 1LL << 30},
	    {"Ti", 1LL << 40},   {"k", 1000LL},          {"M", 1000000LL},
	    {"G", 1000000000LL}, {"T", 1000000000000LL}, {"", 1},
	};
	int64_t whole = 0, frac = 0, scale = 1;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (INT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (*p - '0');
	}
	if (p == s)
		return -EINVAL;
	if (*p == '.') {
		const char *f = ++p;

		for (; *p >= '0' && *p <= '9'; p++) {
			if (p - f >= 9)
				return -EINVAL;
			frac = frac * 10 + (*p - '0');
			scale *= 10;
		}
		if (p == f)
			return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		__int128 v;

		if (strcmp(p, units[i].sfx) != 0)
			continue;
		if (whole > INT64_MAX / units[i].mul)
			return -ERANGE;
		v = ((__int128)whole * scale + frac) * units[i].mul;
		/* A fraction must come to whole bytes (Quantity.AsInt64). */
		if (v % scale != 0)
			return -EINVAL;
		v /= scale;
		if (v > INT64_MAX)
			return -ERANGE;
		if (v <= 0)
			return -EINVAL;
		*bytes = (int64_t)v;
		return 0;
	}
	return -EINVAL;
}

static int open_live(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

/* A rotated name's time: "YYYYMMDD-hhmmss", exactly. */
static bool parse_ts(const char *s, size_t n, time_t *t)
{
	struct tm tm = {0};

	if (n != POD_LOG_TS_LEN || s[8] != '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (i != 8 && (s[i] < '0' || s[i] > '9'))
			return false;
	tm.tm_year =
	    (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
	tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
	tm.tm_hour = (s[9] - '0') * 10 + (s[10] - '0');
	tm.tm_min = (s[11] - '0') * 10 + (s[12] - '0');
	tm.tm_sec = (s[13] - '0') * 10 + (s[14] - '0');
	*t = timegm(&tm);
	return true;
}

/* The directory and file name parts of path, into dir (len bytes). */
static const char *split_path(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, len, ".");
		return path;
	}
	snprintf(dir, len, "%.*s", (int)(slash - path), path);
	return slash + 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a rotated file of `base` is: 0 not one, 1 plain, 2 compressed, 3 a
 * temporary file of a compression that did not finish. */
static int rotated_kind(const char *name, const char *base, time_t *t)
{
	size_t bl = strlen(base), n = strlen(name);
	const char *ts = name + bl + 1;

	if (n < bl + 1 + POD_LOG_TS_LEN || strncmp(name, base, bl) != 0 || name[bl] != '.' ||
	    !parse_ts(ts, POD_LOG_TS_LEN, t))
		return 0;
	ts += POD_LOG_TS_LEN;
	if (!*ts)
		return 1;
	if (strcmp(ts, ".gz") == 0)
		return 2;
	if (strcmp(ts, ".tmp") == 0 || strcmp(ts, ".gz.tmp") == 0)
		return 3;
	return 0;
}

/* The rotated files of path in use (kubelet's filterUnusedLogs: a .tmp
 * file, or a plain file whose .gz exists, is what an interrupted
 * compression left, and is removed), oldest first. A malloc'd array of
 * malloc'd names (*n of them), or NULL. */
static char **rotated_list(const char *path, size_t *n, time_t *newest)
{
	char dir[1024], full[2100];
	const char *base = split_path(path, dir, sizeof(dir));
	char **names = NULL;
	size_t cap = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		time_t t;
		int kind = rotated_kind(e->d_name, base, &t);

		if (kind == 3) {
			snprintf(full, sizeof(full), "%s/%s", dir, e->d_name);
			unlink(full);
			continue;
		}
		if (kind == 1) {
			struct stat st;

			snprintf(full, sizeof(full), "%s/%s.gz", dir, e->d_name);
			if (stat(full, &st) == 0) {
				full[strlen(full) - 3] = '\0';
				unlink(full);
				continue;
			}
		}
		if (!kind)
			continue;
		if (t > *newest)
			*newest = t;
		if (*n == cap) {
			char **b = realloc(names, (cap = cap ? cap * 2 : 8) * sizeof(*names));

			if (!b)
				break;
			names = b;
		}
		snprintf(full, sizeof(full), "%s/%s", dir, e->d_name);
		if (!(names[*n] = strdup(full)))
			break;
		(*n)++;
	}
	closedir(d);
	if (names)
		qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

static void free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* kubelet's compressLog: <name> to <name>.gz through <name>.tmp. */
static int compress_file(const char *name)
{
	char tmp[2200], gzname[2200], buf[65536];
	int in = open(name, O_RDONLY | O_CLOEXEC), out, ret = 0;
	gzFile gz;
	ssize_t n;

	if (in < 0)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	snprintf(gzname, sizeof(gzname), "%s.gz", name);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	gz = gzdopen(out, "wb");
	if (!gz) {
		close(out);
		ret = -ENOMEM;
		goto done;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (gzwrite(gz, buf, (unsigned)n) != (int)n) {
			ret = -EIO;
			break;
		}
	if (n < 0)
		ret = -EIO;
	if (gzclose(gz) != Z_OK && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, gzname) < 0)
		ret = -errno;
	if (!ret)
		unlink(name);
done:
	close(in);
	if (ret)
		unlink(tmp);
	return ret;
}

/* kubelet's rotateLog: removes what an earlier rotation left half done
 * and the oldest files, compresses the rest, then renames the live file
 * and opens a new one. The live file is kept (and grows) when it fails. */
static int rotate(struct pod_log *lg)
{
	char rotated[1100], ts[32];
	size_t n, keep = lg->lg_max_files > 2 ? (size_t)lg->lg_max_files - 2 : 0;
	char **names = rotated_list(lg->lg_path, &n, &lg->lg_last);
	time_t now = time(NULL);
	struct tm tm;
	int fd;

	/* Oldest first, so that a `kubectl logs` reading one of the newer
	 * files keeps its file the longest (as removeExcessLogs). */
	for (size_t i = 0; i + keep < n; i++)
		unlink(names[i]);
	for (size_t i = n > keep ? n - keep : 0; i < n; i++) {
		size_t l = strlen(names[i]);

		if (lg->lg_gzip && (l < 3 || strcmp(names[i] + l - 3, ".gz") != 0))
			compress_file(names[i]);
	}
	free_list(names, n);
	/* The name is the rotation's time, or a second past the newest
	 * rotated file's when that is not later (two rotations in a second),
	 * so that names sort as the files' ages. kubelet formats the node's
	 * local time; UTC here, so that the order holds across DST too. */
	if (now <= lg->lg_last)
		now = lg->lg_last + 1;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", &tm);
	snprintf(rotated, sizeof(rotated), "%s.%s", lg->lg_path, ts);
	if (rename(lg->lg_path, rotated) < 0)
		return -errno;
	fd = open_live(lg->lg_path);
	if (fd < 0) {
		int err = -errno;

		rename(rotated, lg->lg_path);
		return err;
	}
	close(lg->lg_fd);
	lg->lg_fd = fd;
	lg->lg_size = 0;
	lg->lg_last = now;
	return 0;
}

struct pod_log *pod_log_open(const char *path, int64_t max_size, int max_files, bool gzip, int *err)
{
	struct pod_log *lg = calloc(1, sizeof(*lg));
	struct stat st;

	if (!lg || !(lg->lg_buf = malloc(POD_LOG_BATCH))) {
		free(lg);
		*err = -ENOMEM;
		return NULL;
	}
	snprintf(lg->lg_path, sizeof(lg->lg_path), "%s", path);
	lg->lg_fd = open_live(path);
	if (lg->lg_fd < 0) {
		*err = -errno;
		free(lg->lg_buf);
		free(lg);
		return NULL;
	}
	lg->lg_size = fstat(lg->lg_fd, &st) == 0 ? st.st_size : 0;
	lg->lg_max_size = max_size > 0 ? max_size : 0;
	lg->lg_max_files = max_files > 1 ? max_files : 2;
	lg->lg_gzip = gzip;
	return lg;
}

int pod_log_flush(struct pod_log *lg)
{
	int ret = 0;

	if (lg->lg_len && pod_write_all(lg->lg_fd, lg->lg_buf, lg->lg_len) < 0)
		ret = -EIO;
	lg->lg_len = 0;
	return ret;
}

void pod_log_record(struct pod_log *lg, const char *stream, bool partial, const char *text,
                    size_t len)
{
	char head[96];
	int hn = record_head(head, sizeof(head), stream, partial);
	size_t need = (size_t)hn + len + 1;

	if (lg->lg_max_size && lg->lg_size > 0 && lg->lg_size + (int64_t)need > lg->lg_max_size) {
		pod_log_flush(lg);
		rotate(lg);
	}
	if (lg->lg_len + need > POD_LOG_BATCH)
		pod_log_flush(lg);
	if (need > POD_LOG_BATCH) {
		/* Only a record of a caller that does not cut lines. */
		pod_write_all(lg->lg_fd, head, (size_t)hn);
		pod_write_all(lg->lg_fd, text, len);
		pod_write_all(lg->lg_fd, "\n", 1);
	} else {
		memcpy(lg->lg_buf + lg->lg_len, head, (size_t)hn);
		memcpy(lg->lg_buf + lg->lg_len + hn, text, len);
		lg->lg_buf[lg->lg_len + need - 1] = '\n';
		lg->lg_len += need;
	}
	lg->lg_size += (int64_t)need;
}

void pod_log_close(struct pod_log *lg)
{
	if (!lg)
		return;
	pod_log_flush(lg);
	close(lg->lg_fd);
	free(lg->lg_buf);
	free(lg);
}

int pod_log_fd(const struct pod_log *lg)
{
	return lg->lg_fd;
}

int pod_log_open_newest_rotated(const char *path)
{
	char dir[1024], best[300] = "", full[1400];
	const char *base = split_path(path, dir, sizeof(dir));
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		time_t t;

		if (rotated_kind(e->d_name, base, &t) == 1 && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (!*best)
		return -1;
	snprintf(full, sizeof(full), "%s/%s", dir, best);
	return open(full, O_RDONLY | O_CLOEXEC);
}

void pod_log_remove(const char *path)
{
	time_t newest = 0;
	size_t n;
	char **names = rotated_list(path, &n, &newest);

	for (size_t i = 0; i < n; i++)
		unlink(names[i]);
	free_list(names, n);
	unlink(path);
}

/* ---- the shim's pump: the container's pipes to its log ---- */

struct pump_stream {
	int fd;
	const char *name;
	char buf[POD_LOG_LINE_MAX];
	size_t len;
};

static void pump_lines(struct pump_stream *s, struct pod_log *lg, bool eof)
{
	size_t start = 0;

	for (size_t i = 0; i < s->len; i++) {
		if (s->buf[i] != '\n')
			continue;
		pod_log_record(lg, s->name, false, s->buf + start, i - start);
		start = i + 1;
	}
	if (start < s->len && (eof || (start == 0 && s->len == sizeof(s->buf)))) {
		/* A line longer than the buffer goes out in pieces marked
		 * partial; the last bytes before EOF end a line of their own. */
		pod_log_record(lg, s->name, !eof, s->buf + start, s->len - start);
		start = s->len;
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pod_log_pump(struct pod_log *lg, int out_fd, int err_fd, int pidfd, pid_t pid)
{
	struct pump_stream out = {.name = "stdout"}, err = {.name = "stderr"};
	int64_t deadline = -1;
	bool exited = false;
	int status = 0;

	out.fd = out_fd;
	err.fd = err_fd;
	while (out.fd >= 0 || err.fd >= 0 || !exited) {
		struct pollfd pf[3] = {
		    {out.fd, POLLIN, 0}, {err.fd, POLLIN, 0}, {exited ? -1 : pidfd, POLLIN, 0}};
		int timeout = -1;

		if (exited) {
			timeout = (int)(deadline - mono_ms());
			if (timeout <= 0)
				break;
		}
		if (poll(pf, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			struct pump_stream *s = i ? &err : &out;
			ssize_t n;

			if (s->fd < 0 || !pf[i].revents)
				continue;
			n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(s->fd);
				s->fd = -1;
				continue;
			}
			s->len += (size_t)n;
			if (lg)
				pump_lines(s, lg, false);
		}
		if (lg)
			pod_log_flush(lg);
		if (!exited && pf[2].revents) {
			if (waitpid(pid, &status, 0) == pid) {
				exited = true;
				/* The container is its process group: what it
				 * left behind goes with it. */
				kill(-pid, SIGKILL);
				deadline = mono_ms() + POD_SHIM_DRAIN_MS;
			}
		}
	}
	if (lg) {
		pump_lines(&out, lg, true);
		pump_lines(&err, lg, true);
		pod_log_flush(lg);
	}
	return status;
}
