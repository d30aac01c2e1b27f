/* Admission over arbitrary JSON: an object is created; an array [old, new]
 * is a create of old followed by an update to new; every admitted write is
 * committed and then deleted, so the allocators see every path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "api_int.h"

static const struct k1s_resource *resource_of(const json_t *obj)
{
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const struct k1s_resource *r;

	if (!kind)
		return NULL;
	for (r = k1s_resources; r->resource; r++)
		if (strcmp(r->kind, kind) == 0)
			return r;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_config cfg = {.service_cidr = "10.96.0.0/24",
				 .node_port_min = 30000,
				 .node_port_max = 30015};
	struct api_admit *adm = api_admit_new(NULL, &cfg);
	json_t *in = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	json_t *first = json_is_array(in) ? json_array_get(in, 0) : in;
	json_t *second = json_is_array(in) ? json_array_get(in, 1) : NULL;
	const struct k1s_resource *r = resource_of(first);
	json_t *old = NULL, *st = NULL;

	if (r && json_is_object(first)) {
		old = json_deep_copy(first);
		if (api_admit_create(adm, r, old, &st) == 0) {
			api_admit_commit(adm, r, NULL, old);
		} else {
			json_decref(old);
			old = NULL;
		}
		json_decref(st);
		st = NULL;
	}
	if (old && json_is_object(second)) {
		json_t *obj = json_deep_copy(second);

		if (api_admit_update(adm, r, old, obj, &st) == 0) {
			api_admit_commit(adm, r, old, obj);
			json_decref(old);
			old = obj;
		} else {
			json_decref(obj);
		}
		json_decref(st);
	}
	if (old)
		api_admit_commit(adm, r, old, NULL);
	json_decref(old);
	json_decref(in);
	api_admit_free(adm);
	return 0;
}
