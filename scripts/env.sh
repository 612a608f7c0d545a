# Shared settings for Offload's scripts; sourced, not run.
# One target dir outside the clone, shared by local builds and CI on the same machine, so a
# rebuild is incremental. Override by exporting CARGO_TARGET_DIR first.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/offload/target}"
export PATH="$HOME/.cargo/bin:$PATH"
OFFLOAD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export OFFLOAD_ROOT
