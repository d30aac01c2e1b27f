#!/bin/sh
# The evaluator's costs (eval.c) at 100 and 1,000 pods with 0, 100 and
# 1,000 policies: a view's build, a view's after one policy changed,
# pol_view_check per flow, every pod's kernel lists. No root, no network: it runs beside anything.
#
#   bench/policy/eval.sh [BUILD_DIR]
set -eu
B=${1:-build}
REPEAT=${REPEAT:-9}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/pol-eval.XXXXXX)
trap 'rm -rf "$T"' EXIT

cc -O2 -D_GNU_SOURCE -I"$SRC/policy" -I"$SRC/policy/include" -I"$SRC/lib/include" \
	-o "$T/eval" "$SRC/bench/policy/eval.c" "$B/policy/libpolicy.a" \
	"$B/apimachinery/libapimachinery.a" "$B/lib/libk1s.a" -ljansson
for pods in 100 1000; do
	for pols in 0 100 1000; do
		"$T/eval" "$pods" "$pols" "$REPEAT"
	done
done
