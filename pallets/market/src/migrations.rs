//! Storage migrations of the market, one module per storage version.

pub mod v2 {
	//! Version 2: [`Totals`] no longer counts submitted jobs, which `NextJobId` already counts
	//! (every submission takes the next id), so a submission writes one key fewer. Version 1
	//! totals are rewritten without that count.

	use crate::{pallet::*, types::Stats};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};

	/// The totals as version 1 stored them.
	#[derive(Encode, Decode)]
	pub struct StatsV1<Balance> {
		/// Jobs submitted, ever.
		pub submitted: u64,
		/// Jobs settled with a result, ever.
		pub settled: u64,
		/// Jobs refunded without a result, ever.
		pub refunded: u64,
		/// Paid to providers, fees excluded, ever.
		pub total_paid: Balance,
	}

	/// Rewrites the totals without the submitted count; use [`MigrateV1ToV2`], which runs this
	/// only on a version 1 market and then sets version 2.
	pub struct UncheckedMigrateV1ToV2<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			// A chain that never wrote totals has nothing to translate; `translate` leaves it so.
			let translated = Totals::<T>::translate::<StatsV1<BalanceOf<T>>, _>(|old| {
				old.map(|old| Stats {
					settled: old.settled,
					refunded: old.refunded,
					total_paid: old.total_paid,
				})
			});
			if translated.is_err() {
				// Undecodable totals are only statistics: start them again rather than misread.
				Totals::<T>::kill();
				frame_support::defensive!("market totals were not version 1 totals; reset");
			}
			T::DbWeight::get().reads_writes(1, 1)
		}
	}

	/// The market from storage version 1 to 2.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		UncheckedMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
