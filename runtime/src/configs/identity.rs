//! Identity: on-chain identities and registrars' judgements. Provider verification reads the
//! judgements (a positive judgement marks a provider verified).

use crate::{
	AccountId, Balance, Balances, Runtime, RuntimeEvent, Signature, DAYS, MILLI_UNIT, UNIT,
};
use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;

parameter_types! {
	/// Deposit for setting an identity: covers the base record.
	pub const BasicDeposit: Balance = UNIT;
	/// Deposit per byte of identity information.
	pub const ByteDeposit: Balance = 10 * MILLI_UNIT;
	/// Deposit for a username.
	pub const UsernameDeposit: Balance = UNIT;
	/// Deposit per sub-account.
	pub const SubAccountDeposit: Balance = UNIT / 5;
}

impl pallet_identity::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type BasicDeposit = BasicDeposit;
	type ByteDeposit = ByteDeposit;
	type UsernameDeposit = UsernameDeposit;
	type SubAccountDeposit = SubAccountDeposit;
	type MaxSubAccounts = ConstU32<100>;
	type IdentityInformation = pallet_identity::legacy::IdentityInfo<ConstU32<100>>;
	type MaxRegistrars = ConstU32<20>;
	// Slashed deposits are burnt.
	type Slashed = ();
	type ForceOrigin = EnsureRoot<AccountId>;
	type RegistrarOrigin = EnsureRoot<AccountId>;
	type OffchainSignature = Signature;
	type SigningPublicKey = <Signature as sp_runtime::traits::Verify>::Signer;
	type UsernameAuthorityOrigin = EnsureRoot<AccountId>;
	type PendingUsernameExpiration = ConstU32<{ 7 * DAYS }>;
	type UsernameGracePeriod = ConstU32<{ 30 * DAYS }>;
	type MaxSuffixLength = ConstU32<7>;
	type MaxUsernameLength = ConstU32<32>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type WeightInfo = pallet_identity::weights::SubstrateWeight<Runtime>;
}
