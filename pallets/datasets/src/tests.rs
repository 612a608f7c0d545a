//! The datasets' rules, played by their owners, requesters and the market's calls into them.

use crate::{mock::*, pallet::*, DatasetRoyalties, JobEscrow, MaxKeyGrantLen};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use proptest::prelude::*;

const PROGRAM: [u8; 32] = [7; 32];
const OTHER_PROGRAM: [u8; 32] = [8; 32];

fn register(owner: u64, royalty: u64, programs: &[[u8; 32]], sealed: bool) -> u64 {
	let id = NextDatasetId::<Test>::get();
	assert_ok!(Datasets::register(
		RuntimeOrigin::signed(owner),
		[id as u8; 32],
		1_000,
		at("https://data.example/set"),
		royalty,
		BoundedVec::truncate_from(programs.to_vec()),
		sealed,
	));
	id
}

fn deposit_of(owner: u64) -> u64 {
	Balances::balance_on_hold(&RuntimeHoldReason::Datasets(HoldReason::Deposit), &owner)
}

fn job_hold(who: u64) -> u64 {
	Balances::balance_on_hold(
		&RuntimeHoldReason::Escrow(pallet_offload_escrow::HoldReason::JobPayment),
		&who,
	)
}

/// Opens job `job` over `datasets` as the market does: the datasets' royalties first, then
/// the escrow holding a cap of 100 with its fee, the deposit and the royalties.
fn open(job: u64, datasets: &[u64]) -> Result<u64, sp_runtime::DispatchError> {
	frame_support::storage::with_transaction(|| {
		let result = (|| {
			let royalties = Datasets::start(job, datasets, &PROGRAM, false)?;
			Escrow::hold_for_job(job, &REQUESTER, 100, 1, JOB_DEPOSIT + royalties)?;
			Ok(royalties)
		})();
		match result {
			Ok(royalties) => sp_runtime::TransactionOutcome::Commit(Ok(royalties)),
			Err(error) => sp_runtime::TransactionOutcome::Rollback(Err(error)),
		}
	})
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Datasets(event) => Some(event),
			_ => None,
		})
		.collect()
}

#[test]
fn registering_holds_a_deposit_for_the_record_and_removing_gives_it_back() {
	new_test_ext().execute_with(|| {
		let id = register(OWNER, 5, &[PROGRAM, OTHER_PROGRAM], true);
		let expected = BASE + PER_BYTE * ("https://data.example/set".len() as u64 + 64);
		assert_eq!(deposit_of(OWNER), expected);
		let record = Records::<Test>::get(id).expect("the dataset exists");
		assert_eq!(
			(record.owner, record.royalty, record.sealed, record.deposit),
			(OWNER, 5, true, expected)
		);
		// Shorter: part of the deposit comes back.
		assert_ok!(Datasets::update(
			RuntimeOrigin::signed(OWNER),
			id,
			at("https://x.example"),
			9,
			BoundedVec::new()
		));
		assert_eq!(deposit_of(OWNER), BASE + PER_BYTE * "https://x.example".len() as u64);
		assert_ok!(Datasets::remove(RuntimeOrigin::signed(OWNER), id));
		assert_eq!(deposit_of(OWNER), 0);
		assert_eq!(Balances::free_balance(OWNER), START);
		assert!(Records::<Test>::get(id).is_none() && !OwnedBy::<Test>::contains_key(OWNER, id));
		assert_ok!(Datasets::do_try_state());
	});
}

#[test]
fn a_record_without_bytes_or_location_is_refused() {
	new_test_ext().execute_with(|| {
		for (size, location) in [(0, at("https://a")), (1, at(""))] {
			assert_noop!(
				Datasets::register(
					RuntimeOrigin::signed(OWNER),
					[1; 32],
					size,
					location,
					1,
					BoundedVec::new(),
					false
				),
				Error::<Test>::Empty
			);
		}
	});
}

#[test]
fn only_the_owner_changes_retires_removes_or_grants_and_not_while_jobs_use_it() {
	new_test_ext().execute_with(|| {
		let id = register(OWNER, 5, &[], true);
		let stranger = RuntimeOrigin::signed(OTHER);
		assert_noop!(
			Datasets::update(stranger.clone(), id, at("https://evil"), 0, BoundedVec::new()),
			Error::<Test>::NotOwner
		);
		assert_noop!(Datasets::retire(stranger.clone(), id), Error::<Test>::NotOwner);
		assert_noop!(Datasets::remove(stranger.clone(), id), Error::<Test>::NotOwner);
		assert_ok!(open(0, &[id]));
		assert_noop!(
			Datasets::grant_key(stranger, 0, id, BoundedVec::truncate_from(vec![1; 80])),
			Error::<Test>::NotOwner
		);
		// In use: the record and its deposit stay until the job ends.
		assert_noop!(Datasets::remove(RuntimeOrigin::signed(OWNER), id), Error::<Test>::InUse);
		assert_ok!(Datasets::end(0, false));
		assert_ok!(Datasets::remove(RuntimeOrigin::signed(OWNER), id));
	});
}

#[test]
fn a_job_is_refused_over_an_unknown_retired_repeated_or_disallowed_dataset_and_nothing_changes() {
	new_test_ext().execute_with(|| {
		let open_set = register(OWNER, 5, &[], false);
		let only_other = register(OWNER, 5, &[OTHER_PROGRAM], false);
		let retired = register(OTHER, 5, &[], false);
		assert_ok!(Datasets::retire(RuntimeOrigin::signed(OTHER), retired));
		for (datasets, error) in [
			(vec![open_set, 99], Error::<Test>::UnknownDataset),
			(vec![open_set, retired], Error::<Test>::Retired),
			(vec![open_set, open_set], Error::<Test>::Duplicate),
			(vec![open_set, only_other], Error::<Test>::ProgramNotAllowed),
			(vec![open_set; 5], Error::<Test>::TooManyDatasets),
		] {
			let error: sp_runtime::DispatchError = error.into();
			assert_eq!(open(0, &datasets), Err(error));
			assert_eq!(Datasets::quote(&datasets, &PROGRAM), Err(error));
		}
		assert!(Uses::<Test>::get(0).is_none());
		assert_eq!(Records::<Test>::get(open_set).expect("the dataset exists").users, 0);
		assert_eq!(job_hold(REQUESTER), 0);
		assert_ok!(Datasets::do_try_state());
	});
}

#[test]
fn a_job_with_a_result_pays_each_owner_the_royalty_of_its_submission_and_one_without_pays_none() {
	new_test_ext().execute_with(|| {
		let a = register(OWNER, 30, &[PROGRAM], false);
		let b = register(OTHER, 7, &[], false);
		assert_eq!(open(0, &[a, b]), Ok(37));
		assert_eq!(open(1, &[a]), Ok(30));
		assert_eq!(Datasets::held(0), 37);
		// The owner raises its royalty: the open jobs keep theirs.
		assert_ok!(Datasets::update(
			RuntimeOrigin::signed(OWNER),
			a,
			at("https://data.example/set"),
			1_000,
			BoundedVec::truncate_from(vec![PROGRAM])
		));
		let (owner, other) = (Balances::free_balance(OWNER), Balances::free_balance(OTHER));
		assert_eq!(Datasets::end(0, true), Ok(37));
		assert_eq!(Balances::free_balance(OWNER), owner + 30);
		assert_eq!(Balances::free_balance(OTHER), other + 7);
		assert!(events().contains(&Event::RoyaltyPaid {
			job: 0,
			dataset: b,
			owner: OTHER,
			amount: 7
		}));
		// Job 1 fails without a result: nothing paid, the royalty refunded with the rest.
		assert_eq!(Datasets::end(1, false), Ok(0));
		assert_eq!(Balances::free_balance(OWNER), owner + 30);
		Escrow::refund(1).expect("succeeds");
		Escrow::refund(0).expect("succeeds");
		assert_eq!(job_hold(REQUESTER), 0);
		assert_eq!(Balances::free_balance(REQUESTER), START - 37);
		assert_eq!(Records::<Test>::get(a).expect("the dataset exists").users, 0);
		assert!(Uses::<Test>::iter().next().is_none());
		assert_ok!(Datasets::do_try_state());
	});
}

#[test]
fn an_owner_retiring_its_dataset_or_changing_its_programs_cannot_stop_a_dispute() {
	new_test_ext().execute_with(|| {
		let a = register(OWNER, 30, &[PROGRAM], false);
		assert_eq!(open(0, &[a]), Ok(30));
		assert_ok!(Datasets::end(0, true));
		// After the job settled, the owner retires the dataset and allows another program.
		assert_ok!(Datasets::update(
			RuntimeOrigin::signed(OWNER),
			a,
			at("https://data.example/set"),
			30,
			BoundedVec::truncate_from(vec![OTHER_PROGRAM])
		));
		assert_ok!(Datasets::retire(RuntimeOrigin::signed(OWNER), a));
		// New jobs are refused; the dispute's re-execution of the settled job is not.
		assert_eq!(Datasets::start(1, &[a], &PROGRAM, false), Err(Error::<Test>::Retired.into()));
		assert_eq!(Datasets::start(2, &[a], &PROGRAM, true), Ok(0));
		assert_eq!(Records::<Test>::get(a).expect("the dataset exists").users, 1);
		assert_ok!(Datasets::do_try_state());
	});
}

#[test]
fn a_disputes_re_execution_uses_the_data_without_a_second_royalty() {
	new_test_ext().execute_with(|| {
		let a = register(OWNER, 30, &[], false);
		assert_eq!(Datasets::start(5, &[a], &PROGRAM, true), Ok(0));
		assert_eq!(Records::<Test>::get(a).expect("the dataset exists").users, 1);
		assert_eq!(Datasets::end(5, true), Ok(0));
		assert_eq!(Balances::free_balance(OWNER), START - deposit_of(OWNER));
	});
}

#[test]
fn keys_are_granted_only_for_sealed_datasets_of_open_jobs_using_them_and_go_with_the_job() {
	new_test_ext().execute_with(|| {
		let sealed = register(OWNER, 1, &[], true);
		let plain = register(OWNER, 1, &[], false);
		let unused = register(OWNER, 1, &[], true);
		let grant: BoundedVec<u8, MaxKeyGrantLen> = BoundedVec::truncate_from(vec![3; 149]);
		let owner = RuntimeOrigin::signed(OWNER);
		assert_noop!(
			Datasets::grant_key(owner.clone(), 0, sealed, grant.clone()),
			Error::<Test>::NotUsed
		);
		assert_ok!(open(0, &[sealed, plain]));
		assert_noop!(
			Datasets::grant_key(owner.clone(), 0, plain, grant.clone()),
			Error::<Test>::NotSealed
		);
		assert_noop!(
			Datasets::grant_key(owner.clone(), 0, unused, grant.clone()),
			Error::<Test>::NotUsed
		);
		assert_ok!(Datasets::grant_key(owner, 0, sealed, grant.clone()));
		assert_eq!(KeyGrants::<Test>::get(0, sealed), Some(grant));
		assert_ok!(Datasets::do_try_state());
		assert_ok!(Datasets::end(0, true));
		assert!(KeyGrants::<Test>::iter().next().is_none());
		assert_ok!(Datasets::do_try_state());
	});
}

#[test]
fn the_requester_pays_its_own_royalty_to_itself_at_no_gain() {
	new_test_ext().execute_with(|| {
		let own = register(REQUESTER, 40, &[], false);
		let before = Balances::free_balance(REQUESTER) + job_hold(REQUESTER);
		assert_eq!(open(0, &[own]), Ok(40));
		assert_eq!(Datasets::end(0, true), Ok(40));
		Escrow::refund(0).expect("succeeds");
		assert_eq!(Balances::free_balance(REQUESTER) + job_hold(REQUESTER), before);
	});
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

	/// Whatever the royalties and however jobs end, money is conserved: each owner gains
	/// exactly the royalties of the jobs over its data that ended with a result, the requester
	/// loses exactly those, and nothing stays held once the jobs are refunded.
	#[test]
	fn royalties_add_up_for_any_amounts_and_endings(
		royalties in proptest::collection::vec(0u64..50_000, 1..5),
		jobs in proptest::collection::vec((proptest::collection::vec(0usize..4, 0..5), any::<bool>()), 1..8),
	) {
		new_test_ext().execute_with(|| {
			let owners = [OWNER, OTHER, OWNER, OTHER];
			let ids: Vec<u64> = royalties
				.iter()
				.enumerate()
				.map(|(index, royalty)| register(owners[index], *royalty, &[], false))
				.collect();
			let total = |who: u64| Balances::total_balance(&who);
			let before: Vec<u64> = [OWNER, OTHER, REQUESTER].map(total).to_vec();
			let mut owed = [0u64; 2];
			for (job, (picks, with_result)) in jobs.iter().enumerate() {
				let named: Vec<u64> = picks.iter().filter_map(|pick| ids.get(*pick).copied()).collect();
				let Ok(held) = open(job as u64, &named) else {
					// Named twice: refused, and nothing changed.
					prop_assert!(Uses::<Test>::get(job as u64).is_none());
					continue;
				};
				prop_assert_eq!(held, named.iter().map(|id| royalties[*id as usize]).sum::<u64>());
				prop_assert_eq!(Datasets::held(job as u64), held);
				let paid = Datasets::end(job as u64, *with_result).expect("succeeds");
				prop_assert_eq!(paid, if *with_result { held } else { 0 });
				if *with_result {
					for id in &named {
						owed[(owners[*id as usize] == OTHER) as usize] += royalties[*id as usize];
					}
				}
				Escrow::refund(job as u64).expect("succeeds");
				prop_assert!(Datasets::do_try_state().is_ok());
			}
			prop_assert_eq!(job_hold(REQUESTER), 0);
			prop_assert_eq!(total(OWNER), before[0] + owed[0]);
			prop_assert_eq!(total(OTHER), before[1] + owed[1]);
			prop_assert_eq!(total(REQUESTER), before[2] - owed[0] - owed[1]);
			Ok(())
		})?;
	}
}
