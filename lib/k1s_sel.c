/* Placeholder: selectors not yet implemented. */
#include <errno.h>
#include <stdio.h>
#include "k1s_sel.h"

int k1s_lsel_parse(const char *s, struct k1s_lsel **out, char *err, size_t errlen)
{
	*out = NULL;
	snprintf(err, errlen, "label selectors are not supported yet");
	return -ENOSYS;
}
int k1s_lsel_from_json(const json_t *ls, struct k1s_lsel **out, char *err, size_t errlen)
{
	*out = NULL;
	return -ENOSYS;
}
int k1s_lsel_from_map(const json_t *map, struct k1s_lsel **out)
{
	*out = NULL;
	return -ENOSYS;
}
bool k1s_lsel_match(const struct k1s_lsel *sel, const json_t *labels)
{
	return true;
}
void k1s_lsel_free(struct k1s_lsel *sel)
{
}
int k1s_fsel_parse(const char *s, const char *const *fields, struct k1s_fsel **out, char *err,
		   size_t errlen)
{
	*out = NULL;
	return -ENOSYS;
}
bool k1s_fsel_match(const struct k1s_fsel *sel, const json_t *obj)
{
	return true;
}
void k1s_fsel_free(struct k1s_fsel *sel)
{
}
