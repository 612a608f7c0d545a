//! Offload from `@polkadot/api` (npm, 16.5.x) with no type definitions: the script in
//! `polkadotjs/market.mjs` runs against the real dev node, registers a provider, publishes an
//! offer, uploads a program, submits a job, follows it to settlement (it plays the provider
//! itself), calls every runtime API through `api.call` and every `offload_*` method through
//! `api.rpc`, and claims the provider's reward once the era ends. `scripts/setup.sh` installs its packages from the committed lockfile.

mod common;

use common::{wait_for_finalized, DevNode};
use std::{path::Path, process::Command, time::Duration};

#[tokio::test(flavor = "multi_thread")]
async fn polkadot_js_uses_the_whole_market_from_metadata_alone() {
	let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/polkadotjs");
	assert!(
		dir.join("node_modules/@polkadot/api").exists(),
		"the @polkadot/api packages are missing: scripts/setup.sh installs them (npm ci in {})",
		dir.display()
	);
	let mut node = DevNode::start(&["--dev-block-time", "500"]);
	let client = node.connect().await;
	wait_for_finalized(&client, 1, Duration::from_secs(60)).await;
	let output = Command::new("node")
		.current_dir(&dir)
		.arg("market.mjs")
		.arg(&node.ws_url)
		.output()
		.expect("Node.js runs (scripts/setup.sh installs it)");
	let stdout = String::from_utf8_lossy(&output.stdout);
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(output.status.success(), "market.mjs failed:\n{stdout}\n{stderr}");
	for step in [
		"every call, event, error and storage item",
		"settled: Bob paid",
		"api.call.computeApi: quote, providers, job, assignments and stats answer",
		"api.rpc.offload: quote, providers, job and stats answer",
		"half the fee his work carried",
		"polkadot.js: done",
	] {
		assert!(stdout.contains(step), "missing `{step}` in:\n{stdout}");
	}
	assert!(node.stop(), "offload-node did not exit on SIGINT:\n{}", node.log());
}
