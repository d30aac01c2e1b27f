/* The flow rings (k1s_flow.h). A slot is a sequence lock: its version is
 * 0 while it is empty, SLOT_BUSY while a writer fills it and the record's
 * sequence number once it is whole; a reader copies the record between
 * two reads of the version and keeps the copy only if both read the same
 * number. Two writers meet on one slot only when the ring wraps while one
 * of them copies (a ring's worth of records put meanwhile): the second
 * waits for the first to finish, so a record is never two halves. Strings
 * are terminated again on the way out in any case. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k1s_flow.h"

struct flow_slot {
	_Atomic uint64_t ver;
	struct k1s_flow rec;
};

struct k1s_flow_ring {
	const char *module;
	size_t mask;
	struct flow_slot *slots;
	_Atomic uint64_t head;		/* records put */
	_Atomic uint64_t evicted;
	_Atomic uint64_t flows, denied, sent, received;
	_Atomic uint64_t by_code[K1S_FLOW_CODES];
};

#define SLOT_BUSY UINT64_MAX

/* One order for the records of every ring. */
static _Atomic uint64_t flow_seq;

struct k1s_flow_ring *k1s_flow_ring_new(const char *module, unsigned slots)
{
	struct k1s_flow_ring *r = calloc(1, sizeof(*r));
	size_t n = 1;

	while (n < slots)
		n <<= 1;
	if (!r)
		return NULL;
	/* calloc: pages of slots never written are never touched. */
	r->slots = calloc(n, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		return NULL;
	}
	r->module = module;
	r->mask = n - 1;
	return r;
}

void k1s_flow_ring_free(struct k1s_flow_ring *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r);
}

const char *k1s_flow_ring_module(const struct k1s_flow_ring *r)
{
	return r->module;
}

void k1s_flow_strset(char *dst, size_t cap, const char *s)
{
	size_t n = s ? strnlen(s, cap - 1) : 0;

	memcpy(dst, s ? s : "", n);
	dst[n] = '\0';
}

static void terminate(struct k1s_flow *f)
{
	f->service[sizeof(f->service) - 1] = '\0';
	f->name[sizeof(f->name) - 1] = '\0';
	f->detail[sizeof(f->detail) - 1] = '\0';
	f->policies[sizeof(f->policies) - 1] = '\0';
}

static void count(struct k1s_flow_ring *r, const struct k1s_flow *f)
{
	/* An HTTP status (100..599) counts under its class, as the totals
	 * promise for the ingress; a DNS rcode (0..15) under itself. */
	unsigned code = f->code >= 100 ? f->code / 100u : f->code;

	atomic_fetch_add_explicit(&r->flows, 1, memory_order_relaxed);
	if (f->denied)
		atomic_fetch_add_explicit(&r->denied, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->sent, f->sent, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->received, f->received, memory_order_relaxed);
	if (code < K1S_FLOW_CODES)
		atomic_fetch_add_explicit(&r->by_code[code], 1, memory_order_relaxed);
}

void k1s_flow_put(struct k1s_flow_ring *r, const struct k1s_flow *f)
{
	struct flow_slot *s;
	uint64_t seq, old, ev;
	struct timespec ts;

	if (!r)
		return;
	seq = atomic_fetch_add(&flow_seq, 1) + 1;
	s = &r->slots[atomic_fetch_add_explicit(&r->head, 1, memory_order_relaxed) & r->mask];
	while ((old = atomic_exchange_explicit(&s->ver, SLOT_BUSY, memory_order_acquire)) ==
	       SLOT_BUSY)
		sched_yield();
	ev = atomic_load_explicit(&r->evicted, memory_order_relaxed);
	while (old > ev && !atomic_compare_exchange_weak(&r->evicted, &ev, old))
		;
	atomic_thread_fence(memory_order_release);
	s->rec = *f;
	s->rec.seq = seq;
	if (!s->rec.time_us) {
		clock_gettime(CLOCK_REALTIME, &ts);
		s->rec.time_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	terminate(&s->rec);
	atomic_store_explicit(&s->ver, seq, memory_order_release);
	count(r, f);
}

static int seq_cmp(const void *a, const void *b)
{
	const struct k1s_flow *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

size_t k1s_flow_ring_slots(const struct k1s_flow_ring *r)
{
	return r->mask + 1;
}

size_t k1s_flow_read(const struct k1s_flow_ring *r, uint64_t after, struct k1s_flow *out)
{
	size_t n = 0;

	for (size_t i = 0; i <= r->mask; i++) {
		const struct flow_slot *s = &r->slots[i];
		uint64_t v = atomic_load_explicit(&s->ver, memory_order_acquire);

		if (v <= after || v == SLOT_BUSY)
			continue;
		out[n] = s->rec;
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&s->ver, memory_order_relaxed) != v)
			continue;
		terminate(&out[n]);
		n++;
	}
	/* Slots are in put order from some point on, wrapped: sorted here. */
	qsort(out, n, sizeof(*out), seq_cmp);
	return n;
}

uint64_t k1s_flow_evicted(const struct k1s_flow_ring *r)
{
	return atomic_load(&r->evicted);
}

uint64_t k1s_flow_last_seq(void)
{
	return atomic_load(&flow_seq);
}

void k1s_flow_totals(const struct k1s_flow_ring *r, struct k1s_flow_totals *out)
{
	out->flows = atomic_load_explicit(&r->flows, memory_order_relaxed);
	out->denied = atomic_load_explicit(&r->denied, memory_order_relaxed);
	out->sent = atomic_load_explicit(&r->sent, memory_order_relaxed);
	out->received = atomic_load_explicit(&r->received, memory_order_relaxed);
	for (int i = 0; i < K1S_FLOW_CODES; i++)
		out->by_code[i] = atomic_load_explicit(&r->by_code[i], memory_order_relaxed);
}
