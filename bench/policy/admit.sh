#!/bin/sh
# The runtime's gate with many Services (admit.c): pol_admit_pod per pod
# and a pass after an Endpoints change, at 100 and 1,000 Services, no
# policy, then one, then (1,000 Services) 1,000. No root, no network: it
# runs beside anything.
#
#   bench/policy/admit.sh [BUILD_DIR]
set -eu
B=${1:-build}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/pol-admit-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT

cc -O2 -D_GNU_SOURCE -I"$SRC/policy" -I"$SRC/policy/include" -I"$SRC/lib/include" \
	-I"$SRC/store/include" -o "$T/admit" "$SRC/bench/policy/admit.c" \
	"$B/policy/libpolicy.a" "$B/store/libst.a" "$B/apimachinery/libapimachinery.a" \
	"$B/lib/libk1s.a" -ljansson -lsqlite3 -lnftables -lmnl -luring -lpthread
for svcs in 100 1000; do
	"$T/admit" "$svcs" "${PODS:-100}" 2>/dev/null
done
"$T/admit" 1000 "${PODS:-100}" 1000 2>/dev/null | tail -2
