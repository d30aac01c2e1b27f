#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "k1s_err.h"
#include "k1s_log.h"

static enum k1s_log_level log_level = K1S_LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};
static _Atomic int log_write_err;

void k1s_log_set_level(enum k1s_log_level level)
{
	log_level = level;
}

bool k1s_log_enabled(enum k1s_log_level level)
{
	return level <= log_level;
}

int k1s_log_parse_level(const char *s, enum k1s_log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum k1s_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void k1s_log(enum k1s_log_level level, const char *module, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000, level_names[level], module);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so that lines from several threads never interleave. */
	if (fprintf(stderr, "%s\n", line) < 0)
		atomic_store(&log_write_err, errno ? errno : EIO);
	else
		atomic_store(&log_write_err, 0);
}

int k1s_log_write_error(void)
{
	return atomic_load(&log_write_err);
}

const char *k1s_strerror(int err)
{
	switch (err) {
	case K1S_EGONE:
		return "revision compacted";
	case K1S_ECONFLICT:
		return "resource version conflict";
	case K1S_EINVALID:
		return "invalid object";
	case K1S_EDISKFULL:
		return "the data directory is full (no space left on device): nothing was written";
	case K1S_EDAMAGED:
		return "the store's file is damaged";
	default:
		return strerror(err < 0 ? -err : err);
	}
}
