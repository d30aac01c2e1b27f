/* Events as client-go's recorder writes them (k8s.io/client-go
 * tools/record/event.go makeEvent). */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "k1s_event.h"
#include "k1s_json.h"
#include "k1s_types.h"

json_t *k1s_event_new(const json_t *obj, const char *kind, const char *api_version,
		      const char *type, const char *reason, const char *message,
		      const struct k1s_event_src *src, time_t at, unsigned long long seq)
{
	const char *ns = k1s_json_str(obj, "metadata.namespace") ?: "default";
	const char *name = k1s_json_str(obj, "metadata.name") ?: "";
	char ename[512], ts[32];
	struct timespec now;
	json_t *ev, *ref;

	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(ename, sizeof(ename), "%s.%llx", name,
		 (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec +
			 seq);
	k1s_time_fmt(ts, sizeof(ts), at ? at : now.tv_sec);
	ref = json_pack("{s:s, s:s, s:s, s:s}", "kind", kind, "namespace", ns, "name", name,
			"apiVersion", api_version);
	if (!ref)
		return NULL;
	if (k1s_json_str(obj, "metadata.uid"))
		json_object_set_new(ref, "uid", json_string(k1s_json_str(obj, "metadata.uid")));
	if (k1s_json_str(obj, "metadata.resourceVersion"))
		json_object_set_new(ref, "resourceVersion",
				    json_string(k1s_json_str(obj, "metadata.resourceVersion")));
	ev = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:{s:s}, s:s, s:s, s:i, s:s, "
		       "s:n, s:s, s:s}",
		       "apiVersion", "v1", "kind", "Event", "metadata", "name", ename, "namespace",
		       ns, "involvedObject", ref, "reason", reason, "message", message, "source",
		       "component", src->component, "firstTimestamp", ts, "lastTimestamp", ts,
		       "count", 1, "type", type, "eventTime", "reportingComponent", src->component,
		       "reportingInstance", src->host ?: "");
	if (ev && src->host)
		json_object_set_new(json_object_get(ev, "source"), "host", json_string(src->host));
	return ev;
}

int k1s_event_record(const struct k1s_writer *w, const json_t *obj, const char *kind,
		     const char *api_version, const char *type, const char *reason,
		     const char *component, unsigned *seq, const char *msg)
{
	struct k1s_event_src src = {component, NULL};
	json_t *ev = k1s_event_new(obj, kind, api_version, type, reason, msg, &src, 0, (*seq)++);
	int err;

	if (!ev)
		return -ENOMEM;
	err = w->create(w->arg, k1s_resource_find("", "events"), ev);
	json_decref(ev);
	return err;
}
