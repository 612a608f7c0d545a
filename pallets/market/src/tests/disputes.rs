//! Disputes of single-replica results: re-execution by others, and who pays.

use super::*;
use crate::{Dispute, Error};
use frame_support::assert_noop;

const SALT: [u8; 32] = [3; 32];

/// Provider 1 runs a single-replica job and reports `[7; 32]`; providers 2, 3, 4 stand by.
fn settled_job() -> JobId {
	provider(1, 100);
	for who in 2..=4 {
		provider(who, 200);
	}
	let id = submit(wasm_job(1, 1));
	assert_eq!(assigned(id), vec![1]);
	assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
	assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 500_000)));
	id
}

/// The check's three replicas all report `tag`.
fn check_reports(check: JobId, tag: u8) {
	for who in 2..=4u64 {
		assert_ok!(Market::ack(RuntimeOrigin::signed(who), check));
		let commitment = Market::commitment(&report(tag, 400_000), &SALT, &who);
		assert_ok!(Market::commit_result(RuntimeOrigin::signed(who), check, commitment));
	}
	for who in 2..=4u64 {
		assert_ok!(Market::reveal_result(
			RuntimeOrigin::signed(who),
			check,
			report(tag, 400_000),
			SALT
		));
	}
}

#[test]
fn an_upheld_dispute_slashes_the_provider_and_repays_the_requester_first() {
	run(|| {
		let id = settled_job();
		let before = free(REQUESTER);
		let check = open_dispute(id);
		assert!(happened(Event::DisputeOpened { job: id, check }));
		assert_eq!(job(id).dispute, Some(Dispute::Open(check)));
		// The disputed provider is not among the re-executors.
		assert_eq!(assigned_set(check), vec![2, 3, 4]);
		assert_eq!(job(check).checks, Some(id));
		assert_eq!(free(REQUESTER), before - full_hold(3));
		assert_noop!(
			Market::clear_job(RuntimeOrigin::signed(REQUESTER), id),
			Error::<Test>::DisputeOpen
		);

		check_reports(check, 8);
		// The job paid 60, the check 3 × (10 + 200 × 0.4) = 270; half the bond is slashed and
		// the requester gets those 330 back out of it.
		let slashed = BOND / 2;
		assert!(happened(Event::DisputeResolved { job: id, upheld: true, slashed }));
		assert_eq!(job(id).dispute, Some(Dispute::Upheld(check)));
		assert_eq!(bond(1), BOND - slashed);
		let check_cost = 270 + 27;
		assert_eq!(free(REQUESTER), before - JOB_DEPOSIT - check_cost + 60 + 270);
		assert_eq!(free(TREASURY), 1 + 6 + 27 + slashed - 330);
		assert_ok!(Market::clear_job(RuntimeOrigin::signed(REQUESTER), id));
	});
}

#[test]
fn a_rejected_dispute_leaves_the_cost_with_the_requester() {
	run(|| {
		let id = settled_job();
		let check = open_dispute(id);
		let before = free(REQUESTER);
		check_reports(check, 7);
		assert!(happened(Event::DisputeResolved { job: id, upheld: false, slashed: 0 }));
		assert_eq!(job(id).dispute, Some(Dispute::Rejected(id + 1)));
		assert_eq!(bond(1), BOND);
		// The check was paid like any job; the rest of its hold came back.
		assert_eq!(free(REQUESTER), before + full_hold(3) - JOB_DEPOSIT - 297);
	});
}

#[test]
fn a_check_that_cannot_run_closes_the_dispute_without_a_verdict() {
	run(|| {
		provider(1, 100);
		let id = submit(wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 1)));
		// Nobody else can re-execute it: the check waits, then expires.
		assert_ok!(Market::dispute(RuntimeOrigin::signed(REQUESTER), id));
		run_to_block(1 + 5 + 1);
		assert_ok!(expire_as(ANYONE, id + 1));
		assert_eq!(job(id).dispute, Some(Dispute::Rejected(id + 1)));
		assert_ok!(Market::clear_job(RuntimeOrigin::signed(REQUESTER), id));
	});
}

#[test]
fn disputes_are_for_the_requester_of_a_settled_single_result_in_time() {
	run(|| {
		let id = settled_job();
		assert_noop!(
			Market::dispute(RuntimeOrigin::signed(ANYONE), id),
			Error::<Test>::NotRequester
		);
		assert_noop!(
			Market::dispute(RuntimeOrigin::signed(REQUESTER), 99),
			Error::<Test>::UnknownJob
		);
		let open = submit(wasm_job(1, 1));
		assert_noop!(
			Market::dispute(RuntimeOrigin::signed(REQUESTER), open),
			Error::<Test>::NotSettled
		);
		assert_ok!(Market::dispute(RuntimeOrigin::signed(REQUESTER), id));
		assert_noop!(
			Market::dispute(RuntimeOrigin::signed(REQUESTER), id),
			Error::<Test>::AlreadyDisputed
		);
		let late = submit(wasm_job(1, 1));
		let who = assigned(late)[0];
		assert_ok!(Market::ack(RuntimeOrigin::signed(who), late));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(who), late, report(1, 1)));
		run_to_block(1 + CHALLENGE_PERIOD + 1);
		assert_noop!(
			Market::dispute(RuntimeOrigin::signed(REQUESTER), late),
			Error::<Test>::ChallengeClosed
		);
	});
}

#[test]
fn replicated_results_and_missing_results_cannot_be_disputed() {
	run(|| {
		for who in 1..=3 {
			provider(who, 100);
		}
		let agreed = submit(wasm_job(3, 2));
		let split = submit(wasm_job(3, 2));
		for (id, tags) in [(agreed, [1u8, 1, 1]), (split, [1, 2, 3])] {
			for who in 1..=3u64 {
				assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
				let r = report(tags[who as usize - 1], 1);
				let commitment = Market::commitment(&r, &SALT, &who);
				assert_ok!(Market::commit_result(RuntimeOrigin::signed(who), id, commitment));
			}
			for who in 1..=3u64 {
				let r = report(tags[who as usize - 1], 1);
				assert_ok!(Market::reveal_result(RuntimeOrigin::signed(who), id, r, SALT));
			}
		}
		assert_noop!(
			Market::dispute(RuntimeOrigin::signed(REQUESTER), agreed),
			Error::<Test>::Replicated
		);
		assert_noop!(
			Market::dispute(RuntimeOrigin::signed(REQUESTER), split),
			Error::<Test>::NothingToDispute
		);
	});
}

/// Others fill the queue with jobs nobody can take, to run out the challenge period. A
/// dispute's check waits for its draw apart from the queue, so it opens anyway; only as many
/// checks as the queue holds may wait for a draw at once.
#[test]
fn a_full_queue_does_not_stop_a_dispute() {
	run(|| {
		let id = settled_job();
		let mut unmatchable = wasm_job(1, 1);
		unmatchable.resources.cpu_millicores = u32::MAX;
		for requester in [REQUESTER, REQUESTER, ANYONE] {
			assert_ok!(Market::submit_job(RuntimeOrigin::signed(requester), unmatchable.clone()));
		}
		assert!(crate::Queue::<Test>::get().is_full());
		let check = open_dispute(id);
		assert_eq!(assigned_set(check), vec![2, 3, 4]);

		// The draws are bounded like the queue: a fourth dispute in one block waits a block.
		for _ in 0..3 {
			let id = settled_job_of(1);
			assert_ok!(Market::dispute(RuntimeOrigin::signed(REQUESTER), id));
		}
		let id = settled_job_of(1);
		assert_noop!(
			Market::dispute(RuntimeOrigin::signed(REQUESTER), id),
			Error::<Test>::TooManyDisputes
		);
		run_to_block(System::block_number() + 1);
		assert!(crate::Draws::<Test>::get().len() < 3);
		assert_ok!(Market::dispute(RuntimeOrigin::signed(REQUESTER), id));
	});
}

/// Another single-replica job run by `who` (already registered), settled with a result.
fn settled_job_of(who: u64) -> JobId {
	let id = submit(wasm_job(1, 1));
	assert_eq!(assigned(id), vec![who]);
	assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
	assert_ok!(Market::submit_result(RuntimeOrigin::signed(who), id, report(7, 500_000)));
	id
}
