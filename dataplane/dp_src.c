/* Which address a backend sees: the client's or the node's. kube-proxy
 * DNATs and, in some cases, masquerades (pkg/proxy/iptables/proxier.go,
 * and the same in pkg/proxy/nftables): k1s proxies, so it connects from
 * the client's address (IP_TRANSPARENT) where kube-proxy would not
 * masquerade, and from its own where it would. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dp_int.h"

bool dp_src_client(const struct k1s_cidr *pods, bool external, bool local_policy,
		   uint32_t client, uint32_t ep)
{
	client = ntohl(client);
	ep = ntohl(ep);
	/* Hairpin: a pod reaching itself through its service. KUBE-SEP-*
	 * masquerades `-s <endpoint IP>`; the pod could not answer itself
	 * from its own address anyway. */
	if (client == ep)
		return false;
	/* Only a pod's reply comes back through a veth, where the reply
	 * rule takes it; a host address (the kubernetes service's, a
	 * manual Endpoints) would answer the client directly. */
	if (!pods || !k1s_cidr_contains(pods, ep))
		return false;
	/* Loopback cannot leave the host (route_localnet, and masquerade). */
	if ((client >> 24) == 127)
		return false;
	/* KUBE-EXT-*: "masquerade traffic for external destinations" unless
	 * the policy is Local, which keeps the source (pods included: "pod
	 * traffic for external destinations" goes to the service unmasked;
	 * the host's own, src-type LOCAL, is masqueraded, and a transparent
	 * bind to a host address is that address anyway). */
	if (external)
		return local_policy;
	/* A cluster IP: masqueraded when not from the cluster CIDR
	 * (localDetector.IfNotLocal()), so the host's own traffic shows the
	 * node and a pod's shows the pod. */
	return k1s_cidr_contains(pods, client);
}

int dp_src_bind(int fd, uint32_t client, bool stream)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = client};
	int one = 1;

	if (setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0)
		return -errno;
	/* The port is picked at connect, unique for the 4-tuple, rather than
	 * at bind, unique for the address. */
	if (stream && setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -errno;
	return 0;
}
