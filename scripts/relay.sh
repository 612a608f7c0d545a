#!/usr/bin/env bash
# The relay-chain network test: Offload as a parachain of a local relay chain, run by zombienet
# (zombienet/network.toml): two rococo-local validators, two Offload collators; then a transfer
# and a WASM job through a collator, settled on relay-chain finality, a runtime upgrade through
# the relay chain, and a job after it served by the same worker (worker/tests/relay_network.rs).
#
#   scripts/relay.sh          # build what is missing, start the network, run the test, stop it
#   scripts/relay.sh build    # only build what is missing
#   scripts/relay.sh spawn    # build, then start the network and leave it running (Ctrl-C)
#
# Builds, once per machine and outside the clone:
# - the relay node of our polkadot-sdk release (crates.io `polkadot` 41.0.0, stable2609):
#   `polkadot`, `polkadot-prepare-worker`, `polkadot-execute-worker` in $OFFLOAD_RELAY_DIR
#   (default ~/.cache/offload/relay): about an hour on 2 cores;
# - `offload-node --features collator`, copied to $CARGO_TARGET_DIR/collator/ (the plain
#   `offload-node` beside it stays the dev chain's);
# - the next runtime version the test upgrades the chain to (`offload-runtime --features
#   upgrade-test`, its WASM only), in a target dir of its own ($OFFLOAD_UPGRADE_TARGET, default
#   ~/.cache/offload/upgrade-target): built in the shared one, its WASM would take the place of
#   the dev chain's.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OFFLOAD_ROOT"

RELAY_DIR="${OFFLOAD_RELAY_DIR:-$HOME/.cache/offload/relay}"
POLKADOT_VERSION=41.0.0
COLLATOR_DIR="$CARGO_TARGET_DIR/collator"
UPGRADE_TARGET="${OFFLOAD_UPGRADE_TARGET:-$HOME/.cache/offload/upgrade-target}"
export OFFLOAD_UPGRADE_WASM="$UPGRADE_TARGET/debug/wbuild/offload-runtime/offload_runtime.wasm"
mode="${1:-test}"

relay_ready() {
	[ "$(cat "$RELAY_DIR/version" 2>/dev/null)" = "$POLKADOT_VERSION" ] || return 1
	for binary in polkadot polkadot-prepare-worker polkadot-execute-worker; do
		[ -x "$RELAY_DIR/bin/$binary" ] || return 1
	done
}

build() {
	if ! relay_ready; then
		echo "==> building the relay node (polkadot $POLKADOT_VERSION) into $RELAY_DIR: about an hour on 2 cores, once per machine"
		mkdir -p "$RELAY_DIR"
		# A target dir of its own, removed afterwards: it is about 10 GB.
		CARGO_TARGET_DIR="$RELAY_DIR-target" cargo install --locked "polkadot@$POLKADOT_VERSION" \
			--root "$RELAY_DIR"
		echo "$POLKADOT_VERSION" > "$RELAY_DIR/version"
		rm -rf "$RELAY_DIR-target"
	fi
	echo "==> building offload-node --features collator"
	cargo build --locked -p offload-node --features collator
	mkdir -p "$COLLATOR_DIR"
	# A hard link where it can (the binary is 2 GB; Cargo's own copy under deps/ is the same
	# file), a copy otherwise.
	ln -f "$CARGO_TARGET_DIR/debug/offload-node" "$COLLATOR_DIR/offload-node" 2>/dev/null ||
		cp -f "$CARGO_TARGET_DIR/debug/offload-node" "$COLLATOR_DIR/offload-node"
	echo "==> building the runtime the test upgrades to (offload-runtime --features upgrade-test)"
	# `check` runs the build script, which builds the WASM; the native crate is not needed.
	CARGO_TARGET_DIR="$UPGRADE_TARGET" cargo check --locked -p offload-runtime --features upgrade-test
	echo "==> installing zombienet (npm, from zombienet/package-lock.json)"
	if ! cmp -s zombienet/package-lock.json zombienet/node_modules/.package-lock.json 2>/dev/null; then
		(cd zombienet && npm ci --no-audit --no-fund --loglevel=error)
	fi
}

build
[ "$mode" = build ] && exit 0

export PATH="$COLLATOR_DIR:$RELAY_DIR/bin:$PATH"
NETWORK_DIR="$(mktemp -d /tmp/offload-relay.XXXXXX)"
export OFFLOAD_PARA_SPEC="$NETWORK_DIR/offload-local-raw.json"
offload-node export-chain-spec --chain local --raw > "$OFFLOAD_PARA_SPEC"
export OFFLOAD_RELAY_RPC_PORT="${OFFLOAD_RELAY_RPC_PORT:-9910}"
export OFFLOAD_COLLATOR_RPC_PORT="${OFFLOAD_COLLATOR_RPC_PORT:-9920}"
export OFFLOAD_RELAY_WS="ws://127.0.0.1:$OFFLOAD_RELAY_RPC_PORT"
export OFFLOAD_COLLATOR_WS="ws://127.0.0.1:$OFFLOAD_COLLATOR_RPC_PORT"
export OFFLOAD_NETWORK_STARTED="$(date +%s)"

echo "==> starting the network in $NETWORK_DIR (relay RPC $OFFLOAD_RELAY_WS, collator RPC $OFFLOAD_COLLATOR_WS)"
zombienet/node_modules/.bin/zombienet --provider native --dir "$NETWORK_DIR/net" --logType text \
	spawn zombienet/network.toml > "$NETWORK_DIR/zombienet.log" 2>&1 &
zombienet_pid=$!
stop() {
	kill -INT "$zombienet_pid" 2>/dev/null || true
	sleep 3
	# Whatever zombienet left: every node runs with a base path under the network's dir.
	pkill -KILL -f "$NETWORK_DIR/net" 2>/dev/null || true
	kill -KILL "$zombienet_pid" 2>/dev/null || true
}
trap stop EXIT

if [ "$mode" = spawn ]; then
	echo "==> the network runs; logs under $NETWORK_DIR/net; Ctrl-C stops it"
	wait "$zombienet_pid"
	exit 0
fi

echo "==> running the relay network test (worker/tests/relay_network.rs)"
if ! cargo test --locked -p offload-worker --test relay_network -- --ignored --nocapture; then
	echo "==> the relay network test failed; zombienet's log:" >&2
	tail -50 "$NETWORK_DIR/zombienet.log" >&2
	for log in "$NETWORK_DIR"/net/*.log; do
		echo "==> $log" >&2
		tail -30 "$log" >&2
	done
	exit 1
fi
rm -rf "$NETWORK_DIR"
