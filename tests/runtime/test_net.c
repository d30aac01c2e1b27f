/* The pod network on a real kernel: namespaces, veths, routes, traffic.
 * Needs root and network namespaces; exits 77 (skip) without them. Uses
 * its own small CIDRs and ids "t<pid>..." so that it can run next to a
 * live k1s and next to itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "pod_int.h"
#include "pod_net_nl.h"

#define PORT 8080

static char pod_cidr[32], svc_cidr[32], svc_ip[32];
static uint32_t pod_base;	/* host order */
static struct pod_net *net;
static char id_a[16], id_b[16], id_c[16], id_d[16], id_e[16];
static char ip_a[16], ip_b[16];
static pid_t listener_pid = -1;
static int fds_at_start;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void mkid(char *buf, size_t len, char tag)
{
	snprintf(buf, len, "t%d%c", (int)getpid(), tag);
}

static bool ns_exists(const char *id)
{
	char path[64];

	pod_net_ns_path(id, path, sizeof(path));
	return access(path, F_OK) == 0;
}

static bool link_exists(const char *id)
{
	char name[IF_NAMESIZE + 4];

	snprintf(name, sizeof(name), "k1s%s", id);
	return if_nametoindex(name) != 0;
}

/* An integer the kernel shows of the host end of pod id's veth, at
 * `fmt` with %s its name (k1s<id>); -1 if it cannot be read. */
static int host_link_value(const char *fmt, const char *id)
{
	char path[128], name[32];
	int v = -1;
	FILE *f;

	snprintf(name, sizeof(name), "k1s%s", id);
	snprintf(path, sizeof(path), fmt, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* How the kernel says the host end's MAC address came to be: 3 is set by
 * whoever made the link, which systemd-udevd's MACAddressPolicy=persistent
 * leaves alone; 1 (random) it replaces, after the pod has pinned the old
 * one. */
static int link_addr_assign_type(const char *id)
{
	return host_link_value("/sys/class/net/%s/addr_assign_type", id);
}

/* A /32 route in the main table to ip through the pod's link. */
static bool route_exists(const char *ip, const char *id)
{
	char line[256], ifname[32], name[32];
	unsigned long dst, gw, mask;
	unsigned flags;
	struct in_addr a;
	bool found = false;
	FILE *f = fopen("/proc/net/route", "r");

	assert_non_null(f);
	assert_int_equal(inet_pton(AF_INET, ip, &a), 1);
	snprintf(name, sizeof(name), "k1s%s", id);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %lx %lx %x %*d %*d %*d %lx", ifname, &dst, &gw, &flags,
			   &mask) != 5)
			continue;
		if (dst == a.s_addr && mask == 0xffffffffu && strcmp(ifname, name) == 0)
			found = true;
	}
	fclose(f);
	return found;
}

/* A parsed network, kept for the call. */
static const struct k1s_cidr *net_of(const char *cidr)
{
	static struct k1s_cidr nets[4];
	static unsigned next;
	struct k1s_cidr *c = &nets[next++ % 4];

	assert_int_equal(k1s_cidr_parse(cidr, c), 0);
	return c;
}

static bool in_pod_cidr(const char *ip)
{
	struct in_addr a;
	uint32_t h;

	if (inet_pton(AF_INET, ip, &a) != 1)
		return false;
	h = ntohl(a.s_addr);
	/* Inside the /24, and not its network, .1 or broadcast address. */
	return (h & 0xffffff00u) == pod_base && (h & 0xff) >= 2 && (h & 0xff) <= 254;
}

static int enter_ns(const char *id)
{
	char path[64];
	int fd;

	pod_net_ns_path(id, path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (setns(fd, CLONE_NEWNET) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Waits for a (possibly non-blocking) connect to finish, sends msg and
 * expects "echo:" msg back. */
static int exchange(int fd, const char *msg)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	char want[128], got[128];
	size_t n = 0, wlen;
	int err = 0;
	socklen_t elen = sizeof(err);

	if (poll(&pfd, 1, 5000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 ||
	    err)
		return -1;
	snprintf(want, sizeof(want), "echo:%s", msg);
	wlen = strlen(want);
	if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) != (ssize_t)strlen(msg))
		return -1;
	while (n < wlen) {
		ssize_t r;

		pfd.events = POLLIN;
		if (poll(&pfd, 1, 5000) != 1)
			return -1;
		r = recv(fd, got + n, sizeof(got) - 1 - n, 0);
		if (r <= 0)
			return -1;
		n += (size_t)r;
	}
	got[n] = '\0';
	return strcmp(got, want) == 0 ? 0 : -1;
}

static int tcp_to(const char *ip, int port, const char *msg)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int ret = -1;

	if (fd < 0 || inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		goto out;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS)
		goto out;
	ret = exchange(fd, msg);
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Serves "echo:<what was read>" on each accepted connection. */
static void echo_serve(int lfd)
{
	for (;;) {
		char buf[64], out[80];
		int c = accept(lfd, NULL, NULL);
		ssize_t n;

		if (c < 0)
			continue;
		n = read(c, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			snprintf(out, sizeof(out), "echo:%s", buf);
			if (write(c, out, strlen(out)) < 0)
				_exit(2);
		}
		close(c);
	}
}

/* A TCP echo listener inside the pod's namespace, in a child process. */
static pid_t start_listener(const char *id, int port)
{
	int p[2];
	char c;
	pid_t pid;
	struct pollfd pfd;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = htons((uint16_t)port) };
		int one = 1, lfd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		if (enter_ns(id) < 0)
			_exit(1);
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    listen(lfd, 16) < 0)
			_exit(1);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		echo_serve(lfd);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

/* Runs a TCP exchange from inside the pod's namespace, in a child. */
static int tcp_from_pod(const char *id, const char *ip, int port, const char *msg)
{
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(10);
		if (enter_ns(id) < 0)
			_exit(3);
		_exit(tcp_to(ip, port, msg) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

/* ---- cleanup of what this test (or a dead run of it) made ---- */

static bool ours(const char *id, bool stale_too)
{
	char *end;
	long pid;

	if (id[0] != 't')
		return false;
	pid = strtol(id + 1, &end, 10);
	if (end == id + 1)
		return false;
	if (pid == getpid())
		return true;
	return stale_too && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

struct collect {
	char ids[64][16];
	int n;
	bool stale_too;
};

static void collect_id(void *arg, const char *id)
{
	struct collect *c = arg;

	if (ours(id, c->stale_too) && c->n < 64)
		snprintf(c->ids[c->n++], sizeof(c->ids[0]), "%s", id);
}

static void cleanup(bool stale_too)
{
	struct collect c = { .stale_too = stale_too };
	struct pod_net *tmp = net;
	int err;

	if (!tmp)
		tmp = pod_net_new(net_of(pod_cidr), net_of(svc_cidr), &err);
	if (!tmp)
		return;
	pod_net_each(tmp, collect_id, &c);
	for (int i = 0; i < c.n; i++)
		pod_net_destroy(tmp, c.ids[i]);
	if (tmp != net)
		pod_net_free(tmp);
}

/* ---- tests ---- */

static void two_pods_get_netns_links_and_ips(void **unused)
{
	char path[64], again[16];

	assert_int_equal(pod_net_create(net, id_a, NULL, ip_a, sizeof(ip_a)), 0);
	assert_int_equal(pod_net_create(net, id_b, NULL, ip_b, sizeof(ip_b)), 0);
	pod_net_ns_path(id_a, path, sizeof(path));
	assert_true(strncmp(path, "/run/netns/k1s-t", 16) == 0);
	assert_true(ns_exists(id_a));
	assert_true(ns_exists(id_b));
	assert_true(link_exists(id_a));
	assert_true(link_exists(id_b));
	assert_string_not_equal(ip_a, ip_b);
	assert_true(in_pod_cidr(ip_a));
	assert_true(in_pod_cidr(ip_b));
	assert_true(route_exists(ip_a, id_a));
	assert_true(route_exists(ip_b, id_b));
	assert_int_equal(link_addr_assign_type(id_a), 3);

	/* Idempotent: the same pod again keeps its namespace and address,
	 * whatever address is asked for. */
	assert_int_equal(pod_net_create(net, id_a, ip_b, again, sizeof(again)), 0);
	assert_string_equal(again, ip_a);
}

static void host_and_pods_reach_a_pod(void **unused)
{
	int fd;

	listener_pid = start_listener(id_a, PORT);
	/* host -> pod */
	assert_int_equal(tcp_to(ip_a, PORT, "from-host"), 0);
	/* pod -> pod, through the host */
	assert_int_equal(tcp_from_pod(id_b, ip_a, PORT, "from-b"), 0);
	/* a socket made inside the pod, as for port-forward */
	fd = pod_net_connect(id_a, "127.0.0.1", PORT);
	assert_true(fd >= 0);
	assert_int_equal(exchange(fd, "loopback"), 0);
	close(fd);
	fd = pod_net_connect(id_b, ip_a, PORT);
	assert_true(fd >= 0);
	assert_int_equal(exchange(fd, "b-via-connect"), 0);
	close(fd);
	/* Nothing listens on 127.0.0.1 in pod B: the port is refused there,
	 * so the socket really is in B's namespace. */
	fd = pod_net_connect(id_b, "127.0.0.1", PORT);
	if (fd >= 0) {
		assert_int_not_equal(exchange(fd, "nobody"), 0);
		close(fd);
	}
	assert_int_equal(pod_net_connect("t-nosuchpod", "127.0.0.1", PORT), -ENOENT);
	assert_int_equal(pod_net_connect(id_a, "not-an-ip", PORT), -EINVAL);
}

/* Receives UDP on port inside the pod's namespace, in a child, for
 * `secs`: writes each datagram's source address to the returned fd, one a
 * line; EOF when it is done. */
static int udp_sources_in_pod(const char *id, int port, int secs, pid_t *child)
{
	int p[2], r[2];
	char c;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(r), 0);
	*child = fork();
	assert_true(*child >= 0);
	if (*child == 0) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		struct timeval tv = {secs, 0};
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		close(r[0]);
		if (enter_ns(id) < 0 || (fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			_exit(1);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (write(r[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			struct sockaddr_in from;
			socklen_t len = sizeof(from);
			char buf[16], line[INET_ADDRSTRLEN + 1];

			if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len) < 0)
				_exit(0);
			inet_ntop(AF_INET, &from.sin_addr, line, INET_ADDRSTRLEN);
			strcat(line, "\n");
			if (write(p[1], line, strlen(line)) < 0)
				_exit(1);
		}
	}
	close(p[1]);
	close(r[1]);
	assert_int_equal(read(r[0], &c, 1), 1);
	close(r[0]);
	return p[0];
}

/* Sends one UDP datagram from inside the pod's namespace, from src
 * (IP_TRANSPARENT: any address, as a pod with NET_ADMIN or a raw socket
 * could forge it). */
static int udp_from_pod(const char *id, const char *src, const char *dst, int port)
{
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in from = {.sin_family = AF_INET}, to = {.sin_family = AF_INET,
			.sin_port = htons((uint16_t)port)};
		int fd, one = 1;

		if (enter_ns(id) < 0 || (fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
			_exit(3);
		inet_pton(AF_INET, src, &from.sin_addr);
		inet_pton(AF_INET, dst, &to.sin_addr);
		if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
		    sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) != 1)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

/* The host end of a pod's veth filters by reverse path (rp_filter 1): a
 * packet whose source the host would not route back through that veth is
 * dropped there, so a pod cannot pass for another pod (its policy chains
 * judge by source address) or for an outside address. */
static void pod_cannot_forge_a_source_address(void **unused)
{
	char path[128], got[256] = "", forged[16];
	const char *ids[] = {id_a, id_b};
	pid_t rx;
	ssize_t n, len = 0;
	int fd, st;

	for (int i = 0; i < 2; i++)
		assert_int_equal(host_link_value("/proc/sys/net/ipv4/conf/%s/rp_filter", ids[i]), 1);
	/* An address of the pod range no pod has, and one outside. */
	snprintf(forged, sizeof(forged), "10.250.%u.250", (pod_base >> 8) & 0xff);
	fd = udp_sources_in_pod(id_a, PORT + 1, 2, &rx);
	assert_int_equal(udp_from_pod(id_b, ip_b, ip_a, PORT + 1), 0);
	assert_int_equal(udp_from_pod(id_b, forged, ip_a, PORT + 1), 0);
	assert_int_equal(udp_from_pod(id_b, "192.0.2.77", ip_a, PORT + 1), 0);
	while ((n = read(fd, got + len, sizeof(got) - 1 - (size_t)len)) > 0)
		len += n;
	got[len] = '\0';
	close(fd);
	assert_int_equal(waitpid(rx, &st, 0), rx);
	snprintf(path, sizeof(path), "%s\n", ip_b);
	if (!strstr(got, path))
		fail_msg("pod A did not get B's datagram from B's own address: got '%s'", got);
	if (strstr(got, forged) || strstr(got, "192.0.2.77"))
		fail_msg("a datagram with a forged source reached pod A: got '%s'", got);
}

/* The service dataplane binds cluster IPs on the host and pods connect to
 * them; the `local` route for the service CIDR makes that work. */
static void service_ip_binds_on_host_and_takes_pod_connections(void **unused)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(80) };
	int one = 1, lfd;
	pid_t pid;
	int st;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(inet_pton(AF_INET, svc_ip, &sin.sin_addr), 1);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(10);
		echo_serve(lfd);
	}
	close(lfd);
	assert_int_equal(tcp_from_pod(id_b, svc_ip, 80, "to-service"), 0);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* Pods run as an unprivileged user, yet listen on containerPort 80 and
 * ping, as under a container runtime. */
static void unprivileged_pod_binds_port_80_and_pings(void **unused)
{
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(80) };
		int fd;

		if (enter_ns(id_b) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			_exit(3);
		if (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) < 0)
			_exit(4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void want_ip_and_restart_adoption(void **unused)
{
	char ip[16], want[16], again[16];

	/* A free address asked for is given. */
	snprintf(want, sizeof(want), "%u.%u.%u.77", pod_base >> 24, (pod_base >> 16) & 0xff,
		 (pod_base >> 8) & 0xff);
	assert_int_equal(pod_net_create(net, id_d, want, ip, sizeof(ip)), 0);
	assert_string_equal(ip, want);

	/* A restart: the new pool learns the live pods' addresses from
	 * their routes, so a new pod asking for A's gets another one... */
	pod_net_free(net);
	int err = 0;
	net = pod_net_new(net_of(pod_cidr), net_of(svc_cidr), &err);
	assert_non_null(net);
	assert_int_equal(pod_net_create(net, id_c, ip_a, ip, sizeof(ip)), 0);
	assert_string_not_equal(ip, ip_a);
	assert_string_not_equal(ip, ip_b);
	assert_string_not_equal(ip, want);
	assert_true(in_pod_cidr(ip));
	/* ...and A, adopted, keeps its address and its traffic. */
	assert_int_equal(pod_net_create(net, id_a, ip_a, again, sizeof(again)), 0);
	assert_string_equal(again, ip_a);
	assert_int_equal(tcp_to(ip_a, PORT, "after-restart"), 0);

	/* A pod whose veth went missing is rebuilt, with its address. */
	struct pod_nl nl;
	char link[IF_NAMESIZE + 4];

	snprintf(link, sizeof(link), "k1s%s", id_d);
	assert_int_equal(pod_nl_open(&nl, -1), 0);
	assert_int_equal(pod_nl_link_del(&nl, link), 0);
	pod_nl_close(&nl);
	assert_false(link_exists(id_d));
	assert_int_equal(pod_net_create(net, id_d, NULL, again, sizeof(again)), 0);
	assert_string_equal(again, want);
	assert_true(link_exists(id_d));
	assert_true(route_exists(want, id_d));
	assert_int_equal(tcp_from_pod(id_d, ip_a, PORT, "from-rebuilt-d"), 0);
}

struct seen {
	char ids[64][16];
	int n;
};

static void seen_id(void *arg, const char *id)
{
	struct seen *s = arg;

	if (ours(id, false) && s->n < 64)
		snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", id);
}

static bool seen_has(const struct seen *s, const char *id)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->ids[i], id) == 0)
			return true;
	return false;
}

static void destroy_removes_everything_and_ip_is_not_reused(void **unused)
{
	struct seen s = { 0 };
	char ip[16];
	int st;

	kill(listener_pid, SIGKILL);
	waitpid(listener_pid, &st, 0);
	listener_pid = -1;

	assert_int_equal(pod_net_destroy(net, id_a), 0);
	assert_false(ns_exists(id_a));
	assert_false(link_exists(id_a));
	assert_false(route_exists(ip_a, id_a));
	assert_int_equal(pod_net_destroy(net, id_a), -ENOENT);
	assert_int_equal(tcp_to(ip_a, PORT, "gone"), -1);

	assert_int_equal(pod_net_each(net, seen_id, &s), 0);
	assert_int_equal(s.n, 3);
	assert_true(seen_has(&s, id_b));
	assert_true(seen_has(&s, id_c));
	assert_true(seen_has(&s, id_d));

	/* The replacement pod visibly gets a new address. */
	assert_int_equal(pod_net_create(net, id_e, NULL, ip, sizeof(ip)), 0);
	assert_string_not_equal(ip, ip_a);
	assert_true(in_pod_cidr(ip));
}

static void each_lists_half_made_pods(void **unused)
{
	struct seen s = { 0 };
	char path[64];
	int fd;

	/* A namespace file left by a crash, with no veth or mount. */
	snprintf(path, sizeof(path), "/run/netns/k1s-t%dz", (int)getpid());
	fd = open(path, O_RDONLY | O_CREAT, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pod_net_each(net, seen_id, &s), 0);
	snprintf(path, sizeof(path), "t%dz", (int)getpid());
	assert_true(seen_has(&s, path));
	assert_int_equal(pod_net_destroy(net, path), 0);
	assert_false(ns_exists(path));
}

static void bad_input_is_refused(void **unused)
{
	char ip[16];
	int err = 0;

	assert_int_equal(pod_net_create(net, "t-much-too-long-id", NULL, ip, sizeof(ip)), -EINVAL);
	assert_int_equal(pod_net_create(net, "../etc", NULL, ip, sizeof(ip)), -EINVAL);
	assert_int_equal(pod_net_create(net, "", NULL, ip, sizeof(ip)), -EINVAL);
	assert_int_equal(pod_net_destroy(net, "t-nosuchpod"), -ENOENT);
	/* Networks too small for pods, or too large to allocate from. */
	assert_null(pod_net_new(net_of("10.244.0.0/31"), net_of(svc_cidr), &err));
	assert_int_equal(err, -EINVAL);
	assert_null(pod_net_new(net_of("10.0.0.0/7"), net_of(svc_cidr), &err));
	assert_int_equal(err, -EINVAL);
	assert_null(pod_net_new(net_of(pod_cidr), net_of("10.0.0.0/7"), &err));
	assert_int_equal(err, -EINVAL);
}

static void not_root_is_eperm(void **unused)
{
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int err = 0;

		if (setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		_exit(pod_net_new(net_of(pod_cidr), net_of(svc_cidr), &err) == NULL && err == -EPERM ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void free_removes_the_service_route(void **unused)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(80) };
	int fd, err = 0;

	if (pod_other_server()) {
		print_message("another k1s serve runs here: it keeps the route\n");
		skip();
	}
	pod_net_free(net);
	net = NULL;
	assert_int_equal(inet_pton(AF_INET, svc_ip, &sin.sin_addr), 1);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	close(fd);
	net = pod_net_new(net_of(pod_cidr), net_of(svc_cidr), &err);
	assert_non_null(net);
}

static void nothing_is_left_behind(void **unused)
{
	char line[256], prefix[32];
	FILE *f;

	cleanup(false);
	snprintf(prefix, sizeof(prefix), "k1s-t%d", (int)getpid());
	f = popen("ip netns list 2>/dev/null", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		assert_true(strncmp(line, prefix, strlen(prefix)) != 0);
	pclose(f);
	assert_false(ns_exists(id_b));
	assert_false(link_exists(id_b));
	assert_false(link_exists(id_c));
	assert_false(link_exists(id_d));
	assert_false(link_exists(id_e));
	/* Every netlink and namespace fd was closed. */
	assert_int_equal(count_fds(), fds_at_start);
}

static int group_setup(void **unused)
{
	int err = 0;

	/* A /24 no other pod route uses, so that runs side by side do not
	 * share addresses. */
	for (int i = 0; i < 250; i++) {
		int x = (getpid() + i) % 250 + 1;
		char line[256];
		unsigned long dst;
		bool busy = false;
		FILE *f = fopen("/proc/net/route", "r");

		if (!f)
			return -1;
		pod_base = (10u << 24) | (250u << 16) | ((uint32_t)x << 8);
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%*s %lx", &dst) == 1 &&
			    (ntohl((uint32_t)dst) & 0xffffff00u) == pod_base)
				busy = true;
		fclose(f);
		if (!busy) {
			snprintf(pod_cidr, sizeof(pod_cidr), "10.250.%d.0/24", x);
			snprintf(svc_cidr, sizeof(svc_cidr), "10.251.%d.0/24", x);
			snprintf(svc_ip, sizeof(svc_ip), "10.251.%d.55", x);
			break;
		}
	}
	mkid(id_a, sizeof(id_a), 'a');
	mkid(id_b, sizeof(id_b), 'b');
	mkid(id_c, sizeof(id_c), 'c');
	mkid(id_d, sizeof(id_d), 'd');
	mkid(id_e, sizeof(id_e), 'e');
	fds_at_start = count_fds();
	cleanup(true);
	net = pod_net_new(net_of(pod_cidr), net_of(svc_cidr), &err);
	return net ? 0 : -1;
}

static int group_teardown(void **unused)
{
	int st;

	if (listener_pid > 0) {
		kill(listener_pid, SIGKILL);
		waitpid(listener_pid, &st, 0);
	}
	cleanup(false);
	pod_net_free(net);
	net = NULL;
	return 0;
}

/* Root and a working unshare(CLONE_NEWNET), or the test is skipped. */
static bool can_run(void)
{
	int st;
	pid_t pid;

	if (geteuid() != 0)
		return false;
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_pods_get_netns_links_and_ips),
		cmocka_unit_test(host_and_pods_reach_a_pod),
		cmocka_unit_test(pod_cannot_forge_a_source_address),
		cmocka_unit_test(service_ip_binds_on_host_and_takes_pod_connections),
		cmocka_unit_test(unprivileged_pod_binds_port_80_and_pings),
		cmocka_unit_test(want_ip_and_restart_adoption),
		cmocka_unit_test(destroy_removes_everything_and_ip_is_not_reused),
		cmocka_unit_test(each_lists_half_made_pods),
		cmocka_unit_test(bad_input_is_refused),
		cmocka_unit_test(not_root_is_eperm),
		cmocka_unit_test(free_removes_the_service_route),
		cmocka_unit_test(nothing_is_left_behind),
	};

	if (!can_run()) {
		fprintf(stderr, "skip: needs root and network namespaces\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
