#!/bin/bash
# The official JavaScript client (@kubernetes/client-node, pinned in
# clients/package-lock.json): list, watch, an informer, and a patch of the
# scale subresource. npm installs it beside the k1s binary (under build/),
# once per lock file; SKIP where Node.js or npm is missing or the registry
# cannot be reached.
# npm reaches its registry from the host's network.
K1S_IT_HOST_NET=1
. "$(dirname "$0")/lib.sh"
need node npm
SRC=$(cd "$(dirname "$0")/clients" && pwd)
DIR=${K1S_CLIENT_NODE_DIR:-$(cd "$(dirname "$K1S")" && pwd)/client-node}
mkdir -p "$DIR"
if ! cmp -s "$SRC/package-lock.json" "$DIR/package-lock.json" || [ ! -d "$DIR/node_modules" ]; then
	cp "$SRC/package.json" "$SRC/package-lock.json" "$DIR/"
	rm -rf "$DIR/node_modules"
	if ! (cd "$DIR" && timeout 300 npm ci --no-audit --no-fund >"$TMP/npm.log" 2>&1); then
		rm -f "$DIR/package-lock.json"
		echo "SKIP: npm ci failed:"; tail -n 5 "$TMP/npm.log"
		exit 77
	fi
fi
# ES modules resolve packages from their own folder: run the test from there.
cp "$SRC/js_client.mjs" "$DIR/"
start_k1s
timeout 120 node "$DIR/js_client.mjs" "$SERVER" || fail "JavaScript client"
