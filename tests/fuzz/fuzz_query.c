/* Feeds the input to the query value readers: as one value to the integer,
 * boolean and quoting functions, and split at NUL bytes into dryRun values
 * (the last one also as fieldValidation and propagationPolicy) for the
 * options check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *vals[8];
	struct api_options o = {.kind = "PatchOptions", .dry = vals};
	char err[64], q[16];
	int64_t n;
	bool b;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	api_query_int64(s, &n, err, sizeof(err));
	api_query_bool(s);
	api_query_go_bool(s, &b);
	api_go_quote(q, sizeof(q), s);
	for (size_t i = 0; i <= size && o.ndry < 8; i += strlen(s + i) + 1)
		vals[o.ndry++] = s + i;
	o.field_validation = vals[o.ndry - 1];
	o.policy = vals[o.ndry - 1];
	o.force_set = size & 1;
	json_decref(api_query_check_options(&o));
	free(s);
	return 0;
}
