/* Replays a fuzz target's seed corpus without libFuzzer, so that every
 * build's `meson test --suite fuzz` runs each target over its corpus.
 *
 * Each input ends exactly where an unreadable page begins, as
 * picohttpparser's test.c places its input: a read past the end faults
 * even in a build without a sanitizer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the target on `n` bytes that end at a PROT_NONE page. */
static int run_guarded(const uint8_t *data, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (n + page - 1) / page * page;
	uint8_t *map =
	    mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *in;

	if (map == MAP_FAILED)
		return -1;
	if (mprotect(map + span, page, PROT_NONE) < 0) {
		munmap(map, span + page);
		return -1;
	}
	in = map + span - n;
	if (n)
		memcpy(in, data, n);
	/* Read-only too: a target must not write into its input. */
	if (span && mprotect(map, span, PROT_READ) < 0) {
		munmap(map, span + page);
		return -1;
	}
	LLVMFuzzerTestOneInput(in, n);
	munmap(map, span + page);
	return 0;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;
	int r;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	r = run_guarded(buf, (size_t)n);
	free(buf);
	return r;
}

int main(int argc, char **argv)
{
	int count = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (!d) {
			if (run_file(argv[i]) < 0) {
				perror(argv[i]);
				return 1;
			}
			count++;
			continue;
		}
		while ((e = readdir(d))) {
			char path[4096];
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (run_file(path) < 0) {
				perror(path);
				closedir(d);
				return 1;
			}
			count++;
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", count);
	return count > 0 ? 0 : 1;
}
