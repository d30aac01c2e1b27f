/* The control side over a real store and real sockets: the zone served on
 * a loopback address follows the store's Services and Endpoints through
 * changes, deletions and a relist after compaction, while DNS keeps none
 * of their trees (each object the store's followers share is held by the
 * store's table and the test's own follower alone) and an Endpoints
 * change of a Service with a cluster IP publishes no new zone. Port 53 needs root: skipped
 * otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dns_test.h"
#include "k1s_json.h"
#include "st.h"

struct fx {
	char dir[64], ip[32], rc[96];
	struct st *st;
	struct dns *dns;
	/* The test's own follower, which goes first: it shares each object
	 * with DNS through the store's table, and keeps it here. */
	struct st_follower f;
	json_t *kept;		/* "res/ns/name" -> the shared object */
	int sock;
};

static void forget(void *arg)
{
	json_object_clear(((struct fx *)arg)->kept);
}

static void seen(void *arg, const char *res, const json_t *obj, bool deleted)
{
	struct fx *fx = arg;
	char key[256];

	snprintf(key, sizeof(key), "%s/%s/%s", res, k1s_json_str(obj, "metadata.namespace"),
		 k1s_json_str(obj, "metadata.name"));
	if (deleted)
		json_object_del(fx->kept, key);
	else
		json_object_set(fx->kept, key, (json_t *)obj);
}

static const char *const followed[] = {"services", "endpoints", NULL};
static const struct st_follow_ops ops = {forget, seen, NULL};

static void put(struct fx *fx, const char *res, const char *json)
{
	json_t *o = json_loads(json, 0, NULL), *old = NULL;
	const char *ns, *name;

	assert_non_null(o);
	ns = json_string_value(json_object_get(json_object_get(o, "metadata"), "namespace"));
	name = json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
	if (st_get(fx->st, res, ns, name, &old) == 0)
		assert_int_equal(st_update(fx->st, res, ns, name, o, 0), 0);
	else
		assert_int_equal(st_create(fx->st, res, ns, name, o), 0);
	json_decref(old);
	json_decref(o);
}

static void del(struct fx *fx, const char *res, const char *name)
{
	assert_int_equal(st_delete(fx->st, res, "default", name, 0, NULL), 0);
}

static void service(struct fx *fx, const char *name, const char *cip)
{
	char j[512];

	snprintf(j, sizeof(j),
		 "{\"metadata\":{\"namespace\":\"default\",\"name\":\"%s\"},"
		 "\"spec\":{\"clusterIP\":\"%s\",\"ports\":[{\"name\":\"http\",\"port\":80}]}}",
		 name, cip);
	put(fx, "services", j);
}

static void endpoints(struct fx *fx, const char *name, const char *ip1, const char *ip2)
{
	char j[512];

	snprintf(j, sizeof(j),
		 "{\"metadata\":{\"namespace\":\"default\",\"name\":\"%s\"},"
		 "\"subsets\":[{\"addresses\":[{\"ip\":\"%s\"},{\"ip\":\"%s\"}],"
		 "\"ports\":[{\"name\":\"http\",\"port\":8080}]}]}",
		 name, ip1, ip2);
	put(fx, "endpoints", j);
}

/* One pass of the control side, then until every server loop serves its
 * zone. */
static void pass(struct fx *fx)
{
	struct timespec d = {0, 1000000};

	assert_int_equal(st_follow(&fx->f), 0);
	dns_ctl_pass(fx->dns);
	for (int i = 0; i < 2000 && !k1s_pub_all_seen(&fx->dns->pub, fx->dns->pub.gen); i++)
		nanosleep(&d, NULL);
	assert_true(k1s_pub_all_seen(&fx->dns->pub, fx->dns->pub.gen));
}

/* Asks the server over UDP; the answer, parsed. */
static void ask(struct fx *fx, const char *name, uint16_t type, struct t_msg *m)
{
	static uint8_t q[512], a[4096];
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(53)};
	size_t n = t_query(q, 0x4242, name, type, 0);
	ssize_t r;

	inet_pton(AF_INET, fx->ip, &to.sin_addr);
	assert_int_equal(sendto(fx->sock, q, n, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)n);
	r = recv(fx->sock, a, sizeof(a), 0);
	assert_true(r > 0);
	assert_int_equal(t_parse(a, (size_t)r, m), 0);
	assert_int_equal(m->id, 0x4242);
}

static bool has_a(const struct t_msg *m, const char *ip)
{
	for (int i = 0; i < m->an; i++)
		if (m->rr[i].type == DNS_T_A && strcmp(m->rr[i].data, ip) == 0)
			return true;
	return false;
}

static int by_data(const void *a, const void *b)
{
	return strcmp(((const struct t_rr *)a)->data, ((const struct t_rr *)b)->data);
}

/* The A records of a name: "rcode" when it has none. */
static void a_of(struct fx *fx, const char *svc, char *out, size_t cap)
{
	char name[256];
	struct t_msg m;

	snprintf(name, sizeof(name), "%s.default.svc.cluster.local", svc);
	ask(fx, name, DNS_T_A, &m);
	if (m.rcode) {
		snprintf(out, cap, "rcode %d", m.rcode);
		return;
	}
	/* In address order: a headless name's records come in any. */
	qsort(m.rr, (size_t)m.an, sizeof(m.rr[0]), by_data);
	out[0] = 0;
	for (int i = 0; i < m.an; i++)
		if (m.rr[i].type == DNS_T_A)
			snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? " " : "",
				 m.rr[i].data);
}

#define ASSERT_A(fx, svc, want)                           \
	do {                                              \
		char got_[256];                           \
		a_of(fx, svc, got_, sizeof(got_));        \
		assert_string_equal(got_, want);          \
	} while (0)

/* DNS holds none of the store's shared Services and Endpoints: each is
 * held by the store's table and the test's follower alone. */
static void holds_none(struct fx *fx, size_t n)
{
	const char *key;
	json_t *v;

	assert_int_equal(json_object_size(fx->kept), n);
	json_object_foreach(fx->kept, key, v)
		if (v->refcount != 2)
			fail_msg("%s: %zu references, DNS's among them", key, v->refcount);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct dns_config cfg = {.loops = 1};
	struct timeval tv = {2, 0};
	FILE *f;
	int err;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_dns_ctl.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	/* A small event window, so that a burst of writes forces a relist. */
	fx->st = st_open(fx->dir, &(struct st_opts){ST_SYNC_NORMAL, 16}, &err);
	if (!fx->st)
		return -1;
	snprintf(fx->rc, sizeof(fx->rc), "%s/resolv.conf", fx->dir);
	f = fopen(fx->rc, "w");
	if (!f)
		return -1;
	fclose(f);
	/* An address of its own on lo: tests beside this one serve theirs, and
	 * the last test's sockets may linger a while in the kernel. */
	static int n;
	snprintf(fx->ip, sizeof(fx->ip), "127.53.%d.%d", 1 + getpid() % 250, 1 + n++ % 250);
	service(fx, "web", "10.96.0.20");
	endpoints(fx, "web", "10.244.0.5", "10.244.0.6");
	service(fx, "db", "None");
	endpoints(fx, "db", "10.244.0.7", "10.244.0.8");
	fx->kept = json_object();
	st_follow_init(&fx->f, fx->st, "test", followed, &ops, fx);
	cfg.ip = fx->ip;
	cfg.resolv_conf = fx->rc;
	fx->dns = dns_new(fx->st, NULL, &cfg, &err);
	fx->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setsockopt(fx->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*state = fx;
	if (!fx->dns && (err == -EACCES || err == -EPERM)) {
		fprintf(stderr, "binding port 53 needs root\n");
		return 0;
	}
	return fx->dns && fx->sock >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	dns_free(fx->dns);
	close(fx->sock);
	st_close(fx->st);
	json_decref(fx->kept);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

#define NEED_DNS(fx)            \
	do {                    \
		if (!(fx)->dns) \
			skip(); \
	} while (0)

static void test_served_not_kept(void **state)
{
	struct fx *fx = *state;
	char name[32];

	NEED_DNS(fx);
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		service(fx, name, i % 2 ? "None" : "10.96.1.1");
		endpoints(fx, name, "10.244.1.1", "10.244.1.2");
	}
	pass(fx);
	assert_true(dns_ready(fx->dns));
	ASSERT_A(fx, "web", "10.96.0.20");
	ASSERT_A(fx, "db", "10.244.0.7 10.244.0.8");
	ASSERT_A(fx, "s0", "10.96.1.1");
	ASSERT_A(fx, "s1", "10.244.1.1 10.244.1.2");
	holds_none(fx, 104);

	/* Changes come as events: still none kept. */
	endpoints(fx, "db", "10.244.0.9", "10.244.0.8");
	service(fx, "web", "10.96.0.21");
	pass(fx);
	ASSERT_A(fx, "db", "10.244.0.8 10.244.0.9");
	ASSERT_A(fx, "web", "10.96.0.21");
	holds_none(fx, 104);
}

static void test_changes(void **state)
{
	struct fx *fx = *state;
	uint64_t gen;
	struct t_msg m;

	NEED_DNS(fx);
	pass(fx);
	gen = fx->dns->pub.gen;

	/* The Endpoints of a Service with a cluster IP are not in the zone. */
	endpoints(fx, "web", "10.244.0.15", "10.244.0.16");
	pass(fx);
	assert_int_equal(fx->dns->pub.gen, gen);
	ASSERT_A(fx, "web", "10.96.0.20");

	/* A headless Service's are. */
	endpoints(fx, "db", "10.244.0.17", "10.244.0.18");
	pass(fx);
	assert_true(fx->dns->pub.gen > gen);
	ASSERT_A(fx, "db", "10.244.0.17 10.244.0.18");

	/* Headless to a cluster IP and back: the Endpoints as they are now. */
	service(fx, "db", "10.96.0.30");
	pass(fx);
	ASSERT_A(fx, "db", "10.96.0.30");
	endpoints(fx, "db", "10.244.0.19", "10.244.0.18");
	service(fx, "db", "None");
	pass(fx);
	ASSERT_A(fx, "db", "10.244.0.18 10.244.0.19");

	/* A Service with a cluster IP turned headless, then its Endpoints. */
	service(fx, "web", "None");
	pass(fx);
	ASSERT_A(fx, "web", "10.244.0.15 10.244.0.16");
	gen = fx->dns->pub.gen;
	endpoints(fx, "web", "10.244.0.25", "10.244.0.26");
	pass(fx);
	assert_true(fx->dns->pub.gen > gen);
	ASSERT_A(fx, "web", "10.244.0.25 10.244.0.26");

	/* Deleted: the Endpoints first, then the Service. */
	del(fx, "endpoints", "db");
	pass(fx);
	ASSERT_A(fx, "db", "rcode 3");
	del(fx, "services", "db");
	pass(fx);
	ask(fx, "_http._tcp.db.default.svc.cluster.local", DNS_T_SRV, &m);
	assert_int_equal(m.rcode, DNS_RC_NXDOMAIN);
	assert_false(has_a(&m, "10.244.0.19"));
	holds_none(fx, 2);
}

static void test_relist(void **state)
{
	struct fx *fx = *state;
	char name[32];

	NEED_DNS(fx);
	pass(fx);
	ASSERT_A(fx, "web", "10.96.0.20");
	/* More writes than the event log keeps: DNS lists again. */
	del(fx, "services", "web");
	service(fx, "db", "10.96.0.40");
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		service(fx, name, "None");
		endpoints(fx, name, "10.244.2.1", "10.244.2.2");
	}
	st_compact(fx->st, 16);
	assert_true(st_oldest(fx->st) > fx->dns->follow.rev + 1);
	pass(fx);
	assert_int_equal(fx->dns->follow.rev, st_rev(fx->st));
	ASSERT_A(fx, "web", "rcode 3");
	ASSERT_A(fx, "db", "10.96.0.40");
	ASSERT_A(fx, "r39", "10.244.2.1 10.244.2.2");
	holds_none(fx, 83);
	/* And events again after it. */
	endpoints(fx, "r39", "10.244.2.3", "10.244.2.2");
	pass(fx);
	ASSERT_A(fx, "r39", "10.244.2.2 10.244.2.3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_served_not_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relist, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
