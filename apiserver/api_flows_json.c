/* A flow record as the flow API's JSON (FLOW in the flow API notes),
 * written straight into a buffer: a watch of a busy dataplane writes
 * thousands a second, and building each as a jansson tree cost the
 * control loop a fifth of a core at 6,000 a second. Strings are escaped
 * whole: a byte that is not ASCII (a host or path is the client's) as
 * \u00XX, so that the text is always valid JSON. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "k1s_addr.h"
#include "k1s_flow.h"

struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n > o->cap - 1 - o->len)
		n = o->cap - 1 - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->cap - o->len ? (size_t)n : o->cap - 1 - o->len;
}

/* A JSON string of s[0..n). */
static void str(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

		if (c == '"' || c == '\\') {
			put(o, "\\", 1);
			put(o, s + i, 1);
		} else if (c < 0x20 || c >= 0x7f) {
			put(o, e, 6);
		} else {
			put(o, s + i, 1);
		}
	}
	put(o, "\"", 1);
}

/* "key":"s", after a comma unless it is the first of its object. */
static void field(struct out *o, bool first, const char *key, const char *s, size_t n)
{
	putf(o, "%s\"%s\":", first ? "" : ",", key);
	str(o, s, n);
}

static const char *proto_name(uint8_t p)
{
	return p == 17 ? "UDP" : p == 132 ? "SCTP" : "TCP";
}

static const char *dns_type(uint16_t t, char *buf)
{
	switch (t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 255: return "ANY";
	}
	snprintf(buf, 16, "TYPE%u", t);
	return buf;
}

static const char *rcode_name(uint16_t rc, char *buf)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP", "REFUSED"};

	if (rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	snprintf(buf, 16, "RCODE%u", rc);
	return buf;
}

const char *api_flow_pod(const json_t *by_ip, uint32_t ip)
{
	char s[K1S_IP4_STRLEN];

	return ip ? json_string_value(json_object_get(by_ip, k1s_ip4_str(ip, s))) : NULL;
}

/* "key":{"ip","port"} and, when the address is a pod's, "namespace" and
 * "pod". */
static void peer(struct out *o, const char *key, const json_t *by_ip, uint32_t ip,
		 uint16_t port)
{
	char s[K1S_IP4_STRLEN];
	const char *pod = api_flow_pod(by_ip, ip), *slash = pod ? strchr(pod, '/') : NULL;

	putf(o, ",\"%s\":{\"ip\":\"%s\",\"port\":%u", key, k1s_ip4_str(ip, s), port);
	if (slash) {
		field(o, false, "namespace", pod, (size_t)(slash - pod));
		field(o, false, "pod", slash + 1, strlen(slash + 1));
	}
	put(o, "}", 1);
}

/* "key":[...] of a space-separated list. */
static void words(struct out *o, const char *key, const char *s)
{
	bool first = true;

	putf(o, ",\"%s\":[", key);
	while (*s) {
		size_t n = strcspn(s, " ");

		if (n) {
			if (!first)
				put(o, ",", 1);
			str(o, s, n);
			first = false;
		}
		s += n;
		s += *s == ' ';
	}
	put(o, "]", 1);
}

size_t api_flow_json(const struct k1s_flow *f, const char *module, const json_t *by_ip,
		     char *buf, size_t cap)
{
	struct out o = {buf, 0, cap};
	time_t sec = (time_t)(f->time_us / 1000000);
	char ts[32], tb[16], rb[16];
	struct tm tm;
	bool ing = strcmp(module, "ingress") == 0;

	buf[0] = '\0';
	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	putf(&o, "{\"kind\":\"Flow\",\"apiVersion\":\"k1s.io/v1\",\"metadata\":{\"name\":\"%llu\","
		 "\"resourceVersion\":\"%llu\",\"creationTimestamp\":\"%sZ\"},"
		 "\"time\":\"%s.%06lldZ\"",
	     (unsigned long long)f->seq, (unsigned long long)f->seq, ts, ts,
	     (long long)(f->time_us % 1000000));
	field(&o, false, "module", module, strlen(module));
	putf(&o, ",\"protocol\":\"%s\"", proto_name(f->proto));
	peer(&o, "source", by_ip, f->src, f->sport);
	peer(&o, "destination", by_ip, f->dst, f->dport);
	if (f->service[0] && strchr(f->service, '/')) {
		const char *slash = strchr(f->service, '/');

		puts_(&o, ",\"service\":{");
		field(&o, true, "namespace", f->service, (size_t)(slash - f->service));
		field(&o, false, "name", slash + 1, strlen(slash + 1));
		put(&o, "}", 1);
	}
	if (f->ep)
		peer(&o, "endpoint", by_ip, f->ep, f->ep_port);
	if (ing || strcmp(module, "dataplane") == 0)
		putf(&o, ",\"bytes\":{\"sent\":%llu,\"received\":%llu}",
		     (unsigned long long)f->sent, (unsigned long long)f->received);
	if (ing) {
		const char *sp = strchr(f->detail, ' ');

		puts_(&o, ",\"http\":{");
		field(&o, true, "method", f->detail,
		      sp ? (size_t)(sp - f->detail) : strlen(f->detail));
		field(&o, false, "host", f->name, strlen(f->name));
		field(&o, false, "path", sp ? sp + 1 : "", sp ? strlen(sp + 1) : 0);
		putf(&o, ",\"status\":%u}", f->code);
	}
	if (strcmp(module, "dns") == 0) {
		puts_(&o, ",\"dns\":{");
		field(&o, true, "name", f->name, strlen(f->name));
		putf(&o, ",\"type\":\"%s\",\"rcode\":\"%s\"", dns_type(f->qtype, tb),
		     rcode_name(f->code, rb));
		words(&o, "answers", f->detail);
		put(&o, "}", 1);
	}
	putf(&o, ",\"verdict\":\"%s\"", f->denied ? "Denied" : "Allowed");
	if (f->denied)
		words(&o, "policies", f->policies);
	put(&o, "}", 1);
	return o.len;
}
