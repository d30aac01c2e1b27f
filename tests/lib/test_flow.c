/* lib/k1s_flow: records come back in order, whole, with one sequence
 * across rings; a full ring drops its oldest and says so; strings too
 * long are cut; totals count every record. Real threads write while a
 * reader reads: no torn record is ever returned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "k1s_flow.h"

static void order_and_sequence(void **state)
{
	struct k1s_flow_ring *a = k1s_flow_ring_new("dataplane", 5), *b = k1s_flow_ring_new("dns", 4);
	struct k1s_flow f = {.proto = IPPROTO_TCP, .src = 0x0af40005, .dst = 0x0a60000a,
			     .dport = 80, .sent = 10, .received = 20};
	struct k1s_flow out[8];
	uint64_t start = k1s_flow_last_seq();
	size_t n;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(k1s_flow_ring_slots(a), 8);	/* a power of two */
	assert_string_equal(k1s_flow_ring_module(b), "dns");
	K1S_FLOW_SET(f.service, "default/api-service");
	k1s_flow_put(a, &f);
	f.dport = 53;
	k1s_flow_put(b, &f);
	f.dport = 81;
	k1s_flow_put(a, &f);
	k1s_flow_put(NULL, &f);		/* no ring: nothing */
	assert_int_equal(k1s_flow_last_seq(), start + 3);
	n = k1s_flow_read(a, start, out);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].seq, start + 1);
	assert_int_equal(out[0].dport, 80);
	assert_int_equal(out[1].seq, start + 3);
	assert_int_equal(out[1].dport, 81);
	assert_string_equal(out[1].service, "default/api-service");
	assert_true(out[0].time_us > 0);
	/* After a number: only what came later. */
	assert_int_equal(k1s_flow_read(a, start + 1, out), 1);
	assert_int_equal(k1s_flow_read(b, start + 2, out), 0);
	assert_int_equal(k1s_flow_read(b, start, out), 1);
	assert_int_equal(out[0].seq, start + 2);
	assert_int_equal(k1s_flow_evicted(a), 0);
	k1s_flow_ring_free(a);
	k1s_flow_ring_free(b);
}

static void full_ring_drops_oldest(void **state)
{
	struct k1s_flow_ring *r = k1s_flow_ring_new("ingress", 4);
	struct k1s_flow f = {.proto = IPPROTO_TCP}, out[4];
	struct k1s_flow_totals t;
	uint64_t start = k1s_flow_last_seq();

	(void)state;
	for (int i = 0; i < 10; i++) {
		f.code = (uint16_t)(i < 7 ? 200 / 100 : 503 / 100);
		f.denied = i == 9;
		f.sent = 1;
		f.received = 2;
		k1s_flow_put(r, &f);
	}
	assert_int_equal(k1s_flow_read(r, 0, out), 4);
	assert_int_equal(out[0].seq, start + 7);
	assert_int_equal(out[3].seq, start + 10);
	/* Six were dropped, the last of them start + 6. */
	assert_int_equal(k1s_flow_evicted(r), start + 6);
	k1s_flow_totals(r, &t);
	assert_int_equal(t.flows, 10);
	assert_int_equal(t.denied, 1);
	assert_int_equal(t.sent, 10);
	assert_int_equal(t.received, 20);
	assert_int_equal(t.by_code[2], 7);
	assert_int_equal(t.by_code[5], 3);
	k1s_flow_ring_free(r);
}

static void long_strings_cut(void **state)
{
	struct k1s_flow_ring *r = k1s_flow_ring_new("dns", 2);
	struct k1s_flow f = {0}, out[2];
	char longname[600];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	K1S_FLOW_SET(f.name, longname);
	assert_int_equal(strlen(f.name), K1S_FLOW_NAME_LEN - 1);
	K1S_FLOW_SET(f.detail, NULL);
	assert_string_equal(f.detail, "");
	/* A record whose strings were not terminated comes back terminated. */
	memset(f.policies, 'p', sizeof(f.policies));
	k1s_flow_put(r, &f);
	assert_int_equal(k1s_flow_read(r, 0, out), 1);
	assert_int_equal(strlen(out[0].policies), K1S_FLOW_POLICIES_LEN - 1);
	k1s_flow_ring_free(r);
}

/* Writers stamp every field of a record with one value; a record read
 * with two different values was torn. */
#define WRITERS 3
#define PUTS 200000

struct writer {
	struct k1s_flow_ring *r;
	int id;
};

static atomic_int writers_done;

static void *write_many(void *arg)
{
	struct writer *w = arg;
	struct k1s_flow f = {0};

	for (uint32_t i = 0; i < PUTS; i++) {
		uint32_t v = (uint32_t)w->id << 24 | i;

		f.src = f.dst = f.ep = v;
		f.sent = f.received = v;
		snprintf(f.name, sizeof(f.name), "%u", v);
		k1s_flow_put(w->r, &f);
	}
	atomic_fetch_add(&writers_done, 1);
	return NULL;
}

static void concurrent_writers(void **state)
{
	struct k1s_flow_ring *r = k1s_flow_ring_new("dataplane", 64);
	struct k1s_flow *out = calloc(64, sizeof(*out));
	struct writer w[WRITERS];
	pthread_t t[WRITERS];
	struct k1s_flow_totals tot;
	size_t reads = 0, seen = 0;
	char want[32];

	(void)state;
	assert_non_null(out);
	atomic_store(&writers_done, 0);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){r, i + 1};
		assert_int_equal(pthread_create(&t[i], NULL, write_many, &w[i]), 0);
	}
	/* Reads for as long as any writer writes, and once after. */
	for (bool last = false; !last; reads++) {
		size_t n;

		last = atomic_load(&writers_done) == WRITERS;
		n = k1s_flow_read(r, 0, out);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(out[i].src, out[i].dst);
			assert_int_equal(out[i].src, out[i].ep);
			assert_int_equal(out[i].sent, out[i].src);
			assert_int_equal(out[i].received, out[i].src);
			snprintf(want, sizeof(want), "%u", out[i].src);
			assert_string_equal(out[i].name, want);
			if (i)
				assert_true(out[i].seq > out[i - 1].seq);
		}
		seen += n;
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	k1s_flow_totals(r, &tot);
	assert_int_equal(tot.flows, WRITERS * PUTS);
	assert_true(seen >= 64);	/* the last read, of a full ring, at least */
	assert_true(reads > 1);
	free(out);
	k1s_flow_ring_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order_and_sequence),
		cmocka_unit_test(full_ring_drops_oldest),
		cmocka_unit_test(long_strings_cut),
		cmocka_unit_test(concurrent_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
