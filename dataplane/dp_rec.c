/* Records of Services and Endpoints (dp_int.h): each object is read once,
 * as it arrives, into one allocation laid out as
 *   record + key | arrays | strings
 * sized by a first walk over the object. Defaults are the ones the
 * readers applied to the object before: an absent protocol is TCP, an
 * absent port 0, an absent type ClusterIP. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <jansson.h>

#include "dp_int.h"
#include "k1s_json.h"

uint32_t dp_key_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (const char *c = key; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	return h % DP_REC_BUCKETS;
}

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

/* Appends s (NUL included) at *cur; "" is never copied. */
static const char *put_str(char **cur, const char *s)
{
	size_t n;

	if (!*s)
		return "";
	n = strlen(s) + 1;
	memcpy(*cur, s, n);
	*cur += n;
	return *cur - n;
}

static size_t str_bytes(const char *s)
{
	return s && *s ? strlen(s) + 1 : 0;
}

/* The three protocols admission allows share static strings; another
 * (only a store written around admission has one) is copied. */
static const char *known_proto(const char *p)
{
	static const char *const protos[] = {"TCP", "UDP", "SCTP"};

	if (!p)
		return "TCP";
	for (size_t i = 0; i < 3; i++)
		if (strcmp(p, protos[i]) == 0)
			return protos[i];
	return NULL;
}

/* The address spec.loadBalancerIP or MetalLB's annotation asks for: 0
 * with none, -EINVAL with the event's message in why (MetalLB's
 * controller/service.go words). */
static int asked_ip(const json_t *svc, uint32_t *ip, char *why, size_t len)
{
	static const char *const annotations[] = {"metallb.io/loadBalancerIPs",
						  "metallb.universe.tf/loadBalancerIPs"};
	const json_t *ann = k1s_json_path(svc, "metadata.annotations");
	const char *spec = k1s_json_str(svc, "spec.loadBalancerIP");
	const char *list = NULL, *name = NULL;
	char first[64];

	*ip = 0;
	for (size_t i = 0; i < 2 && !list; i++)
		if ((list = json_string_value(json_object_get(ann, annotations[i]))))
			name = annotations[i];
	if (spec && !*spec)
		spec = NULL;
	if (list && spec) {
		snprintf(why, len, "service can not have both %s and svc.Spec.LoadBalancerIP", name);
		return -EINVAL;
	}
	if (list) {
		/* The first IPv4 address of the list: k1s has no IPv6. */
		size_t n = strcspn(list, ",");

		while (n && *list == ' ') {
			list++;
			n--;
		}
		while (n && list[n - 1] == ' ')
			n--;
		snprintf(first, sizeof(first), "%.*s", (int)n, list);
		if (k1s_ip4_parse(first, ip) < 0) {
			snprintf(why, len, "invalid %s: \"%s\"", name,
				 json_string_value(json_object_get(ann, name)));
			return -EINVAL;
		}
	} else if (spec && k1s_ip4_parse(spec, ip) < 0) {
		snprintf(why, len, "invalid spec.loadBalancerIP \"%s\"", spec);
		return -EINVAL;
	}
	return 0;
}

static enum dp_svc_type svc_type(const char *t)
{
	if (!t)
		return DP_SVC_CLUSTER_IP;
	if (strcmp(t, "NodePort") == 0)
		return DP_SVC_NODE_PORT;
	if (strcmp(t, "LoadBalancer") == 0)
		return DP_SVC_LOAD_BALANCER;
	if (strcmp(t, "ExternalName") == 0)
		return DP_SVC_EXTERNAL_NAME;
	return DP_SVC_CLUSTER_IP;
}

static int64_t rev_of(const json_t *obj)
{
	const char *rv = k1s_json_str(obj, "metadata.resourceVersion");

	return rv ? strtoll(rv, NULL, 10) : 0;
}

static struct dp_svc_rec *svc_rec_new(const char *key, const json_t *svc)
{
	const json_t *ports = k1s_json_path(svc, "spec.ports");
	const json_t *ing = k1s_json_path(svc, "status.loadBalancer.ingress");
	const char *cip = k1s_json_str(svc, "spec.clusterIP");
	size_t nports = json_array_size(ports), nlb = json_array_size(ing);
	size_t off_ports, off_lb, off_str, size, i;
	struct dp_svc_rec *r;
	const json_t *p;
	char why[256];
	uint32_t asked;
	int asked_err;
	char *cur;

	asked_err = asked_ip(svc, &asked, why, sizeof(why));
	off_ports = ALIGN8(sizeof(*r) + strlen(key) + 1);
	off_lb = off_ports + nports * sizeof(*r->ports);
	off_str = off_lb + nlb * sizeof(*r->lb);
	size = off_str + (asked_err ? strlen(why) + 1 : 0);
	json_array_foreach(ports, i, p) {
		const char *proto = k1s_json_str(p, "protocol");

		size += str_bytes(k1s_json_str(p, "name"));
		if (!known_proto(proto))
			size += str_bytes(proto);
	}
	if (!(r = calloc(1, size)))
		return NULL;
	strcpy(r->key, key);
	r->type = (uint8_t)svc_type(k1s_json_str(svc, "spec.type"));
	r->deleting = k1s_json_path(svc, "metadata.deletionTimestamp") != NULL;
	r->cip_ok = cip && *cip && strcmp(cip, "None") != 0 &&
		    k1s_ip4_parse(cip, &r->cluster_ip) == 0;
	r->local_policy =
		strcmp(k1s_json_str(svc, "spec.externalTrafficPolicy") ?: "Cluster", "Local") == 0;
	if (strcmp(k1s_json_str(svc, "spec.sessionAffinity") ?: "None", "ClientIP") == 0) {
		json_t *t = k1s_json_path(svc, "spec.sessionAffinityConfig.clientIP.timeoutSeconds");

		r->affinity_s = t ? (uint32_t)json_integer_value(t) : 10800;
	}
	r->asked = asked;
	r->rev = rev_of(svc);
	r->ports = (struct dp_port_rec *)((char *)r + off_ports);
	r->lb = (struct dp_lb_ip *)((char *)r + off_lb);
	cur = (char *)r + off_str;
	if (asked_err)
		r->asked_why = put_str(&cur, why);
	json_array_foreach(ports, i, p) {
		struct dp_port_rec *pr = &r->ports[r->nports++];
		const char *proto = k1s_json_str(p, "protocol");

		pr->name = put_str(&cur, k1s_json_str(p, "name") ?: "");
		pr->proto = known_proto(proto) ?: put_str(&cur, proto);
		pr->port = json_integer_value(json_object_get(p, "port"));
		pr->node_port = json_integer_value(json_object_get(p, "nodePort"));
	}
	json_array_foreach(ing, i, p) {
		struct dp_lb_ip *l = &r->lb[r->nlb++];
		const char *ip = k1s_json_str(p, "ip");

		l->ok = ip && k1s_ip4_parse(ip, &l->ip) == 0;
		if (!l->ok)
			l->ip = 0;
	}
	return r;
}

static int8_t ep_proto(const char *p)
{
	if (!p || strcmp(p, "TCP") == 0)
		return DP_TCP;
	return strcmp(p, "UDP") == 0 ? DP_UDP : -1;
}

static struct dp_ep_rec *ep_rec_new(const char *key, const json_t *ep)
{
	const json_t *subsets = k1s_json_path(ep, "subsets"), *ss, *p;
	size_t nss = json_array_size(subsets), nports = 0, nips = 0, strs = 0, i, j;
	size_t off_ss, off_ports, off_ips, off_str, size;
	struct dp_ep_port *port;
	struct dp_ep_rec *r;
	uint32_t *ip;
	char *cur;

	json_array_foreach(subsets, i, ss) {
		json_array_foreach(json_object_get(ss, "ports"), j, p)
			strs += str_bytes(k1s_json_str(p, "name"));
		nports += json_array_size(json_object_get(ss, "ports"));
		nips += json_array_size(json_object_get(ss, "addresses"));
	}
	off_ss = ALIGN8(sizeof(*r) + strlen(key) + 1);
	off_ports = off_ss + nss * sizeof(*r->subsets);
	off_ips = off_ports + nports * sizeof(*port);
	off_str = off_ips + nips * sizeof(*ip);
	size = off_str + strs;
	if (!(r = calloc(1, size)))
		return NULL;
	strcpy(r->key, key);
	r->subsets = (struct dp_subset *)((char *)r + off_ss);
	port = (struct dp_ep_port *)((char *)r + off_ports);
	ip = (uint32_t *)((char *)r + off_ips);
	cur = (char *)r + off_str;
	json_array_foreach(subsets, i, ss) {
		struct dp_subset *s = &r->subsets[r->nsubsets++];
		const json_t *a;

		s->ports = port;
		json_array_foreach(json_object_get(ss, "ports"), j, p) {
			json_int_t n = json_integer_value(json_object_get(p, "port"));
			struct dp_ep_port *ep_port = &s->ports[s->nports++];

			ep_port->name = put_str(&cur, k1s_json_str(p, "name") ?: "");
			ep_port->proto = ep_proto(k1s_json_str(p, "protocol"));
			ep_port->port = n > 0 && n <= 65535 ? (uint16_t)n : 0;
		}
		port += s->nports;
		/* Only addresses: an entry that is none was skipped anyway. */
		s->ips = ip;
		json_array_foreach(json_object_get(ss, "addresses"), j, a) {
			const char *text = k1s_json_str(a, "ip");
			uint32_t h;

			if (text && k1s_ip4_parse(text, &h) == 0)
				s->ips[s->nips++] = htonl(h);
		}
		ip += s->nips;
	}
	return r;
}

struct dp_svc_rec *dp_svc_rec_get(const struct dp *dp, const char *key)
{
	struct dp_svc_rec *r = dp->svc_rec[dp_key_hash(key)];

	while (r && strcmp(r->key, key) != 0)
		r = r->next;
	return r;
}

struct dp_ep_rec *dp_ep_rec_get(const struct dp *dp, const char *key)
{
	struct dp_ep_rec *r = dp->ep_rec[dp_key_hash(key)];

	while (r && strcmp(r->key, key) != 0)
		r = r->next;
	return r;
}

static void svc_unlink(struct dp *dp, const char *key)
{
	struct dp_svc_rec **pp = &dp->svc_rec[dp_key_hash(key)], *r;

	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	if (!(r = *pp))
		return;
	*pp = r->next;
	dp->rec_bytes -= malloc_usable_size(r);
	dp->nsvc_rec--;
	free(r);
}

static void ep_unlink(struct dp *dp, const char *key)
{
	struct dp_ep_rec **pp = &dp->ep_rec[dp_key_hash(key)], *r;

	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	if (!(r = *pp))
		return;
	*pp = r->next;
	dp->rec_bytes -= malloc_usable_size(r);
	dp->nep_rec--;
	free(r);
}

int dp_rec_put(struct dp *dp, const char *res, const char *key, const json_t *obj)
{
	uint32_t h = dp_key_hash(key);

	if (strcmp(res, "services") == 0) {
		struct dp_svc_rec *r = svc_rec_new(key, obj);

		svc_unlink(dp, key);
		if (!r)
			return -ENOMEM;
		r->next = dp->svc_rec[h];
		dp->svc_rec[h] = r;
		dp->nsvc_rec++;
		dp->rec_bytes += malloc_usable_size(r);
	} else {
		struct dp_ep_rec *r = ep_rec_new(key, obj);

		ep_unlink(dp, key);
		if (!r)
			return -ENOMEM;
		r->next = dp->ep_rec[h];
		dp->ep_rec[h] = r;
		dp->nep_rec++;
		dp->rec_bytes += malloc_usable_size(r);
	}
	return 0;
}

void dp_rec_del(struct dp *dp, const char *res, const char *key)
{
	if (strcmp(res, "services") == 0)
		svc_unlink(dp, key);
	else
		ep_unlink(dp, key);
}

void dp_rec_clear(struct dp *dp)
{
	for (size_t i = 0; i < DP_REC_BUCKETS; i++) {
		while (dp->svc_rec[i]) {
			struct dp_svc_rec *r = dp->svc_rec[i];

			dp->svc_rec[i] = r->next;
			free(r);
		}
		while (dp->ep_rec[i]) {
			struct dp_ep_rec *r = dp->ep_rec[i];

			dp->ep_rec[i] = r->next;
			free(r);
		}
	}
	dp->nsvc_rec = dp->nep_rec = 0;
	dp->rec_bytes = 0;
}

size_t dp_rec_bytes(const struct dp *dp)
{
	return dp->rec_bytes;
}
