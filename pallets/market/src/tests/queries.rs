//! What the runtime API answers: quotes, a provider's assignments, totals.

use super::*;
use crate::Error;
use sp_runtime::Permill;

#[test]
fn a_quote_names_the_providers_and_the_price_without_changing_anything() {
	run(|| {
		provider(1, 300);
		provider(2, 100);
		provider(3, 200);
		let quote = Market::quote(&wasm_job(2, 2)).expect("a valid spec");
		let who: Vec<u64> = quote.providers.iter().map(|p| p.who).collect();
		assert_eq!(who, vec![2, 3]);
		// 10 base + fuel price × 1 (million fuel at the limit).
		assert_eq!(quote.providers[0].quote, 110);
		assert_eq!(quote.providers[0].reputation, Permill::from_percent(50));
		assert!(quote.matched_now);
		assert_eq!(quote.estimate, 110 + 210);
		assert_eq!(quote.max_payment, 2_000);
		assert_eq!(quote.hold, full_hold(2));
		// Nothing was submitted or reserved.
		assert!(Jobs::<Test>::iter().next().is_none());
		assert_eq!(crate::NextJobId::<Test>::get(), 0);

		let mut fixed = wasm_job(3, 2);
		fixed.pricing = Pricing::Fixed { price: 500 };
		let quote = Market::quote(&fixed).expect("a valid spec");
		// A fixed price pays each its quote: 110 + 210 + 310.
		assert_eq!((quote.estimate, quote.matched_now), (630, true));
		let quote = Market::quote(&wasm_job(5, 3)).expect("a valid spec");
		assert!(!quote.matched_now);
		assert_eq!(quote.providers.len(), 3);
	});
}

#[test]
fn a_quote_for_a_bad_spec_says_why() {
	run(|| {
		let mut bad = wasm_job(1, 1);
		bad.run_blocks = 0;
		assert_eq!(Market::quote(&bad).map(|_| ()), Err(Error::<Test>::ZeroLimit.into()));
		let mut unknown = wasm_job(1, 1);
		unknown.workload = Workload::Wasm {
			program: [8; 32],
			entry: Default::default(),
			input: Input::Inline(Default::default()),
			fuel_limit: 1,
			memory_limit_mib: 1,
		};
		assert_eq!(Market::quote(&unknown).map(|_| ()), Err(Error::<Test>::UnknownProgram.into()));
	});
}

#[test]
fn assignments_and_stats_follow_the_jobs() {
	run(|| {
		provider(1, 100);
		let first = submit(wasm_job(1, 1));
		let second = submit(wasm_job(1, 1));
		let queued = {
			let mut spec = wasm_job(1, 1);
			spec.verified_only = true;
			submit(spec)
		};
		let mut mine = Market::assignments_of(&1);
		mine.sort();
		assert_eq!(mine, vec![first, second]);
		let stats = Market::stats(1);
		assert_eq!((stats.providers, stats.open_jobs, stats.queued_jobs), (1, 3, 1));
		assert_ok!(Market::ack(RuntimeOrigin::signed(1), first));
		assert_ok!(Market::submit_result(RuntimeOrigin::signed(1), first, report(1, 1_000_000)));
		assert_ok!(Market::cancel(RuntimeOrigin::signed(REQUESTER), queued));
		assert_eq!(Market::assignments_of(&1), vec![second]);
		let stats = Market::stats(1);
		assert_eq!(
			(stats.open_jobs, stats.queued_jobs, stats.settled_jobs, stats.refunded_jobs),
			(1, 0, 1, 1)
		);
		assert_eq!(stats.total_paid, 110);
	});
}

#[test]
fn migration_to_v2_drops_the_submitted_count_and_keeps_the_rest() {
	use crate::{
		migrations::v2::{MigrateV1ToV2, StatsV1},
		types::Stats,
		Totals,
	};
	use frame_support::{
		storage::unhashed,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};
	run(|| {
		let old = StatsV1 { submitted: 9, settled: 4, refunded: 2, total_paid: 300u64 };
		unhashed::put(&Totals::<Test>::hashed_key(), &old);
		StorageVersion::new(1).put::<Market>();

		MigrateV1ToV2::<Test>::on_runtime_upgrade();

		assert_eq!(Totals::<Test>::get(), Stats { settled: 4, refunded: 2, total_paid: 300 });
		assert_eq!(Market::on_chain_storage_version(), StorageVersion::new(2));
		// A second run finds version 2 and leaves the totals alone.
		Totals::<Test>::put(Stats { settled: 5, refunded: 2, total_paid: 300 });
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Totals::<Test>::get().settled, 5);
	});
}

#[test]
fn migration_to_v3_gives_every_job_no_subscription_and_keeps_the_rest() {
	use crate::migrations::v3::{JobV2, MigrateV2ToV3};
	use codec::Encode;
	use frame_support::{
		storage::unhashed,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};
	run(|| {
		provider(1, 100);
		let id = submit(wasm_job(1, 1));
		let job = super::job(id);
		let old = JobV2::<Test> {
			requester: job.requester,
			spec: job.spec.clone(),
			phase: job.phase,
			submitted_at: job.submitted_at,
			assignments: job.assignments.clone(),
			dropped: job.dropped,
			excluded: job.excluded.clone(),
			dispute: job.dispute,
			checks: job.checks,
		};
		unhashed::put_raw(&Jobs::<Test>::hashed_key_for(id), &old.encode());
		assert!(Jobs::<Test>::try_get(id).is_err(), "a version 2 job does not decode as 3");
		StorageVersion::new(2).put::<Market>();

		MigrateV2ToV3::<Test>::on_runtime_upgrade();

		assert_eq!(super::job(id), job);
		assert_eq!(Market::on_chain_storage_version(), StorageVersion::new(3));
	});
}
