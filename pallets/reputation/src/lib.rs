//! # Reputation pallet
//!
//! Keeps a public score per provider, computed from how its jobs ended. The market reports each
//! outcome through [`ReputationOf::record`]. Every change of a record is passed to
//! [`Config::OnChange`]: the registry keeps a copy beside each provider, so matching scores
//! candidates without reading this pallet's storage ([`ReputationRecords`]). The formula is in
//! [`score`] (and the pallet's README): size-weighted evidence that halves every
//! [`Config::HalfLife`] blocks, smoothed so a newcomer starts at 50%.
//!
//! Calls: [`Pallet::prune`], by anyone, removes a record whose evidence has decayed away.

#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use offload_primitives::reputation as score;
pub use offload_primitives::{OnReputationChange, Outcome, ReputationOf, ReputationRecords};
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use sp_runtime::{traits::UniqueSaturatedInto, Permill};

	/// A provider's record.
	pub type RecordOf<T> = score::Record<BlockNumberFor<T>>;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Blocks after which old evidence counts half. Too short and one bad day sinks a good
		/// provider; too long and a provider that turned bad keeps its old score.
		#[pallet::constant]
		type HalfLife: Get<BlockNumberFor<Self>>;

		/// The payment that counts as one unit of job size (the runtime uses a milli-OFL). A job's
		/// weight grows with the logarithm of its size in these units, so the unit sets where that
		/// growth starts: jobs below one unit all weigh the same, least.
		#[pallet::constant]
		type SizeUnit: Get<u128>;

		/// Told of every changed record (the registry, which keeps copies for matching).
		type OnChange: OnReputationChange<Self::AccountId, BlockNumberFor<Self>>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Evidence per provider. Absent means no history (the neutral score).
	#[pallet::storage]
	pub type Records<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, RecordOf<T>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A job's outcome changed a provider's score.
		ReputationUpdated {
			/// The provider.
			provider: T::AccountId,
			/// How the job ended for it.
			outcome: Outcome,
			/// Its score afterwards.
			score: Permill,
		},
		/// A record with no evidence left was removed.
		RecordPruned {
			/// The provider whose record was removed.
			provider: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The provider has no record.
		NoRecord,
		/// The record still holds evidence; it cannot be pruned yet.
		StillRelevant,
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Removes `provider`'s record once its evidence has decayed to nothing, freeing its
		/// storage. The provider's score is then the neutral 50%, as it already was.
		///
		/// Origin: any signed account.
		///
		/// ## Complexity
		/// O(1): one read, one removal.
		#[pallet::call_index(0)]
		pub fn prune(origin: OriginFor<T>, provider: T::AccountId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_prune(provider)
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(Self::half_life() > 0, "HalfLife must be positive, or evidence never decays");
			assert!(T::SizeUnit::get() > 0, "SizeUnit must be positive");
		}
	}

	impl<T: Config> Pallet<T> {
		fn half_life() -> u64 {
			T::HalfLife::get().unique_saturated_into()
		}

		/// The score of `who` now.
		pub fn score_of(who: &T::AccountId) -> Permill {
			let now = frame_system::Pallet::<T>::block_number();
			Records::<T>::get(who)
				.map(|record| record.score(now, Self::half_life()))
				.unwrap_or(Permill::from_percent(50))
		}

		/// Records `outcome` of a job that paid (or would have paid) `payment` for `who`.
		pub fn do_record(who: &T::AccountId, outcome: Outcome, payment: u128) {
			let now = frame_system::Pallet::<T>::block_number();
			let size = payment / T::SizeUnit::get().max(1);
			let record = Records::<T>::get(who)
				.unwrap_or(score::Record { updated: now, ..Default::default() })
				.with_outcome(outcome, size, now, Self::half_life());
			let score = record.score(now, Self::half_life());
			Records::<T>::insert(who, record);
			T::OnChange::changed(who, &record);
			Self::deposit_event(Event::ReputationUpdated { provider: who.clone(), outcome, score });
		}

		pub(crate) fn do_prune(provider: T::AccountId) -> DispatchResult {
			let record = Records::<T>::get(&provider).ok_or(Error::<T>::NoRecord)?;
			let now = frame_system::Pallet::<T>::block_number();
			let current = record.decayed(now, Self::half_life());
			ensure!(current.good == 0 && current.bad == 0, Error::<T>::StillRelevant);
			Records::<T>::remove(&provider);
			T::OnChange::changed(&provider, &RecordOf::<T>::default());
			Self::deposit_event(Event::RecordPruned { provider });
			Ok(())
		}
	}

	impl<T: Config> ReputationOf<T::AccountId> for Pallet<T> {
		fn score(who: &T::AccountId) -> Permill {
			Self::score_of(who)
		}

		fn record(who: &T::AccountId, outcome: Outcome, payment: u128) {
			Self::do_record(who, outcome, payment)
		}
	}

	impl<T: Config> ReputationRecords<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
		fn record_of(who: &T::AccountId) -> RecordOf<T> {
			Records::<T>::get(who).unwrap_or_default()
		}

		fn score_at(record: &RecordOf<T>, now: BlockNumberFor<T>) -> Permill {
			record.score(now, Self::half_life())
		}
	}
}
