/* Helpers of the policy tests: YAML read into JSON with libyaml, upstream's
 * e2e model (namespaces x, y, z; pods a, b, c in each, serving TCP and UDP
 * on 80 and 81 under upstream's port names) built into a view, and the
 * check that the kernel's lists agree with the evaluator. */
#ifndef POL_TEST_H
#define POL_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <yaml.h>

#include "k1s_addr.h"
#include "pol_int.h"

/* ---- YAML to JSON: enough for manifests and the case table ---- */

/* The parser and the anchors seen so far (&name), for aliases (*name). */
struct yj {
	yaml_parser_t p;
	json_t *anchors;
};

static json_t *yj_node(struct yj *y, yaml_event_t *ev, int depth);

static json_t *yj_scalar(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	char *end;
	long long n;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_string(s);
	if (!strcmp(s, "true") || !strcmp(s, "false"))
		return json_boolean(!strcmp(s, "true"));
	if (!strcmp(s, "null") || !strcmp(s, "~") || !*s)
		return json_null();
	n = strtoll(s, &end, 10);
	if (*s && !*end && (s[0] != '0' || !s[1]))
		return json_integer(n);
	return json_string(s);
}

static json_t *yj_next(struct yj *y, int depth)
{
	yaml_event_t ev;
	json_t *j;

	if (!yaml_parser_parse(&y->p, &ev))
		return NULL;
	j = yj_node(y, &ev, depth);
	yaml_event_delete(&ev);
	return j;
}

static json_t *yj_anchor(struct yj *y, const yaml_char_t *anchor, json_t *j)
{
	if (j && anchor)
		json_object_set(y->anchors, (const char *)anchor, j);
	return j;
}

static json_t *yj_node(struct yj *y, yaml_event_t *ev, int depth)
{
	json_t *j = NULL, *k, *v;
	yaml_event_t e;
	yaml_parser_t *p = &y->p;

	if (depth > 64)
		return NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return yj_anchor(y, ev->data.scalar.anchor, yj_scalar(ev));
	case YAML_ALIAS_EVENT:
		return json_incref(json_object_get(y->anchors, (const char *)ev->data.alias.anchor));
	case YAML_SEQUENCE_START_EVENT:
		j = json_array();
		for (;;) {
			if (!yaml_parser_parse(p, &e))
				goto fail;
			if (e.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&e);
				return yj_anchor(y, ev->data.sequence_start.anchor, j);
			}
			v = yj_node(y, &e, depth + 1);
			yaml_event_delete(&e);
			if (!v)
				goto fail;
			json_array_append_new(j, v);
		}
	case YAML_MAPPING_START_EVENT:
		j = json_object();
		for (;;) {
			if (!yaml_parser_parse(p, &e))
				goto fail;
			if (e.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&e);
				return yj_anchor(y, ev->data.mapping_start.anchor, j);
			}
			k = yj_node(y, &e, depth + 1);
			yaml_event_delete(&e);
			v = k ? yj_next(y, depth + 1) : NULL;
			if (!json_is_string(k) || !v) {
				json_decref(k);
				json_decref(v);
				goto fail;
			}
			json_object_set_new(j, json_string_value(k), v);
			json_decref(k);
		}
	default:
		return NULL;
	}
fail:
	json_decref(j);
	return NULL;
}

/* The first document of buf as JSON, or NULL. */
static json_t *yaml_to_json(const char *buf, size_t len)
{
	struct yj y;
	yaml_event_t ev;
	json_t *j = NULL;

	if (!yaml_parser_initialize(&y.p))
		return NULL;
	y.anchors = json_object();
	yaml_parser_set_input_string(&y.p, (const unsigned char *)buf, len);
	while (yaml_parser_parse(&y.p, &ev)) {
		yaml_event_type_t t = ev.type;

		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT ||
		    t == YAML_SCALAR_EVENT) {
			j = yj_node(&y, &ev, 0);
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&y.p);
	json_decref(y.anchors);
	return j;
}

static json_t *yaml_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	json_t *j;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	j = yaml_to_json(buf, (size_t)n);
	free(buf);
	return j;
}

/* ---- upstream's model ---- */

#define PT_NODE 0xc0000202u	/* 192.0.2.2: never sent to, only judged */

static const char *const pt_ns[] = {"x", "y", "z"};
static const char *const pt_pods[] = {"a", "b", "c"};

/* x/a is 10.244.1.10, y/b 10.244.2.11, and so on. */
static uint32_t pt_ip(int ns, int pod)
{
	return 0x0af40000u | (uint32_t)(ns + 1) << 8 | (uint32_t)(10 + pod);
}

/* "x/b" -> its address, 0 if no such pod. */
static uint32_t pt_ip_of(const char *name)
{
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			char n[8];

			snprintf(n, sizeof(n), "%s/%s", pt_ns[i], pt_pods[j]);
			if (!strcmp(n, name))
				return pt_ip(i, j);
		}
	return 0;
}

/* {{NS/POD}} and {{NS/POD/LEN}} in every string, as the case table
 * writes pod addresses. */
static void pt_subst(json_t *j)
{
	size_t i;
	const char *k;
	json_t *v;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			pt_subst(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			pt_subst(v);
	} else if (json_is_string(j)) {
		const char *s = json_string_value(j), *a = strstr(s, "{{"), *b;
		char name[32], out[256], ip[K1S_IP4_STRLEN];
		int len = 32;
		uint32_t addr;

		if (!a || !(b = strstr(a, "}}")) || b - a - 2 >= (int)sizeof(name))
			return;
		memcpy(name, a + 2, (size_t)(b - a - 2));
		name[b - a - 2] = 0;
		if (strchr(name, '/') != strrchr(name, '/')) {
			len = atoi(strrchr(name, '/') + 1);
			*strrchr(name, '/') = 0;
		}
		addr = pt_ip_of(name);
		if (len < 32) {
			struct k1s_cidr c = {addr, len};

			addr &= k1s_cidr_mask(&c);
			snprintf(out, sizeof(out), "%.*s%s/%d%s", (int)(a - s), s,
				 k1s_ip4_str(addr, ip), len, b + 2);
		} else {
			snprintf(out, sizeof(out), "%.*s%s%s", (int)(a - s), s,
				 k1s_ip4_str(addr, ip), b + 2);
		}
		json_string_set(j, out);
	}
}

static json_t *pt_pod(const char *ns, const char *name, uint32_t ip, const json_t *labels)
{
	char a[K1S_IP4_STRLEN];

	return json_pack("{s:{s:s,s:s,s:O},s:{s:[{s:s,s:[{s:s,s:i,s:s},{s:s,s:i,s:s},"
			 "{s:s,s:i,s:s},{s:s,s:i,s:s}]}]},s:{s:s,s:s}}",
			 "metadata", "namespace", ns, "name", name, "labels", labels, "spec",
			 "containers", "name", "serve", "ports", "name", "serve-80-tcp",
			 "containerPort", 80, "protocol", "TCP", "name", "serve-81-tcp",
			 "containerPort", 81, "protocol", "TCP", "name", "serve-80-udp",
			 "containerPort", 80, "protocol", "UDP", "name", "serve-81-udp",
			 "containerPort", 81, "protocol", "UDP", "status", "podIP",
			 k1s_ip4_str(ip, a), "phase", "Running");
}

/* The model with `policies` (a JSON array, placeholders replaced), labels
 * replaced as nslabels and podlabels say (objects or NULL), and `extra`
 * objects (pods with "spec", namespaces without) added. */
static struct pol_view *pt_model(const json_t *policies, const json_t *nslabels,
				 const json_t *podlabels, const json_t *extra)
{
	struct k1s_cidr net = {0x0af40000, 16};
	struct pol_view_builder *b = pol_builder_new(&net, PT_NODE);
	json_t *o, *pols = json_deep_copy(policies);
	size_t i;

	for (int n = 0; n < 3; n++) {
		json_t *l = json_object_get(nslabels, pt_ns[n]);
		json_t *ns = l ? json_pack("{s:{s:s,s:O}}", "metadata", "name", pt_ns[n], "labels", l)
			       : json_pack("{s:{s:s,s:{s:s,s:s}}}", "metadata", "name", pt_ns[n],
					   "labels", "ns", pt_ns[n], "kubernetes.io/metadata.name",
					   pt_ns[n]);

		pol_builder_namespace(b, ns);
		json_decref(ns);
		for (int p = 0; p < 3; p++) {
			char key[8];
			json_t *pl, *pod;

			snprintf(key, sizeof(key), "%s/%s", pt_ns[n], pt_pods[p]);
			pl = json_object_get(podlabels, key);
			pl = pl ? json_incref(pl) : json_pack("{s:s}", "pod", pt_pods[p]);
			pod = pt_pod(pt_ns[n], pt_pods[p], pt_ip(n, p), pl);
			pol_builder_pod(b, pod, NULL);
			json_decref(pod);
			json_decref(pl);
		}
	}
	pt_subst(pols);
	json_array_foreach(pols, i, o)
		pol_builder_policy(b, o);
	json_array_foreach(extra, i, o) {
		if (json_object_get(o, "spec"))
			pol_builder_pod(b, o, NULL);
		else
			pol_builder_namespace(b, o);
	}
	json_decref(pols);
	return pol_builder_finish(b);
}

/* ---- the kernel's lists agree with the evaluator ---- */

static bool pt_covers(const struct pol_elems *e, uint32_t peer, const struct pol_flow *f)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct pol_elem *x = &e->v[i];

		if (peer < x->lo || peer > x->hi)
			continue;
		if (!x->proto || (x->proto == f->proto && f->dport >= x->plo && f->dport <= x->phi))
			return true;
	}
	return false;
}

/* What the forward hook does with a flow from its two chains' lists. */
static bool pt_kernel_allows(const struct pol_view *v, const struct pol_flow *f)
{
	const struct pol_pod *s = pol_view_pod_at(v, f->src), *d = pol_view_pod_at(v, f->dst);
	struct pol_elems e = {0};
	bool ok = true;

	if (s && pol_view_rules(v, (size_t)(s - pol_view_pod(v, 0)), POL_EGRESS, &e))
		ok = pt_covers(&e, f->dst, f);
	if (ok && d && pol_view_rules(v, (size_t)(d - pol_view_pod(v, 0)), POL_INGRESS, &e))
		ok = pt_covers(&e, f->src, f);
	pol_elems_free(&e);
	return ok;
}

/* Every flow between the view's pods and two addresses that are no pod,
 * on each protocol and a few ports: the kernel's lists allow it iff the
 * evaluator does. Returns the number of disagreements, printing each. */
static int pt_agree(const struct pol_view *v)
{
	static const struct {
		uint8_t proto;
		uint16_t port;
	} pp[] = {{POL_TCP, 80}, {POL_TCP, 81}, {POL_UDP, 80}, {POL_UDP, 81},
		  {POL_SCTP, 80}, {POL_TCP, 8080}, {POL_TCP, 1}, {POL_UDP, 65535}};
	size_t n = pol_view_npods(v) + 2, bad = 0;
	uint32_t *addr = calloc(n, sizeof(*addr));

	for (size_t i = 0; i + 2 < n; i++)
		addr[i] = pol_view_pod(v, i)->ip;
	addr[n - 2] = 0x08080808;	/* outside */
	addr[n - 1] = 0x0af4c801;	/* in the pod network, no pod */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			for (size_t k = 0; k < sizeof(pp) / sizeof(*pp); k++) {
				struct pol_flow f = {addr[i], addr[j], pp[k].port, pp[k].proto};
				bool check = pol_view_check(v, &f) == POL_ALLOWED;

				if (i == j || check == pt_kernel_allows(v, &f))
					continue;
				char a[K1S_IP4_STRLEN], b[K1S_IP4_STRLEN];

				fprintf(stderr, "disagree: %s -> %s %u/%u: check %s, lists %s\n",
					k1s_ip4_str(f.src, a), k1s_ip4_str(f.dst, b), f.proto, f.dport,
					check ? "allows" : "denies", check ? "deny" : "allow");
				bad++;
			}
	/* The lists made for every pod at once, shared between pods alike,
	 * are each pod's own. */
	for (int d = POL_INGRESS; d <= POL_EGRESS; d++) {
		size_t np = pol_view_npods(v);
		struct pol_elems *all = calloc(np + 1, sizeof(*all)), one = {0};
		bool *iso = calloc(np + 1, sizeof(*iso));

		if (pol_view_rules_all(v, (enum pol_dir)d, all, iso) < 0)
			bad++;
		for (size_t i = 0; i < np; i++) {
			bool own = pol_view_rules(v, i, (enum pol_dir)d, &one);

			if (own != iso[i] || one.n != all[i].n ||
			    (one.n && memcmp(one.v, all[i].v, one.n * sizeof(*one.v)))) {
				fprintf(stderr, "disagree: pod %zu's %s list made with the others\n", i,
					d == POL_INGRESS ? "ingress" : "egress");
				bad++;
			}
			pol_elems_free(&all[i]);
		}
		pol_elems_free(&one);
		free(all);
		free(iso);
	}
	free(addr);
	return (int)bad;
}

#endif
