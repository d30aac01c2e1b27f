/* Parsing of IPv4 addresses, networks and ranges: see k1s_addr.h. Written
 * by hand because inet_pton and inet_aton disagree with Kubernetes on
 * leading zeros and trailing text, and nothing parses "A-B" ranges. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "k1s_addr.h"

/* Decimal digits at *s up to a non-digit: their value (at most max), no
 * leading zero; advances *s. -1 if none or out of range. */
static long decimal(const char **s, long max)
{
	const char *p = *s;
	long v = 0;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (v > max)
			return -1;
	}
	*s = p;
	return v;
}

/* A dotted quad at *s, advancing it. */
static int ip4_at(const char **s, uint32_t *ip)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		long o;

		if (i > 0 && *(*s)++ != '.')
			return -EINVAL;
		if ((o = decimal(s, 255)) < 0)
			return -EINVAL;
		v = v << 8 | (uint32_t)o;
	}
	*ip = v;
	return 0;
}

int k1s_ip4_parse(const char *s, uint32_t *ip)
{
	uint32_t v;

	if (!s || ip4_at(&s, &v) < 0 || *s)
		return -EINVAL;
	*ip = v;
	return 0;
}

int k1s_cidr_parse(const char *s, struct k1s_cidr *c)
{
	uint32_t v;
	long bits;

	if (!s || ip4_at(&s, &v) < 0 || *s++ != '/' || (bits = decimal(&s, 32)) < 0 || *s)
		return -EINVAL;
	c->bits = (int)bits;
	c->net = v & k1s_cidr_mask(c);
	return 0;
}

int k1s_ip4_range_parse(const char *s, struct k1s_ip4_range *r)
{
	struct k1s_cidr c;
	const char *p = s;
	uint32_t a, b;

	if (!s)
		return -EINVAL;
	if (k1s_cidr_parse(s, &c) == 0) {
		a = c.net;
		b = c.net | ~k1s_cidr_mask(&c);
		if (c.bits < 31) {
			a++;
			b--;
		}
	} else if (ip4_at(&p, &a) == 0 && *p == '-') {
		p++;
		if (ip4_at(&p, &b) < 0 || *p || a > b)
			return -EINVAL;
	} else if (k1s_ip4_parse(s, &a) == 0) {
		b = a;
	} else {
		return -EINVAL;
	}
	r->lo = a;
	r->hi = b;
	return 0;
}

char *k1s_ip4_str(uint32_t ip, char *buf)
{
	snprintf(buf, K1S_IP4_STRLEN, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255,
		 ip & 255);
	return buf;
}
