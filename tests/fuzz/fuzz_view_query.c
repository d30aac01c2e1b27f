/* A view's query as api_query_param() reads it: the input is the query
 * string; every key a view asks for is looked up, into a buffer that fits
 * and into one that is too small. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"from", "to", "port", "protocol", "", "a b", "x/y"};
	char big[API_VIEW_QUERY_MAX + 1], small[4];
	char *q = malloc(size + 1);
	size_t i;

	if (!q)
		return 0;
	if (size)
		memcpy(q, data, size);
	q[size] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int n = api_query_param(q, keys[i], big, sizeof(big));

		if (n >= 0 && strlen(big) != (size_t)n)
			abort();
		api_query_param(q, keys[i], small, sizeof(small));
	}
	free(q);
	return 0;
}
