/* k1s: a one-node Kubernetes networking appliance in one process.
 * Multi-call: `k1s serve` runs the appliance. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "ctrl.h"
#include "dns.h"
#include "ing.h"
#include "dp.h"
#include "k1s_addr.h"
#include "echo.h"
#include "pod.h"
#include "pol.h"
#include "k1s_flow.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "k1s_metrics.h"
#include "k1s_writer.h"
#include "st.h"

/* k1s-pod (main/k1s_pod.c), embedded by scripts/embed.py. */
extern const unsigned char k1s_pod_image[], k1s_pod_image_end[];

static volatile int stopping;

/* SIGTERM, how a service manager stops k1s, leaves the pods running for
 * the next start to adopt, as stopping kubelet leaves its containers;
 * SIGINT (^C at a terminal) stops them and removes what k1s installed. */
static volatile sig_atomic_t stop_pods;

static void on_signal(int sig)
{
	if (sig == SIGINT)
		stop_pods = 1;
	stopping = 1;
}

static void on_delay_over(void *arg)
{
	stopping = 1;
}

static void on_api_ready(void *arg, int fd, uint32_t events)
{
	api_run(arg);
}

/* MHD may have work that no fd announces (a resumed stream, a timeout):
 * run it before every wait, then sleep no longer than it allows. */
static void api_between(void *arg)
{
	api_serve(arg);
}

static int api_hook(void *arg)
{
	api_run(arg);
	return api_timeout_ms(arg);
}

/* Hooks run in order, and one may write after another has read the store:
 * if the revision moved while they ran, go round again at once rather
 * than sleep on changes that some hook has not seen. */
static int64_t rev_at_start;

static int rev_mark(void *arg)
{
	rev_at_start = st_rev(arg);
	return -1;
}

static int rev_check(void *arg)
{
	return st_rev(arg) != rev_at_start ? 0 : -1;
}

/* After changes (objects parsed, trees and snapshots built and let go),
 * the heap's free pages go back to the kernel TRIM_DELAY_MS later: glibc
 * gives back only the top of a heap by itself, and the holes a burst left
 * stayed resident (3.5 MiB of 66 after 10,000 Services were made). */
#define TRIM_DELAY_MS 5000

struct trim {
	struct st *st;
	struct k1s_loop *loop;
	struct k1s_timer *timer;
	int64_t rev;	/* at the last trim */
};

static void on_trim(void *arg)
{
	struct trim *t = arg;
	int64_t t0 = k1s_now_ms();

	t->timer = NULL;
	t->rev = st_rev(t->st);
	malloc_trim(0);
	k1s_debug("main", "heap trimmed in %lld ms", (long long)(k1s_now_ms() - t0));
}

static int trim_hook(void *arg)
{
	struct trim *t = arg;

	/* At most one trim per TRIM_DELAY_MS, however long the churn. */
	if (!t->timer && st_rev(t->st) != t->rev)
		t->timer = k1s_loop_timer(t->loop, TRIM_DELAY_MS, on_trim, t);
	return -1;
}

/* The start barrier: the API listens only once every module that runs has
 * done its first reconcile (what that means for each is in its header:
 * ctrl_ready(), pod_rt_ready(), dp_ready(), dns_ready(), ing_ready()), so that the
 * first answer a client gets is from a node whose Services already
 * forward and resolve, as relayd's parent waits for every child's
 * IMSG_CFG_DONE. A module that could not start at all (pods without root)
 * is not waited for and has no check: it will not become ready, and
 * Kubernetes lists no check for what a server does not run; its warning
 * is in the log. One that started but is still not ready after
 * START_WAIT_MS (a store that keeps failing) no longer holds the API
 * back: it listens, and /readyz names the check that fails. */
#define START_WAIT_MS 60000

struct start {
	struct api *api;
	struct k1s_loop *loop;
	struct ctrl *ctrl;
	struct pod_rt *rt;	/* NULL when not running */
	struct dp *dp;
	struct dns *dns;
	struct ing *ing;
	struct pol *pol;
	const char *data_dir, *listen_addr;
	unsigned port;
	int64_t since_ms;	/* when the modules started */
	bool serving;
	bool failed;
};

static const char *ctrl_check(void *arg)
{
	return ctrl_ready(arg) ? NULL : "the controllers have not reconciled the store yet";
}

static const char *pods_check(void *arg)
{
	return pod_rt_ready(arg) ? NULL : "the pods of the node are not synced yet";
}

static const char *dp_check(void *arg)
{
	return dp_ready(arg) ? NULL : "the services are not forwarded yet";
}

static const char *dns_check(void *arg)
{
	return dns_ready(arg) ? NULL : "the cluster DNS zone is not served yet";
}

static const char *ingress_check(void *arg)
{
	return ing_ready(arg) ? NULL : "the ingress has not built its routes yet";
}

static const char *policy_check(void *arg)
{
	return pol_ready(arg) ? NULL : "the network policies are not enforced yet";
}

/* The runtime's gate: a pod starts once NetworkPolicy holds it. */
static int pod_gate(void *arg, const json_t *pod, const char *ip)
{
	return pol_admit_pod(arg, pod, ip);
}

/* A whole number in [min, max], or -1. */
static int int_arg_quiet(const char *s, int min, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	return !*s || *end || v < min || v > max ? -1 : (int)v;
}

/* GET /k1s/policy/verdict?from=&to=&port=&protocol=: why NetworkPolicy
 * lets a flow through or drops it. from and to: an address or
 * NAMESPACE/POD; protocol TCP (the default, as in a NetworkPolicyPort),
 * UDP or SCTP. */
struct verdict_view {
	struct api *api;
	struct pol *pol;
};

static int verdict_peer(struct api *api, const char *query, const char *key, uint32_t *ip,
			char *msg, size_t len)
{
	char peer[320], addr[16];
	int err = api_query_param(query, key, peer, sizeof(peer));

	if (err < 0 || !*peer) {
		snprintf(msg, len, "%s: required, an IPv4 address or NAMESPACE/POD", key);
		return -EINVAL;
	}
	err = api_lookup_addr(api, peer, addr, sizeof(addr), msg, len);
	if (err < 0)
		return err;
	return k1s_ip4_parse(addr, ip);
}

static int verdict(void *arg, const char *query, json_t **out, char *msg, size_t len)
{
	struct verdict_view *vv = arg;
	struct pol_flow f = {.proto = POL_TCP};
	char port[16], proto[16];
	int err, p;

	if ((err = verdict_peer(vv->api, query, "from", &f.src, msg, len)) < 0 ||
	    (err = verdict_peer(vv->api, query, "to", &f.dst, msg, len)) < 0)
		return err;
	if (api_query_param(query, "port", port, sizeof(port)) < 0 ||
	    (p = int_arg_quiet(port, 1, 65535)) < 0) {
		snprintf(msg, len, "port: required, a number from 1 to 65535");
		return -EINVAL;
	}
	f.dport = (uint16_t)p;
	if (api_query_param(query, "protocol", proto, sizeof(proto)) >= 0 && *proto) {
		if (strcmp(proto, "UDP") == 0)
			f.proto = POL_UDP;
		else if (strcmp(proto, "SCTP") == 0)
			f.proto = POL_SCTP;
		else if (strcmp(proto, "TCP") != 0) {
			snprintf(msg, len, "protocol: Unsupported value: \"%.16s\": supported "
				 "values: \"TCP\", \"UDP\", \"SCTP\"", proto);
			return -EINVAL;
		}
	}
	*out = pol_explain(vv->pol, &f);
	return *out ? 0 : -ENOMEM;
}

/* GET /k1s/policy/drops: {"drops": {"namespace/name": n}}, what each
 * policy dropped since start on every path: packets at the kernel's hooks
 * (a retried SYN is two), flows at the proxies. */
static int drops(void *arg, const char *query, json_t **out, char *msg, size_t len)
{
	json_t *counts = pol_drop_counts(arg);

	(void)query;
	(void)msg;
	(void)len;
	*out = counts ? json_pack("{s:o}", "drops", counts) : NULL;
	return *out ? 0 : -ENOMEM;
}

/* /metrics: each controller's reconcile latency. */
static void ctrl_metrics(void *arg, struct k1s_metrics *m)
{
	const struct k1s_hist *h;
	const char *name;

	k1s_metrics_family(m, "k1s_reconcile_seconds", K1S_HISTOGRAM,
			   "Time a controller took to reconcile one object.");
	for (unsigned i = 0; (h = ctrl_reconcile_time(arg, i, &name)); i++)
		k1s_metrics_hist(m, "k1s_reconcile_seconds", h, "controller", name, NULL);
}

/* /metrics: what each NetworkPolicy dropped, as /k1s/policy/drops counts
 * it. */
static void policy_metrics(void *arg, struct k1s_metrics *m)
{
	json_t *counts = pol_drop_counts(arg), *v;
	const char *key;

	k1s_metrics_family(m, "k1s_networkpolicy_drops_total", K1S_COUNTER,
			   "Packets and flows dropped since start, per NetworkPolicy that "
			   "isolated the pod.");
	json_object_foreach(counts, key, v) {
		const char *slash = strchr(key, '/');
		char ns[256];

		if (!slash || (size_t)(slash - key) >= sizeof(ns))
			continue;
		memcpy(ns, key, (size_t)(slash - key));
		ns[slash - key] = '\0';
		k1s_metrics_sample(m, "k1s_networkpolicy_drops_total",
				   (double)json_integer_value(v), "namespace", ns, "name", slash + 1,
				   NULL);
	}
	json_decref(counts);
}

/* The modules' flow rings, for /metrics. */
struct flow_rings {
	struct k1s_flow_ring *fr_rings[4];
	size_t fr_n;
};

static void flow_metrics(void *arg, struct k1s_metrics *m)
{
	struct flow_rings *fr = arg;

	k1s_metrics_flows(m, fr->fr_rings, fr->fr_n);
}

static bool all_ready(const struct start *s)
{
	return ctrl_ready(s->ctrl) && (!s->pol || pol_ready(s->pol)) && (!s->rt || pod_rt_ready(s->rt)) &&
	       (!s->dp || dp_ready(s->dp)) && (!s->dns || dns_ready(s->dns)) && (!s->ing || ing_ready(s->ing));
}

/* Runs after the modules' hooks, so it sees their passes of this round. */
static int start_hook(void *arg)
{
	struct start *s = arg;
	int err;

	if (s->serving || s->failed)
		return -1;
	/* The data-path loops acknowledge a snapshot from their own threads,
	 * which wakes nothing here: look again shortly. */
	if (!all_ready(s)) {
		if (k1s_now_ms() - s->since_ms < START_WAIT_MS)
			return 5;
		k1s_warn("main", "not every module is ready after %d s; serving the API all the "
			 "same: /readyz?verbose names what is not", START_WAIT_MS / 1000);
	}
	err = api_listen(s->api);
	if (err == 0)
		err = k1s_loop_add_fd(s->loop, api_fd(s->api), EPOLLIN, on_api_ready, s->api);
	if (err < 0) {
		k1s_err("main", "cannot serve the API: %s", k1s_strerror(err));
		s->failed = true;
		k1s_loop_stop(s->loop);
		return -1;
	}
	s->serving = true;
	k1s_info("main", "serving the API on http://%s:%u, store in %s", s->listen_addr, s->port,
		 s->data_dir);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: k1s COMMAND [OPTIONS]\n"
		"\n"
		"Commands:\n"
		"  serve            run the appliance: API server, store, controllers, pods\n"
		"  echo-server      the built-in app of images the catalog does not know\n"
		"  help             show this help\n"
		"\n"
		"Options of serve:\n"
		"  --data-dir DIR           store directory (default /var/lib/k1s as root,\n"
		"                           else ./k1s-data)\n"
		"  --listen ADDR            API listen address (default 127.0.0.1)\n"
		"  --port N                 API port (default 8080)\n"
		"  --secure-port N          the API on HTTPS for other machines, with the\n"
		"                           token in DATA-DIR/admin.token; a ready\n"
		"                           kubeconfig is DATA-DIR/k1s.conf (default 6443;\n"
		"                           0: none)\n"
		"  --bind-address ADDR      its address (default 0.0.0.0)\n"
		"  --service-cidr CIDR      service network (default 10.96.0.0/12)\n"
		"  --pod-cidr CIDR          pod network (default 10.244.0.0/16)\n"
		"  --pod-uid-range A-B      uids (and gids) of pods without runAsUser, one per\n"
		"                           pod (default 200000-265535)\n"
		"  --node-port-range A-B    node ports (default 30000-32767)\n"
		"  --node-name NAME         the node's name (default: the host name)\n"
		"  --node-ip ADDR           the node's address (default: the default route's)\n"
		"  --image-catalog FILE     image names to entrypoints (default: built in)\n"
		"  --store-sync full|normal fsync every write (default full) or survive only\n"
		"                           a crash of k1s, not of the machine\n"
		"  --proxy-loops N          service forwarding threads (default: one per core)\n"
		"  --proxy-tcp-idle-timeout S  an idle forwarded TCP connection is reset\n"
		"                           (default 3600)\n"
		"  --proxy-udp-idle-timeout S  an idle UDP flow ends (default 30)\n"
		"  --proxy-source client|node  the address a backend sees a forwarded\n"
		"                           connection come from: client (default) keeps\n"
		"                           the client's where kube-proxy does (pods through a\n"
		"                           cluster IP; externalTrafficPolicy Local), node\n"
		"                           always shows the node's\n"
		"  --lb-pool auto|none|RANGE  LoadBalancer addresses besides the node's own,\n"
		"                           which a service gets while all its ports are free\n"
		"                           there (80 and 443 are the ingress's). RANGE: A-B\n"
		"                           or a CIDR. auto (default): ten addresses at the\n"
		"                           top of the node's subnet (.240-.249 of a /24),\n"
		"                           each taken only after an ARP probe finds nobody\n"
		"                           on it, so a VM's host-only network or a Pi's LAN\n"
		"                           works as it is. Addresses on a subnet of the host\n"
		"                           are added to its interface (label IF:k1s) and\n"
		"                           announced by ARP, as MetalLB's layer 2 mode.\n"
		"                           none: such a service stays Pending\n"
		"  --log-level LEVEL        error, warn, info (default) or debug\n"
		"  --cluster-domain NAME    the cluster's DNS domain (default cluster.local)\n"
		"  --dns-ip ADDR            cluster DNS address, port 53 (default 10.96.0.10)\n"
		"  --dns-listen ADDR[:PORT] serve cluster DNS on a host address too\n"
		"                           (default: none; port 53)\n"
		"  --dns-resolv-conf FILE   upstream resolvers for other names\n"
		"                           (default /etc/resolv.conf)\n"
		"  --dns-loops N            DNS server threads (default: one per core)\n"
		"  --ingress-listen LIST    addresses the ingress serves HTTP and HTTPS on, comma-\n"
		"                           separated, or none (default: the node's address and\n"
		"                           127.0.0.1)\n"
		"  --ingress-http-port N    the ingress's HTTP port (default 80)\n"
		"  --ingress-https-port N   the ingress's HTTPS port (default 443)\n"
		"  --ingress-loops N        ingress threads (default: one per core)\n"
		"  --cert-validity DURATION  how long a Certificate without spec.duration\n"
		"                           lasts, as a Go duration (default 2160h, as\n"
		"                           cert-manager's); renewed at two thirds of it\n"
		"  --shutdown-delay-duration S  on SIGTERM, keep serving S seconds with\n"
		"                           /readyz failing before shutting down (default 0)\n"
		"  --policy-log-rate N      NetworkPolicy drop log lines per second at most\n"
		"                           (default 10)\n"
		"  --network-policy on|off  enforce NetworkPolicies (default on); off stores\n"
		"                           them and enforces nothing, as a cluster whose\n"
		"                           network plugin has no policy support\n"
		"  --container-log-max-size SIZE  a container's log is rotated before it\n"
		"                           passes SIZE, a quantity (default 10Mi, as kubelet)\n"
		"  --container-log-max-files N  log files kept per container run, the live\n"
		"                           one included; older rotated ones are gzipped\n"
		"                           (default 5, at least 2)\n"
		"  --pod-max-pids N         processes and threads a pod may have, as kubelet's\n"
		"                           (default 1024: a fork bomb stops there, and 30\n"
		"                           pods at it still leave a Pi's pid_max free);\n"
		"                           -1: no limit\n"
		"  --pods-cgroup NAME       the cgroup the pods' cgroups go under, at the top\n"
		"                           of each hierarchy (default k1s-pods); each k1s on\n"
		"                           one machine needs its own\n"
		"  --kube-reserved memory=QTY  memory kept from the pods for k1s and the\n"
		"                           host, as kubelet's: the pods together get the\n"
		"                           rest and meet the OOM killer there first\n"
		"                           (default: 256Mi or a tenth of the node's, if\n"
		"                           more; memory=0: none)\n"
		"\nSIGTERM stops k1s and leaves its pods running, as stopping kubelet does:\n"
		"the next start adopts them. SIGINT (^C) stops the pods too.\n");
}

/* Every service port is a listening socket per forwarding thread, and
 * each forwarded connection two more: 10,000 services on two threads pass
 * the usual limits. Raised as far as allowed (root: to fs.nr_open). */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	unsigned long long max = 0;

	if (f) {
		if (fscanf(f, "%llu", &max) != 1)
			max = 0;
		fclose(f);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (max > rl.rlim_max && max <= 1048576) {
		struct rlimit want = {max, max};

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int mkdir_p(const char *dir)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Long options without a letter. */
enum {
	OPT_PROXY_LOOPS = 0x200,
	OPT_PROXY_TCP_IDLE,
	OPT_PROXY_UDP_IDLE,
	OPT_LB_POOL,
	OPT_PROXY_SOURCE,
	OPT_SHUTDOWN_DELAY,
	OPT_INGRESS_LISTEN,
	OPT_INGRESS_PORT,
	OPT_INGRESS_HTTPS_PORT,
	OPT_INGRESS_LOOPS,
	OPT_CERT_VALIDITY,
	OPT_POLICY_LOG_RATE,
	OPT_NETWORK_POLICY,
	OPT_LOG_MAX_SIZE,
	OPT_LOG_MAX_FILES,
	OPT_POD_UID_RANGE,
	OPT_POD_MAX_PIDS,
	OPT_PODS_CGROUP,
	OPT_KUBE_RESERVED,
	OPT_SECURE_PORT,
	OPT_BIND_ADDRESS,
};

/* A whole number in [min, max] for option `name`, or -1 with a message. */
static int int_arg(const char *name, const char *s, int min, int max)
{
	int v = int_arg_quiet(s, min, max);

	if (v < 0)
		fprintf(stderr, "k1s: --%s: expected a number from %d to %d\n", name, min, max);
	return v;
}

/* The API's HTTPS certificate, from the cluster CA the controllers keep:
 * CN kube-apiserver, a year, as kubeadm's apiserver.crt. */
static int issue_api_cert(void *st, const char *const *dns, const char *const *ips,
			  char **crt, char **key, char **ca)
{
	return ctrl_serving_cert(st, "kube-apiserver", dns, ips, 365, crt, key, ca);
}

static int serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, 0, 'd'},
		{"listen", required_argument, 0, 'l'},
		{"port", required_argument, 0, 'p'},
		{"service-cidr", required_argument, 0, 's'},
		{"pod-cidr", required_argument, 0, 'P'},
		{"node-port-range", required_argument, 0, 'r'},
		{"node-name", required_argument, 0, 'n'},
		{"node-ip", required_argument, 0, 'i'},
		{"store-sync", required_argument, 0, 'S'},
		{"image-catalog", required_argument, 0, 'c'},
		{"log-level", required_argument, 0, 'L'},
		{"proxy-loops", required_argument, 0, OPT_PROXY_LOOPS},
		{"proxy-tcp-idle-timeout", required_argument, 0, OPT_PROXY_TCP_IDLE},
		{"proxy-udp-idle-timeout", required_argument, 0, OPT_PROXY_UDP_IDLE},
		{"lb-pool", required_argument, 0, OPT_LB_POOL},
		{"proxy-source", required_argument, 0, OPT_PROXY_SOURCE},
		{"cluster-domain", required_argument, 0, 'D'},
		{"dns-ip", required_argument, 0, 'N'},
		{"dns-listen", required_argument, 0, 'A'},
		{"dns-resolv-conf", required_argument, 0, 'R'},
		{"dns-loops", required_argument, 0, 'O'},
		{"shutdown-delay-duration", required_argument, 0, OPT_SHUTDOWN_DELAY},
		{"ingress-listen", required_argument, 0, OPT_INGRESS_LISTEN},
		{"ingress-http-port", required_argument, 0, OPT_INGRESS_PORT},
		{"ingress-https-port", required_argument, 0, OPT_INGRESS_HTTPS_PORT},
		{"ingress-loops", required_argument, 0, OPT_INGRESS_LOOPS},
		{"cert-validity", required_argument, 0, OPT_CERT_VALIDITY},
		{"policy-log-rate", required_argument, 0, OPT_POLICY_LOG_RATE},
		{"network-policy", required_argument, 0, OPT_NETWORK_POLICY},
		{"container-log-max-size", required_argument, 0, OPT_LOG_MAX_SIZE},
		{"container-log-max-files", required_argument, 0, OPT_LOG_MAX_FILES},
		{"pod-uid-range", required_argument, 0, OPT_POD_UID_RANGE},
		{"pod-max-pids", required_argument, 0, OPT_POD_MAX_PIDS},
		{"pods-cgroup", required_argument, 0, OPT_PODS_CGROUP},
		{"kube-reserved", required_argument, 0, OPT_KUBE_RESERVED},
		{"secure-port", required_argument, 0, OPT_SECURE_PORT},
		{"bind-address", required_argument, 0, OPT_BIND_ADDRESS},
		{"help", no_argument, 0, 'h'},
		{0},
	};
	struct api_config cfg = {
		.listen_addr = "127.0.0.1",
		.port = 8080,
		.secure_port = 6443,
		.bind_address = "0.0.0.0",
		.service_cidr = "10.96.0.0/12",
		.pod_cidr = "10.244.0.0/16",
		.node_port_min = 30000,
		.node_port_max = 32767,
	};
	struct st_opts sopts = {.sync = ST_SYNC_FULL};
	int64_t cert_validity = 0;	/* the controllers' default */
	bool network_policy = true;
	const char *data_dir = geteuid() == 0 ? "/var/lib/k1s" : "k1s-data";
	struct pod_config pcfg = {
		.cluster_dns = "10.96.0.10",
		.cluster_domain = "cluster.local",
	};
	struct dns_config dnscfg = {
		.domain = "cluster.local",
		.ip = "10.96.0.10",
	};
	char self[4096];
	ssize_t n;
	struct st *st;
	struct api *api;
	struct k1s_loop *loop;
	struct ctrl *ctrl;
	struct pod_rt *rt;
	struct dp *dp;
	struct dp_config pxcfg = {.source = DP_SOURCE_CLIENT, .lb_pool_auto = true};
	/* The ports the built-in ingress holds on the node's address (HTTP,
	 * and 443 for HTTPS): a LoadBalancer asking for one gets an address
	 * of the pool instead. */
	int ingress_ports[3] = {80, 443, 0};
	struct dns *dns;
	struct ing_config ingcfg = {0};
	struct ing *ing = NULL;
	char ing_list[1024] = "";
	const char *ing_addrs[17] = {0};
	struct k1s_cidr pod_net, service_net;
	struct k1s_ip4_range lb_pool;
	struct pol_config polcfg = {0};
	struct pol *pol;
	struct verdict_view vview;
	struct flow_rings rings;
	struct start start;
	struct trim trim = {0};
	uint32_t ip;
	int c, err, shutdown_delay_s = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data_dir = optarg;
			break;
		case 'l':
			cfg.listen_addr = optarg;
			break;
		case 'p':
			cfg.port = (unsigned short)atoi(optarg);
			break;
		case 's':
			cfg.service_cidr = optarg;
			break;
		case 'P':
			cfg.pod_cidr = optarg;
			break;
		case 'r': {
			unsigned a, b;

			if (sscanf(optarg, "%u-%u", &a, &b) != 2 || a < 1 || b > 65535 || a > b) {
				fprintf(stderr, "k1s: --node-port-range: expected MIN-MAX\n");
				return 2;
			}
			cfg.node_port_min = (unsigned short)a;
			cfg.node_port_max = (unsigned short)b;
			break;
		}
		case 'n':
			cfg.node_name = optarg;
			break;
		case 'i':
			cfg.node_ip = optarg;
			break;
		case 'c':
			pcfg.catalog_path = optarg;
			break;
		case 'S':
			if (strcmp(optarg, "full") == 0) {
				sopts.sync = ST_SYNC_FULL;
			} else if (strcmp(optarg, "normal") == 0) {
				sopts.sync = ST_SYNC_NORMAL;
			} else {
				fprintf(stderr, "k1s: --store-sync: expected full or normal\n");
				return 2;
			}
			break;
		case 'L': {
			enum k1s_log_level lvl;

			if (k1s_log_parse_level(optarg, &lvl) < 0) {
				fprintf(stderr, "k1s: --log-level: expected error, warn, info or debug\n");
				return 2;
			}
			k1s_log_set_level(lvl);
			break;
		}
		case OPT_PROXY_LOOPS:
			if ((pxcfg.loops = int_arg("proxy-loops", optarg, 1, 256)) < 0)
				return 2;
			break;
		case OPT_PROXY_TCP_IDLE:
			pxcfg.tcp_idle_s = int_arg("proxy-tcp-idle-timeout", optarg, 1, 86400 * 7);
			if (pxcfg.tcp_idle_s < 0)
				return 2;
			break;
		case OPT_PROXY_UDP_IDLE:
			pxcfg.udp_idle_s = int_arg("proxy-udp-idle-timeout", optarg, 1, 86400);
			if (pxcfg.udp_idle_s < 0)
				return 2;
			break;
		case OPT_PROXY_SOURCE:
			if (strcmp(optarg, "client") == 0) {
				pxcfg.source = DP_SOURCE_CLIENT;
			} else if (strcmp(optarg, "node") == 0) {
				pxcfg.source = DP_SOURCE_NODE;
			} else {
				fprintf(stderr, "k1s: --proxy-source: expected client or node\n");
				return 2;
			}
			break;
		case OPT_CERT_VALIDITY:
			if (ctrl_duration_parse(optarg, &cert_validity) < 0 || cert_validity <= 0) {
				fprintf(stderr, "k1s: --cert-validity %s: expected a positive Go "
						"duration such as 2160h or 90m\n", optarg);
				return 2;
			}
			break;
		case OPT_LB_POOL:
			pxcfg.lb_pool_auto = strcmp(optarg, "auto") == 0;
			pxcfg.lb_pool = NULL;
			if (pxcfg.lb_pool_auto || strcmp(optarg, "none") == 0)
				break;
			if (k1s_ip4_range_parse(optarg, &lb_pool) < 0) {
				fprintf(stderr, "k1s: --lb-pool %s: expected auto, none, A-B, a "
						"CIDR or an address\n", optarg);
				return 2;
			}
			pxcfg.lb_pool = &lb_pool;
			break;
		case 'D':
			dnscfg.domain = optarg;
			pcfg.cluster_domain = optarg;
			break;
		case 'N':
			dnscfg.ip = optarg;
			pcfg.cluster_dns = optarg;
			cfg.dns_ip = optarg;
			break;
		case 'A':
			dnscfg.listen = optarg;
			break;
		case 'R':
			dnscfg.resolv_conf = optarg;
			break;
		case 'O':
			if ((dnscfg.loops = int_arg("dns-loops", optarg, 1, 256)) < 0)
				return 2;
			break;
		case OPT_INGRESS_LISTEN:
			snprintf(ing_list, sizeof(ing_list), "%s", optarg);
			break;
		case OPT_INGRESS_PORT:
			if ((ingcfg.http_port = int_arg("ingress-http-port", optarg, 1, 65535)) < 0)
				return 2;
			break;
		case OPT_INGRESS_HTTPS_PORT:
			if ((ingcfg.https_port = int_arg("ingress-https-port", optarg, 1, 65535)) < 0)
				return 2;
			break;
		case OPT_INGRESS_LOOPS:
			if ((ingcfg.loops = int_arg("ingress-loops", optarg, 1, 256)) < 0)
				return 2;
			break;
		case OPT_POD_UID_RANGE: {
			unsigned long a, b;
			char tail;

			/* Not root's, nor into the kernel's overflow ids' realm. */
			if (sscanf(optarg, "%lu-%lu%c", &a, &b, &tail) != 2 || a < 1000 || a > b ||
			    b > 2147483647UL) {
				fprintf(stderr, "k1s: --pod-uid-range %s: expected A-B with "
				                "1000 <= A <= B < 2147483648\n", optarg);
				return 2;
			}
			pcfg.uid_min = (uid_t)a;
			pcfg.uid_max = (uid_t)b;
			break;
		}
		case OPT_NETWORK_POLICY:
			if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
				fprintf(stderr, "k1s: --network-policy: expected on or off\n");
				return 2;
			}
			network_policy = strcmp(optarg, "on") == 0;
			break;
		case OPT_LOG_MAX_SIZE:
			if (pod_log_parse_size(optarg, &pcfg.container_log_max_size) < 0) {
				/* kubelet's words for a size it cannot parse. */
				fprintf(stderr, "k1s: --container-log-max-size: failed to parse "
						"container log max size \"%s\": expected a quantity "
						"such as 10Mi\n", optarg);
				return 2;
			}
			break;
		case OPT_LOG_MAX_FILES:
			pcfg.container_log_max_files = int_arg_quiet(optarg, 2, 1000);
			if (pcfg.container_log_max_files < 0) {
				/* kubelet's validation of containerLogMaxFiles. */
				fprintf(stderr, "k1s: invalid configuration: containerLogMaxFiles "
						"(--container-log-max-files) %s must be greater than 1\n",
					optarg);
				return 2;
			}
			break;
		case OPT_SECURE_PORT: {
			int v = int_arg("secure-port", optarg, 0, 65535);

			if (v < 0)
				return 2;
			cfg.secure_port = (unsigned short)v;
			break;
		}
		case OPT_BIND_ADDRESS:
			cfg.bind_address = optarg;
			break;
		case OPT_KUBE_RESERVED: {
			/* kubelet's form, RESOURCE=QTY,...: memory alone here. */
			int64_t v;

			if (strncmp(optarg, "memory=", 7) != 0 || strchr(optarg, ',') ||
			    pod_quantity_parse(optarg + 7, strlen(optarg + 7), false, &v) < 0) {
				fprintf(stderr, "k1s: --kube-reserved %s: expected memory=QUANTITY "
				        "(e.g. memory=256Mi)\n", optarg);
				return 2;
			}
			pcfg.pod_mem_reserved = v ? v : -1;
			break;
		}
		case OPT_PODS_CGROUP:
			/* One path component, as a cgroup's directory name. */
			if (!*optarg || strlen(optarg) > 60 || optarg[0] == '.' ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			                   "0123456789._-") != strlen(optarg)) {
				fprintf(stderr, "k1s: --pods-cgroup %s: expected a name of letters, "
				        "digits, '.', '_' and '-', at most 60\n", optarg);
				return 2;
			}
			pcfg.pods_cgroup = optarg;
			break;
		case OPT_POD_MAX_PIDS:
			/* kubelet's -1 is no limit; below 16 nothing runs. */
			if (strcmp(optarg, "-1") == 0)
				pcfg.pod_max_pids = -1;
			else if ((pcfg.pod_max_pids = int_arg("pod-max-pids", optarg, 16, 4194304)) < 0)
				return 2;
			break;
		case OPT_POLICY_LOG_RATE:
			polcfg.drop_logs_per_s = int_arg("policy-log-rate", optarg, 1, 100000);
			if (polcfg.drop_logs_per_s < 0)
				return 2;
			break;
		case OPT_SHUTDOWN_DELAY:
			shutdown_delay_s = int_arg("shutdown-delay-duration", optarg, 0, 3600);
			if (shutdown_delay_s < 0)
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "k1s serve: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	/* Every address option is checked here, once, before anything starts. */
	if (k1s_cidr_parse(cfg.pod_cidr, &pod_net) < 0 || pod_net.bits < 8 || pod_net.bits > 30) {
		fprintf(stderr, "k1s: --pod-cidr %s: expected a CIDR from /8 to /30\n", cfg.pod_cidr);
		return 2;
	}
	if (k1s_cidr_parse(cfg.service_cidr, &service_net) < 0 || service_net.bits < 8 ||
	    service_net.bits > 30) {
		fprintf(stderr, "k1s: --service-cidr %s: expected a CIDR from /8 to /30\n",
			cfg.service_cidr);
		return 2;
	}
	if (cfg.node_ip && k1s_ip4_parse(cfg.node_ip, &ip) < 0) {
		fprintf(stderr, "k1s: --node-ip %s: expected an IPv4 address\n", cfg.node_ip);
		return 2;
	}
	if (k1s_ip4_parse(dnscfg.ip, &ip) < 0) {
		fprintf(stderr, "k1s: --dns-ip %s: expected an IPv4 address\n", dnscfg.ip);
		return 2;
	}

	if (ing_list[0] && strcmp(ing_list, "none") != 0) {
		int i = 0;

		for (char *save, *a = strtok_r(ing_list, ",", &save); a;
		     a = strtok_r(NULL, ",", &save)) {
			if (k1s_ip4_parse(a, &ip) < 0 || i == 16) {
				fprintf(stderr, "k1s: --ingress-listen: %s: expected up to 16 IPv4 "
						"addresses, comma-separated, or none\n", a);
				return 2;
			}
			ing_addrs[i++] = a;
		}
	}

	raise_fd_limit();
	err = mkdir_p(data_dir);
	if (err < 0) {
		k1s_err("main", "data directory %s: %s", data_dir, strerror(-err));
		return 1;
	}
	st = st_open(data_dir, &sopts, &err);
	if (!st) {
		k1s_err("main", "store in %s: %s", data_dir, k1s_strerror(err));
		return 1;
	}
	cfg.data_dir = data_dir;
	cfg.cluster_domain = pcfg.cluster_domain;
	cfg.issue = issue_api_cert;
	cfg.issue_arg = st;
	api = api_new(st, &cfg, &err);
	if (!api) {
		k1s_err("main", "API server: %s", k1s_strerror(err));
		st_close(st);
		return 1;
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	loop = k1s_loop_new();
	if (!loop || k1s_loop_hook(loop, rev_mark, st) < 0 ||
	    k1s_loop_hook(loop, api_hook, api) < 0) {
		k1s_err("main", "cannot set up the control loop");
		k1s_loop_free(loop);
		api_free(api);
		st_close(st);
		return 1;
	}
	/* A GET waits for one module's turn at most, not for all of theirs. */
	k1s_loop_between(loop, api_between, api);
	ctrl = ctrl_new(st, loop, api_writer(api),
			&(struct ctrl_config){.node_name = api_node_name(api),
					      .cert_validity = cert_validity});
	if (!ctrl) {
		k1s_err("main", "cannot start the controllers");
		k1s_loop_free(loop);
		api_free(api);
		st_close(st);
		return 1;
	}
	/* NetworkPolicy before the pods: the runtime's gate asks it. */
	polcfg.pod_net = pod_net;
	polcfg.node_ip = api_node_ip(api);
	polcfg.enforce = geteuid() == 0;
	pol = network_policy ? pol_new(st, loop, &polcfg, &err) : NULL;
	if (!network_policy)
		k1s_warn("main", "network policies are stored and not enforced (--network-policy off)");
	else if (!pol && polcfg.enforce && err == -EPERM) {
		polcfg.enforce = false;
		pol = pol_new(st, loop, &polcfg, &err);
	}
	if (!pol && network_policy)
		k1s_warn("main", "network policies are not enforced: %s", k1s_strerror(err));
	else if (!polcfg.enforce)
		k1s_warn("main", "network policies are judged by the proxies alone: the kernel's "
			 "rules need root");
	/* A table an earlier run left (kill, or SIGTERM leaving it for us to
	 * adopt) would go on dropping with nobody to keep it up to date. */
	if ((!pol || !polcfg.enforce) && pol_remove_left() > 0)
		k1s_info("main", "removed the nftables table an earlier run left: network "
			 "policies are not enforced");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	pcfg.data_dir = data_dir;
	pcfg.node_name = api_node_name(api);
	pcfg.node_ip = api_node_ip(api);
	pcfg.pod_net = pod_net;
	pcfg.service_net = service_net;
	pcfg.self_exe = self;
	pcfg.pod_image = k1s_pod_image;
	pcfg.pod_image_len = (size_t)(k1s_pod_image_end - k1s_pod_image);
	if (pol) {
		pcfg.net_gate = pod_gate;
		pcfg.net_gate_arg = pol;
	}
	rt = pod_rt_new(st, loop, api_writer(api), &pcfg, &err);
	if (!rt)
		k1s_warn("main", "pods cannot run: %s%s", k1s_strerror(err),
			 err == -EPERM ? " (k1s serve needs root for pod namespaces)" : "");
	pxcfg.node_ip = api_node_ip(api);
	pxcfg.pod_net = &pod_net;
	if (strcmp(ing_list, "none") != 0) {
		bool on_node = !ing_addrs[0];

		for (int i = 0; ing_addrs[i] && pxcfg.node_ip; i++)
			on_node = on_node || strcmp(ing_addrs[i], pxcfg.node_ip) == 0;
		if (ingcfg.http_port > 0)
			ingress_ports[0] = ingcfg.http_port;
		if (ingcfg.https_port > 0)
			ingress_ports[1] = ingcfg.https_port;
		if (on_node)
			pxcfg.reserved_ports = ingress_ports;
	}
	pxcfg.host_shared = pod_other_server;
	pxcfg.pol = pol;
	dp = dp_new(st, loop, api_writer(api), &pxcfg, &err);
	if (!dp)
		k1s_warn("main", "services are not forwarded: %s", k1s_strerror(err));
	dnscfg.service_net = service_net;
	dnscfg.pod_net = pod_net;
	dnscfg.data_dir = data_dir;
	dns = dns_new(st, loop, &dnscfg, &err);
	if (!dns)
		k1s_warn("main", "cluster DNS is not served: %s", k1s_strerror(err));
	if (strcmp(ing_list, "none") != 0) {
		if (!ing_addrs[0]) {
			int i = 0;

			if (api_node_ip(api) && api_node_ip(api)[0])
				ing_addrs[i++] = api_node_ip(api);
			ing_addrs[i] = "127.0.0.1";
		}
		/* The address an Ingress shows: the first that others can reach. */
		for (int i = 0; ing_addrs[i] && !ingcfg.address; i++)
			if (strncmp(ing_addrs[i], "127.", 4) != 0)
				ingcfg.address = ing_addrs[i];
		ingcfg.listen = ing_addrs;
		ingcfg.data_dir = data_dir;
		ingcfg.pol = pol;
		ing = ing_new(st, loop, api_writer(api), &ingcfg, &err);
		if (!ing)
			k1s_warn("main", "the ingress does not run: %s", k1s_strerror(err));
	}
	api_attach(api, loop, rt);
	vview = (struct verdict_view){api, pol};
	rings = (struct flow_rings){.fr_n = 0};
	{
		struct k1s_flow_ring *each[] = {dp ? dp_flows(dp) : NULL, ing ? ing_flows(ing) : NULL,
						dns ? dns_flows(dns) : NULL, pol ? pol_flows(pol) : NULL};

		for (size_t i = 0; i < sizeof(each) / sizeof(*each); i++)
			if (each[i])
				rings.fr_rings[rings.fr_n++] = each[i];
	}
	trim = (struct trim){.st = st, .loop = loop, .rev = st_rev(st)};
	start = (struct start){.api = api, .loop = loop, .ctrl = ctrl, .rt = rt, .dp = dp,
			       .dns = dns, .ing = ing, .pol = pol, .data_dir = data_dir, .listen_addr = cfg.listen_addr,
			       .port = cfg.port, .since_ms = k1s_now_ms()};
	if (api_add_check(api, "controllers", ctrl_check, ctrl) < 0 ||
	    (rt && api_add_check(api, "pods", pods_check, rt) < 0) ||
	    (dp && api_add_check(api, "dataplane", dp_check, dp) < 0) ||
	    (dns && api_add_check(api, "dns", dns_check, dns) < 0) ||
	    (ing && api_add_check(api, "ingress", ingress_check, ing) < 0) ||
	    (pol && api_add_check(api, "policy", policy_check, pol) < 0) ||
	    (pol && api_add_view(api, "/k1s/policy/verdict", verdict, &vview) < 0) ||
	    (pol && api_add_view(api, "/k1s/policy/drops", drops, pol) < 0) ||
	    api_add_metrics(api, ctrl_metrics, ctrl) < 0 ||
	    (pol && api_add_metrics(api, policy_metrics, pol) < 0) ||
	    api_add_metrics(api, flow_metrics, &rings) < 0 ||
	    (dp && api_add_flows(api, dp_flows(dp)) < 0) ||
	    (ing && api_add_flows(api, ing_flows(ing)) < 0) ||
	    (dns && api_add_flows(api, dns_flows(dns)) < 0) ||
	    (pol && api_add_flows(api, pol_flows(pol)) < 0) ||
	    k1s_loop_hook(loop, start_hook, &start) < 0 ||
	    k1s_loop_hook(loop, rev_check, st) < 0 || k1s_loop_hook(loop, trim_hook, &trim) < 0) {
		k1s_err("main", "cannot set up the control loop");
		start.failed = true;
	} else {
		k1s_loop_run(loop, &stopping);
	}
	/* kube-apiserver's --shutdown-delay-duration: /readyz fails at once
	 * while everything else is served as before, so that whoever balances
	 * clients on it moves them away; a second signal ends the wait. */
	api_shutdown_begin(api);
	if (start.serving && shutdown_delay_s > 0) {
		k1s_info("main", "shutting down in %d s: /readyz fails meanwhile", shutdown_delay_s);
		stopping = 0;
		if (k1s_loop_timer(loop, shutdown_delay_s * 1000LL, on_delay_over, NULL))
			k1s_loop_run(loop, &stopping);
	}
	k1s_info("main", "shutting down");
	ing_free(ing);
	dns_free(dns);
	dp_free(dp);
	if (stop_pods || !rt) {
		pod_rt_free(rt);
		/* After the pods have stopped: none runs unprotected meanwhile. */
		pol_free(pol);
	} else {
		pod_rt_leave(rt);
		pol_leave(pol);
	}
	ctrl_free(ctrl);
	api_free(api);
	k1s_loop_free(loop);
	st_close(st);
	return start.failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	/* A pod's shim, started by the runtime when it has no k1s-pod: none
	 * of k1s's start-up. */
	if (argc >= 1 && strcmp(argv[0], POD_SHIM_ARGV0) == 0)
		pod_shim_main();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "serve") == 0)
		return serve(argc - 1, argv + 1);
	if (strcmp(argv[1], "echo-server") == 0)
		return pod_echo_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "k1s: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
