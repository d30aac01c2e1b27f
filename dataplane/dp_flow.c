/* The dataplane's flow records (k1s_flow.h): filled on the loop's stack
 * and put into dp->flows, no allocation and no lock, once per connection
 * or UDP flow. Only the fixed fields are cleared: the ring copies a
 * string up to its end and no further is read. */
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>

#include "dp_int.h"
#include "k1s_flow.h"

static void fill(struct k1s_flow *f, uint8_t proto, const struct sockaddr_in *client,
		 const struct sockaddr_in *addr, const char *svc)
{
	memset(f, 0, offsetof(struct k1s_flow, service));
	f->name[0] = f->detail[0] = f->policies[0] = '\0';
	f->proto = proto;
	f->src = ntohl(client->sin_addr.s_addr);
	f->sport = ntohs(client->sin_port);
	f->dst = ntohl(addr->sin_addr.s_addr);
	f->dport = ntohs(addr->sin_port);
	K1S_FLOW_SET(f->service, svc);
}

void dp_flow_done(struct dp *dp, uint8_t proto, const struct sockaddr_in *client,
		  const struct sockaddr_in *addr, const char *svc, const struct sockaddr_in *ep,
		  uint64_t sent, uint64_t received)
{
	struct k1s_flow f;

	fill(&f, proto, client, addr, svc);
	if (ep) {
		f.ep = ntohl(ep->sin_addr.s_addr);
		f.ep_port = ntohs(ep->sin_port);
	}
	f.sent = sent;
	f.received = received;
	k1s_flow_put(dp->flows, &f);
}

void dp_flow_denied(struct dp *dp, uint8_t proto, const struct sockaddr_in *client,
		    const struct sockaddr_in *addr, const char *svc,
		    const struct pol_flow *denied, enum pol_verdict why)
{
	struct k1s_flow f;

	fill(&f, proto, client, addr, svc);
	f.denied = true;
	f.ep = denied->dst;
	f.ep_port = denied->dport;
	pol_count_drop_names(dp->pol, denied, why, f.policies, sizeof(f.policies));
	k1s_flow_put(dp->flows, &f);
}
