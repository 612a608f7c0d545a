//! Jobs over datasets: their royalties are checked and held at submission, paid to the owners
//! when the job ends with a result, and refunded with the rest when it ends without one.

use super::*;
use crate::Error;
use frame_support::{assert_noop, traits::fungible::Inspect, BoundedVec};
use pallet_offload_datasets::{Error as DatasetError, Event as DatasetEvent, Records};
use proptest::prelude::*;

/// A data owner.
const OWNER: u64 = 5;
/// Another.
const OTHER_OWNER: u64 = 6;

/// `owner` registers a dataset with `royalty`, allowing `programs` (empty: any); returns its id.
fn dataset(owner: u64, royalty: u64, programs: Vec<Hash32>) -> u64 {
	let id = pallet_offload_datasets::NextDatasetId::<Test>::get();
	assert_ok!(Datasets::register(
		RuntimeOrigin::signed(owner),
		[9; 32],
		100,
		BoundedVec::truncate_from(b"https://data.example/a".to_vec()),
		royalty,
		BoundedVec::truncate_from(programs),
		false,
	));
	id
}

/// `spec` with its input over `ids`, paying at most `max_royalties`.
fn over(mut spec: JobSpec<Test>, ids: &[u64], max_royalties: u64) -> JobSpec<Test> {
	let Workload::Wasm { input, .. } = &mut spec.workload else { unreachable!() };
	*input = Input::Datasets {
		params: BoundedVec::truncate_from(b"query".to_vec()),
		ids: BoundedVec::truncate_from(ids.to_vec()),
		max_royalties,
	};
	spec
}

fn royalty_paid(job: JobId, dataset: u64, owner: u64, amount: u64) -> bool {
	let event: RuntimeEvent = DatasetEvent::RoyaltyPaid { job, dataset, owner, amount }.into();
	System::events().iter().any(|record| record.event == event)
}

#[test]
fn a_job_with_a_result_pays_the_provider_and_each_owner_its_royalty() {
	run(|| {
		let a = dataset(OWNER, 30, vec![code_hash()]);
		let b = dataset(OTHER_OWNER, 7, vec![]);
		provider(1, 100);
		let (requester, owner, other) = (free(REQUESTER), free(OWNER), free(OTHER_OWNER));
		// The quote says what the royalties add and what submitting holds.
		let quote = Market::quote(&over(wasm_job(1, 1), &[a, b], 37)).expect("succeeds");
		assert_eq!((quote.royalties, quote.hold), (37, full_hold(1) + 37));
		assert_eq!(
			Market::quote(&over(wasm_job(1, 1), &[a, b], 36)),
			Err(Error::<Test>::RoyaltiesAboveBound.into())
		);
		let id = submit(over(wasm_job(1, 1), &[a, b], 37));
		assert_eq!(held_for_jobs(REQUESTER), full_hold(1) + 37);
		assert_eq!(Records::<Test>::get(a).expect("the dataset exists").users, 1);
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 500_000)));
		// The provider is paid 10 + 100 × 0.5 = 60 with a fee of 6; each owner its royalty.
		assert!(royalty_paid(id, a, OWNER, 30) && royalty_paid(id, b, OTHER_OWNER, 7));
		assert_eq!((free(OWNER), free(OTHER_OWNER)), (owner + 30, other + 7));
		assert_eq!(held_for_jobs(REQUESTER), JOB_DEPOSIT);
		assert_eq!(free(REQUESTER), requester - 60 - 6 - 37 - JOB_DEPOSIT);
		assert_eq!(Records::<Test>::get(a).expect("the dataset exists").users, 0);
	});
}

#[test]
fn a_job_without_a_result_pays_no_royalty() {
	run(|| {
		let a = dataset(OWNER, 30, vec![]);
		provider(1, 100);
		let (requester, owner) = (free(REQUESTER), free(OWNER));
		// Cancelled before anyone ran it.
		let cancelled = submit(over(wasm_job(1, 1), &[a], 30));
		assert_ok!(Market::cancel(RuntimeOrigin::signed(REQUESTER), cancelled));
		assert_eq!(free(REQUESTER), requester);
		// Acknowledged and never delivered: expired, the provider slashed, no royalty.
		let expired = submit(over(wasm_job(1, 1), &[a], 30));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), expired));
		run_to_block(System::block_number() + 12);
		assert_ok!(expire_as(REQUESTER, expired));
		assert!(!Jobs::<Test>::contains_key(expired));
		assert_eq!(free(OWNER), owner);
		assert_eq!(held_for_jobs(REQUESTER), 0);
		// The requester got everything back, and the slash's compensation on top.
		assert!(free(REQUESTER) >= requester);
		assert_eq!(Records::<Test>::get(a).expect("the dataset exists").users, 0);
	});
}

#[test]
fn a_job_is_refused_where_the_chain_can_tell_and_nothing_changes() {
	run(|| {
		let only_other = dataset(OWNER, 30, vec![[1; 32]]);
		let dear = dataset(OTHER_OWNER, 50, vec![]);
		provider(1, 100);
		let submit_err = |spec| Market::submit_job(RuntimeOrigin::signed(REQUESTER), spec);
		assert_noop!(
			submit_err(over(wasm_job(1, 1), &[only_other], 100)),
			DatasetError::<Test>::ProgramNotAllowed
		);
		assert_noop!(
			submit_err(over(wasm_job(1, 1), &[dear, dear], 100)),
			DatasetError::<Test>::Duplicate
		);
		assert_noop!(
			submit_err(over(wasm_job(1, 1), &[7], 100)),
			DatasetError::<Test>::UnknownDataset
		);
		// The owner raised its royalty past what the requester agreed to: refused.
		assert_noop!(
			submit_err(over(wasm_job(1, 1), &[dear], 49)),
			Error::<Test>::RoyaltiesAboveBound
		);
		assert_ok!(Datasets::retire(RuntimeOrigin::signed(OTHER_OWNER), dear));
		assert_noop!(submit_err(over(wasm_job(1, 1), &[dear], 50)), DatasetError::<Test>::Retired);
	});
}

#[test]
fn a_disputes_re_execution_uses_the_data_without_a_second_royalty() {
	run(|| {
		let a = dataset(OWNER, 30, vec![]);
		provider(1, 100);
		for who in 2..=4 {
			provider(who, 200);
		}
		let id = submit(over(wasm_job(1, 1), &[a], 30));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 500_000)));
		let owner = free(OWNER);
		let check = open_dispute(id);
		assert_eq!(held_for_jobs(REQUESTER), JOB_DEPOSIT + full_hold(3));
		assert_eq!(Records::<Test>::get(a).expect("the dataset exists").users, 1);
		for who in assigned(check) {
			assert_ok!(Market::ack(RuntimeOrigin::signed(who), check));
			let commitment = Market::commitment(&report(7, 400_000), &[3; 32], &who);
			assert_ok!(Market::commit_result(RuntimeOrigin::signed(who), check, commitment));
		}
		for who in assigned(check) {
			assert_ok!(Market::reveal_result(
				RuntimeOrigin::signed(who),
				check,
				report(7, 400_000),
				[3; 32]
			));
		}
		assert!(job(check).is_settled());
		assert_eq!(free(OWNER), owner);
	});
}

#[test]
fn a_call_that_may_end_a_job_is_charged_only_for_the_datasets_the_job_names() {
	run(|| {
		use frame_support::{dispatch::GetDispatchInfo, weights::Weight};
		let a = dataset(OWNER, 1, vec![]);
		let b = dataset(OTHER_OWNER, 1, vec![]);
		provider(1, 100);
		// The mock charges 1,000 per dataset ended; the declared weight assumes four.
		let declared = crate::Call::<Test>::submit_result { job: 0, report: report(7, 1) }
			.get_dispatch_info()
			.call_weight;
		assert_eq!(declared, Market::submit_result_weight());
		assert_eq!(Market::datasets_end_weight(), Weight::from_parts(4_000, 0));
		for (names, refunded) in [(vec![], 4_000), (vec![a, b], 2_000)] {
			let id = submit(over(wasm_job(1, 1), &names, 2));
			assert_ok!(Market::ack(RuntimeOrigin::signed(1), id));
			let post = Market::submit_result(RuntimeOrigin::signed(1), id, report(7, 1))
				.expect("succeeds");
			assert_eq!(post.actual_weight, Some(declared - Weight::from_parts(refunded, 0)));
		}
		// Submitting is charged for the datasets named, known from the call itself.
		let call = crate::Call::<Test>::submit_job { spec: over(wasm_job(1, 1), &[a, b], 2) };
		let plain = crate::Call::<Test>::submit_job { spec: wasm_job(1, 1) };
		assert_eq!(
			call.get_dispatch_info().call_weight,
			plain.get_dispatch_info().call_weight + Weight::from_parts(2_000, 0)
		);
	});
}

#[test]
fn a_job_on_a_subscription_pays_royalties_with_a_result_and_gets_them_back_without() {
	run(|| {
		use offload_primitives::{Resources, RuntimeKind};
		let a = dataset(OWNER, 30, vec![]);
		provider(1, 100);
		let subscription = pallet_offload_subscriptions::NextSubscriptionId::<Test>::get();
		assert_ok!(Subscriptions::subscribe(
			RuntimeOrigin::signed(REQUESTER),
			RuntimeKind::Wasm,
			Resources { cpu_millicores: 2_000, memory_mib: 2_048, storage_gib: 2, gpus: 0 },
			1_000,
			sp_runtime::Permill::zero(),
			PERIOD,
			1,
		));
		let held = held_for_jobs(REQUESTER);
		let owner = free(OWNER);
		let spec = || over(wasm_job(1, 1), &[a], 30);
		let paid = crate::NextJobId::<Test>::get();
		assert_ok!(Market::submit_subscription_job(
			RuntimeOrigin::signed(REQUESTER),
			subscription,
			spec()
		));
		assert_eq!(held_for_jobs(REQUESTER), held + JOB_DEPOSIT + 30);
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), paid));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), paid, report(7, 1)));
		assert_eq!(free(OWNER), owner + 30);
		assert_eq!(held_for_jobs(REQUESTER), held + JOB_DEPOSIT);
		// Declined: the job ends without a result, and its royalty comes back.
		let declined = crate::NextJobId::<Test>::get();
		assert_ok!(Market::submit_subscription_job(
			RuntimeOrigin::signed(REQUESTER),
			subscription,
			spec()
		));
		assert_ok!(Market::decline(RuntimeOrigin::signed(1), declined));
		assert_eq!(free(OWNER), owner + 30);
		assert_eq!(held_for_jobs(REQUESTER), held + JOB_DEPOSIT);
	});
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

	/// Whatever the royalties and however a job over datasets ends (a result, a failure
	/// reported as its result, cancelled, expired, no quorum), money is conserved: the owners
	/// gain exactly the royalties of the jobs that ended with a result, the requester pays
	/// exactly what the providers, the treasury and the owners got, and every invariant holds.
	#[test]
	fn royalties_add_up_however_a_job_ends(
		royalties in proptest::collection::vec(0u64..10_000, 1..4),
		endings in proptest::collection::vec(0u8..4, 1..5),
	) {
		run(|| {
			let owners = [OWNER, OTHER_OWNER, OWNER];
			let ids: Vec<u64> = royalties
				.iter()
				.enumerate()
				.map(|(index, royalty)| dataset(owners[index], *royalty, vec![]))
				.collect();
			for who in 1..=3 {
				provider(who, 100);
			}
			let sum: u64 = royalties.iter().sum();
			let everyone = [1, 2, 3, OWNER, OTHER_OWNER, REQUESTER, TREASURY, ANYONE];
			let total = || everyone.iter().map(Balances::total_balance).sum::<u64>();
			let before = total();
			let mut owed = 0;
			for ending in &endings {
				let (owner_a, owner_b) = (free(OWNER), free(OTHER_OWNER));
				let replicated = *ending == 3;
				let spec = if replicated { wasm_job(3, 2) } else { wasm_job(1, 1) };
				let id = submit(over(spec, &ids, sum));
				match ending {
					0 => {
						assert_ok!(Market::cancel(RuntimeOrigin::signed(REQUESTER), id));
					},
					1 => {
						for who in assigned(id) {
							assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
						}
						run_to_block(System::block_number() + 12);
						assert_ok!(expire_as(ANYONE, id));
					},
					2 => {
						let who = assigned(id)[0];
						assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
						let failed = Report { ok: false, ..report(4, 100) };
						assert_ok!(Market::submit_result(RuntimeOrigin::signed(who), id, failed));
						owed += sum;
					},
					_ => {
						// Three replicas, all different: no quorum, no result.
						for who in assigned(id) {
							assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
						}
						let reports: Vec<(u64, Report)> = assigned(id)
							.into_iter()
							.map(|who| (who, report(who as u8, 100)))
							.collect();
						let revealing: Vec<u64> = reports.iter().map(|(who, _)| *who).collect();
						commit_then_reveal(id, [1; 32], &reports, &revealing);
						prop_assert!(job(id).is_settled());
					},
				}
				if *ending == 2 {
					prop_assert_eq!(free(OWNER) + free(OTHER_OWNER), owner_a + owner_b + sum);
				} else {
					prop_assert_eq!((free(OWNER), free(OTHER_OWNER)), (owner_a, owner_b));
				}
				prop_assert!(Market::do_try_state().is_ok());
				prop_assert!(Datasets::do_try_state().is_ok());
				prop_assert!(Escrow::do_try_state().is_ok());
			}
			prop_assert_eq!(total(), before);
			let _ = owed;
			for id in &ids {
				prop_assert_eq!(Records::<Test>::get(id).expect("the dataset exists").users, 0);
			}
			Ok(())
		})?;
	}
}
