/* Snapshot publishing: see k1s_pub.h. */
#include <errno.h>
#include <stdlib.h>

#include "k1s_pub.h"

int k1s_pub_init(struct k1s_pub *p, int nreaders,
		 void (*give_back)(void *arg, struct k1s_snap *s), void *arg)
{
	*p = (struct k1s_pub){.nreaders = nreaders, .give_back = give_back, .arg = arg};
	atomic_init(&p->cur, NULL);
	p->seen = calloc(nreaders > 0 ? (size_t)nreaders : 1, sizeof(*p->seen));
	return p->seen ? 0 : -ENOMEM;
}

void k1s_pub_fini(struct k1s_pub *p)
{
	struct k1s_snap *s = atomic_exchange(&p->cur, NULL);

	if (s)
		p->give_back(p->arg, s);
	while ((s = p->retired)) {
		p->retired = s->next;
		p->give_back(p->arg, s);
	}
	free((void *)p->seen);
	p->seen = NULL;
}

void k1s_pub_publish(struct k1s_pub *p, struct k1s_snap *s)
{
	struct k1s_snap *old;

	s->gen = ++p->gen;
	s->next = NULL;
	old = atomic_exchange(&p->cur, s);
	if (old) {
		old->next = p->retired;
		p->retired = old;
	}
}

static uint64_t oldest_seen(const struct k1s_pub *p)
{
	uint64_t min = UINT64_MAX;

	for (int i = 0; i < p->nreaders; i++) {
		uint64_t s = atomic_load(&p->seen[i]);

		if (s < min)
			min = s;
	}
	return min;
}

bool k1s_pub_reclaim(struct k1s_pub *p)
{
	uint64_t min = oldest_seen(p);
	struct k1s_snap **pp = &p->retired;

	/* A reader at generation g may still hold nothing older than g. */
	while (*pp) {
		struct k1s_snap *s = *pp;

		if (s->gen < min) {
			*pp = s->next;
			p->give_back(p->arg, s);
		} else {
			pp = &s->next;
		}
	}
	return p->retired != NULL;
}

bool k1s_pub_all_seen(const struct k1s_pub *p, uint64_t gen)
{
	return oldest_seen(p) >= gen;
}

bool k1s_pub_caught_up(const struct k1s_pub *p)
{
	return k1s_pub_all_seen(p, p->gen);
}
