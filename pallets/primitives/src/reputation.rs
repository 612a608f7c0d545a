//! The reputation formula: pure integer math, no storage, no floats. The reputation pallet keeps
//! one [`Record`] per provider; the registry keeps a copy beside each provider, so matching
//! scores candidates without reading the reputation pallet's storage.
//!
//! A provider's history is two numbers of weighted evidence, `good` and `bad`, in milli-units.
//! Each finished job adds evidence by its [`Outcome`], weighted by the job's size (in whatever
//! unit the caller chose; the reputation pallet divides the payment by its `SizeUnit`); older evidence
//! decays by half every `half_life` blocks. The score is the share of good evidence, smoothed by a
//! prior of [`PRIOR`] units on each side, so a newcomer starts at 50% and one job cannot move a
//! provider to either end.
//!
//! ```text
//! weight(size)    = 1 + ilog2(1 + size), at most MAX_WEIGHT             (units)
//! decay(v, Δ)     = v / 2^(Δ div h) · (1 − (Δ mod h) / 2h)               (h = half_life)
//! evidence added  : Success → good += w;  Late → bad += w/2;  Failure → bad += w;
//!                   NoShow → bad += 2w;   Fraud → bad += 8w
//! score           = (good + PRIOR) / (good + bad + 2·PRIOR)              (parts per million)
//! ```
//!
//! Between whole half-lives the decay is linear (from 1 down to ½), a close, monotone stand-in
//! for 2^(−x) that needs no floating point.

pub use crate::Outcome;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{traits::UniqueSaturatedInto, Permill};

/// Evidence is counted in thousandths of a unit.
pub const MILLI: u64 = 1_000;
/// Prior evidence on each side, in units: a newcomer scores 50%, and it takes a few jobs, not
/// one, to move a score far from there (one job of weight 4 moves a newcomer to 60%).
pub const PRIOR: u64 = 8;
/// Largest weight one job carries, in units.
pub const MAX_WEIGHT: u64 = 32;

/// A provider's decayed evidence and when it was last brought up to date.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Record<BlockNumber> {
	/// Good evidence, in milli-units.
	pub good: u64,
	/// Bad evidence, in milli-units.
	pub bad: u64,
	/// Block of the last update.
	pub updated: BlockNumber,
	/// Jobs recorded, for display.
	pub jobs: u32,
}

/// The weight of a job of `size` (any measure that grows with the work; the reputation pallet
/// uses the payment in its `SizeUnit`), in milli-units: logarithmic, so a big job counts more but
/// cannot wash out a history. Size 0 weighs 1 unit, 1 weighs 2, 10 weighs 4, 1,000 weighs 10,
/// 10^6 weighs 20.
pub fn weight(size: u128) -> u64 {
	let log = size.saturating_add(1).ilog2() as u64;
	(1 + log).min(MAX_WEIGHT) * MILLI
}

/// `value` decayed over `elapsed` blocks with the given half-life (a half-life of 0 keeps all).
pub fn decay(value: u64, elapsed: u64, half_life: u64) -> u64 {
	if half_life == 0 || value == 0 {
		return value;
	}
	let halvings = elapsed / half_life;
	if halvings >= 64 {
		return 0;
	}
	let halved = value >> halvings;
	let rest = elapsed % half_life;
	// halved · (1 − rest / 2h), in u128 so the product cannot overflow.
	let cut = (halved as u128 * rest as u128) / (2 * half_life as u128);
	halved.saturating_sub(cut as u64)
}

impl<BlockNumber: Copy + UniqueSaturatedInto<u64>> Record<BlockNumber> {
	/// This record decayed to block `now`.
	pub fn decayed(&self, now: BlockNumber, half_life: u64) -> Self {
		let now_u64: u64 = now.unique_saturated_into();
		let updated: u64 = self.updated.unique_saturated_into();
		let elapsed = now_u64.saturating_sub(updated);
		Self {
			good: decay(self.good, elapsed, half_life),
			bad: decay(self.bad, elapsed, half_life),
			updated: now,
			jobs: self.jobs,
		}
	}

	/// This record, decayed to `now`, with one more job of `size` that ended in `outcome`.
	pub fn with_outcome(
		&self,
		outcome: Outcome,
		size: u128,
		now: BlockNumber,
		half_life: u64,
	) -> Self {
		let mut next = self.decayed(now, half_life);
		let w = weight(size);
		match outcome {
			Outcome::Success => next.good = next.good.saturating_add(w),
			Outcome::Late => next.bad = next.bad.saturating_add(w / 2),
			Outcome::Failure => next.bad = next.bad.saturating_add(w),
			Outcome::NoShow => next.bad = next.bad.saturating_add(w.saturating_mul(2)),
			Outcome::Fraud => next.bad = next.bad.saturating_add(w.saturating_mul(8)),
		}
		next.jobs = next.jobs.saturating_add(1);
		next
	}

	/// The score at block `now`.
	pub fn score(&self, now: BlockNumber, half_life: u64) -> Permill {
		let current = self.decayed(now, half_life);
		score_of(current.good, current.bad)
	}
}

/// Score of `good` and `bad` evidence (milli-units), smoothed by the prior.
pub fn score_of(good: u64, bad: u64) -> Permill {
	let prior = (PRIOR * MILLI) as u128;
	let good = good as u128 + prior;
	let total = good + bad as u128 + prior;
	Permill::from_rational(good, total)
}

#[cfg(test)]
mod tests {
	use super::*;

	const HALF_LIFE: u64 = 1_000;

	fn fresh() -> Record<u32> {
		Record::default()
	}

	#[test]
	fn a_newcomer_scores_one_half() {
		assert_eq!(fresh().score(0, HALF_LIFE), Permill::from_percent(50));
	}

	#[test]
	fn one_job_moves_a_newcomer_only_part_of_the_way() {
		let after =
			|outcome, size| fresh().with_outcome(outcome, size, 0, HALF_LIFE).score(0, HALF_LIFE);
		// A small job (weight 4): (4 + 8) / (4 + 16).
		assert_eq!(after(Outcome::Success, 10), Permill::from_percent(60));
		// Even the heaviest single job leaves room at both ends: (32 + 8) / (32 + 16) and
		// 8 / (8·32 + 16).
		assert_eq!(after(Outcome::Success, u128::MAX), Permill::from_rational(40u32, 48));
		assert!(after(Outcome::Fraud, u128::MAX) > Permill::zero());
		// Ten small successes earn trust that one small fraud mostly takes back.
		let mut record = fresh();
		for _ in 0..10 {
			record = record.with_outcome(Outcome::Success, 10, 0, HALF_LIFE);
		}
		assert!(record.score(0, HALF_LIFE) > Permill::from_percent(85));
		let cheated = record.with_outcome(Outcome::Fraud, 10, 0, HALF_LIFE);
		assert!(cheated.score(0, HALF_LIFE) < Permill::from_percent(55));
	}

	#[test]
	fn weight_grows_logarithmically_and_is_capped() {
		assert_eq!(weight(0), MILLI);
		assert_eq!(weight(1), 2 * MILLI);
		assert_eq!(weight(10), 4 * MILLI);
		assert_eq!(weight(1_000), 10 * MILLI);
		assert_eq!(weight(1_023), 11 * MILLI);
		assert_eq!(weight(1_000_000), 20 * MILLI);
		assert_eq!(weight(u128::MAX), MAX_WEIGHT * MILLI);
	}

	#[test]
	fn decay_halves_every_half_life_and_is_linear_between() {
		assert_eq!(decay(8_000, 0, HALF_LIFE), 8_000);
		assert_eq!(decay(8_000, HALF_LIFE, HALF_LIFE), 4_000);
		assert_eq!(decay(8_000, 2 * HALF_LIFE, HALF_LIFE), 2_000);
		assert_eq!(decay(8_000, HALF_LIFE / 2, HALF_LIFE), 6_000);
		assert_eq!(decay(8_000, 64 * HALF_LIFE, HALF_LIFE), 0);
		assert_eq!(decay(8_000, 123, 0), 8_000);
		// Monotone: more time never means more evidence.
		let mut last = u64::MAX;
		for elapsed in (0..5 * HALF_LIFE).step_by(37) {
			let now = decay(1_000_000, elapsed, HALF_LIFE);
			assert!(now <= last);
			last = now;
		}
	}

	#[test]
	fn outcomes_rank_success_over_late_over_failure_over_no_show_over_fraud() {
		let scores: Vec<Permill> =
			[Outcome::Success, Outcome::Late, Outcome::Failure, Outcome::NoShow, Outcome::Fraud]
				.into_iter()
				.map(|o| fresh().with_outcome(o, 1_000, 0, HALF_LIFE).score(0, HALF_LIFE))
				.collect();
		assert!(scores.windows(2).all(|pair| pair[0] > pair[1]), "{scores:?}");
		assert!(scores[0] > Permill::from_percent(50));
		assert!(scores[1] < Permill::from_percent(50));
	}

	#[test]
	fn bigger_jobs_weigh_more() {
		let small = fresh().with_outcome(Outcome::Success, 10, 0, HALF_LIFE).score(0, HALF_LIFE);
		let big =
			fresh().with_outcome(Outcome::Success, 10_000_000, 0, HALF_LIFE).score(0, HALF_LIFE);
		assert!(big > small);
	}

	#[test]
	fn old_failures_matter_less_than_recent_successes() {
		// Ten failures long ago, then ten successes now.
		let mut record = fresh();
		for _ in 0..10 {
			record = record.with_outcome(Outcome::Failure, 1_000, 0, HALF_LIFE);
		}
		let bad_then = record.score(0, HALF_LIFE);
		for _ in 0..10 {
			record =
				record.with_outcome(Outcome::Success, 1_000, (3 * HALF_LIFE) as u32, HALF_LIFE);
		}
		let now = record.score((3 * HALF_LIFE) as u32, HALF_LIFE);
		assert!(bad_then < Permill::from_percent(20), "{bad_then:?}");
		assert!(now > Permill::from_percent(80), "{now:?}");
		assert_eq!(record.jobs, 20);
	}

	#[test]
	fn with_no_evidence_left_the_score_returns_to_the_prior() {
		let record = fresh().with_outcome(Outcome::Fraud, 1_000, 0, HALF_LIFE);
		assert_eq!(record.score((64 * HALF_LIFE) as u32, HALF_LIFE), Permill::from_percent(50));
	}
}
