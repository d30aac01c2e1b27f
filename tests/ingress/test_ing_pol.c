/* The ingress under NetworkPolicy, over a real store and the real policy
 * module (its evaluator; no kernel rules): a request goes upstream only
 * to an endpoint whose policies admit the ingress's face pod in namespace
 * ingress-nginx; where none does, 504, as ingress-nginx answers when its
 * connect to a dropped upstream times out, and the drop is counted. The
 * face and the upstream pods live in a test range routed `local` on lo.
 * Needs root (the route); skipped otherwise. */
#include <arpa/inet.h>
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

#include "../fakes/fake_writer.h"
#include "../fakes/loopback.h"
#include "../fakes/pub_sync.h"
#include "ing.h"
#include "ing_int.h"
#include "k1s_json.h"
#include "k1s_loop.h"
#include "pol.h"

#define RANGE "10.253.192.0/18" /* apart from test_dp's and test_dp_pol's */
#define POD_NET "10.253.192.0/20"
#define FACE "10.253.194.1"
#define EP_A "10.253.194.11"	/* app=api */
#define EP_B "10.253.194.12"	/* app=api, tier=open */
#define EP_PORT 18080

/* ---- upstreams: every request answered with the upstream's id ---- */

struct upstream {
	int fd;
	char id;
	pthread_t th;
};

struct up_conn {
	int fd;
	char id;
};

static void *up_conn_main(void *arg)
{
	struct up_conn *uc = arg;
	char buf[4096], resp[64];
	size_t have = 0;
	ssize_t n;

	snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n%c", uc->id);
	while ((n = recv(uc->fd, buf + have, sizeof(buf) - 1 - have, 0)) > 0) {
		char *end;

		have += (size_t)n;
		buf[have] = 0;
		while ((end = strstr(buf, "\r\n\r\n"))) {
			send(uc->fd, resp, strlen(resp), MSG_NOSIGNAL);
			have -= (size_t)(end + 4 - buf);
			memmove(buf, end + 4, have + 1);
		}
		if (have >= sizeof(buf) - 1)
			break;
	}
	close(uc->fd);
	free(uc);
	return NULL;
}

static void *up_main(void *arg)
{
	struct upstream *u = arg;
	int fd;

	while ((fd = accept(u->fd, NULL, NULL)) >= 0) {
		struct up_conn *uc = malloc(sizeof(*uc));
		pthread_t t;

		uc->fd = fd;
		uc->id = u->id;
		pthread_create(&t, NULL, up_conn_main, uc);
		pthread_detach(t);
	}
	return NULL;
}

static void up_start(struct upstream *u, const char *ip, char id)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(EP_PORT)};
	int one = 1;

	u->id = id;
	u->fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, ip, &a.sin_addr);
	setsockopt(u->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(u->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(u->fd, 64), 0);
	pthread_create(&u->th, NULL, up_main, u);
}

static void up_stop(struct upstream *u)
{
	shutdown(u->fd, SHUT_RDWR);
	close(u->fd);
	pthread_join(u->th, NULL);
}

/* ---- fixture ---- */

struct fx {
	char dir[64];
	struct st *st;
	struct k1s_loop *loop;
	struct fake_writer fw;
	struct pol *pol;
	struct ing *ing;
	int port;
	struct upstream up[2];
};

static void create(struct fx *fx, const char *group, const char *r, json_t *o)
{
	assert_int_equal(fx->fw.w.create(fx->fw.w.arg, k1s_resource_find(group, r), o), 0);
	json_decref(o);
}

static void put_ns(struct fx *fx, const char *name)
{
	create(fx, "", "namespaces",
	       json_pack("{s:{s:s,s:{s:s}}}", "metadata", "name", name, "labels",
			 "kubernetes.io/metadata.name", name));
}

static void put_pod(struct fx *fx, const char *ns, const char *name, const char *ip,
		    json_t *labels, const char *cid)
{
	create(fx, "", "pods",
	       json_pack("{s:{s:s,s:s,s:o}, s:{s:[{s:s,s:s}]}, s:{s:s,s:s,s:[{s:s,s:s}]}}",
			 "metadata", "name", name, "namespace", ns, "labels", labels, "spec",
			 "containers", "name", "c", "image", "x", "status", "phase", "Running",
			 "podIP", ip, "containerStatuses", "name", "c", "containerID", cid));
}

/* A policy on the pods with label `sel` whose one ingress rule admits the
 * namespaces with labels `ns_sel` (NULL: no rule, they are isolated). */
static void put_policy(struct fx *fx, const char *name, json_t *sel, json_t *ns_sel)
{
	json_t *np = json_pack("{s:{s:s,s:s}, s:{s:{s:o}, s:[s], s:[]}}", "metadata", "name", name,
			       "namespace", "default", "spec", "podSelector", "matchLabels", sel,
			       "policyTypes", "Ingress", "ingress");

	if (ns_sel)
		json_array_append_new(k1s_json_path(np, "spec.ingress"),
				      json_pack("{s:[{s:{s:o}}]}", "from", "namespaceSelector",
						"matchLabels", ns_sel));
	create(fx, "networking.k8s.io", "networkpolicies", np);
}

static void sync_all(struct fx *fx)
{
	for (int i = 0; i < 3; i++)
		if (pub_sync(fx->loop, &fx->ing->pub) < 0)
			fail_msg("loops did not take the table");
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	static const char *const listen_on[] = {"127.0.0.1", NULL};
	struct ing_config cfg = {.loops = 2, .listen = listen_on, .address = "192.0.2.80"};
	struct pol_config pcfg = {.node_ip = "127.0.0.3"};
	int err = 0;

	k1s_cidr_parse(POD_NET, &pcfg.pod_net);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_ing_pol.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->port = cfg.http_port = lo_free_port();
	cfg.https_port = lo_free_port();
	fx->st = st_open(fx->dir, &(struct st_opts){ST_SYNC_NORMAL, 0}, &err);
	fx->loop = k1s_loop_new();
	if (!fx->st || !fx->loop)
		return -1;
	fake_writer_init(&fx->fw, fx->st);
	if (!(fx->pol = pol_new(fx->st, fx->loop, &pcfg, &err)))
		return -1;
	cfg.pol = fx->pol;
	if (!(fx->ing = ing_new(fx->st, fx->loop, &fx->fw.w, &cfg, &err)))
		return -1;
	put_ns(fx, "default");
	put_ns(fx, "ingress-nginx");
	put_pod(fx, "ingress-nginx", "face", FACE,
		json_pack("{s:s}", "app.kubernetes.io/name", "ingress-nginx"), "k1s://face/ingress");
	put_pod(fx, "default", "api-a", EP_A, json_pack("{s:s}", "app", "api"), "k1s://1");
	put_pod(fx, "default", "api-b", EP_B, json_pack("{s:s,s:s}", "app", "api", "tier", "open"),
		"k1s://2");
	up_start(&fx->up[0], EP_A, 'A');
	up_start(&fx->up[1], EP_B, 'B');
	create(fx, "", "services",
	       json_pack("{s:{s:s,s:s}, s:{s:s,s:[{s:s,s:i,s:i}]}}", "metadata", "name", "web",
			 "namespace", "default", "spec", "clusterIP", "10.96.1.1", "ports", "name",
			 "http", "port", 80, "targetPort", EP_PORT));
	create(fx, "", "endpoints",
	       json_pack("{s:{s:s,s:s}, s:[{s:[{s:s},{s:s}], s:[{s:s,s:i,s:s}]}]}", "metadata",
			 "name", "web", "namespace", "default", "subsets", "addresses", "ip", EP_A,
			 "ip", EP_B, "ports", "name", "http", "port", EP_PORT, "protocol", "TCP"));
	create(fx, "networking.k8s.io", "ingresses",
	       json_pack("{s:{s:s,s:s}, s:{s:s, s:[{s:s, s:{s:[{s:s,s:s,s:{s:{s:s,s:{s:i}}}}]}}]}}",
			 "metadata", "name", "web", "namespace", "default", "spec",
			 "ingressClassName", "nginx", "rules", "host", "a.test", "http", "paths",
			 "path", "/", "pathType", "Prefix", "backend", "service", "name", "web",
			 "port", "number", 80));
	sync_all(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	ing_free(fx->ing);
	pol_free(fx->pol);
	up_stop(&fx->up[0]);
	up_stop(&fx->up[1]);
	k1s_loop_free(fx->loop);
	st_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	free(fx);
	return system(cmd) == 0 ? 0 : -1;
}

/* GET / for a.test on a new connection: the status, and the upstream's
 * id in *id ('\0' when no upstream answered). */
static int get(struct fx *fx, char *id)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fx->port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
	char buf[4096];
	ssize_t n, have = 0;
	const char *req = "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	send(fd, req, strlen(req), MSG_NOSIGNAL);
	while ((n = recv(fd, buf + have, sizeof(buf) - 1 - (size_t)have, 0)) > 0)
		have += n;
	close(fd);
	buf[have] = 0;
	*id = 0;
	if (have > 12 && strncmp(buf, "HTTP/1.1 ", 9) == 0)
		status = atoi(buf + 9);
	if (status == 200 && have > 0)
		*id = buf[have - 1];
	return status;
}

static long long drops_of(struct fx *fx, const char *policy)
{
	json_t *c = pol_drop_counts(fx->pol);
	long long n = json_integer_value(json_object_get(c, policy));

	json_decref(c);
	return n;
}

/* ---- tests ---- */

static void upstreams_admit_the_face_or_504(void **state)
{
	struct fx *fx = *state;
	int na = 0, nb = 0;
	char id;

	/* No policy: both upstreams. */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(get(fx, &id), 200);
		na += id == 'A';
		nb += id == 'B';
	}
	assert_true(na >= 2 && nb >= 2);

	/* The api pods isolated: no upstream admits the face, 504 at once. */
	put_policy(fx, "api-closed", json_pack("{s:s}", "app", "api"), NULL);
	sync_all(fx);
	for (int i = 0; i < 4; i++)
		assert_int_equal(get(fx, &id), 504);
	assert_true(drops_of(fx, "default/api-closed") >= 4);

	/* tier=open admits namespace ingress-nginx, as its pods are
	 * admitted there: every request reaches B. */
	put_policy(fx, "open-to-ingress", json_pack("{s:s}", "tier", "open"),
		   json_pack("{s:s}", "kubernetes.io/metadata.name", "ingress-nginx"));
	sync_all(fx);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(get(fx, &id), 200);
		assert_int_equal(id, 'B');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(upstreams_admit_the_face_or_504, setup, teardown),
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
