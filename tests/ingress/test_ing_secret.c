/* The Secrets of tls sections, with certificates and keys made by the
 * openssl command: what a Secret must hold to be served (as ingress-nginx
 * reads it), which host gets which Secret, and the control side over a
 * real store: a missing or bad Secret gives a Warning event on the Ingress
 * and the host no certificate of its own; a good one, an entry; a change
 * of a named Secret builds anew, a change of another does not; and what
 * curl and openssl s_client then meet on the ingress's ports. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <mbedtls/base64.h>

#include "../fakes/fake_writer.h"
#include "../fakes/loopback.h"
#include "../fakes/pub_sync.h"
#include "ing.h"
#include "ing_certs.h"
#include "ing_int.h"
#include "ing_secret.h"
#include "k1s_loop.h"

static char dir[64];

/* Keys and certificates, as base64 of their PEM (what Secret data holds):
 * a.test (also *.w.test) and a second certificate of its key, a key
 * that is not its, other.test's, and an RSA pair for a.test. */
enum { A_CRT, A2_CRT, A_KEY, B_KEY, O_CRT, O_KEY, R_CRT, R_KEY, NPEM };
static const char *const pem_files[NPEM] = {"a.crt", "a2.crt", "a.key", "b.key",
					     "o.crt", "o.key", "r.crt", "r.key"};
static char *b64[NPEM];

static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

static char *file_b64(const char *name)
{
	char path[128], buf[8192];
	unsigned char *out;
	size_t n, olen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	mbedtls_base64_encode(NULL, 0, &olen, (unsigned char *)buf, n);
	out = malloc(olen + 1);
	assert_int_equal(mbedtls_base64_encode(out, olen + 1, &olen, (unsigned char *)buf, n), 0);
	out[olen] = 0;
	return (char *)out;
}

static int group_setup(void **state)
{
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256";

	(void)state;
	if (system("command -v openssl >/dev/null 2>&1") != 0)
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/test_ing_secret.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	sh("cd %s && openssl req -x509 %s -nodes -days 2 -subj /CN=a.test "
	   "-addext subjectAltName=DNS:a.test,DNS:*.w.test -keyout a.key -out a.crt 2>/dev/null",
	   dir, ec);
	sh("cd %s && openssl req -x509 -key a.key -days 3 -subj /CN=a.test "
	   "-addext subjectAltName=DNS:a.test -out a2.crt 2>/dev/null", dir);
	sh("cd %s && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out b.key",
	   dir);
	sh("cd %s && openssl req -x509 %s -nodes -days 2 -subj /CN=other.test "
	   "-addext subjectAltName=DNS:other.test -keyout o.key -out o.crt 2>/dev/null", dir, ec);
	sh("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=a.test "
	   "-addext subjectAltName=DNS:a.test -keyout r.key -out r.crt 2>/dev/null", dir);
	for (int i = 0; i < NPEM; i++)
		b64[i] = file_b64(pem_files[i]);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NPEM; i++)
		free(b64[i]);
	sh("rm -rf %s", dir);
	return 0;
}

/* A Secret in namespace default; data keys and values in pairs, NULL
 * ended. */
static json_t *secret(const char *name, const char *type, ...)
{
	json_t *data = json_object();
	const char *k;
	va_list ap;

	va_start(ap, type);
	while ((k = va_arg(ap, const char *)))
		json_object_set_new(data, k, json_string(va_arg(ap, const char *)));
	va_end(ap);
	return json_pack("{s:{s:s,s:s},s:s,s:o}", "metadata", "name", name, "namespace",
			 "default", "type", type, "data", data);
}

static int keypair(json_t *s, char *err, size_t errlen)
{
	struct ing_keypair kp;
	int r = ing_secret_keypair(s, "default/s", &kp, err, errlen);

	if (r == 0) {
		assert_non_null(strstr(kp.crt, "-----BEGIN CERTIFICATE-----"));
		assert_non_null(strstr(kp.key, "PRIVATE KEY-----"));
		assert_int_equal(strlen(kp.crt), kp.crt_len);
	} else {
		assert_null(kp.crt);
		assert_null(kp.key);
	}
	ing_keypair_wipe(&kp);
	json_decref(s);
	return r;
}

/* backend_ssl.go getPemCertificate(): any type with tls.crt and tls.key
 * whose key is the certificate's; its words for the rest. */
static void test_keypair(void **state)
{
	char err[320];

	(void)state;
	assert_int_equal(keypair(secret("s", "kubernetes.io/tls", "tls.crt", b64[A_CRT], "tls.key",
					b64[A_KEY], NULL), err, sizeof(err)), 0);
	assert_int_equal(keypair(secret("s", "kubernetes.io/tls", "tls.crt", b64[R_CRT], "tls.key",
					b64[R_KEY], NULL), err, sizeof(err)), 0);
	assert_int_equal(keypair(secret("s", "Opaque", "tls.crt", b64[A_CRT], "tls.key",
					b64[A_KEY], NULL), err, sizeof(err)), 0);

	assert_int_equal(keypair(secret("s", "kubernetes.io/tls", "tls.crt", b64[A_CRT], "tls.key",
					b64[B_KEY], NULL), err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, "unexpected error creating SSL Cert: ", 36) == 0);
	assert_int_equal(keypair(secret("s", "kubernetes.io/basic-auth", "username", "YQ==",
					"password", "Yg==", NULL), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "secret \"default/s\" contains no keypair or CA certificate");
	assert_int_equal(keypair(secret("s", "Opaque", "tls.crt", b64[A_CRT], NULL), err,
				 sizeof(err)), -EINVAL);
	assert_string_equal(err, "key 'tls.key' missing from Secret \"default/s\"");
	assert_int_equal(keypair(secret("s", "kubernetes.io/tls", "tls.crt", "not base64!",
					"tls.key", b64[A_KEY], NULL), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "key 'tls.crt' of Secret \"default/s\": illegal base64 data");
	/* PEM that does not parse, and nothing at all */
	assert_int_equal(keypair(secret("s", "kubernetes.io/tls", "tls.crt",
					"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmdhcmJhZ2UK",
					"tls.key", b64[A_KEY], NULL), err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, "unexpected error creating SSL Cert: ", 36) == 0);
	assert_int_equal(keypair(secret("s", "kubernetes.io/tls", "tls.crt", "", "tls.key", "",
					NULL), err, sizeof(err)), -EINVAL);
	assert_int_equal(keypair(json_pack("{s:{s:i}}", "data", "tls.crt", 5), err, sizeof(err)),
			 -EINVAL);
}

/* ---- which host gets which Secret ---- */

static json_t *world_secrets;
static char warned[4096];

static const json_t *get_secret(void *arg, const char *key)
{
	(void)arg;
	return json_object_get(world_secrets, key);
}

static void on_warn(void *arg, const char *ns, const char *name, const char *reason,
		    const char *message)
{
	size_t n = strlen(warned);

	(void)arg;
	snprintf(warned + n, sizeof(warned) - n, "%s/%s %s: %s\n", ns, name, reason, message);
}

/* An Ingress of class nginx created at second `age`: tls entries as
 * "secret:host,host;secret:host", rule hosts space separated. */
static void ingress(json_t *ings, const char *name, int age, const char *tls,
		    const char *hosts)
{
	json_t *t = json_array(), *rules = json_array();
	char buf[512], *save, *e, key[128], ts[64];

	snprintf(buf, sizeof(buf), "%s", tls);
	for (e = strtok_r(buf, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(e, ':'), *h, *s2;
		json_t *hl = json_array();

		*colon = 0;
		for (h = strtok_r(colon + 1, ",", &s2); h; h = strtok_r(NULL, ",", &s2))
			json_array_append_new(hl, json_string(h));
		json_array_append_new(t, json_pack("{s:o,s:s}", "hosts", hl, "secretName", e));
	}
	snprintf(buf, sizeof(buf), "%s", hosts);
	for (e = strtok_r(buf, " ", &save); e; e = strtok_r(NULL, " ", &save))
		json_array_append_new(rules, json_pack("{s:s}", "host", e));
	snprintf(ts, sizeof(ts), "2026-01-01T00:00:%02dZ", age);
	snprintf(key, sizeof(key), "default/%s", name);
	json_object_set_new(ings, key,
			    json_pack("{s:{s:s,s:s,s:s},s:{s:s,s:o,s:o}}", "metadata", "name",
				      name, "namespace", "default", "creationTimestamp", ts, "spec",
				      "ingressClassName", "nginx", "tls", t, "rules", rules));
}

static void put_secret(json_t *s)
{
	char key[128];

	snprintf(key, sizeof(key), "default/%s", k1s_json_str(s, "metadata.name"));
	json_object_set_new(world_secrets, key, s);
}

static bool has(const struct ing_certs *c, const char *host)
{
	return ing_certs_has(c, host, strlen(host)) != 0;
}

/* controller.go createServers() and extractTLSSecretName() */
static void test_hosts(void **state)
{
	json_t *ings = json_object(), *named = json_object();
	struct ing_world w = {.ingresses = ings, .classes = json_object()};
	struct ing_certs *c;

	(void)state;
	world_secrets = json_object();
	warned[0] = 0;
	put_secret(secret("good", "kubernetes.io/tls", "tls.crt", b64[A_CRT], "tls.key",
			  b64[A_KEY], NULL));
	put_secret(secret("other", "kubernetes.io/tls", "tls.crt", b64[O_CRT], "tls.key",
			  b64[O_KEY], NULL));
	put_secret(secret("bad", "kubernetes.io/tls", "tls.crt", b64[A_CRT], "tls.key",
			  b64[B_KEY], NULL));
	/* the tls entry that lists the host; a rule host it does not list
	 * takes a Secret whose certificate covers it */
	ingress(ings, "one", 1, "good:A.test", "a.test x.w.test");
	/* a host the certificate does not cover: the default certificate */
	ingress(ings, "wrong", 2, "other:b.test", "b.test");
	/* missing and bad Secrets */
	ingress(ings, "missing", 3, "nope:m.test", "m.test");
	ingress(ings, "mismatch", 4, "bad:a.test;bad:n.test", "n.test");
	/* an older Ingress has configured other.test: a newer one's Secret is
	 * not used */
	ingress(ings, "first", 5, ":other.test", "other.test");
	ingress(ings, "second", 6, "other:other.test", "other.test");
	/* a tls host without a rule, and a rule without a host */
	ingress(ings, "norule", 7, "other:lonely.test", "");
	c = ing_secret_certs(&w, get_secret, NULL, NULL, named, on_warn, NULL, 2);
	assert_non_null(c);
	assert_true(has(c, "a.test"));
	assert_true(has(c, "x.w.test"));
	assert_false(has(c, "b.test"));
	assert_false(has(c, "m.test"));
	assert_false(has(c, "n.test"));
	assert_false(has(c, "other.test"));
	assert_false(has(c, "lonely.test"));
	assert_int_equal(ing_certs_count(c), 2);
	assert_non_null(strstr(warned,
		"default/wrong CertificateHostMismatch: SSL certificate \"default/other\" does not "
		"contain a Common Name or Subject Alternative Name for server \"b.test\". Using "
		"default certificate\n"));
	assert_non_null(strstr(warned,
		"default/missing SecretNotFound: Error getting SSL certificate \"default/nope\": "
		"local SSL certificate default/nope was not found. Using default certificate\n"));
	assert_non_null(strstr(warned,
		"default/mismatch InvalidSecret: Error obtaining X.509 certificate: unexpected "
		"error creating SSL Cert: "));
	/* each asked for once, and so named */
	assert_non_null(json_object_get(named, "default/good"));
	assert_non_null(json_object_get(named, "default/nope"));
	assert_non_null(json_object_get(named, "default/bad"));
	assert_null(json_object_get(named, "default/lonely"));
	ing_certs_free(c);

	/* an Ingress of another class names nothing and serves nothing */
	json_object_clear(ings);
	json_object_clear(named);
	ingress(ings, "one", 1, "good:a.test", "a.test");
	json_object_set_new(k1s_json_path(json_object_get(ings, "default/one"), "spec"),
			    "ingressClassName", json_string("traefik"));
	c = ing_secret_certs(&w, get_secret, NULL, NULL, named, on_warn, NULL, 1);
	assert_non_null(c);
	assert_false(has(c, "a.test"));
	assert_int_equal(json_object_size(named), 0);
	ing_certs_free(c);
	json_decref(ings);
	json_decref(named);
	json_decref((json_t *)w.classes);
	json_decref(world_secrets);
}

/* Checks kept from build to build follow what the Secrets hold. */
static void test_cache(void **state)
{
	json_t *ings = json_object(), *named = json_object();
	struct ing_world w = {.ingresses = ings, .classes = json_object()};
	struct ing_secret_cache *cache = ing_secret_cache_new();
	struct ing_certs *c;

	(void)state;
	world_secrets = json_object();
	ingress(ings, "one", 1, "s:a.test", "a.test");
	for (int round = 0; round < 5; round++) {
		/* good, mismatched, good, gone, good as Opaque */
		bool want = round != 1 && round != 3;

		if (round == 0 || round == 2)
			put_secret(secret("s", "kubernetes.io/tls", "tls.crt", b64[A_CRT], "tls.key",
					  b64[A_KEY], NULL));
		else if (round == 1)
			put_secret(secret("s", "kubernetes.io/tls", "tls.crt", b64[A_CRT], "tls.key",
					  b64[B_KEY], NULL));
		else if (round == 3)
			json_object_del(world_secrets, "default/s");
		else
			put_secret(secret("s", "Opaque", "tls.crt", b64[A_CRT], "tls.key",
					  b64[A_KEY], NULL));
		/* twice: the second from what the first found */
		for (int again = 0; again < 2; again++) {
			warned[0] = 0;
			c = ing_secret_certs(&w, get_secret, NULL, cache, named, on_warn, NULL, 1);
			assert_non_null(c);
			assert_int_equal(has(c, "a.test"), want);
			assert_int_equal(strstr(warned, "InvalidSecret") != NULL, round == 1);
			assert_int_equal(strstr(warned, "SecretNotFound") != NULL, round == 3);
			ing_certs_free(c);
		}
	}
	ing_secret_cache_free(cache);
	json_decref(ings);
	json_decref(named);
	json_decref((json_t *)w.classes);
	json_decref(world_secrets);
}

/* ---- the control side, over a real store ---- */

struct fx {
	char dir[64];
	int http_port, https_port;
	struct st *st;
	struct k1s_loop *loop;
	struct fake_writer fw;
	struct ing *ing;
};

static void sync_ing(struct fx *fx)
{
	if (pub_sync(fx->loop, &fx->ing->pub) < 0)
		fail_msg("loops did not take the table");
}

static const struct k1s_resource *res(const char *group, const char *name)
{
	return k1s_resource_find(group, name);
}

static void put(struct fx *fx, const struct k1s_resource *r, json_t *obj)
{
	json_t *old = NULL;
	char key[128];

	fw_key(key, sizeof(key), r);
	if (st_get(fx->st, key, "default", k1s_json_str(obj, "metadata.name"), &old) == 0) {
		json_decref(old);
		assert_int_equal(fx->fw.w.update(fx->fw.w.arg, r, obj, false), 0);
	} else {
		assert_int_equal(fx->fw.w.create(fx->fw.w.arg, r, obj), 0);
	}
	json_decref(obj);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	static const char *const listen_on[] = {"127.0.0.1", NULL};
	struct ing_config cfg = {.loops = 2, .address = "192.0.2.80", .listen = listen_on};
	int err = 0;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_ing_secret.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->http_port = cfg.http_port = lo_free_port();
	fx->https_port = cfg.https_port = lo_free_port();
	fx->st = st_open(fx->dir, &(struct st_opts){ST_SYNC_NORMAL, 0}, &err);
	fx->loop = k1s_loop_new();
	fake_writer_init(&fx->fw, fx->st);
	fx->ing = ing_new(fx->st, fx->loop, &fx->fw.w, &cfg, &err);
	if (!fx->st || !fx->loop || !fx->ing)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	ing_free(fx->ing);
	k1s_loop_free(fx->loop);
	st_close(fx->st);
	sh("rm -rf %s", fx->dir);
	free(fx);
	return 0;
}

static bool served(struct fx *fx, const char *host)
{
	const struct ing_snap *s = ing_snap_of(k1s_pub_current(&fx->ing->pub));

	return s && ing_certs_has(s->certs, host, strlen(host));
}

struct count {
	const char *reason, *message;
	int n;
};

static int count_one(void *arg, const json_t *e)
{
	struct count *c = arg;

	if (strcmp(k1s_json_str(e, "type") ?: "", "Warning") == 0 &&
	    strcmp(k1s_json_str(e, "reason") ?: "", c->reason) == 0 &&
	    strcmp(k1s_json_str(e, "involvedObject.name") ?: "", "web") == 0 &&
	    strcmp(k1s_json_str(e, "involvedObject.kind") ?: "", "Ingress") == 0 &&
	    strstr(k1s_json_str(e, "message") ?: "", c->message))
		c->n++;
	return 0;
}

/* Warning events on Ingress web with that reason and words. */
static int count_events(struct st *st, const char *reason, const char *message)
{
	struct count c = {reason, message, 0};
	int64_t rev;

	assert_int_equal(st_list(st, "events", "default", NULL, NULL, 0, count_one, &c, &rev), 0);
	return c.n;
}

static void test_control(void **state)
{
	struct fx *fx = *state;
	const struct k1s_resource *secrets = res("", "secrets");
	uint64_t gen;

	/* myapp.com's Secret is not there yet */
	put(fx, res("networking.k8s.io", "ingresses"),
	    json_pack("{s:{s:s,s:s},s:{s:s,s:[{s:[s],s:s}],s:[{s:s}]}}", "metadata", "name", "web",
		      "namespace", "default", "spec", "ingressClassName", "nginx", "tls", "hosts",
		      "a.test", "secretName", "own-tls", "rules", "host", "a.test"));
	sync_ing(fx);
	assert_false(served(fx, "a.test"));
	assert_int_equal(count_events(fx->st, "SecretNotFound",
				      "local SSL certificate default/own-tls was not found"), 1);

	/* of a type with no keypair */
	put(fx, secrets, secret("own-tls", "kubernetes.io/basic-auth", "username", "YQ==",
				"password", "Yg==", NULL));
	sync_ing(fx);
	assert_false(served(fx, "a.test"));
	assert_int_equal(count_events(fx->st, "InvalidSecret", "contains no keypair"), 1);

	/* a certificate that is not its key's */
	put(fx, secrets, secret("own-tls", "kubernetes.io/tls", "tls.crt", b64[A_CRT], "tls.key",
				b64[B_KEY], NULL));
	sync_ing(fx);
	assert_false(served(fx, "a.test"));
	assert_int_equal(count_events(fx->st, "InvalidSecret", "unexpected error creating"), 1);

	/* good: served */
	put(fx, secrets, secret("own-tls", "kubernetes.io/tls", "tls.crt", b64[A_CRT], "tls.key",
				b64[A_KEY], NULL));
	sync_ing(fx);
	assert_true(served(fx, "a.test"));

	/* a Secret nobody names, or a label on this one: nothing built */
	gen = fx->ing->pub.gen;
	put(fx, secrets, secret("unrelated", "kubernetes.io/tls", "tls.crt", b64[O_CRT],
				"tls.key", b64[O_KEY], NULL));
	sync_ing(fx);
	put(fx, secrets, secret("unrelated", "kubernetes.io/tls", "tls.crt", b64[A_CRT],
				"tls.key", b64[A_KEY], NULL));
	{
		json_t *s = secret("own-tls", "kubernetes.io/tls", "tls.crt", b64[A_CRT], "tls.key",
				   b64[A_KEY], NULL);

		json_object_set_new(json_object_get(s, "metadata"), "labels",
				    json_pack("{s:s}", "a", "b"));
		put(fx, secrets, s);
	}
	sync_ing(fx);
	assert_int_equal(fx->ing->pub.gen, gen);

	/* a new certificate in the named Secret: a new table */
	put(fx, secrets, secret("own-tls", "kubernetes.io/tls", "tls.crt", b64[A2_CRT], "tls.key",
				b64[A_KEY], NULL));
	sync_ing(fx);
	assert_true(fx->ing->pub.gen > gen);
	assert_true(served(fx, "a.test"));

	/* the Secret deleted: the default certificate again */
	gen = fx->ing->pub.gen;
	assert_int_equal(fx->fw.w.remove(fx->fw.w.arg, secrets, "default", "own-tls", NULL, 0), 0);
	sync_ing(fx);
	assert_true(fx->ing->pub.gen > gen);
	assert_false(served(fx, "a.test"));
}

/* What a command prints (stdout and stderr), NUL-terminated. */
static void run(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[1024];
	size_t n = 0;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n < cap - 1 && !feof(p))
		n += fread(out + n, 1, cap - 1 - n, p);
	out[n] = 0;
	pclose(p);
}

/* The serial of the certificate the HTTPS port shows for a server name. */
static void served_serial(struct fx *fx, const char *name, char *out, size_t cap)
{
	run(out, cap,
	    "timeout 10 openssl s_client -connect 127.0.0.1:%d -servername %s </dev/null "
	    "2>/dev/null | openssl x509 -noout -serial -subject 2>&1",
	    fx->https_port, name);
}

/* An open TLS connection: openssl s_client, its input and output. */
struct open_conn {
	pid_t pid;
	int in, out;
};

static void conn_open(struct fx *fx, struct open_conn *c, const char *name)
{
	int in[2], out[2];
	char addr[32], buf[4096] = "";
	size_t n = 0;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", fx->https_port);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	c->pid = fork();
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execlp("openssl", "openssl", "s_client", "-quiet", "-connect", addr, "-servername",
		       name, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in = in[1];
	c->out = out[0];
	/* the handshake is done when the chain has been looked at */
	while (!strstr(buf, "verify return:")) {
		struct pollfd p = {c->out, POLLIN, 0};
		ssize_t k;

		assert_int_equal(poll(&p, 1, 5000), 1);
		k = read(c->out, buf + n, sizeof(buf) - 1 - n);
		assert_true(k > 0);
		n += (size_t)k;
		buf[n] = 0;
	}
}

/* Sends a request on the open connection: the answer from its status
 * line on (s_client's own lines about the chain may come first). */
static const char *conn_request(struct open_conn *c, const char *req, char *out, size_t cap)
{
	const char *st = NULL;
	size_t n = 0;

	assert_int_equal(write(c->in, req, strlen(req)), (ssize_t)strlen(req));
	out[0] = 0;
	while (!(st = strstr(out, "HTTP/1.1 ")) || !strstr(st, "\r\n")) {
		struct pollfd p = {c->out, POLLIN, 0};
		ssize_t k;

		assert_int_equal(poll(&p, 1, 5000), 1);
		k = read(c->out, out + n, cap - 1 - n);
		assert_true(k > 0);
		n += (size_t)k;
		out[n] = 0;
	}
	return st;
}

static void conn_close(struct open_conn *c)
{
	close(c->in);
	close(c->out);
	kill(c->pid, SIGTERM);
	waitpid(c->pid, NULL, 0);
}

/* The user's side: curl --cacert with the Secret's certificate, the
 * redirect to https, SNI, and a Secret changed under an open connection. */
static void test_served(void **state)
{
	struct fx *fx = *state;
	const struct k1s_resource *secrets = res("", "secrets");
	char out[8192], want[256], *nl;
	struct open_conn c;

	put(fx, res("networking.k8s.io", "ingresses"),
	    json_pack("{s:{s:s,s:s},s:{s:s,s:[{s:[s],s:s}],s:[{s:s}]}}", "metadata", "name", "web",
		      "namespace", "default", "spec", "ingressClassName", "nginx", "tls", "hosts",
		      "a.test", "secretName", "own-tls", "rules", "host", "a.test"));
	put(fx, secrets, secret("own-tls", "kubernetes.io/tls", "tls.crt", b64[A_CRT], "tls.key",
				b64[A_KEY], NULL));
	sync_ing(fx);

	/* curl trusts the Secret's certificate: the request reaches the
	 * routing (a host without paths: the default backend's 404) */
	run(out, sizeof(out),
	    "curl -s -o /dev/null -w '%%{http_code}' --cacert %s/a.crt --resolve "
	    "a.test:%d:127.0.0.1 https://a.test:%d/ 2>&1", dir, fx->https_port, fx->https_port);
	assert_string_equal(out, "404");
	/* plain HTTP: 308 to https, path and query kept */
	run(out, sizeof(out),
	    "curl -s -o /dev/null -w '%%{http_code} %%{redirect_url}' --resolve "
	    "a.test:%d:127.0.0.1 'http://a.test:%d/p/q?x=1&y=2' 2>&1", fx->http_port,
	    fx->http_port);
	assert_string_equal(out, "308 https://a.test/p/q?x=1&y=2");
	/* an unknown name: the fake certificate */
	served_serial(fx, "nobody.test", out, sizeof(out));
	assert_non_null(strstr(out, "Kubernetes Ingress Controller Fake Certificate"));

	/* a new certificate in the Secret: new connections get it, an open
	 * one goes on */
	conn_open(fx, &c, "a.test");
	put(fx, secrets, secret("own-tls", "kubernetes.io/tls", "tls.crt", b64[A2_CRT], "tls.key",
				b64[A_KEY], NULL));
	sync_ing(fx);
	run(want, sizeof(want), "openssl x509 -in %s/a2.crt -noout -serial", dir);
	if ((nl = strchr(want, '\n')))
		*nl = 0;
	served_serial(fx, "a.test", out, sizeof(out));
	assert_non_null(strstr(out, want));
	assert_true(strncmp(conn_request(&c, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", out,
					 sizeof(out)),
			    "HTTP/1.1 404 ", 13) == 0);
	conn_close(&c);

	/* a bad Secret: the fake certificate, and curl refuses it */
	put(fx, secrets, secret("own-tls", "kubernetes.io/tls", "tls.crt", b64[A_CRT], "tls.key",
				b64[B_KEY], NULL));
	sync_ing(fx);
	served_serial(fx, "a.test", out, sizeof(out));
	assert_non_null(strstr(out, "Kubernetes Ingress Controller Fake Certificate"));
	run(out, sizeof(out),
	    "curl -s -o /dev/null -w '%%{http_code}' --cacert %s/a.crt --resolve "
	    "a.test:%d:127.0.0.1 https://a.test:%d/ 2>&1", dir, fx->https_port, fx->https_port);
	assert_string_equal(out, "000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keypair),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_cache),
		cmocka_unit_test_setup_teardown(test_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_served, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
