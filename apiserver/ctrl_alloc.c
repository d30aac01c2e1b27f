/* The cluster-IP and node-port allocators: a bitmap over a range, as
 * kube-apiserver's ipallocator and portallocator keep them. A pick starts
 * at a random offset and scans forward, so that addresses spread over the
 * range instead of piling up at its start (kube-apiserver also picks at
 * random), yet a nearly full range is still searched completely. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ctrl_alloc.h"
#include "k1s_addr.h"

/* The smallest prefix accepted: a /8 is a 2 MiB bitmap already. */
#define CTRL_IP_MIN_PREFIX 8

struct ctrl_bitmap {
	uint64_t *bits;
	uint32_t size;		/* number of offsets */
};

struct ctrl_ipalloc {
	char cidr[24];
	uint32_t base;		/* first usable address (network + 1) */
	struct ctrl_bitmap map;
};

struct ctrl_portalloc {
	unsigned min, max;
	struct ctrl_bitmap map;
};

static int bitmap_init(struct ctrl_bitmap *m, uint32_t size)
{
	size_t words = ((size_t)size + 63) / 64;

	m->size = size;
	m->bits = calloc(words ? words : 1, sizeof(uint64_t));
	return m->bits ? 0 : -ENOMEM;
}

static bool bitmap_get(const struct ctrl_bitmap *m, uint32_t i)
{
	return m->bits[i / 64] >> (i % 64) & 1;
}

static void bitmap_set(struct ctrl_bitmap *m, uint32_t i, bool v)
{
	if (v)
		m->bits[i / 64] |= UINT64_C(1) << (i % 64);
	else
		m->bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

static uint32_t random_u32(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)time(NULL) * 2654435761u;
	return r;
}

/* The first clear offset at or after a random start, wrapping around, for
 * which ok(arg, offset) holds; -ENOSPC if none. */
static int bitmap_pick(const struct ctrl_bitmap *m, bool (*ok)(const void *, uint32_t),
		       const void *arg, uint32_t *out)
{
	uint32_t start, i, n;

	if (m->size == 0)
		return -ENOSPC;
	start = random_u32() % m->size;
	for (n = 0, i = start; n < m->size;) {
		if (i % 64 == 0 && i + 64 <= m->size && m->bits[i / 64] == UINT64_MAX) {
			/* A full word: skip it whole. */
			i += 64;
			n += 64;
		} else {
			if (!bitmap_get(m, i) && (!ok || ok(arg, i))) {
				*out = i;
				return 0;
			}
			i++;
			n++;
		}
		if (i >= m->size)
			i = 0;
	}
	return -ENOSPC;
}

struct ctrl_ipalloc *ctrl_ipalloc_new(const char *cidr)
{
	struct ctrl_ipalloc *a;
	struct k1s_cidr c;
	uint32_t mask, size;
	unsigned prefix;

	if (k1s_cidr_parse(cidr, &c) < 0 || c.bits < CTRL_IP_MIN_PREFIX)
		return NULL;
	prefix = (unsigned)c.bits;

	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	snprintf(a->cidr, sizeof(a->cidr), "%s", cidr);
	mask = prefix == 32 ? UINT32_MAX : ~(UINT32_MAX >> prefix);
	size = prefix >= 31 ? 0 : (uint32_t)((UINT64_C(1) << (32 - prefix)) - 2);
	/* Network address + 1; the broadcast address lies past the bitmap. */
	a->base = (c.net & mask) + 1;
	if (bitmap_init(&a->map, size) < 0) {
		free(a);
		return NULL;
	}
	return a;
}

void ctrl_ipalloc_free(struct ctrl_ipalloc *a)
{
	if (!a)
		return;
	free(a->map.bits);
	free(a);
}

/* The bitmap offset of `ip`, or -EINVAL if malformed or outside. */
static int ip_offset(const struct ctrl_ipalloc *a, const char *ip, uint32_t *off)
{
	uint32_t v;

	if (k1s_ip4_parse(ip, &v) < 0)
		return -EINVAL;
	if (v < a->base || v - a->base >= a->map.size)
		return -EINVAL;
	*off = v - a->base;
	return 0;
}

bool ctrl_ipalloc_contains(const struct ctrl_ipalloc *a, const char *ip)
{
	uint32_t off;

	return ip_offset(a, ip, &off) == 0;
}

bool ctrl_ipalloc_taken(const struct ctrl_ipalloc *a, const char *ip)
{
	uint32_t off;

	return ip_offset(a, ip, &off) == 0 && bitmap_get(&a->map, off);
}

int ctrl_ipalloc_take(struct ctrl_ipalloc *a, const char *ip)
{
	uint32_t off;

	if (ip_offset(a, ip, &off) < 0)
		return -EINVAL;
	if (bitmap_get(&a->map, off))
		return -EEXIST;
	bitmap_set(&a->map, off, true);
	return 0;
}

void ctrl_ipalloc_release(struct ctrl_ipalloc *a, const char *ip)
{
	uint32_t off;

	if (ip_offset(a, ip, &off) == 0)
		bitmap_set(&a->map, off, false);
}

int ctrl_ipalloc_pick(const struct ctrl_ipalloc *a, char *buf, size_t len)
{
	uint32_t off, v;
	int err;

	err = bitmap_pick(&a->map, NULL, NULL, &off);
	if (err < 0)
		return err;
	v = a->base + off;
	if ((size_t)snprintf(buf, len, "%u.%u.%u.%u", v >> 24, v >> 16 & 255, v >> 8 & 255,
			     v & 255) >= len)
		return -ENOSPC;
	return 0;
}

const char *ctrl_ipalloc_cidr(const struct ctrl_ipalloc *a)
{
	return a->cidr;
}

struct ctrl_portalloc *ctrl_portalloc_new(unsigned min, unsigned max)
{
	struct ctrl_portalloc *a;

	if (min < 1 || max > 65535 || min > max)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->min = min;
	a->max = max;
	if (bitmap_init(&a->map, max - min + 1) < 0) {
		free(a);
		return NULL;
	}
	return a;
}

void ctrl_portalloc_free(struct ctrl_portalloc *a)
{
	if (!a)
		return;
	free(a->map.bits);
	free(a);
}

bool ctrl_portalloc_contains(const struct ctrl_portalloc *a, unsigned port)
{
	return port >= a->min && port <= a->max;
}

bool ctrl_portalloc_taken(const struct ctrl_portalloc *a, unsigned port)
{
	return ctrl_portalloc_contains(a, port) && bitmap_get(&a->map, port - a->min);
}

int ctrl_portalloc_take(struct ctrl_portalloc *a, unsigned port)
{
	if (!ctrl_portalloc_contains(a, port))
		return -EINVAL;
	if (bitmap_get(&a->map, port - a->min))
		return -EEXIST;
	bitmap_set(&a->map, port - a->min, true);
	return 0;
}

void ctrl_portalloc_release(struct ctrl_portalloc *a, unsigned port)
{
	if (ctrl_portalloc_contains(a, port))
		bitmap_set(&a->map, port - a->min, false);
}

struct avoid_set {
	const struct ctrl_portalloc *a;
	const unsigned *ports;
	size_t n;
};

static bool not_avoided(const void *arg, uint32_t off)
{
	const struct avoid_set *s = arg;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->ports[i] == s->a->min + off)
			return false;
	return true;
}

int ctrl_portalloc_pick(const struct ctrl_portalloc *a, const unsigned *avoid, size_t n,
			unsigned *port)
{
	struct avoid_set s = {a, avoid, avoid ? n : 0};
	uint32_t off;
	int err;

	err = bitmap_pick(&a->map, not_avoided, &s, &off);
	if (err < 0)
		return err;
	*port = a->min + off;
	return 0;
}
