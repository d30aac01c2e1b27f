/* The pod runtime on a real kernel, store and loop: pods run in their own
 * namespaces with their environment and logs, restart with back-off, are
 * probed, stopped gracefully, adopted after a crash of their runtime, and
 * leave nothing behind. Needs root; exits 77 (skip) without it. Uses its
 * own small CIDRs, so that it can run next to a live k1s.
 *
 * This binary doubles as the echo app: `test_rt echo-server ...`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <regex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "k1s_facelog.h"
#include "k1s_json.h"
#include "k1s_loop.h"
#include "echo.h"
#include "pod.h"
#include "pod_int.h"
#include "st.h"
#include "../fakes/fake_writer.h"

#define NODE "testnode"

static char pod_cidr[32], svc_cidr[32], svc_ip[32], self_exe[4096];
static char tmpdir[256], datadir[300];
static struct st *st;
static struct k1s_loop *loop;
static struct fake_writer fw;
static struct pod_rt *rt;
static volatile int stop_flag;
static char ids[64][16];
static int nids;
static unsigned hello_uid; /* pod hello's uid, as it printed */

/* ---- helpers ---- */

static struct k1s_cidr net_of(const char *cidr)
{
	struct k1s_cidr c;

	assert_int_equal(k1s_cidr_parse(cidr, &c), 0);
	return c;
}

/* The network gate: pods named gated-* wait while gate_shut holds; what
 * the gate saw when asked is kept. */
static bool gate_shut;
static int gate_asked;
static char gate_ip[32];
static bool gate_saw_net, gate_saw_log;

static bool ns_exists(const char *id);
static char *read_log(const char *name, bool previous);

static int test_gate(void *arg, const json_t *pod, const char *ip)
{
	const char *name = k1s_json_str(pod, "metadata.name") ?: "";
	char *log;

	(void)arg;
	if (strncmp(name, "gated-", 6) != 0)
		return 0;
	gate_asked++;
	snprintf(gate_ip, sizeof(gate_ip), "%s", ip ?: "");
	gate_saw_net = nids > 0 && ns_exists(ids[nids - 1]);
	log = read_log(name, false);
	if (log && *log)
		gate_saw_log = true;
	return gate_shut ? -EAGAIN : 0;
}

static struct pod_config config(const char *data)
{
	struct pod_config c = {
	    .data_dir = data,
	    .node_name = NODE,
	    .node_ip = "192.0.2.77",
	    .pod_net = net_of(pod_cidr),
	    .service_net = net_of(svc_cidr),
	    .cluster_dns = "10.96.0.10",
	    .cluster_domain = "cluster.local",
	    .self_exe = self_exe,
	    .net_gate = test_gate,
	    /* Small, so that logs rotate in the tests that write more. */
	    .container_log_max_size = 16384,
	    .container_log_max_files = 3,
	    /* emptyDirs are measured often, so that eviction comes soon. */
	    .housekeeping_ms = 200,
	};
	return c;
}

typedef bool (*pred_fn)(void *arg);
static pred_fn cur_pred;
static void *cur_arg;

static int test_hook(void *arg)
{
	(void)arg;
	if (cur_pred && cur_pred(cur_arg))
		stop_flag = 1;
	return 50;
}

static void on_timeout(void *arg)
{
	*(bool *)arg = true;
	stop_flag = 1;
}

/* Runs the loop until pred holds or ms pass; whether it held. */
static bool run_until(pred_fn pred, void *arg, int ms)
{
	bool timed_out = false;
	struct k1s_timer *t = k1s_loop_timer(loop, ms, on_timeout, &timed_out);

	cur_pred = pred;
	cur_arg = arg;
	stop_flag = 0;
	k1s_loop_run(loop, &stop_flag);
	if (!timed_out)
		k1s_loop_cancel(loop, t);
	cur_pred = NULL;
	return pred ? pred(arg) : true;
}

static json_t *get_pod(const char *name)
{
	json_t *p = NULL;

	if (st_get(st, "pods", "default", name, &p) < 0)
		return NULL;
	return p;
}

static void note_id(const json_t *pod)
{
	const char *uid = k1s_json_str(pod, "metadata.uid");
	size_t n = 0;

	if (!uid || nids >= 64)
		return;
	for (const char *s = uid; *s && n < 12; s++)
		if (*s != '-')
			ids[nids][n++] = *s;
	ids[nids][n] = '\0';
	nids++;
}

static void create_pod(const char *yamlish_json)
{
	json_error_t e;
	json_t *pod = json_loads(yamlish_json, 0, &e);

	if (!pod)
		fail_msg("bad test JSON: %s at %d", e.text, e.line);
	k1s_json_set_str(pod, "spec.nodeName", NODE);
	assert_int_equal(fw.w.create(&fw, k1s_resource_find("", "pods"), pod), 0);
	note_id(pod);
	json_decref(pod);
}

static void create_obj(const char *res, const char *json)
{
	json_t *o = json_loads(json, 0, NULL);

	assert_non_null(o);
	assert_int_equal(fw.w.create(&fw, k1s_resource_find("", res), o), 0);
	json_decref(o);
}

struct cstat_want {
	const char *pod;
	const char *field; /* a dotted path in containerStatuses[0] or status */
	const char *value; /* string compare, or NULL = present */
	long long min;     /* for integers: at least */
};

static const json_t *cstat(const json_t *pod)
{
	return json_array_get(k1s_json_path(pod, "status.containerStatuses"), 0);
}

static bool pod_phase_is(void *arg)
{
	const char **a = arg;
	json_t *p = get_pod(a[0]);
	bool ok = p && strcmp(k1s_json_str(p, "status.phase") ?: "", a[1]) == 0;

	json_decref(p);
	return ok;
}

static bool cond_true(const json_t *pod, const char *type)
{
	const json_t *c;
	size_t i;

	json_array_foreach(k1s_json_path(pod, "status.conditions"), i,
	                   c) if (strcmp(k1s_json_str(c, "type") ?: "", type) ==
	                          0) return strcmp(k1s_json_str(c, "status") ?: "", "True") == 0;
	return false;
}

static bool pod_ready(void *arg)
{
	json_t *p = get_pod(arg);
	bool ok = p && cond_true(p, "Ready");

	json_decref(p);
	return ok;
}

static bool pod_gone(void *arg)
{
	json_t *p = get_pod(arg);

	json_decref(p);
	return p == NULL;
}

static void wait_running(const char *name)
{
	const char *a[2] = {name, "Running"};

	assert_true(run_until(pod_phase_is, a, 10000));
}

static pid_t container_pid(const char *name)
{
	json_t *p = get_pod(name);
	const char *cid = k1s_json_str(cstat(p), "containerID");
	pid_t pid = cid && strncmp(cid, "k1s://", 6) == 0 ? atoi(cid + 6) : 0;

	json_decref(p);
	return pid;
}

/* The log of the pod's first container, whole. */
static char *read_log(const char *name, bool previous)
{
	char path[1024];
	const char *reason = NULL;
	static char buf[65536];
	ssize_t n;
	int fd;

	if (pod_log_path(rt, "default", name, NULL, previous, path, sizeof(path), &reason) < 0)
		return NULL;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

struct log_want {
	const char *pod;
	const char *text;
};

static bool log_has(void *arg)
{
	struct log_want *w = arg;
	char *log = read_log(w->pod, false);

	return log && strstr(log, w->text);
}

static void wait_log(const char *pod, const char *text)
{
	struct log_want w = {pod, text};

	if (!run_until(log_has, &w, 10000))
		fail_msg("log of %s lacks \"%s\":\n%s", pod, text,
		         read_log(pod, false) ?: "(none)");
}

static bool ns_exists(const char *id)
{
	char path[128];

	pod_net_ns_path(id, path, sizeof(path));
	return access(path, F_OK) == 0;
}

static bool link_exists(const char *id)
{
	char name[32];

	snprintf(name, sizeof(name), "k1s%s", id);
	return if_nametoindex(name) != 0;
}

struct ev_find {
	const char *pod, *reason, *msg;
	bool found;
	int objects;
	long long count;
};

static int ev_fn(void *arg, const json_t *ev)
{
	struct ev_find *f = arg;

	if (strcmp(k1s_json_str(ev, "involvedObject.name") ?: "", f->pod) == 0 &&
	    strcmp(k1s_json_str(ev, "reason") ?: "", f->reason) == 0 &&
	    strstr(k1s_json_str(ev, "message") ?: "", f->msg) &&
	    strcmp(k1s_json_str(ev, "source.component") ?: "", "kubelet") == 0) {
		f->found = true;
		f->objects++;
		f->count += json_integer_value(json_object_get(ev, "count"));
	}
	return 0;
}

static bool event_with(const char *pod, const char *reason, const char *msg_part)
{
	struct ev_find f = {pod, reason, msg_part, false, 0, 0};

	st_list(st, "events", "default", NULL, NULL, 0, ev_fn, &f, NULL);
	return f.found;
}

/* Runs loop l for ms. */
static void spin(struct k1s_loop *l, int ms)
{
	bool t = false;

	stop_flag = 0;
	k1s_loop_timer(l, ms, on_timeout, &t);
	k1s_loop_run(l, &stop_flag);
}

/* Alive and not a zombie. */
static bool alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* ---- tests ---- */

static void pod_runs_in_its_own_namespaces(void **state)
{
	json_t *p;
	char *log, nspath[128], procns[64];
	struct stat a, b;
	regex_t re;
	pid_t pid;

	(void)state;
	create_pod(
	    "{\"metadata\":{\"name\":\"hello\"},\"spec\":{\"containers\":[{\"name\":\"main\","
	    "\"image\":\"busybox:1.36\",\"command\":[\"sh\",\"-c\","
	    "\"echo hello; hostname; cat /etc/resolv.conf; echo ids $(id -u) $(id -g); grep hello "
	    "/etc/hosts; exec sleep 100\"]}]}}");
	wait_running("hello");
	wait_log("hello", "stdout F ids ");
	p = get_pod("hello");
	assert_non_null(p);
	assert_non_null(k1s_json_str(p, "status.podIP"));
	assert_string_equal(k1s_json_str(p, "status.hostIP"), "192.0.2.77");
	assert_string_equal(
	    k1s_json_str(json_array_get(k1s_json_path(p, "status.podIPs"), 0), "ip"),
	    k1s_json_str(p, "status.podIP"));
	assert_non_null(k1s_json_str(p, "status.startTime"));
	assert_true(cond_true(p, "Ready"));
	assert_true(cond_true(p, "ContainersReady"));
	assert_true(cond_true(p, "Initialized"));
	assert_true(cond_true(p, "PodReadyToStartContainers"));
	assert_true(json_is_true(json_object_get(cstat(p), "ready")));
	assert_true(json_is_true(json_object_get(cstat(p), "started")));
	assert_non_null(k1s_json_path(cstat(p), "state.running.startedAt"));
	log = read_log("hello", false);
	/* CRI format, line by line. */
	assert_int_equal(
	    regcomp(&re,
	            "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z "
	            "stdout F hello\n",
	            REG_EXTENDED | REG_NEWLINE),
	    0);
	assert_int_equal(regexec(&re, log, 0, NULL, 0), 0);
	regfree(&re);
	assert_non_null(strstr(log, "stdout F hello\n"));
	assert_non_null(strstr(log, " stdout F search default.svc.cluster.local svc.cluster.local "
	                            "cluster.local\n"));
	assert_non_null(strstr(log, " stdout F nameserver 10.96.0.10\n"));
	assert_non_null(strstr(log, " stdout F options ndots:5\n"));
	{
		/* A uid of the pod's own, from the default range, as its gid. */
		unsigned u = 0, g = 1;

		assert_int_equal(sscanf(strstr(log, " stdout F ids "), " stdout F ids %u %u", &u, &g),
		                 2);
		assert_true(u >= POD_UID_MIN && u <= POD_UID_MAX);
		assert_int_equal(u, g);
		hello_uid = u;
	}
	{
		char line[128];

		snprintf(line, sizeof(line), " stdout F %s\thello\n",
		         k1s_json_str(p, "status.podIP"));
		wait_log("hello", line);
	}
	/* Its own network namespace: the pod's, not ours. */
	pid = container_pid("hello");
	assert_true(pid > 0);
	snprintf(procns, sizeof(procns), "/proc/%d/ns/net", (int)pid);
	pod_net_ns_path(ids[nids - 1], nspath, sizeof(nspath));
	assert_int_equal(stat(procns, &a), 0);
	assert_int_equal(stat(nspath, &b), 0);
	assert_true(a.st_ino == b.st_ino);
	assert_int_equal(stat("/proc/self/ns/net", &b), 0);
	assert_false(a.st_ino == b.st_ino);
	assert_true(pod_running(rt, "default", "hello", "main"));
	json_decref(p);
}

static void environment(void **state)
{
	char line[256];
	json_t *p;

	(void)state;
	create_obj("configmaps", "{\"metadata\":{\"name\":\"cfg\"},\"data\":{\"mode\":\"fast\"}}");
	create_obj("secrets", "{\"metadata\":{\"name\":\"sec\"},\"data\":{\"pw\":\"czNjcjN0\"}}");
	snprintf(line, sizeof(line),
	         "{\"metadata\":{\"name\":\"my-svc\"},\"spec\":{\"clusterIP\":\"%s\",\"ports\":"
	         "[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080}]}}",
	         svc_ip);
	create_obj("services", line);
	create_pod(
	    "{\"metadata\":{\"name\":\"envpod\",\"labels\":{\"app\":\"web\"}},\"spec\":{"
	    "\"serviceAccountName\":\"default\",\"containers\":[{\"name\":\"c\","
	    "\"image\":\"busybox\",\"command\":[\"sh\",\"-c\",\"env; sleep 100\"],\"env\":["
	    "{\"name\":\"GREETING\",\"value\":\"hi\"},"
	    "{\"name\":\"MSG\",\"value\":\"$(GREETING) there $(NOPE) $$(GREETING)\"},"
	    "{\"name\":\"MY_NAME\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}},"
	    "{\"name\":\"MY_NS\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.namespace\"}"
	    "}},"
	    "{\"name\":\"MY_IP\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"status.podIP\"}}},"
	    "{\"name\":\"MY_APP\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.labels['"
	    "app']\"}}},"
	    "{\"name\":\"MODE\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"cfg\",\"key\":"
	    "\"mode\"}}},"
	    "{\"name\":\"PW\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"sec\",\"key\":\"pw\"}}},"
	    "{\"name\":\"OPT\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"none\",\"key\":\"x\","
	    "\"optional\":true}}}],"
	    "\"envFrom\":[{\"prefix\":\"CFG_\",\"configMapRef\":{\"name\":\"cfg\"}}]}]}}");
	wait_running("envpod");
	wait_log("envpod", "stdout F PW=s3cr3t\n");
	p = get_pod("envpod");
	snprintf(line, sizeof(line), "stdout F MY_IP=%s\n", k1s_json_str(p, "status.podIP"));
	wait_log("envpod", line);
	wait_log("envpod", "stdout F MY_NAME=envpod\n");
	wait_log("envpod", "stdout F MY_NS=default\n");
	wait_log("envpod", "stdout F MY_APP=web\n");
	wait_log("envpod", "stdout F MSG=hi there $(NOPE) $(GREETING)\n");
	wait_log("envpod", "stdout F MODE=fast\n");
	wait_log("envpod", "stdout F CFG_mode=fast\n");
	wait_log("envpod", "stdout F HOSTNAME=envpod\n");
	wait_log("envpod", "stdout F PATH=/usr/local/sbin:");
	snprintf(line, sizeof(line), "stdout F MY_SVC_SERVICE_HOST=%s\n", svc_ip);
	wait_log("envpod", line);
	wait_log("envpod", "stdout F MY_SVC_SERVICE_PORT=80\n");
	wait_log("envpod", "stdout F MY_SVC_SERVICE_PORT_HTTP=80\n");
	snprintf(line, sizeof(line), "stdout F MY_SVC_PORT=tcp://%s:80\n", svc_ip);
	wait_log("envpod", line);
	snprintf(line, sizeof(line), "stdout F MY_SVC_PORT_80_TCP=tcp://%s:80\n", svc_ip);
	wait_log("envpod", line);
	wait_log("envpod", "stdout F MY_SVC_PORT_80_TCP_PROTO=tcp\n");
	wait_log("envpod", "stdout F MY_SVC_PORT_80_TCP_PORT=80\n");
	snprintf(line, sizeof(line), "stdout F MY_SVC_PORT_80_TCP_ADDR=%s\n", svc_ip);
	wait_log("envpod", line);
	assert_null(strstr(read_log("envpod", false), "OPT="));
	json_decref(p);
}

static void missing_configmap_waits(void **state)
{
	json_t *p;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"needcfg\"},\"spec\":{\"containers\":[{\"name\":\"c\","
	           "\"image\":\"busybox\",\"command\":[\"sleep\",\"100\"],\"env\":[{\"name\":\"X\","
	           "\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"later\",\"key\":\"k\"}}}]}]}}");
	run_until(NULL, NULL, 300);
	p = get_pod("needcfg");
	assert_string_equal(k1s_json_str(p, "status.phase"), "Pending");
	assert_string_equal(k1s_json_str(cstat(p), "state.waiting.reason"),
	                    "CreateContainerConfigError");
	assert_non_null(strstr(k1s_json_str(cstat(p), "state.waiting.message"), "\"later\""));
	json_decref(p);
	create_obj("configmaps", "{\"metadata\":{\"name\":\"later\"},\"data\":{\"k\":\"v\"}}");
	wait_running("needcfg");
}

/* A program that the pod's user cannot reach (a directory of mode 0700 on
 * its path) is an event naming it, not a crash loop; fixed, it starts. */
static void unreachable_program_waits(void **state)
{
	char dir[] = "/tmp/k1s-rt-private.XXXXXX", prog[64], cmd[256];
	json_t *p;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(prog, sizeof(prog), "%s/sleeper", dir);
	snprintf(cmd, sizeof(cmd), "cp /bin/sleep %s && chmod 755 %s", prog, prog);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
	         "{\"metadata\":{\"name\":\"private\"},\"spec\":{\"containers\":[{\"name\":"
	         "\"c\",\"image\":\"busybox\",\"command\":[\"%s\",\"100\"]}]}}",
	         prog);
	create_pod(cmd);
	run_until(NULL, NULL, 500);
	p = get_pod("private");
	assert_string_equal(k1s_json_str(cstat(p), "state.waiting.reason"), "RunContainerError");
	assert_non_null(strstr(k1s_json_str(cstat(p), "state.waiting.message"), prog));
	assert_non_null(strstr(k1s_json_str(cstat(p), "state.waiting.message"), "permission denied"));
	assert_int_equal(json_integer_value(json_object_get(cstat(p), "restartCount")), 0);
	json_decref(p);
	assert_true(event_with("private", "Failed", prog));
	/* A name the PATH does not have says so, in runc's words. */
	create_pod("{\"metadata\":{\"name\":\"noprog\"},\"spec\":{\"containers\":[{\"name\":"
	           "\"c\",\"image\":\"example/app:1\",\"command\":[\"no-such-program\"]}]}}");
	run_until(NULL, NULL, 500);
	assert_true(event_with("noprog", "Failed",
	                       "exec: \"no-such-program\": executable file not found in $PATH"));
	chmod(dir, 0755);
	wait_running("private");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static bool crashlooping(void *arg)
{
	json_t *p = get_pod(arg);
	const json_t *cs = cstat(p);
	bool ok = cs &&
	          strcmp(k1s_json_str(cs, "state.waiting.reason") ?: "", "CrashLoopBackOff") == 0 &&
	          json_integer_value(json_object_get(cs, "restartCount")) >= 1;

	json_decref(p);
	return ok;
}

static void crash_loop_backs_off(void **state)
{
	json_t *p;
	const char *msg;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"crash\"},\"spec\":{\"restartPolicy\":\"Always\","
	           "\"containers\":[{\"name\":\"api\",\"image\":\"busybox\","
	           "\"command\":[\"sh\",\"-c\",\"echo run; exit 3\"]}]}}");
	assert_true(run_until(crashlooping, "crash", 10000));
	p = get_pod("crash");
	msg = k1s_json_str(cstat(p), "state.waiting.message");
	assert_non_null(msg);
	assert_non_null(
	    strstr(msg, "back-off 10s restarting failed container=api pod=crash_default("));
	assert_int_equal(
	    json_integer_value(k1s_json_path(cstat(p), "lastState.terminated.exitCode")), 3);
	assert_string_equal(k1s_json_str(cstat(p), "lastState.terminated.reason"), "Error");
	assert_false(cond_true(p, "Ready"));
	assert_string_equal(k1s_json_str(p, "status.phase"), "Running");
	assert_true(event_with("crash", "BackOff", "Back-off restarting failed container api"));
	/* Repeats are counted on one event, as the kubelet's recorder does. */
	{
		struct ev_find f = {"crash", "Started", "Started container api", false, 0, 0};

		st_list(st, "events", "default", NULL, NULL, 0, ev_fn, &f, NULL);
		assert_int_equal(f.objects, 1);
		assert_true(f.count >= 2);
	}
	/* The previous run's log is kept for --previous. */
	assert_non_null(read_log("crash", true));
	assert_non_null(strstr(read_log("crash", true), "stdout F run\n"));
	json_decref(p);
}

static void never_restarts_and_fails(void **state)
{
	const char *a[2] = {"once", "Failed"}, *b[2] = {"okonce", "Succeeded"};

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"once\"},\"spec\":{\"restartPolicy\":\"Never\","
	           "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
	           "\"command\":[\"sh\",\"-c\",\"exit 2\"]}]}}");
	create_pod("{\"metadata\":{\"name\":\"okonce\"},\"spec\":{\"restartPolicy\":\"OnFailure\","
	           "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
	           "\"command\":[\"true\"]}]}}");
	assert_true(run_until(pod_phase_is, a, 10000));
	assert_true(run_until(pod_phase_is, b, 10000));
	{
		json_t *p = get_pod("once");

		assert_int_equal(json_integer_value(json_object_get(cstat(p), "restartCount")), 0);
		assert_int_equal(
		    json_integer_value(k1s_json_path(cstat(p), "state.terminated.exitCode")), 2);
		json_decref(p);
		p = get_pod("okonce");
		assert_string_equal(k1s_json_str(cstat(p), "state.terminated.reason"), "Completed");
		json_decref(p);
	}
}

struct restarted {
	const char *pod;
	pid_t old;
};

static bool restarted_with_new_pid(void *arg)
{
	struct restarted *r = arg;
	json_t *p = get_pod(r->pod);
	bool ok = p && k1s_json_path(cstat(p), "state.running") &&
	          json_integer_value(json_object_get(cstat(p), "restartCount")) >= 1 &&
	          container_pid(r->pod) != r->old;

	json_decref(p);
	return ok;
}

static void killed_from_outside_restarts(void **state)
{
	struct restarted r = {"hello", container_pid("hello")};
	json_t *p;

	(void)state;
	assert_true(r.old > 0);
	assert_int_equal(kill(r.old, SIGKILL), 0);
	assert_true(run_until(restarted_with_new_pid, &r, 10000));
	p = get_pod("hello");
	assert_int_equal(
	    json_integer_value(k1s_json_path(cstat(p), "lastState.terminated.exitCode")), 137);
	assert_int_equal(json_integer_value(k1s_json_path(cstat(p), "lastState.terminated.signal")),
	                 9);
	json_decref(p);
	wait_log("hello", "stdout F hello\n");
}

static void readiness_and_liveness_probes(void **state)
{
	json_t *p;
	struct restarted r = {"live", 0};

	(void)state;
	/* The echo app answers HTTP on its port: ready after the first probe. */
	create_pod(
	    "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"containers\":[{\"name\":\"app\","
	    "\"image\":\"example/unknown-app:2\",\"ports\":[{\"name\":\"http\","
	    "\"containerPort\":8080}],\"readinessProbe\":{\"httpGet\":{\"path\":\"/healthz\","
	    "\"port\":\"http\"},\"initialDelaySeconds\":1,\"periodSeconds\":1}}]}}");
	wait_running("web");
	p = get_pod("web");
	assert_false(cond_true(p, "Ready"));
	assert_false(json_is_true(json_object_get(cstat(p), "ready")));
	json_decref(p);
	assert_true(run_until(pod_ready, "web", 10000));
	p = get_pod("web");
	assert_true(json_is_true(json_object_get(cstat(p), "ready")));
	json_decref(p);

	/* Nothing listens on 9999: the readiness probe keeps it unready, the
	 * liveness probe restarts it. */
	create_pod(
	    "{\"metadata\":{\"name\":\"live\"},\"spec\":{\"terminationGracePeriodSeconds\":1,"
	    "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"command\":[\"sleep\","
	    "\"100\"],\"readinessProbe\":{\"tcpSocket\":{\"port\":9999},\"periodSeconds\":1},"
	    "\"livenessProbe\":{\"exec\":{\"command\":[\"sh\",\"-c\",\"exit 1\"]},"
	    "\"periodSeconds\":1,\"failureThreshold\":2}}]}}");
	wait_running("live");
	r.old = container_pid("live");
	assert_true(run_until(restarted_with_new_pid, &r, 15000));
	assert_false(pod_ready("live"));
	assert_true(
	    event_with("live", "Killing", "Container c failed liveness probe, will be restarted"));
	assert_true(event_with("live", "Unhealthy", "Liveness probe failed"));
	assert_true(event_with("live", "Unhealthy", "Readiness probe failed"));
}

struct exec_res {
	int ws;
	bool done;
};

static void on_exec_exit(void *arg, int ws)
{
	struct exec_res *r = arg;

	r->ws = ws;
	r->done = true;
}

static bool exec_done(void *arg)
{
	return ((struct exec_res *)arg)->done;
}

static void exec_in_a_container(void **state)
{
	char *argv1[] = {"sh", "-c", "echo hi; hostname; id -u; echo oops >&2", NULL};
	char *argv2[] = {"sh", "-c", "exit 7", NULL};
	struct exec_res r = {0};
	struct pod_stdio io;
	char buf[256] = "", ebuf[64] = "";
	ssize_t n;

	(void)state;
	assert_int_equal(
	    pod_exec(rt, "default", "hello", "main", argv1, false, false, on_exec_exit, &r, &io),
	    0);
	assert_true(io.pid > 0);
	assert_true(run_until(exec_done, &r, 5000));
	n = read(io.out_fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	{
		char want[64];

		/* The container's user. */
		snprintf(want, sizeof(want), "hi\nhello\n%u\n", hello_uid);
		assert_string_equal(buf, want);
	}
	n = read(io.err_fd, ebuf, sizeof(ebuf) - 1);
	ebuf[n > 0 ? n : 0] = '\0';
	assert_string_equal(ebuf, "oops\n");
	assert_true(WIFEXITED(r.ws) && WEXITSTATUS(r.ws) == 0);
	close(io.out_fd);
	close(io.err_fd);

	memset(&r, 0, sizeof(r));
	assert_int_equal(
	    pod_exec(rt, "default", "hello", "main", argv2, true, true, on_exec_exit, &r, &io), 0);
	assert_true(io.err_fd == -1 && io.out_fd >= 0 && io.in_fd >= 0);
	assert_true(run_until(exec_done, &r, 5000));
	assert_true(WIFEXITED(r.ws) && WEXITSTATUS(r.ws) == 7);
	close(io.out_fd);
	close(io.in_fd);

	assert_int_equal(
	    pod_exec(rt, "default", "nope", NULL, argv2, false, false, on_exec_exit, &r, &io),
	    -ENOENT);
}

/* Reads from fd until `want` shows up or 5 s pass; what was read. */
static char *read_until(int fd, const char *want)
{
	static char buf[4096];
	size_t len = 0;
	int64_t end = k1s_now_ms() + 5000;

	buf[0] = '\0';
	while (!strstr(buf, want) && k1s_now_ms() < end && len < sizeof(buf) - 1) {
		struct pollfd pf = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&pf, 1, 100) != 1)
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return buf;
}

static void attach_to_a_held_program(void **state)
{
	struct exec_res r = {0};
	struct pod_stdio io;
	json_t *p;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"tty\"},\"spec\":{\"restartPolicy\":\"Never\","
	           "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"stdin\":true,"
	           "\"stdinOnce\":true,\"tty\":true,\"command\":[\"sh\",\"-c\","
	           "\"echo started; read x; echo got $x; read y; echo got $y\"]}]}}");
	wait_running("tty");
	/* Held until someone attaches: nothing is lost. */
	run_until(NULL, NULL, 300);
	assert_int_equal(pod_attach(rt, "default", "tty", "c", on_exec_exit, &r, &io), 0);
	assert_true(io.out_fd >= 0 && io.in_fd >= 0 && io.err_fd == -1 && io.pid == -1);
	/* What the attacher sends at once is the program's input, and is not
	 * echoed ahead of its output. */
	assert_true(write(io.in_fd, "abc\n", 4) == 4);
	run_until(NULL, NULL, 500); /* past the settling moment */
	assert_string_equal(read_until(io.out_fd, "got abc"), "started\r\ngot abc\r\n");
	/* Once it runs, its terminal echoes. */
	assert_true(write(io.in_fd, "def\n", 4) == 4);
	assert_string_equal(read_until(io.out_fd, "got def"), "def\r\ngot def\r\n");
	assert_true(run_until(exec_done, &r, 5000));
	assert_true(WIFEXITED(r.ws) && WEXITSTATUS(r.ws) == 0);
	close(io.out_fd);
	close(io.in_fd);
	p = get_pod("tty");
	run_until(NULL, NULL, 200);
	json_decref(p);
	p = get_pod("tty");
	assert_string_equal(k1s_json_str(p, "status.phase"), "Succeeded");
	json_decref(p);
	/* Not running any more. */
	assert_int_equal(pod_attach(rt, "default", "tty", "c", on_exec_exit, &r, &io), -EAGAIN);
}

/* What an attach without a terminal reads from one of its pipes. */
struct drain {
	int fd;
	char buf[32768];
	size_t len;
	bool eof;
};

static bool drain_more(struct drain *d)
{
	for (;;) {
		ssize_t n = read(d->fd, d->buf + d->len, sizeof(d->buf) - 1 - d->len);

		if (n <= 0) {
			d->eof = n == 0 || errno != EAGAIN;
			break;
		}
		d->len += (size_t)n;
	}
	d->buf[d->len] = '\0';
	return d->eof;
}

static bool both_drained(void *arg)
{
	struct drain *d = arg;
	bool a = drain_more(&d[0]), b = drain_more(&d[1]);

	return a && b;
}

static bool drained_has(void *arg)
{
	struct drain *d = arg;

	drain_more(d);
	return strstr(d->buf, "late") != NULL;
}

/* How many of our fds are open on files of pod `name`. */
static int fds_on_pod(const char *name)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	char key[300], path[300], target[1024];
	int n = 0;

	snprintf(key, sizeof(key), "/default_%s_", name);
	while (dir && (e = readdir(dir))) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		target[len > 0 ? len : 0] = '\0';
		if (strstr(target, key))
			n++;
	}
	if (dir)
		closedir(dir);
	return n;
}

static void attach_without_a_tty(void **state)
{
	static struct drain d[2];
	struct exec_res r = {0};
	struct pod_stdio io;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"cat1\"},\"spec\":{\"restartPolicy\":\"Never\","
	           "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"stdin\":true,"
	           "\"stdinOnce\":true,\"command\":[\"cat\"]}]}}");
	wait_running("cat1");
	assert_int_equal(pod_attach(rt, "default", "cat1", "c", on_exec_exit, &r, &io), 0);
	assert_true(io.in_fd >= 0 && io.out_fd >= 0 && io.err_fd >= 0 && io.pid == -1);
	assert_true(write(io.in_fd, "hello\n", 6) == 6);
	/* stdinOnce: the attacher's close is the container's EOF. */
	close(io.in_fd);
	memset(d, 0, sizeof(d));
	d[0].fd = io.out_fd;
	d[1].fd = io.err_fd;
	assert_true(run_until(both_drained, d, 5000));
	assert_string_equal(d[0].buf, "hello\n");
	assert_string_equal(d[1].buf, "");
	assert_true(run_until(exec_done, &r, 5000));
	assert_true(WIFEXITED(r.ws) && WEXITSTATUS(r.ws) == 0);
	close(io.out_fd);
	close(io.err_fd);

	/* Held until the attach, so the output before stdin is there too;
	 * stderr comes on its own pipe, a long line whole. */
	memset(&r, 0, sizeof(r));
	create_pod("{\"metadata\":{\"name\":\"cat2\"},\"spec\":{\"restartPolicy\":\"Never\","
	           "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"stdin\":true,"
	           "\"stdinOnce\":true,\"command\":[\"sh\",\"-c\",\"echo first; read x; "
	           "echo err:$x >&2; head -c 20000 /dev/zero | tr '\\\\0' y; echo; "
	           "printf tail\"]}]}}");
	wait_running("cat2");
	run_until(NULL, NULL, 300);
	assert_int_equal(pod_attach(rt, "default", "cat2", "c", on_exec_exit, &r, &io), 0);
	assert_true(write(io.in_fd, "abc\n", 4) == 4);
	close(io.in_fd);
	memset(d, 0, sizeof(d));
	d[0].fd = io.out_fd;
	d[1].fd = io.err_fd;
	assert_true(run_until(both_drained, d, 5000));
	assert_string_equal(d[1].buf, "err:abc\n");
	assert_int_equal(d[0].len, 6 + 20000 + 6);
	assert_memory_equal(d[0].buf, "first\nyyy", 9);
	assert_string_equal(d[0].buf + 6 + 20000, "\ntail\n");
	assert_true(run_until(exec_done, &r, 5000));
	close(io.out_fd);
	close(io.err_fd);
}

static void attach_follows_from_now(void **state)
{
	static struct drain d;
	static struct exec_res r; /* the attach outlives the test */
	struct pod_stdio io;
	(void)state;
	create_pod("{\"metadata\":{\"name\":\"talk\"},\"spec\":{\"restartPolicy\":\"Never\","
	           "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"command\":[\"sh\","
	           "\"-c\",\"echo early >&2; sleep 1; while true; do echo late >&2; "
	           "sleep 0.2; done\"]}]}}");
	wait_running("talk");
	wait_log("talk", "early");
	assert_int_equal(pod_attach(rt, "default", "talk", "c", on_exec_exit, &r, &io), 0);
	assert_true(io.in_fd == -1 && io.out_fd >= 0 && io.err_fd >= 0);
	memset(&d, 0, sizeof(d));
	d.fd = io.err_fd;
	assert_true(run_until(drained_has, &d, 5000));
	/* What was written before the attach is for kubectl logs. */
	assert_null(strstr(d.buf, "early"));
	assert_memory_equal(d.buf, "late\n", 5);
	assert_int_equal(fds_on_pod("talk"), 1); /* the log followed */
	/* Detach: the runtime stops following. */
	close(io.out_fd);
	close(io.err_fd);
	run_until(NULL, NULL, 600);
	assert_int_equal(fds_on_pod("talk"), 0);
	assert_false(r.done);
}

/* An attach follows the log across the shim's rotations: every line
 * once, in order, though the file it began with was renamed. */
static void attach_follows_across_rotations(void **state)
{
	static struct drain d[2];
	struct exec_res r = {0};
	struct pod_stdio io;
	char want[32768], path[1200];
	size_t len = 0;
	struct dirent *e;
	int rotated = 0;
	json_t *pj;
	DIR *dir;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"rot\"},\"spec\":{\"restartPolicy\":\"Never\","
	           "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"stdin\":true,"
	           "\"stdinOnce\":true,\"command\":[\"sh\",\"-c\",\"read x; i=1; "
	           "while [ $i -le 400 ]; do echo line $i of a log that rotates, padded to "
	           "seventy bytes; [ $((i % 50)) = 0 ] && sleep 0.1; i=$((i+1)); done\"]}]}}");
	wait_running("rot");
	assert_int_equal(pod_attach(rt, "default", "rot", "c", on_exec_exit, &r, &io), 0);
	assert_true(write(io.in_fd, "go\n", 3) == 3);
	close(io.in_fd);
	memset(d, 0, sizeof(d));
	d[0].fd = io.out_fd;
	d[1].fd = io.err_fd;
	assert_true(run_until(both_drained, d, 10000));
	for (int i = 1; i <= 400; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len,
		                        "line %d of a log that rotates, padded to seventy bytes\n", i);
	assert_string_equal(d[0].buf, want);
	assert_true(run_until(exec_done, &r, 5000));
	close(io.out_fd);
	close(io.err_fd);
	/* The log did rotate: 0.log.<time> files beside 0.log. */
	pj = get_pod("rot");
	assert_non_null(pj);
	snprintf(path, sizeof(path), "%s/pods/default_rot_%s/c", datadir,
	         k1s_json_str(pj, "metadata.uid") ?: "");
	json_decref(pj);
	dir = opendir(path);
	assert_non_null(dir);
	while ((e = readdir(dir)))
		rotated += strncmp(e->d_name, "0.log.", 6) == 0;
	closedir(dir);
	assert_true(rotated >= 1);
}

static void connect_into_a_pod(void **state)
{
	char buf[512];
	ssize_t n;
	int fd, fl;

	(void)state;
	fd = pod_connect(rt, "default", "web", 8080);
	assert_true(fd >= 0);
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	assert_true(write(fd, "GET /x HTTP/1.0\r\n\r\n", 19) == 19);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "200"));
	close(fd);
	assert_true(pod_connect(rt, "default", "nope", 80) == -ENOENT);
}

/* A pod writing kib KiB into a disk emptyDir "cache" of sizeLimit 1Mi. */
static void create_writer(const char *name, int kib)
{
	char json[1024];

	snprintf(json, sizeof(json),
	         "{\"metadata\":{\"name\":\"%s\"},\"spec\":{"
	         "\"volumes\":[{\"name\":\"cache\",\"emptyDir\":{\"sizeLimit\":\"1Mi\"}}],"
	         "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
	         "\"volumeMounts\":[{\"name\":\"cache\",\"mountPath\":\"/cache\"}],"
	         "\"command\":[\"sh\",\"-c\",\"dd if=/dev/zero of=/cache/f bs=1024 count=%d "
	         "2>/dev/null; sync; echo written; sleep 100\"]}]}}",
	         name, kib);
	create_pod(json);
}

/* Whether the emptyDir "cache" of the pod is on the host. */
static bool vol_dir_exists(const char *name)
{
	json_t *p = get_pod(name);
	char path[700];
	struct stat sb;

	assert_non_null(p);
	snprintf(path, sizeof(path), "%s/pods/default_%s_%s/volumes/kubernetes.io~empty-dir/cache",
	         datadir, name, k1s_json_str(p, "metadata.uid"));
	json_decref(p);
	return stat(path, &sb) == 0;
}

/* kubelet's eviction manager: a disk emptyDir used past its sizeLimit
 * evicts the pod (Failed, reason Evicted, kubelet's message and event);
 * one within its limit goes on. */
static void empty_dir_over_its_limit_evicts(void **state)
{
	const char *a[2] = {"hog", "Failed"};
	const char *msg = "Usage of EmptyDir volume \"cache\" exceeds the limit \"1Mi\". ";
	json_t *p;

	(void)state;
	create_writer("hog", 2048);
	create_writer("frugal", 512);
	assert_true(run_until(pod_phase_is, a, 20000));
	p = get_pod("hog");
	assert_string_equal(k1s_json_str(p, "status.reason") ?: "", "Evicted");
	assert_string_equal(k1s_json_str(p, "status.message") ?: "", msg);
	/* Killed, not restarted (restartPolicy Always). */
	assert_non_null(k1s_json_path(cstat(p), "state.terminated"));
	assert_int_equal(json_integer_value(json_object_get(cstat(p), "restartCount")), 0);
	json_decref(p);
	assert_true(event_with("hog", "Evicted", msg));
	/* Its emptyDir is gone: the node has its disk back. */
	assert_true(vol_dir_exists("frugal"));
	assert_false(vol_dir_exists("hog"));
	/* The other has written its half limit, and passes measures on. */
	wait_log("frugal", "stdout F written\n");
	spin(loop, 1500);
	p = get_pod("frugal");
	assert_string_equal(k1s_json_str(p, "status.phase") ?: "", "Running");
	assert_null(k1s_json_path(p, "status.reason"));
	json_decref(p);
	assert_false(event_with("frugal", "Evicted", ""));
	/* An evicted pod stays so: no container starts again. */
	spin(loop, 1000);
	p = get_pod("hog");
	assert_string_equal(k1s_json_str(p, "status.phase") ?: "", "Failed");
	json_decref(p);
}

static void graceful_deletion(void **state)
{
	json_t *p;
	char id[16];
	int64_t t0;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"term\"},\"spec\":{\"containers\":[{\"name\":\"c\","
	           "\"image\":\"busybox\",\"command\":[\"sh\",\"-c\",\"trap 'exit 0' TERM; "
	           "echo up; while :; do sleep 0.1; done\"]}]}}");
	snprintf(id, sizeof(id), "%s", ids[nids - 1]);
	wait_running("term");
	wait_log("term", "stdout F up\n");
	assert_true(ns_exists(id));
	t0 = k1s_now_ms();
	/* The fake writer marks it with a 30 s grace period, as the API does. */
	assert_int_equal(
	    fw.w.remove(&fw, k1s_resource_find("", "pods"), "default", "term", NULL, -1), 0);
	p = get_pod("term");
	assert_non_null(k1s_json_path(p, "metadata.deletionTimestamp"));
	json_decref(p);
	assert_true(run_until(pod_gone, "term", 10000));
	/* SIGTERM did it, well before the grace period. */
	assert_true(k1s_now_ms() - t0 < 5000);
	assert_false(ns_exists(id));
	assert_false(link_exists(id));
	assert_true(event_with("term", "Killing", "Stopping container c"));
}

static void sigterm_ignored_gets_sigkill(void **state)
{
	char id[16];
	pid_t pid;

	(void)state;
	create_pod(
	    "{\"metadata\":{\"name\":\"stubborn\"},\"spec\":{\"containers\":[{\"name\":\"c\","
	    "\"image\":\"busybox\",\"command\":[\"sh\",\"-c\",\"trap '' TERM; echo up; "
	    "while :; do sleep 0.1; done\"]}]}}");
	snprintf(id, sizeof(id), "%s", ids[nids - 1]);
	wait_running("stubborn");
	wait_log("stubborn", "stdout F up\n");
	pid = container_pid("stubborn");
	{
		const struct k1s_resource *r = k1s_resource_find("", "pods");
		json_t *p = get_pod("stubborn");
		char ts[32];

		/* As the API marks a pod deleted with --grace-period=1. */
		k1s_time_fmt(ts, sizeof(ts), time(NULL) + 1);
		k1s_json_set_str(p, "metadata.deletionTimestamp", ts);
		json_object_set_new(json_object_get(p, "metadata"), "deletionGracePeriodSeconds",
		                    json_integer(1));
		assert_int_equal(st_update(st, "pods", "default", "stubborn", p, 0), 0);
		json_decref(p);
		(void)r;
	}
	run_until(NULL, NULL, 600);
	assert_true(alive(pid)); /* still there within the grace period */
	assert_true(run_until(pod_gone, "stubborn", 5000));
	assert_false(ns_exists(id));
}

static void deleted_outright_is_killed(void **state)
{
	char id[16];
	pid_t pid;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"gone\"},\"spec\":{\"containers\":[{\"name\":\"c\","
	           "\"image\":\"busybox\",\"command\":[\"sleep\",\"100\"]}]}}");
	snprintf(id, sizeof(id), "%s", ids[nids - 1]);
	wait_running("gone");
	pid = container_pid("gone");
	assert_int_equal(st_delete(st, "pods", "default", "gone", 0, NULL), 0);
	run_until(NULL, NULL, 500);
	assert_false(ns_exists(id));
	assert_false(link_exists(id));
	for (int i = 0; i < 50 && alive(pid); i++)
		usleep(20000);
	assert_false(alive(pid));
	assert_false(pod_running(rt, "default", "gone", "c"));
}

/* A field of /proc/<pid>/smaps_rollup, in KiB; -1 if not there. */
static long long rollup_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	long long kib = -1;
	size_t n = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (kib < 0 && fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			kib = atoll(line + n + 1);
	fclose(f);
	return kib;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* The shim and the container's init are a program of their own, not
 * copies of the runtime's process: memory the runtime has touched is not
 * theirs (a fork would hold all 64 MiB of it, copy-on-write), and they
 * hold nothing of the runtime's but what the container needs. */
static void shim_holds_no_copy_of_the_runtime(void **state)
{
	const size_t big = 64u << 20;
	char *heap = malloc(big), path[64], cmd[64] = "";
	pid_t init, shim;
	ssize_t n;
	int fd;

	(void)state;
	assert_non_null(heap);
	memset(heap, 0x5a, big);
	__asm__ volatile("" : : "r"(heap) : "memory");
	create_pod("{\"metadata\":{\"name\":\"small\"},\"spec\":{\"containers\":[{\"name\":"
	           "\"c\",\"image\":\"busybox\",\"command\":[\"sleep\",\"100\"]}]}}");
	wait_running("small");
	init = container_pid("small");
	shim = parent_of(init);
	assert_true(init > 0 && shim > 0 && shim != getpid());
	print_message("shim %lld KiB anonymous, init %lld KiB; the runtime %lld KiB\n",
	              rollup_kib(shim, "Anonymous"), rollup_kib(init, "Anonymous"),
	              rollup_kib(getpid(), "Anonymous"));
	assert_true(rollup_kib(getpid(), "Anonymous") > (long long)(big >> 10));
	assert_in_range(rollup_kib(shim, "Anonymous"), 0, (big >> 10) / 2);
	assert_in_range(rollup_kib(init, "Anonymous"), 0, (big >> 10) / 2);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)shim);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	assert_true(n > 0);
	assert_string_equal(cmd, POD_SHIM_ARGV0);
	free(heap);
	assert_int_equal(st_delete(st, "pods", "default", "small", 0, NULL), 0);
	assert_true(run_until(pod_gone, "small", 10000));
}

/* A runtime in a child process is killed with SIGKILL; a new one adopts
 * the pod it ran (same processes, same IP) and sweeps one that was
 * deleted meanwhile. */
static void adoption_after_a_crash(void **state)
{
	char dir[400], id_keep[16], id_gone[16], ip[32] = "";
	int pfd[2];
	pid_t child, pid_keep = 0, pid_gone = 0;
	struct st *st2;
	struct k1s_loop *loop2;
	struct fake_writer fw2;
	struct pod_rt *rt2;
	struct pod_config cfg;
	json_t *p;
	int err, ws;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/adopt", tmpdir);
	mkdir(dir, 0700);
	assert_int_equal(pipe(pfd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct st *cst = st_open(dir, &(struct st_opts){.sync = ST_SYNC_NORMAL}, &err);
		struct k1s_loop *cl = k1s_loop_new();
		struct fake_writer cfw;
		struct pod_rt *crt;
		json_t *pod;
		char msg[128];

		close(pfd[0]);
		fake_writer_init(&cfw, cst);
		cfg = config(dir);
		crt = pod_rt_new(cst, cl, &cfw.w, &cfg, &err);
		if (!crt)
			_exit(1);
		for (int i = 0; i < 2; i++) {
			pod = json_pack("{s:{s:s}, s:{s:s, s:[{s:s, s:s, s:[s, s]}]}}", "metadata",
			                "name", i ? "gone" : "keep", "spec", "nodeName", NODE,
			                "containers", "name", "c", "image", "busybox", "command",
			                "sleep", "100");
			cfw.w.create(&cfw, k1s_resource_find("", "pods"), pod);
			json_decref(pod);
		}
		/* Run until both pods run, then report and wait to be killed. */
		for (int tries = 0; tries < 200; tries++) {
			json_t *a = NULL, *b = NULL;
			bool ok;

			st_get(cst, "pods", "default", "keep", &a);
			st_get(cst, "pods", "default", "gone", &b);
			ok = a && b && k1s_json_path(cstat(a), "state.running") &&
			     k1s_json_path(cstat(b), "state.running");
			if (ok) {
				snprintf(msg, sizeof(msg), "%s %s %s %s %s\n",
				         k1s_json_str(a, "metadata.uid"),
				         k1s_json_str(b, "metadata.uid"),
				         k1s_json_str(cstat(a), "containerID") + 6,
				         k1s_json_str(cstat(b), "containerID") + 6,
				         k1s_json_str(a, "status.podIP"));
				if (write(pfd[1], msg, strlen(msg)) < 0)
					_exit(1);
				json_decref(a);
				json_decref(b);
				break;
			}
			json_decref(a);
			json_decref(b);
			spin(cl, 50);
		}
		pause();
		_exit(0);
	}
	close(pfd[1]);
	{
		char buf[512] = "", u1[64], u2[64];
		ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);

		close(pfd[0]);
		if (n <= 0) {
			kill(child, SIGKILL);
			waitpid(child, &ws, 0);
			fail_msg("the child runtime did not start its pods");
		}
		buf[n] = '\0';
		assert_int_equal(
		    sscanf(buf, "%63s %63s %d %d %31s", u1, u2, &pid_keep, &pid_gone, ip), 5);
		for (int k = 0; k < 2; k++) {
			const char *u = k ? u2 : u1;
			char *id = k ? id_gone : id_keep;
			size_t j = 0;

			for (; *u && j < 12; u++)
				if (*u != '-')
					id[j++] = *u;
			id[j] = '\0';
			snprintf(ids[nids++], sizeof(ids[0]), "%s", id);
		}
	}
	kill(child, SIGKILL);
	waitpid(child, &ws, 0);
	/* The processes outlive their runtime. */
	assert_true(alive(pid_keep));
	assert_true(alive(pid_gone));

	st2 = st_open(dir, &(struct st_opts){.sync = ST_SYNC_NORMAL}, &err);
	assert_non_null(st2);
	/* Deleted while no runtime ran. */
	assert_int_equal(st_delete(st2, "pods", "default", "gone", 0, NULL), 0);
	loop2 = k1s_loop_new();
	fake_writer_init(&fw2, st2);
	cfg = config(dir);
	rt2 = pod_rt_new(st2, loop2, &fw2.w, &cfg, &err);
	assert_non_null(rt2);
	/* Adopted, but not ready before a pass of the loop syncs every pod. */
	assert_false(pod_rt_ready(rt2));
	/* The kept pod is the same process with the same address. */
	assert_true(pod_running(rt2, "default", "keep", "c"));
	assert_true(alive(pid_keep));
	assert_true(ns_exists(id_keep));
	/* The other is swept: process, network and directory. */
	for (int i = 0; i < 50 && alive(pid_gone); i++)
		usleep(20000);
	assert_false(alive(pid_gone));
	assert_false(ns_exists(id_gone));
	assert_false(link_exists(id_gone));
	spin(loop2, 100);
	assert_true(pod_rt_ready(rt2));
	st_get(st2, "pods", "default", "keep", &p);
	assert_string_equal(k1s_json_str(p, "status.podIP"), ip);
	assert_int_equal(atoi(k1s_json_str(cstat(p), "containerID") + 6), pid_keep);
	json_decref(p);
	/* An adopted container that dies is seen to die, and restarts. */
	kill(pid_keep, SIGKILL);
	for (int i = 0; i < 100; i++) {
		spin(loop2, 50);
		st_get(st2, "pods", "default", "keep", &p);
		if (json_integer_value(json_object_get(cstat(p), "restartCount")) >= 1 &&
		    k1s_json_path(cstat(p), "state.running")) {
			assert_int_equal(json_integer_value(k1s_json_path(
			                     cstat(p), "lastState.terminated.exitCode")),
			                 137);
			json_decref(p);
			p = NULL;
			break;
		}
		json_decref(p);
		p = (json_t *)1;
	}
	assert_null(p);
	pod_rt_free(rt2);
	assert_false(ns_exists(id_keep));
	k1s_loop_free(loop2);
	st_close(st2);
}

static void not_root_is_eperm(void **state)
{
	pid_t pid;
	int ws;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pod_config c = config(datadir);
		int err = 0;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		_exit(pod_rt_new(st, loop, &fw.w, &c, &err) == NULL && err == -EPERM ? 0 : 1);
	}
	waitpid(pid, &ws, 0);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

static void nothing_is_left_behind(void **state)
{
	(void)state;
	pod_rt_free(rt);
	rt = NULL;
	for (int i = 0; i < nids; i++) {
		if (ns_exists(ids[i]) || link_exists(ids[i]))
			fail_msg("pod network %s left behind", ids[i]);
	}
}

/* Whether ip is an address of this host: a socket binds it without
 * IP_FREEBIND only then. */
static bool host_local(const char *ip)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

/* A pod whose image the catalog calls a face (coredns/coredns: cluster
 * DNS) runs no program: its IP comes from the pod pool and is local to
 * the host, it is Running and Ready, its log is the module's face log,
 * and port-forward reaches the host's sockets on it. Deleted, it goes at
 * once and its address is no longer the host's. */
static void face_pod_runs_no_process(void **state)
{
	char ip[32], path[1024], id[16], want[512];
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct k1s_facelog *fl;
	const char *reason = NULL;
	json_t *p;
	char *log;
	int lfd, fd, err = 0;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"coredns-x\"},\"spec\":{\"containers\":[{\"name\":"
	           "\"coredns\",\"image\":\"registry.k8s.io/coredns/coredns:v1.11.1@sha256:"
	           "1eeb4c7316bacb1d4c8ead65571cd92dd21e27359f0d4917f1a5822a73b75db1\","
	           "\"ports\":[{\"name\":\"dns\",\"containerPort\":53,\"protocol\":\"UDP\"}],"
	           "\"readinessProbe\":{\"httpGet\":{\"path\":\"/ready\",\"port\":8181}}}]}}");
	snprintf(id, sizeof(id), "%s", ids[nids - 1]);
	wait_running("coredns-x");
	p = get_pod("coredns-x");
	snprintf(ip, sizeof(ip), "%s", k1s_json_str(p, "status.podIP") ?: "");
	assert_true(*ip);
	assert_true(cond_true(p, "Ready"));
	assert_true(cond_true(p, "ContainersReady"));
	assert_true(json_is_true(json_object_get(cstat(p), "ready")));
	assert_true(json_is_true(json_object_get(cstat(p), "started")));
	assert_non_null(k1s_json_path(cstat(p), "state.running.startedAt"));
	/* No process, no namespace, no veth: the address is the host's. */
	assert_string_equal(k1s_json_str(cstat(p), "containerID"), "k1s://face/dns");
	json_decref(p);
	assert_false(ns_exists(id));
	assert_false(link_exists(id));
	assert_true(host_local(ip));
	assert_true(pod_running(rt, "default", "coredns-x", NULL));
	/* Its log is the module's. */
	assert_int_equal(pod_log_path(rt, "default", "coredns-x", NULL, false, path, sizeof(path),
	                              &reason),
	                 0);
	snprintf(want, sizeof(want), "%s/faces/dns.log", datadir);
	assert_string_equal(path, want);
	fl = k1s_facelog_open(datadir, "dns", 0, &err);
	assert_non_null(fl);
	k1s_facelog_printf(fl, "[INFO] 10.0.0.1:5353 - 1 \"A IN x. udp 20 false 512\"");
	k1s_facelog_close(fl);
	log = read_log("coredns-x", false);
	assert_non_null(log);
	assert_non_null(strstr(log, " stdout F [INFO] 10.0.0.1:5353 - 1 \"A IN x. udp 20"));
	/* port-forward reaches what listens on the face's address. */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, ip, &sin.sin_addr);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	{
		socklen_t sl = sizeof(sin);

		assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	}
	fd = pod_connect(rt, "default", "coredns-x", ntohs(sin.sin_port));
	assert_true(fd >= 0);
	close(fd);
	close(lfd);
	/* Nothing to exec in or attach to. */
	{
		char *argv[] = {"true", NULL};
		struct pod_stdio io;

		assert_int_equal(pod_exec(rt, "default", "coredns-x", NULL, argv, false, false,
		                          NULL, NULL, &io),
		                 -EOPNOTSUPP);
		assert_int_equal(pod_attach(rt, "default", "coredns-x", NULL, NULL, NULL, &io),
		                 -EOPNOTSUPP);
	}
	/* Deleted: gone without a grace period's wait, address released. */
	assert_int_equal(
	    fw.w.remove(&fw, k1s_resource_find("", "pods"), "default", "coredns-x", NULL, -1), 0);
	assert_true(run_until(pod_gone, "coredns-x", 5000));
	assert_false(host_local(ip));
}

/* The face annotation makes a face of any image. */
static void face_by_annotation(void **state)
{
	json_t *p;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"ing-face\",\"annotations\":{\"k1s.io/face\":"
	           "\"ingress\"}},\"spec\":{\"containers\":[{\"name\":\"controller\","
	           "\"image\":\"busybox\",\"command\":[\"sh\",\"-c\",\"exit 3\"]}]}}");
	wait_running("ing-face");
	p = get_pod("ing-face");
	assert_string_equal(k1s_json_str(cstat(p), "containerID"), "k1s://face/ingress");
	assert_true(host_local(k1s_json_str(p, "status.podIP")));
	assert_int_equal(json_integer_value(json_object_get(cstat(p), "restartCount")), 0);
	json_decref(p);
	assert_int_equal(
	    fw.w.remove(&fw, k1s_resource_find("", "pods"), "default", "ing-face", NULL, -1), 0);
	assert_true(run_until(pod_gone, "ing-face", 5000));
}

/* ---- setup ---- */

/* A pod's programs start only once the network gate lets them: the gate
 * is asked with the pod's address, its network already set up. */
static void gate_holds_the_programs(void **state)
{
	struct k1s_cidr net = net_of(pod_cidr);
	uint32_t at;
	json_t *p;

	(void)state;
	gate_shut = true;
	gate_asked = 0;
	create_pod("{\"metadata\":{\"name\":\"gated-a\"},\"spec\":{\"containers\":[{\"name\":"
	           "\"main\",\"image\":\"busybox\",\"command\":[\"sh\",\"-c\","
	           "\"echo started; exec sleep 100\"]}]}}");
	spin(loop, 1000);
	/* Held: asked again and again, nothing ran. */
	assert_true(gate_asked > 3);
	assert_true(gate_saw_net);
	assert_int_equal(k1s_ip4_parse(gate_ip, &at), 0);
	assert_true(k1s_cidr_contains(&net, at));
	assert_null(read_log("gated-a", false));
	p = get_pod("gated-a");
	assert_string_equal(k1s_json_str(p, "status.phase") ?: "", "Pending");
	assert_string_equal(k1s_json_str(cstat(p), "state.waiting.reason") ?: "",
	                    "ContainerCreating");
	json_decref(p);
	assert_false(gate_saw_log);
	/* Let through: it starts, and its address is the one the gate saw. */
	gate_shut = false;
	wait_running("gated-a");
	wait_log("gated-a", "stdout F started\n");
	p = get_pod("gated-a");
	assert_string_equal(k1s_json_str(p, "status.podIP") ?: "", gate_ip);
	json_decref(p);
	assert_false(gate_saw_log);
}

/* ---- isolation ---- */

/* The output of argv run in a pod's container, once it has ended. */
static char *exec_out(const char *pod, char *const argv[])
{
	static char buf[8192];
	struct exec_res r = {0};
	struct pod_stdio io;
	size_t len = 0;
	ssize_t n;

	assert_int_equal(pod_exec(rt, "default", pod, NULL, argv, false, false, on_exec_exit, &r,
	                          &io),
	                 0);
	assert_true(run_until(exec_done, &r, 10000));
	while (len < sizeof(buf) - 1 && (n = read(io.out_fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(io.out_fd);
	close(io.err_fd);
	return buf;
}

/* The program of a pod's container, in our PID namespace: the child of
 * its init, or the process itself where there is none. */
static pid_t program_pid(const char *name)
{
	pid_t pid = container_pid(name), child = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &child) != 1)
			child = 0;
		fclose(f);
	}
	return child > 0 ? child : pid;
}

/* Each way out of a pod that pods on one host have, tried from a pod with
 * its own uid and from one running as root: none may work. */
static void escapes_from_a_pod_fail(void **state)
{
	static const char script[] =
	    "V=$1 K=$2 W=$3 D=$4\n"
	    "kill -0 $V 2>/dev/null && echo ESCAPE:signal-other-pod\n"
	    "tr '\\0' '\\n' </proc/$V/environ 2>/dev/null | grep -q SECRET=hunter2 && "
	    "echo ESCAPE:environ-of-other-pod\n"
	    "test -e /proc/$K && echo ESCAPE:k1s-process-visible\n"
	    "n=$(ls /proc | grep -c '^[0-9]'); test $n -gt 20 && echo ESCAPE:host-processes-$n\n"
	    "echo x 2>/dev/null >$W/file && echo ESCAPE:host-write\n"
	    "echo x 2>/dev/null >/etc/k1s-escape && echo ESCAPE:etc-write\n"
	    "ls -A $D 2>/dev/null | grep -q . && echo ESCAPE:data-dir-readable\n"
	    "grep -Eq '^CapEff:\\s*0+$' /proc/self/status || echo ESCAPE:capabilities\n"
	    "grep -Eq '^CapBnd:\\s*0+$' /proc/self/status || echo ESCAPE:bounding-set\n"
	    "grep -Eq '^NoNewPrivs:\\s*1' /proc/self/status || echo ESCAPE:new-privileges\n"
	    "touch /tmp/mine && echo tmp-writable\n"
	    "echo tried\n";
	static const char *const intruders[] = {"intruder", "root-intruder"};
	char v[16], k[16], w[400], file[420], out_a[8192];
	struct stat st;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"victim\"},\"spec\":{\"containers\":[{\"name\":\"c\","
	           "\"image\":\"busybox\",\"env\":[{\"name\":\"SECRET\",\"value\":\"hunter2\"}],"
	           "\"command\":[\"sleep\",\"1000\"]}]}}");
	create_pod("{\"metadata\":{\"name\":\"intruder\"},\"spec\":{\"containers\":[{\"name\":"
	           "\"c\",\"image\":\"busybox\",\"command\":[\"sleep\",\"1000\"]}]}}");
	create_pod("{\"metadata\":{\"name\":\"root-intruder\"},\"spec\":{\"securityContext\":{"
	           "\"runAsUser\":0},\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
	           "\"command\":[\"sleep\",\"1000\"]}]}}");
	wait_running("victim");
	wait_running("intruder");
	wait_running("root-intruder");
	snprintf(v, sizeof(v), "%d", (int)program_pid("victim"));
	snprintf(k, sizeof(k), "%d", (int)getpid());
	/* A directory of the host anybody may write to. */
	snprintf(w, sizeof(w), "%s/open", tmpdir);
	mkdir(w, 0777);
	chmod(w, 0777);
	snprintf(file, sizeof(file), "%s/file", w);
	for (int i = 0; i < 2; i++) {
		char *argv[] = {"sh", "-c", (char *)script, "sh", v, k, w, datadir, NULL};
		char *out = exec_out(intruders[i], argv);

		snprintf(out_a, sizeof(out_a), "%s", out);
		if (strstr(out_a, "ESCAPE") || !strstr(out_a, "tried\n"))
			fail_msg("from %s:\n%s", intruders[i], out_a);
		/* Its own /tmp still works. */
		assert_non_null(strstr(out_a, "tmp-writable\n"));
		assert_int_equal(stat(file, &st), -1);
		assert_int_equal(access("/etc/k1s-escape", F_OK), -1);
	}
	/* What it sees with ps: its init, its program, the exec. */
	{
		char *argv[] = {"ps", "-e", "-o", "pid=,comm=", NULL};
		char *out = exec_out("victim", argv);
		int pid, lines = 0;
		char comm[64];

		for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (sscanf(l, "%d %63s", &pid, comm) == 2)
				lines++;
		assert_true(lines >= 2 && lines <= 4);
		assert_non_null(strstr(out, "   1 k1s-init\n"));
		assert_non_null(strstr(out, "   2 sleep\n"));
	}
}

/* kill -TERM to the container's process group, as the runtime stops it:
 * sleep, which has no handler, ends (it is not the namespace's PID 1), and
 * the status is its own: signal 15, exit code 143, reason Error. */
static void sigterm_ends_a_program_without_handler(void **state)
{
	const char *failed[2] = {"sleeper", "Failed"};
	json_t *p;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"sleeper\"},\"spec\":{\"restartPolicy\":"
	           "\"Never\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
	           "\"command\":[\"sleep\",\"1000\"]}]}}");
	wait_running("sleeper");
	/* Running is said once the shim has the pid; the init makes its
	 * process group a moment later. */
	for (int i = 0; kill(-container_pid("sleeper"), SIGTERM) < 0; i++) {
		assert_int_equal(errno, ESRCH);
		assert_true(i < 100);
		usleep(10000);
	}
	assert_true(run_until(pod_phase_is, failed, 10000));
	p = get_pod("sleeper");
	assert_int_equal(json_integer_value(k1s_json_path(cstat(p), "state.terminated.signal")),
	                 15);
	assert_int_equal(json_integer_value(k1s_json_path(cstat(p), "state.terminated.exitCode")),
	                 143);
	assert_string_equal(k1s_json_str(cstat(p), "state.terminated.reason") ?: "", "Error");
	json_decref(p);
}

static bool nonroot_refused(void *arg)
{
	(void)arg;
	return event_with("nonroot", "Failed", "runAsUser breaks non-root policy");
}

/* securityContext.capabilities.add gives a program that is not root what
 * it names, and nothing else: the echo app binds port 80. runAsNonRoot
 * with runAsUser 0 is refused as kubelet refuses it. */
static void added_capabilities_and_non_root(void **state)
{
	char *argv[] = {"grep", "-E", "^Cap(Eff|Bnd|Amb):", "/proc/self/status", NULL};
	char *out;
	json_t *p;
	int fd = -1;

	(void)state;
	create_pod("{\"metadata\":{\"name\":\"low-port\"},\"spec\":{\"containers\":[{"
	           "\"name\":\"app\",\"image\":\"example/unknown-app:2\",\"ports\":[{"
	           "\"containerPort\":80}],\"securityContext\":{\"capabilities\":{\"add\":["
	           "\"NET_BIND_SERVICE\"],\"drop\":[\"ALL\"]}}}]}}");
	wait_running("low-port");
	for (int i = 0; i < 50 && fd < 0; i++) {
		struct pollfd pf;

		fd = pod_connect(rt, "default", "low-port", 80);
		if (fd >= 0) {
			pf.fd = fd;
			pf.events = POLLOUT;
			int err = 0;
			socklen_t len = sizeof(err);

			poll(&pf, 1, 1000);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err) {
				close(fd);
				fd = -1;
			}
		}
		if (fd < 0)
			run_until(NULL, NULL, 100);
	}
	assert_true(fd >= 0);
	close(fd);
	/* NET_BIND_SERVICE is bit 10. */
	out = exec_out("low-port", argv);
	assert_non_null(strstr(out, "CapEff:\t0000000000000400\n"));
	assert_non_null(strstr(out, "CapBnd:\t0000000000000400\n"));
	assert_non_null(strstr(out, "CapAmb:\t0000000000000400\n"));

	create_pod("{\"metadata\":{\"name\":\"nonroot\"},\"spec\":{"
	           "\"securityContext\":{\"runAsNonRoot\":true},\"containers\":[{\"name\":"
	           "\"c\",\"image\":\"busybox\",\"command\":[\"sleep\",\"1000\"],"
	           "\"securityContext\":{\"runAsUser\":0}}]}}");
	assert_true(run_until(nonroot_refused, NULL, 10000));
	p = get_pod("nonroot");
	assert_string_equal(k1s_json_str(cstat(p), "state.waiting.reason") ?: "",
	                    "CreateContainerConfigError");
	assert_non_null(strstr(k1s_json_str(cstat(p), "state.waiting.message") ?: "",
	                       "container's runAsUser breaks non-root policy (pod: \"nonroot_default("));
	json_decref(p);
}


static int group_setup(void **state)
{
	struct pod_config cfg;
	int err;

	(void)state;
	for (int i = 0; i < 250; i++) {
		int x = (getpid() + i) % 250 + 1;
		char line[256];
		unsigned long dst;
		bool busy = false;
		FILE *f = fopen("/proc/net/route", "r");

		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%*s %lx", &dst) == 1 &&
			    (ntohl((uint32_t)dst) & 0xffffff00u) ==
			        ((10u << 24) | (248u << 16) | ((uint32_t)x << 8)))
				busy = true;
		fclose(f);
		if (!busy) {
			snprintf(pod_cidr, sizeof(pod_cidr), "10.248.%d.0/24", x);
			snprintf(svc_cidr, sizeof(svc_cidr), "10.249.%d.0/24", x);
			snprintf(svc_ip, sizeof(svc_ip), "10.249.%d.20", x);
			break;
		}
	}
	/* Not under /tmp, which a pod has its own of: a data directory the
	 * pods' view must hide. */
	snprintf(tmpdir, sizeof(tmpdir), "/var/lib/test_rt.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	chmod(tmpdir, 0711);
	snprintf(datadir, sizeof(datadir), "%s/data", tmpdir);
	mkdir(datadir, 0700);
	st = st_open(datadir, &(struct st_opts){.sync = ST_SYNC_NORMAL}, &err);
	loop = k1s_loop_new();
	if (!st || !loop)
		return -1;
	fake_writer_init(&fw, st);
	cfg = config(datadir);
	rt = pod_rt_new(st, loop, &fw.w, &cfg, &err);
	if (!rt) {
		fprintf(stderr, "pod_rt_new: %s\n", strerror(-err));
		return -1;
	}
	k1s_loop_hook(loop, test_hook, NULL);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[400];

	(void)state;
	pod_rt_free(rt);
	k1s_loop_free(loop);
	st_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    /* First: the sweep of a starting runtime takes pod networks
	     * without processes that its store does not know, and at this
	     * point no other pod exists. */
	    cmocka_unit_test(adoption_after_a_crash),
	    cmocka_unit_test(pod_runs_in_its_own_namespaces),
	    cmocka_unit_test(environment),
	    cmocka_unit_test(missing_configmap_waits),
	    cmocka_unit_test(crash_loop_backs_off),
	    cmocka_unit_test(never_restarts_and_fails),
	    cmocka_unit_test(killed_from_outside_restarts),
	    cmocka_unit_test(readiness_and_liveness_probes),
	    cmocka_unit_test(exec_in_a_container),
	    cmocka_unit_test(attach_to_a_held_program),
	    cmocka_unit_test(unreachable_program_waits),
	    cmocka_unit_test(attach_without_a_tty),
	    cmocka_unit_test(attach_follows_from_now),
	    cmocka_unit_test(attach_follows_across_rotations),
	    cmocka_unit_test(connect_into_a_pod),
	    cmocka_unit_test(face_pod_runs_no_process),
	    cmocka_unit_test(gate_holds_the_programs),
	    cmocka_unit_test(face_by_annotation),
	    cmocka_unit_test(empty_dir_over_its_limit_evicts),
	    cmocka_unit_test(graceful_deletion),
	    cmocka_unit_test(sigterm_ignored_gets_sigkill),
	    cmocka_unit_test(deleted_outright_is_killed),
	    cmocka_unit_test(shim_holds_no_copy_of_the_runtime),
	    cmocka_unit_test(escapes_from_a_pod_fail),
	    cmocka_unit_test(sigterm_ends_a_program_without_handler),
	    cmocka_unit_test(added_capabilities_and_non_root),
	    cmocka_unit_test(not_root_is_eperm),
	    cmocka_unit_test(nothing_is_left_behind),
	};
	ssize_t n;

	/* It is k1s's program to the runtime: its shims are this. */
	if (argc >= 1 && strcmp(argv[0], POD_SHIM_ARGV0) == 0)
		pod_shim_main();
	if (argc > 1 && strcmp(argv[1], "echo-server") == 0)
		return pod_echo_main(argc, argv);
	if (geteuid() != 0) {
		fprintf(stderr, "skip: needs root\n");
		return 77;
	}
	/* The echo app runs from where no pod's user can reach it, as k1s
	 * built under /root (mode 0700) does. */
	char dir[] = "/tmp/k1s-rt-self.XXXXXX", cmd[4200];
	int ret;

	if (!mkdtemp(dir))
		return 1;
	snprintf(self_exe, sizeof(self_exe), "%s/test_rt", dir);
	snprintf(cmd, sizeof(cmd), "cp /proc/%d/exe %s", (int)getpid(), self_exe);
	if (system(cmd) != 0)
		return 1;
	(void)n;
	signal(SIGPIPE, SIG_IGN);
	ret = cmocka_run_group_tests(tests, group_setup, group_teardown);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		ret = 1;
	return ret;
}
