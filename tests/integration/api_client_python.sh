#!/bin/bash
# The official Python client (Debian's python3-kubernetes), which spells
# booleans True and False: list, create, watch, patch, delete, logs and
# exec. Needs root (a pod runs in its namespaces).
. "$(dirname "$0")/lib.sh"
# Debian's package installs for Debian's python3, whatever else is on PATH.
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import kubernetes, websocket' 2>/dev/null ||
	{ echo "SKIP: python3-kubernetes is not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: pods need root"; exit 77; }
start_k1s
if grep -q 'pods cannot run' "$TMP/k1s.log"; then
	echo "SKIP: $(grep -o 'pods cannot run.*' "$TMP/k1s.log")"
	exit 77
fi
timeout 120 "$PY" "$(dirname "$0")/clients/python_client.py" "$SERVER" || fail "python client"
