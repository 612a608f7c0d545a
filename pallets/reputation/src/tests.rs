//! The reputation pallet: outcomes move scores, events tell, old records can be pruned.

use crate::{mock::*, Error, Event, Outcome, Records, ReputationOf, ReputationRecords};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::{DispatchError, Permill};

const PROVIDER: u64 = 7;
const ANYONE: u64 = 9;

#[test]
fn a_provider_without_history_has_the_neutral_score() {
	new_test_ext().execute_with(|| {
		assert_eq!(<Reputation as ReputationOf<u64>>::score(&PROVIDER), Permill::from_percent(50));
		assert!(Records::<Test>::get(PROVIDER).is_none());
	});
}

#[test]
fn a_success_raises_the_score_and_emits_an_event() {
	new_test_ext().execute_with(|| {
		<Reputation as ReputationOf<u64>>::record(&PROVIDER, Outcome::Success, 1_000);
		let score = Reputation::score_of(&PROVIDER);
		assert!(score > Permill::from_percent(50));
		System::assert_last_event(
			Event::ReputationUpdated { provider: PROVIDER, outcome: Outcome::Success, score }
				.into(),
		);
		let record = Records::<Test>::get(PROVIDER).expect("recorded");
		assert_eq!(record.jobs, 1);
		assert_eq!(record.updated, 1);
	});
}

#[test]
fn fraud_sinks_the_score_below_a_failure() {
	new_test_ext().execute_with(|| {
		<Reputation as ReputationOf<u64>>::record(&PROVIDER, Outcome::Failure, 1_000);
		<Reputation as ReputationOf<u64>>::record(&ANYONE, Outcome::Fraud, 1_000);
		let failed = Reputation::score_of(&PROVIDER);
		let cheated = Reputation::score_of(&ANYONE);
		assert!(failed < Permill::from_percent(50));
		assert!(cheated < failed);
	});
}

#[test]
fn evidence_decays_with_time() {
	new_test_ext().execute_with(|| {
		<Reputation as ReputationOf<u64>>::record(&PROVIDER, Outcome::Fraud, 1_000);
		let right_after = Reputation::score_of(&PROVIDER);
		run_to_block(1 + 3 * HALF_LIFE);
		let later = Reputation::score_of(&PROVIDER);
		assert!(later > right_after);
		assert!(later < Permill::from_percent(50));
	});
}

#[test]
fn prune_removes_a_record_with_no_evidence_left() {
	new_test_ext().execute_with(|| {
		<Reputation as ReputationOf<u64>>::record(&PROVIDER, Outcome::Success, 1_000);
		run_to_block(1 + 64 * HALF_LIFE);
		assert_ok!(Reputation::prune(RuntimeOrigin::signed(ANYONE), PROVIDER));
		assert!(Records::<Test>::get(PROVIDER).is_none());
		System::assert_last_event(Event::RecordPruned { provider: PROVIDER }.into());
		assert_eq!(Reputation::score_of(&PROVIDER), Permill::from_percent(50));
	});
}

#[test]
fn prune_refuses_a_record_that_still_counts() {
	new_test_ext().execute_with(|| {
		<Reputation as ReputationOf<u64>>::record(&PROVIDER, Outcome::Success, 1_000);
		run_to_block(1 + HALF_LIFE);
		assert_noop!(
			Reputation::prune(RuntimeOrigin::signed(ANYONE), PROVIDER),
			Error::<Test>::StillRelevant
		);
		assert!(Records::<Test>::get(PROVIDER).is_some());
	});
}

#[test]
fn prune_of_an_unknown_provider_fails_and_needs_a_signature() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Reputation::prune(RuntimeOrigin::signed(ANYONE), PROVIDER),
			Error::<Test>::NoRecord
		);
		assert_noop!(Reputation::prune(RuntimeOrigin::root(), PROVIDER), DispatchError::BadOrigin);
	});
}

#[test]
fn every_change_reaches_on_change_and_copies_score_like_the_record() {
	new_test_ext().execute_with(|| {
		assert_eq!(copy_of(PROVIDER), None);
		<Reputation as ReputationOf<u64>>::record(&PROVIDER, Outcome::Success, 1_000);
		<Reputation as ReputationOf<u64>>::record(&PROVIDER, Outcome::Failure, 10);
		let copy = copy_of(PROVIDER).expect("told of the change");
		assert_eq!(copy, Reputation::record_of(&PROVIDER));
		assert_eq!(copy.jobs, 2);
		// The copy scores as the pallet does, now and after decay.
		for now in [1, 1 + HALF_LIFE / 3, 1 + 5 * HALF_LIFE] {
			run_to_block(now);
			assert_eq!(Reputation::score_at(&copy, now), Reputation::score_of(&PROVIDER));
		}
		run_to_block(1 + 64 * HALF_LIFE);
		assert_ok!(Reputation::prune(RuntimeOrigin::signed(ANYONE), PROVIDER));
		assert_eq!(copy_of(PROVIDER), Some(Default::default()));
		assert_eq!(Reputation::record_of(&PROVIDER), Default::default());
	});
}

#[test]
fn a_job_weighs_by_its_payment_in_size_units() {
	new_test_ext().execute_with(|| {
		let record = |who: u64, payment: u128| {
			<Reputation as ReputationOf<u64>>::record(&who, Outcome::Success, payment);
			Reputation::score_of(&who)
		};
		// Below one unit every job weighs the least, 1 unit: (1 + 8) / (1 + 16).
		assert_eq!(record(1, 0), Permill::from_rational(9u32, 17));
		assert_eq!(record(2, SIZE_UNIT - 1), Permill::from_rational(9u32, 17));
		// Ten units weigh 4: (4 + 8) / (4 + 16).
		assert_eq!(record(3, 10 * SIZE_UNIT), Permill::from_percent(60));
		// A hundred times more weighs 10, not a hundred times more: (10 + 8) / (10 + 16).
		assert_eq!(record(4, 1_000 * SIZE_UNIT), Permill::from_rational(18u32, 26));
	});
}
