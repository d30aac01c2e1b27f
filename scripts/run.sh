#!/bin/sh
# Builds k1s and runs the appliance on its default embedded store.
# Extra arguments go to `k1s serve`.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -d build ] || meson setup build --buildtype=debugoptimized
ninja -C build
exec build/k1s serve "$@"
