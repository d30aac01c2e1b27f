/* cert-manager's issuers and certificates, offline: every Certificate gets
 * its Secret of type kubernetes.io/tls, issued by the CA or selfSigned
 * issuer it names, and reissued when cert-manager's trigger would
 * (internal/controller/certificates/policies/checks.go): the Secret is
 * gone or does not hold a matching pair, was issued by another issuer or
 * for other names, or its renewal time (pkg/util/pki/renewaltime.go) has
 * come. An ACME issuer, or an issuer that does not exist, cannot be asked
 * offline: the k1s cluster CA (ctrl_ca.h) issues in its place, and the
 * statuses say so. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl_ca.h"
#include "ctrl_int.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_pki.h"

#define CM_GROUP "cert-manager.io"
/* cert-manager's --cluster-resource-namespace default: where the Secrets
 * of ClusterIssuers are. */
#define CLUSTER_RESOURCE_NS "cert-manager"
#define RETRY_MS 10000

/* ---- Go durations ---- */

int ctrl_duration_parse(const char *s, int64_t *secs)
{
	static const struct {
		const char *unit;
		double secs;
	} units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3},
	             {"s", 1},     {"m", 60},    {"h", 3600}};
	double total = 0;
	bool neg = false;

	if (!s || !*s)
		return -EINVAL;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*secs = 0;
		return 0;
	}
	if (!*s)
		return -EINVAL;
	while (*s) {
		double v = 0, scale = 1;
		size_t i, best = 0, bestlen = 0;
		bool digits = false;

		/* Go's time.ParseDuration: [0-9]*(\.[0-9]*)? then a unit; no
		 * exponents, no hex. */
		for (; *s >= '0' && *s <= '9'; s++, digits = true)
			v = v * 10 + (*s - '0');
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
				v += (*s - '0') * (scale /= 10);
		if (!digits || v > 9.2e18)
			return digits ? -ERANGE : -EINVAL;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].unit);

			if (strncmp(s, units[i].unit, n) == 0 && n > bestlen) {
				best = i;
				bestlen = n;
			}
		}
		if (!bestlen)
			return -EINVAL; /* Go: missing unit in duration */
		total += v * units[best].secs;
		s += bestlen;
		if (total > 9.2e9)
			return -ERANGE;
	}
	*secs = (int64_t)(neg ? -total : total);
	return 0;
}

/* ---- Secret data ---- */

static json_t *b64_json(const char *s)
{
	char *out = k1s_pki_b64_encode(s, strlen(s));
	json_t *j = out ? json_string(out) : NULL;

	k1s_pki_free(out);
	return j;
}

/* The decoded bytes of data[key] of a Secret, NUL-terminated, or NULL when
 * absent or not base64. Free with k1s_pki_free(). */
static char *secret_data(const json_t *secret, const char *key, size_t *len)
{
	const json_t *v = json_object_get(json_object_get(secret, "data"), key);
	char *out;
	size_t n;

	if (!json_is_string(v) ||
	    k1s_pki_b64_decode(json_string_value(v), json_string_length(v), &out, &n) != 0)
		return NULL;
	if (len)
		*len = n;
	return out;
}

/* ---- lookups ---- */

static const char *ann(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(k1s_json_path(obj, "metadata.annotations"), key));
}

struct issuer_ref {
	const char *name, *kind, *group;
};

/* spec.issuerRef with cert-manager's defaults (Issuer, cert-manager.io). */
static struct issuer_ref ref_of(const json_t *cert)
{
	struct issuer_ref r = {k1s_json_str(cert, "spec.issuerRef.name") ?: "",
	                       k1s_json_str(cert, "spec.issuerRef.kind") ?: "",
	                       k1s_json_str(cert, "spec.issuerRef.group") ?: ""};

	if (!*r.kind)
		r.kind = "Issuer";
	if (!*r.group)
		r.group = CM_GROUP;
	return r;
}

static const json_t *issuer_get(struct ctrl *c, const char *ns, const struct issuer_ref *r)
{
	if (strcmp(r->group, CM_GROUP) != 0)
		return NULL;
	if (strcmp(r->kind, "ClusterIssuer") == 0)
		return ctrl_get(c, CTRL_CISSUER, "", r->name);
	if (strcmp(r->kind, "Issuer") == 0)
		return ctrl_get(c, CTRL_ISSUER, ns, r->name);
	return NULL;
}

void ctrl_cert_mark_issuer(struct ctrl *c, const char *ns, const char *name)
{
	const char *cns, *cname;
	json_t *certs, *cert;

	json_object_foreach(c->cache[CTRL_CERT], cns, certs)
	{
		if (*ns && strcmp(ns, cns) != 0)
			continue;
		json_object_foreach(certs, cname, cert)
		{
			struct issuer_ref r = ref_of(cert);

			if (strcmp(r.name, name) == 0 &&
			    strcmp(r.kind, *ns ? "Issuer" : "ClusterIssuer") == 0)
				ctrl_mark(c, CTRL_Q_CERT, cns, cname);
		}
	}
}

void ctrl_cert_mark_secret(struct ctrl *c, const char *ns, const char *secret)
{
	const char *name;
	json_t *o;

	json_object_foreach((json_t *)ctrl_ns(c, CTRL_CERT, ns), name, o)
	{
		const char *s = k1s_json_str(o, "spec.secretName");

		if (s && strcmp(s, secret) == 0)
			ctrl_mark(c, CTRL_Q_CERT, ns, name);
	}
	/* A CA issuer's key pair. */
	json_object_foreach((json_t *)ctrl_ns(c, CTRL_ISSUER, ns), name, o)
	{
		const char *s = k1s_json_str(o, "spec.ca.secretName");

		if (s && strcmp(s, secret) == 0) {
			ctrl_mark(c, CTRL_Q_ISSUER, ns, name);
			ctrl_cert_mark_issuer(c, ns, name);
		}
	}
	if (strcmp(ns, CLUSTER_RESOURCE_NS) != 0)
		return;
	json_object_foreach((json_t *)ctrl_ns(c, CTRL_CISSUER, ""), name, o)
	{
		const char *s = k1s_json_str(o, "spec.ca.secretName");

		if (s && strcmp(s, secret) == 0) {
			ctrl_mark(c, CTRL_Q_ISSUER, "", name);
			ctrl_cert_mark_issuer(c, "", name);
		}
	}
}

/* ---- conditions ---- */

/* apiutil.SetCertificateCondition / SetIssuerCondition: the transition
 * time moves only when the status does. */
static void set_cond(json_t *status, const char *type, const char *st, const char *reason,
                     const char *msg, json_int_t gen, time_t now)
{
	json_t *conds = json_object_get(status, "conditions");
	json_t *old = ctrl_cond(status, type), *nc;
	char ts[40];

	k1s_time_fmt(ts, sizeof(ts), now);
	nc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "type", type, "status", st,
	               "lastTransitionTime", ts, "reason", reason, "message", msg,
	               "observedGeneration", gen);
	if (old && strcmp(k1s_json_str(old, "status") ?: "", st) == 0 &&
	    k1s_json_str(old, "lastTransitionTime"))
		json_object_set(nc, "lastTransitionTime",
		                json_object_get(old, "lastTransitionTime"));
	if (!json_is_array(conds)) {
		conds = json_array();
		json_object_set_new(status, "conditions", conds);
	}
	for (size_t i = 0; i < json_array_size(conds); i++)
		if (json_array_get(conds, i) == old) {
			json_array_set_new(conds, i, nc);
			return;
		}
	json_array_append_new(conds, nc);
}

/* Removes the condition of `type`, as the issuing controller removes
 * Issuing once the certificate is in its Secret. */
static void drop_cond(json_t *status, const char *type)
{
	json_t *conds = json_object_get(status, "conditions");

	for (size_t i = 0; i < json_array_size(conds); i++)
		if (strcmp(k1s_json_str(json_array_get(conds, i), "type") ?: "", type) == 0)
			json_array_remove(conds, i--);
}

/* Writes obj's status when it differs from what is stored. */
static void put_status(struct ctrl *c, enum ctrl_kind k, enum ctrl_queue q, const json_t *have,
                       json_t *status)
{
	const char *ns = k1s_json_str(have, "metadata.namespace") ?: "";
	const char *name = k1s_json_str(have, "metadata.name");
	json_t *upd;

	if (json_equal(json_object_get(have, "status"), status))
		return;
	upd = json_deep_copy(have);
	json_object_set(upd, "status", status);
	if (ctrl_update(c, k, upd, true) < 0)
		ctrl_retry(c, q, ns, name);
	json_decref(upd);
}

/* ---- issuers ---- */

struct verdict {
	const char *status, *reason;
	char msg[600];
};

/* pkg/issuer/ca/setup.go: the CA issuer's key pair, read from its Secret. */
static void ca_verdict(struct ctrl *c, const char *ns, const char *secret, struct verdict *v,
                       char **crt_out, char **key_out)
{
	const json_t *s = ctrl_get(c, CTRL_SECRET, ns, secret);
	static const char pre[] = "Error getting keypair for CA issuer: ";
	struct k1s_cert_info info;
	char err[256];
	size_t crt_len = 0, key_len = 0;
	char *crt = secret_data(s, "tls.crt", &crt_len), *key = secret_data(s, "tls.key", &key_len);

	v->status = "False";
	v->reason = "ErrGetKeyPair";
	if (!s)
		snprintf(v->msg, sizeof(v->msg), "%ssecrets \"%s\" not found", pre, secret);
	else if (!crt || !crt_len)
		snprintf(v->msg, sizeof(v->msg), "%sno data for \"tls.crt\" in secret '%s/%s'", pre,
		         ns, secret);
	else if (!key || !key_len)
		snprintf(v->msg, sizeof(v->msg), "%sno data for \"tls.key\" in secret '%s/%s'", pre,
		         ns, secret);
	else if (k1s_pki_check_pair(crt, crt_len, key, key_len, err, sizeof(err)) < 0 ||
	         k1s_pki_cert_info(crt, crt_len, &info, err, sizeof(err)) < 0)
		snprintf(v->msg, sizeof(v->msg), "%s%s", pre, err);
	else if (!info.is_ca) {
		v->reason = "ErrInvalidKeyPair";
		snprintf(v->msg, sizeof(v->msg), "%scertificate is not a CA", pre);
	} else {
		v->status = "True";
		v->reason = "KeyPairVerified";
		snprintf(v->msg, sizeof(v->msg), "Signing CA verified");
		if (crt_out && key_out) {
			*crt_out = crt;
			*key_out = key;
			return;
		}
	}
	k1s_pki_free(crt);
	k1s_pki_free(key);
}

/* What an issuer's Ready condition says. */
static void issuer_verdict(struct ctrl *c, const json_t *iss, bool cluster, struct verdict *v)
{
	const char *ns = cluster ? CLUSTER_RESOURCE_NS : k1s_json_str(iss, "metadata.namespace");
	const json_t *spec = json_object_get(iss, "spec");

	if (json_object_get(spec, "ca")) {
		ca_verdict(c, ns, k1s_json_str(spec, "ca.secretName") ?: "", v, NULL, NULL);
	} else if (json_object_get(spec, "selfSigned")) {
		/* pkg/issuer/selfsigned/setup.go */
		v->status = "True";
		v->reason = "IsReady";
		v->msg[0] = '\0';
	} else if (json_object_get(spec, "acme")) {
		v->status = "True";
		v->reason = "OfflineClusterCA";
		snprintf(v->msg, sizeof(v->msg),
		         "Offline: certificates are issued by the k1s cluster CA in place of the "
		         "ACME server %s, which is not contacted",
		         k1s_json_str(spec, "acme.server") ?: "");
	} else {
		v->status = "True";
		v->reason = "OfflineClusterCA";
		snprintf(v->msg, sizeof(v->msg),
		         "Offline: certificates are issued by the k1s cluster CA in place of this "
		         "issuer's signer, which is not contacted");
	}
}

void ctrl_issuer_sync(struct ctrl *c, const char *ns, const char *name)
{
	bool cluster = !*ns;
	const json_t *iss = ctrl_get(c, cluster ? CTRL_CISSUER : CTRL_ISSUER, ns, name);
	const char *kind = cluster ? "ClusterIssuer" : "Issuer";
	json_t *status, *old;
	struct verdict v;

	if (!iss)
		return;
	issuer_verdict(c, iss, cluster, &v);
	old = ctrl_cond(json_object_get(iss, "status"), "Ready");
	status = json_deep_copy(json_object_get(iss, "status"));
	if (!json_is_object(status)) {
		json_decref(status);
		status = json_object();
	}
	set_cond(status, "Ready", v.status, v.reason, v.msg,
	         ctrl_int(iss, "metadata.generation", 1), ctrl_now(c));
	/* The CA issuer records its verdict as an event when it changes. */
	if (strcmp(k1s_json_str(old, "reason") ?: "", v.reason) != 0 &&
	    json_object_get(json_object_get(iss, "spec"), "ca"))
		ctrl_event(c, iss, kind, "cert-manager.io/v1",
		           strcmp(v.status, "True") == 0 ? "Normal" : "Warning", v.reason,
		           cluster ? "cert-manager-clusterissuers" : "cert-manager-issuers", "%s",
		           v.msg);
	put_status(c, cluster ? CTRL_CISSUER : CTRL_ISSUER, CTRL_Q_ISSUER, iss, status);
	json_decref(status);
}

/* ---- certificates ---- */

/* Who signs a Certificate's next certificate. */
struct signer {
	enum { SIGN_CA, SIGN_SELF, SIGN_STAND_IN, SIGN_NOT_READY } how;
	char *crt, *key; /* the CA's, for SIGN_CA and SIGN_STAND_IN */
	char why[600];   /* SIGN_STAND_IN: what the cluster CA stands in for */
};

static void signer_fini(struct signer *s)
{
	k1s_pki_free(s->crt);
	k1s_pki_free(s->key);
	s->crt = s->key = NULL;
}

static void signer_of(struct ctrl *c, const json_t *cert, struct signer *s)
{
	const char *ns = k1s_json_str(cert, "metadata.namespace") ?: "";
	struct issuer_ref r = ref_of(cert);
	const json_t *iss = issuer_get(c, ns, &r);
	const json_t *spec = json_object_get(iss, "spec");
	bool cluster = strcmp(r.kind, "ClusterIssuer") == 0;
	struct verdict v;

	memset(s, 0, sizeof(*s));
	if (!iss) {
		s->how = SIGN_STAND_IN;
		snprintf(s->why, sizeof(s->why), "%s.%s/%s, which %s", r.kind, r.group, r.name,
		         strcmp(r.group, CM_GROUP) == 0 ? "does not exist"
		                                        : "is not reached offline");
	} else if (json_object_get(spec, "ca")) {
		ca_verdict(c, cluster ? CLUSTER_RESOURCE_NS : ns,
		           k1s_json_str(spec, "ca.secretName") ?: "", &v, &s->crt, &s->key);
		s->how = strcmp(v.status, "True") == 0 ? SIGN_CA : SIGN_NOT_READY;
		snprintf(s->why, sizeof(s->why), "%s", v.msg);
		return;
	} else if (json_object_get(spec, "selfSigned")) {
		s->how = SIGN_SELF;
		return;
	} else {
		s->how = SIGN_STAND_IN;
		snprintf(s->why, sizeof(s->why), "%s.%s/%s%s", r.kind, r.group, r.name,
		         json_object_get(spec, "acme") ? " and its ACME server" : "");
	}
}

/* The cluster CA's pair for a stand-in, read only when it signs. */
static int stand_in_load(struct ctrl *c, struct signer *s)
{
	int err;

	if (s->how != SIGN_STAND_IN || s->crt)
		return 0;
	err = ctrl_ca_get(c->st, &s->crt, &s->key);
	if (err < 0)
		k1s_err("ctrl", "the cluster CA cannot be read: %s", k1s_strerror(err));
	return err;
}

/* The certificate's duration and when to renew it: spec.duration (or the
 * --cert-validity default), and desiredRenewalTime's spec.renewBefore,
 * spec.renewBeforePercentage, or a third of the lifetime. */
static int64_t duration_of(const struct ctrl *c, const json_t *cert)
{
	int64_t d;
	const char *s = k1s_json_str(cert, "spec.duration");

	if (!s || ctrl_duration_parse(s, &d) < 0 || d <= 0)
		return c->cert_validity;
	return d;
}

static time_t renewal_time(const json_t *cert, time_t not_before, time_t not_after)
{
	int64_t life = (int64_t)(not_after - not_before), before = life / 3, rb;
	const char *s = k1s_json_str(cert, "spec.renewBefore");
	int64_t pct = ctrl_int(cert, "spec.renewBeforePercentage", 0);

	if (s && ctrl_duration_parse(s, &rb) == 0 && rb > 0 && rb < life)
		before = rb;
	else if (pct > 0 && pct < 100)
		before = life * pct / 100;
	return not_after - (time_t)before;
}

/* The strings of a JSON array as a set, compared with a comma list. */
static bool same_names(const json_t *want, const char *have_csv)
{
	size_t i, n = 0;
	json_t *w;
	char buf[4096], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", have_csv ? have_csv : "");
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool found = false;

		json_array_foreach(want, i, w) found =
		    found || strcmp(json_string_value(w) ?: "", t) == 0;
		if (!found)
			return false;
		n++;
	}
	return n == json_array_size(want);
}

/* An annotation, or def when it is absent or empty. */
static const char *ann_or(const json_t *obj, const char *key, const char *def)
{
	const char *v = ann(obj, key);

	return v && *v ? v : def;
}

/* policies.go's issuerRef check: the Secret's issuer annotations name the
 * Certificate's issuer, an empty kind or group being the default. */
static bool same_issuer(const json_t *secret, const struct issuer_ref *r)
{
	return strcmp(ann_or(secret, "cert-manager.io/issuer-name", ""), r->name) == 0 &&
	       strcmp(ann_or(secret, "cert-manager.io/issuer-kind", "Issuer"), r->kind) == 0 &&
	       strcmp(ann_or(secret, "cert-manager.io/issuer-group", CM_GROUP), r->group) == 0;
}

/* The trigger's policy chain: why the Secret needs a new certificate, as
 * cert-manager's reason and message, or false when it is up to date. */
struct trigger {
	const char *reason;
	char msg[700];
	time_t not_before, not_after, renewal;
};

static bool needs_issuing(struct ctrl *c, const json_t *cert, const json_t *secret,
                          struct trigger *t)
{
	struct issuer_ref r = ref_of(cert);
	size_t crt_len = 0, key_len = 0;
	char *crt = secret_data(secret, "tls.crt", &crt_len);
	char *key = secret_data(secret, "tls.key", &key_len);
	struct k1s_cert_info info;
	char err[256], viol[128] = "";
	const char *iname = ann(secret, "cert-manager.io/issuer-name");
	bool need = true;

	t->reason = "";
	if (!secret) {
		t->reason = "DoesNotExist";
		snprintf(t->msg, sizeof(t->msg), "Issuing certificate as Secret does not exist");
	} else if (!json_object_size(json_object_get(secret, "data"))) {
		t->reason = "MissingData";
		snprintf(t->msg, sizeof(t->msg),
		         "Issuing certificate as Secret does not contain any data");
	} else if (!key || !key_len) {
		t->reason = "MissingData";
		snprintf(t->msg, sizeof(t->msg),
		         "Issuing certificate as Secret does not contain a private key");
	} else if (!crt || !crt_len) {
		t->reason = "MissingData";
		snprintf(t->msg, sizeof(t->msg),
		         "Issuing certificate as Secret does not contain a certificate");
	} else if (k1s_pki_cert_info(crt, crt_len, &info, err, sizeof(err)) < 0) {
		t->reason = "InvalidCertificate";
		snprintf(t->msg, sizeof(t->msg),
		         "Issuing certificate as Secret contains an invalid certificate: %s", err);
	} else if (k1s_pki_check_pair(crt, crt_len, key, key_len, err, sizeof(err)) < 0) {
		t->reason = "InvalidKeyPair";
		snprintf(t->msg, sizeof(t->msg), "Secret contains an invalid key-pair: %s", err);
	} else if (iname && !same_issuer(secret, &r)) {
		t->reason = "IncorrectIssuer";
		snprintf(t->msg, sizeof(t->msg),
		         "Issuing certificate as Secret was previously issued by \"%s.%s/%s\"",
		         ann_or(secret, "cert-manager.io/issuer-kind", "Issuer"),
		         ann_or(secret, "cert-manager.io/issuer-group", CM_GROUP), iname);
	} else {
		const json_t *dns = k1s_json_path(cert, "spec.dnsNames");
		const char *cn = k1s_json_str(cert, "spec.commonName") ?: "";
		size_t i;
		json_t *d;
		bool covered = true;

		json_array_foreach(dns, i, d) covered =
		    covered && k1s_pki_cert_covers(crt, crt_len, json_string_value(d));
		if (!covered || !same_names(dns, ann(secret, "cert-manager.io/alt-names")))
			snprintf(viol, sizeof(viol), "spec.dnsNames");
		/* Without a commonName, a self-signed one carries a DNS name. */
		if (*cn && strcmp(cn, info.common_name) != 0)
			snprintf(viol + strlen(viol), sizeof(viol) - strlen(viol),
			         "%sspec.commonName", *viol ? " " : "");
		if (!same_names(k1s_json_path(cert, "spec.ipAddresses"),
		                ann(secret, "cert-manager.io/ip-sans")))
			snprintf(viol + strlen(viol), sizeof(viol) - strlen(viol),
			         "%sspec.ipAddresses", *viol ? " " : "");
		t->not_before = info.not_before;
		t->not_after = info.not_after;
		t->renewal = renewal_time(cert, info.not_before, info.not_after);
		if (*viol) {
			t->reason = "SecretMismatch";
			snprintf(t->msg, sizeof(t->msg),
			         "Issuing certificate as Existing issued Secret is not up to date "
			         "for spec: [%s]",
			         viol);
		} else if (ctrl_now(c) >= t->renewal) {
			char when[64];
			struct tm tm;

			/* metav1.Time's String(), as the message prints it. */
			gmtime_r(&t->renewal, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
			t->reason = "Renewing";
			snprintf(t->msg, sizeof(t->msg),
			         "Renewing certificate as renewal was scheduled at %s", when);
		} else {
			need = false;
		}
	}
	k1s_pki_free(crt);
	k1s_pki_free(key);
	return need;
}

/* A comma list of a JSON array of strings (cmutil.JoinWithEscapeCSV for
 * names without commas or quotes). */
static json_t *csv(const json_t *arr)
{
	char buf[4096] = "";
	size_t i, n = 0;
	json_t *v;

	json_array_foreach(arr, i, v) n +=
	    (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, "%s%s", i ? "," : "",
	                     json_string_value(v) ?: "");
	return json_string(buf);
}

/* The Secret as the issuing controller's SecretsManager.setValues leaves
 * it (pkg/controller/certificates/issuing/internal/secret.go). */
static json_t *secret_for(const json_t *cert, const json_t *have, const char *crt, const char *key,
                          const char *ca)
{
	const char *ns = k1s_json_str(cert, "metadata.namespace") ?: "";
	struct issuer_ref r = {k1s_json_str(cert, "spec.issuerRef.name") ?: "",
	                       k1s_json_str(cert, "spec.issuerRef.kind") ?: "",
	                       k1s_json_str(cert, "spec.issuerRef.group") ?: ""};
	const json_t *tmpl = k1s_json_path(cert, "spec.secretTemplate");
	const json_t *orgs = k1s_json_path(cert, "spec.subject.organizations");
	json_t *s =
	    have ? json_deep_copy(have)
	         : json_pack("{s:s, s:s, s:{s:s, s:s}, s:s}", "apiVersion", "v1", "kind", "Secret",
	                     "metadata", "name", k1s_json_str(cert, "spec.secretName"), "namespace",
	                     ns, "type", "kubernetes.io/tls");
	json_t *md = json_object_get(s, "metadata"), *data, *labels, *anns;

	data = json_object_get(s, "data");
	if (!json_is_object(data)) {
		data = json_object();
		json_object_set_new(s, "data", data);
	}
	json_object_set_new(data, "tls.key", b64_json(key));
	json_object_set_new(data, "tls.crt", b64_json(crt));
	json_object_set_new(data, "ca.crt", b64_json(ca));
	labels = json_object_get(md, "labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(md, "labels", labels);
	}
	anns = json_object_get(md, "annotations");
	if (!json_is_object(anns)) {
		anns = json_object();
		json_object_set_new(md, "annotations", anns);
	}
	if (json_is_object(json_object_get(tmpl, "labels")))
		json_object_update(labels, json_object_get(tmpl, "labels"));
	if (json_is_object(json_object_get(tmpl, "annotations")))
		json_object_update(anns, json_object_get(tmpl, "annotations"));
	/* AnnotationsForCertificate (internal/controller/certificates/secrets.go):
	 * common name and SANs even when empty, the rest when set. */
	json_object_set_new(anns, "cert-manager.io/common-name",
	                    json_string(k1s_json_str(cert, "spec.commonName") ?: ""));
	if (json_array_size(orgs))
		json_object_set_new(anns, "cert-manager.io/subject-organizations", csv(orgs));
	json_object_set_new(anns, "cert-manager.io/alt-names",
	                    csv(k1s_json_path(cert, "spec.dnsNames")));
	json_object_set_new(anns, "cert-manager.io/ip-sans",
	                    csv(k1s_json_path(cert, "spec.ipAddresses")));
	json_object_set_new(anns, "cert-manager.io/uri-sans",
	                    csv(k1s_json_path(cert, "spec.uris")));
	json_object_set_new(anns, "cert-manager.io/certificate-name",
	                    json_string(k1s_json_str(cert, "metadata.name") ?: ""));
	json_object_set_new(anns, "cert-manager.io/issuer-name", json_string(r.name));
	json_object_set_new(anns, "cert-manager.io/issuer-kind", json_string(r.kind));
	json_object_set_new(anns, "cert-manager.io/issuer-group", json_string(r.group));
	json_object_set_new(labels, "controller.cert-manager.io/fao", json_string("true"));
	return s;
}

/* A new key and certificate; the PEMs of the Secret's three keys. */
static int sign(struct ctrl *c, const json_t *cert, const struct signer *s, char **crt, char **key,
                char **ca)
{
	const json_t *dns = k1s_json_path(cert, "spec.dnsNames");
	const json_t *ips = k1s_json_path(cert, "spec.ipAddresses");
	const char *dnsv[65] = {0}, *ipv[17] = {0};
	struct k1s_cert_req req = {
	    .common_name = k1s_json_str(cert, "spec.commonName"),
	    .organization = json_string_value(
	        json_array_get(k1s_json_path(cert, "spec.subject.organizations"), 0)),
	    .dns_names = dnsv,
	    .ip_addresses = ipv,
	    .not_before = ctrl_now(c),
	    .not_after = ctrl_now(c) + (time_t)duration_of(c, cert),
	    .is_ca = json_is_true(k1s_json_path(cert, "spec.isCA")),
	};
	char *leaf = NULL;
	int err;

	for (size_t i = 0; i < json_array_size(dns) && i < 64; i++)
		dnsv[i] = json_string_value(json_array_get(dns, i));
	for (size_t i = 0; i < json_array_size(ips) && i < 16; i++)
		ipv[i] = json_string_value(json_array_get(ips, i));
	/* A self-signed certificate's issuer is its subject, and RFC 5280
	 * (4.1.2.4) wants the issuer non-empty, as do mbedTLS and the ingress:
	 * without a commonName, the first DNS name is it. cert-manager's
	 * documentation warns of the empty issuer instead. */
	if (s->how == SIGN_SELF && !req.common_name)
		req.common_name = dnsv[0] ? dnsv[0] : "k1s self-signed";
	if (s->how != SIGN_SELF) {
		struct k1s_cert_info ci;
		char e[128];

		/* The CA issuer's certificates end no later than the CA's. */
		if (k1s_pki_cert_info(s->crt, strlen(s->crt), &ci, e, sizeof(e)) == 0 &&
		    ci.not_after < req.not_after)
			req.not_after = ci.not_after;
	}
	*crt = *key = *ca = NULL;
	err = k1s_pki_key_new(key);
	if (err == 0)
		err = s->how == SIGN_SELF ? k1s_pki_self_signed(&req, *key, &leaf)
		                          : k1s_pki_issue(&req, *key, s->crt, s->key, &leaf);
	if (err < 0) {
		k1s_pki_free(*key);
		*key = NULL;
		return err;
	}
	if (s->how == SIGN_SELF) {
		*crt = leaf;
		*ca = strdup(leaf);
	} else {
		/* tls.crt: the leaf, then the chain; ca.crt: the CA. */
		size_t a = strlen(leaf), b = strlen(s->crt);

		*crt = malloc(a + b + 2);
		if (*crt) {
			memcpy(*crt, leaf, a);
			if (a && leaf[a - 1] != '\n')
				(*crt)[a++] = '\n';
			memcpy(*crt + a, s->crt, b + 1);
		}
		*ca = strdup(s->crt);
		free(leaf);
	}
	if (!*crt || !*ca) {
		free(*crt);
		free(*ca);
		k1s_pki_free(*key);
		*crt = *key = *ca = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void cert_event(struct ctrl *c, const json_t *cert, const char *type, const char *reason,
                       const char *component, const char *msg)
{
	ctrl_event(c, cert, "Certificate", "cert-manager.io/v1", type, reason, component, "%s",
	           msg);
}

/* Issues into the Secret; 0, or a negative errno after an event. */
static int issue(struct ctrl *c, const json_t *cert, const json_t *secret, const struct signer *s)
{
	char *crt, *key, *ca;
	json_t *obj;
	int err = sign(c, cert, s, &crt, &key, &ca);

	if (err < 0) {
		k1s_err("ctrl", "Certificate %s/%s: cannot sign: %s",
		        k1s_json_str(cert, "metadata.namespace"),
		        k1s_json_str(cert, "metadata.name"), k1s_strerror(err));
		return err;
	}
	obj = secret_for(cert, secret, crt, key, ca);
	k1s_pki_free(key);
	free(crt);
	free(ca);
	err = secret ? ctrl_update(c, CTRL_SECRET, obj, false) : ctrl_create(c, CTRL_SECRET, obj);
	json_decref(obj);
	if (err == 0)
		cert_event(c, cert, "Normal", "Issuing", "cert-manager-certificates-issuing",
		           "The certificate has been successfully issued");
	return err;
}

void ctrl_cert_sync(struct ctrl *c, const char *ns, const char *name)
{
	const json_t *cert = ctrl_get(c, CTRL_CERT, ns, name);
	const char *sname = k1s_json_str(cert, "spec.secretName");
	json_int_t gen = ctrl_int(cert, "metadata.generation", 1);
	struct trigger t = {0};
	struct signer s;
	json_t *status;
	const json_t *secret;
	char msg[1400], ts[40];

	if (!cert || !sname)
		return;
	secret = ctrl_get(c, CTRL_SECRET, ns, sname);
	status = json_deep_copy(json_object_get(cert, "status"));
	if (!json_is_object(status)) {
		json_decref(status);
		status = json_object();
	}
	signer_of(c, cert, &s);
	if (needs_issuing(c, cert, secret, &t)) {
		if (s.how == SIGN_NOT_READY) {
			/* The request waits for its issuer, whose status says why. */
			set_cond(status, "Ready", "False", t.reason, t.msg, gen, ctrl_now(c));
			set_cond(status, "Issuing", "True", t.reason, t.msg, gen, ctrl_now(c));
			put_status(c, CTRL_CERT, CTRL_Q_CERT, cert, status);
			ctrl_mark_at(c, CTRL_Q_CERT, ns, name, c->now_ms + RETRY_MS);
			goto out;
		}
		if (stand_in_load(c, &s) < 0) {
			ctrl_retry(c, CTRL_Q_CERT, ns, name);
			goto out;
		}
		cert_event(c, cert, "Normal", "Issuing", "cert-manager-certificates-trigger",
		           t.msg);
		if (issue(c, cert, secret, &s) < 0) {
			ctrl_retry(c, CTRL_Q_CERT, ns, name);
			goto out;
		}
		json_object_set_new(status, "revision",
		                    json_integer(ctrl_int(cert, "status.revision", 0) + 1));
		/* The write put the new Secret in the copy. One that still
		 * falls short of the spec would be issued again at every pass:
		 * it waits, with the reason in the status. */
		secret = ctrl_get(c, CTRL_SECRET, ns, sname);
		if (!secret || needs_issuing(c, cert, secret, &t)) {
			set_cond(status, "Ready", "False", t.reason, t.msg, gen, ctrl_now(c));
			put_status(c, CTRL_CERT, CTRL_Q_CERT, cert, status);
			ctrl_mark_at(c, CTRL_Q_CERT, ns, name, c->now_ms + RETRY_MS);
			goto out;
		}
	}
	/* BuildReadyConditionFromChain: no violation left. */
	snprintf(msg, sizeof(msg), "Certificate is up to date and has not expired");
	if (s.how == SIGN_STAND_IN)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
		         "; issued offline by the k1s cluster CA in place of %s", s.why);
	set_cond(status, "Ready", "True", "Ready", msg, gen, ctrl_now(c));
	drop_cond(status, "Issuing");
	k1s_time_fmt(ts, sizeof(ts), t.not_before);
	json_object_set_new(status, "notBefore", json_string(ts));
	k1s_time_fmt(ts, sizeof(ts), t.not_after);
	json_object_set_new(status, "notAfter", json_string(ts));
	k1s_time_fmt(ts, sizeof(ts), t.renewal);
	json_object_set_new(status, "renewalTime", json_string(ts));
	put_status(c, CTRL_CERT, CTRL_Q_CERT, cert, status);
	/* The trigger's scheduled renewal. */
	ctrl_mark_at(c, CTRL_Q_CERT, ns, name,
	             c->now_ms + (int64_t)(t.renewal - ctrl_now(c)) * 1000);
out:
	signer_fini(&s);
	json_decref(status);
}
