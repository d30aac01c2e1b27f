/* The image catalog's YAML parser: whatever the bytes, a catalog or an
 * error message; and whatever the catalog, lookups and argv that hold. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "pod_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const images[] = {"busybox", "curlimages/curl:8.5.0",
	                                     "docker.io/library/nginx", "a", "my-api:1.0"};
	struct pod_catalog *c = NULL;
	char err[256], image[300], name[256];
	json_t *args;
	int r;

	r = pod_catalog_parse((const char *)data, size, "fuzz.yaml", &c, err, sizeof(err));
	if (r < 0) {
		if (c || r != -EINVAL || strncmp(err, "fuzz.yaml:", 10) != 0)
			abort();
		return 0;
	}
	/* The input's start as an image name too. */
	memcpy(image, data, size < sizeof(image) - 1 ? size : sizeof(image) - 1);
	image[size < sizeof(image) - 1 ? size : sizeof(image) - 1] = '\0';
	if (pod_catalog_image_name(image, name, sizeof(name)) == 0 &&
	    (!name[0] || strchr(name, '@')))
		abort();
	args = json_pack("[ss]", "nslookup", "api-service");
	for (size_t i = 0; i <= sizeof(images) / sizeof(images[0]); i++) {
		const char *img = i < sizeof(images) / sizeof(images[0]) ? images[i] : image;
		const char *const *ep = pod_catalog_entrypoint(c, img);
		char **argv;

		if (ep && !ep[0])
			abort();
		r = pod_catalog_argv(c, img, NULL, NULL, &argv);
		if (r == 0) {
			if (!argv[0] || !argv[0][0])
				abort();
			free(argv);
		} else if (r == -EINVAL && pod_catalog_face(c, img)) {
			/* A face runs no program: it has none to give. */
		} else if (r != 1 || argv) {
			abort();
		}
		r = pod_catalog_argv(c, img, NULL, args, &argv);
		if (r != 0 || !argv[0])
			abort();
		free(argv);
	}
	json_decref(args);
	pod_catalog_free(c);
	return 0;
}
