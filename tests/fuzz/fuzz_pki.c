/* What a kubernetes.io/tls Secret carries, through lib/k1s_pki.h: the
 * input is tls.crt, a NUL byte, then tls.key (no NUL: all tls.crt). A
 * refused pair has a one-line reason; an accepted one has a first
 * certificate that cert_info reads too. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *nul = memchr(data, '\0', size);
	size_t crt_len = nul ? (size_t)(nul - in) : size;
	const char *key = nul ? nul + 1 : in + size;
	size_t key_len = nul ? size - crt_len - 1 : 0;
	struct k1s_cert_info info;
	char err[256] = "";
	int pair, ci;

	pair = k1s_pki_check_pair(in, crt_len, key, key_len, err, sizeof(err));
	if (pair != 0 && (pair != -EINVAL || !err[0] || strchr(err, '\n')))
		abort();
	err[0] = '\0';
	ci = k1s_pki_cert_info(in, crt_len, &info, err, sizeof(err));
	if (ci != 0 && (ci != -EINVAL || !err[0] || strchr(err, '\n')))
		abort();
	if (pair == 0 && ci != 0)
		abort();
	if (ci == 0 && (strlen(info.common_name) >= sizeof(info.common_name) ||
			strlen(info.issuer) >= sizeof(info.issuer)))
		abort();
	/* Whatever it covers, asking must not fail on any name. */
	(void)k1s_pki_cert_covers(in, crt_len, "myapp.com");
	(void)k1s_pki_cert_covers(in, crt_len, "a.b.example");
	(void)k1s_pki_cert_covers(key, key_len, "");
	return 0;
}
