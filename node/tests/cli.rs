//! The `offload-node` command line, run as an operator would.

use serde_json::Value;
use std::process::Command;

fn node() -> Command {
	Command::new(env!("CARGO_BIN_EXE_offload-node"))
}

#[test]
fn exported_chain_specs_carry_properties_para_id_and_presets() {
	for (chain, id, collators) in [("dev", "offload_dev", 1), ("local", "offload_local_testnet", 2)]
	{
		let output = node()
			.args(["export-chain-spec", "--chain", chain])
			.output()
			.expect("offload-node runs");
		assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
		let spec: Value = serde_json::from_slice(&output.stdout).expect("the chain spec is JSON");
		assert_eq!(spec["id"], id);
		assert_eq!(spec["properties"]["tokenSymbol"], "OFL");
		assert_eq!(spec["properties"]["tokenDecimals"], 12);
		assert_eq!(spec["properties"]["ss58Format"], 42);
		assert_eq!(spec["para_id"], 2000, "{chain}: {spec}");
		assert_eq!(spec["relay_chain"], "rococo-local");
		// The preset, as the genesis patch the runtime built.
		let patch = &spec["genesis"]["runtimeGenesis"]["patch"];
		// Six dev accounts, and the treasury with the existential deposit.
		assert_eq!(patch["balances"]["balances"].as_array().map(Vec::len), Some(7), "{patch}");
		assert_eq!(patch["parachainInfo"]["parachainId"], 2000);
		assert_eq!(
			patch["collatorSelection"]["invulnerables"].as_array().map(Vec::len),
			Some(collators)
		);
		assert!(patch["sudo"]["key"].is_string());
		let code = spec["genesis"]["runtimeGenesis"]["code"].as_str().expect("the runtime code");
		assert!(code.starts_with("0x") && code.len() > 100_000, "the spec embeds the runtime WASM");
	}
}

#[cfg(not(feature = "collator"))]
#[test]
fn a_relay_chain_spec_without_the_collator_feature_is_refused_clearly() {
	let dir = std::env::temp_dir().join(format!("offload-cli-test-{}", std::process::id()));
	let output = node()
		.args(["--chain", "local", "--no-prometheus", "--no-telemetry", "--rpc-port", "0"])
		.arg("--base-path")
		.arg(&dir)
		.output()
		.expect("offload-node runs");
	let _ = std::fs::remove_dir_all(&dir);
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("--features collator"), "unclear error: {stderr}");
}
