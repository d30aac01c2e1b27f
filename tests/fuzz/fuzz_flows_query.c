/* The query of /k1s/flows as api_flows_parse() checks it: the input is
 * the query string. Whatever it is, the answer is 0 with values in range
 * and names that fit, or -EINVAL with a message. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_flows_q q;
	char msg[512] = "";
	char *s = malloc(size + 1);
	int r;

	if (!s)
		return 0;
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	r = api_flows_parse(s, &q, msg, sizeof(msg));
	if (r == 0) {
		if (q.verdict < -1 || q.verdict > 1 || q.limit < 0 || q.timeout_s <= 0 ||
		    q.timeout_s > API_FLOWS_TIMEOUT_MAX_S || strlen(q.ns) > 63 ||
		    strlen(q.pod) > 253)
			abort();
		if (*q.module && strcmp(q.module, "dataplane") && strcmp(q.module, "ingress") &&
		    strcmp(q.module, "dns") && strcmp(q.module, "policy"))
			abort();
	} else if (r != -EINVAL || !*msg) {
		abort();
	}
	free(s);
	return 0;
}
