//! The pool's logic: eras, accrual, claims, and the invariants.

use crate::{formula, pallet::*, EraIndex, RewardWork};
use frame_support::{
	ensure,
	traits::{
		fungible::{Inspect, Mutate},
		tokens::Preservation,
		Get,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{AccountIdConversion, CheckedAdd, Saturating, UniqueSaturatedInto, Zero},
	DispatchResult,
};

impl<T: Config> Pallet<T> {
	/// The pool's account.
	pub fn pool() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// Starts era 0 at genesis with `era_length` (at least `MinEraLength`) and `emission` (at
	/// most `MaxEmission`), and gives the pool its existential deposit so fee shares smaller
	/// than it can land.
	pub(crate) fn start_at_genesis(era_length: BlockNumberFor<T>, emission: BalanceOf<T>) {
		let length = era_length.max(T::MinEraLength::get());
		EraLength::<T>::put(length);
		Emission::<T>::put(emission.min(T::MaxEmission::get()));
		Self::start_era(0, frame_system::Pallet::<T>::block_number(), Zero::zero());
		let pool = Self::pool();
		let minimum = T::Currency::minimum_balance();
		if T::Currency::balance(&pool) < minimum {
			let _ = T::Currency::mint_into(&pool, minimum);
		}
	}

	/// Whether the era in progress ends at `now` (or none was ever started).
	pub(crate) fn era_due(now: BlockNumberFor<T>) -> bool {
		let era = CurrentEra::<T>::get();
		era.length.is_zero() || now >= era.start.saturating_add(era.length)
	}

	/// Opens era `index` at `start` with `pot` carried into it.
	fn start_era(index: EraIndex, start: BlockNumberFor<T>, pot: BalanceOf<T>) {
		let length = EraLength::<T>::get().max(T::MinEraLength::get());
		CurrentEra::<T>::put(ActiveEra { index, start, length });
		Eras::<T>::insert(
			index,
			EraTotals { pot, work: Zero::zero(), claimed: Zero::zero(), length },
		);
	}

	/// Ends the era in progress at `now`: fixes its length, mints its emission if anyone
	/// worked (else carries its pot to the next era), starts the next era, and expires the era
	/// whose claim window just closed. Constant work.
	pub(crate) fn end_era(now: BlockNumberFor<T>) {
		let era = CurrentEra::<T>::get();
		if era.length.is_zero() {
			// No era was ever started (the pallet was added to a running chain).
			Self::start_era(0, now, Zero::zero());
			return;
		}
		let next = era.index.saturating_add(1);
		let mut totals = Eras::<T>::get(era.index).unwrap_or_default();
		totals.length = now.saturating_sub(era.start);
		if totals.work.is_zero() {
			Eras::<T>::remove(era.index);
			Self::start_era(next, now, totals.pot);
			if !totals.pot.is_zero() {
				Self::deposit_event(Event::PotCarriedOver {
					from: era.index,
					to: next,
					amount: totals.pot,
				});
			}
		} else {
			let blocks: u32 = totals.length.unique_saturated_into();
			let mut emission = Emission::<T>::get().saturating_mul(blocks.into());
			if emission.is_zero() || T::Currency::mint_into(&Self::pool(), emission).is_err() {
				emission = Zero::zero();
			}
			totals.pot = totals.pot.saturating_add(emission);
			Eras::<T>::insert(era.index, totals);
			Self::start_era(next, now, Zero::zero());
			Self::deposit_event(Event::EraEnded {
				era: era.index,
				pot: totals.pot,
				work: totals.work,
				emission,
			});
		}
		if let Some(expired) = era.index.checked_sub(T::ClaimEras::get()) {
			Self::expire(expired);
		}
	}

	/// Sends what is unclaimed of era `index` to the treasury and forgets the era.
	fn expire(index: EraIndex) {
		let Some(totals) = Eras::<T>::take(index) else { return };
		let unclaimed = totals.pot.saturating_sub(totals.claimed);
		if !unclaimed.is_zero() {
			// The pool holds every era's unclaimed pot (the `try_state` invariant), so this
			// transfer only fails if that invariant was broken; the era is forgotten anyway.
			let _ = T::Currency::transfer(
				&Self::pool(),
				&T::Treasury::get(),
				unclaimed,
				Preservation::Preserve,
			);
		}
		Self::deposit_event(Event::EraExpired { era: index, unclaimed });
	}

	/// Whether an ended era `era` is past its claim window while `current` is in progress.
	pub(crate) fn expired(era: EraIndex, current: EraIndex) -> bool {
		era.saturating_add(T::ClaimEras::get()) < current
	}

	/// Applies `change` to `provider`'s record of the current era, creating it if needed.
	/// Records of expired eras make room; the bound leaves room for every era that can still
	/// be claimed plus the current one, so a record is never refused.
	fn accrue(provider: &T::AccountId, change: impl FnOnce(&mut EarningOf<T>)) -> EraIndex {
		let current = CurrentEra::<T>::get().index;
		Earnings::<T>::mutate(provider, |earnings| {
			if let Some(earning) = earnings.iter_mut().find(|earning| earning.era == current) {
				change(earning);
				return;
			}
			earnings.retain(|earning| !Self::expired(earning.era, current));
			let mut earning = Earning { era: current, ..Default::default() };
			change(&mut earning);
			// Cannot fail: at most `ClaimEras` unexpired ended eras remain, below the bound.
			let _ = earnings.try_push(earning);
		});
		current
	}

	/// What `earning` pays out of `totals`, by [`formula::reward`].
	pub(crate) fn reward_of(earning: &EarningOf<T>, totals: &EraTotalsOf<T>) -> BalanceOf<T> {
		let reward = formula::reward(
			totals.pot.unique_saturated_into(),
			totals.work.unique_saturated_into(),
			totals.length.unique_saturated_into(),
			earning.work.unique_saturated_into(),
			earning.fees.unique_saturated_into(),
			earning.live.unique_saturated_into(),
			T::MaxRewardPerFee::get(),
		);
		// What is left of the pot bounds the reward, whatever the formula said.
		let reward: BalanceOf<T> = reward.unique_saturated_into();
		reward.min(totals.pot.saturating_sub(totals.claimed))
	}

	pub(crate) fn do_claim(who: T::AccountId) -> DispatchResult {
		let current = CurrentEra::<T>::get().index;
		let earnings = Earnings::<T>::get(&who);
		ensure!(earnings.iter().any(|earning| earning.era < current), Error::<T>::NothingToClaim);
		let mut total = BalanceOf::<T>::zero();
		let mut paid = alloc::vec::Vec::new();
		for earning in earnings.iter().filter(|earning| earning.era < current) {
			if Self::expired(earning.era, current) {
				continue;
			}
			let Some(mut totals) = Eras::<T>::get(earning.era) else { continue };
			let reward = Self::reward_of(earning, &totals);
			totals.claimed = totals.claimed.checked_add(&reward).ok_or(Error::<T>::Overflow)?;
			Eras::<T>::insert(earning.era, totals);
			total = total.checked_add(&reward).ok_or(Error::<T>::Overflow)?;
			paid.push((earning.era, reward));
		}
		if !total.is_zero() {
			T::Currency::transfer(&Self::pool(), &who, total, Preservation::Preserve)?;
		}
		let kept: alloc::vec::Vec<_> =
			earnings.into_iter().filter(|earning| earning.era == current).collect();
		if kept.is_empty() {
			Earnings::<T>::remove(&who);
		} else {
			// At most one record (the current era's), within any bound.
			Earnings::<T>::insert(&who, EarningsOf::<T>::truncate_from(kept));
		}
		for (era, amount) in paid {
			Self::deposit_event(Event::Rewarded { provider: who.clone(), era, amount });
		}
		Ok(())
	}

	pub(crate) fn do_clear_expired(who: T::AccountId) -> DispatchResult {
		let current = CurrentEra::<T>::get().index;
		let mut earnings = Earnings::<T>::get(&who);
		let before = earnings.len();
		earnings.retain(|earning| !Self::expired(earning.era, current));
		let records = (before - earnings.len()) as u32;
		ensure!(records > 0, Error::<T>::NothingExpired);
		if earnings.is_empty() {
			Earnings::<T>::remove(&who);
		} else {
			Earnings::<T>::insert(&who, earnings);
		}
		Self::deposit_event(Event::ExpiredCleared { provider: who, records });
		Ok(())
	}

	/// Checks the pallet's invariants (see the crate docs).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let era = CurrentEra::<T>::get();
		let mut owed = BalanceOf::<T>::zero();
		for (index, totals) in Eras::<T>::iter() {
			ensure!(totals.claimed <= totals.pot, "an era paid more than its pot");
			ensure!(index <= era.index, "an era record lies in the future");
			ensure!(!Self::expired(index, era.index), "an expired era was kept");
			owed = owed
				.checked_add(&totals.pot.saturating_sub(totals.claimed))
				.ok_or("pots overflow")?;
		}
		if !era.length.is_zero() {
			ensure!(Eras::<T>::contains_key(era.index), "the current era has no totals");
		}
		ensure!(
			T::Currency::balance(&Self::pool())
				>= owed.saturating_add(T::Currency::minimum_balance()),
			"the pool holds less than it owes"
		);
		let mut work = BalanceOf::<T>::zero();
		for (_, earnings) in Earnings::<T>::iter() {
			for (position, earning) in earnings.iter().enumerate() {
				ensure!(earning.era <= era.index, "an earning lies in the future");
				ensure!(
					earnings.iter().skip(position + 1).all(|other| other.era > earning.era),
					"a provider's earnings are not in era order"
				);
				if earning.era == era.index {
					work = work.checked_add(&earning.work).ok_or("work overflows")?;
				}
			}
		}
		if let Some(totals) = Eras::<T>::get(era.index) {
			ensure!(totals.work == work, "the era's work differs from its providers' work");
		}
		Ok(())
	}
}

impl<T: Config> RewardWork<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> for Pallet<T> {
	fn work_settled(
		provider: &T::AccountId,
		requester: &T::AccountId,
		amount: BalanceOf<T>,
		fee: BalanceOf<T>,
	) {
		let era = CurrentEra::<T>::get().index;
		let share = T::FeeShare::get().mul_floor(fee);
		// The fee has just landed in the treasury, so it can pay the share and keep existing;
		// should the transfer fail anyway, the pool simply gets nothing from this fee.
		if !share.is_zero()
			&& T::Currency::transfer(
				&T::Treasury::get(),
				&Self::pool(),
				share,
				Preservation::Preserve,
			)
			.is_ok()
		{
			Eras::<T>::mutate(era, |totals| {
				if let Some(totals) = totals {
					totals.pot = totals.pot.saturating_add(share);
				}
			});
			Self::deposit_event(Event::PoolFed { era, amount: share });
		}
		// Self-matched and fee-free work earns nothing.
		if provider == requester || fee.is_zero() || amount.is_zero() {
			return;
		}
		Self::accrue(provider, |earning| {
			earning.work = earning.work.saturating_add(amount);
			earning.fees = earning.fees.saturating_add(fee);
		});
		Eras::<T>::mutate(era, |totals| {
			if let Some(totals) = totals {
				totals.work = totals.work.saturating_add(amount);
			}
		});
		Self::deposit_event(Event::WorkRecorded {
			provider: provider.clone(),
			era,
			work: amount,
			fee,
		});
	}

	fn live(provider: &T::AccountId, from: BlockNumberFor<T>, to: BlockNumberFor<T>) {
		let era = CurrentEra::<T>::get();
		let blocks = to.saturating_sub(from.max(era.start));
		if blocks.is_zero() || era.length.is_zero() {
			return;
		}
		let index = Self::accrue(provider, |earning| {
			earning.live = earning.live.saturating_add(blocks);
		});
		Self::deposit_event(Event::UptimeRecorded {
			provider: provider.clone(),
			era: index,
			blocks,
		});
	}
}
