/* The REST path parser on arbitrary URLs. A path it accepts names a served
 * resource in its own group and version, and its parts fit their fields;
 * written back in canonical form (/api/v1 or /apis/G/V, namespaces/NS,
 * RES, NAME, SUB) it parses to the same parts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fits(const char *s, size_t cap)
{
	if (strnlen(s, cap) >= cap)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_path p, again;
	char *url = malloc(size + 1), canon[2048];
	int r, n;

	if (!url)
		return 0;
	if (size)
		memcpy(url, data, size);
	url[size] = '\0';
	r = api_path_parse(url, &p);
	free(url);
	if (r != 1) {
		if (r != 0 && r != -1)
			abort();
		return 0;
	}
	if (!p.res || strcmp(p.res->group, p.group) != 0 || strcmp(p.res->version, p.version) != 0)
		abort();
	check_fits(p.ns, sizeof(p.ns));
	check_fits(p.name, sizeof(p.name));
	check_fits(p.sub, sizeof(p.sub));
	if ((*p.sub && !*p.name) || (*p.ns && !(p.res->flags & K1S_RF_NAMESPACED)))
		abort();
	if (*p.group)
		n = snprintf(canon, sizeof(canon), "/apis/%s/%s", p.group, p.version);
	else
		n = snprintf(canon, sizeof(canon), "/api/%s", p.version);
	if (*p.ns)
		n += snprintf(canon + n, sizeof(canon) - (size_t)n, "/namespaces/%s", p.ns);
	n += snprintf(canon + n, sizeof(canon) - (size_t)n, "/%s", p.res->resource);
	if (*p.name)
		n += snprintf(canon + n, sizeof(canon) - (size_t)n, "/%s", p.name);
	if (*p.sub)
		snprintf(canon + n, sizeof(canon) - (size_t)n, "/%s", p.sub);
	if (api_path_parse(canon, &again) != 1 || again.res != p.res ||
	    strcmp(again.ns, p.ns) != 0 || strcmp(again.name, p.name) != 0 ||
	    strcmp(again.sub, p.sub) != 0)
		abort();
	return 0;
}
