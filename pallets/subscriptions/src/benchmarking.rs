//! Benchmarks of the subscriptions' calls and hook, each at its worst case.

use super::*;
use crate::pallet::{BalanceOf, PeriodEnds, Records, Served};
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{Get, Hooks},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::{
	traits::{Bounded, One, Saturating},
	Permill,
};

/// Plenty for any subscription the benchmarks make.
fn plenty<T: Config>() -> BalanceOf<T> {
	BalanceOf::<T>::max_value() / 1_000_000u32.into()
}

/// One core and 1 GiB.
fn slot() -> Resources {
	Resources { cpu_millicores: 1_000, memory_mib: 1_024, storage_gib: 1, gpus: 0 }
}

/// A funded requester.
fn requester<T: Config>(index: u32) -> T::AccountId {
	let who: T::AccountId = account("requester", index, 0);
	T::BenchmarkHelper::fund(&who, plenty::<T>());
	who
}

/// `who` subscribes to one slot for `periods` periods of `MinPeriod`, at any price.
fn subscribed<T: Config>(
	who: &T::AccountId,
	periods: u32,
) -> Result<SubscriptionId, BenchmarkError> {
	Pallet::<T>::do_subscribe(
		who.clone(),
		RuntimeKind::Container,
		slot(),
		plenty::<T>(),
		Permill::zero(),
		T::MinPeriod::get(),
		periods,
	)
	.map_err(|_| BenchmarkError::Stop("subscribing failed"))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// `MaxScan` eligible providers looked at, and the first `SCHEDULE_TRIES - 1` settlement
	/// blocks full.
	#[benchmark]
	fn subscribe() -> Result<(), BenchmarkError> {
		for index in 0..T::MaxScan::get() {
			let provider: T::AccountId = account("provider", index, 0);
			T::BenchmarkHelper::register_provider(&provider, 1u32.into(), 4);
		}
		let now = frame_system::Pallet::<T>::block_number();
		let mut end = now.saturating_add(T::MinPeriod::get());
		for _ in 1..SCHEDULE_TRIES {
			let full: Vec<SubscriptionId> =
				(0..T::MaxEndsPerBlock::get()).map(|id| u64::MAX - id as u64).collect();
			PeriodEnds::<T>::insert(end, BoundedVec::truncate_from(full));
			end = end.saturating_add(One::one());
		}
		let who = requester::<T>(0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who),
			RuntimeKind::Container,
			slot(),
			plenty::<T>(),
			Permill::zero(),
			T::MinPeriod::get(),
			T::MaxPeriods::get(),
		);
		assert!(Records::<T>::get(0).is_some_and(|sub| sub.period_end == end));
		Ok(())
	}

	#[benchmark]
	fn renew() -> Result<(), BenchmarkError> {
		let provider: T::AccountId = account("provider", 0, 0);
		T::BenchmarkHelper::register_provider(&provider, 1u32.into(), 1);
		let who = requester::<T>(0);
		let id = subscribed::<T>(&who, 1)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id, T::MaxPeriods::get() - 1);
		assert_eq!(Records::<T>::get(id).map(|sub| sub.periods_left), Some(T::MaxPeriods::get()));
		Ok(())
	}

	#[benchmark]
	fn cancel() -> Result<(), BenchmarkError> {
		let provider: T::AccountId = account("provider", 0, 0);
		T::BenchmarkHelper::register_provider(&provider, 1u32.into(), 1);
		let who = requester::<T>(0);
		let id = subscribed::<T>(&who, 1)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id);
		assert!(Records::<T>::get(id).is_some_and(|sub| sub.ending));
		Ok(())
	}

	/// `n` subscriptions, each of its own requester with its own provider, settle their last
	/// period, kept: each pays, then ends and gives everything back.
	#[benchmark]
	fn on_initialize(n: Linear<0, { T::MaxEndsPerBlock::get() }>) -> Result<(), BenchmarkError> {
		let period: BlockNumberFor<T> = T::MinPeriod::get();
		for index in 0..n {
			let provider: T::AccountId = account("provider", index, 0);
			T::BenchmarkHelper::register_provider(&provider, 1u32.into(), 1);
			subscribed::<T>(&requester::<T>(index), 1)?;
			Served::<T>::mutate(&provider, |service| {
				if let Some(service) = service {
					service.live = service.live.saturating_add(period);
				}
			});
		}
		let end = frame_system::Pallet::<T>::block_number().saturating_add(period);
		assert_eq!(PeriodEnds::<T>::get(end).len() as u32, n);
		frame_system::Pallet::<T>::set_block_number(end);
		#[block]
		{
			Pallet::<T>::on_initialize(end);
		}
		assert_eq!(Records::<T>::iter().count(), 0);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
