"""bench/api's scale cases (bench.py --case memory|pods).

memory: k1s's resident set beside the object count, on a fresh k1s each:
  N ConfigMaps, then N Services (each with the Endpoints and EndpointSlice
  its controller makes), and the bytes per object above idle.
pods: with S Services in the namespace (each pod gets their service links),
  a Deployment of the built-in echo app scaled 0 -> R; a GET of one
  Service every 10 ms on its own connection meanwhile: its p50/p99/max, and
  the time until the R endpoints are listed. Needs root (pods).
"""
import signal
import http.client, json, os, shutil, socket, subprocess, sys, tempfile, threading, time


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


class K1s:
    """k1s serve on a scratch data directory, and one keep-alive connection."""

    def __init__(self, k1s, extra=()):
        self.tmp = tempfile.mkdtemp(prefix="k1s-bench-scale-")
        self.port = free_port()
        self.proc = subprocess.Popen([k1s, "serve", "--data-dir", self.tmp + "/data", "--port", str(self.port),
                                      "--store-sync", "normal", "--log-level", "warn", "--lb-pool", "none",
                                      "--ingress-listen", "none", *extra],
                                     stderr=open(self.tmp + "/k1s.log", "w"))
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(1)
        self.c = self.conn()

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def req(self, method, path, body=None, c=None, ctype="application/json"):
        c = c or self.c
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": ctype} if body is not None else {})
        r = c.getresponse()
        data = r.read()
        return r.status, data

    def rss(self):
        return rss_kib(self.proc.pid)

    def settle(self):
        """Waits until RSS stops growing (the modules caught up)."""
        last = -1
        for _ in range(60):
            time.sleep(0.5)
            now = self.rss()
            if now == last:
                break
            last = now
        return self.rss()

    def stop(self):
        self.proc.send_signal(signal.SIGINT)  # SIGTERM would leave the pods running
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def svc(i):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": f"svc-{i}", "labels": {"app": f"a{i % 10}"}},
            "spec": {"selector": {"app": f"a{i % 10}"}, "ports": [{"port": 80, "targetPort": 8080}]}}


def create(k, kind, n):
    path = {"services": "/api/v1/namespaces/default/services",
            "configmaps": "/api/v1/namespaces/default/configmaps"}[kind]
    for i in range(n):
        body = svc(i) if kind == "services" else {
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"cm-{i}", "labels": {"app": f"a{i % 10}"}},
            "data": {"port": "80", "target": "8080"}}
        st, data = k.req("POST", path, body)
        if st != 201:
            raise RuntimeError(f"create {kind} {i}: {st} {data[:200]}")


def memory(k1s_bin, n):
    rows = []
    for kind in ("configmaps", "services"):
        k = K1s(k1s_bin)
        try:
            idle = k.settle()
            t0 = time.perf_counter()
            create(k, kind, n)
            t = time.perf_counter() - t0
            if kind == "services":
                # Each Service's Endpoints are made by its controller.
                for _ in range(240):
                    st, data = k.req("GET", "/api/v1/namespaces/default/endpoints?limit=1")
                    rest = json.loads(data)["metadata"].get("remainingItemCount", 0) + 1
                    if rest >= n:
                        break
                    time.sleep(0.5)
            full = k.settle()
            rows.append((kind, n, idle, full, (full - idle) * 1024 / n, n / t))
        finally:
            k.stop()
    print(f"k1s memory bench: {n} objects of each kind, each on a fresh k1s")
    print(f"{'objects':<22}{'RSS idle MiB':>13}{'RSS full MiB':>13}{'bytes/object':>13}{'creates/s':>10}")
    for kind, n, idle, full, per, rate in rows:
        label = f"{n} {kind}" + (" (+ Endpoints)" if kind == "services" else "")
        print(f"{label:<22}{idle / 1024:>13.1f}{full / 1024:>13.1f}{per:>13.0f}{rate:>10.0f}")
    return 0


def pods(k1s_bin, nsvc, replicas):
    if os.geteuid() != 0:
        print("bench/api --case pods needs root (pods run in their own namespaces)", file=sys.stderr)
        return 77
    k = K1s(k1s_bin)
    try:
        create(k, "services", nsvc)
        k.req("POST", "/api/v1/namespaces/default/services",
              {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}})
        st, _ = k.req("POST", "/apis/apps/v1/namespaces/default/deployments",
                      {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                       "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
                                "template": {"metadata": {"labels": {"app": "web"}},
                                             "spec": {"containers": [{"name": "app", "image": "bench:1",
                                                                      "ports": [{"containerPort": 8080}]}]}}}})
        time.sleep(2)
        lat, stop = [], threading.Event()

        def getter():
            c = k.conn()
            while not stop.is_set():
                s = time.perf_counter()
                k.req("GET", "/api/v1/namespaces/default/services/svc-1", c=c)
                lat.append(time.perf_counter() - s)
                time.sleep(0.01)

        th = threading.Thread(target=getter, daemon=True)
        th.start()
        time.sleep(1)
        idle_lat = list(lat)
        lat.clear()
        t0 = time.perf_counter()
        k.req("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
              {"spec": {"replicas": replicas}}, ctype="application/merge-patch+json")
        ready = None
        while time.perf_counter() - t0 < 600:
            st, data = k.req("GET", "/api/v1/namespaces/default/endpoints/web")
            ep = json.loads(data)
            n = sum(len(s.get("addresses") or []) for s in ep.get("subsets") or [])
            if n >= replicas:
                ready = time.perf_counter() - t0
                break
            time.sleep(0.1)
        stop.set()
        th.join(5)
        st, data = k.req("GET", "/api/v1/namespaces/default/pods?limit=1")
        pod = json.loads(data)["items"][0]
        env = 0
        cid = (pod["status"].get("containerStatuses") or [{}])[0].get("containerID", "")
        if cid.startswith("k1s://"):
            # The container's process is its init (PID 1 inside); the
            # program, with the pod's environment, is the init's child.
            pid = cid[6:]
            try:
                with open(f"/proc/{pid}/task/{pid}/children") as f:
                    pid = (f.read().split() or [pid])[0]
            except OSError:
                pass
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().count(b"\0")
        print(f"k1s API while pods start: {nsvc} Services, a Deployment scaled 0 -> {replicas}")
        print(f"{'measure':<40}{'value':>12}")
        print(f"{'GET idle p50 / p99 ms':<40}{pct(idle_lat, 50) * 1e3:>6.2f} /{pct(idle_lat, 99) * 1e3:>5.2f}")
        print(f"{'GET while starting p50 / p99 ms':<40}{pct(lat, 50) * 1e3:>6.2f} /{pct(lat, 99) * 1e3:>5.2f}")
        print(f"{'GET while starting max ms (' + str(len(lat)) + ' GETs)':<40}{max(lat or [0]) * 1e3:>12.1f}")
        print(f"{'scale -> ' + str(replicas) + ' endpoints s':<40}{ready if ready else float('nan'):>12.2f}")
        print(f"{'variables in a pod':<40}{env:>12}")
        return 0 if ready else 1
    finally:
        k.stop()
