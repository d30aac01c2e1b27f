/* The allocators' parsers: the input's first line is a CIDR, the others
 * addresses to take, test and release. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *line, *save = NULL;
	struct ctrl_ipalloc *a = NULL;
	char pick[16];

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!a) {
			a = ctrl_ipalloc_new(line);
			if (!a)
				break;
			continue;
		}
		if (ctrl_ipalloc_contains(a, line) != (ctrl_ipalloc_take(a, line) != -EINVAL))
			abort();
		if (ctrl_ipalloc_contains(a, line) && !ctrl_ipalloc_taken(a, line))
			abort();
		if (ctrl_ipalloc_pick(a, pick, sizeof(pick)) == 0 && ctrl_ipalloc_taken(a, pick))
			abort();
		if (line[0] == '-')
			ctrl_ipalloc_release(a, line + 1);
	}
	ctrl_ipalloc_free(a);
	free(buf);
	return 0;
}
