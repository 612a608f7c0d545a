//! The pallets `frame-omni-bencher` (or a node's `benchmark pallet`) can benchmark in this
//! runtime; `scripts/weights.sh` turns the results into `weights/`.

#![allow(missing_docs)]

use crate::{Balances, Market, Registry, Reputation};

frame_benchmarking::define_benchmarks!(
	[pallet_balances, Balances]
	[pallet_offload_registry, Registry]
	[pallet_offload_market, Market]
	[pallet_offload_reputation, Reputation]
);
