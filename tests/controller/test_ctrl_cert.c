/* cert-manager offline: the ingress-shim's Certificates, the Secrets
 * issued for them (checked with the real `openssl verify`), their labels
 * and annotations, renewal, reissue of a deleted Secret, the issuers'
 * statuses, and the cluster CA standing in for an ACME issuer. */
#include <stdlib.h>
#include <unistd.h>

#include "ctrl_ca.h"
#include "ctrl_test.h"
#include "k1s_pki.h"

#define CM "cert-manager.io"

static const struct k1s_resource *R(const char *group, const char *res)
{
	const struct k1s_resource *r = k1s_resource_find(group, res);

	assert_non_null(r);
	return r;
}

static void put(struct fx *fx, const char *group, const char *res, json_t *obj)
{
	assert_int_equal(fx->fw.w.create(&fx->fw, R(group, res), obj), 0);
	json_decref(obj);
}

static void change_ingress(struct fx *fx, json_t *ing)
{
	assert_int_equal(fx->fw.w.update(&fx->fw, R("networking.k8s.io", "ingresses"), ing, false),
	                 0);
}

static json_t *get_in(struct fx *fx, const char *key, const char *ns, const char *name)
{
	json_t *o = NULL;

	if (st_get(fx->st, key, ns, name, &o) < 0)
		return NULL;
	return o;
}

#define CERT(fx, name) get_in(fx, "certificates.cert-manager.io", NS, name)
#define SECRET(fx, name) get_in(fx, "secrets", NS, name)

static const char *annot(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(k1s_json_path(o, "metadata.annotations"), k));
}

static const char *ready(const json_t *o, const char *member)
{
	return k1s_json_str(ctrl_cond(json_object_get(o, "status"), "Ready"), member);
}

/* The tutorial's Ingress (05-tls-ingress.yaml), hosts given. */
static json_t *ingress(const char *host1, const char *host2)
{
	json_t *hosts = json_pack("[s]", host1);

	if (host2)
		json_array_append_new(hosts, json_string(host2));
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}, s:{s:s}}, s:{s:s, s:[{s:o, s:s}], "
	                 "s:[{s:s, s:{s:[{s:s, s:s, s:{s:{s:s, s:{s:i}}}}]}}]}}",
	                 "apiVersion", "networking.k8s.io/v1", "kind", "Ingress", "metadata",
	                 "name", "myapp-ingress", "namespace", NS, "annotations",
	                 "cert-manager.io/cluster-issuer", "letsencrypt-prod", "labels", "app",
	                 "myapp", "spec", "ingressClassName", "nginx", "tls", "hosts", hosts,
	                 "secretName", "myapp-tls", "rules", "host", host1, "http", "paths", "path",
	                 "/", "pathType", "Prefix", "backend", "service", "name", "web-service",
	                 "port", "number", 80);
}

static json_t *certificate(const char *name, const char *issuer, const char *kind, const char *host)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:[s], s:{s:s, s:s}}}", "apiVersion",
	                 "cert-manager.io/v1", "kind", "Certificate", "metadata", "name", name,
	                 "namespace", NS, "spec", "secretName", name, "dnsNames", host, "issuerRef",
	                 "name", issuer, "kind", kind);
}

/* A command's standard output. Caller frees. */
static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(p);
	n = fread(buf, 1, 65535, p);
	buf[n] = '\0';
	pclose(p);
	return buf;
}

static void write_file(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, n, f), n);
	fclose(f);
}

/* The decoded value of data[key], written to dir/key. */
static void save_data(const json_t *secret, const char *key, const char *dir)
{
	const char *b = json_string_value(json_object_get(json_object_get(secret, "data"), key));
	char path[512], cmd[1200];

	assert_non_null(b);
	snprintf(path, sizeof(path), "%s/%s.b64", dir, key);
	write_file(path, b, strlen(b));
	snprintf(cmd, sizeof(cmd), "openssl base64 -d -A -in %s/%s.b64 -out %s/%s", dir, key, dir,
	         key);
	assert_int_equal(system(cmd), 0);
}

/* `openssl verify` of the Secret's leaf against its ca.crt (or `ca`),
 * with the chain of tls.crt as untrusted intermediates. Its output. */
static char *verify(struct fx *fx, const json_t *secret, const char *ca, const char *host)
{
	char cmd[1600];

	save_data(secret, "tls.crt", fx->dir);
	save_data(secret, "ca.crt", fx->dir);
	if (ca) {
		char path[512];

		snprintf(path, sizeof(path), "%s/other-ca.crt", fx->dir);
		write_file(path, ca, strlen(ca));
	}
	snprintf(cmd, sizeof(cmd),
	         "openssl verify -CAfile %s/%s -untrusted %s/tls.crt %s%s %s/tls.crt 2>&1", fx->dir,
	         ca ? "other-ca.crt" : "ca.crt", fx->dir, host ? "-verify_hostname " : "",
	         host ? host : "", fx->dir);
	return run(cmd);
}

/* openssl verify's "FILE: OK" and nothing else. */
static void assert_verified(const char *out)
{
	size_t n = strlen(out);

	if (n < 5 || strcmp(out + n - 5, ": OK\n") != 0 || strchr(out, '\n') != out + n - 1)
		fail_msg("openssl verify: %s", out);
}

static bool event_with(struct fx *fx, const char *reason, const char *msg)
{
	json_t *evs = events(fx, reason), *e;
	size_t i;
	bool found = false;

	json_array_foreach(evs, i, e) found =
	    found || !msg || strcmp(k1s_json_str(e, "message") ?: "", msg) == 0;
	json_decref(evs);
	return found;
}

static void tutorial_ingress_gets_its_secret(void **state)
{
	struct fx *fx = *state;
	json_t *ing, *cert, *sec, *ref;
	char *out, *ca_crt, *ca_key;

	put(fx, "networking.k8s.io", "ingresses", ingress("myapp.com", NULL));
	settle(fx);
	ing = get_in(fx, "ingresses.networking.k8s.io", NS, "myapp-ingress");
	cert = CERT(fx, "myapp-tls");
	assert_non_null(cert);
	/* certificate-shim/sync.go buildCertificates */
	ref = json_array_get(k1s_json_path(cert, "metadata.ownerReferences"), 0);
	assert_string_equal(k1s_json_str(ref, "kind"), "Ingress");
	assert_string_equal(k1s_json_str(ref, "uid"), k1s_json_str(ing, "metadata.uid"));
	assert_true(json_is_true(json_object_get(ref, "controller")));
	assert_string_equal(k1s_json_str(cert, "metadata.labels.app"), "myapp");
	assert_string_equal(k1s_json_str(cert, "spec.secretName"), "myapp-tls");
	assert_string_equal(
	    json_string_value(json_array_get(k1s_json_path(cert, "spec.dnsNames"), 0)),
	    "myapp.com");
	assert_string_equal(k1s_json_str(cert, "spec.issuerRef.name"), "letsencrypt-prod");
	assert_string_equal(k1s_json_str(cert, "spec.issuerRef.kind"), "ClusterIssuer");
	assert_string_equal(k1s_json_str(cert, "spec.issuerRef.group"), CM);
	assert_true(
	    event_with(fx, "CreateCertificate", "Successfully created Certificate \"myapp-tls\""));

	/* The Secret, as cert-manager's issuing controller writes it. */
	sec = SECRET(fx, "myapp-tls");
	assert_non_null(sec);
	assert_string_equal(k1s_json_str(sec, "type"), "kubernetes.io/tls");
	assert_non_null(json_object_get(json_object_get(sec, "data"), "tls.key"));
	assert_string_equal(json_string_value(json_object_get(k1s_json_path(sec, "metadata.labels"),
	                                                      "controller.cert-manager.io/fao")),
	                    "true");
	assert_string_equal(annot(sec, "cert-manager.io/certificate-name"), "myapp-tls");
	assert_string_equal(annot(sec, "cert-manager.io/issuer-name"), "letsencrypt-prod");
	assert_string_equal(annot(sec, "cert-manager.io/issuer-kind"), "ClusterIssuer");
	assert_string_equal(annot(sec, "cert-manager.io/issuer-group"), CM);
	assert_string_equal(annot(sec, "cert-manager.io/alt-names"), "myapp.com");
	assert_string_equal(annot(sec, "cert-manager.io/common-name"), "");
	assert_string_equal(annot(sec, "cert-manager.io/ip-sans"), "");
	assert_string_equal(annot(sec, "cert-manager.io/uri-sans"), "");

	/* Issued by the cluster CA, which ca.crt is, for myapp.com. */
	out = verify(fx, sec, NULL, "myapp.com");
	assert_verified(out);
	free(out);
	out = verify(fx, sec, NULL, "other.example");
	assert_non_null(strstr(out, "hostname mismatch"));
	free(out);
	assert_int_equal(ctrl_ca_get(fx->st, &ca_crt, &ca_key), 0);
	{
		char path[512], *have;
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "%s/ca.crt", fx->dir);
		f = fopen(path, "r");
		have = calloc(1, 8192);
		n = fread(have, 1, 8191, f);
		fclose(f);
		assert_int_equal(n, strlen(ca_crt));
		assert_memory_equal(have, ca_crt, n);
		free(have);
	}
	k1s_pki_free(ca_crt);
	k1s_pki_free(ca_key);

	/* The stand-in says so; the status has cert-manager's fields. */
	json_decref(cert);
	cert = CERT(fx, "myapp-tls");
	assert_string_equal(ready(cert, "status"), "True");
	assert_string_equal(ready(cert, "reason"), "Ready");
	assert_non_null(strstr(ready(cert, "message"),
	                       "Certificate is up to date and has not expired; issued offline by "
	                       "the k1s cluster CA in place of ClusterIssuer.cert-manager.io/"
	                       "letsencrypt-prod, which does not exist"));
	assert_int_equal(ctrl_int(cert, "status.revision", 0), 1);
	assert_non_null(k1s_json_str(cert, "status.notBefore"));
	assert_non_null(k1s_json_str(cert, "status.notAfter"));
	assert_non_null(k1s_json_str(cert, "status.renewalTime"));
	/* 2160h by default, renewed at two thirds. */
	assert_int_equal(ctrl_time(cert, "status.notAfter") - ctrl_time(cert, "status.notBefore"),
	                 2160 * 3600);
	assert_int_equal(ctrl_time(cert, "status.renewalTime") -
	                     ctrl_time(cert, "status.notBefore"),
	                 1440 * 3600);
	assert_true(event_with(fx, "Issuing", "Issuing certificate as Secret does not exist"));
	assert_true(event_with(fx, "Issuing", "The certificate has been successfully issued"));

	/* Settled: no reissue on a quiet pass. */
	settle(fx);
	json_decref(cert);
	cert = CERT(fx, "myapp-tls");
	assert_int_equal(ctrl_int(cert, "status.revision", 0), 1);
	json_decref(cert);
	json_decref(sec);
	json_decref(ing);
}

static void ingress_changes_follow(void **state)
{
	struct fx *fx = *state;
	json_t *ing, *cert, *sec;
	char *out;

	put(fx, "networking.k8s.io", "ingresses", ingress("myapp.com", NULL));
	settle(fx);
	/* A second host: the Certificate is updated, the Secret reissued. */
	ing = get_in(fx, "ingresses.networking.k8s.io", NS, "myapp-ingress");
	json_array_append_new(
	    json_object_get(json_array_get(k1s_json_path(ing, "spec.tls"), 0), "hosts"),
	    json_string("www.myapp.com"));
	change_ingress(fx, ing);
	settle(fx);
	cert = CERT(fx, "myapp-tls");
	assert_int_equal(json_array_size(k1s_json_path(cert, "spec.dnsNames")), 2);
	assert_int_equal(ctrl_int(cert, "status.revision", 0), 2);
	assert_true(
	    event_with(fx, "UpdateCertificate", "Successfully updated Certificate \"myapp-tls\""));
	assert_true(
	    event_with(fx, "Issuing",
	               "Issuing certificate as Existing issued Secret is not up to date for "
	               "spec: [spec.dnsNames]"));
	sec = SECRET(fx, "myapp-tls");
	assert_string_equal(annot(sec, "cert-manager.io/alt-names"), "myapp.com,www.myapp.com");
	out = verify(fx, sec, NULL, "www.myapp.com");
	assert_verified(out);
	free(out);
	json_decref(sec);
	json_decref(cert);

	/* The tls entry goes: so does its Certificate. */
	json_object_del(json_object_get(ing, "spec"), "tls");
	json_decref(ing);
	ing = get_in(fx, "ingresses.networking.k8s.io", NS, "myapp-ingress");
	json_object_del(json_object_get(ing, "spec"), "tls");
	change_ingress(fx, ing);
	settle(fx);
	assert_null(CERT(fx, "myapp-tls"));
	assert_true(event_with(fx, "DeleteCertificate",
	                       "Successfully deleted unrequired Certificate \"myapp-tls\""));
	json_decref(ing);
}

static void deleted_secret_is_reissued(void **state)
{
	struct fx *fx = *state;
	json_t *cert, *sec;

	/* No kind: an Issuer, as cert-manager defaults it. */
	cert = certificate("web-tls", "nowhere", "Issuer", "web.example");
	json_object_del(k1s_json_path(cert, "spec.issuerRef"), "kind");
	put(fx, CM, "certificates", cert);
	settle(fx);
	assert_non_null(sec = SECRET(fx, "web-tls"));
	json_decref(sec);
	fast_forward(fx, 0);
	settle(fx);
	cert = CERT(fx, "web-tls");
	assert_int_equal(ctrl_int(cert, "status.revision", 0), 1);
	json_decref(cert);
	assert_int_equal(fx->fw.w.remove(&fx->fw, R("", "secrets"), NS, "web-tls", NULL, 0), 0);
	settle(fx);
	sec = SECRET(fx, "web-tls");
	assert_non_null(sec);
	cert = CERT(fx, "web-tls");
	assert_int_equal(ctrl_int(cert, "status.revision", 0), 2);
	assert_non_null(strstr(ready(cert, "message"), "Issuer.cert-manager.io/nowhere"));
	json_decref(cert);
	json_decref(sec);
}

static void renewal_at_two_thirds(void **state)
{
	struct fx *fx = *state;
	json_t *cert, *sec1, *sec2;

	fx->c->cert_validity = 90;
	put(fx, CM, "certificates",
	    certificate("short-tls", "letsencrypt-prod", "ClusterIssuer", "short.example"));
	settle(fx);
	cert = CERT(fx, "short-tls");
	assert_int_equal(
	    ctrl_time(cert, "status.renewalTime") - ctrl_time(cert, "status.notBefore"), 60);
	json_decref(cert);
	sec1 = SECRET(fx, "short-tls");
	/* Not yet at 59 s... */
	fast_forward(fx, 59);
	settle(fx);
	cert = CERT(fx, "short-tls");
	assert_int_equal(ctrl_int(cert, "status.revision", 0), 1);
	json_decref(cert);
	/* ...at 61 s a new key and certificate. */
	fast_forward(fx, 61);
	settle(fx);
	cert = CERT(fx, "short-tls");
	assert_int_equal(ctrl_int(cert, "status.revision", 0), 2);
	sec2 = SECRET(fx, "short-tls");
	assert_false(json_equal(json_object_get(sec1, "data"), json_object_get(sec2, "data")));
	assert_true(event_with(fx, "Issuing", NULL));
	json_decref(cert);
	json_decref(sec1);
	json_decref(sec2);
}

/* A CA key pair in a kubernetes.io/tls Secret, as cert-manager's CA issuer
 * documentation has one made. */
static json_t *ca_secret(const char *ns, const char *name, bool is_ca, char **crt_out)
{
	struct k1s_cert_req req = {.common_name = "my-ca",
	                           .not_before = time(NULL) - 60,
	                           .not_after = time(NULL) + 86400 * 365,
	                           .is_ca = is_ca};
	char *key, *crt, cmd[200];
	json_t *s;

	assert_int_equal(k1s_pki_key_new(&key), 0);
	assert_int_equal(k1s_pki_self_signed(&req, key, &crt), 0);
	s = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:{s:o, s:o}}", "apiVersion", "v1", "kind",
	              "Secret", "metadata", "name", name, "namespace", ns, "type",
	              "kubernetes.io/tls", "data", "tls.crt", json_null(), "tls.key", json_null());
	{
		/* Base64 through a throwaway Secret of the controller's own
		 * making would test the code with itself: use openssl. */
		char path[64], *b;

		snprintf(path, sizeof(path), "/tmp/k1s-ca-%d.pem", (int)getpid());
		write_file(path, crt, strlen(crt));
		snprintf(cmd, sizeof(cmd), "openssl base64 -A -in %s", path);
		b = run(cmd);
		json_object_set_new(json_object_get(s, "data"), "tls.crt", json_string(b));
		free(b);
		write_file(path, key, strlen(key));
		b = run(cmd);
		json_object_set_new(json_object_get(s, "data"), "tls.key", json_string(b));
		free(b);
		unlink(path);
	}
	k1s_pki_free(key);
	*crt_out = crt;
	return s;
}

static void ca_cluster_issuer(void **state)
{
	struct fx *fx = *state;
	json_t *iss, *sec;
	char *ca, *out, *notca;

	put(fx, CM, "clusterissuers",
	    json_pack("{s:s, s:s, s:{s:s}, s:{s:{s:s}}}", "apiVersion", "cert-manager.io/v1",
	              "kind", "ClusterIssuer", "metadata", "name", "ca-issuer", "spec", "ca",
	              "secretName", "ca-key-pair"));
	put(fx, CM, "certificates",
	    certificate("app-tls", "ca-issuer", "ClusterIssuer", "app.example"));
	settle(fx);
	/* pkg/issuer/ca/setup.go, before the key pair exists. */
	iss = get_in(fx, "clusterissuers.cert-manager.io", "", "ca-issuer");
	assert_string_equal(ready(iss, "status"), "False");
	assert_string_equal(ready(iss, "reason"), "ErrGetKeyPair");
	assert_string_equal(
	    ready(iss, "message"),
	    "Error getting keypair for CA issuer: secrets \"ca-key-pair\" not found");
	json_decref(iss);
	assert_null(SECRET(fx, "app-tls"));
	sec = CERT(fx, "app-tls");
	assert_string_equal(ready(sec, "status"), "False");
	assert_string_equal(ready(sec, "reason"), "DoesNotExist");
	assert_string_equal(k1s_json_str(ctrl_cond(json_object_get(sec, "status"), "Issuing"),
	                                 "status"),
	                    "True");
	json_decref(sec);

	/* A certificate that is no CA does not sign. */
	put(fx, "", "secrets", ca_secret("cert-manager", "ca-key-pair", false, &notca));
	settle(fx);
	iss = get_in(fx, "clusterissuers.cert-manager.io", "", "ca-issuer");
	assert_string_equal(ready(iss, "reason"), "ErrInvalidKeyPair");
	json_decref(iss);
	k1s_pki_free(notca);
	assert_int_equal(
	    fx->fw.w.remove(&fx->fw, R("", "secrets"), "cert-manager", "ca-key-pair", NULL, 0), 0);

	put(fx, "", "secrets", ca_secret("cert-manager", "ca-key-pair", true, &ca));
	settle(fx);
	iss = get_in(fx, "clusterissuers.cert-manager.io", "", "ca-issuer");
	assert_string_equal(ready(iss, "status"), "True");
	assert_string_equal(ready(iss, "reason"), "KeyPairVerified");
	assert_string_equal(ready(iss, "message"), "Signing CA verified");
	json_decref(iss);
	sec = SECRET(fx, "app-tls");
	assert_non_null(sec);
	out = verify(fx, sec, ca, "app.example");
	assert_verified(out);
	free(out);
	assert_string_equal(annot(sec, "cert-manager.io/issuer-name"), "ca-issuer");
	json_decref(sec);
	sec = CERT(fx, "app-tls");
	assert_string_equal(ready(sec, "message"), "Certificate is up to date and has not expired");
	assert_null(ctrl_cond(json_object_get(sec, "status"), "Issuing"));
	json_decref(sec);
	k1s_pki_free(ca);
}

static void self_signed_and_acme_issuers(void **state)
{
	struct fx *fx = *state;
	json_t *iss, *sec;
	char *out, cmd[1200];

	put(fx, CM, "issuers",
	    json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:{}}}", "apiVersion", "cert-manager.io/v1",
	              "kind", "Issuer", "metadata", "name", "selfsigned", "namespace", NS, "spec",
	              "selfSigned"));
	put(fx, CM, "clusterissuers",
	    json_pack("{s:s, s:s, s:{s:s}, s:{s:{s:s, s:s, s:{s:s}, s:[{s:{s:{s:s}}}]}}}",
	              "apiVersion", "cert-manager.io/v1", "kind", "ClusterIssuer", "metadata",
	              "name", "letsencrypt-prod", "spec", "acme", "server",
	              "https://acme-v02.api.letsencrypt.org/directory", "email", "user@example.com",
	              "privateKeySecretRef", "name", "letsencrypt-prod", "solvers", "http01",
	              "ingress", "ingressClassName", "nginx"));
	put(fx, CM, "certificates",
	    certificate("self-tls", "selfsigned", "Issuer", "self.example"));
	put(fx, CM, "certificates",
	    certificate("acme-tls", "letsencrypt-prod", "ClusterIssuer", "acme.example"));
	settle(fx);
	iss = get_in(fx, "issuers.cert-manager.io", NS, "selfsigned");
	assert_string_equal(ready(iss, "status"), "True");
	assert_string_equal(ready(iss, "reason"), "IsReady");
	json_decref(iss);
	/* A self-signed leaf is its own CA. */
	sec = SECRET(fx, "self-tls");
	save_data(sec, "tls.crt", fx->dir);
	snprintf(cmd, sizeof(cmd), "openssl verify -CAfile %s/tls.crt %s/tls.crt 2>&1", fx->dir,
	         fx->dir);
	out = run(cmd);
	assert_non_null(strstr(out, "OK"));
	free(out);
	json_decref(sec);

	iss = get_in(fx, "clusterissuers.cert-manager.io", "", "letsencrypt-prod");
	assert_string_equal(ready(iss, "status"), "True");
	assert_non_null(strstr(ready(iss, "message"), "k1s cluster CA"));
	assert_non_null(strstr(ready(iss, "message"), "acme-v02.api.letsencrypt.org"));
	json_decref(iss);
	sec = CERT(fx, "acme-tls");
	assert_non_null(strstr(ready(sec, "message"),
	                       "in place of ClusterIssuer.cert-manager.io/letsencrypt-prod and its "
	                       "ACME server"));
	json_decref(sec);
}

/* A wildcard, an IP address and a common name are issued once, and the
 * Secret's annotations carry them. */
static void wildcard_ip_and_common_name(void **state)
{
	struct fx *fx = *state;
	json_t *cert =
	    certificate("wild-tls", "letsencrypt-prod", "ClusterIssuer", "*.apps.example");
	json_t *sec;
	char *out;

	json_object_set_new(json_object_get(cert, "spec"), "ipAddresses",
	                    json_pack("[s]", "10.0.0.1"));
	json_object_set_new(json_object_get(cert, "spec"), "commonName", json_string("apps"));
	put(fx, CM, "certificates", cert);
	settle(fx);
	settle(fx);
	cert = CERT(fx, "wild-tls");
	assert_int_equal(ctrl_int(cert, "status.revision", 0), 1);
	assert_string_equal(ready(cert, "status"), "True");
	sec = SECRET(fx, "wild-tls");
	assert_string_equal(annot(sec, "cert-manager.io/alt-names"), "*.apps.example");
	assert_string_equal(annot(sec, "cert-manager.io/ip-sans"), "10.0.0.1");
	assert_string_equal(annot(sec, "cert-manager.io/common-name"), "apps");
	out = verify(fx, sec, NULL, "x.apps.example");
	assert_verified(out);
	free(out);
	json_decref(sec);
	json_decref(cert);
}

/* cert-manager.io/issuer with issuer-kind and issuer-group: an external
 * issuer, which offline only the cluster CA can stand in for. */
static void external_issuer_annotations(void **state)
{
	struct fx *fx = *state;
	json_t *ing = ingress("pca.example", NULL), *anns, *cert;

	anns = k1s_json_path(ing, "metadata.annotations");
	json_object_del(anns, "cert-manager.io/cluster-issuer");
	json_object_set_new(anns, "cert-manager.io/issuer", json_string("pca"));
	json_object_set_new(anns, "cert-manager.io/issuer-kind", json_string("AWSPCAIssuer"));
	json_object_set_new(anns, "cert-manager.io/issuer-group",
	                    json_string("awspca.cert-manager.io"));
	put(fx, "networking.k8s.io", "ingresses", ing);
	settle(fx);
	cert = CERT(fx, "myapp-tls");
	assert_non_null(cert);
	assert_string_equal(k1s_json_str(cert, "spec.issuerRef.name"), "pca");
	assert_string_equal(k1s_json_str(cert, "spec.issuerRef.kind"), "AWSPCAIssuer");
	assert_string_equal(k1s_json_str(cert, "spec.issuerRef.group"), "awspca.cert-manager.io");
	assert_non_null(strstr(ready(cert, "message"),
	                       "in place of AWSPCAIssuer.awspca.cert-manager.io/pca, which is not "
	                       "reached offline"));
	json_decref(cert);
}

static void bad_annotations(void **state)
{
	struct fx *fx = *state;
	json_t *ing = ingress("myapp.com", NULL);

	json_object_set_new(k1s_json_path(ing, "metadata.annotations"), "cert-manager.io/issuer",
	                    json_string("other"));
	put(fx, "networking.k8s.io", "ingresses", ing);
	settle(fx);
	assert_null(CERT(fx, "myapp-tls"));
	assert_true(
	    event_with(fx, "BadConfig",
	               "Could not determine issuer for ingress due to bad annotations: both "
	               "\"cert-manager.io/issuer\" and \"cert-manager.io/cluster-issuer\" may "
	               "not be set"));
}

static void go_durations(void **state)
{
	int64_t s;

	(void)state;
	assert_int_equal(ctrl_duration_parse("2160h", &s), 0);
	assert_int_equal(s, 2160 * 3600);
	assert_int_equal(ctrl_duration_parse("1h30m", &s), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(ctrl_duration_parse("1.5h", &s), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(ctrl_duration_parse("90s", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(ctrl_duration_parse("0", &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(ctrl_duration_parse("90", &s), -EINVAL);
	assert_int_equal(ctrl_duration_parse("h", &s), -EINVAL);
	assert_int_equal(ctrl_duration_parse("", &s), -EINVAL);
	assert_int_equal(ctrl_duration_parse("3d", &s), -EINVAL);
	assert_int_equal(ctrl_duration_parse("0x10h", &s), -EINVAL);
	assert_int_equal(ctrl_duration_parse("1e3h", &s), -EINVAL);
	assert_int_equal(ctrl_duration_parse("1h-5m", &s), -EINVAL);
	assert_int_equal(ctrl_duration_parse("1500ms", &s), 0);
	assert_int_equal(s, 1);
	assert_int_equal(ctrl_duration_parse("99999999999h", &s), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(tutorial_ingress_gets_its_secret, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(ingress_changes_follow, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(deleted_secret_is_reissued, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(renewal_at_two_thirds, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(ca_cluster_issuer, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(self_signed_and_acme_issuers, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(wildcard_ip_and_common_name, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(external_issuer_annotations, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(bad_annotations, fx_setup, fx_teardown),
	    cmocka_unit_test(go_durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
