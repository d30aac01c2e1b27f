/* An answer as a flow record (k1s_flow.h): read back from the response
 * itself, so that answers from the zone and from upstream take one path.
 * The record is filled on the loop's stack and put without a lock. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dns_int.h"
#include "k1s_flow.h"

/* Appends one answer's text to out (space-separated): an A or AAAA
 * record's address, a CNAME's or PTR's name; others are left out. */
static size_t answer_text(const uint8_t *p, size_t len, size_t rd, uint16_t type,
			  uint16_t rdlen, char *out, size_t at, size_t cap)
{
	char text[4 * DNS_MAXNAME + 2];
	uint8_t name[DNS_MAXNAME + 1];
	size_t off = rd;
	int n;

	if (type == DNS_T_A && rdlen == 4)
		inet_ntop(AF_INET, p + rd, text, sizeof(text));
	else if (type == DNS_T_AAAA && rdlen == 16)
		inet_ntop(AF_INET6, p + rd, text, sizeof(text));
	else if ((type == DNS_T_CNAME || type == DNS_T_PTR) &&
		 dns_name_read(p, len, &off, name, sizeof(name)) > 0)
		dns_name_to_str(name, text, sizeof(text));
	else
		return at;
	if (at >= cap)
		return at;
	n = snprintf(out + at, cap - at, "%s%s", at ? " " : "", text);
	/* A text cut short is taken back whole: a half address misleads. */
	if (n < 0 || (size_t)n >= cap - at) {
		out[at] = '\0';
		return cap;
	}
	return at + (size_t)n;
}

void dns_flow_put(struct k1s_flow_ring *ring, const struct sockaddr_in *from,
		  const struct sockaddr_in *to, bool tcp, const uint8_t *p, size_t len)
{
	struct k1s_flow f;
	uint8_t name[DNS_MAXNAME + 1];
	size_t off = DNS_HDR, at = 0;
	unsigned qd, an;

	if (!ring || len < DNS_HDR)
		return;
	memset(&f, 0, offsetof(struct k1s_flow, service));
	f.service[0] = f.name[0] = f.detail[0] = f.policies[0] = '\0';
	f.proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	f.src = ntohl(from->sin_addr.s_addr);
	f.sport = ntohs(from->sin_port);
	f.dst = ntohl(to->sin_addr.s_addr);
	f.dport = ntohs(to->sin_port);
	f.code = dns_get16(p + 2) & 0xf;
	qd = dns_get16(p + 4);
	an = dns_get16(p + 6);
	if (qd == 1 && dns_name_read(p, len, &off, name, sizeof(name)) > 0 && off + 4 <= len) {
		dns_name_to_str(name, f.name, sizeof(f.name));
		f.qtype = dns_get16(p + off);
		off += 4;
		for (unsigned i = 0; i < an && at < sizeof(f.detail); i++) {
			uint16_t type, rdlen;

			if (dns_name_skip(p, len, &off) < 0 || off + 10 > len)
				break;
			type = dns_get16(p + off);
			rdlen = dns_get16(p + off + 8);
			off += 10;
			if (off + rdlen > len)
				break;
			at = answer_text(p, len, off, type, rdlen, f.detail, at, sizeof(f.detail));
			off += rdlen;
		}
	}
	k1s_flow_put(ring, &f);
}
