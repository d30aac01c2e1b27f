/* Writes as a client makes them: through admission (defaults, validation,
 * allocation) into the store, so that watchers see them. The API server
 * provides one; controllers and the runtime write through it, never into
 * the store directly, and learn about the world only from the store.
 *
 * Threading: control loop only. */
#ifndef K1S_WRITER_H
#define K1S_WRITER_H

#include <stdbool.h>
#include <jansson.h>

#include "k1s_types.h"

struct k1s_writer {
	void *arg;
	/* Creates obj (generateName honoured). On success obj holds the stored
	 * object (uid, resourceVersion...). 0, -EEXIST, K1S_EINVALID (with a
	 * log line), or another negative errno. */
	int (*create)(void *arg, const struct k1s_resource *r, json_t *obj);
	/* Replaces the object named by obj's metadata. With a non-empty
	 * metadata.resourceVersion the write is conditional: K1S_ECONFLICT if
	 * the object changed since. `status` writes the status subresource
	 * (only .status is taken); otherwise .status is kept as stored. On
	 * success obj holds the stored object. */
	int (*update)(void *arg, const struct k1s_resource *r, json_t *obj, bool status);
	/* Deletes an object, as DELETE with propagationPolicy Background.
	 * grace_seconds: -1 = the object's default (pods: graceful, marked with
	 * deletionTimestamp until the runtime has stopped them), 0 = at once.
	 * uid, if not NULL, is a precondition (K1S_ECONFLICT if it differs).
	 * 0 or -ENOENT. */
	int (*remove)(void *arg, const struct k1s_resource *r, const char *ns, const char *name,
		      const char *uid, int grace_seconds);
};

#endif
