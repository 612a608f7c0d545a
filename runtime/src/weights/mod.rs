//! Base weights of blocks, extrinsics and database access.
//!
//! These are the reference-hardware values polkadot-sdk measured with `benchmark overhead` and
//! `benchmark storage`; Offload's own pallets carry weights benchmarked on our machines in their
//! crates.

pub use frame_support::weights::constants::{
	BlockExecutionWeight, ExtrinsicBaseWeight, ParityDbWeight, RocksDbWeight,
};
