//! Weights of the registry pallet's calls.
//!
//! The runtime's implementation is generated from the pallet's benchmarks on the project's
//! machine by `scripts/weights.sh`; never edit numbers by hand.

use frame_support::weights::Weight;

/// Weight of each call.
pub trait WeightInfo {
	/// `register`.
	fn register() -> Weight;
	/// `update_offer`.
	fn update_offer() -> Weight;
	/// `heartbeat`.
	fn heartbeat() -> Weight;
	/// `pause`.
	fn pause() -> Weight;
	/// `resume`.
	fn resume() -> Weight;
	/// `deregister`.
	fn deregister() -> Weight;
	/// `withdraw_bond`.
	fn withdraw_bond() -> Weight;
	/// `set_verified`.
	fn set_verified() -> Weight;
	/// `add_bond`.
	fn add_bond() -> Weight;
	/// `on_idle` reaping one index page whose entries all expired.
	fn reap_page() -> Weight;
}

/// Zero weights, for unit tests' mock runtime only.
impl WeightInfo for () {
	fn register() -> Weight {
		Weight::zero()
	}
	fn update_offer() -> Weight {
		Weight::zero()
	}
	fn heartbeat() -> Weight {
		Weight::zero()
	}
	fn pause() -> Weight {
		Weight::zero()
	}
	fn resume() -> Weight {
		Weight::zero()
	}
	fn deregister() -> Weight {
		Weight::zero()
	}
	fn withdraw_bond() -> Weight {
		Weight::zero()
	}
	fn set_verified() -> Weight {
		Weight::zero()
	}
	fn add_bond() -> Weight {
		Weight::zero()
	}
	fn reap_page() -> Weight {
		Weight::zero()
	}
}
