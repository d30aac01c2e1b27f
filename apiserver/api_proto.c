/* Placeholder protobuf reader. */
#include <errno.h>
#include <stdio.h>
#include "api_int.h"

int api_proto_decode(const void *buf, size_t len, json_t **out, char *err, size_t errlen)
{
	snprintf(err, errlen, "protobuf bodies are not supported yet");
	return -ENOTSUP;
}
