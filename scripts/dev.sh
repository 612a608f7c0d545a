#!/usr/bin/env bash
# Sets up, builds and starts the standalone Offload dev chain on ws://127.0.0.1:9944.
# Extra arguments go to offload-node (e.g. --dev-block-time 2000, --base-path DIR).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OFFLOAD_ROOT"

bash scripts/setup.sh
echo "dev: building offload-node with the rest of the workspace, sharing artifacts with scripts/test.sh (the first build takes about 20 min on 2 cores; later ones are incremental)"
# The same targets and features as scripts/test.sh, so both share every artifact.
cargo build --workspace --all-targets --locked
node="$CARGO_TARGET_DIR/debug/offload-node"

cat <<MSG
dev: starting the Offload dev chain
  RPC / WebSocket:  ws://127.0.0.1:9944
  polkadot.js apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944
  accounts:         Alice, Bob, Charlie, Dave, Eve, Ferdie hold 1,000,000 OFL each; Alice is sudo
  stop:             Ctrl-C
MSG
exec "$node" --dev "$@"
