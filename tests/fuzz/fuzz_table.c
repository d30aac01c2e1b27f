/* api_table() over arbitrary stored objects: every printer must cope with
 * any JSON shape (missing members, wrong types, huge numbers) without
 * crashing, and must always produce a serialisable Table. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <jansson.h>

#include "api_int.h"
#include "k1s_types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum api_include modes[] = {API_INCLUDE_METADATA, API_INCLUDE_OBJECT,
	                                         API_INCLUDE_NONE};
	json_t *in = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	json_t *objs;
	unsigned n = 0;

	if (!in)
		return 0;
	if (json_is_array(in)) {
		objs = in;
	} else {
		objs = json_array();
		json_array_append_new(objs, in);
	}
	for (const struct k1s_resource *r = k1s_resources;; r++) {
		json_t *t =
		    api_table(r->resource ? r : NULL, objs, n % 2 == 0, modes[n % 3], 1735732800);
		char *s = json_dumps(t, JSON_COMPACT);

		if (!s)
			abort();
		free(s);
		json_decref(t);
		n++;
		if (!r->resource)
			break;
	}
	json_decref(objs);
	return 0;
}
