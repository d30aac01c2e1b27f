#!/bin/bash
# Log rotation as kubelet's, through the real kubectl, on a small
# --container-log-max-size so that it rotates fast: logs -f sees every
# line across rotations, once and in order; --tail and --since read the
# live file; --previous the last run's; the files on disk are kubelet's
# names, gzipped, at most --container-log-max-files. Then a pod that
# writes at full speed: the disk use stays within max-size x max-files
# and the API and another pod answer meanwhile (k1s's and the shim's CPU
# are printed, not judged). Needs root (pods run in namespaces).
. "$(dirname "$0")/lib.sh"
need kubectl curl timeout zcat pgrep du
[ "$(id -u)" = 0 ] || { echo "SKIP: pods need root"; exit 77; }
MAX=8192
FILES=3
start_k1s --container-log-max-size 8Ki --container-log-max-files $FILES
if grep -q 'pods cannot run' "$TMP/k1s.log"; then
	echo "SKIP: $(grep -o 'pods cannot run.*' "$TMP/k1s.log")"
	exit 77
fi
expect_err "a bad --container-log-max-size is refused" 'failed to parse container log max size "8X"' \
	"$TMP/bin/k1s" serve --container-log-max-size 8X
expect_err "--container-log-max-files 1 is refused" 'containerLogMaxFiles .* must be greater than 1' \
	"$TMP/bin/k1s" serve --container-log-max-files 1

running() {
	for _ in $(seq 100); do
		[ "$(k get pod "$1" -o 'jsonpath={.status.phase}')" = Running ] && return 0
		sleep 0.2
	done
	fail "pod $1 is not Running"
}

# The directory of a pod's container's log files.
logdir() {
	echo "$TMP/data/pods/default_$1_$(k get pod "$1" -o 'jsonpath={.metadata.uid}')/$2"
}

# ~95 bytes a record: about 85 records a file, a rotation every ~0.4 s.
N=1000
k run counter --image=busybox --restart=Never -- sh -c \
	"sleep 2; i=1; while [ \$i -le $N ]; do echo \"line \$i of the counter, padded to about sixty bytes\"; i=\$((i+1)); sleep 0.004; done" >/dev/null
running counter
timeout 60 kubectl -s "$SERVER" --cache-dir "$TMP/kcache" logs -f counter >"$TMP/follow.out" 2>&1 ||
	fail "logs -f did not end with the run: $(tail -n 3 "$TMP/follow.out")"
seq 1 $N | sed 's/.*/line & of the counter, padded to about sixty bytes/' >"$TMP/want"
cmp -s "$TMP/follow.out" "$TMP/want" ||
	fail "logs -f across rotations: $(diff "$TMP/want" "$TMP/follow.out" | head -n 5)"
echo "ok - logs -f saw all $N lines across the rotations, once each and in order"

dir=$(logdir counter counter)
ls "$dir" >"$TMP/files"
n=$(grep -c '^0\.log' "$TMP/files")
[ "$n" = $FILES ] || fail "$n files of the log, expected $FILES: $(cat "$TMP/files")"
grep -Eq '^0\.log\.[0-9]{8}-[0-9]{6}\.gz$' "$TMP/files" || fail "no gzipped rotated file: $(cat "$TMP/files")"
grep -Eq '^0\.log\.[0-9]{8}-[0-9]{6}$' "$TMP/files" || fail "no plain newest rotated file: $(cat "$TMP/files")"
for f in "$dir"/0.log*; do
	[ "$(stat -c %s "$f")" -le $MAX ] || fail "$f is over $MAX bytes"
done
# The kept files, oldest first, are the last lines of the run, whole.
(cd "$dir" && zcat 0.log.*.gz && cat "$(ls 0.log.* | grep -v gz)" 0.log) | cut -d' ' -f4- >"$TMP/kept"
tail -n "$(wc -l <"$TMP/kept")" "$TMP/want" | cmp -s - "$TMP/kept" || fail "the kept files are not the run's last lines"
echo "ok - $FILES files kept, kubelet's names, older ones gzipped (zcat reads them), none over $MAX bytes"

# As kubelet's ReadLogs: logs, --tail and --since read the live file.
cut -d' ' -f4- "$dir/0.log" >"$TMP/live"
k logs counter >"$TMP/all"
cmp -s "$TMP/all" "$TMP/live" || fail "logs is not the live file"
[ "$(head -n 1 "$TMP/all")" != "$(head -n 1 "$TMP/want")" ] || fail "logs still shows the first line: no rotation"
[ "$(tail -n 1 "$TMP/all")" = "line $N of the counter, padded to about sixty bytes" ] ||
	fail "logs does not end with the last line"
k logs counter --tail=3 >"$TMP/tail"
tail -n 3 "$TMP/live" | cmp -s - "$TMP/tail" || fail "logs --tail=3: $(cat "$TMP/tail")"
echo "ok - logs and logs --tail=3 after rotations read the live file"
# kubectl sends --since-time in whole seconds (metav1.Time).
since=$(sed -n 2p "$dir/0.log" | cut -c1-19)Z
k logs counter --since-time="$since" >"$TMP/since"
awk -v t="$since" 'substr($1, 1, 19) >= substr(t, 1, 19)' "$dir/0.log" | cut -d' ' -f4- |
	cmp -s - "$TMP/since" ||
	fail "logs --since-time=$since: $(head -n 2 "$TMP/since")"
expect_out "logs --since=1h" "line $N of" k logs counter --since=1h
echo "ok - logs --since-time after rotations"
[ "$(k logs counter --limit-bytes=12)" = "$(head -c 12 "$TMP/live")" ] ||
	fail "logs --limit-bytes=12: $(k logs counter --limit-bytes=12)"
echo "ok - logs --limit-bytes after rotations"

# --previous: the last run's live file, after it rotated.
k run crasher --image=busybox --restart=Always -- sh -c \
	'i=1; while [ $i -le 300 ]; do echo "run line $i of the crasher, padded to about sixty"; i=$((i+1)); done; exit 1' >/dev/null
wait_until "crasher restarted" 60 'test "$(k get pod crasher -o '\''jsonpath={.status.containerStatuses[0].restartCount}'\'')" -ge 1'
k logs crasher --previous >"$TMP/prev"
[ "$(tail -n 1 "$TMP/prev")" = "run line 300 of the crasher, padded to about sixty" ] ||
	fail "logs --previous: $(tail -n 2 "$TMP/prev")"
[ "$(head -n 1 "$TMP/prev")" != "run line 1 of the crasher, padded to about sixty" ] ||
	fail "logs --previous shows the first line: the run's log did not rotate"
n=$(ls "$(logdir crasher crasher)" | grep -c '^0\.log')
[ "$n" -le $FILES ] || fail "the previous run has $n log files"
echo "ok - logs --previous reads the last run's live file; its rotated files are kept too"

# A pod that writes at full speed.
k run flood --image=busybox --restart=Never -- \
	yes "a line of a pod that writes as fast as it can, about eighty bytes long....." >/dev/null
k run quiet --image=busybox --restart=Never -- sh -c 'while true; do echo quiet; sleep 0.5; done' >/dev/null
running flood
running quiet
fdir=$(logdir flood flood)
# k1s -> the shim -> the container's init -> yes.
shim=$(for p in $(pgrep -P "$K1S_PID"); do
	for i in $(pgrep -P "$p"); do
		for c in $(pgrep -P "$i"); do [ "$(cat /proc/$c/comm)" = yes ] && echo "$p"; done
	done
done | head -n 1)
[ -n "$shim" ] || fail "no shim of the flood pod"
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
k1s0=$(cpu "$K1S_PID"); shim0=$(cpu "$shim"); w0=$(awk '/^wchar/ {print $2}' "/proc/$shim/io"); t0=$(date +%s.%N)
max=0
for i in $(seq 16); do
	used=$(du -sb "$fdir" | cut -f1)
	[ "$used" -gt "$max" ] && max=$used
	k get pod quiet -o name >/dev/null || fail "the API did not answer during the flood"
	sleep 0.5
done
k1s1=$(cpu "$K1S_PID"); shim1=$(cpu "$shim"); w1=$(awk '/^wchar/ {print $2}' "/proc/$shim/io"); t1=$(date +%s.%N)
expect_out "another pod's log answers during the flood" "^quiet$" k logs quiet --tail=1
# The directory's own block and an unfinished .gz.tmp besides the files.
[ "$max" -le $((MAX * FILES + 4096)) ] || fail "the flood's log used $max bytes, over $MAX x $FILES"
echo "ok - a pod writing at full speed used at most $max bytes of disk ($MAX x $FILES allowed)"
hz=$(getconf CLK_TCK)
awk -v a="$k1s0" -v b="$k1s1" -v c="$shim0" -v d="$shim1" -v w="$((w1 - w0))" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
	'BEGIN { s = t1 - t0; printf "# measured over %.1f s: the shim wrote %.1f MB/s of log; CPU of k1s %.0f%%, of the shim %.0f%% of a core\n",
		s, w / s / 1e6, (b - a) / hz / s * 100, (d - c) / hz / s * 100 }'
k delete pod flood quiet counter crasher --grace-period=0 >/dev/null 2>&1 || true
echo "1..1 passed"
