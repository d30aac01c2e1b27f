/* Helpers shared by the store's tests: a scratch directory per test and
 * small objects. */
#ifndef ST_TEST_H
#define ST_TEST_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

static inline char *st_test_dir(void)
{
	char tmpl[] = "/tmp/k1s-st-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static inline void st_test_rmdir(char *dir)
{
	static const char *const files[] = {"k1s.db", "k1s.db-wal", "k1s.db-shm", "k1s.db-journal"};
	char path[PATH_MAX];

	if (!dir)
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	free(dir);
}

/* A ConfigMap-shaped object. */
static inline json_t *st_test_obj(const char *ns, const char *name, const char *value)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "v1", "kind",
	                 "ConfigMap", "metadata", "name", name, "namespace", ns, "data", "v",
	                 value);
}

/* metadata.resourceVersion as a number; -1 when absent or not a string. */
static inline long long st_test_rv(const json_t *obj)
{
	json_t *rv = json_object_get(json_object_get(obj, "metadata"), "resourceVersion");

	return json_is_string(rv) ? atoll(json_string_value(rv)) : -1;
}

#endif
