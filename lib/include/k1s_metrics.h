/* Metrics: latency histograms a module keeps, and the Prometheus text
 * exposition format (version 0.0.4) that /metrics is written in.
 *
 * A module counts with its own counters (plain or atomic) and keeps its
 * latencies in a struct k1s_hist; it exposes them in its public header.
 * The API writes them out with the k1s_metrics_* writers.
 *
 * Threading: k1s_hist_observe() on any thread, without locks (relaxed
 * atomics: a reader may see a bucket counted before the sum). A struct
 * k1s_metrics belongs to the thread that writes it. */
#ifndef K1S_METRICS_H
#define K1S_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Upper bounds in seconds of a latency histogram's buckets, from 100 us
 * to 10 s, as client_golang's DefBuckets (5 ms .. 10 s) with three below
 * for what the control loop does in well under a millisecond. */
#define K1S_HIST_BUCKETS 14
extern const double k1s_hist_bounds[K1S_HIST_BUCKETS];

struct k1s_hist {
	_Atomic uint64_t h_count[K1S_HIST_BUCKETS + 1]; /* per bucket, not
	                                                 * cumulative; the last: +Inf */
	_Atomic uint64_t h_sum_ns;
};

/* Counts one observation of `ns` nanoseconds. */
void k1s_hist_observe(struct k1s_hist *h, uint64_t ns);
/* Nanoseconds since `start` (CLOCK_MONOTONIC), for k1s_hist_observe. */
uint64_t k1s_hist_since(const struct timespec *start);

/* ---- the exposition format ---- */

/* Text being written; k1s_metrics_init() zeroes it, k1s_metrics_fini()
 * frees m_buf. A failed allocation sets m_err (-ENOMEM) and stops further
 * writes; a misuse (a bad name, a counter not ending in _total) sets
 * -EINVAL. */
struct k1s_metrics {
	char *m_buf;
	size_t m_len, m_cap;
	int m_err;
};

enum k1s_metric_type { K1S_COUNTER, K1S_GAUGE, K1S_HISTOGRAM };

void k1s_metrics_init(struct k1s_metrics *m);
void k1s_metrics_fini(struct k1s_metrics *m);

/* Begins a family: its # HELP and # TYPE lines. Every sample of the family
 * must follow before the next family begins, as the format asks. A
 * counter's name ends in _total. `help` is escaped. */
void k1s_metrics_family(struct k1s_metrics *m, const char *name, enum k1s_metric_type type,
                        const char *help);
/* One sample: name{k1="v1",...} value. The labels are pairs of name and
 * value, ended by NULL; values are escaped. */
void k1s_metrics_sample(struct k1s_metrics *m, const char *name, double value, ...);
/* Takes the labels as an array of 2n strings. */
void k1s_metrics_samplev(struct k1s_metrics *m, const char *name, double value,
                         const char *const *labels, size_t n);
/* One histogram of the family `name`: its cumulative _bucket{le=...}
 * samples (+Inf last), _sum in seconds and _count, each with the labels
 * (pairs ended by NULL) before le. */
void k1s_metrics_hist(struct k1s_metrics *m, const char *name, const struct k1s_hist *h, ...);

/* The flow rings' totals since start (k1s_flow_totals), one group per
 * family across the n rings: k1s_flows_total{module},
 * k1s_flows_denied_total{module}, k1s_flow_bytes_total{module,direction},
 * and from the rings of modules "dns" and "ingress",
 * k1s_dns_responses_total{rcode} and k1s_ingress_requests_total{code}.
 * NULL rings are skipped. */
struct k1s_flow_ring;
void k1s_metrics_flows(struct k1s_metrics *m, struct k1s_flow_ring *const *rings, size_t n);

/* Whether s is a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or a label name
 * ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__"). */
int k1s_metrics_name_ok(const char *s);
int k1s_metrics_label_ok(const char *s);

#endif
