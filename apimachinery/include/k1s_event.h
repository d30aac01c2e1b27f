/* Events as client-go's recorder writes them (core/v1 Event), for the
 * modules that report on objects: the controllers, the runtime, the
 * ingress. */
#ifndef K1S_EVENT_H
#define K1S_EVENT_H

#include <time.h>

#include <jansson.h>

#include "k1s_writer.h"

struct k1s_event_src {
	const char *component;		/* source.component, reportingComponent */
	const char *host;		/* source.host, reportingInstance; NULL = none */
};

/* A new Event about `obj` (kind and apiVersion given, as involvedObject
 * names them), of type Normal or Warning, stamped `at` (0 = now). Named as client-go names them:
 * the object's name and the time in nanoseconds in hex, plus `seq` so two
 * events of one nanosecond differ. NULL when out of memory. */
json_t *k1s_event_new(const json_t *obj, const char *kind, const char *api_version,
		      const char *type, const char *reason, const char *message,
		      const struct k1s_event_src *src, time_t at, unsigned long long seq);

/* Writes a new Event (as k1s_event_new(), stamped now) through w; `seq`
 * is the caller's counter. 0, or the writer's error, for the caller to
 * log. Control loop only. */
int k1s_event_record(const struct k1s_writer *w, const json_t *obj, const char *kind,
		     const char *api_version, const char *type, const char *reason,
		     const char *component, unsigned *seq, const char *msg);

#endif
