#!/usr/bin/env python3
"""bench/logs: a pod that writes its log at full speed (root).

Starts k1s on a temporary data directory with kubelet's default rotation
(10Mi x 5, or --max-size/--max-files), runs a pod whose container is
`yes LINE` (80-byte lines), and for --seconds measures:
- the log written by the pod's shim (MB/s, from its /proc/PID/io wchar);
- CPU of k1s and of the shim (% of one core);
- the disk the container's log files use at most (sampled every 0.2 s),
  against max-size x max-files;
- the API's latency (GET of a pod, p50 and p99 in ms), before the flood
  and during it, and whether another pod's `logs --tail=1` answers;
- with --follow, a `logs -f` of the flood (follow=true) meanwhile: the
  share of the records written that it received. It looks every 100 ms
  when at the end and the writer rotates many times in between; it may
  fall behind the writer, and what the writer removes (past max-files)
  before it is read is lost, as with kubelet.
Usage: sudo bench/logs/bench.py [--k1s build/k1s] [--seconds 20] [--follow]
"""
import signal
import argparse, http.client, json, os, shutil, socket, subprocess, sys, tempfile, threading, time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def req(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def pod(name, args):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": "Never",
                     "containers": [{"name": name, "image": "busybox", "args": args}]}}


def cpu_jiffies(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


def wchar(pid):
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


def du(path):
    total = 0
    for e in os.scandir(path):
        try:
            total += e.stat(follow_symlinks=False).st_size
        except OSError:
            pass
    return total


def latencies(port, seconds, during=None):
    out = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        t0 = time.perf_counter()
        st, _ = req(port, "GET", "/api/v1/namespaces/default/pods/quiet")
        out.append((time.perf_counter() - t0) * 1000)
        if st != 200:
            sys.exit(f"GET pod answered {st}")
        if during:
            during()
        time.sleep(0.02)
    out.sort()
    return out[len(out) // 2], out[min(len(out) - 1, int(len(out) * 0.99))], len(out)


class Follower(threading.Thread):
    """GET pods/<name>/log?follow=true, counting the lines received."""

    def __init__(self, port, name):
        super().__init__(daemon=True)
        self.lines = 0
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.c.request("GET", f"/api/v1/namespaces/default/pods/{name}/log?follow=true")
        self.r = self.c.getresponse()
        if self.r.status != 200:
            sys.exit(f"logs -f answered {self.r.status}")

    def run(self):
        try:
            while True:
                b = self.r.read1(65536)
                if not b:
                    break
                self.lines += b.count(b"\n")
        except (OSError, http.client.HTTPException):
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k1s", default="build/k1s")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--max-size", default="10Mi")
    ap.add_argument("--max-files", type=int, default=5)
    ap.add_argument("--follow", action="store_true")
    a = ap.parse_args()
    size = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
    max_bytes = int(a.max_size[:-2]) * size[a.max_size[-2:]] if a.max_size[-2:] in size \
        else int(a.max_size)
    tmp = tempfile.mkdtemp(prefix="k1s-bench-logs.")
    os.chmod(tmp, 0o755)
    exe = os.path.join(tmp, "k1s")
    shutil.copy(a.k1s, exe)
    port = free_port()
    log = open(os.path.join(tmp, "k1s.log"), "w")
    k = subprocess.Popen([exe, "serve", "--data-dir", f"{tmp}/data", "--port", str(port),
                          "--node-ip", "192.0.2.10", "--lb-pool", "127.1.0.1-127.1.0.254",
                          "--container-log-max-size", a.max_size,
                          "--container-log-max-files", str(a.max_files)],
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                if req(port, "GET", "/version")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        req(port, "POST", "/api/v1/namespaces/default/pods",
            pod("quiet", ["sh", "-c", "while true; do echo quiet; sleep 0.5; done"]))
        time.sleep(3)
        base = latencies(port, a.seconds / 2)
        line = "a line of a pod that writes as fast as it can, about eighty bytes long....."
        req(port, "POST", "/api/v1/namespaces/default/pods", pod("flood", ["yes", line]))
        shim = None
        for _ in range(100):
            for p in os.listdir("/proc"):
                if not p.isdigit():
                    continue
                try:
                    with open(f"/proc/{p}/stat") as f:
                        st = f.read()
                    with open(f"/proc/{p}/comm") as f:
                        comm = f.read().strip()
                except OSError:
                    continue
                if comm == "yes":
                    # yes's parent is the container's init; the shim is the init's.
                    init = int(st.rsplit(")", 1)[1].split()[1])
                    try:
                        with open(f"/proc/{init}/stat") as f:
                            shim = int(f.read().rsplit(")", 1)[1].split()[1])
                    except OSError:
                        continue
            if shim:
                break
            time.sleep(0.1)
        if not shim:
            sys.exit("the flood pod did not start")
        _, body = req(port, "GET", "/api/v1/namespaces/default/pods/flood")
        uid = json.loads(body)["metadata"]["uid"]
        logdir = f"{tmp}/data/pods/default_flood_{uid}/flood"
        hz = os.sysconf("SC_CLK_TCK")
        peak = [0]
        last = [0.0]

        def sample():
            if time.perf_counter() - last[0] >= 0.2:
                last[0] = time.perf_counter()
                peak[0] = max(peak[0], du(logdir))
        follower = None
        if a.follow:
            follower = Follower(port, "flood")
            follower.start()
            time.sleep(0.5)
        f0 = follower.lines if follower else 0
        k0, s0, w0, t0 = cpu_jiffies(k.pid), cpu_jiffies(shim), wchar(shim), time.perf_counter()
        flood = latencies(port, a.seconds, sample)
        k1, s1, w1, t1 = cpu_jiffies(k.pid), cpu_jiffies(shim), wchar(shim), time.perf_counter()
        f1 = follower.lines if follower else 0
        st, body = req(port, "GET", "/api/v1/namespaces/default/pods/quiet/log?tailLines=1")
        dt = t1 - t0
        print(f"| log max-size x files | {a.max_size} x {a.max_files} |")
        print(f"| shim writes | {(w1 - w0) / dt / 1e6:.1f} MB/s |")
        print(f"| CPU of k1s | {(k1 - k0) / hz / dt * 100:.1f} % of a core |")
        print(f"| CPU of the shim | {(s1 - s0) / hz / dt * 100:.0f} % of a core |")
        print(f"| disk of the log at most | {peak[0] / 1048576:.1f} MiB "
              f"(allowed {max_bytes * a.max_files / 1048576:.0f} MiB) |")
        print(f"| GET pod before, p50 / p99 | {base[0]:.2f} / {base[1]:.2f} ms ({base[2]} GETs) |")
        print(f"| GET pod during, p50 / p99 | {flood[0]:.2f} / {flood[1]:.2f} ms ({flood[2]} GETs) |")
        print(f"| another pod's logs --tail=1 | {st} {body.decode().strip()!r} |")
        if follower:
            # A record: "<RFC3339Nano> stdout F <line>\n", 40 bytes of prefix.
            written = (w1 - w0) / (40 + len(line) + 1)
            print(f"| logs -f of the flood received | {(f1 - f0) / dt:.0f} of {written / dt:.0f} "
                  f"records/s ({(f1 - f0) / written * 100:.1f} %) |")
    finally:
        for name in ("flood", "quiet"):
            try:
                req(port, "DELETE", f"/api/v1/namespaces/default/pods/{name}?gracePeriodSeconds=0")
            except OSError:
                pass
        time.sleep(2)
        k.send_signal(signal.SIGINT)  # SIGTERM would leave the pods running
        k.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
