/* For tests of a module with data-path loops (the dataplane, the
 * ingress): let the control loop run its hooks for a moment, so that the
 * module takes the store's changes, then wait until every loop runs the
 * snapshot it published. 0, or -1 when the loops did not take it within
 * a second.
 *
 * Header-only so that any test program can include it. */
#ifndef PUB_SYNC_H
#define PUB_SYNC_H

#include <unistd.h>

#include "k1s_loop.h"
#include "k1s_pub.h"

static inline void pub_sync_stop(void *arg)
{
	*(volatile int *)arg = 1;
}

static inline int pub_sync(struct k1s_loop *loop, struct k1s_pub *pub)
{
	volatile int stop = 0;

	k1s_loop_timer(loop, 20, pub_sync_stop, (void *)&stop);
	k1s_loop_run(loop, &stop);
	for (int i = 0; i < 200; i++) {
		if (k1s_pub_caught_up(pub))
			return 0;
		usleep(5000);
	}
	return -1;
}

#endif
