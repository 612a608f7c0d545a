//! The compute market: escrow, registry, reputation, market, subscriptions and datasets, and the treasury
//! account that
//! receives protocol fees, the unpaid part of slashes, and transaction fees (the treasury pallet
//! and the reward pool are configured in `treasury.rs`).

use crate::{
	weights, AccountId, Balance, Balances, Datasets, Escrow, Registry, Reputation, Rewards,
	Runtime, RuntimeHoldReason, Subscriptions, DAYS, HOURS, MICRO_UNIT, MILLI_SECS_PER_BLOCK,
	MILLI_UNIT, MINUTES, UNIT,
};
use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32},
	PalletId,
};
use frame_system::EnsureRoot;
use offload_primitives::VerifiedProvider;
use pallet_identity::Judgement;
use sp_runtime::{
	traits::{AccountIdConversion, BlakeTwo256, Hash as _},
	Perbill,
};

/// The treasury's pallet id; its account is derived from it.
pub const TREASURY_PALLET_ID: PalletId = PalletId(*b"ofl/trsy");

parameter_types! {
	/// The treasury's account: protocol fees, slashes not paid to requesters, transaction fees.
	pub TreasuryAccount: AccountId = TREASURY_PALLET_ID.into_account_truncating();
}

/// A provider is verified when any registrar judged its identity `Reasonable` or `KnownGood`.
pub struct PositiveJudgement;
impl VerifiedProvider<AccountId> for PositiveJudgement {
	fn is_verified(who: &AccountId) -> bool {
		pallet_identity::IdentityOf::<Runtime>::get(who).is_some_and(|registration| {
			registration.judgements.iter().any(|(_, judgement)| {
				matches!(judgement, Judgement::Reasonable | Judgement::KnownGood)
			})
		})
	}
}

/// The relay chain's randomness, read from the relay state proof that came with this block's
/// validation data: the BABE VRF output of the relay parent block (the randomness of one epoch
/// ago where that is missing), hashed with the subject. It is known from the relay parent's
/// number on, which is the block number returned. Neither a requester nor a provider can know
/// it before that relay block is made; a relay block author can choose only whether to make
/// its block, and a collator only whether to build on it.
pub struct RelayRandomness;

impl frame_support::traits::Randomness<crate::Hash, crate::BlockNumber> for RelayRandomness {
	fn random(subject: &[u8]) -> (crate::Hash, crate::BlockNumber) {
		use cumulus_pallet_parachain_system::{
			RelayChainStateProof, RelayStateProof, ValidationData,
		};
		use cumulus_primitives_core::relay_chain::well_known_keys;
		let Some(data) = ValidationData::<Runtime>::get() else {
			// Only before this block's validation data arrives (genesis, benchmarks): the
			// parent block's hash, which its author chose.
			let parent = frame_system::Pallet::<Runtime>::parent_hash();
			let hash = BlakeTwo256::hash_of(&(b"offload/parent", parent, subject));
			return (hash, frame_system::Pallet::<Runtime>::block_number());
		};
		let randomness = RelayStateProof::<Runtime>::get()
			.and_then(|proof| {
				let para = crate::ParachainInfo::parachain_id();
				RelayChainStateProof::new(para, data.relay_parent_storage_root, proof).ok()
			})
			.and_then(|relay| {
				let current = relay
					.read_optional_entry::<Option<[u8; 32]>>(
						well_known_keys::CURRENT_BLOCK_RANDOMNESS,
					)
					.ok()
					.flatten()
					.flatten();
				current.or_else(|| {
					relay
						.read_optional_entry::<[u8; 32]>(well_known_keys::ONE_EPOCH_AGO_RANDOMNESS)
						.ok()
						.flatten()
				})
			})
			.unwrap_or_default();
		(BlakeTwo256::hash_of(&(b"offload/relay", randomness, subject)), data.relay_parent_number)
	}
}

parameter_types! {
	/// 2% of every payment, paid by the requester on top.
	pub const ProtocolFee: Perbill = Perbill::from_percent(2);
	/// Every paid replica carries at least a milli-OFL of fee, so reputation cannot be traded
	/// between two accounts for nothing.
	pub const MinFee: Balance = MILLI_UNIT;
	/// A provider bonds at least 100 OFL.
	pub const MinBond: Balance = 100 * UNIT;
	/// Unmatched 10 minutes after its last heartbeat (at 6 s blocks).
	pub const HeartbeatTimeout: u32 = 10 * MINUTES;
	/// A provider's open jobs may be worth at most its bond: cheating on all of them at once
	/// cannot earn more than can be slashed.
	pub const ExposureFactor: u32 = 1;
	/// A week between deregistering and taking the bond back.
	pub const UnbondingPeriod: u32 = 7 * DAYS;
	/// Old outcomes weigh half after 30 days.
	pub const HalfLife: u32 = 30 * DAYS;
	/// 1 OFL per program, plus the per-byte deposit.
	pub const ProgramDepositBase: Balance = UNIT;
	/// 10 µOFL per byte of code (5 OFL for 512 KiB).
	pub const ProgramDepositPerByte: Balance = 10 * MICRO_UNIT;
	/// Ten blocks to acknowledge an assignment.
	pub const AckTimeout: u32 = 10;
	/// Twenty blocks to reveal once all replicas committed.
	pub const RevealTimeout: u32 = 20;
	/// A run may take a day.
	pub const MaxRunBlocks: u32 = DAYS;
	/// A job may wait a day for providers.
	pub const MaxQueueBlocks: u32 = DAYS;
	/// A single-replica result can be disputed for an hour.
	pub const ChallengePeriod: u32 = HOURS;
	/// A settled job's record stays a week.
	pub const Retention: u32 = 7 * DAYS;
	/// 0.1 OFL held per job until its record is cleared.
	pub const JobDeposit: Balance = 100 * MILLI_UNIT;
	/// A result against the quorum costs a fifth of the bond.
	pub const FraudSlash: Perbill = Perbill::from_percent(20);
	/// A rejected result costs at least twice the job's value.
	pub const FraudValueMultiple: u32 = 2;
	/// A result never delivered costs 2% of the bond.
	pub const NoShowSlash: Perbill = Perbill::from_percent(2);
	/// Half of a slash compensates the requester.
	pub const Compensation: Perbill = Perbill::from_percent(50);
	/// 0.1 OFL held per subscription while its record exists.
	pub const SubscriptionDeposit: Balance = 100 * MILLI_UNIT;
	/// Periods of 20 minutes at least: twice the heartbeat timeout, which a paid period may
	/// miss.
	pub const MinPeriod: u32 = 20 * MINUTES;
	/// A period lasts a month at most.
	pub const MaxPeriod: u32 = 30 * DAYS;
	/// Milliseconds per block, to price periods by the second.
	pub const MillisPerBlock: u64 = MILLI_SECS_PER_BLOCK;
}

impl pallet_offload_escrow::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ProtocolFee = ProtocolFee;
	type MinFee = MinFee;
	type Treasury = TreasuryAccount;
}

impl pallet_offload_registry::Config for Runtime {
	type Balance = Balance;
	type Escrow = Escrow;
	type Reputation = Reputation;
	type Verifier = PositiveJudgement;
	// Heartbeats count as uptime for the reward pool and for subscriptions' service level.
	type Rewards = (Rewards, Subscriptions);
	type AdminOrigin = EnsureRoot<AccountId>;
	type MinBond = MinBond;
	type MaxEndpointLen = ConstU32<256>;
	type IndexPageSize = ConstU32<16>;
	type MaxScanPages = ConstU32<4>;
	type HeartbeatTimeout = HeartbeatTimeout;
	type UnbondingPeriod = UnbondingPeriod;
	type ExposureFactor = ExposureFactor;
	type WeightInfo = weights::pallet_offload_registry::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmarks::Helper;
}

impl pallet_offload_reputation::Config for Runtime {
	type HalfLife = HalfLife;
	type SizeUnit = ConstU128<MILLI_UNIT>;
	type OnChange = Registry;
	type WeightInfo = weights::pallet_offload_reputation::WeightInfo<Runtime>;
}

impl pallet_offload_market::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Escrow = Escrow;
	type Registry = Registry;
	type Reputation = Reputation;
	type Rewards = Rewards;
	type Reservations = Subscriptions;
	type Subscriptions = Subscriptions;
	type Datasets = Datasets;
	type MaxCodeLen = ConstU32<{ offload_primitives::MAX_PROGRAM_BYTES }>;
	type ProgramDepositBase = ProgramDepositBase;
	type ProgramDepositPerByte = ProgramDepositPerByte;
	type MaxInlineInput = ConstU32<1024>;
	type MaxUrlLen = ConstU32<256>;
	type MaxEntryLen = ConstU32<64>;
	type MaxCommandLen = ConstU32<256>;
	type MaxReplicas = ConstU32<7>;
	type MaxQueued = ConstU32<128>;
	type MaxQueuedPerAccount = ConstU32<8>;
	type MaxScan = ConstU32<32>;
	type AckTimeout = AckTimeout;
	type RevealTimeout = RevealTimeout;
	type MaxRunBlocks = MaxRunBlocks;
	type MaxQueueBlocks = MaxQueueBlocks;
	type Retention = Retention;
	type ChallengePeriod = ChallengePeriod;
	type DisputeReplicas = ConstU32<3>;
	type Randomness = RelayRandomness;
	type JobDeposit = JobDeposit;
	type FraudSlash = FraudSlash;
	type FraudValueMultiple = FraudValueMultiple;
	type NoShowSlash = NoShowSlash;
	type Compensation = Compensation;
	type WeightInfo = weights::pallet_offload_market::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmarks::Helper;
}

impl pallet_offload_subscriptions::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Escrow = Escrow;
	type Registry = Registry;
	type Reputation = Reputation;
	type Rewards = Rewards;
	type Deposit = SubscriptionDeposit;
	type MinPeriod = MinPeriod;
	type MaxPeriod = MaxPeriod;
	type MaxPeriods = ConstU32<64>;
	// A provider may be silent at most one heartbeat timeout in a period it is paid for.
	type UptimeSlack = HeartbeatTimeout;
	type MaxEndsPerBlock = ConstU32<16>;
	type MaxPerRequester = ConstU32<16>;
	// A worker runs its jobs in parallel up to its slots; sixteen at once is what a large
	// machine rents out whole.
	type MaxOpenJobs = ConstU32<16>;
	type MaxScan = ConstU32<32>;
	type MillisPerBlock = MillisPerBlock;
	type WeightInfo = weights::pallet_offload_subscriptions::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmarks::Helper;
}

parameter_types! {
	/// 0.1 OFL per dataset record, as for a job or a subscription.
	pub const DatasetDepositBase: Balance = 100 * MILLI_UNIT;
	/// 10 µOFL per byte of location and program list, as for program code.
	pub const DatasetDepositPerByte: Balance = 10 * MICRO_UNIT;
}

impl pallet_offload_datasets::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Escrow = Escrow;
	type DepositBase = DatasetDepositBase;
	type DepositPerByte = DatasetDepositPerByte;
	type MaxLocationLen = ConstU32<256>;
	type MaxPrograms = ConstU32<8>;
	type WeightInfo = weights::pallet_offload_datasets::WeightInfo<Runtime>;
}

/// What the compute pallets' benchmarks need from this runtime.
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarks {
	use super::*;
	use frame_support::{traits::fungible::Mutate, BoundedVec};
	use offload_primitives::{Prices, Resources};

	/// Funds accounts through balances and registers providers through the registry.
	pub struct Helper;

	impl pallet_offload_registry::BenchmarkHelper<AccountId, Balance> for Helper {
		fn fund(who: &AccountId, amount: Balance) {
			let _ = Balances::set_balance(who, amount);
		}
	}

	impl pallet_offload_market::BenchmarkHelper<Runtime> for Helper {
		fn fund(who: &AccountId, amount: Balance) {
			let _ = Balances::set_balance(who, amount);
		}

		fn register_provider(who: &AccountId, unit_price: Balance, slots: u16) {
			let _ = Balances::set_balance(who, 1_000 * MinBond::get());
			let offer = pallet_offload_registry::Offer {
				resources: Resources {
					cpu_millicores: 1_000 * slots as u32,
					memory_mib: 1_024 * slots as u32,
					storage_gib: 10,
					gpus: 0,
				},
				wasm: true,
				container: true,
				prices: Prices {
					per_million_fuel: unit_price,
					per_second: unit_price,
					base_per_job: 1,
				},
				max_concurrent: slots,
				region: *b"DE",
				encryption_key: [7; 32],
				endpoint: BoundedVec::truncate_from(b"https://provider.example/results".to_vec()),
			};
			let _ = Registry::register(
				frame_system::RawOrigin::Signed(who.clone()).into(),
				offer,
				MinBond::get(),
			);
		}

		fn scan_pages() -> u32 {
			<<Runtime as pallet_offload_registry::Config>::MaxScanPages as frame_support::traits::Get<u32>>::get()
		}

		fn page_size() -> u32 {
			<<Runtime as pallet_offload_registry::Config>::IndexPageSize as frame_support::traits::Get<u32>>::get()
		}

		fn subscribe(requester: &AccountId) -> offload_primitives::SubscriptionId {
			let provider: AccountId = frame_benchmarking::account("subscribed", 0, 0);
			<Self as pallet_offload_market::BenchmarkHelper<Runtime>>::register_provider(
				&provider, MICRO_UNIT, 4,
			);
			let id = pallet_offload_subscriptions::NextSubscriptionId::<Runtime>::get();
			let subscribed = Subscriptions::subscribe(
				frame_system::RawOrigin::Signed(requester.clone()).into(),
				offload_primitives::RuntimeKind::Wasm,
				Resources { cpu_millicores: 1_000, memory_mib: 1_024, storage_gib: 0, gpus: 0 },
				Balance::MAX / 4,
				sp_runtime::Permill::zero(),
				MinPeriod::get(),
				1,
			);
			assert!(subscribed.is_ok(), "the benchmark's subscription: {subscribed:?}");
			id
		}

		fn set_verified(who: &AccountId) {
			let _ = Registry::set_verified(frame_system::RawOrigin::Root.into(), who.clone(), true);
		}
	}

	impl pallet_offload_subscriptions::BenchmarkHelper<AccountId, Balance> for Helper {
		fn fund(who: &AccountId, amount: Balance) {
			let _ = Balances::set_balance(who, amount);
		}

		fn register_provider(who: &AccountId, per_second: Balance, slots: u16) {
			<Self as pallet_offload_market::BenchmarkHelper<Runtime>>::register_provider(
				who, per_second, slots,
			);
		}
	}
}
