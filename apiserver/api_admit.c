/* Placeholder admission: accepts everything as it is. */
#include <stdlib.h>
#include "api_int.h"

struct api_admit {
	int unused;
};

struct api_admit *api_admit_new(struct st *st, const struct api_config *cfg)
{
	return calloc(1, sizeof(struct api_admit));
}
void api_admit_free(struct api_admit *adm)
{
	free(adm);
}
int api_admit_create(struct api_admit *adm, const struct k1s_resource *r, json_t *obj,
		     json_t **status)
{
	return 0;
}
int api_admit_update(struct api_admit *adm, const struct k1s_resource *r, const json_t *old,
		     json_t *obj, json_t **status)
{
	return 0;
}
void api_admit_commit(struct api_admit *adm, const struct k1s_resource *r, const json_t *old,
		      const json_t *obj)
{
}
