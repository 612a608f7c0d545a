//! A mock runtime with the real escrow, registry and reputation pallets beside the market.

use crate as pallet_offload_market;
use crate::{types::*, Prices, Resources};

use codec::Encode;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Hooks},
	weights::Weight,
	BoundedVec,
};
use frame_system::EnsureRoot;
use pallet_offload_registry::Offer;
use sp_runtime::{BuildStorage, Perbill, Permill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_offload_escrow,
		Registry: pallet_offload_registry,
		Reputation: pallet_offload_reputation,
		Market: pallet_offload_market,
		Subscriptions: pallet_offload_subscriptions,
		Datasets: pallet_offload_datasets,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Who submits jobs.
pub const REQUESTER: u64 = 10;
/// Someone else.
pub const ANYONE: u64 = 20;
/// The treasury.
pub const TREASURY: u64 = 99;
/// What test accounts start with.
pub const START: u64 = 1_000_000;
/// A provider's bond.
pub const BOND: u64 = 10_000;
/// Blocks to acknowledge.
pub const ACK_TIMEOUT: u64 = 3;
/// Blocks to reveal.
pub const REVEAL_TIMEOUT: u64 = 3;
/// Blocks before anyone may clear a settled job.
pub const RETENTION: u64 = 10;
/// Blocks to dispute a single-replica result.
pub const CHALLENGE_PERIOD: u64 = 5;
/// The job deposit.
pub const JOB_DEPOSIT: u64 = 50;
/// Heartbeat timeout.
pub const HEARTBEAT_TIMEOUT: u64 = 100;

parameter_types! {
	pub const ProtocolFee: Perbill = Perbill::from_percent(10);
	pub const Treasury: u64 = TREASURY;
	pub const MinBond: u64 = 1_000;
	pub const HeartbeatTimeout: u64 = HEARTBEAT_TIMEOUT;
	pub const UnbondingPeriod: u64 = 20;
	pub const HalfLife: u64 = 1_000;
	pub const AckTimeout: u64 = ACK_TIMEOUT;
	pub const RevealTimeout: u64 = REVEAL_TIMEOUT;
	pub const MaxRunBlocks: u64 = 50;
	pub const MaxQueueBlocks: u64 = 20;
	pub const Retention: u64 = RETENTION;
	pub const ChallengePeriod: u64 = CHALLENGE_PERIOD;
	pub const JobDeposit: u64 = JOB_DEPOSIT;
	pub const ProgramDepositBase: u64 = 100;
	pub const ProgramDepositPerByte: u64 = 1;
	pub const FraudSlash: Perbill = Perbill::from_percent(50);
	pub const NoShowSlash: Perbill = Perbill::from_percent(10);
	pub const Compensation: Perbill = Perbill::from_percent(50);
}

impl pallet_offload_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ProtocolFee = ProtocolFee;
	type MinFee = frame_support::traits::ConstU64<1>;
	type Treasury = Treasury;
}

impl pallet_offload_registry::Config for Test {
	type Balance = u64;
	type Escrow = Escrow;
	type Reputation = Reputation;
	type Verifier = ();
	type Rewards = Subscriptions;
	type AdminOrigin = EnsureRoot<u64>;
	type MinBond = MinBond;
	type MaxEndpointLen = ConstU32<64>;
	type IndexPageSize = ConstU32<4>;
	type MaxScanPages = ConstU32<6>;
	type HeartbeatTimeout = HeartbeatTimeout;
	type UnbondingPeriod = UnbondingPeriod;
	type ExposureFactor = frame_support::traits::ConstU32<1>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Helper;
}

impl pallet_offload_reputation::Config for Test {
	type HalfLife = HalfLife;
	type SizeUnit = ConstU128<1>;
	type OnChange = Registry;
	type WeightInfo = ();
}

/// The deposit for a dataset's record.
pub const DATASET_DEPOSIT: u64 = 20;

impl pallet_offload_datasets::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Escrow = Escrow;
	type DepositBase = ConstU64<DATASET_DEPOSIT>;
	type DepositPerByte = ConstU64<0>;
	type MaxLocationLen = ConstU32<64>;
	type MaxPrograms = ConstU32<4>;
	type WeightInfo = DatasetWeights;
}

/// Datasets' weights for the market's refund test: 1,000 per dataset started or ended.
pub struct DatasetWeights;

impl pallet_offload_datasets::WeightInfo for DatasetWeights {
	fn register() -> Weight {
		Weight::zero()
	}
	fn update() -> Weight {
		Weight::zero()
	}
	fn retire() -> Weight {
		Weight::zero()
	}
	fn remove() -> Weight {
		Weight::zero()
	}
	fn grant_key() -> Weight {
		Weight::zero()
	}
	fn start(n: u32) -> Weight {
		Weight::from_parts(1_000 * n as u64, 0)
	}
	fn end(n: u32) -> Weight {
		Weight::from_parts(1_000 * n as u64, 0)
	}
}

impl pallet_offload_market::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Escrow = Escrow;
	type Registry = Registry;
	type Reputation = Reputation;
	type Rewards = WorkLog;
	type Reservations = Subscriptions;
	type Subscriptions = Subscriptions;
	type Datasets = Datasets;
	type MaxCodeLen = ConstU32<1_024>;
	type ProgramDepositBase = ProgramDepositBase;
	type ProgramDepositPerByte = ProgramDepositPerByte;
	type MaxInlineInput = ConstU32<64>;
	type MaxUrlLen = ConstU32<64>;
	type MaxEntryLen = ConstU32<16>;
	type MaxCommandLen = ConstU32<64>;
	type MaxReplicas = ConstU32<5>;
	type MaxQueued = ConstU32<3>;
	type MaxQueuedPerAccount = ConstU32<2>;
	type MaxScan = ConstU32<16>;
	type AckTimeout = AckTimeout;
	type RevealTimeout = RevealTimeout;
	type MaxRunBlocks = MaxRunBlocks;
	type MaxQueueBlocks = MaxQueueBlocks;
	type Retention = Retention;
	type ChallengePeriod = ChallengePeriod;
	type DisputeReplicas = ConstU32<3>;
	type Randomness = TestRandomness;
	type JobDeposit = JobDeposit;
	type FraudSlash = FraudSlash;
	type FraudValueMultiple = ConstU32<2>;
	type NoShowSlash = NoShowSlash;
	type Compensation = Compensation;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Helper;
}

/// Blocks per subscription period in these tests.
pub const PERIOD: u64 = 40;

impl pallet_offload_subscriptions::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Escrow = Escrow;
	type Registry = Registry;
	type Reputation = Reputation;
	type Rewards = ();
	type Deposit = ConstU64<JOB_DEPOSIT>;
	type MinPeriod = ConstU64<20>;
	type MaxPeriod = ConstU64<1_000>;
	type MaxPeriods = ConstU32<12>;
	type UptimeSlack = ConstU64<5>;
	type MaxEndsPerBlock = ConstU32<4>;
	type MaxPerRequester = ConstU32<4>;
	type MaxOpenJobs = ConstU32<3>;
	type MaxScan = ConstU32<16>;
	type MillisPerBlock = ConstU64<1_000>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Helper;
}

std::thread_local! {
	static SEED: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
}

/// Sets what [`TestRandomness`] mixes in, as a new relay block's randomness would.
pub fn set_randomness(seed: u64) {
	SEED.with(|cell| cell.set(seed));
}

/// Randomness from the seed set by [`set_randomness`] and the subject, known at the current
/// block: a stand-in for the relay chain's.
pub struct TestRandomness;

impl frame_support::traits::Randomness<sp_runtime::testing::H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (sp_runtime::testing::H256, u64) {
		let seed = SEED.with(|cell| cell.get());
		let hash = sp_io::hashing::blake2_256(&(subject, seed).encode());
		(hash.into(), System::block_number())
	}
}

/// Sets `who`'s free balance (benchmark set-up).
#[cfg(feature = "runtime-benchmarks")]
fn set_balance(who: &u64, amount: u64) {
	let _ = <Balances as frame_support::traits::fungible::Mutate<u64>>::set_balance(who, amount);
}

/// Funds accounts and registers providers for benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct Helper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_offload_registry::BenchmarkHelper<u64, u64> for Helper {
	fn fund(who: &u64, amount: u64) {
		set_balance(who, amount);
	}
}
#[cfg(feature = "runtime-benchmarks")]
impl pallet_offload_subscriptions::BenchmarkHelper<u64, u64> for Helper {
	fn fund(who: &u64, amount: u64) {
		set_balance(who, amount);
	}
	fn register_provider(who: &u64, _: u64, slots: u16) {
		<Self as crate::BenchmarkHelper<Test>>::register_provider(who, 1, slots);
	}
}
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<Test> for Helper {
	fn fund(who: &u64, amount: u64) {
		set_balance(who, amount);
	}
	fn register_provider(who: &u64, unit_price: u64, slots: u16) {
		set_balance(who, START);
		let mut offer = offer(unit_price);
		offer.max_concurrent = slots;
		offer.resources.cpu_millicores = 1_000 * slots as u32;
		offer.resources.memory_mib = 1_024 * slots as u32;
		let _ = Registry::register(RuntimeOrigin::signed(*who), offer, BOND);
	}
	fn scan_pages() -> u32 {
		<<Test as pallet_offload_registry::Config>::MaxScanPages as frame_support::traits::Get<
			u32,
		>>::get()
	}
	fn page_size() -> u32 {
		<<Test as pallet_offload_registry::Config>::IndexPageSize as frame_support::traits::Get<
			u32,
		>>::get()
	}
	fn set_verified(who: &u64) {
		let _ = Registry::set_verified(RuntimeOrigin::root(), *who, true);
	}
	fn subscribe(requester: &u64) -> offload_primitives::SubscriptionId {
		let provider = 7_777;
		<Self as crate::BenchmarkHelper<Test>>::register_provider(&provider, 10, 4);
		let id = pallet_offload_subscriptions::NextSubscriptionId::<Test>::get();
		frame_support::assert_ok!(Subscriptions::subscribe(
			RuntimeOrigin::signed(*requester),
			offload_primitives::RuntimeKind::Wasm,
			Resources { cpu_millicores: 1_000, memory_mib: 1_024, storage_gib: 0, gpus: 0 },
			u64::MAX / 4,
			Permill::zero(),
			1_000,
			1,
		));
		id
	}
}

/// A WASM-and-container offer: 4 cores, 4 GiB, 4 jobs at once, `fuel_price` per million fuel.
pub fn offer(fuel_price: u64) -> Offer<Test> {
	Offer {
		resources: Resources { cpu_millicores: 4_000, memory_mib: 4_096, storage_gib: 10, gpus: 0 },
		wasm: true,
		container: true,
		prices: Prices { per_million_fuel: fuel_price, per_second: 2, base_per_job: 10 },
		max_concurrent: 4,
		region: *b"DE",
		encryption_key: [7; 32],
		endpoint: BoundedVec::truncate_from(b"https://provider.example".to_vec()),
	}
}

/// A small WASM module's bytes (content does not matter to the chain).
pub const CODE: &[u8] = b"\0asm\x01\0\0\0 test program";

/// The hash `CODE` is stored under.
pub fn code_hash() -> Hash32 {
	sp_io::hashing::blake2_256(CODE)
}

/// A WASM job of `replicas` with `quorum`, fuel limit 1,000,000, pay-per-use budget 1,000 per
/// replica, 10 blocks to run, 5 to wait.
pub fn wasm_job(replicas: u8, quorum: u8) -> JobSpec<Test> {
	JobSpec {
		workload: Workload::Wasm {
			program: code_hash(),
			entry: BoundedVec::truncate_from(b"_start".to_vec()),
			input: Input::Inline(BoundedVec::truncate_from(b"hello".to_vec())),
			fuel_limit: 1_000_000,
			memory_limit_mib: 64,
		},
		resources: Resources { cpu_millicores: 1_000, memory_mib: 512, storage_gib: 1, gpus: 0 },
		pricing: Pricing::PayPerUse { budget: 1_000 },
		replicas,
		quorum,
		min_reputation: Permill::zero(),
		verified_only: false,
		encrypted_input: false,
		run_blocks: 10,
		queue_blocks: 5,
	}
}

/// Moves to block `n`, giving each block's `on_idle` plenty of weight.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Market::on_idle(next, Weight::MAX);
	}
}

/// Moves to block `n` as [`run_to_block`] does, also settling subscriptions' periods; the
/// providers in `alive` heartbeat every other block.
pub fn run_with_subscriptions(n: u64, alive: &[u64]) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Subscriptions::on_initialize(next);
		if next % 2 == 0 {
			for who in alive {
				frame_support::assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(*who)));
			}
		}
		Market::on_idle(next, Weight::MAX);
	}
}

/// Runs `test` at block 1 with funded accounts and `CODE` uploaded by the requester, then
/// checks every pallet's invariants.
pub fn run<R>(test: impl FnOnce() -> R) -> R {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("system genesis builds");
	let mut balances: Vec<(u64, u64)> = (1..=6).map(|who| (who, START)).collect();
	balances.extend([(REQUESTER, START), (ANYONE, START), (TREASURY, 1)]);
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.expect("balances genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		frame_support::assert_ok!(Market::upload_program(
			RuntimeOrigin::signed(REQUESTER),
			BoundedVec::truncate_from(CODE.to_vec())
		));
		let result = test();
		Market::do_try_state().expect("market invariants hold");
		Subscriptions::do_try_state().expect("subscription invariants hold");
		Registry::do_try_state().expect("registry invariants hold");
		Escrow::do_try_state().expect("escrow invariants hold");
		Datasets::do_try_state().expect("dataset invariants hold");
		result
	})
}

/// Externalities for benchmarks: block 1, a funded treasury.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("system genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		set_balance(&TREASURY, 1);
	});
	ext
}

thread_local! {
	static WORK: core::cell::RefCell<Vec<(u64, u64, u64, u64)>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Records what the market tells the reward pool of settled work.
pub struct WorkLog;

impl crate::RewardWork<u64, u64, u64> for WorkLog {
	fn work_settled(provider: &u64, requester: &u64, amount: u64, fee: u64) {
		WORK.with(|log| log.borrow_mut().push((*provider, *requester, amount, fee)));
	}
	fn live(_: &u64, _: u64, _: u64) {}
}

/// The payments reported to the reward pool so far: (provider, requester, amount, fee).
pub fn work_reported() -> Vec<(u64, u64, u64, u64)> {
	WORK.with(|log| log.borrow().clone())
}
