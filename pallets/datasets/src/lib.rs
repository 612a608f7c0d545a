//! # Datasets pallet
//!
//! Data owners sell the use of their data to computations without handing the data over.
//!
//! - **Registration.** [`Pallet::register`] records a dataset: the blake2-256 hash and size of
//!   the bytes as they are served, where they are served (a URL), a royalty per job, the
//!   programs allowed to run over it (WASM programs' code hashes or container images'
//!   digests; none listed: any), and whether it is *sealed*. A deposit of
//!   [`Config::DepositBase`] plus [`Config::DepositPerByte`] for each byte of the location and
//!   the program list is held while the record exists.
//! - **Use.** A job names datasets in its input (the market's `Input::Datasets`, with the most
//!   it agrees to pay in royalties). At submission the market asks this pallet
//!   ([`DatasetRoyalties::start`]): an unknown or retired dataset, one named twice, or one
//!   that does not allow the job's program refuses the job, and so does a royalty above the
//!   requester's bound. The royalties are held with the job's funds in the escrow, at the
//!   rates of the moment of submission.
//! - **Settlement.** A job that ends with a result pays each owner its royalty out of the
//!   job's escrow ([`DatasetRoyalties::end`]), with no protocol fee; a job that ends without
//!   one (cancelled, expired, no quorum) pays none, and the royalties go back to the
//!   requester with the rest. A dispute's re-execution uses the data without a second
//!   royalty.
//! - **Sealed datasets.** The served bytes are encrypted under a content key the owner keeps.
//!   The owner's service (`offload data serve`) watches assignments of jobs over its datasets
//!   and posts the content key wrapped to the assigned providers' keys
//!   ([`Pallet::grant_key`]); only those can open it. Grants are kept while the job is open
//!   and removed when it ends; each is bounded by the job's own existence (and its deposit),
//!   so they carry no deposit of their own.
//! - **Changes.** The owner may [`Pallet::update`] the location, royalty and programs (for
//!   jobs submitted afterwards), [`Pallet::retire`] a dataset (no new jobs) and
//!   [`Pallet::remove`] one no open job uses, which releases the deposit.
//!
//! Invariants (checked by `try_state`): each dataset's use count is the number of open jobs
//! that name it; its deposit is what its size of record costs and is held; every grant and
//! every use record hangs on an open use of a dataset it names.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod impls;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;

pub use offload_primitives::{DatasetId, DatasetRoyalties, JobEscrow, JobId, MAX_JOB_DATASETS};
pub use weights::WeightInfo;

/// A 32-byte hash: of served bytes, of a program's code, of a container image.
pub type Hash32 = [u8; 32];

/// The most bytes of a key grant: a header of 69 bytes and 80 per provider, room for 16.
pub type MaxKeyGrantLen = frame_support::traits::ConstU32<{ 5 + 32 + 32 + 1 + 16 * 80 }>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::fungible};
	use frame_system::pallet_prelude::*;

	/// Balance of the currency deposits and royalties are paid in.
	pub type BalanceOf<T> = <<T as Config>::Currency as fungible::Inspect<
		<T as frame_system::Config>::AccountId,
	>>::Balance;

	/// A registered dataset.
	#[derive(
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
	)]
	#[scale_info(skip_type_params(T))]
	pub struct Dataset<T: Config> {
		/// Who registered it, is paid its royalties and holds its deposit.
		pub owner: T::AccountId,
		/// blake2-256 of the bytes as served (for a sealed dataset, of the ciphertext).
		pub hash: Hash32,
		/// Size of the served bytes.
		pub size: u64,
		/// Where the bytes are served: a URL.
		pub location: BoundedVec<u8, T::MaxLocationLen>,
		/// Paid to the owner by each job over it that ends with a result.
		pub royalty: BalanceOf<T>,
		/// The programs (WASM code hashes, container image digests) allowed to use it; empty:
		/// any.
		pub programs: BoundedVec<Hash32, T::MaxPrograms>,
		/// The bytes are encrypted; the owner grants the key to assigned providers.
		pub sealed: bool,
		/// No new job may use it.
		pub retired: bool,
		/// Open jobs that use it.
		pub users: u32,
		/// The deposit held.
		pub deposit: BalanceOf<T>,
	}

	/// What one job owes one dataset's owner.
	#[derive(
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
	)]
	#[scale_info(skip_type_params(T))]
	pub struct Use<T: Config> {
		/// The dataset.
		pub dataset: DatasetId,
		/// Its owner, when the job started.
		pub owner: T::AccountId,
		/// The royalty held for it (zero for a dispute's re-execution).
		pub royalty: BalanceOf<T>,
	}

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// The hold reasons of this pallet.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit for a dataset's record.
		Deposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency deposits are held in.
		type Currency: fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::Mutate<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// Holds jobs' funds; pays royalties out of them.
		type Escrow: JobEscrow<Self::AccountId, BalanceOf<Self>>;

		/// The deposit for a dataset's record, whatever its size.
		#[pallet::constant]
		type DepositBase: Get<BalanceOf<Self>>;

		/// The deposit for each byte of a record's location and program list.
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// The longest location.
		#[pallet::constant]
		type MaxLocationLen: Get<u32>;

		/// The most programs a dataset may list.
		#[pallet::constant]
		type MaxPrograms: Get<u32>;

		/// Weights of the calls and of a job's use, from the benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// The next dataset's id.
	#[pallet::storage]
	pub type NextDatasetId<T> = StorageValue<_, DatasetId, ValueQuery>;

	/// The datasets.
	#[pallet::storage]
	pub type Records<T: Config> = StorageMap<_, Twox64Concat, DatasetId, Dataset<T>>;

	/// Each owner's datasets, for listing.
	#[pallet::storage]
	pub type OwnedBy<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, DatasetId, ()>;

	/// The datasets each open job uses and the royalties it holds for them.
	#[pallet::storage]
	pub type Uses<T: Config> =
		StorageMap<_, Twox64Concat, JobId, BoundedVec<Use<T>, ConstU32<MAX_JOB_DATASETS>>>;

	/// Sealed datasets' content keys, wrapped by their owners to a job's assigned providers.
	#[pallet::storage]
	pub type KeyGrants<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		JobId,
		Twox64Concat,
		DatasetId,
		BoundedVec<u8, MaxKeyGrantLen>,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A dataset was registered.
		Registered {
			/// Its id.
			dataset: DatasetId,
			/// Its owner.
			owner: T::AccountId,
			/// The hash of its served bytes.
			hash: Hash32,
			/// Its royalty per job.
			royalty: BalanceOf<T>,
			/// Whether it is sealed.
			sealed: bool,
		},
		/// A dataset's location, royalty or programs changed, for jobs submitted from now on.
		Updated {
			/// The dataset.
			dataset: DatasetId,
			/// Its royalty now.
			royalty: BalanceOf<T>,
		},
		/// A dataset takes no new jobs.
		Retired {
			/// The dataset.
			dataset: DatasetId,
		},
		/// A dataset's record was removed and its deposit released.
		Removed {
			/// The dataset.
			dataset: DatasetId,
			/// The deposit released.
			deposit: BalanceOf<T>,
		},
		/// A job started using a dataset; its royalty is held with the job's funds.
		Used {
			/// The job.
			job: JobId,
			/// The dataset.
			dataset: DatasetId,
			/// The royalty held (zero for a dispute's re-execution).
			royalty: BalanceOf<T>,
		},
		/// A job ended with a result: its royalty was paid to the dataset's owner.
		RoyaltyPaid {
			/// The job.
			job: JobId,
			/// The dataset.
			dataset: DatasetId,
			/// The owner.
			owner: T::AccountId,
			/// The royalty.
			amount: BalanceOf<T>,
		},
		/// A sealed dataset's key was granted to a job's providers.
		KeyGranted {
			/// The job.
			job: JobId,
			/// The dataset.
			dataset: DatasetId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No such dataset.
		UnknownDataset,
		/// Only the dataset's owner may do this.
		NotOwner,
		/// The dataset is retired: no new job may use it.
		Retired,
		/// The dataset does not allow the job's program.
		ProgramNotAllowed,
		/// A job names the same dataset twice.
		Duplicate,
		/// A job names more datasets than it may.
		TooManyDatasets,
		/// The royalties exceed the most the requester agreed to pay.
		RoyaltyTooHigh,
		/// The dataset is used by open jobs.
		InUse,
		/// The job is not open or does not use the dataset.
		NotUsed,
		/// The dataset is not sealed: there is no key to grant.
		NotSealed,
		/// A size or location of zero length.
		Empty,
		/// An amount overflowed.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers a dataset: the blake2-256 `hash` and `size` of the bytes served at
		/// `location`, the `royalty` each job over it pays when it ends with a result, the
		/// `programs` allowed to run over it (empty: any), and whether it is `sealed` (its
		/// bytes encrypted; the owner grants the key to each job's assigned providers with
		/// `grant_key`). Holds `DepositBase + DepositPerByte × (location bytes + 32 × programs)`.
		///
		/// Origin: signed, the owner.
		///
		/// ## Complexity
		/// O(1); the location and program list are bounded.
		#[pallet::call_index(0)]
		pub fn register(
			origin: OriginFor<T>,
			hash: Hash32,
			size: u64,
			location: BoundedVec<u8, T::MaxLocationLen>,
			royalty: BalanceOf<T>,
			programs: BoundedVec<Hash32, T::MaxPrograms>,
			sealed: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(who, hash, size, location, royalty, programs, sealed)
		}

		/// Changes a dataset's `location`, `royalty` and `programs`; jobs already submitted
		/// keep the royalty and checks of their submission. The deposit follows the record's
		/// new size.
		///
		/// Origin: the dataset's owner.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(1)]
		pub fn update(
			origin: OriginFor<T>,
			dataset: DatasetId,
			location: BoundedVec<u8, T::MaxLocationLen>,
			royalty: BalanceOf<T>,
			programs: BoundedVec<Hash32, T::MaxPrograms>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update(who, dataset, location, royalty, programs)
		}

		/// Retires a dataset: no new job may use it; open jobs finish and pay. It can be
		/// removed once none is open.
		///
		/// Origin: the dataset's owner.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(2)]
		pub fn retire(origin: OriginFor<T>, dataset: DatasetId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_retire(who, dataset)
		}

		/// Removes a dataset no open job uses; its deposit is released.
		///
		/// Origin: the dataset's owner.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(3)]
		pub fn remove(origin: OriginFor<T>, dataset: DatasetId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove(who, dataset)
		}

		/// Grants a sealed dataset's content key to the providers of open job `job`, which
		/// uses it: `grant` is the key wrapped to their offers' keys (`offload data serve`
		/// makes it). Only they can open it. A later grant replaces an earlier one (a replica
		/// went to another provider). Removed when the job ends.
		///
		/// Origin: the dataset's owner.
		///
		/// ## Complexity
		/// O(1); `grant` is at most `MaxKeyGrantLen` bytes.
		#[pallet::call_index(4)]
		pub fn grant_key(
			origin: OriginFor<T>,
			job: JobId,
			dataset: DatasetId,
			grant: BoundedVec<u8, MaxKeyGrantLen>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_grant_key(who, job, dataset, grant)
		}
	}
}
