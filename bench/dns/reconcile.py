#!/usr/bin/env python3
"""bench/dns: how long a service change takes to reach k1s's answers.

For each of N rounds: POST a service and, from the moment the API answers
201, ask the DNS server for its name in a tight UDP loop until the answer
carries its address; then DELETE it and ask until NXDOMAIN (a query every
--interval ms, default 0.5: the figures are that much coarse). Prints the
p50 and the maximum of each, in milliseconds, measured from the API's
answer (the write is durable and acknowledged then) and from the request.

Changes --pause ms apart (default 200) are lone changes; with --pause 0
they come back to back, as in a burst.

Usage: reconcile.py --server URL --dns ADDR[:PORT] [--rounds N] [--pause MS]
"""
import argparse, http.client, json, os, socket, struct, sys, time, urllib.parse


def query(name, qtype=1):
    qid = int.from_bytes(os.urandom(2), "big")
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    return qid, struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + q + struct.pack(">HH", qtype, 1)


def ask(sock, name, timeout=0.05):
    """(rcode, answer count) of one A query, or None on timeout."""
    qid, pkt = query(name)
    sock.send(pkt)
    end = time.perf_counter() + timeout
    while True:
        left = end - time.perf_counter()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            r = sock.recv(4096)
        except socket.timeout:
            return None
        if len(r) >= 12 and struct.unpack(">H", r[:2])[0] == qid:
            flags, _, an = struct.unpack(">HHH", r[2:8])
            return flags & 0xF, an


def until(sock, name, ok, interval, limit=10.0):
    """When the answer first satisfies ok. Between queries a short pause,
    so that this loop and the server's answers leave the CPU to the
    control side being measured (2 cores here)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        r = ask(sock, name)
        if r is not None and ok(*r):
            return time.perf_counter()
        time.sleep(interval)
    return None


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--dns", required=True)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--label", default="")
    ap.add_argument("--interval", type=float, default=0.5, help="ms between queries")
    ap.add_argument("--pause", type=float, default=200,
                    help="ms before each create and delete: a lone change (0: back to back)")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.server)
    conn = http.client.HTTPConnection(u.hostname, u.port)
    host, _, port = a.dns.partition(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((host, int(port or 53)))

    def req(method, path, body=None):
        hdr = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=hdr)
        r = conn.getresponse()
        return r.status, r.read()

    add, add_req, gone, gone_req = [], [], [], []
    for i in range(a.rounds):
        name = f"reconcile-{os.getpid()}-{i}"
        fq = f"{name}.default.svc.cluster.local"
        time.sleep(a.pause / 1e3)
        t0 = time.perf_counter()
        st, body = req("POST", "/api/v1/namespaces/default/services",
                       {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                        "spec": {"ports": [{"port": 80}]}})
        t1 = time.perf_counter()
        if st != 201:
            sys.exit(f"create {name}: {st} {body[:200]}")
        t2 = until(sock, fq, lambda rc, an: rc == 0 and an > 0, a.interval / 1e3)
        if t2 is None:
            sys.exit(f"{fq} did not resolve within 10 s")
        add.append((t2 - t1) * 1e3)
        add_req.append((t2 - t0) * 1e3)
        time.sleep(a.pause / 1e3)
        t0 = time.perf_counter()
        st, body = req("DELETE", f"/api/v1/namespaces/default/services/{name}")
        t1 = time.perf_counter()
        if st not in (200, 202):
            sys.exit(f"delete {name}: {st} {body[:200]}")
        t2 = until(sock, fq, lambda rc, an: rc == 3, a.interval / 1e3)
        if t2 is None:
            sys.exit(f"{fq} still resolves 10 s after its delete")
        gone.append((t2 - t1) * 1e3)
        gone_req.append((t2 - t0) * 1e3)
    how = f"{a.pause:g} ms apart" if a.pause > 0 else "back to back"
    print(f"reconcile {a.label}, {a.rounds} rounds {how}, ms (p50 / max) from the API's "
          f"answer [from the request]:")
    print(f"  created -> resolves  {pct(add, 50):7.2f} / {max(add):7.2f}   "
          f"[{pct(add_req, 50):.2f} / {max(add_req):.2f}]")
    print(f"  deleted -> NXDOMAIN  {pct(gone, 50):7.2f} / {max(gone):7.2f}   "
          f"[{pct(gone_req, 50):.2f} / {max(gone_req):.2f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
