/* cert-manager's ingress-shim (pkg/controller/certificate-shim/sync.go): an
 * Ingress annotated cert-manager.io/cluster-issuer or cert-manager.io/issuer
 * gets one Certificate per tls entry, named after its secretName, for its
 * hosts, controlled by the Ingress; changed with the Ingress, deleted with
 * its tls entry (and, through the ownerReference, with the Ingress). */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "ctrl_int.h"
#include "k1s_json.h"

#define SHIM "cert-manager-ingress-shim"
#define CM_GROUP "cert-manager.io"

/* Annotations of pkg/apis/certmanager/v1/types.go. */
#define ANN_ISSUER "cert-manager.io/issuer"
#define ANN_CLUSTER_ISSUER "cert-manager.io/cluster-issuer"
#define ANN_ISSUER_KIND "cert-manager.io/issuer-kind"
#define ANN_ISSUER_GROUP "cert-manager.io/issuer-group"

static const char *ann(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(k1s_json_path(obj, "metadata.annotations"), key));
}

static void ing_event(struct ctrl *c, const json_t *ing, const char *type, const char *reason,
                      const char *msg)
{
	ctrl_event(c, ing, "Ingress", "networking.k8s.io/v1", type, reason, SHIM, "%s", msg);
}

/* issuerForIngressLike: the issuer the annotations name, or false with
 * the reasons in err. */
static bool issuer_of(const json_t *ing, const char **name, const char **kind, const char **group,
                      char *err, size_t errlen)
{
	const char *iss = ann(ing, ANN_ISSUER), *ciss = ann(ing, ANN_CLUSTER_ISSUER);
	const char *k = ann(ing, ANN_ISSUER_KIND), *g = ann(ing, ANN_ISSUER_GROUP);
	size_t n = 0;

	*name = "";
	*kind = "";
	*group = CM_GROUP; /* the controller's --default-issuer-group */
	err[0] = '\0';
	if (iss) {
		*name = iss;
		*kind = "Issuer";
	}
	if (ciss) {
		*name = ciss;
		*kind = "ClusterIssuer";
	}
	if (k)
		*kind = k;
	if (g)
		*group = g;
#define ADD(...) n += (size_t)snprintf(err + n, n < errlen ? errlen - n : 0, __VA_ARGS__)
	if (!**name)
		ADD("%sfailed to determine issuer name to be used for ingress resource",
		    n ? ", " : "");
	if (iss && ciss)
		ADD("%sboth \"%s\" and \"%s\" may not be set", n ? ", " : "", ANN_ISSUER,
		    ANN_CLUSTER_ISSUER);
	if (ciss && g)
		ADD("%sboth \"%s\" and \"%s\" may not be set", n ? ", " : "", ANN_CLUSTER_ISSUER,
		    ANN_ISSUER_GROUP);
	if (ciss && k)
		ADD("%sboth \"%s\" and \"%s\" may not be set", n ? ", " : "", ANN_CLUSTER_ISSUER,
		    ANN_ISSUER_KIND);
#undef ADD
	return n == 0;
}

static bool is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The Certificate buildCertificates makes for one tls entry. */
static json_t *cert_for(const json_t *ing, const json_t *tls, const char *iname, const char *ikind,
                        const char *igroup)
{
	const char *ns = k1s_json_str(ing, "metadata.namespace") ?: "";
	const char *secret = k1s_json_str(tls, "secretName");
	json_t *labels = json_deep_copy(k1s_json_path(ing, "metadata.labels"));
	json_t *dns = json_array(), *ips = json_array(), *spec, *h;
	const char *cn = ann(ing, "cert-manager.io/common-name");
	const char *dur = ann(ing, "cert-manager.io/duration");
	const char *rb = ann(ing, "cert-manager.io/renew-before");
	size_t i;

	json_array_foreach(json_object_get(tls, "hosts"), i, h)
	{
		const char *s = json_string_value(h);

		if (s)
			json_array_append_new(is_ip(s) ? ips : dns, json_string(s));
	}
	spec = json_pack("{s:s, s:{s:s, s:s, s:s}, s:[s, s]}", "secretName", secret, "issuerRef",
	                 "name", iname, "kind", ikind, "group", igroup, "usages",
	                 "digital signature", "key encipherment");
	if (json_array_size(dns))
		json_object_set(spec, "dnsNames", dns);
	if (json_array_size(ips))
		json_object_set(spec, "ipAddresses", ips);
	json_decref(dns);
	json_decref(ips);
	/* translateAnnotations, the fields k1s issues by. */
	if (cn)
		json_object_set_new(spec, "commonName", json_string(cn));
	if (dur)
		json_object_set_new(spec, "duration", json_string(dur));
	if (rb)
		json_object_set_new(spec, "renewBefore", json_string(rb));
	/* The applyset label is kubectl's, not the Certificate's. */
	if (json_is_object(labels))
		json_object_del(labels, "applyset.kubernetes.io/part-of");
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:o, s:[o]}, s:o}", "apiVersion",
	                 "cert-manager.io/v1", "kind", "Certificate", "metadata", "name", secret,
	                 "namespace", ns, "labels", json_is_object(labels) ? labels : json_object(),
	                 "ownerReferences", ctrl_owner_ref(ing, "networking.k8s.io/v1", "Ingress"),
	                 "spec", spec);
}

static bool secret_used(const json_t *ing, const char *secret)
{
	size_t i;
	json_t *t;

	json_array_foreach(k1s_json_path(ing, "spec.tls"), i, t)
	{
		const char *s = k1s_json_str(t, "secretName");

		if (s && strcmp(s, secret) == 0)
			return true;
	}
	return false;
}

/* Absent labels and no labels are the same. */
static bool labels_equal(const json_t *a, const json_t *b)
{
	if (json_object_size(a) == 0 && json_object_size(b) == 0)
		return true;
	return a && b && json_equal(a, b);
}

static void sync_entry(struct ctrl *c, const json_t *ing, const json_t *want)
{
	const char *ns = k1s_json_str(want, "metadata.namespace");
	const char *name = k1s_json_str(want, "metadata.name");
	const json_t *have = ctrl_get(c, CTRL_CERT, ns, name);
	char msg[512];
	json_t *upd;

	if (!have) {
		json_t *obj = json_deep_copy(want);

		if (ctrl_create(c, CTRL_CERT, obj) == 0) {
			snprintf(msg, sizeof(msg), "Successfully created Certificate \"%s\"", name);
			ing_event(c, ing, "Normal", "CreateCertificate", msg);
		} else {
			ctrl_retry(c, CTRL_Q_SHIM, k1s_json_str(ing, "metadata.namespace"),
			           k1s_json_str(ing, "metadata.name"));
		}
		json_decref(obj);
		return;
	}
	/* A Certificate the Ingress does not control is left alone. */
	if (!ctrl_owned_by(have, k1s_json_str(ing, "metadata.uid")))
		return;
	if (json_equal(json_object_get(have, "spec"), json_object_get(want, "spec")) &&
	    labels_equal(k1s_json_path(have, "metadata.labels"),
	                 k1s_json_path(want, "metadata.labels")))
		return;
	upd = json_deep_copy(have);
	json_object_set(upd, "spec", json_object_get(want, "spec"));
	json_object_set(json_object_get(upd, "metadata"), "labels",
	                k1s_json_path(want, "metadata.labels"));
	if (ctrl_update(c, CTRL_CERT, upd, false) == 0) {
		snprintf(msg, sizeof(msg), "Successfully updated Certificate \"%s\"", name);
		ing_event(c, ing, "Normal", "UpdateCertificate", msg);
	} else {
		ctrl_retry(c, CTRL_Q_SHIM, ns, k1s_json_str(ing, "metadata.name"));
	}
	json_decref(upd);
}

void ctrl_shim_sync(struct ctrl *c, const char *ns, const char *name)
{
	const json_t *ing = ctrl_get(c, CTRL_ING, ns, name);
	const char *iname, *ikind, *igroup, *uid, *cname;
	char err[512], msg[700];
	json_t *t, *cert;
	size_t i;

	if (!ing || (!ann(ing, ANN_ISSUER) && !ann(ing, ANN_CLUSTER_ISSUER)))
		return;
	if (k1s_json_path(ing, "metadata.deletionTimestamp"))
		return;
	if (!issuer_of(ing, &iname, &ikind, &igroup, err, sizeof(err))) {
		snprintf(msg, sizeof(msg),
		         "Could not determine issuer for ingress due to bad annotations: %s", err);
		ing_event(c, ing, "Warning", "BadConfig", msg);
		return;
	}
	json_array_foreach(k1s_json_path(ing, "spec.tls"), i, t)
	{
		const char *secret = k1s_json_str(t, "secretName");
		bool no_hosts = json_array_size(json_object_get(t, "hosts")) == 0;

		/* validateIngressTLSBlock */
		if (no_hosts || !secret || !*secret) {
			/* field.ErrorList.ToAggregate: one error, or [a, b]. */
			if (no_hosts && (!secret || !*secret))
				snprintf(
				    msg, sizeof(msg),
				    "Skipped a TLS block: [spec.tls[%zu].hosts: Required value, "
				    "spec.tls[%zu].secretName: Required value]",
				    i, i);
			else
				snprintf(msg, sizeof(msg),
				         "Skipped a TLS block: spec.tls[%zu].%s: Required value", i,
				         no_hosts ? "hosts" : "secretName");
			ing_event(c, ing, "Warning", "BadConfig", msg);
			continue;
		}
		cert = cert_for(ing, t, iname, ikind, igroup);
		sync_entry(c, ing, cert);
		json_decref(cert);
	}
	/* findCertificatesToBeRemoved */
	uid = k1s_json_str(ing, "metadata.uid");
	json_object_foreach((json_t *)ctrl_ns(c, CTRL_CERT, ns), cname, cert)
	{
		const char *secret = k1s_json_str(cert, "spec.secretName") ?: "";
		char gone[256];

		if (!ctrl_owned_by(cert, uid) || secret_used(ing, secret))
			continue;
		snprintf(gone, sizeof(gone), "%s", cname);
		if (ctrl_remove(c, CTRL_CERT, ns, gone, k1s_json_str(cert, "metadata.uid"), -1) ==
		    0) {
			snprintf(msg, sizeof(msg),
			         "Successfully deleted unrequired Certificate \"%s\"", gone);
			ing_event(c, ing, "Normal", "DeleteCertificate", msg);
		}
	}
}
