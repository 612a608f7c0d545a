//! # Offload primitives
//!
//! What Offload's pallets share without naming each other: the outcome of a job for a provider
//! and the traits through which the market reads reputation. Each trait is implemented by one
//! pallet and wired in the runtime; `()` implementations serve mocks.

#![cfg_attr(not(feature = "std"), no_std)]

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::Permill;

/// How a job ended for one provider; reputation is computed from these.
#[derive(
	Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum Outcome {
	/// Delivered a result the job accepted (alone, or agreeing with the quorum).
	Success,
	/// Delivered, but after the deadline.
	Late,
	/// Ran the job and reported a failure, or the result was rejected.
	Failure,
	/// Was assigned the job and never acknowledged it or never delivered.
	NoShow,
	/// Revealed a result that disagreed with the quorum, or lost a dispute.
	Fraud,
}

/// Reads and updates providers' reputation.
pub trait ReputationOf<AccountId> {
	/// The provider's current score (50% for a provider with no history).
	fn score(who: &AccountId) -> Permill;
	/// Records that a job of `size` (e.g. its payment) ended in `outcome` for `who`.
	fn record(who: &AccountId, outcome: Outcome, size: u128);
}

/// Everyone has the neutral score; nothing is recorded. For mocks.
impl<AccountId> ReputationOf<AccountId> for () {
	fn score(_: &AccountId) -> Permill {
		Permill::from_percent(50)
	}
	fn record(_: &AccountId, _: Outcome, _: u128) {}
}
