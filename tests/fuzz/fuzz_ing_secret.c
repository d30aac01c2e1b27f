/* A Secret named by a tls section, decoded, checked and given to hosts
 * (ing_secret.h), then parsed for the loops (ing_certs.h). The input is
 * a Secret as JSON when it begins with '{'; otherwise tls.crt and tls.key
 * as raw bytes, split at the first NUL, which the target puts in a
 * kubernetes.io/tls Secret in base64, so that PEM and DER reach the
 * parsers unmangled. The Ingress lists host a.test under the Secret and
 * has rules for a.test and x.w.test. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <mbedtls/base64.h>

#include "ing_certs.h"
#include "ing_secret.h"

static const char ingress[] =
	"{\"default/web\":{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\","
	"\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{\"ingressClassName\":"
	"\"nginx\",\"tls\":[{\"hosts\":[\"a.test\"],\"secretName\":\"s\"}],"
	"\"rules\":[{\"host\":\"a.test\"},{\"host\":\"x.w.test\"}]}}}";

static json_t *b64(const uint8_t *p, size_t n)
{
	size_t olen = 0;
	unsigned char *out;
	json_t *s;

	mbedtls_base64_encode(NULL, 0, &olen, p, n);
	out = malloc(olen + 1);
	if (!out || mbedtls_base64_encode(out, olen + 1, &olen, p, n) != 0) {
		free(out);
		return json_string("");
	}
	s = json_stringn((const char *)out, olen);
	free(out);
	return s;
}

static const json_t *get(void *arg, const char *key)
{
	return strcmp(key, "default/s") == 0 ? arg : NULL;
}

static void count(void *arg, const char *ns, const char *name, const char *reason,
		  const char *message)
{
	(*(size_t *)arg) += strlen(ns) + strlen(name) + strlen(reason) + strlen(message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *secret, *ings = json_loads(ingress, 0, NULL), *classes = json_object();
	json_t *named = json_object();
	struct ing_world w = {ings, classes, NULL, NULL, NULL};
	struct ing_keypair kp;
	struct ing_certs *c;
	size_t warned = 0;
	char err[320];

	if (size && data[0] == '{') {
		secret = json_loadb((const char *)data, size, 0, NULL);
	} else {
		const uint8_t *nul = memchr(data, 0, size);
		size_t crt_len = nul ? (size_t)(nul - data) : size;

		secret = json_pack("{s:s,s:{s:o,s:o}}", "type", "kubernetes.io/tls", "data",
				   "tls.crt", b64(data, crt_len), "tls.key",
				   b64(nul ? nul + 1 : data + size,
				       nul ? size - crt_len - 1 : 0));
	}
	if (ing_secret_keypair(secret, "default/s", &kp, err, sizeof(err)) == 0) {
		if (!kp.crt_len || !kp.key_len)
			abort();	/* an empty PEM passed the check */
		ing_keypair_wipe(&kp);
	}
	c = ing_secret_certs(&w, get, secret, NULL, named, count, &warned, 2);
	if (c && ing_certs_count(c) > 2)
		abort();
	ing_certs_free(c);
	json_decref(secret);
	json_decref(ings);
	json_decref(classes);
	json_decref(named);
	return 0;
}
