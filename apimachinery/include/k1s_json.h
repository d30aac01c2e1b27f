/* Small helpers over jansson values that every module needs. */
#ifndef K1S_JSON_H
#define K1S_JSON_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>

/* The value at a dotted path ("metadata.name"), or NULL. Borrowed. */
json_t *k1s_json_path(const json_t *obj, const char *path);
/* The string at a dotted path, or NULL if absent or not a string. */
const char *k1s_json_str(const json_t *obj, const char *path);
/* The object at a dotted path, created (with its parents) if absent;
 * NULL if a member on the way is not an object. Borrowed. */
json_t *k1s_json_obj(json_t *obj, const char *path);
/* Sets a string member at a dotted path, creating parents. 0 or -EINVAL. */
int k1s_json_set_str(json_t *obj, const char *path, const char *value);

/* RFC 3339 UTC with second precision, as metav1.Time: buf >= 21 bytes. */
void k1s_time_fmt(char *buf, size_t len, time_t t);
/* Parses what k1s_time_fmt writes (fractions and offsets accepted);
 * -EINVAL if malformed. */
int k1s_time_parse(const char *s, time_t *out);
/* A random UUID v4 into buf (>= 37 bytes). */
void k1s_uuid(char *buf, size_t len);
/* `n` random lowercase alphanumerics as Kubernetes' generateName uses
 * (no vowels), into buf (>= n + 1 bytes). */
void k1s_rand_suffix(char *buf, size_t n);

#endif
