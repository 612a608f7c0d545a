//! Jobs on a subscription: they run on its provider without matching or a price of their own,
//! within the capacity it reserved and the period they were submitted in; a provider that
//! misses one loses the period's pay, never its bond; a requester cannot take more than it
//! rented, nor make a provider's abstention cost it the period.

use super::*;
use crate::{Assignments, Error};
use frame_support::assert_noop;
use offload_primitives::{ProviderRegistry, Resources, RuntimeKind, SubscriptionId};
use pallet_offload_subscriptions::{
	Error as SubscriptionError, Event as SubscriptionEvent, NextSubscriptionId, Records,
};
use sp_runtime::Permill;

/// What the requester rents: half of a provider.
fn rented() -> Resources {
	Resources { cpu_millicores: 2_000, memory_mib: 2_048, storage_gib: 2, gpus: 0 }
}

/// A period's price at provider 1's 2 per second: 2 × `PERIOD` + 10 base; its fee is 10%.
const PRICE: u64 = 2 * PERIOD + 10;

/// Provider 1 registers, and the requester rents half of it for `periods` periods of `PERIOD`
/// blocks, from block 1 (the first period settles at `1 + PERIOD`).
fn subscribe(periods: u32) -> SubscriptionId {
	provider(1, 100);
	let id = NextSubscriptionId::<Test>::get();
	assert_ok!(Subscriptions::subscribe(
		RuntimeOrigin::signed(REQUESTER),
		RuntimeKind::Wasm,
		rented(),
		1_000,
		Permill::zero(),
		PERIOD,
		periods,
	));
	id
}

/// The requester submits `spec` on `subscription`; returns the job's id.
fn submit_on(subscription: SubscriptionId, spec: JobSpec<Test>) -> JobId {
	let id = crate::NextJobId::<Test>::get();
	assert_ok!(Market::submit_subscription_job(
		RuntimeOrigin::signed(REQUESTER),
		subscription,
		spec
	));
	id
}

/// The subscriptions' events so far.
fn subscription_events() -> Vec<SubscriptionEvent<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Subscriptions(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// Whether the period of `subscription` was paid (`Some(true)`), refunded with `missed` jobs
/// (`Some(false)`), or neither yet.
fn period_outcome(subscription: SubscriptionId) -> Vec<(bool, u32)> {
	subscription_events()
		.into_iter()
		.filter_map(|event| match event {
			SubscriptionEvent::PeriodPaid { subscription: id, .. } if id == subscription => {
				Some((true, 0))
			},
			SubscriptionEvent::PeriodRefunded { subscription: id, missed_jobs, .. }
				if id == subscription =>
			{
				Some((false, missed_jobs))
			},
			_ => None,
		})
		.collect()
}

/// The subscription's open jobs of the running period and what they take.
fn taken(subscription: SubscriptionId) -> (u32, Resources) {
	let record = Records::<Test>::get(subscription).expect("the subscription runs");
	(record.jobs, record.in_use)
}

#[test]
fn a_job_on_a_subscription_runs_on_its_provider_and_pays_nothing_of_its_own() {
	run(|| {
		let subscription = subscribe(1);
		// A cheaper provider arrives: a job on the subscription still goes to provider 1.
		provider(2, 1);
		let reserved = Registry::in_use(&1);
		let (requester_before, provider_before) = (free(REQUESTER), free(1));
		let id = submit_on(subscription, wasm_job(1, 1));
		assert!(happened(crate::Event::JobOnSubscription { job: id, subscription }));
		assert!(happened(crate::Event::JobAssigned {
			job: id,
			provider: 1,
			ack_by: 1 + ACK_TIMEOUT
		}));
		assert_eq!(assigned(id), vec![1]);
		assert!(Assignments::<Test>::contains_key(1, id));
		// Only the deposit is held; the provider's capacity is the subscription's.
		assert_eq!(held_for_jobs(REQUESTER), JOB_DEPOSIT);
		assert_eq!(free(REQUESTER), requester_before - JOB_DEPOSIT);
		assert_eq!(Registry::in_use(&1), reserved);
		assert_eq!(taken(subscription), (1, wasm_job(1, 1).resources));

		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(1, 500_000)));
		assert!(matches!(phase(id), Phase::Settled { result: Some(_), paid: 0, .. }));
		assert_eq!(free(1), provider_before);
		assert!(work_reported().is_empty(), "the job itself is no fee-paying work");
		assert_eq!(taken(subscription), (0, Resources::default()));
		assert_eq!(held_for_jobs(REQUESTER), JOB_DEPOSIT);

		// The period pays, and the provider's delivery kept it.
		run_with_subscriptions(1 + PERIOD, &[1]);
		assert_eq!(period_outcome(subscription), vec![(true, 0)]);
		assert_eq!(free(1), provider_before + PRICE);
		assert_ok!(Market::clear_job(RuntimeOrigin::signed(REQUESTER), id));
		assert_eq!(held_for_jobs(REQUESTER), 0);
	});
}

#[test]
fn a_provider_ignoring_a_job_loses_the_period_not_its_bond() {
	run(|| {
		let subscription = subscribe(2);
		let ignored = submit_on(subscription, wasm_job(1, 1));
		// It heartbeats all period long, and never acknowledges the job.
		run_with_subscriptions(1 + PERIOD, &[1]);
		assert_eq!(period_outcome(subscription), vec![(false, 1)]);
		assert_eq!(bond(1), BOND);
		// The next period starts clean: the ignored job takes nothing of it.
		assert_eq!(taken(subscription), (0, Resources::default()));
		let delivered = submit_on(subscription, wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), delivered));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), delivered, report(1, 10)));
		run_with_subscriptions(1 + 2 * PERIOD, &[1]);
		assert_eq!(period_outcome(subscription), vec![(false, 1), (true, 0)]);
		// The ignored job outlived its subscription; anyone ends it for its deposit, which
		// changes no period.
		assert!(Records::<Test>::get(subscription).is_none());
		let anyone = free(ANYONE);
		assert_ok!(expire_as(ANYONE, ignored));
		assert_eq!(free(ANYONE), anyone + JOB_DEPOSIT);
		assert!(Jobs::<Test>::get(ignored).is_none());
		assert_eq!(bond(1), BOND);
	});
}

#[test]
fn a_provider_that_acknowledges_and_never_delivers_fails_the_period_once_expired() {
	run(|| {
		let subscription = subscribe(1);
		let id = submit_on(subscription, wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		// Due at 1 + 10; expired the block after, long before the period ends.
		run_with_subscriptions(12, &[1]);
		assert_ok!(expire_as(ANYONE, id));
		assert!(happened(crate::Event::DeadlineMissed { job: id, provider: 1, slashed: 0 }));
		assert!(Jobs::<Test>::get(id).is_none(), "no other provider takes it");
		assert_eq!(Records::<Test>::get(subscription).map(|record| record.missed), Some(1));
		let requester = free(REQUESTER);
		run_with_subscriptions(1 + PERIOD, &[1]);
		assert_eq!(period_outcome(subscription), vec![(false, 1)]);
		assert_eq!(bond(1), BOND);
		// The period's price and fee, and the subscription's deposit, went back.
		assert_eq!(free(REQUESTER), requester + PRICE + PRICE / 10 + JOB_DEPOSIT);
	});
}

#[test]
fn a_declined_job_ends_where_it_is_and_does_not_cost_the_provider_the_period() {
	run(|| {
		let subscription = subscribe(1);
		provider(2, 1);
		let requester = free(REQUESTER);
		let id = submit_on(subscription, wasm_job(1, 1));
		assert_ok!(Market::decline(RuntimeOrigin::signed(1), id));
		assert!(happened(crate::Event::JobDeclined { job: id, provider: 1 }));
		assert!(Jobs::<Test>::get(id).is_none());
		assert!(!happened(crate::Event::JobAssigned {
			job: id,
			provider: 2,
			ack_by: 1 + ACK_TIMEOUT
		}));
		assert_eq!(free(REQUESTER), requester);
		assert_eq!(taken(subscription), (0, Resources::default()));
		run_with_subscriptions(1 + PERIOD, &[1]);
		assert_eq!(period_outcome(subscription), vec![(true, 0)]);
	});
}

#[test]
fn a_requester_cannot_run_more_than_it_rented_nor_on_anothers_subscription() {
	run(|| {
		let subscription = subscribe(1);
		let on = |who: u64, spec: JobSpec<Test>| {
			Market::submit_subscription_job(RuntimeOrigin::signed(who), subscription, spec)
		};
		let big = JobSpec {
			resources: Resources { cpu_millicores: 2_001, ..wasm_job(1, 1).resources },
			..wasm_job(1, 1)
		};
		assert_noop!(on(REQUESTER, big), SubscriptionError::<Test>::NoCapacity);
		let container = JobSpec {
			workload: Workload::Container {
				image_digest: [3; 32],
				command: Default::default(),
				input: Input::Inline(Default::default()),
				max_seconds: 10,
			},
			..wasm_job(1, 1)
		};
		assert_noop!(on(REQUESTER, container), SubscriptionError::<Test>::WrongKind);
		assert_noop!(on(ANYONE, wasm_job(1, 1)), SubscriptionError::<Test>::NotYours);
		assert_noop!(on(REQUESTER, wasm_job(3, 2)), Error::<Test>::BadReplicas);
		// Acknowledged at the last moment, it would be due past the period's end (1 + PERIOD).
		let long = JobSpec { run_blocks: PERIOD - ACK_TIMEOUT, ..wasm_job(1, 1) };
		assert_noop!(on(REQUESTER, long), SubscriptionError::<Test>::PeriodEnding);
		let fits = JobSpec { run_blocks: PERIOD - ACK_TIMEOUT - 1, ..wasm_job(1, 1) };
		assert_ok!(on(REQUESTER, fits));
		assert_noop!(
			Market::submit_subscription_job(RuntimeOrigin::signed(REQUESTER), 7, wasm_job(1, 1)),
			SubscriptionError::<Test>::UnknownSubscription
		);

		// Two jobs of a core each fill the two cores rented; a third waits for one to end.
		let second = submit_on(subscription, wasm_job(1, 1));
		assert_noop!(on(REQUESTER, wasm_job(1, 1)), SubscriptionError::<Test>::NoCapacity);
		assert_ok!(Market::cancel(RuntimeOrigin::signed(REQUESTER), second));
		let tiny = JobSpec {
			resources: Resources { cpu_millicores: 1, memory_mib: 1, storage_gib: 0, gpus: 0 },
			..wasm_job(1, 1)
		};
		// Jobs that ask for almost nothing are bounded in number (3 in this mock).
		submit_on(subscription, tiny.clone());
		submit_on(subscription, tiny.clone());
		assert_noop!(on(REQUESTER, tiny), SubscriptionError::<Test>::TooManyJobs);
		assert_eq!(taken(subscription).0, 3);
	});
}

#[test]
fn a_subscription_jobs_result_is_disputed_like_any_other_its_price_paying_the_re_execution() {
	run(|| {
		let subscription = subscribe(1);
		let id = submit_on(subscription, wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(1, 10)));
		for who in 3..=5 {
			provider(who, 100);
		}
		let check = open_dispute(id);
		assert_eq!(assigned_set(check), vec![3, 4, 5]);
		assert!(job(check).subscription.is_none(), "the re-execution is an ordinary job");
		assert_eq!(held_for_jobs(REQUESTER), JOB_DEPOSIT + full_hold(3));
		for who in 3..=5 {
			assert_ok!(Market::ack(RuntimeOrigin::signed(who), check));
		}
		let lie = report(9, 10);
		commit_then_reveal(check, [1; 32], &[(3, lie), (4, lie), (5, lie)], &[3, 4, 5]);
		assert!(happened(crate::Event::DisputeResolved {
			job: id,
			upheld: true,
			slashed: BOND / 2
		}));
		assert_eq!(bond(1), BOND / 2);
	});
}

#[test]
fn a_job_left_open_past_its_subscription_keeps_every_invariant_until_expired() {
	run(|| {
		let subscription = subscribe(1);
		let id = submit_on(subscription, wasm_job(1, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		run_with_subscriptions(2 + PERIOD, &[1]);
		assert!(Records::<Test>::get(subscription).is_none());
		Market::do_try_state().expect("a stale job on an ended subscription is consistent");
		// Its provider may now deregister; the job does not hold it.
		assert_ok!(expire_as(REQUESTER, id));
		assert_eq!(held_for_jobs(REQUESTER), 0);
	});
}

/// One step of a requester and its subscription's provider, in any order.
#[derive(Clone, Debug)]
enum Step {
	/// The requester submits a job asking for `cores` thousand millicores, to run in `run`
	/// blocks.
	Submit { cores: u32, run: u64 },
	/// The provider acknowledges the `nth` open job.
	Ack(usize),
	/// The provider delivers the `nth` open job.
	Deliver(usize),
	/// The provider declines the `nth` open job.
	Decline(usize),
	/// The requester cancels the `nth` open job.
	Cancel(usize),
	/// Anyone expires the `nth` open job.
	Expire(usize),
	/// The requester clears the `nth` job record.
	Clear(usize),
	/// `blocks` pass, the provider heartbeating all along.
	Wait(u64),
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
	use proptest::prelude::*;
	prop_oneof![
		(0u32..=3, 1u64..=PERIOD).prop_map(|(cores, run)| Step::Submit { cores, run }),
		(0usize..4).prop_map(Step::Ack),
		(0usize..4).prop_map(Step::Deliver),
		(0usize..4).prop_map(Step::Decline),
		(0usize..4).prop_map(Step::Cancel),
		(0usize..4).prop_map(Step::Expire),
		(0usize..4).prop_map(Step::Clear),
		(1u64..=PERIOD / 2).prop_map(Step::Wait),
	]
}

proptest::proptest! {
	#![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

	/// Whatever the requester submits and the provider does, in any order: a period is paid
	/// exactly when every job of it was delivered, declined or cancelled before it ended (the
	/// provider is live throughout); the provider's bond is never touched; each job record
	/// holds just its deposit; no money appears or vanishes; every invariant holds after every
	/// step.
	#[test]
	fn a_period_is_paid_exactly_when_its_jobs_were_served_and_money_adds_up(
		steps in proptest::collection::vec(step(), 1..40),
	) {
		run(|| {
			let subscription = subscribe(4);
			let issuance = Balances::total_issuance();
			// Jobs of each period (by its end) and whether each ended without a miss.
			let mut jobs: Vec<(JobId, u64, bool)> = Vec::new();
			let mut judged = 0usize;
			let open = |jobs: &Vec<(JobId, u64, bool)>, nth: usize| {
				let open: Vec<JobId> = jobs
					.iter()
					.filter(|(id, ..)| Jobs::<Test>::get(id).is_some_and(|job| !job.is_settled()))
					.map(|(id, ..)| *id)
					.collect();
				(!open.is_empty()).then(|| open[nth % open.len()])
			};
			let served = |jobs: &mut Vec<(JobId, u64, bool)>, id: JobId| {
				if let Some(entry) = jobs.iter_mut().find(|(job, ..)| *job == id) {
					entry.2 = true;
				}
			};
			for step in steps {
				let now = System::block_number();
				match step {
					Step::Submit { cores, run } => {
						let spec = JobSpec {
							resources: Resources {
								cpu_millicores: cores * 1_000,
								..wasm_job(1, 1).resources
							},
							run_blocks: run,
							..wasm_job(1, 1)
						};
						let id = crate::NextJobId::<Test>::get();
						let period_end = Records::<Test>::get(subscription).map(|r| r.period_end);
						if Market::submit_subscription_job(
							RuntimeOrigin::signed(REQUESTER),
							subscription,
							spec,
						)
						.is_ok()
						{
							jobs.push((id, period_end.expect("a running subscription"), false));
						}
					},
					Step::Ack(nth) => {
						if let Some(id) = open(&jobs, nth) {
							let _ = Market::ack(RuntimeOrigin::signed(1), id);
						}
					},
					Step::Deliver(nth) => {
						if let Some(id) = open(&jobs, nth) {
							let delivered =
								Market::submit_result(RuntimeOrigin::signed(1), id, report(1, 7));
							if delivered.is_ok() {
								served(&mut jobs, id);
							}
						}
					},
					Step::Decline(nth) => {
						if let Some(id) = open(&jobs, nth) {
							if Market::decline(RuntimeOrigin::signed(1), id).is_ok() {
								served(&mut jobs, id);
							}
						}
					},
					Step::Cancel(nth) => {
						if let Some(id) = open(&jobs, nth) {
							if Market::cancel(RuntimeOrigin::signed(REQUESTER), id).is_ok() {
								served(&mut jobs, id);
							}
						}
					},
					Step::Expire(nth) => {
						if let Some(id) = open(&jobs, nth) {
							let _ = expire_as(ANYONE, id);
						}
					},
					Step::Clear(nth) => {
						let settled: Vec<JobId> = jobs
							.iter()
							.filter(|(id, ..)| Jobs::<Test>::get(id).is_some_and(|job| job.is_settled()))
							.map(|(id, ..)| *id)
							.collect();
						if !settled.is_empty() {
							let id = settled[nth % settled.len()];
							assert_ok!(Market::clear_job(RuntimeOrigin::signed(REQUESTER), id));
						}
					},
					Step::Wait(blocks) => run_with_subscriptions(now + blocks, &[1]),
				}
				// Each period judged so far was paid exactly when all its jobs were served.
				let outcomes = period_outcome(subscription);
				let ends: Vec<u64> = subscription_events()
					.into_iter()
					.filter_map(|event| match event {
						SubscriptionEvent::PeriodStarted { ends, .. } => Some(ends),
						_ => None,
					})
					.collect();
				while judged < outcomes.len() {
					// The first period ends at 1 + PERIOD, each next one where it started.
					let end = if judged == 0 { 1 + PERIOD } else { ends[judged - 1] };
					let of_period: Vec<_> = jobs.iter().filter(|(_, e, _)| *e == end).collect();
					let all_served = of_period.iter().all(|(.., ok)| *ok);
					proptest::prop_assert_eq!(
						outcomes[judged].0,
						all_served,
						"period ending at {} with jobs {:?}",
						end,
						of_period
					);
					judged += 1;
				}
				proptest::prop_assert_eq!(bond(1), BOND);
				let records = Jobs::<Test>::iter().filter(|(_, job)| job.requester == REQUESTER).count();
				proptest::prop_assert_eq!(held_for_jobs(REQUESTER), JOB_DEPOSIT * records as u64);
				proptest::prop_assert_eq!(Balances::total_issuance(), issuance);
				Market::do_try_state().expect("market invariants hold");
				Subscriptions::do_try_state().expect("subscription invariants hold");
				Escrow::do_try_state().expect("escrow invariants hold");
				Registry::do_try_state().expect("registry invariants hold");
			}
			Ok(())
		})?;
	}
}
