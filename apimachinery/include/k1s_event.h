/* Events as client-go's recorder writes them (core/v1 Event), for the
 * modules that report on an object they do not own.
 *
 * Threading: control loop only (it writes through a k1s_writer). */
#ifndef K1S_EVENT_H
#define K1S_EVENT_H

#include <jansson.h>

#include "k1s_writer.h"

/* Records an event about `obj` (its metadata names it) of kind `kind`
 * (apiVersion `api_version`): type Normal or Warning, a CamelCase reason,
 * the reporting component and a message. 0, or the writer's error, for the
 * caller to log. `seq` keeps two events of one nanosecond apart;
 * the caller owns it. */
int k1s_event_record(const struct k1s_writer *w, const json_t *obj, const char *kind,
		     const char *api_version, const char *type, const char *reason,
		     const char *component, unsigned *seq, const char *msg);

#endif
