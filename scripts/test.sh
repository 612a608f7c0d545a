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
	benchmarking "$@"
