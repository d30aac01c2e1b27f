/* Group commit over real HTTP: many clients' creates arriving together
 * share commits, and each still gets its 201 with a revision of its own;
 * a create that fails inside a group (409) undoes only itself; when the
 * group's commit fails, every answer held for it is a 500 and nothing of
 * the group is in the store. The commit's failure is a real one: the
 * SQLite file layer under the store (a VFS in front of the default one)
 * fails the writes to the write-ahead log, where a commit goes. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "api_int.h"
#include "st.h"
#include "../fakes/api_ask.h"

#define CLIENTS 50

/* ---- a file layer whose write-ahead log writes fail on demand ---- */

static sqlite3_vfs faulty_vfs, *real_vfs;
static sqlite3_io_methods wal_methods;
static const sqlite3_io_methods *real_wal_methods;
static bool fail_wal;

static int faulty_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (fail_wal)
		return SQLITE_IOERR_WRITE;
	return real_wal_methods->xWrite(f, buf, n, off);
}

/* The default layer opens the file in place; a WAL file then gets the
 * same methods but for xWrite. */
static int faulty_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
		       int *out)
{
	int rc = real_vfs->xOpen(real_vfs, name, f, flags, out);

	if (rc != SQLITE_OK || !(flags & SQLITE_OPEN_WAL) || !f->pMethods)
		return rc;
	if (!real_wal_methods) {
		real_wal_methods = f->pMethods;
		wal_methods = *f->pMethods;
		wal_methods.xWrite = faulty_write;
	}
	f->pMethods = &wal_methods;
	return rc;
}

static int faulty_delete(sqlite3_vfs *v, const char *n, int s)
{
	return real_vfs->xDelete(real_vfs, n, s);
}

static int faulty_access(sqlite3_vfs *v, const char *n, int fl, int *out)
{
	return real_vfs->xAccess(real_vfs, n, fl, out);
}

static int faulty_fullpath(sqlite3_vfs *v, const char *n, int len, char *out)
{
	return real_vfs->xFullPathname(real_vfs, n, len, out);
}

static void faulty_install(void)
{
	if (real_vfs)
		return;
	sqlite3_initialize();
	real_vfs = sqlite3_vfs_find(NULL);
	assert_non_null(real_vfs);
	faulty_vfs = *real_vfs;
	faulty_vfs.zName = "k1s-test-faulty";
	faulty_vfs.pAppData = NULL;
	faulty_vfs.xOpen = faulty_open;
	faulty_vfs.xDelete = faulty_delete;
	faulty_vfs.xAccess = faulty_access;
	faulty_vfs.xFullPathname = faulty_fullpath;
	/* Only the calls that pass the layer itself need forwarding; the rest
	 * (randomness, time, dlopen) never look at their vfs argument's data
	 * in the unix layer. */
	assert_int_equal(sqlite3_vfs_register(&faulty_vfs, 1), SQLITE_OK);
}

/* ---- many clients at once ---- */

struct client {
	int fd;
	char buf[8192];
	size_t len;
	bool done;
	int code;
	long long rv;
};

static int setup(void **state)
{
	struct api_env *e = calloc(1, sizeof(*e));

	faulty_install();
	fail_wal = false;
	api_env_open(e, "/tmp/k1s-group-XXXXXX");
	assert_int_equal(api_listen(e->api), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct api_env *e = *state;

	fail_wal = false;
	api_env_close(e);
	free(e);
	return 0;
}

static void send_create(struct api_env *e, struct client *c, const char *name)
{
	char body[256], req[512];

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
		 "\"metadata\":{\"name\":\"%s\"},\"data\":{\"k\":\"v\"}}",
		 name);
	snprintf(req, sizeof(req),
		 "POST /api/v1/namespaces/default/configmaps HTTP/1.0\r\nHost: x\r\n"
		 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(body), body);
	memset(c, 0, sizeof(*c));
	c->fd = api_env_dial(e);
	assert_true(c->fd >= 0);
	assert_int_equal(send(c->fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
}

/* Drives the API as the control loop would until every client has its
 * whole answer (the server closes an HTTP/1.0 connection after it). */
static void drive(struct api_env *e, struct client *c, int n)
{
	int left = n;

	for (int round = 0; round < 4000 && left; round++) {
		api_run(e->api);
		for (int i = 0; i < n; i++) {
			struct pollfd pfd = {.fd = c[i].fd, .events = POLLIN};
			ssize_t got;

			if (c[i].done || poll(&pfd, 1, 0) <= 0)
				continue;
			got = recv(c[i].fd, c[i].buf + c[i].len, sizeof(c[i].buf) - 1 - c[i].len, 0);
			if (got > 0) {
				c[i].len += (size_t)got;
				continue;
			}
			c[i].buf[c[i].len] = '\0';
			c[i].done = true;
			close(c[i].fd);
			left--;
			assert_int_equal(sscanf(c[i].buf, "HTTP/1.%*d %d", &c[i].code), 1);
			const char *rv = strstr(c[i].buf, "\"resourceVersion\":\"");
			c[i].rv = rv ? atoll(rv + strlen("\"resourceVersion\":\"")) : 0;
		}
		usleep(500);
	}
	assert_int_equal(left, 0);
}

static bool stored(struct api_env *e, const char *name)
{
	json_t *o = NULL;

	if (st_get(e->st, "configmaps", "default", name, &o) < 0)
		return false;
	json_decref(o);
	return true;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* 50 clients create at once: all 201, all stored, 50 distinct revisions,
 * in fewer commits than writes. */
static void concurrent_creates_share_commits(void **state)
{
	struct api_env *e = *state;
	struct client c[CLIENTS];
	long long rvs[CLIENTS];
	uint64_t commits = st_stats(e->st)->commits;
	char name[64];

	for (int i = 0; i < CLIENTS; i++) {
		snprintf(name, sizeof(name), "cm-%d", i);
		send_create(e, &c[i], name);
	}
	drive(e, c, CLIENTS);
	for (int i = 0; i < CLIENTS; i++) {
		snprintf(name, sizeof(name), "cm-%d", i);
		assert_int_equal(c[i].code, 201);
		assert_true(stored(e, name));
		assert_true(c[i].rv > 0);
		rvs[i] = c[i].rv;
	}
	qsort(rvs, CLIENTS, sizeof(rvs[0]), cmp_ll);
	for (int i = 1; i < CLIENTS; i++)
		assert_true(rvs[i] > rvs[i - 1]);
	assert_true(rvs[CLIENTS - 1] <= st_rev(e->st));
	/* Grouped: far fewer commits than the 50 writes. */
	assert_true(st_stats(e->st)->commits - commits < CLIENTS);
	print_message("%d creates, %llu commits\n", CLIENTS,
		      (unsigned long long)(st_stats(e->st)->commits - commits));
}

/* One create of a name that exists, among others: it gets its 409, the
 * others their 201, and they stay. */
static void failed_write_undoes_only_itself(void **state)
{
	struct api_env *e = *state;
	struct client c[11];
	char name[64];

	send_create(e, &c[0], "taken");
	drive(e, c, 1);
	assert_int_equal(c[0].code, 201);

	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "other-%d", i);
		send_create(e, &c[i], i == 5 ? "taken" : name);
	}
	drive(e, c, 10);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "other-%d", i);
		if (i == 5) {
			assert_int_equal(c[i].code, 409);
			assert_non_null(strstr(c[i].buf, "\"reason\":\"AlreadyExists\""));
			continue;
		}
		assert_int_equal(c[i].code, 201);
		assert_true(stored(e, name));
	}
	assert_true(stored(e, "taken"));
}

/* The log cannot be written: the group's commit fails, every create of it
 * is answered 500 (kube-apiserver's InternalError Status), none is
 * stored, and the revision is where it was. Once the disk writes again,
 * so does the API. */
static void failed_commit_answers_500(void **state)
{
	struct api_env *e = *state;
	struct client c[10];
	int64_t rev = st_rev(e->st);
	char name[64];

	fail_wal = true;
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "lost-%d", i);
		send_create(e, &c[i], name);
	}
	drive(e, c, 10);
	fail_wal = false;
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "lost-%d", i);
		assert_int_equal(c[i].code, 500);
		assert_non_null(strstr(c[i].buf, "\"reason\":\"InternalError\""));
		assert_false(stored(e, name));
	}
	assert_int_equal(st_rev(e->st), rev);

	send_create(e, &c[0], "after");
	drive(e, c, 1);
	assert_int_equal(c[0].code, 201);
	assert_int_equal(c[0].rv, rev + 1);
	assert_true(stored(e, "after"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(concurrent_creates_share_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_write_undoes_only_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_commit_answers_500, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
