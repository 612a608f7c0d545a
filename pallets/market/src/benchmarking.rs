//! Benchmarks of the market pallet (v2 syntax), each in its worst case: matching reads every
//! index page a scan may, passing over unverified providers (an identity read each) for a job
//! that asks for verified ones, until it has `MaxScan` eligible ones, and assigns
//! `MaxReplicas`; settlement pays, slashes and releases every replica.
//!
//! Each measured call's signer is whitelisted (`whitelist_account!`): paying the transaction
//! fee has read and written its account before the call runs, so the call's own access to it
//! costs no database weight. Reports carry a fee, so a payment writes the treasury's account.

use super::*;
use crate::pallet::{Grants, Jobs, Programs, Queue};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{Get, Hooks},
	weights::Weight,
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::{
	traits::{One, Saturating},
	Permill,
};

const SALT: Hash32 = [5; 32];

/// Providers registered before a job is matched: the charged weights assume a registry this
/// large (deeper storage tries make every read dearer), though matching reads only `MaxScan`
/// of them.
const REGISTRY: u32 = 10_000;

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::BenchmarkHelper::fund(&who, T::JobDeposit::get().saturating_mul(1_000_000u32.into()));
	who
}

/// `count` verified providers at the same unit price, each with room for a few jobs.
fn providers<T: Config>(count: u32, tag: u32) -> Vec<T::AccountId> {
	(0..count)
		.map(|i| {
			let who: T::AccountId = account("provider", tag * 100_000 + i, 0);
			T::BenchmarkHelper::register_provider(&who, 10u32.into(), 4);
			T::BenchmarkHelper::set_verified(&who);
			who
		})
		.collect()
}

/// A program uploaded by `owner`; returns its hash.
fn program<T: Config>(owner: &T::AccountId) -> Hash32 {
	let code: BoundedVec<u8, T::MaxCodeLen> =
		BoundedVec::truncate_from(b"\0asm\x01\0\0\0 benchmark".to_vec());
	let hash = sp_io::hashing::blake2_256(&code);
	if !Programs::<T>::contains_key(hash) {
		assert!(Pallet::<T>::do_upload_program(owner.clone(), code).is_ok());
	}
	hash
}

/// A WASM job of `replicas` (quorum: a bare majority) that any benchmark provider fits.
fn spec<T: Config>(program: Hash32, replicas: u8) -> JobSpec<T> {
	JobSpec {
		workload: Workload::Wasm {
			program,
			entry: BoundedVec::truncate_from(vec![b'e'; T::MaxEntryLen::get() as usize]),
			input: Input::Inline(BoundedVec::truncate_from(vec![
				1u8;
				T::MaxInlineInput::get() as usize
			])),
			fuel_limit: 1_000_000,
			memory_limit_mib: 16,
		},
		resources: Resources { cpu_millicores: 100, memory_mib: 16, storage_gib: 0, gpus: 0 },
		// Within what a provider's bond backs for each of its slots, in the mock as in the runtime.
		pricing: Pricing::PayPerUse { budget: 1_000u32.into() },
		replicas,
		quorum: replicas / 2 + 1,
		min_reputation: Permill::zero(),
		// The dearer matching: unverified candidates cost an identity read each.
		verified_only: true,
		encrypted_input: false,
		run_blocks: 10u32.into(),
		queue_blocks: 10u32.into(),
	}
}

fn max_replicas<T: Config>() -> u8 {
	T::MaxReplicas::get().min(u8::MAX as u32) as u8
}

/// `REGISTRY` providers, laid out for matching's worst case: a full page in each of the price
/// bands one scan reads, the cheaper half of them unverified and the dearer half verified. A
/// job that asks for verified providers (as [`spec`] does) then reads every page a scan may,
/// reads the identity of every unverified provider to pass it over, and takes the verified ones
/// (up to `MaxScan`). The rest sit in a dearer band, never read.
fn registry<T: Config>() {
	registry_with::<T>(false)
}

/// [`registry`], or, with `stale_cheap`, the cheaper half silent past any heartbeat timeout
/// (still indexed until `on_idle` reaps them): the worst case of a job that does not ask for
/// verified providers, which reads every page a scan may and passes over each stale entry.
fn registry_with<T: Config>(stale_cheap: bool) {
	let pages = T::BenchmarkHelper::scan_pages().max(1);
	let size = T::BenchmarkHelper::page_size().max(1);
	let scanned = pages * size;
	let register = |i: u32| {
		let who: T::AccountId = account("provider", i, 0);
		// Prices 10, 20, 40, …: one band each (⌊log2(price + 1)⌋ goes up by one).
		let band = if i < scanned { i / size } else { pages };
		T::BenchmarkHelper::register_provider(&who, (10u32 << band).into(), 4);
		if i < scanned && band >= pages / 2 {
			T::BenchmarkHelper::set_verified(&who);
		}
	};
	let cheap = scanned / 2;
	(0..cheap).for_each(register);
	if stale_cheap {
		// Longer than any heartbeat timeout a runtime would set.
		advance::<T>(1_000_000u32.into());
	}
	(cheap..REGISTRY.max(scanned)).for_each(register);
}

/// A submitted job of `replicas` among `REGISTRY` providers; returns its id and requester.
fn submitted<T: Config>(replicas: u8) -> (JobId, T::AccountId) {
	registry::<T>();
	let requester = funded::<T>("requester", 0);
	let hash = program::<T>(&requester);
	let id = NextJobId::<T>::get();
	assert!(Pallet::<T>::do_submit_job(requester.clone(), spec::<T>(hash, replicas)).is_ok());
	(id, requester)
}

fn replicas_of<T: Config>(id: JobId) -> Vec<T::AccountId> {
	Jobs::<T>::get(id)
		.map(|job| job.assignments.iter().map(|a| a.provider.clone()).collect())
		.unwrap_or_default()
}

/// A report whose payment is large enough to carry a fee, so the treasury is paid too.
fn report(tag: u8) -> Report {
	Report { result: [tag; 32], ok: true, usage: Usage { fuel: 500_000, seconds: 10 } }
}

/// A job of `MaxReplicas` whose replicas all acked and committed; the last `liars` committed
/// to another result.
fn committed<T: Config>(liars: usize) -> (JobId, Vec<T::AccountId>) {
	let (id, _) = submitted::<T>(max_replicas::<T>());
	let replicas = replicas_of::<T>(id);
	for (i, who) in replicas.iter().enumerate() {
		assert!(Pallet::<T>::do_ack(who.clone(), id).is_ok());
		let tag = if i + liars >= replicas.len() { 2 } else { 1 };
		let commitment = Pallet::<T>::commitment(&report(tag), &SALT, who);
		assert!(Pallet::<T>::do_commit_result(who.clone(), id, commitment).is_ok());
	}
	(id, replicas)
}

/// A single-replica job settled with result 1 among `REGISTRY` providers.
fn settled_single<T: Config>() -> (JobId, T::AccountId) {
	let (id, requester) = submitted::<T>(1);
	let who = replicas_of::<T>(id).pop().expect("assigned");
	assert!(Pallet::<T>::do_ack(who.clone(), id).is_ok());
	assert!(Pallet::<T>::do_submit_result(who, id, report(1)).is_ok());
	(id, requester)
}

fn advance<T: Config>(blocks: BlockNumberFor<T>) {
	let now = frame_system::Pallet::<T>::block_number();
	frame_system::Pallet::<T>::set_block_number(now.saturating_add(blocks));
}

#[benchmarks]
mod benches {
	use super::*;

	#[benchmark]
	fn upload_program(l: Linear<1, { T::MaxCodeLen::get() }>) {
		let who = funded::<T>("owner", 0);
		let code: BoundedVec<u8, T::MaxCodeLen> = BoundedVec::truncate_from(vec![7u8; l as usize]);
		let hash = sp_io::hashing::blake2_256(&code);
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), code);
		assert!(Programs::<T>::contains_key(hash));
	}

	#[benchmark]
	fn free_program() {
		let who = funded::<T>("owner", 0);
		let hash = program::<T>(&who);
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), hash);
		assert!(!Programs::<T>::contains_key(hash));
	}

	#[benchmark]
	fn remove_program() {
		let (id, requester) = submitted::<T>(1);
		let hash = program::<T>(&requester);
		assert!(Pallet::<T>::do_free_program(requester.clone(), hash).is_ok());
		assert!(Pallet::<T>::do_cancel(requester, id).is_ok());
		let anyone = funded::<T>("anyone", 0);
		whitelist_account!(anyone);
		#[extrinsic_call]
		_(RawOrigin::Signed(anyone), hash);
		assert!(!Programs::<T>::contains_key(hash));
	}

	/// `k` replicas of a job open to any provider; matching reads every index page a scan may
	/// (see [`registry_with`]).
	#[benchmark]
	fn submit_job(k: Linear<1, { T::MaxReplicas::get() }>) {
		registry_with::<T>(true);
		let requester = funded::<T>("requester", 0);
		let hash = program::<T>(&requester);
		let id = NextJobId::<T>::get();
		let mut spec = spec::<T>(hash, k as u8);
		spec.verified_only = false;
		whitelist_account!(requester);
		#[extrinsic_call]
		_(RawOrigin::Signed(requester), spec);
		assert_eq!(replicas_of::<T>(id).len(), k as usize);
	}

	/// `k` replicas of a job for verified providers only; matching reads every index page a
	/// scan may and the identity of each unverified provider on them (see [`registry`]).
	#[benchmark]
	fn submit_job_verified(k: Linear<1, { T::MaxReplicas::get() }>) {
		registry::<T>();
		let requester = funded::<T>("requester", 0);
		let hash = program::<T>(&requester);
		let id = NextJobId::<T>::get();
		whitelist_account!(requester);
		#[extrinsic_call]
		submit_job(RawOrigin::Signed(requester), spec::<T>(hash, k as u8));
		assert_eq!(replicas_of::<T>(id).len(), k as usize);
	}

	/// `submit_job` of one replica with `p` providers registered: its cost must not grow with
	/// `p` (measured, not used as a call's weight).
	#[benchmark]
	fn submit_job_among(p: Linear<10, 10_000>) {
		providers::<T>(p, 0);
		let requester = funded::<T>("requester", 0);
		let hash = program::<T>(&requester);
		let id = NextJobId::<T>::get();
		whitelist_account!(requester);
		#[extrinsic_call]
		submit_job(RawOrigin::Signed(requester), spec::<T>(hash, 1));
		assert_eq!(replicas_of::<T>(id).len(), 1);
	}

	/// A job on a subscription: no matching, only the subscription's record and the
	/// program's; the registry as large as for the other benchmarks.
	#[benchmark]
	fn submit_subscription_job() {
		registry::<T>();
		let requester = funded::<T>("requester", 0);
		let hash = program::<T>(&requester);
		let subscription = T::BenchmarkHelper::subscribe(&requester);
		let mut spec = spec::<T>(hash, 1);
		spec.verified_only = false;
		let id = NextJobId::<T>::get();
		whitelist_account!(requester);
		#[extrinsic_call]
		_(RawOrigin::Signed(requester), subscription, spec);
		assert_eq!(replicas_of::<T>(id).len(), 1);
	}

	#[benchmark]
	fn cancel() {
		// A full queue (each requester's share of it), the job last, with all replicas but
		// one assigned.
		let requester = funded::<T>("requester", 0);
		let hash = program::<T>(&requester);
		let waiting = spec::<T>(hash, 1);
		let share = T::MaxQueuedPerAccount::get().max(1);
		for i in 1..T::MaxQueued::get() {
			let other = funded::<T>("waiting", i / share);
			assert!(Pallet::<T>::do_submit_job(other, waiting.clone()).is_ok());
		}
		providers::<T>(max_replicas::<T>() as u32 - 1, 0);
		let id = NextJobId::<T>::get();
		assert!(Pallet::<T>::do_submit_job(
			requester.clone(),
			spec::<T>(hash, max_replicas::<T>())
		)
		.is_ok());
		whitelist_account!(requester);
		#[extrinsic_call]
		_(RawOrigin::Signed(requester), id);
		assert!(!Jobs::<T>::contains_key(id));
	}

	#[benchmark]
	fn ack() {
		let (id, _) = submitted::<T>(max_replicas::<T>());
		let who = replicas_of::<T>(id).pop().expect("assigned");
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id);
	}

	/// A replica of a full job given back and matched again from a full scan.
	#[benchmark]
	fn decline() {
		// [`registry`] has verified providers enough for the job and a replacement.
		let (id, _) = submitted::<T>(max_replicas::<T>());
		let who = replicas_of::<T>(id).pop().expect("assigned");
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), id);
		let now = replicas_of::<T>(id);
		assert_eq!(now.len(), max_replicas::<T>() as usize);
		assert!(!now.contains(&who));
	}

	#[benchmark]
	fn submit_result() {
		let (id, _) = submitted::<T>(1);
		let who = replicas_of::<T>(id).pop().expect("assigned");
		assert!(Pallet::<T>::do_ack(who.clone(), id).is_ok());
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id, report(1));
		assert!(Jobs::<T>::get(id).is_some_and(|job| job.is_settled()));
	}

	#[benchmark]
	fn commit_result() {
		let (id, _) = submitted::<T>(max_replicas::<T>());
		let replicas = replicas_of::<T>(id);
		for who in &replicas {
			assert!(Pallet::<T>::do_ack(who.clone(), id).is_ok());
		}
		let (last, others) = replicas.split_last().expect("assigned");
		for who in others {
			let commitment = Pallet::<T>::commitment(&report(1), &SALT, who);
			assert!(Pallet::<T>::do_commit_result(who.clone(), id, commitment).is_ok());
		}
		let commitment = Pallet::<T>::commitment(&report(1), &SALT, last);
		whitelist_account!(last);
		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), id, commitment);
		assert!(Jobs::<T>::get(id).is_some_and(|job| matches!(job.phase, Phase::Revealing { .. })));
	}

	#[benchmark]
	fn reveal_result() {
		// The largest minority disagrees: the most slashes beside the payments.
		let liars = (max_replicas::<T>() as usize - 1) / 2;
		let (id, replicas) = committed::<T>(liars);
		let (last, others) = replicas.split_last().expect("assigned");
		for (i, who) in others.iter().enumerate() {
			let tag = if i + liars >= replicas.len() { 2 } else { 1 };
			assert!(Pallet::<T>::do_reveal_result(who.clone(), id, report(tag), SALT).is_ok());
		}
		let tag = if liars > 0 { 2 } else { 1 };
		whitelist_account!(last);
		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), id, report(tag), SALT);
		assert!(Jobs::<T>::get(id).is_some_and(|job| job.is_settled()));
	}

	#[benchmark]
	fn expire() {
		// No replica acknowledged: all are replaced, from a full scan ([`registry`] has
		// verified providers enough for the job twice).
		let (id, _) = submitted::<T>(max_replicas::<T>());
		let first = replicas_of::<T>(id);
		advance::<T>(T::AckTimeout::get().saturating_add(One::one()));
		let anyone = funded::<T>("anyone", 0);
		whitelist_account!(anyone);
		#[extrinsic_call]
		_(RawOrigin::Signed(anyone), id);
		let now = replicas_of::<T>(id);
		assert_eq!(now.len(), first.len());
		assert!(now.iter().all(|who| !first.contains(who)));
	}

	#[benchmark]
	fn clear_job() {
		let (id, _) = submitted::<T>(1);
		let who = replicas_of::<T>(id).pop().expect("assigned");
		assert!(Pallet::<T>::do_ack(who.clone(), id).is_ok());
		assert!(Pallet::<T>::do_submit_result(who, id, report(1)).is_ok());
		advance::<T>(T::Retention::get());
		let anyone = funded::<T>("anyone", 0);
		whitelist_account!(anyone);
		#[extrinsic_call]
		_(RawOrigin::Signed(anyone), id);
		assert!(!Jobs::<T>::contains_key(id));
	}

	#[benchmark]
	fn dispute() {
		let (id, requester) = settled_single::<T>();
		whitelist_account!(requester);
		#[extrinsic_call]
		_(RawOrigin::Signed(requester), id);
		assert!(Jobs::<T>::get(id).is_some_and(|job| matches!(job.dispute, Some(Dispute::Open(_)))));
	}

	#[benchmark]
	fn grant_input() {
		let (id, requester) = settled_single::<T>();
		assert!(Pallet::<T>::do_dispute(requester.clone(), id).is_ok());
		let check = id + 1;
		// The check of a sealed job (the benchmark's jobs are not sealed; the cost is the same).
		Jobs::<T>::mutate(check, |job| {
			if let Some(job) = job {
				job.spec.encrypted_input = true;
			}
		});
		let grant: BoundedVec<u8, MaxGrantLen> =
			BoundedVec::truncate_from(vec![7u8; <MaxGrantLen as Get<u32>>::get() as usize]);
		whitelist_account!(requester);
		#[extrinsic_call]
		_(RawOrigin::Signed(requester), check, grant);
		assert!(Grants::<T>::contains_key(check));
	}

	/// The last reveal of a dispute's check, which upholds the dispute and slashes.
	#[benchmark]
	fn reveal_result_resolving_dispute() {
		let (id, requester) = settled_single::<T>();
		assert!(Pallet::<T>::do_dispute(requester, id).is_ok());
		let check = id + 1;
		// Any provider can re-execute, so the draw fills the check at once (how the
		// re-executors were found does not change what the last reveal costs).
		Jobs::<T>::mutate(check, |job| {
			if let Some(job) = job {
				job.spec.verified_only = false;
			}
		});
		// The re-executors are drawn in a later block.
		advance::<T>(One::one());
		Pallet::<T>::on_idle(frame_system::Pallet::<T>::block_number(), Weight::MAX);
		let replicas = replicas_of::<T>(check);
		for who in &replicas {
			assert!(Pallet::<T>::do_ack(who.clone(), check).is_ok());
			let commitment = Pallet::<T>::commitment(&report(2), &SALT, who);
			assert!(Pallet::<T>::do_commit_result(who.clone(), check, commitment).is_ok());
		}
		let (last, others) = replicas.split_last().expect("assigned");
		for who in others {
			assert!(Pallet::<T>::do_reveal_result(who.clone(), check, report(2), SALT).is_ok());
		}
		whitelist_account!(last);
		#[extrinsic_call]
		reveal_result(RawOrigin::Signed(last.clone()), check, report(2), SALT);
		assert!(
			Jobs::<T>::get(id).is_some_and(|job| matches!(job.dispute, Some(Dispute::Upheld(_))))
		);
	}

	#[benchmark]
	fn match_queued_job() {
		let requester = funded::<T>("requester", 0);
		let hash = program::<T>(&requester);
		let id = NextJobId::<T>::get();
		assert!(Pallet::<T>::do_submit_job(requester, spec::<T>(hash, max_replicas::<T>())).is_ok());
		assert_eq!(Queue::<T>::get().len(), 1);
		registry::<T>();
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::on_idle(now, Weight::MAX);
		}
		assert_eq!(replicas_of::<T>(id).len(), max_replicas::<T>() as usize);
	}

	/// Drawing a dispute's re-executors among `REGISTRY` providers, none of them eligible: the
	/// draw reads the band counts, then looks at `MaxScan` entries, each on a page of its own,
	/// reading the identity of each (they are unverified; the job asks for verified ones). What
	/// assigning the drawn costs is [`match_queued_job`]'s, which the market adds.
	#[benchmark]
	fn match_drawn_check() {
		let (id, requester) = settled_single::<T>();
		assert!(Pallet::<T>::do_dispute(requester, id).is_ok());
		let check = id + 1;
		// The re-executors are drawn in a later block.
		advance::<T>(One::one());
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::on_idle(now, Weight::MAX);
		}
		assert!(replicas_of::<T>(check).is_empty());
		assert!(Draws::<T>::get().iter().any(|(drawn, _)| *drawn == check));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
