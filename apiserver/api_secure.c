/* The API on HTTPS for other machines, as kube-apiserver's secure port:
 * TLS (libmicrohttpd's, on GnuTLS) with a certificate from the cluster CA
 * for the box's names and addresses, and a bearer token on every request
 * but the public health and version paths.
 *
 * The certificate follows the box: its addresses are looked at every
 * 10 s, and when they change (DHCP after an offline boot, another
 * network) or the certificate nears its end, a new one is issued and a
 * new daemon takes the listening socket; the old one finishes what it
 * serves and goes. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <microhttpd.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_int.h"
#include "k1s_addr.h"
#include "k1s_err.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "k1s_pki.h"
#include "st.h"

/* A year, as kubeadm's apiserver.crt; renewed with a month left. */
#define CERT_DAYS 365
#define CERT_RENEW_BEFORE (30 * 24 * 3600)
#define CHECK_EVERY_MS 10000
#define MAX_SANS 40
#define MAX_DRAINING 4
/* A network-facing listener's bounds: clients in all and per address,
 * and how long a connection may sit idle (a watch waiting for events is
 * suspended, not idle). */
#define CONN_LIMIT 256u
#define CONN_PER_IP 64u
#define CONN_IDLE_S 120u

struct api_secure {
	int listen_fd;
	struct MHD_Daemon *mhd;
	char *crt, *key;		/* the running daemon's, kept while it runs */
	struct MHD_Daemon *draining[MAX_DRAINING];
	char *draining_pem[MAX_DRAINING][2];
	char token[128];
	char ui_cookie[65];		/* the live page's session, api_ui.c: hex of 32 random bytes */
	char sans[1024];		/* the addresses of the certificate in force */
	time_t not_after;
	int64_t next_check_ms;
};

static void wipe_free(char *s)
{
	k1s_pki_free(s);
}

static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[1100], tmp[1110];
	size_t len = strlen(text);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	/* The mode of a file left by an older start may be wider. */
	if (fchmod(fd, mode) < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		err = errno ? -errno : -EIO;
	close(fd);
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* The token: what admin.token holds, or a new one there. Its shape is
 * kubeadm's bootstrap tokens' ([a-z0-9]{6}.[a-z0-9]{16}): short enough to
 * type from a console, 103 random bits. */
static int token_load(struct api *api, char *token, size_t len)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char path[1100], buf[256];
	unsigned char rnd[22];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "%s/admin.token", api->cfg.data_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 0)
			return -errno;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
			n--;
		buf[n] = '\0';
		if (n == 0 || (size_t)n >= len || strcspn(buf, " \t\r\n,") != (size_t)n) {
			k1s_err("api", "%s: expected one token on one line", path);
			return -EINVAL;
		}
		memcpy(token, buf, (size_t)n + 1);
		return 0;
	}
	if (errno != ENOENT)
		return -errno;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	for (int i = 0, j = 0; i < 23; i++)
		token[i] = i == 6 ? '.' : alnum[rnd[j++] % 36];
	token[23] = '\0';
	err = write_file(api->cfg.data_dir, "admin.token", token, 0600);
	if (err == 0)
		k1s_info("api", "a new API token is in %s", path);
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The IPv4 addresses the certificate names, sorted, "," joined into sans:
 * loopback, the kubernetes Service's cluster IP, the node's, and every
 * address of the host's interfaces but the pods' side and k1s's own
 * LoadBalancer addresses. */
static void gather_ips(struct api *api, char ips[][K1S_IP4_STRLEN], int *n, char *sans,
		       size_t len)
{
	struct k1s_cidr svc, pods;
	struct ifaddrs *ifs = NULL;
	char *sorted[MAX_SANS];
	uint32_t ip;
	size_t off = 0;

	*n = 0;
#define ADD(s)                                                                   \
	do {                                                                     \
		if (*n < MAX_SANS && k1s_ip4_parse((s), &ip) == 0) {             \
			bool dup = false;                                        \
			for (int d = 0; d < *n; d++)                             \
				dup |= strcmp(ips[d], (s)) == 0;                 \
			if (!dup)                                                \
				snprintf(ips[(*n)++], K1S_IP4_STRLEN, "%s", (s)); \
		}                                                                \
	} while (0)
	ADD("127.0.0.1");
	if (k1s_cidr_parse(api->cfg.service_cidr, &svc) == 0) {
		char first[K1S_IP4_STRLEN];

		ADD(k1s_ip4_str(svc.net + 1, first));
	}
	ADD(api->node_ip);
	if (strcmp(api->cfg.bind_address, "0.0.0.0") != 0)
		ADD(api->cfg.bind_address);
	if (k1s_cidr_parse(api->cfg.pod_cidr, &pods) < 0)
		pods.bits = 33;
	if (getifaddrs(&ifs) == 0) {
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			char a[K1S_IP4_STRLEN];

			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
			    strstr(i->ifa_name, ":k1s"))
				continue;
			ip = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
			if ((ip >> 24) == 127 || (pods.bits <= 32 && k1s_cidr_contains(&pods, ip)))
				continue;
			ADD(k1s_ip4_str(ip, a));
		}
		freeifaddrs(ifs);
	}
#undef ADD
	for (int i = 0; i < *n; i++)
		sorted[i] = ips[i];
	qsort(sorted, (size_t)*n, sizeof(sorted[0]), cmp_str);
	sans[0] = '\0';
	for (int i = 0; i < *n && off < len; i++)
		off += (size_t)snprintf(sans + off, len - off, "%s%s", i ? "," : "", sorted[i]);
}

/* The address a laptop dials: the bind address, or the node's, or, on a
 * box that started with no network, the first address it has now. */
static const char *server_host(struct api *api, char ips[][K1S_IP4_STRLEN], int n)
{
	if (strcmp(api->cfg.bind_address, "0.0.0.0") != 0)
		return api->cfg.bind_address;
	if (strncmp(api->node_ip, "127.", 4) != 0)
		return api->node_ip;
	for (int i = 0; i < n; i++)
		if (strncmp(ips[i], "127.", 4) != 0 && strcmp(ips[i], "10.96.0.1") != 0)
			return ips[i];
	return api->node_ip;
}

char *api_kubeconfig(struct api *api)
{
	char ips[MAX_SANS][K1S_IP4_STRLEN], sans[1024], *ca = NULL, *ca64, *out = NULL;
	int n;

	if (!api->secure)
		return NULL;
	if (st_private_get(api->st, "cluster-ca.crt", &ca) < 0)
		return NULL;
	ca64 = k1s_pki_b64_encode(ca, strlen(ca));
	free(ca);
	if (!ca64)
		return NULL;
	gather_ips(api, ips, &n, sans, sizeof(sans));
	/* kubectl config view's layout and names a learner can merge. */
	if (asprintf(&out,
		     "apiVersion: v1\n"
		     "kind: Config\n"
		     "clusters:\n"
		     "- cluster:\n"
		     "    certificate-authority-data: %s\n"
		     "    server: https://%s:%u\n"
		     "  name: k1s\n"
		     "contexts:\n"
		     "- context:\n"
		     "    cluster: k1s\n"
		     "    user: k1s-admin\n"
		     "  name: k1s\n"
		     "current-context: k1s\n"
		     "preferences: {}\n"
		     "users:\n"
		     "- name: k1s-admin\n"
		     "  user:\n"
		     "    token: %s\n",
		     ca64, server_host(api, ips, n), api->cfg.secure_port, api->secure->token) < 0)
		out = NULL;
	k1s_pki_free(ca64);
	return out;
}

/* A daemon on the listening socket with a certificate for these
 * addresses. */
static struct MHD_Daemon *daemon_start(struct api *api, int fd, char *crt, char *key)
{
	return MHD_start_daemon(
	    MHD_USE_TLS | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE |
		MHD_USE_ERROR_LOG,
	    0, NULL, NULL, api_on_request, api, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT, crt,
	    MHD_OPTION_NOTIFY_COMPLETED, api_on_completed, api, MHD_OPTION_CONNECTION_LIMIT,
	    CONN_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT, CONN_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, CONN_IDLE_S, MHD_OPTION_END);
}

static int epoll_of(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);

	return info ? info->epoll_fd : -1;
}

/* Issues a certificate for the box as it is now and serves with it: the
 * first daemon, or a new one that takes the socket from the old. */
static int secure_serve(struct api *api)
{
	struct api_secure *s = api->secure;
	char ips[MAX_SANS][K1S_IP4_STRLEN], sans[1024], *crt, *key, *ca, *conf;
	const char *ipv[MAX_SANS + 1], *dns[8];
	char svc_name[300];
	struct k1s_cert_info info;
	char why[256];
	struct MHD_Daemon *d;
	int n, err, fd = s->listen_fd;

	gather_ips(api, ips, &n, sans, sizeof(sans));
	for (int i = 0; i < n; i++)
		ipv[i] = ips[i];
	ipv[n] = NULL;
	/* kubeadm's apiserver.crt names: the node, and the kubernetes
	 * Service as pods reach it. */
	snprintf(svc_name, sizeof(svc_name), "kubernetes.default.svc.%s",
		 api->cfg.cluster_domain ? api->cfg.cluster_domain : "cluster.local");
	dns[0] = api->node_name;
	dns[1] = "localhost";
	dns[2] = "kubernetes";
	dns[3] = "kubernetes.default";
	dns[4] = "kubernetes.default.svc";
	dns[5] = svc_name;
	dns[6] = NULL;
	err = api->cfg.issue(api->cfg.issue_arg, dns, ipv, &crt, &key, &ca);
	if (err < 0) {
		k1s_err("api", "HTTPS certificate: %s", k1s_strerror(err));
		return err;
	}
	if (k1s_pki_cert_info(crt, strlen(crt), &info, why, sizeof(why)) < 0)
		info.not_after = time(NULL) + (time_t)CERT_DAYS * 24 * 3600;
	err = write_file(api->cfg.data_dir, "ca.crt", ca, 0644);
	k1s_pki_free(ca);
	if (err < 0)
		k1s_warn("api", "writing %s/ca.crt: %s", api->cfg.data_dir, k1s_strerror(err));
	if (s->mhd) {
		fd = MHD_quiesce_daemon(s->mhd);
		if (fd == MHD_INVALID_SOCKET) {
			wipe_free(crt);
			wipe_free(key);
			return -EIO;
		}
	}
	d = daemon_start(api, fd, crt, key);
	if (!d) {
		k1s_err("api", "cannot serve HTTPS on %s:%u", api->cfg.bind_address,
			api->cfg.secure_port);
		wipe_free(crt);
		wipe_free(key);
		return -EIO;
	}
	if (epoll_ctl(api->epfd, EPOLL_CTL_ADD, epoll_of(d), &(struct epoll_event){
			  .events = EPOLLIN, .data.ptr = d}) < 0) {
		MHD_stop_daemon(d);
		wipe_free(crt);
		wipe_free(key);
		return -errno;
	}
	if (s->mhd) {
		int slot = 0;

		/* The oldest goes now if every slot drains. */
		for (int i = 0; i < MAX_DRAINING; i++)
			if (!s->draining[i]) {
				slot = i;
				break;
			}
		if (s->draining[slot]) {
			MHD_stop_daemon(s->draining[slot]);
			wipe_free(s->draining_pem[slot][0]);
			wipe_free(s->draining_pem[slot][1]);
		}
		s->draining[slot] = s->mhd;
		s->draining_pem[slot][0] = s->crt;
		s->draining_pem[slot][1] = s->key;
	}
	s->mhd = d;
	s->crt = crt;
	s->key = key;
	s->listen_fd = fd;
	s->not_after = info.not_after;
	snprintf(s->sans, sizeof(s->sans), "%s", sans);
	conf = api_kubeconfig(api);
	err = conf ? write_file(api->cfg.data_dir, "k1s.conf", conf, 0600) : -ENOMEM;
	if (err < 0)
		k1s_warn("api", "writing %s/k1s.conf: %s", api->cfg.data_dir, k1s_strerror(err));
	k1s_pki_free(conf);
	k1s_info("api", "serving HTTPS on %s:%u for %s; a token is needed (%s/admin.token, "
			"kubeconfig %s/k1s.conf)",
		 api->cfg.bind_address, api->cfg.secure_port, sans, api->cfg.data_dir,
		 api->cfg.data_dir);
	return 0;
}

int api_secure_new(struct api *api)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(api->cfg.secure_port)};
	struct api_secure *s;
	int err;

	if (!api->cfg.secure_port)
		return 0;
	if (!api->cfg.issue || !api->cfg.data_dir) {
		k1s_err("api", "HTTPS needs a data directory and a certificate issuer");
		return -EINVAL;
	}
	if (inet_pton(AF_INET, api->cfg.bind_address, &sa.sin_addr) != 1) {
		k1s_err("api", "bind address %s is not an IPv4 address", api->cfg.bind_address);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	err = token_load(api, s->token, sizeof(s->token));
	if (err < 0) {
		k1s_err("api", "the API token in %s/admin.token: %s", api->cfg.data_dir,
			k1s_strerror(err));
		free(s);
		return err;
	}
	/* A secret of this run, not the token: a cookie that leaks reads
	 * until the next start and never writes. */
	{
		unsigned char rnd[32];

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			explicit_bzero(s->token, sizeof(s->token));
			free(s);
			return -EIO;
		}
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(s->ui_cookie + 2 * i, 3, "%02x", rnd[i]);
		explicit_bzero(rnd, sizeof(rnd));
	}
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0 ||
	    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int)) < 0 ||
	    bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		k1s_err("api", "cannot listen on %s:%u: %s", api->cfg.bind_address,
			api->cfg.secure_port, strerror(-err));
		if (s->listen_fd >= 0)
			close(s->listen_fd);
		free(s);
		return err;
	}
	api->secure = s;
	return 0;
}

int api_secure_listen(struct api *api)
{
	struct api_secure *s = api->secure;

	if (!s || s->mhd)
		return 0;
	if (listen(s->listen_fd, SOMAXCONN) < 0) {
		k1s_err("api", "cannot listen on %s:%u: %s", api->cfg.bind_address,
			api->cfg.secure_port, strerror(errno));
		return -errno;
	}
	s->next_check_ms = k1s_now_ms() + CHECK_EVERY_MS;
	return secure_serve(api);
}

void api_secure_run(struct api *api)
{
	struct api_secure *s = api->secure;
	char ips[MAX_SANS][K1S_IP4_STRLEN], sans[1024];
	int n;

	if (!s || !s->mhd)
		return;
	MHD_run(s->mhd);
	for (int i = 0; i < MAX_DRAINING; i++) {
		const union MHD_DaemonInfo *info;

		if (!s->draining[i])
			continue;
		MHD_run(s->draining[i]);
		info = MHD_get_daemon_info(s->draining[i], MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (info && info->num_connections == 0) {
			MHD_stop_daemon(s->draining[i]);
			wipe_free(s->draining_pem[i][0]);
			wipe_free(s->draining_pem[i][1]);
			s->draining[i] = NULL;
		}
	}
	if (k1s_now_ms() < s->next_check_ms)
		return;
	s->next_check_ms = k1s_now_ms() + CHECK_EVERY_MS;
	gather_ips(api, ips, &n, sans, sizeof(sans));
	if (strcmp(sans, s->sans) == 0 && time(NULL) < s->not_after - CERT_RENEW_BEFORE)
		return;
	if (strcmp(sans, s->sans) != 0)
		k1s_info("api", "HTTPS: the box's addresses are now %s (were %s): a new "
				"certificate", sans, s->sans);
	else
		k1s_info("api", "HTTPS: the certificate ends within 30 days: a new one");
	secure_serve(api);
}

int api_secure_timeout_ms(struct api *api)
{
	struct api_secure *s = api->secure;
	MHD_UNSIGNED_LONG_LONG t;
	int64_t left;
	int m;

	if (!s || !s->mhd)
		return -1;
	left = s->next_check_ms - k1s_now_ms();
	m = left < 0 ? 0 : (int)left;
	if (MHD_get_timeout(s->mhd, &t) == MHD_YES && t < (MHD_UNSIGNED_LONG_LONG)m)
		m = (int)t;
	for (int i = 0; i < MAX_DRAINING; i++)
		if (s->draining[i] && MHD_get_timeout(s->draining[i], &t) == MHD_YES &&
		    t < (MHD_UNSIGNED_LONG_LONG)m)
			m = (int)t;
	return m;
}

void api_secure_free(struct api *api)
{
	struct api_secure *s = api->secure;

	if (!s)
		return;
	for (int i = 0; i < MAX_DRAINING; i++)
		if (s->draining[i]) {
			MHD_stop_daemon(s->draining[i]);
			wipe_free(s->draining_pem[i][0]);
			wipe_free(s->draining_pem[i][1]);
		}
	if (s->mhd) {
		MHD_run(s->mhd);
		MHD_stop_daemon(s->mhd);
	} else if (s->listen_fd >= 0) {
		close(s->listen_fd);
	}
	wipe_free(s->crt);
	wipe_free(s->key);
	explicit_bzero(s->token, sizeof(s->token));
	explicit_bzero(s->ui_cookie, sizeof(s->ui_cookie));
	free(s);
	api->secure = NULL;
}

bool api_secure_conn(struct MHD_Connection *conn)
{
	return MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION) != NULL;
}

/* What kube-apiserver lets anyone read (system:public-info-viewer): the
 * health checks and the version; and the cluster CA's certificate, which
 * is no secret (a learner compares its fingerprint with the console's). */
static bool public_path(const char *url)
{
	static const char *const paths[] = {"/healthz", "/livez", "/readyz", "/version", "/ca.crt"};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t n = strlen(paths[i]);

		if (strncmp(url, paths[i], n) == 0 && (url[n] == '\0' || url[n] == '/'))
			return true;
	}
	return false;
}

/* Equal strings, in a time that depends on their lengths only. */
static bool same_secret(const char *a, const char *want)
{
	size_t n = strlen(a), wn = strlen(want);
	unsigned char diff = 0;

	if (n != wn || n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ want[i]);
	return diff == 0;
}

bool api_secure_token_ok(struct api *api, const char *s)
{
	return api->secure && same_secret(s, api->secure->token);
}

const char *api_secure_ui_cookie(struct api *api)
{
	return api->secure ? api->secure->ui_cookie : NULL;
}

/* The live page's cookie reads, and only reads: GET and HEAD, but not an
 * upgrade to a stream (exec, attach, port-forward over WebSocket), nor a
 * subresource that acts on a pod, nor the kubeconfig, which holds the
 * token. So a page of another site cannot write with it (besides
 * SameSite=Strict, which keeps browsers from sending it there). */
static bool cookie_allowed(struct api *api, struct MHD_Connection *conn, const char *method,
			   const char *url)
{
	static const char *const acts[] = {"exec", "attach", "portforward", "proxy"};
	const char *c = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, API_UI_COOKIE);
	struct api_path p;

	if (!c || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) ||
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Upgrade") ||
	    strcmp(url, "/k1s/kubeconfig") == 0)
		return false;
	if (api_path_parse(url, &p) == 1)
		for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
			if (strcmp(p.sub, acts[i]) == 0)
				return false;
	return same_secret(c, api->secure->ui_cookie);
}

bool api_secure_allowed(struct api *api, struct MHD_Connection *conn, const char *method,
			const char *url)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");

	if (public_path(url))
		return true;
	if (!api->secure)
		return false;
	/* The login form's target checks the token it carries itself; the
	 * login form's style is no secret. */
	if ((strcmp(url, "/ui/login") == 0 && strcmp(method, "POST") == 0) ||
	    strcmp(url, "/ui/style.css") == 0)
		return true;
	if (!auth)
		return cookie_allowed(api, conn, method, url);
	/* The bearer token authenticator's reading: "Bearer" in any case, one
	 * space, the token, nothing after it. */
	if (strncasecmp(auth, "Bearer ", 7) != 0)
		return false;
	return same_secret(auth + 7, api->secure->token);
}

int api_secure_handle(struct api_req *req, const char *url)
{
	char *conf;
	struct MHD_Response *resp;
	int ret;

	if (strcmp(url, "/k1s/kubeconfig") != 0)
		return 0;
	if (!api_read_only(req))
		return 1;
	conf = api_kubeconfig(req->api);
	if (!conf) {
		api_reply_status(req, api_status(404, "NotFound",
						 "the API serves no HTTPS port (--secure-port 0)",
						 NULL));
		return 1;
	}
	resp = MHD_create_response_from_buffer(strlen(conf), conf, MHD_RESPMEM_MUST_COPY);
	k1s_pki_free(conf);
	if (!resp)
		return 1;
	MHD_add_response_header(resp, "Content-Type", "application/yaml");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = api_queue(req, 200, resp);
	(void)ret;
	return 1;
}
