#!/bin/sh
# Installs, as root with apt-get, those of the given Debian packages that
# are not installed yet; PKG:ARCH adds ARCH to dpkg's architectures first.
#   sh scripts/apt-need.sh PKG...
set -eu
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
for p in $missing; do
	case $p in *:*)
		arch=${p#*:}
		[ "$arch" = "$(dpkg --print-architecture)" ] ||
			dpkg --print-foreign-architectures | grep -qx "$arch" || dpkg --add-architecture "$arch"
		;;
	esac
done
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
