//! A mock runtime with the reputation pallet.

use crate as pallet_offload_reputation;
use crate::{score::Record, OnReputationChange};
use core::cell::RefCell;
use frame_support::{derive_impl, parameter_types, traits::ConstU128};
use sp_runtime::BuildStorage;
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Reputation: pallet_offload_reputation,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// Half-life used in tests.
pub const HALF_LIFE: u64 = 100;

parameter_types! {
	pub const HalfLife: u64 = HALF_LIFE;
}

/// The payment that counts as one unit of size.
pub const SIZE_UNIT: u128 = 1_000;

thread_local! {
	static COPIES: RefCell<BTreeMap<u64, Record<u64>>> = const { RefCell::new(BTreeMap::new()) };
}

/// Keeps the copies `OnChange` hands out, as the registry does.
pub struct Copies;

impl OnReputationChange<u64, u64> for Copies {
	fn changed(who: &u64, record: &Record<u64>) {
		COPIES.with(|copies| copies.borrow_mut().insert(*who, *record));
	}
}

/// The last record `OnChange` was told of for `who`.
pub fn copy_of(who: u64) -> Option<Record<u64>> {
	COPIES.with(|copies| copies.borrow().get(&who).copied())
}

impl pallet_offload_reputation::Config for Test {
	type HalfLife = HalfLife;
	type SizeUnit = ConstU128<SIZE_UNIT>;
	type OnChange = Copies;
	type WeightInfo = ();
}

/// Externalities at block 1, where events are recorded.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis builds");
	COPIES.with(|copies| copies.borrow_mut().clear());
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Moves to block `n`.
pub fn run_to_block(n: u64) {
	System::set_block_number(n);
}
