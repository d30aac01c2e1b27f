/* Declarations shared by the api_admit*.c files only: the admission
 * state, the request context, and kube-apiserver's validation helpers and
 * messages (k8s.io/apimachinery/pkg/util/validation and
 * pkg/apis/core/validation). */
#ifndef API_ADMIT_INT_H
#define API_ADMIT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "api_int.h"
#include "k1s_json.h"

struct ctrl_ipalloc;
struct ctrl_portalloc;

struct api_admit {
	struct st *st;			/* NULL in unit tests */
	struct ctrl_ipalloc *ips;	/* the service CIDR */
	struct ctrl_portalloc *ports;	/* the node-port range */
	char port_range[24];		/* "30000-32767", for messages */
};

/* One admission request. Validators append causes; an allocation failure,
 * which kube-apiserver reports before it validates, sets `status` and
 * stops the request. */
struct adm_req {
	struct api_admit *adm;
	const struct k1s_resource *r;
	const json_t *old;	/* NULL on create */
	const char *name;	/* the object's name, for the Status */
	json_t *causes;		/* 422 causes */
	json_t *status;		/* a Status that ends the request, or NULL */
	int err;		/* the errno that goes with `status` */
};

/* ---- causes (api_admit.c) ---- */

/* `Invalid value: <raw>: <detail>`, where raw is already formatted as Go's
 * field.ErrorBody prints the value (%q for strings, %#v for maps, slices
 * and structs). */
void adm_invalid_raw(struct adm_req *q, const char *field, const char *raw, const char *detail);
void adm_invalid_str(struct adm_req *q, const char *field, const char *value, const char *detail);
void adm_invalid_int(struct adm_req *q, const char *field, long long value, const char *detail);
void adm_required(struct adm_req *q, const char *field, const char *detail);
void adm_forbidden(struct adm_req *q, const char *field, const char *detail);
void adm_duplicate_str(struct adm_req *q, const char *field, const char *value);
void adm_duplicate_raw(struct adm_req *q, const char *field, const char *raw);
/* `Unsupported value: "v": supported values: "a", "b"`; `valid` ends with NULL. */
void adm_unsupported(struct adm_req *q, const char *field, const char *value,
		     const char *const *valid);
/* Ends the request with a 422 of the causes collected so far. */
void adm_fail_causes(struct adm_req *q);
/* Ends the request with a 500 InternalError. */
void adm_fail_internal(struct adm_req *q, const char *msg);

/* ---- Go value formatting ---- */

/* A growable string. */
struct adm_buf {
	char *p;
	size_t len, cap;
};
void adm_buf_printf(struct adm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void adm_buf_quote(struct adm_buf *b, const char *s);		/* Go's %q */
void adm_buf_strmap(struct adm_buf *b, const json_t *map);	/* map[string]string{...} */
void adm_buf_strslice(struct adm_buf *b, const json_t *arr);	/* []string{...} */
void adm_buf_selector(struct adm_buf *b, const json_t *ls);	/* v1.LabelSelector{...} */
void adm_buf_free(struct adm_buf *b);
/* snprintf for field paths and messages; a path too long is cut. */
void adm_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- checks: each returns the number of messages put in m ---- */

#define ADM_MSG_MAX 4
#define ADM_MSG_LEN 640
struct adm_msgs {
	int n;
	char m[ADM_MSG_MAX][ADM_MSG_LEN];
};

int adm_dns1123_label(const char *s, struct adm_msgs *m);
int adm_dns1123_subdomain(const char *s, struct adm_msgs *m);
int adm_dns1035_label(const char *s, struct adm_msgs *m);
int adm_qualified_name(const char *s, struct adm_msgs *m);
int adm_label_value(const char *s, struct adm_msgs *m);
int adm_port_name(const char *s, struct adm_msgs *m);	/* IANA_SVC_NAME */
int adm_config_key(const char *s, struct adm_msgs *m);
bool adm_valid_ipv4(const char *s);
bool adm_valid_ip(const char *s);

/* Invalid causes for each message about a string value. */
void adm_invalid_msgs(struct adm_req *q, const char *field, const char *value,
		      const struct adm_msgs *m);

enum adm_name { ADM_NAME_SUBDOMAIN, ADM_NAME_LABEL, ADM_NAME_1035 };

/* ValidateObjectMeta: name, generateName, labels, annotations. */
void adm_validate_meta(struct adm_req *q, const json_t *obj, enum adm_name rule);
void adm_validate_labels(struct adm_req *q, const json_t *labels, const char *field);
void adm_validate_annotations(struct adm_req *q, const json_t *ann, const char *field);
/* A metav1.LabelSelector's keys, values and operators. */
void adm_validate_selector(struct adm_req *q, const json_t *ls, const char *field);
/* True if `labels` satisfies the metav1.LabelSelector `ls`. */
bool adm_selector_matches(const json_t *ls, const json_t *labels);
/* An int-or-string port: 1-65535 or an IANA service name. */
void adm_validate_port_num_or_name(struct adm_req *q, const json_t *v, const char *field);

/* ---- small JSON helpers ---- */

/* The string member, "" when absent or not a string. */
const char *adm_str(const json_t *o, const char *key);
/* Sets o[key] = value when o[key] is absent, null or "". */
void adm_default_str(json_t *o, const char *key, const char *value);
void adm_default_int(json_t *o, const char *key, long long value);
void adm_default_bool(json_t *o, const char *key, bool value);
/* The integer member, 0 when absent or not an integer. */
long long adm_int(const json_t *o, const char *key);
/* Keeps old's status when obj carries none (a write of the main resource). */
void adm_keep_status(const json_t *old, json_t *obj);

/* ---- per kind ---- */

int adm_service(struct adm_req *q, json_t *obj);
void adm_service_commit(struct api_admit *adm, const json_t *old, const json_t *obj);
int adm_service_seed(struct api_admit *adm);

int adm_pod(struct adm_req *q, json_t *obj);
int adm_deployment(struct adm_req *q, json_t *obj);
int adm_replicaset(struct adm_req *q, json_t *obj);
int adm_job(struct adm_req *q, json_t *obj);
/* The defaults of spec.template in a workload's spec (PodSpec defaults). */
void adm_template_defaults(json_t *spec);
/* ValidatePodSpec, errors named under `path`. */
void adm_validate_podspec(struct adm_req *q, const json_t *spec, const char *path);

int adm_namespace(struct adm_req *q, json_t *obj);
int adm_secret(struct adm_req *q, json_t *obj);
int adm_configmap(struct adm_req *q, json_t *obj);
int adm_endpoints(struct adm_req *q, json_t *obj);
int adm_endpointslice(struct adm_req *q, json_t *obj);
int adm_networkpolicy(struct adm_req *q, json_t *obj);
int adm_ingress(struct adm_req *q, json_t *obj);
int adm_ingressclass(struct adm_req *q, json_t *obj);
int adm_generic(struct adm_req *q, json_t *obj, enum adm_name rule);
/* api_admit_cm.c: cert-manager.io/v1, checked against its CRDs' schema. */
int adm_cm(struct adm_req *q, json_t *obj);

#endif
