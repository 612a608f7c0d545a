//! Genesis presets: `development` (what `offload-node --dev` runs) and `local_testnet` (a
//! relay-chain network of local collators). Both fund the well-known dev accounts.

use crate::{
	configs::compute::TreasuryAccount, AccountId, AuraId, Balance, BalancesConfig, BlockNumber,
	RuntimeGenesisConfig, SessionKeys, EXISTENTIAL_DEPOSIT, MILLI_UNIT, UNIT,
};
use alloc::{vec, vec::Vec};
use cumulus_primitives_core::ParaId;
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;

/// The parachain id both presets use (the first id a relay chain hands out to a new chain).
pub const PARACHAIN_ID: u32 = 2000;

/// What each dev account holds at genesis.
pub const ENDOWMENT: u128 = 1_000_000 * UNIT;

/// What a collator bonds to become a candidate.
const COLLATOR_BOND: u128 = 16 * UNIT;

/// Safe XCM version announced before negotiation.
const SAFE_XCM_VERSION: u32 = xcm::prelude::XCM_VERSION;

/// The well-known dev accounts (Alice .. Ferdie), which every preset funds.
pub fn dev_accounts() -> Vec<AccountId> {
	use Sr25519Keyring::*;
	[Alice, Bob, Charlie, Dave, Eve, Ferdie].iter().map(|k| k.to_account_id()).collect()
}

fn session_keys(aura: AuraId) -> SessionKeys {
	SessionKeys { aura }
}

/// How the reward pool starts: era length in blocks and emission per block.
struct Rewards {
	era_length: BlockNumber,
	emission: Balance,
}

fn genesis(
	invulnerables: Vec<(AccountId, AuraId)>,
	endowed: Vec<AccountId>,
	root: AccountId,
	id: ParaId,
	rewards: Rewards,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed
				.iter()
				.cloned()
				.map(|account| (account, ENDOWMENT))
				// The treasury must exist to receive fees smaller than the existential deposit.
				.chain([(TreasuryAccount::get(), EXISTENTIAL_DEPOSIT)])
				.collect(),
		},
		parachain_info: staging_parachain_info::GenesisConfig { parachain_id: id },
		collator_selection: pallet_collator_selection::GenesisConfig {
			invulnerables: invulnerables.iter().cloned().map(|(account, _)| account).collect(),
			candidacy_bond: COLLATOR_BOND,
		},
		session: pallet_session::GenesisConfig {
			keys: invulnerables
				.into_iter()
				.map(|(account, aura)| (account.clone(), account, session_keys(aura)))
				.collect(),
		},
		polkadot_xcm: pallet_xcm::GenesisConfig { safe_xcm_version: Some(SAFE_XCM_VERSION) },
		sudo: pallet_sudo::GenesisConfig { key: Some(root) },
		rewards: pallet_offload_rewards::GenesisConfig {
			era_length: rewards.era_length,
			emission: rewards.emission,
		},
	})
}

/// Eras of the development chain: 200 blocks (20 minutes at 6 s blocks), so rewards can be
/// watched and claimed while developing. Uptime is counted at heartbeats, which a worker sends
/// every 50 blocks, so an era much shorter than that would count it coarsely.
pub const DEV_ERA_LENGTH: BlockNumber = 200;

/// Emission of the development chain: 0.01 OFL per block of an era with work.
pub const DEV_EMISSION: Balance = 10 * MILLI_UNIT;

/// Alice collates alone; every dev account is funded; Alice is sudo; eras are short and
/// emission is on.
fn development() -> Value {
	genesis(
		vec![(Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Alice.public().into())],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		PARACHAIN_ID.into(),
		Rewards { era_length: DEV_ERA_LENGTH, emission: DEV_EMISSION },
	)
}

/// Alice and Bob collate; every dev account is funded; Alice is sudo; eras last a day and
/// emission is off until governance turns it on.
fn local_testnet() -> Value {
	genesis(
		vec![
			(Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Alice.public().into()),
			(Sr25519Keyring::Bob.to_account_id(), Sr25519Keyring::Bob.public().into()),
		],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		PARACHAIN_ID.into(),
		Rewards { era_length: crate::configs::treasury::ERA_LENGTH, emission: 0 },
	)
}

/// The JSON patch of the named preset, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet(),
		_ => return None,
	};
	Some(serde_json::to_string(&patch).unwrap_or_else(|_| "{}".into()).into_bytes())
}

/// The presets this runtime provides.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{Aura, Balances, ParachainInfo, Runtime, System};
	use sp_runtime::BuildStorage;

	/// Builds the genesis state of a preset the way a node does: the default config patched by
	/// the preset's JSON, then built into storage.
	fn build(preset: &str) -> sp_io::TestExternalities {
		let patch = get_preset(&PresetId::from(preset)).expect("the preset exists");
		let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
		let patch: Value = serde_json::from_slice(&patch).expect("the preset is JSON");
		json_merge(&mut config, patch);
		let config: RuntimeGenesisConfig =
			serde_json::from_value(config).expect("the patched config deserializes");
		config.build_storage().expect("the preset builds").into()
	}

	fn json_merge(base: &mut Value, patch: Value) {
		match (base, patch) {
			(Value::Object(base), Value::Object(patch)) => {
				for (key, value) in patch {
					json_merge(base.entry(key).or_insert(Value::Null), value);
				}
			},
			(base, patch) => *base = patch,
		}
	}

	#[test]
	fn preset_names_are_the_two_presets() {
		let names: Vec<_> = preset_names()
			.into_iter()
			.map(|p| String::from_utf8(p.into()).expect("preset names are UTF-8"))
			.collect();
		assert_eq!(names, vec!["development".to_string(), "local_testnet".to_string()]);
		assert!(get_preset(&PresetId::from("no-such-preset")).is_none());
	}

	#[test]
	fn development_funds_dev_accounts_and_sets_alice_as_collator_and_sudo() {
		build(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
			for account in dev_accounts() {
				assert_eq!(Balances::free_balance(&account), ENDOWMENT);
			}
			assert_eq!(dev_accounts().len(), 6);
			// The treasury exists from genesis, so fees below the existential deposit can land.
			let treasury = crate::configs::compute::TreasuryAccount::get();
			assert_eq!(Balances::free_balance(&treasury), EXISTENTIAL_DEPOSIT);
			// So does the reward pool, and the first era runs with the dev chain's emission.
			let pool = crate::Rewards::pool();
			assert_eq!(Balances::free_balance(&pool), EXISTENTIAL_DEPOSIT);
			assert_eq!(
				pallet_offload_rewards::CurrentEra::<Runtime>::get(),
				pallet_offload_rewards::ActiveEra {
					index: 0,
					start: 0,
					length: DEV_ERA_LENGTH,
					..Default::default()
				}
			);
			assert_eq!(pallet_offload_rewards::Emission::<Runtime>::get(), DEV_EMISSION);
			assert_eq!(
				pallet_balances::TotalIssuance::<Runtime>::get(),
				ENDOWMENT * dev_accounts().len() as u128 + 2 * EXISTENTIAL_DEPOSIT
			);
			assert_eq!(ParachainInfo::parachain_id(), ParaId::from(PARACHAIN_ID));
			assert_eq!(
				pallet_collator_selection::Invulnerables::<Runtime>::get().into_inner(),
				vec![Sr25519Keyring::Alice.to_account_id()]
			);
			let alice_aura: AuraId = Sr25519Keyring::Alice.public().into();
			assert_eq!(pallet_aura::Authorities::<Runtime>::get().into_inner(), vec![alice_aura]);
			assert_eq!(
				pallet_sudo::Key::<Runtime>::get(),
				Some(Sr25519Keyring::Alice.to_account_id())
			);
			assert_eq!(System::block_number(), 0);
			let _ = Aura::slot_duration();
		});
	}

	#[test]
	fn local_testnet_has_two_collators_and_funds_dev_accounts() {
		build(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
			// Collator selection keeps invulnerables sorted.
			let mut expected =
				vec![Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Bob.to_account_id()];
			expected.sort();
			assert_eq!(
				pallet_collator_selection::Invulnerables::<Runtime>::get().into_inner(),
				expected
			);
			assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 2);
			for account in dev_accounts() {
				assert_eq!(Balances::free_balance(&account), ENDOWMENT);
			}
		});
	}
}
