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
	uint32_t a, b, a2, b2;

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
	if (k1s_ip4_range_parse(s, &a, &b) == 0) {
		if (a > b)
			abort();
		snprintf(buf, sizeof(buf), "%s-", k1s_ip4_str(a, ip));
		strcat(buf, k1s_ip4_str(b, ip));
		if (k1s_ip4_range_parse(buf, &a2, &b2) < 0 || a2 != a || b2 != b)
			abort();
	}
	free(s);
	return 0;
}
