/* Shared between the k1s_patch_*.c files. */
#ifndef K1S_PATCH_INT_H
#define K1S_PATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "k1s_types.h"

/* Formats a message into err (if any) and returns rc, so that error paths
 * read `return k1s_patch_fail(err, errlen, -EINVAL, "...")`. */
int k1s_patch_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* JSON equality as Go's encoding/json sees it: numbers compare by value
 * (1 == 1.0), objects regardless of member order. NULL equals only NULL. */
bool k1s_patch_equal(const json_t *a, const json_t *b);

/* Where a value sits in the type tables: either a struct (`t`, NULL when
 * unknown) or, when `map` is set, a map[string]T whose values are
 * described by that field. */
struct k1s_pschema {
	const struct k1s_type *t;
	const struct k1s_field *map;
};

/* The field `key` of an object described by `s`, or NULL when unknown.
 * For maps, the field is synthesized into *tmp. */
const struct k1s_field *k1s_pschema_field(struct k1s_pschema s, const char *key,
					  struct k1s_field *tmp);
/* The schema of an object stored in field f (NULL f: unknown). */
struct k1s_pschema k1s_pschema_of(const struct k1s_field *f);
/* The schema of an item of the list field f. */
struct k1s_pschema k1s_pschema_item(const struct k1s_field *f);

#endif
