//! Weights of the datasets pallet's calls and of a job's use of datasets.
//!
//! The runtime's implementation is generated from `benchmarking.rs` on the project's machine by
//! `scripts/weights.sh`; never edit numbers by hand.

use frame_support::weights::Weight;

/// Weight of each call, and of the market's calls into the pallet.
pub trait WeightInfo {
	/// `register`, with the longest location and program list.
	fn register() -> Weight;
	/// `update`, growing the record to its longest.
	fn update() -> Weight;
	/// `retire`.
	fn retire() -> Weight;
	/// `remove`.
	fn remove() -> Weight;
	/// `grant_key`, of the largest grant.
	fn grant_key() -> Weight;
	/// A job's submission over `n` datasets, each listing the most programs.
	fn start(n: u32) -> Weight;
	/// A job's end over `n` datasets: each owner paid and each key grant removed.
	fn end(n: u32) -> Weight;
}

/// Zero weights, for unit tests' mock runtime only.
impl WeightInfo for () {
	fn register() -> Weight {
		Weight::zero()
	}
	fn update() -> Weight {
		Weight::zero()
	}
	fn retire() -> Weight {
		Weight::zero()
	}
	fn remove() -> Weight {
		Weight::zero()
	}
	fn grant_key() -> Weight {
		Weight::zero()
	}
	fn start(_: u32) -> Weight {
		Weight::zero()
	}
	fn end(_: u32) -> Weight {
		Weight::zero()
	}
}
