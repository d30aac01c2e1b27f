/* Helpers shared by the DNS unit tests: queries built by hand, answers
 * taken apart with the module's own name reader. */
#ifndef DNS_TEST_H
#define DNS_TEST_H

#include <stdio.h>
#include <string.h>

#include "dns_int.h"

struct t_rr {
	char name[300];
	uint16_t type;
	uint32_t ttl;
	char data[600];		/* presentation form */
	uint16_t rdlen;
	size_t rdata_at;	/* offset of the RDATA in the message */
};

struct t_msg {
	uint16_t id, flags;
	int rcode;
	uint16_t qd, an, ns, ar;
	char qname[300];
	uint16_t qtype;
	struct t_rr rr[256];
	int nrr;		/* all sections, in order */
	bool opt;
	uint16_t opt_size;
};

/* A query for `name` (text, case kept), `type`, with EDNS0 of size
 * `edns` when not 0. Its length. */
static inline size_t t_query(uint8_t *out, uint16_t id, const char *name, uint16_t type,
			     uint16_t edns)
{
	size_t n = DNS_HDR;
	const char *s = name;

	dns_hdr(out, id, 0, 0, 0, 1, 0, 0, edns ? 1 : 0);
	dns_put16(out + 2, DNS_F_RD);
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		out[n++] = (uint8_t)l;
		memcpy(out + n, s, l);
		n += l;
		if (!dot)
			break;
		s = dot + 1;
	}
	out[n++] = 0;
	dns_put16(out + n, type);
	dns_put16(out + n + 2, DNS_C_IN);
	n += 4;
	if (edns) {
		out[n] = 0;
		dns_put16(out + n + 1, DNS_T_OPT);
		dns_put16(out + n + 3, edns);
		memset(out + n + 5, 0, 6);
		n += 11;
	}
	return n;
}

static inline int t_name(const uint8_t *p, size_t len, size_t *off, char *out)
{
	uint8_t w[DNS_MAXNAME + 1];
	int n = dns_name_read(p, len, off, w, sizeof(w));

	if (n < 0)
		return -1;
	dns_name_to_str(w, out, 300);
	return 0;
}

/* Parses an answer; -1 if it is malformed. */
static inline int t_parse(const uint8_t *p, size_t len, struct t_msg *m)
{
	size_t off = DNS_HDR;

	memset(m, 0, sizeof(*m));
	if (len < DNS_HDR)
		return -1;
	m->id = dns_get16(p);
	m->flags = dns_get16(p + 2);
	m->rcode = m->flags & 0xf;
	m->qd = dns_get16(p + 4);
	m->an = dns_get16(p + 6);
	m->ns = dns_get16(p + 8);
	m->ar = dns_get16(p + 10);
	if (m->qd) {
		if (t_name(p, len, &off, m->qname) < 0 || off + 4 > len)
			return -1;
		m->qtype = dns_get16(p + off);
		off += 4;
	}
	for (int i = 0; i < m->an + m->ns + m->ar; i++) {
		struct t_rr *r = &m->rr[m->nrr];
		size_t rd, o;

		if (m->nrr >= 256 || t_name(p, len, &off, r->name) < 0 || off + 10 > len)
			return -1;
		r->type = dns_get16(p + off);
		r->ttl = dns_get32(p + off + 4);
		r->rdlen = dns_get16(p + off + 8);
		rd = off + 10;
		r->rdata_at = rd;
		if (rd + r->rdlen > len)
			return -1;
		o = rd;
		switch (r->type) {
		case DNS_T_A:
			snprintf(r->data, sizeof(r->data), "%u.%u.%u.%u", p[rd], p[rd + 1],
				 p[rd + 2], p[rd + 3]);
			break;
		case DNS_T_CNAME:
		case DNS_T_PTR:
		case DNS_T_NS:
			if (t_name(p, len, &o, r->data) < 0)
				return -1;
			break;
		case DNS_T_SRV: {
			char t[300];

			o += 6;
			if (t_name(p, len, &o, t) < 0)
				return -1;
			snprintf(r->data, sizeof(r->data), "%u %u %u %s", dns_get16(p + rd),
				 dns_get16(p + rd + 2), dns_get16(p + rd + 4), t);
			break;
		}
		case DNS_T_SOA: {
			char a[300], b[300];

			if (t_name(p, len, &o, a) < 0 || t_name(p, len, &o, b) < 0 || o + 20 > len)
				return -1;
			snprintf(r->data, sizeof(r->data), "%s %s %u", a, b, dns_get32(p + o + 16));
			break;
		}
		case DNS_T_TXT:
			snprintf(r->data, sizeof(r->data), "\"%.*s\"", p[rd],
				 (const char *)p + rd + 1);
			break;
		case DNS_T_OPT:
			m->opt = true;
			m->opt_size = dns_get16(p + off + 2);
			break;
		}
		off = rd + r->rdlen;
		m->nrr++;
	}
	return off == len ? 0 : -1;
}

#endif
