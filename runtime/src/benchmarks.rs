//! The pallets `frame-omni-bencher` (or a node's `benchmark pallet`) can benchmark in this
//! runtime; `scripts/weights.sh` turns the results into `weights/`.
//!
//! Besides the calls Offload's users make, this measures what every signed extrinsic costs
//! around its call: its transaction extensions (nonce, era, fee payment, weight reclaim).
//! The names below resolve where `apis.rs` expands the list.

#![allow(missing_docs)]

use crate::Runtime;

frame_benchmarking::define_benchmarks!(
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_transaction_payment, TransactionPayment]
	[cumulus_pallet_weight_reclaim, WeightReclaim]
	[pallet_balances, Balances]
	[pallet_treasury, Treasury]
	[pallet_offload_registry, Registry]
	[pallet_offload_market, Market]
	[pallet_offload_reputation, Reputation]
	[pallet_offload_rewards, Rewards]
	[pallet_offload_subscriptions, Subscriptions]
	[pallet_offload_datasets, Datasets]
);

/// Fees go to the treasury account, which needs no setting up.
impl pallet_transaction_payment::BenchmarkConfig for Runtime {}
