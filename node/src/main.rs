//! `offload-node`: the Offload chain's node.
//!
//! - `offload-node --dev` runs the chain alone on one machine (manual seal, finalized blocks,
//!   mocked relay-chain data), the set-up a newcomer starts with.
//! - Built with `--features collator`, it also collates a parachain for a relay chain.

// The node's functions return `sc_cli` and `sc_service` errors, whose size is theirs to choose.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
#[cfg(feature = "collator")]
mod collator;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
