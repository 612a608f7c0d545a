//! The registry's logic: provider life, capacity, the matching index, invariants.

use crate::{
	pallet::*, weights::WeightInfo, JobEscrow, OnReputationChange, ReputationRecord,
	ReputationRecords, Resources, RewardWork, RuntimeKind, VerifiedProvider,
};
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use offload_primitives::{Candidate, ProviderRegistry};
use sp_runtime::{
	traits::{CheckedAdd, Saturating, UniqueSaturatedInto, Zero},
	DispatchError, DispatchResult, Permill,
};

/// Index pages `on_idle` looks at per block at most, so reaping stays a small, steady cost.
pub const REAP_PAGES_PER_BLOCK: u32 = 4;

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
		// All zeros says the provider takes no sealed inputs; any other low-order point would
		// let anyone open what a requester seals to it.
		ensure!(
			offer.encryption_key == [0; 32]
				|| !offload_primitives::is_low_order_x25519(&offer.encryption_key),
			Error::<T>::WeakEncryptionKey
		);
		Ok(())
	}

	/// Whether the provider is alive at `now`.
	pub fn is_alive(provider: &ProviderOf<T>, now: BlockNumberFor<T>) -> bool {
		Self::heard_lately(provider.last_heartbeat, now)
	}

	/// Whether a heartbeat at `last_heartbeat` is recent enough at `now` to be matched.
	fn heard_lately(last_heartbeat: BlockNumberFor<T>, now: BlockNumberFor<T>) -> bool {
		now.saturating_sub(last_heartbeat) <= T::HeartbeatTimeout::get()
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

	/// The index bands `provider` belongs in at `now`: one per runtime kind of its offer if it
	/// can take jobs, none otherwise.
	fn bands(provider: &ProviderOf<T>, now: BlockNumberFor<T>) -> alloc::vec::Vec<Band> {
		if !Self::can_take_jobs(provider, now) {
			return alloc::vec::Vec::new();
		}
		Self::kinds(&provider.offer)
			.map(|kind| (kind, band_of(Self::price_for(&provider.offer, kind))))
			.collect()
	}

	/// How much more job value `who`'s bond backs, with `provider`'s open jobs.
	pub fn headroom(who: &T::AccountId, provider: &ProviderOf<T>) -> T::Balance {
		T::Escrow::bond_of(who)
			.saturating_mul(T::ExposureFactor::get().into())
			.saturating_sub(provider.exposure)
	}

	/// `who`'s index entry: what matching needs of `provider`.
	pub fn card_of(who: &T::AccountId, provider: &ProviderOf<T>) -> Card<T> {
		Card {
			headroom: Self::headroom(who, provider),
			who: who.clone(),
			prices: provider.offer.prices,
			free: provider.free,
			verified: provider.verified,
			sealed_inputs: provider.offer.encryption_key != [0; 32],
			reputation: provider.reputation,
			last_heartbeat: provider.last_heartbeat,
		}
	}

	/// Puts `who` in the index bands of its offer if it can take jobs, and takes it out of
	/// every band otherwise.
	/// A provider whose bands do not change keeps its place and only its cards are rewritten,
	/// so taking or finishing a job touches one page per runtime kind, unless the provider fills
	/// its last slot or frees it.
	pub(crate) fn reindex(who: &T::AccountId, provider: &ProviderOf<T>) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		let wanted = Self::bands(provider, now);
		let current = IndexedIn::<T>::get(who);
		let card = Self::card_of(who, provider);
		if current.iter().map(|(band, _)| *band).eq(wanted.iter().copied()) {
			Self::rewrite_cards(&card, &current);
			return Ok(());
		}
		Self::unindex(who);
		if wanted.is_empty() {
			return Ok(());
		}
		let mut places = BoundedVec::<(Band, u32), ConstU32<2>>::new();
		for band in wanted {
			let page = Self::index_insert(card.clone(), band)?;
			places.try_push((band, page)).map_err(|_| Error::<T>::Overflow)?;
		}
		IndexedIn::<T>::insert(who, places);
		Ok(())
	}

	/// Replaces the card of `card.who` in each of `places` where it differs.
	fn rewrite_cards(card: &Card<T>, places: &[(Band, u32)]) {
		for (band, page) in places {
			let mut members = Index::<T>::get(band, page);
			if let Some(slot) = members.iter_mut().find(|member| member.who == card.who) {
				if slot != card {
					*slot = card.clone();
					Index::<T>::insert(band, page, members);
				}
			}
		}
	}

	/// Takes `who` out of every index band.
	pub(crate) fn unindex(who: &T::AccountId) {
		for (band, page) in IndexedIn::<T>::take(who) {
			Self::index_remove(who, band, page);
		}
	}

	/// Number of pages of `band`.
	pub fn pages_of(band: Band) -> u32 {
		Bands::<T>::get(band.0).of(band.1).div_ceil(T::IndexPageSize::get().max(1))
	}

	/// Sets the count of `band` to what `change` makes of it.
	fn resize(band: Band, change: impl FnOnce(u32) -> Option<u32>) -> DispatchResult {
		Bands::<T>::try_mutate(band.0, |sizes| {
			let size = sizes.0.get_mut(band.1 as usize).ok_or(Error::<T>::Overflow)?;
			*size = change(*size).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})
	}

	/// Appends `card` to the last page of `band` (a new page when that one is full); returns
	/// the page.
	fn index_insert(card: Card<T>, band: Band) -> Result<u32, DispatchError> {
		let page = Bands::<T>::get(band.0).of(band.1) / T::IndexPageSize::get().max(1);
		let mut members = Index::<T>::get(band, page);
		members.try_push(card).map_err(|_| Error::<T>::Overflow)?;
		Self::resize(band, |size| size.checked_add(1))?;
		Index::<T>::insert(band, page, members);
		Ok(page)
	}

	/// Removes `who` from `page` of `band`, filling its place with the band's last entry so
	/// every page but the last stays full. Touches two pages, whatever the band's size.
	fn index_remove(who: &T::AccountId, band: Band, page: u32) {
		let size = Bands::<T>::get(band.0).of(band.1);
		let Some(last) = size.checked_sub(1).map(|last| last / T::IndexPageSize::get().max(1))
		else {
			return;
		};
		let mut members = Index::<T>::get(band, page);
		let Some(position) = members.iter().position(|member| member.who == *who) else {
			return;
		};
		let mut tail = if page == last { members.clone() } else { Index::<T>::get(band, last) };
		let moved = tail.pop();
		if page == last {
			// `who` is in the last page: the popped entry takes its place unless it was `who`.
			if let Some(moved) = moved.filter(|moved| moved.who != *who) {
				if let Some(slot) = tail.get_mut(position) {
					*slot = moved;
				}
			}
		} else if let Some(moved) = moved {
			IndexedIn::<T>::mutate(&moved.who, |places| {
				for place in places.iter_mut() {
					if *place == (band, last) {
						*place = (band, page);
					}
				}
			});
			if let Some(slot) = members.get_mut(position) {
				*slot = moved;
			}
			Index::<T>::insert(band, page, members);
		}
		if tail.is_empty() {
			Index::<T>::remove(band, last);
		} else {
			Index::<T>::insert(band, last, tail);
		}
		// The band has `size` ≥ 1 entries, so this cannot fail.
		let _ = Self::resize(band, |size| size.checked_sub(1));
	}

	/// Takes providers whose heartbeat expired out of the index, page after page from
	/// [`ReapCursor`], while `remaining` lasts: at most [`REAP_PAGES_PER_BLOCK`] pages, and no
	/// page twice. Returns the weight used.
	pub(crate) fn reap(remaining: Weight) -> Weight {
		// The cursor and both runtime kinds' band masks, read; the cursor written.
		let base = T::DbWeight::get().reads_writes(3, 1);
		let step = T::WeightInfo::reap_page();
		if remaining.any_lt(base.saturating_add(step)) {
			return Weight::zero();
		}
		let Some(start) = ReapCursor::<T>::get().or_else(|| Self::next_page(None)) else {
			return base;
		};
		let now = frame_system::Pallet::<T>::block_number();
		let mut used = base;
		let mut at = start;
		for _ in 0..REAP_PAGES_PER_BLOCK {
			if remaining.any_lt(used.saturating_add(step)) {
				break;
			}
			used.saturating_accrue(step);
			Self::reap_page(at.0, at.1, now);
			match Self::next_page(Some(at)) {
				Some(next) => at = next,
				None => {
					ReapCursor::<T>::kill();
					return used;
				},
			}
			if at == start {
				break;
			}
		}
		ReapCursor::<T>::put(at);
		used
	}

	/// Takes the providers whose heartbeat expired out of `page` of `band` (and out of the
	/// index altogether), at most `IndexPageSize` of them. Returns how many.
	pub fn reap_page(band: Band, page: u32, now: BlockNumberFor<T>) -> u32 {
		let mut reaped = 0u32;
		while reaped < T::IndexPageSize::get() {
			let members = Index::<T>::get(band, page);
			let Some(stale) =
				members.iter().find(|card| !Self::heard_lately(card.last_heartbeat, now))
			else {
				break;
			};
			let who = stale.who.clone();
			Self::unindex(&who);
			reaped = reaped.saturating_add(1);
		}
		reaped
	}

	/// The index page after `at` (the first one if `None`): the next page of its band, else
	/// the first page of the next band that has providers, wrapping around. `None` if the
	/// index is empty.
	pub(crate) fn next_page(at: Option<(Band, u32)>) -> Option<(Band, u32)> {
		if let Some((band, page)) = at {
			let next = page.saturating_add(1);
			if next < Self::pages_of(band) {
				return Some((band, next));
			}
		}
		let bands: alloc::vec::Vec<Band> = RuntimeKind::ALL
			.into_iter()
			.flat_map(|kind| {
				let sizes = Bands::<T>::get(kind);
				sizes.occupied().map(move |(band, _)| (kind, band)).collect::<alloc::vec::Vec<_>>()
			})
			.collect();
		let after = at
			.and_then(|(band, _)| bands.iter().position(|candidate| *candidate > band))
			.unwrap_or(0);
		bands.get(after).or(bands.first()).map(|band| (*band, 0))
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
			reputation: T::Reputation::record_of(&who),
			exposure: Zero::zero(),
			#[cfg(feature = "upgrade-test")]
			since: frame_system::Pallet::<T>::block_number(),
		};
		Self::reindex(&who, &provider)?;
		Providers::<T>::insert(&who, provider);
		ProviderCount::<T>::put(count);
		Self::deposit_event(Event::ProviderRegistered { provider: who, bond });
		Ok(())
	}

	/// Applies `change` to `who`'s record, then re-files it in the index (a provider that can no
	/// longer take jobs leaves it, the cards of one that stays are rewritten) and stores it.
	/// Nothing is stored if `change` fails.
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
		let now = frame_system::Pallet::<T>::block_number();
		let mut live_since = None;
		Self::change_provider(&who, |provider| {
			if provider.status == Status::Active {
				// Live since the last heartbeat, but never for longer than a heartbeat keeps a
				// provider matchable: a silent gap beyond that was downtime.
				live_since = Some(
					provider.last_heartbeat.max(now.saturating_sub(T::HeartbeatTimeout::get())),
				);
			}
			provider.last_heartbeat = now;
			Ok(())
		})?;
		if let Some(from) = live_since {
			T::Rewards::live(&who, from, now);
		}
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
		ensure!(T::Escrow::bond_of(&who) >= T::MinBond::get(), Error::<T>::BondTooLow);
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

	pub(crate) fn do_add_bond(who: T::AccountId, amount: T::Balance) -> DispatchResult {
		let provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(!matches!(provider.status, Status::Leaving { .. }), Error::<T>::Leaving);
		ensure!(!amount.is_zero(), Error::<T>::BondTooLow);
		T::Escrow::hold_bond(&who, amount)?;
		// Its cards carry its headroom, which follows the bond.
		Self::change_provider(&who, |_| Ok(()))?;
		let bond = T::Escrow::bond_of(&who);
		Self::deposit_event(Event::BondAdded { provider: who, amount, bond });
		Ok(())
	}

	pub(crate) fn do_set_verified(who: T::AccountId, verified: bool) -> DispatchResult {
		Self::change_provider(&who, |provider| {
			provider.verified = verified;
			Ok(())
		})?;
		Self::deposit_event(Event::VerifiedSet { provider: who, verified });
		Ok(())
	}

	/// Takes `needs` of `who`'s free capacity for a job and counts the job as running.
	pub fn reserve(who: &T::AccountId, needs: &Resources, value: T::Balance) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		Self::change_provider(who, |provider| {
			ensure!(Self::can_take_jobs(provider, now), Error::<T>::NotActive);
			ensure!(value <= Self::headroom(who, provider), Error::<T>::ExposureTooHigh);
			provider.free = provider.free.checked_sub(needs).ok_or(Error::<T>::CapacityInUse)?;
			provider.running = provider.running.checked_add(1).ok_or(Error::<T>::Overflow)?;
			provider.exposure =
				provider.exposure.checked_add(&value).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})
	}

	/// Gives `needs` back to `who`'s free capacity, and `value` to its headroom, when a job
	/// ends.
	pub fn release(who: &T::AccountId, needs: &Resources, value: T::Balance) -> DispatchResult {
		Self::change_provider(who, |provider| {
			let free = provider.free.checked_add(needs).ok_or(Error::<T>::Overflow)?;
			// Never more free than offered.
			ensure!(free.fits_in(&provider.offer.resources), Error::<T>::Overflow);
			provider.free = free;
			provider.running = provider.running.checked_sub(1).ok_or(Error::<T>::Overflow)?;
			// Saturating: jobs taken before exposure was counted (storage version 4) added
			// none.
			provider.exposure = provider.exposure.saturating_sub(value);
			Ok(())
		})
	}

	/// Checks the invariants: free capacity within the offer, the count matches, an active (so
	/// matchable) provider holds at least the minimum bond, each provider's
	/// reputation copy equals its record, every provider that can take jobs is indexed in its
	/// offer's bands, and the index holds only providers that are active with a free slot, in
	/// the bands `IndexedIn` says, each as a card equal to its record.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let now = frame_system::Pallet::<T>::block_number();
		let mut count = 0u32;
		for (who, provider) in Providers::<T>::iter() {
			count = count.saturating_add(1);
			ensure!(provider.free.fits_in(&provider.offer.resources), "free capacity above offer");
			ensure!(provider.running <= provider.offer.max_concurrent, "more jobs than slots");
			// A slash may take the whole bond; such a provider is paused until it adds more.
			ensure!(
				provider.status != Status::Active || T::Escrow::bond_of(&who) >= T::MinBond::get(),
				"an active provider under the minimum bond"
			);
			ensure!(
				provider.reputation == T::Reputation::record_of(&who),
				"a provider's reputation copy differs from its record"
			);
			let places = IndexedIn::<T>::get(&who);
			if Self::can_take_jobs(&provider, now) {
				ensure!(
					places.iter().map(|(band, _)| *band).eq(Self::bands(&provider, now)),
					"a provider taking jobs is not indexed"
				);
			}
			let card = Self::card_of(&who, &provider);
			for (band, page) in places {
				ensure!(
					Index::<T>::get(band, page).contains(&card),
					"IndexedIn names a page without the provider's current card"
				);
				ensure!(provider.status == Status::Active, "an inactive provider is indexed");
				ensure!(
					provider.running < provider.offer.max_concurrent,
					"a full provider is indexed"
				);
			}
		}
		ensure!(count == ProviderCount::<T>::get(), "ProviderCount is off");
		for (band, page, members) in Index::<T>::iter() {
			let pages = Self::pages_of(band);
			ensure!(page < pages, "a page beyond the band's count");
			ensure!(!members.is_empty(), "an empty page is stored");
			ensure!(
				page + 1 == pages || members.len() as u32 == T::IndexPageSize::get(),
				"a page other than the last is not full"
			);
			ensure!(
				page + 1 != pages
					|| (pages - 1).saturating_mul(T::IndexPageSize::get()) + members.len() as u32
						== Bands::<T>::get(band.0).of(band.1),
				"a band's size is not what its pages hold"
			);
			for card in members {
				ensure!(
					IndexedIn::<T>::get(&card.who).contains(&(band, page)),
					"an index entry is untracked"
				);
			}
		}
		for kind in RuntimeKind::ALL {
			for (band, _) in Bands::<T>::get(kind).occupied() {
				ensure!(
					Index::<T>::contains_key((kind, band), 0),
					"a band counts providers it has no page for"
				);
			}
		}
		Ok(())
	}
}

impl<T: Config> Pallet<T> {
	fn as_candidate(card: Card<T>, now: BlockNumberFor<T>) -> Candidate<T::AccountId, T::Balance> {
		// Only the admin flag: identity judgements are read by the market for the jobs that
		// ask for verified providers, not for every candidate.
		Candidate {
			headroom: card.headroom,
			score: T::Reputation::score_at(&card.reputation, now),
			who: card.who,
			prices: card.prices,
			free: card.free,
			verified: card.verified,
			sealed_inputs: card.sealed_inputs,
		}
	}

	/// `provider`'s reputation score at `now`, from its copy of the record.
	pub fn score(provider: &ProviderOf<T>, now: BlockNumberFor<T>) -> Permill {
		T::Reputation::score_at(&provider.reputation, now)
	}
}

impl<T: Config> OnReputationChange<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn changed(who: &T::AccountId, record: &ReputationRecord<BlockNumberFor<T>>) {
		let Some(mut provider) = Providers::<T>::get(who) else { return };
		provider.reputation = *record;
		Self::rewrite_cards(&Self::card_of(who, &provider), &IndexedIn::<T>::get(who));
		Providers::<T>::insert(who, provider);
	}
}

impl<T: Config> ProviderRegistry<T::AccountId, T::Balance> for Pallet<T> {
	fn candidates(
		kind: RuntimeKind,
		max_unit_price: T::Balance,
		limit: u32,
		mut eligible: impl FnMut(&Candidate<T::AccountId, T::Balance>) -> bool,
	) -> alloc::vec::Vec<Candidate<T::AccountId, T::Balance>> {
		let now = frame_system::Pallet::<T>::block_number();
		let page_size = T::IndexPageSize::get().max(1);
		let top = band_of(max_unit_price);
		let mut found = alloc::vec::Vec::new();
		let mut entries = limit;
		let mut pages = T::MaxScanPages::get();
		let sizes = Bands::<T>::get(kind);
		'bands: for (band, size) in sizes.occupied().take_while(|(band, _)| *band <= top) {
			if pages == 0 {
				break;
			}
			for page in 0..size.div_ceil(page_size) {
				let Some(left) = pages.checked_sub(1) else { break 'bands };
				pages = left;
				for card in Index::<T>::get((kind, band), page) {
					if entries == 0 {
						break 'bands;
					}
					// Entries whose heartbeat expired wait for `on_idle` to reap them.
					if !Self::heard_lately(card.last_heartbeat, now) {
						continue;
					}
					let candidate = Self::as_candidate(card, now);
					if eligible(&candidate) {
						entries = entries.saturating_sub(1);
						found.push(candidate);
					}
				}
			}
		}
		found
	}

	fn sample(
		kind: RuntimeKind,
		max_unit_price: T::Balance,
		seed: &[u8],
		count: u32,
		looks: u32,
		mut eligible: impl FnMut(&Candidate<T::AccountId, T::Balance>) -> bool,
	) -> alloc::vec::Vec<Candidate<T::AccountId, T::Balance>> {
		let now = frame_system::Pallet::<T>::block_number();
		let page_size = T::IndexPageSize::get().max(1);
		let top = band_of(max_unit_price);
		// Each band up to the price bound with its first position among all of them.
		let mut bands = alloc::vec::Vec::new();
		let mut total = 0u32;
		let sizes = Bands::<T>::get(kind);
		for (band, size) in sizes.occupied().take_while(|(band, _)| *band <= top) {
			bands.push((band, total));
			total = total.saturating_add(size);
		}
		// Positions drawn without replacement by a Fisher–Yates shuffle of `0..total` whose
		// moved entries alone are kept (`swaps`), so a draw costs its own steps however many
		// providers there are.
		let mut swaps = alloc::collections::BTreeMap::<u32, u32>::new();
		let mut pages = alloc::collections::BTreeMap::new();
		let mut found = alloc::vec::Vec::new();
		for step in 0..looks.min(total) {
			if found.len() as u32 >= count {
				break;
			}
			let span = u128::from(total - step);
			let at = step.saturating_add(offload_primitives::pick(seed, step, span) as u32);
			let position = swaps.get(&at).copied().unwrap_or(at);
			swaps.insert(at, swaps.get(&step).copied().unwrap_or(step));
			let Some((band, first)) = bands.iter().rev().find(|(_, first)| *first <= position)
			else {
				continue;
			};
			let offset = position - first;
			let key = ((kind, *band), offset / page_size);
			let page = pages.entry(key).or_insert_with(|| Index::<T>::get(key.0, key.1));
			let Some(card) = page.get((offset % page_size) as usize) else { continue };
			if !Self::heard_lately(card.last_heartbeat, now) {
				continue;
			}
			let candidate = Self::as_candidate(card.clone(), now);
			if eligible(&candidate) {
				found.push(candidate);
			}
		}
		found
	}

	fn is_verified(who: &T::AccountId) -> bool {
		Self::is_verified(who)
	}

	fn is_registered(who: &T::AccountId) -> bool {
		Providers::<T>::contains_key(who)
	}

	fn candidate(who: &T::AccountId) -> Option<Candidate<T::AccountId, T::Balance>> {
		let provider = Providers::<T>::get(who)?;
		let now = frame_system::Pallet::<T>::block_number();
		Self::can_take_jobs(&provider, now)
			.then(|| Self::as_candidate(Self::card_of(who, &provider), now))
	}

	fn reserve(who: &T::AccountId, needs: &Resources, value: T::Balance) -> DispatchResult {
		Self::reserve(who, needs, value)
	}

	fn release(who: &T::AccountId, needs: &Resources, value: T::Balance) -> DispatchResult {
		Self::release(who, needs, value)
	}

	fn in_use(who: &T::AccountId) -> Option<(u32, Resources, T::Balance)> {
		let provider = Providers::<T>::get(who)?;
		let used = provider.offer.resources.checked_sub(&provider.free)?;
		Some((provider.running.into(), used, provider.exposure))
	}

	fn in_service(who: &T::AccountId) -> bool {
		Providers::<T>::get(who)
			.is_some_and(|provider| !matches!(provider.status, Status::Leaving { .. }))
			&& T::Escrow::bond_of(who) >= T::MinBond::get()
	}

	fn bond_changed(who: &T::AccountId) -> DispatchResult {
		if !Providers::<T>::contains_key(who) {
			return Ok(());
		}
		let bond = T::Escrow::bond_of(who);
		let mut underbonded = false;
		// Its cards carry its headroom, which follows the bond.
		Self::change_provider(who, |provider| {
			if bond < T::MinBond::get() && provider.status == Status::Active {
				provider.status = Status::Paused;
				underbonded = true;
			}
			Ok(())
		})?;
		if underbonded {
			Self::deposit_event(Event::ProviderUnderbonded { provider: who.clone(), bond });
		}
		Ok(())
	}
}

/// What provider search filters on.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Debug,
	Default,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	scale_info::TypeInfo,
)]
pub struct ProviderFilter<Balance> {
	/// Runs this kind of job.
	pub runtime: Option<RuntimeKind>,
	/// Has at least these resources free.
	pub free: Resources,
	/// Unit price (per million fuel for WASM, per second for containers; both when no runtime
	/// is given) at most this.
	pub max_unit_price: Option<Balance>,
	/// Is verified.
	pub verified_only: bool,
	/// Takes jobs now (active, alive, with a free slot).
	pub available_only: bool,
}

/// A provider as search returns it.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, codec::Encode, codec::Decode, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct ProviderSummary<T: Config> {
	/// The provider.
	pub who: T::AccountId,
	/// Its record.
	pub provider: ProviderOf<T>,
	/// Verified (identity judgement or admin flag).
	pub verified: bool,
	/// Its reputation score now.
	pub score: Permill,
	/// Takes jobs now.
	pub available: bool,
}

impl<T: Config> Pallet<T> {
	/// Providers matching `filter`, in storage order, starting after `after`, reading at most
	/// `limit` records. Returns them and the account to continue after, if there may be more.
	pub fn search(
		filter: &ProviderFilter<T::Balance>,
		after: Option<T::AccountId>,
		limit: u32,
	) -> (alloc::vec::Vec<ProviderSummary<T>>, Option<T::AccountId>) {
		let now = frame_system::Pallet::<T>::block_number();
		let mut iter = match after {
			Some(after) => Providers::<T>::iter_from(Providers::<T>::hashed_key_for(after)),
			None => Providers::<T>::iter(),
		};
		let mut found = alloc::vec::Vec::new();
		let mut last = None;
		for _ in 0..limit {
			let Some((who, provider)) = iter.next() else { return (found, None) };
			last = Some(who.clone());
			let runs = |kind: RuntimeKind| Self::kinds(&provider.offer).any(|k| k == kind);
			let price_ok = |kind: RuntimeKind| {
				filter
					.max_unit_price
					.is_none_or(|max| Self::price_for(&provider.offer, kind) <= max)
			};
			let kind_ok = match filter.runtime {
				Some(kind) => runs(kind) && price_ok(kind),
				None => Self::kinds(&provider.offer).all(price_ok),
			};
			let verified = provider.verified || T::Verifier::is_verified(&who);
			let available = Self::can_take_jobs(&provider, now);
			if kind_ok
				&& filter.free.fits_in(&provider.free)
				&& (verified || !filter.verified_only)
				&& (available || !filter.available_only)
			{
				let score = Self::score(&provider, now);
				found.push(ProviderSummary { who, provider, verified, available, score });
			}
		}
		let more = iter.next().is_some();
		(found, last.filter(|_| more))
	}
}
