/* The query log line, in the format of CoreDNS's log plugin (plugin/log,
 * its default format), so that what users know from
 * `kubectl logs -l k8s-app=kube-dns` reads the same:
 *   [INFO] {remote}:{port} - {>id} "{type} {class} {name} {proto} {size}
 *   {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}
 * Only called at --log-level debug: building it costs a parse of the
 * query. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dns_int.h"

static const char *type_name(uint16_t t, char *buf, size_t len)
{
	switch (t) {
	case DNS_T_A: return "A";
	case DNS_T_NS: return "NS";
	case DNS_T_CNAME: return "CNAME";
	case DNS_T_SOA: return "SOA";
	case DNS_T_PTR: return "PTR";
	case DNS_T_MX: return "MX";
	case DNS_T_TXT: return "TXT";
	case DNS_T_AAAA: return "AAAA";
	case DNS_T_SRV: return "SRV";
	case DNS_T_OPT: return "OPT";
	case DNS_T_ANY: return "ANY";
	}
	snprintf(buf, len, "TYPE%u", t);
	return buf;
}

static const char *class_name(uint16_t c, char *buf, size_t len)
{
	switch (c) {
	case DNS_C_IN: return "IN";
	case 3: return "CH";
	case 4: return "HS";
	case DNS_C_ANY: return "ANY";
	}
	snprintf(buf, len, "CLASS%u", c);
	return buf;
}

static const char *rcode_name(int rc, char *buf, size_t len)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};

	if (rc >= 0 && rc < (int)(sizeof(names) / sizeof(names[0])))
		return names[rc];
	if (rc == DNS_RC_BADVERS)
		return "BADVERS";
	snprintf(buf, len, "RCODE%d", rc);
	return buf;
}

/* The name in presentation form; bytes that would break the line or
 * mislead a reader are escaped as \DDD (RFC 4343). */
static void name_text(const uint8_t *name, char *out, size_t cap)
{
	size_t n = 0;

	if (name[0] == 0) {
		snprintf(out, cap, ".");
		return;
	}
	for (size_t i = 0; name[i] && i < DNS_MAXNAME; i += (size_t)name[i] + 1) {
		for (size_t j = 1; j <= name[i] + 0u; j++) {
			uint8_t c = name[i + j];

			if (n + 6 >= cap)
				goto done;
			if (c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '.')
				out[n++] = (char)c;
			else
				n += (size_t)snprintf(out + n, cap - n, "\\%03u", c);
		}
		out[n++] = '.';
	}
done:
	out[n] = '\0';
}

size_t dns_qlog_line(char *out, size_t cap, const struct sockaddr_in *from, bool tcp,
		     const uint8_t *query, size_t qlen, const uint8_t *resp, size_t rlen,
		     int64_t dur_ns)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} flags[] = {{DNS_F_QR, "qr"}, {DNS_F_AA, "aa"}, {DNS_F_TC, "tc"}, {DNS_F_RD, "rd"},
		     {DNS_F_RA, "ra"}, {0x0040, "z"},	 {DNS_F_AD, "ad"}, {DNS_F_CD, "cd"}};
	char addr[INET_ADDRSTRLEN], tb[16], cb[16], rb[16], name[4 * DNS_MAXNAME + 2];
	char rflags[40] = "", dur[32];
	struct dns_q q;
	uint16_t rf = rlen >= DNS_HDR ? dns_get16(resp + 2) : 0;
	int rc = rlen >= DNS_HDR ? (rf & 0xf) : DNS_RC_SERVFAIL, n;
	bool have_q = dns_parse_query(query, qlen, &q) == 0;

	inet_ntop(AF_INET, &from->sin_addr, addr, sizeof(addr));
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (rf & flags[i].bit)
			snprintf(rflags + strlen(rflags), sizeof(rflags) - strlen(rflags), "%s%s",
				 *rflags ? "," : "", flags[i].name);
	/* Go's strconv.FormatFloat(d.Seconds(), 'f', -1, 64): no trailing
	 * zeros. */
	snprintf(dur, sizeof(dur), "%.9f", (double)dur_ns / 1e9);
	for (size_t l = strlen(dur); l > 1 && (dur[l - 1] == '0' || dur[l - 1] == '.'); l--) {
		bool point = dur[l - 1] == '.';

		dur[l - 1] = '\0';
		if (point)
			break;
	}
	if (have_q)
		name_text(q.name, name, sizeof(name));
	n = snprintf(out, cap, "[INFO] %s:%u - %u \"%s %s %s %s %zu %s %u\" %s %s %zu %ss", addr,
		     ntohs(from->sin_port), qlen >= 2 ? dns_get16(query) : 0,
		     have_q ? type_name(q.qtype, tb, sizeof(tb)) : "-",
		     have_q ? class_name(q.qclass, cb, sizeof(cb)) : "-", have_q ? name : "-",
		     tcp ? "tcp" : "udp", qlen, have_q && q.do_bit ? "true" : "false",
		     have_q ? q.udp_size : 512, rcode_name(rc, rb, sizeof(rb)),
		     *rflags ? rflags : "-", rlen, dur);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}
