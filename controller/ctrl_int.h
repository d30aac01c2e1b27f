/* Declarations shared inside controller/ by the reconcilers. Nothing
 * outside controller/ (tests excepted) includes this file.
 *
 * The controllers keep a read-only copy of the objects they watch (pods,
 * replica sets, deployments, jobs, namespaces, the kube-root-ca.crt
 * ConfigMaps), fed from the store's event log by a before-sleep hook. Of
 * services, endpoints and endpoint slices, as many as Services, the copy
 * keeps only what routes events to keys (a service's selector, a slice's
 * service, that endpoints exist); a sync reads the objects themselves
 * from the store (ctrl_get). Each event marks the
 * keys it concerns dirty in one queue per reconciler; a pass then
 * reconciles each dirty key once. Writes go through the k1s_writer and are
 * applied to the copy at once, so that a later reconciler of the same pass
 * sees them.
 *
 * Threading: control loop only. */
#ifndef CTRL_INT_H
#define CTRL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>

#include "ctrl.h"
#include "k1s_err.h"
#include "k1s_types.h"
#include "st.h"

/* The kinds the controllers watch. */
enum ctrl_kind {
	CTRL_POD,
	CTRL_RS,
	CTRL_DEPLOY,
	CTRL_SVC,
	CTRL_EP,
	CTRL_EPS,
	CTRL_JOB,
	CTRL_ING,
	CTRL_SECRET,
	CTRL_CERT,
	CTRL_ISSUER,
	CTRL_CISSUER,
	CTRL_NS,
	CTRL_CM,	/* only those named kube-root-ca.crt are kept */
	CTRL_NKINDS,
};

/* The ConfigMap in every namespace that carries the cluster CA. */
#define CTRL_ROOT_CA_CM "kube-root-ca.crt"

/* The work queues. A pass runs them in dependency order (ctrl.c): a
 * deployment scales its replica sets, which create pods, which get
 * scheduled, which services then select, all in one pass when nothing has
 * to wait. */
enum ctrl_queue {
	CTRL_Q_DEPLOY,
	CTRL_Q_RS,
	CTRL_Q_SCHED,
	CTRL_Q_SVC,
	CTRL_Q_JOB,
	CTRL_Q_SHIM,	/* Ingress keys: their Certificates */
	CTRL_Q_ISSUER,	/* Issuer keys; ClusterIssuers under namespace "" */
	CTRL_Q_CERT,	/* Certificate keys: their Secrets and status */
	CTRL_Q_ROOTCA,	/* keys "/<namespace>" */
	CTRL_NQUEUES,
};

struct ctrl_stats {
	uint64_t passes;
	uint64_t reconciles;
	uint64_t writes;
	uint64_t conflicts;
};

struct ctrl {
	struct st *st;
	struct k1s_loop *loop;
	const struct k1s_writer *w;
	char node_name[256];
	int64_t cert_validity;		/* seconds; a Certificate's default duration */

	const struct k1s_resource *res[CTRL_NKINDS];
	const struct k1s_resource *res_event;
	struct st_follower follow;	/* the copy below, kept up with the store */
	const char *follow_res[CTRL_NKINDS + 1];
	bool reconciled;		/* a whole pass has run over a full list */
	json_t *cache[CTRL_NKINDS];	/* namespace -> name -> object, never mutated
					 * (services, endpoints, slices: see kept_value) */
	json_t *dirty[CTRL_NQUEUES];	/* "ns/name" -> true */
	json_t *later[CTRL_NQUEUES];	/* "ns/name" -> due time in ms (k1s_now_ms) */
	json_t *memo;			/* "kind/ns/name" -> content last written */
	json_t *slices_by_svc;		/* "ns/service" -> {slice name: true} */
	json_t *svc_by_label;		/* "ns/key=value" -> {service: true} (ctrl.c) */
	json_t *fetched;		/* "kind/ns/name" -> an object kept by name, read
					 * from the store by the current sync (ctrl_get) */
	char *root_ca;			/* the cluster CA's certificate, PEM */

	unsigned pass_writes;		/* writes made by the current pass */
	unsigned pass_max_writes;	/* and the most it makes (ctrl_config) */
	size_t resume;			/* where in the order the next pass starts */
	int pass_ms;			/* the time it may take, or -1 */
	int last_err;			/* of the last failed write */
	time_t now;			/* wall clock of the current pass */
	time_t fixed_now;		/* tests: the wall clock, when not 0 */
	int64_t now_ms;
	uint64_t event_seq;
	struct ctrl_stats stats;
	struct k1s_hist reconcile_time[CTRL_NQUEUES];	/* per sync of one key */
};

/* ---- ctrl.c: the pass, the copy, the queues and writes ---- */

/* One pass: takes in the store's events, then reconciles every dirty key.
 * Returns the longest the loop may sleep before the next pass, in ms
 * (0 when this pass wrote, so that its own echoes are handled at once,
 * -1 when nothing is pending). */
int ctrl_reconcile(struct ctrl *c);

/* The object of a kind, or NULL. Borrowed until the next write or the end
 * of the current sync. Services, Endpoints and EndpointSlices are read
 * from the store when asked for (ctrl.c), once per sync: NULL then also
 * when the read failed or the object went meanwhile (its event follows);
 * ctrl_known tells those apart from an object the copy never had. */
const json_t *ctrl_get(const struct ctrl *c, enum ctrl_kind k, const char *ns,
		       const char *name);
/* Whether the copy has an object of that name, without reading it. */
bool ctrl_known(const struct ctrl *c, enum ctrl_kind k, const char *ns, const char *name);
/* The objects of a kind in a namespace, as a name -> object JSON object,
 * or NULL when there is none. Borrowed; iterate without modifying. Of
 * the kinds ctrl_get reads from the store, what the copy keeps instead. */
const json_t *ctrl_ns(const struct ctrl *c, enum ctrl_kind k, const char *ns);
/* The names of the EndpointSlices labelled for a service ({name: true}),
 * or NULL: an index, so that a service's sync does not scan them all. */
const json_t *ctrl_slices_of(const struct ctrl *c, const char *ns, const char *svc);

/* True when the pass has made its writes or taken its time: a reconciler
 * with more to do marks its key again for the next pass. */
bool ctrl_pass_spent(const struct ctrl *c);

/* Queues a key for a reconciler, now or at `due_ms` (k1s_now_ms clock). */
void ctrl_mark(struct ctrl *c, enum ctrl_queue q, const char *ns, const char *name);
void ctrl_mark_at(struct ctrl *c, enum ctrl_queue q, const char *ns, const char *name,
		  int64_t due_ms);

/* The wait before retrying a write the API refused, or a read. */
#define CTRL_RETRY_MS 1000

/* Queues a key again after a failed write: at once after a conflict or
 * a name clash (the copy is fresh again), after a second otherwise, so
 * that a write the API keeps refusing does not spin the loop. */
void ctrl_retry(struct ctrl *c, enum ctrl_queue q, const char *ns, const char *name);

/* Writes through the writer. On success `obj` holds the stored object and
 * the copy is updated (the caller still owns obj). On K1S_ECONFLICT the
 * object is re-read into the copy and the caller's key should be marked
 * again. Errors other than a conflict or -EEXIST are logged. */
int ctrl_create(struct ctrl *c, enum ctrl_kind k, json_t *obj);
int ctrl_update(struct ctrl *c, enum ctrl_kind k, json_t *obj, bool status);
/* Deletes; -ENOENT counts as success. */
int ctrl_remove(struct ctrl *c, enum ctrl_kind k, const char *ns, const char *name,
		const char *uid, int grace_seconds);

/* Records a core/v1 Event about `obj` (of `kind`, `api_version`) of type
 * Normal or Warning. Failures are logged and otherwise ignored. */
void ctrl_event(struct ctrl *c, const json_t *obj, const char *kind, const char *api_version,
		const char *type, const char *reason, const char *component, const char *fmt,
		...) __attribute__((format(printf, 8, 9)));

/* ---- helpers over objects (ctrl.c) ---- */

/* The ownerReference with controller: true, or NULL. */
const json_t *ctrl_controller_ref(const json_t *obj);
/* True if obj's controller reference names uid. */
bool ctrl_owned_by(const json_t *obj, const char *uid);
/* An ownerReference {apiVersion, kind, name, uid, controller, blockOwnerDeletion}. */
json_t *ctrl_owner_ref(const json_t *owner, const char *api_version, const char *kind);
/* True if every key=value of `sel` (a JSON object) is in `labels`; an empty
 * or absent selector matches nothing. */
bool ctrl_map_match(const json_t *sel, const json_t *labels);
/* An integer at a dotted path, or def. */
int64_t ctrl_int(const json_t *obj, const char *path, int64_t def);
/* "ns/name" into buf. */
void ctrl_key(char *buf, size_t len, const char *ns, const char *name);
/* The current pass's wall clock. */
time_t ctrl_now(const struct ctrl *c);
/* The timestamp at path as time_t, or 0. */
time_t ctrl_time(const json_t *obj, const char *path);

/* The status.conditions[] entry of `type`, or NULL. */
json_t *ctrl_cond(const json_t *status, const char *type);

/* Pods: not terminal and not being deleted. */
bool ctrl_pod_active(const json_t *pod);
/* Pods: the Ready condition is True; *since gets its lastTransitionTime. */
bool ctrl_pod_ready(const json_t *pod, time_t *since);

/* ---- the reconcilers ---- */

void ctrl_sched_sync(struct ctrl *c, const char *ns, const char *name);
void ctrl_rs_sync(struct ctrl *c, const char *ns, const char *name);
void ctrl_deploy_sync(struct ctrl *c, const char *ns, const char *name);
void ctrl_ep_sync(struct ctrl *c, const char *ns, const char *name);
void ctrl_job_sync(struct ctrl *c, const char *ns, const char *name);
/* ctrl_shim.c: cert-manager's ingress-shim. */
void ctrl_shim_sync(struct ctrl *c, const char *ns, const char *name);
/* ctrl_cert.c: cert-manager's issuers and certificates. */
void ctrl_issuer_sync(struct ctrl *c, const char *ns, const char *name);
void ctrl_cert_sync(struct ctrl *c, const char *ns, const char *name);
/* The Certificates that an Issuer (ns set) or ClusterIssuer (ns "") of
 * that name issues, and those whose Secret is ns/secret, are marked. */
void ctrl_cert_mark_issuer(struct ctrl *c, const char *ns, const char *name);
void ctrl_cert_mark_secret(struct ctrl *c, const char *ns, const char *secret);
/* ns is "", name a namespace: its ConfigMap kube-root-ca.crt. */
void ctrl_rootca_sync(struct ctrl *c, const char *ns, const char *name);

/* The pod-template-hash of a template with an optional collision count
 * (< 0: none), into buf (>= 11 bytes). */
void ctrl_template_hash(const json_t *tmpl, int64_t collisions, char *buf, size_t len);

#endif
