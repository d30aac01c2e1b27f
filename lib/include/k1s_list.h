/* Intrusive doubly linked lists: a `struct k1s_list` inside each element,
 * one as the head. Written here rather than taken from sys/queue.h so that
 * an element can leave its list knowing only itself (k1s_list_del), which
 * the data-path loops do from completion callbacks. */
#ifndef K1S_LIST_H
#define K1S_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct k1s_list {
	struct k1s_list *prev, *next;
};

static inline void k1s_list_init(struct k1s_list *h)
{
	h->prev = h->next = h;
}

static inline bool k1s_list_empty(const struct k1s_list *h)
{
	return h->next == h;
}

/* Adds n first (after the head). */
static inline void k1s_list_add(struct k1s_list *h, struct k1s_list *n)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

/* Adds n last (before the head). */
static inline void k1s_list_add_tail(struct k1s_list *h, struct k1s_list *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

/* Takes n out of its list; n is then an empty list of its own. */
static inline void k1s_list_del(struct k1s_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

#define k1s_list_entry(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

#endif
