/* FNV-1a, 64 bits: a short, fast, stable hash for keys and digests that
 * no outsider chooses the input of to collide (IDs, canonical texts). */
#ifndef K1S_HASH_H
#define K1S_HASH_H

#include <stddef.h>
#include <stdint.h>

#define K1S_FNV_INIT UINT64_C(0xcbf29ce484222325)

static inline uint64_t k1s_fnv_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * UINT64_C(0x100000001b3);
}

/* Continues `h` over n bytes. */
static inline uint64_t k1s_fnv_more(uint64_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = k1s_fnv_step(h, ((const unsigned char *)p)[i]);
	return h;
}

/* Continues `h` over a NUL-terminated string. */
static inline uint64_t k1s_fnv_more_str(uint64_t h, const char *s)
{
	while (*s)
		h = k1s_fnv_step(h, (unsigned char)*s++);
	return h;
}

static inline uint64_t k1s_fnv(const void *p, size_t n)
{
	return k1s_fnv_more(K1S_FNV_INIT, p, n);
}

#endif
