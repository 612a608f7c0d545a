//! The treasury and the providers' reward pool.
//!
//! - The treasury (`pallet-treasury`) receives protocol fees, transaction fees, the part of
//!   slashes not paid to requesters, dust, and unclaimed rewards. Its governance origin (root:
//!   sudo on test networks) spends it with `treasury.spend` and anyone pays an approved spend
//!   out with `treasury.payout`. Its account is the one fees always went to (`ofl/trsy`).
//! - The reward pool (`pallet-offload-rewards`, account `ofl/rwrd`) is owed half of every
//!   protocol fee; the treasury keeps the era's share back from its spends and the pool takes
//!   it once, when the era ends. With an emission governance may turn on, the pool pays
//!   providers per era for fee-paying work and uptime (`docs/providers.md` has the formula).

use crate::{
	configs::compute::{TreasuryAccount, TREASURY_PALLET_ID},
	weights, AccountId, Balance, Balances, BlockNumber, Rewards, Runtime, RuntimeEvent, System,
	DAYS, MILLI_UNIT,
};
use frame_support::{
	parameter_types,
	traits::{
		fungible::{Inspect, Mutate},
		tokens::{
			pay::{Pay, PaymentStatus},
			Fortitude, Preservation, UnityAssetBalanceConversion,
		},
		ConstU32,
	},
	PalletId,
};
use frame_system::{EnsureRoot, EnsureRootWithSuccess};
use sp_runtime::{traits::IdentityLookup, Perbill, Permill, TokenError};

parameter_types! {
	/// The treasury's id: its account is the one fees have always gone to.
	pub const TreasuryPalletId: PalletId = TREASURY_PALLET_ID;
	/// Approved local spends are paid out every 6 days.
	pub const SpendPeriod: BlockNumber = 6 * DAYS;
	/// Nothing is burnt: what the treasury holds stays for governance to spend.
	pub const Burn: Permill = Permill::zero();
	/// An approved spend must be paid out within 30 days.
	pub const PayoutPeriod: BlockNumber = 30 * DAYS;
	/// Root may spend any amount.
	pub const MaxSpend: Balance = Balance::MAX;
}

/// Pays approved spends out of the treasury's account, never below its existential deposit
/// plus what it owes the reward pool for the era in progress.
///
/// Upstream's `PayFromAccount` may empty the account; an emptied treasury could no longer
/// receive a fee smaller than the existential deposit, and every job settlement carrying one
/// would fail; and a spend could take the fee shares the pool collects at the era's end. A
/// spend of more than the treasury can give is refused (its payout fails, and can be retried
/// once the treasury holds enough).
pub struct PayFromTreasury;

impl Pay for PayFromTreasury {
	type Balance = Balance;
	type Beneficiary = AccountId;
	type AssetKind = ();
	type Id = ();
	type Error = sp_runtime::DispatchError;

	fn pay(who: &AccountId, _: (), amount: Balance) -> Result<(), Self::Error> {
		let treasury = TreasuryAccount::get();
		let spendable =
			Balances::reducible_balance(&treasury, Preservation::Preserve, Fortitude::Polite)
				.saturating_sub(Rewards::owed_by_treasury());
		if amount > spendable {
			return Err(TokenError::FundsUnavailable.into());
		}
		Balances::transfer(&treasury, who, amount, Preservation::Preserve).map(|_| ())
	}

	fn check_payment(_: ()) -> PaymentStatus {
		PaymentStatus::Success
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn ensure_successful(who: &AccountId, _: (), amount: Balance) {
		// The payment plus what the treasury keeps; and a beneficiary that exists, as the
		// benchmarks pay amounts below the existential deposit.
		let _ = Balances::mint_into(&TreasuryAccount::get(), amount + crate::EXISTENTIAL_DEPOSIT);
		let _ = Balances::mint_into(who, crate::EXISTENTIAL_DEPOSIT);
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn ensure_concluded(_: ()) {}
}

impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = EnsureRoot<AccountId>;
	type RuntimeEvent = RuntimeEvent;
	type SpendPeriod = SpendPeriod;
	type Burn = Burn;
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = weights::pallet_treasury::WeightInfo<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = ConstU32<100>;
	type SpendOrigin = EnsureRootWithSuccess<AccountId, MaxSpend>;
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromTreasury;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = PayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type BlockNumberProvider = System;
}

/// The reward pool's pallet id; its account holds the eras' pots.
pub const REWARDS_PALLET_ID: PalletId = PalletId(*b"ofl/rwrd");

parameter_types! {
	/// The reward pool's id.
	pub const RewardsPalletId: PalletId = REWARDS_PALLET_ID;
	/// Half of every protocol fee feeds the pool.
	pub const FeeShare: Perbill = Perbill::from_percent(50);
	/// A provider earns at most half the fees its own work carried in an era: wash trading
	/// between two accounts of one owner always loses at least half its fees.
	pub const MaxRewardPerFee: Perbill = Perbill::from_percent(50);
	/// At most 0.1 OFL minted per block (1,440 OFL a day at 6 s blocks).
	pub const MaxEmission: Balance = 100 * MILLI_UNIT;
	/// Eras of at least 10 blocks.
	pub const MinEraLength: BlockNumber = 10;
	/// An era can be claimed for 28 eras after it ends (four weeks of one-day eras).
	pub const ClaimEras: u32 = 28;
}

/// The length of an era outside development chains: a day.
pub const ERA_LENGTH: BlockNumber = DAYS;

impl pallet_offload_rewards::Config for Runtime {
	type Currency = Balances;
	type PalletId = RewardsPalletId;
	type Treasury = TreasuryAccount;
	type AdminOrigin = EnsureRoot<AccountId>;
	type FeeShare = FeeShare;
	type MaxRewardPerFee = MaxRewardPerFee;
	type MaxEmission = MaxEmission;
	type MinEraLength = MinEraLength;
	type ClaimEras = ClaimEras;
	type WeightInfo = weights::pallet_offload_rewards::WeightInfo<Runtime>;
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{RuntimeGenesisConfig, EXISTENTIAL_DEPOSIT, UNIT};
	use sp_runtime::BuildStorage;

	#[test]
	fn a_spend_can_never_empty_the_treasury() {
		let beneficiary: AccountId = [7; 32].into();
		let mut config = RuntimeGenesisConfig::default();
		config.balances.balances = vec![(TreasuryAccount::get(), 10 * UNIT)];
		let mut ext: sp_io::TestExternalities =
			config.build_storage().expect("genesis builds").into();
		ext.execute_with(|| {
			assert!(PayFromTreasury::pay(&beneficiary, (), 10 * UNIT).is_err());
			assert_eq!(Balances::free_balance(TreasuryAccount::get()), 10 * UNIT);
			assert!(PayFromTreasury::pay(&beneficiary, (), 10 * UNIT - EXISTENTIAL_DEPOSIT).is_ok());
			assert_eq!(Balances::free_balance(TreasuryAccount::get()), EXISTENTIAL_DEPOSIT);
			assert_eq!(Balances::free_balance(&beneficiary), 10 * UNIT - EXISTENTIAL_DEPOSIT);
		});
	}

	#[test]
	fn a_spend_keeps_back_what_the_treasury_owes_the_reward_pool() {
		use pallet_offload_rewards::RewardWork;
		let (provider, requester, beneficiary): (AccountId, AccountId, AccountId) =
			([1; 32].into(), [2; 32].into(), [7; 32].into());
		let mut config = RuntimeGenesisConfig::default();
		config.balances.balances = vec![(TreasuryAccount::get(), 10 * UNIT)];
		let mut ext: sp_io::TestExternalities =
			config.build_storage().expect("genesis builds").into();
		ext.execute_with(|| {
			// A job's 2 OFL fee landed in the treasury: 1 OFL of it is the pool's.
			Rewards::work_settled(&provider, &requester, 100 * UNIT, 2 * UNIT);
			assert_eq!(Rewards::owed_by_treasury(), UNIT);
			let spendable = 10 * UNIT - EXISTENTIAL_DEPOSIT - UNIT;
			assert!(PayFromTreasury::pay(&beneficiary, (), spendable + 1).is_err());
			assert_eq!(Balances::free_balance(TreasuryAccount::get()), 10 * UNIT);
			assert!(PayFromTreasury::pay(&beneficiary, (), spendable).is_ok());
			assert_eq!(Balances::free_balance(TreasuryAccount::get()), EXISTENTIAL_DEPOSIT + UNIT);
		});
	}
}
