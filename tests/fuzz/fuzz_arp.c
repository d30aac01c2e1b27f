/* The ARP packets the dataplane reads while it probes for a LoadBalancer
 * address (dp_l2_arp_claims()): from anyone on the link. The input is the
 * address probed (4 bytes), our MAC (6), then the packet; a claim is
 * checked against RFC 5227's rule written out again here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "dp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *pkt = data + 10, *sha, *spa, *tpa;
	uint8_t want[4];
	uint32_t ip;
	size_t len;
	bool claims;

	if (size < 10)
		return 0;
	memcpy(want, data, 4);
	memcpy(&ip, data, 4);
	ip = ntohl(ip);
	len = size - 10;
	claims = dp_l2_arp_claims(pkt, len, ip, data + 4);
	if (!claims)
		return 0;
	/* hrd 1, pro 0x0800, hln 6, pln 4, op 1 or 2; sha, spa, tha, tpa. */
	if (len < 28 || pkt[0] != 0 || pkt[1] != 1 || pkt[2] != 8 || pkt[3] != 0 || pkt[4] != 6 ||
	    pkt[5] != 4 || pkt[6] != 0 || (pkt[7] != 1 && pkt[7] != 2))
		abort();
	sha = pkt + 8;
	spa = pkt + 14;
	tpa = pkt + 24;
	if (memcmp(sha, data + 4, 6) == 0)
		abort();
	if (memcmp(spa, want, 4) != 0 &&
	    !(pkt[7] == 1 && memcmp(spa, "\0\0\0\0", 4) == 0 && memcmp(tpa, want, 4) == 0))
		abort();
	return 0;
}
