//! Benchmarks of the reward pool's calls and hooks, each at its worst case.

use super::*;
use crate::pallet::{
	ActiveEra, BalanceOf, CurrentEra, Earning, Earnings, EarningsOf, Emission, EraTotals, Eras,
	Pallet,
};
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, EnsureOrigin, Get, Hooks};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::traits::{Bounded, One, Saturating};

/// A pot large enough for any reward the benchmarks pay.
fn pot<T: Config>() -> BalanceOf<T> {
	BalanceOf::<T>::max_value() / 1_000u32.into()
}

/// Eras `0..eras` ended with `pot` each, the pool funded for them, and era `eras` current.
fn ended_eras<T: Config>(eras: u32) {
	let length: BlockNumberFor<T> = T::MinEraLength::get();
	for index in 0..eras {
		Eras::<T>::insert(
			index,
			EraTotals { pot: pot::<T>(), work: 1_000u32.into(), claimed: 0u32.into(), length },
		);
	}
	let total = pot::<T>().saturating_mul(eras.into());
	let _ = T::Currency::mint_into(&Pallet::<T>::pool(), total);
	let start = length.saturating_mul(eras.into());
	CurrentEra::<T>::put(ActiveEra { index: eras, start, length, ..Default::default() });
	frame_system::Pallet::<T>::set_block_number(start.saturating_add(One::one()));
}

/// `who`'s records of eras `first..first + n`, each with work and fees.
fn records<T: Config>(who: &T::AccountId, first: u32, n: u32) {
	let earnings: alloc::vec::Vec<_> = (first..first + n)
		.map(|era| Earning {
			era,
			work: 500u32.into(),
			fees: BalanceOf::<T>::max_value() / 10u32.into(),
			live: T::MinEraLength::get(),
		})
		.collect();
	Earnings::<T>::insert(who, EarningsOf::<T>::truncate_from(earnings));
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A provider with `n` records, all of ended eras still in their claim window.
	#[benchmark]
	fn claim(n: Linear<1, { T::ClaimEras::get() + 1 }>) {
		let claim_eras = T::ClaimEras::get();
		ended_eras::<T>(claim_eras + 1);
		let who: T::AccountId = whitelisted_caller();
		// Eras 1..=claim_eras are claimable while era claim_eras + 1 is current; the first of
		// the `n` records may be era 0, expired, which a claim reads and drops.
		records::<T>(&who, claim_eras + 1 - n.min(claim_eras + 1), n);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Earnings::<T>::contains_key(&who));
	}

	/// `n` records of expired eras.
	#[benchmark]
	fn clear_expired(n: Linear<1, { T::ClaimEras::get() + 1 }>) {
		let current = T::ClaimEras::get() + n + 1;
		CurrentEra::<T>::put(ActiveEra {
			index: current,
			start: One::one(),
			length: T::MinEraLength::get(),
			..Default::default()
		});
		let who: T::AccountId = account("provider", 0, 0);
		records::<T>(&who, 0, n);
		let caller: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), who.clone());
		assert!(!Earnings::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_emission() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let emission = T::MaxEmission::get();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, emission);
		assert_eq!(Emission::<T>::get(), emission);
		Ok(())
	}

	#[benchmark]
	fn set_era_length() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let length = T::MinEraLength::get().saturating_add(One::one());
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, length);
		assert_eq!(EraLength::<T>::get(), length);
		Ok(())
	}

	/// A block inside an era.
	#[benchmark]
	fn on_initialize_idle() {
		ended_eras::<T>(1);
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}
		assert_eq!(CurrentEra::<T>::get().index, 1);
	}

	/// The block that ends an era with work: its fee share moved from the treasury, emission
	/// minted, and the era whose claim window closes sent, unclaimed, to the treasury.
	#[benchmark]
	fn on_initialize_era_end() {
		let claim_eras = T::ClaimEras::get();
		ended_eras::<T>(claim_eras);
		let share: BalanceOf<T> = 1_000_000u32.into();
		let _ = T::Currency::mint_into(&T::Treasury::get(), share);
		let current = CurrentEra::<T>::mutate(|era| {
			era.work = 1_000u32.into();
			era.fee_share = share;
			*era
		});
		Emission::<T>::put(T::MaxEmission::get());
		let end = current.start.saturating_add(current.length);
		#[block]
		{
			Pallet::<T>::on_initialize(end);
		}
		assert_eq!(CurrentEra::<T>::get().index, claim_eras + 1);
		assert!(!Eras::<T>::contains_key(0));
		assert!(Eras::<T>::get(claim_eras).is_some_and(|era| era.pot >= share));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
