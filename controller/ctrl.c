/* Placeholder controllers. */
#include <stdlib.h>
#include "ctrl.h"

struct ctrl { int unused; };
struct ctrl *ctrl_new(struct st *st, struct k1s_loop *loop, const struct k1s_writer *w,
		      const struct ctrl_config *cfg) { return calloc(1, sizeof(struct ctrl)); }
void ctrl_free(struct ctrl *c) { free(c); }
