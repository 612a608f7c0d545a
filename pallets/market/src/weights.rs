//! Weights of the market pallet's calls.
//!
//! The runtime's implementation is generated from the pallet's benchmarks on the project's
//! machine by `scripts/weights.sh`; never edit numbers by hand.

use frame_support::weights::Weight;

/// Weight of each call.
pub trait WeightInfo {
	/// `upload_program` of `l` bytes.
	fn upload_program(l: u32) -> Weight;
	/// `free_program`.
	fn free_program() -> Weight;
	/// `remove_program`.
	fn remove_program() -> Weight;
	/// `submit_job` of `k` replicas, open to any provider.
	fn submit_job(k: u32) -> Weight;
	/// `submit_job` of `k` replicas for verified providers only.
	fn submit_job_verified(k: u32) -> Weight;
	/// `submit_job` of one replica among `p` registered providers (a measurement).
	fn submit_job_among(p: u32) -> Weight;
	/// `submit_subscription_job`.
	fn submit_subscription_job() -> Weight;
	/// `cancel`.
	fn cancel() -> Weight;
	/// `ack`.
	fn ack() -> Weight;
	/// `decline`, its replica matched again.
	fn decline() -> Weight;
	/// `submit_result`.
	fn submit_result() -> Weight;
	/// `commit_result`.
	fn commit_result() -> Weight;
	/// `reveal_result`.
	fn reveal_result() -> Weight;
	/// `expire`.
	fn expire() -> Weight;
	/// `clear_job`.
	fn clear_job() -> Weight;
	/// `dispute`.
	fn dispute() -> Weight;
	/// `grant_input`, of the largest grant.
	fn grant_input() -> Weight;
	/// The last reveal of a dispute's check: settling it and judging the dispute.
	fn reveal_result_resolving_dispute() -> Weight;
	/// Matching one queued job in `on_idle`.
	fn match_queued_job() -> Weight;
	/// Drawing the re-executors of one dispute check in `on_idle`.
	fn match_drawn_check() -> Weight;
}

/// Zero weights, for unit tests' mock runtime only.
impl WeightInfo for () {
	fn upload_program(_: u32) -> Weight {
		Weight::zero()
	}
	fn free_program() -> Weight {
		Weight::zero()
	}
	fn remove_program() -> Weight {
		Weight::zero()
	}
	fn submit_job(_: u32) -> Weight {
		Weight::zero()
	}
	fn submit_job_verified(_: u32) -> Weight {
		Weight::zero()
	}
	fn submit_job_among(_: u32) -> Weight {
		Weight::zero()
	}
	fn submit_subscription_job() -> Weight {
		Weight::zero()
	}
	fn cancel() -> Weight {
		Weight::zero()
	}
	fn ack() -> Weight {
		Weight::zero()
	}
	fn decline() -> Weight {
		Weight::zero()
	}
	fn submit_result() -> Weight {
		Weight::zero()
	}
	fn commit_result() -> Weight {
		Weight::zero()
	}
	fn reveal_result() -> Weight {
		Weight::zero()
	}
	fn expire() -> Weight {
		Weight::zero()
	}
	fn clear_job() -> Weight {
		Weight::zero()
	}
	fn dispute() -> Weight {
		Weight::zero()
	}
	fn grant_input() -> Weight {
		Weight::zero()
	}
	fn reveal_result_resolving_dispute() -> Weight {
		Weight::zero()
	}
	fn match_queued_job() -> Weight {
		Weight::zero()
	}
	fn match_drawn_check() -> Weight {
		Weight::zero()
	}
}
