/* Go durations as Certificates' spec.duration and spec.renewBefore and
 * --cert-validity give them: whatever parses is a finite number of
 * seconds, and the same text parses the same way twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl.h"

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
	ra = ctrl_duration_parse(s, &a);
	rb = ctrl_duration_parse(s, &b);
	if (ra != rb || (ra == 0 && a != b))
		abort();
	if (ra == 0 && (a > 9300000000LL || a < -9300000000LL))
		abort();
	free(s);
	return 0;
}
