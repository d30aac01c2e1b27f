#!/usr/bin/env python3
"""bench/volumes: how fast a Secret's change reaches the pods that mount it (root).

Starts k1s on a temporary data directory, creates a Secret and 1, then 10
pods mounting it (busybox sleeping), and measures:
- pods with the volume: apply -> every pod Running (seconds);
- a PUT of the Secret -> its new value in every pod's file (milliseconds,
  median and max over --updates PUTs), read on the host from the pod's
  volume, which is the file the container sees;
- the same with a 1 MiB Secret (the API's limit for one object);
  beside them, the PUT's own answer time (median).
The kubelet rewrites these files on its sync period (a minute and its
cache TTL, by default), so there is no rival to run beside it: the
figures are k1s's own, for comparison between versions.
Usage: sudo bench/volumes/bench.py [--k1s build/k1s] [--pods 1,10] [--updates 30]
"""
import signal
import argparse, base64, glob, http.client, json, os, shutil, socket, statistics, subprocess, sys
import tempfile, time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Api:
    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def req(self, method, path, body=None):
        hdr = {"Content-Type": "application/json"} if body is not None else {}
        self.c.request(method, path, body=json.dumps(body) if body is not None else None, headers=hdr)
        r = self.c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)


def wait(cond, limit):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        v = cond()
        if v:
            return v
        time.sleep(0.001)
    return None


def secret(value):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bench"},
            "data": {"key": base64.b64encode(value).decode()}}


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "vb"}},
            "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"],
                                     "volumeMounts": [{"name": "s", "mountPath": "/etc/s"}]}],
                     "volumes": [{"name": "s", "secret": {"secretName": "bench"}}]}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k1s", default="build/k1s")
    ap.add_argument("--pods", default="1,10")
    ap.add_argument("--updates", type=int, default=30)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/volumes needs root (pods run in their own namespaces)", file=sys.stderr)
        return 77
    tmp = tempfile.mkdtemp(prefix="k1s-bench-vol-")
    data = tmp + "/data"
    port = free_port()
    proc = subprocess.Popen([a.k1s, "serve", "--data-dir", data, "--port", str(port),
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
        api.req("POST", "/api/v1/namespaces/default/secrets", secret(b"v0"))
        made = 0
        for n in [int(x) for x in a.pods.split(",")]:
            t0 = time.perf_counter()
            for i in range(made, n):
                api.req("POST", "/api/v1/namespaces/default/pods", pod(f"vb{i}"))
            made = max(made, n)

            def running():
                st, pods = api.req("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dvb")
                return sum(p.get("status", {}).get("phase") == "Running" for p in pods["items"]) == made
            if not wait(running, 120):
                print(f"{n} pods: not Running after 120 s", file=sys.stderr)
                return 1
            t_run = time.perf_counter() - t0
            files = glob.glob(data + "/pods/default_vb*/volumes/kubernetes.io~secret/s/key")
            if len(files) != made:
                print(f"{len(files)} volume files for {made} pods", file=sys.stderr)
                return 1
            for size_name, size in (("8 B", 8), ("1 MiB", 1 << 20)):
                lat, put = [], []
                for u in range(a.updates):
                    value = (f"{n}-{u}-".encode() * size)[:size]
                    t1 = time.perf_counter()
                    st, _ = api.req("PUT", "/api/v1/namespaces/default/secrets/bench", secret(value))
                    if st != 200:
                        print(f"PUT of a {size_name} Secret: {st}", file=sys.stderr)
                        return 1
                    put.append((time.perf_counter() - t1) * 1e3)

                    def everywhere():
                        for f in files:
                            try:
                                with open(f, "rb") as fh:
                                    if fh.read() != value:
                                        return False
                            except OSError:
                                return False
                        return True
                    if not wait(everywhere, 30):
                        print(f"update {u} not in every pod's file after 30 s", file=sys.stderr)
                        return 1
                    lat.append((time.perf_counter() - t1) * 1e3)
                rows.append((n, t_run, size_name, statistics.median(put), statistics.median(lat),
                             max(lat)))
        print("k1s volumes bench: a Secret's PUT to its value in every pod's file")
        print(f"{'pods':>5} {'apply->running s':>17} {'secret':>7} {'PUT ms':>7} {'median ms':>10} "
              f"{'max ms':>8}")
        for r in rows:
            print(f"{r[0]:>5} {r[1]:>17.2f} {r[2]:>7} {r[3]:>7.1f} {r[4]:>10.1f} {r[5]:>8.1f}")
    finally:
        # Pods outlive a stopped k1s (it adopts them): delete them first.
        try:
            api = Api(port)
            api.req("DELETE", "/api/v1/namespaces/default/pods?labelSelector=app%3Dvb")
            wait(lambda: not glob.glob(data + "/pods/default_vb*"), 60)
        except OSError:
            pass
        proc.send_signal(signal.SIGINT)  # SIGTERM would leave the pods running
        proc.wait(60)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
