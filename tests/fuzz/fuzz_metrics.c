/* The Prometheus text writer of lib/k1s_metrics.h, given label values and
 * help text from outside (policy and resource names): every value comes
 * back whole when the line is read as the format reads it, a line per
 * sample, nothing breaks a line early; any double reads back the same. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_metrics.h"

/* Reads the label value that starts at p (after the opening quote) as
 * the format reads it, into out; returns the character after the closing
 * quote, or NULL if the value does not end on its line. */
static const char *read_value(const char *p, char *out)
{
	for (; *p && *p != '\n'; p++) {
		if (*p == '"') {
			*out = '\0';
			return p + 1;
		}
		if (*p == '\\') {
			p++;
			if (*p == 'n')
				*out++ = '\n';
			else if (*p == '\\' || *p == '"')
				*out++ = *p;
			else
				return NULL;
		} else {
			*out++ = *p;
		}
	}
	return NULL;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *got = malloc(size + 1);
	const char *p;
	struct k1s_metrics m;
	struct k1s_hist h = {0};
	double v;

	if (!s || !got)
		abort();
	memcpy(s, data, size);
	s[size] = '\0'; /* a NUL inside ends the value, as in a C string */

	k1s_metrics_init(&m);
	k1s_metrics_family(&m, "k1s_fuzz_total", K1S_COUNTER, s);
	k1s_metrics_sample(&m, "k1s_fuzz_total", 1, "v", s, NULL);
	if (m.m_err || lines(m.m_buf) != 3)
		abort();
	/* The HELP line holds no raw newline: the second line is TYPE. */
	p = strchr(m.m_buf, '\n') + 1;
	if (strncmp(p, "# TYPE k1s_fuzz_total counter\n", 30) != 0)
		abort();
	p = strchr(p, '\n') + 1;
	if (strncmp(p, "k1s_fuzz_total{v=\"", 18) != 0)
		abort();
	p = read_value(p + 18, got);
	if (!p || strcmp(got, s) != 0 || strcmp(p, "} 1\n") != 0)
		abort();
	k1s_metrics_fini(&m);

	k1s_metrics_init(&m);
	k1s_metrics_hist(&m, "k1s_fuzz_seconds", &h, "v", s, NULL);
	if (m.m_err || lines(m.m_buf) != K1S_HIST_BUCKETS + 3)
		abort();
	k1s_metrics_fini(&m);

	if (size >= sizeof(v)) {
		memcpy(&v, data, sizeof(v));
		k1s_metrics_init(&m);
		k1s_metrics_sample(&m, "g", v, NULL);
		if (m.m_err || strncmp(m.m_buf, "g ", 2) != 0)
			abort();
		/* strtod reads "+Inf" and "-Inf" as well. */
		if (isnan(v) ? strcmp(m.m_buf, "g NaN\n") != 0 : strtod(m.m_buf + 2, NULL) != v)
			abort();
		k1s_metrics_fini(&m);
	}
	free(s);
	free(got);
	return 0;
}
