/* resource.Quantity as a pod's requests and limits give it: the input is
 * read by length alone, a value is never negative, and the milli value of
 * what parses is a thousand times the value, within rounding up. */
#include <stdint.h>
#include <stdlib.h>

#include "pod_rt_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t v = 0, m = 0;
	int rv = pod_quantity_parse((const char *)data, size, false, &v);
	int rm = pod_quantity_parse((const char *)data, size, true, &m);

	if (rv == 0 && v < 0)
		abort();
	if (rm == 0 && (m < 0 || rv != 0))
		abort();
	/* ceil(x) >= ceil(1000x) / 1000 > ceil(x) - 1 */
	if (rm == 0 && ((__int128)m > (__int128)v * 1000 || (__int128)m <= ((__int128)v - 1) * 1000))
		abort();
	/* What the cgroups get of it stays in range. */
	if (rm == 0 && (pod_cpu_shares(m) < POD_CPU_MIN_SHARES ||
	                pod_cpu_shares(m) > POD_CPU_MAX_SHARES || pod_cpu_quota(m, POD_CPU_PERIOD) < 0 ||
	                pod_cpu_weight(pod_cpu_shares(m)) < 1 ||
	                pod_cpu_weight(pod_cpu_shares(m)) > 10000))
		abort();
	return 0;
}
