/* Services: defaults (pkg/apis/core/v1/defaults.go), the update fix-ups
 * and allocation of the REST storage (pkg/registry/core/service/storage:
 * dropTypeDependentFields, patchAllocatedValues, normalizeClusterIPs,
 * initIPFamilyFields, alloc.go) and ValidateService. k1s serves IPv4
 * only, so the cluster is single-stack. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_admit_int.h"
#include "ctrl_alloc.h"
#include "k1s_log.h"
#include "st.h"

#define MAX_PORTS 256

static bool type_is(const json_t *spec, const char *t)
{
	return strcmp(adm_str(spec, "type"), t) == 0;
}

static bool needs_cluster_ip(const json_t *spec)
{
	return !type_is(spec, "ExternalName");
}

static bool needs_node_port(const json_t *spec)
{
	return type_is(spec, "NodePort") || type_is(spec, "LoadBalancer");
}

static bool needs_health_check(const json_t *spec)
{
	return type_is(spec, "LoadBalancer") &&
	       strcmp(adm_str(spec, "externalTrafficPolicy"), "Local") == 0;
}

static bool externally_accessible(const json_t *spec)
{
	return needs_node_port(spec) ||
	       (type_is(spec, "ClusterIP") && json_array_size(json_object_get(spec, "externalIPs")));
}

static bool headless(const json_t *spec)
{
	const json_t *ips = json_object_get(spec, "clusterIPs");

	return json_array_size(ips) == 1 &&
	       strcmp(json_string_value(json_array_get(ips, 0)) ?: "", "None") == 0;
}

static bool should_alloc_node_ports(const json_t *spec)
{
	if (type_is(spec, "NodePort"))
		return true;
	return type_is(spec, "LoadBalancer") &&
	       !json_is_false(json_object_get(spec, "allocateLoadBalancerNodePorts"));
}

static json_t *ports_of(const json_t *spec)
{
	json_t *p = json_object_get(spec, "ports");

	return json_is_array(p) ? p : NULL;
}

/* Empty in Go's sense: absent, null, "", [] or {}. */
static bool empty(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
	       (json_is_array(v) && !json_array_size(v)) ||
	       (json_is_object(v) && !json_object_size(v));
}

static bool same(const json_t *a, const json_t *b, const char *key)
{
	const json_t *x = json_object_get(a, key), *y = json_object_get(b, key);

	if (empty(x) || empty(y))
		return empty(x) && empty(y);
	return json_equal((json_t *)x, (json_t *)y);
}

/* The non-zero nodePorts of a spec, with the health-check port if any. */
static size_t node_ports(const json_t *spec, unsigned *out, size_t max, bool with_hc)
{
	json_t *p;
	size_t i, n = 0;

	json_array_foreach(ports_of(spec), i, p) {
		long long np = adm_int(p, "nodePort");

		if (np > 0 && np <= 65535 && n < max)
			out[n++] = (unsigned)np;
	}
	if (with_hc && adm_int(spec, "healthCheckNodePort") > 0 && n < max)
		out[n++] = (unsigned)adm_int(spec, "healthCheckNodePort");
	return n;
}

static bool has_port(const unsigned *set, size_t n, unsigned port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == port)
			return true;
	return false;
}

/* ---- defaults ---- */

static void svc_defaults(json_t *spec)
{
	json_t *p;
	size_t i;

	adm_default_str(spec, "type", "ClusterIP");
	adm_default_str(spec, "sessionAffinity", "None");
	if (strcmp(adm_str(spec, "sessionAffinity"), "None") == 0) {
		json_object_del(spec, "sessionAffinityConfig");
	} else if (strcmp(adm_str(spec, "sessionAffinity"), "ClientIP") == 0) {
		json_t *t = k1s_json_path(spec, "sessionAffinityConfig.clientIP.timeoutSeconds");

		if (!t || json_is_null(t))
			json_object_set_new(spec, "sessionAffinityConfig",
					    json_pack("{s:{s:i}}", "clientIP", "timeoutSeconds",
						      10800));
	}
	json_array_foreach(ports_of(spec), i, p) {
		json_t *tp;

		if (!json_is_object(p))
			continue;
		adm_default_str(p, "protocol", "TCP");
		tp = json_object_get(p, "targetPort");
		if (!tp || json_is_null(tp) || (json_is_integer(tp) && !json_integer_value(tp)) ||
		    (json_is_string(tp) && !*json_string_value(tp)))
			json_object_set_new(p, "targetPort", json_integer(adm_int(p, "port")));
	}
	if (externally_accessible(spec))
		adm_default_str(spec, "externalTrafficPolicy", "Cluster");
	if (!json_object_get(spec, "internalTrafficPolicy") &&
	    (type_is(spec, "ClusterIP") || needs_node_port(spec)))
		json_object_set_new(spec, "internalTrafficPolicy", json_string("Cluster"));
	if (type_is(spec, "LoadBalancer"))
		adm_default_bool(spec, "allocateLoadBalancerNodePorts", true);
}

/* ---- update fix-ups ---- */

/* Wipes what the new type no longer uses, when the user left it as it
 * was (a changed value is the user's and goes to validation). */
static void drop_type_dependent(const json_t *old, json_t *spec)
{
	if (needs_cluster_ip(old) && !needs_cluster_ip(spec)) {
		if (same(old, spec, "clusterIP") && same(old, spec, "clusterIPs")) {
			json_object_del(spec, "clusterIP");
			json_object_del(spec, "clusterIPs");
		}
		if (same(old, spec, "ipFamilies"))
			json_object_del(spec, "ipFamilies");
		if (same(old, spec, "ipFamilyPolicy"))
			json_object_del(spec, "ipFamilyPolicy");
	}
	if (needs_node_port(old) && !needs_node_port(spec)) {
		unsigned o[MAX_PORTS], n[MAX_PORTS];
		size_t no = node_ports(old, o, MAX_PORTS, false);
		size_t nn = node_ports(spec, n, MAX_PORTS, false), i;
		bool subset = true;
		json_t *p;

		for (i = 0; i < nn; i++)
			if (!has_port(o, no, n[i]))
				subset = false;
		if (subset)
			json_array_foreach(ports_of(spec), i, p)
				json_object_del(p, "nodePort");
		if (same(old, spec, "externalTrafficPolicy"))
			json_object_del(spec, "externalTrafficPolicy");
	}
	if (type_is(old, "LoadBalancer") && !type_is(spec, "LoadBalancer")) {
		const json_t *a = json_object_get(old, "allocateLoadBalancerNodePorts");
		const json_t *b = json_object_get(spec, "allocateLoadBalancerNodePorts");

		if (json_is_boolean(a) && json_is_boolean(b) && json_equal((json_t *)a, (json_t *)b))
			json_object_del(spec, "allocateLoadBalancerNodePorts");
	}
	if (needs_health_check(old) && !needs_health_check(spec) &&
	    adm_int(old, "healthCheckNodePort") == adm_int(spec, "healthCheckNodePort"))
		json_object_del(spec, "healthCheckNodePort");
}

/* Carries allocated values over when the new object omits them, so that
 * `kubectl replace` of a manifest without them keeps them. */
static void patch_allocated(const json_t *old, json_t *spec)
{
	if (needs_cluster_ip(old) && needs_cluster_ip(spec)) {
		if (!*adm_str(spec, "clusterIP") && json_object_get(old, "clusterIP"))
			json_object_set_new(spec, "clusterIP",
					    json_deep_copy(json_object_get(old, "clusterIP")));
		if (empty(json_object_get(spec, "clusterIPs")) &&
		    json_array_size(json_object_get(old, "clusterIPs")))
			json_object_set_new(spec, "clusterIPs",
					    json_deep_copy(json_object_get(old, "clusterIPs")));
	}
	if (needs_node_port(old) && needs_node_port(spec)) {
		unsigned o[MAX_PORTS], n[MAX_PORTS];
		size_t no = node_ports(old, o, MAX_PORTS, false);
		size_t nn = node_ports(spec, n, MAX_PORTS, false), i, j;
		json_t *p, *op;

		/* Ports are matched by name; a value the new object already
		 * uses elsewhere is not patched in twice. */
		json_array_foreach(ports_of(spec), i, p) {
			if (adm_int(p, "nodePort"))
				continue;
			json_array_foreach(ports_of(old), j, op) {
				unsigned v = (unsigned)adm_int(op, "nodePort");

				if (strcmp(adm_str(op, "name"), adm_str(p, "name")) != 0)
					continue;
				if (v && !(has_port(o, no, v) && has_port(n, nn, v)))
					json_object_set_new(p, "nodePort", json_integer(v));
				break;
			}
		}
	}
	if (needs_health_check(old) && needs_health_check(spec) &&
	    !adm_int(spec, "healthCheckNodePort") && adm_int(old, "healthCheckNodePort"))
		json_object_set_new(spec, "healthCheckNodePort",
				    json_integer(adm_int(old, "healthCheckNodePort")));
}

/* Keeps clusterIP and clusterIPs in step for clients that set only one. */
static void normalize_cluster_ips(const json_t *old, json_t *spec)
{
	const char *ip = adm_str(spec, "clusterIP");

	if (!old) {
		if (*ip && empty(json_object_get(spec, "clusterIPs")))
			json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
		return;
	}
	if (json_array_size(json_object_get(old, "clusterIPs")) &&
	    empty(json_object_get(spec, "clusterIPs")) && same(old, spec, "clusterIP"))
		json_object_set_new(spec, "clusterIPs",
				    json_deep_copy(json_object_get(old, "clusterIPs")));
	if (!same(old, spec, "clusterIP")) {
		if (*adm_str(old, "clusterIP") && !*ip && same(old, spec, "clusterIPs"))
			json_object_del(spec, "clusterIPs");
		if (*ip && same(old, spec, "clusterIPs"))
			json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
	}
}

/* ---- IP families ---- */

static void invalid_ips(struct adm_req *q, const char *field, const json_t *spec,
			const char *detail)
{
	struct adm_buf b = {0};

	adm_buf_strslice(&b, json_object_get(spec, "clusterIPs"));
	adm_invalid_raw(q, field, b.p, detail);
	adm_buf_free(&b);
}

/* ValidateServiceClusterIPsRelatedFields. */
static void validate_cluster_ips(struct adm_req *q, const json_t *spec)
{
	static const char *const families[] = {"IPv4", "IPv6", NULL};
	static const char *const policies[] = {"PreferDualStack", "RequireDualStack",
					       "SingleStack", NULL};
	const json_t *ips = json_object_get(spec, "clusterIPs");
	const json_t *fams = json_object_get(spec, "ipFamilies");
	const json_t *pol = json_object_get(spec, "ipFamilyPolicy");
	bool bad_ips = false;
	char f[64];
	json_t *v;
	size_t i, j;

	if (!needs_cluster_ip(spec))
		return;
	if (*adm_str(spec, "clusterIP")) {
		if (empty(ips))
			adm_required(q, "spec.clusterIPs", NULL);
		else if (strcmp(json_string_value(json_array_get(ips, 0)) ?: "",
				adm_str(spec, "clusterIP")) != 0)
			invalid_ips(q, "spec.clusterIPs", spec, "first value must match `clusterIP`");
	} else if (!empty(ips)) {
		invalid_ips(q, "spec.clusterIPs", spec,
			    "must be empty when `clusterIP` is not specified");
	}
	json_array_foreach(fams, i, v) {
		const char *fam = json_string_value(v) ?: "";

		adm_fmt(f, sizeof(f), "spec.ipFamilies[%zu]", i);
		if (strcmp(fam, "IPv4") != 0 && strcmp(fam, "IPv6") != 0)
			adm_unsupported(q, f, fam, families);
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(fams, j)) ?: "", fam) == 0) {
				adm_duplicate_str(q, f, fam);
				break;
			}
	}
	if (json_is_string(pol) && strcmp(json_string_value(pol), "SingleStack") != 0 &&
	    strcmp(json_string_value(pol), "PreferDualStack") != 0 &&
	    strcmp(json_string_value(pol), "RequireDualStack") != 0)
		adm_unsupported(q, "spec.ipFamilyPolicy", json_string_value(pol), policies);
	json_array_foreach(ips, i, v) {
		const char *ip = json_string_value(v) ?: "";

		if (i == 0 && strcmp(ip, "None") == 0) {
			if (json_array_size(ips) > 1) {
				bad_ips = true;
				invalid_ips(q, "spec.clusterIPs", spec,
					    "'None' must be the first and only value");
			}
			continue;
		}
		if (!adm_valid_ip(ip)) {
			bad_ips = true;
			adm_fmt(f, sizeof(f), "spec.clusterIPs[%zu]", i);
			adm_invalid_str(q, f, ip,
					"must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
		}
	}
	if (json_array_size(ips) > 2)
		invalid_ips(q, "spec.clusterIPs", spec, "may only hold up to 2 values");
	if (bad_ips)
		return;
	if (json_array_size(ips) == 2 &&
	    adm_valid_ipv4(json_string_value(json_array_get(ips, 0))) ==
		    adm_valid_ipv4(json_string_value(json_array_get(ips, 1))))
		invalid_ips(q, "spec.clusterIPs", spec,
			    "may specify no more than one IP for each IP family");
	if (!headless(spec)) {
		json_array_foreach(ips, i, v) {
			const char *fam = json_string_value(json_array_get(fams, i));
			bool v4 = adm_valid_ipv4(json_string_value(v));

			if (!fam)
				break;
			adm_fmt(f, sizeof(f), "spec.clusterIPs[%zu]", i);
			if (strcmp(fam, "IPv4") == 0 && !v4) {
				char d[64];

				adm_fmt(d, sizeof(d),
					 "expected an IPv4 value as indicated by `ipFamilies[%zu]`", i);
				adm_invalid_str(q, f, json_string_value(v), d);
			}
			if (strcmp(fam, "IPv6") == 0 && v4) {
				char d[64];

				adm_fmt(d, sizeof(d),
					 "expected an IPv6 value as indicated by `ipFamilies[%zu]`", i);
				adm_invalid_str(q, f, json_string_value(v), d);
			}
		}
	}
}

/* initIPFamilyFields: ipFamilyPolicy and ipFamilies, for a cluster that
 * has IPv4 only. Errors end the request. */
static void init_ip_families(struct adm_req *q, const json_t *old, json_t *spec)
{
	const json_t *sel = json_object_get(spec, "selector");
	json_t *ips, *fams, *v;
	const char *pol;
	char f[64];
	size_t i;

	if (!needs_cluster_ip(spec))
		return;
	if (empty(json_object_get(spec, "ipFamilyPolicy"))) {
		const json_t *op = json_object_get(old, "ipFamilyPolicy");

		if (json_is_string(op))
			json_object_set_new(spec, "ipFamilyPolicy", json_deep_copy(op));
		else if (strcmp(adm_str(spec, "clusterIP"), "None") == 0 && empty(sel))
			json_object_set_new(spec, "ipFamilyPolicy", json_string("RequireDualStack"));
		else
			json_object_set_new(spec, "ipFamilyPolicy", json_string("SingleStack"));
	}
	validate_cluster_ips(q, spec);
	adm_fail_causes(q);
	if (q->status)
		return;

	pol = adm_str(spec, "ipFamilyPolicy");
	ips = json_object_get(spec, "clusterIPs");
	fams = json_object_get(spec, "ipFamilies");
	if (!json_is_array(fams)) {
		fams = json_array();
		json_object_set_new(spec, "ipFamilies", fams);
	}
	if (strcmp(pol, "SingleStack") == 0) {
		if (json_array_size(ips) == 2)
			adm_invalid_str(q, "spec.ipFamilyPolicy", pol,
					"must be 'RequireDualStack' or 'PreferDualStack' when "
					"multiple cluster IPs are specified");
		if (json_array_size(fams) == 2)
			adm_invalid_str(q, "spec.ipFamilyPolicy", pol,
					"must be 'RequireDualStack' or 'PreferDualStack' when "
					"multiple IP families are specified");
	}
	json_array_foreach(ips, i, v) {
		const char *ip = json_string_value(v) ?: "";

		if (strcmp(ip, "None") == 0)
			break;
		if (i < json_array_size(fams))
			continue;
		if (!adm_valid_ipv4(ip)) {
			adm_fmt(f, sizeof(f), "spec.clusterIPs[%zu]", i);
			invalid_ips(q, f, spec, "IPv6 is not configured on this cluster");
		} else {
			json_array_append_new(fams, json_string("IPv4"));
		}
	}
	adm_fail_causes(q);
	if (q->status)
		return;

	if (strcmp(adm_str(spec, "clusterIP"), "None") == 0 && empty(sel)) {
		/* Headless without a selector may name both families even on
		 * a single-stack cluster: its endpoints are what they are. */
		if (json_array_size(fams) == 0)
			json_array_append_new(fams, json_string("IPv4"));
		if (json_array_size(fams) < 2 && strcmp(pol, "SingleStack") != 0)
			json_array_append_new(fams,
					      json_string(strcmp(json_string_value(json_array_get(
									 fams, 0)) ?: "",
								 "IPv4") == 0
								  ? "IPv6"
								  : "IPv4"));
		return;
	}
	if (strcmp(pol, "RequireDualStack") == 0)
		adm_invalid_str(q, "spec.ipFamilyPolicy", pol,
				"this cluster is not configured for dual-stack services");
	json_array_foreach(fams, i, v) {
		if (strcmp(json_string_value(v) ?: "", "IPv4") != 0) {
			adm_fmt(f, sizeof(f), "spec.ipFamilies[%zu]", i);
			adm_invalid_str(q, f, json_string_value(v) ?: "",
					"not configured on this cluster");
		}
	}
	adm_fail_causes(q);
	if (q->status)
		return;
	if (json_array_size(fams) == 0)
		json_array_append_new(fams, json_string("IPv4"));
}

/* ---- allocation ---- */

static void alloc_cluster_ips(struct adm_req *q, json_t *spec)
{
	struct ctrl_ipalloc *ips = q->adm->ips;
	json_t *arr = json_object_get(spec, "clusterIPs");
	const char *ip = json_string_value(json_array_get(arr, 0));
	char buf[64], detail[256];

	if (!needs_cluster_ip(spec) || headless(spec))
		return;
	if (!ip || !*ip) {
		if (ctrl_ipalloc_pick(ips, buf, sizeof(buf)) < 0) {
			adm_fail_internal(q, "failed to allocate a serviceIP: range is full");
			return;
		}
		json_object_set_new(spec, "clusterIPs", json_pack("[s]", buf));
		json_object_set_new(spec, "clusterIP", json_string(buf));
		return;
	}
	if (!ctrl_ipalloc_contains(ips, ip))
		adm_fmt(detail, sizeof(detail),
			 "failed to allocate IP %s: the provided IP (%s) is not in the valid "
			 "range. The range of valid IPs is %s",
			 ip, ip, ctrl_ipalloc_cidr(ips));
	else if (ctrl_ipalloc_taken(ips, ip))
		adm_fmt(detail, sizeof(detail),
			 "failed to allocate IP %s: provided IP is already allocated", ip);
	else
		return;
	invalid_ips(q, "spec.clusterIPs", spec, detail);
	adm_fail_causes(q);
}

/* The node ports of one request: what it has claimed so far, so that two
 * ports of one Service never get the same number. */
struct np_op {
	struct adm_req *q;
	unsigned claimed[MAX_PORTS];
	size_t n;
};

static void np_claim(struct np_op *op, unsigned port)
{
	if (op->n < MAX_PORTS)
		op->claimed[op->n++] = port;
}

/* portallocator.Allocate: 0, or the error's text in err. */
static int np_allocate(struct np_op *op, long long port, char *err, size_t len)
{
	struct ctrl_portalloc *pa = op->q->adm->ports;

	if (port < 1 || port > 65535 || !ctrl_portalloc_contains(pa, (unsigned)port)) {
		snprintf(err, len,
			 "provided port is not in the valid range. The range of valid ports is %s",
			 op->q->adm->port_range);
		return -EINVAL;
	}
	if (ctrl_portalloc_taken(pa, (unsigned)port) || has_port(op->claimed, op->n, (unsigned)port)) {
		snprintf(err, len, "provided port is already allocated");
		return -EEXIST;
	}
	np_claim(op, (unsigned)port);
	return 0;
}

static int np_next(struct np_op *op, unsigned *port)
{
	if (ctrl_portalloc_pick(op->q->adm->ports, op->claimed, op->n, port) < 0) {
		adm_fail_internal(op->q, "failed to allocate a nodePort: range is full");
		return -ENOSPC;
	}
	np_claim(op, *port);
	return 0;
}

static void np_fail(struct np_op *op, size_t i, long long port, const char *err)
{
	char f[64];

	adm_fmt(f, sizeof(f), "spec.ports[%zu].nodePort", i);
	json_array_clear(op->q->causes);
	adm_invalid_int(op->q, f, port, err);
	adm_fail_causes(op->q);
}

/* initNodePorts: ports with the same number (different protocols) share
 * one node port. */
static void alloc_node_ports_create(struct np_op *op, json_t *spec)
{
	long long by_port_num[MAX_PORTS], by_port_np[MAX_PORTS];
	size_t nmap = 0, i, j, k;
	json_t *p, *p2;
	char err[160];

	json_array_foreach(ports_of(spec), i, p) {
		long long np = adm_int(p, "nodePort"), num = adm_int(p, "port"), have = 0;

		if (!np && !should_alloc_node_ports(spec))
			continue;
		for (k = 0; k < nmap; k++)
			if (by_port_num[k] == num)
				have = by_port_np[k];
		if (!have) {
			long long req = 0;

			json_array_foreach(ports_of(spec), j, p2)
				if (adm_int(p2, "port") == num && adm_int(p2, "nodePort")) {
					req = adm_int(p2, "nodePort");
					break;
				}
			if (req) {
				if (np_allocate(op, req, err, sizeof(err)) < 0) {
					np_fail(op, i, req, err);
					return;
				}
			} else {
				unsigned got;

				if (np_next(op, &got) < 0)
					return;
				req = got;
			}
			json_object_set_new(p, "nodePort", json_integer(req));
			if (nmap < MAX_PORTS) {
				by_port_num[nmap] = num;
				by_port_np[nmap++] = req;
			}
		} else if (np != have) {
			if (!np) {
				json_object_set_new(p, "nodePort", json_integer(have));
			} else if (np_allocate(op, np, err, sizeof(err)) < 0) {
				np_fail(op, i, np, err);
				return;
			}
		}
	}
}

/* updateNodePorts: ports the old object holds stay its own. */
static void alloc_node_ports_update(struct np_op *op, const json_t *old, json_t *spec)
{
	unsigned held[MAX_PORTS];
	size_t nheld = node_ports(old, held, MAX_PORTS, false), i;
	json_t *p;
	char err[160];

	json_array_foreach(ports_of(spec), i, p) {
		long long np = adm_int(p, "nodePort");

		if (!np && !should_alloc_node_ports(spec))
			continue;
		if (np) {
			if (np > 0 && np <= 65535 &&
			    (has_port(held, nheld, (unsigned)np) ||
			     has_port(op->claimed, op->n, (unsigned)np)))
				continue;
			if (np_allocate(op, np, err, sizeof(err)) < 0) {
				np_fail(op, i, np, err);
				return;
			}
		} else {
			unsigned got;

			if (np_next(op, &got) < 0)
				return;
			json_object_set_new(p, "nodePort", json_integer(got));
		}
	}
}

static void alloc_health_check(struct np_op *op, json_t *spec)
{
	long long hc = adm_int(spec, "healthCheckNodePort");
	char err[160], msg[256];
	unsigned got;

	if (hc) {
		if (np_allocate(op, hc, err, sizeof(err)) < 0) {
			adm_fmt(msg, sizeof(msg),
				 "failed to allocate requested HealthCheck NodePort %lld: %s", hc, err);
			adm_fail_internal(op->q, msg);
		}
		return;
	}
	if (ctrl_portalloc_pick(op->q->adm->ports, op->claimed, op->n, &got) < 0) {
		adm_fail_internal(op->q, "failed to allocate a HealthCheck NodePort 0: range is full");
		return;
	}
	np_claim(op, got);
	json_object_set_new(spec, "healthCheckNodePort", json_integer(got));
}

static void svc_allocate(struct adm_req *q, const json_t *old, json_t *spec)
{
	struct np_op op = {.q = q};

	if (!old || !needs_cluster_ip(old))
		alloc_cluster_ips(q, spec);
	if (q->status)
		return;
	if (needs_node_port(spec)) {
		if (old)
			alloc_node_ports_update(&op, old, spec);
		else
			alloc_node_ports_create(&op, spec);
	}
	if (q->status)
		return;
	if (needs_health_check(spec) && (!old || !needs_health_check(old)))
		alloc_health_check(&op, spec);
}

/* ---- validation ---- */

static void validate_port(struct adm_req *q, const json_t *p, size_t i, bool require_name,
			  const json_t *ports)
{
	static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
	const char *name = adm_str(p, "name");
	const char *proto = adm_str(p, "protocol");
	long long port = adm_int(p, "port");
	struct adm_msgs m;
	char f[64];
	size_t j;

	adm_fmt(f, sizeof(f), "spec.ports[%zu].name", i);
	if (require_name && !*name) {
		adm_required(q, f, NULL);
	} else if (*name) {
		adm_dns1123_label(name, &m);
		adm_invalid_msgs(q, f, name, &m);
		for (j = 0; j < i; j++)
			if (strcmp(adm_str(json_array_get(ports, j), "name"), name) == 0) {
				adm_duplicate_str(q, f, name);
				break;
			}
	}
	adm_fmt(f, sizeof(f), "spec.ports[%zu].port", i);
	if (port < 1 || port > 65535)
		adm_invalid_int(q, f, port, "must be between 1 and 65535, inclusive");
	adm_fmt(f, sizeof(f), "spec.ports[%zu].protocol", i);
	if (!*proto)
		adm_required(q, f, NULL);
	else if (strcmp(proto, "TCP") && strcmp(proto, "UDP") && strcmp(proto, "SCTP"))
		adm_unsupported(q, f, proto, protocols);
	adm_fmt(f, sizeof(f), "spec.ports[%zu].targetPort", i);
	adm_validate_port_num_or_name(q, json_object_get(p, "targetPort"), f);
}

static void validate_service(struct adm_req *q, const json_t *obj, const json_t *spec)
{
	static const char *const types[] = {"ClusterIP", "ExternalName", "LoadBalancer",
					    "NodePort", NULL};
	static const char *const affinities[] = {"ClientIP", "None", NULL};
	static const char *const traffic[] = {"Cluster", "Local", NULL};
	const json_t *ports = ports_of(spec);
	const char *type = adm_str(spec, "type");
	const char *aff = adm_str(spec, "sessionAffinity");
	const char *etp = adm_str(spec, "externalTrafficPolicy");
	const json_t *itp = json_object_get(spec, "internalTrafficPolicy");
	struct adm_msgs m;
	json_t *p, *v;
	char f[64];
	size_t i, j;

	adm_validate_meta(q, obj, ADM_NAME_1035);
	if (!json_array_size(ports) && !headless(spec) && strcmp(type, "ExternalName") != 0)
		adm_required(q, "spec.ports", NULL);
	if (headless(spec) && (!strcmp(type, "LoadBalancer") || !strcmp(type, "NodePort"))) {
		char d[64];

		adm_fmt(d, sizeof(d), "may not be set to 'None' for %s services", type);
		adm_invalid_str(q, "spec.clusterIPs[0]", "None", d);
	}
	if (strcmp(type, "ExternalName") == 0) {
		char cname[512];
		size_t n;

		if (json_array_size(json_object_get(spec, "clusterIPs")))
			adm_forbidden(q, "spec.clusterIPs", "may not be set for ExternalName services");
		if (json_array_size(json_object_get(spec, "ipFamilies")))
			adm_forbidden(q, "spec.ipFamilies", "may not be set for ExternalName services");
		if (!empty(json_object_get(spec, "ipFamilyPolicy")))
			adm_forbidden(q, "spec.ipFamilyPolicy",
				      "may not be set for ExternalName services");
		/* A trailing dot marks the name fully qualified. */
		snprintf(cname, sizeof(cname), "%s", adm_str(spec, "externalName"));
		n = strlen(cname);
		if (n && cname[n - 1] == '.')
			cname[n - 1] = '\0';
		if (*cname) {
			adm_dns1123_subdomain(cname, &m);
			adm_invalid_msgs(q, "spec.externalName", cname, &m);
		} else {
			adm_required(q, "spec.externalName", NULL);
		}
	}
	json_array_foreach(ports, i, p)
		validate_port(q, p, i, json_array_size(ports) > 1, ports);
	adm_validate_labels(q, json_object_get(spec, "selector"), "spec.selector");
	if (!*aff)
		adm_required(q, "spec.sessionAffinity", NULL);
	else if (strcmp(aff, "ClientIP") && strcmp(aff, "None"))
		adm_unsupported(q, "spec.sessionAffinity", aff, affinities);
	if (strcmp(aff, "ClientIP") == 0) {
		long long t = adm_int(k1s_json_path(spec, "sessionAffinityConfig.clientIP"),
				      "timeoutSeconds");

		if (t <= 0 || t > 86400)
			adm_invalid_int(q, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", t,
					"must be greater than 0 and less than 86400");
	} else if (strcmp(aff, "None") == 0 && json_object_get(spec, "sessionAffinityConfig")) {
		adm_forbidden(q, "spec.sessionAffinityConfig",
			      "must not be set when session affinity is None");
	}
	validate_cluster_ips(q, spec);
	json_array_foreach(json_object_get(spec, "externalIPs"), i, v) {
		adm_fmt(f, sizeof(f), "spec.externalIPs[%zu]", i);
		if (!adm_valid_ip(json_string_value(v)))
			adm_invalid_str(q, f, json_string_value(v) ?: "",
					"must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
	}
	if (!*type)
		adm_required(q, "spec.type", NULL);
	else if (strcmp(type, "ClusterIP") && strcmp(type, "NodePort") &&
		 strcmp(type, "LoadBalancer") && strcmp(type, "ExternalName"))
		adm_unsupported(q, "spec.type", type, types);
	if (strcmp(type, "ClusterIP") == 0)
		json_array_foreach(ports, i, p)
			if (adm_int(p, "nodePort")) {
				adm_fmt(f, sizeof(f), "spec.ports[%zu].nodePort", i);
				adm_forbidden(q, f, "may not be used when `type` is 'ClusterIP'");
			}
	json_array_foreach(ports, i, p) {
		long long np = adm_int(p, "nodePort");

		if (!np)
			continue;
		for (j = 0; j < i; j++) {
			const json_t *o = json_array_get(ports, j);

			if (adm_int(o, "nodePort") == np &&
			    strcmp(adm_str(o, "protocol"), adm_str(p, "protocol")) == 0) {
				char raw[32];

				adm_fmt(f, sizeof(f), "spec.ports[%zu].nodePort", i);
				snprintf(raw, sizeof(raw), "%lld", np);
				adm_duplicate_raw(q, f, raw);
				break;
			}
		}
	}
	json_array_foreach(ports, i, p) {
		for (j = 0; j < i; j++) {
			const json_t *o = json_array_get(ports, j);

			if (adm_int(o, "port") == adm_int(p, "port") &&
			    strcmp(adm_str(o, "protocol"), adm_str(p, "protocol")) == 0) {
				struct adm_buf b = {0};

				adm_buf_printf(&b, "core.ServicePort{Name:\"\", Protocol:");
				adm_buf_quote(&b, adm_str(p, "protocol"));
				adm_buf_printf(&b,
					       ", AppProtocol:(*string)(nil), Port:%lld, "
					       "TargetPort:intstr.IntOrString{Type:0, IntVal:0, "
					       "StrVal:\"\"}, NodePort:0}",
					       adm_int(p, "port"));
				adm_fmt(f, sizeof(f), "spec.ports[%zu]", i);
				adm_duplicate_raw(q, f, b.p);
				adm_buf_free(&b);
				break;
			}
		}
	}
	if (json_object_get(spec, "allocateLoadBalancerNodePorts") &&
	    !json_is_null(json_object_get(spec, "allocateLoadBalancerNodePorts")) &&
	    strcmp(type, "LoadBalancer") != 0)
		adm_forbidden(q, "spec.allocateLoadBalancerNodePorts",
			      "may only be used when `type` is 'LoadBalancer'");
	if (!externally_accessible(spec)) {
		if (*etp)
			adm_invalid_str(q, "spec.externalTrafficPolicy", etp,
					"may only be set for externally-accessible services");
	} else if (!*etp) {
		adm_required(q, "spec.externalTrafficPolicy", NULL);
	} else if (strcmp(etp, "Cluster") && strcmp(etp, "Local")) {
		adm_unsupported(q, "spec.externalTrafficPolicy", etp, traffic);
	}
	if (!needs_health_check(spec)) {
		if (adm_int(spec, "healthCheckNodePort"))
			adm_invalid_int(q, "spec.healthCheckNodePort",
					adm_int(spec, "healthCheckNodePort"),
					"may only be set when `type` is 'LoadBalancer' and "
					"`externalTrafficPolicy` is 'Local'");
	} else if (!adm_int(spec, "healthCheckNodePort")) {
		adm_required(q, "spec.healthCheckNodePort", NULL);
	}
	if (!itp || json_is_null(itp)) {
		if (!strcmp(type, "ClusterIP") || !strcmp(type, "NodePort") ||
		    !strcmp(type, "LoadBalancer"))
			adm_required(q, "spec.internalTrafficPolicy", NULL);
	} else if (!json_is_string(itp) || (strcmp(json_string_value(itp), "Cluster") &&
					    strcmp(json_string_value(itp), "Local"))) {
		adm_unsupported(q, "spec.internalTrafficPolicy", json_string_value(itp) ?: "",
				traffic);
	}
}

/* ValidateServiceUpdate's own checks: cluster IPs and the health-check
 * port are immutable once set, except across ExternalName. */
static void validate_service_update(struct adm_req *q, const json_t *old, const json_t *spec)
{
	const json_t *oips = json_object_get(old, "clusterIPs");
	const json_t *nips = json_object_get(spec, "clusterIPs");
	size_t no = json_array_size(oips), nn = json_array_size(nips), i;

	if (needs_cluster_ip(spec) && needs_cluster_ip(old) && !(headless(old) && headless(spec))) {
		if (no == nn) {
			for (i = 0; i < no; i++)
				if (!json_equal(json_array_get(oips, i), json_array_get(nips, i))) {
					char f[64];

					adm_fmt(f, sizeof(f), "spec.clusterIPs[%zu]", i);
					invalid_ips(q, f, spec, "may not change once set");
				}
		} else if (no > nn) {
			if (nn == 0)
				invalid_ips(q, "spec.clusterIPs[0]", spec,
					    "primary clusterIP can not be unset");
			else if (!json_equal(json_array_get(oips, 0), json_array_get(nips, 0)))
				invalid_ips(q, "spec.clusterIPs[0]", spec, "may not change once set");
		} else if (no > 0 && !json_equal(json_array_get(oips, 0), json_array_get(nips, 0))) {
			invalid_ips(q, "spec.clusterIPs[0]", spec, "may not change once set");
		}
	}
	if (needs_health_check(old) && needs_health_check(spec) &&
	    adm_int(old, "healthCheckNodePort") != adm_int(spec, "healthCheckNodePort"))
		adm_forbidden(q, "spec.healthCheckNodePort", "field is immutable");
}

int adm_service(struct adm_req *q, json_t *obj)
{
	const json_t *old_spec = json_object_get(q->old, "spec");
	json_t *spec = k1s_json_obj(obj, "spec");

	if (!spec) {
		adm_invalid_str(q, "spec", "", "must be an object");
		return 0;
	}
	if (q->old)
		adm_keep_status(q->old, obj);
	else
		json_object_del(obj, "status");
	svc_defaults(spec);
	if (q->old) {
		drop_type_dependent(old_spec, spec);
		patch_allocated(old_spec, spec);
	}
	normalize_cluster_ips(q->old ? old_spec : NULL, spec);
	init_ip_families(q, old_spec, spec);
	if (q->status)
		return 0;
	svc_allocate(q, q->old ? old_spec : NULL, spec);
	if (q->status)
		return 0;
	if (q->old)
		validate_service_update(q, old_spec, spec);
	validate_service(q, obj, spec);
	/* Only a LoadBalancer has a load-balancer status. */
	if (!json_is_object(json_object_get(obj, "status")) || !type_is(spec, "LoadBalancer"))
		json_object_set_new(obj, "status", json_pack("{s:{}}", "loadBalancer"));
	return 0;
}

/* ---- commit and seeding ---- */

/* The cluster IPs a spec holds: clusterIPs, or clusterIP alone. */
static size_t held_ips(const json_t *spec, const char **out)
{
	const json_t *arr = json_object_get(spec, "clusterIPs");
	json_t *v;
	size_t i, n = 0;

	if (!needs_cluster_ip(spec))
		return 0;
	json_array_foreach(arr, i, v)
		if (json_string_value(v) && n < 2)
			out[n++] = json_string_value(v);
	if (n == 0 && *adm_str(spec, "clusterIP"))
		out[n++] = adm_str(spec, "clusterIP");
	return n;
}

static void hold(struct api_admit *adm, const json_t *spec, bool take)
{
	unsigned ports[MAX_PORTS];
	const char *ips[2];
	size_t n, i;

	n = held_ips(spec, ips);
	for (i = 0; i < n; i++) {
		if (take)
			ctrl_ipalloc_take(adm->ips, ips[i]);
		else
			ctrl_ipalloc_release(adm->ips, ips[i]);
	}
	n = node_ports(spec, ports, MAX_PORTS, true);
	for (i = 0; i < n; i++) {
		if (take)
			ctrl_portalloc_take(adm->ports, ports[i]);
		else
			ctrl_portalloc_release(adm->ports, ports[i]);
	}
}

void adm_service_commit(struct api_admit *adm, const json_t *old, const json_t *obj)
{
	/* Release then take: what both hold stays taken. */
	if (old)
		hold(adm, json_object_get(old, "spec"), false);
	if (obj)
		hold(adm, json_object_get(obj, "spec"), true);
}

static int seed_one(void *arg, const json_t *obj)
{
	hold(arg, json_object_get(obj, "spec"), true);
	return 0;
}

int adm_service_seed(struct api_admit *adm)
{
	int64_t rev;
	int err;

	err = st_list(adm->st, "services", NULL, NULL, NULL, 0, seed_one, adm, &rev);
	if (err < 0)
		k1s_err("api", "admission: cannot list services to seed the allocators: %s",
			strerror(-err));
	return err;
}
