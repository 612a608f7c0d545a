//! # Escrow pallet
//!
//! The only place that moves money for Offload's jobs. Requesters' funds and providers' bonds
//! never leave their owners' accounts until they are paid out: they are *held* (fungible holds,
//! one [`HoldReason`] per purpose) from the moment they are committed, then transferred on hold
//! to a provider, released back, or slashed.
//!
//! Other pallets use it through [`JobEscrow`] (jobs and bonds) and [`PeriodEscrow`]
//! (subscriptions' prepaid periods); it has no calls of its own.
//!
//! - A job's hold is, per replica, its cap plus the fee on the cap ([`Config::ProtocolFee`],
//!   rounded up, at least [`Config::MinFee`]); each replica's payment carries the fee on what
//!   it is paid, which is never more than the fee held for it.
//! - Paying a provider moves the amount to the provider and the fee on that amount to the
//!   treasury ([`Config::Treasury`]); the rest stays held until the job's escrow is refunded.
//! - A bond slash compensates the harmed party first and sends the rest to the treasury.
//! - A subscription's hold is, per prepaid period, its price plus the fee on the price; each
//!   kept period pays the price to the provider and the fee to the treasury, each failed one
//!   goes back to the requester whole.
//!
//! Invariants (checked by `try_state`): each requester's balance on hold for jobs equals the sum
//! of its jobs' escrows, and for subscriptions the sum of its subscriptions' escrows; each
//! provider's balance on hold as a bond equals its recorded bond.
//! No running totals are kept: they would add a read and a write to every job's submission,
//! payment and refund, and the holds themselves already are the balances' own totals.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod impls;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use offload_primitives::{JobEscrow, JobId, Payout, PeriodEscrow, SubscriptionId};

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::fungible};
	use sp_runtime::Perbill;

	/// Balance of the currency the pallet holds.
	pub type BalanceOf<T> = <<T as Config>::Currency as fungible::Inspect<
		<T as frame_system::Config>::AccountId,
	>>::Balance;

	/// What is held for one job.
	#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
	pub struct Escrow<AccountId, Balance> {
		/// Whose funds are held.
		pub requester: AccountId,
		/// How much is still held.
		pub held: Balance,
	}

	/// The escrow of a job, in this runtime's types.
	pub type EscrowOf<T> = Escrow<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency; funds are held, transferred on hold and released through it.
		type Currency: fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::Mutate<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// The protocol's cut of every payment, paid by the requester on top of it. Set too high,
		/// requesters go elsewhere; at zero, the treasury earns nothing.
		#[pallet::constant]
		type ProtocolFee: Get<Perbill>;

		/// The least fee a paid replica carries, whatever its price. At zero, jobs priced at a
		/// planck pay no fee, so two accounts can trade reputation for nothing but transaction
		/// fees; set too high, small jobs are priced out.
		#[pallet::constant]
		type MinFee: Get<BalanceOf<Self>>;

		/// Where fees and the uncompensated part of slashes go. It must exist (hold at least the
		/// existential deposit), or fees smaller than the existential deposit cannot be paid.
		#[pallet::constant]
		type Treasury: Get<Self::AccountId>;
	}

	/// Why funds are held.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A requester's payment (and fee) for a job, until the job is settled.
		JobPayment,
		/// A provider's bond, until it unbonds (or is slashed).
		ProviderBond,
		/// A requester's prepaid subscription periods (and their fees), until each period is
		/// paid or refunded.
		SubscriptionPayment,
	}

	/// The escrow of each open job.
	#[pallet::storage]
	pub type Escrows<T: Config> = StorageMap<_, Twox64Concat, JobId, EscrowOf<T>>;

	/// The escrow of each open subscription: its prepaid periods and their fees.
	#[pallet::storage]
	pub type Prepaid<T: Config> = StorageMap<_, Twox64Concat, SubscriptionId, EscrowOf<T>>;

	/// Each provider's bond.
	#[pallet::storage]
	pub type Bonds<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A requester's funds were held for a job.
		JobFundsHeld {
			/// The job.
			job: JobId,
			/// Whose funds.
			requester: T::AccountId,
			/// Payment plus fee held.
			amount: BalanceOf<T>,
		},
		/// A provider was paid out of a job's escrow.
		ProviderPaid {
			/// The job.
			job: JobId,
			/// Who was paid.
			provider: T::AccountId,
			/// What the provider received.
			amount: BalanceOf<T>,
			/// The protocol fee sent to the treasury.
			fee: BalanceOf<T>,
		},
		/// Part of a job's escrow went to an account with no fee.
		TransferredFromJob {
			/// The job.
			job: JobId,
			/// Who received it.
			to: T::AccountId,
			/// How much.
			amount: BalanceOf<T>,
		},
		/// What was left of a job's escrow went back to its requester.
		Refunded {
			/// The job.
			job: JobId,
			/// Who got it back.
			requester: T::AccountId,
			/// How much.
			amount: BalanceOf<T>,
		},
		/// A requester's funds were held for a subscription's periods.
		PeriodsHeld {
			/// The subscription.
			subscription: SubscriptionId,
			/// Whose funds.
			requester: T::AccountId,
			/// Prices plus fees held.
			amount: BalanceOf<T>,
		},
		/// A provider was paid a period out of a subscription's escrow.
		PeriodPaid {
			/// The subscription.
			subscription: SubscriptionId,
			/// Who was paid.
			provider: T::AccountId,
			/// What the provider received.
			amount: BalanceOf<T>,
			/// The protocol fee sent to the treasury.
			fee: BalanceOf<T>,
		},
		/// Part or all of a subscription's escrow went back to its requester.
		PeriodsRefunded {
			/// The subscription.
			subscription: SubscriptionId,
			/// Who got it back.
			requester: T::AccountId,
			/// How much.
			amount: BalanceOf<T>,
		},
		/// A provider's bond grew.
		BondHeld {
			/// The provider.
			provider: T::AccountId,
			/// Added.
			amount: BalanceOf<T>,
			/// The bond now.
			bond: BalanceOf<T>,
		},
		/// Part of a provider's bond was released.
		BondReleased {
			/// The provider.
			provider: T::AccountId,
			/// Released.
			amount: BalanceOf<T>,
			/// The bond now.
			bond: BalanceOf<T>,
		},
		/// A provider's bond was slashed.
		BondSlashed {
			/// The provider.
			provider: T::AccountId,
			/// Taken from the bond.
			amount: BalanceOf<T>,
			/// Who was compensated.
			harmed: T::AccountId,
			/// Their share; the rest went to the treasury.
			compensation: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The job already has an escrow.
		EscrowExists,
		/// The job has no escrow.
		NoEscrow,
		/// The job's escrow holds less than the payment plus its fee.
		InsufficientEscrow,
		/// The provider's bond is smaller than the amount.
		InsufficientBond,
		/// An amount overflowed.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<frame_system::pallet_prelude::BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(
			_: frame_system::pallet_prelude::BlockNumberFor<T>,
		) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}
}
