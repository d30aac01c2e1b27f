/* Feeds the input to both selector parsers, as a query string and, when it
 * is JSON, as a LabelSelector and as a Service selector map; whatever
 * parses is matched against a fixed object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "k1s_sel.h"

static const char *const fields[] = {
    "metadata.name",
    "metadata.namespace",
    "involvedObject.kind",
    "spec.nodeName",
    "status.phase",
    "count",
    "source=source.component",
    NULL,
};

static const char object[] =
    "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"labels\":{"
    "\"app\":\"web\",\"kubernetes.io/service-name\":\"web\",\"env\":\"\",\"n\":\"7\"}},"
    "\"involvedObject\":{\"kind\":\"Service\"},\"spec\":{\"nodeName\":\"k1s\"},"
    "\"count\":3,\"source\":{\"component\":\"kubelet\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *obj;
	const json_t *labels;
	struct k1s_lsel *ls;
	struct k1s_fsel *fs;
	char err[256];
	char *s;
	json_t *j;

	if (!obj)
		obj = json_loads(object, 0, NULL);
	labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	s = malloc(size + 1);
	if (!s)
		return 0;
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';

	if (k1s_lsel_parse(s, &ls, err, sizeof(err)) == 0) {
		k1s_lsel_match(ls, labels);
		k1s_lsel_match(ls, NULL);
		k1s_lsel_free(ls);
	}
	if (k1s_fsel_parse(s, fields, &fs, err, sizeof(err)) == 0) {
		k1s_fsel_match(fs, obj);
		k1s_fsel_free(fs);
	}
	j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (j) {
		if (k1s_lsel_from_json(j, &ls, err, sizeof(err)) == 0) {
			k1s_lsel_match(ls, labels);
			k1s_lsel_free(ls);
		}
		if (k1s_lsel_from_map(j, &ls) == 0) {
			k1s_lsel_match(ls, labels);
			k1s_lsel_free(ls);
		}
		json_decref(j);
	}
	free(s);
	return 0;
}
