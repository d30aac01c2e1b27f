/* The CRI log record reader (pods/log) on arbitrary lines: the input is
 * split at newlines as the log reader splits a file. A record it reads
 * has its text inside the line, up to its end, and a nanosecond below one
 * second; written back as the runtime writes records (UTC, nine digits)
 * it reads to the same record. Each line is also read as a sinceTime. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_stream_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *line, size_t len)
{
	struct api_log_rec rec, again;
	struct tm tm;
	time_t t;
	char *out;
	size_t n;
	int64_t sec;
	long nsec;

	if (api_log_parse_time(line, len, &sec, &nsec) == 0 && (nsec < 0 || nsec > 999999999))
		abort();
	if (api_log_parse(line, len, &rec) < 0)
		return;
	if (rec.nsec < 0 || rec.nsec > 999999999 || rec.text < line ||
	    rec.text + rec.text_len != line + len)
		abort();
	t = (time_t)rec.sec;
	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return; /* not four digits of year: no record of the runtime's */
	out = malloc(len + 64);
	if (!out)
		abort();
	n = (size_t)sprintf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s %c%s", tm.tm_year + 1900,
	                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rec.nsec,
	                    rec.err ? "stderr" : "stdout", rec.partial ? 'P' : 'F',
	                    rec.text_len ? " " : "");
	memcpy(out + n, rec.text, rec.text_len);
	n += rec.text_len;
	if (api_log_parse(out, n, &again) < 0 || again.sec != rec.sec || again.nsec != rec.nsec ||
	    again.err != rec.err || again.partial != rec.partial ||
	    again.text_len != rec.text_len || memcmp(again.text, rec.text, rec.text_len) != 0)
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* An exact-size copy of the line, so that a read past it is seen. */
		char *line = malloc(len ? len : 1);

		if (!line)
			return 0;
		memcpy(line, p, len);
		check_line(line, len);
		free(line);
		p += len + 1;
	}
	return 0;
}
