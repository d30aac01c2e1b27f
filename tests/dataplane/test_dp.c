/* The service dataplane over a real store: services and endpoints
 * written as a client would, echo backends on 127.0.0.1, and clients
 * connecting to cluster IPs in a test range routed `local` on lo. Needs
 * root (the route); skipped otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "dp.h"
#include "dp_int.h"
#include "../fakes/fake_writer.h"
#include "../fakes/loopback.h"
#include "../fakes/pub_sync.h"
#include "k1s_flow.h"
#include "k1s_loop.h"

#define RANGE "10.253.64.0/18" /* apart from bench/dataplane's 10.254.64.0/18 */
#define CIP "10.253.77.10"
#define NODE_IP "127.0.0.3"

/* ---- backends ---- */

struct backend {
	int fd, port, udp;
	char id;
	pthread_t th;
	int accepted;
};

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg, n;
	char buf[4096];

	while ((n = (int)recv(fd, buf + 1, sizeof(buf) - 1, 0)) > 0) {
		if (send(fd, buf + 1, (size_t)n, MSG_NOSIGNAL) < 0)
			break;
	}
	close(fd);
	return NULL;
}

static void *backend_main(void *arg)
{
	struct backend *b = arg;

	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		char buf[2048];
		pthread_t t;
		int fd, n;

		if (b->udp) {
			n = (int)recvfrom(b->fd, buf + 1, sizeof(buf) - 1, 0,
					  (struct sockaddr *)&from, &len);
			if (n < 0)
				return NULL;
			buf[0] = b->id;
			sendto(b->fd, buf, (size_t)n + 1, 0, (struct sockaddr *)&from, len);
			continue;
		}
		fd = accept(b->fd, NULL, NULL);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			usleep(10000);
			continue;
		}
		if (fd < 0)
			return NULL;
		__atomic_add_fetch(&b->accepted, 1, __ATOMIC_SEQ_CST);
		/* The backend says who it is, then echoes. */
		send(fd, &b->id, 1, MSG_NOSIGNAL);
		pthread_create(&t, NULL, echo_conn, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

static void backend_start(struct backend *b, char id, int udp)
{
	memset(b, 0, sizeof(*b));
	b->id = id;
	b->udp = udp;
	b->fd = lo_bind(udp ? SOCK_DGRAM : SOCK_STREAM, &b->port);
	assert_true(b->fd >= 0);
	pthread_create(&b->th, NULL, backend_main, b);
}

static void backend_stop(struct backend *b)
{
	shutdown(b->fd, SHUT_RDWR);
	close(b->fd);
	pthread_join(b->th, NULL);
}

/* ---- fixture ---- */

struct fx {
	char dir[64];
	struct st *st;
	struct k1s_loop *loop;
	struct fake_writer fw;
	struct dp *dp;
};

/* Lets the control loop take the store's changes and waits until every
 * loop runs the new snapshot. */
static void sync_dp(struct fx *fx)
{
	if (pub_sync(fx->loop, &fx->dp->pub) < 0)
		fail_msg("loops did not take the snapshot");
}

static struct fx *fx_new_idle(int loops, int tcp_idle_s, int udp_idle_s)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	static struct k1s_ip4_range pool;
	static const int reserved[] = {80, 443, 0};
	struct dp_config cfg = {loops, NODE_IP, &pool, tcp_idle_s, udp_idle_s};
	int err = 0;

	cfg.reserved_ports = reserved;
	assert_int_equal(k1s_ip4_range_parse("10.253.77.200-10.253.77.210", &pool), 0);

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_dp.XXXXXX");
	if (!mkdtemp(fx->dir))
		return NULL;
	fx->st = st_open(fx->dir, &(struct st_opts){ST_SYNC_NORMAL, 0}, &err);
	fx->loop = k1s_loop_new();
	fake_writer_init(&fx->fw, fx->st);
	fx->dp = dp_new(fx->st, fx->loop, &fx->fw.w, &cfg, &err);
	if (!fx->st || !fx->loop || !fx->dp)
		return NULL;
	return fx;
}

static struct fx *fx_new(int loops)
{
	return fx_new_idle(loops, 0, 0);
}

static int setup(void **state)
{
	*state = fx_new(2);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	dp_free(fx->dp);
	k1s_loop_free(fx->loop);
	st_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static const struct k1s_resource *res(const char *name)
{
	return k1s_resource_find("", name);
}

/* A service with one port "p" (protocol proto) to target port name "p". */
static void put_svc(struct fx *fx, const char *name, const char *type, const char *cip,
		    int port, int node_port, const char *proto)
{
	json_t *s = json_pack("{s:{s:s,s:s}, s:{s:s,s:s,s:[{s:s,s:s,s:i}]}}", "metadata", "name",
			      name, "namespace", "default", "spec", "type", type, "clusterIP",
			      cip, "ports", "name", "p", "protocol", proto, "port", port);
	json_t *old = NULL;

	if (node_port)
		json_object_set_new(json_array_get(k1s_json_path(s, "spec.ports"), 0), "nodePort",
				    json_integer(node_port));
	if (st_get(fx->st, "services", "default", name, &old) == 0) {
		json_decref(old);
		assert_int_equal(fx->fw.w.update(fx->fw.w.arg, res("services"), s, false), 0);
	} else {
		assert_int_equal(fx->fw.w.create(fx->fw.w.arg, res("services"), s), 0);
	}
	json_decref(s);
}

/* Endpoints of `name`: ready addresses 127.0.0.1 at each port (one
 * subset per port, as the controller writes for differing ports). */
static void put_ep(struct fx *fx, const char *name, const char *proto, int n, ...)
{
	json_t *e = json_pack("{s:{s:s,s:s}, s:[]}", "metadata", "name", name, "namespace",
			      "default", "subsets");
	json_t *old = NULL;
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		json_array_append_new(json_object_get(e, "subsets"),
				      json_pack("{s:[{s:s}], s:[{s:s,s:s,s:i}]}", "addresses", "ip",
						"127.0.0.1", "ports", "name", "p", "protocol", proto,
						"port", va_arg(ap, int)));
	va_end(ap);
	if (st_get(fx->st, "endpoints", "default", name, &old) == 0) {
		json_decref(old);
		assert_int_equal(fx->fw.w.update(fx->fw.w.arg, res("endpoints"), e, false), 0);
	} else {
		assert_int_equal(fx->fw.w.create(fx->fw.w.arg, res("endpoints"), e), 0);
	}
	json_decref(e);
}

static void del(struct fx *fx, const char *r, const char *name)
{
	assert_int_equal(fx->fw.w.remove(fx->fw.w.arg, res(r), "default", name, NULL, 0), 0);
}

static int64_t ms(void)
{
	return k1s_now_ms();
}

/* Connects to ip:port; the fd, or -errno. Reads time out after 2 s. */
static int dial(const char *ip, int port, int type)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {2, 0};
	int fd = socket(AF_INET, type, 0);

	inet_pton(AF_INET, ip, &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* The backend's id as the first byte, then a round trip. */
static char hello(int fd)
{
	char id = 0, buf[16];

	if (recv(fd, &id, 1, MSG_WAITALL) != 1)
		return 0;
	if (send(fd, "ping", 4, MSG_NOSIGNAL) != 4)
		return 0;
	if (recv(fd, buf, 4, MSG_WAITALL) != 4 || memcmp(buf, "ping", 4) != 0)
		return 0;
	return id;
}

/* Connects and says hello; the backend's id, or 0. */
static char call(const char *ip, int port)
{
	int fd = dial(ip, port, SOCK_STREAM);
	char id;

	if (fd < 0)
		return 0;
	id = hello(fd);
	close(fd);
	return id;
}

/* The dataplane's newest flow record: its connection ended before the
 * client saw its end (the record is put as the relay ends). */
static struct k1s_flow last_flow(struct fx *fx)
{
	static struct k1s_flow recs[DP_FLOWS];
	struct k1s_flow_ring *r = dp_flows(fx->dp);
	size_t n = k1s_flow_read(r, 0, recs);

	assert_true(n > 0);
	return recs[n - 1];
}

/* ---- tests ---- */

static void cluster_ip_spreads_across_endpoints(void **state)
{
	struct fx *fx = *state;
	struct backend a, b;
	int na = 0, nb = 0, fd;
	char big[100000], back[100000];
	size_t got = 0;

	backend_start(&a, 'A', 0);
	backend_start(&b, 'B', 0);
	put_svc(fx, "web", "ClusterIP", CIP, 80, 0, "TCP");
	put_ep(fx, "web", "TCP", 2, a.port, b.port);
	sync_dp(fx);
	for (int i = 0; i < 20; i++) {
		char id = call(CIP, 80);

		assert_true(id == 'A' || id == 'B');
		na += id == 'A';
		nb += id == 'B';
	}
	assert_true(na >= 3 && nb >= 3);

	/* Bulk bytes come back whole, and a half-close passes: the backend
	 * sees EOF, finishes, and so do we. */
	fd = dial(CIP, 80, SOCK_STREAM);
	assert_true(fd >= 0);
	assert_true(recv(fd, back, 1, MSG_WAITALL) == 1);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	assert_int_equal(send(fd, big, sizeof(big), 0), sizeof(big));
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = recv(fd, back + got, sizeof(back) - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	assert_int_equal(got, sizeof(big));
	assert_memory_equal(big, back, sizeof(big));
	close(fd);
	{
		/* Its flow record: the client, the service address, the Service,
		 * the endpoint chosen, bytes each way (the id byte back too). */
		struct k1s_flow f = last_flow(fx);

		assert_string_equal(f.service, "default/web");
		assert_int_equal(f.proto, IPPROTO_TCP);
		assert_int_equal(f.dst, ntohl(inet_addr(CIP)));
		assert_int_equal(f.dport, 80);
		assert_int_equal(f.ep, 0x7f000001);
		assert_true(f.ep_port == a.port || f.ep_port == b.port);
		assert_true(f.src != 0 && f.sport != 0);
		assert_int_equal(f.sent, sizeof(big));
		assert_int_equal(f.received, sizeof(big) + 1);
		assert_false(f.denied);
	}

	del(fx, "services", "web");
	del(fx, "endpoints", "web");
	sync_dp(fx);
	backend_stop(&a);
	backend_stop(&b);
}

static void refused_endpoint_is_skipped(void **state)
{
	struct fx *fx = *state;
	struct backend a;

	backend_start(&a, 'A', 0);
	put_svc(fx, "half", "ClusterIP", "10.253.77.11", 80, 0, "TCP");
	put_ep(fx, "half", "TCP", 2, lo_free_port(), a.port);
	sync_dp(fx);
	for (int i = 0; i < 6; i++)
		assert_int_equal(call("10.253.77.11", 80), 'A');
	del(fx, "services", "half");
	sync_dp(fx);
	backend_stop(&a);
}

static void no_endpoints_rejects_at_once(void **state)
{
	struct fx *fx = *state;
	int64_t t0;
	int fd;
	char c;

	put_svc(fx, "empty", "ClusterIP", "10.253.77.12", 80, 0, "TCP");
	sync_dp(fx);
	t0 = ms();
	fd = dial("10.253.77.12", 80, SOCK_STREAM);
	if (fd >= 0) {
		assert_true(recv(fd, &c, 1, 0) <= 0);
		close(fd);
	}
	assert_true(ms() - t0 < 1000);

	/* All endpoints refusing: the same, after trying them. */
	put_ep(fx, "empty", "TCP", 2, lo_free_port(), lo_free_port());
	sync_dp(fx);
	t0 = ms();
	fd = dial("10.253.77.12", 80, SOCK_STREAM);
	if (fd >= 0) {
		assert_true(recv(fd, &c, 1, 0) <= 0);
		close(fd);
	}
	assert_true(ms() - t0 < 1000);
	del(fx, "services", "empty");
	del(fx, "endpoints", "empty");
	sync_dp(fx);
}

static void removed_endpoint_keeps_its_connections(void **state)
{
	struct fx *fx = *state;
	struct backend a, b;
	int fd, before;
	char id;

	backend_start(&a, 'A', 0);
	backend_start(&b, 'B', 0);
	put_svc(fx, "move", "ClusterIP", "10.253.77.13", 80, 0, "TCP");
	put_ep(fx, "move", "TCP", 1, a.port);
	sync_dp(fx);
	fd = dial("10.253.77.13", 80, SOCK_STREAM);
	assert_true(fd >= 0);
	assert_int_equal(hello(fd), 'A');

	put_ep(fx, "move", "TCP", 1, b.port);
	sync_dp(fx);
	before = __atomic_load_n(&a.accepted, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 6; i++)
		assert_int_equal(call("10.253.77.13", 80), 'B');
	assert_int_equal(__atomic_load_n(&a.accepted, __ATOMIC_SEQ_CST), before);

	/* The old connection still works. */
	assert_int_equal(send(fd, "more", 4, 0), 4);
	char buf[4];
	assert_int_equal(recv(fd, buf, 4, MSG_WAITALL), 4);
	assert_memory_equal(buf, "more", 4);
	close(fd);

	/* Deleting the service closes its listener. */
	del(fx, "services", "move");
	sync_dp(fx);
	fd = dial("10.253.77.13", 80, SOCK_STREAM);
	assert_int_equal(fd, -ECONNREFUSED);
	(void)id;
	del(fx, "endpoints", "move");
	sync_dp(fx);
	backend_stop(&a);
	backend_stop(&b);
}

static void node_port_on_loopback_and_node_ip(void **state)
{
	struct fx *fx = *state;
	struct backend a;

	backend_start(&a, 'A', 0);
	put_svc(fx, "np", "NodePort", "10.253.77.14", 80, 30080, "TCP");
	put_ep(fx, "np", "TCP", 1, a.port);
	sync_dp(fx);
	assert_int_equal(call("127.0.0.1", 30080), 'A');
	assert_int_equal(call(NODE_IP, 30080), 'A');
	assert_int_equal(call("10.253.77.14", 80), 'A');

	/* Back to ClusterIP: the node port closes. */
	put_svc(fx, "np", "ClusterIP", "10.253.77.14", 80, 0, "TCP");
	sync_dp(fx);
	assert_int_equal(dial("127.0.0.1", 30080, SOCK_STREAM), -ECONNREFUSED);
	assert_int_equal(call("10.253.77.14", 80), 'A');
	del(fx, "services", "np");
	del(fx, "endpoints", "np");
	sync_dp(fx);
	backend_stop(&a);
}

/* The start barrier's view: not ready until every loop runs a snapshot of
 * what the store held, and from then on that store's services answer. */
static void ready_once_every_loop_runs_the_first_snapshot(void **state)
{
	struct fx *fx = fx_new(2);
	struct backend a;

	assert_non_null(fx);
	backend_start(&a, 'A', 0);
	put_svc(fx, "first", "ClusterIP", "10.253.77.31", 80, 0, "TCP");
	put_ep(fx, "first", "TCP", 1, a.port);
	assert_false(dp_ready(fx->dp));
	dp_ctl_pass(fx->dp);
	for (int i = 0; i < 400 && !dp_ready(fx->dp); i++)
		usleep(5000);
	assert_true(dp_ready(fx->dp));
	assert_int_equal(call("10.253.77.31", 80), 'A');
	teardown((void **)&fx);
	backend_stop(&a);
}

static void udp_through_a_service(void **state)
{
	struct fx *fx = *state;
	struct backend u, v;
	char buf[64];
	int fd;

	backend_start(&u, 'U', 1);
	put_svc(fx, "dns", "ClusterIP", "10.253.77.15", 53, 0, "UDP");
	put_ep(fx, "dns", "UDP", 1, u.port);
	sync_dp(fx);
	fd = dial("10.253.77.15", 53, SOCK_DGRAM);
	assert_true(fd >= 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(send(fd, "query", 5, 0), 5);
		assert_int_equal(recv(fd, buf, sizeof(buf), 0), 6);
		assert_memory_equal(buf, "Uquery", 6);
	}

	/* The endpoint moves: the same client flow follows at once. */
	backend_start(&v, 'V', 1);
	put_ep(fx, "dns", "UDP", 1, v.port);
	sync_dp(fx);
	assert_int_equal(send(fd, "query", 5, 0), 5);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "Vquery", 6);
	{
		/* The flow to U ended when U left: one record of its three
		 * datagrams each way. */
		struct k1s_flow f = last_flow(fx);

		assert_int_equal(f.proto, IPPROTO_UDP);
		assert_string_equal(f.service, "default/dns");
		assert_int_equal(f.dst, ntohl(inet_addr("10.253.77.15")));
		assert_int_equal(f.dport, 53);
		assert_int_equal(f.ep_port, u.port);
		assert_int_equal(f.sent, 15);
		assert_int_equal(f.received, 18);
	}
	close(fd);
	backend_stop(&v);
	del(fx, "services", "dns");
	del(fx, "endpoints", "dns");
	sync_dp(fx);
	backend_stop(&u);
}

/* A LoadBalancer of one TCP port "p"; ask: spec.loadBalancerIP, or with
 * `annotation` set MetalLB's loadBalancerIPs annotation. */
static void put_lb(struct fx *fx, const char *name, const char *cip, int port, int node_port,
		   const char *ask, bool annotation)
{
	json_t *s = json_pack("{s:{s:s,s:s}, s:{s:s,s:s,s:[{s:s,s:s,s:i,s:i}]}}", "metadata",
			      "name", name, "namespace", "default", "spec", "type", "LoadBalancer",
			      "clusterIP", cip, "ports", "name", "p", "protocol", "TCP", "port",
			      port, "nodePort", node_port);
	json_t *old = NULL;

	if (ask && annotation)
		json_object_set_new(json_object_get(s, "metadata"), "annotations",
				    json_pack("{s:s}", "metallb.universe.tf/loadBalancerIPs", ask));
	else if (ask)
		json_object_set_new(json_object_get(s, "spec"), "loadBalancerIP", json_string(ask));
	if (st_get(fx->st, "services", "default", name, &old) == 0) {
		json_decref(old);
		assert_int_equal(fx->fw.w.update(fx->fw.w.arg, res("services"), s, false), 0);
	} else {
		assert_int_equal(fx->fw.w.create(fx->fw.w.arg, res("services"), s), 0);
	}
	json_decref(s);
}

/* The address in a service's status.loadBalancer, "" while Pending. */
static const char *lb_ip(struct fx *fx, const char *name)
{
	static char ip[32];
	json_t *s = NULL;

	ip[0] = '\0';
	sync_dp(fx);
	sync_dp(fx);
	assert_int_equal(st_get(fx->st, "services", "default", name, &s), 0);
	snprintf(ip, sizeof(ip), "%s",
		 k1s_json_str(json_array_get(k1s_json_path(s, "status.loadBalancer.ingress"), 0),
			      "ip") ?: "");
	json_decref(s);
	return ip;
}

struct ev_find {
	const char *name, *type, *reason, *text;
	int n;
};

static int ev_match(void *arg, const json_t *ev)
{
	struct ev_find *f = arg;

	if (strcmp(k1s_json_str(ev, "involvedObject.name") ?: "", f->name) == 0 &&
	    strcmp(k1s_json_str(ev, "involvedObject.kind") ?: "", "Service") == 0 &&
	    strcmp(k1s_json_str(ev, "type") ?: "", f->type) == 0 &&
	    strcmp(k1s_json_str(ev, "reason") ?: "", f->reason) == 0 &&
	    strstr(k1s_json_str(ev, "message") ?: "", f->text))
		f->n++;
	return 0;
}

/* How many events about service `name` have this type and reason and a
 * message containing `text`. */
static int events(struct fx *fx, const char *name, const char *type, const char *reason,
		  const char *text)
{
	struct ev_find f = {name, type, reason, text, 0};

	assert_int_equal(st_list(fx->st, "events", "default", NULL, NULL, 0, ev_match, &f, NULL),
			 0);
	return f.n;
}

static void load_balancer_gets_an_address(void **state)
{
	struct fx *fx = *state;
	struct backend a, b;
	json_t *s = NULL;

	backend_start(&a, 'A', 0);
	backend_start(&b, 'B', 0);
	/* The node's address while the port is free there. */
	put_lb(fx, "lb", "10.253.77.16", 8080, 30081, NULL, false);
	put_ep(fx, "lb", "TCP", 1, a.port);
	assert_string_equal(lb_ip(fx, "lb"), NODE_IP);
	assert_int_equal(st_get(fx->st, "services", "default", "lb", &s), 0);
	assert_string_equal(
		k1s_json_str(json_array_get(k1s_json_path(s, "status.loadBalancer.ingress"), 0),
			     "ipMode"),
		"VIP");
	json_decref(s);
	assert_int_equal(call(NODE_IP, 8080), 'A');
	assert_int_equal(call("127.0.0.1", 30081), 'A');
	assert_int_equal(events(fx, "lb", "Normal", "IPAllocated", NODE_IP), 1);

	/* Another on the same port: the pool's first address, both answer. */
	put_lb(fx, "lb2", "10.253.77.17", 8080, 30082, NULL, false);
	put_ep(fx, "lb2", "TCP", 1, b.port);
	assert_string_equal(lb_ip(fx, "lb2"), "10.253.77.200");
	assert_int_equal(call("10.253.77.200", 8080), 'B');
	assert_int_equal(call(NODE_IP, 8080), 'A');

	/* No longer a LoadBalancer: the node's port is released... */
	put_svc(fx, "lb", "ClusterIP", "10.253.77.16", 8080, 0, "TCP");
	assert_string_equal(lb_ip(fx, "lb"), "");
	assert_int_equal(dial(NODE_IP, 8080, SOCK_STREAM), -ECONNREFUSED);
	/* ...and the next one to ask for it has it; lb2 keeps its own. */
	put_lb(fx, "lb3", "10.253.77.18", 8080, 30083, NULL, false);
	put_ep(fx, "lb3", "TCP", 1, a.port);
	assert_string_equal(lb_ip(fx, "lb3"), NODE_IP);
	assert_string_equal(lb_ip(fx, "lb2"), "10.253.77.200");
	assert_int_equal(call(NODE_IP, 8080), 'A');

	/* A deleted one frees its pool address for the next. */
	del(fx, "services", "lb2");
	put_lb(fx, "lb4", "10.253.77.19", 8080, 30084, NULL, false);
	put_ep(fx, "lb4", "TCP", 1, b.port);
	assert_string_equal(lb_ip(fx, "lb4"), "10.253.77.200");
	assert_int_equal(call("10.253.77.200", 8080), 'B');

	del(fx, "services", "lb");
	del(fx, "endpoints", "lb");
	del(fx, "endpoints", "lb2");
	del(fx, "services", "lb3");
	del(fx, "endpoints", "lb3");
	del(fx, "services", "lb4");
	del(fx, "endpoints", "lb4");
	sync_dp(fx);
	backend_stop(&a);
	backend_stop(&b);
}

/* Ports the ingress holds on the node's address (80 and 443 here) are
 * never given to a LoadBalancer there, nor a port that is a node port. */
static void load_balancer_leaves_reserved_ports(void **state)
{
	struct fx *fx = *state;
	struct backend a;

	backend_start(&a, 'A', 0);
	put_lb(fx, "web", "10.253.77.16", 80, 30081, NULL, false);
	put_ep(fx, "web", "TCP", 1, a.port);
	assert_string_equal(lb_ip(fx, "web"), "10.253.77.200");
	assert_int_equal(call("10.253.77.200", 80), 'A');
	assert_int_equal(dial(NODE_IP, 80, SOCK_STREAM), -ECONNREFUSED);
	put_lb(fx, "tls", "10.253.77.17", 443, 30082, NULL, false);
	assert_string_equal(lb_ip(fx, "tls"), "10.253.77.201");
	put_lb(fx, "np", "10.253.77.18", 30081, 30083, NULL, false);
	assert_string_equal(lb_ip(fx, "np"), "10.253.77.202");
	put_lb(fx, "free", "10.253.77.19", 8443, 30084, NULL, false);
	assert_string_equal(lb_ip(fx, "free"), NODE_IP);
	/* Its port changed to one the ingress holds: it moves to the pool. */
	put_lb(fx, "free", "10.253.77.19", 443, 30084, NULL, false);
	assert_string_equal(lb_ip(fx, "free"), "10.253.77.203");
	del(fx, "services", "web");
	del(fx, "endpoints", "web");
	del(fx, "services", "tls");
	del(fx, "services", "np");
	del(fx, "services", "free");
	sync_dp(fx);
	backend_stop(&a);
}

/* spec.loadBalancerIP and MetalLB's annotation are honoured in the pool;
 * outside it, or taken, the service stays Pending with a Warning event,
 * and gets the address once its holder lets go. */
static void load_balancer_asked_address(void **state)
{
	struct fx *fx = *state;
	struct backend a;

	backend_start(&a, 'A', 0);
	put_lb(fx, "spec", "10.253.77.16", 80, 30081, "10.253.77.205", false);
	put_ep(fx, "spec", "TCP", 1, a.port);
	assert_string_equal(lb_ip(fx, "spec"), "10.253.77.205");
	assert_int_equal(call("10.253.77.205", 80), 'A');
	put_lb(fx, "ann", "10.253.77.17", 8080, 30082, "10.253.77.206", true);
	assert_string_equal(lb_ip(fx, "ann"), "10.253.77.206");

	put_lb(fx, "out", "10.253.77.18", 8081, 30083, "10.253.77.150", false);
	assert_string_equal(lb_ip(fx, "out"), "");
	assert_int_equal(events(fx, "out", "Warning", "AllocationFailed",
				"Failed to allocate IP for \"default/out\": \"10.253.77.150\" is "
				"not allowed in config"),
			 1);
	put_lb(fx, "bad", "10.253.77.19", 8082, 30084, "10.253.77.x", true);
	assert_string_equal(lb_ip(fx, "bad"), "");
	assert_int_equal(events(fx, "bad", "Warning", "AllocationFailed",
				"invalid metallb.universe.tf/loadBalancerIPs"),
			 1);

	/* Asked for while another holds it: Pending, until released. */
	put_lb(fx, "second", "10.253.77.20", 8083, 30085, "10.253.77.205", false);
	assert_string_equal(lb_ip(fx, "second"), "");
	assert_int_equal(events(fx, "second", "Warning", "AllocationFailed", "already in use"), 1);
	del(fx, "services", "spec");
	assert_string_equal(lb_ip(fx, "second"), "10.253.77.205");

	/* A changed request moves the service to the new address, and the
	 * one waiting for the old address has it. */
	put_lb(fx, "third", "10.253.77.21", 8084, 30086, "10.253.77.206", false);
	assert_string_equal(lb_ip(fx, "third"), "");
	put_lb(fx, "ann", "10.253.77.17", 8080, 30082, "10.253.77.207", true);
	assert_string_equal(lb_ip(fx, "ann"), "10.253.77.207");
	assert_string_equal(lb_ip(fx, "third"), "10.253.77.206");

	del(fx, "endpoints", "spec");
	del(fx, "services", "ann");
	del(fx, "services", "out");
	del(fx, "services", "bad");
	del(fx, "services", "second");
	del(fx, "services", "third");
	sync_dp(fx);
	backend_stop(&a);
}

static void client_ip_affinity_sticks(void **state)
{
	struct fx *fx = *state;
	struct backend a, b;
	json_t *s = NULL;
	char first;

	backend_start(&a, 'A', 0);
	backend_start(&b, 'B', 0);
	put_svc(fx, "sticky", "ClusterIP", "10.253.77.17", 80, 0, "TCP");
	assert_int_equal(st_get(fx->st, "services", "default", "sticky", &s), 0);
	json_object_set_new(json_object_get(s, "spec"), "sessionAffinity",
			    json_string("ClientIP"));
	json_object_set_new(json_object_get(s, "spec"), "sessionAffinityConfig",
			    json_pack("{s:{s:i}}", "clientIP", "timeoutSeconds", 60));
	json_object_del(json_object_get(s, "metadata"), "resourceVersion");
	assert_int_equal(fx->fw.w.update(fx->fw.w.arg, res("services"), s, false), 0);
	json_decref(s);
	put_ep(fx, "sticky", "TCP", 2, a.port, b.port);
	sync_dp(fx);
	first = call("10.253.77.17", 80);
	assert_true(first == 'A' || first == 'B');
	for (int i = 0; i < 10; i++)
		assert_int_equal(call("10.253.77.17", 80), first);
	del(fx, "services", "sticky");
	del(fx, "endpoints", "sticky");
	sync_dp(fx);
	backend_stop(&a);
	backend_stop(&b);
}

/* A backend that resets every connection after its first byte. */
static void *rst_main(void *arg)
{
	struct backend *b = arg;
	struct linger lg = {1, 0};
	int fd;

	while ((fd = accept(b->fd, NULL, NULL)) >= 0) {
		char c;

		send(fd, "R", 1, MSG_NOSIGNAL);
		recv(fd, &c, 1, 0);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	return NULL;
}

static void reset_passes_to_the_client(void **state)
{
	struct fx *fx = *state;
	struct backend r;
	char c;
	int fd;

	backend_start(&r, 'R', 0);
	/* Replace the echo thread with one that resets. */
	shutdown(r.fd, SHUT_RDWR);
	close(r.fd);
	pthread_join(r.th, NULL);
	{
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					.sin_port = htons((uint16_t)r.port)};

		r.fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(r.fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
		assert_int_equal(bind(r.fd, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(listen(r.fd, 16), 0);
		pthread_create(&r.th, NULL, rst_main, &r);
	}
	put_svc(fx, "rst", "ClusterIP", "10.253.77.18", 80, 0, "TCP");
	put_ep(fx, "rst", "TCP", 1, r.port);
	sync_dp(fx);
	fd = dial("10.253.77.18", 80, SOCK_STREAM);
	assert_true(fd >= 0);
	assert_int_equal(recv(fd, &c, 1, 0), 1);
	assert_int_equal(send(fd, "x", 1, 0), 1);
	assert_int_equal(recv(fd, &c, 1, 0), -1);
	assert_int_equal(errno, ECONNRESET);
	close(fd);
	del(fx, "services", "rst");
	del(fx, "endpoints", "rst");
	sync_dp(fx);
	backend_stop(&r);
}

/* ---- bulk ---- */

#define BULK_BYTES (8u << 20)

static uint8_t pattern(size_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13);
}

struct bulk_backend {
	int fd, port;
	size_t reset_after;	/* 0: read all, then answer with as much */
	pthread_t th;
	size_t got;
	bool intact;
};

/* One connection: reads until EOF checking the pattern, then sends the
 * same count back in large writes; or resets after reset_after bytes. */
static void *bulk_main(void *arg)
{
	struct bulk_backend *b = arg;
	static char buf[1 << 18];
	int fd = accept(b->fd, NULL, NULL);
	ssize_t n;

	b->intact = true;
	while (fd >= 0 && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			b->intact &= (uint8_t)buf[i] == pattern(b->got + (size_t)i);
		b->got += (size_t)n;
		if (b->reset_after && b->got >= b->reset_after) {
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0},
				   sizeof(struct linger));
			close(fd);
			return NULL;
		}
	}
	for (size_t off = 0; fd >= 0 && off < b->got;) {
		size_t len = b->got - off < sizeof(buf) ? b->got - off : sizeof(buf);

		for (size_t i = 0; i < len; i++)
			buf[i] = (char)pattern(off + i);
		if ((n = send(fd, buf, len, MSG_NOSIGNAL)) <= 0)
			break;
		off += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void bulk_start(struct bulk_backend *b, size_t reset_after)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	memset(b, 0, sizeof(*b));
	b->reset_after = reset_after;
	b->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(b->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(b->fd, 4), 0);
	getsockname(b->fd, (struct sockaddr *)&a, &len);
	b->port = ntohs(a.sin_port);
	pthread_create(&b->th, NULL, bulk_main, b);
}

struct sender {
	int fd;
	size_t bytes, sent;
	int err;
};

/* Sends the pattern in large writes, then half-closes. */
static void *send_main(void *arg)
{
	struct sender *s = arg;
	static char buf[1 << 18];

	while (s->sent < s->bytes) {
		size_t len = s->bytes - s->sent < sizeof(buf) ? s->bytes - s->sent : sizeof(buf);
		ssize_t n;

		for (size_t i = 0; i < len; i++)
			buf[i] = (char)pattern(s->sent + i);
		n = send(s->fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0) {
			s->err = errno;
			return NULL;
		}
		s->sent += (size_t)n;
	}
	shutdown(s->fd, SHUT_WR);
	return NULL;
}

/* Megabytes each way: the relay moves such streams to splice(2); every
 * byte arrives in order, and each side's end of stream passes. */
static void bulk_both_ways_with_half_close(void **state)
{
	struct fx *fx = *state;
	struct bulk_backend b;
	struct sender s = {0};
	static char buf[1 << 16];
	size_t got = 0;
	bool intact = true;
	pthread_t th;
	ssize_t n;

	bulk_start(&b, 0);
	put_svc(fx, "bulk", "ClusterIP", "10.253.77.24", 80, 0, "TCP");
	put_ep(fx, "bulk", "TCP", 1, b.port);
	sync_dp(fx);
	s.fd = dial("10.253.77.24", 80, SOCK_STREAM);
	assert_true(s.fd >= 0);
	s.bytes = BULK_BYTES;
	pthread_create(&th, NULL, send_main, &s);
	while ((n = recv(s.fd, buf, sizeof(buf), 0)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			intact &= (uint8_t)buf[i] == pattern(got + (size_t)i);
		got += (size_t)n;
	}
	pthread_join(th, NULL);
	pthread_join(b.th, NULL);
	assert_int_equal(n, 0);		/* the backend's close arrived as EOF */
	assert_int_equal(s.sent, BULK_BYTES);
	assert_int_equal(b.got, BULK_BYTES);	/* so our half-close reached it */
	assert_true(b.intact);
	assert_int_equal(got, BULK_BYTES);
	assert_true(intact);
	/* Bytes moved by splice(2) are counted as those copied are. */
	assert_int_equal(last_flow(fx).sent, BULK_BYTES);
	assert_int_equal(last_flow(fx).received, BULK_BYTES);
	close(s.fd);
	close(b.fd);
	del(fx, "services", "bulk");
	del(fx, "endpoints", "bulk");
	sync_dp(fx);
}

/* A backend that resets in the middle of a stream: the client's stream
 * fails with a reset too, rather than hanging. */
static void reset_in_the_middle_of_bulk(void **state)
{
	struct fx *fx = *state;
	struct bulk_backend b;
	struct sender s = {0};
	pthread_t th;

	bulk_start(&b, 1u << 20);
	put_svc(fx, "bulkrst", "ClusterIP", "10.253.77.25", 80, 0, "TCP");
	put_ep(fx, "bulkrst", "TCP", 1, b.port);
	sync_dp(fx);
	s.fd = dial("10.253.77.25", 80, SOCK_STREAM);
	assert_true(s.fd >= 0);
	s.bytes = 256u << 20;
	pthread_create(&th, NULL, send_main, &s);
	pthread_join(b.th, NULL);
	pthread_join(th, NULL);
	assert_true(s.sent < s.bytes);
	assert_true(s.err == ECONNRESET || s.err == EPIPE);
	close(s.fd);
	close(b.fd);
	del(fx, "services", "bulkrst");
	del(fx, "endpoints", "bulkrst");
	sync_dp(fx);
}

/* The configured idle timeouts: a quiet TCP connection is reset, and a
 * quiet UDP flow ends, so the client's next datagram is balanced anew. */
static void idle_timeouts(void **state)
{
	struct fx *fx = fx_new_idle(1, 1, 1);
	struct backend a, u, v;
	char buf[64], c;
	int fd, ufd;

	(void)state;
	assert_non_null(fx);
	backend_start(&a, 'A', 0);
	backend_start(&u, 'U', 1);
	backend_start(&v, 'V', 1);
	put_svc(fx, "idle", "ClusterIP", "10.253.77.26", 80, 0, "TCP");
	put_ep(fx, "idle", "TCP", 1, a.port);
	put_svc(fx, "idleu", "ClusterIP", "10.253.77.27", 53, 0, "UDP");
	put_ep(fx, "idleu", "UDP", 2, u.port, v.port);
	sync_dp(fx);

	fd = dial("10.253.77.26", 80, SOCK_STREAM);
	assert_true(fd >= 0);
	assert_int_equal(hello(fd), 'A');
	ufd = dial("10.253.77.27", 53, SOCK_DGRAM);
	assert_true(ufd >= 0);
	assert_int_equal(send(ufd, "q", 1, 0), 1);
	assert_int_equal(recv(ufd, buf, sizeof(buf), 0), 2);
	c = buf[0];
	for (int i = 0; i < 3; i++) {	/* the flow keeps its endpoint */
		assert_int_equal(send(ufd, "q", 1, 0), 1);
		assert_int_equal(recv(ufd, buf, sizeof(buf), 0), 2);
		assert_int_equal(buf[0], c);
	}
	sleep(3);
	assert_int_equal(recv(fd, &c, 1, 0), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(send(ufd, "q", 1, 0), 1);
	assert_int_equal(recv(ufd, buf, sizeof(buf), 0), 2);
	assert_int_not_equal(buf[0], c);	/* a new flow: the next endpoint */
	close(fd);
	close(ufd);
	teardown((void **)&fx);
	backend_stop(&a);
	backend_stop(&u);
	backend_stop(&v);
}

static void named_ports_of_a_multi_port_service(void **state)
{
	struct fx *fx = *state;
	struct backend a, b;
	json_t *s = json_pack("{s:{s:s,s:s}, s:{s:s,s:s,s:[{s:s,s:i},{s:s,s:i}]}}", "metadata",
			      "name", "multi", "namespace", "default", "spec", "type",
			      "ClusterIP", "clusterIP", "10.253.77.24", "ports", "name", "http",
			      "port", 80, "name", "admin", "port", 81);
	json_t *e;

	backend_start(&a, 'A', 0);
	backend_start(&b, 'B', 0);
	assert_int_equal(fx->fw.w.create(fx->fw.w.arg, res("services"), s), 0);
	json_decref(s);
	e = json_pack("{s:{s:s,s:s}, s:[{s:[{s:s}], s:[{s:s,s:i},{s:s,s:i}]}]}", "metadata",
		      "name", "multi", "namespace", "default", "subsets", "addresses", "ip",
		      "127.0.0.1", "ports", "name", "admin", "port", b.port, "name", "http",
		      "port", a.port);
	assert_int_equal(fx->fw.w.create(fx->fw.w.arg, res("endpoints"), e), 0);
	json_decref(e);
	sync_dp(fx);
	assert_int_equal(call("10.253.77.24", 80), 'A');
	assert_int_equal(call("10.253.77.24", 81), 'B');
	del(fx, "services", "multi");
	del(fx, "endpoints", "multi");
	sync_dp(fx);
	backend_stop(&a);
	backend_stop(&b);
}

/* What a second follower of Services and Endpoints sees: how many
 * objects, and how many someone besides the store's table holds. */
struct held {
	int n, kept;
};

static void held_object(void *arg, const char *res, const json_t *obj, bool deleted)
{
	struct held *h = arg;

	(void)res;
	(void)deleted;
	h->n++;
	if (__atomic_load_n(&obj->refcount, __ATOMIC_ACQUIRE) > 1)
		h->kept++;
}

static void held_count(struct fx *fx, struct held *h)
{
	static const char *const followed[] = {"services", "endpoints", NULL};
	static const struct st_follow_ops ops = {NULL, held_object, NULL};
	struct st_follower f;

	*h = (struct held){0};
	st_follow_init(&f, fx->st, "test", followed, &ops, h);
	assert_int_equal(st_follow(&f), 0);
}

/* The dataplane keeps what it serves, not the store's objects: each one
 * is freed once no module holds it, also after a relist. */
static void keeps_no_store_objects(void **state)
{
	static const char *const followed[] = {"services", "endpoints", NULL};
	static const struct st_follow_ops ops = {NULL, held_object, NULL};
	struct fx *fx = *state;
	struct st_follower share;
	struct held h = {0};
	struct backend a;
	char name[32], ip[32];
	int before;

	/* What earlier tests of the group left. */
	held_count(fx, &h);
	before = h.n;
	/* With a second follower the store hands both the same object. */
	st_follow_init(&share, fx->st, "test", followed, &ops, &h);
	backend_start(&a, 'A', 0);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		snprintf(ip, sizeof(ip), "10.253.70.%d", i + 1);
		put_svc(fx, name, "NodePort", ip, 80, 30100 + i, "TCP");
		put_ep(fx, name, "TCP", 1, a.port);
	}
	put_lb(fx, "lb", "10.253.77.16", 8080, 30081, NULL, false);
	put_ep(fx, "lb", "TCP", 1, a.port);
	assert_string_equal(lb_ip(fx, "lb"), NODE_IP);
	assert_int_equal(call("10.253.70.7", 80), 'A');
	assert_int_equal(call("127.0.0.1", 30119), 'A');
	assert_int_equal(call(NODE_IP, 8080), 'A');
	held_count(fx, &h);
	assert_int_equal(h.n, before + 42);
	assert_int_equal(h.kept, 0);

	/* A relist (the log compacted past the dataplane's revision). */
	put_svc(fx, "late", "ClusterIP", "10.253.70.100", 80, 0, "TCP");
	put_ep(fx, "late", "TCP", 1, a.port);
	assert_int_equal(st_follow(&share), 0);
	assert_int_equal(st_compact(fx->st, 0), 0);
	del(fx, "services", "s0");
	sync_dp(fx);
	assert_int_equal(call("10.253.70.100", 80), 'A');
	assert_int_equal(dial("10.253.70.1", 80, SOCK_STREAM), -ECONNREFUSED);
	assert_int_equal(call(NODE_IP, 8080), 'A');
	held_count(fx, &h);
	assert_int_equal(h.n, before + 43);
	assert_int_equal(h.kept, 0);

	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		if (i)
			del(fx, "services", name);
		del(fx, "endpoints", name);
	}
	del(fx, "services", "late");
	del(fx, "endpoints", "late");
	del(fx, "services", "lb");
	del(fx, "endpoints", "lb");
	sync_dp(fx);
	backend_stop(&a);
}

/* Ten thousand services, each with its listener; the last one answers. */
static void many_services(void **state)
{
	struct rlimit rl;
	struct backend a;
	struct fx *fx;
	void *fxs;
	char name[32], ip[32];
	int64_t t0;

	/* One loop, so that 10,000 listeners fit the usual hard limit. */
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max < 10500)
		skip();
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	fx = fx_new(1);
	assert_non_null(fx);
	backend_start(&a, 'A', 0);
	assert_int_equal(st_begin(fx->st), 0);
	for (int i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		snprintf(ip, sizeof(ip), "10.253.%d.%d", 78 + i / 250, 1 + i % 250);
		put_svc(fx, name, "ClusterIP", ip, 80, 0, "TCP");
		put_ep(fx, name, "TCP", 1, a.port);
	}
	assert_int_equal(st_commit(fx->st), 0);
	t0 = ms();
	sync_dp(fx);
	print_message("10000 services in %lld ms\n", (long long)(ms() - t0));
	assert_int_equal(call("10.253.78.1", 80), 'A');
	assert_int_equal(call("10.253.117.250", 80), 'A');

	/* One more service: only its listener opens, quickly. */
	put_svc(fx, "one-more", "ClusterIP", "10.253.77.20", 80, 0, "TCP");
	put_ep(fx, "one-more", "TCP", 1, a.port);
	t0 = ms();
	sync_dp(fx);
	print_message("one more beside them in %lld ms\n", (long long)(ms() - t0));
	assert_int_equal(call("10.253.77.20", 80), 'A');

	/* The log compacted past the dataplane's revision: all listed again. */
	put_ep(fx, "one-more", "TCP", 2, a.port, a.port);
	assert_int_equal(st_compact(fx->st, 0), 0);
	t0 = ms();
	sync_dp(fx);
	print_message("a relist of them in %lld ms; %zu bytes of records per service\n",
		      (long long)(ms() - t0), dp_rec_bytes(fx->dp) / 10001);
	assert_int_equal(call("10.253.117.250", 80), 'A');

	assert_int_equal(st_begin(fx->st), 0);
	for (int i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		del(fx, "services", name);
		del(fx, "endpoints", name);
	}
	del(fx, "services", "one-more");
	del(fx, "endpoints", "one-more");
	assert_int_equal(st_commit(fx->st), 0);
	sync_dp(fx);
	assert_int_equal(dial("10.253.78.1", 80, SOCK_STREAM), -ECONNREFUSED);
	backend_stop(&a);
	fxs = fx;
	assert_int_equal(teardown(&fxs), 0);
	(void)state;
}

struct load {
	const char *ip;
	volatile int stop;
	int ok, failed;
};

static void *load_main(void *arg)
{
	struct load *ld = arg;

	while (!ld->stop) {
		if (call(ld->ip, 80))
			ld->ok++;
		else
			ld->failed++;
	}
	return NULL;
}

/* Endpoints come and go under constant load: no request fails. */
static void endpoints_change_under_load(void **state)
{
	struct fx *fx = *state;
	struct load ld = {"10.253.77.21", 0, 0, 0};
	struct backend a, b;
	pthread_t t;

	backend_start(&a, 'A', 0);
	backend_start(&b, 'B', 0);
	put_svc(fx, "busy", "ClusterIP", ld.ip, 80, 0, "TCP");
	put_ep(fx, "busy", "TCP", 2, a.port, b.port);
	sync_dp(fx);
	pthread_create(&t, NULL, load_main, &ld);
	for (int i = 0; i < 10; i++) {
		put_ep(fx, "busy", "TCP", 1, i % 2 ? a.port : b.port);
		sync_dp(fx);
		usleep(20000);
		put_ep(fx, "busy", "TCP", 2, a.port, b.port);
		sync_dp(fx);
		usleep(20000);
	}
	ld.stop = 1;
	pthread_join(t, NULL);
	print_message("%d requests, %d failed\n", ld.ok, ld.failed);
	assert_true(ld.ok > 50);
	assert_int_equal(ld.failed, 0);
	del(fx, "services", "busy");
	del(fx, "endpoints", "busy");
	sync_dp(fx);
	backend_stop(&a);
	backend_stop(&b);
}

/* The highest open fd. */
static int max_fd(void)
{
	char path[64];
	int m = 0;

	for (int fd = 0; fd < 4096; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (access(path, F_OK) == 0)
			m = fd;
	}
	return m;
}

/* How many descriptors this process holds. */
static int open_fds(void)
{
	char path[64];
	int n = 0;

	for (int fd = 0; fd < 4096; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* Waits, up to 5 s, until the process holds at most n descriptors: the
 * dataplane closes its side of a connection a moment after the client. */
static int fds_drop_to(int n)
{
	for (int i = 0; i < 500; i++) {
		if (open_fds() <= n)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* The descriptor-limit tests set limits a little above the highest fd in
 * use. A harness may leave a descriptor open high up (CI's did, and the
 * limit then left the listeners' budget wide): move any to the lowest free
 * numbers, still open, before the tests run. */
static void lower_inherited_fds(void)
{
	for (int fd = 64; fd < 4096; fd++) {
		int to;

		if (fcntl(fd, F_GETFD) < 0)
			continue;
		to = fcntl(fd, F_DUPFD, 3);
		if (to >= 0 && to < fd)
			close(fd);
		else if (to >= 0)
			close(to);
	}
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Out of file descriptors, accept waits instead of spinning, and serves
 * again once there are some. */
static void out_of_fds_waits(void **state)
{
	struct fx *fx = *state;
	struct rlimit old, low;
	struct backend a;
	int fds[4096], n = 0, cfd;
	double c0;

	backend_start(&a, 'A', 0);
	/* Every fd taken but three: the listeners of the two loops, and the
	 * client's socket. An accept takes its limit when armed, so the
	 * listeners open under the low one and then find no fd. */
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = (rlim_t)max_fd() + 32;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (n < 4096 && (fds[n] = dup(0)) >= 0)
		n++;
	assert_true(n > 3 && n < 4096);
	for (int i = 0; i < 3; i++)
		close(fds[--n]);
	put_svc(fx, "full", "ClusterIP", "10.253.77.22", 80, 0, "TCP");
	put_ep(fx, "full", "TCP", 1, a.port);
	sync_dp(fx);
	cfd = dial("10.253.77.22", 80, SOCK_STREAM);
	assert_true(cfd >= 0);
	usleep(100000);
	c0 = cpu_s();
	usleep(500000);
	print_message("%.3f s of CPU in 0.5 s out of fds\n", cpu_s() - c0);
	assert_true(cpu_s() - c0 < 0.2);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	/* The waiting client is served once fds are back. */
	assert_int_equal(hello(cfd), 'A');
	close(cfd);
	del(fx, "services", "full");
	del(fx, "endpoints", "full");
	sync_dp(fx);
	backend_stop(&a);
}

/* With few descriptors, two loops' copies of 150 listeners would not fit:
 * one loop listens, and every service answers. */
static void listeners_fit_the_descriptor_limit(void **state)
{
	struct rlimit old, low;
	struct backend a;
	struct fx *fx;
	char name[32], ip[32];
	int base;

	(void)state;
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	/* Half the limit is the listeners' budget: 150 fit, 300 do not. */
	low.rlim_cur = (rlim_t)max_fd() + 260;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	fx = fx_new(2);
	assert_non_null(fx);
	backend_start(&a, 'A', 0);
	assert_int_equal(st_begin(fx->st), 0);
	for (int i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "few%d", i);
		snprintf(ip, sizeof(ip), "10.253.120.%d", i + 1);
		put_svc(fx, name, "ClusterIP", ip, 80, 0, "TCP");
		put_ep(fx, name, "TCP", 1, a.port);
	}
	assert_int_equal(st_commit(fx->st), 0);
	sync_dp(fx);
	/* One listening socket per service, not one per loop. */
	{
		FILE *f = popen("ss -Hltn 'src 10.253.120.0/24' | wc -l", "r");
		int n = -1;

		assert_non_null(f);
		assert_int_equal(fscanf(f, "%d", &n), 1);
		pclose(f);
		assert_int_equal(n, 150);
	}
	/* Room is left for connections: 15 at once, 4 descriptors each
	 * here (client, accepted, to the backend, the backend's). Each round
	 * waits for the last one's to close, so rounds do not add up. */
	base = open_fds();
	for (int round = 0; round < 10; round++) {
		int fds[15];

		assert_int_equal(fds_drop_to(base), 0);
		for (int i = 0; i < 15; i++) {
			snprintf(ip, sizeof(ip), "10.253.120.%d", round * 15 + i + 1);
			fds[i] = dial(ip, 80, SOCK_STREAM);
			assert_true(fds[i] >= 0);
		}
		for (int i = 0; i < 15; i++) {
			assert_int_equal(hello(fds[i]), 'A');
			close(fds[i]);
		}
	}
	teardown((void **)&fx);
	backend_stop(&a);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cluster_ip_spreads_across_endpoints),
		cmocka_unit_test(refused_endpoint_is_skipped),
		cmocka_unit_test(no_endpoints_rejects_at_once),
		cmocka_unit_test(removed_endpoint_keeps_its_connections),
		cmocka_unit_test(node_port_on_loopback_and_node_ip),
		cmocka_unit_test(ready_once_every_loop_runs_the_first_snapshot),
		cmocka_unit_test(udp_through_a_service),
		cmocka_unit_test(load_balancer_gets_an_address),
		cmocka_unit_test(load_balancer_leaves_reserved_ports),
		cmocka_unit_test(load_balancer_asked_address),
		cmocka_unit_test(client_ip_affinity_sticks),
		cmocka_unit_test(reset_passes_to_the_client),
		cmocka_unit_test(bulk_both_ways_with_half_close),
		cmocka_unit_test(reset_in_the_middle_of_bulk),
		cmocka_unit_test(idle_timeouts),
		cmocka_unit_test(named_ports_of_a_multi_port_service),
		cmocka_unit_test(endpoints_change_under_load),
		cmocka_unit_test(out_of_fds_waits),
		cmocka_unit_test(listeners_fit_the_descriptor_limit),
		cmocka_unit_test(keeps_no_store_objects),
		cmocka_unit_test(many_services),
	};
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "needs root for a local route; skipped\n");
		return 77;
	}
	if (system("ip route replace local " RANGE " dev lo") != 0)
		return 77;
	lower_inherited_fds();
	rc = cmocka_run_group_tests(tests, setup, teardown);
	if (system("ip route del local " RANGE " dev lo") != 0)
		fprintf(stderr, "could not remove the test route\n");
	return rc;
}
