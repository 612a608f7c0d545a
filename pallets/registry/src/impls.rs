//! The registry's logic: provider life, capacity, the matching index, invariants.

use crate::{pallet::*, JobEscrow, Resources, RuntimeKind, VerifiedProvider};
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedInto, Zero},
	DispatchResult,
};

/// The price band of `price`: ⌊log2(price + 1)⌋, so band 0 is free and each band doubles.
pub fn band_of<Balance: UniqueSaturatedInto<u128>>(price: Balance) -> u8 {
	let price: u128 = price.unique_saturated_into();
	price.saturating_add(1).ilog2() as u8
}

impl<T: Config> Pallet<T> {
	/// The price that places a provider in `kind`'s index: fuel price for WASM, seconds for
	/// containers.
	pub fn price_for(offer: &OfferOf<T>, kind: RuntimeKind) -> T::Balance {
		match kind {
			RuntimeKind::Wasm => offer.prices.per_million_fuel,
			RuntimeKind::Container => offer.prices.per_second,
		}
	}

	/// The runtime kinds `offer` supports.
	pub fn kinds(offer: &OfferOf<T>) -> impl Iterator<Item = RuntimeKind> + '_ {
		RuntimeKind::ALL.into_iter().filter(move |kind| match kind {
			RuntimeKind::Wasm => offer.wasm,
			RuntimeKind::Container => offer.container,
		})
	}

	fn check_offer(offer: &OfferOf<T>) -> DispatchResult {
		ensure!(offer.wasm || offer.container, Error::<T>::NoRuntime);
		ensure!(
			offer.max_concurrent > 0 && offer.resources != Resources::default(),
			Error::<T>::NoCapacity
		);
		Ok(())
	}

	/// Whether the provider is alive at `now`.
	pub fn is_alive(provider: &ProviderOf<T>, now: BlockNumberFor<T>) -> bool {
		now.saturating_sub(provider.last_heartbeat) <= T::HeartbeatTimeout::get()
	}

	/// Whether `provider` can take one more job now (ignoring the job's own needs).
	pub fn can_take_jobs(provider: &ProviderOf<T>, now: BlockNumberFor<T>) -> bool {
		provider.status == Status::Active
			&& provider.running < provider.offer.max_concurrent
			&& Self::is_alive(provider, now)
	}

	/// Whether `who` is verified: by the runtime's verifier or the admin flag.
	pub fn is_verified(who: &T::AccountId) -> bool {
		T::Verifier::is_verified(who)
			|| Providers::<T>::get(who).map(|provider| provider.verified).unwrap_or(false)
	}

	/// Puts `who` in the index bands of its offer if it can take jobs, and takes it out of
	/// every band otherwise.
	pub(crate) fn reindex(who: &T::AccountId, provider: &ProviderOf<T>) -> DispatchResult {
		Self::unindex(who);
		let now = frame_system::Pallet::<T>::block_number();
		if !Self::can_take_jobs(provider, now) {
			return Ok(());
		}
		let mut bands = BoundedVec::<Band, ConstU32<2>>::new();
		for kind in Self::kinds(&provider.offer) {
			let band = (kind, band_of(Self::price_for(&provider.offer, kind)));
			Index::<T>::try_mutate(band, |members| members.try_push(who.clone()))
				.map_err(|_| Error::<T>::BandFull)?;
			bands.try_push(band).map_err(|_| Error::<T>::Overflow)?;
		}
		IndexedIn::<T>::insert(who, bands);
		Ok(())
	}

	/// Takes `who` out of every index band.
	pub(crate) fn unindex(who: &T::AccountId) {
		for band in IndexedIn::<T>::take(who) {
			Index::<T>::mutate(band, |members| members.retain(|member| member != who));
		}
	}

	pub(crate) fn do_register(
		who: T::AccountId,
		offer: OfferOf<T>,
		bond: T::Balance,
	) -> DispatchResult {
		ensure!(!Providers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		ensure!(bond >= T::MinBond::get(), Error::<T>::BondTooLow);
		Self::check_offer(&offer)?;
		let count = ProviderCount::<T>::get().checked_add(1).ok_or(Error::<T>::Overflow)?;
		T::Escrow::hold_bond(&who, bond)?;
		let provider = Provider {
			free: offer.resources,
			offer,
			status: Status::Active,
			running: 0,
			last_heartbeat: frame_system::Pallet::<T>::block_number(),
			verified: false,
		};
		Self::reindex(&who, &provider)?;
		Providers::<T>::insert(&who, provider);
		ProviderCount::<T>::put(count);
		Self::deposit_event(Event::ProviderRegistered { provider: who, bond });
		Ok(())
	}

	/// Applies `change` to `who`'s record, then re-files it in the index (a provider that can no
	/// longer take jobs leaves it) and stores it. Nothing is stored if `change` fails.
	fn change_provider(
		who: &T::AccountId,
		change: impl FnOnce(&mut ProviderOf<T>) -> DispatchResult,
	) -> DispatchResult {
		let mut provider = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		change(&mut provider)?;
		Self::reindex(who, &provider)?;
		Providers::<T>::insert(who, provider);
		Ok(())
	}

	pub(crate) fn do_update_offer(who: T::AccountId, offer: OfferOf<T>) -> DispatchResult {
		Self::check_offer(&offer)?;
		Self::change_provider(&who, |provider| {
			ensure!(!matches!(provider.status, Status::Leaving { .. }), Error::<T>::Leaving);
			// What running jobs use stays in use.
			let in_use =
				provider.offer.resources.checked_sub(&provider.free).ok_or(Error::<T>::Overflow)?;
			provider.free =
				offer.resources.checked_sub(&in_use).ok_or(Error::<T>::CapacityInUse)?;
			ensure!(offer.max_concurrent >= provider.running, Error::<T>::CapacityInUse);
			provider.offer = offer;
			Ok(())
		})?;
		Self::deposit_event(Event::OfferUpdated { provider: who });
		Ok(())
	}

	pub(crate) fn do_heartbeat(who: T::AccountId) -> DispatchResult {
		Self::change_provider(&who, |provider| {
			provider.last_heartbeat = frame_system::Pallet::<T>::block_number();
			Ok(())
		})?;
		Self::deposit_event(Event::Heartbeat { provider: who });
		Ok(())
	}

	pub(crate) fn do_pause(who: T::AccountId) -> DispatchResult {
		Self::change_provider(&who, |provider| {
			ensure!(provider.status == Status::Active, Error::<T>::NotActive);
			provider.status = Status::Paused;
			Ok(())
		})?;
		Self::deposit_event(Event::ProviderPaused { provider: who });
		Ok(())
	}

	pub(crate) fn do_resume(who: T::AccountId) -> DispatchResult {
		Self::change_provider(&who, |provider| {
			ensure!(provider.status == Status::Paused, Error::<T>::NotPaused);
			provider.status = Status::Active;
			provider.last_heartbeat = frame_system::Pallet::<T>::block_number();
			Ok(())
		})?;
		Self::deposit_event(Event::ProviderResumed { provider: who });
		Ok(())
	}

	pub(crate) fn do_deregister(who: T::AccountId) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		Self::change_provider(&who, |provider| {
			ensure!(!matches!(provider.status, Status::Leaving { .. }), Error::<T>::Leaving);
			provider.status = Status::Leaving { since: now };
			Ok(())
		})?;
		Self::deposit_event(Event::ProviderLeaving {
			provider: who,
			unbonds_at: now.saturating_add(T::UnbondingPeriod::get()),
		});
		Ok(())
	}

	pub(crate) fn do_withdraw_bond(who: T::AccountId) -> DispatchResult {
		let provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		let Status::Leaving { since } = provider.status else {
			return Err(Error::<T>::NotLeaving.into());
		};
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now >= since.saturating_add(T::UnbondingPeriod::get()), Error::<T>::StillUnbonding);
		ensure!(provider.running == 0, Error::<T>::JobsRunning);
		let bond = T::Escrow::bond_of(&who);
		if !bond.is_zero() {
			T::Escrow::release_bond(&who, bond)?;
		}
		Providers::<T>::remove(&who);
		ProviderCount::<T>::mutate(|count| *count = count.saturating_sub(1));
		Self::deposit_event(Event::ProviderRemoved { provider: who, bond });
		Ok(())
	}

	pub(crate) fn do_set_verified(who: T::AccountId, verified: bool) -> DispatchResult {
		Providers::<T>::try_mutate(&who, |provider| -> DispatchResult {
			let provider = provider.as_mut().ok_or(Error::<T>::NotRegistered)?;
			provider.verified = verified;
			Ok(())
		})?;
		Self::deposit_event(Event::VerifiedSet { provider: who, verified });
		Ok(())
	}

	/// Takes `needs` of `who`'s free capacity for a job and counts the job as running.
	pub fn reserve(who: &T::AccountId, needs: &Resources) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		Self::change_provider(who, |provider| {
			ensure!(Self::can_take_jobs(provider, now), Error::<T>::NotActive);
			provider.free = provider.free.checked_sub(needs).ok_or(Error::<T>::CapacityInUse)?;
			provider.running = provider.running.checked_add(1).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})
	}

	/// Gives `needs` back to `who`'s free capacity when a job ends.
	pub fn release(who: &T::AccountId, needs: &Resources) -> DispatchResult {
		Self::change_provider(who, |provider| {
			let free = provider.free.checked_add(needs).ok_or(Error::<T>::Overflow)?;
			// Never more free than offered.
			ensure!(free.fits_in(&provider.offer.resources), Error::<T>::Overflow);
			provider.free = free;
			provider.running = provider.running.checked_sub(1).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})
	}

	/// Checks the invariants: free capacity within the offer, the count matches, the index
	/// holds only providers that are active with a free slot, in the bands `IndexedIn` says.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut count = 0u32;
		for (who, provider) in Providers::<T>::iter() {
			count = count.saturating_add(1);
			ensure!(provider.free.fits_in(&provider.offer.resources), "free capacity above offer");
			ensure!(provider.running <= provider.offer.max_concurrent, "more jobs than slots");
			ensure!(!T::Escrow::bond_of(&who).is_zero(), "a provider without bond");
			for band in IndexedIn::<T>::get(&who) {
				ensure!(Index::<T>::get(band).contains(&who), "IndexedIn names a band without it");
				ensure!(provider.status == Status::Active, "an inactive provider is indexed");
				ensure!(
					provider.running < provider.offer.max_concurrent,
					"a full provider is indexed"
				);
			}
		}
		ensure!(count == ProviderCount::<T>::get(), "ProviderCount is off");
		for (band, members) in Index::<T>::iter() {
			for who in members {
				ensure!(IndexedIn::<T>::get(&who).contains(&band), "an index entry is untracked");
			}
		}
		Ok(())
	}
}
