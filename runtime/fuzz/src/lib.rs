//! A fuzzer for Offload's real runtime.
//!
//! An input is a byte string. [`run`] reads it with [`arbitrary::Unstructured`], the
//! structure-aware decoding that cargo-fuzz and ziggy targets use, as a sequence of steps on a
//! chain that starts from the development genesis: signed extrinsics of the compute pallets'
//! calls (and balances, utility, and the sudo call the registry's admin origin needs), sent by
//! the six dev accounts, and blocks sealed with lapses of one to several hundred block numbers
//! so that deadlines pass. Every block is built as a collator builds one: Aura's slot digest,
//! the timestamp and validation-data inherents (a mocked relay chain with its randomness), the
//! extrinsics through `Executive::apply_extrinsic` with their real signatures, nonces, fees and
//! weight checks, then `Executive::finalize_block` with its idle hooks.
//!
//! After every block [`Chain::check`] holds the runtime to its invariants: every compute
//! pallet's `try_state`; every hold on every account backed by a record (no leaked holds);
//! total issuance unchanged but for the reward pool's emission (fees and slashes only move
//! funds, to the treasury, the pool, providers and requesters) and equal to the sum of all
//! accounts; the block's weight within its limit. A
//! panic anywhere, or a broken invariant, fails the input.

use arbitrary::{Result as ArbitraryResult, Unstructured};
use codec::Encode;
use cumulus_client_parachain_inherent::{MockValidationDataInherentDataProvider, MockXcmConfig};
use cumulus_primitives_core::{relay_chain::well_known_keys, ParaId};
use frame_support::inherent::ProvideInherent;
use frame_support::{dispatch::DispatchClass, BoundedVec};
use offload_runtime::{
	genesis_config_presets::{get_preset, PARACHAIN_ID},
	AccountId, Balance, Executive, Header, Runtime, RuntimeCall, RuntimeGenesisConfig,
	RuntimeHoldReason, SignedPayload, UncheckedExtrinsic, MILLI_UNIT, SLOT_DURATION, UNIT,
};
use pallet_offload_market::{Hash32, Input, JobSpec, Pricing, Report, Usage, Workload};
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_core::Pair;
use sp_inherents::{InherentData, InherentDataProvider};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::{Header as _, Zero},
	BuildStorage, Digest, DigestItem, MultiAddress, MultiSignature, Permill,
};
use std::collections::BTreeMap;

/// Blocks that may pass between two with calls (the ones between are empty): none, past an
/// acknowledgement or reveal deadline, past the heartbeat timeout.
const LAPSES: [u32; 6] = [1, 1, 1, 4, 11, 101];

/// Most blocks one input builds.
const MAX_BLOCKS: u32 = 512;

/// What one input did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
	/// Extrinsics applied (whatever their outcome).
	pub calls: u64,
	/// Of those, the ones whose dispatch succeeded.
	pub succeeded: u64,
	/// Blocks built.
	pub blocks: u64,
}

/// Runs one input against a fresh development chain, checking every invariant after each
/// block. Returns what it did, or the first broken invariant. A panic in the runtime is not
/// caught here: the caller decides (the command line reports it with the input).
pub fn run(genesis: &sp_core::storage::Storage, data: &[u8]) -> Result<Tally, String> {
	let mut chain = Chain::new(genesis.clone());
	let mut input = Unstructured::new(data);
	let mut tally = Tally::default();
	chain.start_block();
	while !input.is_empty() && chain.blocks < MAX_BLOCKS {
		let end_block = input.ratio(1u8, 12u8).unwrap_or(true);
		if end_block {
			let lapse = *input.choose(&LAPSES).unwrap_or(&1);
			chain.end_block()?;
			tally.blocks += 1;
			for _ in 1..lapse {
				chain.start_block();
				chain.end_block()?;
				tally.blocks += 1;
			}
			chain.start_block();
			continue;
		}
		let Ok((who, call)) = chain.ext.execute_with(|| Action::pick(&mut input)) else { break };
		tally.calls += 1;
		match chain.submit(who, call) {
			Applied::Succeeded => tally.succeeded += 1,
			Applied::Failed => {},
			// A full block is sealed, as a block builder would.
			Applied::BlockFull => {
				chain.end_block()?;
				tally.blocks += 1;
				chain.start_block();
			},
		}
	}
	chain.end_block()?;
	tally.blocks += 1;
	Ok(tally)
}

/// The development genesis state, as `offload-node --dev` builds it.
pub fn genesis() -> sp_core::storage::Storage {
	let preset = get_preset(&"development".into()).expect("the runtime has the development preset");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default())
		.expect("the default config serializes");
	merge(&mut config, serde_json::from_slice(&preset).expect("the preset is JSON"));
	let config: RuntimeGenesisConfig =
		serde_json::from_value(config).expect("the patched config deserializes");
	config.build_storage().expect("the development genesis builds")
}

fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

/// The keys of the accounts that act: the six funded dev accounts. Alice is also sudo.
fn keys() -> [Sr25519Keyring; 6] {
	use Sr25519Keyring::*;
	[Alice, Bob, Charlie, Dave, Eve, Ferdie]
}

/// How an extrinsic went.
enum Applied {
	Succeeded,
	Failed,
	BlockFull,
}

/// A chain being built, block by block, in memory.
struct Chain {
	ext: sp_io::TestExternalities,
	parent: Header,
	number: u32,
	blocks: u32,
	issuance: Balance,
}

impl Chain {
	fn new(genesis: sp_core::storage::Storage) -> Self {
		let mut ext = sp_io::TestExternalities::new(genesis);
		let issuance = ext.execute_with(pallet_balances::TotalIssuance::<Runtime>::get);
		let parent = Header::new(
			0,
			Default::default(),
			Default::default(),
			Default::default(),
			Default::default(),
		);
		Chain { ext, parent, number: 0, blocks: 0, issuance }
	}

	/// Opens the next block with its inherents, as a collator would.
	fn start_block(&mut self) {
		self.number += 1;
		let number = self.number;
		let parent = self.parent.clone();
		self.ext.execute_with(|| {
			// Our slot is the block number, and the relay chain's slot equals ours (both 6 s).
			let slot = u64::from(number);
			let digest = Digest {
				logs: vec![DigestItem::PreRuntime(AURA_ENGINE_ID, Slot::from(slot).encode())],
			};
			let header =
				Header::new(number, Default::default(), Default::default(), parent.hash(), digest);
			Executive::initialize_block(&header);

			let timestamp = pallet_timestamp::Call::<Runtime>::set { now: slot * SLOT_DURATION };
			let applied =
				Executive::apply_extrinsic(UncheckedExtrinsic::new_bare(timestamp.into()));
			assert!(matches!(applied, Ok(Ok(()))), "the timestamp inherent: {applied:?}");

			let parent_number = *parent.number();
			let relay = MockValidationDataInherentDataProvider::<()> {
				current_para_block: parent_number,
				para_id: ParaId::from(PARACHAIN_ID),
				current_para_block_head: Some(parent.encode().into()),
				relay_offset: number.saturating_sub(parent_number),
				relay_blocks_per_para_block: 1,
				para_blocks_per_relay_epoch: 10,
				xcm_config: MockXcmConfig::default(),
				additional_key_values: Some(vec![(
					well_known_keys::CURRENT_BLOCK_RANDOMNESS.to_vec(),
					Some(sp_io::hashing::blake2_256(&(b"fuzz", number).encode())).encode(),
				)]),
				..Default::default()
			};
			let mut data = InherentData::new();
			futures::executor::block_on(relay.provide_inherent_data(&mut data))
				.expect("the mocked relay chain provides its data");
			let inherent =
				cumulus_pallet_parachain_system::Pallet::<Runtime>::create_inherent(&data)
					.expect("validation data makes an inherent");
			let applied = Executive::apply_extrinsic(UncheckedExtrinsic::new_bare(
				RuntimeCall::ParachainSystem(inherent),
			));
			assert!(matches!(applied, Ok(Ok(()))), "the validation-data inherent: {applied:?}");
		});
	}

	/// Signs `call` by account `who` with its next nonce and applies it.
	fn submit(&mut self, who: usize, call: RuntimeCall) -> Applied {
		let key = keys()[who % keys().len()];
		let call_name = {
			use frame_support::traits::GetCallName;
			match &call {
				RuntimeCall::Market(call) => call.get_call_name(),
				RuntimeCall::Registry(call) => call.get_call_name(),
				RuntimeCall::Balances(call) => call.get_call_name(),
				RuntimeCall::Utility(call) => call.get_call_name(),
				RuntimeCall::Reputation(call) => call.get_call_name(),
				RuntimeCall::Rewards(call) => call.get_call_name(),
				RuntimeCall::Subscriptions(call) => call.get_call_name(),
				RuntimeCall::Datasets(call) => call.get_call_name(),
				_ => "other",
			}
		};
		self.ext.execute_with(|| {
			let account: AccountId = key.to_account_id();
			let nonce = frame_system::Pallet::<Runtime>::account_nonce(&account);
			let extension = offload_runtime::tx_extension(nonce);
			let payload = SignedPayload::new(call.clone(), extension.clone())
				.expect("the implicit data of the standard extensions exists");
			let signature = payload.using_encoded(|bytes| key.pair().sign(bytes));
			let extrinsic = UncheckedExtrinsic::new_signed(
				call,
				MultiAddress::Id(account),
				MultiSignature::Sr25519(signature),
				extension,
			);
			let applied = Executive::apply_extrinsic(extrinsic);
			if std::env::var_os("OFFLOAD_FUZZ_TRACE").is_some() {
				eprintln!("{who} {call_name}: {applied:?}");
			}
			match applied {
				Ok(Ok(())) => Applied::Succeeded,
				Ok(Err(_)) => Applied::Failed,
				Err(sp_runtime::transaction_validity::TransactionValidityError::Invalid(
					sp_runtime::transaction_validity::InvalidTransaction::ExhaustsResources,
				)) => Applied::BlockFull,
				Err(_) => Applied::Failed,
			}
		})
	}

	/// Seals the block and checks the invariants.
	fn end_block(&mut self) -> Result<(), String> {
		let issuance = self.issuance;
		let number = self.number;
		let checked = self.ext.execute_with(|| {
			let header = Executive::finalize_block();
			// The reward pool's emission, minted when an era with work ends, is the only
			// new money.
			let minted = frame_system::Pallet::<Runtime>::events()
				.iter()
				.filter_map(|record| match record.event {
					offload_runtime::RuntimeEvent::Rewards(
						pallet_offload_rewards::Event::EraEnded { emission, .. },
					) => Some(emission),
					_ => None,
				})
				.fold(0u128, |sum, emission| sum.saturating_add(emission));
			let issuance = issuance.saturating_add(minted);
			Self::check(issuance).map(|()| (header, issuance))
		});
		let (header, issuance) =
			checked.map_err(|broken| format!("after block {number}: {broken}"))?;
		self.issuance = issuance;
		self.ext.commit_all().map_err(|error| format!("commit: {error}"))?;
		self.parent = header;
		self.blocks += 1;
		Ok(())
	}

	/// Every invariant the runtime must keep, whatever was called.
	fn check(issuance: Balance) -> Result<(), String> {
		pallet_offload_escrow::Pallet::<Runtime>::do_try_state()
			.map_err(|error| format!("escrow: {error:?}"))?;
		pallet_offload_registry::Pallet::<Runtime>::do_try_state()
			.map_err(|error| format!("registry: {error:?}"))?;
		pallet_offload_market::Pallet::<Runtime>::do_try_state()
			.map_err(|error| format!("market: {error:?}"))?;
		pallet_offload_rewards::Pallet::<Runtime>::do_try_state()
			.map_err(|error| format!("rewards: {error:?}"))?;
		pallet_offload_subscriptions::Pallet::<Runtime>::do_try_state()
			.map_err(|error| format!("subscriptions: {error:?}"))?;
		pallet_offload_datasets::Pallet::<Runtime>::do_try_state()
			.map_err(|error| format!("datasets: {error:?}"))?;
		check_holds()?;

		// Fees go to the treasury and the reward pool, slashes to requesters and the
		// treasury: nothing is burnt, and only the pool's emission is minted.
		let total = pallet_balances::TotalIssuance::<Runtime>::get();
		if total != issuance {
			return Err(format!("total issuance moved from {issuance} to {total}"));
		}
		let sum = frame_system::Account::<Runtime>::iter()
			.map(|(_, info)| info.data.free.saturating_add(info.data.reserved))
			.fold(0u128, |sum, balance| sum.saturating_add(balance));
		if sum != total {
			return Err(format!("the accounts hold {sum}, the issuance says {total}"));
		}

		let weight = frame_system::BlockWeight::<Runtime>::get();
		let limits = <Runtime as frame_system::Config>::BlockWeights::get();
		let used = weight.total();
		if used.any_gt(limits.max_block) {
			return Err(format!("block weight {used} over the limit {}", limits.max_block));
		}
		let normal = weight.get(DispatchClass::Normal);
		if let Some(max) = limits.get(DispatchClass::Normal).max_total {
			if normal.any_gt(max) {
				return Err(format!("normal weight {normal} over its limit {max}"));
			}
		}
		Ok(())
	}
}

/// Every hold on every account is backed by what the pallets record: job payments by escrows,
/// bonds by the registry's bonds, program deposits by programs. A hold nobody records can
/// never be released.
pub fn check_holds() -> Result<(), String> {
	use pallet_offload_escrow::HoldReason as Escrow;
	use pallet_offload_market::HoldReason as Market;
	let mut expected: BTreeMap<(AccountId, Vec<u8>), Balance> = BTreeMap::new();
	let mut add = |who: AccountId, reason: RuntimeHoldReason, amount: Balance| {
		let entry = expected.entry((who, reason.encode())).or_default();
		*entry = entry.saturating_add(amount);
	};
	for (_, escrow) in pallet_offload_escrow::Escrows::<Runtime>::iter() {
		add(escrow.requester, Escrow::JobPayment.into(), escrow.held);
	}
	for (provider, bond) in pallet_offload_escrow::Bonds::<Runtime>::iter() {
		add(provider, Escrow::ProviderBond.into(), bond);
	}
	for (_, program) in pallet_offload_market::Programs::<Runtime>::iter() {
		add(program.owner, Market::ProgramDeposit.into(), program.deposit);
	}
	for (_, prepaid) in pallet_offload_escrow::Prepaid::<Runtime>::iter() {
		add(prepaid.requester, Escrow::SubscriptionPayment.into(), prepaid.held);
	}
	for (_, subscription) in pallet_offload_subscriptions::Records::<Runtime>::iter() {
		add(
			subscription.requester,
			pallet_offload_subscriptions::HoldReason::Deposit.into(),
			subscription.deposit,
		);
	}
	for (_, dataset) in pallet_offload_datasets::Records::<Runtime>::iter() {
		add(dataset.owner, pallet_offload_datasets::HoldReason::Deposit.into(), dataset.deposit);
	}
	for (who, holds) in pallet_balances::Holds::<Runtime>::iter() {
		for hold in holds {
			let recorded = expected.remove(&(who.clone(), hold.id.encode())).unwrap_or_default();
			if hold.amount != recorded {
				return Err(format!(
					"{who} has {} held for {:?}, its records say {recorded}",
					hold.amount, hold.id
				));
			}
		}
	}
	if let Some(((who, reason), amount)) =
		expected.into_iter().find(|(_, amount)| !amount.is_zero())
	{
		return Err(format!("{who} should have {amount} held for {reason:?}, and has none"));
	}
	Ok(())
}

/// One step of an input: which account sends which call.
struct Action;

impl Action {
	/// Picks an account and a call. Amounts, ids and limits come from menus of edge values
	/// (zero, one, the limits and one past them, the largest value) and from arbitrary
	/// numbers, so that both the rules' edges and what lies between are reached.
	fn pick(u: &mut Unstructured) -> ArbitraryResult<(usize, RuntimeCall)> {
		let who = u.choose_index(keys().len())?;
		// Mostly the market and the registry; transfers rarely, so that accounts keep enough
		// to pay fees.
		let call = match u.int_in_range(0u8..=37)? {
			0..=8 => registry_call(u)?,
			9..=28 => market_call(u, who)?,
			29 => balances_call(u)?,
			30 => {
				let calls = (0..u.int_in_range(1..=3)?)
					.map(|_| inner_call(u, who))
					.collect::<ArbitraryResult<Vec<_>>>()?;
				match u.int_in_range(0u8..=2)? {
					0 => pallet_utility::Call::batch { calls }.into(),
					1 => pallet_utility::Call::batch_all { calls }.into(),
					_ => pallet_utility::Call::force_batch { calls }.into(),
				}
			},
			31 => RuntimeCall::Reputation(pallet_offload_reputation::Call::prune {
				provider: account(u)?,
			}),
			32 | 33 => rewards_call(u)?,
			34 | 35 => datasets_call(u)?,
			_ => subscriptions_call(u)?,
		};
		Ok((who, call))
	}
}

/// A call of the reward pool: a claim, or clearing anyone's expired records.
fn rewards_call(u: &mut Unstructured) -> ArbitraryResult<RuntimeCall> {
	Ok(RuntimeCall::Rewards(if u.arbitrary()? {
		pallet_offload_rewards::Call::claim {}
	} else {
		pallet_offload_rewards::Call::clear_expired { who: account(u)? }
	}))
}

/// A call of the subscriptions: subscribing with edge periods and prices, renewing or
/// cancelling one of the first few ids (which may or may not exist, or be someone else's).
fn subscriptions_call(u: &mut Unstructured) -> ArbitraryResult<RuntimeCall> {
	use pallet_offload_subscriptions::Call;
	let min = offload_runtime::configs::compute::MinPeriod::get();
	let max = offload_runtime::configs::compute::MaxPeriod::get();
	let subscription = u.int_in_range(0u64..=4)?;
	Ok(RuntimeCall::Subscriptions(match u.int_in_range(0u8..=3)? {
		0 | 1 => Call::subscribe {
			// Mostly WASM, which most offers take.
			kind: if u.ratio(3u8, 4u8)? {
				pallet_offload_subscriptions::RuntimeKind::Wasm
			} else {
				pallet_offload_subscriptions::RuntimeKind::Container
			},
			// Mostly a subscription some provider can serve, so that jobs run on it too.
			resources: pallet_offload_subscriptions::Resources {
				cpu_millicores: sane_or_edge(u, &[1_000, 2_000], &[0, 1, 4_000, u32::MAX])?,
				memory_mib: sane_or_edge(u, &[256, 1_024], &[0, 4_096, u32::MAX])?,
				storage_gib: sane_or_edge(u, &[1], &[0, u32::MAX])?,
				gpus: 0,
			},
			max_price: sane_or_edge(u, &[10 * UNIT, 10_000 * UNIT], &[0, 1, MILLI_UNIT])?,
			min_reputation: Permill::from_parts(sane_or_edge(u, &[0], &[1, 1_000_000])?),
			period: sane_or_edge(u, &[min, min + 1], &[0, min - 1, max, max + 1, u32::MAX])?,
			periods: sane_or_edge(u, &[1, 2], &[0, 64, 65, u32::MAX])?,
		},
		2 => Call::renew { subscription, periods: *u.choose(&[0, 1, 63, 64, u32::MAX])? },
		_ => Call::cancel { subscription },
	}))
}

/// A call of the datasets: registering one with edge royalties (any program, or the fuzz's
/// programs), updating, retiring or removing one of the first few ids, granting a key for a
/// job.
fn datasets_call(u: &mut Unstructured) -> ArbitraryResult<RuntimeCall> {
	use pallet_offload_datasets::Call;
	let dataset = u.int_in_range(0u64..=4)?;
	let programs = if u.ratio(1u8, 3u8)? {
		BoundedVec::truncate_from(vec![program_hash(u)?])
	} else {
		BoundedVec::new()
	};
	let royalty = sane_or_edge(u, &[MILLI_UNIT, UNIT], &[0, 1, Balance::MAX])?;
	Ok(RuntimeCall::Datasets(match u.int_in_range(0u8..=5)? {
		0 | 1 => Call::register {
			hash: [3; 32],
			size: *u.choose(&[0, 1, 1 << 30])?,
			location: BoundedVec::truncate_from(b"https://data.example/set".to_vec()),
			royalty,
			programs,
			sealed: u.arbitrary()?,
		},
		2 => Call::update {
			dataset,
			location: BoundedVec::truncate_from(b"https://data.example/moved".to_vec()),
			royalty,
			programs,
		},
		3 => Call::retire { dataset },
		4 => Call::remove { dataset },
		_ => Call::grant_key {
			job: job_id(u)?,
			dataset,
			grant: BoundedVec::truncate_from(vec![1; 149]),
		},
	}))
}

fn inner_call(u: &mut Unstructured, who: usize) -> ArbitraryResult<RuntimeCall> {
	match u.int_in_range(0u8..=7)? {
		0..=2 => registry_call(u),
		3..=6 => market_call(u, who),
		_ => balances_call(u),
	}
}

fn account(u: &mut Unstructured) -> ArbitraryResult<AccountId> {
	if u.ratio(1u8, 16u8)? {
		return Ok(AccountId::from(u.arbitrary::<[u8; 32]>()?));
	}
	Ok(keys()[u.choose_index(keys().len())?].to_account_id())
}

fn amount(u: &mut Unstructured) -> ArbitraryResult<Balance> {
	const MENU: [Balance; 12] = [
		0,
		1,
		MILLI_UNIT - 1,
		MILLI_UNIT,
		MILLI_UNIT + 1,
		UNIT,
		99 * UNIT,
		100 * UNIT,
		101 * UNIT,
		10_000 * UNIT,
		2_000_000 * UNIT,
		Balance::MAX,
	];
	if u.ratio(1u8, 3u8)? {
		return Ok(u128::from(u.arbitrary::<u64>()?) >> u.int_in_range(0..=63)?);
	}
	Ok(*u.choose(&MENU)?)
}

fn small<T: Copy>(u: &mut Unstructured, menu: &[T]) -> ArbitraryResult<T> {
	Ok(*u.choose(menu)?)
}

/// Mostly one of `sane` (so that calls get far), one time in eight one of `edges`.
fn sane_or_edge<T: Copy>(u: &mut Unstructured, sane: &[T], edges: &[T]) -> ArbitraryResult<T> {
	if u.ratio(1u8, 8u8)? {
		small(u, edges)
	} else {
		small(u, sane)
	}
}

fn registry_call(u: &mut Unstructured) -> ArbitraryResult<RuntimeCall> {
	use pallet_offload_registry::Call;
	Ok(match u.int_in_range(0u8..=8)? {
		0 => {
			let bond = if u.ratio(3u8, 4u8)? {
				small(u, &[100 * UNIT, 1_000 * UNIT, 10_000 * UNIT])?
			} else {
				amount(u)?
			};
			Call::register { offer: offer(u)?, bond }.into()
		},
		1 => Call::update_offer { offer: offer(u)? }.into(),
		2..=3 => Call::heartbeat {}.into(),
		4 => Call::pause {}.into(),
		5 => Call::resume {}.into(),
		6 => Call::deregister {}.into(),
		7 => {
			if u.arbitrary()? {
				Call::withdraw_bond {}.into()
			} else {
				Call::add_bond { amount: amount(u)? }.into()
			}
		},
		// Only the admin origin may verify (sudo, held by Alice, on dev chains).
		_ => pallet_sudo::Call::sudo {
			call: Box::new(RuntimeCall::Registry(Call::set_verified {
				provider: account(u)?,
				verified: u.arbitrary()?,
			})),
		}
		.into(),
	})
}

fn offer(u: &mut Unstructured) -> ArbitraryResult<pallet_offload_registry::Offer<Runtime>> {
	Ok(pallet_offload_registry::Offer {
		resources: offered(u)?,
		wasm: u.ratio(7u8, 8u8)?,
		container: u.arbitrary()?,
		prices: offload_primitives_prices(u)?,
		max_concurrent: sane_or_edge(u, &[4, 16, 1, 2], &[0, u16::MAX])?,
		region: *b"DE",
		encryption_key: if u.arbitrary()? { [0; 32] } else { [9; 32] },
		endpoint: BoundedVec::truncate_from(b"http://127.0.0.1:1".to_vec()),
	})
}

/// What a provider offers: mostly plenty, sometimes nothing or everything.
fn offered(u: &mut Unstructured) -> ArbitraryResult<pallet_offload_market::Resources> {
	Ok(pallet_offload_market::Resources {
		cpu_millicores: sane_or_edge(u, &[4_000, 16_000], &[0, 1, u32::MAX])?,
		memory_mib: sane_or_edge(u, &[4_096, 65_536], &[0, 1, u32::MAX])?,
		storage_gib: sane_or_edge(u, &[100, 1_000], &[0, u32::MAX])?,
		gpus: small(u, &[0, 0, 1, 8, u16::MAX])?,
	})
}

/// What a job needs: mostly a little, sometimes nothing or everything.
fn needed(u: &mut Unstructured) -> ArbitraryResult<pallet_offload_market::Resources> {
	Ok(pallet_offload_market::Resources {
		cpu_millicores: sane_or_edge(u, &[100, 1_000, 2_000], &[0, u32::MAX])?,
		memory_mib: sane_or_edge(u, &[64, 512, 2_048], &[0, u32::MAX])?,
		storage_gib: sane_or_edge(u, &[0, 1, 10], &[u32::MAX])?,
		gpus: small(u, &[0, 0, 0, 0, 1, u16::MAX])?,
	})
}

fn offload_primitives_prices(
	u: &mut Unstructured,
) -> ArbitraryResult<pallet_offload_market::Prices<Balance>> {
	let price = |u: &mut Unstructured| -> ArbitraryResult<Balance> {
		if u.arbitrary()? {
			small(u, &[0, 1, 1_000, MILLI_UNIT, UNIT])
		} else {
			amount(u)
		}
	};
	Ok(pallet_offload_market::Prices {
		per_million_fuel: price(u)?,
		per_second: price(u)?,
		base_per_job: price(u)?,
	})
}

/// Programs the inputs upload: two small fixed ones (so that jobs find them) and arbitrary
/// bytes.
const PROGRAMS: [&[u8]; 2] = [b"\0asm\x01\0\0\0", b"\0asm\x01\0\0\0\0"];

fn program_hash(u: &mut Unstructured) -> ArbitraryResult<Hash32> {
	if u.ratio(1u8, 8u8)? {
		return u.arbitrary::<[u8; 32]>();
	}
	Ok(sp_io::hashing::blake2_256(u.choose(&PROGRAMS)?))
}

/// A job id near the next one, or any.
fn job_id(u: &mut Unstructured) -> ArbitraryResult<u64> {
	let next = pallet_offload_market::NextJobId::<Runtime>::get();
	if u.ratio(1u8, 16u8)? {
		return u.arbitrary();
	}
	Ok(next.saturating_sub(u.int_in_range(1..=6)?))
}

/// Reports from a small set, so that replicas often agree and sometimes do not.
fn report(u: &mut Unstructured) -> ArbitraryResult<Report> {
	Ok(Report {
		result: [small(u, &[0u8, 1, 1, 2])?; 32],
		ok: u.ratio(3u8, 4u8)?,
		usage: Usage {
			fuel: small(u, &[0, 1, 1_000_000, 10_000_000, u64::MAX])?,
			seconds: small(u, &[0, 1, 60, u32::MAX])?,
		},
	})
}

fn salt(u: &mut Unstructured) -> ArbitraryResult<Hash32> {
	Ok([small(u, &[0u8, 1])?; 32])
}

fn market_call(u: &mut Unstructured, who: usize) -> ArbitraryResult<RuntimeCall> {
	use pallet_offload_market::Call;
	Ok(match u.int_in_range(0u8..=19)? {
		15..=16 => Call::submit_job { spec: job_spec(u)? }.into(),
		// A job on one of the first few subscriptions (which may not exist, be someone
		// else's, or be full), mostly of one replica as such a job must be.
		18..=19 => {
			let mut spec = job_spec(u)?;
			if u.ratio(3u8, 4u8)? {
				(spec.replicas, spec.quorum) = (1, 1);
			}
			Call::submit_subscription_job { subscription: u.int_in_range(0u64..=4)?, spec }.into()
		},
		17 => {
			let len = u.int_in_range(0..=96)?;
			let grant = BoundedVec::truncate_from(u.bytes(len)?.to_vec());
			Call::grant_input { job: job_id(u)?, grant }.into()
		},
		0 => {
			let code = if u.ratio(3u8, 4u8)? {
				u.choose(&PROGRAMS)?.to_vec()
			} else {
				let len = u.int_in_range(0..=64)?;
				u.bytes(len)?.to_vec()
			};
			Call::upload_program { code: BoundedVec::truncate_from(code) }.into()
		},
		1 => Call::free_program { hash: program_hash(u)? }.into(),
		2 => Call::remove_program { hash: program_hash(u)? }.into(),
		3..=4 => Call::submit_job { spec: job_spec(u)? }.into(),
		5 => Call::cancel { job: job_id(u)? }.into(),
		6..=7 => Call::ack { job: job_id(u)? }.into(),
		8 => Call::decline { job: job_id(u)? }.into(),
		9 => Call::submit_result { job: job_id(u)?, report: report(u)? }.into(),
		10 => {
			let (report, salt) = (report(u)?, salt(u)?);
			let provider = keys()[who % keys().len()].to_account_id();
			let commitment = if u.ratio(7u8, 8u8)? {
				pallet_offload_market::Pallet::<Runtime>::commitment(&report, &salt, &provider)
			} else {
				u.arbitrary::<[u8; 32]>()?
			};
			Call::commit_result { job: job_id(u)?, commitment }.into()
		},
		11 => Call::reveal_result { job: job_id(u)?, report: report(u)?, salt: salt(u)? }.into(),
		12 => Call::expire { job: job_id(u)? }.into(),
		13 => Call::clear_job { job: job_id(u)? }.into(),
		_ => Call::dispute { job: job_id(u)? }.into(),
	})
}

fn input(u: &mut Unstructured) -> ArbitraryResult<Input<Runtime>> {
	if u.ratio(1u8, 4u8)? {
		let count = u.int_in_range(0..=5)?;
		let ids =
			(0..count).map(|_| u.int_in_range(0u64..=4)).collect::<ArbitraryResult<Vec<_>>>()?;
		return Ok(Input::Datasets {
			params: BoundedVec::truncate_from(b"q".to_vec()),
			ids: BoundedVec::truncate_from(ids),
			max_royalties: sane_or_edge(u, &[10 * UNIT], &[0, 1, Balance::MAX])?,
		});
	}
	Ok(if u.arbitrary()? {
		let len = u.int_in_range(0..=8)?;
		Input::Inline(BoundedVec::truncate_from(u.bytes(len)?.to_vec()))
	} else {
		Input::Url {
			url: BoundedVec::truncate_from(b"https://example.org/input".to_vec()),
			hash: [5; 32],
		}
	})
}

fn job_spec(u: &mut Unstructured) -> ArbitraryResult<JobSpec<Runtime>> {
	let workload = if u.ratio(3u8, 4u8)? {
		Workload::Wasm {
			program: program_hash(u)?,
			entry: BoundedVec::truncate_from(b"_start".to_vec()),
			input: input(u)?,
			fuel_limit: sane_or_edge(u, &[1_000_000, 100_000_000], &[0, 1, u64::MAX])?,
			memory_limit_mib: sane_or_edge(u, &[64, 256], &[0, 1, u32::MAX])?,
		}
	} else {
		Workload::Container {
			image_digest: [7; 32],
			command: BoundedVec::truncate_from(b"sh\0-c\0true".to_vec()),
			input: input(u)?,
			max_seconds: sane_or_edge(u, &[60, 600], &[0, 1, u32::MAX])?,
		}
	};
	let replicas = sane_or_edge(u, &[1u8, 1, 1, 2, 3, 3], &[0, 7, 8])?;
	let budget =
		if u.arbitrary()? { small(u, &[MILLI_UNIT, UNIT, 10 * UNIT])? } else { amount(u)? };
	Ok(JobSpec {
		workload,
		resources: needed(u)?,
		pricing: if u.arbitrary()? {
			Pricing::PayPerUse { budget }
		} else {
			Pricing::Fixed { price: budget }
		},
		replicas,
		quorum: if u.ratio(3u8, 4u8)? { replicas / 2 + 1 } else { small(u, &[0u8, 1, 2, 3, 9])? },
		min_reputation: Permill::from_parts(small(u, &[0, 0, 1, 500_000, 1_000_000])?),
		verified_only: u.ratio(1u8, 8u8)?,
		encrypted_input: u.ratio(1u8, 8u8)?,
		run_blocks: sane_or_edge(u, &[10, 100], &[0, 1, 14_400, 14_401])?,
		queue_blocks: sane_or_edge(u, &[0, 10, 100], &[1, 14_400, 14_401])?,
	})
}

fn balances_call(u: &mut Unstructured) -> ArbitraryResult<RuntimeCall> {
	use pallet_balances::Call;
	let dest = MultiAddress::Id(account(u)?);
	Ok(match u.int_in_range(0u8..=15)? {
		0..=6 => Call::transfer_allow_death { dest, value: amount(u)? }.into(),
		7..=14 => Call::transfer_keep_alive { dest, value: amount(u)? }.into(),
		_ => Call::transfer_all { dest, keep_alive: u.arbitrary()? }.into(),
	})
}

/// A deterministic byte stream from `seed`: blake2-256 in counter mode. Inputs for the
/// seeded driver; any byte string is a valid input, so the stream needs no structure.
pub fn bytes_from_seed(seed: u64, len: usize) -> Vec<u8> {
	let mut out = Vec::with_capacity(len + 32);
	let mut counter = 0u64;
	while out.len() < len {
		out.extend_from_slice(&sp_io::hashing::blake2_256(&(seed, counter).encode()));
		counter += 1;
	}
	out.truncate(len);
	out
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::traits::Randomness;
	use sp_runtime::traits::{BlakeTwo256, Hash as _};

	/// Disputes draw their re-executors from the relay chain's randomness: the runtime reads
	/// the relay block's BABE randomness out of the relay state proof that came with the
	/// block's validation data, and says it is known from the relay parent's number on.
	#[test]
	fn the_runtime_draws_from_the_relay_chains_randomness_in_the_state_proof() {
		let mut chain = Chain::new(genesis());
		chain.start_block();
		chain.end_block().expect("an empty block keeps every invariant");
		chain.start_block();
		chain.ext.execute_with(|| {
			let (random, known) =
				offload_runtime::configs::compute::RelayRandomness::random(b"subject");
			// What `start_block` put in the mocked relay chain's state for block 2.
			let relay = sp_io::hashing::blake2_256(&(b"fuzz", 2u32).encode());
			assert_eq!(random, BlakeTwo256::hash_of(&(b"offload/relay", relay, &b"subject"[..])));
			assert_eq!(known, 2, "the relay parent of block 2 is relay block 2");
			let (other, _) = offload_runtime::configs::compute::RelayRandomness::random(b"other");
			assert_ne!(random, other);
		});
	}

	/// Found by the fuzzer: a transfer that left its sender below the existential deposit
	/// burnt the rest, so the total issuance fell. The dust now goes to the treasury.
	#[test]
	fn the_dust_of_a_reaped_account_goes_to_the_treasury() {
		let mut chain = Chain::new(genesis());
		chain.start_block();
		let treasury = offload_runtime::configs::compute::TreasuryAccount::get();
		let before = chain.ext.execute_with(|| offload_runtime::Balances::free_balance(&treasury));
		let ferdie = 5;
		let free = chain.ext.execute_with(|| {
			offload_runtime::Balances::free_balance(keys()[ferdie].to_account_id())
		});
		// All but half the existential deposit.
		chain.ext.execute_with(|| {
			use sp_runtime::traits::Dispatchable;
			let call: RuntimeCall = pallet_balances::Call::transfer_allow_death {
				dest: MultiAddress::Id(keys()[0].to_account_id()),
				value: free - offload_runtime::EXISTENTIAL_DEPOSIT / 2,
			}
			.into();
			let origin = offload_runtime::RuntimeOrigin::signed(keys()[ferdie].to_account_id());
			assert!(call.dispatch(origin).is_ok());
		});
		chain.ext.execute_with(|| {
			let account = keys()[ferdie].to_account_id();
			assert_eq!(offload_runtime::Balances::free_balance(&account), 0, "Ferdie is reaped");
			assert!(offload_runtime::Balances::free_balance(&treasury) > before);
		});
		chain.end_block().expect("the issuance is unchanged");
	}
}
