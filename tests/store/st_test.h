/* Helpers shared by the store's tests: a scratch directory per test and
 * small objects. */
#ifndef ST_TEST_H
#define ST_TEST_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

static inline char *st_test_dir(void)
{
	char tmpl[] = "/tmp/k1s-st-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static inline int st_test_rm_one(const char *path, const struct stat *sb, int flag,
				 struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes the directory and whatever a test left in it (the store's
 * files, and e.g. the certificates test_ctrl_cert writes beside them). */
static inline void st_test_rmdir(char *dir)
{
	if (!dir)
		return;
	nftw(dir, st_test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
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
