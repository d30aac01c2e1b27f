/* A container's service links and environment, against a real store: the
 * variables the kubelet sets (kubelet_pods.go's getServiceEnvVarMap,
 * envvars.FromServices), enableServiceLinks, a user's variable winning a
 * clash, Services followed as they change, and the build made off the
 * control loop's thread and handed back on it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "k1s_loop.h"
#include "pod_rt_int.h"
#include "st.h"

struct fx {
	char dir[64];
	struct st *st;
	struct k1s_loop *loop;
	struct pod_rt rt;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int err;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_env.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->st = st_open(f->dir, &(struct st_opts){.sync = ST_SYNC_NORMAL}, &err);
	assert_non_null(f->st);
	f->loop = k1s_loop_new();
	f->rt = (struct pod_rt){.st = f->st, .loop = f->loop,
	                        .cfg = {.node_name = "k1s", .node_ip = "192.168.1.5"}};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[100];

	pod_env_fini(&f->rt);
	k1s_loop_free(f->loop);
	st_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ports: "name/port/protocol" separated by spaces ("-" for no name). */
static void put_svc(struct fx *f, const char *ns, const char *name, const char *ip,
                    const char *ports)
{
	json_t *svc = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:[]}}", "apiVersion", "v1", "kind",
	                        "Service", "metadata", "name", name, "namespace", ns, "spec",
	                        "clusterIP", ip, "ports");
	json_t *arr = json_object_get(json_object_get(svc, "spec"), "ports");
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", ports);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char pname[64], proto[16];
		int port;
		json_t *p;

		assert_int_equal(sscanf(t, "%63[^/]/%d/%15s", pname, &port, proto), 3);
		p = json_pack("{s:i,s:s}", "port", port, "protocol", proto);
		if (strcmp(pname, "-") != 0)
			json_object_set_new(p, "name", json_string(pname));
		json_array_append_new(arr, p);
	}
	if (st_create(f->st, "services", ns, name, svc) == -EEXIST)
		assert_int_equal(st_update(f->st, "services", ns, name, svc, 0), 0);
	json_decref(svc);
}

static json_t *pod_in(const char *ns, int links, json_t *env)
{
	json_t *pod = json_pack("{s:{s:s,s:s},s:{s:[{s:s,s:s,s:o}]}}", "metadata", "name", "p",
	                        "namespace", ns, "spec", "containers", "name", "c", "image",
	                        "busybox", "env", env ? env : json_array());

	if (links >= 0)
		json_object_set_new(json_object_get(pod, "spec"), "enableServiceLinks",
		                    json_boolean(links));
	return pod;
}

static const json_t *cspec_of(const json_t *pod)
{
	return json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
}

static char **build(struct fx *f, const json_t *pod)
{
	char **envp = NULL, msg[256] = "";

	assert_int_equal(pod_env_build(&f->rt, pod, cspec_of(pod), "10.244.0.9", false, &envp, msg,
	                               sizeof(msg)),
	                 0);
	return envp;
}

/* The value of NAME in envp, or NULL; fails when it is set twice. */
static const char *get(char **envp, const char *name)
{
	size_t len = strlen(name);
	const char *found = NULL;

	for (; *envp; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=') {
			assert_null(found);
			found = *envp + len + 1;
		}
	return found;
}

static size_t count(char **envp, const char *prefix)
{
	size_t n = 0;

	for (; *envp; envp++)
		n += strncmp(*envp, prefix, strlen(prefix)) == 0;
	return n;
}

static void links_as_kubelet_sets_them(void **state)
{
	struct fx *f = *state;
	json_t *pod = pod_in("team", -1, NULL);
	char **envp;

	put_svc(f, "default", "kubernetes", "10.96.0.1", "https/443/TCP");
	put_svc(f, "team", "web-api", "10.96.3.4", "http/80/TCP dns/53/UDP");
	put_svc(f, "team", "plain", "10.96.3.5", "-/8080/TCP");
	put_svc(f, "team", "headless", "None", "-/80/TCP");
	put_svc(f, "other", "elsewhere", "10.96.9.9", "-/80/TCP");
	envp = build(f, pod);
	/* envvars.FromServices, name by name. */
	assert_string_equal(get(envp, "WEB_API_SERVICE_HOST"), "10.96.3.4");
	assert_string_equal(get(envp, "WEB_API_SERVICE_PORT"), "80");
	assert_string_equal(get(envp, "WEB_API_SERVICE_PORT_HTTP"), "80");
	assert_string_equal(get(envp, "WEB_API_SERVICE_PORT_DNS"), "53");
	assert_string_equal(get(envp, "WEB_API_PORT"), "tcp://10.96.3.4:80");
	assert_string_equal(get(envp, "WEB_API_PORT_80_TCP"), "tcp://10.96.3.4:80");
	assert_string_equal(get(envp, "WEB_API_PORT_80_TCP_PROTO"), "tcp");
	assert_string_equal(get(envp, "WEB_API_PORT_80_TCP_PORT"), "80");
	assert_string_equal(get(envp, "WEB_API_PORT_80_TCP_ADDR"), "10.96.3.4");
	assert_string_equal(get(envp, "WEB_API_PORT_53_UDP"), "udp://10.96.3.4:53");
	assert_string_equal(get(envp, "WEB_API_PORT_53_UDP_PROTO"), "udp");
	assert_string_equal(get(envp, "WEB_API_PORT_53_UDP_PORT"), "53");
	assert_string_equal(get(envp, "WEB_API_PORT_53_UDP_ADDR"), "10.96.3.4");
	assert_int_equal(count(envp, "WEB_API_"), 13);
	assert_string_equal(get(envp, "PLAIN_SERVICE_PORT"), "8080");
	assert_int_equal(count(envp, "PLAIN_"), 7);
	/* The master service of default comes to every namespace. */
	assert_string_equal(get(envp, "KUBERNETES_SERVICE_HOST"), "10.96.0.1");
	assert_string_equal(get(envp, "KUBERNETES_SERVICE_PORT_HTTPS"), "443");
	assert_string_equal(get(envp, "KUBERNETES_PORT"), "tcp://10.96.0.1:443");
	/* Neither a headless Service nor another namespace's. */
	assert_int_equal(count(envp, "HEADLESS_"), 0);
	assert_int_equal(count(envp, "ELSEWHERE_"), 0);
	assert_string_equal(get(envp, "HOSTNAME"), "p");
	pod_env_free(envp);
	json_decref(pod);
}

static void service_links_off_leaves_the_masters(void **state)
{
	struct fx *f = *state;
	json_t *pod = pod_in("team", 0, NULL), *dpod = pod_in("default", 0, NULL);
	char **envp;

	put_svc(f, "default", "kubernetes", "10.96.0.1", "https/443/TCP");
	put_svc(f, "default", "db", "10.96.0.7", "-/5432/TCP");
	put_svc(f, "team", "web", "10.96.3.4", "-/80/TCP");
	envp = build(f, pod);
	assert_int_equal(count(envp, "WEB_"), 0);
	assert_int_equal(count(envp, "DB_"), 0);
	assert_string_equal(get(envp, "KUBERNETES_SERVICE_HOST"), "10.96.0.1");
	assert_int_equal(count(envp, "KUBERNETES_"), 8);
	pod_env_free(envp);
	/* In default itself, too, only kubernetes. */
	envp = build(f, dpod);
	assert_int_equal(count(envp, "DB_"), 0);
	assert_string_equal(get(envp, "KUBERNETES_SERVICE_HOST"), "10.96.0.1");
	pod_env_free(envp);
	json_decref(pod);
	json_decref(dpod);
}

static void a_namespaces_own_kubernetes_replaces_the_masters(void **state)
{
	struct fx *f = *state;
	json_t *pod = pod_in("team", 1, NULL);
	char **envp;

	put_svc(f, "default", "kubernetes", "10.96.0.1", "https/443/TCP");
	put_svc(f, "team", "kubernetes", "10.96.3.1", "-/8443/TCP");
	envp = build(f, pod);
	assert_string_equal(get(envp, "KUBERNETES_SERVICE_HOST"), "10.96.3.1");
	assert_string_equal(get(envp, "KUBERNETES_SERVICE_PORT"), "8443");
	assert_null(get(envp, "KUBERNETES_SERVICE_PORT_HTTPS"));
	assert_null(get(envp, "KUBERNETES_PORT_443_TCP"));
	pod_env_free(envp);
	json_decref(pod);
}

static void a_users_variable_wins_a_clash(void **state)
{
	struct fx *f = *state;
	json_t *env = json_pack("[{s:s,s:s},{s:s,s:s}]", "name", "WEB_SERVICE_HOST", "value",
	                        "mine", "name", "URL", "value", "http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)/");
	json_t *pod = pod_in("team", -1, env);
	char **envp;

	put_svc(f, "team", "web", "10.96.3.4", "-/80/TCP");
	envp = build(f, pod);
	assert_string_equal(get(envp, "WEB_SERVICE_HOST"), "mine");
	/* $(VAR) sees the user's first, then the service's (MappingFuncFor). */
	assert_string_equal(get(envp, "URL"), "http://mine:80/");
	assert_string_equal(get(envp, "WEB_PORT"), "tcp://10.96.3.4:80");
	/* The user's come before the service links. */
	for (char **e = envp; *e; e++) {
		if (strncmp(*e, "WEB_SERVICE_HOST=", 17) == 0)
			break;
		assert_true(strncmp(*e, "WEB_PORT", 8) != 0);
	}
	pod_env_free(envp);
	json_decref(pod);
}

static void services_are_followed_as_they_change(void **state)
{
	struct fx *f = *state;
	json_t *pod = pod_in("team", -1, NULL);
	char **envp;

	f->rt.links = NULL;
	put_svc(f, "team", "web", "10.96.3.4", "-/80/TCP");
	put_svc(f, "team", "gone", "10.96.3.6", "-/80/TCP");
	/* A runtime's copy, as pod_env_take makes it, read once here. */
	{
		struct pod_run p = {.rt = &f->rt, .obj = pod};
		struct pod_ctr c = {.p = &p};
		char **e = NULL, msg[128];

		strcpy(p.ip, "10.244.0.9");
		assert_int_equal(pod_env_take(&c, cspec_of(pod), false, NULL, &e, msg, sizeof(msg)),
		                 -EINPROGRESS);
		pod_env_cancel(&c);
	}
	assert_non_null(f->rt.links);
	put_svc(f, "team", "web", "10.96.3.8", "-/81/TCP");
	assert_int_equal(st_delete(f->st, "services", "team", "gone", 0, NULL), 0);
	for (int i = 0; i < 300; i++) {
		char name[32];

		snprintf(name, sizeof(name), "svc-%d", i);
		put_svc(f, "team", name, "10.96.4.1", "-/80/TCP");
	}
	for (int i = 0; i < 300; i += 2) {
		char name[32];

		snprintf(name, sizeof(name), "svc-%d", i);
		assert_int_equal(st_delete(f->st, "services", "team", name, 0, NULL), 0);
	}
	envp = build(f, pod);
	assert_string_equal(get(envp, "WEB_SERVICE_HOST"), "10.96.3.8");
	assert_string_equal(get(envp, "WEB_SERVICE_PORT"), "81");
	assert_int_equal(count(envp, "GONE_"), 0);
	assert_int_equal(count(envp, "SVC_"), 150 * 7);
	assert_null(get(envp, "SVC_0_SERVICE_HOST"));
	assert_string_equal(get(envp, "SVC_299_SERVICE_HOST"), "10.96.4.1");
	pod_env_free(envp);
	json_decref(pod);
}

struct started {
	struct k1s_loop *loop;
	struct pod_ctr *c;
	int calls;
};

static struct started *g_started;

static void on_ready(struct pod_ctr *c)
{
	assert_ptr_equal(c, g_started->c);
	g_started->calls++;
	k1s_loop_stop(g_started->loop);
}

static void built_off_the_loop_and_handed_back(void **state)
{
	struct fx *f = *state;
	json_t *pod = pod_in("team", -1, NULL);
	struct pod_run p = {.rt = &f->rt, .obj = pod};
	struct pod_ctr c = {.p = &p};
	struct started s = {f->loop, &c, 0};
	char **envp = NULL, msg[128];
	volatile int stop = 0;

	g_started = &s;
	strcpy(p.ip, "10.244.0.9");
	for (int i = 0; i < 1000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "svc-%d", i);
		put_svc(f, "team", name, "10.96.4.1", "-/80/TCP");
	}
	/* The call returns before any variable is made: the build is queued. */
	assert_int_equal(pod_env_take(&c, cspec_of(pod), false, on_ready, &envp, msg, sizeof(msg)),
	                 -EINPROGRESS);
	assert_null(envp);
	assert_int_equal(s.calls, 0);
	/* Asked again meanwhile: still building. */
	assert_int_equal(pod_env_take(&c, cspec_of(pod), false, on_ready, &envp, msg, sizeof(msg)),
	                 -EINPROGRESS);
	k1s_loop_run(f->loop, &stop);
	assert_int_equal(s.calls, 1);
	assert_int_equal(pod_env_take(&c, cspec_of(pod), false, on_ready, &envp, msg, sizeof(msg)),
	                 0);
	assert_int_equal(count(envp, "SVC_"), 7000);
	assert_string_equal(get(envp, "SVC_999_PORT"), "tcp://10.96.4.1:80");
	pod_env_free(envp);
	/* A container gone while its build runs: the build is dropped. */
	assert_int_equal(pod_env_take(&c, cspec_of(pod), false, on_ready, &envp, msg, sizeof(msg)),
	                 -EINPROGRESS);
	pod_env_cancel(&c);
	assert_null(c.env_job);
	json_decref(pod);
}

static void a_missing_configmap_is_said_at_once(void **state)
{
	struct fx *f = *state;
	json_t *env = json_pack("[{s:s,s:{s:{s:s,s:s}}}]", "name", "X", "valueFrom",
	                        "configMapKeyRef", "name", "cfg", "key", "k");
	json_t *pod = pod_in("team", -1, env);
	struct pod_run p = {.rt = &f->rt, .obj = pod};
	struct pod_ctr c = {.p = &p};
	char **envp = NULL, msg[128] = "";

	assert_int_equal(pod_env_take(&c, cspec_of(pod), false, on_ready, &envp, msg, sizeof(msg)),
	                 -ENOENT);
	assert_string_equal(msg, "configmap \"cfg\" not found");
	assert_null(c.env_job);
	json_decref(pod);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(links_as_kubelet_sets_them, setup, teardown),
	    cmocka_unit_test_setup_teardown(service_links_off_leaves_the_masters, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_namespaces_own_kubernetes_replaces_the_masters, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(a_users_variable_wins_a_clash, setup, teardown),
	    cmocka_unit_test_setup_teardown(services_are_followed_as_they_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(built_off_the_loop_and_handed_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_missing_configmap_is_said_at_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
