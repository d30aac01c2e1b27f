/* A port-forward session's SPDY input from a client, whole and then in
 * pieces: both must give the same answer, byte for byte, and the same
 * result. The answer must be whole SPDY frames: SYN_REPLYs whose header
 * blocks inflate (one zlib context for the connection, with SPDY's
 * dictionary), PINGs echoed as sent, and data only on streams that were
 * answered. No pod runtime: every data stream gets its error and FIN.
 *
 * The first byte picks the input's form: raw bytes, or records that the
 * harness turns into frames as kubectl would write them, compressing each
 * SYN_STREAM's header block, so that the session's own paths are reached:
 * record = type, flags, stream id, length (1 byte each), then the bytes
 * (for SYN_STREAM the uncompressed block; otherwise the frame's body).
 *
 * The session side (api_stream.c) is replaced by a capture of what the
 * port-forward code sends to the client. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "api_stream_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct api_sess {
	uint8_t *out;
	size_t len, cap;
};

void api_sess_send(struct api_sess *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->out = realloc(s->out, s->cap);
		if (!s->out)
			abort();
	}
	memcpy(s->out + s->len, p, n);
	s->len += n;
}

void api_sess_kick(struct api_sess *s)
{
	(void)s;
}

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put_head(struct buf *b, int control, uint32_t type_or_id, uint8_t flags, size_t n)
{
	uint8_t h[8];

	if (control) {
		h[0] = 0x80;
		h[1] = 3;
		h[2] = (uint8_t)(type_or_id >> 8);
		h[3] = (uint8_t)type_or_id;
	} else {
		h[0] = (uint8_t)(type_or_id >> 24 & 0x7f);
		h[1] = (uint8_t)(type_or_id >> 16);
		h[2] = (uint8_t)(type_or_id >> 8);
		h[3] = (uint8_t)type_or_id;
	}
	h[4] = flags;
	h[5] = (uint8_t)(n >> 16);
	h[6] = (uint8_t)(n >> 8);
	h[7] = (uint8_t)n;
	put(b, h, 8);
}

/* Records to frames, as a client writes them. */
static void frames(const uint8_t *d, size_t n, struct buf *b)
{
	z_stream z = {0};
	size_t dlen;
	const uint8_t *dict = api_spdy_dict(&dlen);
	int r;

	if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK ||
	    deflateSetDictionary(&z, dict, (unsigned)dlen) != Z_OK)
		abort();
	while (n >= 4) {
		uint8_t type = d[0] & 0x0f, flags = d[1], id = d[2];
		size_t len = d[3] <= n - 4 ? d[3] : n - 4;
		const uint8_t *body = d + 4;

		if (type == 1) {
			uint8_t zb[1024], head[10] = {0, 0, 0, id, 0, 0, 0, 0, 0, 0};

			z.next_in = (uint8_t *)body;
			z.avail_in = (unsigned)len;
			z.next_out = zb;
			z.avail_out = sizeof(zb);
			/* An empty block has nothing to flush: Z_BUF_ERROR. */
			r = deflate(&z, Z_SYNC_FLUSH);
			if (r != Z_OK && r != Z_BUF_ERROR)
				abort();
			put_head(b, 1, 1, flags, 10 + sizeof(zb) - z.avail_out);
			put(b, head, 10);
			put(b, zb, sizeof(zb) - z.avail_out);
		} else if (type == 0) {
			put_head(b, 0, id, flags, len);
			put(b, body, len);
		} else {
			put_head(b, 1, type, flags, len);
			put(b, body, len);
		}
		d += 4 + len;
		n -= 4 + len;
	}
	deflateEnd(&z);
}

static void no_header(void *arg, const char *k, size_t kl, const char *v, size_t vl)
{
	(void)k, (void)kl, (void)v, (void)vl;
	++*(int *)arg;
}

static int run(const uint8_t *in, size_t n, size_t piece, struct api_sess *s)
{
	struct api_pf *pf = api_pf_new(s, NULL, NULL, "default", "web");
	int r = 0;

	if (!pf)
		abort();
	for (size_t off = 0; off < n && r == 0; off += piece)
		r = api_pf_input(pf, in + off, piece < n - off ? piece : n - off);
	api_pf_free(pf);
	return r;
}

/* The answer is whole frames, each of the kinds the session writes. */
static void check(const uint8_t *in, size_t inlen, const struct api_sess *s)
{
	uint32_t replied[256];
	size_t nreplied = 0, off = 0, dlen;
	const uint8_t *dict = api_spdy_dict(&dlen);
	z_stream z = {0};
	int len;

	if (inflateInit(&z) != Z_OK)
		abort();
	while (off < s->len) {
		struct api_spdy_frame f;

		len = api_spdy_frame(s->out + off, s->len - off, &f);
		if (len <= 0)
			abort();
		if (f.control && f.type == 2) {
			uint8_t blk[256];
			int zr, nh = 0;

			if (f.len < 4)
				abort();
			z.next_in = (uint8_t *)f.data + 4;
			z.avail_in = (unsigned)(f.len - 4);
			z.next_out = blk;
			z.avail_out = sizeof(blk);
			zr = inflate(&z, Z_SYNC_FLUSH);
			if (zr == Z_NEED_DICT) {
				if (inflateSetDictionary(&z, dict, (unsigned)dlen) != Z_OK)
					abort();
				zr = inflate(&z, Z_SYNC_FLUSH);
			}
			if (zr != Z_OK || z.avail_in ||
			    api_spdy_headers(blk, sizeof(blk) - z.avail_out, no_header, &nh) < 0 ||
			    nh != 0)
				abort();
			if (nreplied < 256)
				replied[nreplied++] = ((uint32_t)f.data[0] << 24 & 0x7f000000) |
				                      (uint32_t)f.data[1] << 16 |
				                      (uint32_t)f.data[2] << 8 | f.data[3];
		} else if (f.control && f.type == 6) {
			/* An echo of a PING the client sent. */
			if (!memmem(in, inlen, s->out + off, (size_t)len))
				abort();
		} else if (!f.control) {
			size_t i;

			for (i = 0; i < nreplied && replied[i] != f.stream; i++)
				;
			if (i == nreplied && nreplied < 256)
				abort();
		} else {
			abort();
		}
		off += (size_t)len;
	}
	inflateEnd(&z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_sess whole = {0}, pieces = {0};
	struct buf b = {0};
	const uint8_t *in = data + 1;
	size_t n = size ? size - 1 : 0;
	int r1, r2;

	if (size < 1 || size > 65536)
		return 0;
	if (data[0] & 1) {
		frames(data + 1, size - 1, &b);
		in = b.p;
		n = b.len;
	}
	r1 = run(in, n, n ? n : 1, &whole);
	r2 = run(in, n, 1 + (data[0] >> 1) % 13, &pieces);
	if (r1 != r2 || whole.len != pieces.len ||
	    (whole.len && memcmp(whole.out, pieces.out, whole.len) != 0))
		abort();
	check(in, n, &whole);
	free(whole.out);
	free(pieces.out);
	free(b.p);
	return 0;
}
