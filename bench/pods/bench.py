#!/usr/bin/env python3
"""bench/pods: how fast pods come and go (root).

Starts k1s on a temporary data directory and, for 1, 10 and 100 replicas
of a Deployment behind a Service (the built-in echo app), measures:
- apply -> every pod Ready and the Endpoints complete (seconds);
- pod deletion -> its address gone from the Endpoints (milliseconds);
- memory: k1s's resident set per pod, and the pods' own.
Kubernetes itself (kubelet, containerd) is not installable on these
machines to run beside it; the figures are k1s's own, for comparison
between versions.
Usage: sudo bench/pods/bench.py [--k1s build/k1s] [--replicas 1,10,100]
"""
import argparse, http.client, json, os, shutil, signal, socket, subprocess, sys, tempfile, time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Api:
    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def req(self, method, path, body=None, ctype="application/json"):
        hdr = {"Content-Type": ctype} if body is not None else {}
        self.c.request(method, path, body=json.dumps(body) if body is not None else None, headers=hdr)
        r = self.c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)


def endpoint_ips(api, name):
    st, ep = api.req("GET", f"/api/v1/namespaces/default/endpoints/{name}")
    if st != 200:
        return set()
    return {a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses") or []}


def wait(cond, limit):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        v = cond()
        if v:
            return v
        time.sleep(0.005)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k1s", default="build/k1s")
    ap.add_argument("--replicas", default="1,10,100")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/pods needs root (pods run in their own namespaces)", file=sys.stderr)
        return 77
    tmp = tempfile.mkdtemp(prefix="k1s-bench-pods-")
    port = free_port()
    proc = subprocess.Popen([a.k1s, "serve", "--data-dir", tmp + "/data", "--port", str(port),
                             "--store-sync", "normal", "--log-level", "warn", "--lb-pool", "none"],
                            stderr=open(tmp + "/k1s.log", "w"))
    rows = []
    try:
        def up():
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return True
            except OSError:
                return False
        wait(up, 10)
        time.sleep(0.5)
        api = Api(port)
        idle = rss_kib(proc.pid)
        for n in [int(x) for x in a.replicas.split(",")]:
            name = f"bench{n}"
            t0 = time.perf_counter()
            api.req("POST", "/api/v1/namespaces/default/services",
                    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                     "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}})
            st, _ = api.req("POST", "/apis/apps/v1/namespaces/default/deployments",
                            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                             "spec": {"replicas": n, "selector": {"matchLabels": {"app": name}},
                                      "template": {"metadata": {"labels": {"app": name}},
                                                   "spec": {"containers": [{"name": "app", "image": "bench:1",
                                                                            "ports": [{"containerPort": 8080}]}]}}}})
            ok = wait(lambda: len(endpoint_ips(api, name)) == n, 300)
            t_ready = time.perf_counter() - t0
            if not ok:
                print(f"{n} replicas: endpoints incomplete after 300 s", file=sys.stderr)
                return 1
            full = rss_kib(proc.pid)
            # Delete one pod: time until its address leaves the endpoints.
            st, pods = api.req("GET", f"/api/v1/namespaces/default/pods?labelSelector=app%3D{name}")
            pod_rss = 0
            for p in pods["items"]:
                for cs in p.get("status", {}).get("containerStatuses") or []:
                    cid = cs.get("containerID", "")
                    if cid.startswith("k1s://") and cid[6:].isdigit():
                        pod_rss += rss_kib(int(cid[6:]))
            victim = pods["items"][0]
            ip = victim["status"]["podIP"]
            t1 = time.perf_counter()
            api.req("DELETE", f"/api/v1/namespaces/default/pods/{victim['metadata']['name']}")
            wait(lambda: ip not in endpoint_ips(api, name), 60)
            t_gone = time.perf_counter() - t1
            rows.append((n, t_ready, t_gone * 1e3, (full - idle) / n, pod_rss / n))
            api.req("DELETE", f"/apis/apps/v1/namespaces/default/deployments/{name}")
            api.req("DELETE", f"/api/v1/namespaces/default/services/{name}")
            wait(lambda: api.req("GET", f"/api/v1/namespaces/default/pods?labelSelector=app%3D{name}")[1]["items"] == [], 120)
        print("k1s pods bench")
        print(f"{'replicas':>8} {'apply->ready s':>15} {'delete->ep gone ms':>19} {'k1s KiB/pod':>12} {'pod KiB':>8}")
        for r in rows:
            print(f"{r[0]:>8} {r[1]:>15.2f} {r[2]:>19.1f} {r[3]:>12.0f} {r[4]:>8.0f}")
    finally:
        proc.send_signal(signal.SIGINT)  # SIGTERM would leave the pods running
        proc.wait(60)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
