/* WebSocket framing: the handshake key, headers, masks, fragments, control
 * frames between fragments, and the errors a server closes with. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_stream_int.h"

struct got {
	int n;
	uint8_t op[16];
	size_t len[16];
	uint8_t data[16][300];
	int stop_at;	/* return 1 from this message on; 0 = never */
};

static int on_msg(void *arg, uint8_t op, const uint8_t *data, size_t len)
{
	struct got *g = arg;

	if (g->n < 16) {
		g->op[g->n] = op;
		g->len[g->n] = len;
		memcpy(g->data[g->n], data, len < 300 ? len : 300);
	}
	g->n++;
	return g->stop_at && g->n >= g->stop_at ? 1 : 0;
}

/* A client frame: masked, with FIN as given. */
static size_t client_frame(uint8_t *out, uint8_t op, bool fin, const void *data, size_t len)
{
	static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
	size_t h = api_ws_header(out, op, len, mask);

	if (!fin)
		out[0] &= 0x7f;
	memcpy(out + h, data, len);
	api_ws_mask(out + h, len, mask, 0);
	return h + len;
}

static void test_accept_key(void **state)
{
	char out[29];

	/* RFC 6455 section 1.3. */
	assert_int_equal(api_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(api_ws_accept("short", out), -EINVAL);
	assert_int_equal(api_ws_accept(NULL, out), -EINVAL);
	assert_int_equal(api_ws_accept("!!!!!!!!!!!!!!!!!!!!!!!!", out), -EINVAL);
}

static void test_header_lengths(void **state)
{
	uint8_t h[14];
	static const uint8_t mask[4] = {1, 2, 3, 4};

	assert_int_equal(api_ws_header(h, API_WS_BINARY, 5, NULL), 2);
	assert_int_equal(h[0], 0x82);
	assert_int_equal(h[1], 5);
	assert_int_equal(api_ws_header(h, API_WS_BINARY, 126, NULL), 4);
	assert_int_equal(h[1], 126);
	assert_int_equal(h[2] << 8 | h[3], 126);
	assert_int_equal(api_ws_header(h, API_WS_BINARY, 70000, NULL), 10);
	assert_int_equal(h[1], 127);
	assert_int_equal(h[7] << 16 | h[8] << 8 | h[9], 70000);
	assert_int_equal(api_ws_header(h, API_WS_CLOSE, 2, mask), 6);
	assert_int_equal(h[0], 0x88);
	assert_int_equal(h[1], 0x82);
	assert_memory_equal(h + 2, mask, 4);
}

static void test_masked_message(void **state)
{
	struct api_ws_rx rx = {.want_mask = true};
	struct got g = {0};
	uint8_t buf[512], msg[200];
	size_t n, used;
	uint16_t code;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	n = client_frame(buf, API_WS_BINARY, true, msg, sizeof(msg));
	/* Byte by byte: nothing until the frame is whole. */
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(api_ws_rx_feed(&rx, buf, i, &used, on_msg, &g, &code), 0);
		assert_int_equal(used, 0);
		assert_int_equal(g.n, 0);
	}
	assert_int_equal(api_ws_rx_feed(&rx, buf, n, &used, on_msg, &g, &code), 0);
	assert_int_equal(used, n);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.op[0], API_WS_BINARY);
	assert_int_equal(g.len[0], sizeof(msg));
	assert_memory_equal(g.data[0], msg, sizeof(msg));
	api_ws_rx_free(&rx);
}

static void test_fragments_with_ping_between(void **state)
{
	struct api_ws_rx rx = {.want_mask = true};
	struct got g = {0};
	uint8_t buf[256];
	size_t n = 0, used;
	uint16_t code;

	n += client_frame(buf + n, API_WS_BINARY, false, "\x01hel", 4);
	n += client_frame(buf + n, API_WS_PING, true, "hb", 2);
	n += client_frame(buf + n, 0, false, "lo ", 3);
	n += client_frame(buf + n, 0, true, "world", 5);
	n += client_frame(buf + n, API_WS_BINARY, true, "\x00x", 2);
	assert_int_equal(api_ws_rx_feed(&rx, buf, n, &used, on_msg, &g, &code), 0);
	assert_int_equal(used, n);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.op[0], API_WS_PING);
	assert_memory_equal(g.data[0], "hb", 2);
	assert_int_equal(g.op[1], API_WS_BINARY);
	assert_int_equal(g.len[1], 12);
	assert_memory_equal(g.data[1], "\x01hello world", 12);
	assert_int_equal(g.len[2], 2);
	assert_memory_equal(g.data[2], "\x00x", 2);
	api_ws_rx_free(&rx);
}

static void test_stop_leaves_the_rest(void **state)
{
	struct api_ws_rx rx = {.want_mask = true};
	struct got g = {.stop_at = 1};
	uint8_t buf[64];
	size_t n = 0, first, used;
	uint16_t code;

	first = client_frame(buf, API_WS_CLOSE, true, "\x03\xe8", 2);
	n = first + client_frame(buf + first, API_WS_BINARY, true, "x", 1);
	assert_int_equal(api_ws_rx_feed(&rx, buf, n, &used, on_msg, &g, &code), 1);
	assert_int_equal(used, first);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.op[0], API_WS_CLOSE);
	api_ws_rx_free(&rx);
}

static void expect_error(const uint8_t *buf, size_t n, size_t max, int err, uint16_t want_code)
{
	struct api_ws_rx rx = {.want_mask = true, .max = max};
	struct got g = {0};
	size_t used;
	uint16_t code = 0;

	assert_int_equal(api_ws_rx_feed(&rx, buf, n, &used, on_msg, &g, &code), err);
	assert_int_equal(code, want_code);
	api_ws_rx_free(&rx);
}

static void test_protocol_errors(void **state)
{
	uint8_t buf[256];
	size_t n;
	uint8_t big[130] = {0};

	/* Unmasked client frame. */
	n = api_ws_header(buf, API_WS_BINARY, 1, NULL);
	buf[n++] = 'x';
	expect_error(buf, n, 0, -EPROTO, API_WS_PROTOCOL_ERROR);
	/* Reserved bit. */
	n = client_frame(buf, API_WS_BINARY, true, "x", 1);
	buf[0] |= 0x40;
	expect_error(buf, n, 0, -EPROTO, API_WS_PROTOCOL_ERROR);
	/* Unknown opcode. */
	n = client_frame(buf, 0x3, true, "x", 1);
	expect_error(buf, n, 0, -EPROTO, API_WS_PROTOCOL_ERROR);
	/* Continuation with no message open. */
	n = client_frame(buf, 0, true, "x", 1);
	expect_error(buf, n, 0, -EPROTO, API_WS_PROTOCOL_ERROR);
	/* A new message inside a fragmented one. */
	n = client_frame(buf, API_WS_BINARY, false, "x", 1);
	n += client_frame(buf + n, API_WS_BINARY, true, "y", 1);
	expect_error(buf, n, 0, -EPROTO, API_WS_PROTOCOL_ERROR);
	/* A fragmented control frame, and one over 125 bytes. */
	n = client_frame(buf, API_WS_PING, false, "x", 1);
	expect_error(buf, n, 0, -EPROTO, API_WS_PROTOCOL_ERROR);
	n = client_frame(buf, API_WS_PING, true, big, sizeof(big));
	expect_error(buf, n, 0, -EPROTO, API_WS_PROTOCOL_ERROR);
	/* A close with a one-byte body. */
	n = client_frame(buf, API_WS_CLOSE, true, "x", 1);
	expect_error(buf, n, 0, -EPROTO, API_WS_PROTOCOL_ERROR);
	/* A length not in its shortest form. */
	buf[0] = 0x82;
	buf[1] = 0x80 | 126;
	buf[2] = 0;
	buf[3] = 5;
	expect_error(buf, 4, 0, -EPROTO, API_WS_PROTOCOL_ERROR);
}

static void test_oversize(void **state)
{
	uint8_t buf[64];
	size_t n;

	/* Refused from the header alone: 1009 before the payload arrives. */
	buf[0] = 0x82;
	buf[1] = 0x80 | 127;
	memset(buf + 2, 0, 8);
	buf[5] = 1; /* 2^32 */
	expect_error(buf, 10, 0, -EMSGSIZE, API_WS_TOO_BIG);
	/* A message whose fragments add up to more than the cap. */
	n = client_frame(buf, API_WS_BINARY, false, "0123456789", 10);
	n += client_frame(buf + n, 0, true, "0123456789", 10);
	expect_error(buf, n, 15, -EMSGSIZE, API_WS_TOO_BIG);
	/* At the cap exactly it passes. */
	{
		struct api_ws_rx rx = {.want_mask = true, .max = 20};
		struct got g = {0};
		size_t used;
		uint16_t code;

		assert_int_equal(api_ws_rx_feed(&rx, buf, n, &used, on_msg, &g, &code), 0);
		assert_int_equal(g.n, 1);
		assert_int_equal(g.len[0], 20);
		api_ws_rx_free(&rx);
	}
}

static void test_server_frames_unmasked(void **state)
{
	/* A client reassembler reads what a server sends. */
	struct api_ws_rx rx = {.want_mask = false};
	struct got g = {0};
	uint8_t buf[300];
	size_t n, used;
	uint16_t code;

	n = api_ws_header(buf, API_WS_BINARY, 200, NULL);
	memset(buf + n, 'a', 200);
	n += 200;
	assert_int_equal(api_ws_rx_feed(&rx, buf, n, &used, on_msg, &g, &code), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.len[0], 200);
	api_ws_rx_free(&rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_key),
		cmocka_unit_test(test_header_lengths),
		cmocka_unit_test(test_masked_message),
		cmocka_unit_test(test_fragments_with_ping_between),
		cmocka_unit_test(test_stop_leaves_the_rest),
		cmocka_unit_test(test_protocol_errors),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_server_frames_unmasked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
