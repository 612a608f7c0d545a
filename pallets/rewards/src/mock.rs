//! A mock runtime: balances and the reward pool, eras of 10 blocks, half of each fee to the
//! pool, rewards capped at half the fees a provider's work carried, claims for 2 eras.

use crate as pallet_offload_rewards;
use crate::RewardWork;
use frame_support::{
	derive_impl, parameter_types,
	traits::{fungible::Mutate, tokens::Preservation, Hooks},
	PalletId,
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Rewards: pallet_offload_rewards,
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
}

/// A requester.
pub const REQUESTER: u64 = 1;
/// A provider.
pub const PROVIDER: u64 = 2;
/// Another provider.
pub const OTHER: u64 = 3;
/// The treasury.
pub const TREASURY: u64 = 99;
/// What every test account starts with.
pub const START: u64 = 1_000_000;
/// The existential deposit of the mock (pallet-balances' test default).
pub const ED: u64 = 1;
/// Blocks per era at genesis.
pub const ERA: u64 = 10;
/// The most emission per block.
pub const MAX_EMISSION: u64 = 100;

parameter_types! {
	pub const RewardsPalletId: PalletId = PalletId(*b"ofl/rwrd");
	pub const Treasury: u64 = TREASURY;
	pub const FeeShare: Perbill = Perbill::from_percent(50);
	pub const MaxRewardPerFee: Perbill = Perbill::from_percent(50);
	pub const MaxEmission: u64 = MAX_EMISSION;
	pub const MinEraLength: u64 = 5;
	pub const ClaimEras: u32 = 2;
}

impl pallet_offload_rewards::Config for Test {
	type Currency = Balances;
	type PalletId = RewardsPalletId;
	type Treasury = Treasury;
	type AdminOrigin = EnsureRoot<u64>;
	type FeeShare = FeeShare;
	type MaxRewardPerFee = MaxRewardPerFee;
	type MaxEmission = MaxEmission;
	type MinEraLength = MinEraLength;
	type ClaimEras = ClaimEras;
	type WeightInfo = ();
}

/// The pool's account.
pub fn pool() -> u64 {
	Rewards::pool()
}

/// What the market does on a payment: the requester's fee lands in the treasury (the escrow
/// moved it), then the pool is told.
pub fn settle(provider: u64, requester: u64, amount: u64, fee: u64) {
	Balances::transfer(&requester, &provider, amount, Preservation::Preserve)
		.expect("the requester pays");
	Balances::transfer(&requester, &TREASURY, fee, Preservation::Preserve)
		.expect("the requester pays the fee");
	Rewards::work_settled(&provider, &requester, amount, fee);
}

/// What the registry does on a heartbeat of an active provider last seen at `from`.
pub fn heartbeat(provider: u64, from: u64) {
	Rewards::live(&provider, from, System::block_number());
}

/// Advances to block `n`, running the pallet's `on_initialize` in each block.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Rewards::on_initialize(next);
	}
}

/// Runs `test` on a chain with eras of [`ERA`] blocks and `emission` per block, where the
/// requester and providers hold [`START`] and the treasury exists; checks the pallet's
/// invariants after it.
pub fn run_with<R>(emission: u64, test: impl FnOnce() -> R) -> R {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("system genesis builds");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(REQUESTER, START), (PROVIDER, START), (OTHER, START), (TREASURY, ED)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis builds");
	pallet_offload_rewards::GenesisConfig::<Test> { era_length: ERA, emission }
		.assimilate_storage(&mut storage)
		.expect("rewards genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		let result = test();
		Rewards::do_try_state().expect("the pool's invariants hold");
		result
	})
}

/// [`run_with`] without emission.
pub fn run<R>(test: impl FnOnce() -> R) -> R {
	run_with(0, test)
}

/// Externalities for the benchmarks' test suite: the genesis of [`run`], at block 1.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("system genesis builds");
	pallet_balances::GenesisConfig::<Test> { balances: vec![(TREASURY, ED)], ..Default::default() }
		.assimilate_storage(&mut storage)
		.expect("balances genesis builds");
	pallet_offload_rewards::GenesisConfig::<Test> { era_length: ERA, emission: 0 }
		.assimilate_storage(&mut storage)
		.expect("rewards genesis builds");
	storage.into()
}
