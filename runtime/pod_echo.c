/* Placeholder echo app. */
#include <stdio.h>
#include "pod.h"

int pod_echo_main(int argc, char **argv)
{
	fprintf(stderr, "k1s echo-server: not implemented yet\n");
	return 1;
}
