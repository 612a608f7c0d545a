//! Declines (abstentions): a provider that cannot run its replica here gives it back, before
//! acknowledging it or after, until it delivers.

use super::*;
use crate::{Assignments, Dispute, Error, Queue};
use frame_support::assert_noop;
use offload_primitives::ReputationOf;

fn decline(who: u64, id: JobId) -> sp_runtime::DispatchResult {
	Market::decline(RuntimeOrigin::signed(who), id).map(|_| ()).map_err(|error| error.error)
}

#[test]
fn a_declined_replica_goes_to_the_next_candidate_and_costs_the_decliner_nothing() {
	run(|| {
		provider(1, 100);
		provider(2, 200);
		let id = submit(wasm_job(1, 1));
		assert_eq!(assigned(id), vec![1]);
		let score = Reputation::score(&1);
		let history = pallet_offload_reputation::Records::<Test>::get(1);
		run_to_block(3);
		assert_ok!(decline(1, id));
		assert!(happened(Event::JobDeclined { job: id, provider: 1 }));
		assert!(happened(Event::JobAssigned { job: id, provider: 2, ack_by: 3 + ACK_TIMEOUT }));
		assert_eq!(assigned(id), vec![2]);
		assert_eq!(job(id).excluded.to_vec(), vec![1]);
		assert!(!Assignments::<Test>::contains_key(1, id));
		// Nothing slashed or recorded, and its capacity is whole again.
		assert_eq!(bond(1), BOND);
		assert_eq!(Reputation::score(&1), score);
		assert_eq!(pallet_offload_reputation::Records::<Test>::get(1), history);
		let record = pallet_offload_registry::Providers::<Test>::get(1).expect("registered");
		assert_eq!(record.free, record.offer.resources);
		// The replacement settles the job.
		assert_ok!(Market::ack(RuntimeOrigin::signed(2), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(2), id, report(1, 1_000)));
		assert!(matches!(phase(id), Phase::Settled { result: Some(_), .. }));
	});
}

#[test]
fn a_declined_replica_nobody_else_takes_waits_in_the_queue_then_expires_refunded() {
	run(|| {
		provider(1, 100);
		let id = submit(wasm_job(1, 1));
		assert_ok!(decline(1, id));
		assert_eq!(phase(id), Phase::Queued { until: 1 + 5 });
		assert_eq!(Queue::<Test>::get().to_vec(), vec![id]);
		assert!(assigned(id).is_empty());
		// The decliner is not matched to it again from the queue.
		run_to_block(3);
		assert!(assigned(id).is_empty());
		run_to_block(7);
		let before = free(REQUESTER);
		assert_ok!(expire_as(REQUESTER, id));
		assert_eq!(free(REQUESTER), before + full_hold(1));
		assert_eq!(bond(1), BOND);
	});
}

#[test]
fn a_declined_replica_of_a_job_that_may_not_wait_ends_it_and_refunds_everything() {
	run(|| {
		provider(1, 100);
		let before = free(REQUESTER);
		let mut spec = wasm_job(1, 1);
		spec.queue_blocks = 0;
		let id = submit(spec);
		assert_ok!(decline(1, id));
		assert!(Jobs::<Test>::get(id).is_none());
		// The requester gets the deposit too: a decline is nobody's fault.
		assert_eq!(free(REQUESTER), before);
		assert_eq!(held_for_jobs(REQUESTER), 0);
		assert!(happened(Event::JobExpired {
			job: id,
			refunded: full_hold(1) - JOB_DEPOSIT,
			caller: REQUESTER
		}));
	});
}

#[test]
fn one_replica_of_a_replicated_job_declines_and_the_others_keep_theirs() {
	run(|| {
		for who in 1..=4 {
			provider(who, 100 * who);
		}
		let id = submit(wasm_job(3, 2));
		assert_eq!(assigned(id), vec![1, 2, 3]);
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(decline(2, id));
		assert_eq!(assigned(id), vec![1, 3, 4]);
		assert_eq!(phase(id), Phase::Active);
	});
}

#[test]
fn only_an_assigned_provider_declines_and_only_before_delivering_and_in_time() {
	run(|| {
		provider(1, 100);
		provider(2, 200);
		provider(3, 300);
		let id = submit(wasm_job(1, 1));
		assert_noop!(decline(1, id + 1), Error::<Test>::UnknownJob);
		assert_noop!(decline(2, id), Error::<Test>::NotAssigned);
		run_to_block(1 + ACK_TIMEOUT + 1);
		assert_noop!(decline(1, id), Error::<Test>::DeadlinePassed);
		// Past its run deadline, a running replica can no longer give the job back.
		let id = submit(wasm_job(1, 1));
		let who = assigned(id)[0];
		assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
		run_to_block(System::block_number() + 11);
		assert_noop!(decline(who, id), Error::<Test>::DeadlinePassed);
		// Once delivered, it cannot either: a result is judged.
		let id = submit(wasm_job(2, 2));
		for who in assigned(id) {
			assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
		}
		let who = assigned(id)[0];
		let commitment = Market::commitment(&report(1, 1), &[0; 32], &who);
		assert_ok!(Market::commit_result(RuntimeOrigin::signed(who), id, commitment));
		assert_noop!(decline(who, id), Error::<Test>::WrongState);
	});
}

/// A run that timed out on the provider's machine, or an input the requester's server refused
/// to that provider alone, is an abstention: given back after acknowledging, never reported as
/// a result, so it can never be outvoted and slashed.
#[test]
fn a_provider_that_cannot_finish_a_run_gives_it_back_unpaid_and_unslashed() {
	run(|| {
		provider(1, 100);
		provider(2, 200);
		let id = submit(wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		run_to_block(5);
		let score = Reputation::score(&1);
		let before = free(1);
		assert_ok!(decline(1, id));
		System::assert_has_event(Event::JobDeclined { job: id, provider: 1 }.into());
		System::assert_has_event(
			Event::JobAssigned { job: id, provider: 2, ack_by: 5 + ACK_TIMEOUT }.into(),
		);
		assert_eq!((bond(1), free(1), Reputation::score(&1)), (BOND, before, score));
		assert_ok!(Market::ack(RuntimeOrigin::signed(2), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(2), id, report(1, 1_000)));
		assert!(matches!(phase(id), Phase::Settled { result: Some(_), .. }));
	});
}

/// The re-executors of a dispute cannot open the disputed job's input (it is sealed to the
/// provider that ran it): they decline rather than agree on that failure, so the dispute ends
/// without a verdict and the honest provider keeps its bond.
#[test]
fn re_executors_that_cannot_get_the_input_decline_and_the_provider_is_not_slashed() {
	run(|| {
		provider(1, 100);
		for who in 2..=4 {
			provider(who, 200);
		}
		let id = submit(wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 500_000)));
		let check = open_dispute(id);
		assert_eq!(assigned_set(check), vec![2, 3, 4]);
		for who in 2..=4 {
			assert_ok!(decline(who, check));
		}
		assert!(assigned(check).is_empty());
		assert_eq!(phase(check), Phase::Queued { until: 2 + 5 });
		run_to_block(8);
		assert_ok!(expire_as(ANYONE, check));
		assert_eq!(job(id).dispute, Some(Dispute::Rejected(check)));
		assert_eq!(bond(1), BOND);
		for who in 2..=4 {
			assert_eq!(bond(who), BOND);
		}
	});
}
