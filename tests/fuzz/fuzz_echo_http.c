/* The echo app's HTTP/1 request parser, its chunked body decoder and its
 * JSON answer: whatever the bytes, a clean verdict, spans inside the head,
 * valid JSON, and a chunked body read the same in one piece or two. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "echo_int.h"

static char answer[256 * 1024];

/* A small limit, so that inputs reach it too. */
#define FUZZ_BODY_MAX 4096

/* Feeds body in one piece and then cut at cut: the same verdict. */
static void check_chunked(const char *body, size_t len, size_t cut)
{
	struct pod_echo_chunked one, two;
	ssize_t a, b, c = 0;

	pod_echo_chunked_init(&one, FUZZ_BODY_MAX);
	a = pod_echo_chunked_feed(&one, body, len);
	if (a != -EBADMSG && a != -EMSGSIZE && a != -EFBIG && (a < 0 || (size_t)a > len))
		abort();
	if (a >= 0 && !one.ck_done && (size_t)a != len)
		abort();
	if (one.ck_total > FUZZ_BODY_MAX)
		abort();
	pod_echo_chunked_init(&two, FUZZ_BODY_MAX);
	b = pod_echo_chunked_feed(&two, body, cut);
	if (b >= 0 && !two.ck_done)
		c = pod_echo_chunked_feed(&two, body + cut, len - cut);
	if (b < 0 ? b != a : c < 0 ? c != a : b + c != a)
		abort();
	if (one.ck_done != two.ck_done || one.ck_total != two.ck_total)
		abort();
	/* Done takes nothing more; an error repeats. */
	if (one.ck_done && pod_echo_chunked_feed(&one, "0\r\n\r\n", 5) != 0)
		abort();
	if (a < 0 && pod_echo_chunked_feed(&one, "0\r\n\r\n", 5) != a)
		abort();
}

static void check_span(const struct pod_echo_span *s, const char *buf, size_t n)
{
	if (s->len && (s->p < buf || s->p + s->len > buf + n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	static struct pod_echo_req req, again;
	struct pod_echo_info info = {
	    .pod = "p", .ns = "default", .port = 80, .remote = "10.244.0.5:41234", .body_bytes = 3};
	int sniff = pod_echo_http_sniff(buf, size), r, n;
	json_t *j;

	r = pod_echo_http_parse(buf, size, &req);
	if (r != -EAGAIN && r != -EBADMSG && r != -EMSGSIZE && r <= 0)
		abort();
	if (sniff < 0 && r != -EBADMSG)
		abort();
	if (r == -EAGAIN && size >= POD_ECHO_HEAD_MAX)
		abort();
	if (r <= 0)
		return 0;
	if (sniff != 1 || (size_t)r > size || r > POD_ECHO_HEAD_MAX)
		abort();
	check_span(&req.method, buf, (size_t)r);
	check_span(&req.target, buf, (size_t)r);
	check_span(&req.query, buf, (size_t)r);
	if (req.path.len != 1 || req.path.p[0] != '/')
		check_span(&req.path, buf, (size_t)r);
	for (size_t i = 0; i < req.nhdr; i++) {
		check_span(&req.name[i], buf, (size_t)r);
		check_span(&req.value[i], buf, (size_t)r);
	}
	if (req.chunked && req.content_length >= 0)
		abort();
	if (req.chunked && (!req.transfer_encoding || req.minor == 0))
		abort();
	/* The head alone parses the same; one byte less is incomplete. */
	if (pod_echo_http_parse(buf, (size_t)r, &again) != r ||
	    pod_echo_http_parse(buf, (size_t)r - 1, &again) != -EAGAIN)
		abort();
	n = pod_echo_http_json(&req, &info, answer, sizeof(answer));
	if (n <= 0 || answer[n - 1] != '\n' || answer[n] != '\0')
		abort();
	j = json_loadb(answer, (size_t)n, 0, NULL);
	if (!j)
		abort();
	if (!json_is_object(json_object_get(json_object_get(j, "request"), "headers")))
		abort();
	json_decref(j);
	if (req.chunked)
		check_chunked(buf + r, size - (size_t)r,
		              size > (size_t)r ? (unsigned char)buf[r] % (size - (size_t)r + 1)
		                               : 0);
	return 0;
}
