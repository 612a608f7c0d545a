#!/usr/bin/env bash
# Regenerates the runtime's weights (runtime/src/weights/<pallet>.rs) from the pallets' v2
# benchmarks, measured on this machine with frame-omni-bencher against the runtime's WASM built
# with `runtime-benchmarks`. Never edit the generated files by hand.
#
#   scripts/weights.sh                 # the block and extrinsic overhead, then every pallet
#   scripts/weights.sh pallet_offload_market
#   scripts/weights.sh overhead        # block_weights.rs and extrinsic_weights.rs only
#   STEPS=50 REPEAT=20 scripts/weights.sh
#
# `overhead` measures what an empty block and a signed `System::remark` cost to execute
# (signature check and transaction extensions included); the pallets' weights add each call's
# own cost on top, and `frame_system_extensions`, `pallet_transaction_payment` and
# `cumulus_pallet_weight_reclaim` weigh the extensions every signed extrinsic carries.
#
# Raw results (every component value, every repeat) go to target-weights/<pallet>.json beside
# the generated file's analysis, for reading off numbers such as matching among 10 vs 10,000
# providers.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OFFLOAD_ROOT"

TOOLS="${OFFLOAD_TOOLS:-$HOME/.cache/offload/tools}"
BENCHER="$TOOLS/bin/frame-omni-bencher"
# The same polkadot-sdk release as the workspace (2609.2.0).
BENCHER_VERSION=0.28.0
if [ ! -x "$BENCHER" ]; then
	echo "==> installing frame-omni-bencher $BENCHER_VERSION (once per machine, about 30 min on 2 cores)"
	CARGO_TARGET_DIR="$TOOLS/target" cargo install --locked frame-omni-bencher \
		--version "$BENCHER_VERSION" --root "$TOOLS"
fi

# A target dir of its own: the benchmark WASM must never overwrite the one the node embeds.
BENCH_TARGET="${OFFLOAD_BENCH_TARGET_DIR:-$HOME/.cache/offload/bench-target}"
echo "==> building the runtime WASM with runtime-benchmarks"
CARGO_TARGET_DIR="$BENCH_TARGET" cargo check --locked -p offload-runtime --features runtime-benchmarks
WBUILD="$BENCH_TARGET/debug/wbuild/offload-runtime"
WASM=""
for name in offload_runtime.compact.compressed.wasm offload_runtime.compact.wasm offload_runtime.wasm; do
	if [ -f "$WBUILD/$name" ]; then
		WASM="$WBUILD/$name"
		break
	fi
done
[ -n "$WASM" ] || { echo "no runtime WASM in $WBUILD" >&2; exit 1; }

PALLETS=("$@")
if [ ${#PALLETS[@]} -eq 0 ]; then
	PALLETS=(overhead frame_system_extensions pallet_transaction_payment
		cumulus_pallet_weight_reclaim pallet_balances pallet_treasury pallet_offload_registry
		pallet_offload_market pallet_offload_reputation pallet_offload_rewards
		pallet_offload_subscriptions pallet_offload_datasets)
fi
mkdir -p target-weights
for pallet in "${PALLETS[@]}"; do
	if [ "$pallet" = overhead ]; then
		echo "==> benchmarking the block and extrinsic overhead"
		"$BENCHER" v1 benchmark overhead \
			--runtime "$WASM" \
			--genesis-builder-preset development \
			--header scripts/weights-header.txt \
			--weight-path runtime/src/weights
		continue
	fi
	echo "==> benchmarking $pallet"
	"$BENCHER" v1 benchmark pallet \
		--runtime "$WASM" \
		--genesis-builder-preset development \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "${STEPS:-20}" \
		--repeat "${REPEAT:-10}" \
		--header scripts/weights-header.txt \
		--output "runtime/src/weights/$pallet.rs" \
		--json-file "target-weights/$pallet.json"
done
cargo fmt -- runtime/src/weights/*.rs
echo "==> weights written to runtime/src/weights/"
