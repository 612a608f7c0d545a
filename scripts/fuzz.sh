#!/usr/bin/env bash
# Fuzzes Offload's real runtime: arbitrary sequences of the compute pallets' calls (and
# balances, utility) from the six dev accounts, over many blocks, with every invariant checked
# after every block (see runtime/fuzz/src/lib.rs). Prints calls per second as it goes; on a
# panic or a broken invariant prints the failing input, writes it under the target dir, and
# exits 1.
#
#   bash scripts/fuzz.sh [CALLS] [SEED]      # defaults: 1000000 calls, a seed from the clock
#   bash scripts/fuzz.sh --replay FILE       # replays a failing input
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OFFLOAD_ROOT"

# The fuzzer runs the runtime natively; it needs no WASM blob.
SKIP_WASM_BUILD=1 cargo build --release --locked -p offload-runtime-fuzz
fuzz="$CARGO_TARGET_DIR/release/offload-runtime-fuzz"
failures="$CARGO_TARGET_DIR/fuzz-failures"
if [ "${1:-}" = "--replay" ]; then
	exec "$fuzz" --replay "$2"
fi
calls="${1:-1000000}"
seed="${2:-$(date +%s)}"
echo "fuzzing ${calls} calls from seed ${seed}"
exec "$fuzz" --calls "$calls" --seed "$seed" --failures "$failures"
