//! A mock runtime: balances and the escrow, with a 10% protocol fee.

use crate as pallet_offload_escrow;
use frame_support::{derive_impl, parameter_types};
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_offload_escrow,
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

/// The requester in tests.
pub const REQUESTER: u64 = 1;
/// A provider.
pub const PROVIDER: u64 = 2;
/// Another provider.
pub const OTHER: u64 = 3;
/// The least fee on a payment.
pub const MIN_FEE: u64 = 5;
/// The treasury.
pub const TREASURY: u64 = 99;
/// What every test account starts with.
pub const START: u64 = 10_000;
/// The existential deposit of the mock (pallet-balances' test default).
pub const ED: u64 = 1;

parameter_types! {
	pub const ProtocolFee: Perbill = Perbill::from_percent(10);
	pub const Treasury: u64 = TREASURY;
	pub const MinFee: u64 = MIN_FEE;
}

impl pallet_offload_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ProtocolFee = ProtocolFee;
	type MinFee = MinFee;
	type Treasury = Treasury;
}

/// Runs `test` on a chain where the requester and providers hold [`START`] and the treasury
/// exists, then checks the escrow's invariants.
pub fn run(test: impl FnOnce()) {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("system genesis builds");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(REQUESTER, START), (PROVIDER, START), (OTHER, START), (TREASURY, ED)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		Escrow::do_try_state().expect("escrow invariants hold");
	});
}
