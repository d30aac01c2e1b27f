/* The cluster CA: made at first start, kept in the store's private table,
 * the same ever after. */
#include <pthread.h>
#include <sys/stat.h>

#include "ctrl_test.h"

#include "ctrl_ca.h"
#include "k1s_pki.h"

#define TEN_YEARS (3650L * 24 * 60 * 60)

static void ca_is_made_at_first_start(void **state)
{
	struct fx *fx = *state;
	char *crt, *key, *again_crt, *again_key, err[256], path[512];
	struct k1s_cert_info info;
	struct stat sb;

	/* ctrl_new has made it. */
	assert_int_equal(st_private_get(fx->st, "cluster-ca.crt", &crt), 0);
	assert_int_equal(st_private_get(fx->st, "cluster-ca.key", &key), 0);
	assert_int_equal(k1s_pki_check_pair(crt, strlen(crt), key, strlen(key), err, sizeof(err)),
			 0);
	assert_non_null(strstr(key, "BEGIN EC PRIVATE KEY"));
	assert_int_equal(k1s_pki_cert_info(crt, strlen(crt), &info, err, sizeof(err)), 0);
	assert_true(info.is_ca);
	assert_string_equal(info.common_name, "k1s-ca");
	assert_string_equal(info.issuer, "O=k1s, CN=k1s-ca");
	assert_true(info.not_before <= time(NULL));
	assert_true(info.not_after >= time(NULL) + TEN_YEARS - 60);

	/* Later calls, and a restart, get the same one. */
	assert_int_equal(ctrl_ca_get(fx->st, &again_crt, &again_key), 0);
	assert_string_equal(again_crt, crt);
	assert_string_equal(again_key, key);
	k1s_pki_free(again_crt);
	k1s_pki_free(again_key);
	ctrl_free(fx->c);
	st_close(fx->st);
	fx->st = st_open(fx->dir, &(struct st_opts){.sync = ST_SYNC_NORMAL}, &(int){0});
	assert_non_null(fx->st);
	fake_writer_init(&fx->fw, fx->st);
	fx->c = ctrl_new(fx->st, NULL, &fx->fw.w, &(struct ctrl_config){.node_name = NODE});
	assert_non_null(fx->c);
	assert_int_equal(ctrl_ca_get(fx->st, &again_crt, &again_key), 0);
	assert_string_equal(again_crt, crt);
	assert_string_equal(again_key, key);

	/* The key stays in a file only its owner reads. */
	snprintf(path, sizeof(path), "%s/k1s.db", fx->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 077, 0);

	k1s_pki_free(again_crt);
	k1s_pki_free(again_key);
	k1s_pki_free(crt);
	k1s_pki_free(key);
}

struct racer {
	struct st *st;
	pthread_barrier_t *start;
	char *crt, *key;
	int err;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->start);
	r->err = ctrl_ca_get(r->st, &r->crt, &r->key);
	return NULL;
}

/* Two first callers at once make one CA, and both get it. */
static void two_first_callers_make_one_ca(void **state)
{
	struct racer r[2] = {0};
	pthread_barrier_t start;
	pthread_t t[2];
	char *dir = st_test_dir(), *crt;
	struct st *st;
	int err = 0;

	(void)state;
	st = st_open(dir, &(struct st_opts){.sync = ST_SYNC_NORMAL}, &err);
	assert_non_null(st);
	assert_int_equal(st_private_get(st, "cluster-ca.crt", &crt), -ENOENT);
	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct racer){.st = st, .start = &start};
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r[0].err, 0);
	assert_int_equal(r[1].err, 0);
	assert_string_equal(r[0].crt, r[1].crt);
	assert_string_equal(r[0].key, r[1].key);
	assert_int_equal(st_private_get(st, "cluster-ca.crt", &crt), 0);
	assert_string_equal(crt, r[0].crt);
	free(crt);
	for (int i = 0; i < 2; i++) {
		k1s_pki_free(r[i].crt);
		k1s_pki_free(r[i].key);
	}
	pthread_barrier_destroy(&start);
	st_close(st);
	st_test_rmdir(dir);
}

/* A CA whose key is not its certificate's is an error, not a reason to
 * make a new one that clients do not trust. */
static void broken_ca_is_an_error(void **state)
{
	struct fx *fx = *state;
	char *crt, *key, *other, *now;

	assert_int_equal(st_private_get(fx->st, "cluster-ca.crt", &crt), 0);
	assert_int_equal(ctrl_ca_get(fx->st, &now, &key), 0);
	k1s_pki_free(now);
	/* Another key in the key's place. */
	k1s_pki_free(key);
	assert_int_equal(k1s_pki_key_new(&other), 0);
	assert_int_equal(st_private_put(fx->st, "cluster-ca.key", other), 0);
	k1s_pki_free(other);
	assert_int_equal(ctrl_ca_get(fx->st, &now, &key), -EIO);
	assert_null(now);
	assert_null(key);
	assert_int_equal(st_private_get(fx->st, "cluster-ca.crt", &now), 0);
	assert_string_equal(now, crt);
	free(now);
	free(crt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(ca_is_made_at_first_start, fx_setup, fx_teardown),
	    cmocka_unit_test(two_first_callers_make_one_ca),
	    cmocka_unit_test_setup_teardown(broken_ca_is_an_error, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
