/* Placeholder: patches not yet implemented. */
#include <errno.h>
#include <stdio.h>
#include "k1s_patch.h"

int k1s_patch_merge(json_t **doc, const json_t *patch, char *err, size_t errlen)
{
	snprintf(err, errlen, "not implemented");
	return -ENOSYS;
}
int k1s_patch_json(json_t **doc, const json_t *ops, char *err, size_t errlen)
{
	snprintf(err, errlen, "not implemented");
	return -ENOSYS;
}
int k1s_patch_strategic(json_t **doc, const json_t *patch, const struct k1s_type *type,
			char *err, size_t errlen)
{
	snprintf(err, errlen, "not implemented");
	return -ENOSYS;
}
int k1s_patch_apply(json_t **doc, const json_t *applied, const struct k1s_type *type,
		    const char *manager, bool force, json_t *conflicts, char *err, size_t errlen)
{
	snprintf(err, errlen, "not implemented");
	return -ENOSYS;
}
