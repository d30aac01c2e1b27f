/* Placeholder OpenAPI: empty documents. */
#include "api_int.h"

json_t *api_openapi_index(void)
{
	return json_pack("{s:{}}", "paths");
}
json_t *api_openapi_doc(const char *gv_path)
{
	return NULL;
}
