#!/bin/sh
# Installs what k1s needs to build, run and test on Debian 12. As root.
set -eu
pkgs="meson ninja-build pkg-config gcc clang llvm libsqlite3-dev libmicrohttpd-dev
libjansson-dev libyaml-dev zlib1g-dev libmbedtls-dev libssl-dev libpcre2-dev liburing-dev libcmocka-dev libmnl-dev
libnftables-dev curl openssl bind9-dnsutils sqlite3 iproute2 nftables python3 busybox
python3-kubernetes python3-websocket python3-prometheus-client chromium"
# chromium: headless, for the live page's test (tests/integration/ui_browser.sh).
# The JavaScript client's test needs Node.js and npm: Debian's, where the
# machine has none of its own.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
# shellcheck disable=SC2086
sh "$(dirname "$0")/apt-need.sh" $pkgs
