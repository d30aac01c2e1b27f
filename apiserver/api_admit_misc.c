/* The other kinds: Namespace, Secret, ConfigMap, Endpoints, EndpointSlice,
 * Ingress and IngressClass, with kube-apiserver's defaults,
 * strategies and validation for each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_admit_int.h"
#include "st.h"

static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};

static bool valid_protocol(const char *p)
{
	return !strcmp(p, "TCP") || !strcmp(p, "UDP") || !strcmp(p, "SCTP");
}

/* ---- Namespace ---- */

int adm_namespace(struct adm_req *q, json_t *obj)
{
	const char *name = k1s_json_str(obj, "metadata.name");
	json_t *spec = k1s_json_obj(obj, "spec"), *fin, *labels, *v;
	bool has = false;
	size_t i;

	labels = k1s_json_obj(obj, "metadata.labels");
	if (labels && name)
		json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(name));
	if (q->old) {
		/* Finalizers change only through the finalize subresource. */
		const json_t *of = k1s_json_path(q->old, "spec.finalizers");

		if (spec && of)
			json_object_set_new(spec, "finalizers", json_deep_copy(of));
		else if (spec)
			json_object_del(spec, "finalizers");
		adm_keep_status(q->old, obj);
	} else if (spec) {
		fin = json_object_get(spec, "finalizers");
		if (!json_is_array(fin)) {
			fin = json_array();
			json_object_set_new(spec, "finalizers", fin);
		}
		json_array_foreach(fin, i, v)
			if (json_string_value(v) && !strcmp(json_string_value(v), "kubernetes"))
				has = true;
		if (!has)
			json_array_append_new(fin, json_string("kubernetes"));
		json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
	}
	adm_validate_meta(q, obj, ADM_NAME_LABEL);
	return 0;
}

/* ---- Secret and ConfigMap ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const unsigned char *s, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		*o++ = b64[s[i] >> 2];
		*o++ = b64[(s[i] & 3) << 4 | s[i + 1] >> 4];
		*o++ = b64[(s[i + 1] & 15) << 2 | s[i + 2] >> 6];
		*o++ = b64[s[i + 2] & 63];
	}
	if (i < n) {
		*o++ = b64[s[i] >> 2];
		if (i + 1 < n) {
			*o++ = b64[(s[i] & 3) << 4 | s[i + 1] >> 4];
			*o++ = b64[(s[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(s[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* Go's base64.StdEncoding acceptance (newlines ignored): -1 if valid,
 * else the offset Go's CorruptInputError reports; *len the decoded size. */
static long b64_check(const char *s, size_t *len)
{
	size_t i, q = 0, pad = 0, qstart = 0, n = 0;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (c == '\r' || c == '\n')
			continue;
		if (q == 0)
			qstart = i;
		if (c == '=') {
			if (q < 2)
				return (long)i;
			pad++;
		} else if (pad || !strchr(b64, c)) {
			return (long)i;
		}
		if (++q == 4) {
			n += 3 - pad;
			if (pad)
				for (i++; s[i]; i++)
					if (s[i] != '\r' && s[i] != '\n')
						return (long)i;
			if (pad)
				break;
			q = 0;
		}
	}
	if (q != 0 && !pad)
		return (long)qstart;
	*len = n;
	return -1;
}

static void validate_keys(struct adm_req *q, const json_t *map, const char *field)
{
	struct adm_msgs m;
	char f[512];
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)map, k, v) {
		adm_fmt(f, sizeof(f), "%s[%s]", field, k);
		adm_config_key(k, &m);
		adm_invalid_msgs(q, f, k, &m);
	}
}

static void immutable_data(struct adm_req *q, const json_t *obj, const char *const *fields)
{
	const json_t *oi = json_object_get(q->old, "immutable");
	size_t i;

	if (!q->old || !json_is_true(oi))
		return;
	for (i = 0; fields[i]; i++)
		if (!json_equal(json_object_get(q->old, fields[i]) ?: json_null(),
				json_object_get(obj, fields[i]) ?: json_null()))
			adm_forbidden(q, fields[i], "field is immutable when `immutable` is set");
	if (!json_is_true(json_object_get(obj, "immutable")))
		adm_forbidden(q, "immutable", "field is immutable when `immutable` is set");
}

int adm_secret(struct adm_req *q, json_t *obj)
{
	static const char *const fields[] = {"data", NULL};
	json_t *sd = json_object_get(obj, "stringData"), *data, *v;
	const char *k, *type;
	size_t total = 0, n;
	char msg[256];
	long bad;

	adm_default_str(obj, "type", "Opaque");
	data = json_object_get(obj, "data");
	json_object_foreach(data, k, v) {
		if (!json_is_string(v) || (bad = b64_check(json_string_value(v), &n)) >= 0) {
			adm_fmt(msg, sizeof(msg),
				 "Secret in version \"v1\" cannot be handled as a Secret: illegal "
				 "base64 data at input byte %ld",
				 json_is_string(v) ? bad : 0L);
			q->status = api_status(400, "BadRequest", msg, NULL);
			q->err = -EINVAL;
			return -EINVAL;
		}
		total += n;
	}
	/* stringData is write-only: merged into data, then dropped. */
	if (json_is_object(sd)) {
		data = k1s_json_obj(obj, "data");
		json_object_foreach(sd, k, v) {
			const char *s = json_string_value(v) ?: "";
			char *enc = b64_encode((const unsigned char *)s, strlen(s));

			if (data && enc)
				json_object_set_new(data, k, json_string(enc));
			free(enc);
		}
	}
	json_object_del(obj, "stringData");

	adm_validate_meta(q, obj, ADM_NAME_SUBDOMAIN);
	data = json_object_get(obj, "data");
	validate_keys(q, data, "data");
	total = 0;
	json_object_foreach(data, k, v)
		if (b64_check(json_string_value(v), &n) < 0)
			total += n;
	if (total > 1024 * 1024)
		json_array_append_new(q->causes,
				      json_pack("{s:s,s:s,s:s}", "reason", "FieldValueTooLong",
						"message", "Too long: may not be more than 1048576 bytes",
						"field", "data"));
	type = adm_str(obj, "type");
	if (!strcmp(type, "kubernetes.io/tls")) {
		if (!json_object_get(data, "tls.crt"))
			adm_required(q, "data[tls.crt]", NULL);
		if (!json_object_get(data, "tls.key"))
			adm_required(q, "data[tls.key]", NULL);
	} else if (!strcmp(type, "kubernetes.io/dockerconfigjson")) {
		if (!json_object_get(data, ".dockerconfigjson"))
			adm_required(q, "data[.dockerconfigjson]", NULL);
	} else if (!strcmp(type, "kubernetes.io/basic-auth")) {
		if (!json_object_get(data, "username") && !json_object_get(data, "password"))
			adm_required(q, "data[username]", NULL);
	} else if (!strcmp(type, "kubernetes.io/ssh-auth")) {
		if (!json_object_get(data, "ssh-privatekey"))
			adm_required(q, "data[ssh-privatekey]", NULL);
	}
	if (q->old) {
		const char *ot = adm_str(q->old, "type");

		if (strcmp(ot, type) != 0)
			adm_invalid_str(q, "type", type, "field is immutable");
		immutable_data(q, obj, fields);
	}
	return 0;
}

int adm_configmap(struct adm_req *q, json_t *obj)
{
	static const char *const fields[] = {"data", "binaryData", NULL};
	const json_t *data = json_object_get(obj, "data");
	const json_t *bin = json_object_get(obj, "binaryData");
	size_t total = 0;
	char f[512];
	const char *k;
	json_t *v;

	adm_validate_meta(q, obj, ADM_NAME_SUBDOMAIN);
	validate_keys(q, data, "data");
	validate_keys(q, bin, "binaryData");
	json_object_foreach((json_t *)data, k, v) {
		total += json_string_length(v);
		if (json_object_get(bin, k)) {
			adm_fmt(f, sizeof(f), "data[%s]", k);
			adm_invalid_str(q, f, k, "duplicate of key present in binaryData");
		}
	}
	json_object_foreach((json_t *)bin, k, v)
		total += json_string_length(v) / 4 * 3;
	if (total > 1024 * 1024)
		json_array_append_new(q->causes,
				      json_pack("{s:s,s:s,s:s}", "reason", "FieldValueTooLong",
						"message", "Too long: may not be more than 1048576 bytes",
						"field", ""));
	immutable_data(q, obj, fields);
	return 0;
}

/* ---- Endpoints and EndpointSlice ---- */

int adm_endpoints(struct adm_req *q, json_t *obj)
{
	struct adm_msgs m;
	json_t *ss, *p, *a;
	size_t i, j;
	char f[128];

	json_array_foreach(json_object_get(obj, "subsets"), i, ss)
		json_array_foreach(json_object_get(ss, "ports"), j, p)
			adm_default_str(p, "protocol", "TCP");
	adm_validate_meta(q, obj, ADM_NAME_SUBDOMAIN);
	json_array_foreach(json_object_get(obj, "subsets"), i, ss) {
		const json_t *ports = json_object_get(ss, "ports");
		static const char *const lists[] = {"addresses", "notReadyAddresses"};
		size_t l;

		for (l = 0; l < 2; l++)
			json_array_foreach(json_object_get(ss, lists[l]), j, a) {
				adm_fmt(f, sizeof(f), "subsets[%zu].%s[%zu].ip", i, lists[l], j);
				if (!adm_valid_ip(adm_str(a, "ip")))
					adm_invalid_str(q, f, adm_str(a, "ip"),
							"must be a valid IP address, (e.g. 10.9.8.7 or "
							"2001:db8::ffff)");
			}
		json_array_foreach(ports, j, p) {
			const char *name = adm_str(p, "name"), *proto = adm_str(p, "protocol");
			long long port = adm_int(p, "port");

			adm_fmt(f, sizeof(f), "subsets[%zu].ports[%zu].name", i, j);
			if (json_array_size(ports) > 1 && !*name)
				adm_required(q, f, NULL);
			else if (*name && adm_dns1123_label(name, &m))
				adm_invalid_msgs(q, f, name, &m);
			adm_fmt(f, sizeof(f), "subsets[%zu].ports[%zu].port", i, j);
			if (port < 1 || port > 65535)
				adm_invalid_int(q, f, port, "must be between 1 and 65535, inclusive");
			adm_fmt(f, sizeof(f), "subsets[%zu].ports[%zu].protocol", i, j);
			if (!valid_protocol(proto))
				adm_unsupported(q, f, proto, protocols);
		}
	}
	return 0;
}

int adm_endpointslice(struct adm_req *q, json_t *obj)
{
	static const char *const types[] = {"FQDN", "IPv4", "IPv6", NULL};
	const char *at = adm_str(obj, "addressType");
	json_t *p, *e;
	size_t i;
	char f[128];

	json_array_foreach(json_object_get(obj, "ports"), i, p) {
		if (!json_is_object(p))
			continue;
		if (!json_is_string(json_object_get(p, "name")))
			json_object_set_new(p, "name", json_string(""));
		adm_default_str(p, "protocol", "TCP");
	}
	adm_validate_meta(q, obj, ADM_NAME_SUBDOMAIN);
	if (!*at)
		adm_required(q, "addressType", NULL);
	else if (strcmp(at, "IPv4") && strcmp(at, "IPv6") && strcmp(at, "FQDN"))
		adm_unsupported(q, "addressType", at, types);
	json_array_foreach(json_object_get(obj, "endpoints"), i, e) {
		size_t n = json_array_size(json_object_get(e, "addresses"));

		adm_fmt(f, sizeof(f), "endpoints[%zu].addresses", i);
		if (n == 0)
			adm_required(q, f, "must contain at least 1 address");
	}
	json_array_foreach(json_object_get(obj, "ports"), i, p) {
		const char *proto = adm_str(p, "protocol");
		const json_t *port = json_object_get(p, "port");

		adm_fmt(f, sizeof(f), "ports[%zu].protocol", i);
		if (!valid_protocol(proto))
			adm_unsupported(q, f, proto, protocols);
		adm_fmt(f, sizeof(f), "ports[%zu].port", i);
		if (port && !json_is_null(port) &&
		    (json_integer_value(port) < 1 || json_integer_value(port) > 65535))
			adm_invalid_int(q, f, json_integer_value(port),
					"must be between 1 and 65535, inclusive");
	}
	return 0;
}

/* ---- Ingress and IngressClass ---- */

struct default_class {
	char name[256];
	char created[40];
};

static int find_default_class(void *arg, const json_t *obj)
{
	struct default_class *dc = arg;
	const char *def =
		json_string_value(json_object_get(k1s_json_path(obj, "metadata.annotations"),
						  "ingressclass.kubernetes.io/is-default-class"));
	const char *name = k1s_json_str(obj, "metadata.name");
	const char *ts = k1s_json_str(obj, "metadata.creationTimestamp");

	if (!def || strcmp(def, "true") != 0 || !name)
		return 0;
	/* The newest default wins, as the DefaultIngressClass plugin picks. */
	if (!*dc->name || strcmp(ts ?: "", dc->created) > 0) {
		snprintf(dc->name, sizeof(dc->name), "%s", name);
		snprintf(dc->created, sizeof(dc->created), "%s", ts ?: "");
	}
	return 0;
}

static void validate_backend(struct adm_req *q, const json_t *be, const char *path)
{
	const json_t *svc = json_object_get(be, "service");
	const json_t *res = json_object_get(be, "resource");
	struct adm_msgs m;
	char f[256];

	if (svc && res) {
		adm_invalid_str(q, path, "", "cannot set both resource and service backends");
		return;
	}
	if (res) {
		adm_fmt(f, sizeof(f), "%s.resource.kind", path);
		if (!*adm_str(res, "kind"))
			adm_required(q, f, NULL);
		adm_fmt(f, sizeof(f), "%s.resource.name", path);
		if (!*adm_str(res, "name"))
			adm_required(q, f, NULL);
		return;
	}
	if (!svc) {
		adm_invalid_str(q, path, "", "resource or service backend is required");
		return;
	}
	adm_fmt(f, sizeof(f), "%s.service.name", path);
	if (!*adm_str(svc, "name")) {
		adm_required(q, f, NULL);
	} else {
		adm_dns1035_label(adm_str(svc, "name"), &m);
		adm_invalid_msgs(q, f, adm_str(svc, "name"), &m);
	}
	{
		const json_t *port = json_object_get(svc, "port");
		const char *pname = adm_str(port, "name");
		long long num = adm_int(port, "number");

		if (*pname && num) {
			adm_invalid_str(q, path, "", "cannot set both port name & port number");
		} else if (*pname) {
			adm_fmt(f, sizeof(f), "%s.service.port.name", path);
			adm_port_name(pname, &m);
			adm_invalid_msgs(q, f, pname, &m);
		} else if (num) {
			adm_fmt(f, sizeof(f), "%s.service.port.number", path);
			if (num < 1 || num > 65535)
				adm_invalid_int(q, f, num, "must be between 1 and 65535, inclusive");
		} else {
			adm_required(q, path, "port name or number is required");
		}
	}
}

static void validate_host(struct adm_req *q, const char *host, const char *field)
{
	struct adm_msgs m;

	if (strchr(host, '*')) {
		/* A wildcard is allowed as the first label only. */
		if (strncmp(host, "*.", 2) != 0 || adm_dns1123_subdomain(host + 2, &m) ||
		    strlen(host) > 253)
			adm_invalid_str(q, field, host,
					"a wildcard DNS-1123 subdomain must start with '*.', followed "
					"by a valid DNS subdomain, which must consist of lower case "
					"alphanumeric characters, '-' or '.' and end with an "
					"alphanumeric character (e.g. '*.example.com', regex used for "
					"validation is "
					"'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-"
					"z0-9])?)*')");
		return;
	}
	adm_dns1123_subdomain(host, &m);
	adm_invalid_msgs(q, field, host, &m);
}

static void validate_path(struct adm_req *q, const json_t *p, const char *base)
{
	static const char *const types[] = {"Exact", "ImplementationSpecific", "Prefix", NULL};
	static const char *const seqs[] = {"//", "/./", "/../", "%2f", "%2F", NULL};
	static const char *const sufs[] = {"/..", "/.", NULL};
	const json_t *pt = json_object_get(p, "pathType");
	const char *path = adm_str(p, "path");
	const char *type = json_string_value(pt);
	char f[256], d[64];
	size_t i, n = strlen(path);

	adm_fmt(f, sizeof(f), "%s.path", base);
	if (!type) {
		adm_fmt(f, sizeof(f), "%s.pathType", base);
		adm_required(q, f, "pathType must be specified");
	} else if (!strcmp(type, "Exact") || !strcmp(type, "Prefix")) {
		if (path[0] != '/')
			adm_invalid_str(q, f, path, "must be an absolute path");
		for (i = 0; n && seqs[i]; i++)
			if (strstr(path, seqs[i])) {
				adm_fmt(d, sizeof(d), "must not contain '%s'", seqs[i]);
				adm_invalid_str(q, f, path, d);
			}
		for (i = 0; n && sufs[i]; i++)
			if (n >= strlen(sufs[i]) && !strcmp(path + n - strlen(sufs[i]), sufs[i])) {
				adm_fmt(d, sizeof(d), "cannot end with '%s'", sufs[i]);
				adm_invalid_str(q, f, path, d);
			}
	} else if (!strcmp(type, "ImplementationSpecific")) {
		if (n && path[0] != '/')
			adm_invalid_str(q, f, path, "must be an absolute path");
	} else {
		adm_fmt(f, sizeof(f), "%s.pathType", base);
		adm_unsupported(q, f, type, types);
	}
	adm_fmt(f, sizeof(f), "%s.backend", base);
	validate_backend(q, json_object_get(p, "backend"), f);
}

static void validate_ingress(struct adm_req *q, const json_t *obj, const json_t *spec)
{
	const json_t *rules = json_object_get(spec, "rules");
	const json_t *cls = json_object_get(spec, "ingressClassName");
	const char *ann = json_string_value(json_object_get(
		k1s_json_path(obj, "metadata.annotations"), "kubernetes.io/ingress.class"));
	struct adm_msgs m;
	char f[256];
	json_t *r, *p, *t, *h;
	size_t i, j;

	adm_validate_meta(q, obj, ADM_NAME_SUBDOMAIN);
	if (!json_array_size(rules) && !json_object_get(spec, "defaultBackend"))
		adm_invalid_raw(q, "spec", "[]networking.IngressRule(nil)",
				"either `defaultBackend` or `rules` must be specified");
	if (json_object_get(spec, "defaultBackend"))
		validate_backend(q, json_object_get(spec, "defaultBackend"), "spec.defaultBackend");
	json_array_foreach(rules, i, r) {
		const char *host = adm_str(r, "host");
		const json_t *http = json_object_get(r, "http");

		adm_fmt(f, sizeof(f), "spec.rules[%zu].host", i);
		if (*host) {
			if (adm_valid_ip(host))
				adm_invalid_str(q, f, host, "must be a DNS name, not an IP address");
			validate_host(q, host, f);
		}
		if (json_is_object(http)) {
			adm_fmt(f, sizeof(f), "spec.rules[%zu].http.paths", i);
			if (!json_array_size(json_object_get(http, "paths")))
				adm_required(q, f, NULL);
			json_array_foreach(json_object_get(http, "paths"), j, p) {
				adm_fmt(f, sizeof(f), "spec.rules[%zu].http.paths[%zu]", i, j);
				validate_path(q, p, f);
			}
		}
	}
	json_array_foreach(json_object_get(spec, "tls"), i, t) {
		const char *sn = adm_str(t, "secretName");

		json_array_foreach(json_object_get(t, "hosts"), j, h) {
			adm_fmt(f, sizeof(f), "spec.tls[%zu].hosts[%zu]", i, j);
			validate_host(q, json_string_value(h) ?: "", f);
		}
		if (*sn) {
			adm_fmt(f, sizeof(f), "spec.tls[%zu].secretName", i);
			adm_dns1123_subdomain(sn, &m);
			adm_invalid_msgs(q, f, sn, &m);
		}
	}
	if (json_is_string(cls)) {
		adm_dns1123_subdomain(json_string_value(cls), &m);
		adm_invalid_msgs(q, "spec.ingressClassName", json_string_value(cls), &m);
		if (ann && strcmp(ann, json_string_value(cls)) != 0)
			adm_invalid_str(q, "annotations.kubernetes.io/ingress.class", ann,
					"must match `ingressClassName` when both are specified");
	}
}

int adm_ingress(struct adm_req *q, json_t *obj)
{
	json_t *spec = k1s_json_obj(obj, "spec");
	const char *ann = json_string_value(json_object_get(
		k1s_json_path(obj, "metadata.annotations"), "kubernetes.io/ingress.class"));

	if (!spec) {
		adm_required(q, "spec", NULL);
		return 0;
	}
	if (q->old) {
		adm_keep_status(q->old, obj);
	} else {
		json_object_set_new(obj, "status", json_pack("{s:{}}", "loadBalancer"));
		/* The DefaultIngressClass admission plugin. */
		if (!json_is_string(json_object_get(spec, "ingressClassName")) && !ann &&
		    q->adm->st) {
			struct default_class dc = {{0}};
			int64_t rev;

			if (st_list(q->adm->st, "ingressclasses.networking.k8s.io", NULL, NULL, NULL,
				    0, find_default_class, &dc, &rev) == 0 &&
			    *dc.name)
				json_object_set_new(spec, "ingressClassName", json_string(dc.name));
		}
	}
	validate_ingress(q, obj, spec);
	return 0;
}

int adm_ingressclass(struct adm_req *q, json_t *obj)
{
	const char *ctl = k1s_json_str(obj, "spec.controller");
	const char *slash;

	adm_validate_meta(q, obj, ADM_NAME_SUBDOMAIN);
	if (!ctl || !*ctl) {
		adm_required(q, "spec.controller", NULL);
	} else if (strlen(ctl) > 250) {
		json_array_append_new(q->causes,
				      json_pack("{s:s,s:s,s:s}", "reason", "FieldValueTooLong",
						"message", "Too long: may not be more than 250 bytes",
						"field", "spec.controller"));
	} else if (!(slash = strchr(ctl, '/')) || slash == ctl || !slash[1]) {
		adm_invalid_str(q, "spec.controller", ctl,
				"must be a domain-prefixed path (such as \"acme.io/foo\")");
	} else {
		char host[256];
		struct adm_msgs m;
		size_t n = (size_t)(slash - ctl);

		snprintf(host, sizeof(host), "%.*s", (int)n, ctl);
		adm_dns1123_subdomain(host, &m);
		adm_invalid_msgs(q, "spec.controller", host, &m);
	}
	if (q->old && ctl && strcmp(ctl, k1s_json_str(q->old, "spec.controller") ?: "") != 0)
		adm_invalid_str(q, "spec.controller", ctl, "field is immutable");
	return 0;
}
