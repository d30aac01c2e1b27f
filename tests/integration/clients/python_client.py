"""The official Python client (Debian's python3-kubernetes) against k1s:
list, create, watch, patch, delete, logs and exec through its stream
helper, as its own documentation shows them. Usage: python_client.py URL"""
import sys
import threading
import time

from kubernetes import client, watch
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

NS = "default"


def ok(what):
    print("ok -", what, flush=True)


def fail(what):
    print("FAIL:", what, flush=True)
    sys.exit(1)


def main(server):
    cfg = client.Configuration()
    cfg.host = server
    api = client.ApiClient(cfg)
    core = client.CoreV1Api(api)

    names = [n.metadata.name for n in core.list_namespace().items]
    if "default" not in names or "kube-system" not in names:
        fail("list_namespace: %s" % names)
    ok("list_namespace")

    cm = client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="py-cm", labels={"app": "py"}), data={"a": "1"})
    rv = core.create_namespaced_config_map(NS, cm).metadata.resource_version
    ok("create_namespaced_config_map")

    # The watch helper sends watch=True; changes made by another client
    # arrive as events, in order, until the delete.
    def change():
        time.sleep(0.5)
        core.patch_namespaced_config_map("py-cm", NS, {"data": {"a": "2"}})
        core.delete_namespaced_config_map("py-cm", NS)

    t = threading.Thread(target=change)
    t.start()
    seen = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_config_map, NS, label_selector="app=py",
                       resource_version=rv, allow_watch_bookmarks=True, timeout_seconds=10):
        seen.append((ev["type"], (ev["object"].data or {}).get("a")))
        if ev["type"] == "DELETED":
            w.stop()
    t.join()
    if seen != [("MODIFIED", "2"), ("DELETED", "2")]:
        fail("watch events: %s" % seen)
    ok("watch.stream sees the patch and the delete")

    # Without a resourceVersion the watch starts with what exists.
    core.create_namespaced_config_map(NS, cm)
    w = watch.Watch()
    first = next(iter(w.stream(core.list_namespaced_config_map, NS,
                               label_selector="app=py", timeout_seconds=5)))
    w.stop()
    if first["type"] != "ADDED" or first["object"].metadata.name != "py-cm":
        fail("watch from now: %s" % first)
    ok("watch.stream starts with ADDED")

    patched = core.patch_namespaced_config_map("py-cm", NS, {"metadata": {"labels": {"b": "c"}}})
    if patched.metadata.labels != {"app": "py", "b": "c"}:
        fail("patch: %s" % patched.metadata.labels)
    ok("patch_namespaced_config_map (strategic merge)")

    core.delete_namespaced_config_map("py-cm", NS, dry_run="All")
    core.read_namespaced_config_map("py-cm", NS)
    core.delete_namespaced_config_map("py-cm", NS, grace_period_seconds=0)
    try:
        core.read_namespaced_config_map("py-cm", NS)
        fail("read after delete succeeded")
    except ApiException as e:
        if e.status != 404:
            fail("read after delete: %s" % e)
    ok("delete_namespaced_config_map, dry run first")

    try:
        core.list_namespaced_config_map(NS, limit="ten")
        fail("limit=ten was taken")
    except ApiException as e:
        if e.status != 400 or 'parsing \\"ten\\": invalid syntax' not in e.body:
            fail("limit=ten: %s %s" % (e.status, e.body))
    ok("a bad limit is a 400 with strconv's words")

    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="py-pod"),
        spec=client.V1PodSpec(restart_policy="Never", containers=[client.V1Container(
            name="main", image="busybox",
            command=["sh", "-c", "echo hello; i=0; while true; do echo tick $i; "
                     "i=$((i+1)); sleep 1; done"])]))
    core.create_namespaced_pod(NS, pod)
    w = watch.Watch()
    phase = None
    for ev in w.stream(core.list_namespaced_pod, NS, field_selector="metadata.name=py-pod",
                       timeout_seconds=60):
        phase = ev["object"].status.phase if ev["object"].status else None
        if phase == "Running":
            w.stop()
    if phase != "Running":
        fail("pod py-pod is %s" % phase)
    ok("a pod watched to Running")
    time.sleep(1.5)

    # Booleans in Python's spelling: timestamps=True, previous=False.
    log = core.read_namespaced_pod_log("py-pod", NS, timestamps=True, previous=False)
    lines = log.splitlines()
    if not lines or not lines[0].endswith(" hello") or not lines[0][:2] == "20":
        fail("logs with timestamps=True: %r" % log[:200])
    ok("read_namespaced_pod_log, timestamps=True")
    tail = core.read_namespaced_pod_log("py-pod", NS, tail_lines=1)
    if len(tail.splitlines()) != 1 or not tail.startswith("tick"):
        fail("tail_lines=1: %r" % tail)
    ok("read_namespaced_pod_log, tail_lines=1")
    try:
        core.read_namespaced_pod_log("py-pod", NS, tail_lines="x")
        fail("tail_lines=x was taken")
    except ApiException as e:
        if e.status != 400 or 'parsing \\"x\\": invalid syntax' not in e.body:
            fail("tail_lines=x: %s %s" % (e.status, e.body))
    ok("a bad tail_lines is a 400")
    resp = core.read_namespaced_pod_log("py-pod", NS, follow=True, tail_lines=1,
                                        _preload_content=False)
    got = []
    for chunk in resp.stream(64):
        got.append(chunk)
        if b"".join(got).count(b"\n") >= 2:
            break
    resp.release_conn()
    ok("read_namespaced_pod_log, follow=True streams")

    # Exec through the stream helper: stdout=True, stderr=True, stdin=False.
    out = stream(core.connect_get_namespaced_pod_exec, "py-pod", NS,
                 command=["sh", "-c", "echo out-$((6*7))"],
                 stderr=True, stdin=False, stdout=True, tty=False)
    if out.strip() != "out-42":
        fail("exec output: %r" % out)
    ok("stream(connect_get_namespaced_pod_exec)")
    resp = stream(core.connect_get_namespaced_pod_exec, "py-pod", NS,
                  command=["sh", "-c", "read x; echo got-$x; echo err >&2; exit 3"],
                  stderr=True, stdin=True, stdout=True, tty=False, _preload_content=False)
    resp.write_stdin("py\n")
    resp.run_forever(timeout=10)
    stdout, stderr, rc = resp.read_stdout(), resp.read_stderr(), resp.returncode
    resp.close()
    if stdout.strip() != "got-py" or stderr.strip() != "err" or rc != 3:
        fail("exec with stdin: out %r err %r rc %r" % (stdout, stderr, rc))
    ok("exec with stdin, stderr and the exit code")

    core.delete_namespaced_pod("py-pod", NS, grace_period_seconds=0)
    print("1..1 passed")


if __name__ == "__main__":
    main(sys.argv[1])
