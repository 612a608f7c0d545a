//! Money adds up for every amount: whatever the prices, usages, replicas, quorum and outcome,
//! settlement never lacks held funds, every hold is released, and what the requester lost is
//! exactly what providers, the treasury and the caller gained.

use super::*;
use crate::{Error, Pricing};
use frame_support::traits::fungible::Inspect;
use proptest::prelude::*;

const SALT: [u8; 32] = [9; 32];

/// What one replica does.
#[derive(Clone, Copy, Debug)]
enum Act {
	/// Delivers the agreed result, having burnt this much fuel.
	Agree(u64),
	/// Delivers a result of its own.
	Disagree,
	/// Commits and never reveals (several replicas only).
	Withhold,
	/// Acknowledges and never delivers.
	Vanish,
}

/// Registers provider `who` with these prices.
fn provider_at(who: u64, per_million_fuel: u64, base_per_job: u64) {
	let mut offer = offer(per_million_fuel);
	offer.prices.base_per_job = base_per_job;
	assert_ok!(Registry::register(RuntimeOrigin::signed(who), offer, BOND));
}

/// Everything `who` owns: free and held.
fn total(who: u64) -> u64 {
	Balances::total_balance(&who)
}

fn report_of(who: u64, act: Act) -> Report {
	match act {
		Act::Agree(fuel) => report(7, fuel),
		_ => Report {
			result: [100 + who as u8; 32],
			ok: who.is_multiple_of(2),
			usage: Usage::default(),
		},
	}
}

/// Runs a job of `acts.len()` replicas to its end, as the acts say, and checks the books.
fn run_job(
	fixed: bool,
	cap: u64,
	fuel_limit: u64,
	quorum: u8,
	prices: &[(u64, u64)],
	acts: &[Act],
) {
	run(|| {
		let replicas = acts.len() as u8;
		for (who, (fuel, base)) in (1..).zip(prices) {
			provider_at(who, *fuel, *base);
		}
		let mut spec = wasm_job(replicas, quorum);
		spec.pricing =
			if fixed { Pricing::Fixed { price: cap } } else { Pricing::PayPerUse { budget: cap } };
		if let Workload::Wasm { fuel_limit: limit, .. } = &mut spec.workload {
			*limit = fuel_limit;
		}
		let everyone: Vec<u64> = (1..=6).chain([REQUESTER, ANYONE, TREASURY]).collect();
		let before: Vec<u64> = everyone.iter().map(|who| total(*who)).collect();
		let issuance = Balances::total_issuance();
		let requester_free = free(REQUESTER);

		let id = submit(spec);
		assert_eq!(assigned(id).len(), replicas as usize, "every replica matched");
		let hold = requester_free - free(REQUESTER);
		for who in assigned(id) {
			assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
		}
		let act_of = |who: u64| acts[who as usize - 1];
		if replicas == 1 {
			if !matches!(act_of(1), Act::Vanish | Act::Withhold) {
				assert_ok!(Market::submit_result(
					RuntimeOrigin::signed(1),
					id,
					report_of(1, act_of(1))
				));
			}
		} else {
			for who in assigned(id) {
				if !matches!(act_of(who), Act::Vanish) {
					let commitment = Market::commitment(&report_of(who, act_of(who)), &SALT, &who);
					assert_ok!(Market::commit_result(RuntimeOrigin::signed(who), id, commitment));
				}
			}
		}
		// Honest replicas reveal whenever reveals are open; deadlines pass; anyone calls expire
		// until the job has ended.
		for _ in 0..10 {
			match Jobs::<Test>::get(id).map(|job| job.phase) {
				None | Some(Phase::Settled { .. }) => break,
				Some(Phase::Revealing { .. }) => {
					for assignment in job(id).assignments {
						let who = assignment.provider;
						if matches!(assignment.state, ReplicaState::Committed { .. })
							&& matches!(act_of(who), Act::Agree(_) | Act::Disagree)
						{
							assert_ok!(Market::reveal_result(
								RuntimeOrigin::signed(who),
								id,
								report_of(who, act_of(who)),
								SALT
							));
						}
					}
				},
				Some(_) => {},
			}
			if matches!(
				Jobs::<Test>::get(id).map(|job| job.phase),
				None | Some(Phase::Settled { .. })
			) {
				break;
			}
			run_to_block(System::block_number() + 60);
			let result = expire_as(ANYONE, id);
			assert!(
				result.is_ok() || result == Err(Error::<Test>::NotExpired.into()),
				"expire failed: {result:?}"
			);
		}
		let ended = Jobs::<Test>::get(id).map(|job| job.phase);
		assert!(matches!(ended, None | Some(Phase::Settled { .. })), "the job ended: {ended:?}");
		if ended.is_some() {
			assert_ok!(Market::clear_job(RuntimeOrigin::signed(REQUESTER), id));
		}

		// Every hold of the job is released, and no money was made or lost.
		assert_eq!(held_for_jobs(REQUESTER), 0, "the job's hold is released");
		assert_eq!(Balances::total_issuance(), issuance);
		let after: Vec<u64> = everyone.iter().map(|who| total(*who)).collect();
		let gained: i128 = before.iter().zip(&after).map(|(b, a)| *a as i128 - *b as i128).sum();
		assert_eq!(gained, 0, "what the requester lost, the others gained");
		// The requester never pays more than it held, and an agreeing provider never loses.
		let requester = everyone.iter().position(|who| *who == REQUESTER).expect("listed");
		let compensation: u64 = System::events()
			.iter()
			.filter_map(|record| match record.event {
				RuntimeEvent::Escrow(pallet_offload_escrow::Event::BondSlashed {
					harmed: REQUESTER,
					compensation,
					..
				}) => Some(compensation),
				_ => None,
			})
			.sum();
		let lost = before[requester] as i128 - (after[requester] as i128 - compensation as i128);
		assert!(lost <= hold as i128, "the requester lost {lost}, more than the {hold} it held");
		for who in 1..=acts.len() as u64 {
			if matches!(act_of(who), Act::Agree(_)) {
				assert!(after[who as usize - 1] >= before[who as usize - 1], "provider {who}");
			}
		}
	});
}

fn act() -> impl Strategy<Value = Act> {
	prop_oneof![
		4 => (0u64..=1_000_000).prop_map(Act::Agree),
		1 => Just(Act::Disagree),
		1 => Just(Act::Withhold),
		1 => Just(Act::Vanish),
	]
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(500))]

	#[test]
	fn money_is_conserved_for_any_prices_usages_and_outcomes(
		fixed in any::<bool>(),
		extra in 0u64..=5_000,
		fuel_limit in 1_000_000u64..=2_000_000,
		prices in proptest::collection::vec((0u64..=2_000, 0u64..=500), 5),
		acts in proptest::collection::vec(act(), 1..=5),
		quorum_step in 0u8..=4,
	) {
		let replicas = acts.len() as u8;
		let least = replicas / 2 + 1;
		let quorum = least + quorum_step % (replicas - least + 1);
		let prices = &prices[..acts.len()];
		// The cap lets every provider in (the dearest one's quote at the limits) and more, and
		// stays within what a provider's bond backs.
		let dearest = prices
			.iter()
			.map(|(fuel, base)| base + (fuel * fuel_limit).div_ceil(1_000_000))
			.max()
			.unwrap_or(1);
		let cap = (dearest + extra).max(1);
		run_job(fixed, cap, fuel_limit, quorum, prices, &acts);
	}
}

#[test]
fn settlement_never_lacks_the_fee_for_odd_fixed_prices() {
	// Two replicas at a fixed price of 16 with a 10% fee: charged per replica and rounded,
	// the fees come to 2 + 2, more than the 3 that 10% of 32 held at once rounds to. The fee
	// is held per replica.
	run_job(true, 16, 1_000_000, 2, &[(6, 10), (6, 10)], &[Act::Agree(1), Act::Agree(2)]);
}

#[test]
fn a_fixed_price_pays_the_providers_own_quote_not_the_price() {
	run(|| {
		// A provider quoting 10 per job and nothing for fuel is ranked at 10, and paid 10.
		provider_at(1, 0, 10);
		let mut spec = wasm_job(1, 1);
		spec.pricing = Pricing::Fixed { price: 1_000 };
		let id = submit(spec);
		let before = free(1);
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 500)));
		assert_eq!(free(1), before + 10);
		assert!(matches!(phase(id), Phase::Settled { paid: 10, .. }));
		System::assert_has_event(
			pallet_offload_escrow::Event::ProviderPaid { job: id, provider: 1, amount: 10, fee: 1 }
				.into(),
		);
	});
}

#[test]
fn every_payment_is_reported_to_the_reward_pool_with_the_fee_it_carried() {
	run(|| {
		let before = work_reported().len();
		provider_at(1, 0, 10);
		let mut spec = wasm_job(1, 1);
		spec.pricing = Pricing::Fixed { price: 1_000 };
		let id = submit(spec);
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 500)));
		let paid: Vec<_> = System::events()
			.into_iter()
			.filter_map(|record| match record.event {
				RuntimeEvent::Escrow(pallet_offload_escrow::Event::ProviderPaid {
					job,
					provider,
					amount,
					fee,
				}) if job == id => Some((provider, REQUESTER, amount, fee)),
				_ => None,
			})
			.collect();
		assert_eq!(paid.len(), 1);
		assert_eq!(work_reported()[before..], paid[..]);
	});
}
