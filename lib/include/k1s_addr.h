/* IPv4 addresses, networks and ranges as k1s's options and objects write
 * them: the one parser every module uses. Addresses are in host order. */
#ifndef K1S_ADDR_H
#define K1S_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#define K1S_IP4_STRLEN 16	/* "255.255.255.255" and its NUL */

struct k1s_cidr {
	uint32_t net;		/* host bits cleared */
	int bits;		/* prefix length, 0..32 */
};

struct k1s_ip4_range {
	uint32_t lo, hi;	/* both included */
};

/* A dotted quad, "10.96.0.1": four decimal octets, no leading zeros (Go's
 * net.ParseIP refuses them, so Kubernetes does). 0 or -EINVAL. */
int k1s_ip4_parse(const char *s, uint32_t *ip);
/* "10.96.0.0/12": an address and a prefix length in decimal, without
 * leading zeros; host bits are allowed and cleared, as Go's
 * net.ParseCIDR does. 0 or -EINVAL. */
int k1s_cidr_parse(const char *s, struct k1s_cidr *c);
/* An address range: "A-B" (A <= B), a CIDR (its usable addresses: network
 * and broadcast are left out of a /30 or wider), or one address. 0 or
 * -EINVAL. */
int k1s_ip4_range_parse(const char *s, struct k1s_ip4_range *r);
/* Writes ip as a dotted quad into buf (K1S_IP4_STRLEN) and returns buf. */
char *k1s_ip4_str(uint32_t ip, char *buf);

static inline uint32_t k1s_cidr_mask(const struct k1s_cidr *c)
{
	return c->bits ? ~UINT32_C(0) << (32 - c->bits) : 0;
}

static inline bool k1s_cidr_contains(const struct k1s_cidr *c, uint32_t ip)
{
	return (ip & k1s_cidr_mask(c)) == c->net;
}

/* The number of addresses, 1 to 2^32. */
static inline uint64_t k1s_cidr_size(const struct k1s_cidr *c)
{
	return UINT64_C(1) << (32 - c->bits);
}

#endif
