#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "k1s_json.h"

json_t *k1s_json_path(const json_t *obj, const char *path)
{
	char key[256];
	const char *p = path;

	while (obj && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (n >= sizeof(key) || !json_is_object(obj))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		p += n + (dot ? 1 : 0);
	}
	return (json_t *)obj;
}

const char *k1s_json_str(const json_t *obj, const char *path)
{
	return json_string_value(k1s_json_path(obj, path));
}

json_t *k1s_json_obj(json_t *obj, const char *path)
{
	char key[256];
	const char *p = path;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		json_t *child;

		if (n >= sizeof(key) || !json_is_object(obj))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		child = json_object_get(obj, key);
		if (!child || json_is_null(child)) {
			child = json_object();
			json_object_set_new(obj, key, child);
		}
		obj = child;
		p += n + (dot ? 1 : 0);
	}
	return json_is_object(obj) ? obj : NULL;
}

int k1s_json_set_str(json_t *obj, const char *path, const char *value)
{
	const char *dot = strrchr(path, '.');
	json_t *parent = obj;

	if (dot) {
		char head[256];
		size_t n = (size_t)(dot - path);

		if (n >= sizeof(head))
			return -EINVAL;
		memcpy(head, path, n);
		head[n] = '\0';
		parent = k1s_json_obj(obj, head);
		if (!parent)
			return -EINVAL;
	}
	json_object_set_new(parent, dot ? dot + 1 : path, json_string(value));
	return 0;
}

void k1s_time_fmt(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int k1s_time_parse(const char *s, time_t *out)
{
	struct tm tm = {0};
	const char *rest;
	int off = 0;

	if (!s)
		return -EINVAL;
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return -EINVAL;
	if (*rest == '.') {
		rest++;
		while (*rest >= '0' && *rest <= '9')
			rest++;
	}
	if (*rest == '+' || *rest == '-') {
		int hh, mm;

		if (sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2)
			return -EINVAL;
		off = (hh * 3600 + mm * 60) * (*rest == '+' ? 1 : -1);
		rest += 6;
	} else if (*rest == 'Z') {
		rest++;
	} else {
		return -EINVAL;
	}
	if (*rest)
		return -EINVAL;
	*out = timegm(&tm) - off;
	return 0;
}

void k1s_uuid(char *buf, size_t len)
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		memset(b, 0x5a, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

void k1s_rand_suffix(char *buf, size_t n)
{
	/* The alphabet of Kubernetes' utilrand.String: no vowels, no 0/1/3 lookalikes. */
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	unsigned char r[64];

	if (n > sizeof(r))
		n = sizeof(r);
	if (getrandom(r, n, 0) != (ssize_t)n)
		memset(r, 7, n);
	for (size_t i = 0; i < n; i++)
		buf[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	buf[n] = '\0';
}
