/* Placeholder catalog: no entries, every image runs the echo app. */
#include <errno.h>
#include <stdlib.h>
#include "pod_int.h"

struct pod_catalog { int unused; };
struct pod_catalog *pod_catalog_load(const char *path, int *err) { return calloc(1, sizeof(struct pod_catalog)); }
void pod_catalog_free(struct pod_catalog *c) { free(c); }
const char *const *pod_catalog_entrypoint(const struct pod_catalog *c, const char *image) { return NULL; }
