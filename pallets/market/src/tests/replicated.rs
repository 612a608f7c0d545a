//! Replicated jobs: commit, reveal, quorum, and what happens to a replica that disagrees.

use super::*;
use crate::Error;
use frame_support::assert_noop;
use offload_primitives::ReputationOf;

const SALT: [u8; 32] = [5; 32];

/// Three providers at fuel prices 100, 200, 300 run a 3-replica, quorum-2 job; all acked.
fn three_running() -> JobId {
	for who in 1..=3 {
		provider(who, 100 * who);
	}
	let id = submit(wasm_job(3, 2));
	for who in 1..=3 {
		assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
	}
	id
}

fn commit(who: u64, id: JobId, report: Report) {
	let commitment = Market::commitment(&report, &SALT, &who);
	assert_ok!(Market::commit_result(RuntimeOrigin::signed(who), id, commitment));
}

fn reveal(who: u64, id: JobId, report: Report) {
	assert_ok!(Market::reveal_result(RuntimeOrigin::signed(who), id, report, SALT));
}

#[test]
fn agreeing_replicas_are_all_paid_for_the_least_usage_reported() {
	run(|| {
		let id = three_running();
		let before: Vec<u64> = (1..=3).map(free).collect();
		commit(1, id, report(7, 400_000));
		commit(2, id, report(7, 400_000));
		assert!(matches!(phase(id), Phase::Active));
		commit(3, id, report(7, 500_000));
		assert_eq!(phase(id), Phase::Revealing { reveal_by: 1 + REVEAL_TIMEOUT });
		for who in 1..=3 {
			reveal(who, id, report(7, if who == 3 { 500_000 } else { 400_000 }));
		}
		// Each is paid 10 + price × 0.4 at its own price.
		let paid = [50, 90, 130];
		for who in 1..=3usize {
			assert_eq!(free(who as u64), before[who - 1] + paid[who - 1]);
		}
		let total: u64 = paid.iter().sum();
		assert!(
			matches!(phase(id), Phase::Settled { result: Some(result), ok: true, paid, .. } if paid == total && result == [7; 32])
		);
		assert_eq!(free(TREASURY), 1 + total / 10);
		assert_eq!(held_for_jobs(REQUESTER), JOB_DEPOSIT);
	});
}

#[test]
fn a_lying_replica_is_slashed_and_the_requester_compensated() {
	run(|| {
		let id = three_running();
		commit(1, id, report(7, 400_000));
		commit(2, id, report(8, 400_000));
		commit(3, id, report(7, 400_000));
		let requester_before = free(REQUESTER);
		reveal(1, id, report(7, 400_000));
		reveal(2, id, report(8, 400_000));
		reveal(3, id, report(7, 400_000));
		// Half of the liar's bond is slashed; half of that goes to the requester.
		let slashed = BOND / 2;
		assert!(happened(Event::ResultRejected { job: id, provider: 2, slashed }));
		assert_eq!(bond(2), BOND - slashed);
		assert_eq!(bond(1), BOND);
		let (paid_1, paid_3) = (50, 130);
		let fees = (paid_1 + paid_3) / 10;
		let refund = full_hold(3) - paid_1 - paid_3 - fees - JOB_DEPOSIT;
		assert_eq!(free(REQUESTER), requester_before + refund + slashed / 2);
		assert_eq!(free(TREASURY), 1 + fees + slashed / 2);
		assert!(Reputation::score(&2) < Reputation::score(&1));
	});
}

#[test]
fn without_a_quorum_everything_is_refunded() {
	run(|| {
		let id = three_running();
		for who in 1..=3u64 {
			commit(who, id, report(who as u8, 1));
		}
		let requester_before = free(REQUESTER);
		for who in 1..=3u64 {
			reveal(who, id, report(who as u8, 1));
		}
		assert!(happened(Event::JobSettled {
			job: id,
			result: None,
			ok: false,
			paid: 0,
			refunded: full_hold(3) - JOB_DEPOSIT,
		}));
		assert_eq!(free(REQUESTER), requester_before + full_hold(3) - JOB_DEPOSIT);
		assert!((1..=3).all(|who| bond(who) == BOND));
	});
}

#[test]
fn reveals_wait_for_every_commit_and_must_match_it() {
	run(|| {
		let id = three_running();
		assert_noop!(
			Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 1)),
			Error::<Test>::Replicated
		);
		commit(1, id, report(7, 1));
		assert_noop!(
			Market::reveal_result(RuntimeOrigin::signed(1), id, report(7, 1), SALT),
			Error::<Test>::NotRevealing
		);
		assert_noop!(
			Market::commit_result(RuntimeOrigin::signed(1), id, [0; 32]),
			Error::<Test>::WrongState
		);
		commit(2, id, report(7, 1));
		commit(3, id, report(7, 1));
		// Another salt, or another report, is not what was committed.
		assert_noop!(
			Market::reveal_result(RuntimeOrigin::signed(1), id, report(7, 1), [6; 32]),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			Market::reveal_result(RuntimeOrigin::signed(1), id, report(7, 2), SALT),
			Error::<Test>::CommitmentMismatch
		);
		reveal(1, id, report(7, 1));
		assert_noop!(
			Market::reveal_result(RuntimeOrigin::signed(1), id, report(7, 1), SALT),
			Error::<Test>::WrongState
		);
		run_to_block(1 + REVEAL_TIMEOUT + 1);
		assert_noop!(
			Market::reveal_result(RuntimeOrigin::signed(2), id, report(7, 1), SALT),
			Error::<Test>::DeadlinePassed
		);
	});
}

#[test]
fn after_the_reveal_deadline_the_revealed_quorum_settles_and_the_silent_replica_pays_as_a_liar() {
	run(|| {
		let id = three_running();
		for who in 1..=3 {
			commit(who, id, report(7, 400_000));
		}
		reveal(1, id, report(7, 400_000));
		reveal(3, id, report(7, 400_000));
		assert_noop!(expire_as(ANYONE, id), Error::<Test>::NotExpired);
		run_to_block(1 + REVEAL_TIMEOUT + 1);
		assert_ok!(expire_as(ANYONE, id));
		// Silence after a commit costs what a losing reveal costs.
		assert!(happened(Event::DeadlineMissed { job: id, provider: 2, slashed: BOND / 2 }));
		assert!(
			matches!(phase(id), Phase::Settled { result: Some(result), paid: 180, .. } if result == [7; 32])
		);
		assert_noop!(expire_as(ANYONE, id), Error::<Test>::NotExpired);
	});
}
