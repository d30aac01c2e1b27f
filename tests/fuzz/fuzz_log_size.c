/* --container-log-max-size as a resource.Quantity: whatever parses is a
 * positive number of bytes no larger than its digits allow, and the same
 * text parses the same way twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	int64_t a = 0, b = 0;
	int ra, rb;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	ra = pod_log_parse_size(s, &a);
	rb = pod_log_parse_size(s, &b);
	if (ra != rb || (ra == 0 && (a != b || a <= 0)))
		abort();
	/* Without a suffix, the bytes are the number itself. */
	if (ra == 0 && size && strspn(s, "0123456789") == size && a != strtoll(s, NULL, 10))
		abort();
	free(s);
	return 0;
}
