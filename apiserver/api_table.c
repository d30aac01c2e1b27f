/* Placeholder tables: NAME and AGE only. */
#include <stdio.h>
#include "api_int.h"
#include "k1s_json.h"

void api_age(char *buf, size_t len, time_t t, time_t now)
{
	snprintf(buf, len, "%lds", (long)(now - t));
}

json_t *api_table(const struct k1s_resource *r, const json_t *objs, bool with_columns,
		  enum api_include include, time_t now)
{
	json_t *t = json_pack("{s:s,s:s,s:{},s:[]}", "kind", "Table", "apiVersion",
			      "meta.k8s.io/v1", "metadata", "rows");
	size_t i;
	json_t *o;

	if (with_columns)
		json_object_set_new(t, "columnDefinitions",
				    json_pack("[{s:s,s:s,s:s,s:s,s:i},{s:s,s:s,s:s,s:s,s:i}]",
					      "name", "Name", "type", "string", "format", "name",
					      "description", "", "priority", 0, "name", "Age",
					      "type", "string", "format", "", "description", "",
					      "priority", 0));
	json_array_foreach(objs, i, o) {
		char age[32];
		time_t ct = 0;

		k1s_time_parse(k1s_json_str(o, "metadata.creationTimestamp"), &ct);
		api_age(age, sizeof(age), ct, now);
		json_array_append_new(json_object_get(t, "rows"),
				      json_pack("{s:[s,s],s:O}", "cells",
						k1s_json_str(o, "metadata.name"), age, "object", o));
	}
	return t;
}
