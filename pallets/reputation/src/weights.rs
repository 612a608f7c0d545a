//! Weights of the reputation pallet's calls.
//!
//! The runtime's implementation is generated from `benchmarking.rs` on the project's machine by
//! `scripts/weights.sh`; never edit numbers by hand.

use frame_support::weights::Weight;

/// Weight of each call.
pub trait WeightInfo {
	/// `prune`.
	fn prune() -> Weight;
}

/// Zero weights, for unit tests' mock runtime only.
impl WeightInfo for () {
	fn prune() -> Weight {
		Weight::zero()
	}
}
