/* GET pods/log: a container's log file as chunked text/plain, with the
 * record prefixes stripped (or turned into timestamps), filtered by
 * tailLines, sinceSeconds/sinceTime and limitBytes. With follow=true the
 * stream stays open while the container runs: at the end of the file the
 * connection is suspended and a 100 ms timer of the control loop resumes
 * it, so that nothing ever waits in the loop. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api_int.h"
#include "api_stream_int.h"
#include "k1s_log.h"
#include "k1s_loop.h"
#include "pod.h"

/* How often a followed log at its end is read again. */
#define LOG_POLL_MS 100
/* File bytes read per refill; bounds the memory of one stream. */
#define LOG_CHUNK 65536
/* A record longer than this is cut: the runtime writes P records well
 * below it. */
#define LOG_MAX_LINE (1u << 20)

struct api_log {
	struct api *api;
	struct MHD_Connection *conn;
	struct pod_rt *rt;
	struct api_log *next, **pprev;
	char ns[256], pod[256], container[256], path[4096];
	struct pod_log_reader *rd;
	bool follow, timestamps;
	bool suspended, finished;
	bool since;			/* drop records before since_sec.since_nsec */
	int64_t since_sec;
	long since_nsec;
	int64_t limit;			/* bytes left to send; -1 = no limit */
	struct k1s_timer *timer;
	char *in;			/* file bytes not yet parsed: a partial record */
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
};

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int api_log_parse_time(const char *s, size_t len, int64_t *sec, long *nsec)
{
	struct tm tm = {0};
	size_t i = 19;
	long ns = 0;
	int off = 0;

	/* 2006-01-02T15:04:05 */
	if (len < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) ||
	    s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
		return -EINVAL;
	tm.tm_year = num(s, 4) - 1900;
	tm.tm_mon = num(s + 5, 2) - 1;
	tm.tm_mday = num(s + 8, 2);
	tm.tm_hour = num(s + 11, 2);
	tm.tm_min = num(s + 14, 2);
	tm.tm_sec = num(s + 17, 2);
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	if (s[i] == '.') {
		size_t d = 0;

		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, d++)
			if (d < 9)
				ns = ns * 10 + (s[i] - '0');
		if (d == 0)
			return -EINVAL;
		for (; d < 9; d++)
			ns *= 10;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 <= len && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) &&
		   s[i + 3] == ':' && digits(s + i + 4, 2)) {
		off = num(s + i + 1, 2) * 3600 + num(s + i + 4, 2) * 60;
		if (s[i] == '-')
			off = -off;
		i += 6;
	} else {
		return -EINVAL;
	}
	if (i != len)
		return -EINVAL;
	*sec = (int64_t)timegm(&tm) - off;
	*nsec = ns;
	return 0;
}

int api_log_parse(const char *line, size_t len, struct api_log_rec *rec)
{
	const char *sp = memchr(line, ' ', len), *p;
	size_t rest;

	if (!sp || api_log_parse_time(line, (size_t)(sp - line), &rec->sec, &rec->nsec) < 0)
		return -EINVAL;
	p = sp + 1;
	rest = len - (size_t)(p - line);
	if (rest >= 7 && memcmp(p, "stdout ", 7) == 0) {
		rec->err = false;
	} else if (rest >= 7 && memcmp(p, "stderr ", 7) == 0) {
		rec->err = true;
	} else {
		return -EINVAL;
	}
	p += 7;
	rest -= 7;
	/* The tag, then one space before the text (absent when it is empty). */
	if (rest < 1 || (*p != 'F' && *p != 'P') || (rest > 1 && p[1] != ' '))
		return -EINVAL;
	rec->partial = *p == 'P';
	rec->text = rest > 1 ? p + 2 : p + 1;
	rec->text_len = rest > 1 ? rest - 2 : 0;
	return 0;
}

static void out(struct api_log *l, const char *s, size_t n)
{
	if (l->limit >= 0 && (int64_t)n > l->limit)
		n = (size_t)l->limit;
	if (!n)
		return;
	if (l->out_off == l->out_len)
		l->out_off = l->out_len = 0;
	if (l->out_len + n > l->out_cap) {
		size_t cap = (l->out_len + n) * 2;
		char *b = realloc(l->out, cap);

		if (!b)
			return;
		l->out = b;
		l->out_cap = cap;
	}
	memcpy(l->out + l->out_len, s, n);
	l->out_len += n;
	if (l->limit >= 0) {
		l->limit -= (int64_t)n;
		if (l->limit == 0)
			l->finished = true;
	}
}

/* One record of the file to the output. */
static void emit(struct api_log *l, const char *line, size_t len)
{
	struct api_log_rec rec;

	if (api_log_parse(line, len, &rec) < 0) {
		/* Not a record: a file written by hand; show it as it is. */
		out(l, line, len);
		out(l, "\n", 1);
		return;
	}
	if (l->since && (rec.sec < l->since_sec ||
			 (rec.sec == l->since_sec && rec.nsec < l->since_nsec)))
		return;
	if (l->timestamps) {
		/* kubelet's fixed-width RFC 3339 with nanoseconds. */
		char ts[64];
		struct tm tm;
		time_t t = (time_t)rec.sec;

		gmtime_r(&t, &tm);
		size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

		n += (size_t)snprintf(ts + n, sizeof(ts) - n, ".%09ldZ ", rec.nsec);
		out(l, ts, n);
	}
	out(l, rec.text, rec.text_len);
	if (!rec.partial)
		out(l, "\n", 1);
}

/* Reads more of the file and turns its whole records into output. The
 * number of bytes read, 0 at the end, or a negative errno. */
static ssize_t refill(struct api_log *l)
{
	ssize_t n;
	size_t start = 0;

	if (l->in_len + LOG_CHUNK > l->in_cap) {
		size_t cap = l->in_len + LOG_CHUNK;
		char *b = realloc(l->in, cap);

		if (!b)
			return -ENOMEM;
		l->in = b;
		l->in_cap = cap;
	}
	n = pod_log_reader_read(l->rd, l->in + l->in_len, LOG_CHUNK);
	if (n <= 0)
		return n;
	l->in_len += (size_t)n;
	for (size_t i = 0; i < l->in_len && !l->finished; i++) {
		if (l->in[i] != '\n')
			continue;
		emit(l, l->in + start, i - start);
		start = i + 1;
	}
	if (start == 0 && l->in_len >= LOG_MAX_LINE) {
		emit(l, l->in, l->in_len);
		start = l->in_len;
	}
	memmove(l->in, l->in + start, l->in_len - start);
	l->in_len -= start;
	return n;
}

/* Whether a followed log has no more to come: the container's run ended,
 * or a new run writes another file. */
static bool run_over(struct api_log *l)
{
	char path[sizeof(l->path)];
	const char *reason;

	if (!l->rt || !pod_running(l->rt, l->ns, l->pod, l->container))
		return true;
	if (pod_log_path(l->rt, l->ns, l->pod, l->container, false, path, sizeof(path),
			 &reason) < 0)
		return true;
	return strcmp(path, l->path) != 0;
}

static void on_tick(void *arg)
{
	struct api_log *l = arg;

	l->timer = NULL;
	if (l->suspended) {
		l->suspended = false;
		MHD_resume_connection(l->conn);
		/* Timers run outside the daemon: let it send now. */
		api_serve(l->api);
	}
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct api_log *l = cls;

	for (;;) {
		if (l->out_off < l->out_len) {
			size_t n = l->out_len - l->out_off < max ? l->out_len - l->out_off : max;

			memcpy(buf, l->out + l->out_off, n);
			l->out_off += n;
			return (ssize_t)n;
		}
		if (l->finished)
			return MHD_CONTENT_READER_END_OF_STREAM;
		/* Ask before reading: a run that was over before the read has
		 * all its records in the file by then. */
		bool over = l->follow && run_over(l);
		ssize_t n = refill(l);

		if (n < 0) {
			k1s_warn("api", "reading %s: %s", l->path, strerror((int)-n));
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		/* A run that is over may have rotated since the last look:
		 * its last records are in the live file. */
		if (n > 0 || (l->follow && pod_log_reader_next(l->rd)))
			continue;
		if (!l->follow || over || !l->api->loop) {
			l->finished = true;
			continue;
		}
		l->timer = k1s_loop_timer(l->api->loop, LOG_POLL_MS, on_tick, l);
		if (!l->timer)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		l->suspended = true;
		MHD_suspend_connection(l->conn);
		return 0;
	}
}

static void log_free(void *cls)
{
	struct api_log *l = cls;

	if (l->timer)
		k1s_loop_cancel(l->api->loop, l->timer);
	*l->pprev = l->next;
	if (l->next)
		l->next->pprev = l->pprev;
	pod_log_reader_close(l->rd);
	free(l->in);
	free(l->out);
	free(l);
}

/* The file offset of the last n records (lines) of fd. */
static off_t tail_offset(int fd, int64_t n)
{
	char buf[8192];
	struct stat st;
	off_t end, pos;
	int64_t seen = 0;

	if (fstat(fd, &st) < 0)
		return 0;
	end = st.st_size;
	/* A record being written (no newline yet) is not one of them. */
	if (end > 0 && pread(fd, buf, 1, end - 1) == 1 && buf[0] != '\n') {
		for (pos = end; pos > 0;) {
			size_t len = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
			bool found = false;

			pos -= (off_t)len;
			if (pread(fd, buf, len, pos) != (ssize_t)len)
				return 0;
			for (size_t i = len; i > 0; i--) {
				if (buf[i - 1] == '\n') {
					end = pos + (off_t)i;
					found = true;
					break;
				}
			}
			if (found)
				break;
			if (pos == 0)
				end = 0;
		}
	}
	if (n == 0)
		return end;
	/* Count newlines back from the end: the (n+1)th one ends the record
	 * before the first one wanted. */
	for (pos = end; pos > 0;) {
		size_t len = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;

		pos -= (off_t)len;
		if (pread(fd, buf, len, pos) != (ssize_t)len)
			return 0;
		for (size_t i = len; i > 0; i--) {
			if (buf[i - 1] != '\n')
				continue;
			if (++seen == n + 1)
				return pos + (off_t)i;
		}
	}
	return 0;
}

static int bad_request(struct api_req *req, const char *msg)
{
	return api_reply_status(req, api_status(400, "BadRequest", msg, NULL));
}

/* A PodLogOptions integer: -1 when absent, -2 when negative. One that
 * does not parse sets *status (the first one only: decoding stops there). */
static int64_t int_arg(struct api_req *req, const char *name, json_t **status)
{
	int64_t n;
	int r;

	if (*status)
		return -1;
	r = api_arg_int64(req, name, &n, status);
	if (r <= 0)
		return -1;
	return n < 0 ? -2 : n;
}

int api_log_start(struct api_req *req, const char *ns, const char *pod, const char *container,
		  const char *path, struct pod_rt *rt)
{
	struct api *api = req->api;
	/* In PodLogOptions' field order, as its conversion decodes them. */
	json_t *status = NULL;
	int64_t since = int_arg(req, "sinceSeconds", &status);
	int64_t tail = int_arg(req, "tailLines", &status);
	int64_t limit = int_arg(req, "limitBytes", &status);
	const char *since_time = api_arg(req, "sinceTime");
	struct MHD_Response *resp;
	struct api_log *l;
	char msg[256];
	int ret;

	if (status)
		return api_reply_status(req, status);
	if (tail == -2)
		return bad_request(req, "tailLines: Invalid value: must be greater than or "
					"equal to 0");
	if (limit == -2 || limit == 0)
		return bad_request(req, "limitBytes: Invalid value: must be greater than 0");
	if (since == -2 || since == 0)
		return bad_request(req, "sinceSeconds: Invalid value: must be greater than 0");
	if (since > 0 && since_time)
		return bad_request(req, "at most one of sinceTime or sinceSeconds may be "
					"specified");
	l = calloc(1, sizeof(*l));
	if (!l)
		return MHD_NO;
	if (since_time) {
		if (api_log_parse_time(since_time, strlen(since_time), &l->since_sec,
				       &l->since_nsec) < 0) {
			free(l);
			snprintf(msg, sizeof(msg), "sinceTime: Invalid value: \"%.100s\": not an "
				 "RFC 3339 time", since_time);
			return bad_request(req, msg);
		}
		l->since = true;
	} else if (since > 0) {
		l->since_sec = (int64_t)time(NULL) - since;
		l->since = true;
	}
	l->rd = pod_log_reader_open(path, &ret);
	if (!l->rd) {
		free(l);
		snprintf(msg, sizeof(msg), "container \"%s\" in pod \"%s\" has no log", container,
			 pod);
		return bad_request(req, msg);
	}
	l->api = api;
	l->conn = req->conn;
	l->rt = rt;
	snprintf(l->ns, sizeof(l->ns), "%s", ns);
	snprintf(l->pod, sizeof(l->pod), "%s", pod);
	snprintf(l->container, sizeof(l->container), "%s", container);
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->follow = api_arg_bool(req, "follow");
	l->timestamps = api_arg_bool(req, "timestamps");
	l->limit = limit > 0 ? limit : -1;
	if (tail >= 0)
		lseek(pod_log_reader_fd(l->rd), tail_offset(pod_log_reader_fd(l->rd), tail),
		      SEEK_SET);
	l->next = api->logs;
	if (l->next)
		l->next->pprev = &l->next;
	l->pprev = &api->logs;
	api->logs = l;

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, reader, l, log_free);
	if (!resp) {
		log_free(l);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/plain");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	ret = api_queue(req, 200, resp);
	return ret;
}

void api_log_close_all(struct api *api)
{
	for (struct api_log *l = api->logs; l; l = l->next) {
		l->finished = true;
		if (l->timer) {
			k1s_loop_cancel(api->loop, l->timer);
			l->timer = NULL;
		}
		if (l->suspended) {
			l->suspended = false;
			MHD_resume_connection(l->conn);
		}
	}
}
