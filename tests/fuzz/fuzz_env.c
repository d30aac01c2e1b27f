/* A container's environment, with $(VAR) expansion in its values, built
 * by the runtime from a pod whose env comes from the input: one line
 * NAME=VALUE per variable (a line without '=' is skipped; the first byte's
 * low bit asks for the echo app's variables). The result must be what
 * the kubelet makes: each value expanded by Kubernetes' rules
 * (third_party/forked/golang/expansion/expand.go) over the variables
 * defined before it, a later definition replacing an earlier value in
 * place. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "pod_rt_int.h"
#include "st.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VARS 64

struct vars {
	char *name[MAX_VARS + 16], *value[MAX_VARS + 16];
	size_t n;
};

static struct st *st;
static char dir[] = "/tmp/fuzz_env.XXXXXX";

static void drop_store(void)
{
	char path[64];

	st_close(st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		fprintf(stderr, "fuzz_env: %s failed\n", path);
}

static size_t vars_find(const struct vars *v, const char *name, size_t len)
{
	for (size_t i = 0; i < v->n; i++)
		if (strlen(v->name[i]) == len && memcmp(v->name[i], name, len) == 0)
			return i;
	return v->n;
}

static void vars_set(struct vars *v, const char *name, char *value)
{
	size_t i = vars_find(v, name, strlen(name));

	if (i < v->n) {
		free(v->value[i]);
	} else {
		v->name[v->n++] = strdup(name);
	}
	v->value[i] = value;
}

/* Go's Expand with MappingFuncFor(defined): the reference. */
static char *go_expand(const char *in, const struct vars *v)
{
	size_t len = strlen(in), cap = len + 1, o = 0, checkpoint = 0;
	char *out = malloc(cap);

#define PUT(p, n)                                                                                  \
	do {                                                                                       \
		size_t n_ = (n);                                                                   \
		if (o + n_ + 1 > cap) {                                                            \
			cap = (o + n_ + 1) * 2;                                                    \
			out = realloc(out, cap);                                                   \
		}                                                                                  \
		memcpy(out + o, (p), n_);                                                          \
		o += n_;                                                                           \
	} while (0)
	for (size_t cur = 0; cur < len; cur++) {
		const char *rest;
		size_t advance = 1;

		if (in[cur] != '$' || cur + 1 >= len)
			continue;
		PUT(in + checkpoint, cur - checkpoint);
		rest = in + cur + 1;
		if (rest[0] == '$') {
			PUT("$", 1);
		} else if (rest[0] == '(') {
			const char *close = strchr(rest + 1, ')');

			if (close) {
				size_t n = (size_t)(close - rest - 1),
				       i = vars_find(v, rest + 1, n);

				if (i < v->n)
					PUT(v->value[i], strlen(v->value[i]));
				else
					PUT(rest - 1, n + 3);
				advance = n + 2;
			} else {
				PUT("$(", 2);
			}
		} else {
			PUT(rest - 1, 2);
		}
		cur += advance;
		checkpoint = cur + 1;
	}
	PUT(in + checkpoint, len - checkpoint);
#undef PUT
	out[o] = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pod_rt rt = {.cfg = {.node_name = "k1s"}};
	json_t *pod, *cspec, *env;
	struct vars want = {.n = 0};
	char *text, *line, *save = NULL, msg[256], **envp = NULL;
	bool echo = size && (data[0] & 1);
	size_t i;

	if (!st) {
		int err;

		if (!mkdtemp(dir) || !(st = st_open(dir, NULL, &err)))
			abort();
		atexit(drop_store);
	}
	rt.st = st;
	text = malloc(size + 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';
	pod = json_pack("{s:{s:s,s:s},s:{s:b}}", "metadata", "namespace", "default", "name", "p",
	                "spec", "enableServiceLinks", 0);
	env = json_array();
	cspec = json_pack("{s:s,s:s,s:o}", "name", "c", "image", "busybox", "env", env);
	vars_set(&want, "PATH",
	         strdup("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	vars_set(&want, "HOSTNAME", strdup("p"));
	if (echo) {
		vars_set(&want, "POD_NAME", strdup("p"));
		vars_set(&want, "POD_NAMESPACE", strdup("default"));
		vars_set(&want, "POD_IP", strdup("10.244.0.9"));
		vars_set(&want, "NODE_NAME", strdup("k1s"));
		vars_set(&want, "POD_IMAGE", strdup("busybox"));
		vars_set(&want, "CONTAINER_NAME", strdup("c"));
	}
	/* Lines up to the first NUL: the API's strings have none. */
	for (line = strtok_r(text + (size ? 1 : 0), "\n", &save); line && want.n < MAX_VARS;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		json_t *e;

		if (!eq || eq == line)
			continue;
		*eq = '\0';
		e = json_pack("{s:s%,s:s%}", "name", line, strlen(line), "value", eq + 1,
		              strlen(eq + 1));
		if (!e)
			continue; /* not UTF-8: never in a stored object */
		json_array_append_new(env, e);
		vars_set(&want, line, go_expand(eq + 1, &want));
	}
	if (pod_env_build(&rt, pod, cspec, "10.244.0.9", echo, &envp, msg, sizeof(msg)) != 0)
		abort();
	for (i = 0; envp[i]; i++) {
		size_t nl = i < want.n ? strlen(want.name[i]) : 0;

		if (i >= want.n || strncmp(envp[i], want.name[i], nl) != 0 || envp[i][nl] != '=' ||
		    strcmp(envp[i] + nl + 1, want.value[i]) != 0) {
			fprintf(stderr, "got %s, want %s=%s\n", envp[i],
			        i < want.n ? want.name[i] : "", i < want.n ? want.value[i] : "");
			abort();
		}
	}
	if (i != want.n)
		abort();
	pod_env_free(envp);
	for (i = 0; i < want.n; i++) {
		free(want.name[i]);
		free(want.value[i]);
	}
	json_decref(pod);
	json_decref(cspec);
	free(text);
	return 0;
}
