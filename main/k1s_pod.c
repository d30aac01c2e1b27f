/* The pods' side of k1s: a container's shim and the echo app, in a
 * program of their own (embedded in k1s, which runs it from a sealed
 * copy): each pod starts it twice, and k1s's own program, linked with
 * every library the server needs (GnuTLS's constructor among them), cost
 * about 25 ms of CPU a start where this one costs a few. */
#include <stdio.h>
#include <string.h>

#include "echo.h"
#include "pod.h"

int main(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], POD_SHIM_ARGV0) == 0)
		pod_shim_main();
	if (argc >= 2 && strcmp(argv[1], "echo-server") == 0)
		return pod_echo_main(argc - 1, argv + 1);
	fprintf(stderr, "k1s-pod: run by k1s for its pods (a shim, or echo-server)\n");
	return 2;
}
