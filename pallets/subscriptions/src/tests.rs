//! Subscriptions' rules, each as a story; attacks named after the attack and the rule that
//! stops it; a property test for the money.

use crate::{mock::*, pallet::*, Error, Event, SubscriptionId, SCHEDULE_TRIES};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold, Mutate},
};
use offload_primitives::{ProviderRegistry, ReputationRecords, RuntimeKind};
use proptest::prelude::*;
use sp_runtime::Permill;

fn free(who: u64) -> u64 {
	Balances::free_balance(who)
}

fn on_hold(who: u64) -> u64 {
	Balances::total_balance_on_hold(&who)
}

/// `who` subscribes to `periods` periods of `PERIOD` blocks of half a provider, paying at most
/// `max_price` a period.
fn subscribe_as(who: u64, max_price: u64, periods: u32) -> sp_runtime::DispatchResult {
	Subscriptions::subscribe(
		RuntimeOrigin::signed(who),
		RuntimeKind::Container,
		half(),
		max_price,
		Permill::zero(),
		PERIOD,
		periods,
	)
}

fn subscribe(periods: u32) -> SubscriptionId {
	let id = NextSubscriptionId::<Test>::get();
	assert_ok!(subscribe_as(REQUESTER, 1_000, periods));
	id
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Subscriptions(event) => Some(event),
			_ => None,
		})
		.collect()
}

#[test]
fn subscribing_rents_the_cheapest_fitting_provider_and_holds_the_periods() {
	run(|| {
		let id = subscribe(3);
		System::assert_has_event(
			Event::Subscribed {
				subscription: id,
				requester: REQUESTER,
				provider: PROVIDER,
				price: PRICE,
				period: PERIOD,
				periods: 3,
				first_end: 1 + PERIOD,
			}
			.into(),
		);
		// Three periods with their fees, and the deposit, held in the requester's account.
		assert_eq!(on_hold(REQUESTER), 3 * (PRICE + FEE) + DEPOSIT);
		assert_eq!(free(REQUESTER), START - 3 * (PRICE + FEE) - DEPOSIT);
		// The capacity is the subscription's: one slot, half the machine, the price's exposure.
		assert_eq!(
			<Registry as ProviderRegistry<u64, u64>>::in_use(&PROVIDER),
			Some((1, half(), PRICE))
		);
		assert_eq!(PeriodEnds::<Test>::get(1 + PERIOD).into_inner(), vec![id]);
		assert_eq!(Served::<Test>::get(PROVIDER).map(|service| service.subscriptions), Some(1));
	});
}

#[test]
fn reserved_capacity_is_taken_out_of_what_others_are_matched_to() {
	run(|| {
		// Two halves fill the cheap provider; the third goes to the dear one.
		subscribe(1);
		subscribe(1);
		let third = subscribe(1);
		assert_eq!(Records::<Test>::get(third).map(|sub| sub.provider), Some(DEAR));
		assert_eq!(Records::<Test>::get(third).map(|sub| sub.price), Some(3 * PERIOD + 10));
		let cheap = <Registry as ProviderRegistry<u64, u64>>::candidate(&PROVIDER)
			.expect("still registered and not full");
		assert_eq!(cheap.free.cpu_millicores, 0, "nothing left for others");
	});
}

#[test]
fn each_period_settles_by_itself_paid_when_kept_and_refunded_when_the_provider_was_silent() {
	run(|| {
		let id = subscribe(3);
		let (provider, treasury, requester) = (free(PROVIDER), free(TREASURY), free(REQUESTER));
		// Period 1: the provider heartbeats all along.
		run_to(1 + PERIOD, &[PROVIDER, DEAR]);
		assert_eq!(free(PROVIDER), provider + PRICE);
		assert_eq!(free(TREASURY), treasury + FEE);
		assert_eq!(work_reported(), vec![(PROVIDER, REQUESTER, PRICE, FEE)]);
		assert!(events().iter().any(|event| matches!(
			event,
			Event::PeriodPaid { subscription, amount: PRICE, fee: FEE, length: PERIOD, .. }
				if *subscription == id
		)));
		// Period 2: its worker stopped.
		let record = <Reputation as ReputationRecords<u64, u64>>::record_of(&PROVIDER);
		run_to(1 + 2 * PERIOD, &[DEAR]);
		assert_eq!(free(PROVIDER), provider + PRICE, "no pay without service");
		assert_eq!(free(REQUESTER), requester + PRICE + FEE, "the period came back whole");
		let after = <Reputation as ReputationRecords<u64, u64>>::record_of(&PROVIDER);
		assert!(after.bad > record.bad, "a failed period is a no-show");
		assert_eq!(
			pallet_offload_escrow::Bonds::<Test>::get(PROVIDER),
			BOND,
			"downtime never costs the bond"
		);
		// Period 3: back, kept; then the prepayment is spent and everything is given back.
		run_to(1 + 3 * PERIOD, &[PROVIDER, DEAR]);
		assert_eq!(free(PROVIDER), provider + 2 * PRICE);
		System::assert_has_event(
			Event::Ended { subscription: id, reason: EndReason::Expired, refunded: 0 }.into(),
		);
		assert_eq!(free(REQUESTER), START - 2 * (PRICE + FEE));
		assert_eq!(on_hold(REQUESTER), 0);
		assert_eq!(
			<Registry as ProviderRegistry<u64, u64>>::in_use(&PROVIDER),
			Some((0, Default::default(), 0))
		);
		assert!(Served::<Test>::get(PROVIDER).is_none());
		assert!(Records::<Test>::get(id).is_none());
	});
}

#[test]
fn a_requester_cancelling_mid_period_still_pays_the_period_it_was_served() {
	run(|| {
		let id = subscribe(3);
		run_to(10, &[PROVIDER]);
		assert_ok!(Subscriptions::cancel(RuntimeOrigin::signed(REQUESTER), id));
		assert_noop!(
			Subscriptions::cancel(RuntimeOrigin::signed(REQUESTER), id),
			Error::<Test>::Ending
		);
		assert_noop!(
			Subscriptions::renew(RuntimeOrigin::signed(REQUESTER), id, 1),
			Error::<Test>::Ending
		);
		let provider = free(PROVIDER);
		run_to(1 + PERIOD, &[PROVIDER]);
		assert_eq!(free(PROVIDER), provider + PRICE, "the served period is paid");
		System::assert_has_event(
			Event::Ended {
				subscription: id,
				reason: EndReason::Cancelled,
				refunded: 2 * (PRICE + FEE),
			}
			.into(),
		);
		assert_eq!(free(REQUESTER), START - (PRICE + FEE));
	});
}

#[test]
fn a_provider_cancelling_and_going_silent_is_not_paid_the_period() {
	run(|| {
		let id = subscribe(2);
		assert_ok!(Subscriptions::cancel(RuntimeOrigin::signed(PROVIDER), id));
		let provider = free(PROVIDER);
		run_to(1 + PERIOD, &[]);
		assert_eq!(free(PROVIDER), provider);
		assert_eq!(free(REQUESTER), START, "everything came back");
		assert_noop!(
			Subscriptions::cancel(RuntimeOrigin::signed(DEAR), id),
			Error::<Test>::UnknownSubscription
		);
	});
}

#[test]
fn a_provider_heartbeating_only_near_the_period_end_is_not_paid() {
	run(|| {
		subscribe(1);
		let provider = free(PROVIDER);
		run_to(PERIOD - 1, &[]);
		heartbeat(PROVIDER);
		run_to(1 + PERIOD, &[]);
		assert_eq!(free(PROVIDER), provider, "one heartbeat counts one timeout, not a period");
		assert_eq!(free(REQUESTER), START);
	});
}

#[test]
fn a_provider_that_leaves_ends_its_subscriptions_at_the_boundary_and_keeps_its_bond_locked_till_then(
) {
	run(|| {
		let id = subscribe(3);
		run_to(5, &[PROVIDER]);
		assert_ok!(Registry::deregister(RuntimeOrigin::signed(PROVIDER)));
		run_to(25, &[]);
		System::assert_has_event(
			Event::Ended {
				subscription: id,
				reason: EndReason::ProviderOutOfService,
				refunded: 2 * (PRICE + FEE),
			}
			.into(),
		);
		// Leaving, it reported no uptime: the running period was refunded too.
		assert_eq!(free(REQUESTER), START);
		assert_eq!(
			<Registry as ProviderRegistry<u64, u64>>::in_use(&PROVIDER)
				.map(|(running, ..)| running),
			Some(0)
		);
	});
}

#[test]
fn a_bond_withdrawal_waits_for_the_subscription_to_end() {
	run(|| {
		subscribe(10);
		assert_ok!(Registry::deregister(RuntimeOrigin::signed(PROVIDER)));
		run_to(21, &[]);
		// The unbonding period (20 blocks) is over and the subscription ended at block 21.
		assert_ok!(Registry::withdraw_bond(RuntimeOrigin::signed(PROVIDER)));
	});
}

#[test]
fn a_provider_slashed_below_the_minimum_bond_loses_its_subscriptions_at_the_boundary() {
	run(|| {
		let id = subscribe(3);
		// A fraud elsewhere took most of its bond.
		assert_ok!(<Escrow as offload_primitives::JobEscrow<u64, u64>>::slash_bond(
			&PROVIDER,
			BOND - MIN_BOND + 1,
			&REQUESTER,
			0
		));
		let _ = <Registry as ProviderRegistry<u64, u64>>::bond_changed(&PROVIDER);
		run_to(1 + PERIOD, &[PROVIDER]);
		assert!(events().iter().any(|event| matches!(
			event,
			Event::Ended { subscription, reason: EndReason::ProviderOutOfService, .. }
				if *subscription == id
		)));
		assert!(Records::<Test>::get(id).is_none());
	});
}

#[test]
fn renewing_prepays_more_periods_at_the_same_price() {
	run(|| {
		let id = subscribe(1);
		assert_noop!(
			Subscriptions::renew(RuntimeOrigin::signed(DEAR), id, 1),
			Error::<Test>::NotYours
		);
		assert_noop!(
			Subscriptions::renew(RuntimeOrigin::signed(REQUESTER), id, 12),
			Error::<Test>::BadPeriods
		);
		assert_ok!(Subscriptions::renew(RuntimeOrigin::signed(REQUESTER), id, 2));
		System::assert_last_event(
			Event::Renewed { subscription: id, periods: 2, periods_left: 3 }.into(),
		);
		assert_eq!(
			<Escrow as offload_primitives::PeriodEscrow<u64, u64>>::held_for_periods(id),
			3 * (PRICE + FEE)
		);
		run_to(1 + 2 * PERIOD, &[PROVIDER]);
		assert_eq!(Records::<Test>::get(id).map(|sub| sub.periods_left), Some(1));
	});
}

#[test]
fn bad_requests_are_refused_with_a_named_error_and_change_nothing() {
	run(|| {
		let call = |resources, max_price, period, periods| {
			Subscriptions::subscribe(
				RuntimeOrigin::signed(REQUESTER),
				RuntimeKind::Container,
				resources,
				max_price,
				Permill::zero(),
				period,
				periods,
			)
		};
		assert_noop!(call(half(), 1_000, 9, 1), Error::<Test>::BadPeriod);
		assert_noop!(call(half(), 1_000, 1_001, 1), Error::<Test>::BadPeriod);
		assert_noop!(call(half(), 1_000, PERIOD, 0), Error::<Test>::BadPeriods);
		assert_noop!(call(half(), 1_000, PERIOD, 13), Error::<Test>::BadPeriods);
		assert_noop!(call(Default::default(), 1_000, PERIOD, 1), Error::<Test>::NoResources);
		assert_noop!(call(half(), PRICE - 1, PERIOD, 1), Error::<Test>::NoProviders);
		let mut huge = half();
		huge.cpu_millicores = 5_000;
		assert_noop!(call(huge, 1_000, PERIOD, 1), Error::<Test>::NoProviders);
		// A provider is never rented to itself.
		assert_ok!(Registry::pause(RuntimeOrigin::signed(DEAR)));
		assert_noop!(subscribe_as(PROVIDER, 1_000, 1), Error::<Test>::NoProviders);
	});
}

#[test]
fn a_sybil_filling_the_settlement_queues_pays_a_deposit_per_entry_and_cannot_overflow_a_block() {
	run(|| {
		for who in 3..=6 {
			assert_ok!(Registry::register(RuntimeOrigin::signed(who), offer(2), BOND));
		}
		let sybils: Vec<u64> = (20..26).collect();
		for who in &sybils {
			Balances::set_balance(who, START);
		}
		// Every subscription made in this block ends PERIOD later, or in the next blocks
		// while that block's queue is full: MAX_ENDS per block, SCHEDULE_TRIES blocks.
		let room = (MAX_ENDS * SCHEDULE_TRIES) as usize;
		let mut made = 0;
		'fill: for who in &sybils {
			for _ in 0..4 {
				if made == room {
					break 'fill;
				}
				let tiny =
					offload_primitives::Resources { cpu_millicores: 1, ..Default::default() };
				assert_ok!(Subscriptions::subscribe(
					RuntimeOrigin::signed(*who),
					RuntimeKind::Container,
					tiny,
					1_000,
					Permill::zero(),
					PERIOD,
					1
				));
				made += 1;
			}
		}
		assert_eq!(made, room);
		for offset in 0..SCHEDULE_TRIES as u64 {
			assert_eq!(PeriodEnds::<Test>::get(1 + PERIOD + offset).len(), MAX_ENDS as usize);
		}
		let last = *sybils.last().expect("sybils");
		assert_noop!(subscribe_as(last, 1_000, 1), Error::<Test>::QueueFull);
		// Each entry cost its owner a deposit, held until it ends.
		let deposits: u64 = sybils.iter().map(|who| on_hold(*who)).sum();
		assert!(deposits >= room as u64 * DEPOSIT);
		// Each block settles at most MAX_ENDS of them.
		run_to(1 + PERIOD + SCHEDULE_TRIES as u64, &[1, 2, 3, 4, 5, 6]);
		assert_eq!(Records::<Test>::iter().count(), 0);
	});
}

#[test]
fn a_requester_holds_a_bounded_number_of_subscriptions() {
	run(|| {
		for _ in 0..4 {
			assert_ok!(subscribe_as(REQUESTER, 1_000, 1));
		}
		assert_noop!(subscribe_as(REQUESTER, 1_000, 1), Error::<Test>::TooManySubscriptions);
	});
}

#[derive(Clone, Debug)]
enum Step {
	/// Advance `n` blocks, the provider heartbeating or silent.
	Blocks {
		n: u64,
		alive: bool,
	},
	Renew(u32),
	Cancel {
		by_provider: bool,
	},
	Subscribe(u32),
}

fn step() -> impl Strategy<Value = Step> {
	prop_oneof![
		(1u64..30, any::<bool>()).prop_map(|(n, alive)| Step::Blocks { n, alive }),
		(1u32..4).prop_map(Step::Renew),
		any::<bool>().prop_map(|by_provider| Step::Cancel { by_provider }),
		(1u32..4).prop_map(Step::Subscribe),
	]
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(48))]

	/// Whatever happens, money adds up: what the requester, the providers and the treasury
	/// hold (free and on hold) never changes; each paid period moved exactly its price to
	/// the provider and its fee to the treasury; at the end nothing stays held.
	#[test]
	fn money_is_conserved_on_every_path(steps in proptest::collection::vec(step(), 1..25)) {
		run(|| {
			let accounts = [REQUESTER, PROVIDER, DEAR, TREASURY];
			let total = || accounts.iter().map(|who| Balances::total_balance(who)).sum::<u64>();
			let start = total();
			let treasury = free(TREASURY);
			for step in steps {
				let latest = NextSubscriptionId::<Test>::get().checked_sub(1);
				match step {
					Step::Blocks { n, alive } => {
						let alive: &[u64] = if alive { &[PROVIDER, DEAR] } else { &[] };
						run_to(System::block_number() + n, alive);
					},
					Step::Renew(periods) => {
						if let Some(id) = latest {
							let _ = Subscriptions::renew(RuntimeOrigin::signed(REQUESTER), id, periods);
						}
					},
					Step::Cancel { by_provider } => {
						if let Some(sub) = latest.and_then(Records::<Test>::get) {
							let who = if by_provider { sub.provider } else { REQUESTER };
							let _ = Subscriptions::cancel(RuntimeOrigin::signed(who), latest.unwrap_or_default());
						}
					},
					Step::Subscribe(periods) => {
						let _ = subscribe_as(REQUESTER, 1_000, periods);
					},
				}
				prop_assert_eq!(total(), start);
				Subscriptions::do_try_state().expect("invariants hold");
				Escrow::do_try_state().expect("escrow invariants hold");
			}
			// Let every subscription run out.
			run_to(System::block_number() + 13 * PERIOD + SCHEDULE_TRIES as u64, &[PROVIDER, DEAR]);
			prop_assert_eq!(Records::<Test>::iter().count(), 0);
			prop_assert_eq!(on_hold(REQUESTER), 0);
			let paid: Vec<(u64, u64)> = events()
				.into_iter()
				.filter_map(|event| match event {
					Event::PeriodPaid { amount, fee, .. } => Some((amount, fee)),
					_ => None,
				})
				.collect();
			let fees: u64 = paid.iter().map(|(_, fee)| fee).sum();
			let amounts: u64 = paid.iter().map(|(amount, _)| amount).sum();
			prop_assert_eq!(free(TREASURY), treasury + fees);
			prop_assert_eq!(free(REQUESTER), START - amounts - fees);
			Ok(())
		})?;
	}
}

#[test]
fn the_api_quotes_before_subscribing_and_lists_each_sides_subscriptions() {
	run(|| {
		let quote = Subscriptions::quote_for(
			&REQUESTER,
			RuntimeKind::Container,
			half(),
			Permill::zero(),
			PERIOD,
		)
		.expect("a provider fits");
		assert_eq!(
			(quote.provider, quote.price, quote.fee, quote.deposit),
			(PROVIDER, PRICE, FEE, DEPOSIT)
		);
		// The cheap provider never quotes itself.
		let own = Subscriptions::quote_for(
			&PROVIDER,
			RuntimeKind::Container,
			half(),
			Permill::zero(),
			PERIOD,
		)
		.expect("the dear one fits");
		assert_eq!(own.provider, DEAR);
		let id = subscribe(2);
		run_to(8, &[PROVIDER]);
		let view = Subscriptions::view(id).expect("it exists");
		assert_eq!(view.prepaid, 2 * (PRICE + FEE));
		assert!(view.live > 0 && view.live <= 8);
		assert_eq!(Subscriptions::views_of(&REQUESTER), vec![view.clone()]);
		assert_eq!(Subscriptions::views_of(&PROVIDER), vec![view]);
		assert!(Subscriptions::views_of(&DEAR).is_empty());
	});
}
