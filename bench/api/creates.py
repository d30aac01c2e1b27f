"""bench/api's creates case (bench.py --case creates): API creates per
second with every write durable, by 1 and by many concurrent clients.

For each build given (--k1s A --k1s B, so that two versions are measured in
the same run), each kind (Services, ConfigMaps) and each client count: a
fresh k1s on a scratch data directory with --store-sync as given (full:
every acknowledged write is on disk), then wrk with that many keep-alive
connections POSTing objects with names unique per connection for a fixed
time. Every answer must be a 201; the table gives creates per second and
wrk's latency p50/p99. Needs wrk.
"""
import os, re, shutil, signal, socket, subprocess, sys, tempfile, time

LUA = r"""
local n = 0
tid = 0
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function init(args)
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  n = n + 1
  local name = string.format("o-%d-%d", tid, n)
  return wrk.format("POST", wrk.path, nil, string.format(BODY, name))
end
"""

BODIES = {
    "services": ("/api/v1/namespaces/default/services",
                 '{"apiVersion":"v1","kind":"Service","metadata":{"name":"%s","labels":{"app":"a"}},'
                 '"spec":{"selector":{"app":"a"},"ports":[{"port":80,"targetPort":8080}]}}'),
    "configmaps": ("/api/v1/namespaces/default/configmaps",
                   '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"},'
                   '"data":{"key":"value"}}'),
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def one(k1s, kind, clients, seconds, sync):
    tmp = tempfile.mkdtemp(prefix="k1s-bench-creates-")
    port = free_port()
    proc = subprocess.Popen([k1s, "serve", "--data-dir", tmp + "/data", "--port", str(port),
                             "--store-sync", sync, "--log-level", "warn", "--lb-pool", "none",
                             "--ingress-listen", "none"],
                            stderr=open(tmp + "/k1s.log", "w"))
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.5)
        path, body = BODIES[kind]
        script = os.path.join(tmp, "create.lua")
        with open(script, "w") as f:
            # wrk's Lua: the body is a format string with one %s, the name.
            f.write('BODY = [[' + body + ']]\n' + LUA)
        threads = 1 if clients == 1 else 2
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s",
                              "--latency", "-s", script, f"http://127.0.0.1:{port}{path}"],
                             capture_output=True, text=True, check=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        errs = re.search(r"Socket errors:.*", out)
        p50 = re.search(r"\s50%\s+(\S+)", out).group(1)
        p99 = re.search(r"\s99%\s+(\S+)", out).group(1)
        if bad or errs:
            print(f"{k1s} {kind} x{clients}: {bad.group(0) if bad else ''} {errs.group(0) if errs else ''}",
                  file=sys.stderr)
            return None
        return rate, ms(p50), ms(p99)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def creates(builds, clients, seconds, sync):
    if not shutil.which("wrk"):
        print("bench/api creates: needs wrk", file=sys.stderr)
        return 77
    print(f"k1s API creates per second, store sync={sync}, {seconds} s each (wrk, keep-alive)")
    print(f"{'build':<28}{'kind':<12}{'clients':>8}{'creates/s':>11}{'p50 ms':>9}{'p99 ms':>9}")
    fail = 0
    for kind in ("services", "configmaps"):
        for c in clients:
            for b in builds:
                r = one(b, kind, c, seconds, sync)
                if not r:
                    fail = 1
                    print(f"{b:<28}{kind:<12}{c:>8}{'failed':>11}")
                    continue
                print(f"{b:<28}{kind:<12}{c:>8}{r[0]:>11.0f}{r[1]:>9.2f}{r[2]:>9.2f}", flush=True)
    return fail
