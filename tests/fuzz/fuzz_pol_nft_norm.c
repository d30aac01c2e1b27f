/* pol_nft_norm(): a pod's rules (address ranges x protocol x port ranges,
 * protocol 0 for all) in any order, overlapping, become what the kernel's
 * interval set accepts: sorted, pairwise disjoint, and covering exactly
 * the points the input covers (checked at every bound and beside it). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pol_int.h"

#define MAXN 48

static bool covers(const struct pol_elem *v, size_t n, uint32_t a, uint8_t proto, uint32_t port)
{
	for (size_t i = 0; i < n; i++)
		if (a >= v[i].lo && a <= v[i].hi &&
		    (v[i].proto == 0 || (v[i].proto == proto && port >= v[i].plo && port <= v[i].phi)))
			return true;
	return false;
}

static bool overlap(const struct pol_elem *x, const struct pol_elem *y)
{
	if (x->hi < y->lo || y->hi < x->lo)
		return false;
	if (x->proto && y->proto && (x->proto != y->proto || x->phi < y->plo || y->phi < x->plo))
		return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_elem in[MAXN];
	struct pol_elems ie = { in, 0, MAXN }, out = { 0 };
	static const uint8_t protos[] = { 6, 17, 132, 1 };

	/* 9 bytes an element: a small address space (so ranges meet), a
	 * protocol among four or all, ports. */
	for (size_t o = 0; o + 9 <= size && ie.n < MAXN; o += 9) {
		const uint8_t *d = data + o;
		struct pol_elem e = { 0 };
		uint32_t lo = (uint32_t)d[0] << 8 | d[1], len = d[2];
		uint16_t p1 = (uint16_t)(d[4] << 8 | d[5]), p2 = (uint16_t)(d[6] << 8 | d[7]);

		/* The top of the address space too, where hi + 1 wraps. */
		e.lo = d[8] & 1 ? 0xffffff00u | (lo & 0xff) : 0x0a000000u + lo;
		e.hi = e.lo + len < e.lo ? 0xffffffffu : e.lo + len;
		e.proto = d[3] % 5 == 4 ? 0 : protos[d[3] % 5];
		e.plo = e.proto ? (p1 < p2 ? p1 : p2) : 0;
		e.phi = e.proto ? (p1 < p2 ? p2 : p1) : 0;
		in[ie.n++] = e;
	}
	if (pol_nft_norm(&ie, &out) < 0)
		return 0;
	for (size_t i = 0; i < out.n; i++) {
		if (out.v[i].lo > out.v[i].hi || out.v[i].plo > out.v[i].phi)
			abort();
		for (size_t j = i + 1; j < out.n; j++)
			if (overlap(&out.v[i], &out.v[j]))
				abort();
	}
	for (size_t i = 0; i < ie.n; i++) {
		const struct pol_elem *e = &in[i];
		uint32_t as[] = { e->lo - 1, e->lo, e->hi, e->hi + 1 };
		uint32_t ps[] = { (uint32_t)e->plo - 1, e->plo, e->phi, (uint32_t)e->phi + 1 };

		for (size_t a = 0; a < 4; a++)
			for (size_t p = 0; p < 4; p++)
				for (size_t k = 0; k < 4; k++)
					if (ps[p] <= 65535 &&
					    covers(in, ie.n, as[a], protos[k], ps[p]) !=
						covers(out.v, out.n, as[a], protos[k], ps[p]))
						abort();
	}
	free(out.v);
	return 0;
}
