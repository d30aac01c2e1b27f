/* WebSocket framing (RFC 6455) for exec, attach and port-forward: the
 * handshake's accept key, frame headers, and a reassembler of client
 * messages. No I/O here, so that a fuzz target can drive the parser. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>
#include <mbedtls/version.h>

#include "api_stream_int.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int api_ws_accept(const char *key, char out[29])
{
	unsigned char raw[32], digest[20];
	char buf[128];
	size_t n, klen = key ? strlen(key) : 0;
	int err;

	/* The key is 16 random bytes in base64: 24 characters. */
	if (klen != 24 ||
	    mbedtls_base64_decode(raw, sizeof(raw), &n, (const unsigned char *)key, klen) != 0 ||
	    n != 16)
		return -EINVAL;
	memcpy(buf, key, klen);
	memcpy(buf + klen, WS_GUID, sizeof(WS_GUID) - 1);
#if MBEDTLS_VERSION_MAJOR >= 3
	err = mbedtls_sha1((const unsigned char *)buf, klen + sizeof(WS_GUID) - 1, digest);
#else
	err = mbedtls_sha1_ret((const unsigned char *)buf, klen + sizeof(WS_GUID) - 1, digest);
#endif
	if (err != 0 || mbedtls_base64_encode((unsigned char *)out, 29, &n, digest, 20) != 0)
		return -EINVAL;
	out[n] = '\0';
	return 0;
}

size_t api_ws_header(uint8_t out[14], uint8_t opcode, uint64_t len, const uint8_t *mask)
{
	size_t n = 2;

	out[0] = (uint8_t)(0x80 | (opcode & 0x0f));
	if (len < 126) {
		out[1] = (uint8_t)len;
	} else if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		n = 4;
	} else {
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 10;
	}
	if (mask) {
		out[1] |= 0x80;
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return n;
}

void api_ws_mask(uint8_t *buf, size_t len, const uint8_t mask[4], size_t off)
{
	for (size_t i = 0; i < len; i++)
		buf[i] ^= mask[(off + i) & 3];
}

static int msg_append(struct api_ws_rx *rx, const uint8_t *p, size_t n)
{
	if (rx->msg_len + n > rx->msg_cap) {
		size_t cap = rx->msg_cap ? rx->msg_cap : 4096;
		uint8_t *m;

		while (cap < rx->msg_len + n)
			cap *= 2;
		m = realloc(rx->msg, cap);
		if (!m)
			return -ENOMEM;
		rx->msg = m;
		rx->msg_cap = cap;
	}
	memcpy(rx->msg + rx->msg_len, p, n);
	rx->msg_len += n;
	return 0;
}

static void msg_reset(struct api_ws_rx *rx)
{
	rx->in_msg = false;
	rx->msg_len = 0;
	/* A large message's buffer is not kept for the whole session. */
	if (rx->msg_cap > 65536) {
		free(rx->msg);
		rx->msg = NULL;
		rx->msg_cap = 0;
	}
}

/* One frame at buf: 0 with *flen its length, 1 if incomplete, or a
 * negative errno. */
static int one_frame(struct api_ws_rx *rx, const uint8_t *buf, size_t len, size_t *flen,
		     api_ws_msg_fn fn, void *arg, uint16_t *close_code, int *ret)
{
	size_t max = rx->max ? rx->max : API_WS_MAX_MSG, hlen = 2;
	uint8_t b0, b1, op, mask[4] = {0}, ctl[125];
	bool fin, masked;
	uint64_t plen;

	if (len < 2)
		return 1;
	b0 = buf[0];
	b1 = buf[1];
	fin = b0 & 0x80;
	op = b0 & 0x0f;
	masked = b1 & 0x80;
	plen = b1 & 0x7f;
	*close_code = API_WS_PROTOCOL_ERROR;
	/* No extension was negotiated: the reserved bits must be clear. */
	if (b0 & 0x70)
		return -EPROTO;
	if (op != 0 && op != API_WS_TEXT && op != API_WS_BINARY && op != API_WS_CLOSE &&
	    op != API_WS_PING && op != API_WS_PONG)
		return -EPROTO;
	if (masked != rx->want_mask)
		return -EPROTO;
	if (op >= 0x8 && (!fin || plen > 125))
		return -EPROTO;
	if (plen == 126) {
		if (len < 4)
			return 1;
		plen = (uint64_t)buf[2] << 8 | buf[3];
		if (plen < 126)
			return -EPROTO; /* not the minimal encoding */
		hlen = 4;
	} else if (plen == 127) {
		if (len < 10)
			return 1;
		if (buf[2] & 0x80)
			return -EPROTO;
		plen = 0;
		for (int i = 0; i < 8; i++)
			plen = plen << 8 | buf[2 + i];
		if (plen <= 0xffff)
			return -EPROTO;
		hlen = 10;
	}
	/* Refuse what would exceed the cap before waiting for it. */
	if (plen > max || (op == 0 && rx->msg_len + plen > max)) {
		*close_code = API_WS_TOO_BIG;
		return -EMSGSIZE;
	}
	if (op == 0 && !rx->in_msg)
		return -EPROTO;
	if ((op == API_WS_TEXT || op == API_WS_BINARY) && rx->in_msg)
		return -EPROTO;
	if (masked) {
		if (len < hlen + 4)
			return 1;
		memcpy(mask, buf + hlen, 4);
		hlen += 4;
	}
	if (len - hlen < plen)
		return 1;
	*flen = hlen + (size_t)plen;
	*ret = 0;
	if (op >= 0x8) {
		/* Control frames are small: unmask them aside. */
		memcpy(ctl, buf + hlen, (size_t)plen);
		if (masked)
			api_ws_mask(ctl, (size_t)plen, mask, 0);
		if (op == API_WS_CLOSE && plen == 1)
			return -EPROTO;
		*ret = fn(arg, op, ctl, (size_t)plen);
		return 0;
	}
	size_t start = rx->msg_len;

	if (msg_append(rx, buf + hlen, (size_t)plen) < 0) {
		*close_code = API_WS_TOO_BIG;
		return -ENOMEM;
	}
	if (masked)
		api_ws_mask(rx->msg + start, (size_t)plen, mask, 0);
	if (op != 0) {
		rx->in_msg = true;
		rx->msg_op = op;
	}
	if (fin) {
		*ret = fn(arg, rx->msg_op, rx->msg, rx->msg_len);
		msg_reset(rx);
	}
	return 0;
}

int api_ws_rx_feed(struct api_ws_rx *rx, const uint8_t *buf, size_t len, size_t *used,
		   api_ws_msg_fn fn, void *arg, uint16_t *close_code)
{
	size_t off = 0;

	*used = 0;
	while (off < len) {
		size_t flen = 0;
		int ret = 0, r;

		r = one_frame(rx, buf + off, len - off, &flen, fn, arg, close_code, &ret);
		if (r < 0)
			return r;
		if (r > 0)
			break;
		off += flen;
		*used = off;
		if (ret)
			return ret;
	}
	return 0;
}

void api_ws_rx_free(struct api_ws_rx *rx)
{
	free(rx->msg);
	rx->msg = NULL;
	rx->msg_len = rx->msg_cap = 0;
	rx->in_msg = false;
}
