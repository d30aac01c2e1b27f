/* lib/k1s_pki: keys and certificates, held against the real openssl. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "k1s_pki.h"

#define DAY (24 * 60 * 60)

struct dir {
	char path[64];
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	strcpy(d->path, "/tmp/test_pki.XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->path);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

static void write_file(const struct dir *d, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A whole file, NUL-terminated; its length in *len. */
static char *read_file(const struct dir *d, const char *name, size_t *len)
{
	char path[128], *buf;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	assert_non_null(f = fopen(path, "r"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	assert_non_null(buf = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* Runs a shell command in the directory; its exit status, and its output
 * (stdout and stderr) in out. */
static int run(const struct dir *d, char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[1024], part[512];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(part, sizeof(part), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "cd %s && (%s) 2>&1", d->path, part);
	assert_non_null(p = popen(cmd, "r"));
	out[0] = '\0';
	while (n + 1 < outlen && fgets(out + n, (int)(outlen - n), p))
		n += strlen(out + n);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct k1s_cert_req ca_req(time_t now, const char *cn)
{
	return (struct k1s_cert_req){.common_name = cn,
	                             .organization = "k1s",
	                             .not_before = now - 60,
	                             .not_after = now + 3650L * DAY,
	                             .is_ca = true};
}

/* A CA and a leaf for myapp.com; the chain verifies with openssl, and
 * openssl reads the SANs, CA:TRUE and the server usages. */
static void chain_verifies(void **state)
{
	static const char *const dns[] = {"myapp.com", "www.myapp.com", NULL};
	static const char *const ips[] = {"192.0.2.7", "2001:db8::1", NULL};
	struct dir *d = *state;
	char *ca_key, *ca_crt, *key, *crt, *other_key, *other_crt, *other_leaf, out[8192];
	time_t now = time(NULL);
	struct k1s_cert_req ca = ca_req(now, "k1s-ca");
	struct k1s_cert_req leaf = {.common_name = "myapp.com",
	                            .dns_names = dns,
	                            .ip_addresses = ips,
	                            .not_before = now - 60,
	                            .not_after = now + 90 * DAY};

	assert_int_equal(k1s_pki_key_new(&ca_key), 0);
	assert_non_null(strstr(ca_key, "-----BEGIN EC PRIVATE KEY-----"));
	assert_int_equal(k1s_pki_self_signed(&ca, ca_key, &ca_crt), 0);
	assert_int_equal(k1s_pki_key_new(&key), 0);
	assert_int_equal(k1s_pki_issue(&leaf, key, ca_crt, ca_key, &crt), 0);
	write_file(d, "ca.pem", ca_crt);
	write_file(d, "leaf.pem", crt);
	write_file(d, "leaf.key", key);

	assert_int_equal(run(d, out, sizeof(out), "openssl verify -CAfile ca.pem leaf.pem"), 0);
	assert_non_null(strstr(out, "leaf.pem: OK"));
	/* And for the purpose a server has, by name. */
	assert_int_equal(run(d, out, sizeof(out),
	                     "openssl verify -purpose sslserver -verify_hostname www.myapp.com "
	                     "-CAfile ca.pem leaf.pem"),
	                 0);
	assert_int_not_equal(
	    run(d, out, sizeof(out),
	        "openssl verify -verify_hostname other.com -CAfile ca.pem leaf.pem"),
	    0);
	assert_int_equal(run(d, out, sizeof(out), "openssl x509 -noout -text -in leaf.pem"), 0);
	assert_non_null(strstr(out, "DNS:myapp.com, DNS:www.myapp.com, IP Address:192.0.2.7, "
	                            "IP Address:2001:DB8:0:0:0:0:0:1"));
	assert_non_null(strstr(out, "TLS Web Server Authentication"));
	assert_non_null(strstr(out, "Digital Signature, Key Encipherment"));
	assert_non_null(strstr(out, "CA:FALSE"));
	assert_non_null(strstr(out, "Issuer: O = k1s, CN = k1s-ca"));
	assert_non_null(strstr(out, "Subject: CN = myapp.com"));
	assert_non_null(strstr(out, "ecdsa-with-SHA256"));
	assert_non_null(strstr(out, "NIST CURVE: P-256"));
	assert_int_equal(run(d, out, sizeof(out), "openssl x509 -noout -text -in ca.pem"), 0);
	assert_non_null(strstr(out, "CA:TRUE"));
	assert_non_null(strstr(out, "Certificate Sign"));
	assert_non_null(strstr(out, "Subject: O = k1s, CN = k1s-ca"));
	assert_non_null(strstr(out, "X509v3 Subject Key Identifier"));
	/* 128 random bits: two leaves never share a serial. */
	assert_int_equal(run(d, out, sizeof(out), "openssl x509 -noout -serial -in leaf.pem"), 0);
	assert_int_equal(strlen(out), strlen("serial=") + 32 + 1);
	/* The key openssl reads is the certificate's. */
	assert_int_equal(run(d, out, sizeof(out),
	                     "test \"$(openssl x509 -noout -pubkey -in leaf.pem)\" = "
	                     "\"$(openssl pkey -pubout -in leaf.key)\""),
	                 0);

	/* A leaf from another CA of the same name does not verify. */
	assert_int_equal(k1s_pki_key_new(&other_key), 0);
	assert_int_equal(k1s_pki_self_signed(&ca, other_key, &other_crt), 0);
	assert_int_equal(k1s_pki_issue(&leaf, key, other_crt, other_key, &other_leaf), 0);
	write_file(d, "other.pem", other_leaf);
	assert_int_not_equal(run(d, out, sizeof(out), "openssl verify -CAfile ca.pem other.pem"),
	                     0);
	/* Nor does issuing with a CA key that is not the certificate's. */
	k1s_pki_free(other_leaf);
	assert_int_equal(k1s_pki_issue(&leaf, key, ca_crt, other_key, &other_leaf), -EINVAL);
	assert_null(other_leaf);
	assert_int_equal(k1s_pki_issue(&leaf, "junk", ca_crt, ca_key, &other_leaf), -EINVAL);
	assert_int_equal(k1s_pki_issue(&leaf, key, "junk", ca_key, &other_leaf), -EINVAL);

	k1s_pki_free(ca_key);
	k1s_pki_free(ca_crt);
	k1s_pki_free(key);
	k1s_pki_free(crt);
	k1s_pki_free(other_key);
	k1s_pki_free(other_crt);
	k1s_pki_free(NULL);
}

/* A CA made by openssl, whose key identifier is not mbedTLS's hash:
 * the leaf's authority key identifier is the CA's own, and verifies. */
static void issue_from_openssl_ca(void **state)
{
	static const char *const dns[] = {"myapp.com", NULL};
	struct dir *d = *state;
	char *ca_crt, *ca_key, *key, *crt, out[4096];
	time_t now = time(NULL);
	struct k1s_cert_req leaf = {.common_name = "myapp.com",
	                            .dns_names = dns,
	                            .not_before = now - 60,
	                            .not_after = now + DAY};

	assert_int_equal(
	    run(d, out, sizeof(out),
	        "openssl req -x509 -newkey rsa:2048 -nodes -keyout oca.key -out oca.pem "
	        "-days 30 -subj '/C=NL/O=Workshop, Inc./CN=Workshop CA' "
	        "-addext subjectKeyIdentifier=0102030405060708 "
	        "-addext authorityKeyIdentifier=none "
	        "-addext basicConstraints=critical,CA:TRUE "
	        "-addext keyUsage=critical,keyCertSign"),
	    0);
	ca_crt = read_file(d, "oca.pem", NULL);
	ca_key = read_file(d, "oca.key", NULL);
	assert_int_equal(k1s_pki_key_new(&key), 0);
	assert_int_equal(k1s_pki_issue(&leaf, key, ca_crt, ca_key, &crt), 0);
	write_file(d, "oleaf.pem", crt);
	assert_int_equal(run(d, out, sizeof(out), "openssl verify -CAfile oca.pem oleaf.pem"), 0);
	assert_int_equal(run(d, out, sizeof(out), "openssl x509 -noout -text -in oleaf.pem"), 0);
	assert_non_null(strstr(out, "Issuer: C = NL, O = \"Workshop, Inc.\", CN = Workshop CA"));
	assert_non_null(strstr(out, "01:02:03:04:05:06:07:08"));
	free(ca_crt);
	free(ca_key);
	k1s_pki_free(key);
	k1s_pki_free(crt);
}

static void pair_rejected(const char *crt, size_t crt_len, const char *key, size_t key_len,
                          const char *reason)
{
	char err[256] = "";

	assert_int_equal(k1s_pki_check_pair(crt, crt_len, key, key_len, err, sizeof(err)), -EINVAL);
	if (!strstr(err, reason))
		fail_msg("reason \"%s\", wanted \"%s\"", err, reason);
	assert_null(strchr(err, '\n'));
}

/* Pairs as a user makes them, with openssl req -x509, RSA and EC, and
 * everything a Secret might carry instead. */
static void check_pair(void **state)
{
	struct dir *d = *state;
	char *rsa_crt, *rsa_key, *ec_crt, *ec_key, *pk8_key, *enc_key, *bundle, out[4096], err[256];
	size_t rsa_crt_len, rsa_key_len, ec_crt_len, ec_key_len, pk8_len, enc_len;

	assert_int_equal(
	    run(d, out, sizeof(out),
	        "openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem "
	        "-days 1 -subj /CN=own.example"),
	    0);
	assert_int_equal(run(d, out, sizeof(out),
	                     "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	                     "-keyout ec8.key -out ec.pem -days 1 -subj /CN=own.example && "
	                     "openssl ec -in ec8.key -out ec.key && "
	                     "openssl pkey -in ec8.key -aes256 -passout pass:x -out enc.key"),
	                 0);
	rsa_crt = read_file(d, "rsa.pem", &rsa_crt_len);
	rsa_key = read_file(d, "rsa.key", &rsa_key_len);
	ec_crt = read_file(d, "ec.pem", &ec_crt_len);
	ec_key = read_file(d, "ec.key", &ec_key_len);
	pk8_key = read_file(d, "ec8.key", &pk8_len);
	enc_key = read_file(d, "enc.key", &enc_len);
	assert_non_null(strstr(pk8_key, "BEGIN PRIVATE KEY"));
	assert_non_null(strstr(ec_key, "BEGIN EC PRIVATE KEY"));

	assert_int_equal(
	    k1s_pki_check_pair(rsa_crt, rsa_crt_len, rsa_key, rsa_key_len, err, sizeof(err)), 0);
	assert_int_equal(
	    k1s_pki_check_pair(ec_crt, ec_crt_len, ec_key, ec_key_len, err, sizeof(err)), 0);
	assert_int_equal(k1s_pki_check_pair(ec_crt, ec_crt_len, pk8_key, pk8_len, err, sizeof(err)),
	                 0);
	/* A leaf then its chain: the key is the first certificate's. */
	assert_non_null(bundle = calloc(1, ec_crt_len + rsa_crt_len + 1));
	memcpy(bundle, ec_crt, ec_crt_len);
	memcpy(bundle + ec_crt_len, rsa_crt, rsa_crt_len);
	assert_int_equal(k1s_pki_check_pair(bundle, ec_crt_len + rsa_crt_len, ec_key, ec_key_len,
	                                    err, sizeof(err)),
	                 0);
	pair_rejected(bundle, ec_crt_len + rsa_crt_len, rsa_key, rsa_key_len,
	              "tls: private key type does not match public key type");
	/* The chain's second certificate cut short. */
	pair_rejected(bundle, ec_crt_len + rsa_crt_len / 2, ec_key, ec_key_len,
	              "certificate 2 is cut short");

	/* Mismatched: another key of the same type. */
	assert_int_equal(run(d, out, sizeof(out),
	                     "openssl ecparam -name prime256v1 -genkey -noout -out ec2.key"),
	                 0);
	free(ec_key);
	ec_key = read_file(d, "ec2.key", &ec_key_len);
	pair_rejected(ec_crt, ec_crt_len, ec_key, ec_key_len,
	              "tls: private key does not match public key");
	pair_rejected(ec_crt, ec_crt_len, rsa_key, rsa_key_len,
	              "tls: private key type does not match public key type");
	/* Garbage, nothing, a key in place of the certificate. */
	pair_rejected("garbage", 7, rsa_key, rsa_key_len,
	              "tls: failed to find any PEM data in certificate input");
	pair_rejected(NULL, 0, NULL, 0, "tls: failed to find any PEM data in certificate input");
	pair_rejected(rsa_key, rsa_key_len, rsa_key, rsa_key_len,
	              "tls: failed to find certificate PEM data in certificate input, but did find "
	              "a private key; PEM inputs may have been switched");
	pair_rejected(rsa_crt, rsa_crt_len, "", 0, "tls: failed to find any PEM data in key input");
	pair_rejected(rsa_crt, rsa_crt_len, rsa_crt, rsa_crt_len,
	              "tls: failed to parse private key");
	pair_rejected(ec_crt, ec_crt_len, enc_key, enc_len, "tls: private key is encrypted");
	/* Truncated PEM: the certificate, the key. */
	pair_rejected(rsa_crt, rsa_crt_len / 2, rsa_key, rsa_key_len, "certificate 1 is cut short");
	pair_rejected(rsa_crt, rsa_crt_len, rsa_key, rsa_key_len / 2,
	              "tls: failed to parse private key");
	/* Damaged base64 inside a whole block. */
	rsa_crt[100] = '!';
	pair_rejected(rsa_crt, rsa_crt_len, rsa_key, rsa_key_len, "certificate 1 does not parse");

	free(rsa_crt);
	free(rsa_key);
	free(ec_crt);
	free(ec_key);
	free(pk8_key);
	free(enc_key);
	free(bundle);
}

static void covers(void **state)
{
	static const char *const dns[] = {"myapp.com", "*.apps.example", NULL};
	char *key, *crt, *cn_only;
	time_t now = time(NULL);
	struct k1s_cert_req req = {.common_name = "ignored.example",
	                           .dns_names = dns,
	                           .not_before = now,
	                           .not_after = now + DAY};
	struct k1s_cert_req cn = {
	    .common_name = "cn.example", .not_before = now, .not_after = now + DAY};
	size_t len;

	(void)state;
	assert_int_equal(k1s_pki_key_new(&key), 0);
	assert_int_equal(k1s_pki_self_signed(&req, key, &crt), 0);
	len = strlen(crt);
	assert_true(k1s_pki_cert_covers(crt, len, "myapp.com"));
	assert_true(k1s_pki_cert_covers(crt, len, "MyApp.COM"));
	assert_true(k1s_pki_cert_covers(crt, len, "myapp.com."));
	assert_false(k1s_pki_cert_covers(crt, len, "www.myapp.com"));
	assert_false(k1s_pki_cert_covers(crt, len, "myapp.co"));
	assert_true(k1s_pki_cert_covers(crt, len, "a.apps.example"));
	assert_false(k1s_pki_cert_covers(crt, len, "apps.example"));
	assert_false(k1s_pki_cert_covers(crt, len, "a.b.apps.example"));
	assert_false(k1s_pki_cert_covers(crt, len, ".apps.example"));
	/* With SANs, the CN is not looked at. */
	assert_false(k1s_pki_cert_covers(crt, len, "ignored.example"));
	assert_false(k1s_pki_cert_covers(crt, len, ""));
	assert_false(k1s_pki_cert_covers(crt, len, NULL));
	assert_false(k1s_pki_cert_covers("junk", 4, "myapp.com"));
	assert_false(k1s_pki_cert_covers(crt, len / 2, "myapp.com"));

	assert_int_equal(k1s_pki_self_signed(&cn, key, &cn_only), 0);
	assert_true(k1s_pki_cert_covers(cn_only, strlen(cn_only), "cn.example"));
	assert_false(k1s_pki_cert_covers(cn_only, strlen(cn_only), "x.cn.example"));
	k1s_pki_free(key);
	k1s_pki_free(crt);
	k1s_pki_free(cn_only);
}

static void info(void **state)
{
	struct dir *d = *state;
	char *ca_key, *ca_crt, *key, *crt, *bundle, out[1024], err[256];
	time_t now = time(NULL);
	struct k1s_cert_req ca = ca_req(now, "k1s-ca");
	struct k1s_cert_req leaf = {.common_name = "myapp.com",
	                            .not_before = 1700000000,
	                            .not_after = 1700000000 + 90 * DAY};
	struct k1s_cert_info ci;
	size_t n;

	assert_int_equal(k1s_pki_key_new(&ca_key), 0);
	assert_int_equal(k1s_pki_self_signed(&ca, ca_key, &ca_crt), 0);
	assert_int_equal(k1s_pki_key_new(&key), 0);
	assert_int_equal(k1s_pki_issue(&leaf, key, ca_crt, ca_key, &crt), 0);

	/* The leaf first, then the chain, not NUL-terminated. */
	n = strlen(crt);
	assert_non_null(bundle = malloc(n + strlen(ca_crt)));
	memcpy(bundle, crt, n);
	memcpy(bundle + n, ca_crt, strlen(ca_crt));
	assert_int_equal(k1s_pki_cert_info(bundle, n + strlen(ca_crt), &ci, err, sizeof(err)), 0);
	assert_int_equal(ci.not_before, 1700000000);
	assert_int_equal(ci.not_after, 1700000000 + 90 * DAY);
	assert_string_equal(ci.common_name, "myapp.com");
	assert_string_equal(ci.issuer, "O=k1s, CN=k1s-ca");
	assert_false(ci.is_ca);
	/* The dates are the ones openssl reads. */
	write_file(d, "info.pem", crt);
	assert_int_equal(run(d, out, sizeof(out), "openssl x509 -noout -dates -in info.pem"), 0);
	assert_non_null(strstr(out, "notBefore=Nov 14 22:13:20 2023 GMT"));

	assert_int_equal(k1s_pki_cert_info(ca_crt, strlen(ca_crt), &ci, err, sizeof(err)), 0);
	assert_true(ci.is_ca);
	assert_string_equal(ci.common_name, "k1s-ca");
	assert_int_equal(ci.not_before, now - 60);
	assert_int_equal(ci.not_after, now + 3650L * DAY);

	assert_int_equal(k1s_pki_cert_info("junk", 4, &ci, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "no PEM certificate found");
	assert_int_equal(k1s_pki_cert_info(crt, n - 30, &ci, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cut short"));
	assert_int_equal(k1s_pki_cert_info(NULL, 0, &ci, err, sizeof(err)), -EINVAL);
	/* A request that cannot be a certificate. */
	leaf.not_after = leaf.not_before;
	k1s_pki_free(crt);
	assert_int_equal(k1s_pki_issue(&leaf, key, ca_crt, ca_key, &crt), -EINVAL);
	assert_int_equal(k1s_pki_self_signed(&ca, "-----BEGIN EC PRIVATE KEY-----\n", &crt),
	                 -EINVAL);

	free(bundle);
	k1s_pki_free(ca_key);
	k1s_pki_free(ca_crt);
	k1s_pki_free(key);
}

static void bad_ip(void **state)
{
	static const char *const ips[] = {"10.0.0.300", NULL};
	char *key, *crt;
	time_t now = time(NULL);
	struct k1s_cert_req req = {
	    .common_name = "x", .ip_addresses = ips, .not_before = now, .not_after = now + DAY};

	(void)state;
	assert_int_equal(k1s_pki_key_new(&key), 0);
	assert_int_equal(k1s_pki_self_signed(&req, key, &crt), -EINVAL);
	assert_null(crt);
	k1s_pki_free(key);
}

/* Names far longer than any certificate carries still make one; the
 * info's fields are cut to their size. */
static void long_names(void **state)
{
	char *key, *crt, cn[3001], err[128];
	time_t now = time(NULL);
	struct k1s_cert_req req = {.common_name = cn, .not_before = now, .not_after = now + DAY};
	struct k1s_cert_info info;

	(void)state;
	memset(cn, 'a', sizeof(cn) - 1);
	cn[sizeof(cn) - 1] = '\0';
	assert_int_equal(k1s_pki_key_new(&key), 0);
	assert_int_equal(k1s_pki_self_signed(&req, key, &crt), 0);
	assert_int_equal(k1s_pki_cert_info(crt, strlen(crt), &info, err, sizeof(err)), 0);
	assert_int_equal(strlen(info.common_name), sizeof(info.common_name) - 1);
	assert_int_equal(strspn(info.common_name, "a"), sizeof(info.common_name) - 1);
	assert_true(strlen(info.issuer) < sizeof(info.issuer));
	k1s_pki_free(key);
	k1s_pki_free(crt);
}

/* Secret data: bytes with NULs round-trip; what is not base64 is refused. */
static void base64(void **state)
{
	static const char bytes[] = {'k', 0, '1', (char)0xff, 's'};
	char *text, *back = NULL;
	size_t len = 0;

	(void)state;
	text = k1s_pki_b64_encode(bytes, sizeof(bytes));
	assert_string_equal(text, "awAx/3M=");
	assert_int_equal(k1s_pki_b64_decode(text, strlen(text), &back, &len), 0);
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(back, bytes, sizeof(bytes));
	assert_int_equal(back[len], '\0');
	free(back);
	k1s_pki_free(text);
	assert_int_equal(k1s_pki_b64_decode("a!==", 4, &back, &len), -EINVAL);
	assert_int_equal(k1s_pki_b64_decode("YW=j", 4, &back, &len), -EINVAL);
	assert_int_equal(k1s_pki_b64_decode("", 0, &back, &len), 0);
	assert_int_equal(len, 0);
	free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(chain_verifies, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(issue_from_openssl_ca, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(check_pair, dir_setup, dir_teardown),
	    cmocka_unit_test(covers),
	    cmocka_unit_test_setup_teardown(info, dir_setup, dir_teardown),
	    cmocka_unit_test(bad_ip),
	    cmocka_unit_test(long_names),
	    cmocka_unit_test(base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
