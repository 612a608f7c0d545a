//! Deadlines: replacing no-shows, dropping replicas that do not deliver, expiring jobs.

use super::*;
use crate::{Assignments, Error, Queue};
use frame_support::assert_noop;
use offload_primitives::ReputationOf;

#[test]
fn a_provider_that_does_not_ack_is_replaced_by_the_next_candidate() {
	run(|| {
		provider(1, 100);
		provider(2, 200);
		let id = submit(wasm_job(1, 1));
		assert_eq!(assigned(id), vec![1]);
		assert_noop!(expire_as(ANYONE, id), Error::<Test>::NotExpired);
		// The last block to acknowledge in is not yet past the deadline.
		run_to_block(1 + ACK_TIMEOUT);
		assert_noop!(expire_as(ANYONE, id), Error::<Test>::NotExpired);
		run_to_block(1 + ACK_TIMEOUT + 1);
		assert_ok!(expire_as(ANYONE, id));
		assert!(happened(Event::DeadlineMissed { job: id, provider: 1, slashed: 0 }));
		assert!(happened(Event::JobAssigned { job: id, provider: 2, ack_by: 5 + ACK_TIMEOUT }));
		assert_eq!(assigned(id), vec![2]);
		assert_eq!(job(id).excluded.to_vec(), vec![1]);
		assert!(!Assignments::<Test>::contains_key(1, id));
		assert_eq!(bond(1), BOND);
		assert!(Reputation::score(&1) < sp_runtime::Permill::from_percent(50));
		// The replacement finishes the job.
		assert_ok!(Market::ack(RuntimeOrigin::signed(2), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(2), id, report(1, 1_000)));
		assert!(matches!(phase(id), Phase::Settled { result: Some(_), .. }));
	});
}

#[test]
fn a_no_show_with_nobody_to_replace_it_sends_the_job_back_to_the_queue() {
	run(|| {
		provider(1, 100);
		let id = submit(wasm_job(1, 1));
		run_to_block(5);
		assert_ok!(expire_as(ANYONE, id));
		assert_eq!(phase(id), Phase::Queued { until: 5 + 5 });
		assert_eq!(Queue::<Test>::get().to_vec(), vec![id]);
		// Provider 1 is excluded, so a new provider gets it from the queue.
		run_to_block(6);
		assert!(assigned(id).is_empty());
		provider(2, 100);
		run_to_block(7);
		assert_eq!(assigned(id), vec![2]);
		assert_eq!(phase(id), Phase::Active);
	});
}

#[test]
fn a_job_nobody_takes_expires_and_the_caller_gets_the_deposit() {
	run(|| {
		let before = free(REQUESTER);
		let id = submit(wasm_job(1, 1));
		run_to_block(6);
		assert_noop!(expire_as(ANYONE, id), Error::<Test>::NotExpired);
		run_to_block(7);
		let anyone_before = free(ANYONE);
		assert_ok!(expire_as(ANYONE, id));
		assert_eq!(free(ANYONE), anyone_before + JOB_DEPOSIT);
		assert_eq!(free(REQUESTER), before - JOB_DEPOSIT);
		assert_eq!(held_for_jobs(REQUESTER), 0);
		assert!(Jobs::<Test>::get(id).is_none());
		assert!(Queue::<Test>::get().is_empty());
		assert!(happened(Event::JobExpired {
			job: id,
			refunded: full_hold(1) - JOB_DEPOSIT,
			caller: ANYONE
		}));
		assert_noop!(expire_as(ANYONE, id), Error::<Test>::UnknownJob);
	});
}

#[test]
fn no_result_by_the_deadline_slashes_the_provider_and_refunds_the_requester() {
	run(|| {
		provider(1, 100);
		let before = free(REQUESTER);
		let id = submit(wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		run_to_block(1 + 10);
		assert_noop!(expire_as(REQUESTER, id), Error::<Test>::NotExpired);
		run_to_block(1 + 10 + 1);
		assert_ok!(expire_as(REQUESTER, id));
		let slashed = BOND / 10;
		assert!(happened(Event::DeadlineMissed { job: id, provider: 1, slashed }));
		assert_eq!(bond(1), BOND - slashed);
		// The requester expired it, so it gets the deposit too, and half the slash.
		assert_eq!(free(REQUESTER), before + slashed / 2);
		assert_eq!(free(TREASURY), 1 + slashed / 2);
		assert!(Jobs::<Test>::get(id).is_none());
		let provider = pallet_offload_registry::Providers::<Test>::get(1).expect("registered");
		assert_eq!(provider.running, 0);
	});
}

#[test]
fn a_replica_that_does_not_deliver_is_dropped_and_the_rest_still_make_the_quorum() {
	run(|| {
		for who in 1..=3 {
			provider(who, 100);
		}
		let id = submit(wasm_job(3, 2));
		for who in 1..=3 {
			assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
		}
		let salt = [1; 32];
		for who in [1, 3] {
			let commitment = Market::commitment(&report(7, 1_000), &salt, &who);
			assert_ok!(Market::commit_result(RuntimeOrigin::signed(who), id, commitment));
		}
		run_to_block(1 + 10 + 1);
		assert_ok!(expire_as(ANYONE, id));
		assert_eq!(job(id).dropped, 1);
		assert_eq!(assigned(id), vec![1, 3]);
		assert_eq!(phase(id), Phase::Revealing { reveal_by: 12 + REVEAL_TIMEOUT });
		for who in [1, 3] {
			assert_ok!(Market::reveal_result(
				RuntimeOrigin::signed(who),
				id,
				report(7, 1_000),
				salt
			));
		}
		assert!(
			matches!(phase(id), Phase::Settled { result: Some(result), .. } if result == [7; 32])
		);
	});
}

#[test]
fn when_too_few_replicas_deliver_for_a_quorum_the_job_expires() {
	run(|| {
		for who in 1..=3 {
			provider(who, 100);
		}
		let id = submit(wasm_job(3, 2));
		for who in 1..=3 {
			assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
		}
		let commitment = Market::commitment(&report(7, 1), &[0; 32], &1);
		assert_ok!(Market::commit_result(RuntimeOrigin::signed(1), id, commitment));
		run_to_block(1 + 10 + 1);
		assert_ok!(expire_as(ANYONE, id));
		assert!(Jobs::<Test>::get(id).is_none());
		assert_eq!((bond(1), bond(2), bond(3)), (BOND, BOND - BOND / 10, BOND - BOND / 10));
		assert_eq!(held_for_jobs(REQUESTER), 0);
	});
}
