/* io_uring rings for the data-path threads (dataplane, DNS). */
#ifndef K1S_URING_H
#define K1S_URING_H

#include <liburing.h>

/* A ring for the calling thread alone: SINGLE_ISSUER with DEFER_TASKRUN
 * where the kernel has them (completions run only when the thread asks),
 * else COOP_TASKRUN, else a plain ring. 0 or a negative errno. */
int k1s_uring_init(struct io_uring *ring, unsigned entries);

#endif
