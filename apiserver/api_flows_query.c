/* The query of /k1s/flows (notes of the flow API): the filters, limit,
 * and the watch's options, checked whole before anything is read, so that
 * a bad value is a 400 Status naming it, as kube-apiserver answers a bad
 * list option. Kept apart from the serving for the fuzz target. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "k1s_flow.h"

/* A non-negative decimal that fits max: 0, or -EINVAL. */
static int parse_count(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || strlen(s) > 20)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* A DNS label (RFC 1123), as a namespace's name is; a pod's name is a
 * subdomain: labels joined by dots, at most 253 bytes. */
static bool dns_name_ok(const char *s, size_t max, bool dots)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool edge = i == 0 || i == n - 1 || (dots && (s[i - 1] == '.' || s[i + 1] == '.'));

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (c == '-' && !edge)
			continue;
		if (c == '.' && dots && !edge)
			continue;
		return false;
	}
	return true;
}

static int bad(char *msg, size_t len, const char *what, const char *v, const char *why)
{
	snprintf(msg, len, "invalid value \"%.200s\" for %s: %s", v, what, why);
	return -EINVAL;
}

int api_flows_parse(const char *query, struct api_flows_q *q, char *msg, size_t len)
{
	char v[API_VIEW_QUERY_MAX + 1];
	uint64_t n;
	int r;

	memset(q, 0, sizeof(*q));
	q->verdict = -1;
	q->timeout_s = API_FLOWS_TIMEOUT_S;
	if ((r = api_query_param(query, "namespace", v, sizeof(v))) >= 0 && *v) {
		if (!dns_name_ok(v, 63, false))
			return bad(msg, len, "namespace", v, "not a namespace's name (RFC 1123 label)");
		snprintf(q->ns, sizeof(q->ns), "%s", v);
	}
	if (r == -EINVAL || r == -ENOSPC)
		return bad(msg, len, "namespace", "", "bad encoding or too long");
	if ((r = api_query_param(query, "pod", v, sizeof(v))) >= 0 && *v) {
		if (!dns_name_ok(v, 253, true))
			return bad(msg, len, "pod", v, "not a pod's name (RFC 1123 subdomain)");
		snprintf(q->pod, sizeof(q->pod), "%s", v);
	}
	if (r == -EINVAL || r == -ENOSPC)
		return bad(msg, len, "pod", "", "bad encoding or too long");
	if ((r = api_query_param(query, "verdict", v, sizeof(v))) >= 0 && *v) {
		if (strcmp(v, "Allowed") == 0)
			q->verdict = 0;
		else if (strcmp(v, "Denied") == 0)
			q->verdict = 1;
		else
			return bad(msg, len, "verdict", v, "must be Allowed or Denied");
	}
	if (r == -EINVAL || r == -ENOSPC)
		return bad(msg, len, "verdict", "", "bad encoding or too long");
	if ((r = api_query_param(query, "module", v, sizeof(v))) >= 0 && *v) {
		if (strcmp(v, "dataplane") && strcmp(v, "ingress") && strcmp(v, "dns") &&
		    strcmp(v, "policy"))
			return bad(msg, len, "module", v,
				   "must be dataplane, ingress, dns or policy");
		snprintf(q->module, sizeof(q->module), "%s", v);
	}
	if (r == -EINVAL || r == -ENOSPC)
		return bad(msg, len, "module", "", "bad encoding or too long");
	if ((r = api_query_param(query, "limit", v, sizeof(v))) >= 0 && *v) {
		/* limit=0 is no limit, as in a Kubernetes list. */
		if (parse_count(v, INT64_MAX, &n) < 0)
			return bad(msg, len, "limit", v, "must be a non-negative integer");
		q->limit = (int64_t)n;
	}
	if (r == -EINVAL || r == -ENOSPC)
		return bad(msg, len, "limit", "", "bad encoding or too long");
	if ((r = api_query_param(query, "watch", v, sizeof(v))) >= 0 && *v) {
		/* strconv.ParseBool, as kube-apiserver reads watch=. */
		if (api_query_go_bool(v, &q->watch) < 0)
			return bad(msg, len, "watch", v, "must be true or false");
	}
	if (r == -EINVAL || r == -ENOSPC)
		return bad(msg, len, "watch", "", "bad encoding or too long");
	if ((r = api_query_param(query, "allowWatchBookmarks", v, sizeof(v))) >= 0 && *v) {
		if (api_query_go_bool(v, &q->bookmarks) < 0)
			return bad(msg, len, "allowWatchBookmarks", v, "must be true or false");
	}
	if (r == -EINVAL || r == -ENOSPC)
		return bad(msg, len, "allowWatchBookmarks", "", "bad encoding or too long");
	if ((r = api_query_param(query, "resourceVersion", v, sizeof(v))) >= 0 && *v) {
		if (parse_count(v, UINT64_MAX, &n) < 0) {
			snprintf(msg, len, "invalid resource version \"%.200s\"", v);
			return -EINVAL;
		}
		q->rv = n;
	}
	if (r == -EINVAL || r == -ENOSPC)
		return bad(msg, len, "resourceVersion", "", "bad encoding or too long");
	if ((r = api_query_param(query, "timeoutSeconds", v, sizeof(v))) >= 0 && *v) {
		if (parse_count(v, INT64_MAX, &n) < 0)
			return bad(msg, len, "timeoutSeconds", v, "must be a non-negative integer");
		/* 0 is the default, as kube-apiserver takes it. */
		q->timeout_s = n == 0 ? API_FLOWS_TIMEOUT_S
			       : n > API_FLOWS_TIMEOUT_MAX_S ? API_FLOWS_TIMEOUT_MAX_S
							     : (int64_t)n;
	}
	if (r == -EINVAL || r == -ENOSPC)
		return bad(msg, len, "timeoutSeconds", "", "bad encoding or too long");
	return 0;
}
