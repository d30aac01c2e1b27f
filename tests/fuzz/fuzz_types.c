/* Strict decoding over the type tables: any JSON body, decoded as the kind
 * its first byte picks, must be walked without a crash or a leak, and every
 * unknown field must be reported as a string. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <jansson.h>

#include "k1s_types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct k1s_resource *r;
	size_t nres = 0, i;
	json_t *obj, *errs, *e;
	int n;

	if (size < 1)
		return 0;
	while (k1s_resources[nres].resource)
		nres++;
	r = &k1s_resources[data[0] % nres];
	obj = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
	if (!obj)
		return 0;
	errs = json_array();
	n = k1s_types_unknown(r->type, obj, errs);
	if (n < 0 || (size_t)n != json_array_size(errs))
		abort();
	json_array_foreach(errs, i, e)
		if (!json_is_string(e))
			abort();
	json_decref(errs);
	json_decref(obj);
	return 0;
}
