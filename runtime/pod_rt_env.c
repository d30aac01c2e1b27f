/* A container's environment, built as the kubelet builds it: the service
 * variables of the pod's namespace (docker-link style), envFrom, env with
 * $(VAR) expansion and valueFrom (fieldRef, resourceFieldRef,
 * configMapKeyRef, secretKeyRef), and PATH and HOSTNAME as a container
 * runtime adds them. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k1s_json.h"
#include "pod_rt_int.h"
#include "st.h"

#define POD_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct env {
	char **name, **value;
	size_t n, cap;
};

static const char *env_getn(const struct env *e, const char *name, size_t len)
{
	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->name[i], name, len) == 0 && e->name[i][len] == '\0')
			return e->value[i];
	return NULL;
}

static const char *env_get(const struct env *e, const char *name)
{
	return env_getn(e, name, strlen(name));
}

static int env_setn(struct env *e, const char *name, const char *value, size_t vlen)
{
	char *v = strndup(value, vlen);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < e->n; i++) {
		if (strcmp(e->name[i], name) == 0) {
			free(e->value[i]);
			e->value[i] = v;
			return 0;
		}
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		char **nn = realloc(e->name, cap * sizeof(*nn));

		if (nn)
			e->name = nn;
		char **nv = nn ? realloc(e->value, cap * sizeof(*nv)) : NULL;

		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		e->value = nv;
		e->cap = cap;
	}
	e->name[e->n] = strdup(name);
	if (!e->name[e->n]) {
		free(v);
		return -ENOMEM;
	}
	e->value[e->n++] = v;
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

/* The variables of one service, as envvars.FromServices makes them. */
static void svc_vars(struct env *e, const json_t *svc)
{
	const char *ip = k1s_json_str(svc, "spec.clusterIP");
	const json_t *ports = k1s_json_path(svc, "spec.ports"), *p;
	char pre[300], name[400], val[400];
	size_t i;

	if (!ip || !*ip || strcmp(ip, "None") == 0)
		return;
	svc_var_name(pre, sizeof(pre), k1s_json_str(svc, "metadata.name") ?: "");
	snprintf(name, sizeof(name), "%s_SERVICE_HOST", pre);
	env_set(e, name, ip);
	json_array_foreach(ports, i, p)
	{
		long long port = json_integer_value(json_object_get(p, "port"));
		const char *pname = k1s_json_str(p, "name");
		const char *proto = k1s_json_str(p, "protocol") ?: "TCP";
		char lproto[16], uproto[16];
		size_t k;

		for (k = 0; proto[k] && k < sizeof(lproto) - 1; k++) {
			lproto[k] = (char)tolower((unsigned char)proto[k]);
			uproto[k] = (char)toupper((unsigned char)proto[k]);
		}
		lproto[k] = uproto[k] = '\0';
		snprintf(val, sizeof(val), "%lld", port);
		if (i == 0) {
			snprintf(name, sizeof(name), "%s_SERVICE_PORT", pre);
			env_set(e, name, val);
		}
		if (pname && *pname) {
			char up[256];

			svc_var_name(up, sizeof(up), pname);
			snprintf(name, sizeof(name), "%s_SERVICE_PORT_%s", pre, up);
			env_set(e, name, val);
		}
	}
	json_array_foreach(ports, i, p)
	{
		long long port = json_integer_value(json_object_get(p, "port"));
		const char *proto = k1s_json_str(p, "protocol") ?: "TCP";
		char lproto[16], uproto[16], pp[400];
		size_t k;

		for (k = 0; proto[k] && k < sizeof(lproto) - 1; k++) {
			lproto[k] = (char)tolower((unsigned char)proto[k]);
			uproto[k] = (char)toupper((unsigned char)proto[k]);
		}
		lproto[k] = uproto[k] = '\0';
		snprintf(val, sizeof(val), "%s://%s:%lld", lproto, ip, port);
		if (i == 0) {
			snprintf(name, sizeof(name), "%s_PORT", pre);
			env_set(e, name, val);
		}
		snprintf(pp, sizeof(pp), "%s_PORT_%lld_%s", pre, port, uproto);
		env_set(e, pp, val);
		snprintf(name, sizeof(name), "%s_PROTO", pp);
		env_set(e, name, lproto);
		snprintf(name, sizeof(name), "%s_PORT", pp);
		snprintf(val, sizeof(val), "%lld", port);
		env_set(e, name, val);
		snprintf(name, sizeof(name), "%s_ADDR", pp);
		env_set(e, name, ip);
	}
}

static int svc_one(void *arg, const json_t *svc)
{
	svc_vars(arg, svc);
	return 0;
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

static const char *field_ref(struct pod_rt *rt, const json_t *pod, const char *path, const char *ip,
                             char *buf, size_t len)
{
	char key[256];

	if (strcmp(path, "metadata.name") == 0 || strcmp(path, "metadata.namespace") == 0 ||
	    strcmp(path, "metadata.uid") == 0 || strcmp(path, "spec.nodeName") == 0 ||
	    strcmp(path, "spec.serviceAccountName") == 0)
		return k1s_json_str(pod, path) ?: "";
	if (strcmp(path, "status.podIP") == 0 || strcmp(path, "status.podIPs") == 0)
		return ip ?: "";
	if (strcmp(path, "status.hostIP") == 0 || strcmp(path, "status.hostIPs") == 0)
		return rt->cfg.node_ip ?: "";
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

/* A key of a ConfigMap or Secret. 0 and *out (malloc'd), 1 when absent
 * but optional, -ENOENT with msg. */
static int key_ref(struct pod_rt *rt, const char *ns, const json_t *ref, bool secret, char **out,
                   char *msg, size_t msglen)
{
	const char *name = k1s_json_str(ref, "name") ?: "";
	const char *key = k1s_json_str(ref, "key") ?: "";
	bool optional = json_is_true(json_object_get(ref, "optional"));
	json_t *obj = NULL;
	const char *v;
	int err;

	err = st_get(rt->st, secret ? "secrets" : "configmaps", ns, name, &obj);
	if (err < 0) {
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
		json_decref(obj);
		return *out ? 0 : -ENOMEM;
	}
	if (!v) {
		json_decref(obj);
		if (optional)
			return 1;
		snprintf(msg, msglen, "couldn't find key %s in %s %s/%s", key,
		         secret ? "Secret" : "ConfigMap", ns, name);
		return -ENOENT;
	}
	*out = strdup(v);
	json_decref(obj);
	return *out ? 0 : -ENOMEM;
}

static int env_from(struct pod_rt *rt, const char *ns, const json_t *src, struct env *e, char *msg,
                    size_t msglen)
{
	const char *prefix = k1s_json_str(src, "prefix") ?: "";
	const json_t *ref = json_object_get(src, "configMapRef");
	bool secret = false;
	const char *name;
	json_t *obj = NULL, *data, *v;
	const char *k;

	if (!ref) {
		ref = json_object_get(src, "secretRef");
		secret = true;
	}
	if (!ref)
		return 0;
	name = k1s_json_str(ref, "name") ?: "";
	if (st_get(rt->st, secret ? "secrets" : "configmaps", ns, name, &obj) < 0) {
		if (json_is_true(json_object_get(ref, "optional")))
			return 0;
		snprintf(msg, msglen, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
		return -ENOENT;
	}
	data = json_object_get(obj, "data");
	json_object_foreach(data, k, v)
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
	json_decref(obj);
	return 0;
}

int pod_env_build(struct pod_rt *rt, const json_t *pod, const json_t *cspec, const char *ip,
                  bool echo_app, char ***envp, char *msg, size_t msglen)
{
	const char *ns = k1s_json_str(pod, "metadata.namespace") ?: "default";
	const char *pname = k1s_json_str(pod, "metadata.name") ?: "";
	struct env e = {0}, svc = {0};
	const json_t *ev;
	json_t *kube = NULL;
	size_t i, total = 0;
	char **out, *p;
	int err = 0;

	/* Services of the namespace (unless the pod opts out), and always the
	 * API server's own `kubernetes` service. */
	if (!json_is_false(k1s_json_path(pod, "spec.enableServiceLinks")))
		st_list(rt->st, "services", ns, NULL, NULL, 0, svc_one, &svc, NULL);
	if (st_get(rt->st, "services", "default", "kubernetes", &kube) == 0) {
		if (!env_get(&svc, "KUBERNETES_SERVICE_HOST"))
			svc_vars(&svc, kube);
		json_decref(kube);
	}
	env_set(&e, "PATH", POD_DEFAULT_PATH);
	env_set(&e, "HOSTNAME", pname);
	if (echo_app) {
		env_set(&e, "POD_NAME", pname);
		env_set(&e, "POD_NAMESPACE", ns);
		env_set(&e, "POD_IP", ip ?: "");
		env_set(&e, "NODE_NAME", rt->cfg.node_name ?: "");
		env_set(&e, "POD_IMAGE", k1s_json_str(cspec, "image") ?: "");
		env_set(&e, "CONTAINER_NAME", k1s_json_str(cspec, "name") ?: "");
	}
	json_array_foreach(k1s_json_path(cspec, "envFrom"), i, ev)
	{
		err = env_from(rt, ns, ev, &e, msg, msglen);
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
				v = strdup(field_ref(rt, pod, k1s_json_str(r, "fieldPath") ?: "",
				                     ip, buf, sizeof(buf)));
			} else if ((r = json_object_get(vf, "resourceFieldRef"))) {
				v = strdup(resource_ref(pod, cspec, r, buf, sizeof(buf)));
			} else if ((r = json_object_get(vf, "configMapKeyRef")) ||
			           (r = json_object_get(vf, "secretKeyRef"))) {
				err =
				    key_ref(rt, ns, r, json_object_get(vf, "secretKeyRef") != NULL,
				            &v, msg, msglen);
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

void pod_env_free(char **envp)
{
	free(envp);
}
