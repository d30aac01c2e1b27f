#!/usr/bin/env python3
"""bench/dns: fill k1s with services, then write the same names as zones.

Creates N services through the API over one keep-alive connection, spread
over a few namespaces: most are ClusterIP with a named port (some with a
second, UDP one), every tenth is headless without a selector, with an
Endpoints object (and an EndpointSlice) of three addresses, one of them
with a hostname. Then reads every service and endpoint back from the API
and writes, in OUT:

  cluster.local.zone, 10.in-addr.arpa.zone   zone files (Knot DNS, NSD)
  unbound.conf                               the same as local-data
  queries.txt                                dnsperf input: A (most), SRV,
                                             PTR and NXDOMAIN names, shuffled
  samples.txt                                a few names of each kind, to
                                             compare every server's answers

The records follow the Kubernetes DNS specification (schema 1.1.0); the
conventions the specification leaves open (TTL, SRV priority and weight,
the name of an endpoint without a hostname, the SOA) are passed in, taken
from what k1s answers, so that every server gives the same answer.

Usage: populate.py --server URL --services N --out DIR [--ttl S]
         [--srv-prio P] [--srv-weight W] [--export-only]
"""
import argparse, http.client, json, os, random, sys, urllib.parse

DOMAIN = "cluster.local"
NAMESPACES = ["default", "bench-a", "bench-b", "bench-c"]


class Api:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port)

    def req(self, method, path, body=None):
        hdr = {"Content-Type": "application/json"} if body is not None else {}
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers=hdr)
        r = self.conn.getresponse()
        return r.status, r.read()


def fake_ip(k):
    """The k-th endpoint address: 10.244.200.1 upwards, never a real pod's."""
    return f"10.244.{200 + k // 250}.{k % 250 + 1}"


def create(api, n):
    for ns in NAMESPACES[1:]:
        st, body = api.req("POST", "/api/v1/namespaces",
                           {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        if st not in (201, 409):
            sys.exit(f"namespace {ns}: {st} {body[:200]}")
    k = 0
    for i in range(n):
        ns = NAMESPACES[i % len(NAMESPACES)]
        name = f"svc-{i}"
        headless = i % 10 == 0
        ports = [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]
        if i % 3 == 0:
            ports.append({"name": "dns", "port": 53, "targetPort": 53, "protocol": "UDP"})
        spec = {"ports": ports}
        if headless:
            spec["clusterIP"] = "None"
        else:
            spec["selector"] = {"app": name}
        st, body = api.req("POST", f"/api/v1/namespaces/{ns}/services",
                           {"apiVersion": "v1", "kind": "Service",
                            "metadata": {"name": name}, "spec": spec})
        if st != 201:
            sys.exit(f"service {ns}/{name}: {st} {body[:200]}")
        if not headless:
            continue
        addrs = []
        for j in range(3):
            a = {"ip": fake_ip(k)}
            if j == 0:
                a["hostname"] = f"host-{j}"
            addrs.append(a)
            k += 1
        eports = [{"name": p["name"], "port": p["targetPort"], "protocol": p["protocol"]}
                  for p in ports]
        st, body = api.req("POST", f"/api/v1/namespaces/{ns}/endpoints",
                           {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name},
                            "subsets": [{"addresses": addrs, "ports": eports}]})
        if st != 201:
            sys.exit(f"endpoints {ns}/{name}: {st} {body[:200]}")
        eps = []
        for a in addrs:
            e = {"addresses": [a["ip"]], "conditions": {"ready": True}}
            if "hostname" in a:
                e["hostname"] = a["hostname"]
            eps.append(e)
        st, body = api.req("POST", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
                           {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                            "metadata": {"name": name + "-bench",
                                         "labels": {"kubernetes.io/service-name": name,
                                                    "endpointslice.kubernetes.io/managed-by": "bench"}},
                            "addressType": "IPv4", "endpoints": eps, "ports": eports})
        if st != 201:
            sys.exit(f"endpointslice {ns}/{name}: {st} {body[:200]}")


def rev(ip):
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa."


def export(api, a):
    st, body = api.req("GET", "/api/v1/services")
    svcs = json.loads(body)["items"]
    st, body = api.req("GET", "/api/v1/endpoints")
    eps = {(e["metadata"]["namespace"], e["metadata"]["name"]): e for e in json.loads(body)["items"]}
    ttl = a.ttl
    fwd, ptr = [], []
    q_a, q_hl, q_srv, q_ptr, q_nx = [], [], [], [], []

    def rr(lst, name, typ, data):
        lst.append(f"{name} {ttl} IN {typ} {data}")

    for s in svcs:
        ns, name = s["metadata"]["namespace"], s["metadata"]["name"]
        spec = s["spec"]
        fq = f"{name}.{ns}.svc.{DOMAIN}."
        typ = spec.get("type", "ClusterIP")
        if typ == "ExternalName":
            rr(fwd, fq, "CNAME", spec["externalName"].rstrip(".") + ".")
            continue
        ports = [p for p in spec.get("ports", []) if p.get("name")]
        cip = spec.get("clusterIP")
        if cip and cip != "None":
            rr(fwd, fq, "A", cip)
            rr(ptr, rev(cip), "PTR", fq)
            for p in ports:
                rr(fwd, f"_{p['name']}._{p.get('protocol', 'TCP').lower()}.{fq}", "SRV",
                   f"{a.srv_prio} {a.srv_weight} {p['port']} {fq}")
            q_a.append(fq)
            q_ptr.append(rev(cip))
            if ports:
                q_srv.append(f"_{ports[0]['name']}._{ports[0].get('protocol', 'TCP').lower()}.{fq}")
            continue
        # Headless: the ready addresses; each endpoint under its own name.
        e = eps.get((ns, name))
        targets = []
        for sub in (e or {}).get("subsets", []) or []:
            for ad in sub.get("addresses", []) or []:
                ip = ad["ip"]
                host = ad.get("hostname") or ip.replace(".", "-")
                rr(fwd, fq, "A", ip)
                t = f"{host}.{fq}"
                rr(fwd, t, "A", ip)
                rr(ptr, rev(ip), "PTR", t)
                targets.append((t, sub.get("ports", []) or []))
        # One SRV per endpoint and named port, on the endpoint's port; the
        # weight is split across the set.
        for p in ports:
            proto = p.get("protocol", "TCP").lower()
            set_ = []
            for t, eports in targets:
                port = next((ep["port"] for ep in eports if ep.get("name") == p["name"]), None)
                if port is not None:
                    set_.append((port, t))
            for port, t in set_:
                rr(fwd, f"_{p['name']}._{proto}.{fq}", "SRV",
                   f"{a.srv_prio} {max(1, a.srv_weight // len(set_))} {port} {t}")
        if targets:
            q_hl.append(fq)
            if ports:
                q_srv.append(f"_{ports[0]['name']}._{ports[0].get('protocol', 'TCP').lower()}.{fq}")
    for i in range(max(1, len(svcs) // 10)):
        q_nx.append(f"missing-{i}.{NAMESPACES[i % len(NAMESPACES)]}.svc.{DOMAIN}.")

    soa = f"{a.soa_mname} {a.soa_rname} 1 7200 1800 86400 {ttl}"
    head = [f"$ORIGIN {DOMAIN}.", f"{DOMAIN}. {ttl} IN SOA {soa}",
            f"{DOMAIN}. {ttl} IN NS {a.soa_mname}"]
    if a.soa_mname.endswith(f".{DOMAIN}."):
        head.append(f"{a.soa_mname} {ttl} IN A 10.96.0.10")
    rhead = ["$ORIGIN 10.in-addr.arpa.", f"10.in-addr.arpa. {ttl} IN SOA {soa}",
             f"10.in-addr.arpa. {ttl} IN NS {a.soa_mname}"]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, f"{DOMAIN}.zone"), "w") as f:
        f.write("\n".join(head + fwd) + "\n")
    with open(os.path.join(a.out, "10.in-addr.arpa.zone"), "w") as f:
        f.write("\n".join(rhead + ptr) + "\n")
    with open(os.path.join(a.out, "unbound.conf"), "w") as f:
        f.write(f'\tlocal-zone: "{DOMAIN}." static\n\tlocal-zone: "10.in-addr.arpa." static\n')
        for line in head[1:] + fwd + rhead[1:] + ptr:
            f.write(f'\tlocal-data: "{line}"\n')

    # The mix: 70 % A (a seventh of them headless), 10 % each SRV, PTR, NXDOMAIN.
    rnd = random.Random(1)
    qs = []
    for _ in range(a.queries):
        x = rnd.random()
        if x < 0.60 or (x < 0.70 and not q_hl):
            qs.append(f"{rnd.choice(q_a)} A")
        elif x < 0.70:
            qs.append(f"{rnd.choice(q_hl)} A")
        elif x < 0.80:
            qs.append(f"{rnd.choice(q_srv)} SRV")
        elif x < 0.90:
            qs.append(f"{rnd.choice(q_ptr)} PTR")
        else:
            qs.append(f"{rnd.choice(q_nx)} A")
    with open(os.path.join(a.out, "queries.txt"), "w") as f:
        f.write("\n".join(qs) + "\n")
    with open(os.path.join(a.out, "samples.txt"), "w") as f:
        for lst, t in ((q_a, "A"), (q_hl, "A"), (q_srv, "SRV"), (q_ptr, "PTR"), (q_nx, "A")):
            for nm in lst[:3]:
                f.write(f"{nm} {t}\n")
        f.write(f"{q_a[0]} AAAA\n")	# NODATA
    print(f"{len(svcs)} services, {len(fwd) + len(ptr)} records, {len(qs)} queries")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--queries", type=int, default=100000)
    ap.add_argument("--ttl", type=int, default=5)
    ap.add_argument("--srv-prio", type=int, default=0)
    ap.add_argument("--srv-weight", type=int, default=100)
    ap.add_argument("--soa-mname", default=f"ns.dns.{DOMAIN}.")
    ap.add_argument("--soa-rname", default=f"hostmaster.{DOMAIN}.")
    ap.add_argument("--export-only", action="store_true")
    a = ap.parse_args()
    api = Api(a.server)
    if not a.export_only:
        create(api, a.services)
    export(api, a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
