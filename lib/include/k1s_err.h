/* k1s error codes. Functions return 0 or a negative errno; codes that no
 * errno names live below K1S_ERROR_MIN. */
#ifndef K1S_ERR_H
#define K1S_ERR_H

#include <errno.h>

enum {
	K1S_ERROR_MIN = -1000,
	K1S_EGONE = -1001,	/* watch revision older than the compacted window */
	K1S_ECONFLICT = -1002,	/* optimistic concurrency: resourceVersion mismatch */
	K1S_EINVALID = -1003,	/* object failed validation */
	K1S_EDISKFULL = -1004,	/* the store's file system is full: nothing was written */
	K1S_EDAMAGED = -1005,	/* the store's file is damaged or not a database */
};

const char *k1s_strerror(int err);

#endif
