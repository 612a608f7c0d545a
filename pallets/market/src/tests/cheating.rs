//! Cheaters, each against the rule that stops it.

use super::*;
use crate::{Error, MaxGrantLen, Pricing};
use frame_support::{assert_noop, BoundedVec};

const SALT: [u8; 32] = [3; 32];

#[test]
fn a_requester_is_never_matched_to_its_own_job() {
	run(|| {
		// The requester registers as the cheapest provider, to vouch for its own results.
		assert_ok!(Registry::register(RuntimeOrigin::signed(REQUESTER), offer(1), BOND));
		provider(2, 500);
		let id = submit(wasm_job(1, 1));
		assert_eq!(assigned(id), vec![2]);
		// Alone in the market, it waits rather than serve itself.
		assert_ok!(Registry::deregister(RuntimeOrigin::signed(2)));
		let id = submit(wasm_job(1, 1));
		assert!(assigned(id).is_empty());
		assert!(matches!(phase(id), Phase::Queued { .. }));
	});
}

#[test]
fn withholding_a_reveal_costs_as_much_as_revealing_a_losing_result() {
	run(|| {
		let id = all_acknowledged(wasm_job(3, 2));
		// Provider 3 commits to a result it sees will lose, then stays silent.
		let reports = [(1, report(7, 10)), (2, report(7, 10)), (3, report(8, 10))];
		commit_then_reveal(id, SALT, &reports, &[1, 2]);
		run_to_block(1 + REVEAL_TIMEOUT + 1);
		assert_ok!(expire_as(ANYONE, id));
		let slashed = FraudSlash::get() * BOND;
		System::assert_has_event(Event::DeadlineMissed { job: id, provider: 3, slashed }.into());
		assert_eq!(bond(3), BOND - slashed);
		assert!(matches!(phase(id), Phase::Settled { result: Some(r), .. } if r == [7; 32]));
	});
}

/// A container job with `replicas` and `quorum`.
fn container_job(replicas: u8, quorum: u8) -> JobSpec<Test> {
	JobSpec {
		workload: Workload::Container {
			image_digest: [3; 32],
			command: frame_support::BoundedVec::truncate_from(b"nproc".to_vec()),
			input: Input::Inline(Default::default()),
			max_seconds: 60,
		},
		..wasm_job(replicas, quorum)
	}
}

/// A requester's container prints `nproc` or the clock, so honest replicas differ: the one in
/// the minority is not paid, and not slashed either; nor can such a job be disputed.
#[test]
fn a_container_replica_that_disagrees_is_never_slashed_nor_disputed() {
	run(|| {
		let id = all_acknowledged(container_job(3, 2));
		let seconds =
			|tag: u8| Report { result: [tag; 32], ok: true, usage: Usage { fuel: 0, seconds: 5 } };
		let reports = [(1, seconds(4)), (2, seconds(4)), (3, seconds(8))];
		commit_then_reveal(id, SALT, &reports, &[1, 2, 3]);
		assert!(matches!(phase(id), Phase::Settled { result: Some(r), .. } if r == [4; 32]));
		assert_eq!(bond(3), BOND);
		assert!(!System::events().iter().any(|record| matches!(
			record.event,
			RuntimeEvent::Market(Event::ResultRejected { .. })
		)));

		let id = submit(container_job(1, 1));
		let who = assigned(id)[0];
		assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(who), id, seconds(4)));
		frame_support::assert_noop!(
			Market::dispute(RuntimeOrigin::signed(REQUESTER), id),
			crate::Error::<Test>::NotDeterministic
		);
	});
}

/// More cheap providers than matching may consider, none of which can take the job (each
/// offers a sliver of CPU), sit ahead of the one that can in the price index.
#[test]
fn cheap_providers_that_cannot_take_a_job_do_not_hide_one_that_can() {
	run(|| {
		let scan: u32 =
			<<Test as crate::Config>::MaxScan as frame_support::traits::Get<u32>>::get();
		let sybils = 1_000..1_000 + u64::from(scan) + 4;
		for who in sybils.clone() {
			let _ = Balances::force_set_balance(RuntimeOrigin::root(), who, START);
			let mut sliver = offer(0);
			sliver.resources.cpu_millicores = 1;
			assert_ok!(Registry::register(RuntimeOrigin::signed(who), sliver, BOND));
		}
		provider(1, 500);
		let id = submit(wasm_job(1, 1));
		assert_eq!(assigned(id), vec![1]);
	});
}

/// A provider lies on a job worth more than a share of its bond: the slash is sized from the
/// job's value, and a provider left under the minimum bond is matched no more until it adds
/// to its bond and resumes.
#[test]
fn a_lie_costs_at_least_twice_the_jobs_value_and_an_underbonded_provider_is_not_matched() {
	run(|| {
		// A cap of 4,800 per replica: half the bond (5,000) is less than twice that.
		let mut spec = wasm_job(3, 2);
		spec.pricing = Pricing::PayPerUse { budget: 4_800 };
		let id = all_acknowledged(spec);
		let reports = [(1, report(7, 10)), (2, report(7, 10)), (3, report(8, 10))];
		commit_then_reveal(id, SALT, &reports, &[1, 2, 3]);
		System::assert_has_event(
			Event::ResultRejected { job: id, provider: 3, slashed: 9_600 }.into(),
		);
		assert_eq!(bond(3), BOND - 9_600);
		System::assert_has_event(
			pallet_offload_registry::Event::ProviderUnderbonded { provider: 3, bond: 400 }.into(),
		);
		// Paused: the next jobs go to the others.
		let id = submit(wasm_job(3, 2));
		assert!(!assigned(id).contains(&3));
		frame_support::assert_noop!(
			Registry::resume(RuntimeOrigin::signed(3)),
			pallet_offload_registry::Error::<Test>::BondTooLow
		);
		assert_ok!(Registry::add_bond(RuntimeOrigin::signed(3), 9_600));
		System::assert_has_event(
			pallet_offload_registry::Event::BondAdded { provider: 3, amount: 9_600, bond: BOND }
				.into(),
		);
		assert_ok!(Registry::resume(RuntimeOrigin::signed(3)));
		let quote = Market::quote(&wasm_job(3, 2)).expect("a valid spec");
		assert!(quote.providers.iter().any(|p| p.who == 3));
	});
}

/// One account submits jobs nobody can take, to fill the queue for transaction fees and make
/// every other requester's waiting job fail: it gets its share of the queue and no more.
#[test]
fn one_account_cannot_fill_the_queue() {
	run(|| {
		let mut unmatchable = wasm_job(1, 1);
		unmatchable.resources.cpu_millicores = 1_000_000;
		let first = submit(unmatchable.clone());
		submit(unmatchable.clone());
		frame_support::assert_noop!(
			Market::submit_job(RuntimeOrigin::signed(REQUESTER), unmatchable.clone()),
			crate::Error::<Test>::TooManyQueued
		);
		// Another requester's job still waits its turn.
		assert_ok!(Market::submit_job(RuntimeOrigin::signed(ANYONE), unmatchable.clone()));
		assert_eq!(crate::QueuedBy::<Test>::get(REQUESTER), 2);
		// A job that leaves the queue frees its place in the share.
		assert_ok!(Market::cancel(RuntimeOrigin::signed(REQUESTER), first));
		assert_eq!(crate::QueuedBy::<Test>::get(REQUESTER), 1);
		assert_ok!(Market::submit_job(RuntimeOrigin::signed(REQUESTER), unmatchable));
	});
}

/// A provider with a small bond takes on jobs worth far more, to cheat on all of them at once:
/// its open jobs may be worth at most its bond, so the bond always covers what it could gain.
#[test]
fn a_provider_takes_on_no_more_job_value_than_its_bond_backs() {
	run(|| {
		provider(1, 100);
		provider(2, 200);
		let mut big = wasm_job(1, 1);
		big.pricing = Pricing::PayPerUse { budget: 6_000 };
		let first = submit(big.clone());
		assert_eq!(assigned(first), vec![1]);
		// Provider 1 is cheaper, but 6,000 more would be 12,000 open against a 10,000 bond.
		let second = submit(big.clone());
		assert_eq!(assigned(second), vec![2]);
		let exposure =
			<Registry as crate::ProviderRegistry<u64, u64>>::in_use(&1).map(|(.., value)| value);
		assert_eq!(exposure, Some(6_000));
		// Once its job ends, its bond backs a new one.
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), first));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), first, report(7, 1_000)));
		assert_eq!(assigned(submit(big)), vec![1]);
	});
}

/// Two replicas of three deliver in time and agree; the third commits and never reveals, so
/// the job misses its quorum of three. The two that worked are paid; the one that withheld
/// pays for it.
#[test]
fn replicas_that_delivered_are_paid_when_anothers_silence_sinks_the_quorum() {
	run(|| {
		let id = all_acknowledged(wasm_job(3, 3));
		let before: Vec<u64> = (1..=3).map(free).collect();
		let reports = [(1, report(7, 400_000)), (2, report(7, 500_000)), (3, report(7, 1))];
		commit_then_reveal(id, SALT, &reports, &[1, 2]);
		run_to_block(1 + REVEAL_TIMEOUT + 1);
		assert_ok!(expire_as(ANYONE, id));
		// Each paid 10 + 100 × 0.4 for the least usage they reported.
		for who in 1..=2 {
			assert_eq!(free(who), before[who as usize - 1] + 50);
		}
		assert!(matches!(phase(id), Phase::Settled { paid: 100, .. }));
		assert!(bond(3) < BOND);
	});
}

/// A requester asks for one replica more than can be matched, to take the results of those
/// that are and then let the job expire unpaid: no replica may run before every replica has
/// a provider, and the wait costs the assigned providers nothing.
#[test]
fn no_replica_runs_before_every_replica_has_a_provider() {
	run(|| {
		provider(1, 100);
		provider(2, 100);
		let id = submit(wasm_job(3, 2));
		assert_eq!(assigned(id).len(), 2);
		assert!(matches!(phase(id), Phase::Queued { .. }));
		frame_support::assert_noop!(
			Market::ack(RuntimeOrigin::signed(1), id),
			crate::Error::<Test>::StillMatching
		);
		// Waiting is not missing the acknowledgement deadline.
		run_to_block(1 + ACK_TIMEOUT + 1);
		frame_support::assert_noop!(expire_as(ANYONE, id), crate::Error::<Test>::NotExpired);
		// A third provider comes; the job is complete, and acknowledgements open.
		provider(3, 100);
		run_to_block(System::block_number() + 1);
		assert!(matches!(phase(id), Phase::Active));
		let now = System::block_number();
		assert!(job(id)
			.assignments
			.iter()
			.all(|a| a.state == ReplicaState::Assigned { ack_by: now + ACK_TIMEOUT }));
		for who in 1..=3 {
			assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
		}
	});
}

/// Two colluders: one reveals whatever it likes, the other, whose bond cannot pay for
/// withholding, commits and stays silent to sink the quorum and get its partner paid. Nobody
/// is paid.
#[test]
fn a_withholder_whose_bond_cannot_pay_gets_its_partner_nothing() {
	run(|| {
		provider(1, 100);
		provider(2, 100);
		// Provider 3 bonds the minimum, under twice the job's value.
		assert_ok!(Registry::register(RuntimeOrigin::signed(3), offer(100), 1_000));
		let id = submit(wasm_job(3, 3));
		for who in 1..=3 {
			assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
		}
		let before = free(1);
		let reports = [(1, report(7, 900_000)), (2, report(7, 900_000)), (3, report(7, 1))];
		commit_then_reveal(id, SALT, &reports, &[1, 2]);
		run_to_block(1 + REVEAL_TIMEOUT + 1);
		assert_ok!(expire_as(ANYONE, id));
		assert_eq!(free(1), before);
		assert!(matches!(phase(id), Phase::Settled { paid: 0, .. }));
		assert_eq!(bond(3), 0);
	});
}

/// A provider registers two zero-price Sybils so that, were a dispute's re-executors the
/// cheapest providers, they would always hold the check's majority and clear its own
/// result. Re-executors are drawn at random among the eligible, from randomness that becomes
/// known only after the dispute is opened, and a replacement is drawn the same way.
#[test]
fn a_disputes_re_executors_are_drawn_at_random_not_the_cheapest_sybils() {
	let mut sybil_majorities = 0;
	let mut draws = std::collections::BTreeSet::new();
	for seed in 0..24 {
		run(|| {
			set_randomness(seed);
			let id = settled_job(false);
			// The Sybils, then three honest providers that cost more.
			provider(2, 0);
			provider(3, 0);
			for who in 4..=6 {
				provider(who, 200);
			}
			let check = crate::NextJobId::<Test>::get();
			assert_ok!(Market::dispute(RuntimeOrigin::signed(REQUESTER), id));
			// Randomness known in the block the dispute was opened draws nobody.
			<Market as frame_support::traits::Hooks<u64>>::on_idle(
				System::block_number(),
				frame_support::weights::Weight::MAX,
			);
			assert!(assigned(check).is_empty());
			run_to_block(System::block_number() + 1);
			let drawn = assigned_set(check);
			assert_eq!(drawn.len(), 3);
			assert!(!drawn.contains(&1), "the disputed provider never judges itself");
			if drawn.contains(&2) && drawn.contains(&3) {
				sybil_majorities += 1;
			}
			draws.insert(drawn.clone());

			// A re-executor that lets its acknowledgement lapse is replaced by a new draw in a
			// later block, not by whoever calls `expire` at a moment of its choosing.
			let lapsed = drawn[0];
			for who in &drawn[1..] {
				assert_ok!(Market::ack(RuntimeOrigin::signed(*who), check));
			}
			run_to_block(System::block_number() + ACK_TIMEOUT + 1);
			assert_ok!(expire_as(ANYONE, check));
			assert!(!assigned(check).contains(&lapsed));
			assert_eq!(assigned(check).len(), 2, "no replacement in the block of the expiry");
			run_to_block(System::block_number() + 1);
			assert_eq!(assigned(check).len(), 3);
		});
	}
	// Both Sybils are drawn with probability 3/10; the cheapest-first rule drew them always.
	assert!(sybil_majorities < 16, "the Sybils held {sybil_majorities} of 24 checks");
	assert!(draws.len() >= 5, "only {} different panels in 24 draws", draws.len());
}

/// A Sybil registers more zero-price accounts than one matching scan reads (six pages of four
/// in this mock), so that a draw among the eligible a scan finds, cheapest first, would be a
/// draw among its own accounts only. Re-executors are drawn among every indexed provider within
/// the job's price bound: the Sybil's chance per seat is its share of the providers, here a
/// half.
#[test]
fn a_sybil_that_fills_the_cheapest_pages_still_faces_a_draw_among_all_providers() {
	let (sybils, honest) = (100..124u64, 200..224u64);
	let mut honest_seats = 0;
	for seed in 0..16 {
		run(|| {
			set_randomness(seed);
			let id = settled_job(false);
			for who in sybils.clone().chain(honest.clone()) {
				assert_ok!(Balances::force_set_balance(RuntimeOrigin::root(), who, START));
				provider(who, if sybils.contains(&who) { 0 } else { 200 });
			}
			let check = crate::NextJobId::<Test>::get();
			assert_ok!(Market::dispute(RuntimeOrigin::signed(REQUESTER), id));
			run_to_block(System::block_number() + 1);
			let drawn = assigned_set(check);
			assert_eq!(drawn.len(), 3);
			honest_seats += drawn.iter().filter(|who| honest.contains(who)).count();
		});
	}
	// 24 of 48 seats expected; a draw among what a scan finds gave them none.
	assert!(honest_seats >= 12, "honest providers held {honest_seats} of 48 seats");
}

/// Provider 1 ran a single-replica job (`sealed`, or not), which settled; its id.
fn settled_job(sealed: bool) -> JobId {
	provider(1, 100);
	let mut spec = wasm_job(1, 1);
	spec.encrypted_input = sealed;
	let id = submit(spec);
	assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
	assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 1)));
	id
}

/// Provider 1 ran a sealed single-replica job, which settled; its id.
fn settled_sealed_job() -> JobId {
	settled_job(true)
}

/// A sealed job's re-executors are drawn like any dispute's, not taken best-ranked (which a
/// Sybil could arrange to be its own); they get twice the acknowledgement time, to wait for the
/// requester's grant of the input.
#[test]
fn a_sealed_jobs_re_executors_are_drawn_too_and_wait_for_the_grant() {
	let mut panels = std::collections::BTreeSet::new();
	for seed in 0..12 {
		run(|| {
			set_randomness(seed);
			let id = settled_sealed_job();
			for who in 2..=4 {
				provider(who, 200);
			}
			for who in 5..=6 {
				provider(who, 300);
			}
			let check = open_dispute(id);
			let panel = assigned_set(check);
			assert_eq!(panel.len(), 3);
			panels.insert(panel);
			let now = System::block_number();
			for assignment in job(check).assignments {
				assert_eq!(
					assignment.state,
					ReplicaState::Assigned { ack_by: now + 2 * ACK_TIMEOUT }
				);
			}
		});
	}
	assert!(panels.len() >= 3, "not drawn: {panels:?}");
}

/// Only the requester grants a sealed input, and only to a dispute's re-execution of a sealed
/// job before it settles; the grant goes with the check's record.
#[test]
fn a_grant_is_taken_only_from_the_requester_for_a_sealed_check() {
	run(|| {
		let id = settled_sealed_job();
		for who in 2..=4 {
			provider(who, 200);
		}
		let grant: BoundedVec<u8, MaxGrantLen> = vec![1, 2, 3].try_into().expect("small");
		// Not on the disputed job itself.
		assert_noop!(
			Market::grant_input(RuntimeOrigin::signed(REQUESTER), id, grant.clone()),
			Error::<Test>::NotASealedCheck
		);
		let check = open_dispute(id);
		assert_noop!(
			Market::grant_input(RuntimeOrigin::signed(1), check, grant.clone()),
			Error::<Test>::NotRequester
		);
		assert_noop!(
			Market::grant_input(RuntimeOrigin::signed(REQUESTER), 99, grant.clone()),
			Error::<Test>::UnknownJob
		);
		assert_ok!(Market::grant_input(RuntimeOrigin::signed(REQUESTER), check, grant.clone()));
		System::assert_last_event(Event::InputGranted { job: check }.into());
		assert_eq!(crate::Grants::<Test>::get(check), Some(grant.clone()));
		// The requester calls the re-execution off; its grant goes with it.
		assert_ok!(Market::cancel(RuntimeOrigin::signed(REQUESTER), check));
		assert!(crate::Jobs::<Test>::get(check).is_none());
		assert_eq!(crate::Grants::<Test>::get(check), None);
	});
	// A check of a job that is not sealed takes none.
	run(|| {
		provider(1, 100);
		let id = submit(wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 1)));
		for who in 2..=4 {
			provider(who, 200);
		}
		let check = open_dispute(id);
		assert_noop!(
			Market::grant_input(
				RuntimeOrigin::signed(REQUESTER),
				check,
				vec![1].try_into().expect("small")
			),
			Error::<Test>::NotASealedCheck
		);
	});
}
