/* The ConfigMap kube-root-ca.crt in every namespace, holding the cluster
 * CA's certificate, as kube-controller-manager's root-ca-cert-publisher
 * (pkg/controller/certificates/rootcacertpublisher/publisher.go): made
 * for each new namespace, made again when deleted, and set back when its
 * data or its description annotation is edited. Other keys a user adds
 * to the data go too; other annotations and labels stay. */
#include <string.h>

#include "ctrl_int.h"
#include "k1s_json.h"

#define DESCRIPTION_ANNOTATION "kubernetes.io/description"
/* publisher.go's Description, word for word. */
#define DESCRIPTION                                                                             \
	"Contains a CA bundle that can be used to verify the kube-apiserver when using internal " \
	"endpoints such as the internal service IP or kubernetes.default.svc. No other usage is " \
	"guaranteed across distributions of Kubernetes clusters."

static bool ns_active(const json_t *ns)
{
	const char *phase = k1s_json_str(ns, "status.phase");

	return ns && !k1s_json_path(ns, "metadata.deletionTimestamp") &&
	       !(phase && strcmp(phase, "Terminating") == 0);
}

/* The data is exactly {ca.crt: the CA} and the description is there. */
static bool cm_current(const struct ctrl *c, const json_t *cm)
{
	const json_t *data = json_object_get(cm, "data");
	/* The annotation's name has dots: no dotted path. */
	const char *desc = json_string_value(json_object_get(
		k1s_json_path(cm, "metadata.annotations"), DESCRIPTION_ANNOTATION));
	const char *crt = json_string_value(json_object_get(data, "ca.crt"));

	return json_object_size(data) == 1 && crt && strcmp(crt, c->root_ca) == 0 && desc &&
	       *desc;
}

void ctrl_rootca_sync(struct ctrl *c, const char *ns, const char *name)
{
	const json_t *cm = ctrl_get(c, CTRL_CM, name, CTRL_ROOT_CA_CM);
	json_t *obj, *ann;
	int err;

	(void)ns;
	if (!c->root_ca || !ns_active(ctrl_get(c, CTRL_NS, "", name)))
		return;
	if (!cm) {
		obj = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s}}", "apiVersion", "v1",
				"kind", "ConfigMap", "metadata", "name", CTRL_ROOT_CA_CM,
				"namespace", name, "annotations", DESCRIPTION_ANNOTATION,
				DESCRIPTION, "data", "ca.crt", c->root_ca);
		if (!obj)
			return;
		if (ctrl_create(c, CTRL_CM, obj) < 0)
			ctrl_retry(c, CTRL_Q_ROOTCA, "", name);
		json_decref(obj);
		return;
	}
	if (cm_current(c, cm))
		return;
	obj = json_deep_copy(cm);
	if (!obj)
		return;
	json_object_set_new(obj, "data", json_pack("{s:s}", "ca.crt", c->root_ca));
	ann = k1s_json_path(obj, "metadata.annotations");
	if (!json_is_object(ann)) {
		ann = json_object();
		json_object_set_new(json_object_get(obj, "metadata"), "annotations", ann);
	}
	json_object_set_new(ann, DESCRIPTION_ANNOTATION, json_string(DESCRIPTION));
	err = ctrl_update(c, CTRL_CM, obj, false);
	if (err < 0)
		ctrl_retry(c, CTRL_Q_ROOTCA, "", name);
	json_decref(obj);
}
