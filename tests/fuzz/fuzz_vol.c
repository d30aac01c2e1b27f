/* A pod's volumes from the input: JSON {"volumes": [...], "volumeMounts":
 * [...], "secret": {data}, "configMap": {data}, "labels": {...}} (Secret s
 * and ConfigMap cm in the store). Whatever the volumes, items, paths and
 * subPaths say, the runtime writes only under the pod's volumes
 * directory, every mount's source is inside it, and the pod's directory
 * can be removed whole afterwards. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "pod_rt_int.h"
#include "st.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct st *st;
static char root[] = "/tmp/fuzz_vol.XXXXXX";
static char store[64], poddir[64], vols[80];

static void drop_root(void)
{
	st_close(st);
	pod_rmtree(root);
}

/* Puts obj's "data" into the store as res/name (replacing it), or
 * deletes it when there is none. */
static void put(const char *res, const char *name, json_t *data)
{
	json_t *o, *cur;

	if (st_get(st, res, "default", name, &cur) == 0) {
		json_decref(cur);
		st_delete(st, res, "default", name, 0, NULL);
	}
	if (!json_is_object(data))
		return;
	o = json_pack("{s:{s:s,s:s},s:O}", "metadata", "name", name, "namespace", "default",
	              "data", data);
	if (o)
		st_create(st, res, "default", name, o);
	json_decref(o);
}

/* Only the store and the pod's directory are in root. */
static void check_root(void)
{
	DIR *d = opendir(root);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "store") == 0 || strcmp(de->d_name, "pod") == 0)
			continue;
		fprintf(stderr, "fuzz_vol: %s/%s written outside the pod\n", root, de->d_name);
		abort();
	}
	if (d)
		closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = json_loadb((const char *)data, size, 0, NULL), *pod, *cs;
	struct pod_mount *m = NULL;
	struct stat sb;
	char msg[512];
	size_t n = 0;

	if (!st) {
		int err;

		if (!mkdtemp(root))
			abort();
		snprintf(store, sizeof(store), "%s/store", root);
		snprintf(poddir, sizeof(poddir), "%s/pod", root);
		snprintf(vols, sizeof(vols), "%s/volumes/", poddir);
		if (mkdir(store, 0700) < 0 || !(st = st_open(store, NULL, &err)))
			abort();
		atexit(drop_root);
	}
	if (!json_is_object(in)) {
		json_decref(in);
		return 0;
	}
	put("secrets", "s", json_object_get(in, "secret"));
	put("configmaps", "cm", json_object_get(in, "configMap"));
	pod = json_pack("{s:{s:s,s:s,s:s,s:O*},s:{s:O*}}", "metadata", "name", "p", "namespace",
	                "default", "uid", "u", "labels", json_object_get(in, "labels"), "spec",
	                "volumes", json_object_get(in, "volumes"));
	cs = json_pack("{s:s,s:O*}", "name", "c", "volumeMounts",
	               json_object_get(in, "volumeMounts"));
	if (pod && cs && mkdir(poddir, 0700) == 0) {
		msg[0] = '\0';
		struct pod_vol_objs objs = {.st = st};

		if (pod_vol_setup(&objs, pod, poddir, msg, sizeof(msg)) < 0 && !*msg)
			abort(); /* a failure always says why */
		pod_vol_objs_clear(&objs);
		if (pod_vol_mounts(pod, cs, poddir, &m, &n, msg, sizeof(msg)) == 0) {
			for (size_t i = 0; i < n; i++) {
				if (strncmp(m[i].src, vols, strlen(vols)) != 0 ||
				    m[i].dst[0] != '/') {
					fprintf(stderr, "fuzz_vol: mount %s on %s\n", m[i].src,
					        m[i].dst);
					abort();
				}
			}
			pod_vol_mounts_free(m, n);
		}
		check_root();
		pod_vol_teardown(poddir);
		pod_rmtree(poddir);
		if (lstat(poddir, &sb) == 0)
			abort();
	}
	json_decref(pod);
	json_decref(cs);
	json_decref(in);
	return 0;
}
