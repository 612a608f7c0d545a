//! Storage migrations of the escrow, one module per storage version.

pub mod v2 {
	//! Version 2: the running totals `TotalJobHeld` and `TotalBonded` are gone (the holds are
	//! the totals); their values are removed.

	use crate::pallet::*;
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::*,
		storage::{storage_prefix, unhashed},
		traits::{PalletInfoAccess, UncheckedOnRuntimeUpgrade},
	};

	/// The storage items version 2 removes.
	pub const REMOVED: [&str; 2] = ["TotalJobHeld", "TotalBonded"];

	/// Removes the totals; use [`MigrateV1ToV2`], which runs this only on a version 1 escrow
	/// and then sets version 2.
	pub struct UncheckedMigrateV1ToV2<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let pallet = <Pallet<T> as PalletInfoAccess>::name();
			for item in REMOVED {
				unhashed::kill(&storage_prefix(pallet.as_bytes(), item.as_bytes()));
			}
			T::DbWeight::get().writes(REMOVED.len() as u64)
		}
	}

	/// The escrow from storage version 1 to 2.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		UncheckedMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
