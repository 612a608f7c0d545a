//! `ComputeApi`: the market's queries, as a runtime API, so any client reaches them through
//! `state_call` (polkadot.js decorates them as `api.call.computeApi.*` from metadata alone), and
//! the node's `offload_*` JSON-RPC methods wrap them.

use crate::{pallet::*, types::*, DatasetRoyalties, JobEscrow, JobId, ProviderRegistry};
use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use frame_support::traits::Get;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{CheckedAdd, Saturating, UniqueSaturatedFrom, Zero},
	DispatchError, Permill,
};

/// A provider a job would be matched to.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct QuotedProvider<AccountId, Balance> {
	/// The provider.
	pub who: AccountId,
	/// What one replica would cost there at the job's limits.
	pub quote: Balance,
	/// Its reputation.
	pub reputation: Permill,
	/// Whether it is verified.
	pub verified: bool,
}

/// What a job would cost and where it would run, if submitted now.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct Quote<AccountId, Balance> {
	/// The providers matching would pick, best first (at most the replicas asked for).
	pub providers: Vec<QuotedProvider<AccountId, Balance>>,
	/// Whether that many fit now; if not, the job would wait in the queue.
	pub matched_now: bool,
	/// What the replicas would cost at the job's limits: the sum of the picked quotes, each
	/// at most the cap (a fixed-price replica is paid exactly its quote).
	pub estimate: Balance,
	/// The most the job can pay providers: the cap per replica times the replicas.
	pub max_payment: Balance,
	/// What the datasets the input names charge in royalties, paid to their owners if the
	/// job ends with a result (no protocol fee on them).
	pub royalties: Balance,
	/// What submitting holds: per replica the cap and the protocol fee on it, the job
	/// deposit, and the royalties.
	pub hold: Balance,
}

/// Market totals.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct MarketStats<Balance> {
	/// Registered providers.
	pub providers: u32,
	/// Jobs submitted and not yet settled or refunded.
	pub open_jobs: u64,
	/// Jobs waiting for providers.
	pub queued_jobs: u32,
	/// Jobs settled with a result, ever.
	pub settled_jobs: u64,
	/// Jobs refunded without a result, ever.
	pub refunded_jobs: u64,
	/// Paid to providers, fees excluded, ever.
	pub total_paid: Balance,
}

sp_api::decl_runtime_apis! {
	/// Queries of Offload's compute market.
	pub trait ComputeApi<AccountId, Balance, Spec, Job, Filter, Summary>
	where
		AccountId: Codec,
		Balance: Codec,
		Spec: Codec,
		Job: Codec,
		Filter: Codec,
		Summary: Codec,
	{
		/// The price and the providers a job with `spec` would get if submitted now, or why it
		/// would be refused.
		fn quote(spec: Spec) -> Result<Quote<AccountId, Balance>, DispatchError>;

		/// Providers matching `filter`, starting after `after`, reading at most `limit`
		/// (capped at 100) records; and the account to continue after, if there may be more.
		fn providers(filter: Filter, after: Option<AccountId>, limit: u32) -> (Vec<Summary>, Option<AccountId>);

		/// A job: its spec, phase and deadlines, replicas, and once settled its result and
		/// payment. `None` for an unknown job or one whose record was cleared.
		fn job(id: JobId) -> Option<Job>;

		/// The open jobs a provider has a replica of.
		fn assignments(provider: AccountId) -> Vec<JobId>;

		/// Whether `expire` on job `id` acts now: its reveals are closed, its wait in the
		/// queue is over, or a replica missed its acknowledgement or its run. Keepers (and
		/// `offload watch`) ask before they pay for the call. `false` for an unknown job.
		fn expirable(id: JobId) -> bool;

		/// Market totals.
		fn stats() -> MarketStats<Balance>;
	}
}

impl<T: Config> Pallet<T> {
	/// See [`ComputeApi::quote`].
	pub fn quote(spec: &JobSpec<T>) -> Result<Quote<T::AccountId, BalanceOf<T>>, DispatchError> {
		let max_payment = Self::check_spec(spec)?;
		if let Some(hash) = spec.workload.program() {
			let program = Programs::<T>::get(hash).ok_or(Error::<T>::UnknownProgram)?;
			frame_support::ensure!(!program.freed, Error::<T>::ProgramFreed);
		}
		let royalties = match spec.workload.input() {
			Input::Datasets { ids, max_royalties, .. } => {
				let royalties = T::Datasets::quote(ids, &spec.workload.code())?;
				frame_support::ensure!(
					royalties <= *max_royalties,
					Error::<T>::RoyaltiesAboveBound
				);
				royalties
			},
			Input::Inline(_) | Input::Url { .. } => Zero::zero(),
		};
		let hold = T::Escrow::with_fee(spec.pricing.cap(), spec.replicas.into())?
			.checked_add(&T::JobDeposit::get())
			.and_then(|hold| hold.checked_add(&royalties))
			.ok_or(Error::<T>::Overflow)?;
		let cap = spec.pricing.cap();
		let providers: Vec<_> = Self::ranked_candidates(spec, &[])
			.into_iter()
			.take(spec.replicas as usize)
			.map(|ranked| QuotedProvider {
				quote: BalanceOf::<T>::unique_saturated_from(ranked.quote).min(cap),
				reputation: ranked.candidate.score,
				verified: ranked.candidate.verified
					|| T::Registry::is_verified(&ranked.candidate.who),
				who: ranked.candidate.who,
			})
			.collect();
		// A fixed-price replica is paid its quote at the job's limits, as a pay-per-use one is
		// at most: either way the picked quotes are the estimate.
		let estimate =
			providers.iter().fold(Zero::zero(), |sum: BalanceOf<T>, p| sum.saturating_add(p.quote));
		Ok(Quote {
			matched_now: providers.len() == spec.replicas as usize,
			providers,
			estimate,
			max_payment,
			royalties,
			hold,
		})
	}

	/// See [`ComputeApi::assignments`].
	pub fn assignments_of(provider: &T::AccountId) -> Vec<JobId> {
		Assignments::<T>::iter_key_prefix(provider).collect()
	}

	/// See [`ComputeApi::stats`]; `providers` comes from the registry.
	pub fn stats(providers: u32) -> MarketStats<BalanceOf<T>> {
		let totals = Totals::<T>::get();
		MarketStats {
			providers,
			open_jobs: NextJobId::<T>::get()
				.saturating_sub(totals.settled)
				.saturating_sub(totals.refunded),
			queued_jobs: Queue::<T>::decode_len().unwrap_or(0) as u32,
			settled_jobs: totals.settled,
			refunded_jobs: totals.refunded,
			total_paid: totals.total_paid,
		}
	}
}
