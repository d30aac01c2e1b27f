/* DNS over TCP: the input is what a client writes on one connection,
 * messages after their two-byte lengths. The framing never reaches past
 * the bytes it has, says "more" for every cut inside a message, and each
 * message it gives is answered as the TCP listener answers it (up to
 * 65535 bytes): one well-formed message that fits its length prefix. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_int.h"
#include "fuzz_dns_zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	const struct dns_snap *s = zone_snap();
	size_t off = 0, mlen = 0;
	int r;

	while ((r = dns_tcp_frame(data + off, size - off, &mlen)) == 1) {
		const struct dns_node *ext;
		struct dns_q q;
		int n;

		if (mlen == 0 || mlen > 65535 || 2 + mlen > size - off)
			abort();
		/* Every cut inside the message is "more bytes". */
		for (size_t cut = 0; cut < 2 + mlen; cut += 1 + cut / 4) {
			size_t m;

			if (dns_tcp_frame(data + off, cut, &m) != 0)
				abort();
		}
		n = dns_answer(s, data + off + 2, mlen, out, sizeof(out), 65535, &q, &ext);
		if (n > 0)
			check(out, (size_t)n);
		else if (n != DNS_FORWARD && n != 0)
			abort();
		off += 2 + mlen;
	}
	if (r == -EPROTO) {
		if (size - off < 2 || data[off] || data[off + 1])
			abort();
	} else if (r != 0 || (size - off >= 2 && 2 + mlen <= size - off)) {
		abort();
	}
	return 0;
}
