//! A single-replica job's life: ack, one result, settlement, clearing; and every money path.

use super::*;
use crate::{Assignments, Error, Totals};
use frame_support::assert_noop;
use offload_primitives::ReputationOf;

#[test]
fn a_job_runs_settles_and_pays_the_provider_by_usage() {
	run(|| {
		provider(1, 100);
		let requester_before = free(REQUESTER);
		let provider_before = free(1);
		let id = submit(wasm_job(1, 1));
		run_to_block(2);
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert!(happened(Event::JobAcknowledged { job: id, provider: 1, due: 2 + 10 }));
		run_to_block(4);
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 500_000)));
		// 10 base + 100 per million fuel × 0.5 million = 60; the fee is 10% of it.
		let (paid, fee) = (60, 6);
		let refunded = full_hold(1) - paid - fee - JOB_DEPOSIT;
		assert!(happened(Event::ResultRevealed {
			job: id,
			provider: 1,
			report: report(7, 500_000)
		}));
		assert!(happened(Event::JobSettled {
			job: id,
			result: Some([7; 32]),
			ok: true,
			paid,
			refunded
		}));
		assert_eq!(free(1), provider_before + paid);
		assert_eq!(free(TREASURY), 1 + fee);
		assert_eq!(free(REQUESTER), requester_before - paid - fee - JOB_DEPOSIT);
		assert_eq!(held_for_jobs(REQUESTER), JOB_DEPOSIT);
		assert_eq!(bond(1), BOND);
		assert_eq!(phase(id), Phase::Settled { result: Some([7; 32]), ok: true, paid, at: 4 });
		assert!(!Assignments::<Test>::contains_key(1, id));
		let provider = pallet_offload_registry::Providers::<Test>::get(1).expect("registered");
		assert_eq!((provider.running, provider.free), (0, provider.offer.resources));
		assert!(Reputation::score(&1) > sp_runtime::Permill::from_percent(50));
		let totals = Totals::<Test>::get();
		assert_eq!((totals.settled, totals.total_paid), (1, paid));
		// The requester clears the record and gets the deposit back.
		assert_ok!(Market::clear_job(RuntimeOrigin::signed(REQUESTER), id));
		assert_eq!(free(REQUESTER), requester_before - paid - fee);
		assert!(Jobs::<Test>::get(id).is_none());
		assert!(happened(Event::JobCleared { job: id, by: REQUESTER }));
	});
}

#[test]
fn a_failed_run_is_a_result_and_its_usage_is_paid() {
	run(|| {
		provider(1, 100);
		let id = submit(wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		let trapped = Report { ok: false, ..report(9, 1_000_000) };
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, trapped));
		assert_eq!(
			phase(id),
			Phase::Settled { result: Some([9; 32]), ok: false, paid: 110, at: 1 }
		);
	});
}

#[test]
fn pay_per_use_is_capped_by_the_budget_and_fixed_price_pays_the_quote() {
	run(|| {
		provider(1, 900);
		let id = submit(wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		// 10 + 900 × 2 = 1,810 for two million fuel, more than the 1,000 budget.
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(1, 2_000_000)));
		assert!(matches!(phase(id), Phase::Settled { paid: 1_000, .. }));

		let mut fixed = wasm_job(1, 1);
		fixed.pricing = Pricing::Fixed { price: 700 };
		// 10 + 900 at the fuel limit fits under 700? No: the quote 910 is above the price.
		assert!(assigned(submit(fixed.clone())).is_empty());
		fixed.pricing = Pricing::Fixed { price: 950 };
		let id = submit(fixed);
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(1, 1)));
		// Paid its quote at the job's limits, whatever it used: the price it was ranked by.
		assert!(matches!(phase(id), Phase::Settled { paid: 910, .. }));
	});
}

#[test]
fn replica_calls_out_of_turn_are_refused() {
	run(|| {
		provider(1, 100);
		provider(2, 200);
		let id = submit(wasm_job(1, 1));
		assert_noop!(Market::ack(RuntimeOrigin::signed(2), id), Error::<Test>::NotAssigned);
		assert_noop!(Market::ack(RuntimeOrigin::signed(1), 42), Error::<Test>::UnknownJob);
		assert_noop!(
			Market::submit_result(RuntimeOrigin::signed(1), id, report(1, 1)),
			Error::<Test>::WrongState
		);
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_noop!(Market::ack(RuntimeOrigin::signed(1), id), Error::<Test>::WrongState);
		assert_noop!(
			Market::commit_result(RuntimeOrigin::signed(1), id, [0; 32]),
			Error::<Test>::SingleReplica
		);
		assert_noop!(
			Market::reveal_result(RuntimeOrigin::signed(1), id, report(1, 1), [0; 32]),
			Error::<Test>::NotRevealing
		);
		assert_noop!(
			Market::clear_job(RuntimeOrigin::signed(REQUESTER), id),
			Error::<Test>::NotSettled
		);
		run_to_block(1 + 10 + 1);
		assert_noop!(
			Market::submit_result(RuntimeOrigin::signed(1), id, report(1, 1)),
			Error::<Test>::DeadlinePassed
		);
	});
}

#[test]
fn an_ack_after_its_deadline_is_refused() {
	run(|| {
		provider(1, 100);
		let id = submit(wasm_job(1, 1));
		run_to_block(1 + ACK_TIMEOUT + 1);
		assert_noop!(Market::ack(RuntimeOrigin::signed(1), id), Error::<Test>::DeadlinePassed);
	});
}

#[test]
fn anyone_clears_a_settled_job_after_the_retention_and_takes_the_deposit() {
	run(|| {
		provider(1, 100);
		let id = submit(wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(1, 1)));
		assert_noop!(
			Market::clear_job(RuntimeOrigin::signed(ANYONE), id),
			Error::<Test>::StillRetained
		);
		run_to_block(1 + RETENTION);
		let before = free(ANYONE);
		assert_ok!(Market::clear_job(RuntimeOrigin::signed(ANYONE), id));
		assert_eq!(free(ANYONE), before + JOB_DEPOSIT);
		assert_eq!(held_for_jobs(REQUESTER), 0);
		assert!(Jobs::<Test>::get(id).is_none());
	});
}
