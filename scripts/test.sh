#!/bin/sh
# Builds and runs every test: the unit and integration suites, the same
# suites under AddressSanitizer and UndefinedBehaviorSanitizer, and each
# fuzz target for a short while over its corpus.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
fuzz_seconds=${K1S_FUZZ_SECONDS:-15}

echo "== build and test"
[ -d build ] || meson setup build --buildtype=debugoptimized -Dtests=enabled
ninja -C build
meson test -C build --print-errorlogs --num-processes 2

echo "== AddressSanitizer and UndefinedBehaviorSanitizer"
[ -d build-san ] || CC=clang meson setup build-san --buildtype=debug -Dtests=enabled \
	-Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-san
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-san --print-errorlogs --num-processes 2 --timeout-multiplier 3

echo "== fuzz targets, ${fuzz_seconds}s each"
[ -d build-fuzz ] || CC=clang meson setup build-fuzz --buildtype=debug -Dtests=enabled \
	-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-fuzz
for f in build-fuzz/tests/fuzz_*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	name=$(basename "$f")
	corpus=tests/fuzz/${name#fuzz_}.in
	work=$(mktemp -d)
	cp -r "$corpus"/. "$work"/ 2>/dev/null || true
	echo "-- $name"
	if ! "$f" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 "$work" \
		>"$work.log" 2>&1; then
		tail -n 40 "$work.log"
		echo "fuzz target $name failed"
		exit 1
	fi
	tail -n 1 "$work.log"
	rm -rf "$work" "$work.log"
done
echo "== all tests passed"
