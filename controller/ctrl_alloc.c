/* Placeholder allocators. */
#include <errno.h>
#include <stddef.h>
#include "ctrl.h"

struct ctrl_ipalloc *ctrl_ipalloc_new(const char *cidr) { return NULL; }
void ctrl_ipalloc_free(struct ctrl_ipalloc *a) {}
bool ctrl_ipalloc_contains(const struct ctrl_ipalloc *a, const char *ip) { return false; }
bool ctrl_ipalloc_taken(const struct ctrl_ipalloc *a, const char *ip) { return false; }
int ctrl_ipalloc_take(struct ctrl_ipalloc *a, const char *ip) { return -ENOSYS; }
void ctrl_ipalloc_release(struct ctrl_ipalloc *a, const char *ip) {}
int ctrl_ipalloc_pick(const struct ctrl_ipalloc *a, char *buf, size_t len) { return -ENOSYS; }
const char *ctrl_ipalloc_cidr(const struct ctrl_ipalloc *a) { return ""; }
struct ctrl_portalloc *ctrl_portalloc_new(unsigned min, unsigned max) { return NULL; }
void ctrl_portalloc_free(struct ctrl_portalloc *a) {}
bool ctrl_portalloc_contains(const struct ctrl_portalloc *a, unsigned port) { return false; }
bool ctrl_portalloc_taken(const struct ctrl_portalloc *a, unsigned port) { return false; }
int ctrl_portalloc_take(struct ctrl_portalloc *a, unsigned port) { return -ENOSYS; }
void ctrl_portalloc_release(struct ctrl_portalloc *a, unsigned port) {}
int ctrl_portalloc_pick(const struct ctrl_portalloc *a, const unsigned *avoid, size_t n,
			unsigned *port) { return -ENOSYS; }
