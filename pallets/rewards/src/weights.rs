//! Weights of the rewards pallet's calls and hooks.
//!
//! The runtime's implementation is generated from `benchmarking.rs` on the project's machine by
//! `scripts/weights.sh`; never edit numbers by hand.

use frame_support::weights::Weight;

/// Weight of each call and hook.
pub trait WeightInfo {
	/// `claim` of a provider with `n` era records.
	fn claim(n: u32) -> Weight;
	/// `clear_expired` of a provider with `n` era records.
	fn clear_expired(n: u32) -> Weight;
	/// `set_emission`.
	fn set_emission() -> Weight;
	/// `set_era_length`.
	fn set_era_length() -> Weight;
	/// `on_initialize` in a block that ends no era.
	fn on_initialize_idle() -> Weight;
	/// `on_initialize` in a block that ends an era: emission minted, an era expired.
	fn on_initialize_era_end() -> Weight;
}

/// Zero weights, for unit tests' mock runtime only.
impl WeightInfo for () {
	fn claim(_: u32) -> Weight {
		Weight::zero()
	}
	fn clear_expired(_: u32) -> Weight {
		Weight::zero()
	}
	fn set_emission() -> Weight {
		Weight::zero()
	}
	fn set_era_length() -> Weight {
		Weight::zero()
	}
	fn on_initialize_idle() -> Weight {
		Weight::zero()
	}
	fn on_initialize_era_end() -> Weight {
		Weight::zero()
	}
}
