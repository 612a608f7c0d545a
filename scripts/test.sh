#!/usr/bin/env bash
# Runs Offload's whole test suite: unit tests of every crate, and the integration tests that
# start the real offload-node binary and talk to it over JSON-RPC.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OFFLOAD_ROOT"

# Installs only what is missing; a second or so when everything is there.
bash scripts/setup.sh
cargo test --workspace --locked "$@"

# The pallets' benchmarks, run once each as tests against their mock runtimes.
cargo test --locked --features runtime-benchmarks \
	-p pallet-offload-registry -p pallet-offload-reputation -p pallet-offload-market \
	-p pallet-offload-rewards -p pallet-offload-subscriptions -p pallet-offload-datasets \
	benchmarking "$@"

# The relay-chain network test, where this machine has the relay node (scripts/relay.sh builds
# it once, in about an hour).
RELAY_DIR="${OFFLOAD_RELAY_DIR:-$HOME/.cache/offload/relay}"
if [ -x "$RELAY_DIR/bin/polkadot" ] && [ -f "$RELAY_DIR/version" ]; then
	bash scripts/relay.sh
else
	cat <<MESSAGE
################################################################################################
# SKIPPED: the relay-chain network test (worker/tests/relay_network.rs).
# This machine has no relay node in $RELAY_DIR. \`bash scripts/relay.sh\` builds it
# (polkadot 41.0.0, about an hour on 2 cores, once per machine) and runs the test.
################################################################################################
MESSAGE
fi
