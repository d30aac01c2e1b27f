/* A container's requests and limits, read as kubelet reads them: the
 * quantities, the QoS class, and what they become in cgroups and in the
 * OOM killer's eyes. No I/O: the cgroups are pod_cgroup.c's. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "k1s_json.h"
#include "pod_rt_int.h"

/* Digits a quantity's number may have: more than any int64 needs. */
#define QTY_MAX_DIGITS 36
#define QTY_BOUND ((unsigned __int128)1 << 124)

static const struct {
	const char *suffix;
	int bin; /* power of 1024 */
	int dec; /* power of 10 */
} qty_suffixes[] = {
    {"Ki", 1, 0}, {"Mi", 2, 0}, {"Gi", 3, 0}, {"Ti", 4, 0}, {"Pi", 5, 0}, {"Ei", 6, 0},
    {"n", 0, -9}, {"u", 0, -6}, {"m", 0, -3}, {"k", 0, 3},  {"M", 0, 6},  {"G", 0, 9},
    {"T", 0, 12}, {"P", 0, 15}, {"E", 0, 18}, {"", 0, 0},
};

/* resource.Quantity's grammar (apimachinery pkg/api/resource/quantity.go):
 * [+-]digits[.digits] then a binary suffix (Ki..Ei), a decimal one
 * (n u m "" k M G T P E) or an exponent (e3, E-2). Value() and
 * MilliValue() round up, as here. Negative quantities are refused: no
 * request or limit may be one. */
int pod_quantity_parse(const char *s, size_t len, bool milli, int64_t *out)
{
	unsigned __int128 n = 0, r;
	size_t i = 0, digits = 0;
	int frac = 0, bin = 0, dec = 0;
	bool dot = false;

	if (i < len && s[i] == '+')
		i++;
	for (; i < len; i++) {
		if (s[i] == '.' && !dot) {
			dot = true;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			break;
		if (++digits > QTY_MAX_DIGITS)
			return -ERANGE;
		n = n * 10 + (unsigned)(s[i] - '0');
		frac += dot;
	}
	if (digits == 0)
		return -EINVAL;
	if (i < len && (s[i] == 'e' || s[i] == 'E') && i + 1 < len &&
	    (s[i + 1] == '-' || s[i + 1] == '+' || (s[i + 1] >= '0' && s[i + 1] <= '9'))) {
		bool neg = s[i + 1] == '-';
		size_t j = i + 1 + (s[i + 1] == '-' || s[i + 1] == '+'), k = j;

		for (; j < len && s[j] >= '0' && s[j] <= '9'; j++) {
			if (j - k >= 3)
				return -ERANGE;
			dec = dec * 10 + (s[j] - '0');
		}
		if (j == k || j != len)
			return -EINVAL;
		dec = neg ? -dec : dec;
		i = len;
	} else {
		size_t k;

		for (k = 0; k < sizeof(qty_suffixes) / sizeof(qty_suffixes[0]); k++) {
			size_t sl = strlen(qty_suffixes[k].suffix);

			if (len - i == sl && memcmp(s + i, qty_suffixes[k].suffix, sl) == 0)
				break;
		}
		if (k == sizeof(qty_suffixes) / sizeof(qty_suffixes[0]))
			return -EINVAL;
		bin = qty_suffixes[k].bin;
		dec = qty_suffixes[k].dec;
	}
	dec += (milli ? 3 : 0) - frac;
	/* Scaled up first, in 128 bits, so that "0.5Gi" loses nothing. */
	for (int b = 0; b < bin; b++) {
		if (n > QTY_BOUND / 1024)
			return -ERANGE;
		n *= 1024;
	}
	for (; dec > 0; dec--) {
		if (n > QTY_BOUND / 10)
			return -ERANGE;
		n *= 10;
	}
	/* What is left is a division: round up. */
	for (r = 1; dec < 0 && r <= n; dec++)
		r *= 10;
	if (dec < 0)
		n = n ? 1 : 0;
	else
		n = (n + r - 1) / r;
	if (n > INT64_MAX)
		return -ERANGE;
	*out = (int64_t)n;
	return 0;
}

/* One resource of a requests or limits map: 0 when absent, -EINVAL when
 * it is not a quantity. JSON numbers are accepted as the API's clients
 * send them too. */
static int res_one(const json_t *map, const char *name, bool milli, int64_t *out)
{
	const json_t *v = json_object_get(map, name);
	char buf[64];
	const char *s;

	*out = 0;
	if (!v)
		return 0;
	if (json_is_string(v)) {
		s = json_string_value(v);
		return pod_quantity_parse(s, strlen(s), milli, out);
	}
	if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, sizeof(buf), "%.9f", json_real_value(v));
	else
		return -EINVAL;
	return pod_quantity_parse(buf, strlen(buf), milli, out);
}

int pod_res_of(const json_t *cspec, struct pod_res *r)
{
	const json_t *req = k1s_json_path(cspec, "resources.requests");
	const json_t *lim = k1s_json_path(cspec, "resources.limits");
	int err;

	memset(r, 0, sizeof(*r));
	if ((err = res_one(lim, "memory", false, &r->mem_limit)) < 0 ||
	    (err = res_one(req, "memory", false, &r->mem_request)) < 0 ||
	    (err = res_one(lim, "cpu", true, &r->cpu_limit_m)) < 0 ||
	    (err = res_one(req, "cpu", true, &r->cpu_request_m)) < 0)
		return err;
	/* The API server defaults requests to limits; a stored object from
	 * elsewhere may not have been. */
	if (!json_object_get(req, "memory"))
		r->mem_request = r->mem_limit;
	if (!json_object_get(req, "cpu"))
		r->cpu_request_m = r->cpu_limit_m;
	return 0;
}

/* qos.GetPodQOS (pkg/apis/core/v1/helper/qos): BestEffort without any cpu
 * or memory request or limit, Guaranteed when every container limits both
 * and requests what it limits, else Burstable. */
enum pod_qos pod_qos_of(const json_t *spec)
{
	static const char *const lists[] = {"containers", "initContainers"};
	bool any = false, guaranteed = true;
	const json_t *c;
	size_t i;

	for (int l = 0; l < 2; l++)
		json_array_foreach(json_object_get(spec, lists[l]), i, c)
		{
			struct pod_res r;

			if (pod_res_of(c, &r) < 0)
				return POD_QOS_BURSTABLE;
			if (r.mem_limit || r.mem_request || r.cpu_limit_m || r.cpu_request_m)
				any = true;
			if (!r.mem_limit || !r.cpu_limit_m || r.mem_request != r.mem_limit ||
			    r.cpu_request_m != r.cpu_limit_m)
				guaranteed = false;
		}
	if (!any)
		return POD_QOS_BESTEFFORT;
	return guaranteed ? POD_QOS_GUARANTEED : POD_QOS_BURSTABLE;
}

const char *pod_qos_name(enum pod_qos q)
{
	return q == POD_QOS_GUARANTEED ? "Guaranteed"
	       : q == POD_QOS_BESTEFFORT ? "BestEffort"
	                                 : "Burstable";
}

/* kubelet's pkg/kubelet/qos/policy.go GetContainerOOMScoreAdjust. */
int pod_oom_score_adj(enum pod_qos q, int64_t mem_request, int64_t mem_capacity)
{
	int64_t adj;

	if (q == POD_QOS_GUARANTEED)
		return POD_OOM_GUARANTEED;
	if (q == POD_QOS_BESTEFFORT || mem_capacity <= 0)
		return POD_OOM_BESTEFFORT;
	/* A container asking for 10% of the memory gets 900; one using
	 * more than it asked ends near 1000, first in line. */
	adj = 1000 - (int64_t)(((__int128)1000 * mem_request) / mem_capacity);
	if (adj < 1000 + POD_OOM_GUARANTEED)
		return 1000 + POD_OOM_GUARANTEED;
	if (adj == POD_OOM_BESTEFFORT)
		return POD_OOM_BESTEFFORT - 1;
	return (int)adj;
}

/* kubelet's pkg/kubelet/cm MilliCPUToShares: 1024 a core, 2 at least (the
 * kernel's own minimum, what no request gets), 262144 at most. */
int64_t pod_cpu_shares(int64_t milli)
{
	int64_t shares;

	/* Past the kernel's most (and before the product overflows). */
	if (milli >= POD_CPU_MAX_SHARES * 1000 / 1024)
		return POD_CPU_MAX_SHARES;
	shares = milli * 1024 / 1000;
	return shares < POD_CPU_MIN_SHARES ? POD_CPU_MIN_SHARES : shares;
}

/* MilliCPUToQuota: the quota of a period; 0 = no limit; 1 ms at least
 * (the kernel refuses less). */
int64_t pod_cpu_quota(int64_t milli, int64_t period)
{
	int64_t quota;

	if (milli <= 0)
		return 0;
	if (milli > INT64_MAX / period)
		return INT64_MAX / 1000;
	quota = milli * period / 1000;
	return quota < POD_CPU_MIN_QUOTA ? POD_CPU_MIN_QUOTA : quota;
}

/* cgroup v2's cpu.weight from v1's shares, as runc's
 * ConvertCPUSharesToCgroupV2Value: [2, 262144] onto [1, 10000]. */
int64_t pod_cpu_weight(int64_t shares)
{
	if (shares < POD_CPU_MIN_SHARES)
		return 1;
	if (shares > POD_CPU_MAX_SHARES)
		shares = POD_CPU_MAX_SHARES;
	return 1 + ((shares - 2) * 9999) / (POD_CPU_MAX_SHARES - 2);
}
