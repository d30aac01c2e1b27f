#!/bin/bash
# Upstream's e2e NetworkPolicy cases (tests/policy/netpol_cases.yaml)
# against a real k1s with real traffic: namespaces x, y, z labelled as
# upstream's model, pods a, b, c in each serving TCP and UDP on ports 80
# and 81 (the echo app, on containerPorts named as upstream's), each behind
# its own Service s-POD; then, case by case, the case's policies and labels
# applied with kubectl and every cell of every grid probed from inside the
# client pod's network namespace, at the server pod's IP and at its
# Service's cluster IP (netpol_e2e.py: a TCP handshake, a UDP echo, 1 s
# each, all at once), the truth tables printed where a grid differs ("R"
# where a probe was refused: k1s drops denied traffic, so no cell may be).
# Needs root.
# NETPOL_CASES=REGEX runs only the cases whose name matches.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl python3
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed"; exit 77; }
CASES=$(dirname "$0")/../policy/netpol_cases.yaml

# NETPOL_K1S_ARGS: more arguments for k1s serve (--policy-log-rate 100000 for
# every drop in the log).
# shellcheck disable=SC2086
start_k1s ${NETPOL_K1S_ARGS:-}
if grep -q 'pods cannot run' "$TMP/k1s.log"; then
	echo "SKIP: $(grep -o 'pods cannot run.*' "$TMP/k1s.log")"
	exit 77
fi
finish() {
	[ -z "$K1S_PID" ] || k delete namespace x y z --wait=false >/dev/null 2>&1 || true
	cleanup
}
trap finish EXIT

# The model: upstream's model.go, namespace labels ns=NAME (the API server
# adds kubernetes.io/metadata.name), pod labels pod=NAME.
model() {
	local ns pod
	for ns in x y z; do
		printf -- '---\napiVersion: v1\nkind: Namespace\n'
		printf -- 'metadata: {name: "%s", labels: {ns: "%s"}}\n' "$ns" "$ns"
		for pod in a b c; do
			cat <<YAML
---
apiVersion: v1
kind: Pod
metadata: {name: "$pod", namespace: "$ns", labels: {pod: "$pod"}}
spec:
  containers:
  - name: cont
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    ports:
    - {name: serve-80-tcp, containerPort: 80, protocol: TCP}
    - {name: serve-81-tcp, containerPort: 81, protocol: TCP}
    - {name: serve-80-udp, containerPort: 80, protocol: UDP}
    - {name: serve-81-udp, containerPort: 81, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata: {name: "s-$pod", namespace: "$ns"}
spec:
  selector: {pod: "$pod"}
  ports:
  - {name: serve-80-tcp, port: 80, protocol: TCP}
  - {name: serve-81-tcp, port: 81, protocol: TCP}
  - {name: serve-80-udp, port: 80, protocol: UDP}
  - {name: serve-81-udp, port: 81, protocol: UDP}
YAML
		done
	done
}
model | k apply -f - >/dev/null || fail "creating the model"
for ns in x y z; do
	wait_until "pods a, b, c in $ns are ready" 60 'test "$(ready_count '\''pod in (a,b,c)'\'' "$ns")" = 3'
done

python3 "$(dirname "$0")/netpol_e2e.py" "$CASES" "$TMP/data" -- \
	kubectl -s "$SERVER" --cache-dir "$TMP/kcache" || fail "NetworkPolicy cases differ"
echo "ok - every case's grids hold"
