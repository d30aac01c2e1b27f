/* The protobuf request body reader over arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_t *obj = NULL;

	if (api_proto_decode(data, size, &obj, err, sizeof(err)) == 0) {
		/* What the server does next: serialise it. */
		char *s = json_dumps(obj, JSON_COMPACT);

		free(s);
		json_decref(obj);
	}
	return 0;
}
