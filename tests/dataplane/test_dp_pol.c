/* The dataplane under NetworkPolicy, over a real store and the real
 * policy module (its evaluator; no kernel rules): a client pod reaches
 * through a cluster IP only the endpoints its policies let it reach, a
 * client that may reach none has its connection reset or its datagrams
 * dropped, and the drop is counted against the policy; the same through
 * the service's node port and its load balancer's address. Pods, their
 * addresses and the backends live in a test range routed `local` on lo.
 * Needs root (the route); skipped otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "dp.h"
#include "dp_int.h"
#include "pol.h"
#include "../fakes/fake_writer.h"
#include "../fakes/pub_sync.h"
#include "k1s_json.h"
#include "k1s_loop.h"

#define RANGE "10.253.128.0/18" /* apart from test_dp's 10.253.64.0/18 */
#define POD_NET "10.253.128.0/20"
#define CLIENT "10.253.130.1"	/* app=client */
#define OTHER "10.253.130.2"	/* app=other */
#define EP_A "10.253.130.11"	/* app=api */
#define EP_B "10.253.130.12"	/* app=api, tier=open */
#define CIP "10.253.160.10"
#define EP_PORT 18080
#define NODE_IP "127.0.0.3"
#define NODE_PORT 30080
#define LB_POOL "10.253.176.1-10.253.176.9"
#define LB_IP "10.253.176.5"	/* the service's spec.loadBalancerIP */

struct backend {
	int fd;
	char id;
	bool udp;
	pthread_t th;
};

static void *backend_main(void *arg)
{
	struct backend *b = arg;

	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		char buf[64];
		int fd;

		if (b->udp) {
			if (recvfrom(b->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len) < 0)
				return NULL;
			sendto(b->fd, &b->id, 1, 0, (struct sockaddr *)&from, len);
			continue;
		}
		fd = accept(b->fd, NULL, NULL);
		if (fd < 0)
			return NULL;
		send(fd, &b->id, 1, MSG_NOSIGNAL);
		close(fd);
	}
}

static int bound(const char *ip, int port, int type)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {1, 0};
	int fd = socket(AF_INET, type, 0), one = 1;

	inet_pton(AF_INET, ip, &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void backend_start(struct backend *b, const char *ip, char id, bool udp)
{
	memset(b, 0, sizeof(*b));
	b->id = id;
	b->udp = udp;
	b->fd = bound(ip, EP_PORT, udp ? SOCK_DGRAM : SOCK_STREAM);
	/* A backend waits as long as it takes. */
	setsockopt(b->fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){0, 0}, sizeof(struct timeval));
	if (!udp)
		assert_int_equal(listen(b->fd, 64), 0);
	pthread_create(&b->th, NULL, backend_main, b);
}

static void backend_stop(struct backend *b)
{
	shutdown(b->fd, SHUT_RDWR);
	close(b->fd);
	pthread_join(b->th, NULL);
}

/* From `from` to ip:port: the backend's id, or 0 when the connection
 * ended without one (reset) or the datagram got no answer. */
static char call_at(const char *from, int type, const char *ip, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = bound(from, 0, type);
	char id = 0;

	inet_pton(AF_INET, ip, &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		if (type == SOCK_DGRAM)
			send(fd, "?", 1, 0);
		if (recv(fd, &id, 1, 0) != 1)
			id = 0;
	}
	close(fd);
	return id;
}

/* From `from` to the cluster IP. */
static char call(const char *from, int type)
{
	return call_at(from, type, CIP, 80);
}

/* ---- fixture ---- */

struct fx {
	char dir[64];
	struct st *st;
	struct k1s_loop *loop;
	struct fake_writer fw;
	struct pol *pol;
	struct dp *dp;
};

static const struct k1s_resource *res(const char *name)
{
	return k1s_resource_find(strcmp(name, "networkpolicies") == 0 ? "networking.k8s.io" : "",
				 name);
}

static void create(struct fx *fx, const char *r, json_t *o)
{
	assert_int_equal(fx->fw.w.create(fx->fw.w.arg, res(r), o), 0);
	json_decref(o);
}

static void put_pod(struct fx *fx, const char *name, const char *ip, json_t *labels)
{
	create(fx, "pods",
	       json_pack("{s:{s:s,s:s,s:o}, s:{s:[{s:s,s:s}]}, s:{s:s,s:s}}", "metadata", "name",
			 name, "namespace", "default", "labels", labels, "spec", "containers",
			 "name", "c", "image", "x", "status", "phase", "Running", "podIP", ip));
}

static void put_svc(struct fx *fx, const char *proto)
{
	create(fx, "services",
	       json_pack("{s:{s:s,s:s}, s:{s:s,s:s,s:[{s:s,s:s,s:i}]}}", "metadata", "name", "web",
			 "namespace", "default", "spec", "type", "ClusterIP", "clusterIP", CIP,
			 "ports", "name", "p", "protocol", proto, "port", 80));
	create(fx, "endpoints",
	       json_pack("{s:{s:s,s:s}, s:[{s:[{s:s},{s:s}], s:[{s:s,s:s,s:i}]}]}", "metadata",
			 "name", "web", "namespace", "default", "subsets", "addresses", "ip", EP_A,
			 "ip", EP_B, "ports", "name", "p", "protocol", proto, "port", EP_PORT));
}

/* A policy selecting `sel` whose one ingress rule admits `from` (NULL:
 * no rule, the pods are isolated). */
static void put_policy(struct fx *fx, const char *name, json_t *sel, json_t *from)
{
	json_t *np = json_pack("{s:{s:s,s:s}, s:{s:{s:o}, s:[s], s:[]}}", "metadata", "name", name,
			       "namespace", "default", "spec", "podSelector", "matchLabels", sel,
			       "policyTypes", "Ingress", "ingress");

	if (from)
		json_array_append_new(k1s_json_path(np, "spec.ingress"),
				      json_pack("{s:[{s:{s:o}}]}", "from", "podSelector",
						"matchLabels", from));
	create(fx, "networkpolicies", np);
}

/* The store's changes taken by the policy module and the dataplane. */
static void sync_all(struct fx *fx)
{
	for (int i = 0; i < 3; i++)
		if (pub_sync(fx->loop, &fx->dp->pub) < 0)
			fail_msg("loops did not take the snapshot");
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct pol_config pcfg = {.node_ip = NODE_IP, .enforce = false};
	struct dp_config cfg = {.loops = 2, .node_ip = NODE_IP};
	static struct k1s_ip4_range pool;
	int err = 0;

	k1s_cidr_parse(POD_NET, &pcfg.pod_net);
	if (k1s_ip4_range_parse(LB_POOL, &pool) < 0)
		return -1;
	cfg.lb_pool = &pool;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_dp_pol.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->st = st_open(fx->dir, &(struct st_opts){ST_SYNC_NORMAL, 0}, &err);
	fx->loop = k1s_loop_new();
	if (!fx->st || !fx->loop)
		return -1;
	fake_writer_init(&fx->fw, fx->st);
	fx->pol = pol_new(fx->st, fx->loop, &pcfg, &err);
	if (!fx->pol)
		return -1;
	cfg.pol = fx->pol;
	fx->dp = dp_new(fx->st, fx->loop, &fx->fw.w, &cfg, &err);
	if (!fx->dp)
		return -1;
	create(fx, "namespaces",
	       json_pack("{s:{s:s,s:{s:s}}}", "metadata", "name", "default", "labels",
			 "kubernetes.io/metadata.name", "default"));
	put_pod(fx, "client", CLIENT, json_pack("{s:s}", "app", "client"));
	put_pod(fx, "other", OTHER, json_pack("{s:s}", "app", "other"));
	put_pod(fx, "api-a", EP_A, json_pack("{s:s}", "app", "api"));
	put_pod(fx, "api-b", EP_B, json_pack("{s:s,s:s}", "app", "api", "tier", "open"));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	dp_free(fx->dp);
	pol_free(fx->pol);
	k1s_loop_free(fx->loop);
	st_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	free(fx);
	return system(cmd) == 0 ? 0 : -1;
}

static long long drops_of(struct fx *fx, const char *policy)
{
	json_t *c = pol_drop_counts(fx->pol);
	long long n = json_integer_value(json_object_get(c, policy));

	json_decref(c);
	return n;
}

/* ---- tests ---- */

static void tcp_goes_only_where_policy_allows(void **state)
{
	struct fx *fx = *state;
	struct backend a, b;
	int na = 0, nb = 0;

	backend_start(&a, EP_A, 'A', false);
	backend_start(&b, EP_B, 'B', false);
	put_svc(fx, "TCP");
	sync_all(fx);
	/* No policy: both endpoints, from anyone. */
	for (int i = 0; i < 8; i++) {
		char id = call(OTHER, SOCK_STREAM);

		na += id == 'A';
		nb += id == 'B';
	}
	assert_true(na >= 2 && nb >= 2);

	/* The api pods admit app=client only: app=other reaches neither, its
	 * connection reset; the client still reaches both. */
	put_policy(fx, "api-from-client", json_pack("{s:s}", "app", "api"),
		   json_pack("{s:s}", "app", "client"));
	sync_all(fx);
	for (int i = 0; i < 6; i++)
		assert_int_equal(call(OTHER, SOCK_STREAM), 0);
	assert_true(drops_of(fx, "default/api-from-client") >= 6);
	na = nb = 0;
	for (int i = 0; i < 8; i++) {
		char id = call(CLIENT, SOCK_STREAM);

		na += id == 'A';
		nb += id == 'B';
	}
	assert_int_equal(na + nb, 8);
	assert_true(na >= 2 && nb >= 2);

	/* tier=open admits everyone: app=other reaches B, every time. */
	put_policy(fx, "open", json_pack("{s:s}", "tier", "open"), json_object());
	sync_all(fx);
	for (int i = 0; i < 8; i++)
		assert_int_equal(call(OTHER, SOCK_STREAM), 'B');
	backend_stop(&a);
	backend_stop(&b);
}

static void udp_goes_only_where_policy_allows(void **state)
{
	struct fx *fx = *state;
	struct backend a, b;
	int na = 0, nb = 0;

	backend_start(&a, EP_A, 'A', true);
	backend_start(&b, EP_B, 'B', true);
	put_svc(fx, "UDP");
	sync_all(fx);
	for (int i = 0; i < 8; i++) {
		char id = call(OTHER, SOCK_DGRAM);

		na += id == 'A';
		nb += id == 'B';
	}
	assert_true(na >= 2 && nb >= 2);

	/* A policy without rules isolates the api pods: no datagram of
	 * app=other's gets anywhere, and none is answered. */
	put_policy(fx, "api-closed", json_pack("{s:s}", "app", "api"), NULL);
	sync_all(fx);
	for (int i = 0; i < 3; i++)
		assert_int_equal(call(OTHER, SOCK_DGRAM), 0);
	assert_true(drops_of(fx, "default/api-closed") >= 3);
	put_policy(fx, "open", json_pack("{s:s}", "tier", "open"), json_object());
	sync_all(fx);
	for (int i = 0; i < 6; i++)
		assert_int_equal(call(OTHER, SOCK_DGRAM), 'B');
	backend_stop(&a);
	backend_stop(&b);
}

/* web as a LoadBalancer (so a NodePort and a cluster IP too) asking for
 * LB_IP, its endpoints A and B. */
static void put_lb_svc(struct fx *fx, const char *proto)
{
	json_t *s = NULL;

	create(fx, "services",
	       json_pack("{s:{s:s,s:s}, s:{s:s,s:s,s:s,s:[{s:s,s:s,s:i,s:i}]}}", "metadata",
			 "name", "web", "namespace", "default", "spec", "type", "LoadBalancer",
			 "clusterIP", CIP, "loadBalancerIP", LB_IP, "ports", "name", "p",
			 "protocol", proto, "port", 80, "nodePort", NODE_PORT));
	create(fx, "endpoints",
	       json_pack("{s:{s:s,s:s}, s:[{s:[{s:s},{s:s}], s:[{s:s,s:s,s:i}]}]}", "metadata",
			 "name", "web", "namespace", "default", "subsets", "addresses", "ip", EP_A,
			 "ip", EP_B, "ports", "name", "p", "protocol", proto, "port", EP_PORT));
	sync_all(fx);
	assert_int_equal(st_get(fx->st, "services", "default", "web", &s), 0);
	assert_string_equal(k1s_json_str(json_array_get(k1s_json_path(s,
						"status.loadBalancer.ingress"), 0), "ip") ?: "",
			    LB_IP);
	json_decref(s);
}

/* The same service reached three ways: its cluster IP, the node port on
 * the node's address, the load balancer's address. */
static const struct {
	const char *what, *ip;
	int port;
} ways[] = {
	{"cluster IP", CIP, 80},
	{"node port", NODE_IP, NODE_PORT},
	{"load balancer", LB_IP, 80},
};

/* Under a policy that admits only app=client to the api pods, app=other
 * gets no answer through any of the three (reset, or datagrams dropped),
 * each counted as a drop, while the client reaches both endpoints through
 * each, as through the cluster IP. */
static void policy_holds_on_every_address(struct fx *fx, int type)
{
	struct backend a, b;
	bool udp = type == SOCK_DGRAM;

	backend_start(&a, EP_A, 'A', udp);
	backend_start(&b, EP_B, 'B', udp);
	put_lb_svc(fx, udp ? "UDP" : "TCP");
	for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		char id = call_at(OTHER, type, ways[w].ip, ways[w].port);

		if (id != 'A' && id != 'B')
			fail_msg("no policy: app=other through the %s got %d", ways[w].what, id);
	}
	put_policy(fx, "api-from-client", json_pack("{s:s}", "app", "api"),
		   json_pack("{s:s}", "app", "client"));
	sync_all(fx);
	for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		long long before = drops_of(fx, "default/api-from-client");
		int na = 0, nb = 0;

		for (int i = 0; i < 3; i++) {
			char id = call_at(OTHER, type, ways[w].ip, ways[w].port);

			if (id != 0)
				fail_msg("app=other reached %c through the %s", id, ways[w].what);
		}
		if (drops_of(fx, "default/api-from-client") < before + 3)
			fail_msg("drops through the %s were not counted", ways[w].what);
		for (int i = 0; i < 8; i++) {
			char id = call_at(CLIENT, type, ways[w].ip, ways[w].port);

			na += id == 'A';
			nb += id == 'B';
		}
		if (na + nb != 8 || na < 1 || nb < 1)
			fail_msg("the client through the %s: A %d, B %d of 8", ways[w].what, na, nb);
	}
	backend_stop(&a);
	backend_stop(&b);
}

static void tcp_node_port_and_lb_as_cluster_ip(void **state)
{
	policy_holds_on_every_address(*state, SOCK_STREAM);
}

static void udp_node_port_and_lb_as_cluster_ip(void **state)
{
	policy_holds_on_every_address(*state, SOCK_DGRAM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tcp_goes_only_where_policy_allows, setup, teardown),
		cmocka_unit_test_setup_teardown(udp_goes_only_where_policy_allows, setup, teardown),
		cmocka_unit_test_setup_teardown(tcp_node_port_and_lb_as_cluster_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(udp_node_port_and_lb_as_cluster_ip, setup, teardown),
	};
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "needs root for a local route; skipped\n");
		return 77;
	}
	if (system("ip route replace local " RANGE " dev lo") != 0)
		return 77;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (system("ip route del local " RANGE " dev lo") != 0)
		fprintf(stderr, "could not remove the test route\n");
	return rc;
}
