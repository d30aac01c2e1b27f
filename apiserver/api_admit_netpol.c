/* NetworkPolicy admission: the defaults of networking.k8s.io/v1
 * (pkg/apis/networking/v1/defaults.go) and kube-apiserver 1.32's
 * validation (pkg/apis/networking/validation/validation.go:
 * ValidateNetworkPolicySpec, ValidateNetworkPolicyPort,
 * ValidateNetworkPolicyPeer, ValidateIPBlock), same field paths, same
 * messages, same order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "api_admit_int.h"

/* An ipBlock CIDR as netutils.ParseCIDRSloppy reads it. */
struct np_cidr {
	unsigned char addr[16];	/* host bits cleared, as net.IPNet.IP */
	int len;		/* 4 or 16 bytes */
	int bits;
};

/* Go's dtoi: decimal digits, leading zeros allowed, below 0xFFFFFF.
 * The number of digits read, 0 when none or too big. */
static size_t dtoi(const char *s, long *n)
{
	size_t i;

	*n = 0;
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		if ((*n = *n * 10 + (s[i] - '0')) >= 0xFFFFFF)
			return 0;
	return i;
}

/* netutils' sloppy IPv4 parser: four decimal fields, each at most 255,
 * leading zeros read as decimal (the forked pre-1.17 Go parser). */
static bool parse_v4(const char *s, unsigned char *out)
{
	long n;
	size_t c;
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0 && *s++ != '.')
			return false;
		if (!(c = dtoi(s, &n)) || n > 0xFF)
			return false;
		out[i] = (unsigned char)n;
		s += c;
	}
	return *s == '\0';
}

/* Byte i of a network mask of `bits` ones. */
static unsigned char mask_byte(int bits, int i)
{
	int keep = bits - i * 8;

	if (keep >= 8)
		return 0xFF;
	return keep <= 0 ? 0 : (unsigned char)(0xFF << (8 - keep));
}

static bool parse_cidr(const char *s, struct np_cidr *c)
{
	const char *slash = strchr(s, '/');
	char ip[64];
	size_t n;
	long bits;
	int i;

	if (!slash || (n = (size_t)(slash - s)) >= sizeof(ip))
		return false;
	memcpy(ip, s, n);
	ip[n] = '\0';
	memset(c, 0, sizeof(*c));
	if (parse_v4(ip, c->addr))
		c->len = 4;
	else if (inet_pton(AF_INET6, ip, c->addr) == 1)
		c->len = 16;
	else
		return false;
	n = dtoi(slash + 1, &bits);
	if (!n || slash[1 + n] != '\0' || bits > c->len * 8)
		return false;
	c->bits = (int)bits;
	for (i = 0; i < c->len; i++)
		c->addr[i] &= mask_byte(c->bits, i);
	return true;
}

/* net.IPNet.Contains(except.IP) && cidr's mask is shorter than except's. */
static bool strict_subset(const struct np_cidr *cidr, const struct np_cidr *ex)
{
	int i;

	if (cidr->len != ex->len || cidr->bits >= ex->bits)
		return false;
	for (i = 0; i < cidr->len; i++) {
		if ((ex->addr[i] & mask_byte(cidr->bits, i)) != cidr->addr[i])
			return false;
	}
	return true;
}

/* A JSON member that is there and not null: Go's non-nil pointer. */
static const json_t *present(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return v && !json_is_null(v) ? v : NULL;
}

static void validate_ipblock(struct adm_req *q, const json_t *ipb, const char *path)
{
	const char *cidr = adm_str(ipb, "cidr");
	struct np_cidr net, ex;
	char f[320];
	json_t *e;
	size_t i;

	adm_fmt(f, sizeof(f), "%s.cidr", path);
	if (!*cidr) {
		adm_required(q, f, NULL);
		return;
	}
	if (!parse_cidr(cidr, &net)) {
		adm_invalid_str(q, f, cidr, "not a valid CIDR");
		return;
	}
	json_array_foreach(json_object_get(ipb, "except"), i, e) {
		const char *s = json_string_value(e) ?: "";

		adm_fmt(f, sizeof(f), "%s.except[%zu]", path, i);
		/* kube-apiserver stops at the first except it cannot parse. */
		if (!parse_cidr(s, &ex)) {
			adm_invalid_str(q, f, s, "not a valid CIDR");
			return;
		}
		if (!strict_subset(&net, &ex))
			adm_invalid_str(q, f, s, "must be a strict subset of `cidr`");
	}
}

static void validate_peer(struct adm_req *q, const json_t *peer, const char *path)
{
	const json_t *pod = present(peer, "podSelector");
	const json_t *ns = present(peer, "namespaceSelector");
	const json_t *ipb = present(peer, "ipBlock");
	int n = !!pod + !!ns + !!ipb;
	char f[320];

	adm_fmt(f, sizeof(f), "%s.podSelector", path);
	adm_validate_selector(q, pod, f);
	adm_fmt(f, sizeof(f), "%s.namespaceSelector", path);
	adm_validate_selector(q, ns, f);
	if (ipb) {
		adm_fmt(f, sizeof(f), "%s.ipBlock", path);
		validate_ipblock(q, ipb, f);
	}
	if (n == 0)
		adm_required(q, path, "must specify a peer");
	else if (n > 1 && ipb)
		adm_forbidden(q, path, "may not specify both ipBlock and another peer");
}

/* A value of the wrong JSON type, shown as JSON. */
static void invalid_json(struct adm_req *q, const char *field, const json_t *v, const char *detail)
{
	char *raw = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	adm_invalid_raw(q, field, raw ? raw : "?", detail);
	free(raw);
}

/* validation.IsValidPortNum's one message. */
static void port_num(struct adm_req *q, const char *field, long long v)
{
	if (v < 1 || v > 65535)
		adm_invalid_int(q, field, v, "must be between 1 and 65535, inclusive");
}

static void validate_port(struct adm_req *q, const json_t *p, const char *path)
{
	static const char *const protocols[] = {"TCP", "UDP", "SCTP", NULL};
	const json_t *proto = present(p, "protocol");
	const json_t *port = present(p, "port");
	const json_t *end = present(p, "endPort");
	long long e = json_integer_value(end);
	char f[320], fe[320];

	adm_fmt(f, sizeof(f), "%s.protocol", path);
	if (proto) {
		const char *s = json_string_value(proto) ?: "";

		if (strcmp(s, "TCP") && strcmp(s, "UDP") && strcmp(s, "SCTP"))
			adm_unsupported(q, f, s, protocols);
	}
	adm_fmt(f, sizeof(f), "%s.port", path);
	adm_fmt(fe, sizeof(fe), "%s.endPort", path);
	if (end && !json_is_integer(end)) {
		invalid_json(q, fe, end, "must be an integer");
		end = NULL;
	}
	if (!port) {
		if (end)
			adm_invalid_int(q, fe, e,
					"may not be specified when `port` is not specified");
	} else if (json_is_integer(port)) {
		port_num(q, f, json_integer_value(port));
		if (end) {
			/* kube-apiserver 1.32, ValidateNetworkPolicyPort in
			 * pkg/apis/networking/validation/validation.go:
			 * field.Invalid(portPath.Child("endPort"),
			 * port.Port.IntVal, ...): port's value at endPort's
			 * path (kubernetes PR #137960, 2026, shows endPort's
			 * from 1.36 on). */
			if (e < json_integer_value(port))
				adm_invalid_int(q, fe, json_integer_value(port),
						"must be greater than or equal to `port`");
			port_num(q, fe, e);
		}
	} else if (json_is_string(port)) {
		struct adm_msgs m;

		if (end)
			adm_invalid_int(q, fe, e,
					"may not be specified when `port` is non-numeric");
		adm_port_name(json_string_value(port), &m);
		adm_invalid_msgs(q, f, json_string_value(port), &m);
	} else {
		invalid_json(q, f, port, "must be an integer or a port name");
	}
}

/* SetDefaults_NetworkPolicyPort and SetDefaults_NetworkPolicy: TCP where
 * a port names no protocol; policyTypes [Ingress], plus Egress when egress
 * rules are given. podSelector is a struct in Go, so it is always
 * written, {} when the client left it out. */
static void set_defaults(json_t *spec)
{
	static const char *const dirs[] = {"ingress", "egress"};
	json_t *rule, *p, *pt;
	size_t d, i, j;

	if (!present(spec, "podSelector"))
		json_object_set_new(spec, "podSelector", json_object());
	for (d = 0; d < 2; d++)
		json_array_foreach(json_object_get(spec, dirs[d]), i, rule)
			json_array_foreach(json_object_get(rule, "ports"), j, p)
				if (json_is_object(p) && !present(p, "protocol"))
					json_object_set_new(p, "protocol", json_string("TCP"));
	if (!json_array_size(json_object_get(spec, "policyTypes"))) {
		pt = json_pack("[s]", "Ingress");
		if (json_array_size(json_object_get(spec, "egress")))
			json_array_append_new(pt, json_string("Egress"));
		json_object_set_new(spec, "policyTypes", pt);
	}
}

static void validate_policy_types(struct adm_req *q, const json_t *pt)
{
	static const char *const types[] = {"Ingress", "Egress", NULL};
	char f[64];
	json_t *p;
	size_t i;

	if (json_array_size(pt) > 2) {
		struct adm_buf b = {0};

		adm_buf_printf(&b, "[]networking.PolicyType{");
		json_array_foreach(pt, i, p) {
			adm_buf_printf(&b, "%s", i ? ", " : "");
			adm_buf_quote(&b, json_string_value(p) ?: "");
		}
		adm_buf_printf(&b, "}");
		adm_invalid_raw(q, "spec.policyTypes", b.p,
				"may not specify more than two policyTypes");
		adm_buf_free(&b);
		return;
	}
	json_array_foreach(pt, i, p) {
		const char *t = json_string_value(p) ?: "";

		adm_fmt(f, sizeof(f), "spec.policyTypes[%zu]", i);
		if (strcmp(t, "Ingress") && strcmp(t, "Egress"))
			adm_unsupported(q, f, t, types);
	}
}

int adm_networkpolicy(struct adm_req *q, json_t *obj)
{
	static const char *const dirs[] = {"ingress", "egress"};
	static const char *const peers[] = {"from", "to"};
	json_t *spec = json_object_get(obj, "spec"), *rule, *v;
	size_t d, i, j;
	char f[256];

	/* The spec is a struct in Go: absent means empty. */
	if (!spec || json_is_null(spec)) {
		spec = json_object();
		json_object_set_new(obj, "spec", spec);
	}
	if (!json_is_object(spec)) {
		invalid_json(q, "spec", spec, "must be an object");
		return 0;
	}
	set_defaults(spec);

	adm_validate_meta(q, obj, ADM_NAME_SUBDOMAIN);
	adm_validate_selector(q, json_object_get(spec, "podSelector"), "spec.podSelector");
	for (d = 0; d < 2; d++) {
		json_array_foreach(json_object_get(spec, dirs[d]), i, rule) {
			json_array_foreach(json_object_get(rule, "ports"), j, v) {
				adm_fmt(f, sizeof(f), "spec.%s[%zu].ports[%zu]", dirs[d], i, j);
				validate_port(q, v, f);
			}
			json_array_foreach(json_object_get(rule, peers[d]), j, v) {
				adm_fmt(f, sizeof(f), "spec.%s[%zu].%s[%zu]", dirs[d], i, peers[d],
					j);
				validate_peer(q, v, f);
			}
		}
	}
	validate_policy_types(q, json_object_get(spec, "policyTypes"));
	return 0;
}
