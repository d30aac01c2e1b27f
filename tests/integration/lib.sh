# Shared by the integration tests: start k1s on a temporary data directory
# and a free port, drive it with the real kubectl, clean up on exit.
# Sourced by bash scripts; $K1S is the binary (meson passes it).

set -eu
# Each test runs in a network namespace and a mount namespace of its own,
# with its own /run/netns and /sys/class/net, the node's address (192.0.2.10, as --node-ip
# below says) as a host's own, and gives its k1s a pods' cgroup of its own
# (start_k1s): two tests' k1s never meet (routes, nftables tables, veths,
# pod namespaces, cgroups), so meson runs them side by side. A test that
# needs the host's network (a registry) sets K1S_IT_HOST_NET=1 first, and
# meson runs it alone.
if [ -z "${K1S_IT_NS:-}" ] && [ -z "${K1S_IT_HOST_NET:-}" ] && [ "$(id -u)" = 0 ]; then
	export K1S_IT_NS=1
	mkdir -p /run/netns
	exec unshare --net --mount --propagation private -- sh -c \
		'ip link set lo up && ip addr add 192.0.2.10/32 dev lo &&
		mount -t tmpfs -o mode=0755,size=1m k1s-it /run/netns &&
		mkdir /run/netns/.cgroup && mount --rbind /sys/fs/cgroup /run/netns/.cgroup &&
		mount -t sysfs sysfs /sys && mount --rbind /run/netns/.cgroup /sys/fs/cgroup &&
		umount -l /run/netns/.cgroup && rmdir /run/netns/.cgroup &&
		exec "$0" "$@"' "$0" "$@"
fi
: "${K1S:=$(dirname "$0")/../../build/k1s}"
: "${SHARED:=$(dirname "$0")/../../../shared}"
MANIFESTS=$SHARED/manifests

need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t is not installed"; exit 77; }
	done
}

TMP=$(mktemp -d /tmp/k1s-it.XXXXXX)
PODS_CGROUP=k1s-it-${TMP##*.}
K1S_PID=
# KEEP_LOG=FILE: k1s's log is copied there at the end, for a failure's post-mortem.
cleanup() {
	if [ -n "${KEEP_LOG:-}" ]; then cp "$TMP/k1s.log" "$KEEP_LOG" 2>/dev/null || true; fi
	if [ -n "$K1S_PID" ]; then
		kill -INT "$K1S_PID" 2>/dev/null || true
		wait "$K1S_PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
	# The pods' cgroup and what is left under it, in every hierarchy, once
	# the last processes of its pods are gone (up to 10 s: a pod's last
	# processes, under ASan or after a fork bomb, take a while to go).
	for _ in $(seq 100); do
		dirs=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$PODS_CGROUP" 2>/dev/null)
		[ -n "$dirs" ] || break
		# shellcheck disable=SC2086
		find $dirs -depth -type d -exec rmdir {} + 2>/dev/null || sleep 0.1
	done
}
trap cleanup EXIT

# free_port: a port free on every address, below the ephemeral range (where
# the test's own client connections take theirs) and the node ports, and
# never one this test was given before: bind(0) can hand out the same port
# twice, and a client's port can take one between the pick and k1s's bind.
free_port() {
	python3 - "$TMP/ports" <<'PY'
import os, random, socket, sys
given = sys.argv[1]
used = set(open(given).read().split()) if os.path.exists(given) else set()
while True:
    p = random.randint(10000, 29999)
    if str(p) in used:
        continue
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", p))
    except OSError:
        continue
    finally:
        s.close()
    break
with open(given, "a") as f:
    f.write("%d\n" % p)
print(p)
PY
}

# start_k1s [extra serve args]: starts k1s and waits for /version. Its
# LoadBalancer pool is on lo unless a test gives its own (the default,
# auto, would probe the machine's real network). k1s runs
# from a directory that only root can enter ($TMP is mode 0700), as when it
# is built under /root: pods must start all the same.
start_k1s() {
	PORT=${PORT:-$(free_port)}
	SPORT=${SPORT:-$(free_port)}
	SERVER=http://127.0.0.1:$PORT
	if [ ! -x "$TMP/bin/k1s" ]; then
		mkdir -p "$TMP/bin" && cp "$K1S" "$TMP/bin/k1s"
	fi
	"$TMP/bin/k1s" serve --data-dir "$TMP/data" --port "$PORT" --secure-port "$SPORT" \
		--node-ip 192.0.2.10 --node-port-range 30000-32767 --lb-pool 127.1.0.1-127.1.0.254 \
		--pods-cgroup "$PODS_CGROUP" "$@" \
		>>"$TMP/k1s.log" 2>&1 &
	K1S_PID=$!
	for _ in $(seq 100); do
		curl -sf "$SERVER/version" >/dev/null 2>&1 && return 0
		kill -0 "$K1S_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "k1s did not start:"; cat "$TMP/k1s.log"; exit 1
}

# stop_k1s: as ^C, stopping the pods too; term_k1s: SIGTERM, as a service
# manager stops it, leaving the pods running for the next start to adopt.
stop_k1s() {
	kill -INT "$K1S_PID"; wait "$K1S_PID" 2>/dev/null || true; K1S_PID=
}
term_k1s() {
	kill -TERM "$K1S_PID"; wait "$K1S_PID" 2>/dev/null || true; K1S_PID=
}

k() {
	kubectl -s "$SERVER" --cache-dir "$TMP/kcache" "$@"
}

fail() {
	echo "FAIL: $*"
	echo "--- k1s log (tail)"; tail -n 30 "$TMP/k1s.log"
	# What a learner would look at next: the pods and their conditions.
	if [ -n "${SERVER:-}" ] && command -v kubectl >/dev/null; then
		echo "--- pods"
		kubectl -s "$SERVER" get pods -A -o wide 2>&1 | head -n 40
		kubectl -s "$SERVER" get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{" "}{range .status.conditions[*]}{.type}={.status}{" "}{end}{range .status.containerStatuses[*]}{.name}:{.ready}:{.restartCount}:{.state}{end}{"\n"}{end}' 2>&1 | head -n 40
	fi
	exit 1
}

# expect_out "description" "pattern" command...: the command succeeds and
# its output (stdout and stderr) matches the extended regex.
expect_out() {
	local what=$1 pat=$2 out
	shift 2
	out=$("$@" 2>&1) || fail "$what: command failed: $*"$'\n'"$out"
	echo "$out" | grep -Eq -- "$pat" || fail "$what: expected /$pat/ in:"$'\n'"$out"
	echo "ok - $what"
}

# expect_err "description" "pattern" command...: the command fails and its
# output matches.
expect_err() {
	local what=$1 pat=$2 out
	shift 2
	if out=$("$@" 2>&1); then fail "$what: command succeeded: $*"$'\n'"$out"; fi
	echo "$out" | grep -Eq -- "$pat" || fail "$what: expected /$pat/ in:"$'\n'"$out"
	echo "ok - $what"
}

# wait_for "description" seconds command...: the command succeeds within
# the time (polled every 0.1 s), or the test fails with its last output.
wait_for() {
	local what=$1 secs=$2
	shift 2
	for _ in $(seq $((secs * 10))); do
		"$@" >/dev/null 2>&1 && { echo "ok - $what"; return 0; }
		sleep 0.1
	done
	"$@" || true
	fail "$what: not within ${secs}s"
}

# wait_until "description" seconds 'shell command': as wait_for, but the
# command is one string, evaluated again at each try, so that a "$(...)"
# in it is asked again (given to wait_for, it would be expanded once, at
# the call, and the test would wait on a stale answer).
wait_until() {
	local what=$1 end=$((SECONDS + $2)) cmd=$3
	while [ "$SECONDS" -lt "$end" ]; do
		eval "$cmd" >/dev/null 2>&1 && { echo "ok - $what"; return 0; }
		sleep 0.1
	done
	eval "$cmd" || true
	fail "$what: not within $2s"
}

# pods_made LABEL: waits until a pod with the label exists (in k's
# namespace). `kubectl wait -l` fails at once on a selector that matches
# nothing, and a ReplicaSet makes its pods a pass or more after the apply.
pods_made() {
	wait_until "pods $1 made" 60 "test -n \"\$(k get pod -l $1 -o name)\""
}

# ready_count LABEL [NAMESPACE]: pods with the label that are Ready and
# not terminating (in k's namespace when none is given).
ready_count() {
	k ${2:+-n "$2"} get pods -l "$1" -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{" "}{range .status.conditions[?(@.type=="Ready")]}{.status}{end}{"\n"}{end}' |
		grep -c '^ True$' || true
}

# ep_count SERVICE [NAMESPACE]: the ready addresses of its Endpoints.
ep_count() {
	k ${2:+-n "$2"} get endpoints "$1" \
		-o jsonpath='{range .subsets[*].addresses[*]}{.ip}{"\n"}{end}' | grep -c . || true
}

# http_code METHOD PATH [curl args]: prints the status code of a request.
http_code() {
	local m=$1 p=$2
	shift 2
	curl -s -o "$TMP/body" -w '%{http_code}' -X "$m" "$SERVER$p" "$@"
}
