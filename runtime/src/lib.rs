//! # Offload runtime
//!
//! The parachain runtime of Offload, a market for compute: providers publish what their machines
//! can do, requesters post jobs, the chain matches, escrows, verifies and pays.
//!
//! Layout (one concern per file):
//! - [`configs`]: the configuration of every pallet, grouped by concern;
//! - [`apis`]: the runtime APIs the node, `polkadot-omni-node` and clients call;
//! - `genesis_config_presets`: the `development` and `local_testnet` genesis presets;
//! - [`weights`]: every weight, generated on Offload's build machine by `scripts/weights.sh`.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime!` recurses deeply.
#![recursion_limit = "256"]

/// The runtime compiled to WASM by `build.rs` (`None` when built with `SKIP_WASM_BUILD`).
#[cfg(feature = "std")]
#[allow(missing_docs)]
mod wasm_binary {
	include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));
}
#[cfg(feature = "std")]
pub use wasm_binary::{WASM_BINARY, WASM_BINARY_BLOATY, WASM_BINARY_PATH};

extern crate alloc;

use alloc::vec::Vec;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod weights;

use frame_support::weights::{
	constants::WEIGHT_REF_TIME_PER_SECOND, Weight, WeightToFeeCoefficient, WeightToFeeCoefficients,
	WeightToFeePolynomial,
};
use smallvec::smallvec;
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiSignature,
};
use sp_version::RuntimeVersion;

pub use sp_consensus_aura::sr25519::AuthorityId as AuraId;
pub use sp_runtime::{MultiAddress, Perbill, Permill};

/// Signature of a transaction: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;

/// An account on the chain: the public key of its signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Amount of OFL, in plancks (10^-12 OFL).
pub type Balance = u128;

/// Transaction counter of an account.
pub type Nonce = u32;

/// Hash of blocks, extrinsics and content on chain.
pub type Hash = sp_core::H256;

/// Block number.
pub type BlockNumber = u32;

/// How an account is written in calls.
pub type Address = MultiAddress<AccountId, ()>;

/// Block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// Block with its justifications.
pub type SignedBlock = generic::SignedBlock<Block>;

/// Block identifier.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions every signed transaction carries: the standard set, so that
/// polkadot.js and every other generic client signs for Offload with no extra definitions.
/// `StorageWeightReclaim` wraps them and refunds unused proof-size weight.
pub type TxExtension = cumulus_pallet_weight_reclaim::StorageWeightReclaim<
	Runtime,
	(
		frame_system::AuthorizeCall<Runtime>,
		frame_system::CheckNonZeroSender<Runtime>,
		frame_system::CheckSpecVersion<Runtime>,
		frame_system::CheckTxVersion<Runtime>,
		frame_system::CheckGenesis<Runtime>,
		frame_system::CheckEra<Runtime>,
		frame_system::CheckNonce<Runtime>,
		frame_system::CheckWeight<Runtime>,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
		frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	),
>;

/// The extensions of an immortal transaction with no tip and no metadata hash, signed with
/// `nonce`: what Offload's worker and command line sign, and what the weight tests charge.
pub fn tx_extension(nonce: Nonce) -> TxExtension {
	cumulus_pallet_weight_reclaim::StorageWeightReclaim::new((
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(sp_runtime::generic::Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
	))
}

/// Extrinsic as it arrives at the runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload a signer signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations run on a runtime upgrade, besides the pallets' own. Each is versioned: it runs
/// only on the storage version it migrates from, so a chain started at the current versions
/// skips them all.
type Migrations = (
	pallet_offload_registry::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_offload_registry::migrations::v3::MigrateV2ToV3<Runtime>,
	pallet_offload_registry::migrations::v4::MigrateV3ToV4<Runtime>,
	pallet_offload_registry::migrations::v5::MigrateV4ToV5<Runtime>,
	pallet_offload_escrow::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_offload_market::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_offload_market::migrations::v3::MigrateV2ToV3<Runtime>,
	UpgradeTestMigrations,
);

/// The migration of the runtime the relay-chain network test upgrades to.
#[cfg(feature = "upgrade-test")]
type UpgradeTestMigrations = pallet_offload_registry::migrations::v6::MigrateV5ToV6<Runtime>;
#[cfg(not(feature = "upgrade-test"))]
type UpgradeTestMigrations = ();

/// Dispatches extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

/// Maps weight to fee: the base weight of an extrinsic costs a tenth of a milli-OFL.
pub struct WeightToFee;
impl WeightToFeePolynomial for WeightToFee {
	type Balance = Balance;
	fn polynomial() -> WeightToFeeCoefficients<Self::Balance> {
		let p = MILLI_UNIT / 10;
		let q = 100 * Balance::from(weights::ExtrinsicBaseWeight::get().ref_time());
		smallvec![WeightToFeeCoefficient {
			degree: 1,
			negative: false,
			coeff_frac: Perbill::from_rational(p % q, q),
			coeff_integer: p / q,
		}]
	}
}

/// Types the node needs without knowing the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash.
	pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;
}

impl_opaque_keys! {
	/// The session keys of a collator: its Aura key.
	pub struct SessionKeys {
		/// Block authoring key.
		pub aura: Aura,
	}
}

/// The runtime's version with spec version `$spec` (a literal: the version attribute reads
/// it at compile time).
macro_rules! runtime_version {
	($spec:tt) => {
		/// The runtime's version. `spec_version` goes up with every runtime upgrade.
		#[sp_version::runtime_version]
		pub const VERSION: RuntimeVersion = RuntimeVersion {
			spec_name: alloc::borrow::Cow::Borrowed("offload"),
			impl_name: alloc::borrow::Cow::Borrowed("offload"),
			authoring_version: 1,
			spec_version: $spec,
			impl_version: 0,
			apis: apis::RUNTIME_API_VERSIONS,
			transaction_version: 1,
			system_version: 1,
		};
	};
}
#[cfg(not(feature = "upgrade-test"))]
runtime_version!(1);
// The next version, which the relay-chain network test upgrades to (see `upgrade-test` in
// Cargo.toml).
#[cfg(feature = "upgrade-test")]
runtime_version!(2);

/// Target block time. Blocks are produced at most once a slot; `pallet_timestamp` and
/// `pallet_aura` derive the slot from it. It cannot change once the chain runs.
pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
/// Aura slot duration.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Blocks per minute.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// The token's symbol, shown by wallets.
pub const TOKEN_SYMBOL: &str = "OFL";
pub use offload_primitives::{TOKEN_DECIMALS, UNIT};
/// SS58 address prefix (42: the generic Substrate prefix, until Offload registers its own).
pub const SS58_PREFIX: u16 = 42;

/// A thousandth of an OFL.
pub const MILLI_UNIT: Balance = 1_000_000_000;
/// A millionth of an OFL.
pub const MICRO_UNIT: Balance = 1_000_000;

/// The least balance an account must keep to exist.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Share of the block weight `on_initialize` hooks may take; limits one extrinsic's weight.
const AVERAGE_ON_INITIALIZE_RATIO: Perbill = Perbill::from_percent(5);

/// Share of the block `Normal` extrinsics may fill; the rest is for `Operational` ones.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// Two seconds of compute per block, and the relay chain's proof-of-validity bound.
const MAXIMUM_BLOCK_WEIGHT: Weight = Weight::from_parts(
	WEIGHT_REF_TIME_PER_SECOND.saturating_mul(2),
	cumulus_primitives_core::relay_chain::MAX_POV_SIZE as u64,
);

/// Blocks the runtime accepts before the relay chain includes them.
const UNINCLUDED_SEGMENT_CAPACITY: u32 = 3;
/// Parachain blocks per relay chain block.
const BLOCK_PROCESSING_VELOCITY: u32 = 1;
/// Relay chain slot duration, in milliseconds.
const RELAY_CHAIN_SLOT_DURATION_MILLIS: u32 = 6000;

/// Checks each block's slot against the relay chain's and bounds the unincluded segment.
type ConsensusHook = cumulus_pallet_aura_ext::FixedVelocityConsensusHook<
	Runtime,
	RELAY_CHAIN_SLOT_DURATION_MILLIS,
	BLOCK_PROCESSING_VELOCITY,
	UNINCLUDED_SEGMENT_CAPACITY,
>;

mod construct;
pub use construct::{apis, *};

cumulus_pallet_parachain_system::register_validate_block! {
	Runtime = Runtime,
	BlockExecutor = cumulus_pallet_aura_ext::BlockExecutor::<Runtime, Executive>,
}
