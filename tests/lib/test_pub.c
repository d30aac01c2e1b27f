/* lib/k1s_pub: a retired snapshot is given back only once every reader
 * has moved past it, and never twice. Real threads as readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <cmocka.h>

#include "k1s_pub.h"

struct snap {
	struct k1s_snap base;
	int value;
	int given_back;
};

static void give_back(void *arg, struct k1s_snap *s)
{
	int *count = arg;

	((struct snap *)s)->given_back++;
	(*count)++;
}

static void given_back_after_every_reader_moved(void **state)
{
	struct snap a = {.value = 1}, b = {.value = 2}, c = {.value = 3};
	struct k1s_pub p;
	int count = 0;

	(void)state;
	assert_int_equal(k1s_pub_init(&p, 2, give_back, &count), 0);
	k1s_pub_publish(&p, &a.base);
	assert_int_equal(a.base.gen, 1);
	assert_ptr_equal(k1s_pub_current(&p), &a.base);
	assert_false(k1s_pub_caught_up(&p));
	k1s_pub_ack(&p, 0, 1);
	k1s_pub_ack(&p, 1, 1);
	assert_true(k1s_pub_caught_up(&p));

	k1s_pub_publish(&p, &b.base);
	k1s_pub_publish(&p, &c.base);
	assert_int_equal(c.base.gen, 3);
	/* Reader 1 still runs a: nothing goes. */
	k1s_pub_ack(&p, 0, 3);
	assert_true(k1s_pub_reclaim(&p));
	assert_int_equal(count, 0);
	/* Reader 1 at b: a goes, b stays. */
	k1s_pub_ack(&p, 1, 2);
	assert_true(k1s_pub_reclaim(&p));
	assert_int_equal(a.given_back, 1);
	assert_int_equal(b.given_back, 0);
	k1s_pub_ack(&p, 1, 3);
	assert_false(k1s_pub_reclaim(&p));
	assert_int_equal(b.given_back, 1);
	assert_int_equal(c.given_back, 0);
	/* The end gives back the current one, once. */
	k1s_pub_fini(&p);
	assert_int_equal(a.given_back + b.given_back + c.given_back, 3);
	assert_int_equal(count, 3);
}

/* Readers on their own threads check that what they hold was never given
 * back while they held it. */
#define NSNAPS 2000

struct reader {
	struct k1s_pub *p;
	int idx;
	_Atomic int *stop;
	int bad;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(r->stop)) {
		struct snap *s = (struct snap *)k1s_pub_current(r->p);

		if (!s)
			continue;
		k1s_pub_ack(r->p, r->idx, s->base.gen);
		/* Held until the next ack: it must stay whole. */
		for (int i = 0; i < 50; i++)
			if (s->given_back || s->value != (int)s->base.gen)
				r->bad++;
	}
	return NULL;
}

static void freed(void *arg, struct k1s_snap *s)
{
	(void)arg;
	((struct snap *)s)->given_back = 1;
	((struct snap *)s)->value = -1;
}

static void readers_on_threads(void **state)
{
	static struct snap snaps[NSNAPS];
	_Atomic int stop = 0;
	struct reader r[2];
	pthread_t th[2];
	struct k1s_pub p;

	(void)state;
	assert_int_equal(k1s_pub_init(&p, 2, freed, NULL), 0);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct reader){&p, i, &stop, 0};
		assert_int_equal(pthread_create(&th[i], NULL, read_loop, &r[i]), 0);
	}
	for (int i = 0; i < NSNAPS; i++) {
		snaps[i].value = i + 1;
		k1s_pub_publish(&p, &snaps[i].base);
		k1s_pub_reclaim(&p);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].bad, 0);
	}
	k1s_pub_fini(&p);
	for (int i = 0; i < NSNAPS; i++)
		assert_int_equal(snaps[i].given_back, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(given_back_after_every_reader_moved),
	    cmocka_unit_test(readers_on_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
