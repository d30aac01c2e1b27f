/* The flow rings' totals as metric families. The names follow what the
 * anchors' exporters call the same things: CoreDNS counts
 * coredns_dns_responses_total{rcode="NOERROR"} (plugin/metrics/vars),
 * ingress-nginx nginx_ingress_controller_requests{status}, grouped here
 * by class ("2xx") as the ring counts them. */
#include <stdio.h>
#include <string.h>

#include "k1s_flow.h"
#include "k1s_metrics.h"

/* RFC 1035 4.1.1 and RFC 2136 2.2, the names dig prints. */
static const char *const rcode_names[K1S_FLOW_CODES] = {
    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI",
};

/* The rcodes a cluster's DNS answers with are always shown, so that a
 * rate over them starts at 0; the rest once they occur. */
#define RCODES_ALWAYS 6

static void rcodes(struct k1s_metrics *m, const struct k1s_flow_totals *t)
{
	char other[24];

	for (int i = 0; i < K1S_FLOW_CODES; i++) {
		const char *name = rcode_names[i];

		if (i >= RCODES_ALWAYS && !t->by_code[i])
			continue;
		if (!name) {
			snprintf(other, sizeof(other), "RCODE%d", i);
			name = other;
		}
		k1s_metrics_sample(m, "k1s_dns_responses_total", (double)t->by_code[i], "rcode",
		                   name, NULL);
	}
}

static void classes(struct k1s_metrics *m, const struct k1s_flow_totals *t)
{
	char code[16];

	for (int i = 1; i <= 5; i++) {
		snprintf(code, sizeof(code), "%dxx", i);
		k1s_metrics_sample(m, "k1s_ingress_requests_total", (double)t->by_code[i], "code",
		                   code, NULL);
	}
}

void k1s_metrics_flows(struct k1s_metrics *m, struct k1s_flow_ring *const *rings, size_t n)
{
	struct k1s_flow_totals t;
	size_t i;

	k1s_metrics_family(m, "k1s_flows_total", K1S_COUNTER,
	                   "Flows handled since start: connections (dataplane, policy), "
	                   "requests (ingress) and queries (dns).");
	for (i = 0; i < n; i++) {
		if (!rings[i])
			continue;
		k1s_flow_totals(rings[i], &t);
		k1s_metrics_sample(m, "k1s_flows_total", (double)t.flows, "module",
		                   k1s_flow_ring_module(rings[i]), NULL);
	}
	k1s_metrics_family(m, "k1s_flows_denied_total", K1S_COUNTER,
	                   "Flows denied by NetworkPolicy since start.");
	for (i = 0; i < n; i++) {
		if (!rings[i])
			continue;
		k1s_flow_totals(rings[i], &t);
		k1s_metrics_sample(m, "k1s_flows_denied_total", (double)t.denied, "module",
		                   k1s_flow_ring_module(rings[i]), NULL);
	}
	k1s_metrics_family(m, "k1s_flow_bytes_total", K1S_COUNTER,
	                   "Bytes of flows since start: sent by the client, and received "
	                   "by it.");
	for (i = 0; i < n; i++) {
		const char *mod;

		if (!rings[i])
			continue;
		k1s_flow_totals(rings[i], &t);
		mod = k1s_flow_ring_module(rings[i]);
		k1s_metrics_sample(m, "k1s_flow_bytes_total", (double)t.sent, "module", mod,
		                   "direction", "sent", NULL);
		k1s_metrics_sample(m, "k1s_flow_bytes_total", (double)t.received, "module", mod,
		                   "direction", "received", NULL);
	}
	for (i = 0; i < n; i++)
		if (rings[i] && strcmp(k1s_flow_ring_module(rings[i]), "dns") == 0) {
			k1s_flow_totals(rings[i], &t);
			k1s_metrics_family(m, "k1s_dns_responses_total", K1S_COUNTER,
			                   "DNS responses since start, by rcode.");
			rcodes(m, &t);
			break;
		}
	for (i = 0; i < n; i++)
		if (rings[i] && strcmp(k1s_flow_ring_module(rings[i]), "ingress") == 0) {
			k1s_flow_totals(rings[i], &t);
			k1s_metrics_family(m, "k1s_ingress_requests_total", K1S_COUNTER,
			                   "Ingress requests since start, by status class.");
			classes(m, &t);
			break;
		}
}
