#!/usr/bin/env python3
"""bench/api: the API server and store at 10,000 objects.

Starts k1s on a temporary data directory and measures, over one keep-alive
HTTP connection (as informers and kubectl use them):
- create: objects per second and p50/p99 latency of POSTing services (each
  allocates a cluster IP, so admission and allocation are in the path);
- list: p50/p99 latency of listing all of them;
- watch: the time for a watch to deliver the events of N writes;
- apply: p50/p99 of the real `kubectl apply` of one manifest (when kubectl
  is installed), which is what a user waits for;
- resident memory of k1s idle and with 10,000 services.

There is no kube-apiserver or etcd on these machines to run beside it; the
figures are k1s's own, for comparison between versions.
Usage: bench/api/bench.py [--k1s build/k1s] [--objects 10000] [--sync full|normal]
       bench/api/bench.py --case memory [--objects 10000]
       sudo bench/api/bench.py --case pods [--objects 1000] [--replicas 100]
       bench/api/bench.py --case creates [--k1s A --k1s B] [--clients 1,50] [--seconds 5]
The memory and pods cases (bench/api/scale.py): resident set per Service
and per ConfigMap; the API's latency while pods start. The creates case
(bench/api/creates.py): creates per second by 1 and by 50 concurrent
clients, for one build or two side by side.
"""
import signal
import argparse, http.client, json, os, shutil, socket, subprocess, sys, tempfile, threading, time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k1s", action="append")
    ap.add_argument("--objects", type=int, default=10000)
    ap.add_argument("--sync", default="full")
    ap.add_argument("--case", default="api", choices=["api", "memory", "pods", "creates"])
    ap.add_argument("--clients", default="1,50")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--replicas", type=int, default=100)
    a = ap.parse_args()
    builds = a.k1s or ["build/k1s"]
    a.k1s = builds[0]
    if a.case != "api":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        if a.case == "creates":
            import creates
            return creates.creates(builds, [int(c) for c in a.clients.split(",")], a.seconds, a.sync)
        import scale
        if a.case == "memory":
            return scale.memory(a.k1s, a.objects)
        return scale.pods(a.k1s, a.objects, a.replicas)

    tmp = tempfile.mkdtemp(prefix="k1s-bench-")
    port = free_port()
    proc = subprocess.Popen([a.k1s, "serve", "--data-dir", tmp + "/data", "--port", str(port),
                             "--store-sync", a.sync, "--log-level", "warn", "--lb-pool", "none",
                             "--ingress-listen", "none"],
                            stderr=open(tmp + "/k1s.log", "w"))
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        idle = rss_kib(proc.pid)
        conn = http.client.HTTPConnection("127.0.0.1", port)

        def req(method, path, body=None):
            hdr = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=hdr)
            r = conn.getresponse()
            data = r.read()
            return r.status, data

        # Watch from now, in a thread on its own connection.
        status, body = req("GET", "/api/v1/namespaces/default/services?limit=1")
        rv = json.loads(body)["metadata"]["resourceVersion"]
        got = {"n": 0, "t": None}
        n = a.objects

        def watch():
            c = http.client.HTTPConnection("127.0.0.1", port)
            c.request("GET", f"/api/v1/namespaces/default/services?watch=true&resourceVersion={rv}")
            r = c.getresponse()
            for line in r:
                if b'"ADDED"' in line:
                    got["n"] += 1
                    if got["n"] == n:
                        got["t"] = time.perf_counter()
                        return

        wt = threading.Thread(target=watch, daemon=True)
        wt.start()
        lat = []
        t0 = time.perf_counter()
        for i in range(n):
            s = time.perf_counter()
            status, body = req("POST", "/api/v1/namespaces/default/services",
                               {"apiVersion": "v1", "kind": "Service",
                                "metadata": {"name": f"svc-{i}", "labels": {"app": f"a{i % 10}"}},
                                "spec": {"selector": {"app": f"a{i % 10}"}, "ports": [{"port": 80, "targetPort": 8080}]}})
            lat.append(time.perf_counter() - s)
            if status != 201:
                print("create failed:", status, body[:200], file=sys.stderr)
                return 1
        t_create = time.perf_counter() - t0
        wt.join(60)
        t_watch = (got["t"] - t0) if got["t"] else float("nan")
        full = rss_kib(proc.pid)

        list_lat = []
        for _ in range(5):
            s = time.perf_counter()
            status, body = req("GET", "/api/v1/namespaces/default/services")
            list_lat.append(time.perf_counter() - s)
        items = len(json.loads(body)["items"])
        sel_lat = []
        for _ in range(5):
            s = time.perf_counter()
            req("GET", "/api/v1/namespaces/default/services?labelSelector=app%3Da3")
            sel_lat.append(time.perf_counter() - s)

        apply_lat = []
        kubectl = shutil.which("kubectl")
        manifest = os.path.join(os.path.dirname(__file__), "../../../shared/manifests/01-clusterip-service.yaml")
        if kubectl and os.path.exists(manifest):
            for i in range(10):
                s = time.perf_counter()
                subprocess.run([kubectl, "-s", f"http://127.0.0.1:{port}", "--cache-dir", tmp + "/kc",
                                "apply", "-f", manifest], capture_output=True, check=True)
                apply_lat.append(time.perf_counter() - s)

        print(f"k1s API bench: {n} services, store sync={a.sync}")
        print(f"{'measure':<34}{'value':>14}")
        print(f"{'create objects/s':<34}{n / t_create:>14.0f}")
        print(f"{'create p50 / p99 ms':<34}{pct(lat, 50) * 1e3:>7.2f} /{pct(lat, 99) * 1e3:>5.2f}")
        print(f"{'watch: all events delivered s':<34}{t_watch:>14.2f}")
        print(f"{'list all (' + str(items) + ') p50 / p99 ms':<34}{pct(list_lat, 50) * 1e3:>7.1f} /{pct(list_lat, 99) * 1e3:>5.1f}")
        print(f"{'list by label p50 / p99 ms':<34}{pct(sel_lat, 50) * 1e3:>7.1f} /{pct(sel_lat, 99) * 1e3:>5.1f}")
        if apply_lat:
            print(f"{'kubectl apply p50 / p99 ms':<34}{pct(apply_lat, 50) * 1e3:>7.0f} /{pct(apply_lat, 99) * 1e3:>5.0f}")
        print(f"{'RSS idle MiB':<34}{idle / 1024:>14.1f}")
        print(f"{'RSS with ' + str(n) + ' services MiB':<34}{full / 1024:>14.1f}")
    finally:
        proc.send_signal(signal.SIGINT)  # SIGTERM would leave the pods running
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
