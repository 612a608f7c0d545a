//! A mock runtime with the real escrow and balances beside the datasets; jobs are stood in
//! for by escrow holds made as the market makes them.

use crate as pallet_offload_datasets;
use frame_support::{derive_impl, parameter_types, traits::ConstU64, BoundedVec};
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_offload_escrow,
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

/// A data owner.
pub const OWNER: u64 = 1;
/// Another data owner.
pub const OTHER: u64 = 2;
/// A requester.
pub const REQUESTER: u64 = 10;
/// The treasury.
pub const TREASURY: u64 = 99;
/// What test accounts start with.
pub const START: u64 = 1_000_000;
/// The deposit base.
pub const BASE: u64 = 100;
/// The deposit per byte.
pub const PER_BYTE: u64 = 2;
/// The job deposit the stand-in jobs hold.
pub const JOB_DEPOSIT: u64 = 10;

parameter_types! {
	pub const ProtocolFee: Perbill = Perbill::from_percent(10);
	pub const Treasury: u64 = TREASURY;
}

impl pallet_offload_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ProtocolFee = ProtocolFee;
	type MinFee = ConstU64<1>;
	type Treasury = Treasury;
}

impl pallet_offload_datasets::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Escrow = Escrow;
	type DepositBase = ConstU64<BASE>;
	type DepositPerByte = ConstU64<PER_BYTE>;
	type MaxLocationLen = frame_support::traits::ConstU32<64>;
	type MaxPrograms = frame_support::traits::ConstU32<4>;
	type WeightInfo = ();
}

/// Externalities with funded accounts (the treasury too), at block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("succeeds");
	pallet_balances::GenesisConfig::<Test> {
		balances: [OWNER, OTHER, REQUESTER, TREASURY].map(|who| (who, START)).to_vec(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("succeeds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// A location.
pub fn at(url: &str) -> BoundedVec<u8, frame_support::traits::ConstU32<64>> {
	BoundedVec::truncate_from(url.as_bytes().to_vec())
}
