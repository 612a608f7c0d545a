//! A mock runtime with the real escrow, registry and reputation pallets beside subscriptions;
//! the registry reports heartbeats to the subscriptions, one block is one second.

use crate as pallet_offload_subscriptions;
use crate::{Resources, RewardWork};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Hooks},
	BoundedVec,
};
use frame_system::EnsureRoot;
use offload_primitives::Prices;
use pallet_offload_registry::Offer;
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_offload_escrow,
		Registry: pallet_offload_registry,
		Reputation: pallet_offload_reputation,
		Subscriptions: pallet_offload_subscriptions,
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

/// Who rents capacity.
pub const REQUESTER: u64 = 10;
/// A cheap provider (2 per second).
pub const PROVIDER: u64 = 1;
/// A dearer provider (3 per second).
pub const DEAR: u64 = 2;
/// The treasury.
pub const TREASURY: u64 = 99;
/// What test accounts start with.
pub const START: u64 = 1_000_000;
/// A provider's bond.
pub const BOND: u64 = 10_000;
/// The minimum bond.
pub const MIN_BOND: u64 = 1_000;
/// Blocks a heartbeat keeps a provider live; also the uptime slack.
pub const TIMEOUT: u64 = 5;
/// A period used by the tests.
pub const PERIOD: u64 = 20;
/// The deposit per subscription.
pub const DEPOSIT: u64 = 50;
/// The cheap provider's price for one `PERIOD`: 2 per second × 20 s + 10 base.
pub const PRICE: u64 = 2 * PERIOD + 10;
/// The fee on `PRICE` (10%, rounded up).
pub const FEE: u64 = 5;
/// Periods settling in one block, at most.
pub const MAX_ENDS: u32 = 2;

parameter_types! {
	pub const ProtocolFee: Perbill = Perbill::from_percent(10);
	pub const Treasury: u64 = TREASURY;
	pub const MinBond: u64 = MIN_BOND;
	pub const HeartbeatTimeout: u64 = TIMEOUT;
}

impl pallet_offload_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ProtocolFee = ProtocolFee;
	type MinFee = ConstU64<1>;
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
	type UnbondingPeriod = ConstU64<20>;
	type ExposureFactor = ConstU32<1>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Helper;
}

impl pallet_offload_reputation::Config for Test {
	type HalfLife = ConstU64<1_000>;
	type SizeUnit = ConstU128<1>;
	type OnChange = Registry;
	type WeightInfo = ();
}

impl pallet_offload_subscriptions::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Escrow = Escrow;
	type Registry = Registry;
	type Reputation = Reputation;
	type Rewards = WorkLog;
	type Deposit = ConstU64<DEPOSIT>;
	type MinPeriod = ConstU64<10>;
	type MaxPeriod = ConstU64<1_000>;
	type MaxPeriods = ConstU32<12>;
	type UptimeSlack = HeartbeatTimeout;
	type MaxEndsPerBlock = ConstU32<MAX_ENDS>;
	type MaxPerRequester = ConstU32<4>;
	type MaxOpenJobs = ConstU32<4>;
	type MaxScan = ConstU32<16>;
	type MillisPerBlock = ConstU64<1_000>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Helper;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64, u64> for Helper {
	fn fund(who: &u64, amount: u64) {
		let _ =
			<Balances as frame_support::traits::fungible::Mutate<u64>>::set_balance(who, amount);
	}
	fn register_provider(who: &u64, per_second: u64, slots: u16) {
		Self::fund(who, START);
		let mut offer = offer(per_second);
		offer.max_concurrent = slots;
		offer.resources.cpu_millicores = 1_000 * slots as u32;
		offer.resources.memory_mib = 1_024 * slots as u32;
		let _ = Registry::register(RuntimeOrigin::signed(*who), offer, BOND);
	}
}

/// Funds accounts for the registry's benchmarks (unused here, required by its config).
#[cfg(feature = "runtime-benchmarks")]
pub struct Helper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_offload_registry::BenchmarkHelper<u64, u64> for Helper {
	fn fund(who: &u64, amount: u64) {
		let _ =
			<Balances as frame_support::traits::fungible::Mutate<u64>>::set_balance(who, amount);
	}
}

std::thread_local! {
	static WORK: core::cell::RefCell<Vec<(u64, u64, u64, u64)>> =
		const { core::cell::RefCell::new(Vec::new()) };
}

/// Records what the subscriptions tell the reward pool of paid periods.
pub struct WorkLog;

impl RewardWork<u64, u64, u64> for WorkLog {
	fn work_settled(provider: &u64, requester: &u64, amount: u64, fee: u64) {
		WORK.with(|log| log.borrow_mut().push((*provider, *requester, amount, fee)));
	}
	fn live(_: &u64, _: u64, _: u64) {}
}

/// The paid periods reported to the reward pool: (provider, requester, amount, fee).
pub fn work_reported() -> Vec<(u64, u64, u64, u64)> {
	WORK.with(|log| log.borrow().clone())
}

/// A container offer at `per_second`: 4 cores, 4 GiB, 4 jobs at once, 10 base per job.
pub fn offer(per_second: u64) -> Offer<Test> {
	Offer {
		resources: Resources { cpu_millicores: 4_000, memory_mib: 4_096, storage_gib: 10, gpus: 0 },
		wasm: true,
		container: true,
		prices: Prices { per_million_fuel: 1, per_second, base_per_job: 10 },
		max_concurrent: 4,
		region: *b"DE",
		encryption_key: [7; 32],
		endpoint: BoundedVec::truncate_from(b"https://provider.example".to_vec()),
	}
}

/// Two cores and 2 GiB.
pub fn half() -> Resources {
	Resources { cpu_millicores: 2_000, memory_mib: 2_048, storage_gib: 1, gpus: 0 }
}

/// `who` heartbeats now.
pub fn heartbeat(who: u64) {
	frame_support::assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(who)));
}

/// Moves to block `n`, running the subscriptions' `on_initialize` in each block; the
/// providers in `alive` heartbeat every other block.
pub fn run_to(n: u64, alive: &[u64]) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Subscriptions::on_initialize(next);
		if next % 2 == 0 {
			for who in alive {
				heartbeat(*who);
			}
		}
	}
}

/// Runs `test` at block 1 with funded accounts and the two providers registered (cheap and
/// dear), then checks every pallet's invariants.
pub fn run<R>(test: impl FnOnce() -> R) -> R {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("system genesis builds");
	let mut balances: Vec<(u64, u64)> = (1..=6).map(|who| (who, START)).collect();
	balances.extend([(REQUESTER, START), (TREASURY, 1)]);
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.expect("balances genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		frame_support::assert_ok!(Registry::register(
			RuntimeOrigin::signed(PROVIDER),
			offer(2),
			BOND
		));
		frame_support::assert_ok!(Registry::register(RuntimeOrigin::signed(DEAR), offer(3), BOND));
		let result = test();
		Subscriptions::do_try_state().expect("subscription invariants hold");
		Registry::do_try_state().expect("registry invariants hold");
		Escrow::do_try_state().expect("escrow invariants hold");
		result
	})
}

/// Externalities for benchmarks: block 1, a funded treasury.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("system genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		let _ =
			<Balances as frame_support::traits::fungible::Mutate<u64>>::set_balance(&TREASURY, 1);
	});
	ext
}
