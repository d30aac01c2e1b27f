/* Apply-to-enforced latency of NetworkPolicy: creates a policy that
 * isolates a pod through the API, then probes it from a client pod's
 * network namespace with new TCP connections until one gets no answer
 * (the SYN is dropped); then deletes the policy and probes until one is
 * answered again. Prints one line per trial and the percentiles.
 *
 *   np_latency API_PORT CLIENT_PID TARGET_IP TARGET_PORT NS LABEL=VALUE TRIALS
 *
 * The API is http://127.0.0.1:API_PORT; the probes run on a thread that
 * has joined the network namespace of process CLIENT_PID (setns changes
 * only the calling thread's; the API's sockets are made in the host's).
 * A probe's SYN is answered in well under a
 * millisecond over a veth; one not answered within PROBE_WAIT_MS counts
 * as dropped once a second probe confirms it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROBE_WAIT_MS 5
#define GIVE_UP_MS 5000

static int api_port;
static struct sockaddr_in target;
static int netns_fd, host_netns_fd;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One HTTP/1.1 exchange with the API; the status code, or -1. */
static int api(const char *method, const char *path, const char *body)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(api_port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char req[4096], resp[512];
	int fd, n, code = -1;

	/* The API's socket belongs to the host's namespace; the probes' to
	 * the client pod's, where this thread lives. */
	setns(host_netns_fd, CLONE_NEWNET);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setns(netns_fd, CLONE_NEWNET);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("api");
		exit(1);
	}
	n = snprintf(req, sizeof(req),
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     method, path, body ? strlen(body) : 0, body ? body : "");
	if (write(fd, req, n) != n) {
		perror("api write");
		exit(1);
	}
	n = read(fd, resp, sizeof(resp) - 1);
	if (n > 12) {
		resp[n] = '\0';
		code = atoi(resp + 9);
	}
	close(fd);
	return code;
}

/* 1: the connection was answered, 0: not within PROBE_WAIT_MS. */
static int probe(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), r = 0;
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	struct linger lg = {1, 0};

	if (fd < 0) {
		perror("probe socket");
		exit(1);
	}
	if (connect(fd, (struct sockaddr *)&target, sizeof(target)) == 0)
		r = 1;
	else if (errno == EINPROGRESS && poll(&p, 1, PROBE_WAIT_MS) == 1) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		r = err == 0;
	}
	/* A reset, not a FIN: no TIME_WAIT piles up over thousands of probes. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	return r;
}

/* Milliseconds from t0 until probes see `want` (1 answered, 0 dropped),
 * or -1 after GIVE_UP_MS. */
static double until(int want, double t0)
{
	while (now_ms() - t0 < GIVE_UP_MS) {
		double t = now_ms();

		if (probe() == want && probe() == want)
			return t - t0;
		if (want)
			usleep(200);
	}
	return -1;
}

struct job {
	int trials;
	const char *ns, *label;
	double *on, *off;
};

static void *run(void *arg)
{
	struct job *j = arg;
	char body[1024], path[256], key[128], val[128];
	const char *eq = strchr(j->label, '=');

	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		perror("setns");
		exit(1);
	}
	snprintf(key, sizeof(key), "%.*s", (int)(eq - j->label), j->label);
	snprintf(val, sizeof(val), "%s", eq + 1);
	snprintf(path, sizeof(path), "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies",
		 j->ns);
	if (until(1, now_ms()) < 0) {
		fprintf(stderr, "the target does not answer before any policy\n");
		exit(1);
	}
	for (int i = 0; i < j->trials; i++) {
		char del[320];
		double t0;
		int code;

		snprintf(body, sizeof(body),
			 "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\","
			 "\"metadata\":{\"name\":\"np-latency\"},\"spec\":{\"podSelector\":"
			 "{\"matchLabels\":{\"%s\":\"%s\"}},\"policyTypes\":[\"Ingress\"]}}", key, val);
		code = api("POST", path, body);
		t0 = now_ms();
		if (code != 201) {
			fprintf(stderr, "create: HTTP %d\n", code);
			exit(1);
		}
		j->on[i] = until(0, t0);
		snprintf(del, sizeof(del), "%s/np-latency", path);
		code = api("DELETE", del, NULL);
		t0 = now_ms();
		if (code != 200) {
			fprintf(stderr, "delete: HTTP %d\n", code);
			exit(1);
		}
		j->off[i] = until(1, t0);
		printf("trial %d: enforced %.1f ms, lifted %.1f ms\n", i, j->on[i], j->off[i]);
		fflush(stdout);
		usleep(20000);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);

	return v[i];
}

int main(int argc, char **argv)
{
	struct job j;
	pthread_t t;
	char nspath[64];

	if (argc != 8) {
		fprintf(stderr, "usage: %s API_PORT CLIENT_PID TARGET_IP TARGET_PORT NS LABEL=VALUE "
			"TRIALS\n", argv[0]);
		return 2;
	}
	api_port = atoi(argv[1]);
	snprintf(nspath, sizeof(nspath), "/proc/%s/ns/net", argv[2]);
	netns_fd = open(nspath, O_RDONLY | O_CLOEXEC);
	host_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target.sin_family = AF_INET;
	target.sin_port = htons(atoi(argv[4]));
	if (netns_fd < 0 || inet_pton(AF_INET, argv[3], &target.sin_addr) != 1 ||
	    !strchr(argv[6], '=')) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	j = (struct job){.trials = atoi(argv[7]), .ns = argv[5], .label = argv[6]};
	if (j.trials < 1)
		return 2;
	j.on = calloc(j.trials, sizeof(double));
	j.off = calloc(j.trials, sizeof(double));
	pthread_create(&t, NULL, run, &j);
	pthread_join(t, NULL);
	for (int i = 0; i < j.trials; i++)
		if (j.on[i] < 0 || j.off[i] < 0) {
			fprintf(stderr, "trial %d never changed within %d ms\n", i, GIVE_UP_MS);
			return 1;
		}
	qsort(j.on, j.trials, sizeof(double), cmp);
	qsort(j.off, j.trials, sizeof(double), cmp);
	printf("enforced p50 %.1f ms p99 %.1f ms; lifted p50 %.1f ms p99 %.1f ms (%d trials)\n",
	       pct(j.on, j.trials, 0.5), pct(j.on, j.trials, 0.99), pct(j.off, j.trials, 0.5),
	       pct(j.off, j.trials, 0.99), j.trials);
	return 0;
}
