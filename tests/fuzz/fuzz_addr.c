/* The address parsers of lib/k1s_addr.h (--service-cidr, --pod-cidr,
 * --lb-pool, --node-ip): whatever they accept prints back to something
 * they parse to the same value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[64], ip[K1S_IP4_STRLEN];
	struct k1s_cidr c, c2;
	struct k1s_ip4_range r, r2;
	uint32_t a, a2;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (k1s_ip4_parse(s, &a) == 0) {
		k1s_ip4_str(a, ip);
		/* Only a canonical text parses: it prints as itself. */
		if (strcmp(ip, s) != 0 || k1s_ip4_parse(ip, &a2) < 0 || a2 != a)
			abort();
	}
	if (k1s_cidr_parse(s, &c) == 0) {
		if (c.bits < 0 || c.bits > 32 || (c.net & ~k1s_cidr_mask(&c)) ||
		    !k1s_cidr_contains(&c, c.net))
			abort();
		snprintf(buf, sizeof(buf), "%s/%d", k1s_ip4_str(c.net, ip), c.bits);
		if (k1s_cidr_parse(buf, &c2) < 0 || c2.net != c.net || c2.bits != c.bits)
			abort();
	}
	if (k1s_ip4_range_parse(s, &r) == 0) {
		if (r.lo > r.hi)
			abort();
		snprintf(buf, sizeof(buf), "%s-", k1s_ip4_str(r.lo, ip));
		strcat(buf, k1s_ip4_str(r.hi, ip));
		if (k1s_ip4_range_parse(buf, &r2) < 0 || r2.lo != r.lo || r2.hi != r.hi)
			abort();
	}
	free(s);
	return 0;
}
