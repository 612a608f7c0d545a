//! # Rewards pallet
//!
//! Pays providers for the capacity they share, in eras, out of a reward pool. The pool is an
//! account of its own ([`Config::PalletId`]) fed by:
//!
//! - a share ([`Config::FeeShare`]) of every protocol fee (the market reports each payment
//!   through [`RewardWork::work_settled`]); the era counts the shares of the fees that land in
//!   the treasury during it and moves them out of the treasury once, when it ends (one transfer
//!   an era rather than one a job; until then the treasury keeps them back from its spends);
//! - if governance enables it, an emission of [`Emission`] new tokens per block of an era,
//!   at most [`Config::MaxEmission`], minted when the era ends and only if someone worked in it.
//!
//! Within an era each provider accrues *work* (what it was paid out of jobs that carried a fee,
//! its own jobs excluded) and *live* blocks (reported by the registry on each heartbeat of an
//! active provider). When the era ends its pot is split by [`formula::reward`]: by work, times
//! uptime, capped at [`Config::MaxRewardPerFee`] of the fees the provider's own work carried.
//! The cap is what keeps wash trading between one owner's accounts unprofitable.
//!
//! Providers [`Pallet::claim`] their ended eras (bounded: at most [`Config::ClaimEras`] + 1
//! records per provider). An era's unclaimed rest goes to the treasury [`Config::ClaimEras`]
//! eras after it ended; anyone may then [`Pallet::clear_expired`] records that can no longer
//! be claimed. Era changes happen in `on_initialize`, with constant work per era change: no
//! hook iterates providers.
//!
//! The era in progress lives in [`CurrentEra`], which every block's `on_initialize` reads and
//! which is therefore whitelisted from the benchmarks' storage accounting; the hook charges
//! the block one write of it, so a settlement that updates the era's totals pays for neither.
//! [`Eras`] keeps only ended eras.
//!
//! Invariants (checked by `try_state`): each era's claims never exceed its pot; the pool holds
//! at least the existential deposit plus every ended era's unclaimed pot and what the current
//! era carried over; the current era's work is the sum of its providers' work.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod formula;
mod impls;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;

pub use offload_primitives::RewardWork;
pub use weights::WeightInfo;

/// Index of an era.
pub type EraIndex = u32;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::fungible, PalletId};
	use frame_system::pallet_prelude::*;
	use sp_runtime::Perbill;

	/// Balance of the currency rewards are paid in.
	pub type BalanceOf<T> = <<T as Config>::Currency as fungible::Inspect<
		<T as frame_system::Config>::AccountId,
	>>::Balance;

	/// The era in progress and its running totals.
	#[derive(
		Clone, Copy, PartialEq, Eq, Debug, Default, Encode, Decode, MaxEncodedLen, TypeInfo,
	)]
	pub struct ActiveEra<Balance, BlockNumber> {
		/// Its index, counted from 0 at genesis.
		pub index: EraIndex,
		/// The block it started at.
		pub start: BlockNumber,
		/// Its length in blocks, fixed when it started.
		pub length: BlockNumber,
		/// What an earlier era without work carried into its pot (already in the pool).
		pub carried: Balance,
		/// The pool's share of the protocol fees that landed in the treasury during it; moved
		/// from the treasury to the pool when it ends.
		pub fee_share: Balance,
		/// The work all providers settled in it.
		pub work: Balance,
	}

	/// An ended era's pot and work.
	#[derive(
		Clone, Copy, PartialEq, Eq, Debug, Default, Encode, Decode, MaxEncodedLen, TypeInfo,
	)]
	pub struct EraTotals<Balance, BlockNumber> {
		/// What the era pays out: its fee shares, its emission, and what an earlier era
		/// without work carried over.
		pub pot: Balance,
		/// The work all providers settled in it.
		pub work: Balance,
		/// What was claimed of the pot.
		pub claimed: Balance,
		/// Its length in blocks.
		pub length: BlockNumber,
	}

	/// What one provider accrued in one era.
	#[derive(
		Clone, Copy, PartialEq, Eq, Debug, Default, Encode, Decode, MaxEncodedLen, TypeInfo,
	)]
	pub struct Earning<Balance, BlockNumber> {
		/// The era.
		pub era: EraIndex,
		/// What it was paid out of fee-paying jobs of others.
		pub work: Balance,
		/// The protocol fees those payments carried.
		pub fees: Balance,
		/// Blocks of the era it was live.
		pub live: BlockNumber,
	}

	/// An era's totals, in this runtime's types.
	pub type EraTotalsOf<T> = EraTotals<BalanceOf<T>, BlockNumberFor<T>>;
	/// The era in progress, in this runtime's types.
	pub type ActiveEraOf<T> = ActiveEra<BalanceOf<T>, BlockNumberFor<T>>;
	/// A provider's earning in one era, in this runtime's types.
	pub type EarningOf<T> = Earning<BalanceOf<T>, BlockNumberFor<T>>;

	/// The most era records a provider keeps: the eras it can still claim and the current one.
	pub struct MaxEarnings<T>(PhantomData<T>);
	impl<T: Config> Get<u32> for MaxEarnings<T> {
		fn get() -> u32 {
			T::ClaimEras::get().saturating_add(1)
		}
	}

	/// A provider's unclaimed eras, oldest first.
	pub type EarningsOf<T> = BoundedVec<EarningOf<T>, MaxEarnings<T>>;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency: fee shares are moved, emission minted and rewards paid through it.
		type Currency: fungible::Mutate<Self::AccountId>;

		/// The pool's id; its account holds the pots. Changing it strands the pool's funds.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// The treasury, where protocol fees land and unclaimed rewards go back.
		#[pallet::constant]
		type Treasury: Get<Self::AccountId>;

		/// Who sets the emission and the era length (governance; sudo on test networks).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The share of each protocol fee that feeds the pool; the rest stays in the treasury.
		/// At zero, rewards come from emission alone.
		#[pallet::constant]
		type FeeShare: Get<Perbill>;

		/// A provider's reward for an era is at most this share of the fees its own work
		/// carried. At or above 100%, two accounts of one owner trading jobs could earn back
		/// their fees (and reputation for free) whenever emission fills the pot.
		#[pallet::constant]
		type MaxRewardPerFee: Get<Perbill>;

		/// The most [`Emission`] may be set to, per block. Bounds what governance can mint.
		#[pallet::constant]
		type MaxEmission: Get<BalanceOf<Self>>;

		/// The shortest era governance may set. Shorter eras are cheaper to wait for but make
		/// uptime coarse, as it is counted at heartbeats.
		#[pallet::constant]
		type MinEraLength: Get<BlockNumberFor<Self>>;

		/// How many eras after its end an era's rewards can be claimed; then its unclaimed
		/// rest goes to the treasury. It also bounds the eras a claim reads. At least 1.
		#[pallet::constant]
		type ClaimEras: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// The era in progress and its running totals. Read by every block's `on_initialize`,
	/// hence whitelisted (see the crate docs).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub type CurrentEra<T: Config> = StorageValue<_, ActiveEraOf<T>, ValueQuery>;

	/// The length of eras that start from now on.
	#[pallet::storage]
	pub type EraLength<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Tokens minted into the pool per block of an era in which someone worked.
	#[pallet::storage]
	pub type Emission<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// The totals of ended eras that can still be claimed.
	#[pallet::storage]
	pub type Eras<T: Config> = StorageMap<_, Twox64Concat, EraIndex, EraTotalsOf<T>>;

	/// Each provider's unclaimed eras. Only providers the registry and the market report
	/// (bonded ones) get a record, at most [`MaxEarnings`] entries long.
	#[pallet::storage]
	pub type Earnings<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, EarningsOf<T>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The length of eras, in blocks (at least `MinEraLength`).
		pub era_length: BlockNumberFor<T>,
		/// Tokens minted per block of an era with work (at most `MaxEmission`).
		pub emission: BalanceOf<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Pallet::<T>::start_at_genesis(self.era_length, self.emission);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An era ended and the pool's share of the protocol fees that landed during it moved
		/// from the treasury into its pot.
		PoolFed {
			/// The era.
			era: EraIndex,
			/// How much.
			amount: BalanceOf<T>,
		},
		/// A provider's fee-paying work counted for the current era.
		WorkRecorded {
			/// The provider.
			provider: T::AccountId,
			/// The era.
			era: EraIndex,
			/// What it was paid.
			work: BalanceOf<T>,
			/// The fee the payment carried.
			fee: BalanceOf<T>,
		},
		/// A provider's live blocks counted for the current era.
		UptimeRecorded {
			/// The provider.
			provider: T::AccountId,
			/// The era.
			era: EraIndex,
			/// Blocks added.
			blocks: BlockNumberFor<T>,
		},
		/// An era ended; its pot can be claimed.
		EraEnded {
			/// The era.
			era: EraIndex,
			/// Its pot, emission included.
			pot: BalanceOf<T>,
			/// The work settled in it.
			work: BalanceOf<T>,
			/// What was minted into the pot for it.
			emission: BalanceOf<T>,
		},
		/// An era without work ended; its pot moved to the next era.
		PotCarriedOver {
			/// The era without work.
			from: EraIndex,
			/// The era that received the pot.
			to: EraIndex,
			/// How much.
			amount: BalanceOf<T>,
		},
		/// An era can no longer be claimed; its unclaimed rest went to the treasury.
		EraExpired {
			/// The era.
			era: EraIndex,
			/// What went to the treasury.
			unclaimed: BalanceOf<T>,
		},
		/// A provider was paid its reward for an era.
		Rewarded {
			/// The provider.
			provider: T::AccountId,
			/// The era.
			era: EraIndex,
			/// The reward.
			amount: BalanceOf<T>,
		},
		/// A provider's records of expired eras were removed.
		ExpiredCleared {
			/// The provider.
			provider: T::AccountId,
			/// How many records.
			records: u32,
		},
		/// The emission per block changed.
		EmissionSet {
			/// Tokens per block.
			per_block: BalanceOf<T>,
		},
		/// The length of eras that start from now on changed.
		EraLengthSet {
			/// Blocks.
			blocks: BlockNumberFor<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No ended era is left to claim.
		NothingToClaim,
		/// The account has no record of an expired era.
		NothingExpired,
		/// The emission is above `MaxEmission`.
		EmissionTooHigh,
		/// The era length is below `MinEraLength`.
		EraTooShort,
		/// An amount overflowed.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let hook = if Self::era_due(now) {
				Self::end_era(now);
				T::WeightInfo::on_initialize_era_end()
			} else {
				T::WeightInfo::on_initialize_idle()
			};
			// Settlements in this block may update the era's running totals; their one write
			// reaches the database once per block and is charged here, not to them.
			hook.saturating_add(T::DbWeight::get().writes(1))
		}

		fn integrity_test() {
			assert!(T::ClaimEras::get() >= 1, "ClaimEras must be at least 1");
			assert!(!T::MinEraLength::get().is_zero(), "MinEraLength must be positive");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Pays the caller its rewards for every ended era it has not claimed yet, out of the
		/// pool, and forgets those eras. Eras past the claim window are dropped unpaid.
		///
		/// Origin: anyone with earnings (a provider, registered or not any more).
		///
		/// ## Complexity
		/// O(ClaimEras): a provider keeps at most `ClaimEras + 1` era records.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::claim(MaxEarnings::<T>::get()))]
		pub fn claim(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim(who)
		}

		/// Removes `who`'s records of eras that can no longer be claimed (their rewards went
		/// to the treasury), and the whole record if nothing else is left.
		///
		/// Origin: anyone.
		///
		/// ## Complexity
		/// O(ClaimEras).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::clear_expired(MaxEarnings::<T>::get()))]
		pub fn clear_expired(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_clear_expired(who)
		}

		/// Sets the tokens minted per block of an era with work, from the era that ends next.
		///
		/// Origin: `AdminOrigin`. `per_block` at most `MaxEmission`; zero turns emission off.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(2)]
		pub fn set_emission(origin: OriginFor<T>, per_block: BalanceOf<T>) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(per_block <= T::MaxEmission::get(), Error::<T>::EmissionTooHigh);
			Emission::<T>::put(per_block);
			Self::deposit_event(Event::EmissionSet { per_block });
			Ok(())
		}

		/// Sets the length of eras that start from now on; the current era keeps its length.
		///
		/// Origin: `AdminOrigin`. `blocks` at least `MinEraLength`.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(3)]
		pub fn set_era_length(origin: OriginFor<T>, blocks: BlockNumberFor<T>) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(blocks >= T::MinEraLength::get(), Error::<T>::EraTooShort);
			EraLength::<T>::put(blocks);
			Self::deposit_event(Event::EraLengthSet { blocks });
			Ok(())
		}
	}
}
