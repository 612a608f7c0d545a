//! Storage migrations of the market, one module per storage version.

pub mod v2 {
	//! Version 2: [`Totals`] no longer counts submitted jobs, which `NextJobId` already counts
	//! (every submission takes the next id), so a submission writes one key fewer. Version 1
	//! totals are rewritten without that count.

	use crate::{pallet::*, types::Stats};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};

	/// The totals as version 1 stored them.
	#[derive(Encode, Decode)]
	pub struct StatsV1<Balance> {
		/// Jobs submitted, ever.
		pub submitted: u64,
		/// Jobs settled with a result, ever.
		pub settled: u64,
		/// Jobs refunded without a result, ever.
		pub refunded: u64,
		/// Paid to providers, fees excluded, ever.
		pub total_paid: Balance,
	}

	/// Rewrites the totals without the submitted count; use [`MigrateV1ToV2`], which runs this
	/// only on a version 1 market and then sets version 2.
	pub struct UncheckedMigrateV1ToV2<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			// A chain that never wrote totals has nothing to translate; `translate` leaves it so.
			let translated = Totals::<T>::translate::<StatsV1<BalanceOf<T>>, _>(|old| {
				old.map(|old| Stats {
					settled: old.settled,
					refunded: old.refunded,
					total_paid: old.total_paid,
				})
			});
			if translated.is_err() {
				// Undecodable totals are only statistics: start them again rather than misread.
				Totals::<T>::kill();
				frame_support::defensive!("market totals were not version 1 totals; reset");
			}
			T::DbWeight::get().reads_writes(1, 1)
		}
	}

	/// The market from storage version 1 to 2.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		UncheckedMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

pub mod v3 {
	//! Version 3: a job records the subscription it runs on, if any
	//! ([`Job::subscription`](crate::types::Job::subscription)). Version 2 jobs ran on no
	//! subscription; each is rewritten with `None`.

	use crate::{pallet::*, types::*};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use offload_primitives::JobId;

	/// A job as version 2 stored it.
	#[derive(Encode, Decode)]
	pub struct JobV2<T: Config> {
		/// Who pays.
		pub requester: T::AccountId,
		/// What was asked.
		pub spec: JobSpec<T>,
		/// Where it is.
		pub phase: Phase<BlockNumberFor<T>, BalanceOf<T>>,
		/// Block of submission.
		pub submitted_at: BlockNumberFor<T>,
		/// The replicas.
		pub assignments: BoundedVec<Assignment<T>, T::MaxReplicas>,
		/// Replicas dropped.
		pub dropped: u8,
		/// Providers not matched again.
		pub excluded: BoundedVec<T::AccountId, ConstU32<8>>,
		/// Its dispute.
		pub dispute: Option<Dispute>,
		/// The job it re-executes.
		pub checks: Option<JobId>,
	}

	/// Rewrites every job with no subscription; use [`MigrateV2ToV3`], which runs this only on
	/// a version 2 market and then sets version 3.
	pub struct UncheckedMigrateV2ToV3<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV2ToV3<T> {
		fn on_runtime_upgrade() -> Weight {
			// Open and uncleared jobs are bounded by the deposits their requesters hold; a job
			// that does not decode as version 2 is kept as it was rather than dropped with its
			// funds (`translate` would remove it).
			let mut jobs = 0u64;
			let keys: alloc::vec::Vec<JobId> = Jobs::<T>::iter_keys().collect();
			for id in keys {
				jobs = jobs.saturating_add(1);
				let key = Jobs::<T>::hashed_key_for(id);
				let Some(old) = frame_support::storage::unhashed::get::<JobV2<T>>(&key) else {
					frame_support::defensive!("a market job is not a version 2 job; kept");
					continue;
				};
				Jobs::<T>::insert(
					id,
					Job {
						requester: old.requester,
						spec: old.spec,
						phase: old.phase,
						submitted_at: old.submitted_at,
						assignments: old.assignments,
						dropped: old.dropped,
						excluded: old.excluded,
						dispute: old.dispute,
						checks: old.checks,
						subscription: None,
					},
				);
			}
			T::DbWeight::get().reads_writes(jobs.saturating_add(1), jobs)
		}
	}

	/// The market from storage version 2 to 3.
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		UncheckedMigrateV2ToV3<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
