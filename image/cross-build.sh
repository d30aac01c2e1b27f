#!/bin/sh
# Builds k1s for arm64 on an x86_64 Debian 12, as root: installs the cross
# compiler and the arm64 -dev packages of k1s's libraries (dpkg multiarch),
# then builds build-arm64/k1s with image/arm64-cross.ini.
#   sh image/cross-build.sh
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
out=$src/build-arm64
libs="libsqlite3-dev libmicrohttpd-dev libjansson-dev libyaml-dev zlib1g-dev libmbedtls-dev
libssl-dev libpcre2-dev liburing-dev libmnl-dev libnftables-dev"

[ "$(id -u)" = 0 ] || { echo "image/cross-build.sh: run as root" >&2; exit 1; }
pkgs="meson ninja-build pkg-config gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
for l in $libs; do pkgs="$pkgs $l:arm64"; done
# shellcheck disable=SC2086
sh "$src/scripts/apt-need.sh" $pkgs
[ -f "$out/build.ninja" ] ||
	meson setup "$out" "$src" --cross-file "$src/image/arm64-cross.ini" --buildtype=release \
		-Dtests=disabled
ninja -C "$out" k1s
echo "image/cross-build.sh: $out/k1s"
