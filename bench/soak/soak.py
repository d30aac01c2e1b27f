#!/usr/bin/env python3
"""bench/soak: k1s under the tutorial's traffic for a long while (root; not in CI).

Starts k1s on a temporary data directory with the tutorial's full stack
(07-full-stack.yaml) and its Ingress (04-ingress.yaml), then for --minutes
(default 10) sends, each from its own thread:
- HTTP to api-service and frontend-service by cluster IP, a new connection
  a request;
- DNS queries for both names to cluster DNS (10.96.0.10);
- HTTP through the ingress (myapp.com/ and myapp.com/api/x);
while it deletes an api pod every --delete-every seconds and scales the
frontend between 2 and 4 replicas every --scale-every seconds. Every
--interval seconds it samples k1s's resident set, its open descriptors and
the store's size (k1s.db and its WAL), and prints them.

The verdict, over the samples after --warmup seconds: the churn is
periodic (the frontend has 2 pods, then 4: descriptors follow), so each
series is cut into periods of 2 x --scale-every, each period's peak taken,
and the peaks fitted with a line (least squares); a series is flat when
that slope is under the bound (per minute): RSS 256 KiB, descriptors 1,
store 1 MiB. A failed
request passes only when it began within --grace seconds of a pod's
deletion or a scale-down (a request to a pod that was going away); any
other is a failure. Exit status 0 when all holds, 1 otherwise.

Usage: sudo bench/soak/soak.py [--k1s build/k1s] [--minutes 10] [--interval 10]
Run it alone: it binds 10.96.0.10:53 and the node's service addresses.
"""
import argparse, os, random, shutil, signal, socket, struct, subprocess, sys, tempfile, threading, time
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
MANIFESTS = os.path.normpath(os.path.join(ROOT, "..", "shared", "manifests"))

# Slopes (per minute) under which a series is flat.
BOUND = {"rss_kib": 256, "fds": 1, "store_kib": 1024}


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


def slope_per_min(samples, key):
    """Least-squares slope of samples[key] against time, per minute."""
    n = len(samples)
    if n < 2:
        return 0.0
    xs = [s["t"] / 60.0 for s in samples]
    ys = [s[key] for s in samples]
    mx, my = sum(xs) / n, sum(ys) / n
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def peaks(samples, period, interval):
    """The largest value of each series in each whole period from the first
    sample on, timed at the period's start; a period cut short is left out."""
    if not samples:
        return []
    t0, out, n = samples[0]["t"], {}, {}
    for s in samples:
        k = int((s["t"] - t0) // period)
        n[k] = n.get(k, 0) + 1
        cur = out.setdefault(k, {"t": t0 + k * period, **{b: None for b in BOUND}})
        for key in BOUND:
            cur[key] = s[key] if cur[key] is None else max(cur[key], s[key])
    whole = max(1, int(period / interval))
    return [out[k] for k in sorted(out) if n[k] >= whole]


def dns_query(name, server="10.96.0.10"):
    """One A query over UDP; True when it is answered with an address."""
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for part in name.split("."):
        q += bytes([len(part)]) + part.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(q, (server, 53))
        r = s.recv(4096)
    finally:
        s.close()
    idv, flags, _, an = struct.unpack(">HHHH", r[:8])
    return idv == qid and flags & 0xF == 0 and an > 0


def http_get(host, port, path, hosthdr=None):
    c = http.client.HTTPConnection(host, port, timeout=3)
    try:
        c.request("GET", path, headers={"Host": hosthdr} if hosthdr else {})
        r = c.getresponse()
        r.read()
        return r.status == 200
    finally:
        c.close()


class Soak:
    def __init__(self, a):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="k1s-soak.")
        os.chmod(self.tmp, 0o755)
        self.port = free_port()
        self.ing_port = free_port()
        self.proc = None
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.ok = {}
        self.failures = []  # (time, target, error)
        self.goings = []    # times pods were deleted or scaled down
        self.t0 = None

    def kubectl(self, *args, check=True):
        r = subprocess.run(["kubectl", "-s", f"http://127.0.0.1:{self.port}",
                            "--cache-dir", os.path.join(self.tmp, "kcache"), *args],
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def start(self):
        log = open(os.path.join(self.tmp, "k1s.log"), "w")
        self.proc = subprocess.Popen(
            [self.a.k1s, "serve", "--data-dir", os.path.join(self.tmp, "data"),
             "--port", str(self.port), "--node-ip", "192.0.2.10",
             "--lb-pool", "127.1.0.1-127.1.0.254", "--ingress-listen", "127.0.0.1",
             "--ingress-http-port", str(self.ing_port), "--ingress-https-port", str(free_port())],
            stdout=log, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                if http_get("127.0.0.1", self.port, "/readyz"):
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("k1s did not start; see " + os.path.join(self.tmp, "k1s.log"))

    def ready(self, label, n):
        out = self.kubectl("get", "pods", "-l", label, "-o",
                           "jsonpath={range .items[*]}{.metadata.deletionTimestamp}"
                           "{' '}{.status.conditions[?(@.type=='Ready')].status}{'\\n'}{end}")
        return sum(1 for line in out.splitlines() if line == " True") >= n

    def setup(self):
        self.kubectl("apply", "-f", os.path.join(MANIFESTS, "07-full-stack.yaml"))
        self.kubectl("apply", "-f", os.path.join(MANIFESTS, "04-ingress.yaml"))
        for _ in range(600):
            if self.ready("app=api", 3) and self.ready("app=frontend", 2):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("the full stack did not become ready")
        self.ips = {s: self.kubectl("get", "svc", s, "-o", "jsonpath={.spec.clusterIP}")
                    for s in ("api-service", "frontend-service")}

    def record(self, target, fn):
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                ok, err = fn(), "not answered"
            except Exception as e:  # a refused or reset connection, a timeout
                ok, err = False, f"{type(e).__name__}: {e}"
            with self.lock:
                if ok:
                    self.ok[target] = self.ok.get(target, 0) + 1
                else:
                    self.failures.append((t, target, err))
            self.stop.wait(self.a.pause)

    def churn(self):
        last_del = last_scale = time.monotonic()
        replicas = 2
        while not self.stop.wait(1):
            now = time.monotonic()
            if now - last_del >= self.a.delete_every:
                last_del = now
                pods = self.kubectl("get", "pods", "-l", "app=api", "-o", "name",
                                    check=False).split()
                if pods:
                    with self.lock:
                        self.goings.append(time.monotonic())
                    self.kubectl("delete", random.choice(pods), "--wait=false", check=False)
            if now - last_scale >= self.a.scale_every:
                last_scale = now
                replicas = 4 if replicas == 2 else 2
                if replicas == 2:
                    with self.lock:
                        self.goings.append(time.monotonic())
                self.kubectl("scale", "deployment/frontend", f"--replicas={replicas}", check=False)

    def sample(self):
        data = os.path.join(self.tmp, "data")
        store = sum(os.path.getsize(os.path.join(data, f))
                    for f in ("k1s.db", "k1s.db-wal") if os.path.exists(os.path.join(data, f)))
        with self.lock:
            ok, failed = sum(self.ok.values()), len(self.failures)
        return {"t": time.monotonic() - self.t0, "rss_kib": rss_kib(self.proc.pid),
                "fds": len(os.listdir(f"/proc/{self.proc.pid}/fd")),
                "store_kib": store // 1024, "ok": ok, "failed": failed}

    def run(self):
        a = self.a
        ips = self.ips
        targets = {
            "svc api": lambda: http_get(ips["api-service"], 80, "/"),
            "svc frontend": lambda: http_get(ips["frontend-service"], 80, "/"),
            "dns": lambda: dns_query("api-service.default.svc.cluster.local")
            and dns_query("frontend-service.default.svc.cluster.local"),
            "ingress /": lambda: http_get("127.0.0.1", self.ing_port, "/", "myapp.com"),
            "ingress /api": lambda: http_get("127.0.0.1", self.ing_port, "/api/x", "myapp.com"),
        }
        self.t0 = time.monotonic()
        threads = [threading.Thread(target=self.record, args=(k, f), daemon=True)
                   for k, f in targets.items()]
        threads.append(threading.Thread(target=self.churn, daemon=True))
        for t in threads:
            t.start()
        samples = []
        print(f"{'t s':>6} {'RSS KiB':>9} {'fds':>5} {'store KiB':>10} {'requests':>9} {'failed':>7}",
              flush=True)
        end = self.t0 + a.minutes * 60
        while True:
            s = self.sample()
            samples.append(s)
            print(f"{s['t']:>6.0f} {s['rss_kib']:>9} {s['fds']:>5} {s['store_kib']:>10}"
                  f" {s['ok']:>9} {s['failed']:>7}", flush=True)
            if time.monotonic() >= end or self.proc.poll() is not None:
                break
            time.sleep(min(a.interval, max(0.0, end - time.monotonic())))
        self.stop.set()
        for t in threads:
            t.join(10)
        return samples

    def verdict(self, samples):
        a = self.a
        good = True
        if self.proc.poll() is not None:
            print(f"FAIL: k1s exited ({self.proc.returncode})")
            return False
        after = [s for s in samples if s["t"] >= a.warmup]
        period = 2 * a.scale_every
        top = peaks(after, period, a.interval)
        print(f"\nafter the {a.warmup:.0f} s warm-up ({len(after)} samples,"
              f" {len(top)} periods of {period:.0f} s):")
        for key, bound in BOUND.items():
            sl = slope_per_min(top, key)
            flat = len(top) >= 2 and abs(sl) < bound
            good &= flat
            lo = min(s[key] for s in after) if after else 0
            hi = max(s[key] for s in after) if after else 0
            print(f"  {key:>9}: {lo} .. {hi}, peaks {[t[key] for t in top]},"
                  f" slope {sl:+.1f}/min (bound {bound}): "
                  f"{'flat' if flat else 'GROWING'}")
        explained = [f for f in self.failures
                     if any(0 <= f[0] - g <= a.grace for g in self.goings)]
        other = [f for f in self.failures if f not in explained]
        total = sum(self.ok.values()) + len(self.failures)
        print(f"  requests: {total}, by target: " +
              ", ".join(f"{k} {v}" for k, v in sorted(self.ok.items())))
        print(f"  failed: {len(self.failures)}, of which {len(explained)} within {a.grace:.0f} s of"
              f" a pod going away ({len(self.goings)} deletions and scale-downs)")
        for f in other[:10]:
            print(f"  FAILED at {f[0] - self.t0:.1f} s: {f[1]}: {f[2]}")
        good &= not other
        print("verdict: " + ("PASS" if good else "FAIL"))
        return good

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # SIGTERM would leave the pods running
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.a.keep:
            print("kept:", self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--k1s", default=os.path.join(ROOT, "build", "k1s"))
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--interval", type=float, default=10, help="seconds between samples")
    p.add_argument("--warmup", type=float, default=None, help="seconds (default: a fifth)")
    p.add_argument("--delete-every", type=float, default=15, help="seconds")
    p.add_argument("--scale-every", type=float, default=30, help="seconds")
    p.add_argument("--pause", type=float, default=0.05, help="seconds between a thread's requests")
    p.add_argument("--grace", type=float, default=3, help="seconds")
    p.add_argument("--keep", action="store_true", help="keep the data directory and log")
    a = p.parse_args()
    if a.warmup is None:
        a.warmup = a.minutes * 60 / 5
    if os.geteuid() != 0:
        print("bench/soak needs root (pods)", file=sys.stderr)
        return 2
    if not shutil.which("kubectl"):
        print("bench/soak needs kubectl", file=sys.stderr)
        return 2
    s = Soak(a)
    try:
        s.start()
        s.setup()
        print(f"k1s pid {s.proc.pid}, {a.minutes:g} min, a sample every {a.interval:g} s;"
              f" an api pod deleted every {a.delete_every:g} s, the frontend scaled 2<->4 every"
              f" {a.scale_every:g} s", flush=True)
        samples = s.run()
        return 0 if s.verdict(samples) else 1
    finally:
        s.close()


if __name__ == "__main__":
    sys.exit(main())
