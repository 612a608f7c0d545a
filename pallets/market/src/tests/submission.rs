//! Submission, validation, matching, the queue and cancelling.

use super::*;
use crate::{Assignments, Error, Queue};
use frame_support::assert_noop;
use offload_primitives::Resources;
use sp_runtime::Permill;

#[test]
fn a_job_holds_its_funds_and_goes_to_the_cheapest_provider_in_the_same_block() {
	run(|| {
		provider(1, 300);
		provider(2, 100);
		provider(3, 200);
		let before = free(REQUESTER);
		let id = submit(wasm_job(1, 1));
		assert_eq!(free(REQUESTER), before - full_hold(1));
		assert_eq!(held_for_jobs(REQUESTER), full_hold(1));
		assert_eq!(assigned(id), vec![2]);
		assert_eq!(phase(id), Phase::Active);
		assert!(Assignments::<Test>::contains_key(2, id));
		assert!(happened(Event::JobSubmitted { job: id, requester: REQUESTER, replicas: 1 }));
		assert!(happened(Event::JobAssigned { job: id, provider: 2, ack_by: 1 + ACK_TIMEOUT }));
		// The replica's resources are taken from the provider's free capacity.
		let free_cpu = pallet_offload_registry::Providers::<Test>::get(2)
			.map(|provider| provider.free.cpu_millicores);
		assert_eq!(free_cpu, Some(3_000));
		assert_eq!(Market::stats(0).open_jobs, 1);
	});
}

#[test]
fn three_replicas_go_to_three_different_providers() {
	run(|| {
		for who in 1..=4 {
			provider(who, 100 * who);
		}
		let id = submit(wasm_job(3, 2));
		assert_eq!(assigned(id), vec![1, 2, 3]);
		assert_eq!(held_for_jobs(REQUESTER), full_hold(3));
	});
}

#[test]
fn matching_skips_providers_that_do_not_fit() {
	run(|| {
		// Too expensive: 10 + 2,000 at the fuel limit, above the 1,000 budget.
		provider(1, 2_000);
		// Too small for 8 cores.
		provider(2, 100);
		// Container only.
		let mut container_only = offer(50);
		container_only.wasm = false;
		assert_ok!(Registry::register(RuntimeOrigin::signed(3), container_only, BOND));
		// Fits, and is verified by the admin.
		let mut big = offer(500);
		big.resources.cpu_millicores = 16_000;
		assert_ok!(Registry::register(RuntimeOrigin::signed(4), big, BOND));
		assert_ok!(Registry::set_verified(RuntimeOrigin::root(), 4, true));
		let mut spec = wasm_job(1, 1);
		spec.resources.cpu_millicores = 8_000;
		assert_eq!(assigned(submit(spec.clone())), vec![4]);
		// Verified-only: 2 is cheaper for a small job, but only 4 is verified.
		let mut verified = wasm_job(1, 1);
		verified.verified_only = true;
		assert_eq!(assigned(submit(verified)), vec![4]);
		// A newcomer scores 50%: nobody reaches 60%, so the job waits.
		let mut picky = wasm_job(1, 1);
		picky.min_reputation = Permill::from_percent(60);
		let id = submit(picky);
		assert!(assigned(id).is_empty());
		assert_eq!(phase(id), Phase::Queued { until: 1 + 5 });
	});
}

#[test]
fn a_sealed_input_goes_only_to_providers_that_publish_a_key() {
	run(|| {
		// 1 is the cheapest but publishes no key; 2 does.
		let mut keyless = offer(100);
		keyless.encryption_key = [0; 32];
		assert_ok!(Registry::register(RuntimeOrigin::signed(1), keyless, BOND));
		provider(2, 300);
		let mut sealed = wasm_job(1, 1);
		sealed.encrypted_input = true;
		assert_eq!(assigned(submit(sealed.clone())), vec![2]);
		// A plain job still goes to the cheapest.
		assert_eq!(assigned(submit(wasm_job(1, 1))), vec![1]);
		// With 2 full, the sealed job waits rather than go to 1.
		assert_ok!(Registry::pause(RuntimeOrigin::signed(2)));
		let id = submit(sealed);
		assert!(assigned(id).is_empty());
		assert_eq!(phase(id), Phase::Queued { until: 1 + 5 });
	});
}

#[test]
fn bad_specs_are_refused_with_named_errors_and_hold_nothing() {
	run(|| {
		provider(1, 100);
		let refused = |change: fn(&mut JobSpec<Test>), error: Error<Test>| {
			let mut spec = wasm_job(1, 1);
			change(&mut spec);
			assert_noop!(Market::submit_job(RuntimeOrigin::signed(REQUESTER), spec), error);
		};
		refused(|spec| spec.replicas = 0, Error::BadReplicas);
		refused(|spec| (spec.replicas, spec.quorum) = (6, 4), Error::BadReplicas);
		refused(|spec| (spec.replicas, spec.quorum) = (3, 1), Error::BadQuorum);
		refused(|spec| (spec.replicas, spec.quorum) = (3, 4), Error::BadQuorum);
		refused(|spec| (spec.replicas, spec.quorum) = (2, 1), Error::BadQuorum);
		refused(|spec| spec.run_blocks = 0, Error::ZeroLimit);
		refused(
			|spec| {
				if let Workload::Wasm { fuel_limit, .. } = &mut spec.workload {
					*fuel_limit = 0;
				}
			},
			Error::ZeroLimit,
		);
		refused(|spec| spec.run_blocks = 51, Error::RunTooLong);
		refused(|spec| spec.queue_blocks = 21, Error::QueueTooLong);
		refused(|spec| spec.pricing = Pricing::Fixed { price: 0 }, Error::ZeroPrice);
		refused(
			|spec| {
				if let Workload::Wasm { program, .. } = &mut spec.workload {
					*program = [9; 32];
				}
			},
			Error::UnknownProgram,
		);
		refused(
			|spec| {
				(spec.replicas, spec.quorum) = (3, 2);
				spec.pricing = Pricing::PayPerUse { budget: u64::MAX / 2 };
			},
			Error::Overflow,
		);
		// Not enough funds: nothing held, no job.
		let mut spec = wasm_job(1, 1);
		spec.pricing = Pricing::PayPerUse { budget: START };
		assert!(Market::submit_job(RuntimeOrigin::signed(REQUESTER), spec).is_err());
		assert_eq!(held_for_jobs(REQUESTER), 0);
		assert!(Jobs::<Test>::iter().next().is_none());
	});
}

#[test]
fn a_queued_job_is_matched_when_a_fitting_provider_appears() {
	run(|| {
		let id = submit(wasm_job(1, 1));
		assert_eq!(Queue::<Test>::get().to_vec(), vec![id]);
		assert!(happened(Event::JobQueued { job: id, until: 6 }));
		provider(1, 100);
		run_to_block(2);
		assert_eq!(assigned(id), vec![1]);
		assert_eq!(phase(id), Phase::Active);
		assert!(Queue::<Test>::get().is_empty());
	});
}

#[test]
fn a_job_that_may_not_wait_fails_when_nobody_fits_and_the_queue_is_bounded() {
	run(|| {
		let mut impatient = wasm_job(1, 1);
		impatient.queue_blocks = 0;
		assert_noop!(
			Market::submit_job(RuntimeOrigin::signed(REQUESTER), impatient),
			Error::<Test>::NoProviders
		);
		// MaxQueued is 3, two of them a requester's share at most.
		for who in [REQUESTER, REQUESTER, ANYONE] {
			assert_ok!(Market::submit_job(RuntimeOrigin::signed(who), wasm_job(1, 1)));
		}
		assert_noop!(
			Market::submit_job(RuntimeOrigin::signed(ANYONE), wasm_job(1, 1)),
			Error::<Test>::QueueFull
		);
	});
}

#[test]
fn cancel_before_any_ack_returns_everything() {
	run(|| {
		provider(1, 100);
		let before = free(REQUESTER);
		let id = submit(wasm_job(1, 1));
		assert_noop!(
			Market::cancel(RuntimeOrigin::signed(ANYONE), id),
			Error::<Test>::NotRequester
		);
		assert_noop!(
			Market::cancel(RuntimeOrigin::signed(REQUESTER), 99),
			Error::<Test>::UnknownJob
		);
		assert_ok!(Market::cancel(RuntimeOrigin::signed(REQUESTER), id));
		assert_eq!(free(REQUESTER), before);
		assert!(Jobs::<Test>::get(id).is_none());
		assert!(!Assignments::<Test>::contains_key(1, id));
		assert!(happened(Event::JobCancelled { job: id, refunded: full_hold(1) }));
		let queued = submit(wasm_job(3, 2));
		assert_ok!(Market::cancel(RuntimeOrigin::signed(REQUESTER), queued));
		assert!(Queue::<Test>::get().is_empty());
	});
}

#[test]
fn cancel_after_an_ack_is_refused() {
	run(|| {
		provider(1, 100);
		let id = submit(wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_noop!(
			Market::cancel(RuntimeOrigin::signed(REQUESTER), id),
			Error::<Test>::AlreadyRunning
		);
	});
}

#[test]
fn container_jobs_match_on_the_per_second_price() {
	run(|| {
		provider(1, 100);
		let spec = JobSpec {
			workload: Workload::Container {
				image_digest: [3; 32],
				command: frame_support::BoundedVec::truncate_from(b"sha256sum".to_vec()),
				input: Input::Url {
					url: frame_support::BoundedVec::truncate_from(b"https://data/x".to_vec()),
					hash: [4; 32],
				},
				max_seconds: 60,
			},
			resources: Resources { cpu_millicores: 500, memory_mib: 128, storage_gib: 0, gpus: 0 },
			..wasm_job(1, 1)
		};
		let id = submit(spec);
		assert_eq!(assigned(id), vec![1]);
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		let seconds = Report { result: [1; 32], ok: true, usage: Usage { fuel: 0, seconds: 30 } };
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, seconds));
		// 10 base + 2 per second × 30.
		assert!(matches!(phase(id), Phase::Settled { paid: 70, .. }));
	});
}

#[test]
fn a_command_line_round_trips_through_its_chain_form() {
	let args = ["sh", "-c", "echo a b"];
	assert_eq!(crate::command_line(&args), b"sh\0-c\0echo a b");
	assert_eq!(
		crate::command_args(&crate::command_line(&args)),
		Some(args.map(String::from).to_vec())
	);
	assert_eq!(crate::command_line::<&str>(&[]), b"");
	assert_eq!(crate::command_args(b""), Some(vec![]));
	assert_eq!(crate::command_args(b"\xff"), None);
}
