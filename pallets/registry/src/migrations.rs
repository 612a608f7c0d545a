//! Storage migrations of the registry, one module per storage version.

pub mod v2 {
	//! Version 2: every provider keeps a copy of its reputation record
	//! ([`Provider::reputation`]), so matching scores candidates without reading the reputation
	//! pallet. Version 1 records are rewritten with the current record of each provider.

	use crate::{pallet::*, Resources};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use offload_primitives::ReputationRecords;

	/// A provider as version 1 stored it.
	#[derive(Encode, Decode)]
	pub struct ProviderV1<T: Config> {
		/// What it sells.
		pub offer: Offer<T>,
		/// Whether it takes jobs.
		pub status: Status<BlockNumberFor<T>>,
		/// Offered resources not used by running jobs.
		pub free: Resources,
		/// Jobs running now.
		pub running: u16,
		/// Block of its last heartbeat.
		pub last_heartbeat: BlockNumberFor<T>,
		/// Set by the admin origin.
		pub verified: bool,
	}

	/// Rewrites every provider with its reputation record; use [`MigrateV1ToV2`], which runs
	/// this only on a version 1 registry and then sets version 2.
	pub struct UncheckedMigrateV1ToV2<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut providers = 0u64;
			Providers::<T>::translate::<ProviderV1<T>, _>(|who, old| {
				providers = providers.saturating_add(1);
				Some(Provider {
					offer: old.offer,
					status: old.status,
					free: old.free,
					running: old.running,
					last_heartbeat: old.last_heartbeat,
					verified: old.verified,
					reputation: T::Reputation::record_of(&who),
					// Counted from version 4 on.
					exposure: sp_runtime::traits::Zero::zero(),
					#[cfg(feature = "upgrade-test")]
					since: old.last_heartbeat,
				})
			});
			// Per provider: its record and its reputation read, its record written.
			T::DbWeight::get().reads_writes(providers.saturating_mul(2), providers)
		}
	}

	/// The registry from storage version 1 to 2.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		UncheckedMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

pub mod v3 {
	//! Version 3: index pages hold a [`Card`] per provider (what matching needs of it) instead
	//! of its account, so matching reads no provider record. Each version 2 page is rewritten
	//! with the cards of its providers.

	use crate::pallet::*;
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};

	/// Rewrites every index page with cards; use [`MigrateV2ToV3`], which runs this only on a
	/// version 2 registry and then sets version 3.
	pub struct UncheckedMigrateV2ToV3<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV2ToV3<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut pages, mut entries) = (0u64, 0u64);
			Index::<T>::translate::<BoundedVec<T::AccountId, T::IndexPageSize>, _>(
				|_, _, members| {
					pages = pages.saturating_add(1);
					entries = entries.saturating_add(members.len() as u64);
					let cards = members
						.into_iter()
						.filter_map(|who| {
							Providers::<T>::get(&who)
								.map(|provider| Pallet::<T>::card_of(&who, &provider))
						})
						.collect::<alloc::vec::Vec<_>>();
					Some(BoundedVec::truncate_from(cards))
				},
			);
			// Per page: read and written; per entry: its provider read.
			T::DbWeight::get().reads_writes(pages.saturating_add(entries), pages)
		}
	}

	/// The registry from storage version 2 to 3.
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		UncheckedMigrateV2ToV3<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

pub mod v4 {
	//! Version 4: a provider counts the value of its open jobs ([`Provider::exposure`]), and
	//! its index cards carry its headroom ([`Card::headroom`]), so matching gives a job only to
	//! providers whose bond backs it. Records and cards are rewritten with an exposure of zero:
	//! jobs already open when the runtime upgrades were taken before exposure was counted, and
	//! their release subtracts nothing below zero.

	use crate::{pallet::*, Resources};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use offload_primitives::{reputation::Record as ReputationRecord, Prices};
	use sp_runtime::traits::Zero;

	/// A provider as version 3 stored it.
	#[derive(Encode, Decode)]
	pub struct ProviderV3<T: Config> {
		/// What it sells.
		pub offer: Offer<T>,
		/// Whether it takes jobs.
		pub status: Status<BlockNumberFor<T>>,
		/// Offered resources not used by running jobs.
		pub free: Resources,
		/// Jobs running now.
		pub running: u16,
		/// Block of its last heartbeat.
		pub last_heartbeat: BlockNumberFor<T>,
		/// Set by the admin origin.
		pub verified: bool,
		/// Its reputation record.
		pub reputation: ReputationRecord<BlockNumberFor<T>>,
	}

	/// An index card as version 3 stored it.
	#[derive(Encode, Decode)]
	pub struct CardV3<T: Config> {
		/// The provider.
		pub who: T::AccountId,
		/// Its prices.
		pub prices: Prices<T::Balance>,
		/// Its resources not used by running jobs.
		pub free: Resources,
		/// Its admin verified flag.
		pub verified: bool,
		/// Whether its offer publishes a key for sealed inputs.
		pub sealed_inputs: bool,
		/// Its reputation record.
		pub reputation: ReputationRecord<BlockNumberFor<T>>,
		/// Block of its last heartbeat.
		pub last_heartbeat: BlockNumberFor<T>,
	}

	/// Rewrites every provider with a zero exposure and every index page with cards that carry
	/// headroom; use [`MigrateV3ToV4`], which runs this only on a version 3 registry and then
	/// sets version 4.
	pub struct UncheckedMigrateV3ToV4<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV3ToV4<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut providers = 0u64;
			Providers::<T>::translate::<ProviderV3<T>, _>(|_, old| {
				providers = providers.saturating_add(1);
				Some(Provider {
					offer: old.offer,
					status: old.status,
					free: old.free,
					running: old.running,
					last_heartbeat: old.last_heartbeat,
					verified: old.verified,
					reputation: old.reputation,
					exposure: Zero::zero(),
					#[cfg(feature = "upgrade-test")]
					since: old.last_heartbeat,
				})
			});
			let (mut pages, mut entries) = (0u64, 0u64);
			Index::<T>::translate::<BoundedVec<CardV3<T>, T::IndexPageSize>, _>(|_, _, cards| {
				pages = pages.saturating_add(1);
				entries = entries.saturating_add(cards.len() as u64);
				let cards = cards
					.into_iter()
					.filter_map(|card| {
						Providers::<T>::get(&card.who)
							.map(|provider| Pallet::<T>::card_of(&card.who, &provider))
					})
					.collect::<alloc::vec::Vec<_>>();
				Some(BoundedVec::truncate_from(cards))
			});
			// Per provider: read and written; per page: read and written; per entry: its
			// provider and its bond read.
			T::DbWeight::get().reads_writes(
				providers.saturating_add(pages).saturating_add(entries.saturating_mul(2)),
				providers.saturating_add(pages),
			)
		}
	}

	/// The registry from storage version 3 to 4.
	pub type MigrateV3ToV4<T> = VersionedMigration<
		3,
		4,
		UncheckedMigrateV3ToV4<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

pub mod v5 {
	//! Version 5: one count of providers per price band of each runtime kind ([`Bands`])
	//! replaces the page count of each band and the mask of occupied bands, so a dispute's
	//! re-executors can be drawn among all indexed providers, each as likely as any other. Each
	//! band's count is its full pages times `IndexPageSize` plus what its last page holds.

	use crate::pallet::*;
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, storage_alias,
		traits::UncheckedOnRuntimeUpgrade,
	};
	use offload_primitives::RuntimeKind;

	pub use old::{BandMask, BandPages};

	#[allow(missing_docs)]
	mod old {
		use super::*;

		/// Version 4's page count of each band.
		#[storage_alias]
		pub type BandPages<T: Config> = StorageMap<Pallet<T>, Twox64Concat, Band, u32, ValueQuery>;

		/// Version 4's bit per occupied band of each runtime kind.
		#[storage_alias]
		pub type BandMask<T: Config> =
			StorageMap<Pallet<T>, Twox64Concat, RuntimeKind, u128, ValueQuery>;
	}

	/// Counts each band's providers and removes the page counts and masks; use
	/// [`MigrateV4ToV5`], which runs this only on a version 4 registry and then sets version 5.
	pub struct UncheckedMigrateV4ToV5<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV4ToV5<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut bands = 0u64;
			for (band, pages) in BandPages::<T>::drain() {
				bands = bands.saturating_add(1);
				let Some(last) = pages.checked_sub(1) else { continue };
				let size = last
					.saturating_mul(T::IndexPageSize::get())
					.saturating_add(Index::<T>::decode_len(band, last).unwrap_or(0) as u32);
				Bands::<T>::mutate(band.0, |sizes| {
					if let Some(slot) = sizes.0.get_mut(band.1 as usize) {
						*slot = size;
					}
				});
			}
			for kind in RuntimeKind::ALL {
				BandMask::<T>::remove(kind);
			}
			// Per band: its page count read and removed, its last page and its kind's counts
			// read, the counts written; per kind: the mask removed.
			let kinds = RuntimeKind::ALL.len() as u64;
			T::DbWeight::get()
				.reads_writes(bands.saturating_mul(3), bands.saturating_mul(2) + kinds)
		}
	}

	/// The registry from storage version 4 to 5.
	pub type MigrateV4ToV5<T> = VersionedMigration<
		4,
		5,
		UncheckedMigrateV4ToV5<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

#[cfg(feature = "upgrade-test")]
pub mod v6 {
	//! Version 6, only in the runtime the relay-chain network test upgrades to: each provider
	//! record gains the block it registered at (taken, for records from before, as its last
	//! heartbeat), and the migration says so in an event. It exists to show that clients
	//! built before an upgrade read a record with a new field and skip an event they do not
	//! know.

	use crate::{pallet::*, Resources};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use offload_primitives::reputation::Record as ReputationRecord;

	/// A provider as version 5 stored it.
	#[derive(Encode, Decode)]
	pub struct ProviderV5<T: Config> {
		/// What it sells.
		pub offer: Offer<T>,
		/// Whether it takes jobs.
		pub status: Status<BlockNumberFor<T>>,
		/// Offered resources not used by running jobs.
		pub free: Resources,
		/// Jobs running now.
		pub running: u16,
		/// Block of its last heartbeat.
		pub last_heartbeat: BlockNumberFor<T>,
		/// Set by the admin origin.
		pub verified: bool,
		/// Its reputation record.
		pub reputation: ReputationRecord<BlockNumberFor<T>>,
		/// The value of its open jobs.
		pub exposure: T::Balance,
	}

	/// Rewrites every provider with the block it registered at; use [`MigrateV5ToV6`].
	pub struct UncheckedMigrateV5ToV6<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV5ToV6<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut providers = 0u32;
			Providers::<T>::translate::<ProviderV5<T>, _>(|_, old| {
				providers = providers.saturating_add(1);
				Some(Provider {
					offer: old.offer,
					status: old.status,
					free: old.free,
					running: old.running,
					last_heartbeat: old.last_heartbeat,
					verified: old.verified,
					reputation: old.reputation,
					exposure: old.exposure,
					since: old.last_heartbeat,
				})
			});
			Pallet::<T>::deposit_event(Event::ProvidersUpgraded { providers });
			T::DbWeight::get().reads_writes(providers.into(), u64::from(providers) + 1)
		}
	}

	/// The registry from storage version 5 to 6.
	pub type MigrateV5ToV6<T> = VersionedMigration<
		5,
		6,
		UncheckedMigrateV5ToV6<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
