/* Startup, liveness and readiness probes: httpGet and tcpSocket connect
 * from inside the pod's network namespace without blocking the loop; exec
 * runs in the container's namespaces. Thresholds, periods and timeouts as
 * the kubelet applies them. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "k1s_json.h"
#include "k1s_loop.h"
#include "pod_rt_int.h"

static const char *const probe_field[POD_NPROBES] = {"startupProbe", "livenessProbe",
                                                     "readinessProbe"};
static const char *const probe_name[POD_NPROBES] = {"Startup", "Liveness", "Readiness"};

static int pint(const json_t *spec, const char *key, int dflt, int min)
{
	const json_t *v = json_object_get(spec, key);
	int n = json_is_integer(v) ? (int)json_integer_value(v) : dflt;

	return n < min ? min : n;
}

static struct k1s_loop *probe_loop(const struct pod_probe *pr)
{
	return pr->c->p->rt->loop;
}

static void probe_fire(void *arg);

static void probe_cleanup(struct pod_probe *pr)
{
	struct k1s_loop *l = probe_loop(pr);

	if (pr->fd >= 0) {
		k1s_loop_del_fd(l, pr->fd);
		close(pr->fd);
		pr->fd = -1;
	}
	if (pr->deadline) {
		k1s_loop_cancel(l, pr->deadline);
		pr->deadline = NULL;
	}
	if (pr->pid > 0) {
		pod_job_forget_probe(pr->c->p->rt, pr);
		pr->pid = 0;
	}
	pr->blen = 0;
	pr->sent = false;
}

static void probe_schedule(struct pod_probe *pr, int64_t ms)
{
	if (pr->timer)
		k1s_loop_cancel(probe_loop(pr), pr->timer);
	pr->timer = k1s_loop_timer(probe_loop(pr), ms, probe_fire, pr);
}

static void probe_done(struct pod_probe *pr, bool ok, const char *msg)
{
	struct pod_ctr *c = pr->c;
	int period = pint(pr->spec, "periodSeconds", 10, 1);
	bool before = pr->result, verdict = false;

	probe_cleanup(pr);
	if (ok) {
		pr->failures = 0;
		if (++pr->successes >= pint(pr->spec, "successThreshold", 1, 1)) {
			pr->result = true;
			verdict = true;
		}
	} else {
		pr->successes = 0;
		pod_rt_event(c->p, "Warning", "Unhealthy", c, "%s probe failed: %s",
		             probe_name[pr->kind], msg);
		if (++pr->failures >= pint(pr->spec, "failureThreshold", 3, 1)) {
			pr->result = false;
			verdict = true;
		}
	}
	if (verdict)
		pr->ever = true;
	switch (pr->kind) {
	case POD_PROBE_STARTUP:
		if (verdict && pr->result) {
			c->started = true;
			if (!c->probes[POD_PROBE_READINESS].spec)
				c->ready = true;
			pod_rt_dirty(c->p);
			return; /* a startup probe is done once it passes */
		}
		if (verdict && !pr->result) {
			pod_rt_event(c->p, "Normal", "Killing", c,
			             "Container %s failed startup probe, will be restarted",
			             c->name);
			pod_rt_kill(c, pint(k1s_json_path(c->p->obj, "spec"),
			                    "terminationGracePeriodSeconds", 30, 0));
			return;
		}
		break;
	case POD_PROBE_LIVENESS:
		if (verdict && !pr->result) {
			pod_rt_liveness_failed(c);
			return;
		}
		break;
	case POD_PROBE_READINESS:
		if (verdict && (pr->result != before || c->ready != pr->result)) {
			c->ready = pr->result;
			pod_rt_dirty(c->p);
		}
		break;
	default:
		break;
	}
	probe_schedule(pr, (int64_t)period * 1000);
}

static void on_deadline(void *arg)
{
	struct pod_probe *pr = arg;
	int t = pint(pr->spec, "timeoutSeconds", 1, 1);
	char msg[128];

	pr->deadline = NULL;
	if (pr->pid > 0)
		snprintf(msg, sizeof(msg), "command timed out after %ds", t);
	else
		snprintf(msg, sizeof(msg), "context deadline exceeded (timeout %ds)", t);
	probe_done(pr, false, msg);
}

/* The port of a probe: a number, or the name of a containerPort. */
static int probe_port(const struct pod_probe *pr, const json_t *port)
{
	const json_t *cspec = pod_rt_cspec(pr->c), *p;
	size_t i;

	if (json_is_integer(port))
		return (int)json_integer_value(port);
	if (!json_is_string(port))
		return -1;
	json_array_foreach(
	    json_object_get(cspec, "ports"), i,
	    p) if (strcmp(k1s_json_str(p, "name") ?: "", json_string_value(port)) ==
	           0) return (int)json_integer_value(json_object_get(p, "containerPort"));
	return atoi(json_string_value(port)) ?: -1;
}

static void on_io(void *arg, int fd, uint32_t events)
{
	struct pod_probe *pr = arg;
	const json_t *http = json_object_get(pr->spec, "httpGet");
	char msg[256];

	if (!pr->sent) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr || (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLOUT))) {
			snprintf(msg, sizeof(msg), "dial tcp %s:%d: connect: %s", pr->c->p->ip,
			         pr->port, strerror(soerr ? soerr : ECONNREFUSED));
			probe_done(pr, false, msg);
			return;
		}
		/* HTTPS: the kubelet does not verify the certificate; without
		 * TLS here, an accepted connection is the best sign of life. */
		if (!http || strcmp(k1s_json_str(http, "scheme") ?: "HTTP", "HTTPS") == 0) {
			probe_done(pr, true, NULL);
			return;
		}
		/* Connected: send the request and wait for the status line. */
		{
			const char *path = k1s_json_str(http, "path") ?: "/";
			const json_t *h;
			char req[2048];
			size_t i;
			int n;

			n = snprintf(
			    req, sizeof(req),
			    "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: kube-probe/1.32\r\n"
			    "Accept: */*\r\nConnection: close\r\n",
			    *path == '/' ? path : "/", pr->c->p->ip, pr->port);
			json_array_foreach(json_object_get(http, "httpHeaders"), i,
			                   h) if (n < (int)sizeof(req)) n +=
			    snprintf(req + n, sizeof(req) - (size_t)n, "%s: %s\r\n",
			             k1s_json_str(h, "name") ?: "X",
			             k1s_json_str(h, "value") ?: "");
			if (n < (int)sizeof(req))
				n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
			if (n >= (int)sizeof(req) || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
				probe_done(pr, false, "sending the request failed");
				return;
			}
		}
		pr->sent = true;
		k1s_loop_del_fd(probe_loop(pr), fd);
		k1s_loop_add_fd(probe_loop(pr), fd, EPOLLIN, on_io, pr);
		return;
	}
	for (;;) {
		ssize_t n = recv(fd, pr->buf + pr->blen, sizeof(pr->buf) - 1 - pr->blen, 0);
		int code = 0;

		if (n < 0 && errno == EAGAIN)
			return;
		if (n > 0)
			pr->blen += (size_t)n;
		pr->buf[pr->blen] = '\0';
		if (strstr(pr->buf, "\r\n") || n <= 0 || pr->blen == sizeof(pr->buf) - 1) {
			if (sscanf(pr->buf, "HTTP/%*d.%*d %d", &code) != 1) {
				probe_done(pr, false, "malformed HTTP response");
			} else if (code >= 200 && code < 400) {
				probe_done(pr, true, NULL);
			} else {
				snprintf(msg, sizeof(msg), "HTTP probe failed with statuscode: %d",
				         code);
				probe_done(pr, false, msg);
			}
			return;
		}
	}
}

static void probe_fire(void *arg)
{
	struct pod_probe *pr = arg;
	struct pod_ctr *c = pr->c;
	struct pod_rt *rt = c->p->rt;
	int64_t timeout = (int64_t)pint(pr->spec, "timeoutSeconds", 1, 1) * 1000;
	const json_t *h;
	char msg[256];

	pr->timer = NULL;
	if (c->state != POD_C_RUNNING || c->killing)
		return;
	/* Liveness and readiness wait for the startup probe. */
	if (pr->kind != POD_PROBE_STARTUP && !c->started) {
		probe_schedule(pr, (int64_t)pint(pr->spec, "periodSeconds", 10, 1) * 1000);
		return;
	}
	if ((h = json_object_get(pr->spec, "httpGet")) ||
	    (h = json_object_get(pr->spec, "tcpSocket"))) {
		const char *host = k1s_json_str(h, "host");

		pr->port = probe_port(pr, json_object_get(h, "port"));
		pr->fd = pr->port > 0
		             ? pod_net_connect(c->p->id, host && *host ? host : c->p->ip, pr->port)
		             : -EINVAL;
		if (pr->fd < 0) {
			snprintf(msg, sizeof(msg), "dial tcp %s:%d: %s", c->p->ip, pr->port,
			         strerror(-pr->fd));
			pr->fd = -1;
			probe_done(pr, false, msg);
			return;
		}
		if (k1s_loop_add_fd(rt->loop, pr->fd, EPOLLOUT, on_io, pr) < 0) {
			close(pr->fd);
			pr->fd = -1;
			probe_done(pr, false, "internal error");
			return;
		}
	} else if ((h = json_object_get(pr->spec, "exec"))) {
		const json_t *cmd = json_object_get(h, "command"), *a;
		size_t n = json_array_size(cmd), i;
		char **argv = calloc(n + 1, sizeof(char *));
		int err;

		if (!argv || n == 0) {
			free(argv);
			probe_done(pr, false, "no command");
			return;
		}
		json_array_foreach(cmd, i, a) argv[i] = (char *)(json_string_value(a) ?: "");
		err = pod_proc_enter(c->pid, argv, c->envp, &c->creds, c->workdir, -1, -1, -1,
		                     false, &pr->pid);
		free(argv);
		if (err == 0 && pod_job_add(rt, pr->pid, NULL, NULL, pr) < 0) {
			kill(pr->pid, SIGKILL);
			waitpid(pr->pid, NULL, 0);
			err = -ENOMEM;
		}
		if (err < 0) {
			pr->pid = 0;
			snprintf(msg, sizeof(msg), "exec: %s", strerror(-err));
			probe_done(pr, false, msg);
			return;
		}
	} else {
		/* grpc and the like: not probed, taken as passing. */
		probe_done(pr, true, NULL);
		return;
	}
	pr->deadline = k1s_loop_timer(rt->loop, timeout, on_deadline, pr);
}

void pod_probe_exec_done(struct pod_probe *pr, int wstatus)
{
	char msg[128];

	pr->pid = 0;
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
		probe_done(pr, true, NULL);
		return;
	}
	snprintf(msg, sizeof(msg), "command exited with %d",
	         WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus));
	probe_done(pr, false, msg);
}

void pod_probe_start(struct pod_ctr *c)
{
	const json_t *cspec = pod_rt_cspec(c);

	json_decref(c->probe_obj);
	c->probe_obj = json_incref(c->p->obj);
	for (int k = 0; k < POD_NPROBES; k++) {
		struct pod_probe *pr = &c->probes[k];

		pr->spec = json_object_get(cspec, probe_field[k]);
		pr->successes = pr->failures = 0;
		pr->ever = false;
		pr->result = k == POD_PROBE_LIVENESS;
		if (pr->spec)
			probe_schedule(pr,
			               (int64_t)pint(pr->spec, "initialDelaySeconds", 0, 0) * 1000);
	}
	if (!c->probes[POD_PROBE_STARTUP].spec) {
		c->started = true;
		if (!c->probes[POD_PROBE_READINESS].spec)
			c->ready = true;
	}
}

void pod_probe_stop(struct pod_ctr *c)
{
	for (int k = 0; k < POD_NPROBES; k++) {
		struct pod_probe *pr = &c->probes[k];

		if (!pr->c)
			continue;
		probe_cleanup(pr);
		if (pr->timer) {
			k1s_loop_cancel(probe_loop(pr), pr->timer);
			pr->timer = NULL;
		}
	}
}
