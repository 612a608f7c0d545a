//! Benchmarks of the registry pallet (v2 syntax), each in its worst case: the provider sits in
//! the first page of bands with two full pages, so taking it out rewrites two full pages.
//!
//! Each measured call's signer is whitelisted (`whitelist_account!`): paying the transaction
//! fee has read and written its account before the call runs.

use super::*;
use crate::pallet::{Index, Offer, Providers};
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::traits::{One, Saturating};

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let plenty = T::MinBond::get().saturating_mul(1_000u32.into());
	T::BenchmarkHelper::fund(&who, plenty);
	who
}

/// An offer for both runtimes at `price`, with the longest endpoint.
fn offer<T: Config>(price: u32) -> OfferOf<T> {
	Offer {
		resources: Resources {
			cpu_millicores: 64_000,
			memory_mib: 262_144,
			storage_gib: 4_096,
			gpus: 8,
		},
		wasm: true,
		container: true,
		prices: Prices {
			per_million_fuel: price.into(),
			per_second: price.into(),
			base_per_job: price.into(),
		},
		max_concurrent: 16,
		region: *b"DE",
		encryption_key: [7; 32],
		endpoint: BoundedVec::truncate_from(vec![b'x'; T::MaxEndpointLen::get() as usize]),
	}
}

/// Adds `count` other providers to the bands of `price` (both runtimes).
fn fill_bands<T: Config>(price: u32, tag: u32, count: u32) {
	for i in 0..count {
		let other = funded::<T>("other", tag * 100_000 + i);
		let _ = Pallet::<T>::do_register(other, offer::<T>(price), T::MinBond::get());
	}
}

/// A provider first in its bands, followed by two pages' worth of others.
fn registered<T: Config>(price: u32) -> T::AccountId {
	let who = funded::<T>("provider", 0);
	assert!(Pallet::<T>::do_register(who.clone(), offer::<T>(price), T::MinBond::get()).is_ok());
	fill_bands::<T>(price, 0, 2 * T::IndexPageSize::get() - 1);
	who
}

#[benchmarks]
mod benches {
	use super::*;

	#[benchmark]
	fn register() {
		// The last page lacks one entry, so the new provider is decoded into a full page.
		fill_bands::<T>(100, 0, 2 * T::IndexPageSize::get() - 1);
		let who = funded::<T>("provider", 0);
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), offer::<T>(100), T::MinBond::get());
		assert!(Providers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn update_offer() {
		let who = registered::<T>(100);
		fill_bands::<T>(100_000, 1, 2 * T::IndexPageSize::get() - 1);
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), offer::<T>(100_000));
		let band = (RuntimeKind::Wasm, crate::impls::band_of(100_000u32));
		assert!(Index::<T>::get(band, 1).iter().any(|card| card.who == who));
	}

	#[benchmark]
	fn heartbeat() {
		let who = registered::<T>(100);
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
	}

	#[benchmark]
	fn pause() {
		let who = registered::<T>(100);
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
	}

	#[benchmark]
	fn resume() {
		let who = registered::<T>(100);
		assert!(Pallet::<T>::do_pause(who.clone()).is_ok());
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
	}

	#[benchmark]
	fn add_bond() {
		let who = registered::<T>(100);
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), T::MinBond::get());
		assert!(T::Escrow::bond_of(&who) >= T::MinBond::get());
	}

	#[benchmark]
	fn deregister() {
		let who = registered::<T>(100);
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
	}

	#[benchmark]
	fn withdraw_bond() {
		let who = registered::<T>(100);
		assert!(Pallet::<T>::do_deregister(who.clone()).is_ok());
		let later = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::UnbondingPeriod::get())
			.saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(later);
		whitelist_account!(who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Providers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_verified() -> Result<(), BenchmarkError> {
		let who = registered::<T>(100);
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone(), true);
		assert!(Pallet::<T>::is_verified(&who));
		Ok(())
	}

	/// One page of `on_idle` reaping: every provider of a band of two full pages (both runtime
	/// kinds) is silent, so the page gives up a page's worth, each taking the band's last entry
	/// into its place; then the next page is found.
	#[benchmark]
	fn reap_page() {
		fill_bands::<T>(100, 0, 2 * T::IndexPageSize::get());
		let later = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::HeartbeatTimeout::get())
			.saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(later);
		let band = (RuntimeKind::Wasm, crate::impls::band_of(100u32));
		let reaped;
		#[block]
		{
			reaped = Pallet::<T>::reap_page(band, 0, later);
			let _ = Pallet::<T>::next_page(Some((band, 0)));
		}
		assert_eq!(reaped, T::IndexPageSize::get());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
