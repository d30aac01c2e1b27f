/* Streams of pods: logs, exec, attach and port-forward, and the WebSocket
 * framing they use. Shared inside apiserver/ only.
 *
 * Threading: everything here runs on the control loop's thread. */
#ifndef API_STREAM_INT_H
#define API_STREAM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct api;
struct api_req;
struct api_path;
struct k1s_loop;
struct pod_rt;

/* ---- api_stream.c: the entry point ---- */

/* Answers the pod subresources "log", "exec", "attach" and "portforward";
 * `rt` may be NULL (no runtime: no container ever starts). Returns an MHD
 * result like the other handlers. */
int api_stream_handle(struct api_req *req, const struct api_path *p, struct pod_rt *rt);
/* Ends every open stream (shutdown): log streams finish, sessions close.
 * Call before the daemon's last MHD_run(). */
void api_stream_close_all(struct api *api);

/* ---- api_ws.c: WebSocket framing (RFC 6455), no I/O ---- */

#define API_WS_TEXT 0x1
#define API_WS_BINARY 0x2
#define API_WS_CLOSE 0x8
#define API_WS_PING 0x9
#define API_WS_PONG 0xa

/* Close codes. */
#define API_WS_NORMAL 1000
#define API_WS_PROTOCOL_ERROR 1002
#define API_WS_TOO_BIG 1009

/* The largest message accepted from a client; kubectl sends stdin in
 * pieces of at most 32 KiB. */
#define API_WS_MAX_MSG (1u << 20)

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)).
 * 0, or -EINVAL for a key that is not 16 bytes in base64. */
int api_ws_accept(const char *key, char out[29]);

/* A frame header for `len` payload bytes: 2 to 14 bytes written to out.
 * With `mask` (4 bytes; clients only) the caller masks the payload with
 * api_ws_mask(). FIN is always set: k1s sends no fragments. */
size_t api_ws_header(uint8_t out[14], uint8_t opcode, uint64_t len, const uint8_t *mask);
/* XORs buf with the mask, starting at payload offset `off`. */
void api_ws_mask(uint8_t *buf, size_t len, const uint8_t mask[4], size_t off);

/* The reassembler of a peer's messages: frames in, whole messages out,
 * control frames (ping, pong, close) delivered as they come even between
 * the fragments of a message. */
struct api_ws_rx {
	bool want_mask;	 /* a server requires masked frames */
	size_t max;	 /* the message cap; 0 = API_WS_MAX_MSG */
	bool in_msg;	 /* a fragmented message is open */
	uint8_t msg_op;
	uint8_t *msg;
	size_t msg_len, msg_cap;
};

/* Called per whole message: opcode and unmasked payload (valid during the
 * call). A non-zero return stops the parse and is returned. */
typedef int (*api_ws_msg_fn)(void *arg, uint8_t opcode, const uint8_t *data, size_t len);

/* Consumes the whole frames at the start of buf; *used gets the bytes
 * consumed (a partial frame is left for the next call). 0, the callback's
 * non-zero return, or a negative errno with *close_code the code to close
 * with: -EPROTO (1002, malformed) or -EMSGSIZE (1009, over the cap). */
int api_ws_rx_feed(struct api_ws_rx *rx, const uint8_t *buf, size_t len, size_t *used,
		   api_ws_msg_fn fn, void *arg, uint16_t *close_code);
void api_ws_rx_free(struct api_ws_rx *rx);

/* ---- api_stream.c: what port-forward uses of its session ---- */

struct api_sess;
/* Queues bytes of the tunnelled protocol to the client (in a WebSocket
 * binary message, or raw on a SPDY upgrade). */
void api_sess_send(struct api_sess *s, const void *p, size_t n);
/* Moves the session along after an event of the port-forward side. The
 * session (and its api_pf) may be freed by the call. */
void api_sess_kick(struct api_sess *s);

/* ---- api_stream_pf.c: pods/portforward over SPDY/3.1 ---- */

/* One SPDY frame at the start of buf: its length, 0 if incomplete, or
 * -EPROTO / -EMSGSIZE. */
struct api_spdy_frame {
	bool control;
	uint16_t version, type;	/* control frames */
	uint32_t stream;	/* data frames */
	uint8_t flags;
	const uint8_t *data;
	size_t len;
};
int api_spdy_frame(const uint8_t *buf, size_t len, struct api_spdy_frame *f);
/* Walks an inflated SPDY/3 header block. 0 or -EPROTO. */
typedef void (*api_spdy_header_fn)(void *arg, const char *k, size_t kl, const char *v,
				   size_t vl);
int api_spdy_headers(const uint8_t *blk, size_t len, api_spdy_header_fn fn, void *arg);

/* The zlib dictionary of SPDY/3 header blocks. */
const uint8_t *api_spdy_dict(size_t *len);

struct api_pf;
struct api_pf *api_pf_new(struct api_sess *s, struct k1s_loop *loop, struct pod_rt *rt,
			  const char *ns, const char *pod);
void api_pf_free(struct api_pf *pf);
/* Bytes of the client's SPDY stream. 0, or a negative errno to end the
 * session with. */
int api_pf_input(struct api_pf *pf, const uint8_t *p, size_t n);
/* Sets the pod connections' interests; out_busy stops reading them. */
void api_pf_pump(struct api_pf *pf, bool out_busy);
/* Whether a pod connection has too much queued to take more input. */
bool api_pf_busy(const struct api_pf *pf);

/* ---- api_stream_log.c: pods/log ---- */

/* One record of a container log file (see pod_log_path() in pod.h):
 * `<RFC 3339 time> <stdout|stderr> <F|P> <text>`. Parses a line without
 * its newline. 0, or -EINVAL for a line not in that form. */
struct api_log_rec {
	int64_t sec;	/* Unix time */
	long nsec;
	bool err;	/* stderr */
	bool partial;	/* P: the text continues in the next record */
	const char *text;
	size_t text_len;
};
int api_log_parse(const char *line, size_t len, struct api_log_rec *rec);
/* An RFC 3339 time with optional fraction and zone ("Z" or +hh:mm), as
 * sinceTime and the log records carry it. 0 or -EINVAL. */
int api_log_parse_time(const char *s, size_t len, int64_t *sec, long *nsec);

/* Starts the answer of GET pods/log once the pod and container are known;
 * `path` is the log file. */
int api_log_start(struct api_req *req, const char *ns, const char *pod, const char *container,
		  const char *path, struct pod_rt *rt);
void api_log_close_all(struct api *api);

#endif
