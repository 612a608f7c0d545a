#!/usr/bin/env bash
# Sets up, builds, starts the standalone Offload dev chain on ws://127.0.0.1:9944 with one
# provider worker (Bob, worker/dev-worker.toml), and runs a real job end to end: Alice uploads
# the wordcount guest (worker/guests/wordcount.wat), submits a job, and gets the verified
# result. Then both keep running until Ctrl-C. Extra arguments go to offload-node (e.g.
# --dev-block-time 2000, --base-path DIR).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$OFFLOAD_ROOT"

bash scripts/setup.sh
echo "dev: building offload-node and offload with the rest of the workspace, sharing artifacts with scripts/test.sh (the first build takes about 25 min on 2 cores; later ones are incremental)"
# The same targets and features as scripts/test.sh, so both share every artifact.
cargo build --workspace --all-targets --locked
bin="$CARGO_TARGET_DIR/debug"
run_dir="$(mktemp -d -t offload-dev.XXXXXX)"

pids=()
stop() {
	for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$run_dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

echo "dev: starting the dev chain (log: $run_dir/node.log)"
"$bin/offload-node" --dev "$@" >"$run_dir/node.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do
	if curl -sf -H 'Content-Type: application/json' \
		-d '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' \
		http://127.0.0.1:9944 >/dev/null; then
		break
	fi
	kill -0 "${pids[0]}" 2>/dev/null || { cat "$run_dir/node.log"; echo "dev: offload-node exited" >&2; exit 1; }
	sleep 1
done

echo "dev: starting Bob's provider worker (log: $run_dir/worker.log)"
"$bin/offload" run --config worker/dev-worker.toml --data-dir "$run_dir/worker" >"$run_dir/worker.log" 2>&1 &
pids+=($!)

echo "dev: Alice runs a job: wordcount over a short text"
"$bin/offload" --suri //Alice submit --program worker/guests/wordcount.wat \
	--input "$(printf 'Offload sells idle compute.\nThis line was counted by a provider worker.\n')" \
	--budget 1 --watch

cat <<MSG

dev: the Offload dev chain and Bob's worker are running
  RPC / WebSocket:  ws://127.0.0.1:9944
  polkadot.js apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944
  worker:           http://127.0.0.1:8787/metrics
  accounts:         Alice, Bob, Charlie, Dave, Eve, Ferdie hold 1,000,000 OFL each; Alice is sudo
  another job:      $bin/offload --suri //Alice submit --program worker/guests/wordcount.wat --input "some text" --watch
  stop:             Ctrl-C
MSG
wait "${pids[0]}"
