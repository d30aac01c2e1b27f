/* The WebSocket frame parser on arbitrary client bytes: the first byte
 * picks the message cap and whether masks are required, the rest is fed
 * in pieces whose sizes come from the input too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_stream_int.h"

static int on_msg(void *arg, uint8_t op, const uint8_t *data, size_t len)
{
	size_t *total = arg;

	/* Touch every byte so that the sanitizers see bad ranges. */
	for (size_t i = 0; i < len; i++)
		*total += data[i];
	return op == API_WS_CLOSE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_ws_rx rx = {0};
	uint8_t *buf;
	size_t len = 0, total = 0, off = 1;

	if (size < 1)
		return 0;
	rx.want_mask = data[0] & 1;
	rx.max = (data[0] & 2) ? 64 : 0;
	buf = malloc(size);
	if (!buf)
		return 0;
	while (off < size) {
		size_t piece = 1 + data[off] % 64, used = 0;
		uint16_t code = 0;
		int r;

		off++;
		if (piece > size - off)
			piece = size - off;
		memcpy(buf + len, data + off, piece);
		len += piece;
		off += piece;
		r = api_ws_rx_feed(&rx, buf, len, &used, on_msg, &total, &code);
		if (used > len)
			abort();
		memmove(buf, buf + used, len - used);
		len -= used;
		if (r < 0 && code != API_WS_PROTOCOL_ERROR && code != API_WS_TOO_BIG)
			abort();
		if (r != 0)
			break;
	}
	api_ws_rx_free(&rx);
	free(buf);
	return 0;
}
