//! The pool's logic: eras, accrual, claims, and the invariants.

use crate::{formula, pallet::*, EraIndex, RewardWork};
use frame_support::{
	ensure,
	traits::{
		fungible::{Inspect, Mutate},
		tokens::{Fortitude, Preservation},
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

	/// Opens era `index` at `start` with `carried` carried into its pot.
	fn start_era(index: EraIndex, start: BlockNumberFor<T>, carried: BalanceOf<T>) {
		let length = EraLength::<T>::get().max(T::MinEraLength::get());
		CurrentEra::<T>::put(ActiveEra { index, start, length, carried, ..Default::default() });
	}

	/// What the treasury owes the pool: the current era's share of the protocol fees, moved
	/// when the era ends. Treasury spends keep it back.
	pub fn owed_by_treasury() -> BalanceOf<T> {
		CurrentEra::<T>::get().fee_share
	}

	/// Moves the era's fee share from the treasury into the pool, as much of it as the
	/// treasury can give while it keeps existing (all of it, unless governance spent it
	/// around the spend path that keeps it back). Returns what moved.
	fn feed_pool(era: EraIndex, share: BalanceOf<T>) -> BalanceOf<T> {
		let treasury = T::Treasury::get();
		let available =
			T::Currency::reducible_balance(&treasury, Preservation::Preserve, Fortitude::Polite);
		let amount = share.min(available);
		if amount.is_zero()
			|| T::Currency::transfer(&treasury, &Self::pool(), amount, Preservation::Preserve)
				.is_err()
		{
			return Zero::zero();
		}
		Self::deposit_event(Event::PoolFed { era, amount });
		amount
	}

	/// Ends the era in progress at `now`: moves its fee share into the pool, fixes its length,
	/// mints its emission if anyone worked (else carries its pot to the next era), starts the
	/// next era, and expires the era whose claim window just closed. Constant work.
	pub(crate) fn end_era(now: BlockNumberFor<T>) {
		let era = CurrentEra::<T>::get();
		if era.length.is_zero() {
			// No era was ever started (the pallet was added to a running chain).
			Self::start_era(0, now, Zero::zero());
			return;
		}
		let next = era.index.saturating_add(1);
		let pot = era.carried.saturating_add(Self::feed_pool(era.index, era.fee_share));
		let length = now.saturating_sub(era.start);
		if era.work.is_zero() {
			Self::start_era(next, now, pot);
			if !pot.is_zero() {
				Self::deposit_event(Event::PotCarriedOver {
					from: era.index,
					to: next,
					amount: pot,
				});
			}
		} else {
			let blocks: u32 = length.unique_saturated_into();
			let mut emission = Emission::<T>::get().saturating_mul(blocks.into());
			if emission.is_zero() || T::Currency::mint_into(&Self::pool(), emission).is_err() {
				emission = Zero::zero();
			}
			let pot = pot.saturating_add(emission);
			Eras::<T>::insert(
				era.index,
				EraTotals { pot, work: era.work, claimed: Zero::zero(), length },
			);
			Self::start_era(next, now, Zero::zero());
			Self::deposit_event(Event::EraEnded { era: era.index, pot, work: era.work, emission });
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
		let mut owed = era.carried;
		for (index, totals) in Eras::<T>::iter() {
			ensure!(totals.claimed <= totals.pot, "an era paid more than its pot");
			ensure!(index < era.index, "an era in progress or in the future has a record");
			ensure!(!Self::expired(index, era.index), "an expired era was kept");
			owed = owed
				.checked_add(&totals.pot.saturating_sub(totals.claimed))
				.ok_or("pots overflow")?;
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
		ensure!(era.work == work, "the era's work differs from its providers' work");
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
		let share = T::FeeShare::get().mul_floor(fee);
		// Self-matched and fee-free work earns nothing.
		let earns = provider != requester && !fee.is_zero() && !amount.is_zero();
		if share.is_zero() && !earns {
			return;
		}
		// The fee has just landed in the treasury; the era counts the pool's share of it, which
		// moves when the era ends.
		let era = CurrentEra::<T>::mutate(|era| {
			era.fee_share = era.fee_share.saturating_add(share);
			if earns {
				era.work = era.work.saturating_add(amount);
			}
			era.index
		});
		if !earns {
			return;
		}
		Self::accrue(provider, |earning| {
			earning.work = earning.work.saturating_add(amount);
			earning.fees = earning.fees.saturating_add(fee);
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
