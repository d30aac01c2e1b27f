#!/bin/sh
# Builds and runs every test: the unit and integration suites, the same
# suites under AddressSanitizer and UndefinedBehaviorSanitizer, each fuzz
# target for a short while over its corpus, and the appliance image built
# and booted in qemu (K1S_IMAGE_TEST=0 leaves it out).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
fuzz_seconds=${K1S_FUZZ_SECONDS:-10}
image_test=${K1S_IMAGE_TEST:-1}

echo "== build and test"
[ -d build ] || meson setup build --buildtype=debugoptimized -Dtests=enabled
ninja -C build

# The image is built from build/k1s while the suites run: mostly downloads
# and dpkg, at a low priority. It boots once a file says the suites that
# time themselves are done; the boot (qemu TCG, one processor) then runs
# beside the fuzz targets. Its own group, so that a failed run stops it.
image_job=
if [ "$image_test" = 1 ]; then
	mkdir -p build-image
	rm -f build-image/ci.go
	setsid sh -c 'nice -n 10 sh image/build.sh &&
		while [ ! -e build-image/ci.go ]; do sleep 2; done &&
		SMP=1 sh image/test-boot.sh bios' >build-image/ci.log 2>&1 &
	image_job=$!
	trap '[ -z "$image_job" ] || kill -TERM "-$image_job" 2>/dev/null || true' EXIT
	echo "-- the appliance image: building in the background (build-image/ci.log)"
fi

meson test -C build --print-errorlogs --num-processes 2

echo "== AddressSanitizer and UndefinedBehaviorSanitizer"
[ -d build-san ] || CC=clang meson setup build-san --buildtype=debug -Dtests=enabled \
	-Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-san
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-san --print-errorlogs --num-processes 2 --timeout-multiplier 3

[ -z "$image_job" ] || touch build-image/ci.go

echo "== fuzz targets, ${fuzz_seconds}s each"
[ -d build-fuzz ] || CC=clang meson setup build-fuzz --buildtype=debug -Dtests=enabled \
	-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
# The fuzz targets alone, not the suites again.
targets=$(for c in tests/fuzz/*.in; do n=${c##*/}; echo "tests/fuzz_${n%.in}"; done)
# shellcheck disable=SC2086
ninja -C build-fuzz $targets
# Two at a time, one per core; each target's log is shown only if it fails.
export fuzz_seconds
# shellcheck disable=SC2016
if ! echo "$targets" | xargs -P 2 -n 1 sh -c '
	f=build-fuzz/$1 name=${1#tests/fuzz_}
	work=$(mktemp -d)
	cp -r "tests/fuzz/$name.in"/. "$work"/ 2>/dev/null || true
	if "$f" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 "$work" \
		>"$work.log" 2>&1; then
		echo "-- fuzz_$name: $(tail -n 1 "$work.log")"
		rm -rf "$work" "$work.log"
	else
		tail -n 40 "$work.log"
		echo "fuzz target fuzz_$name failed"
		exit 255
	fi' sh; then
	exit 1
fi

if [ -n "$image_job" ]; then
	echo "== the appliance image: built, booted in qemu, checked"
	if ! wait "$image_job"; then
		tail -n 60 build-image/ci.log
		echo "the appliance image test failed (build-image/ci.log)"
		exit 1
	fi
	image_job=
	grep -E '^(ok|figures|PASS)' build-image/ci.log
fi
echo "== all tests passed"
