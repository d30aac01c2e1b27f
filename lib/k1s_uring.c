#include <errno.h>

#include "k1s_uring.h"

int k1s_uring_init(struct io_uring *ring, unsigned entries)
{
	static const unsigned flags[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		0,
	};
	int err = -EINVAL;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct io_uring_params p = {.flags = flags[i]};

		err = io_uring_queue_init_params(entries, ring, &p);
		if (err == 0)
			return 0;
	}
	return err;
}
