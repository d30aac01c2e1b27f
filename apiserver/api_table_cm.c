/* Table printers for cert-manager.io/v1 (certificates, issuers,
 * clusterissuers). kube-apiserver prints a CRD's objects from its
 * additionalPrinterColumns (cert-manager's deploy/crds/cert-manager.io_*.yaml)
 * through apiextensions-apiserver's tableconvertor.go: a Name column
 * first; a column without a description gets "Custom resource definition
 * column (in JSONPath format): PATH"; a value that is absent is a null
 * cell (kubectl prints <none>); a date column shows the age. */
#include <string.h>

#include "api_int.h"
#include "api_table_int.h"
#include "k1s_json.h"

#define JSONPATH_DOC(p) "Custom resource definition column (in JSONPath format): " p

static const char doc_ready[] = JSONPATH_DOC(".status.conditions[?(@.type == \"Ready\")].status");
static const char doc_status[] = JSONPATH_DOC(".status.conditions[?(@.type == \"Ready\")].message");
static const char doc_age[] =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.";

/* A string cell, or null when the value is absent. */
static void cell_opt(json_t *cells, const char *s)
{
	json_array_append_new(cells, s ? json_string(s) : json_null());
}

/* The member `key` of the condition of type Ready, or NULL. */
static const char *ready(const json_t *obj, const char *key)
{
	size_t i;
	json_t *c;

	json_array_foreach(k1s_json_path(obj, "status.conditions"), i, c)
	{
		const char *t = json_string_value(json_object_get(c, "type"));

		if (t && strcmp(t, "Ready") == 0)
			return json_string_value(json_object_get(c, key));
	}
	return NULL;
}

static void cell_date(json_t *cells, const json_t *obj, const char *path, time_t now)
{
	if (!k1s_json_str(obj, path)) {
		json_array_append_new(cells, json_null());
		return;
	}
	api_cell_age(cells, obj, path, now);
}

static const struct api_tcol cert_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Ready", "string", "", doc_ready, 0},
    {"Secret", "string", "", JSONPATH_DOC(".spec.secretName"), 0},
    {"Issuer", "string", "", JSONPATH_DOC(".spec.issuerRef.name"), 1},
    {"Status", "string", "", doc_status, 1},
    {"Expiration", "string", "", JSONPATH_DOC(".status.notAfter"), 1},
    {"Age", "date", "", doc_age, 0},
};

static void cert_row(const json_t *c, time_t now, json_t *cells, json_t *row)
{
	(void)row;
	api_cell_str(cells, k1s_json_str(c, "metadata.name"));
	cell_opt(cells, ready(c, "status"));
	cell_opt(cells, k1s_json_str(c, "spec.secretName"));
	cell_opt(cells, k1s_json_str(c, "spec.issuerRef.name"));
	cell_opt(cells, ready(c, "message"));
	cell_opt(cells, k1s_json_str(c, "status.notAfter"));
	cell_date(cells, c, "metadata.creationTimestamp", now);
}

static const struct api_tcol issuer_cols[] = {
    {"Name", "string", "name", api_tdoc_name, 0},
    {"Ready", "string", "", doc_ready, 0},
    {"Status", "string", "", doc_status, 1},
    {"Age", "date", "", doc_age, 0},
};

static void issuer_row(const json_t *iss, time_t now, json_t *cells, json_t *row)
{
	(void)row;
	api_cell_str(cells, k1s_json_str(iss, "metadata.name"));
	cell_opt(cells, ready(iss, "status"));
	cell_opt(cells, ready(iss, "message"));
	cell_date(cells, iss, "metadata.creationTimestamp", now);
}

const struct api_tprinter api_tprinters_cm[] = {
    API_TPRINTER("cert-manager.io", "certificates", cert_cols, cert_row),
    API_TPRINTER("cert-manager.io", "issuers", issuer_cols, issuer_row),
    API_TPRINTER("cert-manager.io", "clusterissuers", issuer_cols, issuer_row),
    {0},
};
