/* The SPDY/3 frame and header-block parsers of port-forward on arbitrary
 * bytes: frames are walked as the session walks them, and each control
 * frame's body is also read as a (raw) header block. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_stream_int.h"

static void on_header(void *arg, const char *k, size_t kl, const char *v, size_t vl)
{
	size_t *total = arg;

	for (size_t i = 0; i < kl; i++)
		*total += (unsigned char)k[i];
	for (size_t i = 0; i < vl; i++)
		*total += (unsigned char)v[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, total = 0;
	struct api_spdy_frame f;
	int n;

	while ((n = api_spdy_frame(data + off, size - off, &f)) > 0) {
		if ((size_t)n > size - off || f.data + f.len > data + size)
			abort();
		if (f.control && f.len >= 10)
			api_spdy_headers(f.data + 10, f.len - 10, on_header, &total);
		off += (size_t)n;
	}
	api_spdy_headers(data, size, on_header, &total);
	return 0;
}
