/* Request bodies in YAML: whatever the bytes, a value or a clean error. */
#include <stdint.h>
#include <stdlib.h>

#include "api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = NULL;
	char err[256];

	if (api_yaml_decode((const char *)data, size, &doc, err, sizeof(err)) == 0) {
		char *s = json_dumps(doc, JSON_ENCODE_ANY);

		free(s);
		json_decref(doc);
	}
	return 0;
}
