/* The log of an in-process module's face (the system pod that stands for
 * cluster DNS or the ingress in the API): DATA_DIR/faces/<module>.log, in
 * the CRI log format that the runtime's pod logs use (pod.h,
 * pod_log_path), so that `kubectl logs` of the face pod reads it as any
 * pod's log:
 *   <RFC3339Nano timestamp, UTC> stdout F <text>\n
 * Each line is one write() to a descriptor opened O_APPEND, so lines from
 * several threads never interleave and need no lock. Past max_bytes the
 * file is renamed to <module>.log.1 (the one before goes) and a new one
 * started, as kubelet rotates at containerLogMaxSize.
 *
 * Threading: k1s_facelog_write() from any thread; open and close on one. */
#ifndef K1S_FACELOG_H
#define K1S_FACELOG_H

#include <stddef.h>

/* kubelet's default containerLogMaxSize. */
#define K1S_FACELOG_MAX_BYTES (10u << 20)
/* A longer line is cut there (the CRI format's limit for one record). */
#define K1S_FACELOG_LINE_MAX (16u << 10)

struct k1s_facelog;

/* Opens (creating DATA_DIR/faces and the file as needed) the face log of
 * `module` ("dns", "ingress"). max_bytes 0: K1S_FACELOG_MAX_BYTES. NULL
 * and *err (a negative errno) on failure. */
struct k1s_facelog *k1s_facelog_open(const char *data_dir, const char *module,
				     size_t max_bytes, int *err);
void k1s_facelog_close(struct k1s_facelog *fl);
/* Appends one line (text without its newline); fl NULL does nothing. */
void k1s_facelog_write(struct k1s_facelog *fl, const char *text, size_t len);
void k1s_facelog_printf(struct k1s_facelog *fl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The path of a module's face log: 0, or -ENAMETOOLONG / -EINVAL (a
 * module name that is not a plain word). */
int k1s_facelog_path(const char *data_dir, const char *module, char *buf, size_t len);

#endif
