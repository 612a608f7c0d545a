//! # Offload primitives
//!
//! What Offload's pallets share without naming each other: the outcome of a job for a provider,
//! the reputation formula ([`reputation`]), and the traits through which the pallets reach one
//! another. Each trait is implemented by one pallet and wired in the runtime; `()`
//! implementations serve mocks. Also the pure helpers the provider worker computes exactly as
//! the pallets do (a result's commitment, a container's command line), so the worker need not
//! link the runtime.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod reputation;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{DispatchError, DispatchResult, Permill};

/// Decimals of the token: one OFL is 10^12 plancks.
pub const TOKEN_DECIMALS: u8 = 12;
/// One OFL, in plancks.
pub const UNIT: u128 = 10u128.pow(TOKEN_DECIMALS as u32);

/// The largest output a job may produce, in bytes, on every provider alike. An output over it
/// is the job's failure (`output-too-large`), a result honest replicas agree on; a provider that
/// keeps less gives the replica back instead of reporting it.
pub const MAX_OUTPUT_BYTES: usize = 1 << 20;

/// The largest program a requester may upload, in bytes (the runtime's `MaxCodeLen`). A worker
/// compiles nothing larger.
pub const MAX_PROGRAM_BYTES: u32 = 512 * 1024;

/// How a job ended for one provider; reputation is computed from these.
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
pub enum Outcome {
	/// Delivered a result the job accepted (alone, or agreeing with the quorum).
	Success,
	/// Delivered, but after the deadline.
	Late,
	/// Ran the job and reported a failure, or the result was rejected.
	Failure,
	/// Was assigned the job and never acknowledged it or never delivered.
	NoShow,
	/// Revealed a result that disagreed with the quorum, or lost a dispute.
	Fraud,
}

/// Reads and updates providers' reputation.
pub trait ReputationOf<AccountId> {
	/// The provider's current score (50% for a provider with no history).
	fn score(who: &AccountId) -> Permill;
	/// Records that a job whose payment (in plancks) was or would have been `payment` ended in
	/// `outcome` for `who`.
	fn record(who: &AccountId, outcome: Outcome, payment: u128);
}

/// Everyone has the neutral score; nothing is recorded. For mocks.
impl<AccountId> ReputationOf<AccountId> for () {
	fn score(_: &AccountId) -> Permill {
		Permill::from_percent(50)
	}
	fn record(_: &AccountId, _: Outcome, _: u128) {}
}

/// Providers' reputation records as the registry reads them: it keeps a copy of each provider's
/// record beside the provider, so that matching scores candidates without reading another
/// pallet's storage. Implemented by the reputation pallet.
pub trait ReputationRecords<AccountId, BlockNumber> {
	/// `who`'s record; the empty record (the neutral score) if it has no history.
	fn record_of(who: &AccountId) -> reputation::Record<BlockNumber>;
	/// The score `record` gives at block `now`.
	fn score_at(record: &reputation::Record<BlockNumber>, now: BlockNumber) -> Permill;
}

/// Nobody has history; every record scores 50%. For mocks.
impl<AccountId, BlockNumber: Default> ReputationRecords<AccountId, BlockNumber> for () {
	fn record_of(_: &AccountId) -> reputation::Record<BlockNumber> {
		Default::default()
	}
	fn score_at(_: &reputation::Record<BlockNumber>, _: BlockNumber) -> Permill {
		Permill::from_percent(50)
	}
}

/// Told of every change of a provider's reputation record, to keep copies of it current.
/// Implemented by the registry.
pub trait OnReputationChange<AccountId, BlockNumber> {
	/// `who`'s record is now `record` (the empty record once it was pruned).
	fn changed(who: &AccountId, record: &reputation::Record<BlockNumber>);
}

/// Nobody keeps a copy. For mocks.
impl<AccountId, BlockNumber> OnReputationChange<AccountId, BlockNumber> for () {
	fn changed(_: &AccountId, _: &reputation::Record<BlockNumber>) {}
}

/// What the reward pool learns of the market's work and the providers' uptime. Neither method
/// fails: a reward is never a reason to refuse a payment or a heartbeat.
pub trait RewardWork<AccountId, Balance, BlockNumber> {
	/// `provider` was paid `amount` out of `requester`'s job, and the payment carried the
	/// protocol fee `fee` (already in the treasury).
	fn work_settled(provider: &AccountId, requester: &AccountId, amount: Balance, fee: Balance);

	/// `provider`, active and taking jobs, was live over the blocks after `from` up to `to`.
	fn live(provider: &AccountId, from: BlockNumber, to: BlockNumber);
}

/// No rewards. For mocks.
impl<AccountId, Balance, BlockNumber> RewardWork<AccountId, Balance, BlockNumber> for () {
	fn work_settled(_: &AccountId, _: &AccountId, _: Balance, _: Balance) {}
	fn live(_: &AccountId, _: BlockNumber, _: BlockNumber) {}
}

/// Both are told: the reward pool and the subscriptions, which count uptime too.
impl<AccountId, Balance: Copy, BlockNumber: Copy, A, B> RewardWork<AccountId, Balance, BlockNumber>
	for (A, B)
where
	A: RewardWork<AccountId, Balance, BlockNumber>,
	B: RewardWork<AccountId, Balance, BlockNumber>,
{
	fn work_settled(provider: &AccountId, requester: &AccountId, amount: Balance, fee: Balance) {
		A::work_settled(provider, requester, amount, fee);
		B::work_settled(provider, requester, amount, fee);
	}

	fn live(provider: &AccountId, from: BlockNumber, to: BlockNumber) {
		A::live(provider, from, to);
		B::live(provider, from, to);
	}
}

/// Identifier of a job.
pub type JobId = u64;

/// What a payment out of a job's escrow moved.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Payout<Balance> {
	/// To the provider.
	pub to_provider: Balance,
	/// The protocol fee, to the treasury.
	pub fee: Balance,
}

/// Moves money for jobs and provider bonds. Requesters' funds and providers' bonds stay in their
/// own accounts, held under a reason, from the moment they are committed until they are paid,
/// refunded or slashed.
pub trait JobEscrow<AccountId, Balance> {
	/// What the requester must hold to pay `replicas` replicas up to `cap` each: per replica,
	/// the cap plus the fee on the cap. The fee is held per replica because it is charged per
	/// replica, and the fee is monotone in the amount, so no set of payments of at most `cap`
	/// each can need more fee than is held, whatever the rounding.
	fn with_fee(cap: Balance, replicas: u32) -> Result<Balance, DispatchError>;

	/// Holds [`Self::with_fee`]`(cap, replicas)` plus `deposit` (no fee on it) of
	/// `requester`'s funds for `job`.
	fn hold_for_job(
		job: JobId,
		requester: &AccountId,
		cap: Balance,
		replicas: u32,
		deposit: Balance,
	) -> DispatchResult;

	/// Pays `provider` `amount` out of `job`'s hold and the fee on it to the treasury.
	fn pay(
		job: JobId,
		provider: &AccountId,
		amount: Balance,
	) -> Result<Payout<Balance>, DispatchError>;

	/// Moves `amount` of `job`'s hold to `to` with no fee (a dispute bond, a caller's reward).
	fn transfer_from_job(
		job: JobId,
		to: &AccountId,
		amount: Balance,
	) -> Result<Balance, DispatchError>;

	/// Releases what is left of `job`'s hold to its requester and closes the escrow; returns the
	/// amount released.
	fn refund(job: JobId) -> Result<Balance, DispatchError>;

	/// Releases all but `keep` of `job`'s hold to its requester; the escrow stays open with
	/// `keep`. Returns the amount released.
	fn refund_keeping(job: JobId, keep: Balance) -> Result<Balance, DispatchError>;

	/// What is still held for `job`.
	fn held_for(job: JobId) -> Balance;

	/// Holds `amount` more of `provider`'s funds as its bond.
	fn hold_bond(provider: &AccountId, amount: Balance) -> DispatchResult;

	/// Releases `amount` of `provider`'s bond.
	fn release_bond(provider: &AccountId, amount: Balance) -> DispatchResult;

	/// Slashes up to `amount` of `provider`'s bond: `compensation` of it goes to `harmed`, the
	/// rest to the treasury. Returns what was slashed.
	fn slash_bond(
		provider: &AccountId,
		amount: Balance,
		harmed: &AccountId,
		compensation: Balance,
	) -> Result<Balance, DispatchError>;

	/// `provider`'s bond.
	fn bond_of(provider: &AccountId) -> Balance;
}

/// Identifier of a subscription.
pub type SubscriptionId = u64;

/// Moves money for subscriptions: a requester prepays periods (each period's price plus the
/// fee on it), held in its own account under a reason of its own until each period is paid
/// to the provider or refunded.
pub trait PeriodEscrow<AccountId, Balance> {
	/// What `periods` periods at `price` each cost with the fee on each.
	fn periods_with_fee(price: Balance, periods: u32) -> Result<Balance, DispatchError>;

	/// Holds [`Self::periods_with_fee`]`(price, periods)` more of `requester`'s funds for
	/// `subscription` (opening its escrow, or adding to it on a renewal).
	fn hold_periods(
		subscription: SubscriptionId,
		requester: &AccountId,
		price: Balance,
		periods: u32,
	) -> DispatchResult;

	/// Pays `provider` one period's `price` out of `subscription`'s hold and the fee on it to
	/// the treasury.
	fn pay_period(
		subscription: SubscriptionId,
		provider: &AccountId,
		price: Balance,
	) -> Result<Payout<Balance>, DispatchError>;

	/// Gives one period's `price` and the fee held on it back to the requester; returns the
	/// amount released.
	fn refund_period(
		subscription: SubscriptionId,
		price: Balance,
	) -> Result<Balance, DispatchError>;

	/// Releases what is left of `subscription`'s hold to its requester and closes the
	/// escrow; returns the amount released.
	fn close_periods(subscription: SubscriptionId) -> Result<Balance, DispatchError>;

	/// What is still held for `subscription`.
	fn held_for_periods(subscription: SubscriptionId) -> Balance;
}

/// Compute resources: what a provider offers, what a job needs, what is free.
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
pub struct Resources {
	/// CPU, in thousandths of a core.
	pub cpu_millicores: u32,
	/// Memory, in MiB.
	pub memory_mib: u32,
	/// Scratch storage, in GiB.
	pub storage_gib: u32,
	/// GPUs.
	pub gpus: u16,
}

impl Resources {
	/// Whether `self` fits within `available`, in every dimension.
	pub fn fits_in(&self, available: &Self) -> bool {
		self.cpu_millicores <= available.cpu_millicores
			&& self.memory_mib <= available.memory_mib
			&& self.storage_gib <= available.storage_gib
			&& self.gpus <= available.gpus
	}

	/// `self - other`, if no dimension goes negative.
	pub fn checked_sub(&self, other: &Self) -> Option<Self> {
		Some(Self {
			cpu_millicores: self.cpu_millicores.checked_sub(other.cpu_millicores)?,
			memory_mib: self.memory_mib.checked_sub(other.memory_mib)?,
			storage_gib: self.storage_gib.checked_sub(other.storage_gib)?,
			gpus: self.gpus.checked_sub(other.gpus)?,
		})
	}

	/// `self + other`, if no dimension overflows.
	pub fn checked_add(&self, other: &Self) -> Option<Self> {
		Some(Self {
			cpu_millicores: self.cpu_millicores.checked_add(other.cpu_millicores)?,
			memory_mib: self.memory_mib.checked_add(other.memory_mib)?,
			storage_gib: self.storage_gib.checked_add(other.storage_gib)?,
			gpus: self.gpus.checked_add(other.gpus)?,
		})
	}
}

/// Where a job runs.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum RuntimeKind {
	/// A WASM module in the worker's wasmtime sandbox, metered in fuel.
	Wasm,
	/// A container image, metered in wall-clock seconds.
	Container,
}

impl RuntimeKind {
	/// Both kinds.
	pub const ALL: [RuntimeKind; 2] = [RuntimeKind::Wasm, RuntimeKind::Container];
}

/// A provider's prices.
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
pub struct Prices<Balance> {
	/// Per million units of WASM fuel.
	pub per_million_fuel: Balance,
	/// Per second of container wall-clock time.
	pub per_second: Balance,
	/// Per job, on top of usage.
	pub base_per_job: Balance,
}

/// Whether a provider is verified (e.g. holds a positive identity judgement).
pub trait VerifiedProvider<AccountId> {
	/// `true` if `who` is verified.
	fn is_verified(who: &AccountId) -> bool;
}

/// Nobody is verified by this source. For mocks, and runtimes with only the admin flag.
impl<AccountId> VerifiedProvider<AccountId> for () {
	fn is_verified(_: &AccountId) -> bool {
		false
	}
}

/// What the market sees of a provider when it matches a job.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Candidate<AccountId, Balance> {
	/// The provider.
	pub who: AccountId,
	/// Its prices.
	pub prices: Prices<Balance>,
	/// Its resources not used by running jobs.
	pub free: Resources,
	/// Whether the admin flagged it verified. Other sources of verification (identity
	/// judgements) are asked through [`ProviderRegistry::is_verified`] only when a job needs
	/// them, so matching does not read them for every candidate.
	pub verified: bool,
	/// Whether its offer publishes a key for sealed inputs (a non-zero x25519 key).
	pub sealed_inputs: bool,
	/// Its reputation score now, from the registry's copy of its record.
	pub score: Permill,
	/// How much more job value it may take on: its bond times the exposure factor, less
	/// the value (caps) of its open jobs.
	pub headroom: Balance,
}

/// The registry as the market uses it: candidates for a job, and capacity taken and given back.
pub trait ProviderRegistry<AccountId, Balance> {
	/// Providers that take `kind` jobs now and that `eligible` accepts, cheapest price band
	/// first, up to bands whose unit price (per million fuel, or per second) can be at most
	/// `max_unit_price`; at most `limit` of them. Reads a bounded number of index pages, so the
	/// cost does not grow with the number of providers. Only accepted candidates count
	/// against `limit`, so providers that cannot take the job (too small, too dear, excluded)
	/// do not use up the scan before one that can is reached. Providers whose heartbeat
	/// expired are left out.
	fn candidates(
		kind: RuntimeKind,
		max_unit_price: Balance,
		limit: u32,
		eligible: impl FnMut(&Candidate<AccountId, Balance>) -> bool,
	) -> Vec<Candidate<AccountId, Balance>>;

	/// Up to `count` providers that take `kind` jobs now and that `eligible` accepts, drawn at
	/// random from `seed` among every indexed provider of bands up to `max_unit_price` (not
	/// only the cheapest, as [`ProviderRegistry::candidates`] gives): each is as likely to be
	/// drawn as any other, whatever its price, so accounts registered to be cheapest gain
	/// nothing. Looks at `looks` index entries at most, each a page read at most, so when the
	/// eligible are few it may find fewer than `count`.
	fn sample(
		kind: RuntimeKind,
		max_unit_price: Balance,
		seed: &[u8],
		count: u32,
		looks: u32,
		eligible: impl FnMut(&Candidate<AccountId, Balance>) -> bool,
	) -> Vec<Candidate<AccountId, Balance>>;

	/// Whether `who` is verified, by any source.
	fn is_verified(who: &AccountId) -> bool;

	/// Whether `who` is a registered provider (in any status).
	fn is_registered(who: &AccountId) -> bool;

	/// The provider as a candidate, if it is registered and can take one more job now.
	fn candidate(who: &AccountId) -> Option<Candidate<AccountId, Balance>>;

	/// Takes `needs` of `who`'s free capacity, one job slot, and `value` (the job's most a
	/// replica is paid) of its headroom; fails if its open jobs would then be worth more than
	/// its bond backs.
	fn reserve(who: &AccountId, needs: &Resources, value: Balance) -> DispatchResult;

	/// Gives back what [`ProviderRegistry::reserve`] took.
	fn release(who: &AccountId, needs: &Resources, value: Balance) -> DispatchResult;

	/// `who`'s bond changed outside the registry (a slash): a provider left with less than the
	/// minimum bond stops being matched until it adds to its bond and resumes.
	fn bond_changed(who: &AccountId) -> DispatchResult;

	/// What `who` has taken on: its open jobs, the resources they reserve and their value (for
	/// invariant checks against the market's assignments). `None` if not registered.
	fn in_use(who: &AccountId) -> Option<(u32, Resources, Balance)>;

	/// Whether `who` still serves what it took on: registered, not leaving, and bonded at
	/// least the minimum (a paused provider still serves, if badly).
	fn in_service(who: &AccountId) -> bool;
}

/// Capacity taken from providers outside the market's jobs (subscriptions'), for the
/// market's invariant check that what the registry counts as taken is what was taken.
pub trait Reservations<AccountId, Balance> {
	/// What `who` has reserved outside the market: job slots, resources and value.
	fn reserved(who: &AccountId) -> (u32, Resources, Balance);
}

/// Nothing reserved outside the market.
impl<AccountId, Balance: Default> Reservations<AccountId, Balance> for () {
	fn reserved(_: &AccountId) -> (u32, Resources, Balance) {
		Default::default()
	}
}

/// Capacity rented by the period (subscriptions), in which its requester's jobs run without
/// matching or price: the market asks it for the provider and takes each job's resources out
/// of it. A job of a subscription lives within one period; a job of the running period still
/// open when the period settles, or one whose provider missed a deadline, fails the period.
pub trait SubscribedCapacity<AccountId, BlockNumber> {
	/// Takes `resources` for a job of `requester` running `kind` out of subscription `id`'s
	/// free capacity, for a job whose last deadline is `last` (it must fall before the running
	/// period's end). Returns the provider and the running period's end, which names the
	/// period the job belongs to.
	fn take(
		id: SubscriptionId,
		requester: &AccountId,
		kind: RuntimeKind,
		resources: &Resources,
		last: BlockNumber,
	) -> Result<(AccountId, BlockNumber), DispatchError>;

	/// A job of `id`'s period ending at `period_end` ended: its `resources` come back. `missed`:
	/// its provider missed a deadline of it, which fails the period. A job of a period already
	/// settled (or of an ended subscription) changes nothing: it was counted then.
	fn job_ended(id: SubscriptionId, period_end: BlockNumber, resources: &Resources, missed: bool);

	/// The running period's end of `id`, its open jobs and the resources they take: for the
	/// market's invariant check. `None` if `id` has ended.
	fn in_use(id: SubscriptionId) -> Option<(BlockNumber, u32, Resources)>;
}

/// No subscriptions: no job runs on one.
impl<AccountId, BlockNumber> SubscribedCapacity<AccountId, BlockNumber> for () {
	fn take(
		_: SubscriptionId,
		_: &AccountId,
		_: RuntimeKind,
		_: &Resources,
		_: BlockNumber,
	) -> Result<(AccountId, BlockNumber), DispatchError> {
		Err(DispatchError::Other("no subscriptions in this runtime"))
	}
	fn job_ended(_: SubscriptionId, _: BlockNumber, _: &Resources, _: bool) {}
	fn in_use(_: SubscriptionId) -> Option<(BlockNumber, u32, Resources)> {
		None
	}
}

/// Identifier of a dataset.
pub type DatasetId = u64;

/// The most datasets one job may name.
pub const MAX_JOB_DATASETS: u32 = 4;

/// Datasets as the market uses them: a job that names datasets has each checked and its
/// royalties held with its funds at submission; when the job ends, the royalties are paid to
/// the datasets' owners out of the job's escrow if it ended with a result, and otherwise stay
/// there to be refunded with the rest.
pub trait DatasetRoyalties<AccountId, Balance> {
	/// What a job running `code` (a WASM program's hash, or a container image's digest) over
	/// `datasets` would pay in royalties now; refused for an unknown or retired dataset, one
	/// named twice, or one that does not allow `code`.
	fn quote(datasets: &[DatasetId], code: &[u8; 32]) -> Result<Balance, DispatchError>;

	/// Job `job`, running `code` over `datasets`, starts: checks them as [`Self::quote`] does,
	/// counts the use and records the royalties due. When `royalty_free` (a dispute's
	/// re-execution of a job that paid them) none are due, and a dataset retired, or no longer
	/// allowing `code`, since the disputed job's submission is still used. Returns what the
	/// job must hold for them.
	fn start(
		job: JobId,
		datasets: &[DatasetId],
		code: &[u8; 32],
		royalty_free: bool,
	) -> Result<Balance, DispatchError>;

	/// Job `job` ended: with a result (`with_result`), each owner is paid its royalty out of
	/// the job's escrow; either way the use ends. Returns what was paid. Nothing for a job
	/// that named no dataset.
	fn end(job: JobId, with_result: bool) -> Result<Balance, DispatchError>;

	/// The royalties `job` still holds, for the market's invariant check.
	fn held(job: JobId) -> Balance;

	/// The weight of [`Self::start`] over `n` datasets.
	fn start_weight(n: u32) -> sp_runtime::Weight;

	/// The weight of [`Self::end`] of a job over `n` datasets.
	fn end_weight(n: u32) -> sp_runtime::Weight;
}

/// No datasets: a job naming one is refused.
impl<AccountId, Balance: Default> DatasetRoyalties<AccountId, Balance> for () {
	fn quote(datasets: &[DatasetId], _: &[u8; 32]) -> Result<Balance, DispatchError> {
		if datasets.is_empty() {
			Ok(Balance::default())
		} else {
			Err(DispatchError::Other("no datasets in this runtime"))
		}
	}
	fn start(
		_: JobId,
		datasets: &[DatasetId],
		code: &[u8; 32],
		_: bool,
	) -> Result<Balance, DispatchError> {
		<() as DatasetRoyalties<AccountId, Balance>>::quote(datasets, code)
	}
	fn end(_: JobId, _: bool) -> Result<Balance, DispatchError> {
		Ok(Balance::default())
	}
	fn held(_: JobId) -> Balance {
		Balance::default()
	}
	fn start_weight(_: u32) -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
	fn end_weight(_: u32) -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
}

/// The x25519 public keys of low order, as 32 bytes little-endian with the top bit clear (the
/// list libsodium refuses): 0, 1, the two points of order 8, and p − 1, p, p + 1. With any of
/// them, every secret agrees on the same shared value, so what is sealed to it is open to all.
pub const LOW_ORDER_X25519: [[u8; 32]; 7] = {
	let mut points = [[0u8; 32]; 7];
	points[1][0] = 1;
	points[2] = [
		0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
		0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
		0xb8, 0x00,
	];
	points[3] = [
		0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
		0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
		0x11, 0x57,
	];
	let mut i = 4;
	while i < 7 {
		let mut point = [0xffu8; 32];
		point[31] = 0x7f;
		point[0] = 0xec + (i as u8 - 4);
		points[i] = point;
		i += 1;
	}
	points
};

/// Whether `key` is an x25519 public key of low order ([`LOW_ORDER_X25519`]; x25519 ignores
/// the top bit, so a key with it set is the same point).
pub fn is_low_order_x25519(key: &[u8; 32]) -> bool {
	let mut point = *key;
	point[31] &= 0x7f;
	LOW_ORDER_X25519.contains(&point)
}

/// Draw number `round` from `seed`: a number below `span` (0 when `span` is 0), each as likely
/// as any other. A 256-bit hash's low 128 bits modulo `span`: for spans up to 2^32 the bias is
/// below 2^-96.
pub fn pick(seed: &[u8], round: u32, span: u128) -> u128 {
	use sp_runtime::traits::{BlakeTwo256, Hash};
	let hash = BlakeTwo256::hash(&(seed, round).encode());
	let mut wide = [0u8; 16];
	wide.copy_from_slice(&hash.as_bytes()[..16]);
	u128::from_le_bytes(wide).checked_rem(span).unwrap_or(0)
}

/// The commitment of `provider` to a result `report` with `salt`: the BLAKE2-256 hash of their
/// SCALE encoding, which the market checks a reveal against.
pub fn commitment(report: &impl Encode, salt: &[u8; 32], provider: &impl Encode) -> [u8; 32] {
	use sp_runtime::traits::{BlakeTwo256, Hash};
	BlakeTwo256::hash(&(report, salt, provider).encode()).0
}

/// A container's command line as the chain holds it: `args` joined by NUL bytes.
pub fn command_line<S: AsRef<str>>(args: &[S]) -> Vec<u8> {
	let mut line = Vec::new();
	for (i, arg) in args.iter().enumerate() {
		if i > 0 {
			line.push(0);
		}
		line.extend_from_slice(arg.as_ref().as_bytes());
	}
	line
}

/// The arguments of a container's command line (empty for the image's own command), or `None`
/// if it is not UTF-8.
pub fn command_args(line: &[u8]) -> Option<Vec<alloc::string::String>> {
	if line.is_empty() {
		return Some(Vec::new());
	}
	line.split(|byte| *byte == 0)
		.map(|arg| alloc::string::String::from_utf8(arg.to_vec()).ok())
		.collect()
}
