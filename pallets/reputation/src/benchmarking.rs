//! Benchmarks of the reputation pallet (v2 syntax), worst case.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_system::RawOrigin;
use sp_runtime::traits::Saturating;

#[benchmarks]
mod benches {
	use super::*;

	/// A record that has decayed away, pruned by a stranger.
	#[benchmark]
	fn prune() {
		let provider: T::AccountId = account("provider", 0, 0);
		let caller: T::AccountId = whitelisted_caller();
		Pallet::<T>::do_record(&provider, Outcome::Fraud, u128::MAX);
		let later = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::HalfLife::get().saturating_mul(64u32.into()));
		frame_system::Pallet::<T>::set_block_number(later);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), provider.clone());

		assert!(Records::<T>::get(&provider).is_none());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
