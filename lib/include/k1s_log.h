/* Logging: one line per event, module-prefixed, to stderr. Thread-safe. */
#ifndef K1S_LOG_H
#define K1S_LOG_H

#include <stdbool.h>

enum k1s_log_level { K1S_LOG_ERROR, K1S_LOG_WARN, K1S_LOG_INFO, K1S_LOG_DEBUG };

void k1s_log_set_level(enum k1s_log_level level);
/* Parses "error", "warn", "info" or "debug"; returns 0 or -EINVAL. */
int k1s_log_parse_level(const char *s, enum k1s_log_level *out);
/* Whether lines of this level are written (to skip building one). */
bool k1s_log_enabled(enum k1s_log_level level);
void k1s_log(enum k1s_log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 0 when the last line was written, else the errno of its failed write
 * (the API's `log` health check). */
int k1s_log_write_error(void);

#define k1s_err(mod, ...) k1s_log(K1S_LOG_ERROR, mod, __VA_ARGS__)
#define k1s_warn(mod, ...) k1s_log(K1S_LOG_WARN, mod, __VA_ARGS__)
#define k1s_info(mod, ...) k1s_log(K1S_LOG_INFO, mod, __VA_ARGS__)
#define k1s_debug(mod, ...) k1s_log(K1S_LOG_DEBUG, mod, __VA_ARGS__)

#endif
