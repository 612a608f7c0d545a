//! Command line of `offload-node`.

/// Subcommands besides running the node.
#[derive(Debug, clap::Subcommand)]
pub enum Subcommand {
	/// Key management.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Export the chain spec as JSON (`--raw` for the storage form a relay chain registers).
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Export the genesis head data of the parachain (for registering it on a relay chain).
	#[cfg(feature = "collator")]
	ExportGenesisHead(cumulus_client_cli::ExportGenesisHeadCommand),

	/// Export the genesis WASM of the parachain (for registering it on a relay chain).
	#[cfg(feature = "collator")]
	ExportGenesisWasm(cumulus_client_cli::ExportGenesisWasmCommand),
}

/// `offload-node [OPTIONS] [SUBCOMMAND]`.
#[derive(Debug, clap::Parser)]
#[command(
	propagate_version = true,
	args_conflicts_with_subcommands = true,
	subcommand_negates_reqs = true
)]
pub struct Cli {
	/// A subcommand; without one, the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Options of the running node.
	#[cfg(not(feature = "collator"))]
	#[command(flatten)]
	pub run: sc_cli::RunCmd,

	/// Options of the running node, with the collator's relay-chain options.
	#[cfg(feature = "collator")]
	#[command(flatten)]
	pub collator: cumulus_client_cli::RunCmd,

	/// Milliseconds between two blocks of the standalone dev chain. Each block is finalized
	/// as soon as it is sealed.
	#[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(100..=60_000))]
	pub dev_block_time: u64,

	/// Arguments of the embedded relay-chain node, after `--` (collator mode only).
	#[cfg(feature = "collator")]
	#[arg(raw = true)]
	pub relay_chain_args: Vec<String>,
}
