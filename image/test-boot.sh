#!/bin/sh
# Boots the appliance image built by image/build.sh in qemu (TCG: no KVM
# needed) and checks, from this host, what a learner would see: the console
# shows the API and the CA fingerprint, the API answers, the tutorial's
# manifests apply, a pod answers through a NodePort, the box resolves
# cluster.local names through k1s, and the data partition grew to fill the
# disk. The guest's network is qemu's user network, restricted: it reaches
# nothing, and this host reaches it only through the forwarded ports.
#
#   sh image/test-boot.sh [bios|uefi|both|arm64] [IMAGE-DIR]      (as root)
#
# arm64 boots the Raspberry Pi SD card image on qemu's virt machine: its
# own root file system, kernel and initrd (taken from its firmware
# partition), without the Pi's firmware, which only a Pi runs.
#
# Prints the figures: boot to API ready, idle memory, data partition size.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
firmwares=${1:-both}
dir=${2:-$src/build-image}
raw=$dir/k1s-amd64.raw
[ "$firmwares" = arm64 ] && raw=$dir/k1s-rpi-arm64.img
base=${raw%.*}
manifests=${MANIFESTS:-$src/../shared/manifests}
timeout=${BOOT_TIMEOUT:-900}
# Minutes to measure the writes to the card for, at idle and then under
# load (README: a Pi 4's budget); 0 skips it.
budget_minutes=${BUDGET_MINUTES:-0}
# The guest's processors: a learner's VM has 2; scripts/test.sh gives it
# 1, leaving the other core to the suites it runs beside.
smp=${SMP:-2}

# How the test reaches the guest's API. The image keeps its API on
# 127.0.0.1:8080; this test alone opens it, in its own copy of the image.
# qemu's restricted user network gives the guest no default route, whose
# address k1s would take for the node's: the test names it.
# For the HTTPS API with its token, this line becomes
#   guest_api_port=6443 api_scheme=https k1s_opts="--node-ip 10.0.2.15"
# and kubeconfig() takes the guest's own k1s.conf from the probe.
guest_api_port=6443 api_scheme=https k1s_opts="--node-ip 10.0.2.15"

fail() { echo "FAIL: $*" >&2; [ -f "${console:-}" ] && tail -n 40 "$console" >&2; exit 1; }
ok() { echo "ok: $*"; }

[ "$(id -u)" = 0 ] || { echo "image/test-boot.sh: run as root" >&2; exit 1; }
[ -f "$raw" ] || { echo "image/test-boot.sh: no $raw: run image/build.sh first" >&2; exit 1; }
qemu=qemu-system-x86_64 qemu_pkgs="qemu-system-x86 ovmf"
[ "$firmwares" = arm64 ] && qemu=qemu-system-aarch64 qemu_pkgs=qemu-system-arm
# shellcheck disable=SC2086
sh "$src/scripts/apt-need.sh" $qemu_pkgs e2fsprogs mtools curl openssl iproute2
for t in $qemu debugfs mcopy kubectl curl openssl ss; do
	command -v "$t" >/dev/null || { echo "image/test-boot.sh: needs $t" >&2; exit 1; }
done
case $firmwares in bios | uefi | arm64) ;; both) firmwares="bios uefi" ;;
*) echo "image/test-boot.sh: bios, uefi, both or arm64, not $firmwares" >&2; exit 1 ;; esac

tmp=$(mktemp -d /tmp/k1s-image-test.XXXXXX)
qemu_pid=
cleanup() {
	if [ -n "$qemu_pid" ]; then
		kill "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() {
	while :; do
		p=$(shuf -i 20000-29999 -n 1)
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

root_offset=$(($(cat "$base.root-offset-mib") * 1048576))

# The test's own changes to its copy of the root file system: the API
# opened to the forwarded port, and a probe that reports on the console
# what only the box itself can see.
prepare_disk() {
	disk=$1
	cp --sparse=always "$raw" "$disk"
	truncate -s +1G "$disk"		# room for the data partition to grow into
	printf 'K1S_OPTS="%s"\n' "$k1s_opts" > "$tmp/k1s.default"
	cat > "$tmp/probe" <<'EOF'
#!/bin/sh
until curl -fs -m 2 -o /dev/null http://127.0.0.1:8080/readyz; do sleep 1; done
[ -r /var/lib/k1s/k1s.conf ] && echo "k1s-probe: kubeconfig $(base64 -w0 /var/lib/k1s/k1s.conf)"
sleep 30
echo "k1s-probe: idle-used-kib $(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print t - a }' /proc/meminfo)"
# Where the idle memory goes: the kernel's parts, and the largest processes.
echo "k1s-probe: meminfo-kib $(awk '/^(MemTotal|MemAvailable|MemFree|Buffers|Cached|Shmem|AnonPages|Slab|KernelStack|PageTables|Percpu):/ { printf "%s%s ", $1, $2 }' /proc/meminfo)"
echo "k1s-probe: rss-kib $(for s in /proc/[0-9]*/status; do awk '/^Name:/ { n = $2 } /^VmRSS:/ { print $2 "=" n }' "$s" 2>/dev/null; done | sort -rn | head -n 10 | tr '\n' ' ')"
pid=$(systemctl show -p MainPID --value k1s.service)
echo "k1s-probe: k1s-rss-kib $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")"
echo "k1s-probe: data-mib $(df -m --output=size /var/lib/k1s | tail -n 1 | tr -d ' ')"
echo "k1s-probe: addr $(ip -4 -o addr show scope global | awk '{ print $2, $4 }' | tr '\n' ' ')"
echo "k1s-probe: resolv $(grep -m1 '^nameserver' /etc/resolv.conf)"
echo "k1s-probe: $(journalctl -u k1s --no-pager | grep -o "pods' cgroups: v[12]" | head -n1)"
until out=$(curl -fsS -m 5 http://api-service.default.svc.cluster.local/ 2>&1); do sleep 2; done
echo "k1s-probe: cluster-dns-ok $(echo "$out" | head -c 200 | tr '\n' ' ')"
EOF
	cat > "$tmp/probe.service" <<'EOF'
[Unit]
After=k1s.service
[Service]
Type=oneshot
ExecStart=/bin/sh /usr/local/sbin/k1s-test-probe
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
EOF
	# Writes to the card: every 20 s, the sectors and requests written so
	# far to the root and the data partitions, and the memory in use,
	# straight to the console (through the journal it would write more).
	cat > "$tmp/io" <<'EOF'
#!/bin/sh
part() { basename "$(findmnt -no SOURCE "$1")"; }
root=$(part /) data=$(part /var/lib/k1s)
while :; do
	echo "k1s-probe: io $(cut -d' ' -f1 /proc/uptime)" \
		"$(awk '{ print $7, $5 }' "/sys/class/block/$root/stat")" \
		"$(awk '{ print $7, $5 }' "/sys/class/block/$data/stat")" \
		"$(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print t - a }' /proc/meminfo)" \
		>/dev/console
	sleep 20
done
EOF
	cat > "$tmp/io.service" <<'EOF'
[Unit]
After=k1s.service
[Service]
ExecStart=/bin/sh /usr/local/sbin/k1s-test-io
StandardOutput=null
[Install]
WantedBy=multi-user.target
EOF
	cat > "$tmp/debugfs.cmd" <<EOF
rm /etc/default/k1s
write $tmp/k1s.default /etc/default/k1s
write $tmp/probe /usr/local/sbin/k1s-test-probe
write $tmp/probe.service /etc/systemd/system/k1s-test-probe.service
symlink /etc/systemd/system/multi-user.target.wants/k1s-test-probe.service /etc/systemd/system/k1s-test-probe.service
write $tmp/io /usr/local/sbin/k1s-test-io
write $tmp/io.service /etc/systemd/system/k1s-test-io.service
symlink /etc/systemd/system/multi-user.target.wants/k1s-test-io.service /etc/systemd/system/k1s-test-io.service
EOF
	debugfs -w -f "$tmp/debugfs.cmd" "$disk?offset=$root_offset" >"$tmp/debugfs.log" 2>&1 ||
		fail "debugfs on the test's copy: $(cat "$tmp/debugfs.log")"
}

kubeconfig() {
	if [ "$api_scheme" = http ]; then
		printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: k1s\n  cluster: {server: "http://127.0.0.1:%s"}\ncontexts:\n- name: k1s\n  context: {cluster: k1s, user: admin}\nusers:\n- name: admin\n  user: {}\ncurrent-context: k1s\n' "$api_port"
	else
		# The guest's k1s.conf (the probe shows it), pointed at the
		# forwarded port.
		wait_console "k1s-probe: kubeconfig" 300
		sed -n 's/.*k1s-probe: kubeconfig \([A-Za-z0-9+/=]*\).*/\1/p' "$console" | head -n1 |
			base64 -d | sed "s#server: https://[^:]*:[0-9]*#server: https://127.0.0.1:$api_port#"
	fi
}

# Waits up to $2 seconds for the console to show a line matching $1.
wait_console() {
	i=0
	until grep -q "$1" "$console"; do
		i=$((i + 1))
		[ "$i" -le "$2" ] || fail "the console shows no \"$1\" after $2 s"
		kill -0 "$qemu_pid" 2>/dev/null || fail "qemu exited"
		sleep 1
	done
}

# The newest io line of the probe's: uptime, then sectors and requests
# written to root, the same for data, then the memory in use (KiB).
io_now() {
	tr -d '\r' < "$console" | sed -n 's/.*k1s-probe: io //p' | tail -n 1
}

# Writes per hour to each partition over $2 minutes, named $1; the
# tutorial's load (below) runs meanwhile when $3 is "load".
writes() {
	a=$(io_now)
	[ -n "$a" ] || fail "$fw: the console shows no io line"
	if [ "${3:-}" = load ]; then
		load_for "$2"
	else
		sleep $(($2 * 60))
	fi
	b=$(io_now)
	echo "$a $b" | awk -v what="$1" '{
		s = $7 - $1; h = 3600 / s
		printf "figures: %s: written per hour: root %.1f MiB in %d requests, data %.1f MiB in %d requests (over %d s); memory in use %d MiB\n",
			what, ($8 - $2) * 512 / 1048576 * h, ($9 - $3) * h,
			($10 - $4) * 512 / 1048576 * h, ($11 - $5) * h, s, $12 / 1024 }'
}

# The tutorial's load for $1 minutes: a request every 0.2 s through the
# NodePort, and an api pod deleted every minute, which its Deployment
# replaces with a new one at a new address.
load_for() {
	end=$(($(date +%s) + $1 * 60))
	(while [ "$(date +%s)" -lt "$end" ]; do
		curl -fs -m 5 -o /dev/null "http://127.0.0.1:$np_port/" || true
		sleep 0.2
	done) &
	requests=$!
	while [ "$(date +%s)" -lt "$end" ]; do
		k delete pod --wait=false "$(k get pods -l app=api -o jsonpath='{.items[0].metadata.name}')" \
			>/dev/null 2>&1 || true
		sleep 60
	done
	wait "$requests"
}

boot() {
	fw=$1
	disk=$tmp/$fw.raw
	console=$tmp/$fw.console
	prepare_disk "$disk"
	api_port=$(free_port)
	np_port=$(free_port)
	set -- -accel tcg -smp "$smp" -m 1024 -display none -monitor none \
		-serial "file:$console" \
		-drive "file=$disk,format=raw,if=virtio" \
		-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$api_port-:$guest_api_port,hostfwd=tcp:127.0.0.1:$np_port-:30080" \
		-device virtio-net-pci,netdev=n0
	if [ "$fw" = arm64 ]; then
		# The kernel and initrd the Pi's firmware would start, from
		# the card's firmware partition; the console is virt's UART.
		export MTOOLS_SKIP_CHECK=1
		fat="$disk@@$(cat "$base.esp-offset-mib")M"
		kernel=$(mdir -b -i "$fat" ::/ | grep -m1 'vmlinuz-')
		initrd=$(mdir -b -i "$fat" ::/ | grep -m1 'initrd.img-')
		mcopy -i "$fat" "$kernel" "$tmp/vmlinuz"
		mcopy -i "$fat" "$initrd" "$tmp/initrd.img"
		set -- -machine virt -cpu cortex-a72 "$@" -kernel "$tmp/vmlinuz" -initrd "$tmp/initrd.img" \
			-append "root=LABEL=k1s-root rw console=ttyAMA0 net.ifnames=0"
	else
		set -- -machine q35 "$@"
	fi
	if [ "$fw" = uefi ]; then
		cp /usr/share/OVMF/OVMF_VARS_4M.fd "$tmp/vars.fd"
		set -- "$@" -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
			-drive "if=pflash,format=raw,unit=1,file=$tmp/vars.fd"
	fi
	start=$(date +%s)
	$qemu "$@" &
	qemu_pid=$!

	i=0
	until curl -kfsS -m 5 -o /dev/null "$api_scheme://127.0.0.1:$api_port/readyz" 2>/dev/null; do
		i=$((i + 5))
		[ "$i" -le "$timeout" ] || fail "$fw: the API did not answer in $timeout s"
		kill -0 "$qemu_pid" 2>/dev/null || fail "$fw: qemu exited"
		sleep 5
	done
	ready=$(($(date +%s) - start))
	kubeconfig > "$tmp/kubeconfig"
	ok "$fw: API ready $ready s after qemu started"
	k() { kubectl --kubeconfig "$tmp/kubeconfig" --request-timeout=60s "$@"; }

	k get nodes | grep -q " Ready " || fail "$fw: the node is not Ready"
	ok "$fw: kubectl get nodes: Ready"

	# The console, and /etc/issue, show the CA the API serves.
	wait_console "CA sha256:" 300
	# The CA the learner's kubeconfig trusts (the one this test reached
	# the API with).
	fp=$(sed -n 's/^ *certificate-authority-data: *//p' "$tmp/kubeconfig" | base64 -d |
		openssl x509 -noout -fingerprint -sha256 | cut -d= -f2)
	[ -n "$fp" ] || fail "$fw: no CA in the box's kubeconfig"
	grep -q "CA sha256: *$fp" "$console" || fail "$fw: the console's CA fingerprint is not the API's ($fp)"
	ok "$fw: the console shows the CA fingerprint $fp"

	# The card's budget (README): writes at idle, nothing applied yet.
	if [ "$budget_minutes" -gt 0 ]; then
		sleep 60
		writes "$fw: idle" "$budget_minutes"
	fi

	# The box resolves cluster.local through k1s: the probe curls the
	# tutorial's api-service by name once its pods are up.
	k apply -f "$manifests/01-clusterip-service.yaml" >/dev/null || fail "$fw: apply 01"
	k apply -f "$manifests/07-full-stack.yaml" >/dev/null || fail "$fw: apply 07"
	wait_console "k1s-probe: cluster-dns-ok" 600
	ok "$fw: on the box, curl http://api-service.default.svc.cluster.local answers"

	for f in 02-nodeport-service 04-ingress 05-tls-ingress 06-network-policy; do
		k apply -f "$manifests/$f.yaml" >/dev/null || fail "$fw: apply $f"
	done
	ok "$fw: the tutorial's manifests apply"
	# web-service's pods: any image k1s does not know runs its echo app,
	# which answers on the container's port.
	k create deployment web --image=nginx --port=3000 >/dev/null || fail "$fw: create deployment web"
	i=0
	until out=$(curl -fsS -m 5 "http://127.0.0.1:$np_port/" 2>/dev/null) && [ -n "$out" ]; do
		i=$((i + 5))
		[ "$i" -le 600 ] || fail "$fw: nothing answers on NodePort 30080"
		sleep 5
	done
	ok "$fw: a web pod answers through NodePort 30080"

	# Debian 12 mounts cgroup v2 alone: a pod over its memory limit is
	# OOM-killed there as on v1, and says so as kubelet's would.
	grep -q "k1s-probe: pods' cgroups: v2" "$console" || fail "$fw: k1s does not use cgroup v2"
	printf '%s\n' 'apiVersion: v1' 'kind: Pod' 'metadata: {name: hog}' 'spec:' \
		'  containers:' '  - {name: hog, image: busybox, command: [tail, /dev/zero],' \
		'     resources: {limits: {memory: 32Mi}}}' | k apply -f - >/dev/null || fail "$fw: create pod hog"
	i=0
	until [ "$(k get pod hog -o jsonpath='{.status.containerStatuses[0].lastState.terminated.reason}')" = OOMKilled ]; do
		i=$((i + 5))
		[ "$i" -le 300 ] || fail "$fw: a pod over its memory limit was not OOMKilled: $(k get pod hog -o jsonpath='{.status.containerStatuses[0]}')"
		sleep 5
	done
	ok "$fw: cgroup v2: a pod over its 32Mi memory limit is OOMKilled and restarted"
	k delete pod hog --wait=false >/dev/null

	# ... and under the tutorial's load, its manifests applied.
	[ "$budget_minutes" -eq 0 ] || writes "$fw: the tutorial's load" "$budget_minutes" load

	idle=$(sed -n 's/.*k1s-probe: idle-used-kib \([0-9]*\).*/\1/p' "$console" | head -n1)
	rss=$(sed -n 's/.*k1s-probe: k1s-rss-kib \([0-9]*\).*/\1/p' "$console" | head -n1)
	data=$(sed -n 's/.*k1s-probe: data-mib \([0-9]*\).*/\1/p' "$console" | head -n1)
	[ "${data:-0}" -gt 1024 ] || fail "$fw: the data file system did not grow into the disk (${data:-?} MiB)"
	ok "$fw: the data file system grew to $data MiB"
	grep -q "k1s-probe: resolv nameserver 10.96.0.10" "$console" || fail "$fw: /etc/resolv.conf is not k1s's DNS"
	echo "figures: $fw: boot to API ready ${ready} s (TCG), idle memory used $((idle / 1024)) MiB of 1024 (MemTotal - MemAvailable), k1s's RSS $((rss / 1024)) MiB"
	tr -d '\r' < "$console" | sed -n 's/.*k1s-probe: \(meminfo-kib .*\)/figures: '"$fw"': idle \1/p; s/.*k1s-probe: \(rss-kib .*\)/figures: '"$fw"': idle \1/p'

	kill "$qemu_pid"
	wait "$qemu_pid" 2>/dev/null || true
	qemu_pid=
	rm -f "$disk"
}

echo "figures: image $(du -m --apparent-size "$raw" | cut -f1) MiB raw ($(du -m "$raw" | cut -f1) MiB allocated)"
[ -f "$base.qcow2" ] && echo "figures: qcow2 $(du -m "$base.qcow2" | cut -f1) MiB"
for fw in $firmwares; do
	boot "$fw"
done
echo "PASS"
