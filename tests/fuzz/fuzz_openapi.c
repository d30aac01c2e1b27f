/* The group-version part of /openapi/v3/<gv> URLs, as a client sends it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *gv;
	json_t *doc;

	if (size > 512)
		return 0;
	gv = malloc(size + 1);
	if (!gv)
		return 0;
	memcpy(gv, data, size);
	gv[size] = '\0';
	doc = api_openapi_doc(gv);
	json_decref(doc);
	free(gv);
	return 0;
}
