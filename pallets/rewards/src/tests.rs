//! The reward pool's rules, each as a story; attacks named after the attack and the rule that
//! stops it; property tests for the money.

use crate::{mock::*, pallet::*, Error, Event, RewardWork};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, Mutate},
		tokens::Preservation,
	},
};
use proptest::prelude::*;
use sp_runtime::DispatchError;

fn balance(who: u64) -> u64 {
	Balances::balance(&who)
}

fn claim(who: u64) -> sp_runtime::DispatchResult {
	Rewards::claim(RuntimeOrigin::signed(who))
}

/// Era 0: both providers live from genesis; the provider settles 1,000 (fee 100) and is live
/// 9 of 10 blocks; the other settles 3,000 (fee 300) and is live 5.
fn era_zero_with_two_providers() {
	run_to(5);
	heartbeat(PROVIDER, 0);
	heartbeat(OTHER, 0);
	settle(PROVIDER, REQUESTER, 1_000, 100);
	settle(OTHER, REQUESTER, 3_000, 300);
	run_to(9);
	heartbeat(PROVIDER, 5);
	run_to(ERA);
}

#[test]
fn half_of_each_fee_feeds_the_pool_when_the_era_ends_and_work_accrues_to_its_provider() {
	run(|| {
		let treasury = balance(TREASURY);
		settle(PROVIDER, REQUESTER, 1_000, 101);
		settle(OTHER, REQUESTER, 1_000, 3);
		// 50% of each fee, rounded down, is owed to the pool; the treasury holds it until the
		// era ends.
		assert_eq!(balance(TREASURY), treasury + 104);
		assert_eq!(balance(pool()), ED);
		let era = CurrentEra::<Test>::get();
		assert_eq!((era.fee_share, era.work), (50 + 1, 2_000));
		assert_eq!(Rewards::owed_by_treasury(), 51);
		System::assert_has_event(
			Event::WorkRecorded { provider: PROVIDER, era: 0, work: 1_000, fee: 101 }.into(),
		);
		assert_eq!(Earnings::<Test>::get(PROVIDER)[0].fees, 101);
		run_to(ERA);
		System::assert_has_event(Event::PoolFed { era: 0, amount: 51 }.into());
		assert_eq!(balance(TREASURY), treasury + 104 - 51);
		assert_eq!(balance(pool()), ED + 51);
		let totals = Eras::<Test>::get(0).expect("era 0 ended");
		assert_eq!((totals.pot, totals.work, totals.length), (51, 2_000, ERA));
		assert_eq!(Rewards::owed_by_treasury(), 0);
	});
}

#[test]
fn a_fee_share_spent_out_of_the_treasury_feeds_the_pool_only_what_is_left() {
	run(|| {
		settle(PROVIDER, REQUESTER, 1_000, 100);
		// Governance spends the treasury around the spend path that keeps the share back,
		// down to 20 above its existential deposit.
		let spent = balance(TREASURY) - ED - 20;
		assert_ok!(Balances::transfer(&TREASURY, &OTHER, spent, Preservation::Preserve));
		run_to(ERA);
		System::assert_has_event(Event::PoolFed { era: 0, amount: 20 }.into());
		System::assert_has_event(
			Event::EraEnded { era: 0, pot: 20, work: 1_000, emission: 0 }.into(),
		);
		assert_eq!(balance(TREASURY), ED, "the treasury keeps existing");
		assert_eq!(balance(pool()), ED + 20);
	});
}

#[test]
fn an_era_is_split_by_work_times_uptime_and_each_claim_pays_exactly_its_share() {
	run(|| {
		era_zero_with_two_providers();
		System::assert_has_event(
			Event::EraEnded { era: 0, pot: 200, work: 4_000, emission: 0 }.into(),
		);
		let (provider, other) = (balance(PROVIDER), balance(OTHER));
		// Share 200 × 1/4 = 50, live 9/10: 45 (under the cap of half its fees, 50).
		assert_ok!(claim(PROVIDER));
		assert_eq!(balance(PROVIDER), provider + 45);
		System::assert_has_event(Event::Rewarded { provider: PROVIDER, era: 0, amount: 45 }.into());
		// Share 150, live 5/10: 75.
		assert_ok!(claim(OTHER));
		assert_eq!(balance(OTHER), other + 75);
		assert_eq!(balance(pool()), ED + 200 - 120);
		assert_eq!(Eras::<Test>::get(0).map(|totals| totals.claimed), Some(120));
		assert!(!Earnings::<Test>::contains_key(PROVIDER), "a claimed record is removed");
	});
}

#[test]
fn claiming_twice_pays_once_and_the_era_in_progress_cannot_be_claimed() {
	run(|| {
		settle(PROVIDER, REQUESTER, 1_000, 100);
		assert_noop!(claim(PROVIDER), Error::<Test>::NothingToClaim);
		run_to(ERA);
		assert_ok!(claim(PROVIDER));
		assert_noop!(claim(PROVIDER), Error::<Test>::NothingToClaim);
		assert_noop!(claim(OTHER), Error::<Test>::NothingToClaim);
	});
}

#[test]
fn a_requester_matched_to_itself_feeds_the_pool_but_earns_nothing() {
	run(|| {
		run_to(5);
		heartbeat(PROVIDER, 0);
		settle(PROVIDER, PROVIDER, 1_000, 100);
		assert_eq!(CurrentEra::<Test>::get().fee_share, 50);
		assert!(Earnings::<Test>::get(PROVIDER).iter().all(|earning| earning.work == 0));
		run_to(ERA);
		// Nobody worked in era 0: its pot moves on and nothing is claimable.
		assert_eq!(balance(pool()), ED + 50);
		System::assert_has_event(Event::PotCarriedOver { from: 0, to: 1, amount: 50 }.into());
		assert_eq!(CurrentEra::<Test>::get().carried, 50);
		assert!(!Eras::<Test>::contains_key(0));
		assert_ok!(claim(PROVIDER));
		assert_eq!(
			System::events()
				.iter()
				.filter(|record| matches!(
					record.event,
					RuntimeEvent::Rewards(Event::Rewarded { .. })
				))
				.count(),
			0,
			"an era record without work pays nothing"
		);
	});
}

#[test]
fn fee_free_work_earns_nothing() {
	run(|| {
		Rewards::work_settled(&PROVIDER, &REQUESTER, 1_000, 0);
		assert!(!Earnings::<Test>::contains_key(PROVIDER));
		assert_eq!(CurrentEra::<Test>::get().work, 0);
	});
}

#[test]
fn wash_trading_with_emission_earns_back_at_most_half_the_fees() {
	// The attacker owns the requester and the provider, and is alone in the era with the most
	// emission there is: every token of the pot would be its, but the cap holds it to half
	// the fees it paid.
	run_with(MAX_EMISSION, || {
		run_to(1);
		heartbeat(PROVIDER, 0);
		let owner = balance(REQUESTER) + balance(PROVIDER);
		settle(PROVIDER, REQUESTER, 1_000, 100);
		run_to(ERA - 1);
		heartbeat(PROVIDER, 1);
		run_to(ERA);
		assert_ok!(claim(PROVIDER));
		let reward = balance(PROVIDER) + balance(REQUESTER) + 100 - owner;
		assert_eq!(reward, 50, "half of the 100 paid in fees");
		assert!(balance(REQUESTER) + balance(PROVIDER) < owner, "wash trading loses money");
	});
}

#[test]
fn emission_is_minted_only_for_eras_with_work_and_is_bounded() {
	run_with(7, || {
		let issuance = Balances::total_issuance();
		run_to(ERA);
		assert_eq!(Balances::total_issuance(), issuance, "no work, no emission");
		settle(PROVIDER, REQUESTER, 1_000, 100);
		run_to(2 * ERA);
		System::assert_has_event(
			Event::EraEnded { era: 1, pot: 50 + 70, work: 1_000, emission: 70 }.into(),
		);
		assert_eq!(Balances::total_issuance(), issuance + 70);
		assert_noop!(
			Rewards::set_emission(RuntimeOrigin::root(), MAX_EMISSION + 1),
			Error::<Test>::EmissionTooHigh
		);
		assert_noop!(
			Rewards::set_emission(RuntimeOrigin::signed(PROVIDER), 1),
			DispatchError::BadOrigin
		);
		assert_ok!(Rewards::set_emission(RuntimeOrigin::root(), 0));
		System::assert_last_event(Event::EmissionSet { per_block: 0 }.into());
	});
}

#[test]
fn unclaimed_rewards_go_to_the_treasury_when_the_claim_window_closes() {
	run(|| {
		era_zero_with_two_providers();
		assert_ok!(claim(PROVIDER));
		let treasury = balance(TREASURY);
		// Era 0 can be claimed in eras 1 and 2; it expires as era 2 ends.
		run_to(3 * ERA - 1);
		assert!(Eras::<Test>::contains_key(0));
		run_to(3 * ERA);
		System::assert_has_event(Event::EraExpired { era: 0, unclaimed: 200 - 45 }.into());
		assert_eq!(balance(TREASURY), treasury + 155);
		assert_eq!(balance(pool()), ED);
		// The other provider comes too late: nothing is paid, and anyone may clear its record.
		let other = balance(OTHER);
		assert_noop!(
			Rewards::clear_expired(RuntimeOrigin::signed(REQUESTER), PROVIDER),
			Error::<Test>::NothingExpired
		);
		assert_ok!(Rewards::clear_expired(RuntimeOrigin::signed(REQUESTER), OTHER));
		System::assert_last_event(Event::ExpiredCleared { provider: OTHER, records: 1 }.into());
		assert!(!Earnings::<Test>::contains_key(OTHER));
		assert_noop!(claim(OTHER), Error::<Test>::NothingToClaim);
		assert_eq!(balance(OTHER), other);
	});
}

#[test]
fn a_provider_that_never_claims_keeps_a_bounded_record() {
	run(|| {
		for era in 0..10u64 {
			settle(PROVIDER, REQUESTER, 1_000, 100);
			run_to((era + 1) * ERA);
		}
		// The claimable eras (2) and the current one.
		assert!(Earnings::<Test>::get(PROVIDER).len() <= 3);
		assert_ok!(claim(PROVIDER));
	});
}

#[test]
fn uptime_counts_only_the_current_era_and_never_more_than_it_lasted() {
	run(|| {
		run_to(ERA + 3);
		// Last seen in era 0: only the 3 blocks of era 1 count.
		heartbeat(PROVIDER, 4);
		assert_eq!(Earnings::<Test>::get(PROVIDER)[0].live, 3);
		System::assert_has_event(
			Event::UptimeRecorded { provider: PROVIDER, era: 1, blocks: 3 }.into(),
		);
		heartbeat(PROVIDER, ERA + 3);
		assert_eq!(
			Earnings::<Test>::get(PROVIDER)[0].live,
			3,
			"a second heartbeat in a block adds nothing"
		);
	});
}

#[test]
fn a_new_era_length_applies_from_the_next_era() {
	run(|| {
		assert_noop!(Rewards::set_era_length(RuntimeOrigin::root(), 4), Error::<Test>::EraTooShort);
		assert_ok!(Rewards::set_era_length(RuntimeOrigin::root(), 20));
		run_to(ERA);
		assert_eq!(
			CurrentEra::<Test>::get(),
			ActiveEra { index: 1, start: ERA, length: 20, ..Default::default() }
		);
		run_to(ERA + 19);
		assert_eq!(CurrentEra::<Test>::get().index, 1);
		run_to(ERA + 20);
		assert_eq!(CurrentEra::<Test>::get().index, 2);
	});
}

#[derive(Clone, Debug)]
enum Step {
	Settle { provider: bool, amount: u64, fee: u64 },
	Heartbeat { provider: bool },
	Blocks(u64),
	Claim { provider: bool },
}

fn step() -> impl Strategy<Value = Step> {
	prop_oneof![
		(any::<bool>(), 0u64..10_000, 0u64..2_000)
			.prop_map(|(provider, amount, fee)| Step::Settle { provider, amount, fee }),
		any::<bool>().prop_map(|provider| Step::Heartbeat { provider }),
		(1u64..15).prop_map(Step::Blocks),
		any::<bool>().prop_map(|provider| Step::Claim { provider }),
	]
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(64))]

	/// Whatever happens, money adds up: what the accounts, the treasury and the pool hold
	/// grows exactly by the emission minted; the pool holds exactly its existential deposit
	/// plus every ended era's unclaimed pot and what the current era carried; the treasury
	/// holds what it owes the pool; no reward exceeds half the fees its work carried.
	#[test]
	fn money_is_conserved_on_every_path(
		emission in 0u64..=MAX_EMISSION,
		steps in proptest::collection::vec(step(), 1..40),
	) {
		run_with(emission, || {
			let accounts = [REQUESTER, PROVIDER, OTHER, TREASURY];
			let held = || accounts.iter().map(|who| balance(*who)).sum::<u64>() + balance(pool());
			let start = held();
			let mut seen = [0u64; 2];
			let mut fees = [0u64; 2];
			let mut rewarded = [0u64; 2];
			for step in steps {
				let pick = |provider: bool| if provider { PROVIDER } else { OTHER };
				match step {
					Step::Settle { provider, amount, fee } => {
						settle(pick(provider), REQUESTER, amount, fee);
						if amount > 0 {
							fees[provider as usize] += fee;
						}
					},
					Step::Heartbeat { provider } => {
						heartbeat(pick(provider), seen[provider as usize]);
						seen[provider as usize] = System::block_number();
					},
					Step::Blocks(n) => run_to(System::block_number() + n),
					Step::Claim { provider } => {
						let before = balance(pick(provider));
						let _ = claim(pick(provider));
						rewarded[provider as usize] += balance(pick(provider)) - before;
					},
				}
				let minted: u64 = System::events()
					.iter()
					.filter_map(|record| match record.event {
						RuntimeEvent::Rewards(Event::EraEnded { emission, .. }) => Some(emission),
						_ => None,
					})
					.sum();
				prop_assert_eq!(held(), start + minted);
				let owed: u64 = Eras::<Test>::iter()
					.map(|(_, totals)| totals.pot - totals.claimed)
					.sum();
				let era = CurrentEra::<Test>::get();
				prop_assert_eq!(balance(pool()), ED + owed + era.carried);
				prop_assert!(balance(TREASURY) >= ED + era.fee_share);
			}
			for provider in 0..2 {
				prop_assert!(rewarded[provider] <= fees[provider] / 2);
			}
			Ok(())
		})?;
	}
}
