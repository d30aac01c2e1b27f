/* Routing tables from arbitrary Ingresses, and requests routed through
 * them. The input is a JSON array: an Ingress (or a world of
 * {"ingresses", "classes", "services", "endpoints", "config"}), then
 * requests as strings "host path?query", each routed from 10.0.0.1 over
 * plain HTTP and over TLS. Services "a" and "b" (port 80, named "http")
 * have an endpoint each, so that paths reach backends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ing_route.h"

static const char base[] =
	"{\"default/a\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"a\"},"
	"\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":80}]}},"
	"\"default/b\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"b\"},"
	"\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":80}]}}}";
static const char base_eps[] =
	"{\"default/a\":{\"subsets\":[{\"addresses\":[{\"ip\":\"10.244.0.1\"}],"
	"\"ports\":[{\"name\":\"http\",\"port\":8080}]}]},"
	"\"default/b\":{\"subsets\":[{\"addresses\":[{\"ip\":\"10.244.0.2\"}],"
	"\"ports\":[{\"name\":\"http\",\"port\":8080}]}]}}";

static void count(void *arg, const char *ns, const char *name, const char *reason,
		  const char *message)
{
	(*(size_t *)arg) += strlen(ns) + strlen(name) + strlen(reason) + strlen(message);
}

static const json_t *part(const json_t *w, const char *key, const json_t *dflt)
{
	const json_t *v = json_object_get(w, key);

	return json_is_object(v) ? v : dflt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = json_loadb((const char *)data, size, 0, NULL);
	json_t *svcs = json_loads(base, 0, NULL), *eps = json_loads(base_eps, 0, NULL);
	json_t *one = json_object(), *none = json_object();
	const json_t *first = json_array_get(in, 0);
	struct ing_world w;
	struct ing_table *t;
	size_t warned = 0, i;
	const json_t *rq;
	char buf[2048];

	if (json_object_get(first, "spec") || json_object_get(first, "metadata")) {
		json_object_set(one, "default/x", (json_t *)first);
		w = (struct ing_world){one, none, svcs, eps, NULL};
	} else {
		w = (struct ing_world){part(first, "ingresses", none), part(first, "classes", none),
				       part(first, "services", svcs), part(first, "endpoints", eps),
				       part(first, "config", NULL)};
	}
	t = ing_table_build(&w, count, &warned);
	json_array_foreach(in, i, rq) {
		const char *s = json_string_value(rq);
		const char *sp, *q;
		struct ing_route r;
		size_t n;

		if (!t || i == 0 || !s)
			continue;
		n = json_string_length(rq);
		sp = memchr(s, ' ', n);
		if (!sp)
			continue;
		q = memchr(sp + 1, '?', n - (size_t)(sp + 1 - s));
		for (int tls = 0; tls < 2; tls++) {
			struct ing_str host = {s, (size_t)(sp - s)};
			struct ing_str path = {sp + 1, (size_t)((q ? q : s + n) - (sp + 1))};
			struct ing_str query = {q ? q + 1 : "", q ? (size_t)(s + n - q - 1) : 0};

			ing_table_route(t, host, path, query, 0x0100000a, tls, &r, buf,
					tls ? sizeof(buf) : 16);
			if (r.status == 0 && (!r.be || !r.be->nep || !r.conf))
				abort();
			if (r.target.n >= (tls ? sizeof(buf) : 16))
				abort();
		}
	}
	ing_table_free(t);
	json_decref(in);
	json_decref(svcs);
	json_decref(eps);
	json_decref(one);
	json_decref(none);
	return 0;
}
