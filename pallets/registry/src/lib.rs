//! # Registry pallet
//!
//! Providers and what they sell. A provider registers with a bond (held through
//! [`Config::Escrow`], never transferred) and an [`Offer`]: resources, supported runtimes,
//! prices, how many jobs it runs at once, a region, an x25519 key for encrypted inputs and the
//! endpoint where it serves results. It then heartbeats; a provider whose last heartbeat is older
//! than [`Config::HeartbeatTimeout`] is not matched. It can pause and resume, update its offer,
//! and leave: deregister, then withdraw its bond after [`Config::UnbondingPeriod`] with no open
//! jobs.
//!
//! Free capacity is tracked per provider (offered resources minus those of running jobs) and
//! never goes negative. Providers that can take a job are kept in an index per runtime kind and
//! price band, so matching looks at a bounded number of entries however many providers exist.
//! Each index entry is a [`Card`]: what matching needs of the provider, kept equal to its record
//! on every change, so matching reads index pages and no provider record. Entries whose
//! heartbeat expired are skipped by matching and taken out of the index with the blocks' spare
//! weight (`on_idle`).
//!
//! Verification: a provider is verified if [`Config::Verifier`] says so (the runtime reads
//! identity judgements) or [`Config::AdminOrigin`] set its flag.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod impls;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use impls::{ProviderFilter, ProviderSummary};
pub use offload_primitives::{
	reputation::Record as ReputationRecord, Candidate, JobEscrow, OnReputationChange, Prices,
	ProviderRegistry, ReputationRecords, Resources, RewardWork, RuntimeKind, VerifiedProvider,
};
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	/// Balance type of the escrow.
	pub type BalanceOf<T> = <T as Config>::Balance;

	/// What a provider sells.
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
	pub struct Offer<T: Config> {
		/// Resources for jobs, in all.
		pub resources: Resources,
		/// Runs WASM jobs.
		pub wasm: bool,
		/// Runs container jobs.
		pub container: bool,
		/// Prices.
		pub prices: Prices<T::Balance>,
		/// Most jobs at once.
		pub max_concurrent: u16,
		/// Region, as an ISO 3166-1 alpha-2 code (`*b"DE"`).
		pub region: [u8; 2],
		/// x25519 public key inputs may be encrypted to.
		pub encryption_key: [u8; 32],
		/// URL where the provider serves results.
		pub endpoint: BoundedVec<u8, T::MaxEndpointLen>,
	}

	/// The offer type of this runtime.
	pub type OfferOf<T> = Offer<T>;

	/// Whether a provider takes jobs.
	#[derive(
		Clone,
		Copy,
		PartialEq,
		Eq,
		Debug,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
	)]
	pub enum Status<BlockNumber> {
		/// Takes jobs.
		Active,
		/// Takes no new jobs; can resume.
		Paused,
		/// Deregistered at `since`; takes no new jobs; its bond unlocks after the unbonding
		/// period once its jobs are done.
		Leaving {
			/// Block of deregistration.
			since: BlockNumber,
		},
	}

	/// A registered provider.
	#[derive(
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		Encode,
		Decode,
		MaxEncodedLen,
		TypeInfo,
	)]
	#[scale_info(skip_type_params(T))]
	pub struct Provider<T: Config> {
		/// What it sells.
		pub offer: Offer<T>,
		/// Whether it takes jobs.
		pub status: Status<BlockNumberFor<T>>,
		/// Offered resources not used by running jobs.
		pub free: Resources,
		/// Jobs running now.
		pub running: u16,
		/// Block of its last heartbeat.
		pub last_heartbeat: BlockNumberFor<T>,
		/// Set by the admin origin.
		pub verified: bool,
		/// A copy of its reputation record, kept current by [`Config::Reputation`]'s changes
		/// (see [`OnReputationChange`]), so matching scores it without another read.
		pub reputation: ReputationRecord<BlockNumberFor<T>>,
		/// The value of its open jobs: the most each may pay it, added up.
		pub exposure: T::Balance,
		/// The block it registered at (only in the relay test's next runtime version).
		#[cfg(feature = "upgrade-test")]
		pub since: BlockNumberFor<T>,
	}

	/// The provider type of this runtime.
	pub type ProviderOf<T> = Provider<T>;

	/// An index bucket: a runtime kind and a price band (⌊log2(price + 1)⌋).
	pub type Band = (RuntimeKind, u8);

	/// Price bands a runtime kind's index can have: ⌊log2(price + 1)⌋ of a 128-bit price.
	pub const BANDS: usize = 128;

	/// How many providers each price band of one runtime kind has.
	#[derive(
		Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct BandSizes(pub [u32; BANDS]);

	impl Default for BandSizes {
		fn default() -> Self {
			Self([0; BANDS])
		}
	}

	impl BandSizes {
		/// Providers in `band`.
		pub fn of(&self, band: u8) -> u32 {
			self.0.get(band as usize).copied().unwrap_or(0)
		}

		/// The bands that have providers, cheapest first, each with its count.
		pub fn occupied(&self) -> impl Iterator<Item = (u8, u32)> + '_ {
			(0..BANDS as u8).map(|band| (band, self.of(band))).filter(|(_, size)| *size > 0)
		}
	}

	/// An index entry: what matching needs of a provider that can take jobs, equal to what its
	/// record says (the registry rewrites the card whenever the record changes).
	#[derive(
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		Encode,
		Decode,
		MaxEncodedLen,
		TypeInfo,
	)]
	#[scale_info(skip_type_params(T))]
	pub struct Card<T: Config> {
		/// The provider.
		pub who: T::AccountId,
		/// Its prices.
		pub prices: Prices<T::Balance>,
		/// Its resources not used by running jobs.
		pub free: Resources,
		/// Its admin verified flag.
		pub verified: bool,
		/// Whether its offer publishes a key for sealed inputs.
		pub sealed_inputs: bool,
		/// Its reputation record.
		pub reputation: ReputationRecord<BlockNumberFor<T>>,
		/// Block of its last heartbeat.
		pub last_heartbeat: BlockNumberFor<T>,
		/// How much more job value its bond backs.
		pub headroom: T::Balance,
	}

	#[cfg(not(feature = "upgrade-test"))]
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(5);
	#[cfg(feature = "upgrade-test")]
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(6);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Balance of bonds and prices.
		type Balance: Parameter
			+ Member
			+ MaxEncodedLen
			+ Copy
			+ Default
			+ Ord
			+ sp_runtime::traits::AtLeast32BitUnsigned;

		/// Holds and releases bonds.
		type Escrow: JobEscrow<Self::AccountId, Self::Balance>;

		/// Providers' reputation records: copied into each provider at registration, and
		/// scored for matching. The runtime must also wire this pallet as the reputation
		/// pallet's `OnChange`, which keeps the copies current.
		type Reputation: ReputationRecords<Self::AccountId, BlockNumberFor<Self>>;

		/// Says whether a provider is verified (identity judgements, in the runtime).
		type Verifier: VerifiedProvider<Self::AccountId>;

		/// Told, at each heartbeat of an active provider, over which blocks it was live (the
		/// reward pool's uptime).
		type Rewards: RewardWork<Self::AccountId, Self::Balance, BlockNumberFor<Self>>;

		/// May set a provider's verified flag.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Least bond of a provider; it also pays for the provider's storage. Too low and
		/// misbehaving is cheap; too high and small providers stay away.
		#[pallet::constant]
		type MinBond: Get<Self::Balance>;

		/// Longest endpoint URL, in bytes.
		#[pallet::constant]
		type MaxEndpointLen: Get<u32>;

		/// Providers per index page. Matching reads whole pages: too large and each read is
		/// heavy, too small and matching reads many pages for the same number of candidates.
		#[pallet::constant]
		type IndexPageSize: Get<u32>;

		/// Index pages one matching scan reads at most (besides one page count per band), so
		/// providers spread thinly over many price bands cannot make matching read more.
		#[pallet::constant]
		type MaxScanPages: Get<u32>;

		/// Blocks after the last heartbeat when a provider stops being matched. Too short and
		/// providers spend on heartbeats; too long and dead providers get jobs.
		#[pallet::constant]
		type HeartbeatTimeout: Get<BlockNumberFor<Self>>;

		/// Blocks between deregistering and withdrawing the bond, so late disputes can still
		/// slash it.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// A provider's open jobs may be worth at most this many times its bond (each job
		/// counted at the most it may pay). Above 1, a provider that cheats on all its jobs at
		/// once can earn more than its bond, all that can be slashed.
		#[pallet::constant]
		type ExposureFactor: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Funds accounts in benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::Balance>;
	}

	/// What benchmarks need from the runtime.
	#[cfg(feature = "runtime-benchmarks")]
	pub trait BenchmarkHelper<AccountId, Balance> {
		/// Gives `who` `amount` of free balance.
		fn fund(who: &AccountId, amount: Balance);
	}

	/// Registered providers.
	#[pallet::storage]
	pub type Providers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, ProviderOf<T>>;

	/// Number of registered providers.
	#[pallet::storage]
	pub type ProviderCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Providers that can take a job, per runtime kind and price band, in pages of
	/// `IndexPageSize` cards. Every page of a band but its last is full. A provider whose
	/// heartbeat expired stays until `on_idle` reaps it; matching skips it.
	#[pallet::storage]
	pub type Index<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		Band,
		Twox64Concat,
		u32,
		BoundedVec<Card<T>, T::IndexPageSize>,
		ValueQuery,
	>;

	/// Per runtime kind, how many providers each price band has (a band's pages: its count over
	/// `IndexPageSize`, rounded up). One read tells matching which bands are worth looking at,
	/// and tells a dispute's draw where every indexed provider is, so each is as likely to be
	/// drawn as any other.
	#[pallet::storage]
	pub type Bands<T: Config> = StorageMap<_, Twox64Concat, RuntimeKind, BandSizes, ValueQuery>;

	/// The band and page each indexed provider is in (at most one per runtime kind).
	#[pallet::storage]
	pub type IndexedIn<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<(Band, u32), ConstU32<2>>,
		ValueQuery,
	>;

	/// The index page `on_idle` reaps next: entries whose heartbeat expired are taken out.
	#[pallet::storage]
	pub type ReapCursor<T: Config> = StorageValue<_, (Band, u32), OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(crate) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Every provider record gained the block it registered at (only in the relay test's
		/// next runtime version, by its migration).
		#[cfg(feature = "upgrade-test")]
		ProvidersUpgraded {
			/// The records rewritten.
			providers: u32,
		},
		/// A provider registered.
		ProviderRegistered {
			/// The provider.
			provider: T::AccountId,
			/// Its bond.
			bond: T::Balance,
		},
		/// A provider changed its offer.
		OfferUpdated {
			/// The provider.
			provider: T::AccountId,
		},
		/// A provider is alive.
		Heartbeat {
			/// The provider.
			provider: T::AccountId,
		},
		/// A provider stopped taking jobs.
		ProviderPaused {
			/// The provider.
			provider: T::AccountId,
		},
		/// A provider takes jobs again.
		ProviderResumed {
			/// The provider.
			provider: T::AccountId,
		},
		/// A slash left a provider's bond under the minimum: it is paused, and takes no jobs
		/// until it adds to its bond and resumes.
		ProviderUnderbonded {
			/// The provider.
			provider: T::AccountId,
			/// Its bond now.
			bond: T::Balance,
		},
		/// A provider added to its bond.
		BondAdded {
			/// The provider.
			provider: T::AccountId,
			/// Added.
			amount: T::Balance,
			/// Its bond now.
			bond: T::Balance,
		},
		/// A provider deregistered; its bond unlocks after the unbonding period.
		ProviderLeaving {
			/// The provider.
			provider: T::AccountId,
			/// First block the bond can be withdrawn.
			unbonds_at: BlockNumberFor<T>,
		},
		/// A provider left and took its bond back.
		ProviderRemoved {
			/// The provider.
			provider: T::AccountId,
			/// The bond released.
			bond: T::Balance,
		},
		/// The admin set a provider's verified flag.
		VerifiedSet {
			/// The provider.
			provider: T::AccountId,
			/// The flag.
			verified: bool,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a provider.
		AlreadyRegistered,
		/// The account is not a provider.
		NotRegistered,
		/// The bond is below the minimum.
		BondTooLow,
		/// The offer supports no runtime.
		NoRuntime,
		/// The offer has no capacity: zero resources or zero concurrent jobs.
		NoCapacity,
		/// The new offer has less capacity than running jobs use.
		CapacityInUse,
		/// The provider is leaving.
		Leaving,
		/// The provider is not paused.
		NotPaused,
		/// The provider is not active.
		NotActive,
		/// The provider has not deregistered.
		NotLeaving,
		/// The unbonding period has not passed.
		StillUnbonding,
		/// The provider still runs jobs.
		JobsRunning,
		/// The provider's open jobs would be worth more than its bond backs.
		ExposureTooHigh,
		/// A count overflowed.
		Overflow,
		/// The offer's x25519 key is of low order: anyone could open what is sealed to it.
		WeakEncryptionKey,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Takes providers whose heartbeat expired out of the index, a page at a time, with the
		/// block's spare weight.
		fn on_idle(_: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::reap(remaining)
		}

		fn integrity_test() {
			assert!(T::IndexPageSize::get() >= 1 && T::MaxScanPages::get() >= 1);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers the caller as a provider with `offer`, holding `bond` of its funds.
		///
		/// Origin: signed, not yet a provider. `bond` ≥ `MinBond`.
		///
		/// ## Complexity
		/// O(IndexPageSize): the provider is added to at most two index pages.
		#[pallet::call_index(0)]
		pub fn register(
			origin: OriginFor<T>,
			offer: OfferOf<T>,
			bond: T::Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(who, offer, bond)
		}

		/// Replaces the caller's offer. Capacity may not shrink below what running jobs use.
		///
		/// Origin: a registered provider that is not leaving.
		///
		/// ## Complexity
		/// O(IndexPageSize): the provider moves between index bands.
		#[pallet::call_index(1)]
		pub fn update_offer(origin: OriginFor<T>, offer: OfferOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_offer(who, offer)
		}

		/// Tells the chain the caller is alive; providers silent for `HeartbeatTimeout` blocks
		/// are not matched.
		///
		/// Origin: a registered provider.
		///
		/// ## Complexity
		/// O(IndexPageSize): a provider that had dropped out of the index is put back.
		#[pallet::call_index(2)]
		pub fn heartbeat(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_heartbeat(who)
		}

		/// Stops new jobs for the caller; running jobs continue.
		///
		/// Origin: an active provider.
		///
		/// ## Complexity
		/// O(IndexPageSize).
		#[pallet::call_index(3)]
		pub fn pause(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_pause(who)
		}

		/// Takes new jobs again.
		///
		/// Origin: a paused provider whose bond is at least `MinBond`.
		///
		/// ## Complexity
		/// O(IndexPageSize).
		#[pallet::call_index(4)]
		pub fn resume(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_resume(who)
		}

		/// Starts leaving: no new jobs; the bond can be withdrawn `UnbondingPeriod` blocks from
		/// now, once no job runs.
		///
		/// Origin: a registered provider that is not leaving.
		///
		/// ## Complexity
		/// O(IndexPageSize).
		#[pallet::call_index(5)]
		pub fn deregister(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deregister(who)
		}

		/// Removes the caller's provider record and releases its bond.
		///
		/// Origin: a leaving provider, past its unbonding period, with no running job.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(6)]
		pub fn withdraw_bond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_bond(who)
		}

		/// Adds `amount` of the caller's funds to its bond (held, like the rest): to carry
		/// bigger jobs, or to get back above `MinBond` after a slash and `resume`.
		///
		/// Origin: a registered provider that is not leaving.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(8)]
		pub fn add_bond(origin: OriginFor<T>, amount: T::Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_add_bond(who, amount)
		}

		/// Sets `provider`'s verified flag.
		///
		/// Origin: `AdminOrigin`.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(7)]
		pub fn set_verified(
			origin: OriginFor<T>,
			provider: T::AccountId,
			verified: bool,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_verified(provider, verified)
		}
	}
}
