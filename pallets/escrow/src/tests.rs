//! The escrow: every path moves exactly what it says, and a failure moves nothing.

use crate::{
	mock::*, Bonds, Error, Escrows, Event, HoldReason, JobEscrow, Payout, PeriodEscrow, Prepaid,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};

type E = crate::Pallet<Test>;

fn free(who: u64) -> u64 {
	Balances::free_balance(who)
}

fn held(reason: HoldReason, who: u64) -> u64 {
	Balances::balance_on_hold(&reason.into(), &who)
}

#[test]
fn holding_for_a_job_holds_payment_plus_fee_in_the_requesters_account() {
	run(|| {
		assert_eq!(E::with_fee(1_000, 1), Ok(1_100));
		assert_ok!(E::hold_for_job(7, &REQUESTER, 1_000, 1, 0));
		assert_eq!(free(REQUESTER), START - 1_100);
		assert_eq!(held(HoldReason::JobPayment, REQUESTER), 1_100);
		assert_eq!(E::held_for(7), 1_100);
		System::assert_last_event(
			Event::JobFundsHeld { job: 7, requester: REQUESTER, amount: 1_100 }.into(),
		);
	});
}

#[test]
fn a_subscriptions_periods_are_held_paid_refunded_and_closed_each_with_its_fee() {
	run(|| {
		// Three periods of 1,000: 3 × (1,000 + 100) held; a renewal adds one more.
		assert_ok!(E::hold_periods(4, &REQUESTER, 1_000, 3));
		assert_ok!(E::hold_periods(4, &REQUESTER, 1_000, 1));
		assert_eq!(E::held_for_periods(4), 4_400);
		assert_eq!(held(HoldReason::SubscriptionPayment, REQUESTER), 4_400);
		assert_eq!(held(HoldReason::JobPayment, REQUESTER), 0, "apart from job holds");
		// Someone else's money cannot join it.
		assert_noop!(E::hold_periods(4, &PROVIDER, 1_000, 1), Error::<Test>::EscrowExists);
		// A kept period: the price to the provider, the fee to the treasury.
		assert_eq!(E::pay_period(4, &PROVIDER, 1_000), Ok(Payout { to_provider: 1_000, fee: 100 }));
		assert_eq!(free(PROVIDER), START + 1_000);
		assert_eq!(free(TREASURY), ED + 100);
		System::assert_last_event(
			Event::PeriodPaid { subscription: 4, provider: PROVIDER, amount: 1_000, fee: 100 }
				.into(),
		);
		// A failed period: price and fee back to the requester.
		assert_eq!(E::refund_period(4, 1_000), Ok(1_100));
		System::assert_last_event(
			Event::PeriodsRefunded { subscription: 4, requester: REQUESTER, amount: 1_100 }.into(),
		);
		// The end: the two periods left go back.
		assert_eq!(E::close_periods(4), Ok(2_200));
		assert!(Prepaid::<Test>::get(4).is_none());
		assert_eq!(held(HoldReason::SubscriptionPayment, REQUESTER), 0);
		assert_eq!(free(REQUESTER), START - 1_100);
		assert_noop!(E::pay_period(4, &PROVIDER, 1), Error::<Test>::NoEscrow);
	});
}

#[test]
fn a_period_is_never_paid_or_refunded_beyond_what_is_held() {
	run(|| {
		assert_ok!(E::hold_periods(4, &REQUESTER, 1_000, 1));
		assert_noop!(E::pay_period(4, &PROVIDER, 1_001), Error::<Test>::InsufficientEscrow);
		assert_ok!(E::pay_period(4, &PROVIDER, 1_000));
		assert_noop!(E::refund_period(4, 1_000), Error::<Test>::InsufficientEscrow);
		assert_noop!(E::pay_period(4, &PROVIDER, u64::MAX), Error::<Test>::Overflow);
		assert_eq!(E::close_periods(4), Ok(0));
	});
}

#[test]
fn a_job_cannot_be_held_twice_nor_beyond_the_balance() {
	run(|| {
		assert_ok!(E::hold_for_job(7, &REQUESTER, 1_000, 1, 0));
		assert_noop!(E::hold_for_job(7, &REQUESTER, 1, 1, 0), Error::<Test>::EscrowExists);
		assert!(E::hold_for_job(8, &REQUESTER, START, 1, 0).is_err());
		assert!(Escrows::<Test>::get(8).is_none());
		assert_eq!(held(HoldReason::JobPayment, REQUESTER), 1_100);
	});
}

#[test]
fn paying_moves_the_amount_to_the_provider_and_the_fee_to_the_treasury() {
	run(|| {
		assert_ok!(E::hold_for_job(7, &REQUESTER, 1_000, 1, 0));
		assert_eq!(E::pay(7, &PROVIDER, 600), Ok(Payout { to_provider: 600, fee: 60 }));
		assert_eq!(free(PROVIDER), START + 600);
		assert_eq!(free(TREASURY), ED + 60);
		assert_eq!(E::held_for(7), 1_100 - 660);
		assert_eq!(held(HoldReason::JobPayment, REQUESTER), 440);
		System::assert_last_event(
			Event::ProviderPaid { job: 7, provider: PROVIDER, amount: 600, fee: 60 }.into(),
		);
		// The rest goes back to the requester.
		assert_eq!(E::refund(7), Ok(440));
		assert_eq!(free(REQUESTER), START - 660);
		assert_eq!(held(HoldReason::JobPayment, REQUESTER), 0);
		assert!(Escrows::<Test>::get(7).is_none());
		System::assert_last_event(
			Event::Refunded { job: 7, requester: REQUESTER, amount: 440 }.into(),
		);
	});
}

#[test]
fn paying_more_than_the_escrow_holds_fails_and_moves_nothing() {
	run(|| {
		assert_ok!(E::hold_for_job(7, &REQUESTER, 1_000, 1, 0));
		// 1_001 plus its fee exceeds the 1_100 held.
		assert_noop!(E::pay(7, &PROVIDER, 1_001), Error::<Test>::InsufficientEscrow);
		assert_noop!(E::pay(8, &PROVIDER, 1), Error::<Test>::NoEscrow);
		assert_eq!(E::held_for(7), 1_100);
	});
}

#[test]
fn several_replicas_can_be_paid_from_one_escrow() {
	run(|| {
		assert_ok!(E::hold_for_job(7, &REQUESTER, 1_000, 1, 0));
		assert_ok!(E::pay(7, &PROVIDER, 500));
		assert_ok!(E::pay(7, &OTHER, 500));
		assert_eq!(E::held_for(7), 0);
		assert_eq!(free(PROVIDER), START + 500);
		assert_eq!(free(OTHER), START + 500);
		assert_eq!(free(TREASURY), ED + 100);
		assert_eq!(E::refund(7), Ok(0));
		assert_eq!(free(REQUESTER), START - 1_100);
	});
}

#[test]
fn transfer_from_job_takes_no_fee() {
	run(|| {
		assert_ok!(E::hold_for_job(7, &REQUESTER, 1_000, 1, 0));
		assert_eq!(E::transfer_from_job(7, &OTHER, 50), Ok(50));
		assert_eq!(free(OTHER), START + 50);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(E::held_for(7), 1_050);
		assert_noop!(E::transfer_from_job(7, &OTHER, 1_051), Error::<Test>::InsufficientEscrow);
		System::assert_last_event(
			Event::TransferredFromJob { job: 7, to: OTHER, amount: 50 }.into(),
		);
	});
}

#[test]
fn refunding_an_unknown_job_fails() {
	run(|| {
		assert_noop!(E::refund(7), Error::<Test>::NoEscrow);
	});
}

#[test]
fn bonds_are_held_and_released_in_the_providers_account() {
	run(|| {
		assert_ok!(E::hold_bond(&PROVIDER, 3_000));
		assert_ok!(E::hold_bond(&PROVIDER, 1_000));
		assert_eq!(E::bond_of(&PROVIDER), 4_000);
		assert_eq!(held(HoldReason::ProviderBond, PROVIDER), 4_000);
		assert_eq!(free(PROVIDER), START - 4_000);
		System::assert_last_event(
			Event::BondHeld { provider: PROVIDER, amount: 1_000, bond: 4_000 }.into(),
		);
		assert_noop!(E::release_bond(&PROVIDER, 4_001), Error::<Test>::InsufficientBond);
		assert_ok!(E::release_bond(&PROVIDER, 4_000));
		assert_eq!(free(PROVIDER), START);
		assert!(!Bonds::<Test>::contains_key(PROVIDER));
		System::assert_last_event(
			Event::BondReleased { provider: PROVIDER, amount: 4_000, bond: 0 }.into(),
		);
	});
}

#[test]
fn a_bond_cannot_exceed_the_balance() {
	run(|| {
		assert!(E::hold_bond(&PROVIDER, START + 1).is_err());
		assert_eq!(E::bond_of(&PROVIDER), 0);
	});
}

#[test]
fn a_slash_compensates_the_harmed_and_sends_the_rest_to_the_treasury() {
	run(|| {
		assert_ok!(E::hold_bond(&PROVIDER, 3_000));
		assert_eq!(E::slash_bond(&PROVIDER, 1_000, &REQUESTER, 700), Ok(1_000));
		assert_eq!(free(REQUESTER), START + 700);
		assert_eq!(free(TREASURY), ED + 300);
		assert_eq!(E::bond_of(&PROVIDER), 2_000);
		assert_eq!(held(HoldReason::ProviderBond, PROVIDER), 2_000);
		assert_eq!(free(PROVIDER), START - 3_000);
		System::assert_last_event(
			Event::BondSlashed {
				provider: PROVIDER,
				amount: 1_000,
				harmed: REQUESTER,
				compensation: 700,
			}
			.into(),
		);
	});
}

#[test]
fn a_slash_takes_at_most_the_bond_and_compensates_at_most_the_slash() {
	run(|| {
		assert_ok!(E::hold_bond(&PROVIDER, 500));
		assert_eq!(E::slash_bond(&PROVIDER, 1_000, &REQUESTER, 2_000), Ok(500));
		assert_eq!(free(REQUESTER), START + 500);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(E::bond_of(&PROVIDER), 0);
		assert_eq!(E::slash_bond(&PROVIDER, 1_000, &REQUESTER, 0), Ok(0));
	});
}

#[test]
fn a_deposit_is_held_without_fee_and_can_outlive_a_partial_refund() {
	run(|| {
		assert_ok!(E::hold_for_job(7, &REQUESTER, 1_000, 1, 50));
		assert_eq!(E::held_for(7), 1_150);
		assert_ok!(E::pay(7, &PROVIDER, 100));
		// Everything but the deposit goes back; the escrow stays open with it.
		assert_eq!(E::refund_keeping(7, 50), Ok(1_150 - 110 - 50));
		assert_eq!(E::held_for(7), 50);
		assert_eq!(held(HoldReason::JobPayment, REQUESTER), 50);
		// Keeping more than is held fails and changes nothing.
		assert_noop!(E::refund_keeping(7, 51), Error::<Test>::InsufficientEscrow);
		assert_noop!(E::refund_keeping(8, 0), Error::<Test>::NoEscrow);
		assert_eq!(E::refund(7), Ok(50));
		assert_eq!(free(REQUESTER), START - 110);
	});
}

#[test]
fn migration_to_v2_removes_the_running_totals() {
	use crate::migrations::v2::{MigrateV1ToV2, REMOVED};
	use frame_support::{
		storage::{storage_prefix, unhashed},
		traits::{GetStorageVersion, OnRuntimeUpgrade, PalletInfoAccess, StorageVersion},
	};
	run(|| {
		let keys = REMOVED.map(|item| storage_prefix(Escrow::name().as_bytes(), item.as_bytes()));
		for key in &keys {
			unhashed::put(key, &5u64);
		}
		StorageVersion::new(1).put::<Escrow>();

		MigrateV1ToV2::<Test>::on_runtime_upgrade();

		assert!(keys.iter().all(|key| !unhashed::exists(key)));
		assert_eq!(Escrow::on_chain_storage_version(), StorageVersion::new(2));
	});
}

#[test]
fn fees_are_held_per_replica_so_rounding_never_leaves_settlement_short() {
	run(|| {
		// 10% of 15 is 1.5: two replicas paid 15 each carry 2 + 2 in fees, where 10% of 30
		// held at once would be 3.
		assert_eq!(E::with_fee(15, 2), Ok(2 * (15 + 5)));
		assert_ok!(E::hold_for_job(7, &REQUESTER, 15, 2, 0));
		assert_ok!(E::pay(7, &PROVIDER, 15));
		assert_ok!(E::pay(7, &OTHER, 15));
		assert_eq!(E::refund(7), Ok(2 * (15 + 5) - 2 * (15 + 5)));
	});
}

#[test]
fn every_payment_carries_at_least_the_fee_floor() {
	run(|| {
		assert_ok!(E::hold_for_job(7, &REQUESTER, 100, 1, 0));
		// 10% of 7, rounded up, is 1; the floor makes it 5. A zero payment pays it too.
		assert_eq!(E::pay(7, &PROVIDER, 7), Ok(Payout { to_provider: 7, fee: MIN_FEE }));
		assert_ok!(E::hold_for_job(8, &REQUESTER, 100, 1, 0));
		assert_eq!(E::pay(8, &PROVIDER, 0), Ok(Payout { to_provider: 0, fee: MIN_FEE }));
		assert_eq!(free(TREASURY), ED + 2 * MIN_FEE);
	});
}

mod properties {
	use super::*;
	use proptest::prelude::*;

	proptest! {
		#[test]
		fn any_payments_up_to_the_cap_fit_in_the_hold(
			cap in 0u64..=1_000,
			replicas in 1u32..=5,
			paid in proptest::collection::vec(0u64..=1_000, 5),
		) {
			run(|| {
				assert_ok!(E::hold_for_job(7, &REQUESTER, cap, replicas, 3));
				let held = E::held_for(7);
				let mut out = 0;
				for amount in paid.iter().take(replicas as usize) {
					let amount = (*amount).min(cap);
					let payout = E::pay(7, &PROVIDER, amount).expect("the hold covers it");
					out += payout.to_provider + payout.fee;
				}
				assert_eq!(E::held_for(7), held - out);
				assert!(E::held_for(7) >= 3, "the deposit is untouched");
				assert_eq!(E::refund(7), Ok(held - out));
				assert_eq!(free(REQUESTER) + free(PROVIDER) + free(TREASURY), 2 * START + ED);
			});
		}

		/// However a subscription's periods go (kept, failed, renewed), what left the
		/// requester is exactly what the provider and the treasury got, and each kept period
		/// paid the price and the fee on it.
		#[test]
		fn prepaid_periods_add_up_on_every_path(
			price in 0u64..=1_000,
			periods in 1u32..=6,
			outcomes in proptest::collection::vec(any::<bool>(), 0..=6),
			renewal in 0u32..=3,
		) {
			run(|| {
				assert_ok!(E::hold_periods(9, &REQUESTER, price, periods));
				assert_ok!(E::hold_periods(9, &REQUESTER, price, renewal));
				let mut paid = 0;
				for kept in outcomes.iter().take((periods + renewal) as usize) {
					if *kept {
						let payout = E::pay_period(9, &PROVIDER, price).expect("held");
						assert_eq!(payout.fee, E::fee_on(price));
						paid += payout.to_provider + payout.fee;
					} else {
						assert_ok!(E::refund_period(9, price));
					}
				}
				assert_ok!(E::close_periods(9));
				assert_eq!(free(REQUESTER), START - paid);
				assert_eq!(free(PROVIDER) + free(TREASURY), START + ED + paid);
				assert_eq!(held(HoldReason::SubscriptionPayment, REQUESTER), 0);
				assert_ok!(E::do_try_state());
			});
		}
	}
}
