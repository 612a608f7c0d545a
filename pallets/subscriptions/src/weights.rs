//! Weights of the subscriptions pallet's calls and hook.
//!
//! The runtime's implementation is generated from `benchmarking.rs` on the project's machine by
//! `scripts/weights.sh`; never edit numbers by hand.

use frame_support::weights::Weight;

/// Weight of each call and the hook.
pub trait WeightInfo {
	/// `subscribe`, looking at `MaxScan` candidates and finding room at the last of
	/// `SCHEDULE_TRIES` blocks.
	fn subscribe() -> Weight;
	/// `renew`.
	fn renew() -> Weight;
	/// `cancel`.
	fn cancel() -> Weight;
	/// `on_initialize` in a block where `n` periods settle, each on its dearest path (paid,
	/// then the subscription ends and gives everything back).
	fn on_initialize(n: u32) -> Weight;
}

/// Zero weights, for unit tests' mock runtime only.
impl WeightInfo for () {
	fn subscribe() -> Weight {
		Weight::zero()
	}
	fn renew() -> Weight {
		Weight::zero()
	}
	fn cancel() -> Weight {
		Weight::zero()
	}
	fn on_initialize(_: u32) -> Weight {
		Weight::zero()
	}
}
