//! # Market pallet
//!
//! Jobs, from submission to settlement.
//!
//! - **Programs.** [`Pallet::upload_program`] stores WASM code by its blake2-256 hash, with a
//!   deposit per byte; providers fetch it through the chain's RPC. Its owner frees it; anyone
//!   removes a freed program no open job uses, and the deposit goes back to the owner.
//! - **Submission.** [`Pallet::submit_job`] holds, per replica, the cap and the protocol fee on
//!   it, and a [`Config::JobDeposit`], all through [`Config::Escrow`]. Matching (never to the
//!   requester itself) runs in the same call (see [`matching`]); a job that
//!   finds fewer providers than replicas waits in a bounded queue (at most
//!   [`Config::MaxQueuedPerAccount`] of one requester), which `on_idle` retries,
//!   until its queue deadline.
//! - **Subscriptions.** [`Pallet::submit_subscription_job`] runs a job on a subscription's
//!   reserved capacity instead: its provider is the subscription's, nothing is matched or paid
//!   per job (the period pays), only the deposit is held, and it must end within the running
//!   period. Its provider missing a deadline fails the period (no slash: the period's pay is
//!   what it loses), and the job ends; a decline ends it too, and never moves it to another
//!   provider.
//! - **Datasets.** A job's input may name registered datasets ([`Input::Datasets`]): at
//!   submission [`Config::Datasets`] checks them (refusing a program a dataset does not allow)
//!   and the royalties, at most the input's `max_royalties`, are held with the job's funds;
//!   they are paid to the owners when the job ends with a result, and refunded with the rest
//!   otherwise. A dispute's re-execution pays none. The calls that may end a job are charged for
//!   the most datasets a job may name, and refund what the job does not name. Such a job's
//!   replicas have twice [`Config::AckTimeout`] to acknowledge (their owners' keys must reach
//!   them, and the data be fetched).
//! - **Replicas.** Each assigned provider acknowledges ([`Pallet::ack`]) within
//!   [`Config::AckTimeout`]. With one replica it then submits its result in one call
//!   ([`Pallet::submit_result`]), which settles the job. With more, each commits to
//!   `blake2_256((report, salt, provider).encode())` ([`Pallet::commit_result`]); once all have
//!   committed, reveals open for [`Config::RevealTimeout`] blocks ([`Pallet::reveal_result`]).
//! - **Settlement.** The largest group of identical reports wins if it reaches the quorum.
//!   Its providers are paid by their prices applied to the group's least usage, at most the cap
//!   (for a fixed price: their quote at the job's limits, at most the price); the fee goes to
//!   the treasury; the rest goes back to the requester. Replicas that disagreed, and replicas
//!   that committed and did not reveal, lose [`Config::FraudSlash`] of their bond; replicas
//!   that never delivered [`Config::NoShowSlash`]; [`Config::Compensation`] of each slash goes to the
//!   requester, the rest to the treasury. No quorum: everything is refunded.
//! - **Deadlines.** Every state has one, and [`Pallet::expire`] (anyone) acts on those passed:
//!   a replica that did not acknowledge is replaced by the next candidate; one that did not
//!   deliver is slashed and dropped, and the job fails if the rest cannot make the quorum;
//!   reveals past their deadline settle with what was revealed. A caller whose `expire` ends the
//!   job gets its deposit.
//! - **Disputes.** Within [`Config::ChallengePeriod`] of a single-replica job's settlement, its
//!   requester may [`Pallet::dispute`] the result (of a WASM job: container runs are not
//!   deterministic, so their disagreement is never slashed): [`Config::DisputeReplicas`] other providers
//!   re-execute it as a new job the requester pays for. A differing quorum result slashes the
//!   provider, repaying the requester first; an agreeing one leaves the cost with the requester.
//! - **Records.** A settled job stays on chain, holding the deposit, until cleared
//!   ([`Pallet::clear_job`]): by the requester at any time, by anyone after
//!   [`Config::Retention`] blocks for the deposit.
//!
//! Every change is an event, so a worker or an indexer can follow a job from its events alone.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod impls;
pub mod matching;
pub mod migrations;
#[cfg(test)]
mod mock;
pub mod pricing;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use offload_primitives::{
	DatasetRoyalties, JobEscrow, JobId, Outcome, Prices, ProviderRegistry, ReputationOf,
	Reservations, Resources, RewardWork, RuntimeKind, SubscribedCapacity, SubscriptionId,
};
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::fungible};
	use frame_system::pallet_prelude::*;
	use sp_runtime::Perbill;

	/// Balance of the currency.
	pub type BalanceOf<T> = <<T as Config>::Currency as fungible::Inspect<
		<T as frame_system::Config>::AccountId,
	>>::Balance;

	/// A job in this runtime's types.
	pub type JobOf<T> = Job<T>;

	/// A program's record in this runtime's types.
	pub type ProgramInfoOf<T> = ProgramInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Holds program deposits.
		type Currency: fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::Mutate<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// Holds, pays and refunds jobs' funds; holds and slashes bonds.
		type Escrow: JobEscrow<Self::AccountId, BalanceOf<Self>>;

		/// Providers: candidates for a job, and their capacity.
		type Registry: ProviderRegistry<Self::AccountId, BalanceOf<Self>>;

		/// Providers' reputation, read by matching and fed by outcomes.
		type Reputation: ReputationOf<Self::AccountId>;

		/// The reward pool, told of every payment to a provider and the fee it carried.
		type Rewards: RewardWork<Self::AccountId, BalanceOf<Self>, BlockNumberFor<Self>>;

		/// Capacity providers reserved outside the market (subscriptions), which the invariant
		/// checks add to what the market's own assignments take.
		type Reservations: Reservations<Self::AccountId, BalanceOf<Self>>;

		/// Subscriptions, on whose reserved capacity their requesters' jobs run.
		type Subscriptions: SubscribedCapacity<Self::AccountId, BlockNumberFor<Self>>;

		/// Datasets a job's input names: checked and their royalties held at submission, paid
		/// to their owners when the job ends with a result.
		type Datasets: DatasetRoyalties<Self::AccountId, BalanceOf<Self>>;

		/// Longest program, in bytes. Too large and one upload fills blocks; too small and real
		/// programs do not fit.
		#[pallet::constant]
		type MaxCodeLen: Get<u32>;

		/// Deposit per program, on top of the per-byte deposit. Too low and storage is cheap
		/// to fill.
		#[pallet::constant]
		type ProgramDepositBase: Get<BalanceOf<Self>>;

		/// Deposit per byte of program code.
		#[pallet::constant]
		type ProgramDepositPerByte: Get<BalanceOf<Self>>;

		/// Longest inline input, in bytes; larger inputs go by URL.
		#[pallet::constant]
		type MaxInlineInput: Get<u32>;

		/// Longest input URL, in bytes.
		#[pallet::constant]
		type MaxUrlLen: Get<u32>;

		/// Longest WASM entry-point name, in bytes.
		#[pallet::constant]
		type MaxEntryLen: Get<u32>;

		/// Longest container command line, in bytes.
		#[pallet::constant]
		type MaxCommandLen: Get<u32>;

		/// Most replicas of one job. Settlement's cost grows with it.
		#[pallet::constant]
		type MaxReplicas: Get<u32>;

		/// Most jobs waiting for providers. A full queue refuses jobs that cannot be matched.
		#[pallet::constant]
		type MaxQueued: Get<u32>;

		/// Most jobs one requester may have waiting in the queue. At `MaxQueued`, one account
		/// could fill the queue with unmatchable jobs for transaction fees and refuse every
		/// other requester's waiting job; the lower, the more funded accounts that takes.
		#[pallet::constant]
		type MaxQueuedPerAccount: Get<u32>;

		/// Index entries matching takes per job, and entries a dispute's draw looks at (each
		/// may be on its own index page). Too low and good providers are missed; the cost of
		/// `submit_job` and of a draw grows with it, not with the number of providers.
		#[pallet::constant]
		type MaxScan: Get<u32>;

		/// Blocks an assigned provider has to acknowledge. Too short and slow but honest
		/// providers lose jobs; too long and jobs wait on dead providers.
		#[pallet::constant]
		type AckTimeout: Get<BlockNumberFor<Self>>;

		/// Blocks replicas have to reveal once all committed.
		#[pallet::constant]
		type RevealTimeout: Get<BlockNumberFor<Self>>;

		/// Longest run a job may ask for.
		#[pallet::constant]
		type MaxRunBlocks: Get<BlockNumberFor<Self>>;

		/// Longest a job may wait for providers.
		#[pallet::constant]
		type MaxQueueBlocks: Get<BlockNumberFor<Self>>;

		/// Blocks after a single-replica job settles during which its requester may dispute the
		/// result. Too short and requesters cannot check results; too long and providers wait
		/// long to know their payment is final.
		#[pallet::constant]
		type ChallengePeriod: Get<BlockNumberFor<Self>>;

		/// Replicas that re-execute a disputed job (a bare majority of them decides). More is
		/// safer and costs the requester more.
		#[pallet::constant]
		type DisputeReplicas: Get<u32>;

		/// Draws a dispute's re-executors among the eligible providers. Its output must be
		/// unknown when the dispute is opened, and the block number it returns is when the
		/// output became known: a check is drawn only from randomness known after it was
		/// opened. On a parachain, the relay chain's BABE randomness from the relay state proof
		/// (see the runtime); a predictable source lets a requester or provider pick its judges.
		type Randomness: frame_support::traits::Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Blocks a settled job's record stays before anyone may clear it.
		#[pallet::constant]
		type Retention: Get<BlockNumberFor<Self>>;

		/// Held from the requester with every job: pays for the job's record, and rewards
		/// whoever clears it or expires it. Too low and nobody cleans up.
		#[pallet::constant]
		type JobDeposit: Get<BalanceOf<Self>>;

		/// Share of a provider's bond slashed when its result disagrees with the quorum (or it
		/// committed and did not reveal), at least [`Config::FraudValueMultiple`] times the
		/// job's value.
		#[pallet::constant]
		type FraudSlash: Get<Perbill>;

		/// A rejected result costs at least this many times the job's value (its cap per
		/// replica), however little of the bond is left to take a share of: below 1, a
		/// provider earns more by cheating on a big job than it loses.
		#[pallet::constant]
		type FraudValueMultiple: Get<u32>;

		/// Share of a provider's bond slashed when it does not deliver a result it took on.
		#[pallet::constant]
		type NoShowSlash: Get<Perbill>;

		/// Share of a slash that goes to the harmed requester; the rest goes to the treasury.
		#[pallet::constant]
		type Compensation: Get<Perbill>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Sets up benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self>;
	}

	/// What benchmarks need from the runtime.
	#[cfg(feature = "runtime-benchmarks")]
	pub trait BenchmarkHelper<T: Config> {
		/// Gives `who` `amount` of free balance.
		fn fund(who: &T::AccountId, amount: BalanceOf<T>);
		/// Registers `who` as an alive provider of both runtimes with the given unit price and
		/// room for `slots` jobs.
		fn register_provider(who: &T::AccountId, unit_price: BalanceOf<T>, slots: u16);
		/// Index pages one matching scan reads at most (the registry's `MaxScanPages`).
		fn scan_pages() -> u32;
		/// Entries of one index page (the registry's `IndexPageSize`).
		fn page_size() -> u32;
		/// Marks provider `who` verified.
		fn set_verified(who: &T::AccountId);
		/// Registers a provider and subscribes funded `requester` to one period of it, of
		/// WASM capacity that a benchmark job fits, long enough for any benchmark job's
		/// deadlines; returns the subscription.
		fn subscribe(requester: &T::AccountId) -> SubscriptionId;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A program's storage deposit.
		ProgramDeposit,
	}

	/// Uploaded programs, by code hash.
	#[pallet::storage]
	pub type Programs<T: Config> = StorageMap<_, Identity, Hash32, ProgramInfoOf<T>>;

	/// Program code, by hash; providers read it over RPC.
	#[pallet::storage]
	pub type Code<T: Config> = StorageMap<_, Identity, Hash32, BoundedVec<u8, T::MaxCodeLen>>;

	/// Jobs, open or settled and not yet cleared.
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Twox64Concat, JobId, JobOf<T>>;

	/// The id the next job gets, which is also the number of jobs ever submitted.
	#[pallet::storage]
	pub type NextJobId<T: Config> = StorageValue<_, JobId, ValueQuery>;

	/// Jobs waiting for providers, oldest first.
	#[pallet::storage]
	pub type Queue<T: Config> = StorageValue<_, BoundedVec<JobId, T::MaxQueued>, ValueQuery>;

	/// How many jobs each requester has waiting in the queue.
	#[pallet::storage]
	pub type QueuedBy<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Dispute checks waiting for their re-executors to be drawn, each with the point after
	/// which the randomness that draws them must have become known (see
	/// [`Config::Randomness`]). Apart from the queue, so that filling the queue cannot stop a
	/// dispute.
	#[pallet::storage]
	pub type Draws<T: Config> =
		StorageValue<_, BoundedVec<(JobId, BlockNumberFor<T>), T::MaxQueued>, ValueQuery>;

	/// A requester's grant of a sealed input to its dispute's re-executors, by the check's id:
	/// the input envelope's content key wrapped for the drawn providers (they were not among
	/// the envelope's recipients). Covered by the check's job deposit; removed when the
	/// re-execution ends (settled, cancelled or expired).
	#[pallet::storage]
	pub type Grants<T: Config> = StorageMap<_, Twox64Concat, JobId, BoundedVec<u8, MaxGrantLen>>;

	/// Each provider's open assignments, so a worker finds its work with one prefix query.
	#[pallet::storage]
	pub type Assignments<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, JobId, ()>;

	/// Market totals, updated when a job ends.
	#[pallet::storage]
	pub type Totals<T: Config> = StorageValue<_, Stats<BalanceOf<T>>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A program was stored.
		ProgramUploaded {
			/// Its code hash.
			hash: Hash32,
			/// Who uploaded it.
			owner: T::AccountId,
			/// Code size in bytes.
			size: u32,
			/// The deposit held.
			deposit: BalanceOf<T>,
		},
		/// A program's owner freed it; new jobs cannot use it.
		ProgramFreed {
			/// Its code hash.
			hash: Hash32,
		},
		/// A program was removed and its deposit released.
		ProgramRemoved {
			/// Its code hash.
			hash: Hash32,
			/// The deposit released to the owner.
			deposit: BalanceOf<T>,
		},
		/// A job was submitted and its funds held.
		JobSubmitted {
			/// The job.
			job: JobId,
			/// Who pays.
			requester: T::AccountId,
			/// Replicas asked for.
			replicas: u8,
		},
		/// A job runs on a subscription's reserved capacity (its provider is assigned next).
		JobOnSubscription {
			/// The job.
			job: JobId,
			/// The subscription.
			subscription: SubscriptionId,
		},
		/// A job waits for providers.
		JobQueued {
			/// The job.
			job: JobId,
			/// Last block it waits.
			until: BlockNumberFor<T>,
		},
		/// A provider was given a replica of a job.
		JobAssigned {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// Last block to acknowledge.
			ack_by: BlockNumberFor<T>,
		},
		/// A provider acknowledged its replica and runs it.
		JobAcknowledged {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// Last block to deliver.
			due: BlockNumberFor<T>,
		},
		/// A provider gave its replica back before acknowledging it, because it cannot run it
		/// (it could not fetch the input, the input did not match its hash, or the input is
		/// sealed to other providers). It is not matched to the job again; the next eligible
		/// provider gets the replica.
		JobDeclined {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
		},
		/// A replica committed to its result.
		ResultCommitted {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
		},
		/// Every replica committed; reveals are open.
		RevealsOpened {
			/// The job.
			job: JobId,
			/// Last block to reveal.
			reveal_by: BlockNumberFor<T>,
		},
		/// A replica revealed (or, alone, submitted) its result.
		ResultRevealed {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// What it reported.
			report: Report,
		},
		/// A provider missed a deadline of a job.
		DeadlineMissed {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// Slashed from its bond (nothing for a missed acknowledgement).
			slashed: BalanceOf<T>,
		},
		/// A replica's result disagreed with the quorum's.
		ResultRejected {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// Slashed from its bond.
			slashed: BalanceOf<T>,
		},
		/// A job settled.
		JobSettled {
			/// The job.
			job: JobId,
			/// The agreed result, or `None` without quorum.
			result: Option<Hash32>,
			/// Whether the agreed run completed.
			ok: bool,
			/// Paid to providers, fees excluded.
			paid: BalanceOf<T>,
			/// Returned to the requester (the deposit stays held until the job is cleared).
			refunded: BalanceOf<T>,
		},
		/// The requester cancelled a job before any provider acknowledged it.
		JobCancelled {
			/// The job.
			job: JobId,
			/// Returned to the requester.
			refunded: BalanceOf<T>,
		},
		/// A job ended past a deadline without a result.
		JobExpired {
			/// The job.
			job: JobId,
			/// Returned to the requester.
			refunded: BalanceOf<T>,
			/// Who called `expire`, and was given the deposit.
			caller: T::AccountId,
		},
		/// The requester granted the sealed input of `job`, a dispute's re-execution, to its
		/// re-executors.
		InputGranted {
			/// The re-execution job.
			job: JobId,
		},
		/// The requester disputed a single-replica job's result; `check` re-executes it.
		DisputeOpened {
			/// The disputed job.
			job: JobId,
			/// The re-execution job.
			check: JobId,
		},
		/// A dispute was decided by its re-execution.
		DisputeResolved {
			/// The disputed job.
			job: JobId,
			/// The re-execution disagreed with the result: the provider was slashed.
			upheld: bool,
			/// Slashed from the provider's bond (the requester got back what it paid, the
			/// treasury the rest).
			slashed: BalanceOf<T>,
		},
		/// A settled job's record was removed.
		JobCleared {
			/// The job.
			job: JobId,
			/// Who cleared it and got the deposit.
			by: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A program with this code is already stored.
		ProgramExists,
		/// No program has this hash.
		UnknownProgram,
		/// The caller does not own the program.
		NotProgramOwner,
		/// The program was freed and takes no new jobs.
		ProgramFreed,
		/// The program has not been freed by its owner.
		ProgramNotFreed,
		/// Open jobs still use the program.
		ProgramInUse,
		/// The program is empty.
		EmptyProgram,
		/// Replicas must be between 1 and `MaxReplicas`.
		BadReplicas,
		/// The quorum must be more than half the replicas and at most all of them.
		BadQuorum,
		/// A limit (fuel, memory, seconds, run blocks) is zero.
		ZeroLimit,
		/// The run may not take more than `MaxRunBlocks`.
		RunTooLong,
		/// The job may not wait more than `MaxQueueBlocks`.
		QueueTooLong,
		/// The price or budget is zero.
		ZeroPrice,
		/// No provider fits and the job may not wait (`queue_blocks` is zero).
		NoProviders,
		/// The queue of waiting jobs is full.
		QueueFull,
		/// The requester already has as many jobs waiting in the queue as one account may.
		TooManyQueued,
		/// As many dispute checks wait for their re-executors as may: try again in a block.
		TooManyDisputes,
		/// No job has this id.
		UnknownJob,
		/// Only the job's requester may do this.
		NotRequester,
		/// A provider has acknowledged the job; it can no longer be cancelled.
		AlreadyRunning,
		/// The caller has no replica of this job.
		NotAssigned,
		/// The replica is not waiting for this step.
		WrongState,
		/// The replica's deadline for this step has passed.
		DeadlinePassed,
		/// A single-replica job takes `submit_result`, not commit and reveal.
		SingleReplica,
		/// A replicated job takes commit and reveal, not `submit_result`.
		Replicated,
		/// Reveals are not open.
		NotRevealing,
		/// The revealed report and salt do not match the commitment.
		CommitmentMismatch,
		/// No deadline of the job has passed.
		NotExpired,
		/// The job has not settled.
		NotSettled,
		/// Only a dispute's re-execution of a sealed input, before it settles, takes a grant.
		NotASealedCheck,
		/// The datasets' royalties add up to more than the input's `max_royalties`.
		RoyaltiesAboveBound,
		/// The job settled too recently to be cleared by others.
		StillRetained,
		/// The job settled without a result; there is nothing to dispute.
		NothingToDispute,
		/// The job is already disputed.
		AlreadyDisputed,
		/// Container runs are not deterministic: their results are not disputed.
		NotDeterministic,
		/// The job still waits for providers for its other replicas: acknowledge it once all
		/// are assigned.
		StillMatching,
		/// The challenge period is over.
		ChallengeClosed,
		/// The job's dispute is still open.
		DisputeOpen,
		/// An amount or a count overflowed.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Draws dispute re-executors and retries matching for queued jobs with the block's
		/// spare weight.
		fn on_idle(_: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::match_waiting(remaining)
		}

		fn integrity_test() {
			assert!(T::MaxReplicas::get() >= 1 && T::MaxReplicas::get() <= u8::MAX as u32);
			assert!(T::MaxScan::get() >= T::MaxReplicas::get(), "matching must see k providers");
			assert!(!T::AckTimeout::get().is_zero() && !T::RevealTimeout::get().is_zero());
			assert!(
				T::DisputeReplicas::get() >= 2
					&& T::DisputeReplicas::get() <= T::MaxReplicas::get(),
				"a dispute needs replicas to outvote the disputed one"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Stores WASM `code` under its blake2-256 hash, holding a deposit of
		/// `ProgramDepositBase + ProgramDepositPerByte × len`.
		///
		/// Origin: signed.
		///
		/// ## Complexity
		/// O(len): the code is hashed and stored.
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::upload_program(code.len() as u32))]
		pub fn upload_program(
			origin: OriginFor<T>,
			code: BoundedVec<u8, T::MaxCodeLen>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_upload_program(who, code)
		}

		/// Frees a program: no new jobs may use it. It is removed at once if no open job uses
		/// it; otherwise anyone may remove it later.
		///
		/// Origin: the program's owner.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(1)]
		pub fn free_program(origin: OriginFor<T>, hash: Hash32) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_free_program(who, hash)
		}

		/// Removes a freed program no open job uses; its deposit goes back to its owner.
		///
		/// Origin: signed, anyone.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(2)]
		pub fn remove_program(origin: OriginFor<T>, hash: Hash32) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_remove_program(hash)
		}

		/// Submits a job. Holds the cap per replica × replicas, the fee on it and the job
		/// deposit, then matches providers; if fewer than `replicas` fit, the job waits in the
		/// queue for `queue_blocks`.
		///
		/// Origin: signed, the requester.
		///
		/// ## Complexity
		/// O(MaxScan + MaxReplicas): matching reads at most `MaxScan` index entries, whatever
		/// the number of providers.
		#[pallet::call_index(3)]
		#[pallet::weight(if spec.verified_only {
			<T as Config>::WeightInfo::submit_job_verified(spec.replicas as u32)
		} else {
			<T as Config>::WeightInfo::submit_job(spec.replicas as u32)
		}
		.saturating_add(Pallet::<T>::datasets_start_weight(spec)))]
		pub fn submit_job(origin: OriginFor<T>, spec: JobSpec<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_job(who, spec)
		}

		/// Cancels a job no provider has acknowledged; everything held is returned.
		///
		/// Origin: the job's requester.
		///
		/// ## Complexity
		/// O(MaxReplicas + MaxQueued).
		#[pallet::call_index(4)]
		// Cancelling a dispute's check also closes the dispute: one more record read and written.
		#[pallet::weight(Pallet::<T>::cancel_weight())]
		pub fn cancel(origin: OriginFor<T>, job: JobId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::ending(job, Self::cancel_weight(), || Self::do_cancel(who, job))
		}

		/// Acknowledges the caller's replica of `job`: it runs now, and must deliver within the
		/// job's `run_blocks`.
		///
		/// Origin: an assigned provider, before its `ack_by`.
		///
		/// ## Complexity
		/// O(MaxReplicas).
		#[pallet::call_index(5)]
		pub fn ack(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_ack(who, job)
		}

		/// Gives the caller's replica of `job` back, because the caller cannot run it here: an
		/// *abstention*. Its input cannot be fetched, does not match its hash, or is sealed to
		/// other providers; it lacks the container image; the run passed the provider's
		/// wall-clock bound or another limit of its host. Nothing is paid, slashed or recorded
		/// against the caller; it is not matched to the job again, and the replica goes to the
		/// next eligible provider (the job waits in the queue if none fits, and ends refunded
		/// if it may not wait).
		///
		/// What depends on a provider's host is thus never judged: reported as a result, it
		/// would differ from other replicas' (and a requester could make it differ on purpose,
		/// refusing its input to one provider) and get an honest provider slashed.
		///
		/// Origin: an assigned provider, before its `ack_by`, or after acknowledging and before
		/// delivering, before its `due`.
		///
		/// ## Complexity
		/// O(MaxScan + MaxReplicas), as matching.
		#[pallet::call_index(12)]
		// Ending the job instead, when nobody fits and it may not wait, costs at most what
		// `cancel` does, plus the deposit's transfer and a dispute's closing.
		#[pallet::weight(Pallet::<T>::decline_weight())]
		pub fn decline(origin: OriginFor<T>, job: JobId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::ending(job, Self::decline_weight(), || Self::do_decline(who, job))
		}

		/// Delivers the result of a single-replica job and settles it: the provider is paid by
		/// its prices for `report.usage`, at most the cap, and the rest is refunded.
		///
		/// Origin: the job's running provider, before its `due`.
		///
		/// ## Complexity
		/// O(MaxReplicas).
		#[pallet::call_index(6)]
		#[pallet::weight(Pallet::<T>::submit_result_weight())]
		pub fn submit_result(
			origin: OriginFor<T>,
			job: JobId,
			report: Report,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::ending(job, Self::submit_result_weight(), || {
				Self::do_submit_result(who, job, report)
			})
		}

		/// Commits the caller's replica to `commitment` =
		/// `blake2_256((report, salt, provider).encode())`. When every replica has committed,
		/// reveals open.
		///
		/// Origin: a running provider of a replicated job, before its `due`.
		///
		/// ## Complexity
		/// O(MaxReplicas).
		#[pallet::call_index(7)]
		pub fn commit_result(
			origin: OriginFor<T>,
			job: JobId,
			commitment: Hash32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_result(who, job, commitment)
		}

		/// Reveals the report and salt behind the caller's commitment. The last reveal settles
		/// the job.
		///
		/// Origin: a committed provider, while reveals are open.
		///
		/// ## Complexity
		/// O(MaxReplicas²) to group the reports at settlement; `MaxReplicas` is small.
		#[pallet::call_index(8)]
		#[pallet::weight(Pallet::<T>::reveal_result_weight())]
		pub fn reveal_result(
			origin: OriginFor<T>,
			job: JobId,
			report: Report,
			salt: Hash32,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::ending(job, Self::reveal_result_weight(), || {
				Self::do_reveal_result(who, job, report, salt)
			})
		}

		/// Acts on a job's passed deadlines: replaces replicas that did not acknowledge, drops
		/// and slashes those that did not deliver, settles once reveals have closed, and
		/// refunds a job that can no longer finish. If this ends the job without a result, the
		/// caller gets the job's deposit.
		///
		/// Origin: signed, anyone.
		///
		/// ## Complexity
		/// O(MaxScan + MaxReplicas²).
		#[pallet::call_index(9)]
		#[pallet::weight(Pallet::<T>::expire_weight())]
		pub fn expire(origin: OriginFor<T>, job: JobId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::ending(job, Self::expire_weight(), || Self::do_expire(who, job))
		}

		/// Removes a settled job's record and gives its deposit to the caller.
		///
		/// Origin: the requester at any time; anyone `Retention` blocks after settlement. Not
		/// while a dispute of the job is open.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(10)]
		pub fn clear_job(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_clear_job(who, job)
		}

		/// Disputes the result of a settled single-replica job: it is re-executed by
		/// `DisputeReplicas` other providers, paid by the requester like a new job. If their
		/// quorum's result differs, the provider loses `FraudSlash` of its bond, which first
		/// pays the requester back for the job and the re-execution; if it agrees (or no quorum
		/// forms), the requester has paid for the re-execution.
		///
		/// Origin: the job's requester, within `ChallengePeriod` blocks of settlement.
		///
		/// ## Complexity
		/// O(MaxScan + DisputeReplicas), as `submit_job`.
		#[pallet::call_index(11)]
		#[pallet::weight(<T as Config>::WeightInfo::dispute()
			.saturating_add(T::Datasets::start_weight(offload_primitives::MAX_JOB_DATASETS)))]
		pub fn dispute(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_dispute(who, job)
		}

		/// Submits a job that runs on subscription `subscription`'s reserved capacity: assigned
		/// to its provider at once, with no matching and no price of its own (the subscription's
		/// periods pay for it); only the job deposit is held. One replica (`replicas` and
		/// `quorum` 1); the subscription's runtime kind; at most the resources the subscription
		/// has free; its acknowledgement and run must end before the running period does.
		/// `spec.pricing` is what the job is worth should its result be disputed (the
		/// re-execution is paid by it like any job), and is not held. The provider missing a
		/// deadline fails the period (refunded to the requester); see the subscriptions pallet.
		///
		/// Origin: the subscription's requester.
		///
		/// ## Complexity
		/// O(1).
		#[pallet::call_index(14)]
		#[pallet::weight(<T as Config>::WeightInfo::submit_subscription_job()
			.saturating_add(Pallet::<T>::datasets_start_weight(spec)))]
		pub fn submit_subscription_job(
			origin: OriginFor<T>,
			subscription: SubscriptionId,
			spec: JobSpec<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_subscription_job(who, subscription, spec)
		}

		/// Grants the sealed input of `job`, a dispute's re-execution, to the providers drawn
		/// to run it, which were not among the input envelope's recipients: `grant` is the
		/// envelope's content key wrapped for them (the worker's `envelope::grant_input`;
		/// `offload dispute` sends it once the re-executors are drawn). They check the key
		/// against the commitment in the envelope, so the requester cannot have them run
		/// another input than the provider did. A later grant replaces an earlier one (a
		/// lapsed re-executor is redrawn). The re-executors of a sealed job have twice
		/// `AckTimeout` to acknowledge, to give the requester time to grant.
		///
		/// Origin: the requester of `job`, before it settles.
		///
		/// ## Complexity
		/// O(1); `grant` is at most `MaxGrantLen` bytes.
		#[pallet::call_index(13)]
		pub fn grant_input(
			origin: OriginFor<T>,
			job: JobId,
			grant: BoundedVec<u8, MaxGrantLen>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_grant_input(who, job, grant)
		}
	}
}
