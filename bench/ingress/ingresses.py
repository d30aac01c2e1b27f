#!/usr/bin/env python3
"""bench/ingress: the Ingresses of the benchmark, and how long a change
takes to reach the ingress's answers.

  ingresses.py populate --server URL --rules N --backend ADDR:PORT
      N rules, one host each (h1.bench.test ... hN.bench.test), in
      Ingresses of up to 100 rules, all to the Service `up`: no selector,
      its Endpoints written here with ADDR:PORT (no pods needed). Run
      again with a larger N, it adds to what is there.

  ingresses.py reconcile --server URL --ingress ADDR:PORT --backend ADDR:PORT
                         --other ADDR:PORT [--rounds N]
      new: POST an Ingress for a new host, then ask the ingress for that
      host in a tight loop until it answers 200 (the default backend's
      404 before). backend: PUT the Endpoints of a Service between two
      upstreams that answer differently, until the answer comes from the
      new one. Prints p50, p99 and the maximum of each, in milliseconds
      from the API's answer (the write is acknowledged then).

  ingresses.py tls --server URL --host NAME --secret NAME --cert PEM --key PEM
      A kubernetes.io/tls Secret from the PEM files, as `kubectl create
      secret tls` makes it, and an Ingress for NAME to the Service `up`
      (populate makes it first) with that Secret in its tls section.
"""
import argparse, base64, http.client, json, socket, sys, time, urllib.parse

NS = "ingbench"
PER_INGRESS = 100


class Api:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port)

    def req(self, method, path, body=None):
        hdr = {"Content-Type": "application/json"} if body is not None else {}
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers=hdr)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, data

    def apply(self, path, obj):
        """Create OBJ under PATH, or replace it (with its resourceVersion)."""
        name = obj["metadata"]["name"]
        st, data = self.req("GET", f"{path}/{name}")
        if st == 200:
            obj["metadata"]["resourceVersion"] = json.loads(data)["metadata"]["resourceVersion"]
            st, data = self.req("PUT", f"{path}/{name}", obj)
        else:
            st, data = self.req("POST", path, obj)
        if st not in (200, 201):
            sys.exit(f"bench/ingress: {path}/{name}: {st} {data[:300]!r}")
        return st


ING = f"/apis/networking.k8s.io/v1/namespaces/{NS}/ingresses"
SVC = f"/api/v1/namespaces/{NS}/services"
SECRETS = f"/api/v1/namespaces/{NS}/secrets"
EPS = f"/api/v1/namespaces/{NS}/endpoints"


def service(api, name, backends):
    """Service NAME on port 80 without a selector, its Endpoints BACKENDS."""
    api.apply(SVC, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                    "spec": {"ports": [{"name": "http", "port": 80}]}})
    return endpoints(api, name, backends)


def endpoints(api, name, backends):
    addr, _, port = backends.partition(":")
    return api.apply(EPS, {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name},
                           "subsets": [{"addresses": [{"ip": addr}],
                                        "ports": [{"name": "http", "port": int(port)}]}]})


def ingress(name, hosts, svc):
    rule = lambda h: {"host": h, "http": {"paths": [{
        "path": "/", "pathType": "Prefix",
        "backend": {"service": {"name": svc, "port": {"number": 80}}}}]}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name},
            "spec": {"ingressClassName": "nginx", "rules": [rule(h) for h in hosts]}}


def populate(a):
    api = Api(a.server)
    st, _ = api.req("POST", "/api/v1/namespaces",
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    if st not in (201, 409):
        sys.exit(f"bench/ingress: namespace {NS}: {st}")
    service(api, "up", a.backend)
    for k in range((a.rules + PER_INGRESS - 1) // PER_INGRESS):
        first = k * PER_INGRESS + 1
        last = min(a.rules, first + PER_INGRESS - 1)
        api.apply(ING, ingress(f"r-{k}", [f"h{i}.bench.test" for i in range(first, last + 1)],
                               "up"))


def tls(a):
    api = Api(a.server)
    pem = lambda path: base64.b64encode(open(path, "rb").read()).decode()
    api.apply(SECRETS, {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                        "metadata": {"name": a.secret},
                        "data": {"tls.crt": pem(a.cert), "tls.key": pem(a.key)}})
    ing = ingress("tls", [a.host], "up")
    ing["spec"]["tls"] = [{"hosts": [a.host], "secretName": a.secret}]
    api.apply(ING, ing)


def get(addr, host):
    """Status and body of GET / for HOST, on a new connection."""
    s = socket.create_connection(addr, timeout=2)
    try:
        s.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), body


def until(addr, host, ok, limit=10.0):
    """When the ingress's answer for HOST first satisfies ok, or None. A
    short pause between tries leaves the CPU to the side being measured."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        try:
            if ok(*get(addr, host)):
                return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.0005)
    return None


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


def reconcile(a):
    api = Api(a.server)
    host, _, port = a.ingress.partition(":")
    addr = (host, int(port))
    new, changed, missed = [], [], 0
    service(api, "flip", a.backend)
    api.apply(ING, ingress("flip", ["flip.bench.test"], "flip"))
    if until(addr, "flip.bench.test", lambda st, body: st == 200) is None:
        sys.exit("bench/ingress: flip.bench.test does not answer")
    cur = a.backend
    for i in range(a.rounds):
        time.sleep(a.pause / 1000)
        name = f"rc-{i}"
        st, data = api.req("POST", ING, ingress(name, [f"{name}.bench.test"], "up"))
        t = time.perf_counter()
        if st != 201:
            sys.exit(f"bench/ingress: POST {name}: {st} {data[:300]!r}")
        done = until(addr, f"{name}.bench.test", lambda st, body: st == 200)
        if done is None:
            missed += 1
        else:
            new.append((done - t) * 1000)
        api.req("DELETE", f"{ING}/{name}")

        # The two upstreams answer differently: wait for the other's answer.
        time.sleep(a.pause / 1000)
        _, before = get(addr, "flip.bench.test")
        cur = a.other if cur == a.backend else a.backend
        endpoints(api, "flip", cur)
        t = time.perf_counter()
        ok = lambda st, body: st == 200 and body != before
        done = until(addr, "flip.bench.test", ok)
        if done is None:
            missed += 1
        else:
            changed.append((done - t) * 1000)
    for what, xs in (("a new Ingress", new), ("a changed backend (Endpoints)", changed)):
        print(f"{a.label}{what}: p50 {pct(xs, 50):.1f} ms, p99 {pct(xs, 99):.1f} ms, "
              f"max {max(xs) if xs else float('nan'):.1f} ms over {len(xs)} tries")
    if missed:
        print(f"{a.label}{missed} changes not seen within 10 s")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("populate")
    p.add_argument("--server", required=True)
    p.add_argument("--rules", type=int, required=True)
    p.add_argument("--backend", required=True)
    r = sub.add_parser("reconcile")
    r.add_argument("--server", required=True)
    r.add_argument("--ingress", required=True)
    r.add_argument("--backend", required=True)
    r.add_argument("--other", required=True)
    r.add_argument("--rounds", type=int, default=50)
    r.add_argument("--pause", type=float, default=100, help="ms before each change")
    r.add_argument("--label", default="")
    t = sub.add_parser("tls")
    t.add_argument("--server", required=True)
    t.add_argument("--host", required=True)
    t.add_argument("--secret", required=True)
    t.add_argument("--cert", required=True)
    t.add_argument("--key", required=True)
    a = ap.parse_args()
    {"populate": populate, "reconcile": reconcile, "tls": tls}[a.cmd](a)


if __name__ == "__main__":
    main()
