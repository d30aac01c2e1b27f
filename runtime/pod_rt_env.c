/* A container's environment, built as the kubelet builds it: the service
 * variables of the pod's namespace (docker-link style), envFrom, env with
 * $(VAR) expansion and valueFrom (fieldRef, resourceFieldRef,
 * configMapKeyRef, secretKeyRef), and PATH and HOSTNAME as a container
 * runtime adds them. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k1s_json.h"
#include "k1s_work.h"
#include "pod_rt_int.h"
#include "pod_svc_links.h"
#include "st.h"

#define POD_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Variables in the order first set, with a hash of their names: the
 * service links of a namespace of a thousand Services are some 7,000. */
struct env {
	char **name, **value;
	size_t n, cap;
	uint32_t *slot; /* index+1 into name/value; 0 = empty */
	size_t nslots;  /* a power of two, at least twice n */
};

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The slot holding the name, or the empty one where it would go. */
static size_t env_slot(const struct env *e, const char *name, size_t len)
{
	size_t mask = e->nslots - 1, i = name_hash(name, len) & mask;

	while (e->slot[i]) {
		const char *n = e->name[e->slot[i] - 1];

		if (strncmp(n, name, len) == 0 && n[len] == '\0')
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static const char *env_getn(const struct env *e, const char *name, size_t len)
{
	size_t i;

	if (!e->nslots)
		return NULL;
	i = env_slot(e, name, len);
	return e->slot[i] ? e->value[e->slot[i] - 1] : NULL;
}

static const char *env_get(const struct env *e, const char *name)
{
	return env_getn(e, name, strlen(name));
}

static int env_grow(struct env *e)
{
	size_t cap = e->cap ? e->cap * 2 : 32, nslots = cap * 2;
	char **nn = realloc(e->name, cap * sizeof(*nn));

	if (nn)
		e->name = nn;
	char **nv = nn ? realloc(e->value, cap * sizeof(*nv)) : NULL;

	if (nv)
		e->value = nv;
	uint32_t *slot = nv ? calloc(nslots, sizeof(*slot)) : NULL;

	if (!slot)
		return -ENOMEM;
	free(e->slot);
	e->slot = slot;
	e->nslots = nslots;
	e->cap = cap;
	for (size_t k = 0; k < e->n; k++)
		e->slot[env_slot(e, e->name[k], strlen(e->name[k]))] = (uint32_t)k + 1;
	return 0;
}

/* Sets a variable: a new one goes last, a known one keeps its place. */
static int env_setn(struct env *e, const char *name, const char *value, size_t vlen)
{
	size_t len = strlen(name), i;
	char *v;

	if (e->n == e->cap && env_grow(e) < 0)
		return -ENOMEM;
	v = strndup(value, vlen);
	if (!v)
		return -ENOMEM;
	i = env_slot(e, name, len);
	if (e->slot[i]) {
		free(e->value[e->slot[i] - 1]);
		e->value[e->slot[i] - 1] = v;
		return 0;
	}
	e->name[e->n] = strdup(name);
	if (!e->name[e->n]) {
		free(v);
		return -ENOMEM;
	}
	e->value[e->n] = v;
	e->slot[i] = (uint32_t)++e->n;
	return 0;
}

static int env_set(struct env *e, const char *name, const char *value)
{
	return env_setn(e, name, value, strlen(value));
}

static void env_fini(struct env *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->name[i]);
		free(e->value[i]);
	}
	free(e->name);
	free(e->value);
	free(e->slot);
}

/* $(VAR) expansion as Kubernetes does it: a defined VAR is replaced, an
 * undefined one is left as written, $$ is a literal $. */
static char *expand(const char *s, const struct env *defs, const struct env *svc)
{
	size_t cap = strlen(s) + 1, len = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	while (*s) {
		const char *add = s;
		size_t alen = 1, skip = 1;

		if (s[0] == '$' && s[1] == '$') {
			skip = 2;
		} else if (s[0] == '$' && s[1] == '(') {
			const char *close = strchr(s + 2, ')');

			if (close) {
				/* Any length of name, as the kubelet's mapping takes. */
				size_t n = (size_t)(close - s - 2);
				const char *v = env_getn(defs, s + 2, n);

				if (!v && svc)
					v = env_getn(svc, s + 2, n);
				skip = n + 3;
				if (v) {
					add = v;
					alen = strlen(v);
				} else {
					alen = skip;
				}
			}
		}
		if (len + alen + 1 > cap) {
			char *nw;

			cap = (len + alen + 1) * 2;
			nw = realloc(out, cap);
			if (!nw) {
				free(out);
				return NULL;
			}
			out = nw;
		}
		memcpy(out + len, add, alen);
		len += alen;
		s += skip;
	}
	out[len] = '\0';
	return out;
}

static void svc_var_name(char *out, size_t len, const char *svc)
{
	size_t i;

	for (i = 0; svc[i] && i + 1 < len; i++)
		out[i] = svc[i] == '-' ? '_' : (char)toupper((unsigned char)svc[i]);
	out[i] = '\0';
}

/* The variables of one service, as envvars.FromServices makes them
 * (pkg/kubelet/envvars/envvars.go): HOST, the first port's PORT, each
 * named port's, then the docker-link ones per port. */
static void svc_vars(struct env *e, const struct svc_link *svc)
{
	char pre[300], name[400], val[400], hostport[80];

	svc_var_name(pre, sizeof(pre), svc->name);
	snprintf(name, sizeof(name), "%s_SERVICE_HOST", pre);
	env_set(e, name, svc->ip);
	for (size_t i = 0; i < svc->nports; i++) {
		const struct svc_link_port *p = &svc->ports[i];

		snprintf(val, sizeof(val), "%d", (int)p->port);
		if (i == 0) {
			snprintf(name, sizeof(name), "%s_SERVICE_PORT", pre);
			env_set(e, name, val);
		}
		if (*p->name) {
			char up[256];

			svc_var_name(up, sizeof(up), p->name);
			snprintf(name, sizeof(name), "%s_SERVICE_PORT_%s", pre, up);
			env_set(e, name, val);
		}
	}
	for (size_t i = 0; i < svc->nports; i++) {
		const struct svc_link_port *p = &svc->ports[i];
		char lproto[16], uproto[16], pp[400];
		size_t k;

		for (k = 0; p->protocol[k] && k < sizeof(lproto) - 1; k++) {
			lproto[k] = (char)tolower((unsigned char)p->protocol[k]);
			uproto[k] = (char)toupper((unsigned char)p->protocol[k]);
		}
		lproto[k] = uproto[k] = '\0';
		/* net.JoinHostPort: an IPv6 address in brackets. */
		snprintf(hostport, sizeof(hostport), strchr(svc->ip, ':') ? "[%s]:%d" : "%s:%d",
		         svc->ip, (int)p->port);
		snprintf(val, sizeof(val), "%s://%s", lproto, hostport);
		if (i == 0) {
			snprintf(name, sizeof(name), "%s_PORT", pre);
			env_set(e, name, val);
		}
		snprintf(pp, sizeof(pp), "%s_PORT_%d_%s", pre, (int)p->port, uproto);
		env_set(e, pp, val);
		snprintf(name, sizeof(name), "%s_PROTO", pp);
		env_set(e, name, lproto);
		snprintf(name, sizeof(name), "%s_PORT", pp);
		snprintf(val, sizeof(val), "%d", (int)p->port);
		env_set(e, name, val);
		snprintf(name, sizeof(name), "%s_ADDR", pp);
		env_set(e, name, svc->ip);
	}
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes base64 into a malloc'd buffer; *len gets its length. */
static char *b64dec(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *out = malloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	if (!out)
		return NULL;
	for (; *s; s++) {
		int v = b64val((unsigned char)*s);

		if (v < 0)
			continue;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	*len = o;
	return out;
}

/* metadata.labels['key'] and the like: the key, or NULL. */
static bool subscript(const char *path, const char *field, char *key, size_t len)
{
	size_t fl = strlen(field);
	const char *p = path + fl, *end;

	if (strncmp(path, field, fl) != 0 || p[0] != '[' || (p[1] != '\'' && p[1] != '"'))
		return false;
	end = strchr(p + 2, p[1]);
	if (!end || end[1] != ']' || (size_t)(end - p - 2) >= len)
		return false;
	memcpy(key, p + 2, (size_t)(end - p - 2));
	key[end - p - 2] = '\0';
	return true;
}

static const char *field_ref(const char *node_ip, const json_t *pod, const char *path,
                             const char *ip, char *buf, size_t len)
{
	char key[256];

	if (strcmp(path, "metadata.name") == 0 || strcmp(path, "metadata.namespace") == 0 ||
	    strcmp(path, "metadata.uid") == 0 || strcmp(path, "spec.nodeName") == 0 ||
	    strcmp(path, "spec.serviceAccountName") == 0)
		return k1s_json_str(pod, path) ?: "";
	if (strcmp(path, "status.podIP") == 0 || strcmp(path, "status.podIPs") == 0)
		return ip ?: "";
	if (strcmp(path, "status.hostIP") == 0 || strcmp(path, "status.hostIPs") == 0)
		return node_ip ?: "";
	if (subscript(path, "metadata.labels", key, sizeof(key)))
		return json_string_value(
		           json_object_get(k1s_json_path(pod, "metadata.labels"), key))
		           ?: "";
	if (subscript(path, "metadata.annotations", key, sizeof(key)))
		return json_string_value(
		           json_object_get(k1s_json_path(pod, "metadata.annotations"), key))
		           ?: "";
	snprintf(buf, len, "%s", "");
	return buf;
}

/* resourceFieldRef: the container's own limit or request as written, or
 * what the node has when no limit is set. */
static const char *resource_ref(const json_t *pod, const json_t *cspec, const json_t *ref,
                                char *buf, size_t len)
{
	const char *res = k1s_json_str(ref, "resource") ?: "";
	const char *cname = k1s_json_str(ref, "containerName");
	const json_t *c = cspec, *cs;
	const char *dot = strchr(res, '.');
	size_t i;

	if (cname && *cname) {
		json_array_foreach(k1s_json_path(pod, "spec.containers"), i,
		                   cs) if (strcmp(k1s_json_str(cs, "name") ?: "", cname) == 0) c =
		    cs;
	}
	if (dot) {
		char kind[32];
		const json_t *v;

		snprintf(kind, sizeof(kind), "%.*s", (int)(dot - res), res);
		v = json_object_get(k1s_json_path(c, "resources"), kind);
		v = json_object_get(v, dot + 1);
		if (json_is_string(v)) {
			snprintf(buf, len, "%s", json_string_value(v));
			return buf;
		}
		if (strcmp(dot + 1, "cpu") == 0) {
			snprintf(buf, len, "%ld",
			         strcmp(kind, "limits") == 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 0L);
			return buf;
		}
		if (strcmp(dot + 1, "memory") == 0) {
			snprintf(buf, len, "%lld",
			         strcmp(kind, "limits") == 0
			             ? (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE)
			             : 0LL);
			return buf;
		}
	}
	snprintf(buf, len, "0");
	return buf;
}

/* What a build reads besides the pod: the ConfigMaps and Secrets its
 * container names, read from the store on the loop ("c/NAME", "s/NAME";
 * one absent is not there), and the Services of its links. Owned by the
 * build, so it can run on any thread. */
struct env_in {
	json_t *pod, *cspec;
	json_t *refs;
	struct svc_links_snap *links;
	char ip[64];
	bool echo;
	const char *node_ip, *node_name; /* the runtime's, which outlives builds */
};

static const json_t *ref_obj(const json_t *refs, bool secret, const char *name)
{
	char key[300];

	snprintf(key, sizeof(key), "%c/%s", secret ? 's' : 'c', name);
	return json_object_get(refs, key);
}

/* A key of a ConfigMap or Secret. 0 and *out (malloc'd), 1 when absent
 * but optional, -ENOENT with msg. */
static int key_ref(const json_t *refs, const char *ns, const json_t *ref, bool secret, char **out,
                   char *msg, size_t msglen)
{
	const char *name = k1s_json_str(ref, "name") ?: "";
	const char *key = k1s_json_str(ref, "key") ?: "";
	bool optional = json_is_true(json_object_get(ref, "optional"));
	const json_t *obj = ref_obj(refs, secret, name);
	const char *v;

	if (!obj) {
		if (optional)
			return 1;
		snprintf(msg, msglen, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
		return -ENOENT;
	}
	v = json_string_value(json_object_get(json_object_get(obj, "data"), key));
	if (!v && secret)
		v = json_string_value(json_object_get(json_object_get(obj, "stringData"), key));
	else if (v && secret) {
		size_t n;

		*out = b64dec(v, &n);
		return *out ? 0 : -ENOMEM;
	}
	if (!v) {
		if (optional)
			return 1;
		snprintf(msg, msglen, "couldn't find key %s in %s %s/%s", key,
		         secret ? "Secret" : "ConfigMap", ns, name);
		return -ENOENT;
	}
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

static int env_from(const json_t *refs, const json_t *src, struct env *e, char *msg,
                    size_t msglen)
{
	const char *prefix = k1s_json_str(src, "prefix") ?: "";
	const json_t *ref = json_object_get(src, "configMapRef");
	bool secret = false;
	const char *name;
	const json_t *obj, *data, *v;
	const char *k;

	if (!ref) {
		ref = json_object_get(src, "secretRef");
		secret = true;
	}
	if (!ref)
		return 0;
	name = k1s_json_str(ref, "name") ?: "";
	obj = ref_obj(refs, secret, name);
	if (!obj) {
		if (json_is_true(json_object_get(ref, "optional")))
			return 0;
		snprintf(msg, msglen, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
		return -ENOENT;
	}
	data = json_object_get(obj, "data");
	json_object_foreach((json_t *)data, k, v)
	{
		char full[512];

		if (!json_is_string(v))
			continue;
		snprintf(full, sizeof(full), "%s%s", prefix, k);
		if (secret) {
			size_t n;
			char *d = b64dec(json_string_value(v), &n);

			if (d)
				env_setn(e, full, d, n);
			free(d);
		} else {
			env_set(e, full, json_string_value(v));
		}
	}
	return 0;
}

/* Reads one ConfigMap or Secret a reference names into refs. -ENOENT with
 * msg when it is missing and not optional. */
static int gather_one(struct st *st, const char *ns, const json_t *ref, bool secret, json_t *refs,
                      char *msg, size_t msglen)
{
	const char *name = k1s_json_str(ref, "name") ?: "";
	char key[300];
	json_t *obj = NULL;

	snprintf(key, sizeof(key), "%c/%s", secret ? 's' : 'c', name);
	if (!ref || json_object_get(refs, key))
		return 0;
	if (st_get(st, secret ? "secrets" : "configmaps", ns, name, &obj) < 0) {
		if (json_is_true(json_object_get(ref, "optional")))
			return 0;
		snprintf(msg, msglen, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
		return -ENOENT;
	}
	return json_object_set_new(refs, key, obj) == 0 ? 0 : -ENOMEM;
}

/* The ConfigMaps and Secrets the container's envFrom and env name. */
static int gather_refs(struct st *st, const char *ns, const json_t *cspec, json_t *refs, char *msg,
                       size_t msglen)
{
	const json_t *ev, *r;
	size_t i;
	int err = 0;

	json_array_foreach(k1s_json_path(cspec, "envFrom"), i, ev)
	{
		if ((r = json_object_get(ev, "configMapRef")))
			err = gather_one(st, ns, r, false, refs, msg, msglen);
		else if ((r = json_object_get(ev, "secretRef")))
			err = gather_one(st, ns, r, true, refs, msg, msglen);
		if (err < 0)
			return err;
	}
	json_array_foreach(k1s_json_path(cspec, "env"), i, ev)
	{
		const json_t *vf = json_object_get(ev, "valueFrom");

		if ((r = json_object_get(vf, "configMapKeyRef")))
			err = gather_one(st, ns, r, false, refs, msg, msglen);
		else if ((r = json_object_get(vf, "secretKeyRef")))
			err = gather_one(st, ns, r, true, refs, msg, msglen);
		if (err < 0)
			return err;
	}
	return 0;
}

static void env_in_fini(struct env_in *in)
{
	json_decref(in->pod);
	json_decref(in->cspec);
	json_decref(in->refs);
	pod_links_snap_free(in->links);
}

/* Everything a build reads, copied on the loop. 0, -ENOENT with msg, or
 * -ENOMEM. */
static int env_in_make(struct pod_rt *rt, struct pod_links *links, const json_t *pod,
                       const json_t *cspec, const char *ip, bool echo, struct env_in *in,
                       char *msg, size_t msglen)
{
	const char *ns = k1s_json_str(pod, "metadata.namespace") ?: "default";
	int err;

	*in = (struct env_in){.echo = echo, .node_ip = rt->cfg.node_ip,
	                      .node_name = rt->cfg.node_name};
	snprintf(in->ip, sizeof(in->ip), "%s", ip ?: "");
	in->pod = json_deep_copy(pod);
	in->cspec = json_deep_copy(cspec);
	in->refs = json_object();
	if (!in->pod || !in->cspec || !in->refs) {
		env_in_fini(in);
		return -ENOMEM;
	}
	err = gather_refs(rt->st, ns, cspec, in->refs, msg, msglen);
	if (err < 0) {
		env_in_fini(in);
		return err;
	}
	/* enableServiceLinks: true unless false, as the API defaults it. */
	in->links = pod_links_snap(links, ns,
	                           !json_is_false(k1s_json_path(pod, "spec.enableServiceLinks")));
	if (!in->links) {
		env_in_fini(in);
		return -ENOMEM;
	}
	return 0;
}

/* The environment from its inputs, in the order the kubelet's
 * makeEnvironmentVariables gives it (kubelet_pods.go): the runtime's own,
 * envFrom, env (a later one replacing an earlier in place), then each
 * service variable no earlier one has set: a user's variable wins. */
static int env_make(const struct env_in *in, char ***envp, char *msg, size_t msglen)
{
	const json_t *pod = in->pod, *cspec = in->cspec, *ev;
	const char *ns = k1s_json_str(pod, "metadata.namespace") ?: "default";
	const char *pname = k1s_json_str(pod, "metadata.name") ?: "";
	struct env e = {0}, svc = {0};
	size_t i, total = 0;
	char **out, *p;
	int err = 0;

	for (i = 0; i < in->links->n; i++)
		svc_vars(&svc, in->links->v[i]);
	env_set(&e, "PATH", POD_DEFAULT_PATH);
	env_set(&e, "HOSTNAME", pname);
	if (in->echo) {
		env_set(&e, "POD_NAME", pname);
		env_set(&e, "POD_NAMESPACE", ns);
		env_set(&e, "POD_IP", in->ip);
		env_set(&e, "NODE_NAME", in->node_name ?: "");
		env_set(&e, "POD_IMAGE", k1s_json_str(cspec, "image") ?: "");
		env_set(&e, "CONTAINER_NAME", k1s_json_str(cspec, "name") ?: "");
	}
	json_array_foreach(k1s_json_path(cspec, "envFrom"), i, ev)
	{
		err = env_from(in->refs, ev, &e, msg, msglen);
		if (err < 0)
			goto out;
	}
	json_array_foreach(k1s_json_path(cspec, "env"), i, ev)
	{
		const char *name = k1s_json_str(ev, "name");
		const json_t *vf = json_object_get(ev, "valueFrom");
		char buf[256], *v = NULL;

		if (!name)
			continue;
		if (vf) {
			const json_t *r;

			if ((r = json_object_get(vf, "fieldRef"))) {
				v = strdup(field_ref(in->node_ip, pod,
				                     k1s_json_str(r, "fieldPath") ?: "", in->ip, buf,
				                     sizeof(buf)));
			} else if ((r = json_object_get(vf, "resourceFieldRef"))) {
				v = strdup(resource_ref(pod, cspec, r, buf, sizeof(buf)));
			} else if ((r = json_object_get(vf, "configMapKeyRef")) ||
			           (r = json_object_get(vf, "secretKeyRef"))) {
				err = key_ref(in->refs, ns, r,
				              json_object_get(vf, "secretKeyRef") != NULL, &v, msg,
				              msglen);
				if (err < 0)
					goto out;
				if (err == 1) {
					err = 0;
					continue;
				}
			}
		} else {
			v = expand(k1s_json_str(ev, "value") ?: "", &e, &svc);
		}
		if (v)
			env_set(&e, name, v);
		free(v);
	}
	for (i = 0; i < svc.n; i++)
		if (!env_get(&e, svc.name[i]))
			env_set(&e, svc.name[i], svc.value[i]);
	for (i = 0; i < e.n; i++)
		total += strlen(e.name[i]) + strlen(e.value[i]) + 2;
	out = malloc((e.n + 1) * sizeof(char *) + total);
	if (!out) {
		err = -ENOMEM;
		goto out;
	}
	p = (char *)(out + e.n + 1);
	for (i = 0; i < e.n; i++) {
		out[i] = p;
		p += sprintf(p, "%s=%s", e.name[i], e.value[i]) + 1;
	}
	out[e.n] = NULL;
	*envp = out;
out:
	env_fini(&e);
	env_fini(&svc);
	return err;
}

int pod_env_build(struct pod_rt *rt, const json_t *pod, const json_t *cspec, const char *ip,
                  bool echo_app, char ***envp, char *msg, size_t msglen)
{
	struct pod_links *links;
	struct env_in in;
	int err;

	/* A runtime keeps its copy (adopting many pods lists the Services
	 * once); a caller without a loop gets one for this build. */
	if (!rt->links && rt->loop)
		rt->links = pod_links_new(rt->st);
	links = rt->links ?: pod_links_new(rt->st);
	if (!links)
		return -ENOMEM;
	err = env_in_make(rt, links, pod, cspec, ip, echo_app, &in, msg, msglen);
	if (err == 0) {
		err = env_make(&in, envp, msg, msglen);
		env_in_fini(&in);
	}
	if (links != rt->links)
		pod_links_free(links);
	return err;
}

void pod_env_free(char **envp)
{
	free(envp);
}

/* ---- built on the worker ---- */

struct pod_env_job {
	struct pod_ctr *c; /* NULL once the container is gone */
	pod_env_ready_fn ready;
	struct env_in in;
	bool done;
	int err;
	char **envp;
	char msg[512];
};

static void job_run(void *arg)
{
	struct pod_env_job *j = arg;

	j->err = env_make(&j->in, &j->envp, j->msg, sizeof(j->msg));
}

static void job_free(struct pod_env_job *j)
{
	env_in_fini(&j->in);
	pod_env_free(j->envp);
	free(j);
}

static void job_done(void *arg)
{
	struct pod_env_job *j = arg;
	struct pod_ctr *c = j->c;

	env_in_fini(&j->in);
	j->in = (struct env_in){0};
	j->done = true;
	if (!c || k1s_work_cancelled(c->p->rt->work)) {
		if (c)
			c->env_job = NULL;
		job_free(j);
		return;
	}
	j->ready(c);
}

int pod_env_take(struct pod_ctr *c, const json_t *cspec, bool echo_app, pod_env_ready_fn ready,
                 char ***envp, char *msg, size_t msglen)
{
	struct pod_run *p = c->p;
	struct pod_rt *rt = p->rt;
	struct pod_env_job *j = c->env_job;
	int err;

	if (j) {
		if (!j->done)
			return -EINPROGRESS;
		c->env_job = NULL;
		err = j->err;
		if (err < 0)
			snprintf(msg, msglen, "%s", j->msg);
		else
			*envp = j->envp;
		j->envp = NULL;
		job_free(j);
		return err;
	}
	if (!rt->links && !(rt->links = pod_links_new(rt->st)))
		return -ENOMEM;
	if (!rt->work && !(rt->work = k1s_work_new(rt->loop)))
		return -ENOMEM;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->c = c;
	j->ready = ready;
	err = env_in_make(rt, rt->links, p->obj, cspec, p->ip, echo_app, &j->in, msg, msglen);
	if (err == 0 && (err = k1s_work_queue(rt->work, job_run, job_done, j)) < 0) {
		snprintf(msg, msglen, "%s", strerror(-err));
		env_in_fini(&j->in);
	}
	if (err < 0) {
		free(j);
		return err;
	}
	c->env_job = j;
	return -EINPROGRESS;
}

void pod_env_cancel(struct pod_ctr *c)
{
	struct pod_env_job *j = c->env_job;

	if (!j)
		return;
	c->env_job = NULL;
	if (j->done)
		job_free(j);
	else
		j->c = NULL; /* freed when the worker hands it back */
}

void pod_env_fini(struct pod_rt *rt)
{
	k1s_work_free(rt->work);
	rt->work = NULL;
	pod_links_free(rt->links);
	rt->links = NULL;
}
