//! A mock runtime: balances, the escrow (bonds), and the registry.

use crate as pallet_offload_registry;
use crate::{Offer, Prices, Resources};

use frame_support::{derive_impl, parameter_types, BoundedVec};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_offload_escrow,
		Registry: pallet_offload_registry,
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

/// A provider.
pub const ALICE: u64 = 1;
/// Another provider.
pub const BOB: u64 = 2;
/// An account with little money.
pub const POOR: u64 = 3;
/// The treasury.
pub const TREASURY: u64 = 99;
/// What test accounts start with.
pub const START: u64 = 100_000;
/// The least bond.
pub const MIN_BOND: u64 = 1_000;
/// Heartbeat timeout, blocks.
pub const HEARTBEAT_TIMEOUT: u64 = 10;
/// Unbonding period, blocks.
pub const UNBONDING: u64 = 20;

parameter_types! {
	pub const ProtocolFee: Perbill = Perbill::from_percent(10);
	pub const Treasury: u64 = TREASURY;
	pub const MinBond: u64 = MIN_BOND;
	pub const HeartbeatTimeout: u64 = HEARTBEAT_TIMEOUT;
	pub const UnbondingPeriod: u64 = UNBONDING;
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
	type Reputation = ();
	type Verifier = ();
	type Rewards = LiveLog;
	type AdminOrigin = EnsureRoot<u64>;
	type MinBond = MinBond;
	type MaxEndpointLen = frame_support::traits::ConstU32<64>;
	type IndexPageSize = frame_support::traits::ConstU32<2>;
	type MaxScanPages = frame_support::traits::ConstU32<3>;
	type HeartbeatTimeout = HeartbeatTimeout;
	type UnbondingPeriod = UnbondingPeriod;
	type ExposureFactor = frame_support::traits::ConstU32<1>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = FundWithBalances;
}

/// Funds benchmark accounts through `pallet_balances`.
#[cfg(feature = "runtime-benchmarks")]
pub struct FundWithBalances;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64, u64> for FundWithBalances {
	fn fund(who: &u64, amount: u64) {
		use frame_support::traits::fungible::Mutate;
		let _ = Balances::set_balance(who, amount);
	}
}

/// Externalities for the benchmark test suite: the same chain as [`run`] uses.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_test_ext() -> sp_io::TestExternalities {
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

/// A WASM-and-container offer: 4 cores, 8 GiB, 2 jobs at once, fuel price `fuel_price`.
pub fn offer(fuel_price: u64) -> crate::OfferOf<Test> {
	Offer {
		resources: Resources { cpu_millicores: 4_000, memory_mib: 8_192, storage_gib: 50, gpus: 0 },
		wasm: true,
		container: true,
		prices: Prices { per_million_fuel: fuel_price, per_second: 3, base_per_job: 10 },
		max_concurrent: 2,
		region: *b"DE",
		encryption_key: [7; 32],
		endpoint: BoundedVec::truncate_from(b"https://provider.example/results".to_vec()),
	}
}

/// Runs `test` at block 1 with funded accounts, then checks both pallets' invariants.
pub fn run(test: impl FnOnce()) {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("system genesis builds");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, START), (BOB, START), (POOR, MIN_BOND / 2), (TREASURY, 1)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		Registry::do_try_state().expect("registry invariants hold");
		Escrow::do_try_state().expect("escrow invariants hold");
	});
}

thread_local! {
	static LIVE: core::cell::RefCell<Vec<(u64, u64, u64)>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Records what the registry tells the reward pool of uptime.
pub struct LiveLog;

impl crate::RewardWork<u64, u64, u64> for LiveLog {
	fn work_settled(_: &u64, _: &u64, _: u64, _: u64) {}
	fn live(provider: &u64, from: u64, to: u64) {
		LIVE.with(|log| log.borrow_mut().push((*provider, from, to)));
	}
}

/// The live intervals reported so far: (provider, from, to).
pub fn lives() -> Vec<(u64, u64, u64)> {
	LIVE.with(|log| log.borrow().clone())
}
