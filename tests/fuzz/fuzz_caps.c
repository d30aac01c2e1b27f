/* A securityContext's capabilities (add, drop) from the input, as JSON:
 * never more than the 41 the runtime knows, never one that add does not
 * name, and an unknown name is an error naming it. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>

#include "pod_rt_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *sc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	json_t *again;
	uint64_t caps = 0, only = 0;
	char msg[128];
	int err;

	if (!sc)
		return 0;
	err = pod_caps_parse(sc, &caps, msg, sizeof(msg));
	if (err < 0) {
		assert(err == -EINVAL);
		assert(strncmp(msg, "unknown capability \"", 20) == 0);
	} else {
		assert(caps < 1ULL << 41);
		/* What add names alone, without drop: a superset. */
		again = json_pack("{s:{s:O?}}", "capabilities", "add",
		                  json_object_get(json_object_get(sc, "capabilities"), "add"));
		assert(again && pod_caps_parse(again, &only, msg, sizeof(msg)) == 0);
		assert((caps & ~only) == 0);
		json_decref(again);
	}
	json_decref(sc);
	return 0;
}
