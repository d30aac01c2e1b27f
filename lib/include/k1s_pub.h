/* Publishing immutable snapshots to data-path threads without locks (the
 * dataplane's and DNS's): the control thread builds a snapshot and swaps
 * it in; each reader thread, when it has moved to a snapshot and holds
 * nothing of the ones before, acknowledges its generation; a retired
 * snapshot is given back once every reader has acknowledged a newer one.
 *
 * A module's snapshot embeds a struct k1s_snap. */
#ifndef K1S_PUB_H
#define K1S_PUB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct k1s_snap {
	uint64_t gen;			/* set by k1s_pub_publish() */
	struct k1s_snap *next;		/* on the retired list */
};

struct k1s_pub {
	_Atomic(struct k1s_snap *) cur;
	struct k1s_snap *retired;
	uint64_t gen;			/* the last published */
	int nreaders;
	_Atomic uint64_t *seen;		/* per reader, the generation it runs */
	void (*give_back)(void *arg, struct k1s_snap *s);
	void *arg;
};

/* 0, or -ENOMEM. give_back receives each snapshot no reader uses any more. */
int k1s_pub_init(struct k1s_pub *p, int nreaders,
		 void (*give_back)(void *arg, struct k1s_snap *s), void *arg);
/* Gives back every snapshot: the readers have stopped. */
void k1s_pub_fini(struct k1s_pub *p);

/* ---- the control thread ---- */

/* Makes s current (with the next generation) and retires the one before. */
void k1s_pub_publish(struct k1s_pub *p, struct k1s_snap *s);
/* Gives back the retired snapshots that every reader has moved past; true
 * while some are still in use. */
bool k1s_pub_reclaim(struct k1s_pub *p);
/* Whether every reader runs generation `gen` or a newer one. */
bool k1s_pub_all_seen(const struct k1s_pub *p, uint64_t gen);
/* Whether every reader runs the current snapshot. */
bool k1s_pub_caught_up(const struct k1s_pub *p);

/* ---- the reader threads ---- */

static inline struct k1s_snap *k1s_pub_current(struct k1s_pub *p)
{
	return atomic_load(&p->cur);
}

static inline void k1s_pub_ack(struct k1s_pub *p, int reader, uint64_t gen)
{
	atomic_store(&p->seen[reader], gen);
}

#endif
