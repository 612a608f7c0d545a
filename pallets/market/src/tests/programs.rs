//! Programs: upload with a deposit, free, remove once unused.

use super::*;
use crate::{Code, Error, HoldReason, Programs};
use frame_support::{assert_noop, BoundedVec};

fn program_hold(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::ProgramDeposit.into(), &who)
}

#[test]
fn upload_stores_code_by_hash_and_holds_a_deposit_per_byte() {
	run(|| {
		let deposit = 100 + CODE.len() as u64;
		assert_eq!(program_hold(REQUESTER), deposit);
		assert_eq!(Code::<Test>::get(code_hash()).map(|code| code.to_vec()), Some(CODE.to_vec()));
		let info = Programs::<Test>::get(code_hash()).expect("stored");
		assert_eq!(
			(info.owner, info.size, info.users, info.freed),
			(REQUESTER, CODE.len() as u32, 0, false)
		);
		assert!(happened(Event::ProgramUploaded {
			hash: code_hash(),
			owner: REQUESTER,
			size: CODE.len() as u32,
			deposit,
		}));
	});
}

#[test]
fn the_same_code_twice_empty_code_or_no_funds_is_refused() {
	run(|| {
		let code = || BoundedVec::truncate_from(CODE.to_vec());
		assert_noop!(
			Market::upload_program(RuntimeOrigin::signed(ANYONE), code()),
			Error::<Test>::ProgramExists
		);
		assert_noop!(
			Market::upload_program(RuntimeOrigin::signed(ANYONE), BoundedVec::new()),
			Error::<Test>::EmptyProgram
		);
		let broke = 77;
		assert!(Market::upload_program(
			RuntimeOrigin::signed(broke),
			BoundedVec::truncate_from(b"other".to_vec())
		)
		.is_err());
		assert!(Programs::<Test>::get(sp_io::hashing::blake2_256(b"other")).is_none());
	});
}

#[test]
fn freeing_an_unused_program_removes_it_and_releases_the_deposit() {
	run(|| {
		assert_noop!(
			Market::free_program(RuntimeOrigin::signed(ANYONE), code_hash()),
			Error::<Test>::NotProgramOwner
		);
		assert_noop!(
			Market::free_program(RuntimeOrigin::signed(REQUESTER), [0; 32]),
			Error::<Test>::UnknownProgram
		);
		assert_ok!(Market::free_program(RuntimeOrigin::signed(REQUESTER), code_hash()));
		assert!(Programs::<Test>::get(code_hash()).is_none());
		assert!(Code::<Test>::get(code_hash()).is_none());
		assert_eq!(program_hold(REQUESTER), 0);
		assert_eq!(free(REQUESTER), START);
		assert!(happened(Event::ProgramRemoved {
			hash: code_hash(),
			deposit: 100 + CODE.len() as u64
		}));
	});
}

#[test]
fn a_program_in_use_is_removed_by_anyone_once_its_jobs_end() {
	run(|| {
		provider(1, 100);
		let id = submit(wasm_job(1, 1));
		assert_noop!(
			Market::remove_program(RuntimeOrigin::signed(ANYONE), code_hash()),
			Error::<Test>::ProgramNotFreed
		);
		assert_ok!(Market::free_program(RuntimeOrigin::signed(REQUESTER), code_hash()));
		assert!(
			Programs::<Test>::get(code_hash()).is_some_and(|info| info.freed && info.users == 1)
		);
		assert_noop!(
			Market::remove_program(RuntimeOrigin::signed(ANYONE), code_hash()),
			Error::<Test>::ProgramInUse
		);
		// A freed program takes no new jobs.
		assert_noop!(
			Market::submit_job(RuntimeOrigin::signed(REQUESTER), wasm_job(1, 1)),
			Error::<Test>::ProgramFreed
		);
		assert_ok!(Market::cancel(RuntimeOrigin::signed(REQUESTER), id));
		assert_ok!(Market::remove_program(RuntimeOrigin::signed(ANYONE), code_hash()));
		assert_eq!(program_hold(REQUESTER), 0);
		assert_noop!(
			Market::remove_program(RuntimeOrigin::signed(ANYONE), code_hash()),
			Error::<Test>::UnknownProgram
		);
	});
}
