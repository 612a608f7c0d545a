//! Benchmarks of the datasets' calls and of a job's use of datasets, each at its worst case:
//! the longest location and program list, the largest grant, every dataset of a job paid.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_support::{traits::fungible::Mutate, BoundedVec};
use frame_system::RawOrigin;
use sp_runtime::traits::Bounded;

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let _ = T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
	who
}

fn longest_location<T: Config>() -> BoundedVec<u8, T::MaxLocationLen> {
	BoundedVec::truncate_from(alloc::vec![b'a'; T::MaxLocationLen::get() as usize])
}

/// The most programs, the job's program last.
fn most_programs<T: Config>() -> BoundedVec<Hash32, T::MaxPrograms> {
	let count = T::MaxPrograms::get();
	BoundedVec::truncate_from((0..count).map(|index| [index as u8; 32]).collect())
}

/// The program the benchmarks' jobs run: the last listed.
fn job_program<T: Config>() -> Hash32 {
	[T::MaxPrograms::get().saturating_sub(1) as u8; 32]
}

/// Registers a sealed dataset of `owner` at its largest; returns its id.
fn dataset<T: Config>(owner: &T::AccountId) -> DatasetId {
	let id = NextDatasetId::<T>::get();
	let registered = Pallet::<T>::register(
		RawOrigin::Signed(owner.clone()).into(),
		[1; 32],
		1 << 30,
		longest_location::<T>(),
		1_000u32.into(),
		most_programs::<T>(),
		true,
	);
	assert!(registered.is_ok(), "{registered:?}");
	id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register() {
		let owner = funded::<T>("owner", 0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner),
			[1; 32],
			1 << 30,
			longest_location::<T>(),
			1_000u32.into(),
			most_programs::<T>(),
			true,
		);
		assert!(Records::<T>::contains_key(0));
	}

	#[benchmark]
	fn update() {
		let owner = funded::<T>("owner", 0);
		let id = NextDatasetId::<T>::get();
		assert!(Pallet::<T>::register(
			RawOrigin::Signed(owner.clone()).into(),
			[1; 32],
			1,
			BoundedVec::truncate_from(alloc::vec![b'a']),
			1u32.into(),
			BoundedVec::new(),
			false,
		)
		.is_ok());
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, longest_location::<T>(), 2u32.into(), most_programs::<T>());
		assert_eq!(
			Records::<T>::get(id).map(|record| record.programs.len() as u32),
			Some(T::MaxPrograms::get())
		);
	}

	#[benchmark]
	fn retire() {
		let owner = funded::<T>("owner", 0);
		let id = dataset::<T>(&owner);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);
		assert!(Records::<T>::get(id).is_some_and(|record| record.retired));
	}

	#[benchmark]
	fn remove() {
		let owner = funded::<T>("owner", 0);
		let id = dataset::<T>(&owner);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);
		assert!(!Records::<T>::contains_key(id));
	}

	#[benchmark]
	fn grant_key() {
		let owner = funded::<T>("owner", 0);
		let id = dataset::<T>(&owner);
		assert!(Pallet::<T>::start(0, &[id], &job_program::<T>(), false).is_ok());
		let grant: BoundedVec<u8, MaxKeyGrantLen> =
			BoundedVec::truncate_from(alloc::vec![7; <MaxKeyGrantLen as Get<u32>>::get() as usize]);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), 0, id, grant);
		assert!(KeyGrants::<T>::contains_key(0, id));
	}

	#[benchmark]
	fn start(n: Linear<1, MAX_JOB_DATASETS>) {
		let ids: alloc::vec::Vec<DatasetId> =
			(0..n).map(|index| dataset::<T>(&funded::<T>("owner", index))).collect();
		let royalties;
		#[block]
		{
			royalties = Pallet::<T>::start(0, &ids, &job_program::<T>(), false);
		}
		assert_eq!(royalties, Ok(BalanceOf::<T>::from(1_000u32) * n.into()));
	}

	#[benchmark]
	fn end(n: Linear<1, MAX_JOB_DATASETS>) {
		let ids: alloc::vec::Vec<DatasetId> =
			(0..n).map(|index| dataset::<T>(&funded::<T>("owner", index))).collect();
		let requester = funded::<T>("requester", 0);
		let royalties = Pallet::<T>::start(0, &ids, &job_program::<T>(), false);
		assert!(royalties.is_ok());
		let held = T::Escrow::hold_for_job(
			0,
			&requester,
			1_000u32.into(),
			1,
			royalties.unwrap_or_default(),
		);
		assert!(held.is_ok(), "{held:?}");
		for id in &ids {
			let grant: BoundedVec<u8, MaxKeyGrantLen> = BoundedVec::truncate_from(
				alloc::vec![7; <MaxKeyGrantLen as Get<u32>>::get() as usize],
			);
			KeyGrants::<T>::insert(0, id, grant);
		}
		let paid;
		#[block]
		{
			paid = Pallet::<T>::end(0, true);
		}
		assert_eq!(paid, Ok(BalanceOf::<T>::from(1_000u32) * n.into()));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
