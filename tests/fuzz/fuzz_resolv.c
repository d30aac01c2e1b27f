/* resolv.conf as the DNS forwarder reads its upstreams, from arbitrary
 * file contents. The upstreams it takes are, in order, the first IPv4
 * address of the input's `nameserver` lines (glibc's rule: the keyword at
 * the start of the line, then a blank; the address ends at a blank or the
 * line's end), at most DNS_MAX_UPSTREAMS, without the server's own
 * address, all on port 53: never a piece of a longer line. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dns_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The upstreams the input names, by a reading of its own. */
static int expected(const uint8_t *data, size_t size, in_addr_t self, struct in_addr *want)
{
	int n = 0;

	for (size_t at = 0; at < size && n < DNS_MAX_UPSTREAMS;) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t end = nl ? (size_t)(nl - data) : size, i = at + 10, j;
		char addr[64];

		/* Up to the line's first NUL, as C strings see it. */
		const uint8_t *z = memchr(data + at, '\0', end - at);
		size_t stop = z ? (size_t)(z - data) : end;

		if (stop - at > 10 && memcmp(data + at, "nameserver", 10) == 0 &&
		    (data[i] == ' ' || data[i] == '\t')) {
			while (i < stop && (data[i] == ' ' || data[i] == '\t'))
				i++;
			for (j = i; j < stop && data[j] != ' ' && data[j] != '\t'; j++)
				;
			if (j - i < sizeof(addr)) {
				memcpy(addr, data + i, j - i);
				addr[j - i] = '\0';
				if (inet_pton(AF_INET, addr, &want[n]) == 1 &&
				    want[n].s_addr != self)
					n++;
			}
		}
		at = end + 1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in self = {.sin_family = AF_INET, .sin_port = htons(53)};
	struct in_addr want[DNS_MAX_UPSTREAMS];
	struct dns_upstreams up;
	char path[64];
	int fd = memfd_create("resolv.conf", MFD_CLOEXEC), n;

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	inet_pton(AF_INET, "10.96.0.10", &self.sin_addr);
	if (dns_read_resolv(path, &self, 1, &up) != 0)
		abort();
	n = expected(data, size, self.sin_addr.s_addr, want);
	if (up.n != n)
		abort();
	for (int i = 0; i < n; i++)
		if (up.addr[i].sin_family != AF_INET || up.addr[i].sin_port != htons(53) ||
		    up.addr[i].sin_addr.s_addr != want[i].s_addr)
			abort();
	close(fd);
	return 0;
}
