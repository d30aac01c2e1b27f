/* Placeholder. */
#include <stdlib.h>
#include <errno.h>
#include "api_int.h"
struct api { int fd; };
struct api *api_new(struct st *st, const struct api_config *cfg, int *err) { *err = -ENOSYS; return NULL; }
void api_free(struct api *api) {}
int api_fd(const struct api *api) { return -1; }
int api_timeout_ms(struct api *api) { return -1; }
void api_run(struct api *api) {}
