//! # Subscriptions pallet
//!
//! A requester rents capacity by the period: resources of one runtime kind from one provider,
//! for a number of periods of a fixed length, at a price per period. Subscribing matches a
//! provider the way jobs are matched (the registry's candidates, cheapest price band first),
//! and takes the capacity out of what matching can give others
//! ([`ProviderRegistry::reserve`]) for the subscription's whole life.
//!
//! - **Price.** A provider's period price is its per-second price times the period's length
//!   in seconds, plus its per-job base price once per period: renting a slot for a period
//!   costs what a container job using it all period would. The requester names the most it
//!   pays; the cheapest provider at or under it is chosen, and its quote is the price.
//! - **Money.** The periods are prepaid through the escrow ([`PeriodEscrow`]): per period, the
//!   price plus the protocol fee on it, held in the requester's account. A deposit
//!   ([`Config::Deposit`]) is held for the record while it exists.
//! - **Settlement.** Each period settles by itself in the block it ends: `on_initialize` reads
//!   that block's queue ([`PeriodEnds`], at most [`Config::MaxEndsPerBlock`] entries) and
//!   nothing else, so no hook iterates all subscriptions.
//! - **Service level.** The registry reports every heartbeat of an active provider as live
//!   blocks (never more than its heartbeat timeout back, never while paused); this pallet
//!   counts them for providers that serve subscriptions ([`Served`]). A period is *kept* when
//!   the provider's live blocks in it fall short of the period's length by at most
//!   [`Config::UptimeSlack`]: then the provider is paid the price and the fee goes to the
//!   treasury (and counts as fee-paying work for the reward pool). Otherwise the period's price
//!   and fee go back to the requester and the provider's reputation records a no-show. The
//!   bond is never slashed for downtime, which depends on the provider's machine, not on
//!   the requester; the pay it forfeits is the penalty.
//! - **Jobs.** The requester's jobs on the subscription (the market's
//!   `submit_subscription_job`) run on its provider without matching or a price of their own,
//!   as many at once as its resources hold (at most [`Config::MaxOpenJobs`]). Each lives within
//!   one period: its deadlines must fall before the running period's end. A job whose provider
//!   missed its acknowledgement or delivery, or one still open when the period ends, fails the
//!   period, which is then refunded like a period of downtime. A job the provider declines (an
//!   abstention: its input could not be fetched, or it ran past the host's limits) does not.
//! - **Renewal** adds prepaid periods at the same price; **cancellation**, by either side,
//!   ends the subscription at the end of the running period, which is still settled by the
//!   service level (so cancelling mid-period gets the requester nothing for free, and the
//!   provider nothing for leaving).
//! - **Provider leaving or slashed.** A provider that deregisters, or whose bond falls below
//!   the minimum, is out of service: its subscriptions end at their next period boundary
//!   (the running period settled by the service level; a leaving provider reports no uptime,
//!   so it is refunded), and the rest of the prepayment goes back. Its bond cannot be
//!   withdrawn while a subscription holds its capacity, as with open jobs.
//!
//! Invariants (checked by `try_state`): every subscription is queued exactly once, at its
//! period end, which lies in the future; the escrow holds exactly its remaining periods'
//! prices and fees; each provider's count of subscriptions matches; each requester's too; its
//! jobs take at most what it reserved, and are at most [`Config::MaxOpenJobs`] (the market
//! checks that they are the jobs it holds).

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

pub use offload_primitives::{
	PeriodEscrow, ProviderRegistry, Resources, RewardWork, RuntimeKind, SubscriptionId,
};
pub use weights::WeightInfo;

/// How many blocks past its natural end a period's settlement may be put when that block's
/// queue is full: each extra block is one more queue read.
pub const SCHEDULE_TRIES: u32 = 8;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::fungible};
	use frame_system::pallet_prelude::*;
	use offload_primitives::{JobEscrow, ReputationOf};
	use sp_runtime::Permill;

	/// Balance of the currency subscriptions are paid in.
	pub type BalanceOf<T> = <<T as Config>::Currency as fungible::Inspect<
		<T as frame_system::Config>::AccountId,
	>>::Balance;

	/// A subscription.
	#[derive(
		Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct Subscription<AccountId, Balance, BlockNumber> {
		/// Who rents the capacity.
		pub requester: AccountId,
		/// Who provides it.
		pub provider: AccountId,
		/// The runtime kind its jobs use.
		pub kind: RuntimeKind,
		/// The capacity reserved.
		pub resources: Resources,
		/// What each period pays the provider (the fee is on top).
		pub price: Balance,
		/// A period's length in blocks.
		pub period: BlockNumber,
		/// The block the running period started at.
		pub period_start: BlockNumber,
		/// The block the running period settles at (its queue entry in [`PeriodEnds`]).
		pub period_end: BlockNumber,
		/// The provider's live-block count ([`Served`]) when the running period started.
		pub live_at_start: BlockNumber,
		/// Prepaid periods not settled yet, the running one included.
		pub periods_left: u32,
		/// Cancelled: ends when the running period settles.
		pub ending: bool,
		/// The deposit held from the requester for this record.
		pub deposit: Balance,
		/// The requester's jobs of the running period still open (see
		/// [`offload_primitives::SubscribedCapacity`]).
		pub jobs: u32,
		/// What those jobs take of [`Self::resources`].
		pub in_use: Resources,
		/// Jobs of the running period whose provider missed a deadline.
		pub missed: u32,
	}

	/// A subscription in this runtime's types.
	pub type SubscriptionOf<T> =
		Subscription<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// What this pallet keeps of a provider that serves subscriptions.
	#[derive(
		Clone, Copy, PartialEq, Eq, Debug, Default, Encode, Decode, MaxEncodedLen, TypeInfo,
	)]
	pub struct Service<BlockNumber> {
		/// How many subscriptions it serves.
		pub subscriptions: u32,
		/// Live blocks reported since it started serving (only ever grows while it serves).
		pub live: BlockNumber,
	}

	/// Why a subscription ended.
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
	pub enum EndReason {
		/// Its prepaid periods ran out.
		Expired,
		/// The requester or the provider cancelled it.
		Cancelled,
		/// The provider left or its bond fell below the minimum.
		ProviderOutOfService,
		/// No settlement block with room could be found for its next period.
		QueueFull,
	}

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// The hold reasons of this pallet.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit for a subscription's record.
		Deposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency deposits are held in.
		type Currency: fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::Mutate<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// Holds the prepaid periods, pays and refunds them; also knows providers' bonds.
		type Escrow: PeriodEscrow<Self::AccountId, BalanceOf<Self>>
			+ JobEscrow<Self::AccountId, BalanceOf<Self>>;

		/// Matches providers and reserves their capacity.
		type Registry: ProviderRegistry<Self::AccountId, BalanceOf<Self>>;

		/// Records kept and failed periods in the provider's reputation.
		type Reputation: ReputationOf<Self::AccountId>;

		/// Told of each kept period's payment and fee, as fee-paying work.
		type Rewards: RewardWork<Self::AccountId, BalanceOf<Self>, BlockNumberFor<Self>>;

		/// Held from the requester per subscription while its record exists.
		#[pallet::constant]
		type Deposit: Get<BalanceOf<Self>>;

		/// The shortest period. At least a few heartbeat timeouts, or the slack swallows it.
		#[pallet::constant]
		type MinPeriod: Get<BlockNumberFor<Self>>;

		/// The longest period.
		#[pallet::constant]
		type MaxPeriod: Get<BlockNumberFor<Self>>;

		/// The most periods prepaid at once.
		#[pallet::constant]
		type MaxPeriods: Get<u32>;

		/// How many live blocks a kept period may miss: the heartbeat timeout, so a provider
		/// that heartbeats as the worker does (well within it) keeps every period.
		#[pallet::constant]
		type UptimeSlack: Get<BlockNumberFor<Self>>;

		/// The most periods that settle in one block.
		#[pallet::constant]
		type MaxEndsPerBlock: Get<u32>;

		/// The most subscriptions one requester may hold.
		#[pallet::constant]
		type MaxPerRequester: Get<u32>;

		/// The most jobs of one subscription open at once, whatever their resources: a
		/// requester cannot flood its provider with jobs that ask for nothing.
		#[pallet::constant]
		type MaxOpenJobs: Get<u32>;

		/// The most candidates looked at when subscribing.
		#[pallet::constant]
		type MaxScan: Get<u32>;

		/// Milliseconds per block, for the price of a period in seconds.
		#[pallet::constant]
		type MillisPerBlock: Get<u64>;

		/// Weights of this pallet's calls and hook.
		type WeightInfo: WeightInfo;

		/// Sets up providers for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, BalanceOf<Self>>;
	}

	/// What benchmarks need from the runtime.
	#[cfg(feature = "runtime-benchmarks")]
	pub trait BenchmarkHelper<AccountId, Balance> {
		/// Gives `who` `amount` of free balance.
		fn fund(who: &AccountId, amount: Balance);
		/// Registers `who` as an alive provider of both runtimes at `per_second` (and as much
		/// per million fuel), with one core and 1 GiB for each of `slots` jobs.
		fn register_provider(who: &AccountId, per_second: Balance, slots: u16);
	}

	/// The next subscription's id.
	#[pallet::storage]
	pub type NextSubscriptionId<T: Config> = StorageValue<_, SubscriptionId, ValueQuery>;

	/// Subscriptions that have not ended.
	#[pallet::storage]
	pub type Records<T: Config> = StorageMap<_, Twox64Concat, SubscriptionId, SubscriptionOf<T>>;

	/// The subscriptions whose running period settles at a block.
	#[pallet::storage]
	pub type PeriodEnds<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<SubscriptionId, T::MaxEndsPerBlock>,
		ValueQuery,
	>;

	/// Providers serving subscriptions: how many, and their live blocks since they started.
	#[pallet::storage]
	pub type Served<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Service<BlockNumberFor<T>>>;

	/// Each requester's subscriptions (listing; at most [`Config::MaxPerRequester`]).
	#[pallet::storage]
	pub type ByRequester<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		SubscriptionId,
		(),
		OptionQuery,
	>;

	/// How many subscriptions each requester holds.
	#[pallet::storage]
	pub type RequesterCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Each provider's subscriptions (listing; bounded by its job slots).
	#[pallet::storage]
	pub type ByProvider<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		SubscriptionId,
		(),
		OptionQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A requester subscribed to a provider's capacity.
		Subscribed {
			/// The subscription.
			subscription: SubscriptionId,
			/// Who rents.
			requester: T::AccountId,
			/// Who provides.
			provider: T::AccountId,
			/// What each period pays the provider.
			price: BalanceOf<T>,
			/// Blocks per period.
			period: BlockNumberFor<T>,
			/// Periods prepaid.
			periods: u32,
			/// The block the first period settles at.
			first_end: BlockNumberFor<T>,
		},
		/// More periods were prepaid.
		Renewed {
			/// The subscription.
			subscription: SubscriptionId,
			/// Periods added.
			periods: u32,
			/// Periods now prepaid, the running one included.
			periods_left: u32,
		},
		/// The subscription ends when its running period settles.
		Cancelled {
			/// The subscription.
			subscription: SubscriptionId,
			/// Who cancelled.
			by: T::AccountId,
		},
		/// A period was kept and paid to the provider.
		PeriodPaid {
			/// The subscription.
			subscription: SubscriptionId,
			/// What the provider received.
			amount: BalanceOf<T>,
			/// The protocol fee.
			fee: BalanceOf<T>,
			/// The provider's live blocks in the period.
			live: BlockNumberFor<T>,
			/// The period's length.
			length: BlockNumberFor<T>,
		},
		/// A period missed the service level; its price and fee went back to the requester.
		PeriodRefunded {
			/// The subscription.
			subscription: SubscriptionId,
			/// What went back.
			amount: BalanceOf<T>,
			/// The provider's live blocks in the period.
			live: BlockNumberFor<T>,
			/// The period's length.
			length: BlockNumberFor<T>,
			/// The requester's jobs of the period whose provider missed a deadline (or left
			/// them undelivered when the period ended).
			missed_jobs: u32,
		},
		/// A new period started.
		PeriodStarted {
			/// The subscription.
			subscription: SubscriptionId,
			/// The block it settles at.
			ends: BlockNumberFor<T>,
		},
		/// The subscription ended: capacity, prepayment left and deposit given back.
		Ended {
			/// The subscription.
			subscription: SubscriptionId,
			/// Why.
			reason: EndReason,
			/// Prepaid periods given back, with their fees.
			refunded: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The period is shorter than `MinPeriod` or longer than `MaxPeriod`.
		BadPeriod,
		/// Zero periods, or more than `MaxPeriods` prepaid.
		BadPeriods,
		/// No resources asked for.
		NoResources,
		/// No provider offers the capacity at or under the price.
		NoProviders,
		/// No subscription with this id.
		UnknownSubscription,
		/// Only the requester (or, to cancel, the provider) may do this.
		NotYours,
		/// The subscription is already ending.
		Ending,
		/// The requester holds `MaxPerRequester` subscriptions.
		TooManySubscriptions,
		/// No block near the period's end has room in its settlement queue.
		QueueFull,
		/// A job of another runtime kind than the subscription's.
		WrongKind,
		/// The job asks for more than the subscription has free now.
		NoCapacity,
		/// The subscription has `MaxOpenJobs` jobs open.
		TooManyJobs,
		/// The job's deadlines run past the running period's end: submit it once the next
		/// period has started, or with fewer run blocks.
		PeriodEnding,
		/// An amount overflowed.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = PeriodEnds::<T>::take(now);
			let count = due.len() as u32;
			for id in due {
				Self::settle_period(id, now);
			}
			// The benchmark takes each subscription's dearest path (it ends); one that goes on
			// may instead look at up to `SCHEDULE_TRIES` queues for its next period's end.
			T::WeightInfo::on_initialize(count).saturating_add(
				T::DbWeight::get().reads((SCHEDULE_TRIES as u64).saturating_mul(count.into())),
			)
		}

		fn integrity_test() {
			assert!(T::MaxEndsPerBlock::get() >= 1, "MaxEndsPerBlock must be at least 1");
			assert!(
				T::MinPeriod::get() > T::UptimeSlack::get(),
				"a period must be longer than the uptime slack"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Rents `resources` of a provider taking `kind` jobs, for `periods` periods of
		/// `period` blocks, from the cheapest provider whose period price is at most
		/// `max_price` and whose reputation is at least `min_reputation`. Holds the periods'
		/// prices and fees and the deposit; the first period starts now.
		///
		/// Origin: any signed account (never matched to itself).
		///
		/// ## Complexity
		/// O(MaxScan) candidates looked at, as a job's matching.
		#[pallet::call_index(0)]
		pub fn subscribe(
			origin: OriginFor<T>,
			kind: RuntimeKind,
			resources: Resources,
			max_price: BalanceOf<T>,
			min_reputation: Permill,
			period: BlockNumberFor<T>,
			periods: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_subscribe(who, kind, resources, max_price, min_reputation, period, periods)
				.map(|_| ())
		}

		/// Prepays `periods` more periods at the subscription's price.
		///
		/// Origin: the requester. Not once it is ending.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(1)]
		pub fn renew(
			origin: OriginFor<T>,
			subscription: SubscriptionId,
			periods: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_renew(who, subscription, periods)
		}

		/// Ends the subscription when its running period settles (by the service level, as
		/// any period); the periods after it are refunded then.
		///
		/// Origin: the requester or the provider.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(2)]
		pub fn cancel(origin: OriginFor<T>, subscription: SubscriptionId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel(who, subscription)
		}
	}
}
