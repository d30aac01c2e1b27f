/* The DNS wire format (RFC 1035, EDNS0 from RFC 6891): query parsing,
 * names, and a message builder with name compression. No I/O; every read
 * is bounds-checked against the packet's length. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns_int.h"

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

uint32_t dns_name_hash(const uint8_t *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ name[i]) * 16777619u;
	return h;
}

/* Skips one RR (its name, fixed fields and RDATA). */
static int skip_rr(const uint8_t *p, size_t len, size_t *off)
{
	if (dns_name_skip(p, len, off) < 0 || *off + 10 > len)
		return -EINVAL;
	*off += 10 + (size_t)dns_get16(p + *off + 8);
	return *off <= len ? 0 : -EINVAL;
}

int dns_parse_query(const uint8_t *p, size_t len, struct dns_q *q)
{
	size_t off = DNS_HDR, n = 0;
	uint16_t qd, an, ns, ar;
	uint32_t h = 2166136261u;	/* dns_name_hash(), as the name goes by */

	q->nlen = 0;
	q->qend = 0;
	q->edns = q->do_bit = false;
	q->edns_ver = 0;
	q->udp_size = 512;
	if (len < DNS_HDR)
		return -1;
	q->id = dns_get16(p);
	q->flags = dns_get16(p + 2);
	/* A response sent to us is never answered: that way lie loops. */
	if (q->flags & DNS_F_QR)
		return -1;
	if (q->flags & DNS_F_OPCODE)
		return DNS_RC_NOTIMP;
	qd = dns_get16(p + 4);
	an = dns_get16(p + 6);
	ns = dns_get16(p + 8);
	ar = dns_get16(p + 10);
	if (qd != 1)
		return DNS_RC_FORMERR;
	/* The question's name, uncompressed: nothing before it to point at. */
	for (;;) {
		uint8_t l;

		if (off >= len)
			return DNS_RC_FORMERR;
		l = p[off++];
		if (l == 0)
			break;
		if (l > 63 || off + l > len || n + 1 + l + 1 > DNS_MAXNAME)
			return DNS_RC_FORMERR;
		q->name[n++] = l;
		h = (h ^ l) * 16777619u;
		for (uint8_t i = 0; i < l; i++) {
			uint8_t c = lower(p[off++]);

			q->name[n++] = c;
			h = (h ^ c) * 16777619u;
		}
	}
	q->name[n++] = 0;
	h = (h ^ 0) * 16777619u;
	if (off + 4 > len)
		return DNS_RC_FORMERR;
	q->nlen = (uint16_t)n;
	q->qtype = dns_get16(p + off);
	q->qclass = dns_get16(p + off + 2);
	off += 4;
	q->qend = (uint16_t)off;
	q->hash = h;
	for (unsigned i = 0; i < (unsigned)an + ns; i++)
		if (skip_rr(p, len, &off) < 0)
			return DNS_RC_FORMERR;
	for (unsigned i = 0; i < ar; i++) {
		size_t at = off;

		if (skip_rr(p, len, &off) < 0)
			return DNS_RC_FORMERR;
		if (p[at] != 0 || dns_get16(p + at + 1) != DNS_T_OPT)
			continue;
		/* One OPT, owned by the root (RFC 6891 6.1.1). */
		if (q->edns)
			return DNS_RC_FORMERR;
		q->edns = true;
		q->udp_size = dns_get16(p + at + 3);
		if (q->udp_size < 512)
			q->udp_size = 512;
		q->edns_ver = p[at + 6];
		q->do_bit = (p[at + 7] & 0x80) != 0;
	}
	if (q->edns && q->edns_ver > 0)
		return DNS_RC_BADVERS;
	return 0;
}

int dns_tcp_frame(const uint8_t *buf, size_t len, size_t *mlen)
{
	if (len < 2)
		return 0;
	*mlen = dns_get16(buf);
	if (*mlen == 0)
		return -EPROTO;
	return len - 2 >= *mlen;
}

int dns_name_skip(const uint8_t *p, size_t len, size_t *off)
{
	size_t o = *off;

	for (;;) {
		uint8_t l;

		if (o >= len)
			return -EINVAL;
		l = p[o];
		if (l == 0) {
			o++;
			break;
		}
		if ((l & 0xc0) == 0xc0) {
			if (o + 2 > len)
				return -EINVAL;
			o += 2;
			break;
		}
		if (l > 63)
			return -EINVAL;
		o += 1 + (size_t)l;
	}
	*off = o;
	return 0;
}

int dns_name_read(const uint8_t *p, size_t len, size_t *off, uint8_t *out, size_t cap)
{
	size_t o = *off, n = 0;
	bool jumped = false;
	int hops = 0;

	for (;;) {
		uint8_t l;

		if (o >= len)
			return -EINVAL;
		l = p[o];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (o + 2 > len || ++hops > 64)
				return -EINVAL;
			to = (size_t)(l & 0x3f) << 8 | p[o + 1];
			if (!jumped)
				*off = o + 2;
			jumped = true;
			/* Only backwards: a forward pointer is how loops start.
			 * Never into the header: its ID changes on the way. */
			if (to >= o || to < DNS_HDR)
				return -EINVAL;
			o = to;
			continue;
		}
		if (l > 63)
			return -EINVAL;
		if (l == 0) {
			if (n + 1 > cap)
				return -EINVAL;
			out[n++] = 0;
			if (!jumped)
				*off = o + 1;
			return (int)n;
		}
		if (o + 1 + l > len || n + 1 + l + 1 > cap || n + 1 + l + 1 > DNS_MAXNAME)
			return -EINVAL;
		out[n++] = l;
		for (uint8_t i = 0; i < l; i++)
			out[n++] = lower(p[o + 1 + i]);
		o += 1 + (size_t)l;
	}
}

int dns_name_from_str(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (!s)
		return -EINVAL;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		if (l == 0 && dot && dot[1] == '\0' && n == 0)
			break;	/* "." itself */
		if (l == 0 || l > 63 || n + 1 + l + 1 > cap || n + 1 + l + 1 > DNS_MAXNAME)
			return -EINVAL;
		out[n++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++)
			out[n++] = lower((uint8_t)s[i]);
		if (!dot)
			break;
		s = dot + 1;
	}
	if (n + 1 > cap)
		return -EINVAL;
	out[n++] = 0;
	return (int)n;
}

void dns_name_to_str(const uint8_t *name, char *out, size_t cap)
{
	size_t n = 0;

	if (cap == 0)
		return;
	if (name[0] == 0 && cap > 1)
		out[n++] = '.';
	for (size_t i = 0; name[i] && i < DNS_MAXNAME; i += (size_t)name[i] + 1)
		for (size_t j = 1; j <= name[i] + 0u; j++) {
			if (n + 2 >= cap)
				goto done;
			out[n++] = (char)name[i + j];
			if (j == name[i])
				out[n++] = '.';
		}
done:
	out[n] = '\0';
}

int dns_name_suffix(const uint8_t *name, size_t nlen, const uint8_t *apex, size_t alen)
{
	size_t i = 0;

	if (alen > nlen)
		return -1;
	/* Walk label boundaries until the rest is as long as the apex. */
	while (nlen - i > alen) {
		if (name[i] == 0)
			return -1;
		i += (size_t)name[i] + 1;
	}
	if (nlen - i != alen || memcmp(name + i, apex, alen) != 0)
		return -1;
	return (int)i;
}

/* ---- building ---- */

void dns_wb_init(struct dns_wb *wb, uint8_t *buf, size_t cap)
{
	wb->p = buf;
	wb->len = 0;
	wb->cap = cap;
	wb->err = false;
	wb->nnames = 0;
}

void dns_wb_bytes(struct dns_wb *wb, const void *b, size_t n)
{
	if (wb->err || wb->len + n > wb->cap) {
		wb->err = true;
		return;
	}
	memcpy(wb->p + wb->len, b, n);
	wb->len += n;
}

void dns_wb_u16(struct dns_wb *wb, uint16_t v)
{
	uint8_t b[2];

	dns_put16(b, v);
	dns_wb_bytes(wb, b, 2);
}

void dns_wb_u32(struct dns_wb *wb, uint32_t v)
{
	uint8_t b[4];

	dns_put32(b, v);
	dns_wb_bytes(wb, b, 4);
}

void dns_wb_mark(struct dns_wb *wb, size_t off)
{
	while (!wb->err && off < wb->len && off < 0x3fff && wb->p[off] &&
	       (wb->p[off] & 0xc0) == 0 && wb->nnames < DNS_WB_NAMES) {
		wb->names[wb->nnames++] = (uint16_t)off;
		off += (size_t)wb->p[off] + 1;
	}
}

/* Whether the name at `off` in the message (pointers followed) equals
 * `name`, case aside. */
static bool name_at_eq(const struct dns_wb *wb, size_t off, const uint8_t *name)
{
	int hops = 0;

	for (;;) {
		uint8_t l;

		if (off >= wb->len)
			return false;
		l = wb->p[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 2 > wb->len || ++hops > 64)
				return false;
			off = (size_t)(l & 0x3f) << 8 | wb->p[off + 1];
			continue;
		}
		if (l != *name || off + 1 + l > wb->len)
			return false;
		if (l == 0)
			return true;
		for (uint8_t i = 1; i <= l; i++)
			if (lower(wb->p[off + i]) != name[i])
				return false;
		off += 1 + (size_t)l;
		name += 1 + l;
	}
}

void dns_wb_name(struct dns_wb *wb, const uint8_t *name, size_t len)
{
	size_t start = wb->len;

	for (size_t i = 0; i < len && name[i]; i += (size_t)name[i] + 1) {
		for (int k = 0; k < wb->nnames; k++) {
			if (!name_at_eq(wb, wb->names[k], name + i))
				continue;
			dns_wb_bytes(wb, name, i);
			dns_wb_u16(wb, (uint16_t)(0xc000 | wb->names[k]));
			dns_wb_mark(wb, start);
			return;
		}
	}
	dns_wb_bytes(wb, name, len);
	dns_wb_mark(wb, start);
}

size_t dns_wb_rr(struct dns_wb *wb, const uint8_t *name, size_t nlen, uint16_t type,
		 uint32_t ttl)
{
	size_t at;

	dns_wb_name(wb, name, nlen);
	dns_wb_u16(wb, type);
	dns_wb_u16(wb, DNS_C_IN);
	dns_wb_u32(wb, ttl);
	at = wb->len;
	dns_wb_u16(wb, 0);
	return at;
}

void dns_wb_rr_end(struct dns_wb *wb, size_t at)
{
	if (!wb->err)
		dns_put16(wb->p + at, (uint16_t)(wb->len - at - 2));
}

void dns_hdr(uint8_t *out, uint16_t id, uint16_t qflags, uint16_t flags, int rcode,
	     uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	dns_put16(out, id);
	dns_put16(out + 2, (uint16_t)(DNS_F_QR | (qflags & (DNS_F_OPCODE | DNS_F_RD | DNS_F_CD)) |
				      flags | (rcode & 0xf)));
	dns_put16(out + 4, qd);
	dns_put16(out + 6, an);
	dns_put16(out + 8, ns);
	dns_put16(out + 10, ar);
}

size_t dns_opt(uint8_t *out, int ext_rcode)
{
	out[0] = 0;
	dns_put16(out + 1, DNS_T_OPT);
	dns_put16(out + 3, DNS_EDNS_SIZE);
	out[5] = (uint8_t)(ext_rcode >> 4);
	out[6] = 0;	/* version */
	out[7] = 0;	/* no DO: we do not sign */
	out[8] = 0;
	dns_put16(out + 9, 0);
	return 11;
}

size_t dns_resp_empty(const uint8_t *pkt, size_t plen, const struct dns_q *q, bool have_q,
		      int rcode, uint16_t extra_flags, uint8_t *out, size_t cap)
{
	size_t n = DNS_HDR, qlen = have_q ? (size_t)q->qend - DNS_HDR : 0;
	bool opt = q->edns || rcode == DNS_RC_BADVERS;

	if (cap < DNS_HDR + qlen + 11 || plen < DNS_HDR + qlen)
		return 0;
	dns_hdr(out, q->id, q->flags, (uint16_t)(DNS_F_RA | extra_flags), rcode, have_q ? 1 : 0,
		0, 0, opt ? 1 : 0);
	memcpy(out + n, pkt + DNS_HDR, qlen);
	n += qlen;
	if (opt)
		n += dns_opt(out + n, rcode);
	return n;
}
