//! What the market stores and takes as arguments: programs, job specifications, jobs and their
//! replicas.

use crate::{BalanceOf, Config};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::ConstU32, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use offload_primitives::{
	DatasetId, JobId, Prices, Resources, RuntimeKind, SubscriptionId, MAX_JOB_DATASETS,
};
use scale_info::TypeInfo;
use sp_runtime::Permill;

/// A 32-byte hash: of program code (blake2-256), of an input or a result.
pub type Hash32 = [u8; 32];

/// An uploaded program.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct ProgramInfo<AccountId, Balance> {
	/// Who uploaded it and holds its deposit.
	pub owner: AccountId,
	/// The deposit held.
	pub deposit: Balance,
	/// Code size in bytes.
	pub size: u32,
	/// Open jobs that run it.
	pub users: u32,
	/// Its owner freed it: no new jobs may use it, and anyone may remove it once unused.
	pub freed: bool,
}

/// Where a job's input comes from.
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
pub enum Input<T: Config> {
	/// The bytes themselves, when small.
	Inline(BoundedVec<u8, T::MaxInlineInput>),
	/// A URL the provider fetches, and the blake2-256 hash the bytes must have.
	Url {
		/// Where to fetch it.
		url: BoundedVec<u8, T::MaxUrlLen>,
		/// blake2-256 of the bytes.
		hash: Hash32,
	},
	/// Registered datasets (the datasets pallet), each paying its owner a royalty when the job
	/// ends with a result. The run's input is `params` followed by each dataset's bytes, in
	/// the order named (a sealed dataset's opened); with `encrypted_input`, `params` is an
	/// input envelope, opened first.
	Datasets {
		/// The requester's own bytes, before the datasets'.
		params: BoundedVec<u8, T::MaxInlineInput>,
		/// The datasets, at most [`MAX_JOB_DATASETS`], each at most once.
		ids: BoundedVec<DatasetId, ConstU32<MAX_JOB_DATASETS>>,
		/// The most the requester pays in royalties: the job is refused if the datasets'
		/// royalties at submission add up to more (an owner raising its royalty just before
		/// the submission is included gains nothing).
		max_royalties: BalanceOf<T>,
	},
}

impl<T: Config> Input<T> {
	/// The datasets the input names.
	pub fn datasets(&self) -> &[DatasetId] {
		match self {
			Input::Datasets { ids, .. } => ids,
			Input::Inline(_) | Input::Url { .. } => &[],
		}
	}
}

/// What a job runs.
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
pub enum Workload<T: Config> {
	/// An uploaded WASM program, run in the worker's sandbox and metered in fuel.
	Wasm {
		/// The program's code hash.
		program: Hash32,
		/// The exported function to call.
		entry: BoundedVec<u8, T::MaxEntryLen>,
		/// The input.
		input: Input<T>,
		/// Most fuel the run may burn.
		fuel_limit: u64,
		/// Most linear memory the module may use, in MiB.
		memory_limit_mib: u32,
	},
	/// A container image, run with no network and metered in wall-clock seconds.
	Container {
		/// The image's sha256 digest.
		image_digest: Hash32,
		/// The command line: its arguments as UTF-8, separated by NUL bytes (see
		/// [`command_line`]); empty for the image's own command.
		command: BoundedVec<u8, T::MaxCommandLen>,
		/// The input, on stdin.
		input: Input<T>,
		/// Most seconds the run may take.
		max_seconds: u32,
	},
}

pub use offload_primitives::{command_args, command_line};

impl<T: Config> Workload<T> {
	/// The runtime the workload needs.
	pub fn kind(&self) -> RuntimeKind {
		match self {
			Workload::Wasm { .. } => RuntimeKind::Wasm,
			Workload::Container { .. } => RuntimeKind::Container,
		}
	}

	/// The most a run may use.
	pub fn max_usage(&self) -> Usage {
		match self {
			Workload::Wasm { fuel_limit, .. } => Usage { fuel: *fuel_limit, seconds: 0 },
			Workload::Container { max_seconds, .. } => Usage { fuel: 0, seconds: *max_seconds },
		}
	}

	/// Its input.
	pub fn input(&self) -> &Input<T> {
		match self {
			Workload::Wasm { input, .. } | Workload::Container { input, .. } => input,
		}
	}

	/// What it runs: the WASM program's code hash, or the container image's digest (what a
	/// dataset's list of allowed programs names).
	pub fn code(&self) -> Hash32 {
		match self {
			Workload::Wasm { program, .. } => *program,
			Workload::Container { image_digest, .. } => *image_digest,
		}
	}

	/// The program it runs, for WASM.
	pub fn program(&self) -> Option<Hash32> {
		match self {
			Workload::Wasm { program, .. } => Some(*program),
			Workload::Container { .. } => None,
		}
	}
}

/// How a job pays each replica.
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
pub enum Pricing<Balance> {
	/// The provider's prices applied to metered usage, at most `budget` per replica.
	PayPerUse {
		/// Most a replica is paid.
		budget: Balance,
	},
	/// Each replica is paid its provider's quote at the job's limits, whatever it used, at most
	/// `price`.
	Fixed {
		/// The most a replica is paid.
		price: Balance,
	},
}

impl<Balance: Copy> Pricing<Balance> {
	/// The most one replica can be paid.
	pub fn cap(&self) -> Balance {
		match self {
			Pricing::PayPerUse { budget } => *budget,
			Pricing::Fixed { price } => *price,
		}
	}
}

/// A job as its requester describes it.
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
pub struct JobSpec<T: Config> {
	/// What to run.
	pub workload: Workload<T>,
	/// What a replica needs of a provider's free capacity.
	pub resources: Resources,
	/// How replicas are paid.
	pub pricing: Pricing<BalanceOf<T>>,
	/// How many providers run it.
	pub replicas: u8,
	/// How many must agree for a result; more than half of `replicas`.
	pub quorum: u8,
	/// Least reputation of a provider.
	pub min_reputation: Permill,
	/// Only verified providers.
	pub verified_only: bool,
	/// The input is encrypted to the provider's x25519 key.
	pub encrypted_input: bool,
	/// Blocks a replica has from acknowledging to delivering its result.
	pub run_blocks: BlockNumberFor<T>,
	/// Blocks the job may wait for providers before it expires.
	pub queue_blocks: BlockNumberFor<T>,
}

/// Metered use of a run.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Usage {
	/// WASM fuel burnt.
	pub fuel: u64,
	/// Wall-clock seconds.
	pub seconds: u32,
}

/// What a replica reports.
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
pub struct Report {
	/// blake2-256 of the output (or, when the run failed, of the failure's reason).
	pub result: Hash32,
	/// Whether the run completed; `false` for a trap, fuel or memory exhaustion, an invalid
	/// module or an input that could not be fetched or did not match its hash.
	pub ok: bool,
	/// What the run used.
	pub usage: Usage,
}

/// Where one replica is.
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
pub enum ReplicaState<BlockNumber> {
	/// Assigned; must acknowledge by `ack_by`.
	Assigned {
		/// Last block to acknowledge.
		ack_by: BlockNumber,
	},
	/// Acknowledged; must deliver (commit, or submit with one replica) by `due`.
	Running {
		/// Last block to deliver.
		due: BlockNumber,
	},
	/// Committed to `commitment` = blake2-256(report ‖ salt ‖ provider), SCALE-encoded.
	Committed {
		/// The commitment.
		commitment: Hash32,
	},
	/// Revealed (or, with one replica, submitted) its report.
	Revealed {
		/// The report.
		report: Report,
	},
}

/// One provider's part in a job.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct Assignment<T: Config> {
	/// The provider.
	pub provider: T::AccountId,
	/// Its prices when it was matched; it is paid by these.
	pub prices: Prices<BalanceOf<T>>,
	/// Where it is.
	pub state: ReplicaState<BlockNumberFor<T>>,
}

/// Where a job is.
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
pub enum Phase<BlockNumber, Balance> {
	/// Fewer providers than replicas are assigned; waits in the queue until `until`.
	Queued {
		/// Last block it may wait.
		until: BlockNumber,
	},
	/// Every replica is assigned.
	Active,
	/// Every replica committed; reveals are open until `reveal_by`.
	Revealing {
		/// Last block to reveal.
		reveal_by: BlockNumber,
	},
	/// Settled at `at`; the record stays (with the requester's deposit) until cleared.
	Settled {
		/// The agreed result, or `None` when no quorum agreed (the requester was refunded).
		result: Option<Hash32>,
		/// Whether the agreed run completed.
		ok: bool,
		/// Paid to providers, fees excluded.
		paid: Balance,
		/// Block of settlement.
		at: BlockNumber,
	},
}

/// A job on chain.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct Job<T: Config> {
	/// Who pays.
	pub requester: T::AccountId,
	/// What was asked.
	pub spec: JobSpec<T>,
	/// Where it is.
	pub phase: Phase<BlockNumberFor<T>, BalanceOf<T>>,
	/// Block of submission.
	pub submitted_at: BlockNumberFor<T>,
	/// The replicas' providers and states.
	pub assignments: BoundedVec<Assignment<T>, T::MaxReplicas>,
	/// Replicas dropped after missing their delivery deadline; the job then needs the quorum
	/// from the rest.
	pub dropped: u8,
	/// Providers that missed a deadline of this job; they are not matched to it again.
	pub excluded: BoundedVec<T::AccountId, ConstU32<8>>,
	/// A dispute of this job's result, once the requester opened one.
	pub dispute: Option<Dispute>,
	/// When this job re-executes another to settle a dispute: that job.
	pub checks: Option<JobId>,
	/// When this job runs on a subscription's reserved capacity: which, and its period.
	pub subscription: Option<OnSubscription<BlockNumberFor<T>>>,
}

/// A job that runs on a subscription: its provider is the subscription's, it pays nothing of
/// its own, and it must end within the period it was submitted in.
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
pub struct OnSubscription<BlockNumber> {
	/// The subscription.
	pub id: SubscriptionId,
	/// The end of the period the job belongs to.
	pub period_end: BlockNumber,
}

/// A dispute of a single-replica job's result: the job is re-executed by other providers.
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
pub enum Dispute {
	/// The re-execution job runs.
	Open(JobId),
	/// The re-execution disagreed with the result: the provider was slashed.
	Upheld(JobId),
	/// The re-execution agreed with the result, or reached no result: the requester bore its
	/// cost.
	Rejected(JobId),
}

impl<T: Config> Job<T> {
	/// Replicas still expected to deliver.
	pub fn target(&self) -> u8 {
		self.spec.replicas.saturating_sub(self.dropped)
	}

	/// The assignment of `who`.
	pub fn assignment_of(&self, who: &T::AccountId) -> Option<usize> {
		self.assignments.iter().position(|assignment| &assignment.provider == who)
	}

	/// Whether the job has ended.
	pub fn is_settled(&self) -> bool {
		matches!(self.phase, Phase::Settled { .. })
	}

	/// Whether [`Pallet::expire`](crate::Pallet::expire) in a block numbered `now` acts on the
	/// job: its reveals are closed, its wait in the queue is over, or a replica missed its
	/// acknowledgement or its run. Keepers (and `offload watch`) check this before calling.
	pub fn expirable_at(&self, now: BlockNumberFor<T>) -> bool {
		match self.phase {
			Phase::Settled { .. } => false,
			Phase::Revealing { reveal_by } => now > reveal_by,
			Phase::Queued { until } if now > until => true,
			Phase::Queued { .. } | Phase::Active => {
				self.assignments.iter().any(|assignment| match assignment.state {
					ReplicaState::Assigned { ack_by } => now > ack_by,
					ReplicaState::Running { due } => now > due,
					ReplicaState::Committed { .. } | ReplicaState::Revealed { .. } => false,
				})
			},
		}
	}
}

/// Market totals. Jobs submitted, ever, are `NextJobId`: every submission takes the next id.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Stats<Balance> {
	/// Jobs settled with a result, ever.
	pub settled: u64,
	/// Jobs refunded without a result (cancelled, expired, no quorum), ever.
	pub refunded: u64,
	/// Paid to providers, fees excluded, ever.
	pub total_paid: Balance,
}

/// The most bytes of a grant of a sealed input to a dispute's re-executors: a header of 69
/// bytes and 80 per re-executor, room for 16.
pub type MaxGrantLen = ConstU32<{ 5 + 32 + 32 + 1 + 16 * 80 }>;
