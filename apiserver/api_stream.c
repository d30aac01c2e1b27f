/* The pod subresources that stream: log, exec, attach (and the refusal of
 * what k1s does not speak). Exec and attach are WebSocket sessions of the
 * channel protocol v5.channel.k8s.io (or v4): each binary message starts
 * with a channel byte, 0 stdin, 1 stdout, 2 stderr, 3 the final Status,
 * 4 terminal resizes, 255 (v5) the close of a stream. After the upgrade
 * the socket leaves libmicrohttpd: the session registers it and the
 * process's fds on the control loop and never blocks. */
#include <fcntl.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_int.h"
#include "api_stream_int.h"
#include "k1s_json.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "pod.h"
#include "st.h"

/* Output queued to a slow client beyond which the process's output is not
 * read, and stdin queued to a slow process beyond which the client's is
 * not. */
#define SESS_HIGH_WATER (1u << 20)
/* How long, after the process ended, its output may stay open (a child
 * left in the background), and how long a closing peer has to answer. */
#define SESS_DRAIN_MS 2000
#define SESS_LINGER_MS 2000
/* A session whose upgrade never happened is dropped after this. */
#define SESS_PENDING_MS 60000

#define CH_STDIN 0
#define CH_STDOUT 1
#define CH_STDERR 2
#define CH_STATUS 3
#define CH_RESIZE 4
#define CH_CLOSE 255

enum sess_kind { SESS_EXEC, SESS_ATTACH, SESS_PORTFWD };

/* What the runtime's exit callback points at; it outlives a session that
 * ends first, and is freed by the callback. */
struct sess_exit {
	struct api_sess *s;
};

struct api_sess {
	struct api *api;
	struct pod_rt *rt;
	struct api_sess *next, **pprev;
	enum sess_kind kind;
	int proto;			/* 4 or 5 */
	bool ws;			/* WebSocket, else raw SPDY (port-forward) */
	struct api_pf *pf;		/* port-forward's SPDY side */
	char ns[256], pod[256], container[256];
	char **argv;
	bool tty, want_in, want_out, want_err;
	bool upgraded;
	int64_t created_ms;
	int sock;
	struct MHD_UpgradeResponseHandle *urh;
	struct sess_exit *exit;
	struct pod_stdio io;
	uint32_t ev_sock, ev_in, ev_out, ev_err;	/* registered interests */
	bool started, exited, out_eof, err_eof, in_close;
	int wstatus;
	char fail[512];			/* why the process could not start */
	bool status_sent, close_sent, close_rcvd, dead;
	bool lingering;			/* the timer waits for the peer's Close */
	bool in_upgrade;		/* inside the daemon's upgrade callback */
	struct api_ws_rx rx;
	uint8_t *rbuf;
	size_t rlen, rcap;
	uint8_t *wbuf;
	size_t woff, wlen, wcap;
	uint8_t *ibuf;
	size_t ioff, ilen, icap;
	struct k1s_timer *timer;
};

static void sess_pump(struct api_sess *s);

/* ---- buffers ---- */

static int buf_put(uint8_t **buf, size_t *off, size_t *len, size_t *cap, const void *p,
		   size_t n)
{
	if (*off == *len)
		*off = *len = 0;
	if (*len + n > *cap) {
		size_t c;
		uint8_t *b;

		/* Reclaim what was already sent before growing. */
		if (*off) {
			memmove(*buf, *buf + *off, *len - *off);
			*len -= *off;
			*off = 0;
		}
		c = *cap ? *cap : 8192;
		while (c < *len + n)
			c *= 2;
		if (c != *cap) {
			b = realloc(*buf, c);
			if (!b)
				return -ENOMEM;
			*buf = b;
			*cap = c;
		}
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

static void queue_frame(struct api_sess *s, uint8_t opcode, int ch, const void *data, size_t n)
{
	uint8_t hdr[15];
	size_t h = api_ws_header(hdr, opcode, n + (ch >= 0), NULL);

	if (ch >= 0)
		hdr[h++] = (uint8_t)ch;
	if (buf_put(&s->wbuf, &s->woff, &s->wlen, &s->wcap, hdr, h) < 0 ||
	    buf_put(&s->wbuf, &s->woff, &s->wlen, &s->wcap, data, n) < 0)
		s->dead = true;
}

void api_sess_send(struct api_sess *s, const void *p, size_t n)
{
	if (s->close_sent)
		return;
	if (s->ws)
		queue_frame(s, API_WS_BINARY, -1, p, n);
	else if (buf_put(&s->wbuf, &s->woff, &s->wlen, &s->wcap, p, n) < 0)
		s->dead = true;
}

static void queue_close(struct api_sess *s, uint16_t code)
{
	uint8_t b[2] = {(uint8_t)(code >> 8), (uint8_t)code};

	if (s->close_sent)
		return;
	if (!s->ws) {
		/* Raw SPDY has no closing handshake: flush and hang up. */
		s->close_sent = s->close_rcvd = true;
		return;
	}
	queue_frame(s, API_WS_CLOSE, -1, b, 2);
	s->close_sent = true;
}

/* ---- fd registration ---- */

static void on_sock(void *arg, int fd, uint32_t events);
static void on_proc(void *arg, int fd, uint32_t events);

static void watch(struct api_sess *s, int fd, uint32_t *cur, uint32_t want, k1s_fd_fn fn)
{
	if (fd < 0 || *cur == want)
		return;
	if (*cur)
		k1s_loop_del_fd(s->api->loop, fd);
	*cur = 0;
	if (want && k1s_loop_add_fd(s->api->loop, fd, want, fn, s) == 0)
		*cur = want;
}

static void close_fd(struct api_sess *s, int *fd, uint32_t *cur)
{
	if (*fd < 0)
		return;
	if (*cur)
		k1s_loop_del_fd(s->api->loop, *fd);
	*cur = 0;
	close(*fd);
	*fd = -1;
}

/* ---- lifetime ---- */

static void sess_free(struct api_sess *s, bool run_daemon)
{
	struct api *api = s->api;

	if (s->timer)
		k1s_loop_cancel(api->loop, s->timer);
	if (s->exit)
		s->exit->s = NULL;
	api_pf_free(s->pf);
	close_fd(s, &s->io.in_fd, &s->ev_in);
	close_fd(s, &s->io.out_fd, &s->ev_out);
	close_fd(s, &s->io.err_fd, &s->ev_err);
	if (s->upgraded) {
		if (s->ev_sock)
			k1s_loop_del_fd(api->loop, s->sock);
		MHD_upgrade_action(s->urh, MHD_UPGRADE_ACTION_CLOSE);
	}
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	for (char **a = s->argv; a && *a; a++)
		free(*a);
	free(s->argv);
	api_ws_rx_free(&s->rx);
	free(s->rbuf);
	free(s->wbuf);
	free(s->ibuf);
	free(s);
	/* The daemon releases the upgraded connection on its next run. */
	if (run_daemon)
		api_serve(api);
}

static void on_timer(void *arg)
{
	struct api_sess *s = arg;

	s->timer = NULL;
	if (s->lingering) {
		/* The peer did not answer our Close in time. */
		sess_free(s, true);
		return;
	}
	/* The process ended but something holds its output open. */
	s->out_eof = s->err_eof = true;
	sess_pump(s);
}

static void set_timer(struct api_sess *s, int ms)
{
	if (s->timer)
		k1s_loop_cancel(s->api->loop, s->timer);
	s->timer = k1s_loop_timer(s->api->loop, ms, on_timer, s);
}

static void on_exit_cb(void *arg, int wstatus)
{
	struct sess_exit *e = arg;
	struct api_sess *s = e->s;

	free(e);
	if (!s)
		return;
	s->exit = NULL;
	s->exited = true;
	s->wstatus = wstatus;
	if (!s->out_eof || !s->err_eof)
		set_timer(s, SESS_DRAIN_MS);
	sess_pump(s);
}

/* ---- the final Status on channel 3 ---- */

static void send_status(struct api_sess *s)
{
	json_t *st;
	char *txt;
	int code = 0;

	if (s->fail[0]) {
		st = json_pack("{s:{},s:s,s:s,s:s,s:i}", "metadata", "status", "Failure", "message",
			       s->fail, "reason", "InternalError", "code", 500);
	} else {
		if (s->kind == SESS_EXEC && WIFEXITED(s->wstatus))
			code = WEXITSTATUS(s->wstatus);
		else if (s->kind == SESS_EXEC && WIFSIGNALED(s->wstatus))
			code = 128 + WTERMSIG(s->wstatus);
		if (code == 0) {
			st = json_pack("{s:{},s:s}", "metadata", "status", "Success");
		} else {
			/* kubelet's words; kubectl exits with the ExitCode cause. */
			char msg[1024], cmd[512] = "", num[16];
			size_t n = 0;

			for (char **a = s->argv; a && *a && n < sizeof(cmd); a++)
				n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s%s",
						      a == s->argv ? "" : " ", *a);
			snprintf(msg, sizeof(msg),
				 "command terminated with non-zero exit code: error executing "
				 "command [%s], exit code %d",
				 cmd, code);
			snprintf(num, sizeof(num), "%d", code);
			st = json_pack("{s:{},s:s,s:s,s:s,s:{s:[{s:s,s:s}]}}", "metadata",
				       "status", "Failure", "message", msg, "reason",
				       "NonZeroExitCode", "details", "causes", "reason",
				       "ExitCode", "message", num);
		}
	}
	txt = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	if (txt)
		queue_frame(s, API_WS_BINARY, CH_STATUS, txt, strlen(txt));
	free(txt);
	s->status_sent = true;
}

/* ---- the process side ---- */

static void read_proc(struct api_sess *s, int *fd, uint32_t *cur, bool *eof, int ch, bool want)
{
	uint8_t buf[32768];
	ssize_t n;

	for (int i = 0; i < 4 && *fd >= 0; i++) {
		n = read(*fd, buf, sizeof(buf));
		if (n > 0) {
			if (want)
				queue_frame(s, API_WS_BINARY, ch, buf, (size_t)n);
			if (s->wlen - s->woff >= SESS_HIGH_WATER)
				return;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EOF, or EIO from a terminal whose last process is gone. */
		*eof = true;
		close_fd(s, fd, cur);
		return;
	}
}

static void write_stdin(struct api_sess *s)
{
	while (s->io.in_fd >= 0 && s->ioff < s->ilen) {
		ssize_t n = write(s->io.in_fd, s->ibuf + s->ioff, s->ilen - s->ioff);

		if (n > 0) {
			s->ioff += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* The process closed its stdin: drop what it will not read. */
		s->ilen = s->ioff = 0;
		s->in_close = true;
		break;
	}
	if (s->ioff == s->ilen)
		s->ioff = s->ilen = 0;
	/* A terminal has no half-close: the input just stops. */
	if (s->in_close && s->ilen == 0 && s->io.in_fd >= 0 && !s->tty)
		close_fd(s, &s->io.in_fd, &s->ev_in);
}

static void on_proc(void *arg, int fd, uint32_t events)
{
	struct api_sess *s = arg;

	if (fd == s->io.out_fd && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		read_proc(s, &s->io.out_fd, &s->ev_out, &s->out_eof, CH_STDOUT, s->want_out);
	if (fd == s->io.err_fd && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		read_proc(s, &s->io.err_fd, &s->ev_err, &s->err_eof, CH_STDERR, s->want_err);
	if (fd == s->io.in_fd && (events & (EPOLLOUT | EPOLLERR)))
		write_stdin(s);
	sess_pump(s);
}

/* ---- the client side ---- */

static void on_resize(struct api_sess *s, const uint8_t *p, size_t n)
{
	json_t *j = json_loadb((const char *)p, n, 0, NULL);
	json_int_t w = json_integer_value(json_object_get(j, "Width"));
	json_int_t h = json_integer_value(json_object_get(j, "Height"));

	json_decref(j);
	if (s->tty && s->io.out_fd >= 0 && w > 0 && h > 0 && w <= 65535 && h <= 65535)
		pod_resize(s->io.out_fd, (unsigned short)w, (unsigned short)h);
}

static int on_msg(void *arg, uint8_t op, const uint8_t *data, size_t len)
{
	struct api_sess *s = arg;

	switch (op) {
	case API_WS_PING:
		/* kubectl's heartbeat: without the Pong it gives up at 61 s. */
		if (!s->close_sent)
			queue_frame(s, API_WS_PONG, -1, data, len);
		return 0;
	case API_WS_PONG:
		return 0;
	case API_WS_CLOSE:
		s->close_rcvd = true;
		if (!s->close_sent) {
			uint16_t code = len >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 1000;

			queue_close(s, code == 1005 || code == 1006 ? 1000 : code);
		}
		return 1;
	default:
		break;
	}
	if (len == 0 || s->close_sent)
		return 0;
	if (s->kind == SESS_PORTFWD) {
		if (api_pf_input(s->pf, data, len) < 0) {
			queue_close(s, API_WS_PROTOCOL_ERROR);
			s->close_rcvd = true;
			return 1;
		}
		return 0;
	}
	switch (data[0]) {
	case CH_STDIN:
		if (s->io.in_fd >= 0 && !s->in_close && len > 1 &&
		    buf_put(&s->ibuf, &s->ioff, &s->ilen, &s->icap, data + 1, len - 1) < 0)
			s->dead = true;
		write_stdin(s);
		break;
	case CH_RESIZE:
		on_resize(s, data + 1, len - 1);
		break;
	case CH_CLOSE:
		if (s->proto >= 5 && len >= 2 && data[1] == CH_STDIN) {
			s->in_close = true;
			write_stdin(s);
		}
		break;
	default:
		break;
	}
	return 0;
}

static void read_sock(struct api_sess *s)
{
	size_t cap = API_WS_MAX_MSG + 64;

	if (!s->rbuf) {
		s->rbuf = malloc(cap);
		if (!s->rbuf) {
			s->dead = true;
			return;
		}
		s->rcap = cap;
	}
	for (;;) {
		ssize_t n;
		size_t used = 0;
		uint16_t code = 0;
		int r;

		if (s->rlen < s->rcap) {
			n = recv(s->sock, s->rbuf + s->rlen, s->rcap - s->rlen, MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				/* The peer is gone: nothing more can be sent either. */
				s->dead = true;
				return;
			}
			if (n < 0)
				n = 0;
			s->rlen += (size_t)n;
		} else {
			n = 0;
		}
		if (!s->ws) {
			/* Raw SPDY: every byte is the port-forward's. */
			r = api_pf_input(s->pf, s->rbuf, s->rlen);
			s->rlen = 0;
			if (r < 0) {
				queue_close(s, 0);
				return;
			}
			if (n == 0 || api_pf_busy(s->pf))
				return;
			continue;
		}
		r = api_ws_rx_feed(&s->rx, s->rbuf, s->rlen, &used, on_msg, s, &code);
		memmove(s->rbuf, s->rbuf + used, s->rlen - used);
		s->rlen -= used;
		if (r < 0) {
			queue_close(s, code);
			s->close_rcvd = true; /* no answer is awaited from a broken peer */
			return;
		}
		if (r > 0 || n == 0 || s->close_rcvd || s->ilen - s->ioff >= SESS_HIGH_WATER ||
		    (s->pf && api_pf_busy(s->pf)))
			return;
	}
}

static void write_sock(struct api_sess *s)
{
	while (s->woff < s->wlen) {
		ssize_t n = send(s->sock, s->wbuf + s->woff, s->wlen - s->woff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			s->woff += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		s->dead = true;
		return;
	}
	s->woff = s->wlen = 0;
}

static void on_sock(void *arg, int fd, uint32_t events)
{
	struct api_sess *s = arg;

	/* Bytes that came with the upgrade wait in rbuf: the first event,
	 * whatever it is, reads them. */
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || (s->rlen && !s->close_rcvd))
		read_sock(s);
	if (!s->dead && (events & EPOLLOUT))
		write_sock(s);
	sess_pump(s);
}

void api_sess_kick(struct api_sess *s)
{
	sess_pump(s);
}

/* Moves the session along after any event: finishes it when the process
 * is done, sends what is queued, and sets every fd's interest. */
static void sess_pump(struct api_sess *s)
{
	bool out_done = s->out_eof || s->io.out_fd < 0;
	bool err_done = s->err_eof || s->io.err_fd < 0;
	bool busy_out, busy_in;

	/* The daemon is not to be re-entered: the first socket event moves
	 * the session. */
	if (s->in_upgrade)
		return;
	if (s->dead) {
		sess_free(s, true);
		return;
	}
	if (s->close_rcvd && !s->close_sent)
		queue_close(s, API_WS_NORMAL);
	if (!s->close_sent && s->kind != SESS_PORTFWD &&
	    ((s->exited && out_done && err_done) || s->fail[0])) {
		if (!s->status_sent)
			send_status(s);
		queue_close(s, API_WS_NORMAL);
	}
	if (s->woff < s->wlen)
		write_sock(s);
	if (s->dead) {
		sess_free(s, true);
		return;
	}
	if (s->close_sent) {
		/* Done once the Close is out and the peer answered (or broke
		 * the rules, or takes too long). */
		if (s->woff == s->wlen && s->close_rcvd) {
			sess_free(s, true);
			return;
		}
		if (!s->lingering) {
			s->lingering = true;
			set_timer(s, SESS_LINGER_MS);
		}
	}
	busy_out = s->wlen - s->woff >= SESS_HIGH_WATER || s->close_sent;
	busy_in = s->ilen - s->ioff >= SESS_HIGH_WATER || (s->pf && api_pf_busy(s->pf));
	if (s->pf)
		api_pf_pump(s->pf, busy_out);
	watch(s, s->sock, &s->ev_sock,
	      (s->close_rcvd || busy_in ? 0 : EPOLLIN) | (s->woff < s->wlen ? EPOLLOUT : 0),
	      on_sock);
	watch(s, s->io.out_fd, &s->ev_out, busy_out ? 0 : EPOLLIN, on_proc);
	watch(s, s->io.err_fd, &s->ev_err, busy_out ? 0 : EPOLLIN, on_proc);
	watch(s, s->io.in_fd, &s->ev_in, s->ioff < s->ilen ? EPOLLOUT : 0, on_proc);
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *req_cls,
		       const char *extra_in, size_t extra_in_size, MHD_socket sock,
		       struct MHD_UpgradeResponseHandle *urh)
{
	struct api_sess *s = cls;
	int err = 0;

	s->upgraded = true;
	s->in_upgrade = true;
	s->sock = sock;
	s->urh = urh;
	fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK);
	if (s->kind == SESS_PORTFWD) {
		s->pf = api_pf_new(s, s->api->loop, s->rt, s->ns, s->pod);
		if (!s->pf)
			s->dead = true;
		err = 1;
	} else {
		s->exit = calloc(1, sizeof(*s->exit));
	}
	if (err == 1) {
		err = 0;
	} else if (!s->exit) {
		snprintf(s->fail, sizeof(s->fail), "out of memory");
		err = -ENOMEM;
	} else {
		s->exit->s = s;
		if (s->kind == SESS_EXEC)
			err = s->rt ? pod_exec(s->rt, s->ns, s->pod, s->container, s->argv, s->tty,
					       s->want_in, on_exit_cb, s->exit, &s->io)
				    : -ENOSYS;
		else
			err = s->rt ? pod_attach(s->rt, s->ns, s->pod, s->container, on_exit_cb,
						 s->exit, &s->io)
				    : -ENOSYS;
		if (err < 0) {
			free(s->exit);
			s->exit = NULL;
			s->io.in_fd = s->io.out_fd = s->io.err_fd = -1;
			snprintf(s->fail, sizeof(s->fail), "%s in container \"%s\" of pod \"%s\": %s",
				 s->kind == SESS_EXEC ? "exec" : "attach", s->container, s->pod,
				 strerror(-err));
		}
	}
	if (err == 0) {
		s->started = true;
		/* One registration per fd: the same fd twice is one stream. */
		if (s->tty || s->io.err_fd == s->io.out_fd) {
			if (s->io.err_fd >= 0 && s->io.err_fd != s->io.out_fd)
				close(s->io.err_fd);
			s->io.err_fd = -1;
		}
		if (s->io.in_fd >= 0 && s->io.in_fd == s->io.out_fd)
			s->io.in_fd = fcntl(s->io.out_fd, F_DUPFD_CLOEXEC, 0);
		/* Without a terminal, a stdin not asked for is closed now. */
		if (!s->want_in && s->io.in_fd >= 0 && s->io.in_fd != s->io.out_fd) {
			close(s->io.in_fd);
			s->io.in_fd = -1;
		}
		k1s_debug("api", "%s %s/%s -c %s: started", s->kind == SESS_EXEC ? "exec" : "attach",
			  s->ns, s->pod, s->container);
	} else {
		k1s_warn("api", "%s", s->fail);
	}
	if (extra_in_size) {
		s->rbuf = malloc(API_WS_MAX_MSG + 64);
		if (s->rbuf && extra_in_size <= API_WS_MAX_MSG + 64) {
			s->rcap = API_WS_MAX_MSG + 64;
			memcpy(s->rbuf, extra_in, extra_in_size);
			s->rlen = extra_in_size;
		} else {
			s->dead = true;
		}
	}
	/* Everything else happens in loop callbacks, outside the daemon: the
	 * socket is writable now, and its first event moves the session. */
	if (k1s_loop_add_fd(s->api->loop, s->sock, EPOLLIN | EPOLLOUT, on_sock, s) == 0)
		s->ev_sock = EPOLLIN | EPOLLOUT;
	else
		s->dead = true; /* freed below at the next event: close from here */
	if (s->dead) {
		/* Freed from the loop, outside the daemon. */
		s->dead = false;
		s->close_sent = s->close_rcvd = s->lingering = true;
		set_timer(s, 0);
	}
	s->in_upgrade = false;
}

/* ---- the request ---- */

static int reply(struct api_req *req, int code, const char *reason, const char *msg)
{
	return api_reply_status(req, api_status(code, reason, msg, NULL));
}

/* Whether a comma-separated header value holds `token`. */
static bool has_token(const char *v, const char *token)
{
	size_t tl = strlen(token);

	while (v && *v) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		const char *e = v;

		while (*e && *e != ',')
			e++;
		const char *t = e;

		while (t > v && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if ((size_t)(t - v) == tl && strncasecmp(v, token, tl) == 0)
			return true;
		v = e;
	}
	return false;
}

/* The container a request names, or the default one: the annotation
 * kubectl.kubernetes.io/default-container, else the first container.
 * 0, or a Status in *status. */
static int pick_container(const json_t *pod, const char *name, const char *want, char *out,
			  size_t len, json_t **status)
{
	static const char *const lists[] = {"spec.containers", "spec.initContainers",
					    "spec.ephemeralContainers"};
	const char *def = json_string_value(json_object_get(
	    k1s_json_path(pod, "metadata.annotations"), "kubectl.kubernetes.io/default-container"));
	char msg[1024];
	size_t i;
	json_t *c;

	if (!want || !*want) {
		want = NULL;
		json_array_foreach(k1s_json_path(pod, "spec.containers"), i, c) {
			const char *n = json_string_value(json_object_get(c, "name"));

			if (n && def && strcmp(n, def) == 0)
				want = n;
		}
		if (!want)
			want = json_string_value(
			    json_object_get(json_array_get(k1s_json_path(pod, "spec.containers"), 0),
					    "name"));
		if (!want) {
			snprintf(msg, sizeof(msg), "a container name must be specified for pod %s",
				 name);
			*status = api_status(400, "BadRequest", msg, NULL);
			return -EINVAL;
		}
		snprintf(out, len, "%s", want);
		return 0;
	}
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		json_array_foreach(k1s_json_path(pod, lists[l]), i, c) {
			const char *n = json_string_value(json_object_get(c, "name"));

			if (n && strcmp(n, want) == 0) {
				snprintf(out, len, "%s", want);
				return 0;
			}
		}
	}
	snprintf(msg, sizeof(msg), "container %s is not valid for pod %s", want, name);
	*status = api_status(400, "BadRequest", msg, NULL);
	return -EINVAL;
}

/* Whether the container runs, else a Status saying why not. */
static int check_running(struct pod_rt *rt, const char *ns, const char *pod, const char *c,
			 json_t **status)
{
	const char *reason = NULL;
	char path[4096], msg[1024];
	int err;

	if (rt && pod_running(rt, ns, pod, c))
		return 0;
	err = rt ? pod_log_path(rt, ns, pod, c, false, path, sizeof(path), &reason) : -EAGAIN;
	if (err == -EAGAIN || err == -ENAMETOOLONG || !rt)
		snprintf(msg, sizeof(msg), "container \"%s\" in pod \"%s\" is waiting to start: %s",
			 c, pod, reason ? reason : "ContainerCreating");
	else
		snprintf(msg, sizeof(msg), "container \"%s\" in pod \"%s\" is not running", c,
			 pod);
	*status = api_status(400, "BadRequest", msg, NULL);
	return -EAGAIN;
}

static int handle_log(struct api_req *req, const struct api_path *p, const json_t *pod,
		      struct pod_rt *rt)
{
	const char *reason = NULL;
	bool previous = api_arg_bool(req, "previous");
	char c[256], path[4096], msg[1024];
	json_t *status;
	int err;

	if (pick_container(pod, p->name, api_arg(req, "container"), c, sizeof(c), &status) < 0)
		return api_reply_status(req, status);
	err = rt ? pod_log_path(rt, p->ns, p->name, c, previous, path, sizeof(path), &reason)
		 : -EAGAIN;
	if (err == -EAGAIN) {
		snprintf(msg, sizeof(msg), "container \"%s\" in pod \"%s\" is waiting to start: %s",
			 c, p->name, reason ? reason : "ContainerCreating");
		return reply(req, 400, "BadRequest", msg);
	}
	if (err < 0 && previous) {
		snprintf(msg, sizeof(msg), "previous terminated container \"%s\" in pod \"%s\" not "
			 "found", c, p->name);
		return reply(req, 400, "BadRequest", msg);
	}
	if (err < 0) {
		snprintf(msg, sizeof(msg), "container \"%s\" in pod \"%s\" has no log: %s", c,
			 p->name, strerror(-err));
		return reply(req, 400, "BadRequest", msg);
	}
	return api_log_start(req, p->ns, p->name, c, path, rt);
}

struct argv_ctx {
	char **argv;
	size_t n;
	bool oom;
};

static enum MHD_Result collect_command(void *cls, enum MHD_ValueKind kind, const char *key,
				       const char *value)
{
	struct argv_ctx *a = cls;
	char **v;

	if (strcmp(key, "command") != 0)
		return MHD_YES;
	v = realloc(a->argv, (a->n + 2) * sizeof(*v));
	if (!v) {
		a->oom = true;
		return MHD_NO;
	}
	a->argv = v;
	a->argv[a->n] = strdup(value ? value : "");
	if (!a->argv[a->n]) {
		a->oom = true;
		return MHD_NO;
	}
	a->argv[++a->n] = NULL;
	return MHD_YES;
}


/* Drops the sessions whose 101 never reached the client. */
static void sweep_pending(struct api *api)
{
	int64_t now = k1s_now_ms();

	for (struct api_sess *s = api->sessions, *n; s; s = n) {
		n = s->next;
		if (!s->upgraded && now - s->created_ms > SESS_PENDING_MS)
			sess_free(s, false);
	}
}

static struct api_sess *sess_new(struct api *api, struct pod_rt *rt, enum sess_kind kind,
				 const struct api_path *p)
{
	struct api_sess *s;

	sweep_pending(api);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->api = api;
	s->rt = rt;
	s->kind = kind;
	s->ws = true;
	s->created_ms = k1s_now_ms();
	s->sock = -1;
	s->io.in_fd = s->io.out_fd = s->io.err_fd = -1;
	s->io.pid = -1;
	s->rx.want_mask = true;
	snprintf(s->ns, sizeof(s->ns), "%s", p->ns);
	snprintf(s->pod, sizeof(s->pod), "%s", p->name);
	s->next = api->sessions;
	if (s->next)
		s->next->pprev = &s->next;
	s->pprev = &api->sessions;
	api->sessions = s;
	return s;
}

#define PF_WS_PROTO "SPDY/3.1+portforward.k8s.io"
#define PF_PROTO "portforward.k8s.io"

/* kubectl port-forward: SPDY inside WebSocket (1.31+), or plain SPDY. */
static int handle_portforward(struct api_req *req, const struct api_path *p,
			      struct pod_rt *rt)
{
	struct api *api = req->api;
	const char *upgrade = api_header(req, "Upgrade");
	const char *key = api_header(req, "Sec-WebSocket-Key");
	const char *ver = api_header(req, "Sec-WebSocket-Version");
	const char *xsp = api_header(req, "X-Stream-Protocol-Version");
	bool ws = upgrade && has_token(upgrade, "websocket");
	struct MHD_Response *resp;
	struct api_sess *s;
	char accept[29], msg[512];
	int ret;

	if (!rt) {
		snprintf(msg, sizeof(msg), "pod %s is not running", p->name);
		return reply(req, 400, "BadRequest", msg);
	}
	if (ws) {
		if (!has_token(api_header(req, "Connection"), "upgrade") || !ver ||
		    strcmp(ver, "13") != 0 || api_ws_accept(key, accept) < 0)
			return reply(req, 400, "BadRequest",
				     "invalid WebSocket handshake: expected Connection: Upgrade, "
				     "Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key");
		if (!has_token(api_header(req, "Sec-WebSocket-Protocol"), PF_WS_PROTO))
			return reply(req, 400, "BadRequest",
				     "no supported subprotocol: k1s speaks " PF_WS_PROTO);
	} else if (!upgrade || !has_token(upgrade, "SPDY/3.1") || !has_token(xsp, PF_PROTO)) {
		return reply(req, 400, "BadRequest",
			     "Upgrade request required: port-forward speaks SPDY/3.1 (" PF_PROTO
			     "), alone or inside WebSocket (" PF_WS_PROTO ")");
	}
	if (!api->loop)
		return reply(req, 503, "ServiceUnavailable", "streaming is not available");
	s = sess_new(api, rt, SESS_PORTFWD, p);
	if (!s)
		return MHD_NO;
	s->ws = ws;
	resp = MHD_create_response_for_upgrade(on_upgrade, s);
	if (!resp) {
		sess_free(s, false);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Connection", "Upgrade");
	if (ws) {
		MHD_add_response_header(resp, "Upgrade", "websocket");
		MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
		MHD_add_response_header(resp, "Sec-WebSocket-Protocol", PF_WS_PROTO);
	} else {
		MHD_add_response_header(resp, "Upgrade", "SPDY/3.1");
		MHD_add_response_header(resp, "X-Stream-Protocol-Version", PF_PROTO);
	}
	ret = api_queue(req, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	return ret;
}

static int handle_session(struct api_req *req, const struct api_path *p, const json_t *pod,
			  struct pod_rt *rt, enum sess_kind kind)
{
	struct api *api = req->api;
	const char *upgrade = api_header(req, "Upgrade");
	const char *protos = api_header(req, "Sec-WebSocket-Protocol");
	const char *key = api_header(req, "Sec-WebSocket-Key");
	const char *ver = api_header(req, "Sec-WebSocket-Version");
	struct argv_ctx args = {0};
	struct MHD_Response *resp;
	struct api_sess *s;
	char c[256], accept[29];
	json_t *status;
	int proto, ret;

	if (pick_container(pod, p->name, api_arg(req, "container"), c, sizeof(c), &status) < 0)
		return api_reply_status(req, status);
	if (kind == SESS_EXEC) {
		MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_command, &args);
		if (args.oom)
			goto oom;
		if (!args.n) {
			free(args.argv);
			return reply(req, 400, "BadRequest",
				     "you must specify at least one command for the container");
		}
	}
	if (!api_arg_bool(req, "stdin") && !api_arg_bool(req, "stdout") && !api_arg_bool(req, "stderr")) {
		ret = reply(req, 400, "BadRequest",
			    "you must specify at least one of stdin, stdout, stderr");
		goto out;
	}
	if (check_running(rt, p->ns, p->name, c, &status) < 0) {
		ret = api_reply_status(req, status);
		goto out;
	}
	if (!upgrade || !has_token(upgrade, "websocket")) {
		/* kubectl's fallback after a failed WebSocket: SPDY/3.1. */
		ret = reply(req, 400, "BadRequest",
			    "Upgrade request required: k1s speaks WebSocket (v5.channel.k8s.io)");
		goto out;
	}
	if (!has_token(api_header(req, "Connection"), "upgrade") || !ver ||
	    strcmp(ver, "13") != 0 || api_ws_accept(key, accept) < 0) {
		ret = reply(req, 400, "BadRequest",
			    "invalid WebSocket handshake: expected Connection: Upgrade, "
			    "Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key");
		goto out;
	}
	if (has_token(protos, "v5.channel.k8s.io"))
		proto = 5;
	else if (has_token(protos, "v4.channel.k8s.io"))
		proto = 4;
	else {
		ret = reply(req, 400, "BadRequest",
			    "no supported subprotocol: k1s speaks v5.channel.k8s.io and "
			    "v4.channel.k8s.io");
		goto out;
	}
	if (!api->loop) {
		ret = reply(req, 503, "ServiceUnavailable", "streaming is not available");
		goto out;
	}
	s = sess_new(api, rt, kind, p);
	if (!s)
		goto oom;
	s->proto = proto;
	snprintf(s->container, sizeof(s->container), "%s", c);
	s->argv = args.argv;
	s->tty = api_arg_bool(req, "tty");
	s->want_in = api_arg_bool(req, "stdin");
	s->want_out = api_arg_bool(req, "stdout");
	/* With a terminal there is no separate stderr: channel 2 stays silent. */
	s->want_err = api_arg_bool(req, "stderr") && !s->tty;
	s->err_eof = s->tty;

	resp = MHD_create_response_for_upgrade(on_upgrade, s);
	if (!resp) {
		sess_free(s, false);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Upgrade", "websocket");
	MHD_add_response_header(resp, "Connection", "Upgrade");
	MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
	MHD_add_response_header(resp, "Sec-WebSocket-Protocol",
				proto == 5 ? "v5.channel.k8s.io" : "v4.channel.k8s.io");
	ret = api_queue(req, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	return ret;
oom:
	ret = MHD_NO;
out:
	for (size_t i = 0; i < args.n; i++)
		free(args.argv[i]);
	free(args.argv);
	return ret;
}

int api_stream_handle(struct api_req *req, const struct api_path *p, struct pod_rt *rt)
{
	const char *m = req->method;
	json_t *pod = NULL;
	int ret;

	if (strcmp(p->res->resource, "pods") != 0 || p->res->group[0] || !*p->name || !*p->ns)
		return reply(req, 404, "NotFound", "the server could not find the requested resource");
	if (strcmp(p->sub, "log") == 0 ? strcmp(m, "GET") != 0
				       : strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0)
		return reply(req, 405, "MethodNotAllowed",
			     "the server does not allow this method on the requested resource");
	if (st_get(req->api->st, "pods", p->ns, p->name, &pod) < 0)
		return api_reply_status(req, api_status_notfound(p->res, p->name));
	if (strcmp(p->sub, "log") == 0)
		ret = handle_log(req, p, pod, rt);
	else if (strcmp(p->sub, "exec") == 0)
		ret = handle_session(req, p, pod, rt, SESS_EXEC);
	else if (strcmp(p->sub, "attach") == 0)
		ret = handle_session(req, p, pod, rt, SESS_ATTACH);
	else if (strcmp(p->sub, "portforward") == 0)
		ret = handle_portforward(req, p, rt);
	else
		ret = reply(req, 404, "NotFound", "the server could not find the requested resource");
	json_decref(pod);
	return ret;
}

void api_stream_close_all(struct api *api)
{
	api_log_close_all(api);
	while (api->sessions)
		sess_free(api->sessions, false);
}
