//! The runtime's pallets and their indices (`construct_runtime`).

// The `runtime` macro generates undocumented items; the pallets' own docs reach metadata.
#![allow(missing_docs)]

use alloc::vec::Vec;

// The runtime APIs live below this module: they need the private `InherentDataExt` trait the
// macro generates here.
#[path = "apis.rs"]
pub mod apis;

/// The pallets of Offload, with fixed indices: clients encode calls by these numbers, so an
/// index never changes once used.
#[frame_support::runtime]
mod runtime {
	/// The Offload runtime.
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	// System support.
	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type ParachainSystem = cumulus_pallet_parachain_system;
	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(3)]
	pub type ParachainInfo = staging_parachain_info;
	#[runtime::pallet_index(4)]
	pub type WeightReclaim = cumulus_pallet_weight_reclaim;

	// Money.
	#[runtime::pallet_index(10)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(11)]
	pub type TransactionPayment = pallet_transaction_payment;

	// Governance and utilities. Sudo is for dev chains and testnets only.
	#[runtime::pallet_index(15)]
	pub type Sudo = pallet_sudo;
	#[runtime::pallet_index(16)]
	pub type Utility = pallet_utility;
	#[runtime::pallet_index(17)]
	pub type Treasury = pallet_treasury;

	// Collators. Keep this order: authorship must run before session.
	#[runtime::pallet_index(20)]
	pub type Authorship = pallet_authorship;
	#[runtime::pallet_index(21)]
	pub type CollatorSelection = pallet_collator_selection;
	#[runtime::pallet_index(22)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(23)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(24)]
	pub type AuraExt = cumulus_pallet_aura_ext;

	// XCM.
	#[runtime::pallet_index(30)]
	pub type XcmpQueue = cumulus_pallet_xcmp_queue;
	#[runtime::pallet_index(31)]
	pub type PolkadotXcm = pallet_xcm;
	#[runtime::pallet_index(32)]
	pub type CumulusXcm = cumulus_pallet_xcm;
	#[runtime::pallet_index(33)]
	pub type MessageQueue = pallet_message_queue;

	// Identity: registrars' judgements mark verified providers.
	#[runtime::pallet_index(40)]
	pub type Identity = pallet_identity;

	// The compute market.
	#[runtime::pallet_index(50)]
	pub type Escrow = pallet_offload_escrow;
	#[runtime::pallet_index(51)]
	pub type Registry = pallet_offload_registry;
	#[runtime::pallet_index(52)]
	pub type Market = pallet_offload_market;
	#[runtime::pallet_index(53)]
	pub type Reputation = pallet_offload_reputation;
	#[runtime::pallet_index(54)]
	pub type Rewards = pallet_offload_rewards;
	#[runtime::pallet_index(55)]
	pub type Subscriptions = pallet_offload_subscriptions;
	#[runtime::pallet_index(56)]
	pub type Datasets = pallet_offload_datasets;
}
