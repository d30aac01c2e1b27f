/* The Prometheus text exposition format, version 0.0.4, as
 * prometheus.io/docs/instrumenting/exposition_formats describes it:
 * lines ended by \n; "# HELP name text" with \ and newline escaped;
 * "# TYPE name counter|gauge|histogram"; samples name{label="value",...}
 * with \, " and newline escaped in label values; a family's lines form
 * one group; a histogram's buckets are cumulative, le="+Inf" last and
 * equal to _count. Values as client_golang writes them (expfmt's
 * writeFloat, Go's strconv.FormatFloat(v, 'g', -1, 64)): the shortest
 * text that reads back the same, +Inf, -Inf and NaN; but whole numbers
 * below 2^53 are written whole ("1000000", where Go writes "1e+06"),
 * which every parser reads the same and a reader reads more easily. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_metrics.h"

const double k1s_hist_bounds[K1S_HIST_BUCKETS] = {
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

void k1s_hist_observe(struct k1s_hist *h, uint64_t ns)
{
	double s = (double)ns / 1e9;
	size_t i = 0;

	while (i < K1S_HIST_BUCKETS && s > k1s_hist_bounds[i])
		i++;
	atomic_fetch_add_explicit(&h->h_count[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->h_sum_ns, ns, memory_order_relaxed);
}

uint64_t k1s_hist_since(const struct timespec *start)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(now.tv_sec - start->tv_sec) * 1000000000 + (now.tv_nsec - start->tv_nsec);
	return ns > 0 ? (uint64_t)ns : 0;
}

void k1s_metrics_init(struct k1s_metrics *m)
{
	memset(m, 0, sizeof(*m));
}

void k1s_metrics_fini(struct k1s_metrics *m)
{
	free(m->m_buf);
	memset(m, 0, sizeof(*m));
}

static bool room(struct k1s_metrics *m, size_t n)
{
	char *b;
	size_t cap;

	if (m->m_err)
		return false;
	if (m->m_len + n + 1 <= m->m_cap)
		return true;
	cap = m->m_cap ? m->m_cap : 4096;
	while (cap < m->m_len + n + 1)
		cap *= 2;
	b = realloc(m->m_buf, cap);
	if (!b) {
		m->m_err = -ENOMEM;
		return false;
	}
	m->m_buf = b;
	m->m_cap = cap;
	return true;
}

static void put(struct k1s_metrics *m, const char *s, size_t n)
{
	if (!room(m, n))
		return;
	memcpy(m->m_buf + m->m_len, s, n);
	m->m_len += n;
	m->m_buf[m->m_len] = '\0';
}

static void puts_(struct k1s_metrics *m, const char *s)
{
	put(m, s, strlen(s));
}

/* Escapes \ and newline, and " too in a label value. */
static void put_escaped(struct k1s_metrics *m, const char *s, bool quote)
{
	const char *run = s;

	for (; *s; s++) {
		const char *esc = *s == '\\'           ? "\\\\"
		                  : *s == '\n'         ? "\\n"
		                  : quote && *s == '"' ? "\\\""
		                                       : NULL;

		if (!esc)
			continue;
		put(m, run, (size_t)(s - run));
		puts_(m, esc);
		run = s + 1;
	}
	put(m, run, (size_t)(s - run));
}

static void format_value(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		snprintf(buf, len, "%.0f", v);
	else {
		/* The shortest of 15 to 17 digits that reads back the same. */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, len, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
}

static void put_value(struct k1s_metrics *m, double v)
{
	char buf[32];

	format_value(buf, sizeof(buf), v);
	puts_(m, buf);
}

int k1s_metrics_name_ok(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			return 0;
	return 1;
}

int k1s_metrics_label_ok(const char *s)
{
	/* Names beginning with __ are reserved for Prometheus's own use. */
	return k1s_metrics_name_ok(s) && !strchr(s, ':') && strncmp(s, "__", 2) != 0;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

void k1s_metrics_family(struct k1s_metrics *m, const char *name, enum k1s_metric_type type,
                        const char *help)
{
	static const char *const types[] = {
	    [K1S_COUNTER] = "counter", [K1S_GAUGE] = "gauge", [K1S_HISTOGRAM] = "histogram"};

	if (m->m_err)
		return;
	if (!k1s_metrics_name_ok(name) || (type == K1S_COUNTER && !ends_with(name, "_total")) ||
	    (unsigned)type > K1S_HISTOGRAM) {
		m->m_err = -EINVAL;
		return;
	}
	puts_(m, "# HELP ");
	puts_(m, name);
	puts_(m, " ");
	put_escaped(m, help ? help : "", false);
	puts_(m, "\n# TYPE ");
	puts_(m, name);
	puts_(m, " ");
	puts_(m, types[type]);
	puts_(m, "\n");
}

/* name{labels[,le="..."]} value\n */
static void sample(struct k1s_metrics *m, const char *name, const char *suffix, double value,
                   const char *const *labels, size_t n, const char *le)
{
	if (m->m_err)
		return;
	if (!k1s_metrics_name_ok(name)) {
		m->m_err = -EINVAL;
		return;
	}
	puts_(m, name);
	puts_(m, suffix);
	if (n || le) {
		puts_(m, "{");
		for (size_t i = 0; i < n; i++) {
			if (!labels[2 * i + 1] || !k1s_metrics_label_ok(labels[2 * i])) {
				m->m_err = -EINVAL;
				return;
			}
			if (i)
				puts_(m, ",");
			puts_(m, labels[2 * i]);
			puts_(m, "=\"");
			put_escaped(m, labels[2 * i + 1], true);
			puts_(m, "\"");
		}
		if (le) {
			puts_(m, n ? ",le=\"" : "le=\"");
			puts_(m, le);
			puts_(m, "\"");
		}
		puts_(m, "}");
	}
	puts_(m, " ");
	put_value(m, value);
	puts_(m, "\n");
}

void k1s_metrics_samplev(struct k1s_metrics *m, const char *name, double value,
                         const char *const *labels, size_t n)
{
	sample(m, name, "", value, labels, n, NULL);
}

/* Up to 8 label pairs from the arguments. */
#define MAX_LABELS 8

static size_t collect(va_list ap, const char **labels, int *err)
{
	size_t n = 0;
	const char *k;

	while ((k = va_arg(ap, const char *))) {
		if (n == 2 * MAX_LABELS) {
			*err = -EINVAL;
			break;
		}
		labels[n++] = k;
		labels[n++] = va_arg(ap, const char *);
	}
	return n / 2;
}

void k1s_metrics_sample(struct k1s_metrics *m, const char *name, double value, ...)
{
	const char *labels[2 * MAX_LABELS];
	va_list ap;
	size_t n;

	va_start(ap, value);
	n = collect(ap, labels, &m->m_err);
	va_end(ap);
	sample(m, name, "", value, labels, n, NULL);
}

void k1s_metrics_hist(struct k1s_metrics *m, const char *name, const struct k1s_hist *h, ...)
{
	const char *labels[2 * MAX_LABELS];
	uint64_t cum = 0;
	va_list ap;
	size_t n;
	char le[32];

	va_start(ap, h);
	n = collect(ap, labels, &m->m_err);
	va_end(ap);
	for (size_t i = 0; i <= K1S_HIST_BUCKETS; i++) {
		cum += atomic_load_explicit(&h->h_count[i], memory_order_relaxed);
		format_value(le, sizeof(le), i == K1S_HIST_BUCKETS ? INFINITY : k1s_hist_bounds[i]);
		sample(m, name, "_bucket", (double)cum, labels, n, le);
	}
	sample(m, name, "_sum",
	       (double)atomic_load_explicit(&h->h_sum_ns, memory_order_relaxed) / 1e9, labels, n,
	       NULL);
	/* _count is the +Inf bucket read above, so the two agree even while
	 * another thread observes. */
	sample(m, name, "_count", (double)cum, labels, n, NULL);
}
