//! The market's unit tests, one file per concern. Every test ends with all four pallets'
//! invariants checked (see [`crate::mock::run`]).

mod cheating;
mod datasets;
mod deadlines;
mod declines;
mod disputes;
mod money;
mod programs;
mod queries;
mod replicated;
mod single;
mod submission;
mod subscribed;

use crate::{mock::*, types::*, Event, JobId, Jobs, Phase};
use frame_support::{assert_ok, traits::fungible::InspectHold};
use pallet_offload_escrow::HoldReason as EscrowHold;

/// Registers `who` as a provider at `fuel_price` per million fuel.
pub fn provider(who: u64, fuel_price: u64) {
	assert_ok!(Registry::register(RuntimeOrigin::signed(who), offer(fuel_price), BOND));
}

/// Submits `spec` as the requester; returns the job's id.
pub fn submit(spec: JobSpec<Test>) -> JobId {
	let id = crate::NextJobId::<Test>::get();
	assert_ok!(Market::submit_job(RuntimeOrigin::signed(REQUESTER), spec));
	id
}

/// The job's record.
/// `who` calls `expire` on job `id`; checks first that [`Job::expirable_at`] foretells whether
/// it acts (for a job that exists).
pub fn expire_as(who: u64, id: JobId) -> sp_runtime::DispatchResult {
	let foretold = Jobs::<Test>::get(id).map(|job| job.expirable_at(System::block_number()));
	let result =
		Market::expire(RuntimeOrigin::signed(who), id).map(|_| ()).map_err(|error| error.error);
	if let Some(foretold) = foretold {
		assert_eq!(
			foretold,
			result.is_ok(),
			"expirable_at foretold {foretold}, expire gave {result:?}"
		);
	}
	result
}

pub fn job(id: JobId) -> JobOf {
	Jobs::<Test>::get(id).expect("the job exists")
}

/// The job type of the mock.
pub type JobOf = crate::JobOf<Test>;

/// The providers assigned to the job, in order.
pub fn assigned(id: JobId) -> Vec<u64> {
	job(id).assignments.iter().map(|assignment| assignment.provider).collect()
}

/// The providers of job `id`'s replicas, in account order.
pub fn assigned_set(id: JobId) -> Vec<u64> {
	let mut providers = assigned(id);
	providers.sort();
	providers
}

/// The requester disputes job `id`; a block passes, in which the check's re-executors are
/// drawn (never in the block the dispute is opened). Returns the check's id.
pub fn open_dispute(id: JobId) -> JobId {
	let check = crate::NextJobId::<Test>::get();
	assert_ok!(Market::dispute(RuntimeOrigin::signed(REQUESTER), id));
	assert!(assigned(check).is_empty(), "re-executors are drawn a block later");
	run_to_block(System::block_number() + 1);
	check
}

/// The job's phase.
pub fn phase(id: JobId) -> Phase<u64, u64> {
	job(id).phase
}

/// A successful report with result `tag` and `fuel` burnt.
pub fn report(tag: u8, fuel: u64) -> Report {
	Report { result: [tag; 32], ok: true, usage: Usage { fuel, seconds: 0 } }
}

/// Free balance.
pub fn free(who: u64) -> u64 {
	Balances::free_balance(who)
}

/// What the escrow holds of `who` for jobs.
pub fn held_for_jobs(who: u64) -> u64 {
	Balances::balance_on_hold(&EscrowHold::JobPayment.into(), &who)
}

/// `who`'s bond.
pub fn bond(who: u64) -> u64 {
	Balances::balance_on_hold(&EscrowHold::ProviderBond.into(), &who)
}

/// Whether `event` was deposited.
pub fn happened(event: Event<Test>) -> bool {
	let event: RuntimeEvent = event.into();
	System::events().iter().any(|record| record.event == event)
}

/// What a job of `replicas` at budget 1,000 holds: payment cap, 10% fee, deposit.
pub fn full_hold(replicas: u64) -> u64 {
	1_100 * replicas + JOB_DEPOSIT
}

/// Registers providers `1..=spec.replicas` at fuel price 100, submits `spec`, and has every
/// replica acknowledged; returns the job's id.
pub fn all_acknowledged(spec: JobSpec<Test>) -> JobId {
	for who in 1..=u64::from(spec.replicas) {
		provider(who, 100);
	}
	let id = submit(spec);
	for who in assigned(id) {
		assert_ok!(Market::ack(RuntimeOrigin::signed(who), id));
	}
	id
}

/// Each `(provider, report)` commits with `salt`; then those listed in `revealing` reveal.
pub fn commit_then_reveal(id: JobId, salt: [u8; 32], reports: &[(u64, Report)], revealing: &[u64]) {
	for (who, report) in reports {
		let commitment = Market::commitment(report, &salt, who);
		assert_ok!(Market::commit_result(RuntimeOrigin::signed(*who), id, commitment));
	}
	for (who, report) in reports.iter().filter(|(who, _)| revealing.contains(who)) {
		assert_ok!(Market::reveal_result(RuntimeOrigin::signed(*who), id, *report, salt));
	}
}
