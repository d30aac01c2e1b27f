/* Feeds the input, as the body of a login POST, to the form reader: the
 * token key, then the empty key, each into a small and a large buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char small[8], large[128];
	int n;

	if (size > API_UI_LOGIN_MAX_BODY)
		return 0;
	n = api_ui_form_value((const char *)data, size, "token", large, sizeof(large));
	if (n >= 0 && strlen(large) != (size_t)n)
		abort();
	api_ui_form_value((const char *)data, size, "token", small, sizeof(small));
	api_ui_form_value((const char *)data, size, "", large, sizeof(large));
	return 0;
}
