/* The patch kinds of the Kubernetes API over jansson values: JSON merge
 * patch (RFC 7386), JSON patch (RFC 6902), strategic merge patch and
 * server-side apply. Pure functions; no I/O.
 *
 * Each returns 0 and replaces *doc with the patched document (the old one
 * is released), or a negative errno with a message in err and *doc
 * untouched: -EINVAL for a malformed patch, -ENOENT for a JSON patch path
 * that does not exist, -ECANCELED for a failed JSON patch "test". */
#ifndef K1S_PATCH_H
#define K1S_PATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "k1s_types.h"

int k1s_patch_merge(json_t **doc, const json_t *patch, char *err, size_t errlen);
int k1s_patch_json(json_t **doc, const json_t *ops, char *err, size_t errlen);

/* Strategic merge patch as kube-apiserver applies it for built-in kinds:
 * merge keys and strategies come from `type` (the kind's top-level type):
 * lists with a merge key merge item by item, others are replaced; the
 * directives $patch (replace, delete, merge), $setElementOrder/<list>,
 * $retainKeys and $deleteFromPrimitiveList/<list> are honoured. */
int k1s_patch_strategic(json_t **doc, const json_t *patch, const struct k1s_type *type,
			char *err, size_t errlen);

/* Server-side apply: merges `applied` into *doc (creating from it when
 * *doc is NULL) by the list-map keys of `type`, and records field
 * ownership for `manager` in metadata.managedFields. A field owned by
 * another manager with a different value is a conflict: without `force`
 * the result is -EBUSY and `conflicts` (a JSON array, may be NULL)
 * receives one {"field": ".spec.ports", "manager": "..."} per conflict. */
int k1s_patch_apply(json_t **doc, const json_t *applied, const struct k1s_type *type,
		    const char *manager, bool force, json_t *conflicts, char *err, size_t errlen);

/* Records in obj's metadata.managedFields that `manager` wrote it with a
 * plain create or update (operation "Update"): it owns the fields it
 * added. Other managers' entries are carried over from `old` (NULL for a
 * create); managedFields sent by the client are replaced. 0 or -EINVAL. */
int k1s_patch_track_update(json_t *obj, const json_t *old, const struct k1s_type *type,
			   const char *manager, const char *api_version);

#endif
