//! Chain specs of Offload: built from the runtime's WASM and one of its genesis presets.

use offload_runtime::{
	genesis_config_presets::PARACHAIN_ID, SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL, WASM_BINARY,
};
use sc_chain_spec::{ChainSpecExtension, ChainSpecGroup, ChainType, Properties};
use serde::{Deserialize, Serialize};

/// Offload's chain spec, with the parachain extensions a collator reads.
pub type ChainSpec = sc_service::GenericChainSpec<Extensions>;

/// The relay chain and parachain id a collator of this chain works with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ChainSpecGroup, ChainSpecExtension)]
#[serde(deny_unknown_fields)]
pub struct Extensions {
	/// The relay chain's chain spec id.
	#[serde(alias = "relayChain")]
	pub relay_chain: String,
	/// The parachain id.
	#[serde(alias = "paraId")]
	pub para_id: u32,
}

impl Extensions {
	/// The extensions of `spec`, if it has them.
	#[cfg_attr(not(feature = "collator"), allow(dead_code))]
	pub fn try_get(spec: &dyn sc_service::ChainSpec) -> Option<&Self> {
		sc_chain_spec::get_extension(spec.extensions())
	}
}

/// Token symbol, decimals and address format, which wallets and polkadot.js apps show.
pub fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());
	properties
}

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"the runtime WASM is missing: this node was built with SKIP_WASM_BUILD; rebuild without it"
			.to_string()
	})
}

/// A chain spec from the runtime's WASM and its genesis preset `preset`.
fn build(name: &str, id: &str, chain_type: ChainType, preset: &str) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(
		wasm()?,
		Extensions { relay_chain: "rococo-local".into(), para_id: PARACHAIN_ID },
	)
	.with_name(name)
	.with_id(id)
	.with_chain_type(chain_type)
	.with_genesis_config_preset_name(preset)
	.with_protocol_id(id)
	.with_properties(properties())
	.build())
}

/// The dev chain `offload-node --dev` runs: Alice collates, the dev accounts are funded.
pub fn development() -> Result<ChainSpec, String> {
	build(
		"Offload Development",
		"offload_dev",
		ChainType::Development,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
	)
}

/// A local testnet for a relay-chain network: Alice and Bob collate.
pub fn local_testnet() -> Result<ChainSpec, String> {
	build(
		"Offload Local Testnet",
		"offload_local_testnet",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}

/// The chain spec named by `--chain`: `dev`, `local`, or a path to a JSON file.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"" | "dev" | "development" => Box::new(development()?),
		"local" | "local_testnet" => Box::new(local_testnet()?),
		path => Box::new(ChainSpec::from_json_file(std::path::PathBuf::from(path))?),
	})
}
