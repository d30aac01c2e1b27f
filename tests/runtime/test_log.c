/* A run's log writer (pod_log.c) on a real file system: rotation at the
 * size, the files kept, older ones gzip-compressed (read back with the
 * real zcat), the names kubelet gives them, and the shim's pump from a
 * real child's pipes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "pod.h"
#include "pod_rt_int.h"

static char dir[256], logp[300];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_log.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(logp, sizeof(logp), "%s/0.log", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of dir, sorted by name (rotated before the live 0.log sorts
 * after it: "0.log" < "0.log.2..."): a NULL-terminated array. */
static char **files(size_t *n)
{
	char **v = calloc(256, sizeof(*v));
	struct dirent *e;
	DIR *d = opendir(dir);

	*n = 0;
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && *n < 255)
			v[(*n)++] = strdup(e->d_name);
	closedir(d);
	qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static void free_files(char **v)
{
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static off_t size_of(const char *name)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Every record's text of the log, oldest file first, the .gz files read
 * with zcat: one line per record. */
static char *all_text(void)
{
	char cmd[4096], *buf = malloc(1 << 22);
	size_t n, len = 0, nf;
	char **v = files(&nf);
	FILE *f;

	/* Oldest first: the rotated ones by name, then the live one. */
	len = (size_t)snprintf(cmd, sizeof(cmd), "cd %s && (", dir);
	for (size_t i = 1; i < nf; i++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "%s %s; ",
		                        strstr(v[i], ".gz") ? "zcat" : "cat", v[i]);
	snprintf(cmd + len, sizeof(cmd) - len, "cat 0.log) | cut -d' ' -f4-");
	free_files(v);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(buf, 1, (1 << 22) - 1, f);
	buf[n] = '\0';
	assert_int_equal(pclose(f), 0);
	return buf;
}

static char *expected(int from, int to)
{
	char *buf = malloc(1 << 22);
	size_t len = 0;

	buf[0] = '\0';
	for (int i = from; i < to; i++)
		len +=
		    (size_t)sprintf(buf + len, "line %05d of the log, padded to some length\n", i);
	return buf;
}

static void write_lines(struct pod_log *lg, int n)
{
	char text[128];

	for (int i = 0; i < n; i++) {
		int len =
		    snprintf(text, sizeof(text), "line %05d of the log, padded to some length", i);

		pod_log_record(lg, i % 7 ? "stdout" : "stderr", false, text, (size_t)len);
		if (i % 3 == 0)
			assert_int_equal(pod_log_flush(lg), 0);
	}
	assert_int_equal(pod_log_flush(lg), 0);
}

/* Many rotations within one second: each rotated file has a name of its
 * own (kubelet's 20060102-150405, a second apart), no file passes the
 * size, and nothing is lost or out of order. */
static void rotates_at_size_without_loss(void **state)
{
	struct pod_log *lg;
	regex_t re;
	char **v, *got, *want;
	size_t n;
	int err;

	lg = pod_log_open(logp, 1000, 1000, true, &err);
	assert_non_null(lg);
	write_lines(lg, 400);
	pod_log_close(lg);
	v = files(&n);
	/* ~86 bytes a record, 11 records a file: 37 files. */
	assert_true(n >= 30);
	assert_int_equal(regcomp(&re, "^0\\.log\\.[0-9]{8}-[0-9]{6}(\\.gz)?$", REG_EXTENDED), 0);
	assert_string_equal(v[0], "0.log");
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(regexec(&re, v[i], 0, NULL, 0), 0);
		/* Only the newest rotated file stays plain, as kubelet's. */
		assert_int_equal(strstr(v[i], ".gz") == NULL, i == n - 1);
		if (!strstr(v[i], ".gz"))
			assert_true(size_of(v[i]) <= 1000 && size_of(v[i]) > 900);
	}
	regfree(&re);
	free_files(v);
	got = all_text();
	want = expected(0, 400);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

/* Records from..to-1 as write_lines writes them, flushed. */
static void write_range(struct pod_log *lg, int from, int to)
{
	char text[128];

	for (int i = from; i < to; i++) {
		int len =
		    snprintf(text, sizeof(text), "line %05d of the log, padded to some length", i);

		pod_log_record(lg, "stdout", false, text, (size_t)len);
	}
	assert_int_equal(pod_log_flush(lg), 0);
}

/* One look of a follower (logs -f): reads up to max bytes, across the
 * rotations it finds, into got (the records' text, a line each). */
static void follow_look(struct pod_log_reader *r, char *got, size_t max)
{
	static char part[512];
	static size_t plen;
	char buf[64];
	size_t seen = 0;

	while (seen < max) {
		size_t want = max - seen < sizeof(buf) ? max - seen : sizeof(buf);
		ssize_t n = pod_log_reader_read(r, buf, want);

		assert_true(n >= 0);
		if (n == 0) {
			if (!pod_log_reader_next(r))
				break;
			continue;
		}
		seen += (size_t)n;
		for (ssize_t i = 0; i < n; i++) {
			assert_true(plen < sizeof(part) - 1);
			part[plen++] = buf[i];
			if (buf[i] != '\n')
				continue;
			/* "<time> <stream> F <text>": the text. */
			part[plen] = '\0';
			strcat(got, strchr(strchr(strchr(part, ' ') + 1, ' ') + 1, ' ') + 1);
			plen = 0;
		}
	}
}

static size_t count_gz(void)
{
	size_t n, gz = 0;
	char **v = files(&n);

	for (size_t i = 0; i < n; i++)
		gz += strstr(v[i], ".gz") != NULL;
	free_files(v);
	return gz;
}

/* A follower that looks again only after the writer has rotated three
 * times and more (the files between compressed): every record once, in
 * order, whether it was at the end of the live file or inside it. */
static void follower_reads_every_rotated_file(void **state)
{
	struct pod_log_reader *r;
	struct pod_log *lg;
	char *got = calloc(1, 1 << 20), *want;
	int err;

	lg = pod_log_open(logp, 1000, 1000, true, &err);
	assert_non_null(lg);
	write_range(lg, 0, 5);
	r = pod_log_reader_open(logp, &err);
	assert_non_null(r);
	follow_look(r, got, SIZE_MAX);
	/* ~70 bytes a record, 14 a file: 4 rotations, 3 files compressed. */
	write_range(lg, 5, 60);
	assert_true(count_gz() >= 3);
	follow_look(r, got, SIZE_MAX);
	want = expected(0, 60);
	assert_string_equal(got, want);
	free(want);
	/* Caught inside the live file, then 3 rotations: its rest is read
	 * from the file it has open, renamed and then compressed. */
	write_range(lg, 60, 66);
	follow_look(r, got, 150);
	write_range(lg, 66, 120);
	follow_look(r, got, SIZE_MAX);
	want = expected(0, 120);
	assert_string_equal(got, want);
	free(want);
	/* And inside a compressed file. */
	write_range(lg, 120, 180);
	follow_look(r, got, 300);
	write_range(lg, 180, 200);
	follow_look(r, got, SIZE_MAX);
	want = expected(0, 200);
	assert_string_equal(got, want);
	free(want);
	pod_log_reader_close(r);
	pod_log_close(lg);
	free(got);
}

/* With max_files 3 the writer removes the oldest rotated files: what was
 * in them before the follower looked is gone (kubelet loses it too), and
 * what it reads is in order, each record once, up to the newest. */
static void follower_after_files_removed(void **state)
{
	struct pod_log_reader *r;
	struct pod_log *lg;
	char *got = calloc(1, 1 << 20), *want, *on_disk;
	int err;

	lg = pod_log_open(logp, 1000, 3, true, &err);
	assert_non_null(lg);
	write_range(lg, 0, 5);
	r = pod_log_reader_open(logp, &err);
	assert_non_null(r);
	follow_look(r, got, 100);
	write_range(lg, 5, 100);
	follow_look(r, got, SIZE_MAX);
	pod_log_reader_close(r);
	pod_log_close(lg);
	/* The start of the file it had open, then what is on disk now. */
	on_disk = all_text();
	want = expected(0, 100);
	assert_true(strlen(got) > strlen(on_disk));
	assert_string_equal(got + strlen(got) - strlen(on_disk), on_disk);
	assert_memory_equal(got, want, strlen(got) - strlen(on_disk));
	for (char *p = got, *nl; (nl = strchr(p, '\n')) && nl[1]; p = nl + 1)
		assert_true(atoi(p + 5) < atoi(nl + 6));
	free(on_disk);
	free(want);
	free(got);
}

/* At most max_files files: the live one, the newest rotated one plain,
 * and the rest compressed; the oldest go. */
static void keeps_max_files(void **state)
{
	struct pod_log *lg;
	char **v, *got, *want;
	size_t n, gl, wl;
	int err;

	lg = pod_log_open(logp, 1000, 4, true, &err);
	assert_non_null(lg);
	write_lines(lg, 400);
	pod_log_close(lg);
	v = files(&n);
	assert_int_equal(n, 4);
	assert_non_null(strstr(v[1], ".gz"));
	assert_non_null(strstr(v[2], ".gz"));
	assert_null(strstr(v[3], ".gz"));
	free_files(v);
	/* What is kept is the newest lines, whole and in order. */
	got = all_text();
	want = expected(0, 400);
	gl = strlen(got);
	wl = strlen(want);
	/* 85-byte records, 11 a file: 3 full files and 4 records live. */
	assert_int_equal(gl, (3 * 11 + 4) * 45);
	assert_string_equal(want + wl - gl, got);
	free(got);
	free(want);

	/* max_files 2: the live file and one rotated, nothing compressed. */
	teardown(state);
	setup(state);
	lg = pod_log_open(logp, 1000, 2, true, &err);
	write_lines(lg, 100);
	pod_log_close(lg);
	v = files(&n);
	assert_int_equal(n, 2);
	assert_null(strstr(v[1], ".gz"));
	free_files(v);
}

/* What an interrupted rotation left (a .tmp, a plain file beside its
 * .gz) is removed at the next rotation, and the compressed files read
 * back with zcat as the lines written. */
static void compressed_files_read_with_zcat(void **state)
{
	char path[600], cmd[700], buf[4096];
	struct pod_log *lg;
	FILE *f;
	char **v;
	size_t n, len;
	int err, fd;

	snprintf(path, sizeof(path), "%s/0.log.20200101-000000.tmp", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	snprintf(path, sizeof(path), "%s/0.log.20200101-000001", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	snprintf(path, sizeof(path), "%s/0.log.20200101-000001.gz", dir);
	snprintf(cmd, sizeof(cmd), "echo old | gzip > %s", path);
	assert_int_equal(system(cmd), 0);
	/* Another run's log and files not of the log are left alone. */
	snprintf(path, sizeof(path), "%s/10.log.20200101-000001", dir);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	snprintf(path, sizeof(path), "%s/0.log.notes", dir);
	close(open(path, O_WRONLY | O_CREAT, 0600));

	lg = pod_log_open(logp, 200, 10, true, &err);
	assert_non_null(lg);
	pod_log_record(lg, "stdout", false, "first", 5);
	pod_log_record(lg, "stdout", true, "second, a piece", 15);
	pod_log_record(lg, "stderr", false, "", 0);
	for (int i = 0; i < 3; i++)
		pod_log_record(lg, "stdout", false, "0123456789012345678901234567890123456789", 40);
	pod_log_close(lg);
	v = files(&n);
	assert_int_equal(n, 6);
	assert_string_equal(v[0], "0.log");
	assert_string_equal(v[1], "0.log.20200101-000001.gz");
	assert_non_null(strstr(v[2], ".gz"));
	assert_string_equal(v[4], "0.log.notes");
	assert_string_equal(v[5], "10.log.20200101-000001");
	/* The newest rotated file, the one a follower reads between two
	 * rotations, is the plain one. */
	{
		struct stat x, y;
		int nf = pod_log_open_newest_rotated(logp);

		snprintf(path, sizeof(path), "%s/%s", dir, v[3]);
		assert_true(nf >= 0);
		assert_int_equal(fstat(nf, &x), 0);
		assert_int_equal(stat(path, &y), 0);
		assert_int_equal(x.st_ino, y.st_ino);
		close(nf);
	}
	snprintf(cmd, sizeof(cmd), "zcat %s/%s", dir, v[2]);
	free_files(v);
	f = popen(cmd, "r");
	len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[len] = '\0';
	assert_int_equal(pclose(f), 0);
	assert_non_null(strstr(buf, " stdout F first\n"));
	assert_non_null(strstr(buf, " stdout P second, a piece\n"));
	assert_non_null(strstr(buf, " stderr F \n"));

	pod_log_remove(logp);
	v = files(&n);
	assert_int_equal(n, 2);
	free_files(v);
}

/* The shim's pump: a real child's stdout and stderr, at full speed,
 * into a rotated log; its exit status; lines whole across rotations. */
static void pump_rotates_a_childs_output(void **state)
{
	int op[2], ep[2], err, status, pidfd;
	struct pod_log *lg;
	char *got, *want;
	pid_t pid;

	assert_int_equal(pipe(op), 0);
	assert_int_equal(pipe(ep), 0);
	pid = fork();
	if (pid == 0) {
		FILE *out;

		setpgid(0, 0);
		dup2(op[1], 1);
		dup2(ep[1], 2);
		close(op[0]);
		close(ep[0]);
		out = fdopen(1, "w");
		for (int i = 0; i < 3000; i++)
			fprintf(out, "line %05d of the log, padded to some length\n", i);
		fflush(out);
		_exit(3);
	}
	close(op[1]);
	close(ep[1]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	assert_true(pidfd >= 0);
	lg = pod_log_open(logp, 4096, 1000, true, &err);
	assert_non_null(lg);
	status = pod_log_pump(lg, op[0], ep[0], pidfd, pid);
	pod_log_close(lg);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	got = all_text();
	want = expected(0, 3000);
	assert_string_equal(got, want);
	free(got);
	free(want);
	close(pidfd);
}

/* --container-log-max-size as kubelet reads a resource.Quantity. */
static void parses_sizes(void **state)
{
	int64_t v = 0;

	assert_int_equal(pod_log_parse_size("10Mi", &v), 0);
	assert_int_equal(v, 10 << 20);
	assert_int_equal(pod_log_parse_size("1.5Ki", &v), 0);
	assert_int_equal(v, 1536);
	assert_int_equal(pod_log_parse_size("500k", &v), 0);
	assert_int_equal(v, 500000);
	assert_int_equal(pod_log_parse_size("2048", &v), 0);
	assert_int_equal(v, 2048);
	assert_int_equal(pod_log_parse_size("1Gi", &v), 0);
	assert_int_equal(v, 1LL << 30);
	assert_int_equal(pod_log_parse_size("0.5", &v), -EINVAL);
	assert_int_equal(pod_log_parse_size("0", &v), -EINVAL);
	assert_int_equal(pod_log_parse_size("-1", &v), -EINVAL);
	assert_int_equal(pod_log_parse_size("10X", &v), -EINVAL);
	assert_int_equal(pod_log_parse_size("10 Mi", &v), -EINVAL);
	assert_int_equal(pod_log_parse_size("", &v), -EINVAL);
	assert_int_equal(pod_log_parse_size("Mi", &v), -EINVAL);
	assert_int_equal(pod_log_parse_size("1.", &v), -EINVAL);
	assert_int_equal(pod_log_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(pod_log_parse_size("9999999999Ti", &v), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(rotates_at_size_without_loss, setup, teardown),
	    cmocka_unit_test_setup_teardown(keeps_max_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(compressed_files_read_with_zcat, setup, teardown),
	    cmocka_unit_test_setup_teardown(pump_rotates_a_childs_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(follower_reads_every_rotated_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(follower_after_files_removed, setup, teardown),
	    cmocka_unit_test(parses_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
