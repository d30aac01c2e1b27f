/* Placeholder runtime. */
#include <errno.h>
#include "pod_int.h"

struct pod_rt *pod_rt_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
			  const struct pod_config *cfg, int *err)
{
	*err = -ENOSYS;
	return NULL;
}
void pod_rt_free(struct pod_rt *rt) {}
int pod_log_path(struct pod_rt *rt, const char *ns, const char *name, const char *container,
		 bool previous, char *path, size_t len, const char **reason) { return -ENOENT; }
bool pod_running(struct pod_rt *rt, const char *ns, const char *name, const char *container) { return false; }
int pod_exec(struct pod_rt *rt, const char *ns, const char *name, const char *container,
	     char *const argv[], bool tty, bool want_stdin, pod_exit_fn on_exit, void *arg,
	     struct pod_stdio *out) { return -ENOSYS; }
int pod_attach(struct pod_rt *rt, const char *ns, const char *name, const char *container,
	       pod_exit_fn on_exit, void *arg, struct pod_stdio *out) { return -ENOSYS; }
int pod_connect(struct pod_rt *rt, const char *ns, const char *name, int port) { return -ENOSYS; }
int pod_resize(int tty_fd, unsigned short cols, unsigned short rows) { return -ENOSYS; }
