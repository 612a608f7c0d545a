//! The registry: a provider's whole life, its capacity, and the index matching reads.

use crate::{
	impls::band_of, mock::*, Bands, Error, Event, Index, IndexedIn, JobEscrow, ProviderCount,
	ProviderRegistry, Providers, Resources, RuntimeKind, Status,
};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

fn register(who: u64, fuel_price: u64) {
	assert_ok!(Registry::register(RuntimeOrigin::signed(who), offer(fuel_price), MIN_BOND));
}

fn in_band(who: u64, kind: RuntimeKind, price: u64) -> bool {
	let band = (kind, band_of(price));
	(0..Registry::pages_of(band))
		.any(|page| Index::<Test>::get(band, page).iter().any(|card| card.who == who))
}

/// Who is on `page` of `band`, in order.
fn page_of(band: crate::Band, page: u32) -> Vec<u64> {
	Index::<Test>::get(band, page).iter().map(|card| card.who).collect()
}

/// `who`'s card on the first page `IndexedIn` names.
fn card(who: u64) -> crate::Card<Test> {
	let (band, page) = IndexedIn::<Test>::get(who)[0];
	Index::<Test>::get(band, page)
		.into_iter()
		.find(|card| card.who == who)
		.expect("indexed where IndexedIn says")
}

fn job() -> Resources {
	Resources { cpu_millicores: 1_000, memory_mib: 1_024, storage_gib: 1, gpus: 0 }
}

#[test]
fn price_bands_double() {
	assert_eq!(band_of(0u64), 0);
	assert_eq!(band_of(1u64), 1);
	assert_eq!(band_of(2u64), 1);
	assert_eq!(band_of(3u64), 2);
	assert_eq!(band_of(1_000u64), 9);
	assert_eq!(band_of(u128::MAX), 127);
}

#[test]
fn register_holds_the_bond_and_indexes_the_provider() {
	run(|| {
		register(ALICE, 100);
		assert_eq!(Escrow::bond_of(&ALICE), MIN_BOND);
		assert_eq!(Balances::free_balance(ALICE), START - MIN_BOND);
		let provider = Providers::<Test>::get(ALICE).expect("registered");
		assert_eq!(provider.status, Status::Active);
		assert_eq!(provider.free, offer(100).resources);
		assert_eq!(ProviderCount::<Test>::get(), 1);
		assert!(in_band(ALICE, RuntimeKind::Wasm, 100));
		assert!(in_band(ALICE, RuntimeKind::Container, 3));
		System::assert_last_event(
			Event::ProviderRegistered { provider: ALICE, bond: MIN_BOND }.into(),
		);
	});
}

#[test]
fn register_refuses_bad_input_and_changes_nothing() {
	run(|| {
		assert_noop!(
			Registry::register(RuntimeOrigin::signed(ALICE), offer(1), MIN_BOND - 1),
			Error::<Test>::BondTooLow
		);
		let mut no_runtime = offer(1);
		no_runtime.wasm = false;
		no_runtime.container = false;
		assert_noop!(
			Registry::register(RuntimeOrigin::signed(ALICE), no_runtime, MIN_BOND),
			Error::<Test>::NoRuntime
		);
		let mut no_slots = offer(1);
		no_slots.max_concurrent = 0;
		assert_noop!(
			Registry::register(RuntimeOrigin::signed(ALICE), no_slots, MIN_BOND),
			Error::<Test>::NoCapacity
		);
		let mut nothing = offer(1);
		nothing.resources = Resources::default();
		assert_noop!(
			Registry::register(RuntimeOrigin::signed(ALICE), nothing, MIN_BOND),
			Error::<Test>::NoCapacity
		);
		// A key of low order, with which anyone could open what is sealed to it, also with
		// the top bit set (the same point to x25519).
		for weak in offload_primitives::LOW_ORDER_X25519.iter().skip(1) {
			for top in [0u8, 0x80] {
				let mut sealed_to_all = offer(1);
				sealed_to_all.encryption_key = *weak;
				sealed_to_all.encryption_key[31] |= top;
				assert_noop!(
					Registry::register(RuntimeOrigin::signed(ALICE), sealed_to_all, MIN_BOND),
					Error::<Test>::WeakEncryptionKey
				);
			}
		}
		// Cannot afford the bond.
		assert!(Registry::register(RuntimeOrigin::signed(POOR), offer(1), MIN_BOND).is_err());
		assert!(Providers::<Test>::get(POOR).is_none());
		assert_eq!(ProviderCount::<Test>::get(), 0);
		register(ALICE, 1);
		assert_noop!(
			Registry::register(RuntimeOrigin::signed(ALICE), offer(1), MIN_BOND),
			Error::<Test>::AlreadyRegistered
		);
	});
}

#[test]
fn updating_the_offer_moves_the_provider_between_bands() {
	run(|| {
		register(ALICE, 100);
		assert_ok!(Registry::update_offer(RuntimeOrigin::signed(ALICE), offer(5_000)));
		assert!(!in_band(ALICE, RuntimeKind::Wasm, 100));
		assert!(in_band(ALICE, RuntimeKind::Wasm, 5_000));
		System::assert_last_event(Event::OfferUpdated { provider: ALICE }.into());
		assert_noop!(
			Registry::update_offer(RuntimeOrigin::signed(BOB), offer(1)),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn an_offer_cannot_shrink_below_what_running_jobs_use() {
	run(|| {
		register(ALICE, 100);
		assert_ok!(Registry::reserve(&ALICE, &job(), 10));
		let mut small = offer(100);
		small.resources.cpu_millicores = 500;
		assert_noop!(
			Registry::update_offer(RuntimeOrigin::signed(ALICE), small),
			Error::<Test>::CapacityInUse
		);
		let mut bigger = offer(100);
		bigger.resources.cpu_millicores = 8_000;
		assert_ok!(Registry::update_offer(RuntimeOrigin::signed(ALICE), bigger));
		let provider = Providers::<Test>::get(ALICE).expect("registered");
		assert_eq!(provider.free.cpu_millicores, 7_000);
	});
}

#[test]
fn capacity_is_reserved_and_released_and_a_full_provider_leaves_the_index() {
	run(|| {
		register(ALICE, 100);
		assert_ok!(Registry::reserve(&ALICE, &job(), 10));
		assert_eq!(Providers::<Test>::get(ALICE).expect("registered").free.cpu_millicores, 3_000);
		assert!(in_band(ALICE, RuntimeKind::Wasm, 100));
		// Second of two slots: now full, so out of the index.
		assert_ok!(Registry::reserve(&ALICE, &job(), 10));
		assert!(!in_band(ALICE, RuntimeKind::Wasm, 100));
		assert_noop!(Registry::reserve(&ALICE, &job(), 10), Error::<Test>::NotActive);
		assert_ok!(Registry::release(&ALICE, &job(), 10));
		assert!(in_band(ALICE, RuntimeKind::Wasm, 100));
		assert_ok!(Registry::release(&ALICE, &job(), 10));
		let provider = Providers::<Test>::get(ALICE).expect("registered");
		assert_eq!(provider.free, offer(100).resources);
		assert_eq!(provider.running, 0);
		// Releasing more than was reserved is refused.
		assert_noop!(Registry::release(&ALICE, &job(), 10), Error::<Test>::Overflow);
	});
}

#[test]
fn a_job_larger_than_free_capacity_cannot_be_reserved() {
	run(|| {
		register(ALICE, 100);
		let huge = Resources { cpu_millicores: 4_001, ..job() };
		assert_noop!(Registry::reserve(&ALICE, &huge, 10), Error::<Test>::CapacityInUse);
	});
}

#[test]
fn a_silent_provider_is_not_matched_until_it_heartbeats() {
	run(|| {
		register(ALICE, 100);
		let provider = Providers::<Test>::get(ALICE).expect("registered");
		System::set_block_number(1 + HEARTBEAT_TIMEOUT);
		assert!(Registry::is_alive(&provider, System::block_number()));
		System::set_block_number(2 + HEARTBEAT_TIMEOUT);
		assert!(!Registry::is_alive(&provider, System::block_number()));
		assert_noop!(Registry::reserve(&ALICE, &job(), 10), Error::<Test>::NotActive);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(Event::Heartbeat { provider: ALICE }.into());
		assert_ok!(Registry::reserve(&ALICE, &job(), 10));
	});
}

#[test]
fn pause_and_resume() {
	run(|| {
		register(ALICE, 100);
		assert_noop!(Registry::resume(RuntimeOrigin::signed(ALICE)), Error::<Test>::NotPaused);
		assert_ok!(Registry::pause(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(Event::ProviderPaused { provider: ALICE }.into());
		assert!(IndexedIn::<Test>::get(ALICE).is_empty());
		assert!(!in_band(ALICE, RuntimeKind::Wasm, 100));
		assert_noop!(Registry::pause(RuntimeOrigin::signed(ALICE)), Error::<Test>::NotActive);
		assert_noop!(Registry::reserve(&ALICE, &job(), 10), Error::<Test>::NotActive);
		assert_ok!(Registry::resume(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(Event::ProviderResumed { provider: ALICE }.into());
		assert!(in_band(ALICE, RuntimeKind::Wasm, 100));
	});
}

#[test]
fn leaving_waits_for_the_unbonding_period_and_running_jobs() {
	run(|| {
		register(ALICE, 100);
		assert_ok!(Registry::reserve(&ALICE, &job(), 10));
		assert_noop!(
			Registry::withdraw_bond(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NotLeaving
		);
		assert_ok!(Registry::deregister(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(
			Event::ProviderLeaving { provider: ALICE, unbonds_at: 1 + UNBONDING }.into(),
		);
		assert!(!in_band(ALICE, RuntimeKind::Wasm, 100));
		assert_noop!(Registry::deregister(RuntimeOrigin::signed(ALICE)), Error::<Test>::Leaving);
		assert_noop!(
			Registry::update_offer(RuntimeOrigin::signed(ALICE), offer(1)),
			Error::<Test>::Leaving
		);
		assert_noop!(
			Registry::withdraw_bond(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::StillUnbonding
		);
		System::set_block_number(1 + UNBONDING);
		assert_noop!(
			Registry::withdraw_bond(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::JobsRunning
		);
		// The running job ends; a leaving provider is not re-indexed.
		assert_ok!(Registry::release(&ALICE, &job(), 10));
		assert!(!in_band(ALICE, RuntimeKind::Wasm, 100));
		assert_ok!(Registry::withdraw_bond(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(
			Event::ProviderRemoved { provider: ALICE, bond: MIN_BOND }.into(),
		);
		assert!(Providers::<Test>::get(ALICE).is_none());
		assert_eq!(ProviderCount::<Test>::get(), 0);
		assert_eq!(Escrow::bond_of(&ALICE), 0);
		assert_eq!(Balances::free_balance(ALICE), START);
	});
}

#[test]
fn only_the_admin_sets_the_verified_flag() {
	run(|| {
		register(ALICE, 100);
		assert!(!Registry::is_verified(&ALICE));
		assert_noop!(
			Registry::set_verified(RuntimeOrigin::signed(ALICE), ALICE, true),
			DispatchError::BadOrigin
		);
		assert_ok!(Registry::set_verified(RuntimeOrigin::root(), ALICE, true));
		assert!(Registry::is_verified(&ALICE));
		System::assert_last_event(Event::VerifiedSet { provider: ALICE, verified: true }.into());
		assert_noop!(
			Registry::set_verified(RuntimeOrigin::root(), BOB, true),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn a_band_grows_in_pages_and_stays_dense() {
	run(|| {
		// IndexPageSize is 2 in the mock: five providers at the same price fill three pages.
		for who in 10..15u64 {
			let _ = Balances::force_set_balance(RuntimeOrigin::root(), who, START);
			register(who, 100);
		}
		let band = (RuntimeKind::Wasm, band_of(100u64));
		assert_eq!(Registry::pages_of(band), 3);
		assert_eq!(page_of(band, 0), vec![10, 11]);
		// Leaving from the first page pulls the last entry into its place.
		assert_ok!(Registry::pause(RuntimeOrigin::signed(10)));
		assert_eq!(page_of(band, 0), vec![14, 11]);
		assert_eq!(Registry::pages_of(band), 2);
		assert!(IndexedIn::<Test>::get(14).contains(&(band, 0)));
		for who in 11..15u64 {
			assert_ok!(Registry::pause(RuntimeOrigin::signed(who)));
		}
		assert_eq!(Registry::pages_of(band), 0);
		assert_eq!(Bands::<Test>::get(RuntimeKind::Wasm).occupied().count(), 0);
	});
}

#[test]
fn candidates_come_cheapest_band_first_within_the_price_and_scan_limits() {
	run(|| {
		register(ALICE, 1_000);
		register(BOB, 10);
		let found = |max, limit| {
			<Registry as ProviderRegistry<u64, u64>>::candidates(
				RuntimeKind::Wasm,
				max,
				limit,
				|_| true,
			)
			.into_iter()
			.map(|candidate| candidate.who)
			.collect::<Vec<_>>()
		};
		assert_eq!(found(10_000, 10), vec![BOB, ALICE]);
		assert_eq!(found(100, 10), vec![BOB]);
		assert_eq!(found(10_000, 1), vec![BOB]);
		let bob = <Registry as ProviderRegistry<u64, u64>>::candidate(&BOB).expect("bob is active");
		assert_eq!(bob.prices.per_million_fuel, 10);
		assert!(!bob.verified);
	});
}

#[test]
fn matching_skips_providers_whose_heartbeat_expired_and_on_idle_reaps_them() {
	use frame_support::{traits::Hooks, weights::Weight};
	run(|| {
		register(ALICE, 10);
		System::set_block_number(2);
		register(BOB, 10);
		System::set_block_number(2 + HEARTBEAT_TIMEOUT);
		// Alice's heartbeat is one block too old; Bob is still alive.
		let found = <Registry as ProviderRegistry<u64, u64>>::candidates(
			RuntimeKind::Wasm,
			100,
			10,
			|_| true,
		);
		assert_eq!(found.iter().map(|candidate| candidate.who).collect::<Vec<_>>(), vec![BOB]);
		assert!(<Registry as ProviderRegistry<u64, u64>>::candidate(&ALICE).is_none());
		// Matching only skips her entry; the block's spare weight takes it out.
		assert!(in_band(ALICE, RuntimeKind::Wasm, 10));
		Registry::on_idle(2 + HEARTBEAT_TIMEOUT, Weight::MAX);
		assert!(IndexedIn::<Test>::get(ALICE).is_empty());
		assert_eq!(IndexedIn::<Test>::get(BOB).len(), 2);
		// A heartbeat brings her back.
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(ALICE)));
		assert!(in_band(ALICE, RuntimeKind::Wasm, 10));
	});
}

#[test]
fn on_idle_reaps_a_few_pages_a_block_and_goes_round_the_index() {
	use crate::{impls::REAP_PAGES_PER_BLOCK, ReapCursor};
	use frame_support::{traits::Hooks, weights::Weight};
	run(|| {
		// Twelve silent providers in one price band: six pages of two, per runtime kind.
		for who in 10..22u64 {
			let _ = Balances::force_set_balance(RuntimeOrigin::root(), who, START);
			register(who, 100);
		}
		System::set_block_number(2 + HEARTBEAT_TIMEOUT);
		register(ALICE, 100);
		let wasm = (RuntimeKind::Wasm, band_of(100u64));
		let indexed = |band: crate::Band| {
			(0..Registry::pages_of(band)).map(|page| page_of(band, page).len()).sum::<usize>()
		};
		assert_eq!(indexed(wasm), 13);

		Registry::on_idle(2 + HEARTBEAT_TIMEOUT, Weight::MAX);
		// Each page reaped gives up at most a page's worth, and a block reaps a few pages.
		let left = indexed(wasm);
		assert!(left >= 13 - 2 * REAP_PAGES_PER_BLOCK as usize, "{left} left after one block");
		assert!(left < 13);
		assert!(ReapCursor::<Test>::get().is_some());

		for _ in 0..10 {
			Registry::on_idle(2 + HEARTBEAT_TIMEOUT, Weight::MAX);
		}
		for (band, _) in IndexedIn::<Test>::get(ALICE) {
			let members: Vec<u64> =
				(0..Registry::pages_of(band)).flat_map(|page| page_of(band, page)).collect();
			assert_eq!(members, vec![ALICE]);
		}
		assert_eq!(IndexedIn::<Test>::iter_keys().collect::<Vec<_>>(), vec![ALICE]);
	});
}

#[test]
fn matching_reads_at_most_max_scan_pages_pages() {
	run(|| {
		// Four providers in four price bands: four pages, one more than `MaxScanPages` (3).
		for (who, price) in [(10u64, 10u64), (11, 100), (12, 1_000), (13, 10_000)] {
			let _ = Balances::force_set_balance(RuntimeOrigin::root(), who, START);
			register(who, price);
		}
		let found = <Registry as ProviderRegistry<u64, u64>>::candidates(
			RuntimeKind::Wasm,
			100_000,
			100,
			|_| true,
		);
		assert_eq!(
			found.iter().map(|candidate| candidate.who).collect::<Vec<_>>(),
			vec![10, 11, 12]
		);
	});
}

/// Entries a sample looks at in these tests.
const LOOKS: u32 = 4;

/// The accounts `sample` gives for `seed`, asking for `count` among providers up to `max`,
/// looking at [`LOOKS`] entries at most.
fn sampled(seed: u32, max: u64, count: u32, eligible: impl Fn(u64) -> bool) -> Vec<u64> {
	use codec::Encode;
	<Registry as ProviderRegistry<u64, u64>>::sample(
		RuntimeKind::Wasm,
		max,
		&seed.encode(),
		count,
		LOOKS,
		|candidate| eligible(candidate.who),
	)
	.into_iter()
	.map(|candidate| candidate.who)
	.collect()
}

#[test]
fn a_sample_draws_every_indexed_provider_alike_whatever_its_price() {
	run(|| {
		// Three cheap providers (two pages) and three dear ones (two pages of a dearer band).
		let (cheap, dear) = ([10u64, 11, 12], [20u64, 21, 22]);
		for who in cheap {
			let _ = Balances::force_set_balance(RuntimeOrigin::root(), who, START);
			register(who, 1);
		}
		for who in dear {
			let _ = Balances::force_set_balance(RuntimeOrigin::root(), who, START);
			register(who, 1_000);
		}
		let mut drawn = std::collections::BTreeMap::<u64, u32>::new();
		for seed in 0..3_000u32 {
			let first = sampled(seed, 10_000, 1, |_| true);
			assert_eq!(first.len(), 1);
			*drawn.entry(first[0]).or_default() += 1;
		}
		// 500 expected for each: a draw among the cheapest (as matching ranks) gives the dear
		// ones none.
		assert!(drawn.values().all(|count| (380..=620).contains(count)), "{drawn:?}");
		assert_eq!(drawn.len(), 6);

		// Distinct, within the price bound and the count, only the eligible.
		for seed in 0..200u32 {
			let three = sampled(seed, 10_000, 3, |who| who != 11);
			assert!((2..=3).contains(&three.len()), "seed {seed}");
			assert!(!three.contains(&11));
			let distinct = three.iter().collect::<std::collections::BTreeSet<_>>();
			assert_eq!(distinct.len(), three.len());
			let mut within = sampled(seed, 10, 5, |_| true);
			within.sort();
			assert_eq!(within, cheap.to_vec());
		}
		// Silent providers are never drawn.
		System::set_block_number(2 + HEARTBEAT_TIMEOUT);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(21)));
		let mut found = 0;
		for seed in 0..50u32 {
			let drawn = sampled(seed, 10_000, 3, |_| true);
			assert!(drawn.is_empty() || drawn == vec![21], "{drawn:?}");
			found += drawn.len();
		}
		assert!(found > 25, "the live provider drawn {found} times in 50");
	});
}

#[test]
fn a_sample_looks_at_no_more_entries_than_it_is_given() {
	run(|| {
		// Eight providers, half of them eligible: four looks find two on average, never more
		// than four.
		for who in 10..18u64 {
			let _ = Balances::force_set_balance(RuntimeOrigin::root(), who, START);
			register(who, 100);
		}
		let mut found = 0;
		for seed in 0..200u32 {
			let drawn = sampled(seed, 10_000, 8, |who| who % 2 == 0);
			assert!(drawn.len() <= LOOKS as usize, "seed {seed}: {drawn:?}");
			found += drawn.len();
		}
		assert!((300..=500).contains(&found), "{found} found in 200 samples of four looks");
	});
}

#[test]
fn a_providers_card_follows_its_record() {
	run(|| {
		register(ALICE, 100);
		let before = card(ALICE);
		assert_eq!(before.free, offer(100).resources);
		assert_ok!(Registry::reserve(&ALICE, &job(), 10));
		assert_eq!(card(ALICE).free, offer(100).resources.checked_sub(&job()).expect("fits"));
		System::set_block_number(5);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(ALICE)));
		assert_eq!(card(ALICE).last_heartbeat, 5);
		assert_ok!(Registry::set_verified(RuntimeOrigin::root(), ALICE, true));
		assert!(card(ALICE).verified);
		assert_ok!(Registry::release(&ALICE, &job(), 10));
		let provider = Providers::<Test>::get(ALICE).expect("registered");
		assert_eq!(card(ALICE), Registry::card_of(&ALICE, &provider));
		assert_eq!(card(ALICE).free, offer(100).resources);
		// Both runtime kinds' cards are the same.
		let (container, page) = IndexedIn::<Test>::get(ALICE)[1];
		assert_eq!(container.0, RuntimeKind::Container);
		assert!(Index::<Test>::get(container, page).contains(&card(ALICE)));
	});
}

#[test]
fn search_filters_and_pages_through_providers() {
	use crate::ProviderFilter;
	run(|| {
		register(ALICE, 100);
		register(BOB, 10_000);
		let all = |filter: &ProviderFilter<u64>| {
			let mut found = Vec::new();
			let mut after = None;
			loop {
				// One record per page, to exercise the continuation.
				let (page, next) = Registry::search(filter, after, 1);
				found.extend(page.into_iter().map(|summary| summary.who));
				match next {
					Some(next) => after = Some(next),
					None => break,
				}
			}
			found.sort();
			found
		};
		assert_eq!(all(&ProviderFilter::default()), vec![ALICE, BOB]);
		let cheap = ProviderFilter {
			runtime: Some(RuntimeKind::Wasm),
			max_unit_price: Some(1_000),
			..Default::default()
		};
		assert_eq!(all(&cheap), vec![ALICE]);
		let verified = ProviderFilter { verified_only: true, ..Default::default() };
		assert!(all(&verified).is_empty());
		assert_ok!(Registry::set_verified(RuntimeOrigin::root(), BOB, true));
		assert_eq!(all(&verified), vec![BOB]);
		assert_ok!(Registry::pause(RuntimeOrigin::signed(ALICE)));
		let available = ProviderFilter { available_only: true, ..Default::default() };
		assert_eq!(all(&available), vec![BOB]);
		let big = ProviderFilter {
			free: Resources { cpu_millicores: 64_000, ..Default::default() },
			..Default::default()
		};
		assert!(all(&big).is_empty());
	});
}

#[test]
fn migration_to_v2_copies_each_providers_reputation_record() {
	use crate::migrations::v2::{MigrateV1ToV2, ProviderV1};
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	run(|| {
		register(ALICE, 100);
		let provider = Providers::<Test>::get(ALICE).expect("registered");
		let v1 = ProviderV1::<Test> {
			offer: provider.offer.clone(),
			status: provider.status,
			free: provider.free,
			running: provider.running,
			last_heartbeat: provider.last_heartbeat,
			verified: provider.verified,
		};
		let key = Providers::<Test>::hashed_key_for(ALICE);
		frame_support::storage::unhashed::put_raw(&key, &v1.encode());
		assert!(Providers::<Test>::try_get(ALICE).is_err(), "version 1 does not decode as 2");
		StorageVersion::new(1).put::<Registry>();

		MigrateV1ToV2::<Test>::on_runtime_upgrade();

		assert_eq!(Providers::<Test>::get(ALICE), Some(provider.clone()));
		assert_eq!(Registry::on_chain_storage_version(), StorageVersion::new(2));
		// At version 2 it does nothing.
		frame_support::storage::unhashed::put_raw(&key, &v1.encode());
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert!(Providers::<Test>::try_get(ALICE).is_err());
		Providers::<Test>::insert(ALICE, provider);
	});
}

#[test]
fn migration_to_v3_turns_each_index_entry_into_its_providers_card() {
	use crate::migrations::v3::MigrateV2ToV3;
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	run(|| {
		register(ALICE, 100);
		register(BOB, 100);
		let pages: Vec<_> = Index::<Test>::iter().collect();
		assert_eq!(pages.len(), 2, "one page per runtime kind");
		for (band, page, cards) in &pages {
			let accounts: Vec<u64> = cards.iter().map(|card| card.who).collect();
			assert_eq!(accounts, vec![ALICE, BOB]);
			let key = Index::<Test>::hashed_key_for(band, page);
			frame_support::storage::unhashed::put_raw(&key, &accounts.encode());
			assert!(Index::<Test>::try_get(band, page).is_err(), "version 2 does not decode as 3");
		}
		StorageVersion::new(2).put::<Registry>();

		MigrateV2ToV3::<Test>::on_runtime_upgrade();

		for (band, page, cards) in pages {
			assert_eq!(Index::<Test>::get(band, page), cards);
		}
		assert_eq!(Registry::on_chain_storage_version(), StorageVersion::new(3));
	});
}

#[test]
fn migration_to_v4_gives_each_provider_an_exposure_and_each_card_its_headroom() {
	use crate::migrations::v4::{CardV3, MigrateV3ToV4, ProviderV3};
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	run(|| {
		register(ALICE, 100);
		let provider = Providers::<Test>::get(ALICE).expect("registered");
		let v3 = ProviderV3::<Test> {
			offer: provider.offer.clone(),
			status: provider.status,
			free: provider.free,
			running: provider.running,
			last_heartbeat: provider.last_heartbeat,
			verified: provider.verified,
			reputation: provider.reputation,
		};
		let key = Providers::<Test>::hashed_key_for(ALICE);
		frame_support::storage::unhashed::put_raw(&key, &v3.encode());
		let pages: Vec<_> = Index::<Test>::iter().collect();
		for (band, page, cards) in &pages {
			let old: Vec<CardV3<Test>> = cards
				.iter()
				.map(|card| CardV3 {
					who: card.who,
					prices: card.prices,
					free: card.free,
					verified: card.verified,
					sealed_inputs: card.sealed_inputs,
					reputation: card.reputation,
					last_heartbeat: card.last_heartbeat,
				})
				.collect();
			let key = Index::<Test>::hashed_key_for(band, page);
			frame_support::storage::unhashed::put_raw(&key, &old.encode());
			assert!(Index::<Test>::try_get(band, page).is_err(), "version 3 does not decode as 4");
		}
		StorageVersion::new(3).put::<Registry>();

		MigrateV3ToV4::<Test>::on_runtime_upgrade();

		assert_eq!(Providers::<Test>::get(ALICE), Some(provider));
		for (band, page, cards) in pages {
			assert_eq!(Index::<Test>::get(band, page), cards);
			// The whole bond backs jobs: nothing was counted open.
			assert!(cards.iter().all(|card| card.headroom == MIN_BOND));
		}
		assert_eq!(Registry::on_chain_storage_version(), StorageVersion::new(4));
	});
}

#[test]
fn migration_to_v5_counts_each_bands_providers_from_its_pages() {
	use crate::migrations::v5::{BandMask, BandPages, MigrateV4ToV5};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	run(|| {
		// Five providers in one band (pages of 2, 2 and 1), one in a dearer band.
		for who in 10..15u64 {
			let _ = Balances::force_set_balance(RuntimeOrigin::root(), who, START);
			register(who, 100);
		}
		let _ = Balances::force_set_balance(RuntimeOrigin::root(), 15, START);
		register(15, 10_000);
		let sizes = Bands::<Test>::get(RuntimeKind::Wasm);
		let (cheap, dear) = (band_of(100u64), band_of(10_000u64));
		assert_eq!((sizes.of(cheap), sizes.of(dear)), (5, 1));
		// Version 4's layout: page counts and a mask, no sizes.
		Bands::<Test>::remove(RuntimeKind::Wasm);
		BandPages::<Test>::insert((RuntimeKind::Wasm, cheap), 3);
		BandPages::<Test>::insert((RuntimeKind::Wasm, dear), 1);
		BandMask::<Test>::insert(RuntimeKind::Wasm, (1u128 << cheap) | (1u128 << dear));
		StorageVersion::new(4).put::<Registry>();

		MigrateV4ToV5::<Test>::on_runtime_upgrade();

		assert_eq!(Bands::<Test>::get(RuntimeKind::Wasm), sizes);
		assert_eq!(BandPages::<Test>::iter().count(), 0);
		assert!(!BandMask::<Test>::contains_key(RuntimeKind::Wasm));
		assert_eq!(Registry::on_chain_storage_version(), StorageVersion::new(5));
		assert_ok!(Registry::do_try_state());
	});
}

#[test]
fn heartbeats_report_uptime_but_never_a_silent_gap_or_a_pause() {
	run(|| {
		let before = lives().len();
		System::set_block_number(10);
		register(ALICE, 100);
		// Live from its registration to the heartbeat.
		System::set_block_number(14);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(ALICE)));
		// A second heartbeat in the same block adds an empty interval.
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(ALICE)));
		// Silent for 50 blocks: only the last HEARTBEAT_TIMEOUT of them count.
		System::set_block_number(64);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(ALICE)));
		// Paused: heartbeats keep it known but report no uptime.
		assert_ok!(Registry::pause(RuntimeOrigin::signed(ALICE)));
		System::set_block_number(66);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(ALICE)));
		// Resumed: uptime counts from the resumption.
		System::set_block_number(70);
		assert_ok!(Registry::resume(RuntimeOrigin::signed(ALICE)));
		System::set_block_number(73);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(ALICE)));
		assert_eq!(
			lives()[before..],
			[(ALICE, 10, 14), (ALICE, 14, 14), (ALICE, 54, 64), (ALICE, 70, 73)]
		);
	});
}
