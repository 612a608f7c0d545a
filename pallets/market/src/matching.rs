//! Matching: which providers get a job's replicas.
//!
//! The registry hands out candidates from its price index, cheapest band first, reading at most
//! [`Config::MaxScan`] entries on at most the registry's `MaxScanPages` index pages however many
//! providers exist. A candidate is eligible when it
//! runs the job's kind, has the resources free, quotes no more than the job's cap per replica at
//! the job's limits, is verified if the job asks, publishes a key if the job's input is sealed,
//! has at least the job's minimum reputation, has not missed a deadline of this job, is not
//! the job's requester, and has the headroom for the job's value: its open jobs, this one
//! included, may be worth at most its bond times the registry's exposure factor.
//! Eligible providers are ranked by [`order`]: lowest quote, then highest reputation, then most
//! free CPU. Each index entry is a card with what this needs (prices, free resources, flags, a
//! copy of the reputation record, the last heartbeat), so matching reads index pages and no
//! provider or reputation record.

use crate::{pallet::*, pricing, types::*, ProviderRegistry};
use alloc::vec::Vec;
use codec::Encode;
use core::cmp::Ordering;
use frame_support::{
	pallet_prelude::*,
	traits::{Get, Randomness},
};
use offload_primitives::{Candidate, JobId};
use sp_runtime::traits::Saturating;

/// A candidate with what ranks it (its reputation score comes with the candidate).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Ranked<AccountId, Balance> {
	/// The provider.
	pub candidate: Candidate<AccountId, Balance>,
	/// What a replica would cost at the job's limits.
	pub quote: u128,
}

/// Best first: lower quote, then higher reputation, then more free CPU.
pub fn order<A, B>(a: &Ranked<A, B>, b: &Ranked<A, B>) -> Ordering {
	a.quote
		.cmp(&b.quote)
		.then(b.candidate.score.cmp(&a.candidate.score))
		.then(b.candidate.free.cpu_millicores.cmp(&a.candidate.free.cpu_millicores))
}

impl<T: Config> Pallet<T> {
	/// Whether `candidate` may take a replica of a job of `spec`, if not in `exclude`: decided
	/// during the registry's scan, so that providers that cannot take the job do not use up
	/// its budget (see [`ProviderRegistry::candidates`]).
	fn eligible(
		spec: &JobSpec<T>,
		exclude: &[T::AccountId],
		candidate: &Candidate<T::AccountId, BalanceOf<T>>,
	) -> bool {
		let cap = spec.pricing.cap();
		let cap_wide: u128 = sp_runtime::traits::UniqueSaturatedInto::unique_saturated_into(cap);
		!exclude.contains(&candidate.who) &&
			spec.resources.fits_in(&candidate.free) &&
			(candidate.sealed_inputs || !spec.encrypted_input) &&
			pricing::cost(&candidate.prices, &spec.workload.max_usage()) <= cap_wide &&
			// Its bond must back this job on top of its open ones.
			cap <= candidate.headroom &&
			candidate.score >= spec.min_reputation &&
			// Identity judgements are read only for jobs that ask for verification.
			(!spec.verified_only || candidate.verified || T::Registry::is_verified(&candidate.who))
	}

	/// The runtime kind of `spec` and the highest unit price a provider may ask for it.
	fn price_bound(spec: &JobSpec<T>) -> (offload_primitives::RuntimeKind, BalanceOf<T>) {
		let kind = spec.workload.kind();
		(kind, pricing::max_unit_price(kind, &spec.workload.max_usage(), spec.pricing.cap()))
	}

	/// A found candidate with its quote (for a job that asks, every candidate accepted was
	/// found verified).
	fn ranked(
		spec: &JobSpec<T>,
		mut candidate: Candidate<T::AccountId, BalanceOf<T>>,
	) -> Ranked<T::AccountId, BalanceOf<T>> {
		candidate.verified |= spec.verified_only;
		Ranked { quote: pricing::cost(&candidate.prices, &spec.workload.max_usage()), candidate }
	}

	/// Eligible providers for `spec`, not in `exclude`, best first.
	pub fn ranked_candidates(
		spec: &JobSpec<T>,
		exclude: &[T::AccountId],
	) -> Vec<Ranked<T::AccountId, BalanceOf<T>>> {
		let (kind, max_unit) = Self::price_bound(spec);
		let mut ranked: Vec<_> =
			T::Registry::candidates(kind, max_unit, T::MaxScan::get(), |candidate| {
				Self::eligible(spec, exclude, candidate)
			})
			.into_iter()
			.map(|candidate| Self::ranked(spec, candidate))
			.collect();
		ranked.sort_by(order);
		ranked
	}

	/// Up to `count` eligible providers for `spec`, not in `exclude`, drawn from `seed` among
	/// all indexed providers within its price bound, each as likely as any other: how a
	/// dispute's re-executors are chosen. The cheapest are whom a Sybil would register to
	/// judge its own cases, so they are not preferred; a Sybil's chance is its share of the
	/// eligible providers, each with a bond.
	pub fn drawn_candidates(
		spec: &JobSpec<T>,
		exclude: &[T::AccountId],
		seed: &[u8],
		count: u32,
	) -> Vec<Ranked<T::AccountId, BalanceOf<T>>> {
		let (kind, max_unit) = Self::price_bound(spec);
		T::Registry::sample(kind, max_unit, seed, count, T::MaxScan::get(), |candidate| {
			Self::eligible(spec, exclude, candidate)
		})
		.into_iter()
		.map(|candidate| Self::ranked(spec, candidate))
		.collect()
	}

	/// Assigns the best eligible providers to `job`'s missing replicas. Returns how many were
	/// assigned.
	pub(crate) fn fill(id: JobId, job: &mut JobOf<T>) -> Result<u32, DispatchError> {
		let missing = (job.target() as usize).saturating_sub(job.assignments.len());
		if missing == 0 {
			return Ok(0);
		}
		// A requester never serves its own job: it could vouch for any result, and farm
		// reputation with jobs it pays itself.
		let mut exclude: Vec<T::AccountId> = job.excluded.to_vec();
		exclude.push(job.requester.clone());
		exclude.extend(job.assignments.iter().map(|assignment| assignment.provider.clone()));
		let now = frame_system::Pallet::<T>::block_number();
		let ack_by = now.saturating_add(Self::ack_time(job));
		let mut assigned = 0u32;
		// A dispute's re-executors are drawn at random among all eligible providers, not
		// ranked. Drawn ones cannot open a sealed input by themselves: the requester grants
		// it to them (`grant_input`).
		let ranked = if job.checks.is_some() {
			let (seed, _) = T::Randomness::random(&(crate::impls::DRAW_SUBJECT, id).encode());
			Self::drawn_candidates(&job.spec, &exclude, seed.as_ref(), missing as u32)
		} else {
			Self::ranked_candidates(&job.spec, &exclude)
		};
		for ranked in ranked.into_iter().take(missing) {
			let provider = ranked.candidate.who;
			T::Registry::reserve(&provider, &job.spec.resources, job.spec.pricing.cap())?;
			let assignment = Assignment {
				provider: provider.clone(),
				prices: ranked.candidate.prices,
				state: ReplicaState::Assigned { ack_by },
			};
			job.assignments.try_push(assignment).map_err(|_| Error::<T>::Overflow)?;
			Assignments::<T>::insert(&provider, id, ());
			Self::deposit_event(Event::JobAssigned { job: id, provider, ack_by });
			assigned = assigned.saturating_add(1);
		}
		Ok(assigned)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use offload_primitives::{Prices, Resources};
	use sp_runtime::Permill;

	fn ranked(who: u64, quote: u128, score: u32, cpu: u32) -> Ranked<u64, u64> {
		Ranked {
			candidate: Candidate {
				who,
				prices: Prices::default(),
				free: Resources { cpu_millicores: cpu, ..Default::default() },
				verified: false,
				sealed_inputs: true,
				score: Permill::from_percent(score),
				headroom: 0,
			},
			quote,
		}
	}

	#[test]
	fn cheaper_wins_then_reputation_then_free_cpu() {
		let mut list = [
			ranked(1, 20, 90, 1_000),
			ranked(2, 10, 50, 1_000),
			ranked(3, 10, 80, 1_000),
			ranked(4, 10, 80, 4_000),
		];
		list.sort_by(order);
		assert_eq!(list.iter().map(|r| r.candidate.who).collect::<Vec<_>>(), vec![4, 3, 2, 1]);
	}
}
