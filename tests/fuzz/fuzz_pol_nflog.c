/* The drop log's reader: nfnetlink_log messages as the kernel would send
 * them, their prefixes and packet headers (a pod's bytes) taken apart
 * with every length checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_log.h"
#include "pol_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pol_nflog *l;
	void *buf;
	int err;

	if (!l) {
		k1s_log_set_level(K1S_LOG_ERROR);
		l = pol_nflog_new(0, 5, &err);
		if (!l)
			abort();
	}
	/* The kernel's buffers are aligned; so is this copy. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	pol_nflog_parse(l, buf, size, NULL);
	free(buf);
	return 0;
}
