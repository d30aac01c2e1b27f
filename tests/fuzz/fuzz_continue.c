/* The continue token of a list, as a client sends it back. A token that
 * decodes is the one token the encoder writes for its key (no second
 * spelling of a key), and every key the decoder gives encodes and decodes
 * to itself. The bytes are also taken as a key: split at the first
 * newline into namespace and name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_crud_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ns[256], name[256], ns2[256], name2[256], tok[1300];
	char *s = malloc(size + 1), *nl;

	if (!s)
		return 0;
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	if (api_continue_decode(s, ns, sizeof(ns), name, sizeof(name)) == 0) {
		if (strchr(ns, '\n'))
			abort();
		api_continue_encode(tok, sizeof(tok), ns, name);
		if (strcmp(tok, s) != 0)
			abort();
	}
	/* The input as a key; keys of the store fit the buffers. */
	nl = strchr(s, '\n');
	if (nl && (size_t)(nl - s) < sizeof(ns) && strlen(nl + 1) < sizeof(name)) {
		*nl = '\0';
		api_continue_encode(tok, sizeof(tok), s, nl + 1);
		if (api_continue_decode(tok, ns2, sizeof(ns2), name2, sizeof(name2)) != 0 ||
		    strcmp(ns2, s) != 0 || strcmp(name2, nl + 1) != 0)
			abort();
	}
	free(s);
	return 0;
}
